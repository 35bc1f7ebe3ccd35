/*
 * The rolling reconciler: one row per situation with the plan it must give,
 * then a simulation that applies every plan to a fake cluster and checks the
 * rolling update's promises at every step.
 */
#include "json-apply.h"
#include "tap.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/revision.h"
#include "model/timefmt.h"
#include "reconcilers/plan.h"
#include "reconcilers/release.h"
#include "reconcilers/replicaset.h"

#define NOW      1795695600 /* 2026-11-26T12:20:00Z */
#define N_IMAGES 6

/* Revisions of the templates running image nginx:1 .. nginx:5. */
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

/* Replaces $1..$5 with the revisions. */
static char *expand(const char *s)
{
	size_t cap = strlen(s) * 4 + 1;
	char *out = malloc(cap);
	size_t o = 0;
	for (; *s; s++) {
		if (s[0] == '@' && s[1] == '-') {
			/* @-N: the time N seconds before NOW. */
			char *end;
			long ago = strtol(s + 2, &end, 10);
			char ts[MODEL_TIME_LEN];
			model_time_format(NOW - ago, ts);
			o += (size_t)snprintf(out + o, cap - o, "%s", ts);
			s = end - 1;
		} else if (s[0] == '$' && s[1] >= '1' && s[1] < '0' + N_IMAGES) {
			o += (size_t)snprintf(out + o, cap - o, "%s", rev[s[1] - '0']);
			s++;
		} else {
			out[o++] = *s;
		}
	}
	out[o] = '\0';
	return out;
}

struct rel_opts {
	int replicas;
	const char *surge; /* JSON value, NULL = default */
	const char *unavailable;
	int image;
	int generation;
	int min_ready;
	int history_limit; /* -1 = default */
	bool paused;
	const char *strategy; /* whole spec.strategy JSON, overrides surge/unavailable */
};

static json_t *release_json(const struct rel_opts *p, const char *status)
{
	json_t *spec =
	    json_pack("{s:i,s:{s:{s:s}},s:o,s:i,s:b}", "replicas", p->replicas, "selector",
	              "matchLabels", "app", "web", "template", template_for(p->image),
	              "minReadySeconds", p->min_ready, "paused", p->paused);
	if (p->history_limit >= 0)
		json_object_set_new(spec, "revisionHistoryLimit", json_integer(p->history_limit));
	if (p->strategy) {
		json_object_set_new(spec, "strategy", json_loads(p->strategy, 0, NULL));
	} else {
		json_t *rolling = json_object();
		if (p->surge)
			json_object_set_new(rolling, "maxSurge",
			                    json_loads(p->surge, JSON_DECODE_ANY, NULL));
		if (p->unavailable)
			json_object_set_new(rolling, "maxUnavailable",
			                    json_loads(p->unavailable, JSON_DECODE_ANY, NULL));
		json_object_set_new(spec, "strategy", json_pack("{s:o}", "rolling", rolling));
	}
	json_t *rel = json_pack("{s:s,s:s,s:{s:s,s:s,s:s,s:s,s:i},s:o}", "apiVersion",
	                        "slipway.dev/v1alpha1", "kind", "Release", "metadata", "name",
	                        "web", "namespace", "shop", "uid", "rel-uid", "resourceVersion",
	                        "100", "generation", p->generation, "spec", spec);
	if (status) {
		char *s = expand(status);
		json_error_t err;
		json_t *st = json_loads(s, 0, &err);
		if (!st)
			tap_diag("bad status in test: %s: %s", err.text, s);
		json_object_set_new(rel, "status", st);
		free(s);
	}
	return rel;
}

/* An RS as the cluster would hold it. */
struct rs_opts {
	int image; /* 0 = end of list */
	int spec;
	int pods; /* status.replicas */
	int ready;
	int available;
	int desired; /* annotation; -1 = none */
	int max;     /* annotation; -1 = none */
	int gen;     /* slipway.dev/generation annotation */
	int owner;   /* 0 = ours, 1 = none, 2 = another uid, 3 = ours but controller:false */
	bool deleting;
	const char *name; /* NULL = web-REVISION */
	int min_ready;    /* spec.minReadySeconds */
};

static json_t *rs_json(const struct rs_opts *p)
{
	char name[64], ann[32], created[MODEL_TIME_LEN];
	if (p->name) {
		char *n = expand(p->name);
		snprintf(name, sizeof(name), "%s", n);
		free(n);
	} else
		snprintf(name, sizeof(name), "web-%s", rev[p->image]);
	model_time_format(NOW - 86400 + p->gen * 60, created);
	json_t *annotations = json_object();
	if (p->desired >= 0) {
		snprintf(ann, sizeof(ann), "%d", p->desired);
		json_object_set_new(annotations, MODEL_ANNOTATION_DESIRED, json_string(ann));
	}
	if (p->max >= 0) {
		snprintf(ann, sizeof(ann), "%d", p->max);
		json_object_set_new(annotations, MODEL_ANNOTATION_MAX, json_string(ann));
	}
	snprintf(ann, sizeof(ann), "%d", p->gen);
	json_object_set_new(annotations, MODEL_ANNOTATION_GENERATION, json_string(ann));
	json_t *md =
	    json_pack("{s:s,s:s,s:s+,s:s,s:s,s:i,s:{s:s,s:s},s:o}", "name", name, "namespace",
	              "shop", "uid", "uid-", name, "resourceVersion", "7", "creationTimestamp",
	              created, "generation", 2, "labels", "app", "web", MODEL_LABEL_REVISION,
	              rev[p->image], "annotations", annotations);
	if (p->owner != 1)
		json_object_set_new(md, "ownerReferences",
		                    json_pack("[{s:s,s:s,s:s,s:s,s:b}]", "apiVersion",
		                              "slipway.dev/v1alpha1", "kind", "Release", "name",
		                              "web", "uid", p->owner == 2 ? "other-uid" : "rel-uid",
		                              "controller", p->owner != 3));
	if (p->deleting)
		json_object_set_new(md, "deletionTimestamp", json_string("2026-11-26T10:19:00Z"));
	return json_pack("{s:s,s:s,s:o,s:{s:i,s:i},s:{s:i,s:i,s:i,s:i}}", "apiVersion", "apps/v1",
	                 "kind", "ReplicaSet", "metadata", md, "spec", "replicas", p->spec,
	                 "minReadySeconds", p->min_ready, "status", "replicas", p->pods,
	                 "readyReplicas", p->ready, "availableReplicas", p->available,
	                 "observedGeneration", 2);
}

/* "create NAME N", "patch NAME N" (or "patch NAME -" without replicas),
 * "delete NAME", "event REASON", "warn REASON", "status"; joined by "; ". */
static char *summarize(const struct rec_plan *plan)
{
	size_t cap = 4096;
	char *out = calloc(1, cap);
	size_t o = 0;
	for (size_t i = 0; i < plan->n_actions; i++) {
		const struct rec_action *a = &plan->actions[i];
		const char *sep = i ? "; " : "";
		json_t *n = NULL;
		switch (a->kind) {
		case REC_CREATE:
			n = json_object_get(json_object_get(a->body, "spec"), "replicas");
			o += (size_t)snprintf(out + o, cap - o, "%screate %s %d", sep,
			                      json_string_value(json_object_get(
			                          json_object_get(a->body, "metadata"), "name")),
			                      (int)json_integer_value(n));
			break;
		case REC_MERGE_PATCH:
			n = json_object_get(json_object_get(a->body, "spec"), "replicas");
			if (n)
				o += (size_t)snprintf(out + o, cap - o, "%spatch %s %d", sep,
				                      a->ref.name, (int)json_integer_value(n));
			else
				o += (size_t)snprintf(out + o, cap - o, "%spatch %s -", sep,
				                      a->ref.name);
			break;
		case REC_DELETE:
			o += (size_t)snprintf(out + o, cap - o, "%sdelete %s", sep, a->ref.name);
			break;
		case REC_EVENT:
			o += (size_t)snprintf(out + o, cap - o, "%s%s %s", sep,
			                      a->event_type == REC_EVENT_WARNING ? "warn" : "event",
			                      a->reason);
			break;
		case REC_WRITE_STATUS:
			o += (size_t)snprintf(out + o, cap - o, "%sstatus", sep);
			break;
		case REC_APPLY:
		case REC_JSON_PATCH:
			o += (size_t)snprintf(out + o, cap - o, "%s%s %s", sep,
			                      rec_action_kind_name(a->kind), a->ref.name);
			break;
		}
		if (o >= cap)
			break;
	}
	return out;
}

static const json_t *status_written(const struct rec_plan *plan)
{
	for (size_t i = 0; i < plan->n_actions; i++) {
		if (plan->actions[i].kind == REC_WRITE_STATUS)
			return plan->actions[i].body;
	}
	return NULL;
}

