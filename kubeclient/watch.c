/* The I/O half of kubeclient/watch.h: requests and a timer around the pure
 * state machine of watch-fsm.c. Every input goes through feed(), which asks
 * kc_watch_step() what to do and does it. */
#include "kubeclient/watch.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kubeclient/path.h"
#include "kubeclient/rest.h"
#include "kubeclient/stream.h"

#define DEFAULT_PAGE_SIZE    500
#define DEFAULT_MIN_TIMEOUT  300
#define DEFAULT_MAX_TIMEOUT  600
#define DEFAULT_IDLE_TIMEOUT 180.0
/* A watch still open this long after its server-side timeout is cut by us:
 * a proxy that ignores timeoutSeconds must not give a watch unbounded life. */
#define LIFETIME_GRACE 30.0

/* What the single timer delivers when it fires. */
enum timer_job {
	TIMER_NONE,
	TIMER_KICK,     /* the deferred first input of kc_watch_start() */
	TIMER_BACKOFF,  /* KC_WATCH_IN_TIMER */
	TIMER_LIFETIME, /* the watch outlived its timeout: end it */
};

struct kc_watch {
	struct kc_client *client;
	struct ev_loop *loop;
	char *group, *version, *resource, *ns;
	char *label_selector, *field_selector;
	char *rv; /* where to resume: the list's, then each event's and bookmark's */
	bool resume;

	struct kc_watch_fsm fsm;
	struct kc_stream *stream;
	struct kc_request *req; /* the list or watch in flight, or NULL */
	ev_timer timer;
	enum timer_job job;

	struct kc_backoff backoff;
	long page_size, min_timeout, max_timeout;
	double idle_timeout;
	double (*rand01)(void *userdata);
	uint64_t rng;

	void (*transform)(json_t *obj, void *userdata);
	bool list_items;
	bool list_begun; /* list_items: LIST_BEGIN was sent for the list in flight */
	json_t *listed;  /* without list_items: the objects of the list in flight */
	kc_watch_fn *on_change;
	kc_watch_error_fn *on_error;
	void *userdata;

	/* What DO_REPLACE_AND_WATCH / DO_DELIVER hand over; set around feed(). */
	json_t *pending_items;
	const struct kc_event *pending_event;

	unsigned depth;    /* nesting of our callbacks on the stack */
	bool free_pending; /* kc_watch_free() was called inside a callback */
};

static void feed(struct kc_watch *w, enum kc_watch_input in, const struct kc_error *err);

static double monotonic_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double random01(struct kc_watch *w)
{
	if (w->rand01)
		return w->rand01(w->userdata);
	/* xorshift64: spreading timeouts and jitter needs no better. */
	w->rng ^= w->rng << 13;
	w->rng ^= w->rng >> 7;
	w->rng ^= w->rng << 17;
	return (double)(w->rng >> 11) / 9007199254740992.0;
}

static void enter(struct kc_watch *w)
{
	w->depth++;
}

static void destroy(struct kc_watch *w);

/* Leaves a callback; frees the watch when the last one unwinds after a
 * kc_watch_free() from inside. Returns true when w is gone. */
static bool leave(struct kc_watch *w)
{
	w->depth--;
	if (w->depth == 0 && w->free_pending) {
		destroy(w);
		return true;
	}
	return false;
}

static void cancel_io(struct kc_watch *w)
{
	w->req = kc_request_cancel(w->req);
	ev_timer_stop(w->loop, &w->timer);
	w->job = TIMER_NONE;
	/* The stream is reset by start_watch(), not here: this may run inside
	 * kc_stream_feed(), from an event callback. */
}

static void arm(struct kc_watch *w, enum timer_job job, double seconds)
{
	ev_timer_stop(w->loop, &w->timer);
	ev_timer_set(&w->timer, seconds, 0);
	w->job = job;
	ev_timer_start(w->loop, &w->timer);
}

static int set_rv(struct kc_watch *w, const char *rv)
{
	if (w->rv && strcmp(w->rv, rv) == 0)
		return 0;
	char *copy = strdup(rv);
	if (!copy)
		return -ENOMEM;
	free(w->rv);
	w->rv = copy;
	return 0;
}

static struct kc_ref watch_ref(const struct kc_watch *w)
{
	return (struct kc_ref){
	    .group = w->group,
	    .version = w->version,
	    .resource = w->resource,
	    .ns = w->ns,
	};
}

/* ---- list ---------------------------------------------------------------- */

