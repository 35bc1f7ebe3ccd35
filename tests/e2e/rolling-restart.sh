#!/usr/bin/env bash
# All progress lives in the cluster: a controller killed with SIGKILL in the
# middle of a rollout and started again finishes it, with one ReplicaSet per
# revision and the surge limit never exceeded.
. "$(dirname "$0")/lib.sh"
use_test_namespace restart
install_crds || { echo "Bail out! CRDs did not install"; exit 1; }
start_controller

# 20 replicas, one pod at a time, each ready for 2 s before it counts.
spec="  minReadySeconds: 2
  strategy: {rolling: {maxSurge: 1, maxUnavailable: 0}}"
apply_release web registry.example/web:1 20 "$spec"
ok "the Release becomes Ready" k wait --for=condition=Ready release/web --timeout=120s

watch_log=$(mktemp)
k get rs -l app=web -w -o jsonpath='{.metadata.name} {.spec.replicas}{"\n"}' >"$watch_log" 2>/dev/null &
watcher=$!
set_image web registry.example/web:2
updated() { k get release web -o jsonpath='{.status.updatedReplicas}'; }
updated_at_least() { [ "$(updated)" -ge "$1" ] 2>/dev/null; }
ok "the update starts" until_true 60 updated_at_least 2
stop_controller KILL
ok "the controller was killed mid-rollout (updated $(updated) < 20)" test "$(updated)" -lt 20
start_controller
ok "a new controller finishes the rollout" until_true 180 rolled_out web 2 20
kill "$watcher" 2>/dev/null
wait "$watcher" 2>/dev/null

revisions() { k get rs -l app=web -o jsonpath='{range .items[*]}{.metadata.labels.slipway\.dev/revision}{"\n"}{end}'; }
ok "exactly two ReplicaSets, one per revision" \
	test "$(revisions | sort -u | wc -l)/$(k get rs -l app=web -o name | wc -l)" = 2/2
surge_held() {
	awk 'NF == 2 { d[$1] = $2; t = 0; for (r in d) t += d[r]; if (t > 21) { print "desired " t " > 21"; bad = 1 } }
	     END { exit bad }' "$watch_log"
}
ok "no observed state asked for more than 21 pods" surge_held
rm -f "$watch_log"

stop_controller
done_testing
