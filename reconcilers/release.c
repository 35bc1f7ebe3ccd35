#include "reconcilers/release.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/api.h"
#include "model/condition.h"
#include "model/errors.h"
#include "model/release.h"
#include "model/revision.h"
#include "model/status.h"
#include "reconcilers/bluegreen.h"
#include "reconcilers/canary.h"
#include "reconcilers/context.h"
#include "reconcilers/replicaset.h"
#include "reconcilers/restart.h"
#include "reconcilers/rolling.h"
#include "reconcilers/status.h"

/* Reads the observed status; a status this controller cannot read (written
 * by hand, or by something else) is replaced rather than fatal. */
static int read_status(const json_t *st, struct rel_status *ret)
{
	int r = rel_status_from_json(st, ret);
	if (r == -EINVAL)
		r = rel_status_init(ret);
	return r;
}

/* Step 2 of the plan: a merge patch of the whole status when it changed. */
static int add_status_write(struct rec_plan *plan, const struct rec_ref *release,
                            const json_t *observed, const struct rel_status *next)
{
	json_t *body = rel_status_to_json(next);
	if (!body)
		return -ENOMEM;
	if (json_is_object(observed) && json_equal(body, observed)) {
		json_decref(body);
		return 0;
	}
	/* A merge patch keeps what it does not mention: null removes. */
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)observed, key, v)
	{
		if (!json_object_get(body, key) &&
		    json_object_set_new(body, key, json_null()) != 0) {
			json_decref(body);
			return -ENOMEM;
		}
	}
	struct rec_action *a = rec_plan_add(plan, REC_WRITE_STATUS, release, body);
	json_decref(body);
	return a ? 0 : -ENOMEM;
}

/* Invalid spec: Stalled with `reason`, phase
 * Degraded, and a Warning Event unless the observed status already said
 * exactly this. No other action. */
static int report_stalled(const struct rel_status *observed, struct rel_status *next,
                          int64_t generation, time_t now, const char *reason, const char *message,
                          const struct rec_ref *release, struct rec_plan *after)
{
	next->observed_generation = generation;
	next->phase = REL_PHASE_DEGRADED;
	int r = rel_status_set_string(&next->message, message);
	if (r == 0)
		r = rec_status_condition(next, generation, now, "Stalled", MODEL_CONDITION_TRUE,
		                         reason, message);
	if (r == 0)
		r = rec_status_condition(next, generation, now, "Ready", MODEL_CONDITION_FALSE,
		                         reason, message);
	if (r == 0)
		r = rec_status_condition(next, generation, now, "Reconciling",
		                         MODEL_CONDITION_FALSE, reason, message);
	if (r < 0)
		return r;
	/* Compare with what rec_status_condition wrote (it may have cut the message). */
	json_t *was = model_condition_find(observed->conditions, "Stalled");
	json_t *is = model_condition_find(next->conditions, "Stalled");
	bool same = was &&
	            json_equal(json_object_get(was, "status"), json_object_get(is, "status")) &&
	            json_equal(json_object_get(was, "reason"), json_object_get(is, "reason")) &&
	            json_equal(json_object_get(was, "message"), json_object_get(is, "message"));
	if (!same && !rec_plan_add_event(after, release, REC_EVENT_WARNING, reason, message))
		return -ENOMEM;
	return 0;
}

static int invalid_spec(const struct model_errors *errs, const struct rel_status *observed,
                        struct rel_status *next, int64_t generation, time_t now,
                        const struct rec_ref *release, struct rec_plan *after)
{
	char *list = model_errors_join(errs, "; ");
	if (!list)
		return -ENOMEM;
	size_t n = strlen(list) + 32;
	char *msg = malloc(n);
	int r = -ENOMEM;
	if (msg) {
		snprintf(msg, n, "invalid spec: %s", list);
		r = report_stalled(observed, next, generation, now, REC_REASON_INVALID_SPEC, msg,
		                   release, after);
	}
	free(msg);
	free(list);
	return r;
}

/* Keeps the newest REC_RS_MAX of the sorted c->rss, and the current
 * revision's wherever it sorts (a rollback makes an old one current): it
 * takes the place of the oldest kept, so the window stays sorted. */
