/*
 * The rolling strategy: the Kubernetes Deployment controller's rolling update
 * (pkg/controller/deployment: rolling.go, sync.go, progress.go), for a Release.
 *
 * Each reconcile takes one step, like the Deployment controller; the
 * controller reconciles again when an owned ReplicaSet's status changes:
 *   - paused, or spec.replicas changed since the ReplicaSets were last scaled
 *     (their slipway.dev/desired-replicas annotation): only proportional
 *     scaling of the existing ReplicaSets (Deployment's scale()), no new
 *     revision; history cleanup when paused;
 *   - otherwise create the current revision's ReplicaSet if missing (reusing
 *     an old one with the same revision: a rollback; adopting an orphan with
 *     its name and revision; or, when claim.h finds a name collision or a
 *     create the API server refused for this generation, nothing: Stalled
 *     with that reason, phase Degraded, one Warning Event), scale it up within
 *     replicas + maxSurge; if it did not scale, clean up unhealthy old pods and
 *     scale old ReplicaSets down, oldest first, keeping
 *     replicas - maxUnavailable available; once complete, delete old
 *     ReplicaSets with no pods beyond revisionHistoryLimit, oldest first.
 *
 * Progress deadline: status.lastProgressTime moves to `now` when the rollout
 * of a new revision starts, on resume, and whenever updated, ready or
 * available pods grow or old pods shrink compared with the observed status
 * (Deployment's DeploymentProgressing). When now - lastProgressTime reaches
 * progressDeadlineSeconds before the rollout completes: Progressing=False
 * ProgressDeadlineExceeded, Stalled=True, phase Degraded, and a Warning Event
 * once. Scaling goes on, so the rollout still completes if pods come up.
 * Once a revision completed (Progressing reason NewReplicaSetAvailable), pods
 * going unavailable later are no rollout and never time out.
 *
 * This file holds the rolling strategy's decisions only: the moves are the
 * shared ReplicaSet primitives of scaling.h, the status and its Events the
 * shared helpers of status.h.
 */
#ifndef SLIPWAY_RECONCILERS_ROLLING_H
#define SLIPWAY_RECONCILERS_ROLLING_H

#include "reconcilers/context.h"
#include "reconcilers/plan.h"
#include "reconcilers/status.h" /* the REC_REASON_* it reports */

/* Decides one step for c->rel (strategy rolling). Appends ReplicaSet
 * actions (and their Events) to `actions`, fills c->next, and appends to
 * `after` the Events that report a status transition (to be carried out only
 * once the status that records it is written). Records decisions in c->rss.
 * Returns 0 or -ENOMEM (the plans may hold part of the step; the caller
 * discards them). */
int rec_rolling_reconcile(struct rec_ctx *c, struct rec_plan *actions, struct rec_plan *after);

/* The rolling strategy's maxSurge and maxUnavailable for rel, resolved
 * against its replicas (model_resolve_fenceposts). A value beyond int32,
 * the only one the model lets through that cannot resolve, gives no surge
 * and one unavailable. */
void rec_rolling_limits(const struct rel_release *rel, int32_t *surge, int32_t *unavailable);

#endif
