/*
 * The AnalysisRun controller: the imperative shell that makes runs run
 * (issue 14). Primary: AnalysisRuns; owned: the Jobs of job metrics (only
 * those labelled app.kubernetes.io/managed-by=slipway are cached). A run
 * carries its resolved spec, so templates are not watched.
 *
 * Each reconcile parses the run, validates every condition on first sight
 * (a broken one ends the run in Error, with the column, before any
 * measurement), asks the pure decisions (reconcilers/analysis.h) which
 * metrics are due, starts those measurements and asks to be woken at the
 * next due time. Prometheus and web measurements are HTTP requests on a
 * transport of their own (kubeclient/http.h; never the API server's
 * credentials) that complete in callbacks; a callback keeps the result in
 * memory and enqueues the run, whose next reconcile records it in status
 * (rec_metric_record, rec_analysis_assess) and forgets it once the cached
 * status shows it. Nothing in a reconcile waits on the network.
 *
 * A Job measurement is a Job named from the run, the metric and the
 * measurement's index (creating it twice is harmless), recorded as Running
 * in status while the Job runs; its Complete or Failed condition decides.
 *
 * Restarts: everything that counts lives in status. An HTTP measurement in
 * flight when the process died was never written, so it is taken again; a
 * Job one is found again by its name.
 *
 * Secrets: secretKeyRef arguments are read with a GET of the Secret
 * (through the manager's API client) when a measurement needs them, kept
 * in memory for the run, and only ever reach a request; status, Events,
 * logs and metrics get model_public text (model/analysis-args.h).
 *
 * /metrics: slipway_analysis_run_phase{namespace,run,phase} (1, for the
 * run's current phase) and slipway_analysis_metric_value{namespace,run,
 * metric} (the last measured number), both removed when the run is deleted.
 */
#ifndef SLIPWAY_CONTROLLER_ANALYSIS_CONTROLLER_H
#define SLIPWAY_CONTROLLER_ANALYSIS_CONTROLLER_H

#include "controller/manager.h"
#include "controller/metrics.h"
#include "kubeclient/client.h"

struct ctl_analysis_controller;

struct ctl_analysis_controller_options {
	unsigned workers;                     /* 0: the runtime's default */
	const struct ctl_queue_config *queue; /* NULL: client-go defaults */
	struct kc_client *client;             /* borrowed: reads Secrets; required */
	struct ctl_metrics *metrics;          /* borrowed; NULL: no analysis metrics */
};

/* Adds the controller, named "analysisrun", to m (before ctl_manager_start).
 * Caller owns *ret and frees it with ctl_analysis_controller_free after
 * ctl_manager_free (the manager owns the runtime, *ret the measurements).
 * 0 or a negative errno (err says). */
int ctl_analysis_controller_add(struct ctl_manager *m,
                                const struct ctl_analysis_controller_options *opts,
                                struct ctl_analysis_controller **ret, struct kc_error *err);

/* The runtime inside (borrowed from the manager). */
struct ctl_runtime *ctl_analysis_controller_runtime(const struct ctl_analysis_controller *ac);

/* Cancels every measurement in flight (no callback runs) and frees. NULL is
 * fine; returns NULL. */
struct ctl_analysis_controller *ctl_analysis_controller_free(struct ctl_analysis_controller *ac);

#endif
