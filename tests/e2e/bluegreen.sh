#!/usr/bin/env bash
# A blue-green Release on the real control plane: manual promotion with
# `kubectl slipway promote` after a preview of one pod, a `kubectl scale
# release` (what an HPA does) mid-rollout that scales both revisions, the
# old revision kept for scaleDownDelaySeconds then scaled down, automatic
# promotion after autoPromotionSeconds, a rollback by re-applying the old
# template while its ReplicaSet is still up (no new ReplicaSet, no new pod),
# an abort, activeMetadata / previewMetadata labels on the pods, and an
# activeService selector changed by someone else put back with an Event. A
# watcher records every Service, ReplicaSet and Release state and
# check_active_invariants (lib.sh) asserts that activeService never moved to
# a revision with fewer available pods than spec.replicas.
. "$(dirname "$0")/lib.sh"
use_test_namespace bluegreen
install_crds || { echo "Bail out! CRDs did not install"; exit 1; }
start_controller
S="$SLIPWAY_BUILD_ROOT/cli/kubectl-slipway"
s() { "$S" -n "$TEST_NS" "$@"; }

ok "the Services are created" apply_bluegreen_services
strategy="  strategy:
    blueGreen:
      activeService: web
      previewService: web-preview
      autoPromotionEnabled: false
      previewReplicaCount: 1
      scaleDownDelaySeconds: 15
      abortScaleDownDelaySeconds: 5
      activeMetadata: {labels: {role: active}}
      previewMetadata: {labels: {role: preview}}"
apply_release web registry.example/web:1 3 "$strategy"
ok "the first template becomes Ready" k wait --for=condition=Ready release/web --timeout=120s
start_traffic_watch web "$(mktemp -d)" svc

rev() { k get release web -o jsonpath="{.status.$1}"; }
rs_of() { k get rs -l "slipway.dev/revision=$1" -o jsonpath="$2"; }
pods_with() { [ "$(k get pods -l "slipway.dev/revision=$1,role=$2" -o name | wc -l)" -eq "$3" ]; }
event_exists() { k get events.events.k8s.io -o jsonpath='{range .items[*]}{.reason}{"\n"}{end}' | grep -qx "$1"; }
stage_is() { jsonpath_is release/web '{.status.currentStepIndex} {.status.phase}' "$1"; }
r1=$(rev stableRevision)
ok "both Services select the first revision" until_true 30 sh -c "[ \"\$(kubectl -n $TEST_NS get svc web web-preview -o jsonpath='{.items[*].spec.selector.slipway\.dev/revision}')\" = '$r1 $r1' ]"
ok "its pods are labelled role=active" until_true 30 pods_with "$r1" active 3

set_image web registry.example/web:2
ok "a new image previews on one pod and pauses (stage 2)" until_true 60 stage_is "2 Paused"
r2=$(rev currentRevision)
ok "previewService selects the new revision" until_true 30 service_selects web-preview "$r2"
ok "activeService still the old one" service_selects web "$r1"
ok "the preview's pod is labelled role=preview" until_true 30 pods_with "$r2" preview 1
ok "kubectl slipway get shows both Services" sh -c "s() { \"$S\" -n $TEST_NS \"\$@\"; }; s get web | grep -q 'Active:     Service web -> revision $r1' && s get web | grep -q 'Waiting:    waiting for promote'"

k scale release web --replicas=4 >/dev/null
ok "kubectl scale mid-rollout: the active revision goes to 4 pods" until_true 60 sh -c "[ \"\$(kubectl -n $TEST_NS get rs -l slipway.dev/revision=$r1 -o jsonpath='{.items[0].status.availableReplicas}')\" = 4 ]"
ok "the preview keeps previewReplicaCount" jsonpath_is "rs/web-$r2" '{.spec.replicas}' 1

ok "kubectl slipway promote" s promote web
ok "activeService switches to the new revision" until_true 90 service_selects web "$r2"
ok "which had all 4 pods" jsonpath_is "rs/web-$r2" '{.status.availableReplicas}' 4
ok "the rollout completes" until_true 60 jsonpath_is release/web '{.status.phase} {.status.stableRevision}' "Healthy $r2"
ok "the old revision is still up during scaleDownDelaySeconds" jsonpath_is "rs/web-$r1" '{.spec.replicas}' 4
ok "with a scale-down deadline" sh -c "kubectl -n $TEST_NS get rs web-$r1 -o json | grep -q scale-down-deadline"
ok "labels follow: the new pods role=active" until_true 30 pods_with "$r2" active 4
ok "the old pods lose role" until_true 30 pods_with "$r1" active 0
ok "the old revision scales down after its delay" until_true 60 jsonpath_is "rs/web-$r1" '{.spec.replicas}' 0

k patch release web --type=merge -p '{"spec":{"strategy":{"blueGreen":{"autoPromotionEnabled":true,"autoPromotionSeconds":3}}}}' >/dev/null
set_image web registry.example/web:3
ok "autoPromotionSeconds: promoted on its own" until_true 90 jsonpath_is release/web '{.status.phase} {.status.stableRevision}' "Healthy $(rev currentRevision)"
r3=$(rev currentRevision)
ok "activeService on it" until_true 30 service_selects web "$r3"
ok "with an AutoPromoted Event" event_exists AutoPromoted
n_rs=$(k get rs -l app=web -o name | wc -l)
uid2=$(k get rs "web-$r2" -o jsonpath='{.metadata.uid}')
ok "the previous revision is still up" jsonpath_is "rs/web-$r2" '{.status.availableReplicas}' 4
set_image web registry.example/web:2
ok "re-applying it switches straight back" until_true 20 service_selects web "$r2"
ok "and it is stable again" until_true 30 jsonpath_is release/web '{.status.phase} {.status.stableRevision}' "Healthy $r2"
ok "the same ReplicaSet, no new one" sh -c "[ \"\$(kubectl -n $TEST_NS get rs web-$r2 -o jsonpath='{.metadata.uid}')\" = $uid2 ] && [ \$(kubectl -n $TEST_NS get rs -l app=web -o name | wc -l) -eq $n_rs ]"

k patch release web --type=merge -p '{"spec":{"strategy":{"blueGreen":{"autoPromotionEnabled":false,"autoPromotionSeconds":null}}}}' >/dev/null
set_image web registry.example/web:4
ok "another image previews and pauses" until_true 60 stage_is "2 Paused"
r4=$(rev currentRevision)
ok "previewService on it" until_true 30 service_selects web-preview "$r4"
ok "kubectl slipway abort" s abort web
ok "aborted: previewService back to the stable revision" until_true 30 service_selects web-preview "$r2"
ok "activeService never left it" service_selects web "$r2"
ok "Degraded, RolloutAborted" until_true 30 jsonpath_is release/web '{.status.phase}' Degraded
ok "the aborted revision scales down after abortScaleDownDelaySeconds" until_true 60 jsonpath_is "rs/web-$r4" '{.spec.replicas}' 0

stop_traffic_watch
ok "activeService never moved to a revision without all its pods" check_active_invariants web
# After the watch: this change is someone else's, not the controller's.
k patch service web --type=merge -p "{\"spec\":{\"selector\":{\"slipway.dev/revision\":\"$r4\"}}}" >/dev/null
ok "activeService changed by someone else is put back" until_true 30 service_selects web "$r2"
ok "with a TrafficDriftCorrected Event" until_true 15 event_exists TrafficDriftCorrected
ok "no request was refused" bash -c "! grep -q 'reconcile failed' '$CONTROLLER_LOG'"
done_testing
