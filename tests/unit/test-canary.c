/*
 * The canary step machine: the arithmetic of pods per weight, then scripted
 * rows run against a fake cluster that applies every plan (the plan's
 * resulting state is fed back as the next observed state, as a restarted
 * controller would read it): the ReplicaSets, and the routers (Services,
 * HTTPRoute, Ingresses: JSON patches applied with their tests, a failed test
 * stopping the plan as the API server's 422 stops the executor; applies;
 * deletes). Every plan is checked against the rollout's promises: no more
 * pods than the surge allows (replica ratio), no fewer available than
 * maxUnavailable allows, no weight to a revision without available pods; and
 * under traffic routing no router weight above the step's, none to a
 * revision without available pods, no header or mirror route to one, and
 * stable able to take 100 % of the traffic (with dynamicStableScale, the
 * share its weight needs).
 *
 * Analysis: the AnalysisRuns a plan creates appear in the fake cluster (and
 * in the next observed state, as the owner index would hand them over);
 * the script plays the run controller, setting a run's phase and message,
 * and the templates' owner, adding and removing AnalysisTemplates.
 */
#include "tap.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json-apply.h"
#include "model/errors.h"
#include "model/release.h"
#include "model/revision.h"
#include "model/timefmt.h"
#include "reconcilers/canary.h"
#include "reconcilers/plan.h"
#include "reconcilers/release.h"

#define NOW      1795695600 /* 2026-11-26T12:20:00Z */
#define N_IMAGES 6
#define MAX_RS   16

static char rev[N_IMAGES][MODEL_REVISION_LEN + 1];

static json_t *template_for(int image)
{
	char img[32];
	snprintf(img, sizeof(img), "nginx:%d", image);
	return json_pack("{s:{s:{s:s}},s:{s:[{s:s,s:s}]}}", "metadata", "labels", "app", "web",
	                 "spec", "containers", "name", "web", "image", img);
}

static void init_revisions(void)
{
	for (int i = 1; i < N_IMAGES; i++) {
		json_t *t = template_for(i);
		model_revision_hash(t, rev[i]);
		json_decref(t);
	}
}

static int image_of(const char *revision)
{
	for (int i = 1; i < N_IMAGES; i++) {
		if (revision && strcmp(revision, rev[i]) == 0)
			return i;
	}
	return 0;
}

#define MAX_ING  4
#define MAX_RUNS 24
#define MAX_TMPL 6
#define MAX_APPR 8

/* The fake cluster: one Release, its ReplicaSets, and its routers. */
struct sim {
	json_t *release;
	json_t *rs[MAX_RS];
	size_t n_rs;
	/* Routers, created from the strategy (NULL: not there). */
	json_t *svc[2];         /* stableService "web", canaryService "web-canary" */
	json_t *route;          /* HTTPRoute "web" */
	json_t *ingress;        /* the nginx stable Ingress "web" */
	json_t *owned[MAX_ING]; /* Ingresses the Release controls */
	size_t n_owned;
	json_t *hidden[4];      /* routers taken away by "gone", for "back" */
	json_t *runs[MAX_RUNS]; /* AnalysisRuns, in the order they were created */
	size_t n_runs;
	json_t *tmpl[MAX_TMPL]; /* AnalysisTemplates and ClusterAnalysisTemplates */
	size_t n_tmpl;
	/* Approvals of the Release, and the identity policy and its binding
	 * (NULL: not installed). */
	json_t *appr[MAX_APPR];
	size_t n_appr;
	json_t *policy, *binding;
	bool routed;  /* trafficRouting: check the router promises */
	bool dynamic; /* dynamicStableScale */
	time_t now;
	int surge, unavailable, min_pods; /* what the strategy resolves to */
	int uid_seq;
	bool slow;           /* pods become available one per RS per tick */
	char events[16384];  /* "Reason (note) " of Events sent since the last expect */
	double last_requeue; /* of the last plan */
	int violations;
};

static json_t *spec_of(struct sim *sm)
{
	return json_object_get(sm->release, "spec");
}

static void set_image(struct sim *sm, int image)
{
	json_object_set_new(spec_of(sm), "template", template_for(image));
	json_t *md = json_object_get(sm->release, "metadata");
	json_object_set_new(
	    md, "generation",
	    json_integer(json_integer_value(json_object_get(md, "generation")) + 1));
}

static json_t *service(const char *name)
{
	return json_pack("{s:s,s:s,s:{s:s,s:s,s:s},s:{s:{s:s},s:[{s:i}]}}", "apiVersion", "v1",
	                 "kind", "Service", "metadata", "name", name, "namespace", "shop", "uid",
	                 name, "spec", "selector", "app", "web", "ports", "port", 80);
}

/* The HTTPRoute a user writes: one rule to both Services, all to stable. */
static json_t *http_route(void)
{
	return json_pack("{s:s,s:s,s:{s:s,s:s,s:s},s:{s:[{s:s}],s:[{s:[{s:{s:s,s:s}}],s:[{s:s,s:i,"
	                 "s:i},{s:s,s:i,s:i}]}]}}",
	                 "apiVersion", "gateway.networking.k8s.io/v1", "kind", "HTTPRoute",
	                 "metadata", "name", "web", "namespace", "shop", "uid", "route-uid", "spec",
	                 "parentRefs", "name", "gw", "rules", "matches", "path", "type",
	                 "PathPrefix", "value", "/", "backendRefs", "name", "web", "port", 80,
	                 "weight", 100, "name", "web-canary", "port", 80, "weight", 0);
}

static json_t *stable_ingress(void)
{
	return json_pack(
	    "{s:s,s:s,s:{s:s,s:s,s:s},s:{s:s,s:[{s:s,s:{s:[{s:s,s:s,s:{s:{s:s,s:{s:i}}}}"
	    "]}}]}}",
	    "apiVersion", "networking.k8s.io/v1", "kind", "Ingress", "metadata", "name", "web",
	    "namespace", "shop", "uid", "ing-uid", "spec", "ingressClassName", "nginx", "rules",
	    "host", "a.example", "http", "paths", "path", "/", "pathType", "Prefix", "backend",
	    "service", "name", "web", "port", "number", 80);
}

/* The routers the strategy names, as their owners created them. */
static void routers_init(struct sim *sm)
{
	const json_t *c = json_object_get(json_object_get(spec_of(sm), "strategy"), "canary");
	const json_t *tr = json_object_get(c, "trafficRouting");
	if (json_object_get(c, "stableService"))
		sm->svc[0] = service("web");
	if (json_object_get(c, "canaryService"))
		sm->svc[1] = service("web-canary");
	if (json_object_get(tr, "gatewayAPI"))
		sm->route = http_route();
	if (json_object_get(tr, "nginx"))
		sm->ingress = stable_ingress();
	sm->routed = tr != NULL;
	sm->dynamic = json_is_true(json_object_get(c, "dynamicStableScale"));
}

static void sim_init(struct sim *sm, int replicas, const char *canary, int surge, int unavailable,
                     int min_pods)
{
	memset(sm, 0, sizeof(*sm));
	sm->now = NOW;
	sm->surge = surge;
	sm->unavailable = unavailable;
	sm->min_pods = min_pods;
	json_t *strategy = json_loads(canary, 0, NULL);
	if (!strategy)
		tap_diag("bad strategy in test: %s", canary);
	json_t *spec = json_pack("{s:i,s:{s:{s:s}},s:o,s:{s:o}}", "replicas", replicas, "selector",
	                         "matchLabels", "app", "web", "template", template_for(1),
	                         "strategy", "canary", strategy);
	sm->release =
	    json_pack("{s:s,s:s,s:{s:s,s:s,s:s,s:s,s:i},s:o}", "apiVersion", "slipway.dev/v1alpha1",
	              "kind", "Release", "metadata", "name", "web", "namespace", "shop", "uid",
	              "rel-uid", "resourceVersion", "1", "generation", 1, "spec", spec);
	routers_init(sm);
	sm->policy = json_pack("{s:{s:s}}", "metadata", "name", "slipway-approval-identity");
	sm->binding =
	    json_pack("{s:{s:s},s:{s:s,s:[s]}}", "metadata", "name", "b", "spec", "policyName",
	              "slipway-approval-identity", "validationActions", "Deny");
}

/* An Approval of gate "g" by user (in group, "-": none) of revision
 * rev[image] with decision, created now. */
static void add_approval(struct sim *sm, const char *user, const char *group, int image,
                         const char *decision, const char *comment)
{
	if (sm->n_appr == MAX_APPR)
		return;
	char name[32], ts[MODEL_TIME_LEN];
	snprintf(name, sizeof(name), "web-g-%zu", sm->n_appr);
	model_time_format(sm->now, ts);
	json_t *groups = json_array();
	if (strcmp(group, "-") != 0)
		json_array_append_new(groups, json_string(group));
	sm->appr[sm->n_appr++] =
	    json_pack("{s:{s:s,s:s,s:s},s:{s:s,s:s,s:s,s:s,s:s,s:s,s:o}}", "metadata", "name", name,
	              "namespace", "shop", "creationTimestamp", ts, "spec", "release", "web",
	              "revision", rev[image], "gate", "g", "decision", decision, "comment", comment,
	              "user", user, "groups", groups);
}

static json_t *json_decref_null(json_t *j)
{
	json_decref(j);
	return NULL;
}

static void sim_free(struct sim *sm)
{
	json_decref(sm->release);
	for (size_t i = 0; i < sm->n_rs; i++)
		json_decref(sm->rs[i]);
	json_decref(sm->svc[0]);
	json_decref(sm->svc[1]);
	json_decref(sm->route);
	json_decref(sm->ingress);
	for (size_t i = 0; i < sm->n_owned; i++)
		json_decref(sm->owned[i]);
	for (size_t i = 0; i < 4; i++)
		json_decref(sm->hidden[i]);
	for (size_t i = 0; i < sm->n_runs; i++)
		json_decref(sm->runs[i]);
	for (size_t i = 0; i < sm->n_tmpl; i++)
		json_decref(sm->tmpl[i]);
	for (size_t i = 0; i < sm->n_appr; i++)
		json_decref(sm->appr[i]);
	json_decref(sm->policy);
	json_decref(sm->binding);
}

static int int_at(const json_t *obj, const char *a, const char *b)
{
	return (int)json_integer_value(json_object_get(json_object_get(obj, a), b));
}

static const char *rs_name(const json_t *rs)
{
	return json_string_value(json_object_get(json_object_get(rs, "metadata"), "name"));
}

static int find_rs(struct sim *sm, const char *name)
{
	for (size_t i = 0; i < sm->n_rs; i++) {
		if (strcmp(rs_name(sm->rs[i]), name) == 0)
			return (int)i;
	}
	return -1;
}

static void create_rs(struct sim *sm, const json_t *body)
{
	if (find_rs(sm, rs_name(body)) >= 0 || sm->n_rs == MAX_RS)
		return; /* AlreadyExists counts as done */
	json_t *o = json_deep_copy(body);
	json_t *md = json_object_get(o, "metadata");
	char uid[32], ts[MODEL_TIME_LEN];
	snprintf(uid, sizeof(uid), "uid-%d", ++sm->uid_seq);
	model_time_format(sm->now, ts);
	json_object_set_new(md, "uid", json_string(uid));
	json_object_set_new(md, "resourceVersion", json_string("1"));
	json_object_set_new(md, "creationTimestamp", json_string(ts));
	json_object_set_new(
	    o, "status",
	    json_pack("{s:i,s:i,s:i}", "replicas", 0, "readyReplicas", 0, "availableReplicas", 0));
	sm->rs[sm->n_rs++] = o;
}

/* The router an action names, or NULL. */
static json_t **router_of(struct sim *sm, const struct rec_action *a)
{
	const char *res = a->ref.resource, *name = a->ref.name;
	if (!res || !name)
		return NULL;
	if (strcmp(res, "services") == 0)
		return strcmp(name, "web") == 0          ? &sm->svc[0]
		       : strcmp(name, "web-canary") == 0 ? &sm->svc[1]
		                                         : NULL;
	if (strcmp(res, "httproutes") == 0 && strcmp(name, "web") == 0)
		return &sm->route;
	return NULL;
}

/* A JSON patch: all or nothing (json-apply.h), uid checked. False when
 * refused. */
static bool json_patch(struct sim *sm, const struct rec_action *a)
{
	json_t **obj = router_of(sm, a);
	if (!obj || !*obj)
		return false; /* 404 */
	const char *uid =
	    json_string_value(json_object_get(json_object_get(*obj, "metadata"), "uid"));
	if (a->ref.uid && (!uid || strcmp(uid, a->ref.uid) != 0))
		return false;
	return json_apply_patch(obj, a->body); /* false: 422, a test failed */
}

static int find_owned(struct sim *sm, const char *name)
{
	for (size_t i = 0; i < sm->n_owned; i++) {
		if (strcmp(rs_name(sm->owned[i]), name) == 0)
			return (int)i;
	}
	return -1;
}

/* Server-side apply of an Ingress we own (created when absent). */
static void apply_ingress(struct sim *sm, const struct rec_action *a)
{
	int k = find_owned(sm, a->ref.name);
	json_t *o = json_deep_copy(a->body);
	char uid[32];
	snprintf(uid, sizeof(uid), "ing-%d", ++sm->uid_seq);
	json_object_set_new(json_object_get(o, "metadata"), "uid",
	                    json_string(k >= 0
	                                    ? json_string_value(json_object_get(
	                                          json_object_get(sm->owned[k], "metadata"), "uid"))
	                                    : uid));
	if (k >= 0) {
		json_decref(sm->owned[k]);
		sm->owned[k] = o;
	} else if (sm->n_owned < MAX_ING) {
		sm->owned[sm->n_owned++] = o;
	} else {
		json_decref(o);
	}
}

/* ---- AnalysisRuns and their templates ---- */

static bool is_run(const struct rec_action *a)
{
	return a->ref.resource && strcmp(a->ref.resource, "analysisruns") == 0;
}

