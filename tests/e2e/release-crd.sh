#!/usr/bin/env bash
# The Release CRD as a user meets it: installs, documents itself through
# kubectl explain, defaults the strategy, rejects invalid Releases with a
# message naming the field, keeps the selector immutable, and scales through
# the scale subresource.
. "$(dirname "$0")/lib.sh"
use_test_namespace crd
crd=$SLIPWAY_SOURCE_ROOT/crds/releases.slipway.dev.yaml

ok "the CRD applies" kubectl apply -f "$crd"
# Conditions and the published OpenAPI appear a moment after the create.
ok "and becomes Established" until_true 30 kubectl wait --for=condition=Established crd/releases.slipway.dev --timeout=5s
ok "kubectl explain documents spec.strategy" \
	until_true 30 output_has "Exactly one of rolling, canary and" kubectl explain release.spec.strategy
ok "kubectl explain reaches into the pod template" \
	until_true 30 output_has "FIELD: image <string>" kubectl explain release.spec.template.spec.containers.image
ok "kubectl explain documents every field" documented releases.slipway.dev

# release NAME [JSON-MERGE-OF-SPEC]: a Release manifest, optionally changed.
release() {
	local spec='{"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"web","image":"registry.example/web:1"}]}}}'
	printf '{"apiVersion":"slipway.dev/v1alpha1","kind":"Release","metadata":{"name":"%s"},"spec":%s}' "$1" "$spec" |
		kubectl patch --local -f - --type=merge -p "{\"spec\":${2:-{\}}}" -o json
}
# rejected NAME SPEC-PATCH EXPECTED-TEXT: applying it fails and says EXPECTED-TEXT.
rejected() {
	local out
	if out=$(release "$1" "$2" | k apply -f - 2>&1); then
		echo "accepted: $out"
		return 1
	fi
	grep -qF -- "$3" <<<"$out" || { echo "$out"; return 1; }
}

# accepted NAME [SPEC-PATCH]: applying it succeeds.
accepted() { release "$@" | k apply -f -; }
# header_matches REGEX ARGS...: the first line of `kubectl get rel ARGS` matches.
header_matches() {
	local re=$1 out
	shift
	out=$(k get rel "$@" | head -1)
	grep -qE -- "$re" <<<"$out" || { echo "$out"; return 1; }
}

ok "a valid Release is accepted" accepted web
ok "an absent strategy defaults to rolling" jsonpath_is rel/web '{.spec.strategy}' '{"rolling":{}}'
ok "the short name rel and the printer columns work" \
	header_matches 'NAME +DESIRED +CURRENT +UP-TO-DATE +AVAILABLE +PHASE +STEP +WEIGHT +AGE$' web
ok "-o wide adds strategy, the blue-green revisions and message" header_matches 'AGE +STRATEGY +ACTIVE +PREVIEW +MESSAGE$' web -o wide

ok "two strategies are rejected" rejected two '{"strategy":{"rolling":{},"canary":{}}}' \
	"spec.strategy: Invalid value: exactly one of rolling, canary and blueGreen must be set"
ok "a selector the template does not carry is rejected" rejected mismatch \
	'{"template":{"metadata":{"labels":{"app":"other"}}}}' "spec.selector.matchLabels: Invalid value"
ok "maxSurge \"abc\" is rejected, naming the field" rejected surge '{"strategy":{"rolling":{"maxSurge":"abc"}}}' \
	'spec.strategy.rolling.maxSurge: Invalid value: "abc"'
ok "maxUnavailable over 100% is rejected" rejected unavail '{"strategy":{"rolling":{"maxUnavailable":"101%"}}}' \
	'spec.strategy.rolling.maxUnavailable: Invalid value: "101%"'
ok "maxSurge and maxUnavailable both 0 are rejected" rejected zeros \
	'{"strategy":{"rolling":{"maxSurge":0,"maxUnavailable":"0%"}}}' "cannot both be 0"
ok "setWeight over 100 is rejected" rejected weight '{"strategy":{"canary":{"steps":[{"setWeight":101}]}}}' \
	"spec.strategy.canary.steps[0].setWeight"
