#!/usr/bin/env bash
# VMBus-path benchmark: partitions on vswitchd netvsc ports, side by side with the kernel's
# veth and Open vSwitch-DPDK vhost-user, in one run.
#
#   pktgen   packet rate partition <-> partition through vswitchd: vsw-guest-pktgen in both
#            partitions, each a timed sender to the other and a sink (both directions summed)
#   pmd      packet rate between two partitions whose NICs are guest=uio, driven by Debian's DPDK
#            netvsc PMD: vsw-dpdk-app blast --loop in each, a closed loop like the ovs
#            contender's (PMD_LOOP frames injected, every frame sent back with its addresses
#            rewritten; same frames and JSON lines as pktgen); PMD_LOOP=0: the open-loop flood
#   pmd1     the same PMD in ONE partition with two guest=uio NICs: one vsw-dpdk-app pair, the
#            shape of the ovs contender's one testpmd with two ports (each port's frames go
#            out of the other, PMD_LOOP frames per direction); no second process shares CPU_A
#   ovs      packet rate through Open vSwitch-DPDK (NORMAL): two dpdkvhostuserclient ports,
#            one dpdk-testpmd with two virtio-user ports, mac forwarding, closed loop
#   ovs2     the same switch between two dpdk-testpmd processes with one virtio-user port each
#            (the arrangement issue 5 names; like the two pmd partitions, they share CPU_A, and
#            testpmd never gives the CPU up: they alternate by the kernel's time slices)
#   iperf    iperf3 TCP throughput partition -> partition through vswitchd (vsw-guest-init)
#   veth     the same iperf3 between two network namespaces joined by a veth pair
#   veth-nooff  the same, with TSO/GSO/GRO and tx checksum offload off on the veth (every
#            segment a <= 1514-byte frame, as on the partitions' offload-free eth0)
#
# CPU placement (see bench/README.md, "VMBus path"): CPU_B runs the switch's forwarding thread
# (vswitchd worker / OVS PMD) and nothing else; everything else (partitions and vmmd, testpmd,
# iperf3 endpoints, control threads, this script) is on CPU_A.
#
# Run as root:  bench/vmbus.sh [options]     (bench/vmbus.sh -h for the options)

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
# Every default can also be set through the environment (e.g. ROUNDS=5 bench/vmbus.sh).
ROUNDS="${ROUNDS:-3}"
WARMUP="${WARMUP:-2}"
DURATION="${DURATION:-8}"
FRAMES="${FRAMES:-64 1518}"
CONTENDERS="${CONTENDERS:-pktgen pmd pmd1 ovs iperf veth veth-nooff}"
BUILD_DIR="${BUILD_DIR:-/tmp/bench-build}"
JSON_OUT="${JSON_OUT:-}"
KEEP_LOGS="${KEEP_LOGS:-}"
DO_C2C="${DO_C2C:-1}"
CPU_A="${CPU_A:-0}"                 # generators, partitions, endpoints, control threads
CPU_B="${CPU_B:-1}"                 # the switch's forwarding thread
VSW_MEM="${VSW_MEM:-1024}"          # vswitchd -m (MiB)
VSW_IDLE_SLEEP="${VSW_IDLE_SLEEP:-}"  # vswitchd --idle-sleep-max (us); empty: its default
PART_MEM="${PART_MEM:-128}"         # partition --memory (MiB)
PMD_MEM="${PMD_MEM:-512}"           # pmd partitions' --memory (MiB): DPDK's heap lies inside
PMD_EAL="${PMD_EAL:---no-huge -m 64 --iova-mode=va --no-pci --base-virtaddr=0x8000000 --log-level=lib.eal:notice}"
PMD_LOOP="${PMD_LOOP:-256}"         # pmd: frames put into a closed loop (both partitions send back
                                    # what they get, as the ovs contender's testpmd forwards);
                                    # 0: open loop, each partition a timed flood and a sink
PMD_YIELD_BELOW="${PMD_YIELD_BELOW:-32}"  # pmd loop: a partition yields the CPU after a poll
                                    # that received fewer frames (1: only after an empty one)
PMD_DEVARGS="${PMD_DEVARGS:-}"      # netvsc devargs, e.g. tx_copybreak=1518 (frames above 512 B
                                    # otherwise go by GPA ranges); empty: the PMD's defaults
A_MEM="${A_MEM:-1024}"              # testpmd -m (MiB)
OVS_MEM_LIMIT="${OVS_MEM_LIMIT:-2048}"  # dpdk-socket-limit (MiB)
VHOST_QSIZE="${VHOST_QSIZE:-1024}"  # virtio-user queue_size
TX_FIRST="${TX_FIRST:-32}"
READY_TIMEOUT="${READY_TIMEOUT:-30}"  # partitions attached / links up
OVS_VSWITCHD="${OVS_VSWITCHD:-/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk}"
OVS_SCHEMA="${OVS_SCHEMA:-/usr/share/openvswitch/vswitch.ovsschema}"

