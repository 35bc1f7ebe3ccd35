#!/usr/bin/env bash
# deploy/rbac.yaml is enough: the controller, authenticated as the
# slipway-controller ServiceAccount with exactly those rights, leads, rolls a
# Release out, updates it and restarts its pods, and no request of its is
# forbidden.
. "$(dirname "$0")/lib.sh"
use_test_namespace rbac
install_crds || { echo "Bail out! CRDs did not install"; exit 1; }

ok "deploy/rbac.yaml applies" kubectl apply -f "$SLIPWAY_SOURCE_ROOT/deploy/rbac.yaml"
token=$(kubectl -n slipway-system create token slipway-controller --duration=10m)
sa_kubeconfig=$(mktemp)
server=$(kubectl config view --minify --raw -o jsonpath='{.clusters[0].cluster.server}')
ca=$(kubectl config view --minify --raw -o jsonpath='{.clusters[0].cluster.certificate-authority-data}')
cat >"$sa_kubeconfig" <<YAML
apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "$server", certificate-authority-data: "$ca"}}]
users: [{name: sa, user: {token: "$token"}}]
contexts: [{name: c, context: {cluster: c, user: sa, namespace: slipway-system}}]
current-context: c
YAML
refused() { ! "$@" >/dev/null 2>&1; }
ok "the ServiceAccount may not read Secrets (the rights are narrow)" \
	refused kubectl --kubeconfig "$sa_kubeconfig" get secrets -A

CONTROLLER_LOG=$(mktemp)
"$SLIPWAY_BUILD_ROOT/controller/slipway-controller" --kubeconfig "$sa_kubeconfig" \
	--leader-election-namespace slipway-system --leader-election-id "slipway-rbac-$$" \
	--metrics-address 0 --log-format json >"$CONTROLLER_LOG" 2>&1 &
CONTROLLER_PID=$!
trap 'stop_controller; kubectl -n slipway-system delete lease "slipway-rbac-$$" >/dev/null 2>&1; rm -f "$sa_kubeconfig" "$CONTROLLER_LOG"; kubectl delete namespace "$TEST_NS" --wait=false >/dev/null 2>&1' EXIT

held() { [ -n "$(kubectl -n slipway-system get lease "slipway-rbac-$$" -o jsonpath='{.spec.holderIdentity}' 2>/dev/null)" ]; }
ok "it takes the Lease in slipway-system" until_true 20 held
apply_release web registry.example/web:1 3
ok "it rolls a Release out" k wait --for=condition=Ready release/web --timeout=60s
set_image web registry.example/web:2
ok "and an update of it" until_true 60 rolled_out web 2 3
sleep 1 # so that every pod is older than restartAt
restart_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)
k patch release web --type merge -p "{\"spec\":{\"restartAt\":\"$restart_at\"}}" >/dev/null
ok "and a restart of its pods (watching and evicting pods)" \
	until_true 60 jsonpath_is release/web '{.status.restartedAt}' "$restart_at"
ours() { k get events.events.k8s.io -o jsonpath='{.items[*].reportingController}' | grep -q slipway.dev/controller; }
ok "its Events were accepted" until_true 20 ours
# A namespace an earlier test left Terminating refuses new objects with 403
# too (NamespaceLifecycle, not RBAC): the controller watches every namespace.
rbac_refusals() { grep -i forbidden "$CONTROLLER_LOG" | grep -v 'because it is being terminated'; }
ok "no request was forbidden by RBAC" refused rbac_refusals

done_testing
