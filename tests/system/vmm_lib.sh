# shellcheck shell=bash
# Helpers for system tests that run vmmd partitions next to vswitchd. Source after lib.sh and
# vsw_init. Sets VMM_NAME, VMM_DIR, VMM_SOCK, VMM_STATE, SWDIR (vmmd finds switch SW at
# SWDIR/SW.sock) and installs the EXIT trap that stops vmmd before vswitchd's cleanup.

VMMD=${VMMD:-$VSW_BUILD/hypervisor/vmmd}
VMMCTL=${VMMCTL:-$VSW_BUILD/hypervisor/vmmctl}

# vmm_require [TOOL...] -- [FILE...]: what a partition test needs before it starts anything.
# Without root, the namespaces or a TOOL it is skipped (exit 77); vmmd, vmmctl or a FILE not built
# fails it.
vmm_require() {
    local f
    [ "$(id -u)" -eq 0 ] || skip "needs root (uid is $(id -u))"
    while [ $# -gt 0 ] && [ "$1" != -- ]; do
        case $1 in
        nsenter) f="nsenter (util-linux)" ;;
        *) f=$1 ;;
        esac
        command -v "$1" >/dev/null 2>&1 || skip "$f not installed"
        shift
    done
    [ $# -gt 0 ] && shift
    unshare -n -m -p -u -i --fork true >/dev/null 2>&1 ||
        skip "cannot create net/mount/pid/uts/ipc namespaces (unshare -nmpui failed)"
    for f in "$VMMD" "$VMMCTL" "$@"; do
        [ -x "$f" ] || fail "$f not built (set VSW_BUILD to the build directory)"
    done
}

# vmm_init PREFIX: per-test names and directories, and the cleanup trap.
vmm_init() {
    VMM_NAME="$1$(($$ % 100000))"
    VMM_DIR="$T/vmm"
    VMM_SOCK="$VMM_DIR/sock"
    VMM_STATE="$VMM_DIR/state"
    SWDIR="$T/switches"
    mkdir -p "$VMM_DIR" "$SWDIR"
    trap '_rc=$?; vmm_cleanup $_rc; (exit $_rc); vsw_cleanup' EXIT
}

# vmm_start GUEST_INIT: start vmmd in the background with that partition init.
vmm_start() {
    timeout 30 "$VMMD" --name "$VMM_NAME" --socket "$VMM_SOCK" --config "$VMM_DIR/conf.json" \
        --state-dir "$VMM_STATE" --guest-init "$1" --switch-dir "$SWDIR" --detach \
        --pidfile "$VMM_DIR/pid" --log-file "$VMM_DIR/log" </dev/null >"$VMM_DIR/start.out" 2>&1 ||
        fail "vmmd did not start: $(cat "$VMM_DIR/start.out")"
}

vmm_pid() { cat "$VMM_DIR/pid" 2>/dev/null; }
vmm_running() {
    local pid
    pid=$(vmm_pid)
    [ -n "$pid" ] && [ -d "/proc/$pid" ] && ! grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null
}
vmm_cleanup() {
    local pid p
    if [ "${1:-0}" -ne 0 ] && [ "${1:-0}" -ne 77 ] && [ -d "$VMM_DIR" ]; then
        echo "===== vmmd log:" >&2
        tail -n 40 "$VMM_DIR/log" >&2 2>/dev/null
        for p in "$VMM_STATE"/*.log; do
            [ -f "$p" ] && { echo "===== $p:" >&2; tail -n 25 "$p" >&2; }
        done
    fi
    if vmm_running; then
        pid=$(vmm_pid)
        kill -TERM "$pid" 2>/dev/null
        wait_for 20 _not_running "$pid" || kill -KILL "$pid" 2>/dev/null
    fi
    for p in /sys/fs/cgroup/*/"vmmd-$VMM_NAME" /sys/fs/cgroup/"vmmd-$VMM_NAME"; do
        [ -d "$p" ] || continue
        rmdir "$p"/* "$p" 2>/dev/null
    done
}

vmmctl() { timeout 60 "$VMMCTL" -s "$VMM_SOCK" "$@"; }
vm_ok() {
    vmmctl "$@" >"$T/out" 2>"$T/err" || fail "'vmmctl $*' exited $? (stderr: $(cat "$T/err"))"
    cat "$T/out"
}
vm_pid() { vmmctl --json show "$1" | jq -r .pid; }
# vx VM CMD...: run CMD in the network and PID namespaces of partition VM. In its PID namespace,
# whatever CMD leaves running (iperf3 -D) dies with the partition instead of outliving the test.
vx() {
    local pid
    pid=$(vm_pid "$1")
    shift
    [ -n "$pid" ] && [ "$pid" != null ] || fail "partition has no pid"
    nsenter -t "$pid" -n -p "$@"
}
# vping_vm_ok VM DST [PING-ARGS...]: VM reaches DST (waits up to 15 s, then 3 of 3 replies)
vping_vm_ok() {
    local vm=$1 dst=$2 out got
    shift 2
    wait_for 15 vx "$vm" ping -n -c 1 -W 1 "$@" "$dst" || fail "ping from $vm to $dst: no reply within 15 s"
    out=$(vx "$vm" ping -n -c 3 -i 0.2 -W 2 "$@" "$dst" 2>&1)
    got=$(echo "$out" | _ping_count)
    [ "${got:-0}" = 3 ] || fail "ping from $vm to $dst: $got of 3 replies: $out"
}
# busy_channels PORT COUNTER MIN: how many of netvsc port PORT's channels have COUNTER > MIN
busy_channels() {
    vsjson port-stats | jq "[.[] | select(.name == \"$1\") | .netvsc.channels[] |
        select(.$2 > $3)] | length"
}
