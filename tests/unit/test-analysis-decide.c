/* reconcilers/analysis.h: the decisions of metric analysis, one table per
 * rule: measurement phase, schedule (with a controller restarted late),
 * metric phase by the limits, run phase order, dry-run, retention and the
 * summary a person reads. */
#include "tap.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "model/analysis-args.h"
#include "model/duration.h"
#include "reconcilers/analysis.h"

#define S MODEL_ANALYSIS_SUCCESSFUL
#define F MODEL_ANALYSIS_FAILED
#define E MODEL_ANALYSIS_ERROR
#define I MODEL_ANALYSIS_INCONCLUSIVE
#define R MODEL_ANALYSIS_RUNNING
#define P MODEL_ANALYSIS_PENDING

#define T  REC_COND_TRUE
#define FA REC_COND_FALSE
#define ER REC_COND_ERROR
#define AB REC_COND_ABSENT

static const struct {
	const char *why;
	struct rec_measure_input in;
	enum model_analysis_phase want;
	const char *msg; /* the fixed message, NULL = the caller's */
} measure_rows[] = {
    {"both: failure true wins", {REC_DATA_VALUE, T, T}, F, NULL},
    {"both: failure true, success false", {REC_DATA_VALUE, FA, T}, F, NULL},
    {"both: success true", {REC_DATA_VALUE, T, FA}, S, NULL},
    {"both: neither",
     {REC_DATA_VALUE, FA, FA},
     I,
     "neither successCondition nor failureCondition was met"},
    {"both: failure cannot be evaluated", {REC_DATA_VALUE, T, ER}, E, NULL},
    {"both: failure false, success cannot be evaluated", {REC_DATA_VALUE, ER, FA}, E, NULL},
    {"both: failure true beats a success error", {REC_DATA_VALUE, ER, T}, F, NULL},
    {"success alone true", {REC_DATA_VALUE, T, AB}, S, NULL},
    {"success alone false is Failed", {REC_DATA_VALUE, FA, AB}, F, NULL},
    {"success alone error", {REC_DATA_VALUE, ER, AB}, E, NULL},
    {"failure alone true", {REC_DATA_VALUE, AB, T}, F, NULL},
    {"failure alone false is Successful", {REC_DATA_VALUE, AB, FA}, S, NULL},
    {"no conditions: a recorded value", {REC_DATA_VALUE, AB, AB}, S, NULL},
    {"no data is Inconclusive \"no data\", whatever the conditions",
     {REC_DATA_NONE, T, FA},
     I,
     "no data"},
    {"no data with failure alone is no pass", {REC_DATA_NONE, AB, FA}, I, "no data"},
    {"a provider error", {REC_DATA_PROVIDER_ERROR, T, FA}, E, NULL},
    {"a Job that completed", {REC_DATA_JOB_SUCCEEDED, AB, AB}, S, NULL},
    {"a Job that failed", {REC_DATA_JOB_FAILED, T, AB}, F, NULL},
};

static void check_measurement_phase(void)
{
	for (size_t i = 0; i < sizeof(measure_rows) / sizeof(measure_rows[0]); i++) {
		const char *msg = "unset";
		enum model_analysis_phase p = rec_measurement_phase(&measure_rows[i].in, &msg);
		is_str(model_analysis_phase_name(p),
		       model_analysis_phase_name(measure_rows[i].want), "%s", measure_rows[i].why);
		is_str(msg, measure_rows[i].msg, "%s: message", measure_rows[i].why);
	}
}

/* A metric: interval (s, 0 = none), count, initialDelay (s). */
static struct model_metric metric(int interval, int count, int delay)
{
	struct model_metric m = {.name = "error-rate",
	                         .has_interval = interval > 0,
	                         .interval_ns = interval * MODEL_NS_PER_SECOND,
	                         .initial_delay_ns = delay * MODEL_NS_PER_SECOND,
	                         .count = count,
	                         .failure_limit = 0,
	                         .inconclusive_limit = 0,
	                         .consecutive_error_limit = 4,
	                         .retention = MODEL_ANALYSIS_DEFAULT_RETENTION,
	                         .provider = MODEL_PROVIDER_PROMETHEUS};
	return m;
}

