#include "tap.h"

#include <errno.h>
#include <jansson.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "model/labels.h"
#include "model/status.h"

/* A status as the controller writes it, a user intent from the CLI and a
 * field of a newer controller. */
static const char full[] =
    "{\"observedGeneration\":7,\"phase\":\"Progressing\",\"message\":\"updating 3 of 10\","
    "\"strategy\":\"rolling\",\"lastProgressTime\":\"2026-11-26T12:21:00Z\","
    "\"restartedAt\":\"2026-11-26T12:00:00Z\","
    "\"currentRevision\":\"r8kt9mf4mk\",\"stableRevision\":\"b2c4d5f6g7\","
    "\"activeRevision\":\"b2c4d5f6g7\",\"previewRevision\":\"r8kt9mf4mk\","
    "\"currentStepIndex\":2,\"replicas\":11,\"updatedReplicas\":3,\"readyReplicas\":10,"
    "\"availableReplicas\":9,\"selector\":\"app=web\","
    "\"conditions\":[{\"type\":\"Ready\",\"status\":\"False\",\"observedGeneration\":7,"
    "\"lastTransitionTime\":\"2026-11-26T12:20:04Z\",\"reason\":\"Progressing\","
    "\"message\":\"\"}],"
    "\"history\":[{\"revision\":\"r8kt9mf4mk\",\"images\":[\"nginx:1.26\"],"
    "\"started\":\"2026-11-26T12:20:04Z\"},"
    "{\"revision\":\"b2c4d5f6g7\",\"images\":[\"nginx:1.25\",\"envoy:1\"],"
    "\"started\":\"2026-11-25T08:00:00Z\",\"finished\":\"2026-11-25T08:05:00Z\","
    "\"outcome\":\"Succeeded\"}],"
    "\"canary\":{\"stepLabel\":\"3/7\",\"weights\":{\"canary\":{\"weight\":10,"
    "\"revision\":\"r8kt9mf4mk\"},\"stable\":{\"weight\":90,\"revision\":\"b2c4d5f6g7\"}}},"
    "\"pauseConditions\":[{\"reason\":\"CanaryPauseStep\",\"startTime\":"
    "\"2026-11-26T12:22:00Z\"}],\"abort\":true,\"abortedAt\":\"2026-11-26T12:23:00Z\","
    "\"promoteFull\":true,"
    "\"intent\":{\"action\":\"Promote\",\"user\":\"ana\",\"stepIndex\":2},"
    "\"fromTheFuture\":{\"x\":1}}";

static const struct {
	const char *why;
	const char *json;
	int ret;
} parse_rows[] = {
    {"full status", full, 0},
    {"empty object", "{}", 0},
    {"null", "null", 0},
    {"phase Healthy", "{\"phase\":\"Healthy\"}", 0},
    {"phase Paused", "{\"phase\":\"Paused\"}", 0},
    {"phase Degraded", "{\"phase\":\"Degraded\"}", 0},
    {"unknown phase", "{\"phase\":\"Sleeping\"}", -EINVAL},
    {"strategy not a string", "{\"strategy\":1}", -EINVAL},
    {"lastProgressTime not a time", "{\"lastProgressTime\":\"soon\"}", -EINVAL},
    {"restartedAt not a time", "{\"restartedAt\":\"soon\"}", -EINVAL},
    {"empty phase string", "{\"phase\":\"\"}", -EINVAL},
    {"replicas as string", "{\"replicas\":\"3\"}", -EINVAL},
    {"negative replicas", "{\"readyReplicas\":-1}", -EINVAL},
    {"negative generation", "{\"observedGeneration\":-1}", -EINVAL},
    {"conditions not a list", "{\"conditions\":{}}", -EINVAL},
    {"history not a list", "{\"history\":{}}", -EINVAL},
    {"history entry without revision", "{\"history\":[{\"images\":[]}]}", -EINVAL},
    {"history with bad time", "{\"history\":[{\"revision\":\"x\",\"started\":\"noon\"}]}", -EINVAL},
    {"history with unknown outcome", "{\"history\":[{\"revision\":\"x\",\"outcome\":\"Meh\"}]}",
     -EINVAL},
    {"history images not strings", "{\"history\":[{\"revision\":\"x\",\"images\":[1]}]}", -EINVAL},
    {"status not an object", "[]", -EINVAL},
    {"canary weight above 100", "{\"canary\":{\"weights\":{\"canary\":{\"weight\":101}}}}",
     -EINVAL},
    {"canary weights not an object", "{\"canary\":{\"weights\":[]}}", -EINVAL},
    {"stepLabel not a string", "{\"canary\":{\"stepLabel\":3}}", -EINVAL},
    {"unknown pause reason",
     "{\"pauseConditions\":[{\"reason\":\"Nap\",\"startTime\":\"2026-11-26T12:22:00Z\"}]}",
     -EINVAL},
    {"pause condition without startTime",
     "{\"pauseConditions\":[{\"reason\":\"CanaryPauseStep\"}]}", -EINVAL},
    {"abort not a boolean", "{\"abort\":\"yes\"}", -EINVAL},
    {"abortedAt not a time", "{\"abortedAt\":\"now\"}", -EINVAL},
    {"an intent of any shape is kept for its parser", "{\"intent\":\"Promote\"}", 0},
};

