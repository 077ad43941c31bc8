#!/usr/bin/env bash
# Packet-rate benchmark: vswitchd vs Open vSwitch (userspace datapath) vs testpmd io.
#
# Topology (see bench/README.md):
#   A = dpdk-testpmd on CPU 0, memif client (zero-copy), mac forwarding, closed loop
#   B = switch under test on CPU 1, memif server, two ports m0 and m1
#   A port 0 <-> B m0, A port 1 <-> B m1
# A sends 32 bursts per stream, then forwards whatever comes back; the rate is what
# A receives, read from A's DPDK telemetry once per second after a warm-up.
#
# Run as root:  bench/run.sh [options]     (bench/run.sh -h for the options)

set -uo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib.sh
source "$BENCH_DIR/lib.sh"
REPO_DIR=$(cd "$BENCH_DIR/.." && pwd)

# ---------------------------------------------------------------- defaults
# Every default can also be set through the environment (e.g. ROUNDS=5 bench/run.sh).
ROUNDS="${ROUNDS:-3}"
WARMUP="${WARMUP:-3}"
DURATION="${DURATION:-8}"
FRAMES="${FRAMES:-64 1518 9000}"
CONTENDERS="${CONTENDERS:-vswitchd ovs testpmd}"
BUILD_DIR="${BUILD_DIR:-/tmp/bench-build}"
JSON_OUT="${JSON_OUT:-}"
KEEP_LOGS="${KEEP_LOGS:-}"
DO_C2C="${DO_C2C:-1}"
CPU_A="${CPU_A:-0}"
CPU_B="${CPU_B:-1}"
VSW_NAME="${VSW_NAME:-bench}"
VSW_QUEUES="${VSW_QUEUES:-1}"        # queue pairs A offers to vswitchd (its memif ports have 1 rxq/txq per worker)
VSW_MEM="${VSW_MEM:-1024}"        # vswitchd -m (MiB); VSW_MEM_JUMBO for 9000-byte frames
VSW_MEM_JUMBO="${VSW_MEM_JUMBO:-1024}"
OVS_QUEUES="${OVS_QUEUES:-2}"        # OVS needs the client to offer 2 queue pairs, and n_rxq=2
TESTPMD_QUEUES="${TESTPMD_QUEUES:-1}"  # same loop as vswitchd; 2 active pairs halve testpmd at 1518 B
OVS_MEM_LIMIT="${OVS_MEM_LIMIT:-4608}"  # dpdk-socket-limit (MiB); MTU 9000 needs 3.5-3.9 GiB
A_MEM="${A_MEM:-1024}"          # testpmd A -m (MiB)
B_TESTPMD_MEM="${B_TESTPMD_MEM:-1024}"  # testpmd B -m (MiB)
TX_FIRST="${TX_FIRST:-32}"
LINK_TIMEOUT="${LINK_TIMEOUT:-15}"     # seconds for both memif links to come up
LINK_ATTEMPTS="${LINK_ATTEMPTS:-6}"     # generator starts when one link fails its handshake
KEEPFD="${KEEPFD:-1}"              # 1: preload keepfd.so into the generator (see keepfd.c)
OVS_VSWITCHD="${OVS_VSWITCHD:-/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk}"
OVS_SCHEMA="${OVS_SCHEMA:-/usr/share/openvswitch/vswitch.ovsschema}"

MAC_A0=02:00:00:00:00:a0
MAC_A1=02:00:00:00:00:a1

usage() {
	cat <<EOF
Usage: $0 [options]            (run as root)
  -r N        rounds per contender and frame size (default $ROUNDS)
  -w S        warm-up seconds, excluded from the rate (default $WARMUP)
  -d S        measured seconds per round (default $DURATION)
  -f "LIST"   frame sizes in bytes, FCS included (default "$FRAMES")
  -c "LIST"   contenders, any of: vswitchd ovs testpmd (default "$CONTENDERS")
  -b DIR      meson build dir holding vswitch/vswitchd and ctl/vswitchctl
              (default $BUILD_DIR)
  -o FILE     also write all JSON lines (rounds, summaries, ratios) to FILE
  -k DIR      keep the logs of every process: copied to DIR at the end
  -q N        queue pairs testpmd A offers to vswitchd (default $VSW_QUEUES)
  -C          skip the core-to-core cache-line round-trip estimate
  -h          this help
Exit status: 0 all rounds measured, 3 some rounds failed (still reported), 1 setup error,
130 interrupted.
Environment: every variable in the defaults block at the top of this script,
  e.g. CPU_A CPU_B TESTPMD_QUEUES OVS_MEM_LIMIT VSW_MEM_JUMBO TX_FIRST LINK_ATTEMPTS
EOF
}

