#include "model/release.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/fields.h"
#include "model/release-parse.h"
#include "model/timefmt.h"

void rel_parse_rolling(struct model_fields *c, const json_t *o, const char *base,
                       struct rel_rolling *r)
{
	r->max_surge = (struct model_intorstr){true, 25};
	r->max_unavailable = (struct model_intorstr){true, 25};
	bool ok_s = model_field_intorstr(c, o, "maxSurge", base, false, &r->max_surge);
	bool ok_u = model_field_intorstr(c, o, "maxUnavailable", base, true, &r->max_unavailable);
	/* As Deployment validation: a rollout that may neither add nor remove a
	 * pod can never progress. Checked on the written values, not on the
	 * resolved ones, which depend on replicas. */
	if (ok_s && ok_u && r->max_surge.value == 0 && r->max_unavailable.value == 0) {
		char path[MODEL_PATH_LEN];
		model_path_key(path, base, "maxUnavailable");
		model_errors_add(c->errs, path, "may not be 0 when maxSurge is 0");
	}
}

void rel_analysis_clear(struct rel_analysis *a)
{
	for (size_t i = 0; i < a->n_templates; i++)
		free(a->templates[i].template_name);
	free(a->templates);
	for (size_t i = 0; i < a->n_args; i++) {
		free(a->args[i].name);
		free(a->args[i].value);
	}
	free(a->args);
	memset(a, 0, sizeof(*a));
}

static void parse_analysis_templates(struct model_fields *c, const json_t *o, const char *base,
                                     struct rel_analysis *a)
{
	char path[MODEL_PATH_LEN], ipath[MODEL_PATH_LEN];
	json_t *ts;
	if (!model_field_array(c, o, "templates", base, true, REL_ANALYSIS_TEMPLATES_MAX,
	                       "templates", &ts))
		return;
	model_path_key(path, base, "templates");
	a->templates = calloc(json_array_size(ts), sizeof(*a->templates));
	if (!a->templates) {
		c->oom = true;
		return;
	}
	size_t i;
	json_t *t;
	json_array_foreach(ts, i, t)
	{
		model_path_index(ipath, path, i);
		if (!json_is_object(t)) {
			model_errors_add(c->errs, ipath, "must be an object");
			continue;
		}
		struct rel_analysis_template *dst = &a->templates[a->n_templates];
		if (!model_field_name(c, t, "templateName", ipath, MODEL_NAME_DNS_SUBDOMAIN, true,
		                      &dst->template_name))
			continue;
		a->n_templates++;
		model_field_bool(c, t, "clusterScope", ipath, false, &dst->cluster_scope);
	}
}

/* args[i].valueFrom: {podTemplateHashValue: Stable | Latest}, not beside a
 * value. False when an error was added. */
static bool parse_arg_value_from(struct model_fields *c, const json_t *arg, const char *base,
                                 bool has_value, enum rel_arg_from *from)
{
	static const char *const keys[] = {"podTemplateHashValue", NULL};
	char path[MODEL_PATH_LEN], hpath[MODEL_PATH_LEN];
	json_t *vf = model_field_object(c, arg, "valueFrom", base, false);
	if (!vf)
		return !json_object_get(arg, "valueFrom");
	model_path_key(path, base, "valueFrom");
	if (has_value) {
		model_errors_add(c->errs, path, "must not be given with value");
		return false;
	}
	if (!model_fields_only(c, vf, path, keys, "must have podTemplateHashValue"))
		return false;
	model_path_key(hpath, path, "podTemplateHashValue");
	const char *h = json_string_value(json_object_get(vf, "podTemplateHashValue"));
	if (h && strcmp(h, MODEL_POD_TEMPLATE_HASH_STABLE) == 0)
		*from = REL_ARG_STABLE_HASH;
	else if (h && strcmp(h, MODEL_POD_TEMPLATE_HASH_LATEST) == 0)
		*from = REL_ARG_LATEST_HASH;
	else {
		model_errors_add(c->errs, hpath,
		                 "must be \"" MODEL_POD_TEMPLATE_HASH_STABLE
		                 "\" or \"" MODEL_POD_TEMPLATE_HASH_LATEST "\"");
		return false;
	}
	return true;
}

