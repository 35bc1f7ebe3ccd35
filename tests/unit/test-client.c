/*
 * The HTTP client against a scripted HTTP/1.1 server on loopback: retries,
 * Retry-After, 401 re-authentication, timeouts, streaming, cancellation,
 * pagination and the rate limit, observed from the client's callbacks and
 * from the requests the server saw.
 */
#include "loopback-config.h"
#include "scripted-server.h"
#include "tap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kubeclient/apierror.h"
#include "kubeclient/client.h"
#include "kubeclient/http.h"
#include "kubeclient/rest.h"

static struct ss_server *srv;

#define STATUS_404                                                                                 \
	"{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"message\":"           \
	"\"configmaps \\\"x\\\" not "                                                              \
	"found\",\"reason\":\"NotFound\",\"code\":404}"

/* ---- client side helpers ---- */

static struct ev_loop *loop;
static struct kc_config *cfg;

struct done {
	bool called;
	int calls;
	long status;
	int code;
	char message[512];
	json_t *body;
	bool reason_not_found;
	double retry_after;
};

static void on_done(long status, json_t *body, const struct kc_error *err, void *userdata)
{
	struct done *d = userdata;
	d->called = true;
	d->calls++;
	d->status = status;
	d->code = err ? err->code : 0;
	snprintf(d->message, sizeof(d->message), "%s", err ? err->message : "");
	d->reason_not_found = kc_is_not_found(err);
	d->retry_after = err ? err->retry_after : -1;
	json_decref(d->body);
	d->body = json_incref(body);
}

static void wake(struct ev_loop *l, ev_timer *w, int revents)
{
	*(bool *)w->data = true;
}

/* Runs the loop until *flag or max_seconds: a timer wakes the loop then,
 * so a request waiting far longer cannot hold the test in ev_run. */
static void run_until(bool *flag, double max_seconds)
{
	double end = ev_time() + max_seconds;
	bool expired = false;
	ev_timer t;
	ev_timer_init(&t, wake, max_seconds, 0.);
	t.data = &expired;
	ev_timer_start(loop, &t);
	while (!*flag && !expired && ev_time() < end)
		ev_run(loop, EVRUN_ONCE);
	ev_timer_stop(loop, &t);
}

/* What the clients made by client() said of their retries. */
static struct {
	unsigned n;
	long status[8];
	double delay[8];
	char path[8][64];
	bool error[8];
} retried;

static void record_retry(const char *verb, const char *path, long status, const char *error,
                         double delay, void *userdata)
{
	(void)verb;
	(void)userdata;
	if (retried.n < 8) {
		retried.status[retried.n] = status;
		retried.delay[retried.n] = delay;
		snprintf(retried.path[retried.n], sizeof(retried.path[0]), "%s", path);
		retried.error[retried.n] = error != NULL;
	}
	retried.n++;
}

static struct kc_client *client(double qps, unsigned max_retries)
{
	struct kc_client_options o = {
	    .qps = qps,
	    .burst = 1,
	    .timeout = 2,
	    .max_retries = max_retries,
	    .backoff = {.initial = 0.01, .max = 0.05, .factor = 2, .jitter = 0},
	    .on_retry = record_retry,
	};
	struct kc_client *c = NULL;
	struct kc_error err = {0};
	if (kc_client_new(loop, cfg, &o, &c, &err) < 0)
		tap_diag("kc_client_new: %s", err.message);
	return c;
}

static const struct kc_ref cm_x = {
    .version = "v1", .resource = "configmaps", .ns = "ns", .name = "x"};

static void test_get_and_async(void)
{
	const struct ss_action script[] = {
	    {.act = SS_SEND,
	     .text = ss_response(srv, 200, "", "{\"kind\":\"ConfigMap\",\"data\":{\"a\":\"b\"}}")}};
	struct kc_client *c = client(-1, 3);
	struct done d = {0};
	ss_start(srv, script, 1);
	is_int(kc_get(c, &cm_x, NULL, on_done, &d, NULL, NULL), 0, "get starts");
	ok(!d.called, "callback does not run inside kc_get");
	run_until(&d.called, 5);
	ss_join(srv);
	is_int(d.status, 200, "get: 200");
	is_str(json_string_value(json_object_get(json_object_get(d.body, "data"), "a")), "b",
	       "get: body parsed");
	is_str(ss_request(srv, 0)->line, "GET /api/v1/namespaces/ns/configmaps/x HTTP/1.1",
	       "get: request line");
	is_str(ss_request(srv, 0)->authorization, "Bearer tok-1", "get: bearer token sent");
	json_decref(d.body);
	kc_client_free(c);
}

