/*
 * Inside the AnalysisRun controller (controller/analysis-controller.h):
 * the memory it keeps per run between reconciles, shared by the binding
 * (analysis-controller.c), the HTTP providers (analysis-measure.c), the
 * Secret reads (analysis-secrets.c) and the Job provider (analysis-job.c).
 *
 * Memory only bridges reconciles: a measurement in flight, a finished one
 * not yet seen in the cached status, the Secrets read for the run. Losing
 * it (a restart) loses nothing that counts: status has the rest.
 */
#ifndef SLIPWAY_CONTROLLER_ANALYSIS_INTERNAL_H
#define SLIPWAY_CONTROLLER_ANALYSIS_INTERNAL_H

#include <stdbool.h>
#include <time.h>

#include "controller/analysis-controller.h"
#include "controller/hashmap.h"
#include "kubeclient/http.h"
#include "model/analysis-args.h"
#include "model/analysis.h"
#include "reconcilers/analysis.h"
#include "reconcilers/plan.h"

struct an_run;

/* One HTTP measurement: in flight (req set), then done (result set). */
struct an_pending {
	struct an_run *run;
	char *metric;
	time_t started_at;
	struct kc_http_request *req; /* NULL once done */
	bool done;
	/* What the request needs after it was sent, copied from the spec
	 * (the parsed run is gone by then). */
	enum model_provider_kind provider;
	char *success, *failure;      /* conditions, NULL when absent */
	char *json_path;              /* web only; NULL: the whole body */
	struct model_arg_values vals; /* to redact what comes back */
	/* The result, once done. */
	enum model_analysis_phase phase;
	struct model_public value, message;
	time_t finished_at;
};

enum an_secrets_state {
	AN_SECRETS_UNREAD = 0,
	AN_SECRETS_READING,
	AN_SECRETS_READY,
	AN_SECRETS_FAILED, /* error says why; read again at the next due time */
};

struct an_secret {
	char *name, *key, *value;
};

struct an_run {
	struct ctl_analysis_controller *ac;
	char *key; /* "ns/name" */
	char *uid;
	enum an_secrets_state secrets_state;
	struct an_secret *secrets;
	size_t n_secrets;
	struct model_public secrets_error; /* FAILED: names Secret and key, never a value */
	struct kc_request **reads;         /* Secret GETs, NULL once answered */
	void **read_ctx;                   /* their callbacks' contexts */
	size_t n_reads, reads_left;
	struct an_pending *pending[MODEL_ANALYSIS_METRICS_MAX];
	size_t n_pending;
	char last_phase[16]; /* the phase series exported, "" when none */
};

struct ctl_analysis_controller {
	struct ctl_runtime *rt;
	struct kc_client *client; /* Secret reads */
	struct kc_http *http;     /* providers: never the API server's credentials */
	struct ctl_hashmap *runs; /* key -> struct an_run */
	struct ctl_metric *phase_metric, *value_metric;
};

/* The run's memory, made when absent or when uid changed (a new run of the
 * same name). NULL on ENOMEM. */
struct an_run *an_run_get(struct ctl_analysis_controller *ac, const char *key, const char *uid);

/* A run that ended: cancels its requests in flight and forgets its
 * Secrets, keeping the finished results until its end is seen. */
void an_run_settle(struct an_run *run);

/* Forgets a run: cancels what is in flight (no callback runs) and frees. */
void an_run_drop(struct ctl_analysis_controller *ac, const char *key);

/* The pending measurement of metric, or NULL. */
struct an_pending *an_pending_find(struct an_run *run, const char *metric);

/* Removes p from its run and frees it (cancelling its request). */
void an_pending_remove(struct an_pending *p);

/* Starts a Prometheus or web measurement of m, bound to vals (moved into
 * the pending measurement: vals is empty afterwards), at now. On a failure
 * to start, the measurement is done at once as Error with the reason. 0 or
 * -ENOMEM. */
int an_measure_start(struct an_run *run, const struct model_metric *m, const char *ns,
                     struct model_arg_values *vals, time_t now);

/* Whether the run's args need Secrets. */
bool an_needs_secrets(const struct model_analysis_spec *spec);

/* Starts reading the Secrets the run's args name (state READING); each
 * completion enqueues the run when all are in. 0 or a negative errno. */
int an_secrets_read(struct an_run *run, const struct model_analysis_spec *spec, const char *ns);

/* Cancels the Secret reads in flight (no callback runs) and frees what the
 * run holds of Secrets, values wiped. */
void an_secrets_clear(struct an_run *run);

/* Binds the run's args with the Secrets read (state READY). 0, -EINVAL
 * (errs names the argument), -ENOMEM. */
int an_bind(const struct an_run *run, const struct model_analysis_spec *spec,
            struct model_arg_values *out, struct model_errors *errs);

/* What a reconcile works on, for the Job provider. */
struct an_job_ctx {
	struct ctl_runtime *rt;
	const json_t *obj; /* the AnalysisRun */
	const struct model_analysis_run *run;
	struct rec_plan *plan;  /* creates: before the status write */
	struct rec_plan *after; /* deletes: once status is written */
	time_t now;
};

/* One step of a job metric m whose schedule is `s`: creates the Job of the
 * measurement due (recording it Running in r), or records the outcome of
 * the Job in flight. *changed is set when r changed. 0 or a negative errno. */
int an_job_step(const struct an_job_ctx *c, const struct model_metric *m,
                struct model_metric_result *r, const struct rec_schedule *s,
                const struct model_arg_values *vals, bool *changed);

/* A Job's name is also its pods' job-name label: 63 at most. */
#define AN_JOB_NAME_MAX 63

/* The Job of measurement `index` of metric of run: "<run>-<metric>-<index>"
 * when that is a DNS label of at most 63; otherwise the run's name cut and
 * cleaned, a hash of run and metric (so "a_b" and "a-b" differ) and the
 * index. Deterministic: creating it twice is harmless. Into out (cap >=
 * AN_JOB_NAME_MAX + 1). */
void an_job_name(const char *run, const char *metric, long index, char *out, size_t cap);

/* The run terminates: deletes the Job of m's measurement in flight, if
 * any (its measurement stays as it was last recorded). 0 or -ENOMEM. */
int an_job_stop(const struct an_job_ctx *c, const struct model_metric *m,
                const struct model_metric_result *r);

#endif
