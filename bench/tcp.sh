#!/usr/bin/env bash
# TCP throughput benchmark for the host's offloads (LSO, checksum, RSC: docs/offloads; issue 4):
# iperf3, one TCP stream, at each MTU, with offloads on and off, in one run:
#
#   vsw-pp   partition -> partition through vswitchd (netvsc ports)
#   vsw-pu   partition -> a network namespace behind a vswitchd af_packet uplink
#   veth     namespace -> namespace over a veth pair: the kernel's own floor
#   ovs      namespace -> namespace through Open vSwitch-DPDK (userspace datapath, NORMAL action),
#            each namespace on a dpdk af_packet port: the peer
#
# "Offloads off" means: for vsw-*, the netvsc ports get PART_OFF_SETTINGS (the host advertises no
# offloads, so each guest kernel segments and checksums itself); for veth, the veth ends have TSO,
# GSO, GRO and tx checksum off. Namespaces whose frames reach a userspace switch through af_packet
# (the vsw-pu uplink, both ovs namespaces) always have tx checksum/TSO/GSO off: af_packet cannot
# carry a partial checksum or a frame above the MTU. ovs is therefore measured once per MTU, and
# only at MTU 1500: DPDK 22.11's af_packet driver refuses MTUs above 1500 (max 1518-byte frames),
# so OVS cannot add the port with mtu_request=9000.
#
# vswitchd's CPU use is reported as process CPU seconds per second over the measured window
# (all its threads) and its worker's busy share (worker-stats).
#
# CPU placement: CPU_B runs the switch's forwarding thread (vswitchd worker / OVS PMD) and nothing
# else; the partitions, namespaces' iperf3 endpoints, control threads and this script use CPU_A.
#
# Run as root:  bench/tcp.sh [options]     (bench/tcp.sh -h for the options)

set -uo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib.sh
source "$BENCH_DIR/lib.sh"
# shellcheck source=bench/vswlib.sh
source "$BENCH_DIR/vswlib.sh"
# shellcheck source=bench/ovslib.sh
source "$BENCH_DIR/ovslib.sh"
REPO_DIR=$(cd "$BENCH_DIR/.." && pwd)

# ---------------------------------------------------------------- defaults
ROUNDS="${ROUNDS:-3}"
WARMUP="${WARMUP:-2}"
DURATION="${DURATION:-8}"
MTUS="${MTUS:-1500 9000}"
OFFLOADS="${OFFLOADS:-on off}"
CONTENDERS="${CONTENDERS:-vsw-pp vsw-pu veth ovs}"
BUILD_DIR="${BUILD_DIR:-/tmp/bench-build}"
JSON_OUT="${JSON_OUT:-}"
KEEP_LOGS="${KEEP_LOGS:-}"
CPU_A="${CPU_A:-0}"
CPU_B="${CPU_B:-1}"
VSW_MEM="${VSW_MEM:-1024}"
VSW_IDLE_SLEEP="${VSW_IDLE_SLEEP:-}"
PART_MEM="${PART_MEM:-256}"
PART_OFF_SETTINGS="${PART_OFF_SETTINGS:-offloads=off}" # netvsc port settings for "offloads off"
OVS_MEM_LIMIT="${OVS_MEM_LIMIT:-2048}"
READY_TIMEOUT="${READY_TIMEOUT:-30}"
OVS_VSWITCHD="${OVS_VSWITCHD:-/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk}"
OVS_SCHEMA="${OVS_SCHEMA:-/usr/share/openvswitch/vswitch.ovsschema}"

MAC_P0=02:00:5e:c0:00:01
MAC_P1=02:00:5e:c0:00:02
IP0=10.78.0.1
IP1=10.78.0.2
IPERF_PORT=5201

