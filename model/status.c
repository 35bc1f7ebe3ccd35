#include "model/status.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model/intent.h"
#include "model/timefmt.h"

static const char *const phase_names[] = {
    [REL_PHASE_NONE] = "",
    [REL_PHASE_PROGRESSING] = "Progressing",
    [REL_PHASE_PAUSED] = "Paused",
    [REL_PHASE_HEALTHY] = "Healthy",
    [REL_PHASE_DEGRADED] = "Degraded",
};

static const char *const outcome_names[] = {
    [REL_OUTCOME_NONE] = "",
    [REL_OUTCOME_SUCCEEDED] = "Succeeded",
    [REL_OUTCOME_FAILED] = "Failed",
    [REL_OUTCOME_ABORTED] = "Aborted",
    [REL_OUTCOME_SUPERSEDED] = "Superseded",
};

#define N_PHASES   (sizeof(phase_names) / sizeof(phase_names[0]))
#define N_OUTCOMES (sizeof(outcome_names) / sizeof(outcome_names[0]))

const char *rel_phase_name(enum rel_phase phase)
{
	return (size_t)phase < N_PHASES ? phase_names[phase] : "";
}

const char *rel_outcome_name(enum rel_outcome outcome)
{
	return (size_t)outcome < N_OUTCOMES ? outcome_names[outcome] : "";
}

static const char *const known_keys[] = {
    "observedGeneration",
    "phase",
    "message",
    "strategy",
    "currentRevision",
    "stableRevision",
    "activeRevision",
    "previewRevision",
    "currentStepIndex",
    "replicas",
    "updatedReplicas",
    "readyReplicas",
    "availableReplicas",
    "selector",
    "lastProgressTime",
    "conditions",
    "history",
    "restartedAt",
    REL_INTENT_STATUS_KEY,
    NULL,
};

static bool is_known(const char *key)
{
	for (size_t i = 0; known_keys[i]; i++) {
		if (strcmp(key, known_keys[i]) == 0)
			return true;
	}
	for (size_t i = 0; rel_canary_status_keys[i]; i++) {
		if (strcmp(key, rel_canary_status_keys[i]) == 0)
			return true;
	}
	return false;
}

int rel_status_init(struct rel_status *s)
{
	memset(s, 0, sizeof(*s));
	s->conditions = json_array();
	s->extra = json_object();
	if (!s->conditions || !s->extra) {
		rel_status_clear(s);
		return -ENOMEM;
	}
	return 0;
}

static void entry_clear(struct rel_history_entry *e)
{
	free(e->revision);
	json_decref(e->images);
	memset(e, 0, sizeof(*e));
}

void rel_status_clear(struct rel_status *s)
{
	if (!s)
		return;
	free(s->message);
	free(s->strategy);
	free(s->current_revision);
	free(s->stable_revision);
	free(s->active_revision);
	free(s->preview_revision);
	free(s->selector);
	json_decref(s->conditions);
	json_decref(s->extra);
	json_decref(s->intent);
	rel_canary_status_clear(&s->canary);
	for (size_t i = 0; i < s->n_history; i++)
		entry_clear(&s->history[i]);
	memset(s, 0, sizeof(*s));
}

int rel_status_set_string(char **field, const char *value)
{
	char *d = NULL;
	if (value) {
		d = strdup(value);
		if (!d)
			return -ENOMEM;
	}
	free(*field);
	*field = d;
	return 0;
}

/* The helpers below return 0, -EINVAL (wrong type) or -ENOMEM. */

static int read_string(const json_t *obj, const char *key, char **out)
{
	json_t *v = json_object_get(obj, key);
	if (!v)
		return 0;
	if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v))
		return -EINVAL;
	*out = strdup(json_string_value(v));
	return *out ? 0 : -ENOMEM;
}

static int read_int32(const json_t *obj, const char *key, int32_t *out, bool *present)
{
	json_t *v = json_object_get(obj, key);
	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > INT32_MAX)
		return -EINVAL;
	*out = (int32_t)json_integer_value(v);
	if (present)
		*present = true;
	return 0;
}

static int read_time(const json_t *obj, const char *key, time_t *out)
{
	json_t *v = json_object_get(obj, key);
	if (!v)
		return 0;
	if (!json_is_string(v))
		return -EINVAL;
	return model_time_parse(json_string_value(v), out);
}

static int read_enum(const json_t *obj, const char *key, const char *const names[], size_t n,
                     int *out)
{
	json_t *v = json_object_get(obj, key);
	if (!v)
		return 0;
	if (!json_is_string(v))
		return -EINVAL;
	/* Index 0 is "absent" and is never written, so never matched. */
	for (size_t i = 1; i < n; i++) {
		if (strcmp(json_string_value(v), names[i]) == 0) {
			*out = (int)i;
			return 0;
		}
	}
	return -EINVAL;
}

