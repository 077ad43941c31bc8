#!/bin/bash
# Process partitions under vmmd: the sandbox (hostname, network, PID namespace, /proc, cgroup
# limits, seccomp, the memfd and message socket handed to vsw-guest-init), stop / kill / stop
# with SIGKILL after the timeout, exit status, vmmd restart keeping the definitions, refusal of a
# corrupt configuration, and vmmctl's error exits.
#
# What happens inside a partition is observed two ways: a probe partition whose command prints
# key=value lines to its log (vmmd writes each partition's stdout/stderr to
# STATE_DIR/PARTITION.log), which shows what the sandboxed command itself can and cannot do
# (seccomp applies only there), and `nsenter` into a running partition's namespaces.
#
# vmmd runs with everything in the test's temp dir: --socket, --config, --state-dir, --pidfile,
# --log-file; its cgroups are /sys/fs/cgroup/.../vmmd-<name>/. Cleanup stops vmmd by the PID in
# its pidfile (it stops its partitions and removes its cgroups) and SIGKILLs partition PIDs left.
source "$(dirname "$0")/lib.sh"

VMMD=${VMMD:-$VSW_BUILD/hypervisor/vmmd}
VMMCTL=${VMMCTL:-$VSW_BUILD/hypervisor/vmmctl}
GUEST_INIT=${GUEST_INIT:-$VSW_BUILD/guest-drivers/vsw-guest-init}

# ---------------------------------------------------------------- environment

[ "$(id -u)" -eq 0 ] || skip "needs root (uid is $(id -u))"
command -v nsenter >/dev/null 2>&1 || skip "nsenter (util-linux) not installed"
command -v unshare >/dev/null 2>&1 || skip "unshare (util-linux) not installed"
unshare -n -m -p -u -i --fork true >/dev/null 2>&1 ||
    skip "cannot create net/mount/pid/uts/ipc namespaces (unshare -nmpui failed)"
# "MOUNTPOINT FSTYPE SUPEROPTS" of every mount (optional fields vary in number before " - ")
_mounts() {
    awk '{ for (i = 7; i < NF; i++) if ($i == "-") { print $5, $(i + 1), $(i + 3); break } }' /proc/self/mountinfo
}
_cg_ok=0
while read -r mnt fstype _; do
    [ "$fstype" = cgroup2 ] || continue
    grep -qw memory "$mnt/cgroup.controllers" 2>/dev/null && grep -qw cpu "$mnt/cgroup.controllers" && _cg_ok=1
done < <(_mounts)
if _mounts | awk '$2 == "cgroup" && $3 ~ /(^|,)memory(,|$)/' | grep -q . &&
    _mounts | awk '$2 == "cgroup" && $3 ~ /(^|,)cpu(,|$)/' | grep -q .; then
    _cg_ok=1
fi
[ "$_cg_ok" = 1 ] || skip "no cgroup v2 hierarchy with memory+cpu and no cgroup v1 memory+cpu hierarchies"
for f in "$VMMD" "$VMMCTL" "$GUEST_INIT"; do
    [ -x "$f" ] || fail "$f not built (set VSW_BUILD to the build directory)"
done

vsw_init pt
VMM_NAME="pt$(($$ % 100000))"
VMM_DIR="$T/vmm"
VMM_SOCK="$VMM_DIR/sock"
VMM_CONF="$VMM_DIR/conf.json"
VMM_STATE="$VMM_DIR/state"
mkdir -p "$VMM_DIR"

vmm_pid() { cat "$VMM_DIR/pid" 2>/dev/null; }

_is_vmmd() {
    local pid=$1 exe
    [ -n "$pid" ] && [ -d "/proc/$pid" ] || return 1
    exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || return 1
    [ "$(basename "${exe% (deleted)}")" = vmmd ] || return 1
    ! grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null
}

vmm_alive() { _is_vmmd "$(vmm_pid)"; }

# vmm_start: vmmd in the background; returns once its socket answers.
vmm_start() {
    log "starting vmmd $VMM_NAME"
    if ! timeout 30 "$VMMD" --name "$VMM_NAME" --socket "$VMM_SOCK" --config "$VMM_CONF" \
        --state-dir "$VMM_STATE" --guest-init "$GUEST_INIT" --detach --pidfile "$VMM_DIR/pid" \
        --log-file "$VMM_DIR/log" </dev/null >"$VMM_DIR/start.out" 2>&1; then
        fail "vmmd --detach did not succeed: $(cat "$VMM_DIR/start.out")"
    fi
    vmm_alive || fail "vmmd (pid $(vmm_pid)) not running after --detach"
    [ -S "$VMM_SOCK" ] || fail "vmmd: socket $VMM_SOCK missing after --detach returned"
    [ "$(stat -c %a "$VMM_SOCK")" = 600 ] || fail "vmmd socket mode is $(stat -c %a "$VMM_SOCK"), expected 600"
}

