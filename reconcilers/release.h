/*
 * The reconciler of a Release: the entry point the controller calls.
 *
 * Pure: no I/O, no clock, no globals. Given a snapshot of what the controller
 * observed, it parses and validates the Release, reports an invalid spec (a
 * Stalled condition and a Warning Event, nothing else), and otherwise
 * dispatches to the strategy (rolling.h, canary.h, bluegreen.h). The plan
 * it returns is, in order:
 *   0. for a canary, the routers' actions (reconcilers/traffic.h): JSON
 *      patches of Services and HTTPRoutes, apply and DELETE of the canary
 *      Ingress, and a TrafficDriftCorrected Event; for blue-green, the
 *      patches of activeService and previewService and that Event;
 *   1. ReplicaSet actions: CREATE (or, for an orphan with the current
 *      revision's name, the MERGE_PATCH that adopts it), MERGE_PATCHes (uid and resourceVersion
 *      preconditions: a conflict means the snapshot was stale; requeue), and
 *      DELETEs (same preconditions), each followed by its Event;
 *   1b. for a canary, AnalysisRun actions (reconcilers/release-analysis.h):
 *      CREATE of the runs the steps and the background analysis need,
 *      MERGE_PATCH spec.terminate of runs no longer needed, DELETE of old
 *      ones;
 *   2. at most one WRITE_STATUS, only when the status differs from the
 *      observed one: a JSON merge patch of the whole status, with null for
 *      fields to remove, preconditioned on the Release's uid and
 *      resourceVersion (a conflict: requeue, the next snapshot is newer);
 *   3. Events that report a transition the status write records
 *      (RolloutCompleted, ProgressDeadlineExceeded, InvalidSpec,
 *      Restarted). "Once per transition" is derived
 *      from the observed status, so these must not be sent when step 2
 *      failed; and the pod evictions of spec.restartAt
 *      (reconcilers/restart.h), which the status of step 2 reports.
 * requeue_after is set for the progress deadline (and minReadySeconds, pause
 * timers, a canary's scale-down deadlines).
 */
#ifndef SLIPWAY_RECONCILERS_RELEASE_H
#define SLIPWAY_RECONCILERS_RELEASE_H

#include <jansson.h>
#include <stddef.h>
#include <time.h>

#include "reconcilers/plan.h"

#define REC_REASON_INVALID_SPEC "InvalidSpec"

/* A snapshot built by the controller from its stores; all borrowed. */
struct rec_observed {
	const json_t *release; /* the Release object as read from the API */
	/* ReplicaSets in the Release's namespace whose ownerReferences name the
	 * Release's uid with controller: true (the owner-uid index). Others
	 * passed here by mistake are ignored, never touched. */
	const json_t *const *replicasets;
	size_t n_replicasets;
	/* Pods controlled by those ReplicaSets, for spec.restartAt
	 * (reconcilers/restart.h); others are ignored, never touched. */
	const json_t *const *pods;
	size_t n_pods;
	/* The ReplicaSet in the Release's namespace named rec_release_child_name,
	 * whoever owns it (the controller looks it up by name in its cache), or
	 * NULL: an orphan with the current revision is adopted; anything else
	 * there is a name collision, reported in status (rolling.h). */
	const json_t *named_replicaset;
	/* The previous plan's failed write for this Release (the runtime keeps
	 * it until a plan succeeds), or NULL: a CREATE of the current
	 * revision's ReplicaSet that the API server refused for good
	 * (rec_failure_permanent) is reported in status, not repeated. */
	const struct rec_failure *failure;
	/* The canary's routers (reconcilers/traffic.h), for a canary Release;
	 * NULL / 0 otherwise. Services named by spec.strategy.canary
	 * stableService and canaryService (NULL: not found); for a blue-green
	 * Release, stable_service is its activeService and canary_service its
	 * previewService; http_routes[i] is
	 * the HTTPRoute of spec.strategy.canary.trafficRouting.gatewayAPI
	 * .httpRoutes[i] in the Release's namespace (NULL: not found; the
	 * array as long as that list, n_http_routes says); the nginx stable
	 * Ingress; and the Ingresses whose ownerReferences name the Release's
	 * uid with controller: true (the owner-uid index, as for ReplicaSets). */
	const json_t *stable_service;
	const json_t *canary_service;
	const json_t *const *http_routes;
	size_t n_http_routes;
	const json_t *stable_ingress;
	const json_t *const *owned_ingresses;
	size_t n_owned_ingresses;
	/* AnalysisRuns in the Release's namespace whose ownerReferences name
	 * its uid with controller: true (the owner-uid index; others are
	 * ignored, never touched), and the templates its analysis names: the
	 * AnalysisTemplates of its namespace and the ClusterAnalysisTemplates
	 * (no namespace) looked up by name, those not found left out
	 * (reconcilers/release-analysis.h). */
	const json_t *const *analysis_runs;
	size_t n_analysis_runs;
	const json_t *const *analysis_templates;
	size_t n_analysis_templates;
	/* For a Release with an approval gate (NULL / 0 otherwise): the
	 * Approvals in its namespace whose spec.release names it, the
	 * ValidatingAdmissionPolicy slipway-approval-identity (NULL: not
	 * installed, or not readable) and the ValidatingAdmissionPolicyBindings
	 * whose spec.policyName is that policy. The gate counts Approvals only
	 * while the policy and a Deny binding of it exist
	 * (reconcilers/canary-gate.c). */
	const json_t *const *approvals;
	size_t n_approvals;
	const json_t *approval_policy;
	const json_t *const *approval_bindings;
	size_t n_approval_bindings;
	time_t now; /* wall clock, seconds */
};

/* The name the current revision's ReplicaSet of `release` (the object as
 * read from the API) has or would have: model_child_name of metadata.name
 * and the revision of spec.template, into buf with its NUL. 0, -EINVAL
 * (no name or no template), -ENAMETOOLONG, -ENOMEM. */
int rec_release_child_name(const json_t *release, char *buf, size_t len);

/* Appends the plan for o to `plan` (normally empty). Returns 0, or -ENOMEM
 * with `plan` unchanged. A Release without metadata.name, or being deleted
 * (metadata.deletionTimestamp), gives an empty plan. */
int rec_release_reconcile(const struct rec_observed *o, struct rec_plan *plan);

#endif
