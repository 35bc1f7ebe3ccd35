#include "model/intent.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model/fields.h"
#include "model/timefmt.h"

/* The one place the action strings are spelled (the CLI writes them, the
 * controller reads them, the CRD's enum lists the same four). */
static const char *const action_names[] = {
    [REL_INTENT_PROMOTE] = "Promote",
    [REL_INTENT_PROMOTE_FULL] = "PromoteFull",
    [REL_INTENT_ABORT] = "Abort",
    [REL_INTENT_RETRY] = "Retry",
};
#define N_ACTIONS (sizeof(action_names) / sizeof(action_names[0]))

const char *rel_intent_action_name(enum rel_intent_action action)
{
	if ((size_t)action >= 1 && (size_t)action < N_ACTIONS)
		return action_names[action];
	return "";
}

bool rel_intent_action_from_name(const char *name, enum rel_intent_action *ret)
{
	for (size_t i = 1; i < N_ACTIONS; i++) {
		if (strcmp(name, action_names[i]) == 0) {
			*ret = (enum rel_intent_action)i;
			return true;
		}
	}
	return false;
}

void rel_intent_clear(struct rel_intent *in)
{
	if (!in)
		return;
	free(in->user);
	free(in->revision);
	memset(in, 0, sizeof(*in));
}

static void parse_action(struct model_fields *c, const json_t *o, const char *base,
                         struct rel_intent *in)
{
	char *name = NULL;
	if (!model_field_string(c, o, "action", base, true, &name) || !name)
		return;
	if (!rel_intent_action_from_name(name, &in->action))
		model_errors_add(c->errs, "status.intent.action",
		                 "unknown action \"%.40s\": must be one of Promote, PromoteFull, "
		                 "Abort, Retry",
		                 name);
	free(name);
}

static void parse_fields(struct model_fields *c, const json_t *o, const char *base,
                         struct rel_intent *in)
{
	parse_action(c, o, base, in);
	if (model_field_string(c, o, "user", base, true, &in->user) && in->user &&
	    strlen(in->user) > REL_INTENT_USER_MAX)
		model_errors_add(c->errs, "status.intent.user", "must be at most %d characters",
		                 REL_INTENT_USER_MAX);
	json_t *at = json_object_get(o, "requestedAt");
	if (!at)
		model_errors_add(c->errs, "status.intent.requestedAt", "required");
	else if (!json_is_string(at) ||
	         model_time_parse(json_string_value(at), &in->requested_at) < 0)
		model_errors_add(c->errs, "status.intent.requestedAt",
		                 "must be an RFC 3339 time such as \"2026-12-02T18:30:00Z\"");
	model_field_string(c, o, "revision", base, true, &in->revision);
	in->has_step_index = json_object_get(o, "stepIndex") != NULL;
	model_field_int32(c, o, "stepIndex", base, 0, 0, &in->step_index);
	/* Without it two promotes from two terminals would skip two steps. */
	if (in->action == REL_INTENT_PROMOTE && !in->has_step_index)
		model_errors_add(c->errs, "status.intent.stepIndex", "required for Promote");
}

int rel_intent_parse(const json_t *intent, struct rel_intent *ret, struct model_errors *errs)
{
	struct model_errors scratch = {0};
	struct model_errors *e = errs ? errs : &scratch;
	size_t before = model_errors_count(e);
	struct model_fields c = {.errs = e};
	struct rel_intent in = {0};
	if (!json_is_object(intent))
		model_errors_add(e, "status.intent", "must be an object");
	else
		parse_fields(&c, intent, "status.intent", &in);
	int r = c.oom ? -ENOMEM : model_errors_count(e) > before ? -EINVAL : 0;
	model_errors_clear(&scratch);
	if (r < 0) {
		rel_intent_clear(&in);
		return r;
	}
	*ret = in;
	return 0;
}

json_t *rel_intent_to_json(const struct rel_intent *in)
{
	char at[MODEL_TIME_LEN];
	if (model_time_format(in->requested_at, at) < 0 || !in->user || !in->revision)
		return NULL;
	json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "action", rel_intent_action_name(in->action),
	                      "user", in->user, "requestedAt", at, "revision", in->revision);
	if (o && in->has_step_index &&
	    json_object_set_new(o, "stepIndex", json_integer(in->step_index)) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

bool rel_intent_applies(const struct rel_intent *in, const char *revision, int32_t current_step)
{
	if (!revision || !in->revision || strcmp(in->revision, revision) != 0)
		return false;
	if (in->action == REL_INTENT_PROMOTE)
		return in->has_step_index && in->step_index == current_step;
	return true;
}
