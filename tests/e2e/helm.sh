#!/usr/bin/env bash
# The Helm chart (deploy/helm/slipway), with the real helm on the real control
# plane: its output passes server-side validation, its values schema refuses
# a wrong type, it installs; the controller, run out of cluster with the
# token of the chart's ServiceAccount and the Deployment's own arguments,
# rolls a Release out in the watched namespace and is refused what the chart
# does not grant; an upgrade changes the objects; an uninstall keeps the CRDs
# and the Releases.
. "$(dirname "$0")/lib.sh"
command -v helm >/dev/null || { echo "1..0 # SKIP no helm on PATH (./check puts it there)"; exit 0; }
use_test_namespace helm
install_crds || { echo "Bail out! CRDs did not install"; exit 1; }
chart=$SLIPWAY_SOURCE_ROOT/deploy/helm/slipway
apps=$TEST_NS-apps
kubectl create namespace "$apps" >/dev/null
# Its own names: deploy/rbac.yaml's slipway-controller objects may exist.
cname=slipway-helm-$$
rel=slipway-$$
sa_kubeconfig=$(mktemp)
CONTROLLER_LOG=$(mktemp)
cleanup() {
	stop_controller
	helm uninstall -n "$TEST_NS" "$rel" >/dev/null 2>&1
	rm -f "$sa_kubeconfig" "$CONTROLLER_LOG"
	kubectl delete namespace "$TEST_NS" "$apps" --wait=false >/dev/null 2>&1
}
trap cleanup EXIT
values=(--set fullnameOverride="$cname" --set "watchNamespaces={$apps}")

server_accepts() { # helm template ARGS... | kubectl apply --dry-run=server
	helm template "$rel" "$chart" -n "$TEST_NS" --include-crds "$@" |
		kubectl apply --server-side --dry-run=server --force-conflicts -f -
}
ok "helm template (defaults) passes kubectl apply --dry-run=server" server_accepts --set fullnameOverride="$cname"
ok "and with watched namespaces, one replica, no leader election" \
	server_accepts "${values[@]}" --set replicaCount=1 --set leaderElection.enabled=false
# deploy/install.yaml creates slipway-system; a dry run does not, so make it first.
kubectl create namespace slipway-system >/dev/null 2>&1
ok "deploy/install.yaml passes kubectl apply --dry-run=server" \
	kubectl apply --server-side --dry-run=server --force-conflicts -f "$SLIPWAY_SOURCE_ROOT/deploy/install.yaml"
ok "a ServiceMonitor is rendered only when asked for" \
	bash -c "helm template x '$chart' --set metrics.serviceMonitor.enabled=true | grep -q '^kind: ServiceMonitor' &&
		! helm template x '$chart' | grep -q '^kind: ServiceMonitor'"

schema_refuses() { # WANT-TEXT ARGS...: helm install fails, saying WANT-TEXT, and installs nothing
	local want=$1 out
	shift
	out=$(helm install "$rel" "$chart" -n "$TEST_NS" "${values[@]}" "$@" 2>&1) && { echo "installed: $out"; return 1; }
	grep -qF -- "$want" <<<"$out" || { echo "$out"; return 1; }
	[ -z "$(helm list -n "$TEST_NS" -q)" ] || { echo "a release was recorded"; return 1; }
}
ok "the schema refuses workers=many: at '/workers': got string, want integer" \
	schema_refuses "at '/workers': got string, want integer" --set workers=many
ok "and logFormat=xml (not logfmt or json)" schema_refuses "/logFormat" --set logFormat=xml
ok "and an unknown value (a typo)" schema_refuses "additional properties 'wrokers' not allowed" --set wrokers=2

ok "two replicas without leader election are refused" \
	schema_refuses "replicaCount > 1 needs leaderElection.enabled" --set leaderElection.enabled=false
ok "helm install --wait" helm install "$rel" "$chart" -n "$TEST_NS" "${values[@]}" --wait --timeout 90s
exists() { kubectl get "$@" >/dev/null; }
refused() { ! "$@" >/dev/null 2>&1; }
ok "the ServiceAccount, Role and RoleBinding (Lease) exist" \
	exists -n "$TEST_NS" serviceaccount/"$cname" role/"$cname"-leader-election rolebinding/"$cname"-leader-election
ok "the ClusterRole, and a RoleBinding in the watched namespace" \
	exists clusterrole/"$cname" -n "$apps" rolebinding/"$cname"
ok "no ClusterRoleBinding when namespaces are given" refused kubectl get clusterrolebinding "$cname"
ok "the Deployment has 2 ready replicas" jsonpath_is deploy/"$cname" '{.status.readyReplicas}' 2
ok "the PodDisruptionBudget keeps one" jsonpath_is pdb/"$cname" '{.spec.minAvailable}' 1
ok "the metrics Service selects the controller pods" \
	jsonpath_is service/"$cname"-metrics '{.spec.ports[0].port}/{.spec.selector.app\.kubernetes\.io/name}' 8080/slipway-controller
