# Shared helpers for end-to-end tests against the cluster (sourced). Each
# test is a TAP program (tap.sh) that talks to the cluster in $KUBECONFIG with
# the kubectl on PATH (./check puts the pinned kubectl first).

. "$(dirname "${BASH_SOURCE[0]}")/tap.sh"

if [ -z "${KUBECONFIG:-}" ] || [ ! -r "$KUBECONFIG" ]; then
	echo "1..0 # SKIP no cluster: KUBECONFIG is unset (run through ./check)"
	exit 0
fi

# A namespace of this test's own, deleted on exit so tests do not see each other.
use_test_namespace() {
	export TEST_NS="e2e-$1-$$"
	kubectl create namespace "$TEST_NS" >/dev/null
	trap 'kubectl delete namespace "$TEST_NS" --wait=false >/dev/null 2>&1' EXIT
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

# k ARGS...: kubectl in the test's namespace.
k() { kubectl -n "$TEST_NS" "$@"; }

# release_yaml NAME IMAGE REPLICAS [SPEC-LINES]: a Release whose pods are
# labelled app=NAME; SPEC-LINES (indented two spaces) are added to its spec.
release_yaml() {
	cat <<YAML
apiVersion: slipway.dev/v1alpha1
kind: Release
metadata: {name: $1}
spec:
  replicas: $3
  selector: {matchLabels: {app: $1}}
  template:
    metadata: {labels: {app: $1}}
    spec:
      containers: [{name: app, image: "$2"}]
${4:-}
YAML
}

# apply_release NAME IMAGE REPLICAS [SPEC-LINES]: applies release_yaml.
apply_release() { release_yaml "$@" | k apply -f - >/dev/null; }

# set_image NAME IMAGE: changes the image of the Release's one container.
set_image() {
	k patch release "$1" --type=json \
		-p "[{\"op\":\"replace\",\"path\":\"/spec/template/spec/containers/0/image\",\"value\":\"$2\"}]" >/dev/null
}

# jsonpath_is OBJECT TEMPLATE WANT: `k get OBJECT -o jsonpath=TEMPLATE` prints WANT.
jsonpath_is() {
	local got
	got=$(k get "$1" -o jsonpath="$2") || return 1
	[ "$got" = "$3" ] || { echo "$1 $2: got '$got', want '$3'"; return 1; }
}

# rolled_out NAME GENERATION REPLICAS: the Release observed GENERATION and has
# REPLICAS pods updated and available, of REPLICAS in all, and is Ready.
rolled_out() {
	jsonpath_is "release/$1" \
		'{.status.observedGeneration}/{.status.updatedReplicas}/{.status.availableReplicas}/{.status.replicas}' \
		"$2/$3/$3/$3" && k wait --for=condition=Ready "release/$1" --timeout=1s >/dev/null
}

# The audit log of tests/cluster/up: kube-apiserver logs the writes of the
# user slipway-audited, and only those, to audit.log next to $KUBECONFIG; a
# process given $AUDITED_KUBECONFIG is that user. audit_ready succeeds when the
# cluster has both (an older tests/cluster/up did not), else says what lacks.
AUDIT_LOG=$(dirname "$KUBECONFIG")/audit.log
AUDITED_KUBECONFIG=$(dirname "$KUBECONFIG")/audited-kubeconfig
audit_ready() {
	[ -r "$AUDIT_LOG" ] && [ -r "$AUDITED_KUBECONFIG" ] ||
		{ echo "no $AUDIT_LOG or $AUDITED_KUBECONFIG (the cluster predates them)" >&2; return 1; }
}

# audit_offset: where the audit log ends now; the lines after it are requests
# that completed from now on (the server writes a line before responding).
audit_offset() { stat -c %s "$AUDIT_LOG"; }

# audited_list OFFSET NAMESPACE: "VERB RESOURCE NAME CODE" of each write by
# the audited user in NAMESPACE after OFFSET, the Lease excluded (renewing or
# contending for it is the election, not a write it guards).
audited_list() {
	tail -c +$(($1 + 1)) "$AUDIT_LOG" | jq -r --arg ns "$2" '
		select(.user.username == "slipway-audited" and .objectRef.namespace == $ns
		       and .objectRef.resource != "leases")
		| "\(.verb) \(.objectRef.resource)\(if .objectRef.subresource then "/" + .objectRef.subresource else "" end) \(.objectRef.name // "-") \(.responseStatus.code)"'
}

# audited_writes OFFSET NAMESPACE: how many audited_list prints.
audited_writes() { audited_list "$@" | wc -l; }

# Traffic watch (canary-gateway.sh, canary-sigkill.sh). Method: three
# `kubectl get --watch` streams (HTTPRoutes, ReplicaSets, the Release) each
# print one line per observed state, stamped with its resourceVersion; the
# streams are merged by stamp into one ordered history. On the test cluster
# every kind lives in one etcd, whose revision a resourceVersion is, so the
# merged order is the order the API server committed the states in. (Receive
# time was not: a ReplicaSet's availability could arrive a few milliseconds
# after the route change the controller had made because of it.)
# start_traffic_watch RELEASE DIR [KIND]: starts the three watchers writing
# to DIR; KIND is the routers' (route: HTTPRoutes, the default; svc: the
# namespace's Services, for blue-green).
start_traffic_watch() {
	TRAFFIC_DIR=$2
	mkdir -p "$TRAFFIC_DIR"
	local stamp="$SLIPWAY_SOURCE_ROOT/tests/e2e/watch-stamp.py"
	: >"$TRAFFIC_DIR/route"
	if [ "${3:-route}" = svc ]; then
		kubectl -n "$TEST_NS" get services -w -o json 2>/dev/null > >(python3 "$stamp" svc >"$TRAFFIC_DIR/route") &
	else
		kubectl -n "$TEST_NS" get httproutes -w -o json 2>/dev/null > >(python3 "$stamp" route >"$TRAFFIC_DIR/route") &
	fi
	TRAFFIC_PIDS="$!"
	kubectl -n "$TEST_NS" get rs -l "app=$1" -w -o json 2>/dev/null > >(python3 "$stamp" rs >"$TRAFFIC_DIR/rs") &
	TRAFFIC_PIDS="$TRAFFIC_PIDS $!"
	kubectl -n "$TEST_NS" get release "$1" -w -o json 2>/dev/null > >(python3 "$stamp" release >"$TRAFFIC_DIR/release") &
	TRAFFIC_PIDS="$TRAFFIC_PIDS $!"
	sleep 1
}

# stop_traffic_watch: stops the watchers; leaves $TRAFFIC_DIR/history.
stop_traffic_watch() {
	local p
	for p in $TRAFFIC_PIDS; do kill "$p" 2>/dev/null; done
	for p in $TRAFFIC_PIDS; do wait "$p" 2>/dev/null; done
	sleep 0.2 # the stampers flush on EOF
	sort -s -n -k1,1 "$TRAFFIC_DIR"/route "$TRAFFIC_DIR"/rs "$TRAFFIC_DIR"/release >"$TRAFFIC_DIR/history"
}

# check_traffic_invariants STABLE_SVC CANARY_SVC STEP_WEIGHTS: over the merged
# history, every canary weight is 0, 100 or a setWeight value, and never more
# than the step the Release status has recorded for that canary allows. STEP_WEIGHTS
# has one word per step: its setWeight, or - for any other step; a recorded
# status.currentStepIndex k allows the highest setWeight of steps 0..k (the
# controller records a step before it moves the routers to it). A canary
# weight > 0 only while the canary revision (status.currentRevision) has a
# ReplicaSet with at least one available pod.
check_traffic_invariants() {
	awk -v canary="$2" -v steps="$3" '
	BEGIN {
		n = split(steps, a, " "); ok[0] = 1; ok[100] = 1; reach[n] = 100; high = 0; top = 0
		for (i = 1; i <= n; i++) { if (a[i] != "-") { ok[a[i]] = 1; if (a[i] + 0 > top) top = a[i] + 0 } reach[i - 1] = top }
	}
	$2 == "release" {
		if ($4 != cur) high = 0
		cur = $4; if ($6 in reach && reach[$6] > high) high = reach[$6]; next
	}
	$2 == "rs" { avail[$4] = $5 + 0; next }
	$2 == "route" {
		states++
		for (i = 4; i <= NF; i++) {
			split($i, kv, "="); if (kv[1] != canary) continue
			w = kv[2] + 0
			if (!(w in ok)) { printf "state %d: canary weight %d is no step weight\n", states, w; bad = 1 }
			if (w > high && w < 100) { printf "state %d: canary weight %d > highest step reached %d\n", states, w, high; bad = 1 }
			if (w > 0 && avail[cur] + 0 == 0) { printf "state %d: weight %d to revision %s with 0 available pods\n", states, w, cur; bad = 1 }
		}
	}
	END { if (states < 2) { printf "only %d route states observed\n", states; bad = 1 } exit bad }' "$TRAFFIC_DIR/history"
}

# output_has TEXT COMMAND...: the command succeeds and prints TEXT.
output_has() {
	local text=$1 out
	shift
	out=$("$@" 2>&1) || { echo "$out"; return 1; }
	grep -qF -- "$text" <<<"$out" || { echo "$out"; return 1; }
}

# documented CRD: succeeds when every field of the CRD as served (but the
# generated pod template's: `kubectl explain pod`) has a description; prints
# the fields without one.
documented() {
	kubectl get crd "$1" -o json | python3 -c '
import json, sys
def walk(node, path):
    for key, sub in (node.get("properties") or {}).items():
        p = path + "." + key
        if p == ".spec.template" or key in ("apiVersion", "kind", "metadata") and path == "":
            continue
        if "description" not in sub:
            print(p)
        walk(sub, p)
    for key in ("items", "additionalProperties"):
        if isinstance(node.get(key), dict):
            walk(node[key], path + "[]")
for v in json.load(sys.stdin)["spec"]["versions"]:
    walk(v["schema"]["openAPIV3Schema"], "")' | grep . && return 1 || return 0
}

# apply_canary_services: Services web-stable and web-canary selecting app=web
# (a canary's controller adds the revision key to each).
apply_canary_services() {
	k apply -f - >/dev/null <<'YAML'
apiVersion: v1
kind: Service
metadata: {name: web-stable}
spec: {selector: {app: web}, ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: web-canary}
spec: {selector: {app: web}, ports: [{port: 80}]}
YAML
}

# apply_bluegreen_services: Services web and web-preview selecting app=web
# (a blue-green controller adds the revision key to each).
apply_bluegreen_services() {
	k apply -f - >/dev/null <<'YAML'
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {selector: {app: web}, ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: web-preview}
spec: {selector: {app: web}, ports: [{port: 80}]}
YAML
}

# service_selects SERVICE REVISION: the Service's selector names the revision.
service_selects() { jsonpath_is "service/$1" '{.spec.selector.slipway\.dev/revision}' "$2"; }

# apply_web_route [GATEWAY]: HTTPRoute web with one rule, all traffic to
# web-stable and none to web-canary; attached to GATEWAY when given.
apply_web_route() {
	local parents=${1:+"  parentRefs: [{name: $1}]"}
	k apply -f - >/dev/null <<YAML
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web}
spec:
$parents
  rules:
  - backendRefs: [{name: web-stable, port: 80, weight: 100}, {name: web-canary, port: 80, weight: 0}]
YAML
}

