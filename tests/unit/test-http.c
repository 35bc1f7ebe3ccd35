/*
 * kubeclient/http.h against a scripted HTTP/1.1 server on loopback (plain and
 * TLS): methods and bodies, auth and custom headers, timeouts, the size
 * limit, retries and Retry-After, the overall deadline, redaction of secrets, cancellation, and
 * TLS trust with a throwaway CA made here with OpenSSL.
 */
#include "scripted-server.h"
#include "tap.h"
#include "throwaway-pki.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kubeclient/http.h"

static struct ev_loop *loop;
static struct ss_server *srv;
static struct kc_http *http;
static char base[64]; /* http://127.0.0.1:PORT */

struct result {
	bool called;
	int calls;
	long status;
	int code;
	char message[512];
	char body[512];
	size_t body_len;
	double retry_after;
	unsigned retries;
	long retry_status[8];
	double retry_delay[8];
	char retry_error[512];
	unsigned attempts;
	char streamed[256];
	struct kc_http_request *self; /* for callbacks that cancel their own request */
};

static void on_done(const struct kc_http_response *resp, const struct kc_error *err, void *userdata)
{
	struct result *r = userdata;
	r->called = true;
	r->calls++;
	r->status = resp->status;
	r->code = err ? err->code : 0;
	snprintf(r->message, sizeof(r->message), "%s", err ? err->message : "");
	snprintf(r->body, sizeof(r->body), "%s", resp->body ? resp->body : "");
	r->body_len = resp->body_len;
	r->retry_after = resp->retry_after;
}

static void on_retry(long status, const char *error, double delay, void *userdata)
{
	struct result *r = userdata;
	if (r->retries < 8) {
		r->retry_status[r->retries] = status;
		r->retry_delay[r->retries] = delay;
	}
	if (error)
		snprintf(r->retry_error, sizeof(r->retry_error), "%s", error);
	r->retries++;
}

static void on_attempt(const struct kc_http_attempt *a, void *userdata)
{
	struct result *r = userdata;
	r->attempts++;
}

static void set_flag(struct ev_loop *l, ev_timer *w, int revents)
{
	*(bool *)w->data = true;
}

/* Runs the loop until *flag or max_seconds: a timer wakes the loop then,
 * so a request waiting far longer (an hour's Retry-After) cannot hold the
 * test in ev_run. */
static void run_until(bool *flag, double max_seconds)
{
	double end = ev_time() + max_seconds;
	bool expired = false;
	ev_timer t;
	ev_timer_init(&t, set_flag, max_seconds, 0.);
	t.data = &expired;
	ev_timer_start(loop, &t);
	while (!*flag && !expired && ev_time() < end)
		ev_run(loop, EVRUN_ONCE);
	ev_timer_stop(loop, &t);
}

/* Runs the loop for about `seconds`, whatever happens. */
static void run_for(double seconds)
{
	bool passed = false;
	ev_timer t;
	ev_timer_init(&t, set_flag, seconds, 0.);
	t.data = &passed;
	ev_timer_start(loop, &t);
	run_until(&passed, seconds + 1);
	ev_timer_stop(loop, &t);
}

/* Options for `method` on base + path, reporting into r, fast retries. */
static struct kc_http_request_options req(const char *method, const char *url, struct result *r)
{
	return (struct kc_http_request_options){
	    .method = method,
	    .url = url,
	    .timeout = 5,
	    .retry = {.max_retries = 3,
	              .backoff = {.initial = 0.01, .max = 0.05, .factor = 2, .jitter = 0}},
	    .on_retry = on_retry,
	    .on_attempt = on_attempt,
	    .on_done = on_done,
	    .userdata = r,
	};
}

static const char *url(const char *path)
{
	static char buf[256];
	snprintf(buf, sizeof(buf), "%s%s", base, path);
	return buf;
}

/* Starts o and runs the loop until it completes (or max_seconds pass). */
static int run(const struct kc_http_request_options *o, struct result *r, double max_seconds)
{
	struct kc_error err = {0};
	int rc = kc_http_start(http, o, &r->self, &err);
	if (rc < 0) {
		tap_diag("kc_http_start: %s", err.message);
		return rc;
	}
	ok(!r->called, "%s: no callback inside kc_http_start", o->method);
	run_until(&r->called, max_seconds);
	return 0;
}

/* A request still running when its test gave up (a test that fails) is
 * cancelled, so the server's script can end and the next test start. */
