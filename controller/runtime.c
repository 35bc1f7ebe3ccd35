#include "controller/runtime.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ev.h>

#include "controller/clock.h"
#include "controller/executor.h"
#include "controller/hashmap.h"
#include "controller/log.h"
#include "kubeclient/apierror.h"
#include "kubeclient/rest.h"

/* One reconcile in flight: the key from the queue, then the execution of its
 * plan, then (after a conflict) the re-read of the object that conflicted. */
struct worker {
	struct ctl_runtime *rt;
	const char *key; /* owned by the queue until ctl_queue_done */
	struct ctl_execution *exec;
	struct kc_request *reread;
	struct ctl_informer *reread_into; /* the informer the re-read object goes to */
	double started;                   /* ev_now */
	int64_t generation;               /* of the primary object its plan was made for */
	double requeue_at; /* ev_now when its plan asked for another look; < 0: never */
	bool busy;
};

/* A key's last failed write (ctl_runtime_failure); f's strings are the
 * copies below. */
struct failure {
	struct rec_failure f;
	char *resource, *name, *reason, *message;
};

/* What a watched kind's handler needs: its role, and the runtime. */
struct watched {
	struct ctl_runtime *rt;
	enum ctl_watch_role role;
	char *index; /* CTL_WATCH_MAPPED */
	bool (*map_value)(const json_t *obj, char *buf, size_t len);
};

struct ctl_runtime {
	char *name;
	struct kc_client *client;
	struct ev_loop *loop;
	char *primary_group, *primary_kind;
	size_t n_informers;
	struct ctl_informer **informers; /* borrowed from the factory */
	struct watched *watched;         /* one per informer after the primary's */
	size_t n_watched;
	struct ctl_queue_config queue_config;
	struct ctl_queue *queue; /* non-NULL while leading */
	ev_timer sync_wait;      /* polls for sync while leading but not synced */
	bool seeded;             /* every primary key was enqueued after sync */
	bool draining;           /* shutting down: no new keys */
	unsigned n_workers;
	struct worker *workers;
	size_t in_flight;
	struct ctl_events *events;
	char *field_manager;
	char *log_key;
	bool (*may_write)(void *userdata);
	void *may_write_userdata;
	bool (*update_matters)(const json_t *old, const json_t *obj);
	ctl_reconcile_fn *reconcile;
	void *userdata;
	struct ctl_hashmap *failures; /* key -> struct failure */
	struct ctl_runtime_stats stats;
};

static void pump(struct ctl_runtime *rt);

void ctl_runtime_enqueue(struct ctl_runtime *rt, const char *key)
{
	if (rt->queue && rt->seeded)
		ctl_queue_add(rt->queue, key, ev_now(rt->loop));
}

/* A status write comes back as an UPDATE of the primary object; it costs no
 * reconcile (the reconcile that wrote it asked for its own requeue when it
 * needs one). */
static void primary_changed(struct ctl_informer *inf, enum ctl_informer_event ev, const json_t *old,
                            const json_t *obj, void *userdata)
{
	struct ctl_runtime *rt = userdata;
	if (ev == CTL_INFORMER_UPDATE && !rt->update_matters(old, obj))
		return;
	char key[CTL_STORE_KEY_MAX];
	if (ctl_object_key(obj, key, sizeof(key)) == 0)
		ctl_runtime_enqueue(rt, key);
}

static void owned_changed(struct ctl_runtime *rt, const json_t *old, const json_t *obj)
{
	char key[CTL_STORE_KEY_MAX];
	bool owned =
	    ctl_object_owner_key(obj, rt->primary_group, rt->primary_kind, key, sizeof(key)) == 0;
	if (owned)
		ctl_runtime_enqueue(rt, key);
	/* An object handed to another owner, or orphaned, wakes its former
	 * owner too. */
	char old_key[CTL_STORE_KEY_MAX];
	if (old &&
	    ctl_object_owner_key(old, rt->primary_group, rt->primary_kind, old_key,
	                         sizeof(old_key)) == 0 &&
	    (!owned || strcmp(old_key, key) != 0))
		ctl_runtime_enqueue(rt, old_key);
}

