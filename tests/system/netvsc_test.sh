#!/bin/bash
# End to end: vswitchd + vmmd + three process partitions whose NICs (vsw-guest-init's VMBus
# client and netvsc driver, tap eth0) are netvsc ports of the switch, added by vmmd:
#  - vm1 and vm2 on VLAN 10: ping and iperf3 between them;
#  - vm3 on VLAN 20 with an address in the same subnet: isolated from vm1/vm2;
#  - a namespace behind an af_packet trunk uplink (VLANs 10 and 20 as eth0.10/eth0.20) reaches
#    vm1 on VLAN 10 and vm3 on VLAN 20;
#  - kill -9 of vm3 brings its port down; vm1 <-> vm2 and the uplink keep working;
#  - vswitchd killed with SIGKILL and restarted while the partitions run: the ports come back
#    from the configuration file with their VLANs, reconnect to vmmd, the guests attach again
#    (vmmd rescinds and re-offers), and traffic resumes.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/vmm_lib.sh"

GUEST_INIT=${GUEST_INIT:-$VSW_BUILD/guest-drivers/vsw-guest-init}

vmm_require nsenter iperf3 -- "$GUEST_INIT"

vsw_init ne
vmm_init ne
SW=e2e

vping_vm_fail() {
    local vm=$1 dst=$2 out got
    out=$(vx "$vm" ping -n -c 3 -i 0.3 -W 1 "$dst" 2>&1)
    got=$(echo "$out" | _ping_count)
    [ "${got:-0}" = 0 ] || fail "ping from $vm to $dst should fail, got $got replies: $out"
}
nv_state() { vsjson list-ports | jq -r ".[] | select(.name == \"$1\") | .netvsc.state"; }
port_down() { json_holds ".[] | select(.name == \"$1\") | .state == \"down\"" list-ports; }

log "uplink namespace behind an af_packet trunk (VLANs 10, 20; tagged pings from a raw socket)"
add_host 1

vsw_start
ln -s "$(vsw_dir)/sock" "$SWDIR/$SW.sock"
attach 1 up1 trunks=10,20

log "vmmd and three partitions"
vmm_start "$GUEST_INIT"
vm_ok create vm1 --memory 128 --nic "switch=$SW,mac=02:00:5e:10:00:01,port=vm1" \
    --cmd 'ip addr add 10.10.0.1/24 dev eth0; exec sleep 100000' >/dev/null
vm_ok create vm2 --memory 128 --nic "switch=$SW,mac=02:00:5e:10:00:02,port=vm2" \
    --cmd 'ip addr add 10.10.0.2/24 dev eth0; exec sleep 100000' >/dev/null
vm_ok create vm3 --memory 128 --nic "switch=$SW,mac=02:00:5e:20:00:03,port=vm3" \
    --cmd 'ip addr add 10.10.0.3/24 dev eth0; ip addr add 10.30.0.3/24 dev eth0; exec sleep 100000' >/dev/null
for vm in vm1 vm2 vm3; do
    vm_ok start "$vm" >/dev/null
done
for vm in vm1 vm2 vm3; do
    wait_for 20 port_is_up "$vm" || fail "port $vm not up: $(vsjson list-ports | jq -c ".[] | select(.name == \"$vm\")")"
done
vsctl_ok set-port vm1 tag=10 >/dev/null
vsctl_ok set-port vm2 tag=10 >/dev/null
vsctl_ok set-port vm3 tag=20 >/dev/null
# the link is up once the channel is open; the guest's RNDIS bring-up follows
ALL_READY='[.[] | select(.type == "netvsc") | select(.netvsc.state == "open" and .netvsc.guest.rndis_ready)
    | .mac | ascii_downcase] | sort == ["02:00:5e:10:00:01", "02:00:5e:10:00:02", "02:00:5e:20:00:03"]'
wait_for 10 json_holds "$ALL_READY" list-ports ||
    fail "netvsc ports not open and ready: $(vsjson list-ports | jq -c '.[] | {name, netvsc}')"

log "VLAN 10: vm1 <-> vm2, ping and iperf3"
vping_vm_ok vm1 10.10.0.2
vping_vm_ok vm2 10.10.0.1
vping_vm_ok vm1 10.10.0.2 -s 1472
vx vm2 iperf3 -s -1 -D || fail "iperf3 server in vm2"
sleep 0.5
vx vm1 timeout 30 iperf3 -c 10.10.0.2 -t 3 -J >"$T/iperf.json" 2>&1 || fail "iperf3 vm1 -> vm2: $(tail -c 500 "$T/iperf.json")"
BPS=$(jq '.end.sum_received.bits_per_second' "$T/iperf.json")
log "iperf3 vm1 -> vm2: $(jq -n "$BPS / 1e6 | floor") Mbit/s"
jq -e '.end.sum_received.bytes > 1000000' "$T/iperf.json" >/dev/null || fail "iperf3 moved too little: $BPS bit/s"

log "VLAN 20: vm3 is isolated from vm1/vm2 (same subnet)"
vping_vm_fail vm3 10.10.0.1
vping_vm_fail vm1 10.10.0.3

log "uplink namespace: vm1 on VLAN 10, vm3 on VLAN 20"
uplink_ping() { vping_ok "uplink VID $1 -> $2" "$1" 1 --mac "$(hmac 1)" --ip "$3" --dst "$2" --vid "$1" >/dev/null; }
uplink_ping 10 10.10.0.1 10.10.0.100
uplink_ping 20 10.30.0.3 10.30.0.100
vping_fail "uplink VID 10 -> vm3 (VLAN 20)" 1 --mac "$(hmac 1)" --ip 10.10.0.100 --dst 10.10.0.3 --vid 10
expect_json "no guest protocol errors" \
    'all(.[] | select(.netvsc); .netvsc.errors | to_entries | all(.value == 0))' port-stats

