/*
 * The Release controller: binds the generic runtime (controller/runtime.h)
 * to Releases and the ReplicaSets they own, and hands each Release to the
 * pure reconciler (reconcilers/release.h) with a snapshot of what it owns.
 * The only file of the controller that knows these kinds.
 */
#ifndef SLIPWAY_CONTROLLER_RELEASE_CONTROLLER_H
#define SLIPWAY_CONTROLLER_RELEASE_CONTROLLER_H

#include "controller/runtime.h"

/* Releases (primary) and the kinds they own, in runtime order (informer 1,
 * 2, ...):
 *   - ReplicaSets (controller ownerReference to the Release);
 *   - Pods carrying MODEL_LABEL_REVISION (so only ours are cached), for
 *     spec.restartAt. Their controller owner is a ReplicaSet, so a pod event
 *     enqueues no Release: an eviction changes the ReplicaSet's status, which
 *     does.
 * All are kept as compact text: a stripped Release is ~2 KB of JSON but
 * ~16 KB as a jansson tree (tests/bench/results), and each is parsed only
 * when a reconcile reads it. */
#define CTL_RELEASE_N_OWNED 2
extern const struct ctl_kind ctl_release_kind;
extern const struct ctl_kind ctl_release_owned_kinds[CTL_RELEASE_N_OWNED];

/* A ctl_reconcile_fn: collects the ReplicaSets whose ownerReferences name
 * the Release's uid and the pods owned by each of them (index lookups, not
 * scans) and returns the reconciler's plan. userdata is unused. */
int ctl_release_reconcile(struct ctl_runtime *rt, const json_t *release, double now,
                          struct rec_plan *plan, void *userdata);

#endif
