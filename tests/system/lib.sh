# Shared helpers for the vswitchd system tests. Source it, then call vsw_init CODE.
#
#   VSW_BUILD=/path/to/builddir bash tests/system/basic_test.sh
#
# Exit status of a test: 0 pass, 1 fail, 77 skip (not root, or no `ip netns`).
#
# Every test gets its own names so that tests can run in parallel:
#   namespaces   vsw-<ID>-h<N>     (ID = two-letter test code + PID)
#   veth (root)  vs-<ID>-<N>       attached to the switch; its peer is eth0 inside the namespace
#   switch       --name st-<ID><instance>, socket/config/pid/log in a mktemp directory
# An EXIT trap stops the switches (by the PID in their pidfiles), deletes namespaces and veths,
# stops the helper processes it started and removes the temporary directory.
#
# Kernel TX checksum offload (and so TSO) is turned off on the namespace side of each veth:
# af_packet and af_xdp hand the switch frames whose TCP/UDP checksums the kernel has not filled
# in yet (CHECKSUM_PARTIAL) and GSO super-frames larger than the MTU; software switches on veth
# need that, and ping (ICMP, checksummed in software) does not depend on it.
# Set VSW_KEEP_OFFLOADS=1 to keep the kernel defaults.

set -u
set -o pipefail

VSW_BUILD=${VSW_BUILD:-/work/main/build}
VSWITCHD=${VSWITCHD:-$VSW_BUILD/vswitch/vswitchd}
VSWITCHCTL=${VSWITCHCTL:-$VSW_BUILD/ctl/vswitchctl}
VSW_TEST_TIMEOUT=${VSW_TEST_TIMEOUT:-110}  # watchdog: a test never runs longer
TEST_NAME=$(basename "$0" .sh)

T=""                 # temporary directory of this test
VSW_ID=""            # short unique id: test code + PID
_NAMESPACES=""       # created namespaces
_LINKS=""            # created root-namespace links
_INSTANCES=""        # started switch instances (a, b, ...)
_BG_PIDS=""          # helper processes started in the background
_WATCHDOG_PID=""
_IN_CLEANUP=0

log() { echo "--- [${SECONDS}s] $*"; }

skip() {
    echo "SKIP: $TEST_NAME: $*"
    exit 77
}

fail() {
    echo "FAIL: $TEST_NAME: $*" >&2
    vsw_dump_debug >&2
    # Called inside $(...) or a background job: make the test itself stop too.
    if [ "${BASHPID:-$$}" != "$$" ]; then
        kill -USR1 $$ 2>/dev/null
    fi
    exit 1
}

# wait_for TIMEOUT_SECONDS CMD [ARGS...]: poll CMD every 0.2 s until it succeeds.
wait_for() {
    local timeout=$1
    shift
    local deadline=$((SECONDS + timeout))
    while true; do
        if "$@" >/dev/null 2>&1; then
            return 0
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            return 1
        fi
        sleep 0.2
    done
}

vsw_require_env() {
    [ "$(id -u)" -eq 0 ] || skip "needs root (uid is $(id -u))"
    command -v ip >/dev/null 2>&1 || skip "ip (iproute2) not installed"
    local probe="vsw-probe-$$"
    if ! ip netns add "$probe" >/dev/null 2>&1; then
        skip "cannot create network namespaces with 'ip netns add'"
    fi
    ip netns del "$probe" >/dev/null 2>&1
    local tool
    for tool in jq ethtool python3 timeout; do
        command -v "$tool" >/dev/null 2>&1 || fail "required tool '$tool' is not installed"
    done
    [ -x "$VSWITCHD" ] || fail "vswitchd not found at $VSWITCHD (set VSW_BUILD to the build directory)"
    [ -x "$VSWITCHCTL" ] || fail "vswitchctl not found at $VSWITCHCTL (set VSW_BUILD to the build directory)"
}

