/*
 * The decisions of metric analysis (issue 14), pure: time is passed in, the
 * conditions' outcomes are passed in (model/expr.h evaluates them), and
 * everything a decision needs lives in the AnalysisRun's status, so a
 * controller killed mid-run and started again decides the same.
 *
 * Scheduling. A metric's first measurement is due at the run's startedAt
 * plus initialDelay; each next one at the previous measurement's finishedAt
 * plus interval (after an Error, plus the smaller of interval and 10 s, as
 * Argo Rollouts retries). Because each due time hangs off the last
 * measurement taken, a controller that was down for many intervals takes
 * one catch-up measurement when it is back, and the next one an interval
 * after that: never a burst, and never more measurements than `count`.
 * Error measurements do not count towards `count` (as Argo).
 *
 * Measurement phase, from what the provider gave and the two conditions:
 *   - a provider error is Error (its message, redacted, says why);
 *   - no data is Inconclusive with the message "no data", never a pass;
 *   - a Job decides by itself: completed is Successful, failed is Failed;
 *   - with both conditions, failure wins, then success, else Inconclusive;
 *     with one, its outcome decides (a success condition not met is
 *     Failed, a failure condition not met Successful); with none, a value
 *     is Successful (a metric only recorded); a condition that cannot be
 *     evaluated is Error.
 *
 * Metric phase, from the counts (Argo's limits): Failed when failed >
 * failureLimit, Error when consecutiveError > consecutiveErrorLimit,
 * Inconclusive when inconclusive > inconclusiveLimit (checked in that order,
 * the "worst first"; -1 turns a limit off); Successful once `count`
 * measurements are taken, or when the run is terminated; Running while a
 * measurement is in flight or more are due; Pending before the first.
 *
 * Run phase: the worst of the metrics that are not dry-run, Failed > Error >
 * Inconclusive > Running (and Pending) > Successful. A run with only
 * dry-run metrics is Successful once they are all done. The run terminates
 * (every metric stops) when spec.terminate is set or a counted metric ends
 * Failed, Error or Inconclusive.
 *
 * Everything written to status is model_public text (model/analysis-args.h):
 * a secret cannot reach it through these functions.
 */
#ifndef SLIPWAY_RECONCILERS_ANALYSIS_H
#define SLIPWAY_RECONCILERS_ANALYSIS_H

#include <stdbool.h>
#include <time.h>

#include "model/analysis-args.h"
#include "model/analysis.h"

/* After an Error, the next try comes this soon (or after interval, if less). */
#define REC_ANALYSIS_ERROR_RETRY_SECONDS 10
/* The measurement message of a query that returned nothing. */
#define REC_ANALYSIS_NO_DATA "no data"

/* What evaluating one condition gave. */
enum rec_cond {
	REC_COND_ABSENT = 0, /* the metric has no such condition */
	REC_COND_TRUE,
	REC_COND_FALSE,
	REC_COND_ERROR, /* it could not be evaluated (e.g. a type error) */
};

/* What the provider gave. */
enum rec_data {
	REC_DATA_VALUE = 0,      /* a result: the conditions decide */
	REC_DATA_NONE,           /* no data (an empty vector, a missing jsonPath) */
	REC_DATA_PROVIDER_ERROR, /* the request or the provider failed */
	REC_DATA_JOB_SUCCEEDED,  /* a Job completed */
	REC_DATA_JOB_FAILED,     /* a Job failed */
};

struct rec_measure_input {
	enum rec_data data;
	enum rec_cond success; /* successCondition's outcome */
	enum rec_cond failure; /* failureCondition's outcome */
};

/* The measurement's phase; *fixed_message, when not NULL, gets the
 * message the rule implies (REC_ANALYSIS_NO_DATA, "neither condition was
 * met") or NULL when the caller's (a provider's or evaluator's) applies. */
enum model_analysis_phase rec_measurement_phase(const struct rec_measure_input *in,
                                                const char **fixed_message);

/* When the next measurement of a metric is. */
enum rec_schedule_kind {
	REC_SCHEDULE_DUE = 1,   /* take one now */
	REC_SCHEDULE_WAIT,      /* take one at `at` */
	REC_SCHEDULE_IN_FLIGHT, /* the last one has not finished: finish it */
	REC_SCHEDULE_DONE,      /* no more */
};

struct rec_schedule {
	enum rec_schedule_kind kind;
	time_t at; /* WAIT: when; DUE: when it was due */
};

/* Metric m's schedule given its result r (NULL = nothing measured yet),
 * the run's start, whether the run terminates, and now. */
struct rec_schedule rec_metric_schedule(const struct model_metric *m,
                                        const struct model_metric_result *r, time_t run_started,
                                        bool terminating, time_t now);

/* The metric's phase from its counts and last measurement (r may be NULL:
 * nothing measured yet). */
enum model_analysis_phase rec_metric_phase(const struct model_metric *m,
                                           const struct model_metric_result *r, bool terminating);

/* Starts a run's status when it has none: startedAt = now, phase Running,
 * a Pending result per metric (dryRun marked). Results already there are
 * kept (a restarted controller). 0 or -ENOMEM (status then unchanged
 * beyond results it could add). */
int rec_analysis_start(const struct model_analysis_spec *spec, struct model_analysis_status *st,
                       time_t now);

/* One measurement to record. */
struct rec_measurement {
	enum model_analysis_phase phase;    /* RUNNING: started, in flight */
	const struct model_public *value;   /* NULL = none */
	const struct model_public *message; /* NULL = none */
	time_t started_at;
	time_t finished_at; /* 0 while in flight */
};

/* Records x in r (the result of metric m): replaces an in-flight last
 * measurement or appends, counts it when finished, keeps the newest
 * m->retention measurements, and sets r's phase and message. 0 or -ENOMEM
 * (r unchanged). */
int rec_metric_record(const struct model_metric *m, struct model_metric_result *r,
                      const struct rec_measurement *x);

/* Whether the run stops measuring: spec.terminate, or a metric that is not
 * dry-run has ended Failed, Error or Inconclusive. */
bool rec_run_terminating(const struct model_analysis_spec *spec,
                         const struct model_analysis_status *st);

/* The run's phase (see above). *worst, when not NULL, gets the metric
 * result that decided it (NULL when none did: all Successful or no
 * result yet). */
enum model_analysis_phase rec_run_phase(const struct model_analysis_spec *spec,
                                        const struct model_analysis_status *st,
                                        const struct model_metric_result **worst);

/* Re-assesses every metric's phase and message, the run's phase and
 * message (the summary of the metric that decided it, when it is Failed,
 * Error or Inconclusive) and the run's runSummary / dryRunSummary.
 * 0 or -ENOMEM. */
int rec_analysis_assess(const struct model_analysis_spec *spec, struct model_analysis_status *st);

/* A metric's summary, for the run's message, a Release's status and its
 * Event: template (when it differs from the metric), metric, last value
 * and the condition, e.g. "error-rate: 0.31 >= 0.2 (failure condition) in
 * 2 of 5 measurements". Caller frees; NULL on ENOMEM. */
char *rec_metric_summary(const struct model_metric *m, const struct model_metric_result *r);

/* The earliest time a metric of the run is due after now (for a requeue),
 * or 0 when none waits (all due, in flight or done). */
time_t rec_analysis_next_wakeup(const struct model_analysis_spec *spec,
                                const struct model_analysis_status *st, time_t now);

#endif