/* "Type=Status/Reason" for each condition named in `want` ("Ready,Stalled"). */
static char *conditions_of(const json_t *status, const char *want)
{
	char *out = calloc(1, 1024);
	size_t o = 0;
	char types[256];
	snprintf(types, sizeof(types), "%s", want);
	char *save = NULL;
	for (char *t = strtok_r(types, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		json_t *found = NULL, *c;
		size_t i;
		json_array_foreach(json_object_get(status, "conditions"), i, c)
		{
			if (strcmp(json_string_value(json_object_get(c, "type")), t) == 0)
				found = c;
		}
		o += (size_t)snprintf(
		    out + o, 1024 - o, "%s%s=%s/%s", o ? "," : "", t,
		    found ? json_string_value(json_object_get(found, "status")) : "-",
		    found ? json_string_value(json_object_get(found, "reason")) : "-");
	}
	return out;
}

static void apply_status(json_t *release, const struct rec_plan *plan)
{
	const json_t *st = status_written(plan);
	if (!st)
		return;
	json_t *cur = json_object_get(release, "status");
	if (!json_is_object(cur)) {
		cur = json_object();
		json_object_set_new(release, "status", cur);
	}
	json_apply_merge(cur, st);
}

#define FIXPOINT "@fixpoint" /* observed status = what a first reconcile wrote */
#define MAX_RS   8

static const struct row {
	const char *why;
	struct rel_opts rel;
	const char *status;
	struct rs_opts rs[MAX_RS];
	long now_offset;
	const char *plan;  /* expected summary, with $N for revisions */
	const char *phase; /* of the written status; NULL = no write expected */
	const char *conds; /* "Type=Status/Reason,..." of the written status */
	double requeue;
} rows[] = {
    {"fresh create: the first revision gets every replica at once",
     {10, NULL, NULL, 1, 1, 0, -1, false, NULL},
     NULL,
     {{0}},
     0,
     "create web-$1 10; event RevisionCreated; event ScalingReplicaSet; status",
     "Progressing",
     "Ready=False/RollingUpdate,Reconciling=True/RollingUpdate,Stalled=False/RollingUpdate,"
     "Progressing=True/NewReplicaSetCreated",
     600},
    {"surge limit 25% of 10: new RS of 3, old down to 8 (13 pods at most, 8 available at least)",
     {10, NULL, NULL, 2, 2, 0, -1, false, NULL},
     NULL,
     {{1, 10, 10, 10, 10, 10, 13, 1, 0, false, NULL, 0}, {0}},
     0,
     "create web-$2 3; event RevisionCreated; event ScalingReplicaSet; patch web-$1 8; "
     "event ScalingReplicaSet; status",
     "Progressing",
     "Available=True/MinimumReplicasAvailable",
     600},
    {"unready pods: 13 pods and none of the new ones available, nothing moves",
     {10, NULL, NULL, 2, 2, 0, -1, false, NULL},
     NULL,
     {{1, 8, 8, 8, 8, 10, 13, 1, 0, false, NULL, 0},
      {2, 5, 5, 0, 0, 10, 13, 2, 0, false, NULL, 0},
      {0}},
     0,
     "status",
     "Progressing",
     "Ready=False/RollingUpdate",
     600},
    {"partly ready: 2 new pods available let 2 old ones go",
     {10, NULL, NULL, 2, 2, 0, -1, false, NULL},
     NULL,
     {{1, 8, 8, 8, 8, 10, 13, 1, 0, false, NULL, 0},
      {2, 5, 5, 2, 2, 10, 13, 2, 0, false, NULL, 0},
      {0}},
     0,
     "patch web-$1 6; event ScalingReplicaSet; status",
     "Progressing",
     NULL,
     600},
    {"unavailable limit 2 without surge: new RS created empty, old down to 8",
     {10, "0", "2", 2, 2, 0, -1, false, NULL},
     NULL,
     {{1, 10, 10, 10, 10, 10, 10, 1, 0, false, NULL, 0}, {0}},
     0,
     "create web-$2 0; event RevisionCreated; patch web-$1 8; event ScalingReplicaSet; status",
     "Progressing",
     NULL,
     600},
    {"unavailable limit: the new RS takes the room the old one left",
     {10, "0", "2", 2, 2, 0, -1, false, NULL},
     NULL,
     {{1, 8, 8, 8, 8, 10, 10, 1, 0, false, NULL, 0},
      {2, 0, 0, 0, 0, 10, 10, 2, 0, false, NULL, 0},
      {0}},
     0,
     "patch web-$2 2; event ScalingReplicaSet; status",
     "Progressing",
     NULL,
     600},
    {"unhealthy old pods go first and cost no availability",
     {10, NULL, NULL, 2, 2, 0, -1, false, NULL},
     NULL,
     {{1, 10, 10, 7, 7, 10, 13, 1, 0, false, NULL, 0}, {0}},
     0,
     "create web-$2 3; event RevisionCreated; event ScalingReplicaSet; patch web-$1 8; "
     "event ScalingReplicaSet; status",
     "Progressing",
     "Available=False/MinimumReplicasUnavailable",
     600},
    {"minReadySeconds not yet elapsed: ready but not available pods hold the old RS",
     {10, NULL, NULL, 2, 2, 30, -1, false, NULL},
     NULL,
     {{1, 8, 8, 8, 8, 10, 13, 1, 0, false, NULL, 30},
      {2, 5, 5, 5, 0, 10, 13, 2, 0, false, NULL, 30},
      {0}},
     0,
     "status",
     "Progressing",
     NULL,
     30},
    {"old RS scaled to 0 once the new one is saturated",
     {10, NULL, NULL, 2, 2, 0, -1, false, NULL},
     NULL,
     {{1, 2, 2, 2, 2, 10, 13, 1, 0, false, NULL, 0},
      {2, 10, 10, 10, 10, 10, 13, 2, 0, false, NULL, 0},
      {0}},
     0,
     "patch web-$1 0; event ScalingReplicaSet; status",
     "Progressing",
     NULL,
     600},
    {"rollout completes: Healthy, Ready, one RolloutCompleted event after the status",
     {10, NULL, NULL, 2, 2, 0, -1, false, NULL},
     "{\"observedGeneration\":2,\"currentRevision\":\"$2\",\"stableRevision\":\"$1\","
     "\"lastProgressTime\":\"@-60\",\"replicas\":12,\"updatedReplicas\":10,"
     "\"readyReplicas\":12,\"availableReplicas\":12,"
     "\"history\":[{\"revision\":\"$2\",\"images\":[\"nginx:2\"],\"started\":\"2026-11-26T10:10:"
     "00Z\"}]}",
     {{1, 0, 0, 0, 0, 10, 13, 1, 0, false, NULL, 0},
      {2, 10, 10, 10, 10, 10, 13, 2, 0, false, NULL, 0},
      {0}},
     0,
     "status; event RolloutCompleted",
     "Healthy",
     "Ready=True/RolloutComplete,Reconciling=False/RolloutComplete,Stalled=False/RolloutComplete,"
     "Progressing=True/NewReplicaSetAvailable,Available=True/MinimumReplicasAvailable",
     -1},
    {"deadline passed: no progress for 600s is Stalled, Degraded, one Warning",
     {10, NULL, NULL, 2, 2, 0, -1, false, NULL},
     "{\"observedGeneration\":2,\"phase\":\"Progressing\",\"currentRevision\":\"$2\","
     "\"lastProgressTime\":\"@-600\",\"replicas\":13,\"updatedReplicas\":5,"
     "\"readyReplicas\":8,\"availableReplicas\":8,\"conditions\":[{\"type\":\"Progressing\","
     "\"status\":\"True\",\"reason\":\"ReplicaSetUpdated\",\"lastTransitionTime\":"
     "\"2026-11-26T10:09:00Z\",\"message\":\"\"}],"
     "\"history\":[{\"revision\":\"$2\",\"images\":[\"nginx:2\"],\"started\":\"2026-11-26T10:09:"
     "00Z\"}]}",
     {{1, 8, 8, 8, 8, 10, 13, 1, 0, false, NULL, 0},
      {2, 5, 5, 0, 0, 10, 13, 2, 0, false, NULL, 0},
      {0}},
     1,
     "status; warn ProgressDeadlineExceeded",
     "Degraded",
     "Ready=False/ProgressDeadlineExceeded,Reconciling=False/ProgressDeadlineExceeded,"
     "Stalled=True/ProgressDeadlineExceeded,Progressing=False/ProgressDeadlineExceeded",
     -1},
    {"deadline not yet passed: requeued for the moment it will be",
     {10, NULL, NULL, 2, 2, 0, -1, false, NULL},
     "{\"observedGeneration\":2,\"phase\":\"Progressing\",\"currentRevision\":\"$2\","
     "\"lastProgressTime\":\"@-590\",\"replicas\":13,\"updatedReplicas\":5,"
     "\"readyReplicas\":8,\"availableReplicas\":8,"
     "\"history\":[{\"revision\":\"$2\",\"images\":[\"nginx:2\"],\"started\":\"2026-11-26T10:09:"
     "00Z\"}]}",
     {{1, 8, 8, 8, 8, 10, 13, 1, 0, false, NULL, 0},
      {2, 5, 5, 0, 0, 10, 13, 2, 0, false, NULL, 0},
      {0}},
     0,
     "status",
     "Progressing",
     "Stalled=False/RollingUpdate",
     10},
    {"paused: no new ReplicaSet, phase Paused",
     {10, NULL, NULL, 2, 2, 0, -1, true, NULL},
     NULL,
     {{1, 10, 10, 10, 10, 10, 13, 1, 0, false, NULL, 0}, {0}},
     0,
     "status",
     "Paused",
     "Reconciling=False/Paused,Progressing=Unknown/RolloutPaused",
     -1},
    {"scale 10 -> 15 mid-rollout (maxSurge 3): proportional, 8+5 -> 11+7",
     {15, "3", "2", 2, 3, 0, -1, false, NULL},
     NULL,
     {{1, 8, 8, 8, 8, 10, 13, 1, 0, false, NULL, 0},
      {2, 5, 5, 0, 0, 10, 13, 2, 0, false, NULL, 0},
      {0}},
     0,
     "patch web-$1 11; event ScalingReplicaSet; patch web-$2 7; event ScalingReplicaSet; status",
     "Progressing",
     NULL,
     600},
    {"scale 10 -> 5 mid-rollout (maxSurge 25%): proportional, 8+5 -> 4+3",
     {5, NULL, NULL, 2, 3, 0, -1, false, NULL},
     NULL,
     {{1, 8, 8, 8, 8, 10, 13, 1, 0, false, NULL, 0},
      {2, 5, 5, 0, 0, 10, 13, 2, 0, false, NULL, 0},
      {0}},
     0,
     "patch web-$1 4; event ScalingReplicaSet; patch web-$2 3; event ScalingReplicaSet; status",
     "Progressing",
     NULL,
     600},
    {"rollback to an older revision reuses its ReplicaSet",
     {10, NULL, NULL, 1, 5, 0, -1, false, NULL},
     NULL,
     {{2, 10, 10, 10, 10, 10, 13, 3, 0, false, NULL, 0},
      {1, 0, 0, 0, 0, 10, 13, 1, 0, false, NULL, 0},
      {0}},
     0,
     "patch web-$1 3; event ScalingReplicaSet; status",
     "Progressing",
     NULL,
     600},
    {"history cleanup: limit 2, 4 old empty ReplicaSets, the 2 oldest deleted",
     {10, NULL, NULL, 5, 5, 0, 2, false, NULL},
     NULL,
     {{3, 0, 0, 0, 0, 10, 13, 3, 0, false, NULL, 0},
      {1, 0, 0, 0, 0, 10, 13, 1, 0, false, NULL, 0},
      {5, 10, 10, 10, 10, 10, 13, 5, 0, false, NULL, 0},
      {4, 0, 0, 0, 0, 10, 13, 4, 0, false, NULL, 0},
      {2, 0, 0, 0, 0, 10, 13, 2, 0, false, NULL, 0},
      {0}},
     0,
     "delete web-$1; delete web-$2; status; event RolloutCompleted",
     "Healthy",
     NULL,
     -1},
    {"invalid spec: Stalled/InvalidSpec and a Warning, nothing else",
     {10, "\"abc\"", NULL, 2, 4, 0, -1, false, NULL},
     NULL,
     {{1, 10, 10, 10, 10, 10, 13, 1, 0, false, NULL, 0}, {0}},
     0,
     "status; warn InvalidSpec",
     "Degraded",
     "Stalled=True/InvalidSpec,Ready=False/InvalidSpec,Reconciling=False/InvalidSpec",
     -1},
    {"ReplicaSets without our controller reference are never counted or touched",
     {10, NULL, NULL, 1, 1, 0, -1, false, NULL},
     NULL,
     {{1, 10, 10, 10, 10, 10, 13, 1, 1, false, "web-manual", 0},
      {1, 4, 4, 4, 4, 10, 13, 1, 2, false, "web-other", 0},
      {1, 4, 4, 4, 4, 10, 13, 1, 3, false, "web-notcontroller", 0},
      {0}},
     0,
     "create web-$1 10; event RevisionCreated; event ScalingReplicaSet; status",
     "Progressing",
     NULL,
     600},
    {"steady state with the status it wrote: nothing to do, no write",
     {10, NULL, NULL, 1, 1, 0, -1, false, NULL},
     FIXPOINT,
     {{1, 10, 10, 10, 10, 10, 13, 1, 0, false, NULL, 0}, {0}},
     0,
     "",
     NULL,
     NULL,
     -1},
    {"traffic-routed canary without its Services and HTTPRoute: the canary scales up, no "
     "weight, Stalled TrafficRouterMissing",
     {10, NULL, NULL, 2, 2, 0, -1, false,
      "{\"canary\":{\"stableService\":\"web\",\"canaryService\":\"web-canary\","
      "\"trafficRouting\":{\"gatewayAPI\":{\"httpRoutes\":[{\"name\":\"web\"}]}},"
      "\"steps\":[{\"setWeight\":10}]}}"},
     NULL,
     {{1, 10, 10, 10, 10, 10, 13, 1, 0, false, NULL, 0}, {0}},
     0,
     "create web-$2 1; event RevisionCreated; event ScalingReplicaSet; status; event "
     "CanaryStarted; warn TrafficRouterMissing",
     "Degraded",
     "Stalled=True/TrafficRouterMissing,Ready=False/TrafficRouterMissing",
     600},
    {"blueGreen goes to its machine: the new revision whole beside the old one, which "
     "keeps its pods; activeService not found: Stalled TrafficRouterMissing",
     {10, NULL, NULL, 2, 2, 0, -1, false, "{\"blueGreen\":{\"activeService\":\"web\"}}"},
     NULL,
     {{1, 10, 10, 10, 10, 10, 13, 1, 0, false, NULL, 0}, {0}},
     0,
     "create web-$2 10; event RevisionCreated; event ScalingReplicaSet; status; event "
     "PreviewStarted; warn TrafficRouterMissing",
     "Degraded",
     "Stalled=True/TrafficRouterMissing,Reconciling=True/TrafficRouterMissing",
     600},
    {"paused and scaled 10 -> 15: proportional scaling still happens, no new revision",
     {15, "3", "2", 2, 3, 0, -1, true, NULL},
     NULL,
     {{1, 8, 8, 8, 8, 10, 13, 1, 0, false, NULL, 0},
      {2, 5, 5, 0, 0, 10, 13, 2, 0, false, NULL, 0},
      {0}},
     0,
     "patch web-$1 11; event ScalingReplicaSet; patch web-$2 7; event ScalingReplicaSet; status",
     "Paused",
     "Ready=False/Paused,Progressing=Unknown/RolloutPaused",
     -1},
    {"resumed after a long pause: the deadline starts again from now",
     {10, NULL, NULL, 2, 2, 0, -1, false, NULL},
     "{\"observedGeneration\":2,\"phase\":\"Paused\",\"currentRevision\":\"$2\","
     "\"lastProgressTime\":\"@-5000\",\"replicas\":13,\"updatedReplicas\":5,"
     "\"readyReplicas\":8,\"availableReplicas\":8,\"conditions\":[{\"type\":\"Progressing\","
     "\"status\":\"Unknown\",\"reason\":\"RolloutPaused\",\"lastTransitionTime\":"
     "\"@-5000\",\"message\":\"\"}],"
     "\"history\":[{\"revision\":\"$2\",\"images\":[\"nginx:2\"],\"started\":\"@-6000\"}]}",
     {{1, 8, 8, 8, 8, 10, 13, 1, 0, false, NULL, 0},
      {2, 5, 5, 0, 0, 10, 13, 2, 0, false, NULL, 0},
      {0}},
     0,
     "status",
     "Progressing",
     "Stalled=False/RollingUpdate,Progressing=True/ReplicaSetUpdated",
     600},
    {"the new ReplicaSet's name is still being deleted: wait, do not create",
     {10, NULL, NULL, 2, 3, 0, -1, false, NULL},
     NULL,
     {{1, 10, 10, 10, 10, 10, 13, 1, 0, false, NULL, 0},
      {2, 0, 0, 0, 0, 10, 13, 2, 0, true, NULL, 0},
      {0}},
     0,
     "status",
     "Progressing",
     NULL,
     5},
};

#define N_ROWS (sizeof(rows) / sizeof(rows[0]))

/* Rows about what stands in the way of the current revision's ReplicaSet. */
static const struct obstacle_row {
	struct row r;
	/* The ReplicaSet the controller found under the current revision's
	 * name, beside the owned ones (image 0: none). */
	struct rs_opts named;
	/* The previous plan's failed write: a CREATE of `name` (with $N)
	 * answered `code` (0: none) in `generation`. */
	struct {
		int code;
		int generation;
		const char *name;
	} failure;
} obstacle_rows[] = {
    {{"the create was refused (422) in this generation: Stalled with the server's words, no retry",
      {10, NULL, NULL, 2, 2, 0, -1, false, NULL},
      NULL,
      {{1, 10, 10, 10, 10, 10, 13, 1, 0, false, NULL, 0}, {0}},
      0,
      "status; warn ReplicaSetCreateError",
      "Degraded",
      "Ready=False/ReplicaSetCreateError,Reconciling=False/ReplicaSetCreateError,"
      "Stalled=True/ReplicaSetCreateError,Progressing=False/ReplicaSetCreateError",
      -1},
     {0},
     {422, 2, "web-$2"}},
    {{"a 400 BadRequest on the create is as final",
      {10, NULL, NULL, 2, 2, 0, -1, false, NULL},
      NULL,
      {{1, 10, 10, 10, 10, 10, 13, 1, 0, false, NULL, 0}, {0}},
      0,
      "status; warn ReplicaSetCreateError",
      "Degraded",
      "Stalled=True/ReplicaSetCreateError",
      -1},
     {0},
     {400, 2, "web-$2"}},
    {{"a transient failure of the create (503) is retried as before",
      {10, NULL, NULL, 2, 2, 0, -1, false, NULL},
      NULL,
      {{1, 10, 10, 10, 10, 10, 13, 1, 0, false, NULL, 0}, {0}},
      0,
      "create web-$2 3; event RevisionCreated; event ScalingReplicaSet; patch web-$1 8; "
      "event ScalingReplicaSet; status",
      "Progressing",
      "Stalled=False/RollingUpdate",
      600},
     {0},
     {503, 2, "web-$2"}},
    {{"so is a quota or RBAC refusal (403): fixed outside the Release",
      {10, NULL, NULL, 2, 2, 0, -1, false, NULL},
      NULL,
      {{1, 10, 10, 10, 10, 10, 13, 1, 0, false, NULL, 0}, {0}},
      0,
      "create web-$2 3; event RevisionCreated; event ScalingReplicaSet; patch web-$1 8; "
      "event ScalingReplicaSet; status",
      "Progressing",
      NULL,
      600},
     {0},
     {403, 2, "web-$2"}},
    {{"a refusal of an older generation's create: the new generation tries again",
      {10, NULL, NULL, 2, 3, 0, -1, false, NULL},
      NULL,
      {{1, 10, 10, 10, 10, 10, 13, 1, 0, false, NULL, 0}, {0}},
      0,
      "create web-$2 3; event RevisionCreated; event ScalingReplicaSet; patch web-$1 8; "
      "event ScalingReplicaSet; status",
      "Progressing",
      NULL,
      600},
     {0},
     {422, 2, "web-$2"}},
    {{"an orphan with the current revision's name and label: adopted, nothing else moves",
      {10, NULL, NULL, 2, 2, 0, -1, false, NULL},
      NULL,
      {{1, 10, 10, 10, 10, 10, 13, 1, 0, false, NULL, 0}, {0}},
      0,
      "patch web-$2 -; event RevisionAdopted; status",
      "Progressing",
      "Stalled=False/RollingUpdate",
      600},
     {2, 3, 3, 3, 3, 10, 13, 2, 1, false, NULL, 0},
     {0}},
    {{"another controller's ReplicaSet holds the name: collision reported, never touched",
      {10, NULL, NULL, 2, 2, 0, -1, false, NULL},
      NULL,
      {{1, 10, 10, 10, 10, 10, 13, 1, 0, false, NULL, 0}, {0}},
      0,
      "status; warn ReplicaSetNameCollision",
      "Degraded",
      "Ready=False/ReplicaSetNameCollision,Stalled=True/ReplicaSetNameCollision,"
      "Progressing=False/ReplicaSetNameCollision",
      30},
     {2, 3, 3, 3, 3, 10, 13, 2, 2, false, NULL, 0},
     {0}},
    {{"an unowned ReplicaSet of another revision holds the name: a collision too",
      {10, NULL, NULL, 2, 2, 0, -1, false, NULL},
      NULL,
      {{1, 10, 10, 10, 10, 10, 13, 1, 0, false, NULL, 0}, {0}},
      0,
      "status; warn ReplicaSetNameCollision",
      "Degraded",
      "Stalled=True/ReplicaSetNameCollision",
      30},
     {3, 3, 3, 3, 3, 10, 13, 2, 1, false, "web-$2", 0},
     {0}},
    {{"an unowned ReplicaSet of that name is being deleted: wait for it",
      {10, NULL, NULL, 2, 2, 0, -1, false, NULL},
      NULL,
      {{1, 10, 10, 10, 10, 10, 13, 1, 0, false, NULL, 0}, {0}},
      0,
      "status",
      "Progressing",
      NULL,
      5},
     {2, 0, 0, 0, 0, 10, 13, 2, 1, true, NULL, 0},
     {0}},
};

/* What the controller passes beside the owned ReplicaSets. */
static const json_t *named_rs;
static const struct rec_failure *last_failure;

static int reconcile(json_t *release, json_t **rs, size_t n, time_t now, struct rec_plan *plan)
{
	struct rec_observed o = {.release = release,
	                         .replicasets = (const json_t *const *)rs,
	                         .n_replicasets = n,
	                         .named_replicaset = named_rs,
	                         .failure = last_failure,
	                         .now = now};
	rec_plan_init(plan);
	return rec_release_reconcile(&o, plan);
}

static bool is_transition_event(const struct rec_action *a)
{
	return a->kind == REC_EVENT && (strcmp(a->reason, "RolloutCompleted") == 0 ||
	                                strcmp(a->reason, "ProgressDeadlineExceeded") == 0 ||
	                                strcmp(a->reason, "InvalidSpec") == 0 ||
	                                strcmp(a->reason, "StrategyNotImplemented") == 0 ||
	                                strcmp(a->reason, "ReplicaSetCreateError") == 0 ||
	                                strcmp(a->reason, "ReplicaSetNameCollision") == 0);
}

static void run_row(const struct row *row, const struct obstacle_row *obstacle)
{
	json_t *rs[MAX_RS];
	size_t n = 0;
	for (; n < MAX_RS && row->rs[n].image; n++)
		rs[n] = rs_json(&row->rs[n]);
	time_t now = NOW + row->now_offset;
	json_t *named = obstacle && obstacle->named.image ? rs_json(&obstacle->named) : NULL;
	char *failed_name =
	    obstacle && obstacle->failure.name ? expand(obstacle->failure.name) : NULL;
	struct rec_failure failure = {.kind = REC_CREATE,
	                              .resource = "replicasets",
	                              .name = failed_name,
	                              .http_status = obstacle ? obstacle->failure.code : 0,
	                              .message = "the server's words",
	                              .generation = obstacle ? obstacle->failure.generation : 0};
	named_rs = named;
	last_failure = failure.http_status ? &failure : NULL;
	bool fix = row->status && strcmp(row->status, FIXPOINT) == 0;
	json_t *release = release_json(&row->rel, fix ? NULL : row->status);
	struct rec_plan plan;
	if (fix) {
		reconcile(release, rs, n, now - 60, &plan);
		apply_status(release, &plan);
		rec_plan_clear(&plan);
	}
	is_int(reconcile(release, rs, n, now, &plan), 0, "%s: reconciles", row->why);
	char *want = expand(row->plan);
	char *got = summarize(&plan);
	is_str(got, want, "%s: plan", row->why);
	free(got);
	free(want);

	const json_t *st = status_written(&plan);
	if (row->phase) {
		is_str(json_string_value(json_object_get(st, "phase")), row->phase, "%s: phase",
		       row->why);
		is_int(json_integer_value(json_object_get(st, "observedGeneration")),
		       row->rel.generation, "%s: observedGeneration", row->why);
	} else {
		ok(st == NULL, "%s: no status write", row->why);
	}
	if (row->conds) {
		char *types = strdup(row->conds), *o = types;
		/* Keep only the types: "Ready=False/X,Stalled=..." -> "Ready,Stalled". */
		for (char *p = types; *p; p++) {
			if (*p == '=') {
				char *end = strchr(p, ',');
				size_t rest = end ? strlen(end) : 0;
				memmove(p, end ? end : p + strlen(p), rest + 1);
			}
		}
		char *have = conditions_of(st, o);
		is_str(have, row->conds, "%s: conditions", row->why);
		free(have);
		free(types);
	}
	ok(plan.requeue_after == row->requeue, "%s: requeue after %g (got %g)", row->why,
	   row->requeue, plan.requeue_after);

	/* The status is in the cluster now: a second reconcile must neither
	 * write it again nor repeat a transition's Event. */
	apply_status(release, &plan);
	struct rec_plan again;
	reconcile(release, rs, n, now, &again);
	bool repeated = false;
	for (size_t i = 0; i < again.n_actions; i++)
		repeated |= again.actions[i].kind == REC_WRITE_STATUS ||
		            is_transition_event(&again.actions[i]);
	ok(!repeated, "%s: with its status written, no second write or transition Event", row->why);
	if (repeated) {
		char *s = summarize(&again);
		tap_diag("again: %s", s);
		free(s);
	}
	rec_plan_clear(&again);

	/* ReplicaSet actions carry preconditions and never name a foreign RS. */
	for (size_t i = 0; i < plan.n_actions; i++) {
		const struct rec_action *a = &plan.actions[i];
		if (a->kind != REC_MERGE_PATCH && a->kind != REC_DELETE)
			continue;
		ok(a->ref.uid && a->ref.resource_version &&
		       strcmp(a->ref.resource, "replicasets") == 0 &&
		       strncmp(a->ref.uid, "uid-web-", 8) == 0 &&
		       strcmp(a->ref.name, "web-manual") != 0 &&
		       strcmp(a->ref.name, "web-other") != 0 &&
		       strcmp(a->ref.name, "web-notcontroller") != 0,
		   "%s: %s %s has uid and resourceVersion preconditions", row->why,
		   rec_action_kind_name(a->kind), a->ref.name);
	}
	rec_plan_clear(&plan);
	json_decref(release);
	for (size_t i = 0; i < n; i++)
		json_decref(rs[i]);
	json_decref(named);
	free(failed_name);
	named_rs = NULL;
	last_failure = NULL;
}

/* The details a person or the executor relies on, beyond the summary. */
static void check_details(void)
{
	struct rel_opts ro = {10, NULL, NULL, 2, 2, 15, -1, false, NULL};
	struct rs_opts old = {1, 10, 10, 10, 10, 10, 13, 1, 0, false, NULL, 0};
	json_t *rs = rs_json(&old);
	json_t *release = release_json(&ro, NULL);
	struct rec_plan plan;
	is_int(reconcile(release, &rs, 1, NOW, &plan), 0, "details: reconciles");
	const struct rec_action *create = &plan.actions[0];
	const json_t *body = create->body;
	char name[64];
	snprintf(name, sizeof(name), "web-%s", rev[2]);
	is_str(create->ref.group, "apps", "create: group apps");
	is_str(create->ref.resource, "replicasets", "create: replicasets");
	is_str(create->ref.ns, "shop", "create: in the Release's namespace");
	json_t *md = json_object_get(body, "metadata");
	is_str(json_string_value(json_object_get(md, "name")), name, "create: name web-REVISION");
	is_str(
	    json_string_value(json_object_get(json_object_get(md, "labels"), MODEL_LABEL_REVISION)),
	    rev[2], "create: revision label on the RS");
	json_t *owner = json_array_get(json_object_get(md, "ownerReferences"), 0);
	ok(json_is_true(json_object_get(owner, "controller")) &&
	       json_is_true(json_object_get(owner, "blockOwnerDeletion")) &&
	       strcmp(json_string_value(json_object_get(owner, "uid")), "rel-uid") == 0 &&
	       strcmp(json_string_value(json_object_get(owner, "kind")), "Release") == 0 &&
	       strcmp(json_string_value(json_object_get(owner, "apiVersion")),
	              "slipway.dev/v1alpha1") == 0,
	   "create: controller ownerReference to the Release");
	json_t *spec = json_object_get(body, "spec");
	json_t *sel = json_object_get(json_object_get(spec, "selector"), "matchLabels");
	ok(json_object_size(sel) == 2 &&
	       strcmp(json_string_value(json_object_get(sel, "app")), "web") == 0 &&
	       strcmp(json_string_value(json_object_get(sel, MODEL_LABEL_REVISION)), rev[2]) == 0,
	   "create: selector is the Release's plus the revision");
	json_t *tl = json_object_get(json_object_get(json_object_get(spec, "template"), "metadata"),
	                             "labels");
	is_str(json_string_value(json_object_get(tl, MODEL_LABEL_REVISION)), rev[2],
	       "create: revision label on the pods");
	is_int(json_integer_value(json_object_get(spec, "minReadySeconds")), 15,
	       "create: minReadySeconds copied");
	is_str(json_string_value(
	           json_object_get(json_object_get(md, "annotations"), MODEL_ANNOTATION_MAX)),
	       "13", "create: max-replicas annotation");
	char note[128];
	snprintf(note, sizeof(note), "Scaled up replica set %s from 0 to 3", name);
	is_str(plan.actions[2].note, note, "event: scale up note");
	snprintf(note, sizeof(note), "Scaled down replica set web-%s from 10 to 8", rev[1]);
	is_str(plan.actions[4].note, note, "event: scale down note");
	const struct rec_action *patch = &plan.actions[3];
	snprintf(note, sizeof(note), "uid-web-%s", rev[1]);
	is_str(patch->ref.uid, note, "patch: uid precondition");
	is_str(patch->ref.resource_version, "7", "patch: resourceVersion precondition");
	const json_t *st = status_written(&plan);
	is_str(json_string_value(json_object_get(st, "selector")), "app=web", "status: selector");
	is_str(json_string_value(json_object_get(st, "strategy")), "rolling", "status: strategy");
	is_str(json_string_value(json_object_get(st, "currentRevision")), rev[2],
	       "status: currentRevision");
	is_int(json_integer_value(json_object_get(st, "replicas")), 10, "status: replicas summed");
	json_t *h = json_array_get(json_object_get(st, "history"), 0);
	is_str(json_string_value(json_object_get(h, "revision")), rev[2], "status: history entry");
	is_str(json_string_value(json_array_get(json_object_get(h, "images"), 0)), "nginx:2",
	       "status: history images");
	const struct rec_action *w = &plan.actions[5];
	ok(w->kind == REC_WRITE_STATUS && strcmp(w->ref.resource, "releases") == 0 &&
	       strcmp(w->ref.uid, "rel-uid") == 0 && strcmp(w->ref.resource_version, "100") == 0,
	   "status write: on the Release with uid and resourceVersion preconditions");
	rec_plan_clear(&plan);
	json_decref(release);
	json_decref(rs);
}

/* What a reconcile tells about a spec it cannot use or a status it cannot
 * read. */
static void check_invalid_details(void)
{
	struct rel_opts ro = {10, NULL, NULL, 2, 2, 15, -1, false, NULL};
	struct rs_opts old = {1, 10, 10, 10, 10, 10, 13, 1, 0, false, NULL, 0};
	json_t *rs = rs_json(&old);
	struct rec_plan plan;

	/* Invalid spec: the message names the field. */
	ro.surge = "\"abc\"";
	json_t *release = release_json(&ro, NULL);
	reconcile(release, &rs, 1, NOW, &plan);
	const json_t *st = status_written(&plan);
	const char *msg = json_string_value(json_object_get(st, "message"));
	ok(msg && strstr(msg, "spec.strategy.rolling.maxSurge") != NULL,
	   "invalid spec: message names the field (%s)", msg ? msg : "none");
	const struct rec_action *ev = &plan.actions[plan.n_actions - 1];
	ok(ev->kind == REC_EVENT && ev->event_type == REC_EVENT_WARNING && ev->note &&
	       strstr(ev->note, "spec.strategy.rolling.maxSurge") != NULL,
	   "invalid spec: the Warning names the field");
	ok(ev->ref.kind && strcmp(ev->ref.kind, "Release") == 0 && ev->ref.group &&
	       strcmp(ev->ref.group, "slipway.dev") == 0,
	   "invalid spec: the Warning is about the Release (kind and group set for its regarding)");
	rec_plan_clear(&plan);
	json_decref(release);
	json_decref(rs);

	/* A status this controller cannot read is replaced: what it does not
	 * write any more is removed with a null in the merge patch. */
	ro.surge = NULL;
	release = release_json(&ro, "{\"phase\":\"Sleeping\",\"junk\":1}");
	reconcile(release, NULL, 0, NOW, &plan);
	st = status_written(&plan);
	ok(json_is_null(json_object_get(st, "junk")), "status: unknown field removed with null");
	is_str(json_string_value(json_object_get(st, "phase")), "Progressing",
	       "status: unreadable phase replaced");
	rec_plan_clear(&plan);
	json_decref(release);

	/* A readable status keeps fields it does not know (user intents). */
	release = release_json(&ro, "{\"phase\":\"Healthy\",\"abort\":true}");
	reconcile(release, NULL, 0, NOW, &plan);
	st = status_written(&plan);
	ok(json_is_true(json_object_get(st, "abort")), "status: a user intent survives the write");
	rec_plan_clear(&plan);
	json_decref(release);
}

/* A maxSurge that overflows int32 once resolved (200% of 2^31-1) rolls on
 * with the fallback limits (no surge, one unavailable) rather than failing
 * every reconcile. */
static void check_overflowing_surge(void)
{
	struct rel_opts ro = {2147483647, "\"200%\"", NULL, 2, 2, 0, -1, false, NULL};
	struct rs_opts cur = {2, 5, 5, 5, 5, 2147483647, -1, 2, 0, false, NULL, 0};
	json_t *rs = rs_json(&cur);
	json_t *release = release_json(&ro, NULL);
	struct rec_plan plan;
	is_int(reconcile(release, &rs, 1, NOW, &plan), 0, "overflowing surge: reconciles");
	const struct rec_action *patch = plan.n_actions > 0 ? &plan.actions[0] : NULL;
	ok(patch && patch->kind == REC_MERGE_PATCH &&
	       json_integer_value(
	           json_object_get(json_object_get(patch->body, "spec"), "replicas")) == 2147483647,
	   "overflowing surge: the current RS grows to replicas, no surge above");
	ok(status_written(&plan) != NULL, "overflowing surge: status written");
	rec_plan_clear(&plan);
	json_decref(release);
	json_decref(rs);
}

/* ReplicaSets are read from the cluster, where anyone with access can write
 * odd values: each row replaces one field of an owned RS. The reconcile must
 * not fail or crash, and must touch only RSes it can name with preconditions. */
static const struct {
	const char *path; /* "spec.replicas", "metadata.annotations.x", ... */
	const char *value;
} hostile[] = {
    {"spec.replicas", "\"ten\""},
    {"spec.replicas", "-4"},
    {"spec.replicas", "99999999999"},
    {"status.availableReplicas", "-1"},
    {"status.readyReplicas", "2147483647"},
    {"status", "[]"},
    {"metadata.annotations." MODEL_ANNOTATION_DESIRED, "\"-5\""},
    {"metadata.annotations." MODEL_ANNOTATION_DESIRED, "\"99999999999\""},
    {"metadata.annotations." MODEL_ANNOTATION_MAX, "\"0\""},
    {"metadata.annotations." MODEL_ANNOTATION_MAX, "\"1\""},
    {"metadata.annotations." MODEL_ANNOTATION_MAX, "\"\""},
    {"metadata.annotations." MODEL_ANNOTATION_GENERATION, "\"12abc\""},
    {"metadata.annotations", "\"x\""},
    {"metadata.labels", "7"},
    {"metadata.ownerReferences", "{}"},
    {"metadata.uid", "3"},
    {"metadata.name", "null"},
    {"metadata.creationTimestamp", "\"yesterday\""},
    {"metadata", "\"m\""},
};

static void set_path(json_t *obj, const char *path, json_t *value)
{
	char buf[128];
	snprintf(buf, sizeof(buf), "%s", path);
	/* Annotation keys hold dots after "metadata.annotations.". */
	const char *ann = "metadata.annotations.";
	if (strncmp(buf, ann, strlen(ann)) == 0) {
		json_t *a = json_object_get(json_object_get(obj, "metadata"), "annotations");
		json_object_set_new(a, buf + strlen(ann), value);
		return;
	}
	char *dot = strchr(buf, '.');
	if (!dot) {
		json_object_set_new(obj, buf, value);
		return;
	}
	*dot = '\0';
	set_path(json_object_get(obj, buf), dot + 1, value);
}

static void check_hostile(void)
{
	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		for (int big = 0; big < 2; big++) {
			/* Mid-rollout, scaled (proportional path) or not (rolling path). */
			struct rel_opts ro = {big ? 2147483647 : 10,
			                      big ? "\"100%\"" : NULL,
			                      NULL,
			                      2,
			                      2,
			                      0,
			                      -1,
			                      false,
			                      NULL};
			struct rs_opts specs[] = {{1, 8, 8, 8, 8, 10, 13, 1, 0, false, NULL, 0},
			                          {2, 5, 5, 2, 2, 10, 13, 2, 0, false, NULL, 0}};
			json_t *rs[2] = {rs_json(&specs[0]), rs_json(&specs[1])};
			set_path(rs[i % 2], hostile[i].path,
			         json_loads(hostile[i].value, JSON_DECODE_ANY, NULL));
			json_t *release = release_json(&ro, NULL);
			struct rec_plan plan;
			int r = reconcile(release, rs, 2, NOW, &plan);
			bool sane = r == 0;
			for (size_t k = 0; k < plan.n_actions; k++) {
				const struct rec_action *a = &plan.actions[k];
				if (a->kind == REC_MERGE_PATCH || a->kind == REC_DELETE) {
					json_t *n = json_object_get(
					    json_object_get(a->body, "spec"), "replicas");
					sane &= a->ref.uid && a->ref.resource_version &&
					        (!n || (json_integer_value(n) >= 0 &&
					                json_integer_value(n) <= 2147483647));
				}
			}
			ok(sane, "hostile RS %s = %s%s: reconciles, touches only what it can name",
			   hostile[i].path, hostile[i].value, big ? " (2^31-1 replicas)" : "");
			rec_plan_clear(&plan);
			json_decref(release);
			json_decref(rs[0]);
			json_decref(rs[1]);
		}
	}
}

