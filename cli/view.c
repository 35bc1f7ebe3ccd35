#include "cli/view.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli/analysis-view.h"
#include "cli/escape.h"
#include "model/api.h"
#include "model/condition.h"
#include "model/intorstr.h"
#include "model/release.h"
#include "model/revision.h"
#include "model/timefmt.h"

/* The string at a dotted path of plain keys, or NULL. */
static const char *str_at(const json_t *obj, const char *a, const char *b, const char *c)
{
	const json_t *v = json_object_get(obj, a);
	if (b)
		v = json_object_get(v, b);
	if (b && c)
		v = json_object_get(v, c);
	return json_string_value(v);
}

static json_int_t int_at(const json_t *obj, const char *a, const char *b, json_int_t dflt)
{
	const json_t *v = json_object_get(obj, a);
	if (b)
		v = json_object_get(v, b);
	return json_is_integer(v) ? json_integer_value(v) : dflt;
}

static const char *or_dash(const char *s)
{
	return s && *s ? s : "-";
}

void cli_format_age(time_t since, time_t now, char *buf, size_t cap)
{
	if (since <= 0) {
		snprintf(buf, cap, "-");
		return;
	}
	long long d = now > since ? (long long)(now - since) : 0;
	if (d < 120)
		snprintf(buf, cap, "%llds", d);
	else if (d < 600)
		snprintf(buf, cap, "%lldm%llds", d / 60, d % 60);
	else if (d < 3 * 3600)
		snprintf(buf, cap, "%lldm", d / 60);
	else if (d < 8 * 3600)
		snprintf(buf, cap, "%lldh%lldm", d / 3600, d % 3600 / 60);
	else if (d < 48 * 3600)
		snprintf(buf, cap, "%lldh", d / 3600);
	else if (d < 8 * 86400)
		snprintf(buf, cap, "%lldd%lldh", d / 86400, d % 86400 / 3600);
	else
		snprintf(buf, cap, "%lldd", d / 86400);
}

static time_t created_at(const json_t *obj)
{
	time_t t = 0;
	const char *s = str_at(obj, "metadata", "creationTimestamp", NULL);
	if (s && model_time_parse(s, &t) < 0)
		t = 0;
	return t;
}

static void age_of(const json_t *obj, time_t now, char *buf, size_t cap)
{
	cli_format_age(created_at(obj), now, buf, cap);
}

/* Images of a pod template joined with ", " into buf. */
static void images_of(const json_t *tmpl, char *buf, size_t cap)
{
	size_t off = 0;
	size_t i;
	json_t *ct;
	buf[0] = '\0';
	json_array_foreach(json_object_get(json_object_get(tmpl, "spec"), "containers"), i, ct)
	{
		const char *img = json_string_value(json_object_get(ct, "image"));
		if (!img || off >= cap)
			continue;
		int n = snprintf(buf + off, cap - off, "%s%s", off ? ", " : "", img);
		if (n < 0)
			break;
		off += (size_t)n;
	}
	if (!buf[0])
		snprintf(buf, cap, "-");
}

/* Images written in status.history for a revision, joined into buf. */
static bool history_images(const json_t *release, const char *rev, char *buf, size_t cap)
{
	size_t i;
	json_t *h;
	json_array_foreach(json_object_get(json_object_get(release, "status"), "history"), i, h)
	{
		if (!rev || !json_is_string(json_object_get(h, "revision")) ||
		    strcmp(json_string_value(json_object_get(h, "revision")), rev) != 0)
			continue;
		size_t off = 0, j;
		json_t *img;
		buf[0] = '\0';
		json_array_foreach(json_object_get(h, "images"), j, img)
		{
			if (!json_is_string(img) || off >= cap)
				continue;
			int n = snprintf(buf + off, cap - off, "%s%s", off ? ", " : "",
			                 json_string_value(img));
			if (n < 0)
				break;
			off += (size_t)n;
		}
		return buf[0] != '\0';
	}
	return false;
}

struct rs_entry {
	const json_t *rs;
	const char *revision;
	int rank; /* 0 current, 1 stable, 2 others */
	long long generation;
	time_t created;
	const char *name;
};

static int rs_cmp(const void *pa, const void *pb)
{
	const struct rs_entry *a = pa, *b = pb;
	if (a->rank != b->rank)
		return a->rank - b->rank;
	if (a->generation != b->generation)
		return a->generation > b->generation ? -1 : 1;
	if (a->created != b->created)
		return a->created > b->created ? -1 : 1;
	return strcmp(or_dash(a->name), or_dash(b->name));
}

