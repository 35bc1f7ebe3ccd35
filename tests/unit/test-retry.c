#include "tap.h"

#include <errno.h>

#include "kubeclient/retry.h"

struct row {
	const char *what;
	struct kc_retry_input in;
	enum kc_retry_action want;
};

int main(void)
{
	const struct row rows[] = {
	    {"200 done", {.http_status = 200, .idempotent = true, .max_retries = 5}, KC_RETRY_NONE},
	    {"404 is an answer",
	     {.http_status = 404, .idempotent = true, .max_retries = 5},
	     KC_RETRY_NONE},
	    {"409 is an answer",
	     {.http_status = 409, .idempotent = true, .max_retries = 5},
	     KC_RETRY_NONE},
	    {"GET refused",
	     {.transport_error = -ECONNREFUSED, .idempotent = true, .max_retries = 5},
	     KC_RETRY_BACKOFF},
	    {"GET reset",
	     {.transport_error = -ECONNRESET, .idempotent = true, .max_retries = 5},
	     KC_RETRY_BACKOFF},
	    {"GET timed out",
	     {.transport_error = -ETIMEDOUT, .idempotent = true, .max_retries = 5},
	     KC_RETRY_BACKOFF},
	    {"GET TLS failure is permanent",
	     {.transport_error = -EPROTO, .idempotent = true, .max_retries = 5},
	     KC_RETRY_NONE},
	    {"POST refused is not retried",
	     {.transport_error = -ECONNREFUSED, .max_retries = 5},
	     KC_RETRY_NONE},
	    {"GET 500",
	     {.http_status = 500, .idempotent = true, .max_retries = 5},
	     KC_RETRY_BACKOFF},
	    {"GET 502",
	     {.http_status = 502, .idempotent = true, .max_retries = 5},
	     KC_RETRY_BACKOFF},
	    {"GET 503 with Retry-After",
	     {.http_status = 503, .idempotent = true, .has_retry_after = true, .max_retries = 5},
	     KC_RETRY_AFTER},
	    {"GET 504",
	     {.http_status = 504, .idempotent = true, .max_retries = 5},
	     KC_RETRY_BACKOFF},
	    {"501 never",
	     {.http_status = 501, .idempotent = true, .max_retries = 5},
	     KC_RETRY_NONE},
	    {"PUT 503 not retried", {.http_status = 503, .max_retries = 5}, KC_RETRY_NONE},
	    {"POST 429 with Retry-After",
	     {.http_status = 429, .has_retry_after = true, .max_retries = 5},
	     KC_RETRY_AFTER},
	    {"429 without Retry-After backs off",
	     {.http_status = 429, .max_retries = 5},
	     KC_RETRY_BACKOFF},
	    {"429 out of retries",
	     {.http_status = 429, .has_retry_after = true, .retries = 5, .max_retries = 5},
	     KC_RETRY_NONE},
	    {"GET 500 out of retries",
	     {.http_status = 500, .idempotent = true, .retries = 5, .max_retries = 5},
	     KC_RETRY_NONE},
	    {"401 reauth once", {.http_status = 401, .max_retries = 5}, KC_RETRY_REAUTH},
	    {"401 twice is final",
	     {.http_status = 401, .reauthed = true, .max_retries = 5},
	     KC_RETRY_NONE},
	    {"401 reauth even with retries spent",
	     {.http_status = 401, .retries = 5, .max_retries = 5},
	     KC_RETRY_REAUTH},
	    {"stream reset after data",
	     {.transport_error = -ECONNRESET,
	      .idempotent = true,
	      .data_delivered = true,
	      .max_retries = 5},
	     KC_RETRY_NONE},
	    {"stream refused before data",
	     {.transport_error = -ECONNREFUSED, .idempotent = true, .max_retries = 5},
	     KC_RETRY_BACKOFF},
	    {"no retries configured",
	     {.http_status = 503, .idempotent = true, .max_retries = 0},
	     KC_RETRY_NONE},
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		is_int(kc_retry_decide(&rows[i].in), rows[i].want, "%s", rows[i].what);

	ok(kc_errno_is_transient(-EHOSTUNREACH), "unreachable is transient");
	ok(!kc_errno_is_transient(-ENOMEM), "out of memory is not transient");

	/* Retry-After. now = 2026-11-26 12:00:00 UTC. */
	const time_t now = 1795694400;
	double s = -1;
	is_int(kc_retry_after_parse("1", now, &s), 0, "seconds parse");
	is_int(s, 1, "1 second");
	is_int(kc_retry_after_parse(" 120 ", now, &s), 0, "blanks around seconds");
	is_int(s, 120, "120 seconds");
	is_int(kc_retry_after_parse("99999999999999999999999", now, &s), 0, "huge value parses");
	is_int(s, 3600, "huge value capped at an hour");
	is_int(kc_retry_after_parse("Thu, 26 Nov 2026 12:00:30 GMT", now, &s), 0,
	       "HTTP-date parses");
	is_int(s, 30, "HTTP-date 30 s ahead");
	is_int(kc_retry_after_parse("Thu, 26 Nov 2026 11:00:00 GMT", now, &s), 0,
	       "past date parses");
	is_int(s, 0, "past date means now");
	s = -1;
	is_int(kc_retry_after_parse("soon", now, &s), -EINVAL, "garbage rejected");
	is_int(s, -1, "out-param untouched on error");
	is_int(kc_retry_after_parse("-5", now, &s), -EINVAL, "negative rejected");
	is_int(kc_retry_after_parse("5s", now, &s), -EINVAL, "trailing junk rejected");
	is_int(kc_retry_after_parse("", now, &s), -EINVAL, "empty rejected");
	is_int(kc_retry_after_parse(NULL, now, &s), -EINVAL, "NULL rejected");

	/* libcurl results. */
	is_int(kc_curl_errno(CURLE_OK), 0, "OK");
	is_int(kc_curl_errno(CURLE_COULDNT_CONNECT), -ECONNREFUSED, "connect failure");
	is_int(kc_curl_errno(CURLE_RECV_ERROR), -ECONNRESET, "receive failure");
	is_int(kc_curl_errno(CURLE_HTTP2_STREAM), -ECONNRESET, "HTTP/2 stream error");
	is_int(kc_curl_errno(CURLE_OPERATION_TIMEDOUT), -ETIMEDOUT, "timeout");
	is_int(kc_curl_errno(CURLE_PEER_FAILED_VERIFICATION), -EPROTO, "certificate verification");
	is_int(kc_curl_errno(CURLE_SSL_CERTPROBLEM), -EPROTO, "client certificate problem");
	is_int(kc_curl_errno(CURLE_URL_MALFORMAT), -EIO, "anything else");
	ok(kc_errno_is_transient(kc_curl_errno(CURLE_GOT_NOTHING)), "empty reply is retryable");
	ok(!kc_errno_is_transient(kc_curl_errno(CURLE_PEER_FAILED_VERIFICATION)),
	   "bad certificate is not");
	return tap_done();
}
