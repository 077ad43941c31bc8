#!/bin/bash
# Two hosts on untagged af_packet ports: ping both ways, a bulk TCP transfer (iperf3 and a
# checked copy), port-stats counters, fdb-show, show/worker-stats/version output.
source "$(dirname "$0")/lib.sh"
vsw_init ba

add_host 1 10.1.0.1/24
add_host 2 10.1.0.2/24

# h9 is not attached to the switch: the broadcast frames it sends while the ports are being
# attached must not show up in the switch (its veth is just another interface of the root
# namespace, where the af_packet sockets are opened).
add_host 9
export NOISE_MAC
NOISE_MAC=$(hmac 9)
ip netns exec "$(hns 9)" timeout 20 python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("eth0", 0))
f = bytes.fromhex("ffffffffffff" + sys.argv[1].replace(":", "") + "88b5") + bytes(46)
while True:
    s.send(f)
    time.sleep(0.0005)
' "$NOISE_MAC" >/dev/null 2>&1 &
NOISE=$!
bg_register "$NOISE"
cap_start 1 eth0 noise1 ether src "$NOISE_MAC"
NOISECAP=$CAP_PID

vsw_start
attach 1
attach 2
sleep 0.5
bg_stop "$NOISE"
cap_stop "$NOISECAP"
log "frames from an interface that is not a port"
expect_json "FDB has no entry for unattached h9's MAC" 'all(.[]; .mac != $ENV.NOISE_MAC)' fdb-show
[ -z "$(cap_text noise1)" ] ||
    fail "frames sent on unattached $(hsw 9) were switched to h1 ($(cap_text noise1 | wc -l) frames): $(cap_text noise1 | head -n 2)"
export MAC1 MAC2 SW1 SW2
MAC1=$(hmac 1)
MAC2=$(hmac 2)
SW1=$(hsw 1)
SW2=$(hsw 2)

log "list-ports"
expect_json "list-ports has exactly p1 and p2" '[.[].name] | sort == ["p1", "p2"]' list-ports
expect_json "p1 is an up, untagged af_packet port with MTU 1500 on its veth" \
    '.[] | select(.name == "p1") | .state == "up" and .mtu == 1500 and .vlan_mode == "untagged"
        and (.devargs | contains($ENV.SW1)) and (.driver | test("af_packet"))' list-ports
expect_json "p2 devargs name its veth" '.[] | select(.name == "p2") | .devargs | contains($ENV.SW2)' list-ports
expect_json "port MACs are valid unicast MACs" \
    'all(.[]; .mac | test("^[0-9a-f]{2}(:[0-9a-f]{2}){5}$"; "i"))' list-ports

log "port-stats before traffic"
expect_json "port-stats lists p1 and p2 with every drop reason" \
    '([.[].name] | sort == ["p1", "p2"]) and all(.[]; .drops | has("runt") and has("oversize")
        and has("bad_src_mac") and has("vlan_tagged_on_access") and has("vlan_not_allowed")
        and has("hairpin") and has("no_destination") and has("mtu_exceeded") and has("tx_full")
        and has("no_mbuf") and has("port_down"))' port-stats
vsctl_ok clear-stats >/dev/null
expect_json "counters are zero after clear-stats" \
    'all(.[]; .rx_packets == 0 and .tx_packets == 0 and .rx_bytes == 0 and .tx_bytes == 0)' port-stats

log "ping both ways"
ping_ok 1 10.1.0.2
ping_ok 2 10.1.0.1

log "fdb-show"
expect_json "fdb has h1's MAC on p1 and h2's MAC on p2, VLAN 0" \
    'any(.[]; .mac == $ENV.MAC1 and .port == "p1" and .vlan == 0)
     and any(.[]; .mac == $ENV.MAC2 and .port == "p2" and .vlan == 0)' fdb-show
expect_json "each MAC is learned only once" \
    '[.[] | select(.mac == $ENV.MAC1 or .mac == $ENV.MAC2)] | length == 2' fdb-show
expect_json "fdb-show port=p1 lists h1's MAC and nothing on other ports" \
    'any(.[]; .mac == $ENV.MAC1) and all(.[]; .port == "p1")' fdb-show port=p1
expect_json "fdb-show vlan=5 is empty" 'length == 0' fdb-show vlan=5
expect_json "fdb ages are small numbers" 'all(.[]; .age >= 0 and .age < 30)' fdb-show
expect_json "show: 2 ports, fdb_entries >= 2, ageing 300" \
    '(.ports | length) == 2 and .fdb_entries >= 2 and .fdb_capacity >= .fdb_entries and .ageing == 300
     and (.workers == 1 or (.workers | type == "array" and length == 1)) and (.name | type) == "string"' show

