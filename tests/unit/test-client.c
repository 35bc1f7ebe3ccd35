/*
 * The HTTP client against a scripted HTTP/1.1 server on loopback: retries,
 * Retry-After, 401 re-authentication, timeouts, streaming, cancellation,
 * pagination and the rate limit, observed from the client's callbacks and
 * from the requests the server saw.
 */
#include "tap.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "kubeclient/apierror.h"
#include "kubeclient/client.h"
#include "kubeclient/rest.h"

/* ---- a scripted server: one action per connection, in order ---- */

enum act {
	SEND,   /* send `text` and close */
	HANG,   /* read the request, send nothing until the client goes away */
	STREAM, /* send `text` (headers), then each of `parts` 30 ms apart, then wait for the client
	         */
};

struct action {
	enum act act;
	const char *text;
	const char *parts[4];
};

#define MAX_SEEN 32
static struct {
	int fd;
	int port;
	const struct action *script;
	int n_actions;
	pthread_t thread;
	pthread_mutex_t lock;
	int seen;
	char lines[MAX_SEEN][512]; /* request line */
	char auth[MAX_SEEN][128];  /* Authorization value */
	char ctype[MAX_SEEN][128]; /* Content-Type value */
	char body[MAX_SEEN][512];
} srv;

static void header_value(const char *req, const char *name, char *out, size_t cap)
{
	out[0] = '\0';
	const char *p = strcasestr(req, name);
	if (!p)
		return;
	p += strlen(name);
	while (*p == ' ')
		p++;
	size_t n = strcspn(p, "\r\n");
	if (n >= cap)
		n = cap - 1;
	memcpy(out, p, n);
	out[n] = '\0';
}

/* Reads one request (headers and a Content-Length body) and records it. */
static void read_request(int fd)
{
	char buf[8192];
	size_t len = 0;
	char *end = NULL;

	while (len < sizeof(buf) - 1) {
		ssize_t n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			return;
		len += (size_t)n;
		buf[len] = '\0';
		end = strstr(buf, "\r\n\r\n");
		if (end) {
			char cl[32];
			header_value(buf, "\r\nContent-Length:", cl, sizeof(cl));
			size_t want = (size_t)(end + 4 - buf) + strtoul(cl, NULL, 10);
			if (len >= want)
				break;
		}
	}
	pthread_mutex_lock(&srv.lock);
	if (srv.seen < MAX_SEEN) {
		int i = srv.seen;
		size_t n = strcspn(buf, "\r\n");
		if (n >= sizeof(srv.lines[i]))
			n = sizeof(srv.lines[i]) - 1;
		memcpy(srv.lines[i], buf, n);
		srv.lines[i][n] = '\0';
		header_value(buf, "\r\nAuthorization:", srv.auth[i], sizeof(srv.auth[i]));
		header_value(buf, "\r\nContent-Type:", srv.ctype[i], sizeof(srv.ctype[i]));
		if (end)
			snprintf(srv.body[i], sizeof(srv.body[i]), "%s", end + 4);
	}
	srv.seen++;
	pthread_mutex_unlock(&srv.lock);
}

