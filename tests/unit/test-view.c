/* view: what `get`, `list` and `history` print for recorded objects
 * (tests/unit/data/view/, taken from a live rolling update plus a few
 * hand-made pods and a ReplicaSet of another owner), compared with golden
 * files; and the health `status` decides on, from a table.
 * SLIPWAY_UPDATE_GOLDEN=1 rewrites the golden files (then read the diff). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli-capture.h"
#include "cli/analysis-view.h"
#include "cli/view.h"
#include "model/api.h"
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
	    /* What came from the cluster is escaped; the line stays one line. */
	    {"{\"metadata\":{\"name\":\"a\\u001b]0;t\\u0007\",\"generation\":1},\"status\":{"
	     "\"observedGeneration\":1,\"phase\":\"Healthy\",\"message\":\"ok\\r\\nb\\u001b[2J "
	     "\\u00e9\\u2713\"}}",
	     CLI_HEALTH_HEALTHY, "a\\x1b]0;t\\a: Healthy: ok\\r\\nb\\x1b[2J \xc3\xa9\xe2\x9c\x93"},
	    {"{\"metadata\":{\"name\":\"a\",\"generation\":1},\"status\":{\"observedGeneration\":1,"
	     "\"phase\":\"Degraded\",\"conditions\":[{\"type\":\"Stalled\",\"status\":\"True\","
	     "\"reason\":\"R\\u009b6n\",\"message\":\"m\\b\\u007f\"}]}}",
	     CLI_HEALTH_STALLED, "a: Stalled (R\\u009b6n): m\\b\\x7f"},
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

/* ---- hostile strings ------------------------------------------------- */

/* A Release, its ReplicaSet and a pod whose every string that the views
 * print carries something a terminal would act on: CSI (clear screen,
 * colour), OSC (window title), CR, BS, DEL, tab, the C1 CSI (U+009B) and
 * a bidi override; plus text that must stay as it is (an emoji, accents). */
static const char hostile_release[] =
    "{\"metadata\":{\"name\":\"web\\u001b[2J\",\"namespace\":\"ns\\r\",\"uid\":\"u1\","
    "\"generation\":2,\"creationTimestamp\":\"2026-11-26T13:00:00Z\"},"
    "\"spec\":{\"replicas\":1,\"strategy\":{\"rolling\":{}},"
    "\"template\":{\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"x\"}]}}},"
    "\"status\":{\"observedGeneration\":2,\"phase\":\"Healthy\\u001b]0;pwned\\u0007\","
    "\"message\":\"d\\u00e9ploy\\u00e9 \\ud83d\\ude80 ok\\b\\b\\bFAIL\\u007f\","
    "\"strategy\":\"rolling\\t\",\"currentRevision\":\"cur\\u009b31m\","
    "\"stableRevision\":\"st\\u202eab\",\"readyReplicas\":1,"
    "\"history\":[{\"revision\":\"cur\\u009b31m\",\"started\":\"s\\u001b[1A\","
    "\"outcome\":\"Succeeded\\r\",\"images\":[\"img\\u001b[5m\"]}]}}";
static const char hostile_replicasets[] =
    "[{\"metadata\":{\"name\":\"rs\\u001b[H\",\"uid\":\"r1\","
    "\"creationTimestamp\":\"2026-11-26T13:00:00Z\","
    "\"labels\":{\"slipway.dev/revision\":\"cur\\u009b31m\"},"
    "\"ownerReferences\":[{\"controller\":true,\"uid\":\"u1\",\"kind\":\"Release\","
    "\"name\":\"web\"}]},"
    "\"spec\":{\"replicas\":1,\"template\":{\"spec\":{\"containers\":[{\"name\":\"c\","
    "\"image\":\"nginx\\u001b[31m:1\"}]}}},\"status\":{\"readyReplicas\":1}}]";