# vmm_stop: SIGTERM; vmmd must exit within 20 s (it stops its partitions first).
vmm_stop() {
    local pid
    pid=$(vmm_pid)
    _is_vmmd "$pid" || return 0
    kill -TERM "$pid"
    wait_for 20 _not_running "$pid" || fail "vmmd (pid $pid) still running 20 s after SIGTERM"
}

vmm_cleanup() {
    local pid p
    if [ "${1:-0}" -ne 0 ] && [ "${1:-0}" -ne 77 ] && [ -d "$VMM_DIR" ]; then
        echo "===== vmmd log:" >&2
        tail -n 40 "$VMM_DIR/log" >&2 2>/dev/null
        for p in "$VMM_STATE"/*.log; do
            [ -f "$p" ] && { echo "===== $p:" >&2; tail -n 20 "$p" >&2; }
        done
    fi
    pid=$(vmm_pid)
    if _is_vmmd "$pid"; then
        kill -TERM "$pid" 2>/dev/null
        wait_for 20 _not_running "$pid" || kill -KILL "$pid" 2>/dev/null
    fi
    for pid in $_PART_PIDS; do
        # only if that PID is still a partition's init (PIDs are reused)
        [ "$(basename "$(readlink "/proc/$pid/exe" 2>/dev/null)")" = vsw-guest-init ] &&
            kill -KILL "$pid" 2>/dev/null
    done
    for p in /sys/fs/cgroup/*/"vmmd-$VMM_NAME" /sys/fs/cgroup/"vmmd-$VMM_NAME"; do
        [ -d "$p" ] || continue
        rmdir "$p"/* "$p" 2>/dev/null
    done
}
_PART_PIDS=""
trap '_rc=$?; vmm_cleanup $_rc; (exit $_rc); vsw_cleanup' EXIT

vmmctl() { timeout 60 "$VMMCTL" -s "$VMM_SOCK" "$@"; }

vm_ok() {
    vmmctl "$@" >"$T/out" 2>"$T/err" || fail "'vmmctl $*' exited $? (stderr: $(cat "$T/err"))"
    cat "$T/out"
}

vm_json() {
    local out rc
    out=$(vmmctl --json "$@" 2>"$T/err")
    rc=$?
    [ "$rc" -eq 0 ] || fail "'vmmctl --json $*' exited $rc (stderr: $(cat "$T/err"))"
    echo "$out" | jq -e . >/dev/null 2>&1 || fail "'vmmctl --json $*' printed invalid JSON: $out"
    echo "$out"
}

# vm_expect DESC JQ-FILTER ARGS...: `vmmctl --json ARGS | jq -e FILTER` must hold.
vm_expect() {
    local desc=$1 filter=$2 out
    shift 2
    out=$(vm_json "$@") || exit 1
    echo "$out" | jq -e "$filter" >/dev/null 2>&1 ||
        fail "$desc: 'vmmctl --json $*' does not satisfy jq '$filter'; got: $(echo "$out" | jq -c .)"
}

vm_holds() {
    local filter=$1
    shift
    vmmctl --json "$@" 2>/dev/null | jq -e "$filter" >/dev/null 2>&1
}

# vm_refused DESC RC ARGS...: vmmctl must exit RC with a message on stderr and change nothing.
vm_refused() {
    local desc=$1 want=$2 rc before after
    shift 2
    before=$(vmmctl --json list 2>/dev/null)
    vmmctl "$@" >"$T/out" 2>"$T/err"
    rc=$?
    [ "$rc" -eq "$want" ] || fail "$desc: 'vmmctl $*' exited $rc, expected $want (stderr: $(cat "$T/err"))"
    [ -s "$T/err" ] || fail "$desc: 'vmmctl $*' exited $rc without a message on stderr"
    after=$(vmmctl --json list 2>/dev/null)
    [ "$before" = "$after" ] || fail "$desc: 'vmmctl $*' was refused but the partition list changed: $before -> $after"
    log "refused as expected ($desc): $(head -n 1 "$T/err")"
}

part_pid() { vmmctl --json show "$1" 2>/dev/null | jq -r '.pid // empty'; }

# pin PART: the partition's PID 1 (and remember it for the cleanup).
pin() {
    local pid
    pid=$(part_pid "$1")
    [ -n "$pid" ] || fail "partition $1 has no pid: $(vmmctl --json show "$1" 2>&1 | jq -c .)"
    _PART_PIDS="$_PART_PIDS $pid"
    echo "$pid"
}

in_part() {  # in_part PID CMD...: run CMD inside the partition's namespaces (not its seccomp)
    local pid=$1
    shift
    timeout 10 nsenter -t "$pid" -n -m -p -u "$@"
}

# ---------------------------------------------------------------- start, create, list

export P1 P3 PROBE  # read by jq filters through $ENV

vmm_start
rc=0
timeout 30 "$VMMD" --name "$VMM_NAME" --socket "$T/second.sock" --config "$T/second.json" \
    --state-dir "$T/second" --guest-init "$GUEST_INIT" </dev/null >"$T/second.out" 2>&1 || rc=$?
[ "$rc" -ne 0 ] || fail "a second vmmd with the same --name started"
grep -q "another vmmd" "$T/second.out" || fail "second vmmd's refusal: $(cat "$T/second.out")"
vm_expect "version has vmmctl, vmmd and protocol" 'has("vmmctl") and has("vmmd") and .protocol == 1' version
vm_expect "a fresh vmmd has no partitions" 'length == 0' list

# What the sandboxed command sees (one key=value per line; exit 7 so its status is recognisable).
PROBE='echo hostname=$(hostname)
echo links=$(ip -o link | awk -F": " "{print \$2}" | tr "\n" " ")
echo pid1=$(cat /proc/1/comm)
echo nprocs=$(ls /proc | grep -c "^[0-9]")
if unshare -n true 2>/dev/null; then echo unshare=allowed; else echo unshare=denied; fi
if mount -t tmpfs probe /mnt 2>/dev/null; then echo mount=allowed; umount /mnt; else echo mount=denied; fi
if ping -n -c 1 -W 2 127.0.0.1 >/dev/null 2>&1; then echo ping=ok; else echo ping=fail; fi
echo path=$PATH
echo done=yes
exit 7'

vm_ok create p1 --memory 64 --cpus 0.5 --cmd 'sleep 1000' \
    --nic switch=sw1,mac=02:00:00:00:00:01,port=p1 --nic switch=sw2,mac=02:00:00:00:00:02,port=p1 >/dev/null
vm_ok create p2 --memory 32 --cmd "$PROBE" >/dev/null
vm_ok create p3 --memory 16 --cmd "trap '' TERM; sleep 1000" >/dev/null
vm_expect "list has p1, p2, p3, all defined" \
    '([.[].name] == ["p1", "p2", "p3"]) and all(.[]; .state == "defined" and .pid == null)' list
vm_expect "p1 as created" \
    '.memory == 64 and .cpus == 0.5 and .cmd == "sleep 1000" and .n_nics == 2
     and .nics[0] == {"switch": "sw1", "mac": "02:00:00:00:00:01", "port": "p1"}
     and .nics[1].switch == "sw2"' show p1
vm_ok list | grep -q '^p1 .*defined' || fail "human list output lacks p1: $(vm_ok list)"
jq -e '.partitions | length == 3' "$VMM_CONF" >/dev/null || fail "config file does not hold 3 partitions: $(cat "$VMM_CONF")"

log "error cases"
vm_refused "duplicate name" 1 create p1 --memory 64
vm_refused "multicast MAC" 1 create p4 --memory 64 --nic switch=sw1,mac=01:00:5e:00:00:01,port=q1
vm_refused "malformed MAC" 1 create p4 --memory 64 --nic switch=sw1,mac=02:00:00:00:01,port=q1
vm_refused "zero MAC" 1 create p4 --memory 64 --nic switch=sw1,mac=00:00:00:00:00:00,port=q1
vm_refused "NIC MAC twice in one partition" 1 create p4 --memory 64 \
    --nic switch=sw1,mac=02:00:00:00:01:01,port=q1 --nic switch=sw1,mac=02:00:00:00:01:01,port=q2
vm_refused "port owned by another partition" 1 create p4 --memory 64 --nic switch=sw1,mac=02:00:00:00:01:01,port=p1
vm_refused "VLAN key in a NIC" 1 create p4 --memory 64 --nic switch=sw1,mac=02:00:00:00:01:01,port=q1,vlan=5
vm_refused "memory 0" 1 create p4 --memory 0
vm_refused "memory 15" 1 create p4 --memory 15
vm_refused "more CPUs than the host" 1 create p4 --memory 64 --cpus "$(($(nproc) + 1))"
vm_refused "invalid name" 1 create 'p/4' --memory 64
vm_refused "start of an unknown partition" 1 start nope
vm_refused "stop of a defined partition" 1 stop p1
vm_refused "create without NAME" 2 create --memory 64
vm_refused "unknown command" 2 frobnicate
rc=0
timeout 10 "$VMMCTL" -s "$T/no-such.sock" list >/dev/null 2>"$T/err" || rc=$?
[ "$rc" -eq 3 ] || fail "vmmctl on a missing socket exited $rc, expected 3"

# ---------------------------------------------------------------- the probe partition

log "probe partition p2: runs its command and exits with status 7"
vm_ok start p2 >/dev/null
wait_for 15 vm_holds '.state == "stopped" and .exit_code == 7' show p2 ||
    fail "p2 did not end with status 7: $(vmmctl --json show p2 2>&1 | jq -c .)"
P2LOG=$(vm_json show p2 | jq -r .log)
[ -f "$P2LOG" ] || fail "p2's log $P2LOG missing"
grep -q '^done=yes$' "$P2LOG" || fail "p2's probe did not finish: $(cat "$P2LOG")"
probe() { sed -n "s/^$1=//p" "$P2LOG" | head -n 1; }
[ "$(probe hostname)" = p2 ] || fail "hostname inside p2 is '$(probe hostname)', expected p2"
[ "$(probe links)" = lo ] || fail "p2 sees network links '$(probe links)', expected only lo"
[ "$(probe pid1)" = vsw-guest-init ] || fail "PID 1 inside p2 is '$(probe pid1)', expected vsw-guest-init"
[ "$(probe nprocs)" -le 8 ] || fail "p2's /proc lists $(probe nprocs) processes; its own are a handful"
[ "$(probe unshare)" = denied ] || fail "unshare -n succeeded inside p2 (seccomp must refuse it)"
[ "$(probe mount)" = denied ] || fail "mount -t tmpfs succeeded inside p2 (seccomp must refuse it)"
[ "$(probe ping)" = ok ] || fail "ping 127.0.0.1 inside p2 failed (lo up, raw/ICMP sockets allowed): $(cat "$P2LOG")"
case "$(probe path)" in */usr/bin*) ;; *) fail "PATH inside p2 is '$(probe path)'" ;; esac
vm_expect "p2 stopped: no pid, no cgroup, exit status kept" \
    '.pid == null and .cgroup == null and .exit_code == 7 and .exit_signal == null and (.start_time | type) == "number"' show p2