MAC_P0=02:00:5e:b0:00:01            # partitions (pktgen, iperf)
MAC_P1=02:00:5e:b0:00:02
MAC_A0=02:00:00:00:00:a0            # testpmd's virtio-user ports
MAC_A1=02:00:00:00:00:a1
IP0=10.77.0.1
IP1=10.77.0.2
IPERF_PORT=5201

usage() {
	cat <<EOF
Usage: $0 [options]            (run as root)
  -r N        rounds per measurement (default $ROUNDS)
  -w S        warm-up seconds, excluded (default $WARMUP; iperf3 --omit)
  -d S        measured seconds per round (default $DURATION)
  -f "LIST"   frame sizes for the packet-rate contenders, FCS included, 64-1518
              (default "$FRAMES")
  -c "LIST"   contenders, any of: pktgen pmd pmd1 ovs ovs2 iperf veth veth-nooff
              (default "$CONTENDERS")
  -b DIR      meson build dir with vswitch/vswitchd, ctl/vswitchctl, hypervisor/vmmd,
              hypervisor/vmmctl, guest-drivers/vsw-guest-init, guest-drivers/vsw-guest-pktgen,
              guest-drivers/vsw-dpdk-app, guest-drivers/libvsw_uio.so
              (default $BUILD_DIR)
  -o FILE     also write all JSON lines (rounds, summaries, ratios) to FILE
  -k DIR      keep the logs of every process: copied to DIR at the end
  -C          skip the core-to-core cache-line round-trip estimate
  -h          this help
Exit status: 0 all rounds measured, 3 some rounds failed (still reported), 1 setup error,
130 interrupted.
Environment: every variable in the defaults block at the top of this script,
  e.g. CPU_A CPU_B PART_MEM PMD_MEM PMD_EAL PMD_DEVARGS VSW_MEM OVS_MEM_LIMIT VHOST_QSIZE TX_FIRST
EOF
}

while getopts "r:w:d:f:c:b:o:k:Ch" opt; do
	case $opt in
	r) ROUNDS=$OPTARG ;;
	w) WARMUP=$OPTARG ;;
	d) DURATION=$OPTARG ;;
	f) FRAMES=$OPTARG ;;
	c) CONTENDERS=$OPTARG ;;
	b) BUILD_DIR=$OPTARG ;;
	o) JSON_OUT=$OPTARG ;;
	k) KEEP_LOGS=$OPTARG ;;
	C) DO_C2C="" ;;
	h) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || { usage >&2; exit 2; }

VSWITCHD=$BUILD_DIR/vswitch/vswitchd
VSWITCHCTL=$BUILD_DIR/ctl/vswitchctl
VMMD=$BUILD_DIR/hypervisor/vmmd
VMMCTL=$BUILD_DIR/hypervisor/vmmctl
GUEST_INIT=$BUILD_DIR/guest-drivers/vsw-guest-init
GUEST_PKTGEN=$BUILD_DIR/guest-drivers/vsw-guest-pktgen
DPDK_APP=$BUILD_DIR/guest-drivers/vsw-dpdk-app

has() { [[ " $CONTENDERS " == *" $1 "* ]]; }

# ---------------------------------------------------------------- checks
[ "$(id -u)" -eq 0 ] || die "run as root"
for n in $ROUNDS $WARMUP $DURATION; do
	[[ $n =~ ^[0-9]+$ ]] || die "not a number: $n"
done
[ "$ROUNDS" -ge 1 ] && [ "$DURATION" -ge 2 ] || die "need at least 1 round of at least 2 s"
[[ $PMD_LOOP =~ ^[0-9]+$ ]] && [ "$PMD_LOOP" -le 2048 ] || die "PMD_LOOP: 0-2048, not $PMD_LOOP"
for c in $CONTENDERS; do
	case $c in pktgen | pmd | pmd1 | ovs | ovs2 | iperf | veth | veth-nooff) ;; *) die "unknown contender: $c" ;; esac
done
for f in $FRAMES; do
	[[ $f =~ ^[0-9]+$ ]] && [ "$f" -ge 64 ] && [ "$f" -le 1518 ] || die "bad frame size: $f (64-1518)"
done
for cmd in python3 jq taskset unshare mountpoint nsenter ip; do
	command -v "$cmd" >/dev/null || die "missing command: $cmd"
done
if has ovs || has ovs2; then
	for cmd in dpdk-testpmd ovsdb-tool ovsdb-server ovs-vsctl ovs-appctl; do
		command -v "$cmd" >/dev/null || die "missing command: $cmd"
	done
	[ -x "$OVS_VSWITCHD" ] || die "missing $OVS_VSWITCHD (openvswitch-switch-dpdk)"
fi
if has iperf || has veth || has veth-nooff; then
	command -v iperf3 >/dev/null || die "missing command: iperf3"
fi
has veth-nooff && { command -v ethtool >/dev/null || die "missing command: ethtool"; }
if has pktgen || has iperf || has pmd || has pmd1; then
	for f in "$VSWITCHD" "$VSWITCHCTL" "$VMMD" "$VMMCTL" "$GUEST_INIT" "$GUEST_PKTGEN"; do
		[ -x "$f" ] || die "$f not built: cd $REPO_DIR && meson setup $BUILD_DIR && ninja -C $BUILD_DIR"
	done
