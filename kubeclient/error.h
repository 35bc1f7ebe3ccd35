/*
 * kubeclient errors.
 *
 * Functions return 0 or a negative errno and, when given a struct kc_error,
 * fill it with what a person needs to act: the HTTP status (0 when no response
 * arrived), a one-line message that names the file, key, URL or field at fault,
 * and the decoded metav1.Status of the response when there was one.
 *
 * Out-parameters other than the error are never touched on failure.
 */
#ifndef SLIPWAY_KUBECLIENT_ERROR_H
#define SLIPWAY_KUBECLIENT_ERROR_H

#include <jansson.h>
#include <stdbool.h>

struct kc_error {
	int code;          /* the negative errno the function returned */
	long http_status;  /* HTTP status of the response, 0 when none */
	char message[512]; /* one line, no trailing newline */
	json_t *status;    /* metav1.Status from the server, or NULL; owned */
	/* Seconds the server asked the client to wait before trying again
	 * (the Retry-After of its last answer, capped at an hour), 0 when it
	 * did not say. Set when a request stopped retrying with the server's
	 * wait still ahead: the caller can come back when the server asked. */
	double retry_after;
};

/* Sets code and message (printf-style); keeps http_status, status and
 * retry_after. NULL err is a no-op.
 * Returns code, so `return kc_error_set(err, -EINVAL, "...")` reads naturally. */
int kc_error_set(struct kc_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Releases the owned Status and zeroes the struct; safe on a zeroed or NULL error. */
void kc_error_clear(struct kc_error *err);

#endif