while getopts "r:w:d:f:c:b:o:k:q:Ch" opt; do
	case $opt in
	r) ROUNDS=$OPTARG ;;
	w) WARMUP=$OPTARG ;;
	d) DURATION=$OPTARG ;;
	f) FRAMES=$OPTARG ;;
	c) CONTENDERS=$OPTARG ;;
	b) BUILD_DIR=$OPTARG ;;
	o) JSON_OUT=$OPTARG ;;
	k) KEEP_LOGS=$OPTARG ;;
	q) VSW_QUEUES=$OPTARG ;;
	C) DO_C2C="" ;;
	h) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || { usage >&2; exit 2; }

VSWITCHD=$BUILD_DIR/vswitch/vswitchd
VSWITCHCTL=$BUILD_DIR/ctl/vswitchctl


# ---------------------------------------------------------------- checks
[ "$(id -u)" -eq 0 ] || die "run as root"
for n in $ROUNDS $WARMUP $DURATION $VSW_QUEUES; do
	[[ $n =~ ^[0-9]+$ ]] || die "not a number: $n"
done
[ "$ROUNDS" -ge 1 ] && [ "$DURATION" -ge 1 ] || die "need at least 1 round of at least 1 s"
for c in $CONTENDERS; do
	case $c in vswitchd | ovs | testpmd) ;; *) die "unknown contender: $c" ;; esac
done
for f in $FRAMES; do
	[[ $f =~ ^[0-9]+$ ]] && [ "$f" -ge 64 ] && [ "$f" -le 9216 ] || die "bad frame size: $f"
done
for cmd in dpdk-testpmd python3 jq taskset unshare mountpoint; do
	command -v "$cmd" >/dev/null || die "missing command: $cmd"
done
if [[ " $CONTENDERS " == *" ovs "* ]]; then
	for cmd in ovsdb-tool ovsdb-server ovs-vsctl ovs-appctl; do
		command -v "$cmd" >/dev/null || die "missing command: $cmd"
	done
	[ -x "$OVS_VSWITCHD" ] || die "missing $OVS_VSWITCHD (openvswitch-switch-dpdk)"
fi
if [[ " $CONTENDERS " == *" vswitchd "* ]]; then
	[ -x "$VSWITCHD" ] && [ -x "$VSWITCHCTL" ] ||
		die "vswitchd not built: cd $REPO_DIR && meson setup $BUILD_DIR && ninja -C $BUILD_DIR (or -c to leave it out)"
fi
# vswitchd's EAL runtime directory is /var/run/dpdk/vsw-NAME; never share or
# delete another instance's.
if [ -e "/var/run/dpdk/vsw-$VSW_NAME" ]; then
	VSW_NAME="$VSW_NAME$$"
fi
for cpu in "$CPU_A" "$CPU_B"; do
	[ -d "/sys/devices/system/cpu/cpu$cpu" ] || die "no CPU $cpu"
done

# ---------------------------------------------------------------- state and cleanup
T=$(mktemp -d /tmp/vswbench.XXXXXX) || die "mktemp failed"
chmod 755 "$T"
LOGS=$T/logs
RESULTS=$T/results.jsonl
mkdir -p "$LOGS"
: >"$RESULTS"
PFX="vswbench$$"          # DPDK file prefixes: ${PFX}a (generator), ${PFX}b (testpmd B)
HUGE=$T/huge
ORIG_NR_HUGE=""
HUGE_CHANGED=""
HUGE_MOUNTED=""
A_PID="" A_FD=""
B_TESTPMD_PID="" B_FD=""
OVS_DIR=$T/ovs OVSDB_PID="" OVS_PID=""
VSW_PID="" VSW_SOCK=$T/vsw.sock VSW_STARTED="" VSW_VERSION_DONE=""
CLEANING=""

# OVS tools find their files through these; everything stays in the temp dir.
export OVS_RUNDIR=$OVS_DIR OVS_DBDIR=$OVS_DIR OVS_LOGDIR=$OVS_DIR OVS_SYSCONFDIR=$OVS_DIR/etc


