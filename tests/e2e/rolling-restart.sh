#!/usr/bin/env bash
# All progress lives in the cluster: a controller killed with SIGKILL in the
# middle of a rollout and started again finishes it, with one ReplicaSet per
# revision and the surge limit never exceeded.
. "$(dirname "$0")/lib.sh"
use_test_namespace restart
install_crds || { echo "Bail out! CRDs did not install"; exit 1; }
start_controller
k() { kubectl -n "$TEST_NS" "$@"; }

# release IMAGE: 20 replicas, one pod at a time, each ready for 2 s before it counts.
release() {
	cat <<YAML | k apply -f - >/dev/null
apiVersion: slipway.dev/v1alpha1
kind: Release
metadata: {name: web}
spec:
  replicas: 20
  minReadySeconds: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "$1"}]
  strategy: {rolling: {maxSurge: 1, maxUnavailable: 0}}
YAML
}
release registry.example/web:1
ok "the Release becomes Ready" k wait --for=condition=Ready release/web --timeout=120s

watch_log=$(mktemp)
k get rs -l app=web -w -o jsonpath='{.metadata.name} {.spec.replicas}{"\n"}' >"$watch_log" 2>/dev/null &
watcher=$!
release registry.example/web:2
ok "the update starts" until_true 60 sh -c \
	"[ \"\$(kubectl -n $TEST_NS get release web -o jsonpath='{.status.updatedReplicas}')\" -ge 2 ] 2>/dev/null"
stop_controller KILL
ok "the controller was killed mid-rollout (updated < 20)" sh -c \
	"[ \"\$(kubectl -n $TEST_NS get release web -o jsonpath='{.status.updatedReplicas}')\" -lt 20 ]"
start_controller
ok "a new controller finishes the rollout" until_true 180 sh -c \
	"[ \"\$(kubectl -n $TEST_NS get release web -o jsonpath='{.status.observedGeneration}/{.status.updatedReplicas}/{.status.availableReplicas}/{.status.replicas}')\" = 2/20/20/20 ]"
ok "and reports Ready" k wait --for=condition=Ready release/web --timeout=30s
kill "$watcher" 2>/dev/null
wait "$watcher" 2>/dev/null

ok "exactly two ReplicaSets, one per revision" sh -c \
	"[ \"\$(kubectl -n $TEST_NS get rs -l app=web -o jsonpath='{range .items[*]}{.metadata.labels.slipway\.dev/revision}{\"\n\"}{end}' | sort -u | wc -l)/\$(kubectl -n $TEST_NS get rs -l app=web -o name | wc -l)\" = 2/2 ]"
surge_held() {
	awk 'NF == 2 { d[$1] = $2; t = 0; for (r in d) t += d[r]; if (t > 21) { print "desired " t " > 21"; bad = 1 } }
	     END { exit bad }' "$watch_log"
}
ok "no observed state asked for more than 21 pods" surge_held
rm -f "$watch_log"

stop_controller
done_testing
