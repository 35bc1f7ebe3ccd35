/* view: what `get`, `list` and `history` print for recorded objects
 * (tests/unit/data/view/, taken from a live rolling update plus a few
 * hand-made pods and a ReplicaSet of another owner), compared with golden
 * files; and the health `status` decides on, from a table.
 * SLIPWAY_UPDATE_GOLDEN=1 rewrites the golden files (then read the diff). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/view.h"
#include "model/timefmt.h"
#include "tap.h"

static json_t *load(const char *name)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/view/%s", TEST_DATA_DIR, name);
	json_error_t e;
	json_t *j = json_load_file(path, 0, &e);
	if (!j)
		tap_diag("%s: %s", path, e.text);
	return j;
}

static void golden(const char *name, const char *got)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/view/%s", TEST_DATA_DIR, name);
	const char *update = getenv("SLIPWAY_UPDATE_GOLDEN");
	if (update && strcmp(update, "1") == 0) {
		FILE *f = fopen(path, "w");
		if (f) {
			fputs(got, f);
			fclose(f);
		}
	}
	FILE *f = fopen(path, "r");
	char *want = calloc(1, 65536);
	if (f && want) {
		size_t n = fread(want, 1, 65535, f);
		want[n] = '\0';
	}
	if (f)
		fclose(f);
	is_str(got, want ? want : "", "%s matches", name);
	free(want);
}

static char *capture_list(const json_t *items, bool all, time_t now)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	cli_view_list(f, items, all, now);
	fclose(f);
	return buf;
}

static char *capture_history(const json_t *rel, const json_t *rs)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	cli_view_history(f, rel, rs);
	fclose(f);
	return buf;
}

static void test_health(void)
{
	static const struct {
		const char *json;
		enum cli_health want;
		const char *line;
	} rows[] = {
	    {"{\"metadata\":{\"name\":\"a\",\"generation\":2}}", CLI_HEALTH_WAITING,
	     "a: Waiting: the controller has not observed generation 2 yet"},
	    {"{\"metadata\":{\"name\":\"a\",\"generation\":3},\"status\":{\"observedGeneration\":2,"
	     "\"phase\":\"Healthy\"}}",
	     CLI_HEALTH_WAITING, "a: Waiting: the controller has not observed generation 3 yet"},
	    {"{\"metadata\":{\"name\":\"a\",\"generation\":3},\"status\":{\"observedGeneration\":3,"
	     "\"phase\":\"Healthy\",\"message\":\"3 of 3\"}}",
	     CLI_HEALTH_HEALTHY, "a: Healthy: 3 of 3"},
	    {"{\"metadata\":{\"name\":\"a\",\"generation\":3},\"status\":{\"observedGeneration\":3,"
	     "\"phase\":\"Progressing\"}}",
	     CLI_HEALTH_PROGRESSING, "a: Progressing"},
	    {"{\"metadata\":{\"name\":\"a\",\"generation\":3},\"status\":{\"observedGeneration\":3,"
	     "\"phase\":\"Paused\"}}",
	     CLI_HEALTH_PAUSED, "a: Paused"},
	    {"{\"metadata\":{\"name\":\"a\",\"generation\":3},\"status\":{\"observedGeneration\":3,"
	     "\"phase\":\"Degraded\",\"message\":\"m\"}}",
	     CLI_HEALTH_DEGRADED, "a: Degraded: m"},
	    /* Stalled wins over the phase. */
	    {"{\"metadata\":{\"name\":\"a\",\"generation\":3},\"status\":{\"observedGeneration\":3,"
	     "\"phase\":\"Degraded\",\"conditions\":[{\"type\":\"Stalled\",\"status\":\"True\","
	     "\"reason\":\"ProgressDeadlineExceeded\",\"message\":\"no progress for 5s\"}]}}",
	     CLI_HEALTH_STALLED, "a: Stalled (ProgressDeadlineExceeded): no progress for 5s"},
	    {"{\"metadata\":{\"name\":\"a\",\"generation\":3},\"status\":{\"observedGeneration\":3,"
	     "\"phase\":\"Healthy\",\"conditions\":[{\"type\":\"Stalled\",\"status\":\"False\"}]}}",
	     CLI_HEALTH_HEALTHY, "a: Healthy"},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		json_t *rel = json_loads(rows[i].json, 0, NULL);
		char line[256];
		enum cli_health h = cli_release_health(rel, line, sizeof(line));
		is_int(h, rows[i].want, "health row %zu: %s", i, cli_health_name(rows[i].want));
		is_str(line, rows[i].line, "health row %zu: line", i);
		json_decref(rel);
	}
}

int main(void)
{
	time_t now;
	model_time_parse("2026-11-26T13:16:00Z", &now);
	json_t *rel = load("rolling-release.json");
	json_t *rs = load("rolling-replicasets.json");
	json_t *pods = load("rolling-pods.json");
	ok(rel && rs && pods, "recorded objects load");
	char *text = cli_view_release(rel, json_object_get(rs, "items"),
	                              json_object_get(pods, "items"), now);
	ok(text != NULL, "rendered");
	golden("rolling.txt", text ? text : "");
	ok(text && !strstr(text, "web-handmade"),
	   "a ReplicaSet the Release does not control is not shown");
	ok(text && strstr(text, "Unschedulable") && strstr(text, "ImagePullBackOff"),
	   "why a pod is not ready is shown");
	free(text);

	json_t *canary = load("canary-release.json");
	json_t *none = json_array();
	text = cli_view_release(canary, none, none, now);
	golden("canary.txt", text ? text : "");
	free(text);

	json_t *items = json_pack("[O, O]", rel, canary);
	text = capture_list(items, true, now);
	golden("list-all.txt", text);
	free(text);
	text = capture_history(rel, json_object_get(rs, "items"));
	golden("history-rolling.txt", text);
	free(text);
	text = capture_history(canary, NULL);
	golden("history-canary.txt", text);
	free(text);

	char age[32];
	static const struct {
		long d;
		const char *want;
	} ages[] = {{0, "0s"},
	            {119, "119s"},
	            {125, "2m5s"},
	            {900, "15m"},
	            {4 * 3600 + 120, "4h2m"},
	            {30 * 3600, "30h"},
	            {3 * 86400 + 7200, "3d2h"},
	            {20 * 86400, "20d"}};
	for (size_t i = 0; i < sizeof(ages) / sizeof(ages[0]); i++) {
		cli_format_age(now - ages[i].d, now, age, sizeof(age));
		is_str(age, ages[i].want, "age of %ld s", ages[i].d);
	}
	test_health();
	json_decref(items);
	json_decref(none);
	json_decref(canary);
	json_decref(rel);
	json_decref(rs);
	json_decref(pods);
	return tap_done();
}
