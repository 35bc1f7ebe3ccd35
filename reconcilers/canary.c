#include "reconcilers/canary.h"
#include "reconcilers/canary-machine.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/condition.h"
#include "model/duration.h"
#include "model/intent.h"
#include "reconcilers/claim.h"
#include "reconcilers/scaling.h"
#include "reconcilers/status.h"
#include "reconcilers/strategy.h"

/* The named transitions; each one's Event is in `transitions`. */
enum transition {
	TR_NEW_CANARY,
	TR_STEP_DONE,
	TR_PAUSE_STARTED,
	TR_PROMOTE,
	TR_PROMOTE_FULL,
	TR_ABORT,
	TR_RETRY,
	TR_ABORT_ENDED,
};

static const struct {
	const char *reason;
	enum rec_event_type type;
} transitions[] = {
    [TR_NEW_CANARY] = {"CanaryStarted", REC_EVENT_NORMAL},
    [TR_STEP_DONE] = {"CanaryStepCompleted", REC_EVENT_NORMAL},
    [TR_PAUSE_STARTED] = {"CanaryPaused", REC_EVENT_NORMAL},
    [TR_PROMOTE] = {"Promoted", REC_EVENT_NORMAL},
    [TR_PROMOTE_FULL] = {"PromotedFull", REC_EVENT_NORMAL},
    [TR_ABORT] = {REC_REASON_ROLLOUT_ABORTED, REC_EVENT_WARNING},
    [TR_RETRY] = {"RolloutRetried", REC_EVENT_NORMAL},
    [TR_ABORT_ENDED] = {"AbortEnded", REC_EVENT_NORMAL},
};

static bool streq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

/* Emits transition `tr` with `note` into the Events that follow the status
 * write. 0 or -ENOMEM. */
static int take(struct rec_canary_machine *m, enum transition tr, const char *note)
{
	if (!rec_plan_add_event(m->after, m->c->release, transitions[tr].type,
	                        transitions[tr].reason, note))
		return -ENOMEM;
	return 0;
}

/* "2/5 setWeight" for people: the step counted from 1. */
static void step_name(const struct rec_canary_machine *m, int32_t step, char *out, size_t len)
{
	if (step >= m->n_steps) {
		snprintf(out, len, "%d/%d (after the last step)", (int)step, (int)m->n_steps);
		return;
	}
	snprintf(out, len, "%d/%d (%s)", (int)step + 1, (int)m->n_steps,
	         rel_step_name(m->c->rel->canary.steps[step].kind));
}

int32_t rec_canary_ratio_pods(int32_t replicas, int32_t weight, int32_t min_pods)
{
	if (weight <= 0 || replicas <= 0)
		return 0;
	if (weight >= 100)
		return replicas;
	int64_t n = ((int64_t)replicas * weight + 50) / 100;
	if (replicas < 2 * (int64_t)min_pods)
		return min_pods;
	if (n < min_pods)
		n = min_pods;
	if (n > replicas - min_pods)
		n = replicas - min_pods;
	return (int32_t)n;
}

int32_t rec_canary_ratio_stable_pods(int32_t replicas, int32_t weight, int32_t min_pods)
{
	if (weight >= 100)
		return 0;
	if (weight <= 0 || replicas <= 0)
		return replicas < 0 ? 0 : replicas;
	int32_t n = replicas - rec_canary_ratio_pods(replicas, weight, min_pods);
	return n < min_pods ? min_pods : n;
}

/* The ReplicaSet of `revision` (the one with the deterministic name wins). */
struct rec_rs *rec_canary_find_rs(struct rec_ctx *c, const char *revision)
{
	return rec_strategy_find_rs(c, revision);
}

/* The machine as the observed status left it. */
static void load(struct rec_canary_machine *m)
{
	const struct rel_release *rel = m->c->rel;
	const struct rel_status *o = m->c->observed;
	const struct rel_canary_status *cs = &o->canary;
	m->n_steps = (int32_t)rel->canary.n_steps;
	m->stable = o->stable_revision;
	if (!m->stable)
		m->stable = rec_strategy_adopt_stable(m->c);
	m->stable_rs = streq(m->stable, rel->revision) ? NULL : rec_canary_find_rs(m->c, m->stable);
	m->step = o->has_current_step_index ? o->current_step_index : 0;
	if (m->step < 0)
		m->step = 0;
	if (m->step > m->n_steps)
		m->step = m->n_steps;
	m->obs_step = m->step;
	m->routed = rel->canary.traffic != REL_TRAFFIC_NONE;
	m->services = m->routed || rel->canary.stable_service || rel->canary.canary_service;
	m->last_w = cs->has_weights ? cs->canary.weight : -1;
	m->last_rev = cs->has_weights ? cs->canary.revision : NULL;
	m->abort = cs->abort;
	m->aborted_at = cs->aborted_at;
	m->promote_full = cs->promote_full;
	for (size_t i = 0; i < cs->n_pause_conditions; i++) {
		if (cs->pause_conditions[i].reason == REL_PAUSE_CANARY_STEP)
			m->pause_start = cs->pause_conditions[i].start_time;
	}
	rec_canary_analysis_load(m);
	rec_canary_gate_load(m);
}