static void keep_newest(struct rec_ctx *c, const char *new_name)
{
	if (c->n_rss <= REC_RS_MAX)
		return;
	size_t drop = c->n_rss - REC_RS_MAX;
	for (size_t i = 0; i < drop; i++) {
		if (strcmp(c->rss[i].name, new_name) == 0)
			c->rss[drop] = c->rss[i];
	}
	memmove(c->rss, c->rss + drop, REC_RS_MAX * sizeof(*c->rss));
	c->n_rss = REC_RS_MAX;
}

/* obj, when it is the object named new_name in rel's namespace and not one
 * of rel's own (those are among the owned ones): what stands under the
 * current revision's name. NULL otherwise. */
static const json_t *named_other(const json_t *obj, const struct rel_release *rel,
                                 const char *new_name)
{
	const json_t *md = json_object_get(obj, "metadata");
	const char *name = json_string_value(json_object_get(md, "name"));
	const char *ns = json_string_value(json_object_get(md, "namespace"));
	if (!name || strcmp(name, new_name) != 0 || model_controlled_by(obj, rel->uid))
		return NULL;
	if ((ns || rel->namespace) && !(ns && rel->namespace && strcmp(ns, rel->namespace) == 0))
		return NULL;
	return obj;
}

/* The owned ReplicaSets, older first: all of them are read and sorted
 * before the window of REC_RS_MAX is chosen, so which ones are decided on
 * does not depend on the order the cache hands them over in. Returns 0 or
 * -ENOMEM. */
static int owned_replicasets(const struct rec_observed *o, const struct rel_release *rel,
                             struct rec_ctx *c)
{
	size_t n = o->n_replicasets;
	c->rss = calloc(n ? n : 1, sizeof(*c->rss));
	if (!c->rss)
		return -ENOMEM;
	char new_name[MODEL_NAME_MAX + 1];
	int r = model_child_name(rel->name, rel->revision, new_name, sizeof(new_name));
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		const json_t *obj = o->replicasets[i];
		struct rec_rs v;
		if (!model_controlled_by(obj, rel->uid) || rec_rs_read(obj, &v) < 0)
			continue;
		const char *ns = json_string_value(
		    json_object_get(json_object_get(obj, "metadata"), "namespace"));
		if ((ns || rel->namespace) &&
		    !(ns && rel->namespace && strcmp(ns, rel->namespace) == 0))
			continue;
		if (v.deleting) {
			if (strcmp(v.name, new_name) == 0)
				c->new_name_deleting = true;
			continue;
		}
		c->rss[c->n_rss++] = v;
	}
	qsort(c->rss, c->n_rss, sizeof(*c->rss), rec_rs_cmp_older);
	keep_newest(c, new_name);
	c->named = named_other(o->named_replicaset, rel, new_name);
	return 0;
}

/* The AnalysisRuns of o that rel controls, in its namespace and not being
 * deleted, into c (a new array of borrowed pointers). 0 or -ENOMEM. */
static int owned_runs(const struct rec_observed *o, const struct rel_release *rel,
                      struct rec_ctx *c, const json_t ***ret)
{
	size_t n = o->analysis_runs ? o->n_analysis_runs : 0, k = 0;
	const json_t **runs = calloc(n ? n : 1, sizeof(*runs));
	if (!runs)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const json_t *md = json_object_get(o->analysis_runs[i], "metadata");
		const char *ns = json_string_value(json_object_get(md, "namespace"));
		json_t *deleting = json_object_get(md, "deletionTimestamp");
		if (!model_controlled_by(o->analysis_runs[i], rel->uid) ||
		    (deleting && !json_is_null(deleting)))
			continue;
		if ((ns || rel->namespace) &&
		    !(ns && rel->namespace && strcmp(ns, rel->namespace) == 0))
			continue;
		runs[k++] = o->analysis_runs[i];
	}
	c->analysis_runs = runs;
	c->n_analysis_runs = k;
	c->analysis_templates = o->analysis_templates;
	c->n_analysis_templates = o->analysis_templates ? o->n_analysis_templates : 0;
	c->approvals = o->approvals;
	c->n_approvals = o->approvals ? o->n_approvals : 0;
	c->approval_policy = o->approval_policy;
	c->approval_bindings = o->approval_bindings;
	c->n_approval_bindings = o->approval_bindings ? o->n_approval_bindings : 0;
	*ret = runs;
	return 0;
}

