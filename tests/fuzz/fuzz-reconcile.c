/* libFuzzer: the whole Release reconcile on hostile observed state. The
 * input is {"release": ..., "replicasets": [...], "now": seconds}: any
 * Release, any ReplicaSets claiming to be its own. The reconcile must not
 * crash or leak, and for a valid rolling Release the plan must keep the
 * Deployment guarantees it promises, applied to the ReplicaSets it sees:
 *
 *   surge:        if the pods wanted were within replicas + maxSurge, the
 *                 plan keeps them there;
 *   availability: if available pods were at least replicas - maxUnavailable,
 *                 no scale-down in the plan takes them below (a scale-down
 *                 removes unavailable pods first, as the ReplicaSet
 *                 controller does, so a ReplicaSet keeps min(available,
 *                 replicas) available pods).
 *
 * The same holds for a canary Release by replica ratio (its
 * spec.strategy.canary maxSurge and maxUnavailable), where the surge bound is
 * max(replicas + maxSurge, 2 * minPodsPerReplicaSet): both sides keep
 * minPodsPerReplicaSet pods for weights 1..99, even with few replicas.
 *
 * A canary Release under traffic routing gets the router objects of the
 * input too ("stableService", "canaryService", "httpRoutes": [...],
 * "stableIngress", "ownedIngresses": [...]; anything, hostile like the
 * rest), and its plan must keep the router promises, applied to what it
 * observed:
 *
 *   weight:       no canary weight written (an HTTPRoute patch, the canary
 *                 Ingress's canary-weight) above the larger of the step's
 *                 weight (the step the plan's status records), the weight
 *                 the observed status recorded and the weight the router
 *                 had: the weight rises only to the step's; it stays where
 *                 it was only while a lower one waits (dynamicStableScale);
 *   pods:         no weight above 0 written while the revision canaryService
 *                 selects after the plan has no available pod, and (scale,
 *                 then shift) none raised above what the router had and the
 *                 status recorded unless that revision has the available
 *                 pods for it (its share of replicas, rounded up, at least
 *                 minPodsPerReplicaSet; not judged with setCanaryScale);
 *   stable:       the ReplicaSet stableService selects after the plan is not
 *                 scaled below spec.replicas (with dynamicStableScale, below
 *                 the share of the stable weight the plan writes), unless it
 *                 was below already.
 *
 * Analysis: "analysisRuns" and "analysisTemplates" (arrays, anything) are
 * the runs the Release is to control and the templates it names. Every
 * AnalysisRun action of any plan keeps the run promises:
 *
 *   create:       the run is controlled by the Release (ownerReference with
 *                 its uid, controller: true), in its namespace, with a name
 *                 no observed run of the Release has, created once in the
 *                 plan; no arg carries both a value and a secretKeyRef (a
 *                 Secret's value never goes into a run's spec);
 *   patch/delete: only of runs the Release controls, by their uid; a patch
 *                 only sets spec.terminate.
 *
 * A blue-green Release gets its Services from "activeService" and
 * "previewService" (else "stableService" and "canaryService") and its pods
 * from "pods", and its plan must keep the blue-green promises:
 *
 *   switch:       activeService is only patched to a revision whose
 *                 ReplicaSet has spec.replicas available pods, or at least
 *                 as many as what it selected (one revision's, or every
 *                 one's when its selector lacks the key), or when no other
 *                 revision has an available pod (the first revision);
 *   active:       the ReplicaSet activeService selects after the plan is not
 *                 scaled below spec.replicas, unless it was below already.
 *
 * Inputs the guarantees do not speak of are only run, not judged: a
 * ReplicaSet being deleted, two with one name (for the routers: one
 * revision), or a change of replicas (a scaling event: the bounds move with
 * it). */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/api.h"
#include "model/errors.h"
#include "model/intorstr.h"
#include "model/release.h"
#include "model/revision.h"
#include "reconcilers/patch.h"
#include "reconcilers/release.h"
#include "reconcilers/replicaset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_RS 32

