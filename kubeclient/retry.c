#include "kubeclient/retry.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define RETRY_AFTER_MAX 3600.0

bool kc_errno_is_transient(int e)
{
	return e == -ECONNREFUSED || e == -ECONNRESET || e == -ETIMEDOUT || e == -EHOSTUNREACH ||
	       e == -EPIPE;
}

static bool status_is_transient(long s)
{
	return s == 500 || s == 502 || s == 503 || s == 504;
}

enum kc_retry_action kc_retry_decide(const struct kc_retry_input *in)
{
	if (in->data_delivered)
		return KC_RETRY_NONE;
	if (in->http_status == 401)
		return in->reauthed ? KC_RETRY_NONE : KC_RETRY_REAUTH;
	if (in->retries >= in->max_retries)
		return KC_RETRY_NONE;
	if (in->http_status == 429)
		return in->has_retry_after ? KC_RETRY_AFTER : KC_RETRY_BACKOFF;
	if (!in->idempotent)
		return KC_RETRY_NONE;
	if (in->http_status == 0)
		return kc_errno_is_transient(in->transport_error) ? KC_RETRY_BACKOFF
		                                                  : KC_RETRY_NONE;
	if (status_is_transient(in->http_status))
		return in->has_retry_after ? KC_RETRY_AFTER : KC_RETRY_BACKOFF;
	return KC_RETRY_NONE;
}

int kc_retry_after_parse(const char *value, time_t now, double *ret_seconds)
{
	while (value && (*value == ' ' || *value == '\t'))
		value++;
	if (!value || !*value)
		return -EINVAL;

	if (isdigit((unsigned char)*value)) {
		char *end;
		errno = 0;
		unsigned long long n = strtoull(value, &end, 10);
		while (*end == ' ' || *end == '\t')
			end++;
		if (*end != '\0')
			return -EINVAL;
		double s = (errno == ERANGE || n > (unsigned long long)RETRY_AFTER_MAX)
		               ? RETRY_AFTER_MAX
		               : (double)n;
		*ret_seconds = s;
		return 0;
	}

	/* IMF-fixdate, the only date form senders may generate:
	 * "Sun, 06 Nov 1994 08:49:37 GMT". */
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	const char *end = strptime(value, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (!end)
		return -EINVAL;
	while (*end == ' ' || *end == '\t')
		end++;
	if (*end != '\0')
		return -EINVAL;
	time_t when = timegm(&tm);
	if (when == (time_t)-1)
		return -EINVAL;
	double s = difftime(when, now);
	if (s < 0)
		s = 0;
	if (s > RETRY_AFTER_MAX)
		s = RETRY_AFTER_MAX;
	*ret_seconds = s;
	return 0;
}

int kc_curl_errno(CURLcode code)
{
	switch (code) {
	case CURLE_OK:
		return 0;
	case CURLE_COULDNT_CONNECT:
		return -ECONNREFUSED;
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return -ECONNRESET;
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return -EHOSTUNREACH;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
		return -EPROTO;
	case CURLE_OUT_OF_MEMORY:
		return -ENOMEM;
	default:
		return -EIO;
	}
}
