#include "reconcilers/canary-traffic.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "model/api.h"

static bool streq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

/* Puts route `name` last in list (n of them), replacing one of the same
 * name; `route` NULL only removes it. -E2BIG when full. */
static int route_set(const void **list, size_t *n, const char *(*name_of)(const void *),
                     const char *name, const void *route)
{
	size_t k = 0;
	for (size_t i = 0; i < *n; i++) {
		if (strcmp(name_of(list[i]), name) != 0)
			list[k++] = list[i];
	}
	*n = k;
	if (!route)
		return 0;
	if (*n == REC_TRAFFIC_ROUTES_MAX)
		return -E2BIG;
	list[(*n)++] = route;
	return 0;
}

static const char *header_name(const void *r)
{
	return ((const struct rel_header_route *)r)->name;
}

static const char *mirror_name(const void *r)
{
	return ((const struct rel_mirror_route *)r)->name;
}

int rec_canary_traffic_want(const struct rel_release *rel, size_t step, enum rec_canary_phase phase,
                            const char *stable_rev, const char *canary_rev, int32_t weight,
                            struct rec_traffic_want *want)
{
	struct rec_traffic_want w = {.stable_revision = stable_rev,
	                             .canary_revision = canary_rev,
	                             .canary_weight = weight,
	                             .canary_ingress = rel->canary.traffic == REL_TRAFFIC_NGINX &&
	                                               phase != REC_CANARY_SETTLED};
	const void *headers[REC_TRAFFIC_ROUTES_MAX], *mirrors[REC_TRAFFIC_ROUTES_MAX];
	size_t n_h = 0, n_m = 0;
	size_t upto = phase == REC_CANARY_STEPPING ? step + 1 : 0;
	if (upto > rel->canary.n_steps)
		upto = rel->canary.n_steps;
	int r = 0;
	for (size_t i = 0; i < upto && r == 0; i++) {
		const struct rel_step *st = &rel->canary.steps[i];
		if (st->kind == REL_STEP_SET_HEADER_ROUTE)
			r = route_set(headers, &n_h, header_name, st->header_route.name,
			              st->header_route.n_match ? &st->header_route : NULL);
		else if (st->kind == REL_STEP_SET_MIRROR_ROUTE)
			r = route_set(mirrors, &n_m, mirror_name, st->mirror_route.name,
			              st->mirror_route.remove ? NULL : &st->mirror_route);
	}
	if (r < 0)
		return r;
	w.n_header_routes = n_h;
	for (size_t i = 0; i < n_h; i++)
		w.header_routes[i] = headers[i];
	w.n_mirror_routes = n_m;
	for (size_t i = 0; i < n_m; i++)
		w.mirror_routes[i] = mirrors[i];
	*want = w;
	return 0;
}

/* ceil(replicas * weight / 100). */
static int32_t share_up(int32_t replicas, int32_t weight)
{
	if (replicas <= 0 || weight <= 0)
		return 0;
	return (int32_t)(((int64_t)replicas * weight + 99) / 100);
}

/* The canary's pods for weight w at steps[0..step]: the setCanaryScale in
 * effect, else w's share. */
static int32_t traffic_canary_pods(const struct rel_release *rel, size_t step, int32_t w)
{
	int32_t replicas = rel->replicas;
	int32_t n = share_up(replicas, w);
	for (size_t i = 0; i <= step && i < rel->canary.n_steps; i++) {
		const struct rel_step *st = &rel->canary.steps[i];
		if (st->kind != REL_STEP_SET_CANARY_SCALE)
			continue;
		if (st->canary_scale.kind == REL_CANARY_SCALE_REPLICAS)
			n = st->canary_scale.replicas;
		else if (st->canary_scale.kind == REL_CANARY_SCALE_WEIGHT)
			n = share_up(replicas, st->canary_scale.weight);
		else
			n = share_up(replicas, w);
	}
	if (w > 0 && n < rel->canary.min_pods_per_replica_set)
		n = rel->canary.min_pods_per_replica_set;
	return n;
}

void rec_canary_traffic_split(const struct rel_release *rel, size_t step, int32_t target_weight,
                              int32_t prev_weight, int32_t canary_available,
                              int32_t stable_available, struct rec_canary_split *out)
{
	bool dynamic = rel->canary.dynamic_stable_scale;
	int32_t canary_pods = traffic_canary_pods(rel, step, target_weight);
	int32_t w = prev_weight;
	if (target_weight > prev_weight) {
		if (canary_available >= canary_pods && canary_available > 0)
			w = target_weight;
	} else if (!dynamic || stable_available >= share_up(rel->replicas, 100 - target_weight)) {
		w = target_weight;
	}
	if (canary_available == 0)
		w = 0; /* no weight to a revision without available pods */
	/* The smallest canary weight among before, now and the target: the
	 * largest stable share, which stable holds before and after the shift
	 * (and grows to first when the weight is to go down). */
	int32_t kept = w < prev_weight ? w : prev_weight;
	if (target_weight < kept)
		kept = target_weight;
	out->weight = w;
	out->canary_pods = canary_pods;
	out->stable_pods = dynamic ? share_up(rel->replicas, 100 - kept) : rel->replicas;
}

