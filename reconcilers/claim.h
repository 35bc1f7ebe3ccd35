/*
 * Claiming the current revision's ReplicaSet name: when no owned
 * ReplicaSet has the current revision, a strategy creates one named
 * model_child_name, unless something stands in the way. Pure: it reads the
 * context (the object the controller found under that name, the previous
 * plan's failure, the observed status) and plans nothing but an adoption.
 *
 * What may stand in the way, in the order it is looked for:
 *   - an object of that name being deleted (ours or not): wait for it;
 *   - an orphan we would have created (`kubectl delete release
 *     --cascade=orphan`, then the Release applied again): no controller
 *     owner, the current revision's slipway.dev/revision label (the hash of
 *     the template, so the same template), labels matching spec.selector.
 *     It is adopted: a merge patch of its ownerReferences, preconditioned
 *     on its uid and resourceVersion, like the Deployment controller's
 *     adoption;
 *   - anything else under that name (another controller's, another
 *     revision's, hand-made): a name collision, reported with
 *     REC_REASON_NAME_COLLISION; never touched;
 *   - the API server refused the create for good in this generation
 *     (rec_failure_permanent): the previous plan's failure, or a Stalled
 *     condition with REC_REASON_CREATE_ERROR and this observedGeneration
 *     in the observed status (so a restarted controller still knows).
 *     Reported with that reason; a new generation tries again.
 */
#ifndef SLIPWAY_RECONCILERS_CLAIM_H
#define SLIPWAY_RECONCILERS_CLAIM_H

#include "reconcilers/context.h"
#include "reconcilers/plan.h"
#include "reconcilers/status.h"

/* The reasons of the Stalled condition and the Warning Event. Deployment's
 * FailedRSCreateReason for a refused create. */
#define REC_REASON_CREATE_ERROR   "ReplicaSetCreateError"
#define REC_REASON_NAME_COLLISION "ReplicaSetNameCollision"

enum rec_obstacle_kind {
	REC_OBSTACLE_NONE,      /* create it */
	REC_OBSTACLE_DELETING,  /* an object of that name is going: wait */
	REC_OBSTACLE_ORPHAN,    /* c->named is ours to adopt */
	REC_OBSTACLE_COLLISION, /* c->named is not ours: report */
	REC_OBSTACLE_REFUSED,   /* the API server refused it: report */
};

struct rec_obstacle {
	enum rec_obstacle_kind kind;
	const char *reason; /* COLLISION, REFUSED: the condition's and the Event's */
	char message[1024]; /* COLLISION, REFUSED: names the object and the cause */
};

/* What stands in the way of creating the current revision's ReplicaSet
 * (named `name`) in c; for a strategy that found no owned one. */
void rec_claim_check(const struct rec_ctx *c, const char *name, struct rec_obstacle *ret);

/* Plans the adoption of c->named (REC_OBSTACLE_ORPHAN): its
 * ownerReferences as they are plus the Release as controller owner, with
 * its uid and resourceVersion as preconditions, and a Normal
 * RevisionAdopted Event. It counts as the Release's from the next
 * reconcile on, once its watch event shows the new owner. 0 or -ENOMEM. */
int rec_claim_adopt(const struct rec_ctx *c, struct rec_plan *actions);

/* What a strategy does about an obstacle other than NONE: waits for one
 * being deleted (a requeue in `after` as a safety net: an owned one's
 * deletion brings us back), adopts an orphan into `actions`, looks again
 * at a collision now and then (the object in the way is not ours, so its
 * changes wake nobody), and does nothing about a refused create (a new
 * generation tries again). The strategy reports COLLISION and REFUSED in
 * status itself. 0 or -ENOMEM. */
/* Whether o stops the rollout until the spec or the object in the way
 * changes (COLLISION, REFUSED). */
bool rec_claim_blocks(const struct rec_obstacle *o);

/* The status of a rollout o blocks: kstatus's Stalled, phase Degraded,
 * with o's reason and message in every condition (o must outlive v). */
void rec_claim_verdict(const struct rec_obstacle *o, struct rec_verdict *v);

int rec_claim_plan(const struct rec_ctx *c, const struct rec_obstacle *o, struct rec_plan *actions,
                   struct rec_plan *after);

#endif
