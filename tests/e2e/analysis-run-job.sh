#!/usr/bin/env bash
# Job metrics: an AnalysisRun's job metric creates a Job per measurement,
# named from the run, the metric and the index, labelled and owned by the
# run. KWOK completes Job pods, so a plain Job is Successful; a Job whose
# pod can never be scheduled (a nodeSelector no fake node has) fails on its
# activeDeadlineSeconds, and the measurement and the run are Failed.
# Arguments are substituted into the Job's spec; a run told to terminate
# deletes the Job it waits for.
. "$(dirname "$0")/lib.sh"

use_test_namespace anjob
ok "the CRDs are installed" install_crds
start_controller
trap 'stop_controller; kubectl delete namespace "$TEST_NS" --wait=false >/dev/null 2>&1' EXIT

job_run() {
	cat <<-YAML
		apiVersion: slipway.dev/v1alpha1
		kind: AnalysisRun
		metadata: {name: $1}
		spec:
		  args: [{name: image, value: registry.example/e2e:1}]
		  metrics:
		  - name: e2e
		    provider:
		      job:
		        metadata: {labels: {purpose: e2e-check}}
		        spec:
		          backoffLimit: 0
		          $2
		          template:
		            spec:
		              restartPolicy: Never
		              $3
		              containers: [{name: check, image: "{{args.image}}"}]
	YAML
}
phase_is() {
	local got
	got=$(k get analysisrun "$1" -o jsonpath='{.status.phase}')
	[ "$got" = "$2" ] || { echo "$1: phase '$got', want '$2'"; return 1; }
}

ok "a run with a Job metric is created" k apply -f - <<<"$(job_run pass "" "")"
ok "its Job is created, named from run, metric and index" until_true 30 k get job pass-e2e-0
uid=$(k get analysisrun pass -o jsonpath='{.metadata.uid}')
ok "labelled as the controller's, with the template's labels" jsonpath_is job/pass-e2e-0 \
	'{.metadata.labels.app\.kubernetes\.io/managed-by}/{.metadata.labels.purpose}' "slipway/e2e-check"
ok "labelled with the run's uid, annotated with its and the metric's names" jsonpath_is job/pass-e2e-0 \
	'{.metadata.labels.slipway\.dev/analysis-run-uid}/{.metadata.annotations.slipway\.dev/analysis-run}/{.metadata.annotations.slipway\.dev/metric}' \
	"$uid/pass/e2e"
ok "owned by the run" jsonpath_is job/pass-e2e-0 \
	'{.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].uid}/{.metadata.ownerReferences[0].controller}' \
	"AnalysisRun/$uid/true"
ok "with the argument substituted" jsonpath_is job/pass-e2e-0 \
	'{.spec.template.spec.containers[0].image}' registry.example/e2e:1
ok "the Job completes and the run is Successful" until_true 60 phase_is pass Successful
ok "one measurement, Successful" jsonpath_is analysisrun/pass \
	'{.status.metricResults[0].count}/{.status.metricResults[0].measurements[0].phase}' 1/Successful
ok "and only one Job" test "$(k get jobs -o name | grep -c pass-)" -eq 1

ok "a run whose Job cannot succeed is created" k apply -f - <<<"$(job_run fail "activeDeadlineSeconds: 3" "nodeSelector: {e2e-no-such-node: x}")"
ok "its Job is created" until_true 30 k get job fail-e2e-0
ok "the Job fails and the run is Failed" until_true 90 phase_is fail Failed
ok "the measurement is Failed with the Job's reason" jsonpath_is analysisrun/fail \
	'{.status.metricResults[0].measurements[0].phase}' Failed
ok "the message says the metric failed" sh -c "kubectl -n $TEST_NS get analysisrun fail -o jsonpath='{.status.message}' | grep -q '^e2e: '"

# A run stopped while its Job runs (it can never be scheduled): the Job is
# deleted, the run ends.
ok "a run whose Job never finishes is created" k apply -f - <<<"$(job_run stop "" "nodeSelector: {e2e-no-such-node: x}")"
ok "its Job is created" until_true 30 k get job stop-e2e-0
ok "the measurement is Running" until_true 30 jsonpath_is analysisrun/stop \
	'{.status.metricResults[0].measurements[0].phase}' Running
ok "the run is told to terminate" k patch analysisrun stop --type=merge -p '{"spec":{"terminate":true}}'
ok "it ends Successful (terminated, nothing failed)" until_true 30 phase_is stop Successful
job_gone() { ! k get job stop-e2e-0 >/dev/null 2>&1; }
ok "and its Job is deleted" until_true 30 job_gone

stop_controller
done_testing