static void unstick(struct result *r)
{
	if (!r->called)
		r->self = kc_http_cancel(r->self);
}

static void test_get(void)
{
	const struct ss_action script[] = {
	    {.act = SS_SEND, .text = ss_response(srv, 200, "", "{\"ok\":true}")}};
	struct result r = {0};
	const struct kc_http_header h[] = {{.name = "X-Trace", .value = "abc"},
	                                   {.name = "Accept", .value = "text/plain"}};
	struct kc_http_request_options o = req("GET", url("/q?x=1"), &r);
	o.headers = h;
	o.n_headers = 2;
	ss_start(srv, script, 1);
	run(&o, &r, 10);
	ss_join(srv);
	is_int(r.code, 0, "GET: no error: %s", r.message);
	is_int(r.status, 200, "GET: 200");
	is_str(r.body, "{\"ok\":true}", "GET: the body");
	is_int((long long)r.body_len, 11, "GET: body length");
	is_str(ss_request(srv, 0)->line, "GET /q?x=1 HTTP/1.1", "GET: request line");
	ok(strstr(ss_request(srv, 0)->head, "\r\nX-Trace: abc\r\n") != NULL, "custom header sent");
	ok(strstr(ss_request(srv, 0)->head, "\r\nAccept: text/plain\r\n") != NULL,
	   "a custom header replaces the default");
	ok(strstr(ss_request(srv, 0)->head, "\r\nUser-Agent: slipway/") != NULL,
	   "default user agent");
	is_str(ss_request(srv, 0)->authorization, "", "no auth asked, none sent");
	is_int((long long)r.attempts, 1, "one attempt reported");
}

static void test_post_and_bearer(void)
{
	const struct ss_action script[] = {{.act = SS_SEND, .text = ss_response(srv, 201, "", "")}};
	struct result r = {0};
	const char body[] = "{\"text\":\"deployed\"}";
	const struct kc_http_header h[] = {{.name = "Content-Type", .value = "application/json"}};
	struct kc_http_request_options o = req("POST", url("/hook"), &r);
	o.body = body;
	o.body_len = strlen(body);
	o.headers = h;
	o.n_headers = 1;
	o.auth.bearer_token = "tok-123";
	ss_start(srv, script, 1);
	run(&o, &r, 10);
	ss_join(srv);
	is_int(r.status, 201, "POST: 201");
	ok(r.body_len == 0 && r.body[0] == '\0', "POST: empty body");
	is_str(ss_request(srv, 0)->line, "POST /hook HTTP/1.1", "POST: request line");
	is_str(ss_request(srv, 0)->body, body, "POST: body sent");
	is_str(ss_request(srv, 0)->content_type, "application/json", "POST: content type");
	is_str(ss_request(srv, 0)->authorization, "Bearer tok-123", "bearer token sent");
	ok(strstr(ss_request(srv, 0)->head, "Expect:") == NULL, "no Expect: 100-continue");
}

static void test_basic(void)
{
	const struct ss_action script[] = {
	    {.act = SS_SEND, .text = ss_response(srv, 200, "", "{}")},
	    {.act = SS_SEND, .text = ss_response(srv, 200, "", "{}")}};
	struct result r = {0}, r2 = {0};
	struct kc_http_request_options o = req("GET", url("/basic"), &r);
	o.auth.username = "user";
	o.auth.password = "pass";
	ss_start(srv, script, 2);
	run(&o, &r, 10);
	/* The same through the URL's user-info. */
	char u[128];
	snprintf(u, sizeof(u), "http://alice:s3cret@127.0.0.1:%d/ui", ss_port(srv));
	struct kc_http_request_options o2 = req("GET", u, &r2);
	run(&o2, &r2, 10);
	ss_join(srv);
	is_int(r.status, 200, "basic: 200");
	is_str(ss_request(srv, 0)->authorization, "Basic dXNlcjpwYXNz", "basic auth header");
	is_int(r2.status, 200, "user-info: 200");
	is_str(ss_request(srv, 1)->authorization, "Basic YWxpY2U6czNjcmV0",
	       "user-info sent as basic auth");
}

