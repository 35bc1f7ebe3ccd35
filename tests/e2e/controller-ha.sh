#!/usr/bin/env bash
# Two slipway-controller replicas: exactly one holds the Lease and writes;
# the other stands by with warm caches and is ready too. kill -9 the leader:
# the standby takes over within the lease duration. SIGTERM the leader: it
# finishes, releases the Lease, and the standby takes over in under 2 s. A
# real Prometheus scrapes the leader's /metrics.
. "$(dirname "$0")/lib.sh"
use_test_namespace ha
install_crds || { echo "Bail out! CRDs did not install"; exit 1; }
dir=$(mktemp -d)
declare -A pid

# replica NAME: starts a controller replica with a 4 s lease.
replica() {
	"$SLIPWAY_BUILD_ROOT/controller/slipway-controller" --kubeconfig "$KUBECONFIG" \
		--namespaces "$TEST_NS" --identity "$1" --leader-election-namespace "$TEST_NS" \
		--leader-election-lease-duration 4s --leader-election-renew-deadline 3s \
		--leader-election-retry-period 0.5s --metrics-address 127.0.0.1:0 --log-format json \
		>"$dir/$1.log" 2>&1 &
	pid[$1]=$!
}
cleanup() {
	for p in "${pid[@]}"; do kill -KILL "$p" 2>/dev/null; done
	[ -n "${prom_pid:-}" ] && kill "$prom_pid" 2>/dev/null
	if [ "$tap_failed" -gt 0 ]; then
		for f in "$dir"/*.log; do echo "# $f"; tail -n 15 "$f" | cut -c1-300 | sed 's/^/#   /'; done
	fi
	rm -rf "$dir"
	kubectl delete namespace "$TEST_NS" --wait=false >/dev/null 2>&1
}
trap cleanup EXIT

# port NAME: the port the replica's /metrics listens on (from its log).
port() { grep -o '"port":"[0-9]*"' "$dir/$1.log" | head -1 | grep -o '[0-9]\+'; }
holder() { k get lease slipway-controller -o jsonpath='{.spec.holderIdentity}' 2>/dev/null; }
holder_is() { [ "$(holder)" = "$1" ]; }
metric() { curl -fsS "http://127.0.0.1:$(port "$1")/metrics" | awk -v m="$2" '$1 == m { print $2 }'; }
metric_is() { [ "$(metric "$1" "$2")" = "$3" ] || { echo "$1 $2 = '$(metric "$1" "$2")', want $3"; return 1; }; }
# writes NAME: API writes (POST, PUT, PATCH, DELETE) of the replica that
# succeeded. (A standby's lost race to create the Lease is a 409, not a write.)
writes() {
	curl -fsS "http://127.0.0.1:$(port "$1")/metrics" |
		awk '/^rest_client_requests_total\{/ && $0 !~ /verb="(GET|WATCH|LIST)"/ && /code="2/ { s += $2 }
		     END { print s + 0 }'
}

replica a
replica b
one_of_them_holds() { holder | grep -qE '^(a|b)$'; }
ok "one of the two replicas takes the Lease" until_true 20 one_of_them_holds
leader=$(holder)
standby=$([ "$leader" = a ] && echo b || echo a)
both_serve() { [ -n "$(port a)" ] && [ -n "$(port b)" ]; }
ok "both serve /metrics" until_true 10 both_serve
ok "the leader reports slipway_leader 1" until_true 10 metric_is "$leader" slipway_leader 1
ok "the standby reports slipway_leader 0" metric_is "$standby" slipway_leader 0
ok "the standby is ready too (caches synced)" until_true 20 curl -fsS "http://127.0.0.1:$(port "$standby")/readyz"

apply_release web registry.example/web:1 3
ok "the leader rolls a Release out" k wait --for=condition=Ready release/web --timeout=60s
ok "the standby made no write" test "$(writes "$standby")" = 0
ok "the standby caches the Release too" \
	until_true 10 metric_is "$standby" 'slipway_informer_objects{resource="releases"}' 1

# A real Prometheus scrapes the leader.
prom_port=$(( 20000 + RANDOM % 10000 ))
cat >"$dir/prometheus.yml" <<YAML
global: {scrape_interval: 1s, scrape_timeout: 1s}
scrape_configs:
  - job_name: slipway
    static_configs: [{targets: ['127.0.0.1:$(port "$leader")']}]
YAML
prometheus --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/tsdb" \
	--web.listen-address="127.0.0.1:$prom_port" --log.level=warn >"$dir/prometheus.log" 2>&1 &
prom_pid=$!
promql() {
	curl -fsS --get --data-urlencode "query=$1" "http://127.0.0.1:$prom_port/api/v1/query" |
		jq -r '.data.result[0].value[1] // empty'
}
promql_is() { [ "$(promql "$1")" = "$2" ]; }
ok "Prometheus scrapes the leader's /metrics (up == 1)" until_true 60 promql_is 'up{job="slipway"}' 1
ok "and reads slipway_leader == 1" until_true 10 promql_is slipway_leader 1
ok "and counted reconciles" until_true 10 promql_is 'sum(slipway_reconcile_total{controller="release"}) > bool 0' 1
ok "and API requests by verb and code" until_true 10 promql_is \
	'sum(rest_client_requests_total{verb="POST",code="201"}) > bool 0' 1
kill "$prom_pid" 2>/dev/null
prom_pid=

# kill -9 the leader: the standby must take over once the lease expires.
start=$SECONDS
kill -KILL "${pid[$leader]}"
ok "after kill -9 of the leader, the standby takes the Lease within the lease duration" \
	until_true 8 holder_is "$standby"
ok "(took $((SECONDS - start)) s, lease 4 s)" test $((SECONDS - start)) -le 6
set_image web registry.example/web:2
ok "the new leader rolls the next change out" until_true 60 rolled_out web 2 3

# SIGTERM the (new) leader: graceful handover to a fresh standby.
old=$leader
replica "$old"
ok "the restarted replica stands by" until_true 20 metric_is "$old" slipway_leader 0
leader=$standby
standby=$old
before=$(date +%s.%N)
kill -TERM "${pid[$leader]}"
ok "after SIGTERM the standby takes the Lease" until_true 5 holder_is "$standby"
after=$(date +%s.%N)
took=$(awk -v a="$before" -v b="$after" 'BEGIN { printf "%.2f", b - a }')
ok "in under 2 seconds (took $took s)" awk -v t="$took" 'BEGIN { exit !(t < 2) }'
wait "${pid[$leader]}"
status=$?
ok "the old leader exited 0 (got $status)" test "$status" -eq 0
ok "and logged that it released the Lease" grep -q '"msg":"stopped leading: no more writes"' "$dir/$leader.log"

done_testing
