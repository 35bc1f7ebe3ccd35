#!/usr/bin/env bash
# What status tools conclude from a Release, on Releases captured from the
# controller in each state: the real kstatus of sigs.k8s.io/cli-utils (Flux's
# health checks, kubectl wait's users; tests/cluster/tools/kstatus) and
# Argo CD's health (deploy/argocd/health.lua run by Debian's lua5.4 the way
# Argo CD runs it: the script's body with the object as `obj`).
# The captures are left in $SLIPWAY_BUILD_ROOT/tests/e2e/status-captures/.
. "$(dirname "$0")/lib.sh"
command -v kstatus >/dev/null || { echo "1..0 # SKIP no kstatus on PATH (tests/cluster/build-tools builds it)"; exit 0; }
use_test_namespace health
install_crds || { echo "Bail out! CRDs did not install"; exit 1; }
start_controller
captures=$SLIPWAY_BUILD_ROOT/tests/e2e/status-captures
rm -rf "$captures"
mkdir -p "$captures"

# capture NAME: the Release as the API serves it, into captures/NAME.json.
capture() { k get release "$1" -o json >"$captures/$1.json"; }
phase_is() { jsonpath_is "release/$1" '{.status.phase}' "$2"; }
condition_is() {
	jsonpath_is "release/$1" "{.status.conditions[?(@.type==\"$2\")].status}/{.status.conditions[?(@.type==\"$2\")].reason}" "$3"
}
canary="  strategy: {canary: {maxSurge: 1, maxUnavailable: 0, steps: [{setWeight: 25}, {pause: {}}]}}"
intent() { # RELEASE ACTION: what kubectl slipway promote/abort writes
	local rev step
	rev=$(k get release "$1" -o jsonpath='{.status.currentRevision}')
	step=$(k get release "$1" -o jsonpath='{.status.currentStepIndex}')
	k patch release "$1" --subresource=status --type=merge -p "{\"status\":{\"intent\":{\"action\":\"$2\",\"user\":\"e2e-user\",\"requestedAt\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\",\"revision\":\"$rev\",\"stepIndex\":$step}}}" >/dev/null
}

apply_release healthy registry.example/app:1 2
apply_release rolling registry.example/app:1 2 "  minReadySeconds: 300
  progressDeadlineSeconds: 600"
apply_release paused registry.example/app:1 2 "$canary"
apply_release specpaused registry.example/app:1 2
apply_release aborted registry.example/app:1 2 "$canary"
release_yaml invalid "" 2 | sed 's/, image: ""//' | k apply -f - >/dev/null

ok "healthy: Healthy" until_true 60 phase_is healthy Healthy
capture healthy
ok "rolling (minReadySeconds 300): Progressing" until_true 60 phase_is rolling Progressing
capture rolling
ok "invalid (a container without image): Stalled/InvalidSpec" until_true 60 condition_is invalid Stalled True/InvalidSpec
capture invalid
ok "the canaries' first templates are out" until_true 60 phase_is paused Healthy
until_true 60 phase_is aborted Healthy
set_image paused registry.example/app:2
set_image aborted registry.example/app:2
ok "paused: waiting at its pause step" until_true 60 phase_is paused Paused
capture paused
until_true 60 phase_is aborted Paused
intent aborted Abort
ok "aborted: Ready False/RolloutAborted" until_true 60 condition_is aborted Ready False/RolloutAborted
capture aborted
until_true 60 phase_is specpaused Healthy
k patch release specpaused --type=merge -p '{"spec":{"paused":true}}' >/dev/null
set_image specpaused registry.example/app:2
ok "specpaused (spec.paused): Paused" until_true 60 phase_is specpaused Paused
capture specpaused
# A spec the controller has not observed: the healthy one, one generation on.
jq '.metadata.generation += 1' "$captures/healthy.json" >"$captures/unobserved.json"

# kstatus_is NAME WANT: the cli-utils kstatus of the capture.
kstatus_is() {
	local got
	got=$(kstatus "$captures/$1.json") || return 1
	[ "$(cut -d' ' -f2 <<<"$got")" = "$2" ] || { echo "kstatus: $got (want $2)"; return 1; }
}
ok "kstatus: Healthy is Current" kstatus_is healthy Current
ok "kstatus: mid-rollout is InProgress" kstatus_is rolling InProgress
ok "kstatus: paused at a step is InProgress" kstatus_is paused InProgress
ok "kstatus: spec.paused is InProgress" kstatus_is specpaused InProgress
ok "kstatus: Stalled is Failed" kstatus_is invalid Failed
ok "kstatus: aborted is Failed" kstatus_is aborted Failed
ok "kstatus: a spec not yet observed is InProgress" kstatus_is unobserved InProgress

ok "lua5.4 is installed (scripts/install-deps)" command -v lua5.4
# argocd_health NAME: "STATUS MESSAGE" of health.lua for the capture; the
# JSON made a Lua table (arrays 1-based, null absent) as Argo CD does.
argocd_health() {
	local table
	table=$(jq -r 'def lua: if type == "object" then "{" + ([to_entries[] | select(.value != null) | "[\(.key | tojson)]=\(.value | lua)"] | join(",")) + "}"
		elif type == "array" then "{" + (map(lua) | join(",")) + "}"
		elif type == "string" then tojson | gsub("\\\\u(?<h>[0-9a-fA-F]{4})"; "\\u{\(.h)}")
		else tostring end; lua' "$captures/$1.json") || return 1
	lua5.4 -e "
		local env = setmetatable({obj = $table}, {__index = _G})
		local hs = assert(loadfile('$SLIPWAY_SOURCE_ROOT/deploy/argocd/health.lua', 't', env))()
		print(hs.status .. ' ' .. hs.message)"
}
health_is() {
	local got
	got=$(argocd_health "$1") || { echo "$got"; return 1; }
	[ "${got%% *}" = "$2" ] || { echo "health.lua: $got (want $2)"; return 1; }
}
ok "Argo CD: Healthy" health_is healthy Healthy
ok "Argo CD: mid-rollout is Progressing" health_is rolling Progressing
ok "Argo CD: waiting at a pause step is Suspended" health_is paused Suspended
ok "Argo CD: spec.paused is Suspended" health_is specpaused Suspended
ok "Argo CD: Stalled is Degraded" health_is invalid Degraded
ok "Argo CD: aborted is Degraded" health_is aborted Degraded
ok "Argo CD: a spec not yet observed is Progressing" health_is unobserved Progressing

done_testing
