/*
 * The traffic-routed side of the canary strategy (docs/internals/canary.md,
 * "Traffic"): the arithmetic of pods and weights under a router, which
 * revision each Service is to select, which header and mirror routes are in
 * effect, and how long a ReplicaSet that no Service routes to any more keeps
 * its pods. The step machine (reconcilers/canary.c) decides where it stands;
 * these functions turn that into numbers and a struct rec_traffic_want,
 * which rec_traffic_plan (reconcilers/traffic.h) turns into router writes.
 *
 * The boundary: nothing here knows the machine's states or reads the
 * status; everything comes in as plain values, so each rule is tested on
 * its own (tests/unit/test-canary.c). Pure: no I/O, no clock.
 */
#ifndef SLIPWAY_RECONCILERS_CANARY_TRAFFIC_H
#define SLIPWAY_RECONCILERS_CANARY_TRAFFIC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "model/release.h"
#include "reconcilers/replicaset.h"
#include "reconcilers/traffic.h"

/* Pods and weight of a traffic-routed canary for one reconcile. */
struct rec_canary_split {
	int32_t weight;      /* the canary weight to set now */
	int32_t canary_pods; /* the canary ReplicaSet's size */
	int32_t stable_pods; /* the stable ReplicaSet's size */
};

/*
 * Traffic-routed pods and weight at steps[0..step] of rel (the current step
 * included), heading for target_weight from prev_weight (what the routers
 * were last set to, status.canary.weights):
 *   canary pods  the setCanaryScale in effect (the last among those steps,
 *                matchTrafficWeight ending it): its replicas, or its weight
 *                of spec.replicas; else the target weight's share; shares
 *                round up, at least minPodsPerReplicaSet when the weight is
 *                above 0;
 *   weight       scale, then shift: the target once the canary has its
 *                pods available (0 while it has none); a lower target at
 *                once, except that with dynamicStableScale the stable side
 *                must first have the available pods for its larger share;
 *                otherwise prev_weight stays;
 *   stable pods  spec.replicas, so stable can take 100 % at any moment;
 *                with dynamicStableScale the share of the larger of the
 *                stable weights before and after this reconcile, so stable
 *                never shrinks below what its current weight needs.
 */
void rec_canary_traffic_split(const struct rel_release *rel, size_t step, int32_t target_weight,
                              int32_t prev_weight, int32_t canary_available,
                              int32_t stable_available, struct rec_canary_split *out);

/* Where a traffic-routed canary stands, for rec_canary_traffic_want. */
enum rec_canary_phase {
	REC_CANARY_STEPPING, /* steps before `step` taken, steps[step] being carried out */
	REC_CANARY_ABORTED,  /* no header or mirror route; the canary Ingress stays at 0 */
	REC_CANARY_SETTLED,  /* complete (or no canary): no route, no canary Ingress */
};

/* The traffic the machine wants (reconcilers/traffic.h): the Services on
 * stable_rev and canary_rev, `weight` percent to the canary, and, while
 * stepping, for each route name the last setHeaderRoute (setMirrorRoute)
 * among steps[0..step], the current step included since it is the one being
 * carried out, without those a later step removed (no match; remove), in
 * step order. want borrows from rel and the strings. 0, or -E2BIG when more
 * than REC_TRAFFIC_ROUTES_MAX routes of one kind would be in effect (want
 * untouched). */
int rec_canary_traffic_want(const struct rel_release *rel, size_t step, enum rec_canary_phase phase,
                            const char *stable_rev, const char *canary_rev, int32_t weight,
                            struct rec_traffic_want *want);

/* What the machine knows of one reconcile, for rec_canary_route_decide. */
struct rec_canary_route_in {
	enum rec_canary_phase phase;
	size_t step;     /* the routes of steps[0..step] (the recorded step while frozen) */
	size_t pod_step; /* the canary's pods by steps[0..pod_step] (the current step) */
	int32_t target;  /* the canary weight the current step heads for (0: aborted, settled) */
	/* The step moved in this reconcile: the routers keep what the recorded
	 * step put there until the status records the new one, so a controller
	 * killed between the router write and the status write never leaves a
	 * router ahead of the status. */
	bool frozen;
	int32_t last;              /* status.canary.weights: the canary weight set, -1: none */
	const char *last_revision; /* the revision it went to (canaryService's) */
	const char *stable;        /* the stable revision */
	const char *canary;        /* the template's revision */
	int32_t canary_available, stable_available;
	int32_t last_available; /* available pods of last_revision */
	/* Replica ratio, promoting: stableService moves to the canary (it
	 * shrinks the stable side). */
	bool stable_to_canary;
};

/* The decision: pods, weight, and the traffic to ask rec_traffic_plan for.
 * want borrows from rel and from the strings of the input. */
struct rec_canary_route {
	struct rec_canary_split split; /* pods: only for trafficRouting and not settled */
	const char *weight_revision;   /* the revision split.weight goes to */
	struct rec_traffic_want want;
};

/*
 * The traffic of one reconcile (docs/internals/canary.md, "Traffic"):
 *   weight    rec_canary_traffic_split for trafficRouting (0 without it, and
 *             when settled); a weight still on a replaced canary
 *             (last_revision neither stable nor the template) goes to 0
 *             first, canaryService staying on it until that is recorded;
 *             frozen keeps `last`; the canary's pods never below what the
 *             weight in effect needs, stable's likewise;
 *   Services  stableService on the stable revision (settled, or
 *             stable_to_canary: the template); canaryService on the
 *             template once it has an available pod (aborted: on stable
 *             once the weight is 0); a Service never moves to a revision
 *             without available pods (its revision is then NULL: left);
 *   routes    the header and mirror routes of steps[0..step] while
 *             stepping, none while the template has no available pod or
 *             the weight is still on a replaced canary.
 * 0, or -E2BIG as rec_canary_traffic_want (out untouched).
 */
int rec_canary_route_decide(const struct rel_release *rel, const struct rec_canary_route_in *in,
                            struct rec_canary_route *out);

/* Whether no configured Service may send traffic to `revision`: each of
 * stableService and canaryService is observed and selects
 * slipway.dev/revision with another value. A Service not found, or whose
 * selector lacks the key (it selects every revision), may route to it. */
bool rec_canary_unrouted(const struct rel_canary *k, const struct rec_traffic_observed *obs,
                         const char *revision);

/*
 * A ReplicaSet the machine takes to 0 pods under traffic routing: whether it
 * keeps them for now. `unrouted` is rec_canary_unrouted of its revision;
 * delay is the seconds it keeps them once unrouted (-1: for ever, 0: none).
 * Routed: kept, no deadline. Unrouted with a deadline (v->deadline): kept
 * until then. Unrouted without: the deadline becomes now + delay (kept), or
 * none (delay 0: not kept). Sets v->want_deadline (0 once it is not kept)
 * and, for a deadline ahead, *wake to the seconds until it (unchanged
 * otherwise). A ReplicaSet with spec.replicas 0 is not kept.
 */
bool rec_canary_hold(struct rec_rs *v, bool unrouted, int32_t delay, time_t now, double *wake);

#endif
