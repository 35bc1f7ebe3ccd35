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
 * stableService and canaryService, when given, select the two sides.
 *
 * With trafficRouting (gatewayAPI, nginx) the weight is set on the router
 * (reconcilers/traffic.h), the pods placed for it by rec_canary_traffic_split
 * (reconcilers/canary-traffic.h): scale, then shift; stable keeps the pods
 * for all traffic (dynamicStableScale: for its weight); the weight set is
 * recorded in status.canary.weights and read back. A step counts as reached
 * once its pods are available and the routers route as it wants. After the
 * last step the canary takes every pod, then the Services and weights switch
 * to it; ReplicaSets no Service routes to any more scale down after their
 * delay (slipway.dev/scale-down-deadline).
 *
 * An analysis step, and the background analysis (spec.strategy.canary
 * .analysis, from startingStep on), run AnalysisRuns (canary-analysis.c,
 * reconcilers/release-analysis.h): a step completes when its run is
 * Successful; a run Failed or in Error aborts the canary; Inconclusive
 * pauses it (pause condition InconclusiveAnalysisRun) until promoted or
 * aborted; a template missing or invalid stalls the steps until it is
 * fixed. Runs no longer needed are stopped (spec.terminate).
 *
 * An approval step waits for its gate (canary-gate.c, model/gate.h):
 * Paused with pause condition ApprovalPending (its startTime starts the
 * timeout) while the Approvals of this Release, revision and gate do not
 * meet its rules; met, the step completes; a Reject, or the timeout with
 * onTimeout Abort, aborts the canary (Warning Event). Approvals count only
 * while the identity policy is installed and bound (fail closed). A Promote
 * does not pass a gate, nor does a full promotion with a gate ahead: only
 * the approvers open it.
 */
#ifndef SLIPWAY_RECONCILERS_CANARY_H
#define SLIPWAY_RECONCILERS_CANARY_H

#include "reconcilers/canary-traffic.h"
#include "reconcilers/context.h"
#include "reconcilers/plan.h"
#include "reconcilers/status.h"
#include "reconcilers/traffic.h"

#define REC_REASON_CANARY_STEP      "CanaryStep"
#define REC_REASON_CANARY_PAUSE     "CanaryPauseStep"
#define REC_REASON_ROLLOUT_ABORTED  "RolloutAborted"
#define REC_REASON_ANALYSIS_RUNNING "AnalysisRunning"
/* Router problems (Stalled, Warning Event once) and corrections (Event). */
#define REC_REASON_TRAFFIC_ROUTER_MISSING  "TrafficRouterMissing"
#define REC_REASON_ROUTE_NOT_ACCEPTED      "RouteNotAccepted"
#define REC_REASON_TRAFFIC_DRIFT_CORRECTED "TrafficDriftCorrected"

/* Seconds until the reconcile after one that moved the step under traffic
 * routing: the routers follow the new step once the status records it, and
 * a status write alone wakes nobody (the runtime drops status echoes). */
#define REC_CANARY_FROZEN_REQUEUE 1.0

/* Decides one reconcile of c->rel (strategy canary). Appends the routers'
 * actions (c->traffic; a TrafficDriftCorrected Event), then ReplicaSet
 * actions (and their Events) to `actions`, fills c->next
 * (consuming status.intent), and appends to `after` the Events of the
 * transitions the status write records. Records decisions in c->rss.
 * Returns 0, -ENOMEM or -EINVAL (rec_traffic_plan's; the plans may hold
 * part of the step; the caller discards them). */
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

#endif
