#include "reconcilers/bluegreen.h"
#include "reconcilers/bluegreen-machine.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/condition.h"
#include "model/intent.h"
#include "reconcilers/canary.h"
#include "reconcilers/status.h"
#include "reconcilers/strategy.h"

/* The named transitions; each one's Event is in `transitions`. */
enum transition {
	TR_STARTED,
	TR_PREVIEW_READY,
	TR_PAUSED,
	TR_PROMOTED,
	TR_AUTO_PROMOTED,
	TR_SWITCHED,
	TR_ABORT,
	TR_RETRY,
	TR_ABORT_ENDED,
};

static const struct {
	const char *reason;
	enum rec_event_type type;
} transitions[] = {
    [TR_STARTED] = {"PreviewStarted", REC_EVENT_NORMAL},
    [TR_PREVIEW_READY] = {"PreviewReady", REC_EVENT_NORMAL},
    [TR_PAUSED] = {"BlueGreenPaused", REC_EVENT_NORMAL},
    [TR_PROMOTED] = {"Promoted", REC_EVENT_NORMAL},
    [TR_AUTO_PROMOTED] = {"AutoPromoted", REC_EVENT_NORMAL},
    [TR_SWITCHED] = {"ActiveSwitched", REC_EVENT_NORMAL},
    [TR_ABORT] = {REC_REASON_ROLLOUT_ABORTED, REC_EVENT_WARNING},
    [TR_RETRY] = {"RolloutRetried", REC_EVENT_NORMAL},
    [TR_ABORT_ENDED] = {"AbortEnded", REC_EVENT_NORMAL},
};

static bool streq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

static int take(struct rec_bg_machine *m, enum transition tr, const char *note)
{
	if (!rec_plan_add_event(m->after, m->c->release, transitions[tr].type,
	                        transitions[tr].reason, note))
		return -ENOMEM;
	return 0;
}

/* The preview's pods: previewReplicaCount, at most spec.replicas. */
static int32_t preview_pods(const struct rec_bg_machine *m)
{
	const struct rel_release *rel = m->c->rel;
	const struct rel_blue_green *b = &rel->blue_green;
	if (!b->has_preview_replica_count || b->preview_replica_count > rel->replicas)
		return rel->replicas;
	return b->preview_replica_count;
}

/* The machine as the observed status left it. */
static void load(struct rec_bg_machine *m)
{
	const struct rel_release *rel = m->c->rel;
	const struct rel_status *o = m->c->observed;
	const struct rel_canary_status *cs = &o->canary;
	m->stable = o->stable_revision;
	/* None recorded, or its ReplicaSet gone (a status lost or written by
	 * hand): the revision that has pods serves, so that the template does
	 * not take activeService as a first revision would. */
	if (!m->stable || !rec_strategy_find_rs(m->c, m->stable))
		m->stable = rec_strategy_adopt_stable(m->c);
	m->stable_rs =
	    streq(m->stable, rel->revision) ? NULL : rec_strategy_find_rs(m->c, m->stable);
	m->stage = o->has_current_step_index ? o->current_step_index : 0;
	if (m->stage < 0 || m->stage > REL_BG_STAGE_DONE)
		m->stage = 0;
	m->abort = cs->abort;
	m->aborted_at = cs->aborted_at;
	for (size_t i = 0; i < cs->n_pause_conditions; i++) {
		if (cs->pause_conditions[i].reason == REL_PAUSE_BLUE_GREEN)
			m->pause_start = cs->pause_conditions[i].start_time;
	}
}

/* A rollout in progress: a stable ReplicaSet beside a template that differs. */
static bool in_rollout(const struct rec_bg_machine *m)
{
	return m->stable_rs && !streq(m->stable, m->c->rel->revision);
}

/* A template that was stable before and whose ReplicaSet is still whole
 * and available (within its scale-down delay): a rollback that switches
 * straight back, without preview, pause or analysis. */
static bool is_rollback(struct rec_bg_machine *m)
{
	const struct rel_history_entry *e =
	    rel_status_history_find(m->c->next, m->c->rel->revision);
	const struct rec_rs *nr = m->s.new_rs;
	int32_t replicas = m->c->rel->replicas;
	return e && e->outcome == REL_OUTCOME_SUCCEEDED && nr && !nr->planned &&
	       nr->spec_replicas >= replicas && nr->available >= replicas;
}

