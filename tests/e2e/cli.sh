#!/usr/bin/env bash
# kubectl-slipway against the real control plane, as a person or a pipeline
# uses it: list/get/history on a live Release; `status` exits 0 after a good
# update, 1 after one that exceeds its progress deadline, 2 on a timeout;
# `get --watch` on a terminal (script(1)) redraws the update as it goes;
# `undo` brings the previous image back on the old ReplicaSet; pause/resume;
# `restart` is recorded in spec.restartAt and carried out by the controller,
# which replaces the pods without a new revision; `set image`; `lint`;
# `version` names the running controller's version from its Lease, and
# "unknown" once it stopped; and one clear line for not found, unreachable
# and forbidden.
. "$(dirname "$0")/lib.sh"
use_test_namespace cli
install_crds || { echo "Bail out! CRDs did not install"; exit 1; }
# With leader election in the test's namespace (`version` reads the Lease),
# and /metrics on a free port (slipway_build_info).
start_controller --leader-elect=true --leader-election-namespace "$TEST_NS" \
	--metrics-address 127.0.0.1:0
k() { kubectl -n "$TEST_NS" "$@"; }
S="$SLIPWAY_BUILD_ROOT/cli/kubectl-slipway"
s() { "$S" -n "$TEST_NS" "$@"; }
OUTF=$(mktemp)
ERRF=$(mktemp)
trap 'stop_controller; rm -f "$OUTF" "$ERRF" "${ts:-}" "${bad_kc:-}" "${sa_kc:-}"; kubectl delete namespace "$TEST_NS" --wait=false >/dev/null 2>&1' EXIT

# release NAME IMAGE [EXTRA-SPEC-YAML]
release() {
	cat <<YAML | k apply -f - >/dev/null
apiVersion: slipway.dev/v1alpha1
kind: Release
metadata: {name: $1}
spec:
  replicas: 4
  selector: {matchLabels: {app: $1}}
  template:
    metadata: {labels: {app: $1}}
    spec:
      containers: [{name: app, image: "$2"}]
  strategy: {rolling: {maxSurge: 1, maxUnavailable: 1}}
${3:-}
YAML
}
# run EXPECTED-EXIT COMMAND...: output in $OUTF, errors in $ERRF.
run() {
	local want=$1 got
	shift
	"$@" >"$OUTF" 2>"$ERRF"
	got=$?
	[ "$got" -eq "$want" ] || { echo "exit $got, want $want"; cat "$OUTF" "$ERRF"; return 1; }
}
has() { grep -qF -- "$1" "$OUTF" || { echo "no '$1' in:"; cat "$OUTF" "$ERRF"; return 1; }; }
err_has() { grep -qF -- "$1" "$ERRF" || { echo "no '$1' on stderr:"; cat "$ERRF"; return 1; }; }
image() { k get release "$1" -o jsonpath='{.spec.template.spec.containers[0].image}'; }
revision() { k get release "$1" -o jsonpath='{.status.currentRevision}'; }

# minReadySeconds makes the update take a few seconds, so status sees it move.
release web registry.example/app:1 "  minReadySeconds: 2"
ok "status waits until a new Release is Healthy: exit 0" run 0 s status web --timeout 90s
ok "and says Healthy" has "web: Healthy"
rev1=$(revision web)

ok "list shows it Healthy with its revision and ready/desired" sh -c \
	"'$S' -n $TEST_NS list | grep -E '^web +Healthy +rolling +- +$rev1 +4/4 '"
ok "list -A adds the namespace" sh -c "'$S' list -A | grep -E '^$TEST_NS +web +Healthy'"
ok "list -o json is the ReleaseList" sh -c "'$S' -n $TEST_NS list -o json | jq -e '.items[0].metadata.name == \"web\"'"
ok "get shows phase, strategy and the tree" run 0 s get web
ok "  phase" has "Phase:      Healthy"
ok "  strategy" has "Strategy:   rolling (maxSurge 1, maxUnavailable 1)"
ok "  current and stable revision with image" has "Current:    $rev1 (registry.example/app:1)"
ok "  the revision, its ReplicaSet and 4 ready pods" sh -c \
	"grep -qF 'revision $rev1 (current, stable)' '$OUTF' && grep -qF 'ReplicaSet web-$rev1  desired 4, ready 4' '$OUTF' && [ \$(grep -c 'Pod web-$rev1-.*  ready  Running' '$OUTF') = 4 ]"
