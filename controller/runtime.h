/*
 * The controller runtime: informers for a primary kind and the kinds it owns,
 * a work queue of primary keys, and workers that turn a key into a plan (by
 * calling the caller's reconcile function) and carry the plan out (the
 * executor). It knows no resource type; controller/main.c binds it to
 * Releases and their ReplicaSets.
 *
 * Flow. Every change of a primary object enqueues its key; every change of an
 * owned object enqueues the key of its controller owner (ownerReferences with
 * controller: true and the primary's kind). A worker takes a key, reads the
 * primary object from its informer and calls reconcile(), which reads
 * whatever else it needs from the informers and fills a plan. The plan runs;
 * then:
 *   - success: the key's backoff is forgotten; plan.requeue_after >= 0 asks
 *     for another look after that many seconds (earliest wins);
 *   - a 409 Conflict: the object the failed action named is read again
 *     straight from the API into its informer, and the key is requeued at
 *     once, so the next reconcile acts on what is really there;
 *   - any other failure: the key is requeued with per-key backoff.
 * A key whose primary object no longer exists is dropped (garbage
 * collection removes what it owned).
 *
 * Leadership. Informers run from ctl_runtime_start() whether or not this
 * process leads, so a standby has warm caches. Workers run only between
 * ctl_runtime_start_leading() and ctl_runtime_stop_leading(): stopping
 * cancels every execution in flight at once (a write already sent may still
 * land: the API server does not take it back) and drops the queue. Starting
 * enqueues every primary object.
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
#include "controller/queue.h"
#include "kubeclient/client.h"
#include "reconcilers/plan.h"

struct ctl_runtime;

/* What to watch: one kind. */
struct ctl_kind {
	const char *group; /* "" for core */
	const char *version;
	const char *resource; /* plural */
	const char *kind;     /* "ReplicaSet" */
	/* Store objects as compact text (see ctl_informer_options.compact). */
	bool compact;
	const char *const *strip_paths;
	size_t n_strip_paths;
	/* Watch only objects matching this label selector; NULL: all. */
	const char *label_selector;
};

/* Fills plan for the primary object `obj` (borrowed, read-only) at wall-clock
 * `now` (seconds since the epoch). Reads other objects through
 * ctl_runtime_informer(). Returns 0, or a negative errno (the key is retried
 * with backoff). */
typedef int ctl_reconcile_fn(struct ctl_runtime *rt, const json_t *obj, double now,
                             struct rec_plan *plan, void *userdata);

struct ctl_runtime_options {
	struct kc_client *client; /* borrowed */
	struct ctl_kind primary;
	const struct ctl_kind *owned; /* kinds whose controller owner is a primary object */
	size_t n_owned;
	const char *const *namespaces;        /* NULL-terminated; NULL: all namespaces */
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
	ctl_reconcile_fn *reconcile;
	void *userdata;
};

/* Caller owns *ret (ctl_runtime_free). Strings in opts are copied where
 * kept. */
int ctl_runtime_new(const struct ctl_runtime_options *opts, struct ctl_runtime **ret,
                    struct kc_error *err);

/* Starts the informers. */
int ctl_runtime_start(struct ctl_runtime *rt);

/* True once every informer has completed its first list. */
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

/* Informer 0 is the primary kind, 1..n_owned the owned kinds in order. */
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
