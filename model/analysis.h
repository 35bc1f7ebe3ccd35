/*
 * Metric analysis API (slipway.dev/v1alpha1): AnalysisTemplate,
 * ClusterAnalysisTemplate and AnalysisRun, parsed from the API server's JSON
 * into C structs, defaulted and validated. Names and semantics follow Argo
 * Rollouts' analysis types, so a user's templates move over; where issue 14
 * says otherwise (the run phase order, "no data"), the issue wins.
 *
 * Errors follow model/fields.h: every problem is "field.path: message", all
 * of them collected in one pass. Unknown keys are ignored (the CRD prunes
 * them) except under `provider`, whose key selects what is measured.
 *
 * Conditions (successCondition, failureCondition) stay strings here: their
 * language is model/expr.h's. Argument substitution and the secret-safe
 * strings it produces are in model/analysis-args.h; the measurement
 * decisions in reconcilers/analysis.h.
 *
 * Defaults (as Argo Rollouts): count 1 when neither count nor interval is
 * given, unbounded with an interval alone; failureLimit 0,
 * inconclusiveLimit 0, consecutiveErrorLimit 4; measurement retention 10;
 * web method GET, timeoutSeconds 10.
 */
#ifndef SLIPWAY_MODEL_ANALYSIS_H
#define SLIPWAY_MODEL_ANALYSIS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "model/api.h"
#include "model/errors.h"

/* Limits on what a user writes; more is an error, not an allocation. */
#define MODEL_ANALYSIS_METRICS_MAX   32
#define MODEL_ANALYSIS_ARGS_MAX      32
#define MODEL_ANALYSIS_HEADERS_MAX   16
#define MODEL_ANALYSIS_LISTS_MAX     32   /* dryRun[], measurementRetention[] */
#define MODEL_ANALYSIS_NAME_MAX      63   /* metric and argument names */
#define MODEL_ANALYSIS_TEXT_MAX      8192 /* a query, URL, header value, condition */
#define MODEL_ANALYSIS_BODY_MAX      65536
#define MODEL_ANALYSIS_RETENTION_MAX 1000 /* measurementRetention[].limit */
/* Measurements status may hold per metric (what the controller writes is
 * bounded by the retention; a hand-written status is refused beyond). */
#define MODEL_ANALYSIS_MEASUREMENTS_MAX MODEL_ANALYSIS_RETENTION_MAX

#define MODEL_ANALYSIS_DEFAULT_CONSECUTIVE_ERROR_LIMIT 4
#define MODEL_ANALYSIS_DEFAULT_RETENTION               10
#define MODEL_ANALYSIS_DEFAULT_WEB_TIMEOUT_SECONDS     10
/* dryRun[].metricName / measurementRetention[].metricName: every metric. */
#define MODEL_ANALYSIS_ALL_METRICS "*"

/* Where an argument's value comes from. */
enum model_arg_source {
	MODEL_ARG_UNSET = 0, /* no value yet: the Release's args must give one */
	MODEL_ARG_VALUE,     /* value: "..." */
	MODEL_ARG_SECRET,    /* valueFrom.secretKeyRef: read by the I/O shell */
	MODEL_ARG_POD_HASH,  /* valueFrom.podTemplateHashValue: a revision */
};

/* valueFrom.podTemplateHashValue. */
enum model_pod_hash {
	MODEL_POD_HASH_STABLE = 1, /* "Stable": the stable revision */
	MODEL_POD_HASH_LATEST,     /* "Latest": the revision being rolled out */
};

struct model_analysis_arg {
	char *name; /* [A-Za-z0-9_.-], at most 63 */
	enum model_arg_source source;
	char *value;                  /* VALUE; a secret's value never lives here */
	char *secret_name;            /* SECRET: a Secret in the object's namespace */
	char *secret_key;             /* SECRET */
	enum model_pod_hash pod_hash; /* POD_HASH */
};

struct model_header {
	char *key;   /* an HTTP header name */
	char *value; /* may hold {{args.NAME}} */
};

enum model_provider_kind {
	MODEL_PROVIDER_PROMETHEUS = 1,
	MODEL_PROVIDER_WEB,
	MODEL_PROVIDER_JOB,
};

/* provider.prometheus: an instant query (/api/v1/query). */
struct model_prometheus {
	char *address; /* http(s) URL of the server */
	char *query;
	bool has_timeout;
	int64_t timeout_ns; /* timeout: a duration; > 0 */
	size_t n_headers;
	struct model_header *headers;
};

