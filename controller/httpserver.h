/*
 * The controller's small HTTP/1.1 server for /metrics, /healthz and /readyz,
 * on the controller's libev loop.
 *
 * Routes (GET or HEAD; a query string is ignored):
 *   /healthz  200 "ok" — the loop is turning, which is all a liveness probe
 *             should ask (a stuck loop cannot answer).
 *   /readyz   200 "ok" when the ready callback says so (caches synced; a
 *             standby replica is ready too), else 503 "not ready: REASON".
 *   /metrics  200, the registry's exposition (controller/metrics.h), or 404
 *             when no registry was given, 500 if rendering fails.
 * Anything else: 404; another method: 405 with Allow; a malformed request:
 * 400; an HTTP version other than 1.x: 505; a request head (line plus
 * headers) over CTL_HTTP_REQUEST_MAX bytes: 431. A request body is never
 * read. Every response carries Content-Length and "Connection: close", and
 * the connection is closed after it: one request per connection keeps the
 * server a few lines of state, and scrapes and probes are rare.
 *
 * Never blocks the loop: the listener and every connection are
 * non-blocking, each connection has one ev_io and one ev_timer. A client
 * must send its whole request head within the timeout of being accepted,
 * and while the response is written every timeout must see some of it
 * taken by the client (measured with SIOCOUTQ, so bytes still queued in
 * the kernel do not count), else the connection is closed: a silent or stalled client costs
 * one slot for one timeout, a slow but steady scraper still gets a large
 * /metrics. At most max_connections are open for any request, plus
 * CTL_HTTP_PROBE_SLOTS more that serve only /healthz and /readyz (a
 * request for anything else on one of those gets 503 at once): a client
 * holding every ordinary slot, idle or scraping slowly, cannot make the
 * kubelet's probes fail. Beyond both the server stops accepting (the kernel
 * backlog holds the rest) until one closes. A client that goes away mid-response only ends its
 * connection (writes use MSG_NOSIGNAL: no SIGPIPE). After the response the server shuts down its
 * side and reads (and discards) what the client still sends until it closes, so a client that sent
 * more than we read still gets the response instead of a reset ("lingering close").
 *
 * Callbacks (ready, and the metrics callbacks inside rendering) run on the
 * loop's thread, from the loop, never inside ctl_httpserver_start(). Every
 * function must be called on the loop's thread.
 */
#ifndef SLIPWAY_CONTROLLER_HTTPSERVER_H
#define SLIPWAY_CONTROLLER_HTTPSERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ev_loop;
struct ctl_metrics;
struct ctl_httpserver;

#define CTL_HTTP_REQUEST_MAX         8192 /* bytes of request line plus headers */
#define CTL_HTTP_PATH_MAX            2048 /* bytes of the request target */
#define CTL_HTTP_HOST_MAX            255  /* bytes of the host part of an address */
#define CTL_HTTP_TIMEOUT_DEFAULT     10.0 /* seconds per connection */
#define CTL_HTTP_CONNECTIONS_DEFAULT 64
#define CTL_HTTP_PROBE_SLOTS         4   /* connections beyond the limit kept for probes */
#define CTL_HTTP_REASON_MAX          256 /* bytes of a /readyz reason */

/* Asked on every /readyz. Returns true when ready; otherwise may write a
 * short reason (NUL-terminated, reason_size bytes at most) into reason. */
typedef bool (*ctl_http_ready_fn)(void *userdata, char *reason, size_t reason_size);

struct ctl_httpserver_config {
	/* "host:port", ":port" (every address, IPv6 and IPv4 when the host
	 * has IPv6), "[v6addr]:port". Port 0 picks a free port (see
	 * ctl_httpserver_port). A host name is resolved once, in start. */
	const char *address;
	struct ctl_metrics *metrics; /* borrowed, outlives the server; NULL: no /metrics */
	ctl_http_ready_fn ready;     /* NULL: always ready */
	void *ready_userdata;
	double timeout;         /* seconds per connection; <= 0: CTL_HTTP_TIMEOUT_DEFAULT */
	size_t max_connections; /* 0: CTL_HTTP_CONNECTIONS_DEFAULT */
};

/*
 * Binds, listens and starts serving on loop. Caller owns *ret
 * (ctl_httpserver_free). Returns 0, -EINVAL (a malformed address),
 * -EADDRNOTAVAIL (the host does not resolve), -EADDRINUSE and the other
 * errors of socket/bind/listen, or -ENOMEM. *ret untouched on failure.
 */
int ctl_httpserver_start(struct ev_loop *loop, const struct ctl_httpserver_config *cfg,
                         struct ctl_httpserver **ret);
/* The port actually bound (the chosen one when the address said 0). */
uint16_t ctl_httpserver_port(const struct ctl_httpserver *s);
/* Connections open right now (for tests and for a shutdown drain). */
size_t ctl_httpserver_connections(const struct ctl_httpserver *s);
/* Stops listening, closes every connection at once and frees the server.
 * Accepts NULL; returns NULL. */
struct ctl_httpserver *ctl_httpserver_free(struct ctl_httpserver *s);

/*
 * The pure parts, exposed for table tests and fuzzing.
 *
 * Splits an address as described above: host (empty for ":port", without
 * the brackets of an IPv6 literal) into host[host_size], port into
 * *ret_port. 0 or -EINVAL (no port, a port over 65535 or not decimal, an
 * unbracketed IPv6 literal, a host over CTL_HTTP_HOST_MAX or host_size).
 * Out-params untouched on failure.
 */
int ctl_http_parse_address(const char *address, char *host, size_t host_size, uint16_t *ret_port);

struct ctl_http_request {
	char method[16];
	char path[CTL_HTTP_PATH_MAX + 1]; /* the target up to '?' */
	int minor_version;                /* HTTP/1.x */
};

/*
 * Parses a request head from the first len bytes received. Returns 0 when
 * the head is complete (the empty line seen) and valid, filling *ret;
 * -EAGAIN when more bytes are needed; -EBADMSG as soon as the bytes seen
 * cannot be a valid request (so binary garbage is refused at once, not
 * after a timeout); -EPROTONOSUPPORT for a version other than HTTP/1.x;
 * -E2BIG for a target over CTL_HTTP_PATH_MAX. Lines end in CRLF or LF.
 * Header fields must look like "name: value" (token name, no control
 * bytes); their values are not interpreted.
 */
int ctl_http_parse_request(const char *buf, size_t len, struct ctl_http_request *ret);

#endif
