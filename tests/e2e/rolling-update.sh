#!/usr/bin/env bash
# A rolling Release end to end, as a user sees it: it becomes Ready; an image
# change rolls out without ever exceeding replicas + maxSurge pods or falling
# below replicas - maxUnavailable available (checked at every state a watcher
# saw); going back to the old image reuses the old ReplicaSet; kubectl scale
# works; deleting the Release garbage-collects its ReplicaSets and pods.
. "$(dirname "$0")/lib.sh"
use_test_namespace rolling
install_crds || { echo "Bail out! CRDs did not install"; exit 1; }
start_controller

# 10 replicas: maxSurge 25% rounds up to 3, maxUnavailable 25% down to 2.
strategy="  strategy: {rolling: {maxSurge: 25%, maxUnavailable: 25%}}"
apply_release web registry.example/web:1 10 "$strategy"
ok "a new Release becomes Ready" k wait --for=condition=Ready release/web --timeout=120s
ok "with 10 available replicas" jsonpath_is release/web '{.status.availableReplicas}' 10
ok "in phase Healthy" jsonpath_is release/web '{.status.phase}' Healthy
ok "owning one ReplicaSet named web-<revision>" \
	jsonpath_is rs '{.items[*].metadata.name}' "web-$(k get release web -o jsonpath='{.status.currentRevision}')"
first_rs=$(k get rs -l app=web -o jsonpath='{.items[0].metadata.name}')

# Watch every ReplicaSet change during the update: name, desired, available.
watch_log=$(mktemp)
k get rs -l app=web -w -o jsonpath='{.metadata.name} {.spec.replicas} {.status.availableReplicas}{"\n"}' \
	>"$watch_log" 2>/dev/null &
watcher=$!
sleep 1
set_image web registry.example/web:2
ok "an image change rolls out to Ready" until_true 120 rolled_out web 2 10
sleep 1
kill "$watcher" 2>/dev/null
wait "$watcher" 2>/dev/null

# invariant FILE: replay the watch; after every line, sum desired and available.
invariant() {
	awk '
	NF >= 2 {
		desired[$1] = $2; available[$1] = ($3 == "" ? 0 : $3); n++
		total = 0; avail = 0
		for (rs in desired) { total += desired[rs]; avail += available[rs] }
		if (total > 13) { printf "state %d: %d pods desired > 13\n", n, total; bad = 1 }
		if (avail < 8) { printf "state %d: %d available < 8\n", n, avail; bad = 1 }
	}
	END { if (n < 4) { printf "only %d states observed\n", n; bad = 1 } exit bad }' "$1"
}
ok "no observed state exceeded 13 pods or had fewer than 8 available" invariant "$watch_log"
ok "the update went through more than one step" test "$(wc -l <"$watch_log")" -ge 6
rm -f "$watch_log"

set_image web registry.example/web:1
ok "going back to the old image is Ready again" until_true 120 rolled_out web 3 10
ok "and reuses the first ReplicaSet" jsonpath_is "rs/$first_rs" '{.spec.replicas}' 10
ok "without creating a third one" test "$(k get rs -l app=web -o name | wc -l)" -eq 2

k scale release/web --replicas=4 >/dev/null
ok "kubectl scale release/web --replicas=4 scales the ReplicaSet" \
	until_true 60 jsonpath_is "rs/$first_rs" '{.spec.replicas}' 4
ok "and the Release reports 4 available" until_true 60 jsonpath_is release/web '{.status.availableReplicas}' 4

reasons() { k get events.events.k8s.io -o jsonpath='{.items[*].reason}' | tr ' ' '\n' | sort -u; }
ok "RolloutCompleted and ScalingReplicaSet Events were written" \
	test "$(reasons | grep -c -e RolloutCompleted -e ScalingReplicaSet)" -eq 2

k delete release web --wait=true >/dev/null
ok "deleting the Release garbage-collects its ReplicaSets" until_true 60 jsonpath_is rs '{.items[*].metadata.name}' ""
ok "and its pods" until_true 60 jsonpath_is pods '{.items[*].metadata.name}' ""

stop_controller
done_testing