fi
if has pmd || has pmd1; then
	[ -x "$DPDK_APP" ] && [ -e "$BUILD_DIR/guest-drivers/libvsw_uio.so" ] ||
		die "$DPDK_APP or libvsw_uio.so not built (needs libdpdk-dev)"
fi
for cpu in "$CPU_A" "$CPU_B"; do
	[ -d "/sys/devices/system/cpu/cpu$cpu" ] || die "no CPU $cpu"
done
# This script's own polling (vmmctl, vswitchctl, jq every fraction of a second) stays off the
# switch CPU: perf on CPU_B showed jq there. Children inherit this; the switches pin their
# forwarding threads to CPU_B themselves.
taskset -pc "$CPU_A" $$ >/dev/null || die "cannot pin this script to CPU $CPU_A"

# ---------------------------------------------------------------- state and cleanup
T=$(mktemp -d /tmp/vswvmbus.XXXXXX) || die "mktemp failed"
chmod 755 "$T"
LOGS=$T/logs
RESULTS=$T/results.jsonl
mkdir -p "$LOGS"
: >"$RESULTS"
PFX="vswvmbus$$"          # DPDK file prefixes: ${PFX}a, a20, a21 (testpmd), ${PFX}o (OVS)
ID="vb$$"                 # vswitchd / vmmd instance names, namespaces, veths
HUGE=$T/huge
ORIG_NR_HUGE="" HUGE_CHANGED="" HUGE_MOUNTED=""
A_PIDS=() A_FDS=() A_NAMES=() A_PORTS=""  # testpmd endpoints of ovs/ovs2 (start_a, start_a2)
OVS_DIR=$T/ovs OVSDB_PID="" OVS_PID=""
VSW_PID="" VSW_STARTED="" VSW_SOCK=$T/vsw.sock VSW_NAME="$ID" VSW_VERSION_DONE=""
VMM_PID="" VMM_STARTED="" VMM_DIR=$T/vmm VMM_NAME="$ID"
NS_A="" NS_B="" VETH_A="" IPERF_S_PID="" IPERF_C_PID=""
CLEANING=""

export OVS_RUNDIR=$OVS_DIR OVS_DBDIR=$OVS_DIR OVS_LOGDIR=$OVS_DIR OVS_SYSCONFDIR=$OVS_DIR/etc


