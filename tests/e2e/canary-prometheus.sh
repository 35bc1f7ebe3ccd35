#!/usr/bin/env bash
# A canary's analysis against a real Prometheus (Debian's prometheus scraping
# a Pushgateway every second), the whole chain: the Release controller makes
# the AnalysisRun, the AnalysisRun controller queries Prometheus, the Release
# acts on the verdict. No status is written by the test.
#   - a low error rate: the analysis step succeeds and the canary promotes;
#     `kubectl slipway get` shows the run and its value;
#   - a high one pushed mid-run: the Release aborts on its own within one
#     interval (5 s) plus 5 s of the high value being scraped (measured and
#     printed);
#   - no data (the series deleted): the Release pauses, InconclusiveAnalysisRun;
#   - a ClusterAnalysisTemplate (clusterScope: true) used by a step;
#   - background analysis with startingStep 2: no run before step 2, then it
#     measures the high value and aborts the Release at that later step;
#   - the controller SIGKILLed mid-run: the same run goes on after the
#     restart and the canary promotes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/analysis-lib.sh"
need_prometheus

use_test_namespace canprom
analysis_trap
ok "the CRDs are installed" install_crds
start_prometheus
ok "Prometheus and the Pushgateway are up" prometheus_ready
S="$SLIPWAY_BUILD_ROOT/cli/kubectl-slipway"
CTEMPLATE="e2e-canprom-$$"
CONTROLLER_LOG=$ANALYSIS_DIR/controller.log
# controller: analysis_controller, and the cluster-scoped template goes on exit too.
controller() {
	analysis_controller
	trap 'stop_controller; analysis_cleanup; kubectl delete clusteranalysistemplate "$CTEMPLATE" --wait=false >/dev/null 2>&1; kubectl delete namespace "$TEST_NS" --wait=false >/dev/null 2>&1' EXIT
}

# template KIND NAME [METRIC-LINES]: an analysis template of error_rate_metric
# (analysis-lib.sh), every 5 s, 3 times unless METRIC-LINES say otherwise.
template() {
	cat <<-YAML
		apiVersion: slipway.dev/v1alpha1
		kind: $1
		metadata: {name: $2}
		spec:
		  args: [{name: service}]
		  metrics:
		$(error_rate_metric)
		${3:-    interval: 5s
		    count: 3}
	YAML
}
templates() {
	{
		template AnalysisTemplate error-rate
		echo ---
		template AnalysisTemplate error-rate-bg '    interval: 2s'
		echo ---
		template ClusterAnalysisTemplate "$CTEMPLATE"
	} | k apply -f - >/dev/null
}
ok "the templates are created" templates

# canary TEMPLATE-REF SERVICE: a canary whose step 1 is an analysis of TEMPLATE-REF.
canary() {
	echo "  strategy: {canary: {maxSurge: 1, maxUnavailable: 0, steps: [{setWeight: 25},
    {analysis: {templates: [$1], args: [{name: service, value: $2}]}},
    {setWeight: 50}, {pause: {duration: 1}}]}}"
}
current() { k get release "$1" -o jsonpath='{.status.currentRevision}'; }
exists() { k get "$1" >/dev/null 2>&1; }
healthy_at() {
	jsonpath_is "release/$1" '{.status.phase}/{.status.stableRevision}/{.status.currentStepIndex}' "Healthy/$2/4"
}
aborted() { jsonpath_is "release/$1" '{.status.abort}/{.status.phase}' "true/Degraded"; }
message_has() { output_has "$2" k get release "$1" -o jsonpath='{.status.message}'; }
# metric JSONPATH-FIELD RUN: one field of the run's first metric.
# get_shows RELEASE TEXT...: `kubectl slipway get RELEASE` prints every TEXT.
get_shows() {
	local out t
	out=$("$S" -n "$TEST_NS" get "$1" 2>&1) || { echo "$out"; return 1; }
	shift
	for t; do grep -qF -- "$t" <<<"$out" || { echo "$out"; return 1; }; done
}
metric() { k get analysisrun "$2" -o jsonpath="{.status.metricResults[0].$1}"; }
count_at_least() {
	local n
	n=$(metric count "$1")
	[ "${n:-0}" -ge "$2" ] || { echo "count ${n:-0}, want >= $2"; return 1; }
}

