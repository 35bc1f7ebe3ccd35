#include "reconcilers/rolling.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/api.h"
#include "model/condition.h"
#include "model/intorstr.h"
#include "model/labels.h"

struct step {
	struct rec_ctx *c;
	const struct rel_release *rel;
	struct rec_rs *new_rs; /* the current revision's RS, or NULL */
	struct rec_rs created; /* storage when this plan creates it */
	int32_t surge;
	int32_t unavailable;
};

static int64_t sum_want(const struct step *s)
{
	int64_t n = 0;
	for (size_t i = 0; i < s->c->n_rss; i++)
		n += s->c->rss[i].want;
	if (s->new_rs == &s->created)
		n += s->created.want;
	return n;
}

static int64_t sum_available(const struct step *s)
{
	int64_t n = 0;
	for (size_t i = 0; i < s->c->n_rss; i++)
		n += s->c->rss[i].available;
	return n;
}

/* The current revision's RS: labelled with the revision; the one with the
 * deterministic name wins if (against every expectation) there are several. */
static struct rec_rs *find_new(struct rec_ctx *c)
{
	struct rec_rs *found = NULL;
	char name[MODEL_NAME_MAX + 1];
	if (model_child_name(c->rel->name, c->rel->revision, name, sizeof(name)) < 0)
		name[0] = '\0'; /* validation rules it out; then no RS is "the" named one */
	for (size_t i = 0; i < c->n_rss; i++) {
		struct rec_rs *v = &c->rss[i];
		if (!v->revision || strcmp(v->revision, c->rel->revision) != 0)
			continue;
		if (!found || strcmp(v->name, name) == 0)
			found = v;
	}
	return found;
}

static void scale_to(struct rec_rs *v, int32_t n)
{
	v->want = n < 0 ? 0 : n;
	v->touched = true;
}

/* Deployment's isScalingEvent: an active RS was last scaled for another
 * spec.replicas. */
static bool is_scaling_event(const struct step *s)
{
	for (size_t i = 0; i < s->c->n_rss; i++) {
		const struct rec_rs *v = &s->c->rss[i];
		if (v->want > 0 && v->has_desired && v->desired != s->rel->replicas)
			return true;
	}
	return false;
}

/* Round-half-away-from-zero of a/b for b > 0 (Go's math.Round). */
static int64_t div_round(int64_t a, int64_t b)
{
	/* a is at most INT32_MAX * (2 * INT32_MAX): 2 * a could overflow, the
	 * remainder (below b) cannot. */
	int64_t q = a / b, r = a % b;
	if (r < 0)
		r = -r;
	if (2 * r >= b)
		q += a < 0 ? -1 : 1;
	return q;
}

/* getReplicaSetFraction: how many replicas v gains (or loses) when the
 * Release's size moves to replicas + surge. */
static int64_t fraction(const struct step *s, const struct rec_rs *v)
{
	if (s->rel->replicas == 0)
		return -v->want;
	int64_t max_now = (int64_t)s->rel->replicas + s->surge;
	int64_t before = v->has_max && v->max != 0 ? v->max : 0;
	if (before == 0) {
		/* No annotation: fall back to the size the status last reported. */
		before = s->c->observed->replicas;
		if (before == 0)
			return 0;
	}
	return div_round((int64_t)v->want * max_now, before) - v->want;
}

static int cmp_size_newer(const void *pa, const void *pb)
{
	const struct rec_rs *a = *(struct rec_rs *const *)pa, *b = *(struct rec_rs *const *)pb;
	if (a->want != b->want)
		return a->want > b->want ? -1 : 1;
	return -rec_rs_cmp_older(a, b);
}

static int cmp_size_older(const void *pa, const void *pb)
{
	const struct rec_rs *a = *(struct rec_rs *const *)pa, *b = *(struct rec_rs *const *)pb;
	if (a->want != b->want)
		return a->want > b->want ? -1 : 1;
	return rec_rs_cmp_older(a, b);
}