/* Whether there is a canary at all: a stable ReplicaSet to protect and a
 * template that differs from it. */
static bool has_canary(const struct rec_canary_machine *m)
{
	return m->stable_rs && !streq(m->stable, m->c->rel->revision);
}

/* A template the observed status was not rolling out: the steps start
 * over, whatever the previous canary had reached (its ReplicaSet, no longer
 * stable nor current, is scaled down and deleted). */
static int start_canary(struct rec_canary_machine *m)
{
	const struct rel_status *o = m->c->observed;
	if (streq(o->current_revision, m->c->rel->revision))
		return 0;
	bool was_aborted = m->abort;
	m->step = 0;
	m->abort = false;
	m->aborted_at = 0;
	m->promote_full = false;
	m->pause_start = 0;
	m->approval_start = 0;
	m->abort_text[0] = '\0';
	m->moved = true;
	/* The new revision's runs have names of their own. */
	m->attempt = 0;
	m->inconclusive_start = 0;
	m->abort_cause = NULL;
	m->bg_seen = false;
	m->step_run_of = -1;
	if (!has_canary(m)) {
		if (was_aborted && streq(m->stable, m->c->rel->revision))
			return take(m, TR_ABORT_ENDED,
			            "The stable template was applied again: the abort is over");
		return 0;
	}
	char note[512];
	bool replaces = o->current_revision && !streq(o->current_revision, m->stable);
	snprintf(note, sizeof(note), "Canary of revision %s started (stable %s)%s%s",
	         m->c->rel->revision, m->stable, replaces ? ", replacing canary " : "",
	         replaces ? o->current_revision : "");
	return take(m, TR_NEW_CANARY, note);
}

/* The analysis starts afresh: new runs (new names) for the steps and the
 * background, the old ones stopped by the tidy-up. */
static void fresh_analysis(struct rec_canary_machine *m)
{
	if (m->attempt < REL_ANALYSIS_ATTEMPT_MAX)
		m->attempt++;
	m->inconclusive_start = 0;
	m->abort_cause = NULL;
	m->bg_seen = false;
	m->step_run_of = -1;
}

/* A Promote (or a full promotion) does not pass an approval gate: that is
 * for the people the gate names (separation of duties). The intent is
 * ignored, and the Event says so. */
static int gate_not_promoted(struct rec_canary_machine *m, const struct rel_intent *in,
                             bool *ignored)
{
	char note[REL_INTENT_USER_MAX + 256];
	int32_t i = m->step;
	while (i < m->n_steps && m->c->rel->canary.steps[i].kind != REL_STEP_APPROVAL)
		i++;
	snprintf(note, sizeof(note),
	         "%s by %s ignored: step %d is approval gate %s, which only its approvers open "
	         "(kubectl slipway approve)",
	         rel_intent_action_name(in->action), in->user, (int)i + 1,
	         i < m->n_steps ? m->c->rel->canary.steps[i].approval.name : "");
	*ignored = false;
	if (!rec_plan_add_event(m->after, m->c->release, REC_EVENT_NORMAL,
	                        REC_REASON_INTENT_IGNORED, note))
		return -ENOMEM;
	return 0;
}

/* An intent that applies: the transition it asks for, or none when the
 * machine is not where the intent could act (then it is ignored). */
static int apply_intent(struct rec_canary_machine *m, const struct rel_intent *in, bool *ignored)
{
	char note[REL_INTENT_USER_MAX + 256], at[96];
	step_name(m, m->step, at, sizeof(at));
	const char *rev = m->c->rel->revision, *user = in->user;
	*ignored = false;
	switch (in->action) {
	case REL_INTENT_ABORT:
		if (m->abort)
			break;
		m->abort = true;
		m->aborted_at = m->c->now;
		m->pause_start = 0;
		snprintf(note, sizeof(note), "Revision %s aborted by %s at step %s", rev, user, at);
		return take(m, TR_ABORT, note);
	case REL_INTENT_RETRY:
		if (!m->abort)
			break;
		m->abort = false;
		m->aborted_at = 0;
		m->step = 0;
		m->promote_full = false;
		m->approval_start = 0;
		m->abort_text[0] = '\0';
		m->moved = true;
		fresh_analysis(m);
		snprintf(note, sizeof(note), "Revision %s retried by %s: steps start again", rev,
		         user);
		return take(m, TR_RETRY, note);
	case REL_INTENT_PROMOTE:
		if (!m->abort && rec_canary_background_inconclusive(m)) {
			fresh_analysis(m);
			snprintf(note, sizeof(note),
			         "Revision %s promoted by %s at step %s past its inconclusive "
			         "background analysis: it starts again",
			         rev, user, at);
			return take(m, TR_PROMOTE, note);
		}
		if (m->abort || m->step >= m->n_steps)
			break;
		if (m->c->rel->canary.steps[m->step].kind == REL_STEP_APPROVAL)
			return gate_not_promoted(m, in, ignored);
		m->step++;
		m->pause_start = 0;
		m->moved = true;
		snprintf(note, sizeof(note), "Revision %s promoted by %s past step %s", rev, user,
		         at);
		return take(m, TR_PROMOTE, note);
	case REL_INTENT_PROMOTE_FULL:
		if (m->abort)
			break;
		if (rec_canary_gate_ahead(m, m->step))
			return gate_not_promoted(m, in, ignored);
		m->promote_full = true;
		m->pause_start = 0;
		m->moved = true;
		snprintf(note, sizeof(note),
		         "Revision %s fully promoted by %s at step %s: remaining steps skipped",
		         rev, user, at);
		return take(m, TR_PROMOTE_FULL, note);
	}
	*ignored = true;
	return 0;
}