static int enqueue_key(const char *key, json_t *obj, void *userdata)
{
	ctl_runtime_enqueue(userdata, key);
	return 0;
}

/* The primary objects whose index holds obj's key (or w->map_value's),
 * and, when old maps elsewhere, those of old's. */
static void mapped_changed(const struct watched *w, const json_t *old, const json_t *obj)
{
	struct ctl_runtime *rt = w->rt;
	char key[CTL_STORE_KEY_MAX], old_key[CTL_STORE_KEY_MAX];
	if (!rt->queue || !rt->seeded)
		return;
	if (!w->map_value) {
		if (ctl_object_key(obj, key, sizeof(key)) == 0)
			ctl_informer_by_index(rt->informers[0], w->index, key, enqueue_key, rt);
		return;
	}
	bool mapped = w->map_value(obj, key, sizeof(key));
	if (mapped)
		ctl_informer_by_index(rt->informers[0], w->index, key, enqueue_key, rt);
	if (old && w->map_value(old, old_key, sizeof(old_key)) &&
	    (!mapped || strcmp(old_key, key) != 0))
		ctl_informer_by_index(rt->informers[0], w->index, old_key, enqueue_key, rt);
}

static void watched_changed(struct ctl_informer *inf, enum ctl_informer_event ev, const json_t *old,
                            const json_t *obj, void *userdata)
{
	struct watched *w = userdata;
	if (w->role == CTL_WATCH_OWNED)
		owned_changed(w->rt, old, obj);
	else
		mapped_changed(w, old, obj);
}

/* Gets the informer of each watch and adds this controller's handlers. */
static int attach(struct ctl_runtime *rt, const struct ctl_runtime_options *opts,
                  struct kc_error *err)
{
	int r = ctl_informers_get(opts->informers, &opts->primary, &rt->informers[0], err);
	if (r < 0)
		return r;
	rt->n_informers = 1;
	for (size_t i = 0; i < opts->n_watches; i++) {
		const struct ctl_watch *wa = &opts->watches[i];
		struct watched *w = &rt->watched[i];
		w->rt = rt;
		w->role = wa->role;
		w->map_value = wa->map_value;
		if (wa->role == CTL_WATCH_MAPPED) {
			if (!wa->index || !ctl_informer_has_index(rt->informers[0], wa->index))
				return kc_error_set(
				    err, -EINVAL,
				    "controller %s: the mapped watch of %s needs an "
				    "index of %s",
				    rt->name, wa->kind.resource, opts->primary.resource);
			w->index = strdup(wa->index);
			if (!w->index)
				return kc_error_set(err, -ENOMEM, "runtime: out of memory");
		}
		r = ctl_informers_get(opts->informers, &wa->kind, &rt->informers[1 + i], err);
		if (r < 0)
			return r;
		rt->n_informers++;
	}
	r = ctl_informer_add_handler(rt->informers[0], primary_changed, rt);
	for (size_t i = 1; r == 0 && i < rt->n_informers; i++)
		r = ctl_informer_add_handler(rt->informers[i], watched_changed,
		                             &rt->watched[i - 1]);
	if (r == 0)
		return 0;
	/* The informers outlive this controller: leave no handler behind
	 * (removing one that was never added does nothing). */
	ctl_informer_remove_handler(rt->informers[0], primary_changed, rt);
	for (size_t i = 1; i < rt->n_informers; i++)
		ctl_informer_remove_handler(rt->informers[i], watched_changed, &rt->watched[i - 1]);
	return kc_error_set(err, r, "controller %s: cannot watch%s", rt->name,
	                    r == -EBUSY ? ": the informers have started" : "");
}

