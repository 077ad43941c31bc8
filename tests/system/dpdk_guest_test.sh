#!/bin/bash
# Issue 5: a third-party guest. Partition A presents its NIC the way Linux's uio_hv_generic does
# (vmmctl --nic ...,guest=uio: vsw-guest-init opens the channel and writes /sys/bus/vmbus,
# libvsw_uio.so gives /dev/uio0 its mmap semantics) and runs vsw-dpdk-app, linked against
# Debian's libdpdk, whose unmodified netvsc PMD drives the NIC. Partition B runs our own guest
# driver with a kernel stack (tap eth0). Both ports are on access VLAN 30 of vswitchd; a namespace
# behind an af_packet trunk uplink sees VLAN 30 tagged.
#  - B and the namespace ping A (ICMP echo answered by the DPDK app) at 64, 1400 and 1514-byte
#    frames;
#  - A (gen mode) sends 32 ICMP echo requests of each of 64, 1400 and 1514 bytes to B and
#    checks every reply's payload;
#  - A is stopped and started again between the phases.
#  - in one partition start, a generator and then echo: the second DPDK process gets a reopened
#    channel (as from Linux's last close and next open of /dev/uio0).
#  - multi-queue: A with queues=4 and the app with --queues 4 (the PMD asks for 3 subchannels,
#    init opens them and publishes channels/<relid>/): pings from 8 source addresses through the
#    uplink (payloads checked) are spread by the PMD's RSS key and table; vswitchd's per-channel
#    counters show frames to the guest on more than one channel and the app saw frames on more
#    than one RX queue; then a generator and echo in one start again (subchannels closed, the
#    host rescinds them, the next PMD gets them offered again), spread again.
#  - blast: A and a second uio partition C send each other vsw-guest-pktgen's test frames for
#    4 s; both receive some, none corrupt; vswitchd rang the PMDs' doorbells almost never (their
#    inbound interrupts are masked the way uio_hv_generic masks them).
#  - closed loop (bench/vmbus.sh's pmd contender, blast --loop): 64 frames injected, both send
#    every frame back for 3 s; each side received what the other sent, short only by injections
#    made before the peer was up, and nothing more.
#  - two uio NICs in one partition (bench/vmbus.sh's pmd1), each with queues=2: /dev/uio0 and
#    /dev/uio1 in NIC order, both NICs' subchannels open at once (vswitchd and vmmctl show), one
#    app (pair --queues 2) forwards each port's frames out of the other for 3 s; conservation as
#    above, and vswitchd's two ports carried the traffic.
#  - A with the PMD's devargs rx_extmbuf_enable=1,rx_copybreak=0,tx_copybreak=0: received frames
#    stay in the receive buffer and the echo answers leave from there by GPA range; pings with
#    payloads checked at 64, 1400 and 1514 bytes.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/vmm_lib.sh"

GUEST_INIT=${GUEST_INIT:-$VSW_BUILD/guest-drivers/vsw-guest-init}
DPDK_APP=${DPDK_APP:-$VSW_BUILD/guest-drivers/vsw-dpdk-app}

vmm_require nsenter -- "$GUEST_INIT" "$DPDK_APP" "$(dirname "$GUEST_INIT")/libvsw_uio.so"

vsw_init dg
vmm_init dg
SW=dg
MAC_A=02:00:5e:30:00:0a
MAC_B=02:00:5e:30:00:0b
MAC_C=02:00:5e:30:00:0c
# DPDK's heap is mapped from partition memory at offset = its address (libvsw_uio.so): the
# partition needs memory above the address EAL picks; --base-virtaddr keeps that low.
EAL="--no-huge -m 64 --iova-mode=va --no-pci --base-virtaddr=0x8000000 --file-prefix=dg --log-level=lib.eal:notice ${DG_EAL_EXTRA:-}"
A_MEM=512

log "uplink namespace behind an af_packet trunk (VLAN 30 tagged by a raw socket, lib.sh vping)"
add_host 1

vsw_start
ln -s "$(vsw_dir)/sock" "$SWDIR/$SW.sock"
attach 1 up1 trunks=30
vmm_start "$GUEST_INIT"

# a_cmd MODE ARGS: the DPDK app in partition A, its output in the partition log
a_create() {
    vm_ok create vma --memory $A_MEM --nic "switch=$SW,mac=$MAC_A,port=vma,guest=uio${A_QUEUES:+,queues=$A_QUEUES}" \
        --cmd "$1" >/dev/null
}
a_log() { cat "$VMM_STATE/vma.log" 2>/dev/null; }