static void test_timeout(void)
{
	const struct ss_action script[] = {{.act = SS_HANG}};
	struct result r = {0};
	struct kc_http_request_options o = req("GET", url("/slow"), &r);
	o.timeout = 0.3;
	o.retry.none = true;
	ss_start(srv, script, 1);
	double t0 = ev_time();
	run(&o, &r, 10);
	double took = ev_time() - t0;
	ss_join(srv);
	is_int(r.code, -ETIMEDOUT, "timeout: -ETIMEDOUT");
	ok(took > 0.25 && took < 3, "after about 0.3 s (%.2f s)", took);
	ok(strstr(r.message, "timed out talking to http://127.0.0.1:") != NULL,
	   "message names the server: %s", r.message);
	is_int((long long)r.retries, 0, "retry.none: not retried");
}

static void test_size_limit(void)
{
	const struct ss_action script[] = {
	    {.act = SS_SEND, .text = ss_response(srv, 200, "", "0123456789abcdefghij")}};
	struct result r = {0};
	struct kc_http_request_options o = req("GET", url("/big"), &r);
	o.max_body = 10;
	ss_start(srv, script, 1);
	run(&o, &r, 10);
	ss_join(srv);
	is_int(r.code, -E2BIG, "over the limit: -E2BIG");
	ok(strstr(r.message, "over the 10 byte limit") != NULL, "says so: %s", r.message);
	is_int(ss_seen(srv), 1, "not retried");
	ok(r.body[0] == '\0', "no partial body handed out");
}

static void test_retry_503(void)
{
	const struct ss_action script[] = {
	    {.act = SS_SEND, .text = ss_response(srv, 503, "", "busy")},
	    {.act = SS_SEND, .text = ss_response(srv, 200, "", "{\"n\":2}")}};
	struct result r = {0};
	struct kc_http_request_options o = req("GET", url("/r"), &r);
	ss_start(srv, script, 2);
	run(&o, &r, 10);
	ss_join(srv);
	is_int(r.status, 200, "503 then 200: 200");
	is_str(r.body, "{\"n\":2}", "the second answer's body");
	is_int(ss_seen(srv), 2, "two attempts reached the server");
	is_int((long long)r.retries, 1, "on_retry heard of one retry");
	is_int(r.retry_status[0], 503, "... of the 503");
	is_int((long long)r.attempts, 2, "two attempts reported");

	/* A POST is not retried unless marked idempotent. */
	const struct ss_action once[] = {
	    {.act = SS_SEND, .text = ss_response(srv, 503, "", "busy")}};
	struct result p = {0};
	struct kc_http_request_options po = req("POST", url("/p"), &p);
	ss_start(srv, once, 1);
	run(&po, &p, 10);
	ss_join(srv);
	is_int(p.code, 0, "POST 503: a response, not a transport error");
	is_int(p.status, 503, "POST 503: reported as it is");
	is_str(p.body, "busy", "POST 503: its body");
	is_int((long long)p.retries, 0, "POST 503: not retried");

	struct result q = {0};
	struct kc_http_request_options qo = req("PUT", url("/q"), &q);
	qo.idempotent = true;
	ss_start(srv, script, 2);
	run(&qo, &q, 10);
	ss_join(srv);
	is_int(q.status, 200, "idempotent PUT: retried to 200");
}

static void test_retry_after(void)
{
	const struct ss_action script[] = {
	    {.act = SS_SEND, .text = ss_response(srv, 429, "Retry-After: 1\r\n", "slow down")},
	    {.act = SS_SEND, .text = ss_response(srv, 200, "", "{}")}};
	struct result r = {0};
	/* 429 is retried for every method: the server did not act. */
	struct kc_http_request_options o = req("POST", url("/limited"), &r);
	ss_start(srv, script, 2);
	double t0 = ev_time();
	run(&o, &r, 10);
	double took = ev_time() - t0;
	ss_join(srv);
	is_int(r.status, 200, "429 then 200: 200");
	is_int((long long)r.retries, 1, "one retry");
	ok(r.retry_delay[0] == 1.0, "delay is the Retry-After (%g)", r.retry_delay[0]);
	ok(took >= 0.95 && took < 4, "waited about 1 s (%.2f s)", took);

	ok(r.retry_after == 0, "the final 200 had no Retry-After (%g)", r.retry_after);

	/* Retry-After is bounded: an hour at most, not what the server says;
	 * past the default deadline (60 s) it is handed over, not waited for. */
	const struct ss_action huge[] = {
	    {.act = SS_SEND, .text = ss_response(srv, 429, "Retry-After: 99999999\r\n", "")}};
	struct result h = {0};
	struct kc_http_request_options ho = req("GET", url("/h"), &h);
	ss_start(srv, huge, 1);
	run(&ho, &h, 5);
	unstick(&h);
	ss_join(srv);
	ok(h.called, "a huge Retry-After completes the request");
	ok(h.retry_after == 3600.0, "Retry-After capped at 3600 s (%g)", h.retry_after);
	is_int((long long)h.retries, 0, "and not retried");
}

