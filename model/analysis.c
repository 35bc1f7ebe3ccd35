/* AnalysisTemplate, ClusterAnalysisTemplate and AnalysisRun specs: parse,
 * default, validate (model/analysis.h has the API and the rules). */
#include "model/analysis.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/analysis-parse.h"
#include "model/api.h"
#include "model/duration.h"
#include "model/expr.h"
#include "model/fields.h"
#include "model/jsonpath.h"
#include "model/names.h"

bool model_analysis_name_valid(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > MODEL_ANALYSIS_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		          (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' || ch == '-';
		if (!ok)
			return false;
	}
	return true;
}

bool model_analysis_text(struct model_fields *f, const json_t *obj, const char *key,
                         const char *base, bool required, size_t max, char **out)
{
	char *s = NULL;
	if (!model_field_string(f, obj, key, base, required, &s))
		return false;
	if (s && strlen(s) > max) {
		char path[MODEL_PATH_LEN];
		model_path_key(path, base, key);
		model_errors_add(f->errs, path, "must be at most %zu characters", max);
		free(s);
		return false;
	}
	*out = s;
	return true;
}

/* A name field (metric, argument) checked with model_analysis_name_valid. */
static bool name_field(struct model_fields *c, const json_t *obj, const char *key, const char *base,
                       char **out)
{
	char *s = NULL;
	if (!model_field_string(c, obj, key, base, true, &s) || !s)
		return false;
	if (!model_analysis_name_valid(s)) {
		char path[MODEL_PATH_LEN];
		model_path_key(path, base, key);
		model_errors_add(c->errs, path,
		                 "\"%.80s\" is not a valid name (letters, digits, '_', '.' and "
		                 "'-', at most %d)",
		                 s, MODEL_ANALYSIS_NAME_MAX);
		free(s);
		return false;
	}
	*out = s;
	return true;
}

/* An array member as a calloc'd array of `size`-byte items: *items NULL and
 * *n 0 when absent or empty or invalid. Returns the JSON array (borrowed) or
 * NULL. */
static json_t *list_alloc(struct model_fields *c, const json_t *o, const char *key,
                          const char *base, bool required, size_t max, const char *noun,
                          size_t size, void **items)
{
	json_t *arr = NULL;
	*items = NULL;
	if (!model_field_array(c, o, key, base, required, max, noun, &arr) || !arr ||
	    json_array_size(arr) == 0)
		return NULL;
	*items = calloc(json_array_size(arr), size);
	if (!*items) {
		c->oom = true;
		return NULL;
	}
	return arr;
}

/* ---- args ---- */

static void arg_clear(struct model_analysis_arg *a)
{
	free(a->name);
	free(a->value);
	free(a->secret_name);
	free(a->secret_key);
	memset(a, 0, sizeof(*a));
}

/* valueFrom: exactly one of secretKeyRef and podTemplateHashValue. */
static void parse_value_from(struct model_fields *c, const json_t *vf, const char *base,
                             struct model_analysis_arg *a)
{
	static const char *const keys[] = {"secretKeyRef", "podTemplateHashValue", NULL};
	const char *expect = "must have exactly one of secretKeyRef, podTemplateHashValue";
	if (!model_fields_only(c, vf, base, keys, expect))
		return;
	if (json_object_size(vf) != 1) {
		model_errors_add(c->errs, base, "%s", expect);
		return;
	}
	char path[MODEL_PATH_LEN];
	json_t *ref = model_field_object(c, vf, "secretKeyRef", base, false);
	if (ref) {
		model_path_key(path, base, "secretKeyRef");
		bool ok = model_field_name(c, ref, "name", path, MODEL_NAME_DNS_SUBDOMAIN, true,
		                           &a->secret_name);
		ok = model_field_string(c, ref, "key", path, true, &a->secret_key) && ok;
		if (ok)
			a->source = MODEL_ARG_SECRET;
		return;
	}
	json_t *h = json_object_get(vf, "podTemplateHashValue");
	model_path_key(path, base, "podTemplateHashValue");
	const char *hs = json_string_value(h);
	if (hs && strcmp(hs, MODEL_POD_TEMPLATE_HASH_STABLE) == 0)
		a->pod_hash = MODEL_POD_HASH_STABLE;
	else if (hs && strcmp(hs, MODEL_POD_TEMPLATE_HASH_LATEST) == 0)
		a->pod_hash = MODEL_POD_HASH_LATEST;
	else {
		model_errors_add(c->errs, path,
		                 "must be \"" MODEL_POD_TEMPLATE_HASH_STABLE
		                 "\" or \"" MODEL_POD_TEMPLATE_HASH_LATEST "\"");
		return;
	}
	a->source = MODEL_ARG_POD_HASH;
}

