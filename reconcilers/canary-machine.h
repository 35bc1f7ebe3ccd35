/*
 * The canary step machine's state, shared by its two halves (internal to
 * the canary strategy; nothing else includes it):
 *
 *   canary.c        states, transitions, intents, pods, the status record
 *                   and its words;
 *   canary-analysis.c  the AnalysisRuns of analysis steps and of the
 *                   background analysis (reconcilers/release-analysis.h):
 *                   what they say to the machine, which ones it keeps;
 *   canary-gate.c   approval steps: the gate over the Release's Approvals
 *                   (model/gate.h), counted only while the identity policy
 *                   is installed and bound;
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
#include "reconcilers/release-analysis.h"
#include "reconcilers/scaling.h"
#include "reconcilers/status.h"
#include "reconcilers/traffic.h"

/* Where the machine stands (docs/internals/canary.md); derived each reconcile
 * from the status and the ReplicaSets, never kept in memory. */
enum rec_canary_state {
	ST_FIRST,     /* no stable ReplicaSet: the template goes out whole, no steps */
	ST_STEP,      /* steps[step] places pods (setWeight and the traffic steps) */
	ST_PAUSE,     /* steps[step] is a pause: a timer, or until Promote */
	ST_APPROVAL,  /* steps[step] is approval: its gate (canary-gate.c) decides */
	ST_ANALYSIS,  /* steps[step] is analysis: its AnalysisRun decides */
	ST_HELD,      /* spec.paused: nothing moves */
	ST_ABORTED,   /* the canary goes, the stable side comes back whole */
	ST_PROMOTING, /* past the last step, or promoteFull: the canary takes every pod */
	ST_STABLE,    /* the template is the stable revision */
};

/* What an approval step's gate says (canary-gate.c). */
struct rec_canary_gate_view {
	int32_t step;  /* the step evaluated, -1: none */
	bool verified; /* the identity policy is installed and bound */
	int state;     /* enum model_gate_state */
	bool has_deadline;
	time_t deadline; /* the timeout's end */
	char text[1024]; /* model_gate_describe, or why nothing counts */
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
	/* Analysis (canary-analysis.c). */
	struct rec_plan runs;                /* the AnalysisRun actions, after the ReplicaSets' */
	int32_t attempt;                     /* status.analysisAttempt */
	struct rec_analysis_result step_run; /* the run of steps[step_run_of] */
	int32_t step_run_of;                 /* -1: none looked at */
	bool step_run_ensured;               /* created if missing, this reconcile */
	struct rec_analysis_result bg;       /* the background run */
	bool bg_seen;                        /* bg is observed (at load) */
	bool bg_ensured;                     /* created if missing, this reconcile */
	/* The run whose verdict holds the steps (Inconclusive, or a template
	 * problem), or the one that aborted the canary; NULL: none. */
	const struct rec_analysis_result *holding;
	const struct rec_analysis_result *abort_cause;
	time_t inconclusive_start; /* the InconclusiveAnalysisRun pause condition, 0: none */
	/* Approval gates (canary-gate.c). */
	time_t approval_start;            /* the ApprovalPending pause condition, 0: none */
	struct rec_canary_gate_view gate; /* of steps[gate.step], gate.step -1: none */
	/* Why the canary was aborted when no run says it (a Reject, a timeout);
	 * "" when nothing does. */
	char abort_text[1400];
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

/* canary-analysis.c, for canary.c. */

/* What the runs say to the machine in its state. */
enum rec_canary_gate {
	REC_GATE_GO = 0,    /* nothing to say: the state decides */
	REC_GATE_HOLD,      /* the steps wait (a run measures, is Inconclusive, cannot be made) */
	REC_GATE_STEP_DONE, /* the analysis step's run is Successful */
	REC_GATE_ABORT,     /* a run Failed (m->abort_cause says which) */
};

/* Reads status.analysisAttempt, the InconclusiveAnalysisRun pause and the
 * runs as observed (nothing planned), for the intents and the words. */
void rec_canary_analysis_load(struct rec_canary_machine *m);
/* Whether the background analysis runs in m's state. */
bool rec_canary_background_active(const struct rec_canary_machine *m);
/* Whether a Promote is about the background run's Inconclusive verdict
 * (it then starts the analysis afresh rather than leave the step). */
bool rec_canary_background_inconclusive(const struct rec_canary_machine *m);
/* The runs m's state needs, created when missing (into m->runs), and their
 * verdict into *gate. 0 or -ENOMEM. */
int rec_canary_analysis_gate(struct rec_canary_machine *m, enum rec_canary_gate *gate);
/* The runs m's final state no longer needs: stopped, old ones deleted
 * (into m->runs). 0 or -ENOMEM. */
int rec_canary_analysis_tidy(struct rec_canary_machine *m);

/* canary-gate.c, for canary.c. */

#define REC_REASON_APPROVAL_PENDING    "ApprovalPending"
#define REC_REASON_APPROVAL_UNVERIFIED "ApprovalsUnverifiable"
#define REC_REASON_APPROVAL_TIMED_OUT  "ApprovalTimedOut"

/* Reads the ApprovalPending pause condition; for an aborted canary at an
 * approval step, the Reject that aborted it (into m->abort_text). */
void rec_canary_gate_load(struct rec_canary_machine *m);
/* At an approval step (ST_APPROVAL): evaluates its gate into m->gate, and
 * says STEP_DONE (met), ABORT (a Reject, or a timeout with onTimeout
 * Abort: m->abort_text says which) or HOLD (waiting; a requeue at the
 * timeout). 0 or -ENOMEM. */
int rec_canary_approval_gate(struct rec_canary_machine *m, enum rec_canary_gate *gate);
/* Whether steps from..n_steps-1 hold an approval step (a Promote, a full
 * promotion, does not pass one: approvers open it). */
bool rec_canary_gate_ahead(const struct rec_canary_machine *m, int32_t from);
/* The status message of a canary waiting at a gate, into w (phase Paused;
 * Stalled while nothing can count or the timeout passed). */
void rec_canary_gate_words(const struct rec_canary_machine *m, const char *at,
                           struct rec_verdict *v, char *msg, size_t len);

#endif