/* The overall deadline: no wait that would end past it, nothing running
 * beyond it. */
static void test_deadline(void)
{
	/* The server asks for an hour; the request may take 2 s. */
	const struct ss_action hour[] = {
	    {.act = SS_SEND, .text = ss_response(srv, 429, "Retry-After: 3600\r\n", "busy")}};
	struct result r = {0};
	struct kc_http_request_options o = req("POST", url("/d"), &r);
	o.deadline = 2;
	ss_start(srv, hour, 1);
	double t0 = ev_time();
	run(&o, &r, 5);
	double took = ev_time() - t0;
	unstick(&r);
	ss_join(srv);
	ok(r.called && took < 1, "Retry-After: 3600 past a 2 s deadline: done at once (%.2f s)",
	   took);
	is_int(r.status, 429, "with the 429 as it came");
	is_int(r.code, 0, "a response, not a transport error");
	is_str(r.body, "busy", "and its body");
	ok(r.retry_after == 3600.0, "carrying the server's delay, 3600 s (%g)", r.retry_after);
	is_int((long long)r.retries, 0, "no retry scheduled");
	is_int(ss_seen(srv), 1, "one attempt");

	/* A Retry-After that ends within the deadline is honoured. */
	const struct ss_action second[] = {
	    {.act = SS_SEND, .text = ss_response(srv, 429, "Retry-After: 1\r\n", "")},
	    {.act = SS_SEND, .text = ss_response(srv, 200, "", "{}")}};
	struct result w = {0};
	struct kc_http_request_options wo = req("GET", url("/w"), &w);
	wo.deadline = 3;
	ss_start(srv, second, 2);
	run(&wo, &w, 5);
	unstick(&w);
	ss_join(srv);
	is_int(w.status, 200, "Retry-After: 1 within a 3 s deadline: retried to 200");

	/* So is the backoff: one that would end past the deadline is not
	 * waited for either. */
	const struct ss_action busy[] = {
	    {.act = SS_SEND, .text = ss_response(srv, 503, "", "down")}};
	struct result b = {0};
	struct kc_http_request_options bo = req("GET", url("/b"), &b);
	bo.deadline = 1;
	bo.retry.backoff = (struct kc_backoff){.initial = 5, .max = 5, .factor = 2};
	ss_start(srv, busy, 1);
	t0 = ev_time();
	run(&bo, &b, 8);
	took = ev_time() - t0;
	unstick(&b);
	ss_join(srv);
	ok(b.called && took < 0.9, "a 5 s backoff past a 1 s deadline: done at once (%.2f s)",
	   took);
	is_int(b.status, 503, "with the 503");
	is_int((long long)b.retries, 0, "not retried");

	/* An attempt still going at the deadline ends there, whatever its
	 * own timeout. */
	const struct ss_action hang[] = {{.act = SS_HANG}};
	struct result g = {0};
	struct kc_http_request_options go = req("GET", url("/g"), &g);
	go.timeout = 30;
	go.deadline = 0.5;
	ss_start(srv, hang, 1);
	t0 = ev_time();
	run(&go, &g, 5);
	took = ev_time() - t0;
	unstick(&g);
	ss_join(srv);
	is_int(g.code, -ETIMEDOUT, "a hanging server past the deadline: -ETIMEDOUT");
	ok(took > 0.45 && took < 2, "after about 0.5 s (%.2f s)", took);
	ok(strstr(g.message, "within the request's 0.5 s deadline") != NULL, "says so: %s",
	   g.message);
	is_int((long long)g.attempts, 1, "the attempt was reported");
}

