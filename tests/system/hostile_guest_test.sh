#!/bin/bash
# A deliberately malicious guest next to well-behaved ones (issue 3, "Security (guests are
# hostile)"), with the real vmmd and vswitchd:
#  - vswitchd + one vmmd + two good partitions vm1, vm2 (vsw-guest-init) and one evil partition,
#    all three NICs on VLAN 10 of one switch, plus an uplink namespace on VLAN 10 (af_packet);
#  - vmmd's --guest-init is tests/evil_guest: for vm1/vm2 it execs the real vsw-guest-init, for
#    the partition whose command starts with "evil" it runs the attack phases of evil_guest.c
#    (channel-message abuse towards vmmd, NVSP/RNDIS/ring abuse towards vswitchd, concurrent
#    byte flips, random scribbling with signals) with a fixed seed printed in its log;
#  - while the attacks run, vm1 pings vm2 and sends to it with iperf3;
# then: vswitchd and vmmd still run with the same PIDs, the good partitions still ping each
# other and the uplink, payload moved during the attacks, the evil port counts netvsc errors and
# the good ports none, vmmd counts the evil partition's VMBus errors and none of the good ones',
# no core dumps, and the daemons' anonymous memory did not balloon.
#
#   HOSTILE_SEED=N       seed of the attacks (default fixed; the evil log prints it)
#   HOSTILE_PHASES=a,b   phases (default chan,nvsp,rndis,ring,race,scribble,doorbell,vma)
#   HOSTILE_SECONDS=S    scribble time (race runs S/2)
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/vmm_lib.sh"

EVIL=${EVIL_GUEST:-$VSW_BUILD/tests/evil_guest}
SEED=${HOSTILE_SEED:-424242}
PHASES=${HOSTILE_PHASES:-chan,nvsp,rndis,ring,race,scribble,doorbell,vma}
SECS=${HOSTILE_SECONDS:-4}

vmm_require nsenter iperf3 -- "$EVIL" "$VSW_BUILD/guest-drivers/vsw-guest-init"

vsw_init hg
vmm_init hg
SW=hg
EVIL_MAC=02:00:5e:10:00:66
START_STAMP="$T/start.stamp"
touch "$START_STAMP"

# rss_anon PID: anonymous resident memory in KiB (guest memory the daemon maps is shared, not
# anonymous, and is bounded by the partitions' sizes)
rss_anon() { awk '/^RssAnon:/ { print $2 }' "/proc/$1/status"; }
vb_errors() { vmmctl --json show "$1" | jq '[.vmbus.errors[]?] | add // 0'; }

log "uplink namespace on VLAN 10"
add_host 1 10.10.0.100/24
vsw_start
ln -s "$(vsw_dir)/sock" "$SWDIR/$SW.sock"
attach 1 up1 tag=10

log "vmmd (guest init: evil_guest, which execs vsw-guest-init for the good partitions)"
vmm_start "$EVIL"
# the ports exist before the partitions start, already on VLAN 10 (vmmd finds them with the same
# devargs and takes them), so the evil guest never has a moment on another VLAN
for vm in vm1 vm2 evil; do
    vsctl_ok add-port "$vm" "netvsc,socket=$VMM_STATE/$vm.0.vmbus" tag=10 >/dev/null
done
vm_ok create vm1 --memory 128 --nic "switch=$SW,mac=02:00:5e:10:00:01,port=vm1" \
    --cmd 'ip addr add 10.10.0.1/24 dev eth0; exec sleep 100000' >/dev/null
vm_ok create vm2 --memory 128 --nic "switch=$SW,mac=02:00:5e:10:00:02,port=vm2" \
    --cmd 'ip addr add 10.10.0.2/24 dev eth0; exec sleep 100000' >/dev/null
vm_ok create evil --memory 32 --nic "switch=$SW,mac=$EVIL_MAC,port=evil" \
    --cmd "evil seed=$SEED phases=$PHASES seconds=$SECS mac=$EVIL_MAC" >/dev/null