/* A template the observed status was not rolling out: the stages start
 * over (a rollback skips to the switch). */
static int start(struct rec_bg_machine *m)
{
	const struct rel_status *o = m->c->observed;
	const struct rel_release *rel = m->c->rel;
	if (streq(o->current_revision, rel->revision))
		return 0;
	bool was_aborted = m->abort;
	m->stage = REL_BG_STAGE_PREVIEW;
	m->abort = false;
	m->aborted_at = 0;
	m->pause_start = 0;
	m->moved = true;
	if (!in_rollout(m)) {
		if (was_aborted && streq(m->stable, rel->revision))
			return take(m, TR_ABORT_ENDED,
			            "The stable template was applied again: the abort is over");
		return 0;
	}
	char note[512];
	m->rollback = is_rollback(m);
	if (m->rollback) {
		m->stage = REL_BG_STAGE_SCALE_UP;
		snprintf(note, sizeof(note),
		         "Rollback to revision %s, still up: activeService switches back from %s",
		         rel->revision, m->stable);
	} else {
		snprintf(note, sizeof(note), "Revision %s started beside active revision %s%s",
		         rel->revision, m->stable,
		         rel->blue_green.preview_service ? ", on previewService" : "");
	}
	return take(m, TR_STARTED, note);
}

/* Promote (and PromoteFull, which skips the same): before the switch it
 * skips what is left of preview, pre-promotion analysis and pause; after
 * it, the post-promotion analysis. */
static int promote(struct rec_bg_machine *m, const char *user, bool *ignored)
{
	char note[REL_INTENT_USER_MAX + 256];
	const char *rev = m->c->rel->revision;
	if (m->stage == REL_BG_STAGE_SCALE_UP) {
		*ignored = true;
		return 0;
	}
	snprintf(note, sizeof(note), "Revision %s promoted by %s at stage %s", rev, user,
	         rel_bg_stage_name(m->stage));
	m->stage =
	    m->stage == REL_BG_STAGE_POST_PROMOTION ? REL_BG_STAGE_DONE : REL_BG_STAGE_SCALE_UP;
	m->pause_start = 0;
	m->moved = true;
	return take(m, TR_PROMOTED, note);
}

static int apply_intent(struct rec_bg_machine *m, const struct rel_intent *in, bool *ignored)
{
	char note[REL_INTENT_USER_MAX + 256];
	const char *rev = m->c->rel->revision, *user = in->user;
	*ignored = false;
	switch (in->action) {
	case REL_INTENT_ABORT:
		if (m->abort)
			break;
		m->abort = true;
		m->aborted_at = m->c->now;
		m->pause_start = 0;
		snprintf(note, sizeof(note), "Revision %s aborted by %s at stage %s", rev, user,
		         rel_bg_stage_name(m->stage));
		return take(m, TR_ABORT, note);
	case REL_INTENT_RETRY:
		if (!m->abort)
			break;
		m->abort = false;
		m->aborted_at = 0;
		m->stage = REL_BG_STAGE_PREVIEW;
		m->moved = true;
		snprintf(note, sizeof(note), "Revision %s retried by %s: preview starts again", rev,
		         user);
		return take(m, TR_RETRY, note);
	case REL_INTENT_PROMOTE:
	case REL_INTENT_PROMOTE_FULL:
		if (m->abort)
			break;
		return promote(m, user, ignored);
	}
	*ignored = true;
	return 0;
}

/* status.intent: applied when it is about this rollout and stage, else
 * ignored with an Event; cleared either way. */
static int consume_intent(struct rec_bg_machine *m)
{
	struct rel_intent in = {0};
	int r = rec_strategy_take_intent(m->c, m->after, &in);
	if (r <= 0)
		return r;
	bool ignored = true;
	const char *rev = in_rollout(m) ? m->c->rel->revision : NULL;
	r = 0;
	if (rel_intent_applies(&in, rev, m->stage))
		r = apply_intent(m, &in, &ignored);
	if (r == 0 && ignored)
		r = rec_strategy_intent_ignored(m->c, m->after, &in);
	rel_intent_clear(&in);
	return r;
}