static void parse_analysis_args(struct model_fields *c, const json_t *o, const char *base,
                                struct rel_analysis *a)
{
	char path[MODEL_PATH_LEN], ipath[MODEL_PATH_LEN];
	json_t *args;
	if (!model_field_array(c, o, "args", base, false, REL_ANALYSIS_ARGS_MAX, "args", &args) ||
	    json_array_size(args) == 0)
		return;
	model_path_key(path, base, "args");
	a->args = calloc(json_array_size(args), sizeof(*a->args));
	if (!a->args) {
		c->oom = true;
		return;
	}
	size_t i;
	json_t *arg;
	json_array_foreach(args, i, arg)
	{
		model_path_index(ipath, path, i);
		if (!json_is_object(arg)) {
			model_errors_add(c->errs, ipath, "must be an object");
			continue;
		}
		json_t *name = json_object_get(arg, "name");
		json_t *value = json_object_get(arg, "value");
		char fpath[MODEL_PATH_LEN];
		bool bad = false;
		if (!json_is_string(name) || json_string_length(name) == 0) {
			model_path_key(fpath, ipath, "name");
			model_errors_add(c->errs, fpath,
			                 name ? "must be a non-empty string" : "required");
			bad = true;
		}
		if (value && !json_is_string(value)) {
			model_path_key(fpath, ipath, "value");
			model_errors_add(c->errs, fpath, "must be a string");
			bad = true;
		}
		enum rel_arg_from from = REL_ARG_VALUE;
		bad = !parse_arg_value_from(c, arg, ipath, value != NULL, &from) || bad;
		if (bad)
			continue;
		struct rel_analysis_arg *dst = &a->args[a->n_args++];
		dst->name = model_fields_strdup(c, json_string_value(name));
		dst->value = model_fields_strdup(c, value ? json_string_value(value) : "");
		dst->from = from;
	}
}

void rel_parse_analysis(struct model_fields *c, const json_t *o, const char *base,
                        struct rel_analysis *a)
{
	parse_analysis_templates(c, o, base, a);
	parse_analysis_args(c, o, base, a);
}

static void parse_strategy(struct model_fields *c, const json_t *spec, struct rel_release *r)
{
	static const char *const kinds[] = {"rolling", "canary", "blueGreen", NULL};
	const char *expect = "must have exactly one of rolling, canary, blueGreen";
	const char *base = "spec.strategy";
	json_t *st = json_object_get(spec, "strategy");
	if (!st) {
		r->strategy = REL_STRATEGY_ROLLING;
		rel_parse_rolling(c, NULL, "spec.strategy.rolling", &r->rolling);
		return;
	}
	if (!json_is_object(st)) {
		model_errors_add(c->errs, base, "must be an object");
		return;
	}
	if (!model_fields_only(c, st, base, kinds, expect))
		return;
	if (json_object_size(st) != 1) {
		model_errors_add(c->errs, base, "%s", expect);
		return;
	}
	/* One key, and a known one: pick it. */
	const char *key = json_object_iter_key(json_object_iter(st));
	json_t *o = model_field_object(c, st, key, base, false);
	if (!o)
		return;
	if (strcmp(key, "rolling") == 0) {
		r->strategy = REL_STRATEGY_ROLLING;
		rel_parse_rolling(c, o, "spec.strategy.rolling", &r->rolling);
	} else if (strcmp(key, "canary") == 0) {
		r->strategy = REL_STRATEGY_CANARY;
		rel_parse_canary(c, o, "spec.strategy.canary", r->name, &r->canary);
	} else {
		r->strategy = REL_STRATEGY_BLUE_GREEN;
		rel_parse_blue_green(c, o, "spec.strategy.blueGreen", &r->selector, &r->blue_green);
	}
}

static void parse_selector(struct model_fields *c, const json_t *spec, struct rel_release *r)
{
	json_t *sel = model_field_object(c, spec, "selector", "spec", true);
	if (!sel)
		return;
	if (json_object_get(sel, "matchExpressions"))
		model_errors_add(c->errs, "spec.selector.matchExpressions",
		                 "not supported; use matchLabels");
	json_t *ml = json_object_get(sel, "matchLabels");
	if (!ml || (json_is_object(ml) && json_object_size(ml) == 0)) {
		/* An empty selector would select every pod in the namespace. */
		model_errors_add(c->errs, "spec.selector.matchLabels",
		                 "must have at least one label");
		return;
	}
	int rr = model_labels_from_json(ml, "spec.selector.matchLabels", &r->selector, c->errs);
	if (rr == -ENOMEM)
		c->oom = true;
	if (rr == 0 && model_labels_get(&r->selector, MODEL_LABEL_REVISION))
		model_errors_add(c->errs, "spec.selector.matchLabels",
		                 "%s is reserved for the controller", MODEL_LABEL_REVISION);
}

