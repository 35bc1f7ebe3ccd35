/* The HTTP server (controller/httpserver.h): its parsers from tables, then a
 * real server on 127.0.0.1 port 0 in a libev loop on the main thread, with
 * a client thread talking to it through plain blocking sockets. The client
 * thread only records what it got; every check runs on the main thread
 * after it is done (tap.h is not thread-safe). */
#include "tap.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ev.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "controller/httpserver.h"
#include "controller/metrics.h"

/* ---- parsers ---- */

static void test_parse_address(void)
{
	static const struct {
		const char *in;
		int want;
		const char *host;
		int port;
	} rows[] = {
	    {"127.0.0.1:8080", 0, "127.0.0.1", 8080},
	    {":8080", 0, "", 8080},
	    {"[::1]:9090", 0, "::1", 9090},
	    {"[::]:0", 0, "::", 0},
	    {"localhost:65535", 0, "localhost", 65535},
	    {"0.0.0.0:00080", 0, "0.0.0.0", 80},
	    {"127.0.0.1", -EINVAL, NULL, 0},
	    {"127.0.0.1:", -EINVAL, NULL, 0},
	    {"127.0.0.1:65536", -EINVAL, NULL, 0},
	    {"127.0.0.1:123456", -EINVAL, NULL, 0},
	    {"127.0.0.1:80a", -EINVAL, NULL, 0},
	    {"127.0.0.1:-1", -EINVAL, NULL, 0},
	    {"::1:8080", -EINVAL, NULL, 0},
	    {"[::1]8080", -EINVAL, NULL, 0},
	    {"[::1", -EINVAL, NULL, 0},
	    {"[]:80", -EINVAL, NULL, 0},
	    {"", -EINVAL, NULL, 0},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char host[CTL_HTTP_HOST_MAX + 1] = "untouched";
		uint16_t port = 4242;
		int r = ctl_http_parse_address(rows[i].in, host, sizeof(host), &port);
		is_int(r, rows[i].want, "address \"%s\"", rows[i].in);
		if (rows[i].want == 0) {
			is_str(host, rows[i].host, "address \"%s\": host", rows[i].in);
			is_int(port, rows[i].port, "address \"%s\": port", rows[i].in);
		} else {
			ok(port == 4242 && strcmp(host, "untouched") == 0,
			   "address \"%s\": out-params untouched", rows[i].in);
		}
	}
	is_int(ctl_http_parse_address(NULL, (char[8]){0}, 8, &(uint16_t){0}), -EINVAL,
	       "address NULL");
	char small[4];
	is_int(ctl_http_parse_address("abcd:1", small, sizeof(small), &(uint16_t){0}), -EINVAL,
	       "address: host longer than the buffer");
}