int ctl_runtime_new(const struct ctl_runtime_options *opts, struct ctl_runtime **ret,
                    struct kc_error *err)
{
	if (!opts->name || !opts->client || !opts->informers || !opts->reconcile ||
	    !opts->primary.kind)
		return kc_error_set(err, -EINVAL,
		                    "runtime: name, client, informers, reconcile and primary.kind "
		                    "are required");
	struct ctl_runtime *rt = calloc(1, sizeof(*rt));
	if (!rt)
		return kc_error_set(err, -ENOMEM, "runtime: out of memory");
	rt->client = opts->client;
	rt->loop = kc_client_loop(opts->client);
	rt->events = opts->events;
	rt->reconcile = opts->reconcile;
	rt->userdata = opts->userdata;
	rt->update_matters = opts->primary_update_matters ? opts->primary_update_matters
	                                                  : ctl_object_changed_beyond_status;
	rt->may_write = opts->may_write;
	rt->may_write_userdata = opts->may_write_userdata;
	rt->n_workers = opts->workers ? opts->workers : 4;
	if (opts->queue)
		rt->queue_config = *opts->queue;
	else
		ctl_queue_config_default(&rt->queue_config);
	rt->name = strdup(opts->name);
	rt->primary_group = strdup(opts->primary.group ? opts->primary.group : "");
	rt->primary_kind = strdup(opts->primary.kind);
	rt->field_manager =
	    strdup(opts->field_manager ? opts->field_manager : "slipway-controller");
	rt->log_key = strdup(opts->log_key ? opts->log_key : "key");
	rt->workers = calloc(rt->n_workers, sizeof(*rt->workers));
	rt->informers = calloc(1 + opts->n_watches, sizeof(*rt->informers));
	rt->watched = calloc(opts->n_watches ? opts->n_watches : 1, sizeof(*rt->watched));
	if (!rt->name || !rt->primary_group || !rt->primary_kind || !rt->field_manager ||
	    !rt->log_key || !rt->workers || !rt->informers || !rt->watched) {
		ctl_runtime_free(rt);
		return kc_error_set(err, -ENOMEM, "runtime: out of memory");
	}
	for (unsigned i = 0; i < rt->n_workers; i++)
		rt->workers[i].rt = rt;

	rt->n_watched = opts->n_watches;
	int r = attach(rt, opts, err);
	if (r < 0) {
		ctl_runtime_free(rt);
		return r;
	}
	*ret = rt;
	return 0;
}

const char *ctl_runtime_name(const struct ctl_runtime *rt)
{
	return rt->name;
}

bool ctl_runtime_synced(const struct ctl_runtime *rt)
{
	for (size_t i = 0; i < rt->n_informers; i++)
		if (!ctl_informer_synced(rt->informers[i]))
			return false;
	return true;
}

/* ---- The last failed write of each key --------------------------------- */

static void failure_free(struct failure *x)
{
	if (!x)
		return;
	free(x->resource);
	free(x->name);
	free(x->reason);
	free(x->message);
	free(x);
}

static void forget_failure(struct ctl_runtime *rt, const char *key)
{
	void *old = NULL;
	if (rt->failures && ctl_hashmap_remove(rt->failures, key, &old) == 0)
		failure_free(old);
}

static void forget_failures(struct ctl_runtime *rt)
{
	size_t pos = 0;
	const char *key;
	void *v;
	while (rt->failures && ctl_hashmap_next(rt->failures, &pos, &key, &v))
		failure_free(v);
	rt->failures = ctl_hashmap_free(rt->failures);
}

/* strdup that keeps NULL; *ok becomes false on ENOMEM. */
static char *dup_opt(const char *s, bool *ok)
{
	char *d = s ? strdup(s) : NULL;
	if (s && !d)
		*ok = false;
	return d;
}

/* Keeps what failed for the key's next reconcile (ctl_runtime_failure),
 * in place of what failed before. Out of memory, it keeps nothing: the
 * reconciler then just tries again, as it would without the memory. */
static void remember_failure(struct worker *w, const struct ctl_exec_result *res)
{
	struct ctl_runtime *rt = w->rt;
	forget_failure(rt, w->key);
	const struct kc_error *err = res->err;
	const char *message =
	    json_string_value(json_object_get(err ? err->status : NULL, "message"));
	if (!message && err)
		message = err->message;
	struct failure *x = calloc(1, sizeof(*x));
	bool ok = x != NULL;
	if (ok) {
		x->resource = dup_opt(res->failed->ref.resource, &ok);
		x->name = dup_opt(res->failed->ref.name, &ok);
		x->reason = dup_opt(kc_error_reason(err), &ok);
		x->message = dup_opt(message, &ok);
		x->f = (struct rec_failure){.kind = res->failed->kind,
		                            .resource = x->resource,
		                            .name = x->name,
		                            .http_status = err ? err->http_status : 0,
		                            .reason = x->reason,
		                            .message = x->message,
		                            .generation = w->generation};
	}
	if (!rt->failures && ok)
		rt->failures = ctl_hashmap_new();
	if (!ok || !rt->failures || ctl_hashmap_put(rt->failures, w->key, x, NULL) < 0)
		failure_free(x);
}

