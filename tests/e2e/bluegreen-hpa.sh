#!/usr/bin/env bash
# A real HorizontalPodAutoscaler (kube-controller-manager's) scaling a
# blue-green Release through its scale subresource during rollouts. There is
# no metrics server: the HPA controller enforces minReplicas / maxReplicas
# before it reads metrics (reconcileAutoscaler in upstream
# pkg/controller/podautoscaler/horizontal.go: spec.replicas below minReplicas
# is raised to it, above maxReplicas lowered to it), so moving those bounds
# is what scales. Mid-rollout, with the preview up and waiting for promote:
# minReplicas above spec.replicas scales the active revision up while the
# preview keeps previewReplicaCount, and the promoted revision gets the new
# size; in the next rollout maxReplicas below spec.replicas scales the active
# revision down and the preview to at most spec.replicas; without
# previewReplicaCount, the preview follows minReplicas too. A watcher records
# every Service, ReplicaSet and Release state and check_active_invariants
# (lib.sh) asserts that activeService never selected a revision with fewer
# available pods than spec.replicas.
. "$(dirname "$0")/lib.sh"
use_test_namespace bghpa
install_crds || { echo "Bail out! CRDs did not install"; exit 1; }
start_controller
S="$SLIPWAY_BUILD_ROOT/cli/kubectl-slipway"

ok "the Services are created" apply_bluegreen_services
strategy="  strategy:
    blueGreen:
      activeService: web
      previewService: web-preview
      autoPromotionEnabled: false
      previewReplicaCount: 3
      scaleDownDelaySeconds: 3"
apply_release web registry.example/web:1 3 "$strategy"
ok "the first template becomes Ready" k wait --for=condition=Ready release/web --timeout=120s
start_traffic_watch web "$(mktemp -d)" svc

# The HPA controller runs as kube-system/horizontal-pod-autoscaler in a
# cluster whose kube-controller-manager uses service-account credentials
# (here it is an admin): its bootstrap ClusterRole grants */scale in every
# group, so a Release needs no RBAC of ours to be autoscaled.
hpa_sa=system:serviceaccount:kube-system:horizontal-pod-autoscaler
ok "the HPA controller's own role may get and update releases/scale" sh -c "
	kubectl auth can-i get releases.slipway.dev --subresource=scale -n $TEST_NS --as=$hpa_sa >/dev/null &&
	kubectl auth can-i update releases.slipway.dev --subresource=scale -n $TEST_NS --as=$hpa_sa >/dev/null"

rev() { k get release web -o jsonpath="{.status.$1}"; }
paused() { jsonpath_is release/web '{.status.currentStepIndex} {.status.phase}' "2 Paused"; }
healthy_on() { jsonpath_is release/web '{.status.phase} {.status.stableRevision}' "Healthy $1"; }
waiting_on() { paused && service_selects web "$1"; }
# pods REVISION N: its ReplicaSet wants N pods and has N available.
pods() { jsonpath_is "rs/web-$1" '{.spec.replicas} {.status.availableReplicas}' "$2 $2"; }
done_on() { healthy_on "$1" && pods "$1" "$2"; }
# slipway_get_shows LINE...: `kubectl slipway get web` prints each LINE.
slipway_get_shows() {
	local out line
	out=$("$S" -n "$TEST_NS" get web) || return 1
	for line in "$@"; do grep -qxF -- "$line" <<<"$out" || { echo "$out"; return 1; }; done
}
# hpa MIN MAX: the HPA web on the Release web with these bounds (no
# metrics: the default CPU target, which it never gets to read).
hpa() {
	k apply -f - >/dev/null <<YAML
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {apiVersion: slipway.dev/v1alpha1, kind: Release, name: web}
  minReplicas: $1
  maxReplicas: $2
YAML
}
# rescaled N REASON: the HPA recorded a rescale to N for REASON (its Event)
# and the Release's spec.replicas was written through the scale subresource
# by kube-controller-manager (the managed fields say so).
rescaled() {
	k get events --field-selector involvedObject.kind=HorizontalPodAutoscaler,involvedObject.name=web,reason=SuccessfulRescale \
		-o jsonpath='{range .items[*]}{.message}{"\n"}{end}' | grep -qF "New size: $1; reason: $2" &&
		jsonpath_is hpa/web '{.status.desiredReplicas}' "$1" &&
		jsonpath_is release/web '{.spec.replicas}' "$1" &&
		k get release web -o jsonpath='{range .metadata.managedFields[?(@.subresource=="scale")]}{.manager}{"\n"}{end}' |
		grep -qx kube-controller-manager
}