static void test_parse_request(void)
{
	static const struct {
		const char *in;
		int want;
		const char *method;
		const char *path;
	} rows[] = {
	    {"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 0, "GET", "/metrics"},
	    {"GET /metrics HTTP/1.0\r\n\r\n", 0, "GET", "/metrics"},
	    {"HEAD /readyz?verbose=1&x=%20 HTTP/1.1\r\n\r\n", 0, "HEAD", "/readyz"},
	    {"GET / HTTP/1.1\nHost: x\nAccept: */*\n\n", 0, "GET", "/"},
	    {"GET /x HTTP/1.1\r\nUser-Agent: caf\xc3\xa9\t1\r\n\r\n", 0, "GET", "/x"},
	    {"DELETE /x HTTP/1.1\r\n\r\nbody-is-ignored", 0, "DELETE", "/x"},
	    {"", -EAGAIN, NULL, NULL},
	    {"GE", -EAGAIN, NULL, NULL},
	    {"GET /met", -EAGAIN, NULL, NULL},
	    {"GET /metrics HTT", -EAGAIN, NULL, NULL},
	    {"GET /metrics HTTP/1.", -EAGAIN, NULL, NULL},
	    {"GET /metrics HTTP/1.1\r", -EAGAIN, NULL, NULL},
	    {"GET /metrics HTTP/1.1\r\nHost: x", -EAGAIN, NULL, NULL},
	    {"GET /metrics HTTP/1.1\r\nHost: x\r\n", -EAGAIN, NULL, NULL},
	    {"GET /metrics HTTP/1.1\r\nHost: x\r\n\r", -EAGAIN, NULL, NULL},
	    {"\x16\x03\x01\x02\x00\x01", -EBADMSG, NULL, NULL},
	    {" GET / HTTP/1.1\r\n\r\n", -EBADMSG, NULL, NULL},
	    {"GET  / HTTP/1.1\r\n\r\n", -EBADMSG, NULL, NULL},
	    {"GET x HTTP/1.1\r\n\r\n", -EBADMSG, NULL, NULL},
	    {"GET * HTTP/1.1\r\n\r\n", -EBADMSG, NULL, NULL},
	    {"GET http://h/ HTTP/1.1\r\n\r\n", -EBADMSG, NULL, NULL},
	    {"GET /a\x01 HTTP/1.1\r\n\r\n", -EBADMSG, NULL, NULL},
	    {"GET /\xc3\xa9 HTTP/1.1\r\n\r\n", -EBADMSG, NULL, NULL},
	    {"GET / HTTX/1.1\r\n\r\n", -EBADMSG, NULL, NULL},
	    {"GET / HTTP/1.1 \r\n\r\n", -EBADMSG, NULL, NULL},
	    {"GET / HTTP/x.1\r\n\r\n", -EBADMSG, NULL, NULL},
	    {"GET / HTTP/1.1\rX\n\r\n", -EBADMSG, NULL, NULL},
	    {"GET / HTTP/1.1\r\nno colon\r\n\r\n", -EBADMSG, NULL, NULL},
	    {"GET / HTTP/1.1\r\n: empty name\r\n\r\n", -EBADMSG, NULL, NULL},
	    {"GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n", -EBADMSG, NULL, NULL},
	    {"GET / HTTP/1.1\r\nA: b\x01\r\n\r\n", -EBADMSG, NULL, NULL},
	    {"GET / HTTP/1.1\r\nA: b\rc\r\n\r\n", -EBADMSG, NULL, NULL},
	    {"GETTINGVERYLONGMETHOD / HTTP/1.1\r\n\r\n", -EBADMSG, NULL, NULL},
	    {"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", -EBADMSG, NULL, NULL},
	    {"GET / HTTP/2.0\r\n\r\n", -EPROTONOSUPPORT, NULL, NULL},
	    {"GET / HTTP/0.9\r\n\r\n", -EPROTONOSUPPORT, NULL, NULL},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct ctl_http_request req = {.method = "untouched"};
		int r = ctl_http_parse_request(rows[i].in, strlen(rows[i].in), &req);
		is_int(r, rows[i].want, "request row %zu", i);
		if (rows[i].want == 0) {
			is_str(req.method, rows[i].method, "request row %zu: method", i);
			is_str(req.path, rows[i].path, "request row %zu: path", i);
		} else {
			is_str(req.method, "untouched", "request row %zu: out-param untouched", i);
		}
	}

	/* The target limit. */
	static char big[CTL_HTTP_PATH_MAX + 64];
	struct ctl_http_request req;
	memcpy(big, "GET /", 5);
	memset(big + 5, 'a', CTL_HTTP_PATH_MAX - 1);
	memcpy(big + 4 + CTL_HTTP_PATH_MAX, " HTTP/1.1\r\n\r\n", 14);
	is_int(ctl_http_parse_request(big, strlen(big), &req), 0, "request: target at the limit");
	is_int(strlen(req.path), CTL_HTTP_PATH_MAX, "request: whole path kept");
	memcpy(big + 4 + CTL_HTTP_PATH_MAX, "b HTTP/1.1\r\n\r\n", 15);
	is_int(ctl_http_parse_request(big, strlen(big), &req), -E2BIG, "request: target over it");
	/* An embedded NUL is garbage, not the end of the input. */
	static const char nul[] = "GET /\0 HTTP/1.1\r\n\r\n";
	is_int(ctl_http_parse_request(nul, sizeof(nul) - 1, &req), -EBADMSG,
	       "request: NUL in the target");
}

/* ---- the server ---- */

enum {
	C_HEALTHZ,
	C_NOT_READY,
	C_READY,
	C_METRICS,
	C_NOT_FOUND,
	C_POST,
	C_HEAD,
	C_GARBAGE,
	C_OVERSIZED,
	C_HTTP2,
	C_SPLIT,
	C_LF_ONLY,
	C_QUERY,
	C_HALF_CLOSE,
	C_SILENT,
	C_AFTER_RESET,
	C_SLOW_READER,
	C_STALLED,
	C_PARALLEL, /* C_PARALLEL .. C_PARALLEL + NPARALLEL - 1 */
	NPARALLEL = 8,
	NCASES = C_PARALLEL + NPARALLEL,
};

/* The server's per-connection timeout in this test. Long enough that a
 * client thread descheduled on a loaded machine (sanitizers, valgrind, a
 * cluster beside it) is not mistaken for a stalled one, which made the
 * slow-reader check flaky at 0.5 s. */
#define TIMEOUT 1.5

struct result {
	char *resp; /* NUL-terminated, what the server sent until it closed */
	size_t len;
	double seconds; /* from connect to the server's close */
};

struct test_ctx {
	uint16_t port;
	atomic_bool ready;
	ev_async done;
	int connect_and_close_ok;
	struct result res[NCASES];
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int dial(uint16_t port, int rcvbuf)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	/* A test must never hang: every blocking call gives up after 10 s. */
	struct timeval tv = {.tv_sec = 10};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (rcvbuf > 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void send_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n <= 0)
			return;
		p += n;
		len -= (size_t)n;
	}
}