const struct rec_failure *ctl_runtime_failure(const struct ctl_runtime *rt, const char *key)
{
	struct failure *x = rt->failures ? ctl_hashmap_get(rt->failures, key) : NULL;
	return x ? &x->f : NULL;
}

/* ---- Workers -------------------------------------------------------------- */

/* The worker is free again; its key belongs to the queue once more. */
static void worker_release(struct worker *w)
{
	w->key = NULL;
	w->exec = NULL;
	w->reread = NULL;
	w->busy = false;
	w->rt->in_flight--;
}

static void worker_finish(struct worker *w)
{
	struct ctl_runtime *rt = w->rt;
	if (rt->queue && w->key)
		ctl_queue_done(rt->queue, w->key, ev_now(rt->loop));
	ctl_histogram_observe(&rt->stats.duration, ev_now(rt->loop) - w->started);
	worker_release(w);
	pump(rt);
}

/* A failed reconcile: counted, logged with what failed, and retried after
 * the key's backoff. */
static void retry_later(struct worker *w, const char *what, const char *object, const char *error)
{
	struct ctl_runtime *rt = w->rt;
	rt->stats.reconcile_errors++;
	double delay = 0;
	ctl_queue_add_rate_limited(rt->queue, w->key, ev_now(rt->loop), &delay);
	char retry[32];
	snprintf(retry, sizeof(retry), "%.3fs", delay);
	ctl_log(NULL, CTL_LOG_WARN, "reconcile failed", rt->log_key, w->key, "action", what,
	        "object", object, "error", error, "retry_in", retry, NULL);
	worker_finish(w);
}

/* The plan's own requeue (plan.requeue_after, taken as due at reconcile
 * time plus that delay), added once the plan has run: earliest wins against
 * whatever else brings the key back. Not after a failure the server gave a
 * delay for (retry_when_asked): a plan wanting another look sooner would
 * only write into the same refusal. */
static void requeue_as_planned(struct worker *w)
{
	struct ctl_runtime *rt = w->rt;
	if (w->requeue_at < 0)
		return;
	double now = ev_now(rt->loop);
	ctl_queue_add_after(rt->queue, w->key, w->requeue_at - now, now);
}

/* A write refused with the server's Retry-After still ahead (the client
 * stopped at its request deadline, kc_error.retry_after): the key comes
 * back when the server asked, capped at the queue's backoff maximum, as
 * client-go waits out a 429's Retry-After. The server's delay replaces the
 * per-key backoff, which is not counted up: the server said when, and
 * nothing about the key got worse. A watch event still wakes the key
 * sooner, as it would during a backoff. */
static void retry_when_asked(struct worker *w, const char *what, const char *object,
                             const struct kc_error *err)
{
	struct ctl_runtime *rt = w->rt;
	rt->stats.reconcile_errors++;
	double delay = err->retry_after;
	if (delay > rt->queue_config.backoff_max)
		delay = rt->queue_config.backoff_max;
	ctl_queue_add_after(rt->queue, w->key, delay, ev_now(rt->loop));
	char retry[32];
	snprintf(retry, sizeof(retry), "%.3fs", delay);
	ctl_log(NULL, CTL_LOG_WARN, "reconcile failed", rt->log_key, w->key, "action", what,
	        "object", object, "error", err->message, "retry_in", retry, NULL);
	worker_finish(w);
}

static struct ctl_informer *informer_of_resource(struct ctl_runtime *rt, const char *resource)
{
	for (size_t i = 0; i < rt->n_informers; i++)
		if (strcmp(ctl_informer_resource(rt->informers[i]), resource) == 0)
			return rt->informers[i];
	return NULL;
}

