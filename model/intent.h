/*
 * User intents: what `kubectl slipway promote [--full] | abort | retry`
 * asks of a Release. The CLI writes one on the status subresource, never on
 * spec (a GitOps sync would undo it), as
 *
 *   status.intent: {action: Promote | PromoteFull | Abort | Retry,
 *                   user: <the CLI's user, from a SelfSubjectReview>,
 *                   requestedAt: <RFC 3339>,
 *                   revision: <the canary revision the user saw>,
 *                   stepIndex: <Promote: the currentStepIndex the user saw>}
 *
 * The controller consumes it: it applies the intent (or ignores a stale
 * one) and clears status.intent in the same status write, copying `user`
 * into the Event and the history. One intent at a time; a second one
 * written before the first is consumed replaces it (the CLI is to send the
 * resourceVersion it read, so that the later writer learns of the race).
 *
 * Staleness (rel_intent_applies): an intent about another revision than the
 * current canary is ignored (the user saw an older rollout), and so is a
 * Promote whose stepIndex is not the current step, so two promotes from two
 * terminals advance one step, not two.
 * Pure: no I/O, no clock.
 */
#ifndef SLIPWAY_MODEL_INTENT_H
#define SLIPWAY_MODEL_INTENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "model/errors.h"

/* The key of status the intent is written under. */
#define REL_INTENT_STATUS_KEY "intent"

/* Longest user name kept (Kubernetes sets no limit; OIDC names are long). */
#define REL_INTENT_USER_MAX 1024

enum rel_intent_action {
	REL_INTENT_PROMOTE = 1,  /* "Promote": finish the current step */
	REL_INTENT_PROMOTE_FULL, /* "PromoteFull": skip every remaining step, pause, analysis */
	REL_INTENT_ABORT,        /* "Abort": weights to 0, canary scaled down */
	REL_INTENT_RETRY,        /* "Retry": start the steps of an aborted canary again */
};

struct rel_intent {
	enum rel_intent_action action;
	char *user; /* owned, non-empty */
	time_t requested_at;
	char *revision; /* owned, non-empty */
	bool has_step_index;
	int32_t step_index; /* >= 0; required for Promote */
};

/* Parses status.intent (`intent` is its value). Returns 0 and fills *ret
 * (caller clears it); -EINVAL with every problem in errs as
 * "status.intent.FIELD: message" (an unknown action names the field and the
 * four actions); -ENOMEM. errs may be NULL. ret untouched on error. */
int rel_intent_parse(const json_t *intent, struct rel_intent *ret, struct model_errors *errs);

/* The JSON object of an intent, as the CLI writes it. Caller owns it; NULL
 * on ENOMEM or a time that cannot be formatted. */
json_t *rel_intent_to_json(const struct rel_intent *in);

/* Frees and zeroes; accepts NULL. */
void rel_intent_clear(struct rel_intent *in);

/* Whether the intent is about what the Release is doing now: `revision` is
 * the current canary revision (NULL: none, nothing applies) and, for
 * Promote, stepIndex is `current_step`. */
bool rel_intent_applies(const struct rel_intent *in, const char *revision, int32_t current_step);

/* "Promote", "PromoteFull", "Abort", "Retry"; "" for anything else. */
const char *rel_intent_action_name(enum rel_intent_action action);

/* The action of a name (exact, case-sensitive). false when unknown. */
bool rel_intent_action_from_name(const char *name, enum rel_intent_action *ret);

#endif