/* args[i] `o` at `base`; in a run every argument must have its value. */
static bool parse_arg(struct model_fields *c, const json_t *o, const char *base, bool in_run,
                      struct model_analysis_arg *a)
{
	if (!json_is_object(o)) {
		model_errors_add(c->errs, base, "must be an object");
		return false;
	}
	bool ok = name_field(c, o, "name", base, &a->name);
	json_t *vf = model_field_object(c, o, "valueFrom", base, false);
	char path[MODEL_PATH_LEN];
	if (json_object_get(o, "value") && json_object_get(o, "valueFrom")) {
		model_errors_add(c->errs, base, "must have at most one of value, valueFrom");
		return false;
	}
	if (json_object_get(o, "value")) {
		ok = model_analysis_text(c, o, "value", base, false, MODEL_ANALYSIS_TEXT_MAX,
		                         &a->value) &&
		     ok;
		a->source = a->value ? MODEL_ARG_VALUE : MODEL_ARG_UNSET;
	} else if (vf) {
		model_path_key(path, base, "valueFrom");
		size_t before = model_errors_count(c->errs);
		parse_value_from(c, vf, path, a);
		ok = ok && model_errors_count(c->errs) == before;
	}
	if (ok && in_run && a->source != MODEL_ARG_VALUE && a->source != MODEL_ARG_SECRET) {
		model_errors_add(c->errs, base,
		                 a->source == MODEL_ARG_POD_HASH
		                     ? "a run's arguments are resolved: podTemplateHashValue is "
		                       "for templates and Releases"
		                     : "has no value: give value or valueFrom.secretKeyRef");
		ok = false;
	}
	return ok;
}

static void parse_args(struct model_fields *c, const json_t *o, const char *base, bool in_run,
                       struct model_analysis_spec *s)
{
	void *items;
	json_t *arr = list_alloc(c, o, "args", base, false, MODEL_ANALYSIS_ARGS_MAX, "args",
	                         sizeof(*s->args), &items);
	s->args = items;
	char path[MODEL_PATH_LEN], ipath[MODEL_PATH_LEN];
	model_path_key(path, base, "args");
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v)
	{
		model_path_index(ipath, path, i);
		struct model_analysis_arg *a = &s->args[s->n_args];
		if (!parse_arg(c, v, ipath, in_run, a)) {
			arg_clear(a);
			continue;
		}
		for (size_t j = 0; j < s->n_args; j++)
			if (strcmp(s->args[j].name, a->name) == 0) {
				model_errors_add(c->errs, ipath, "duplicate argument \"%s\"",
				                 a->name);
				break;
			}
		s->n_args++;
	}
}

/* ---- providers ---- */

static void headers_clear(struct model_header *h, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(h[i].key);
		free(h[i].value);
	}
	free(h);
}