cleanup() {
	[ -n "$CLEANING" ] && return
	CLEANING=1
	trap '' INT TERM HUP
	a_cmd stop
	stop_ovs
	stop_a
	stop_vmm
	stop_vsw
	stop_veth
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
	rm -rf "/var/run/dpdk/${PFX}a" "/var/run/dpdk/${PFX}a20" "/var/run/dpdk/${PFX}a21" \
		"/var/run/dpdk/${PFX}o" "/var/run/dpdk/vsw-$VSW_NAME"
	if mountpoint -q "$HUGE" 2>/dev/null; then
		log "leaving $T: $HUGE is still mounted"
	else
		rm -rf "$T"
	fi
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM HUP

# ---------------------------------------------------------------- hugepages
setup_hugepages() {
	local need_mb=0
	{ has ovs || has ovs2; } && need_mb=$((A_MEM + OVS_MEM_LIMIT + 256))
	if has pktgen || has iperf || has pmd || has pmd1; then
		[ $((VSW_MEM + 256)) -gt "$need_mb" ] && need_mb=$((VSW_MEM + 256))
	fi
	[ "$need_mb" -gt 0 ] || return 0
	reserve_hugepages "$need_mb"
}

# The rest of a pktgen or pmd round once its partitions (default p0 and p1) exist: start them,
# wait until both switch ports are open, take the worker counters (busy % from there, traffic
# flowing, to the end), wait for the partitions to finish, cut the window from their logs and
# emit the round.
pair_round() { # CONTENDER TAG FRAME ROUND L2 TX-SECONDS [PARTITION...]
	local c=$1 tag=$2 frame=$3 round=$4 l2=$5 txs=$6 ws0 view line p logs=() stopped=
	shift 6
	[ $# -gt 0 ] || set -- p0 p1
	for p in "$@"; do
		start_part "$p" || return 1
	done
	for p in "$@"; do
		check_affinity "$p"
		logs+=("$VMM_DIR/state/$p.log")
		stopped+="${stopped:+ && }part_stopped $p"
	done
	if ! wait_until "$READY_TIMEOUT" ports_ready; then
		ERR="netvsc ports not open: $(vctl --json list-ports 2>/dev/null | jq -c '[.[] | {name, state: .netvsc.state}]')"
		return 1
	fi
	ws0=$(worker_stats)
	# No polling while they send: the OVS rounds' script sits blocked in pktrate.py meanwhile,
	# and every poll here is a few processes on CPU_A, which the partitions run on.
	sleep "$txs"
	if ! wait_until 30 eval "$stopped"; then
		ERR="partitions did not finish"
		return 1
	fi
	view=$(vsw_view "$tag" "$ws0")
	line=$(python3 "$BENCH_DIR/vmbus.py" pktgen --warmup "$WARMUP" --duration "$DURATION" \
		--expect-len "$l2" --meta "$(jq -cn --arg c "$c" --argjson f "$frame" --argjson r "$round" --argjson l "$l2" \
			'{type:"round", contender:$c, metric:"mpps", frame:$f, round:$r, l2_len:$l}')" \
		"${logs[@]}" 2>>"$LOGS/$tag.err")
	[ -n "$line" ] || { ERR="no result from the partitions' logs ($(tail -1 "$LOGS/$tag.err"))"; return 1; }
	emit "$line" "$view"
}

# ---------------------------------------------------------------- pktgen
run_pktgen() { # FRAME ROUND
	local frame=$1 round=$2 tag="pktgen-$1-r$2" l2=$(($1 - 4)) txs
	# Both partitions send for the whole round; the window is cut from the overlap.
	txs=$((WARMUP + DURATION + 3))
	start_vsw "$tag" || return 1
	start_vmm "$tag" "$GUEST_PKTGEN" || return 1
	create_part p0 "$MAC_P0" p0 "count=0 tx_seconds=$txs size=$l2 dst=$MAC_P1 seconds=2 ticks=1" || return 1
	create_part p1 "$MAC_P1" p1 "count=0 tx_seconds=$txs size=$l2 dst=$MAC_P0 seconds=2 ticks=1" || return 1
	pair_round pktgen "$tag" "$frame" "$round" "$l2" "$txs"
}

# ---------------------------------------------------------------- pmd: DPDK's netvsc PMD
# Two guest=uio partitions, each running vsw-dpdk-app blast (closed loop with PMD_LOOP, else a timed
# sender to the other and a sink), printing vsw-guest-pktgen's JSON lines, so the round is cut and
# summed as pktgen's.
run_pmd() { # FRAME ROUND
	local frame=$1 round=$2 tag="pmd-$1-r$2" l2=$(($1 - 4)) txs eal=$PMD_EAL loop=
	txs=$((WARMUP + DURATION + 3))
	[ "$PMD_LOOP" = 0 ] || loop="--loop $PMD_LOOP --yield-below $PMD_YIELD_BELOW"
	# devargs go with the device's name, the one directory of the partition's uio view
	[ -z "$PMD_DEVARGS" ] || eal="$eal -a \$(ls /sys/bus/vmbus/devices),$PMD_DEVARGS"
	start_vsw "$tag" || return 1
	start_vmm "$tag" "$GUEST_INIT" || return 1
	PART_MEM=$PMD_MEM create_part p0 "$MAC_P0" p0 \
		"exec $DPDK_APP $eal -- blast --peer-mac $MAC_P1 --sizes $l2 --tx-seconds $txs --seconds 2 --idle-yield $loop" \
		guest=uio || return 1
	PART_MEM=$PMD_MEM create_part p1 "$MAC_P1" p1 \
		"exec $DPDK_APP $eal -- blast --peer-mac $MAC_P0 --sizes $l2 --tx-seconds $txs --seconds 2 --idle-yield $loop" \
		guest=uio || return 1
	pair_round pmd "$tag" "$frame" "$round" "$l2" "$txs"
}

# pmd1: one guest=uio partition with two NICs (ports p0 and p1 of the switch), one
# vsw-dpdk-app pair forwarding between them; its log has a set of lines per port.
run_pmd1() { # FRAME ROUND
	local frame=$1 round=$2 tag="pmd1-$1-r$2" l2=$(($1 - 4)) txs loop=$PMD_LOOP
	txs=$((WARMUP + DURATION + 3))
	[ "$loop" != 0 ] || loop=256
	start_vsw "$tag" || return 1
	start_vmm "$tag" "$GUEST_INIT" || return 1
	vmmctl create p01 --memory "$PMD_MEM" \
		--nic "switch=$VSW_NAME,mac=$MAC_P0,port=p0,guest=uio" \
		--nic "switch=$VSW_NAME,mac=$MAC_P1,port=p1,guest=uio" \
		--cmd "exec $DPDK_APP $PMD_EAL -- pair --sizes $l2 --tx-seconds $txs --seconds 2 --loop $loop" \
		>>"$LOGS/vmmctl.log" 2>&1 || { ERR="vmmctl create p01 failed: $(tail -1 "$LOGS/vmmctl.log")"; return 1; }
	pair_round pmd1 "$tag" "$frame" "$round" "$l2" "$txs" p01
}

# ---------------------------------------------------------------- iperf3 through vswitchd
iperf_server_up() { nsenter -t "$1" -n ss -Hltn "sport = :$IPERF_PORT" 2>/dev/null | grep -q .; }

run_iperf() { # ROUND
	local round=$1 tag="iperf-r$1" ws0 view spid json=$T/iperf-c.json go=$T/iperf.go line
	rm -f "$json" "$go"
	start_vsw "$tag" || return 1
	start_vmm "$tag" "$GUEST_INIT" || return 1
	create_part p1 "$MAC_P1" p1 "ip addr add $IP1/24 dev eth0 && exec iperf3 -s -1 -p $IPERF_PORT" || return 1
	# The client waits (bounded) for the script's go, once the server listens.
	create_part p0 "$MAC_P0" p0 "ip addr add $IP0/24 dev eth0 || exit 3; n=0; while [ ! -e $go ]; do n=\$((n+1)); [ \$n -gt 600 ] && exit 4; sleep 0.1; done; exec iperf3 -c $IP1 -p $IPERF_PORT -t $DURATION -O $WARMUP -J --logfile $json" || return 1
	start_part p1 && start_part p0 || return 1
	if ! wait_until "$READY_TIMEOUT" ports_ready; then
		ERR="netvsc ports not open: $(vctl --json list-ports 2>/dev/null | jq -c '[.[] | {name, state: .netvsc.state}]')"
		return 1
	fi
	spid=$(part_field p1 pid)
	wait_until 15 iperf_server_up "$spid" || { ERR="iperf3 server in p1 not listening"; return 1; }
	check_affinity p0
	check_affinity p1
	ws0=$(worker_stats)
	touch "$go"
	sleep $((WARMUP + DURATION)) # no polling on CPU_A while iperf3 runs (see pair_round)
	if ! wait_until 30 part_stopped p0; then
		ERR="iperf3 client did not finish"
		return 1
	fi
	view=$(vsw_view "$tag" "$ws0")
	line=$(python3 "$BENCH_DIR/vmbus.py" iperf --meta "$(jq -cn --argjson r "$round" \
		'{type:"round", contender:"iperf", metric:"gbps", round:$r}')" "$json" 2>>"$LOGS/$tag.err")
	cp "$json" "$LOGS/$tag.json" 2>/dev/null
	[ -n "$line" ] || { ERR="no iperf3 result ($(tail -1 "$LOGS/$tag.err"))"; return 1; }
	emit "$line" "$view"
}

# ---------------------------------------------------------------- iperf3 over veth
start_veth() { # NOOFF
	NS_A="${ID}a" NS_B="${ID}b" VETH_A="${ID}x"
	ip netns add "$NS_A" && ip netns add "$NS_B" || { ERR="ip netns add failed"; return 1; }
	ip link add "$VETH_A" type veth peer name "${ID}y" || { ERR="ip link add veth failed"; return 1; }
	ip link set "$VETH_A" netns "$NS_A" && ip link set "${ID}y" netns "$NS_B" ||
		{ ERR="moving the veth failed"; return 1; }
	ip -n "$NS_A" link set "$VETH_A" name eth0 && ip -n "$NS_B" link set "${ID}y" name eth0 &&
		ip -n "$NS_A" addr add "$IP0/24" dev eth0 && ip -n "$NS_B" addr add "$IP1/24" dev eth0 &&
		ip -n "$NS_A" link set lo up && ip -n "$NS_B" link set lo up &&
		ip -n "$NS_A" link set eth0 up && ip -n "$NS_B" link set eth0 up ||
		{ ERR="configuring the veth failed"; return 1; }
	if [ "$1" = 1 ]; then
		ip netns exec "$NS_A" ethtool -K eth0 tx off tso off gso off gro off >/dev/null 2>&1 &&
			ip netns exec "$NS_B" ethtool -K eth0 tx off tso off gso off gro off >/dev/null 2>&1 ||
			{ ERR="ethtool -K on the veth failed"; return 1; }
	fi
}

stop_veth() {
	stop_pid "$IPERF_C_PID" "iperf3 client" 3
	stop_pid "$IPERF_S_PID" "iperf3 server" 3
	IPERF_C_PID="" IPERF_S_PID=""
	local ns pid
	for ns in $NS_A $NS_B; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null
		done
		ip netns del "$ns" 2>/dev/null
	done
	NS_A="" NS_B="" VETH_A=""
}

run_veth() { # CONTENDER ROUND
	local c=$1 round=$2 tag="$1-r$2" json=$T/iperf-c.json noff=0 line
	[ "$c" = veth-nooff ] && noff=1
	rm -f "$json"
	start_veth "$noff" || return 1
	taskset -c "$CPU_A" ip netns exec "$NS_B" iperf3 -s -1 -p "$IPERF_PORT" \
		>"$LOGS/$tag-server.log" 2>&1 </dev/null &
	IPERF_S_PID=$!
	wait_until 15 eval "ip netns exec $NS_B ss -Hltn 'sport = :$IPERF_PORT' | grep -q ." ||
		{ ERR="iperf3 server not listening"; return 1; }
	taskset -c "$CPU_A" timeout $((WARMUP + DURATION + 30)) ip netns exec "$NS_A" \
		iperf3 -c "$IP1" -p "$IPERF_PORT" -t "$DURATION" -O "$WARMUP" -J --logfile "$json" \
		>"$LOGS/$tag-client.log" 2>&1 </dev/null &
	IPERF_C_PID=$!
	wait "$IPERF_C_PID"
	IPERF_C_PID=""
	line=$(python3 "$BENCH_DIR/vmbus.py" iperf --meta "$(jq -cn --arg c "$c" --argjson r "$round" \
		'{type:"round", contender:$c, metric:"gbps", round:$r}')" "$json" 2>>"$LOGS/$tag.err")
	cp "$json" "$LOGS/$tag.json" 2>/dev/null
	[ -n "$line" ] || { ERR="no iperf3 result ($(tail -1 "$LOGS/$tag.err"))"; return 1; }
	emit "$line" "{}"
}

# ---------------------------------------------------------------- OVS vhost-user
# The ovs contenders' endpoints: mac-forwarding dpdk-testpmd processes on CPU_A whose virtio-user
# ports are vhost-user clients of OVS's dpdkvhostuser sockets (a virtio-user server blocks its
# start in accept() until the switch connects), as in run.sh. Per process: its PID, the FD of its
# prompt FIFO, its name (file prefix ${PFX}NAME); A_PORTS: each one's ports for telemetry.
a_cmd() {
	local fd
	for fd in "${A_FDS[@]}"; do printf '%s\n' "$@" 1>&"$fd" 2>/dev/null; done
	return 0
}

a_vdev() { echo "net_virtio_user$1,path=$OVS_DIR/v$2,queue_size=$VHOST_QSIZE,mac=$3"; } # N PORT MAC

testpmd_start() { # NAME MEM_MB MBUFS L2_LEN TAG VDEV... -- ETH_PEER_ARG...
	local name=$1 mem=$2 mbufs=$3 l2=$4 tag=$5 fifo=$T/$1.fifo fd vdevs=()
	shift 5
	while [ "$1" != -- ]; do
		vdevs+=(--vdev "$1")
		shift
	done
	shift
	rm -f "$fifo"
	mkfifo "$fifo"
	exec {fd}<>"$fifo"
	taskset -c "$CPU_A" dpdk-testpmd --lcores "0@$CPU_A,1@$CPU_A" --file-prefix "${PFX}$name" \
		--huge-dir "$HUGE" -m "$mem" --no-pci --single-file-segments "${vdevs[@]}" \
		-- -i --forward-mode=mac --rxq=1 --txq=1 --nb-cores=1 --total-num-mbufs="$mbufs" \
		--rxd="$VHOST_QSIZE" --txd="$VHOST_QSIZE" --txpkts="$l2" "$@" \
		<&"$fd" >"$LOGS/testpmd-$name-$tag.log" 2>&1 &
	A_PIDS+=($!)
	A_FDS+=("$fd")
	A_NAMES+=("$name")
}

# ovs: one testpmd with both ports.
start_a() { # L2_LEN TAG
	A_PORTS=0,1
	testpmd_start a "$A_MEM" 32768 "$1" "$2" "$(a_vdev 0 0 $MAC_A0)" "$(a_vdev 1 1 $MAC_A1)" -- \
		--eth-peer=0,$MAC_A1 --eth-peer=1,$MAC_A0
}

# ovs2: two testpmd processes with one port each (half of A_MEM each), each forwarding to the
# other's MAC. Their telemetry sockets are summed like one process's ports.
start_a2() { # L2_LEN TAG
	A_PORTS=0
	testpmd_start a20 $((A_MEM / 2)) 16384 "$1" "$2" "$(a_vdev 0 0 $MAC_A0)" -- --eth-peer=0,$MAC_A1
	testpmd_start a21 $((A_MEM / 2)) 16384 "$1" "$2" "$(a_vdev 0 1 $MAC_A1)" -- --eth-peer=0,$MAC_A0
}

stop_a() {
	local pid fd name
	[ ${#A_PIDS[@]} -gt 0 ] && a_cmd stop quit
	for pid in "${A_PIDS[@]}"; do
		wait_gone "$pid" 10 || log "testpmd did not quit"
		stop_pid "$pid" testpmd 3
	done
	for fd in "${A_FDS[@]}"; do exec {fd}>&-; done
	for name in "${A_NAMES[@]}"; do
		rm -f "$T/$name.fifo" "$HUGE/${PFX}$name"* 2>/dev/null
		rm -rf "/var/run/dpdk/${PFX}$name"
	done
	A_PIDS=() A_FDS=() A_NAMES=()
}

start_ovs() { # TAG
	local tag=$1
	# Private network namespace (the bridge's tap device would clash with another OVS-DPDK).
	ovs_start_daemons "$tag" unshare --net || return 1
	{
		ovsctl add-br br0 -- set bridge br0 datapath_type=netdev &&
			ovsctl add-port br0 v0 -- set Interface v0 type=dpdkvhostuser &&
			ovsctl add-port br0 v1 -- set Interface v1 type=dpdkvhostuser
	} >>"$LOGS/ovs-$tag.log" 2>&1 || { ERR="adding the OVS bridge or ports failed"; return 1; }
	ovs_ports_ok v0 v1 || return 1
	wait_until 30 eval "[ -S $OVS_DIR/v0 ] && [ -S $OVS_DIR/v1 ]" ||
		{ ERR="OVS did not create the vhost-user sockets"; return 1; }
}

ovs_links_up() {
	[ "$(ovsctl get Interface v0 link_state 2>/dev/null)" = up ] &&
		[ "$(ovsctl get Interface v1 link_state 2>/dev/null)" = up ]
}

ovs_view() { # TAG: B-side view into the log; prints {"b_busy_pct": [..]}
	local pmd
	pmd=$(ovs_appctl dpif-netdev/pmd-stats-show 2>&1)
	{
		echo "== pmd-stats since traffic start"
		echo "$pmd"
		echo "== interfaces"
		for i in v0 v1; do
			ovsctl --columns=name,link_state,mtu,statistics list Interface "$i"
		done
		echo "== fdb"
		ovs_appctl fdb/show br0
	} >>"$LOGS/ovs-$1.log" 2>&1
	awk '/processing cycles:/ { gsub(/[(%)]/, "", $4); v = v (v == "" ? "" : ",") $4 }
	     END { if (v != "") print "{\"b_busy_pct\":[" v "]}"; else print "{}" }' <<<"$pmd"
}


run_ovs() { # CONTENDER(ovs|ovs2) FRAME ROUND
	local c=$1 frame=$2 round=$3 tag="$1-$2-r$3" l2=$(($2 - 4)) line view meta name socks=()
	start_ovs "$tag" || return 1
	if [ "$c" = ovs ]; then start_a "$l2" "$tag"; else start_a2 "$l2" "$tag"; fi
	wait_until "$READY_TIMEOUT" ovs_links_up || { ERR="OVS vhost ports not up"; return 1; }
	for name in "${A_NAMES[@]}"; do
		socks+=(--socket "/var/run/dpdk/${PFX}$name/dpdk_telemetry.v2")
		taskset -c "$CPU_A" python3 "$BENCH_DIR/pktrate.py" wait-link --ports "$A_PORTS" \
			--socket "/var/run/dpdk/${PFX}$name/dpdk_telemetry.v2" --timeout "$READY_TIMEOUT" 2>"$T/ready.err" ||
			{ ERR="testpmd $name links: $(tail -1 "$T/ready.err")"; return 1; }
	done
	ovs_appctl dpif-netdev/pmd-stats-clear >/dev/null 2>&1
	a_cmd "start tx_first $TX_FIRST"
	meta=$(jq -cn --arg c "$c" --argjson f "$frame" --argjson r "$round" --argjson l "$l2" \
		'{type:"round", contender:$c, metric:"mpps", frame:$f, round:$r, l2_len:$l}')
	line=$(taskset -c "$CPU_A" timeout --foreground $((WARMUP + DURATION + 30)) python3 "$BENCH_DIR/pktrate.py" \
		measure "${socks[@]}" --ports "$A_PORTS" --warmup "$WARMUP" \
		--duration "$DURATION" --expect-len "$l2" --meta "$meta" 2>>"$LOGS/A-$tag.log")
	[ -n "$line" ] || { ERR="telemetry sampling failed (see A-$tag.log)"; return 1; }
	view=$(ovs_view "$tag")
	emit "$line" "$view"
}

# ---------------------------------------------------------------- one measurement
record_failure() { # CONTENDER FRAME ROUND MESSAGE
	log "  $1${2:+ frame $2} round $3 FAILED: $4"
	jq -cn --arg c "$1" --arg f "$2" --argjson r "$3" --arg p "$4" \
		'{type:"round", contender:$c, frame:($f | if . == "" then null else tonumber end),
		  round:$r, ok:false, problem:$p}' >>"$RESULTS"
}

stop_all() { # TAG
	a_cmd stop
	sleep 0.2
	stop_ovs
	stop_a
	stop_vmm "$1"
	stop_vsw
	stop_veth
}

# The vCPUs' placement on the host can change between minutes (core-to-core round trip 60 vs
# 350 ns on the same VM), and with it every rate: each round records the round trip just before
# and just after it (c2c_ns), so that rounds can be compared at the same placement.
c2c_now() {
	[ -x "$T/c2c" ] || return 0
	timeout 10 "$T/c2c" "$CPU_A" "$CPU_B" 50000 3 2>/dev/null | jq -r '.round_trip_ns_median // empty'
}

run_one() { # CONTENDER FRAME(or "") ROUND
	local c=$1 frame=$2 round=$3 tag="$1${2:+-$2}-r$3" ok="" c2c0 c2c1
	ERR=""
	rm -f "$T/line"
	c2c0=$(c2c_now)
	case $c in
	pktgen) run_pktgen "$frame" "$round" && ok=1 ;;
	pmd) run_pmd "$frame" "$round" && ok=1 ;;
	pmd1) run_pmd1 "$frame" "$round" && ok=1 ;;
	ovs | ovs2) run_ovs "$c" "$frame" "$round" && ok=1 ;;
	iperf) run_iperf "$round" && ok=1 ;;
	veth | veth-nooff) run_veth "$c" "$round" && ok=1 ;;
	esac
	stop_all "$tag"
	c2c1=$(c2c_now)
	if [ -n "$ok" ] && [ -s "$T/line" ]; then
		jq -c --arg a "$c2c0" --arg b "$c2c1" \
			'. + {c2c_ns: ([$a, $b] | map(select(. != "") | tonumber))}' "$T/line" >>"$RESULTS"
		log "  $c${frame:+ frame $frame} round $round: $(jq -r '(if .metric == "mpps" then "\(.mpps) Mpps" else "\(.gbps) Gbit/s" end)
			+ (if .b_busy_pct then ", switch busy \(.b_busy_pct|map(tostring)|join("/")) %" else "" end)
			+ (if .ok then "" else ", PROBLEM: " + .problem end)' "$T/line")"
	else
		record_failure "$c" "$frame" "$round" "${ERR:-unknown error}"
	fi
}

