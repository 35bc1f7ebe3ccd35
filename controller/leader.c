/*
 * The elector: the I/O around the pure machine of controller/leader-fsm.c.
 * Requests through kubeclient, four timers on the client's loop (retry,
 * request timeout, renew deadline, release timeout), and a watch on the one
 * Lease that wakes standbys when it changes.
 */
#include "controller/leader.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "model/api.h"

#include "kubeclient/apierror.h"
#include "kubeclient/path.h"
#include "kubeclient/stream.h"

/* The server ends each watch after this long (randomised a little); a new
 * one starts from the last resourceVersion seen. */
#define WATCH_SECONDS 300
/* A Lease event is a few hundred bytes; anything near this is not one. */
#define WATCH_MAX_EVENT   (256u * 1024)
#define WATCH_MAX_BACKOFF 60.0

struct ctl_leader {
	struct kc_client *c;
	struct ev_loop *loop;
	char *ns, *name, *identity;
	char *version; /* published on the Lease; NULL: none */
	char *path_item, *path_coll;
	double release_timeout;
	bool no_watch;
	ctl_leader_fn *on_started, *on_stopped;
	ctl_leader_new_fn *on_new_leader;
	ctl_leader_error_fn *on_error;
	void *userdata;

	struct ctl_leader_fsm fsm;
	unsigned long gen; /* bumped by every run(): a callback re-entered */
	unsigned long long rng;
	bool started;

	json_t *cached;    /* the Lease last read or written: base of updates */
	json_t *prev_spec; /* its spec, to tell a change from a re-read */
	char *holder;      /* holder last observed, "" when none */
	char *reported;    /* holder last reported to on_new_leader */

	struct kc_request *req; /* the read or write in flight */
	enum ctl_leader_action req_action;
	int last_err; /* the last request's failure, 0 after a success */
	bool nudge;   /* the Lease changed while a request was in flight */

	ev_timer retry, op, deadline, release_t, finish_t;

	struct kc_request *watch_req;
	struct kc_stream *stream;
	ev_timer watch_retry;
	char *watch_rv;
	unsigned watch_failures; /* consecutive failed watches: the retry backs off */

	bool release_asked, release_reported;
	int release_result;
	ctl_leader_released_fn *released_cb;
	void *released_ud;
};

