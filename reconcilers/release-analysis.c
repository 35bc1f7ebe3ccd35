#include "reconcilers/release-analysis.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/analysis-args.h"
#include "model/analysis.h"
#include "model/errors.h"
#include "model/timefmt.h"
#include "reconcilers/replicaset.h"

/* A label value is at most 63 characters. */
#define LABEL_VALUE_MAX 63

static bool streq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

static const char *meta_str(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(json_object_get(obj, "metadata"), key));
}

int rec_analysis_run_name(const char *release, const struct rec_analysis_request *q, char *buf,
                          size_t len)
{
	char base[MODEL_NAME_MAX + 1];
	if (model_child_name(release, q->latest, base, sizeof(base)) < 0)
		return -ENAMETOOLONG;
	int n = q->attempt > 0 ? snprintf(buf, len, "%s-%s.%d", base, q->purpose, (int)q->attempt)
	                       : snprintf(buf, len, "%s-%s", base, q->purpose);
	if (n < 0 || (size_t)n >= len || n > MODEL_NAME_MAX)
		return -ENAMETOOLONG;
	return 0;
}

static const json_t *find_run(const struct rec_ctx *c, const char *name)
{
	for (size_t i = 0; i < c->n_analysis_runs; i++) {
		if (streq(meta_str(c->analysis_runs[i], "name"), name))
			return c->analysis_runs[i];
	}
	return NULL;
}

static enum model_analysis_phase run_phase(const json_t *run)
{
	const char *s = json_string_value(json_object_get(json_object_get(run, "status"), "phase"));
	enum model_analysis_phase p = MODEL_ANALYSIS_PENDING;
	if (s && model_analysis_phase_parse(s, &p) < 0)
		p = MODEL_ANALYSIS_PENDING;
	return p;
}

/* "template error-rate" or "templates error-rate, cluster/latency". */
static void templates_text(const struct rel_analysis *a, char *out, size_t len)
{
	size_t used = (size_t)snprintf(out, len, "template%s ", a->n_templates == 1 ? "" : "s");
	for (size_t i = 0; i < a->n_templates && used < len; i++) {
		const struct rel_analysis_template *t = &a->templates[i];
		used += (size_t)snprintf(out + used, len - used, "%s%s%s", i ? ", " : "",
		                         t->cluster_scope ? "cluster/" : "", t->template_name);
	}
}

/* The outcome of an observed run, with its words. */
static void judge_run(const struct rec_analysis_request *q, const json_t *run,
                      struct rec_analysis_result *res)
{
	enum model_analysis_phase p = run_phase(run);
	res->exists = true;
	switch (p) {
	case MODEL_ANALYSIS_SUCCESSFUL:
		res->outcome = REC_ANALYSIS_SUCCEEDED;
		return;
	case MODEL_ANALYSIS_FAILED:
	case MODEL_ANALYSIS_ERROR:
		res->outcome = REC_ANALYSIS_FAILED;
		res->reason = REC_REASON_ANALYSIS_RUN_FAILED;
		break;
	case MODEL_ANALYSIS_INCONCLUSIVE:
		res->outcome = REC_ANALYSIS_INCONCLUSIVE;
		res->reason = REC_REASON_ANALYSIS_RUN_INCONCLUSIVE;
		break;
	default:
		res->outcome = REC_ANALYSIS_WAITING;
		return;
	}
	char tmpl[512];
	templates_text(q->analysis, tmpl, sizeof(tmpl));
	const char *msg =
	    json_string_value(json_object_get(json_object_get(run, "status"), "message"));
	snprintf(res->message, sizeof(res->message), "analysis run %s (%s) %s%s%s", res->name, tmpl,
	         model_analysis_phase_name(p), msg && msg[0] ? ": " : "", msg ? msg : "");
	model_text_sanitize(res->message);
}

int rec_analysis_observe(const struct rec_ctx *c, const struct rec_analysis_request *q,
                         struct rec_analysis_result *res)
{
	*res = (struct rec_analysis_result){0};
	if (rec_analysis_run_name(c->rel->name, q, res->name, sizeof(res->name)) < 0) {
		res->name[0] = '\0';
		res->outcome = REC_ANALYSIS_BLOCKED;
		res->reason = REC_REASON_ANALYSIS_TEMPLATE_INVALID;
		snprintf(res->message, sizeof(res->message),
		         "the AnalysisRun's name for %s would be longer than %d characters",
		         q->purpose, MODEL_NAME_MAX);
		return -ENAMETOOLONG;
	}
	const json_t *run = find_run(c, res->name);
	if (run)
		judge_run(q, run, res);
	return 0;
}