# ---------------------------------------------------------------- main
n_pr=0 n_tcp=0
for c in pktgen pmd pmd1 ovs ovs2; do has $c && n_pr=$((n_pr + 1)); done
for c in iperf veth veth-nooff; do has $c && n_tcp=$((n_tcp + 1)); done
n_frames=$(wc -w <<<"$FRAMES")
est=$((ROUNDS * (n_pr * n_frames * (WARMUP + DURATION + 11) + n_tcp * (WARMUP + DURATION + 6))))
log "workdir $T; $ROUNDS rounds, ~$((est / 60)) min $((est % 60)) s"
[ "$est" -le 600 ] || log "warning: this is more than 10 minutes"

jq -cn --arg date "$(date -Is)" --arg host "$(hostname)" --arg kernel "$(uname -r)" \
	--arg cpu "$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)" \
	--arg dpdk "$(pkg-config --modversion libdpdk 2>/dev/null || echo unknown)" \
	--arg ovs "$("$OVS_VSWITCHD" --version 2>/dev/null | head -1)" \
	--arg iperf "$(iperf3 --version 2>/dev/null | head -1)" \
	--arg git "$(git -C "$REPO_DIR" rev-parse --short HEAD 2>/dev/null || echo none)" \
	--argjson rounds "$ROUNDS" --argjson warmup "$WARMUP" --argjson dur "$DURATION" \
	--arg frames "$FRAMES" --arg contenders "$CONTENDERS" \
	--argjson cpua "$CPU_A" --argjson cpub "$CPU_B" --argjson txf "$TX_FIRST" \
	--argjson pmem "$PART_MEM" --argjson qs "$VHOST_QSIZE" \
	--argjson pmdmem "$PMD_MEM" --arg pmdeal "$PMD_EAL" --arg pmddev "$PMD_DEVARGS" \
	--argjson pmdloop "$PMD_LOOP" \
	'{type:"meta", bench:"vmbus", date:$date, host:$host, kernel:$kernel, cpu:$cpu, dpdk:$dpdk,
	  ovs:$ovs, iperf:$iperf, git:$git, rounds:$rounds, warmup_s:$warmup, duration_s:$dur,
	  frames:$frames, contenders:$contenders, cpu_endpoints:$cpua, cpu_switch:$cpub,
	  tx_first:$txf, partition_memory_mb:$pmem, vhost_queue_size:$qs, pmd_memory_mb:$pmdmem,
	  pmd_eal:$pmdeal, pmd_devargs:$pmddev, pmd_loop:$pmdloop}' >>"$RESULTS"