static void wait_for_close(int fd)
{
	char buf[256];
	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

static void *serve(void *arg)
{
	for (int i = 0; i < srv.n_actions; i++) {
		/* Bounded waits everywhere: a client that does not come back makes
		 * the test fail on its assertions instead of hanging. */
		struct pollfd pfd = {.fd = srv.fd, .events = POLLIN};
		if (poll(&pfd, 1, 5000) != 1) {
			tap_diag("server: no connection for action %d of %d", i + 1, srv.n_actions);
			return NULL;
		}
		int fd = accept(srv.fd, NULL, NULL);
		if (fd < 0)
			return NULL;
		struct timeval tv = {.tv_sec = 10};
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		const struct action *a = &srv.script[i];
		read_request(fd);
		if (a->act == SEND) {
			(void)!write(fd, a->text, strlen(a->text));
		} else if (a->act == STREAM) {
			(void)!write(fd, a->text, strlen(a->text));
			for (int p = 0; p < 4 && a->parts[p]; p++) {
				struct timespec ts = {0, 30 * 1000 * 1000};
				nanosleep(&ts, NULL);
				char chunk[600];
				int n = snprintf(chunk, sizeof(chunk), "%zx\r\n%s\r\n",
				                 strlen(a->parts[p]), a->parts[p]);
				(void)!write(fd, chunk, (size_t)n);
			}
			wait_for_close(fd);
		} else {
			wait_for_close(fd);
		}
		close(fd);
	}
	return NULL;
}

static void server_start(const struct action *script, int n)
{
	srv.script = script;
	srv.n_actions = n;
	srv.seen = 0;
	pthread_create(&srv.thread, NULL, serve, NULL);
}

static void server_join(void)
{
	pthread_join(srv.thread, NULL);
}

static int server_listen(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof(a);
	int one = 1;

	srv.fd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(srv.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(srv.fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(srv.fd, 16) < 0)
		return -1;
	getsockname(srv.fd, (struct sockaddr *)&a, &alen);
	srv.port = ntohs(a.sin_port);
	pthread_mutex_init(&srv.lock, NULL);
	return 0;
}

#define JSON_200(body)                                                                             \
	"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: "                        \
	"close\r\nContent-Length: " body "\r\n"
#define STATUS_404                                                                                 \
	"{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"message\":"           \
	"\"configmaps \\\"x\\\" not "                                                              \
	"found\",\"reason\":\"NotFound\",\"code\":404}"

static char *response(int status, const char *extra_headers, const char *body)
{
	static char bufs[16][2048];
	static int next;
	char *b = bufs[next++ % 16];
	snprintf(b, sizeof(bufs[0]),
	         "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nConnection: "
	         "close\r\n%sContent-Length: %zu\r\n\r\n%s",
	         status, extra_headers, strlen(body), body);
	return b;
}

/* ---- client side helpers ---- */

static struct ev_loop *loop;
static struct kc_config *cfg;

static struct kc_config *load_config(const char *server)
{
	char yaml[1024];
	struct kc_config *c = NULL;
	struct kc_error err = {0};
	int n = snprintf(
	    yaml, sizeof(yaml),
	    "apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: '%s'}}]\n"
	    "users: [{name: u, user: {token: tok-1}}]\n"
	    "contexts: [{name: x, context: {cluster: c, user: u, namespace: "
	    "ns}}]\ncurrent-context: x\n",
	    server);
	if (kc_config_load_string(yaml, (size_t)n, "test-kubeconfig", NULL, &c, &err) < 0)
		tap_diag("kc_config_load_string: %s", err.message);
	kc_error_clear(&err);
	return c;
}

struct done {
	bool called;
	int calls;
	long status;
	int code;
	char message[512];
	json_t *body;
	bool reason_not_found;
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
	json_decref(d->body);
	d->body = json_incref(body);
}

static void run_until(bool *flag, double max_seconds)
{
	double end = ev_time() + max_seconds;
	while (!*flag && ev_time() < end)
		ev_run(loop, EVRUN_ONCE);
}

static struct kc_client *client(double qps, unsigned max_retries)
{
	struct kc_client_options o = {
	    .qps = qps,
	    .burst = 1,
	    .timeout = 2,
	    .max_retries = max_retries,
	    .backoff = {.initial = 0.01, .max = 0.05, .factor = 2, .jitter = 0},
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
	const struct action script[] = {
	    {.act = SEND,
	     .text = response(200, "", "{\"kind\":\"ConfigMap\",\"data\":{\"a\":\"b\"}}")}};
	struct kc_client *c = client(-1, 3);
	struct done d = {0};
	server_start(script, 1);
	is_int(kc_get(c, &cm_x, NULL, on_done, &d, NULL, NULL), 0, "get starts");
	ok(!d.called, "callback does not run inside kc_get");
	run_until(&d.called, 5);
	server_join();
	is_int(d.status, 200, "get: 200");
	is_str(json_string_value(json_object_get(json_object_get(d.body, "data"), "a")), "b",
	       "get: body parsed");
	is_str(srv.lines[0], "GET /api/v1/namespaces/ns/configmaps/x HTTP/1.1",
	       "get: request line");
	is_str(srv.auth[0], "Bearer tok-1", "get: bearer token sent");
	json_decref(d.body);
	kc_client_free(c);
}

static void test_not_found(void)
{
	const struct action script[] = {{.act = SEND, .text = response(404, "", STATUS_404)}};
	struct kc_client *c = client(-1, 3);
	struct done d = {0};
	server_start(script, 1);
	kc_get(c, &cm_x, NULL, on_done, &d, NULL, NULL);
	run_until(&d.called, 5);
	server_join();
	is_int(d.status, 404, "404 status");
	is_int(d.code, -ENOENT, "404 is -ENOENT");
	ok(d.reason_not_found, "kc_is_not_found");
	is_str(d.message,
	       "GET /api/v1/namespaces/ns/configmaps/x: 404 NotFound: configmaps \"x\" not found",
	       "404 message");
	is_int(srv.seen, 1, "404 not retried");
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
	const struct action script[] = {
	    {.act = SEND,
	     .text = response(429, "Retry-After: 0\r\n",
	                      "{\"kind\":\"Status\",\"reason\":\"TooManyRequests\"}")},
	    {.act = SEND, .text = response(503, "", "overloaded")},
	    {.act = SEND, .text = response(200, "", "{\"kind\":\"ConfigMap\"}")},
	};
	struct kc_client *c = client(-1, 3);
	struct done d = {0};
	server_start(script, 3);
	kc_get(c, &cm_x, NULL, on_done, &d, NULL, NULL);
	run_until(&d.called, 5);
	server_join();
	is_int(d.status, 200, "GET retried through 429 and 503");
	is_int(srv.seen, 3, "three attempts");
	json_decref(d.body);

	/* A POST is not retried on 503, but is on 429. */
	const struct action post_script[] = {
	    {.act = SEND, .text = response(429, "Retry-After: 0\r\n", "{}")},
	    {.act = SEND, .text = response(503, "", "{}")},
	};
	struct done p = {0};
	json_t *obj = json_pack("{s:s}", "kind", "ConfigMap");
	const struct kc_ref coll = {.version = "v1", .resource = "configmaps", .ns = "ns"};
	server_start(post_script, 2);
	kc_create(c, &coll, NULL, obj, on_done, &p, NULL, NULL);
	run_until(&p.called, 5);
	server_join();
	is_int(p.status, 503, "POST: 503 reported, not retried");
	is_int(srv.seen, 2, "POST: one retry for the 429 only");
	is_str(srv.ctype[1], "application/json", "POST content type");
	is_str(srv.body[1], "{\"kind\":\"ConfigMap\"}", "POST body");
	json_decref(obj);
	json_decref(p.body);

	/* Retries are bounded. */
	const struct action always_503[] = {
	    {.act = SEND, .text = response(503, "", "{}")},
	    {.act = SEND, .text = response(503, "", "{}")},
	    {.act = SEND, .text = response(503, "", "{}")},
	    {.act = SEND, .text = response(503, "", "{}")},
	};
	struct done b = {0};
	server_start(always_503, 4);
	kc_get(c, &cm_x, NULL, on_done, &b, NULL, NULL);
	run_until(&b.called, 5);
	server_join();
	is_int(b.status, 503, "GET gives up with the last 503");
	is_int(srv.seen, 4, "first attempt plus max_retries (3)");
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
	kc_client_free(c);
}

/* More distinct statuses than the table holds: the rest land in the verb's
 * overflow row (code -1), nothing is lost. */
static void test_count_overflow(void)
{
	enum { N = KC_REQUEST_COUNTS_MAX + 6 };
	static struct action script[N];
	struct kc_client *c = client(-1, 3);
	const struct kc_ref coll = {.version = "v1", .resource = "configmaps", .ns = "ns"};
	json_t *obj = json_pack("{s:s}", "kind", "ConfigMap");
	for (int i = 0; i < N; i++)
		script[i].act = SEND;
	server_start(script, N);
	for (int i = 0; i < N; i++) {
		struct done d = {0};
		/* response() keeps 16 buffers: build each one just before use. */
		script[i].text = response(430 + i, "", "{}");
		kc_create(c, &coll, NULL, obj, on_done, &d, NULL, NULL);
		run_until(&d.called, 5);
		json_decref(d.body);
	}
	server_join();
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
	const struct action script[] = {
	    {.act = SEND,
	     .text = response(401, "",
	                      "{\"kind\":\"Status\",\"reason\":\"Unauthorized\",\"code\":401}")},
	    {.act = SEND, .text = response(200, "", "{}")},
	    {.act = SEND,
	     .text = response(401, "",
	                      "{\"kind\":\"Status\",\"reason\":\"Unauthorized\",\"code\":401}")},
	    {.act = SEND,
	     .text = response(401, "",
	                      "{\"kind\":\"Status\",\"reason\":\"Unauthorized\",\"code\":401}")},
	};
	struct kc_client *c = client(-1, 3);
	struct done d = {0}, e = {0}, f = {0};
	server_start(script, 4);
	kc_get(c, &cm_x, NULL, on_done, &d, NULL, NULL);
	run_until(&d.called, 5);
	is_int(d.status, 200, "401 then 200: succeeds after re-auth");
	kc_get(c, &cm_x, NULL, on_done, &e, NULL, NULL);
	run_until(&e.called, 5);
	server_join();
	is_int(e.status, 401, "401 twice: reported");
	is_int(e.code, -EACCES, "401 is -EACCES");
	is_int(srv.seen, 4, "one re-auth retry per request");
	struct kc_client_stats st;
	kc_client_stats(c, &st);
	is_int(st.retries, 2, "re-auth attempts count as retries");

	/* A 401 to a POST whose body is cut short by the server closing the
	 * stream is still a 401: re-authenticate and retry. */
	const struct action cut[] = {
	    {.act = SEND,
	     .text = "HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\n"
	             "Content-Length: 200\r\n\r\n{\"kind\":\"Status\",\"rea"},
	    {.act = SEND, .text = response(201, "", "{\"kind\":\"ConfigMap\"}")},
	};
	json_t *obj = json_pack("{s:s}", "kind", "ConfigMap");
	const struct kc_ref coll = {.version = "v1", .resource = "configmaps", .ns = "ns"};
	server_start(cut, 2);
	kc_create(c, &coll, NULL, obj, on_done, &f, NULL, NULL);
	run_until(&f.called, 5);
	server_join();
	is_int(f.status, 201, "cut-off 401 to a POST: re-authenticated and created: %s", f.message);
	json_decref(obj);
	json_decref(f.body);
	json_decref(d.body);
	json_decref(e.body);
	kc_client_free(c);
}

static void test_timeout(void)
{
	const struct action script[] = {{.act = HANG}};
	struct kc_client *c = client(-1, 3);
	struct done d = {0};
	struct kc_request_options o = {.method = KC_POST,
	                               .path = "/api/v1/namespaces/ns/configmaps",
	                               .timeout = 0.3,
	                               .on_done = on_done,
	                               .userdata = &d};
	server_start(script, 1);
	double t0 = ev_time();
	kc_request_start(c, &o, NULL, NULL);
	run_until(&d.called, 5);
	double took = ev_time() - t0;
	struct kc_request_count counts[8];
	size_t n = kc_client_request_counts(c, counts, 8);
	is_int(count_of(counts, n, "POST", 0), 1, "a timed-out attempt is counted under code 0");
	kc_client_free(c); /* closes the connection, so the server thread ends */
	server_join();
	is_int(d.code, -ETIMEDOUT, "per-request timeout: -ETIMEDOUT");
	ok(took > 0.25 && took < 5, "timed out after about 0.3 s (%.2f s)", took);
	ok(strstr(d.message, "timed out") != NULL, "message says timed out: %s", d.message);
}

static void test_refused(void)
{
	struct kc_config *bad = load_config("http://127.0.0.1:1");
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

#define STREAM_HEAD                                                                                \
	"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"

static void test_stream(void)
{
	/* Bytes arrive in order; the end of the response completes the request. */
	const struct action script[] = {
	    {.act = STREAM,
	     .text = STREAM_HEAD,
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
	server_start(script, 1);
	kc_request_start(c, &o, &s.req, NULL);
	/* The server keeps the stream open after the parts: the idle timeout ends it. */
	run_until(&s.done.called, 10);
	kc_client_free(c);
	server_join();
	is_str(s.got, "{\"type\":\"ADDED\"}\n{\"type\":\"MODIFIED\"}\n",
	       "stream: bytes delivered in order");
	is_int(s.done.code, -ETIMEDOUT, "stream: idle timeout ends it with -ETIMEDOUT");
	ok(strstr(s.done.message, "no data") != NULL, "idle message: %s", s.done.message);

	/* Cancelling from inside on_data: no completion callback. */
	const struct action script2[] = {
	    {.act = STREAM, .text = STREAM_HEAD, .parts = {"a", "b", "c", NULL}},
	};
	c = client(-1, 3);
	struct stream s2 = {.cancel_at_second = true};
	o.userdata = &s2;
	o.idle_timeout = 0;
	server_start(script2, 1);
	kc_request_start(c, &o, &s2.req, NULL);
	run_until(&s2.done.called, 5);
	/* Let the loop run a little more: nothing else must arrive. */
	bool never = false;
	run_until(&never, 0.2);
	server_join(); /* the client closed the connection */
	is_int(s2.done.calls, 0, "cancel from on_data: on_done never called");
	is_str(s2.got, "ab", "cancel from on_data: no bytes after the cancel");
	kc_client_free(c);

	/* From inside A's on_data: cancel A and B (B is idle in the multi
	 * handle, its request sent), start C. Only C completes. */
	const struct action script4[] = {
	    {.act = STREAM, .text = STREAM_HEAD, .parts = {"a", "b", "c", NULL}},
	    {.act = HANG},
	    {.act = SEND, .text = response(200, "", "{\"kind\":\"ConfigMap\"}")},
	};
	c = client(-1, 3);
	struct stream a = {.cancel_at_second = true}, b = {0};
	struct done cdone = {0};
	a.other = &b;
	a.client = c;
	a.started = &cdone;
	o.idle_timeout = 0;
	server_start(script4, 3);
	o.userdata = &a;
	kc_request_start(c, &o, &a.req, NULL);
	o.userdata = &b;
	kc_request_start(c, &o, &b.req, NULL);
	run_until(&cdone.called, 5);
	run_until(&never, 0.2);
	server_join();
	is_int(cdone.status, 200, "request started from on_data completes");
	is_int(a.done.calls + b.done.calls, 0, "streams cancelled from on_data never call back");
	is_int(b.len, 0, "the idle stream got nothing");
	json_decref(cdone.body);
	kc_client_free(c);

	/* A non-2xx answer to a stream is decoded as an error, not streamed. */
	const struct action script3[] = {
	    {.act = SEND,
	     .text = response(410, "",
	                      "{\"kind\":\"Status\",\"reason\":\"Expired\",\"message\":\"too "
	                      "old\",\"code\":410}")}};
	c = client(-1, 3);
	struct stream s3 = {0};
	o.userdata = &s3;
	server_start(script3, 1);
	kc_request_start(c, &o, NULL, NULL);
	run_until(&s3.done.called, 5);
	server_join();
	is_int(s3.len, 0, "410 stream: nothing passed to on_data");
	is_int(s3.done.code, -ESTALE, "410 stream: -ESTALE");
	json_decref(s3.done.body);
	kc_client_free(c);
}

static void test_pages(void)
{
	const struct action script[] = {
	    {.act = SEND,
	     .text = response(200, "",
	                      "{\"kind\":\"ConfigMapList\",\"metadata\":{\"resourceVersion\":\"7\","
	                      "\"continue\":\"t/1=\","
	                      "\"remainingItemCount\":3},\"items\":[{\"n\":1},{\"n\":2}]}")},
	    {.act = SEND,
	     .text = response(200, "",
	                      "{\"kind\":\"ConfigMapList\",\"metadata\":{\"continue\":\"t2\"},"
	                      "\"items\":[{\"n\":3}]}")},
	    {.act = SEND,
	     .text = response(200, "",
	                      "{\"kind\":\"ConfigMapList\",\"metadata\":{\"continue\":\"t3\"},"
	                      "\"items\":[{\"n\":4},{\"n\":5}]}")},
	    /* A last page that is empty, as Go writes a nil slice. */
	    {.act = SEND,
	     .text =
	         response(200, "", "{\"kind\":\"ConfigMapList\",\"metadata\":{},\"items\":null}")},
	};
	struct kc_client *c = client(-1, 3);
	struct done d = {0};
	const struct kc_ref coll = {.version = "v1", .resource = "configmaps", .ns = "ns"};
	const struct kc_query q = {.limit = 2, .label_selector = "a=b"};
	server_start(script, 4);
	kc_list_all(c, &coll, &q, on_done, &d, NULL, NULL);
	run_until(&d.called, 5);
	server_join();
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
	is_str(srv.lines[0],
	       "GET /api/v1/namespaces/ns/configmaps?labelSelector=a%3Db&limit=2 HTTP/1.1",
	       "page 1");
	is_str(srv.lines[1],
	       "GET /api/v1/namespaces/ns/configmaps?labelSelector=a%3Db&limit=2&continue=t%2F1%3D "
	       "HTTP/1.1",
	       "page 2 carries the encoded continue token");
	json_decref(d.body);
	kc_client_free(c);
}

static void test_rate_limit_and_cancel(void)
{
	const struct action script[] = {{.act = SEND, .text = response(200, "", "{}")},
	                                {.act = SEND, .text = response(200, "", "{}")},
	                                {.act = SEND, .text = response(200, "", "{}")}};
	struct kc_client *c = client(10, 3); /* 10 qps, burst 1 */
	struct done d[4] = {{0}};
	struct kc_request *r3 = NULL;
	server_start(script, 3);
	double t0 = ev_time();
	for (int i = 0; i < 3; i++)
		kc_get(c, &cm_x, NULL, on_done, &d[i], NULL, NULL);
	kc_get(c, &cm_x, NULL, on_done, &d[3], &r3, NULL);
	r3 = kc_request_cancel(r3);
	run_until(&d[2].called, 5);
	double took = ev_time() - t0;
	bool never = false;
	run_until(&never, 0.2);
	server_join();
	ok(d[0].called && d[1].called && d[2].called, "three requests completed");
	ok(took >= 0.18, "10 qps with burst 1: third request after >= 200 ms (%.3f s)", took);
	is_int(d[3].calls, 0, "cancelled request never calls back");
	is_int(srv.seen, 3, "cancelled request never reached the server");
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
	const struct action script[] = {
	    {.act = SEND,
	     .text = response(200, "", "{\"kind\":\"Status\",\"status\":\"Success\"}")}};
	struct kc_client_options o = {.qps = -1, .metrics = metrics};
	struct kc_client *c = NULL;
	struct done d = {0};
	kc_client_new(loop, cfg, &o, &c, NULL);
	const struct kc_query q = {.propagation_policy = "Foreground"};
	const struct kc_preconditions pre = {.uid = "u-1", .resource_version = "42"};
	server_start(script, 1);
	kc_delete(c, &cm_x, &q, &pre, on_done, &d, NULL, NULL);
	run_until(&d.called, 5);
	server_join();
	is_str(srv.lines[0], "DELETE /api/v1/namespaces/ns/configmaps/x HTTP/1.1",
	       "delete request line");
	json_t *body = json_loads(srv.body[0], 0, NULL);
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

static void test_apply_and_sync(void)
{
	const struct action script[] = {
	    {.act = SEND, .text = response(200, "", "{\"kind\":\"ConfigMap\"}")}};
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
	server_start(script, 1);
	is_int(kc_apply(c, &coll, &q, obj, kc_sync_done, &s, NULL, &err), 0, "apply starts");
	is_int(kc_sync_wait(c, &s, &body, &err), 0, "kc_sync_wait returns 0");
	server_join();
	is_str(json_string_value(json_object_get(body, "kind")), "ConfigMap",
	       "sync body handed out");
	is_str(srv.lines[0],
	       "PATCH /api/v1/namespaces/ns/configmaps/x?fieldManager=slipway&force=true HTTP/1.1",
	       "apply: PATCH on the object's name");
	is_str(srv.ctype[0], "application/apply-patch+yaml", "apply content type");
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
	if (server_listen() < 0) {
		tap_diag("cannot listen on loopback");
		return 1;
	}
	char server[64];
	snprintf(server, sizeof(server), "http://127.0.0.1:%d", srv.port);
	cfg = load_config(server);
	if (!cfg)
		return 1;

	test_get_and_async();
	test_not_found();
	test_retries();
	test_count_overflow();
	test_reauth();
	test_timeout();
	test_refused();
	test_stream();
	test_pages();
	test_rate_limit_and_cancel();
	test_delete_and_metrics();
	test_apply_and_sync();
	close(srv.fd);
	cfg = kc_config_free(cfg);
	ev_loop_destroy(loop);
	return tap_done();
}
