#!/usr/bin/env bash
# deploy/approval-policy.yaml and deploy/roles.yaml with real identities: the
# API server, not the client, decides who approves and who asks for an
# intent. alice (group sre), bob (security), mallory (neither) and carol
# (ops) are client certificates signed by the cluster's CA, with their group
# as O=, so request.userInfo carries exactly what a real user's would; the
# viewer is a ServiceAccount token. Each ClusterRole is bound to one of them
# and the test makes the requests it may and may not make. The policies are
# cluster-wide: this test installs them and removes them when it exits
# (other tests write intents in made-up names as cluster-admin).
. "$(dirname "$0")/lib.sh"
use_test_namespace approvalid
pki=$SLIPWAY_CLUSTER_DIR/pki
work=$(mktemp -d /tmp/slipway-approvalid.XXXXXX)
cleanup() {
	kubectl delete -f "$SLIPWAY_SOURCE_ROOT/deploy/approval-policy.yaml" --ignore-not-found --wait=false >/dev/null 2>&1
	kubectl delete -f "$SLIPWAY_SOURCE_ROOT/deploy/roles.yaml" --ignore-not-found --wait=false >/dev/null 2>&1
	kubectl delete namespace "$TEST_NS" --wait=false >/dev/null 2>&1
	rm -rf "$work"
}
trap cleanup EXIT

server=$(kubectl config view --minify -o jsonpath='{.clusters[0].cluster.server}')
kubectl config view --minify --raw -o jsonpath='{.clusters[0].cluster.certificate-authority-data}' | base64 -d >"$work/ca.crt"

# kubeconfig_for NAME CREDENTIAL-FLAGS...: $work/NAME.kubeconfig, in the test's namespace.
kubeconfig_for() {
	local kc="$work/$1.kubeconfig"
	shift
	KUBECONFIG="$kc" kubectl config set-cluster c --server="$server" --certificate-authority="$work/ca.crt" --embed-certs >/dev/null &&
		KUBECONFIG="$kc" kubectl config set-credentials u "$@" >/dev/null &&
		KUBECONFIG="$kc" kubectl config set-context c --cluster=c --user=u --namespace="$TEST_NS" >/dev/null &&
		KUBECONFIG="$kc" kubectl config use-context c >/dev/null
}

# user_cert NAME [GROUP]: a client certificate for NAME in GROUP, signed by the cluster's CA.
user_cert() {
	local subj="/CN=$1"
	[ -n "${2:-}" ] && subj="$subj/O=$2"
	openssl req -new -newkey rsa:2048 -nodes -keyout "$work/$1.key" -subj "$subj" -out "$work/$1.csr" 2>/dev/null &&
		openssl x509 -req -in "$work/$1.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
			-CAserial "$work/ca.srl" -days 1 -extfile "$pki/client.ext" -out "$work/$1.crt" 2>/dev/null &&
		kubeconfig_for "$1" --client-certificate="$work/$1.crt" --client-key="$work/$1.key" --embed-certs
}

# as NAME ARGS...: kubectl as NAME.
as() {
	local who=$1
	shift
	kubectl --kubeconfig "$work/$who.kubeconfig" "$@"
}

# approval NAME USER GROUPS [DECISION]: an Approval of release web, revision r1, gate prod-signoff.
approval() {
	cat <<YAML
apiVersion: slipway.dev/v1alpha1
kind: Approval
metadata: {name: $1}
spec: {release: web, revision: r1, gate: prod-signoff, decision: ${4:-Approve}, comment: "e2e", user: $2, groups: $3}
YAML
}

# refused TEXT COMMAND...: the command fails and says TEXT.
refused() {
	local text=$1 out
	shift
	if out=$("$@" 2>&1); then
		echo "accepted: $out"
		return 1
	fi
	grep -qF -- "$text" <<<"$out" || { echo "$out"; return 1; }
}

# create_as WHO: creates stdin as WHO.
create_as() { as "$1" create -f -; }

# intent_patch USER ACTION: a status patch writing an intent in USER's name.
intent_patch() {
	printf '{"status":{"intent":{"action":"%s","user":"%s","requestedAt":"%s","revision":"r1"}}}' \
		"$2" "$1" "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
}

ok "the CRDs apply" install_crds
ok "the Approval CRD is Established" until_true 30 kubectl wait --for=condition=Established crd/approvals.slipway.dev --timeout=5s
ok "deploy/approval-policy.yaml applies" kubectl apply -f "$SLIPWAY_SOURCE_ROOT/deploy/approval-policy.yaml"
ok "deploy/roles.yaml applies" kubectl apply -f "$SLIPWAY_SOURCE_ROOT/deploy/roles.yaml"

ok "certificates for alice (sre), bob (security), mallory, carol (ops)" \
	eval 'user_cert alice sre && user_cert bob security && user_cert mallory && user_cert carol ops'
ok "a ServiceAccount token for the viewer" eval 'k create serviceaccount viewer >/dev/null &&
	kubeconfig_for viewer --token="$(k create token viewer --duration=10m)"'