#define START 1000
#define MAXM  4

static const struct {
	const char *why;
	int interval, count, delay;
	int n;                                  /* measurements kept */
	enum model_analysis_phase phases[MAXM]; /* of them, oldest first */
	time_t finished[MAXM];                  /* 0 = in flight */
	int counted, errors;                    /* r->count, r->error */
	bool terminating;
	time_t now;
	enum rec_schedule_kind want;
	time_t at;
} sched_rows[] = {
    {"before initialDelay: wait for it",
     30,
     5,
     10,
     0,
     {0},
     {0},
     0,
     0,
     false,
     1005,
     REC_SCHEDULE_WAIT,
     1010},
    {"at initialDelay: due", 30, 5, 10, 0, {0}, {0}, 0, 0, false, 1010, REC_SCHEDULE_DUE, 1010},
    {"no initialDelay: due at once",
     30,
     5,
     0,
     0,
     {0},
     {0},
     0,
     0,
     false,
     START,
     REC_SCHEDULE_DUE,
     START},
    {"one interval after the last finished",
     30,
     5,
     0,
     1,
     {S},
     {1040},
     1,
     0,
     false,
     1060,
     REC_SCHEDULE_WAIT,
     1070},
    {"restarted long after: one catch-up, due now",
     30,
     5,
     0,
     2,
     {S, S},
     {1040, 1070},
     2,
     0,
     false,
     5000,
     REC_SCHEDULE_DUE,
     1100},
    {"after the catch-up, an interval again (no burst)",
     30,
     5,
     0,
     3,
     {S, S, S},
     {1040, 1070, 5001},
     3,
     0,
     false,
     5001,
     REC_SCHEDULE_WAIT,
     5031},
    {"count reached: done",
     30,
     2,
     0,
     2,
     {S, F},
     {1000, 1030},
     2,
     0,
     false,
     9999,
     REC_SCHEDULE_DONE,
     0},
    {"a measurement in flight",
     30,
     5,
     0,
     1,
     {R},
     {0},
     0,
     0,
     false,
     2000,
     REC_SCHEDULE_IN_FLIGHT,
     0},
    {"after an Error: retry in 10s, not the interval",
     60,
     5,
     0,
     1,
     {E},
     {1000},
     0,
     1,
     false,
     1005,
     REC_SCHEDULE_WAIT,
     1010},
    {"after an Error: the interval when shorter",
     5,
     5,
     0,
     1,
     {E},
     {1000},
     0,
     1,
     false,
     1001,
     REC_SCHEDULE_WAIT,
     1005},
    {"one measurement, it errored: retried (errors do not count)",
     0,
     1,
     0,
     1,
     {E},
     {1000},
     0,
     1,
     false,
     1010,
     REC_SCHEDULE_DUE,
     1010},
    {"one measurement, taken: done",
     0,
     1,
     0,
     1,
     {S},
     {1000},
     1,
     0,
     false,
     1010,
     REC_SCHEDULE_DONE,
     0},
    {"unbounded: never done by count",
     30,
     0,
     0,
     3,
     {S, S, S},
     {1000, 1030, 1060},
     1000,
     0,
     false,
     1090,
     REC_SCHEDULE_DUE,
     1090},
    {"terminating: done", 30, 0, 0, 1, {S}, {1000}, 1, 0, true, 1090, REC_SCHEDULE_DONE, 0},
};

/* A result from a sched_rows-like description; measurements point into m. */
static struct model_metric_result result(int n, const enum model_analysis_phase *phases,
                                         const time_t *finished, int counted, int errors,
                                         struct model_measurement *m)
{
	for (int i = 0; i < n; i++)
		m[i] =
		    (struct model_measurement){.phase = phases[i],
		                               .started_at = finished[i] ? finished[i] - 1 : 2000,
		                               .finished_at = finished[i]};
	struct model_metric_result r = {.name = "error-rate",
	                                .phase = n ? R : P,
	                                .count = counted,
	                                .error = errors,
	                                .n_measurements = (size_t)n,
	                                .measurements = m};
	return r;
}

