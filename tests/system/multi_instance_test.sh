#!/bin/bash
# Two vswitchd instances side by side (different --name; b with 2 workers), each switching its
# own pair of namespaces, isolated from each other. When idle, each uses little CPU, and the
# first ping after the idle period is answered.
source "$(dirname "$0")/lib.sh"
vsw_init mi

add_host 1 10.1.0.1/24
add_host 2 10.1.0.2/24
add_host 3 10.1.0.3/24
add_host 4 10.1.0.4/24
vsw_start a
vsw_start b --workers 2
attach 1
attach 2
VSW_INST=b attach 3
VSW_INST=b attach 4

for inst in a b; do
    name=$(vsw_name $inst)
    export NAME=$name
    VSW_INST=$inst expect_json "instance $inst: show names it $name" '.name == $ENV.NAME' show
    [ -e "/var/run/dpdk/vsw-$name" ] || fail "no DPDK runtime directory /var/run/dpdk/vsw-$name for instance $name"
    [ -S "/var/run/dpdk/vsw-$name/dpdk_telemetry.v2" ] ||
        fail "no telemetry socket /var/run/dpdk/vsw-$name/dpdk_telemetry.v2: $(ls "/var/run/dpdk/vsw-$name" 2>&1)"
done
expect_json "instance a has p1, p2" '[.[].name] | sort == ["p1", "p2"]' list-ports
VSW_INST=b expect_json "instance b has p3, p4" '[.[].name] | sort == ["p3", "p4"]' list-ports
VSW_INST=b expect_json "instance b: 2 workers, each of p3, p4 served by exactly one" \
    'length == 2 and ([.[].ports[]] | sort) == ["p3", "p4"]' worker-stats

log "each instance switches its own hosts"
ping_ok 1 10.1.0.2
ping_ok 2 10.1.0.1
ping_ok 3 10.1.0.4
ping_ok 4 10.1.0.3
ping_fail 1 10.1.0.3
ping_fail 4 10.1.0.2
VSW_INST=b expect_json "instance b's FDB has only its hosts" \
    'all(.[]; .port == "p3" or .port == "p4") and length >= 2' fdb-show
bytes=$(iperf_run 4 10.1.0.4 3) || exit 1
[ "$bytes" -ge $((10 * 1048576)) ] || fail "iperf3 through instance b (2 workers) moved only $bytes bytes"

log "idle CPU use"
sleep 3
hz=$(getconf CLK_TCK)
pa=$(vsw_pid a)
pb=$(vsw_pid b)
a0=$(cpu_ticks "$pa")
b0=$(cpu_ticks "$pb")
t0=$(date +%s.%N)
sleep 2
a1=$(cpu_ticks "$pa")
b1=$(cpu_ticks "$pb")
t1=$(date +%s.%N)
pct_a=$(awk -v d=$((a1 - a0)) -v hz="$hz" -v t0="$t0" -v t1="$t1" 'BEGIN { printf "%d", 100 * d / hz / (t1 - t0) }')
pct_b=$(awk -v d=$((b1 - b0)) -v hz="$hz" -v t0="$t0" -v t1="$t1" 'BEGIN { printf "%d", 100 * d / hz / (t1 - t0) }')
log "idle CPU: instance a ${pct_a}%, instance b (2 workers) ${pct_b}%"
[ "$pct_a" -lt 20 ] || fail "idle vswitchd $(vsw_name a) used ${pct_a}% CPU over 2 s (limit 20%)"
[ "$pct_b" -lt 20 ] || fail "idle vswitchd $(vsw_name b) with 2 workers used ${pct_b}% CPU over 2 s (limit 20%)"

log "first ping after idle"
out=$(hx 1 ping -n -c 1 -W 2 10.1.0.2 2>&1) || fail "first ping after idle through instance a failed: $out"
out=$(hx 3 ping -n -c 1 -W 2 10.1.0.4 2>&1) || fail "first ping after idle through instance b failed: $out"

log "changes on one instance do not touch the other"
B0=$(VSW_INST=b vsjson list-ports | jq -S .) || exit 1
vsctl_ok del-port p2 >/dev/null
vsctl_ok set-ageing 10 >/dev/null
B1=$(VSW_INST=b vsjson list-ports | jq -S .) || exit 1
[ "$B0" = "$B1" ] || fail "instance b's ports changed after del-port on instance a"
VSW_INST=b expect_json "instance b's ageing still 300" '.ageing == 300' show
ping_ok 3 10.1.0.4
ping_fail 1 10.1.0.2

log "stopping instance a leaves b running"
vsw_stop a
vsw_alive a && fail "instance a still running after SIGTERM"
vsw_alive b || fail "instance b died when a was stopped"
ping_ok 4 10.1.0.3
exit 0