vm_expect "list shows p2's exit status" '.[] | select(.name == "p2") | .state == "stopped" and .exit_code == 7' list

# ---------------------------------------------------------------- a running partition

log "p1: sleep 1000"
vm_ok start p1 >/dev/null
vm_refused "start of a running partition" 1 start p1
vm_refused "delete of a running partition" 1 delete p1
P1=$(pin p1)
vm_expect "p1 running with pid, memfd, cgroup" \
    '.state == "running" and .pid == ($ENV.P1 | tonumber) and .memfd_size == 67108864
     and (.cgroup | type) == "string" and (.cgroups.version == 1 or .cgroups.version == 2)' show p1

log "p1: namespaces"
[ "$(in_part "$P1" hostname)" = p1 ] || fail "hostname in p1's UTS namespace is not p1"
links=$(in_part "$P1" ip -o link | awk -F': ' '{print $2}' | paste -sd ' ')
[ "$links" = lo ] || fail "p1's network namespace has links '$links', expected only lo"
for ns in net mnt pid uts ipc cgroup; do
    [ "$(readlink "/proc/$P1/ns/$ns")" != "$(readlink "/proc/self/ns/$ns")" ] ||
        fail "p1 shares the host's $ns namespace"
done
[ "$(in_part "$P1" cat /proc/1/comm)" = vsw-guest-init ] || fail "p1's /proc: PID 1 is not vsw-guest-init"
n=$(in_part "$P1" sh -c 'ls /proc | grep -c "^[0-9]"')
[ "$n" -le 6 ] || fail "p1's /proc shows $n processes; only the partition's few should be there"
# p1 has NICs on a switch that is not running: its init waits for the VMBus bring-up (at most
# VSW_GUEST_CONTACT_MS, 5 s) before it starts the command without eth0.
p1_sleeps() { in_part "$P1" sh -c 'cat /proc/[0-9]*/comm 2>/dev/null' | grep -qx sleep; }
wait_for 10 p1_sleeps || fail "p1's /proc does not show its sleep: $(in_part "$P1" sh -c 'cat /proc/[0-9]*/comm 2>/dev/null')"
comms=$(in_part "$P1" sh -c 'cat /proc/[0-9]*/comm 2>/dev/null')
echo "$comms" | grep -qx vmmd && fail "p1's /proc shows vmmd (a host process): $comms"
grep -q '^Seccomp:[[:space:]]*2' "/proc/$P1/status" || fail "p1's init has no seccomp filter: $(grep Seccomp "/proc/$P1/status")"
grep -q '^NoNewPrivs:[[:space:]]*1' "/proc/$P1/status" || fail "p1's init lacks no_new_privs"

