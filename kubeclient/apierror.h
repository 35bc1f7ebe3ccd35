/*
 * API errors: the HTTP status and metav1.Status of a failed response turned
 * into a struct kc_error, and the questions callers ask of one.
 */
#ifndef SLIPWAY_KUBECLIENT_APIERROR_H
#define SLIPWAY_KUBECLIENT_APIERROR_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "kubeclient/error.h"

/* The negative errno for an HTTP status and Status.reason (reason may be NULL):
 * 404 -ENOENT, 409 AlreadyExists -EEXIST, other 409 -EBUSY, 410 -ESTALE,
 * 400/422 -EINVAL, 401 -EACCES, 403 -EPERM, 405 -EOPNOTSUPP, 413 -E2BIG,
 * 429 -EAGAIN, 504 -ETIMEDOUT, anything else -EIO. */
int kc_http_errno(long http_status, const char *reason);

/* The standard reason phrase ("Not Found"), or "HTTP error" for an unknown code. */
const char *kc_http_reason_phrase(long http_status);

/* Fills err from a non-2xx response to `method path`: http_status, the
 * decoded metav1.Status when body is one (err->status takes a reference), and
 * the message "METHOD PATH: 404 NotFound: configmaps \"x\" not found" (the
 * first line of a non-Status body instead, or the reason phrase when there is
 * none). body may be NULL. Returns the negative errno set in err->code;
 * err may be NULL (then only the code is computed). Clears err first. */
int kc_error_from_response(struct kc_error *err, const char *method, const char *path,
                           long http_status, const char *body, size_t len);

/* Same for a metav1.Status object received some other way (a watch ERROR
 * event): http_status is taken from Status.code. `context` starts the message
 * ("watch /api/v1/pods"). status is borrowed (err keeps its own reference). */
int kc_error_from_status(struct kc_error *err, const char *context, json_t *status);

/* Status.reason of err, or NULL. */
const char *kc_error_reason(const struct kc_error *err);

/* Questions about a failed call, by HTTP status and Status.reason. NULL is false. */
bool kc_is_not_found(const struct kc_error *err);      /* 404 / NotFound */
bool kc_is_conflict(const struct kc_error *err);       /* 409 other than AlreadyExists / Conflict */
bool kc_is_already_exists(const struct kc_error *err); /* 409 AlreadyExists */
bool kc_is_gone(const struct kc_error *err);           /* 410 / Gone / Expired */
bool kc_is_too_many_requests(const struct kc_error *err); /* 429 / TooManyRequests */
bool kc_is_forbidden(const struct kc_error *err);         /* 403 / Forbidden */
bool kc_is_invalid(const struct kc_error *err);           /* 422 / Invalid */

#endif