/* The router objects of o, for the canary (all borrowed). */
static struct rec_traffic_observed traffic_observed(const struct rec_observed *o)
{
	return (struct rec_traffic_observed){
	    .stable_service = o->stable_service,
	    .canary_service = o->canary_service,
	    .http_routes = o->http_routes,
	    .n_http_routes = o->http_routes ? o->n_http_routes : 0,
	    .stable_ingress = o->stable_ingress,
	    .owned_ingresses = o->owned_ingresses,
	    .n_owned_ingresses = o->owned_ingresses ? o->n_owned_ingresses : 0,
	};
}

/* The strategy's reconciler. */
static int strategy_reconcile(struct rec_ctx *c, const struct rec_observed *o,
                              struct rec_plan *actions, struct rec_plan *after)
{
	switch (c->rel->strategy) {
	case REL_STRATEGY_CANARY:
		return rec_canary_reconcile(c, actions, after);
	case REL_STRATEGY_BLUE_GREEN:
		return rec_bluegreen_reconcile(c, o->pods, o->n_pods, actions, after);
	default:
		return rec_rolling_reconcile(c, actions, after);
	}
}

int rec_release_child_name(const json_t *release, char *buf, size_t len)
{
	const char *name =
	    json_string_value(json_object_get(json_object_get(release, "metadata"), "name"));
	const json_t *tmpl = json_object_get(json_object_get(release, "spec"), "template");
	char revision[MODEL_REVISION_LEN + 1];
	if (!name)
		return -EINVAL;
	int r = model_revision_hash(tmpl, revision);
	if (r < 0)
		return r;
	r = model_child_name(name, revision, buf, len);
	return r < 0 ? r : 0;
}

int rec_release_reconcile(const struct rec_observed *o, struct rec_plan *plan)
{
	const json_t *md = json_object_get(o->release, "metadata");
	const char *name = json_string_value(json_object_get(md, "name"));
	if (!name)
		return 0;
	/* Being deleted: the garbage collector removes the ReplicaSets; a new
	 * one now would only race it (Deployment only syncs status then). */
	json_t *deleting = json_object_get(md, "deletionTimestamp");
	if (deleting && !json_is_null(deleting))
		return 0;
	json_t *gen = json_object_get(md, "generation");
	int64_t generation =
	    json_is_integer(gen) && json_integer_value(gen) >= 0 ? json_integer_value(gen) : 0;
	struct rec_ref release = {
	    .group = (char *)model_release_gvk.group,
	    .version = (char *)model_release_gvk.version,
	    .resource = (char *)model_release_gvk.resource,
	    .kind = (char *)model_release_gvk.kind,
	    .ns = (char *)json_string_value(json_object_get(md, "namespace")),
	    .name = (char *)name,
	    .uid = (char *)json_string_value(json_object_get(md, "uid")),
	    .resource_version = (char *)json_string_value(json_object_get(md, "resourceVersion")),
	};
	const json_t *status_json = json_object_get(o->release, "status");

	struct rel_status observed = {0}, next = {0};
	struct rel_release *rel = NULL;
	struct model_errors errs = {0};
	struct rec_plan actions, after;
	struct rec_ctx c = {0};
	const json_t **runs = NULL;
	struct rec_traffic_observed traffic = traffic_observed(o);
	rec_plan_init(&actions);
	rec_plan_init(&after);

	int r = read_status(status_json, &observed);
	if (r == 0)
		r = read_status(status_json, &next);
	if (r < 0)
		goto out;

	r = rel_release_parse(o->release, &rel, &errs);
	if (r == -EINVAL) {
		r = invalid_spec(&errs, &observed, &next, generation, o->now, &release, &after);
	} else if (r == 0) {
		c.rel = rel;
		c.release = &release;
		c.observed = &observed;
		c.next = &next;
		c.now = o->now;
		c.failure = o->failure;
		c.traffic = &traffic;
		r = owned_replicasets(o, rel, &c);
		if (r == 0)
			r = owned_runs(o, rel, &c, &runs);
		if (r == 0)
			r = strategy_reconcile(&c, o, &actions, &after);
		if (r == 0)
			r = rec_restart_reconcile(&c, o->pods, o->n_pods, &after);
	}
	if (r == 0)
		r = add_status_write(&actions, &release, status_json, &next);
	if (r == 0)
		r = rec_plan_take(&actions, &after);
	if (r == 0)
		r = rec_plan_take(plan, &actions);
out:
	free(c.rss);
	free(runs);
	rec_plan_clear(&actions);
	rec_plan_clear(&after);
	rel_release_free(rel);
	model_errors_clear(&errs);
	rel_status_clear(&observed);
	rel_status_clear(&next);
	return r;
}