/* Items of a List come without kind and apiVersion; watch events carry them.
 * Fill them in so the consumer sees one shape whichever way an object came. */
static int fill_kind(const json_t *list, json_t *item)
{
	const char *list_kind = json_string_value(json_object_get(list, "kind"));
	json_t *api_version = json_object_get(list, "apiVersion");
	size_t n = list_kind ? strlen(list_kind) : 0;
	if (n > 4 && strcmp(list_kind + n - 4, "List") == 0 && !json_object_get(item, "kind") &&
	    json_object_set_new(item, "kind", json_stringn(list_kind, n - 4)) < 0)
		return -ENOMEM;
	if (json_is_string(api_version) && !json_object_get(item, "apiVersion") &&
	    json_object_set(item, "apiVersion", api_version) < 0)
		return -ENOMEM;
	return 0;
}

static bool is_gone(long status, const struct kc_error *err)
{
	if (status == 410)
		return true;
	if (!err || !err->status)
		return false;
	json_t *code = json_object_get(err->status, "code");
	return kc_status_is_gone(json_is_integer(code) ? (long)json_integer_value(code) : 0,
	                         json_string_value(json_object_get(err->status, "reason")));
}

/* A page over the client's response limit (a namespace of huge objects)
 * would fail the same way on every retry and the informer would never sync:
 * ask for half as many items next time. The smaller size is kept for later
 * relists, since the objects that needed it are likely still there. */
static void shrink_page_if_oversized(struct kc_watch *w, const struct kc_error *err)
{
	if (err->code == -E2BIG && w->page_size > 1)
		w->page_size /= 2;
}

static void list_done(long status, json_t *body, const struct kc_error *err, void *userdata)
{
	struct kc_watch *w = userdata;
	w->req = NULL; /* the client frees it when we return */
	enter(w);
	if (err) {
		shrink_page_if_oversized(w, err);
		feed(w, is_gone(status, err) ? KC_WATCH_IN_GONE : KC_WATCH_IN_LIST_FAILED, err);
		goto out;
	}
	const char *rv = json_string_value(
	    json_object_get(json_object_get(body, "metadata"), "resourceVersion"));
	json_t *items = json_object_get(body, "items");
	struct kc_error bad = {.http_status = status};
	if (!rv || !rv[0] || !(json_is_array(items) || json_is_null(items) || !items)) {
		kc_error_set(&bad, -EBADMSG, "list %s: response without items or resourceVersion",
		             w->resource);
		feed(w, KC_WATCH_IN_LIST_FAILED, &bad);
		goto out;
	}
	if (set_rv(w, rv) < 0) {
		kc_error_set(&bad, -ENOMEM, "list %s: out of memory", w->resource);
		feed(w, KC_WATCH_IN_LIST_FAILED, &bad);
		goto out;
	}
	/* Every item went through list_item(). A new array for the next list:
	 * the consumer may keep a reference to this one. */
	w->pending_items = w->listed;
	w->listed = json_array();
	feed(w, KC_WATCH_IN_LISTED, NULL);
	json_decref(w->pending_items);
	w->pending_items = NULL;
out:
	leave(w);
}

/* Each listed object as its page arrives: it gets its kind and goes through
 * the transform, then to the consumer (list_items) or into the collection
 * that the REPLACE hands over. */
static int list_item(const json_t *page, json_t *item, void *userdata)
{
	struct kc_watch *w = userdata;
	if (fill_kind(page, item) < 0)
		return -ENOMEM;
	if (w->transform)
		w->transform(item, w->userdata);
	if (!w->list_items)
		return w->listed && json_array_append(w->listed, item) == 0 ? 0 : -ENOMEM;
	if (!w->list_begun) {
		w->list_begun = true;
		w->on_change(w, KC_WATCH_LIST_BEGIN, NULL, w->userdata);
	}
	w->on_change(w, KC_WATCH_LIST_ITEM, item, w->userdata);
	return 0;
}

static int start_list(struct kc_watch *w, struct kc_error *err)
{
	struct kc_ref ref = watch_ref(w);
	/* No resourceVersion: a consistent read of the latest state. "0" would be
	 * cheaper (the watch cache) but may be older than what we have already
	 * seen, sending the consumer back in time. */
	struct kc_query q = {
	    .label_selector = w->label_selector,
	    .field_selector = w->field_selector,
	    .limit = w->page_size,
	};
	w->list_begun = false;
	if (!w->listed)
		w->listed = json_array();
	json_array_clear(w->listed);
	return kc_list_all_each(w->client, &ref, &q, list_item, list_done, w, &w->req, err);
}