log "admin=down on vm2's port: the guest's eth0 loses carrier and traffic stops; admin=up restores both"
carrier() { vx "$1" ip -o link show eth0 | grep -q LOWER_UP; }
no_carrier() { ! carrier "$1"; }
carrier vm2 || fail "vm2's eth0 has no carrier before the test"
vsctl_ok set-port vm2 admin=down >/dev/null
wait_for 10 no_carrier vm2 || fail "vm2's eth0 still has carrier after admin=down: $(vx vm2 ip -o link show eth0)"
port_down vm2 || fail "vm2's port is not down after admin=down"
TX0=$(port_stat vm2 .tx_packets)
vping_vm_fail vm1 10.10.0.2
[ "$(port_stat vm2 .tx_packets)" = "$TX0" ] || fail "frames sent to vm2 while its port was down"
expect_json "admin state shown" '.[] | select(.name == "vm2") | .admin == "down"' list-ports
vsctl_ok set-port vm2 admin=up >/dev/null
wait_for 10 carrier vm2 || fail "vm2's eth0 has no carrier after admin=up"
wait_port_up vm2
vping_vm_ok vm1 10.10.0.2

log "MAC spoofing: vm2 sending from another MAC is dropped (counted) until mac_spoofing=on"
SP0=$(port_stat vm2 "(.drops.mac_spoofed // 0)")
vx vm2 ip link set eth0 address 02:00:5e:10:00:01 || fail "cannot change vm2's MAC"
vping_vm_fail vm2 10.10.0.1
SP1=$(port_stat vm2 "(.drops.mac_spoofed // 0)")
[ "$SP1" -gt "$SP0" ] || fail "no mac_spoofed drops counted on vm2"
expect_json "vm1's MAC still learned on vm1's port" \
    '[.[] | select((.mac | ascii_downcase) == "02:00:5e:10:00:01") | .port] | length > 0 and all(. == "vm1")' fdb-show
vsctl_ok set-port vm2 mac_spoofing=on >/dev/null
# set-port returns once the workers use the new setting; the guest's ARP retries may have been
# dropped until then
SP2=$(port_stat vm2 "(.drops.mac_spoofed // 0)")
RX2=$(port_stat vm2 .rx_packets)
vx vm2 ping -n -c 2 -i 0.2 -W 1 10.10.0.1 >/dev/null 2>&1
[ "$(port_stat vm2 "(.drops.mac_spoofed // 0)")" = "$SP2" ] || fail "mac_spoofed drops counted with mac_spoofing=on"
[ "$(port_stat vm2 .rx_packets)" -gt "$RX2" ] || fail "no frames from vm2 with mac_spoofing=on"
vsctl_ok set-port vm2 mac_spoofing=off >/dev/null
vx vm2 ip link set eth0 address 02:00:5e:10:00:02 || fail "cannot restore vm2's MAC"
vsctl_ok fdb-flush >/dev/null
vping_vm_ok vm2 10.10.0.1

log "kill -9 of vm3: its port goes down, the others keep going"
vm_ok kill vm3 >/dev/null
wait_for 10 port_down vm3 || fail "vm3 port still up after its partition was killed"
vping_vm_ok vm1 10.10.0.2
uplink_ping 10 10.10.0.1 10.10.0.100
vsw_alive || fail "vswitchd died"

log "vswitchd killed and restarted while the partitions run"
kill -KILL "$(vsw_pid)"
wait_for 5 _not_running "$(vsw_pid)" || fail "vswitchd did not die"
vsw_start
wait_port_up up1
for vm in vm1 vm2; do
    wait_for 30 port_is_up "$vm" || fail "port $vm not back: $(vsjson list-ports | jq -c ".[] | select(.name == \"$vm\")")"
done
expect_json "VLANs survived the restart" \
    '(.[] | select(.name == "vm1") | .tag == 10) and (.[] | select(.name == "vm3") | .tag == 20)' list-ports
vping_vm_ok vm1 10.10.0.2
uplink_ping 10 10.10.0.1 10.10.0.100
[ "$(nv_state vm3)" != open ] || fail "vm3 (killed) is open again"

log "a partition started before its vswitchd: vmmd retries add-port until the switch is there"
ln -s "$(vsw_dir b)/sock" "$SWDIR/late.sock"
vm_ok create vm4 --memory 128 --nic "switch=late,mac=02:00:5e:10:00:04,port=vm4" \
    --cmd 'ip addr add 10.10.0.4/24 dev eth0; exec sleep 100000' >/dev/null
vm_ok start vm4 >/dev/null
port4_is() { [ "$(vmmctl --json show vm4 | jq -r ".ports[0].state")" = "$1" ]; }
wait_for 10 port4_is error || fail "vm4's port is not in error without its switch: $(vmmctl --json show vm4 | jq -c .ports)"
vsw_start b
late_open() { VSW_INST=b json_holds '.[] | select(.name == "vm4") | .netvsc.state == "open" and .netvsc.guest.rndis_ready' list-ports; }
wait_for 20 late_open || fail "vm4 not added and open on the late switch: $(VSW_INST=b vsjson list-ports | jq -c .)"
wait_for 10 port4_is attached || fail "vmmctl does not show vm4's port attached: $(vmmctl --json show vm4 | jq -c .ports)"
vsw_alive || fail "vswitchd died"
