#!/usr/bin/env bash
# The test control plane is a real one: the scheduler places pods on KWOK's
# fake nodes, the Deployment controller reports them ready, and a Job's pod
# runs to completion.
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

done_testing
