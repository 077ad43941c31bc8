#!/bin/bash
# MAC ageing: with set-ageing 2, entries stay while traffic flows and disappear within a
# bounded time after it stops; ages count up when idle; fdb-flush (all, port=) empties the table.
source "$(dirname "$0")/lib.sh"
vsw_init ag

add_host 1 10.1.0.1/24
add_host 2 10.1.0.2/24
# Static ARP entries: no ARP refresh traffic behind the test's back while it waits for ageing.
hx 1 ip neigh replace 10.1.0.2 lladdr "$(hmac 2)" dev eth0 nud permanent || fail "static ARP in h1"
hx 2 ip neigh replace 10.1.0.1 lladdr "$(hmac 1)" dev eth0 nud permanent || fail "static ARP in h2"
vsw_start
attach 1
attach 2
export MAC1 MAC2
MAC1=$(hmac 1)
MAC2=$(hmac 2)
both='any(.[]; .mac == $ENV.MAC1 and .port == "p1") and any(.[]; .mac == $ENV.MAC2 and .port == "p2")'
none='all(.[]; .mac != $ENV.MAC1 and .mac != $ENV.MAC2)'

expect_json "default ageing is 300" '.ageing == 300' show
vsctl_ok set-ageing 2 >/dev/null
expect_json "ageing is 2 after set-ageing 2" '.ageing == 2' show

log "entries stay while traffic flows (ping every 0.5 s for 5 s)"
ip netns exec "$(hns 1)" ping -n -c 10 -i 0.5 -W 1 10.1.0.2 >"$T/bgping.out" 2>&1 &
BGPING=$!
bg_register "$BGPING"
wait_for 5 json_holds "$both" fdb-show || fail "h1 and h2 not learned: $(vsctl --json fdb-show | jq -c .)"
sleep 3.2
expect_json "after 3 s of traffic with ageing 2, both entries present and fresh" \
    "$both"' and all(.[] | select(.mac == $ENV.MAC1 or .mac == $ENV.MAC2); .age <= 1)' fdb-show
wait "$BGPING"
got=$(_ping_count <"$T/bgping.out")
[ "$got" = 10 ] || fail "background ping got $got of 10 replies: $(cat "$T/bgping.out")"

log "traffic stopped: entries age out"
stop=$SECONDS
expect_json "entries still present right after the traffic stopped" "$both" fdb-show
wait_for 10 json_holds "$none" fdb-show ||
    fail "entries not aged out 10 s after traffic stopped with ageing 2: $(vsctl --json fdb-show | jq -c .)"
log "aged out after about $((SECONDS - stop)) s"
expect_json "show.fdb_entries is 0 after ageing" '.fdb_entries == 0' show

log "learning again after ageing"
ping_ok 1 10.1.0.2
expect_json "h1 and h2 learned again" "$both" fdb-show

log "fdb-flush port=p1 and fdb-flush"
vsctl_ok set-ageing 300 >/dev/null
expect_json "ageing is 300" '.ageing == 300' show
ping_ok 1 10.1.0.2
vsctl_ok fdb-flush port=p1 >/dev/null
expect_json "fdb-flush port=p1 removes MAC1 and keeps MAC2" \
    'all(.[]; .port != "p1") and any(.[]; .mac == $ENV.MAC2 and .port == "p2")' fdb-show
ping_ok 1 10.1.0.2
expect_json "both learned" "$both" fdb-show
vsctl_ok fdb-flush >/dev/null
expect_json "fdb-flush empties the table" 'length == 0' fdb-show
expect_json "show.fdb_entries is 0 after fdb-flush" '.fdb_entries == 0' show

log "with ageing 300, idle entries stay and their age counts up"
ping_ok 1 10.1.0.2
sleep 3
expect_json "entries kept after 3 s idle with ageing 300, age >= 2" \
    "$both"' and all(.[] | select(.mac == $ENV.MAC1 or .mac == $ENV.MAC2); .age >= 2 and .age <= 10)' fdb-show
vsw_alive || fail "vswitchd died"
exit 0
