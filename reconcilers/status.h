/*
 * Writing a Release's status from a strategy: the parts every strategy
 * shares (rolling today; canary and blue-green next), so that each one only
 * decides what its state means. The status itself (struct rel_status, its
 * JSON) is model/status.h; this is how reconcilers fill it in.
 *
 * Conditions follow the Kubernetes API conventions and kstatus: Ready,
 * Reconciling and Stalled always, Progressing and Available where a strategy
 * says something about them (model/condition.h sets them, keeping
 * lastTransitionTime when the status does not change). Everything is
 * computed from the observed status and written into c->next; Events that
 * report a transition go to the plan `after`, which the entry point places
 * after the status write (release.h), so they go out once per transition.
 * Pure: time comes from the context.
 */
#ifndef SLIPWAY_RECONCILERS_STATUS_H
#define SLIPWAY_RECONCILERS_STATUS_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "model/release.h"
#include "model/status.h"
#include "reconcilers/context.h"
#include "reconcilers/plan.h"
#include "reconcilers/replicaset.h"

/* Reasons used in conditions and Events. */
#define REC_REASON_ROLLOUT_COMPLETE  "RolloutComplete"
#define REC_REASON_ROLLING_UPDATE    "RollingUpdate"
#define REC_REASON_PAUSED            "Paused"
#define REC_REASON_PODS_UNAVAILABLE  "PodsUnavailable"
#define REC_REASON_DEADLINE_EXCEEDED "ProgressDeadlineExceeded"
#define REC_REASON_NEW_RS_AVAILABLE  "NewReplicaSetAvailable"
#define REC_REASON_NEW_RS_CREATED    "NewReplicaSetCreated"
#define REC_REASON_RS_UPDATED        "ReplicaSetUpdated"
#define REC_REASON_ROLLOUT_PAUSED    "RolloutPaused"
#define REC_REASON_MIN_AVAILABLE     "MinimumReplicasAvailable"
#define REC_REASON_MIN_UNAVAILABLE   "MinimumReplicasUnavailable"

/* Sets condition `type` in next->conditions for `generation` at `now`.
 * 0 or -ENOMEM. */
int rec_status_condition(struct rel_status *next, int64_t generation, time_t now, const char *type,
                         const char *status, const char *reason, const char *message);

/* Whether condition `type` of the observed status has this reason: how a
 * strategy knows what it reported last time (a transition, an Event
 * already sent). */
bool rec_status_had_reason(const struct rel_status *observed, const char *type, const char *reason);

/* status.selector (for the scale subresource) and status.strategy from the
 * spec. 0 or -ENOMEM. */
int rec_status_spec_summary(struct rel_status *next, const struct rel_release *rel);

/* Pod counts from the ReplicaSets' status, as Deployment's calculateStatus. */
struct rec_counts {
	int64_t total;     /* status.replicas of all */
	int64_t ready;     /* readyReplicas of all */
	int64_t available; /* available of all (at most each RS's spec.replicas) */
	int64_t updated;   /* status.replicas of the current RS */
};

/* Counts c->rss; `current` is the current revision's RS (or NULL). */
struct rec_counts rec_status_count(const struct rec_ctx *c, const struct rec_rs *current);

/* Writes the counts into next's replica fields (capped at INT32_MAX). */
void rec_status_set_counts(struct rel_status *next, const struct rec_counts *n);

/* Starts the history entry of the current revision unless the observed
 * status already rolls it out: the previous entry, if unfinished, is
 * Superseded, and a new one (with the template's images) goes on top.
 * *started tells whether this reconcile started it. 0 or -ENOMEM. */
int rec_status_start_rollout(struct rec_ctx *c, bool *started);

/* What a strategy concluded this reconcile: the phase, the summary, and the
 * kstatus conditions (their reason and message are `reason` and `message`;
 * Ready's reason is `ready_reason` when ready). */
struct rec_verdict {
	enum rel_phase phase;
	const char *message;
	const char *reason;
	const char *ready_reason;
	bool ready, reconciling, stalled;
	/* Progressing: NULL status leaves the condition as it is. */
	const char *progressing;
	const char *progressing_reason;
	const char *progressing_message;
};

/* Writes v into c->next: phase, message, Ready, Reconciling, Stalled, and
 * Progressing when v says something about it. 0 or -ENOMEM. */
int rec_status_report(struct rec_ctx *c, const struct rec_verdict *v);

/* Available, as Deployment's MinimumReplicasAvailable: at least
 * spec.replicas - unavailable pods are available. 0 or -ENOMEM. */
int rec_status_availability(struct rec_ctx *c, int64_t available, int32_t unavailable);

/* The two below record an outcome in the current revision's history entry,
 * so they come after rec_status_start_rollout. */

/* The current revision's rollout succeeded (once: nothing when the history
 * entry already says so): entry Succeeded, stableRevision, and a
 * RolloutCompleted Event in `after`. 0 or -ENOMEM. */
int rec_status_succeeded(struct rec_ctx *c, int64_t available, struct rec_plan *after);

/* The current revision's rollout failed with `reason` (a ProgressDeadline,
 * an analysis): the history entry, if unfinished, becomes Failed, and a
 * Warning Event with `message` goes to `after` unless the observed
 * Progressing condition already had this reason. 0 or -ENOMEM. */
int rec_status_failed(struct rec_ctx *c, const char *reason, const char *message,
                      struct rec_plan *after);

#endif