static void check_schedule(void)
{
	for (size_t i = 0; i < sizeof(sched_rows) / sizeof(sched_rows[0]); i++) {
		struct model_metric m =
		    metric(sched_rows[i].interval, sched_rows[i].count, sched_rows[i].delay);
		struct model_measurement ms[MAXM];
		struct model_metric_result r =
		    result(sched_rows[i].n, sched_rows[i].phases, sched_rows[i].finished,
		           sched_rows[i].counted, sched_rows[i].errors, ms);
		struct rec_schedule s =
		    rec_metric_schedule(&m, sched_rows[i].n ? &r : NULL, START,
		                        sched_rows[i].terminating, sched_rows[i].now);
		is_int(s.kind, sched_rows[i].want, "%s: kind", sched_rows[i].why);
		if (sched_rows[i].want == REC_SCHEDULE_WAIT ||
		    sched_rows[i].want == REC_SCHEDULE_DUE)
			is_int(s.at, sched_rows[i].at, "%s: at", sched_rows[i].why);
	}
}

static const struct {
	const char *why;
	int failure_limit, inconclusive_limit, error_limit, count;
	int counted, failed, inconclusive, consecutive_error;
	enum model_analysis_phase last; /* the last measurement's phase */
	bool terminating;
	enum model_analysis_phase want;
} limit_rows[] = {
    {"failed 1, failureLimit 1: running on", 1, 0, 4, 5, 2, 1, 0, 0, F, false, R},
    {"failed 2 > failureLimit 1: Failed", 1, 0, 4, 5, 3, 2, 0, 0, F, false, F},
    {"failureLimit 0: the first failure fails", 0, 0, 4, 5, 1, 1, 0, 0, F, false, F},
    {"failureLimit -1: never by failures", -1, 0, 4, 5, 4, 4, 0, 0, F, false, R},
    {"inconclusive 1 > inconclusiveLimit 0", 0, 0, 4, 5, 1, 0, 1, 0, I, false, I},
    {"inconclusive 1, inconclusiveLimit 1: running on", 0, 1, 4, 5, 1, 0, 1, 0, I, false, R},
    {"consecutiveError 5 > 4: Error", 0, 0, 4, 5, 0, 0, 0, 5, E, false, E},
    {"consecutiveError 4: running on", 0, 0, 4, 5, 0, 0, 0, 4, E, false, R},
    {"Failed beats Error and Inconclusive", 0, 0, 0, 5, 2, 1, 1, 1, E, false, F},
    {"Error beats Inconclusive", 0, 0, 0, 5, 1, 0, 1, 1, E, false, E},
    {"count reached within the limits: Successful", 1, 1, 4, 5, 5, 1, 1, 0, S, false, S},
    {"unbounded, terminated: Successful", 0, 0, 4, 0, 3, 0, 0, 0, S, true, S},
    {"terminated but failed: still Failed", 0, 0, 4, 0, 3, 1, 0, 0, F, true, F},
    {"in flight: Running", 0, 0, 4, 5, 1, 0, 0, 0, R, false, R},
};

static void check_metric_phase(void)
{
	for (size_t i = 0; i < sizeof(limit_rows) / sizeof(limit_rows[0]); i++) {
		struct model_metric m = metric(30, limit_rows[i].count, 0);
		m.failure_limit = limit_rows[i].failure_limit;
		m.inconclusive_limit = limit_rows[i].inconclusive_limit;
		m.consecutive_error_limit = limit_rows[i].error_limit;
		struct model_measurement last = {.phase = limit_rows[i].last,
		                                 .started_at = 1000,
		                                 .finished_at = limit_rows[i].last == R ? 0 : 1001};
		struct model_metric_result r = {.name = "error-rate",
		                                .count = limit_rows[i].counted,
		                                .failed = limit_rows[i].failed,
		                                .inconclusive = limit_rows[i].inconclusive,
		                                .consecutive_error =
		                                    limit_rows[i].consecutive_error,
		                                .n_measurements = 1,
		                                .measurements = &last};
		enum model_analysis_phase p = rec_metric_phase(&m, &r, limit_rows[i].terminating);
		is_str(model_analysis_phase_name(p), model_analysis_phase_name(limit_rows[i].want),
		       "%s", limit_rows[i].why);
	}
	struct model_metric m = metric(30, 5, 0);
	is_int(rec_metric_phase(&m, NULL, false), P, "nothing measured: Pending");
	is_int(rec_metric_phase(&m, NULL, true), S, "nothing measured, terminated: Successful");
}