static void test_redaction(void)
{
	/* Nothing listens on port 1: connection refused, retried, then failed. */
	struct result r = {0};
	const struct kc_http_header h[] = {
	    {.name = "X-Api-Key", .value = "k3y-v4lue", .secret = true},
	    {.name = "Cookie", .value = "session=c00kie"}};
	struct kc_http_request_options o = req("GET", "http://bob:hunter2@127.0.0.1:1/x?q=1", &r);
	o.headers = h;
	o.n_headers = 2;
	o.retry.max_retries = 1;
	/* A careless caller puts secrets in the request's name: still scrubbed. */
	o.name = "GET k3y-v4lue session=c00kie hunter2";
	run(&o, &r, 10);
	is_int(r.code, -ECONNREFUSED, "refused");
	ok(strstr(r.message, "hunter2") == NULL && strstr(r.message, "k3y-v4lue") == NULL &&
	       strstr(r.message, "session=c00kie") == NULL,
	   "no secret in the message: %s", r.message);
	ok(strstr(r.message, "GET *** *** ***: cannot connect to http://***@127.0.0.1:1") != NULL,
	   "secrets replaced, server named: %s", r.message);
	is_int((long long)r.retries, 1, "retried once");
	ok(r.retry_error[0] != '\0' && strstr(r.retry_error, "hunter2") == NULL,
	   "retry hook has the error, scrubbed: %s", r.retry_error);

	/* Default name: the URL without its user-info. */
	struct result d = {0};
	struct kc_http_request_options od = req("GET", "http://bob:hunter2@127.0.0.1:1/x", &d);
	od.retry.none = true;
	run(&od, &d, 10);
	ok(strncmp(d.message, "GET http://***@127.0.0.1:1/x: ", 30) == 0,
	   "default name hides user-info: %s", d.message);

	/* Bad options: the message must not show the secret either. */
	struct kc_error err = {0};
	struct result b = {0};
	struct kc_http_request_options ob = req("GET", "ftp://bob:hunter2@host/", &b);
	is_int(kc_http_start(http, &ob, NULL, &err), -EINVAL, "ftp URL refused");
	ok(strstr(err.message, "hunter2") == NULL && strstr(err.message, "ftp://***@host/"),
	   "refusal scrubbed: %s", err.message);
	ob.url = url("/x");
	ob.auth.bearer_token = "t";
	ob.auth.username = "u";
	is_int(kc_http_start(http, &ob, NULL, &err), -EINVAL, "bearer and basic together refused");
	ob.auth = (struct kc_http_auth){0};
	ob.method = "get";
	is_int(kc_http_start(http, &ob, NULL, &err), -EINVAL, "lower-case method refused");
	ob.method = "GET";
	const struct kc_http_header bad[] = {{.name = "X", .value = "a\r\nInjected: yes"}};
	ob.headers = bad;
	ob.n_headers = 1;
	is_int(kc_http_start(http, &ob, NULL, &err), -EINVAL, "header with CRLF refused");
	ok(!b.called, "no callback for refused requests");
}

static void test_redact_functions(void)
{
	static const struct {
		const char *in, *want;
	} urls[] = {
	    {"https://u:p@h:1/x?a=b", "https://***@h:1/x?a=b"},
	    {"https://h/x@y", "https://h/x@y"},
	    {"https://u@h", "https://***@h"},
	    {"https://a@b@h/", "https://***@h/"},
	    {"https://h?x=@", "https://h?x=@"},
	    {"not a url", "not a url"},
	    {"https://@h/", "https://@h/"},
	};
	for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		char out[64];
		kc_http_url_redact(urls[i].in, out, sizeof(out));
		is_str(out, urls[i].want, "url_redact %s", urls[i].in);
	}
	char small[8];
	kc_http_url_redact("https://u:p@h/", small, sizeof(small));
	is_str(small, "https:/", "url_redact truncates");

	const char *secrets[] = {"tok", NULL, "", "token-long"};
	char text[64] = "a token-long and tok, tok";
	kc_http_scrub(text, sizeof(text), secrets, 4);
	is_str(text, "a *** and ***, ***", "scrub: longest match first, NULL and empty skipped");
	char tiny[6] = "xx_ab";
	const char *ab[] = {"ab"};
	kc_http_scrub(tiny, sizeof(tiny), ab, 1);
	is_str(tiny, "xx_**", "scrub: truncates, never overflows");
}