ok "alice, bob and mallory are approvers, carol an operator, the viewer a viewer" eval '
	k create rolebinding approvers --clusterrole=slipway-approver --user=alice --user=bob --user=mallory >/dev/null &&
	k create rolebinding operators --clusterrole=slipway-operator --user=carol >/dev/null &&
	k create rolebinding viewers --clusterrole=slipway-viewer --serviceaccount="$TEST_NS:viewer" >/dev/null'
ok "the API server sees alice in group sre" output_has '"sre"' as alice auth whoami -o json
apply_release web registry.example/web:1 1

# The policy takes effect once the API server has loaded it: poll on the first refusal.
forged() { approval forged alice '[sre]' | create_as mallory; }
ok "mallory's Approval in alice's name is refused by the policy" until_true 30 refused \
	"Approval spec.user must be the requesting user: you are mallory, spec.user is alice" forged
ok "  with the policy's name" refused "slipway-approval-identity" forged
ok "  and nothing was created" refused "NotFound" k get approval forged
ok "mallory may not claim group sre in her own name" refused \
	"must be groups of the requesting user mallory: not a member of sre" \
	eval "approval mallory-sre mallory '[sre]' | as mallory create -f -"
ok "mallory's own Approval without groups is admitted (it meets no group rule)" \
	eval "approval mallory-own mallory '[]' | as mallory create -f -"
ok "alice's own Approval for sre is admitted" eval "approval alice-sre alice '[sre]' | as alice create -f -"
ok "  and shows in kubectl get" output_has "prod-signoff" k get approval alice-sre
ok "alice may not approve for security too" refused "not a member of security" \
	eval "approval alice-both alice '[sre, security]' | as alice create -f -"
ok "bob's own Reject for security is admitted" eval "approval bob-sec bob '[security]' Reject | as bob create -f -"
ok "an Approval's spec cannot be edited, not even by cluster-admin" refused "an Approval's spec is immutable" \
	k patch approval alice-sre --type=merge -p '{"spec":{"comment":"changed"}}'
ok "alice may not edit her own Approval (no update for approvers)" refused 'User "alice" cannot patch resource "approvals"' \
	as alice patch approval alice-sre --type=merge -p '{"spec":{"decision":"Reject"}}'
ok "bob may not delete his Reject" refused 'User "bob" cannot delete resource "approvals"' as bob delete approval bob-sec

ok "the operator's intent in alice's name is refused" refused \
	"Release status.intent.user must be the requesting user: you are carol, status.intent.user is alice" \
	as carol patch release web --subresource=status --type=merge -p "$(intent_patch alice Abort)"
ok "  and not written" jsonpath_is release/web '{.status.intent}' ""
ok "the operator's intent in her own name is accepted" \
	as carol patch release web --subresource=status --type=merge -p "$(intent_patch carol Abort)"
ok "  and records carol" jsonpath_is release/web '{.status.intent.user}' carol
ok "a status write leaving the intent as it was is not checked (the controller's)" \
	k patch release web --subresource=status --type=merge -p '{"status":{"phase":"Progressing"}}'
ok "changing the intent's user as cluster-admin is refused too" refused "you are slipway-admin" \
	k patch release web --subresource=status --type=merge -p "$(intent_patch mallory Retry)"
ok "clearing the intent is not checked (the controller consumes it)" \
	k patch release web --subresource=status --type=merge -p '{"status":{"intent":null}}'
ok "  and it is gone" jsonpath_is release/web '{.status.intent}' ""

ok "the operator may not edit the spec (pause included)" refused 'User "carol" cannot patch resource "releases"' \
	as carol patch release web --type=merge -p '{"spec":{"paused":true}}'
ok "the operator may not create Approvals" refused 'User "carol" cannot create resource "approvals"' \
	eval "approval carol-ops carol '[ops]' | as carol create -f -"
ok "an approver may not write intents" refused 'User "alice" cannot patch resource "releases/status"' \
	as alice patch release web --subresource=status --type=merge -p "$(intent_patch alice Abort)"
ok "an approver may not edit the spec" refused 'User "alice" cannot patch resource "releases"' \
	as alice patch release web --type=merge -p '{"spec":{"paused":true}}'
ok "the viewer reads Releases" output_has web as viewer get releases
ok "  and Approvals" output_has alice-sre as viewer get approvals
ok "  but may not approve" refused "cannot create resource \"approvals\"" \
	eval "approval viewer-own system:serviceaccount:$TEST_NS:viewer '[]' | as viewer create -f -"
ok "  nor write intents" refused "cannot patch resource \"releases/status\"" \
	as viewer patch release web --subresource=status --type=merge -p "$(intent_patch "system:serviceaccount:$TEST_NS:viewer" Abort)"
ok "  nor edit the spec" refused "cannot patch resource \"releases\"" as viewer patch release web --type=merge -p '{"spec":{"paused":true}}'

done_testing