struct sizes {
	size_t n;
	struct rec_rs rs[MAX_RS];
	int64_t planned[MAX_RS];
	int64_t created;    /* replicas of a ReplicaSet the plan creates */
	bool same_revision; /* two ReplicaSets of one revision: routers not judged */
};

static int64_t min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

static const char *namespace_of(const json_t *obj)
{
	return json_string_value(json_object_get(json_object_get(obj, "metadata"), "namespace"));
}

static bool same_namespace(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* Reads the ReplicaSets the reconcile sees as the Release's own (controlled
 * by its uid, in its namespace); false when the input is one the guarantees
 * do not judge. */
static bool read_owned(const json_t *rss, const json_t *release, const char *uid, struct sizes *s)
{
	size_t i;
	json_t *obj;
	json_array_foreach(rss, i, obj)
	{
		struct rec_rs v;
		if (!model_controlled_by(obj, uid) ||
		    !same_namespace(namespace_of(obj), namespace_of(release)) ||
		    rec_rs_read(obj, &v) < 0)
			continue;
		if (s->n == MAX_RS || v.deleting)
			return false;
		for (size_t j = 0; j < s->n; j++) {
			if (strcmp(s->rs[j].name, v.name) == 0)
				return false;
			if (v.revision && s->rs[j].revision &&
			    strcmp(s->rs[j].revision, v.revision) == 0)
				s->same_revision = true;
		}
		s->planned[s->n] = v.spec_replicas;
		s->rs[s->n++] = v;
	}
	return true;
}

/* Applies the plan's ReplicaSet writes to the sizes. */
static void apply_plan(const struct rec_plan *plan, struct sizes *s)
{
	for (size_t i = 0; i < plan->n_actions; i++) {
		const struct rec_action *a = &plan->actions[i];
		if (!a->ref.resource || strcmp(a->ref.resource, "replicasets") != 0)
			continue;
		json_t *replicas = json_object_get(json_object_get(a->body, "spec"), "replicas");
		if (a->kind == REC_CREATE) {
			s->created += json_integer_value(replicas);
			continue;
		}
		for (size_t j = 0; j < s->n; j++) {
			if (!a->ref.name || strcmp(a->ref.name, s->rs[j].name) != 0)
				continue;
			if (a->kind == REC_DELETE)
				s->planned[j] = 0;
			else if (a->kind == REC_MERGE_PATCH && json_is_integer(replicas))
				s->planned[j] = json_integer_value(replicas);
		}
	}
}

static void check_guarantees(const struct rel_release *rel, const struct sizes *s)
{
	int32_t surge = 0, unavailable = 0;
	const struct rel_rolling *pace =
	    rel->strategy == REL_STRATEGY_CANARY ? &rel->canary.pace : &rel->rolling;
	if (model_resolve_fenceposts(&pace->max_surge, &pace->max_unavailable, rel->replicas,
	                             &surge, &unavailable) < 0)
		return;
	int64_t wanted = 0, planned = s->created, available = 0, still_available = 0;
	for (size_t i = 0; i < s->n; i++) {
		const struct rec_rs *v = &s->rs[i];
		/* A scaling event: a ReplicaSet sized for another replicas. */
		if (v->spec_replicas > 0 && v->has_desired && v->desired != rel->replicas)
			return;
		wanted += v->spec_replicas;
		planned += s->planned[i];
		available += min64(v->available, v->spec_replicas);
		still_available += min64(v->available, s->planned[i]);
	}
	int64_t max_total = (int64_t)rel->replicas + surge;
	if (rel->strategy == REL_STRATEGY_CANARY &&
	    max_total < 2 * (int64_t)rel->canary.min_pods_per_replica_set)
		max_total = 2 * (int64_t)rel->canary.min_pods_per_replica_set;
	int64_t min_available = (int64_t)rel->replicas - unavailable;
	if (wanted <= max_total && planned > max_total)
		abort();
	if (available >= min_available && still_available < min_available)
		abort();
}

