# shellcheck shell=bash disable=SC2034
# vswitchd + vmmd helpers shared by bench/vmbus.sh and bench/tcp.sh (sourced after lib.sh). The
# caller sets: VSWITCHD VSWITCHCTL VMMD VMMCTL T LOGS RESULTS HUGE CPU_A CPU_B VSW_MEM
# VSW_IDLE_SLEEP PART_MEM READY_TIMEOUT VSW_NAME VSW_SOCK VMM_NAME VMM_DIR, and initialises
# VSW_PID VSW_STARTED VSW_VERSION_DONE VMM_PID VMM_STARTED to "". Failures set ERR and return 1.
#
# CPU placement: vswitchd's one worker alone on CPU_B, its control thread on CPU_A; vmmd and
# every partition (they inherit its affinity) on CPU_A.

vctl() { timeout 30 "$VSWITCHCTL" -s "$VSW_SOCK" -t 20 "$@"; }
vmmctl() { timeout 60 "$VMMCTL" -s "$VMM_DIR/sock" "$@"; }

start_vsw() { # TAG
	local tag=$1 rc
	rm -f "$VSW_SOCK" "$T/vsw.json" "$T/vsw.pid"
	rm -rf "$T/switches"
	mkdir -p "$T/switches"
	VSW_STARTED=1
	# Worker alone on CPU_B; the control thread (netvsc connection handling, vswitchctl) on CPU_A.
	timeout 60 "$VSWITCHD" --name "$VSW_NAME" --socket "$VSW_SOCK" --config "$T/vsw.json" \
		--workers 1 --cpus "$CPU_B" --control-cpus "$CPU_A" --hugepages on -m "$VSW_MEM" \
		${VSW_IDLE_SLEEP:+--idle-sleep-max "$VSW_IDLE_SLEEP"} --detach --pidfile "$T/vsw.pid" --log-file "$LOGS/vswitchd-$tag.log" \
		-- --huge-dir "$HUGE" --no-pci </dev/null >>"$LOGS/vswitchctl-$tag.log" 2>&1
	rc=$?
	VSW_PID=$(read_pidfile "$T/vsw.pid")
	[ $rc -eq 0 ] || { ERR="vswitchd --detach exited with $rc (see vswitchd-$tag.log)"; return 1; }
	[ -n "$VSW_PID" ] || { ERR="vswitchd wrote no pidfile"; return 1; }
	ln -s "$VSW_SOCK" "$T/switches/$VSW_NAME.sock"
	if [ -z "$VSW_VERSION_DONE" ]; then
		VSW_VERSION_DONE=1
		vctl --json version 2>/dev/null | jq -c '{type:"vswitchd_version"} + .' >>"$RESULTS" 2>/dev/null
	fi
}

stop_vsw() {
	[ -n "$VSW_STARTED" ] || return 0
	[ -z "$VSW_PID" ] && VSW_PID=$(read_pidfile "$T/vsw.pid")
	stop_pid "$VSW_PID" vswitchd 10
	VSW_PID="" VSW_STARTED=""
	rm -f "$VSW_SOCK" "$T/vsw.json" "$T/vsw.pid"
	rm -rf "/var/run/dpdk/vsw-$VSW_NAME" "$T/switches"
}

start_vmm() { # TAG INIT
	local tag=$1 init=$2
	rm -rf "$VMM_DIR"
	mkdir -p "$VMM_DIR/state"
	VMM_STARTED=1
	# vmmd and every partition it starts (they inherit its affinity) on CPU_A.
	timeout 30 taskset -c "$CPU_A" "$VMMD" --name "$VMM_NAME" --socket "$VMM_DIR/sock" \
		--config "$VMM_DIR/conf.json" --state-dir "$VMM_DIR/state" --guest-init "$init" \
		--switch-dir "$T/switches" --detach --pidfile "$VMM_DIR/pid" \
		--log-file "$LOGS/vmmd-$tag.log" </dev/null >>"$LOGS/vmmd-$tag.log" 2>&1 ||
		{ ERR="vmmd did not start (see vmmd-$tag.log)"; return 1; }
	VMM_PID=$(read_pidfile "$VMM_DIR/pid")
	[ -n "$VMM_PID" ] || { ERR="vmmd wrote no pidfile"; return 1; }
}