/* More owned ReplicaSets than the reconciler looks at: the window is the
 * newest ones whatever order the cache hands them over in, so the current
 * revision's ReplicaSet, handed over last, is seen and not created again. */
static void check_many_replicasets(void)
{
	enum { OLD = REC_RS_MAX + 76 };
	struct rel_opts ro = {3, NULL, NULL, 2, 2, 0, -1, false, NULL};
	json_t **rss = calloc(OLD + 1, sizeof(*rss));
	for (int i = 0; i < OLD; i++) {
		char name[32];
		snprintf(name, sizeof(name), "web-old-%d", i);
		struct rs_opts old = {1, 0, 0, 0, 0, 0, 0, 1, 0, false, name, 0};
		old.gen = 1 + i % 50;
		rss[i] = rs_json(&old);
	}
	struct rs_opts cur = {2, 3, 3, 3, 3, 3, 3, 100, 0, false, NULL, 0};
	rss[OLD] = rs_json(&cur);
	json_t *release = release_json(&ro, NULL);
	struct rec_plan plan;
	is_int(reconcile(release, rss, OLD + 1, NOW, &plan), 0, "%d ReplicaSets: reconciles",
	       OLD + 1);
	char *got = summarize(&plan);
	ok(got && !strstr(got, "create"),
	   "%d ReplicaSets: the current one, handed over last, is seen (no create): %.120s",
	   OLD + 1, got ? got : "");
	free(got);
	rec_plan_clear(&plan);
	json_decref(release);
	for (int i = 0; i <= OLD; i++)
		json_decref(rss[i]);
	free(rss);
}