/* ---- the router promises ---- */

static const char *str_at(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* The routers as observed; all borrowed from the input. */
struct routers {
	const json_t *svc[2]; /* stableService, canaryService */
	const json_t *routes[REL_HTTP_ROUTES_MAX];
	size_t n_routes;
	const json_t *stable_ingress;
	const json_t *owned[8];
	size_t n_owned;
};

/* What the plan did to the routers. */
struct effects {
	int64_t max_weight;     /* the highest canary weight written, -1: none */
	const char *selects[2]; /* revision each Service selects after the plan */
	int64_t step;           /* currentStepIndex after the plan */
};

static const char *selector_revision(const json_t *svc)
{
	return str_at(json_object_get(json_object_get(svc, "spec"), "selector"),
	              MODEL_LABEL_REVISION);
}

/* The canary weight an HTTPRoute patch writes: ops replacing or adding the
 * weight of a backendRef named canary (the indexes refer to the route as
 * observed, which the patch's tests guard). */
static void route_writes(const json_t *route, const json_t *ops, const char *canary,
                         struct effects *e)
{
	size_t i;
	json_t *op;
	json_array_foreach(ops, i, op)
	{
		unsigned long ri, bi;
		char tail[16];
		const char *path = str_at(op, "path"), *name = str_at(op, "op");
		if (!path || !name || strcmp(name, "test") == 0 ||
		    sscanf(path, "/spec/rules/%lu/backendRefs/%lu/%15s", &ri, &bi, tail) != 3 ||
		    strcmp(tail, "weight") != 0)
			continue;
		const json_t *rule =
		    json_array_get(json_object_get(json_object_get(route, "spec"), "rules"), ri);
		const json_t *ref = json_array_get(json_object_get(rule, "backendRefs"), bi);
		json_t *v = json_object_get(op, "value");
		if (str_at(ref, "name") && strcmp(str_at(ref, "name"), canary) == 0 &&
		    json_is_integer(v) && json_integer_value(v) > e->max_weight)
			e->max_weight = json_integer_value(v);
	}
}

/* The revision a Service selector patch sets, if any. */
static const char *selector_write(const json_t *ops)
{
	size_t i;
	json_t *op;
	const char *set = NULL;
	json_array_foreach(ops, i, op)
	{
		const char *path = str_at(op, "path"), *name = str_at(op, "op");
		if (path && name && strcmp(name, "test") != 0 &&
		    strcmp(path, "/spec/selector/" MODEL_GROUP "~1revision") == 0)
			set = str_at(op, "value");
	}
	return set;
}

static void plan_effects(const struct rec_plan *plan, const struct rel_release *rel,
                         const struct routers *o, struct effects *e)
{
	const struct rel_canary *k = &rel->canary;
	const char *names[2] = {k->stable_service, k->canary_service};
	for (size_t i = 0; i < plan->n_actions; i++) {
		const struct rec_action *a = &plan->actions[i];
		const char *res = a->ref.resource, *name = a->ref.name;
		if (a->kind == REC_WRITE_STATUS) {
			json_t *st = json_object_get(a->body, "currentStepIndex");
			if (json_is_integer(st))
				e->step = json_integer_value(st);
		}
		if (!res || !name)
			continue;
		for (int s = 0; s < 2 && a->kind == REC_JSON_PATCH; s++) {
			const char *set =
			    strcmp(res, "services") == 0 && names[s] && strcmp(name, names[s]) == 0
			        ? selector_write(a->body)
			        : NULL;
			if (set)
				e->selects[s] = set;
		}
		for (size_t r = 0; a->kind == REC_JSON_PATCH && strcmp(res, "httproutes") == 0 &&
		                   r < o->n_routes && r < k->n_http_routes;
		     r++) {
			if (o->routes[r] && strcmp(k->http_routes[r].name, name) == 0)
				route_writes(o->routes[r], a->body, k->canary_service, e);
		}
		if (a->kind == REC_APPLY && strcmp(res, "ingresses") == 0) {
			char key[512];
			snprintf(key, sizeof(key), "%s/canary-weight", k->nginx.annotation_prefix);
			const char *w = str_at(
			    json_object_get(json_object_get(a->body, "metadata"), "annotations"),
			    key);
			if (w && strtol(w, NULL, 10) > e->max_weight)
				e->max_weight = strtol(w, NULL, 10);
		}
	}
}

/* The weight steps[0..step] head for: the step's setWeight, else the last
 * one before it. */
static int64_t step_weight(const struct rel_canary *k, int64_t step)
{
	if (step >= (int64_t)k->n_steps)
		step = (int64_t)k->n_steps - 1;
	for (int64_t i = step; i >= 0; i--)
		if (k->steps[i].kind == REL_STEP_SET_WEIGHT)
			return k->steps[i].set_weight;
	return 0;
}

/* The largest canary weight the observed routers give. */
static int64_t observed_weight(const struct rel_release *rel, const struct routers *o)
{
	int64_t w = 0;
	for (size_t r = 0; r < o->n_routes; r++) {
		size_t i, j;
		json_t *rule, *ref;
		json_array_foreach(json_object_get(json_object_get(o->routes[r], "spec"), "rules"),
		                   i, rule)
		{
			json_array_foreach(json_object_get(rule, "backendRefs"), j, ref)
			{
				json_t *v = json_object_get(ref, "weight");
				if (str_at(ref, "name") &&
				    strcmp(str_at(ref, "name"), rel->canary.canary_service) == 0 &&
				    json_is_integer(v) && json_integer_value(v) > w)
					w = json_integer_value(v);
			}
		}
	}
	for (size_t i = 0; i < o->n_owned; i++) {
		const json_t *ann =
		    json_object_get(json_object_get(o->owned[i], "metadata"), "annotations");
		const char *key;
		json_t *v;
		json_object_foreach((json_t *)ann, key, v)
		{
			if (strstr(key, "canary-weight") && json_is_string(v) &&
			    strtol(json_string_value(v), NULL, 10) > w)
				w = strtol(json_string_value(v), NULL, 10);
		}
	}
	return w;
}

static const struct rec_rs *rs_of(const struct sizes *s, const char *revision, size_t *at)
{
	for (size_t i = 0; i < s->n && revision; i++) {
		if (s->rs[i].revision && strcmp(s->rs[i].revision, revision) == 0) {
			*at = i;
			return &s->rs[i];
		}
	}
	return NULL;
}

/* Whether a setCanaryScale step decides the canary's pods. */
static bool scaled(const struct rel_canary *k)
{
	for (size_t i = 0; i < k->n_steps; i++)
		if (k->steps[i].kind == REL_STEP_SET_CANARY_SCALE)
			return true;
	return false;
}

/* The canary pods a weight needs without setCanaryScale: its share of
 * replicas rounded up, at least minPodsPerReplicaSet. */
static int64_t canary_need(const struct rel_release *rel, int64_t weight)
{
	int64_t n = ((int64_t)rel->replicas * weight + 99) / 100;
	return n < rel->canary.min_pods_per_replica_set ? rel->canary.min_pods_per_replica_set : n;
}

static void check_routers(const struct rec_plan *plan, const struct rel_release *rel,
                          const json_t *release, const struct routers *o, const struct sizes *s)
{
	const json_t *st = json_object_get(release, "status");
	struct effects e = {.max_weight = -1,
	                    .selects = {selector_revision(o->svc[0]), selector_revision(o->svc[1])},
	                    .step = json_integer_value(json_object_get(st, "currentStepIndex"))};
	plan_effects(plan, rel, o, &e);
	int64_t recorded = json_integer_value(json_object_get(
	    json_object_get(json_object_get(json_object_get(st, "canary"), "weights"), "canary"),
	    "weight"));
	int64_t bound = step_weight(&rel->canary, e.step);
	int64_t before = observed_weight(rel, o);
	bound = bound > recorded ? bound : recorded;
	bound = bound > before ? bound : before;
	if (e.max_weight > bound)
		abort(); /* a weight above the step's */
	size_t at = 0;
	const struct rec_rs *canary = rs_of(s, e.selects[1], &at);
	if (e.max_weight > 0 && e.selects[1] && (!canary || canary->available == 0))
		abort(); /* a weight to a revision without available pods */
	if (e.max_weight > before && e.max_weight > recorded && canary && !scaled(&rel->canary) &&
	    canary->available < canary_need(rel, e.max_weight))
		abort(); /* shifted before scaling: a rise to a canary without its pods */
	const struct rec_rs *stable = rs_of(s, e.selects[0], &at);
	if (!stable)
		return;
	int64_t need = rel->replicas;
	if (rel->canary.dynamic_stable_scale) {
		if (e.max_weight < 0)
			return; /* nothing written: what the router has is not the plan's */
		need = ((int64_t)rel->replicas * (100 - e.max_weight) + 99) / 100;
	}
	if (s->planned[at] < need && s->planned[at] < stable->spec_replicas)
		abort(); /* stable shrunk below what its traffic needs */
}

/* The runs the reconcile saw. */
struct runs {
	const json_t *items[MAX_RS];
	size_t n;
};

/* The observed run named `name` (with uid run_uid, unless NULL) that the
 * Release controls as the reconciler counts them (in its namespace, not
 * being deleted), or NULL. The input may hold two runs of one name, which
 * the API server never would; the uid tells them apart. */
static const json_t *owned_run(const struct runs *runs, const json_t *release, const char *uid,
                               const char *name, const char *run_uid)
{
	for (size_t i = 0; i < runs->n; i++) {
		const json_t *obj = runs->items[i], *md = json_object_get(obj, "metadata");
		const char *n = json_string_value(json_object_get(md, "name"));
		const char *u = json_string_value(json_object_get(md, "uid"));
		json_t *deleting = json_object_get(md, "deletionTimestamp");
		if (run_uid && !(u && strcmp(u, run_uid) == 0))
			continue;
		if (n && name && strcmp(n, name) == 0 && model_controlled_by(obj, uid) &&
		    (!deleting || json_is_null(deleting)) &&
		    same_namespace(namespace_of(obj), namespace_of(release)))
			return obj;
	}
	return NULL;
}

/* A run's CREATE: see the promises above. */
static void check_run_create(const struct rec_action *a, const json_t *release,
                             const struct runs *runs, const char *uid)
{
	const json_t *md = json_object_get(a->body, "metadata");
	const char *name = json_string_value(json_object_get(md, "name"));
	if (!name || !a->ref.name || strcmp(name, a->ref.name) != 0 ||
	    !model_controlled_by(a->body, uid))
		abort(); /* not the Release's, or not the run the action names */
	const char *ns = namespace_of(a->body), *rns = namespace_of(release);
	if ((ns || rns) && !(ns && rns && strcmp(ns, rns) == 0))
		abort(); /* outside the Release's namespace */
	if (owned_run(runs, release, uid, name, NULL))
		abort(); /* created again although observed */
	size_t i;
	json_t *arg;
	json_array_foreach(json_object_get(json_object_get(a->body, "spec"), "args"), i, arg)
	{
		if (json_object_get(arg, "value") && json_object_get(arg, "valueFrom"))
			abort(); /* a value beside a reference */
	}
}

static void check_runs(const struct rec_plan *plan, const json_t *release, const struct runs *runs)
{
	const char *uid =
	    json_string_value(json_object_get(json_object_get(release, "metadata"), "uid"));
	for (size_t i = 0; i < plan->n_actions; i++) {
		const struct rec_action *a = &plan->actions[i];
		if (!a->ref.resource || strcmp(a->ref.resource, "analysisruns") != 0)
			continue;
		if (a->kind == REC_CREATE) {
			check_run_create(a, release, runs, uid);
			for (size_t k = 0; k < i; k++)
				if (plan->actions[k].kind == REC_CREATE &&
				    plan->actions[k].ref.name &&
				    strcmp(plan->actions[k].ref.name, a->ref.name) == 0)
					abort(); /* two CREATEs of one name */
			continue;
		}
		if ((a->kind != REC_MERGE_PATCH && a->kind != REC_DELETE) || !a->ref.uid ||
		    !owned_run(runs, release, uid, a->ref.name, a->ref.uid))
			abort(); /* a run the Release does not control, or without its uid */
		if (a->kind == REC_MERGE_PATCH &&
		    (json_object_size(a->body) != 1 ||
		     !json_is_true(json_object_get(json_object_get(a->body, "spec"), "terminate"))))
			abort(); /* a patch that does more than stop the run */
	}
}

/* ---- the blue-green promises ---- */

/* Available pods of what a Service selecting `revision` sees (NULL: every
 * revision's). */
static int64_t available_for(const struct sizes *s, const char *revision)
{
	int64_t n = 0;
	for (size_t i = 0; i < s->n; i++) {
		const struct rec_rs *v = &s->rs[i];
		if (!revision || (v->revision && strcmp(v->revision, revision) == 0))
			n += v->available;
	}
	return n;
}

static bool others_available(const struct sizes *s, const char *revision)
{
	for (size_t i = 0; i < s->n; i++) {
		const struct rec_rs *v = &s->rs[i];
		if (v->available > 0 && !(v->revision && strcmp(v->revision, revision) == 0))
			return true;
	}
	return false;
}

static void check_blue_green(const struct rec_plan *plan, const struct rel_release *rel,
                             const struct routers *o, const struct sizes *s)
{
	const char *name = rel->blue_green.active_service;
	const char *before = o->svc[0] ? selector_revision(o->svc[0]) : NULL;
	const char *after = before;
	for (size_t i = 0; i < plan->n_actions; i++) {
		const struct rec_action *a = &plan->actions[i];
		if (a->kind == REC_JSON_PATCH && a->ref.resource && a->ref.name &&
		    strcmp(a->ref.resource, "services") == 0 && strcmp(a->ref.name, name) == 0 &&
		    selector_write(a->body))
			after = selector_write(a->body);
	}
	bool moved = after && (!before || strcmp(after, before) != 0);
	int64_t to = available_for(s, after);
	if (moved && to < rel->replicas && to < available_for(s, before) &&
	    others_available(s, after))
		abort(); /* activeService to a revision without its pods */
	size_t at = 0;
	const struct rec_rs *active = after ? rs_of(s, after, &at) : NULL;
	if (active && s->planned[at] < rel->replicas && s->planned[at] < active->spec_replicas)
		abort(); /* the active ReplicaSet shrunk below spec.replicas */
}

/* The strategies whose plans keep the guarantees: rolling, and canary by
 * replica ratio. */
static bool judged(const struct rel_release *rel)
{
	return rel->strategy == REL_STRATEGY_ROLLING ||
	       (rel->strategy == REL_STRATEGY_CANARY && rel->canary.traffic == REL_TRAFFIC_NONE);
}

/* The routers of the input, at most as many as the arrays hold. */
static void read_routers(const json_t *v, struct routers *o)
{
	size_t i;
	json_t *obj;
	o->svc[0] = json_object_get(v, "stableService");
	o->svc[1] = json_object_get(v, "canaryService");
	if (json_object_get(v, "activeService"))
		o->svc[0] = json_object_get(v, "activeService");
	if (json_object_get(v, "previewService"))
		o->svc[1] = json_object_get(v, "previewService");
	o->stable_ingress = json_object_get(v, "stableIngress");
	json_array_foreach(json_object_get(v, "httpRoutes"), i, obj)
	{
		if (o->n_routes < REL_HTTP_ROUTES_MAX)
			o->routes[o->n_routes++] = json_is_null(obj) ? NULL : obj;
	}
	json_array_foreach(json_object_get(v, "ownedIngresses"), i, obj)
	{
		if (o->n_owned < sizeof(o->owned) / sizeof(o->owned[0]))
			o->owned[o->n_owned++] = obj;
	}
}

/* A traffic-routed canary, without a scaling event. */
static bool routed(const struct rel_release *rel, const struct sizes *s)
{
	if (rel->strategy != REL_STRATEGY_CANARY || rel->canary.traffic == REL_TRAFFIC_NONE ||
	    s->same_revision)
		return false;
	for (size_t i = 0; i < s->n; i++) {
		const struct rec_rs *v = &s->rs[i];
		if (v->spec_replicas > 0 && v->has_desired && v->desired != rel->replicas)
			return false;
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *v = json_loadb((const char *)data, size, 0, NULL);
	if (!v)
		return 0;
	const json_t *release = json_object_get(v, "release");
	const json_t *rss = json_object_get(v, "replicasets");
	json_t *now = json_object_get(v, "now");
	const json_t *items[MAX_RS * 2];
	size_t n = 0;
	size_t i;
	json_t *obj;
	json_array_foreach(rss, i, obj)
	{
		if (n < sizeof(items) / sizeof(items[0]))
			items[n++] = obj;
	}
	struct routers ro = {0};
	read_routers(v, &ro);
	struct runs runs = {0};
	const json_t *tmpl_items[MAX_RS];
	size_t n_tmpl = 0;
	json_array_foreach(json_object_get(v, "analysisRuns"), i, obj)
	{
		if (runs.n < MAX_RS)
			runs.items[runs.n++] = obj;
	}
	json_array_foreach(json_object_get(v, "analysisTemplates"), i, obj)
	{
		if (n_tmpl < MAX_RS)
			tmpl_items[n_tmpl++] = obj;
	}
	const json_t *pods[MAX_RS * 2];
	size_t n_pods = 0;
	json_array_foreach(json_object_get(v, "pods"), i, obj)
	{
		if (n_pods < sizeof(pods) / sizeof(pods[0]))
			pods[n_pods++] = obj;
	}
	struct rec_observed observed = {
	    .release = release,
	    .replicasets = items,
	    .n_replicasets = n,
	    .pods = pods,
	    .n_pods = n_pods,
	    .stable_service = ro.svc[0],
	    .canary_service = ro.svc[1],
	    .http_routes = ro.routes,
	    .n_http_routes = ro.n_routes,
	    .stable_ingress = ro.stable_ingress,
	    .owned_ingresses = ro.owned,
	    .n_owned_ingresses = ro.n_owned,
	    .analysis_runs = runs.items,
	    .n_analysis_runs = runs.n,
	    .analysis_templates = tmpl_items,
	    .n_analysis_templates = n_tmpl,
	    .now = json_is_integer(now) ? (time_t)json_integer_value(now) : 1800000000,
	};
	struct rec_plan plan;
	rec_plan_init(&plan);
	if (rec_release_reconcile(&observed, &plan) == 0) {
		check_runs(&plan, release, &runs);
		struct model_errors errs = {0};
		struct rel_release *rel = NULL;
		const char *uid =
		    json_string_value(json_object_get(json_object_get(release, "metadata"), "uid"));
		struct sizes *s = calloc(1, sizeof(*s));
		if (s && uid && rel_release_parse(release, &rel, &errs) == 0 &&
		    read_owned(rss, release, uid, s)) {
			apply_plan(&plan, s);
			if (judged(rel))
				check_guarantees(rel, s);
			else if (routed(rel, s))
				check_routers(&plan, rel, release, &ro, s);
			else if (rel->strategy == REL_STRATEGY_BLUE_GREEN && !s->same_revision)
				check_blue_green(&plan, rel, &ro, s);
		}
		free(s);
		rel_release_free(rel);
		model_errors_clear(&errs);
	}
	rec_plan_clear(&plan);
	json_decref(v);
	return 0;
}