# vsw_init CODE: checks the environment, sets up names, the temp dir, traps and a watchdog.
vsw_init() {
    local code=$1
    vsw_require_env
    VSW_ID="${code}$(($$ % 100000))"
    T=$(mktemp -d "/tmp/vsw-st-${code}.XXXXXX") || fail "mktemp failed"
    trap vsw_cleanup EXIT
    trap 'echo "FAIL: $TEST_NAME: interrupted" >&2; exit 1' INT
    trap 'exit 1' USR1
    trap 'echo "FAIL: $TEST_NAME: SIGTERM (watchdog after ${VSW_TEST_TIMEOUT}s, or from outside)" >&2; vsw_dump_debug >&2; exit 1' TERM
    # Watchdog: the whole test is bounded even if some step hangs.
    (
        trap 'exit 0' TERM
        sleep "$VSW_TEST_TIMEOUT" &
        wait $!
        kill -TERM $$ 2>/dev/null
    ) </dev/null >/dev/null 2>&1 &
    _WATCHDOG_PID=$!
    log "$TEST_NAME: id $VSW_ID, temp dir $T, build $VSW_BUILD"
}

# Background helpers are started as `ip netns exec NS CMD &` (ip execs CMD), not through the
# hx function, so that $! is the command itself and bg_stop reaches it.
bg_register() { _BG_PIDS="$_BG_PIDS $*"; }

# Stop one background helper by PID (and forget it).
bg_stop() {
    local pid=$1 sig=${2:-TERM}
    kill -"$sig" "$pid" 2>/dev/null
    for _ in $(seq 1 25); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.2
    done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    _BG_PIDS=$(echo " $_BG_PIDS " | sed "s/ $pid / /")
    return 0
}

vsw_cleanup() {
    local rc=$?
    [ "$_IN_CLEANUP" = 1 ] && return
    _IN_CLEANUP=1
    set +e
    trap - EXIT INT TERM USR1
    local pid inst ns l
    for pid in $_BG_PIDS; do
        kill -TERM "$pid" 2>/dev/null
    done
    for inst in $_INSTANCES; do
        vsw_stop "$inst" >/dev/null 2>&1
    done
    for ns in $_NAMESPACES; do
        # processes this test started inside its namespaces (ping, iperf3, tcpdump, python)
        for pid in $(ip netns pids "$ns" 2>/dev/null); do
            kill -KILL "$pid" 2>/dev/null
        done
        ip netns del "$ns" 2>/dev/null
    done
    for l in $_LINKS; do
        ip link del "$l" >/dev/null 2>&1
    done
    for inst in $_INSTANCES; do
        rm -rf "/var/run/dpdk/vsw-$(vsw_name "$inst")"
    done
    if [ -n "$_WATCHDOG_PID" ]; then
        # Stop the watchdog itself first (its TERM trap exits without firing), then its sleep.
        pid=$(pgrep -P "$_WATCHDOG_PID" sleep)
        kill -TERM "$_WATCHDOG_PID" 2>/dev/null
        wait "$_WATCHDOG_PID" 2>/dev/null
        [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null
    fi
    if [ -n "$T" ] && [ -d "$T" ]; then
        if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ] && [ -n "${VSW_KEEP_TMP:-}" ]; then
            echo "keeping $T"
        else
            rm -rf "$T"
        fi
    fi
    if [ "$rc" -eq 0 ]; then
        echo "PASS: $TEST_NAME"
    fi
    exit "$rc"
}

# ---------------------------------------------------------------- the switch

vsw_name() { echo "st-${VSW_ID}${1:-a}"; }
vsw_dir() { echo "$T/${1:-a}"; }
vsw_pid() { cat "$(vsw_dir "${1:-a}")/pid" 2>/dev/null; }

# Is PID a running vswitchd (guards against a stale pidfile)?
_is_vswitchd() {
    local pid=$1
    [ -n "$pid" ] || return 1
    [ -d "/proc/$pid" ] || return 1
    local exe
    exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || return 1
    [ "$(basename "${exe% (deleted)}")" = "vswitchd" ] || return 1
    grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null && return 1
    return 0
}

vsw_alive() { _is_vswitchd "$(vsw_pid "${1:-a}")"; }