static void parse_headers(struct model_fields *c, const json_t *o, const char *base,
                          struct model_header **out, size_t *n)
{
	void *items;
	json_t *arr = list_alloc(c, o, "headers", base, false, MODEL_ANALYSIS_HEADERS_MAX,
	                         "headers", sizeof(**out), &items);
	*out = items;
	char path[MODEL_PATH_LEN], ipath[MODEL_PATH_LEN], kpath[MODEL_PATH_LEN];
	model_path_key(path, base, "headers");
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v)
	{
		model_path_index(ipath, path, i);
		if (!json_is_object(v)) {
			model_errors_add(c->errs, ipath, "must be an object");
			continue;
		}
		struct model_header *h = &(*out)[*n];
		bool ok = model_field_string(c, v, "key", ipath, true, &h->key);
		ok = model_analysis_text(c, v, "value", ipath, true, MODEL_ANALYSIS_TEXT_MAX,
		                         &h->value) &&
		     ok;
		if (ok && !model_http_token_valid(h->key, strlen(h->key), 256)) {
			model_path_key(kpath, ipath, "key");
			model_errors_add(c->errs, kpath, "\"%.80s\" is not an HTTP header name",
			                 h->key);
			ok = false;
		}
		if (!ok) {
			free(h->key);
			free(h->value);
			memset(h, 0, sizeof(*h));
			continue;
		}
		(*n)++;
	}
}

/* An http(s) URL, or one that an argument gives entirely ("{{args.x}}"). */
static void check_url(struct model_fields *c, const char *url, const char *base, const char *key)
{
	if (!url || strncmp(url, "http://", 7) == 0 || strncmp(url, "https://", 8) == 0 ||
	    strncmp(url, "{{", 2) == 0)
		return;
	char path[MODEL_PATH_LEN];
	model_path_key(path, base, key);
	model_errors_add(c->errs, path, "must be an http:// or https:// URL");
}

static void parse_prometheus(struct model_fields *c, const json_t *o, const char *base,
                             struct model_prometheus *p)
{
	model_analysis_text(c, o, "address", base, true, MODEL_ANALYSIS_TEXT_MAX, &p->address);
	check_url(c, p->address, base, "address");
	model_analysis_text(c, o, "query", base, true, MODEL_ANALYSIS_TEXT_MAX, &p->query);
	if (model_field_duration(c, o, "timeout", base, &p->has_timeout, &p->timeout_ns) &&
	    p->has_timeout && p->timeout_ns == 0) {
		char path[MODEL_PATH_LEN];
		model_path_key(path, base, "timeout");
		model_errors_add(c->errs, path, "must be greater than 0");
	}
	parse_headers(c, o, base, &p->headers, &p->n_headers);
}

static void parse_web(struct model_fields *c, const json_t *o, const char *base,
                      struct model_web *w)
{
	char path[MODEL_PATH_LEN];
	model_analysis_text(c, o, "url", base, true, MODEL_ANALYSIS_TEXT_MAX, &w->url);
	check_url(c, w->url, base, "url");
	if (model_field_string(c, o, "method", base, false, &w->method) && !w->method)
		w->method = model_fields_strdup(c, "GET");
	bool can_body = w->method && strcmp(w->method, "GET") != 0;
	if (w->method && can_body && strcmp(w->method, "POST") != 0 &&
	    strcmp(w->method, "PUT") != 0) {
		model_path_key(path, base, "method");
		model_errors_add(c->errs, path, "must be GET, POST or PUT");
	}
	parse_headers(c, o, base, &w->headers, &w->n_headers);
	model_analysis_text(c, o, "body", base, false, MODEL_ANALYSIS_BODY_MAX, &w->body);
	if (w->body && w->method && !can_body) {
		model_path_key(path, base, "body");
		model_errors_add(c->errs, path, "needs method POST or PUT");
	}
	model_analysis_text(c, o, "jsonPath", base, false, MODEL_ANALYSIS_TEXT_MAX, &w->json_path);
	model_field_int32(c, o, "timeoutSeconds", base, 1,
	                  MODEL_ANALYSIS_DEFAULT_WEB_TIMEOUT_SECONDS, &w->timeout_seconds);
}

static void parse_job(struct model_fields *c, const json_t *o, const char *base,
                      struct model_job *j)
{
	static const char *const md_keys[] = {"labels", "annotations", NULL};
	char path[MODEL_PATH_LEN];
	json_t *md = model_field_object(c, o, "metadata", base, false);
	model_path_key(path, base, "metadata");
	if (md && model_fields_only(c, md, path, md_keys,
	                            "a Job's metadata here has only "
	                            "labels and annotations"))
		j->metadata = json_incref(md);
	json_t *spec = model_field_object(c, o, "spec", base, true);
	model_path_key(path, base, "spec");
	if (spec && model_field_object(c, spec, "template", path, true))
		j->spec = json_incref(spec);
}

