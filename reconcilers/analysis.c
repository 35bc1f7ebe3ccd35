/* Metric analysis decisions (reconcilers/analysis.h). */
#include "reconcilers/analysis.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/duration.h"

/* ---- measurement phase ---- */

/* Conditions in the order: failure wins, then success. */
static enum model_analysis_phase by_conditions(const struct rec_measure_input *in, const char **msg)
{
	bool has_s = in->success != REC_COND_ABSENT, has_f = in->failure != REC_COND_ABSENT;
	if (has_f && in->failure == REC_COND_TRUE)
		return MODEL_ANALYSIS_FAILED;
	if (in->failure == REC_COND_ERROR || in->success == REC_COND_ERROR)
		return MODEL_ANALYSIS_ERROR;
	if (has_s && in->success == REC_COND_TRUE)
		return MODEL_ANALYSIS_SUCCESSFUL;
	if (has_s && has_f) {
		*msg = "neither successCondition nor failureCondition was met";
		return MODEL_ANALYSIS_INCONCLUSIVE;
	}
	if (has_s) /* success alone, not met */
		return MODEL_ANALYSIS_FAILED;
	/* failure alone and not met, or no condition: a recorded value */
	return MODEL_ANALYSIS_SUCCESSFUL;
}

enum model_analysis_phase rec_measurement_phase(const struct rec_measure_input *in,
                                                const char **fixed_message)
{
	const char *msg = NULL;
	enum model_analysis_phase p;
	switch (in->data) {
	case REC_DATA_PROVIDER_ERROR:
		p = MODEL_ANALYSIS_ERROR;
		break;
	case REC_DATA_NONE:
		p = MODEL_ANALYSIS_INCONCLUSIVE;
		msg = REC_ANALYSIS_NO_DATA;
		break;
	case REC_DATA_JOB_SUCCEEDED:
		p = MODEL_ANALYSIS_SUCCESSFUL;
		break;
	case REC_DATA_JOB_FAILED:
		p = MODEL_ANALYSIS_FAILED;
		break;
	default:
		p = by_conditions(in, &msg);
		break;
	}
	if (fixed_message)
		*fixed_message = msg;
	return p;
}

/* ---- schedule ---- */

static const struct model_measurement *last_measurement(const struct model_metric_result *r)
{
	return r && r->n_measurements > 0 ? &r->measurements[r->n_measurements - 1] : NULL;
}

static bool in_flight(const struct model_measurement *m)
{
	return m && (m->phase == MODEL_ANALYSIS_RUNNING || m->phase == MODEL_ANALYSIS_PENDING ||
	             m->finished_at == 0);
}

/* Seconds between measurements after `last` (an Error retries sooner). */
static int64_t gap_seconds(const struct model_metric *m, const struct model_measurement *last)
{
	int64_t interval = m->has_interval ? model_duration_seconds_ceil(m->interval_ns) : 0;
	if (last->phase != MODEL_ANALYSIS_ERROR)
		return interval;
	if (interval > 0 && interval < REC_ANALYSIS_ERROR_RETRY_SECONDS)
		return interval;
	return REC_ANALYSIS_ERROR_RETRY_SECONDS;
}

struct rec_schedule rec_metric_schedule(const struct model_metric *m,
                                        const struct model_metric_result *r, time_t run_started,
                                        bool terminating, time_t now)
{
	struct rec_schedule s = {.kind = REC_SCHEDULE_DONE};
	const struct model_measurement *last = last_measurement(r);
	if ((r && model_analysis_phase_completed(r->phase)) || terminating)
		return s;
	if (in_flight(last)) {
		s.kind = REC_SCHEDULE_IN_FLIGHT;
		return s;
	}
	if (m->count > 0 && r && r->count >= m->count)
		return s;
	if (last)
		s.at = last->finished_at + (time_t)gap_seconds(m, last);
	else if (r && r->count + r->error > 0)
		s.at = now; /* measured before, but nothing kept: measure again */
	else
		s.at = run_started + (time_t)model_duration_seconds_ceil(m->initial_delay_ns);
	s.kind = s.at <= now ? REC_SCHEDULE_DUE : REC_SCHEDULE_WAIT;
	return s;
}

/* ---- metric phase ---- */

/* Failed, Error or Inconclusive by the limits, or PENDING for none. */
static enum model_analysis_phase by_limits(const struct model_metric *m,
                                           const struct model_metric_result *r)
{
	if (m->failure_limit >= 0 && r->failed > m->failure_limit)
		return MODEL_ANALYSIS_FAILED;
	if (m->consecutive_error_limit >= 0 && r->consecutive_error > m->consecutive_error_limit)
		return MODEL_ANALYSIS_ERROR;
	if (m->inconclusive_limit >= 0 && r->inconclusive > m->inconclusive_limit)
		return MODEL_ANALYSIS_INCONCLUSIVE;
	return MODEL_ANALYSIS_PENDING;
}

