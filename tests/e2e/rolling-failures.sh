#!/usr/bin/env bash
# What a user sees when a Release cannot roll out: a template no node can run
# stalls with ProgressDeadlineExceeded after the deadline; a Release the API
# accepts but the controller rejects gets Stalled/InvalidSpec and a Warning
# Event naming the field; a strategy not implemented yet is reported, not
# crashed on; and a healthy Release beside them keeps reconciling.
. "$(dirname "$0")/lib.sh"
use_test_namespace failures
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

apply_release healthy registry.example/app:1 2
ok "a healthy Release becomes Ready" k wait --for=condition=Ready release/healthy --timeout=90s

apply_release stuck registry.example/app:1 2 "  progressDeadlineSeconds: 5"
k wait --for=condition=Ready release/stuck --timeout=90s >/dev/null
k patch release stuck --type=merge -p '{"spec":{"template":{"spec":{"nodeSelector":{"no-such-label":"anywhere"}}}}}' >/dev/null
ok "a template no node can run: Progressing=False, ProgressDeadlineExceeded" \
	until_true 90 condition_is stuck Progressing False/ProgressDeadlineExceeded
ok "and Stalled=True" until_true 30 jsonpath_is release/stuck '{.status.conditions[?(@.type=="Stalled")].status}' True
ok "and phase Degraded" until_true 30 jsonpath_is release/stuck '{.status.phase}' Degraded
ok "with a ProgressDeadlineExceeded Warning Event" until_true 30 warning_about stuck ProgressDeadlineExceeded ""

release_yaml noimage registry.example/app:1 2 | sed 's/, image: "registry.example\/app:1"//' | k apply -f - >/dev/null
ok "a container without an image: Stalled=True, InvalidSpec" until_true 90 condition_is noimage Stalled True/InvalidSpec
message_has() { k get release "$1" -o jsonpath='{.status.message}' | grep -qF "$2"; }
ok "the status message names the field" until_true 30 message_has noimage 'spec.template.spec.containers[0].image'
ok "and so does a Warning Event" until_true 30 warning_about noimage InvalidSpec 'spec.template.spec.containers[0].image'
no_replicasets() { [ -z "$(k get rs -l "app=$1" -o name)" ]; }
ok "no ReplicaSet was created for it" no_replicasets noimage

apply_release canary registry.example/app:1 2 "  strategy: {canary: {stableService: canary, canaryService: canary-preview, trafficRouting: {gatewayAPI: {httpRoutes: [{name: canary}]}}, steps: [{setWeight: 20}, {pause: {}}]}}"
ok "a traffic-routed canary Release without its Services and HTTPRoute: Stalled, not crashed on" \
	until_true 90 condition_is canary Stalled True/TrafficRouterMissing

k scale release/healthy --replicas=3 >/dev/null
ok "the healthy Release still reconciles beside them" \
	until_true 60 jsonpath_is release/healthy '{.status.availableReplicas}' 3
ok "the controller is still running" kill -0 "$CONTROLLER_PID"

stop_controller
done_testing
