#!/usr/bin/env bash
# A controller killed mid-run (SIGKILL) and started again neither repeats
# nor skips a measurement beyond one interval: measurements live in the
# run's status. A run of 6 measurements 3 s apart is killed after its
# second, left down for 7 s (two intervals), restarted: it takes one
# catch-up measurement at once, then one every interval, 6 in all, never
# two closer than the interval. A web measurement in flight when the
# controller dies (the server answers after 3 s) was never written, so the
# restarted controller takes it again: the run still ends with its count.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/analysis-lib.sh"
need_prometheus

use_test_namespace ankill
analysis_trap
ok "the CRDs are installed" install_crds
start_prometheus
ok "Prometheus and the Pushgateway are up" prometheus_ready
start_web_server
ok "the web server is up" test -n "${WEB:-}"
ok "a low error rate is pushed" push slipway_e2e_error_rate 0.01 'service="low"'
ok "Prometheus scraped it" until_true 30 prom_has 'slipway_e2e_error_rate{service="low"}'

CONTROLLER_LOG=$ANALYSIS_DIR/controller.log
analysis_controller

ok "a run of 6 measurements 3 s apart is created" k apply -f - <<<"$(prom_run long low "    interval: 3s
    count: 6")"
count_at_least() {
	local n
	n=$(k get analysisrun "$1" -o jsonpath='{.status.metricResults[0].count}')
	[ "${n:-0}" -ge "$2" ] || { echo "count ${n:-0}"; return 1; }
}
ok "two measurements are taken" until_true 30 count_at_least long 2
stop_controller KILL
ok "the controller is killed" true
before=$(k get analysisrun long -o jsonpath='{.status.metricResults[0].count}')
sleep 7
ok "nothing was measured while it was down" jsonpath_is analysisrun/long '{.status.metricResults[0].count}' "$before"
restart=$(date -u +%s)
analysis_controller
ok "the restarted controller finishes the run" until_true 60 phase_is long Successful

# starts: the measurements' startedAt, as epoch seconds, oldest first.
starts() {
	k get analysisrun long -o json | jq -r '.status.metricResults[0].measurements[].startedAt' |
		while read -r t; do date -u -d "$t" +%s; done
}
ok "exactly 6 measurements, all Successful, none an Error" jsonpath_is analysisrun/long \
	'{.status.metricResults[0].count}/{.status.metricResults[0].successful}/{.status.metricResults[0].error}/{.status.metricResults[0].measurements[*].phase}' \
	"6/6/0/Successful Successful Successful Successful Successful Successful"
never_closer() {
	local prev= t
	for t in $(starts); do
		if [ -n "$prev" ] && [ $((t - prev)) -lt 3 ]; then
			echo "measurements at $prev and $t: closer than the interval"
			return 1
		fi
		prev=$t
	done
}
ok "no two measurements closer than the interval (nothing repeated)" never_closer
catch_up() {
	local t
	for t in $(starts); do
		[ "$t" -lt "$restart" ] && continue
		[ $((t - restart)) -le 3 ] || { echo "first measurement after the restart at +$((t - restart)) s"; return 1; }
		return 0
	done
	echo "no measurement after the restart"
	return 1
}
ok "the first measurement after the restart is a catch-up, at once (nothing skipped)" catch_up

# A measurement in flight when the controller dies.
slow=$(cat <<-YAML
	apiVersion: slipway.dev/v1alpha1
	kind: AnalysisRun
	metadata: {name: slow}
	spec:
	  metrics:
	  - name: slow
	    interval: 2s
	    count: 2
	    successCondition: "result == 'ok'"
	    provider: {web: {url: "http://$WEB/slow", jsonPath: "{\$.status}", timeoutSeconds: 10}}
YAML
)
asked() { [ "$(grep -c 'GET /slow' "$WEB_HEADERS" 2>/dev/null)" -ge "$1" ]; }
ok "a run of a slow web check is created" k apply -f - <<<"$slow"
ok "its first request is in flight" until_true 20 asked 1
stop_controller KILL
ok "the controller is killed with the request in flight" true
ok "nothing was recorded" jsonpath_is analysisrun/slow '{.status.metricResults[0].count}' 0
analysis_controller
ok "the restarted controller asks again" until_true 20 asked 2
ok "and the run ends Successful with its 2 measurements" until_true 60 phase_is slow Successful
ok "2 measurements, no Error" jsonpath_is analysisrun/slow \
	'{.status.metricResults[0].count}/{.status.metricResults[0].error}' 2/0

stop_controller
# Under the sanitizer build a leak or undefined behaviour is reported at exit.
ok "the controller exited without a sanitizer report" sh -c "! grep -E 'Sanitizer|runtime error' '$CONTROLLER_LOG'"
done_testing
