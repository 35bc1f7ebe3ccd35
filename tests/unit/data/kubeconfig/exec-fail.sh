#!/bin/sh
# Test credential plugin that fails the way a logged-out CLI does; counts its
# runs in $COUNTER_FILE.
n=$(($(cat "$COUNTER_FILE" 2>/dev/null || echo 0) + 1))
echo "$n" >"$COUNTER_FILE"
echo "error: you are not logged in" >&2
echo "run 'example login' first" >&2
exit 1
