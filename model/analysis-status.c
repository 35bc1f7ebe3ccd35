/* An AnalysisRun's status: phases, parse (a restarted controller reads its
 * measurements back from here) and serialise. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model/analysis-parse.h"
#include "model/analysis.h"
#include "model/fields.h"
#include "model/timefmt.h"

static const char *const phase_names[] = {
    [MODEL_ANALYSIS_PENDING] = "Pending",       [MODEL_ANALYSIS_RUNNING] = "Running",
    [MODEL_ANALYSIS_SUCCESSFUL] = "Successful", [MODEL_ANALYSIS_FAILED] = "Failed",
    [MODEL_ANALYSIS_ERROR] = "Error",           [MODEL_ANALYSIS_INCONCLUSIVE] = "Inconclusive",
};

const char *model_analysis_phase_name(enum model_analysis_phase p)
{
	if ((unsigned)p > MODEL_ANALYSIS_PHASE_LAST)
		return "Unknown";
	return phase_names[p];
}

int model_analysis_phase_parse(const char *s, enum model_analysis_phase *ret)
{
	for (unsigned p = 0; p <= MODEL_ANALYSIS_PHASE_LAST; p++)
		if (s && strcmp(s, phase_names[p]) == 0) {
			*ret = (enum model_analysis_phase)p;
			return 0;
		}
	return -EINVAL;
}

bool model_analysis_phase_completed(enum model_analysis_phase p)
{
	return p == MODEL_ANALYSIS_SUCCESSFUL || p == MODEL_ANALYSIS_FAILED ||
	       p == MODEL_ANALYSIS_ERROR || p == MODEL_ANALYSIS_INCONCLUSIVE;
}

void model_measurement_clear(struct model_measurement *m)
{
	free(m->value);
	free(m->message);
	memset(m, 0, sizeof(*m));
}

void model_metric_result_clear(struct model_metric_result *r)
{
	free(r->name);
	free(r->message);
	for (size_t i = 0; i < r->n_measurements; i++)
		model_measurement_clear(&r->measurements[i]);
	free(r->measurements);
	memset(r, 0, sizeof(*r));
}

void model_analysis_status_clear(struct model_analysis_status *s)
{
	free(s->message);
	for (size_t i = 0; i < s->n_results; i++)
		model_metric_result_clear(&s->results[i]);
	free(s->results);
	memset(s, 0, sizeof(*s));
}

struct model_metric_result *model_analysis_result(const struct model_analysis_status *st,
                                                  const char *name)
{
	for (size_t i = 0; i < st->n_results; i++)
		if (st->results[i].name && strcmp(st->results[i].name, name) == 0)
			return &st->results[i];
	return NULL;
}

/* ---- parse ---- */

static void parse_phase(struct model_fields *c, const json_t *o, const char *base, bool required,
                        enum model_analysis_phase *out)
{
	char path[MODEL_PATH_LEN];
	model_path_key(path, base, "phase");
	json_t *v = json_object_get(o, "phase");
	*out = MODEL_ANALYSIS_PENDING;
	if (!v) {
		if (required)
			model_errors_add(c->errs, path, "required");
		return;
	}
	if (model_analysis_phase_parse(json_string_value(v), out) < 0)
		model_errors_add(c->errs, path,
		                 "must be Pending, Running, Successful, Failed, Error or "
		                 "Inconclusive");
}

static void parse_time(struct model_fields *c, const json_t *o, const char *key, const char *base,
                       time_t *out)
{
	json_t *v = json_object_get(o, key);
	*out = 0;
	if (!v)
		return;
	if (!json_is_string(v) || model_time_parse(json_string_value(v), out) < 0 || *out <= 0) {
		char path[MODEL_PATH_LEN];
		model_path_key(path, base, key);
		model_errors_add(c->errs, path, "must be an RFC 3339 time");
		*out = 0;
	}
}

