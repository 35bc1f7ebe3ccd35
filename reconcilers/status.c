#include "reconcilers/status.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/condition.h"
#include "model/labels.h"

static bool streq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

int rec_status_condition(struct rel_status *next, int64_t generation, time_t now, const char *type,
                         const char *status, const char *reason, const char *message)
{
	struct model_condition mc = {.type = type,
	                             .status = status,
	                             .reason = reason,
	                             .message = message,
	                             .observed_generation = generation};
	int r = model_condition_set(next->conditions, &mc, now);
	return r < 0 ? r : 0;
}

bool rec_status_had_reason(const struct rel_status *observed, const char *type, const char *reason)
{
	json_t *cond = model_condition_find(observed->conditions, type);
	return streq(json_string_value(json_object_get(cond, "reason")), reason);
}

int rec_status_spec_summary(struct rel_status *next, const struct rel_release *rel)
{
	char *selector = model_labels_selector_string(&rel->selector);
	if (!selector)
		return -ENOMEM;
	int r = rel_status_set_string(&next->selector, selector);
	free(selector);
	if (r == 0)
		r = rel_status_set_string(&next->strategy, rel_strategy_name(rel->strategy));
	return r;
}

struct rec_counts rec_status_count(const struct rec_ctx *c, const struct rec_rs *current)
{
	struct rec_counts n = {0};
	for (size_t i = 0; i < c->n_rss; i++) {
		n.total += c->rss[i].status_replicas;
		n.ready += c->rss[i].ready;
		n.available += c->rss[i].available;
	}
	n.updated = current ? current->status_replicas : 0;
	return n;
}

static int32_t cap32(int64_t n)
{
	return (int32_t)(n > INT32_MAX ? INT32_MAX : n);
}

void rec_status_set_counts(struct rel_status *next, const struct rec_counts *n)
{
	next->replicas = cap32(n->total);
	next->ready_replicas = cap32(n->ready);
	next->available_replicas = cap32(n->available);
	next->updated_replicas = cap32(n->updated);
}

int rec_status_start_rollout(struct rec_ctx *c, bool *started)
{
	const struct rel_release *rel = c->rel;
	struct rel_status *next = c->next;
	/* A new rollout: the previous one, if unfinished, was superseded. */
	bool start = !streq(c->observed->current_revision, rel->revision) || next->n_history == 0 ||
	             !streq(next->history[0].revision, rel->revision);
	*started = start;
	if (!start)
		return 0;
	if (next->n_history > 0 && next->history[0].outcome == REL_OUTCOME_NONE) {
		next->history[0].outcome = REL_OUTCOME_SUPERSEDED;
		next->history[0].finished = c->now;
	}
	json_t *images = rel_template_images(rel->template);
	if (!images)
		return -ENOMEM;
	int r = rel_status_history_push(next, rel->revision, images, c->now);
	json_decref(images);
	return r < 0 ? r : 0;
}

static const char *cond_status(bool b)
{
	return b ? MODEL_CONDITION_TRUE : MODEL_CONDITION_FALSE;
}

int rec_status_report(struct rec_ctx *c, const struct rec_verdict *v)
{
	struct rel_status *next = c->next;
	int64_t gen = c->rel->generation;
	next->phase = v->phase;
	int r = rel_status_set_string(&next->message, v->message);
	if (r == 0)
		r = rec_status_condition(next, gen, c->now, "Ready", cond_status(v->ready),
		                         v->ready ? v->ready_reason : v->reason, v->message);
	if (r == 0)
		r = rec_status_condition(next, gen, c->now, "Reconciling",
		                         cond_status(v->reconciling), v->reason, v->message);
	if (r == 0)
		r = rec_status_condition(next, gen, c->now, "Stalled", cond_status(v->stalled),
		                         v->reason, v->message);
	if (r == 0 && v->progressing)
		r = rec_status_condition(next, gen, c->now, "Progressing", v->progressing,
		                         v->progressing_reason, v->progressing_message);
	return r;
}

int rec_status_availability(struct rec_ctx *c, int64_t available, int32_t unavailable)
{
	int32_t replicas = c->rel->replicas;
	int64_t needed = (int64_t)replicas - unavailable;
	bool enough = available >= needed;
	char msg[128];
	snprintf(msg, sizeof(msg), "%d of %d pods available, at least %d needed", (int)available,
	         (int)replicas, (int)(needed < 0 ? 0 : needed));
	return rec_status_condition(
	    c->next, c->rel->generation, c->now, "Available", cond_status(enough),
	    enough ? REC_REASON_MIN_AVAILABLE : REC_REASON_MIN_UNAVAILABLE, msg);
}

int rec_status_succeeded(struct rec_ctx *c, int64_t available, struct rec_plan *after)
{
	const struct rel_release *rel = c->rel;
	struct rel_history_entry *entry = &c->next->history[0];
	if (entry->outcome == REL_OUTCOME_SUCCEEDED)
		return 0;
	entry->outcome = REL_OUTCOME_SUCCEEDED;
	entry->finished = c->now;
	int r = rel_status_set_string(&c->next->stable_revision, rel->revision);
	if (r < 0)
		return r;
	char note[256];
	snprintf(note, sizeof(note), "Rolled out revision %s: %d of %d pods available",
	         rel->revision, (int)available, (int)rel->replicas);
	if (!rec_plan_add_event(after, c->release, REC_EVENT_NORMAL, "RolloutCompleted", note))
		return -ENOMEM;
	return 0;
}

int rec_status_failed(struct rec_ctx *c, const char *reason, const char *message,
                      struct rec_plan *after)
{
	struct rel_history_entry *entry = &c->next->history[0];
	if (entry->outcome == REL_OUTCOME_NONE) {
		entry->outcome = REL_OUTCOME_FAILED;
		entry->finished = c->now;
	}
	if (rec_status_had_reason(c->observed, "Progressing", reason))
		return 0;
	if (!rec_plan_add_event(after, c->release, REC_EVENT_WARNING, reason, message))
		return -ENOMEM;
	return 0;
}