enum model_analysis_phase rec_metric_phase(const struct model_metric *m,
                                           const struct model_metric_result *r, bool terminating)
{
	const struct model_measurement *last = last_measurement(r);
	if (!r || (!last && r->count + r->error == 0))
		return terminating ? MODEL_ANALYSIS_SUCCESSFUL : MODEL_ANALYSIS_PENDING;
	if (in_flight(last) && !terminating)
		return MODEL_ANALYSIS_RUNNING;
	enum model_analysis_phase p = by_limits(m, r);
	if (p != MODEL_ANALYSIS_PENDING)
		return p;
	if ((m->count > 0 && r->count >= m->count) || terminating)
		return MODEL_ANALYSIS_SUCCESSFUL;
	return MODEL_ANALYSIS_RUNNING;
}

/* ---- status ---- */

int rec_analysis_start(const struct model_analysis_spec *spec, struct model_analysis_status *st,
                       time_t now)
{
	size_t missing = 0;
	for (size_t i = 0; i < spec->n_metrics; i++)
		missing += model_analysis_result(st, spec->metrics[i].name) ? 0 : 1;
	if (missing > 0) {
		struct model_metric_result *rs =
		    realloc(st->results, (st->n_results + missing) * sizeof(*rs));
		if (!rs)
			return -ENOMEM;
		st->results = rs;
	}
	for (size_t i = 0; i < spec->n_metrics; i++) {
		const struct model_metric *m = &spec->metrics[i];
		if (model_analysis_result(st, m->name))
			continue;
		struct model_metric_result *r = &st->results[st->n_results];
		memset(r, 0, sizeof(*r));
		r->name = strdup(m->name);
		if (!r->name)
			return -ENOMEM;
		r->dry_run = m->dry_run;
		st->n_results++;
	}
	if (st->started_at == 0) {
		st->started_at = now;
		st->phase = MODEL_ANALYSIS_RUNNING;
	}
	return 0;
}

/* Copies p's text, or NULL for none. *oom on failure. */
static char *public_copy(const struct model_public *p, bool *oom)
{
	if (!p || !p->text)
		return NULL;
	char *d = strdup(p->text);
	if (!d)
		*oom = true;
	return d;
}

static void count(struct model_metric_result *r, enum model_analysis_phase p)
{
	if (p == MODEL_ANALYSIS_ERROR) {
		r->error++;
		r->consecutive_error++;
		return;
	}
	r->consecutive_error = 0;
	r->count++;
	if (p == MODEL_ANALYSIS_SUCCESSFUL)
		r->successful++;
	else if (p == MODEL_ANALYSIS_FAILED)
		r->failed++;
	else if (p == MODEL_ANALYSIS_INCONCLUSIVE)
		r->inconclusive++;
}

/* Drops the oldest measurements beyond keep (>= 1). */
static void trim(struct model_metric_result *r, size_t keep)
{
	if (r->n_measurements <= keep)
		return;
	size_t drop = r->n_measurements - keep;
	for (size_t i = 0; i < drop; i++)
		model_measurement_clear(&r->measurements[i]);
	memmove(r->measurements, r->measurements + drop, keep * sizeof(*r->measurements));
	r->n_measurements = keep;
}

int rec_metric_record(const struct model_metric *m, struct model_metric_result *r,
                      const struct rec_measurement *x)
{
	bool oom = false;
	struct model_measurement nm = {.phase = x->phase,
	                               .value = public_copy(x->value, &oom),
	                               .message = public_copy(x->message, &oom),
	                               .started_at = x->started_at,
	                               .finished_at = x->finished_at};
	bool replace = in_flight(last_measurement(r));
	if (!oom && !replace) {
		struct model_measurement *ms =
		    realloc(r->measurements, (r->n_measurements + 1) * sizeof(*ms));
		if (ms)
			r->measurements = ms;
		oom = !ms;
	}
	if (oom) {
		model_measurement_clear(&nm);
		return -ENOMEM;
	}
	if (replace)
		model_measurement_clear(&r->measurements[r->n_measurements - 1]);
	else
		r->n_measurements++;
	r->measurements[r->n_measurements - 1] = nm;
	if (!in_flight(&nm))
		count(r, nm.phase);
	trim(r, m->retention > 0 ? (size_t)m->retention : MODEL_ANALYSIS_DEFAULT_RETENTION);
	r->dry_run = m->dry_run;
	r->phase = rec_metric_phase(m, r, false);
	char *msg = rec_metric_summary(m, r);
	if (msg) {
		free(r->message);
		r->message = msg;
	}
	return 0;
}

/* ---- run ---- */