static json_t *load(const char *s)
{
	return json_loads(s, JSON_DECODE_ANY, NULL);
}

static void check_round_trip(void)
{
	json_t *in = load(full);
	struct rel_status s;
	is_int(rel_status_from_json(in, &s), 0, "full status parses");
	is_int(s.observed_generation, 7, "observedGeneration");
	is_int(s.phase, REL_PHASE_PROGRESSING, "phase");
	is_str(s.message, "updating 3 of 10", "message");
	is_str(s.strategy, "rolling", "strategy");
	is_int(s.last_progress_time, 1795695660, "lastProgressTime");
	is_int(s.restarted_at, 1795694400, "restartedAt");
	is_str(s.current_revision, "r8kt9mf4mk", "currentRevision");
	is_str(s.stable_revision, "b2c4d5f6g7", "stableRevision");
	is_str(s.active_revision, "b2c4d5f6g7", "activeRevision (typed, not in extra)");
	is_str(s.preview_revision, "r8kt9mf4mk", "previewRevision");
	ok(s.has_current_step_index && s.current_step_index == 2, "currentStepIndex");
	ok(s.replicas == 11 && s.updated_replicas == 3 && s.ready_replicas == 10 &&
	       s.available_replicas == 9,
	   "replica counts");
	is_str(s.selector, "app=web", "selector");
	is_int(json_array_size(s.conditions), 1, "one condition");
	is_int(s.n_history, 2, "two history entries");
	is_int(s.history[1].outcome, REL_OUTCOME_SUCCEEDED, "older one succeeded");
	is_int(s.history[1].finished, 1795593900, "finished time");
	is_int(s.history[0].finished, 0, "newest not finished");
	ok(json_equal(json_object_get(s.extra, "fromTheFuture"),
	              json_object_get(in, "fromTheFuture")),
	   "a newer controller's field kept in extra");
	ok(json_object_get(s.extra, "abort") == NULL, "abort is a known field");
	is_str(s.canary.step_label, "3/7", "canary.stepLabel");
	ok(s.canary.has_weights && s.canary.canary.weight == 10 && s.canary.stable.weight == 90,
	   "canary.weights");
	is_str(s.canary.canary.revision, "r8kt9mf4mk", "canary weight's revision");
	is_str(s.canary.stable.revision, "b2c4d5f6g7", "stable weight's revision");
	ok(s.canary.n_pause_conditions == 1 &&
	       s.canary.pause_conditions[0].reason == REL_PAUSE_CANARY_STEP &&
	       s.canary.pause_conditions[0].start_time == 1795695720,
	   "pauseConditions");
	is_str(rel_pause_reason_name(s.canary.pause_conditions[0].reason), "CanaryPauseStep",
	       "pause reason name");
	ok(s.canary.abort && s.canary.aborted_at == 1795695780 && s.canary.promote_full,
	   "abort, abortedAt, promoteFull");
	ok(json_equal(s.intent, json_object_get(in, "intent")), "intent kept as written");

	json_t *out = rel_status_to_json(&s);
	ok(json_equal(in, out), "round trip gives the same JSON");
	if (!json_equal(in, out)) {
		char *t = json_dumps(out, JSON_SORT_KEYS | JSON_COMPACT);
		tap_diag("got %s", t);
		free(t);
	}
	json_decref(out);

	/* Consuming the intent removes it from what is written. */
	json_decref(s.intent);
	s.intent = NULL;
	out = rel_status_to_json(&s);
	ok(out && !json_object_get(out, "intent"), "a consumed intent is not written back");
	json_decref(out);

	/* Push more than the bound: newest first, oldest dropped. */
	for (int i = 0; i < REL_HISTORY_MAX + 3; i++) {
		char rev[16];
		snprintf(rev, sizeof(rev), "rev%d", i);
		json_t *images = json_pack("[s]", "img");
		is_int(rel_status_history_push(&s, rev, images, 1795695604 + i), 0, "push %s", rev);
		json_decref(images);
	}
	is_int(s.n_history, REL_HISTORY_MAX, "history is bounded");
	is_str(s.history[0].revision, "rev12", "newest first");
	is_str(s.history[REL_HISTORY_MAX - 1].revision, "rev3", "oldest kept");
	ok(rel_status_history_find(&s, "rev5") == &s.history[7], "find by revision");
	ok(rel_status_history_find(&s, "b2c4d5f6g7") == NULL, "dropped entry is gone");

	is_int(rel_status_set_string(&s.message, "done"), 0, "set message");
	is_str(s.message, "done", "message replaced");
	is_int(rel_status_set_string(&s.message, NULL), 0, "clear message");
	ok(s.message == NULL, "message cleared");
	is_int(rel_status_set_string(&s.strategy, NULL), 0, "clear strategy");
	s.last_progress_time = 0;
	s.restarted_at = 0;
	s.phase = REL_PHASE_HEALTHY;
	s.has_current_step_index = false;
	out = rel_status_to_json(&s);
	is_str(json_string_value(json_object_get(out, "phase")), "Healthy", "phase written");
	ok(json_object_get(out, "message") == NULL, "cleared message omitted");
	ok(json_object_get(out, "strategy") == NULL, "cleared strategy omitted");
	ok(json_object_get(out, "lastProgressTime") == NULL, "zero lastProgressTime omitted");
	ok(json_object_get(out, "restartedAt") == NULL, "zero restartedAt omitted");
	ok(json_object_get(out, "currentStepIndex") == NULL, "step index omitted when unset");
	is_int(json_array_size(json_object_get(out, "history")), REL_HISTORY_MAX,
	       "history written bounded");

	/* And that output reads back to the same thing. */
	struct rel_status again;
	is_int(rel_status_from_json(out, &again), 0, "written status parses");
	json_t *out2 = rel_status_to_json(&again);
	ok(json_equal(out, out2), "second round trip is stable");
	json_decref(out2);
	rel_status_clear(&again);
	json_decref(out);
	rel_status_clear(&s);
	json_decref(in);

	/* More history than the bound in the input: the newest are kept. */
	json_t *big = json_object();
	json_t *h = json_array();
	for (int i = 0; i < REL_HISTORY_MAX + 5; i++)
		json_array_append_new(h, json_pack("{s:s+}", "revision", "r", i < 10 ? "x" : "y"));
	json_object_set_new(big, "history", h);
	is_int(rel_status_from_json(big, &s), 0, "long history parses");
	is_int(s.n_history, REL_HISTORY_MAX, "long history cut to the bound");
	rel_status_clear(&s);
	json_decref(big);
}