stop_vmm() { # TAG (optional): SIGTERM stops the partitions and removes their cgroups
	local tag=${1:-end} p
	[ -n "$VMM_STARTED" ] || return 0
	[ -z "$VMM_PID" ] && VMM_PID=$(read_pidfile "$VMM_DIR/pid")
	stop_pid "$VMM_PID" vmmd 20
	for p in "$VMM_DIR"/state/*.log; do
		[ -f "$p" ] && cp "$p" "$LOGS/part-$tag-$(basename "$p")"
	done
	# a vmmd that had to be killed leaves its cgroups behind
	for p in /sys/fs/cgroup/*/"vmmd-$VMM_NAME" /sys/fs/cgroup/"vmmd-$VMM_NAME"; do
		[ -d "$p" ] || continue
		rmdir "$p"/*/ "$p" 2>/dev/null || log "cannot remove cgroup $p"
	done
	VMM_PID="" VMM_STARTED=""
	rm -rf "$VMM_DIR"
}

# create_part NAME MAC PORT CMD [EXTRA-NIC-OPTIONS]
create_part() {
	vmmctl create "$1" --memory "$PART_MEM" --nic "switch=$VSW_NAME,mac=$2,port=$3${5:+,$5}" --cmd "$4" \
		>>"$LOGS/vmmctl.log" 2>&1 || { ERR="vmmctl create $1 failed: $(tail -1 "$LOGS/vmmctl.log")"; return 1; }
}
start_part() {
	vmmctl start "$1" >>"$LOGS/vmmctl.log" 2>&1 || { ERR="vmmctl start $1 failed: $(tail -1 "$LOGS/vmmctl.log")"; return 1; }
}
part_field() { vmmctl --json show "$1" 2>/dev/null | jq -r ".$2"; }
part_stopped() { [ "$(part_field "$1" state)" = stopped ]; }

# ports_ready [N]: N (default 2) netvsc ports open with the guest's RNDIS device ready.
ports_ready() {
	vctl --json list-ports 2>/dev/null | jq -e --argjson n "${1:-2}" '[.[] | select(.type == "netvsc")
		| select(.netvsc.state == "open" and .netvsc.guest.rndis_ready)] | length == $n' >/dev/null
}

# Check that every task of the partition runs on CPU_A only (vmmd passes on its affinity).
check_affinity() { # PARTITION
	local pid t bad=""
	pid=$(part_field "$1" pid)
	[ -n "$pid" ] && [ "$pid" != null ] || return 0
	for t in /proc/"$pid"/task/*; do
		[ "$(taskset -pc "${t##*/}" 2>/dev/null | awk '{print $NF}')" = "$CPU_A" ] || bad=1
	done
	[ -z "$bad" ] || log "  warning: partition $1 runs outside CPU $CPU_A"
}

worker_stats() { vctl --json worker-stats 2>/dev/null || echo "[]"; }

# B-side view after a round, into the log; prints a JSON object with vswitchd's worker busy %
# since WS0 and the non-zero drop counters per port.
vsw_view() { # TAG WS0
	local ps ws ws0=${2:-[]}
	ps=$(vctl --json port-stats 2>&1)
	ws=$(worker_stats)
	{
		echo "== port-stats"
		echo "$ps"
		echo "== fdb"
		vctl fdb-show
		echo "== workers"
		echo "$ws"
	} >>"$LOGS/vswitchctl-$1.log" 2>&1
	jq -cn --argjson p "$ps" --argjson w "$ws" --argjson w0 "$ws0" \
		'def cyc: .busy_cycles + .idle_cycles + .sleep_cycles;
		 {b_drops: ([$p[] | {(.name): ((.drops // {}) + (.netvsc.drops // {}) + (.netvsc.errors // {})
		                                | with_entries(select(.value != 0)))}] | add // {}),
		  b_busy_pct: [$w[] | . as $x | ($w0[] | select(.worker == $x.worker)) as $y
		               | (($x | cyc) - ($y | cyc)) as $d
		               | if $d > 0 then (100 * ($x.busy_cycles - $y.busy_cycles) / $d * 10 | round / 10)
		                 else null end]}' 2>/dev/null || echo '{}'
}

# emit LINE VIEW: the round's JSON line with the switch's view merged in, to $T/line
emit() {
	local v=${2:-}
	[ -n "$v" ] || v='{}'
	jq -c --argjson v "$v" '. + $v' <<<"$1" >"$T/line" 2>/dev/null || echo "$1" >"$T/line"
}

