/*
 * One controller: a primary kind, the kinds it watches besides (owned or
 * mapped), a work queue of primary keys, and workers that turn a key into a
 * plan (by calling the caller's reconcile function) and carry the plan out
 * (the executor). It knows no resource type; a binding file
 * (controller/release-controller.c) names the kinds and the reconciler, and
 * the manager (controller/manager.h) runs any number of controllers on one
 * set of shared informers (controller/informers.h).
 *
 * Watches, by role:
 *   - primary: every change of a primary object enqueues its key, except a
 *     status echo: an UPDATE whose generation, labels, annotations and
 *     deletionTimestamp did not change (ctl_object_changed_beyond_status,
 *     or the controller's primary_update_matters) enqueues nothing. A reconcile whose status write
 * should be followed by another look asks for it with plan.requeue_after;
 *   - owned (CTL_WATCH_OWNED): every change of an object enqueues the key of
 *     its controller owner (ownerReference with controller: true and the
 *     primary's group and kind), and of its former owner when that changed;
 *   - mapped (CTL_WATCH_MAPPED): every change of an object enqueues the
 *     primary objects whose field index `index` (declared on the primary
 *     kind, ctl_kind.indexes) holds the object's key ("ns/name", or "name"
 *     when cluster-scoped): a Service change wakes the Releases that name
 *     it, through one index lookup.
 *
 * Flow. A worker takes a key, reads the primary object from its informer
 * and calls reconcile(), which reads whatever else it needs from the
 * informers (ctl_runtime_informer: by key, owner or index, never a scan)
 * and fills a plan. The plan runs; then:
 *   - success: the key's backoff is forgotten; plan.requeue_after >= 0 asks
 *     for another look that many seconds after the reconcile (added once
 *     the plan has run; earliest wins);
 *   - a 409 Conflict: the object the failed action named is read again
 *     straight from the API into its informer, and the key is requeued at
 *     once, so the next reconcile acts on what is really there;
 *   - a write refused with a Retry-After the client did not wait out
 *     (kc_error.retry_after > 0: it lay beyond the request deadline, or the
 *     request was not to be retried): the key is requeued after that
 *     delay, capped at the queue's backoff_max; the per-key backoff is not
 *     counted up, and the plan's own earlier requeue is dropped (a write
 *     sooner would only meet the same refusal: the server wins);
 *   - any other failure: the execution stopped at the failed action (the
 *     executor runs no later one) and the key is requeued with per-key
 *     backoff (or at the plan's requeue, if earlier).
 * Either way the failed write is remembered for the key's next reconcile
 * (ctl_runtime_failure) until one of its plans succeeds.
 * A key whose primary object no longer exists is dropped (garbage
 * collection removes what it owned).
 *
 * Leadership. Informers run whether or not this process leads, so a
 * standby has warm caches. Workers run only between
 * ctl_runtime_start_leading() and ctl_runtime_stop_leading(): stopping
 * cancels every execution in flight at once (a write already sent may still
 * land: the API server does not take it back) and drops the queue. Starting
 * enqueues every primary object once the controller's informers synced.
 * Every write of every execution also asks the controller's may_write gate
 * first, so a leader that lost its Lease sends nothing even before
 * stop_leading runs.
 *
 * Logs (the process default logger): "caches synced" once, a debug line
 * per reconcile, and a warning per failed reconcile naming the object, the
 * action that failed and the error.
 *
 * Everything runs on the client's loop.
 */
#ifndef SLIPWAY_CONTROLLER_RUNTIME_H
#define SLIPWAY_CONTROLLER_RUNTIME_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "controller/events.h"
#include "controller/histogram.h"
#include "controller/informer.h"
#include "controller/informers.h"
#include "controller/queue.h"
#include "kubeclient/client.h"
#include "reconcilers/plan.h"

struct ctl_runtime;

enum ctl_watch_role {
	CTL_WATCH_OWNED,  /* the object's controller owner is a primary object */
	CTL_WATCH_MAPPED, /* the primary's field index maps the object to keys */
};

/* A kind watched besides the primary one. */
struct ctl_watch {
	enum ctl_watch_role role;
	struct ctl_kind kind;
	/* CTL_WATCH_MAPPED: the name of a field index of the primary kind whose
	 * values are keys of this kind's objects. */
	const char *index;
	/* CTL_WATCH_MAPPED, optional: the value looked up in that index for an
	 * object, instead of its key (an Approval maps by "ns/spec.release", a
	 * policy binding by spec.policyName). Writes it into buf with its NUL and
	 * returns true, or false: the object maps to nothing. Both the old and
	 * the new object of an UPDATE are mapped. NULL: the object's key. */
	bool (*map_value)(const json_t *obj, char *buf, size_t len);
};

/* Fills plan for the primary object `obj` (borrowed, read-only) at wall-clock
 * `now` (seconds since the epoch). Reads other objects through
 * ctl_runtime_informer(). Returns 0, or a negative errno (the key is retried
 * with backoff). */
