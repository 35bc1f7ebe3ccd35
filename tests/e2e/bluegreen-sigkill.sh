#!/usr/bin/env bash
# Blue-green rollouts during which the controller is killed with SIGKILL at
# random moments (at least 20 times, restarted each time): a promotion, a
# kubectl scale mid-rollout, an abort, a retry and a rollback to the still-up
# old revision. The rollouts complete, no watched state breaks
# check_active_invariants (lib.sh: activeService never moved to a revision
# with fewer available pods than spec.replicas), and the Release never has
# more ReplicaSets than active + new + revisionHistoryLimit old ones.
. "$(dirname "$0")/lib.sh"
use_test_namespace bgkill
install_crds || { echo "Bail out! CRDs did not install"; exit 1; }
start_controller

ok "the Services are created" apply_bluegreen_services
history_limit=1
# scaleDownDelaySeconds outlasts the kills between a promotion and the
# rollback that follows it (at least three, up to ~1.5 s each with the
# restart, longer on a loaded machine): the rollback is to a revision still up.
strategy="  revisionHistoryLimit: $history_limit
  strategy: {blueGreen: {activeService: web, previewService: web-preview, autoPromotionEnabled: false,
    previewReplicaCount: 1, scaleDownDelaySeconds: 20, abortScaleDownDelaySeconds: 2}}"
apply_release web registry.example/web:1 3 "$strategy"
ok "the first template becomes Ready" k wait --for=condition=Ready release/web --timeout=120s

rs_log=$(mktemp)
kubectl -n "$TEST_NS" get rs -l app=web -w --output-watch-events -o jsonpath='{.type} {.object.metadata.name}{"\n"}' >"$rs_log" 2>/dev/null &
rs_watch=$!
start_traffic_watch web "$(mktemp -d)" svc

rev() { k get release web -o jsonpath="{.status.$1}"; }
intent() {
	k patch release web --subresource=status --type=merge -p "{\"status\":{\"intent\":{\"action\":\"$1\",\"user\":\"e2e-user\",\"requestedAt\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\",\"revision\":\"$(rev currentRevision)\",\"stepIndex\":$(rev currentStepIndex)}}}" >/dev/null
}
kills=0
kill_once() {
	sleep "$(awk -v r=$RANDOM 'BEGIN { printf "%.2f", 0.2 + r % 100 / 100 }')"
	stop_controller KILL
	kills=$((kills + 1))
	start_controller
}
# kill_until SECONDS CMD...: kills at random moments, three times at least
# (the rollout moves meanwhile), then until CMD succeeds (not inside ok: its
# subshell would take the restarted controller with it).
kill_until() {
	local deadline=$((SECONDS + $1)) i
	shift
	for i in 1 2 3; do kill_once; done
	until "$@" >/dev/null 2>&1 || [ $SECONDS -ge $deadline ]; do kill_once; done
}
paused() { jsonpath_is release/web '{.status.currentStepIndex} {.status.phase}' "2 Paused"; }
healthy_on() { jsonpath_is release/web '{.status.phase} {.status.stableRevision}' "Healthy $1"; }

set_image web registry.example/web:2
kill_until 90 paused
ok "under kills: the preview pauses" paused
r2=$(rev currentRevision)
k scale release web --replicas=4 >/dev/null
kill_once
kill_once
intent Promote
kill_until 90 healthy_on "$r2"
ok "under kills: promoted, the new revision stable" healthy_on "$r2"

set_image web registry.example/web:3
kill_until 90 paused
ok "under kills: the next preview pauses" paused
intent Abort
kill_until 60 jsonpath_is release/web '{.status.phase}' Degraded
ok "under kills: aborted" jsonpath_is release/web '{.status.phase}' Degraded
intent Retry
kill_until 90 paused
ok "under kills: retried, paused again" paused
intent Promote
r3=$(rev currentRevision)
kill_until 90 healthy_on "$r3"
ok "under kills: promoted" healthy_on "$r3"
set_image web registry.example/web:2
kill_until 60 healthy_on "$r2"
ok "under kills: rolled back" healthy_on "$r2"
ok "the controller was killed at least 20 times during the rollouts ($kills)" [ $kills -ge 20 ]
ok "the Release ends Healthy on the rolled-back revision" until_true 60 healthy_on "$r2"
ok "activeService selects it" until_true 30 service_selects web "$r2"
stop_traffic_watch
kill "$rs_watch" 2>/dev/null
wait "$rs_watch" 2>/dev/null
ok "activeService never moved to a revision without all its pods" check_active_invariants web
# live ReplicaSets at every watched moment: active + new + history_limit.
max_live() {
	awk -v max=$((2 + history_limit)) '
	$1 == "ADDED" { live[$2] = 1 } $1 == "DELETED" { delete live[$2] }
	{ n = 0; for (r in live) n++; if (n > max) { printf "%d ReplicaSets live > %d\n", n, max; bad = 1 } }
	END { exit bad }' "$rs_log"
}
ok "never more than active + new + revisionHistoryLimit ReplicaSets" max_live
ok "and at the end the active one and the history" until_true 60 sh -c "[ \$(kubectl -n $TEST_NS get rs -l app=web -o name | wc -l) -le $((1 + history_limit)) ]"
done_testing