static int name_cmp(const void *pa, const void *pb)
{
	const json_t *const *a = pa, *const *b = pb;
	return strcmp(or_dash(str_at(*a, "metadata", "name", NULL)),
	              or_dash(str_at(*b, "metadata", "name", NULL)));
}

/* "ready", "not ready", or "terminating", and a reason worth showing
 * (a waiting container's, or the pod's phase). */
static void pod_state(const json_t *pod, const char **ready, char *why, size_t cap)
{
	const json_t *st = json_object_get(pod, "status");
	*ready = model_condition_has_status(json_object_get(st, "conditions"), "Ready",
	                                    MODEL_CONDITION_TRUE)
	             ? "ready"
	             : "not ready";
	if (str_at(pod, "metadata", "deletionTimestamp", NULL))
		*ready = "terminating";
	snprintf(why, cap, "%s", or_dash(json_string_value(json_object_get(st, "phase"))));
	size_t i;
	json_t *cs;
	json_array_foreach(json_object_get(st, "containerStatuses"), i, cs)
	{
		const char *r = str_at(cs, "state", "waiting", "reason");
		if (r) {
			snprintf(why, cap, "%s", r);
			return;
		}
	}
	/* Pending and unscheduled: say so, that is usually the answer. */
	size_t j;
	json_t *c;
	json_array_foreach(json_object_get(st, "conditions"), j, c)
	{
		const char *type = json_string_value(json_object_get(c, "type"));
		const char *status = json_string_value(json_object_get(c, "status"));
		const char *reason = json_string_value(json_object_get(c, "reason"));
		if (type && status && reason && strcmp(type, "PodScheduled") == 0 &&
		    strcmp(status, "False") == 0)
			snprintf(why, cap, "%s", reason);
	}
}

static void print_strategy(FILE *f, const json_t *release)
{
	struct rel_release *rel = NULL;
	const json_t *st = json_object_get(release, "status");
	if (rel_release_parse(release, &rel, NULL) < 0) {
		cli_fprintf(f, "Strategy:   %s (spec invalid)\n",
		            or_dash(json_string_value(json_object_get(st, "strategy"))));
		cli_fprintf(f, "Step:       -\n");
		return;
	}
	char a[MODEL_INTORSTR_LEN], b[MODEL_INTORSTR_LEN];
	switch (rel->strategy) {
	case REL_STRATEGY_ROLLING:
		model_intorstr_format(&rel->rolling.max_surge, a);
		model_intorstr_format(&rel->rolling.max_unavailable, b);
		cli_fprintf(f, "Strategy:   rolling (maxSurge %s, maxUnavailable %s)\n", a, b);
		cli_fprintf(f, "Step:       -\n");
		break;
	case REL_STRATEGY_CANARY: {
		cli_fprintf(f, "Strategy:   canary (%zu steps)\n", rel->canary.n_steps);
		json_t *idx = json_object_get(st, "currentStepIndex");
		if (json_is_integer(idx) && json_integer_value(idx) >= 0 &&
		    (size_t)json_integer_value(idx) < rel->canary.n_steps) {
			size_t k = (size_t)json_integer_value(idx);
			cli_fprintf(f, "Step:       %zu/%zu (%s)\n", k + 1, rel->canary.n_steps,
			            rel_step_name(rel->canary.steps[k].kind));
		} else if (json_is_integer(idx)) {
			cli_fprintf(f, "Step:       %" JSON_INTEGER_FORMAT "/%zu\n",
			            json_integer_value(idx), rel->canary.n_steps);
		} else {
			cli_fprintf(f, "Step:       -\n");
		}
		break;
	}
	case REL_STRATEGY_BLUE_GREEN: {
		cli_fprintf(f, "Strategy:   blueGreen (active %s, preview %s)\n",
		            or_dash(rel->blue_green.active_service),
		            or_dash(rel->blue_green.preview_service));
		json_t *idx = json_object_get(st, "currentStepIndex");
		if (json_is_integer(idx) && json_integer_value(idx) >= 0 &&
		    json_integer_value(idx) <= REL_BG_STAGE_DONE)
			cli_fprintf(f, "Step:       %d/%d (%s)\n", (int)json_integer_value(idx) + 1,
			            REL_BG_STAGE_DONE + 1,
			            rel_bg_stage_name((int32_t)json_integer_value(idx)));
		else
			cli_fprintf(f, "Step:       -\n");
		break;
	}
	}
	rel_release_free(rel);
}