/* provider.web: one HTTP request; jsonPath picks the result. */
struct model_web {
	char *url;
	char *method; /* GET (default), POST or PUT */
	size_t n_headers;
	struct model_header *headers;
	char *body;              /* NULL = none; only with POST or PUT */
	char *json_path;         /* NULL = the whole response */
	int32_t timeout_seconds; /* >= 1, default 10 */
};

/* provider.job: a Job created from this, labelled and owned by the run. The
 * JSON is kept as written (the API server validates the Job on create);
 * references owned by this struct, shared with the parsed input. */
struct model_job {
	json_t *metadata; /* NULL when absent; only labels and annotations */
	json_t *spec;     /* a batch/v1 JobSpec with a template */
};

struct model_metric {
	char *name; /* [A-Za-z0-9_.-], at most 63, unique in the spec */
	bool has_interval;
	int64_t interval_ns;      /* >= 1s */
	int64_t initial_delay_ns; /* 0 when absent */
	/* Measurements to take (Error ones not counted, as Argo): `count`, or 1
	 * when neither count nor interval is given, or 0 = until the run is
	 * terminated (interval without count). count > 1 needs an interval. */
	int32_t count;
	char *success_condition;           /* NULL when absent; model/expr.h's language */
	char *failure_condition;           /* NULL when absent */
	int32_t failure_limit;             /* Failed when failed > this */
	int32_t inconclusive_limit;        /* Inconclusive when inconclusive > this */
	int32_t consecutive_error_limit;   /* Error when consecutiveError > this */
	enum model_provider_kind provider; /* exactly one */
	struct model_prometheus prometheus;
	struct model_web web;
	struct model_job job;
	/* Resolved from the spec's dryRun and measurementRetention lists. */
	bool dry_run;
	int32_t retention;
	/* The template it came from (model_analysis_merge); NULL when parsed
	 * from a run. */
	char *template_name;
};

/* dryRun[] / measurementRetention[] as written (kept so a run created from
 * templates carries them on). */
struct model_metric_ref {
	char *metric_name; /* a metric's name, or "*" */
	int32_t limit;     /* measurementRetention only: >= 1 */
};

/* The spec shared by templates and runs. */
struct model_analysis_spec {
	size_t n_args;
	struct model_analysis_arg *args;
	size_t n_metrics; /* >= 1 */
	struct model_metric *metrics;
	size_t n_dry_run;
	struct model_metric_ref *dry_run;
	size_t n_retention;
	struct model_metric_ref *retention;
	bool terminate; /* AnalysisRun only: stop measuring */
};

struct model_analysis_template {
	char *name;
	char *namespace;    /* NULL for a ClusterAnalysisTemplate */
	bool cluster_scope; /* a ClusterAnalysisTemplate */
	struct model_analysis_spec spec;
};

/* Phases of a run, a metric and a measurement (Argo's AnalysisPhase). */
enum model_analysis_phase {
	MODEL_ANALYSIS_PENDING = 0,
	MODEL_ANALYSIS_RUNNING,
	MODEL_ANALYSIS_SUCCESSFUL,
	MODEL_ANALYSIS_FAILED,
	MODEL_ANALYSIS_ERROR,
	MODEL_ANALYSIS_INCONCLUSIVE,
};
#define MODEL_ANALYSIS_PHASE_LAST MODEL_ANALYSIS_INCONCLUSIVE

/* status.metricResults[].measurements[]. `value` and `message` are what
 * status shows: they reach here only through model/analysis-args.h's
 * public strings (never a secret). */
struct model_measurement {
	enum model_analysis_phase phase; /* RUNNING while in flight */
	char *value;                     /* NULL when none */
	char *message;                   /* NULL when none */
	time_t started_at;
	time_t finished_at; /* 0 while in flight */
};

struct model_metric_result {
	char *name;
	enum model_analysis_phase phase;
	int32_t count; /* measurements without Error: successful + failed + inconclusive */
	int32_t successful;
	int32_t failed;
	int32_t inconclusive;
	int32_t error;
	int32_t consecutive_error; /* Errors in a row; 0 after any other */
	bool dry_run;              /* measured and shown, not counted in the run's phase */
	char *message;             /* NULL when none */
	size_t n_measurements;     /* the most recent, oldest first */
	struct model_measurement *measurements;
};