static void test_not_found(void)
{
	const struct ss_action script[] = {
	    {.act = SS_SEND, .text = ss_response(srv, 404, "", STATUS_404)}};
	struct kc_client *c = client(-1, 3);
	struct done d = {0};
	ss_start(srv, script, 1);
	kc_get(c, &cm_x, NULL, on_done, &d, NULL, NULL);
	run_until(&d.called, 5);
	ss_join(srv);
	is_int(d.status, 404, "404 status");
	is_int(d.code, -ENOENT, "404 is -ENOENT");
	ok(d.reason_not_found, "kc_is_not_found");
	is_str(d.message,
	       "GET /api/v1/namespaces/ns/configmaps/x: 404 NotFound: configmaps \"x\" not found",
	       "404 message");
	is_int(ss_seen(srv), 1, "404 not retried");
	json_decref(d.body);
	kc_client_free(c);
}

static unsigned long count_of(const struct kc_request_count *c, size_t n, const char *verb,
                              long code)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(c[i].verb, verb) == 0 && c[i].code == code)
			return c[i].count;
	return 0;
}

static void test_retries(void)
{
	/* 429 with Retry-After: 0, then 503, then success: a GET goes through. */
	const struct ss_action script[] = {
	    {.act = SS_SEND,
	     .text = ss_response(srv, 429, "Retry-After: 0\r\n",
	                         "{\"kind\":\"Status\",\"reason\":\"TooManyRequests\"}")},
	    {.act = SS_SEND, .text = ss_response(srv, 503, "", "overloaded")},
	    {.act = SS_SEND, .text = ss_response(srv, 200, "", "{\"kind\":\"ConfigMap\"}")},
	};
	struct kc_client *c = client(-1, 3);
	struct done d = {0};
	memset(&retried, 0, sizeof(retried));
	ss_start(srv, script, 3);
	kc_get(c, &cm_x, NULL, on_done, &d, NULL, NULL);
	run_until(&d.called, 5);
	ss_join(srv);
	is_int(d.status, 200, "GET retried through 429 and 503");
	is_int(ss_seen(srv), 3, "three attempts");
	json_decref(d.body);
	is_int(retried.n, 2, "on_retry: once per retried attempt");
	is_int(retried.status[0], 429, "on_retry: the 429 first");
	ok(retried.delay[0] == 0, "on_retry: after Retry-After: 0 (%g s)", retried.delay[0]);
	is_int(retried.status[1], 503, "on_retry: then the 503");
	ok(retried.delay[1] == 0.02, "on_retry: after the backoff of a second retry (%g s)",
	   retried.delay[1]);
	is_str(retried.path[1], "/api/v1/namespaces/ns/configmaps/x",
	       "on_retry: the request's path");
	ok(!retried.error[0] && !retried.error[1],
	   "on_retry: no transport error when the server answered");

	/* A POST is not retried on 503, but is on 429. */
	const struct ss_action post_script[] = {
	    {.act = SS_SEND, .text = ss_response(srv, 429, "Retry-After: 0\r\n", "{}")},
	    {.act = SS_SEND, .text = ss_response(srv, 503, "", "{}")},
	};
	struct done p = {0};
	json_t *obj = json_pack("{s:s}", "kind", "ConfigMap");
	const struct kc_ref coll = {.version = "v1", .resource = "configmaps", .ns = "ns"};
	ss_start(srv, post_script, 2);
	kc_create(c, &coll, NULL, obj, on_done, &p, NULL, NULL);
	run_until(&p.called, 5);
	ss_join(srv);
	is_int(p.status, 503, "POST: 503 reported, not retried");
	is_int(ss_seen(srv), 2, "POST: one retry for the 429 only");
	is_str(ss_request(srv, 1)->content_type, "application/json", "POST content type");
	is_str(ss_request(srv, 1)->body, "{\"kind\":\"ConfigMap\"}", "POST body");
	json_decref(obj);
	json_decref(p.body);

	/* Retries are bounded. */
	const struct ss_action always_503[] = {
	    {.act = SS_SEND, .text = ss_response(srv, 503, "", "{}")},
	    {.act = SS_SEND, .text = ss_response(srv, 503, "", "{}")},
	    {.act = SS_SEND, .text = ss_response(srv, 503, "", "{}")},
	    {.act = SS_SEND, .text = ss_response(srv, 503, "", "{}")},
	};
	struct done b = {0};
	ss_start(srv, always_503, 4);
	kc_get(c, &cm_x, NULL, on_done, &b, NULL, NULL);
	run_until(&b.called, 5);
	ss_join(srv);
	is_int(b.status, 503, "GET gives up with the last 503");
	is_int(ss_seen(srv), 4, "first attempt plus max_retries (3)");
	is_int(b.code, -EIO, "503 is -EIO");
	json_decref(b.body);

	struct kc_request_count counts[KC_REQUEST_COUNTS_MAX];
	size_t n = kc_client_request_counts(c, counts, KC_REQUEST_COUNTS_MAX);
	is_int(n, 5, "five distinct (verb, code) pairs");
	is_int(count_of(counts, n, "GET", 429), 1, "GET 429 counted once");
	is_int(count_of(counts, n, "GET", 503), 5, "GET 503: one, then four");
	is_int(count_of(counts, n, "GET", 200), 1, "GET 200 once");
	is_int(count_of(counts, n, "POST", 429), 1, "POST 429 once");
	is_int(count_of(counts, n, "POST", 503), 1, "POST 503 once");
	struct kc_client_stats st;
	kc_client_stats(c, &st);
	is_int(st.attempts, 9, "nine attempts in all");
	is_int(st.retries, 6, "six of them retries (2 + 1 + 3)");
	is_int(retried.n, 6, "on_retry: called for each of the six, not for the POST's 503");
	kc_client_free(c);
}