/* status.intent: applied when it is about what the machine is doing, else
 * ignored with an Event; cleared either way in this reconcile's status write. */
static int consume_intent(struct rec_canary_machine *m)
{
	struct rel_intent in = {0};
	int r = rec_strategy_take_intent(m->c, m->after, &in);
	if (r <= 0)
		return r;
	bool ignored = true;
	const char *canary = has_canary(m) ? m->c->rel->revision : NULL;
	r = 0;
	if (rel_intent_applies(&in, canary, m->step))
		r = apply_intent(m, &in, &ignored);
	if (r == 0 && ignored)
		r = rec_strategy_intent_ignored(m->c, m->after, &in);
	rel_intent_clear(&in);
	return r;
}

static enum rec_canary_state derive(const struct rec_canary_machine *m)
{
	const struct rel_release *rel = m->c->rel;
	if (streq(m->stable, rel->revision))
		return ST_STABLE;
	if (!m->stable_rs)
		return ST_FIRST;
	if (m->abort)
		return ST_ABORTED;
	/* A full promotion also overrides spec.paused, the manual pause
	 * (Argo #4265), without writing the spec the user owns. */
	if (m->promote_full)
		return ST_PROMOTING;
	if (rel->paused)
		return ST_HELD;
	if (m->step >= m->n_steps)
		return ST_PROMOTING;
	switch (rel->canary.steps[m->step].kind) {
	case REL_STEP_PAUSE:
		return ST_PAUSE;
	case REL_STEP_ANALYSIS:
		return ST_ANALYSIS;
	case REL_STEP_APPROVAL:
		return ST_APPROVAL;
	default:
		return ST_STEP;
	}
}

/* The weight of the last setWeight before `step`: what the steps taken so
 * far route to the canary. */
static int32_t weight_before(const struct rec_canary_machine *m, int32_t step)
{
	for (int32_t i = step; i-- > 0;) {
		if (m->c->rel->canary.steps[i].kind == REL_STEP_SET_WEIGHT)
			return m->c->rel->canary.steps[i].set_weight;
	}
	return 0;
}

/* The weight the pods are placed for in this state. */
int32_t rec_canary_target_weight(const struct rec_canary_machine *m)
{
	if (m->st == ST_STEP && m->c->rel->canary.steps[m->step].kind == REL_STEP_SET_WEIGHT)
		return m->c->rel->canary.steps[m->step].set_weight;
	return weight_before(m, m->step);
}

/* The pods each side is to have in this state (ST_HELD: none move): by
 * replica ratio, or under traffic routing by m->route. 0, or
 * rec_canary_decide_traffic's error. */
static int targets(struct rec_canary_machine *m)
{
	const struct rel_release *rel = m->c->rel;
	int32_t replicas = rel->replicas, min = rel->canary.min_pods_per_replica_set;
	int32_t w = rec_canary_target_weight(m);
	int r = m->services ? rec_canary_decide_traffic(m) : 0;
	if (r < 0)
		return r;
	switch (m->st) {
	case ST_FIRST:
	case ST_PROMOTING:
	case ST_STABLE:
		m->canary_pods = replicas;
		m->stable_pods =
		    m->routed && m->st == ST_PROMOTING ? m->route.split.stable_pods : 0;
		break;
	case ST_ABORTED:
		/* Routed: the canary keeps its pods for abortScaleDownDelaySeconds
		 * (move, rec_canary_hold). */
		m->canary_pods = 0;
		m->stable_pods = m->routed ? m->route.split.stable_pods : replicas;
		break;
	default:
		m->canary_pods = m->routed ? m->route.split.canary_pods
		                           : rec_canary_ratio_pods(replicas, w, min);
		m->stable_pods = m->routed ? m->route.split.stable_pods
		                           : rec_canary_ratio_stable_pods(replicas, w, min);
		break;
	}
	return 0;
}

/* The observed ReplicaSets already hold the targets: the canary's pods are
 * available, and neither the stable nor any other side has more. */
bool rec_canary_placed(struct rec_canary_machine *m)
{
	struct rec_ctx *c = m->c;
	const struct rec_rs *nr = m->s.new_rs;
	if (!nr || nr->planned || nr->spec_replicas != m->canary_pods ||
	    nr->available < m->canary_pods)
		return false; /* even at weight 0 it exists: created with no pods */
	for (size_t i = 0; i < c->n_rss; i++) {
		const struct rec_rs *v = &c->rss[i];
		int32_t want = v == m->stable_rs ? m->stable_pods : 0;
		if (v == nr || (v->spec_replicas == want && v->status_replicas <= want))
			continue;
		/* Routed: an earlier revision kept for its scale-down delay does
		 * not hold the steps up. */
		if (!m->routed || v == m->stable_rs || !rec_canary_would_keep(m, v))
			return false;
	}
	return true;
}