static void test_header_value(void)
{
	static const struct {
		const char *line;
		size_t n; /* 0: strlen(line) */
		bool found;
		const char *want;
	} rows[] = {
	    {"Retry-After: 120\r\n", 0, true, "120"},
	    {"retry-after:\t 7 \t\r\n", 0, true, "7"},
	    {"RETRY-AFTER:Sun, 06 Nov 1994 08:49:37 GMT\r\n", 0, true,
	     "Sun, 06 Nov 1994 08:49:37 GMT"},
	    {"Retry-After:\r\n", 0, true, ""},
	    {"Retry-After: 5 \0junk\r\n", 21, true, "5"},
	    {"Retry-Afterx: 5\r\n", 0, false, NULL},
	    {"Retry-After 5\r\n", 0, false, NULL},
	    {"Retry-Aft", 0, false, NULL},
	    {"HTTP/1.1 429 Too Many Requests\r\n", 0, false, NULL},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char out[64] = "untouched";
		size_t n = rows[i].n ? rows[i].n : strlen(rows[i].line);
		bool found = kc_http_header_value(rows[i].line, n, "retry-after", out, sizeof(out));
		ok(found == rows[i].found, "header_value %zu: %s", i,
		   found ? "found" : "not found");
		is_str(out, rows[i].found ? rows[i].want : "untouched", "header_value %zu: value",
		       i);
	}
	char small[4];
	kc_http_header_value("Retry-After: 123456\r\n", 21, "retry-after", small, sizeof(small));
	is_str(small, "123", "header_value truncates to its buffer");
}

static int cancel_self(const char *data, size_t len, void *userdata)
{
	struct result *r = userdata;
	snprintf(r->streamed, sizeof(r->streamed), "%.*s", (int)len, data);
	r->self = kc_http_cancel(r->self);
	return 0;
}

static int collect(const char *data, size_t len, void *userdata)
{
	struct result *r = userdata;
	size_t have = strlen(r->streamed);
	snprintf(r->streamed + have, sizeof(r->streamed) - have, "%.*s", (int)len, data);
	return 0;
}

static void test_cancel(void)
{
	/* In flight: the server sees the connection close, no callback runs. */
	const struct ss_action hang[] = {{.act = SS_HANG}};
	struct result r = {0};
	struct kc_http_request_options o = req("GET", url("/hang"), &r);
	ss_start(srv, hang, 1);
	is_int(kc_http_start(http, &o, &r.self, NULL), 0, "started");
	while (ss_seen(srv) < 1)
		ev_run(loop, EVRUN_NOWAIT);
	r.self = kc_http_cancel(r.self);
	ss_join(srv); /* returns once the client closed the connection */
	run_for(0.1);
	ok(!r.called, "cancelled in flight: no callback");

	/* Before the first attempt, from the call that started it. */
	struct result s = {0};
	struct kc_http_request_options so = req("GET", url("/never"), &s);
	kc_http_start(http, &so, &s.self, NULL);
	s.self = kc_http_cancel(s.self);
	run_for(0.1);
	ok(!s.called, "cancelled before it started: no callback");

	/* From its own on_data. */
	const struct ss_action stream[] = {
	    {.act = SS_STREAM_HOLD, .text = SS_CHUNKED_HEAD, .parts = {"one", "two"}}};
	struct result t = {0};
	struct kc_http_request_options to = req("GET", url("/stream"), &t);
	to.on_data = cancel_self;
	ss_start(srv, stream, 1);
	kc_http_start(http, &to, &t.self, NULL);
	double end = ev_time() + 5;
	while (!t.streamed[0] && ev_time() < end)
		ev_run(loop, EVRUN_ONCE);
	ss_join(srv);
	run_for(0.1);
	is_str(t.streamed, "one", "on_data saw the first chunk");
	ok(!t.called, "cancelled from on_data: no callback");

	/* A stream that ends cleanly: every byte in order, then the completion. */
	const struct ss_action ends[] = {
	    {.act = SS_STREAM_END, .text = SS_CHUNKED_HEAD, .parts = {"a", "bc", "d"}}};
	struct result u = {0};
	struct kc_http_request_options uo = req("GET", url("/stream"), &u);
	uo.on_data = collect;
	ss_start(srv, ends, 1);
	run(&uo, &u, 10);
	ss_join(srv);
	is_str(u.streamed, "abcd", "streamed in order");
	ok(u.status == 200 && u.code == 0 && u.body_len == 0, "stream completes with 200");
}

/* The 401 retry: the hook is asked again, told the last credential is stale. */
struct cred_state {
	struct result r; /* first: the userdata of every callback is &r */
	int calls;
	bool stale[4];
};

static int rotating(bool stale, struct kc_http_auth *ret, struct kc_error *err, void *userdata)
{
	struct cred_state *c = userdata;
	if (c->calls < 4)
		c->stale[c->calls] = stale;
	c->calls++;
	ret->bearer_token = c->calls == 1 ? "old-token" : "new-token";
	return 0;
}

