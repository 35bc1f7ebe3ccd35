/* The blue-green part of `get` (cli/view.h cli_view_blue_green): what each
 * Service selects, with its pods, and what waits. Read from the Release's
 * spec and status and its ReplicaSets: what the controller has written,
 * never what this file would decide in its place. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli/escape.h"
#include "cli/view.h"
#include "model/api.h"
#include "model/release.h"
#include "model/status.h"
#include "model/timefmt.h"

/* What `get` needs of the rollout at once. Borrowed from the objects. */
struct bg_view {
	const json_t *release, *replicasets;
	const struct rel_blue_green *bg;
	const struct rel_canary_status *cs;
	const char *name, *current, *stable, *active, *preview;
	bool has_stage;
	int32_t stage;
	time_t now;
};

/* Desired and available pods of revision rev's ReplicaSet; false: none. */
static bool pods_of(const struct bg_view *v, const char *rev, json_int_t *desired,
                    json_int_t *available)
{
	const json_t *rs = cli_view_revision_rs(v->release, v->replicasets, rev);
	if (!rs)
		return false;
	const json_t *r = json_object_get(json_object_get(rs, "spec"), "replicas");
	const json_t *a = json_object_get(json_object_get(rs, "status"), "availableReplicas");
	*desired = json_is_integer(r) ? json_integer_value(r) : 1;
	*available = json_is_integer(a) ? json_integer_value(a) : 0;
	return true;
}

/* "Active:     web -> revision x (3 of 3 pods available)". */
static void print_service(FILE *f, const struct bg_view *v, const char *label, const char *svc,
                          const char *rev)
{
	json_int_t want = 0, have = 0;
	if (!svc) {
		cli_fprintf(f, "%s-\n", label);
		return;
	}
	if (!rev) {
		cli_fprintf(f, "%sService %s -> -\n", label, svc);
		return;
	}
	if (pods_of(v, rev, &want, &have))
		cli_fprintf(f,
		            "%sService %s -> revision %s (%" JSON_INTEGER_FORMAT
		            " of %" JSON_INTEGER_FORMAT " pods available)\n",
		            label, svc, rev, have, want);
	else
		cli_fprintf(f, "%sService %s -> revision %s (no ReplicaSet)\n", label, svc, rev);
}

/* The earliest scale-down deadline among the ReplicaSets: an old revision
 * kept up after the switch (or an aborted one), into buf. */
static bool scale_down(const struct bg_view *v, char *buf, size_t cap)
{
	const char *uid =
	    json_string_value(json_object_get(json_object_get(v->release, "metadata"), "uid"));
	size_t i;
	json_t *rs;
	json_array_foreach(v->replicasets, i, rs)
	{
		const json_t *ann = json_object_get(json_object_get(rs, "metadata"), "annotations");
		const char *d =
		    json_string_value(json_object_get(ann, MODEL_ANNOTATION_SCALE_DOWN_DEADLINE));
		time_t at;
		if (!d || !model_controlled_by(rs, uid) || model_time_parse(d, &at) < 0)
			continue;
		char left[32];
		cli_format_age(v->now, at > v->now ? at : v->now, left, sizeof(left));
		cli_snprintf(buf, cap, "revision %s scales down in %s (scaleDownDelay)",
		             model_revision_of(rs) ? model_revision_of(rs) : "-", left);
		return true;
	}
	return false;
}

/* What the pause waits for. */
static void pause_text(const struct bg_view *v, char *buf, size_t cap)
{
	if (!v->bg->auto_promotion_enabled) {
		cli_snprintf(buf, cap, "waiting for promote (kubectl slipway promote %s)", v->name);
		return;
	}
	for (size_t i = 0; i < v->cs->n_pause_conditions; i++) {
		if (v->cs->pause_conditions[i].reason != REL_PAUSE_BLUE_GREEN)
			continue;
		time_t end = v->cs->pause_conditions[i].start_time + v->bg->auto_promotion_seconds;
		char left[32];
		cli_format_age(v->now, end > v->now ? end : v->now, left, sizeof(left));
		cli_snprintf(buf, cap, "promoted in %s (autoPromotionSeconds), or promote now",
		             left);
		return;
	}
	cli_snprintf(buf, cap, "pause not started yet");
}

