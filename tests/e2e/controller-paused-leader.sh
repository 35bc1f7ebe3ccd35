#!/usr/bin/env bash
# The write gate (controller/leader.h, THE GUARANTEE; controller/executor.h):
# a leader stopped past its lease sends nothing once it runs again, not even
# the rest of the plan it was in the middle of.
#
# Two replicas with a 4 s lease: "old" leads and authenticates as the audited
# user of tests/cluster/up, so kube-apiserver's audit log counts its writes,
# and only its; "new" stands by. old is stopped with SIGSTOP where a stop
# hurts: gdb breaks in the executor as the answer to a write arrives
# (action_done: the plan's Events and its next writes are still to be sent)
# and detaches with a SIGSTOP pending. The standby takes over, the change is
# rolled out by it, old gets SIGCONT, and the audit log must show no write of
# old's after that. Without the gate it sent the plan's Events (2 writes).
#
# Why gdb: stopped anywhere else (idle in epoll_wait, where a bare SIGSTOP
# almost always lands) the old leader's renew-deadline timer runs first after
# SIGCONT and cancels the plan before any write goes out, gate or no gate.
# Only a pause inside a callback, after which the loop goes on with a clock it
# has not read yet, shows whether every write asks the lease first.
. "$(dirname "$0")/lib.sh"

bin=$SLIPWAY_BUILD_ROOT/controller/slipway-controller
skip() { echo "1..0 # SKIP $*"; exit 0; }
audit_ready 2>/dev/null || skip "$(audit_ready 2>&1)"
command -v gdb >/dev/null || skip "gdb is not installed (Debian package gdb)"
# has_line FUNCTION: the binary has debug information for FUNCTION.
has_line() { gdb -batch -nx -ex "info line $1" "$bin" 2>&1 | grep -q 'starts at address'; }
has_line main || skip "$bin has no debug information"
# Renamed or inlined away: this test must follow, not skip.
has_line action_done ||
	{ echo "Bail out! $bin has no function action_done (where a write's answer arrives)"; exit 1; }
sleep 30 &
probe=$!
gdb -p "$probe" -batch -nx -ex detach 2>&1 | grep -q 'ptrace: Operation not permitted' &&
	{ kill "$probe"; skip "gdb may not attach to a process here (ptrace refused)"; }
{ kill "$probe" && wait "$probe"; } 2>/dev/null

use_test_namespace paused
install_crds || { echo "Bail out! CRDs did not install"; exit 1; }
dir=$(mktemp -d)
declare -A pid

# replica NAME KUBECONFIG: a controller replica with a 4 s lease.
replica() {
	"$bin" --kubeconfig "$2" --namespaces "$TEST_NS" --identity "$1" \
		--leader-election-namespace "$TEST_NS" --leader-election-lease-duration 4s \
		--leader-election-renew-deadline 3s --leader-election-retry-period 1s \
		--metrics-address 0 --log-format json >"$dir/$1.log" 2>&1 &
	pid[$1]=$!
}
cleanup() {
	[ -n "${gdb_pid:-}" ] && kill "$gdb_pid" 2>/dev/null
	for p in "${pid[@]}"; do { kill -KILL "$p" && wait "$p"; } 2>/dev/null; done
	if [ "$tap_failed" -gt 0 ]; then
		for f in "$dir"/*.log; do echo "# $f"; tail -n 15 "$f" | cut -c1-300 | sed 's/^/#   /'; done
	fi
	rm -rf "$dir"
	kubectl delete namespace "$TEST_NS" --wait=false >/dev/null 2>&1
}
trap cleanup EXIT

holder() { k get lease slipway-controller -o jsonpath='{.spec.holderIdentity}' 2>/dev/null; }
holder_is() { [ "$(holder)" = "$1" ]; }
stopped() { [ "$(awk '/^State:/ { print $2 }' "/proc/$1/status" 2>/dev/null)" = T ]; }
# no_writes_since OFFSET: the audited user wrote nothing in the namespace
# after OFFSET (the Lease aside); prints what it wrote otherwise.
no_writes_since() {
	local w
	w=$(audited_list "$1" "$TEST_NS")
	[ -z "$w" ] || { echo "$w"; return 1; }
}

replica old "$AUDITED_KUBECONFIG"
ok "the audited replica takes the Lease" until_true 20 holder_is old
replica new "$KUBECONFIG"
apply_release web registry.example/web:1 3
ok "it rolls a Release out" until_true 60 rolled_out web 1 3
before=$(audited_writes 0 "$TEST_NS")
ok "the audit log counts its writes ($before)" test "$before" -gt 0
# Settled, so that the write gdb catches below is one of the next change's.
settled() { local n; n=$(audited_writes 0 "$TEST_NS"); sleep 1; [ "$(audited_writes 0 "$TEST_NS")" = "$n" ]; }
ok "it settles (no write for 1 s)" until_true 20 settled

# gdb breaks at the next answer to a write and leaves old stopped there. The
# symbols are read before it attaches, so attaching stalls old only briefly.
timeout 60 gdb "$bin" -p "${pid[old]}" -batch -nx -ex 'break action_done' -ex continue -ex delete \
	-ex "shell kill -STOP ${pid[old]}" -ex detach >"$dir/gdb.log" 2>&1 &
gdb_pid=$!
armed() { grep -q '^Breakpoint 1 at' "$dir/gdb.log"; }
ok "gdb attaches to the leader" until_true 30 armed
ok "which still leads" holder_is old
set_image web registry.example/web:2
ok "the leader is stopped (SIGSTOP) as the answer to a write arrives" \
	until_true 30 stopped "${pid[old]}"
stopped_at=$EPOCHREALTIME
wait "$gdb_pid"
gdb_pid=
ok "  in the executor's action_done" grep -q '^Breakpoint 1, action_done' "$dir/gdb.log"
grep '^Breakpoint 1, action_done' "$dir/gdb.log" | cut -c1-120 | sed 's/^/# /'
ok "the standby takes the Lease" until_true 15 holder_is new
# Past the lease duration, not only past the deadline the takeover implies.
stopped_for() { awk -v a="$stopped_at" -v b="$EPOCHREALTIME" -v s="$1" 'BEGIN { exit !(b - a >= s) }'; }
until_true 10 stopped_for 5
from=$(audit_offset)
kill -CONT "${pid[old]}"
resumed=$SECONDS
took=$(awk -v a="$stopped_at" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
ok "SIGCONT after $took s stopped (lease 4 s): old stops leading" \
	until_true 10 grep -q '"msg":"stopped leading' "$dir/old.log"
ok "the new leader rolls the change out" until_true 60 rolled_out web 2 3
# Give old a few seconds in any case: its plan would go on within one.
while [ $SECONDS -lt $((resumed + 5)) ]; do sleep 0.5; done
ok "the new leader still holds the Lease" holder_is new
ok "after SIGCONT the old leader sent no write ($(audited_writes "$from" "$TEST_NS"))" \
	no_writes_since "$from"
ok "the gate refused the rest of its plan" grep -q 'not leading: write not sent' "$dir/old.log"

done_testing