/* Reads until the server closes; keeps the first 8 MiB. */
static void read_all(int fd, struct result *res, double t0)
{
	size_t cap = 8 << 20;
	res->resp = malloc(cap + 1);
	res->len = 0;
	for (;;) {
		char tmp[65536];
		ssize_t n = recv(fd, tmp, sizeof(tmp), 0);
		if (n <= 0)
			break;
		size_t take = (size_t)n < cap - res->len ? (size_t)n : cap - res->len;
		memcpy(res->resp + res->len, tmp, take);
		res->len += take;
	}
	res->resp[res->len] = '\0';
	res->seconds = now_s() - t0;
}

static void request(struct test_ctx *t, int which, const char *raw, size_t len)
{
	double t0 = now_s();
	int fd = dial(t->port, 0);
	if (fd < 0)
		return;
	send_all(fd, raw, len);
	read_all(fd, &t->res[which], t0);
	close(fd);
}

#define REQ(t, which, lit) request((t), (which), (lit), sizeof(lit) - 1)

static void *client(void *arg)
{
	struct test_ctx *t = arg;

	REQ(t, C_HEALTHZ, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
	atomic_store(&t->ready, false);
	REQ(t, C_NOT_READY, "GET /readyz HTTP/1.1\r\n\r\n");
	atomic_store(&t->ready, true);
	REQ(t, C_READY, "GET /readyz HTTP/1.1\r\n\r\n");
	REQ(t, C_METRICS, "GET /metrics HTTP/1.1\r\nAccept: text/plain\r\n\r\n");
	REQ(t, C_NOT_FOUND, "GET /nope HTTP/1.1\r\n\r\n");
	REQ(t, C_POST, "POST /metrics HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi");
	REQ(t, C_HEAD, "HEAD /healthz HTTP/1.1\r\n\r\n");
	/* A TLS ClientHello's first bytes. */
	REQ(t, C_GARBAGE, "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03");
	REQ(t, C_HTTP2, "GET /healthz HTTP/2.0\r\n\r\n");
	REQ(t, C_LF_ONLY, "GET /healthz HTTP/1.1\nHost: x\n\n");
	REQ(t, C_QUERY, "GET /healthz?verbose=1 HTTP/1.1\r\n\r\n");

	/* Headers over the limit: more than we read, still answered. */
	static char big[3 * CTL_HTTP_REQUEST_MAX];
	size_t n = (size_t)snprintf(big, sizeof(big), "GET /healthz HTTP/1.1\r\nX-Big: ");
	memset(big + n, 'a', sizeof(big) - n - 4);
	memcpy(big + sizeof(big) - 4, "\r\n\r\n", 4);
	request(t, C_OVERSIZED, big, sizeof(big));

	/* A request in pieces. */
	{
		double t0 = now_s();
		int fd = dial(t->port, 0);
		if (fd >= 0) {
			send_all(fd, "GET /hea", 8);
			usleep(50 * 1000);
			send_all(fd, "lthz HTTP/1.1\r\nHo", 17);
			usleep(50 * 1000);
			send_all(fd, "st: x\r\n\r\n", 9);
			read_all(fd, &t->res[C_SPLIT], t0);
			close(fd);
		}
	}
	/* The client closes its side right after the request. */
	{
		double t0 = now_s();
		int fd = dial(t->port, 0);
		if (fd >= 0) {
			send_all(fd, "GET /healthz HTTP/1.1\r\n\r\n", 25);
			shutdown(fd, SHUT_WR);
			read_all(fd, &t->res[C_HALF_CLOSE], t0);
			close(fd);
		}
	}
	/* Connects and closes at once, twice: nothing to answer, nothing to break. */
	for (int i = 0; i < 2; i++) {
		int fd = dial(t->port, 0);
		if (fd >= 0) {
			t->connect_and_close_ok++;
			close(fd);
		}
	}
	/* Says nothing: the server hangs up after its timeout. */
	{
		double t0 = now_s();
		int fd = dial(t->port, 0);
		if (fd >= 0) {
			read_all(fd, &t->res[C_SILENT], t0);
			close(fd);
		}
	}
	/* Asks for the (large) metrics, reads a little, then resets the
	 * connection while the server still has megabytes to send. */
	{
		int fd = dial(t->port, 2048);
		if (fd >= 0) {
			char tmp[256];
			send_all(fd, "GET /metrics HTTP/1.1\r\n\r\n", 25);
			ssize_t got = recv(fd, tmp, sizeof(tmp), 0);
			(void)got;
			usleep(100 * 1000);
			struct linger lg = {.l_onoff = 1, .l_linger = 0};
			setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
			close(fd);
		}
		usleep(100 * 1000);
		REQ(t, C_AFTER_RESET, "GET /healthz HTTP/1.1\r\n\r\n");
	}
	/* Reads the large /metrics slowly, for longer than the timeout in
	 * all: steady progress keeps the connection. */
	{
		double t0 = now_s();
		int fd = dial(t->port, 16384);
		if (fd >= 0) {
			send_all(fd, "GET /metrics HTTP/1.1\r\n\r\n", 25);
			struct result *r = &t->res[C_SLOW_READER];
			r->resp = malloc((8 << 20) + 1);
			/* 25 ms per 64 KiB received, however recv splits it: about
			 * 2 s for the ~5 MiB, longer than TIMEOUT in all, each gap
			 * far shorter than it. */
			size_t since_pause = 0;
			for (;;) {
				ssize_t got = recv(fd, r->resp + r->len, 65536, 0);
				if (got <= 0 || r->len + (size_t)got > (7 << 20))
					break;
				r->len += (size_t)got;
				since_pause += (size_t)got;
				if (since_pause >= 65536) {
					since_pause = 0;
					usleep(25 * 1000);
				}
			}
			r->resp[r->len] = '\0';
			r->seconds = now_s() - t0;
			close(fd);
		}
	}
	/* Asks for the large /metrics and stops reading: the server gives up
	 * after a timeout without progress instead of holding the slot. */
	{
		double t0 = now_s();
		int fd = dial(t->port, 2048);
		if (fd >= 0) {
			send_all(fd, "GET /metrics HTTP/1.1\r\n\r\n", 25);
			usleep((useconds_t)(TIMEOUT * 5 * 1e6));
			read_all(fd, &t->res[C_STALLED], t0);
			close(fd);
		}
	}
	/* Several clients at once: all requests sent before any is read. */
	{
		int fds[NPARALLEL];
		double t0 = now_s();
		for (int i = 0; i < NPARALLEL; i++) {
			fds[i] = dial(t->port, 0);
			if (fds[i] >= 0)
				send_all(fds[i], "GET /readyz HTTP/1.1\r\n\r\n", 24);
		}
		for (int i = NPARALLEL - 1; i >= 0; i--) {
			if (fds[i] >= 0) {
				read_all(fds[i], &t->res[C_PARALLEL + i], t0);
				close(fds[i]);
			}
		}
	}
	ev_async_send(EV_DEFAULT, &t->done);
	return NULL;
}

static bool is_ready(void *userdata, char *reason, size_t reason_size)
{
	struct test_ctx *t = userdata;
	if (atomic_load(&t->ready))
		return true;
	snprintf(reason, reason_size, "informers not synced:\nreleases");
	return false;
}

struct drain {
	struct ctl_httpserver *srv;
	double deadline;
	ev_timer poll;
};

static void drain_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct drain *d = w->data;
	if (ctl_httpserver_connections(d->srv) == 0 || ev_now(loop) > d->deadline)
		ev_break(loop, EVBREAK_ALL);
}

