/*
 * The blue-green machine, run against a fake cluster that applies every plan
 * and feeds the result back as the next observed state, as a restarted
 * controller would read it: ReplicaSets, their pods (labels patched), and
 * the two Services (JSON patches applied with their tests; a failed test
 * stops the plan as the API server's 422 stops the executor). Rows are
 * scripts; every plan is checked against the strategy's promises:
 *
 *   - activeService only ever moves to a revision that had spec.replicas
 *     available pods in the state the plan was made from (or that has at
 *     least as many as the one it left; the first revision excepted);
 *   - the ReplicaSet activeService selects is never taken below
 *     spec.replicas by a plan that was carried out whole;
 *   - a revision's pods carry activeMetadata / previewMetadata labels only
 *     while the Service selects it (checked where the rows ask).
 *
 * "crashrun N" runs with the controller killed after the first N actions
 * of every plan; the sweep runs every combination of sizes and options
 * that way too.
 */
#include "tap.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json-apply.h"
#include "model/api.h"
#include "model/errors.h"
#include "model/release.h"
#include "model/revision.h"
#include "model/timefmt.h"
#include "reconcilers/bluegreen.h"
#include "reconcilers/plan.h"
#include "reconcilers/release.h"

#define NOW      1795695600 /* 2026-11-26T12:20:00Z */
#define N_IMAGES 6
#define MAX_RS   16
#define MAX_PODS 128

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

/* The fake cluster. */
struct sim {
	json_t *release;
	json_t *rs[MAX_RS];
	size_t n_rs;
	json_t *svc[2]; /* activeService "web", previewService "web-preview" */
	json_t *hidden[2];
	json_t *pods[MAX_PODS];
	size_t n_pods;
	time_t now;
	int uid_seq;
	bool slow;
	char events[16384];
	double last_requeue;
	int violations;
};

static json_t *spec_of(struct sim *sm)
{
	return json_object_get(sm->release, "spec");
}

static int replicas_of(struct sim *sm)
{
	return (int)json_integer_value(json_object_get(spec_of(sm), "replicas"));
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

static void sim_init(struct sim *sm, int replicas, const char *bg)
{
	memset(sm, 0, sizeof(*sm));
	sm->now = NOW;
	json_t *strategy = json_loads(bg, 0, NULL);
	if (!strategy)
		tap_diag("bad strategy in test: %s", bg);
	json_t *spec = json_pack("{s:i,s:{s:{s:s}},s:o,s:{s:o}}", "replicas", replicas, "selector",
	                         "matchLabels", "app", "web", "template", template_for(1),
	                         "strategy", "blueGreen", strategy);
	sm->release =
	    json_pack("{s:s,s:s,s:{s:s,s:s,s:s,s:s,s:i},s:o}", "apiVersion", "slipway.dev/v1alpha1",
	              "kind", "Release", "metadata", "name", "web", "namespace", "shop", "uid",
	              "rel-uid", "resourceVersion", "1", "generation", 1, "spec", spec);
	sm->svc[0] = service("web");
	if (json_object_get(strategy, "previewService"))
		sm->svc[1] = service("web-preview");
}

static void sim_free(struct sim *sm)
{
	json_decref(sm->release);
	for (size_t i = 0; i < sm->n_rs; i++)
		json_decref(sm->rs[i]);
	for (size_t i = 0; i < sm->n_pods; i++)
		json_decref(sm->pods[i]);
	for (int i = 0; i < 2; i++) {
		json_decref(sm->svc[i]);
		json_decref(sm->hidden[i]);
	}
}

static int int_at(const json_t *obj, const char *a, const char *b)
{
	return (int)json_integer_value(json_object_get(json_object_get(obj, a), b));
}

static const char *name_of(const json_t *obj)
{
	return json_string_value(json_object_get(json_object_get(obj, "metadata"), "name"));
}

static const char *rs_revision(const json_t *rs)
{
	const json_t *labels = json_object_get(json_object_get(rs, "metadata"), "labels");
	return json_string_value(json_object_get(labels, MODEL_LABEL_REVISION));
}

static int find_named(json_t *const *objs, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++) {
		if (name && strcmp(name_of(objs[i]), name) == 0)
			return (int)i;
	}
	return -1;
}

static const json_t *rs_of(struct sim *sm, const char *revision)
{
	for (size_t i = 0; i < sm->n_rs; i++) {
		const char *r = rs_revision(sm->rs[i]);
		if (revision && r && strcmp(r, revision) == 0)
			return sm->rs[i];
	}
	return NULL;
}