/* Deployment's scale(): used when paused and when spec.replicas changed. */
static int scale(struct step *s)
{
	struct rec_ctx *c = s->c;
	int32_t replicas = s->rel->replicas;
	struct rec_rs **active = calloc(c->n_rss + 1, sizeof(*active));
	if (!active)
		return -ENOMEM;
	size_t n = 0;
	for (size_t i = 0; i < c->n_rss; i++) {
		if (c->rss[i].want > 0)
			active[n++] = &c->rss[i];
	}
	if (n <= 1) {
		/* One active RS gets everything; with none, the newest does. */
		struct rec_rs *target = n == 1 ? active[0] : s->new_rs;
		if (!target && c->n_rss > 0)
			target = &c->rss[c->n_rss - 1];
		if (target && target->want != replicas)
			scale_to(target, replicas);
		free(active);
		return 0;
	}
	struct rec_rs *nr = s->new_rs;
	if (nr && nr->want == replicas && nr->has_desired && nr->desired == replicas &&
	    nr->available == replicas) {
		/* The new RS is saturated: old ones go. */
		for (size_t i = 0; i < n; i++) {
			if (active[i] != nr)
				scale_to(active[i], 0);
		}
		free(active);
		return 0;
	}
	int64_t total = 0;
	for (size_t i = 0; i < n; i++)
		total += active[i]->want;
	int64_t allowed = replicas > 0 ? (int64_t)replicas + s->surge : 0;
	int64_t to_add = allowed - total;
	if (to_add > 0)
		qsort(active, n, sizeof(*active), cmp_size_newer);
	else if (to_add < 0)
		qsort(active, n, sizeof(*active), cmp_size_older);
	int64_t added = 0;
	int64_t *size = calloc(n, sizeof(*size));
	if (!size) {
		free(active);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		size[i] = active[i]->want;
		if (to_add == 0 || to_add == added)
			continue;
		int64_t f = fraction(s, active[i]);
		int64_t left = to_add - added;
		int64_t p = to_add > 0 ? (f < left ? f : left) : (f > left ? f : left);
		size[i] += p;
		added += p;
	}
	/* Leftovers go to the largest. */
	if (to_add != 0) {
		size[0] += to_add - added;
		if (size[0] < 0)
			size[0] = 0;
	}
	for (size_t i = 0; i < n; i++)
		scale_to(active[i], size[i] > INT32_MAX ? INT32_MAX : (int32_t)size[i]);
	free(size);
	free(active);
	return 0;
}

/* NewRSNewReplicas for the rolling strategy. */
static int32_t new_rs_new_replicas(const struct step *s, int32_t new_want)
{
	int64_t current = sum_want(s);
	int64_t max_total = (int64_t)s->rel->replicas + s->surge;
	if (current >= max_total)
		return new_want;
	int64_t up = max_total - current;
	if (up > (int64_t)s->rel->replicas - new_want)
		up = (int64_t)s->rel->replicas - new_want;
	return (int32_t)(new_want + up);
}

/* reconcileNewReplicaSet: true when it scaled. */
static bool reconcile_new(struct step *s)
{
	struct rec_rs *nr = s->new_rs;
	int32_t replicas = s->rel->replicas;
	if (nr->want == replicas)
		return false;
	int32_t n = nr->want > replicas ? replicas : new_rs_new_replicas(s, nr->want);
	if (n == nr->want)
		return false;
	scale_to(nr, n);
	return true;
}

/* reconcileOldReplicaSets with cleanupUnhealthyReplicas and
 * scaleDownOldReplicaSetsForRollingUpdate. */
static void reconcile_old(struct step *s)
{
	struct rec_ctx *c = s->c;
	int64_t old_pods = 0;
	for (size_t i = 0; i < c->n_rss; i++) {
		if (&c->rss[i] != s->new_rs)
			old_pods += c->rss[i].want;
	}
	if (old_pods == 0)
		return;
	int64_t all_pods = sum_want(s);
	int64_t min_available = (int64_t)s->rel->replicas - s->unavailable;
	int64_t new_unavailable = s->new_rs ? (int64_t)s->new_rs->want - s->new_rs->available : 0;
	int64_t max_scaled_down = all_pods - min_available - new_unavailable;
	if (max_scaled_down <= 0)
		return;

	/* Unhealthy pods of old RSes first, oldest RS first: removing them
	 * costs no availability. */
	int64_t cleaned = 0;
	for (size_t i = 0; i < c->n_rss && cleaned < max_scaled_down; i++) {
		struct rec_rs *v = &c->rss[i];
		if (v == s->new_rs || v->want == 0 || v->want <= v->available)
			continue;
		int64_t d = max_scaled_down - cleaned;
		if (d > v->want - v->available)
			d = v->want - v->available;
		scale_to(v, (int32_t)(v->want - d));
		cleaned += d;
	}

	int64_t available = sum_available(s);
	if (available <= min_available)
		return;
	int64_t budget = available - min_available;
	int64_t done = 0;
	for (size_t i = 0; i < c->n_rss && done < budget; i++) {
		struct rec_rs *v = &c->rss[i];
		if (v == s->new_rs || v->want == 0)
			continue;
		int64_t d = budget - done;
		if (d > v->want)
			d = v->want;
		scale_to(v, (int32_t)(v->want - d));
		done += d;
	}
}

