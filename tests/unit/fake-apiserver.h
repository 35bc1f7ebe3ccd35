/*
 * A fake API server on loopback for tests of the controller runtime: unlike
 * tests/unit/scripted-server.h (one connection at a time, in script
 * order), it serves every connection at once on a thread of its own, so
 * several informers can hold their watches open while the executor writes.
 *
 * Answers:
 *   - a watch (a GET whose query has watch=1 or watch=true) gets a 200
 *     chunked stream that stays open, silent, until the client closes it or
 *     the server is freed; it is recorded with method "WATCH";
 *   - any other request gets the first route (fa_route) whose method and
 *     path (without the query) match and that has answers left (with the
 *     header fa_route_header gave it), or a 404 Status when none does.
 * Connections are kept alive between answers; a watch keeps its own.
 *
 * Threading: fa_route, fa_route_header, fa_count and fa_request may be called from the test's
 * thread at any time (a mutex guards them); nothing else is shared.
 */
#ifndef SLIPWAY_TESTS_FAKE_APISERVER_H
#define SLIPWAY_TESTS_FAKE_APISERVER_H

#define FA_MAX_REQUESTS 128 /* recorded; more are only counted */
#define FA_MAX_ROUTES   32
#define FA_MAX_HEADER   256 /* an extra header line of a route, NUL included */

struct fa_server;

/* Listens on 127.0.0.1 (port: fa_port) and starts serving. 0 or -errno. */
int fa_new(struct fa_server **ret);
/* Closes every connection, joins the threads, frees. NULL is fine;
 * returns NULL. */
struct fa_server *fa_free(struct fa_server *s);
int fa_port(const struct fa_server *s);

/* Answers `method` on `path` with status and body (copied) `times` times
 * (0: every time). Routes added later are tried later. */
void fa_route(struct fa_server *s, const char *method, const char *path, int times, int status,
              const char *body);

/* Adds one response header line (e.g. "Retry-After: 2", without CRLF;
 * copied, truncated to FA_MAX_HEADER - 1 bytes) to every answer of the route
 * fa_route added last; a later call replaces it. Nothing when no route. */
void fa_route_header(struct fa_server *s, const char *header);

/* Requests seen so far whose method is `method` (NULL: any) and whose
 * target (path and query) starts with `prefix` (NULL: any). */
int fa_count(struct fa_server *s, const char *method, const char *prefix);

/* The i-th recorded request (from 0): its method, target and body copied
 * into the buffers (each "" when there is none). 0, or -ENOENT. */
struct fa_request {
	char method[16];
	char target[512];
	char body[2048];
};
int fa_request(struct fa_server *s, int i, struct fa_request *ret);

#endif
