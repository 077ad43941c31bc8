# shellcheck shell=bash disable=SC2034  # HUGE_CHANGED, HUGE_MOUNTED are read by the caller
# Process and hugepage helpers shared by bench/run.sh and bench/vmbus.sh (sourced). The caller
# sets HUGE (hugetlbfs mount point) and undoes HUGE_CHANGED / HUGE_MOUNTED in its cleanup.

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

alive() {
	local pid=$1 state
	[ -n "$pid" ] && [ -r "/proc/$pid/stat" ] || return 1
	state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) || return 1
	[ -n "$state" ] && [ "$state" != Z ]
}

# wait_gone PID SECONDS: poll until the process is gone; 0 if gone in time
wait_gone() {
	local pid=$1 deadline=$((SECONDS + $2))
	while alive "$pid"; do
		[ $SECONDS -ge $deadline ] && return 1
		sleep 0.1
	done
	return 0
}

# stop_pid PID NAME [GRACE]: TERM, then KILL after GRACE seconds (default 5)
stop_pid() {
	local pid=$1 name=$2 grace=${3:-5}
	[ -n "$pid" ] || return 0
	if alive "$pid"; then
		kill -TERM "$pid" 2>/dev/null
		if ! wait_gone "$pid" "$grace"; then
			log "$name (pid $pid) ignored SIGTERM, sending SIGKILL"
			kill -KILL "$pid" 2>/dev/null
			wait_gone "$pid" 5 || log "$name (pid $pid) still alive after SIGKILL"
		fi
	fi
	wait "$pid" 2>/dev/null # reap if it is our child
	return 0
}

read_pidfile() { [ -s "$1" ] && tr -dc 0-9 <"$1"; }

# wait_until SECONDS CMD...: poll CMD every 0.2 s; 0 once it succeeds
wait_until() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -ge $deadline ] && return 1
		sleep 0.2
	done
}

# reserve_hugepages MB: make MB of 2 MiB hugepages free (raising nr_hugepages if needed; sets
# ORIG_NR_HUGE and HUGE_CHANGED) and mount a private hugetlbfs on $HUGE (sets HUGE_MOUNTED).
reserve_hugepages() {
	local need=$(($1 / 2)) free total
	ORIG_NR_HUGE=$(cat /proc/sys/vm/nr_hugepages)
	free=$(awk '/^HugePages_Free:/ {print $2}' /proc/meminfo)
	if [ "$free" -lt "$need" ]; then
		total=$((ORIG_NR_HUGE + need - free))
		log "reserving hugepages: nr_hugepages $ORIG_NR_HUGE -> $total (2 MiB pages)"
		HUGE_CHANGED=1
		echo "$total" >/proc/sys/vm/nr_hugepages
		free=$(awk '/^HugePages_Free:/ {print $2}' /proc/meminfo)
		[ "$free" -ge "$need" ] || die "only $free free 2 MiB hugepages, need $need"
	fi
	mkdir -p "$HUGE"
	mount -t hugetlbfs -o pagesize=2M nodev "$HUGE" || die "cannot mount hugetlbfs on $HUGE"
	HUGE_MOUNTED=1
}