log "p1: fds 3 (memfd) and 4 (message socket) of vsw-guest-init, not inherited by the command"
readlink "/proc/$P1/fd/3" | grep -q '^/memfd:vmm-p1' || fail "p1 fd 3 is $(readlink "/proc/$P1/fd/3"), expected memfd vmm-p1"
[ "$(stat -L -c %s "/proc/$P1/fd/3")" = 67108864 ] || fail "p1's memfd is $(stat -L -c %s "/proc/$P1/fd/3") bytes, expected 64 MiB"
seals=$(python3 -c 'import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
print(fcntl.fcntl(fd, 1034))' "/proc/$P1/fd/3") || fail "cannot read the seals of p1's memfd"
[ $((seals & 6)) -eq 6 ] || fail "p1's memfd seals are $seals, expected F_SEAL_SHRINK|F_SEAL_GROW (6)"
readlink "/proc/$P1/fd/4" | grep -q '^socket:' || fail "p1 fd 4 is $(readlink "/proc/$P1/fd/4"), expected a socket"
child=$(cut -d' ' -f1 "/proc/$P1/task/$P1/children")
[ -n "$child" ] || fail "p1's init has no child (the command)"
fds=$(ls "/proc/$child/fd" | sort -n | paste -sd ' ')
[ "$fds" = "0 1 2" ] || fail "p1's command has fds '$fds', expected only 0 1 2"

log "p1: cgroup limits"
SHOW=$(vm_json show p1)
CGV=$(echo "$SHOW" | jq -r .cgroups.version)
MEMCG=$(echo "$SHOW" | jq -r .cgroups.memory)
CPUCG=$(echo "$SHOW" | jq -r .cgroups.cpu)
case "$MEMCG" in */vmmd-"$VMM_NAME"/p1) ;; *) fail "p1's cgroup $MEMCG is not .../vmmd-$VMM_NAME/p1" ;; esac
grep -qx "$P1" "$MEMCG/cgroup.procs" || fail "p1's PID $P1 is not in $MEMCG/cgroup.procs"
want_mem=$(((64 + 64) * 1048576))  # guest memory + VMM_MEMORY_ALLOWANCE_MB
if [ "$CGV" = 2 ]; then
    [ "$(cat "$MEMCG/memory.max")" = "$want_mem" ] || fail "memory.max is $(cat "$MEMCG/memory.max"), expected $want_mem"
    [ "$(cat "$CPUCG/cpu.max")" = "50000 100000" ] || fail "cpu.max is '$(cat "$CPUCG/cpu.max")', expected '50000 100000'"
