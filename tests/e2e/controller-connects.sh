#!/usr/bin/env bash
# slipway-controller finds the cluster from its kubeconfig, says which API
# server it reached, stops cleanly on SIGTERM, and refuses a kubeconfig it
# cannot use with one clear line.
. "$(dirname "$0")/lib.sh"
controller=$SLIPWAY_BUILD_ROOT/controller/slipway-controller
log=$(mktemp)
trap 'rm -f "$log"' EXIT

"$controller" --kubeconfig "$KUBECONFIG" --log-format json --metrics-address 127.0.0.1:0 \
	--leader-election-id "e2e-connects-$$" >"$log" 2>&1 &
pid=$!
ok "logs the API server version it connected to" \
	until_true 20 grep -q '"msg":"connected to the API server".*"server_version":"v1\.' "$log"
kill -TERM "$pid"
wait "$pid"
status=$?
ok "exits 0 on SIGTERM (got $status)" test "$status" -eq 0
ok "logs that it stopped" grep -q '"msg":"stopped"' "$log"

"$controller" --kubeconfig /nonexistent/kubeconfig >"$log" 2>&1
status=$?
ok "a missing kubeconfig exits 1 (got $status)" test "$status" -eq 1
ok "and the error names the file" grep -q 'level=error.*/nonexistent/kubeconfig' "$log"

"$controller" --log-level loud >"$log" 2>&1
status=$?
ok "a bad flag value exits 2 (got $status)" test "$status" -eq 2
ok "and names the flag" grep -q -- '--log-level: "loud"' "$log"

done_testing