#define NM 4

static const struct {
	const char *why;
	int n;
	enum model_analysis_phase phases[NM];
	bool dry[NM];
	bool terminate;
	enum model_analysis_phase want;
	int decided_by; /* index of the result that decided, -1 none */
	bool terminating;
} run_rows[] = {
    {"all Successful", 2, {S, S}, {0}, false, S, -1, false},
    {"Running beats Successful", 2, {S, R}, {0}, false, R, 1, false},
    {"Pending reads as Running", 2, {S, P}, {0}, false, R, 1, false},
    {"Inconclusive beats Running", 3, {R, I, S}, {0}, false, I, 1, true},
    {"Error beats Inconclusive", 3, {I, E, R}, {0}, false, E, 1, true},
    {"Failed beats Error", 4, {E, S, F, I}, {0}, false, F, 2, true},
    {"a dry-run failure does not count", 2, {F, S}, {true, false}, false, S, -1, false},
    {"only dry-run, one running: Running", 2, {F, R}, {true, true}, false, R, -1, false},
    {"only dry-run, all done: Successful", 2, {F, E}, {true, true}, false, S, -1, false},
    {"spec.terminate terminates", 1, {R}, {0}, true, R, 0, true},
};

static const char *names[NM] = {"a", "b", "c", "d"};

static void check_run_phase(void)
{
	for (size_t i = 0; i < sizeof(run_rows) / sizeof(run_rows[0]); i++) {
		struct model_metric ms[NM];
		struct model_metric_result rs[NM];
		for (int k = 0; k < run_rows[i].n; k++) {
			ms[k] = metric(30, 5, 0);
			ms[k].name = (char *)names[k];
			ms[k].dry_run = run_rows[i].dry[k];
			rs[k] = (struct model_metric_result){.name = (char *)names[k],
			                                     .phase = run_rows[i].phases[k],
			                                     .dry_run = run_rows[i].dry[k]};
		}
		struct model_analysis_spec spec = {.n_metrics = (size_t)run_rows[i].n,
		                                   .metrics = ms,
		                                   .terminate = run_rows[i].terminate};
		struct model_analysis_status st = {.n_results = (size_t)run_rows[i].n,
		                                   .results = rs};
		const struct model_metric_result *w = NULL;
		enum model_analysis_phase p = rec_run_phase(&spec, &st, &w);
		is_str(model_analysis_phase_name(p), model_analysis_phase_name(run_rows[i].want),
		       "%s", run_rows[i].why);
		ok(w == (run_rows[i].decided_by < 0 ? NULL : &rs[run_rows[i].decided_by]),
		   "%s: decided by the right metric", run_rows[i].why);
		is_int(rec_run_terminating(&spec, &st), run_rows[i].terminating, "%s: terminating",
		       run_rows[i].why);
	}
}

/* Records a finished measurement with a value. */
static int record(const struct model_metric *m, struct model_metric_result *r,
                  enum model_analysis_phase p, const char *value, time_t at)
{
	struct model_public v = {0};
	if (value && model_public_literal(value, &v) != 0)
		return -1;
	struct rec_measurement x = {
	    .phase = p, .value = value ? &v : NULL, .started_at = at, .finished_at = at + 1};
	int ret = rec_metric_record(m, r, &x);
	model_public_clear(&v);
	return ret;
}