static int find_run(struct sim *sm, const char *name)
{
	for (size_t i = 0; name && i < sm->n_runs; i++) {
		if (strcmp(rs_name(sm->runs[i]), name) == 0)
			return (int)i;
	}
	return -1;
}

/* The API server's side of a run's CREATE, MERGE_PATCH and DELETE. */
static void apply_run(struct sim *sm, const struct rec_action *a)
{
	int k = find_run(sm, a->ref.name);
	if (a->kind == REC_CREATE && k < 0 && sm->n_runs < MAX_RUNS) {
		json_t *o = json_deep_copy(a->body);
		json_t *md = json_object_get(o, "metadata");
		char uid[32], ts[MODEL_TIME_LEN];
		snprintf(uid, sizeof(uid), "run-%d", ++sm->uid_seq);
		model_time_format(sm->now, ts);
		json_object_set_new(md, "uid", json_string(uid));
		json_object_set_new(md, "creationTimestamp", json_string(ts));
		sm->runs[sm->n_runs++] = o;
	} else if (a->kind == REC_MERGE_PATCH && k >= 0) {
		json_apply_merge(sm->runs[k], a->body);
	} else if (a->kind == REC_DELETE && k >= 0) {
		json_decref(sm->runs[k]);
		memmove(&sm->runs[k], &sm->runs[k + 1],
		        (sm->n_runs - (size_t)k - 1) * sizeof(json_t *));
		sm->n_runs--;
	}
}

/* An AnalysisTemplate (or, cluster, a ClusterAnalysisTemplate) named
 * `name` with one metric of that name; `bad`: without metrics. */
/* Template `name` whose metric succeeds on `success`, NULL: no metrics at
 * all (a template that does not parse). */
static void add_template(struct sim *sm, const char *name, bool cluster, const char *success)
{
	json_t *metrics = json_pack("[{s:s,s:s,s:{s:{s:s,s:s}}}]", "name", name, "successCondition",
	                            success ? success : "", "provider", "prometheus", "address",
	                            "http://prom:9090", "query",
	                            "sum(rate(errors{service=\"{{args.service}}\"}[1m]))");
	json_t *args = json_pack("[{s:s,s:s},{s:s,s:s},{s:s,s:{s:{s:s,s:s}}}]", "name", "service",
	                         "value", "web", "name", "rev", "value", "none", "name", "token",
	                         "valueFrom", "secretKeyRef", "name", "prom-token", "key", "token");
	json_t *t = json_pack("{s:s,s:s,s:{s:s},s:{s:o}}", "apiVersion", "slipway.dev/v1alpha1",
	                      "kind", cluster ? "ClusterAnalysisTemplate" : "AnalysisTemplate",
	                      "metadata", "name", name, "spec", "args", args);
	if (!cluster)
		json_object_set_new(json_object_get(t, "metadata"), "namespace",
		                    json_string("shop"));
	if (success)
		json_object_set_new(json_object_get(t, "spec"), "metrics", metrics);
	else
		json_decref(metrics);
	for (size_t i = 0; i < sm->n_tmpl; i++) {
		if (strcmp(rs_name(sm->tmpl[i]), name) == 0) {
			json_decref(sm->tmpl[i]);
			sm->tmpl[i] = t;
			return;
		}
	}
	if (sm->n_tmpl < MAX_TMPL)
		sm->tmpl[sm->n_tmpl++] = t;
	else
		json_decref(t);
}

static void remove_template(struct sim *sm, const char *name)
{
	for (size_t i = 0; i < sm->n_tmpl; i++) {
		if (strcmp(rs_name(sm->tmpl[i]), name) == 0) {
			json_decref(sm->tmpl[i]);
			sm->tmpl[i] = sm->tmpl[--sm->n_tmpl];
			return;
		}
	}
}

static const char *run_label(const json_t *run, const char *key)
{
	return json_string_value(
	    json_object_get(json_object_get(json_object_get(run, "metadata"), "labels"), key));
}

/* The newest run for `purpose` of the image's revision, or NULL. */
static json_t *newest_run(struct sim *sm, int image, const char *purpose)
{
	for (size_t i = sm->n_runs; i-- > 0;) {
		const char *p = run_label(sm->runs[i], MODEL_LABEL_ANALYSIS);
		const char *r = run_label(sm->runs[i], MODEL_LABEL_REVISION);
		if (p && r && strcmp(p, purpose) == 0 && strcmp(r, rev[image]) == 0)
			return sm->runs[i];
	}
	return NULL;
}

/* The run controller's verdict on the newest run of `purpose`. */
static void set_run_phase(struct sim *sm, int image, const char *purpose, const char *phase)
{
	json_t *run = newest_run(sm, image, purpose);
	if (!run) {
		tap_diag("no run %s to set %s", purpose, phase);
		sm->violations++;
		return;
	}
	const char *msg = strcmp(phase, "Failed") == 0
	                      ? "error-rate: 0.31 >= 0.2 (failure condition) in 2 of 5 measurements"
	                  : strcmp(phase, "Error") == 0        ? "error-rate: connection refused"
	                  : strcmp(phase, "Inconclusive") == 0 ? "error-rate: no data"
	                                                       : NULL;
	json_t *st = json_pack("{s:s}", "phase", phase);
	if (msg)
		json_object_set_new(st, "message", json_string(msg));
	json_object_set_new(run, "status", st);
}

/* "2/1,2/background!": each run as <image>/<what its name adds to the
 * revision's>, "!" when terminated, in creation order; "-" for none. */
static void run_names(struct sim *sm, char *out, size_t len)
{
	out[0] = '\0';
	for (size_t i = 0; i < sm->n_runs; i++) {
		const char *name = rs_name(sm->runs[i]);
		int img = image_of(run_label(sm->runs[i], MODEL_LABEL_REVISION));
		const char *part = name + strlen("web-") + MODEL_REVISION_LEN + 1;
		bool term = json_is_true(
		    json_object_get(json_object_get(sm->runs[i], "spec"), "terminate"));
		size_t used = strlen(out);
		snprintf(out + used, len - used, "%s%d/%s%s", used ? "," : "", img, part,
		         term ? "!" : "");
	}
	if (!out[0])
		snprintf(out, len, "-");
}

/* The newest run's args, "name:value" (a revision as @image, a Secret as
 * secret(name/key)), and its metrics' names after a "|". */
static void run_args(struct sim *sm, char *out, size_t len)
{
	out[0] = '\0';
	if (sm->n_runs == 0) {
		snprintf(out, len, "-");
		return;
	}
	const json_t *spec = json_object_get(sm->runs[sm->n_runs - 1], "spec");
	size_t i;
	json_t *a;
	json_array_foreach(json_object_get(spec, "args"), i, a)
	{
		const char *v = json_string_value(json_object_get(a, "value"));
		const json_t *ref =
		    json_object_get(json_object_get(a, "valueFrom"), "secretKeyRef");
		char val[64];
		if (ref)
			snprintf(val, sizeof(val), "secret(%s/%s)",
			         json_string_value(json_object_get(ref, "name")),
			         json_string_value(json_object_get(ref, "key")));
		else if (image_of(v))
			snprintf(val, sizeof(val), "@%d", image_of(v));
		else
			snprintf(val, sizeof(val), "%s", v ? v : "?");
		size_t used = strlen(out);
		snprintf(out + used, len - used, "%s%s:%s", used ? "," : "",
		         json_string_value(json_object_get(a, "name")), val);
	}
	json_array_foreach(json_object_get(spec, "metrics"), i, a)
	{
		size_t used = strlen(out);
		snprintf(out + used, len - used, "%s%s", i ? "," : "|",
		         json_string_value(json_object_get(a, "name")));
	}
}

/* Applies the first `limit` actions of plan (a controller killed after
 * them), recording the reasons of the Events it sent; a refused router
 * write stops it, as it stops the executor. */
static void apply_plan(struct sim *sm, const struct rec_plan *plan, size_t limit)
{
	for (size_t i = 0; i < plan->n_actions && i < limit; i++) {
		const struct rec_action *a = &plan->actions[i];
		bool ingress = a->ref.resource && strcmp(a->ref.resource, "ingresses") == 0;
		int k = a->ref.name && !ingress ? find_rs(sm, a->ref.name) : -1;
		if (is_run(a)) {
			apply_run(sm, a);
		} else if (a->kind == REC_JSON_PATCH) {
			if (!json_patch(sm, a)) {
				tap_diag("JSON patch on %s refused", a->ref.name);
				return;
			}
		} else if (a->kind == REC_APPLY && ingress) {
			apply_ingress(sm, a);
		} else if (a->kind == REC_DELETE && ingress) {
			int j = find_owned(sm, a->ref.name);
			if (j >= 0) {
				json_decref(sm->owned[j]);
				sm->owned[j] = sm->owned[--sm->n_owned];
			}
		} else if (a->kind == REC_CREATE) {
			create_rs(sm, a->body);
		} else if (a->kind == REC_MERGE_PATCH && k >= 0) {
			json_apply_merge(sm->rs[k], a->body);
		} else if (a->kind == REC_DELETE && k >= 0) {
			json_decref(sm->rs[k]);
			sm->rs[k] = sm->rs[--sm->n_rs];
		} else if (a->kind == REC_WRITE_STATUS) {
			json_t *cur = json_object_get(sm->release, "status");
			if (!json_is_object(cur)) {
				cur = json_object();
				json_object_set_new(sm->release, "status", cur);
			}
			json_apply_merge(cur, a->body);
		} else if (a->kind == REC_EVENT) {
			size_t used = strlen(sm->events);
			snprintf(sm->events + used, sizeof(sm->events) - used, "%s (%s) ",
			         a->reason, a->note);
		}
	}
}

/* The kubelets and the ReplicaSet controller: pods follow spec.replicas. */
static void pods_tick(struct sim *sm)
{
	for (size_t i = 0; i < sm->n_rs; i++) {
		json_t *o = sm->rs[i];
		int spec = int_at(o, "spec", "replicas");
		int avail = int_at(o, "status", "availableReplicas");
		int next = spec;
		if (sm->slow && avail < spec)
			next = avail + 1;
		json_t *st = json_object_get(o, "status");
		json_object_set_new(st, "replicas", json_integer(spec));
		json_object_set_new(st, "readyReplicas", json_integer(next));
		json_object_set_new(st, "availableReplicas", json_integer(next));
	}
}

/* Every pod of image's ReplicaSet stops being ready (a bad node). */
static void pods_down(struct sim *sm, int image)
{
	for (size_t i = 0; i < sm->n_rs; i++) {
		const json_t *labels =
		    json_object_get(json_object_get(sm->rs[i], "metadata"), "labels");
		if (image_of(json_string_value(json_object_get(labels, MODEL_LABEL_REVISION))) !=
		    image)
			continue;
		json_t *st = json_object_get(sm->rs[i], "status");
		json_object_set_new(st, "readyReplicas", json_integer(0));
		json_object_set_new(st, "availableReplicas", json_integer(0));
	}
}

static int total_spec(struct sim *sm)
{
	int n = 0;
	for (size_t i = 0; i < sm->n_rs; i++)
		n += int_at(sm->rs[i], "spec", "replicas");
	return n;
}

static int total_available(struct sim *sm)
{
	int n = 0;
	for (size_t i = 0; i < sm->n_rs; i++) {
		int a = int_at(sm->rs[i], "status", "availableReplicas");
		int s = int_at(sm->rs[i], "spec", "replicas");
		n += a < s ? a : s;
	}
	return n;
}

static int available_of(struct sim *sm, const char *revision)
{
	for (size_t i = 0; i < sm->n_rs; i++) {
		const json_t *labels =
		    json_object_get(json_object_get(sm->rs[i], "metadata"), "labels");
		const char *r = json_string_value(json_object_get(labels, MODEL_LABEL_REVISION));
		if (revision && r && strcmp(r, revision) == 0)
			return int_at(sm->rs[i], "status", "availableReplicas");
	}
	return 0;
}

static const json_t *status(struct sim *sm)
{
	return json_object_get(sm->release, "status");
}

static int canary_weight(struct sim *sm)
{
	json_t *w = json_object_get(json_object_get(status(sm), "canary"), "weights");
	return (int)json_integer_value(json_object_get(json_object_get(w, "canary"), "weight"));
}

/* The promises of every plan, on the cluster before and after it. */
static void check_invariants(struct sim *sm, int before_total, int before_available)
{
	int replicas = (int)json_integer_value(json_object_get(spec_of(sm), "replicas"));
	int max_total = replicas + sm->surge;
	if (max_total < 2 * sm->min_pods)
		max_total = 2 * sm->min_pods;
	if (max_total < before_total)
		max_total = before_total;
	int total = total_spec(sm), available = total_available(sm);
	int min_available = replicas - sm->unavailable;
	if (min_available > before_available)
		min_available = before_available;
	/* Under traffic routing stable keeps its pods while the canary grows:
	 * no surge bound, but still no fewer available. */
	bool bad = (!sm->routed && total > max_total) || available < min_available;
	/* The status describes what was observed: a weight means pods. */
	json_t *w = json_object_get(json_object_get(status(sm), "canary"), "weights");
	const char *crev =
	    json_string_value(json_object_get(json_object_get(w, "canary"), "revision"));
	if (canary_weight(sm) > 0 && available_of(sm, crev) == 0)
		bad = true;
	if (bad) {
		sm->violations++;
		tap_diag("invariant broken: %d pods (max %d), %d available (min %d), weight %d",
		         total, max_total, available, min_available, canary_weight(sm));
	}
}

/* ---- the routers as the data plane sees them ---- */

static bool is_ours(const json_t *rule)
{
	const char *n = json_string_value(json_object_get(rule, "name"));
	return n && strncmp(n, "slipway.", 8) == 0;
}

/* The weight of Service `name` in rule, -1 when it is not a backend. */
static int backend_weight(const json_t *rule, const char *name)
{
	size_t i;
	json_t *b;
	json_array_foreach(json_object_get(rule, "backendRefs"), i, b)
	{
		if (strcmp(json_string_value(json_object_get(b, "name")), name) == 0) {
			json_t *w = json_object_get(b, "weight");
			return w ? (int)json_integer_value(w) : 1;
		}
	}
	return -1;
}