static int read_entry(const json_t *o, struct rel_history_entry *e)
{
	if (!json_is_object(o))
		return -EINVAL;
	int r = read_string(o, "revision", &e->revision);
	if (r == 0 && !e->revision)
		r = -EINVAL;
	json_t *images = json_object_get(o, "images");
	if (r == 0 && images) {
		size_t i;
		json_t *im;
		if (!json_is_array(images))
			r = -EINVAL;
		json_array_foreach(images, i, im)
		{
			if (!json_is_string(im))
				r = -EINVAL;
		}
		if (r == 0)
			e->images = json_deep_copy(images);
	} else if (r == 0) {
		e->images = json_array();
	}
	if (r == 0 && !e->images)
		r = -ENOMEM;
	if (r == 0)
		r = read_time(o, "started", &e->started);
	if (r == 0)
		r = read_time(o, "finished", &e->finished);
	int outcome = REL_OUTCOME_NONE;
	if (r == 0)
		r = read_enum(o, "outcome", outcome_names, N_OUTCOMES, &outcome);
	e->outcome = (enum rel_outcome)outcome;
	return r;
}

/* The scalar fields of an object status, the canary's and the intent. */
static int read_scalars(const json_t *status, struct rel_status *s)
{
	json_t *gen = json_object_get(status, "observedGeneration");
	if (gen && (!json_is_integer(gen) || json_integer_value(gen) < 0))
		return -EINVAL;
	s->observed_generation = gen ? json_integer_value(gen) : 0;
	int phase = REL_PHASE_NONE;
	int r = read_enum(status, "phase", phase_names, N_PHASES, &phase);
	s->phase = (enum rel_phase)phase;
	if (r == 0)
		r = read_string(status, "message", &s->message);
	if (r == 0)
		r = read_string(status, "strategy", &s->strategy);
	if (r == 0)
		r = read_string(status, "currentRevision", &s->current_revision);
	if (r == 0)
		r = read_string(status, "stableRevision", &s->stable_revision);
	if (r == 0)
		r = read_string(status, "activeRevision", &s->active_revision);
	if (r == 0)
		r = read_string(status, "previewRevision", &s->preview_revision);
	if (r == 0)
		r = read_int32(status, "currentStepIndex", &s->current_step_index,
		               &s->has_current_step_index);
	if (r == 0)
		r = read_int32(status, "replicas", &s->replicas, NULL);
	if (r == 0)
		r = read_int32(status, "updatedReplicas", &s->updated_replicas, NULL);
	if (r == 0)
		r = read_int32(status, "readyReplicas", &s->ready_replicas, NULL);
	if (r == 0)
		r = read_int32(status, "availableReplicas", &s->available_replicas, NULL);
	if (r == 0)
		r = read_string(status, "selector", &s->selector);
	if (r == 0)
		r = read_time(status, "lastProgressTime", &s->last_progress_time);
	if (r == 0)
		r = read_time(status, "restartedAt", &s->restarted_at);
	if (r == 0)
		r = rel_canary_status_read(status, &s->canary);
	json_t *intent = json_object_get(status, REL_INTENT_STATUS_KEY);
	if (r == 0 && intent) {
		s->intent = json_deep_copy(intent);
		r = s->intent ? 0 : -ENOMEM;
	}
	return r;
}

/* conditions and history. */
static int read_lists(const json_t *status, struct rel_status *s)
{
	json_t *conds = json_object_get(status, "conditions");
	if (conds) {
		if (!json_is_array(conds))
			return -EINVAL;
		json_t *copy = json_deep_copy(conds);
		if (!copy)
			return -ENOMEM;
		json_decref(s->conditions);
		s->conditions = copy;
	}
	json_t *hist = json_object_get(status, "history");
	if (hist && !json_is_array(hist))
		return -EINVAL;
	for (size_t i = 0; i < json_array_size(hist) && i < REL_HISTORY_MAX; i++) {
		int r = read_entry(json_array_get(hist, i), &s->history[i]);
		s->n_history = i + 1; /* so clear frees a half-read entry */
		if (r < 0)
			return r;
	}
	return 0;
}

/* Fields this version does not know, into s->extra. */
static int read_extra(const json_t *status, struct rel_status *s)
{
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)status, key, v)
	{
		if (is_known(key))
			continue;
		json_t *copy = json_deep_copy(v);
		if (!copy || json_object_set_new(s->extra, key, copy) != 0)
			return -ENOMEM;
	}
	return 0;
}

int rel_status_from_json(const json_t *status, struct rel_status *ret)
{
	struct rel_status s;
	int r = rel_status_init(&s);
	if (r < 0)
		return r;
	if (!status || json_is_null(status)) {
		*ret = s;
		return 0;
	}
	r = json_is_object(status) ? read_scalars(status, &s) : -EINVAL;
	if (r == 0)
		r = read_lists(status, &s);
	if (r == 0)
		r = read_extra(status, &s);
	if (r < 0) {
		rel_status_clear(&s);
		return r;
	}
	*ret = s;
	return 0;
}

static int set_time(json_t *o, const char *key, time_t t)
{
	char buf[MODEL_TIME_LEN];
	if (t == 0)
		return 0;
	if (model_time_format(t, buf) < 0)
		return -1;
	return json_object_set_new(o, key, json_string(buf));
}

