/*
 * The restart decision (spec.restartAt): one row per situation with the
 * evictions it must ask for, then the whole Release reconcile for what the
 * status and the Events record.
 */
#include "tap.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/revision.h"
#include "model/timefmt.h"
#include "reconcilers/plan.h"
#include "reconcilers/release.h"
#include "reconcilers/restart.h"

#define NOW        1795695600 /* 2026-11-26T12:20:00Z */
#define RESTART_AT (NOW - 60)
#define MAX_PODS   8

/* A pod: name, age in seconds (created NOW - age), Ready since (seconds
 * before NOW, -1 = not Ready), being deleted, owner ReplicaSet uid. */
struct pod_opts {
	const char *name; /* NULL ends a list */
	int age;
	int ready_for;
	bool deleting;
	const char *owner; /* NULL = "rs-uid" */
};

/* A pod of our ReplicaSet, and one being deleted. */
#define P(name, age, ready_for)                                                                    \
	{                                                                                          \
		name, age, ready_for, false, NULL                                                  \
	}
#define D(name, age, ready_for)                                                                    \
	{                                                                                          \
		name, age, ready_for, true, NULL                                                   \
	}

static json_t *pod_json(const struct pod_opts *p)
{
	char created[MODEL_TIME_LEN], since[MODEL_TIME_LEN], uid[64];
	model_time_format(NOW - p->age, created);
	model_time_format(NOW - (p->ready_for < 0 ? 0 : p->ready_for), since);
	snprintf(uid, sizeof(uid), "uid-%s", p->name);
	json_t *md = json_pack("{s:s,s:s,s:s,s:s,s:[{s:s,s:s,s:s,s:b}]}", "name", p->name,
	                       "namespace", "shop", "uid", uid, "creationTimestamp", created,
	                       "ownerReferences", "apiVersion", "apps/v1", "kind", "ReplicaSet",
	                       "uid", p->owner ? p->owner : "rs-uid", "controller", 1);
	if (p->deleting)
		json_object_set_new(md, "deletionTimestamp", json_string(created));
	return json_pack("{s:o,s:{s:[{s:s,s:s,s:s}]}}", "metadata", md, "status", "conditions",
	                 "type", "Ready", "status", p->ready_for < 0 ? "False" : "True",
	                 "lastTransitionTime", since);
}

/* "evict NAME" per action, joined by "; "; "" for none. */
static void summarize(const struct rec_plan *plan, char *out, size_t cap)
{
	size_t o = 0;
	out[0] = '\0';
	for (size_t i = 0; i < plan->n_actions && o < cap; i++) {
		const struct rec_action *a = &plan->actions[i];
		bool eviction = a->kind == REC_CREATE && a->subresource &&
		                strcmp(a->subresource, "eviction") == 0;
		o += (size_t)snprintf(out + o, cap - o, "%s%s %s", i ? "; " : "",
		                      eviction ? "evict" : "other", a->ref.name);
	}
}

struct row {
	const char *name;
	time_t restart_at, restarted_at;
	bool rollout_not_done;
	int replicas, max_unavailable, min_ready;
	int rs_available; /* -1: as many as replicas */
	struct pod_opts pods[MAX_PODS];
	enum rec_restart_state state;
	const char *evictions;
	double requeue;
	int old_left;
};

/* Columns: restartAt, restartedAt, rollout not done, replicas, maxUnavailable,
 * minReadySeconds, ReplicaSets' available (-1 = replicas); pods; then the
 * state, evictions, requeue and old pods left. One row a situation, kept
 * as a table by hand. */