static bool parse_measurement(struct model_fields *c, const json_t *o, const char *base,
                              struct model_measurement *m)
{
	if (!json_is_object(o)) {
		model_errors_add(c->errs, base, "must be an object");
		return false;
	}
	size_t before = model_errors_count(c->errs);
	parse_phase(c, o, base, true, &m->phase);
	model_analysis_text(c, o, "value", base, false, MODEL_ANALYSIS_TEXT_MAX, &m->value);
	model_analysis_text(c, o, "message", base, false, MODEL_ANALYSIS_TEXT_MAX, &m->message);
	parse_time(c, o, "startedAt", base, &m->started_at);
	parse_time(c, o, "finishedAt", base, &m->finished_at);
	return model_errors_count(c->errs) == before;
}

static void parse_measurements(struct model_fields *c, const json_t *o, const char *base,
                               struct model_metric_result *r)
{
	json_t *arr = NULL;
	if (!model_field_array(c, o, "measurements", base, false, MODEL_ANALYSIS_MEASUREMENTS_MAX,
	                       "measurements", &arr) ||
	    json_array_size(arr) == 0)
		return;
	r->measurements = calloc(json_array_size(arr), sizeof(*r->measurements));
	if (!r->measurements) {
		c->oom = true;
		return;
	}
	char path[MODEL_PATH_LEN], ipath[MODEL_PATH_LEN];
	model_path_key(path, base, "measurements");
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v)
	{
		model_path_index(ipath, path, i);
		struct model_measurement *m = &r->measurements[r->n_measurements];
		if (parse_measurement(c, v, ipath, m))
			r->n_measurements++;
		else
			model_measurement_clear(m);
	}
}

static bool parse_result(struct model_fields *c, const json_t *o, const char *base,
                         struct model_metric_result *r)
{
	if (!json_is_object(o)) {
		model_errors_add(c->errs, base, "must be an object");
		return false;
	}
	size_t before = model_errors_count(c->errs);
	model_field_string(c, o, "name", base, true, &r->name);
	parse_phase(c, o, base, true, &r->phase);
	model_field_int32(c, o, "count", base, 0, 0, &r->count);
	model_field_int32(c, o, "successful", base, 0, 0, &r->successful);
	model_field_int32(c, o, "failed", base, 0, 0, &r->failed);
	model_field_int32(c, o, "inconclusive", base, 0, 0, &r->inconclusive);
	model_field_int32(c, o, "error", base, 0, 0, &r->error);
	model_field_int32(c, o, "consecutiveError", base, 0, 0, &r->consecutive_error);
	model_field_bool(c, o, "dryRun", base, false, &r->dry_run);
	model_analysis_text(c, o, "message", base, false, MODEL_ANALYSIS_TEXT_MAX, &r->message);
	parse_measurements(c, o, base, r);
	return model_errors_count(c->errs) == before && r->name;
}

static void parse_summary(struct model_fields *c, const json_t *o, const char *key,
                          struct model_run_summary *out)
{
	char path[MODEL_PATH_LEN];
	json_t *sm = model_field_object(c, o, key, "status", false);
	model_path_key(path, "status", key);
	model_field_int32(c, sm, "count", path, 0, 0, &out->count);
	model_field_int32(c, sm, "successful", path, 0, 0, &out->successful);
	model_field_int32(c, sm, "failed", path, 0, 0, &out->failed);
	model_field_int32(c, sm, "inconclusive", path, 0, 0, &out->inconclusive);
	model_field_int32(c, sm, "error", path, 0, 0, &out->error);
}

