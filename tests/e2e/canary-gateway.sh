#!/usr/bin/env bash
# A canary Release steering a Gateway API HTTPRoute through stable/canary
# Services: weights follow the steps (checked over every watched state by
# check_traffic_invariants in lib.sh, whose header explains the method),
# header and mirror rules, promote, full promote, abort, retry, Service
# selectors at completion, and a route re-applied by another field manager
# corrected with a TrafficDriftCorrected Event.
. "$(dirname "$0")/lib.sh"
use_test_namespace cangw
install_crds || { echo "Bail out! CRDs did not install"; exit 1; }
start_controller

apply_canary_services
apply_web_route gw
strategy="  strategy: {canary: {maxSurge: 1, maxUnavailable: 0, stableService: web-stable, canaryService: web-canary,
    trafficRouting: {gatewayAPI: {httpRoutes: [{name: web}]}},
    steps: [{setWeight: 20}, {pause: {}}, {setHeaderRoute: {name: hdr, match: [{headerName: X-Canary, headerValue: {exact: 'yes'}}]}},
            {setMirrorRoute: {name: mir, percentage: 50}}, {setWeight: 50}, {pause: {duration: 5}}, {setWeight: 80}, {pause: {}}]}}"
apply_release web registry.example/web:1 4 "$strategy"
ok "the first template becomes Ready" k wait --for=condition=Ready release/web --timeout=120s
start_traffic_watch web "$(mktemp -d)"

rev() { k get release web -o jsonpath="{.status.$1}"; }
weights() { k get httproute web -o jsonpath='{range .spec.rules[0].backendRefs[*]}{.weight} {end}'; }
weights_are() { [ "$(weights)" = "$1" ] || { echo "weights: got '$(weights)', want '$1'"; return 1; }; }
intent() {
	k patch release web --subresource=status --type=merge -p "{\"status\":{\"intent\":{\"action\":\"$1\",\"user\":\"e2e-user\",\"requestedAt\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\",\"revision\":\"$(rev currentRevision)\",\"stepIndex\":$(rev currentStepIndex)}}}" >/dev/null
}
event_exists() { k get events.events.k8s.io -o jsonpath='{range .items[*]}{.reason}{"\n"}{end}' | grep -qx "$1"; }

set_image web registry.example/web:2
ok "a new image waits at pause {} after setWeight 20" until_true 60 jsonpath_is release/web '{.status.currentStepIndex} {.status.phase}' "1 Paused"
ok "the route weights are 80/20" until_true 30 weights_are "80 20 "
ok "the canary Service selects the canary revision" until_true 30 jsonpath_is svc/web-canary "{.spec.selector.slipway\.dev/revision}" "$(rev currentRevision)"
ok "the stable Service selects the stable revision" until_true 30 jsonpath_is svc/web-stable "{.spec.selector.slipway\.dev/revision}" "$(rev stableRevision)"

# Another field manager re-applies the original weights mid-rollout.
k get httproute web -o json | python3 -c 'import json,sys;o=json.load(sys.stdin);o["metadata"]={"name":"web"};o.pop("status",None);o["spec"]["rules"][0]["backendRefs"][0]["weight"]=100;o["spec"]["rules"][0]["backendRefs"][1]["weight"]=0;print(json.dumps(o))' |
	k apply --server-side --field-manager=gitops --force-conflicts -f - >/dev/null
ok "a route re-applied by another manager is corrected within seconds" until_true 15 weights_are "80 20 "
ok "with a TrafficDriftCorrected Event" until_true 15 event_exists TrafficDriftCorrected

intent Promote
ok "promote: the header route rule appears" until_true 30 sh -c "kubectl -n $TEST_NS get httproute web -o json | grep -q X-Canary"
ok "the mirror rule appears" until_true 30 sh -c "kubectl -n $TEST_NS get httproute web -o json | grep -q RequestMirror"
ok "then setWeight 50, through the 5s pause, to the pause {} at 80" until_true 60 jsonpath_is release/web '{.status.currentStepIndex} {.status.phase}' "7 Paused"
ok "the route weights are 20/80" until_true 30 weights_are "20 80 "

intent Abort
ok "abort: weights 0 at once" until_true 10 weights_are "100 0 "
ok "the canary Service selects the stable revision again" until_true 10 jsonpath_is svc/web-canary "{.spec.selector.slipway\.dev/revision}" "$(rev stableRevision)"
ok "header and mirror rules are removed" until_true 10 sh -c "! kubectl -n $TEST_NS get httproute web -o json | grep -qE 'X-Canary|RequestMirror'"

intent Retry
ok "retry: the steps start again at setWeight 20" until_true 60 jsonpath_is release/web '{.status.currentStepIndex} {.status.phase}' "1 Paused"
intent PromoteFull
ok "full promote completes" until_true 120 jsonpath_is release/web '{.status.phase}' Healthy
ok "the route sends everything to the stable Service" until_true 30 weights_are "100 0 "
ok "the Service selectors switch to the new revision" until_true 30 jsonpath_is svc/web-stable "{.spec.selector.slipway\.dev/revision}" "$(rev currentRevision)"
stop_traffic_watch
ok "no route state broke the weight invariants" check_traffic_invariants web-stable web-canary "20 - - - 50 - 80 -"
done_testing
