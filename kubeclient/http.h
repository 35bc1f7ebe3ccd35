/*
 * HTTP on the controller's loop: libcurl multi driven by libev, for the
 * Kubernetes API (kubeclient/client.c) and for every other server the
 * controller talks to (Prometheus queries, web checks, webhooks).
 *
 * One struct kc_http per loop holds one curl multi handle, hence one
 * connection pool; any number of clients may share it (kc_client_options.http).
 * Every request is asynchronous: kc_http_start() returns at once and the
 * completion callback runs later from the loop, never inside the call that
 * started the request (failures detected before any I/O, such as bad options,
 * are returned synchronously instead, with no callback). Every callback runs
 * on the loop's thread; nothing here is thread-safe.
 *
 * Per request: TLS verified by default (an optional CA bundle is then the only
 * trust anchor), bearer or basic auth, custom headers, a per-attempt timeout,
 * an overall deadline, a response size limit, and retries with capped
 * exponential backoff for idempotent requests (kubeclient/retry.h decides).
 *
 * The deadline bounds the whole request, every attempt and every wait
 * between them included (60 s unless the caller says otherwise; streams have
 * none). A retry whose wait, backoff or the server's Retry-After, would end
 * past the deadline is not made: the request completes at once with what the
 * last attempt got, and a response carries the server's Retry-After in
 * retry_after, so a caller can come back when the server asked instead of
 * holding on for it (a `Retry-After: 3600` no longer holds a request for an
 * hour). An attempt or rate-limit wait still going at the deadline ends
 * with -ETIMEDOUT.
 *
 * Callbacks: on_done and on_data may start requests and cancel any request;
 * the credential hook, on_attempt and on_retry may start requests but must
 * not cancel their own request nor free the transport. Each request's
 * callbacks get that request's userdata.
 *
 * Secrets: the bearer token, the basic password, the user-info of the URL
 * and the values of secret headers never appear in an error message or in
 * what the hooks are given: every such text is scrubbed (kc_http_scrub), and
 * URLs are shown without their user-info (kc_http_url_redact).
 */
#ifndef SLIPWAY_KUBECLIENT_HTTP_H
#define SLIPWAY_KUBECLIENT_HTTP_H

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>

#include "kubeclient/backoff.h"
#include "kubeclient/error.h"
#include "kubeclient/ratelimit.h"

struct kc_http;
struct kc_http_request;

struct kc_http_options {
	long max_host_connections; /* 0: 4 */
	const char *user_agent;    /* NULL: "slipway/VERSION"; copied */
};

/* A transport on `loop` (borrowed; must outlive it). opts may be NULL.
 * Caller owns *ret (kc_http_free). */
int kc_http_new(struct ev_loop *loop, const struct kc_http_options *opts, struct kc_http **ret,
                struct kc_error *err);

/* Cancels every request still in flight without calling its callbacks (so
 * request handles held elsewhere become invalid) and frees the transport.
 * Must not be called from inside one of its callbacks (asserted). NULL is
 * fine; returns NULL. */
struct kc_http *kc_http_free(struct kc_http *h);

struct ev_loop *kc_http_loop(const struct kc_http *h);

struct kc_http_header {
	const char *name;  /* "Content-Type" */
	const char *value; /* "application/json" */
	/* Scrubbed from messages. Authorization, Proxy-Authorization and Cookie
	 * are always taken as secret. */
	bool secret;
};

struct kc_http_tls {
	/* Trust anchors: a PEM bundle (ca_pem) or a PEM file (ca_file), at most
	 * one. When one is given it is the ONLY trust: the system store is not
	 * consulted. Neither: the system store. */
	const char *ca_pem;
	const char *ca_file;
	const char *ca_name; /* where the CA came from, for messages; NULL: "the given CA" */
	/* Verification off. For tests, and for a kubeconfig that says
	 * insecure-skip-tls-verify: never a default. */
	bool insecure_skip_verify;
};

/* What one attempt authenticates with. Strings are borrowed for the call
 * that hands them over (copied there). */