static enum rec_bg_state derive(const struct rec_bg_machine *m)
{
	if (streq(m->stable, m->c->rel->revision))
		return BG_STABLE;
	if (!m->stable_rs)
		return BG_FIRST;
	if (m->abort)
		return BG_ABORTED;
	if (m->c->rel->paused)
		return BG_HELD;
	switch (m->stage) {
	case REL_BG_STAGE_PRE_PROMOTION:
		return BG_PRE;
	case REL_BG_STAGE_PAUSE:
		return BG_PAUSE;
	case REL_BG_STAGE_SCALE_UP:
		return BG_SCALE_UP;
	case REL_BG_STAGE_POST_PROMOTION:
		return BG_POST;
	default:
		return BG_PREVIEW;
	}
}

/* The pods of each side in the state. */
static void targets(struct rec_bg_machine *m)
{
	int32_t replicas = m->c->rel->replicas;
	m->stable_pods = replicas;
	switch (m->st) {
	case BG_FIRST:
	case BG_STABLE:
	case BG_SCALE_UP:
	case BG_POST:
		m->new_pods = replicas;
		break;
	case BG_ABORTED:
		m->new_pods = 0;
		break;
	default:
		m->new_pods = preview_pods(m);
		break;
	}
}

/* The new ReplicaSet holds `pods`, all available. */
static bool holds(const struct rec_bg_machine *m, int32_t pods)
{
	const struct rec_rs *nr = m->s.new_rs;
	return nr && !nr->planned && nr->spec_replicas == pods && nr->available >= pods;
}

/* The preview is ready: on to the pre-promotion analysis, or the pause. */
static int preview_ready(struct rec_bg_machine *m)
{
	const struct rel_blue_green *b = &m->c->rel->blue_green;
	char note[256];
	snprintf(note, sizeof(note), "Preview of revision %s ready: %d pods available",
	         m->c->rel->revision, (int)preview_pods(m));
	m->stage = b->has_pre_promotion_analysis ? REL_BG_STAGE_PRE_PROMOTION : REL_BG_STAGE_PAUSE;
	m->moved = true;
	return take(m, TR_PREVIEW_READY, note);
}

/* The pause: started now unless the condition says when; over at once with
 * autoPromotionEnabled and no autoPromotionSeconds, after them with, never
 * without autoPromotionEnabled (Promote ends it). */
static int pause(struct rec_bg_machine *m)
{
	const struct rel_blue_green *b = &m->c->rel->blue_green;
	char note[256];
	bool timed = b->auto_promotion_enabled && b->auto_promotion_seconds > 0;
	if (b->auto_promotion_enabled && !timed) {
		m->stage = REL_BG_STAGE_SCALE_UP;
		m->moved = true;
		return 0; /* autoPromotionEnabled without a delay: no pause */
	}
	if (m->pause_start == 0) {
		m->pause_start = m->c->now;
		if (timed)
			snprintf(note, sizeof(note), "Revision %s paused for %ds before promotion",
			         m->c->rel->revision, (int)b->auto_promotion_seconds);
		else
			snprintf(note, sizeof(note), "Revision %s paused until promoted",
			         m->c->rel->revision);
		int r = take(m, TR_PAUSED, note);
		if (r < 0 || !timed)
			return r;
	}
	if (!timed)
		return 0;
	int64_t left = (int64_t)m->pause_start + b->auto_promotion_seconds - (int64_t)m->c->now;
	if (left > 0) {
		rec_plan_requeue(m->after, (double)left);
		return 0;
	}
	snprintf(note, sizeof(note), "Revision %s promoted after %ds", m->c->rel->revision,
	         (int)b->auto_promotion_seconds);
	m->stage = REL_BG_STAGE_SCALE_UP;
	m->pause_start = 0;
	m->moved = true;
	return take(m, TR_AUTO_PROMOTED, note);
}

/* The switch: activeService to the new revision in this plan. Without a
 * post-promotion analysis (or for a rollback) the new revision is stable in
 * the same status write. */