/* The user's rule of the HTTPRoute (the one with both Services). */
static const json_t *managed_rule(struct sim *sm)
{
	size_t i;
	json_t *rule;
	json_array_foreach(json_object_get(json_object_get(sm->route, "spec"), "rules"), i, rule)
	{
		if (!is_ours(rule) && backend_weight(rule, "web") >= 0 &&
		    backend_weight(rule, "web-canary") >= 0)
			return rule;
	}
	return NULL;
}

static const json_t *canary_ingress(struct sim *sm)
{
	int k = find_owned(sm, "web-web-canary");
	return k >= 0 ? sm->owned[k] : NULL;
}

static const char *annotation(const json_t *obj, const char *key)
{
	return json_string_value(
	    json_object_get(json_object_get(json_object_get(obj, "metadata"), "annotations"), key));
}

/* The share of requests canaryService gets: the route's weight, or the
 * canary Ingress's; 0 without a router. */
static int router_weight(struct sim *sm)
{
	const json_t *rule = sm->route ? managed_rule(sm) : NULL;
	if (rule)
		return backend_weight(rule, "web-canary");
	const json_t *ing = canary_ingress(sm);
	const char *w = ing ? annotation(ing, "nginx.ingress.kubernetes.io/canary-weight") : NULL;
	return w ? (int)strtol(w, NULL, 10) : 0;
}

/* Header and mirror routes in the routers: our rules, the Ingress's
 * canary-by-header. */
static int n_routes(struct sim *sm)
{
	int n = 0;
	size_t i;
	json_t *rule;
	json_array_foreach(json_object_get(json_object_get(sm->route, "spec"), "rules"), i, rule)
	{
		n += is_ours(rule);
	}
	const json_t *ing = canary_ingress(sm);
	if (ing && annotation(ing, "nginx.ingress.kubernetes.io/canary-by-header"))
		n++;
	return n;
}

/* The revision Service `which` (0 stable, 1 canary) selects, or NULL. */
static const char *selected(struct sim *sm, int which)
{
	const json_t *sel = json_object_get(json_object_get(sm->svc[which], "spec"), "selector");
	return json_string_value(json_object_get(sel, MODEL_LABEL_REVISION));
}

static const json_t *rs_of(struct sim *sm, const char *revision)
{
	for (size_t i = 0; i < sm->n_rs && revision; i++) {
		const json_t *labels =
		    json_object_get(json_object_get(sm->rs[i], "metadata"), "labels");
		const char *r = json_string_value(json_object_get(labels, MODEL_LABEL_REVISION));
		if (r && strcmp(r, revision) == 0)
			return sm->rs[i];
	}
	return NULL;
}

static int spec_of_rev(struct sim *sm, const char *revision)
{
	const json_t *rs = rs_of(sm, revision);
	return rs ? int_at(rs, "spec", "replicas") : 0;
}

/* The weight status.currentStepIndex heads for: its setWeight, else the
 * last one before it. */
static int step_target(struct sim *sm)
{
	const json_t *steps = json_object_get(
	    json_object_get(json_object_get(spec_of(sm), "strategy"), "canary"), "steps");
	int step = (int)json_integer_value(json_object_get(status(sm), "currentStepIndex"));
	for (int i = step < (int)json_array_size(steps) ? step : (int)json_array_size(steps) - 1;
	     i >= 0; i--) {
		json_t *w = json_object_get(json_array_get(steps, (size_t)i), "setWeight");
		if (w)
			return (int)json_integer_value(w);
	}
	return 0;
}

struct routers_seen {
	int weight;
	char canary[MODEL_REVISION_LEN + 1]; /* "" none */
	int stable_spec;
};

static struct routers_seen routers_now(struct sim *sm)
{
	struct routers_seen r = {router_weight(sm), "", spec_of_rev(sm, selected(sm, 0))};
	snprintf(r.canary, sizeof(r.canary), "%s", selected(sm, 1) ? selected(sm, 1) : "");
	return r;
}

/* ceil(replicas * weight / 100) */
static int share(int replicas, int weight)
{
	return (replicas * weight + 99) / 100;
}

/* The router promises, on the routers before and after a plan (`whole`:
 * applied to its end, not cut by a kill). */
static void check_routers(struct sim *sm, const struct routers_seen *b, bool whole)
{
	if (!sm->routed)
		return;
	struct routers_seen a = routers_now(sm);
	int replicas = (int)json_integer_value(json_object_get(spec_of(sm), "replicas"));
	bool aborted = json_is_true(json_object_get(status(sm), "abort"));
	int bound = aborted ? b->weight : step_target(sm);
	if (bound < b->weight)
		bound = b->weight;
	const char *why = NULL;
	bool moved = a.weight > b->weight || strcmp(a.canary, b->canary) != 0;
	const json_t *canary_rs = rs_of(sm, a.canary);
	bool no_pods = !canary_rs || int_at(canary_rs, "status", "availableReplicas") == 0;
	if (a.weight > bound)
		why = "a weight above the step's";
	else if (a.weight > 0 && no_pods && (whole || moved))
		why = "a weight to a revision without available pods";
	else if (n_routes(sm) > 0 && no_pods && whole)
		why = "a header or mirror route to a revision without available pods";
	else if (selected(sm, 0) && a.stable_spec < b->stable_spec &&
	         a.stable_spec < (sm->dynamic ? share(replicas, 100 - a.weight) : replicas))
		why = "stable shrunk below what its share of traffic needs";
	if (why) {
		sm->violations++;
		tap_diag(
		    "router promise broken: %s (weight %d -> %d, bound %d, stable %d -> %d pods)",
		    why, b->weight, a.weight, bound, b->stable_spec, a.stable_spec);
	}
}

/* One reconcile, applied (up to `limit` actions). Returns the number of
 * actions other than Events. */
static size_t step_once(struct sim *sm, size_t limit)
{
	const json_t *rss[MAX_RS], *owned[MAX_ING], *runs[MAX_RUNS], *tmpl[MAX_TMPL];
	const json_t *appr[MAX_APPR], *bindings[1] = {sm->binding};
	for (size_t i = 0; i < sm->n_appr; i++)
		appr[i] = sm->appr[i];
	for (size_t i = 0; i < sm->n_rs; i++)
		rss[i] = sm->rs[i];
	for (size_t i = 0; i < sm->n_runs; i++)
		runs[i] = sm->runs[i];
	for (size_t i = 0; i < sm->n_tmpl; i++)
		tmpl[i] = sm->tmpl[i];
	for (size_t i = 0; i < sm->n_owned; i++)
		owned[i] = sm->owned[i];
	const json_t *routes[1] = {sm->route};
	struct rec_observed o = {.release = sm->release,
	                         .replicasets = rss,
	                         .n_replicasets = sm->n_rs,
	                         .stable_service = sm->svc[0],
	                         .canary_service = sm->svc[1],
	                         .http_routes = routes,
	                         .n_http_routes = 1,
	                         .stable_ingress = sm->ingress,
	                         .owned_ingresses = owned,
	                         .n_owned_ingresses = sm->n_owned,
	                         .analysis_runs = runs,
	                         .n_analysis_runs = sm->n_runs,
	                         .analysis_templates = tmpl,
	                         .n_analysis_templates = sm->n_tmpl,
	                         .approvals = appr,
	                         .n_approvals = sm->n_appr,
	                         .approval_policy = sm->policy,
	                         .approval_bindings = bindings,
	                         .n_approval_bindings = sm->binding ? 1 : 0,
	                         .now = sm->now};
	struct rec_plan plan;
	rec_plan_init(&plan);
	int r = rec_release_reconcile(&o, &plan);
	if (r < 0)
		tap_diag("reconcile failed: %d", r);
	/* Allocations belong to plan; the observed objects must not change. */
	int before_total = total_spec(sm), before_available = total_available(sm);
	struct routers_seen before = routers_now(sm);
	apply_plan(sm, &plan, limit);
	check_invariants(sm, before_total, before_available);
	check_routers(sm, &before, limit >= plan.n_actions);
	size_t n = 0;
	for (size_t i = 0; i < plan.n_actions; i++)
		n += plan.actions[i].kind != REC_EVENT;
	sm->last_requeue = plan.requeue_after;
	rec_plan_clear(&plan);
	return n;
}

/* Reconcile and let pods come, until nothing changes (or 60 rounds). */
static void run(struct sim *sm, size_t limit)
{
	for (int i = 0; i < 60; i++) {
		size_t n = step_once(sm, limit);
		pods_tick(sm);
		if (n == 0)
			return;
		limit = SIZE_MAX;
	}
	tap_diag("did not settle");
	sm->violations++;
}

static void write_intent(struct sim *sm, const char *action, int image, int step)
{
	json_t *st = json_object_get(sm->release, "status");
	if (step < 0)
		step = (int)json_integer_value(json_object_get(st, "currentStepIndex"));
	char ts[MODEL_TIME_LEN];
	model_time_format(sm->now, ts);
	json_object_set_new(st, "intent",
	                    json_pack("{s:s,s:s,s:s,s:s,s:i}", "action", action, "user", "alice",
	                              "requestedAt", ts, "revision", rev[image], "stepIndex",
	                              step));
}

/* "1:9,2:1": spec.replicas of each RS that has pods, by image. */
static void rs_summary(struct sim *sm, char *out, size_t len)
{
	out[0] = '\0';
	for (int img = 1; img < N_IMAGES; img++) {
		for (size_t i = 0; i < sm->n_rs; i++) {
			const json_t *labels =
			    json_object_get(json_object_get(sm->rs[i], "metadata"), "labels");
			if (image_of(json_string_value(
			        json_object_get(labels, MODEL_LABEL_REVISION))) != img)
				continue;
			int n = int_at(sm->rs[i], "spec", "replicas");
			if (n == 0)
				continue;
			size_t used = strlen(out);
			snprintf(out + used, len - used, "%s%d:%d", used ? "," : "", img, n);
		}
	}
}

static const char *ready_reason(struct sim *sm)
{
	json_t *c;
	size_t i;
	json_array_foreach(json_object_get(status(sm), "conditions"), i, c)
	{
		if (strcmp(json_string_value(json_object_get(c, "type")), "Ready") == 0)
			return json_string_value(json_object_get(c, "reason"));
	}
	return "-";
}

/* The images of ReplicaSets with a scale-down deadline, "-" for none. */
static void deadlines(struct sim *sm, char *out, size_t len)
{
	out[0] = '\0';
	for (int img = 1; img < N_IMAGES; img++) {
		const json_t *rs = rs_of(sm, rev[img]);
		if (rs && annotation(rs, MODEL_ANNOTATION_SCALE_DOWN_DEADLINE)) {
			size_t used = strlen(out);
			snprintf(out + used, len - used, "%s%d", used ? "," : "", img);
		}
	}
	if (!out[0])
		snprintf(out, len, "-");
}

/* Our HTTPRoute rules, "-" for none: "beta.0,shadow.0" (route name, the
 * managed rule's index). */
static void rule_names(struct sim *sm, char *out, size_t len)
{
	size_t i;
	json_t *rule;
	out[0] = '\0';
	json_array_foreach(json_object_get(json_object_get(sm->route, "spec"), "rules"), i, rule)
	{
		if (!is_ours(rule))
			continue;
		size_t used = strlen(out);
		const char *n = json_string_value(json_object_get(rule, "name"));
		snprintf(out + used, len - used, "%s%s", used ? "," : "",
		         n + strlen("slipway.web."));
	}
	if (!out[0])
		snprintf(out, len, "-");
}

static const char *condition_reason(struct sim *sm, const char *type, const char *want_status)
{
	json_t *c;
	size_t i;
	json_array_foreach(json_object_get(status(sm), "conditions"), i, c)
	{
		if (strcmp(json_string_value(json_object_get(c, "type")), type) == 0 &&
		    strcmp(json_string_value(json_object_get(c, "status")), want_status) == 0)
			return json_string_value(json_object_get(c, "reason"));
	}
	return "-";
}

/* "N/M" from the status message's "N of M pods available", "-" without. */
static void pods_available(struct sim *sm, char *out, size_t len)
{
	const char *m = json_string_value(json_object_get(status(sm), "message"));
	int n, of;
	snprintf(out, len, "-");
	for (const char *s = m ? m : ""; *s; s++) {
		if ((s == m || s[-1] == ' ') &&
		    sscanf(s, "%d of %d pods available", &n, &of) == 2) {
			snprintf(out, len, "%d/%d", n, of);
			return;
		}
	}
}

/* The reasons of status.pauseConditions, "-" for none. */
static void pause_reasons(struct sim *sm, char *out, size_t len)
{
	size_t i;
	json_t *pc;
	out[0] = '\0';
	json_array_foreach(json_object_get(status(sm), "pauseConditions"), i, pc)
	{
		size_t used = strlen(out);
		snprintf(out + used, len - used, "%s%s", i ? "," : "",
		         json_string_value(json_object_get(pc, "reason")));
	}
	if (!out[0])
		snprintf(out, len, "-");
}

/* Keys about the routers: cw (canary weight in the router), ssel / csel
 * (the image stableService / canaryService selects, -1: none), rules (our
 * route rules), ing (Ingresses we own), hdr (the canary Ingress's header),
 * stalled (reason of Stalled=True), dl (images with a deadline), avail
 * (pods available as the status message counts them). */
