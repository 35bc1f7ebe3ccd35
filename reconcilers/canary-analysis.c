/*
 * The canary's analysis (docs/internals/canary.md, "Analysis"): an analysis
 * step's AnalysisRun, and the background analysis's, through
 * reconcilers/release-analysis.h. Everything is read back from the runs
 * each reconcile; the machine only keeps status.analysisAttempt.
 */
#include "reconcilers/canary-machine.h"

#include <stdio.h>
#include <string.h>

static bool streq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

/* The run of steps[step] (an analysis step), or of the background
 * analysis (step < 0), for the current attempt. purpose is the caller's
 * buffer. */
static struct rec_analysis_request request(const struct rec_canary_machine *m, int32_t step,
                                           char *purpose, size_t len)
{
	const struct rel_release *rel = m->c->rel;
	if (step >= 0)
		snprintf(purpose, len, "%d", (int)step);
	else
		snprintf(purpose, len, "%s", REC_ANALYSIS_BACKGROUND);
	return (struct rec_analysis_request){
	    .analysis = step >= 0 ? &rel->canary.steps[step].analysis : &rel->canary.analysis,
	    .purpose = purpose,
	    .attempt = m->attempt,
	    .latest = rel->revision,
	    .stable = m->stable,
	};
}

/* There is a canary the analysis is about: a stable revision serving and
 * another template rolling out, not aborted. */
static bool analysing(const struct rec_canary_machine *m)
{
	return m->stable_rs && !streq(m->stable, m->c->rel->revision) && !m->abort;
}

static bool step_is_analysis(const struct rec_canary_machine *m)
{
	return m->step < m->n_steps && m->c->rel->canary.steps[m->step].kind == REL_STEP_ANALYSIS;
}

bool rec_canary_background_active(const struct rec_canary_machine *m)
{
	const struct rel_canary *k = &m->c->rel->canary;
	if (!k->has_analysis || !analysing(m) || m->promote_full)
		return false;
	if (m->st == ST_STABLE || m->st == ST_FIRST || m->st == ST_ABORTED)
		return false;
	return m->step >= k->analysis_starting_step;
}

void rec_canary_analysis_load(struct rec_canary_machine *m)
{
	const struct rel_canary_status *cs = &m->c->observed->canary;
	char purpose[32];
	m->step_run_of = -1;
	m->attempt = cs->analysis_attempt;
	for (size_t i = 0; i < cs->n_pause_conditions; i++) {
		if (cs->pause_conditions[i].reason == REL_PAUSE_INCONCLUSIVE_ANALYSIS)
			m->inconclusive_start = cs->pause_conditions[i].start_time;
	}
	if (!m->stable_rs || streq(m->stable, m->c->rel->revision))
		return;
	if (step_is_analysis(m)) {
		struct rec_analysis_request q = request(m, m->step, purpose, sizeof(purpose));
		rec_analysis_observe(m->c, &q, &m->step_run);
		m->step_run_of = m->step;
	}
	if (m->c->rel->canary.has_analysis) {
		struct rec_analysis_request q = request(m, -1, purpose, sizeof(purpose));
		rec_analysis_observe(m->c, &q, &m->bg);
		m->bg_seen = true;
	}
	/* What aborted the canary, for its words while it stays aborted. */
	if (m->step_run_of >= 0 && m->step_run.outcome == REC_ANALYSIS_FAILED)
		m->abort_cause = &m->step_run;
	else if (m->bg_seen && m->bg.outcome == REC_ANALYSIS_FAILED)
		m->abort_cause = &m->bg;
}

bool rec_canary_background_inconclusive(const struct rec_canary_machine *m)
{
	return m->bg_seen && m->bg.outcome == REC_ANALYSIS_INCONCLUSIVE;
}

/* A verdict that holds or aborts; GO otherwise. */
static enum rec_canary_gate verdict(struct rec_canary_machine *m,
                                    const struct rec_analysis_result *res)
{
	switch (res->outcome) {
	case REC_ANALYSIS_FAILED:
		m->abort_cause = res;
		return REC_GATE_ABORT;
	case REC_ANALYSIS_INCONCLUSIVE:
	case REC_ANALYSIS_BLOCKED:
		m->holding = res;
		return REC_GATE_HOLD;
	default:
		return REC_GATE_GO;
	}
}

static int ensure_background(struct rec_canary_machine *m, enum rec_canary_gate *gate)
{
	char purpose[32];
	if (!m->bg_ensured) {
		struct rec_analysis_request q = request(m, -1, purpose, sizeof(purpose));
		int r = rec_analysis_ensure(m->c, &q, &m->runs, &m->bg);
		if (r < 0)
			return r;
		m->bg_ensured = true;
		m->bg_seen = true;
	}
	*gate = verdict(m, &m->bg);
	return 0;
}

static int ensure_step(struct rec_canary_machine *m, enum rec_canary_gate *gate)
{
	char purpose[32];
	if (!m->step_run_ensured || m->step_run_of != m->step) {
		struct rec_analysis_request q = request(m, m->step, purpose, sizeof(purpose));
		int r = rec_analysis_ensure(m->c, &q, &m->runs, &m->step_run);
		if (r < 0)
			return r;
		m->step_run_of = m->step;
		m->step_run_ensured = true;
	}
	*gate = verdict(m, &m->step_run);
	if (*gate == REC_GATE_GO)
		*gate = m->step_run.outcome == REC_ANALYSIS_SUCCEEDED ? REC_GATE_STEP_DONE
		                                                      : REC_GATE_HOLD;
	return 0;
}

int rec_canary_analysis_gate(struct rec_canary_machine *m, enum rec_canary_gate *gate)
{
	*gate = REC_GATE_GO;
	m->holding = NULL;
	if (!analysing(m) || m->st == ST_STABLE || m->st == ST_FIRST)
		return 0;
	if (rec_canary_background_active(m)) {
		int r = ensure_background(m, gate);
		if (r < 0 || *gate != REC_GATE_GO)
			return r;
	}
	if (m->st == ST_ANALYSIS)
		return ensure_step(m, gate);
	return 0;
}

int rec_canary_analysis_tidy(struct rec_canary_machine *m)
{
	char step_name[MODEL_NAME_MAX + 1], bg_name[MODEL_NAME_MAX + 1], purpose[32];
	const char *keep[2];
	size_t n = 0;
	bool stepping = m->st != ST_STABLE && m->st != ST_FIRST;
	if (stepping && analysing(m) && !m->promote_full && step_is_analysis(m)) {
		struct rec_analysis_request q = request(m, m->step, purpose, sizeof(purpose));
		if (rec_analysis_run_name(m->c->rel->name, &q, step_name, sizeof(step_name)) == 0)
			keep[n++] = step_name;
	}
	if (rec_canary_background_active(m)) {
		struct rec_analysis_request q = request(m, -1, purpose, sizeof(purpose));
		if (rec_analysis_run_name(m->c->rel->name, &q, bg_name, sizeof(bg_name)) == 0)
			keep[n++] = bg_name;
	}
	return rec_analysis_tidy(m->c, keep, n, &m->runs);
}