static void check_containers(struct model_fields *c, const json_t *podspec)
{
	const char *base = "spec.template.spec.containers";
	json_t *cs = json_object_get(podspec, "containers");
	if (!json_is_array(cs) || json_array_size(cs) == 0) {
		model_errors_add(c->errs, base, "must have at least one container");
		return;
	}
	if (json_array_size(cs) > REL_CONTAINERS_MAX) {
		model_errors_add(c->errs, base, "must have at most %d containers",
		                 REL_CONTAINERS_MAX);
		return;
	}
	size_t i;
	json_t *ct;
	json_array_foreach(cs, i, ct)
	{
		char ipath[MODEL_PATH_LEN], fpath[MODEL_PATH_LEN];
		model_path_index(ipath, base, i);
		if (!json_is_object(ct)) {
			model_errors_add(c->errs, ipath, "must be an object");
			continue;
		}
		json_t *name = json_object_get(ct, "name");
		if (!json_is_string(name) || json_string_length(name) == 0) {
			model_path_key(fpath, ipath, "name");
			model_errors_add(c->errs, fpath, "required");
		}
		/* The Pod API only insists on an image when a pod is created, so a
		 * template without one is accepted and fails later, pod by pod. */
		json_t *image = json_object_get(ct, "image");
		if (!json_is_string(image) || json_string_length(image) == 0) {
			model_path_key(fpath, ipath, "image");
			model_errors_add(c->errs, fpath, "required");
		}
	}
}

static void parse_template(struct model_fields *c, const json_t *spec, struct rel_release *r)
{
	json_t *t = model_field_object(c, spec, "template", "spec", true);
	if (!t)
		return;
	json_t *md = model_field_object(c, t, "metadata", "spec.template", false);
	json_t *labels = md ? json_object_get(md, "labels") : NULL;
	if (labels && !json_is_object(labels)) {
		model_errors_add(c->errs, "spec.template.metadata.labels", "must be an object");
		labels = NULL;
	}
	/* The CRD's schema does not check label syntax; pods with a bad label
	 * would be refused one by one, so say it once, here. */
	const char *key;
	json_t *val;
	json_object_foreach(labels, key, val)
	{
		if (!model_label_key_valid(key))
			model_errors_add(c->errs, "spec.template.metadata.labels",
			                 "invalid label key \"%.80s\"", key);
		else if (!json_is_string(val) || !model_label_value_valid(json_string_value(val)))
			model_errors_add(c->errs, "spec.template.metadata.labels",
			                 "%.80s: invalid label value", key);
	}
	if (json_object_get(labels, MODEL_LABEL_REVISION))
		model_errors_add(c->errs, "spec.template.metadata.labels",
		                 "%s is reserved for the controller", MODEL_LABEL_REVISION);
	if (r->selector.n > 0 && !model_labels_match(&r->selector, labels))
		model_errors_add(c->errs, "spec.template.metadata.labels",
		                 "must match spec.selector.matchLabels");
	json_t *ps = model_field_object(c, t, "spec", "spec.template", true);
	if (ps)
		check_containers(c, ps);
	r->template = json_incref(t);
	if (model_revision_hash(t, r->revision) < 0)
		c->oom = true;
}

/* spec.restartAt: an RFC 3339 date-time (the CRD says format: date-time, but
 * a hand-written object may still carry anything). */
static void parse_restart_at(struct model_fields *c, const json_t *spec, struct rel_release *r)
{
	json_t *v = json_object_get(spec, "restartAt");
	if (!v || json_is_null(v))
		return;
	if (!json_is_string(v) || model_time_parse(json_string_value(v), &r->restart_at) < 0 ||
	    r->restart_at <= 0) {
		r->restart_at = 0;
		model_errors_add(c->errs, "spec.restartAt",
		                 "must be an RFC 3339 time such as \"2026-12-02T18:30:00Z\"");
	}
}

