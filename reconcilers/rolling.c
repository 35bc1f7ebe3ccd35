#include "reconcilers/rolling.h"

#include <errno.h>
#include <stdio.h>

#include "model/api.h"
#include "model/condition.h"
#include "model/intorstr.h"
#include "reconcilers/claim.h"
#include "reconcilers/scaling.h"
#include "reconcilers/status.h"

/* Where the rollout stands after this step. ST_BLOCKED: the current
 * revision's ReplicaSet cannot be had (a name collision, a refused create). */
enum state { ST_PROGRESSING, ST_COMPLETE, ST_WAITING, ST_DEADLINE, ST_PAUSED, ST_BLOCKED };

/* What the status step derives from the ReplicaSets before wording it. */
struct progress {
	struct rec_counts n;
	bool created;  /* this plan creates the current RS */
	bool complete; /* every pod updated and available */
	enum state st;
	const struct rec_obstacle *obstacle; /* what stands in the current RS's way */
};

/* The words of a verdict; rec_verdict points into them. */
struct wording {
	char msg[768];
	char pmsg[512];
	struct rec_verdict v;
};

/* Moves status.lastProgressTime and says where the rollout stands. Deployment's
 * DeploymentProgressing, plus the starts of a rollout (new revision, resume)
 * that restart the clock; paused, the clock stands still. */
static enum state judge(struct rec_ctx *c, const struct progress *p, bool started)
{
	const struct rel_release *rel = c->rel;
	const struct rel_status *obs = c->observed;
	struct rel_status *next = c->next;
	const struct rec_counts *n = &p->n;
	/* Deployment's isCompleteDeployment: after a revision completed, pods
	 * going away are no new rollout. */
	bool settled = !started &&
	               rec_status_had_reason(obs, "Progressing", REC_REASON_NEW_RS_AVAILABLE) &&
	               n->total == n->updated;
	bool was_paused = obs->phase == REL_PHASE_PAUSED ||
	                  rec_status_had_reason(obs, "Progressing", REC_REASON_ROLLOUT_PAUSED);
	bool progress = n->updated > obs->updated_replicas ||
	                n->total - n->updated < (int64_t)obs->replicas - obs->updated_replicas ||
	                n->ready > obs->ready_replicas || n->available > obs->available_replicas;
	if (!rel->paused &&
	    (started || p->created || was_paused || progress || next->last_progress_time == 0))
		next->last_progress_time = c->now;

	if (rel->paused)
		return ST_PAUSED;
	if (p->complete)
		return ST_COMPLETE;
	if (settled)
		return ST_WAITING;
	if (c->now - next->last_progress_time >= (time_t)rel->progress_deadline_seconds)
		return ST_DEADLINE;
	return ST_PROGRESSING;
}

/* Counts, history and the state of the rollout. 0 or -ENOMEM. */
static int track(struct rec_ctx *c, const struct rec_scaling *s, struct progress *p)
{
	const struct rel_release *rel = c->rel;
	struct rel_status *next = c->next;
	int r = rec_status_spec_summary(next, rel);
	if (r == 0)
		r = rel_status_set_string(&next->current_revision, rel->revision);
	if (r < 0)
		return r;
	next->observed_generation = rel->generation;
	p->n = rec_status_count(c, s->new_rs);
	rec_status_set_counts(next, &p->n);
	bool started = false;
	r = rec_status_start_rollout(c, &started);
	if (r < 0)
		return r;
	int64_t replicas = rel->replicas;
	p->complete =
	    p->n.updated == replicas && p->n.total == replicas && p->n.available == replicas;
	p->st = judge(c, p, started);
	bool blocked = rec_claim_blocks(p->obstacle);
	if (blocked && !rel->paused)
		p->st = ST_BLOCKED;
	return 0;
}

/* The phase, the summary and the conditions of p->st. rs_name is the
 * current RS, for the Progressing message. */
