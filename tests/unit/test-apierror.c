#include "tap.h"

#include <errno.h>
#include <string.h>

#include "kubeclient/apierror.h"

/* Response bodies as kube-apiserver sends them. */
static const char not_found[] =
    "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
    "\"message\":\"configmaps \\\"x\\\" not found\",\"reason\":\"NotFound\","
    "\"details\":{\"name\":\"x\",\"kind\":\"configmaps\"},\"code\":404}";
static const char exists[] =
    "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
    "\"message\":\"configmaps \\\"x\\\" already exists\",\"reason\":\"AlreadyExists\","
    "\"details\":{\"name\":\"x\",\"kind\":\"configmaps\"},\"code\":409}";
static const char conflict[] =
    "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
    "\"message\":\"Operation cannot be fulfilled on configmaps \\\"x\\\": the object has been "
    "modified; "
    "please apply your changes to the latest version and try again\",\"reason\":\"Conflict\","
    "\"details\":{\"name\":\"x\",\"kind\":\"configmaps\"},\"code\":409}";
static const char expired[] =
    "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
    "\"message\":\"The provided continue parameter is too old to display a consistent list "
    "result.\","
    "\"reason\":\"Expired\",\"code\":410}";
static const char throttled[] =
    "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
    "\"message\":\"Too many requests, please try again later.\",\"reason\":\"TooManyRequests\","
    "\"details\":{\"retryAfterSeconds\":1},\"code\":429}";
static const char forbidden[] =
    "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
    "\"message\":\"configmaps is forbidden: User \\\"bob\\\" cannot list resource "
    "\\\"configmaps\\\"\","
    "\"reason\":\"Forbidden\",\"details\":{\"kind\":\"configmaps\"},\"code\":403}";
static const char invalid[] =
    "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
    "\"message\":\"ConfigMap \\\"X\\\" is invalid: metadata.name: Invalid "
    "value\",\"reason\":\"Invalid\","
    "\"code\":422}";

struct row {
	const char *what;
	const char *method, *path;
	long http;
	const char *body;
	int code;
	const char *message;
	bool not_found, conflict, exists, gone, throttled;
};

