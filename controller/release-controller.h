/*
 * The Release controller: binds the generic runtime (controller/runtime.h)
 * to Releases and the ReplicaSets they own, and hands each Release to the
 * pure reconciler (reconcilers/release.h) with a snapshot of what it owns.
 * The only file of the controller that knows these kinds.
 */
#ifndef SLIPWAY_CONTROLLER_RELEASE_CONTROLLER_H
#define SLIPWAY_CONTROLLER_RELEASE_CONTROLLER_H

#include "controller/runtime.h"

/* Releases (primary) and ReplicaSets (owned). Both are kept as compact
 * text: a stripped Release is ~2 KB of JSON but ~16 KB as a jansson tree
 * (tests/bench/results), and each is parsed only when a reconcile reads it. */
extern const struct ctl_kind ctl_release_kind;
extern const struct ctl_kind ctl_replicaset_kind;

/* A ctl_reconcile_fn: collects the ReplicaSets whose ownerReferences name
 * the Release's uid (an index lookup, not a scan) and returns the
 * reconciler's plan. userdata is unused. */
int ctl_release_reconcile(struct ctl_runtime *rt, const json_t *release, double now,
                          struct rec_plan *plan, void *userdata);

#endif