static int no_cred(bool stale, struct kc_http_auth *ret, struct kc_error *err, void *userdata)
{
	return kc_error_set(err, -ENOKEY, "token file missing");
}

static void test_credential_hook(void)
{
	const struct ss_action script[] = {
	    {.act = SS_SEND, .text = ss_response(srv, 401, "", "{}")},
	    {.act = SS_SEND, .text = ss_response(srv, 200, "", "{}")}};
	struct cred_state c = {0};
	struct kc_http_request_options o = req("POST", url("/auth"), &c.r);
	o.credential = rotating;
	ss_start(srv, script, 2);
	run(&o, &c.r, 10);
	ss_join(srv);
	is_int(c.r.status, 200, "401 then 200 with a fresh credential");
	is_int(c.calls, 2, "hook asked before each attempt");
	ok(!c.stale[0] && c.stale[1], "second call told the credential is stale");
	is_str(ss_request(srv, 0)->authorization, "Bearer old-token", "first token");
	is_str(ss_request(srv, 1)->authorization, "Bearer new-token", "second token");

	/* Without a hook a 401 is the caller's answer. */
	const struct ss_action once[] = {{.act = SS_SEND, .text = ss_response(srv, 401, "", "")}};
	struct result r = {0};
	struct kc_http_request_options ro = req("GET", url("/auth"), &r);
	ro.auth.bearer_token = "fixed";
	ss_start(srv, once, 1);
	run(&ro, &r, 10);
	ss_join(srv);
	is_int(r.status, 401, "no hook: 401 reported, not retried");

	struct result n = {0};
	struct kc_http_request_options no = req("GET", url("/auth"), &n);
	no.credential = no_cred;
	run(&no, &n, 10);
	is_int(n.code, -ENOKEY, "hook failure fails the request");
	ok(strstr(n.message, "no credential: token file missing") != NULL, "says why: %s",
	   n.message);
}

/* A hook whose credential is on its way (an exec plugin runs): the
 * request is parked until kc_http_resume(), its deadline running. */
struct parked_state {
	struct result r; /* first: the userdata of every callback is &r */
	int calls;
	bool never; /* the credential never comes */
	int seen_at_resume;
	ev_timer later;
};

static void resume_later(struct ev_loop *l, ev_timer *w, int revents)
{
	struct parked_state *p = w->data;
	p->seen_at_resume = ss_seen(srv);
	kc_http_resume(p->r.self);
}

static int pending(bool stale, struct kc_http_auth *ret, struct kc_error *err, void *userdata)
{
	struct parked_state *p = userdata;
	p->calls++;
	if (p->never || p->calls == 1) {
		if (!p->never) {
			ev_timer_init(&p->later, resume_later, 0.3, 0.);
			p->later.data = p;
			ev_timer_start(loop, &p->later);
		}
		return -EINPROGRESS;
	}
	ret->bearer_token = "late-token";
	return 0;
}

static void test_parked_credential(void)
{
	const struct ss_action script[] = {
	    {.act = SS_SEND, .text = ss_response(srv, 200, "", "{}")}};
	struct parked_state p = {0};
	struct kc_http_request_options o = req("GET", url("/parked"), &p.r);
	o.credential = pending;
	ss_start(srv, script, 1);
	double t0 = ev_time();
	run(&o, &p.r, 10);
	double took = ev_time() - t0;
	unstick(&p.r);
	ss_join(srv);
	is_int(p.seen_at_resume, 0, "parked: nothing sent while the credential was pending");
	is_int(p.r.status, 200, "resumed: the request completes");
	ok(took >= 0.29, "after the resume (%.2f s)", took);
	is_int(p.calls, 2, "the hook asked again on resume");
	is_str(ss_request(srv, 0)->authorization, "Bearer late-token", "with its credential");

	/* The deadline counts while parked. */
	struct parked_state n = {.never = true};
	struct kc_http_request_options no = req("GET", url("/parked"), &n.r);
	no.credential = pending;
	no.deadline = 0.5;
	t0 = ev_time();
	run(&no, &n.r, 5);
	took = ev_time() - t0;
	unstick(&n.r);
	is_int(n.r.code, -ETIMEDOUT, "a credential that never comes: -ETIMEDOUT at the deadline");
	ok(took > 0.45 && took < 2, "after about 0.5 s (%.2f s)", took);
	ok(strstr(n.r.message, "no credential within the request's 0.5 s deadline") != NULL,
	   "says so: %s", n.r.message);
	is_int(n.r.attempts, 0, "no attempt was made");
}

