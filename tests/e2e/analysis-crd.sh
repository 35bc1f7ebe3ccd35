#!/usr/bin/env bash
# The analysis CRDs as a user meets them: they install, document themselves
# through kubectl explain, admit the issue's example template, refuse invalid
# templates and runs naming the field, and show a run's phase and metric
# counts in kubectl get.
. "$(dirname "$0")/lib.sh"
use_test_namespace anacrd

ok "the CRDs apply" kubectl apply --server-side --force-conflicts -f "$SLIPWAY_SOURCE_ROOT/crds/"
ok "and become Established" until_true 30 kubectl wait --for=condition=Established \
	crd/analysistemplates.slipway.dev crd/clusteranalysistemplates.slipway.dev \
	crd/analysisruns.slipway.dev --timeout=5s

# output_has TEXT COMMAND...: the command succeeds and prints TEXT.
output_has() {
	local text=$1 out
	shift
	out=$("$@" 2>&1) || { echo "$out"; return 1; }
	grep -qF -- "$text" <<<"$out" || { echo "$out"; return 1; }
}
# rejected TEXT: applying stdin fails and says TEXT.
rejected() {
	local out
	if out=$(k apply -f - 2>&1); then
		echo "accepted: $out"
		return 1
	fi
	grep -qF -- "$1" <<<"$out" || { echo "$out"; return 1; }
}

ok "kubectl explain documents a metric's failureLimit" until_true 30 output_has \
	"The metric is Failed when more measurements than this fail" \
	kubectl explain analysistemplate.spec.metrics.failureLimit
ok "and a ClusterAnalysisTemplate's podTemplateHashValue" until_true 30 output_has \
	"resolved when the run is created" \
	kubectl explain clusteranalysistemplate.spec.args.valueFrom.podTemplateHashValue
ok "examples/analysis-template.yaml is admitted" k apply -f "$SLIPWAY_SOURCE_ROOT/examples/analysis-template.yaml"
ok "and keeps the Job spec whole" jsonpath_is analysistemplate/error-rate \
	'{.spec.metrics[2].provider.job.spec.template.spec.restartPolicy}' Never

ok "two providers are refused" rejected "exactly one of prometheus, web and job must be set" <<'YAML'
apiVersion: slipway.dev/v1alpha1
kind: AnalysisTemplate
metadata: {name: two}
spec:
  metrics: [{name: a, provider: {prometheus: {address: "http://p", query: up}, web: {url: "http://w"}}}]
YAML
ok "count 3 without interval is refused" rejected "spec.metrics[0].count: Invalid value: count greater than 1 needs an interval" <<'YAML'
apiVersion: slipway.dev/v1alpha1
kind: AnalysisTemplate
metadata: {name: count}
spec:
  metrics: [{name: a, count: 3, provider: {prometheus: {address: "http://p", query: up}}}]
YAML
ok "a metric name twice is refused" rejected 'spec.metrics[1]: Duplicate value: {"name":"a"}' <<'YAML'
apiVersion: slipway.dev/v1alpha1
kind: AnalysisTemplate
metadata: {name: dup}
spec:
  metrics:
  - {name: a, provider: {prometheus: {address: "http://p", query: up}}}
  - {name: a, provider: {web: {url: "http://w"}}}
YAML

run='apiVersion: slipway.dev/v1alpha1
kind: AnalysisRun
metadata: {name: web-1}
spec:
  args: [{name: service, value: web-canary}, {name: token, valueFrom: {secretKeyRef: {name: prom-token, key: token}}}]
  metrics: [{name: error-rate, interval: 30s, count: 5, failureCondition: "result[0] >= 0.2", provider: {prometheus: {address: "http://prometheus:9090", query: up}}}]'
ok "a run is admitted" k apply -f - <<<"$run"
ok "a run whose argument is still a revision is refused" rejected \
	"every argument of a run has a value or a valueFrom.secretKeyRef" \
	<<<"${run/value: web-canary/valueFrom: {podTemplateHashValue: Stable\}}"
ok "the controller's status is admitted on the status subresource" k patch analysisrun web-1 \
	--subresource=status --type=merge -p '{"status":{"phase":"Failed","message":"error-rate: 0.31 >= 0.2 (failure condition) in 2 of 5 measurements","startedAt":"2026-12-03T07:00:00Z","runSummary":{"count":1,"failed":1},"metricResults":[{"name":"error-rate","phase":"Failed","count":5,"successful":3,"failed":2,"dryRun":false,"measurements":[{"phase":"Failed","value":"0.31","startedAt":"2026-12-03T07:02:00Z","finishedAt":"2026-12-03T07:02:01Z"}]}]}}'
header_matches() {
	local out
	out=$(k get analysisruns "${@:2}" | head -1)
	grep -qE -- "$1" <<<"$out" || { echo "$out"; return 1; }
}
ok "kubectl get analysisruns shows phase and metric counts" header_matches 'NAME +PHASE +SUCCESSFUL +FAILED +AGE$'
ok "and the run's values" until_true 10 output_has "Failed                1" k get analysisruns web-1
ok "-o wide adds the message" until_true 10 output_has "error-rate: 0.31 >= 0.2 (failure condition)" k get analysisruns web-1 -o wide

release_with_args() {
	release_yaml web registry.example/web:1 1 "  strategy:
    canary:
      steps:
      - analysis:
          templates: [{templateName: error-rate}]
          args: [{name: service, value: web-canary}, {name: revision, valueFrom: {podTemplateHashValue: $1}}]"
}
ok "a Release step's arg from podTemplateHashValue is admitted" k apply -f - <<<"$(release_with_args Stable)"
ok "an unknown podTemplateHashValue is refused" rejected 'Unsupported value: "Canary"' <<<"$(release_with_args Canary)"

done_testing