/* More distinct statuses than the table holds: the rest land in the verb's
 * overflow row (code -1), nothing is lost. */
/* A Retry-After past the request's deadline: the call fails at once, and
 * the error carries the server's delay for the caller to requeue with. */
static void test_server_delay(void)
{
	const struct ss_action script[] = {
	    {.act = SS_SEND,
	     .text = ss_response(srv, 429, "Retry-After: 3600\r\n",
	                         "{\"kind\":\"Status\",\"status\":\"Failure\",\"reason\":"
	                         "\"TooManyRequests\",\"message\":\"slow down\",\"code\":429}")},
	    {.act = SS_SEND, .text = ss_response(srv, 503, "Retry-After: 5\r\n", "busy")},
	};
	struct kc_client_options o = {.qps = -1, .deadline = 2, .max_retries = 3};
	struct kc_client *c = NULL;
	if (kc_client_new(loop, cfg, &o, &c, NULL) < 0)
		return;
	struct done d = {0};
	json_t *obj = json_pack("{s:s}", "kind", "ConfigMap");
	const struct kc_ref coll = {.version = "v1", .resource = "configmaps", .ns = "ns"};
	ss_start(srv, script, 2);
	double t0 = ev_time();
	kc_create(c, &coll, NULL, obj, on_done, &d, NULL, NULL);
	run_until(&d.called, 5);
	double took = ev_time() - t0;
	ok(d.called && took < 1, "429 Retry-After: 3600, 2 s deadline: failed at once (%.2f s)",
	   took);
	is_int(d.code, -EAGAIN, "as -EAGAIN");
	ok(d.retry_after == 3600, "err->retry_after is the server's 3600 s (%g)", d.retry_after);
	ok(strstr(d.message,
	          "TooManyRequests: slow down (the server asks to retry after 3600 s)") != NULL,
	   "the message says so: %s", d.message);

	struct done g = {0};
	kc_get(c, &cm_x, NULL, on_done, &g, NULL, NULL);
	run_until(&g.called, 5);
	ss_join(srv);
	is_int(g.status, 503, "503 Retry-After: 5 past the deadline: the 503");
	ok(g.retry_after == 5, "with the server's 5 s (%g)", g.retry_after);
	is_int(ss_seen(srv), 2, "neither retried");
	json_decref(obj);
	json_decref(d.body);
	json_decref(g.body);
	kc_client_free(c);
}

