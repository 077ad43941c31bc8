#!/bin/bash
# An af_xdp port (h1) and an af_packet port (h2): ping both ways, bulk TCP both ways, counters,
# FDB; del-port removes the XDP program and the port can be added again; after a clean stop no
# XDP program is left on the interface.
# Skips (77) only when af_xdp cannot work at all here: no AF_XDP sockets in the kernel, or no
# af_xdp PMD in DPDK.
source "$(dirname "$0")/lib.sh"
vsw_init ax

if ! python3 -c 'import socket; socket.socket(44, socket.SOCK_RAW).close()' 2>"$T/xsk.err"; then
    skip "the kernel does not provide AF_XDP sockets: $(tail -n 1 "$T/xsk.err")"
fi
PMDS=$(ls -d "$(pkg-config --variable=libdir libdpdk 2>/dev/null || echo /usr/lib/x86_64-linux-gnu)"/dpdk/pmds-* 2>/dev/null | head -n 1)

add_host 1 10.1.0.1/24
add_host 2 10.1.0.2/24
vsw_start
XDEV="net_af_xdp,iface=$(hsw 1)${VSW_AFXDP_EXTRA:-}"

add_xdp_port() {
    if ! vsctl add-port p1 "$XDEV" >"$T/out" 2>"$T/err"; then
        if [ -n "$PMDS" ] && ! ls "$PMDS"/librte_net_af_xdp.so* >/dev/null 2>&1 &&
            ! grep -qi af_xdp "$(vsw_dir)/log"; then
            skip "DPDK has no af_xdp PMD in $PMDS; add-port said: $(cat "$T/err")"
        fi
        fail "'vswitchctl add-port p1 $XDEV' failed: $(cat "$T/err")"
    fi
    wait_port_up p1
}
xdp_attached() { ip -d -j link show "$1" | jq -e '.[0].xdp != null' >/dev/null; }

add_xdp_port
attach 2
export MAC1 MAC2
MAC1=$(hmac 1)
MAC2=$(hmac 2)

expect_json "p1 is an up af_xdp port" \
    '.[] | select(.name == "p1") | .state == "up" and (.driver | test("af_xdp")) and .mtu == 1500' list-ports
xdp_attached "$(hsw 1)" || fail "no XDP program on $(hsw 1) with an af_xdp port on it: $(ip -d link show "$(hsw 1)")"
log "$(ip -d link show "$(hsw 1)" | grep -o 'prog/xdp.*' | head -n 1)"

log "ping both ways"
ping_ok 1 10.1.0.2
ping_ok 2 10.1.0.1
expect_json "fdb: MAC1 on p1 (af_xdp), MAC2 on p2" \
    'any(.[]; .mac == $ENV.MAC1 and .port == "p1") and any(.[]; .mac == $ENV.MAC2 and .port == "p2")' fdb-show

log "bulk TCP both ways"
bytes=$(iperf_run 2 10.1.0.2 1) || exit 1
log "iperf3 h1 (af_xdp) -> h2: $bytes bytes"
[ "$bytes" -ge $((10 * 1048576)) ] || fail "iperf3 through the af_xdp port moved only $bytes bytes in 3 s"
tcp_copy 1 10.1.0.1 2 8
rx=$(port_stat p1 .rx_bytes)
tx=$(port_stat p1 .tx_bytes)
[ "$rx" -ge "$bytes" ] || fail "p1 (af_xdp) rx_bytes $rx < $bytes sent by iperf3"
[ "$tx" -ge $((8 * 1048576)) ] || fail "p1 (af_xdp) tx_bytes $tx < 8 MiB received by h1"

log "del-port and add-port again"
vsctl_ok del-port p1 >/dev/null
wait_for 5 sh -c "! ip -d -j link show $(hsw 1) | jq -e '.[0].xdp != null'" ||
    fail "XDP program still on $(hsw 1) after del-port: $(ip -d link show "$(hsw 1)")"
ping_fail 1 10.1.0.2
# DPDK 22.11's af_xdp PMD never destroys the UMEM on close (docs/cli.md, DEVARGS), so its XSK
# socket stays bound to queue 0 and binding it again in the same vswitchd fails with EBUSY.
# Closing that socket from vswitchd was tried: re-adds then work, but each deletion strands the
# fill queue's 2048 buffers of the shared pool, and 15 cycles emptied it (session 7's note).
# Re-adding is checked across a restart instead; the refusal must be clean meanwhile.
vsctl add-port p1 "net_af_xdp,iface=$(hsw 1)" >/dev/null 2>"$T/err" &&
    fail "re-adding an af_xdp port in the same process unexpectedly worked: drop this workaround"
grep -q "^vswitchctl: " "$T/err" || fail "refused re-add has no message: $(cat "$T/err")"
vsw_stop
vsw_start
add_xdp_port
ping_ok 1 10.1.0.2
ping_ok 2 10.1.0.1

log "clean stop leaves no XDP program"
vsw_stop
vsw_alive && fail "vswitchd still running after SIGTERM"
xdp_attached "$(hsw 1)" && fail "XDP program left on $(hsw 1) after vswitchd stopped: $(ip -d link show "$(hsw 1)")"
exit 0
