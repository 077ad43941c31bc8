#!/bin/bash
# A netvsc port against a fake hypervisor + guest (tests/system/fake_vmbus_host.c), with two
# af_packet hosts on the same switch:
#  - the port exists before the hypervisor socket does (state connecting, link down), bad devargs
#    are refused;
#  - once the fake hypervisor listens, the port connects by itself, the guest's bring-up
#    (NVSP 6.1, buffers, RNDIS) completes, and ping works both ways, jumbo frames included
#    (guest -> host as GPA_DIRECT, host -> guest in 9306-byte receive sub-allocations);
#  - VLAN isolation and the egress MTU apply to the netvsc port like to any other;
#  - malformed NVSP/RNDIS from the guest raises the port's netvsc error counters, traffic goes on;
#  - the receive buffer's GPADL removed under the open channel: frames to the guest are dropped
#    (counted), nothing else breaks; the ring of an open channel cannot be removed;
#  - vswitchd killed with SIGKILL and restarted: the port reconnects, the guest attaches again;
#  - a corrupt ring closes that channel only: vswitchd stops serving it at once, then drops the
#    vmbus-user connection (the hypervisor rescinds the channel) and connects again, the guest
#    attaches anew; the other ports keep forwarding;
#  - the hypervisor's CHAN_CLOSE and GPADL_DELs are all accepted (an unknown GPADL is refused).
source "$(dirname "$0")/lib.sh"
vsw_init nv

FAKE=${FAKE_VMBUS_HOST:-$VSW_BUILD/tests/fake_vmbus_host}
[ -x "$FAKE" ] || fail "fake_vmbus_host not found at $FAKE"

add_host 1 10.9.0.1/24 9000
add_host 2 10.9.0.2/24
export GUEST_MAC=02:00:5e:aa:00:01
GUEST_IP=10.9.0.50
SOCK=$T/vm1.vmbus
STATUS=$T/fake.status

fake_val() { sed -n "s/^$1=//p" "$STATUS" 2>/dev/null; }
fake_at_least() { [ "$(fake_val "$1")" -ge "$2" ] 2>/dev/null; }
nv_state_is() { json_holds ".[] | select(.name == \"vm1\") | .netvsc.state == \"$1\"" list-ports; }

vsw_start
log "netvsc port whose hypervisor is not there yet"
vsctl_ok add-port vm1 "netvsc,socket=$SOCK" mtu=9000 >/dev/null
expect_json "vm1 is a netvsc port, connecting and down" \
    '.[] | select(.name == "vm1") | .type == "netvsc" and .driver == "netvsc" and .state == "down"
        and .netvsc.state == "connecting" and .dpdk_port == -1 and .mtu == 9000' list-ports
for bad in "netvsc" "netvsc,socket=relative/path" "netvsc,socket=$T/a,x=1" "netvsc,iface=x"; do
    if vsctl add-port bad "$bad" >/dev/null 2>"$T/err"; then
        fail "add-port with devargs '$bad' was accepted"
    fi
done
expect_json "refused ports were not added" '[.[].name] == ["vm1"]' list-ports

log "fake hypervisor + guest: the port connects and the guest comes up"
"$FAKE" --socket "$SOCK" --mac "$GUEST_MAC" --ip "$GUEST_IP" --mtu 9000 --status "$STATUS" \
    >"$T/fake.out" 2>&1 &
FAKE_PID=$!
bg_register "$FAKE_PID"
wait_for 15 fake_at_least connects 1 || fail "the fake guest did not come up: $(cat "$T/fake.out")"
wait_port_up vm1
expect_json "vm1 is open with the guest's MAC and a ready RNDIS device" \
    '.[] | select(.name == "vm1") | .netvsc.state == "open" and .mac == $ENV.GUEST_MAC
        and .netvsc.guest.rndis_ready and .netvsc.guest.nvsp_version == 393217
        and .netvsc.guest.ndis_mtu == 9014 and .netvsc.guest.rx_suballoc_size == 9306' list-ports
[ "$(fake_val sub_size)" = 9306 ] || fail "guest saw sub-allocations of $(fake_val sub_size) bytes"
attach 1 p1 mtu=9000
attach 2 p2

log "ping both ways, jumbo frames included"
ping_ok 1 "$GUEST_IP"
ping_ok 2 "$GUEST_IP"
ping_ok 1 "$GUEST_IP" -s 8000 -M do
fake_at_least tx_big 1 || fail "no jumbo frame was sent by the guest as GPA_DIRECT"
fake_at_least icmp_replies 6 || fail "the guest answered $(fake_val icmp_replies) pings"
[ "$(port_stat vm1 .rx_packets)" -ge 6 ] || fail "vm1 rx_packets $(port_stat vm1 .rx_packets)"
[ "$(port_stat vm1 .tx_packets)" -ge 6 ] || fail "vm1 tx_packets $(port_stat vm1 .tx_packets)"
expect_json "netvsc counters of vm1" \
    '.[] | select(.name == "vm1") | .netvsc.counters.from_guest_packets >= 6
        and .netvsc.counters.to_guest_packets >= 6 and .netvsc.counters.xfer_completed >= 1
        and ([.netvsc.errors[]] | add) == 0' port-stats