/* ---- watch --------------------------------------------------------------- */

static enum kc_watch_change change_of(enum kc_event_type t)
{
	if (t == KC_EVENT_ADDED)
		return KC_WATCH_ADDED;
	if (t == KC_EVENT_MODIFIED)
		return KC_WATCH_MODIFIED;
	return KC_WATCH_DELETED;
}

static int on_event(void *userdata, const struct kc_event *ev)
{
	struct kc_watch *w = userdata;
	if (w->fsm.state != KC_WATCH_WATCHING || w->free_pending)
		return 1;
	if (ev->type == KC_EVENT_ERROR) {
		struct kc_error e = {.http_status = 200};
		bool gone = kc_status_is_gone(ev->status_code, ev->reason);
		kc_error_set(&e, gone ? -EIDRM : -EPROTO, "watch %s: ERROR event %ld %s: %s",
		             w->resource, ev->status_code, ev->reason ? ev->reason : "",
		             ev->message ? ev->message : "");
		e.status = ev->object; /* borrowed for the error callback only */
		feed(w, gone ? KC_WATCH_IN_GONE : KC_WATCH_IN_WATCH_FAILED, &e);
		return 1; /* the server ends the stream after an ERROR anyway */
	}
	if (set_rv(w, ev->resource_version) < 0) {
		struct kc_error e = {0};
		kc_error_set(&e, -ENOMEM, "watch %s: out of memory", w->resource);
		feed(w, KC_WATCH_IN_WATCH_FAILED, &e);
		return 1;
	}
	if (ev->type == KC_EVENT_BOOKMARK) {
		feed(w, KC_WATCH_IN_BOOKMARK, NULL);
	} else {
		w->pending_event = ev;
		feed(w, KC_WATCH_IN_EVENT, NULL);
		w->pending_event = NULL;
	}
	return w->fsm.state == KC_WATCH_WATCHING && !w->free_pending ? 0 : 1;
}

static int watch_data(const char *data, size_t len, void *userdata)
{
	struct kc_watch *w = userdata;
	struct kc_error err = {.http_status = 200};
	enter(w);
	int rc = kc_stream_feed(w->stream, data, len, on_event, w, &err);
	if (rc < 0)
		feed(w, KC_WATCH_IN_BAD_EVENT, &err); /* cancels this request */
	leave(w);
	/* Whenever we stop reading, the request has been cancelled already (the
	 * client then ignores the return value); 0 keeps a live one going. */
	return 0;
}

static void watch_done(long status, json_t *body, const struct kc_error *err, void *userdata)
{
	struct kc_watch *w = userdata;
	w->req = NULL;
	enter(w);
	if (w->job == TIMER_LIFETIME) {
		ev_timer_stop(w->loop, &w->timer);
		w->job = TIMER_NONE;
	}
	if (err) {
		feed(w, is_gone(status, err) ? KC_WATCH_IN_GONE : KC_WATCH_IN_WATCH_FAILED, err);
	} else {
		struct kc_error serr = {.http_status = status};
		int rc = kc_stream_finish(w->stream, on_event, w, &serr);
		/* A cut-off last event is a broken connection, not a bad server:
		 * resume from the last resourceVersion. */
		if (rc < 0)
			feed(w, KC_WATCH_IN_WATCH_FAILED, &serr);
		else if (rc == 0)
			feed(w, KC_WATCH_IN_WATCH_ENDED, NULL);
	}
	leave(w);
}

static int start_watch(struct kc_watch *w, struct kc_error *err)
{
	struct kc_ref ref = watch_ref(w);
	long span = w->max_timeout - w->min_timeout;
	long timeout = w->min_timeout + (long)(random01(w) * (double)(span + 1));
	if (timeout > w->max_timeout)
		timeout = w->max_timeout;
	struct kc_query q = {
	    .label_selector = w->label_selector,
	    .field_selector = w->field_selector,
	    .resource_version = w->rv,
	    .watch = true,
	    .allow_watch_bookmarks = true,
	    .timeout_seconds = timeout,
	};
	char *path = NULL;
	int rc = kc_path_build(&ref, &q, &path);
	if (rc < 0)
		return kc_error_set(err, rc, "watch %s: cannot build the request path",
		                    w->resource);
	kc_stream_reset(w->stream);
	struct kc_request_options o = {
	    .method = KC_GET,
	    .path = path,
	    .on_data = watch_data,
	    .idle_timeout = w->idle_timeout,
	    .on_done = watch_done,
	    .userdata = w,
	};
	rc = kc_request_start(w->client, &o, &w->req, err);
	free(path);
	if (rc == 0)
		arm(w, TIMER_LIFETIME, (double)timeout + LIFETIME_GRACE);
	return rc;
}