/* spec.replicas, 1 when absent (the API's default). */
static json_int_t replicas_of(const json_t *release)
{
	const json_t *r = json_object_get(json_object_get(release, "spec"), "replicas");
	return json_is_integer(r) ? json_integer_value(r) : 1;
}

/* One line: what waits, as the status says it. */
static void wait_text(const struct bg_view *v, char *buf, size_t cap)
{
	json_int_t want = 0, have = 0;
	bool pods = pods_of(v, v->current, &want, &have);
	if (!v->current || !v->has_stage) {
		cli_snprintf(buf, cap, "waiting for the controller");
	} else if (v->cs->abort) {
		cli_snprintf(buf, cap,
		             "aborted: retry previews it again (kubectl slipway retry %s), a new "
		             "template starts a new rollout",
		             v->name);
	} else if (v->stable && strcmp(v->current, v->stable) == 0) {
		if (!scale_down(v, buf, cap))
			cli_snprintf(buf, cap, "nothing: no rollout in progress");
	} else if (json_is_true(json_object_get(json_object_get(v->release, "spec"), "paused"))) {
		cli_snprintf(buf, cap, "paused (spec.paused): kubectl slipway resume %s", v->name);
	} else if (v->stage == REL_BG_STAGE_PREVIEW) {
		cli_snprintf(buf, cap,
		             "preview scaling: %" JSON_INTEGER_FORMAT " of %" JSON_INTEGER_FORMAT
		             " pods available",
		             pods ? have : 0, pods ? want : 0);
	} else if (v->stage == REL_BG_STAGE_PRE_PROMOTION ||
	           v->stage == REL_BG_STAGE_POST_PROMOTION) {
		cli_snprintf(buf, cap,
		             "%s: not implemented yet; promote past it (kubectl slipway promote "
		             "%s) or abort",
		             v->stage == REL_BG_STAGE_PRE_PROMOTION ? "prePromotionAnalysis"
		                                                    : "postPromotionAnalysis",
		             v->name);
	} else if (v->stage == REL_BG_STAGE_PAUSE) {
		pause_text(v, buf, cap);
	} else {
		cli_snprintf(buf, cap,
		             "activeService switches once %" JSON_INTEGER_FORMAT
		             " pods of %s are available (%" JSON_INTEGER_FORMAT " now)",
		             replicas_of(v->release), v->current, pods ? have : 0);
	}
}

void cli_view_blue_green(FILE *f, const json_t *release, const struct rel_blue_green *bg,
                         const json_t *replicasets, time_t now)
{
	const json_t *st = json_object_get(release, "status");
	struct rel_canary_status cs = {0};
	if (json_is_object(st) && rel_canary_status_read(st, &cs) < 0) {
		cli_fprintf(f, "BlueGreen:  status unreadable (a newer controller's?)\n\n");
		return;
	}
	const json_t *idx = json_object_get(st, "currentStepIndex");
	struct bg_view v = {
	    .release = release,
	    .replicasets = replicasets,
	    .bg = bg,
	    .cs = &cs,
	    .name =
	        json_string_value(json_object_get(json_object_get(release, "metadata"), "name")),
	    .current = json_string_value(json_object_get(st, "currentRevision")),
	    .stable = json_string_value(json_object_get(st, "stableRevision")),
	    .active = json_string_value(json_object_get(st, "activeRevision")),
	    .preview = json_string_value(json_object_get(st, "previewRevision")),
	    .has_stage = json_is_integer(idx) && json_integer_value(idx) >= 0 &&
	                 json_integer_value(idx) <= REL_BG_STAGE_DONE,
	    .now = now,
	};
	v.stage = v.has_stage ? (int32_t)json_integer_value(idx) : 0;
	if (!v.name)
		v.name = "NAME";
	char wait[1024];
	print_service(f, &v, "Active:     ", bg->active_service, v.active);
	print_service(f, &v, "Preview:    ", bg->preview_service, v.preview);
	cli_view_rollout_state(f, release, &cs, true, now);
	wait_text(&v, wait, sizeof(wait));
	cli_fprintf(f, "Waiting:    %s\n\n", wait);
	rel_canary_status_clear(&cs);
}