static void parse_provider(struct model_fields *c, const json_t *m, const char *base,
                           struct model_metric *x)
{
	static const char *const kinds[] = {"prometheus", "web", "job", NULL};
	const char *expect = "must have exactly one of prometheus, web, job";
	char path[MODEL_PATH_LEN];
	json_t *p = model_field_object(c, m, "provider", base, true);
	model_path_key(path, base, "provider");
	if (!p || !model_fields_only(c, p, path, kinds, expect))
		return;
	if (json_object_size(p) != 1) {
		model_errors_add(c->errs, path, "%s", expect);
		return;
	}
	const char *key = json_object_iter_key(json_object_iter(p));
	json_t *o = model_field_object(c, p, key, path, false);
	char kpath[MODEL_PATH_LEN];
	model_path_key(kpath, path, key);
	if (!o)
		return;
	if (strcmp(key, "prometheus") == 0) {
		x->provider = MODEL_PROVIDER_PROMETHEUS;
		parse_prometheus(c, o, kpath, &x->prometheus);
	} else if (strcmp(key, "web") == 0) {
		x->provider = MODEL_PROVIDER_WEB;
		parse_web(c, o, kpath, &x->web);
	} else {
		x->provider = MODEL_PROVIDER_JOB;
		parse_job(c, o, kpath, &x->job);
	}
}

/* ---- metrics ---- */

static void metric_clear(struct model_metric *m)
{
	free(m->name);
	free(m->success_condition);
	free(m->failure_condition);
	free(m->prometheus.address);
	free(m->prometheus.query);
	headers_clear(m->prometheus.headers, m->prometheus.n_headers);
	free(m->web.url);
	free(m->web.method);
	headers_clear(m->web.headers, m->web.n_headers);
	free(m->web.body);
	free(m->web.json_path);
	json_decref(m->job.metadata);
	json_decref(m->job.spec);
	free(m->template_name);
	memset(m, 0, sizeof(*m));
}

/* interval, initialDelay and count, and the rule between them. */
static void parse_schedule(struct model_fields *c, const json_t *o, const char *base,
                           struct model_metric *m)
{
	char path[MODEL_PATH_LEN];
	bool has_delay = false;
	if (model_field_duration(c, o, "interval", base, &m->has_interval, &m->interval_ns) &&
	    m->has_interval && m->interval_ns < MODEL_NS_PER_SECOND) {
		/* Sub-second polling of a metrics server is load, not analysis. */
		model_path_key(path, base, "interval");
		model_errors_add(c->errs, path, "must be at least 1s");
	}
	model_field_duration(c, o, "initialDelay", base, &has_delay, &m->initial_delay_ns);
	int32_t count = 0;
	if (!model_field_int32(c, o, "count", base, 0, 0, &count))
		return;
	if (count > 1 && !m->has_interval) {
		model_path_key(path, base, "count");
		model_errors_add(c->errs, path, "count greater than 1 needs an interval");
	}
	/* As Argo's EffectiveCount: no count and no interval is one measurement;
	 * an interval alone measures until the run is terminated. */
	m->count = count > 0 ? count : (m->has_interval ? 0 : 1);
}

static bool parse_metric(struct model_fields *c, const json_t *o, const char *base,
                         struct model_metric *m)
{
	if (!json_is_object(o)) {
		model_errors_add(c->errs, base, "must be an object");
		return false;
	}
	size_t before = model_errors_count(c->errs);
	name_field(c, o, "name", base, &m->name);
	parse_schedule(c, o, base, m);
	model_analysis_text(c, o, "successCondition", base, false, MODEL_ANALYSIS_TEXT_MAX,
	                    &m->success_condition);
	model_analysis_text(c, o, "failureCondition", base, false, MODEL_ANALYSIS_TEXT_MAX,
	                    &m->failure_condition);
	/* -1 turns a limit off (ours: Argo Rollouts has no way to). */
	model_field_int32(c, o, "failureLimit", base, -1, 0, &m->failure_limit);
	model_field_int32(c, o, "inconclusiveLimit", base, -1, 0, &m->inconclusive_limit);
	model_field_int32(c, o, "consecutiveErrorLimit", base, -1,
	                  MODEL_ANALYSIS_DEFAULT_CONSECUTIVE_ERROR_LIMIT,
	                  &m->consecutive_error_limit);
	parse_provider(c, o, base, m);
	m->retention = MODEL_ANALYSIS_DEFAULT_RETENTION;
	return model_errors_count(c->errs) == before && m->name && m->provider;
}

