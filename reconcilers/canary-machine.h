/*
 * The canary step machine's state, shared by its two halves (internal to
 * the canary strategy; nothing else includes it):
 *
 *   canary.c        states, transitions, intents, pods, the status record
 *                   and its words;
 *   canary-steer.c  the machine's traffic: what each state asks of the
 *                   routers (rec_canary_route_decide), whether they are in
 *                   effect for a step, the routers' actions at the front of
 *                   the plan, and which unneeded ReplicaSets keep their pods
 *                   for their scale-down delay.
 *
 * The arithmetic both call (split, Services, routes, delays) is pure and
 * takes plain values: reconcilers/canary-traffic.h.
 */
#ifndef SLIPWAY_RECONCILERS_CANARY_MACHINE_H
#define SLIPWAY_RECONCILERS_CANARY_MACHINE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "reconcilers/canary-traffic.h"
#include "reconcilers/claim.h"
#include "reconcilers/context.h"
#include "reconcilers/plan.h"
#include "reconcilers/scaling.h"
#include "reconcilers/traffic.h"

/* Where the machine stands (docs/internals/canary.md); derived each reconcile
 * from the status and the ReplicaSets, never kept in memory. */
enum rec_canary_state {
	ST_FIRST,     /* no stable ReplicaSet: the template goes out whole, no steps */
	ST_STEP,      /* steps[step] places pods (setWeight and the traffic steps) */
	ST_PAUSE,     /* steps[step] is a pause: a timer, or until Promote */
	ST_BLOCKED,   /* steps[step] is analysis or approval: not implemented */
	ST_HELD,      /* spec.paused: nothing moves */
	ST_ABORTED,   /* the canary goes, the stable side comes back whole */
	ST_PROMOTING, /* past the last step, or promoteFull: the canary takes every pod */
	ST_STABLE,    /* the template is the stable revision */
};

struct rec_canary_machine {
	struct rec_ctx *c;
	struct rec_scaling s;
	struct rec_plan *after;
	enum rec_canary_state st;
	const char *stable;       /* status.stableRevision, NULL: none yet */
	struct rec_rs *stable_rs; /* its ReplicaSet, NULL: none */
	int32_t n_steps;
	int32_t step;       /* currentStepIndex, 0..n_steps */
	bool abort;         /* status.abort */
	time_t aborted_at;  /* status.abortedAt */
	bool promote_full;  /* status.promoteFull */
	time_t pause_start; /* the CanaryPauseStep pause condition, 0: none */
	bool moved;         /* a transition this reconcile restarts the progress clock */
	int32_t canary_pods, stable_pods; /* the targets of this reconcile */
	struct rec_obstacle obstacle;     /* what stands in the way of creating the canary */
	/* Traffic (docs/internals/canary.md, "Traffic"). */
	bool routed;          /* trafficRouting: weights on a router */
	bool services;        /* Services to steer: stableService, canaryService, or routed */
	int32_t obs_step;     /* currentStepIndex as observed */
	int32_t last_w;       /* status.canary.weights' canary weight: what the routers got */
	const char *last_rev; /* the revision it went to; last_w -1: none recorded */
	bool frozen;          /* the step moved this reconcile: routers wait for the status */
	struct rec_canary_route route; /* this state's pods, weight and traffic */
	/* The route of the last step reached in this reconcile: in effect, so
	 * what the routers keep while frozen. */
	struct rec_canary_route reached;
	bool have_reached;
	struct rec_traffic_report rep; /* the routers against route.want */
	bool planned_traffic;          /* rep is of the routers' actions in the plan */
};

/* canary.c, for canary-steer.c. */

/* The ReplicaSet of `revision` (the one with the deterministic name wins). */
struct rec_rs *rec_canary_find_rs(struct rec_ctx *c, const char *revision);
/* The weight the pods are placed for in m's state. */
int32_t rec_canary_target_weight(const struct rec_canary_machine *m);
/* The observed ReplicaSets already hold m's targets. */
bool rec_canary_placed(struct rec_canary_machine *m);

/* canary-steer.c, for canary.c. */

/* The traffic of m's state into m->route (rec_canary_route_decide), held
 * back while a router is missing. 0, -E2BIG, -EINVAL or -ENOMEM. */
int rec_canary_decide_traffic(struct rec_canary_machine *m);
/* Whether m's step (one that places pods) is reached: pods placed and, with
 * Services or a router, the routers as it wants. 0 or an error. */
int rec_canary_reached(struct rec_canary_machine *m, bool *done);
/* Routed promotion: the canary holds every pod, available. */
bool rec_canary_full(const struct rec_canary_machine *m);
/* Routed: whether v, which m's state takes to 0 pods, keeps them for now;
 * records the decision in v and the wake-up in m->after. */
bool rec_canary_keep(struct rec_canary_machine *m, struct rec_rs *v);
/* rec_canary_keep without deciding anything. */
bool rec_canary_would_keep(struct rec_canary_machine *m, const struct rec_rs *v);
/* Appends the routers' actions of m's state to actions (first in the plan),
 * and fills m->rep. 0, -EINVAL or -ENOMEM. */
int rec_canary_steer(struct rec_canary_machine *m, struct rec_plan *actions);
/* The reason of a router problem in m->rep, or NULL. */
const char *rec_canary_traffic_problem(const struct rec_canary_machine *m);
/* ST_STABLE is complete (rolled out, and the routers in effect). */
bool rec_canary_settled_complete(const struct rec_canary_machine *m);

#endif