else
    [ "$(cat "$MEMCG/memory.limit_in_bytes")" = "$want_mem" ] ||
        fail "memory.limit_in_bytes is $(cat "$MEMCG/memory.limit_in_bytes"), expected $want_mem"
    [ "$(cat "$CPUCG/cpu.cfs_quota_us")" = 50000 ] || fail "cpu.cfs_quota_us is $(cat "$CPUCG/cpu.cfs_quota_us"), expected 50000"
    [ "$(cat "$CPUCG/cpu.cfs_period_us")" = 100000 ] || fail "cpu.cfs_period_us is $(cat "$CPUCG/cpu.cfs_period_us")"
fi

log "p1: stop"
out=$(vm_ok stop p1 --timeout 5)
echo "$out" | grep -q 'p1: stopped' || fail "vmmctl stop printed '$out'"
vm_expect "p1 stopped after stop (SIGTERM reached sleep)" \
    '.state == "stopped" and .pid == null and .cgroup == null and .exit_code == 143' show p1
[ -d "/proc/$P1" ] && fail "p1's PID 1 ($P1) still exists after stop"
[ -d "$MEMCG" ] && fail "p1's cgroup $MEMCG remains after stop"
[ -d "$CPUCG" ] && fail "p1's cgroup $CPUCG remains after stop"

