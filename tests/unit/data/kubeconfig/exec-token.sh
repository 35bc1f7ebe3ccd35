#!/bin/sh
# Test credential plugin: prints an ExecCredential whose token counts the runs
# (in $COUNTER_FILE) and names its first argument. Optional: $EXPIRY,
# $INFO_OUT (gets $KUBERNETES_EXEC_INFO), $API_VERSION, $MODE=cert.
n=$(( $(cat "$COUNTER_FILE" 2>/dev/null || echo 0) + 1 ))
echo "$n" >"$COUNTER_FILE"
if [ -n "$INFO_OUT" ]; then
	printf '%s' "$KUBERNETES_EXEC_INFO" >"$INFO_OUT"
fi
exp=""
if [ -n "$EXPIRY" ]; then
	exp=",\"expirationTimestamp\":\"$EXPIRY\""
fi
api=${API_VERSION:-client.authentication.k8s.io/v1}
if [ "$MODE" = cert ]; then
	printf '{"apiVersion":"%s","kind":"ExecCredential","status":{"clientCertificateData":"CERT-%s","clientKeyData":"KEY-%s"%s}}\n' "$api" "$n" "$n" "$exp"
else
	printf '{"apiVersion":"%s","kind":"ExecCredential","status":{"token":"exec-token-%s-%s"%s}}\n' "$api" "$n" "$1" "$exp"
fi