/* clang-format off */
static const struct row rows[] = {
    {"no spec.restartAt: nothing", 0, 0, false, 3, 1, 0, -1,
     {P("a", 600, 600), P("b", 600, 600), P("c", 600, 600)},
     REC_RESTART_IDLE, "", -1, 0},
    {"restartedAt equals restartAt: already done", RESTART_AT, RESTART_AT, false, 3, 1, 0, -1,
     {P("a", 600, 600), P("b", 600, 600), P("c", 600, 600)},
     REC_RESTART_IDLE, "", -1, 0},
    {"restartAt in the future: requeued for it", NOW + 30, 0, false, 3, 1, 0, -1,
     {P("a", 600, 600), P("b", 600, 600), P("c", 600, 600)},
     REC_RESTART_SCHEDULED, "", 30, 0},
    {"a rollout in progress: waits", RESTART_AT, 0, true, 3, 1, 0, -1,
     {P("a", 600, 600), P("b", 600, 600), P("c", 600, 600)},
     REC_RESTART_WAITING, "", -1, 0},
    {"maxUnavailable 1: the oldest pod first", RESTART_AT, 0, false, 4, 1, 0, -1,
     {P("b", 600, 600), P("a", 700, 700), P("c", 500, 500), P("d", 650, 650)},
     REC_RESTART_RUNNING, "evict a", REC_RESTART_POLL_SECONDS, 4},
    {"maxUnavailable 2: two, oldest first, ties by name", RESTART_AT, 0, false, 4, 2, 0, -1,
     {P("d", 600, 600), P("c", 600, 600), P("b", 500, 500), P("a", 400, 400)},
     REC_RESTART_RUNNING, "evict c; evict d", REC_RESTART_POLL_SECONDS, 4},
    {"maxUnavailable 0: still one at a time", RESTART_AT, 0, false, 3, 0, 0, -1,
     {P("a", 600, 600), P("b", 600, 600), P("c", 600, 600)},
     REC_RESTART_RUNNING, "evict a", REC_RESTART_POLL_SECONDS, 3},
    {"an eviction in flight uses the budget", RESTART_AT, 0, false, 4, 1, 0, -1,
     {D("a", 700, 700), P("b", 600, 600), P("c", 600, 600), P("d", 600, 600)},
     REC_RESTART_RUNNING, "", REC_RESTART_POLL_SECONDS, 3},
    {"its replacement available: the next one goes", RESTART_AT, 0, false, 4, 1, 0, -1,
     {D("a", 700, 700), P("n", 5, 1), P("b", 600, 600), P("c", 600, 600), P("d", 600, 600)},
     REC_RESTART_RUNNING, "evict b", REC_RESTART_POLL_SECONDS, 3},
    {"a replacement not Ready yet uses the budget", RESTART_AT, 0, false, 3, 1, 0, -1,
     {P("n", 5, -1), P("b", 600, 600), P("c", 600, 600)},
     REC_RESTART_RUNNING, "", REC_RESTART_POLL_SECONDS, 2},
    {"the ReplicaSets' view wins when it counts fewer available", RESTART_AT, 0, false, 3, 1, 0, 2,
     {P("a", 600, 600), P("b", 600, 600), P("c", 600, 600)},
     REC_RESTART_RUNNING, "", REC_RESTART_POLL_SECONDS, 3},
    {"an old pod that is not available is evicted for free", RESTART_AT, 0, false, 3, 1, 0, -1,
     {P("a", 600, -1), P("b", 500, 500), P("c", 400, 400)},
     REC_RESTART_RUNNING, "evict a", REC_RESTART_POLL_SECONDS, 3},
    {"minReadySeconds: Ready for 8 s of 10 is not available yet", RESTART_AT, 0, false, 2, 1, 10, -1,
     {P("n", 9, 8), P("b", 600, 600)},
     REC_RESTART_RUNNING, "", 2, 1},
    {"a pod created at restartAt is not older", RESTART_AT, 0, false, 2, 1, 0, -1,
     {P("a", 60, 50), P("b", 30, 20)},
     REC_RESTART_DONE, "", -1, 0},
    {"every pod newer and available: done", RESTART_AT, 0, false, 3, 1, 0, -1,
     {P("a", 50, 40), P("b", 40, 30), P("c", 30, 20), D("old", 700, 700)},
     REC_RESTART_DONE, "", -1, 0},
    {"every pod newer, one not available: not done", RESTART_AT, 0, false, 3, 1, 0, -1,
     {P("a", 50, 40), P("b", 40, 30), P("c", 5, -1)},
     REC_RESTART_RUNNING, "", REC_RESTART_POLL_SECONDS, 0},
    {"a later restartAt than the one done starts again", RESTART_AT, RESTART_AT - 3600, false, 2, 1, 0, -1,
     {P("a", 600, 600), P("b", 500, 500)},
     REC_RESTART_RUNNING, "evict a", REC_RESTART_POLL_SECONDS, 2},
};
/* clang-format on */