ok "get -o yaml prints the Release" sh -c "'$S' -n $TEST_NS get web -o yaml | grep -qx 'kind: Release'"

# get --watch on a terminal while the image changes.
ts=$(mktemp)
COLUMNS=200 script -qfec "'$S' -n $TEST_NS get web --watch" "$ts" >/dev/null 2>&1 &
watcher=$!
until_true 20 grep -qF "revision $rev1" "$ts"
ok "set image changes the template" run 0 s set image web app=registry.example/app:2
ok "  and says so" has 'release "web" image updated'
ok "  the spec has the new image" test "$(image web)" = registry.example/app:2
ok "status follows the update to Healthy: exit 0" run 0 s status web --timeout 90s
ok "  printing one line per change (no line twice in a row)" sh -c "[ -z \"\$(uniq -d '$OUTF')\" ]"
ok "  Progressing before Healthy" sh -c \
	"grep -n 'Progressing' '$OUTF' | head -1 | cut -d: -f1 | { read p; h=\$(grep -n 'Healthy' '$OUTF' | cut -d: -f1); [ -n \"\$p\" ] && [ \"\$p\" -lt \"\$h\" ]; }"
rev2=$(revision web)
sleep 1.5
kill "$watcher" 2>/dev/null
wait "$watcher" 2>/dev/null
ok "get --watch redrew in place (cursor up) on the terminal" grep -qF $'\033[' "$ts"
ok "  and showed the update in progress" grep -qF "revision $rev2 (current)" "$ts"
ok "  with the old revision still stable at some point" grep -qF "revision $rev1 (stable)" "$ts"
ok "  and the end: the new revision current and stable" grep -qF "revision $rev2 (current, stable)" "$ts"
ok "  and the Phase going Progressing then Healthy" sh -c \
	"tr -d '\r' <'$ts' | grep -E '^(\x1b\[[0-9]*A)?Phase:' | sed 's/.*Phase: *//' | cut -d: -f1 | uniq | tr '\n' ' ' | grep -q 'Progressing Healthy'"

ok "history lists both revisions, the old one undoable" run 0 s history web
ok "  old" sh -c "grep -E '^$rev1 .* Succeeded +yes ' '$OUTF'"
ok "  new" sh -c "grep -E '^$rev2 .* current,stable +registry.example/app:2' '$OUTF'"
ok "history -o json is status.history" sh -c "'$S' -n $TEST_NS history web -o json | jq -e 'length == 2 and .[0].revision == \"$rev2\"'"

ok "undo rolls back to the previous revision" run 0 s undo web
ok "  and says so" has "rolled back to revision $rev1"
ok "  with the GitOps warning" err_has "GitOps"
ok "  the spec has the old image again" test "$(image web)" = registry.example/app:1
ok "  and the rollout completes: status exit 0" run 0 s status web --timeout 90s
ok "  on the old ReplicaSet: the current revision is the old one" test "$(revision web)" = "$rev1"
ok "  and no third ReplicaSet was made" test "$(k get rs -l app=web -o name | wc -l)" -eq 2
ok "undo --to-revision goes to a named revision" run 0 s undo web --to-revision "$rev2"
ok "  image 2 again" test "$(image web)" = registry.example/app:2
ok "  rolled out" run 0 s status web --timeout 90s
ok "undo --to-revision of an unknown revision fails clearly" run 1 s undo web --to-revision bbbbbbbbbb
ok "  naming it" err_has "no ReplicaSet of revision bbbbbbbbbb"