static bool expect_router(struct sim *sm, const char *key, char *got, size_t len)
{
	if (strcmp(key, "cw") == 0) {
		snprintf(got, len, "%d", router_weight(sm));
	} else if (strcmp(key, "ssel") == 0 || strcmp(key, "csel") == 0) {
		const char *r = selected(sm, key[0] == 'c');
		snprintf(got, len, "%d", r ? image_of(r) : -1);
	} else if (strcmp(key, "rules") == 0) {
		rule_names(sm, got, len);
	} else if (strcmp(key, "ing") == 0) {
		snprintf(got, len, "%d", (int)sm->n_owned);
	} else if (strcmp(key, "hdr") == 0) {
		const json_t *ing = canary_ingress(sm);
		const char *h =
		    ing ? annotation(ing, "nginx.ingress.kubernetes.io/canary-by-header") : NULL;
		snprintf(got, len, "%s", h ? h : "-");
	} else if (strcmp(key, "stalled") == 0) {
		snprintf(got, len, "%s", condition_reason(sm, "Stalled", "True"));
	} else if (strcmp(key, "dl") == 0) {
		deadlines(sm, got, len);
	} else if (strcmp(key, "avail") == 0) {
		pods_available(sm, got, len);
	} else if (strcmp(key, "nruns") == 0) {
		snprintf(got, len, "%d", (int)sm->n_runs);
	} else if (strcmp(key, "runs") == 0) {
		run_names(sm, got, len);
	} else if (strcmp(key, "args") == 0) {
		run_args(sm, got, len);
	} else if (strcmp(key, "pausereason") == 0) {
		pause_reasons(sm, got, len);
	} else {
		return false;
	}
	return true;
}

/* Someone else writes the route's managed weights (a GitOps re-apply). */
static void drift(struct sim *sm, int canary)
{
	json_t *rule = (json_t *)managed_rule(sm);
	size_t i;
	json_t *b;
	json_array_foreach(json_object_get(rule, "backendRefs"), i, b)
	{
		bool c = strcmp(json_string_value(json_object_get(b, "name")), "web-canary") == 0;
		json_object_set_new(b, "weight", json_integer(c ? canary : 100 - canary));
	}
}

/* The Gateway's verdict on the route: status.parents Accepted. */
static void route_accepted(struct sim *sm, bool accepted)
{
	json_object_set_new(sm->route, "status",
	                    json_pack("{s:[{s:{s:s},s:s,s:[{s:s,s:s}]}]}", "parents", "parentRef",
	                              "name", "gw", "controllerName", "example.com/gw",
	                              "conditions", "type", "Accepted", "status",
	                              accepted ? "True" : "False"));
}

/* "gone svc|csvc|route|ingress" takes a router away, "back" returns them. */
static void router_gone(struct sim *sm, const char *what, bool back)
{
	json_t **slots[] = {&sm->svc[0], &sm->svc[1], &sm->route, &sm->ingress};
	const char *names[] = {"svc", "csvc", "route", "ingress"};
	for (size_t i = 0; i < 4; i++) {
		if (!back && strcmp(what, names[i]) == 0 && *slots[i]) {
			sm->hidden[i] = *slots[i];
			*slots[i] = NULL;
		} else if (back && sm->hidden[i]) {
			*slots[i] = sm->hidden[i];
			sm->hidden[i] = NULL;
		}
	}
}

/* One "expect" clause: key=value, checked against the cluster. */
static void expect(struct sim *sm, const char *row, const char *kv)
{
	char key[32], val[256], got[16600];
	if (sscanf(kv, "%31[^=]=%255s", key, val) != 2) {
		ok(false, "%s: bad expect %s", row, kv);
		return;
	}
	const json_t *st = status(sm);
	if (strcmp(key, "step") == 0)
		snprintf(got, sizeof(got), "%d",
		         (int)json_integer_value(json_object_get(st, "currentStepIndex")));
	else if (strcmp(key, "phase") == 0)
		snprintf(got, sizeof(got), "%s", json_string_value(json_object_get(st, "phase")));
	else if (strcmp(key, "w") == 0)
		snprintf(got, sizeof(got), "%d", canary_weight(sm));
	else if (strcmp(key, "stable") == 0)
		snprintf(got, sizeof(got), "%d",
		         image_of(json_string_value(json_object_get(st, "stableRevision"))));
	else if (strcmp(key, "rs") == 0)
		rs_summary(sm, got, sizeof(got));
	else if (strcmp(key, "nrs") == 0)
		snprintf(got, sizeof(got), "%d", (int)sm->n_rs);
	else if (strcmp(key, "ready") == 0)
		snprintf(got, sizeof(got), "%s", ready_reason(sm));
	else if (strcmp(key, "label") == 0) {
		const char *label =
		    json_string_value(json_object_get(json_object_get(st, "canary"), "stepLabel"));
		snprintf(got, sizeof(got), "%s", label ? label : "-");
	} else if (strcmp(key, "abort") == 0)
		snprintf(got, sizeof(got), "%d", json_is_true(json_object_get(st, "abort")));
	else if (strcmp(key, "intent") == 0)
		snprintf(got, sizeof(got), "%d", json_object_get(st, "intent") != NULL);
	else if (strcmp(key, "paused") == 0)
		snprintf(got, sizeof(got), "%d",
		         (int)json_array_size(json_object_get(st, "pauseConditions")));
	else if (strcmp(key, "requeue") == 0)
		snprintf(got, sizeof(got), "%d", (int)sm->last_requeue);
	else if (strcmp(key, "who") == 0) {
		char by[300];
		snprintf(by, sizeof(by), "by %s", val);
		snprintf(got, sizeof(got), "%s", strstr(sm->events, by) ? val : sm->events);
	} else if (strcmp(key, "ev") == 0)
		snprintf(got, sizeof(got), "%s", strstr(sm->events, val) ? val : sm->events);
	else if (strcmp(key, "noev") == 0)
		snprintf(got, sizeof(got), "%s", strstr(sm->events, val) ? sm->events : val);
	else if (strcmp(key, "msg") == 0 || strcmp(key, "evs") == 0) {
		/* Text with '_' for each space. */
		char want[256];
		snprintf(want, sizeof(want), "%s", val);
		for (char *p = want; *p; p++)
			*p = *p == '_' ? ' ' : *p;
		const char *in =
		    key[0] == 'm' ? json_string_value(json_object_get(st, "message")) : sm->events;
		snprintf(got, sizeof(got), "%s", in && strstr(in, want) ? val : in ? in : "-");
	} else if (!expect_router(sm, key, got, sizeof(got)))
		snprintf(got, sizeof(got), "unknown key %s", key);
	is_str(got, val, "%s: %s", row, kv);
}

/* Runs a script: commands separated by ";". */
static void run_script(struct sim *sm, const char *row, const char *script)
{
	char *copy = strdup(script), *save = NULL;
	int image = 1;
	for (char *cmd = strtok_r(copy, ";", &save); cmd; cmd = strtok_r(NULL, ";", &save)) {
		while (*cmd == ' ')
			cmd++;
		char word[32] = "", arg[64] = "";
		int n = 0, m = -1;
		sscanf(cmd, "%31s %63s %d", word, arg, &m);
		n = (int)strtol(arg, NULL, 10);
		if (strcmp(word, "run") == 0) {
			run(sm, SIZE_MAX);
		} else if (strcmp(word, "crashrun") == 0) {
			for (int i = 0; i < 200 && step_once(sm, (size_t)n) > 0; i++)
				pods_tick(sm);
		} else if (strcmp(word, "once") == 0) {
			step_once(sm, SIZE_MAX);
		} else if (strcmp(word, "tick") == 0) {
			pods_tick(sm);
		} else if (strcmp(word, "img") == 0) {
			image = n;
			set_image(sm, n);
		} else if (strcmp(word, "rep") == 0) {
			json_object_set_new(spec_of(sm), "replicas", json_integer(n));
		} else if (strcmp(word, "pause") == 0) {
			json_object_set_new(spec_of(sm), "paused", json_boolean(n));
		} else if (strcmp(word, "wait") == 0) {
			sm->now += n;
		} else if (strcmp(word, "down") == 0) {
			pods_down(sm, n);
		} else if (strcmp(word, "slow") == 0 || strcmp(word, "fast") == 0) {
			sm->slow = word[0] == 's';
		} else if (strcmp(word, "intent") == 0) {
			write_intent(sm, arg, image, m);
		} else if (strcmp(word, "stale") == 0) {
			write_intent(sm, arg, image + 1, m);
		} else if (strcmp(word, "drift") == 0) {
			drift(sm, n);
		} else if (strcmp(word, "refuse") == 0 || strcmp(word, "accept") == 0) {
			route_accepted(sm, word[0] == 'a');
		} else if (strcmp(word, "gone") == 0 || strcmp(word, "back") == 0) {
			router_gone(sm, arg, word[0] == 'b');
		} else if (strcmp(word, "tmpl") == 0 || strcmp(word, "ctmpl") == 0 ||
		           strcmp(word, "badtmpl") == 0 || strcmp(word, "brokentmpl") == 0) {
			add_template(sm, arg, word[0] == 'c',
			             word[0] == 'b' ? (word[1] == 'a' ? NULL : "result[0] <")
			                            : "result[0] < 0.05");
		} else if (strcmp(word, "untmpl") == 0) {
			remove_template(sm, arg);
		} else if (strcmp(word, "runphase") == 0) {
			char phase[32] = "";
			sscanf(cmd, "%*s %*s %31s", phase);
			set_run_phase(sm, image, arg, phase);
		} else if (strcmp(word, "approve") == 0 || strcmp(word, "reject") == 0 ||
		           strcmp(word, "oldapprove") == 0) {
			char group[32] = "-";
			sscanf(cmd, "%*s %*s %31s", group);
			add_approval(sm, arg, group, word[0] == 'o' ? image - 1 : image,
			             word[0] == 'r' ? "Reject" : "Approve",
			             word[0] == 'r' ? "error budget burnt" : "ok");
		} else if (strcmp(word, "nopolicy") == 0) {
			sm->policy = json_decref_null(sm->policy);
		} else if (strcmp(word, "nobinding") == 0) {
			sm->binding = json_decref_null(sm->binding);
		} else if (strcmp(word, "expect") == 0) {
			char *kv_save = NULL;
			for (char *kv = strtok_r(cmd + 6, " ", &kv_save); kv;
			     kv = strtok_r(NULL, " ", &kv_save))
				expect(sm, row, kv);
			sm->events[0] = '\0';
		} else {
			ok(false, "%s: unknown command %s", row, cmd);
		}
	}
	free(copy);
}

#define PACE(s, u) "\"maxSurge\":" #s ",\"maxUnavailable\":" #u
#define SVCS       "\"stableService\":\"web\",\"canaryService\":\"web-canary\""
#define GWR        SVCS ",\"trafficRouting\":{\"gatewayAPI\":{\"httpRoutes\":[{\"name\":\"web\"}]}},"
#define NGX        SVCS ",\"trafficRouting\":{\"nginx\":{\"stableIngress\":\"web\"}},"
#define PAUSE      "{\"pause\":{}}"
#define SW(n)      "{\"setWeight\":" #n "}"
#define HDR                                                                                        \
	"{\"setHeaderRoute\":{\"name\":\"beta\",\"match\":[{\"headerName\":\"X-Beta\","            \
	"\"headerValue\":{\"exact\":\"yes\"}}]}}"
#define NGX_HDR HDR
#define HDR_OFF "{\"setHeaderRoute\":{\"name\":\"beta\"}}"
#define MIR     "{\"setMirrorRoute\":{\"name\":\"shadow\",\"percentage\":20}}"
#define MIR_OFF "{\"setMirrorRoute\":{\"name\":\"shadow\"}}"
/* An analysis step of template t; cluster: a ClusterAnalysisTemplate. */
#define AN_REF(t, cluster)                                                                         \
	"{\"analysis\":{\"templates\":[{\"templateName\":\"" t "\",\"clusterScope\":" cluster      \
	"}],\"args\":[{\"name\":\"service\",\"value\":\"web-canary\"}]}}"
#define AN(t) AN_REF(t, "false")
/* Background analysis of template t from step `start`; the Latest revision as arg. */
#define BG(t, start)                                                                               \
	"\"analysis\":{\"templates\":[{\"templateName\":\"" t "\"}],\"args\":[{\"name\":\"rev\","  \
	"\"valueFrom\":{\"podTemplateHashValue\":\"Latest\"}}],\"startingStep\":" #start "},"
/* The same with the Stable revision as arg. */
#define BG_STABLE(t)                                                                               \
	"\"analysis\":{\"templates\":[{\"templateName\":\"" t "\"}],\"args\":[{\"name\":\"rev\","  \
	"\"valueFrom\":{\"podTemplateHashValue\":\"Stable\"}}]},"
/* A gate of one sre and one security approver. */
#define GATE2                                                                                      \
	"{\"approval\":{\"name\":\"g\",\"rules\":[{\"group\":\"sre\",\"count\":1},{\"group\":"     \
	"\"security\",\"count\":1}]}}"
#define FAILED_MSG "error-rate:_0.31_>=_0.2_(failure_condition)_in_2_of_5_measurements"