static const char hostile_pods[] =
    "[{\"metadata\":{\"name\":\"pod\\u001b[K\",\"uid\":\"p1\","
    "\"creationTimestamp\":\"2026-11-26T13:00:00Z\","
    "\"ownerReferences\":[{\"controller\":true,\"uid\":\"r1\",\"kind\":\"ReplicaSet\","
    "\"name\":\"rs\"}]},"
    "\"status\":{\"phase\":\"Pending\",\"containerStatuses\":[{\"state\":{\"waiting\":"
    "{\"reason\":\"Crash\\u001b[?25l\"}}}]}}]";

/* Every escaped form in want[] is in text, and no raw control. */
static void check_escaped(const char *what, const char *text, const char *const *want)
{
	ok(text && terminal_safe(text), "%s: no raw control byte, valid UTF-8", what);
	for (size_t i = 0; text && want[i]; i++)
		ok(strstr(text, want[i]) != NULL, "%s: shows %s", what, want[i]);
}

static void test_hostile_get(time_t now)
{
	json_t *rel = json_loads(hostile_release, 0, NULL);
	json_t *rs = json_loads(hostile_replicasets, 0, NULL);
	json_t *pods = json_loads(hostile_pods, 0, NULL);
	ok(rel && rs && pods, "hostile objects load");
	/* Bytes that are not UTF-8 cannot come through jansson's parser, but a
	 * string can hold them: the view must not trust that it never does. */
	json_object_set_new(json_object_get(json_array_get(pods, 0), "status"), "phase",
	                    json_stringn_nocheck("P\xff\xc3(\xed\xa0\x80", 7));
	json_object_del(json_object_get(json_array_get(pods, 0), "status"), "containerStatuses");
	char *text = cli_view_release(rel, rs, pods, NULL, now);
	static const char *const want[] = {
	    "Name:       web\\x1b[2J\n",
	    "Namespace:  ns\\r\n",
	    "Phase:      Healthy\\x1b]0;pwned\\a: d\xc3\xa9ploy\xc3\xa9 \xf0\x9f\x9a\x80 "
	    "ok\\b\\b\\bFAIL\\x7f\n",
	    "Current:    cur\\u009b31m (nginx\\x1b[31m:1)\n",
	    "Stable:     st\\u202eab (-)\n",
	    "revision cur\\u009b31m (current)  nginx\\x1b[31m:1\n",
	    "ReplicaSet rs\\x1b[H  desired 1",
	    "Pod pod\\x1b[K  not ready  P\\xff\\xc3(\\xed\\xa0\\x80  ",
	    NULL,
	};
	check_escaped("get", text, want);
	free(text);

	char *hist = capture_history(rel, rs);
	static const char *const hwant[] = {"cur\\u009b31m", "s\\x1b[1A", "Succeeded\\r",
	                                    "img\\x1b[5m\n", NULL};
	check_escaped("history", hist, hwant);
	free(hist);
	json_decref(rel);
	json_decref(rs);
	json_decref(pods);
}

/* The display column at which needle starts in line (1 per code point:
 * the test strings have no wide characters), or -1. */
static long column_of(const char *line, const char *needle)
{
	const char *at = strstr(line, needle);
	if (!at)
		return -1;
	long cols = 0;
	for (const char *p = line; p < at; p++)
		if (((unsigned char)*p & 0xc0) != 0x80)
			cols++;
	return cols;
}

/* `list` with a name holding ESC and one holding an accent: each row is
 * escaped and the columns after the name still line up on screen. */
