#!/bin/bash
# netvsc multi-queue end to end: vswitchd + vmmd + two partitions whose NICs have queues=4.
#  - each guest asks for 3 subchannels, vmmd offers them, vswitchd attaches them: 4 channels
#    open on each port, RSS enabled by the guest (port show), 3 subchannels open (vmmctl show);
#  - 8 parallel TCP streams each way (iperf3 -P 8), then 8 parallel TCP connections carrying
#    4 MiB of random bytes each whose SHA-256 the receiver checks: the per-channel counters of
#    both ports show traffic on more than one channel in both directions, the data is intact,
#    no guest protocol error, no ring-full drop;
#  - vswitchd killed and restarted: the guests attach again with their subchannels and traffic
#    resumes; a partition stopped: its port goes down, the other keeps working.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/vmm_lib.sh"

GUEST_INIT=${GUEST_INIT:-$VSW_BUILD/guest-drivers/vsw-guest-init}

vmm_require nsenter iperf3 -- "$GUEST_INIT"

vsw_init sc
vmm_init sc
SW=mq

port_json() { vsjson list-ports | jq -c ".[] | select(.name == \"$1\") | .netvsc"; }
# all 4 channels of both ports open and RSS on
ALL_QUEUES='[.[] | select(.type == "netvsc") | select(.netvsc.state == "open" and
    .netvsc.guest.rndis_ready and .netvsc.channels.open == 4 and .netvsc.rss.enabled)] | length == 2'
# channels of port $1 whose counter $2 is above $3
vsw_start
ln -s "$(vsw_dir)/sock" "$SWDIR/$SW.sock"

log "vmmd and two partitions with queues=4"
vmm_start "$GUEST_INIT"
vm_ok create vm1 --memory 160 --nic "switch=$SW,mac=02:00:5e:11:00:01,port=vm1,queues=4" \
    --cmd 'ip addr add 10.11.0.1/24 dev eth0; exec sleep 100000' >/dev/null
vm_ok create vm2 --memory 160 --nic "switch=$SW,mac=02:00:5e:11:00:02,port=vm2,queues=4" \
    --cmd 'ip addr add 10.11.0.2/24 dev eth0; exec sleep 100000' >/dev/null
for vm in vm1 vm2; do
    vm_ok start "$vm" >/dev/null
done
for vm in vm1 vm2; do
    wait_for 20 port_is_up "$vm" || fail "port $vm not up: $(port_json "$vm")"
done
wait_for 20 json_holds "$ALL_QUEUES" list-ports ||
    fail "not 4 channels with RSS on both ports: vm1 $(port_json vm1) vm2 $(port_json vm2)"
for vm in vm1 vm2; do
    n=$(vmmctl --json show "$vm" | jq '.vmbus.nics[0].subchannels_open')
    [ "$n" = 3 ] || fail "vmmctl show $vm: $n subchannels open, want 3: $(vmmctl --json show "$vm" | jq -c .vmbus.nics[0])"
done
vmmctl show vm1 | grep -q 'subchannels 3 offered 3 open' || fail "vmmctl show text: $(vmmctl show vm1)"
vsctl_ok show | grep -q 'channels: 4 open' || fail "vswitchctl show: $(vsctl_ok show)"

log "8 TCP streams each way"
vping_vm_ok vm1 10.11.0.2
vsctl_ok clear-stats >/dev/null
for dir in "" "-R"; do
    vx vm2 iperf3 -s -1 -D -p 5301 || fail "iperf3 server in vm2"
    sleep 0.5
    vx vm1 timeout 40 iperf3 -c 10.11.0.2 -p 5301 -P 8 -t 3 $dir -J >"$T/iperf.json" 2>&1 ||
        fail "iperf3 vm1 -> vm2 $dir: $(tail -c 500 "$T/iperf.json")"
    log "iperf3 -P 8 $dir: $(jq '.end.sum_received.bits_per_second / 1e6 | floor' "$T/iperf.json") Mbit/s"
    [ "$(jq '[.end.streams[] | select(.receiver.bytes > 0)] | length' "$T/iperf.json")" = 8 ] ||
        fail "not every stream moved data $dir"
    jq -e '.end.sum_received.bytes > 1000000' "$T/iperf.json" >/dev/null || fail "iperf3 moved too little $dir"
done

# 8 connections, 4 MiB of random bytes each, every one followed by its SHA-256 (64 hex
# characters): the receiver checks each. vx only enters the partition's network namespace.
cat >"$T/xfer.py" <<'PY'
import hashlib, os, socket, sys, threading
mode, host, port, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
size = 4 << 20
bad = []
def serve(c):
    data = b""
    while True:
        b = c.recv(1 << 16)
        if not b:
            break
        data += b
    body, digest = data[:-64], data[-64:].decode()
    if len(body) != size or hashlib.sha256(body).hexdigest() != digest:
        bad.append(len(body))
    c.close()