static const struct row {
	const char *name;
	int replicas;
	const char *strategy; /* spec.strategy.canary */
	int surge, unavailable, min_pods;
	const char *script;
} rows[] = {
    {"the first template goes out whole, steps skipped", 10,
     "{" PACE(1, 0) ",\"steps\":[" SW(20) "," PAUSE "]}", 1, 0, 1,
     "run; expect stable=1 rs=1:10 phase=Healthy step=2 label=2/2 w=0 ready=RolloutComplete "
     "ev=RolloutCompleted"},
    {"setWeight, pause {} until promoted, timed pause, completion", 10,
     "{" PACE(1, 0) ",\"steps\":[" SW(20) "," PAUSE
                                          "," SW(50) ",{\"pause\":{\"duration\":\"1m\"}}]}",
     1, 0, 1,
     "run; img 2; run; expect step=1 rs=1:8,2:2 w=20 phase=Paused paused=1 label=2/4 "
     "ev=CanaryStarted ev=CanaryPaused; intent Promote; run; expect step=3 "
     "rs=1:5,2:5 w=50 phase=Paused intent=0 ev=Promoted; wait 30; run; expect step=3 "
     "requeue=30; wait 30; run; expect step=4 stable=2 rs=2:10 phase=Healthy w=0 label=4/4 "
     "ev=RolloutCompleted nrs=2"},
    {"a stale promote (older step, other revision) is ignored and cleared", 10,
     "{" PACE(1, 0) ",\"steps\":[" SW(20) "," PAUSE "," SW(50) "," PAUSE "]}", 1, 0, 1,
     "run; img 2; run; intent Promote 0; run; expect step=1 intent=0 ev=IntentIgnored; "
     "stale Promote 1; run; expect step=1 intent=0 rs=1:8,2:2 ev=IntentIgnored; intent "
     "Promote; run; expect step=3 rs=1:5,2:5"},
    {"promote full skips every remaining step and pause", 10,
     "{" PACE(1, 0) ",\"steps\":[" SW(20) "," PAUSE "," SW(50) "," PAUSE "]}", 1, 0, 1,
     "run; img 2; run; intent PromoteFull; run; expect stable=2 rs=2:10 phase=Healthy "
     "ev=PromotedFull"},
    {"promote full also overrides spec.paused, the manual pause", 10,
     "{" PACE(1, 0) ",\"steps\":[" SW(20) "," PAUSE "]}", 1, 0, 1,
     "run; img 2; run; pause 1; run; expect step=1 phase=Paused ready=Paused; intent "
     "PromoteFull; run; expect stable=2 rs=2:10 phase=Healthy who=alice"},
    {"abort: stable back whole, canary out, Degraded; retry starts the steps again", 10,
     "{" PACE(1, 0) ",\"steps\":[" SW(20) "," PAUSE "," SW(50) "," PAUSE "]}", 1, 0, 1,
     "run; img 2; run; intent Promote; run; expect step=3; intent Abort; run; expect abort=1 "
     "phase=Degraded ready=RolloutAborted rs=1:10 w=0 stable=1 ev=RolloutAborted who=alice; "
     "intent "
     "Retry; run; expect abort=0 step=1 rs=1:8,2:2 w=20 phase=Paused ev=RolloutRetried"},
    {"re-applying the stable template ends the abort, the canary goes", 10,
     "{" PACE(1, 0) ",\"steps\":[" SW(20) "," PAUSE "]}", 1, 0, 1,
     "run; img 2; run; intent Abort; run; expect abort=1; img 1; run; expect abort=0 "
     "phase=Healthy stable=1 rs=1:10 nrs=1 ev=AbortEnded"},
    {"a new template after an abort starts a new canary", 10,
     "{" PACE(1, 0) ",\"steps\":[" SW(20) "," PAUSE "]}", 1, 0, 1,
     "run; img 2; run; intent Abort; run; img 3; run; expect abort=0 step=1 rs=1:8,3:2 nrs=2 "
     "phase=Paused ev=CanaryStarted"},
    {"a new template mid-canary replaces the canary and restarts the steps", 10,
     "{" PACE(1, 0) ",\"steps\":[" SW(20) "," PAUSE "," SW(50) "," PAUSE "]}", 1, 0, 1,
     "run; img 2; run; intent Promote; run; expect step=3 rs=1:5,2:5; img 3; run; expect "
     "step=1 rs=1:8,3:2 nrs=2 stable=1 ev=CanaryStarted"},
    {"a scale change mid-canary keeps the weight's share", 10,
     "{" PACE(1, 0) ",\"steps\":[" SW(20) "," PAUSE "]}", 1, 0, 1,
     "run; img 2; run; expect rs=1:8,2:2; rep 5; run; expect rs=1:4,2:1 step=1 w=20; rep 20; "
     "run; expect rs=1:16,2:4"},
    {"spec.paused holds everything; unpaused, the canary goes on", 10,
     "{" PACE(1, 0) ",\"steps\":[" SW(20) "," PAUSE "]}", 1, 0, 1,
     "run; pause 1; img 2; run; expect rs=1:10 phase=Paused ready=Paused step=0; pause 0; "
     "run; expect step=1 rs=1:8,2:2"},
    {"analysis step: its run is created once, labelled, args resolved; Successful goes on", 10,
     "{" PACE(1, 0) ",\"steps\":[" SW(10) "," AN("error-rate") "," SW(50) "," PAUSE "]}", 1, 0, 1,
     "tmpl error-rate; run; expect runs=-; img 2; run; expect step=1 rs=1:9,2:1 "
     "phase=Progressing ready=AnalysisRunning runs=2/1 "
     "args=service:web-canary,rev:none,token:secret(prom-token/token)|error-rate; run; expect "
     "runs=2/1 step=1; runphase 1 Running; run; expect step=1 runs=2/1; runphase 1 Successful; "
     "run; expect step=3 rs=1:5,2:5 runs=2/1 phase=Paused ev=CanaryStepCompleted; intent "
     "Promote; run; expect stable=2 phase=Healthy rs=2:10 runs=2/1"},
    {"analysis step: Failed aborts with the run's verdict; Retry makes a fresh run", 10,
     "{" PACE(1, 0) ",\"steps\":[" SW(10) "," AN("error-rate") "," SW(50) "]}", 1, 0, 1,
     "tmpl error-rate; run; img 2; run; runphase 1 Failed; run; expect abort=1 phase=Degraded "
     "rs=1:10 w=0 stable=1 ready=RolloutAborted msg=" FAILED_MSG
     " msg=by_analysis_run_web- evs=" FAILED_MSG
     " evs=(template_error-rate)_Failed ev=RolloutAborted; run; expect abort=1 msg=" FAILED_MSG
     " noev=RolloutAborted; intent Retry; run; expect abort=0 step=1 rs=1:9,2:1 runs=2/1,2/1.1; "
     "runphase 1 Successful; run; expect stable=2 phase=Healthy runs=2/1,2/1.1"},
    {"analysis step: Error aborts too", 10,
     "{" PACE(1, 0) ",\"steps\":[" SW(10) "," AN("error-rate") "," SW(50) "]}", 1, 0, 1,
     "tmpl error-rate; run; img 2; run; runphase 1 Error; run; expect abort=1 rs=1:10 "
     "msg=connection_refused evs=Error:_error-rate:_connection_refused"},
    {"analysis step: Inconclusive pauses until promoted; promote goes on", 10,
     "{" PACE(1, 0) ",\"steps\":[" SW(10) "," AN("error-rate") "," SW(50) "," PAUSE "]}", 1, 0, 1,
     "tmpl error-rate; run; img 2; run; runphase 1 Inconclusive; run; expect phase=Paused "
     "step=1 rs=1:9,2:1 pausereason=InconclusiveAnalysisRun ready=InconclusiveAnalysisRun "
     "msg=no_data ev=InconclusiveAnalysisRun; wait 600; run; expect phase=Paused step=1 "
     "noev=InconclusiveAnalysisRun; intent Promote; run; expect step=3 rs=1:5,2:5 "
     "pausereason=CanaryPauseStep runs=2/1 ev=Promoted"},
    {"analysis step: abort from Inconclusive aborts", 10,
     "{" PACE(1, 0) ",\"steps\":[" SW(10) "," AN("error-rate") "," SW(50) "]}", 1, 0, 1,
     "tmpl error-rate; run; img 2; run; runphase 1 Inconclusive; run; intent Abort; run; "
     "expect abort=1 rs=1:10 pausereason=- phase=Degraded"},
    {"analysis step: a missing template stalls and says so once; created once it is there", 10,
     "{" PACE(1, 0) ",\"steps\":[" SW(10) "," AN("error-rate") "," SW(50) "]}", 1, 0, 1,
     "run; img 2; run; expect step=1 rs=1:9,2:1 runs=- stalled=AnalysisTemplateNotFound "
     "phase=Degraded ev=AnalysisTemplateNotFound "
     "msg=AnalysisTemplate_error-rate_not_found_in_namespace_shop; run; expect "
     "noev=AnalysisTemplateNotFound; ctmpl error-rate; run; expect runs=- "
     "stalled=AnalysisTemplateNotFound; tmpl error-rate; run; expect runs=2/1 stalled=- "
     "phase=Progressing"},
    {"analysis step: an invalid template stalls, naming it, until it is fixed", 10,
     "{" PACE(1, 0) ",\"steps\":[" SW(10) "," AN("error-rate") "," SW(50) "]}", 1, 0, 1,
     "badtmpl error-rate; run; img 2; run; expect step=1 runs=- stalled=AnalysisTemplateInvalid "
     "msg=AnalysisTemplate_error-rate_is_invalid ev=AnalysisTemplateInvalid; tmpl error-rate; "
     "run; expect runs=2/1 stalled=-"},
    {"analysis step: a broken condition is the template's fault: held, with its column, no run", 10,
     "{" PACE(1, 0) ",\"steps\":[" SW(10) "," AN("error-rate") "," SW(50) "]}", 1, 0, 1,
     "brokentmpl error-rate; run; img 2; run; expect step=1 rs=1:9,2:1 runs=- abort=0 "
     "stalled=AnalysisTemplateInvalid ev=AnalysisTemplateInvalid "
     "msg=AnalysisTemplate_error-rate_is_invalid:_metric_error-rate:_successCondition:_column_12; "
     "tmpl error-rate; run; expect runs=2/1 stalled=-"},
    {"analysis step: clusterScope names a ClusterAnalysisTemplate", 10,
     "{" PACE(1, 0) ",\"steps\":[" SW(10) "," AN_REF("error-rate", "true") "," SW(50) "]}", 1, 0, 1,
     "tmpl error-rate; run; img 2; run; expect runs=- stalled=AnalysisTemplateNotFound "
     "msg=ClusterAnalysisTemplate_error-rate_not_found; ctmpl error-rate; run; expect runs=2/1 "
     "stalled=-; runphase 1 Successful; run; expect stable=2"},
    {"analysis step: a new template mid-analysis stops the old run and starts its own", 10,
     "{" PACE(1, 0) ",\"steps\":[" SW(10) "," AN("error-rate") "," SW(50) "]}", 1, 0, 1,
     "tmpl error-rate; run; img 2; run; expect runs=2/1; img 3; run; expect step=1 "
     "rs=1:9,3:1 runs=2/1!,3/1; runphase 1 Successful; run; expect stable=3 runs=2/1!,3/1"},
    {"analysis step: promote full skips the analysis and stops its run", 10,
     "{" PACE(1, 0) ",\"steps\":[" SW(10) "," AN("error-rate") "," SW(50) "]}", 1, 0, 1,
     "tmpl error-rate; run; img 2; run; expect runs=2/1; intent PromoteFull; run; expect "
     "stable=2 phase=Healthy runs=2/1!"},
    {"background analysis starts at startingStep, stops when the rollout completes", 10,
     "{" PACE(1, 0) "," BG("error-rate", 2) "\"steps\":[" SW(10) "," PAUSE "," SW(50) "," PAUSE
                                                                                      "]}",
     1, 0, 1,
     "tmpl error-rate; run; img 2; run; expect step=1 runs=-; intent Promote; run; expect "
     "step=3 runs=2/background args=service:web,rev:@2,token:secret(prom-token/token)|error-rate; "
     "runphase background Running; intent Promote; run; expect stable=2 phase=Healthy "
     "runs=2/background!"},
    {"background analysis: Failed at a later step aborts there", 10,
     "{" PACE(1, 0) "," BG("error-rate", 0) "\"steps\":[" SW(10) "," PAUSE "," SW(50) "," PAUSE
                                                                                      "]}",
     1, 0, 1,
     "tmpl error-rate; run; img 2; run; expect step=1 runs=2/background; intent Promote; run; "
     "expect step=3 rs=1:5,2:5; runphase background Failed; run; expect abort=1 rs=1:10 w=0 "
     "msg=" FAILED_MSG " evs=aborted_at_step_4/4 ev=RolloutAborted runs=2/background"},
    {"background analysis: Inconclusive pauses; promote starts a fresh run; abort stops it", 10,
     "{" PACE(1, 0) "," BG("error-rate", 0) "\"steps\":[" SW(10) "," SW(30) "," PAUSE "]}", 1, 0, 1,
     "tmpl error-rate; run; img 2; run; expect step=2 runs=2/background; runphase background "
     "Inconclusive; run; expect phase=Paused pausereason=CanaryPauseStep,InconclusiveAnalysisRun "
     "ev=InconclusiveAnalysisRun; intent Promote; run; expect step=2 "
     "runs=2/background,2/background.1 pausereason=CanaryPauseStep phase=Paused; intent Abort; "
     "run; expect abort=1 runs=2/background,2/background.1!"},
    {"background and step analysis: killed after the first action of every plan", 10,
     "{" PACE(2, 1) "," BG("error-rate",
                           0) "\"steps\":[" SW(20) "," AN("error-rate") "," SW(60) "," PAUSE "]}",
     2, 1, 1,
     "tmpl error-rate; run; img 2; crashrun 1; expect step=1 rs=1:8,2:2 "
     "runs=2/background,2/1; runphase 1 Successful; crashrun 1; expect step=3 rs=1:4,2:6 "
     "runs=2/background,2/1; intent Promote; crashrun 1; expect stable=2 rs=2:10 "
     "runs=2/background!,2/1"},
    {"background analysis: podTemplateHashValue Stable is the stable revision", 10,
     "{" PACE(1, 0) "," BG_STABLE("error-rate") "\"steps\":[" SW(10) "," PAUSE "]}", 1, 0, 1,
     "tmpl error-rate; run; img 2; run; expect step=1 runs=2/background "
     "args=service:web,rev:@1,token:secret(prom-token/token)|error-rate"},
    {"background analysis: a startingStep past the steps is an invalid spec", 10,
     "{" PACE(1, 0) "," BG("error-rate", 3) "\"steps\":[" SW(10) "," PAUSE "]}", 1, 0, 1,
     "tmpl error-rate; run; expect ready=InvalidSpec "
     "msg=spec.strategy.canary.analysis.startingStep:_must_be_at_most_the_number_of_steps_(2) "
     "runs=-"},
    {"retries keep a bounded number of runs", 10,
     "{" PACE(1, 0) ",\"steps\":[" SW(10) "," AN("error-rate") "," SW(50) "]}", 1, 0, 1,
     "tmpl error-rate; run; img 2; run; runphase 1 Failed; run; intent Retry; run; runphase 1 "
     "Failed; run; intent Retry; run; runphase 1 Failed; run; intent Retry; run; runphase 1 "
     "Failed; run; intent Retry; run; runphase 1 Failed; run; intent Retry; run; runphase 1 "
     "Failed; run; intent Retry; run; expect nruns=6 step=1 abort=0; runphase 1 Failed; run; "
     "intent Retry; run; expect nruns=6 runs=2/1.2,2/1.3,2/1.4,2/1.5,2/1.6,2/1.7"},
    {"approval gate: waits, says who is missing, a Promote does not pass it; met goes on", 10,
     "{" PACE(1, 0) ",\"steps\":[" SW(20) "," GATE2 "," SW(50) "]}", 1, 0, 1,
     "run; img 2; run; expect step=1 rs=1:8,2:2 phase=Paused ready=ApprovalPending "
     "pausereason=ApprovalPending msg=waiting:_sre_0/1_(1_missing); "
     "intent Promote; run; expect step=1 intent=0 ev=IntentIgnored "
     "evs=which_only_its_approvers_open; intent PromoteFull; run; expect step=1 "
     "ev=IntentIgnored abort=0; approve alice sre; run; expect step=1 phase=Paused "
     "msg=waiting:_sre_1/1_(alice); approve bob security; run; "
     "expect stable=2 rs=2:10 phase=Healthy paused=0 ev=CanaryStepCompleted"},
    {"approval gate: one person in both groups fills one rule only", 10,
     "{" PACE(1, 0) ",\"steps\":[" GATE2 "]}", 1, 0, 1,
     "run; img 2; run; approve carol sre; approve carol security; run; expect step=0 "
     "phase=Paused msg=(1_missing); approve bob security; run; expect stable=2 phase=Healthy"},
    {"approval gate: an Approval of another revision does not count", 10,
     "{" PACE(1, 0) ",\"steps\":[{\"approval\":{\"name\":\"g\",\"rules\":[{\"group\":\"sre\","
                    "\"count\":1}]}}]}",
     1, 0, 1,
     "run; img 2; run; img 3; run; oldapprove alice sre; run; expect step=0 phase=Paused "
     "msg=sre_0/1; approve alice sre; run; expect stable=3 phase=Healthy"},
    {"approval gate: a Reject aborts, naming who and why", 10,
     "{" PACE(1, 0) ",\"steps\":[" SW(20) "," GATE2 "]}", 1, 0, 1,
     "run; img 2; run; approve alice sre; reject bob security; run; expect abort=1 "
     "phase=Degraded rs=1:10 ev=RolloutAborted "
     "msg=by_bob,_rejecting_gate_g:_error_budget_burnt evs=bob,_rejecting; run; expect "
     "phase=Degraded msg=bob,_rejecting_gate_g"},
    {"approval gate: a Reject by someone the gate does not ask is ignored", 10,
     "{" PACE(1, 0) ",\"steps\":[" GATE2 "]}", 1, 0, 1,
     "run; img 2; run; reject mallory -; run; expect abort=0 phase=Paused"},
    {"approval gate: timeout with onTimeout Abort aborts after it", 10,
     "{" PACE(1, 0) ",\"steps\":[{\"approval\":{\"name\":\"g\",\"rules\":[{\"group\":\"sre\","
                    "\"count\":1}],\"timeout\":\"1h\",\"onTimeout\":\"Abort\"}}]}",
     1, 0, 1,
     "run; img 2; run; expect step=0 phase=Paused requeue=3600 msg=times_out_at; wait 1800; "
     "run; expect abort=0 requeue=1800; wait 1800; run; expect abort=1 phase=Degraded "
     "ev=RolloutAborted evs=the_timeout_(1h0m0s)_of_gate_g msg=aborted_at_step_1/1_(approval)"},
    {"approval gate: timeout with onTimeout Pause stays paused, stalled; approvals still open it",
     10,
     "{" PACE(1, 0) ",\"steps\":[{\"approval\":{\"name\":\"g\",\"rules\":[{\"group\":\"sre\","
                    "\"count\":1}],\"timeout\":\"1h\"}}]}",
     1, 0, 1,
     "run; img 2; run; wait 3600; run; expect abort=0 phase=Paused ready=ApprovalTimedOut "
     "ev=ApprovalTimedOut msg=past_its_timeout; run; expect noev=ApprovalTimedOut; approve "
     "alice sre; run; expect stable=2 phase=Healthy"},
    {"approval gate: without the policy no Approval counts (fail closed)", 10,
     "{" PACE(1, 0) ",\"steps\":[" GATE2 "]}", 1, 0, 1,
     "nopolicy; run; img 2; run; approve alice sre; approve bob security; run; expect step=0 "
     "phase=Paused ready=ApprovalsUnverifiable ev=ApprovalsUnverifiable "
     "msg=approvals_cannot_be_verified:_policy_slipway-approval-identity_is_not_installed; "
     "reject bob security; run; expect abort=0"},
    {"approval gate: without a binding of the policy no Approval counts", 10,
     "{" PACE(1, 0) ",\"steps\":[" GATE2 "]}", 1, 0, 1,
     "nobinding; run; img 2; run; approve alice sre; approve bob security; run; expect step=0 "
     "phase=Paused msg=approvals_cannot_be_verified:_policy_slipway-approval-identity_is_not_"
     "installed"},
    {"a timed pause counts from its start time after a restart", 10,
     "{" PACE(1, 0) ",\"steps\":[" SW(30) ",{\"pause\":{\"duration\":60}}]}", 1, 0, 1,
     "run; img 2; run; expect step=1 requeue=60 paused=1; wait 20; run; expect step=1 "
     "requeue=40; wait 40; run; expect stable=2 rs=2:10 paused=0"},
    {"controller killed after every first action resumes exactly", 10,
     "{" PACE(2, 1) ",\"steps\":[" SW(20) "," PAUSE "," SW(60) "," PAUSE "]}", 2, 1, 1,
     "run; img 2; crashrun 1; expect step=1 rs=1:8,2:2 w=20; intent Promote; crashrun 1; "
     "expect step=3 rs=1:4,2:6 w=60; intent Promote; crashrun 2; expect stable=2 rs=2:10 "
     "nrs=2"},
    {"slow pods: the weight waits for available canary pods", 10,
     "{" PACE(1, 0) ",\"steps\":[" SW(40) "," PAUSE "]}", 1, 0, 1,
     "run; slow; img 2; once; expect step=0 w=0; tick; once; expect step=0 w=0; run; expect "
     "step=1 rs=1:6,2:4 w=40"},
    {"canary pods all unavailable: no weight to it until they are back", 10,
     "{" PACE(1, 0) ",\"steps\":[" SW(40) "," PAUSE "]}", 1, 0, 1,
     "run; img 2; run; expect step=1 w=40; down 2; once; expect step=1 w=0; tick; run; expect "
     "step=1 w=40 rs=1:6,2:4"},
    {"one replica at 50%: both sides keep a pod", 1,
     "{" PACE(0, 1) ",\"steps\":[" SW(50) "," PAUSE "]}", 0, 1, 1,
     "run; img 2; run; expect step=1 rs=1:1,2:1 w=50; intent Promote; run; expect stable=2 "
     "rs=2:1"},
    {"minPodsPerReplicaSet on both sides", 3,
     "{" PACE(1, 0) ",\"minPodsPerReplicaSet\":2,\"steps\":[" SW(10) "," PAUSE "]}", 1, 0, 2,
     "run; img 2; run; expect step=1 rs=1:2,2:2 w=10"},
    {"a lower weight after a higher one gives pods back", 10,
     "{" PACE(1, 0) ",\"steps\":[" SW(50) "," PAUSE "," SW(20) "," PAUSE "]}", 1, 0, 1,
     "run; img 2; run; expect rs=1:5,2:5; intent Promote; run; expect step=3 rs=1:8,2:2 w=20"},
    {"no steps: straight to the new revision at the surge's pace", 10, "{" PACE(3, 0) "}", 3, 0, 1,
     "run; img 2; run; expect stable=2 rs=2:10 step=0 label=- phase=Healthy"},
    {"ratio: the Services' selectors follow stable and canary, both to the new stable at the "
     "end",
     10, "{" PACE(1, 0) "," SVCS ",\"steps\":[" SW(20) "," PAUSE "]}", 1, 0, 1,
     "run; expect ssel=1 csel=1 phase=Healthy; img 2; run; expect step=1 rs=1:8,2:2 ssel=1 "
     "csel=2; intent Promote; run; expect stable=2 rs=2:10 ssel=2 csel=2 phase=Healthy"},
    {"ratio: abort puts canaryService back on stable", 10,
     "{" PACE(1, 0) "," SVCS ",\"steps\":[" SW(20) "," PAUSE "]}", 1, 0, 1,
     "run; img 2; run; expect csel=2; intent Abort; run; expect csel=1 ssel=1 rs=1:10 "
     "phase=Degraded"},
    {"ratio: a missing Service stalls the steps and says so once", 10,
     "{" PACE(1, 0) "," SVCS ",\"steps\":[" SW(20) "," PAUSE "]}", 1, 0, 1,
     "run; gone csvc; img 2; run; expect step=0 stalled=TrafficRouterMissing phase=Degraded "
     "ev=TrafficRouterMissing; run; expect noev=TrafficRouterMissing step=0; back; run; "
     "expect step=1 stalled=- csel=2"},
    {"routed: setWeight scales the canary first, then shifts", 10,
     "{" PACE(1, 0) "," GWR "\"steps\":[" SW(20) "," PAUSE "," SW(50) "," PAUSE "]}", 1, 0, 1,
     "run; expect ssel=1 csel=1 cw=0 phase=Healthy; img 2; slow; once; expect step=0 cw=0 "
     "rs=1:10,2:2; tick; once; expect step=0 cw=0; fast; tick; run; expect step=1 cw=20 w=20 "
     "rs=1:10,2:2 csel=2 ssel=1 phase=Paused; intent Promote; run; expect step=3 cw=50 "
     "rs=1:10,2:5 noev=TrafficDriftCorrected"},
    {"routed: completion switches Services and weight, old stable kept scaleDownDelaySeconds", 10,
     "{" GWR "\"steps\":[" SW(20) "," PAUSE "]}", 3, 3, 1,
     "run; img 2; run; expect step=1 cw=20; intent Promote; run; expect stable=2 ssel=2 "
     "csel=2 cw=0 rs=1:10,2:10 dl=1 phase=Healthy avail=10/10 ev=RolloutCompleted requeue=30; "
     "wait 29; "
     "run; expect rs=1:10,2:10 dl=1 requeue=1; wait 1; run; expect rs=2:10 dl=- nrs=2 "
     "phase=Healthy"},
    {"routed: drift of the weights is corrected with an Event, a step change is not drift", 10,
     "{" GWR "\"steps\":[" SW(20) "," PAUSE "," SW(40) "," PAUSE "]}", 3, 3, 1,
     "run; img 2; run; expect cw=20 noev=TrafficDriftCorrected; drift 0; run; expect cw=20 "
     "step=1 ev=TrafficDriftCorrected ev=HTTPRoute; intent Promote; run; expect cw=40 step=3 "
     "noev=TrafficDriftCorrected"},
    {"routed: a missing HTTPRoute stalls the steps, Warning once, until it is back", 10,
     "{" GWR "\"steps\":[" SW(20) "," PAUSE "]}", 3, 3, 1,
     "run; gone route; img 2; run; expect step=0 stalled=TrafficRouterMissing phase=Degraded "
     "ev=TrafficRouterMissing rs=1:10,2:2; run; expect noev=TrafficRouterMissing; back; run; "
     "expect step=1 cw=20 stalled=- phase=Paused"},
    {"routed: a missing canaryService: no weight goes anywhere, stalled", 10,
     "{" GWR "\"steps\":[" SW(20) "," PAUSE "]}", 3, 3, 1,
     "run; gone csvc; img 2; run; expect step=0 stalled=TrafficRouterMissing; back; run; "
     "expect step=1 cw=20 csel=2"},
    {"routed: a route no Gateway accepted blocks the steps and says so", 10,
     "{" GWR "\"steps\":[" SW(20) "," PAUSE "]}", 3, 3, 1,
     "run; refuse; img 2; run; expect step=0 stalled=RouteNotAccepted ev=RouteNotAccepted "
     "phase=Degraded; accept; run; expect step=1 cw=20 stalled=- phase=Paused"},
    {"routed: header and mirror routes are added by their steps and removed by later ones", 10,
     "{" GWR "\"steps\":[" SW(10) "," HDR "," MIR "," PAUSE "," HDR_OFF "," MIR_OFF "," PAUSE "]}",
     3, 3, 1,
     "run; img 2; run; expect step=3 rules=shadow.0,beta.0 cw=10; intent Promote; run; expect "
     "step=6 rules=- cw=10; intent Promote; run; expect stable=2 rules=- phase=Healthy"},
    {"routed: completion removes header and mirror routes", 10,
     "{" GWR "\"steps\":[" SW(10) "," HDR "," MIR "," PAUSE "]}", 3, 3, 1,
     "run; img 2; run; expect rules=shadow.0,beta.0; intent Promote; run; expect stable=2 "
     "rules=- cw=0 ssel=2"},
    {"routed: abort removes the routes, weight 0 and canaryService back at once; "
     "abortScaleDownDelaySeconds 30 then the canary goes",
     10, "{" GWR "\"steps\":[" SW(20) "," HDR "," PAUSE "]}", 3, 3, 1,
     "run; img 2; run; expect step=2 rules=beta.0 cw=20; intent Abort; once; expect cw=0 "
     "rules=- csel=1 ssel=1 abort=1; run; expect phase=Degraded ready=RolloutAborted "
     "rs=1:10,2:2 dl=2 requeue=30; wait 30; run; expect rs=1:10 dl=- phase=Degraded"},
    {"routed: abortScaleDownDelaySeconds 0 never scales the aborted canary down", 10,
     "{" GWR "\"abortScaleDownDelaySeconds\":0,\"steps\":[" SW(20) "," PAUSE "]}", 3, 3, 1,
     "run; img 2; run; intent Abort; run; expect cw=0 csel=1 rs=1:10,2:2 dl=- "
     "phase=Degraded; wait 100000; run; expect rs=1:10,2:2; intent Retry; run; expect "
     "abort=0 step=1 cw=20 csel=2"},
    {"routed: dynamicStableScale shrinks stable as its weight drops, grows it first when "
     "the weight goes back",
     10,
     "{" GWR "\"dynamicStableScale\":true,\"steps\":[" SW(40) "," PAUSE "," SW(10) "," PAUSE "]}",
     3, 3, 1,
     "run; img 2; run; expect step=1 cw=40 rs=1:6,2:4; intent Promote; run; expect step=3 "
     "cw=10 rs=1:9,2:1; intent Promote; run; expect stable=2 ssel=2 cw=0 rs=2:10 dl=-"},
    {"routed: dynamicStableScale abort: weight down as stable comes back", 10,
     "{" GWR "\"dynamicStableScale\":true,\"steps\":[" SW(60) "," PAUSE "]}", 3, 3, 1,
     "run; img 2; run; expect cw=60 rs=1:4,2:6; slow; intent Abort; once; expect cw=60; fast; "
     "tick; run; expect cw=0 csel=1 rs=1:10,2:6"},
    {"routed: setCanaryScale replicas, weight, then matchTrafficWeight", 10,
     "{" GWR "\"steps\":[{\"setCanaryScale\":{\"replicas\":3}}," SW(
         10) "," PAUSE ",{\"setCanaryScale\":{\"weight\":50}}," PAUSE
             ",{\"setCanaryScale\":{\"matchTrafficWeight\":true}}," PAUSE "]}",
     3, 3, 1,
     "run; img 2; run; expect step=2 cw=10 rs=1:10,2:3; intent Promote; run; expect step=4 "
     "cw=10 rs=1:10,2:5; intent Promote; run; expect step=6 cw=10 rs=1:10,2:1"},
    {"routed: a new template mid-canary: weight to 0 first, canaryService moves once the "
     "new canary has pods, the intermediate canary goes",
     10, "{" GWR "\"steps\":[" SW(20) "," PAUSE "," SW(50) "," PAUSE "]}", 3, 3, 1,
     "run; img 2; run; intent Promote; run; expect step=3 cw=50 csel=2; img 3; once; expect "
     "cw=0 csel=2 ev=CanaryStarted; run; expect step=1 cw=20 csel=3 rs=1:10,3:2 nrs=2 "
     "stable=1"},
    {"routed nginx: the canary Ingress carries weight and header, goes at completion", 10,
     "{" NGX "\"steps\":[" SW(10) "," NGX_HDR "," PAUSE "]}", 3, 3, 1,
     "run; expect ing=0; img 2; run; expect step=2 ing=1 cw=10 hdr=X-Beta; intent Promote; "
     "run; expect stable=2 ing=0 ssel=2 phase=Healthy"},
    {"routed nginx: abort keeps the canary Ingress at weight 0, without the header", 10,
     "{" NGX "\"steps\":[" SW(10) "," NGX_HDR "," PAUSE "]}", 3, 3, 1,
     "run; img 2; run; intent Abort; run; expect ing=1 cw=0 hdr=- csel=1"},
    {"routed: promote --full skips the steps, the canary takes every pod, then the switch", 10,
     "{" GWR "\"steps\":[" SW(20) "," PAUSE "," SW(50) "," PAUSE "]}", 3, 3, 1,
     "run; img 2; run; expect step=1 cw=20; intent PromoteFull; run; expect stable=2 ssel=2 "
     "csel=2 cw=0 rs=1:10,2:10 dl=1 phase=Healthy ev=PromotedFull"},
    {"routed: a timed pause counts, then the next weight", 10,
     "{" GWR "\"steps\":[" SW(20) ",{\"pause\":{\"duration\":60}}," SW(40) "," PAUSE "]}", 3, 3, 1,
     "run; img 2; run; expect step=1 cw=20 requeue=60; wait 60; run; expect step=3 cw=40 "
     "rs=1:10,2:4"},
    {"routed: a scale change mid-canary: stable keeps every replica, the canary its share", 10,
     "{" GWR "\"steps\":[" SW(20) "," PAUSE "]}", 3, 3, 1,
     "run; img 2; run; expect rs=1:10,2:2 cw=20; rep 20; run; expect rs=1:20,2:4 cw=20 "
     "step=1; rep 5; run; expect rs=1:5,2:1 cw=20"},
    {"routed: spec.paused holds pods and routers, drift included", 10,
     "{" GWR "\"steps\":[" SW(20) "," PAUSE "," SW(50) "," PAUSE "]}", 3, 3, 1,
     "run; img 2; run; expect cw=20; pause 1; intent Promote; drift 0; run; expect cw=0 "
     "rs=1:10,2:2 phase=Paused; pause 0; run; expect step=3 cw=50 ev=TrafficDriftCorrected"},
    {"routed: controller killed after every first action resumes exactly", 10,
     "{" GWR "\"steps\":[" SW(20) "," HDR "," PAUSE "," SW(60) "," MIR "," PAUSE "]}", 3, 3, 1,
     "run; img 2; crashrun 1; expect step=2 rs=1:10,2:2 cw=20 rules=beta.0; intent Promote; "
     "crashrun 1; expect step=5 rs=1:10,2:6 cw=60 rules=shadow.0,beta.0; intent Promote; "
     "crashrun 1; wait 30; crashrun 1; expect stable=2 rs=2:10 cw=0 rules=- nrs=2"},
    {"routed: killed after two actions, a new template mid-canary", 10,
     "{" GWR "\"steps\":[" SW(30) "," PAUSE "," SW(60) "," PAUSE "]}", 3, 3, 1,
     "run; img 2; crashrun 2; intent Promote; crashrun 2; expect cw=60; img 3; crashrun 2; "
     "expect step=1 cw=30 csel=3 nrs=2; intent Abort; crashrun 2; wait 30; crashrun 2; expect "
     "rs=1:10 csel=1 cw=0"},
    {"zero replicas: the steps still go through to completion", 0,
     "{" PACE(1, 0) ",\"steps\":[" SW(20) ",{\"pause\":{\"duration\":0}}]}", 1, 0, 1,
     "run; img 2; run; expect stable=2 step=2 phase=Healthy nrs=2"},
    {"setWeight 0 keeps every pod on stable", 10,
     "{" PACE(1, 0) ",\"steps\":[" SW(0) "," PAUSE "]}", 1, 0, 1,
     "run; img 2; run; expect step=1 rs=1:10 w=0 nrs=2 phase=Paused"},
    {"setWeight 100 then completion", 4, "{" PACE(1, 1) ",\"steps\":[" SW(100) "]}", 1, 1, 1,
     "run; img 2; run; expect stable=2 rs=2:4 step=1 phase=Healthy"},
};
#define N_ROWS (sizeof(rows) / sizeof(rows[0]))