static void test_count_overflow(void)
{
	enum { N = KC_REQUEST_COUNTS_MAX + 6 };
	static struct ss_action script[N];
	struct kc_client *c = client(-1, 3);
	const struct kc_ref coll = {.version = "v1", .resource = "configmaps", .ns = "ns"};
	json_t *obj = json_pack("{s:s}", "kind", "ConfigMap");
	for (int i = 0; i < N; i++)
		script[i].act = SS_SEND;
	ss_start(srv, script, N);
	for (int i = 0; i < N; i++) {
		struct done d = {0};
		/* Set just before the request it answers: the server reads an
		 * action only once that action's connection has arrived. */
		script[i].text = ss_response(srv, 430 + i, "", "{}");
		kc_create(c, &coll, NULL, obj, on_done, &d, NULL, NULL);
		run_until(&d.called, 5);
		json_decref(d.body);
	}
	ss_join(srv);
	struct kc_request_count counts[KC_REQUEST_COUNTS_MAX + 8];
	size_t n = kc_client_request_counts(c, counts, KC_REQUEST_COUNTS_MAX + 8);
	is_int(n, KC_REQUEST_COUNTS_MAX + 1, "table full plus one overflow row");
	is_int(count_of(counts, n, "POST", 430), 1, "first status has its own row");
	is_int(count_of(counts, n, "POST", 430 + KC_REQUEST_COUNTS_MAX), 0, "status 65 has none");
	is_int(count_of(counts, n, "POST", -1), N - KC_REQUEST_COUNTS_MAX,
	       "the rest counted under -1");
	json_decref(obj);
	kc_client_free(c);
}

static void test_reauth(void)
{
	const struct ss_action script[] = {
	    {.act = SS_SEND,
	     .text = ss_response(srv, 401, "",
	                         "{\"kind\":\"Status\",\"reason\":\"Unauthorized\",\"code\":401}")},
	    {.act = SS_SEND, .text = ss_response(srv, 200, "", "{}")},
	    {.act = SS_SEND,
	     .text = ss_response(srv, 401, "",
	                         "{\"kind\":\"Status\",\"reason\":\"Unauthorized\",\"code\":401}")},
	    {.act = SS_SEND,
	     .text = ss_response(srv, 401, "",
	                         "{\"kind\":\"Status\",\"reason\":\"Unauthorized\",\"code\":401}")},
	};
	struct kc_client *c = client(-1, 3);
	struct done d = {0}, e = {0}, f = {0};
	ss_start(srv, script, 4);
	kc_get(c, &cm_x, NULL, on_done, &d, NULL, NULL);
	run_until(&d.called, 5);
	is_int(d.status, 200, "401 then 200: succeeds after re-auth");
	kc_get(c, &cm_x, NULL, on_done, &e, NULL, NULL);
	run_until(&e.called, 5);
	ss_join(srv);
	is_int(e.status, 401, "401 twice: reported");
	is_int(e.code, -EACCES, "401 is -EACCES");
	is_int(ss_seen(srv), 4, "one re-auth retry per request");
	struct kc_client_stats st;
	kc_client_stats(c, &st);
	is_int(st.retries, 2, "re-auth attempts count as retries");

	/* A 401 to a POST whose body is cut short by the server closing the
	 * stream is still a 401: re-authenticate and retry. */
	const struct ss_action cut[] = {
	    {.act = SS_SEND,
	     .text = "HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\n"
	             "Content-Length: 200\r\n\r\n{\"kind\":\"Status\",\"rea"},
	    {.act = SS_SEND, .text = ss_response(srv, 201, "", "{\"kind\":\"ConfigMap\"}")},
	};
	json_t *obj = json_pack("{s:s}", "kind", "ConfigMap");
	const struct kc_ref coll = {.version = "v1", .resource = "configmaps", .ns = "ns"};
	ss_start(srv, cut, 2);
	kc_create(c, &coll, NULL, obj, on_done, &f, NULL, NULL);
	run_until(&f.called, 5);
	ss_join(srv);
	is_int(f.status, 201, "cut-off 401 to a POST: re-authenticated and created: %s", f.message);
	json_decref(obj);
	json_decref(f.body);
	json_decref(d.body);
	json_decref(e.body);
	kc_client_free(c);
}

static void test_timeout(void)
{
	const struct ss_action script[] = {{.act = SS_HANG}};
	struct kc_client *c = client(-1, 3);
	struct done d = {0};
	struct kc_request_options o = {.method = KC_POST,
	                               .path = "/api/v1/namespaces/ns/configmaps",
	                               .timeout = 0.3,
	                               .on_done = on_done,
	                               .userdata = &d};
	ss_start(srv, script, 1);
	double t0 = ev_time();
	kc_request_start(c, &o, NULL, NULL);
	run_until(&d.called, 5);
	double took = ev_time() - t0;
	struct kc_request_count counts[8];
	size_t n = kc_client_request_counts(c, counts, 8);
	is_int(count_of(counts, n, "POST", 0), 1, "a timed-out attempt is counted under code 0");
	kc_client_free(c); /* closes the connection, so the server thread ends */
	ss_join(srv);
	is_int(d.code, -ETIMEDOUT, "per-request timeout: -ETIMEDOUT");
	ok(took > 0.25 && took < 5, "timed out after about 0.3 s (%.2f s)", took);
	ok(strstr(d.message, "timed out") != NULL, "message says timed out: %s", d.message);
}

