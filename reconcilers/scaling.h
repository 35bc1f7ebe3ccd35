/*
 * Scaling a Release's ReplicaSets: the primitives every strategy moves pods
 * with (rolling today; canary and blue-green next), after the Kubernetes
 * Deployment controller (pkg/controller/deployment: rolling.go, sync.go,
 * util/deployment_util.go). A strategy decides which primitives to call and
 * in which order; the primitives do the arithmetic.
 *
 * Every primitive works on the views of one reconcile (struct rec_rs in
 * c->rss, older first) and records its decisions in them (want, touched);
 * nothing is sent until rec_scaling_emit turns the decisions into one merge
 * patch per ReplicaSet, so several primitives in a row still give one patch
 * (and one ScalingReplicaSet Event) per ReplicaSet. Pure: no I/O, no clock.
 *
 * Limits are the Deployment's: at most replicas + surge pods in all
 * ReplicaSets together, at least replicas - unavailable of them available.
 * "Pods" here are spec.replicas; availability is each RS's
 * min(status.availableReplicas, spec.replicas) (replicaset.h).
 */
#ifndef SLIPWAY_RECONCILERS_SCALING_H
#define SLIPWAY_RECONCILERS_SCALING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reconcilers/context.h"
#include "reconcilers/plan.h"
#include "reconcilers/replicaset.h"

struct rec_scaling {
	struct rec_ctx *c; /* the reconcile; its rss hold the decisions */
	/* The current revision's RS: one of c->rss, &created once this plan
	 * creates it, or NULL. */
	struct rec_rs *new_rs;
	struct rec_rs created; /* the view of an RS this plan creates */
	int32_t surge;         /* pods allowed above spec.replicas */
	int32_t unavailable;   /* pods allowed below spec.replicas */
};

/* Starts the scaling of c's ReplicaSets within surge and unavailable (the
 * strategy resolved them against spec.replicas): finds the current
 * revision's RS (labelled with the revision; the one named by
 * model_child_name wins if several are) and marks it make_current. */
void rec_scaling_init(struct rec_scaling *s, struct rec_ctx *c, int32_t surge, int32_t unavailable);

/* Deployment's isScalingEvent: an active RS was last scaled for another
 * spec.replicas (its desired-replicas annotation), so the Release was
 * resized rather than changed. */
bool rec_scaling_resized(const struct rec_scaling *s);

/* Deployment's scale(): resizes the active ReplicaSets to a new
 * spec.replicas without moving the rollout. One active RS gets everything
 * (with none, the current one or else the newest does); a saturated current
 * RS sends the others to 0; otherwise the difference to replicas + surge is
 * shared in proportion to each RS's max-replicas annotation (or the
 * Release's status.replicas without one), largest first, leftovers to the
 * largest. 0 or -ENOMEM (scratch space; decisions may be half made). */
int rec_scaling_proportional(struct rec_scaling *s);

/* Deployment's NewRSNewReplicas: the size the current RS may grow to from
 * `current_want` without the total passing replicas + surge, and never past
 * replicas. */
int32_t rec_scaling_new_replicas(const struct rec_scaling *s, int32_t current_want);

/* Deployment's reconcileNewReplicaSet: grows the current RS (which must
 * exist) by rec_scaling_new_replicas, or shrinks it to replicas. True when
 * it changed its size. */
bool rec_scaling_up_new(struct rec_scaling *s);

/* Deployment's reconcileOldReplicaSets: takes old ReplicaSets down, oldest
 * first, first by their unavailable pods (they cost no availability), then
 * as far as keeps replicas - unavailable pods available, never more than
 * all pods - (replicas - unavailable) - the current RS's unavailable pods. */
void rec_scaling_down_old(struct rec_scaling *s);

/* Plans the creation of the current revision's RS (rec_rs_new_object) with
 * `replicas`, a RevisionCreated Event naming its images and, when replicas >
 * 0, a ScalingReplicaSet Event; from then on s->new_rs is s->created, which
 * counts in the totals and is never patched. 0, -ENOMEM, or -ENAMETOOLONG
 * (a name the model's validation rules out). */
int rec_scaling_create_new(struct rec_scaling *s, int32_t replicas, struct rec_plan *actions);

/* The rollout is over: the current RS exists (not just planned), holds
 * spec.replicas that are all available, and no old RS wants or still has a
 * pod. */
bool rec_scaling_complete(const struct rec_scaling *s);

/* Appends one merge patch per ReplicaSet whose decisions need one
 * (rec_rs_emit): scale-downs first, then scale-ups, then annotation-only
 * changes, so that no moment has more pods than either end of the step.
 * 0, or rec_rs_emit's error. */
int rec_scaling_emit(const struct rec_scaling *s, struct rec_plan *actions);

/* Deployment's cleanupDeployment: of the old ReplicaSets beyond
 * spec.revisionHistoryLimit, the oldest ones (as many as are too many) are
 * deleted unless one has or wants a pod or its status is not yet observed.
 * For a strategy to call once a rollout completed (or while paused):
 * earlier, an old RS may still be needed. 0 or -ENOMEM. */
int rec_scaling_clean_history(const struct rec_scaling *s, struct rec_plan *actions);

/* maxSurge and maxUnavailable of `pace` resolved against `replicas`
 * (model_resolve_fenceposts); a value beyond int32, the only one the model
 * lets through that cannot resolve, gives no surge and one unavailable. */
void rec_scaling_limits(const struct rel_rolling *pace, int32_t replicas, int32_t *surge,
                        int32_t *unavailable);

/* Moves every ReplicaSet of c->rss towards target[i] (same order; a planned
 * s->created keeps its size), for strategies that place pods by share
 * (canary): first growth, `first` (an index, or SIZE_MAX) before the others,
 * while all ReplicaSets together want at most max_total pods; then shrinking,
 * unavailable pods first (they cost no availability), then available ones
 * while at least min_available pods stay available, `first` last. Sizes
 * already past the limits never grow. */
void rec_scaling_toward(struct rec_scaling *s, const int32_t *target, size_t first,
                        int64_t max_total, int64_t min_available);

#endif
