/* The analysis part of `get` (cli/analysis-view.h): a Release's runs with
 * their last measurements, read from the runs' status as the controller
 * wrote it. */
#include "cli/analysis-view.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cli/escape.h"
#include "cli/view.h"
#include "model/api.h"
#include "model/revision.h"
#include "model/timefmt.h"

/* Of a measured value and of a message: longer ones are cut ("..."). */
#define VALUE_SHOWN   80
#define MESSAGE_SHOWN 300

struct run_entry {
	const json_t *run;
	int rank; /* 0: the current revision's, 1: others */
	time_t created;
	const char *name;
};

static const char *str_of(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static time_t time_of(const json_t *o, const char *key)
{
	time_t t = 0;
	const char *s = str_of(o, key);
	if (s && model_time_parse(s, &t) < 0)
		t = 0;
	return t;
}

static int int_of(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);
	return json_is_integer(v) ? (int)json_integer_value(v) : 0;
}

static int run_cmp(const void *pa, const void *pb)
{
	const struct run_entry *a = pa, *b = pb;
	if (a->rank != b->rank)
		return a->rank - b->rank;
	if (a->created != b->created)
		return a->created > b->created ? -1 : 1;
	/* Same second: "x.1" (a later attempt) before "x". */
	return -strcmp(a->name ? a->name : "", b->name ? b->name : "");
}

/* The runs of items that release controls into ents (room for all),
 * sorted. Returns how many. */
static size_t collect_runs(const json_t *release, const json_t *items, struct run_entry *ents)
{
	const json_t *meta = json_object_get(release, "metadata");
	const char *uid = str_of(meta, "uid");
	const char *cur = str_of(json_object_get(release, "status"), "currentRevision");
	size_t i, n = 0;
	json_t *run;
	json_array_foreach(items, i, run)
	{
		if (!model_controlled_by(run, uid))
			continue;
		const char *rev = model_revision_of(run);
		const json_t *rmeta = json_object_get(run, "metadata");
		ents[n++] = (struct run_entry){
		    .run = run,
		    .rank = rev && cur && strcmp(rev, cur) == 0 ? 0 : 1,
		    .created = time_of(rmeta, "creationTimestamp"),
		    .name = str_of(rmeta, "name"),
		};
	}
	qsort(ents, n, sizeof(*ents), run_cmp);
	return n;
}

/* "step 3" for a step's index ("2"), else the label as written. */
static void purpose_text(const json_t *run, char *buf, size_t cap)
{
	const json_t *labels = json_object_get(json_object_get(run, "metadata"), "labels");
	const char *p = str_of(labels, MODEL_LABEL_ANALYSIS);
	size_t digits = p ? strspn(p, "0123456789") : 0;
	if (p && digits > 0 && digits < 6 && p[digits] == '\0')
		cli_snprintf(buf, cap, "step %ld", strtol(p, NULL, 10) + 1);
	else
		cli_snprintf(buf, cap, "%s", p && *p ? p : "-");
}

/* Whether metric `name` is dry-run: its result says so, or spec.dryRun
 * names it (or "*"). */
static bool dry_run(const json_t *spec, const json_t *result, const char *name)
{
	if (json_is_true(json_object_get(result, "dryRun")))
		return true;
	size_t i;
	json_t *d;
	json_array_foreach(json_object_get(spec, "dryRun"), i, d)
	{
		const char *m = str_of(d, "metricName");
		if (m && (strcmp(m, "*") == 0 || strcmp(m, name) == 0))
			return true;
	}
	return false;
}

/* The result of metric `name` in status.metricResults, or NULL. */
static const json_t *result_of(const json_t *status, const char *name)
{
	size_t i;
	json_t *r;
	json_array_foreach(json_object_get(status, "metricResults"), i, r)
	{
		const char *n = str_of(r, "name");
		if (n && strcmp(n, name) == 0)
			return r;
	}
	return NULL;
}

static bool in_flight(const json_t *m)
{
	const char *p = str_of(m, "phase");
	return !p || strcmp(p, "Running") == 0 || strcmp(p, "Pending") == 0;
}

/* "s" cut to max bytes with "..." into buf. */
static void cut(const char *s, int max, char *buf, size_t cap)
{
	int len = (int)strlen(s);
	cli_snprintf(buf, cap, "%.*s%s", len > max ? max : len, s, len > max ? "..." : "");
}

/* "last: 0.012 Successful 20s ago (no data); measuring now": the newest
 * finished measurement and whether another one is in flight. */