static void parse_metrics(struct model_fields *c, const json_t *o, const char *base,
                          struct model_analysis_spec *s)
{
	void *items;
	json_t *arr = list_alloc(c, o, "metrics", base, true, MODEL_ANALYSIS_METRICS_MAX, "metrics",
	                         sizeof(*s->metrics), &items);
	s->metrics = items;
	char path[MODEL_PATH_LEN], ipath[MODEL_PATH_LEN];
	model_path_key(path, base, "metrics");
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v)
	{
		model_path_index(ipath, path, i);
		struct model_metric *m = &s->metrics[s->n_metrics];
		if (!parse_metric(c, v, ipath, m)) {
			metric_clear(m);
			continue;
		}
		if (model_analysis_metric(s, m->name)) {
			char npath[MODEL_PATH_LEN];
			model_path_key(npath, ipath, "name");
			model_errors_add(c->errs, npath, "duplicate metric \"%s\"", m->name);
		}
		s->n_metrics++;
	}
}

/* dryRun[] or measurementRetention[] (with limits). */
static void parse_refs(struct model_fields *c, const json_t *o, const char *base, const char *key,
                       bool with_limit, struct model_metric_ref **out, size_t *n)
{
	void *items;
	json_t *arr = list_alloc(c, o, key, base, false, MODEL_ANALYSIS_LISTS_MAX, "entries",
	                         sizeof(**out), &items);
	*out = items;
	char path[MODEL_PATH_LEN], ipath[MODEL_PATH_LEN];
	model_path_key(path, base, key);
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v)
	{
		model_path_index(ipath, path, i);
		if (!json_is_object(v)) {
			model_errors_add(c->errs, ipath, "must be an object");
			continue;
		}
		struct model_metric_ref *r = &(*out)[*n];
		bool ok = model_field_string(c, v, "metricName", ipath, true, &r->metric_name);
		if (with_limit) {
			char lpath[MODEL_PATH_LEN];
			model_path_key(lpath, ipath, "limit");
			if (!json_object_get(v, "limit")) {
				model_errors_add(c->errs, lpath, "required");
				ok = false;
			} else if (!model_field_int32(c, v, "limit", ipath, 1, 1, &r->limit)) {
				ok = false;
			} else if (r->limit > MODEL_ANALYSIS_RETENTION_MAX) {
				model_errors_add(c->errs, lpath, "must be at most %d",
				                 MODEL_ANALYSIS_RETENTION_MAX);
				ok = false;
			}
		}
		if (!ok) {
			free(r->metric_name);
			r->metric_name = NULL;
			continue;
		}
		(*n)++;
	}
}

/* Applies dryRun and measurementRetention to the metrics; an entry naming
 * no metric is an error (a typo would silently count a metric the user
 * meant to ignore), unless a metric failed to parse. A named entry wins
 * over "*". */
static void apply_refs(struct model_fields *c, const char *base, bool metrics_complete,
                       struct model_analysis_spec *s)
{
	const char *keys[2] = {"dryRun", "measurementRetention"};
	struct model_metric_ref *lists[2] = {s->dry_run, s->retention};
	size_t ns[2] = {s->n_dry_run, s->n_retention};
	for (int l = 0; l < 2; l++)
		for (size_t i = 0; i < ns[l]; i++) {
			const char *name = lists[l][i].metric_name;
			bool all = strcmp(name, MODEL_ANALYSIS_ALL_METRICS) == 0;
			if (!all && !model_analysis_metric(s, name) && metrics_complete) {
				char path[MODEL_PATH_LEN], ipath[MODEL_PATH_LEN];
				model_path_key(path, base, keys[l]);
				model_path_index(ipath, path, i);
				model_errors_add(c->errs, ipath, "metricName: no metric \"%.80s\"",
				                 name);
			}
			for (size_t m = 0; m < s->n_metrics; m++) {
				struct model_metric *x = &s->metrics[m];
				if (!all && strcmp(x->name, name) != 0)
					continue;
				if (l == 0)
					x->dry_run = true;
				else if (!all || x->retention == MODEL_ANALYSIS_DEFAULT_RETENTION)
					x->retention = lists[l][i].limit;
			}
		}
}