static int switch_active(struct rec_bg_machine *m)
{
	const struct rel_release *rel = m->c->rel;
	char note[256];
	snprintf(note, sizeof(note), "activeService %s switched from revision %s to %s",
	         rel->blue_green.active_service, m->stable, rel->revision);
	m->stage = REL_BG_STAGE_POST_PROMOTION;
	m->moved = true;
	int r = take(m, TR_SWITCHED, note);
	if (r == 0 && (!rel->blue_green.has_post_promotion_analysis || m->rollback))
		m->stage = REL_BG_STAGE_DONE;
	return r;
}

/* Stage DONE: the template is the stable revision from this status write on. */
static int become_stable(struct rec_bg_machine *m)
{
	m->stable = m->c->rel->revision;
	m->stable_rs = NULL;
	return rel_status_set_string(&m->c->next->stable_revision, m->stable);
}

/* Takes every transition the observed state allows. */
static int settle(struct rec_bg_machine *m)
{
	int32_t replicas = m->c->rel->replicas;
	for (int guard = 0; guard <= REL_BG_STAGE_DONE + 1; guard++) {
		int r = 0;
		if (m->stage == REL_BG_STAGE_DONE && in_rollout(m) && !m->abort)
			r = become_stable(m);
		m->st = derive(m);
		targets(m);
		int32_t before = m->stage;
		if (r == 0 && m->st == BG_FIRST && holds(m, replicas)) {
			/* The first revision whole: stable (rec_status_succeeded
			 * records it once complete). */
			m->stable = m->c->rel->revision;
			continue;
		}
		if (r == 0 && m->st == BG_PREVIEW && holds(m, m->new_pods))
			r = preview_ready(m);
		else if (r == 0 && m->st == BG_PAUSE)
			r = pause(m);
		else if (r == 0 && m->st == BG_SCALE_UP && holds(m, replicas) &&
		         m->c->traffic->stable_service &&
		         rec_bg_active_may_select(m, m->c->rel->revision))
			r = switch_active(m);
		if (r < 0)
			return r;
		if (m->stage == before && m->st == derive(m) && m->stage != REL_BG_STAGE_DONE)
			return 0;
	}
	return 0;
}

/* Whether activeService selects v's revision and goes on doing so after
 * this plan: then v keeps spec.replicas pods whatever the state says (a
 * status lost or written by hand can make the serving revision look like a
 * preview). Others are kept by their delay (rec_bg_keep: routed). */
static bool serving(const struct rec_bg_machine *m, const struct rec_rs *v)
{
	const char *sel = rec_traffic_selected_revision(m->c->traffic->stable_service);
	const char *after = m->want_active ? m->want_active : sel;
	return v->revision && streq(sel, v->revision) && streq(after, v->revision);
}

/* The target of every owned ReplicaSet into target[]; others (and the
 * aborted new one) may keep their pods for their delay. */
static void plan_targets(struct rec_bg_machine *m, int32_t *target)
{
	struct rec_ctx *c = m->c;
	const struct rel_blue_green *b = &c->rel->blue_green;
	int32_t limit =
	    b->has_scale_down_delay_revision_limit ? b->scale_down_delay_revision_limit : INT32_MAX;
	int32_t kept = 0;
	/* Newest first, so that the revision limit keeps the newest. */
	for (size_t i = c->n_rss; i-- > 0;) {
		struct rec_rs *v = &c->rss[i];
		v->want_deadline = 0;
		v->kept = false;
		target[i] = v == m->s.new_rs ? m->new_pods : v == m->stable_rs ? m->stable_pods : 0;
		if (v == m->s.new_rs && serving(m, v) && target[i] < c->rel->replicas)
			target[i] = c->rel->replicas;
		bool held = target[i] == 0 && v != m->stable_rs &&
		            (v != m->s.new_rs || m->st == BG_ABORTED);
		if (!held || !rec_bg_keep(m, v))
			continue;
		if (v != m->s.new_rs && kept >= limit) {
			v->kept = false;
			v->want_deadline = 0;
			continue;
		}
		if (v != m->s.new_rs)
			kept++;
		target[i] = v->spec_replicas;
	}
}

/* Moves every ReplicaSet to its target at once: blue-green runs both
 * revisions whole, so there is no surge to respect; the active side never
 * shrinks (its target is spec.replicas). */