log "partition B: our guest driver, kernel stack"
vm_ok create vmb --memory 128 --nic "switch=$SW,mac=$MAC_B,port=vmb" \
    --cmd 'ip addr add 10.30.0.2/24 dev eth0; exec sleep 100000' >/dev/null
vm_ok start vmb >/dev/null
wait_for 20 port_is_up vmb || fail "port vmb not up"
vsctl_ok set-port vmb tag=30 >/dev/null

# a_up WHAT CMD [READY]: A runs CMD; its port up and on VLAN 30, then the shell test READY holds
# within 60 s (default: the app printed its port line)
a_up() {
    a_create "$2"
    vm_ok start vma >/dev/null
    wait_for 20 port_is_up vma || fail "port vma ($1) not up: $(a_log | tail -20)"
    vsctl_ok set-port vma tag=30 >/dev/null
    wait_for 60 sh -c "${3:-grep -q 'port 0 mac' '$VMM_STATE/vma.log'}" ||
        fail "A ($1) not ready: $(a_log | tail -30)"
}
# a_echo_up WHAT [EAL-EXTRA [APP-EXTRA]]: A runs the app in echo mode
a_echo_up() { a_up "$1" "exec $DPDK_APP $EAL ${2:-} -- echo --ip 10.30.0.1 ${3:-}"; }
# GEN_THEN_ECHO: a generator's last size all answered, and a second app (echo) printed its port
GEN_THEN_ECHO="grep -q 'gen size 1514 sent 8 ok 8 bad 0' '$VMM_STATE/vma.log' && [ \$(grep -c 'port 0 mac' '$VMM_STATE/vma.log') = 2 ]"

log "partition A: DPDK netvsc PMD through the uio view (echo mode)"
a_echo_up "echo"
grep -qi "port 0 mac $MAC_A link up" "$VMM_STATE/vma.log" ||
    fail "DPDK port: wrong MAC or link down: $(grep 'port 0' "$VMM_STATE/vma.log")"

log "B pings A (ICMP answered by the DPDK app): 64, 1400, 1514-byte frames"
for s in 22 1358 1472; do
    vping_vm_ok vmb 10.30.0.1 -s $s
done

log "the uplink namespace pings A through the trunk (VLAN 30 tagged both ways): 64, 1400, 1514 bytes at A, payloads checked"
for s in 22 1358 1472; do
    vping_ok "uplink VID 30 -> A, ICMP payload $s" 30 1 --mac "$(hmac 1)" --ip 10.30.0.9 \
        --dst 10.30.0.1 --vid 30 --size $s --count 3 >/dev/null
done

# vm_gone VM: wait until partition VM has no process (stopped, or its command ended), delete it
vm_gone() {
    wait_for 20 sh -c "! $VMMCTL -s $VMM_SOCK --json show $1 | jq -e '.pid > 0' >/dev/null" ||
        fail "$1 did not stop"
    vm_ok delete $1 >/dev/null
}

# a_stop: stop and delete partition A
a_stop() {
    vm_ok stop vma >/dev/null
    vm_gone vma
}

# ac_blast ARGS: partitions A and C each run 'blast --peer-mac OTHER ARGS', fresh logs; returns
# once both printed their summary line
ac_blast() {
    a_create "exec $DPDK_APP $EAL -- blast --peer-mac $MAC_C $1"
    vm_ok create vmc --memory $A_MEM --nic "switch=$SW,mac=$MAC_C,port=vmc,guest=uio" \
        --cmd "exec $DPDK_APP $EAL -- blast --peer-mac $MAC_A $1" >/dev/null
    : >"$VMM_STATE/vma.log" 2>/dev/null || true
    : >"$VMM_STATE/vmc.log" 2>/dev/null || true
    vm_ok start vma >/dev/null
    vm_ok start vmc >/dev/null
    for vm in vma vmc; do
        wait_for 60 sh -c "grep -q '\"bench\":\"guest_pktgen\",' '$VMM_STATE/$vm.log'" ||
            fail "$vm: blast did not finish: $(tail -20 "$VMM_STATE/$vm.log")"
    done
}