static int set_string(json_t *o, const char *key, const char *v)
{
	if (!v)
		return 0;
	return json_object_set_new(o, key, json_string(v));
}

/* The scalar fields; 0 or -1 (out of memory). */
static int put_summary(json_t *o, const struct rel_status *s)
{
	if (json_object_set_new(o, "observedGeneration", json_integer(s->observed_generation)) < 0)
		return -1;
	if (s->phase != REL_PHASE_NONE &&
	    json_object_set_new(o, "phase", json_string(rel_phase_name(s->phase))) < 0)
		return -1;
	if (set_string(o, "message", s->message) < 0 ||
	    set_string(o, "strategy", s->strategy) < 0 ||
	    set_string(o, "currentRevision", s->current_revision) < 0 ||
	    set_string(o, "stableRevision", s->stable_revision) < 0 ||
	    set_string(o, "activeRevision", s->active_revision) < 0 ||
	    set_string(o, "previewRevision", s->preview_revision) < 0)
		return -1;
	if (s->has_current_step_index &&
	    json_object_set_new(o, "currentStepIndex", json_integer(s->current_step_index)) < 0)
		return -1;
	if (json_object_set_new(o, "replicas", json_integer(s->replicas)) < 0 ||
	    json_object_set_new(o, "updatedReplicas", json_integer(s->updated_replicas)) < 0 ||
	    json_object_set_new(o, "readyReplicas", json_integer(s->ready_replicas)) < 0 ||
	    json_object_set_new(o, "availableReplicas", json_integer(s->available_replicas)) < 0)
		return -1;
	if (set_string(o, "selector", s->selector) < 0 ||
	    set_time(o, "lastProgressTime", s->last_progress_time) < 0 ||
	    set_time(o, "restartedAt", s->restarted_at) < 0)
		return -1;
	if (s->conditions &&
	    json_object_set_new(o, "conditions", json_deep_copy(s->conditions)) < 0)
		return -1;
	return 0;
}

/* One history entry as JSON; NULL on out of memory. */
static json_t *history_entry_json(const struct rel_history_entry *e)
{
	json_t *je = json_object();
	bool built =
	    je && set_string(je, "revision", e->revision) == 0 &&
	    json_object_set_new(je, "images",
	                        e->images ? json_deep_copy(e->images) : json_array()) == 0 &&
	    set_time(je, "started", e->started) == 0 &&
	    set_time(je, "finished", e->finished) == 0 &&
	    (e->outcome == REL_OUTCOME_NONE ||
	     json_object_set_new(je, "outcome", json_string(rel_outcome_name(e->outcome))) == 0);
	if (!built) {
		json_decref(je);
		return NULL;
	}
	return je;
}

static int put_history(json_t *o, const struct rel_status *s)
{
	if (s->n_history == 0)
		return 0;
	json_t *hist = json_array();
	if (json_object_set_new(o, "history", hist) < 0)
		return -1;
	for (size_t i = 0; i < s->n_history; i++) {
		if (json_array_append_new(hist, history_entry_json(&s->history[i])) < 0)
			return -1;
	}
	return 0;
}

/* Fields this version does not know, kept as they were read. */
static int put_extra(json_t *o, const struct rel_status *s)
{
	const char *key;
	json_t *v;
	json_object_foreach(s->extra, key, v)
	{
		/* A known key in extra would shadow the typed field. */
		if (!is_known(key) && json_object_set_new(o, key, json_deep_copy(v)) < 0)
			return -1;
	}
	return 0;
}

json_t *rel_status_to_json(const struct rel_status *s)
{
	json_t *o = json_object();
	if (!o || put_summary(o, s) < 0 || rel_canary_status_put(o, &s->canary) < 0 ||
	    (s->intent &&
	     json_object_set_new(o, REL_INTENT_STATUS_KEY, json_deep_copy(s->intent)) < 0) ||
	    put_history(o, s) < 0 || (s->extra && put_extra(o, s) < 0)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

int rel_status_history_push(struct rel_status *s, const char *revision, const json_t *images,
                            time_t started)
{
	struct rel_history_entry e = {0};
	e.revision = strdup(revision);
	e.images = images ? json_deep_copy(images) : json_array();
	if (!e.revision || !e.images) {
		entry_clear(&e);
		return -ENOMEM;
	}
	e.started = started;
	if (s->n_history == REL_HISTORY_MAX) {
		entry_clear(&s->history[REL_HISTORY_MAX - 1]);
		s->n_history--;
	}
	memmove(&s->history[1], &s->history[0], s->n_history * sizeof(s->history[0]));
	s->history[0] = e;
	s->n_history++;
	return 0;
}

struct rel_history_entry *rel_status_history_find(struct rel_status *s, const char *revision)
{
	/* A ReplicaSet without the revision label has no history. */
	for (size_t i = 0; revision && i < s->n_history; i++) {
		if (s->history[i].revision && strcmp(s->history[i].revision, revision) == 0)
			return &s->history[i];
	}
	return NULL;
}