static void done_cb(struct ev_loop *loop, ev_async *w, int revents)
{
	struct drain *d = w->data;
	/* The client is done; the server may still be lingering on a
	 * connection or two. Give it a moment to close them all. */
	d->deadline = ev_now(loop) + 5;
	ev_timer_start(loop, &d->poll);
}

/* The body of a response (after the blank line), or "" */
static const char *body_of(const struct result *r)
{
	const char *p = r->resp ? strstr(r->resp, "\r\n\r\n") : NULL;
	return p ? p + 4 : "";
}

static bool starts(const struct result *r, const char *prefix)
{
	return r->resp && strncmp(r->resp, prefix, strlen(prefix)) == 0;
}

static bool has(const struct result *r, const char *s)
{
	return r->resp && strstr(r->resp, s) != NULL;
}

static struct ctl_metrics *test_registry(void)
{
	struct ctl_metrics *m = ctl_metrics_new();
	struct ctl_metric *c = NULL, *big = NULL;
	ctl_metrics_counter(m, "test_requests_total", "Requests.", NULL, &c);
	ctl_metric_add(c, NULL, 7);
	/* About 5 MiB of exposition (more than the
	 * largest kernel send buffer, tcp_wmem 4 MiB), so a response is still being written
	 * when its client resets the connection. */
	static const char *const labels[] = {"id", "filler", NULL};
	ctl_metrics_gauge(m, "test_big", "Big.", labels, &big);
	ctl_metric_set_max_series(big, 10000);
	char filler[CTL_METRICS_VALUE_MAX + 1];
	memset(filler, 'f', CTL_METRICS_VALUE_MAX);
	filler[CTL_METRICS_VALUE_MAX] = '\0';
	for (int i = 0; i < 10000; i++) {
		char id[16];
		snprintf(id, sizeof(id), "%d", i);
		ctl_metric_set(big, (const char *const[]){id, filler, NULL}, i);
	}
	return m;
}

