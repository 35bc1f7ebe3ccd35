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
k() { kubectl -n "$TEST_NS" "$@"; }

# release IMAGE: the Release, 10 replicas, maxSurge 3 (25% up), maxUnavailable 2 (25% down).
release() {
	cat <<YAML
apiVersion: slipway.dev/v1alpha1
kind: Release
metadata: {name: web}
spec:
  replicas: 10
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "$1"}]
  strategy: {rolling: {maxSurge: 25%, maxUnavailable: 25%}}
YAML
}
# ready: the Release is Ready for its current generation.
ready() { k wait --for=condition=Ready release/web --timeout=120s; }
jsonpath() { k get "$1" -o jsonpath="{$2}"; }
equals() {
	local got
	got=$("${@:3}") || return 1
	[ "$got" = "$2" ] || { echo "$1: got '$got', want '$2'"; return 1; }
}

release registry.example/web:1 | k apply -f - >/dev/null
ok "a new Release becomes Ready" ready
ok "with 10 available replicas" equals availableReplicas 10 jsonpath release/web .status.availableReplicas
ok "in phase Healthy" equals phase Healthy jsonpath release/web .status.phase
ok "owning one ReplicaSet named web-<revision>" \
	equals replicasets "web-$(jsonpath release/web .status.currentRevision)" \
	sh -c "kubectl -n $TEST_NS get rs -l app=web -o jsonpath='{.items[*].metadata.name}'"
first_rs=$(k get rs -l app=web -o jsonpath='{.items[0].metadata.name}')

# Watch every ReplicaSet change during the update: name, desired, available.
watch_log=$(mktemp)
k get rs -l app=web -w --output-watch-events=false \
	-o jsonpath='{.metadata.name} {.spec.replicas} {.status.availableReplicas}{"\n"}' >"$watch_log" 2>/dev/null &
watcher=$!
sleep 1
release registry.example/web:2 | k apply -f - >/dev/null
ok "an image change rolls out to Ready" until_true 120 sh -c \
	"[ \"\$(kubectl -n $TEST_NS get release web -o jsonpath='{.status.observedGeneration}/{.metadata.generation}/{.status.updatedReplicas}/{.status.availableReplicas}/{.status.replicas}')\" = 2/2/10/10/10 ] && kubectl -n $TEST_NS wait --for=condition=Ready release/web --timeout=1s >/dev/null"
sleep 1
kill "$watcher" 2>/dev/null
wait "$watcher" 2>/dev/null

# invariant: replay the watch; after every line, sum desired and available.
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
ok "the update went through more than one step" sh -c "[ \$(wc -l <'$watch_log') -ge 6 ]"
rm -f "$watch_log"

release registry.example/web:1 | k apply -f - >/dev/null
ok "going back to the old image is Ready again" until_true 120 sh -c \
	"[ \"\$(kubectl -n $TEST_NS get release web -o jsonpath='{.status.observedGeneration}/{.status.updatedReplicas}/{.status.availableReplicas}/{.status.replicas}')\" = 3/10/10/10 ]"
ok "and reuses the first ReplicaSet" equals "replicas of $first_rs" 10 jsonpath "rs/$first_rs" .spec.replicas
ok "without creating a third one" equals "ReplicaSet count" 2 sh -c "kubectl -n $TEST_NS get rs -l app=web -o name | wc -l"

k scale release/web --replicas=4 >/dev/null
ok "kubectl scale release/web --replicas=4 scales the ReplicaSet" until_true 60 sh -c \
	"[ \"\$(kubectl -n $TEST_NS get rs $first_rs -o jsonpath='{.spec.replicas}')\" = 4 ]"
ok "and the Release reports 4 available" until_true 60 sh -c \
	"[ \"\$(kubectl -n $TEST_NS get release web -o jsonpath='{.status.availableReplicas}')\" = 4 ]"

ok "RolloutCompleted and ScalingReplicaSet Events were written" sh -c \
	"kubectl -n $TEST_NS get events.events.k8s.io -o jsonpath='{.items[*].reason}' | tr ' ' '\n' | sort -u | grep -c -e RolloutCompleted -e ScalingReplicaSet | grep -qx 2"

k delete release web --wait=true >/dev/null
ok "deleting the Release garbage-collects its ReplicaSets" until_true 60 sh -c \
	"[ -z \"\$(kubectl -n $TEST_NS get rs -l app=web -o name)\" ]"
ok "and its pods" until_true 60 sh -c "[ -z \"\$(kubectl -n $TEST_NS get pods -l app=web -o name)\" ]"

stop_controller
done_testing
