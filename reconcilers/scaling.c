#include "reconcilers/scaling.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/api.h"

/* Pods all ReplicaSets want, the one this plan creates included. */
static int64_t sum_want(const struct rec_scaling *s)
{
	int64_t n = 0;
	for (size_t i = 0; i < s->c->n_rss; i++)
		n += s->c->rss[i].want;
	if (s->new_rs == &s->created)
		n += s->created.want;
	return n;
}

static int64_t sum_available(const struct rec_scaling *s)
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

void rec_scaling_init(struct rec_scaling *s, struct rec_ctx *c, int32_t surge, int32_t unavailable)
{
	*s = (struct rec_scaling){.c = c, .surge = surge, .unavailable = unavailable};
	s->new_rs = find_new(c);
	if (s->new_rs)
		s->new_rs->make_current = true;
}

static void scale_to(struct rec_rs *v, int32_t n)
{
	v->want = n < 0 ? 0 : n;
	v->touched = true;
}

bool rec_scaling_resized(const struct rec_scaling *s)
{
	for (size_t i = 0; i < s->c->n_rss; i++) {
		const struct rec_rs *v = &s->c->rss[i];
		if (v->want > 0 && v->has_desired && v->desired != s->c->rel->replicas)
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
static int64_t fraction(const struct rec_scaling *s, const struct rec_rs *v)
{
	int32_t replicas = s->c->rel->replicas;
	if (replicas == 0)
		return -v->want;
	int64_t max_now = (int64_t)replicas + s->surge;
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

/* scale() with one active RS or none: it gets everything. */
static void scale_single(struct rec_scaling *s, struct rec_rs *active)
{
	struct rec_ctx *c = s->c;
	struct rec_rs *target = active ? active : s->new_rs;
	if (!target && c->n_rss > 0)
		target = &c->rss[c->n_rss - 1];
	if (target && target->want != c->rel->replicas)
		scale_to(target, c->rel->replicas);
}

/* scale() with several active RSes and a current RS that is not saturated:
 * the difference to replicas + surge in proportion. `active` is reordered. */
static int scale_shared(struct rec_scaling *s, struct rec_rs **active, size_t n)
{
	int32_t replicas = s->c->rel->replicas;
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
	if (!size)
		return -ENOMEM;
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
	return 0;
}

int rec_scaling_proportional(struct rec_scaling *s)
{
	struct rec_ctx *c = s->c;
	int32_t replicas = c->rel->replicas;
	struct rec_rs **active = calloc(c->n_rss + 1, sizeof(*active));
	if (!active)
		return -ENOMEM;
	size_t n = 0;
	for (size_t i = 0; i < c->n_rss; i++) {
		if (c->rss[i].want > 0)
			active[n++] = &c->rss[i];
	}
	int r = 0;
	struct rec_rs *nr = s->new_rs;
	if (n <= 1) {
		scale_single(s, n == 1 ? active[0] : NULL);
	} else if (nr && nr->want == replicas && nr->has_desired && nr->desired == replicas &&
	           nr->available == replicas) {
		/* The new RS is saturated: old ones go. */
		for (size_t i = 0; i < n; i++) {
			if (active[i] != nr)
				scale_to(active[i], 0);
		}
	} else {
		r = scale_shared(s, active, n);
	}
	free(active);
	return r;
}

int32_t rec_scaling_new_replicas(const struct rec_scaling *s, int32_t current_want)
{
	int32_t replicas = s->c->rel->replicas;
	int64_t current = sum_want(s);
	int64_t max_total = (int64_t)replicas + s->surge;
	if (current >= max_total)
		return current_want;
	int64_t up = max_total - current;
	if (up > (int64_t)replicas - current_want)
		up = (int64_t)replicas - current_want;
	return (int32_t)(current_want + up);
}

bool rec_scaling_up_new(struct rec_scaling *s)
{
	struct rec_rs *nr = s->new_rs;
	int32_t replicas = s->c->rel->replicas;
	if (nr->want == replicas)
		return false;
	int32_t n = nr->want > replicas ? replicas : rec_scaling_new_replicas(s, nr->want);
	if (n == nr->want)
		return false;
	scale_to(nr, n);
	return true;
}

/* cleanupUnhealthyReplicas: up to `max` unavailable pods of old RSes, oldest
 * RS first. Returns how many went. */
static int64_t scale_down_unhealthy(struct rec_scaling *s, int64_t max)
{
	struct rec_ctx *c = s->c;
	int64_t cleaned = 0;
	for (size_t i = 0; i < c->n_rss && cleaned < max; i++) {
		struct rec_rs *v = &c->rss[i];
		if (v == s->new_rs || v->want == 0 || v->want <= v->available)
			continue;
		int64_t d = max - cleaned;
		if (d > v->want - v->available)
			d = v->want - v->available;
		scale_to(v, (int32_t)(v->want - d));
		cleaned += d;
	}
	return cleaned;
}

/* scaleDownOldReplicaSetsForRollingUpdate: old pods beyond min_available,
 * oldest RS first. */
static void scale_down_available(struct rec_scaling *s, int64_t min_available)
{
	struct rec_ctx *c = s->c;
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

void rec_scaling_down_old(struct rec_scaling *s)
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
	int64_t min_available = (int64_t)c->rel->replicas - s->unavailable;
	int64_t new_unavailable = s->new_rs ? (int64_t)s->new_rs->want - s->new_rs->available : 0;
	int64_t max_scaled_down = all_pods - min_available - new_unavailable;
	if (max_scaled_down <= 0)
		return;
	scale_down_unhealthy(s, max_scaled_down);
	scale_down_available(s, min_available);
}

/* The note of a RevisionCreated Event: the RS and the images it runs. */
static void revision_note(const struct rel_release *rel, const char *name, char *note, size_t len)
{
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
	snprintf(note, len, "Created replica set %s for revision %s (%s)", name, rel->revision,
	         images[0] ? images : "no images");
}

int rec_scaling_create_new(struct rec_scaling *s, int32_t replicas, struct rec_plan *actions)
{
	const struct rel_release *rel = s->c->rel;
	char name[MODEL_NAME_MAX + 1];
	if (model_child_name(rel->name, rel->revision, name, sizeof(name)) < 0)
		return -ENAMETOOLONG;
	struct rec_rs *v = &s->created;
	memset(v, 0, sizeof(*v));
	v->planned = true;
	v->want = replicas;
	v->name = "";  /* never patched: `planned` */
	s->new_rs = v; /* counted by sum_want from here on */

	json_t *obj = rec_rs_new_object(rel, replicas, s->surge);
	if (!obj)
		return -ENOMEM;
	struct rec_ref ref = rec_rs_named_ref(rel->namespace, name);
	struct rec_action *a = rec_plan_add(actions, REC_CREATE, &ref, obj);
	json_decref(obj);
	if (!a)
		return -ENOMEM;
	char note[640];
	revision_note(rel, name, note, sizeof(note));
	if (!rec_plan_add_event(actions, s->c->release, REC_EVENT_NORMAL, "RevisionCreated", note))
		return -ENOMEM;
	if (replicas == 0)
		return 0;
	snprintf(note, sizeof(note), "Scaled up replica set %s from 0 to %d", name, (int)replicas);
	if (!rec_plan_add_event(actions, s->c->release, REC_EVENT_NORMAL, "ScalingReplicaSet",
	                        note))
		return -ENOMEM;
	return 0;
}

bool rec_scaling_complete(const struct rec_scaling *s)
{
	const struct rec_ctx *c = s->c;
	const struct rec_rs *nr = s->new_rs;
	if (!nr || nr->planned || nr->want != c->rel->replicas || nr->available != c->rel->replicas)
		return false;
	for (size_t i = 0; i < c->n_rss; i++) {
		if (&c->rss[i] != nr && (c->rss[i].want != 0 || c->rss[i].status_replicas != 0))
			return false;
	}
	return true;
}

int rec_scaling_emit(const struct rec_scaling *s, struct rec_plan *actions)
{
	for (int pass = 0; pass < 3; pass++) {
		for (size_t i = 0; i < s->c->n_rss; i++) {
			const struct rec_rs *v = &s->c->rss[i];
			int kind = v->want < v->spec_replicas   ? 0
			           : v->want > v->spec_replicas ? 1
			                                        : 2;
			if (kind != pass)
				continue;
			int r = rec_rs_emit(actions, v, s->c->rel, s->surge, s->c->release);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

int rec_scaling_clean_history(const struct rec_scaling *s, struct rec_plan *actions)
{
	const struct rec_ctx *c = s->c;
	size_t limit = (size_t)c->rel->revision_history_limit;
	size_t n_old = 0;
	for (size_t i = 0; i < c->n_rss; i++)
		n_old += &c->rss[i] != s->new_rs;
	if (n_old <= limit)
		return 0;
	size_t diff = n_old - limit;
	for (size_t i = 0, seen = 0; i < c->n_rss && seen < diff; i++) {
		const struct rec_rs *v = &c->rss[i];
		if (v == s->new_rs)
			continue;
		seen++;
		if (v->status_replicas != 0 || v->spec_replicas != 0 || v->want != 0 ||
		    v->generation > v->observed_generation)
			continue;
		struct rec_ref ref = rec_rs_ref(v, c->rel->namespace);
		if (!rec_plan_add(actions, REC_DELETE, &ref, NULL))
			return -ENOMEM;
	}
	return 0;
}

void rec_scaling_limits(const struct rel_rolling *pace, int32_t replicas, int32_t *surge,
                        int32_t *unavailable)
{
	if (model_resolve_fenceposts(&pace->max_surge, &pace->max_unavailable, replicas, surge,
	                             unavailable) < 0) {
		*surge = 0;
		*unavailable = 1;
	}
}

/* Grows v towards `target` by at most the room left under max_total. */
static void grow_towards(struct rec_scaling *s, struct rec_rs *v, int32_t target, int64_t max_total)
{
	if (v->want >= target)
		return;
	int64_t room = max_total - sum_want(s);
	if (room <= 0)
		return;
	int64_t n = (int64_t)target - v->want;
	scale_to(v, (int32_t)(v->want + (n < room ? n : room)));
}

/* Shrinks v towards `target`: unavailable pods freely, available ones out
 * of *budget. */
static void shrink_towards(struct rec_rs *v, int32_t target, int64_t *budget)
{
	if (v->want <= target)
		return;
	int64_t excess = (int64_t)v->want - target;
	int64_t unavailable = (int64_t)v->want - v->available;
	int64_t d = unavailable < excess ? unavailable : excess;
	if (d < 0)
		d = 0;
	int64_t more = excess - d;
	if (more > *budget)
		more = *budget;
	*budget -= more;
	scale_to(v, (int32_t)(v->want - d - more));
}

void rec_scaling_toward(struct rec_scaling *s, const int32_t *target, size_t first,
                        int64_t max_total, int64_t min_available)
{
	struct rec_ctx *c = s->c;
	if (first < c->n_rss)
		grow_towards(s, &c->rss[first], target[first], max_total);
	for (size_t i = c->n_rss; i-- > 0;) {
		if (i != first)
			grow_towards(s, &c->rss[i], target[i], max_total);
	}
	int64_t budget = sum_available(s) - min_available;
	if (budget < 0)
		budget = 0;
	for (size_t i = 0; i < c->n_rss; i++) {
		if (i != first)
			shrink_towards(&c->rss[i], target[i], &budget);
	}
	if (first < c->n_rss)
		shrink_towards(&c->rss[first], target[first], &budget);
}