/* The order, worst last. */
static int rank(enum model_analysis_phase p)
{
	switch (p) {
	case MODEL_ANALYSIS_SUCCESSFUL:
		return 0;
	case MODEL_ANALYSIS_PENDING:
	case MODEL_ANALYSIS_RUNNING:
		return 1;
	case MODEL_ANALYSIS_INCONCLUSIVE:
		return 2;
	case MODEL_ANALYSIS_ERROR:
		return 3;
	case MODEL_ANALYSIS_FAILED:
		return 4;
	}
	return 1;
}

bool rec_run_terminating(const struct model_analysis_spec *spec,
                         const struct model_analysis_status *st)
{
	if (spec->terminate)
		return true;
	for (size_t i = 0; i < spec->n_metrics; i++) {
		const struct model_metric *m = &spec->metrics[i];
		const struct model_metric_result *r = model_analysis_result(st, m->name);
		if (!m->dry_run && r && rank(r->phase) >= 2)
			return true;
	}
	return false;
}

enum model_analysis_phase rec_run_phase(const struct model_analysis_spec *spec,
                                        const struct model_analysis_status *st,
                                        const struct model_metric_result **worst)
{
	enum model_analysis_phase p = MODEL_ANALYSIS_SUCCESSFUL;
	const struct model_metric_result *w = NULL;
	bool dry_pending = false;
	for (size_t i = 0; i < spec->n_metrics; i++) {
		const struct model_metric *m = &spec->metrics[i];
		const struct model_metric_result *r = model_analysis_result(st, m->name);
		enum model_analysis_phase mp = r ? r->phase : MODEL_ANALYSIS_PENDING;
		if (m->dry_run) {
			dry_pending = dry_pending || !model_analysis_phase_completed(mp);
			continue;
		}
		if (rank(mp) > rank(p)) {
			p = mp == MODEL_ANALYSIS_PENDING ? MODEL_ANALYSIS_RUNNING : mp;
			w = r;
		}
	}
	/* Dry-run metrics do not decide, but the run is not over before them. */
	if (p == MODEL_ANALYSIS_SUCCESSFUL && dry_pending)
		p = MODEL_ANALYSIS_RUNNING;
	if (worst)
		*worst = w;
	return p;
}

/* Counts the metric in its summary. */
static void summarise(struct model_run_summary *sm, enum model_analysis_phase p)
{
	sm->count++;
	if (p == MODEL_ANALYSIS_SUCCESSFUL)
		sm->successful++;
	else if (p == MODEL_ANALYSIS_FAILED)
		sm->failed++;
	else if (p == MODEL_ANALYSIS_INCONCLUSIVE)
		sm->inconclusive++;
	else if (p == MODEL_ANALYSIS_ERROR)
		sm->error++;
}

int rec_analysis_assess(const struct model_analysis_spec *spec, struct model_analysis_status *st)
{
	/* Terminating is decided on the phases as recorded, then every metric
	 * is assessed with it, so a failure stops the others in the same pass. */
	bool terminating = rec_run_terminating(spec, st);
	st->run_summary = (struct model_run_summary){0};
	st->dry_run_summary = (struct model_run_summary){0};
	for (size_t i = 0; i < spec->n_metrics; i++) {
		const struct model_metric *m = &spec->metrics[i];
		struct model_metric_result *r = model_analysis_result(st, m->name);
		if (!r) {
			summarise(m->dry_run ? &st->dry_run_summary : &st->run_summary,
			          MODEL_ANALYSIS_PENDING);
			continue;
		}
		r->phase = rec_metric_phase(m, r, terminating);
		summarise(m->dry_run ? &st->dry_run_summary : &st->run_summary, r->phase);
		char *msg = rec_metric_summary(m, r);
		if (!msg)
			return -ENOMEM;
		free(r->message);
		r->message = msg;
	}
	const struct model_metric_result *w = NULL;
	st->phase = rec_run_phase(spec, st, &w);
	char *msg = NULL;
	if (w && rank(w->phase) >= 2) {
		msg = rec_metric_summary(model_analysis_metric(spec, w->name), w);
		if (!msg)
			return -ENOMEM;
	}
	free(st->message);
	st->message = msg;
	return 0;
}

time_t rec_analysis_next_wakeup(const struct model_analysis_spec *spec,
                                const struct model_analysis_status *st, time_t now)
{
	bool terminating = rec_run_terminating(spec, st);
	time_t next = 0;
	for (size_t i = 0; i < spec->n_metrics; i++) {
		const struct model_metric *m = &spec->metrics[i];
		struct rec_schedule s = rec_metric_schedule(m, model_analysis_result(st, m->name),
		                                            st->started_at, terminating, now);
		if (s.kind == REC_SCHEDULE_WAIT && (next == 0 || s.at < next))
			next = s.at;
	}
	return next;
}
