# Helpers of the AnalysisRun e2e tests (sourced after lib.sh): a real
# Prometheus (Debian's prometheus) scraping a real Pushgateway
# (prometheus-pushgateway) every second, so a test pushes the numbers a
# metric will measure; a local web server for web metrics; runs made by hand.

free_port() { "$SLIPWAY_BUILD_ROOT/tests/e2e/e2e-metrics-server" --free-port; }

# need_prometheus: skips the test when the Debian packages are missing.
need_prometheus() {
	local tool
	for tool in prometheus prometheus-pushgateway curl jq python3; do
		if ! command -v "$tool" >/dev/null; then
			echo "1..0 # SKIP $tool is not installed (scripts/install-deps installs it)"
			exit 0
		fi
	done
}

ANALYSIS_DIR=$(mktemp -d /tmp/slipway-analysis.XXXXXX)
ANALYSIS_PIDS=
analysis_cleanup() {
	local p
	for p in $ANALYSIS_PIDS; do
		kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	rm -rf "$ANALYSIS_DIR"
}

# analysis_trap: on exit, the controller, the servers above and the
# namespace go. start_controller sets its own trap: call this after each.
analysis_trap() {
	trap 'stop_controller; analysis_cleanup; kubectl delete namespace "$TEST_NS" --wait=false >/dev/null 2>&1' EXIT
}

# analysis_controller [ARGS...]: start_controller, keeping analysis_trap.
analysis_controller() {
	start_controller "$@"
	analysis_trap
}

# start_prometheus: a Pushgateway on $PUSH and a Prometheus on $PROM
# (host:port) scraping it every second, honouring the pushed labels. Not
# inside `ok` (a subshell): it sets variables; prometheus_ready checks.
start_prometheus() {
	local pg_port prom_port
	pg_port=$(free_port)
	prom_port=$(free_port)
	PUSH=127.0.0.1:$pg_port
	PROM=127.0.0.1:$prom_port
	prometheus-pushgateway --web.listen-address="$PUSH" >"$ANALYSIS_DIR/pushgateway.log" 2>&1 &
	ANALYSIS_PIDS="$ANALYSIS_PIDS $!"
	cat >"$ANALYSIS_DIR/prometheus.yml" <<-EOF
		global: {scrape_interval: 1s, scrape_timeout: 1s}
		scrape_configs:
		  - job_name: pushgateway
		    honor_labels: true
		    static_configs: [{targets: ['$PUSH']}]
	EOF
	prometheus --config.file="$ANALYSIS_DIR/prometheus.yml" --storage.tsdb.path="$ANALYSIS_DIR/tsdb" \
		--web.listen-address="$PROM" --log.level=warn >"$ANALYSIS_DIR/prometheus.log" 2>&1 &
	ANALYSIS_PIDS="$ANALYSIS_PIDS $!"
}

prometheus_ready() {
	until_true 60 curl -fsS -o /dev/null "http://$PROM/-/ready" &&
		until_true 30 curl -fsS -o /dev/null "http://$PUSH/-/ready"
}

# push NAME VALUE LABELS: pushes one gauge sample to the Pushgateway, e.g.
# push slipway_e2e_error_rate 0.31 'service="high"' (group job=e2e, service).
push() {
	local service
	service=$(sed -n 's/.*service="\([^"]*\)".*/\1/p' <<<"$3")
	printf '# TYPE %s gauge\n%s{%s} %s\n' "$1" "$1" "$3" "$2" |
		curl -fsS --data-binary @- "http://$PUSH/metrics/job/e2e/service/${service:-none}"
}

# prom_has PROMQL: Prometheus has scraped a sample for the query.
prom_has() {
	curl -fsS --get --data-urlencode "query=$1" "http://$PROM/api/v1/query" |
		jq -e '.data.result | length > 0' >/dev/null
}

# run_phase NAME: the run's status.phase.
run_phase() { k get analysisrun "$1" -o jsonpath='{.status.phase}'; }

# phase_is NAME WANT
phase_is() {
	local got
	got=$(run_phase "$1")
	[ "$got" = "$2" ] || { echo "$1: phase '$got', want '$2'"; return 1; }
}

# run_json NAME: the whole run.
run_json() { k get analysisrun "$1" -o json; }

# error_rate_metric: the metric error-rate on
# slipway_e2e_error_rate{service=ARGS.SERVICE} (Successful below 0.05, Failed
# from 0.2), as an item of a spec's metrics list.
error_rate_metric() {
	cat <<-YAML
		  - name: error-rate
		    successCondition: "result[0] < 0.05"
		    failureCondition: "result[0] >= 0.2"
		    provider:
		      prometheus:
		        address: "http://$PROM"
		        query: 'slipway_e2e_error_rate{service="{{args.service}}"}'
		        timeout: 5s
	YAML
}

# prom_run NAME SERVICE [EXTRA-METRIC-LINES]: an AnalysisRun of the one
# metric error_rate_metric for SERVICE.
prom_run() {
	cat <<-YAML
		apiVersion: slipway.dev/v1alpha1
		kind: AnalysisRun
		metadata: {name: $1}
		spec:
		  args: [{name: service, value: "$2"}]
		  metrics:
		$(error_rate_metric)
		${3:-}
	YAML
}

# start_web_server: the web check target (web-check-server.py) on $WEB
# (host:port); Authorization headers it got go to $WEB_HEADERS.
start_web_server() {
	WEB_HEADERS=$ANALYSIS_DIR/web-headers.log
	python3 "$SLIPWAY_SOURCE_ROOT/tests/e2e/web-check-server.py" "$ANALYSIS_DIR/web.port" \
		"$WEB_HEADERS" >"$ANALYSIS_DIR/web.log" 2>&1 &
	ANALYSIS_PIDS="$ANALYSIS_PIDS $!"
	until_true 10 test -s "$ANALYSIS_DIR/web.port" || return 1
	WEB=127.0.0.1:$(cat "$ANALYSIS_DIR/web.port")
}
