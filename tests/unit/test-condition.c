#include "tap.h"

#include <errno.h>
#include <jansson.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "model/condition.h"

#define T0 1795695604 /* 2026-11-26T12:20:04Z */
#define T1 (T0 + 60)

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* Each row applies one set to a fresh array holding a Ready=True condition
 * written at T0, at time T1, and checks what a reader would see. */
static const struct {
	const char *why;
	struct model_condition c;
	int ret;
	const char *want_time; /* lastTransitionTime afterwards */
	size_t want_len;
} rows[] = {
    {"same everything: no change",
     {"Ready", "True", "RolloutCompleted", "all 3 replicas available", 4},
     0,
     "2026-11-26T12:20:04Z",
     1},
    {"new message, same status: time kept",
     {"Ready", "True", "RolloutCompleted", "all 5 replicas available", 4},
     1,
     "2026-11-26T12:20:04Z",
     1},
    {"new reason, same status: time kept",
     {"Ready", "True", "Scaled", "all 3 replicas available", 4},
     1,
     "2026-11-26T12:20:04Z",
     1},
    {"new generation, same status: time kept",
     {"Ready", "True", "RolloutCompleted", "all 3 replicas available", 5},
     1,
     "2026-11-26T12:20:04Z",
     1},
    {"status changes: time moves",
     {"Ready", "False", "ProgressDeadlineExceeded", "no progress for 600s", 5},
     1,
     "2026-11-26T12:21:04Z",
     1},
    {"Unknown is a status change too",
     {"Ready", "Unknown", "Reconciling", NULL, 5},
     1,
     "2026-11-26T12:21:04Z",
     1},
    {"another type is appended, written now",
     {"Stalled", "False", "Progressing", "", 4},
     1,
     "2026-11-26T12:21:04Z",
     2},
    {"reason with colon and comma is valid",
     {"Ready", "True", "A:b,C_9", "x", 4},
     1,
     "2026-11-26T12:20:04Z",
     1},
    {"status must be True/False/Unknown", {"Ready", "true", "X", "", 4}, -EINVAL, NULL, 1},
    {"reason must be CamelCase", {"Ready", "True", "rollout completed", "", 4}, -EINVAL, NULL, 1},
    {"reason must not start with a digit", {"Ready", "True", "9Lives", "", 4}, -EINVAL, NULL, 1},
    {"reason must not end with a colon", {"Ready", "True", "Done:", "", 4}, -EINVAL, NULL, 1},
    {"reason is required", {"Ready", "True", "", "", 4}, -EINVAL, NULL, 1},
    {"type is required", {"", "True", "X", "", 4}, -EINVAL, NULL, 1},
    {"generation must not be negative", {"Ready", "True", "X", "", -1}, -EINVAL, NULL, 1},
    {"message must be UTF-8", {"Ready", "True", "X", "bad \xff", 4}, -EINVAL, NULL, 1},
};

static json_t *initial(void)
{
	json_t *a = json_array();
	struct model_condition c = {"Ready", "True", "RolloutCompleted", "all 3 replicas available",
	                            4};
	model_condition_set(a, &c, T0);
	/* A field we do not know must survive updates. */
	json_object_set_new(json_array_get(a, 0), "x-extra", json_string("kept"));
	return a;
}

int main(void)
{
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		json_t *a = initial();
		json_t *before = json_deep_copy(a);
		int r = model_condition_set(a, &rows[i].c, T1);
		is_int(r, rows[i].ret, "%s: returns %d", rows[i].why, rows[i].ret);
		is_int(json_array_size(a), rows[i].want_len, "%s: %zu conditions", rows[i].why,
		       rows[i].want_len);
		if (rows[i].ret <= 0) {
			ok(json_equal(a, before), "%s: array unchanged", rows[i].why);
		}
		if (rows[i].ret >= 0) {
			json_t *c = model_condition_find(a, rows[i].c.type);
			is_str(str(c, "lastTransitionTime"), rows[i].want_time,
			       "%s: transition time", rows[i].why);
			is_str(str(c, "status"), rows[i].c.status, "%s: status", rows[i].why);
			is_str(str(c, "reason"), rows[i].c.reason, "%s: reason", rows[i].why);
			is_str(str(c, "message"), rows[i].c.message ? rows[i].c.message : "",
			       "%s: message", rows[i].why);
			is_int(json_integer_value(json_object_get(c, "observedGeneration")),
			       rows[i].c.observed_generation, "%s: observedGeneration",
			       rows[i].why);
		}
		is_str(str(model_condition_find(a, "Ready"), "x-extra"), "kept",
		       "%s: unknown field kept", rows[i].why);
		json_decref(before);
		json_decref(a);
	}

	/* find / has_status / remove */
	json_t *a = initial();
	ok(model_condition_has_status(a, "Ready", "True"), "Ready is True");
	ok(!model_condition_has_status(a, "Ready", "False"), "Ready is not False");
	ok(!model_condition_has_status(a, "Stalled", "False"), "a missing condition has no status");
	ok(model_condition_find(a, "Stalled") == NULL, "find a missing type gives NULL");
	json_array_append_new(a, json_string("junk"));
	ok(model_condition_find(a, "Nope") == NULL, "junk entries are skipped");
	is_int(model_condition_remove(a, "Ready"), 1, "remove Ready");
	is_int(model_condition_remove(a, "Ready"), 0, "remove again: nothing");
	json_decref(a);

	/* An unreadable time is replaced even when the status stays. */
	a = initial();
	json_object_set_new(json_array_get(a, 0), "lastTransitionTime", json_string("yesterday"));
	struct model_condition same = {"Ready", "True", "RolloutCompleted",
	                               "all 3 replicas available", 4};
	is_int(model_condition_set(a, &same, T1), 1, "bad time is a change");
	is_str(str(json_array_get(a, 0), "lastTransitionTime"), "2026-11-26T12:21:04Z",
	       "bad time replaced by now");
	json_decref(a);

	/* Long messages are cut on a character boundary. */
	a = json_array();
	size_t big = MODEL_CONDITION_MESSAGE_MAX + 10;
	char *msg = malloc(big + 1);
	memset(msg, 'a', big);
	/* A 2-byte character straddling the limit must not be split. */
	msg[MODEL_CONDITION_MESSAGE_MAX - 1] = (char)0xc3;
	msg[MODEL_CONDITION_MESSAGE_MAX] = (char)0xa9;
	msg[big] = '\0';
	struct model_condition longc = {"Ready", "False", "X", msg, 1};
	is_int(model_condition_set(a, &longc, T0), 1, "long message accepted");
	is_int(strlen(str(json_array_get(a, 0), "message")), MODEL_CONDITION_MESSAGE_MAX - 1,
	       "cut before the split character");
	free(msg);
	json_decref(a);

	/* Status object helper. */
	json_t *status = json_object();
	json_t *conds = model_status_conditions(status);
	ok(json_is_array(conds), "conditions array created");
	ok(model_status_conditions(status) == conds, "and found again");
	json_object_set_new(status, "conditions", json_string("not an array"));
	ok(json_is_array(model_status_conditions(status)), "a non-array is replaced");
	ok(model_status_conditions(NULL) == NULL, "NULL status gives NULL");
	json_decref(status);
	is_int(model_condition_set(NULL, &same, T0), -EINVAL, "NULL array is EINVAL");
	return tap_done();
}