r1=$(rev stableRevision)
set_image web registry.example/web:2
ok "a new image previews and waits for promote" until_true 60 paused
r2=$(rev currentRevision)
ok "previewService selects the preview" until_true 30 service_selects web-preview "$r2"
ok "its 3 pods (previewReplicaCount) are up" until_true 60 pods "$r2" 3

hpa 5 8
ok "the HPA raises spec.replicas to minReplicas 5 through the scale subresource" \
	until_true 60 rescaled 5 "Current number of replicas below Spec.MinReplicas"
ok "the active revision scales to 5 pods, all available" until_true 60 pods "$r1" 5
ok "the preview keeps previewReplicaCount 3" pods "$r2" 3
ok "still waiting for promote, activeService on the old revision" waiting_on "$r1"
ok "kubectl slipway get shows both revisions at their sizes" slipway_get_shows \
	"Active:     Service web -> revision $r1 (5 of 5 pods available)" \
	"Preview:    Service web-preview -> revision $r2 (3 of 3 pods available)" \
	"Waiting:    waiting for promote (kubectl slipway promote web)"

ok "kubectl slipway promote" "$S" -n "$TEST_NS" promote web
ok "activeService switches to the new revision" until_true 90 service_selects web "$r2"
ok "which holds the new size, 5 pods" pods "$r2" 5
ok "the rollout completes on it" until_true 60 healthy_on "$r2"
ok "the old revision scales down after its delay" until_true 60 jsonpath_is "rs/web-$r1" '{.spec.replicas}' 0
ok "the HPA left spec.replicas at 5" jsonpath_is release/web '{.spec.replicas}' 5

set_image web registry.example/web:3
ok "the next image previews and waits" until_true 60 paused
r3=$(rev currentRevision)
ok "its 3 preview pods are up" until_true 60 pods "$r3" 3
hpa 1 2
ok "the HPA lowers spec.replicas to maxReplicas 2" \
	until_true 60 rescaled 2 "Current number of replicas above Spec.MaxReplicas"
ok "the active revision scales down to 2 pods" until_true 60 pods "$r2" 2
ok "the preview to 2 too: previewReplicaCount is at most spec.replicas" until_true 60 pods "$r3" 2
ok "still waiting for promote, activeService on the active revision" waiting_on "$r2"
ok "kubectl slipway promote" "$S" -n "$TEST_NS" promote web
ok "activeService switches to the newest revision" until_true 90 service_selects web "$r3"
ok "the rollout completes on it with 2 pods" until_true 60 done_on "$r3" 2
ok "the previous revision scales down after its delay" until_true 60 jsonpath_is "rs/web-$r2" '{.spec.replicas}' 0

# Without previewReplicaCount the preview runs at spec.replicas and follows
# the HPA too (the case of Argo Rollouts #2931).
k patch release web --type=merge -p '{"spec":{"strategy":{"blueGreen":{"previewReplicaCount":null}}}}' >/dev/null
set_image web registry.example/web:4
ok "the next image previews and waits" until_true 60 paused
r4=$(rev currentRevision)
ok "on 2 pods, spec.replicas (no previewReplicaCount)" until_true 60 pods "$r4" 2
hpa 4 6
ok "the HPA raises spec.replicas to minReplicas 4" \
	until_true 60 rescaled 4 "Current number of replicas below Spec.MinReplicas"
ok "the active revision scales to 4 pods" until_true 60 pods "$r3" 4
ok "and the preview with it" until_true 60 pods "$r4" 4
ok "still waiting for promote, activeService on the active revision" waiting_on "$r3"
ok "kubectl slipway promote" "$S" -n "$TEST_NS" promote web
ok "activeService switches to it" until_true 90 service_selects web "$r4"
ok "the rollout completes on it with 4 pods" until_true 60 done_on "$r4" 4

stop_traffic_watch
ok "activeService never moved to a revision without all its pods" check_active_invariants web
ok "no request was refused" bash -c "! grep -q 'reconcile failed' '$CONTROLLER_LOG'"
done_testing
