/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * netvsc ports: a switch port whose other end is a partition's synthetic NIC (DESIGN.md decisions
 * 3, 4, 6). The control thread is the vmbus-user client (include/vsw/proto/vmbus_user.h): it
 * connects to the hypervisor's per-NIC socket, maps the guest memory the hypervisor describes
 * (GPADLs, the channel's rings) and publishes a channel object to the workers. The worker that
 * owns the port polls the guest->host ring and runs the NVSP/RNDIS core (vswitch/netvsp/vsp.h);
 * any worker that switches a frame to the port copies it into the guest's receive buffer.
 *
 * Objects and threads:
 *  - struct vs_nv_port (conn.c): control thread only. Connection, GPADLs, channel lifecycle.
 *  - struct vs_nv_chan (chan.c): one open channel. Created and destroyed by control; while it is
 *    published (vs_dp_port.nv) only workers touch its protocol state, under chan->lock (the owner
 *    worker's receive poll and every worker's transmit; control never takes it). Control changes
 *    the protocol state only after unpublishing the channel and waiting for a grace period.
 *  - struct vs_nv_gpadls (gpadls.c): the port's mapped GPADLs, an immutable array replaced as a
 *    whole (copy on write) and freed after a grace period; workers read it through the channel.
 */
#ifndef VS_NETVSC_H
#define VS_NETVSC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <rte_mbuf.h>

#include "vsp.h"

struct vs_switch;
struct vs_port;
struct vs_nv_chan;
struct vs_nv_port;

#define VS_NV_DEVARGS_PREFIX "netvsc"
#define VS_NV_SOCKET_MAX 108 /* sizeof(sockaddr_un.sun_path) */
#define VS_NV_MAX_GPADLS 64u /* per connection: rings and buffers of a few reopenings */
#define VS_NV_RX_STAGE 128u  /* frames one receive poll may stage (switched 32 at a time): at
			      * least two messages' worth (VS_VSP_PKTS_PER_MSG) */
#define VS_NV_MAX_CHAIN 64u  /* mbufs per frame: a 64 KiB frame in 2 KiB buffers */
#define VS_NV_TX_SEGS 64u    /* segments of a frame sent to the guest */

/* ---- devargs (devargs.c) ---- */

/* True if 'devargs' names a netvsc port ("netvsc" or "netvsc,..."), whatever its arguments. */
bool vs_nv_devargs_is_netvsc(const char *devargs);

/*
 * Parse "netvsc,socket=PATH[,queues=N]": socket, an absolute path shorter than a unix socket
 * address (the file need not exist yet), then optionally the most channels (primary included,
 * 1..VS_VSP_MAX_CHANNELS, default VS_NV_QUEUES_DEFAULT) the port gives the guest: it grants at
 * most N - 1 subchannels and advertises N receive queues. Returns 0 with 'path' and '*queues'
 * set, or -EINVAL with 'err'.
 */
#define VS_NV_QUEUES_DEFAULT 4u
int vs_nv_devargs_parse(
	const char *devargs, char *path, size_t size, uint32_t *queues, char *err, size_t errlen);

/* ---- GPADL table (gpadls.c) ---- */

struct vs_nv_gpadl {
	uint32_t handle;      /* guest-chosen, unique per connection */
	uint32_t relid;	      /* channel it was created for */
	uint32_t byte_offset; /* into the first page */
	uint32_t byte_count;  /* bytes of the range */
	uint32_t n_pfns;
	uint64_t *pfns;	      /* owned by the entry (kept to map rings again) */
	uint8_t *va;	      /* mapping of the n_pfns pages */
};

struct vs_nv_gpadls {
	unsigned int n;
	struct vs_nv_gpadl g[]; /* entries share pfns/va with the tables they were copied from */
};

/*
 * Memory mappings a port may hold for its GPADLs and its ring. vmbus_gmem_map makes one mapping
 * per run of consecutive guest pages, and the mapping count (vm.max_map_count, 65530 by default)
 * is per process: shared by every port and by vswitchd itself. Without a budget, one guest whose
 * GPADLs list scattered pages takes them all and no other partition can attach (its GPADL_ADDs
 * fail with ENOMEM; hostile_guest_test, phase "vma"). A Linux guest whose 16 MiB receive buffer
 * is fully scattered (vmalloc) needs about 5000 (4096 + send buffer + ring twice).
 */
#define VS_NV_MAX_MAP_RUNS 8192u

/* Mappings vmbus_gmem_map makes for 'pfns': the runs of consecutive page numbers (0 if n is 0). */
uint32_t vs_nv_pfn_runs(const uint64_t *pfns, uint32_t n);

/* Entry with 'handle', or NULL. 't' may be NULL (empty). Any thread (workers: RCU). */
const struct vs_nv_gpadl *vs_nv_gpadls_find(const struct vs_nv_gpadls *t, uint32_t handle);

/*
 * A new table: 't' plus 'g' (copied). Returns it, or NULL with errno EEXIST (handle present),
 * ENOSPC (VS_NV_MAX_GPADLS reached) or ENOMEM. 't' is not changed. Control thread.
 */
struct vs_nv_gpadls *vs_nv_gpadls_add(const struct vs_nv_gpadls *t, const struct vs_nv_gpadl *g);

/* A new table without 'handle' (its entry copied to '*removed'). NULL with errno ENOENT/ENOMEM. */
struct vs_nv_gpadls *vs_nv_gpadls_remove(const struct vs_nv_gpadls *t, uint32_t handle,
	struct vs_nv_gpadl *removed);

/* ---- mbufs <-> gather lists (mbuf.c), datapath ---- */

/*
 * Copy a frame of 'len' bytes gathered from 'segs' into one mbuf, or a chain when it is larger
 * than a buffer of 'mp'. Returns 0 with '*out', -ENOBUFS (pool empty: nothing leaks), -EMSGSIZE
 * (more than VS_NV_MAX_CHAIN buffers) or -EINVAL (len 0, or the segments do not hold len bytes).
 */
int vs_nv_mbuf_from_segs(struct rte_mempool *mp, const struct vs_vsp_seg *segs,
	unsigned int n_segs, uint32_t len, struct rte_mbuf **out);

/* Describe an mbuf chain as segments. Returns the count, or -E2BIG if it has more than 'max'. */
int vs_nv_mbuf_to_segs(const struct rte_mbuf *m, struct vs_vsp_seg *segs, unsigned int max);

/* ---- channel datapath (chan.c): workers ---- */

/*
 * Owner worker: read guest->host ring packets (at most one burst's worth), run them through the
 * VSP and return the guest's frames as mbufs in 'pkts' (up to 'max'; 'max' >= VS_NV_RX_STAGE: a
 * packet is read only while a whole message's frames, VS_VSP_PKTS_PER_MSG, still fit).
 * Answers to the guest are published and signalled once for the whole poll.
 */
uint16_t vs_nv_rx_burst(struct vs_nv_chan *ch, struct rte_mbuf **pkts, uint16_t max);

/*
 * Any worker: copy 'n' frames into the guest's receive buffer and send them as one XFER_PAGES
 * batch. Every mbuf is freed. Returns how many reached the guest, their bytes in '*bytes'.
 */
uint16_t vs_nv_tx_burst(struct vs_nv_chan *ch, struct rte_mbuf **pkts, uint16_t n,
	uint64_t *bytes);

/* Bytes waiting now in channel 'c''s guest->host and host->guest rings (a gauge read from shared
 * memory: the guest may be moving the indices; 0 when the ring is not attached). Control thread,
 * which attaches and detaches rings. */
void vs_nv_ring_depth(const struct vs_nv_chan *ch, uint32_t c, uint32_t *g2h, uint32_t *h2g);

/* Signals vswitchd sent the guest on channel 'c' of this channel set (each one a write() into
 * the guest's doorbell). Any thread. */
uint64_t vs_nv_doorbells(const struct vs_nv_chan *ch, uint32_t c);

/* The offloads the channel's guest enabled (VS_VSP_EN_*), as of the owner's last poll. Any thread. */
uint32_t vs_nv_chan_offloads(const struct vs_nv_chan *ch);

/* Transport-level counters kept next to the VSP's (names in netvsc "errors" and "drops"). */
#define VS_NV_ERRORS(X)                                                                            \
	X(RING_CORRUPT, "ring_corrupt")                                                            \
	X(RING_PKT_OVERSIZE, "ring_pkt_oversize")
#define VS_NV_DROPS(X)                                                                             \
	X(FROM_GUEST_NO_MBUF, "from_guest_no_mbuf")                                                \
	X(FROM_GUEST_BURST_FULL, "from_guest_burst_full")                                          \
	X(TO_GUEST_TOO_MANY_SEGS, "to_guest_too_many_segs")                                        \
	X(FROM_GUEST_OFFLOAD, "from_guest_offload_headers")                                        \
	X(TO_GUEST_OFFLOAD, "to_guest_offload_headers")                                            \
	X(TO_GUEST_SEGMENT, "to_guest_segment_failed")

enum vs_nv_err {
#define VS_NV_X(e, s) VS_NV_ERR_##e,
	VS_NV_ERRORS(VS_NV_X)
#undef VS_NV_X
	VS_NV_ERR_COUNT
};

enum vs_nv_drop {
#define VS_NV_X(e, s) VS_NV_DROP_##e,
	VS_NV_DROPS(VS_NV_X)
#undef VS_NV_X
	VS_NV_DROP_COUNT
};

struct vs_nv_stats {
	struct vs_vsp_stats vsp;
	uint64_t err[VS_NV_ERR_COUNT];
	uint64_t drop[VS_NV_DROP_COUNT];
	uint64_t doorbells[VS_VSP_MAX_CHANNELS]; /* signals sent to the guest, per channel */
};

/* ---- control (conn.c): control thread only ---- */

/* Create the port's connection state from its devargs and start connecting. The port is usable
 * (state "down") even when the socket does not exist yet. Returns 0 or -errno with 'err'. */
int vs_nv_port_create(struct vs_switch *sw, struct vs_port *p, char *err, size_t errlen);

/* Tear down (unpublish, unmap, close) and free. The port must already be unpublished or about to
 * be freed; safe when workers have stopped. */
void vs_nv_port_destroy(struct vs_nv_port *nv);

/* The channel to publish for the workers, or NULL (closed, broken, not connected). */
struct vs_nv_chan *vs_nv_port_chan(const struct vs_nv_port *nv);

/* The port's admin state changed (set-port admin=): the guest sees media connect/disconnect and
 * the switch stops or resumes sending to the port. */
void vs_nv_port_admin_set(struct vs_nv_port *nv, bool up);

/* Link state: connected, channel open and not broken (admin state not included). */
bool vs_nv_port_link_up(const struct vs_nv_port *nv);

/* Every second: reconnect, forward worker log lines, notice broken channels. */
void vs_nv_port_tick(struct vs_nv_port *nv);

/* "connecting", "connected", "open" or "broken". */
const char *vs_nv_port_state(const struct vs_nv_port *nv);

/* Counters since the port was created (closed channels included), minus the clear-stats base. */
void vs_nv_port_stats(const struct vs_nv_port *nv, struct vs_nv_stats *out);
void vs_nv_port_stats_clear(struct vs_nv_port *nv);

/* State for list-ports/show. */
json_t *vs_nv_port_json(const struct vs_nv_port *nv);
/* Counters for port-stats: {"counters", "errors", "drops"}. */
json_t *vs_nv_port_stats_json(const struct vs_nv_port *nv);

#endif
