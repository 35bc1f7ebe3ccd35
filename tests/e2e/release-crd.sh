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
# output_has TEXT COMMAND...: the command succeeds and prints TEXT.
output_has() {
	local text=$1 out
	shift
	out=$("$@" 2>&1) || { echo "$out"; return 1; }
	grep -qF -- "$text" <<<"$out" || { echo "$out"; return 1; }
}
ok "kubectl explain documents spec.strategy" \
	until_true 30 output_has "Exactly one of rolling, canary and" kubectl explain release.spec.strategy
ok "kubectl explain reaches into the pod template" \
	until_true 30 output_has "FIELD: image <string>" kubectl explain release.spec.template.spec.containers.image

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
	header_matches 'NAME +DESIRED +CURRENT +UP-TO-DATE +AVAILABLE +PHASE +AGE$' web
ok "-o wide adds strategy and message" header_matches 'AGE +STRATEGY +MESSAGE$' web -o wide

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
	"trafficRouting":{"gatewayAPI":{"httpRoute":"web"}},
	"steps":[{"setWeight":10},{"pause":{"duration":"5m"}},
		{"analysis":{"templates":[{"templateName":"error-rate"}]}},
		{"approval":{"policy":"prod"}},{"setWeight":50},{"pause":{}}]}}}'
ok "the blueGreen shape of DESIGN.md is admitted" accepted bluegreen '{"strategy":{"blueGreen":{
	"activeService":"web","previewService":"web-preview","autoPromotionEnabled":false,
	"scaleDownDelaySeconds":30,"prePromotionAnalysis":{"templates":[{"templateName":"smoke"}]}}}}'

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