ok "a step with two kinds is rejected" rejected twokinds \
	'{"strategy":{"canary":{"steps":[{"setWeight":10,"pause":{}}]}}}' "a step has exactly one of"
ok "a pod template without containers is rejected" rejected nocontainers \
	'{"template":{"spec":{"containers":null}}}' "spec.template.spec.containers: Required value"
ok "the canary shape of DESIGN.md is admitted" accepted canary '{"strategy":{"canary":{
	"canaryService":"web-canary","stableService":"web",
	"trafficRouting":{"gatewayAPI":{"httpRoutes":[{"name":"web"}]}},
	"steps":[{"setWeight":10},{"pause":{"duration":"5m"}},
		{"analysis":{"templates":[{"templateName":"error-rate"}]}},
		{"approval":{"name":"prod-signoff","rules":[{"group":"sre","count":1}]}},{"setWeight":50},{"pause":{}}]}}}'

# The canary API of issue 13: the schema says what the model says, at the field.
routed='"stableService":"web","canaryService":"web-canary","trafficRouting":{"gatewayAPI":{"httpRoutes":[{"name":"web"}]}}'
ok "setCanaryScale with two keys is rejected" rejected scale2 \
	"{\"strategy\":{\"canary\":{$routed,\"steps\":[{\"setCanaryScale\":{\"replicas\":3,\"weight\":20}}]}}}" \
	"spec.strategy.canary.steps[0].setCanaryScale: Invalid value: setCanaryScale has exactly one of replicas, weight and matchTrafficWeight"
ok "a headerValue with two kinds is rejected" rejected hv2 \
	"{\"strategy\":{\"canary\":{$routed,\"steps\":[{\"setHeaderRoute\":{\"name\":\"b\",\"match\":[{\"headerName\":\"X\",\"headerValue\":{\"exact\":\"1\",\"regex\":\"1\"}}]}}]}}}" \
	"spec.strategy.canary.steps[0].setHeaderRoute.match[0].headerValue: Invalid value: exactly one of exact, prefix and regex must be set"
ok "gatewayAPI and nginx together are rejected" rejected tworouters \
	'{"strategy":{"canary":{"stableService":"a","canaryService":"b","trafficRouting":{"gatewayAPI":{"httpRoutes":[{"name":"r"}]},"nginx":{"stableIngress":"i"}}}}}' \
	"spec.strategy.canary.trafficRouting: Invalid value: exactly one of gatewayAPI and nginx must be set"
ok "traffic routing without services is rejected" rejected nosvc \
	'{"strategy":{"canary":{"trafficRouting":{"nginx":{"stableIngress":"i"}}}}}' \
	"trafficRouting requires stableService and canaryService"
ok "setMirrorRoute under nginx is rejected" rejected mirrornginx \
	'{"strategy":{"canary":{"stableService":"a","canaryService":"b","trafficRouting":{"nginx":{"stableIngress":"i"}},"steps":[{"setMirrorRoute":{"name":"m","percentage":5}}]}}}' \
	"setMirrorRoute steps require trafficRouting.gatewayAPI"
ok "minPodsPerReplicaSet 0 is rejected" rejected minpods '{"strategy":{"canary":{"minPodsPerReplicaSet":0}}}' \
	"spec.strategy.canary.minPodsPerReplicaSet: Invalid value: 0"
ok "kubectl explain documents the canary steps" \
	until_true 30 output_has "copy a percentage of the matching requests" kubectl explain release.spec.strategy.canary.steps.setMirrorRoute

# examples/canary.yaml: the Release and its Services are admitted (the
# HTTPRoute too when the cluster has the Gateway API CRDs).
example_applies() {
	local docs=3
	kubectl get crd httproutes.gateway.networking.k8s.io >/dev/null 2>&1 && docs=4
	awk -v n="$docs" 'BEGIN { RS = "\n---\n" } NR <= n { print; print "---" }' \
		"$SLIPWAY_SOURCE_ROOT/examples/canary.yaml" | k apply -f -
}
ok "examples/canary.yaml is admitted" example_applies
ok "and keeps its steps" jsonpath_is rel/shop '{.spec.strategy.canary.steps[6].setMirrorRoute.percentage}' 20

