#!/bin/bash
# LSO and VLAN tags together (issue 4 point 6): a partition's 64 KB TCP segments leave the switch
# through a trunk port, the 802.1Q tag inserted, segmented in software with correct checksums;
# and tagged TCP arriving on the trunk is coalesced for the partition.
#  - switch A: partition vm1 (netvsc, access VLAN 10, offloads on) and a trunk port "tr"
#    (trunks=10) on one end of a veth pair;
#  - switch B: trunk port "tr" on the other end and namespace h1 on access VLAN 10 (this kernel
#    has no 8021q module: a namespace cannot end a tagged link, so a second switch removes the
#    tag, as a top-of-rack switch would);
#  - iperf3 vm1 -> h1: a capture on the link between the switches sees only 802.1Q VLAN 10
#    frames of at most 1518 bytes whose IP and TCP checksums tcpdump -vv finds correct; switch
#    A counts segmented frames on "tr";
#  - iperf3 h1 -> vm1: switch A coalesces the tagged segments it receives on "tr" and vm1 gets
#    RSC packets.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/vmm_lib.sh"

GUEST_INIT=${GUEST_INIT:-$VSW_BUILD/guest-drivers/vsw-guest-init}

vmm_require nsenter iperf3 tcpdump -- "$GUEST_INIT"

vsw_init ot
vmm_init ot
SW=ot
LA="vs-${VSW_ID}-t" # switch A's end of the link between the switches
LB="vs-${VSW_ID}-u"

log "switch B: namespace h1 on VLAN 10, trunk port to switch A"
vsw_start a
vsw_start b
ln -s "$(vsw_dir a)/sock" "$SWDIR/$SW.sock"
ip link add "$LA" type veth peer name "$LB" || fail "ip link add $LA"
_LINKS="$_LINKS $LA"
for l in "$LA" "$LB"; do
    echo 1 >"/proc/sys/net/ipv6/conf/$l/disable_ipv6"
    ip link set "$l" up || fail "ip link set $l up"
done
add_host 1 10.50.0.100/24
VSW_INST=b attach 1 h1 tag=10
VSW_INST=b vsctl_ok add-port tr "net_af_packet,iface=$LB" trunks=10 >/dev/null
VSW_INST=b wait_port_up tr

log "switch A: partition vm1 on VLAN 10, trunk port to switch B"
vsctl_ok add-port tr "net_af_packet,iface=$LA" trunks=10 >/dev/null
wait_port_up tr
vmm_start "$GUEST_INIT"
vm_ok create vm1 --memory 160 --nic "switch=$SW,mac=02:00:5e:50:00:01,port=vm1" \
    --cmd 'ip addr add 10.50.0.1/24 dev eth0; exec sleep 100000' >/dev/null
vm_ok start vm1 >/dev/null
wait_for 20 port_is_up vm1 || fail "port vm1 not up: $(vsjson list-ports | jq -c '.[] | select(.name == "vm1")')"
vsctl_ok set-port vm1 tag=10 >/dev/null
LSO_ON='.[] | select(.name == "vm1") | .netvsc.guest.offloads.enabled | (map(select(test("lso"))) | length > 0) and (map(select(test("rsc"))) | length > 0)'
wait_for 15 json_holds "$LSO_ON" list-ports ||
    fail "vm1 did not enable LSO and RSC: $(vsjson list-ports | jq -c '.[] | select(.name == "vm1") | .netvsc.guest.offloads')"
vping_vm_ok vm1 10.50.0.100

log "vm1 -> h1: LSO segments leave switch A on the trunk, tagged and segmented"
# captured where switch B receives them: af_packet sends with PACKET_QDISC_BYPASS, which packet
# taps on the sending interface do not see
CAP="$T/trunk.pcap"
tcpdump -Z root -i "$LB" -Q in -n -U --immediate-mode -s 0 -w "$CAP" \
    </dev/null >/dev/null 2>"$T/cap.err" &
CAP_PID=$!
bg_register "$CAP_PID"
wait_for 10 grep -q "listening on" "$T/cap.err" || fail "tcpdump on $LB did not start: $(cat "$T/cap.err")"
hx 1 timeout 30 iperf3 -s -1 -B 10.50.0.100 >"$T/iperf-s.out" 2>&1 &
bg_register $!
wait_for 10 sh -c "ip netns exec $(hns 1) ss -ltn | grep -q ':5201 '" || fail "iperf3 server in h1"
vx vm1 timeout 30 iperf3 -c 10.50.0.100 -t 3 -J >"$T/iperf.json" 2>&1 ||
    fail "iperf3 vm1 -> h1: $(tail -c 300 "$T/iperf.json")"