vm_ok start vm1 >/dev/null
vm_ok start vm2 >/dev/null
GOOD_READY='[.[] | select(.name == "vm1" or .name == "vm2") | select(.netvsc.state == "open" and .netvsc.guest.rndis_ready)] | length == 2'
wait_for 20 json_holds "$GOOD_READY" list-ports ||
    fail "good ports not open and ready: $(vsjson list-ports | jq -c '.[] | {name, netvsc}')"
vping_vm_ok vm1 10.10.0.2
vping_vm_ok vm2 10.10.0.100

VSW_PID=$(vsw_pid)
VMM_PID=$(vmm_pid)
VSW_RSS0=$(rss_anon "$VSW_PID")
VMM_RSS0=$(rss_anon "$VMM_PID")
log "vswitchd pid $VSW_PID (RssAnon $VSW_RSS0 KiB), vmmd pid $VMM_PID (RssAnon $VMM_RSS0 KiB)"

log "good traffic starts: vm1 -> vm2 ping and iperf3"
vx vm2 iperf3 -s -1 -D || fail "iperf3 server in vm2"
sleep 0.5
IPERF_T=30
vx vm1 timeout 70 iperf3 -c 10.10.0.2 -t "$IPERF_T" -i 5 -J >"$T/iperf.json" 2>&1 &
IPERF_PID=$!
bg_register "$IPERF_PID"
vx vm1 timeout 70 ping -n -i 0.2 -c $((IPERF_T * 5)) -W 1 10.10.0.2 >"$T/ping.out" 2>&1 &
PING_PID=$!
bg_register "$PING_PID"
sleep 1

log "the evil partition starts (seed $SEED, phases $PHASES)"
vm_ok start evil >/dev/null
EVIL_LOG="$VMM_STATE/evil.log"
wait_for 60 grep -q "EVIL DONE" "$EVIL_LOG" ||
    fail "the evil guest did not finish within 60 s: $(tail -n 20 "$EVIL_LOG")"
sed 's/^/    /' "$EVIL_LOG"
grep -q "seed=$SEED" "$EVIL_LOG" || fail "the evil log does not print the seed"

log "waiting for the good traffic to end"
wait "$IPERF_PID"
IPERF_RC=$?
wait "$PING_PID"
_BG_PIDS=""
[ "$IPERF_RC" = 0 ] || fail "iperf3 vm1 -> vm2 during the attacks failed (exit $IPERF_RC): $(tail -c 600 "$T/iperf.json")"
BYTES=$(jq '.end.sum_received.bytes' "$T/iperf.json")
log "iperf3 during the attacks: $BYTES bytes, $(jq -n "$(jq '.end.sum_received.bits_per_second' "$T/iperf.json") / 1e6 | floor") Mbit/s"
# every 5 s interval moved payload: the good guests were never cut off
jq -e '.end.sum_received.bytes > 10000000 and all(.intervals[]; .sum.bytes > 100000)' \
    "$T/iperf.json" >/dev/null ||
    fail "the good traffic stalled during the attacks: $(jq -c '[.intervals[].sum.bytes]' "$T/iperf.json")"
GOT=$(_ping_count <"$T/ping.out")
log "ping vm1 -> vm2 during the attacks: ${GOT:-0} of $((IPERF_T * 5)) replies"
[ "${GOT:-0}" -ge $((IPERF_T * 5 * 9 / 10)) ] || fail "ping vm1 -> vm2 lost too much during the attacks: $(tail -n 3 "$T/ping.out")"

log "the daemons survived"
[ "$(vsw_pid)" = "$VSW_PID" ] && vsw_alive || fail "vswitchd died or restarted"
[ "$(vmm_pid)" = "$VMM_PID" ] && vmm_running || fail "vmmd died or restarted"
for vm in vm1 vm2 evil; do
    [ "$(vmmctl --json show "$vm" | jq -r .state)" = running ] || fail "partition $vm is not running"