static int move(struct rec_bg_machine *m, struct rec_plan *actions)
{
	struct rec_ctx *c = m->c;
	int32_t *target = calloc(c->n_rss ? c->n_rss : 1, sizeof(*target));
	if (!target)
		return -ENOMEM;
	plan_targets(m, target);
	int r = 0;
	if (!m->s.new_rs && m->st != BG_ABORTED)
		r = rec_strategy_create(&m->s, m->new_pods, &m->obstacle, actions, m->after);
	if (r == 0)
		rec_scaling_toward(&m->s, target, SIZE_MAX, INT64_MAX, 0);
	free(target);
	return r;
}

/* The machine's record in the status. 0 or -ENOMEM. */
static int record(struct rec_bg_machine *m)
{
	struct rel_status *next = m->c->next;
	struct rel_canary_status *cs = &next->canary;
	bool settled = m->st == BG_STABLE || m->st == BG_FIRST;
	next->has_current_step_index = true;
	next->current_step_index = settled ? REL_BG_STAGE_DONE : m->stage;
	cs->abort = m->abort;
	cs->aborted_at = m->abort ? m->aborted_at : 0;
	cs->promote_full = false;
	size_t k = 0;
	for (size_t i = 0; i < cs->n_pause_conditions; i++) {
		if (cs->pause_conditions[i].reason != REL_PAUSE_BLUE_GREEN)
			cs->pause_conditions[k++] = cs->pause_conditions[i];
	}
	cs->n_pause_conditions = k;
	if (m->st == BG_PAUSE && m->pause_start != 0 && k < REL_PAUSE_CONDITIONS_MAX)
		cs->pause_conditions[cs->n_pause_conditions++] =
		    (struct rel_pause_condition){REL_PAUSE_BLUE_GREEN, m->pause_start};
	/* "3/6" for kubectl get's Step column (stages counted from 1). */
	return rel_canary_status_set_step(cs, (size_t)next->current_step_index,
	                                  REL_BG_STAGE_DONE + 1);
}

struct wording {
	char msg[768];
	char pmsg[512];
	struct rec_verdict v;
};

/* A rollout that waits: for a person or a timer, for an analysis this
 * controller cannot run, for spec.paused; or aborted. */
static void word_waiting(const struct rec_bg_machine *m, struct wording *w)
{
	const struct rel_release *rel = m->c->rel;
	const char *name = rel->name;
	struct rec_verdict *v = &w->v;
	v->phase = REL_PHASE_PAUSED;
	v->progressing = MODEL_CONDITION_UNKNOWN;
	v->progressing_reason = REC_REASON_ROLLOUT_PAUSED;
	snprintf(w->pmsg, sizeof(w->pmsg), "Release %s is paused before promotion.", name);
	if (m->st == BG_PAUSE) {
		v->reason = REC_REASON_BLUE_GREEN_PAUSE;
		snprintf(w->msg, sizeof(w->msg),
		         "revision %s previewed on %d pods, active revision %s: %s", rel->revision,
		         (int)m->new_pods, m->stable,
		         rel->blue_green.auto_promotion_enabled
		             ? "promoted when autoPromotionSeconds are up"
		             : "waiting to be promoted (kubectl slipway promote)");
	} else if (m->st == BG_PRE || m->st == BG_POST) {
		v->reason = REC_REASON_ANALYSIS_NOT_IMPLEMENTED;
		v->stalled = true;
		snprintf(w->msg, sizeof(w->msg),
		         "revision %s stopped at %s: analysis is not implemented by this "
		         "controller yet; promote past it or abort",
		         rel->revision,
		         m->st == BG_PRE ? "prePromotionAnalysis" : "postPromotionAnalysis");
	} else if (m->st == BG_ABORTED) {
		v->phase = REL_PHASE_DEGRADED;
		v->reason = REC_REASON_ROLLOUT_ABORTED;
		v->stalled = true;
		v->progressing = MODEL_CONDITION_FALSE;
		v->progressing_reason = REC_REASON_ROLLOUT_ABORTED;
		snprintf(w->msg, sizeof(w->msg),
		         "revision %s aborted: stable revision %s is active; retry, or apply a new "
		         "template",
		         rel->revision, m->stable);
		snprintf(w->pmsg, sizeof(w->pmsg), "Revision %s was aborted.", rel->revision);
	} else { /* BG_HELD */
		v->reason = REC_REASON_PAUSED;
		snprintf(w->msg, sizeof(w->msg), "paused (spec.paused): revision %s at stage %s",
		         rel->revision, rel_bg_stage_name(m->stage));
		snprintf(w->pmsg, sizeof(w->pmsg), "Release %s is paused (spec.paused).", name);
	}
}

