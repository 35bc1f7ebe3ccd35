/*
 * The controller's /metrics: registers every metric the controller exports
 * on a registry and binds each to where its value lives (runtime stats,
 * queue, informers, leader), so a scrape reads current values and nothing
 * has to push them. API requests are counted through the kubeclient metrics
 * hook (ctl_observe_api_request).
 */
#ifndef SLIPWAY_CONTROLLER_OBSERVABILITY_H
#define SLIPWAY_CONTROLLER_OBSERVABILITY_H

#include "controller/leader.h"
#include "controller/manager.h"
#include "controller/metrics.h"

struct ctl_observability;

/* Registers the metrics on r (borrowed; must outlive the result) for every
 * controller added to mgr so far: reconcile and work-queue metrics carry a
 * `controller` label (the controller's name), informer metrics a
 * `resource` label (one series per shared informer: "jobs", or
 * "jobs:app=x" for an informer with a label selector). mgr and le are
 * borrowed too; le may be NULL (no leader election: always leader).
 * Caller owns *ret (ctl_observability_free). 0, or a negative errno. */
int ctl_observability_new(struct ctl_metrics *r, struct ctl_manager *mgr, struct ctl_leader *le,
                          struct ctl_observability **ret);

struct ctl_observability *ctl_observability_free(struct ctl_observability *o);

/* Registers slipway_build_info{version="..."} 1 on r, Prometheus's build-info
 * convention, so a scrape (and a dashboard) says which version runs.
 * version is copied (main.c passes SLIPWAY_VERSION). 0, or a negative
 * errno (-EEXIST when registered twice). */
int ctl_observability_build_info(struct ctl_metrics *r, const char *version);

/* A kc_metrics_fn: counts one API request (verb, HTTP code) and its latency.
 * userdata is the struct ctl_observability. */
void ctl_observe_api_request(const char *verb, long http_status, double seconds, void *userdata);

#endif
