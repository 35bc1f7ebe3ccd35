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
k() { kubectl -n "$TEST_NS" "$@"; }

# release NAME EXTRA-SPEC-YAML [CONTAINER-YAML]
release() {
	cat <<YAML | k apply -f - >/dev/null
apiVersion: slipway.dev/v1alpha1
kind: Release
metadata: {name: $1}
spec:
  replicas: 2
  selector: {matchLabels: {app: $1}}
  template:
    metadata: {labels: {app: $1}}
    spec:
      containers: [${3:-{name: app, image: registry.example/app:1\}}]
$2
YAML
}
# condition NAME TYPE STATUS REASON: polls until the Release has that condition.
condition() {
	until_true 90 sh -c "[ \"\$(kubectl -n $TEST_NS get release $1 -o jsonpath='{.status.conditions[?(@.type==\"$2\")].status}/{.status.conditions[?(@.type==\"$2\")].reason}')\" = '$3/$4' ]"
}

release healthy ""
ok "a healthy Release becomes Ready" k wait --for=condition=Ready release/healthy --timeout=90s

release stuck "  progressDeadlineSeconds: 5"
k wait --for=condition=Ready release/stuck --timeout=90s >/dev/null
k patch release stuck --type=merge -p '{"spec":{"template":{"spec":{"nodeSelector":{"no-such-label":"anywhere"}}}}}' >/dev/null
ok "a template no node can run: Progressing=False, ProgressDeadlineExceeded" \
	condition stuck Progressing False ProgressDeadlineExceeded
ok "and Stalled=True" until_true 30 sh -c \
	"kubectl -n $TEST_NS get release stuck -o jsonpath='{.status.conditions[?(@.type==\"Stalled\")].status}' | grep -qx True"
ok "and phase Degraded" until_true 30 sh -c \
	"kubectl -n $TEST_NS get release stuck -o jsonpath='{.status.phase}' | grep -qx Degraded"
ok "with a ProgressDeadlineExceeded Warning Event" until_true 30 sh -c \
	"kubectl -n $TEST_NS get events.events.k8s.io -o jsonpath='{range .items[*]}{.type}/{.reason}/{.regarding.name}{\"\n\"}{end}' | grep -qx Warning/ProgressDeadlineExceeded/stuck"

release noimage "" "{name: app}"
ok "a container without an image: Stalled=True, InvalidSpec" condition noimage Stalled True InvalidSpec
ok "the status message names the field" until_true 30 sh -c \
	"kubectl -n $TEST_NS get release noimage -o jsonpath='{.status.message}' | grep -qF 'spec.template.spec.containers[0].image'"
ok "and so does a Warning Event" until_true 30 sh -c \
	"kubectl -n $TEST_NS get events.events.k8s.io -o jsonpath='{range .items[*]}{.type}/{.reason}/{.regarding.name}/{.note}{\"\n\"}{end}' | grep -F 'Warning/InvalidSpec/noimage/' | grep -qF 'spec.template.spec.containers[0].image'"
ok "no ReplicaSet was created for it" sh -c "[ -z \"\$(kubectl -n $TEST_NS get rs -l app=noimage -o name)\" ]"

release canary "  strategy: {canary: {steps: [{setWeight: 20}, {pause: {}}]}}"
ok "a canary Release is reported as not implemented yet, not crashed on" \
	condition canary Stalled True StrategyNotImplemented

k scale release/healthy --replicas=3 >/dev/null
ok "the healthy Release still reconciles beside them" until_true 60 sh -c \
	"[ \"\$(kubectl -n $TEST_NS get release healthy -o jsonpath='{.status.availableReplicas}')\" = 3 ]"
ok "the controller is still running" kill -0 "$CONTROLLER_PID"

stop_controller
done_testing
