#include "model/canary-status.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/timefmt.h"

const char *const rel_canary_status_keys[] = {
    "canary", "pauseConditions", "abort", "abortedAt", "promoteFull", "analysisAttempt", NULL,
};

static const char *const pause_names[] = {
    [REL_PAUSE_NONE] = "",
    [REL_PAUSE_CANARY_STEP] = "CanaryPauseStep",
    [REL_PAUSE_INCONCLUSIVE_ANALYSIS] = "InconclusiveAnalysisRun",
    [REL_PAUSE_BLUE_GREEN] = "BlueGreenPause",
    [REL_PAUSE_APPROVAL] = "ApprovalPending",
};
#define N_PAUSE_NAMES (sizeof(pause_names) / sizeof(pause_names[0]))

const char *rel_pause_reason_name(enum rel_pause_reason reason)
{
	return (size_t)reason < N_PAUSE_NAMES ? pause_names[reason] : "";
}

void rel_canary_status_clear(struct rel_canary_status *s)
{
	if (!s)
		return;
	free(s->step_label);
	free(s->canary.revision);
	free(s->stable.revision);
	memset(s, 0, sizeof(*s));
}

/* The readers return 0, -EINVAL (wrong type or range) or -ENOMEM. */

static int read_bool(const json_t *o, const char *key, bool *out)
{
	json_t *v = json_object_get(o, key);
	if (!v)
		return 0;
	if (!json_is_boolean(v))
		return -EINVAL;
	*out = json_is_true(v);
	return 0;
}

static int read_time(const json_t *o, const char *key, bool required, time_t *out)
{
	json_t *v = json_object_get(o, key);
	if (!v)
		return required ? -EINVAL : 0;
	if (!json_is_string(v))
		return -EINVAL;
	return model_time_parse(json_string_value(v), out);
}

static int read_string(const json_t *o, const char *key, char **out)
{
	json_t *v = json_object_get(o, key);
	if (!v)
		return 0;
	if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v))
		return -EINVAL;
	*out = strdup(json_string_value(v));
	return *out ? 0 : -ENOMEM;
}

static int read_weight(const json_t *weights, const char *key, struct rel_revision_weight *w)
{
	json_t *o = json_object_get(weights, key);
	if (!o)
		return 0;
	if (!json_is_object(o))
		return -EINVAL;
	json_t *weight = json_object_get(o, "weight");
	if (weight && (!json_is_integer(weight) || json_integer_value(weight) < 0 ||
	               json_integer_value(weight) > 100))
		return -EINVAL;
	w->weight = weight ? (int32_t)json_integer_value(weight) : 0;
	return read_string(o, "revision", &w->revision);
}

static int read_canary(const json_t *status, struct rel_canary_status *s)
{
	json_t *c = json_object_get(status, "canary");
	if (!c)
		return 0;
	if (!json_is_object(c))
		return -EINVAL;
	int r = read_string(c, "stepLabel", &s->step_label);
	json_t *w = json_object_get(c, "weights");
	if (r < 0 || !w)
		return r;
	if (!json_is_object(w))
		return -EINVAL;
	s->has_weights = true;
	r = read_weight(w, "canary", &s->canary);
	return r < 0 ? r : read_weight(w, "stable", &s->stable);
}

static int read_pause_conditions(const json_t *status, struct rel_canary_status *s)
{
	json_t *pcs = json_object_get(status, "pauseConditions");
	if (!pcs)
		return 0;
	if (!json_is_array(pcs))
		return -EINVAL;
	for (size_t i = 0; i < json_array_size(pcs) && i < REL_PAUSE_CONDITIONS_MAX; i++) {
		json_t *pc = json_array_get(pcs, i);
		json_t *reason = json_object_get(pc, "reason");
		if (!json_is_object(pc) || !json_is_string(reason))
			return -EINVAL;
		enum rel_pause_reason found = REL_PAUSE_NONE;
		for (size_t k = 1; k < N_PAUSE_NAMES; k++) {
			if (strcmp(json_string_value(reason), pause_names[k]) == 0)
				found = (enum rel_pause_reason)k;
		}
		struct rel_pause_condition *dst = &s->pause_conditions[i];
		if (found == REL_PAUSE_NONE ||
		    read_time(pc, "startTime", true, &dst->start_time) < 0)
			return -EINVAL;
		dst->reason = found;
		s->n_pause_conditions = i + 1;
	}
	return 0;
}