static int available_of(struct sim *sm, const char *revision)
{
	const json_t *rs = rs_of(sm, revision);
	return rs ? int_at(rs, "status", "availableReplicas") : 0;
}

static int spec_of_rev(struct sim *sm, const char *revision)
{
	const json_t *rs = rs_of(sm, revision);
	return rs ? int_at(rs, "spec", "replicas") : 0;
}

/* The revision Service `which` selects (NULL: not there, or every one). */
static const char *selected(struct sim *sm, int which)
{
	const json_t *sel = json_object_get(json_object_get(sm->svc[which], "spec"), "selector");
	return json_string_value(json_object_get(sel, MODEL_LABEL_REVISION));
}

static void create_rs(struct sim *sm, const json_t *body)
{
	if (find_named(sm->rs, sm->n_rs, name_of(body)) >= 0 || sm->n_rs == MAX_RS)
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

static json_t **service_of(struct sim *sm, const char *name)
{
	if (strcmp(name, "web") == 0)
		return &sm->svc[0];
	if (strcmp(name, "web-preview") == 0)
		return &sm->svc[1];
	return NULL;
}

/* A JSON patch of a Service: all or nothing, uid checked. */
static bool service_patch(struct sim *sm, const struct rec_action *a)
{
	json_t **obj = a->ref.name ? service_of(sm, a->ref.name) : NULL;
	if (!obj || !*obj)
		return false;
	const char *uid =
	    json_string_value(json_object_get(json_object_get(*obj, "metadata"), "uid"));
	if (a->ref.uid && (!uid || strcmp(uid, a->ref.uid) != 0))
		return false;
	return json_apply_patch(obj, a->body);
}

static void apply_action(struct sim *sm, const struct rec_action *a)
{
	bool pod = a->ref.resource && strcmp(a->ref.resource, "pods") == 0;
	int k = a->ref.name && !pod ? find_named(sm->rs, sm->n_rs, a->ref.name) : -1;
	int p = pod ? find_named(sm->pods, sm->n_pods, a->ref.name) : -1;
	if (a->kind == REC_CREATE) {
		create_rs(sm, a->body);
	} else if (a->kind == REC_MERGE_PATCH && p >= 0) {
		json_apply_merge(sm->pods[p], a->body);
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
		snprintf(sm->events + used, sizeof(sm->events) - used, "%s (%s) ", a->reason,
		         a->note);
	}
}

/* Applies the first `limit` actions of plan (a controller killed after
 * them); a refused Service patch stops it, as it stops the executor. */
static void apply_plan(struct sim *sm, const struct rec_plan *plan, size_t limit)
{
	for (size_t i = 0; i < plan->n_actions && i < limit; i++) {
		const struct rec_action *a = &plan->actions[i];
		if (a->kind == REC_JSON_PATCH) {
			if (!service_patch(sm, a)) {
				tap_diag("JSON patch on %s refused", a->ref.name);
				return;
			}
			continue;
		}
		apply_action(sm, a);
	}
}

/* A pod of ReplicaSet rs, with its template's labels. */
static void add_pod(struct sim *sm, const json_t *rs, int index)
{
	if (sm->n_pods == MAX_PODS)
		return;
	char name[300], uid[32];
	snprintf(name, sizeof(name), "%s-%d", name_of(rs), index);
	snprintf(uid, sizeof(uid), "pod-%d", ++sm->uid_seq);
	json_t *labels = json_deep_copy(json_object_get(
	    json_object_get(json_object_get(json_object_get(rs, "spec"), "template"), "metadata"),
	    "labels"));
	sm->pods[sm->n_pods++] =
	    json_pack("{s:{s:s,s:s,s:s,s:o}}", "metadata", "name", name, "namespace", "shop", "uid",
	              uid, "labels", labels ? labels : json_object());
}

/* The pods of rs: index < spec.replicas exist, the others are gone. */
static void pods_follow(struct sim *sm, const json_t *rs, int spec)
{
	char prefix[300];
	snprintf(prefix, sizeof(prefix), "%s-", name_of(rs));
	for (size_t i = 0; i < sm->n_pods;) {
		const char *n = name_of(sm->pods[i]);
		if (strncmp(n, prefix, strlen(prefix)) == 0 &&
		    strtol(n + strlen(prefix), NULL, 10) >= spec) {
			json_decref(sm->pods[i]);
			sm->pods[i] = sm->pods[--sm->n_pods];
			continue;
		}
		i++;
	}
	for (int k = 0; k < spec; k++) {
		char name[300];
		snprintf(name, sizeof(name), "%s%d", prefix, k);
		if (find_named(sm->pods, sm->n_pods, name) < 0)
			add_pod(sm, rs, k);
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
		pods_follow(sm, o, spec);
	}
}

static const json_t *status(struct sim *sm)
{
	return json_object_get(sm->release, "status");
}

/* Whether any revision other than `revision` has available pods. */
static bool others_available(struct sim *sm, const char *revision)
{
	for (size_t i = 0; i < sm->n_rs; i++) {
		const char *r = rs_revision(sm->rs[i]);
		if (int_at(sm->rs[i], "status", "availableReplicas") > 0 &&
		    !(r && revision && strcmp(r, revision) == 0))
			return true;
	}
	return false;
}

/* The promises of every plan (see the top of the file). */
static void check_invariants(struct sim *sm, const char *before_active, int before_to,
                             int before_from, bool whole)
{
	int replicas = replicas_of(sm);
	const char *now = selected(sm, 0);
	bool moved = now && (!before_active || strcmp(now, before_active) != 0);
	if (moved && before_to < replicas && before_to < before_from && others_available(sm, now)) {
		sm->violations++;
		tap_diag("activeService moved to image %d with %d of %d pods available",
		         image_of(now), before_to, replicas);
	}
	if (whole && now && rs_of(sm, now) && spec_of_rev(sm, now) < replicas) {
		sm->violations++;
		tap_diag("the active ReplicaSet (image %d) was scaled to %d of %d", image_of(now),
		         spec_of_rev(sm, now), replicas);
	}
}

/* One reconcile, applied (up to `limit` actions). Returns the number of
 * actions other than Events. */
static size_t step_once(struct sim *sm, size_t limit)
{
	const json_t *rss[MAX_RS], *pods[MAX_PODS];
	for (size_t i = 0; i < sm->n_rs; i++)
		rss[i] = sm->rs[i];
	for (size_t i = 0; i < sm->n_pods; i++)
		pods[i] = sm->pods[i];
	struct rec_observed o = {.release = sm->release,
	                         .replicasets = rss,
	                         .n_replicasets = sm->n_rs,
	                         .pods = pods,
	                         .n_pods = sm->n_pods,
	                         .stable_service = sm->svc[0],
	                         .canary_service = sm->svc[1],
	                         .now = sm->now};
	struct rec_plan plan;
	rec_plan_init(&plan);
	int r = rec_release_reconcile(&o, &plan);
	if (r < 0)
		tap_diag("reconcile failed: %d", r);
	char before_active[MODEL_REVISION_LEN + 1] = "";
	const char *ba = selected(sm, 0);
	if (ba)
		snprintf(before_active, sizeof(before_active), "%s", ba);
	apply_plan(sm, &plan, limit);
	const char *now = selected(sm, 0);
	/* Availability as the plan saw it: the pods have not moved since. */
	int to = now ? available_of(sm, now) : 0;
	int from = ba ? available_of(sm, before_active) : 0;
	check_invariants(sm, ba ? before_active : NULL, to, from, limit >= plan.n_actions);
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
		int n = spec_of_rev(sm, rev[img]);
		if (n == 0)
			continue;
		size_t used = strlen(out);
		snprintf(out + used, len - used, "%s%d:%d", used ? "," : "", img, n);
	}
}

