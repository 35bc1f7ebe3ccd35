#!/usr/bin/env bash
# AnalysisRuns made by hand, measured by the controller against a real
# Prometheus (fed through a real Pushgateway) and a local web server:
# a low error rate is Successful, a high one Failed with a message naming
# the metric, the value and the condition, a missing series Inconclusive
# "no data", a broken condition an Error with its column before any
# measurement; web checks with jsonPath, GET and POST; a secretKeyRef header
# reaches the web server and nothing else (status, Events, the controller's
# log, /metrics); /metrics has the run phase and metric value series and
# drops them with the run.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/analysis-lib.sh"
need_prometheus

use_test_namespace anrun
analysis_trap
ok "the CRDs are installed" install_crds
start_prometheus
ok "Prometheus and the Pushgateway are up" prometheus_ready
start_web_server
ok "the web server is up" test -n "${WEB:-}"
ok "a low and a high error rate are pushed" push slipway_e2e_error_rate 0.01 'service="low"'
push slipway_e2e_error_rate 0.31 'service="high"'
ok "Prometheus scraped them" until_true 30 prom_has 'slipway_e2e_error_rate{service="high"}'

secret="tok-$$-$RANDOM-s3cr3t"
ok "a Secret holds the token" k create secret generic web-token --from-literal=token="$secret"

metrics_port=$(free_port)
CONTROLLER_LOG=$ANALYSIS_DIR/controller.log
analysis_controller --metrics-address "127.0.0.1:$metrics_port" --log-level debug

ok "runs are created" k apply -f - <<<"$(prom_run low low)
---
$(prom_run high high)
---
$(prom_run nodata missing)"
ok "a low error rate is Successful" until_true 30 phase_is low Successful
ok "a high one is Failed" until_true 30 phase_is high Failed
ok "its message names the metric, the value and the condition" jsonpath_is analysisrun/high \
	'{.status.message}' "error-rate: 0.31 >= 0.2 (failure condition) in 1 of 1 measurements"
ok "and the measurement has the value" jsonpath_is analysisrun/high \
	'{.status.metricResults[0].measurements[0].value}' 0.31
ok "a Warning Event says so" until_true 10 output_has "error-rate: 0.31 >= 0.2" \
	k get events --field-selector reason=AnalysisRunFailed -o jsonpath='{.items[*].message}'
ok "a missing series is Inconclusive" until_true 30 phase_is nodata Inconclusive
ok "with the message \"no data\"" jsonpath_is analysisrun/nodata \
	'{.status.metricResults[0].measurements[0].message}' "no data"
columns() { k get analysisruns high --no-headers | awk '$2 == "Failed" && $3 == 0 && $4 == 1' | grep -q .; }
ok "kubectl get analysisruns shows phase and counts" until_true 10 columns

