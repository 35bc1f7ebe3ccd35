/* The canary part of `get` (cli/view.h cli_view_canary): the steps with the
 * current one marked, the weights, why it is paused, the abort, a pending
 * intent, and what happens next. Read from the Release's spec and status
 * and the canary's ReplicaSet: what the controller has written, never what
 * this file would decide in its place. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli/escape.h"
#include "cli/view.h"
#include "model/duration.h"
#include "model/errors.h"
#include "model/intent.h"
#include "model/release.h"
#include "model/revision.h"
#include "model/status.h"
#include "model/timefmt.h"

/* What `get` needs of the canary at once. Borrowed from the objects. */
struct canary_view {
	const json_t *release;
	const struct rel_canary *canary;
	const struct rel_canary_status *cs;
	const char *name;
	const char *current; /* status.currentRevision */
	const char *stable;  /* status.stableRevision */
	bool has_step;
	size_t step; /* status.currentStepIndex */
	const json_t *canary_rs;
	time_t now;
};

/* One step as people read it: "setWeight 10%", "pause 1m0s", "pause until
 * promoted". The step keys are model/release.c's (rel_step_name). */
static void step_text(const struct rel_step *s, char *buf, size_t cap)
{
	const char *key = rel_step_name(s->kind);
	char d[MODEL_DURATION_FMT_LEN];
	const struct rel_canary_scale *sc = &s->canary_scale;
	switch (s->kind) {
	case REL_STEP_SET_WEIGHT:
		cli_snprintf(buf, cap, "%s %" PRId32 "%%", key, s->set_weight);
		return;
	case REL_STEP_PAUSE:
		model_duration_format(s->pause_duration_ns, d);
		cli_snprintf(buf, cap, "%s %s", key, s->pause_has_duration ? d : "until promoted");
		return;
	case REL_STEP_SET_CANARY_SCALE:
		if (sc->kind == REL_CANARY_SCALE_REPLICAS)
			cli_snprintf(buf, cap, "%s %" PRId32 " pod%s", key, sc->replicas,
			             sc->replicas == 1 ? "" : "s");
		else if (sc->kind == REL_CANARY_SCALE_WEIGHT)
			cli_snprintf(buf, cap, "%s %" PRId32 "%% of replicas", key, sc->weight);
		else
			cli_snprintf(buf, cap, "%s matchTrafficWeight", key);
		return;
	case REL_STEP_SET_HEADER_ROUTE:
		cli_snprintf(buf, cap, "%s %s%s", key, s->header_route.name,
		             s->header_route.n_match ? "" : " (remove)");
		return;
	case REL_STEP_SET_MIRROR_ROUTE:
		if (s->mirror_route.remove)
			cli_snprintf(buf, cap, "%s %s (remove)", key, s->mirror_route.name);
		else
			cli_snprintf(buf, cap, "%s %s %" PRId32 "%%", key, s->mirror_route.name,
			             s->mirror_route.percentage);
		return;
	case REL_STEP_APPROVAL:
		cli_snprintf(buf, cap, "%s %s", key, s->approval.name);
		return;
	case REL_STEP_ANALYSIS:
		break;
	}
	cli_snprintf(buf, cap, "%s", key);
}

static void print_steps(FILE *f, const struct canary_view *v)
{
	cli_fprintf(f, "Steps:\n");
	for (size_t i = 0; i < v->canary->n_steps; i++) {
		char text[512];
		step_text(&v->canary->steps[i], text, sizeof(text));
		const char *mark = !v->has_step   ? " "
		                   : i < v->step  ? "✓"
		                   : i == v->step ? "→"
		                                  : " ";
		cli_fprintf(f, "  %s %zu. %s\n", mark, i + 1, text);
	}
}

static void print_weights(FILE *f, const struct canary_view *v)
{
	const struct rel_canary_status *cs = v->cs;
	if (!cs->has_weights) {
		cli_fprintf(f, "Weights:    -\n");
		return;
	}
	cli_fprintf(f, "Weights:    canary %s %" PRId32 "%%, stable %s %" PRId32 "%%\n",
	            cs->canary.revision ? cs->canary.revision : "-", cs->canary.weight,
	            cs->stable.revision ? cs->stable.revision : "-", cs->stable.weight);
}