def send():
    body = os.urandom(size)
    s = socket.create_connection((host, port), timeout=30)
    s.sendall(body + hashlib.sha256(body).hexdigest().encode())
    s.shutdown(socket.SHUT_WR)
    s.recv(1)
    s.close()
if mode == "server":
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((host, port))
    ls.listen(n)
    ls.settimeout(60)
    print("ready", flush=True)
    ts = []
    for _ in range(n):
        c, _ = ls.accept()
        c.settimeout(60)
        t = threading.Thread(target=serve, args=(c,))
        t.start()
        ts.append(t)
    for t in ts:
        t.join()
    print("bad %d" % len(bad) if bad else "ok %d" % n, flush=True)
    sys.exit(1 if bad else 0)
else:
    ts = [threading.Thread(target=send) for _ in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
PY
for pair in "vm2 vm1 10.11.0.2" "vm1 vm2 10.11.0.1"; do
    set -- $pair
    vx "$1" timeout 90 /usr/bin/python3 "$T/xfer.py" server "$3" 5400 8 >"$T/xfer.out" 2>&1 &
    srv=$!
    wait_for 10 grep -q ready "$T/xfer.out" || fail "transfer server in $1: $(cat "$T/xfer.out")"
    vx "$2" timeout 90 /usr/bin/python3 "$T/xfer.py" client "$3" 5400 8 ||
        fail "transfer $2 -> $1 failed"
    wait "$srv" || fail "transfer $2 -> $1: data damaged: $(cat "$T/xfer.out")"
    log "8 x 4 MiB $2 -> $1: $(tail -1 "$T/xfer.out")"
done
vsctl_ok port-stats >"$T/stats.txt"
for vm in vm1 vm2; do
    for c in to_guest_packets from_guest_packets; do
        n=$(busy_channels "$vm" "$c" 50)
        [ "$n" -ge 2 ] || fail "port $vm: $c on $n channel(s), want >= 2: $(vsjson port-stats | jq -c ".[] | select(.name == \"$vm\") | .netvsc.channels")"
    done
done
grep -q 'netvsc channel 3' "$T/stats.txt" || fail "port-stats text has no per-channel lines: $(cat "$T/stats.txt")"
expect_json "no guest protocol errors" \
    'all(.[] | select(.netvsc); .netvsc.errors | to_entries | all(.value == 0))' port-stats
expect_json "no ring-full drops" \
    'all(.[] | select(.netvsc); .netvsc.channels | all(.ring_full == 0))' port-stats

log "vswitchd killed and restarted: subchannels come back"
kill -KILL "$(vsw_pid)"
wait_for 5 _not_running "$(vsw_pid)" || fail "vswitchd did not die"
vsw_start
wait_for 30 json_holds "$ALL_QUEUES" list-ports ||
    fail "channels not back after the restart: vm1 $(port_json vm1) vm2 $(port_json vm2)"
vping_vm_ok vm1 10.11.0.2
vx vm2 iperf3 -s -1 -D -p 5302 || fail "iperf3 server in vm2"
sleep 0.5
vx vm1 timeout 40 iperf3 -c 10.11.0.2 -p 5302 -P 4 -t 2 -J >"$T/iperf2.json" 2>&1 ||
    fail "iperf3 after the restart: $(tail -c 500 "$T/iperf2.json")"
jq -e '.end.sum_received.bytes > 1000000' "$T/iperf2.json" >/dev/null ||
    fail "iperf3 after the restart moved too little"
[ "$(busy_channels vm2 to_guest_packets 10)" -ge 2 ] || fail "after the restart: one channel only"

log "partition stopped: its port goes down, the other stays"
vm_ok stop vm2 >/dev/null
wait_for 20 json_holds '.[] | select(.name == "vm2") | .state == "down"' list-ports ||
    fail "vm2 port still up after stop: $(port_json vm2)"
json_holds '.[] | select(.name == "vm1") | .netvsc.channels.open == 4' list-ports ||
    fail "vm1 lost channels: $(port_json vm1)"
vsw_alive || fail "vswitchd died"
vm_ok start vm2 >/dev/null
wait_for 30 json_holds "$ALL_QUEUES" list-ports ||
    fail "vm2 not back with 4 channels: $(port_json vm2)"
vping_vm_ok vm1 10.11.0.2