static void reread_done(long status, json_t *body, const struct kc_error *err, void *userdata)
{
	struct worker *w = userdata;
	struct ctl_runtime *rt = w->rt;
	w->reread = NULL;
	/* Not found: the watch will deliver the delete; the requeue sees it. */
	if (!err && body)
		ctl_informer_refresh(w->reread_into, body);
	ctl_queue_add(rt->queue, w->key, ev_now(rt->loop));
	worker_finish(w);
}

static void exec_done(const struct ctl_exec_result *res, void *userdata)
{
	struct worker *w = userdata;
	struct ctl_runtime *rt = w->rt;
	w->exec = NULL;
	if (res->code == 0) {
		forget_failure(rt, w->key);
		ctl_queue_forget(rt->queue, w->key);
		requeue_as_planned(w);
		worker_finish(w);
		return;
	}
	if (res->failed)
		remember_failure(w, res);
	const char *what = res->failed ? rec_action_kind_name(res->failed->kind) : "plan";
	const char *object = res->failed && res->failed->ref.name ? res->failed->ref.name : "";
	if (res->conflict && res->failed) {
		ctl_log(NULL, CTL_LOG_DEBUG,
		        "stale object: re-reading it before the next reconcile", rt->log_key,
		        w->key, "action", what, "object", object, NULL);
		rt->stats.reconcile_errors++;
		rt->stats.conflicts++;
		const struct rec_ref *r = &res->failed->ref;
		struct kc_ref ref = {.group = r->group,
		                     .version = r->version,
		                     .resource = r->resource,
		                     .ns = r->ns,
		                     .name = r->name};
		w->reread_into = informer_of_resource(rt, r->resource);
		if (w->reread_into && r->name &&
		    kc_get(rt->client, &ref, NULL, reread_done, w, &w->reread, NULL) == 0)
			return;
		ctl_queue_add(rt->queue, w->key, ev_now(rt->loop));
		worker_finish(w);
		return;
	}
	if (res->err && res->err->retry_after > 0) {
		retry_when_asked(w, what, object, res->err);
		return;
	}
	requeue_as_planned(w);
	retry_later(w, what, object, res->err ? res->err->message : "failed");
}

static void process(struct ctl_runtime *rt, struct worker *w, const char *key)
{
	w->busy = true;
	w->key = key;
	w->started = ev_now(rt->loop);
	w->requeue_at = -1;
	rt->in_flight++;

	json_t *obj = NULL;
	int r = ctl_informer_get(rt->informers[0], key, &obj);
	if (r == -ENOENT) {
		forget_failure(rt, key);
		ctl_queue_forget(rt->queue, key);
		worker_finish(w);
		return;
	}
	struct rec_plan plan;
	rec_plan_init(&plan);
	if (r == 0) {
		json_t *gen = json_object_get(json_object_get(obj, "metadata"), "generation");
		w->generation = json_is_integer(gen) ? json_integer_value(gen) : 0;
		ctl_log(NULL, CTL_LOG_DEBUG, "reconcile", rt->log_key, key, NULL);
		rt->stats.reconciles++;
		r = rt->reconcile(rt, obj, ctl_wall_now(), &plan, rt->userdata);
	}
	json_decref(obj);
	if (r < 0) {
		rec_plan_clear(&plan);
		retry_later(w, "reconcile", "", strerror(-r));
		return;
	}
	if (plan.requeue_after >= 0)
		w->requeue_at = ev_now(rt->loop) + plan.requeue_after;
	struct ctl_exec_options eo = {
	    .client = rt->client,
	    .events = rt->events,
	    .field_manager = rt->field_manager,
	    .now = ctl_wall_now(),
	    .event_failures = &rt->stats.event_failures,
	    .may_write = rt->may_write,
	    .may_write_userdata = rt->may_write_userdata,
	    .on_done = exec_done,
	    .userdata = w,
	};
	r = ctl_execute(&eo, &plan, &w->exec);
	if (r < 0) {
		rec_plan_clear(&plan);
		requeue_as_planned(w);
		retry_later(w, "plan", "", strerror(-r));
	}
}

static int seed_key(const char *key, json_t *obj, void *userdata)
{
	struct ctl_runtime *rt = userdata;
	ctl_queue_add(rt->queue, key, ev_now(rt->loop));
	return 0;
}