static void test_hostile_list(time_t now)
{
	json_t *items =
	    json_pack("[{s:{s:s, s:s}, s:{s:s, s:s}}, {s:{s:s, s:s}, s:{s:s, s:s}},"
	              " {s:{s:s, s:s}, s:{s:s, s:s}}]",
	              "metadata", "name", "plain", "namespace", "n1", "status", "phase", "Healthy",
	              "currentRevision", "r1", "metadata", "name", "a\x1b[2Jb", "namespace",
	              "n\x1b[0m", "status", "phase", "Healthy", "currentRevision", "r\r2",
	              "metadata", "name", "caf\xc3\xa9", "namespace", "n3", "status", "phase",
	              "Healthy", "currentRevision", "r3");
	char *text = capture_list(items, true, now);
	static const char *const want[] = {"a\\x1b[2Jb", "n\\x1b[0m", "r\\r2", "caf\xc3\xa9 ",
	                                   NULL};
	check_escaped("list", text, want);
	/* Each row on a line of its own, the PHASE and REVISION columns where the
	 * header has them. */
	char *save = NULL;
	long phase_col = -1, rev_col = -1;
	int rows = 0;
	for (char *line = text ? strtok_r(text, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (phase_col < 0) {
			phase_col = column_of(line, "PHASE");
			rev_col = column_of(line, "REVISION");
			continue;
		}
		rows++;
		is_int(column_of(line, "Healthy"), phase_col, "list row %d: PHASE column", rows);
		static const char *const revs[] = {" r1 ", " r\\r2 ", " r3 "};
		long at = rows <= 3 ? column_of(line, revs[rows - 1]) : -1;
		is_int(at < 0 ? -1 : at + 1, rev_col, "list row %d: REVISION column", rows);
	}
	is_int(rows, 3, "list: three rows");
	free(text);
	json_decref(items);
}

/* The canary part of `get` for examples/canary.yaml's Release at several
 * moments (status written as a controller would; now is 13:16:00). */
static void test_canary_moments(time_t now)
{
	static const char rs_fmt[] =
	    "[{\"metadata\":{\"name\":\"shop-c4n4ry\",\"uid\":\"r2\",\"labels\":{"
	    "\"" MODEL_LABEL_REVISION
	    "\":\"c4n4ry\"},\"ownerReferences\":[{\"controller\":true,\"uid\":"
	    "\"0b1e6e2c-5d3c-4a8e-9a55-7f1f8a3c0001\",\"kind\":\"Release\",\"name\":\"shop\"}]},"
	    "\"spec\":{\"replicas\":3},\"status\":{\"readyReplicas\":%d,\"availableReplicas\":%d}}"
	    "]";
	static const struct {
		const char *golden;
		const char *status; /* NULL: none */
		int available;      /* of the canary's 3 pods; -1: no ReplicaSet */
	} rows[] = {
	    {"canary-unreconciled.txt", NULL, -1},
	    /* At the manual pause, a promote asked for and not taken up yet. */
	    {"canary-manual-pause.txt",
	     "{\"observedGeneration\":2,\"phase\":\"Paused\",\"currentRevision\":\"c4n4ry\","
	     "\"stableRevision\":\"st4bl3\",\"currentStepIndex\":2,\"canary\":{\"stepLabel\":"
	     "\"3/9\",\"weights\":{\"canary\":{\"revision\":\"c4n4ry\",\"weight\":0},\"stable\":{"
	     "\"revision\":\"st4bl3\",\"weight\":100}}},\"pauseConditions\":[{\"reason\":"
	     "\"CanaryPauseStep\",\"startTime\":\"2026-11-26T13:10:00Z\"}],\"intent\":{\"action\":"
	     "\"Promote\",\"user\":\"alice\",\"requestedAt\":\"2026-11-26T13:15:50Z\",\"revision\":"
	     "\"c4n4ry\",\"stepIndex\":2}}",
	     3},
	    {"canary-timed-pause.txt",
	     "{\"observedGeneration\":2,\"phase\":\"Paused\",\"currentRevision\":\"c4n4ry\","
	     "\"stableRevision\":\"st4bl3\",\"currentStepIndex\":5,\"canary\":{\"weights\":{"
	     "\"canary\":{\"revision\":\"c4n4ry\",\"weight\":10},\"stable\":{\"revision\":"
	     "\"st4bl3\",\"weight\":90}}},\"pauseConditions\":[{\"reason\":\"CanaryPauseStep\","
	     "\"startTime\":\"2026-11-26T13:15:40Z\"}]}",
	     3},
	    {"canary-scaling.txt",
	     "{\"observedGeneration\":2,\"phase\":\"Progressing\",\"currentRevision\":\"c4n4ry\","
	     "\"stableRevision\":\"st4bl3\",\"currentStepIndex\":3,\"canary\":{\"weights\":{"
	     "\"canary\":{\"revision\":\"c4n4ry\",\"weight\":0},\"stable\":{\"revision\":"
	     "\"st4bl3\",\"weight\":100}}}}",
	     1},
	    {"canary-shifting.txt",
	     "{\"observedGeneration\":2,\"phase\":\"Progressing\",\"currentRevision\":\"c4n4ry\","
	     "\"stableRevision\":\"st4bl3\",\"currentStepIndex\":4,\"canary\":{\"weights\":{"
	     "\"canary\":{\"revision\":\"c4n4ry\",\"weight\":0},\"stable\":{\"revision\":"
	     "\"st4bl3\",\"weight\":100}}}}",
	     3},
	    /* Aborted; a retry pending from a user whose name a terminal would act on. */
	    {"canary-aborted.txt",
	     "{\"observedGeneration\":2,\"phase\":\"Degraded\",\"currentRevision\":\"c4n4ry\","
	     "\"stableRevision\":\"st4bl3\",\"currentStepIndex\":4,\"abort\":true,\"abortedAt\":"
	     "\"2026-11-26T13:11:00Z\",\"canary\":{\"weights\":{\"canary\":{\"revision\":"
	     "\"c4n4ry\",\"weight\":0},\"stable\":{\"revision\":\"st4bl3\",\"weight\":100}}},"
	     "\"intent\":{\"action\":\"Retry\",\"user\":\"eve\\u001b]0;x\\u0007\\u009b\","
	     "\"requestedAt\":\"2026-11-26T13:15:00Z\",\"revision\":\"c4n4ry\"}}",
	     3},
	};
	json_t *base = load("canary-shop-release.json");
	json_t *none = json_array();
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		json_t *rel = json_deep_copy(base);
		if (rows[i].status)
			json_object_set_new(rel, "status", json_loads(rows[i].status, 0, NULL));
		char rs_text[1024];
		snprintf(rs_text, sizeof(rs_text), rs_fmt, rows[i].available, rows[i].available);
		json_t *rs = rows[i].available >= 0 ? json_loads(rs_text, 0, NULL) : json_array();
		char *text = cli_view_release(rel, rs, none, NULL, now);
		golden(rows[i].golden, text ? text : "");
		ok(text && !strchr(text, '\x1b'), "%s: no raw ESC", rows[i].golden);
		free(text);
		json_decref(rs);
		json_decref(rel);
	}
	json_decref(none);
	json_decref(base);
}