static void test_server(void)
{
	struct ev_loop *loop = EV_DEFAULT;
	struct ctl_metrics *metrics = test_registry();
	static struct test_ctx t;
	atomic_init(&t.ready, true);
	struct ctl_httpserver_config cfg = {
	    .address = "127.0.0.1:0",
	    .metrics = metrics,
	    .ready = is_ready,
	    .ready_userdata = &t,
	    .timeout = TIMEOUT,
	};
	struct ctl_httpserver *srv = NULL;
	int r = ctl_httpserver_start(loop, &cfg, &srv);
	if (!is_int(r, 0, "server: starts on 127.0.0.1:0"))
		return;
	t.port = ctl_httpserver_port(srv);
	ok(t.port != 0, "server: bound port is known (%u)", t.port);

	/* The same port again is refused, and the first server is unharmed. */
	char addr[32];
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", t.port);
	struct ctl_httpserver_config cfg2 = {.address = addr};
	struct ctl_httpserver *srv2 = NULL;
	is_int(ctl_httpserver_start(loop, &cfg2, &srv2), -EADDRINUSE, "server: port in use");
	ok(srv2 == NULL, "server: out-param untouched on failure");
	cfg2.address = "127.0.0.1";
	is_int(ctl_httpserver_start(loop, &cfg2, &srv2), -EINVAL, "server: address without port");
	cfg2.address = "no-such-host.invalid:0";
	is_int(ctl_httpserver_start(loop, &cfg2, &srv2), -EADDRNOTAVAIL, "server: unknown host");

	struct drain d = {.srv = srv};
	ev_timer_init(&d.poll, drain_cb, 0.01, 0.01);
	d.poll.data = &d;
	ev_async_init(&t.done, done_cb);
	t.done.data = &d;
	ev_async_start(loop, &t.done);

	pthread_t th;
	if (!is_int(pthread_create(&th, NULL, client, &t), 0, "client thread starts"))
		return;
	ev_run(loop, 0);
	pthread_join(th, NULL);
	ev_timer_stop(loop, &d.poll);
	ev_async_stop(loop, &t.done);
	is_int(ctl_httpserver_connections(srv), 0, "server: every connection closed in the end");

	struct result *res = t.res;
	ok(starts(&res[C_HEALTHZ], "HTTP/1.1 200 OK\r\n"), "healthz: 200");
	is_str(body_of(&res[C_HEALTHZ]), "ok\n", "healthz: body ok");
	ok(has(&res[C_HEALTHZ], "\r\nContent-Length: 3\r\n"), "healthz: Content-Length");
	ok(has(&res[C_HEALTHZ], "\r\nConnection: close\r\n"), "healthz: Connection: close");

	ok(starts(&res[C_NOT_READY], "HTTP/1.1 503 Service Unavailable\r\n"), "readyz: 503");
	is_str(body_of(&res[C_NOT_READY]), "not ready: informers not synced: releases\n",
	       "readyz: the reason, on one line");
	ok(starts(&res[C_READY], "HTTP/1.1 200 OK\r\n"), "readyz: 200 once ready");
	is_str(body_of(&res[C_READY]), "ok\n", "readyz: body ok");

	struct result *m = &res[C_METRICS];
	ok(starts(m, "HTTP/1.1 200 OK\r\n"), "metrics: 200");
	ok(has(m, "\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"),
	   "metrics: Prometheus content type");
	ok(has(m, "\n# TYPE test_requests_total counter\ntest_requests_total 7\n"),
	   "metrics: the registry's text");
	ok(has(m, "test_big{id=\"9999\",filler=\"ffff"), "metrics: all of it (last series)");
	char *expect_text = NULL;
	size_t expect_len = 0;
	ctl_metrics_render(metrics, &expect_text, &expect_len);
	char cl[64];
	snprintf(cl, sizeof(cl), "\r\nContent-Length: %zu\r\n", expect_len);
	ok(has(m, cl), "metrics: Content-Length is the body's (%zu)", expect_len);
	ok(expect_text && strcmp(body_of(m), expect_text) == 0, "metrics: body is the exposition");
	free(expect_text);

	ok(starts(&res[C_NOT_FOUND], "HTTP/1.1 404 Not Found\r\n"), "unknown path: 404");
	ok(starts(&res[C_POST], "HTTP/1.1 405 Method Not Allowed\r\n"), "POST: 405");
	ok(has(&res[C_POST], "\r\nAllow: GET, HEAD\r\n"), "POST: Allow header");
	ok(starts(&res[C_HEAD], "HTTP/1.1 200 OK\r\n"), "HEAD: 200");
	ok(has(&res[C_HEAD], "\r\nContent-Length: 3\r\n"), "HEAD: length of the GET body");
	is_str(body_of(&res[C_HEAD]), "", "HEAD: no body");
	ok(starts(&res[C_GARBAGE], "HTTP/1.1 400 Bad Request\r\n"), "garbage: 400");
	ok(res[C_GARBAGE].seconds < TIMEOUT * 0.6,
	   "garbage: refused at once, not at the timeout (%.3f s)", res[C_GARBAGE].seconds);
	ok(starts(&res[C_OVERSIZED], "HTTP/1.1 431 Request Header Fields Too Large\r\n"),
	   "oversized request: 431");
	ok(starts(&res[C_HTTP2], "HTTP/1.1 505 HTTP Version Not Supported\r\n"), "HTTP/2.0: 505");
	ok(starts(&res[C_SPLIT], "HTTP/1.1 200 OK\r\n"), "request in pieces: 200");
	ok(starts(&res[C_LF_ONLY], "HTTP/1.1 200 OK\r\n"), "bare LF line ends: 200");
	ok(starts(&res[C_QUERY], "HTTP/1.1 200 OK\r\n"), "query string ignored: 200");
	ok(starts(&res[C_HALF_CLOSE], "HTTP/1.1 200 OK\r\n"), "half-closed client: answered");
	is_int(t.connect_and_close_ok, 2, "connect-and-close clients connected");
	is_int(res[C_SILENT].len, 0, "silent client: closed without a response");
	ok(res[C_SILENT].seconds >= TIMEOUT * 0.8 && res[C_SILENT].seconds < TIMEOUT * 10,
	   "silent client: closed after the %.1f s timeout (%.3f s)", TIMEOUT,
	   res[C_SILENT].seconds);
	ok(res[C_SLOW_READER].len == res[C_METRICS].len && res[C_SLOW_READER].seconds > TIMEOUT,
	   "slow reader: all %zu bytes in %.2f s, past the timeout", res[C_SLOW_READER].len,
	   res[C_SLOW_READER].seconds);
	ok(starts(&res[C_STALLED], "HTTP/1.1 200 OK\r\n") &&
	       res[C_STALLED].len < res[C_METRICS].len,
	   "stalled reader: cut off after %zu bytes", res[C_STALLED].len);
	ok(starts(&res[C_AFTER_RESET], "HTTP/1.1 200 OK\r\n"),
	   "a client reset mid-response does not hurt the next one");
	int parallel_ok = 0;
	for (int i = 0; i < NPARALLEL; i++)
		parallel_ok += starts(&res[C_PARALLEL + i], "HTTP/1.1 200 OK\r\n");
	is_int(parallel_ok, NPARALLEL, "parallel clients: all answered");

	for (int i = 0; i < NCASES; i++)
		free(res[i].resp);
	ok(ctl_httpserver_free(srv) == NULL, "free returns NULL");
	ok(ctl_httpserver_free(NULL) == NULL, "free accepts NULL");
	ctl_metrics_free(metrics);
}