/* Hands ready keys to free workers; before the caches have synced, waits. */
static void pump(struct ctl_runtime *rt)
{
	if (!rt->queue || rt->draining)
		return;
	if (!rt->seeded) {
		if (!ctl_runtime_synced(rt)) {
			if (!ev_is_active(&rt->sync_wait))
				ev_timer_start(rt->loop, &rt->sync_wait);
			return;
		}
		rt->seeded = true;
		char objects[32];
		struct ctl_informer_stats st;
		ctl_informer_stats(rt->informers[0], &st);
		snprintf(objects, sizeof(objects), "%zu", st.objects);
		ctl_log(NULL, CTL_LOG_INFO, "caches synced", "controller", rt->name, "resource",
		        ctl_informer_resource(rt->informers[0]), "objects", objects, NULL);
		json_t *everything = json_object();
		ctl_informer_select(rt->informers[0], NULL, everything, seed_key, rt);
		json_decref(everything);
	}
	for (unsigned i = 0; i < rt->n_workers && rt->queue; i++) {
		struct worker *w = &rt->workers[i];
		if (w->busy)
			continue;
		const char *key;
		if (ctl_queue_get(rt->queue, ev_now(rt->loop), &key) < 0)
			return;
		process(rt, w, key);
	}
}

static void queue_ready(struct ctl_queue *q, void *userdata)
{
	pump(userdata);
}

static void sync_wait_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct ctl_runtime *rt = t->data;
	ev_timer_stop(loop, t);
	pump(rt);
}

int ctl_runtime_start_leading(struct ctl_runtime *rt)
{
	if (rt->queue)
		return 0;
	rt->queue = ctl_queue_new(&rt->queue_config, ev_now(rt->loop));
	if (!rt->queue)
		return -ENOMEM;
	ctl_queue_attach(rt->queue, rt->loop, queue_ready, rt);
	rt->seeded = false;
	ev_timer_init(&rt->sync_wait, sync_wait_cb, 0.1, 0.1);
	rt->sync_wait.data = rt;
	pump(rt);
	return 0;
}

void ctl_runtime_stop_leading(struct ctl_runtime *rt)
{
	if (!rt->queue)
		return;
	ctl_queue_shutdown(rt->queue);
	ev_timer_stop(rt->loop, &rt->sync_wait);
	for (unsigned i = 0; i < rt->n_workers; i++) {
		struct worker *w = &rt->workers[i];
		if (!w->busy)
			continue;
		ctl_execution_cancel(w->exec);
		kc_request_cancel(w->reread);
		worker_release(w);
	}
	rt->queue = ctl_queue_free(rt->queue);
	rt->seeded = false;
	/* Another leader may have gone on meanwhile: what failed for us
	 * then says nothing about the next term. */
	forget_failures(rt);
}

void ctl_runtime_drain(struct ctl_runtime *rt)
{
	rt->draining = true;
}

size_t ctl_runtime_in_flight(const struct ctl_runtime *rt)
{
	return rt->in_flight;
}

struct ctl_runtime *ctl_runtime_free(struct ctl_runtime *rt)
{
	if (!rt)
		return NULL;
	ctl_runtime_stop_leading(rt);
	forget_failures(rt);
	for (size_t i = 0; i < rt->n_watched; i++)
		free(rt->watched[i].index);
	free(rt->watched);
	free(rt->informers);
	free(rt->name);
	free(rt->workers);
	free(rt->primary_group);
	free(rt->primary_kind);
	free(rt->field_manager);
	free(rt->log_key);
	free(rt);
	return NULL;
}

struct ctl_informer *ctl_runtime_informer(const struct ctl_runtime *rt, size_t i)
{
	return i < rt->n_informers ? rt->informers[i] : NULL;
}

void ctl_runtime_stats(const struct ctl_runtime *rt, struct ctl_runtime_stats *ret)
{
	*ret = rt->stats;
	memset(&ret->queue, 0, sizeof(ret->queue));
	if (rt->queue)
		ctl_queue_metrics(rt->queue, ev_now(rt->loop), &ret->queue);
}