/* A Release being deleted is left to the garbage collector. */
static void check_deleting(void)
{
	struct rel_opts ro = {10, NULL, NULL, 2, 2, 0, -1, false, NULL};
	struct rs_opts old = {1, 10, 10, 10, 10, 10, 13, 1, 0, false, NULL, 0};
	json_t *rs = rs_json(&old);
	json_t *release = release_json(&ro, NULL);
	struct rec_plan plan;
	reconcile(release, &rs, 1, NOW, &plan);
	ok(plan.n_actions > 0, "deleting: the same Release not being deleted has work");
	rec_plan_clear(&plan);
	json_object_set_new(json_object_get(release, "metadata"), "deletionTimestamp",
	                    json_string("2026-11-26T12:19:00Z"));
	is_int(reconcile(release, &rs, 1, NOW, &plan), 0, "deleting: reconciles");
	is_int(plan.n_actions, 0, "deleting: no action at all");
	rec_plan_clear(&plan);
	json_decref(release);
	json_decref(rs);
}

/* What a scale patch writes besides spec.replicas. */
static void check_patch_bodies(void)
{
	/* Rollback: the old RS becomes current again, with this generation. */
	struct rel_opts ro = {10, NULL, NULL, 1, 5, 20, -1, false, NULL};
	struct rs_opts specs[] = {{2, 10, 10, 10, 10, 10, 13, 3, 0, false, NULL, 0},
	                          {1, 0, 0, 0, 0, 10, 13, 1, 0, false, NULL, 0}};
	json_t *rs[2] = {rs_json(&specs[0]), rs_json(&specs[1])};
	json_t *release = release_json(&ro, NULL);
	struct rec_plan plan;
	reconcile(release, rs, 2, NOW, &plan);
	const json_t *body = plan.n_actions > 0 ? plan.actions[0].body : NULL;
	json_t *ann = json_object_get(json_object_get(body, "metadata"), "annotations");
	is_str(json_string_value(json_object_get(ann, MODEL_ANNOTATION_GENERATION)), "5",
	       "rollback: the reused RS is marked with the current generation");
	is_str(json_string_value(json_object_get(ann, MODEL_ANNOTATION_DESIRED)), "10",
	       "rollback: desired-replicas annotation");
	is_int(
	    json_integer_value(json_object_get(json_object_get(body, "spec"), "minReadySeconds")),
	    20, "rollback: minReadySeconds synced to the Release's");
	rec_plan_clear(&plan);
	json_decref(release);
	json_decref(rs[0]);
	json_decref(rs[1]);

	/* Proportional scaling records the new size in every touched RS. */
	struct rel_opts scaled = {15, "3", "2", 2, 2, 0, -1, false, NULL};
	struct rs_opts mid[] = {{1, 8, 8, 8, 8, 10, 13, 1, 0, false, NULL, 0},
	                        {2, 5, 5, 0, 0, 10, 13, 2, 0, false, NULL, 0}};
	rs[0] = rs_json(&mid[0]);
	rs[1] = rs_json(&mid[1]);
	release = release_json(&scaled, NULL);
	reconcile(release, rs, 2, NOW, &plan);
	int seen = 0;
	for (size_t i = 0; i < plan.n_actions; i++) {
		if (plan.actions[i].kind != REC_MERGE_PATCH)
			continue;
		ann = json_object_get(json_object_get(plan.actions[i].body, "metadata"),
		                      "annotations");
		seen += strcmp(json_string_value(json_object_get(ann, MODEL_ANNOTATION_DESIRED)),
		               "15") == 0 &&
		        strcmp(json_string_value(json_object_get(ann, MODEL_ANNOTATION_MAX)),
		               "18") == 0;
	}
	is_int(seen, 2, "scale: both patches record desired 15 and max 18");
	rec_plan_clear(&plan);
	json_decref(release);
	json_decref(rs[0]);
	json_decref(rs[1]);
}

