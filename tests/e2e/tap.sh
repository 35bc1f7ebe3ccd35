# TAP for end-to-end scripts (sourced): checks, polling and the plan. Needs
# no cluster; lib.sh adds the cluster helpers on top.

set -u

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

# until_true TIMEOUT_SECONDS COMMAND...: polls every 0.5 s until the command succeeds.
until_true() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		[ $SECONDS -ge $deadline ] && return 1
		sleep 0.5
	done
}