usage() {
	cat <<EOF
Usage: $0 [options]            (run as root)
  -r N        rounds per measurement (default $ROUNDS)
  -w S        warm-up seconds, excluded (iperf3 --omit; default $WARMUP)
  -d S        measured seconds per round (default $DURATION)
  -m "LIST"   MTUs (default "$MTUS")
  -O "LIST"   offload settings, any of: on off (default "$OFFLOADS")
  -c "LIST"   contenders, any of: vsw-pp vsw-pu veth ovs (default "$CONTENDERS")
  -b DIR      meson build dir (default $BUILD_DIR)
  -o FILE     also write all JSON lines (rounds, summaries, ratios) to FILE
  -k DIR      keep the logs of every process: copied to DIR at the end
  -h          this help
Exit status: 0 all rounds measured, 3 some rounds failed (still reported), 1 setup error,
130 interrupted.
Environment: every variable in the defaults block at the top of this script,
  e.g. CPU_A CPU_B PART_MEM VSW_MEM PART_OFF_SETTINGS
EOF
}

while getopts "r:w:d:m:O:c:b:o:k:h" opt; do
	case $opt in
	r) ROUNDS=$OPTARG ;;
	w) WARMUP=$OPTARG ;;
	d) DURATION=$OPTARG ;;
	m) MTUS=$OPTARG ;;
	O) OFFLOADS=$OPTARG ;;
	c) CONTENDERS=$OPTARG ;;
	b) BUILD_DIR=$OPTARG ;;
	o) JSON_OUT=$OPTARG ;;
	k) KEEP_LOGS=$OPTARG ;;
	h) usage; exit 0 ;;
	*) usage >&2; exit 1 ;;
	esac
done

VSWITCHD=$BUILD_DIR/vswitch/vswitchd
VSWITCHCTL=$BUILD_DIR/ctl/vswitchctl
VMMD=$BUILD_DIR/hypervisor/vmmd
VMMCTL=$BUILD_DIR/hypervisor/vmmctl
GUEST_INIT=$BUILD_DIR/guest-drivers/vsw-guest-init

has() { [[ " $CONTENDERS " == *" $1 "* ]]; }

# ---------------------------------------------------------------- checks
[ "$(id -u)" -eq 0 ] || die "run as root"
for n in $ROUNDS $WARMUP $DURATION; do
	[[ $n =~ ^[0-9]+$ ]] || die "not a number: $n"
done
[ "$ROUNDS" -ge 1 ] && [ "$DURATION" -ge 2 ] || die "need at least 1 round of at least 2 s"
for c in $CONTENDERS; do
	case $c in vsw-pp | vsw-pu | veth | ovs) ;; *) die "unknown contender: $c" ;; esac
done
for m in $MTUS; do
	[[ $m =~ ^[0-9]+$ ]] && [ "$m" -ge 1280 ] && [ "$m" -le 9000 ] || die "bad MTU: $m (1280-9000)"
done
for o in $OFFLOADS; do
	case $o in on | off) ;; *) die "bad offload setting: $o (on or off)" ;; esac
done
for cmd in python3 jq taskset nsenter ip ethtool iperf3; do
	command -v "$cmd" >/dev/null || die "missing command: $cmd"
done
if has ovs; then
	for cmd in ovsdb-tool ovsdb-server ovs-vsctl ovs-appctl; do
		command -v "$cmd" >/dev/null || die "missing command: $cmd"
	done
	[ -x "$OVS_VSWITCHD" ] || die "missing $OVS_VSWITCHD (openvswitch-switch-dpdk)"
fi
if has vsw-pp || has vsw-pu; then
	for f in "$VSWITCHD" "$VSWITCHCTL" "$VMMD" "$VMMCTL" "$GUEST_INIT"; do
		[ -x "$f" ] || die "$f not built: cd $REPO_DIR && meson setup $BUILD_DIR && ninja -C $BUILD_DIR"
	done
fi
for cpu in "$CPU_A" "$CPU_B"; do
	[ -d "/sys/devices/system/cpu/cpu$cpu" ] || die "no CPU $cpu"
done
# this script's own polling stays off the switch CPU (children inherit the mask)
taskset -pc "$CPU_A" $$ >/dev/null || die "cannot pin this script to CPU $CPU_A"