static void test_refused(void)
{
	struct kc_config *bad = test_loopback_config("http://127.0.0.1:1", "tok-1", "ns");
	struct kc_client_options o = {
	    .qps = -1, .max_retries = 2, .backoff = {.initial = 0.01, .max = 0.01, .factor = 1}};
	struct kc_client *c = NULL;
	struct done d = {0};
	kc_client_new(loop, bad, &o, &c, NULL);
	kc_get(c, &cm_x, NULL, on_done, &d, NULL, NULL);
	run_until(&d.called, 10);
	is_int(d.code, -ECONNREFUSED, "connection refused after retries");
	ok(strstr(d.message, "cannot connect to http://127.0.0.1:1") != NULL,
	   "message names the server: %s", d.message);
	kc_client_free(c);
	kc_config_free(bad);
}

struct stream {
	char got[256];
	size_t len;
	int chunks;
	struct kc_request *req;
	bool cancel_at_second;
	struct done done;
	/* What a watch does from inside on_data: cancel another stream and
	 * start a new request. */
	struct stream *other;
	struct kc_client *client;
	struct done *started;
};

static int on_data(const char *data, size_t len, void *userdata)
{
	struct stream *s = userdata;
	if (s->len + len < sizeof(s->got)) {
		memcpy(s->got + s->len, data, len);
		s->len += len;
		s->got[s->len] = '\0';
	}
	s->chunks++;
	if (s->cancel_at_second && s->chunks == 2) {
		s->req = kc_request_cancel(s->req);
		s->done.called = true; /* only to stop run_until */
		if (s->other)
			s->other->req = kc_request_cancel(s->other->req);
		if (s->started &&
		    kc_get(s->client, &cm_x, NULL, on_done, s->started, NULL, NULL) < 0)
			tap_diag("kc_get from on_data failed");
	}
	return 0;
}

static void stream_done(long status, json_t *body, const struct kc_error *err, void *userdata)
{
	struct stream *s = userdata;
	on_done(status, body, err, &s->done);
}