# Provider errors: a Prometheus that refuses the query, one that is not
# there. consecutiveErrorLimit 0: the first Error ends the run.
bad_query=$(prom_run bad-query low "    consecutiveErrorLimit: 0")
bad_query=${bad_query/slipway_e2e_error_rate\{/sum(slipway_e2e_error_rate\{}
no_server=$(prom_run no-server low "    consecutiveErrorLimit: 0")
no_server=${no_server/http:\/\/$PROM/http:\/\/127.0.0.1:$(free_port)}
ok "runs against a bad query and a missing server are created" k apply -f - <<<"$bad_query
---
$no_server"
ok "a query Prometheus refuses is an Error" until_true 30 phase_is bad-query Error
ok "with Prometheus' own message" sh -c "kubectl -n $TEST_NS get analysisrun bad-query -o jsonpath='{.status.metricResults[0].measurements[0].message}' | grep -q '^prometheus: bad_data: '"
ok "a Prometheus that is not there is an Error" until_true 30 phase_is no-server Error
ok "saying it cannot connect" sh -c "kubectl -n $TEST_NS get analysisrun no-server -o jsonpath='{.status.metricResults[0].measurements[0].message}' | grep -qi 'connect'"

# A broken condition: reported with its column, before any measurement.
broken=$(prom_run broken low)
broken=${broken/result\[0\] < 0.05/result[0] < (0.05}
ok "a run with a broken condition is created" k apply -f - <<<"$broken"
ok "it ends in Error" until_true 30 phase_is broken Error
ok "naming the metric, the field and the column" jsonpath_is analysisrun/broken '{.status.message}' \
	"metric error-rate: successCondition: column 18: expected ')'"
ok "and nothing was measured" sh -c "kubectl -n $TEST_NS get analysisrun broken -o json | jq -e '(.status.metricResults // []) | length == 0'"

web_run() {
	cat <<-YAML
		apiVersion: slipway.dev/v1alpha1
		kind: AnalysisRun
		metadata: {name: $1}
		spec:
		  args:
		  - {name: host, value: "$WEB"}
		  - {name: token, valueFrom: {secretKeyRef: {name: web-token, key: token}}}
		  metrics:
		  - name: smoke
		    successCondition: "$3"
		    provider:
		      web:
		        url: "http://{{args.host}}$2"
		        headers: [{key: Authorization, value: "Bearer {{args.token}}"}]
		        jsonPath: "$4"
		        timeoutSeconds: 5
		${5:-}
	YAML
}
post=$'        method: POST\n        body: \'{"value": 0.02}\''
ok "web runs are created" k apply -f - <<<"$(web_run web-ok /healthz "result == 'ok'" '{$.status}')
---
$(web_run web-down /down "result == 'ok'" '{$.status}')
---
$(web_run web-nested /healthz "result == 3" '{$.data.n}')
---
$(web_run web-post /echo "result < 0.05" '{$.value}' "$post")"
ok "a web check whose jsonPath finds 'ok' is Successful" until_true 30 phase_is web-ok Successful
ok "one that finds 'down' is Failed" until_true 30 phase_is web-down Failed
ok "its value is shown" jsonpath_is analysisrun/web-down \
	'{.status.metricResults[0].measurements[0].value}' "'down'"
ok "a nested jsonPath reads a number" until_true 30 phase_is web-nested Successful
ok "a POST with a body is measured" until_true 30 phase_is web-post Successful

# A Secret that is not there: each due measurement is an Error naming it.
nosecret=$(web_run web-nosecret /healthz "result == 'ok'" '{$.status}' "    consecutiveErrorLimit: 0")
nosecret=${nosecret/name: web-token/name: no-such-secret}
ok "a run whose Secret does not exist is created" k apply -f - <<<"$nosecret"
ok "it ends in Error" until_true 30 phase_is web-nosecret Error
ok "the measurement names the Secret" jsonpath_is analysisrun/web-nosecret \
	'{.status.metricResults[0].measurements[0].message}' "cannot read Secret no-such-secret: HTTP 404"

# The secret went to the web server, and nowhere else.
ok "the web server got the token in the Authorization header" grep -q "Bearer $secret" "$WEB_HEADERS"
absent() {
	if grep -qF -- "$secret" <<<"$1"; then
		echo "the secret is in: $(grep -oF -- "$secret" <<<"$1" | head -1)"
		return 1
	fi
}
ok "not in any run's status" absent "$(k get analysisruns -o json)"
ok "not in any Event" absent "$(k get events -o json)"
ok "not in the controller's log" absent "$(cat "$CONTROLLER_LOG")"
scrape() { curl -fsS "http://127.0.0.1:$metrics_port/metrics"; }
ok "not in /metrics" absent "$(scrape)"

series() { scrape | grep -F "$1"; }
ok "/metrics has the run's phase" until_true 10 series \
	"slipway_analysis_run_phase{namespace=\"$TEST_NS\",run=\"high\",phase=\"Failed\"} 1"
ok "and the metric's last value" series \
	"slipway_analysis_metric_value{namespace=\"$TEST_NS\",run=\"high\",metric=\"error-rate\"} 0.31"
ok "a run's old phase is not left behind" sh -c "! curl -fsS http://127.0.0.1:$metrics_port/metrics | grep -F 'run=\"high\",phase=\"Running\"'"
ok "the run is deleted" k delete analysisrun high --wait=true
gone() { ! scrape | grep -F "run=\"high\""; }
ok "its series are gone from /metrics" until_true 10 gone
ok "the other runs' are still there" series "run=\"low\",phase=\"Successful\"} 1"

stop_controller
# Under the sanitizer build a leak or undefined behaviour is reported at exit.
ok "the controller exited without a sanitizer report" sh -c "! grep -E 'Sanitizer|runtime error' '$CONTROLLER_LOG'"
done_testing