/* Every ordinary slot held by an idle client: the probes still answer,
 * anything else on a probe slot is told the server is busy. */
struct probe_ctx {
	uint16_t port;
	ev_async done;
	int held;
	struct result healthz, readyz, metrics;
};

static void *hold_every_slot(void *arg)
{
	struct probe_ctx *t = arg;
	int idle[CTL_HTTP_CONNECTIONS_DEFAULT];
	for (int i = 0; i < CTL_HTTP_CONNECTIONS_DEFAULT; i++) {
		idle[i] = dial(t->port, 0);
		t->held += idle[i] >= 0;
	}
	/* Let the server accept them all (accepting is on its loop). */
	usleep(300 * 1000);
	struct {
		const char *raw;
		struct result *res;
	} asks[] = {{"GET /healthz HTTP/1.1\r\n\r\n", &t->healthz},
	            {"GET /readyz HTTP/1.1\r\n\r\n", &t->readyz},
	            {"GET /metrics HTTP/1.1\r\n\r\n", &t->metrics}};
	for (size_t i = 0; i < sizeof(asks) / sizeof(asks[0]); i++) {
		double t0 = now_s();
		int fd = dial(t->port, 0);
		if (fd < 0)
			continue;
		send_all(fd, asks[i].raw, strlen(asks[i].raw));
		read_all(fd, asks[i].res, t0);
		close(fd);
	}
	for (int i = 0; i < CTL_HTTP_CONNECTIONS_DEFAULT; i++)
		if (idle[i] >= 0)
			close(idle[i]);
	ev_async_send(EV_DEFAULT, &t->done);
	return NULL;
}

