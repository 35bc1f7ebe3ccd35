#!/usr/bin/env bash
# When the current revision's ReplicaSet cannot simply be created: a template
# the API server refuses (a 300 KiB annotation the CRD let through) is
# reported as Stalled with the server's message and a Warning Event, also
# after a restart, and a spec change tries again; a ReplicaSet orphaned with
# `kubectl delete release --cascade=orphan` is adopted by the Release created
# again, without a second ReplicaSet; an unrelated ReplicaSet holding the
# name is reported as a collision, and once it is gone the Release proceeds.
. "$(dirname "$0")/lib.sh"
use_test_namespace replicasets
install_crds || { echo "Bail out! CRDs did not install"; exit 1; }
start_controller

# condition_is NAME TYPE STATUS/REASON: the Release's condition TYPE is so.
condition_is() {
	jsonpath_is "release/$1" "{.status.conditions[?(@.type==\"$2\")].status}/{.status.conditions[?(@.type==\"$2\")].reason}" "$3"
}
# warning_about NAME REASON TEXT: a Warning Event REASON about Release NAME whose note has TEXT.
warning_about() {
	k get events.events.k8s.io -o jsonpath='{range .items[*]}{.type}/{.reason}/{.regarding.name}/{.note}{"\n"}{end}' |
		grep -F "Warning/$2/$1/" | grep -qF "$3"
}
message_has() { k get release "$1" -o jsonpath='{.status.message}' | grep -qF "$2"; }
count_rs() { k get rs -l "app=$1" -o name | wc -l; }

# (a) A template the API server refuses. Created, not applied: kubectl
# apply would copy the annotation into last-applied-configuration, and the
# Release itself would be refused.
big=$(head -c 307200 /dev/zero | tr '\0' x)
k create -f - >/dev/null <<YAML
apiVersion: slipway.dev/v1alpha1
kind: Release
metadata: {name: huge}
spec:
  replicas: 2
  selector: {matchLabels: {app: huge}}
  template:
    metadata:
      labels: {app: huge}
      annotations: {big: "$big"}
    spec:
      containers: [{name: app, image: "registry.example/app:1"}]
YAML
ok "a 300 KiB annotation on the template: Stalled=True, ReplicaSetCreateError, within 60 s" \
	until_true 60 condition_is huge Stalled True/ReplicaSetCreateError
ok "the status message quotes the API server" \
	until_true 10 message_has huge 'Too long'
ok "and names the ReplicaSet" message_has huge 'Failed to create new replica set huge-'
ok "a Warning Event says the same" until_true 30 warning_about huge ReplicaSetCreateError 'Too long'
ok "phase Degraded" jsonpath_is release/huge '{.status.phase}' Degraded
posts() { grep -c 'action=create object=huge-' "$CONTROLLER_LOG"; }
sleep 5
before=$(posts)
ok "no silent retries: the create was sent once and not repeated" test "$before" -eq 1
stop_controller
start_controller
sleep 8
ok "after a restart the report stays" condition_is huge Stalled True/ReplicaSetCreateError
ok "and the create is not sent again for this generation" test "$(posts)" -eq "$before"
k patch release huge --type=json -p '[{"op":"remove","path":"/spec/template/metadata/annotations"}]' >/dev/null
ok "a spec change tries again, and the Release becomes Ready" \
	k wait --for=condition=Ready release/huge --timeout=90s
ok "with Stalled=False" condition_is huge Stalled False/RolloutComplete

# (b) Orphaned, then created again: adopted.
apply_release orphan registry.example/app:1 2
ok "a Release becomes Ready" k wait --for=condition=Ready release/orphan --timeout=90s
rs=$(k get rs -l app=orphan -o jsonpath='{.items[0].metadata.name}')
rs_uid=$(k get rs "$rs" -o jsonpath='{.metadata.uid}')
k delete release orphan --cascade=orphan --wait=true >/dev/null
unowned() { [ -z "$(k get rs "$rs" -o jsonpath='{.metadata.ownerReferences}')" ]; }
ok "deleted with --cascade=orphan: its ReplicaSet stays, without owner" until_true 30 unowned
apply_release orphan registry.example/app:1 2
new_uid=$(k get release orphan -o jsonpath='{.metadata.uid}')
owned_by_new() { jsonpath_is "rs/$rs" '{.metadata.ownerReferences[0].uid}/{.metadata.ownerReferences[0].controller}' "$new_uid/true"; }
ok "created again: the ReplicaSet is adopted (controller reference to the new uid)" \
	until_true 60 owned_by_new
ok "and the Release becomes Ready" k wait --for=condition=Ready release/orphan --timeout=90s
ok "the same ReplicaSet, not a new one" jsonpath_is "rs/$rs" '{.metadata.uid}' "$rs_uid"
ok "and no second ReplicaSet" test "$(count_rs orphan)" -eq 1
ok "with a RevisionAdopted Event" until_true 30 sh -c \
	"kubectl -n $TEST_NS get events.events.k8s.io -o jsonpath='{range .items[*]}{.reason}/{.regarding.name}{\"\n\"}{end}' | grep -qx RevisionAdopted/orphan"

# (c) An unrelated ReplicaSet holding the name the controller would use.
apply_release clash registry.example/app:1 1
k wait --for=condition=Ready release/clash --timeout=90s >/dev/null
name=$(k get rs -l app=clash -o jsonpath='{.items[0].metadata.name}')
k delete release clash --wait=true >/dev/null
gone() { ! k get rs "$name" >/dev/null 2>&1; }
until_true 60 gone >/dev/null
k create -f - >/dev/null <<YAML
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: $name, labels: {app: stranger}}
spec:
  replicas: 0
  selector: {matchLabels: {app: stranger}}
  template:
    metadata: {labels: {app: stranger}}
    spec: {containers: [{name: app, image: registry.example/other:1}]}
YAML
apply_release clash registry.example/app:1 1
ok "a stranger holds the name: Stalled=True, ReplicaSetNameCollision" \
	until_true 60 condition_is clash Stalled True/ReplicaSetNameCollision
ok "the message names the object" until_true 10 message_has clash "ReplicaSet $name already exists"
ok "a Warning Event names it too" until_true 30 warning_about clash ReplicaSetNameCollision "$name"
ok "the stranger is not touched" jsonpath_is "rs/$name" '{.metadata.ownerReferences}/{.spec.replicas}' "/0"
k delete rs "$name" --wait=true >/dev/null
ok "once it is gone, the Release creates its own and becomes Ready" \
	k wait --for=condition=Ready release/clash --timeout=120s

ok "the controller is still running" kill -0 "$CONTROLLER_PID"
stop_controller
done_testing