static void run_row(const struct row *w)
{
	json_t *pods[MAX_PODS];
	size_t n = 0;
	for (; n < MAX_PODS && w->pods[n].name; n++)
		pods[n] = pod_json(&w->pods[n]);
	struct rec_restart_input in = {
	    .restart_at = w->restart_at,
	    .restarted_at = w->restarted_at,
	    .rollout_done = !w->rollout_not_done,
	    .replicas = w->replicas,
	    .max_unavailable = w->max_unavailable,
	    .min_ready_seconds = w->min_ready,
	    .rs_available = w->rs_available < 0 ? w->replicas : w->rs_available,
	    .pods = (const json_t *const *)pods,
	    .n_pods = n,
	    .ns = "shop",
	    .now = NOW,
	};
	struct rec_plan plan;
	rec_plan_init(&plan);
	struct rec_restart_result res = {0};
	int r = rec_restart_decide(&in, &plan, &res);
	char got[512];
	summarize(&plan, got, sizeof(got));
	ok(r == 0, "%s: decided", w->name);
	is_int(res.state, w->state, "%s: state", w->name);
	is_str(got, w->evictions, "%s: evictions", w->name);
	is_int((long long)plan.requeue_after, (long long)w->requeue, "%s: requeue", w->name);
	is_int((long long)res.old_left, w->old_left, "%s: old pods left", w->name);
	rec_plan_clear(&plan);
	for (size_t i = 0; i < n; i++)
		json_decref(pods[i]);
}

/* The Eviction a row asks for: policy/v1, the pod's uid as precondition,
 * sent to pods/NAME/eviction in the pod's namespace. */
static void test_eviction_body(void)
{
	struct pod_opts p = P("a", 600, 600);
	json_t *pod = pod_json(&p);
	const json_t *pods[] = {pod};
	struct rec_restart_input in = {.restart_at = RESTART_AT,
	                               .rollout_done = true,
	                               .replicas = 1,
	                               .max_unavailable = 1,
	                               .rs_available = 1,
	                               .pods = pods,
	                               .n_pods = 1,
	                               .ns = "shop",
	                               .now = NOW};
	struct rec_plan plan;
	rec_plan_init(&plan);
	struct rec_restart_result res;
	ok(rec_restart_decide(&in, &plan, &res) == 0 && plan.n_actions == 1, "one eviction");
	const struct rec_action *a = &plan.actions[0];
	json_t *want = json_pack("{s:s,s:s,s:{s:s,s:s},s:{s:{s:s}}}", "apiVersion", "policy/v1",
	                         "kind", "Eviction", "metadata", "name", "a", "namespace", "shop",
	                         "deleteOptions", "preconditions", "uid", "uid-a");
	ok(json_equal(a->body, want), "an Eviction preconditioned on the pod's uid");
	is_str(a->ref.resource, "pods", "to pods");
	is_str(a->ref.group, "", "of the core group");
	is_str(a->ref.ns, "shop", "in the pod's namespace");
	is_str(a->subresource, "eviction", "its eviction subresource");
	json_decref(want);
	rec_plan_clear(&plan);
	json_decref(pod);
}

/* ---- through rec_release_reconcile --------------------------------------- */

static char revision[MODEL_REVISION_LEN + 1];

static json_t *template_json(void)
{
	return json_pack("{s:{s:{s:s}},s:{s:[{s:s,s:s}]}}", "metadata", "labels", "app", "web",
	                 "spec", "containers", "name", "web", "image", "nginx:1");
}

/* A Release of 2 replicas whose one ReplicaSet is fully available, and a
 * status saying the rollout completed (settle() completes it). */
static json_t *release_json(void)
{
	json_t *spec = json_pack("{s:i,s:{s:{s:s}},s:o,s:{s:{s:i,s:i}}}", "replicas", 2, "selector",
	                         "matchLabels", "app", "web", "template", template_json(),
	                         "strategy", "rolling", "maxSurge", 1, "maxUnavailable", 1);
	json_t *status = json_pack(
	    "{s:i,s:s,s:s,s:i,s:i,s:i,s:i,s:[{s:s,s:s,s:s,s:s,s:i}]}", "observedGeneration", 1,
	    "phase", "Healthy", "currentRevision", revision, "replicas", 2, "updatedReplicas", 2,
	    "readyReplicas", 2, "availableReplicas", 2, "conditions", "type", "Progressing",
	    "status", "True", "reason", "NewReplicaSetAvailable", "lastTransitionTime",
	    "2026-11-26T10:00:00Z", "observedGeneration", 1);
	return json_pack("{s:s,s:s,s:{s:s,s:s,s:s,s:s,s:i},s:o,s:o}", "apiVersion",
	                 "slipway.dev/v1alpha1", "kind", "Release", "metadata", "name", "web",
	                 "namespace", "shop", "uid", "rel-uid", "resourceVersion", "100",
	                 "generation", 1, "spec", spec, "status", status);
}