/* "abc (nginx:1.28)" for a revision, images from its RS or status.history. */
static void print_revision_line(FILE *f, const char *label, const json_t *release, const char *rev,
                                const struct rs_entry *ents, size_t n)
{
	char images[512] = "-";
	bool found = false;
	for (size_t i = 0; rev && i < n; i++) {
		if (ents[i].revision && strcmp(ents[i].revision, rev) == 0) {
			images_of(json_object_get(json_object_get(ents[i].rs, "spec"), "template"),
			          images, sizeof(images));
			found = true;
			break;
		}
	}
	if (!found && !history_images(release, rev, images, sizeof(images)))
		snprintf(images, sizeof(images), "-");
	if (rev)
		cli_fprintf(f, "%s%s (%s)\n", label, rev, images);
	else
		cli_fprintf(f, "%s-\n", label);
}

/* The ReplicaSets of replicasets that release controls, into ents (room for
 * all), current first, then stable, then newest. Returns how many. */
static size_t collect_replicasets(const json_t *release, const json_t *replicasets,
                                  struct rs_entry *ents)
{
	const json_t *st = json_object_get(release, "status");
	const char *uid = str_at(release, "metadata", "uid", NULL);
	const char *cur = json_string_value(json_object_get(st, "currentRevision"));
	const char *stable = json_string_value(json_object_get(st, "stableRevision"));
	size_t i, n = 0;
	json_t *rs;
	json_array_foreach(replicasets, i, rs)
	{
		if (!model_controlled_by(rs, uid))
			continue;
		struct rs_entry *e = &ents[n++];
		e->rs = rs;
		e->revision = model_revision_of(rs);
		e->rank = e->revision && cur && strcmp(e->revision, cur) == 0         ? 0
		          : e->revision && stable && strcmp(e->revision, stable) == 0 ? 1
		                                                                      : 2;
		const char *g = json_string_value(
		    json_object_get(json_object_get(json_object_get(rs, "metadata"), "annotations"),
		                    MODEL_ANNOTATION_GENERATION));
		e->generation = g ? strtoll(g, NULL, 10) : 0;
		e->created = created_at(rs);
		e->name = str_at(rs, "metadata", "name", NULL);
	}
	qsort(ents, n, sizeof(*ents), rs_cmp);
	return n;
}

/* Name, phase, strategy, revisions and replica counts. */
static void print_summary(FILE *f, const json_t *release, const struct rs_entry *ents, size_t n)
{
	const json_t *st = json_object_get(release, "status");
	const char *phase = json_string_value(json_object_get(st, "phase"));
	const char *msg = json_string_value(json_object_get(st, "message"));
	cli_fprintf(f, "Name:       %s\n", or_dash(str_at(release, "metadata", "name", NULL)));
	cli_fprintf(f, "Namespace:  %s\n", or_dash(str_at(release, "metadata", "namespace", NULL)));
	cli_fprintf(f, "Phase:      %s%s%s\n", phase ? phase : "(not reconciled yet)",
	            msg ? ": " : "", msg ? msg : "");
	json_int_t gen = int_at(release, "metadata", "generation", 0);
	json_int_t og = int_at(st, "observedGeneration", NULL, 0);
	if (og < gen)
		cli_fprintf(
		    f,
		    "            generation %" JSON_INTEGER_FORMAT
		    " not observed by the controller yet (status is of %" JSON_INTEGER_FORMAT ")\n",
		    gen, og);
	if (json_is_true(json_object_get(json_object_get(release, "spec"), "paused")))
		cli_fprintf(f, "Paused:     yes (spec.paused)\n");
	print_strategy(f, release);
	print_revision_line(f, "Current:    ", release,
	                    json_string_value(json_object_get(st, "currentRevision")), ents, n);
	print_revision_line(f, "Stable:     ", release,
	                    json_string_value(json_object_get(st, "stableRevision")), ents, n);
	cli_fprintf(f,
	            "Replicas:   desired %" JSON_INTEGER_FORMAT ", current %" JSON_INTEGER_FORMAT
	            ", updated %" JSON_INTEGER_FORMAT ", ready %" JSON_INTEGER_FORMAT
	            ", available %" JSON_INTEGER_FORMAT "\n",
	            int_at(release, "spec", "replicas", 1), int_at(st, "replicas", NULL, 0),
	            int_at(st, "updatedReplicas", NULL, 0), int_at(st, "readyReplicas", NULL, 0),
	            int_at(st, "availableReplicas", NULL, 0));
	cli_fprintf(f, "\n");
}

