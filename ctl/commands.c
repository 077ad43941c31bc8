/* SPDX-License-Identifier: BSD-3-Clause */
/* The command table: arguments, usage, request building and human-readable output. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

static int usage_error(const struct ctl_cmd *cmd, const char *why, const char *arg)
{
	fprintf(stderr, "vswitchctl: %s: %s%s%s\nusage: vswitchctl %s %s\n", cmd->name, why,
		arg ? " " : "", arg ? arg : "", cmd->name, cmd->usage);
	return -1;
}

/* KEY=VALUE arguments into an object; the switch validates keys and values. */
static int kv_parse(const struct ctl_cmd *cmd, int argc, char **argv, json_t *obj,
	const char *const *allowed)
{
	int i;

	for (i = 0; i < argc; i++) {
		char *eq = strchr(argv[i], '=');
		char key[64];
		const char *const *a;

		if (eq == NULL || eq == argv[i] || (size_t)(eq - argv[i]) >= sizeof(key))
			return usage_error(cmd, "expected KEY=VALUE, got", argv[i]);
		snprintf(key, sizeof(key), "%.*s", (int)(eq - argv[i]), argv[i]);
		for (a = allowed; a && *a && strcmp(*a, key) != 0; a++)
			;
		if (allowed && *a == NULL)
			return usage_error(cmd, "unknown key", key);
		if (json_object_get(obj, key))
			return usage_error(cmd, "key given twice:", key);
		json_object_set_new(obj, key, json_string(eq + 1));
	}
	return 0;
}

static int build_none(const struct ctl_cmd *cmd, int argc, char **argv, json_t *args)
{
	return 0;
}

static int build_name(const struct ctl_cmd *cmd, int argc, char **argv, json_t *args)
{
	if (argc > 0)
		json_object_set_new(args, "name", json_string(argv[0]));
	return 0;
}

static int build_add_port(const struct ctl_cmd *cmd, int argc, char **argv, json_t *args)
{
	json_t *set = json_object();

	json_object_set_new(args, "name", json_string(argv[0]));
	json_object_set_new(args, "devargs", json_string(argv[1]));
	json_object_set_new(args, "settings", set);
	return kv_parse(cmd, argc - 2, argv + 2, set, NULL);
}

static int build_set_port(const struct ctl_cmd *cmd, int argc, char **argv, json_t *args)
{
	json_t *set = json_object();

	json_object_set_new(args, "name", json_string(argv[0]));
	json_object_set_new(args, "settings", set);
	return kv_parse(cmd, argc - 1, argv + 1, set, NULL);
}

static int build_fdb(const struct ctl_cmd *cmd, int argc, char **argv, json_t *args)
{
	static const char *const keys[] = {"vlan", "port", NULL};

	return kv_parse(cmd, argc, argv, args, keys);
}

static int build_ageing(const struct ctl_cmd *cmd, int argc, char **argv, json_t *args)
{
	json_object_set_new(args, "seconds", json_string(argv[0]));
	return 0;
}

static const char *s(json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));
	return v ? v : "";
}

