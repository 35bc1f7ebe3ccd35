#!/usr/bin/env bash
# A canary Release with trafficRouting.nginx: the canary Ingress
# `<release>-<stableIngress>-canary` (docs/internals/canary-traffic.md) is
# created with the canary annotations and the step's weight, updated at each
# step, removed when the rollout completes and when trafficRouting.nginx is
# removed from the Release. No ingress controller runs: the objects only.
. "$(dirname "$0")/lib.sh"
use_test_namespace cannginx
install_crds || { echo "Bail out! CRDs did not install"; exit 1; }
start_controller

apply_canary_services
k apply -f - >/dev/null <<'YAML'
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: front}
spec:
  ingressClassName: nginx
  rules:
  - host: web.example
    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web-stable, port: {number: 80}}}}]}
YAML
routing="trafficRouting: {nginx: {stableIngress: front}}"
# strategy [ROUTING, ROUTED_STEPS]: without routing, only steps valid without it.
strategy() {
	echo "  strategy: {canary: {maxSurge: 1, maxUnavailable: 0, stableService: web-stable, canaryService: web-canary, $1
    steps: [$2{setWeight: 20}, {pause: {}}, {setWeight: 60}, {pause: {}}]}}"
}
routed_steps="{setCanaryScale: {replicas: 3}}, {setHeaderRoute: {name: beta, match: [{headerName: X-Beta, headerValue: {exact: 'yes'}}]}},"
apply_release web registry.example/web:1 4 "$(strategy "$routing," "$routed_steps")"
ok "the first template becomes Ready" k wait --for=condition=Ready release/web --timeout=120s
rev() { k get release web -o jsonpath="{.status.$1}"; }
intent() {
	k patch release web --subresource=status --type=merge -p "{\"status\":{\"intent\":{\"action\":\"$1\",\"user\":\"e2e-user\",\"requestedAt\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\",\"revision\":\"$(rev currentRevision)\",\"stepIndex\":$(rev currentStepIndex)}}}" >/dev/null
}
canary_ing=web-front-canary
ann() { k get ingress "$canary_ing" -o jsonpath="{.metadata.annotations.nginx\.ingress\.kubernetes\.io/$1}"; }
ann_is() { [ "$(ann "$1")" = "$2" ] || { echo "$1: got '$(ann "$1")', want '$2'"; return 1; }; }
gone() { ! k get ingress "$canary_ing" >/dev/null 2>&1; }

set_image web registry.example/web:2
ok "a new image waits at the first pause" until_true 60 jsonpath_is release/web '{.status.currentStepIndex} {.status.phase}' "3 Paused"
ok "setCanaryScale: the canary has 3 pods (weight 20 alone would give it 1)" \
	until_true 30 jsonpath_is "rs/web-$(rev currentRevision)" '{.spec.replicas} {.status.availableReplicas}' "3 3"
ok "the stable ReplicaSet keeps all 4 (traffic-routed)" jsonpath_is "rs/web-$(rev stableRevision)" '{.spec.replicas}' 4
ok "the canary Ingress exists with canary: true" until_true 30 ann_is canary true
ok "and canary-weight 20" until_true 30 ann_is canary-weight 20
ok "its path goes to the canary Service" jsonpath_is "ingress/$canary_ing" '{.spec.rules[0].http.paths[0].backend.service.name}' web-canary
ok "setHeaderRoute: canary-by-header X-Beta" ann_is canary-by-header X-Beta
ok "  with canary-by-header-value yes" ann_is canary-by-header-value yes
ok "it keeps the ingress class" jsonpath_is "ingress/$canary_ing" '{.spec.ingressClassName}' nginx
ok "the Release owns it" jsonpath_is "ingress/$canary_ing" '{.metadata.ownerReferences[0].kind}' Release
ok "the stable Ingress is untouched" jsonpath_is ingress/front '{.spec.rules[0].http.paths[0].backend.service.name}' web-stable
intent Promote
ok "promote: the weight becomes 60" until_true 30 ann_is canary-weight 60
intent Promote
ok "the rollout completes" until_true 120 jsonpath_is release/web '{.status.phase}' Healthy
ok "the canary Ingress is removed at completion" until_true 30 gone

set_image web registry.example/web:3
ok "a third image creates it again at weight 20" until_true 60 ann_is canary-weight 20
apply_release web registry.example/web:3 4 "$(strategy "" "")"
ok "removing trafficRouting.nginx removes the canary Ingress" until_true 30 gone
ok "the stable Ingress is still there" k get ingress front
done_testing
