#include "reconcilers/strategy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/api.h"

static bool streq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

struct rec_rs *rec_strategy_find_rs(struct rec_ctx *c, const char *revision)
{
	struct rec_rs *found = NULL;
	char name[MODEL_NAME_MAX + 1];
	if (!revision || model_child_name(c->rel->name, revision, name, sizeof(name)) < 0)
		return NULL;
	for (size_t i = 0; i < c->n_rss; i++) {
		struct rec_rs *v = &c->rss[i];
		if (streq(v->revision, revision) && (!found || strcmp(v->name, name) == 0))
			found = v;
	}
	return found;
}

const char *rec_strategy_adopt_stable(const struct rec_ctx *c)
{
	for (size_t i = c->n_rss; i-- > 0;) {
		const struct rec_rs *v = &c->rss[i];
		if (v->spec_replicas > 0 && v->revision && !streq(v->revision, c->rel->revision))
			return v->revision;
	}
	return NULL;
}

int rec_strategy_create(struct rec_scaling *s, int32_t replicas, struct rec_obstacle *obstacle,
                        struct rec_plan *actions, struct rec_plan *after)
{
	char name[MODEL_NAME_MAX + 1];
	if (model_child_name(s->c->rel->name, s->c->rel->revision, name, sizeof(name)) < 0)
		return -ENAMETOOLONG; /* validation rules it out */
	rec_claim_check(s->c, name, obstacle);
	if (obstacle->kind != REC_OBSTACLE_NONE)
		return rec_claim_plan(s->c, obstacle, actions, after);
	return rec_scaling_create_new(s, replicas < 0 ? 0 : replicas, actions);
}

int rec_strategy_take_intent(struct rec_ctx *c, struct rec_plan *after, struct rel_intent *in)
{
	const json_t *j = c->observed->intent;
	if (!j)
		return 0;
	json_decref(c->next->intent);
	c->next->intent = NULL;
	struct model_errors errs = {0};
	int r = rel_intent_parse(j, in, &errs);
	if (r == -EINVAL) {
		char *list = model_errors_join(&errs, "; ");
		r = list && rec_plan_add_event(after, c->release, REC_EVENT_WARNING,
		                               REC_REASON_INTENT_INVALID, list)
		        ? 0
		        : -ENOMEM;
		free(list);
		model_errors_clear(&errs);
		return r;
	}
	return r < 0 ? r : 1;
}

int rec_strategy_intent_ignored(struct rec_ctx *c, struct rec_plan *after,
                                const struct rel_intent *in)
{
	char note[REL_INTENT_USER_MAX + 256];
	snprintf(note, sizeof(note), "%s by %s ignored: it is about revision %s step %d",
	         rel_intent_action_name(in->action), in->user, in->revision,
	         in->has_step_index ? (int)in->step_index + 1 : 0);
	if (!rec_plan_add_event(after, c->release, REC_EVENT_NORMAL, REC_REASON_INTENT_IGNORED,
	                        note))
		return -ENOMEM;
	return 0;
}

bool rec_strategy_deadline(struct rec_ctx *c, const struct rec_counts *n, bool moving, bool reset,
                           struct rec_plan *after)
{
	const struct rel_status *obs = c->observed;
	struct rel_status *next = c->next;
	bool progress = n->updated > obs->updated_replicas ||
	                n->total - n->updated < (int64_t)obs->replicas - obs->updated_replicas ||
	                n->ready > obs->ready_replicas || n->available > obs->available_replicas;
	if (!moving || reset || progress || next->last_progress_time == 0)
		next->last_progress_time = c->now;
	if (!moving)
		return false;
	time_t end = next->last_progress_time + c->rel->progress_deadline_seconds;
	if (c->now >= end)
		return true;
	rec_plan_requeue(after, (double)(end - c->now));
	return false;
}

void rec_strategy_track_abort(struct rec_ctx *c, bool abort)
{
	struct rel_status *next = c->next;
	if (next->n_history == 0 || !streq(next->history[0].revision, c->rel->revision))
		return;
	struct rel_history_entry *e = &next->history[0];
	if (abort && e->outcome == REL_OUTCOME_NONE) {
		e->outcome = REL_OUTCOME_ABORTED;
		e->finished = c->now;
	} else if (!abort && e->outcome == REL_OUTCOME_ABORTED) {
		e->outcome = REL_OUTCOME_NONE;
		e->finished = 0;
	}
}

int rec_strategy_delete_replaced(struct rec_ctx *c, const struct rec_rs *keep_a,
                                 const struct rec_rs *keep_b, const char *stable,
                                 struct rec_plan *actions, bool *deleted)
{
	for (size_t i = 0; i < c->n_rss; i++) {
		const struct rec_rs *v = &c->rss[i];
		if (v == keep_a || v == keep_b || streq(v->revision, stable))
			continue;
		if (v->want != 0 || v->spec_replicas != 0 || v->status_replicas != 0)
			continue;
		const struct rel_history_entry *e = rel_status_history_find(c->next, v->revision);
		if (!e || e->outcome == REL_OUTCOME_SUCCEEDED)
			continue;
		struct rec_ref ref = rec_rs_ref(v, c->rel->namespace);
		if (!rec_plan_add(actions, REC_DELETE, &ref, NULL))
			return -ENOMEM;
		*deleted = true;
	}
	return 0;
}