static long long n(json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

static void vlan_desc(json_t *p, char *buf, size_t size)
{
	const char *mode = s(p, "vlan_mode");

	if (strcmp(mode, "access") == 0)
		snprintf(buf, size, "access tag=%lld", n(p, "tag"));
	else if (strcmp(mode, "trunk") == 0)
		snprintf(buf, size, "trunk trunks=%s native=%lld",
			s(p, "trunks")[0] ? s(p, "trunks") : "all", n(p, "native"));
	else
		snprintf(buf, size, "untagged");
}

/* "    offloads: advertised csum lso rsc; enabled tx_csum_tcp4 ... lso4 ..." */
static void print_offloads(json_t *ol)
{
	const char *lists[] = {"advertised", "enabled"};
	unsigned int i;
	size_t k;
	json_t *v;

	if (ol == NULL)
		return;
	printf("    offloads:");
	for (i = 0; i < 2; i++) {
		json_t *a = json_object_get(ol, lists[i]);

		printf("%s %s", i ? ";" : "", lists[i]);
		if (json_array_size(a) == 0)
			printf(" none");
		json_array_foreach(a, k, v)
			printf(" %s", json_string_value(v));
	}
	printf("\n");
}

/* netvsc ports: channel state, and what the guest negotiated once it is open. */
static void print_netvsc(json_t *nv)
{
	json_t *g = json_object_get(nv, "guest");

	if (nv == NULL)
		return;
	printf("    netvsc: %s", s(nv, "state"));
	if (g)
		printf(", channel %lld, NVSP %#llx, NDIS MTU %lld, RNDIS %s, filter %#llx",
			n(nv, "relid"), n(g, "nvsp_version"), n(g, "ndis_mtu"),
			json_is_true(json_object_get(g, "rndis_ready")) ? "ready" : "not ready",
			n(g, "packet_filter"));
	printf("\n");
	print_offloads(json_object_get(g, "offloads"));
	if (json_object_get(nv, "channels")) {
		json_t *c = json_object_get(nv, "channels"), *r = json_object_get(nv, "rss");

		printf("    channels: %lld open, %lld granted, %lld max; RSS %s, hash %#llx, table "
		       "%lld\n",
			n(c, "open"), n(c, "granted"), n(c, "max"),
			json_is_true(json_object_get(r, "enabled")) ? "on" : "off",
			n(r, "hash_info"), n(r, "table_len"));
	}
	if (s(nv, "error")[0])
		printf("    netvsc error: %s\n", s(nv, "error"));
}

/* Per-channel counters of a netvsc port (index 0 is the primary). */
static void print_channels(json_t *chans)
{
	size_t i;
	json_t *c;

	json_array_foreach(chans, i, c)
	{
		printf("  netvsc channel %lld%s: to guest %lld packets %lld bytes, from guest %lld "
		       "packets %lld bytes, ring full %lld\n",
			n(c, "index"), json_is_true(json_object_get(c, "open")) ? "" : " (closed)",
			n(c, "to_guest_packets"), n(c, "to_guest_bytes"),
			n(c, "from_guest_packets"), n(c, "from_guest_bytes"), n(c, "ring_full"));
	}
}

/* Non-zero members of a counter object, one line each, e.g. "  netvsc drop NAME N". */
static void print_nonzero(const char *prefix, json_t *obj)
{
	const char *key;
	json_t *v;

	json_object_foreach(obj, key, v) {
		if (json_integer_value(v))
			printf("  %s %-26s %lld\n", prefix, key, json_integer_value(v));
	}
}

static void print_ports(json_t *ports)
{
	char vlan[128];
	size_t i;
	json_t *p;

	printf("%-15s %-14s %-6s %-17s %-5s %s\n", "PORT", "DRIVER", "STATE", "MAC", "MTU",
		"VLAN");
	json_array_foreach(ports, i, p) {
		vlan_desc(p, vlan, sizeof(vlan));
		printf("%-15s %-14s %-6s %-17s %-5lld %s\n", s(p, "name"), s(p, "driver"),
			s(p, "state"), s(p, "mac"), n(p, "mtu"), vlan);
		if (strcmp(s(p, "admin"), "down") == 0)
			printf("    admin: down\n");
		if (s(p, "error")[0])
			printf("    error: %s\n", s(p, "error"));
		printf("    devargs: %s\n", s(p, "devargs"));
		print_netvsc(json_object_get(p, "netvsc"));
	}
}

static void print_show(json_t *r)
{
	printf("switch %s (vswitchd %s): %lld worker(s), FDB %lld/%lld entries, ageing %lld s\n",
		s(r, "name"), s(r, "version"), n(r, "workers"), n(r, "fdb_entries"),
		n(r, "fdb_capacity"), n(r, "ageing"));
	print_ports(json_object_get(r, "ports"));
}

static void print_version(json_t *r)
{
	printf("vswitchctl %s\nvswitchd %s\nprotocol %lld\n", s(r, "vswitchctl"), s(r, "vswitchd"),
		n(r, "protocol"));
}

static void print_stats(json_t *r)
{
	const char *key;
	size_t i;
	json_t *p, *v;

	json_array_foreach(r, i, p) {
		printf("%s:\n  rx: %lld packets, %lld bytes, %lld dropped\n"
		       "  tx: %lld packets, %lld bytes, %lld dropped\n",
			s(p, "name"), n(p, "rx_packets"), n(p, "rx_bytes"), n(p, "rx_dropped"),
			n(p, "tx_packets"), n(p, "tx_bytes"), n(p, "tx_dropped"));
		json_object_foreach(json_object_get(p, "drops"), key, v) {
			if (json_integer_value(v))
				printf("  drop %-22s %lld\n", key, json_integer_value(v));
		}
		if (n(p, "tx_segmented"))
			printf("  tx LSO frames segmented: %lld\n", n(p, "tx_segmented"));
		if (n(p, "coalesced"))
			printf("  frames coalesced for the guest: %lld\n", n(p, "coalesced"));
		if (json_object_get(p, "netvsc")) {
			json_t *nv = json_object_get(p, "netvsc");

			printf("  netvsc: %s\n", s(nv, "state"));
			print_nonzero("netvsc", json_object_get(nv, "counters"));
			print_nonzero("netvsc error", json_object_get(nv, "errors"));
			print_nonzero("netvsc drop", json_object_get(nv, "drops"));
			print_channels(json_object_get(nv, "channels"));
		}
	}
}

static void print_fdb(json_t *r)
{
	size_t i;
	json_t *e;

	printf("%-6s %-17s %-15s %s\n", "VLAN", "MAC", "PORT", "AGE");
	json_array_foreach(r, i, e)
		printf("%-6lld %-17s %-15s %lld\n", n(e, "vlan"), s(e, "mac"), s(e, "port"),
			n(e, "age"));
}

static void print_flushed(json_t *r)
{
	printf("flushed %lld entries\n", n(r, "flushed"));
}

static void print_vlans(json_t *r)
{
	size_t i, j;
	json_t *v, *p;

	json_array_foreach(r, i, v) {
		if (n(v, "vlan") == 0)
			printf("untagged:");
		else
			printf("vlan %lld:", n(v, "vlan"));
		json_array_foreach(json_object_get(v, "ports"), j, p)
			printf(" %s%s", s(p, "name"),
				json_is_true(json_object_get(p, "tagged")) ? "(tagged)" : "");
		printf("\n");
	}
}

static void print_workers(json_t *r)
{
	size_t i, j;
	json_t *w, *p;

	json_array_foreach(r, i, w) {
		printf("worker %lld (lcore %lld): %.1f%% busy, %lld packets, cycles busy %lld "
		       "idle %lld sleep %lld\n  ports:",
			n(w, "worker"), n(w, "lcore"),
			json_real_value(json_object_get(w, "busy_pct")), n(w, "packets"),
			n(w, "busy_cycles"), n(w, "idle_cycles"), n(w, "sleep_cycles"));
		json_array_foreach(json_object_get(w, "ports"), j, p)
			printf(" %s", json_string_value(p));
		printf("\n");
	}
}

const struct ctl_cmd ctl_cmds[] = {
	{"show", 0, 0, "", "switch summary and ports", build_none, print_show},
	{"add-port", 2, -1, "NAME DEVARGS [KEY=VALUE...]", "attach a DPDK device as a port",
		build_add_port, NULL},
	{"del-port", 1, 1, "NAME", "detach and remove a port", build_name, NULL},
	{"list-ports", 0, 0, "", "list ports", build_none, print_ports},
	{"set-port", 2, -1, "NAME KEY=VALUE...",
		"mtu=N admin=up|down mac_spoofing=on|off vlan_mode=untagged|access|trunk tag=N "
		"trunks=LIST native=N offloads|csum|lso|rsc=on|off",
		build_set_port, NULL},
	{"port-stats", 0, 1, "[NAME]", "packet, byte and drop counters", build_name,
		print_stats},
	{"clear-stats", 0, 1, "[NAME]", "reset counters", build_name, NULL},
	{"fdb-show", 0, 2, "[vlan=N] [port=NAME]", "the MAC table", build_fdb, print_fdb},
	{"fdb-flush", 0, 2, "[vlan=N] [port=NAME]", "forget learned MACs", build_fdb,
		print_flushed},
	{"set-ageing", 1, 1, "SECONDS", "MAC ageing time", build_ageing, NULL},
	{"vlan-show", 0, 0, "", "VLAN membership", build_none, print_vlans},
	{"worker-stats", 0, 0, "", "per-worker load", build_none, print_workers},
	{"version", 0, 0, "", "versions", build_none, print_version},
};
const unsigned int ctl_n_cmds = sizeof(ctl_cmds) / sizeof(ctl_cmds[0]);