static void run_rows(void)
{
	for (size_t i = 0; i < N_ROWS; i++) {
		struct sim sm;
		sim_init(&sm, rows[i].replicas, rows[i].strategy, rows[i].surge,
		         rows[i].unavailable, rows[i].min_pods);
		run_script(&sm, rows[i].name, rows[i].script);
		is_int(sm.violations, 0, "%s: invariants held on every plan", rows[i].name);
		sim_free(&sm);
	}
}

/* The nearest share, both sides >= 1 pod for 1..99, every size and weight. */
static void check_ratio(void)
{
	int bad = 0;
	for (int replicas = 1; replicas <= 10; replicas++) {
		for (int w = 1; w <= 99; w++) {
			int c = rec_canary_ratio_pods(replicas, w, 1);
			int s = rec_canary_ratio_stable_pods(replicas, w, 1);
			bool good = c >= 1 && s >= 1;
			if (replicas >= 2) {
				good = good && c + s == replicas;
				/* No other split with both sides >= 1 is nearer the weight. */
				for (int k = 1; k < replicas; k++) {
					int dk = abs(k * 100 - replicas * w),
					    dc = abs(c * 100 - replicas * w);
					if (dk < dc)
						good = false;
				}
			}
			if (!good) {
				bad++;
				tap_diag("replicas %d weight %d: canary %d stable %d", replicas, w,
				         c, s);
			}
		}
	}
	is_int(bad, 0, "ratio: nearest share, both sides at least one pod, weights 1..99 x 1..10");
	is_int(rec_canary_ratio_pods(10, 0, 1), 0, "ratio: weight 0 gives the canary nothing");
	is_int(rec_canary_ratio_stable_pods(10, 100, 1), 0, "ratio: weight 100 leaves stable none");
	is_int(rec_canary_ratio_pods(5, 10, 2), 2, "ratio: minPodsPerReplicaSet on the canary");
	is_int(rec_canary_ratio_stable_pods(5, 90, 2), 2, "ratio: minPodsPerReplicaSet on stable");
}

