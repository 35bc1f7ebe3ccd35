#!/usr/bin/env bash
# A real Prometheus (the Debian package) scrapes our /metrics every second
# and reads back what we exported: the target is up (so the text parsed),
# counters, histograms, escaped label values and process metrics have the
# values we set. Needs no cluster, so it sources tap.sh rather than lib.sh
# (which skips without KUBECONFIG); it skips only when prometheus is not
# installed.
. "$(dirname "$0")/tap.sh"

prometheus=$(command -v prometheus || true)
if [ -z "$prometheus" ]; then
	echo "1..0 # SKIP prometheus is not installed (Debian package prometheus)"
	exit 0
fi
for tool in curl jq; do
	if ! command -v "$tool" >/dev/null; then
		echo "1..0 # SKIP $tool is not installed"
		exit 0
	fi
done

server=${SLIPWAY_BUILD_ROOT:?}/tests/e2e/e2e-metrics-server
dir=$(mktemp -d)
server_pid=
prom_pid=
cleanup() {
	[ -n "$prom_pid" ] && kill -TERM "$prom_pid" 2>/dev/null && wait "$prom_pid" 2>/dev/null
	[ -n "$server_pid" ] && kill -TERM "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT

"$server" 127.0.0.1:0 "$dir/port" 2>"$dir/server.log" &
server_pid=$!
ok "the metrics server starts and reports its port" until_true 10 test -s "$dir/port"
port=$(cat "$dir/port" 2>/dev/null)
target=127.0.0.1:$port

ok "/healthz answers ok" test "$(curl -fsS "http://$target/healthz")" = ok
ok "/metrics is the 0.0.4 text format" \
	sh -c "curl -fsS -o /dev/null -w '%{content_type}' 'http://$target/metrics' | grep -qx 'text/plain; version=0.0.4; charset=utf-8'"
# promtool (same package) is Prometheus's own linter for the exposition format.
if command -v promtool >/dev/null; then
	ok "promtool check metrics finds no errors" \
		sh -c "curl -fsS 'http://$target/metrics' | promtool check metrics 2>&1 | { ! grep -i error; }"
fi

prom_port=$("$server" --free-port)
cat >"$dir/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: slipway
    static_configs:
      - targets: ['$target']
EOF
"$prometheus" --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/tsdb" \
	--web.listen-address="127.0.0.1:$prom_port" --log.level=warn >"$dir/prometheus.log" 2>&1 &
prom_pid=$!
api=http://127.0.0.1:$prom_port/api/v1

# query PROMQL: prints each result as "labels-json value", one per line.
query() {
	curl -fsS --get --data-urlencode "query=$1" "$api/query" |
		jq -r '.data.result[] | "\(.metric | del(.__name__, .job, .instance) | tojson) \(.value[1])"'
}
# value_is PROMQL WANT: the query has exactly one result and its value is WANT.
value_is() {
	local got
	got=$(query "$1" | awk '{print $NF}')
	[ "$got" = "$2" ] || { echo "$1 = '$got', want '$2'"; return 1; }
}

ok "Prometheus is ready" until_true 60 curl -fsS -o /dev/null "http://127.0.0.1:$prom_port/-/ready"
ok "it scraped the target: up == 1" until_true 30 value_is 'up{job="slipway"}' 1
ok "the target has no scrape error" \
	sh -c "curl -fsS '$api/targets' | jq -e '.data.activeTargets[0] | .health == \"up\" and .lastError == \"\"'"
ok "a labelled counter" value_is 'slipway_e2e_requests_total{verb="GET",code="200"}' 42
ok "another series of it" value_is 'slipway_e2e_requests_total{verb="PATCH",code="409"}' 3
ok "a gauge" value_is slipway_e2e_leader 1
ok "histogram count" value_is 'slipway_e2e_duration_seconds_count{kind="Release"}' 3
ok "histogram sum" value_is 'slipway_e2e_duration_seconds_sum{kind="Release"}' 3.204
ok "histogram bucket le=0.25" value_is 'slipway_e2e_duration_seconds_bucket{kind="Release",le="0.25"}' 2
ok "histogram bucket le=+Inf" value_is 'slipway_e2e_duration_seconds_bucket{kind="Release",le="+Inf"}' 3
ok "histogram_quantile works on our buckets" \
	value_is 'histogram_quantile(0.5, slipway_e2e_duration_seconds_bucket) > bool 0' 1
# label_is: the escaped label value came back as the raw bytes we set.
label_is() {
	local got
	got=$(curl -fsS --get --data-urlencode 'query=slipway_e2e_labelled' "$api/query" |
		jq -r '.data.result[0].metric.path')
	[ "$got" = $'a"b\\c\nd' ] || { echo "got '$got'"; return 1; }
}
ok "an escaped label value reads back as the raw bytes" label_is
ok "and its value" value_is slipway_e2e_labelled 7
ok "process_resident_memory_bytes > 0" value_is 'process_resident_memory_bytes > bool 0' 1
ok "process_cpu_seconds_total is there" value_is 'count(process_cpu_seconds_total)' 1
ok "process_start_time_seconds is within a day of now" \
	value_is 'abs(time() - process_start_time_seconds) < bool 86400' 1
ok "process_open_fds > 0" value_is 'process_open_fds > bool 0' 1
# scrapes_above N: the scrape counter Prometheus stored is above N.
scrapes_above() {
	local got
	got=$(query slipway_e2e_scrapes_total | awk '{print $NF}')
	[ -n "$got" ] && [ "$got" -gt "$1" ]
}
first=$(query slipway_e2e_scrapes_total | awk '{print $NF}')
ok "scrapes keep coming (the counter grows past ${first:-nothing})" \
	until_true 20 scrapes_above "${first:-0}"

kill -TERM "$server_pid"
wait "$server_pid"
status=$?
server_pid=
ok "the metrics server exits 0 on SIGTERM (got $status)" test "$status" -eq 0
ok "and logged nothing" test ! -s "$dir/server.log"

echo "1..$tap_n"
if [ "$tap_failed" -ne 0 ]; then
	sed 's/^/# prometheus: /' "$dir/prometheus.log" | tail -20
fi
[ "$tap_failed" -eq 0 ]