static void print_last(FILE *f, const json_t *result, time_t now)
{
	const json_t *ms = json_object_get(result, "measurements");
	size_t n = json_array_size(ms), k = n;
	while (k > 0 && in_flight(json_array_get(ms, k - 1)))
		k--;
	const char *busy = k < n ? "; measuring now" : "";
	if (k == 0) {
		cli_fprintf(f, "      %s\n",
		            n ? "measuring now (no result yet)" : "no measurement yet");
		return;
	}
	const json_t *m = json_array_get(ms, k - 1);
	const char *value = str_of(m, "value");
	const char *msg = str_of(m, "message");
	char v[VALUE_SHOWN + 8], why[MESSAGE_SHOWN + 8] = "", age[32];
	cut(value ? value : "-", VALUE_SHOWN, v, sizeof(v));
	if (msg && *msg)
		cut(msg, MESSAGE_SHOWN, why, sizeof(why));
	time_t at = time_of(m, "finishedAt");
	cli_format_age(at ? at : time_of(m, "startedAt"), now, age, sizeof(age));
	cli_fprintf(f, "      last: %s %s %s ago%s%s%s%s\n", v, str_of(m, "phase"), age,
	            *why ? " (" : "", why, *why ? ")" : "", busy);
}

static void print_metric(FILE *f, const json_t *spec, const json_t *status, const char *name,
                         time_t now)
{
	const json_t *r = result_of(status, name);
	const char *phase = str_of(r, "phase");
	cli_fprintf(f, "    %s%s: %s", name, dry_run(spec, r, name) ? " (dry run)" : "",
	            phase ? phase : "Pending");
	if (!r) {
		cli_fprintf(f, "\n      no measurement yet\n");
		return;
	}
	cli_fprintf(f, "; %d successful, %d failed, %d inconclusive, %d error\n",
	            int_of(r, "successful"), int_of(r, "failed"), int_of(r, "inconclusive"),
	            int_of(r, "error"));
	print_last(f, r, now);
}

static void print_run(FILE *f, const struct run_entry *e, time_t now)
{
	const json_t *spec = json_object_get(e->run, "spec");
	const json_t *st = json_object_get(e->run, "status");
	const char *phase = str_of(st, "phase");
	const char *msg = str_of(st, "message");
	char purpose[64], age[32], why[MESSAGE_SHOWN + 8] = "";
	purpose_text(e->run, purpose, sizeof(purpose));
	cli_format_age(time_of(st, "startedAt"), now, age, sizeof(age));
	if (msg && *msg)
		cut(msg, MESSAGE_SHOWN, why, sizeof(why));
	cli_fprintf(f, "  %s (%s): %s%s%s", e->name ? e->name : "-", purpose,
	            phase ? phase : "Pending", *why ? ": " : "", why);
	if (strcmp(age, "-") != 0)
		cli_fprintf(f, ", started %s ago", age);
	cli_fprintf(f, "\n");
	size_t i;
	json_t *m;
	json_array_foreach(json_object_get(spec, "metrics"), i, m)
	{
		const char *name = str_of(m, "name");
		if (name)
			print_metric(f, spec, st, name, now);
	}
}

void cli_view_analysis(FILE *f, const json_t *release, const struct cli_view_runs *runs, time_t now)
{
	if (!runs)
		return;
	if (runs->refused) {
		cli_fprintf(f, "Analysis runs: cannot be read (%s)\n\n",
		            runs->refused == 403   ? "forbidden to list analysisruns." MODEL_GROUP
		            : runs->refused == 404 ? "the AnalysisRun CRD is not installed"
		                                   : "unauthorized");
		return;
	}
	size_t total = json_array_size(runs->items);
	struct run_entry *ents = calloc(total ? total : 1, sizeof(*ents));
	if (!ents)
		return;
	size_t n = collect_runs(release, runs->items, ents);
	if (n > 0)
		cli_fprintf(f, "Analysis runs:\n");
	for (size_t i = 0; i < n && i < CLI_VIEW_RUNS_SHOWN; i++)
		print_run(f, &ents[i], now);
	if (n > CLI_VIEW_RUNS_SHOWN)
		cli_fprintf(f, "  and %zu older (kubectl get analysisruns -l %s=%s)\n",
		            n - CLI_VIEW_RUNS_SHOWN, MODEL_LABEL_RELEASE,
		            str_of(json_object_get(release, "metadata"), "name"));
	if (n > 0)
		cli_fprintf(f, "\n");
	free(ents);
}

/* Caller frees the result. */
char *cli_analysis_selector(const char *name)
{
	size_t len = strlen(MODEL_LABEL_RELEASE) + 1 + strlen(name) + 1;
	char *sel = malloc(len);
	if (sel)
		snprintf(sel, len, "%s=%s", MODEL_LABEL_RELEASE, name);
	return sel;
}