/* ---- the machine's actions ---------------------------------------------- */

static void run(struct kc_watch *w, struct kc_watch_step step)
{
	struct kc_error err = {0};
	switch (step.action) {
	case KC_WATCH_DO_NOTHING:
		return;
	case KC_WATCH_DO_DELIVER:
		if (w->transform)
			w->transform(w->pending_event->object, w->userdata);
		w->on_change(w, change_of(w->pending_event->type), w->pending_event->object,
		             w->userdata);
		return;
	case KC_WATCH_DO_CANCEL:
		cancel_io(w);
		return;
	case KC_WATCH_DO_WAIT:
		cancel_io(w);
		arm(w, TIMER_BACKOFF,
		    kc_backoff_delay(&w->backoff, step.backoff_failures, random01(w)));
		return;
	case KC_WATCH_DO_LIST:
		cancel_io(w);
		if (start_list(w, &err) < 0)
			feed(w, KC_WATCH_IN_LIST_FAILED, &err);
		break;
	case KC_WATCH_DO_REPLACE_AND_WATCH:
		cancel_io(w);
		/* An empty list hands over no item, but still begins: the REPLACE
		 * must not sweep against an older list's LIST_BEGIN. */
		if (w->list_items && !w->list_begun)
			w->on_change(w, KC_WATCH_LIST_BEGIN, NULL, w->userdata);
		w->on_change(w, KC_WATCH_REPLACE, w->list_items ? NULL : w->pending_items,
		             w->userdata);
		/* The consumer may have stopped us from its callback. */
		if (w->fsm.state != KC_WATCH_WATCHING || w->free_pending)
			return;
		if (start_watch(w, &err) < 0)
			feed(w, KC_WATCH_IN_WATCH_FAILED, &err);
		break;
	case KC_WATCH_DO_WATCH:
		cancel_io(w);
		if (start_watch(w, &err) < 0)
			feed(w, KC_WATCH_IN_WATCH_FAILED, &err);
		break;
	}
	kc_error_clear(&err);
}

/* The one way in: report a failure, step the machine, act. Callers hold a
 * depth reference (enter/leave) whenever consumer callbacks may run. */
static void feed(struct kc_watch *w, enum kc_watch_input in, const struct kc_error *err)
{
	if (err && w->on_error && w->fsm.state != KC_WATCH_STOPPED && !w->free_pending)
		w->on_error(w, in, err, w->userdata);
	if (w->free_pending)
		return;
	run(w, kc_watch_step(&w->fsm, in, monotonic_now()));
}

static void timer_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct kc_watch *w = t->data;
	enum timer_job job = w->job;
	w->job = TIMER_NONE;
	enter(w);
	if (job == TIMER_KICK) {
		feed(w, w->resume ? KC_WATCH_IN_RESUME : KC_WATCH_IN_START, NULL);
	} else if (job == TIMER_BACKOFF) {
		feed(w, KC_WATCH_IN_TIMER, NULL);
	} else if (job == TIMER_LIFETIME) {
		w->req = kc_request_cancel(w->req);
		feed(w, KC_WATCH_IN_WATCH_ENDED, NULL);
	}
	leave(w);
}

/* ---- public -------------------------------------------------------------- */

static int dup_opt(const char *s, char **ret)
{
	if (!s) {
		*ret = NULL;
		return 0;
	}
	*ret = strdup(s);
	return *ret ? 0 : -ENOMEM;
}

int kc_watch_new(struct kc_client *c, const struct kc_watch_options *opts, struct kc_watch **ret,
                 struct kc_error *err)
{
	if (!c || !opts || !opts->version || !opts->version[0] || !opts->resource ||
	    !opts->resource[0])
		return kc_error_set(err, -EINVAL, "watch: a version and a resource are required");
	if (!opts->on_change)
		return kc_error_set(err, -EINVAL, "watch %s: on_change is required",
		                    opts->resource);
	long min = opts->min_timeout_seconds, max = opts->max_timeout_seconds;
	if (min == 0 && max == 0) {
		min = DEFAULT_MIN_TIMEOUT;
		max = DEFAULT_MAX_TIMEOUT;
	}
	if (min < 1 || max < min)
		return kc_error_set(err, -EINVAL, "watch %s: timeout range %ld..%ld s is invalid",
		                    opts->resource, min, max);
	if (opts->resume_from && !opts->resume_from[0])
		return kc_error_set(err, -EINVAL, "watch %s: resume_from is empty", opts->resource);

