/*
 * When to try a request again, and when: the decision after each attempt,
 * the Retry-After header, and how libcurl's failures map to errno values.
 * Pure functions, table-tested.
 */
#ifndef SLIPWAY_KUBECLIENT_RETRY_H
#define SLIPWAY_KUBECLIENT_RETRY_H

#include <curl/curl.h>
#include <stdbool.h>
#include <time.h>

enum kc_retry_action {
	KC_RETRY_NONE,    /* report the result as it is */
	KC_RETRY_BACKOFF, /* transient failure: retry after the backoff delay */
	KC_RETRY_AFTER,   /* the server said when: retry after Retry-After */
	KC_RETRY_REAUTH,  /* 401: drop the cached credential, retry at once */
};

struct kc_retry_input {
	long http_status;    /* 0 when no response arrived */
	int transport_error; /* negative errno when no response arrived, else 0 */
	bool idempotent;     /* GET, or a request marked idempotent */
	bool has_retry_after;
	bool reauthed;       /* the one 401 retry has been spent */
	bool data_delivered; /* a streaming request passed bytes on: never retried */
	unsigned retries;    /* retries made so far */
	unsigned max_retries;
};

/* 401 (once) and 429 are retried for every method: the server did not act on
 * the request. Idempotent requests are also retried on transient transport
 * errors (kc_errno_is_transient) and on 500, 502, 503 and 504 (not 501: the
 * server will never implement it). Retry-After on a 429 or 5xx decides the
 * delay. Nothing is retried once max_retries is reached (the 401 retry does
 * not count against it) or a streaming request delivered data. The request's
 * deadline is not an input: the transport drops a retry whose delay would
 * end past it (kubeclient/http.h). */
enum kc_retry_action kc_retry_decide(const struct kc_retry_input *in);

/* A transport failure worth retrying: -ECONNREFUSED, -ECONNRESET, -ETIMEDOUT,
 * -EHOSTUNREACH, -EPIPE. */
bool kc_errno_is_transient(int e);

/* Parses a Retry-After value: delta-seconds or an HTTP-date (RFC 9110),
 * relative to `now`. A date in the past gives 0. Result capped at 3600 s.
 * Returns 0 and sets *ret_seconds, or -EINVAL. */
int kc_retry_after_parse(const char *value, time_t now, double *ret_seconds);

/* The negative errno for a libcurl result: connection refused -ECONNREFUSED,
 * send/receive failures and HTTP/2 stream or connection errors -ECONNRESET,
 * timeouts -ETIMEDOUT, name resolution -EHOSTUNREACH, TLS handshake and
 * certificate failures -EPROTO, out of memory -ENOMEM, anything else -EIO.
 * CURLE_OK is 0. */
int kc_curl_errno(CURLcode code);

#endif