/* A fake cluster: the ReplicaSet controller creates and deletes pods at
 * once, a new pod becomes ready `delay` ticks later. */
struct fake_rs {
	json_t *obj;
	int ready;
	int pending;
	int born[64]; /* tick each pending pod was created at */
};

struct sim {
	json_t *release;
	struct fake_rs rs[16];
	size_t n;
	int delay;
	int tick;
	int uids;
	int creates;
	int failures;
	int max_total;
	int min_available;
	/* 0: every plan carried out on a fresh snapshot; 1: the controller dies
	 * part way through plans (only a prefix is carried out); 2: every other
	 * reconcile sees the snapshot of the step before (a lagging informer). */
	int mode;
	json_t *snap_release;
	json_t *snap_rs[16];
	size_t snap_n;
};

static int spec_of(const json_t *obj)
{
	return (int)json_integer_value(json_object_get(json_object_get(obj, "spec"), "replicas"));
}

static void set_pods(struct sim *sm, struct fake_rs *f)
{
	int want = spec_of(f->obj);
	while (f->ready + f->pending > want) {
		/* The ReplicaSet controller deletes unready pods first. */
		if (f->pending > 0)
			f->pending--;
		else
			f->ready--;
	}
	while (f->ready + f->pending < want && f->pending < 64)
		f->born[f->pending++] = sm->tick;
}