if [ -n "$DO_C2C" ]; then
	if gcc -O2 -pthread -o "$T/c2c" "$BENCH_DIR/c2c.c" 2>>"$LOGS/c2c.log"; then
		timeout 30 "$T/c2c" "$CPU_A" "$CPU_B" >>"$RESULTS" 2>>"$LOGS/c2c.log" ||
			log "c2c estimate failed (see logs)"
	else
		log "cannot compile c2c.c, skipping the cache-line estimate"
	fi
fi

setup_hugepages

pr_list=() tcp_list=()
for c in pktgen pmd pmd1 ovs ovs2; do has $c && pr_list+=("$c"); done
for c in iperf veth veth-nooff; do has $c && tcp_list+=("$c"); done
for ((round = 1; round <= ROUNDS; round++)); do
	log "round $round"
	# Rotate the order each round so no contender always runs first.
	for frame in $FRAMES; do
		for ((k = 0; k < ${#pr_list[@]}; k++)); do
			run_one "${pr_list[$(((k + round - 1) % ${#pr_list[@]}))]}" "$frame" "$round"
		done
	done
	for ((k = 0; k < ${#tcp_list[@]}; k++)); do
		run_one "${tcp_list[$(((k + round - 1) % ${#tcp_list[@]}))]}" "" "$round"
	done
done

log "done"
python3 "$BENCH_DIR/vmbus.py" report "$RESULTS" | tee "$T/report.txt"
if [ -n "$JSON_OUT" ]; then
	grep '^{' "$T/report.txt" >"$JSON_OUT" && log "JSON lines written to $JSON_OUT"
fi
n_bad=$(jq -s '[.[] | select(.type == "round" and .ok == false)] | length' "$RESULTS" 2>/dev/null || echo 0)
if [ "${n_bad:-0}" -gt 0 ]; then
	log "$n_bad round(s) failed, see above"
	exit 3
fi
exit 0