# a_gen PEER-IP PEER-MAC: partition A in gen mode; every request answered, payloads intact
a_gen() {
    a_create "$DPDK_APP $EAL -- gen --ip 10.30.0.1 --peer-ip $1 --peer-mac $2 --count 32 --seconds 20; echo app-exit=\$?; exec sleep 100000"
    vm_ok start vma >/dev/null
    # the port is new: until its VLAN is set, the requests go nowhere (gen sends them again)
    wait_for 20 port_is_up vma || fail "port vma not up: $(a_log | tail -20)"
    vsctl_ok set-port vma tag=30 >/dev/null
    wait_for 40 sh -c "grep -q 'app-exit=' '$VMM_STATE/vma.log'" || fail "gen did not finish: $(a_log | tail -30)"
    a_log | grep '^gen'
    grep -q 'app-exit=0' "$VMM_STATE/vma.log" || fail "gen to $1 failed: $(a_log | tail -30)"
    for s in 64 1400 1514; do
        grep -q "gen size $s sent 32 ok 32 bad 0" "$VMM_STATE/vma.log" ||
            fail "gen to $1, size $s: $(a_log | grep "gen size $s")"
    done
}

log "A stopped: the echo app ends cleanly"
a_stop
grep -q "echo rx" "$VMM_STATE/vma.log" || fail "the echo app did not exit cleanly: $(a_log | tail -20)"

log "A (gen mode) -> B: ICMP echo requests of 64, 1400, 1514 bytes, payloads checked"
a_gen 10.30.0.2 $MAC_B

log "restart of A: a generator, then (same partition, channel reopened for it) echo; B pings it"
a_stop
a_up "gen then echo" "$DPDK_APP $EAL -- gen --ip 10.30.0.1 --peer-ip 10.30.0.2 --peer-mac $MAC_B --sizes 64,1514 --count 8 --seconds 20 && exec $DPDK_APP $EAL -- echo --ip 10.30.0.1" "$GEN_THEN_ECHO"
for s in 22 1472; do
    vping_vm_ok vmb 10.30.0.1 -s $s
done

# channels of port vma whose counter $1 is above $2
# mq_pings: the uplink pings A from 8 source addresses (RSS hashes the IPv4 pair)
mq_pings() {
    local i
    for i in $(seq 11 18); do
        vping_ok "uplink 10.30.0.$i -> A (4 queues)" 30 1 --mac "$(hmac 1)" --ip 10.30.0.$i \
            --dst 10.30.0.1 --vid 30 --size 100 --count 5 >/dev/null
    done
}
# rxq_busy: RX queues of the last app run in A's log (after its last "port 0 mac") with frames
rxq_busy() { a_log | awk '/^port 0 mac/ {n = 0} /^rxq / && $4 > 0 {n++} END {print n + 0}'; }
MQ_UP='.[] | select(.name == "vma") | .netvsc.channels.open == 4 and .netvsc.rss.enabled'

log "multi-queue: A with queues=4, the app with 4 RX/TX queues and RSS"
a_stop
A_QUEUES=4
a_echo_up "4 queues" "" "--queues 4"
grep -qi "port 0 mac $MAC_A link up .* queues 4" "$VMM_STATE/vma.log" ||
    fail "DPDK port with 4 queues: $(grep 'port 0' "$VMM_STATE/vma.log")"
wait_for 10 json_holds "$MQ_UP" list-ports ||
    fail "vma: not 4 channels with RSS: $(vsjson list-ports | jq -c '.[] | select(.name == "vma") | .netvsc')"
n=$(vmmctl --json show vma | jq '.vmbus.nics[0].subchannels_open')
[ "$n" = 3 ] || fail "vmmctl show vma: $n subchannels open, want 3"
mq_pings
vping_vm_ok vmb 10.30.0.1 -s 1472
n=$(busy_channels vma to_guest_packets 4)
[ "$n" -ge 2 ] || fail "frames to A on $n channel(s), want >= 2: $(vsjson port-stats | jq -c '.[] | select(.name == "vma") | .netvsc.channels')"
log "frames to A on $n of 4 channels"
a_stop
grep -q "echo rx" "$VMM_STATE/vma.log" || fail "the 4-queue echo app did not exit cleanly: $(a_log | tail -20)"
a_log | grep '^rxq'
n=$(rxq_busy)
[ "$n" -ge 2 ] || fail "the app received on $n RX queue(s), want >= 2: $(a_log | grep '^rxq')"

