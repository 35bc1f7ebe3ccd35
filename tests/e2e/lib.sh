# Shared helpers for end-to-end tests (sourced). Each test is a TAP program
# that talks to the cluster in $KUBECONFIG with the kubectl on PATH (./check
# puts the pinned kubectl from tests/cluster/build-tools first).

set -u

if [ -z "${KUBECONFIG:-}" ] || [ ! -r "$KUBECONFIG" ]; then
	echo "1..0 # SKIP no cluster: KUBECONFIG is unset (run through ./check)"
	exit 0
fi

tap_n=0
tap_failed=0

# ok NAME COMMAND...: one check; the command's output is shown on failure.
ok() {
	local name=$1 out
	shift
	tap_n=$((tap_n + 1))
	if out=$("$@" 2>&1); then
		echo "ok $tap_n - $name"
	else
		tap_failed=$((tap_failed + 1))
		echo "not ok $tap_n - $name"
		# Enough to see why, not a whole object dump.
		printf '%s\n' "$out" | head -n 20 | cut -c1-400 | sed 's/^/#   /'
	fi
}

# done_testing: prints the plan and exits non-zero when a check failed.
done_testing() {
	echo "1..$tap_n"
	[ "$tap_failed" -eq 0 ]
	exit $?
}

# A namespace of this test's own, deleted on exit so tests do not see each other.
use_test_namespace() {
	export TEST_NS="e2e-$1-$$"
	kubectl create namespace "$TEST_NS" >/dev/null
	trap 'kubectl delete namespace "$TEST_NS" --wait=false >/dev/null 2>&1' EXIT
}

# until_true TIMEOUT_SECONDS COMMAND...: polls every 0.5 s until the command succeeds.
until_true() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		[ $SECONDS -ge $deadline ] && return 1
		sleep 0.5
	done
}

# start_controller [ARGS...]: runs slipway-controller in the background,
# scoped to this test's namespace and without leader election unless ARGS
# say otherwise, logging to $CONTROLLER_LOG; stopped when the test exits.
# CONTROLLER_PID is its PID.
start_controller() {
	CONTROLLER_LOG=${CONTROLLER_LOG:-$(mktemp /tmp/slipway-controller.XXXXXX.log)}
	"$SLIPWAY_BUILD_ROOT/controller/slipway-controller" --kubeconfig "$KUBECONFIG" \
		--namespaces "$TEST_NS" --leader-elect=false --metrics-address 0 "$@" >>"$CONTROLLER_LOG" 2>&1 &
	CONTROLLER_PID=$!
	trap 'stop_controller; kubectl delete namespace "$TEST_NS" --wait=false >/dev/null 2>&1' EXIT
}

# stop_controller [SIGNAL]: stops the controller started by start_controller
# (TERM by default) and waits for it; prints its log when a test failed.
stop_controller() {
	[ -n "${CONTROLLER_PID:-}" ] || return 0
	kill "-${1:-TERM}" "$CONTROLLER_PID" 2>/dev/null
	wait "$CONTROLLER_PID" 2>/dev/null
	CONTROLLER_PID=
	if [ "$tap_failed" -gt 0 ] && [ -f "$CONTROLLER_LOG" ]; then
		echo "# controller log (last 30 lines):"
		tail -n 30 "$CONTROLLER_LOG" | cut -c1-300 | sed 's/^/#   /'
	fi
}

# install_crds: the CRDs from the source tree, established.
install_crds() {
	kubectl apply --server-side --force-conflicts -f "$SLIPWAY_SOURCE_ROOT/crds/" >/dev/null &&
		until_true 30 kubectl wait --for=condition=Established crd/releases.slipway.dev --timeout=5s >/dev/null
}
