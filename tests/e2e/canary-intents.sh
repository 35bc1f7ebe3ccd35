#!/usr/bin/env bash
# Promote and abort of a replica-ratio canary through status.intent, as
# `kubectl slipway promote/abort` write it. The intent arrives as a
# status-only update, which the status-echo filter would drop: the Release
# controller's primary_update_matters lets a new intent through.
. "$(dirname "$0")/lib.sh"
use_test_namespace canint
install_crds || { echo "Bail out! CRDs did not install"; exit 1; }
start_controller

condition_is() {
	jsonpath_is "release/$1" "{.status.conditions[?(@.type==\"$2\")].status}/{.status.conditions[?(@.type==\"$2\")].reason}" "$3"
}
warning_about() {
	k get events.events.k8s.io -o jsonpath='{range .items[*]}{.type}/{.reason}/{.regarding.name}/{.note}{"\n"}{end}' |
		grep -F "Warning/$2/$1/" | grep -qF "$3"
}
# intent ACTION: what the CLI writes, for the step and revision it sees.
intent() {
	local rev step
	rev=$(k get release web -o jsonpath='{.status.currentRevision}')
	step=$(k get release web -o jsonpath='{.status.currentStepIndex}')
	k patch release web --subresource=status --type=merge -p "{\"status\":{\"intent\":{\"action\":\"$1\",\"user\":\"e2e-user\",\"requestedAt\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\",\"revision\":\"$rev\",\"stepIndex\":$step}}}" >/dev/null
}

apply_release web registry.example/web:1 4 "  strategy: {canary: {maxSurge: 1, maxUnavailable: 0, steps: [{setWeight: 25}, {pause: {}}]}}"
ok "the first template becomes Ready" k wait --for=condition=Ready release/web --timeout=120s
set_image web registry.example/web:2
ok "a new image waits at pause {}" \
	until_true 60 jsonpath_is release/web '{.status.currentStepIndex} {.status.phase}' "1 Paused"
intent Promote
ok "promoted, it completes" until_true 60 jsonpath_is release/web '{.status.phase}' Healthy
ok "the intent was consumed" jsonpath_is release/web '{.status.intent}' ""
set_image web registry.example/web:3
ok "a third image waits at pause {}" \
	until_true 60 jsonpath_is release/web '{.status.currentStepIndex} {.status.phase}' "1 Paused"
intent Abort
ok "aborted: Ready False/RolloutAborted" until_true 60 condition_is web Ready False/RolloutAborted
ok "a Warning Event names who aborted" until_true 30 warning_about web RolloutAborted e2e-user
done_testing
