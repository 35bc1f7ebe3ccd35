#include "reconcilers/restart.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/api.h"
#include "model/condition.h"
#include "model/intorstr.h"
#include "model/revision.h"
#include "model/timefmt.h"
#include "reconcilers/rolling.h"

/* One pod as the restart sees it; strings borrowed from its JSON. */
struct pod {
	const char *name;
	const char *uid;
	time_t created;
	bool deleting;
	bool available;      /* Ready for minReadySeconds, not being deleted */
	time_t available_at; /* Ready, not yet for minReadySeconds: when it will be; else 0 */
};

/* Reads obj into *p; false when it lacks a name, uid or creationTimestamp
 * (such a pod cannot be judged, so it is left alone). */
static bool read_pod(const json_t *obj, int32_t min_ready, time_t now, struct pod *p)
{
	const json_t *md = json_object_get(obj, "metadata");
	const char *created = json_string_value(json_object_get(md, "creationTimestamp"));
	json_t *del = json_object_get(md, "deletionTimestamp");
	memset(p, 0, sizeof(*p));
	p->name = json_string_value(json_object_get(md, "name"));
	p->uid = json_string_value(json_object_get(md, "uid"));
	if (!p->name || !p->uid || !created || model_time_parse(created, &p->created) < 0)
		return false;
	p->deleting = del && !json_is_null(del);
	const json_t *conds = json_object_get(json_object_get(obj, "status"), "conditions");
	const json_t *ready = model_condition_find(conds, "Ready");
	const char *status = json_string_value(json_object_get(ready, "status"));
	if (p->deleting || !status || strcmp(status, MODEL_CONDITION_TRUE) != 0)
		return true;
	/* As Kubernetes' IsPodAvailable: Ready for minReadySeconds. */
	if (min_ready == 0) {
		p->available = true;
		return true;
	}
	const char *since = json_string_value(json_object_get(ready, "lastTransitionTime"));
	time_t t;
	if (!since || model_time_parse(since, &t) < 0)
		return true;
	p->available = t + min_ready <= now;
	if (!p->available)
		p->available_at = t + min_ready;
	return true;
}

/* Older first: creationTimestamp, then name. For qsort over struct pod. */
static int cmp_older(const void *pa, const void *pb)
{
	const struct pod *a = pa, *b = pb;
	if (a->created != b->created)
		return a->created < b->created ? -1 : 1;
	return strcmp(a->name, b->name);
}

/* A CREATE of pods/NAME/eviction, preconditioned on the pod's uid so that a
 * pod recreated under the same name is never evicted by mistake. */
static int add_eviction(struct rec_plan *actions, const char *ns, const struct pod *p)
{
	char api_version[64];
	snprintf(api_version, sizeof(api_version), "%s/%s", model_eviction_gvk.group,
	         model_eviction_gvk.version);
	json_t *body = json_pack("{s:s,s:s,s:{s:s},s:{s:{s:s}}}", "apiVersion", api_version, "kind",
	                         model_eviction_gvk.kind, "metadata", "name", p->name,
	                         "deleteOptions", "preconditions", "uid", p->uid);
	json_t *md = json_object_get(body, "metadata");
	if (body && ns && json_object_set_new(md, "namespace", json_string(ns)) != 0) {
		json_decref(body);
		body = NULL;
	}
	if (!body)
		return -ENOMEM;
	struct rec_ref ref = {.group = (char *)model_pod_gvk.group,
	                      .version = (char *)model_pod_gvk.version,
	                      .resource = (char *)model_pod_gvk.resource,
	                      .kind = (char *)model_pod_gvk.kind,
	                      .ns = (char *)ns,
	                      .name = (char *)p->name,
	                      .uid = (char *)p->uid};
	struct rec_action *a = rec_plan_add(actions, REC_CREATE, &ref, body);
	json_decref(body);
	if (!a)
		return -ENOMEM;
	/* Gone already, or refused for now by a PodDisruptionBudget: the
	 * next reconcile looks at the pod again. */
	a->tolerate = REC_TOLERATE_NOT_FOUND | REC_TOLERATE_TOO_MANY_REQUESTS;
	a->subresource = strdup(model_eviction_gvk.resource);
	if (!a->subresource)
		return -ENOMEM;
	return 0;
}

/* The state before looking at pods: nothing to do, not yet, or wait. */
static enum rec_restart_state gate(const struct rec_restart_input *in)
{
	if (in->restart_at == 0 || in->restart_at == in->restarted_at)
		return REC_RESTART_IDLE;
	if (in->restart_at > in->now)
		return REC_RESTART_SCHEDULED;
	if (!in->rollout_done)
		return REC_RESTART_WAITING;
	return REC_RESTART_RUNNING;
}

/* Evicts old pods, oldest first: unavailable ones for free, available ones
 * while the budget lasts. `old` is sorted older first. */
static int evict(const struct rec_restart_input *in, struct pod *old, size_t n_old, int64_t budget,
                 struct rec_plan *actions, struct rec_restart_result *ret)
{
	for (size_t i = 0; i < n_old; i++) {
		if (old[i].available && budget <= 0)
			continue;
		if (old[i].available)
			budget--;
		int r = add_eviction(actions, in->ns, &old[i]);
		if (r < 0)
			return r;
		ret->evicting++;
	}
	return 0;
}

