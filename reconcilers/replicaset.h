/*
 * ReplicaSets owned by a Release, as the reconcilers see them: the numbers a
 * rollout decides on, read once from the JSON object, plus the spec.replicas
 * this reconcile wants (`want`), so a decision made in several steps (clean
 * up unhealthy pods, then scale down, like the Deployment controller) ends in
 * one patch per ReplicaSet.
 *
 * Annotations on owned ReplicaSets (all written by the controller; keys in
 * model/api.h):
 *   slipway.dev/desired-replicas  spec.replicas of the Release when this RS was
 *                                 last scaled (Deployment's desired-replicas)
 *   slipway.dev/max-replicas      spec.replicas + maxSurge at that time; the
 *                                 base of proportional scaling
 *   slipway.dev/generation        the Release's metadata.generation when this
 *                                 RS was last the current revision; orders old
 *                                 ReplicaSets (a rolled-back-to RS counts as
 *                                 new again), like Deployment's revision number
 *   slipway.dev/scale-down-deadline  RFC 3339: a traffic-routed canary's RS
 *                                 that no Service routes to any more keeps
 *                                 its pods until then (scaleDownDelaySeconds,
 *                                 abortScaleDownDelaySeconds); removed when
 *                                 it scales down or routes again
 */
#ifndef SLIPWAY_RECONCILERS_REPLICASET_H
#define SLIPWAY_RECONCILERS_REPLICASET_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "model/api.h"
#include "model/release.h"
#include "reconcilers/plan.h"

/* At most this many owned ReplicaSets are considered; a Release with more
 * (revisionHistoryLimit is bounded by what users write, so this means
 * something else went wrong) reconciles the newest ones only, chosen after
 * sorting, and the current revision's wherever it sorts. */
#define REC_RS_MAX 1024

struct rec_rs {
	const json_t *obj;            /* borrowed */
	const char *name;             /* borrowed from obj */
	const char *uid;              /* borrowed from obj */
	const char *resource_version; /* borrowed from obj, may be NULL */
	const char *revision;         /* label slipway.dev/revision, NULL if absent */
	time_t created_at;            /* metadata.creationTimestamp, 0 if absent */
	int64_t generation;           /* metadata.generation, 0 if absent */
	bool deleting;                /* metadata.deletionTimestamp is set */
	int32_t spec_replicas;        /* spec.replicas (default 1, like the API) */
	int32_t min_ready_seconds;    /* spec.minReadySeconds */
	int32_t status_replicas;
	int32_t ready;
	int32_t available; /* status.availableReplicas, at most spec_replicas */
	int64_t observed_generation;
	bool has_desired;
	int32_t desired; /* MODEL_ANNOTATION_DESIRED */
	bool has_max;
	int32_t max;                /* MODEL_ANNOTATION_MAX */
	int64_t rollout_generation; /* MODEL_ANNOTATION_GENERATION, 0 if absent */
	time_t deadline; /* MODEL_ANNOTATION_SCALE_DOWN_DEADLINE, 0 if absent or unreadable */

	/* Decisions of this reconcile. */
	int32_t want;      /* spec.replicas wanted; starts at spec_replicas */
	bool touched;      /* scaled by the rollout: refresh the replica annotations */
	bool make_current; /* the current revision's RS: sync minReadySeconds and generation */
	bool planned;      /* created by this plan (obj is NULL, nothing to patch) */
	time_t want_deadline; /* the scale-down deadline wanted; starts at deadline, 0: none */
	bool kept; /* a scale-down the strategy holds back (a canary's scale-down delay) */
};

/* Reads obj into *v (want = spec_replicas, no decisions). Returns 0, or
 * -EINVAL when obj lacks a name or uid (v untouched). v borrows from obj. */
int rec_rs_read(const json_t *obj, struct rec_rs *v);

/* Ordering of "older first": rollout generation, then creationTimestamp,
 * then name. For qsort over struct rec_rs. */
int rec_rs_cmp_older(const void *a, const void *b);

/* The ReplicaSet of `rel`'s current revision, named by model_child_name, with
 * `replicas`, for REC_CREATE. Caller owns the result; NULL on ENOMEM (or a
 * name too long, which validation rules out). */
json_t *rec_rs_new_object(const struct rel_release *rel, int32_t replicas, int32_t max_surge);

/* The ownerReference that makes rel the controller of a ReplicaSet (with
 * blockOwnerDeletion, as the Deployment controller sets it). Caller owns the
 * result; NULL on ENOMEM. */
json_t *rec_rs_owner_ref(const struct rel_release *rel);

/* A ref to the ReplicaSet `name` in ns, without preconditions (for
 * REC_CREATE); strings borrowed. */
struct rec_ref rec_rs_named_ref(const char *ns, const char *name);

/* A ref to an owned ReplicaSet with uid and resourceVersion preconditions;
 * strings borrowed from v and ns. */
struct rec_ref rec_rs_ref(const struct rec_rs *v, const char *ns);

/* Appends to `plan` what v's decisions need: nothing, or one merge patch of
 * spec.replicas (and the annotations when touched, minReadySeconds and the
 * generation annotation when make_current, the scale-down deadline when
 * want_deadline differs from deadline: set, or null to remove it), followed
 * by a ScalingReplicaSet Event on `release` when the size changes. 0,
 * -ERANGE (a deadline past year 9999) or -ENOMEM. */
int rec_rs_emit(struct rec_plan *plan, const struct rec_rs *v, const struct rel_release *rel,
                int32_t max_surge, const struct rec_ref *release);

#endif