static json_t *rs_json(void)
{
	char name[128];
	snprintf(name, sizeof(name), "web-%s", revision);
	json_t *md = json_pack(
	    "{s:s,s:s,s:s,s:s,s:s,s:i,s:{s:s,s:s},s:{s:s,s:s,s:s},s:[{s:s,s:s,s:s,s:s,s:b}]}",
	    "name", name, "namespace", "shop", "uid", "rs-uid", "resourceVersion", "7",
	    "creationTimestamp", "2026-11-25T12:20:00Z", "generation", 2, "labels", "app", "web",
	    MODEL_LABEL_REVISION, revision, "annotations", MODEL_ANNOTATION_DESIRED, "2",
	    "slipway.dev/max-replicas", "3", "slipway.dev/generation", "1", "ownerReferences",
	    "apiVersion", "slipway.dev/v1alpha1", "kind", "Release", "name", "web", "uid",
	    "rel-uid", "controller", 1);
	return json_pack("{s:o,s:{s:i,s:i},s:{s:i,s:i,s:i,s:i}}", "metadata", md, "spec",
	                 "replicas", 2, "minReadySeconds", 0, "status", "replicas", 2,
	                 "readyReplicas", 2, "availableReplicas", 2, "observedGeneration", 2);
}

struct outcome {
	char actions[512];  /* kinds in order: "evict a; status; event Restarted" */
	char restarted[64]; /* status.restartedAt as written, "" if not */
	char message[512];  /* status.message as written, "" if not */
	bool wrote_status;
};

/* Reconciles rel (no pods, no restart) and takes the status it writes until
 * it writes none: the status a settled, rolled-out Release has. */
static void settle(json_t *rel, const json_t *rs)
{
	const json_t *rss[] = {rs};
	struct rec_observed o = {
	    .release = rel, .replicasets = rss, .n_replicasets = 1, .now = NOW};
	for (int round = 0; round < 3; round++) {
		struct rec_plan plan;
		rec_plan_init(&plan);
		rec_release_reconcile(&o, &plan);
		json_t *st = NULL;
		for (size_t i = 0; i < plan.n_actions; i++) {
			if (plan.actions[i].kind == REC_WRITE_STATUS)
				st = json_deep_copy(plan.actions[i].body);
		}
		rec_plan_clear(&plan);
		if (!st)
			return;
		const char *k;
		json_t *v;
		void *tmp;
		json_object_foreach_safe(st, tmp, k, v)
		{
			if (json_is_null(v))
				json_object_del(st, k);
		}
		json_object_set_new(rel, "status", st);
	}
}

/* rs_available: the ReplicaSet's status.availableReplicas after settling
 * (-1: leave it at 2, all available). */
