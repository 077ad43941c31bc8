/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control requests (include/vsw/ctl.h). Every handler validates its whole request before it
 * changes anything, so a refused request leaves the switch as it was. Control thread only.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_lcore.h>

#include "internal.h"
#include "netvsc/netvsc.h"
#include "vsw/ctl.h"

struct api_ctx {
	struct vs_switch *sw;
	json_t *args;
	int status; /* positive errno */
	char *err;
	size_t errlen;
};

static json_t *fail(struct api_ctx *c, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static json_t *fail(struct api_ctx *c, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, c->errlen, fmt, ap);
	va_end(ap);
	c->status = status;
	return NULL;
}

/* The callee already wrote the reason into c->err. */
static json_t *refused(struct api_ctx *c, int status)
{
	c->status = status;
	return NULL;
}

static const char *arg_str(struct api_ctx *c, const char *key)
{
	return json_string_value(json_object_get(c->args, key));
}

/* Optional numeric argument given as a string or integer: 1 if present, 0 if absent, -1 bad. */
static int arg_u32(struct api_ctx *c, const char *key, uint32_t min, uint32_t max, uint32_t *out)
{
	json_t *v = json_object_get(c->args, key);
	int ret;

	if (v == NULL)
		return 0;
	if (json_is_integer(v) && json_integer_value(v) >= min && json_integer_value(v) <= max) {
		*out = (uint32_t)json_integer_value(v);
		return 1;
	}
	ret = json_is_string(v) ? vsw_parse_u32(json_string_value(v), min, max, out) : -EINVAL;
	if (ret) {
		fail(c, EINVAL, "%s: expected a number in %u-%u", key, min, max);
		return -1;
	}
	return 1;
}

static struct vs_port *arg_port(struct api_ctx *c, const char *key, bool required)
{
	const char *name = arg_str(c, key);
	struct vs_port *p;

	if (name == NULL) {
		if (required)
			fail(c, EINVAL, "missing port name");
		return NULL;
	}
	p = vs_port_lookup(c->sw, name);
	if (p == NULL)
		fail(c, ENOENT, "no port named '%s'", name);
	return p;
}

static const char *port_state(const struct vs_switch *sw, const struct vs_port *p)
{
	if (!p->attached)
		return "error";
	return __atomic_load_n(&sw->link_up[p->slot], __ATOMIC_RELAXED) ? "up" : "down";
}