/* cleanupDeployment: old RSes beyond revisionHistoryLimit with no pods,
 * oldest first. */
static int cleanup_history(struct step *s, struct rec_plan *actions)
{
	struct rec_ctx *c = s->c;
	size_t n_old = 0;
	for (size_t i = 0; i < c->n_rss; i++)
		n_old += &c->rss[i] != s->new_rs;
	if (n_old <= (size_t)s->rel->revision_history_limit)
		return 0;
	size_t diff = n_old - (size_t)s->rel->revision_history_limit;
	for (size_t i = 0, seen = 0; i < c->n_rss && seen < diff; i++) {
		struct rec_rs *v = &c->rss[i];
		if (v == s->new_rs)
			continue;
		seen++;
		if (v->status_replicas != 0 || v->spec_replicas != 0 || v->want != 0 ||
		    v->generation > v->observed_generation)
			continue;
		struct rec_ref ref = rec_rs_ref(v, s->rel->namespace);
		if (!rec_plan_add(actions, REC_DELETE, &ref, NULL))
			return -ENOMEM;
	}
	return 0;
}

static int create_new(struct step *s, struct rec_plan *actions)
{
	const struct rel_release *rel = s->rel;
	struct rec_rs *v = &s->created;
	memset(v, 0, sizeof(*v));
	v->planned = true;
	v->want = 0;
	s->new_rs = v; /* counted by sum_want from here on */
	int32_t n = new_rs_new_replicas(s, 0);
	v->want = n;

	char name[MODEL_NAME_MAX + 1];
	if (model_child_name(rel->name, rel->revision, name, sizeof(name)) < 0)
		return -ENAMETOOLONG; /* validation rules it out */
	json_t *obj = rec_rs_new_object(rel, n, s->surge);
	int r = -ENOMEM;
	if (!obj)
		goto out;
	struct rec_ref ref = rec_rs_named_ref(rel->namespace, name);
	if (!rec_plan_add(actions, REC_CREATE, &ref, obj))
		goto out;

	char images[256] = "";
	json_t *list = rel_template_images(rel->template);
	size_t i;
	json_t *im;
	json_array_foreach(list, i, im)
	{
		size_t used = strlen(images);
		snprintf(images + used, sizeof(images) - used, "%s%s", i ? ", " : "",
		         json_string_value(im));
	}
	json_decref(list);
	char note[640];
	snprintf(note, sizeof(note), "Created replica set %s for revision %s (%s)", name,
	         rel->revision, images[0] ? images : "no images");
	if (!rec_plan_add_event(actions, s->c->release, REC_EVENT_NORMAL, "RevisionCreated", note))
		goto out;
	if (n > 0) {
		snprintf(note, sizeof(note), "Scaled up replica set %s from 0 to %d", name, (int)n);
		if (!rec_plan_add_event(actions, s->c->release, REC_EVENT_NORMAL,
		                        "ScalingReplicaSet", note))
			goto out;
	}
	v->name = ""; /* never patched: `planned` */
	r = 0;
out:
	json_decref(obj);
	return r;
}

/* One patch per changed RS: scale-downs first, then scale-ups, then
 * annotation-only changes, so no moment has more pods than either end. */
static int emit_patches(struct step *s, struct rec_plan *actions)
{
	for (int pass = 0; pass < 3; pass++) {
		for (size_t i = 0; i < s->c->n_rss; i++) {
			const struct rec_rs *v = &s->c->rss[i];
			int kind = v->want < v->spec_replicas   ? 0
			           : v->want > v->spec_replicas ? 1
			                                        : 2;
			if (kind != pass)
				continue;
			if (rec_rs_emit(actions, v, s->rel, s->surge, s->c->release) < 0)
				return -ENOMEM;
		}
	}
	return 0;
}

