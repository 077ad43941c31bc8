#!/bin/bash
# The main job: set up (packages, build), start vswitchd and the hypervisor (vmmd), run three
# partitions whose NICs are netvsc ports of the switch - vm1 and vm2 on VLAN 10, vm3 on VLAN 20 -
# plus one namespace behind an af_packet uplink on VLAN 10; show them pinging and transferring
# where allowed and isolated where not, print the switch's and the hypervisor's state and
# counters, and tear everything down.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh >/dev/null
[[ $(id -u) -eq 0 ]] || { echo "demo: needs root (namespaces, veth, cgroups)" >&2; exit 1; }

B=build
T=$(mktemp -d /tmp/vsw-demo.XXXXXX)
CTL="$B/ctl/vswitchctl -s $T/sock"
VMM="$B/hypervisor/vmmctl -s $T/vmm.sock"
cleanup() {
  [[ -s $T/vmm.pid ]] && kill "$(cat "$T/vmm.pid")" 2>/dev/null && sleep 2
  [[ -s $T/pid ]] && kill "$(cat "$T/pid")" 2>/dev/null && sleep 1
  ip netns del demo-up 2>/dev/null || true
  rm -rf /var/run/dpdk/vsw-demo  # EAL runtime dir of --name demo (its telemetry socket)
  rm -rf "$T"
}
trap cleanup EXIT

# Wait up to $1 seconds for a command to succeed.
wait_for() {
  local n=$(($1 * 5))
  shift
  while ((n-- > 0)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  return 1
}
# Run a command in partition $1's network namespace.
in_vm() {
  local pid
  pid=$($VMM --json show "$1" | jq -r .pid)
  shift
  nsenter -t "$pid" -n "$@"
}
guest_ready() {
  $CTL --json list-ports | jq -e --arg p "$1" \
    '.[] | select(.name == $p) | .state == "up" and .netvsc.state == "open" and .netvsc.guest.rndis_ready' >/dev/null
}

echo "== an uplink namespace (10.10.0.100) behind an af_packet port"
ip netns del demo-up 2>/dev/null || true
ip link del demo-up0 2>/dev/null || true
ip netns add demo-up
ip link add demo-up0 type veth peer name eth0 netns demo-up
sysctl -qw net.ipv6.conf.demo-up0.disable_ipv6=1
ip link set demo-up0 up
ip -n demo-up addr add 10.10.0.100/24 dev eth0
ip -n demo-up link set eth0 up
ip -n demo-up link set lo up
# af_packet cannot tell the switch that a frame's checksum is still to be filled in
# (CHECKSUM_PARTIAL), so the sending veth must complete checksums and segments itself.
ip netns exec demo-up ethtool -K eth0 tx off tso off gso off >/dev/null

echo "== starting vswitchd (switch 'demo') and vmmd"
$B/vswitch/vswitchd --name demo --socket "$T/sock" --config "$T/conf.json" --hugepages off \
  --detach --pidfile "$T/pid" --log-file "$T/log"
$CTL add-port uplink net_af_packet,iface=demo-up0 tag=10
mkdir -p "$T/switches"
ln -s "$T/sock" "$T/switches/demo.sock"    # vmmd finds switch NAME at SWITCH-DIR/NAME.sock
$B/hypervisor/vmmd --name "demo$$" --socket "$T/vmm.sock" --config "$T/vmm.json" \
  --state-dir "$T/vmm" --switch-dir "$T/switches" --detach --pidfile "$T/vmm.pid" \
  --log-file "$T/vmm.log"

echo "== three partitions: vm1, vm2 (VLAN 10), vm3 (VLAN 20, same subnet)"
for i in 1 2 3; do
  $VMM create "vm$i" --memory 128 --cpus 0.5 --nic "switch=demo,mac=02:00:5e:00:00:0$i,port=vm$i" \
    --cmd "ip addr add 10.10.0.$i/24 dev eth0; exec sleep infinity"
  $VMM start "vm$i"
done
for i in 1 2 3; do
  wait_for 30 guest_ready "vm$i" || { echo "demo: vm$i's NIC did not come up" >&2; exit 1; }
done
$CTL set-port vm1 tag=10
$CTL set-port vm2 tag=10
$CTL set-port vm3 tag=20
$VMM list
echo
$CTL show
echo
$CTL vlan-show

echo; echo "== vm1 -> vm2 (both VLAN 10): must pass"
wait_for 10 in_vm vm1 ping -c 1 -W 1 10.10.0.2
in_vm vm1 ping -c 3 -i 0.2 -W 1 10.10.0.2
echo; echo "== uplink namespace -> vm2 (VLAN 10): must pass"
wait_for 10 ip netns exec demo-up ping -c 1 -W 1 10.10.0.2
ip netns exec demo-up ping -c 3 -i 0.2 -W 1 10.10.0.2
echo; echo "== vm1 -> vm3 (VLAN 10 -> VLAN 20): must fail"
if in_vm vm1 ping -c 2 -i 0.2 -W 1 10.10.0.3 >/dev/null; then
  echo "UNEXPECTED: VLANs are not isolated"; exit 1
fi
echo "isolated, as it should be"

echo; echo "== iperf3 vm1 -> vm2 through the switch, 3 s"
in_vm vm2 iperf3 -s -1 -D -p 5201
sleep 0.5
in_vm vm1 timeout 20 iperf3 -c 10.10.0.2 -p 5201 -t 3 | tail -4

echo; echo "== MAC table, counters, workers, partitions"
$CTL fdb-show
$CTL port-stats
$CTL worker-stats
$VMM show vm1
echo; echo "demo: done, tearing down"