static json_t *port_json(struct vs_switch *sw, const struct vs_port *p)
{
	char mac[RTE_ETHER_ADDR_FMT_SIZE];
	json_t *o;

	rte_ether_format_addr(mac, sizeof(mac), &p->mac);
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:i}", "name", p->name, "type",
		p->kind == VS_PORT_NETVSC ? "netvsc" : "ethdev", "devargs", p->devargs, "driver",
		p->driver, "state", port_state(sw, p), "error", p->error, "mac", mac, "dpdk_port",
		p->attached && p->kind == VS_PORT_ETHDEV ? p->eth_port : -1, "worker", p->worker);
	if (o && p->nv)
		json_object_set_new(o, "netvsc", vs_nv_port_json(p->nv));
	if (o && vs_settings_to_json(&p->set, o, true)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *ports_json(struct vs_switch *sw)
{
	json_t *a = json_array();
	unsigned int i;

	for (i = 0; a && i < VS_MAX_PORTS; i++) {
		if (sw->ports[i])
			json_array_append_new(a, port_json(sw, sw->ports[i]));
	}
	return a;
}

static json_t *cmd_list_ports(struct api_ctx *c)
{
	return ports_json(c->sw);
}

static json_t *cmd_show(struct api_ctx *c)
{
	struct vs_switch *sw = c->sw;

	return json_pack("{s:s, s:s, s:i, s:i, s:i, s:i, s:o}", "name", sw->opts->name, "version",
		VS_VERSION, "workers", sw->n_workers, "ageing", sw->ageing, "fdb_entries",
		sw->fdb->n_entries, "fdb_capacity", sw->fdb->capacity, "ports", ports_json(sw));
}

static json_t *cmd_version(struct api_ctx *c)
{
	return json_pack("{s:s, s:i}", "vswitchd", VS_VERSION, "protocol", VSW_CTL_VERSION);
}

static int settings_from_args(struct api_ctx *c, const struct vs_port_settings *cur,
	struct vs_port_settings *out)
{
	json_t *set = json_object_get(c->args, "settings");
	json_t *empty = NULL;
	int ret;

	if (set == NULL)
		set = empty = json_object();
	ret = vs_settings_apply(cur, set, out, c->err, c->errlen);
	json_decref(empty);
	if (ret)
		c->status = EINVAL;
	return ret;
}

static json_t *cmd_add_port(struct api_ctx *c)
{
	const char *name = arg_str(c, "name"), *devargs = arg_str(c, "devargs");
	struct vs_port_settings def, set;
	int ret;

	if (name == NULL || devargs == NULL)
		return fail(c, EINVAL, "add-port needs a name and devargs");
	vs_settings_default(&def);
	if (settings_from_args(c, &def, &set))
		return NULL;
	ret = vs_port_add(c->sw, name, devargs, &set, false, c->err, c->errlen);
	if (ret)
		return refused(c, -ret);
	return json_null();
}

static json_t *cmd_del_port(struct api_ctx *c)
{
	struct vs_port *p = arg_port(c, "name", true);

	if (p == NULL)
		return NULL;
	vs_port_del(c->sw, p);
	return json_null();
}

static json_t *cmd_set_port(struct api_ctx *c)
{
	struct vs_port *p = arg_port(c, "name", true);
	struct vs_port_settings set;
	int ret;

	if (p == NULL)
		return NULL;
	if (json_object_size(json_object_get(c->args, "settings")) == 0)
		return fail(c, EINVAL, "set-port needs at least one KEY=VALUE");
	if (settings_from_args(c, &p->set, &set))
		return NULL;
	ret = vs_port_set(c->sw, p, &set, c->err, c->errlen);
	if (ret)
		return refused(c, -ret);
	return json_null();
}

static json_t *stats_json(struct vs_switch *sw, const struct vs_port *p)
{
	struct vs_port_counters now;
	const struct vs_port_counters *b = &sw->base[p->slot];
	uint64_t rx_dropped = 0, tx_dropped = 0;
	json_t *drops = json_object(), *o;
	unsigned int d;

	vs_port_counters_sum(sw, p->slot, &now);
	for (d = 0; d < VS_DROP_COUNT; d++) {
		uint64_t n = now.drops[d] - b->drops[d];

		if (d < VS_DROP_FIRST_EGRESS)
			rx_dropped += n;
		else
			tx_dropped += n;
		json_object_set_new(drops, vs_drop_name((enum vs_drop)d), json_integer((json_int_t)n));
	}
	o = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:o}", "name", p->name,
		"rx_packets", (json_int_t)(now.rx_packets - b->rx_packets),
		"rx_bytes", (json_int_t)(now.rx_bytes - b->rx_bytes),
		"tx_packets", (json_int_t)(now.tx_packets - b->tx_packets),
		"tx_bytes", (json_int_t)(now.tx_bytes - b->tx_bytes),
		"rx_dropped", (json_int_t)rx_dropped, "tx_dropped", (json_int_t)tx_dropped,
		"drops", drops);
	if (o) {
		json_object_set_new(o, "tx_segmented",
			json_integer((json_int_t)(now.tx_segmented - b->tx_segmented)));
		json_object_set_new(o, "coalesced",
			json_integer((json_int_t)(now.rx_coalesced - b->rx_coalesced)));
	}
	if (o && p->nv)
		json_object_set_new(o, "netvsc", vs_nv_port_stats_json(p->nv));
	return o;
}

static json_t *cmd_port_stats(struct api_ctx *c)
{
	struct vs_port *p = arg_port(c, "name", false);
	json_t *a;
	unsigned int i;

	if (c->status)
		return NULL;
	if (p)
		return json_pack("[o]", stats_json(c->sw, p));
	a = json_array();
	for (i = 0; i < VS_MAX_PORTS; i++) {
		if (c->sw->ports[i])
			json_array_append_new(a, stats_json(c->sw, c->sw->ports[i]));
	}
	return a;
}

static json_t *cmd_clear_stats(struct api_ctx *c)
{
	struct vs_port *p = arg_port(c, "name", false);
	unsigned int i;

	if (c->status)
		return NULL;
	for (i = 0; i < VS_MAX_PORTS; i++) {
		if (c->sw->ports[i] && (p == NULL || p->slot == i)) {
			vs_port_counters_sum(c->sw, (uint16_t)i, &c->sw->base[i]);
			if (c->sw->ports[i]->nv)
				vs_nv_port_stats_clear(c->sw->ports[i]->nv);
		}
	}
	return json_null();
}