ok "pause sets spec.paused" run 0 s pause web
ok "  true" test "$(k get release web -o jsonpath='{.spec.paused}')" = true
ok "  and the controller reports Paused" until_true 30 sh -c "'$S' -n $TEST_NS get web | grep -qF 'Phase:      Paused'"
ok "a change while paused does not finish: status --timeout 3s exits 2" sh -c \
	"'$S' -n $TEST_NS set image web app=registry.example/app:3 >/dev/null && '$S' -n $TEST_NS status web --timeout 3s >/dev/null 2>&1; [ \$? = 2 ]"
ok "status --watch=false looks once: exit 2 while not finished" run 2 s status web --watch=false
ok "resume clears spec.paused" run 0 s resume web
ok "  false" test "$(k get release web -o jsonpath='{.spec.paused}')" = false
ok "  and the rollout finishes" run 0 s status web --timeout 90s
rev3=$(revision web)

old_pods=$(k get pods -l app=web -o jsonpath='{.items[*].metadata.name}')
ok "restart records the request and waits for the controller" run 0 s restart web --timeout 120s
ok "  says it was requested" has 'release "web" restart requested (spec.restartAt '
at=$(k get release web -o jsonpath='{.spec.restartAt}')
ok "  spec.restartAt is an RFC 3339 time in whole seconds, UTC" sh -c \
	"echo '$at' | grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z\$'"
ok "  and says the controller finished" has "release \"web\" restarted: every pod older than $at replaced"
ok "  status.restartedAt is the request" sh -c \
	"[ -n '$at' ] && [ \"\$(kubectl -n $TEST_NS get release web -o jsonpath='{.status.restartedAt}')\" = '$at' ]"
ok "  none of the old pods is left" sh -c \
	"now=\$(kubectl -n $TEST_NS get pods -l app=web -o jsonpath='{.items[*].metadata.name}'); for p in $old_pods; do case \" \$now \" in *\" \$p \"*) echo \"\$p still there\"; exit 1;; esac; done"
ok "  4 ready pods again" until_true 30 sh -c "[ \$(kubectl -n $TEST_NS get release web -o jsonpath='{.status.readyReplicas}') = 4 ]"
ok "  without a new revision" test "$(revision web)" = "$rev3"
ok "  nor a new ReplicaSet" test "$(k get rs -l app=web -o name | wc -l)" -eq 3
sleep 1 # the next request must be a later second
ok "restart --wait=false only records the request" run 0 s restart web --wait=false
ok "  a later spec.restartAt" bash -c "[[ \"\$(kubectl -n $TEST_NS get release web -o jsonpath='{.spec.restartAt}')\" > '$at' ]]"
ok "  which the controller carries out without the CLI" until_true 120 sh -c \
	"want=\$(kubectl -n $TEST_NS get release web -o jsonpath='{.spec.restartAt}'); [ -n \"\$want\" ] && [ \"\$(kubectl -n $TEST_NS get release web -o jsonpath='{.status.restartedAt}')\" = \"\$want\" ]"
ok "restart of a missing Release: exit 1" run 1 s restart nope --wait=false
ok "  not found" err_has 'release "nope" not found'

# A rollout that cannot finish: no node has the label.
release stuck registry.example/app:1 "  progressDeadlineSeconds: 5"
ok "a second Release becomes Healthy" run 0 s status stuck --timeout 90s
k patch release stuck --type=merge -p '{"spec":{"template":{"spec":{"nodeSelector":{"no-such-label":"anywhere"}}}}}' >/dev/null
ok "status exits 1 when the progress deadline is exceeded" run 1 s status stuck --timeout 90s
ok "  saying why" has "ProgressDeadlineExceeded"

ok "get of a missing Release: exit 1" run 1 s get nope
ok "  one line: not found in the namespace" sh -c \
	"[ \$(wc -l <'$ERRF') = 1 ] && grep -qF 'release \"nope\" not found in namespace \"$TEST_NS\"' '$ERRF'"
ok "status of a missing Release: exit 3" run 3 s status nope

bad_kc=$(mktemp)
sed -E 's#server: https://[^ ]+#server: https://127.0.0.1:1#' "$KUBECONFIG" >"$bad_kc"
ok "no cluster reachable: exit 1" run 1 "$S" --kubeconfig "$bad_kc" -n "$TEST_NS" list
ok "  one line saying so" sh -c "[ \$(wc -l <'$ERRF') = 1 ] && grep -qF 'cannot reach the cluster at https://127.0.0.1:1' '$ERRF'"