log "p1: start again, kill"
vm_ok start p1 >/dev/null
P1=$(pin p1)
vm_ok kill p1 >/dev/null
vm_expect "p1 after kill: stopped by SIGKILL" '.state == "stopped" and .exit_signal == 9 and .exit_code == null' show p1
[ -d "/proc/$P1" ] && fail "p1's PID 1 ($P1) still exists after kill"
[ -d "$MEMCG" ] && fail "p1's cgroup $MEMCG remains after kill"

log "p3 ignores SIGTERM: stop --timeout 1 ends it with SIGKILL"
vm_ok start p3 >/dev/null
P3=$(pin p3)
start=$SECONDS
vm_ok stop p3 --timeout 1 >/dev/null
vm_expect "p3 stopped by SIGKILL after the timeout" '.state == "stopped" and .exit_signal == 9' show p3
[ $((SECONDS - start)) -le 10 ] || fail "stop --timeout 1 of p3 took $((SECONDS - start)) s"
[ -d "/proc/$P3" ] && fail "p3's PID 1 ($P3) still exists"

# ---------------------------------------------------------------- vmmd restart

log "restart vmmd with p1 running: SIGTERM stops it, the definitions come back"
vm_ok start p1 >/dev/null
P1=$(pin p1)
MEMCG=$(vm_json show p1 | jq -r .cgroups.memory)
vmm_stop
[ -d "/proc/$P1" ] && fail "p1 ($P1) survived vmmd's SIGTERM"
[ -e "$VMM_SOCK" ] && fail "vmmd left its socket $VMM_SOCK behind"
[ -d "$MEMCG" ] && fail "vmmd left p1's cgroup $MEMCG behind"
[ -d "$(dirname "$MEMCG")" ] && fail "vmmd left its cgroup $(dirname "$MEMCG") behind"
vmm_start
vm_expect "after restart: p1, p2, p3 defined, settings kept" \
    '([.[].name] == ["p1", "p2", "p3"]) and all(.[]; .state == "defined")
     and (.[0].memory == 64 and .[0].cpus == 0.5 and .[0].n_nics == 2)' list
vm_expect "p2's command kept byte for byte" '.cmd == $ENV.PROBE' show p2

log "delete p2; the file follows"
vm_ok delete p2 >/dev/null
vm_refused "delete of a deleted partition" 1 delete p2
jq -e '[.partitions[].name] == ["p1", "p3"]' "$VMM_CONF" >/dev/null || fail "config after delete: $(cat "$VMM_CONF")"

log "vmmd killed with SIGKILL: its partition dies with it, the next vmmd removes the stale cgroup"
vm_ok start p1 >/dev/null
P1=$(pin p1)
MEMCG=$(vm_json show p1 | jq -r .cgroups.memory)
VPID=$(vmm_pid)
kill -KILL "$VPID"
wait_for 10 _not_running "$VPID" || fail "vmmd ($VPID) survived SIGKILL"
wait_for 10 _not_running "$P1" || fail "p1 ($P1) still runs 10 s after vmmd was killed"
vmm_start
[ -d "$MEMCG" ] && fail "the restarted vmmd did not remove p1's stale cgroup $MEMCG"
vm_expect "after SIGKILL and restart: p1 defined" '.state == "defined"' show p1

log "a corrupt configuration: vmmd refuses to start and leaves the file alone"
vmm_stop
printf '{"version": 1, "partitions": [{"name": "p1", "memory": 64' >"$VMM_CONF"
sum=$(md5sum <"$VMM_CONF")
rc=0
timeout 30 "$VMMD" --name "$VMM_NAME" --socket "$VMM_SOCK" --config "$VMM_CONF" \
    --state-dir "$VMM_STATE" --guest-init "$GUEST_INIT" --detach --pidfile "$VMM_DIR/pid" \
    </dev/null >"$T/bad.out" 2>&1 || rc=$?
[ "$rc" -ne 0 ] || fail "vmmd started with a corrupt configuration"
grep -qi config "$T/bad.out" || fail "vmmd's refusal does not mention the configuration: $(cat "$T/bad.out")"
[ "$(md5sum <"$VMM_CONF")" = "$sum" ] || fail "vmmd modified the corrupt configuration file"
vmm_alive && fail "vmmd is running after refusing its configuration"
exit 0