/* A pause step: started now unless the pause condition says when; over
 * once its duration passed (never, without one: Promote ends it). */
static int pause_over(struct rec_canary_machine *m, bool *over)
{
	const struct rel_step *st = &m->c->rel->canary.steps[m->step];
	*over = false;
	if (m->pause_start == 0) {
		m->pause_start = m->c->now;
		char note[160], at[96];
		step_name(m, m->step, at, sizeof(at));
		if (st->pause_has_duration)
			snprintf(note, sizeof(note), "Paused at step %s for %llds", at,
			         (long long)((st->pause_duration_ns + MODEL_NS_PER_SECOND - 1) /
			                     MODEL_NS_PER_SECOND));
		else
			snprintf(note, sizeof(note), "Paused at step %s until promoted", at);
		int r = take(m, TR_PAUSE_STARTED, note);
		if (r < 0)
			return r;
	}
	if (!st->pause_has_duration)
		return 0;
	int64_t secs = (st->pause_duration_ns + MODEL_NS_PER_SECOND - 1) / MODEL_NS_PER_SECOND;
	int64_t left = (int64_t)m->pause_start + secs - (int64_t)m->c->now;
	if (left <= 0)
		*over = true;
	else
		rec_plan_requeue(m->after, (double)left);
	return 0;
}

static int step_done(struct rec_canary_machine *m)
{
	char note[192], at[96];
	step_name(m, m->step, at, sizeof(at));
	snprintf(note, sizeof(note), "Step %s of revision %s done (canary weight %d)", at,
	         m->c->rel->revision, (int)weight_before(m, m->step + 1));
	m->step++;
	m->pause_start = 0;
	m->moved = true;
	return take(m, TR_STEP_DONE, note);
}

/* A run Failed (or ended in Error), a gate was rejected or timed out: the
 * canary aborts, as an Abort intent would, and the Warning Event says why.
 * 0 or -ENOMEM. */
static int gate_abort(struct rec_canary_machine *m)
{
	char note[2048], at[96];
	step_name(m, m->step, at, sizeof(at));
	m->abort = true;
	m->aborted_at = m->c->now;
	m->pause_start = 0;
	m->inconclusive_start = 0;
	m->moved = true;
	snprintf(note, sizeof(note), "Revision %s aborted at step %s: %s", m->c->rel->revision, at,
	         m->abort_cause     ? m->abort_cause->message
	         : m->abort_text[0] ? m->abort_text
	                            : "an analysis run failed");
	return take(m, TR_ABORT, note);
}

/* Takes every transition the observed state allows: steps whose goal is
 * met, pauses whose time is up, the completion. At most one pass per step. */
static int settle(struct rec_canary_machine *m)
{
	for (int32_t guard = 0; guard <= m->n_steps + 1; guard++) {
		m->st = derive(m);
		int r = targets(m);
		bool done = false;
		enum rec_canary_gate gate = REC_GATE_GO;
		if (r == 0)
			r = rec_canary_analysis_gate(m, &gate);
		if (r == 0 && gate == REC_GATE_GO && m->st == ST_APPROVAL)
			r = rec_canary_approval_gate(m, &gate);
		if (r < 0)
			return r;
		if (gate == REC_GATE_ABORT) {
			r = gate_abort(m);
			if (r < 0)
				return r;
			continue;
		}
		if (gate == REC_GATE_HOLD)
			return 0;
		if (gate == REC_GATE_STEP_DONE) {
			done = true;
		} else if (m->st == ST_STEP) {
			r = rec_canary_reached(m, &done);
		} else if (m->st == ST_PAUSE) {
			r = pause_over(m, &done);
		} else if (m->st == ST_PROMOTING && m->routed && rec_canary_full(m)) {
			/* The switch: the Services and weights go to the canary
			 * in this plan, the status records it as stable; the
			 * rollout completes once the switch is in effect. */
			m->stable = m->c->rel->revision;
			m->stable_rs = NULL;
			r = rel_status_set_string(&m->c->next->stable_revision, m->stable);
			if (r < 0)
				return r;
			continue;
		} else if ((m->st == ST_PROMOTING || m->st == ST_FIRST) &&
		           rec_scaling_complete(&m->s)) {
			/* The canary holds every pod: it becomes the stable revision
			 * (rec_status_succeeded records it). */
			m->stable = m->c->rel->revision;
			m->stable_rs = NULL;
			continue;
		}
		if (r < 0 || !done)
			return r;
		r = step_done(m);
		if (r < 0)
			return r;
	}
	return 0;
}

static int64_t wanted(const struct rec_canary_machine *m)
{
	int64_t n = m->s.new_rs == &m->s.created ? m->s.created.want : 0;
	for (size_t i = 0; i < m->c->n_rss; i++)
		n += m->c->rss[i].want;
	return n;
}

/* Creates the current revision's ReplicaSet, as large as the surge allows:
 * also with no pods to get (weight 0, replicas 0), so that every step and
 * the completion find it; not for an abort. */
