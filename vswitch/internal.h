/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vswitchd internals.
 *
 * Threads: one control thread (the EAL main lcore) owns every configuration object, the control
 * socket, the FDB's writers and all allocation. Datapath workers (EAL worker lcores) poll their
 * ports' receive queues and switch frames in bursts. Workers read a published, immutable
 * 'struct vs_dp_config' (RCU: rte_rcu_qsbr); the control thread builds a new one for every change
 * and frees the old one after a grace period. Workers send new MACs to control through a
 * per-worker ring and write only their own counters. Fields shared between the two say who
 * writes ("control: rw, workers: ro").
 */
#ifndef VS_INTERNAL_H
#define VS_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <limits.h>

#include <jansson.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>
#include <rte_spinlock.h>

#include "drop.h"
#include "fdb.h"
#include "vlan.h"
#include "vsw_util.h"

#define VS_VERSION "0.1.0"
#define VS_MAX_PORTS 128
#define VS_MAX_WORKERS 16
#define VS_BURST 32
#define VS_MTU_MIN 68
#define VS_MTU_MAX 9198 /* 9216-byte frames with an 802.1Q tag */
#define VS_MTU_DEFAULT 1500
#define VS_AGEING_DEFAULT 300
#define VS_AGEING_MAX 1000000
#define VS_FDB_CAPACITY 65536
#define VS_DEVARGS_MAX 256

/* ---- options (main.c, opts.c) ---- */

enum vs_huge { VS_HUGE_AUTO, VS_HUGE_ON, VS_HUGE_OFF };

struct vs_opts {
	char name[16];
	char socket_path[PATH_MAX];
	char config_path[PATH_MAX];
	char pidfile[PATH_MAX];
	char log_file[PATH_MAX];
	char cpus[128];		/* worker CPU list, "" = all allowed */
	char control_cpus[128]; /* control thread CPU list, "" = all allowed */
	unsigned int workers;
	unsigned int memory_mb;
	unsigned int idle_sleep_max_us;
	enum vs_huge huge;
	bool detach;
	bool verbose;
	int n_eal_args;	  /* extra EAL arguments after "--" */
	char **eal_args;
};

/* Returns 0, 1 when --help was printed, or -EINVAL with a message on stderr. */
int vs_opts_parse(int argc, char **argv, struct vs_opts *o);
void vs_opts_usage(FILE *f);

/* ---- port settings (control/settings.c) ---- */

struct vs_port_settings {
	uint16_t mtu;
	bool admin_down; /* admin=down: no traffic either way, a netvsc guest sees media disconnect */
	bool mac_spoofing; /* netvsc: the guest may send from MACs other than its own */
	uint8_t offloads_off; /* netvsc ports: VS_VSP_OL_* forbidden (csum 1, lso 2, rsc 4) */
	struct vs_vlan_cfg vlan;
};

void vs_settings_default(struct vs_port_settings *s);

/* Apply the keys of 'obj' (mtu, admin, mac_spoofing, vlan_mode, tag, trunks, native, offloads,
 * csum, lso, rsc; string or integer values; the offload keys take on/off and "offloads" sets all
 * three) on top of 'cur' into 'out'. All-or-nothing: on error 'out' is unspecified, 'err' says why, and the
 * return is -EINVAL. */
int vs_settings_apply(const struct vs_port_settings *cur, json_t *obj, struct vs_port_settings *out,
	char *err, size_t errlen);

/* Add the settings' keys to a JSON object: those of the port's VLAN mode (as stored in the
 * config file, and accepted back by vs_settings_apply) or, with 'all_keys', every key. */
int vs_settings_to_json(const struct vs_port_settings *s, json_t *obj, bool all_keys);

/* ---- configuration file (control/config.c) ---- */

struct vs_config_port {
	char name[16];
	char devargs[VS_DEVARGS_MAX];
	struct vs_port_settings set;
};

struct vs_config {
	uint32_t ageing;
	unsigned int n_ports;
	struct vs_config_port ports[VS_MAX_PORTS];
};

