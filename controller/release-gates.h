/*
 * What the Release controller watches for approval gates (internal to
 * release-controller.c): the Approvals of a Release, and the admission
 * policy that vouches for their identity (deploy/approval-policy.yaml).
 *
 *   - Approvals (namespaced, optional: a cluster without the CRD, or a
 *     controller not granted them, has none) are mapped to the Release
 *     their spec.release names, through an index on Releases holding
 *     their own key; an index on Approvals by "ns/spec.release" gives a
 *     Release's Approvals to its snapshot without a scan.
 *   - ValidatingAdmissionPolicies and their bindings (cluster-scoped,
 *     optional: a 403 or 404 is "not installed", which closes every gate,
 *     and blocks nothing else) are mapped to every Release with a gate,
 *     through an index on Releases holding the policy's name; an index on
 *     bindings by spec.policyName finds the bindings of the policy.
 *
 * Only Releases with a gate (a canary approval step, blue-green's
 * prePromotionApproval) are in those Release indexes: a change of an
 * Approval or a policy wakes nobody else.
 */
#ifndef SLIPWAY_CONTROLLER_RELEASE_GATES_H
#define SLIPWAY_CONTROLLER_RELEASE_GATES_H

#include <jansson.h>
#include <stdbool.h>

#include "controller/informers.h"
#include "controller/runtime.h"

/* Index on Releases with a gate: their own key ("ns/name"). */
#define CTL_INDEX_GATED_RELEASE "approvals.release"
/* Index on Releases with a gate: MODEL_APPROVAL_IDENTITY_POLICY. */
#define CTL_INDEX_GATE_POLICY "approvals.policy"
/* Index on Approvals: "ns/spec.release". */
#define CTL_INDEX_APPROVAL_RELEASE "spec.release"
/* Index on ValidatingAdmissionPolicyBindings: spec.policyName. */
#define CTL_INDEX_BINDING_POLICY "spec.policyName"

/* Whether the Release has an approval gate. */
bool ctl_release_has_gates(const json_t *release);

/* The index functions of CTL_INDEX_GATED_RELEASE and CTL_INDEX_GATE_POLICY. */
size_t ctl_release_gated_self(const json_t *release, char (*values)[CTL_STORE_KEY_MAX], size_t max,
                              void *userdata);
size_t ctl_release_gate_policy(const json_t *release, char (*values)[CTL_STORE_KEY_MAX], size_t max,
                               void *userdata);

/* The three watches: Approvals, policies, bindings. */
void ctl_release_gate_watches(struct ctl_watch *approvals, struct ctl_watch *policies,
                              struct ctl_watch *bindings);

#endif
