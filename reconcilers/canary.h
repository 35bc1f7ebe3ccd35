/*
 * The canary strategy: a step machine (docs/internals/canary.md) that moves a
 * Release from its stable revision to the current one through
 * spec.strategy.canary.steps, pausing, promoting and aborting on the user's
 * intents (model/intent.h), and placing pods by the step's weight.
 *
 * State lives in the cluster only: status.stableRevision, currentRevision,
 * currentStepIndex, pauseConditions, abort, abortedAt, promoteFull and
 * canary.weights (model/canary-status.h) say where the machine stands; the
 * ReplicaSets' revision labels say which pods belong to which side. Each
 * reconcile reads them, takes every transition the observed state allows
 * (a step whose goal is already met is left at once), and writes them back
 * in the one status write of the plan (release.h), so a controller killed
 * at any point resumes where the status says.
 *
 * Without trafficRouting the weight is the share of pods (replica ratio):
 * the canary gets the share of spec.replicas closest to the weight, both
 * sides at least minPodsPerReplicaSet pods for weights 1..99 (so a Release
 * of one replica runs two pods then), within maxSurge and maxUnavailable
 * (rec_scaling_toward). A step's weight counts as reached once both sides
 * have those pods available; only then does the machine go on.
 *
 * Steps analysis and approval are not implemented: the machine stops there,
 * phase Paused, Stalled=True with REC_REASON_ANALYSIS_NOT_IMPLEMENTED or
 * REC_REASON_APPROVAL_NOT_IMPLEMENTED, until promoted past them.
 */
#ifndef SLIPWAY_RECONCILERS_CANARY_H
#define SLIPWAY_RECONCILERS_CANARY_H

#include "reconcilers/context.h"
#include "reconcilers/plan.h"
#include "reconcilers/status.h"
#include "reconcilers/traffic.h"

#define REC_REASON_CANARY_STEP              "CanaryStep"
#define REC_REASON_CANARY_PAUSE             "CanaryPauseStep"
#define REC_REASON_ROLLOUT_ABORTED          "RolloutAborted"
#define REC_REASON_ANALYSIS_NOT_IMPLEMENTED "AnalysisNotImplemented"
#define REC_REASON_APPROVAL_NOT_IMPLEMENTED "ApprovalNotImplemented"

/* Decides one reconcile of c->rel (strategy canary, no trafficRouting).
 * Appends ReplicaSet actions (and their Events) to `actions`, fills c->next
 * (consuming status.intent), and appends to `after` the Events of the
 * transitions the status write records. Records decisions in c->rss.
 * Returns 0 or -ENOMEM (the plans may hold part of the step; the caller
 * discards them). */
int rec_canary_reconcile(struct rec_ctx *c, struct rec_plan *actions, struct rec_plan *after);

/* The canary's pods for `weight` percent of `replicas` without traffic
 * routing: the nearest share (halves round up), then for weights 1..99 at
 * least min_pods on each side, so the canary may reach replicas - min_pods
 * at most; and when replicas < 2 * min_pods, min_pods exactly (the stable
 * side keeps max(replicas - canary, min_pods)). */
int32_t rec_canary_ratio_pods(int32_t replicas, int32_t weight, int32_t min_pods);

/* The stable side's pods for the same: replicas - canary, but at least
 * min_pods for weights 1..99. */
int32_t rec_canary_ratio_stable_pods(int32_t replicas, int32_t weight, int32_t min_pods);

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

#endif
