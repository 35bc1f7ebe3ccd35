#!/usr/bin/env bash
# A canary rollout with HTTPRoute weights during which the controller is
# killed with SIGKILL at random moments (at least 20 times, restarted each
# time); the rollout completes, no watched state breaks the traffic
# invariants (check_traffic_invariants in lib.sh), and the Release never has
# more ReplicaSets than stable + canary + revisionHistoryLimit old ones.
. "$(dirname "$0")/lib.sh"
use_test_namespace cankill
install_crds || { echo "Bail out! CRDs did not install"; exit 1; }
start_controller

apply_canary_services
apply_web_route
history_limit=1
strategy="  revisionHistoryLimit: $history_limit
  strategy: {canary: {maxSurge: 1, maxUnavailable: 0, stableService: web-stable, canaryService: web-canary,
    trafficRouting: {gatewayAPI: {httpRoutes: [{name: web}]}},
    steps: [{setWeight: 20}, {pause: {duration: 2}}, {setWeight: 40}, {pause: {duration: 2}}, {setWeight: 60}, {pause: {duration: 2}}, {setWeight: 80}, {pause: {duration: 2}}]}}"
apply_release web registry.example/web:1 4 "$strategy"
ok "the first template becomes Ready" k wait --for=condition=Ready release/web --timeout=120s

rs_log=$(mktemp)
kubectl -n "$TEST_NS" get rs -l app=web -w --output-watch-events -o jsonpath='{.type} {.object.metadata.name}{"\n"}' >"$rs_log" 2>/dev/null &
rs_watch=$!
start_traffic_watch web "$(mktemp -d)"

kills=0
for image in 2 3; do
	set_image web "registry.example/web:$image"
	sleep 1
	# Kill at random moments (0.2 to 1.5 s apart) until the rollout is done.
	deadline=$((SECONDS + 150))
	until [ "$(k get release web -o jsonpath='{.status.phase}/{.status.stableRevision}/{.status.currentRevision}')" = \
		"Healthy/$(k get release web -o jsonpath='{.status.currentRevision}')/$(k get release web -o jsonpath='{.status.currentRevision}')" ] ||
		[ $SECONDS -ge $deadline ]; do
		sleep "$(awk -v r=$RANDOM 'BEGIN { printf "%.2f", 0.2 + r % 130 / 100 }')"
		stop_controller KILL
		kills=$((kills + 1))
		start_controller
	done
	while [ $kills -lt $((image * 10)) ]; do
		sleep 0.3
		stop_controller KILL
		kills=$((kills + 1))
		start_controller
	done
done
ok "the controller was killed at least 20 times ($kills)" [ $kills -ge 20 ]
ok "the rollout completes" until_true 120 jsonpath_is release/web '{.status.phase}' Healthy
ok "the route ends 100/0" until_true 30 jsonpath_is httproute/web '{.spec.rules[0].backendRefs[1].weight}' 0
stop_traffic_watch
kill "$rs_watch" 2>/dev/null
wait "$rs_watch" 2>/dev/null
ok "no route state broke the weight invariants" check_traffic_invariants web-stable web-canary "20 - 40 - 60 - 80 -"
# live ReplicaSets at every watched moment: stable + canary + history_limit.
max_live() {
	awk -v max=$((2 + history_limit)) '
	$1 == "ADDED" { live[$2] = 1 } $1 == "DELETED" { delete live[$2] }
	{ n = 0; for (r in live) n++; if (n > max) { printf "%d ReplicaSets live > %d\n", n, max; bad = 1 } }
	END { exit bad }' "$rs_log"
}
ok "never more than stable + canary + revisionHistoryLimit ReplicaSets" max_live
ok "and at the end only the stable one and the history" until_true 60 sh -c "[ \$(kubectl -n $TEST_NS get rs -l app=web -o name | wc -l) -le $((1 + history_limit)) ]"
done_testing