/* ---- making a run ---------------------------------------------------------- */

/* The template t names among c->analysis_templates: an AnalysisTemplate in
 * the Release's namespace, or (clusterScope) a ClusterAnalysisTemplate,
 * which has no namespace. */
static const json_t *find_template(const struct rec_ctx *c, const struct rel_analysis_template *t)
{
	for (size_t i = 0; i < c->n_analysis_templates; i++) {
		const json_t *o = c->analysis_templates[i];
		const char *ns = meta_str(o, "namespace");
		bool cluster = !ns || !ns[0];
		if (!streq(meta_str(o, "name"), t->template_name) || cluster != t->cluster_scope)
			continue;
		if (cluster || (c->rel->namespace && streq(ns, c->rel->namespace)))
			return o;
	}
	return NULL;
}

static const char *kind_of(const struct rel_analysis_template *t)
{
	return t->cluster_scope ? MODEL_KIND_CLUSTER_ANALYSIS_TEMPLATE
	                        : MODEL_KIND_ANALYSIS_TEMPLATE;
}

/* BLOCKED with reason and "<what>: <errs>". */
static void blocked(struct rec_analysis_result *res, const char *reason, const char *what,
                    const struct model_errors *errs)
{
	char *list = errs ? model_errors_join(errs, "; ") : NULL;
	res->outcome = REC_ANALYSIS_BLOCKED;
	res->reason = reason;
	bool any = list && list[0];
	snprintf(res->message, sizeof(res->message), "%s%s%s", what, any ? ": " : "",
	         any ? list : "");
	model_text_sanitize(res->message);
	free(list);
}

/* What the templates of a make: their objects and parsed forms. */
struct made {
	size_t n;
	const json_t *obj[REL_ANALYSIS_TEMPLATES_MAX];
	struct model_analysis_template *t[REL_ANALYSIS_TEMPLATES_MAX];
	struct model_analysis_spec merged;
	struct model_analysis_arg *args;
	size_t n_args;
};

static void made_clear(struct made *m)
{
	for (size_t i = 0; i < m->n; i++)
		model_analysis_template_free(m->t[i]);
	model_analysis_spec_clear(&m->merged);
	model_analysis_args_free(m->args, m->n_args);
}

/* Finds and parses every template of q. 0 (res BLOCKED when one is
 * missing or invalid) or -ENOMEM. */
static int read_templates(const struct rec_ctx *c, const struct rec_analysis_request *q,
                          struct made *m, struct rec_analysis_result *res)
{
	char what[512];
	for (size_t i = 0; i < q->analysis->n_templates && i < REL_ANALYSIS_TEMPLATES_MAX; i++) {
		const struct rel_analysis_template *ref = &q->analysis->templates[i];
		const json_t *o = find_template(c, ref);
		if (!o) {
			snprintf(what, sizeof(what), "%s %s not found%s%s", kind_of(ref),
			         ref->template_name, ref->cluster_scope ? "" : " in namespace ",
			         ref->cluster_scope ? ""
			                            : (c->rel->namespace ? c->rel->namespace : ""));
			blocked(res, REC_REASON_ANALYSIS_TEMPLATE_NOT_FOUND, what, NULL);
			return 0;
		}
		struct model_errors errs = {0};
		int r = model_analysis_template_parse(o, &m->t[m->n], &errs);
		if (r == -EINVAL) {
			snprintf(what, sizeof(what), "%s %s is invalid", kind_of(ref),
			         ref->template_name);
			blocked(res, REC_REASON_ANALYSIS_TEMPLATE_INVALID, what, &errs);
		}
		model_errors_clear(&errs);
		if (r < 0)
			return r == -EINVAL ? 0 : r;
		m->obj[m->n] = o;
		/* A broken condition is the template's fault: held, not a run
		 * that ends in Error and rolls the canary back. */
		char broken[384];
		if (model_analysis_spec_broken(&m->t[m->n++]->spec, broken, sizeof(broken))) {
			snprintf(what, sizeof(what), "%s %s is invalid: %s", kind_of(ref),
			         ref->template_name, broken);
			blocked(res, REC_REASON_ANALYSIS_TEMPLATE_INVALID, what, NULL);
			return 0;
		}
	}
	return 0;
}

/* Merges the templates and resolves the args. 0 (res BLOCKED when they do
 * not fit) or -ENOMEM. */
