#!/bin/bash
# Access ports: h1, h2 on VLAN 10 and h3, h4 on VLAN 20, all in one IP subnet. Same-VLAN pings
# work, cross-VLAN pings do not; the FDB carries the VLANs; vlan-show lists the membership;
# tagged frames on an access port are dropped; moving a port to another VLAN takes effect.
source "$(dirname "$0")/lib.sh"
vsw_init vl

for n in 1 2 3 4; do
    add_host "$n" "10.1.0.$n/24"
done
vsw_start
attach 1 p1 tag=10                      # add-port with KEY=VALUE
attach 2 p2 vlan_mode=access tag=10
attach 3 p3
attach 4 p4
vsctl_ok set-port p3 tag=20 >/dev/null  # tag= alone makes an access port
vsctl_ok set-port p4 vlan_mode=access tag=20 >/dev/null
export MAC1 MAC2 MAC3 MAC4
MAC1=$(hmac 1)
MAC2=$(hmac 2)
MAC3=$(hmac 3)
MAC4=$(hmac 4)

expect_json "list-ports: p1, p2 access tag 10; p3, p4 access tag 20" \
    '(map({key: .name, value: [.vlan_mode, .tag]}) | from_entries) ==
     {"p1": ["access", 10], "p2": ["access", 10], "p3": ["access", 20], "p4": ["access", 20]}' list-ports

log "vlan-show"
expect_json "vlan-show: VLAN 10 = p1, p2 untagged; VLAN 20 = p3, p4 untagged" \
    '(map(select(.ports | length > 0)) | map({key: (.vlan | tostring), value: (.ports | sort_by(.name))}) | from_entries) ==
     {"10": [{"name": "p1", "tagged": false}, {"name": "p2", "tagged": false}],
      "20": [{"name": "p3", "tagged": false}, {"name": "p4", "tagged": false}]}' vlan-show

log "same-VLAN pings"
ping_ok 1 10.1.0.2
ping_ok 2 10.1.0.1
ping_ok 3 10.1.0.4
ping_ok 4 10.1.0.3

log "cross-VLAN pings must fail"
ping_fail 1 10.1.0.3
ping_fail 1 10.1.0.4
ping_fail 4 10.1.0.2
ping_fail 3 10.1.0.1

log "FDB entries carry the VLAN"
expect_json "h1, h2 learned in VLAN 10 and h3, h4 in VLAN 20 on their ports" \
    'any(.[]; .mac == $ENV.MAC1 and .vlan == 10 and .port == "p1")
     and any(.[]; .mac == $ENV.MAC2 and .vlan == 10 and .port == "p2")
     and any(.[]; .mac == $ENV.MAC3 and .vlan == 20 and .port == "p3")
     and any(.[]; .mac == $ENV.MAC4 and .vlan == 20 and .port == "p4")' fdb-show
expect_json "no host learned in a VLAN it is not in" \
    'all(.[]; (.mac == $ENV.MAC1 or .mac == $ENV.MAC2) as $ten | (.mac == $ENV.MAC3 or .mac == $ENV.MAC4) as $twenty
              | (($ten | not) or .vlan == 10) and (($twenty | not) or .vlan == 20))' fdb-show
expect_json "fdb-show vlan=10 lists only VLAN 10 entries, both hosts" \
    'all(.[]; .vlan == 10) and ([.[].mac] | index($ENV.MAC1) != null and index($ENV.MAC2) != null)' fdb-show vlan=10
expect_json "fdb-show vlan=20 port=p3 lists only h3" \
    'length >= 1 and all(.[]; .vlan == 20 and .port == "p3" and .mac == $ENV.MAC3)' fdb-show vlan=20 port=p3

log "fdb-flush vlan=10 leaves VLAN 20"
vsctl_ok fdb-flush vlan=10 >/dev/null
expect_json "no VLAN 10 entries, VLAN 20 entries kept after fdb-flush vlan=10" \
    'all(.[]; .vlan != 10) and any(.[]; .mac == $ENV.MAC3 and .vlan == 20)' fdb-show

log "a tagged frame on an access port is dropped (vlan_tagged_on_access)"
before=$(port_stat p1 .drops.vlan_tagged_on_access)
vping_fail "ARP/ICMP tagged with VID 10 from h1 on access port p1" 1 \
    --mac "$MAC1" --ip 10.1.0.1 --dst 10.1.0.2 --vid 10
after=$(port_stat p1 .drops.vlan_tagged_on_access)
[ "$after" -ge $((before + 3)) ] ||
    fail "p1 drops.vlan_tagged_on_access went from $before to $after after 3 tagged ARP requests"

log "priority-tagged (VID 0) frames on an access port are taken as its VLAN and leave untagged"
cap_start 2 eth0 prio
vping_ok "priority-tagged ping from h1 (access VLAN 10) to h2; untagged replies" -1 1 \
    --mac "$MAC1" --ip 10.1.0.1 --dst 10.1.0.2 --vid 0 --pcp 3 >/dev/null
cap_stop "$CAP_PID"
[ "$(cap_text prio | grep -c '10.1.0.1 > 10.1.0.2: ICMP echo request')" -ge 3 ] ||
    fail "priority-tagged echo requests from h1 did not reach h2; capture: $(cap_text prio)"
if cap_text prio | grep -E 'Request who-has|ICMP echo request' | grep -q '802.1Q'; then
    fail "priority-tagged frames left access port p2 still tagged: $(cap_text prio)"
fi

log "moving p3 to VLAN 10 joins h3 to h1 and h2"
vsctl_ok set-port p3 tag=10 >/dev/null
ping_ok 1 10.1.0.3
ping_fail 4 10.1.0.3
expect_json "vlan-show after the move: VLAN 10 = p1, p2, p3; VLAN 20 = p4" \
    '(map(select(.ports | length > 0)) | map({key: (.vlan | tostring), value: ([.ports[].name] | sort)}) | from_entries) ==
     {"10": ["p1", "p2", "p3"], "20": ["p4"]}' vlan-show
expect_json "h3 learned in VLAN 10 now" \
    'any(.[]; .mac == $ENV.MAC3 and .vlan == 10 and .port == "p3")' fdb-show

log "vlan_mode=untagged clears the tag: p4 and p3 back to VLAN 0"
vsctl_ok set-port p3 vlan_mode=untagged >/dev/null
vsctl_ok set-port p4 vlan_mode=untagged >/dev/null
expect_json "p3, p4 untagged with no tag" \
    'all(.[] | select(.name == "p3" or .name == "p4"); .vlan_mode == "untagged" and (.tag == 0 or .tag == null))' list-ports
ping_ok 3 10.1.0.4
ping_fail 3 10.1.0.1
vsw_alive || fail "vswitchd died"
exit 0