/* The weight is still on a canary that a newer template replaced. */
static bool on_replaced(const struct rec_canary_route_in *in)
{
	return in->last > 0 && in->last_revision && !streq(in->last_revision, in->canary) &&
	       !streq(in->last_revision, in->stable);
}

/* The pods and weight under trafficRouting, not settled. */
static void routed_split(const struct rel_release *rel, const struct rec_canary_route_in *in,
                         struct rec_canary_route *o)
{
	int32_t last = in->last < 0 ? 0 : in->last;
	bool replaced = on_replaced(in);
	struct rec_canary_split held;
	rec_canary_traffic_split(rel, in->pod_step, in->target, replaced ? 0 : last,
	                         in->canary_available, in->stable_available, &o->split);
	o->weight_revision = in->canary;
	if (replaced) {
		/* Off the replaced canary first (with dynamicStableScale once
		 * stable has the pods); the new one scales up meanwhile. */
		rec_canary_traffic_split(rel, in->step, 0, last, in->last_available,
		                         in->stable_available, &held);
		o->weight_revision = in->last_revision;
	} else if (in->frozen) {
		rec_canary_traffic_split(rel, in->pod_step, last, last, in->canary_available,
		                         in->stable_available, &held);
		if (held.canary_pods > o->split.canary_pods)
			o->split.canary_pods = held.canary_pods;
	} else {
		return;
	}
	o->split.weight = held.weight;
	if (held.stable_pods > o->split.stable_pods)
		o->split.stable_pods = held.stable_pods;
}

static const char *stable_service_revision(const struct rec_canary_route_in *in)
{
	if (in->phase == REC_CANARY_SETTLED)
		return in->canary_available > 0 ? in->canary : NULL;
	return in->stable_to_canary ? in->canary : in->stable;
}

static const char *canary_service_revision(const struct rec_canary_route_in *in,
                                           const struct rec_canary_route *o)
{
	if (in->phase == REC_CANARY_ABORTED)
		return o->split.weight == 0 ? in->stable : in->canary;
	if (in->phase == REC_CANARY_STEPPING && on_replaced(in))
		return in->last_revision;
	return in->canary_available > 0 ? in->canary : NULL;
}

int rec_canary_route_decide(const struct rel_release *rel, const struct rec_canary_route_in *in,
                            struct rec_canary_route *out)
{
	struct rec_canary_route o = {.weight_revision = in->canary};
	if (rel->canary.traffic != REL_TRAFFIC_NONE && in->phase != REC_CANARY_SETTLED)
		routed_split(rel, in, &o);
	int r = rec_canary_traffic_want(rel, in->step, in->phase, stable_service_revision(in),
	                                canary_service_revision(in, &o), o.split.weight, &o.want);
	if (r < 0)
		return r;
	/* A header or mirror route sends to canaryService whatever the weight:
	 * never while the template has no available pod to answer, nor while
	 * canaryService still selects a replaced canary. */
	if (in->phase == REC_CANARY_STEPPING && (in->canary_available == 0 || on_replaced(in))) {
		o.want.n_header_routes = 0;
		o.want.n_mirror_routes = 0;
	}
	*out = o;
	return 0;
}

bool rec_canary_unrouted(const struct rel_canary *k, const struct rec_traffic_observed *obs,
                         const char *revision)
{
	const char *names[] = {k->stable_service, k->canary_service};
	const json_t *svcs[] = {obs->stable_service, obs->canary_service};
	return rec_traffic_unrouted(2, names, svcs, revision);
}

bool rec_canary_hold(struct rec_rs *v, bool unrouted, int32_t delay, time_t now, double *wake)
{
	v->want_deadline = 0;
	if (v->spec_replicas == 0)
		return false;
	if (!unrouted)
		return true; /* the countdown starts once no Service routes to it */
	if (v->deadline != 0) {
		if (now >= v->deadline)
			return false;
		v->want_deadline = v->deadline;
		*wake = (double)(v->deadline - now);
		return true;
	}
	if (delay < 0)
		return true;
	if (delay == 0)
		return false;
	v->want_deadline = now + delay;
	*wake = (double)delay;
	return true;
}
