#include "reconcilers/plan.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void rec_plan_init(struct rec_plan *p)
{
	memset(p, 0, sizeof(*p));
	p->requeue_after = -1;
}

static void ref_clear(struct rec_ref *r)
{
	free(r->group);
	free(r->version);
	free(r->resource);
	free(r->kind);
	free(r->ns);
	free(r->name);
	free(r->uid);
	free(r->resource_version);
	memset(r, 0, sizeof(*r));
}

static void action_clear(struct rec_action *a)
{
	ref_clear(&a->ref);
	free(a->subresource);
	json_decref(a->body);
	free(a->reason);
	free(a->note);
	memset(a, 0, sizeof(*a));
}

void rec_plan_clear(struct rec_plan *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n_actions; i++)
		action_clear(&p->actions[i]);
	free(p->actions);
	rec_plan_init(p);
}

/* strdup that keeps NULL; *ok becomes false on ENOMEM. */
static char *dup_opt(const char *s, bool *ok)
{
	if (!s)
		return NULL;
	char *d = strdup(s);
	if (!d)
		*ok = false;
	return d;
}

/* Reserves one more slot; false on ENOMEM (plan unchanged). */
static bool grow(struct rec_plan *p)
{
	if (p->n_actions < p->cap)
		return true;
	size_t cap = p->cap ? p->cap * 2 : 8;
	if (cap > SIZE_MAX / sizeof(*p->actions))
		return false;
	struct rec_action *a = realloc(p->actions, cap * sizeof(*a));
	if (!a)
		return false;
	p->actions = a;
	p->cap = cap;
	return true;
}

struct rec_action *rec_plan_add(struct rec_plan *p, enum rec_action_kind kind,
                                const struct rec_ref *ref, json_t *body)
{
	if (!grow(p))
		return NULL;
	struct rec_action a = {.kind = kind};
	bool ok = true;
	a.ref.group = dup_opt(ref->group, &ok);
	a.ref.version = dup_opt(ref->version, &ok);
	a.ref.resource = dup_opt(ref->resource, &ok);
	a.ref.kind = dup_opt(ref->kind, &ok);
	a.ref.ns = dup_opt(ref->ns, &ok);
	a.ref.name = dup_opt(ref->name, &ok);
	a.ref.uid = dup_opt(ref->uid, &ok);
	a.ref.resource_version = dup_opt(ref->resource_version, &ok);
	if (!ok) {
		action_clear(&a);
		return NULL;
	}
	a.body = json_incref(body);
	p->actions[p->n_actions] = a;
	return &p->actions[p->n_actions++];
}

struct rec_action *rec_plan_add_event(struct rec_plan *p, const struct rec_ref *ref,
                                      enum rec_event_type type, const char *reason,
                                      const char *note)
{
	struct rec_action *a = rec_plan_add(p, REC_EVENT, ref, NULL);
	if (!a)
		return NULL;
	bool ok = true;
	a->event_type = type;
	a->reason = dup_opt(reason, &ok);
	a->note = dup_opt(note, &ok);
	if (!ok) {
		p->n_actions--;
		action_clear(a);
		return NULL;
	}
	return a;
}

struct rec_action *rec_plan_add_apply(struct rec_plan *p, const struct rec_ref *ref, json_t *obj)
{
	json_t *meta = json_object_get(obj, "metadata");
	const char *name = json_string_value(json_object_get(meta, "name"));
	if (!json_is_string(json_object_get(obj, "apiVersion")) ||
	    !json_is_string(json_object_get(obj, "kind")) || !name || !*name)
		return NULL;
	if (ref->name && strcmp(ref->name, name) != 0)
		return NULL;
	struct rec_ref named = *ref;
	/* rec_plan_add only copies the ref's strings; the cast lends it obj's. */
	named.name = (char *)name;
	return rec_plan_add(p, REC_APPLY, &named, obj);
}

struct rec_action *rec_plan_add_json_patch(struct rec_plan *p, const struct rec_ref *ref,
                                           json_t *ops)
{
	if (!json_is_array(ops) || !ref->name)
		return NULL;
	return rec_plan_add(p, REC_JSON_PATCH, ref, ops);
}

void rec_plan_requeue(struct rec_plan *p, double seconds)
{
	if (seconds < 0)
		return;
	if (p->requeue_after < 0 || seconds < p->requeue_after)
		p->requeue_after = seconds;
}

int rec_plan_take(struct rec_plan *dst, struct rec_plan *src)
{
	/* Reserve first, so a failure leaves both plans as they were. */
	size_t need = dst->n_actions + src->n_actions;
	if (need > dst->cap) {
		if (need > SIZE_MAX / sizeof(*dst->actions))
			return -ENOMEM;
		struct rec_action *a = realloc(dst->actions, need * sizeof(*a));
		if (!a)
			return -ENOMEM;
		dst->actions = a;
		dst->cap = need;
	}
	/* Ownership moves with the structs; src forgets them below. */
	if (src->n_actions > 0)
		memcpy(&dst->actions[dst->n_actions], src->actions,
		       src->n_actions * sizeof(*src->actions));
	dst->n_actions = need;
	rec_plan_requeue(dst, src->requeue_after);
	free(src->actions);
	rec_plan_init(src);
	return 0;
}

const char *rec_action_kind_name(enum rec_action_kind kind)
{
	switch (kind) {
	case REC_CREATE:
		return "create";
	case REC_MERGE_PATCH:
		return "merge-patch";
	case REC_DELETE:
		return "delete";
	case REC_EVENT:
		return "event";
	case REC_WRITE_STATUS:
		return "write-status";
	case REC_APPLY:
		return "apply";
	case REC_JSON_PATCH:
		return "json-patch";
	}
	return "unknown";
}

bool rec_failure_permanent(const struct rec_failure *f)
{
	long s = f ? f->http_status : 0;
	if (s < 400 || s > 499)
		return false;
	switch (s) {
	case 401: /* credentials: a token refresh, not the object */
	case 403: /* RBAC, fixed by an operator without touching the Release */
	case 404:
	case 408:
	case 409:
	case 429:
		return false;
	default:
		return true;
	}
}