void cli_view_rollout_state(FILE *f, const json_t *release, const struct rel_canary_status *cs,
                            bool blue_green, time_t now)
{
	char age[32];
	for (size_t i = 0; i < cs->n_pause_conditions; i++) {
		const struct rel_pause_condition *p = &cs->pause_conditions[i];
		cli_format_age(p->start_time, now, age, sizeof(age));
		cli_fprintf(f, "%s %s for %s\n", i == 0 ? "Paused:    " : "           ",
		            rel_pause_reason_name(p->reason), age);
	}
	if (cs->abort) {
		char at[MODEL_TIME_LEN] = "-";
		if (cs->aborted_at > 0)
			model_time_format(cs->aborted_at, at);
		cli_format_age(cs->aborted_at, now, age, sizeof(age));
		cli_fprintf(f, "Aborted:    at %s (%s ago)\n", at, age);
	}
	const json_t *raw =
	    json_object_get(json_object_get(release, "status"), REL_INTENT_STATUS_KEY);
	if (!raw)
		return;
	struct rel_intent in = {0};
	struct model_errors errs = {0};
	if (rel_intent_parse(raw, &in, &errs) < 0) {
		char *why = model_errors_join(&errs, "; ");
		cli_fprintf(f, "Intent:     invalid: %s\n", why ? why : "?");
		free(why);
	} else {
		char step[48] = "";
		cli_format_age(in.requested_at, now, age, sizeof(age));
		if (in.has_step_index && blue_green)
			snprintf(step, sizeof(step), " at stage %s",
			         rel_bg_stage_name(in.step_index));
		else if (in.has_step_index)
			snprintf(step, sizeof(step), " at step %" PRId32, in.step_index + 1);
		cli_fprintf(f, "Intent:     %s by %s %s ago%s, not taken up yet\n",
		            rel_intent_action_name(in.action), in.user, age, step);
	}
	rel_intent_clear(&in);
	model_errors_clear(&errs);
}

/* The canary's pods: desired and available, from its ReplicaSet. false
 * when there is none. */
static bool canary_pods(const struct canary_view *v, json_int_t *desired, json_int_t *available)
{
	if (!v->canary_rs)
		return false;
	const json_t *r = json_object_get(json_object_get(v->canary_rs, "spec"), "replicas");
	const json_t *a =
	    json_object_get(json_object_get(v->canary_rs, "status"), "availableReplicas");
	*desired = json_is_integer(r) ? json_integer_value(r) : 1;
	*available = json_is_integer(a) ? json_integer_value(a) : 0;
	return true;
}

/* What the current pause step waits for. */
static void next_pause(const struct canary_view *v, const struct rel_step *s, char *buf, size_t cap)
{
	if (!s->pause_has_duration) {
		cli_snprintf(buf, cap, "waiting for promote (kubectl slipway promote %s)", v->name);
		return;
	}
	char d[MODEL_DURATION_FMT_LEN], left[32];
	model_duration_format(s->pause_duration_ns, d);
	for (size_t i = 0; i < v->cs->n_pause_conditions; i++) {
		if (v->cs->pause_conditions[i].reason != REL_PAUSE_CANARY_STEP)
			continue;
		time_t end = v->cs->pause_conditions[i].start_time +
		             (time_t)model_duration_seconds_ceil(s->pause_duration_ns);
		if (end > v->now) {
			cli_format_age(v->now, end, left, sizeof(left));
			cli_snprintf(buf, cap, "pause ends in %s", left);
		} else {
			cli_snprintf(buf, cap, "pause over: the controller goes on to step %zu",
			             v->step + 2);
		}
		return;
	}
	cli_snprintf(buf, cap, "pause of %s, not started yet", d);
}

/* What the current weight or scale step is doing. */
static void next_shift(const struct canary_view *v, const struct rel_step *s, char *buf, size_t cap)
{
	json_int_t want = 0, have = 0;
	bool pods = canary_pods(v, &want, &have);
	if (pods && have < want) {
		cli_snprintf(buf, cap,
		             "scaling canary to %" JSON_INTEGER_FORMAT
		             " pod%s (%" JSON_INTEGER_FORMAT " available)",
		             want, want == 1 ? "" : "s", have);
	} else if (s->kind == REL_STEP_SET_WEIGHT &&
	           (!v->cs->has_weights || v->cs->canary.weight != s->set_weight)) {
		cli_snprintf(buf, cap,
		             "shifting traffic to canary %" PRId32 "%% (now %" PRId32 "%%)",
		             s->set_weight, v->cs->has_weights ? v->cs->canary.weight : 0);
	} else {
		cli_snprintf(buf, cap, "step done: the controller goes on to step %zu",
		             v->step + 2);
	}
}

