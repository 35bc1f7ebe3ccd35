/*
 * Kubernetes Events (events.k8s.io/v1), the pure part: building the Event
 * object, folding repeats into a `series`, and rate-limiting per object.
 * Nothing here talks to the API server; the caller performs the writes this
 * module asks for. Time is always an argument (seconds since the Unix
 * epoch, as a double).
 *
 * De-duplication follows client-go's tools/events broadcaster:
 *  - Events are "isomorphic" when type, reason, action, reporting
 *    controller and instance, regarding and related agree. The note is NOT
 *    part of the key (as in client-go): a repeat with a new note counts in
 *    the existing series and the first note stays. Unlike client-go, the
 *    object references are compared without resourceVersion, which changes
 *    with every status write and would keep series from ever forming.
 *  - The first occurrence is created. The second, within the window,
 *    patches the stored Event with series {count: 2, lastObservedTime}.
 *    Later ones only count locally; ctl_events_tick() writes the count
 *    when the series ends (no repeat for `finish` seconds, 6 min in
 *    client-go) and at most every `refresh` seconds (30 min) while it
 *    goes on.
 *  - A singleton is forgotten `finish` seconds after its eventTime, a
 *    series `finish` seconds after its last observation: a repeat after
 *    that starts a new Event.
 *
 * Rate limiting follows client-go's spam filter (tools/record): a token
 * bucket per regarding object, burst 25, refilled at 1 token per 300 s. A
 * write decided by ctl_events_record() (create or the first series patch)
 * takes a token; without one a new Event is dropped, while a repeat is
 * still counted into its series and written later by the tick (so the count
 * stays true; the tick's writes are bounded by finish/refresh and take no
 * token).
 *
 * Memory is bounded: at most max_series cached Events (a new kind of event
 * beyond that is created but not de-duplicated) and buckets are released
 * once full again. Not thread-safe: one loop thread.
 */
#ifndef SLIPWAY_CONTROLLER_EVENTS_H
#define SLIPWAY_CONTROLLER_EVENTS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "model/api.h"

#define CTL_EVENT_REPORTING_CONTROLLER MODEL_REPORTING_CONTROLLER
/* API validation limits (events.k8s.io/v1). */
#define CTL_EVENT_FIELD_MAX 128 /* reason, action, reporting controller/instance */
#define CTL_EVENT_NOTE_MAX  1024
#define CTL_EVENT_NAME_MAX  253

/* A reference to an object; strings are borrowed. resource_version and
 * related objects are optional (NULL). */
struct ctl_object_ref {
	const char *api_version;
	const char *kind;
	const char *namespace_; /* NULL or "" for cluster-scoped objects */
	const char *name;
	const char *uid;
	const char *resource_version;
};

/* Fills ref with strings borrowed from obj (valid while obj lives).
 * 0, or -EINVAL when apiVersion, kind or metadata.name is missing. */
int ctl_object_ref_from(const json_t *obj, struct ctl_object_ref *ref);

enum ctl_event_type {
	CTL_EVENT_NORMAL,
	CTL_EVENT_WARNING,
};

struct ctl_event {
	struct ctl_object_ref regarding;
	const struct ctl_object_ref *related; /* optional */
	enum ctl_event_type type;
	const char *reason; /* CamelCase, 1..128 bytes, e.g. "RolloutStepCompleted" */
	const char *action; /* what was done, 1..128 bytes, e.g. "Scale" */
	const char *note;   /* human-readable; cut to 1024 bytes; may be NULL */
};

/* RFC 3339 with microseconds in UTC ("2026-11-26T12:00:00.123456Z"), the
 * MicroTime format of eventTime. 0 or -ENOSPC (len < 28). */
int ctl_event_micro_time(double t, char *buf, size_t len);

/* Builds the Event object (no series) named `name` in the regarding
 * object's namespace ("default" for cluster-scoped objects). Caller owns
 * the result (json_decref). -EINVAL-style failures return NULL: missing or
 * overlong reason/action/instance, no regarding name/kind. */
json_t *ctl_event_build(const struct ctl_event *ev, const char *name,
                        const char *reporting_instance, double now);

struct ctl_events_config {
	const char *reporting_instance; /* copied; e.g. "slipway-controller-<pod>" */
	double burst;                   /* per-object bucket; default 25 */
	double refill_per_second;       /* default 1/300 */
	double finish;                  /* series window, seconds; default 360 */
	double refresh;                 /* re-write a running series; default 1800 */
	size_t max_series;              /* cached Events; default 4096 */
};
/* The client-go defaults above; reporting_instance NULL. */
void ctl_events_config_default(struct ctl_events_config *cfg);

struct ctl_events;
/* Caller owns the result (ctl_events_free). NULL on out of memory or a
 * config without a valid reporting_instance (1..128 bytes). */
struct ctl_events *ctl_events_new(const struct ctl_events_config *cfg);
/* Accepts NULL; returns NULL. */
struct ctl_events *ctl_events_free(struct ctl_events *e);

enum ctl_event_decision {
	CTL_EVENT_CREATE,  /* POST body to .../namespaces/{ns}/events */
	CTL_EVENT_PATCH,   /* merge-PATCH body to .../events/{name}; on 404
	                      POST fallback instead (client-go does too) */
	CTL_EVENT_COUNTED, /* folded into a series; nothing to write now */
	CTL_EVENT_DROPPED, /* rate limited; nothing to write */
};

/* A write to perform. The caller owns body and fallback (both NULL for
 * COUNTED/DROPPED); ctl_event_write_clear releases them. */
struct ctl_event_write {
	enum ctl_event_decision decision;
	char namespace_[64];
	char name[CTL_EVENT_NAME_MAX + 1];
	int32_t count;    /* series count after this write (1 for a create) */
	json_t *body;     /* CREATE: the Event; PATCH: {"series":{...}} */
	json_t *fallback; /* PATCH only: the whole Event with its series */
};
void ctl_event_write_clear(struct ctl_event_write *w);

/* Decides what to do with one occurrence of ev at `now`; fills *out.
 * 0, or -EINVAL (see ctl_event_build), -ENOMEM; *out is untouched on
 * failure. */
int ctl_events_record(struct ctl_events *e, const struct ctl_event *ev, double now,
                      struct ctl_event_write *out);

/* Housekeeping, to call periodically (every 30-60 s is plenty): hands
 * series writes that are due to fn (a PATCH each; bodies are released
 * after fn returns, json_incref to keep them), forgets ended series and
 * old singletons, releases full buckets. Returns the number of writes. */
typedef void (*ctl_events_emit_fn)(const struct ctl_event_write *w, void *userdata);
size_t ctl_events_tick(struct ctl_events *e, double now, ctl_events_emit_fn fn, void *userdata);

/* Cached Events and live buckets, for metrics and tests. */
size_t ctl_events_cached(const struct ctl_events *e);
size_t ctl_events_buckets(const struct ctl_events *e);

#endif
