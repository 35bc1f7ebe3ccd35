/*
 * The HTTP client of the Kubernetes API, on kubeclient/http.h (libcurl multi
 * driven by a libev loop): Kubernetes paths, kubeconfig credentials and TLS,
 * JSON bodies and metav1.Status errors, list pages, request metrics.
 *
 * One struct kc_client per API server. Every request it starts is
 * asynchronous: the call returns at once and the completion callback runs
 * later from the loop, never inside the call that started the request (not
 * even when the request fails before any I/O: such failures are returned
 * synchronously instead, with no callback). Everything runs on the loop's
 * thread; nothing here is thread-safe.
 *
 * Transport: HTTP/2 over TLS when the server offers it, requests and watches
 * multiplexed over at most `max_host_connections` connections (PIPEWAIT);
 * TCP keepalive plus TCP_USER_TIMEOUT so a dead peer is noticed even on an
 * idle watch connection. (libcurl 7.88's HTTP/2 PING upkeep,
 * curl_easy_upkeep, only reaches connections of the easy interface, not a
 * multi handle's, so it cannot serve here.)
 *
 * Every attempt takes a token from a client-side token bucket (qps, burst).
 * A 429 is retried after its Retry-After; GET requests (lists included) and
 * requests marked idempotent are retried on transient failures (connection
 * refused or reset, timeouts, 5xx other than 501) with capped exponential
 * backoff and jitter (kubeclient/backoff.h), up to max_retries; a 401 makes
 * the client drop the cached credential it was sent with and retry once
 * with a fresh one. An exec plugin runs on the loop, one run per config: a
 * request that needs its credential waits for it (its deadline running)
 * while the others go on (docs/internals/kubeconfig.md).
 *
 * Each request has an overall deadline (60 s by default; streams none, each
 * page of an all_pages list its own), like client-go's Request.Timeout: no
 * retry is made whose wait would end past it. A 429 (or 5xx) whose
 * Retry-After lies beyond the deadline therefore completes at once, with
 * err->retry_after holding the server's delay (-EAGAIN for a 429), so the
 * caller can requeue for then rather than hold on; an attempt still going
 * at the deadline fails with -ETIMEDOUT.
 */
#ifndef SLIPWAY_KUBECLIENT_CLIENT_H
#define SLIPWAY_KUBECLIENT_CLIENT_H

#include <ev.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "kubeclient/backoff.h"
#include "kubeclient/config.h"
#include "kubeclient/error.h"
#include "kubeclient/http.h"

struct kc_client;
struct kc_request;

enum kc_method {
	KC_GET,
	KC_POST,
	KC_PUT,
	KC_PATCH,
	KC_DELETE,
};

/* "GET", "POST", ... */
const char *kc_method_name(enum kc_method m);

/* Content-Type of a request body. */
enum kc_content_type {
	KC_CONTENT_JSON,            /* application/json: create, update, DeleteOptions */
	KC_CONTENT_MERGE_PATCH,     /* application/merge-patch+json (RFC 7386) */
	KC_CONTENT_JSON_PATCH,      /* application/json-patch+json (RFC 6902) */
	KC_CONTENT_STRATEGIC_MERGE, /* application/strategic-merge-patch+json (core types only) */
	KC_CONTENT_APPLY_PATCH, /* application/apply-patch+yaml: server-side apply (JSON is YAML) */
};

const char *kc_content_type_name(enum kc_content_type t);

/*
 * Called once per attempt that reached the network, for metrics: the verb
 * ("GET", ..., "WATCH" for streaming requests), the HTTP status (0 when no
 * response arrived) and the attempt's duration. Runs on the loop.
 */
typedef void kc_metrics_fn(const char *verb, long http_status, double seconds, void *userdata);

/*
 * Called when an attempt failed and its request will be tried again, so that
 * what a retry hides can be logged: the verb, the request's path, the HTTP
 * status (0 when no response arrived), curl's message for a transport error
 * (NULL when the server answered), and the delay before the next attempt.
 * Runs on the loop.
 */
typedef void kc_retry_fn(const char *verb, const char *path, long http_status, const char *error,
                         double delay, void *userdata);