BYTES=$(jq '.end.sum_received.bytes' "$T/iperf.json")
log "iperf3 vm1 -> h1: $(jq -n "$(jq '.end.sum_received.bits_per_second' "$T/iperf.json") / 1e6 | floor") Mbit/s"
[ "${BYTES:-0}" -gt 1000000 ] || fail "iperf3 vm1 -> h1 moved only ${BYTES:-0} bytes"
sleep 0.3
bg_stop "$CAP_PID" TERM
tcpdump -e -vv -n -r "$CAP" >"$T/trunk.txt" 2>/dev/null
N=$(grep -c '802.1Q.*vlan 10' "$T/trunk.txt")
UNTAGGED=$(tcpdump -e -n -r "$CAP" 'not vlan' 2>/dev/null | grep -c .)
BIG=$(tcpdump -e -n -r "$CAP" 2>/dev/null | awk '{for (i = 1; i < NF; i++) if ($i == "length") {l = $(i+1); sub(":", "", l); if (l + 0 > 1518) {print; exit}}}')
BAD=$(grep -ci 'incorrect\|bad tcp cksum\|bad ip cksum' "$T/trunk.txt")
log "capture on the trunk: $N tagged frames, $UNTAGGED untagged, bad checksums: $BAD"
[ "${N:-0}" -gt 100 ] || fail "only ${N:-0} VLAN 10 frames on the trunk: $(head -5 "$T/trunk.txt")"
[ "${UNTAGGED:-0}" = 0 ] || fail "untagged frames on the trunk: $(tcpdump -e -n -r "$CAP" 'not vlan' 2>/dev/null | head -3)"
[ -z "$BIG" ] || fail "frame longer than 1518 bytes on the trunk: $BIG"
[ "${BAD:-0}" = 0 ] || fail "bad checksums on the trunk: $(grep -i 'incorrect\|bad .* cksum' "$T/trunk.txt" | head -3)"
grep -q 'cksum .*correct' "$T/trunk.txt" || fail "tcpdump -vv checked no checksum: $(sed -n 2p "$T/trunk.txt")"
SEG=$(vsjson port-stats tr | jq -r '.[0].tx_segmented')
[ "${SEG:-0}" -gt 0 ] || fail "switch A segmented nothing for the trunk: $(vsjson port-stats tr | jq -c .)"
LSO=$(vsjson port-stats vm1 | jq -r '.[0].netvsc.counters.from_guest_lso')
[ "${LSO:-0}" -gt 0 ] || fail "vm1 sent no LSO frames"
log "vm1 sent $LSO LSO frames; switch A wrote $SEG segmented frames to the trunk"

log "h1 -> vm1: tagged TCP from the trunk is coalesced for vm1 (RSC)"
R0=$(vsjson port-stats vm1 | jq -r '.[0].netvsc.counters.to_guest_rsc')
vx vm1 timeout 30 iperf3 -s -1 -B 10.50.0.1 >"$T/iperf-s2.out" 2>&1 &
bg_register $!
wait_for 10 sh -c "nsenter -t $(vm_pid vm1) -n ss -ltn | grep -q ':5201 '" || fail "iperf3 server in vm1"
hx 1 timeout 30 iperf3 -c 10.50.0.1 -t 3 -J >"$T/iperf2.json" 2>&1 ||
    fail "iperf3 h1 -> vm1: $(tail -c 300 "$T/iperf2.json")"
BYTES=$(jq '.end.sum_received.bytes' "$T/iperf2.json")
[ "${BYTES:-0}" -gt 1000000 ] || fail "iperf3 h1 -> vm1 moved only ${BYTES:-0} bytes"
R1=$(vsjson port-stats vm1 | jq -r '.[0].netvsc.counters.to_guest_rsc')
CO=$(vsjson port-stats vm1 | jq -r '.[0].coalesced')
log "h1 -> vm1: $BYTES bytes; vm1 got $((R1 - R0)) RSC packets ($CO frames merged into others)"
[ "$R1" -gt "$R0" ] || fail "no RSC packets to vm1 from the trunk"
[ "${CO:-0}" -gt 0 ] || fail "switch A coalesced nothing for vm1"
expect_json "no guest protocol errors" \
    'all(.[] | select(.netvsc); .netvsc.errors | to_entries | all(.value == 0))' port-stats
vsw_alive a || fail "switch A died"
vsw_alive b || fail "switch B died"
exit 0