static void test_stream(void)
{
	/* Bytes arrive in order; the end of the response completes the request. */
	const struct ss_action script[] = {
	    {.act = SS_STREAM_HOLD,
	     .text = SS_CHUNKED_HEAD,
	     .parts = {"{\"type\":\"ADDED\"}\n", "{\"type\":", "\"MODIFIED\"}\n", NULL}},
	};
	struct kc_client *c = client(-1, 3);
	struct stream s = {0};
	struct kc_request_options o = {
	    .method = KC_GET,
	    .path = "/api/v1/namespaces/ns/configmaps?watch=1",
	    .on_data = on_data,
	    .idle_timeout = 1.0,
	    .on_done = stream_done,
	    .userdata = &s,
	};
	ss_start(srv, script, 1);
	kc_request_start(c, &o, &s.req, NULL);
	/* The server keeps the stream open after the parts: the idle timeout ends it. */
	run_until(&s.done.called, 10);
	kc_client_free(c);
	ss_join(srv);
	is_str(s.got, "{\"type\":\"ADDED\"}\n{\"type\":\"MODIFIED\"}\n",
	       "stream: bytes delivered in order");
	is_int(s.done.code, -ETIMEDOUT, "stream: idle timeout ends it with -ETIMEDOUT");
	ok(strstr(s.done.message, "no data") != NULL, "idle message: %s", s.done.message);

	/* Cancelling from inside on_data: no completion callback. */
	const struct ss_action script2[] = {
	    {.act = SS_STREAM_HOLD, .text = SS_CHUNKED_HEAD, .parts = {"a", "b", "c", NULL}},
	};
	c = client(-1, 3);
	struct stream s2 = {.cancel_at_second = true};
	o.userdata = &s2;
	o.idle_timeout = 0;
	ss_start(srv, script2, 1);
	kc_request_start(c, &o, &s2.req, NULL);
	run_until(&s2.done.called, 5);
	/* Let the loop run a little more: nothing else must arrive. */
	bool never = false;
	run_until(&never, 0.2);
	ss_join(srv); /* the client closed the connection */
	is_int(s2.done.calls, 0, "cancel from on_data: on_done never called");
	is_str(s2.got, "ab", "cancel from on_data: no bytes after the cancel");
	kc_client_free(c);

	/* From inside A's on_data: cancel A and B (B is idle in the multi
	 * handle, its request sent), start C. Only C completes. */
	const struct ss_action script4[] = {
	    {.act = SS_STREAM_HOLD, .text = SS_CHUNKED_HEAD, .parts = {"a", "b", "c", NULL}},
	    {.act = SS_HANG},
	    {.act = SS_SEND, .text = ss_response(srv, 200, "", "{\"kind\":\"ConfigMap\"}")},
	};
	c = client(-1, 3);
	struct stream a = {.cancel_at_second = true}, b = {0};
	struct done cdone = {0};
	a.other = &b;
	a.client = c;
	a.started = &cdone;
	o.idle_timeout = 0;
	ss_start(srv, script4, 3);
	o.userdata = &a;
	kc_request_start(c, &o, &a.req, NULL);
	o.userdata = &b;
	kc_request_start(c, &o, &b.req, NULL);
	run_until(&cdone.called, 5);
	run_until(&never, 0.2);
	ss_join(srv);
	is_int(cdone.status, 200, "request started from on_data completes");
	is_int(a.done.calls + b.done.calls, 0, "streams cancelled from on_data never call back");
	is_int(b.len, 0, "the idle stream got nothing");
	json_decref(cdone.body);
	kc_client_free(c);

	/* A non-2xx answer to a stream is decoded as an error, not streamed. */
	const struct ss_action script3[] = {
	    {.act = SS_SEND,
	     .text = ss_response(srv, 410, "",
	                         "{\"kind\":\"Status\",\"reason\":\"Expired\",\"message\":\"too "
	                         "old\",\"code\":410}")}};
	c = client(-1, 3);
	struct stream s3 = {0};
	o.userdata = &s3;
	ss_start(srv, script3, 1);
	kc_request_start(c, &o, NULL, NULL);
	run_until(&s3.done.called, 5);
	ss_join(srv);
	is_int(s3.len, 0, "410 stream: nothing passed to on_data");
	is_int(s3.done.code, -ESTALE, "410 stream: -ESTALE");
	json_decref(s3.done.body);
	kc_client_free(c);
}

static void test_pages(void)
{
	const struct ss_action script[] = {
	    {.act = SS_SEND,
	     .text =
	         ss_response(srv, 200, "",
	                     "{\"kind\":\"ConfigMapList\",\"metadata\":{\"resourceVersion\":\"7\","
	                     "\"continue\":\"t/1=\","
	                     "\"remainingItemCount\":3},\"items\":[{\"n\":1},{\"n\":2}]}")},
	    {.act = SS_SEND,
	     .text = ss_response(srv, 200, "",
	                         "{\"kind\":\"ConfigMapList\",\"metadata\":{\"continue\":\"t2\"},"
	                         "\"items\":[{\"n\":3}]}")},
	    {.act = SS_SEND,
	     .text = ss_response(srv, 200, "",
	                         "{\"kind\":\"ConfigMapList\",\"metadata\":{\"continue\":\"t3\"},"
	                         "\"items\":[{\"n\":4},{\"n\":5}]}")},
	    /* A last page that is empty, as Go writes a nil slice. */
	    {.act = SS_SEND,
	     .text = ss_response(srv, 200, "",
	                         "{\"kind\":\"ConfigMapList\",\"metadata\":{},\"items\":null}")},
	};
	struct kc_client *c = client(-1, 3);
	struct done d = {0};
	const struct kc_ref coll = {.version = "v1", .resource = "configmaps", .ns = "ns"};
	const struct kc_query q = {.limit = 2, .label_selector = "a=b"};
	ss_start(srv, script, 4);
	kc_list_all(c, &coll, &q, on_done, &d, NULL, NULL);
	run_until(&d.called, 5);
	ss_join(srv);
	json_t *items = json_object_get(d.body, "items");
	is_int(d.code, 0, "all pages: no error: %s", d.message);
	is_int(json_array_size(items), 5, "all pages: 5 items");
	is_int(json_integer_value(json_object_get(json_array_get(items, 4), "n")), 5,
	       "items in order");
	ok(json_object_get(json_object_get(d.body, "metadata"), "continue") == NULL,
	   "no continue in the result");
	is_str(json_string_value(
	           json_object_get(json_object_get(d.body, "metadata"), "resourceVersion")),
	       "7", "first page's resourceVersion kept");
	is_str(ss_request(srv, 0)->line,
	       "GET /api/v1/namespaces/ns/configmaps?labelSelector=a%3Db&limit=2 HTTP/1.1",
	       "page 1");
	is_str(ss_request(srv, 1)->line,
	       "GET /api/v1/namespaces/ns/configmaps?labelSelector=a%3Db&limit=2&continue=t%2F1%3D "
	       "HTTP/1.1",
	       "page 2 carries the encoded continue token");
	json_decref(d.body);
	kc_client_free(c);
}

