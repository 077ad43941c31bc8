#!/bin/bash
# MAC move: h1's MAC and IP are learned on p1, then taken over by h3 on p3. The FDB must show the
# MAC on p3 only, and unicast traffic from h2 (whose ARP cache still maps 10.1.0.1 to that MAC)
# must follow it to p3 and no longer reach p1. Then the MAC moves back.
source "$(dirname "$0")/lib.sh"
vsw_init mm

add_host 1 10.1.0.1/24
add_host 2 10.1.0.2/24
add_host 3
vsw_start
attach 1
attach 2
attach 3
export MAC1 MAC3
MAC1=$(hmac 1)
MAC3=$(hmac 3)

log "learn h1's MAC on p1"
ping_ok 2 10.1.0.1
expect_json "MAC1 on p1" '[.[] | select(.mac == $ENV.MAC1)] | length == 1 and .[0].port == "p1" and .[0].vlan == 0' fdb-show

log "move MAC1 and 10.1.0.1 from h1 to h3"
hx 1 ip addr flush dev eth0 || fail "flush h1's address"
hx 3 ip link set eth0 down
hx 3 ip link set eth0 address "$MAC1" || fail "set MAC1 on h3"
hx 3 ip addr add 10.1.0.1/24 dev eth0 || fail "address on h3"
hx 3 ip link set eth0 up
wait_port_up p3
ping_ok 3 10.1.0.2
wait_for 10 json_holds 'any(.[]; .mac == $ENV.MAC1 and .port == "p3")' fdb-show ||
    fail "MAC1 not on p3 within 10 s after h3 sent from it: $(vsctl --json fdb-show | jq -c .)"
expect_json "MAC1 on p3 only, once" '[.[] | select(.mac == $ENV.MAC1)] | length == 1 and .[0].port == "p3"' fdb-show

log "traffic to MAC1 follows it to p3"
hx 2 ip neigh show 10.1.0.1 | grep -qi "$MAC1" || fail "h2's ARP entry for 10.1.0.1 is not MAC1: $(hx 2 ip neigh show)"
cap_start 1 eth0 old icmp
OLDCAP=$CAP_PID
cap_start 3 eth0 new icmp
ping_ok 2 10.1.0.1
cap_stop "$CAP_PID"
cap_stop "$OLDCAP"
[ "$(cap_text new | grep -c '10.1.0.2 > 10.1.0.1: ICMP echo request')" -ge 3 ] ||
    fail "echo requests from h2 to MAC1 did not reach h3 on p3: $(cap_text new)"
[ -z "$(cap_text old)" ] || fail "frames to MAC1 still reach p1 after the move: $(cap_text old | head -n 5)"
expect_json "MAC1 still on p3 only" '[.[] | select(.mac == $ENV.MAC1)] | length == 1 and .[0].port == "p3"' fdb-show

log "move MAC1 back to h1 on p1"
hx 3 ip addr flush dev eth0
hx 3 ip link set eth0 down
hx 3 ip link set eth0 address "$MAC3"
hx 3 ip link set eth0 up
hx 1 ip addr add 10.1.0.1/24 dev eth0 || fail "address back on h1"
ping_ok 1 10.1.0.2
wait_for 10 json_holds 'any(.[]; .mac == $ENV.MAC1 and .port == "p1")' fdb-show ||
    fail "MAC1 not back on p1 within 10 s: $(vsctl --json fdb-show | jq -c .)"
expect_json "MAC1 on p1 only, once" '[.[] | select(.mac == $ENV.MAC1)] | length == 1 and .[0].port == "p1"' fdb-show
cap_start 3 eth0 new2 icmp
ping_ok 2 10.1.0.1
cap_stop "$CAP_PID"
[ -z "$(cap_text new2)" ] || fail "frames to MAC1 still reach p3 after the move back: $(cap_text new2 | head -n 5)"
vsw_alive || fail "vswitchd died"
exit 0
