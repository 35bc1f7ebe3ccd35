/*
 * Pieces the progressive strategies share (canary.c, bluegreen.c): finding
 * a revision's ReplicaSet and the serving one, creating the current one
 * past the claim checks, reading the user's intent, the progress deadline,
 * the history entry's abort, and deleting ReplicaSets of rollouts that never
 * became stable. Each strategy decides when to call them. Pure: no I/O, time
 * from the context.
 */
#ifndef SLIPWAY_RECONCILERS_STRATEGY_H
#define SLIPWAY_RECONCILERS_STRATEGY_H

#include <stdbool.h>
#include <stdint.h>

#include "model/intent.h"
#include "reconcilers/claim.h"
#include "reconcilers/context.h"
#include "reconcilers/plan.h"
#include "reconcilers/scaling.h"
#include "reconcilers/status.h"

/* Event reasons of an intent that is not applied. */
#define REC_REASON_INTENT_IGNORED "IntentIgnored"
#define REC_REASON_INTENT_INVALID "InvalidIntent"

/* The ReplicaSet of `revision` (the one with the deterministic name wins),
 * or NULL. Borrowed from c->rss. */
struct rec_rs *rec_strategy_find_rs(struct rec_ctx *c, const char *revision);

/* No stableRevision recorded (a Release that was rolling and never
 * completed, or a status lost): the newest other revision than the
 * template's that has pods is the one serving. NULL when there is none
 * (the first template of a Release). Borrowed from c->rss. */
const char *rec_strategy_adopt_stable(const struct rec_ctx *c);

/* Creates the current revision's ReplicaSet with `replicas` pods unless an
 * obstacle stands in the way (rec_claim_check into *obstacle; then
 * rec_claim_plan). Call only when s->new_rs is NULL. 0, -ENOMEM or
 * -ENAMETOOLONG. */
int rec_strategy_create(struct rec_scaling *s, int32_t replicas, struct rec_obstacle *obstacle,
                        struct rec_plan *actions, struct rec_plan *after);

/* status.intent, consumed: cleared in c->next in any case. Returns 1 with
 * *in filled (caller clears it) when there is a well-formed one, 0 when
 * there is none or it is malformed (a Warning InvalidIntent Event into
 * `after`), or -ENOMEM. */
int rec_strategy_take_intent(struct rec_ctx *c, struct rec_plan *after, struct rel_intent *in);

/* The IntentIgnored Event of an intent that is stale or does not apply,
 * naming its revision and step. 0 or -ENOMEM. */
int rec_strategy_intent_ignored(struct rec_ctx *c, struct rec_plan *after,
                                const struct rel_intent *in);

/* Moves status.lastProgressTime like rolling does: on every transition
 * (`reset`: one this reconcile, or the rollout just started) and whenever
 * pods progress against the observed counts; a state that is not `moving`
 * (paused, waiting, aborted) stops the clock. True when the progress
 * deadline passed; otherwise a requeue for it into `after`. */
bool rec_strategy_deadline(struct rec_ctx *c, const struct rec_counts *n, bool moving, bool reset,
                           struct rec_plan *after);

/* The current revision's history entry follows an abort (Aborted,
 * finished now) and a retry (open again). */
void rec_strategy_track_abort(struct rec_ctx *c, bool abort);

/* ReplicaSets of rollouts that never became stable (replaced, aborted and
 * then left), once empty: deleted, so they do not pile up. Earlier stable
 * revisions (history Succeeded, or none) stay for revisionHistoryLimit;
 * `keep_a` and `keep_b` (may be NULL) and the revision `stable` are never
 * deleted. Sets *deleted when it plans one. 0 or -ENOMEM. */
int rec_strategy_delete_replaced(struct rec_ctx *c, const struct rec_rs *keep_a,
                                 const struct rec_rs *keep_b, const char *stable,
                                 struct rec_plan *actions, bool *deleted);

#endif