/* A rollout that moves pods: preview, scaling up, the first revision. */
static void word_moving(const struct rec_bg_machine *m, int avail, struct wording *w)
{
	const struct rel_release *rel = m->c->rel;
	struct rec_verdict *v = &w->v;
	const struct rec_rs *nr = m->s.new_rs;
	int new_avail = nr && !nr->planned ? (int)nr->available : 0;
	v->phase = REL_PHASE_PROGRESSING;
	v->reconciling = true;
	v->progressing = MODEL_CONDITION_TRUE;
	v->progressing_reason = REC_REASON_RS_UPDATED;
	snprintf(w->pmsg, sizeof(w->pmsg), "Revision %s is progressing.", rel->revision);
	if (m->st == BG_PREVIEW) {
		v->reason = REC_REASON_BLUE_GREEN_PREVIEW;
		snprintf(w->msg, sizeof(w->msg),
		         "revision %s previewing: %d of %d preview pods available; active "
		         "revision %s",
		         rel->revision, new_avail, (int)m->new_pods, m->stable);
	} else if (m->st == BG_SCALE_UP) {
		v->reason = REC_REASON_BLUE_GREEN_PROMOTION;
		snprintf(w->msg, sizeof(w->msg),
		         "revision %s promoted: %d of %d pods available; activeService switches "
		         "once all are",
		         rel->revision, new_avail, (int)rel->replicas);
	} else {
		v->reason = REC_REASON_BLUE_GREEN_PROMOTION;
		snprintf(w->msg, sizeof(w->msg), "revision %s: %d of %d pods available",
		         rel->revision, avail, (int)rel->replicas);
	}
}

/* A missing Service outweighs the state's words. */
static void word_traffic(const struct rec_bg_machine *m, struct wording *w)
{
	if (!m->planned_traffic || !m->rep.missing)
		return;
	struct rec_verdict *v = &w->v;
	v->phase = REL_PHASE_DEGRADED;
	v->reason = REC_REASON_TRAFFIC_ROUTER_MISSING;
	v->ready = false;
	v->stalled = true;
	snprintf(w->msg, sizeof(w->msg), "revision %s: %s; the rollout waits until it is there",
	         m->c->rel->revision, m->rep.message);
}

static void word(const struct rec_bg_machine *m, bool complete, bool deadline, struct wording *w)
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
	const struct rec_rs *nr = m->s.new_rs;
	int avail = nr && !nr->planned ? (int)nr->available : 0;
	if (m->st == BG_STABLE) {
		v->phase = complete ? REL_PHASE_HEALTHY : REL_PHASE_PROGRESSING;
		v->ready = complete;
		v->reconciling = !complete;
		v->reason = complete ? REC_REASON_ROLLOUT_COMPLETE : REC_REASON_PODS_UNAVAILABLE;
		v->progressing = complete ? MODEL_CONDITION_TRUE : NULL;
		v->progressing_reason = REC_REASON_NEW_RS_AVAILABLE;
		snprintf(w->msg, sizeof(w->msg), "revision %s active: %d of %d pods available",
		         rel->revision, avail, (int)rel->replicas);
		snprintf(w->pmsg, sizeof(w->pmsg), "Revision %s has successfully progressed.",
		         rel->revision);
	} else if (deadline) {
		v->phase = REL_PHASE_DEGRADED;
		v->reason = REC_REASON_DEADLINE_EXCEEDED;
		v->stalled = true;
		v->progressing = MODEL_CONDITION_FALSE;
		v->progressing_reason = REC_REASON_DEADLINE_EXCEEDED;
		snprintf(w->msg, sizeof(w->msg),
		         "revision %s made no progress for %ds (spec.progressDeadlineSeconds) at "
		         "stage %s: %d of %d pods available",
		         rel->revision, (int)rel->progress_deadline_seconds,
		         rel_bg_stage_name(m->stage), avail, (int)m->new_pods);
		snprintf(w->pmsg, sizeof(w->pmsg), "Revision %s has timed out progressing.",
		         rel->revision);
	} else if (m->st == BG_FIRST || m->st == BG_PREVIEW || m->st == BG_SCALE_UP) {
		word_moving(m, avail, w);
	} else {
		word_waiting(m, w);
	}
	word_traffic(m, w);
}

