#!/usr/bin/env bash
# spec.restartAt is carried out by the controller: every pod created before
# it is evicted and replaced, availability never drops below
# replicas - maxUnavailable at any observed moment, no new revision is made,
# a PodDisruptionBudget holds it back, status.restartedAt records the end, and
# a controller killed with SIGKILL in the middle and started again finishes
# the restart (all progress lives in the cluster).
. "$(dirname "$0")/lib.sh"
use_test_namespace restartpods
install_crds || { echo "Bail out! CRDs did not install"; exit 1; }
start_controller

# 10 replicas, two pods unavailable at a time, each Ready for 2 s before it
# counts: so at least 8 available, and a restart that lasts long enough to
# be interrupted.
replicas=10
min_available=8
spec="  minReadySeconds: 2
  strategy: {rolling: {maxSurge: 1, maxUnavailable: 2}}"
apply_release web registry.example/web:1 $replicas "$spec"
ok "the Release becomes Ready" k wait --for=condition=Ready release/web --timeout=120s

revision=$(k get release web -o jsonpath='{.status.currentRevision}')
pods_before=$(k get pods -l app=web -o jsonpath='{range .items[*]}{.metadata.uid}{"\n"}{end}' | sort)
ok "$replicas pods to restart" test "$(echo "$pods_before" | grep -c .)" = $replicas

# Every pod event and every ReplicaSet status change, for the availability
# checks at the end.
pod_log=$(mktemp)
rs_log=$(mktemp)
k get pods -l app=web -w --output-watch-events \
	-o jsonpath='{.type}|{.object.metadata.name}|{.object.metadata.deletionTimestamp}|{.object.status.conditions[?(@.type=="Ready")].status}{"\n"}' \
	>"$pod_log" 2>/dev/null &
pod_watcher=$!
k get rs -l app=web -w -o jsonpath='{.metadata.name} {.status.availableReplicas}{"\n"}' >"$rs_log" 2>/dev/null &
rs_watcher=$!
trap 'kill $pod_watcher $rs_watcher 2>/dev/null; rm -f "$pod_log" "$rs_log"; stop_controller; kubectl delete namespace "$TEST_NS" --wait=false >/dev/null 2>&1' EXIT

# Pods created in the second of restartAt would count as new: let a second
# pass before taking it.
sleep 1
restart_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)

# A PodDisruptionBudget that allows no disruption: the evictions are refused
# (429) and the restart waits, without errors.
k create poddisruptionbudget web --selector=app=web --max-unavailable=0 >/dev/null
pdb_ready() { [ "$(k get pdb web -o jsonpath='{.status.observedGeneration}')" -ge 1 ] 2>/dev/null; }
ok "the PodDisruptionBudget is observed" until_true 30 pdb_ready
ok "spec.restartAt is accepted" \
	k patch release web --type merge -p "{\"spec\":{\"restartAt\":\"$restart_at\"}}"
old_left() {
	k get pods -l app=web -o jsonpath='{range .items[*]}{.metadata.uid}{"\n"}{end}' | sort |
		comm -12 - <(echo "$pods_before") | grep -c .
}
says_restarting() { k get release web -o jsonpath='{.status.message}' | grep -q 'restarting pods'; }
ok "the Release says it is restarting" until_true 30 says_restarting
# The client retries a 429 a few times; once it gives up, the executor lets
# the refused eviction pass and goes on to the next pod, where a failure
# would stop the plan and start over with the same (oldest) pod.
refused_pods() {
	grep 'code=429' "$CONTROLLER_LOG" | grep -o 'pods/[^/]*/eviction' | sort -u | grep -c .
}
two_refused() { [ "$(refused_pods)" -ge 2 ]; }
ok "evictions are refused while the PodDisruptionBudget allows none" until_true 90 two_refused
ok "  and a refused eviction is no failed reconcile" \
	test "$(grep -c 'reconcile failed' "$CONTROLLER_LOG")" = 0
ok "the PodDisruptionBudget held every pod (old pods left: $(old_left))" test "$(old_left)" = $replicas
k delete pdb web >/dev/null

# Kill the controller once a few pods are replaced, start a new one.
replaced_at_least() { [ $((replicas - $(old_left))) -ge "$1" ]; }
ok "the restart starts once the budget allows" until_true 60 replaced_at_least 3
stop_controller KILL
ok "the controller was killed mid-restart ($(old_left) old pods left)" test "$(old_left)" -gt 0
ok "  and status.restartedAt is not set yet" \
	jsonpath_is release/web '{.status.restartedAt}' ""
start_controller
ok "a new controller finishes the restart" \
	until_true 180 jsonpath_is release/web '{.status.restartedAt}' "$restart_at"
kill $pod_watcher $rs_watcher 2>/dev/null
wait $pod_watcher $rs_watcher 2>/dev/null

ok "no pod from before restartAt is left" test "$(old_left)" = 0
created_after() {
	k get pods -l app=web -o jsonpath='{range .items[*]}{.metadata.creationTimestamp}{"\n"}{end}' |
		awk -v at="$restart_at" '$1 < at { print "created " $1 " < " at; bad = 1 } END { exit bad }'
}
ok "every pod was created at or after restartAt" created_after
# spec.restartAt is a spec change: a new generation, observed.
ok "the Release is Ready with $replicas pods" \
	rolled_out web "$(k get release web -o jsonpath='{.metadata.generation}')" $replicas
ok "no new revision" jsonpath_is release/web '{.status.currentRevision}' "$revision"
ok "one ReplicaSet, the same revision" \
	test "$(k get rs -l app=web -o jsonpath='{range .items[*]}{.metadata.labels.slipway\.dev/revision}{"\n"}{end}')" = "$revision"
restarted_event() {
	k get events.events.k8s.io --field-selector reason=Restarted -o jsonpath='{.items[*].regarding.name}' |
		grep -qw web
}
ok "a Restarted Event" until_true 20 restarted_event

# Availability at every observed moment. Pods: Ready and not being deleted,
# counted from the moment all $replicas were first seen (the watch starts
# with a list, one pod at a time). ReplicaSet: status.availableReplicas,
# which also waits minReadySeconds.
pods_held() {
	awk -F'|' -v want=$replicas -v min=$min_available '
		NF == 4 {
			if ($1 == "DELETED") delete avail[$2]; else avail[$2] = ($3 == "" && $4 == "True")
			n = 0; for (p in avail) n += avail[p]
			if (n >= want) started = 1
			if (started && n < min) { print "only " n " pods available after: " $0; bad = 1 }
		}
		END { if (!started) { print "never saw " want " pods available"; bad = 1 } exit bad }' "$pod_log"
}
ok "at least $min_available pods Ready and not deleted at every pod event" pods_held
rs_held() {
	awk -v min=$min_available 'NF == 2 && $2 < min { print "availableReplicas " $2 " < " min; bad = 1 } END { exit bad }' "$rs_log"
}
ok "at least $min_available available in every ReplicaSet status seen" rs_held
ok "the watch saw the pods replaced" test "$(grep -c '^DELETED' "$pod_log")" -ge $replicas

stop_controller
done_testing