# ---------------------------------------------------------------- state and cleanup
T=$(mktemp -d /tmp/vswtcp.XXXXXX) || die "mktemp failed"
chmod 755 "$T"
LOGS=$T/logs
RESULTS=$T/results.jsonl
mkdir -p "$LOGS"
: >"$RESULTS"
PFX="vswtcp$$"
ID="vt$$"
HUGE=$T/huge
ORIG_NR_HUGE="" HUGE_CHANGED="" HUGE_MOUNTED=""
OVS_DIR=$T/ovs OVSDB_PID="" OVS_PID=""
VSW_PID="" VSW_STARTED="" VSW_SOCK=$T/vsw.sock VSW_NAME="$ID" VSW_VERSION_DONE=""
VMM_PID="" VMM_STARTED="" VMM_DIR=$T/vmm VMM_NAME="$ID"
NAMESPACES="" LINKS="" IPERF_S_PID="" IPERF_C_PID=""
CLEANING=""

export OVS_RUNDIR=$OVS_DIR OVS_DBDIR=$OVS_DIR OVS_LOGDIR=$OVS_DIR OVS_SYSCONFDIR=$OVS_DIR/etc

cleanup() {
	[ -n "$CLEANING" ] && return
	CLEANING=1
	trap '' INT TERM HUP
	stop_all end
	if [ -n "$KEEP_LOGS" ]; then
		mkdir -p "$KEEP_LOGS" && cp -r "$LOGS"/. "$KEEP_LOGS"/ && cp "$RESULTS" "$KEEP_LOGS"/ &&
			log "logs kept in $KEEP_LOGS"
	fi
	if [ -n "$HUGE_MOUNTED" ]; then
		rm -f "$HUGE"/* 2>/dev/null
		umount "$HUGE" 2>/dev/null || umount -l "$HUGE" 2>/dev/null || log "cannot unmount $HUGE"
	fi
	if [ -n "$HUGE_CHANGED" ]; then
		echo "$ORIG_NR_HUGE" >/proc/sys/vm/nr_hugepages 2>/dev/null ||
			log "cannot restore nr_hugepages to $ORIG_NR_HUGE"
	fi
	rm -rf "/var/run/dpdk/${PFX}o" "/var/run/dpdk/vsw-$VSW_NAME"
	if mountpoint -q "$HUGE" 2>/dev/null; then
		log "leaving $T: $HUGE is still mounted"
	else
		rm -rf "$T"
	fi
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM HUP

# ---------------------------------------------------------------- namespaces and veths
# ns_add NAME: a namespace (lo up), removed by stop_ns
ns_add() {
	ip netns add "$1" || { ERR="ip netns add $1 failed"; return 1; }
	NAMESPACES="$NAMESPACES $1"
	ip -n "$1" link set lo up
}

# veth_to_ns NS ROOTNAME ADDR MTU NOOFF: a veth pair, one end eth0 in NS with ADDR, the other
# ROOTNAME in the root namespace (up, no address). NOOFF=1: tx checksum/TSO/GSO off on eth0.
veth_to_ns() {
	local ns=$1 root=$2 addr=$3 mtu=$4 nooff=$5
	ip link add "$root" mtu "$mtu" type veth peer name "${root}p" mtu "$mtu" ||
		{ ERR="ip link add $root failed"; return 1; }
	LINKS="$LINKS $root"
	ip link set "${root}p" netns "$ns" && ip -n "$ns" link set "${root}p" name eth0 &&
		ip -n "$ns" addr add "$addr/24" dev eth0 && ip -n "$ns" link set eth0 up &&
		ip link set "$root" up || { ERR="configuring $root failed"; return 1; }
	if [ "$nooff" = 1 ]; then
		ip netns exec "$ns" ethtool -K eth0 tx off tso off gso off >/dev/null 2>&1 ||
			{ ERR="ethtool -K in $ns failed"; return 1; }
	fi
}

stop_ns() {
	local ns pid l
	stop_pid "$IPERF_C_PID" "iperf3 client" 3
	stop_pid "$IPERF_S_PID" "iperf3 server" 3
	IPERF_C_PID="" IPERF_S_PID=""
	for ns in $NAMESPACES; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null
		done
		ip netns del "$ns" 2>/dev/null
	done
	for l in $LINKS; do
		ip link del "$l" 2>/dev/null
	done
	NAMESPACES="" LINKS=""
}

# ---------------------------------------------------------------- measurements
# iperf_ns CLIENT-CMD-PREFIX SERVER-NS JSON TAG: iperf3 server in SERVER-NS (taskset CPU_A), the
# client run through CLIENT-CMD-PREFIX (an "ip netns exec NS" or "nsenter -t PID -n").
iperf_pair() {
	local cns=$1 sns=$2 json=$3 tag=$4
	# shellcheck disable=SC2086
	taskset -c "$CPU_A" $sns iperf3 -s -1 -p "$IPERF_PORT" >"$LOGS/$tag-server.log" 2>&1 </dev/null &
	IPERF_S_PID=$!
	# shellcheck disable=SC2086
	wait_until 15 eval "$sns ss -Hltn 'sport = :$IPERF_PORT' | grep -q ." ||
		{ ERR="iperf3 server not listening"; return 1; }
	cpu_mark
	# shellcheck disable=SC2086
	taskset -c "$CPU_A" timeout $((WARMUP + DURATION + 30)) $cns iperf3 -c "$IP1" -p "$IPERF_PORT" \
		-t "$DURATION" -O "$WARMUP" -J --logfile "$json" >"$LOGS/$tag-client.log" 2>&1 </dev/null &
	IPERF_C_PID=$!
	wait "$IPERF_C_PID"
	IPERF_C_PID=""
	cpu_take
}

# vswitchd's process CPU (utime + stime, all threads) over the client's run, as CPU s per s.
CPU_T0="" CPU_C0="" CPU_USE="null"
proc_cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null; }
cpu_mark() {
	CPU_USE=null CPU_T0="" CPU_C0=""
	[ -n "$VSW_PID" ] || return 0
	CPU_T0=$(date +%s.%N)
	CPU_C0=$(proc_cpu_ticks "$VSW_PID")
}
cpu_take() {
	local c1 t1 hz
	[ -n "$CPU_C0" ] || return 0
	c1=$(proc_cpu_ticks "$VSW_PID")
	t1=$(date +%s.%N)
	hz=$(getconf CLK_TCK)
	CPU_USE=$(jq -n --argjson c0 "$CPU_C0" --argjson c1 "${c1:-$CPU_C0}" --argjson t0 "$CPU_T0" \
		--argjson t1 "$t1" --argjson hz "$hz" '(($c1 - $c0) / $hz) / ($t1 - $t0) * 1000 | round / 1000')
}

result_line() { # CONTENDER MTU OFFLOADS ROUND JSON VIEW
	local meta line
	meta=$(jq -cn --arg c "$1" --argjson m "$2" --arg o "$3" --argjson r "$4" --argjson cpu "$CPU_USE" \
		'{type:"round", contender:$c, metric:"gbps", mtu:$m, offloads:$o, round:$r, vsw_cpu_s_per_s:$cpu}')
	line=$(python3 "$BENCH_DIR/vmbus.py" iperf --meta "$meta" "$5" 2>>"$LOGS/result.err")
	[ -n "$line" ] || { ERR="no iperf3 result ($(tail -1 "$LOGS/result.err"))"; return 1; }
	emit "$line" "$6"
}

# vswitchd with netvsc ports p0/p1 created before the partitions (so their settings apply from
# the channel's first open) at MTU, with offloads as asked.
vsw_ports() { # MTU OFFLOADS NAMES...
	local mtu=$1 off=$2 p set
	shift 2
	set="mtu=$mtu"
	[ "$off" = off ] && set="$set $PART_OFF_SETTINGS"
	for p in "$@"; do
		# shellcheck disable=SC2086
		vctl add-port "$p" "netvsc,socket=$VMM_DIR/state/$p.0.vmbus" $set >>"$LOGS/vswitchctl.log" 2>&1 ||
			{ ERR="add-port $p $set failed: $(tail -1 "$LOGS/vswitchctl.log")"; return 1; }
	done
}

part_cmd() { # ADDR MTU THEN
	echo "ip link set eth0 mtu $2 && ip addr add $1/24 dev eth0 && $3"
}

run_vsw() { # CONTENDER MTU OFFLOADS ROUND
	local c=$1 mtu=$2 off=$3 round=$4 tag="$1-$2-$3-r$4" json=$T/iperf-c.json go=$T/iperf.go
	local ws0 view spid n_ports=2
	rm -f "$json" "$go"
	start_vsw "$tag" || return 1
	start_vmm "$tag" "$GUEST_INIT" || return 1
	# The client waits (bounded) for the script's go, once the server listens.
	local client="n=0; while [ ! -e $go ]; do n=\$((n+1)); [ \$n -gt 600 ] && exit 4; sleep 0.1; done; exec iperf3 -c $IP1 -p $IPERF_PORT -t $DURATION -O $WARMUP -J --logfile $json"
	if [ "$c" = vsw-pp ]; then
		vsw_ports "$mtu" "$off" p0 p1 || return 1
		create_part p1 "$MAC_P1" p1 "$(part_cmd "$IP1" "$mtu" "exec iperf3 -s -1 -p $IPERF_PORT")" || return 1
	else
		n_ports=1
		vsw_ports "$mtu" "$off" p0 || return 1
		ns_add "${ID}u" || return 1
		veth_to_ns "${ID}u" "${ID}x" "$IP1" "$mtu" 1 || return 1
		vctl add-port up "net_af_packet,iface=${ID}x" "mtu=$mtu" >>"$LOGS/vswitchctl.log" 2>&1 ||
			{ ERR="add-port up failed: $(tail -1 "$LOGS/vswitchctl.log")"; return 1; }
		taskset -c "$CPU_A" ip netns exec "${ID}u" iperf3 -s -1 -p "$IPERF_PORT" \
			>"$LOGS/$tag-server.log" 2>&1 </dev/null &
		IPERF_S_PID=$!
	fi
	create_part p0 "$MAC_P0" p0 "$(part_cmd "$IP0" "$mtu" "$client")" || return 1
	[ "$c" = vsw-pp ] && { start_part p1 || return 1; }
	start_part p0 || return 1
	if ! wait_until "$READY_TIMEOUT" ports_ready "$n_ports"; then
		ERR="netvsc ports not open: $(vctl --json list-ports 2>/dev/null | jq -c '[.[] | {name, state: .netvsc.state}]')"
		return 1
	fi
	if [ "$c" = vsw-pp ]; then
		spid=$(part_field p1 pid)
		wait_until 15 eval "nsenter -t $spid -n ss -Hltn 'sport = :$IPERF_PORT' | grep -q ." ||
			{ ERR="iperf3 server in p1 not listening"; return 1; }
	else
		wait_until 15 eval "ip netns exec ${ID}u ss -Hltn 'sport = :$IPERF_PORT' | grep -q ." ||
			{ ERR="iperf3 server in the uplink namespace not listening"; return 1; }
	fi
	ws0=$(worker_stats)
	cpu_mark
	touch "$go"
	sleep $((WARMUP + DURATION)) # no polling on CPU_A while iperf3 runs
	if ! wait_until 30 part_stopped p0; then
		ERR="iperf3 client did not finish"
		return 1
	fi
	cpu_take
	view=$(vsw_view "$tag" "$ws0")
	vctl --json list-ports >>"$LOGS/vswitchctl-$tag.log" 2>&1
	cp "$json" "$LOGS/$tag.json" 2>/dev/null
	result_line "$c" "$mtu" "$off" "$round" "$json" "$view"
}

run_veth() { # MTU OFFLOADS ROUND
	local mtu=$1 off=$2 round=$3 tag="veth-$1-$2-r$3" json=$T/iperf-c.json
	rm -f "$json"
	ns_add "${ID}a" && ns_add "${ID}b" || return 1
	ip link add "${ID}v" mtu "$mtu" type veth peer name "${ID}w" mtu "$mtu" ||
		{ ERR="ip link add veth failed"; return 1; }
	ip link set "${ID}v" netns "${ID}a" && ip link set "${ID}w" netns "${ID}b" &&
		ip -n "${ID}a" link set "${ID}v" name eth0 && ip -n "${ID}b" link set "${ID}w" name eth0 &&
		ip -n "${ID}a" addr add "$IP0/24" dev eth0 && ip -n "${ID}b" addr add "$IP1/24" dev eth0 &&
		ip -n "${ID}a" link set eth0 up && ip -n "${ID}b" link set eth0 up ||
		{ ERR="configuring the veth failed"; return 1; }
	if [ "$off" = off ]; then
		ip netns exec "${ID}a" ethtool -K eth0 tx off tso off gso off gro off >/dev/null 2>&1 &&
			ip netns exec "${ID}b" ethtool -K eth0 tx off tso off gso off gro off >/dev/null 2>&1 ||
			{ ERR="ethtool -K on the veth failed"; return 1; }
	fi
	iperf_pair "ip netns exec ${ID}a" "ip netns exec ${ID}b" "$json" "$tag" || return 1
	cp "$json" "$LOGS/$tag.json" 2>/dev/null
	result_line veth "$mtu" "$off" "$round" "$json" "{}"
}

start_ovs() { # TAG MTU
	local tag=$1 mtu=$2
	ovs_start_daemons "$tag" || return 1
	{
		ovsctl add-br br0 -- set bridge br0 datapath_type=netdev &&
			ovsctl add-port br0 a0 -- set Interface a0 type=dpdk \
				"options:dpdk-devargs=net_af_packet0,iface=${ID}x" mtu_request="$mtu" &&
			ovsctl add-port br0 a1 -- set Interface a1 type=dpdk \
				"options:dpdk-devargs=net_af_packet1,iface=${ID}y" mtu_request="$mtu"
	} >>"$LOGS/ovs-$tag.log" 2>&1 || { ERR="adding the OVS bridge or ports failed"; return 1; }
	ovs_ports_ok a0 a1 || return 1
}


run_ovs() { # MTU ROUND
	local mtu=$1 round=$2 tag="ovs-$1-r$2" json=$T/iperf-c.json pmd
	rm -f "$json"
	ns_add "${ID}a" && ns_add "${ID}b" || return 1
	veth_to_ns "${ID}a" "${ID}x" "$IP0" "$mtu" 1 && veth_to_ns "${ID}b" "${ID}y" "$IP1" "$mtu" 1 || return 1
	start_ovs "$tag" "$mtu" || return 1
	wait_until "$READY_TIMEOUT" eval "ip netns exec ${ID}a ping -c 1 -W 1 $IP1" ||
		{ ERR="no ping across OVS"; return 1; }
	ovs_appctl dpif-netdev/pmd-stats-clear >/dev/null 2>&1
	iperf_pair "ip netns exec ${ID}a" "ip netns exec ${ID}b" "$json" "$tag" || return 1
	pmd=$(ovs_appctl dpif-netdev/pmd-stats-show 2>&1)
	echo "$pmd" >>"$LOGS/ovs-$tag.log"
	cp "$json" "$LOGS/$tag.json" 2>/dev/null
	result_line ovs "$mtu" "tx-off" "$round" "$json" "$(awk '/processing cycles:/ { gsub(/[(%)]/, "", $4); v = v (v == "" ? "" : ",") $4 }
	     END { if (v != "") print "{\"b_busy_pct\":[" v "]}"; else print "{}" }' <<<"$pmd")"
}

# ---------------------------------------------------------------- one measurement
stop_all() { # TAG
	stop_ovs
	stop_vmm "$1"
	stop_vsw
	stop_ns
}

record_failure() { # CONTENDER MTU OFFLOADS ROUND MESSAGE
	log "  $1 mtu $2 offloads $3 round $4 FAILED: $5"
	jq -cn --arg c "$1" --argjson m "$2" --arg o "$3" --argjson r "$4" --arg p "$5" \
		'{type:"round", contender:$c, metric:"gbps", mtu:$m, offloads:$o, round:$r, ok:false, problem:$p}' >>"$RESULTS"
}

run_one() { # CONTENDER MTU OFFLOADS ROUND
	local c=$1 mtu=$2 off=$3 round=$4 ok=""
	ERR=""
	rm -f "$T/line"
	case $c in
	vsw-pp | vsw-pu) run_vsw "$c" "$mtu" "$off" "$round" && ok=1 ;;
	veth) run_veth "$mtu" "$off" "$round" && ok=1 ;;
	ovs) run_ovs "$mtu" "$round" && ok=1 ;;
	esac
	if [ -n "$ok" ] && [ -s "$T/line" ]; then
		cat "$T/line" >>"$RESULTS"
		log "  $c mtu $mtu offloads $off round $round: $(jq -r '"\(.gbps) Gbit/s"
			+ (if .vsw_cpu_s_per_s != null then ", vswitchd \(.vsw_cpu_s_per_s) CPU s/s" else "" end)
			+ (if .b_busy_pct then ", switch busy \(.b_busy_pct|map(tostring)|join("/")) %" else "" end)
			+ (if .ok then "" else ", PROBLEM: " + .problem end)' "$T/line")"
	else
		record_failure "$c" "$mtu" "$off" "$round" "${ERR:-unknown error}"
	fi
	stop_all "$c-$mtu-$off-r$round"
}

# ---------------------------------------------------------------- main
jobs=()
for m in $MTUS; do
	for c in $CONTENDERS; do
		if [ "$c" = ovs ]; then
			[ "$m" = 1500 ] && jobs+=("$c $m tx-off")
			continue
		fi
		for o in $OFFLOADS; do jobs+=("$c $m $o"); done
	done
done
est=$((ROUNDS * ${#jobs[@]} * (WARMUP + DURATION + 8)))
log "workdir $T; $ROUNDS rounds of ${#jobs[@]} measurements, ~$((est / 60)) min $((est % 60)) s"

jq -cn --arg date "$(date -Is)" --arg host "$(hostname)" --arg kernel "$(uname -r)" \
	--arg cpu "$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)" \
	--arg ovs "$("$OVS_VSWITCHD" --version 2>/dev/null | head -1)" \
	--arg iperf "$(iperf3 --version 2>/dev/null | head -1)" \
	--arg git "$(git -C "$REPO_DIR" rev-parse --short HEAD 2>/dev/null || echo none)" \
	--argjson rounds "$ROUNDS" --argjson warmup "$WARMUP" --argjson dur "$DURATION" \
	--arg mtus "$MTUS" --arg offloads "$OFFLOADS" --arg contenders "$CONTENDERS" \
	--argjson cpua "$CPU_A" --argjson cpub "$CPU_B" --argjson pmem "$PART_MEM" \
	--arg offset "$PART_OFF_SETTINGS" \
	'{type:"meta", bench:"tcp", date:$date, host:$host, kernel:$kernel, cpu:$cpu, ovs:$ovs,
	  iperf:$iperf, git:$git, rounds:$rounds, warmup_s:$warmup, duration_s:$dur, mtus:$mtus,
	  offloads:$offloads, contenders:$contenders, cpu_endpoints:$cpua, cpu_switch:$cpub,
	  partition_memory_mb:$pmem, offloads_off_settings:$offset}' >>"$RESULTS"

if has vsw-pp || has vsw-pu || has ovs; then
	need=256
	{ has vsw-pp || has vsw-pu; } && need=$((VSW_MEM + 256))
	has ovs && [ $((OVS_MEM_LIMIT + 256)) -gt "$need" ] && need=$((OVS_MEM_LIMIT + 256))
	reserve_hugepages "$need"
fi

for ((round = 1; round <= ROUNDS; round++)); do
	log "round $round"
	# Rotate the order each round so no measurement always runs first.
	for ((k = 0; k < ${#jobs[@]}; k++)); do
		# shellcheck disable=SC2086
		run_one ${jobs[$(((k + round - 1) % ${#jobs[@]}))]} "$round"
	done
done

log "done"
python3 "$BENCH_DIR/tcp.py" report "$RESULTS" | tee "$T/report.txt"
if [ -n "$JSON_OUT" ]; then
	grep '^{' "$T/report.txt" >"$JSON_OUT" && log "JSON lines written to $JSON_OUT"
fi
n_bad=$(jq -s '[.[] | select(.type == "round" and .ok == false)] | length' "$RESULTS" 2>/dev/null || echo 0)
if [ "${n_bad:-0}" -gt 0 ]; then
	log "$n_bad round(s) failed, see above"
	exit 3
fi
exit 0