struct fdb_filter {
	int vlan, port;
};

/* Parse the optional vlan= and port= filters of fdb-show and fdb-flush. */
static int fdb_filter_parse(struct api_ctx *c, struct fdb_filter *f)
{
	struct vs_port *p;
	uint32_t v;
	int ret;

	f->vlan = f->port = -1;
	ret = arg_u32(c, "vlan", 0, VSW_VLAN_MAX, &v);
	if (ret < 0)
		return -1;
	if (ret)
		f->vlan = (int)v;
	p = arg_port(c, "port", false);
	if (c->status)
		return -1;
	if (p)
		f->port = p->slot;
	return 0;
}

struct fdb_show_arg {
	struct vs_switch *sw;
	struct fdb_filter f;
	json_t *out;
	uint64_t now;
};

static int fdb_show_one(const struct vs_fdb_entry *e, void *arg)
{
	struct fdb_show_arg *a = arg;
	uint16_t port = vs_fdb_entry_port(e);
	uint64_t seen = __atomic_load_n(&e->last_seen, __ATOMIC_RELAXED);
	char mac[RTE_ETHER_ADDR_FMT_SIZE];
	const struct vs_port *p;

	if ((a->f.vlan >= 0 && e->key.vlan != a->f.vlan) || (a->f.port >= 0 && port != a->f.port))
		return 0;
	p = port < VS_MAX_PORTS ? a->sw->ports[port] : NULL;
	rte_ether_format_addr(mac, sizeof(mac), (const struct rte_ether_addr *)e->key.mac);
	json_array_append_new(a->out, json_pack("{s:s, s:i, s:s, s:I}", "mac", mac, "vlan",
		e->key.vlan, "port", p ? p->name : "?", "age",
		(json_int_t)(seen < a->now ? (a->now - seen) / a->sw->hz : 0)));
	return 0;
}

static json_t *cmd_fdb_show(struct api_ctx *c)
{
	struct fdb_show_arg a = {.sw = c->sw, .out = json_array(), .now = rte_rdtsc()};

	if (fdb_filter_parse(c, &a.f)) {
		json_decref(a.out);
		return NULL;
	}
	vs_learn_drain(c->sw);
	vs_fdb_walk(c->sw->fdb, fdb_show_one, &a);
	return a.out;
}

static json_t *cmd_fdb_flush(struct api_ctx *c)
{
	struct fdb_filter f;
	unsigned int n;

	if (fdb_filter_parse(c, &f))
		return NULL;
	vs_learn_drain(c->sw);
	n = vs_fdb_flush(c->sw->fdb, f.vlan, f.port);
	return json_pack("{s:i}", "flushed", n);
}

static json_t *cmd_set_ageing(struct api_ctx *c)
{
	uint32_t v;
	int ret = arg_u32(c, "seconds", 1, VS_AGEING_MAX, &v);

	if (ret < 0)
		return NULL;
	if (ret == 0)
		return fail(c, EINVAL, "set-ageing needs SECONDS (1-%d)", VS_AGEING_MAX);
	c->sw->ageing = v;
	return json_null();
}

static void vlan_members_add(json_t *vlans[], unsigned int vlan, const struct vs_port *p,
	enum vs_vlan_egress eg)
{
	if (vlans[vlan] == NULL)
		vlans[vlan] = json_array();
	json_array_append_new(vlans[vlan], json_pack("{s:s, s:b}", "name", p->name, "tagged",
		eg == VS_EGRESS_TAGGED));
}