# vsw_start [INSTANCE] [EXTRA-VSWITCHD-ARGS...]: start a switch instance (default a), detached.
vsw_start() {
    local inst=${1:-a}
    [ $# -gt 0 ] && shift
    local dir name
    dir=$(vsw_dir "$inst")
    name=$(vsw_name "$inst")
    mkdir -p "$dir"
    case " $_INSTANCES " in
        *" $inst "*) ;;
        *) _INSTANCES="$_INSTANCES $inst" ;;
    esac
    log "starting vswitchd $name"
    if ! timeout 60 "$VSWITCHD" --name "$name" --socket "$dir/sock" --config "$dir/conf.json" \
        --hugepages off --detach --pidfile "$dir/pid" --log-file "$dir/log" "$@" \
        </dev/null >"$dir/start.out" 2>&1; then
        echo "vswitchd start output:" >&2
        cat "$dir/start.out" >&2
        fail "vswitchd --name $name --detach did not succeed"
    fi
    [ -s "$dir/pid" ] || fail "vswitchd $name: pidfile $dir/pid missing or empty after --detach"
    vsw_alive "$inst" || fail "vswitchd $name (pid $(vsw_pid "$inst")) is not running after --detach"
    [ -S "$dir/sock" ] || fail "vswitchd $name: control socket $dir/sock missing after --detach returned"
    VSW_INST=$inst vsctl version >/dev/null 2>"$T/err" ||
        fail "vswitchd $name: 'vswitchctl version' failed right after start: $(cat "$T/err")"
}

# vsw_stop [INSTANCE]: SIGTERM, then SIGKILL after 5 s.
vsw_stop() {
    local inst=${1:-a}
    local pid
    pid=$(vsw_pid "$inst")
    [ -n "$pid" ] || return 0
    if _is_vswitchd "$pid"; then
        kill -TERM "$pid" 2>/dev/null
        wait_for 5 _not_running "$pid" && return 0
        kill -KILL "$pid" 2>/dev/null
    fi
    wait_for 5 _not_running "$pid"
}

# Gone for good: not even a zombie whose threads may still hold files and locks.
_not_running() {
    [ -e "/proc/$1" ] || return 0
    # an unreaped zombie without threads left is gone too; anything else still runs
    grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null && [ "$(ls "/proc/$1/task" 2>/dev/null | wc -l)" -le 1 ]
}

# vsctl [ARGS...]: vswitchctl on instance $VSW_INST (default a).
vsctl() {
    local inst=${VSW_INST:-a}
    timeout 30 "$VSWITCHCTL" -s "$(vsw_dir "$inst")/sock" -t 10 "$@"
}

# vsctl_ok ARGS...: must succeed.
vsctl_ok() {
    vsctl "$@" >"$T/out" 2>"$T/err" ||
        fail "'vswitchctl $*' exited $? (stderr: $(cat "$T/err"))"
    cat "$T/out"
}

# vsjson ARGS...: JSON output of a command that must succeed.
vsjson() {
    local out rc
    out=$(vsctl --json "$@" 2>"$T/err")
    rc=$?
    [ "$rc" -eq 0 ] || fail "'vswitchctl --json $*' exited $rc (stderr: $(cat "$T/err"))"
    echo "$out" | jq -e . >/dev/null 2>&1 || fail "'vswitchctl --json $*' printed invalid JSON: $out"
    # The spec does not fix the case of MAC addresses: compare them in lower case.
    echo "$out" | jq "$_MAC_LC"
}

_MAC_LC='walk(if type == "object" and (.mac | type) == "string" then .mac |= ascii_downcase else . end)'


# expect_json DESCRIPTION JQ-FILTER ARGS...: `vswitchctl --json ARGS | jq -e FILTER` must hold.
# Filters read test values through $ENV (export them first).
expect_json() {
    local desc=$1 filter=$2
    shift 2
    local out
    out=$(vsjson "$@") || exit 1
    echo "$out" | jq -e "$filter" >/dev/null 2>"$T/jq.err" ||
        fail "$desc: 'vswitchctl --json $*' does not satisfy jq '$filter'; got: $(echo "$out" | jq -c .) $(cat "$T/jq.err")"
}

# json_holds FILTER ARGS...: like expect_json without failing (for wait_for).
json_holds() {
    local filter=$1
    shift
    vsctl --json "$@" 2>/dev/null | jq "$_MAC_LC" 2>/dev/null | jq -e "$filter" >/dev/null 2>&1
}

# port_stat PORT JQ-PATH: e.g. port_stat p1 .rx_packets, port_stat p1 .drops.oversize
port_stat() {
    local out v
    out=$(vsjson port-stats) || exit 1
    v=$(echo "$out" | jq -r --arg p "$1" ".[] | select(.name == \$p) | $2")
    case "$v" in
        '' | null) fail "port-stats has no $2 for port $1: $(echo "$out" | jq -c .)" ;;
    esac
    echo "$v"
}

port_is_up() { json_holds "any(.[]; .name == \"$1\" and .state == \"up\")" list-ports; }