static void update_rs_status(struct fake_rs *f)
{
	json_object_set_new(
	    f->obj, "status",
	    json_pack("{s:i,s:i,s:i,s:I}", "replicas", f->ready + f->pending, "readyReplicas",
	              f->ready, "availableReplicas", f->ready, "observedGeneration",
	              json_integer_value(
	                  json_object_get(json_object_get(f->obj, "metadata"), "generation"))));
}

static void bump(json_t *obj, bool generation)
{
	json_t *md = json_object_get(obj, "metadata");
	char buf[32];
	long rv = strtol(json_string_value(json_object_get(md, "resourceVersion")), NULL, 10);
	snprintf(buf, sizeof(buf), "%ld", rv + 1);
	json_object_set_new(md, "resourceVersion", json_string(buf));
	if (generation)
		json_object_set_new(
		    md, "generation",
		    json_integer(json_integer_value(json_object_get(md, "generation")) + 1));
}

static struct fake_rs *find_rs(struct sim *sm, const char *name)
{
	for (size_t i = 0; i < sm->n; i++) {
		const char *n = json_string_value(
		    json_object_get(json_object_get(sm->rs[i].obj, "metadata"), "name"));
		if (strcmp(n, name) == 0)
			return &sm->rs[i];
	}
	return NULL;
}