struct kc_client_options {
	double qps;                /* token refill per second; 0: 50; < 0: no client-side limit */
	double burst;              /* bucket size; 0: 100 */
	double timeout;            /* default per-attempt timeout in seconds; 0: 30 */
	double deadline;           /* default overall deadline, seconds; 0: 60; < 0: none */
	unsigned max_retries;      /* retries per request after the first attempt; 0: 5 */
	bool no_retries;           /* turn retries (429, transient, 401) off; for tests */
	long max_host_connections; /* 0: 4 */
	size_t max_body;           /* largest non-streaming response body in bytes; 0: 256 MiB */
	struct kc_backoff backoff; /* all zero: 0.5 s doubling to 30 s, jitter 0.5 */
	const char *user_agent;    /* NULL: "slipway/VERSION"; copied */
	kc_metrics_fn *metrics;    /* or NULL */
	void *metrics_userdata;
	kc_retry_fn *on_retry; /* or NULL; gets metrics_userdata */
	/* The transport, to share one multi handle (one connection pool, one
	 * set of sockets and timers) with other clients on the loop; borrowed,
	 * on the same loop, and must outlive the client. NULL: the client makes
	 * its own (with max_host_connections). */
	struct kc_http *http;
};

/* Creates a client for cfg on `loop`. cfg and loop are borrowed and must
 * outlive the client; the client asks cfg for its credential before every
 * attempt, without blocking (an exec plugin runs on `loop`). opts may be NULL (all defaults).
 * Caller owns *ret (kc_client_free). */
int kc_client_new(struct ev_loop *loop, struct kc_config *cfg, const struct kc_client_options *opts,
                  struct kc_client **ret, struct kc_error *err);

/* Cancels every request still in flight, without calling their callbacks
 * (so request pointers held elsewhere become invalid), and frees the client.
 * Must not be called from inside one of its callbacks (asserted). NULL is fine;
 * returns NULL. */
struct kc_client *kc_client_free(struct kc_client *c);

struct ev_loop *kc_client_loop(const struct kc_client *c);

/* Totals since the client was created, for tests, benchmarks and /metrics. */
struct kc_client_stats {
	unsigned long attempts;     /* attempts that reached curl (retries included) */
	unsigned long connections;  /* new connections curl had to open */
	unsigned long http2;        /* responses that came over HTTP/2 */
	unsigned long retries;      /* attempts that were retries */
	unsigned long rate_limited; /* attempts that waited for a rate-limit token */
};

void kc_client_stats(const struct kc_client *c, struct kc_client_stats *ret);

/* Attempts by verb and HTTP status, like client-go's rest_client_requests_total:
 * verb is "GET", ..., "WATCH"; code is the HTTP status or 0 when no response
 * arrived. The client keeps KC_REQUEST_COUNTS_MAX distinct pairs; attempts
 * beyond them are counted under code -1 of their verb. */
#define KC_REQUEST_COUNTS_MAX 64

struct kc_request_count {
	const char *verb; /* static string */
	long code;
	unsigned long count;
};

/* Copies up to `cap` counters into out (in first-seen order) and returns how
 * many distinct pairs there are. */
size_t kc_client_request_counts(const struct kc_client *c, struct kc_request_count *out,
                                size_t cap);
const struct kc_config *kc_client_config(const struct kc_client *c);

/*
 * Completion of a request, called exactly once unless the request was
 * cancelled. `status` is the final HTTP status (0 when no response arrived).
 * On success (2xx) err is NULL and body is the parsed JSON response (NULL for
 * streaming requests and empty bodies). On failure err is set: err->code is a
 * negative errno, err->message one line such as
 *   GET /api/v1/namespaces/ns/configmaps/x: 404 NotFound: configmaps "x" not found
 * and err->status/body hold the decoded metav1.Status when the server sent one;
 * err->retry_after is the final answer's Retry-After (seconds, 0: none).
 * body and err are borrowed for the duration of the call (json_incref to keep).
 * The request is freed when the callback returns; the callback may start new
 * requests and cancel others.
 */
typedef void kc_response_fn(long status, json_t *body, const struct kc_error *err, void *userdata);