/* ---- TLS: a throwaway CA and a server certificate for 127.0.0.1 ---- */

static void tls_request(struct ss_server *s, const struct kc_http_tls *tls, struct result *r)
{
	const struct ss_action script[] = {
	    {.act = SS_SEND, .text = ss_response(s, 200, "", "{\"tls\":true}")}};
	char u[64];
	snprintf(u, sizeof(u), "https://127.0.0.1:%d/secure", ss_port(s));
	struct kc_http_request_options o = req("GET", u, r);
	o.tls = *tls;
	o.retry.none = true;
	/* Loading the system store takes seconds under valgrind. */
	o.timeout = 60;
	ss_start(s, script, 1);
	run(&o, r, 70);
	ss_join(s);
}

static void test_tls(void)
{
	struct tp_pki good = {0}, other = {0};
	struct ss_server *s = NULL;
	if (!tp_make(&good, "test CA", true) || !tp_make(&other, "unrelated CA", false) ||
	    ss_new(&s) < 0 || ss_use_tls(s, good.cert_pem, good.key_pem) < 0) {
		ok(false, "TLS: cannot set up the throwaway CA and server");
		goto out;
	}

	struct result r = {0};
	tls_request(s, &(struct kc_http_tls){.ca_pem = good.ca_pem}, &r);
	is_int(r.code, 0, "TLS with the given CA: %s", r.message);
	is_int(r.status, 200, "TLS: 200");
	is_str(r.body, "{\"tls\":true}", "TLS: the body");

	struct result u = {0};
	tls_request(s, &(struct kc_http_tls){.ca_pem = other.ca_pem, .ca_name = "other.pem"}, &u);
	is_int(u.code, -EPROTO, "an unrelated CA is refused");
	ok(strstr(u.message, "certificate verification failed") != NULL &&
	       strstr(u.message, "(CA from other.pem)") != NULL,
	   "says so, naming the CA: %s", u.message);
	is_int(ss_seen(s), 0, "no request reached the server");
	is_int(ss_tls_failures(s), 1, "the handshake failed");

	struct result d = {0};
	tls_request(s, &(struct kc_http_tls){0}, &d);
	is_int(d.code, -EPROTO, "no CA given: the system store, which never heard of ours");
	ok(strstr(d.message, "(CA from the system store)") != NULL, "says so: %s", d.message);

	/* The system bundle plus a file of the wrong CA: only the file counts. */
	char path[] = "/tmp/test-http-ca-XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (f) {
		fputs(other.ca_pem, f);
		fclose(f);
	}
	struct result ff = {0};
	tls_request(s, &(struct kc_http_tls){.ca_file = path}, &ff);
	is_int(ff.code, -EPROTO, "ca_file of an unrelated CA is refused");
	struct result fg = {0};
	f = fopen(path, "w");
	if (f) {
		fputs(good.ca_pem, f);
		fclose(f);
	}
	tls_request(s, &(struct kc_http_tls){.ca_file = path}, &fg);
	is_int(fg.status, 200, "ca_file of our CA: 200 (%s)", fg.message);
	unlink(path);

	struct result i = {0};
	tls_request(s, &(struct kc_http_tls){.ca_pem = other.ca_pem, .insecure_skip_verify = true},
	            &i);
	is_int(i.status, 200, "insecure_skip_verify, when asked: 200 (%s)", i.message);
out:
	ss_free(s);
	tp_free(&good);
	tp_free(&other);
}

int main(void)
{
	loop = ev_default_loop(0);
	if (ss_new(&srv) < 0 || kc_http_new(loop, NULL, &http, NULL) < 0) {
		tap_diag("cannot set up");
		return 1;
	}
	snprintf(base, sizeof(base), "http://127.0.0.1:%d", ss_port(srv));

	test_get();
	test_post_and_bearer();
	test_basic();
	test_timeout();
	test_size_limit();
	test_retry_503();
	test_retry_after();
	test_deadline();
	test_redaction();
	test_redact_functions();
	test_header_value();
	test_cancel();
	test_credential_hook();
	test_parked_credential();
	test_tls();
	http = kc_http_free(http);
	srv = ss_free(srv);
	ev_loop_destroy(loop);
	return tap_done();
}
