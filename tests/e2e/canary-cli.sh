#!/usr/bin/env bash
# promote, promote --full, abort and retry on the real control plane, without
# a controller (the CRD accepts the status the test writes in its place):
# each records status.intent through the status subresource, never the spec
# (metadata.generation does not move), naming the kubeconfig's user as the
# API server authenticated it (the client certificate's CN, the bearer
# token's user); a refusal writes nothing; a user who may read the Release
# but not patch its status is told so, after a SelfSubjectReview that every
# authenticated user may create.
. "$(dirname "$0")/lib.sh"
use_test_namespace canary-cli
install_crds || { echo "Bail out! CRDs did not install"; exit 1; }
S="$SLIPWAY_BUILD_ROOT/cli/kubectl-slipway"
s() { "$S" -n "$TEST_NS" "$@"; }
OUTF=$(mktemp)
ERRF=$(mktemp)
trap 'rm -f "$OUTF" "$ERRF" "${sa_kc:-}"; kubectl delete namespace "$TEST_NS" --wait=false >/dev/null 2>&1' EXIT
run() {
	local want=$1 got
	shift
	"$@" >"$OUTF" 2>"$ERRF"
	got=$?
	[ "$got" -eq "$want" ] || { echo "exit $got, want $want"; cat "$OUTF" "$ERRF"; return 1; }
}
has() { grep -qF -- "$1" "$OUTF" || { echo "no '$1' in:"; cat "$OUTF" "$ERRF"; return 1; }; }
err_has() { grep -qF -- "$1" "$ERRF" || { echo "no '$1' on stderr:"; cat "$ERRF"; return 1; }; }
intent() { k get release shop -o jsonpath="{.status.intent$1}"; }
# The users the two kubeconfigs authenticate as, found without the API.
cert_user=$(kubectl config view --raw --minify -o jsonpath='{.users[0].user.client-certificate-data}' |
	base64 -d | openssl x509 -noout -subject -nameopt multiline | sed -n 's/^ *commonName *= *//p')
token_user=$(cut -d, -f2 "$SLIPWAY_CLUSTER_DIR/pki/tokens.csv")
# status FIELDS-JSON: what the controller would have written.
status() { k patch release shop --subresource=status --type=merge -p "{\"status\":$1}" >/dev/null; }

# The Release of examples/canary.yaml (its first document), nine steps.
sed -n '1,/^---/p' "$SLIPWAY_SOURCE_ROOT/examples/canary.yaml" | sed '$d' | k apply -f - >/dev/null
gen=$(k get release shop -o jsonpath='{.metadata.generation}')

ok "promote before the controller reconciled it: exit 1" run 1 s promote shop
ok "  says why" err_has 'release "shop" has no canary revision yet'
ok "  nothing written" test -z "$(intent)"

status '{"phase":"Paused","currentRevision":"c4n4ry","stableRevision":"st4bl3","currentStepIndex":2,"pauseConditions":[{"reason":"CanaryPauseStep","startTime":"2026-12-02T18:00:00Z"}]}'
ok "promote at the manual pause: exit 0" run 0 s promote shop
ok "  one line: what, who, which step" has "release \"shop\": promote requested by $cert_user at step 3/9 (revision c4n4ry)"
ok "  status.intent.action" test "$(intent .action)" = Promote
ok "  status.intent.user is the client certificate's CN ($cert_user)" test "$(intent .user)" = "$cert_user"
ok "  status.intent.revision" test "$(intent .revision)" = c4n4ry
ok "  status.intent.stepIndex is the step seen" test "$(intent .stepIndex)" = 2
ok "  status.intent.requestedAt is a time" sh -c "date -d '$(intent .requestedAt)' >/dev/null"
ok "  the spec did not change (generation $gen)" test "$(k get release shop -o jsonpath='{.metadata.generation}')" = "$gen"

ok "promote --full with the token kubeconfig: exit 0" run 0 "$S" --kubeconfig "$SLIPWAY_CLUSTER_DIR/token-kubeconfig" -n "$TEST_NS" promote shop --full
ok "  notes the pending intent it replaces" err_has "replaces the pending Promote requested by $cert_user"
ok "  status.intent.action" test "$(intent .action)" = PromoteFull
ok "  status.intent.user is the token's user ($token_user)" test "$(intent .user)" = "$token_user"
ok "  no stepIndex left from the Promote" test -z "$(intent .stepIndex)"

ok "abort: exit 0" run 0 s abort shop
ok "  status.intent is the Abort" sh -c "[ '$(intent .action)' = Abort ] && [ '$(intent .user)' = '$cert_user' ]"

ok "retry of a canary that is not aborted: exit 1" run 1 s retry shop
ok "  says why" err_has 'release "shop" is not aborted: nothing to retry'
ok "  the Abort stays" test "$(intent .action)" = Abort

status '{"phase":"Degraded","abort":true,"abortedAt":"2026-12-02T18:05:00Z","intent":null}'
ok "promote of an aborted canary: exit 1" run 1 s promote shop
ok "  says retry first" err_has 'is aborted (retry starts its steps again): nothing to promote'
ok "retry of the aborted canary: exit 0" run 0 s retry shop
ok "  status.intent is the Retry" sh -c "[ '$(intent .action)' = Retry ] && [ '$(intent .revision)' = c4n4ry ]"

status '{"phase":"Healthy","abort":false,"currentRevision":"st4bl3","intent":null}'
ok "abort with no canary in progress: exit 1" run 1 s abort shop
ok "  says so" err_has 'has no canary in progress'

# Allowed to read Releases, not to patch their status.
k create serviceaccount reader >/dev/null
k create role release-reader --verb=get --resource=releases.slipway.dev >/dev/null
k create rolebinding reader --role=release-reader --serviceaccount="$TEST_NS:reader" >/dev/null
sa_kc=$(mktemp)
server=$(kubectl config view --minify -o jsonpath='{.clusters[0].cluster.server}')
kubectl config view --minify --raw -o jsonpath='{.clusters[0].cluster.certificate-authority-data}' | base64 -d >"$sa_kc.ca"
KUBECONFIG="$sa_kc" kubectl config set-cluster c --server="$server" --certificate-authority="$sa_kc.ca" --embed-certs >/dev/null
KUBECONFIG="$sa_kc" kubectl config set-credentials reader --token="$(k create token reader)" >/dev/null
KUBECONFIG="$sa_kc" kubectl config set-context c --cluster=c --user=reader --namespace="$TEST_NS" >/dev/null
KUBECONFIG="$sa_kc" kubectl config use-context c >/dev/null
rm -f "$sa_kc.ca"
status '{"phase":"Progressing","currentRevision":"c4n4ry","currentStepIndex":4}'
ok "a reader may not promote: exit 1" run 1 "$S" --kubeconfig "$sa_kc" promote shop
ok "  forbidden to patch the status, not to ask who it is" err_has \
	"forbidden: you may not patch releases/status.slipway.dev \"shop\" in namespace \"$TEST_NS\""
ok "  nothing written" test -z "$(intent)"

done_testing