struct kc_http_auth {
	const char *bearer_token; /* "Authorization: Bearer ..." */
	const char *username;     /* basic auth, with password; not with a bearer token */
	const char *password;
	const char *client_cert_pem; /* TLS client certificate and key, both or neither */
	const char *client_key_pem;
};

/* Called before every attempt, so a rotated token file or a re-run exec
 * plugin is used at once. `stale` is true when the previous attempt got a
 * 401 with what the hook gave last time: a hook that caches should drop its
 * cache. Fills *ret (strings borrowed until the hook is called again or the
 * request ends) and returns 0, or returns a negative errno with err filled:
 * the request then fails with that code. A request with this hook retries a
 * 401 once, outside the retry budget.
 * -EINPROGRESS means the credential is on its way (an exec plugin runs): the
 * request is parked, no attempt starts and its deadline keeps running, until
 * the hook's owner calls kc_http_resume(); the hook is then called again
 * (with stale false). */
typedef int kc_http_credential_fn(bool stale, struct kc_http_auth *ret, struct kc_error *err,
                                  void *userdata);

/* One attempt that reached curl, for metrics: status 0 when no response
 * arrived; error is the transport failure (negative errno) or 0. */
struct kc_http_attempt {
	long status;
	int error;
	double seconds;        /* from handing it to curl to its end */
	long new_connections;  /* connections curl opened for it */
	bool http2;            /* the response came over HTTP/2 */
	bool retry;            /* the attempt was a retry */
	bool waited_for_token; /* it waited for a rate-limit token */
};

typedef void kc_http_attempt_fn(const struct kc_http_attempt *a, void *userdata);

/* An attempt failed and will be tried again after `delay` seconds: status
 * (0 when no response arrived) and, for a transport error, what went wrong
 * (scrubbed; NULL when the server answered). */
typedef void kc_http_retry_fn(long status, const char *error, double delay, void *userdata);

/* Streaming: the bytes of a 2xx response body as they arrive, in chunks of
 * any size; data is borrowed for the call. Return 0 to go on, or a negative
 * errno to stop: the completion then reports that code. The callback may
 * cancel its own request (no completion then) and start others. A non-2xx
 * body is not passed here but buffered (up to max_body) for the completion. */
typedef int kc_http_data_fn(const char *data, size_t len, void *userdata);

/* The answer: status 0 when none arrived. body is NUL-terminated (len
 * without the NUL); NULL with len 0 for an empty body and for a streamed one. */
struct kc_http_response {
	long status;
	const char *body;
	size_t body_len;
	/* The answer's Retry-After in seconds (capped at an hour,
	 * kc_retry_after_parse), 0 when it had none: how long the server wants
	 * the caller to wait before the request it did not retry here. */
	double retry_after;
};

/*
 * Completion, exactly once unless the request was cancelled. err is NULL when
 * a whole response arrived, whatever its status (a 404 or a 500 that retries
 * could not cure, a 429 whose Retry-After lies past the deadline: the
 * caller's to judge); otherwise err->code is a negative errno (-ECONNREFUSED,
 * -ETIMEDOUT also for the deadline, -EPROTO for TLS, -E2BIG over max_body,
 * what on_data returned, ...) and err->message one scrubbed line such as
 *   GET https://prometheus:9090/api/v1/query?query=up: cannot connect to
 *   https://prometheus:9090: Connection refused
 * resp and err are borrowed for the call. The request is freed when the
 * callback returns; the callback may start new requests and cancel others.
 */
typedef void kc_http_done_fn(const struct kc_http_response *resp, const struct kc_error *err,
                             void *userdata);

struct kc_http_retry_options {
	unsigned max_retries;      /* after the first attempt; 0: 5 */
	bool none;                 /* no retries at all (no 401 retry either) */
	struct kc_backoff backoff; /* all zero: 0.5 s doubling to 30 s, jitter 0.5 */
};

