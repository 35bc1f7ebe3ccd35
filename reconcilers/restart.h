/*
 * Restarting a Release's pods without a new revision: spec.restartAt and
 * status.restartedAt, as Argo Rollouts' Rollout.spec.restartAt and
 * status.restartedAt.
 *
 * When spec.restartAt is set, not in the future (else: requeue for that
 * moment) and differs from status.restartedAt, the Release's pods created
 * before it are evicted (a CREATE of the pod's "eviction" subresource, a
 * policy/v1 Eviction, so PodDisruptionBudgets apply: a refused eviction is
 * tried again later), oldest first, and their ReplicaSets replace them. No new
 * revision, no template change.
 *
 * Pacing: never more evictions at once than keep replicas - maxUnavailable
 * pods available (the rolling strategy's maxUnavailable). An old pod that is
 * not available costs nothing to evict. With maxUnavailable 0 (valid only
 * with a surge) one pod at a time is still evicted, as the CLI's restart and
 * Argo Rollouts do: an eviction cannot be preceded by an extra pod, since the
 * ReplicaSet would delete it again. A PodDisruptionBudget is the way to
 * forbid even that.
 *
 * A restart waits while a rollout is in progress or the Release is paused
 * (status.message says so): the rollout replaces the pods anyway.
 *
 * Done when no pod created before restartAt is left (one being deleted no
 * longer counts) and replicas pods are available: status.restartedAt is set
 * to spec.restartAt and a "Restarted" Event follows the status write.
 *
 * All progress lives in the cluster (the pods' creationTimestamps and
 * status.restartedAt): a controller killed at any moment and started again
 * goes on where it was. Availability is the smaller of two views, the pods'
 * Ready conditions and the ReplicaSets' status.availableReplicas, since
 * either cache may lag an eviction by one watch event.
 *
 * Pure: no I/O, time passed in.
 */
#ifndef SLIPWAY_RECONCILERS_RESTART_H
#define SLIPWAY_RECONCILERS_RESTART_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "reconcilers/context.h"
#include "reconcilers/plan.h"

#define REC_REASON_RESTARTED "Restarted"

/* While a restart runs, look again after this many seconds even if nothing
 * changes (a ReplicaSet's status change normally comes sooner). */
#define REC_RESTART_POLL_SECONDS 5

enum rec_restart_state {
	REC_RESTART_IDLE,      /* no spec.restartAt, or status.restartedAt equals it */
	REC_RESTART_SCHEDULED, /* spec.restartAt is in the future: requeued for it */
	REC_RESTART_WAITING,   /* a rollout is in progress or the Release is paused */
	REC_RESTART_RUNNING,   /* pods older than restartAt are left */
	REC_RESTART_DONE,      /* finished now: status.restartedAt is to be written */
};

/* What the decision reads; everything borrowed. */
struct rec_restart_input {
	time_t restart_at;   /* spec.restartAt, 0 = none */
	time_t restarted_at; /* status.restartedAt, 0 = none */
	bool rollout_done;   /* the current revision is rolled out and not paused */
	int32_t replicas;    /* spec.replicas */
	int32_t max_unavailable;
	int32_t min_ready_seconds;
	/* Sum of the owned ReplicaSets' status.availableReplicas. */
	int64_t rs_available;
	/* The Release's pods (controlled by its ReplicaSets). */
	const json_t *const *pods;
	size_t n_pods;
	const char *ns; /* the Release's namespace, for the Evictions */
	time_t now;
};

struct rec_restart_result {
	enum rec_restart_state state;
	size_t old_left;   /* pods created before restartAt, not being deleted */
	size_t evicting;   /* evictions this plan asks for */
	int64_t available; /* pods counted available */
};

/* Decides for `in`: appends one CREATE of pods/NAME/eviction per pod to evict
 * to `actions` and sets its requeue (the future restartAt, a pod's
 * minReadySeconds, or the poll while running). Fills *ret. 0 or -ENOMEM
 * (actions may hold part of the evictions; the caller discards the plan). */
int rec_restart_decide(const struct rec_restart_input *in, struct rec_plan *actions,
                       struct rec_restart_result *ret);

/* The restart step of a Release, after its strategy filled c->next: reads
 * spec.restartAt and status.restartedAt, keeps the pods controlled by
 * c->rss, decides, and records the outcome: status.restartedAt and a
 * Restarted Event when done, a line in status.message while running or
 * waiting. The evictions and the Event go to `after`, carried out once the
 * status is written: it reports the restart even while the evictions wait on
 * a PodDisruptionBudget. 0 or -ENOMEM. */
int rec_restart_reconcile(struct rec_ctx *c, const json_t *const *pods, size_t n_pods,
                          struct rec_plan *after);

#endif
