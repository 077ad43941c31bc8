#!/bin/bash
# Persistence: ports with VLANs and MTUs are configured, vswitchd is killed with SIGKILL and
# started again with the same config file; list-ports, the kernel MTUs and the traffic come
# back. A watcher reads the config file in a tight loop all along: it must always be valid JSON
# (and, once written, never missing). Deleted ports stay deleted; a clean SIGTERM restart too.
source "$(dirname "$0")/lib.sh"
vsw_init rs

add_host 1 10.1.0.1/24 9000
add_host 2 10.1.0.2/24 9000
add_host 3 "" 4000
add_host 4 10.1.0.4/24
add_host 5 10.1.0.5/24
vsw_start
CONF=$(vsw_dir)/conf.json

cat >"$T/watch.py" <<'EOF'
import json, signal, sys, time
path, out = sys.argv[1], sys.argv[2]
stop = False
def on_term(*_):
    global stop
    stop = True
signal.signal(signal.SIGTERM, on_term)
r = {"reads": 0, "invalid": 0, "missing": 0, "bad": []}
seen = False
while not stop:
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        if seen:
            r["missing"] += 1
        time.sleep(0.002)
        continue
    seen = True
    r["reads"] += 1
    try:
        json.loads(data)
    except ValueError:
        r["invalid"] += 1
        if len(r["bad"]) < 3:
            r["bad"].append(data[:300].decode("latin-1"))
    time.sleep(0.002)
with open(out, "w") as f:
    json.dump(r, f)
EOF
python3 "$T/watch.py" "$CONF" "$T/watch.json" &
WATCH=$!
bg_register "$WATCH"

log "configure"
attach 1 p1 tag=10 mtu=9000
attach 2 p2 tag=10 mtu=9000
attach 3 p3 trunks=10,20-30 native=5 mtu=4000
attach 4 p4
attach 5 p5
ping_ok 4 10.1.0.5
vsctl_ok set-port p4 mtu=1400 >/dev/null
for i in $(seq 1 30); do
    vsctl_ok set-port p4 mtu=$((1400 + i)) >/dev/null
done
vsctl_ok set-port p4 mtu=1500 >/dev/null
vsctl_ok del-port p5 >/dev/null
jq -e . "$CONF" >/dev/null 2>&1 || fail "config file $CONF is not valid JSON after configuration"

ports_view='map({name, devargs, mtu, vlan_mode, tag, trunks, native}) | sort_by(.name)'
before=$(vsjson list-ports | jq -S "$ports_view") || exit 1
echo "$before" | jq -e 'length == 4 and ([.[].name] == ["p1", "p2", "p3", "p4"])' >/dev/null ||
    fail "unexpected ports before the restart: $before"
echo "$before" | jq -e '.[] | select(.name == "p3") | .trunks == "10,20-30" and .native == 5 and .mtu == 4000' >/dev/null ||
    fail "p3 not configured as asked before the restart: $before"

check_traffic() {
    ping_ok 1 10.1.0.2 -M "do" -s 8972
    vping_ok "trunk p3 VID 10 -> h1 ($1)" 10 3 --mac "$(hmac 3)" --ip 10.1.0.3 --dst 10.1.0.1 --vid 10 --size 3000 >/dev/null
}
check_traffic "before the restart"
ping_fail 4 10.1.0.5

log "kill -9 vswitchd"
pid=$(vsw_pid)
kill -KILL "$pid"
wait_for 5 _not_running "$pid" || fail "vswitchd $pid still running after SIGKILL"
jq -e . "$CONF" >/dev/null 2>&1 || fail "config file not valid JSON after SIGKILL"
# Reset the kernel MTUs: the restarted switch has to set them again.
for n in 1 2 3; do
    ip link set "$(hsw "$n")" mtu 1500
done

log "start again with the same config file"
vsw_start
[ "$(vsw_pid)" != "$pid" ] || fail "pidfile still has the old PID $pid"
for p in p1 p2 p3 p4; do
    wait_port_up "$p"
done
after=$(vsjson list-ports | jq -S "$ports_view") || exit 1
[ "$before" = "$after" ] || fail "list-ports differs after restart; before: $(echo "$before" | jq -c .) after: $(echo "$after" | jq -c .)"
for n in 1 2; do
    m=$(ip -j link show "$(hsw "$n")" | jq '.[0].mtu')
    [ "$m" = 9000 ] || fail "$(hsw "$n") MTU is $m after restart, expected 9000"
done
m=$(ip -j link show "$(hsw 3)" | jq '.[0].mtu')
[ "$m" = 4000 ] || fail "$(hsw 3) MTU is $m after restart, expected 4000"
check_traffic "after kill -9 and restart"
ping_fail 4 10.1.0.5

log "clean restart (SIGTERM)"
vsw_stop
vsw_alive && fail "vswitchd still running after SIGTERM"
jq -e . "$CONF" >/dev/null 2>&1 || fail "config file not valid JSON after SIGTERM"
vsw_start
after2=$(vsjson list-ports | jq -S "$ports_view") || exit 1
[ "$before" = "$after2" ] || fail "list-ports differs after SIGTERM restart: $(echo "$after2" | jq -c .)"
for p in p1 p2 p3 p4; do
    wait_port_up "$p"
done
check_traffic "after SIGTERM and restart"

log "config watcher"
bg_stop "$WATCH"
[ -s "$T/watch.json" ] || fail "config watcher left no result"
cat "$T/watch.json"
echo
jq -e '.reads > 100' "$T/watch.json" >/dev/null || fail "config watcher read the file only $(jq .reads "$T/watch.json") times"
jq -e '.invalid == 0' "$T/watch.json" >/dev/null ||
    fail "config file was seen with invalid JSON: $(jq -c . "$T/watch.json")"
jq -e '.missing == 0' "$T/watch.json" >/dev/null ||
    fail "config file was seen missing after it had been written: $(jq -c . "$T/watch.json")"
exit 0