log "multi-queue restart: a generator then echo, both with 4 queues, in one start of A"
a_up "gen then echo, 4 queues" "$DPDK_APP $EAL -- gen --queues 4 --ip 10.30.0.1 --peer-ip 10.30.0.2 --peer-mac $MAC_B --sizes 64,1514 --count 8 --seconds 20 && exec $DPDK_APP $EAL -- echo --ip 10.30.0.1 --queues 4" "$GEN_THEN_ECHO"
wait_for 10 json_holds "$MQ_UP" list-ports ||
    fail "vma after the second PMD: not 4 channels with RSS: $(vsjson list-ports | jq -c '.[] | select(.name == "vma") | .netvsc')"
mq_pings
a_stop
a_log | grep '^rxq' | tail -4
n=$(rxq_busy)
[ "$n" -ge 2 ] || fail "second PMD: RX on $n queue(s), want >= 2: $(a_log | grep '^rxq')"

log "blast: A <-> C (two PMDs), 60-byte test frames for 4 s, every received frame validated"
A_QUEUES=
ac_blast "--sizes 60 --tx-seconds 4 --seconds 1 --idle-yield"
for vm in vma vmc; do
    line=$(grep '"bench":"guest_pktgen",' "$VMM_STATE/$vm.log" | tail -1)
    log "$vm: $line"
    echo "$line" | jq -e '.tx > 0 and .rx > 0 and .rx_bad == 0 and .size == 60 and
        .rx_bytes == 60 * .rx' >/dev/null || fail "$vm: blast result: $line"
    [ "$(grep -c '"bench":"guest_pktgen_tick"' "$VMM_STATE/$vm.log")" -ge 4 ] ||
        fail "$vm: fewer than 4 tick lines"
done

log "the PMDs poll: their inbound interrupts are masked (as by uio_hv_generic), so vswitchd rang almost no doorbells"
for vm in vma vmc; do
    st=$(vsjson port-stats | jq -c --arg p $vm '.[] | select(.name == $p) | .netvsc | {xfer: .counters.xfer_sent, bells: .channels[0].doorbells}')
    log "$vm: $st"
    echo "$st" | jq -e '.xfer >= 1000 and .bells * 20 < .xfer' >/dev/null ||
        fail "$vm: doorbells not rare next to XFER_PAGES packets: $st"
done

log "closed loop (bench/vmbus.sh's pmd contender): 64 frames injected, both reflect for 3 s; no frame lost or made up"
vm_gone vma # the blasts ended their partitions
vm_gone vmc
ac_blast "--sizes 60 --tx-seconds 3 --seconds 1 --idle-yield --loop 64"
la=$(grep '"bench":"guest_pktgen",' "$VMM_STATE/vma.log" | tail -1)
lc=$(grep '"bench":"guest_pktgen",' "$VMM_STATE/vmc.log" | tail -1)
log "vma: $la"
log "vmc: $lc"
# A side injects 64 frames when it has heard nothing for 50 ms; an injection made before its peer
# was up is lost. Nothing else may be lost, and nothing may be made up.
jq -e -n --argjson a "$la" --argjson c "$lc" '$a.loop == 64 and $a.rx >= 10000 and $c.rx >= 10000 and
    $a.injections + $c.injections >= 1 and
    $c.rx <= $a.tx and $a.tx - $c.rx <= 64 * $a.injections and
    $a.rx <= $c.tx and $c.tx - $a.rx <= 64 * $c.injections' >/dev/null ||
    fail "loop: frames lost, duplicated or too few: vma $la, vmc $lc"

log "two uio NICs in one partition (bench/vmbus.sh's pmd1), queues=2 each: /dev/uio0 and /dev/uio1, one app forwarding between them"
MAC_D0=02:00:5e:30:00:d0
MAC_D1=02:00:5e:30:00:d1
vm_ok create vmd --memory $A_MEM --nic "switch=$SW,mac=$MAC_D0,port=vmd0,guest=uio,queues=2" \
    --nic "switch=$SW,mac=$MAC_D1,port=vmd1,guest=uio,queues=2" \
    --cmd "exec $DPDK_APP $EAL -- pair --sizes 60 --tx-seconds 3 --seconds 1 --loop 32 --queues 2" >/dev/null