int main(void)
{
	const struct row rows[] = {
	    {"404 NotFound", "GET", "/api/v1/namespaces/ns/configmaps/x", 404, not_found, -ENOENT,
	     "GET /api/v1/namespaces/ns/configmaps/x: 404 NotFound: configmaps \"x\" not found",
	     true, false, false, false, false},
	    {"409 AlreadyExists", "POST", "/api/v1/namespaces/ns/configmaps", 409, exists, -EEXIST,
	     "POST /api/v1/namespaces/ns/configmaps: 409 AlreadyExists: configmaps \"x\" already "
	     "exists",
	     false, false, true, false, false},
	    {"409 Conflict", "PUT", "/api/v1/namespaces/ns/configmaps/x", 409, conflict, -EBUSY,
	     "PUT /api/v1/namespaces/ns/configmaps/x: 409 Conflict: Operation cannot be fulfilled "
	     "on configmaps "
	     "\"x\": the object has been modified; please apply your changes to the latest version "
	     "and try again",
	     false, true, false, false, false},
	    {"410 Expired", "GET", "/api/v1/configmaps?continue=abc", 410, expired, -ESTALE,
	     "GET /api/v1/configmaps?continue=abc: 410 Expired: The provided continue parameter is "
	     "too old to "
	     "display a consistent list result.",
	     false, false, false, true, false},
	    {"429 TooManyRequests", "GET", "/api/v1/pods", 429, throttled, -EAGAIN,
	     "GET /api/v1/pods: 429 TooManyRequests: Too many requests, please try again later.",
	     false, false, false, false, true},
	    {"403 Forbidden", "GET", "/api/v1/configmaps", 403, forbidden, -EPERM,
	     "GET /api/v1/configmaps: 403 Forbidden: configmaps is forbidden: User \"bob\" cannot "
	     "list resource "
	     "\"configmaps\"",
	     false, false, false, false, false},
	    {"422 Invalid", "POST", "/api/v1/namespaces/n/configmaps", 422, invalid, -EINVAL,
	     "POST /api/v1/namespaces/n/configmaps: 422 Invalid: ConfigMap \"X\" is invalid: "
	     "metadata.name: Invalid "
	     "value",
	     false, false, false, false, false},
	    {"plain-text 503 from a proxy", "GET", "/api/v1/pods", 503,
	     "upstream connect error\nmore", -EIO,
	     "GET /api/v1/pods: 503 Service Unavailable: upstream connect error", false, false,
	     false, false, false},
	    {"404 without a body", "GET", "/apis/x/v1/things", 404, NULL, -ENOENT,
	     "GET /apis/x/v1/things: 404 Not Found", true, false, false, false, false},
	    {"JSON that is not a Status", "GET", "/x", 500, "{\"kind\":\"Pod\"}", -EIO,
	     "GET /x: 500 Internal Server Error: {\"kind\":\"Pod\"}", false, false, false, false,
	     false},
	    {"504 is a timeout", "GET", "/x", 504, NULL, -ETIMEDOUT, "GET /x: 504 Gateway Timeout",
	     false, false, false, false, false},
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		struct kc_error err = {0};
		int rc = kc_error_from_response(&err, r->method, r->path, r->http, r->body,
		                                r->body ? strlen(r->body) : 0);
		is_int(rc, r->code, "%s: errno", r->what);
		is_int(err.code, r->code, "%s: err.code", r->what);
		is_int(err.http_status, r->http, "%s: http status", r->what);
		is_str(err.message, r->message, "%s: message", r->what);
		is_int(kc_is_not_found(&err), r->not_found, "%s: kc_is_not_found", r->what);
		is_int(kc_is_conflict(&err), r->conflict, "%s: kc_is_conflict", r->what);
		is_int(kc_is_already_exists(&err), r->exists, "%s: kc_is_already_exists", r->what);
		is_int(kc_is_gone(&err), r->gone, "%s: kc_is_gone", r->what);
		is_int(kc_is_too_many_requests(&err), r->throttled, "%s: kc_is_too_many_requests",
		       r->what);
		kc_error_clear(&err);
	}

	/* The Status is kept for callers that need its details. */
	struct kc_error err = {0};
	kc_error_from_response(&err, "GET", "/api/v1/pods", 429, throttled, strlen(throttled));
	is_int(json_integer_value(
	           json_object_get(json_object_get(err.status, "details"), "retryAfterSeconds")),
	       1, "decoded Status keeps details.retryAfterSeconds");
	is_str(kc_error_reason(&err), "TooManyRequests", "kc_error_reason");
	kc_error_clear(&err);
	ok(err.status == NULL && err.code == 0, "kc_error_clear releases the Status");

	/* A watch ERROR event's Status, with the code inside it. */
	json_t *st = json_loads(
	    "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\","
	    "\"message\":\"too old resource version: 1 (2)\",\"reason\":\"Expired\",\"code\":410}",
	    0, NULL);
	is_int(kc_error_from_status(&err, "watch /api/v1/pods", st), -ESTALE,
	       "watch Status 410 is -ESTALE");
	ok(kc_is_gone(&err), "watch Status 410 is gone");
	is_str(err.message, "watch /api/v1/pods: 410 Expired: too old resource version: 1 (2)",
	       "watch message");
	json_decref(st);
	kc_error_clear(&err);

	/* Reason alone decides when the status code is missing. */
	st = json_loads("{\"kind\":\"Status\",\"reason\":\"AlreadyExists\",\"message\":\"m\"}", 0,
	                NULL);
	kc_error_from_status(&err, "x", st);
	ok(kc_is_already_exists(&err) && !kc_is_conflict(&err), "AlreadyExists by reason only");
	json_decref(st);
	kc_error_clear(&err);

	ok(!kc_is_not_found(NULL) && !kc_is_gone(NULL) && !kc_is_conflict(NULL),
	   "NULL error answers false");
	is_int(kc_error_from_response(NULL, "GET", "/x", 404, not_found, strlen(not_found)),
	       -ENOENT, "NULL err still yields the code");
	return tap_done();
}
