#!/bin/bash
# A trunk port p1 (host h1) and access ports on VLANs 10 (h2), 20 (h3), 30 (h4), 40 (h5).
# h1 talks tagged through a raw socket (vping: the kernel may have no 802.1Q support), and
# untagged through its eth0 (10.30.0.1). A tcpdump -e capture on h1's eth0 shows the tags the
# switch sends on the trunk. Then native=30 carries VLAN 30 untagged on the trunk, trunks=
# (empty) allows every VLAN and trunks=10,15-25 a list with a range.
source "$(dirname "$0")/lib.sh"
vsw_init tr

add_host 1 10.30.0.1/24
add_host 2 10.10.0.2/24
add_host 3 10.20.0.3/24
add_host 4 10.30.0.4/24
add_host 5 10.40.0.5/24
vsw_start
attach 1 p1 trunks=10,20   # trunks= alone makes a trunk
attach 2 p2 tag=10
attach 3 p3 tag=20
attach 4 p4 tag=30
attach 5 p5 tag=40
export MAC1 MAC2 MAC3 MAC4
MAC1=$(hmac 1)
MAC2=$(hmac 2)
MAC3=$(hmac 3)
MAC4=$(hmac 4)

expect_json "p1 is a trunk for 10,20 with native 0" \
    '.[] | select(.name == "p1") | .vlan_mode == "trunk" and .trunks == "10,20" and .native == 0' list-ports

# cap_replies CAPTURE SRC DST: the capture's ICMP echo replies from SRC to DST.
cap_replies() { cap_text "$1" | grep -F "$2 > $3: ICMP echo reply" || true; }

log "tagged VLAN 10 and 20 traffic through the trunk"
cap_start 2 eth0 h2a
H2CAP=$CAP_PID
cap_start 1 eth0 t1
vping_ok "h1 VID 10 -> h2 (access 10): replies tagged 10" 10 1 \
    --mac "$MAC1" --ip 10.10.0.1 --dst 10.10.0.2 --vid 10 >/dev/null
vping_ok "h1 VID 20 -> h3 (access 20): replies tagged 20" 20 1 \
    --mac "$MAC1" --ip 10.20.0.1 --dst 10.20.0.3 --vid 20 >/dev/null
cap_stop "$CAP_PID"
cap_stop "$H2CAP"

r10=$(cap_replies t1 10.10.0.2 10.10.0.1)
r20=$(cap_replies t1 10.20.0.3 10.20.0.1)
[ "$(echo "$r10" | grep -c 'vlan 10,')" -ge 3 ] ||
    fail "capture on h1 eth0: expected >= 3 echo replies from 10.10.0.2 tagged 'vlan 10'; got: $r10"
[ "$(echo "$r20" | grep -c 'vlan 20,')" -ge 3 ] ||
    fail "capture on h1 eth0: expected >= 3 echo replies from 10.20.0.3 tagged 'vlan 20'; got: $r20"
echo "$r10" | grep -v -q 'vlan 10,' && fail "capture on h1 eth0: a reply from 10.10.0.2 without 'vlan 10': $r10"
echo "$r20" | grep -v -q 'vlan 20,' && fail "capture on h1 eth0: a reply from 10.20.0.3 without 'vlan 20': $r20"
cap_text t1 | grep -F 'Reply 10.10.0.2 is-at' | grep -v -q 'vlan 10,' &&
    fail "capture on h1 eth0: ARP reply of VLAN 10 not tagged 10: $(cap_text t1)"
log "capture on the trunk's far side:"
echo "$r10" | head -n 2
echo "$r20" | head -n 2

req=$(cap_text h2a | grep -F '10.10.0.1 > 10.10.0.2: ICMP echo request' || true)
[ "$(echo "$req" | grep -c .)" -ge 3 ] || fail "h2 did not get the 3 echo requests sent on VLAN 10: $(cap_text h2a)"
echo "$req" | grep -q '802.1Q' && fail "access port p2 sent VLAN 10 frames tagged: $req"

log "VLAN isolation: VID 20 does not reach the VLAN 10 host"
cap_start 2 eth0 h2b
vping_fail "h1 VID 20 asking for 10.10.0.2 (which is on VLAN 10)" 1 \
    --mac "$MAC1" --ip 10.10.0.1 --dst 10.10.0.2 --vid 20 --count 1
cap_stop "$CAP_PID"
cap_text h2b | grep -q 'who-has 10.10.0.2' && fail "ARP request on VLAN 20 reached h2 on VLAN 10: $(cap_text h2b)"

log "untagged from the trunk is VLAN 0 (native not set): h4 on VLAN 30 unreachable"
ping_fail 1 10.30.0.4

log "VID 40 is not in trunks=10,20: dropped as vlan_not_allowed"
before=$(port_stat p1 .drops.vlan_not_allowed)
vping_fail "h1 VID 40 -> h5 (access 40) with trunks=10,20" 1 \
    --mac "$MAC1" --ip 10.40.0.1 --dst 10.40.0.5 --vid 40 --count 1
after=$(port_stat p1 .drops.vlan_not_allowed)
[ "$after" -ge $((before + 3)) ] || fail "p1 drops.vlan_not_allowed went from $before to $after after 3 ARP requests tagged 40"