/* One line: what happens next, as the status says it. */
static void next_text(const struct canary_view *v, char *buf, size_t cap)
{
	const json_t *spec = json_object_get(v->release, "spec");
	if (!v->current) {
		cli_snprintf(buf, cap, "waiting for the controller");
	} else if (v->cs->abort) {
		cli_snprintf(
		    buf, cap,
		    "aborted: retry starts the steps again (kubectl slipway retry %s), a new "
		    "template starts a new canary",
		    v->name);
	} else if (v->stable && strcmp(v->current, v->stable) == 0) {
		cli_snprintf(buf, cap,
		             "nothing: no canary in progress (a new template starts one)");
	} else if (json_is_true(json_object_get(spec, "paused"))) {
		cli_snprintf(buf, cap, "paused (spec.paused): kubectl slipway resume %s", v->name);
	} else if (!v->has_step) {
		cli_snprintf(buf, cap, "waiting for the controller");
	} else if (v->step >= v->canary->n_steps) {
		cli_snprintf(buf, cap, "every step done: the canary becomes stable");
	} else {
		const struct rel_step *s = &v->canary->steps[v->step];
		if (s->kind == REL_STEP_PAUSE)
			next_pause(v, s, buf, cap);
		else if (s->kind == REL_STEP_SET_WEIGHT || s->kind == REL_STEP_SET_CANARY_SCALE)
			next_shift(v, s, buf, cap);
		else if (s->kind == REL_STEP_APPROVAL)
			cli_snprintf(buf, cap, "waiting for approval");
		else if (s->kind == REL_STEP_ANALYSIS)
			cli_snprintf(
			    buf, cap,
			    "waiting for the step's AnalysisRun to succeed (Analysis runs, below)");
		else
			cli_snprintf(buf, cap, "setting the route, then step %zu", v->step + 2);
	}
}

const json_t *cli_view_revision_rs(const json_t *release, const json_t *replicasets,
                                   const char *rev)
{
	const char *uid =
	    json_string_value(json_object_get(json_object_get(release, "metadata"), "uid"));
	size_t i;
	json_t *rs;
	json_array_foreach(replicasets, i, rs)
	{
		const char *r = model_revision_of(rs);
		if (rev && r && strcmp(r, rev) == 0 && model_controlled_by(rs, uid))
			return rs;
	}
	return NULL;
}

void cli_view_canary(FILE *f, const json_t *release, const struct rel_canary *canary,
                     const json_t *replicasets, time_t now)
{
	const json_t *st = json_object_get(release, "status");
	struct rel_canary_status cs = {0};
	if (json_is_object(st) && rel_canary_status_read(st, &cs) < 0) {
		cli_fprintf(f, "Canary:     status unreadable (a newer controller's?)\n\n");
		return;
	}
	const json_t *idx = json_object_get(st, "currentStepIndex");
	struct canary_view v = {
	    .release = release,
	    .canary = canary,
	    .cs = &cs,
	    .name =
	        json_string_value(json_object_get(json_object_get(release, "metadata"), "name")),
	    .current = json_string_value(json_object_get(st, "currentRevision")),
	    .stable = json_string_value(json_object_get(st, "stableRevision")),
	    .has_step = json_is_integer(idx) && json_integer_value(idx) >= 0,
	    .step = json_is_integer(idx) && json_integer_value(idx) >= 0
	                ? (size_t)json_integer_value(idx)
	                : 0,
	    .now = now,
	};
	v.canary_rs = cli_view_revision_rs(release, replicasets, v.current);
	if (!v.name)
		v.name = "NAME";
	char next[1024];
	print_steps(f, &v);
	print_weights(f, &v);
	cli_view_rollout_state(f, release, &cs, false, now);
	next_text(&v, next, sizeof(next));
	cli_fprintf(f, "Next:       %s\n\n", next);
	rel_canary_status_clear(&cs);
}