static void test_rate_limit_and_cancel(void)
{
	const struct ss_action script[] = {
	    {.act = SS_SEND, .text = ss_response(srv, 200, "", "{}")},
	    {.act = SS_SEND, .text = ss_response(srv, 200, "", "{}")},
	    {.act = SS_SEND, .text = ss_response(srv, 200, "", "{}")}};
	struct kc_client *c = client(10, 3); /* 10 qps, burst 1 */
	struct done d[4] = {{0}};
	struct kc_request *r3 = NULL;
	ss_start(srv, script, 3);
	/* The limiter reads the loop's cached time (ev_now), which is stale by
	 * however long this test took to set up (long under valgrind): measure
	 * from the same clock, refreshed, or the wait looks shorter than it is. */
	ev_now_update(loop);
	double t0 = ev_now(loop);
	for (int i = 0; i < 3; i++)
		kc_get(c, &cm_x, NULL, on_done, &d[i], NULL, NULL);
	kc_get(c, &cm_x, NULL, on_done, &d[3], &r3, NULL);
	r3 = kc_request_cancel(r3);
	run_until(&d[2].called, 5);
	double took = ev_time() - t0;
	bool never = false;
	run_until(&never, 0.2);
	ss_join(srv);
	ok(d[0].called && d[1].called && d[2].called, "three requests completed");
	ok(took >= 0.18, "10 qps with burst 1: third request after >= 200 ms (%.3f s)", took);
	is_int(d[3].calls, 0, "cancelled request never calls back");
	is_int(ss_seen(srv), 3, "cancelled request never reached the server");
	for (int i = 0; i < 4; i++)
		json_decref(d[i].body);
	kc_client_free(c);
}

static int metric_calls;
static long metric_last;

static void metrics(const char *verb, long status, double seconds, void *userdata)
{
	metric_calls++;
	metric_last = status;
	ok(strcmp(verb, "DELETE") == 0, "metrics: verb %s", verb);
}

static void test_delete_and_metrics(void)
{
	const struct ss_action script[] = {
	    {.act = SS_SEND,
	     .text = ss_response(srv, 200, "", "{\"kind\":\"Status\",\"status\":\"Success\"}")}};
	struct kc_client_options o = {.qps = -1, .metrics = metrics};
	struct kc_client *c = NULL;
	struct done d = {0};
	kc_client_new(loop, cfg, &o, &c, NULL);
	const struct kc_query q = {.propagation_policy = "Foreground"};
	const struct kc_preconditions pre = {.uid = "u-1", .resource_version = "42"};
	ss_start(srv, script, 1);
	kc_delete(c, &cm_x, &q, &pre, on_done, &d, NULL, NULL);
	run_until(&d.called, 5);
	ss_join(srv);
	is_str(ss_request(srv, 0)->line, "DELETE /api/v1/namespaces/ns/configmaps/x HTTP/1.1",
	       "delete request line");
	json_t *body = json_loads(ss_request(srv, 0)->body, 0, NULL);
	is_str(json_string_value(json_object_get(body, "propagationPolicy")), "Foreground",
	       "propagationPolicy in body");
	is_str(json_string_value(json_object_get(json_object_get(body, "preconditions"), "uid")),
	       "u-1", "uid precondition");
	is_str(json_string_value(
	           json_object_get(json_object_get(body, "preconditions"), "resourceVersion")),
	       "42", "resourceVersion precondition");
	is_int(metric_calls, 1, "metrics: one attempt");
	is_int(metric_last, 200, "metrics: status 200");
	json_decref(body);
	json_decref(d.body);
	kc_client_free(c);
}