/* STABLE is complete: the template whole and available, activeService (and
 * previewService) on it; earlier revisions may still be kept for their delay. */
static bool complete(const struct rec_bg_machine *m)
{
	const struct rec_ctx *c = m->c;
	const struct rec_rs *nr = m->s.new_rs;
	if (m->st != BG_STABLE || !m->planned_traffic || !m->rep.in_effect)
		return false;
	if (!nr || nr->planned || nr->want != c->rel->replicas || nr->available < c->rel->replicas)
		return false;
	for (size_t i = 0; i < c->n_rss; i++) {
		const struct rec_rs *v = &c->rss[i];
		if (v != nr && !v->kept && v->want != 0)
			return false;
	}
	return true;
}

static int report(struct rec_bg_machine *m)
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
	bool moving = m->st == BG_FIRST || m->st == BG_PREVIEW || m->st == BG_SCALE_UP;
	bool deadline = rec_strategy_deadline(c, &n, moving, started || m->moved, m->after);
	bool done = complete(m);
	struct wording w;
	word(m, done, deadline, &w);
	r = rec_status_report(c, &w.v);
	const struct rec_rs *active = m->st == BG_STABLE || m->st == BG_FIRST || m->st == BG_POST
	                                  ? m->s.new_rs
	                                  : m->stable_rs;
	if (r == 0)
		r = rec_status_availability(c, active ? active->available : 0, 0);
	if (r == 0 && done)
		r = rec_status_succeeded(c, m->s.new_rs ? m->s.new_rs->available : 0, m->after);
	if (r == 0 && deadline)
		r = rec_status_failed(c, REC_REASON_DEADLINE_EXCEEDED, w.msg, m->after);
	if (r == 0 && rec_claim_blocks(&m->obstacle))
		r = rec_status_failed(c, m->obstacle.reason, m->obstacle.message, m->after);
	bool warn = m->st == BG_PRE || m->st == BG_POST || (m->planned_traffic && m->rep.missing);
	if (r == 0 && warn && !rec_claim_blocks(&m->obstacle) &&
	    !rec_status_had_reason(c->observed, "Stalled", w.v.reason) &&
	    !rec_plan_add_event(m->after, c->release, REC_EVENT_WARNING, w.v.reason, w.msg))
		r = -ENOMEM;
	if (r == 0)
		r = record(m);
	return r;
}

int rec_bluegreen_reconcile(struct rec_ctx *c, const json_t *const *pods, size_t n_pods,
                            struct rec_plan *actions, struct rec_plan *after)
{
	struct rec_bg_machine m = {.c = c, .after = after};
	rec_scaling_init(&m.s, c, 0, 0);
	load(&m);
	int r = start(&m);
	if (r == 0)
		r = consume_intent(&m);
	if (r == 0)
		r = settle(&m);
	if (r == 0 && m.st != BG_HELD) {
		rec_bg_decide_services(&m);
		r = rec_bg_steer(&m, actions);
	}
	if (r == 0 && m.st != BG_HELD)
		r = move(&m, actions);
	if (r == 0)
		r = rec_scaling_emit(&m.s, actions);
	bool deleted = false;
	if (r == 0 && m.st != BG_HELD)
		r = rec_strategy_delete_replaced(c, m.s.new_rs, m.stable_rs, m.stable, actions,
		                                 &deleted);
	if (r == 0 && m.st == BG_STABLE && !deleted && rec_scaling_complete(&m.s))
		r = rec_scaling_clean_history(&m.s, actions);
	if (r == 0 && m.st != BG_HELD)
		r = rec_bg_label_pods(&m, pods, n_pods, actions);
	if (r == 0)
		r = report(&m);
	return r;
}