static void check_empty(void)
{
	struct rel_status s;
	is_int(rel_status_init(&s), 0, "init");
	json_t *out = rel_status_to_json(&s);
	json_t *want = load("{\"observedGeneration\":0,\"replicas\":0,\"updatedReplicas\":0,"
	                    "\"readyReplicas\":0,\"availableReplicas\":0,\"conditions\":[]}");
	ok(json_equal(out, want), "empty status writes counts and empty conditions");
	json_decref(out);
	json_decref(want);
	rel_status_clear(&s);
	rel_status_clear(NULL);
}

static void check_selector(void)
{
	static const struct {
		const char *labels;
		const char *want;
	} rows[] = {
	    {"{\"app\":\"web\"}", "app=web"},
	    {"{\"tier\":\"fe\",\"app\":\"web\"}", "app=web,tier=fe"},
	    {"{\"b\":\"\",\"a.io/x\":\"1\",\"A\":\"2\"}", "A=2,a.io/x=1,b="},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		json_t *j = load(rows[i].labels);
		struct model_labels l;
		struct model_errors errs = {0};
		is_int(model_labels_from_json(j, "x", &l, &errs), 0, "labels %zu parse", i);
		char *sel = model_labels_selector_string(&l);
		is_str(sel, rows[i].want, "selector string %s", rows[i].want);
		free(sel);
		model_labels_clear(&l);
		json_decref(j);
	}
}

static void check_step_label(void)
{
	struct rel_canary_status c = {0};
	is_int(rel_canary_status_set_step(&c, 2, 7), 0, "set step");
	is_str(c.step_label, "3/7", "index 2 of 7 reads 3/7");
	rel_canary_status_set_step(&c, 7, 7);
	is_str(c.step_label, "7/7", "past the last step reads 7/7");
	rel_canary_status_set_step(&c, 0, 0);
	ok(c.step_label == NULL, "no steps: no label");
	/* Set, empty fields are not written: a rolling status stays as it was. */
	json_t *o = json_object();
	is_int(rel_canary_status_put(o, &c), 0, "put an empty canary status");
	is_int(json_object_size(o), 0, "writes nothing");
	json_decref(o);
	rel_canary_status_clear(&c);
}

int main(void)
{
	for (size_t i = 0; i < sizeof(parse_rows) / sizeof(parse_rows[0]); i++) {
		json_t *j = load(parse_rows[i].json);
		struct rel_status s = {.replicas = -42};
		int r = rel_status_from_json(j, &s);
		is_int(r, parse_rows[i].ret, "%s: returns %d", parse_rows[i].why,
		       parse_rows[i].ret);
		if (r == 0) {
			json_t *out = rel_status_to_json(&s);
			struct rel_status back;
			ok(out && rel_status_from_json(out, &back) == 0, "%s: output reparses",
			   parse_rows[i].why);
			json_t *out2 = rel_status_to_json(&back);
			ok(json_equal(out, out2), "%s: round trip", parse_rows[i].why);
			json_decref(out);
			json_decref(out2);
			rel_status_clear(&back);
			rel_status_clear(&s);
		} else {
			is_int(s.replicas, -42, "%s: output untouched", parse_rows[i].why);
		}
		json_decref(j);
	}
	is_str(rel_phase_name(REL_PHASE_DEGRADED), "Degraded", "phase name");
	is_str(rel_outcome_name(REL_OUTCOME_SUPERSEDED), "Superseded", "outcome name");
	check_round_trip();
	check_empty();
	check_selector();
	check_step_label();
	return tap_done();
}