/* The blue-green part of `get` at several moments (status written as the
 * controller would; now is 13:16:00): the preview scaling up, paused for a
 * promote, the switch waiting for pods, the post-promotion stop, the old
 * revision in its scale-down delay, an abort. */
static void test_blue_green_moments(time_t now)
{
	static const char rs_fmt[] =
	    "[{\"metadata\":{\"name\":\"shop-bl4e\",\"uid\":\"r1\",\"labels\":{"
	    "\"" MODEL_LABEL_REVISION "\":\"bl4e\"},%s\"ownerReferences\":[{\"controller\":true,"
	    "\"uid\":\"0b1e6e2c-5d3c-4a8e-9a55-7f1f8a3c0002\",\"kind\":\"Release\",\"name\":"
	    "\"shop\"}]},\"spec\":{\"replicas\":3},\"status\":{\"readyReplicas\":3,"
	    "\"availableReplicas\":3}},{\"metadata\":{\"name\":\"shop-gr33n\",\"uid\":\"r2\","
	    "\"labels\":{\"" MODEL_LABEL_REVISION "\":\"gr33n\"},\"ownerReferences\":[{"
	    "\"controller\":true,\"uid\":\"0b1e6e2c-5d3c-4a8e-9a55-7f1f8a3c0002\",\"kind\":"
	    "\"Release\",\"name\":\"shop\"}]},\"spec\":{\"replicas\":%d},\"status\":{"
	    "\"readyReplicas\":%d,\"availableReplicas\":%d}}]";
	static const char deadline[] = "\"annotations\":{\"" MODEL_ANNOTATION_SCALE_DOWN_DEADLINE
	                               "\":\"2026-11-26T13:16:20Z\"},";
	static const struct {
		const char *golden;
		const char *status;
		bool deadline;    /* the old revision counts its scale-down delay down */
		int green, ready; /* the new revision's pods: desired, available */
	} rows[] = {
	    {"bluegreen-preview.txt",
	     "{\"observedGeneration\":2,\"phase\":\"Progressing\",\"currentRevision\":"
	     "\"gr33n\",\"stableRevision\":\"bl4e\",\"activeRevision\":\"bl4e\","
	     "\"previewRevision\":\"gr33n\",\"currentStepIndex\":0}",
	     false, 1, 0},
	    {"bluegreen-paused.txt",
	     "{\"observedGeneration\":2,\"phase\":\"Paused\",\"currentRevision\":\"gr33n\","
	     "\"stableRevision\":\"bl4e\",\"activeRevision\":\"bl4e\",\"previewRevision\":"
	     "\"gr33n\",\"currentStepIndex\":2,\"pauseConditions\":[{\"reason\":"
	     "\"BlueGreenPause\",\"startTime\":\"2026-11-26T13:10:00Z\"}]}",
	     false, 1, 1},
	    {"bluegreen-switching.txt",
	     "{\"observedGeneration\":2,\"phase\":\"Progressing\",\"currentRevision\":"
	     "\"gr33n\",\"stableRevision\":\"bl4e\",\"activeRevision\":\"bl4e\","
	     "\"previewRevision\":\"gr33n\",\"currentStepIndex\":3}",
	     false, 3, 2},
	    {"bluegreen-post.txt",
	     "{\"observedGeneration\":2,\"phase\":\"Paused\",\"currentRevision\":\"gr33n\","
	     "\"stableRevision\":\"bl4e\",\"activeRevision\":\"gr33n\",\"previewRevision\":"
	     "\"gr33n\",\"currentStepIndex\":4}",
	     false, 3, 3},
	    {"bluegreen-done.txt",
	     "{\"observedGeneration\":2,\"phase\":\"Healthy\",\"currentRevision\":\"gr33n\","
	     "\"stableRevision\":\"gr33n\",\"activeRevision\":\"gr33n\",\"previewRevision\":"
	     "\"gr33n\",\"currentStepIndex\":5}",
	     true, 3, 3},
	    {"bluegreen-aborted.txt",
	     "{\"observedGeneration\":2,\"phase\":\"Degraded\",\"currentRevision\":\"gr33n\","
	     "\"stableRevision\":\"bl4e\",\"activeRevision\":\"bl4e\",\"previewRevision\":"
	     "\"bl4e\",\"currentStepIndex\":2,\"abort\":true,\"abortedAt\":"
	     "\"2026-11-26T13:15:00Z\"}",
	     false, 0, 0},
	};
	json_t *base = load("bluegreen-release.json");
	json_t *none = json_array();
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		json_t *rel = json_deep_copy(base);
		json_object_set_new(rel, "status", json_loads(rows[i].status, 0, NULL));
		char rs_text[2048];
		snprintf(rs_text, sizeof(rs_text), rs_fmt, rows[i].deadline ? deadline : "",
		         rows[i].green, rows[i].ready, rows[i].ready);
		json_t *rs = json_loads(rs_text, 0, NULL);
		char *text = cli_view_release(rel, rs, none, NULL, now);
		golden(rows[i].golden, text ? text : "");
		free(text);
		json_decref(rs);
		json_decref(rel);
	}
	json_decref(none);
	json_decref(base);
}