/* The same, through the whole machine: a canary at each weight reaches
 * exactly the arithmetic's pods, within the surge and the unavailable. */
static void sweep_ratio(void)
{
	static const int weights[] = {1, 10, 25, 33, 50, 67, 90, 99};
	int bad = 0;
	for (int replicas = 1; replicas <= 10; replicas++) {
		for (size_t k = 0; k < sizeof(weights) / sizeof(weights[0]); k++) {
			char strategy[128], script[128];
			snprintf(strategy, sizeof(strategy),
			         "{" PACE(1, 0) ",\"steps\":[{\"setWeight\":%d}," PAUSE "]}",
			         weights[k]);
			struct sim sm;
			sim_init(&sm, replicas, strategy, 1, 0, 1);
			int c = rec_canary_ratio_pods(replicas, weights[k], 1);
			int s = rec_canary_ratio_stable_pods(replicas, weights[k], 1);
			snprintf(script, sizeof(script),
			         "run; img 2; run; expect step=1 rs=1:%d,2:%d", s, c);
			run_script(&sm, "sweep", script);
			bad += sm.violations;
			sim_free(&sm);
		}
	}
	is_int(bad, 0, "sweep: invariants held for weights x replicas 1..10");
}

/* Which header and mirror routes are in effect at each step. */
static void check_traffic_want(void)
{
	const char *strategy =
	    "{\"stableService\":\"web\",\"canaryService\":\"web-canary\",\"trafficRouting\":"
	    "{\"gatewayAPI\":{\"httpRoutes\":[{\"name\":\"web\"}]}},\"steps\":["
	    "{\"setHeaderRoute\":{\"name\":\"beta\",\"match\":[{\"headerName\":\"X-Beta\","
	    "\"headerValue\":{\"exact\":\"yes\"}}]}},"
	    "{\"setMirrorRoute\":{\"name\":\"shadow\",\"percentage\":20}}," SW(
	        50) ","
	            "{\"setHeaderRoute\":{\"name\":\"beta\"}},{\"setMirrorRoute\":{\"name\":"
	            "\"shadow\"}},{\"setHeaderRoute\":{\"name\":\"gamma\",\"match\":[{"
	            "\"headerName\":"
	            "\"X-Gamma\",\"headerValue\":{\"prefix\":\"a\"}}]}}]}";
	struct sim sm;
	sim_init(&sm, 4, strategy, 1, 0, 1);
	struct model_errors errs = {0};
	struct rel_release *rel = NULL;
	int r = rel_release_parse(sm.release, &rel, &errs);
	is_int(r, 0, "traffic want: the Release parses");
	if (r != 0) {
		char *e = model_errors_join(&errs, "; ");
		tap_diag("%s", e);
		free(e);
		model_errors_clear(&errs);
		sim_free(&sm);
		return;
	}
	static const struct {
		size_t step;
		enum rec_canary_phase phase;
		const char *want; /* header names, "|", mirror names */
	} cases[] = {
	    {0, REC_CANARY_STEPPING, "beta|"},
	    {1, REC_CANARY_STEPPING, "beta|shadow"},
	    {2, REC_CANARY_STEPPING, "beta|shadow"},
	    {3, REC_CANARY_STEPPING, "|shadow"},
	    {4, REC_CANARY_STEPPING, "|"},
	    {5, REC_CANARY_STEPPING, "gamma|"},
	    {6, REC_CANARY_STEPPING, "gamma|"},
	    {2, REC_CANARY_ABORTED, "|"},
	    {2, REC_CANARY_SETTLED, "|"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rec_traffic_want w;
		char got[128] = "";
		r = rec_canary_traffic_want(rel, cases[i].step, cases[i].phase, rev[1], rev[2], 30,
		                            &w);
		for (size_t k = 0; r == 0 && k < w.n_header_routes; k++) {
			size_t used = strlen(got);
			snprintf(got + used, sizeof(got) - used, "%s", w.header_routes[k]->name);
		}
		size_t used = strlen(got);
		snprintf(got + used, sizeof(got) - used, "|");
		for (size_t k = 0; r == 0 && k < w.n_mirror_routes; k++) {
			used = strlen(got);
			snprintf(got + used, sizeof(got) - used, "%s", w.mirror_routes[k]->name);
		}
		is_str(got, cases[i].want, "traffic want at step %zu phase %d", cases[i].step,
		       (int)cases[i].phase);
		ok(r == 0 && w.canary_weight == 30 && w.stable_revision == rev[1] &&
		       w.canary_revision == rev[2] && !w.canary_ingress,
		   "traffic want at step %zu: weight, revisions, no Ingress without nginx",
		   cases[i].step);
	}
	rel_release_free(rel);
	sim_free(&sm);
}

/* nginx: the canary Ingress exists until the rollout settles. */
static void check_traffic_want_nginx(void)
{
	struct sim sm;
	sim_init(&sm, 4,
	         "{\"stableService\":\"web\",\"canaryService\":\"web-canary\",\"trafficRouting\":"
	         "{\"nginx\":{\"stableIngress\":\"web\"}},\"steps\":[" SW(10) "]}",
	         1, 0, 1);
	struct rel_release *rel = NULL;
	is_int(rel_release_parse(sm.release, &rel, NULL), 0, "nginx want: the Release parses");
	struct rec_traffic_want w;
	bool ingress[3];
	for (int p = 0; rel && p < 3; p++) {
		int r = rec_canary_traffic_want(rel, 0, (enum rec_canary_phase)p, rev[1], rev[2], 0,
		                                &w);
		ingress[p] = r == 0 && w.canary_ingress;
	}
	ok(rel && ingress[REC_CANARY_STEPPING] && ingress[REC_CANARY_ABORTED] &&
	       !ingress[REC_CANARY_SETTLED],
	   "nginx want: canary Ingress while stepping and aborted, none once settled");
	rel_release_free(rel);
	sim_free(&sm);
}

static struct rel_release *traffic_release(int replicas, bool dynamic, const char *steps)
{
	char strategy[1024];
	snprintf(strategy, sizeof(strategy),
	         "{\"stableService\":\"web\",\"canaryService\":\"web-canary\",%s"
	         "\"minPodsPerReplicaSet\":2,\"trafficRouting\":{\"gatewayAPI\":{\"httpRoutes\":"
	         "[{\"name\":\"web\"}]}},\"steps\":[%s]}",
	         dynamic ? "\"dynamicStableScale\":true," : "", steps);
	struct sim sm;
	sim_init(&sm, replicas, strategy, 1, 0, 1);
	struct model_errors errs = {0};
	struct rel_release *rel = NULL;
	if (rel_release_parse(sm.release, &rel, &errs) < 0) {
		char *e = model_errors_join(&errs, "; ");
		tap_diag("traffic release: %s", e);
		free(e);
	}
	model_errors_clear(&errs);
	sim_free(&sm);
	return rel;
}

/* Scale, then shift, under traffic routing. */
static void check_traffic_split(void)
{
	static const struct {
		const char *name;
		bool dynamic;
		size_t step;
		int target, prev, canary_avail, stable_avail;
		int weight, canary_pods, stable_pods;
	} splits[] = {
	    {"weight waits for the canary's pods", false, 0, 20, 0, 1, 10, 0, 2, 10},
	    {"weight follows once they are available", false, 0, 20, 0, 2, 10, 20, 2, 10},
	    {"rounds up, minPodsPerReplicaSet", false, 0, 5, 0, 2, 10, 5, 2, 10},
	    {"no weight without available canary pods", false, 2, 20, 20, 0, 10, 0, 2, 10},
	    {"a lower weight at once", false, 2, 10, 50, 5, 10, 10, 2, 10},
	    {"setCanaryScale replicas", false, 3, 20, 20, 3, 10, 20, 3, 10},
	    {"setCanaryScale weight", false, 4, 20, 20, 5, 10, 20, 5, 10},
	    {"matchTrafficWeight ends it", false, 5, 40, 20, 4, 10, 40, 4, 10},
	    {"dynamic: stable keeps its current share", true, 0, 40, 20, 4, 10, 40, 4, 8},
	    {"dynamic: then shrinks to the new one", true, 0, 40, 40, 4, 6, 40, 4, 6},
	    {"dynamic: a lower weight waits for stable pods", true, 0, 10, 40, 4, 6, 40, 2, 9},
	    {"dynamic: and follows once they are there", true, 0, 10, 40, 4, 9, 10, 2, 9},
	};
	const char *steps =
	    SW(20) "," PAUSE "," SW(50) ",{\"setCanaryScale\":{\"replicas\":3}},"
	                                "{\"setCanaryScale\":{\"weight\":50}},"
	                                "{\"setCanaryScale\":{\"matchTrafficWeight\":true}}";
	struct rel_release *fixed = traffic_release(10, false, steps);
	struct rel_release *dynamic = traffic_release(10, true, SW(40));
	ok(fixed && dynamic, "traffic split: the Releases parse");
	for (size_t i = 0; fixed && dynamic && i < sizeof(splits) / sizeof(splits[0]); i++) {
		struct rec_canary_split sp;
		rec_canary_traffic_split(splits[i].dynamic ? dynamic : fixed, splits[i].step,
		                         splits[i].target, splits[i].prev, splits[i].canary_avail,
		                         splits[i].stable_avail, &sp);
		char got[64], want[64];
		snprintf(got, sizeof(got), "w%d c%d s%d", sp.weight, sp.canary_pods,
		         sp.stable_pods);
		snprintf(want, sizeof(want), "w%d c%d s%d", splits[i].weight, splits[i].canary_pods,
		         splits[i].stable_pods);
		is_str(got, want, "traffic split: %s", splits[i].name);
	}
	rel_release_free(fixed);
	rel_release_free(dynamic);
}

/* rec_canary_route_decide: weight, the revision it goes to, what each
 * Service selects, which routes, from one reconcile's facts. */
static void check_route_decide(void)
{
	static const struct {
		const char *name;
		enum rec_canary_phase phase;
		bool frozen;
		int target, last, last_img, canary_av, stable_av, last_av;
		bool stable_to_canary;
		/* expected: weight, its revision's image, stableService's and
		 * canaryService's image (-1: left as it is), header routes */
		int weight, wimg, simg, cimg, headers;
	} cases[] = {
	    {"rises with the canary's pods", REC_CANARY_STEPPING, false, 20, 0, 2, 2, 10, 0, false,
	     20, 2, 1, 2, 1},
	    {"none without available canary pods, canaryService left, no route",
	     REC_CANARY_STEPPING, false, 20, 0, 2, 0, 10, 0, false, 0, 2, 1, -1, 0},
	    {"a replaced canary's weight goes to 0 first, canaryService stays on it",
	     REC_CANARY_STEPPING, false, 20, 30, 3, 2, 10, 3, false, 0, 3, 1, 3, 0},
	    {"frozen keeps the recorded weight", REC_CANARY_STEPPING, true, 50, 20, 2, 5, 10, 5,
	     false, 20, 2, 1, 2, 1},
	    {"aborted: 0 and canaryService back on stable", REC_CANARY_ABORTED, false, 0, 20, 2, 2,
	     10, 2, false, 0, 2, 1, 1, 0},
	    {"settled: both Services on the template", REC_CANARY_SETTLED, false, 0, 0, 2, 10, 0,
	     10, false, 0, 2, 2, 2, 0},
	};
	struct rel_release *rel = traffic_release(10, false, HDR "," SW(20) "," PAUSE);
	ok(rel != NULL, "route decide: the Release parses");
	for (size_t i = 0; rel && i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rec_canary_route_in in = {.phase = cases[i].phase,
		                                 .step = 1,
		                                 .pod_step = 1,
		                                 .target = cases[i].target,
		                                 .frozen = cases[i].frozen,
		                                 .last = cases[i].last,
		                                 .last_revision = rev[cases[i].last_img],
		                                 .stable = rev[1],
		                                 .canary = rev[2],
		                                 .canary_available = cases[i].canary_av,
		                                 .stable_available = cases[i].stable_av,
		                                 .last_available = cases[i].last_av,
		                                 .stable_to_canary = cases[i].stable_to_canary};
		struct rec_canary_route out;
		int r = rec_canary_route_decide(rel, &in, &out);
		const char *sr = out.want.stable_revision, *cr = out.want.canary_revision;
		char got[96], want[96];
		snprintf(got, sizeof(got), "r%d w%d@%d s%d c%d h%zu", r, out.split.weight,
		         image_of(out.weight_revision), sr ? image_of(sr) : -1,
		         cr ? image_of(cr) : -1, out.want.n_header_routes);
		snprintf(want, sizeof(want), "r0 w%d@%d s%d c%d h%d", cases[i].weight,
		         cases[i].wimg, cases[i].simg, cases[i].cimg, cases[i].headers);
		is_str(got, want, "route decide: %s", cases[i].name);
	}
	rel_release_free(rel);
}

static json_t *selecting(const char *name, const char *revision)
{
	json_t *svc = json_pack("{s:{s:s},s:{s:{s:s}}}", "metadata", "name", name, "spec",
	                        "selector", "app", "web");
	if (revision)
		json_object_set_new(json_object_get(json_object_get(svc, "spec"), "selector"),
		                    MODEL_LABEL_REVISION, json_string(revision));
	return svc;
}

/* rec_canary_unrouted and rec_canary_hold: when an unneeded ReplicaSet
 * may scale down. */
static void check_hold(void)
{
	struct rel_release *rel = traffic_release(10, false, SW(20));
	json_t *s1 = selecting("web", rev[1]), *c1 = selecting("web-canary", rev[1]);
	json_t *c2 = selecting("web-canary", rev[2]), *any = selecting("web-canary", NULL);
	struct rec_traffic_observed both1 = {.stable_service = s1, .canary_service = c1};
	struct rec_traffic_observed canary2 = {.stable_service = s1, .canary_service = c2};
	struct rec_traffic_observed every = {.stable_service = s1, .canary_service = any};
	struct rec_traffic_observed gone = {.stable_service = s1};
	ok(rel && rec_canary_unrouted(&rel->canary, &both1, rev[2]),
	   "unrouted: neither Service selects it");
	ok(rel && !rec_canary_unrouted(&rel->canary, &canary2, rev[2]),
	   "unrouted: canaryService selects it");
	ok(rel && !rec_canary_unrouted(&rel->canary, &every, rev[2]),
	   "unrouted: a selector without the revision key selects every revision");
	ok(rel && !rec_canary_unrouted(&rel->canary, &gone, rev[2]),
	   "unrouted: a Service not found may route to it");
	static const struct {
		const char *name;
		int spec;
		time_t deadline;
		bool unrouted;
		int delay;
		bool kept;
		time_t want_deadline;
		double wake;
	} cases[] = {
	    {"routed: kept, no countdown", 3, 0, false, 30, true, 0, -1},
	    {"routed again: the countdown is cleared", 3, NOW + 5, false, 30, true, 0, -1},
	    {"unrouted: the countdown starts", 3, 0, true, 30, true, NOW + 30, 30},
	    {"unrouted, before the deadline: kept", 3, NOW + 10, true, 30, true, NOW + 10, 10},
	    {"unrouted, at the deadline: goes", 3, NOW, true, 30, false, 0, -1},
	    {"no delay: goes at once", 3, 0, true, 0, false, 0, -1},
	    {"delay -1: kept for ever", 3, 0, true, -1, true, 0, -1},
	    {"no pods: nothing to keep", 0, NOW + 10, true, 30, false, 0, -1},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rec_rs v = {.spec_replicas = cases[i].spec,
		                   .deadline = cases[i].deadline,
		                   .want_deadline = cases[i].deadline};
		double wake = -1;
		bool kept = rec_canary_hold(&v, cases[i].unrouted, cases[i].delay, NOW, &wake);
		ok(kept == cases[i].kept && v.want_deadline == cases[i].want_deadline &&
		       wake == cases[i].wake,
		   "hold: %s", cases[i].name);
	}
	json_decref(s1);
	json_decref(c1);
	json_decref(c2);
	json_decref(any);
	rel_release_free(rel);
}

/* The canary's ReplicaSet name is taken: by an orphan of ours (adopted, as
 * rolling does) or by someone else's object (Stalled, reported once). */
static void check_claim(void)
{
	struct sim sm;
	sim_init(&sm, 4, "{\"steps\":[{\"setWeight\":50},{\"pause\":{}}]}", 1, 0, 1);
	char name[64];
	rec_release_child_name(sm.release, name, sizeof(name));
	struct {
		const char *what, *revision;
		bool adopt;
		const char *want_reason;
	} cases[] = {
	    {"an orphan of ours", rev[1], true, "RevisionAdopted"},
	    {"someone else's", "0000000000", false, "ReplicaSetNameCollision"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *rs = json_pack(
		    "{s:s,s:s,s:{s:s,s:s,s:s,s:s,s:{s:s,s:s}},s:{s:i}}", "apiVersion", "apps/v1",
		    "kind", "ReplicaSet", "metadata", "name", name, "namespace", "shop", "uid",
		    "rs-uid", "resourceVersion", "7", "labels", "app", "web", MODEL_LABEL_REVISION,
		    cases[i].revision, "spec", "replicas", 0);
		struct rec_observed o = {
		    .release = sm.release, .named_replicaset = rs, .now = sm.now};
		struct rec_plan plan;
		rec_plan_init(&plan);
		is_int(rec_release_reconcile(&o, &plan), 0, "%s: reconciled", cases[i].what);
		bool created = false, adopted = false, reason_seen = false;
		const char *stalled = NULL;
		for (size_t k = 0; k < plan.n_actions; k++) {
			const struct rec_action *a = &plan.actions[k];
			created = created || a->kind == REC_CREATE;
			if (a->kind == REC_MERGE_PATCH && a->ref.name &&
			    strcmp(a->ref.name, name) == 0)
				adopted = true;
			if (a->kind == REC_EVENT && strcmp(a->reason, cases[i].want_reason) == 0)
				reason_seen = true;
			if (a->kind == REC_WRITE_STATUS) {
				json_t *c;
				size_t j;
				json_array_foreach(json_object_get(a->body, "conditions"), j, c)
				{
					if (strcmp(json_string_value(json_object_get(c, "type")),
					           "Stalled") == 0 &&
					    strcmp(json_string_value(json_object_get(c, "status")),
					           "True") == 0)
						stalled =
						    json_string_value(json_object_get(c, "reason"));
				}
			}
		}
		ok(!created, "%s: nothing is created over it", cases[i].what);
		ok(adopted == cases[i].adopt, "%s: %s", cases[i].what,
		   cases[i].adopt ? "adopted" : "not adopted");
		ok(reason_seen, "%s: Event %s", cases[i].what, cases[i].want_reason);
		if (cases[i].adopt)
			ok(!stalled, "%s: not stalled", cases[i].what);
		else
			is_str(stalled, cases[i].want_reason, "%s: Stalled with the reason",
			       cases[i].what);
		rec_plan_clear(&plan);
		json_decref(rs);
	}
	sim_free(&sm);
}

int main(void)
{
	init_revisions();
	check_claim();
	check_traffic_split();
	check_route_decide();
	check_hold();
	check_traffic_want_nginx();
	check_traffic_want();
	check_ratio();
	run_rows();
	sweep_ratio();
	return tap_done();
}