void model_analysis_parse_status(struct model_fields *c, const json_t *o,
                                 struct model_analysis_status *s)
{
	const char *base = "status";
	if (!o)
		return;
	parse_phase(c, o, base, false, &s->phase);
	model_analysis_text(c, o, "message", base, false, MODEL_ANALYSIS_TEXT_MAX, &s->message);
	parse_time(c, o, "startedAt", base, &s->started_at);
	parse_summary(c, o, "runSummary", &s->run_summary);
	parse_summary(c, o, "dryRunSummary", &s->dry_run_summary);
	json_t *arr = NULL;
	if (!model_field_array(c, o, "metricResults", base, false, MODEL_ANALYSIS_METRICS_MAX,
	                       "metric results", &arr) ||
	    json_array_size(arr) == 0)
		return;
	s->results = calloc(json_array_size(arr), sizeof(*s->results));
	if (!s->results) {
		c->oom = true;
		return;
	}
	char ipath[MODEL_PATH_LEN];
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v)
	{
		model_path_index(ipath, "status.metricResults", i);
		struct model_metric_result *r = &s->results[s->n_results];
		if (!parse_result(c, v, ipath, r)) {
			model_metric_result_clear(r);
			continue;
		}
		if (model_analysis_result(s, r->name))
			model_errors_add(c->errs, ipath, "duplicate result for metric \"%.80s\"",
			                 r->name);
		s->n_results++;
	}
}

/* ---- serialise ---- */

/* obj[key] = t as RFC 3339 unless 0. 0 or -ENOMEM. */
static int set_time(json_t *obj, const char *key, time_t t)
{
	char buf[MODEL_TIME_LEN];
	if (t <= 0 || model_time_format(t, buf) < 0)
		return 0;
	return json_object_set_new(obj, key, json_string(buf)) == 0 ? 0 : -ENOMEM;
}

/* obj[key] = s unless NULL. 0 or -ENOMEM. */
static int set_str(json_t *obj, const char *key, const char *s)
{
	if (!s)
		return 0;
	return json_object_set_new(obj, key, json_string(s)) == 0 ? 0 : -ENOMEM;
}

static json_t *measurement_json(const struct model_measurement *m)
{
	json_t *o = json_object();
	if (!o ||
	    json_object_set_new(o, "phase", json_string(model_analysis_phase_name(m->phase))) < 0 ||
	    set_str(o, "value", m->value) < 0 || set_str(o, "message", m->message) < 0 ||
	    set_time(o, "startedAt", m->started_at) < 0 ||
	    set_time(o, "finishedAt", m->finished_at) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *result_json(const struct model_metric_result *r)
{
	json_t *ms = json_array();
	for (size_t i = 0; ms && i < r->n_measurements; i++)
		if (json_array_append_new(ms, measurement_json(&r->measurements[i])) < 0) {
			json_decref(ms);
			ms = NULL;
		}
	json_t *o = ms ? json_pack("{s:s, s:s, s:i, s:i, s:i, s:i, s:i, s:i, s:b, s:o}", "name",
	                           r->name, "phase", model_analysis_phase_name(r->phase), "count",
	                           (int)r->count, "successful", (int)r->successful, "failed",
	                           (int)r->failed, "inconclusive", (int)r->inconclusive, "error",
	                           (int)r->error, "consecutiveError", (int)r->consecutive_error,
	                           "dryRun", (int)r->dry_run, "measurements", ms)
	               : NULL;
	if (o && set_str(o, "message", r->message) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *summary_json(const struct model_run_summary *s)
{
	return json_pack("{s:i, s:i, s:i, s:i, s:i}", "count", (int)s->count, "successful",
	                 (int)s->successful, "failed", (int)s->failed, "inconclusive",
	                 (int)s->inconclusive, "error", (int)s->error);
}

json_t *model_analysis_status_to_json(const struct model_analysis_status *s)
{
	json_t *rs = json_array();
	for (size_t i = 0; rs && i < s->n_results; i++)
		if (json_array_append_new(rs, result_json(&s->results[i])) < 0) {
			json_decref(rs);
			rs = NULL;
		}
	json_t *o = rs ? json_pack("{s:s, s:o, s:o}", "phase", model_analysis_phase_name(s->phase),
	                           "metricResults", rs, "runSummary", summary_json(&s->run_summary))
	               : NULL;
	if (o &&
	    (set_str(o, "message", s->message) < 0 || set_time(o, "startedAt", s->started_at) < 0 ||
	     (s->dry_run_summary.count > 0 &&
	      json_object_set_new(o, "dryRunSummary", summary_json(&s->dry_run_summary)) < 0))) {
		json_decref(o);
		return NULL;
	}
	return o;
}
