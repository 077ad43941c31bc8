#!/bin/bash
# Our guest driver batching small frames: two partitions run vsw-guest-pktgen (the driver without
# a kernel stack) and send each other 60-byte frames as fast as their send sections allow for
# 3 s. The driver puts up to max_pkt_per_msg (64) frames in one send section and NVSP message;
# vswitchd must take every one of them: no frame of a well-behaved guest dropped for lack of
# room in a receive poll (from_guest_burst_full), none corrupt, both directions flowing.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/vmm_lib.sh"

GUEST_PKTGEN=${GUEST_PKTGEN:-$VSW_BUILD/guest-drivers/vsw-guest-pktgen}

vmm_require -- "$GUEST_PKTGEN"

vsw_init pg
vmm_init pg
SW=pg
MAC_0=02:00:5e:40:00:01
MAC_1=02:00:5e:40:00:02

vsw_start
ln -s "$(vsw_dir)/sock" "$SWDIR/$SW.sock"
vmm_start "$GUEST_PKTGEN"

log "two pktgen partitions flood each other with 60-byte frames for 3 s"
vm_ok create p0 --memory 128 --nic "switch=$SW,mac=$MAC_0,port=p0" \
    --cmd "count=0 tx_seconds=3 size=60 dst=$MAC_1 seconds=2 ticks=1" >/dev/null
vm_ok create p1 --memory 128 --nic "switch=$SW,mac=$MAC_1,port=p1" \
    --cmd "count=0 tx_seconds=3 size=60 dst=$MAC_0 seconds=2 ticks=1" >/dev/null
vm_ok start p0 >/dev/null
vm_ok start p1 >/dev/null
for vm in p0 p1; do
    wait_for 60 sh -c "grep -q '\"bench\":\"guest_pktgen\",' '$VMM_STATE/$vm.log'" ||
        fail "$vm: pktgen did not finish: $(tail -20 "$VMM_STATE/$vm.log")"
    line=$(grep '"bench":"guest_pktgen",' "$VMM_STATE/$vm.log" | tail -1)
    log "$vm: $line"
    echo "$line" | jq -e '.rx >= 10000 and .rx_bad == 0' >/dev/null ||
        fail "$vm: too few frames or corrupt ones: $line"
done

log "vswitchd took every frame the guests batched"
for p in p0 p1; do
    d=$(vsjson port-stats | jq -c --arg p $p '.[] | select(.name == $p) |
        {burst_full: .netvsc.drops.from_guest_burst_full, deliver: .netvsc.drops.from_guest_deliver_failed,
         frames: .netvsc.counters.from_guest_packets, msgs: .netvsc.counters.nvsp_msgs}')
    log "$p: $d"
    echo "$d" | jq -e '.burst_full == 0 and .deliver == 0 and .frames >= 10000' >/dev/null ||
        fail "$p: frames from the guest dropped: $d"
done
log "ok"
