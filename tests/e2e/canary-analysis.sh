#!/usr/bin/env bash
# A canary's analysis step and background analysis against the real API
# server: the controller creates the AnalysisRuns (owned by the Release,
# labelled, args resolved, a Secret only referenced) and acts on their
# outcome; this test plays the AnalysisRun controller, writing each run's
# status with `kubectl patch --subresource=status`. Successful: the step
# completes and the canary promotes, the background run is stopped
# (spec.terminate). Failed: the Release aborts, the stable side comes back
# whole, and both status and a Warning Event carry the run's verdict. A
# missing template stalls the Release until it appears.
. "$(dirname "$0")/lib.sh"
use_test_namespace canalysis
install_crds || { echo "Bail out! CRDs did not install"; exit 1; }
until_true 30 kubectl wait --for=condition=Established crd/analysisruns.slipway.dev \
	crd/analysistemplates.slipway.dev --timeout=5s >/dev/null ||
	{ echo "Bail out! analysis CRDs not established"; exit 1; }
start_controller

warning_about() {
	k get events.events.k8s.io -o jsonpath='{range .items[*]}{.type}/{.reason}/{.regarding.name}/{.note}{"\n"}{end}' |
		grep -F "Warning/$1/web/" | grep -qF "$2"
}
stalled_is() {
	jsonpath_is release/web '{.status.conditions[?(@.type=="Stalled")].status}/{.status.conditions[?(@.type=="Stalled")].reason}' "$1"
}
current() { k get release web -o jsonpath='{.status.currentRevision}'; }
exists() { k get "$1" >/dev/null 2>&1; }
# run_status RUN PHASE [MESSAGE]: what the run controller would write.
run_status() {
	k patch analysisrun "$1" --subresource=status --type=merge \
		-p "{\"status\":{\"phase\":\"$2\",\"message\":\"${3:-}\"}}" >/dev/null
}
stable_pods() {
	local st
	st=$(k get release web -o jsonpath='{.status.stableRevision}')
	jsonpath_is "rs/web-$st" '{.spec.replicas}' "$1"
}

strategy="  strategy: {canary: {maxSurge: 1, maxUnavailable: 0,
    analysis: {templates: [{templateName: error-rate}], args: [{name: service, value: web}], startingStep: 1},
    steps: [{setWeight: 25}, {analysis: {templates: [{templateName: error-rate}], args: [{name: service, value: web-canary}]}}, {setWeight: 50}, {pause: {duration: 1}}]}}"
apply_release web registry.example/web:1 4 "$strategy"
ok "the first template becomes Ready (no analysis without a canary)" \
	k wait --for=condition=Ready release/web --timeout=120s
ok "and creates no AnalysisRun" jsonpath_is analysisruns '{.items[*].metadata.name}' ""

set_image web registry.example/web:2
ok "without its template the analysis step stalls and says so" \
	until_true 60 stalled_is True/AnalysisTemplateNotFound
ok "with a Warning Event naming the template" until_true 30 warning_about AnalysisTemplateNotFound \
	"AnalysisTemplate error-rate not found"

k apply -f - >/dev/null <<'YAML'
apiVersion: slipway.dev/v1alpha1
kind: AnalysisTemplate
metadata: {name: error-rate}
spec:
  args:
  - name: service
  - name: token
    valueFrom: {secretKeyRef: {name: prom-token, key: token}}
  metrics:
  - name: error-rate
    interval: 30s
    count: 5
    successCondition: "result[0] < 0.05"
    failureCondition: "result[0] >= 0.2"
    provider:
      prometheus:
        address: http://prometheus:9090
        query: 'sum(rate(http_errors_total{service="{{args.service}}"}[1m]))'
        headers: [{key: Authorization, value: "Bearer {{args.token}}"}]
YAML
rev=$(current)
step_run="web-$rev-1"
bg_run="web-$rev-background"
ok "the template's arrival wakes the Release: the step's AnalysisRun is created" \
	until_true 60 exists "analysisrun/$step_run"
ok "and the background run (startingStep 1)" until_true 30 exists "analysisrun/$bg_run"
ok "the run is controlled by the Release" jsonpath_is "analysisrun/$step_run" \
	'{.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name}/{.metadata.ownerReferences[0].controller}' \
	"Release/web/true"
ok "labelled with release, revision and step" jsonpath_is "analysisrun/$step_run" \
	'{.metadata.labels.slipway\.dev/release}/{.metadata.labels.slipway\.dev/revision}/{.metadata.labels.slipway\.dev/analysis}' \
	"web/$rev/1"
ok "the step's args: its value, the Secret only as a reference" jsonpath_is "analysisrun/$step_run" \
	'{.spec.args[?(@.name=="service")].value}/{.spec.args[?(@.name=="token")].valueFrom.secretKeyRef.name}/{.spec.args[?(@.name=="token")].value}' \
	"web-canary/prom-token/"
ok "the stall is over; the Release waits for the run" until_true 30 jsonpath_is release/web \
	'{.status.currentStepIndex}/{.status.phase}/{.status.conditions[?(@.type=="Stalled")].status}' "1/Progressing/False"
sleep 2
ok "still at the analysis step while the run measures" jsonpath_is release/web '{.status.currentStepIndex}' 1

run_status "$step_run" Successful
ok "Successful: the canary goes on and promotes" until_true 120 jsonpath_is release/web \
	'{.status.phase}/{.status.currentStepIndex}/{.status.stableRevision}' "Healthy/4/$rev"
ok "the background run is stopped when the rollout completes" until_true 30 jsonpath_is \
	"analysisrun/$bg_run" '{.spec.terminate}' true

set_image web registry.example/web:3
rev=$(current)
step_run="web-$rev-1"
ok "a new revision gets its own step run" until_true 60 exists "analysisrun/$step_run"
verdict="error-rate: 0.31 >= 0.2 (failure condition) in 2 of 5 measurements"
run_status "$step_run" Failed "$verdict"
ok "Failed: the Release aborts" until_true 60 jsonpath_is release/web '{.status.abort}/{.status.phase}' "true/Degraded"
ok "its message names the run, the template and the verdict" until_true 30 sh -c \
	"kubectl -n $TEST_NS get release web -o jsonpath='{.status.message}' | grep -qF 'analysis run $step_run (template error-rate) Failed: $verdict'"
ok "and a Warning Event says the same" until_true 30 warning_about RolloutAborted "$verdict"
ok "the stable side is back whole" until_true 60 stable_pods 4
ok "the new revision's background run is stopped too" until_true 30 jsonpath_is \
	"analysisrun/web-$rev-background" '{.spec.terminate}' true
done_testing