/* Parse a configuration file's text. Returns 0 or -EINVAL with 'err' set; 'cfg' is written only
 * on success. */
int vs_config_parse(const char *text, struct vs_config *cfg, char *err, size_t errlen);
/* Serialize to JSON text (malloc'ed). */
char *vs_config_dump(const struct vs_config *cfg);
/* Load 'path': 0 (also when it does not exist: empty config), or -errno with 'err' set. */
int vs_config_load(const char *path, struct vs_config *cfg, char *err, size_t errlen);
int vs_config_save(const char *path, const struct vs_config *cfg);

/* ---- datapath view (published by control, read by workers) ---- */

/* What is behind a port: a DPDK ethdev, or a partition's netvsc channel (netvsc/netvsc.h). */
enum vs_port_kind {
	VS_PORT_ETHDEV,
	VS_PORT_NETVSC,
};

struct vs_nv_chan;
struct vs_nv_port;

struct vs_dp_port {
	bool present;
	bool admin_down;	  /* netvsc: polled (control traffic), its frames dropped */
	bool src_check;		  /* netvsc without mac_spoofing: source MAC must be src_mac */
	uint8_t src_mac[6];
	uint8_t kind;		  /* enum vs_port_kind */
	struct vs_nv_chan *nv;	  /* netvsc: the open channel, NULL while there is none */
	bool txq_shared;	  /* fewer tx queues than workers: lock per queue */
	uint16_t eth_port;	  /* DPDK port id */
	uint16_t n_txq;
	uint32_t max_plain_len;	  /* MTU + 14: longest frame without its tag */
	uint64_t tx_ol;		  /* ethdev: hardware TSO/checksum offloads (vs_ol_tx_prepare) */
	rte_spinlock_t *txq_locks; /* owned by the control port, freed after a grace period */
	struct vs_vlan_cfg vlan;  /* last: the trunk bitmap is cold */
};

struct vs_dp_rxq {
	uint16_t slot;
	uint16_t queue;
};

struct vs_dp_config {
	uint16_t n_slots; /* 1 + highest present slot */
	struct {
		uint16_t n;
		struct vs_dp_rxq q[VS_MAX_PORTS];
	} rx[VS_MAX_WORKERS];
	struct vs_dp_port port[VS_MAX_PORTS];
};

struct vs_port_counters {
	uint64_t rx_packets;
	uint64_t rx_bytes;
	uint64_t tx_packets;
	uint64_t tx_bytes;
	uint64_t tx_segmented; /* guest LSO frames segmented in software for this port */
	uint64_t rx_coalesced; /* frames for this netvsc port merged into others (GRO) */
	uint64_t drops[VS_DROP_COUNT];
};

struct vs_learn_req {
	struct vs_fdb_key key;
	uint16_t port;
	uint16_t pad[3];
};

struct vs_txbuf {
	uint16_t n;
	bool queued; /* listed in the worker's dirty list */
	struct rte_mbuf *pkts[VS_BURST];
};

#define VS_LEARN_CACHE 256

struct vs_ol_gro;

struct vs_worker {
	unsigned int id;      /* 0..n_workers-1, also the RCU thread id */
	unsigned int lcore;
	struct vs_switch *sw;
	struct rte_ring *learn; /* worker: enqueue, control: dequeue */
	/* worker: rw, control: ro (torn reads are harmless on 64-bit) */
	uint64_t busy_cycles;
	uint64_t idle_cycles;
	uint64_t sleep_cycles;
	uint64_t packets;
	struct vs_port_counters stats[VS_MAX_PORTS];
	/* worker private */
	uint64_t learn_cache_key[VS_LEARN_CACHE];
	uint64_t learn_cache_tsc[VS_LEARN_CACHE];
	struct vs_fdb_cache fdb_cache;
	uint16_t n_dirty;
	uint16_t dirty[VS_MAX_PORTS];
	struct vs_txbuf txb[VS_MAX_PORTS];
	struct vs_ol_gro *gro;	/* coalescing for netvsc guests with RSC; NULL: none */
};

/* ---- control objects ---- */

