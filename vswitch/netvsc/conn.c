/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * netvsc port, control side: the vmbus-user client (include/vsw/proto/vmbus_user.h). Control
 * thread only. The connection is a non-blocking SOCK_SEQPACKET socket in the control thread's
 * epoll loop; when it is down the 1 s timer reconnects. Each request from the hypervisor is
 * answered only once its effect is visible to the workers (GPADL_ADD, CHAN_OPEN) or once the
 * workers can no longer touch the memory concerned (CHAN_CLOSE, GPADL_DEL, RESET: unpublish, grace
 * period, unmap, then reply).
 *
 * Guest memory: GPADLs are mapped one by one (vmbus_gmem_map); GPA_DIRECT packets may name any
 * guest page (the guest's socket buffers), so the whole memory is also mapped once, read-only, for
 * the core's gpa_pages() lookups. Every page number is checked against the memory size.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <rte_malloc.h>

#include "internal.h"
#include "chan.h"

#define LOG_RING_SIZE 64
#define MAX_FDS 2
#define HELLO_TIMEOUT_S 5

enum nv_state {
	NV_DISCONNECTED, /* no socket; retried every second */
	NV_HELLO,	 /* connected, HELLO sent, waiting for its reply */
	NV_CONNECTED,	 /* memory known; GPADLs and a channel may come */
};

/* A subchannel's mapping (its rings live in chan->ring[index]). */
struct nv_sub {
	bool open;
	uint32_t relid, ring_gpadl;
	uint32_t ring_runs;
	struct vmbus_gmem_rings rings;
	int signal_fd;
};

struct vs_nv_port {
	struct vs_evh evh; /* first: the epoll tag */
	struct vs_switch *sw;
	struct vs_port *port;
	char path[VS_NV_SOCKET_MAX];
	int fd;
	enum nv_state state;
	uint32_t seq;
	unsigned int hello_ticks; /* seconds waited for the HELLO reply */
	char last_error[160]; /* last connection problem, logged once */
	/* guest memory */
	struct vmbus_gmem gmem;
	int mem_fd;
	uint8_t *mem; /* whole memory, PROT_READ */
	/* GPADLs: published table (workers read it through the channel) and one being received */
	struct vs_nv_gpadls *gpadls;
	struct {
		bool active;
		struct vmbus_user_gpadl_add h; /* first part's header */
		uint64_t *pfns;
		uint32_t got;
	} part;
	/* channel */
	struct vs_nv_chan *chan;     /* open channel, NULL if none */
	bool chan_hidden;	     /* open but unpublished while control changes it */
	uint64_t n_broken; /* channels closed because the guest broke them */
	struct vmbus_gmem_rings rings;
	uint32_t relid, ring_gpadl;
	uint32_t map_runs;  /* mappings of the GPADLs and the ring, <= VS_NV_MAX_MAP_RUNS */
	uint32_t ring_runs; /* of which the open channel's ring */
	int signal_fd;
	/* subchannels */
	uint32_t queues;       /* devargs queues=N: channels we give at most */
	uint32_t hv_max_sub;   /* subchannels the hypervisor offers at most (HELLO) */
	uint32_t sub_gen_seen; /* chan->sub_gen already asked for */
	uint32_t sub_asked;    /* count in the last SUBCHAN_REQ */
	struct nv_sub sub[VS_VSP_MAX_CHANNELS]; /* [1..]: by sub_channel_index */
	struct rte_ring *log;
	struct vs_nv_stats acc;	 /* counters of closed channels */
	struct vs_nv_stats base; /* clear-stats */
};

/* ---- small helpers ---- */

static void set_error(struct vs_nv_port *nv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Remember a connection problem; log it when it differs from the last one (retries every second
 * must not flood the log). */
static void set_error(struct vs_nv_port *nv, const char *fmt, ...)
{
	char buf[sizeof(nv->last_error)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (strcmp(buf, nv->last_error) != 0)
		VS_LOG(WARNING, "port %s: %s", nv->port->name, buf);
	snprintf(nv->last_error, sizeof(nv->last_error), "%s", buf);
}

static void publish(struct vs_nv_port *nv)
{
	bool up = vs_nv_port_link_up(nv) && !nv->port->set.admin_down;

	__atomic_store_n(&nv->sw->link_up[nv->port->slot], up ? 1 : 0, __ATOMIC_RELAXED);
	vs_dp_publish(nv->sw);
}

/* Replace the GPADL table; the old array is freed after a grace period (mappings are not touched:
 * they belong to the entries, which the new table keeps or the caller unmaps). */
static void gpadls_swap(struct vs_nv_port *nv, struct vs_nv_gpadls *nt)
{
	struct vs_nv_gpadls *old = nv->gpadls;

	__atomic_store_n(&nv->gpadls, nt, __ATOMIC_RELEASE);
	rte_rcu_qsbr_synchronize(nv->sw->qs, RTE_QSBR_THRID_INVALID);
	free(old);
}

static void gpadl_unmap(struct vs_nv_gpadl *g)
{
	vmbus_gmem_unmap(g->va, g->n_pfns);
	free(g->pfns);
}

static void part_reset(struct vs_nv_port *nv)
{
	free(nv->part.pfns);
	memset(&nv->part, 0, sizeof(nv->part));
}

static void stats_add(struct vs_nv_stats *acc, const struct vs_nv_chan *ch)
{
	const struct vs_vsp_stats *st = vs_vsp_stats(ch->vsp);
	unsigned int i;

	for (i = 0; i < VS_VSP_MAX_CHANNELS; i++) {
		acc->vsp.chan[i].from_guest_packets += st->chan[i].from_guest_packets;
		acc->vsp.chan[i].from_guest_bytes += st->chan[i].from_guest_bytes;
		acc->vsp.chan[i].to_guest_packets += st->chan[i].to_guest_packets;
		acc->vsp.chan[i].to_guest_bytes += st->chan[i].to_guest_bytes;
		acc->vsp.chan[i].ring_full += st->chan[i].ring_full;
		acc->doorbells[i] += vs_nv_doorbells(ch, i);
	}
	for (i = 0; i < VS_VSP_CNT_COUNT; i++)
		acc->vsp.cnt[i] += st->cnt[i];
	for (i = 0; i < VS_VSP_ERR_COUNT; i++)
		acc->vsp.err[i] += st->err[i];
	for (i = 0; i < VS_VSP_DROP_COUNT; i++)
		acc->vsp.drop[i] += st->drop[i];
	for (i = 0; i < VS_NV_ERR_COUNT; i++)
		acc->err[i] += ch->err[i];
	for (i = 0; i < VS_NV_DROP_COUNT; i++)
		acc->drop[i] += ch->drop[i];
}

static void log_drain(struct vs_nv_port *nv)
{
	struct vs_nv_log_msg l;

	while (rte_ring_sc_dequeue_elem(nv->log, &l, sizeof(l)) == 0) {
		l.text[sizeof(l.text) - 1] = '\0';
		VS_LOG(WARNING, "port %s: %s", nv->port->name, l.text);
	}
}

/* Unmap subchannel 'i' once no worker can use it ('sync': wait for that here; false when the
 * whole channel was unpublished after a grace period already). */
static void sub_detach(struct vs_nv_port *nv, struct vs_nv_chan *ch, uint32_t i, bool sync)
{
	struct nv_sub *sb = &nv->sub[i];

	if (!sb->open)
		return;
	__atomic_store_n(&ch->ring[i].present, 0, __ATOMIC_RELEASE);
	if (sync)
		rte_rcu_qsbr_synchronize(nv->sw->qs, RTE_QSBR_THRID_INVALID);
	vmbus_gmem_unmap_rings(&sb->rings);
	nv->map_runs -= sb->ring_runs;
	close(ch->ring[i].intr_fd);
	ch->ring[i].intr_fd = -1;
	close(sb->signal_fd);
	memset(sb, 0, sizeof(*sb));
	sb->signal_fd = -1;
	VS_LOG(INFO, "port %s: subchannel %u closed", nv->port->name, i);
}

/* Close the channel: unpublish, wait until no worker uses it, then free it and unmap its rings
 * (the subchannels' too: they are the same NIC's queues). */
static void chan_close(struct vs_nv_port *nv)
{
	struct vs_nv_chan *ch = nv->chan;
	uint32_t i;

	if (ch == NULL)
		return;
	nv->chan = NULL;
	publish(nv);
	for (i = 1; i < VS_VSP_MAX_CHANNELS; i++)
		sub_detach(nv, ch, i, false);
	nv->sub_gen_seen = 0;
	nv->sub_asked = 0;
	stats_add(&nv->acc, ch);
	log_drain(nv);
	vs_vsp_destroy(ch->vsp);
	vmbus_gmem_unmap_rings(&nv->rings);
	nv->map_runs -= nv->ring_runs;
	nv->ring_runs = 0;
	close(ch->ring[0].intr_fd);
	close(nv->signal_fd);
	nv->signal_fd = -1;
	free(ch);
	nv->chan_hidden = false;
	VS_LOG(INFO, "port %s: channel %u closed", nv->port->name, nv->relid);
}

static void gpadls_clear(struct vs_nv_port *nv)
{
	struct vs_nv_gpadls *old = nv->gpadls;
	unsigned int i;

	part_reset(nv);
	if (old == NULL)
		return;
	nv->gpadls = NULL; /* the channel is closed: no worker reads the table */
	rte_rcu_qsbr_synchronize(nv->sw->qs, RTE_QSBR_THRID_INVALID);
	for (i = 0; i < old->n; i++) {
		nv->map_runs -= vs_nv_pfn_runs(old->g[i].pfns, old->g[i].n_pfns);
		gpadl_unmap(&old->g[i]);
	}
	free(old);
}

static void disconnect(struct vs_nv_port *nv)
{
	chan_close(nv);
	gpadls_clear(nv);
	if (nv->mem) {
		munmap(nv->mem, nv->gmem.size);
		nv->mem = NULL;
	}
	if (nv->mem_fd >= 0) {
		close(nv->mem_fd);
		nv->mem_fd = -1;
	}
	if (nv->fd >= 0) {
		vs_ev_del(nv->sw, nv->fd);
		close(nv->fd);
		nv->fd = -1;
	}
	nv->state = NV_DISCONNECTED;
	publish(nv);
}

/* ---- messages ---- */

static int send_msg(struct vs_nv_port *nv, uint32_t type, uint32_t flags, uint32_t seq,
	const void *body, uint32_t size)
{
	struct vmbus_user_hdr h = {.type = type, .flags = flags, .seq = seq, .size = size};
	struct iovec iov[2] = {{&h, sizeof(h)}, {(void *)(uintptr_t)body, size}};
	struct msghdr m = {.msg_iov = iov, .msg_iovlen = 2};

	/* a datagram is sent whole or not at all; a peer that lets its queue fill is dropped */
	if (sendmsg(nv->fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		return -errno;
	return 0;
}

static int reply(struct vs_nv_port *nv, const struct vmbus_user_hdr *req, int status)
{
	struct vmbus_user_reply r = {.status = (uint32_t)status};

	return send_msg(nv, req->type, VMBUS_USER_F_REPLY, req->seq, &r, sizeof(r));
}

static int on_hello_reply(struct vs_nv_port *nv, const uint8_t *body, uint32_t size, int *fds,
	int n_fds)
{
	struct vmbus_user_hello_reply r;
	void *mem;
	int ret;

	if (nv->state != NV_HELLO || size < sizeof(r))
		return -EPROTO;
	memcpy(&r, body, sizeof(r));
	if (r.status) {
		set_error(nv, "hypervisor refused HELLO: %s", strerror((int)r.status));
		return -EPROTO;
	}
	if (r.version != VMBUS_USER_VERSION || n_fds != 1) {
		set_error(nv, "hypervisor speaks vmbus-user version %u with %d fds (want %u, 1)",
			r.version, n_fds, VMBUS_USER_VERSION);
		return -EPROTO;
	}
	ret = vmbus_gmem_init(&nv->gmem, fds[0], r.memory_size);
	if (ret) {
		set_error(nv, "unusable guest memory (%llu bytes): %s",
			(unsigned long long)r.memory_size, strerror(-ret));
		return -EPROTO;
	}
	mem = mmap(NULL, nv->gmem.size, PROT_READ, MAP_SHARED, fds[0], 0);
	if (mem == MAP_FAILED) {
		set_error(nv, "cannot map guest memory: %s", strerror(errno));
		return -EPROTO;
	}
	nv->mem = mem;
	nv->mem_fd = fds[0];
	fds[0] = -1;
	nv->hv_max_sub = r.max_subchannels;
	memcpy(nv->port->mac.addr_bytes, r.mac, 6);
	nv->state = NV_CONNECTED;
	nv->last_error[0] = '\0';
	VS_LOG(INFO, "port %s: connected to %s (guest memory %llu MiB)", nv->port->name, nv->path,
		(unsigned long long)(nv->gmem.size >> 20));
	return 0;
}

/* A GPADL arrives in parts; only the last one is answered. Returns the reply status, or
 * -EINPROGRESS when more parts are expected. */
static int on_gpadl_add(struct vs_nv_port *nv, const uint8_t *body, uint32_t size)
{
	struct vmbus_user_gpadl_add h;
	struct vs_nv_gpadl g = {0};
	struct vs_nv_gpadls *nt;
	uint32_t runs;
	void *va;
	int ret;

	if (size < sizeof(h))
		return EINVAL;
	memcpy(&h, body, sizeof(h));
	if (h.n_pfns > VMBUS_USER_MAX_PFNS_PER_MSG || size != sizeof(h) + (size_t)h.n_pfns * 8 ||
		h.total_pfns == 0 || h.total_pfns > VMBUS_USER_MAX_GPADL_PAGES ||
		h.byte_offset >= VMBUS_PAGE_SIZE || h.byte_count == 0 ||
		vmbus_range_pfns(h.byte_offset, h.byte_count) != h.total_pfns ||
		h.n_pfns > h.total_pfns - h.first_pfn || h.first_pfn > h.total_pfns)
		goto bad;
	if (h.first_pfn == 0) {
		part_reset(nv);
		nv->part.pfns = malloc((size_t)h.total_pfns * 8);
		if (nv->part.pfns == NULL)
			return ENOMEM;
		nv->part.active = true;
		nv->part.h = h;
	} else if (!nv->part.active || nv->part.h.gpadl != h.gpadl ||
		nv->part.h.relid != h.relid || nv->part.h.total_pfns != h.total_pfns ||
		nv->part.h.byte_offset != h.byte_offset || nv->part.h.byte_count != h.byte_count ||
		nv->part.got != h.first_pfn) {
		goto bad;
	}
	memcpy(nv->part.pfns + h.first_pfn, body + sizeof(h), (size_t)h.n_pfns * 8);
	nv->part.got += h.n_pfns;
	if (nv->part.got < h.total_pfns)
		return -EINPROGRESS;
	if (vs_nv_gpadls_find(nv->gpadls, h.gpadl)) {
		part_reset(nv);
		return EEXIST;
	}
	runs = vs_nv_pfn_runs(nv->part.pfns, h.total_pfns);
	if (runs > VS_NV_MAX_MAP_RUNS - nv->map_runs) {
		/* this guest's share of vswitchd's mappings is spent (netvsc.h) */
		part_reset(nv);
		return ENOSPC;
	}
	ret = vmbus_gmem_map(&nv->gmem, nv->part.pfns, h.total_pfns, &va);
	if (ret) {
		part_reset(nv);
		return -ret;
	}
	g = (struct vs_nv_gpadl){.handle = h.gpadl, .relid = h.relid, .byte_offset = h.byte_offset,
		.byte_count = h.byte_count, .n_pfns = h.total_pfns, .pfns = nv->part.pfns, .va = va};
	nt = vs_nv_gpadls_add(nv->gpadls, &g);
	if (nt == NULL) {
		ret = errno;
		vmbus_gmem_unmap(va, h.total_pfns);
		part_reset(nv);
		return ret;
	}
	nv->part.pfns = NULL; /* now owned by the table entry */
	nv->map_runs += runs;
	part_reset(nv);
	gpadls_swap(nv, nt);
	return 0;
bad:
	part_reset(nv);
	return EINVAL;
}

/*
 * The interrupt doorbell vswitchd writes must be a file the guest does not share: the write end
 * of a pipe (vmbus_user.h). An eventfd passed to both sides is one open file whose O_NONBLOCK
 * the guest can clear and whose counter it can saturate, and the worker's next doorbell write()
 * would then block forever (hostile_guest_test, phase "doorbell"). The write end is set
 * non-blocking here (a full pipe, a guest that does not read, is EAGAIN). Returns 0 or EINVAL.
 */
static int doorbell_check(int fd)
{
	struct stat st;
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fstat(fd, &st) < 0 || !S_ISFIFO(st.st_mode) || (fl & O_ACCMODE) != O_WRONLY)
		return EINVAL;
	if (!(fl & O_NONBLOCK) && fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return EINVAL;
	return 0;
}

/* Hide an open channel from the workers while control changes its protocol state, and show it
 * again. */
static void chan_hide(struct vs_nv_port *nv)
{
	nv->chan_hidden = true;
	publish(nv);
}

static void chan_show(struct vs_nv_port *nv)
{
	nv->chan_hidden = false;
	publish(nv);
}

static int on_gpadl_del(struct vs_nv_port *nv, const uint8_t *body, uint32_t size)
{
	struct vmbus_user_gpadl_del d;
	struct vs_nv_gpadls *nt;
	struct vs_nv_gpadl g;

	if (size < sizeof(d))
		return EINVAL;
	memcpy(&d, body, sizeof(d));
	if (nv->part.active && nv->part.h.gpadl == d.gpadl) {
		part_reset(nv);
		return 0;
	}
	if (vs_nv_gpadls_find(nv->gpadls, d.gpadl) == NULL)
		return ENOENT;
	if (nv->chan && d.gpadl == nv->ring_gpadl)
		return EBUSY; /* the hypervisor closes the channel first */
	for (uint32_t i = 1; i < VS_VSP_MAX_CHANNELS; i++) {
		if (nv->sub[i].open && nv->sub[i].ring_gpadl == d.gpadl)
			return EBUSY;
	}
	nt = vs_nv_gpadls_remove(nv->gpadls, d.gpadl, &g);
	if (nt == NULL)
		return errno;
	nv->map_runs -= vs_nv_pfn_runs(g.pfns, g.n_pfns);
	if (nv->chan) {
		/* a buffer the channel may use (Linux revokes buffers after closing the channel, a
		 * guest need not): the core forgets it while no worker runs the channel, which also
		 * makes the old table unreachable */
		struct vs_nv_gpadls *old = nv->gpadls;

		chan_hide(nv);
		vs_vsp_gpadl_teardown(nv->chan->vsp, d.gpadl);
		__atomic_store_n(&nv->gpadls, nt, __ATOMIC_RELEASE);
		free(old);
		chan_show(nv);
	} else {
		gpadls_swap(nv, nt);
	}
	gpadl_unmap(&g);
	return 0;
}

/*
 * A subchannel of the open primary (vmbus_user.h): map its ring into chan->ring[index] while it is
 * not present, then make it present for the workers. Its index must be one we may grant.
 */
/*
 * Map a channel's ring GPADL, split at the host->guest page 'o' gives, and set up 'r' on it as
 * the reader of guest->host and the writer of host->guest, interrupt mask set (polled, chan.c).
 * 'r' must not be visible to workers yet. Returns 0 with '*runs' (mappings used, counted against
 * VS_NV_MAX_MAP_RUNS by the caller) or a positive errno for the reply.
 */
static int ring_attach(struct vs_nv_port *nv, const struct vmbus_user_chan_open *o,
	struct vmbus_gmem_rings *rings, struct vs_nv_ring *r, uint32_t *runs)
{
	const struct vs_nv_gpadl *g = vs_nv_gpadls_find(nv->gpadls, o->ring_gpadl);
	int ret;

	if (g == NULL)
		return ENOENT;
	/* rings start on a page and cover whole pages: the split is in pages */
	if (g->byte_offset != 0 || g->byte_count != (uint64_t)g->n_pfns * VMBUS_PAGE_SIZE)
		return EINVAL;
	*runs = vs_nv_pfn_runs(g->pfns, g->n_pfns); /* the rings are mapped once more */
	if (*runs > VS_NV_MAX_MAP_RUNS - nv->map_runs)
		return ENOSPC;
	ret = vmbus_gmem_map_rings(&nv->gmem, g->pfns, g->n_pfns, o->downstream_ring_page_offset,
		rings);
	if (ret)
		return -ret;
	if (vmbus_ring_init(&r->g2h, rings->g2h, rings->g2h_size, VMBUS_RING_READER) ||
		vmbus_ring_init(&r->h2g, rings->h2g, rings->h2g_size, VMBUS_RING_WRITER)) {
		vmbus_gmem_unmap_rings(rings);
		return EPROTO;
	}
	vmbus_ring_intr_mask(&r->g2h);
	return 0;
}

static int on_subchan_open(struct vs_nv_port *nv, const struct vmbus_user_chan_open *o, int *fds)
{
	struct vs_nv_chan *ch = nv->chan;
	uint32_t i = o->sub_channel_index, runs;
	struct nv_sub *sb;
	struct vs_nv_ring *r;
	int ret;

	if (ch == NULL)
		return ENOENT; /* the primary is opened first */
	if (i > ch->max_sub)
		return EINVAL;
	sb = &nv->sub[i];
	if (sb->open || o->relid == nv->relid)
		return EBUSY;
	if (doorbell_check(fds[1]))
		return EINVAL;
	r = &ch->ring[i]; /* not present: no worker reads it */
	ret = ring_attach(nv, o, &sb->rings, r, &runs);
	if (ret)
		return ret;
	r->h2g_dirty = false;
	r->intr_fd = fds[1];
	sb->signal_fd = fds[0];
	fds[0] = fds[1] = -1;
	sb->open = true;
	sb->relid = o->relid;
	sb->ring_gpadl = o->ring_gpadl;
	sb->ring_runs = runs;
	nv->map_runs += runs;
	if (__atomic_load_n(&ch->n_rings, __ATOMIC_RELAXED) < i + 1)
		__atomic_store_n(&ch->n_rings, i + 1, __ATOMIC_RELEASE);
	__atomic_store_n(&r->present, 1, __ATOMIC_RELEASE);
	VS_LOG(INFO, "port %s: subchannel %u open (relid %u, ring %zu+%zu KiB)", nv->port->name, i,
		o->relid, sb->rings.g2h_size >> 10, sb->rings.h2g_size >> 10);
	return 0;
}

static int on_chan_open(struct vs_nv_port *nv, const uint8_t *body, uint32_t size, int *fds,
	int n_fds)
{
	struct vs_vsp_config cfg = {.link_up = !nv->port->set.admin_down};
	struct vmbus_user_chan_open o;
	struct vs_nv_chan *ch;
	uint32_t runs;
	int ret;

	if (size < sizeof(o) || n_fds != 2)
		return EINVAL;
	memcpy(&o, body, sizeof(o));
	if (o.sub_channel_index != 0)
		return on_subchan_open(nv, &o, fds);
	if (nv->chan)
		return EBUSY;
	if (doorbell_check(fds[1])) {
		VS_LOG(WARNING, "port %s: CHAN_OPEN: the interrupt doorbell is not the write end of "
			"a pipe", nv->port->name);
		return EINVAL;
	}
	ch = calloc(1, sizeof(*ch));
	if (ch == NULL)
		return ENOMEM;
	ret = ring_attach(nv, &o, &nv->rings, &ch->ring[0], &runs);
	if (ret) {
		free(ch);
		return ret;
	}
	ch->ring[0].present = 1;
	ch->n_rings = 1;
	/* channels: our queues=N, what the hypervisor offers and what the core serves */
	ch->max_sub = nv->queues - 1;
	if (ch->max_sub > nv->hv_max_sub)
		ch->max_sub = nv->hv_max_sub;
	if (ch->max_sub > VS_VSP_MAX_CHANNELS - 1)
		ch->max_sub = VS_VSP_MAX_CHANNELS - 1;
	cfg.rss_queues = 1 + ch->max_sub;
	memcpy(cfg.mac, nv->port->mac.addr_bytes, 6);
	cfg.ndis_mtu_max = nv->port->set.mtu + 14u;
	cfg.offloads_off = nv->port->set.offloads_off; /* set-port csum/lso/rsc=off */
	ch->vsp = vs_vsp_create(&cfg, &vs_nv_vsp_ops, ch);
	if (ch->vsp == NULL) {
		ret = -errno;
		goto err_unmap;
	}
	rte_spinlock_init(&ch->lock);
	ch->link_want = cfg.link_up ? 1 : 0;
	ch->link_cur = cfg.link_up;
	ch->ring[0].intr_fd = fds[1];
	nv->signal_fd = fds[0];
	fds[0] = fds[1] = -1;
	ch->gpadls = &nv->gpadls;
	ch->mem = nv->mem;
	ch->mem_pages = nv->gmem.n_pages;
	ch->pool = nv->sw->pool;
	ch->log = nv->log;
	nv->relid = o.relid;
	nv->ring_gpadl = o.ring_gpadl;
	nv->ring_runs = runs;
	nv->map_runs += runs;
	nv->chan = ch;
	publish(nv);
	VS_LOG(INFO, "port %s: channel %u open (ring %zu+%zu KiB, worker %u)", nv->port->name,
		o.relid, nv->rings.g2h_size >> 10, nv->rings.h2g_size >> 10, nv->port->worker);
	return 0;
err_unmap:
	vmbus_gmem_unmap_rings(&nv->rings);
	free(ch);
	return ret < 0 ? -ret : ret;
}

static int on_chan_close(struct vs_nv_port *nv, const uint8_t *body, uint32_t size)
{
	struct vmbus_user_chan_close c;

	if (size < sizeof(c))
		return EINVAL;
	memcpy(&c, body, sizeof(c));
	if (nv->chan) {
		for (uint32_t i = 1; i < VS_VSP_MAX_CHANNELS; i++) {
			if (nv->sub[i].open && nv->sub[i].relid == c.relid) {
				/* answered after the grace period and the unmap (conn.c header) */
				sub_detach(nv, nv->chan, i, true);
				return 0;
			}
		}
	}
	if (nv->chan == NULL || c.relid != nv->relid)
		return ENOENT;
	chan_close(nv);
	return 0;
}

static int on_request(struct vs_nv_port *nv, const struct vmbus_user_hdr *h, const uint8_t *body,
	int *fds, int n_fds)
{
	int status;

	if (nv->state != NV_CONNECTED)
		return reply(nv, h, EPROTO);
	switch (h->type) {
	case VMBUS_USER_GPADL_ADD:
		status = on_gpadl_add(nv, body, h->size);
		if (status == -EINPROGRESS)
			return 0;
		break;
	case VMBUS_USER_GPADL_DEL:
		status = on_gpadl_del(nv, body, h->size);
		break;
	case VMBUS_USER_CHAN_OPEN:
		status = on_chan_open(nv, body, h->size, fds, n_fds);
		break;
	case VMBUS_USER_CHAN_CLOSE:
		status = on_chan_close(nv, body, h->size);
		break;
	case VMBUS_USER_RESET:
		chan_close(nv);
		gpadls_clear(nv);
		status = 0;
		break;
	default:
		status = EOPNOTSUPP;
		break;
	}
	if (status)
		VS_LOG(WARNING, "port %s: vmbus-user request %u refused: %s", nv->port->name,
			h->type, strerror(status));
	return reply(nv, h, status);
}

/* One datagram. Returns 0, or -errno to drop the connection. */
static int on_msg(struct vs_nv_port *nv, const uint8_t *buf, size_t len, int *fds, int n_fds)
{
	struct vmbus_user_hdr h;

	if (len < sizeof(h))
		return -EPROTO;
	memcpy(&h, buf, sizeof(h));
	if (h.size != len - sizeof(h))
		return -EPROTO;
	if (h.flags & VMBUS_USER_F_REPLY) {
		if (h.type == VMBUS_USER_HELLO)
			return on_hello_reply(nv, buf + sizeof(h), h.size, fds, n_fds);
		return 0; /* answers to LINK/SUBCHAN_REQ: we send none */
	}
	return on_request(nv, &h, buf + sizeof(h), fds, n_fds);
}

static void on_event(struct vs_evh *evh, uint32_t events)
{
	static uint8_t buf[VMBUS_USER_MAX_MSG];
	struct vs_nv_port *nv = (struct vs_nv_port *)evh;
	char cbuf[CMSG_SPACE(MAX_FDS * sizeof(int))];
	unsigned int i;

	(void)events;
	for (i = 0; i < 64 && nv->fd >= 0; i++) {
		struct iovec iov = {buf, sizeof(buf)};
		struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			.msg_controllen = sizeof(cbuf)};
		int fds[MAX_FDS] = {-1, -1}, n_fds = 0, ret = 0, k;
		struct cmsghdr *c;
		ssize_t n;

		n = recvmsg(nv->fd, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			set_error(nv, "hypervisor closed the connection");
			disconnect(nv);
			return;
		}
		for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
			int *p = (int *)CMSG_DATA(c);
			size_t nf;

			if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
				continue;
			nf = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (size_t j = 0; j < nf; j++) {
				if (n_fds < MAX_FDS)
					fds[n_fds++] = p[j];
				else
					close(p[j]);
			}
		}
		if (m.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
			ret = -EPROTO;
		else
			ret = on_msg(nv, buf, (size_t)n, fds, n_fds);
		for (k = 0; k < n_fds; k++) {
			if (fds[k] >= 0)
				close(fds[k]);
		}
		if (ret) {
			set_error(nv, "vmbus-user protocol error (%s); reconnecting", strerror(-ret));
			disconnect(nv);
			return;
		}
	}
}

static void try_connect(struct vs_nv_port *nv)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct vmbus_user_hello hello = {.version = VMBUS_USER_VERSION};
	int ret;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", nv->path);
	nv->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (nv->fd < 0) {
		set_error(nv, "socket: %s", strerror(errno));
		return;
	}
	if (connect(nv->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		set_error(nv, "cannot connect to %s: %s (retrying every second)", nv->path,
			strerror(errno));
		goto err;
	}
	nv->state = NV_HELLO;
	nv->hello_ticks = 0;
	ret = send_msg(nv, VMBUS_USER_HELLO, 0, nv->seq++, &hello, sizeof(hello));
	if (ret == 0)
		ret = vs_ev_add(nv->sw, nv->fd, &nv->evh);
	if (ret) {
		set_error(nv, "cannot talk to %s: %s", nv->path, strerror(-ret));
		goto err;
	}
	return;
err:
	close(nv->fd);
	nv->fd = -1;
	nv->state = NV_DISCONNECTED;
}

/* ---- API ---- */

int vs_nv_port_create(struct vs_switch *sw, struct vs_port *p, char *err, size_t errlen)
{
	struct vs_nv_port *nv;
	char name[RTE_RING_NAMESIZE];
	static unsigned int gen;
	int ret;

	nv = calloc(1, sizeof(*nv));
	if (nv == NULL)
		return -ENOMEM;
	ret = vs_nv_devargs_parse(p->devargs, nv->path, sizeof(nv->path), &nv->queues, err, errlen);
	if (ret) {
		free(nv);
		return ret;
	}
	snprintf(name, sizeof(name), "vsnv_log%u", gen++);
	nv->log = rte_ring_create_elem(name, sizeof(struct vs_nv_log_msg), LOG_RING_SIZE,
		SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (nv->log == NULL) {
		free(nv);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	nv->evh.fn = on_event;
	nv->sw = sw;
	nv->port = p;
	nv->fd = nv->mem_fd = nv->signal_fd = -1;
	for (unsigned int i = 0; i < VS_VSP_MAX_CHANNELS; i++)
		nv->sub[i].signal_fd = -1;
	p->nv = nv;
	try_connect(nv);
	return 0;
}

void vs_nv_port_destroy(struct vs_nv_port *nv)
{
	if (nv == NULL)
		return;
	disconnect(nv);
	log_drain(nv);
	rte_ring_free(nv->log);
	nv->port->nv = NULL;
	free(nv);
}

void vs_nv_port_admin_set(struct vs_nv_port *nv, bool up)
{
	if (nv->chan)
		__atomic_store_n(&nv->chan->link_want, up ? 1 : 0, __ATOMIC_RELAXED);
	publish(nv);
}

struct vs_nv_chan *vs_nv_port_chan(const struct vs_nv_port *nv)
{
	return nv->chan_hidden ? NULL : nv->chan;
}

bool vs_nv_port_link_up(const struct vs_nv_port *nv)
{
	return nv->state == NV_CONNECTED && nv->chan &&
		!__atomic_load_n(&nv->chan->broken, __ATOMIC_ACQUIRE);
}

const char *vs_nv_port_state(const struct vs_nv_port *nv)
{
	if (nv->state != NV_CONNECTED)
		return "connecting";
	if (nv->chan == NULL)
		return "connected";
	return __atomic_load_n(&nv->chan->broken, __ATOMIC_ACQUIRE) ? "broken" : "open";
}

/* The owner worker granted subchannels (chan.c op_subchannels): ask the hypervisor to offer
 * them. The reply (the count offered) needs no action: the offers' opens come as CHAN_OPEN. */
static void subchan_request(struct vs_nv_port *nv)
{
	struct vmbus_user_subchan_req req = {0};
	uint32_t gen;
	int ret;

	if (nv->chan == NULL || nv->state != NV_CONNECTED)
		return;
	gen = __atomic_load_n(&nv->chan->sub_gen, __ATOMIC_ACQUIRE);
	if (gen == nv->sub_gen_seen)
		return;
	nv->sub_gen_seen = gen;
	req.count = __atomic_load_n(&nv->chan->sub_granted, __ATOMIC_RELAXED);
	if (req.count == 0)
		return;
	ret = send_msg(nv, VMBUS_USER_SUBCHAN_REQ, 0, nv->seq++, &req, sizeof(req));
	if (ret)
		VS_LOG(WARNING, "port %s: SUBCHAN_REQ: %s", nv->port->name, strerror(-ret));
	else
		nv->sub_asked = req.count;
}

/*
 * The worker stopped serving a channel whose guest broke the ring or framing rules. Close it:
 * dropping the vmbus-user connection makes the hypervisor rescind the guest's channel (the
 * guest must close it and may open the re-offer, as after a vswitchd restart), and we connect
 * again at the next tick. A guest that keeps breaking its channel costs one reconnection per
 * second; the log line is rate-limited (1st, 2nd, 4th, 8th... time).
 */
static void close_broken(struct vs_nv_port *nv)
{
	nv->n_broken++;
	if ((nv->n_broken & (nv->n_broken - 1)) == 0)
		VS_LOG(WARNING, "port %s: the guest broke the ring protocol on channel %u; closing "
			"the channel (time %llu; see port-stats)", nv->port->name, nv->relid,
			(unsigned long long)nv->n_broken);
	disconnect(nv);
}

void vs_nv_port_tick(struct vs_nv_port *nv)
{
	subchan_request(nv);
	if (nv->state == NV_DISCONNECTED) {
		try_connect(nv);
	} else if (nv->state == NV_HELLO && ++nv->hello_ticks > HELLO_TIMEOUT_S) {
		set_error(nv, "no HELLO reply from %s within %u s; reconnecting", nv->path,
			HELLO_TIMEOUT_S);
		disconnect(nv);
	}
	log_drain(nv);
	if (nv->chan && __atomic_load_n(&nv->chan->broken, __ATOMIC_ACQUIRE))
		close_broken(nv);
}

static void stats_now(const struct vs_nv_port *nv, struct vs_nv_stats *out)
{
	*out = nv->acc;
	if (nv->chan)
		stats_add(out, nv->chan);
}

void vs_nv_port_stats(const struct vs_nv_port *nv, struct vs_nv_stats *out)
{
	const uint64_t *b = (const uint64_t *)&nv->base;
	uint64_t *o = (uint64_t *)out;
	size_t i;

	_Static_assert(sizeof(struct vs_nv_stats) % sizeof(uint64_t) == 0, "counters only");
	stats_now(nv, out);
	for (i = 0; i < sizeof(*out) / sizeof(uint64_t); i++)
		o[i] -= b[i];
}

void vs_nv_port_stats_clear(struct vs_nv_port *nv)
{
	stats_now(nv, &nv->base);
}

/* What we advertise ("csum", "lso", "rsc") and what the guest enabled (VS_VSP_EN_* names). */
static json_t *offloads_json(const struct vs_vsp_info *info)
{
	static const char *const ol[] = {"csum", "lso", "rsc"};
	json_t *adv = json_array(), *en = json_array();
	unsigned int i;

	for (i = 0; i < 3; i++)
		if (info->offloads_advertised & (1u << i))
			json_array_append_new(adv, json_string(ol[i]));
	for (i = 0; i < VS_VSP_EN_COUNT; i++)
		if (info->offloads & (1u << i))
			json_array_append_new(en, json_string(vs_vsp_en_name(i)));
	return json_pack("{s:o, s:o}", "advertised", adv, "enabled", en);
}

json_t *vs_nv_port_json(const struct vs_nv_port *nv)
{
	struct vs_vsp_info info = {0};
	json_t *o;

	if (nv->chan)
		vs_vsp_info_get(nv->chan->vsp, &info);
	o = json_pack("{s:s, s:s, s:s, s:i, s:i}", "socket", nv->path, "state",
		vs_nv_port_state(nv), "error", nv->state == NV_CONNECTED ? "" : nv->last_error,
		"relid", nv->chan ? (int)nv->relid : -1, "gpadls",
		nv->gpadls ? (int)nv->gpadls->n : 0);
	if (o && nv->chan)
		json_object_set_new(o, "guest", json_pack("{s:I, s:i, s:b, s:b, s:i, s:i, s:i, s:i, s:b}",
			"nvsp_version", (json_int_t)info.nvsp_version, "ndis_mtu", info.ndis_mtu,
			"recv_buf", info.recv_buf, "send_buf", info.send_buf, "rx_suballocs",
			info.rx_suballocs, "rx_suballocs_free", info.rx_free, "rx_suballoc_size",
			info.rx_suballoc_size,
			"packet_filter", info.packet_filter, "rndis_ready", info.rndis_ready));
	if (o && nv->chan)
		json_object_set_new(json_object_get(o, "guest"), "offloads", offloads_json(&info));
	if (o && nv->chan) {
		json_t *subs = json_array();

		for (uint32_t i = 1; i < VS_VSP_MAX_CHANNELS; i++) {
			if (nv->sub[i].open)
				json_array_append_new(
					subs, json_pack("{s:i, s:i}", "index", (int)i, "relid",
						      (int)nv->sub[i].relid));
		}
		json_object_set_new(o, "channels",
			json_pack("{s:i, s:i, s:i, s:i, s:o}", "max", (int)(1 + nv->chan->max_sub),
				"granted", (int)info.n_channels, "requested", (int)nv->sub_asked,
				"open", (int)(1 + json_array_size(subs)), "subchannels", subs));
		json_object_set_new(o, "rss",
			json_pack("{s:b, s:I, s:i}", "enabled", info.rss_enabled, "hash_info",
				(json_int_t)info.rss_hash_info, "table_len",
				(int)info.rss_table_len));
	}
	return o;
}

/* Per-channel counters: the primary and every subchannel open now or that carried traffic. */
static json_t *chan_stats_json(const struct vs_nv_port *nv, const struct vs_nv_stats *st)
{
	json_t *a = json_array();
	uint32_t i;

	for (i = 0; i < VS_VSP_MAX_CHANNELS; i++) {
		const struct vs_vsp_chan_stats *c = &st->vsp.chan[i];
		bool open = nv->chan && (i == 0 || nv->sub[i].open);
		uint32_t g2h = 0, h2g = 0;

		if (!open && !c->from_guest_packets && !c->to_guest_packets && !c->ring_full)
			continue;
		if (open)
			vs_nv_ring_depth(nv->chan, i, &g2h, &h2g);
		json_array_append_new(
			a, json_pack("{s:i, s:b, s:I, s:I, s:I, s:I, s:I, s:i, s:i, s:I}", "index", (int)i,
				   "open", open, "from_guest_packets", (json_int_t)c->from_guest_packets,
				   "from_guest_bytes", (json_int_t)c->from_guest_bytes,
				   "to_guest_packets", (json_int_t)c->to_guest_packets,
				   "to_guest_bytes", (json_int_t)c->to_guest_bytes, "ring_full",
				   (json_int_t)c->ring_full, "g2h_pending_bytes", (int)g2h,
				   "h2g_pending_bytes", (int)h2g, "doorbells",
				   (json_int_t)st->doorbells[i]));
	}
	return a;
}

json_t *vs_nv_port_stats_json(const struct vs_nv_port *nv)
{
	struct vs_nv_stats st;
	json_t *cnt = json_object(), *err = json_object(), *drop = json_object();
	unsigned int i;

	vs_nv_port_stats(nv, &st);
	for (i = 0; i < VS_VSP_CNT_COUNT; i++)
		json_object_set_new(cnt, vs_vsp_cnt_name(i), json_integer((json_int_t)st.vsp.cnt[i]));
	for (i = 1; i < VS_VSP_ERR_COUNT; i++)
		json_object_set_new(err, vs_vsp_err_name(i), json_integer((json_int_t)st.vsp.err[i]));
#define VS_NV_X(e, s) json_object_set_new(err, s, json_integer((json_int_t)st.err[VS_NV_ERR_##e]));
	VS_NV_ERRORS(VS_NV_X)
#undef VS_NV_X
	for (i = 0; i < VS_VSP_DROP_COUNT; i++)
		json_object_set_new(drop, vs_vsp_drop_name(i),
			json_integer((json_int_t)st.vsp.drop[i]));
#define VS_NV_X(e, s) json_object_set_new(drop, s, json_integer((json_int_t)st.drop[VS_NV_DROP_##e]));
	VS_NV_DROPS(VS_NV_X)
#undef VS_NV_X
	return json_pack("{s:s, s:o, s:o, s:o, s:o}", "state", vs_nv_port_state(nv), "counters",
		cnt, "errors", err, "drops", drop, "channels", chan_stats_json(nv, &st));
}
