/*
 * The pure parts of promote, abort and retry: whether the Release is in a
 * state the intent is about, the status patch that records it, and the line
 * saying what was asked. The contract is model/intent.h's; what the commands
 * do around it (who the user is, the precondition, retries) is
 * cli/cmd-intent.c's.
 */
#ifndef SLIPWAY_CLI_INTENT_H
#define SLIPWAY_CLI_INTENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/intent.h"

/* What the user saw, taken from the Release. Strings borrowed from it. */
struct cli_intent_target {
	const char *revision; /* status.currentRevision: the canary's */
	bool has_step;
	int32_t step_index; /* status.currentStepIndex */
	size_t n_steps;     /* spec.strategy.canary.steps; blueGreen: REL_BG_STAGE_DONE */
	bool blue_green;    /* step_index is a blue-green stage (model/release.h) */
};

/* Whether `action` makes sense for rel now: a canary (or blue-green)
 * Release with a rollout in progress (currentRevision set and not the stable
 * one); Promote and PromoteFull: not aborted and at a step (Promote: before
 * the last one is done; blue-green: at a stage a promote ends, not ScaleUp);
 * Abort: not aborted yet; Retry: aborted. Returns 0 and fills *t, or
 * -EPERM with the reason in why ("release \"web\" is not a canary (strategy
 * rolling): nothing to promote"; cap bytes, escaped for display). */
int cli_intent_check(const json_t *rel, enum rel_intent_action action, struct cli_intent_target *t,
                     char *why, size_t cap);

/* The merge patch for the status subresource of rel (as read):
 * {metadata: {resourceVersion}, status: {intent}}, the intent replacing any
 * previous one whole (its other fields set to null). The resourceVersion is
 * the precondition: a stale one is 409 Conflict. Caller owns it; NULL on
 * ENOMEM, a rel without resourceVersion, or an intent rel_intent_to_json
 * refuses. */
json_t *cli_intent_patch(const json_t *rel, const struct rel_intent *in);

/* "release \"web\": promote requested by alice at step 3/7" into buf (cap
 * bytes, escaped for display). */
void cli_intent_describe(const char *name, const struct rel_intent *in,
                         const struct cli_intent_target *t, char *buf, size_t cap);

/* "promote", "full promote", "abort", "retry": the words of messages. */
const char *cli_intent_verb(enum rel_intent_action action);

#endif