int rec_restart_decide(const struct rec_restart_input *in, struct rec_plan *actions,
                       struct rec_restart_result *ret)
{
	struct rec_restart_result res = {.state = gate(in)};
	if (res.state == REC_RESTART_SCHEDULED)
		rec_plan_requeue(actions, (double)(in->restart_at - in->now));
	if (res.state != REC_RESTART_RUNNING) {
		*ret = res;
		return 0;
	}
	struct pod *old = calloc(in->n_pods ? in->n_pods : 1, sizeof(*old));
	if (!old)
		return -ENOMEM;
	size_t n_old = 0;
	int64_t available = 0;
	for (size_t i = 0; i < in->n_pods; i++) {
		struct pod p;
		if (!read_pod(in->pods[i], in->min_ready_seconds, in->now, &p))
			continue;
		available += p.available;
		if (p.available_at)
			rec_plan_requeue(actions, (double)(p.available_at - in->now));
		if (!p.deleting && p.created < in->restart_at)
			old[n_old++] = p;
	}
	if (available > in->rs_available)
		available = in->rs_available;
	res.available = available;
	res.old_left = n_old;
	int r = 0;
	if (n_old == 0 && available >= in->replicas) {
		res.state = REC_RESTART_DONE;
	} else {
		qsort(old, n_old, sizeof(*old), cmp_older);
		int64_t unavailable = in->max_unavailable > 0 ? in->max_unavailable : 1;
		r = evict(in, old, n_old, unavailable - ((int64_t)in->replicas - available),
		          actions, &res);
		rec_plan_requeue(actions, REC_RESTART_POLL_SECONDS);
	}
	free(old);
	if (r == 0)
		*ret = res;
	return r;
}

/* The rolling strategy's maxUnavailable for rel; 1 for the others, which
 * do not run yet. */
static int32_t max_unavailable(const struct rel_release *rel)
{
	int32_t surge = 0, unavailable = 1;
	if (rel->strategy == REL_STRATEGY_ROLLING)
		rec_rolling_limits(rel, &surge, &unavailable);
	return unavailable;
}

/* Appends " (WHAT)" to status.message. 0 or -ENOMEM. */
static int annotate_message(struct rel_status *next, const char *what)
{
	const char *was = next->message ? next->message : "";
	size_t n = strlen(was) + strlen(what) + 4;
	char *msg = malloc(n);
	if (!msg)
		return -ENOMEM;
	snprintf(msg, n, "%s%s(%s)", was, was[0] ? " " : "", what);
	int r = rel_status_set_string(&next->message, msg);
	free(msg);
	return r;
}

/* What the result means for the status and the Events. */
static int record(struct rec_ctx *c, const struct rec_restart_result *res, struct rec_plan *after)
{
	char at[MODEL_TIME_LEN], what[256];
	if (model_time_format(c->rel->restart_at, at) < 0)
		return 0; /* the model only parses years it can format */
	switch (res->state) {
	case REC_RESTART_IDLE:
	case REC_RESTART_SCHEDULED:
		return 0;
	case REC_RESTART_WAITING:
		snprintf(what, sizeof(what),
		         "restart requested at %s waits for the rollout to finish", at);
		return annotate_message(c->next, what);
	case REC_RESTART_RUNNING:
		snprintf(what, sizeof(what),
		         "restarting pods created before %s: %zu left, %lld of %d available", at,
		         res->old_left, (long long)res->available, (int)c->rel->replicas);
		return annotate_message(c->next, what);
	case REC_RESTART_DONE:
		break;
	}
	c->next->restarted_at = c->rel->restart_at;
	snprintf(what, sizeof(what), "Restarted: every pod created before %s was replaced", at);
	if (!rec_plan_add_event(after, c->release, REC_EVENT_NORMAL, REC_REASON_RESTARTED, what))
		return -ENOMEM;
	return 0;
}

/* The current revision is rolled out and not paused: the strategy's
 * Progressing condition says NewReplicaSetAvailable. Not the phase: a pod
 * the restart evicted makes the Release Progressing again until it is
 * replaced, and that must not read as a rollout to wait for. */
static bool rollout_done(const struct rec_ctx *c)
{
	const json_t *cond = model_condition_find(c->next->conditions, "Progressing");
	const char *reason = json_string_value(json_object_get(cond, "reason"));
	return !c->rel->paused && reason && strcmp(reason, REC_REASON_NEW_RS_AVAILABLE) == 0;
}

int rec_restart_reconcile(struct rec_ctx *c, const json_t *const *pods, size_t n_pods,
                          struct rec_plan *after)
{
	const struct rel_release *rel = c->rel;
	struct rec_restart_input in = {
	    .restart_at = rel->restart_at,
	    .restarted_at = c->observed->restarted_at,
	    .rollout_done = rollout_done(c),
	    .replicas = rel->replicas,
	    .max_unavailable = max_unavailable(rel),
	    .min_ready_seconds = rel->min_ready_seconds,
	    .ns = rel->namespace,
	    .now = c->now,
	};
	for (size_t i = 0; i < c->n_rss; i++)
		in.rs_available += c->rss[i].available;
	/* Only the pods of this Release's ReplicaSets: anything else passed
	 * here is never touched. */
	const json_t **mine = calloc(n_pods ? n_pods : 1, sizeof(*mine));
	if (!mine)
		return -ENOMEM;
	for (size_t i = 0; i < n_pods; i++) {
		for (size_t j = 0; j < c->n_rss; j++) {
			if (model_controlled_by(pods[i], c->rss[j].uid)) {
				mine[in.n_pods++] = pods[i];
				break;
			}
		}
	}
	in.pods = mine;
	struct rec_restart_result res;
	/* After the status write: the client retries a 429 for a while
	 * before the executor lets it pass, and the status should not wait. */
	int r = rec_restart_decide(&in, after, &res);
	if (r == 0)
		r = record(c, &res, after);
	free(mine);
	return r;
}