/* The AnalysisRuns part of `get` for the canary at its shifting step (now
 * is 13:16:00): a run measuring (two metrics, one dry run), a failed one,
 * an older revision's inconclusive one, and a run of no Release's, which
 * is not shown; a refused list is one line; hostile values are escaped. */
static void test_analysis_runs(time_t now)
{
	static const char status[] =
	    "{\"observedGeneration\":2,\"phase\":\"Progressing\",\"currentRevision\":\"c4n4ry\","
	    "\"stableRevision\":\"st4bl3\",\"currentStepIndex\":4}";
	json_t *rel = load("canary-shop-release.json");
	json_t *items = load("analysis-runs.json");
	json_t *none = json_array();
	json_object_set_new(rel, "status", json_loads(status, 0, NULL));
	struct cli_view_runs runs = {.items = items};
	char *text = cli_view_release(rel, none, none, &runs, now);
	golden("canary-analysis.txt", text ? text : "");
	ok(text && !strstr(text, "other-owner"), "a run the Release does not control is not shown");
	free(text);

	struct cli_view_runs refused = {.refused = 403};
	text = cli_view_release(rel, none, none, &refused, now);
	ok(text && strstr(text, "\nAnalysis runs: cannot be read (forbidden to list "
	                        "analysisruns.slipway.dev)\n"),
	   "a refused list: one line");
	free(text);

	json_t *empty = json_array();
	struct cli_view_runs no_runs = {.items = empty};
	text = cli_view_release(rel, none, none, &no_runs, now);
	ok(text && !strstr(text, "Analysis"), "no runs: nothing about them");
	free(text);

	json_t *run = json_array_get(items, 1);
	json_t *st = json_object_get(run, "status");
	json_t *m0 =
	    json_array_get(json_object_get(json_array_get(json_object_get(st, "metricResults"), 0),
	                                   "measurements"),
	                   0);
	json_object_set_new(st, "message",
	                    json_string("bad\x1b[2J\r\xc2\x9b"
	                                "6n"));
	json_object_set_new(m0, "value", json_string("0.31\x1b]0;pwned\x07"));
	json_object_set_new(m0, "message", json_string("x\b\x7f\xe2\x80\xae"));
	json_object_set_new(json_object_get(json_object_get(run, "metadata"), "labels"),
	                    MODEL_LABEL_ANALYSIS, json_string("bg\x1b[H"));
	text = cli_view_release(rel, none, none, &runs, now);
	static const char *const want[] = {
	    "shop-c4n4ry-background (bg\\x1b[H): Failed: bad\\x1b[2J\\r\\u009b6n, started",
	    "last: 0.31\\x1b]0;pwned\\a Failed 3m0s ago (x\\b\\x7f\\u202e)\n", NULL};
	check_escaped("analysis", text, want);
	free(text);
	json_decref(empty);
	json_decref(none);
	json_decref(items);
	json_decref(rel);
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
	                              json_object_get(pods, "items"), NULL, now);
	ok(text != NULL, "rendered");
	golden("rolling.txt", text ? text : "");
	ok(text && !strstr(text, "web-handmade"),
	   "a ReplicaSet the Release does not control is not shown");
	ok(text && strstr(text, "Unschedulable") && strstr(text, "ImagePullBackOff"),
	   "why a pod is not ready is shown");
	free(text);

	test_blue_green_moments(now);
	json_t *canary = load("canary-release.json");
	json_t *none = json_array();
	text = cli_view_release(canary, none, none, NULL, now);
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
	test_hostile_get(now);
	test_hostile_list(now);
	test_canary_moments(now);
	test_analysis_runs(now);
	json_decref(items);
	json_decref(none);
	json_decref(canary);
	json_decref(rel);
	json_decref(rs);
	json_decref(pods);
	return tap_done();
}
