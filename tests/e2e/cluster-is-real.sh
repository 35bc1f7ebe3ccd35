#!/usr/bin/env bash
# The test control plane is a real one: the scheduler places pods on KWOK's
# fake nodes, the Deployment controller reports them ready, a Job's pod runs
# to completion, and the Gateway API's standard-channel CRDs are installed and
# validate what is written to them.
. "$(dirname "$0")/lib.sh"
use_test_namespace cluster

ok "API server reports a real version" \
	sh -c 'kubectl version -o json | grep -q "\"gitVersion\": \"v1\."'
ok "at least 3 fake nodes are Ready" \
	sh -c '[ "$(kubectl get nodes -o jsonpath="{range .items[*]}{.status.conditions[?(@.type==\"Ready\")].status}{\"\n\"}{end}" | grep -c True)" -ge 3 ]'

kubectl -n "$TEST_NS" apply -f - >/dev/null <<YAML
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 5
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: registry.example/web:1}]
YAML
ok "Deployment rolls out 5 ready replicas" \
	kubectl -n "$TEST_NS" rollout status deployment/web --timeout=120s
ok "every pod of the Deployment is bound to a fake node" \
	sh -c "[ \"\$(kubectl -n $TEST_NS get pods -l app=web -o jsonpath='{range .items[*]}{.spec.nodeName}{\"\n\"}{end}' | grep -c kwok-node)\" -eq 5 ]"

kubectl -n "$TEST_NS" apply -f - >/dev/null <<YAML
apiVersion: batch/v1
kind: Job
metadata: {name: once}
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: once, image: registry.example/once:1}]
YAML
ok "Job's pod completes and the Job is Complete" \
	kubectl -n "$TEST_NS" wait --for=condition=Complete job/once --timeout=120s

# route NAME STABLE-WEIGHT CANARY-WEIGHT: an HTTPRoute splitting one rule
# between two Services, as a canary Release's route does.
route() {
	cat <<YAML
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: $1}
spec:
  parentRefs: [{name: web-gateway}]
  rules:
  - name: api
    backendRefs:
    - {name: web, port: 80, weight: $2}
    - {name: web-canary, port: 80, weight: $3}
YAML
}
route_created() { route "$@" | k apply -f -; }
# route_refused NAME WEIGHT WEIGHT: applying it fails, the API server naming
# the first weight and the schema's minimum.
route_refused() {
	local out
	if out=$(route "$@" | k apply -f - 2>&1); then
		echo "accepted: $out"
		return 1
	fi
	{ grep -qF 'spec.rules[0].backendRefs[0].weight' <<<"$out" &&
		grep -qF 'should be greater than or equal to 0' <<<"$out"; } || { echo "$out"; return 1; }
}
route_absent() { ! k get httproute "$1" 2>&1; }

ok "the Gateway API standard-channel kinds are served" \
	k get gatewayclasses,gateways,httproutes,grpcroutes,referencegrants,backendtlspolicies
ok "an HTTPRoute with two weighted backendRefs is created" route_created web 90 10
ok "the HTTPRoute reads back with its backends and weights" jsonpath_is httproute/web \
	'{.spec.rules[0].backendRefs[*].name}={.spec.rules[0].backendRefs[*].weight}' 'web web-canary=90 10'
ok "an HTTPRoute with weight -1 is refused by the CRD's schema" route_refused bad -1 10
ok "the refused HTTPRoute was not stored" route_absent bad

done_testing