k create serviceaccount nobody >/dev/null
sa_kc=$(mktemp)
server=$(kubectl config view --minify -o jsonpath='{.clusters[0].cluster.server}')
kubectl config view --minify --raw -o jsonpath='{.clusters[0].cluster.certificate-authority-data}' | base64 -d >"$sa_kc.ca"
KUBECONFIG="$sa_kc" kubectl config set-cluster c --server="$server" --certificate-authority="$sa_kc.ca" --embed-certs >/dev/null
KUBECONFIG="$sa_kc" kubectl config set-credentials nobody --token="$(k create token nobody)" >/dev/null
KUBECONFIG="$sa_kc" kubectl config set-context c --cluster=c --user=nobody --namespace="$TEST_NS" >/dev/null
KUBECONFIG="$sa_kc" kubectl config use-context c >/dev/null
rm -f "$sa_kc.ca"
ok "forbidden: exit 1" run 1 "$S" --kubeconfig "$sa_kc" get web
ok "  one line naming verb and resource" sh -c \
	"[ \$(wc -l <'$ERRF') = 1 ] && grep -qF 'forbidden: you may not get releases.slipway.dev \"web\"' '$ERRF'"
ok "  and for a write" run 1 "$S" --kubeconfig "$sa_kc" pause web
ok "  names patch" err_has 'forbidden: you may not patch releases.slipway.dev "web"'

ok "lint of a valid manifest: exit 0" run 0 "$S" lint -f "$SLIPWAY_SOURCE_ROOT/examples/rolling.yaml"
ok "lint of a broken one: exit 1" run 1 "$S" lint -f "$SLIPWAY_SOURCE_ROOT/tests/unit/data/lint/broken.yaml"
ok "  with file:line:column: field: message" has "broken.yaml:6:13: spec.replicas: must not be negative"
ctl_version=$("$SLIPWAY_BUILD_ROOT/controller/slipway-controller" --version | awk '{print $2}')
ok "the controller publishes its version on its Lease" until_true 30 sh -c \
	"[ \"\$(kubectl -n $TEST_NS get lease slipway-controller -o jsonpath='{.metadata.annotations.slipway\\.dev/controller-version}')\" = '$ctl_version' ]"
metrics_port=$(sed -n 's/.*serving \/metrics.*port=\([0-9]*\).*/\1/p' "$CONTROLLER_LOG" | tail -1)
ok "/metrics says which version runs" sh -c \
	"curl -sf http://127.0.0.1:$metrics_port/metrics | grep -qxF 'slipway_build_info{version=\"$ctl_version\"} 1'"
ok "version prints the client" run 0 s version
ok "  client" has "client: kubectl-slipway $ctl_version"
ok "  and the running controller's version, read from its Lease" has \
	"controller: slipway-controller $ctl_version (leader "
ok "version --client does not ask the cluster" run 0 "$S" --kubeconfig "$bad_kc" version --client
ok "  client only" sh -c "grep -qF 'client: kubectl-slipway' '$OUTF' && ! grep -q controller '$OUTF'"
ok "the controller is still running" kill -0 "$CONTROLLER_PID"

stop_controller
ok "a controller stopped with TERM has released its Lease" test \
	"$(k get lease slipway-controller -o jsonpath='{.spec.holderIdentity}')" = ""
ok "version then says the controller is unknown" run 0 s version
ok "  unknown, because no controller holds the Lease" has \
	"controller: unknown (no controller holds the Lease slipway-controller: Lease in namespace $TEST_NS released"
ok "  and not the version it had" sh -c "! grep -qF 'controller: slipway-controller' '$OUTF'"
ok "version --leader-election-id of a Lease that does not exist: unknown" run 0 s version \
	--leader-election-namespace "$TEST_NS" --leader-election-id no-such-lease
ok "  saying there is none" has "controller: unknown (no controller holds the Lease no-such-lease: no Lease in namespace $TEST_NS)"
done_testing
