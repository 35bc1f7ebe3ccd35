#!/usr/bin/env bash
# The controller image (deploy/image/build: no container engine, umoci): its
# config runs /slipway-controller as 65532; it holds the binary, its shared
# libraries and /etc, nothing else; and its file system, unpacked, runs the
# controller against the test cluster the way a pod would: as uid 65532,
# root file system read-only (a bind mount in a private mount namespace,
# chroot), configured in-cluster only (KUBERNETES_SERVICE_HOST/PORT and the
# ServiceAccount's token and CA at /var/run/secrets/kubernetes.io/serviceaccount),
# and rolls a Release out. No OCI runtime (runc, crun) is used: that is not
# proven here.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" -eq 0 ] || { echo "1..0 # SKIP needs root (chroot, mount namespace)"; exit 0; }
command -v umoci >/dev/null || { echo "1..0 # SKIP no umoci (scripts/install-deps installs it)"; exit 0; }
use_test_namespace image
install_crds || { echo "Bail out! CRDs did not install"; exit 1; }
out=$SLIPWAY_BUILD_ROOT/image
bundle=$(mktemp -d)
sa=$(mktemp -d)
cleanup() {
	stop_controller
	kubectl -n slipway-system delete lease "slipway-image-$$" >/dev/null 2>&1
	rm -rf "$bundle" "$sa"
	kubectl delete namespace "$TEST_NS" --wait=false >/dev/null 2>&1
}
trap cleanup EXIT

ok "deploy/image/build builds an OCI image" "$SLIPWAY_SOURCE_ROOT/deploy/image/build" "$out"
tag=$(jq -r '.manifests[0].annotations["org.opencontainers.image.ref.name"]' "$out/oci/index.json")
ok "umoci unpacks it" umoci unpack --image "$out/oci:$tag" "$bundle/b"
config_is() { jq -e '.process.user.uid == 65532 and .process.user.gid == 65532 and .process.args == ["/slipway-controller"]' "$bundle/b/config.json"; }
ok "it runs /slipway-controller as 65532:65532" config_is
rootfs=$bundle/b/rootfs
only_libs() { # every file is the binary, a shared library or under /etc
	local extra
	extra=$(cd "$rootfs" && find . -type f ! -path ./slipway-controller ! -path './etc/*' ! -name '*.so*')
	[ -z "$extra" ] || { echo "unexpected: $extra"; return 1; }
}
ok "it holds only the binary, its libraries and /etc" only_libs
ok "the image is small (under 40 MB unpacked)" test "$(du -sm "$rootfs" | cut -f1)" -lt 40

kubectl apply -f "$SLIPWAY_SOURCE_ROOT/deploy/rbac.yaml" >/dev/null
kubectl -n slipway-system create token slipway-controller --duration=10m >"$sa/token"
kubectl config view --minify --raw -o jsonpath='{.clusters[0].cluster.certificate-authority-data}' | base64 -d >"$sa/ca.crt"
echo slipway-system >"$sa/namespace"
server=$(kubectl config view --minify --raw -o jsonpath='{.clusters[0].cluster.server}')
hostport=${server#https://}
chmod 755 "$sa" && chmod 644 "$sa"/*
CONTROLLER_LOG=$(mktemp)
# The pod's view: the runtime makes the mount point, mounts the root
# read-only and the ServiceAccount volume on it; the process gets only the
# environment the kubelet sets.
sa_dir=/var/run/secrets/kubernetes.io/serviceaccount
mkdir -p "$rootfs$sa_dir"
unshare -m sh -c '
	set -e
	mount --bind "$1" "$1" && mount -o remount,bind,ro "$1"
	mount --bind "$2" "$1$3" && mount -o remount,bind,ro "$1$3"
	exec env -i KUBERNETES_SERVICE_HOST="$4" KUBERNETES_SERVICE_PORT="$5" \
		POD_NAMESPACE=slipway-system SLIPWAY_IDENTITY=image-e2e \
		"$(command -v chroot)" --userspec=65532:65532 "$1" /slipway-controller \
		--namespaces "$6" --leader-election-id "$7" --metrics-address 0
' sh "$rootfs" "$sa" "$sa_dir" "${hostport%:*}" "${hostport##*:}" "$TEST_NS" "slipway-image-$$" >"$CONTROLLER_LOG" 2>&1 &
CONTROLLER_PID=$!

in_cluster() { grep -q 'in-cluster' "$CONTROLLER_LOG"; }
ok "the controller in the image starts with the in-cluster configuration" until_true 20 in_cluster
held() { [ "$(kubectl -n slipway-system get lease "slipway-image-$$" -o jsonpath='{.spec.holderIdentity}' 2>/dev/null)" = image-e2e ]; }
ok "it takes the Lease (the pod's namespace)" until_true 30 held
ok "as uid 65532" test "$(ps -o uid= -p "$CONTROLLER_PID" | tr -d ' ')" = 65532
apply_release web registry.example/web:1 3
ok "it rolls a Release out" k wait --for=condition=Ready release/web --timeout=60s
set_image web registry.example/web:2
ok "and an update of it" until_true 60 rolled_out web 2 3
refused() { ! "$@" >/dev/null 2>&1; }
ok "nothing failed for a read-only root file system" refused grep -qiE 'read-only|EROFS' "$CONTROLLER_LOG"

done_testing