static void check_record_and_retention(void)
{
	struct model_metric m = metric(30, 0, 0);
	struct model_metric_result r = {.name = strdup("error-rate")};
	char v[16];
	for (int i = 0; i < 12; i++) {
		snprintf(v, sizeof(v), "%d", i);
		record(&m, &r, i == 5 ? E : S, v, 1000 + 30 * i);
	}
	is_int(r.n_measurements, 10, "retention 10 keeps 10");
	is_str(r.measurements[0].value, "2", "the two oldest dropped");
	is_str(r.measurements[9].value, "11", "the newest last");
	is_int(r.count, 11, "count: the measurements without Error");
	is_int(r.successful, 11, "successful");
	is_int(r.error, 1, "error");
	is_int(r.consecutive_error, 0, "consecutiveError reset by a later success");
	is_int(r.phase, R, "unbounded: Running");

	m.retention = 3;
	record(&m, &r, S, "12", 2000);
	is_int(r.n_measurements, 3, "measurementRetention 3");
	is_str(r.measurements[0].value, "10", "the newest three");

	/* In flight, then finished: one measurement, counted once. */
	struct rec_measurement started = {.phase = R, .started_at = 3000};
	rec_metric_record(&m, &r, &started);
	is_int(r.n_measurements, 3, "an in-flight measurement takes a slot");
	is_int(r.measurements[2].phase, R, "shown as Running");
	is_int(r.count, 12, "not counted yet");
	record(&m, &r, F, "0.9", 3000);
	is_int(r.n_measurements, 3, "finishing replaces it");
	is_int(r.count, 13, "counted once");
	is_int(r.failed, 1, "as Failed");
	is_int(r.phase, F, "failureLimit 0: Failed");
	model_metric_result_clear(&r);
}

/* The example message, from the example metric. */
static void check_summary(void)
{
	struct model_metric m = metric(30, 5, 0);
	m.failure_limit = 1;
	m.success_condition = "result[0] < 0.05";
	m.failure_condition = "result[0] >= 0.2";
	m.template_name = "error-rate";
	struct model_metric_result r = {.name = strdup("error-rate")};
	const char *vals[] = {"0.01", "0.02", "0.25", "0.03", "0.31"};
	const enum model_analysis_phase ps[] = {S, S, F, S, F};
	for (int i = 0; i < 5; i++)
		record(&m, &r, ps[i], vals[i], 1000 + 30 * i);
	is_int(r.phase, F, "two failures > failureLimit 1");
	is_str(r.message, "error-rate: 0.31 >= 0.2 (failure condition) in 2 of 5 measurements",
	       "the issue's message");
	model_metric_result_clear(&r);

	struct model_metric web = metric(0, 1, 0);
	web.name = "smoke";
	web.success_condition = "result == 'ok'";
	web.template_name = "checks";
	r = (struct model_metric_result){.name = strdup("smoke")};
	record(&web, &r, F, "'down'", 1000);
	is_str(r.message,
	       "checks/smoke: 'down' == 'ok' is false (success condition) in 1 of 1 "
	       "measurements",
	       "success condition alone; the template named when it differs");
	model_metric_result_clear(&r);

	struct model_metric odd = metric(0, 1, 0);
	odd.failure_condition = "len(result) == 0";
	r = (struct model_metric_result){.name = strdup("error-rate")};
	record(&odd, &r, F, "[]", 1000);
	is_str(r.message,
	       "error-rate: len(result) == 0 with result [] (failure condition) in 1 of 1 "
	       "measurements",
	       "a condition not starting with result is quoted whole");
	model_metric_result_clear(&r);

	struct model_metric nd = metric(30, 5, 0);
	nd.inconclusive_limit = 1;
	r = (struct model_metric_result){.name = strdup("error-rate")};
	struct model_public msg = {0};
	model_public_literal(REC_ANALYSIS_NO_DATA, &msg);
	for (int i = 0; i < 2; i++) {
		struct rec_measurement x = {.phase = I,
		                            .message = &msg,
		                            .started_at = 1000 + 30 * i,
		                            .finished_at = 1001 + 30 * i};
		rec_metric_record(&nd, &r, &x);
	}
	is_int(r.phase, I, "no data twice > inconclusiveLimit 1");
	is_str(r.message, "error-rate: no data, inconclusive in 2 of 2 measurements",
	       "says no data");
	model_public_clear(&msg);
	model_metric_result_clear(&r);
}

/* A failing metric terminates the run: the unbounded one beside it ends
 * Successful, the run Failed with the failing metric's summary. */