static int create_canary(struct rec_canary_machine *m, int64_t max_total, struct rec_plan *actions)
{
	if (m->s.new_rs || m->st == ST_ABORTED)
		return 0;
	int64_t room = max_total - wanted(m);
	int64_t n = room < m->canary_pods ? room : m->canary_pods;
	return rec_strategy_create(&m->s, (int32_t)(n < 0 ? 0 : n), &m->obstacle, actions,
	                           m->after);
}

/* ReplicaSets of canaries that never became stable (replaced by a newer
 * template, aborted and then left), once empty: deleted, so replaced
 * canaries do not pile up. Previous stable revisions stay for
 * revisionHistoryLimit. Sets *deleted. */
static int delete_replaced(struct rec_canary_machine *m, struct rec_plan *actions, bool *deleted)
{
	return rec_strategy_delete_replaced(m->c, m->s.new_rs, m->stable_rs, m->stable, actions,
	                                    deleted);
}

/* The target of every owned ReplicaSet into target[] (same order); under
 * traffic routing one this state takes to 0 pods may keep them for now
 * (keep: the aborted canary, earlier revisions). Returns the pods kept. */
static int64_t plan_targets(struct rec_canary_machine *m, int32_t *target)
{
	struct rec_ctx *c = m->c;
	int64_t kept = 0;
	for (size_t i = 0; i < c->n_rss; i++) {
		struct rec_rs *v = &c->rss[i];
		v->want_deadline = 0; /* unless rec_canary_keep() counts one down */
		v->kept = false;
		target[i] = v == m->s.new_rs    ? m->canary_pods
		            : v == m->stable_rs ? m->stable_pods
		                                : 0;
		bool held = m->routed && target[i] == 0 && v != m->stable_rs &&
		            (v != m->s.new_rs || m->st == ST_ABORTED);
		if (held && rec_canary_keep(m, v)) {
			target[i] = v->spec_replicas;
			kept += v->spec_replicas;
		}
	}
	return kept;
}

/* Moves the pods towards this state's targets within maxSurge and
 * maxUnavailable; more pods than replicas + surge only when the targets
 * themselves need them (both sides at least minPodsPerReplicaSet; under
 * traffic routing stable keeps its pods while the canary grows, and kept
 * ReplicaSets theirs). */
static int move(struct rec_canary_machine *m, struct rec_plan *actions)
{
	struct rec_ctx *c = m->c;
	int64_t replicas = c->rel->replicas;
	int32_t *target = calloc(c->n_rss ? c->n_rss : 1, sizeof(*target));
	if (!target)
		return -ENOMEM;
	int64_t kept = plan_targets(m, target);
	int64_t max_total = replicas + m->s.surge;
	int64_t stable_pods = m->stable_rs ? m->stable_pods : 0;
	if ((int64_t)m->canary_pods + stable_pods + kept > max_total)
		max_total = (int64_t)m->canary_pods + stable_pods + kept;
	int r = create_canary(m, max_total, actions);
	if (r < 0) {
		free(target);
		return r;
	}
	/* The side that loses pods gives them up last, once the other grew:
	 * scale, then shift. */
	bool canary_grows = m->s.new_rs && m->s.new_rs->want <= m->canary_pods;
	size_t first = SIZE_MAX;
	for (size_t i = 0; i < c->n_rss; i++) {
		struct rec_rs *v = &c->rss[i];
		if ((v == m->s.new_rs && canary_grows) || (v == m->stable_rs && !canary_grows))
			first = i;
	}
	rec_scaling_toward(&m->s, target, first, max_total, replicas - m->s.unavailable);
	free(target);
	return 0;
}

/* status.canary.weights. By replica ratio (written for people, never read
 * back): the weight of the steps reached, 0 when the canary has no available
 * pod. Under traffic routing: what this plan sets on the routers, read back
 * as the next reconcile's last_w (drift is judged against it); spec.paused
 * leaves it as it was, as it leaves the routers. 0 or -ENOMEM. */
static int record_weights(struct rec_canary_machine *m, struct rel_canary_status *cs, bool settled)
{
	const struct rel_release *rel = m->c->rel;
	const struct rec_rs *nr = m->s.new_rs;
	if (m->routed && m->st == ST_HELD)
		return 0;
	/* Every step before the current one was reached: its weight is in
	 * effect (an upper bound while a lower one is being placed). */
	int32_t w = m->st == ST_ABORTED || settled ? 0 : weight_before(m, m->step);
	if (!nr || nr->planned || nr->available == 0)
		w = 0; /* no traffic to a revision without available pods */
	const char *stable = m->st == ST_STABLE ? rel->revision : m->stable;
	const char *canary = m->st == ST_STABLE ? stable : rel->revision;
	if (m->routed) {
		w = m->route.split.weight;
		canary = m->route.weight_revision;
	}
	cs->has_weights = stable != NULL;
	int r = rel_status_set_string(&cs->canary.revision, stable ? canary : NULL);
	if (r == 0)
		r = rel_status_set_string(&cs->stable.revision, stable);
	cs->canary.weight = stable ? w : 0;
	cs->stable.weight = stable ? 100 - w : 0;
	return r;
}