static void word(const struct rel_release *rel, const struct progress *p, const char *rs_name,
                 struct wording *w)
{
	int updated = (int)p->n.updated, available = (int)p->n.available;
	int replicas = (int)rel->replicas;
	struct rec_verdict *v = &w->v;
	*v = (struct rec_verdict){.message = w->msg,
	                          .ready_reason = REC_REASON_ROLLOUT_COMPLETE,
	                          .progressing_message = w->pmsg};
	switch (p->st) {
	case ST_COMPLETE:
		v->phase = REL_PHASE_HEALTHY;
		snprintf(w->msg, sizeof(w->msg), "revision %s: %d of %d pods available",
		         rel->revision, available, replicas);
		v->ready = true;
		v->reason = REC_REASON_ROLLOUT_COMPLETE;
		v->progressing = MODEL_CONDITION_TRUE;
		v->progressing_reason = REC_REASON_NEW_RS_AVAILABLE;
		snprintf(w->pmsg, sizeof(w->pmsg), "ReplicaSet %s has successfully progressed.",
		         rs_name);
		break;
	case ST_WAITING:
		v->phase = REL_PHASE_PROGRESSING;
		snprintf(w->msg, sizeof(w->msg), "revision %s: %d of %d pods available",
		         rel->revision, available, replicas);
		v->reason = REC_REASON_PODS_UNAVAILABLE;
		v->reconciling = true;
		break;
	case ST_PROGRESSING:
		v->phase = REL_PHASE_PROGRESSING;
		snprintf(w->msg, sizeof(w->msg),
		         "rolling out revision %s: %d of %d pods updated, %d available",
		         rel->revision, updated, replicas, available);
		v->reason = REC_REASON_ROLLING_UPDATE;
		v->reconciling = true;
		v->progressing = MODEL_CONDITION_TRUE;
		v->progressing_reason =
		    p->created ? REC_REASON_NEW_RS_CREATED : REC_REASON_RS_UPDATED;
		snprintf(w->pmsg, sizeof(w->pmsg), "ReplicaSet %s is progressing.", rs_name);
		break;
	case ST_DEADLINE:
		v->phase = REL_PHASE_DEGRADED;
		snprintf(
		    w->msg, sizeof(w->msg),
		    "revision %s made no progress for %ds (spec.progressDeadlineSeconds): %d of "
		    "%d pods updated, %d available",
		    rel->revision, (int)rel->progress_deadline_seconds, updated, replicas,
		    available);
		v->reason = REC_REASON_DEADLINE_EXCEEDED;
		v->stalled = true;
		v->progressing = MODEL_CONDITION_FALSE;
		v->progressing_reason = REC_REASON_DEADLINE_EXCEEDED;
		snprintf(w->pmsg, sizeof(w->pmsg), "ReplicaSet %s has timed out progressing.",
		         rs_name);
		break;
	case ST_PAUSED:
		v->phase = REL_PHASE_PAUSED;
		snprintf(w->msg, sizeof(w->msg),
		         "paused: revision %s has %d of %d pods updated, %d available",
		         rel->revision, updated, replicas, available);
		v->ready = p->complete;
		v->reason = REC_REASON_PAUSED;
		v->progressing = MODEL_CONDITION_UNKNOWN;
		v->progressing_reason = REC_REASON_ROLLOUT_PAUSED;
		snprintf(w->pmsg, sizeof(w->pmsg), "Release %s is paused (spec.paused).",
		         rel->name);
		break;
	case ST_BLOCKED:
		rec_claim_verdict(p->obstacle, v);
		break;
	}
}

/* Timers: the deadline, and minReadySeconds as a safety net (the ReplicaSet
 * controller itself updates availableReplicas then). */
static void requeue(const struct rec_ctx *c, const struct progress *p, struct rec_plan *after)
{
	const struct rel_release *rel = c->rel;
	if (p->st == ST_PROGRESSING)
		rec_plan_requeue(after, (double)(c->next->last_progress_time +
		                                 rel->progress_deadline_seconds - c->now));
	if (rel->min_ready_seconds > 0 && p->n.ready > p->n.available)
		rec_plan_requeue(after, rel->min_ready_seconds);
}