# check_active_invariants ACTIVE_SVC: over the merged history of
# start_traffic_watch ... svc, blue-green's promise on activeService:
#   - each time its selector moves to another revision (after its first
#     one: the first revision of a Release comes up behind it), that
#     revision's ReplicaSet has spec.replicas available pods (the Release's
#     spec.replicas last seen);
#   - while it selects a revision, that revision's available pods never drop
#     below the smaller of spec.replicas and the most it had while selected
#     (a scale-up may leave it short for a while; a pod taken away may not).
# Availability is read as the ReplicaSet lines before the Service line: what
# the controller must have seen when it moved the selector.
check_active_invariants() {
	awk -v svc="$1" '
	$2 == "release" { replicas = $7 + 0; next }
	$2 == "rs" { avail[$4] = $5 + 0; judge(); next }
	$2 == "svc" && $3 == svc {
		states++
		if ($4 != active) {
			if (active != "" && active != "-" && $4 != "-" && avail[$4] + 0 < replicas) {
				printf "state %d: activeService moved to %s with %d of %d pods available\n", states, $4, avail[$4], replicas; bad = 1
			}
			active = $4; peak = 0; switches++
		}
		judge()
	}
	function judge() {
		if (active == "" || active == "-") return
		a = avail[active] + 0
		if (a > peak) peak = a
		need = peak < replicas ? peak : replicas
		if (a < need) { printf "activeService on %s with %d available (had %d, replicas %d)\n", active, a, peak, replicas; bad = 1 }
	}
	END {
		if (states < 2) { printf "only %d activeService states observed\n", states; bad = 1 }
		if (switches < 2) { printf "activeService never switched\n"; bad = 1 }
		exit bad
	}' "$TRAFFIC_DIR/history"
}