/* The steps wait for a person: a run is Inconclusive. */
static bool inconclusive(const struct rec_canary_machine *m)
{
	return m->holding && m->holding->outcome == REC_ANALYSIS_INCONCLUSIVE;
}

/* The machine's record in the status: where it stands, for the next
 * reconcile (whoever runs it) and for people. 0 or -ENOMEM. */
static int record(struct rec_canary_machine *m)
{
	struct rel_canary_status *cs = &m->c->next->canary;
	bool settled = m->st == ST_STABLE || m->st == ST_FIRST;
	int32_t step = settled ? m->n_steps : m->step;
	m->c->next->has_current_step_index = true;
	m->c->next->current_step_index = step;
	cs->abort = m->abort;
	cs->aborted_at = m->abort ? m->aborted_at : 0;
	cs->promote_full = m->promote_full && !settled;
	size_t k = 0;
	for (size_t i = 0; i < cs->n_pause_conditions; i++) {
		if (cs->pause_conditions[i].reason != REL_PAUSE_CANARY_STEP &&
		    cs->pause_conditions[i].reason != REL_PAUSE_INCONCLUSIVE_ANALYSIS &&
		    cs->pause_conditions[i].reason != REL_PAUSE_APPROVAL)
			cs->pause_conditions[k++] = cs->pause_conditions[i];
	}
	cs->n_pause_conditions = k;
	if (m->st == ST_PAUSE && m->pause_start != 0 && k < REL_PAUSE_CONDITIONS_MAX)
		cs->pause_conditions[cs->n_pause_conditions++] =
		    (struct rel_pause_condition){REL_PAUSE_CANARY_STEP, m->pause_start};
	if (m->st == ST_APPROVAL && m->approval_start != 0 &&
	    cs->n_pause_conditions < REL_PAUSE_CONDITIONS_MAX)
		cs->pause_conditions[cs->n_pause_conditions++] =
		    (struct rel_pause_condition){REL_PAUSE_APPROVAL, m->approval_start};
	if (inconclusive(m) && cs->n_pause_conditions < REL_PAUSE_CONDITIONS_MAX)
		cs->pause_conditions[cs->n_pause_conditions++] = (struct rel_pause_condition){
		    REL_PAUSE_INCONCLUSIVE_ANALYSIS,
		    m->inconclusive_start ? m->inconclusive_start : m->c->now};
	cs->analysis_attempt = m->attempt;
	int r = record_weights(m, cs, settled);
	if (r == 0)
		r = rel_canary_status_set_step(cs, (size_t)step, (size_t)m->n_steps);
	return r;
}

/* The words of a verdict; rec_verdict points into them. */
struct wording {
	char msg[2600];
	char pmsg[512];
	struct rec_verdict v;
};

/* A canary that is waiting: for a timer or a person (pause), for a step this
 * controller cannot take (blocked), for spec.paused, or aborted. */
static void word_waiting(const struct rec_canary_machine *m, const char *at, struct wording *w)
{
	const struct rel_release *rel = m->c->rel;
	struct rec_verdict *v = &w->v;
	v->phase = REL_PHASE_PAUSED;
	v->progressing = MODEL_CONDITION_UNKNOWN;
	v->progressing_reason = REC_REASON_ROLLOUT_PAUSED;
	snprintf(w->pmsg, sizeof(w->pmsg), "Release %s is paused at step %s.", rel->name, at);
	switch (m->st) {
	case ST_PAUSE:
		v->reason = REC_REASON_CANARY_PAUSE;
		snprintf(
		    w->msg, sizeof(w->msg), "revision %s paused at step %s: %s", rel->revision, at,
		    rel->canary.steps[m->step].pause_has_duration ? "resumes when the time is up"
		                                                  : "waiting to be promoted");
		break;
	case ST_APPROVAL:
		rec_canary_gate_words(m, at, v, w->msg, sizeof(w->msg));
		break;
	case ST_ABORTED:
		v->phase = REL_PHASE_DEGRADED;
		v->reason = REC_REASON_ROLLOUT_ABORTED;
		v->stalled = true;
		v->progressing = MODEL_CONDITION_FALSE;
		v->progressing_reason = REC_REASON_ROLLOUT_ABORTED;
		snprintf(w->msg, sizeof(w->msg),
		         "revision %s aborted at step %s%s%s: stable revision %s serves; retry, or "
		         "apply a new template",
		         rel->revision, at, m->abort_cause || m->abort_text[0] ? " by " : "",
		         m->abort_cause ? m->abort_cause->message : m->abort_text, m->stable);
		snprintf(w->pmsg, sizeof(w->pmsg), "Revision %s was aborted.", rel->revision);
		break;
	default: /* ST_HELD */
		v->reason = REC_REASON_PAUSED;
		snprintf(w->msg, sizeof(w->msg), "paused (spec.paused): revision %s at step %s",
		         rel->revision, at);
		snprintf(w->pmsg, sizeof(w->pmsg), "Release %s is paused (spec.paused).",
		         rel->name);
		break;
	}
}

/* The steps wait on a run: Inconclusive (Paused until a person promotes or
 * aborts), or one that cannot be made (Degraded, Stalled, until the
 * template is there and valid). */
