#!/usr/bin/env bash
# examples/bluegreen.yaml as it is, on the real control plane (what
# `./demo bluegreen` shows): applied, Ready on four pods behind its active
# Service; a new image previews on one pod and waits for
# `kubectl slipway promote`; promoted, the active Service switches once all
# four pods are up; then the file applied again (the old image), within
# scaleDownDelaySeconds, switches straight back to the old ReplicaSet with no
# new pod. check_active_invariants (lib.sh) over every watched state.
. "$(dirname "$0")/lib.sh"
use_test_namespace bgexample
install_crds || { echo "Bail out! CRDs did not install"; exit 1; }
start_controller
S="$SLIPWAY_BUILD_ROOT/cli/kubectl-slipway"
example=$SLIPWAY_SOURCE_ROOT/examples/bluegreen.yaml

ok "examples/bluegreen.yaml lints clean" "$S" lint -f "$example"
ok "and is admitted" k apply -f "$example"
ok "the Release becomes Ready" k wait --for=condition=Ready release/checkout --timeout=120s
start_traffic_watch checkout "$(mktemp -d)" svc

rev() { k get release checkout -o jsonpath="{.status.$1}"; }
pods() { jsonpath_is "rs/checkout-$1" '{.spec.replicas} {.status.availableReplicas}' "$2 $2"; }
healthy_on() { jsonpath_is release/checkout '{.status.phase} {.status.stableRevision}' "Healthy $1"; }
serving() {
	service_selects checkout "$1" && [ "$(k get pods -l "slipway.dev/revision=$1,role=active" -o name | wc -l)" -eq 4 ]
}
previewing() { pods "$1" 1 && service_selects checkout-preview "$1"; }
# same_pods REVISION: its ReplicaSet is the one of $uid1 and no pod was
# created since $pods_before.
same_pods() {
	local created
	jsonpath_is "rs/checkout-$1" '{.metadata.uid}' "$uid1" || return 1
	created=$(comm -13 <(echo "$pods_before") <(k get pods -l app=checkout -o name | sort))
	[ -z "$created" ] || { echo "new pods: $created"; return 1; }
}
r1=$(rev stableRevision)
ok "its four pods, labelled role=active, serve through checkout" until_true 30 serving "$r1"

k patch release checkout --type=json \
	-p '[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"nginx:1.28"}]' >/dev/null
ok "nginx:1.28 previews and waits for promote" until_true 60 jsonpath_is release/checkout \
	'{.status.currentStepIndex} {.status.phase}' "2 Paused"
r2=$(rev currentRevision)
ok "on one pod (previewReplicaCount), behind checkout-preview" until_true 60 previewing "$r2"
ok "kubectl slipway get says what waits" output_has "Waiting:    waiting for promote (kubectl slipway promote checkout)" \
	"$S" -n "$TEST_NS" get checkout
ok "kubectl slipway promote" "$S" -n "$TEST_NS" promote checkout
ok "checkout switches to the new revision" until_true 90 service_selects checkout "$r2"
ok "which had its four pods" pods "$r2" 4
ok "the rollout completes" until_true 60 healthy_on "$r2"
ok "the old revision stays up for scaleDownDelaySeconds" pods "$r1" 4

uid1=$(k get rs "checkout-$r1" -o jsonpath='{.metadata.uid}')
pods_before=$(k get pods -l app=checkout -o name | sort)
ok "the file applied again (nginx:1.27)" k apply -f "$example"
ok "switches straight back to the old revision" until_true 30 service_selects checkout "$r1"
ok "stable on it again" until_true 30 healthy_on "$r1"
ok "the same ReplicaSet, no new pod" same_pods "$r1"

stop_traffic_watch
ok "activeService never moved to a revision without all its pods" check_active_invariants checkout
ok "no request was refused" bash -c "! grep -q 'reconcile failed' '$CONTROLLER_LOG'"
done_testing