expect_json "the guest MAC is learned on vm1" \
    'any(.[]; .mac == $ENV.GUEST_MAC and .port == "vm1")' fdb-show

log "VLANs and MTU apply to the netvsc port"
vsctl_ok set-port vm1 tag=10 >/dev/null
vsctl_ok set-port p1 tag=10 >/dev/null
ping_ok 1 "$GUEST_IP"
ping_fail 2 "$GUEST_IP"
vsctl_ok set-port vm1 vlan_mode=untagged >/dev/null
vsctl_ok set-port p1 vlan_mode=untagged >/dev/null
vsctl_ok set-port vm1 mtu=1500 >/dev/null
ping_fail 1 "$GUEST_IP" -s 8000 -M do
[ "$(port_stat vm1 '.drops.mtu_exceeded')" -ge 1 ] || fail "no mtu_exceeded drop on vm1"
vsctl_ok set-port vm1 mtu=9000 >/dev/null
ping_ok 1 "$GUEST_IP" -s 8000 -M do

log "malformed NVSP/RNDIS from the guest"
kill -USR1 "$FAKE_PID"
wait_for 5 json_holds '.[] | select(.name == "vm1") | .netvsc.errors.nvsp_unknown_type >= 1
    and .netvsc.errors.nvsp_short >= 1 and .netvsc.errors.send_section_bounds >= 1
    and .netvsc.errors.gpa_pfn_invalid >= 1' port-stats ||
    fail "guest errors not counted: $(vsjson port-stats | jq -c '.[] | select(.name == "vm1") | .netvsc.errors')"
ping_ok 1 "$GUEST_IP"
vsctl_ok port-stats vm1 | grep -q "netvsc error nvsp_unknown_type" ||
    fail "human port-stats does not show the netvsc errors: $(cat "$T/out")"

log "the hypervisor removes the receive buffer of the open channel"
kill -HUP "$FAKE_PID"
wait_for 5 grep -q '^revoke_status=0' "$STATUS" || fail "GPADL_DEL of the receive buffer: $(cat "$STATUS")"
grep -q '^ring_del_status=16$' "$STATUS" || fail "GPADL_DEL of an open channel's ring not refused with EBUSY: $(cat "$STATUS")"
expect_json "vm1 has two GPADLs left" '.[] | select(.name == "vm1") | .netvsc.gpadls == 2' list-ports
ping_fail 1 "$GUEST_IP"
[ "$(port_stat vm1 '.netvsc.drops.to_guest_not_ready')" -ge 1 ] || fail "frames to a guest without receive buffer not counted"
ping_ok 1 10.9.0.2
vsw_alive || fail "vswitchd died"

log "vswitchd killed and restarted: the port reconnects"
kill -KILL "$(vsw_pid)"
wait_for 5 _not_running "$(vsw_pid)" || fail "vswitchd did not die"
wait_for 5 grep -q DISCONNECTED "$T/fake.out" || fail "the fake hypervisor did not see the hang-up"
vsw_start
wait_for 15 fake_at_least connects 2 || fail "the guest did not attach again: $(cat "$T/fake.out")"
wait_port_up vm1
wait_port_up p1
ping_ok 1 "$GUEST_IP"
ping_ok 2 "$GUEST_IP"

log "corrupt guest->host ring: vswitchd closes that channel, the switch goes on"
CONNECTS=$(fake_val connects)
kill -USR2 "$FAKE_PID"
wait_for 10 fake_at_least connects $((CONNECTS + 1)) ||
    fail "vswitchd did not close the broken channel and reconnect: $(tail -5 "$T/fake.out")"
[ "$(port_stat vm1 '.netvsc.errors.ring_corrupt')" -ge 1 ] || fail "ring_corrupt not counted"
grep -q "broke the ring protocol on channel" "$(vsw_dir)/log" || fail "no log line for the broken channel"
ping_ok 1 10.9.0.2
wait_port_up vm1
ping_ok 1 "$GUEST_IP"
vsw_alive || fail "vswitchd died"

log "the hypervisor closes the channel and removes the GPADLs"
kill -TERM "$FAKE_PID"
wait "$FAKE_PID"
rc=$?
grep CLOSE "$T/fake.out"
[ "$rc" = 0 ] || fail "CHAN_CLOSE/GPADL_DEL replies were not as expected (exit $rc): $(cat "$T/fake.out")"
wait_for 5 nv_state_is connecting || fail "vm1 did not go back to connecting"
vsctl_ok del-port vm1 >/dev/null
ping_ok 1 10.9.0.2
vsw_alive || fail "vswitchd died"