cleanup() {
	[ -n "$CLEANING" ] && return
	CLEANING=1
	trap '' INT TERM HUP
	# Same order as after a round: the generator stops sending, the switch goes
	# (a memif server polling while its client disconnects can crash), then the
	# generator quits.
	a_cmd stop
	stop_b_testpmd
	stop_b_ovs
	stop_b_vswitchd
	stop_a
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
	rm -rf "/var/run/dpdk/${PFX}a" "/var/run/dpdk/${PFX}b" "/var/run/dpdk/${PFX}o"
	if mountpoint -q "$HUGE" 2>/dev/null; then
		log "leaving $T: $HUGE is still mounted"
	else
		rm -rf "$T"
	fi
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM HUP

# ---------------------------------------------------------------- hugepages
# Peak need: generator A plus the largest switch (OVS at MTU 9000), plus slack.
setup_hugepages() {
	local need_mb
	need_mb=$((A_MEM + 512))
	local b_mb=$B_TESTPMD_MEM
	[[ " $CONTENDERS " == *" ovs "* ]] && [ "$OVS_MEM_LIMIT" -gt "$b_mb" ] && b_mb=$OVS_MEM_LIMIT
	[[ " $CONTENDERS " == *" vswitchd "* ]] && [ "$VSW_MEM_JUMBO" -gt "$b_mb" ] && b_mb=$VSW_MEM_JUMBO
	need_mb=$((need_mb + b_mb))
	reserve_hugepages "$need_mb"
}

# ---------------------------------------------------------------- frame parameters
# FRAME counts the 4-byte FCS (RFC 2544 sizes); memif carries no FCS, so the
# generator sends FRAME-4 bytes. Jumbo frames need 9216-byte memif buffers on both
# ends (DPDK 22.11 memif corrupts frames chained over 2048-byte buffers).
frame_params() {
	local frame=$1
	L2_LEN=$((frame - 4))
	if [ "$L2_LEN" -gt 2048 ]; then
		JUMBO=1
		MEMIF_BSIZE=",bsize=9216"
		MBUF_ARG=(--mbuf-size=9344)
		MTU=9000
	else
		JUMBO=""
		MEMIF_BSIZE=""
		MBUF_ARG=()
		MTU=1500
	fi
	if [ "$L2_LEN" -gt $((MTU + 14)) ]; then
		log "frame $frame exceeds MTU $MTU + 14: the switches will drop it"
	fi
}

memif_server_args() { # INDEX -> devargs tail shared by the three switches
	echo "role=server,socket=$T/m$1.sock,socket-abstract=no,id=0$MEMIF_BSIZE"
}

wait_for_sockets() { # SECONDS
	local deadline=$((SECONDS + $1))
	while [ ! -S "$T/m0.sock" ] || [ ! -S "$T/m1.sock" ]; do
		[ $SECONDS -ge $deadline ] && return 1
		sleep 0.1
	done
}

# ---------------------------------------------------------------- A: generator
start_a() { # QUEUES TAG
	local q=$1 tag=$2 fifo=$T/a.fifo
	rm -f "$fifo"
	mkfifo "$fifo"
	exec {A_FD}<>"$fifo"
	# Main lcore and forwarding lcore share CPU_A; the main lcore sleeps in the prompt.
	LD_PRELOAD=$A_PRELOAD taskset -c "$CPU_A" dpdk-testpmd --lcores "0@$CPU_A,1@$CPU_A" --file-prefix "${PFX}a" \
		--huge-dir "$HUGE" -m "$A_MEM" --no-pci --single-file-segments \
		--vdev "net_memif0,role=client,socket=$T/m0.sock,socket-abstract=no,id=0,zero-copy=yes,mac=$MAC_A0$MEMIF_BSIZE" \
		--vdev "net_memif1,role=client,socket=$T/m1.sock,socket-abstract=no,id=0,zero-copy=yes,mac=$MAC_A1$MEMIF_BSIZE" \
		-- -i --forward-mode=mac --rxq="$q" --txq="$q" --nb-cores=1 --total-num-mbufs=32768 \
		"${MBUF_ARG[@]}" --txpkts="$L2_LEN" --eth-peer=0,$MAC_A1 --eth-peer=1,$MAC_A0 \
		<&"$A_FD" >"$LOGS/A-$tag.log" 2>&1 &
	A_PID=$!
}

a_cmd() { [ -n "$A_FD" ] && printf '%s\n' "$@" 1>&"$A_FD" 2>/dev/null; }

stop_a() {
	if [ -n "$A_PID" ]; then
		a_cmd stop quit
		wait_gone "$A_PID" 10 || log "generator did not quit"
		stop_pid "$A_PID" generator 3
	fi
	if [ -n "$A_FD" ]; then exec {A_FD}>&-; fi
	A_PID="" A_FD=""
	rm -f "$T/a.fifo" "$HUGE/${PFX}a"* 2>/dev/null
	rm -rf "/var/run/dpdk/${PFX}a"
}

A_TELEMETRY() { echo "/var/run/dpdk/${PFX}a/dpdk_telemetry.v2"; }

# ---------------------------------------------------------------- B: testpmd io
start_b_testpmd() { # TAG
	local tag=$1 fifo=$T/b.fifo
	rm -f "$fifo" "$T/m0.sock" "$T/m1.sock"
	mkfifo "$fifo"
	exec {B_FD}<>"$fifo"
	# Forwarding lcore on CPU_B; the idle main lcore (prompt) on CPU_A, like the
	# control threads of the other two switches.
	dpdk-testpmd --lcores "0@$CPU_A,1@$CPU_B" --file-prefix "${PFX}b" --huge-dir "$HUGE" \
		-m "$B_TESTPMD_MEM" --no-pci \
		--vdev "net_memif0,$(memif_server_args 0)" --vdev "net_memif1,$(memif_server_args 1)" \
		-- -i --forward-mode=io --rxq="$TESTPMD_QUEUES" --txq="$TESTPMD_QUEUES" --nb-cores=1 \
		--total-num-mbufs=32768 "${MBUF_ARG[@]}" \
		<&"$B_FD" >"$LOGS/B-testpmd-$tag.log" 2>&1 &
	B_TESTPMD_PID=$!
	# Forwarding starts in b_ready_testpmd, once the links are up: a forwarding
	# memif server crashes (SIGSEGV in the rx path) when a client vanishes under it.
	wait_for_sockets 30 || { B_ERR="testpmd B did not create the memif sockets"; return 1; }
	alive "$B_TESTPMD_PID" || { B_ERR="testpmd B exited"; return 1; }
}

b_ready_testpmd() {
	taskset -c "$CPU_A" python3 "$BENCH_DIR/pktrate.py" wait-link \
		--socket "/var/run/dpdk/${PFX}b/dpdk_telemetry.v2" --timeout "$LINK_TIMEOUT" 2>"$T/ready.err" ||
		{ B_ERR=$(tail -1 "$T/ready.err"); return 1; }
	printf 'start\n' >&"$B_FD"
	sleep 0.5
}

stop_b_testpmd() {
	if [ -n "$B_TESTPMD_PID" ]; then
		[ -n "$B_FD" ] && printf 'stop\nquit\n' 1>&"$B_FD" 2>/dev/null
		wait_gone "$B_TESTPMD_PID" 10 || log "testpmd B did not quit"
		stop_pid "$B_TESTPMD_PID" "testpmd B" 3
	fi
	if [ -n "$B_FD" ]; then exec {B_FD}>&-; fi
	B_TESTPMD_PID="" B_FD=""
	rm -f "$T/b.fifo" "$HUGE/${PFX}b"* "$T/m0.sock" "$T/m1.sock" 2>/dev/null
	rm -rf "/var/run/dpdk/${PFX}b"
}

# ---------------------------------------------------------------- B: Open vSwitch
vsctl() { ovs-vsctl --db="unix:$OVS_DIR/db.sock" --timeout=30 "$@"; }

start_b_ovs() { # TAG
	local tag=$1 i
	rm -rf "$OVS_DIR" "$T/m0.sock" "$T/m1.sock"
	mkdir -p "$OVS_DIR/etc"
	ovsdb-tool create "$OVS_DIR/conf.db" "$OVS_SCHEMA" >>"$LOGS/ovs-$tag.log" 2>&1 ||
		{ B_ERR="ovsdb-tool create failed"; return 1; }
	taskset -c "$CPU_A" ovsdb-server "$OVS_DIR/conf.db" --remote="punix:$OVS_DIR/db.sock" \
		--pidfile="$OVS_DIR/ovsdb-server.pid" --unixctl="$OVS_DIR/ovsdb-server.ctl" \
		--log-file="$OVS_DIR/ovsdb-server.log" --detach --no-chdir >>"$LOGS/ovs-$tag.log" 2>&1 ||
		{ B_ERR="ovsdb-server did not start"; return 1; }
	OVSDB_PID=$(read_pidfile "$OVS_DIR/ovsdb-server.pid")
	vsctl --no-wait init >>"$LOGS/ovs-$tag.log" 2>&1 || { B_ERR="ovs-vsctl init failed"; return 1; }
	local mem_limit=$OVS_MEM_LIMIT
	vsctl --no-wait set Open_vSwitch . \
		other_config:dpdk-init=true \
		other_config:dpdk-lcore-mask="$(printf '0x%x' $((1 << CPU_B)))" \
		other_config:pmd-cpu-mask="$(printf '0x%x' $((1 << CPU_B)))" \
		other_config:per-port-memory=true \
		other_config:dpdk-socket-mem=1024 \
		other_config:dpdk-socket-limit="$mem_limit" \
		other_config:dpdk-extra="--file-prefix=${PFX}o --huge-dir=$HUGE --no-pci" \
		>>"$LOGS/ovs-$tag.log" 2>&1 || { B_ERR="ovs-vsctl set other_config failed"; return 1; }
	# Private network namespace: the bridge's internal port is a tap device
	# ("ovs-netdev" / br0) that would clash with any other OVS-DPDK instance.
	timeout 60 unshare --net "$OVS_VSWITCHD" "unix:$OVS_DIR/db.sock" \
		--pidfile="$OVS_DIR/ovs-vswitchd.pid" --unixctl="$OVS_DIR/ovs-vswitchd.ctl" \
		--log-file="$OVS_DIR/ovs-vswitchd.log" --detach --no-chdir >>"$LOGS/ovs-$tag.log" 2>&1 ||
		{ B_ERR="ovs-vswitchd-dpdk did not start"; return 1; }
	OVS_PID=$(read_pidfile "$OVS_DIR/ovs-vswitchd.pid")
	local mtu_req=()
	[ -n "$JUMBO" ] && mtu_req=("mtu_request=$MTU")
	{
		vsctl add-br br0 -- set bridge br0 datapath_type=netdev &&
			vsctl add-port br0 m0 -- set Interface m0 type=dpdk \
				"options:dpdk-devargs=net_memif0,$(memif_server_args 0)" \
				options:n_rxq="$OVS_QUEUES" "${mtu_req[@]}" &&
			vsctl add-port br0 m1 -- set Interface m1 type=dpdk \
				"options:dpdk-devargs=net_memif1,$(memif_server_args 1)" \
				options:n_rxq="$OVS_QUEUES" "${mtu_req[@]}"
	} >>"$LOGS/ovs-$tag.log" 2>&1 || { B_ERR="adding the OVS bridge or ports failed"; return 1; }
	for i in m0 m1; do
		local err
		err=$(vsctl get Interface "$i" error 2>&1)
		if [ "$err" != "[]" ]; then
			B_ERR="OVS interface $i: $err"
			return 1
		fi
	done
	wait_for_sockets 30 || { B_ERR="OVS did not create the memif sockets"; return 1; }
	return 0
}

ovs_stats() { # TAG: B-side view after a round, into the log; prints {"b_busy_pct": [..]}
	# from the PMD's processing-cycles share since pmd-stats-clear at traffic start
	local pmd
	pmd=$(ovs-appctl -t "$OVS_DIR/ovs-vswitchd.ctl" --timeout=10 dpif-netdev/pmd-stats-show 2>&1)
	{
		echo "== pmd-stats since traffic start"
		echo "$pmd"
		echo "== interfaces"
		for i in m0 m1; do
			vsctl --columns=name,link_state,mtu,statistics list Interface "$i"
		done
		echo "== fdb"
		ovs-appctl -t "$OVS_DIR/ovs-vswitchd.ctl" --timeout=10 fdb/show br0
		echo "== pmd"
		ovs-appctl -t "$OVS_DIR/ovs-vswitchd.ctl" --timeout=10 dpif-netdev/pmd-rxq-show
	} >>"$LOGS/ovs-$1.log" 2>&1
	awk '/processing cycles:/ { gsub(/[(%)]/, "", $4); v = v (v == "" ? "" : ",") $4 }
	     END { if (v != "") print "{\"b_busy_pct\":[" v "]}" }' <<<"$pmd"
}

b_ready_ovs() {
	local deadline=$((SECONDS + LINK_TIMEOUT)) s0 s1
	while :; do
		s0=$(vsctl get Interface m0 link_state 2>/dev/null)
		s1=$(vsctl get Interface m1 link_state 2>/dev/null)
		[ "$s0" = up ] && [ "$s1" = up ] && return 0
		if [ $SECONDS -ge $deadline ]; then
			B_ERR="OVS link_state m0=$s0 m1=$s1"
			return 1
		fi
		sleep 0.2
	done
}

stop_b_ovs() {
	if [ -z "$OVS_PID" ] && [ -s "$OVS_DIR/ovs-vswitchd.pid" ]; then
		OVS_PID=$(read_pidfile "$OVS_DIR/ovs-vswitchd.pid")
	fi
	if [ -z "$OVSDB_PID" ] && [ -s "$OVS_DIR/ovsdb-server.pid" ]; then
		OVSDB_PID=$(read_pidfile "$OVS_DIR/ovsdb-server.pid")
	fi
	if [ -n "$OVS_PID" ]; then
		if alive "$OVS_PID"; then
			ovs-appctl -t "$OVS_DIR/ovs-vswitchd.ctl" --timeout=10 exit >/dev/null 2>&1
			wait_gone "$OVS_PID" 10 || true
		fi
		stop_pid "$OVS_PID" ovs-vswitchd 5
	fi
	if [ -n "$OVSDB_PID" ]; then
		if alive "$OVSDB_PID"; then
			ovs-appctl -t "$OVS_DIR/ovsdb-server.ctl" --timeout=10 exit >/dev/null 2>&1
			wait_gone "$OVSDB_PID" 5 || true
		fi
		stop_pid "$OVSDB_PID" ovsdb-server 5
	fi
	if [ -d "$OVS_DIR" ]; then
		for f in "$OVS_DIR"/*.log; do
			[ -e "$f" ] && cat "$f" >>"$LOGS/ovs-daemons.log"
		done
	fi
	OVS_PID="" OVSDB_PID=""
	rm -rf "$OVS_DIR" "$T/m0.sock" "$T/m1.sock" "/var/run/dpdk/${PFX}o"
}

# ---------------------------------------------------------------- B: vswitchd
vctl() { timeout 30 "$VSWITCHCTL" -s "$VSW_SOCK" -t 20 "$@"; }

start_b_vswitchd() { # TAG
	local tag=$1 mem=$VSW_MEM i
	[ -n "$JUMBO" ] && mem=$VSW_MEM_JUMBO
	rm -f "$T/m0.sock" "$T/m1.sock" "$T/vsw.json" "$VSW_SOCK" "$T/vsw.pid"
	VSW_STARTED=1
	timeout 60 "$VSWITCHD" --name "$VSW_NAME" --socket "$VSW_SOCK" --config "$T/vsw.json" \
		--workers 1 --cpus "$CPU_B" --control-cpus "$CPU_A" --hugepages on -m "$mem" \
		--detach --pidfile "$T/vsw.pid" --log-file "$LOGS/vswitchd-$tag.log" \
		-- --huge-dir "$HUGE" --no-pci >>"$LOGS/vswitchctl-$tag.log" 2>&1
	local rc=$?
	VSW_PID=$(read_pidfile "$T/vsw.pid")
	[ $rc -eq 0 ] || { B_ERR="vswitchd --detach exited with $rc (see vswitchd-$tag.log)"; return 1; }
	[ -n "$VSW_PID" ] || { B_ERR="vswitchd wrote no pidfile"; return 1; }
	for i in 0 1; do
		vctl add-port "m$i" "net_memif,$(memif_server_args $i)" >>"$LOGS/vswitchctl-$tag.log" 2>&1 ||
			{ B_ERR="vswitchctl add-port m$i failed: $(tail -1 "$LOGS/vswitchctl-$tag.log")"; return 1; }
		if [ -n "$JUMBO" ]; then
			vctl set-port "m$i" "mtu=$MTU" >>"$LOGS/vswitchctl-$tag.log" 2>&1 ||
				{ B_ERR="vswitchctl set-port m$i mtu=$MTU failed: $(tail -1 "$LOGS/vswitchctl-$tag.log")"; return 1; }
		fi
	done
	wait_for_sockets 30 || { B_ERR="vswitchd did not create the memif sockets"; return 1; }
	vctl --json list-ports >>"$LOGS/vswitchctl-$tag.log" 2>&1
	if [ -z "$VSW_VERSION_DONE" ]; then
		VSW_VERSION_DONE=1
		vctl --json version 2>/dev/null | jq -c '{type:"vswitchd_version"} + .' >>"$RESULTS" 2>/dev/null
	fi
	return 0
}

b_ready_vswitchd() {
	local deadline=$((SECONDS + LINK_TIMEOUT)) st
	while :; do
		st=$(vctl --json list-ports 2>/dev/null | jq -r '[.[] | select(.name == "m0" or .name == "m1") | .state] | join(" ")' 2>/dev/null)
		[ "$st" = "up up" ] && return 0
		if [ $SECONDS -ge $deadline ]; then
			B_ERR="vswitchd port states: ${st:-unknown}"
			return 1
		fi
		sleep 0.2
	done
}

vsw_stats() { # TAG WORKER-STATS-AT-START: B-side view after a round, into the log;
	# prints a JSON object with the nonzero drop counters per port and each worker's busy
	# percentage over the traffic (warm-up and measurement; vswitchd's own busy_pct
	# counts from its start)
	local ps ws ws0=${2:-[]}
	ps=$(vctl --json port-stats 2>&1)
	ws=$(vctl --json worker-stats 2>&1)
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
		 {b_drops: ([$p[] | {(.name): (.drops | with_entries(select(.value != 0)))}] | add // {}),
		  b_busy_pct: [$w[] | . as $x | ($w0[] | select(.worker == $x.worker)) as $y
		               | (($x | cyc) - ($y | cyc)) as $d
		               | if $d > 0 then (100 * ($x.busy_cycles - $y.busy_cycles) / $d * 10 | round / 10)
		                 else null end]}' 2>/dev/null
}

stop_b_vswitchd() {
	[ -n "$VSW_STARTED" ] || return 0
	if [ -z "$VSW_PID" ] && [ -s "$T/vsw.pid" ]; then
		VSW_PID=$(read_pidfile "$T/vsw.pid")
	fi
	if [ -n "$VSW_PID" ]; then
		stop_pid "$VSW_PID" vswitchd 10
	fi
	VSW_PID="" VSW_STARTED=""
	rm -f "$T/m0.sock" "$T/m1.sock" "$VSW_SOCK" "$T/vsw.json" "$T/vsw.pid"
	rm -rf "/var/run/dpdk/vsw-$VSW_NAME"
}

# ---------------------------------------------------------------- one measurement
record_failure() { # CONTENDER FRAME ROUND MESSAGE
	log "  $1 frame $2 round $3 FAILED: $4"
	jq -cn --arg c "$1" --argjson f "$2" --argjson r "$3" --arg p "$4" \
		'{type:"round", contender:$c, frame:$f, round:$r, ok:false, problem:$p}' >>"$RESULTS"
}

run_one() { # CONTENDER FRAME ROUND
	local c=$1 frame=$2 round=$3 tag="$1-$2-r$3" q line drops=""
	frame_params "$frame"
	B_ERR=""
	case $c in
	testpmd) q=$TESTPMD_QUEUES ;;
	ovs) q=$OVS_QUEUES ;;
	vswitchd) q=$VSW_QUEUES ;;
	esac
	if ! "start_b_$c" "$tag"; then
		record_failure "$c" "$frame" "$round" "start: $B_ERR"
		"stop_b_$c"
		return
	fi
	# DPDK 22.11 memif zero-copy client: the first port to connect closes the EAL's
	# hugepage file descriptor, which the second port may still have to pass to its
	# server; the server then gets a stale or reused fd ("memif_connect(): mmap
	# failed: No such device") and that link stays down. keepfd.so prevents it; in
	# case it is off or fails, a fresh generator usually wins the race, so try up to
	# LINK_ATTEMPTS times.
	local attempt link_up="" why=""
	for ((attempt = 1; attempt <= LINK_ATTEMPTS; attempt++)); do
		start_a "$q" "$tag"
		if taskset -c "$CPU_A" python3 "$BENCH_DIR/pktrate.py" wait-link --socket "$(A_TELEMETRY)" \
			--timeout "$LINK_TIMEOUT" --split 2 2>"$T/wait-link.err"; then
			cat "$T/wait-link.err" >>"$LOGS/A-$tag.log"
			link_up=1
			break
		fi
		why=$(tail -1 "$T/wait-link.err")
		log "  $c frame $frame round $round: memif link not up (attempt $attempt: $why)"
		cat "$T/wait-link.err" >>"$LOGS/A-$tag.log"
		stop_a
	done
	if [ -z "$link_up" ]; then
		record_failure "$c" "$frame" "$round" "memif link not up after $LINK_ATTEMPTS attempts: $why"
		"stop_b_$c"
		return
	fi
	# The switch must see its links up too, or the first bursts die (vswitchd polls
	# link state once per second and drops towards a port it still thinks is down).
	if ! "b_ready_$c"; then
		record_failure "$c" "$frame" "$round" "switch ports not ready: $B_ERR"
		stop_a
		"stop_b_$c"
		return
	fi
	local ws0="[]"
	[ "$c" = vswitchd ] && ws0=$(vctl --json worker-stats 2>/dev/null || echo "[]")
	[ "$c" = ovs ] && ovs-appctl -t "$OVS_DIR/ovs-vswitchd.ctl" --timeout=10 \
		dpif-netdev/pmd-stats-clear >/dev/null 2>&1
	a_cmd "start tx_first $TX_FIRST"
	local meta
	meta=$(jq -cn --arg c "$c" --argjson f "$frame" --argjson r "$round" --argjson l "$L2_LEN" \
		--argjson q "$q" --argjson a "$attempt" \
		'{type:"round", contender:$c, frame:$f, round:$r, l2_len:$l, a_queues:$q, link_attempts:$a}')
	line=$(taskset -c "$CPU_A" timeout --foreground $((WARMUP + DURATION + 30)) python3 "$BENCH_DIR/pktrate.py" \
		measure --socket "$(A_TELEMETRY)" --warmup "$WARMUP" --duration "$DURATION" \
		--expect-len "$L2_LEN" --meta "$meta" 2>>"$LOGS/A-$tag.log")
	if [ -z "$line" ]; then
		record_failure "$c" "$frame" "$round" "telemetry sampling failed (see A-$tag.log)"
	else
		case $c in
		vswitchd) drops=$(vsw_stats "$tag" "$ws0") ;;
		ovs) drops=$(ovs_stats "$tag") ;;
		esac
		[ -n "$drops" ] && line=$(jq -c --argjson d "$drops" '. + $d' <<<"$line" 2>/dev/null || echo "$line")
		echo "$line" >>"$RESULTS"
		log "  $c frame $frame round $round: $(jq -r '"\(.mpps) Mpps (\(.mpps_per_port|map(tostring)|join(" + "))), \(.bytes_per_pkt) B/pkt" + (if .b_busy_pct then ", switch busy \(.b_busy_pct|map(tostring)|join("/")) %" else "" end) + (if .ok then "" else ", PROBLEM: " + .problem end)' <<<"$line")"
	fi
	# Teardown order: generator stops sending, the switch goes, then the generator
	# quits; a memif server polling while its client disconnects can crash.
	a_cmd stop
	sleep 0.2
	"stop_b_$c"
	stop_a
}

# ---------------------------------------------------------------- main
n_contenders=$(wc -w <<<"$CONTENDERS")
n_frames=$(wc -w <<<"$FRAMES")
est=$((n_contenders * n_frames * ROUNDS * (WARMUP + DURATION + 6)))
log "workdir $T; $n_contenders contenders x $n_frames frame sizes x $ROUNDS rounds, ~$((est / 60)) min $((est % 60)) s"

[ "$est" -le 600 ] || log "warning: this is more than 10 minutes"

# See keepfd.c: keeps the generator's hugepage descriptors open for its second
# zero-copy memif port. Without it the start is retried (LINK_ATTEMPTS).
A_PRELOAD=""
if [ "$KEEPFD" = 1 ]; then
	if gcc -O2 -shared -fPIC -o "$T/keepfd.so" "$BENCH_DIR/keepfd.c" -ldl 2>>"$LOGS/keepfd.log"; then
		A_PRELOAD=$T/keepfd.so
	else
		log "cannot compile keepfd.c; generator starts may need retries"
	fi
fi

jq -cn --arg date "$(date -Is)" --arg host "$(hostname)" --arg kernel "$(uname -r)" \
	--arg cpu "$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)" \
	--arg dpdk "$(pkg-config --modversion libdpdk 2>/dev/null || echo unknown)" \
	--arg ovs "$("$OVS_VSWITCHD" --version 2>/dev/null | head -1)" \
	--arg git "$(git -C "$REPO_DIR" rev-parse --short HEAD 2>/dev/null || echo none)" \
	--argjson rounds "$ROUNDS" --argjson warmup "$WARMUP" --argjson dur "$DURATION" \
	--arg frames "$FRAMES" --arg contenders "$CONTENDERS" \
	--argjson cpua "$CPU_A" --argjson cpub "$CPU_B" --argjson txf "$TX_FIRST" \
	--argjson qv "$VSW_QUEUES" --argjson qo "$OVS_QUEUES" --argjson qt "$TESTPMD_QUEUES" \
	--arg keepfd "${A_PRELOAD:+yes}" \
	'{type:"meta", date:$date, host:$host, kernel:$kernel, cpu:$cpu, dpdk:$dpdk, ovs:$ovs,
	  git:$git, rounds:$rounds, warmup_s:$warmup, duration_s:$dur, frames:$frames,
	  contenders:$contenders, cpu_generator:$cpua, cpu_switch:$cpub, tx_first:$txf,
	  generator_queue_pairs:{vswitchd:$qv, ovs:$qo, testpmd:$qt},
	  generator_keepfd:($keepfd == "yes")}' >>"$RESULTS"

# Cache-line ping-pong between the generator's and the switch's CPU, before any
# poller occupies them.
if [ -n "$DO_C2C" ]; then
	if gcc -O2 -pthread -o "$T/c2c" "$BENCH_DIR/c2c.c" 2>>"$LOGS/c2c.log"; then
		timeout 30 "$T/c2c" "$CPU_A" "$CPU_B" >>"$RESULTS" 2>>"$LOGS/c2c.log" ||
			log "c2c estimate failed (see logs)"
	else
		log "cannot compile c2c.c, skipping the cache-line estimate"
	fi
fi

setup_hugepages

read -r -a contender_list <<<"$CONTENDERS"
for frame in $FRAMES; do
	log "frame $frame bytes"
	for ((round = 1; round <= ROUNDS; round++)); do
		# Rotate the order each round so no contender always runs first.
		for ((k = 0; k < n_contenders; k++)); do
			c=${contender_list[$(((k + round - 1) % n_contenders))]}
			run_one "$c" "$frame" "$round"
		done
	done
done

log "done"
python3 "$BENCH_DIR/pktrate.py" report "$RESULTS" | tee "$T/report.txt"
if [ -n "$JSON_OUT" ]; then
	grep '^{' "$T/report.txt" >"$JSON_OUT" && log "JSON lines written to $JSON_OUT"
fi
n_bad=$(jq -s '[.[] | select(.type == "round" and .ok == false)] | length' "$RESULTS" 2>/dev/null || echo 0)
if [ "${n_bad:-0}" -gt 0 ]; then
	log "$n_bad round(s) failed, see above"
	exit 3
fi
exit 0