ok "a low error rate is pushed for web" push slipway_e2e_error_rate 0.01 'service="web"'
ok "  and cweb" push slipway_e2e_error_rate 0.01 'service="cweb"'
ok "  and a high one for bg" push slipway_e2e_error_rate 0.5 'service="bg"'
ok "Prometheus scraped them" until_true 30 prom_has 'count(slipway_e2e_error_rate{service=~"web|cweb|bg"}) == 3'
controller

apply_release web registry.example/web:1 2 "$(canary '{templateName: error-rate}' web)"
apply_release cweb registry.example/cweb:1 2 \
	"$(canary "{templateName: $CTEMPLATE, clusterScope: true}" cweb)"
apply_release bg registry.example/bg:1 2 "  strategy: {canary: {maxSurge: 1, maxUnavailable: 0,
    analysis: {templates: [{templateName: error-rate-bg}], args: [{name: service, value: bg}], startingStep: 2},
    steps: [{setWeight: 25}, {pause: {duration: 8}}, {setWeight: 50}, {pause: {}}]}}"
for r in web cweb bg; do
	ok "$r: the first template becomes Ready" k wait --for=condition=Ready "release/$r" --timeout=120s
done

# Background analysis: nothing before startingStep, then an abort there.
set_image bg registry.example/bg:2
bgrev=$(current bg)
ok "bg: at step 1 (before startingStep 2)" until_true 60 jsonpath_is release/bg '{.status.currentStepIndex}' 1
absent() { ! exists "$1"; }
sleep 3
ok "  3 s later still at step 1" jsonpath_is release/bg '{.status.currentStepIndex}' 1
ok "  and there is no background run yet" absent "analysisrun/bg-$bgrev-background"
ok "  the background run starts at step 2" until_true 60 exists "analysisrun/bg-$bgrev-background"
ok "  measures the high value and aborts the Release on its own" until_true 60 aborted bg
step_at_least() { [ "$(k get release "$1" -o jsonpath='{.status.currentStepIndex}')" -ge "$2" ]; }
ok "  at a later step (>= 2)" step_at_least bg 2
ok "  the message names the background run and its verdict" message_has bg \
	"analysis run bg-$bgrev-background (template error-rate-bg) Failed: error-rate: 0.5 >= 0.2"
ok "  the background run is Failed" jsonpath_is "analysisrun/bg-$bgrev-background" '{.status.phase}' Failed
stable_pods() { jsonpath_is "rs/$1-$2" '{.spec.replicas}' 2; }
ok "  the stable side is back whole" until_true 60 stable_pods bg "$(k get release bg -o jsonpath='{.status.stableRevision}')"

# Low: promotes, through a namespaced and a cluster-scoped template.
set_image web registry.example/web:2
set_image cweb registry.example/cweb:2
rev=$(current web)
crev=$(current cweb)
ok "web: the step's run measures Prometheus" until_true 60 count_at_least "web-$rev-1" 1
ok "  its value is the pushed one, Successful" jsonpath_is "analysisrun/web-$rev-1" \
	'{.status.metricResults[0].measurements[0].value}/{.status.metricResults[0].measurements[0].phase}' \
	"0.01/Successful"
ok "  get shows the run Running and its last value" get_shows web \
	"web-$rev-1 (step 2): Running" "error-rate: Running;" "last: 0.01 Successful"
ok "  and the Release waits at the step meanwhile" jsonpath_is release/web '{.status.currentStepIndex}' 1
ok "  the run ends Successful and the canary promotes" until_true 90 healthy_at web "$rev"
ok "  after 3 Successful measurements" jsonpath_is "analysisrun/web-$rev-1" \
	'{.status.phase}/{.status.metricResults[0].count}/{.status.metricResults[0].successful}' "Successful/3/3"
ok "cweb: the ClusterAnalysisTemplate's run measures and the canary promotes" \
	until_true 90 healthy_at cweb "$crev"
ok "  its run (no namespaced template has that name) measured the pushed value" \
	jsonpath_is "analysisrun/cweb-$crev-1" \
	'{.status.phase}/{.spec.args[0].value}/{.status.metricResults[0].measurements[0].value}' \
	"Successful/cweb/0.01"