ok "the pods run non-root, read-only, no privilege escalation, seccomp RuntimeDefault, 10m/32Mi" \
	jsonpath_is deploy/"$cname" \
	'{.spec.template.spec.securityContext.runAsNonRoot}/{.spec.template.spec.securityContext.seccompProfile.type}/{.spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem}/{.spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation}/{.spec.template.spec.containers[0].resources.requests.cpu}/{.spec.template.spec.containers[0].resources.requests.memory}' \
	true/RuntimeDefault/true/false/10m/32Mi

# The ServiceAccount's token, as the pods would have it.
token=$(kubectl -n "$TEST_NS" create token "$cname" --duration=10m)
server=$(kubectl config view --minify --raw -o jsonpath='{.clusters[0].cluster.server}')
ca=$(kubectl config view --minify --raw -o jsonpath='{.clusters[0].cluster.certificate-authority-data}')
cat >"$sa_kubeconfig" <<YAML
apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "$server", certificate-authority-data: "$ca"}}]
users: [{name: sa, user: {token: "$token"}}]
contexts: [{name: c, context: {cluster: c, user: sa, namespace: $TEST_NS}}]
current-context: c
YAML
forbidden() { # kubectl ARGS... as the ServiceAccount: refused as forbidden
	local out
	out=$(kubectl --kubeconfig "$sa_kubeconfig" "$@" 2>&1) && { echo "allowed: $out"; return 1; }
	grep -q Forbidden <<<"$out" || grep -q forbidden <<<"$out" || { echo "$out"; return 1; }
}
ok "the ServiceAccount may not delete a Namespace" forbidden delete namespace "$apps" --dry-run=server
ok "nor write a Secret" forbidden -n "$apps" create secret generic x --from-literal=a=b --dry-run=server
ok "nor read Releases outside the watched namespace" forbidden -n default get releases

# The Deployment's own arguments (so the chart's flags are the controller's
# real ones), but for the metrics port; its identity as the pod would set it.
mapfile -t args < <(kubectl -n "$TEST_NS" get deploy "$cname" -o json | jq -r '.spec.template.spec.containers[0].args[]')
SLIPWAY_IDENTITY=helm-e2e-$$ "$SLIPWAY_BUILD_ROOT/controller/slipway-controller" \
	--kubeconfig "$sa_kubeconfig" "${args[@]}" --metrics-address 0 >"$CONTROLLER_LOG" 2>&1 &
CONTROLLER_PID=$!
held() { [ "$(kubectl -n "$TEST_NS" get lease slipway-controller -o jsonpath='{.spec.holderIdentity}' 2>/dev/null)" = "helm-e2e-$$" ]; }
ok "with the Deployment's arguments it takes the Lease in the release namespace" until_true 30 held
TEST_NS=$apps apply_release web registry.example/web:1 3
ok "it rolls a Release out in the watched namespace" kubectl -n "$apps" wait --for=condition=Ready release/web --timeout=60s
TEST_NS=$apps set_image web registry.example/web:2
apps_rolled_out() { TEST_NS=$apps rolled_out web 2 3; }
ok "and an update of it" until_true 60 apps_rolled_out
ok "no request of the controller was forbidden" refused grep -qi forbidden "$CONTROLLER_LOG"
stop_controller

ok "helm upgrade with changed values" helm upgrade "$rel" "$chart" -n "$TEST_NS" --reuse-values \
	--set workers=2 --set logFormat=logfmt --set replicaCount=3 --set-json 'nodeSelector={"disk":"ssd"}' \
	--set podDisruptionBudget.minAvailable=2
args_have() { kubectl -n "$TEST_NS" get deploy "$cname" -o jsonpath='{.spec.template.spec.containers[0].args}' | jq -e --arg a "$1" 'index($a) != null' >/dev/null; }
upgraded() {
	args_have --workers=2 && args_have --log-format=logfmt || return 1
	jsonpath_is deploy/"$cname" '{.spec.replicas}/{.spec.template.spec.nodeSelector.disk}' 3/ssd &&
		jsonpath_is pdb/"$cname" '{.spec.minAvailable}' 2
}
ok "takes effect: --workers=2, --log-format=logfmt, 3 replicas, the nodeSelector, minAvailable 2" upgraded

ok "helm uninstall" helm uninstall -n "$TEST_NS" "$rel" --wait --timeout 60s
ok "removes the Deployment" refused kubectl -n "$TEST_NS" get deploy "$cname"
ok "and the ClusterRole" refused kubectl get clusterrole "$cname"
ok "keeps the CRDs" exists crd/releases.slipway.dev crd/analysisruns.slipway.dev crd/analysistemplates.slipway.dev crd/clusteranalysistemplates.slipway.dev
ok "and the Releases" exists -n "$apps" release/web

done_testing