static void probe_done_cb(struct ev_loop *loop, ev_async *w, int revents)
{
	ev_break(loop, EVBREAK_ALL);
}

static void test_probe_slots(void)
{
	struct ev_loop *loop = EV_DEFAULT;
	struct ctl_metrics *metrics = ctl_metrics_new();
	/* Idle clients are closed only at the timeout, long after the probes. */
	struct ctl_httpserver_config cfg = {
	    .address = "127.0.0.1:0", .metrics = metrics, .timeout = 30};
	struct ctl_httpserver *srv = NULL;
	if (!is_int(ctl_httpserver_start(loop, &cfg, &srv), 0, "probe slots: server starts"))
		return;
	static struct probe_ctx t;
	t.port = ctl_httpserver_port(srv);
	ev_async_init(&t.done, probe_done_cb);
	ev_async_start(loop, &t.done);
	pthread_t th;
	if (!is_int(pthread_create(&th, NULL, hold_every_slot, &t), 0,
	            "probe slots: client starts"))
		return;
	ev_run(loop, 0);
	pthread_join(th, NULL);
	ev_async_stop(loop, &t.done);
	is_int(t.held, CTL_HTTP_CONNECTIONS_DEFAULT, "probe slots: %d idle clients hold every slot",
	       CTL_HTTP_CONNECTIONS_DEFAULT);
	ok(starts(&t.healthz, "HTTP/1.1 200 OK\r\n") && t.healthz.seconds < 1.0,
	   "probe slots: /healthz answers in %.3f s", t.healthz.seconds);
	ok(starts(&t.readyz, "HTTP/1.1 200 OK\r\n") && t.readyz.seconds < 1.0,
	   "probe slots: /readyz answers in %.3f s", t.readyz.seconds);
	ok(starts(&t.metrics, "HTTP/1.1 503 Service Unavailable\r\n") && has(&t.metrics, "busy"),
	   "probe slots: /metrics on a probe slot is refused as busy");
	free(t.healthz.resp);
	free(t.readyz.resp);
	free(t.metrics.resp);
	ctl_httpserver_free(srv);
	ctl_metrics_free(metrics);
}