/* A transport lent by the caller: requests go through it, and freeing the
 * client cancels the client's requests but leaves the transport alone. */
static void test_shared_transport(void)
{
	const struct ss_action script[] = {
	    {.act = SS_SEND, .text = ss_response(srv, 200, "", "{\"kind\":\"ConfigMap\"}")},
	    {.act = SS_HANG}};
	struct kc_http *h = NULL;
	struct kc_client *c = NULL;
	struct kc_client_options o = {.qps = -1, .timeout = 5};
	struct done d = {0}, hung = {0};
	if (kc_http_new(loop, NULL, &h, NULL) < 0) {
		ok(false, "kc_http_new");
		return;
	}
	o.http = h;
	kc_client_new(loop, cfg, &o, &c, NULL);
	ss_start(srv, script, 2);
	kc_get(c, &cm_x, NULL, on_done, &d, NULL, NULL);
	run_until(&d.called, 5);
	is_int(d.status, 200, "shared transport: 200");
	kc_get(c, &cm_x, NULL, on_done, &hung, NULL, NULL);
	while (ss_seen(srv) < 2)
		ev_run(loop, EVRUN_NOWAIT);
	double t0 = ev_time();
	c = kc_client_free(c);
	ss_join(srv); /* at once when the hanging request's connection was closed */
	ok(ev_time() - t0 < 2, "client freed: its request's connection closed (%.2f s)",
	   ev_time() - t0);
	ok(!hung.called, "client freed: its request cancelled without a callback");
	ev_run(loop, EVRUN_NOWAIT);
	json_decref(d.body);
	kc_http_free(h);
}

static void test_apply_and_sync(void)
{
	const struct ss_action script[] = {
	    {.act = SS_SEND, .text = ss_response(srv, 200, "", "{\"kind\":\"ConfigMap\"}")}};
	struct kc_client *c = client(-1, 3);
	json_t *obj = json_pack("{s:s,s:s,s:{s:s}}", "apiVersion", "v1", "kind", "ConfigMap",
	                        "metadata", "name", "x");
	const struct kc_ref coll = {.version = "v1", .resource = "configmaps", .ns = "ns"};
	const struct kc_query q = {.field_manager = "slipway", .force = true};
	struct kc_sync s = {0};
	struct kc_error err = {0};
	json_t *body = NULL;

	is_int(kc_apply(c, &coll, NULL, obj, kc_sync_done, &s, NULL, &err), -EINVAL,
	       "apply without field manager");
	ok(strstr(err.message, "field manager") != NULL, "says why: %s", err.message);
	ss_start(srv, script, 1);
	is_int(kc_apply(c, &coll, &q, obj, kc_sync_done, &s, NULL, &err), 0, "apply starts");
	is_int(kc_sync_wait(c, &s, &body, &err), 0, "kc_sync_wait returns 0");
	ss_join(srv);
	is_str(json_string_value(json_object_get(body, "kind")), "ConfigMap",
	       "sync body handed out");
	is_str(ss_request(srv, 0)->line,
	       "PATCH /api/v1/namespaces/ns/configmaps/x?fieldManager=slipway&force=true HTTP/1.1",
	       "apply: PATCH on the object's name");
	is_str(ss_request(srv, 0)->content_type, "application/apply-patch+yaml",
	       "apply content type");
	json_decref(body);
	json_decref(obj);

	struct kc_sync none = {0};
	is_int(kc_sync_wait(c, &none, &body, &err), -EDEADLK,
	       "waiting for nothing fails instead of hanging");
	kc_client_free(c);
}

int main(void)
{
	loop = ev_default_loop(0);
	if (ss_new(&srv) < 0) {
		tap_diag("cannot listen on loopback");
		return 1;
	}
	char server[64];
	snprintf(server, sizeof(server), "http://127.0.0.1:%d", ss_port(srv));
	cfg = test_loopback_config(server, "tok-1", "ns");
	if (!cfg)
		return 1;

	test_get_and_async();
	test_not_found();
	test_retries();
	test_server_delay();
	test_count_overflow();
	test_reauth();
	test_timeout();
	test_refused();
	test_stream();
	test_pages();
	test_rate_limit_and_cancel();
	test_delete_and_metrics();
	test_apply_and_sync();
	test_shared_transport();
	srv = ss_free(srv);
	cfg = kc_config_free(cfg);
	ev_loop_destroy(loop);
	return tap_done();
}
