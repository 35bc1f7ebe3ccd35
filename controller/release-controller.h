/*
 * The Release controller: binds the generic runtime (controller/runtime.h)
 * to Releases (primary), the ReplicaSets they own and those ReplicaSets'
 * pods (owned watches; pods carry the revision label, so only the
 * controller's own are cached), and hands each Release to the pure
 * reconciler (reconcilers/release.h) with a snapshot of what it owns, the
 * ReplicaSet cached under the current revision's name whoever owns it (an
 * orphan to adopt, or a collision to report), and the runtime's memory of
 * the last failed write (a refused create to report). The only file of the
 * controller that knows these kinds; main.c adds it to the manager.
 *
 * Both kinds are kept as compact text: a stripped Release is ~2 KB of JSON
 * but ~16 KB as a jansson tree (tests/bench/results), and each is parsed
 * only when a reconcile reads it.
 */
#ifndef SLIPWAY_CONTROLLER_RELEASE_CONTROLLER_H
#define SLIPWAY_CONTROLLER_RELEASE_CONTROLLER_H

#include "controller/manager.h"

struct rec_observed;

struct ctl_release_controller_options {
	unsigned workers;                     /* 0: the runtime's default */
	const struct ctl_queue_config *queue; /* NULL: client-go defaults */
};

/* Adds the controller, named "release", to m (before ctl_manager_start).
 * *ret (may be NULL) is borrowed from the manager. 0 or a negative errno
 * (err says). */
int ctl_release_controller_add(struct ctl_manager *m,
                               const struct ctl_release_controller_options *opts,
                               struct ctl_runtime **ret, struct kc_error *err);

/* The dotted paths the controller strips from every cached object of
 * `resource` ("services"), beyond ctl_object_strip, into *ret (static) and
 * *ret_n: 0, or -ENOENT for a kind it keeps whole or does not watch
 * (releases). For benchmarks of what the caches hold. */
int ctl_release_controller_strip_paths(const char *resource, const char *const **ret,
                                       size_t *ret_n);

/* What one reconcile of a Release reads from the caches of rt (a runtime
 * made by ctl_release_controller_add): the struct rec_observed handed to
 * rec_release_reconcile and the cached objects it borrows. For the
 * controller's reconcile and for tests of what it observes. */
struct ctl_release_snapshot;

/* A snapshot for release (borrowed; must outlive the snapshot) at
 * wall-clock now. Caller owns *ret (ctl_release_snapshot_free). 0 or
 * -ENOMEM. */
int ctl_release_snapshot_new(struct ctl_runtime *rt, const json_t *release, double now,
                             struct ctl_release_snapshot **ret);
/* Borrowed from s. */
const struct rec_observed *ctl_release_snapshot_observed(const struct ctl_release_snapshot *s);
/* NULL is fine; returns NULL. */
struct ctl_release_snapshot *ctl_release_snapshot_free(struct ctl_release_snapshot *s);

#endif