expect_json "fdb: h1 on p1 in VLANs 10 and 20, h2 and h3 on their access ports" \
    'any(.[]; .mac == $ENV.MAC1 and .vlan == 10 and .port == "p1")
     and any(.[]; .mac == $ENV.MAC1 and .vlan == 20 and .port == "p1")
     and any(.[]; .mac == $ENV.MAC2 and .vlan == 10 and .port == "p2")
     and any(.[]; .mac == $ENV.MAC3 and .vlan == 20 and .port == "p3")
     and all(.[]; .mac != $ENV.MAC1 or .vlan == 10 or .vlan == 20 or .vlan == 0)' fdb-show
expect_json "vlan-show: p1 tagged in 10 and 20, access ports untagged, p1 not in 30 or 40" \
    '(map({key: (.vlan | tostring), value: (.ports | sort_by(.name))}) | from_entries) as $v
     | $v["10"] == [{"name": "p1", "tagged": true}, {"name": "p2", "tagged": false}]
       and $v["20"] == [{"name": "p1", "tagged": true}, {"name": "p3", "tagged": false}]
       and $v["30"] == [{"name": "p4", "tagged": false}]
       and $v["40"] == [{"name": "p5", "tagged": false}]' vlan-show

log "native=30: untagged trunk traffic is VLAN 30"
vsctl_ok set-port p1 native=30 >/dev/null
expect_json "p1 trunk 10,20 native 30" \
    '.[] | select(.name == "p1") | .vlan_mode == "trunk" and .trunks == "10,20" and .native == 30' list-ports
cap_start 1 eth0 t2
ping_ok 1 10.30.0.4
vping_ok "h1 VID 10 -> h2 with native=30" 10 1 --mac "$MAC1" --ip 10.10.0.1 --dst 10.10.0.2 --vid 10 >/dev/null
cap_stop "$CAP_PID"
r30=$(cap_replies t2 10.30.0.4 10.30.0.1)
r10=$(cap_replies t2 10.10.0.2 10.10.0.1)
[ "$(echo "$r30" | grep -c .)" -ge 4 ] || fail "capture on h1 eth0: expected >= 4 echo replies from 10.30.0.4; got: $(cap_text t2)"
echo "$r30" | grep -q '802.1Q' && fail "native VLAN 30 frames sent tagged on the trunk: $r30"
[ "$(echo "$r10" | grep -c 'vlan 10,')" -ge 3 ] || fail "VLAN 10 replies not tagged 10 with native=30: $r10"
log "capture of native VLAN traffic:"
echo "$r30" | head -n 2
expect_json "fdb: h1 learned on p1 in VLAN 30" 'any(.[]; .mac == $ENV.MAC1 and .vlan == 30 and .port == "p1")' fdb-show
expect_json "vlan-show: VLAN 30 has p1 untagged and p4" \
    '.[] | select(.vlan == 30) | (.ports | sort_by(.name)) == [{"name": "p1", "tagged": false}, {"name": "p4", "tagged": false}]' vlan-show

log "a frame tagged with the native VID is VLAN 30 too, and answered untagged"
vping_ok "h1 VID 30 -> h4 with native=30: untagged replies" -1 1 \
    --mac "$MAC1" --ip 10.30.0.9 --dst 10.30.0.4 --vid 30 >/dev/null

log "trunks= (empty): every VLAN"
vsctl_ok set-port p1 trunks= >/dev/null
expect_json "p1 trunk, trunks \"\", native still 30" \
    '.[] | select(.name == "p1") | .vlan_mode == "trunk" and .trunks == "" and .native == 30' list-ports
before=$(port_stat p1 .drops.vlan_not_allowed)
vping_ok "h1 VID 40 -> h5 (access 40) with all VLANs allowed" 40 1 \
    --mac "$MAC1" --ip 10.40.0.1 --dst 10.40.0.5 --vid 40 >/dev/null
after=$(port_stat p1 .drops.vlan_not_allowed)
[ "$after" = "$before" ] || fail "vlan_not_allowed went from $before to $after with trunks= (all)"
ping_ok 1 10.30.0.4

log "trunks=10,15-25: a range"
vsctl_ok set-port p1 trunks=10,15-25 >/dev/null
expect_json "p1 trunks 10,15-25" '.[] | select(.name == "p1") | .trunks == "10,15-25"' list-ports
vping_ok "h1 VID 20 -> h3 with trunks=10,15-25" 20 1 --mac "$MAC1" --ip 10.20.0.1 --dst 10.20.0.3 --vid 20 >/dev/null
vping_fail "h1 VID 40 -> h5 with trunks=10,15-25" 1 --mac "$MAC1" --ip 10.40.0.1 --dst 10.40.0.5 --vid 40 --count 1

log "vlan_mode=untagged clears trunks and native"
vsctl_ok set-port p1 vlan_mode=untagged >/dev/null
expect_json "p1 untagged, no trunks, native 0" \
    '.[] | select(.name == "p1") | .vlan_mode == "untagged" and (.native == 0 or .native == null)' list-ports
ping_fail 1 10.30.0.4
vsw_alive || fail "vswitchd died"
exit 0
