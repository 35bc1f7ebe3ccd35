#include "tap.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "model/intent.h"

static const struct {
	const char *why;
	const char *json;
	const char *errors; /* NULL = valid */
} rows[] = {
    {"promote",
     "{\"action\":\"Promote\",\"user\":\"ana@example.com\",\"requestedAt\":"
     "\"2026-12-02T18:30:00Z\",\"revision\":\"r8kt9mf4mk\",\"stepIndex\":2}",
     NULL},
    {"promote --full needs no step",
     "{\"action\":\"PromoteFull\",\"user\":\"ana\",\"requestedAt\":\"2026-12-02T18:30:00Z\","
     "\"revision\":\"r8kt9mf4mk\"}",
     NULL},
    {"abort",
     "{\"action\":\"Abort\",\"user\":\"system:admin\",\"requestedAt\":"
     "\"2026-12-02T18:30:00+01:00\",\"revision\":\"r8kt9mf4mk\"}",
     NULL},
    {"retry",
     "{\"action\":\"Retry\",\"user\":\"u\",\"requestedAt\":\"2026-12-02T18:30:00Z\","
     "\"revision\":\"r\"}",
     NULL},
    {"unknown action",
     "{\"action\":\"Skip\",\"user\":\"u\",\"requestedAt\":\"2026-12-02T18:30:00Z\","
     "\"revision\":\"r\"}",
     "status.intent.action: unknown action \"Skip\": must be one of Promote, PromoteFull, "
     "Abort, Retry"},
    {"actions are case-sensitive",
     "{\"action\":\"promote\",\"user\":\"u\",\"requestedAt\":\"2026-12-02T18:30:00Z\","
     "\"revision\":\"r\",\"stepIndex\":0}",
     "status.intent.action: unknown action \"promote\": must be one of Promote, PromoteFull, "
     "Abort, Retry"},
    {"everything missing", "{}",
     "status.intent.action: required; status.intent.user: required; "
     "status.intent.requestedAt: required; status.intent.revision: required"},
    {"promote without stepIndex",
     "{\"action\":\"Promote\",\"user\":\"u\",\"requestedAt\":\"2026-12-02T18:30:00Z\","
     "\"revision\":\"r\"}",
     "status.intent.stepIndex: required for Promote"},
    {"bad types",
     "{\"action\":1,\"user\":\"\",\"requestedAt\":\"noon\",\"revision\":\"r\","
     "\"stepIndex\":-1}",
     "status.intent.action: must be a string; status.intent.user: required; "
     "status.intent.requestedAt: must be an RFC 3339 time such as \"2026-12-02T18:30:00Z\"; "
     "status.intent.stepIndex: must not be negative"},
    {"not an object", "\"Promote\"", "status.intent: must be an object"},
};

static void check_rows(void)
{
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		json_t *j = json_loads(rows[i].json, JSON_DECODE_ANY, NULL);
		struct model_errors errs = {0};
		struct rel_intent in = {.step_index = -7};
		int r = rel_intent_parse(j, &in, &errs);
		char *got = model_errors_join(&errs, "; ");
		if (rows[i].errors) {
			is_int(r, -EINVAL, "%s: invalid", rows[i].why);
			is_str(got, rows[i].errors, "%s: messages", rows[i].why);
			ok(in.step_index == -7 && in.user == NULL, "%s: output untouched",
			   rows[i].why);
		} else {
			is_int(r, 0, "%s: valid", rows[i].why);
			is_str(got, "", "%s: no messages", rows[i].why);
			/* What the CLI writes reads back the same. */
			json_t *out = rel_intent_to_json(&in);
			ok(out && json_equal(out, j) == (strstr(rows[i].json, "+01:00") == NULL),
			   "%s: to_json gives the input back (times in UTC)", rows[i].why);
			json_decref(out);
			rel_intent_clear(&in);
		}
		free(got);
		model_errors_clear(&errs);
		json_decref(j);
	}
}

static void check_fields_and_staleness(void)
{
	json_t *j = json_loads(rows[0].json, 0, NULL);
	struct rel_intent in;
	is_int(rel_intent_parse(j, &in, NULL), 0, "promote parses without an error list");
	json_decref(j);
	is_int(in.action, REL_INTENT_PROMOTE, "action");
	is_str(in.user, "ana@example.com", "user");
	is_int(in.requested_at, 1796236200, "requestedAt");
	is_str(in.revision, "r8kt9mf4mk", "revision");
	ok(in.has_step_index && in.step_index == 2, "stepIndex");
	ok(rel_intent_applies(&in, "r8kt9mf4mk", 2), "applies at the step the user saw");
	ok(!rel_intent_applies(&in, "r8kt9mf4mk", 3),
	   "a second promote of step 2 is stale once at step 3");
	ok(!rel_intent_applies(&in, "zzzzzzzzzz", 2), "another revision: stale");
	ok(!rel_intent_applies(&in, NULL, 2), "no canary: nothing applies");
	in.action = REL_INTENT_ABORT;
	ok(rel_intent_applies(&in, "r8kt9mf4mk", 5), "abort does not depend on the step");
	rel_intent_clear(&in);

	enum rel_intent_action a = 0;
	for (int k = REL_INTENT_PROMOTE; k <= REL_INTENT_RETRY; k++) {
		const char *name = rel_intent_action_name((enum rel_intent_action)k);
		ok(rel_intent_action_from_name(name, &a) && (int)a == k, "%s reads back", name);
	}
	is_str(rel_intent_action_name(0), "", "no name for 0");
	ok(!rel_intent_action_from_name("", &a), "empty name is unknown");
}

int main(void)
{
	check_rows();
	check_fields_and_staleness();
	return tap_done();
}
