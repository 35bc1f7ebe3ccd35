#!/bin/sh
# Test credential plugin that fails the way a logged-out CLI does.
echo "error: you are not logged in" >&2
echo "run 'example login' first" >&2
exit 1