/* ":0" listens on every address; IPv4 loopback reaches it. */
static void test_wildcard(void)
{
	struct ev_loop *loop = EV_DEFAULT;
	struct ctl_httpserver_config cfg = {.address = ":0"};
	struct ctl_httpserver *srv = NULL;
	if (!is_int(ctl_httpserver_start(loop, &cfg, &srv), 0, "wildcard: starts on :0"))
		return;
	int fd = dial(ctl_httpserver_port(srv), 0);
	ok(fd >= 0, "wildcard: 127.0.0.1 connects");
	if (fd >= 0)
		close(fd);
	ctl_httpserver_free(srv);

	cfg.address = "[::1]:0";
	int r = ctl_httpserver_start(loop, &cfg, &srv);
	if (r == -EADDRNOTAVAIL || r == -EAFNOSUPPORT) {
		tap_diag("no IPv6 loopback here (%d); [::1] not tested", r);
		return;
	}
	is_int(r, 0, "IPv6: starts on [::1]:0");
	if (r == 0) {
		ok(ctl_httpserver_port(srv) != 0, "IPv6: port known");
		ctl_httpserver_free(srv);
	}
}

int main(void)
{
	test_parse_address();
	test_parse_request();
	test_server();
	test_probe_slots();
	test_wildcard();
	ev_loop_destroy(EV_DEFAULT);
	return tap_done();
}