/* The status of this step, its transition Events (in `after`) and timers. */
static int update_status(const struct rec_scaling *s, bool created,
                         const struct rec_obstacle *obstacle, struct rec_plan *after)
{
	struct rec_ctx *c = s->c;
	const struct rel_release *rel = c->rel;
	struct progress p = {.created = created, .obstacle = obstacle};
	int r = track(c, s, &p);
	if (r < 0)
		return r;

	const char *rs_name = s->new_rs && !s->new_rs->planned ? s->new_rs->name : NULL;
	char made[MODEL_NAME_MAX + 1];
	if (!rs_name && model_child_name(rel->name, rel->revision, made, sizeof(made)) < 0)
		return -ENAMETOOLONG; /* validation rules it out */
	struct wording w;
	word(rel, &p, rs_name ? rs_name : made, &w);
	r = rec_status_report(c, &w.v);
	if (r == 0)
		r = rec_status_availability(c, p.n.available, s->unavailable);
	if (r == 0 && p.complete)
		r = rec_status_succeeded(c, p.n.available, after);
	if (r == 0 && p.st == ST_DEADLINE)
		r = rec_status_failed(c, REC_REASON_DEADLINE_EXCEEDED, w.msg, after);
	if (r == 0 && p.st == ST_BLOCKED)
		r = rec_status_failed(c, obstacle->reason, obstacle->message, after);
	if (r < 0)
		return r;
	requeue(c, &p, after);
	return 0;
}

/* The current RS is missing: create it, or adopt it, or wait for what is in
 * its way (o says which). *hold: move no other RS in this step. */
static int claim(struct rec_scaling *s, struct rec_obstacle *o, struct rec_plan *actions,
                 struct rec_plan *after, bool *created, bool *hold)
{
	struct rec_ctx *c = s->c;
	char name[MODEL_NAME_MAX + 1];
	if (model_child_name(c->rel->name, c->rel->revision, name, sizeof(name)) < 0)
		return -ENAMETOOLONG; /* validation rules it out */
	rec_claim_check(c, name, o);
	*hold = o->kind != REC_OBSTACLE_NONE;
	if (o->kind != REC_OBSTACLE_NONE)
		return rec_claim_plan(c, o, actions, after);
	int r = rec_scaling_create_new(s, rec_scaling_new_replicas(s, 0), actions);
	*created = r == 0;
	return r;
}

/* The rollout proper (not paused, not resized): create or grow the current
 * RS, shrink old ones when it did not grow. *created and *cleanup say what
 * the step did and whether history may be cleaned; o what stood in the way
 * of a missing current RS. */
static int roll(struct rec_scaling *s, struct rec_obstacle *o, struct rec_plan *actions,
                struct rec_plan *after, bool *created, bool *cleanup)
{
	bool scaled = false;
	int r = 0;
	if (!s->new_rs)
		r = claim(s, o, actions, after, created, &scaled);
	else
		scaled = rec_scaling_up_new(s);
	if (r == 0 && !scaled)
		rec_scaling_down_old(s);
	/* Old RSes are deleted only once the rollout is complete; the decisions
	 * above change nothing then. */
	*cleanup = !scaled && rec_scaling_complete(s);
	return r;
}

void rec_rolling_limits(const struct rel_release *rel, int32_t *surge, int32_t *unavailable)
{
	if (model_resolve_fenceposts(&rel->rolling.max_surge, &rel->rolling.max_unavailable,
	                             rel->replicas, surge, unavailable) < 0) {
		*surge = 0;
		*unavailable = 1;
	}
}

int rec_rolling_reconcile(struct rec_ctx *c, struct rec_plan *actions, struct rec_plan *after)
{
	const struct rel_release *rel = c->rel;
	int32_t surge, unavailable;
	rec_rolling_limits(rel, &surge, &unavailable);
	int r;
	struct rec_scaling s;
	rec_scaling_init(&s, c, surge, unavailable);

	bool created = false;
	bool cleanup = false;
	struct rec_obstacle obstacle = {.kind = REC_OBSTACLE_NONE};
	if (rel->paused || rec_scaling_resized(&s)) {
		r = rec_scaling_proportional(&s);
		cleanup = rel->paused;
	} else {
		r = roll(&s, &obstacle, actions, after, &created, &cleanup);
	}
	if (r == 0)
		r = rec_scaling_emit(&s, actions);
	if (r == 0 && cleanup)
		r = rec_scaling_clean_history(&s, actions);
	if (r == 0)
		r = update_status(&s, created, &obstacle, after);
	return r;
}