/* VLANs named by some port (access tags, natives, trunk lists), each with all its members. */
static json_t *cmd_vlan_show(struct api_ctx *c)
{
	static bool named[VSW_VLAN_MAX + 1];
	json_t *vlans[VSW_VLAN_MAX + 1] = {0};
	json_t *out = json_array();
	unsigned int i, v;

	memset(named, 0, sizeof(named));
	for (i = 0; i < VS_MAX_PORTS; i++) {
		const struct vs_port *p = c->sw->ports[i];

		if (p == NULL)
			continue;
		named[p->set.vlan.vlan] = true;
		for (v = 1; p->set.vlan.mode == VS_VLAN_TRUNK && v <= VSW_VLAN_MAX; v++)
			named[v] |= vsw_bitmap_test(p->set.vlan.trunks, v);
	}
	for (i = 0; i < VS_MAX_PORTS; i++) {
		const struct vs_port *p = c->sw->ports[i];

		for (v = 0; p && v <= VSW_VLAN_MAX; v++) {
			enum vs_vlan_egress eg = vs_vlan_egress(&p->set.vlan, (uint16_t)v);

			if (named[v] && eg != VS_EGRESS_NONE)
				vlan_members_add(vlans, v, p, eg);
		}
	}
	for (v = 0; v <= VSW_VLAN_MAX; v++) {
		if (vlans[v])
			json_array_append_new(out, json_pack("{s:i, s:o}", "vlan", v, "ports",
				vlans[v]));
	}
	return out;
}

static json_t *worker_json(struct vs_switch *sw, const struct vs_worker *w)
{
	uint64_t busy = w->busy_cycles, idle = w->idle_cycles, sleep = w->sleep_cycles;
	uint64_t total = busy + idle + sleep;
	json_t *ports = json_array();
	unsigned int i;

	for (i = 0; i < VS_MAX_PORTS; i++) {
		if (sw->ports[i] && sw->ports[i]->worker == w->id)
			json_array_append_new(ports, json_string(sw->ports[i]->name));
	}
	return json_pack("{s:i, s:i, s:o, s:I, s:I, s:I, s:I, s:f}", "worker", w->id, "lcore",
		w->lcore, "ports", ports, "busy_cycles", (json_int_t)busy, "idle_cycles",
		(json_int_t)idle, "sleep_cycles", (json_int_t)sleep, "packets",
		(json_int_t)w->packets, "busy_pct", total ? 100.0 * (double)busy / (double)total : 0.0);
}

static json_t *cmd_worker_stats(struct api_ctx *c)
{
	json_t *a = json_array();
	unsigned int w;

	for (w = 0; w < c->sw->n_workers; w++)
		json_array_append_new(a, worker_json(c->sw, c->sw->workers[w]));
	return a;
}

struct api_cmd {
	const char *name;
	json_t *(*fn)(struct api_ctx *c);
	bool changes_config; /* saved to the configuration file on success */
};

static const struct api_cmd cmds[] = {
	{"show", cmd_show, false},
	{"version", cmd_version, false},
	{"list-ports", cmd_list_ports, false},
	{"add-port", cmd_add_port, true},
	{"del-port", cmd_del_port, true},
	{"set-port", cmd_set_port, true},
	{"port-stats", cmd_port_stats, false},
	{"clear-stats", cmd_clear_stats, false},
	{"fdb-show", cmd_fdb_show, false},
	{"fdb-flush", cmd_fdb_flush, false},
	{"set-ageing", cmd_set_ageing, true},
	{"vlan-show", cmd_vlan_show, false},
	{"worker-stats", cmd_worker_stats, false},
};

json_t *vs_api_handle(struct vs_switch *sw, json_t *req, int *status, char *err, size_t errlen)
{
	struct api_ctx c = {.sw = sw, .err = err, .errlen = errlen};
	const char *name = json_string_value(json_object_get(req, "cmd"));
	json_t *result;
	size_t i;

	err[0] = '\0';
	c.args = json_object_get(req, "args");
	if (c.args != NULL && !json_is_object(c.args)) {
		*status = EINVAL;
		snprintf(err, errlen, "'args' must be an object");
		return NULL;
	}
	for (i = 0; name && i < VSW_ARRAY_SIZE(cmds); i++) {
		if (strcmp(cmds[i].name, name) != 0)
			continue;
		result = cmds[i].fn(&c);
		*status = c.status;
		if (result == NULL && c.status == 0) {
			*status = ENOMEM;
			snprintf(err, errlen, "out of memory");
		}
		if (*status == 0 && cmds[i].changes_config && vs_switch_save(sw)) {
			*status = EIO;
			snprintf(err, errlen, "applied, but the configuration file %s could not be "
				"written (see the log)", sw->opts->config_path);
		}
		return result;
	}
	*status = EOPNOTSUPP;
	snprintf(err, errlen, "unknown command '%s'", name ? name : "");
	return NULL;
}
