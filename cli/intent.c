/* promote, abort, retry: the checks, the patch and the message (cli/intent.h). */
#include "cli/intent.h"

#include <errno.h>
#include <string.h>

#include "cli/escape.h"
#include "model/intent.h"
#include "model/release.h"
#include "model/status.h"

const char *cli_intent_verb(enum rel_intent_action action)
{
	switch (action) {
	case REL_INTENT_PROMOTE:
		return "promote";
	case REL_INTENT_PROMOTE_FULL:
		return "full promote";
	case REL_INTENT_ABORT:
		return "abort";
	case REL_INTENT_RETRY:
		return "retry";
	}
	return "?";
}

/* The word after "nothing to": the command's name. */
static const char *command_word(enum rel_intent_action action)
{
	return action == REL_INTENT_PROMOTE_FULL ? "promote" : cli_intent_verb(action);
}

static bool is_phase(const char *phase, enum rel_phase p)
{
	return phase && strcmp(phase, rel_phase_name(p)) == 0;
}

/* The strategy key and step count of rel's spec, from the JSON rather than
 * rel_release_parse: an intent is about the status, and a spec the
 * controller finds invalid is its to report. */
static const char *strategy_of(const json_t *rel, size_t *n_steps)
{
	const json_t *s = json_object_get(json_object_get(rel, "spec"), "strategy");
	static const enum rel_strategy_kind kinds[] = {REL_STRATEGY_CANARY, REL_STRATEGY_BLUE_GREEN,
	                                               REL_STRATEGY_ROLLING};
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		const json_t *v = json_object_get(s, rel_strategy_name(kinds[i]));
		if (v) {
			*n_steps = json_array_size(json_object_get(v, "steps"));
			return rel_strategy_name(kinds[i]);
		}
	}
	*n_steps = 0;
	return rel_strategy_name(REL_STRATEGY_ROLLING); /* the default */
}

/* The refusal for an action on a canary Release whose status is st, or
 * NULL when the action applies. */
static const char *refusal(const json_t *st, enum rel_intent_action action,
                           const struct cli_intent_target *t)
{
	const char *stable = json_string_value(json_object_get(st, "stableRevision"));
	const char *phase = json_string_value(json_object_get(st, "phase"));
	bool aborted = json_is_true(json_object_get(st, "abort"));
	if (!t->revision)
		return "has no canary revision yet (the controller has not reconciled it)";
	if (action == REL_INTENT_RETRY)
		return aborted ? NULL : "is not aborted";
	if (aborted)
		return action == REL_INTENT_ABORT ? "is already aborted"
		                                  : "is aborted (retry starts its steps again)";
	if (stable && strcmp(stable, t->revision) == 0)
		return "has no canary in progress (its current revision is the stable one)";
	if (action == REL_INTENT_ABORT)
		return NULL;
	if (!is_phase(phase, REL_PHASE_PAUSED) && !is_phase(phase, REL_PHASE_PROGRESSING))
		return "is neither paused nor progressing";
	if (!t->has_step || (size_t)t->step_index >= t->n_steps)
		return "is past its last step";
	if (t->blue_green && t->step_index == REL_BG_STAGE_SCALE_UP)
		return "is promoted already (activeService switches once every pod is available)";
	return NULL;
}

int cli_intent_check(const json_t *rel, enum rel_intent_action action, struct cli_intent_target *t,
                     char *why, size_t cap)
{
	const char *name =
	    json_string_value(json_object_get(json_object_get(rel, "metadata"), "name"));
	const json_t *st = json_object_get(rel, "status");
	struct cli_intent_target out = {0};
	const char *strategy = strategy_of(rel, &out.n_steps);
	out.blue_green = strcmp(strategy, rel_strategy_name(REL_STRATEGY_BLUE_GREEN)) == 0;
	if (out.blue_green)
		out.n_steps = REL_BG_STAGE_DONE; /* the stages a Promote can end */
	if (!out.blue_green && strcmp(strategy, rel_strategy_name(REL_STRATEGY_CANARY)) != 0) {
		cli_snprintf(why, cap,
		             "release \"%s\" is not a canary (strategy %s): nothing to %s",
		             name ? name : "?", strategy, command_word(action));
		return -EPERM;
	}
	out.revision = json_string_value(json_object_get(st, "currentRevision"));
	const json_t *idx = json_object_get(st, "currentStepIndex");
	out.has_step = json_is_integer(idx) && json_integer_value(idx) >= 0 &&
	               json_integer_value(idx) <= INT32_MAX;
	out.step_index = out.has_step ? (int32_t)json_integer_value(idx) : 0;
	const char *no = refusal(st, action, &out);
	if (no) {
		cli_snprintf(why, cap, "release \"%s\" %s: nothing to %s", name ? name : "?", no,
		             command_word(action));
		return -EPERM;
	}
	*t = out;
	return 0;
}

/* A merge patch merges into an object: null every field of the previous
 * intent that ours does not set (an Abort after a Promote must not keep its
 * stepIndex). 0 or -ENOMEM. */
static int null_leftovers(json_t *intent, const json_t *previous)
{
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)previous, key, v)
	{
		if (!json_object_get(intent, key) &&
		    json_object_set_new(intent, key, json_null()) < 0)
			return -ENOMEM;
	}
	return 0;
}

json_t *cli_intent_patch(const json_t *rel, const struct rel_intent *in)
{
	const char *rv =
	    json_string_value(json_object_get(json_object_get(rel, "metadata"), "resourceVersion"));
	const json_t *previous =
	    json_object_get(json_object_get(rel, "status"), REL_INTENT_STATUS_KEY);
	json_t *intent = rv ? rel_intent_to_json(in) : NULL;
	if (!intent || (json_is_object(previous) && null_leftovers(intent, previous) < 0)) {
		json_decref(intent);
		return NULL;
	}
	return json_pack("{s:{s:s}, s:{s:o}}", "metadata", "resourceVersion", rv, "status",
	                 REL_INTENT_STATUS_KEY, intent);
}

void cli_intent_describe(const char *name, const struct rel_intent *in,
                         const struct cli_intent_target *t, char *buf, size_t cap)
{
	char step[64] = "";
	/* Steps count from 1 for people, as `kubectl get` shows them. */
	if (t->blue_green && t->has_step)
		snprintf(step, sizeof(step), " at stage %s", rel_bg_stage_name(t->step_index));
	else if (t->has_step && t->n_steps > 0 && (size_t)t->step_index < t->n_steps)
		snprintf(step, sizeof(step), " at step %d/%zu", t->step_index + 1, t->n_steps);
	cli_snprintf(buf, cap, "release \"%s\": %s requested by %s%s (revision %s)", name,
	             cli_intent_verb(in->action), in->user, step, in->revision);
}