struct kc_http_request_options {
	const char *method; /* "GET", "HEAD", "POST", "PUT", ...: upper-case letters; copied */
	const char *url;    /* http:// or https://, already encoded; copied. User-info in it
	                     * is sent as basic auth and never shown. */
	const char *body;   /* or NULL; body_len bytes, copied */
	size_t body_len;
	const struct kc_http_header *headers; /* n_headers of them, copied */
	size_t n_headers;
	struct kc_http_tls tls;            /* strings copied */
	struct kc_http_auth auth;          /* fixed credentials, copied; or use `credential` */
	kc_http_credential_fn *credential; /* or NULL; per attempt, overrides auth */
	const char *proxy;                 /* or NULL: libcurl's default (*_proxy variables) */
	/* "host:port:connect-host:connect-port" (CURLOPT_CONNECT_TO), or NULL:
	 * verify TLS against one name, connect to another. */
	const char *connect_to;
	const char *user_agent; /* NULL: the transport's */
	/* How messages name the request and the server; NULL: "METHOD URL" and
	 * the URL's scheme://host:port, both without user-info. Copied; must not
	 * hold secrets. */
	const char *name;
	const char *peer;
	double timeout;  /* per attempt, seconds; 0: 30; < 0: none. Not for streams. */
	size_t max_body; /* largest buffered body in bytes; 0: 16 MiB. Over it: -E2BIG. */
	/* Retried on connection errors, timeouts, 500/502/503/504 and 429 (every
	 * method is retried on 429: the server did not act). GET and HEAD always
	 * are; set this for a PUT, DELETE or POST that may safely happen twice. */
	bool idempotent;
	struct kc_http_retry_options retry;
	struct kc_ratelimit *ratelimit; /* or NULL; borrowed, a token per attempt */
	kc_http_data_fn *on_data;       /* non-NULL: a streaming request */
	/* Streaming: fail with -ETIMEDOUT when no byte arrives for this many
	 * seconds (counted from the start of each attempt); 0: never. */
	double idle_timeout;
	/* Overall, seconds from kc_http_start across every attempt and wait
	 * (see above); 0: 60, the kube-apiserver's own default request timeout;
	 * < 0: none. Not for streams, which live as long as they are read. */
	double deadline;
	kc_http_attempt_fn *on_attempt; /* or NULL */
	kc_http_retry_fn *on_retry;     /* or NULL */
	kc_http_done_fn *on_done;       /* required */
	void *userdata;                 /* for every callback above */
};

/* Starts a request on h. On success *ret (when ret is non-NULL) is a handle
 * valid until on_done returns or kc_http_cancel() is called; the transport
 * owns the request. Bad options are returned with err filled (scrubbed), and
 * no callback will run. */
int kc_http_start(struct kc_http *h, const struct kc_http_request_options *opts,
                  struct kc_http_request **ret, struct kc_error *err);

/* Wakes a request parked by its credential hook (-EINPROGRESS): the hook is
 * called again from the loop, never inside this call. A no-op for a request
 * that is not parked; NULL is fine. */
void kc_http_resume(struct kc_http_request *r);

/* Stops a request: no callback of it runs again and the handle is invalid
 * afterwards. Callable from any callback, including the request's own
 * on_data; from its own on_done it does nothing (the request is finishing).
 * NULL is fine. Returns NULL so `r = kc_http_cancel(r);` reads. */
struct kc_http_request *kc_http_cancel(struct kc_http_request *r);

/* Rewrites `url` for display: the user-info before '@' in the authority
 * becomes "***". Writes at most cap bytes (NUL included; truncates).
 * Pure; for messages. */
void kc_http_url_redact(const char *url, char *out, size_t cap);

/* Replaces, in place, every occurrence of each non-empty secret in `text`
 * (cap bytes of storage, NUL-terminated) with "***". NULL secrets are
 * skipped. Pure. */
void kc_http_scrub(char *text, size_t cap, const char *const *secrets, size_t n);

/* Whether the n bytes at `line` (one header line as libcurl hands it to a
 * header callback: not NUL-terminated, usually ending in CRLF, possibly
 * holding any byte) are the header `name` (lower case, no colon; matched
 * case-insensitively). When they are, its value without the surrounding
 * spaces, tabs, CR and LF is copied into out (cap > 0 bytes, NUL-terminated,
 * truncated to fit; a NUL inside the value ends it). Pure; kubeclient/http.c
 * reads Retry-After with it. */
bool kc_http_header_value(const char *line, size_t n, const char *name, char *out, size_t cap);

#endif