static void parse_spec(struct model_fields *c, const json_t *o, bool in_run,
                       struct model_analysis_spec *s)
{
	parse_args(c, o, "spec", in_run, s);
	parse_metrics(c, o, "spec", s);
	/* A metric that did not parse is already reported: naming it in dryRun
	 * is no second error. */
	bool complete =
	    s->n_metrics > 0 && json_array_size(json_object_get(o, "metrics")) == s->n_metrics;
	parse_refs(c, o, "spec", "dryRun", false, &s->dry_run, &s->n_dry_run);
	parse_refs(c, o, "spec", "measurementRetention", true, &s->retention, &s->n_retention);
	apply_refs(c, "spec", complete, s);
	if (in_run)
		model_field_bool(c, o, "terminate", "spec", false, &s->terminate);
}

void model_analysis_spec_clear(struct model_analysis_spec *s)
{
	for (size_t i = 0; i < s->n_args; i++)
		arg_clear(&s->args[i]);
	free(s->args);
	for (size_t i = 0; i < s->n_metrics; i++)
		metric_clear(&s->metrics[i]);
	free(s->metrics);
	for (size_t i = 0; i < s->n_dry_run; i++)
		free(s->dry_run[i].metric_name);
	free(s->dry_run);
	for (size_t i = 0; i < s->n_retention; i++)
		free(s->retention[i].metric_name);
	free(s->retention);
	memset(s, 0, sizeof(*s));
}

const struct model_metric *model_analysis_metric(const struct model_analysis_spec *s,
                                                 const char *name)
{
	for (size_t i = 0; i < s->n_metrics; i++)
		if (s->metrics[i].name && strcmp(s->metrics[i].name, name) == 0)
			return &s->metrics[i];
	return NULL;
}

/* ---- objects ---- */

/* metadata.name (required), namespace and uid. */
static void parse_metadata(struct model_fields *c, const json_t *obj, char **name, char **ns,
                           char **uid)
{
	json_t *md = model_field_object(c, obj, "metadata", "", true);
	if (!md)
		return;
	model_field_name(c, md, "name", "metadata", MODEL_NAME_DNS_SUBDOMAIN, true, name);
	json_t *v = json_object_get(md, "namespace");
	if (ns && json_is_string(v))
		*ns = model_fields_strdup(c, json_string_value(v));
	v = json_object_get(md, "uid");
	if (uid && json_is_string(v))
		*uid = model_fields_strdup(c, json_string_value(v));
}

/* kind, when given, is one of the two: reading one kind as another would
 * act on an object that means something else. */
static void check_kind(struct model_fields *c, const json_t *obj, const char *a, const char *b)
{
	json_t *k = json_object_get(obj, "kind");
	const char *s = json_string_value(k);
	if (!k || (s && (strcmp(s, a) == 0 || strcmp(s, b) == 0)))
		return;
	if (strcmp(a, b) == 0)
		model_errors_add(c->errs, "kind", "must be %s", a);
	else
		model_errors_add(c->errs, "kind", "must be %s or %s", a, b);
}

/* The verdict of a parse: -ENOMEM, -EINVAL when errors were added, else 0. */
static int verdict(const struct model_fields *c, size_t errors_before)
{
	if (c->oom)
		return -ENOMEM;
	return model_errors_count(c->errs) > errors_before ? -EINVAL : 0;
}

