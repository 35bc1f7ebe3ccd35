#!/usr/bin/env bash
# deploy/krew/package: the archive holds kubectl-slipway (which runs) and
# LICENSE; the manifest names it with its real sha256, every placeholder
# filled. (krew's own validator is not in the module proxy here: the
# manifest's schema is not checked by krew.) Needs no cluster.
. "$(dirname "$0")/tap.sh"
kdir=$(mktemp -d)
trap 'rm -rf "$kdir"' EXIT
ok "deploy/krew/package builds the archive and manifest" \
	"$SLIPWAY_SOURCE_ROOT/deploy/krew/package" "$SLIPWAY_BUILD_ROOT" https://example.invalid/v1 "$kdir"
archive=$(cd "$kdir" && ls kubectl-slipway_v*_linux_amd64.tar.gz)
ok "the archive holds kubectl-slipway and LICENSE" test "$(tar tzf "$kdir/$archive" | sort | tr '\n' ' ')" = "LICENSE kubectl-slipway "
ok "no placeholder is left" bash -c "! grep -q @ '$kdir/slipway.yaml'"
sha_matches() { grep -qx "    sha256: $(sha256sum "$kdir/$archive" | cut -d' ' -f1)" "$kdir/slipway.yaml"; }
ok "the manifest's sha256 is the archive's" sha_matches
ok "its uri is the base URL and the archive" grep -qx "    uri: https://example.invalid/v1/$archive" "$kdir/slipway.yaml"
unpacked() { mkdir -p "$kdir/x" && tar xzf "$kdir/$archive" -C "$kdir/x" && "$kdir/x/kubectl-slipway" --help | grep -q '^Usage: kubectl slipway'; }
ok "the packaged plugin runs" unpacked
done_testing