static int resolve(const struct rec_analysis_request *q, struct made *m,
                   struct rec_analysis_result *res)
{
	struct model_errors errs = {0};
	char what[640];
	int r = model_analysis_merge((const struct model_analysis_template *const *)m->t, m->n,
	                             &m->merged, &errs);
	if (r == 0) {
		struct model_revisions rev = {.stable = q->stable, .latest = q->latest};
		r = model_analysis_resolve_args(&m->merged, q->analysis, &rev, &m->args, &m->n_args,
		                                &errs);
	}
	if (r == -EINVAL) {
		char tmpl[512];
		templates_text(q->analysis, tmpl, sizeof(tmpl));
		snprintf(what, sizeof(what), "%s cannot make an AnalysisRun", tmpl);
		blocked(res, REC_REASON_ANALYSIS_TEMPLATE_INVALID, what, &errs);
		r = 0;
	}
	model_errors_clear(&errs);
	return r;
}

/* A run's arg: a value, or a Secret's name and key (never its value). */
static json_t *arg_json(const struct model_analysis_arg *a)
{
	if (a->source == MODEL_ARG_SECRET)
		return json_pack("{s:s,s:{s:{s:s,s:s}}}", "name", a->name, "valueFrom",
		                 "secretKeyRef", "name", a->secret_name, "key", a->secret_key);
	return json_pack("{s:s,s:s}", "name", a->name, "value", a->value ? a->value : "");
}

/* Appends every element of each template's spec.<key> to a new array. */
static json_t *concat(const struct made *m, const char *key)
{
	json_t *out = json_array();
	for (size_t i = 0; out && i < m->n; i++) {
		json_t *part = json_object_get(json_object_get(m->obj[i], "spec"), key);
		if (json_is_array(part) && json_array_extend(out, part) < 0) {
			json_decref(out);
			return NULL;
		}
	}
	return out;
}

static json_t *run_spec(const struct made *m)
{
	json_t *args = json_array(), *spec = json_object();
	bool ok = args && spec;
	for (size_t i = 0; ok && i < m->n_args; i++)
		ok = json_array_append_new(args, arg_json(&m->args[i])) == 0;
	static const char *const lists[] = {"metrics", "dryRun", "measurementRetention"};
	for (size_t i = 0; ok && i < 3; i++) {
		json_t *l = concat(m, lists[i]);
		ok = l != NULL;
		if (ok && (i == 0 || json_array_size(l) > 0))
			ok = json_object_set(spec, lists[i], l) == 0;
		json_decref(l);
	}
	if (ok && json_array_size(args) > 0)
		ok = json_object_set(spec, "args", args) == 0;
	json_decref(args);
	if (!ok) {
		json_decref(spec);
		return NULL;
	}
	return spec;
}

static json_t *run_metadata(const struct rec_ctx *c, const struct rec_analysis_request *q,
                            const char *name)
{
	const struct rel_release *rel = c->rel;
	json_t *labels =
	    json_pack("{s:s,s:s,s:s}", MODEL_LABEL_REVISION, q->latest, MODEL_LABEL_ANALYSIS,
	              q->purpose, MODEL_LABEL_MANAGED_BY, MODEL_LABEL_MANAGED_BY_VALUE);
	json_t *owner = rec_rs_owner_ref(rel);
	json_t *md =
	    json_pack("{s:s,s:o,s:[o]}", "name", name, "labels", labels, "ownerReferences", owner);
	bool ok = md != NULL;
	/* A longer name cannot be a label value; the ownerReference still
	 * ties the run to the Release. */
	if (ok && strlen(rel->name) <= LABEL_VALUE_MAX)
		ok = json_object_set_new(labels, MODEL_LABEL_RELEASE, json_string(rel->name)) == 0;
	if (ok && rel->namespace)
		ok = json_object_set_new(md, "namespace", json_string(rel->namespace)) == 0;
	if (!ok) {
		json_decref(md);
		return NULL;
	}
	return md;
}

/* The CREATE of the run made from m. 0 or -ENOMEM. */
static int plan_create(const struct rec_ctx *c, const struct rec_analysis_request *q,
                       const struct made *m, const char *name, struct rec_plan *actions)
{
	json_t *md = run_metadata(c, q, name);
	json_t *spec = md ? run_spec(m) : NULL;
	json_t *run = spec ? json_pack("{s:s,s:s,s:o,s:o}", "apiVersion", MODEL_API_VERSION, "kind",
	                               model_analysis_run_gvk.kind, "metadata", md, "spec", spec)
	                   : NULL;
	if (!run) {
		json_decref(spec ? NULL : md);
		return -ENOMEM;
	}
	struct rec_ref ref = {
	    .group = (char *)model_analysis_run_gvk.group,
	    .version = (char *)model_analysis_run_gvk.version,
	    .resource = (char *)model_analysis_run_gvk.resource,
	    .kind = (char *)model_analysis_run_gvk.kind,
	    .ns = c->rel->namespace,
	    .name = (char *)name,
	};
	struct rec_action *a = rec_plan_add(actions, REC_CREATE, &ref, run);
	json_decref(run);
	return a ? 0 : -ENOMEM;
}