/* status.runSummary / dryRunSummary (Argo's RunSummary): how many metrics
 * are in each phase, for `kubectl get analysisruns`. */
struct model_run_summary {
	int32_t count; /* metrics */
	int32_t successful;
	int32_t failed;
	int32_t inconclusive;
	int32_t error;
};

struct model_analysis_status {
	enum model_analysis_phase phase;
	char *message;                            /* NULL when none */
	time_t started_at;                        /* 0 = not started */
	struct model_run_summary run_summary;     /* metrics that are not dry-run */
	struct model_run_summary dry_run_summary; /* dry-run metrics; written when count > 0 */
	size_t n_results;
	struct model_metric_result *results;
};

struct model_analysis_run {
	char *name;
	char *namespace; /* NULL when absent */
	char *uid;       /* NULL when absent */
	struct model_analysis_spec spec;
	struct model_analysis_status status;
};

/* Parses and validates an AnalysisTemplate or ClusterAnalysisTemplate (by
 * `kind`; absent kind reads as AnalysisTemplate). Returns 0 and sets *ret
 * (caller frees with model_analysis_template_free); -EINVAL with every
 * problem in errs (ret untouched); -ENOMEM. errs may be NULL. `obj` is only
 * read; the result keeps references to job metadata/spec. */
int model_analysis_template_parse(const json_t *obj, struct model_analysis_template **ret,
                                  struct model_errors *errs);

/* Frees t; accepts NULL; returns NULL. */
struct model_analysis_template *model_analysis_template_free(struct model_analysis_template *t);

/* Parses and validates an AnalysisRun, spec and status. In a run every
 * argument has a value or a secretKeyRef (podTemplateHashValue is resolved
 * when the run is made). Same contract as model_analysis_template_parse. */
int model_analysis_run_parse(const json_t *obj, struct model_analysis_run **ret,
                             struct model_errors *errs);

/* Frees r; accepts NULL; returns NULL. */
struct model_analysis_run *model_analysis_run_free(struct model_analysis_run *r);

/* The first problem of s's successCondition / failureCondition (parsed as
 * model/expr.h) and web jsonPath, into out: "metric error-rate:
 * failureCondition: column 12: ...". true when there is one. Whoever uses
 * a spec checks it before its first measurement: the Release's reconciler
 * when it makes a run of a template, the run controller when a run starts. */
bool model_analysis_spec_broken(const struct model_analysis_spec *s, char *out, size_t cap);

/* Frees what a spec holds and zeroes it. */
void model_analysis_spec_clear(struct model_analysis_spec *s);

/* Frees what a status holds and zeroes it. */
void model_analysis_status_clear(struct model_analysis_status *s);

/* Frees what a metric result holds and zeroes it. */
void model_metric_result_clear(struct model_metric_result *r);

/* Frees what a measurement holds and zeroes it. */
void model_measurement_clear(struct model_measurement *m);

/* "Pending", "Running", "Successful", "Failed", "Error", "Inconclusive". */
const char *model_analysis_phase_name(enum model_analysis_phase p);

/* The phase named `s`; -EINVAL when none is. */
int model_analysis_phase_parse(const char *s, enum model_analysis_phase *ret);

/* Whether the phase is final (Successful, Failed, Error, Inconclusive). */
bool model_analysis_phase_completed(enum model_analysis_phase p);

/* The metric named `name` in s, or NULL. Borrowed. */
const struct model_metric *model_analysis_metric(const struct model_analysis_spec *s,
                                                 const char *name);

/* The result named `name` in st, or NULL. Borrowed. */
struct model_metric_result *model_analysis_result(const struct model_analysis_status *st,
                                                  const char *name);

/* status as JSON, for a status patch (the CRD's shape; absent fields left
 * out). Caller owns the result (json_decref); NULL on ENOMEM. */
json_t *model_analysis_status_to_json(const struct model_analysis_status *s);

/* A run's spec for the API: the metrics of spec (merged templates), the
 * args given (resolved: values and secretKeyRefs; a Secret's value is never
 * written, only its reference), dryRun and measurementRetention per
 * metric, terminate. model_analysis_run_parse reads it back to the same
 * spec. Caller owns the result (json_decref); NULL on ENOMEM. */
json_t *model_analysis_run_spec_json(const struct model_analysis_spec *spec,
                                     const struct model_analysis_arg *args, size_t n_args);

#endif