typedef int ctl_reconcile_fn(struct ctl_runtime *rt, const json_t *obj, double now,
                             struct rec_plan *plan, void *userdata);

struct ctl_runtime_options {
	/* The controller's name: the `controller` label of its metrics and
	 * its log lines ("release"). Copied. Required. */
	const char *name;
	struct kc_client *client;        /* borrowed */
	struct ctl_informers *informers; /* borrowed; where the kinds are watched */
	struct ctl_kind primary;
	/* Read during ctl_runtime_new only; the strings and arrays the kinds
	 * point to are borrowed as ctl_informers_get says. */
	const struct ctl_watch *watches;
	size_t n_watches;
	unsigned workers;                     /* reconciles in flight at once; 0: 4 */
	const struct ctl_queue_config *queue; /* NULL: client-go defaults */
	struct ctl_events *events;            /* borrowed; NULL: no Events */
	const char *field_manager;            /* NULL: "slipway-controller" */
	/* The log key naming a primary object in every line about it
	 * ("release" -> release=ns/name); NULL: "key". Copied. */
	const char *log_key;
	/* The write gate handed to every execution (controller/executor.h):
	 * main.c passes one that asks ctl_leader_is_leader(). NULL: always. */
	bool (*may_write)(void *userdata);
	void *may_write_userdata;
	/* Whether an UPDATE of a primary object from old to obj (both borrowed)
	 * is worth a reconcile. NULL: ctl_object_changed_beyond_status, the
	 * status-echo filter. A controller whose users write intents into
	 * status (promote, abort) passes one that also compares those fields. */
	bool (*primary_update_matters)(const json_t *old, const json_t *obj);
	ctl_reconcile_fn *reconcile;
	void *userdata;
};

/* Gets the informers of every kind from opts->informers and adds this
 * controller's handlers to them: call before ctl_informers_start. Caller
 * owns *ret (ctl_runtime_free; before the informers are freed). Strings in
 * opts are copied where kept. 0, -EINVAL (a required option missing, a
 * mapped watch without its index), -EBUSY (informers started), -ENOMEM. */
int ctl_runtime_new(const struct ctl_runtime_options *opts, struct ctl_runtime **ret,
                    struct kc_error *err);

const char *ctl_runtime_name(const struct ctl_runtime *rt);

/* Adds key ("ns/name") to the queue now, when leading and seeded; for
 * bindings whose own handlers know better than the three roles. */
void ctl_runtime_enqueue(struct ctl_runtime *rt, const char *key);

/* True once every informer of this controller has completed its first list. */
bool ctl_runtime_synced(const struct ctl_runtime *rt);

/* Begins reconciling (waits for sync first: workers take keys only once the
 * caches are synced). 0 or -ENOMEM. */
int ctl_runtime_start_leading(struct ctl_runtime *rt);

/* Stops every write at once: cancels executions in flight, drops the queue. */
void ctl_runtime_stop_leading(struct ctl_runtime *rt);

/* Takes no new key from now on; reconciles in flight go on to the end. For a
 * graceful shutdown: drain, wait for ctl_runtime_in_flight() == 0, then
 * stop leading. */
void ctl_runtime_drain(struct ctl_runtime *rt);

/* Reconciles in flight (for a graceful shutdown that lets them finish). */
size_t ctl_runtime_in_flight(const struct ctl_runtime *rt);

/* Stops everything and frees. NULL is fine; returns NULL. */
struct ctl_runtime *ctl_runtime_free(struct ctl_runtime *rt);

/* For reconcile(): the write that failed in the last plan of key (its
 * primary object's "ns/name"), as the executor reported it (the action,
 * the HTTP status, the API server's Status reason and message, the
 * primary's generation the plan was made for), or NULL. Kept until a plan
 * of that key succeeds, the key's object is gone, or leading stops; a
 * newer failure replaces it. So a reconciler can tell "the server refused
 * this" from "nothing happened yet" and report it, in status, where it
 * outlives the process. Borrowed until the next plan of key ends. */
const struct rec_failure *ctl_runtime_failure(const struct ctl_runtime *rt, const char *key);

/* Informer 0 is the primary kind, 1..n_watches the watched kinds in order
 * (borrowed; NULL past the end). */
struct ctl_informer *ctl_runtime_informer(const struct ctl_runtime *rt, size_t i);

struct ctl_runtime_stats {
	unsigned long reconciles;       /* reconcile() calls, whatever came of them */
	unsigned long reconcile_errors; /* reconcile(), starting its plan, or an action failed */
	unsigned long conflicts;        /* failures that were 409 Conflicts */
	unsigned long event_failures;   /* Event writes that failed */
	struct ctl_histogram duration;  /* reconcile() + execution, seconds */
	struct ctl_queue_metrics queue; /* zero when not leading */
};
void ctl_runtime_stats(const struct ctl_runtime *rt, struct ctl_runtime_stats *ret);

#endif