int rec_analysis_ensure(const struct rec_ctx *c, const struct rec_analysis_request *q,
                        struct rec_plan *actions, struct rec_analysis_result *res)
{
	int r = rec_analysis_observe(c, q, res);
	if (r == -ENAMETOOLONG || res->exists)
		return 0;
	struct made m = {0};
	r = read_templates(c, q, &m, res);
	if (r == 0 && res->outcome != REC_ANALYSIS_BLOCKED)
		r = resolve(q, &m, res);
	if (r == 0 && res->outcome != REC_ANALYSIS_BLOCKED)
		r = plan_create(c, q, &m, res->name, actions);
	made_clear(&m);
	return r;
}

/* ---- runs that no longer matter -------------------------------------------- */

static bool kept(const char *name, const char *const *keep, size_t n_keep)
{
	for (size_t i = 0; i < n_keep; i++)
		if (streq(keep[i], name))
			return true;
	return false;
}

/* Newer first: creationTimestamp, then name. */
static int cmp_newer(const void *a, const void *b)
{
	const json_t *x = *(const json_t *const *)a, *y = *(const json_t *const *)b;
	time_t tx = 0, ty = 0;
	const char *sx = meta_str(x, "creationTimestamp"), *sy = meta_str(y, "creationTimestamp");
	if (sx && model_time_parse(sx, &tx) < 0)
		tx = 0;
	if (sy && model_time_parse(sy, &ty) < 0)
		ty = 0;
	if (tx != ty)
		return tx > ty ? -1 : 1;
	const char *nx = meta_str(x, "name"), *ny = meta_str(y, "name");
	return strcmp(ny ? ny : "", nx ? nx : "");
}

static struct rec_ref run_ref(const struct rec_ctx *c, const json_t *run)
{
	return (struct rec_ref){
	    .group = (char *)model_analysis_run_gvk.group,
	    .version = (char *)model_analysis_run_gvk.version,
	    .resource = (char *)model_analysis_run_gvk.resource,
	    .kind = (char *)model_analysis_run_gvk.kind,
	    .ns = c->rel->namespace,
	    .name = (char *)meta_str(run, "name"),
	    .uid = (char *)meta_str(run, "uid"),
	};
}

/* Stops a run still measuring: spec.terminate, uid as precondition only
 * (the run controller writes its status all the time). */
static int terminate(const struct rec_ctx *c, const json_t *run, struct rec_plan *actions)
{
	bool done = model_analysis_phase_completed(run_phase(run));
	if (done || json_is_true(json_object_get(json_object_get(run, "spec"), "terminate")))
		return 0;
	json_t *patch = json_pack("{s:{s:b}}", "spec", "terminate", 1);
	struct rec_ref ref = run_ref(c, run);
	struct rec_action *a = patch ? rec_plan_add(actions, REC_MERGE_PATCH, &ref, patch) : NULL;
	json_decref(patch);
	return a ? 0 : -ENOMEM;
}

int rec_analysis_tidy(const struct rec_ctx *c, const char *const *keep, size_t n_keep,
                      struct rec_plan *actions)
{
	const json_t **old = calloc(c->n_analysis_runs ? c->n_analysis_runs : 1, sizeof(*old));
	if (!old)
		return -ENOMEM;
	size_t n = 0;
	int r = 0;
	for (size_t i = 0; r == 0 && i < c->n_analysis_runs; i++) {
		const json_t *run = c->analysis_runs[i];
		/* Without a name or uid (not an object the API server made) it
		 * cannot be patched or deleted safely: left alone. */
		if (!meta_str(run, "name") || !meta_str(run, "uid") ||
		    kept(meta_str(run, "name"), keep, n_keep))
			continue;
		old[n++] = run;
		r = terminate(c, run, actions);
	}
	qsort(old, n, sizeof(*old), cmp_newer);
	for (size_t i = REC_ANALYSIS_RUNS_KEPT; r == 0 && i < n; i++) {
		struct rec_ref ref = run_ref(c, old[i]);
		if (!rec_plan_add(actions, REC_DELETE, &ref, NULL))
			r = -ENOMEM;
	}
	free(old);
	return r;
}
