#!/bin/bash
# MTU: jumbo frames at mtu=9000; the kernel MTU of the port's veth follows the switch;
# frames over the egress port's MTU are dropped as mtu_exceeded, frames over the ingress port's
# MTU as oversize, never truncated; MTU + 14 untagged and MTU + 18 tagged are the limits.
source "$(dirname "$0")/lib.sh"
vsw_init mt

add_host 1 10.1.0.1/24
add_host 2 10.1.0.2/24
hx 1 ip link set eth0 mtu 9000 || fail "eth0 mtu 9000 in h1"
hx 2 ip link set eth0 mtu 9000 || fail "eth0 mtu 9000 in h2"
vsw_start
attach 1 p1 mtu=9000
attach 2 p2 mtu=9000
export MAC1
MAC1=$(hmac 1)

kmtu() { ip -j link show "$1" | jq '.[0].mtu'; }

expect_json "p1 and p2 at mtu 9000" 'all(.[]; .mtu == 9000)' list-ports
[ "$(kmtu "$(hsw 1)")" = 9000 ] || fail "switch did not set $(hsw 1) MTU to 9000 (it is $(kmtu "$(hsw 1)"))"
[ "$(kmtu "$(hsw 2)")" = 9000 ] || fail "switch did not set $(hsw 2) MTU to 9000 (it is $(kmtu "$(hsw 2)"))"

log "jumbo: ping -M do -s 8972 both ways"
cap_start 2 eth0 jumbo icmp
ping_ok 1 10.1.0.2 -M "do" -s 8972
cap_stop "$CAP_PID"
ping_ok 2 10.1.0.1 -M "do" -s 8972
cap_text jumbo | grep -F '10.1.0.1 > 10.1.0.2: ICMP echo request' | grep -q 'length 9014:' ||
    fail "no 9014-byte echo request captured at h2: $(cap_text jumbo | head -n 5)"
log "jumbo: 4 MiB TCP copy with a 9000-byte MTU, content checked"
tcp_copy 2 10.1.0.2 1 4

log "egress p2 at mtu 1500 (h1 and p1 at 9000): mtu_exceeded on p2, nothing delivered"
wait_for 5 json_holds 'any(.[]; .port == "p2")' fdb-show || fail "nothing learned on p2 after the jumbo copy"
vsctl_ok set-port p2 mtu=1500 >/dev/null
expect_json "p2 at mtu 1500" '.[] | select(.name == "p2") | .mtu == 1500' list-ports
expect_json "an MTU-only change keeps p2's learned MACs" 'any(.[]; .port == "p2")' fdb-show
[ "$(kmtu "$(hsw 2)")" = 1500 ] || fail "switch did not set $(hsw 2) MTU to 1500 (it is $(kmtu "$(hsw 2)"))"
before=$(port_stat p2 .drops.mtu_exceeded)
cap_start 2 eth0 big icmp
ping_fail 1 10.1.0.2 -M "do" -s 8972
ping_fail 1 10.1.0.2 -M "do" -s 1473    # 1515-byte frame: one byte too many
cap_stop "$CAP_PID"
after=$(port_stat p2 .drops.mtu_exceeded)
[ "$after" -ge $((before + 6)) ] ||
    fail "p2 drops.mtu_exceeded went from $before to $after after 6 echo requests over p2's MTU"
[ -z "$(cap_text big)" ] || fail "frames over p2's MTU reached h2 (truncated?): $(cap_text big | head -n 5)"
tx_dropped=$(port_stat p2 .tx_dropped)
[ "$tx_dropped" -ge 6 ] || fail "p2 tx_dropped is $tx_dropped, expected >= 6 with mtu_exceeded drops"
log "egress boundary: ping -M do -s 1472 (1514-byte frame) passes p2 at mtu 1500"
ping_ok 1 10.1.0.2 -M "do" -s 1472

log "ingress p1 at mtu 1500: oversize on p1"
vsctl_ok set-port p1 mtu=1500 >/dev/null
[ "$(kmtu "$(hsw 1)")" = 1500 ] || fail "switch did not set $(hsw 1) MTU to 1500 (it is $(kmtu "$(hsw 1)"))"
# Raise the kernel MTU behind the switch's back so that the veth hands it frames larger than
# its port MTU: the switch has to drop them itself.
ip link set "$(hsw 1)" mtu 9000 || fail "ip link set $(hsw 1) mtu 9000"
ip link set "$(hsw 2)" mtu 9000 || fail "ip link set $(hsw 2) mtu 9000"
before=$(port_stat p1 .drops.oversize)
cap_start 2 eth0 big2 icmp
ping_fail 1 10.1.0.2 -M "do" -s 8972
ping_fail 1 10.1.0.2 -M "do" -s 1473
cap_stop "$CAP_PID"
after=$(port_stat p1 .drops.oversize)
[ "$after" -ge $((before + 6)) ] ||
    fail "p1 drops.oversize went from $before to $after after 6 frames over p1's MTU"
[ -z "$(cap_text big2)" ] || fail "oversize frames reached h2 (truncated?): $(cap_text big2 | head -n 5)"
rx_dropped=$(port_stat p1 .rx_dropped)
[ "$rx_dropped" -ge 6 ] || fail "p1 rx_dropped is $rx_dropped, expected >= 6 with oversize drops"
ping_ok 1 10.1.0.2 -M "do" -s 1472
ip link set "$(hsw 1)" mtu 1500
ip link set "$(hsw 2)" mtu 1500

log "tagged frames may be MTU + 18: trunk p1 (VID 10) <-> access p2 (VLAN 10), both mtu 1500"
vsctl_ok set-port p1 trunks=10 >/dev/null
vsctl_ok set-port p2 tag=10 >/dev/null
expect_json "a VLAN change flushes the port's learned MACs" 'all(.[]; .port != "p2" or .vlan != 0)' fdb-show
hx 1 ip link set eth0 mtu 1500
hx 2 ip link set eth0 mtu 1500
before=$(port_stat p1 .drops.oversize)
# 1472 bytes of ICMP data: IP packet 1500 bytes, 1518-byte tagged frame into p1; the reply is a
# 1514-byte frame from h2 that leaves p1 as a 1518-byte tagged frame.
vping_ok "1518-byte tagged frames through trunk p1 at mtu 1500" 10 1 \
    --mac "$MAC1" --ip 10.1.0.1 --dst 10.1.0.2 --vid 10 --size 1472 >/dev/null
after=$(port_stat p1 .drops.oversize)
[ "$after" = "$before" ] || fail "p1 counted 1518-byte tagged frames as oversize ($before -> $after)"

log "largest MTU: 9198"
vsctl_ok set-port p2 mtu=9198 >/dev/null
expect_json "p2 at mtu 9198" '.[] | select(.name == "p2") | .mtu == 9198' list-ports
[ "$(kmtu "$(hsw 2)")" = 9198 ] || fail "switch did not set $(hsw 2) MTU to 9198 (it is $(kmtu "$(hsw 2)"))"
vsw_alive || fail "vswitchd died"
exit 0