static void check_assess(void)
{
	struct model_metric ms[3] = {metric(30, 2, 0), metric(30, 0, 0), metric(0, 1, 0)};
	ms[0].failure_condition = "result[0] >= 0.2";
	ms[1].name = "latency";
	ms[2].name = "smoke";
	ms[2].dry_run = true;
	struct model_analysis_spec spec = {.n_metrics = 3, .metrics = ms};
	struct model_analysis_status st = {0};
	is_int(rec_analysis_start(&spec, &st, 1000), 0, "start");
	is_int(st.n_results, 3, "a result per metric");
	is_int(st.started_at, 1000, "startedAt");
	ok(st.results[2].dry_run, "dry-run marked in status");
	is_int(rec_analysis_next_wakeup(&spec, &st, 999), 1000, "next wakeup at the start");
	record(&ms[2], &st.results[2], F, "down", 1000);
	record(&ms[1], &st.results[1], S, "0.1", 1000);
	rec_analysis_assess(&spec, &st);
	is_int(st.phase, R, "a dry-run failure does not end the run");
	is_int(rec_analysis_next_wakeup(&spec, &st, 1002), 1031, "latency waits an interval");
	record(&ms[0], &st.results[0], F, "0.5", 1000);
	rec_analysis_assess(&spec, &st);
	is_int(st.phase, F, "Failed");
	is_int(st.results[1].phase, S, "the unbounded metric stops Successful");
	is_int(st.run_summary.count, 2, "runSummary counts the two counted metrics");
	is_int(st.run_summary.failed, 1, "one Failed");
	is_int(st.run_summary.successful, 1, "one Successful");
	is_int(st.dry_run_summary.count, 1, "dryRunSummary the dry-run one");
	is_int(st.dry_run_summary.failed, 1, "Failed");
	is_str(st.message, "error-rate: 0.5 >= 0.2 (failure condition) in 1 of 1 measurements",
	       "the run's message is the failing metric's");
	is_int(rec_analysis_next_wakeup(&spec, &st, 1002), 0, "nothing more to wait for");
	ok(rec_analysis_start(&spec, &st, 5000) == 0 && st.started_at == 1000 && st.n_results == 3,
	   "starting again (a restart) keeps what is there");
	model_analysis_status_clear(&st);
}

#define SECRET "hunter2-token"

/* From a secret in a header to status JSON: the secret never arrives. */
static void check_secret_never_in_status(void)
{
	struct model_analysis_arg args[] = {{.name = "token",
	                                     .source = MODEL_ARG_SECRET,
	                                     .secret_name = "prom",
	                                     .secret_key = "token"}};
	struct model_secret_value sv[] = {{"prom", "token", SECRET}};
	struct model_arg_values vals = {0};
	model_arg_values_bind(args, 1, sv, 1, &vals, NULL);
	struct model_subst header = {0};
	model_subst("Bearer {{args.token}}", &vals, "h", &header, NULL);
	ok(header.secret && strstr(header.text, SECRET), "the request carries the secret");
	/* The provider's error echoes the header. */
	struct model_public msg = {0};
	model_public_redact("rejected Authorization: Bearer " SECRET, &vals, &msg);
	struct model_metric m = metric(0, 1, 0);
	struct model_analysis_spec spec = {.n_metrics = 1, .metrics = &m};
	struct model_analysis_status st = {0};
	rec_analysis_start(&spec, &st, 1000);
	struct rec_measurement x = {
	    .phase = E, .message = &msg, .started_at = 1000, .finished_at = 1001};
	rec_metric_record(&m, &st.results[0], &x);
	rec_analysis_assess(&spec, &st);
	json_t *j = model_analysis_status_to_json(&st);
	char *dump = j ? json_dumps(j, 0) : NULL;
	ok(dump && !strstr(dump, SECRET), "the status has no secret");
	ok(dump && strstr(dump, "Bearer <redacted>"), "but says where it was");
	free(dump);
	json_decref(j);
	model_analysis_status_clear(&st);
	model_public_clear(&msg);
	model_subst_clear(&header);
	model_arg_values_clear(&vals);
}

int main(void)
{
	check_measurement_phase();
	check_schedule();
	check_metric_phase();
	check_run_phase();
	check_record_and_retention();
	check_summary();
	check_assess();
	check_secret_never_in_status();
	return tap_done();
}
