#!/usr/bin/env bash
# A replica-ratio canary with stableService and canaryService: the
# controller's Service watch on the real control plane. The Services'
# selectors get slipway.dev/revision=<stable>/<canary>; at a `pause: {}`
# (no timer runs) a selector changed by someone else is put back, which only
# the Service watch can have woken the Release for; after an abort the
# canaryService points back at stable. Needs the canary reconciler's traffic
# (h-canroute) as well as the controller's wiring (h-canwire): not in
# tests/e2e/meson.build until both are merged. On h-canwire + h-canroute
# (fcbff2a) it passes; with the Release's Service index emptied, 7 of its
# 10 checks fail, the put-back selector among them.
. "$(dirname "$0")/lib.sh"
use_test_namespace cansvc
install_crds || { echo "Bail out! CRDs did not install"; exit 1; }
start_controller

for svc in web web-canary; do
	k apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Service
metadata: {name: $svc}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
YAML
done

# selector SERVICE: its slipway.dev/revision selector value.
selector() { k get service "$1" -o jsonpath='{.spec.selector.slipway\.dev/revision}'; }
selects() { [ "$(selector "$1")" = "$2" ] || { echo "service $1 selects '$(selector "$1")', want '$2'"; return 1; }; }
rev() { k get release web -o jsonpath="{.status.$1}"; }
intent() {
	k patch release web --subresource=status --type=merge -p "{\"status\":{\"intent\":{\"action\":\"$1\",\"user\":\"e2e-user\",\"requestedAt\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\",\"revision\":\"$(rev currentRevision)\",\"stepIndex\":$(rev currentStepIndex)}}}" >/dev/null
}

apply_release web registry.example/web:1 4 \
	"  strategy: {canary: {stableService: web, canaryService: web-canary, maxSurge: 1, maxUnavailable: 0, steps: [{setWeight: 25}, {pause: {}}]}}"
ok "the first template becomes Ready" k wait --for=condition=Ready release/web --timeout=120s
stable=$(rev stableRevision)
ok "stableService selects the stable revision" until_true 30 selects web "$stable"
ok "the other selector keys are left alone" \
	jsonpath_is service/web '{.spec.selector.app}' web

set_image web registry.example/web:2
ok "a new image waits at pause {}" \
	until_true 60 jsonpath_is release/web '{.status.currentStepIndex} {.status.phase}' "1 Paused"
canary=$(rev currentRevision)
ok "canaryService selects the canary" until_true 30 selects web-canary "$canary"
ok "stableService still selects stable" selects web "$stable"

# Someone else points stableService at the canary: nothing but the Service's
# watch event can wake the paused Release.
k patch service web --type=merge -p "{\"spec\":{\"selector\":{\"slipway.dev/revision\":\"$canary\"}}}" >/dev/null
ok "a selector changed by someone else is put back (the Service watch)" \
	until_true 30 selects web "$stable"

intent Abort
ok "aborted, canaryService points back at stable" until_true 60 selects web-canary "$stable"
ok "and stableService stays on stable" selects web "$stable"
ok "no request was refused" bash -c "! grep -q 'reconcile failed' '$CONTROLLER_LOG'"
done_testing
