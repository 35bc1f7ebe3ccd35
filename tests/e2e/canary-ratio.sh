#!/usr/bin/env bash
# A canary Release by replica ratio (no trafficRouting) end to end, driven by
# the spec and the clock only: the first template goes out whole; a new image
# stops at setWeight 20 with 2 of 10 pods through a timed pause, goes on by
# itself (requeue_after) and completes; a template applied mid-canary
# replaces the canary (its ReplicaSet deleted, no pile-up) and restarts the
# steps. A watcher checks that no observed state had more than replicas +
# maxSurge pods wanted or fewer than replicas - maxUnavailable available.
# (Promote and abort through status.intent need the controller to wake on a
# status-only update; see docs/internals/canary.md.)
. "$(dirname "$0")/lib.sh"
use_test_namespace canary
install_crds || { echo "Bail out! CRDs did not install"; exit 1; }
start_controller

strategy="  strategy: {canary: {maxSurge: 1, maxUnavailable: 1, steps: [{setWeight: 20}, {pause: {duration: 15}}, {setWeight: 50}, {pause: {duration: 2}}]}}"
apply_release web registry.example/web:1 10 "$strategy"
ok "the first template goes out whole and becomes Ready" k wait --for=condition=Ready release/web --timeout=120s
ok "as the stable revision" until_true 30 jsonpath_is release/web \
	'{.status.stableRevision}' "$(k get release web -o jsonpath='{.status.currentRevision}')"

watch_log=$(mktemp)
k get rs -l app=web -w -o jsonpath='{.metadata.name} {.spec.replicas} {.status.availableReplicas}{"\n"}' \
	>"$watch_log" 2>/dev/null &
watcher=$!
sleep 1

# sizes: "STABLE CANARY" spec.replicas of the stable and the current revision's RS.
sizes() {
	local st cur
	st=$(k get release web -o jsonpath='{.status.stableRevision}')
	cur=$(k get release web -o jsonpath='{.status.currentRevision}')
	echo "$(k get rs "web-$st" -o jsonpath='{.spec.replicas}') $(k get rs "web-$cur" -o jsonpath='{.spec.replicas}')"
}
sizes_are() { [ "$(sizes)" = "$1" ] || { echo "sizes: got '$(sizes)', want '$1'"; return 1; }; }

set_image web registry.example/web:2
ok "a new image stops at the timed pause after setWeight 20" \
	until_true 60 jsonpath_is release/web '{.status.currentStepIndex} {.status.phase}' "1 Paused"
ok "with 8 stable and 2 canary pods" sizes_are "8 2"
ok "a canary weight of 20 and step label 2/4" jsonpath_is release/web \
	'{.status.canary.weights.canary.weight} {.status.canary.stepLabel}' "20 2/4"
ok "the pause's start time is recorded" jsonpath_is release/web '{.status.pauseConditions[0].reason}' CanaryPauseStep
ok "when the time is up it completes through setWeight 50 by itself" \
	until_true 120 jsonpath_is release/web '{.status.phase} {.status.currentStepIndex}' "Healthy 4"
ok "the canary is the stable revision" jsonpath_is release/web \
	'{.status.stableRevision}' "$(k get release web -o jsonpath='{.status.currentRevision}')"
ok "with 10 available pods" until_true 60 jsonpath_is release/web '{.status.availableReplicas}' 10

set_image web registry.example/web:3
ok "a third image stops at step 1" \
	until_true 60 jsonpath_is release/web '{.status.currentStepIndex} {.status.phase}' "1 Paused"
third=$(k get release web -o jsonpath='{.status.currentRevision}')
set_image web registry.example/web:4
# new_canary_at STEP: the canary is no longer the third image's, at STEP.
new_canary_at() {
	local cur
	cur=$(k get release web -o jsonpath='{.status.currentRevision}')
	[ "$cur" != "$third" ] && jsonpath_is release/web '{.status.currentStepIndex}' "$1"
}
ok "a fourth image mid-canary restarts the steps" until_true 60 new_canary_at 1
ok "with 8 stable and 2 canary pods" until_true 60 sizes_are "8 2"
rs_gone() { ! k get rs "web-$1" >/dev/null 2>&1; }
ok "the replaced canary's ReplicaSet is deleted" until_true 60 rs_gone "$third"
sleep 1
kill "$watcher" 2>/dev/null
wait "$watcher" 2>/dev/null

# 10 replicas, maxSurge 1, maxUnavailable 1: at most 11 wanted, 9 available
# (once the first rollout had its pods).
invariant() {
	awk '
	NF >= 2 {
		desired[$1] = $2; available[$1] = ($3 == "" ? 0 : $3); n++
		total = 0; avail = 0
		for (rs in desired) { total += desired[rs]; a = available[rs] < desired[rs] ? available[rs] : desired[rs]; avail += a }
		if (total > 11) { printf "state %d: %d pods desired > 11\n", n, total; bad = 1 }
		if (avail < 9) { printf "state %d: %d available < 9\n", n, avail; bad = 1 }
	}
	END { if (n < 4) { printf "only %d states observed\n", n; bad = 1 } exit bad }' "$1"
}
ok "no observed state exceeded 11 pods wanted or had fewer than 9 available" invariant "$watch_log"
rm -f "$watch_log"
done_testing