static void word_holding(const struct rec_canary_machine *m, const char *at, struct wording *w)
{
	const struct rec_analysis_result *h = m->holding;
	struct rec_verdict *v = &w->v;
	v->reason = h->reason;
	v->progressing = MODEL_CONDITION_UNKNOWN;
	v->progressing_reason = REC_REASON_ROLLOUT_PAUSED;
	snprintf(w->pmsg, sizeof(w->pmsg), "Release %s is paused at step %s.", m->c->rel->name, at);
	if (h->outcome == REC_ANALYSIS_INCONCLUSIVE) {
		v->phase = REL_PHASE_PAUSED;
		snprintf(w->msg, sizeof(w->msg),
		         "revision %s paused at step %s: %s; promote to go on, or abort",
		         m->c->rel->revision, at, h->message);
		return;
	}
	v->phase = REL_PHASE_DEGRADED;
	v->stalled = true;
	snprintf(w->msg, sizeof(w->msg), "revision %s waits at step %s: %s", m->c->rel->revision,
	         at, h->message);
}

/* A router problem outweighs the state's words: Degraded, Stalled, and
 * what the report says. A route that no Gateway accepted routes nothing,
 * so the steps wait for it (reached), and say so here. */
static void word_traffic(const struct rec_canary_machine *m, struct wording *w)
{
	const char *reason = rec_canary_traffic_problem(m);
	if (!reason)
		return;
	struct rec_verdict *v = &w->v;
	v->phase = REL_PHASE_DEGRADED;
	v->reason = reason;
	v->ready = false;
	v->stalled = true;
	snprintf(w->msg, sizeof(w->msg), "revision %s: %s%s", m->c->rel->revision, m->rep.message,
	         m->rep.missing ? "; the rollout waits until it is there"
	                        : "; the steps wait until a Gateway accepts it");
}

/* Available pods of the current revision: once it is stable, old
 * ReplicaSets kept for their scale-down delay are not its pods. */
static int current_available(const struct rec_canary_machine *m)
{
	return m->s.new_rs ? (int)m->s.new_rs->available : 0;
}

/* Phase, summary and conditions of the machine's state. */
static void word(const struct rec_canary_machine *m, const struct rec_counts *n, bool complete,
                 bool deadline, struct wording *w)
{
	const struct rel_release *rel = m->c->rel;
	struct rec_verdict *v = &w->v;
	*v = (struct rec_verdict){.message = w->msg,
	                          .ready_reason = REC_REASON_ROLLOUT_COMPLETE,
	                          .progressing_message = w->pmsg};
	if (rec_claim_blocks(&m->obstacle)) {
		rec_claim_verdict(&m->obstacle, v);
		return;
	}
	char at[96];
	step_name(m, m->step, at, sizeof(at));
	int avail = (int)n->available, replicas = (int)rel->replicas;
	if (m->st == ST_STABLE)
		avail = current_available(m);
	if (m->st == ST_STABLE && complete) {
		v->phase = REL_PHASE_HEALTHY;
		v->ready = true;
		v->reason = REC_REASON_ROLLOUT_COMPLETE;
		v->progressing = MODEL_CONDITION_TRUE;
		v->progressing_reason = REC_REASON_NEW_RS_AVAILABLE;
		snprintf(w->msg, sizeof(w->msg), "revision %s: %d of %d pods available",
		         rel->revision, avail, replicas);
		snprintf(w->pmsg, sizeof(w->pmsg), "Revision %s has successfully progressed.",
		         rel->revision);
	} else if (m->st == ST_STABLE) {
		v->phase = REL_PHASE_PROGRESSING;
		v->reason = REC_REASON_PODS_UNAVAILABLE;
		v->reconciling = true;
		snprintf(w->msg, sizeof(w->msg), "revision %s: %d of %d pods available",
		         rel->revision, avail, replicas);
	} else if (m->holding && m->st != ST_ABORTED) {
		word_holding(m, at, w);
	} else if (m->st == ST_ANALYSIS) {
		v->phase = REL_PHASE_PROGRESSING;
		v->reason = REC_REASON_ANALYSIS_RUNNING;
		v->reconciling = true;
		v->progressing = MODEL_CONDITION_TRUE;
		v->progressing_reason = REC_REASON_ANALYSIS_RUNNING;
		snprintf(
		    w->msg, sizeof(w->msg),
		    "canary revision %s at step %s: waiting for analysis run %s; %d of %d pods "
		    "available",
		    rel->revision, at, m->step_run.name, avail, replicas);
		snprintf(w->pmsg, sizeof(w->pmsg), "Revision %s is being analysed.", rel->revision);
	} else if (deadline) {
		v->phase = REL_PHASE_DEGRADED;
		v->reason = REC_REASON_DEADLINE_EXCEEDED;
		v->stalled = true;
		v->progressing = MODEL_CONDITION_FALSE;
		v->progressing_reason = REC_REASON_DEADLINE_EXCEEDED;
		snprintf(w->msg, sizeof(w->msg),
		         "revision %s made no progress for %ds (spec.progressDeadlineSeconds) at "
		         "step %s: %d of %d pods available",
		         rel->revision, (int)rel->progress_deadline_seconds, at, avail, replicas);
		snprintf(w->pmsg, sizeof(w->pmsg), "Revision %s has timed out progressing.",
		         rel->revision);
	} else if (m->st == ST_STEP || m->st == ST_PROMOTING || m->st == ST_FIRST) {
		v->phase = REL_PHASE_PROGRESSING;
		v->reason = REC_REASON_CANARY_STEP;
		v->reconciling = true;
		v->progressing = MODEL_CONDITION_TRUE;
		v->progressing_reason = REC_REASON_RS_UPDATED;
		snprintf(
		    w->msg, sizeof(w->msg),
		    "canary revision %s at step %s: %d canary and %d stable pods wanted, %d of "
		    "%d pods available",
		    rel->revision, at, (int)m->canary_pods, (int)m->stable_pods, avail, replicas);
		snprintf(w->pmsg, sizeof(w->pmsg), "Revision %s is progressing.", rel->revision);
	} else {
		word_waiting(m, at, w);
	}
	word_traffic(m, w);
}