enum state { ST_PROGRESSING, ST_COMPLETE, ST_WAITING, ST_DEADLINE, ST_PAUSED };

static int set_cond(struct rec_ctx *c, const char *type, const char *status, const char *reason,
                    const char *message)
{
	struct model_condition mc = {.type = type,
	                             .status = status,
	                             .reason = reason,
	                             .message = message,
	                             .observed_generation = c->rel->generation};
	int r = model_condition_set(c->next->conditions, &mc, c->now);
	return r < 0 ? r : 0;
}

static const char *observed_reason(const struct rec_ctx *c, const char *type)
{
	json_t *cond = model_condition_find(c->observed->conditions, type);
	return json_string_value(json_object_get(cond, "reason"));
}

static bool streq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

static int update_status(struct step *s, bool created, struct rec_plan *after)
{
	struct rec_ctx *c = s->c;
	const struct rel_release *rel = s->rel;
	const struct rel_status *obs = c->observed;
	struct rel_status *next = c->next;
	int r;

	char *selector = model_labels_selector_string(&rel->selector);
	if (!selector)
		return -ENOMEM;
	r = rel_status_set_string(&next->selector, selector);
	free(selector);
	if (r == 0)
		r = rel_status_set_string(&next->strategy, rel_strategy_name(rel->strategy));
	if (r == 0)
		r = rel_status_set_string(&next->current_revision, rel->revision);
	if (r < 0)
		return r;
	next->observed_generation = rel->generation;

	/* Counts from the ReplicaSets' status, as Deployment's calculateStatus. */
	int64_t total = 0, ready = 0, available = 0;
	for (size_t i = 0; i < c->n_rss; i++) {
		total += c->rss[i].status_replicas;
		ready += c->rss[i].ready;
		available += c->rss[i].available;
	}
	int64_t updated = s->new_rs ? s->new_rs->status_replicas : 0;
	next->replicas = (int32_t)(total > INT32_MAX ? INT32_MAX : total);
	next->ready_replicas = (int32_t)(ready > INT32_MAX ? INT32_MAX : ready);
	next->available_replicas = (int32_t)(available > INT32_MAX ? INT32_MAX : available);
	next->updated_replicas = (int32_t)updated;

	/* A new rollout: the previous one, if unfinished, was superseded. */
	bool started = !streq(obs->current_revision, rel->revision) || next->n_history == 0 ||
	               !streq(next->history[0].revision, rel->revision);
	if (started) {
		if (next->n_history > 0 && next->history[0].outcome == REL_OUTCOME_NONE) {
			next->history[0].outcome = REL_OUTCOME_SUPERSEDED;
			next->history[0].finished = c->now;
		}
		json_t *images = rel_template_images(rel->template);
		if (!images)
			return -ENOMEM;
		r = rel_status_history_push(next, rel->revision, images, c->now);
		json_decref(images);
		if (r < 0)
			return r;
	}
	struct rel_history_entry *entry = &next->history[0];

	int32_t replicas = rel->replicas;
	bool complete = updated == replicas && total == replicas && available == replicas;
	/* Deployment's isCompleteDeployment: after a revision completed, pods
	 * going away are no new rollout. */
	bool settled = !started &&
	               streq(observed_reason(c, "Progressing"), REC_REASON_NEW_RS_AVAILABLE) &&
	               total == updated;
	bool was_paused = obs->phase == REL_PHASE_PAUSED ||
	                  streq(observed_reason(c, "Progressing"), REC_REASON_ROLLOUT_PAUSED);

	/* Deployment's DeploymentProgressing, plus the starts of a rollout
	 * (new revision, resume) that restart the clock. Paused: the clock
	 * stands still. */
	bool progress = updated > obs->updated_replicas ||
	                total - updated < (int64_t)obs->replicas - obs->updated_replicas ||
	                ready > obs->ready_replicas || available > obs->available_replicas;
	if (!rel->paused &&
	    (started || created || was_paused || progress || next->last_progress_time == 0))
		next->last_progress_time = c->now;

	enum state st;
	if (rel->paused)
		st = ST_PAUSED;
	else if (complete)
		st = ST_COMPLETE;
	else if (settled)
		st = ST_WAITING;
	else if (c->now - next->last_progress_time >= (time_t)rel->progress_deadline_seconds)
		st = ST_DEADLINE;
	else
		st = ST_PROGRESSING;

	const char *rs_name = s->new_rs && !s->new_rs->planned ? s->new_rs->name : NULL;
	char made[MODEL_NAME_MAX + 1];
	if (!rs_name && model_child_name(rel->name, rel->revision, made, sizeof(made)) < 0)
		return -ENAMETOOLONG; /* validation rules it out */
	if (!rs_name)
		rs_name = made;

	char msg[768];
	char pmsg[512];
	const char *ready_st = MODEL_CONDITION_FALSE, *reason = NULL;
	const char *recon_st = MODEL_CONDITION_FALSE, *stalled_st = MODEL_CONDITION_FALSE;
	const char *prog_st = NULL, *prog_reason = NULL;
	switch (st) {
	case ST_COMPLETE:
		next->phase = REL_PHASE_HEALTHY;
		snprintf(msg, sizeof(msg), "revision %s: %d of %d pods available", rel->revision,
		         (int)available, (int)replicas);
		ready_st = MODEL_CONDITION_TRUE;
		reason = REC_REASON_ROLLOUT_COMPLETE;
		prog_st = MODEL_CONDITION_TRUE;
		prog_reason = REC_REASON_NEW_RS_AVAILABLE;
		snprintf(pmsg, sizeof(pmsg), "ReplicaSet %s has successfully progressed.", rs_name);
		break;
	case ST_WAITING:
		next->phase = REL_PHASE_PROGRESSING;
		snprintf(msg, sizeof(msg), "revision %s: %d of %d pods available", rel->revision,
		         (int)available, (int)replicas);
		reason = REC_REASON_PODS_UNAVAILABLE;
		recon_st = MODEL_CONDITION_TRUE;
		break;
	case ST_PROGRESSING:
		next->phase = REL_PHASE_PROGRESSING;
		snprintf(msg, sizeof(msg),
		         "rolling out revision %s: %d of %d pods updated, %d available",
		         rel->revision, (int)updated, (int)replicas, (int)available);
		reason = REC_REASON_ROLLING_UPDATE;
		recon_st = MODEL_CONDITION_TRUE;
		prog_st = MODEL_CONDITION_TRUE;
		prog_reason = created ? REC_REASON_NEW_RS_CREATED : REC_REASON_RS_UPDATED;
		snprintf(pmsg, sizeof(pmsg), "ReplicaSet %s is progressing.", rs_name);
		break;
	case ST_DEADLINE:
		next->phase = REL_PHASE_DEGRADED;
		snprintf(
		    msg, sizeof(msg),
		    "revision %s made no progress for %ds (spec.progressDeadlineSeconds): %d of %d "
		    "pods updated, %d available",
		    rel->revision, (int)rel->progress_deadline_seconds, (int)updated, (int)replicas,
		    (int)available);
		reason = REC_REASON_DEADLINE_EXCEEDED;
		stalled_st = MODEL_CONDITION_TRUE;
		prog_st = MODEL_CONDITION_FALSE;
		prog_reason = REC_REASON_DEADLINE_EXCEEDED;
		snprintf(pmsg, sizeof(pmsg), "ReplicaSet %s has timed out progressing.", rs_name);
		break;
	case ST_PAUSED:
		next->phase = REL_PHASE_PAUSED;
		snprintf(msg, sizeof(msg),
		         "paused: revision %s has %d of %d pods updated, %d available",
		         rel->revision, (int)updated, (int)replicas, (int)available);
		if (complete)
			ready_st = MODEL_CONDITION_TRUE;
		reason = REC_REASON_PAUSED;
		prog_st = MODEL_CONDITION_UNKNOWN;
		prog_reason = REC_REASON_ROLLOUT_PAUSED;
		snprintf(pmsg, sizeof(pmsg), "Release %s is paused (spec.paused).", rel->name);
		break;
	}

	r = rel_status_set_string(&next->message, msg);
	if (r == 0)
		r = set_cond(c, "Ready", ready_st,
		             ready_st[0] == 'T' ? REC_REASON_ROLLOUT_COMPLETE : reason, msg);
	if (r == 0)
		r = set_cond(c, "Reconciling", recon_st, reason, msg);
	if (r == 0)
		r = set_cond(c, "Stalled", stalled_st, reason, msg);
	if (r == 0 && prog_st)
		r = set_cond(c, "Progressing", prog_st, prog_reason, pmsg);
	if (r == 0) {
		bool enough = available >= (int64_t)replicas - s->unavailable;
		char amsg[128];
		snprintf(amsg, sizeof(amsg), "%d of %d pods available, at least %d needed",
		         (int)available, (int)replicas,
		         (int)(replicas - s->unavailable < 0 ? 0 : replicas - s->unavailable));
		r = set_cond(c, "Available", enough ? MODEL_CONDITION_TRUE : MODEL_CONDITION_FALSE,
		             enough ? REC_REASON_MIN_AVAILABLE : REC_REASON_MIN_UNAVAILABLE, amsg);
	}
	if (r < 0)
		return r;

	/* History and the Events of transitions. */
	if (complete && entry->outcome != REL_OUTCOME_SUCCEEDED) {
		entry->outcome = REL_OUTCOME_SUCCEEDED;
		entry->finished = c->now;
		r = rel_status_set_string(&next->stable_revision, rel->revision);
		if (r < 0)
			return r;
		char note[256];
		snprintf(note, sizeof(note), "Rolled out revision %s: %d of %d pods available",
		         rel->revision, (int)available, (int)replicas);
		if (!rec_plan_add_event(after, c->release, REC_EVENT_NORMAL, "RolloutCompleted",
		                        note))
			return -ENOMEM;
	}
	if (st == ST_DEADLINE) {
		if (entry->outcome == REL_OUTCOME_NONE) {
			entry->outcome = REL_OUTCOME_FAILED;
			entry->finished = c->now;
		}
		if (!streq(observed_reason(c, "Progressing"), REC_REASON_DEADLINE_EXCEEDED) &&
		    !rec_plan_add_event(after, c->release, REC_EVENT_WARNING,
		                        REC_REASON_DEADLINE_EXCEEDED, msg))
			return -ENOMEM;
	}

	/* Timers: the deadline, and minReadySeconds as a safety net (the
	 * ReplicaSet controller itself updates availableReplicas then). */
	if (st == ST_PROGRESSING)
		rec_plan_requeue(after, (double)(next->last_progress_time +
		                                 rel->progress_deadline_seconds - c->now));
	if (rel->min_ready_seconds > 0 && ready > available)
		rec_plan_requeue(after, rel->min_ready_seconds);
	return 0;
}