	struct kc_watch *w = calloc(1, sizeof(*w));
	if (!w)
		return kc_error_set(err, -ENOMEM, "watch %s: out of memory", opts->resource);
	w->client = c;
	w->loop = kc_client_loop(c);
	bool copied = dup_opt(opts->group ? opts->group : "", &w->group) == 0 &&
	              dup_opt(opts->version, &w->version) == 0 &&
	              dup_opt(opts->resource, &w->resource) == 0 &&
	              dup_opt(opts->ns, &w->ns) == 0 &&
	              dup_opt(opts->label_selector, &w->label_selector) == 0 &&
	              dup_opt(opts->field_selector, &w->field_selector) == 0 &&
	              dup_opt(opts->resume_from, &w->rv) == 0;
	w->stream = kc_stream_new(opts->max_event_bytes);
	w->listed = json_array();
	if (!copied || !w->stream || !w->listed) {
		destroy(w);
		return kc_error_set(err, -ENOMEM, "watch %s: out of memory", opts->resource);
	}
	w->resume = opts->resume_from != NULL;
	w->fsm.healthy_after = opts->healthy_after;
	w->page_size = opts->list_page_size > 0 ? opts->list_page_size : DEFAULT_PAGE_SIZE;
	w->min_timeout = min;
	w->max_timeout = max;
	if (opts->idle_timeout < 0)
		w->idle_timeout = 0;
	else
		w->idle_timeout =
		    opts->idle_timeout > 0 ? opts->idle_timeout : DEFAULT_IDLE_TIMEOUT;
	w->backoff = opts->backoff;
	if (w->backoff.initial <= 0)
		w->backoff =
		    (struct kc_backoff){.initial = 0.8, .max = 30, .factor = 2, .jitter = 0.2};
	w->rand01 = opts->rand01;
	w->rng = ((uint64_t)time(NULL) << 20) ^ (uint64_t)(uintptr_t)w ^ 0x9e3779b97f4a7c15ull;
	w->on_change = opts->on_change;
	w->transform = opts->transform;
	w->list_items = opts->list_items;
	w->on_error = opts->on_error;
	w->userdata = opts->userdata;
	ev_init(&w->timer, timer_cb);
	w->timer.data = w;
	*ret = w;
	return 0;
}

int kc_watch_start(struct kc_watch *w)
{
	if (w->fsm.state != KC_WATCH_IDLE || w->job == TIMER_KICK)
		return -EALREADY;
	/* Deferred to the loop so no callback runs inside this call, even when
	 * the first request cannot be started at all. */
	arm(w, TIMER_KICK, 0);
	return 0;
}

void kc_watch_stop(struct kc_watch *w)
{
	if (!w)
		return;
	run(w, kc_watch_step(&w->fsm, KC_WATCH_IN_STOP, monotonic_now()));
	/* A start not yet kicked off, in IDLE, is cancelled too. */
	cancel_io(w);
}

static void destroy(struct kc_watch *w)
{
	if (w->loop)
		ev_timer_stop(w->loop, &w->timer);
	kc_request_cancel(w->req);
	kc_stream_free(w->stream);
	json_decref(w->listed);
	free(w->group);
	free(w->version);
	free(w->resource);
	free(w->ns);
	free(w->label_selector);
	free(w->field_selector);
	free(w->rv);
	free(w);
}

struct kc_watch *kc_watch_free(struct kc_watch *w)
{
	if (!w)
		return NULL;
	kc_watch_stop(w);
	if (w->depth > 0)
		w->free_pending = true;
	else
		destroy(w);
	return NULL;
}

enum kc_watch_state kc_watch_state(const struct kc_watch *w)
{
	return w->fsm.state;
}

bool kc_watch_synced(const struct kc_watch *w)
{
	return w->fsm.synced;
}

unsigned long kc_watch_restarts(const struct kc_watch *w)
{
	return w->fsm.restarts;
}

unsigned long kc_watch_relists(const struct kc_watch *w)
{
	return w->fsm.relists;
}

const char *kc_watch_resource_version(const struct kc_watch *w)
{
	return w->rv ? w->rv : "";
}