log "counters after ping"
p1_rx=$(port_stat p1 .rx_packets)
p1_tx=$(port_stat p1 .tx_packets)
p2_rx=$(port_stat p2 .rx_packets)
p2_tx=$(port_stat p2 .tx_packets)
[ "$p1_rx" -ge 7 ] || fail "p1 rx_packets is $p1_rx after 7+ echo requests from h1"
[ "$p2_rx" -ge 7 ] || fail "p2 rx_packets is $p2_rx after 7+ echo requests from h2"
[ "$p1_tx" -ge 7 ] || fail "p1 tx_packets is $p1_tx after 7+ echo requests to h1"
[ "$p2_tx" -ge 7 ] || fail "p2 tx_packets is $p2_tx after 7+ echo requests to h2"

log "bulk TCP: iperf3 -t 3 from h1 to h2"
bytes=$(iperf_run 2 10.1.0.2 1) || exit 1
log "iperf3 received $bytes bytes"
[ "$bytes" -ge $((10 * 1048576)) ] || fail "iperf3 moved only $bytes bytes in 3 s (expected > 10 MiB)"

log "bulk TCP: 8 MiB copy from h2 to h1, content checked"
tcp_copy 1 10.1.0.1 2 8

p1_rx2=$(port_stat p1 .rx_bytes)
p2_rx2=$(port_stat p2 .rx_bytes)
p1_tx2=$(port_stat p1 .tx_bytes)
p2_tx2=$(port_stat p2 .tx_bytes)
[ "$p1_rx2" -ge "$bytes" ] || fail "p1 rx_bytes $p1_rx2 < $bytes bytes sent by h1 through iperf3"
[ "$p2_tx2" -ge "$bytes" ] || fail "p2 tx_bytes $p2_tx2 < $bytes bytes delivered to h2 by iperf3"
[ "$p2_rx2" -ge $((8 * 1048576)) ] || fail "p2 rx_bytes $p2_rx2 < 8 MiB sent by h2"
[ "$p1_tx2" -ge $((8 * 1048576)) ] || fail "p1 tx_bytes $p1_tx2 < 8 MiB delivered to h1"
expect_json "no drops on the way (besides flood-related reasons)" \
    'all(.[]; .drops.runt == 0 and .drops.oversize == 0 and .drops.bad_src_mac == 0
        and .drops.mtu_exceeded == 0 and .drops.vlan_tagged_on_access == 0)' port-stats

log "clear-stats p1 only"
vsctl_ok clear-stats p1 >/dev/null
expect_json "clear-stats p1 resets p1 and not p2" \
    '(.[] | select(.name == "p1") | .rx_packets < 50) and (.[] | select(.name == "p2") | .rx_packets > 1000)' port-stats
expect_json "port-stats p2 shows only p2" '[.[].name] == ["p2"]' port-stats p2

log "worker-stats, version"
expect_json "worker-stats: one worker serving p1 and p2 with packets" \
    'length == 1 and (.[0].ports | sort) == ["p1", "p2"] and .[0].packets > 0' worker-stats
expect_json "version has vswitchctl, vswitchd and protocol" \
    'has("vswitchctl") and has("vswitchd") and has("protocol")' version

log "admin=down on p2: the port stops, the kernel side loses carrier; admin=up restores it"
peer_carrier() { hx 2 ip -o link show eth0 | grep -q LOWER_UP; }
no_peer_carrier() { ! peer_carrier; }
vsctl_ok set-port p2 admin=down >/dev/null
expect_json "p2 down with admin down" '.[] | select(.name == "p2") | .state == "down" and .admin == "down"' list-ports
wait_for 10 no_peer_carrier || fail "h2's eth0 still has carrier after admin=down (af_packet sets the link down)"
ping_fail 1 10.1.0.2
vsctl_ok set-port p2 admin=up >/dev/null
wait_port_up p2
ping_ok 1 10.1.0.2

log "del-port p2: h1 can no longer reach h2, and p2 is gone"
vsctl_ok del-port p2 >/dev/null
expect_json "list-ports after del-port p2" '[.[].name] == ["p1"]' list-ports
expect_json "no fdb entry on p2 after del-port" 'all(.[]; .port != "p2")' fdb-show
ping_fail 1 10.1.0.2
log "re-add p2: traffic works again"
attach 2
ping_ok 1 10.1.0.2
vsw_alive || fail "vswitchd died"
exit 0
