/*
 * What a strategy reconciler works from: the parsed Release, its observed
 * status, the ReplicaSets it owns, the router objects of a canary, and the
 * time. Built by release.c (the entry
 * point) for one reconcile; everything is borrowed for the call only, except
 * `next`, which the strategy fills in and release.c writes.
 */
#ifndef SLIPWAY_RECONCILERS_CONTEXT_H
#define SLIPWAY_RECONCILERS_CONTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "model/release.h"
#include "model/status.h"
#include "reconcilers/plan.h"
#include "reconcilers/replicaset.h"
#include "reconcilers/traffic.h"

struct rec_ctx {
	const struct rel_release *rel;
	/* The Release, with uid and resourceVersion preconditions; Events and
	 * the status write are about it. */
	const struct rec_ref *release;
	const struct rel_status *observed; /* status as read from the cluster */
	struct rel_status *next;           /* starts as a copy of observed */
	/* Owned ReplicaSets that are not being deleted, older first
	 * (rec_rs_cmp_older). The strategy records its decisions in them. */
	struct rec_rs *rss;
	size_t n_rss;
	/* An owned ReplicaSet named like the current revision's is being
	 * deleted: it cannot be created again until it is gone. */
	bool new_name_deleting;
	/* The object named like the current revision's ReplicaSet when it is
	 * not one of rss: an orphan to adopt, or someone else's (a name
	 * collision). NULL: none. */
	const json_t *named;
	/* The canary's router objects (rec_observed's stable_service ...
	 * owned_ingresses); never NULL, its members NULL / 0 when not observed. */
	const struct rec_traffic_observed *traffic;
	/* AnalysisRuns the Release controls (in its namespace, not being
	 * deleted), and the templates its analysis names (rec_observed's);
	 * reconcilers/release-analysis.h reads them. */
	const json_t *const *analysis_runs;
	size_t n_analysis_runs;
	const json_t *const *analysis_templates;
	size_t n_analysis_templates;
	/* The Approvals naming the Release, the identity policy and its
	 * bindings (rec_observed's; reconcilers/canary-gate.c reads them). */
	const json_t *const *approvals;
	size_t n_approvals;
	const json_t *approval_policy;
	const json_t *const *approval_bindings;
	size_t n_approval_bindings;
	/* The previous plan's failed write (rec_observed.failure), or NULL. */
	const struct rec_failure *failure;
	time_t now;
};

#endif
