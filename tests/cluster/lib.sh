# Helpers shared by tests/cluster/up, down and restart-apiserver (sourced).
# DIR/pids holds one "NAME PID" line per component, in start order; each
# component runs in its own session (setsid), so its PID is also its process
# group and stopping the group leaves no child behind.

# free_port: prints a loopback TCP port nobody listens on and that this run has
# not handed out yet. Below the kernel's ephemeral range (32768+), so outgoing
# connections do not take it between now and the bind.
handed_out_ports=" "
free_port() {
	local port tries=0
	while [ $tries -lt 200 ]; do
		tries=$((tries + 1))
		port=$((10000 + RANDOM % 22000))
		case "$handed_out_ports" in *" $port "*) continue ;; esac
		if ! (: </dev/tcp/127.0.0.1/$port) 2>/dev/null; then
			handed_out_ports+="$port "
			echo "$port"
			return 0
		fi
	done
	echo "no free loopback port found" >&2
	return 1
}

# start_component DIR NAME COMMAND...: starts it in the background, logging to
# DIR/NAME.log, records its PID, and fails if it exits within the first moment.
start_component() {
	local dir=$1 name=$2 pid
	shift 2
	setsid "$@" </dev/null >>"$dir/$name.log" 2>&1 &
	pid=$!
	echo "$name $pid" >>"$dir/pids"
	sleep 0.5
	kill -0 "$pid" 2>/dev/null
}

# any_component_dead DIR: prints the name of the first recorded component that
# is no longer running, and succeeds if there is one.
any_component_dead() {
	local name pid
	while read -r name pid; do
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "$name"
			return 0
		fi
	done <"$1/pids"
	return 1
}

cluster_any_running() {
	local name pid
	while read -r name pid; do
		kill -0 "$pid" 2>/dev/null && return 0
	done <"$1/pids"
	return 1
}

# wait_for SECONDS WHAT LOG COMMAND...: polls COMMAND until it succeeds; fails
# (through the caller's fail) on timeout or when a component died meanwhile.
wait_for() {
	local seconds=$1 what=$2 log=$3 dead
	shift 3
	local deadline=$((SECONDS + seconds))
	until "$@" >/dev/null 2>&1; do
		if dead=$(any_component_dead "$dir"); then
			fail "$dead exited while waiting for $what; log: $dir/$dead.log"
		fi
		[ $SECONDS -lt $deadline ] || fail "timed out after ${seconds}s waiting for $what; log: $log"
		sleep 0.3
	done
}

# stop_pid PID: TERM to its process group, KILL after 15 s; returns when gone.
stop_pid() {
	local pid=$1 i
	kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || return 0
	for i in $(seq 150); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
	sleep 0.2
}