wait_port_up() {
    wait_for 10 port_is_up "$1" ||
        fail "port $1 not up within 10 s: $(vsctl --json list-ports 2>&1 | jq -c ".[] | select(.name == \"$1\")" 2>/dev/null)"
}

vsw_dump_debug() {
    [ -n "$T" ] && [ -d "$T" ] || return 0
    local inst dir
    for inst in $_INSTANCES; do
        dir=$(vsw_dir "$inst")
        echo "===== vswitchd $(vsw_name "$inst") (pid $(vsw_pid "$inst"); $(vsw_alive "$inst" && echo running || echo NOT running))"
        if vsw_alive "$inst"; then
            echo "-- list-ports:"
            VSW_INST=$inst timeout 10 "$VSWITCHCTL" -s "$dir/sock" -t 5 --json list-ports 2>&1 | jq -c '.[]' 2>/dev/null
            echo "-- port-stats:"
            VSW_INST=$inst timeout 10 "$VSWITCHCTL" -s "$dir/sock" -t 5 --json port-stats 2>&1 |
                jq -c '.[] | {name, rx_packets, tx_packets, rx_dropped, tx_dropped, drops: (.drops | with_entries(select(.value != 0)))}' 2>/dev/null
            echo "-- fdb-show:"
            VSW_INST=$inst timeout 10 "$VSWITCHCTL" -s "$dir/sock" -t 5 --json fdb-show 2>&1 | jq -c '.[]' 2>/dev/null
        fi
        echo "-- last lines of $dir/log:"
        tail -n 30 "$dir/log" 2>/dev/null
    done
}

# ---------------------------------------------------------------- hosts

hns() { echo "vsw-${VSW_ID}-h$1"; }  # namespace of host N
hsw() { echo "vs-${VSW_ID}-$1"; }    # root-namespace end of host N's veth
hmac() { printf '02:00:5e:%02x:%02x:%02x' $((${2:-0})) $(($$ % 256)) "$1"; }  # MAC of host N
hx() {
    local n=$1
    shift
    ip netns exec "$(hns "$n")" "$@"
}

# add_host N [ADDR/PREFIX] [MTU]: namespace hN with eth0 (MAC hmac N), its peer hsw N up in the
# root namespace without any address.
add_host() {
    local n=$1 addr=${2:-} mtu=${3:-}
    local ns sw
    ns=$(hns "$n")
    sw=$(hsw "$n")
    ip netns add "$ns" || fail "ip netns add $ns"
    _NAMESPACES="$_NAMESPACES $ns"
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 >/dev/null
    ip link add "$sw" type veth peer name eth0 netns "$ns" || fail "ip link add $sw type veth"
    _LINKS="$_LINKS $sw"
    echo 1 >"/proc/sys/net/ipv6/conf/$sw/disable_ipv6"
    ip netns exec "$ns" ip link set lo up
    ip netns exec "$ns" ip link set eth0 address "$(hmac "$n")" || fail "set MAC of eth0 in $ns"
    if [ -z "${VSW_KEEP_OFFLOADS:-}" ]; then
        ip netns exec "$ns" ethtool -K eth0 tx off >/dev/null 2>&1 || fail "ethtool -K eth0 tx off in $ns"
    fi
    if [ -n "$mtu" ]; then
        ip link set "$sw" mtu "$mtu" || fail "ip link set $sw mtu $mtu"
        ip netns exec "$ns" ip link set eth0 mtu "$mtu" || fail "ip link set eth0 mtu $mtu in $ns"
    fi
    if [ -n "$addr" ]; then
        ip netns exec "$ns" ip addr add "$addr" dev eth0 || fail "ip addr add $addr in $ns"
    fi
    ip netns exec "$ns" ip link set eth0 up || fail "ip link set eth0 up in $ns"
    ip link set "$sw" up || fail "ip link set $sw up"
}

