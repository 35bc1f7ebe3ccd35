/* A run's spec as JSON (model_analysis_run_spec_json): what a Release's
 * analysis step creates, from the merged templates and the resolved args.
 * Every field the parser reads is written back, so parsing the result gives
 * the same spec. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model/analysis-args.h"
#include "model/analysis.h"
#include "model/api.h"
#include "model/duration.h"

/* Adds o[key] = v (stolen); *bad when v is NULL or the add failed. */
static void put(json_t *o, const char *key, json_t *v, bool *bad)
{
	if (!v || json_object_set_new(o, key, v) != 0)
		*bad = true;
}

static void put_str(json_t *o, const char *key, const char *s, bool *bad)
{
	if (s)
		put(o, key, json_string(s), bad);
}

static void put_duration(json_t *o, const char *key, int64_t ns, bool *bad)
{
	char buf[MODEL_DURATION_FMT_LEN];
	model_duration_format(ns, buf);
	put(o, key, json_string(buf), bad);
}

static json_t *args_json(const struct model_analysis_arg *args, size_t n)
{
	json_t *arr = json_array();
	bool bad = !arr;
	for (size_t i = 0; i < n && !bad; i++) {
		const struct model_analysis_arg *a = &args[i];
		json_t *o = json_object();
		put_str(o, "name", a->name, &bad);
		if (a->source == MODEL_ARG_VALUE)
			put_str(o, "value", a->value ? a->value : "", &bad);
		else if (a->source == MODEL_ARG_SECRET)
			/* the reference, never a value */
			put(o, "valueFrom",
			    json_pack("{s:{s:s, s:s}}", "secretKeyRef", "name", a->secret_name,
			              "key", a->secret_key),
			    &bad);
		else if (a->source == MODEL_ARG_POD_HASH)
			put(o, "valueFrom",
			    json_pack("{s:s}", "podTemplateHashValue",
			              a->pod_hash == MODEL_POD_HASH_STABLE
			                  ? MODEL_POD_TEMPLATE_HASH_STABLE
			                  : MODEL_POD_TEMPLATE_HASH_LATEST),
			    &bad);
		if (!o || json_array_append_new(arr, o) != 0)
			bad = true;
	}
	if (bad) {
		json_decref(arr);
		return NULL;
	}
	return arr;
}

static json_t *headers_json(const struct model_header *h, size_t n)
{
	json_t *arr = json_array();
	for (size_t i = 0; arr && i < n; i++)
		if (json_array_append_new(
		        arr, json_pack("{s:s, s:s}", "key", h[i].key, "value", h[i].value)) != 0) {
			json_decref(arr);
			return NULL;
		}
	return arr;
}

static json_t *provider_json(const struct model_metric *m)
{
	json_t *p = json_object();
	bool bad = !p;
	if (m->provider == MODEL_PROVIDER_PROMETHEUS) {
		put_str(p, "address", m->prometheus.address, &bad);
		put_str(p, "query", m->prometheus.query, &bad);
		if (m->prometheus.has_timeout)
			put_duration(p, "timeout", m->prometheus.timeout_ns, &bad);
		if (m->prometheus.n_headers > 0)
			put(p, "headers",
			    headers_json(m->prometheus.headers, m->prometheus.n_headers), &bad);
	} else if (m->provider == MODEL_PROVIDER_WEB) {
		put_str(p, "url", m->web.url, &bad);
		put_str(p, "method", m->web.method, &bad);
		if (m->web.n_headers > 0)
			put(p, "headers", headers_json(m->web.headers, m->web.n_headers), &bad);
		put_str(p, "body", m->web.body, &bad);
		put_str(p, "jsonPath", m->web.json_path, &bad);
		put(p, "timeoutSeconds", json_integer(m->web.timeout_seconds), &bad);
	} else {
		if (m->job.metadata)
			put(p, "metadata", json_deep_copy(m->job.metadata), &bad);
		put(p, "spec", json_deep_copy(m->job.spec), &bad);
	}
	static const char *const keys[] = {[MODEL_PROVIDER_PROMETHEUS] = "prometheus",
	                                   [MODEL_PROVIDER_WEB] = "web",
	                                   [MODEL_PROVIDER_JOB] = "job"};
	json_t *out = bad ? NULL : json_object();
	if (out && json_object_set_new(out, keys[m->provider], p) == 0)
		return out;
	json_decref(out);
	json_decref(p);
	return NULL;
}

static json_t *metric_json(const struct model_metric *m)
{
	json_t *o = json_object();
	bool bad = !o;
	put_str(o, "name", m->name, &bad);
	if (m->has_interval)
		put_duration(o, "interval", m->interval_ns, &bad);
	if (m->initial_delay_ns > 0)
		put_duration(o, "initialDelay", m->initial_delay_ns, &bad);
	if (m->count > 0)
		put(o, "count", json_integer(m->count), &bad);
	put_str(o, "successCondition", m->success_condition, &bad);
	put_str(o, "failureCondition", m->failure_condition, &bad);
	put(o, "failureLimit", json_integer(m->failure_limit), &bad);
	put(o, "inconclusiveLimit", json_integer(m->inconclusive_limit), &bad);
	put(o, "consecutiveErrorLimit", json_integer(m->consecutive_error_limit), &bad);
	put(o, "provider", provider_json(m), &bad);
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* dryRun / measurementRetention entries, resolved per metric: what the
 * metrics carry is what the run needs, whatever lists produced it. */
static json_t *per_metric_json(const struct model_analysis_spec *s, bool retention)
{
	json_t *arr = json_array();
	for (size_t i = 0; arr && i < s->n_metrics; i++) {
		const struct model_metric *m = &s->metrics[i];
		json_t *e = NULL;
		if (retention && m->retention != MODEL_ANALYSIS_DEFAULT_RETENTION)
			e = json_pack("{s:s, s:i}", "metricName", m->name, "limit",
			              (int)m->retention);
		else if (!retention && m->dry_run)
			e = json_pack("{s:s}", "metricName", m->name);
		else
			continue;
		if (json_array_append_new(arr, e) != 0) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

json_t *model_analysis_run_spec_json(const struct model_analysis_spec *spec,
                                     const struct model_analysis_arg *args, size_t n_args)
{
	json_t *metrics = json_array();
	for (size_t i = 0; metrics && i < spec->n_metrics; i++)
		if (json_array_append_new(metrics, metric_json(&spec->metrics[i])) != 0) {
			json_decref(metrics);
			metrics = NULL;
		}
	json_t *o = json_object();
	bool bad = !o;
	put(o, "args", args_json(args, n_args), &bad);
	put(o, "metrics", metrics, &bad);
	put(o, "dryRun", per_metric_json(spec, false), &bad);
	put(o, "measurementRetention", per_metric_json(spec, true), &bad);
	if (spec->terminate)
		put(o, "terminate", json_true(), &bad);
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}