struct vs_port {
	char name[16];
	enum vs_port_kind kind;
	struct vs_nv_port *nv;		  /* netvsc: connection and channel (control only) */
	char devargs[VS_DEVARGS_MAX];	  /* as the operator gave it */
	char devname[RTE_ETH_NAME_MAX_LEN]; /* the DPDK device's name */
	char driver[32];
	uint16_t slot;
	uint16_t eth_port;
	uint16_t n_txq;
	uint64_t tx_ol;		/* RTE_ETH_TX_OFFLOAD_* TSO/checksum enabled on the device */
	bool attached;		/* the ethdev exists and is started (netvsc: devargs valid) */
	char error[192];	/* why it is not attached */
	unsigned int worker;
	int if_index;		/* kernel interface behind it, 0 if none */
	struct rte_ether_addr mac;
	struct vs_port_settings set;
	rte_spinlock_t *txq_locks;
};

struct vs_switch {
	struct vs_opts *opts;
	int ep;					/* control thread's epoll set */
	uint64_t hz;				/* TSC ticks per second */
	volatile bool quit;			/* control: rw, workers: ro */
	struct vs_dp_config *dp;		/* control: rw (atomic), workers: ro */
	uint8_t link_up[VS_MAX_PORTS];		/* control: rw (atomic), workers: ro */
	uint32_t learn_pending;			/* workers: set, control: clear */
	int learn_efd;				/* workers signal new MACs here */
	struct rte_rcu_qsbr *qs;
	struct vs_fdb *fdb;			/* see fdb.h for its threading */
	uint32_t ageing;			/* seconds */
	unsigned int n_workers;
	struct vs_worker *workers[VS_MAX_WORKERS];
	struct rte_mempool *pool;		/* 2 KiB buffers, chained for jumbo frames */
	struct rte_mempool *jumbo_pool;		/* whole-jumbo buffers for devices that can't chain */
	struct vs_port *ports[VS_MAX_PORTS];	/* control only */
	struct vs_port_counters base[VS_MAX_PORTS]; /* control only: clear-stats baselines */
};

extern int vs_logtype;
#define VS_LOG(level, fmt, ...)                                                                    \
	rte_log(RTE_LOG_##level, vs_logtype, "vswitchd: " fmt "\n", ##__VA_ARGS__)

/* control/port.c */
struct vs_port *vs_port_lookup(struct vs_switch *sw, const char *name);
int vs_port_add(struct vs_switch *sw, const char *name, const char *devargs,
	const struct vs_port_settings *set, bool keep_on_failure, char *err, size_t errlen);
int vs_port_del(struct vs_switch *sw, struct vs_port *p);
int vs_port_set(struct vs_switch *sw, struct vs_port *p, const struct vs_port_settings *set,
	char *err, size_t errlen);
void vs_port_poll_link(struct vs_switch *sw);
/* Stop, close and remove the DPDK device (which also unloads af_xdp's XDP program). */
void vs_port_detach(struct vs_port *p);
void vs_port_counters_sum(struct vs_switch *sw, uint16_t slot, struct vs_port_counters *out);

/* control/publish.c */
int vs_dp_publish(struct vs_switch *sw);

/* control/state.c */
void vs_switch_to_config(struct vs_switch *sw, struct vs_config *cfg);
int vs_switch_save(struct vs_switch *sw);
void vs_learn_drain(struct vs_switch *sw);

/* control/api.c */
json_t *vs_api_handle(struct vs_switch *sw, json_t *req, int *status, char *err, size_t errlen);

/* control/server.c */
int vs_server_run(struct vs_switch *sw, int ready_fd);

/* A file descriptor in the control thread's epoll loop: 'fn' is called with its events. Embed it
 * as the first member of the owner's structure. */
struct vs_evh {
	void (*fn)(struct vs_evh *h, uint32_t events);
};
int vs_ev_add(struct vs_switch *sw, int fd, struct vs_evh *h);
void vs_ev_del(struct vs_switch *sw, int fd);

/* datapath/worker.c */
int vs_worker_main(void *arg);

#endif
