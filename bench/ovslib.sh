# shellcheck shell=bash disable=SC2034
# Open vSwitch-DPDK helpers shared by bench/vmbus.sh and bench/tcp.sh (sourced after lib.sh). The
# caller sets: T LOGS HUGE CPU_A CPU_B PFX OVS_DIR OVS_SCHEMA OVS_VSWITCHD OVS_MEM_LIMIT, exports
# OVS_RUNDIR/OVS_DBDIR/OVS_LOGDIR/OVS_SYSCONFDIR=$OVS_DIR..., and initialises OVS_PID OVSDB_PID
# to "". Failures set ERR and return 1.
#
# CPU placement: the PMD thread alone on CPU_B; ovsdb-server and ovs-vswitchd's other threads on
# CPU_A. DPDK with file prefix ${PFX}o on the caller's hugetlbfs, no PCI.

ovsctl() { ovs-vsctl --db="unix:$OVS_DIR/db.sock" --timeout=30 "$@"; }
ovs_appctl() { ovs-appctl -t "$OVS_DIR/ovs-vswitchd.ctl" --timeout=10 "$@"; }

# ovs_start_daemons TAG [WRAPPER...]: a fresh database, ovsdb-server and ovs-vswitchd-dpdk
# (started through WRAPPER, e.g. "unshare --net"), no bridge yet.
ovs_start_daemons() {
	local tag=$1
	shift
	rm -rf "$OVS_DIR"
	mkdir -p "$OVS_DIR/etc"
	ovsdb-tool create "$OVS_DIR/conf.db" "$OVS_SCHEMA" >>"$LOGS/ovs-$tag.log" 2>&1 ||
		{ ERR="ovsdb-tool create failed"; return 1; }
	taskset -c "$CPU_A" ovsdb-server "$OVS_DIR/conf.db" --remote="punix:$OVS_DIR/db.sock" \
		--pidfile="$OVS_DIR/ovsdb-server.pid" --unixctl="$OVS_DIR/ovsdb-server.ctl" \
		--log-file="$OVS_DIR/ovsdb-server.log" --detach --no-chdir >>"$LOGS/ovs-$tag.log" 2>&1 ||
		{ ERR="ovsdb-server did not start"; return 1; }
	OVSDB_PID=$(read_pidfile "$OVS_DIR/ovsdb-server.pid")
	ovsctl --no-wait init >>"$LOGS/ovs-$tag.log" 2>&1 || { ERR="ovs-vsctl init failed"; return 1; }
	ovsctl --no-wait set Open_vSwitch . \
		other_config:dpdk-init=true \
		other_config:dpdk-lcore-mask="$(printf '0x%x' $((1 << CPU_A)))" \
		other_config:pmd-cpu-mask="$(printf '0x%x' $((1 << CPU_B)))" \
		other_config:per-port-memory=true \
		other_config:dpdk-socket-mem=1024 \
		other_config:dpdk-socket-limit="$OVS_MEM_LIMIT" \
		other_config:dpdk-extra="--file-prefix=${PFX}o --huge-dir=$HUGE --no-pci" \
		>>"$LOGS/ovs-$tag.log" 2>&1 || { ERR="ovs-vsctl set other_config failed"; return 1; }
	timeout 60 taskset -c "$CPU_A" "$@" "$OVS_VSWITCHD" "unix:$OVS_DIR/db.sock" \
		--pidfile="$OVS_DIR/ovs-vswitchd.pid" --unixctl="$OVS_DIR/ovs-vswitchd.ctl" \
		--log-file="$OVS_DIR/ovs-vswitchd.log" --detach --no-chdir >>"$LOGS/ovs-$tag.log" 2>&1 ||
		{ ERR="ovs-vswitchd-dpdk did not start"; return 1; }
	OVS_PID=$(read_pidfile "$OVS_DIR/ovs-vswitchd.pid")
}

# ovs_ports_ok NAME...: each interface added without an error
ovs_ports_ok() {
	local i err
	for i in "$@"; do
		err=$(ovsctl get Interface "$i" error 2>&1)
		[ "$err" = "[]" ] || { ERR="OVS interface $i: $err"; return 1; }
	done
}

stop_ovs() {
	[ -z "$OVS_PID" ] && [ -s "$OVS_DIR/ovs-vswitchd.pid" ] && OVS_PID=$(read_pidfile "$OVS_DIR/ovs-vswitchd.pid")
	[ -z "$OVSDB_PID" ] && [ -s "$OVS_DIR/ovsdb-server.pid" ] && OVSDB_PID=$(read_pidfile "$OVS_DIR/ovsdb-server.pid")
	if [ -n "$OVS_PID" ]; then
		alive "$OVS_PID" && { ovs_appctl exit >/dev/null 2>&1; wait_gone "$OVS_PID" 10; }
		stop_pid "$OVS_PID" ovs-vswitchd 5
	fi
	if [ -n "$OVSDB_PID" ]; then
		alive "$OVSDB_PID" && {
			ovs-appctl -t "$OVS_DIR/ovsdb-server.ctl" --timeout=10 exit >/dev/null 2>&1
			wait_gone "$OVSDB_PID" 5
		}
		stop_pid "$OVSDB_PID" ovsdb-server 5
	fi
	if [ -d "$OVS_DIR" ]; then
		for f in "$OVS_DIR"/*.log; do
			[ -e "$f" ] && cat "$f" >>"$LOGS/ovs-daemons.log"
		done
	fi
	OVS_PID="" OVSDB_PID=""
	rm -rf "$OVS_DIR" "/var/run/dpdk/${PFX}o"
}
