#!/bin/bash
# The main job: set up (packages, build), start vswitchd, attach three namespaces ("hosts")
# through af_packet - two on VLAN 10, one on VLAN 20 - show them pinging and transferring where
# allowed and isolated where not, print the switch's state and counters, and tear down.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh >/dev/null
[[ $(id -u) -eq 0 ]] || { echo "demo: needs root (namespaces, veth)" >&2; exit 1; }

B=build
T=$(mktemp -d /tmp/vsw-demo.XXXXXX)
CTL="$B/ctl/vswitchctl -s $T/sock"
HOSTS=(1 2 3)
cleanup() {
  [[ -s $T/pid ]] && kill "$(cat "$T/pid")" 2>/dev/null && sleep 1
  for i in "${HOSTS[@]}"; do ip netns del "demo-h$i" 2>/dev/null || true; done
  rm -rf "$T"
}
trap cleanup EXIT

for i in "${HOSTS[@]}"; do
  ip netns del "demo-h$i" 2>/dev/null || true   # leftovers of an interrupted run
  ip link del "demo-sw$i" 2>/dev/null || true
  ip netns add "demo-h$i"
  ip link add "demo-sw$i" type veth peer name eth0 netns "demo-h$i"
  sysctl -qw "net.ipv6.conf.demo-sw$i.disable_ipv6=1"
  ip link set "demo-sw$i" up
  ip -n "demo-h$i" addr add "10.10.0.$i/24" dev eth0
  ip -n "demo-h$i" link set eth0 up
  # af_packet cannot tell the switch that a frame's checksum is still to be filled in
  # (CHECKSUM_PARTIAL), so the sending veth must complete checksums and segments itself.
  ip netns exec "demo-h$i" ethtool -K eth0 tx off tso off gso off >/dev/null
  ip -n "demo-h$i" link set lo up
done

echo "== starting vswitchd"
$B/vswitch/vswitchd --name demo --socket "$T/sock" --config "$T/conf.json" --hugepages off \
  --detach --pidfile "$T/pid" --log-file "$T/log"
$CTL add-port h1 net_af_packet,iface=demo-sw1 tag=10
$CTL add-port h2 net_af_packet,iface=demo-sw2 tag=10
$CTL add-port h3 net_af_packet,iface=demo-sw3 tag=20
$CTL show
echo
$CTL vlan-show

echo; echo "== h1 -> h2 (both VLAN 10): must pass"
ip netns exec demo-h1 ping -c 3 -i 0.2 -W 1 10.10.0.2
echo; echo "== h1 -> h3 (VLAN 10 -> VLAN 20): must fail"
if ip netns exec demo-h1 ping -c 2 -i 0.2 -W 1 10.10.0.3 >/dev/null; then
  echo "UNEXPECTED: VLANs are not isolated"; exit 1
fi
echo "isolated, as it should be"

echo; echo "== iperf3 h2 -> h1, 3 s"
ip netns exec demo-h1 iperf3 -s -1 -D -p 5201
sleep 0.5
ip netns exec demo-h2 timeout 20 iperf3 -c 10.10.0.1 -p 5201 -t 3 | tail -4

echo; echo "== MAC table, counters, workers"
$CTL fdb-show
$CTL port-stats
$CTL worker-stats
echo; echo "demo: done, tearing down"