/* The progress deadline (rec_strategy_deadline): the moving states are
 * the ones that place pods. */
static bool judge(struct rec_canary_machine *m, const struct rec_counts *n, bool started)
{
	bool moving =
	    (m->st == ST_STEP || m->st == ST_PROMOTING || m->st == ST_FIRST) && !m->holding;
	return rec_strategy_deadline(m->c, n, moving, started || m->moved, m->after);
}

static int report(struct rec_canary_machine *m)
{
	struct rec_ctx *c = m->c;
	const struct rel_release *rel = c->rel;
	int r = rec_status_spec_summary(c->next, rel);
	if (r == 0)
		r = rel_status_set_string(&c->next->current_revision, rel->revision);
	bool started = false;
	if (r == 0)
		r = rec_status_start_rollout(c, &started);
	if (r < 0)
		return r;
	c->next->observed_generation = rel->generation;
	struct rec_counts n = rec_status_count(c, m->s.new_rs);
	rec_status_set_counts(c->next, &n);
	rec_strategy_track_abort(c, m->abort);
	bool deadline = judge(m, &n, started);
	bool complete = m->st == ST_STABLE && rec_canary_settled_complete(m);
	struct wording w;
	word(m, &n, complete, deadline, &w);
	r = rec_status_report(c, &w.v);
	if (r == 0)
		r = rec_status_availability(c, n.available, m->s.unavailable);
	if (r == 0 && complete)
		r = rec_status_succeeded(c, current_available(m), m->after);
	if (r == 0 && deadline)
		r = rec_status_failed(c, REC_REASON_DEADLINE_EXCEEDED, w.msg, m->after);
	if (r == 0 && rec_claim_blocks(&m->obstacle))
		r = rec_status_failed(c, m->obstacle.reason, m->obstacle.message, m->after);
	bool warn = (m->st == ST_APPROVAL && w.v.stalled) || rec_canary_traffic_problem(m) ||
	            (m->holding && m->holding->outcome == REC_ANALYSIS_BLOCKED);
	if (r == 0 && warn && !rec_claim_blocks(&m->obstacle) &&
	    !rec_status_had_reason(c->observed, "Stalled", w.v.reason) &&
	    !rec_plan_add_event(m->after, c->release, REC_EVENT_WARNING, w.v.reason, w.msg))
		r = -ENOMEM;
	if (r == 0 && inconclusive(m) && m->inconclusive_start == 0 &&
	    !rec_plan_add_event(m->after, c->release, REC_EVENT_WARNING, w.v.reason, w.msg))
		r = -ENOMEM;
	if (r == 0)
		r = record(m);
	return r;
}

int rec_canary_reconcile(struct rec_ctx *c, struct rec_plan *actions, struct rec_plan *after)
{
	struct rec_canary_machine m = {.c = c, .after = after, .step_run_of = -1};
	rec_plan_init(&m.runs);
	int32_t surge, unavailable;
	rec_scaling_limits(&c->rel->canary.pace, c->rel->replicas, &surge, &unavailable);
	rec_scaling_init(&m.s, c, surge, unavailable);
	load(&m);
	int r = start_canary(&m);
	if (r == 0)
		r = consume_intent(&m);
	if (r == 0)
		r = settle(&m);
	if (r == 0 && m.st != ST_HELD)
		r = rec_canary_steer(&m, actions);
	if (r == 0 && m.st != ST_HELD)
		r = move(&m, actions);
	if (r == 0)
		r = rec_scaling_emit(&m.s, actions);
	bool deleted = false;
	if (r == 0 && m.st != ST_HELD)
		r = delete_replaced(&m, actions, &deleted);
	if (r == 0 && m.st == ST_STABLE && !deleted && rec_scaling_complete(&m.s))
		r = rec_scaling_clean_history(&m.s, actions);
	if (r == 0)
		r = rec_canary_analysis_tidy(&m);
	if (r == 0)
		r = rec_plan_take(actions, &m.runs);
	if (r == 0)
		r = report(&m);
	rec_plan_clear(&m.runs);
	return r;
}
