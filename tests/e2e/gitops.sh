#!/usr/bin/env bash
# A GitOps tool's view of a Release: the manifest in Git, server-side applied
# as field manager argocd-controller (what Argo CD's server-side apply and
# Flux's kustomize-controller do, under their own names), is never out of
# sync because of the controller: `kubectl diff --server-side` with that
# manager shows nothing to change before, during and after a canary (paused
# at a pause step, then promoted), and every field the controller owns is in
# the status subresource. So a Release needs no ignoreDifferences.
. "$(dirname "$0")/lib.sh"
use_test_namespace gitops
install_crds || { echo "Bail out! CRDs did not install"; exit 1; }
start_controller

manifest=$(mktemp)
trap 'stop_controller; rm -f "$manifest"; kubectl delete namespace "$TEST_NS" --wait=false >/dev/null 2>&1' EXIT
# write_manifest IMAGE: the Release as Git holds it.
write_manifest() {
	release_yaml web "$1" 4 "  strategy: {canary: {maxSurge: 1, maxUnavailable: 0, steps: [{setWeight: 25}, {pause: {}}, {setWeight: 50}]}}" >"$manifest"
}
sync() { k apply --server-side --field-manager=argocd-controller -f "$manifest" >/dev/null; }
# in_sync: kubectl diff exits 0 (no difference), 1 (differences) or >1 (error).
# kubectl reads the live object, then asks for the dry-run apply: a status
# the controller writes in between shows as a difference (status and
# resourceVersion only) that the next diff no longer has, so up to three
# tries; a difference in what the manifest sets stays and fails all three.
in_sync() {
	local i
	for i in 1 2 3; do
		k diff --server-side --field-manager=argocd-controller -f "$manifest" && return 0
		sleep 0.5
	done
	return 1
}
# only_status_is_others: every managedFields entry not argocd-controller's
# is of the status subresource and sets nothing outside .status.
only_status_is_others() {
	k get release web -o json --show-managed-fields | jq -e '
		[.metadata.managedFields[] | select(.manager != "argocd-controller")
		 | select(.subresource != "status" or ((.fieldsV1 | keys) - ["f:status"] | length) > 0)]
		| if length == 0 then true else (tostring | halt_error(1)) end' >/dev/null
}
phase_step() { jsonpath_is release/web '{.status.phase} {.status.currentStepIndex}' "$1"; }

write_manifest registry.example/web:1
ok "the Release is synced (server-side apply as argocd-controller)" sync
ok "and in sync at once" in_sync
ok "it becomes Healthy" until_true 60 phase_step "Healthy 3"
ok "before the canary: in sync" in_sync
ok "the controller owns only status fields" only_status_is_others

write_manifest registry.example/web:2
ok "a new image is synced" sync
ok "in sync while the canary starts" in_sync
ok "the canary waits at the pause step" until_true 60 phase_step "Paused 1"
ok "during the canary (paused): in sync" in_sync
ok "a re-sync while paused changes nothing the controller set" sync
ok "and the canary is still paused" phase_step "Paused 1"
ok "the controller still owns only status fields" only_status_is_others
ok "kubectl slipway promote" "$SLIPWAY_BUILD_ROOT/cli/kubectl-slipway" -n "$TEST_NS" promote web
ok "the canary completes" until_true 60 phase_step "Healthy 3"
ok "after the canary: in sync" in_sync
ok "and only status fields are the controller's or the CLI's" only_status_is_others
sync_in_sync() { sync && in_sync; }
ok "a third sync leaves it in sync" sync_in_sync

done_testing