static int read_attempt(const json_t *o, int32_t *out)
{
	json_t *v = json_object_get(o, "analysisAttempt");
	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > REL_ANALYSIS_ATTEMPT_MAX)
		return -EINVAL;
	*out = (int32_t)json_integer_value(v);
	return 0;
}

int rel_canary_status_read(const json_t *status, struct rel_canary_status *ret)
{
	struct rel_canary_status s = {0};
	int r = read_canary(status, &s);
	if (r == 0)
		r = read_pause_conditions(status, &s);
	if (r == 0)
		r = read_bool(status, "abort", &s.abort);
	if (r == 0)
		r = read_time(status, "abortedAt", false, &s.aborted_at);
	if (r == 0)
		r = read_bool(status, "promoteFull", &s.promote_full);
	if (r == 0)
		r = read_attempt(status, &s.analysis_attempt);
	if (r < 0) {
		rel_canary_status_clear(&s);
		return r;
	}
	*ret = s;
	return 0;
}

static int set_time(json_t *o, const char *key, time_t t)
{
	char buf[MODEL_TIME_LEN];
	if (model_time_format(t, buf) < 0)
		return -ERANGE;
	return json_object_set_new(o, key, json_string(buf)) == 0 ? 0 : -ENOMEM;
}

static json_t *weight_json(const struct rel_revision_weight *w)
{
	json_t *o = json_pack("{s:I}", "weight", (json_int_t)w->weight);
	if (o && w->revision && json_object_set_new(o, "revision", json_string(w->revision)) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static int put_canary(json_t *status, const struct rel_canary_status *s)
{
	if (!s->step_label && !s->has_weights)
		return 0;
	json_t *c = json_object();
	if (json_object_set_new(status, "canary", c) < 0)
		return -ENOMEM;
	if (s->step_label && json_object_set_new(c, "stepLabel", json_string(s->step_label)) < 0)
		return -ENOMEM;
	if (!s->has_weights)
		return 0;
	json_t *w = json_object();
	if (json_object_set_new(c, "weights", w) < 0 ||
	    json_object_set_new(w, "canary", weight_json(&s->canary)) < 0 ||
	    json_object_set_new(w, "stable", weight_json(&s->stable)) < 0)
		return -ENOMEM;
	return 0;
}

static int put_pause_conditions(json_t *status, const struct rel_canary_status *s)
{
	if (s->n_pause_conditions == 0)
		return 0;
	json_t *arr = json_array();
	if (json_object_set_new(status, "pauseConditions", arr) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < s->n_pause_conditions; i++) {
		const struct rel_pause_condition *pc = &s->pause_conditions[i];
		json_t *o = json_pack("{s:s}", "reason", rel_pause_reason_name(pc->reason));
		if (json_array_append_new(arr, o) < 0)
			return -ENOMEM;
		int r = set_time(o, "startTime", pc->start_time);
		if (r < 0)
			return r;
	}
	return 0;
}

int rel_canary_status_put(json_t *status, const struct rel_canary_status *s)
{
	int r = put_canary(status, s);
	if (r == 0)
		r = put_pause_conditions(status, s);
	if (r == 0 && s->abort && json_object_set_new(status, "abort", json_true()) < 0)
		r = -ENOMEM;
	if (r == 0 && s->aborted_at != 0)
		r = set_time(status, "abortedAt", s->aborted_at);
	if (r == 0 && s->promote_full &&
	    json_object_set_new(status, "promoteFull", json_true()) < 0)
		r = -ENOMEM;
	if (r == 0 && s->analysis_attempt > 0 &&
	    json_object_set_new(status, "analysisAttempt",
	                        json_integer((json_int_t)s->analysis_attempt)) < 0)
		r = -ENOMEM;
	return r;
}

int rel_canary_status_set_step(struct rel_canary_status *s, size_t index, size_t n_steps)
{
	char buf[REL_STEP_LABEL_LEN];
	char *label = NULL;
	if (n_steps > 0) {
		size_t shown = index < n_steps ? index + 1 : n_steps;
		snprintf(buf, sizeof(buf), "%zu/%zu", shown, n_steps);
		label = strdup(buf);
		if (!label)
			return -ENOMEM;
	}
	free(s->step_label);
	s->step_label = label;
	return 0;
}