static const char *condition_reason(struct sim *sm, const char *type, const char *want_status)
{
	json_t *c;
	size_t i;
	json_array_foreach(json_object_get(status(sm), "conditions"), i, c)
	{
		if (strcmp(json_string_value(json_object_get(c, "type")), type) == 0 &&
		    (!want_status ||
		     strcmp(json_string_value(json_object_get(c, "status")), want_status) == 0))
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
		const json_t *ann = json_object_get(json_object_get(rs, "metadata"), "annotations");
		if (rs && json_object_get(ann, MODEL_ANNOTATION_SCALE_DOWN_DEADLINE)) {
			size_t used = strlen(out);
			snprintf(out + used, len - used, "%s%d", used ? "," : "", img);
		}
	}
	if (!out[0])
		snprintf(out, len, "-");
}

/* "1:active,2:preview": the role label of each image's pods (all its pods
 * alike, else "mixed"), "-" for an image whose pods have none. */
static void roles(struct sim *sm, char *out, size_t len)
{
	out[0] = '\0';
	for (int img = 1; img < N_IMAGES; img++) {
		const char *role = NULL;
		bool any = false, mixed = false;
		for (size_t i = 0; i < sm->n_pods; i++) {
			const json_t *labels =
			    json_object_get(json_object_get(sm->pods[i], "metadata"), "labels");
			if (image_of(json_string_value(
			        json_object_get(labels, MODEL_LABEL_REVISION))) != img)
				continue;
			const char *r = json_string_value(json_object_get(labels, "role"));
			if (any && !((r && role && strcmp(r, role) == 0) || (!r && !role)))
				mixed = true;
			role = r;
			any = true;
		}
		if (!any)
			continue;
		size_t used = strlen(out);
		snprintf(out + used, len - used, "%s%d:%s", used ? "," : "", img,
		         mixed  ? "mixed"
		         : role ? role
		                : "-");
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
	if (strcmp(key, "stage") == 0)
		snprintf(got, sizeof(got), "%d",
		         (int)json_integer_value(json_object_get(st, "currentStepIndex")));
	else if (strcmp(key, "phase") == 0)
		snprintf(got, sizeof(got), "%s", json_string_value(json_object_get(st, "phase")));
	else if (strcmp(key, "stable") == 0)
		snprintf(got, sizeof(got), "%d",
		         image_of(json_string_value(json_object_get(st, "stableRevision"))));
	else if (strcmp(key, "arev") == 0 || strcmp(key, "prev") == 0)
		snprintf(got, sizeof(got), "%d",
		         image_of(json_string_value(json_object_get(
		             st, key[0] == 'a' ? "activeRevision" : "previewRevision"))));
	else if (strcmp(key, "asel") == 0 || strcmp(key, "psel") == 0)
		snprintf(got, sizeof(got), "%d", image_of(selected(sm, key[0] == 'p')));
	else if (strcmp(key, "rs") == 0)
		rs_summary(sm, got, sizeof(got));
	else if (strcmp(key, "nrs") == 0)
		snprintf(got, sizeof(got), "%d", (int)sm->n_rs);
	else if (strcmp(key, "ready") == 0)
		snprintf(got, sizeof(got), "%s", condition_reason(sm, "Ready", NULL));
	else if (strcmp(key, "stalled") == 0)
		snprintf(got, sizeof(got), "%s", condition_reason(sm, "Stalled", "True"));
	else if (strcmp(key, "abort") == 0)
		snprintf(got, sizeof(got), "%d", json_is_true(json_object_get(st, "abort")));
	else if (strcmp(key, "intent") == 0)
		snprintf(got, sizeof(got), "%d", json_object_get(st, "intent") != NULL);
	else if (strcmp(key, "paused") == 0) {
		const json_t *pc = json_array_get(json_object_get(st, "pauseConditions"), 0);
		const char *reason = json_string_value(json_object_get(pc, "reason"));
		snprintf(got, sizeof(got), "%s", reason ? reason : "-");
	} else if (strcmp(key, "requeue") == 0)
		snprintf(got, sizeof(got), "%d", (int)sm->last_requeue);
	else if (strcmp(key, "dl") == 0)
		deadlines(sm, got, sizeof(got));
	else if (strcmp(key, "roles") == 0)
		roles(sm, got, sizeof(got));
	else if (strcmp(key, "ev") == 0)
		snprintf(got, sizeof(got), "%s", strstr(sm->events, val) ? val : sm->events);
	else if (strcmp(key, "noev") == 0)
		snprintf(got, sizeof(got), "%s", strstr(sm->events, val) ? sm->events : val);
	else
		snprintf(got, sizeof(got), "unknown key %s", key);
	is_str(got, val, "%s: %s", row, kv);
}

/* Someone else points Service `which` at image (0: removes the key). */
static void retarget(struct sim *sm, int which, int image)
{
	json_t *sel = json_object_get(json_object_get(sm->svc[which], "spec"), "selector");
	if (image == 0)
		json_object_del(sel, MODEL_LABEL_REVISION);
	else
		json_object_set_new(sel, MODEL_LABEL_REVISION, json_string(rev[image]));
}

static void gone(struct sim *sm, int which, bool back)
{
	if (!back && sm->svc[which]) {
		sm->hidden[which] = sm->svc[which];
		sm->svc[which] = NULL;
	} else if (back && sm->hidden[which]) {
		sm->svc[which] = sm->hidden[which];
		sm->hidden[which] = NULL;
	}
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
		int m = -1;
		sscanf(cmd, "%31s %63s %d", word, arg, &m);
		int n = (int)strtol(arg, NULL, 10);
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
		} else if (strcmp(word, "slow") == 0 || strcmp(word, "fast") == 0) {
			sm->slow = word[0] == 's';
		} else if (strcmp(word, "intent") == 0) {
			write_intent(sm, arg, image, m);
		} else if (strcmp(word, "stale") == 0) {
			write_intent(sm, arg, image + 1, m);
		} else if (strcmp(word, "retarget") == 0) {
			retarget(sm, n, m < 0 ? 0 : m);
		} else if (strcmp(word, "lose") == 0) {
			json_object_del(sm->release, "status"); /* a status lost */
		} else if (strcmp(word, "gone") == 0 || strcmp(word, "back") == 0) {
			gone(sm, n, word[0] == 'b');
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

#define SVCS   "\"activeService\":\"web\",\"previewService\":\"web-preview\""
#define MANUAL SVCS ",\"autoPromotionEnabled\":false"
#define PRE    ",\"prePromotionAnalysis\":{\"templates\":[{\"templateName\":\"smoke\"}]}"
#define POST   ",\"postPromotionAnalysis\":{\"templates\":[{\"templateName\":\"errors\"}]}"
#define META                                                                                       \
	",\"activeMetadata\":{\"labels\":{\"role\":\"active\"}},\"previewMetadata\":{\"labels\":{" \
	"\"role\":\"preview\"}}"

static const struct row {
	const char *name;
	int replicas;
	const char *strategy; /* spec.strategy.blueGreen */
	const char *script;
} rows[] = {
    {"the first template goes out whole, both Services on it", 3, "{" SVCS "}",
     "run; expect rs=1:3 asel=1 psel=1 arev=1 prev=1 stable=1 phase=Healthy stage=5 "
     "ready=RolloutComplete"},
    {"autoPromotionEnabled: the preview whole, then the switch, the old one kept 30s", 3,
     "{" SVCS "}",
     "run; img 2; once; expect rs=1:3,2:3 asel=1 psel=1 stage=0 phase=Progressing "
     "ev=PreviewStarted; tick; once; expect asel=2 psel=2 prev=2 ev=PreviewReady "
     "ev=ActiveSwitched; tick; run; expect asel=2 psel=2 arev=2 stable=2 rs=1:3,2:3 dl=1 "
     "phase=Healthy ev=RolloutCompleted; wait 29; run; expect rs=1:3,2:3; wait 2; run; expect "
     "rs=2:3 dl=- "
     "nrs=2"},
    {"previewReplicaCount 1, manual: paused with the preview ready, promote switches", 3,
     "{" MANUAL ",\"previewReplicaCount\":1}",
     "run; img 2; run; expect rs=1:3,2:1 asel=1 psel=2 stage=2 phase=Paused "
     "paused=BlueGreenPause ready=BlueGreenPause ev=PreviewReady ev=BlueGreenPaused; "
     "wait 3600; run; expect stage=2 asel=1; intent Promote; run; expect asel=2 stable=2 "
     "rs=1:3,2:3 paused=- ev=Promoted ev=ActiveSwitched intent=0; wait 31; run; expect "
     "rs=2:3"},
    {"autoPromotionSeconds: the pause counts from the preview being ready", 2,
     "{" SVCS ",\"autoPromotionSeconds\":60}",
     "run; img 2; run; expect stage=2 paused=BlueGreenPause requeue=60 asel=1; wait 59; run; "
     "expect stage=2 asel=1 requeue=1; wait 1; run; expect stable=2 asel=2 ev=AutoPromoted"},
    {"activeService switches only once every new pod is available", 4, "{" SVCS "}",
     "slow; run; img 2; once; tick; once; tick; once; tick; expect asel=1; once; tick; expect "
     "asel=1; run; expect asel=2 stable=2 rs=1:4,2:4"},
    {"prePromotionAnalysis stops the machine: AnalysisNotImplemented until promoted", 2,
     "{" SVCS PRE "}",
     "run; img 2; run; expect stage=1 phase=Paused stalled=AnalysisNotImplemented asel=1 "
     "psel=2 rs=1:2,2:2 ev=AnalysisNotImplemented; run; expect noev=AnalysisNotImplemented; "
     "stale Promote 1; run; expect stage=1 ev=IntentIgnored; intent Promote 1; run; expect "
     "stable=2 asel=2 stalled=- phase=Healthy"},
    {"postPromotionAnalysis: active on the new revision, the old one whole, stopped", 2,
     "{" SVCS POST "}",
     "run; img 2; run; expect stage=4 asel=2 arev=2 stable=1 rs=1:2,2:2 "
     "stalled=AnalysisNotImplemented phase=Paused dl=-; wait 3600; run; expect rs=1:2,2:2; "
     "intent Promote 4; run; expect stable=2 asel=2 phase=Healthy dl=1"},
    {"a failed post-promotion check is an abort: activeService back to the old revision", 2,
     "{" SVCS POST "}",
     "run; img 2; run; expect stage=4 asel=2; intent Abort; run; expect asel=1 psel=1 abort=1 "
     "phase=Degraded ready=RolloutAborted rs=1:2,2:2 dl=2 ev=RolloutAborted; wait 31; run; "
     "expect rs=1:2 dl=-"},
    {"abort in the pause: both Services on stable, the preview kept 30s", 3, "{" MANUAL "}",
     "run; img 2; run; expect stage=2 psel=2; intent Abort; run; expect asel=1 psel=1 "
     "prev=1 abort=1 rs=1:3,2:3 dl=2; wait 31; run; expect rs=1:3 nrs=2 phase=Degraded"},
    {"abortScaleDownDelaySeconds 0 keeps the aborted preview up", 2,
     "{" MANUAL ",\"abortScaleDownDelaySeconds\":0}",
     "run; img 2; run; intent Abort; run; wait 3600; run; expect rs=1:2,2:2 asel=1 psel=1"},
    {"retry after an abort: the preview again, and on to the pause", 2, "{" MANUAL "}",
     "run; img 2; run; intent Abort; run; wait 31; run; expect rs=1:2; intent Retry; run; "
     "expect abort=0 stage=2 rs=1:2,2:2 psel=2 asel=1 ev=RolloutRetried; intent Promote; run; "
     "expect stable=2"},
    {"re-applying the old template while it is up switches straight back, no new pods", 3,
     "{" SVCS "}",
     "run; img 2; run; expect stable=2 rs=1:3,2:3 dl=1; img 1; once; expect asel=1 stable=1 "
     "rs=1:3,2:3 ev=ActiveSwitched ev=Rollback; run; expect stable=1 asel=1 psel=1 "
     "rs=1:3,2:3 dl=2 phase=Healthy; wait 31; run; expect rs=1:3 nrs=2"},
    {"re-applying the old template once it is down is a new preview", 2, "{" MANUAL "}",
     "run; img 2; run; intent Promote; run; wait 31; run; expect rs=2:2; img 1; run; expect "
     "stage=2 asel=2 psel=1 rs=1:2,2:2"},
    {"the stable template applied mid-preview ends it: the preview goes after its delay", 2,
     "{" MANUAL "}",
     "run; img 2; run; expect psel=2; img 1; run; expect asel=1 psel=1 stable=1 dl=2 "
     "rs=1:2,2:2; wait 31; run; expect rs=1:2 nrs=1"},
    {"a new template mid-preview: the new one previews, the replaced one goes", 2, "{" MANUAL "}",
     "run; img 2; run; img 3; run; expect psel=3 asel=1 rs=1:2,2:2,3:2 stage=2 dl=2; wait 31; "
     "run; expect rs=1:2,3:2 nrs=2"},
    {"kubectl scale mid-preview: both revisions follow spec.replicas", 3, "{" MANUAL "}",
     "run; img 2; run; expect rs=1:3,2:3; rep 5; run; expect rs=1:5,2:5 asel=1; rep 2; run; "
     "expect rs=1:2,2:2; intent Promote; run; expect stable=2 asel=2 rs=1:2,2:2"},
    {"kubectl scale with previewReplicaCount: the preview keeps its count", 3,
     "{" MANUAL ",\"previewReplicaCount\":1}",
     "run; img 2; run; rep 6; run; expect rs=1:6,2:1; intent Promote; run; expect rs=1:6,2:6 "
     "stable=2"},
    {"scaled up while promoting: the switch waits for the larger size", 2,
     "{" SVCS POST ",\"previewReplicaCount\":1}",
     "slow; run; img 2; once; tick; once; expect stage=3 asel=1; rep 4; once; tick; expect "
     "asel=1 rs=1:4,2:4; run; expect asel=2 rs=1:4,2:4 stage=4"},
    {"activeService changed by someone else: set back with an Event", 2, "{" SVCS "}",
     "run; img 2; run; expect asel=2; retarget 0 1; run; expect asel=2 "
     "ev=TrafficDriftCorrected; retarget 1 0; run; expect psel=2 ev=TrafficDriftCorrected"},
    {"a Service re-applied without the revision key gets it back", 2, "{" SVCS "}",
     "run; retarget 0; run; expect asel=1 ev=TrafficDriftCorrected"},
    {"scaleDownDelayRevisionLimit 1: only the newest old revision is kept", 2,
     "{" SVCS ",\"scaleDownDelayRevisionLimit\":1}",
     "run; img 2; run; img 3; run; expect stable=3 rs=2:2,3:2 asel=3"},
    {"no revision limit: every old revision kept for its delay", 2, "{" SVCS "}",
     "run; img 2; run; img 3; run; expect stable=3 rs=1:2,2:2,3:2; wait 31; run; expect rs=3:2"},
    {"activeMetadata and previewMetadata label the pods by role", 2, "{" MANUAL META "}",
     "run; tick; run; expect roles=1:active; img 2; run; tick; run; expect "
     "roles=1:active,2:preview; intent Promote; run; tick; run; expect roles=1:-,2:active; "
     "wait 31; run; expect roles=2:active"},
    {"spec.paused holds everything", 2, "{" MANUAL "}",
     "run; pause 1; img 2; run; expect rs=1:2 asel=1 phase=Paused ready=Paused; pause 0; run; "
     "expect stage=2 rs=1:2,2:2"},
    {"activeService not found: Stalled TrafficRouterMissing, no switch", 2, "{" SVCS "}",
     "run; gone 0; img 2; run; expect stalled=TrafficRouterMissing phase=Degraded stable=1 "
     "stage=3; back 0; run; expect stable=2 asel=2 stalled=-"},
    {"status lost, scaled up, the old revision still up: the serving one keeps its pods", 3,
     "{" MANUAL ",\"previewReplicaCount\":1}",
     "run; img 2; run; intent Promote; run; rep 5; run; expect asel=2 rs=1:3,2:5; lose; once; "
     "expect asel=2 rs=1:5,2:5; tick; run; expect asel=1 rs=1:5,2:1 stage=2"},
    {"a stale Promote (another stage) is ignored", 2, "{" MANUAL "}",
     "run; img 2; run; intent Promote 0; run; expect stage=2 ev=IntentIgnored"},
    {"killed after the first action of every plan: the same rollout", 3,
     "{" MANUAL POST ",\"previewReplicaCount\":1" META "}",
     "crashrun 1; img 2; crashrun 1; expect stage=2 asel=1 psel=2; intent Promote; crashrun 1; "
     "expect stage=4 asel=2 rs=1:3,2:3; intent Promote 4; crashrun 1; expect stable=2 asel=2; "
     "wait 31; crashrun 1; expect rs=2:3 nrs=2"},
    {"killed after two actions of every plan, with an abort and a rollback", 2, "{" SVCS POST "}",
     "crashrun 2; img 2; crashrun 2; intent Abort; crashrun 2; expect asel=1 abort=1; img 1; "
     "crashrun 2; expect abort=0 stable=1 asel=1"},
};
#define N_ROWS (sizeof(rows) / sizeof(rows[0]))

static void run_rows(void)
{
	for (size_t i = 0; i < N_ROWS; i++) {
		struct sim sm;
		sim_init(&sm, rows[i].replicas, rows[i].strategy);
		run_script(&sm, rows[i].name, rows[i].script);
		is_int(sm.violations, 0, "%s: invariants held on every plan", rows[i].name);
		sim_free(&sm);
	}
}

/* Every size and option, with the controller killed after 1, 2 or no
 * actions of every plan and pods that come fast or slowly: the rollout
 * reaches the new revision, with the promises held on every plan.
 * previewReplicaCount 1, replicas and replicas + 1 (0 is in the rows);
 * a few hundred rollouts, so that it stays quick under valgrind. */
static void sweep(void)
{
	int bad = 0, runs = 0;
	for (int replicas = 1; replicas <= 4; replicas++)
		for (int pv = 0; pv < 3; pv++) /* previewReplicaCount 1, replicas, more */
			for (int opts = 0; opts < 8; opts++)
				for (int limit = 0; limit < 3; limit++)
					for (int slow = 0; slow < 2; slow++) {
						int preview = pv == 0 ? 1 : replicas + pv - 1;
						char strategy[512], script[512];
						snprintf(strategy, sizeof(strategy),
						         "{%s,\"previewReplicaCount\":%d%s%s}",
						         opts & 1 ? MANUAL : SVCS, preview,
						         opts & 2 ? PRE : "", opts & 4 ? POST : "");
						const char *run = limit == 0   ? "run"
						                  : limit == 1 ? "crashrun 1"
						                               : "crashrun 2";
						snprintf(script, sizeof(script),
						         "%s; %s; img 2; %s; rep %d; %s; intent "
						         "PromoteFull; %s; intent PromoteFull; %s; "
						         "intent PromoteFull; %s; wait 31; %s",
						         slow ? "slow" : "fast", run, run,
						         replicas + (opts & 1), run, run, run, run,
						         run);
						struct sim sm;
						sim_init(&sm, replicas, strategy);
						run_script(&sm, "sweep", script);
						const char *st = json_string_value(
						    json_object_get(status(&sm), "stableRevision"));
						char rs[64];
						rs_summary(&sm, rs, sizeof(rs));
						char want[64];
						snprintf(want, sizeof(want), "2:%d",
						         replicas + (opts & 1));
						if (sm.violations || image_of(st) != 2 ||
						    strcmp(rs, want) != 0 ||
						    image_of(selected(&sm, 0)) != 2) {
							bad++;
							tap_diag(
							    "sweep %s limit %d slow %d: stable %d "
							    "rs %s",
							    strategy, limit, slow, image_of(st),
							    rs);
						}
						runs++;
						sim_free(&sm);
					}
	is_int(bad, 0, "sweep: %d rollouts reach the new revision with the promises held", runs);
}

/* The model: defaults and refusals of the blueGreen fields. */
static void check_model(void)
{
	struct {
		const char *bg;
		const char *err; /* NULL: valid */
	} cases[] = {
	    {"{\"activeService\":\"web\"}", NULL},
	    {"{\"activeService\":\"web\",\"previewService\":\"web\"}",
	     "spec.strategy.blueGreen.previewService: must differ from activeService"},
	    {"{\"activeService\":\"web\",\"autoPromotionEnabled\":false,\"autoPromotionSeconds\":"
	     "5}",
	     "spec.strategy.blueGreen.autoPromotionSeconds"},
	    {"{\"activeService\":\"web\",\"activeMetadata\":{\"labels\":{\"app\":\"x\"}}}",
	     "app is a label the ReplicaSets select on"},
	    {"{\"activeService\":\"web\",\"previewMetadata\":{\"labels\":{\"slipway.dev/"
	     "revision\":\"x\"}}}",
	     "slipway.dev/revision is a label"},
	    {"{\"activeService\":\"web\",\"previewReplicaCount\":-1}",
	     "spec.strategy.blueGreen.previewReplicaCount"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sim sm;
		sim_init(&sm, 2, cases[i].bg);
		struct rel_release *rel = NULL;
		struct model_errors errs = {0};
		int r = rel_release_parse(sm.release, &rel, &errs);
		char *list = model_errors_join(&errs, "; ");
		if (!cases[i].err)
			is_int(r, 0, "model %s: valid (%s)", cases[i].bg, list ? list : "");
		else
			ok(r == -EINVAL && list && strstr(list, cases[i].err), "model %s: %s (%s)",
			   cases[i].bg, cases[i].err, list ? list : "");
		if (r == 0 && !cases[i].err) {
			const struct rel_blue_green *b = &rel->blue_green;
			ok(b->auto_promotion_enabled && b->scale_down_delay_seconds == 30 &&
			       b->abort_scale_down_delay_seconds == 30 &&
			       !b->has_preview_replica_count &&
			       !b->has_scale_down_delay_revision_limit,
			   "model: defaults");
		}
		free(list);
		model_errors_clear(&errs);
		rel_release_free(rel);
		sim_free(&sm);
	}
}

int main(void)
{
	init_revisions();
	check_model();
	run_rows();
	sweep();
	is_str(rel_bg_stage_name(REL_BG_STAGE_PAUSE), "Pause", "stage names");
	return tap_done();
}
