#!/bin/bash
# vswitchctl error handling: every bad request exits non-zero (1 refused, 2 usage error) with a
# message on stderr, and leaves the switch unchanged (list-ports --json, ageing). An unreachable
# switch gives exit status 3. An unprivileged user cannot use the control socket.
source "$(dirname "$0")/lib.sh"
vsw_init ce

add_host 1 10.1.0.1/24
add_host 2 10.1.0.2/24
add_host 3
vsw_start
attach 1 p1 tag=10
attach 2 p2 trunks=10,20 native=10
SW3=$(hsw 3)

snapshot() { vsjson list-ports | jq -S .; }
S0=$(snapshot) || exit 1
ping_ok 1 10.1.0.2

# expect_err ARGS...: vswitchctl ARGS must fail with status 1 or 2 and say why on stderr
# ("vswitchctl: MESSAGE" when refused). Problems are collected and reported together; the test
# stops at once if the switch dies.
NCASES=0
PROBLEMS=""
problem() {
    PROBLEMS="$PROBLEMS
    $*"
    echo "    ^^^ $*"
}
expect_err() {
    local rc
    vsctl "$@" >"$T/out" 2>"$T/err"
    rc=$?
    NCASES=$((NCASES + 1))
    printf '    %-50s -> %s: %s\n' "$*" "$rc" "$(head -n 1 "$T/err")"
    vsw_alive || fail "vswitchd died on 'vswitchctl $*' (exit $rc, stderr: $(cat "$T/err"))"
    case $rc in
        0) problem "'vswitchctl $*' succeeded (stdout: $(cat "$T/out")), expected an error" ;;
        1 | 2)
            if [ ! -s "$T/err" ]; then
                problem "'vswitchctl $*' exited $rc with nothing on stderr"
            elif [ "$rc" = 1 ] && ! head -n 1 "$T/err" | grep -q '^vswitchctl: .*[^[:space:]]'; then
                problem "'vswitchctl $*' refused (1) without a reason: stderr is '$(cat "$T/err")'"
            fi
            ;;
        124) problem "'vswitchctl $*' hung (killed after 30 s)" ;;
        *) problem "'vswitchctl $*' exited $rc, expected 1 (refused) or 2 (usage); stderr: $(cat "$T/err")" ;;
    esac
    return 0
}

log "unknown port"
expect_err set-port nosuch mtu=1500
expect_err del-port nosuch
expect_err port-stats nosuch
expect_err clear-stats nosuch

log "bad VLAN settings"
expect_err set-port p1 tag=0
expect_err set-port p1 tag=4095
expect_err set-port p1 tag=-1
expect_err set-port p1 tag=abc
expect_err set-port p2 trunks=5000
expect_err set-port p2 trunks=4095
expect_err set-port p2 trunks=10-5000
expect_err set-port p2 trunks=10,abc
expect_err set-port p2 native=4095
expect_err set-port p2 native=-1
expect_err set-port p1 vlan_mode=bogus

log "bad MTU"
expect_err set-port p1 mtu=20
expect_err set-port p1 mtu=67
expect_err set-port p1 mtu=9199
expect_err set-port p1 mtu=10000
expect_err set-port p1 mtu=abc
expect_err set-port p1 mtu=

log "bad keys, and a request that is refused as a whole"
expect_err set-port p1 foo=1
expect_err set-port p1 mtu
expect_err set-port p1 mtu=9000 tag=4095
expect_err set-port p1 tag=20 mtu=10000

log "bad add-port"
expect_err add-port p3 "bogus_driver_xyz,iface=$SW3"
expect_err add-port p3 "net_af_packet,iface=vsw-nonexistent0"
expect_err add-port p3 "=,="
expect_err add-port p3 ""
expect_err add-port p3 "net_af_packet,iface=$SW3" mtu=10000
expect_err add-port p3 "net_af_packet,iface=$SW3" tag=4095
expect_err add-port p1 "net_af_packet,iface=$SW3"
expect_err add-port "" "net_af_packet,iface=$SW3"

log "unknown command, missing arguments, bad values"
expect_err frobnicate
expect_err
expect_err add-port
expect_err add-port p3
expect_err set-port
expect_err set-port p1
expect_err del-port
expect_err set-ageing
expect_err set-ageing 0
expect_err set-ageing 1000001
expect_err set-ageing -5
expect_err set-ageing abc
expect_err fdb-show vlan=5000
expect_err fdb-flush vlan=abc
expect_err --json set-port p1 tag=0
expect_err add-port p3 "net_af_packet,iface"   # a devargs key without a value
[ -z "$PROBLEMS" ] || fail "bad requests not handled as specified:$PROBLEMS"
log "$NCASES bad requests refused"

log "nothing changed"
S1=$(snapshot) || exit 1
[ "$S0" = "$S1" ] || fail "list-ports changed after refused requests; before: $(echo "$S0" | jq -c .) after: $(echo "$S1" | jq -c .)"
expect_json "ageing still 300" '.ageing == 300' show
vsw_alive || fail "vswitchd died during the error cases"
ping_ok 1 10.1.0.2

log "unreachable switch: exit status 3"
timeout 30 "$VSWITCHCTL" -s "$T/nonexistent.sock" -t 5 version >"$T/out" 2>"$T/err"
rc=$?
[ "$rc" = 3 ] || fail "vswitchctl -s $T/nonexistent.sock version exited $rc, expected 3; stderr: $(cat "$T/err")"
[ -s "$T/err" ] || fail "no message on stderr when the switch cannot be reached"

log "unprivileged user"
SOCK=$(vsw_dir)/sock
mode=$(stat -c %a "$SOCK")
[ "$mode" = 600 ] || fail "control socket $SOCK has mode $mode, expected 600"
# Let nobody reach the socket itself: only the switch's own protection applies.
chmod 0755 "$T" "$(vsw_dir)"
CTL=$VSWITCHCTL
if ! setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$CTL"; then
    cp "$VSWITCHCTL" "$T/vswitchctl" && chmod 0755 "$T/vswitchctl"
    CTL=$T/vswitchctl
fi
for args in "list-ports" "set-port p1 mtu=9000" "del-port p2" "fdb-flush" "set-ageing 5"; do
    # shellcheck disable=SC2086
    timeout 30 setpriv --reuid=65534 --regid=65534 --clear-groups "$CTL" -s "$SOCK" -t 5 $args >"$T/out" 2>"$T/err"
    rc=$?
    [ "$rc" != 0 ] || fail "user nobody could run 'vswitchctl $args' (stdout: $(cat "$T/out"))"
    [ "$rc" != 124 ] || fail "'vswitchctl $args' as nobody hung"
    [ -s "$T/err" ] || fail "'vswitchctl $args' as nobody exited $rc with nothing on stderr"
    printf '    nobody: %-30s -> %s: %s\n' "$args" "$rc" "$(head -n 1 "$T/err")"
done
chmod 0700 "$T" "$(vsw_dir)"
S2=$(snapshot) || exit 1
[ "$S0" = "$S2" ] || fail "list-ports changed after requests from user nobody: $(echo "$S2" | jq -c .)"
expect_json "ageing still 300 after requests from nobody" '.ageing == 300' show

log "valid requests still work"
vsctl_ok set-port p1 mtu=1400 >/dev/null
expect_json "p1 mtu 1400" '.[] | select(.name == "p1") | .mtu == 1400' list-ports
vsctl_ok add-port p3 "net_af_packet,iface=$SW3" >/dev/null
wait_port_up p3
vsctl_ok del-port p3 >/dev/null
exit 0