static void parse_metadata(struct model_fields *c, const json_t *obj, struct rel_release *r)
{
	json_t *md = model_field_object(c, obj, "metadata", "", true);
	json_t *name = json_object_get(md, "name");
	if (!json_is_string(name) || json_string_length(name) == 0)
		model_errors_add(c->errs, "metadata.name", "required");
	else if (json_string_length(name) > REL_NAME_MAX)
		/* The API allows 253, but ReplicaSets are named NAME-REVISION. */
		model_errors_add(c->errs, "metadata.name",
		                 "must be at most %d characters, so that ReplicaSet names "
		                 "(name-revision) stay within 253",
		                 REL_NAME_MAX);
	else
		r->name = model_fields_strdup(c, json_string_value(name));
	json_t *ns = json_object_get(md, "namespace");
	if (json_is_string(ns))
		r->namespace = model_fields_strdup(c, json_string_value(ns));
	json_t *uid = json_object_get(md, "uid");
	if (json_is_string(uid))
		r->uid = model_fields_strdup(c, json_string_value(uid));
	json_t *gen = json_object_get(md, "generation");
	if (json_is_integer(gen) && json_integer_value(gen) >= 0)
		r->generation = json_integer_value(gen);
}

int rel_release_parse(const json_t *obj, struct rel_release **ret, struct model_errors *errs)
{
	struct model_errors scratch = {0};
	if (!errs) {
		int r = rel_release_parse(obj, ret, &scratch);
		model_errors_clear(&scratch);
		return r;
	}
	size_t errors_before = model_errors_count(errs);
	struct model_fields c = {.errs = errs};
	if (!json_is_object(obj)) {
		model_errors_add(errs, NULL, "a Release must be a JSON object");
		return -EINVAL;
	}
	struct rel_release *r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	parse_metadata(&c, obj, r);
	json_t *spec = model_field_object(&c, obj, "spec", "", true);
	if (spec) {
		model_field_int32(&c, spec, "replicas", "spec", 0, REL_DEFAULT_REPLICAS,
		                  &r->replicas);
		parse_selector(&c, spec, r);
		parse_template(&c, spec, r);
		model_field_int32(&c, spec, "minReadySeconds", "spec", 0, 0, &r->min_ready_seconds);
		model_field_int32(&c, spec, "revisionHistoryLimit", "spec", 0,
		                  REL_DEFAULT_REVISION_HISTORY_LIMIT, &r->revision_history_limit);
		bool ok_deadline = model_field_int32(&c, spec, "progressDeadlineSeconds", "spec", 1,
		                                     REL_DEFAULT_PROGRESS_DEADLINE_SECONDS,
		                                     &r->progress_deadline_seconds);
		/* As Deployment: pods must get a chance to count as available
		 * before the deadline can declare the rollout stuck. */
		if (ok_deadline && r->progress_deadline_seconds <= r->min_ready_seconds)
			model_errors_add(errs, "spec.progressDeadlineSeconds",
			                 "must be greater than minReadySeconds");
		model_field_bool(&c, spec, "paused", "spec", false, &r->paused);
		parse_restart_at(&c, spec, r);
		parse_strategy(&c, spec, r);
	}
	if (c.oom) {
		rel_release_free(r);
		return -ENOMEM;
	}
	if (model_errors_count(errs) > errors_before) {
		rel_release_free(r);
		return -EINVAL;
	}
	*ret = r;
	return 0;
}

struct rel_release *rel_release_free(struct rel_release *r)
{
	if (!r)
		return NULL;
	free(r->name);
	free(r->namespace);
	free(r->uid);
	model_labels_clear(&r->selector);
	json_decref(r->template);
	rel_canary_clear(&r->canary);
	rel_blue_green_clear(&r->blue_green);
	free(r);
	return NULL;
}

const char *rel_strategy_name(enum rel_strategy_kind kind)
{
	switch (kind) {
	case REL_STRATEGY_ROLLING:
		return "rolling";
	case REL_STRATEGY_CANARY:
		return "canary";
	case REL_STRATEGY_BLUE_GREEN:
		return "blueGreen";
	}
	return "unknown";
}

json_t *rel_template_images(const json_t *template)
{
	json_t *out = json_array();
	if (!out)
		return NULL;
	json_t *cs = json_object_get(json_object_get(template, "spec"), "containers");
	size_t i;
	json_t *ct;
	json_array_foreach(cs, i, ct)
	{
		json_t *image = json_object_get(ct, "image");
		if (!json_is_string(image))
			continue;
		if (json_array_append(out, image) != 0) {
			json_decref(out);
			return NULL;
		}
	}
	return out;
}