static bool preconditions_hold(const struct fake_rs *f, const struct rec_ref *ref)
{
	json_t *md = json_object_get(f->obj, "metadata");
	return strcmp(json_string_value(json_object_get(md, "uid")), ref->uid) == 0 &&
	       strcmp(json_string_value(json_object_get(md, "resourceVersion")),
	              ref->resource_version) == 0;
}

static void apply_plan(struct sim *sm, const struct rec_plan *plan, time_t now, size_t limit)
{
	for (size_t i = 0; i < plan->n_actions && i < limit; i++) {
		const struct rec_action *a = &plan->actions[i];
		struct fake_rs *f;
		switch (a->kind) {
		case REC_CREATE: {
			const char *name = json_string_value(
			    json_object_get(json_object_get(a->body, "metadata"), "name"));
			if (find_rs(sm, name) || sm->n == 16)
				break; /* AlreadyExists: done */
			f = &sm->rs[sm->n++];
			memset(f, 0, sizeof(*f));
			f->obj = json_deep_copy(a->body);
			json_t *md = json_object_get(f->obj, "metadata");
			char buf[32], ts[MODEL_TIME_LEN];
			snprintf(buf, sizeof(buf), "sim-uid-%d", ++sm->uids);
			json_object_set_new(md, "uid", json_string(buf));
			json_object_set_new(md, "resourceVersion", json_string("1"));
			json_object_set_new(md, "generation", json_integer(1));
			model_time_format(now, ts);
			json_object_set_new(md, "creationTimestamp", json_string(ts));
			sm->creates++;
			set_pods(sm, f);
			break;
		}
		case REC_MERGE_PATCH:
			f = find_rs(sm, a->ref.name);
			if (!f || !preconditions_hold(f, &a->ref)) {
				sm->failures++;
				return; /* the executor stops at the first failure */
			}
			json_apply_merge(f->obj, a->body);
			bump(f->obj, json_object_get(a->body, "spec") != NULL);
			set_pods(sm, f);
			break;
		case REC_DELETE:
			f = find_rs(sm, a->ref.name);
			if (!f || !preconditions_hold(f, &a->ref)) {
				sm->failures++;
				return;
			}
			json_decref(f->obj);
			*f = sm->rs[--sm->n];
			break;
		case REC_WRITE_STATUS:
			if (strcmp(
			        json_string_value(json_object_get(
			            json_object_get(sm->release, "metadata"), "resourceVersion")),
			        a->ref.resource_version) != 0) {
				sm->failures++;
				return;
			}
			apply_status(sm->release, plan);
			bump(sm->release, false);
			break;
		case REC_EVENT:
			break;
		case REC_APPLY:
		case REC_JSON_PATCH:
			/* The rolling strategy writes neither: simulating one
			 * would hide a plan that does. */
			sm->failures++;
			return;
		}
	}
}

static void pods_tick(struct sim *sm)
{
	sm->tick++;
	for (size_t i = 0; i < sm->n; i++) {
		struct fake_rs *f = &sm->rs[i];
		int k = 0;
		for (int j = 0; j < f->pending; j++) {
			if (sm->tick - f->born[j] >= sm->delay)
				f->ready++;
			else
				f->born[k++] = f->born[j];
		}
		f->pending = k;
		update_rs_status(f);
	}
}

/* Reconciles until nothing is left to do; returns the steps taken, or -1. */
static void drop_snapshot(struct sim *sm)
{
	json_decref(sm->snap_release);
	sm->snap_release = NULL;
	for (size_t i = 0; i < sm->snap_n; i++)
		json_decref(sm->snap_rs[i]);
	sm->snap_n = 0;
}

/* Reconciles until nothing is left to do; returns the steps taken, or -1. */
static int run_until_settled(struct sim *sm, bool check, int surge, int unavailable, int replicas)
{
	for (int step = 0; step < 400; step++) {
		json_t *objs[16], *release = sm->release;
		size_t n = sm->n;
		for (size_t i = 0; i < sm->n; i++)
			objs[i] = sm->rs[i].obj;
		bool stale = sm->mode == 2 && step % 2 == 1 && sm->snap_release;
		if (stale) {
			release = sm->snap_release;
			n = sm->snap_n;
			memcpy(objs, sm->snap_rs, n * sizeof(objs[0]));
		}
		struct rec_plan plan;
		time_t now = NOW + sm->tick;
		if (reconcile(release, objs, n, now, &plan) < 0)
			return -1;
		size_t n_actions = plan.n_actions;
		/* The state this step saw, for the next step to see late. */
		if (!stale) {
			drop_snapshot(sm);
			sm->snap_release = json_deep_copy(sm->release);
			for (size_t i = 0; i < sm->n; i++)
				sm->snap_rs[sm->snap_n++] = json_deep_copy(sm->rs[i].obj);
		}
		size_t limit = sm->mode == 1 ? ((size_t)step * 7 + 3) % (n_actions + 1) : n_actions;
		apply_plan(sm, &plan, now, limit);
		rec_plan_clear(&plan);
		int total = 0, available = 0;
		for (size_t i = 0; i < sm->n; i++) {
			total += spec_of(sm->rs[i].obj);
			available += sm->rs[i].ready;
		}
		if (total > sm->max_total)
			sm->max_total = total;
		if (available < sm->min_available)
			sm->min_available = available;
		if (check && (total > replicas + surge || available < replicas - unavailable)) {
			tap_diag("step %d: %d pods, %d available", step, total, available);
			drop_snapshot(sm);
			return -1;
		}
		json_t *st = json_object_get(sm->release, "status");
		if (!stale && n_actions == 0 &&
		    strcmp(json_string_value(json_object_get(st, "phase")), "Healthy") == 0) {
			drop_snapshot(sm);
			return step;
		}
		pods_tick(sm);
	}
	drop_snapshot(sm);
	return -1;
}

static void set_image(struct sim *sm, int image)
{
	json_t *spec = json_object_get(sm->release, "spec");
	json_object_set_new(spec, "template", template_for(image));
	bump(sm->release, true);
}

