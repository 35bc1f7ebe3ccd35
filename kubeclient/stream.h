/*
 * The watch event stream parser: turns the body of a `?watch=1` response,
 * delivered in arbitrary chunks, into events.
 *
 * The API server writes one JSON object per line:
 *   {"type":"ADDED","object":{...}}\n
 * An event may be split anywhere across chunks and one chunk may hold many
 * events. Complete lines are parsed straight out of the caller's chunk; only
 * the unfinished tail of a chunk is copied, into one buffer that is reused
 * and never grows past the per-event limit. A line over the limit is an error,
 * not a bigger buffer: the consumer relists instead.
 *
 * Pure: no I/O, no clock, no globals. One kc_stream per watch request.
 */
#ifndef SLIPWAY_KUBECLIENT_STREAM_H
#define SLIPWAY_KUBECLIENT_STREAM_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "kubeclient/error.h"

/* Default limit on one event line: the API server caps a request at 3 MiB
 * and etcd an object at 1.5 MiB by default, so 16 MiB leaves room for
 * clusters tuned upwards while still bounding memory per watch. */
#define KC_STREAM_DEFAULT_MAX_EVENT (16u * 1024 * 1024)

enum kc_event_type {
	KC_EVENT_ADDED,
	KC_EVENT_MODIFIED,
	KC_EVENT_DELETED,
	KC_EVENT_BOOKMARK, /* object carries only metadata.resourceVersion (and annotations) */
	KC_EVENT_ERROR,    /* object is a metav1.Status; the server ends the stream after it */
};

/* One decoded event. Everything in it is borrowed from the stream and valid
 * only during the callback: json_incref(object) to keep it. */
struct kc_event {
	enum kc_event_type type;
	json_t *object;               /* never NULL: a JSON object */
	const char *resource_version; /* object.metadata.resourceVersion; NULL only for ERROR */
	/* ERROR only (0 / NULL otherwise): the Status fields that decide what to do. */
	long status_code;    /* Status.code, e.g. 410; 0 when absent */
	const char *reason;  /* Status.reason, e.g. "Expired", "Gone"; or NULL */
	const char *message; /* Status.message, or NULL */
};

/* Called once per complete event, in order. Return 0 to go on; any other
 * value stops the feed at once and kc_stream_feed returns it (the rest of the
 * chunk is dropped and the stream must be reset or freed before more data). */
typedef int (*kc_stream_event_fn)(void *userdata, const struct kc_event *ev);

struct kc_stream;

/* A new parser with a limit on one event line in bytes (0: the default).
 * Caller owns the result (kc_stream_free). NULL when out of memory. */
struct kc_stream *kc_stream_new(size_t max_event_bytes);

/* Frees the stream and its buffer; NULL is fine. Returns NULL. */
struct kc_stream *kc_stream_free(struct kc_stream *s);

/* Forgets any partial event and error so the stream can parse a new
 * response. Keeps the buffer allocation (up to a modest size) for reuse. */
void kc_stream_reset(struct kc_stream *s);

/* Parses `len` bytes of body, calling `cb` for each event that completes.
 * Returns 0; or the callback's non-zero value; or, with `err` filled:
 *   -EMSGSIZE  a line is longer than the limit (relist);
 *   -EBADMSG   a line is not JSON, not an object, lacks "type" or "object",
 *              has an unknown type, or (except ERROR) lacks a resourceVersion;
 *   -ENOMEM.
 * Errors are sticky: later feeds return the same code until reset. Lines that
 * are empty or only whitespace (a "\r" of CRLF included) are skipped. */
int kc_stream_feed(struct kc_stream *s, const char *data, size_t len, kc_stream_event_fn cb,
                   void *userdata, struct kc_error *err);

/* The response body ended. A complete last line without its newline is
 * delivered as an event; any other leftover is a truncated event: -EBADMSG.
 * The stream is reset afterwards either way (except for a callback stop). */
int kc_stream_finish(struct kc_stream *s, kc_stream_event_fn cb, void *userdata,
                     struct kc_error *err);

/* Events delivered since creation or the last reset. */
unsigned long kc_stream_events(const struct kc_stream *s);

/* True for a Status that means "this resourceVersion is gone, relist":
 * HTTP 410, or reason Expired / Gone (some servers send those with code 0 or
 * 500 in an ERROR event). */
bool kc_status_is_gone(long code, const char *reason);

/* The event's type as the API spells it ("ADDED", ...). Static string. */
const char *kc_event_type_name(enum kc_event_type type);

#endif
