#include "kubeclient/apierror.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int kc_http_errno(long http_status, const char *reason)
{
	switch (http_status) {
	case 400:
	case 422:
		return -EINVAL;
	case 401:
		return -EACCES;
	case 403:
		return -EPERM;
	case 404:
		return -ENOENT;
	case 405:
		return -EOPNOTSUPP;
	case 409:
		return reason && strcmp(reason, "AlreadyExists") == 0 ? -EEXIST : -EBUSY;
	case 410:
		return -ESTALE;
	case 413:
		return -E2BIG;
	case 429:
		return -EAGAIN;
	case 504:
		return -ETIMEDOUT;
	default:
		return -EIO;
	}
}

const char *kc_http_reason_phrase(long http_status)
{
	static const struct {
		long code;
		const char *phrase;
	} phrases[] = {
	    {400, "Bad Request"},
	    {401, "Unauthorized"},
	    {403, "Forbidden"},
	    {404, "Not Found"},
	    {405, "Method Not Allowed"},
	    {406, "Not Acceptable"},
	    {409, "Conflict"},
	    {410, "Gone"},
	    {413, "Request Entity Too Large"},
	    {415, "Unsupported Media Type"},
	    {422, "Unprocessable Entity"},
	    {429, "Too Many Requests"},
	    {500, "Internal Server Error"},
	    {501, "Not Implemented"},
	    {502, "Bad Gateway"},
	    {503, "Service Unavailable"},
	    {504, "Gateway Timeout"},
	};
	for (size_t i = 0; i < sizeof(phrases) / sizeof(phrases[0]); i++)
		if (phrases[i].code == http_status)
			return phrases[i].phrase;
	return "HTTP error";
}

static bool is_status_object(json_t *j)
{
	const char *kind = json_string_value(json_object_get(j, "kind"));
	return json_is_object(j) && kind && strcmp(kind, "Status") == 0;
}

static int fill(struct kc_error *err, const char *context, long http_status, json_t *status,
                const char *text, size_t text_len)
{
	const char *reason = json_string_value(json_object_get(status, "reason"));
	const char *message = json_string_value(json_object_get(status, "message"));
	int code = kc_http_errno(http_status, reason);

	if (!err)
		return code;
	kc_error_clear(err);
	err->http_status = http_status;
	if (status)
		err->status = json_incref(status);
	if (!reason || !*reason)
		reason = kc_http_reason_phrase(http_status);
	if (message && *message) {
		kc_error_set(err, code, "%s: %ld %s: %s", context, http_status, reason, message);
	} else if (text && text_len > 0) {
		/* A proxy's or a crashed handler's plain-text answer: its first
		 * line is the best clue there is. */
		size_t n = 0;
		while (n < text_len && n < 200 && text[n] != '\n' && text[n] != '\r' &&
		       text[n] != '\0')
			n++;
		kc_error_set(err, code, "%s: %ld %s: %.*s", context, http_status, reason, (int)n,
		             text);
	} else {
		kc_error_set(err, code, "%s: %ld %s", context, http_status, reason);
	}
	return code;
}

int kc_error_from_response(struct kc_error *err, const char *method, const char *path,
                           long http_status, const char *body, size_t len)
{
	char context[300];
	json_t *j = NULL;
	int r;

	snprintf(context, sizeof(context), "%s %s", method, path);
	if (body && len > 0)
		j = json_loadb(body, len, 0, NULL);
	if (is_status_object(j))
		r = fill(err, context, http_status, j, NULL, 0);
	else
		r = fill(err, context, http_status, NULL, body, body ? len : 0);
	json_decref(j);
	return r;
}

int kc_error_from_status(struct kc_error *err, const char *context, json_t *status)
{
	json_int_t code = json_integer_value(json_object_get(status, "code"));
	return fill(err, context, (long)code, json_is_object(status) ? status : NULL, NULL, 0);
}

const char *kc_error_reason(const struct kc_error *err)
{
	return err ? json_string_value(json_object_get(err->status, "reason")) : NULL;
}

static bool reason_is(const struct kc_error *err, const char *want)
{
	const char *reason = kc_error_reason(err);
	return reason && strcmp(reason, want) == 0;
}

bool kc_is_not_found(const struct kc_error *err)
{
	return err && (err->http_status == 404 || reason_is(err, "NotFound"));
}

bool kc_is_already_exists(const struct kc_error *err)
{
	return err && reason_is(err, "AlreadyExists");
}

bool kc_is_conflict(const struct kc_error *err)
{
	if (!err || reason_is(err, "AlreadyExists"))
		return false;
	return err->http_status == 409 || reason_is(err, "Conflict");
}

bool kc_is_gone(const struct kc_error *err)
{
	return err &&
	       (err->http_status == 410 || reason_is(err, "Gone") || reason_is(err, "Expired"));
}

bool kc_is_too_many_requests(const struct kc_error *err)
{
	return err && (err->http_status == 429 || reason_is(err, "TooManyRequests"));
}

bool kc_is_forbidden(const struct kc_error *err)
{
	return err && (err->http_status == 403 || reason_is(err, "Forbidden"));
}

bool kc_is_invalid(const struct kc_error *err)
{
	return err && (err->http_status == 422 || reason_is(err, "Invalid"));
}
