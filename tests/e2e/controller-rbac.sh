#!/usr/bin/env bash
# deploy/rbac.yaml is enough: the controller, authenticated as the
# slipway-controller ServiceAccount with exactly those rights, leads, rolls a
# Release out and updates it, and no request of its is forbidden.
. "$(dirname "$0")/lib.sh"
use_test_namespace rbac
install_crds || { echo "Bail out! CRDs did not install"; exit 1; }
k() { kubectl -n "$TEST_NS" "$@"; }

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
ok "the ServiceAccount may not read Secrets (the rights are narrow)" \
	sh -c "! kubectl --kubeconfig '$sa_kubeconfig' get secrets -A >/dev/null 2>&1"

CONTROLLER_LOG=$(mktemp)
"$SLIPWAY_BUILD_ROOT/controller/slipway-controller" --kubeconfig "$sa_kubeconfig" \
	--leader-election-namespace slipway-system --leader-election-id "slipway-rbac-$$" \
	--metrics-address 0 --log-format json >"$CONTROLLER_LOG" 2>&1 &
CONTROLLER_PID=$!
trap 'stop_controller; kubectl -n slipway-system delete lease "slipway-rbac-$$" >/dev/null 2>&1; rm -f "$sa_kubeconfig" "$CONTROLLER_LOG"; kubectl delete namespace "$TEST_NS" --wait=false >/dev/null 2>&1' EXIT

ok "it takes the Lease in slipway-system" until_true 20 sh -c \
	"kubectl -n slipway-system get lease slipway-rbac-$$ -o jsonpath='{.spec.holderIdentity}' | grep -q ."
cat <<YAML | k apply -f - >/dev/null
apiVersion: slipway.dev/v1alpha1
kind: Release
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: registry.example/web:1}]}
YAML
ok "it rolls a Release out" k wait --for=condition=Ready release/web --timeout=60s
k patch release web --type=merge -p '{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"registry.example/web:2"}]}}}}' >/dev/null
ok "and an update of it" until_true 60 sh -c \
	"[ \"\$(kubectl -n $TEST_NS get release web -o jsonpath='{.status.observedGeneration}/{.status.updatedReplicas}/{.status.availableReplicas}')\" = 2/3/3 ] && kubectl -n $TEST_NS wait --for=condition=Ready release/web --timeout=1s >/dev/null"
ok "its Events were accepted" until_true 20 sh -c \
	"kubectl -n $TEST_NS get events.events.k8s.io -o jsonpath='{.items[*].reportingController}' | grep -q slipway.dev/controller"
ok "no request was forbidden" sh -c "! grep -qi forbidden '$CONTROLLER_LOG'"

done_testing