static void reconcile(const char *restart_at, const char *restarted_at, bool paused,
                      int rs_available, const struct pod_opts *p, size_t n, struct outcome *out)
{
	json_t *rel = release_json();
	json_t *rs = rs_json();
	settle(rel, rs);
	if (rs_available >= 0) {
		json_t *st = json_object_get(rs, "status");
		json_object_set_new(st, "availableReplicas", json_integer(rs_available));
		json_object_set_new(st, "readyReplicas", json_integer(rs_available));
	}
	if (restart_at)
		json_object_set_new(json_object_get(rel, "spec"), "restartAt",
		                    json_string(restart_at));
	if (restarted_at)
		json_object_set_new(json_object_get(rel, "status"), "restartedAt",
		                    json_string(restarted_at));
	json_object_set_new(json_object_get(rel, "spec"), "paused", json_boolean(paused));
	json_t *pods[MAX_PODS];
	for (size_t i = 0; i < n; i++)
		pods[i] = pod_json(&p[i]);
	const json_t *rss[] = {rs};
	struct rec_observed o = {.release = rel,
	                         .replicasets = rss,
	                         .n_replicasets = 1,
	                         .pods = (const json_t *const *)pods,
	                         .n_pods = n,
	                         .now = NOW};
	struct rec_plan plan;
	rec_plan_init(&plan);
	memset(out, 0, sizeof(*out));
	ok(rec_release_reconcile(&o, &plan) == 0, "reconciled");
	size_t off = 0;
	for (size_t i = 0; i < plan.n_actions; i++) {
		const struct rec_action *a = &plan.actions[i];
		const char *sep = i ? "; " : "";
		const json_t *st = a->body;
		switch (a->kind) {
		case REC_CREATE:
			off += (size_t)snprintf(out->actions + off, sizeof(out->actions) - off,
			                        "%s%s %s", sep, a->subresource ? "evict" : "create",
			                        a->ref.name);
			break;
		case REC_WRITE_STATUS:
			out->wrote_status = true;
			snprintf(out->restarted, sizeof(out->restarted), "%s",
			         json_string_value(json_object_get(st, "restartedAt"))
			             ? json_string_value(json_object_get(st, "restartedAt"))
			             : "");
			snprintf(out->message, sizeof(out->message), "%s",
			         json_string_value(json_object_get(st, "message"))
			             ? json_string_value(json_object_get(st, "message"))
			             : "");
			off += (size_t)snprintf(out->actions + off, sizeof(out->actions) - off,
			                        "%sstatus", sep);
			break;
		case REC_EVENT:
			off += (size_t)snprintf(out->actions + off, sizeof(out->actions) - off,
			                        "%sevent %s", sep, a->reason);
			break;
		default:
			off += (size_t)snprintf(out->actions + off, sizeof(out->actions) - off,
			                        "%s%s", sep, rec_action_kind_name(a->kind));
			break;
		}
	}
	rec_plan_clear(&plan);
	for (size_t i = 0; i < n; i++)
		json_decref(pods[i]);
	json_decref(rs);
	json_decref(rel);
}

static void test_release(void)
{
	char at[MODEL_TIME_LEN];
	model_time_format(RESTART_AT, at);
	struct outcome out;

	const struct pod_opts old[] = {P("a", 600, 600), P("b", 500, 500)};
	reconcile(at, NULL, false, -1, old, 2, &out);
	is_str(out.actions, "status; evict a", "running: writes progress, then evicts the oldest");
	ok(strstr(out.message, "restarting pods created before") != NULL,
	   "  status.message says a restart runs: %s", out.message);
	is_str(out.restarted, "", "  no restartedAt yet");

	const struct pod_opts foreign[] = {
	    {"x", 600, 600, false, "other-rs"}, P("a", 50, 40), P("b", 40, 30)};
	reconcile(at, NULL, false, -1, foreign, 3, &out);
	is_str(out.actions, "status; event Restarted",
	       "done: pods of another ReplicaSet are never touched nor waited for");
	is_str(out.restarted, at, "  status.restartedAt = spec.restartAt");

	const struct pod_opts fresh[] = {P("a", 50, 40), P("b", 40, 30)};
	reconcile(at, at, false, -1, fresh, 2, &out);
	is_str(out.actions, "", "restartedAt recorded: nothing more, no Event again");

	const struct pod_opts midway[] = {D("a", 600, 600), P("n", 5, -1), P("b", 500, 500)};
	reconcile(at, NULL, false, 1, midway, 3, &out);
	is_str(out.actions, "status",
	       "an evicted pod not replaced yet: no eviction beyond maxUnavailable");
	ok(strstr(out.message, "restarting pods created before") != NULL &&
	       strstr(out.message, "1 left") != NULL,
	   "  and the restart's own unavailable pod is no rollout to wait for: %s", out.message);

	reconcile(at, NULL, true, -1, old, 2, &out);
	ok(strstr(out.actions, "evict") == NULL, "paused: no eviction (%s)", out.actions);
	ok(strstr(out.message, "waits for the rollout") != NULL,
	   "  and status.message says why: %s", out.message);

	reconcile("yesterday", NULL, false, -1, fresh, 2, &out);
	ok(strstr(out.message, "spec.restartAt") != NULL,
	   "a restartAt that is no time is an invalid spec: %s", out.message);
}

int main(void)
{
	json_t *t = template_json();
	model_revision_hash(t, revision);
	json_decref(t);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		run_row(&rows[i]);
	test_eviction_body();
	test_release();
	return tap_done();
}