/* One revision of the tree: its ReplicaSet and the pods it controls. mine
 * has room for every pod (scratch). */
/* " (current, stable, active)": the roles of e's revision; blue-green's
 * Services (status.activeRevision, previewRevision) when the status has them. */
static void revision_mark(const struct rs_entry *e, bool same, const json_t *st, char *buf,
                          size_t cap)
{
	const char *roles[4];
	size_t n = 0, used = 0;
	const char *active = json_string_value(json_object_get(st, "activeRevision"));
	const char *preview = json_string_value(json_object_get(st, "previewRevision"));
	if (e->rank == 0)
		roles[n++] = "current";
	if (e->rank == 1 || (e->rank == 0 && same))
		roles[n++] = "stable";
	if (e->revision && active && strcmp(e->revision, active) == 0)
		roles[n++] = "active";
	if (e->revision && preview && strcmp(e->revision, preview) == 0)
		roles[n++] = "preview";
	buf[0] = '\0';
	for (size_t i = 0; i < n && used < cap; i++) {
		int w = snprintf(buf + used, cap - used, "%s%s%s", i ? ", " : " (", roles[i],
		                 i + 1 == n ? ")" : "");
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

static void print_revision_node(FILE *f, const struct rs_entry *e, bool last_rev, bool same,
                                const json_t *st, const json_t *pods, const json_t **mine,
                                time_t now)
{
	char mark[64];
	revision_mark(e, same, st, mark, sizeof(mark));
	char images[512], age[32];
	const json_t *spec = json_object_get(e->rs, "spec");
	const json_t *rst = json_object_get(e->rs, "status");
	images_of(json_object_get(spec, "template"), images, sizeof(images));
	age_of(e->rs, now, age, sizeof(age));
	cli_fprintf(f, "%s revision %s%s  %s\n", last_rev ? "└──" : "├──", or_dash(e->revision),
	            mark, images);
	const char *in = last_rev ? "    " : "│   ";
	cli_fprintf(f,
	            "%s└── ReplicaSet %s  desired %" JSON_INTEGER_FORMAT
	            ", ready %" JSON_INTEGER_FORMAT ", available %" JSON_INTEGER_FORMAT "  %s\n",
	            in, or_dash(e->name), int_at(spec, "replicas", NULL, 1),
	            int_at(rst, "readyReplicas", NULL, 0),
	            int_at(rst, "availableReplicas", NULL, 0), age);
	size_t np = 0, j;
	json_t *pod;
	json_array_foreach(pods, j, pod)
	{
		if (model_controlled_by(pod, str_at(e->rs, "metadata", "uid", NULL)))
			mine[np++] = pod;
	}
	qsort(mine, np, sizeof(*mine), name_cmp);
	for (size_t p = 0; p < np; p++) {
		const char *ready;
		char why[128], page[32];
		pod_state(mine[p], &ready, why, sizeof(why));
		age_of(mine[p], now, page, sizeof(page));
		cli_fprintf(f, "%s    %s Pod %s  %s  %s  %s\n", in, p + 1 == np ? "└──" : "├──",
		            or_dash(str_at(mine[p], "metadata", "name", NULL)), ready, why, page);
	}
}

/* The strategy's part (canary or blue-green) and the AnalysisRuns, for a
 * Release whose spec parses. A rolling Release has no runs. */
static void print_canary(FILE *f, const json_t *release, const json_t *replicasets,
                         const struct cli_view_runs *runs, time_t now)
{
	struct rel_release *rel = NULL;
	if (rel_release_parse(release, &rel, NULL) < 0)
		return;
	if (rel->strategy == REL_STRATEGY_CANARY)
		cli_view_canary(f, release, &rel->canary, replicasets, now);
	else if (rel->strategy == REL_STRATEGY_BLUE_GREEN)
		cli_view_blue_green(f, release, &rel->blue_green, replicasets, now);
	if (rel->strategy != REL_STRATEGY_ROLLING)
		cli_view_analysis(f, release, runs, now);
	rel_release_free(rel);
}

/* Caller frees the result. */
char *cli_view_release(const json_t *release, const json_t *replicasets, const json_t *pods,
                       const struct cli_view_runs *runs, time_t now)
{
	char *text = NULL;
	size_t len = 0;
	size_t n_rs = json_array_size(replicasets);
	struct rs_entry *ents = calloc(n_rs ? n_rs : 1, sizeof(*ents));
	const json_t **mine = calloc(json_array_size(pods) + 1, sizeof(*mine));
	FILE *f = ents && mine ? open_memstream(&text, &len) : NULL;
	if (!f) {
		free(mine);
		free(ents);
		return NULL;
	}
	const json_t *st = json_object_get(release, "status");
	const char *cur = json_string_value(json_object_get(st, "currentRevision"));
	const char *stable = json_string_value(json_object_get(st, "stableRevision"));
	bool same = cur && stable && strcmp(cur, stable) == 0;
	size_t n = collect_replicasets(release, replicasets, ents);
	print_summary(f, release, ents, n);
	print_canary(f, release, replicasets, runs, now);
	if (n == 0)
		cli_fprintf(f, "No ReplicaSets yet.\n");
	for (size_t r = 0; r < n; r++)
		print_revision_node(f, &ents[r], r + 1 == n, same, st, pods, mine, now);
	free(mine);
	free(ents);
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

void cli_view_list(FILE *out, const json_t *items, bool all_namespaces, time_t now)
{
	if (all_namespaces)
		cli_fprintf(out, "%-16s ", "NAMESPACE");
	cli_fprintf(out, "%-24s %-12s %-10s %-6s %-11s %-7s %s\n", "NAME", "PHASE", "STRATEGY",
	            "STEP", "REVISION", "READY", "AGE");
	size_t i;
	json_t *r;
	json_array_foreach(items, i, r)
	{
		const json_t *st = json_object_get(r, "status");
		const json_t *spec = json_object_get(r, "spec");
		const char *strategy = json_string_value(json_object_get(st, "strategy"));
		if (!strategy) {
			const json_t *s = json_object_get(spec, "strategy");
			strategy = json_object_get(s, "canary")      ? "canary"
			           : json_object_get(s, "blueGreen") ? "blueGreen"
			                                             : "rolling";
		}
		char step[48] = "-", ready[32], age[32];
		json_t *idx = json_object_get(st, "currentStepIndex");
		size_t steps = json_array_size(json_object_get(
		    json_object_get(json_object_get(spec, "strategy"), "canary"), "steps"));
		if (json_is_integer(idx) && steps > 0)
			snprintf(step, sizeof(step), "%" JSON_INTEGER_FORMAT "/%zu",
			         json_integer_value(idx) + 1, steps);
		snprintf(ready, sizeof(ready), "%" JSON_INTEGER_FORMAT "/%" JSON_INTEGER_FORMAT,
		         int_at(st, "readyReplicas", NULL, 0), int_at(spec, "replicas", NULL, 1));
		age_of(r, now, age, sizeof(age));
		if (all_namespaces)
			cli_fprintf(out, "%-16s ",
			            or_dash(str_at(r, "metadata", "namespace", NULL)));
		cli_fprintf(
		    out, "%-24s %-12s %-10s %-6s %-11s %-7s %s\n",
		    or_dash(str_at(r, "metadata", "name", NULL)),
		    or_dash(json_string_value(json_object_get(st, "phase"))), strategy, step,
		    or_dash(json_string_value(json_object_get(st, "currentRevision"))), ready, age);
	}
}

static bool rs_exists(const json_t *replicasets, const char *uid, const char *rev)
{
	size_t i;
	json_t *rs;
	json_array_foreach(replicasets, i, rs)
	{
		const char *r = model_revision_of(rs);
		if (r && rev && strcmp(r, rev) == 0 && model_controlled_by(rs, uid))
			return true;
	}
	return false;
}

void cli_view_history(FILE *out, const json_t *release, const json_t *replicasets)
{
	const json_t *st = json_object_get(release, "status");
	const json_t *hist = json_object_get(st, "history");
	const char *cur = json_string_value(json_object_get(st, "currentRevision"));
	const char *stable = json_string_value(json_object_get(st, "stableRevision"));
	const char *uid = str_at(release, "metadata", "uid", NULL);
	cli_fprintf(out, "%-11s %-20s %-20s %-10s %-9s %-16s %s\n", "REVISION", "STARTED",
	            "FINISHED", "OUTCOME", "UNDO", "ROLE", "IMAGES");
	/* status.history is newest first; print oldest first, as kubectl rollout history. */
	for (size_t k = json_array_size(hist); k-- > 0;) {
		const json_t *h = json_array_get(hist, k);
		const char *rev = json_string_value(json_object_get(h, "revision"));
		char images[512] = "";
		size_t off = 0, j;
		json_t *img;
		json_array_foreach(json_object_get(h, "images"), j, img)
		{
			if (!json_is_string(img) || off >= sizeof(images))
				continue;
			int nn = snprintf(images + off, sizeof(images) - off, "%s%s",
			                  off ? ", " : "", json_string_value(img));
			if (nn < 0)
				break;
			off += (size_t)nn;
		}
		const char *mark = "";
		/* A revision rolled out again appears twice: mark the newest. */
		bool newest = true;
		for (size_t m = 0; rev && m < k; m++) {
			const char *o =
			    json_string_value(json_object_get(json_array_get(hist, m), "revision"));
			if (o && strcmp(o, rev) == 0)
				newest = false;
		}
		bool is_cur = newest && rev && cur && strcmp(rev, cur) == 0;
		bool is_stable = newest && rev && stable && strcmp(rev, stable) == 0;
		if (is_cur && is_stable)
			mark = "current,stable";
		else if (is_cur)
			mark = "current";
		else if (is_stable)
			mark = "stable";
		const char *undo = is_cur || (!newest && cur && strcmp(rev, cur) == 0) ? "-"
		                   : rs_exists(replicasets, uid, rev)                  ? "yes"
		                   : replicasets                                       ? "no (gone)"
		                                                                       : "?";
		cli_fprintf(out, "%-11s %-20s %-20s %-10s %-9s %-16s %s\n", or_dash(rev),
		            or_dash(json_string_value(json_object_get(h, "started"))),
		            or_dash(json_string_value(json_object_get(h, "finished"))),
		            or_dash(json_string_value(json_object_get(h, "outcome"))), undo, mark,
		            images[0] ? images : "-");
	}
}

const char *cli_health_name(enum cli_health h)
{
	switch (h) {
	case CLI_HEALTH_WAITING:
		return "Waiting";
	case CLI_HEALTH_PROGRESSING:
		return "Progressing";
	case CLI_HEALTH_PAUSED:
		return "Paused";
	case CLI_HEALTH_HEALTHY:
		return "Healthy";
	case CLI_HEALTH_DEGRADED:
		return "Degraded";
	case CLI_HEALTH_STALLED:
		return "Stalled";
	}
	return "Unknown";
}

enum cli_health cli_release_health(const json_t *release, char *line, size_t cap)
{
	const json_t *st = json_object_get(release, "status");
	const char *name = or_dash(str_at(release, "metadata", "name", NULL));
	json_int_t gen = int_at(release, "metadata", "generation", 0);
	json_int_t og = int_at(st, "observedGeneration", NULL, 0);
	const char *phase = json_string_value(json_object_get(st, "phase"));
	const char *msg = json_string_value(json_object_get(st, "message"));
	if (!json_is_object(st) || og < gen || !phase) {
		cli_snprintf(
		    line, cap,
		    "%s: Waiting: the controller has not observed generation %" JSON_INTEGER_FORMAT
		    " yet",
		    name, gen);
		return CLI_HEALTH_WAITING;
	}
	const json_t *stalled = model_condition_find(json_object_get(st, "conditions"), "Stalled");
	if (stalled && json_is_string(json_object_get(stalled, "status")) &&
	    strcmp(json_string_value(json_object_get(stalled, "status")), MODEL_CONDITION_TRUE) ==
	        0) {
		cli_snprintf(line, cap, "%s: Stalled (%s): %s", name,
		             or_dash(json_string_value(json_object_get(stalled, "reason"))),
		             or_dash(json_string_value(json_object_get(stalled, "message"))));
		return CLI_HEALTH_STALLED;
	}
	enum cli_health h = strcmp(phase, "Healthy") == 0    ? CLI_HEALTH_HEALTHY
	                    : strcmp(phase, "Degraded") == 0 ? CLI_HEALTH_DEGRADED
	                    : strcmp(phase, "Paused") == 0   ? CLI_HEALTH_PAUSED
	                                                     : CLI_HEALTH_PROGRESSING;
	cli_snprintf(line, cap, "%s: %s%s%s", name, cli_health_name(h), msg ? ": " : "",
	             msg ? msg : "");
	return h;
}

enum cli_health cli_print_health_change(FILE *out, const json_t *release, char *last, size_t cap)
{
	char line[1024];
	enum cli_health h = cli_release_health(release, line, sizeof(line));
	if (strcmp(line, last) != 0) {
		cli_fprintf(out, "%s\n", line);
		fflush(out);
		cli_snprintf(last, cap, "%s", line);
	}
	return h;
}