vm_ok start vmd >/dev/null
# both NICs with a subchannel each, at once (init keeps a reserve of subchannels per NIC)
pair_mq_up() {
    json_holds '[.[] | select(.name == "vmd0" or .name == "vmd1") | .netvsc.channels.open] == [2, 2]' list-ports &&
        vmmctl --json show vmd | jq -e '[.vmbus.nics[].subchannels_open] == [1, 1]'
}
wait_for 30 pair_mq_up ||
    fail "vmd: not 2 channels on each NIC: $(vsjson list-ports | jq -c '[.[] | select(.name | startswith("vmd")) | {name, open: .netvsc.channels.open}]') $(vmmctl --json show vmd | jq -c '[.vmbus.nics[].subchannels_open]')"
wait_for 60 sh -c "[ \$(grep -c '\"bench\":\"guest_pktgen\",' '$VMM_STATE/vmd.log') -eq 2 ]" ||
    fail "vmd: pair did not finish: $(tail -20 "$VMM_STATE/vmd.log")"
# NIC order is device order: the first --nic is uio0 and DPDK's port 0
grep -qi "^port 0 mac $MAC_D0 link up" "$VMM_STATE/vmd.log" &&
    grep -qi "^port 1 mac $MAC_D1 link up" "$VMM_STATE/vmd.log" ||
    fail "vmd: ports not in NIC order: $(grep '^port' "$VMM_STATE/vmd.log")"
l0=$(grep '"bench":"guest_pktgen",' "$VMM_STATE/vmd.log" | jq -c 'select(.port == 0)')
l1=$(grep '"bench":"guest_pktgen",' "$VMM_STATE/vmd.log" | jq -c 'select(.port == 1)')
log "vmd port 0: $l0"
log "vmd port 1: $l1"
# each port's frames arrive at the other; only injections made before both ports were up may
# be lost (32 a port each time)
jq -e -n --argjson a "$l0" --argjson b "$l1" '$a.rx >= 10000 and $b.rx >= 10000 and
    $a.rx_other == 0 and $b.rx_other == 0 and $a.rx_bytes == 60 * $a.rx and
    $b.rx <= $a.tx and $a.tx - $b.rx <= 32 * $a.injections and
    $a.rx <= $b.tx and $b.tx - $a.rx <= 32 * $b.injections' >/dev/null ||
    fail "pair: frames lost, duplicated or too few: $l0 $l1"
for p in vmd0 vmd1; do
    vsjson port-stats | jq -e --arg p $p '.[] | select(.name == $p) | .rx_packets >= 10000 and .tx_packets >= 10000' >/dev/null ||
        fail "$p: switch counters do not show the pair's traffic"
done
vm_gone vmd

log "A with the PMD's rx_extmbuf_enable=1,rx_copybreak=0,tx_copybreak=0: frames stay in the receive buffer, answers leave from there by GPA range"
# the mbuf's iova is then the receive buffer's address: libvsw_uio.so maps it at its partition
# offset so that this names the right guest pages (elsewhere vswitchd read other pages)
vm_gone vma # the loop's blasts ended their partitions
vm_gone vmc
a_echo_up "extmbuf" "-a \$(ls /sys/bus/vmbus/devices),rx_extmbuf_enable=1,rx_copybreak=0,tx_copybreak=0"
! grep -q "not at its partition address" "$VMM_STATE/vma.log" || fail "receive buffer not at its partition address"
gpa0=$(vsjson port-stats | jq '.[] | select(.name == "vma") | .netvsc.counters.from_guest_gpa_msgs')
for s in 22 1358 1472; do
    vping_vm_ok vmb 10.30.0.1 -s $s
    vping_ok "uplink VID 30 -> A (extmbuf), ICMP payload $s" 30 1 --mac "$(hmac 1)" --ip 10.30.0.9 \
        --dst 10.30.0.1 --vid 30 --size $s --count 3 >/dev/null
done
gpa1=$(vsjson port-stats | jq '.[] | select(.name == "vma") | .netvsc.counters.from_guest_gpa_msgs')
log "GPA-range packets from A: $gpa0 -> $gpa1"
[ "$gpa1" -ge $((gpa0 + 12)) ] || fail "A's answers did not go by GPA range: $gpa0 -> $gpa1"
a_stop

log "no guest protocol errors on any port (the PMD's requests all handled)"
vsjson port-stats | jq -c '.[] | select(.netvsc) | {name, errors: .netvsc.errors}' >"$T/errors.json"
jq -e -s 'all(.[]; .errors | to_entries | all(.value == 0))' "$T/errors.json" >/dev/null ||
    fail "guest protocol errors: $(cat "$T/errors.json")"
log "ok"