/* Rolls out nginx:1, updates to nginx:2, rolls back to nginx:1. */
static void simulate(int replicas, const char *surge, const char *unavailable, int max_surge,
                     int max_unavailable, int delay, int mode, const char *how)
{
	struct sim sm = {.delay = delay, .mode = mode};
	struct rel_opts ro = {replicas, surge, unavailable, 1, 1, 0, -1, false, NULL};
	sm.release = release_json(&ro, NULL);
	int r = run_until_settled(&sm, false, 0, 0, 0);
	ok(r >= 0 && sm.creates == 1, "sim %d/%s/%s delay %d%s: first revision healthy", replicas,
	   surge, unavailable, delay, how);

	set_image(&sm, 2);
	sm.creates = 0;
	sm.max_total = 0;
	sm.min_available = replicas;
	r = run_until_settled(&sm, true, max_surge, max_unavailable, replicas);
	ok(r > 0,
	   "sim %d/%s/%s delay %d%s: update completes within the limits (%d steps, at most %d "
	   "pods, at least %d available)",
	   replicas, surge, unavailable, delay, how, r, sm.max_total, sm.min_available);
	ok(sm.creates == 1 && sm.n == 2 && (mode == 2 || sm.failures == 0),
	   "sim%s: one new ReplicaSet, no failed precondition unless the snapshot was stale", how);

	set_image(&sm, 1);
	sm.creates = 0;
	r = run_until_settled(&sm, true, max_surge, max_unavailable, replicas);
	char name[64];
	snprintf(name, sizeof(name), "web-%s", rev[1]);
	struct fake_rs *back = find_rs(&sm, name);
	ok(r > 0 && sm.creates == 0 && sm.n == 2 && back && spec_of(back->obj) == replicas,
	   "sim %d/%s/%s delay %d%s: rollback reuses the old ReplicaSet within the limits",
	   replicas, surge, unavailable, delay, how);
	json_t *st = json_object_get(sm.release, "status");
	is_str(json_string_value(json_object_get(st, "stableRevision")), rev[1],
	       "sim%s: stable revision is the rolled-back one", how);
	for (size_t i = 0; i < sm.n; i++)
		json_decref(sm.rs[i].obj);
	json_decref(sm.release);
}

static void check_simulation(void)
{
	static const struct {
		int replicas;
		const char *surge;
		const char *unavailable;
		int max_surge; /* resolved */
		int max_unavailable;
	} combos[] = {
	    {10, "\"25%\"", "\"25%\"", 3, 2},
	    {10, "0", "1", 0, 1},
	    {3, "1", "0", 1, 0},
	    {5, "\"50%\"", "\"0%\"", 3, 0},
	    {1, "0", "1", 0, 1},
	    {10, "3", "2", 3, 2},
	    {4, "\"100%\"", "0", 4, 0},
	    {7, "\"10%\"", "\"10%\"", 1, 0},
	};
	static const int delays[] = {1, 2, 5};
	static const char *const modes[] = {"", ", dying mid-plan", ", lagging informer"};
	for (size_t c = 0; c < sizeof(combos) / sizeof(combos[0]); c++) {
		for (size_t d = 0; d < sizeof(delays) / sizeof(delays[0]); d++) {
			for (int mode = 0; mode < 3; mode++)
				simulate(combos[c].replicas, combos[c].surge, combos[c].unavailable,
				         combos[c].max_surge, combos[c].max_unavailable, delays[d],
				         mode, modes[mode]);
		}
	}
}

/* A refused create, through a restart and a spec change: reported with the
 * server's message and one Warning; a restarted controller (no memory of
 * the failure) keeps the report and does not try again; the next
 * generation does. */
static void check_refused_create(void)
{
	struct rel_opts ro = {10, NULL, NULL, 2, 2, 0, -1, false, NULL};
	struct rs_opts old = {1, 10, 10, 10, 10, 10, 13, 1, 0, false, NULL, 0};
	json_t *rs = rs_json(&old);
	json_t *release = release_json(&ro, NULL);
	char name[64];
	snprintf(name, sizeof(name), "web-%s", rev[2]);
	const char *api = "ReplicaSet.apps \"web\" is invalid: spec.template.annotations: Too "
	                  "long: may not be more than 262144 bytes";
	struct rec_failure f = {.kind = REC_CREATE,
	                        .resource = "replicasets",
	                        .name = name,
	                        .http_status = 422,
	                        .reason = "Invalid",
	                        .message = api,
	                        .generation = 2};
	last_failure = &f;
	struct rec_plan plan;
	reconcile(release, &rs, 1, NOW, &plan);
	char want[512];
	snprintf(want, sizeof(want), "Failed to create new replica set %s: %s", name, api);
	const json_t *st = status_written(&plan);
	is_str(json_string_value(json_object_get(st, "message")), want,
	       "refused: the status message names the ReplicaSet and quotes the server");
	const struct rec_action *ev = &plan.actions[plan.n_actions - 1];
	ok(ev->kind == REC_EVENT && ev->event_type == REC_EVENT_WARNING &&
	       strcmp(ev->note, want) == 0,
	   "refused: so does the Warning Event");
	apply_status(release, &plan);
	rec_plan_clear(&plan);

	/* Restarted: the runtime remembers nothing, the status does. */
	last_failure = NULL;
	reconcile(release, &rs, 1, NOW + 60, &plan);
	char *got = summarize(&plan);
	is_str(got, "", "refused, then restarted: no create, no write, no Event");
	free(got);
	rec_plan_clear(&plan);

	/* A new generation (here only replicas changed): try again. */
	json_object_set_new(json_object_get(release, "metadata"), "generation", json_integer(3));
	reconcile(release, &rs, 1, NOW + 120, &plan);
	got = summarize(&plan);
	ok(strncmp(got, "create ", 7) == 0, "refused, then a new generation: created again (%s)",
	   got);
	free(got);
	rec_plan_clear(&plan);
	json_decref(release);
	json_decref(rs);
}

/* The adoption patch: the orphan's ownerReferences plus the Release as
 * controller, with the orphan's uid and resourceVersion; a collision names
 * the object and its owner. */
static void check_adoption_details(void)
{
	struct rel_opts ro = {10, NULL, NULL, 2, 2, 0, -1, false, NULL};
	struct rs_opts old = {1, 10, 10, 10, 10, 10, 13, 1, 0, false, NULL, 0};
	struct rs_opts orphan = {2, 3, 3, 3, 3, 10, 13, 2, 1, false, NULL, 0};
	json_t *rs = rs_json(&old);
	json_t *named = rs_json(&orphan);
	json_object_set_new(json_object_get(named, "metadata"), "ownerReferences",
	                    json_pack("[{s:s,s:s,s:s,s:s}]", "apiVersion", "v1", "kind",
	                              "ConfigMap", "name", "keep", "uid", "cm-uid"));
	json_t *release = release_json(&ro, NULL);
	named_rs = named;
	struct rec_plan plan;
	reconcile(release, &rs, 1, NOW, &plan);
	const struct rec_action *a = &plan.actions[0];
	char uid[64];
	snprintf(uid, sizeof(uid), "uid-web-%s", rev[2]);
	ok(a->kind == REC_MERGE_PATCH && strcmp(a->ref.uid, uid) == 0 &&
	       strcmp(a->ref.resource_version, "7") == 0,
	   "adopt: a merge patch with the orphan's uid and resourceVersion");
	json_t *refs = json_object_get(json_object_get(a->body, "metadata"), "ownerReferences");
	json_t *keep = json_array_get(refs, 0), *ours = json_array_get(refs, 1);
	ok(json_array_size(refs) == 2 &&
	       strcmp(json_string_value(json_object_get(keep, "uid")), "cm-uid") == 0 &&
	       strcmp(json_string_value(json_object_get(ours, "uid")), "rel-uid") == 0 &&
	       json_is_true(json_object_get(ours, "controller")),
	   "adopt: the references it had, and the Release as controller");
	ok(json_object_size(a->body) == 1 &&
	       json_object_size(json_object_get(a->body, "metadata")) == 1,
	   "adopt: nothing else is patched");
	rec_plan_clear(&plan);

	/* Another controller's: the message says whose. */
	json_object_set_new(json_object_get(named, "metadata"), "ownerReferences",
	                    json_pack("[{s:s,s:s,s:s,s:s,s:b}]", "apiVersion", "apps/v1", "kind",
	                              "Deployment", "name", "web", "uid", "dep-uid", "controller",
	                              1));
	reconcile(release, &rs, 1, NOW, &plan);
	const char *msg = json_string_value(json_object_get(status_written(&plan), "message"));
	char want[128];
	snprintf(want, sizeof(want),
	         "ReplicaSet web-%s already exists and is controlled by "
	         "Deployment web",
	         rev[2]);
	ok(msg && strstr(msg, want) == msg,
	   "collision: the message names the object and its "
	   "owner (%s)",
	   msg ? msg : "none");
	for (size_t i = 0; i < plan.n_actions; i++)
		ok(plan.actions[i].kind == REC_WRITE_STATUS || plan.actions[i].kind == REC_EVENT,
		   "collision: only status and an Event (%s)",
		   rec_action_kind_name(plan.actions[i].kind));
	rec_plan_clear(&plan);
	named_rs = NULL;
	json_decref(named);
	json_decref(release);
	json_decref(rs);
}

int main(void)
{
	init_revisions();
	for (size_t i = 0; i < N_ROWS; i++)
		run_row(&rows[i], NULL);
	for (size_t i = 0; i < sizeof(obstacle_rows) / sizeof(obstacle_rows[0]); i++)
		run_row(&obstacle_rows[i].r, &obstacle_rows[i]);
	check_details();
	check_refused_create();
	check_adoption_details();
	check_invalid_details();
	check_overflowing_surge();
	check_patch_bodies();
	check_many_replicasets();
	check_deleting();
	check_hostile();
	check_simulation();
	return tap_done();
}