int rec_rolling_reconcile(struct rec_ctx *c, struct rec_plan *actions, struct rec_plan *after)
{
	struct step s = {.c = c, .rel = c->rel};
	const struct rel_release *rel = c->rel;
	int r = model_resolve_fenceposts(&rel->rolling.max_surge, &rel->rolling.max_unavailable,
	                                 rel->replicas, &s.surge, &s.unavailable);
	if (r < 0) {
		/* Only a value beyond int32 gets here; the model validated the rest. */
		s.surge = 0;
		s.unavailable = 1;
	}
	s.new_rs = find_new(c);
	if (s.new_rs)
		s.new_rs->make_current = true;

	bool created = false;
	bool cleanup = false;
	if (rel->paused || is_scaling_event(&s)) {
		r = scale(&s);
		cleanup = rel->paused;
	} else {
		bool scaled = false;
		if (!s.new_rs && c->new_name_deleting) {
			/* Wait for the old incarnation to go before moving
			 * anything; its deletion event brings us back, the
			 * requeue is a safety net. */
			rec_plan_requeue(after, 5);
			scaled = true;
		} else if (!s.new_rs) {
			r = create_new(&s, actions);
			created = r == 0;
		} else {
			scaled = reconcile_new(&s);
		}
		if (r == 0 && !scaled)
			reconcile_old(&s);
		/* Old RSes are deleted only once the rollout is complete; the
		 * decisions above change nothing then. */
		bool complete = s.new_rs && !created && s.new_rs->want == rel->replicas &&
		                s.new_rs->available == rel->replicas;
		for (size_t i = 0; complete && i < c->n_rss; i++) {
			if (&c->rss[i] != s.new_rs &&
			    (c->rss[i].want != 0 || c->rss[i].status_replicas != 0))
				complete = false;
		}
		cleanup = !scaled && complete;
	}
	if (r == 0)
		r = emit_patches(&s, actions);
	if (r == 0 && cleanup)
		r = cleanup_history(&s, actions);
	if (r == 0)
		r = update_status(&s, created, after);
	return r;
}