# High, mid-run: the abort, timed from the scrape of the high value.
set_image web registry.example/web:3
rev=$(current web)
ok "web: a new revision's step run takes a Successful measurement" until_true 60 count_at_least "web-$rev-1" 1
ok "  a high error rate is pushed mid-run" push slipway_e2e_error_rate 0.31 'service="web"'
poll_fast() { # poll_fast TIMEOUT COMMAND...: until_true at 0.1 s
	local deadline=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -ge $deadline ] && return 1
		sleep 0.1
	done
}
poll_fast 30 prom_has 'slipway_e2e_error_rate{service="web"} >= 0.2'
scraped=$(date +%s.%N)
ok "  Prometheus scraped it" prom_has 'slipway_e2e_error_rate{service="web"} >= 0.2'
poll_fast 60 aborted web
abort_at=$(date +%s.%N)
delay=$(awk -v a="$abort_at" -v s="$scraped" 'BEGIN { printf "%.1f", a - s }')
echo "# abort delay: ${delay} s from the scrape of the high value to status.abort (interval 5 s)"
ok "  the Release aborts on its own" aborted web
ok "  within one interval plus 5 s of the scrape (${delay} s)" awk -v d="$delay" 'BEGIN { exit !(d <= 10) }'
ok "  its message names the run, the template, the value and the condition" message_has web \
	"analysis run web-$rev-1 (template error-rate) Failed: error-rate: 0.31 >= 0.2 (failure condition)"
ok "  get shows the run Failed and the value it failed on" get_shows web \
	"web-$rev-1 (step 2): Failed: error-rate: 0.31 >= 0.2 (failure condition)" "last: 0.31 Failed"
ok "  the stable side is back whole" until_true 60 stable_pods web "$(k get release web -o jsonpath='{.status.stableRevision}')"

# No data: the series goes; the Release pauses for a person.
ok "web: the series is deleted from the Pushgateway" curl -fsS -X DELETE "http://$PUSH/metrics/job/e2e/service/web"
no_data() { ! prom_has "$1"; }
ok "  and Prometheus has no data for it any more" until_true 30 no_data 'slipway_e2e_error_rate{service="web"}'
set_image web registry.example/web:4
rev=$(current web)
ok "  the step's run is Inconclusive" until_true 60 phase_is "web-$rev-1" Inconclusive
ok "  its measurement says no data" jsonpath_is "analysisrun/web-$rev-1" \
	'{.status.metricResults[0].measurements[0].phase}/{.status.metricResults[0].measurements[0].message}' \
	"Inconclusive/no data"
ok "  the Release is Paused as InconclusiveAnalysisRun" until_true 30 jsonpath_is release/web \
	'{.status.phase}/{.status.pauseConditions[*].reason}/{.status.abort}' "Paused/InconclusiveAnalysisRun/"
ok "  and stays at the step" jsonpath_is release/web '{.status.currentStepIndex}' 1
ok "  a person promotes past it" "$S" -n "$TEST_NS" promote web
ok "  and the canary goes on to the end" until_true 90 healthy_at web "$rev"

# SIGKILL mid-run: the same run goes on after the restart.
ok "web: a low error rate again" push slipway_e2e_error_rate 0.01 'service="web"'
ok "  scraped" until_true 30 prom_has 'slipway_e2e_error_rate{service="web"}'
set_image web registry.example/web:5
rev=$(current web)
ok "  the step's run takes a measurement" until_true 60 count_at_least "web-$rev-1" 1
uid=$(k get analysisrun "web-$rev-1" -o jsonpath='{.metadata.uid}')
stop_controller KILL
ok "the controller is killed mid-run" test -n "$uid"
sleep 6
controller
ok "the restarted controller finishes the same run" until_true 60 phase_is "web-$rev-1" Successful
ok "  the same object, with exactly its 3 measurements" jsonpath_is "analysisrun/web-$rev-1" \
	'{.metadata.uid}/{.status.metricResults[0].count}/{.status.metricResults[0].successful}' "$uid/3/3"
ok "  and the canary promotes" until_true 90 healthy_at web "$rev"
ok "  one step run for the revision, no second attempt" jsonpath_is analysisruns \
	"{.items[?(@.metadata.labels.slipway\.dev/revision==\"$rev\")].metadata.name}" "web-$rev-1"

stop_controller
ok "the controller exited without a sanitizer report" sh -c "! grep -E 'Sanitizer|runtime error' '$CONTROLLER_LOG'"
done_testing