# status: the canary columns and the user intent contract.
status_patch() { k patch rel/"$1" --subresource=status --type=merge -p "$2"; }
ok "the controller's canary status is admitted" status_patch shop \
	'{"status":{"currentStepIndex":2,"canary":{"stepLabel":"3/9","weights":{"canary":{"revision":"c","weight":10},"stable":{"revision":"s","weight":90}}},"pauseConditions":[{"reason":"CanaryPauseStep","startTime":"2026-12-02T21:00:00Z"}]}}'
ok "kubectl get shows STEP 3/9 and WEIGHT 10" until_true 10 output_has "3/9    10" k get rel shop
ok "a Promote intent is admitted on the status subresource" status_patch shop \
	'{"status":{"intent":{"action":"Promote","user":"ana","requestedAt":"2026-12-02T21:00:00Z","revision":"c","stepIndex":2}}}'
intent_rejected() {
	local out
	if out=$(status_patch shop "$1" 2>&1); then
		echo "accepted: $out"
		return 1
	fi
	grep -qF -- "$2" <<<"$out" || { echo "$out"; return 1; }
}
ok "an unknown intent action is rejected, naming the field" intent_rejected \
	'{"status":{"intent":{"action":"Skip","user":"ana","requestedAt":"2026-12-02T21:00:00Z","revision":"c"}}}' \
	'status.intent.action: Unsupported value: "Skip"'
ok "a Promote without stepIndex is rejected" intent_rejected \
	'{"status":{"intent":{"action":"Promote","user":"ana","requestedAt":"2026-12-02T21:00:00Z","revision":"c","stepIndex":null}}}' \
	"a Promote intent needs stepIndex"

ok "the blueGreen shape of DESIGN.md is admitted" accepted bluegreen '{"strategy":{"blueGreen":{
	"activeService":"web","previewService":"web-preview","autoPromotionEnabled":false,
	"scaleDownDelaySeconds":30,"prePromotionAnalysis":{"templates":[{"templateName":"smoke"}]}}}}'
ok "every blueGreen field of the issue is admitted" accepted bluegreen-all '{"strategy":{"blueGreen":{
	"activeService":"web","previewService":"web-preview","previewReplicaCount":2,"autoPromotionEnabled":true,
	"autoPromotionSeconds":300,"scaleDownDelaySeconds":30,"scaleDownDelayRevisionLimit":1,
	"abortScaleDownDelaySeconds":30,"prePromotionAnalysis":{"templates":[{"templateName":"smoke"}]},
	"postPromotionAnalysis":{"templates":[{"templateName":"error-rate"}]},
	"activeMetadata":{"labels":{"role":"active"}},"previewMetadata":{"labels":{"role":"preview"}}}}}'
ok "autoPromotionSeconds with autoPromotionEnabled false is rejected" rejected bg-auto \
	'{"strategy":{"blueGreen":{"activeService":"web","autoPromotionEnabled":false,"autoPromotionSeconds":5}}}' \
	"autoPromotionSeconds has no effect with autoPromotionEnabled false"

# selector_change_refused: patching the selector (and labels to match) fails as immutable.
selector_change_refused() {
	local out
	if out=$(k patch rel web --type=merge -p \
		'{"spec":{"selector":{"matchLabels":{"app":"x"}},"template":{"metadata":{"labels":{"app":"x"}}}}}' 2>&1); then
		echo "patch accepted: $out"
		return 1
	fi
	grep -qF "spec.selector is immutable" <<<"$out" || { echo "$out"; return 1; }
}
ok "the selector is immutable" selector_change_refused
ok "kubectl scale goes through the scale subresource" k scale rel/web --replicas=7
ok "and sets spec.replicas" jsonpath_is rel/web '{.spec.replicas}' 7

done_testing