static double mono_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* xorshift64*: jitter only, no need for quality or secrecy. */
static double rand01(struct ctl_leader *le)
{
	le->rng ^= le->rng >> 12;
	le->rng ^= le->rng << 25;
	le->rng ^= le->rng >> 27;
	return (double)((le->rng * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}

static void set_str(char **dst, const char *s)
{
	char *copy = strdup(s ? s : "");
	if (copy) {
		free(*dst);
		*dst = copy;
	}
}

/* err NULL: a 2xx response whose body is not an object. */
static void report_error(struct ctl_leader *le, const char *what, const struct kc_error *err)
{
	struct kc_error bad = {0};
	if (!err) {
		kc_error_set(&bad, -EBADMSG, "%s %s/%s: the response is not a Lease object", what,
		             le->ns, le->name);
		err = &bad;
	}
	if (le->on_error)
		le->on_error(le, what, err, le->userdata);
}

static void stop_timer(struct ctl_leader *le, ev_timer *t)
{
	ev_timer_stop(le->loop, t);
}

static void start_timer(struct ctl_leader *le, ev_timer *t, double after)
{
	ev_timer_stop(le->loop, t);
	ev_timer_set(t, after > 0 ? after : 0, 0);
	ev_timer_start(le->loop, t);
}

static void cancel_op(struct ctl_leader *le)
{
	le->req = kc_request_cancel(le->req);
	stop_timer(le, &le->op);
	stop_timer(le, &le->retry);
}

static void stop_watch(struct ctl_leader *le)
{
	le->watch_req = kc_request_cancel(le->watch_req);
	stop_timer(le, &le->watch_retry);
}

static void run(struct ctl_leader *le, enum ctl_leader_input in, const struct ctl_lease_view *v);

/* ---- Observations ------------------------------------------------------ */

/* Takes lease (borrowed) as the latest state and returns its view. */
static struct ctl_lease_view absorb(struct ctl_leader *le, json_t *lease)
{
	struct ctl_lease_view v = ctl_leader_view(lease, le->identity, le->prev_spec);
	json_t *spec = json_object_get(lease, "spec");
	json_decref(le->cached);
	le->cached = json_incref(lease);
	json_decref(le->prev_spec);
	le->prev_spec = json_incref(spec);
	const char *h = json_string_value(json_object_get(spec, "holderIdentity"));
	set_str(&le->holder, h);
	const char *rv = json_string_value(
	    json_object_get(json_object_get(lease, "metadata"), "resourceVersion"));
	if (rv)
		set_str(&le->watch_rv, rv);
	return v;
}

static void forget_lease(struct ctl_leader *le)
{
	le->cached = (json_decref(le->cached), NULL);
	le->prev_spec = (json_decref(le->prev_spec), NULL);
	set_str(&le->holder, "");
}

static void report_holder(struct ctl_leader *le)
{
	const char *h = le->holder ? le->holder : "";
	if (le->reported && strcmp(le->reported, h) == 0)
		return;
	set_str(&le->reported, h);
	if (le->on_new_leader && le->reported)
		le->on_new_leader(le, le->reported, le->userdata);
}

/* ---- Requests ---------------------------------------------------------- */

static bool is_write(enum ctl_leader_action a)
{
	return a == CTL_LEADER_DO_CREATE || a == CTL_LEADER_DO_ACQUIRE ||
	       a == CTL_LEADER_DO_RENEW || a == CTL_LEADER_DO_RELEASE;
}

static void start_watch(struct ctl_leader *le);

/* Once the Lease exists (we know a resourceVersion to watch from), and
 * while we campaign. */
static void maybe_start_watch(struct ctl_leader *le)
{
	bool campaigning =
	    le->fsm.state == CTL_LEADER_CANDIDATE || le->fsm.state == CTL_LEADER_LEADING;
	if (campaigning && !le->watch_req && !ev_is_active(&le->watch_retry))
		start_watch(le);
}

static void on_get(long status, json_t *body, const struct kc_error *err, void *userdata)
{
	struct ctl_leader *le = userdata;
	(void)status;
	le->req = NULL;
	stop_timer(le, &le->op);
	if (err && kc_is_not_found(err)) {
		le->last_err = 0;
		forget_lease(le);
		run(le, CTL_LEADER_IN_NOT_FOUND, NULL);
	} else if (err || !json_is_object(body)) {
		le->last_err = err ? err->code : -EBADMSG;
		report_error(le, "get lease", err);
		run(le, CTL_LEADER_IN_GET_FAILED, NULL);
	} else {
		le->last_err = 0;
		struct ctl_lease_view v = absorb(le, body);
		run(le, CTL_LEADER_IN_GOT, &v);
		maybe_start_watch(le);
	}
	report_holder(le);
}

static void on_write(long status, json_t *body, const struct kc_error *err, void *userdata)
{
	struct ctl_leader *le = userdata;
	(void)status;
	le->req = NULL;
	stop_timer(le, &le->op);
	if (err && (kc_is_conflict(err) || kc_is_already_exists(err))) {
		le->last_err = err->code;
		run(le, CTL_LEADER_IN_CONFLICT, NULL);
	} else if (err || !json_is_object(body)) {
		le->last_err = err ? err->code : -EBADMSG;
		report_error(le, "write lease", err);
		run(le, CTL_LEADER_IN_WRITE_FAILED, NULL);
	} else {
		le->last_err = 0;
		struct ctl_lease_view v = absorb(le, body);
		run(le, CTL_LEADER_IN_WRITTEN, &v);
		maybe_start_watch(le);
	}
	report_holder(le);
}

/* The request outlived its step's timeout (or could not start at all). */
static void on_op_timer(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct ctl_leader *le = t->data;
	(void)loop;
	(void)revents;
	le->req = kc_request_cancel(le->req);
	if (le->last_err == 0)
		le->last_err = -ETIMEDOUT;
	run(le, is_write(le->req_action) ? CTL_LEADER_IN_WRITE_FAILED : CTL_LEADER_IN_GET_FAILED,
	    NULL);
}

static void start_request(struct ctl_leader *le, const struct ctl_leader_step *s)
{
	struct kc_error err = {0};
	json_t *body = NULL;
	struct kc_request_options o = {
	    .method = KC_GET,
	    .path = le->path_item,
	    .timeout = s->timeout > 0 ? s->timeout : 0.001,
	    .on_done = on_get,
	    .userdata = le,
	};
	le->req_action = s->action;
	le->last_err = 0;
	le->nudge = false;
	int rc = 0;
	if (is_write(s->action)) {
		char wall[40];
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		rc = ctl_leader_format_time(&ts, wall, sizeof(wall));
		if (rc == 0)
			rc = ctl_leader_lease_body(s->action, le->ns, le->name, le->identity,
			                           le->version, (int)ceil(le->fsm.lease_duration),
			                           wall, le->cached, &body);
		o.method = KC_PUT;
		if (s->action == CTL_LEADER_DO_CREATE) {
			o.method = KC_POST;
			o.path = le->path_coll;
		}
		o.body = body;
		o.content_type = KC_CONTENT_JSON;
		o.on_done = on_write;
	}
	if (rc == 0)
		rc = kc_request_start(le->c, &o, &le->req, &err);
	json_decref(body);
	if (rc < 0) {
		/* Report the failure from the loop, as any other: through the
		 * timeout timer, at once. */
		le->req = NULL;
		le->last_err = rc;
		if (err.message[0])
			report_error(le, "start lease request", &err);
		kc_error_clear(&err);
		start_timer(le, &le->op, 0);
		return;
	}
	start_timer(le, &le->op, o.timeout);
}

/* ---- The watch: a hint that the Lease changed -------------------------- */

static int on_watch_event(void *userdata, const struct kc_event *ev)
{
	struct ctl_leader *le = userdata;
	if (ev->type == KC_EVENT_ERROR)
		return -ESTALE; /* resourceVersion too old, most likely: watch afresh */
	le->watch_failures = 0;
	if (ev->resource_version)
		set_str(&le->watch_rv, ev->resource_version);
	if (ev->type == KC_EVENT_BOOKMARK)
		return 0;
	enum ctl_leader_state st = le->fsm.state;
	if (st != CTL_LEADER_CANDIDATE && st != CTL_LEADER_LEADING)
		return 0;
	if (le->req) {
		le->nudge = true; /* read again once the request in flight is done */
		return 0;
	}
	if (ev->type == KC_EVENT_DELETED) {
		forget_lease(le);
		run(le, CTL_LEADER_IN_NOT_FOUND, NULL);
	} else {
		struct ctl_lease_view v = ctl_leader_view(ev->object, le->identity, le->prev_spec);
		/* A leader's own renewals echo here; only a foreign holder matters. */
		if (st == CTL_LEADER_LEADING && v.ours)
			return 0;
		v = absorb(le, ev->object);
		run(le, CTL_LEADER_IN_GOT, &v);
	}
	report_holder(le);
	/* The run may have released and stopped the watch under us. */
	return le->watch_req ? 0 : -ECANCELED;
}

static int on_watch_data(const char *data, size_t len, void *userdata)
{
	struct ctl_leader *le = userdata;
	struct kc_error err = {0};
	struct kc_request *self = le->watch_req;
	int rc = kc_stream_feed(le->stream, data, len, on_watch_event, le, &err);
	kc_error_clear(&err);
	if (rc == -ECANCELED && le->watch_req != self)
		return 0; /* stopped (and maybe restarted) from inside: not ours to end */
	return rc < 0 ? rc : 0;
}

static void on_watch_done(long status, json_t *body, const struct kc_error *err, void *userdata)
{
	struct ctl_leader *le = userdata;
	(void)status;
	(void)body;
	le->watch_req = NULL;
	double delay = 0;
	/* -ESTALE and -ECANCELED are our own verdicts on the stream, not news. */
	if (err && err->code != -ESTALE && err->code != -ECANCELED)
		report_error(le, "watch lease", err);
	if (err) {
		/* Start over from the present; the polls cover any gap. A watch
		 * that keeps failing (RBAC without "watch", say) backs off to a
		 * minute rather than costing a request every retry period. */
		le->watch_rv = (free(le->watch_rv), NULL);
		if (le->watch_failures < 16)
			le->watch_failures++;
		delay = le->fsm.retry_period * (double)(1u << (le->watch_failures - 1));
		if (delay > WATCH_MAX_BACKOFF)
			delay = WATCH_MAX_BACKOFF;
	} else {
		le->watch_failures = 0;
	}
	if (le->fsm.state == CTL_LEADER_CANDIDATE || le->fsm.state == CTL_LEADER_LEADING)
		start_timer(le, &le->watch_retry, delay);
}

static void start_watch(struct ctl_leader *le)
{
	if (le->no_watch || le->watch_req)
		return;
	char *sel = NULL;
	char *path = NULL;
	struct kc_error err = {0};
	size_t n = strlen(le->name) + sizeof("metadata.name=");
	sel = malloc(n);
	if (!sel)
		goto retry;
	snprintf(sel, n, "metadata.name=%s", le->name);
	struct kc_ref ref = {.group = model_lease_gvk.group,
	                     .version = model_lease_gvk.version,
	                     .resource = model_lease_gvk.resource,
	                     .ns = le->ns};
	struct kc_query q = {
	    .field_selector = sel,
	    .resource_version = le->watch_rv,
	    .watch = true,
	    .timeout_seconds = WATCH_SECONDS + (long)(rand01(le) * WATCH_SECONDS / 5),
	};
	if (kc_path_build(&ref, &q, &path) < 0)
		goto retry;
	kc_stream_reset(le->stream);
	struct kc_request_options o = {
	    .method = KC_GET,
	    .path = path,
	    .on_data = on_watch_data,
	    .idle_timeout = WATCH_SECONDS * 1.5,
	    .on_done = on_watch_done,
	    .userdata = le,
	};
	if (kc_request_start(le->c, &o, &le->watch_req, &err) < 0) {
		report_error(le, "watch lease", &err);
		goto retry;
	}
	free(sel);
	free(path);
	return;
retry:
	kc_error_clear(&err);
	free(sel);
	free(path);
	le->watch_req = NULL;
	start_timer(le, &le->watch_retry, le->fsm.retry_period);
}

static void on_watch_retry(struct ev_loop *loop, ev_timer *t, int revents)
{
	(void)loop;
	(void)revents;
	start_watch(t->data);
}

/* ---- The machine's steps, carried out ---------------------------------- */

static void arm_deadline(struct ctl_leader *le)
{
	if (le->fsm.state != CTL_LEADER_LEADING) {
		stop_timer(le, &le->deadline);
		return;
	}
	ev_now_update(le->loop);
	double left = le->fsm.renewed_at + le->fsm.renew_deadline - mono_now();
	/* libev may run a timer a hair before our clock says it is due; the
	 * machine then ignores it and we come back here for the rest. */
	start_timer(le, &le->deadline, left + 0.0005);
}

static void finish(struct ctl_leader *le)
{
	cancel_op(le);
	stop_watch(le);
	stop_timer(le, &le->deadline);
	if (le->release_asked && !le->release_reported) {
		stop_timer(le, &le->release_t);
		le->release_result = le->last_err;
		start_timer(le, &le->finish_t, 0);
	}
}

static void run(struct ctl_leader *le, enum ctl_leader_input in, const struct ctl_lease_view *v)
{
	struct ctl_leader_event ev = {.in = in, .now = mono_now(), .rand01 = rand01(le)};
	if (v)
		ev.lease = *v;
	unsigned long gen = ++le->gen;
	struct ctl_leader_step s = ctl_leader_step(&le->fsm, &ev);

	if (s.action != CTL_LEADER_DO_NOTHING)
		cancel_op(le);
	if (s.stopped_leading) {
		/* Writes stop before anything else happens, the release included. */
		stop_timer(le, &le->deadline);
		if (le->on_stopped)
			le->on_stopped(le, le->userdata);
		if (gen != le->gen)
			return; /* the callback released: that run took over */
	}
	switch (s.action) {
	case CTL_LEADER_DO_NOTHING:
		break;
	case CTL_LEADER_DO_WAIT:
		if (le->nudge && le->fsm.state == CTL_LEADER_CANDIDATE)
			s.wait = 0;
		le->nudge = false;
		start_timer(le, &le->retry, s.wait);
		break;
	case CTL_LEADER_DO_GET:
	case CTL_LEADER_DO_CREATE:
	case CTL_LEADER_DO_ACQUIRE:
	case CTL_LEADER_DO_RENEW:
	case CTL_LEADER_DO_RELEASE:
		start_request(le, &s);
		break;
	case CTL_LEADER_DO_FINISH:
		finish(le);
		break;
	}
	arm_deadline(le);
	if (s.started_leading && le->fsm.state == CTL_LEADER_LEADING && le->on_started)
		le->on_started(le, le->userdata);
}

static void on_retry(struct ev_loop *loop, ev_timer *t, int revents)
{
	(void)loop;
	(void)revents;
	run(t->data, CTL_LEADER_IN_TICK, NULL);
}

static void on_deadline(struct ev_loop *loop, ev_timer *t, int revents)
{
	(void)loop;
	(void)revents;
	run(t->data, CTL_LEADER_IN_DEADLINE, NULL);
}

static void on_release_timeout(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct ctl_leader *le = t->data;
	(void)loop;
	(void)revents;
	le->last_err = -ETIMEDOUT;
	run(le, CTL_LEADER_IN_STOP, NULL);
}

static void on_finish(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct ctl_leader *le = t->data;
	(void)loop;
	(void)revents;
	if (le->release_reported)
		return;
	le->release_reported = true;
	if (le->released_cb)
		le->released_cb(le, le->release_result, le->released_ud);
}

/* ---- Public API ------------------------------------------------------- */

static char *default_identity(void)
{
	char host[HOST_NAME_MAX + 1] = "";
	if (gethostname(host, sizeof(host)) < 0 || host[0] == '\0')
		snprintf(host, sizeof(host), "unknown");
	host[sizeof(host) - 1] = '\0';
	char id[HOST_NAME_MAX + 32];
	snprintf(id, sizeof(id), "%s_%ld", host, (long)getpid());
	return strdup(id);
}

static char *lease_path(const char *ns, const char *name)
{
	struct kc_ref ref = {.group = model_lease_gvk.group,
	                     .version = model_lease_gvk.version,
	                     .resource = model_lease_gvk.resource,
	                     .ns = ns,
	                     .name = name};
	char *p = NULL;
	return kc_path_build(&ref, NULL, &p) < 0 ? NULL : p;
}

int ctl_leader_new(struct kc_client *c, const struct ctl_leader_options *o, struct ctl_leader **ret,
                   struct kc_error *err)
{
	if (!c || !o || !o->ns || !o->ns[0] || !o->name || !o->name[0])
		return kc_error_set(err, -EINVAL,
		                    "leader election: lease namespace and name needed");
	double ld = o->lease_duration > 0 ? o->lease_duration : CTL_LEADER_LEASE_DURATION;
	double rd = o->renew_deadline > 0 ? o->renew_deadline : CTL_LEADER_RENEW_DEADLINE;
	double rp = o->retry_period > 0 ? o->retry_period : CTL_LEADER_RETRY_PERIOD;
	if (ctl_leader_check_durations(ld, rd, rp) < 0)
		return kc_error_set(err, -EINVAL,
		                    "leader election: need lease duration (%g s) > renew deadline "
		                    "(%g s) > %g x retry period (%g s) > 0",
		                    ld, rd, CTL_LEADER_JITTER, rp);
	if (o->identity && (!o->identity[0] || strlen(o->identity) > CTL_LEADER_MAX_IDENTITY))
		return kc_error_set(err, -EINVAL, "leader election: identity must be 1 to %d bytes",
		                    CTL_LEADER_MAX_IDENTITY);

	struct ctl_leader *le = calloc(1, sizeof(*le));
	if (!le)
		return kc_error_set(err, -ENOMEM, "leader election: out of memory");
	le->c = c;
	le->loop = kc_client_loop(c);
	le->ns = strdup(o->ns);
	le->name = strdup(o->name);
	le->identity = o->identity ? strdup(o->identity) : default_identity();
	le->version = o->version ? strdup(o->version) : NULL;
	le->path_item = lease_path(o->ns, o->name);
	le->path_coll = lease_path(o->ns, NULL);
	le->holder = strdup("");
	le->reported = strdup(""); /* as client-go: no leader is not news */
	le->stream = kc_stream_new(WATCH_MAX_EVENT);
	if (!le->ns || !le->name || !le->identity || !le->holder || !le->reported || !le->stream ||
	    (o->version && !le->version)) {
		ctl_leader_free(le);
		return kc_error_set(err, -ENOMEM, "leader election: out of memory");
	}
	if (!le->path_item || !le->path_coll || strlen(le->identity) > CTL_LEADER_MAX_IDENTITY) {
		ctl_leader_free(le);
		return kc_error_set(err, -EINVAL, "leader election: bad lease %s/%s or identity",
		                    o->ns, o->name);
	}
	le->release_timeout =
	    o->release_timeout > 0 ? o->release_timeout : CTL_LEADER_RELEASE_TIMEOUT;
	le->no_watch = o->no_watch;
	le->on_started = o->on_started_leading;
	le->on_stopped = o->on_stopped_leading;
	le->on_new_leader = o->on_new_leader;
	le->on_error = o->on_error;
	le->userdata = o->userdata;
	le->fsm.lease_duration = ld;
	le->fsm.renew_deadline = rd;
	le->fsm.retry_period = rp;

	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	le->rng = ((unsigned long long)ts.tv_nsec << 20) ^ (unsigned long long)ts.tv_sec ^
	          ((unsigned long long)getpid() << 40) ^ (unsigned long long)(uintptr_t)le;
	if (le->rng == 0)
		le->rng = 88172645463325252ULL;

	ev_timer_init(&le->retry, on_retry, 0, 0);
	ev_timer_init(&le->op, on_op_timer, 0, 0);
	ev_timer_init(&le->deadline, on_deadline, 0, 0);
	ev_timer_init(&le->release_t, on_release_timeout, 0, 0);
	ev_timer_init(&le->finish_t, on_finish, 0, 0);
	ev_timer_init(&le->watch_retry, on_watch_retry, 0, 0);
	le->retry.data = le->op.data = le->deadline.data = le;
	le->release_t.data = le->finish_t.data = le->watch_retry.data = le;
	*ret = le;
	return 0;
}

int ctl_leader_start(struct ctl_leader *le)
{
	if (le->started)
		return -EALREADY;
	le->started = true;
	run(le, CTL_LEADER_IN_START, NULL);
	return 0;
}

bool ctl_leader_is_leader(const struct ctl_leader *le)
{
	return le && ctl_leader_fsm_leading(&le->fsm, mono_now());
}

const char *ctl_leader_identity(const struct ctl_leader *le)
{
	return le->identity;
}

const char *ctl_leader_holder(const struct ctl_leader *le)
{
	return le->holder ? le->holder : "";
}

enum ctl_leader_state ctl_leader_state(const struct ctl_leader *le)
{
	return le->fsm.state;
}

int ctl_leader_release(struct ctl_leader *le, ctl_leader_released_fn *cb, void *userdata)
{
	if (le->release_asked)
		return -EALREADY;
	le->release_asked = true;
	le->released_cb = cb;
	le->released_ud = userdata;
	le->last_err = 0;
	start_timer(le, &le->release_t, le->release_timeout);
	run(le, CTL_LEADER_IN_RELEASE, NULL);
	if (le->fsm.state == CTL_LEADER_STOPPED && !ev_is_active(&le->finish_t) &&
	    !le->release_reported)
		finish(le); /* already stopped before: still report, from the loop */
	return 0;
}

struct ctl_leader *ctl_leader_free(struct ctl_leader *le)
{
	if (!le)
		return NULL;
	if (le->loop) {
		cancel_op(le);
		stop_watch(le);
		stop_timer(le, &le->deadline);
		stop_timer(le, &le->release_t);
		stop_timer(le, &le->finish_t);
	}
	json_decref(le->cached);
	json_decref(le->prev_spec);
	kc_stream_free(le->stream);
	free(le->ns);
	free(le->name);
	free(le->identity);
	free(le->version);
	free(le->path_item);
	free(le->path_coll);
	free(le->holder);
	free(le->reported);
	free(le->watch_rv);
	free(le);
	return NULL;
}