/*
 * Streaming requests (watches): called with the bytes of a 2xx response body
 * as they arrive, in order, in chunks of any size (a chunk may end in the
 * middle of a line or of a UTF-8 sequence). `data` is borrowed for the call.
 * Return 0 to continue, or a negative errno to stop the request: the
 * completion callback then runs (later, from the loop) with that code.
 * Non-2xx responses are not passed here: their body is decoded into the
 * completion callback's err as for any request. The callback may call
 * kc_request_cancel() on its own request (the completion callback then never
 * runs) and start other requests.
 */
typedef int kc_data_fn(const char *data, size_t len, void *userdata);

/*
 * all_pages lists: each item of each page as the page arrives, parsed on its
 * own (a page is never parsed whole, so a 500-item page costs one parsed item
 * at a time, not 500), with the page it came from: the list object (kind,
 * apiVersion, metadata; its "items" empty). Both are borrowed for the call;
 * the item may be changed in place. Items handed over do not join the
 * result, whose "items" is then empty. Returns 0, or a negative errno that
 * fails the request. Must not start or cancel requests of this client.
 */
typedef int kc_item_fn(const json_t *page, json_t *item, void *userdata);

struct kc_request_options {
	enum kc_method method;
	const char *path; /* "/api/v1/...?query", already encoded (kubeclient/path.h); copied */
	json_t *body;     /* or NULL; borrowed, serialised before kc_request_start returns */
	enum kc_content_type content_type; /* of body */
	double timeout;  /* per attempt, seconds; 0: the client's default; < 0: none.
	                  * Ignored for streaming requests, which never time out as a whole. */
	bool idempotent; /* retry on transient failures although the method is not GET */
	/* Follow metadata.continue of a list: fetch every page and complete with
	 * one list object holding all items (metadata.continue removed). GET only;
	 * the path must not carry a continue token already. */
	bool all_pages;
	kc_item_fn *on_item; /* all_pages only, or NULL (see kc_item_fn) */
	kc_data_fn *on_data; /* non-NULL: a streaming request (see kc_data_fn) */
	/* Streaming only: fail with -ETIMEDOUT when no byte arrives for this many
	 * seconds (counted from the start of each attempt). 0: never. Watches
	 * should pass somewhat more than the server's bookmark interval. */
	double idle_timeout;
	/* Overall, across retries and waits (kc_http_request_options.deadline);
	 * 0: the client's default; < 0: none. Ignored for streaming requests. */
	double deadline;
	kc_response_fn *on_done; /* required */
	void *userdata;
};

/* Starts a request. On success *ret (when ret is non-NULL) is a handle valid
 * until on_done returns or kc_request_cancel() is called; the client owns the
 * request. Failures detected here (bad options, body that does not serialise)
 * are returned with err filled, and no callback will run. */
int kc_request_start(struct kc_client *c, const struct kc_request_options *opts,
                     struct kc_request **ret, struct kc_error *err);

/* Stops a request in flight: on_done and on_data will not be called again and
 * the handle is invalid afterwards. Callable from any callback, including the
 * request's own on_data. From its own on_done it does nothing (the request is
 * finishing anyway, and is freed when on_done returns). NULL is fine.
 * Returns NULL so `req = kc_request_cancel(req);` reads. */
struct kc_request *kc_request_cancel(struct kc_request *r);

/*
 * Blocking use, for the CLI: pass kc_sync_done as on_done with a zeroed
 * struct kc_sync as userdata, then kc_sync_wait() runs the client's loop
 * until the request completes.
 */
struct kc_sync {
	bool done;
	long status;
	json_t *body;        /* owned until handed out by kc_sync_wait */
	struct kc_error err; /* owned until handed out by kc_sync_wait */
};

void kc_sync_done(long status, json_t *body, const struct kc_error *err, void *userdata);

/* Runs the loop until s->done. Returns 0 and hands the response body to
 * *ret_body (caller owns it, json_decref; NULL discards it; may be NULL for an
 * empty body), or the request's negative errno with *err filled (the caller
 * then owns err->status: kc_error_clear). Always leaves s empty. */
int kc_sync_wait(struct kc_client *c, struct kc_sync *s, json_t **ret_body, struct kc_error *err);

#endif