# attach N [PORT] [KEY=VALUE...]: add-port PORT (default pN) over af_packet on hsw N.
attach() {
    local n=$1
    local port=${2:-p$n}
    [ $# -ge 2 ] && shift 2 || shift 1
    vsctl_ok add-port "$port" "net_af_packet,iface=$(hsw "$n")" "$@" >/dev/null
    wait_port_up "$port"
}

# ---------------------------------------------------------------- traffic

_ping_count() {  # prints the number of replies
    sed -n 's/.* \([0-9][0-9]*\) received.*/\1/p' | head -n1
}

# ping_ok FROM_HOST DST [PING-ARGS...]: within 10 s a first reply, then 3 of 3 replies.
ping_ok() {
    local n=$1 dst=$2
    shift 2
    if ! wait_for 10 hx "$n" ping -n -c 1 -W 1 "$@" "$dst"; then
        fail "ping from $(hns "$n") to $dst ($*): no reply within 10 s"
    fi
    local out got
    out=$(hx "$n" ping -n -c 3 -i 0.2 -W 2 "$@" "$dst" 2>&1)
    got=$(echo "$out" | _ping_count)
    [ "${got:-0}" = 3 ] || fail "ping from $(hns "$n") to $dst ($*): $got of 3 replies: $out"
}

# ping_fail FROM_HOST DST [PING-ARGS...]: 3 echo requests, no reply.
ping_fail() {
    local n=$1 dst=$2
    shift 2
    local out got
    out=$(hx "$n" ping -n -c 3 -i 0.3 -W 1 "$@" "$dst" 2>&1)
    got=$(echo "$out" | _ping_count)
    [ "${got:-0}" = 0 ] || fail "ping from $(hns "$n") to $dst ($*) should get no reply, got $got: $out"
}

# cap_start HOST IFACE NAME [FILTER...]: tcpdump of frames received by IFACE in host's namespace
# into $T/NAME.pcap; sets CAP_PID.
cap_start() {
    local n=$1 ifc=$2 name=$3
    shift 3
    rm -f "$T/$name.pcap" "$T/$name.cap.err"
    ip netns exec "$(hns "$n")" tcpdump -Z root -i "$ifc" -Q in -n -U --immediate-mode -s 0 -w "$T/$name.pcap" "$@" \
        </dev/null >/dev/null 2>"$T/$name.cap.err" &
    CAP_PID=$!
    bg_register "$CAP_PID"
    wait_for 10 grep -q "listening on" "$T/$name.cap.err" ||
        fail "tcpdump on $ifc in $(hns "$n") did not start: $(cat "$T/$name.cap.err")"
}

cap_stop() {  # cap_stop PID
    sleep 0.3
    bg_stop "$1" TERM
}

# cap_text NAME: the capture, one line per frame with link-level headers.
cap_text() {
    tcpdump -e -n -r "$T/$1.pcap" 2>/dev/null
}

# iperf_run SERVER_HOST SERVER_IP CLIENT_HOST: 3 s TCP transfer; prints bytes received.
iperf_run() {
    local s=$1 ip=$2 c=$3
    ip netns exec "$(hns "$s")" timeout 30 iperf3 -s -1 -B "$ip" -p 5201 >"$T/iperf-s.out" 2>&1 &
    local spid=$!
    bg_register "$spid"
    wait_for 10 sh -c "ip netns exec $(hns "$s") ss -ltn | grep -q ':5201 '" ||
        fail "iperf3 server in $(hns "$s") not listening"
    if ! hx "$c" timeout 30 iperf3 -c "$ip" -p 5201 -t 3 -J --connect-timeout 3000 >"$T/iperf-c.json" 2>"$T/iperf-c.err"; then
        bg_stop "$spid"
        fail "iperf3 from $(hns "$c") to $ip failed: $(jq -r '.error // empty' "$T/iperf-c.json" 2>/dev/null) $(cat "$T/iperf-c.err")"
    fi
    bg_stop "$spid"
    jq -r '.end.sum_received.bytes | floor' "$T/iperf-c.json"
}

# tcp_copy SERVER_HOST SERVER_IP CLIENT_HOST MB: sends MB MiB of random data over TCP and checks
# that the receiver got exactly the same bytes.
tcp_copy() {
    local s=$1 ip=$2 c=$3 mb=$4
    head -c "$((mb * 1048576))" /dev/urandom >"$T/xfer.in"
    rm -f "$T/xfer.out" "$T/xfer.ready"
    ip netns exec "$(hns "$s")" timeout 30 python3 -c '
import socket, sys
ip, port, out, ready = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind((ip, port))
ls.listen(1)
open(ready, "w").close()
ls.settimeout(20)
c, _ = ls.accept()
c.settimeout(20)
with open(out, "wb") as f:
    while True:
        d = c.recv(1 << 16)
        if not d:
            break
        f.write(d)
' "$ip" 5202 "$T/xfer.out" "$T/xfer.ready" >"$T/xfer-s.err" 2>&1 &
    local spid=$!
    bg_register "$spid"
    wait_for 10 test -e "$T/xfer.ready" || fail "tcp_copy receiver did not start: $(cat "$T/xfer-s.err")"
    hx "$c" timeout 30 python3 -c '
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=20)
with open(sys.argv[3], "rb") as f:
    s.sendall(f.read())
s.shutdown(socket.SHUT_WR)
s.recv(1)
s.close()
' "$ip" 5202 "$T/xfer.in" >"$T/xfer-c.err" 2>&1 || {
        bg_stop "$spid"
        fail "tcp_copy of $mb MiB from $(hns "$c") to $ip failed: $(cat "$T/xfer-c.err")"
    }
    wait_for 20 sh -c "! kill -0 $spid 2>/dev/null"
    bg_stop "$spid"
    cmp -s "$T/xfer.in" "$T/xfer.out" ||
        fail "tcp_copy: data received at $ip differs from data sent ($(stat -c %s "$T/xfer.out" 2>/dev/null) of $(stat -c %s "$T/xfer.in") bytes)"
}