done
vping_vm_ok vm1 10.10.0.2
vping_vm_ok vm2 10.10.0.1
vping_vm_ok vm1 10.10.0.100
vping_vm_ok vm2 10.10.0.100

log "a good partition restarted next to the evil one attaches again"
vm_ok kill vm2 >/dev/null
vm_ok start vm2 >/dev/null
wait_for 20 json_holds "$GOOD_READY" list-ports ||
    fail "vm2 did not attach again: $(vsjson list-ports | jq -c '.[] | select(.name == "vm2") | .netvsc') $(grep -i 'vm2' "$(vsw_dir)/log" | tail -n 5)"
vping_vm_ok vm1 10.10.0.2
log "a new partition started next to the evil one attaches"
vsctl_ok add-port vm3 "netvsc,socket=$VMM_STATE/vm3.0.vmbus" tag=10 >/dev/null
vm_ok create vm3 --memory 64 --nic "switch=$SW,mac=02:00:5e:10:00:03,port=vm3" \
    --cmd 'ip addr add 10.10.0.3/24 dev eth0; exec sleep 100000' >/dev/null
vm_ok start vm3 >/dev/null
wait_for 20 json_holds '.[] | select(.name == "vm3") | .netvsc.state == "open" and .netvsc.guest.rndis_ready' list-ports ||
    fail "vm3 did not attach: $(vsjson list-ports | jq -c '.[] | select(.name == "vm3") | .netvsc') $(grep 'vm3' "$(vsw_dir)/log" | tail -n 5)"
vping_vm_ok vm3 10.10.0.1

log "counters: the evil port and partition have errors, the good ones none"
vsjson port-stats | jq -c '.[] | select(.netvsc) | {name, errors: (.netvsc.errors | with_entries(select(.value != 0)))}'
expect_json "the evil port counts netvsc errors" \
    '.[] | select(.name == "evil") | ([.netvsc.errors[]] | add) > 0' port-stats
case ",$PHASES," in
*,rndis,*)
    expect_json "malformed LSO requests refused and counted by reason" \
        '.[] | select(.name == "evil") | .netvsc.errors.rndis_lso_bad_mss > 0 and .netvsc.errors.rndis_lso_bad_headers > 0 and .netvsc.drops.from_guest_offload_headers > 0' port-stats
    ;;
esac
expect_json "the good ports count no netvsc errors" \
    'all(.[] | select(.name == "vm1" or .name == "vm2" or .name == "vm3"); ([.netvsc.errors[]] | add) == 0)' port-stats
EVIL_VB=$(vb_errors evil)
log "vmmd: evil partition VMBus errors: $(vmmctl --json show evil | jq -c '.vmbus.errors')"
case ",$PHASES," in
*,chan,*) [ "$EVIL_VB" -gt 0 ] || fail "vmmd counted no VMBus error of the evil partition" ;;
esac
for vm in vm1 vm2 vm3; do
    [ "$(vb_errors "$vm")" = 0 ] || fail "vmmd counted VMBus errors of $vm: $(vmmctl --json show "$vm" | jq -c .vmbus.errors)"
done

log "no core dumps, no ballooning"
CORES=$(find "$T" "$PWD" /var/lib/systemd/coredump -maxdepth 1 -name 'core*' -newer "$START_STAMP" 2>/dev/null)
[ -z "$CORES" ] || fail "core dumps: $CORES"
VSW_RSS1=$(rss_anon "$VSW_PID")
VMM_RSS1=$(rss_anon "$VMM_PID")
log "RssAnon after: vswitchd $VSW_RSS1 KiB, vmmd $VMM_RSS1 KiB"
[ "$VSW_RSS1" -le $((VSW_RSS0 + 32768)) ] || fail "vswitchd anonymous memory grew from $VSW_RSS0 to $VSW_RSS1 KiB"
[ "$VMM_RSS1" -le $((VMM_RSS0 + 16384)) ] || fail "vmmd anonymous memory grew from $VMM_RSS0 to $VMM_RSS1 KiB"