int model_analysis_template_parse(const json_t *obj, struct model_analysis_template **ret,
                                  struct model_errors *errs)
{
	struct model_errors scratch = {0};
	if (!errs) {
		int r = model_analysis_template_parse(obj, ret, &scratch);
		model_errors_clear(&scratch);
		return r;
	}
	size_t before = model_errors_count(errs);
	struct model_fields c = {.errs = errs};
	if (!json_is_object(obj)) {
		model_errors_add(errs, NULL, "an AnalysisTemplate must be a JSON object");
		return -EINVAL;
	}
	struct model_analysis_template *t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	const char *kind = json_string_value(json_object_get(obj, "kind"));
	t->cluster_scope = kind && strcmp(kind, MODEL_KIND_CLUSTER_ANALYSIS_TEMPLATE) == 0;
	check_kind(&c, obj, MODEL_KIND_ANALYSIS_TEMPLATE, MODEL_KIND_CLUSTER_ANALYSIS_TEMPLATE);
	parse_metadata(&c, obj, &t->name, t->cluster_scope ? NULL : &t->namespace, NULL);
	json_t *spec = model_field_object(&c, obj, "spec", "", true);
	if (spec)
		parse_spec(&c, spec, false, &t->spec);
	int r = verdict(&c, before);
	if (r < 0) {
		model_analysis_template_free(t);
		return r;
	}
	*ret = t;
	return 0;
}

struct model_analysis_template *model_analysis_template_free(struct model_analysis_template *t)
{
	if (!t)
		return NULL;
	free(t->name);
	free(t->namespace);
	model_analysis_spec_clear(&t->spec);
	free(t);
	return NULL;
}

int model_analysis_run_parse(const json_t *obj, struct model_analysis_run **ret,
                             struct model_errors *errs)
{
	struct model_errors scratch = {0};
	if (!errs) {
		int r = model_analysis_run_parse(obj, ret, &scratch);
		model_errors_clear(&scratch);
		return r;
	}
	size_t before = model_errors_count(errs);
	struct model_fields c = {.errs = errs};
	if (!json_is_object(obj)) {
		model_errors_add(errs, NULL, "an AnalysisRun must be a JSON object");
		return -EINVAL;
	}
	struct model_analysis_run *r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	check_kind(&c, obj, MODEL_KIND_ANALYSIS_RUN, MODEL_KIND_ANALYSIS_RUN);
	parse_metadata(&c, obj, &r->name, &r->namespace, &r->uid);
	json_t *spec = model_field_object(&c, obj, "spec", "", true);
	if (spec)
		parse_spec(&c, spec, true, &r->spec);
	model_analysis_parse_status(&c, model_field_object(&c, obj, "status", "", false),
	                            &r->status);
	int v = verdict(&c, before);
	if (v < 0) {
		model_analysis_run_free(r);
		return v;
	}
	*ret = r;
	return 0;
}

struct model_analysis_run *model_analysis_run_free(struct model_analysis_run *r)
{
	if (!r)
		return NULL;
	free(r->name);
	free(r->namespace);
	free(r->uid);
	model_analysis_spec_clear(&r->spec);
	model_analysis_status_clear(&r->status);
	free(r);
	return NULL;
}

bool model_analysis_spec_broken(const struct model_analysis_spec *s, char *out, size_t cap)
{
	for (size_t i = 0; i < s->n_metrics; i++) {
		const struct model_metric *m = &s->metrics[i];
		const char *field[] = {"successCondition", "failureCondition"};
		const char *src[] = {m->success_condition, m->failure_condition};
		for (size_t k = 0; k < 2; k++) {
			struct model_expr *e = NULL;
			struct model_expr_error xe = {0};
			if (!src[k] || model_expr_parse(src[k], &e, &xe) == 0) {
				model_expr_free(e);
				continue;
			}
			snprintf(out, cap, "metric %s: %s: %s", m->name, field[k], xe.message);
			return true;
		}
		char err[MODEL_JSONPATH_ERROR_LEN];
		if (m->provider == MODEL_PROVIDER_WEB && m->web.json_path &&
		    model_jsonpath_check(m->web.json_path, err) < 0) {
			snprintf(out, cap, "metric %s: jsonPath: %s", m->name, err);
			return true;
		}
	}
	return false;
}