# raw_send HOST IFACE COUNT HEX-FRAME: send a raw Ethernet frame COUNT times from the host.
raw_send() {
    hx "$1" python3 -c '
import socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((sys.argv[1], 0))
frame = bytes.fromhex(sys.argv[3])
for _ in range(int(sys.argv[2])):
    s.send(frame)
' "$2" "$3" "$4" || fail "raw_send on $2 in $(hns "$1") failed"
}

mac_hex() { echo "$1" | tr -d ':'; }

# cpu_ticks PID: utime + stime of the whole process, in clock ticks.
cpu_ticks() {
    awk '{ print $14 + $15 }' "/proc/$1/stat"
}

# ---------------------------------------------------------------- raw VLAN host
# The test kernel may lack 802.1Q support (no `ip link add ... type vlan`), so tagged traffic
# is made in user space: vping sends ARP + ICMP echo requests from a raw socket, tagged with
# --vid (or untagged without it), and reports the replies and the VLAN tag they came with
# (read from PACKET_AUXDATA, where the kernel puts a tag it took off on receive). While it
# waits it answers ARP requests for its --ip, so the peer's neighbour probes succeed.
#
#   vping HOST --mac MAC --ip IP --dst IP [--vid N] [--pcp N] [--count N] [--size N]
#   prints {"arp": bool, "dst_mac", "sent", "received", "reply_vids": [...]}
#   reply_vids has one entry per reply (ARP and ICMP): the VID, or -1 for an untagged reply.
vping() {
    local n=$1
    shift
    [ -f "$T/vping.py" ] || cat >"$T/vping.py" <<'PYEOF'
import argparse, json, os, select, socket, struct, sys, time

SOL_PACKET = 263
PACKET_AUXDATA = 8
TP_STATUS_VLAN_VALID = 1 << 4
PACKET_OUTGOING = 4

ap = argparse.ArgumentParser()
ap.add_argument("--iface", default="eth0")
ap.add_argument("--mac", required=True)
ap.add_argument("--ip", required=True)
ap.add_argument("--dst", required=True)
ap.add_argument("--vid", type=int)
ap.add_argument("--pcp", type=int, default=0)
ap.add_argument("--count", type=int, default=3)
ap.add_argument("--size", type=int, default=56, help="ICMP payload bytes")
ap.add_argument("--timeout", type=float, default=1.0)
ap.add_argument("--interval", type=float, default=0.2)
a = ap.parse_args()

mac = bytes.fromhex(a.mac.replace(":", ""))
ip = socket.inet_aton(a.ip)
dst = socket.inet_aton(a.dst)
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.bind((a.iface, 3))
s.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
vids = []

def l2(dmac, etype):
    h = dmac + mac
    if a.vid is not None:
        h += struct.pack("!HH", 0x8100, (a.pcp << 13) | a.vid)
    return h + struct.pack("!H", etype)

def pad(f):
    return f + bytes(max(0, 60 + (4 if a.vid is not None else 0) - len(f)))

def csum(b):
    if len(b) % 2:
        b += b"\0"
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while t >> 16:
        t = (t & 0xFFFF) + (t >> 16)
    return ~t & 0xFFFF

def recv(deadline, match):
    """Frames received until deadline; returns (vid, payload-after-ethertype) for the first
    frame for which match(etype, payload) is true."""
    while True:
        left = deadline - time.time()
        if left <= 0:
            return None
        r, _, _ = select.select([s], [], [], left)
        if not r:
            return None
        data, anc, _, addr = s.recvmsg(65536, socket.CMSG_SPACE(32))
        if addr[2] == PACKET_OUTGOING:
            continue
        vid = -1
        for lvl, typ, cd in anc:
            if lvl == SOL_PACKET and typ == PACKET_AUXDATA and len(cd) >= 20:
                st, _, _, _, _, tci, _ = struct.unpack("IIIHHHH", cd[:20])
                if st & TP_STATUS_VLAN_VALID:
                    vid = tci & 0xFFF
        if len(data) < 14 or data[0:6] not in (mac, b"\xff" * 6):
            continue
        etype = struct.unpack("!H", data[12:14])[0]
        off = 14
        if etype in (0x8100, 0x88A8) and len(data) >= 18:
            vid = struct.unpack("!H", data[14:16])[0] & 0xFFF
            etype = struct.unpack("!H", data[16:18])[0]
            off = 18
        p = data[off:]
        if etype == 0x0806 and len(p) >= 28 and p[6:8] == b"\0\1" and p[24:28] == ip:
            # answer ARP requests (and the peer's unicast probes) for our address
            s.send(pad(l2(p[8:14], 0x0806) + struct.pack("!HHBBH", 1, 0x0800, 6, 4, 2)
                       + mac + ip + p[8:14] + p[14:18]))
            continue
        if match(etype, p):
            return vid, p

res = {"arp": False, "dst_mac": None, "sent": 0, "received": 0, "reply_vids": vids}
dmac = None
for _ in range(3):
    arp = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + mac + ip + bytes(6) + dst
    s.send(pad(l2(b"\xff" * 6, 0x0806) + arp))
    got = recv(time.time() + a.timeout,
               lambda t, p: t == 0x0806 and len(p) >= 28 and p[6:8] == b"\0\2"
               and p[14:18] == dst and p[24:28] == ip)
    if got:
        vids.append(got[0])
        dmac = got[1][8:14]
        break
if dmac:
    res["arp"] = True
    res["dst_mac"] = ":".join("%02x" % x for x in dmac)
    ident = os.getpid() & 0xFFFF
    for seq in range(1, a.count + 1):
        payload = bytes((i & 0xFF) for i in range(a.size))
        icmp = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + payload
        icmp = icmp[:2] + struct.pack("!H", csum(icmp)) + icmp[4:]
        iph = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(icmp), seq, 0x4000, 64, 1, 0, ip, dst)
        iph = iph[:10] + struct.pack("!H", csum(iph)) + iph[12:]
        s.send(pad(l2(dmac, 0x0800) + iph + icmp))
        res["sent"] += 1
        got = recv(time.time() + a.timeout,
                   lambda t, p: t == 0x0800 and len(p) >= 28 and p[9] == 1 and p[12:16] == dst
                   and p[16:20] == ip and p[20] == 0 and struct.unpack("!HH", p[24:28]) == (ident, seq)
                   and p[28:28 + a.size] == payload)
        if got:
            res["received"] += 1
            vids.append(got[0])
        time.sleep(a.interval)
print(json.dumps(res))
PYEOF
    hx "$n" timeout 30 python3 "$T/vping.py" "$@"
}

# vping_ok DESC REPLY_VID HOST ARGS...: every request answered, every reply with VLAN tag
# REPLY_VID (-1: untagged). Prints the result JSON.
vping_ok() {
    local desc=$1 rvid=$2
    shift 2
    local out
    out=$(vping "$@") || fail "$desc: vping failed: $out"
    echo "$out" | jq -e --argjson v "$rvid" '.arp and .sent > 0 and .received == .sent and all(.reply_vids[]; . == $v)' >/dev/null ||
        fail "$desc: expected a reply to every request, each with VLAN $rvid (-1 = untagged); got $out"
    echo "$out"
}

# vping_fail DESC HOST ARGS...: no reply at all (neither ARP nor ICMP).
vping_fail() {
    local desc=$1
    shift
    local out
    out=$(vping "$@") || fail "$desc: vping failed: $out"
    echo "$out" | jq -e '(.arp | not) and .received == 0' >/dev/null ||
        fail "$desc: expected no reply; got $out"
}
