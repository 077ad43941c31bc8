/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Channel datapath (workers). The owner worker polls the guest->host ring with its interrupt_mask
 * kept set, so the guest never needs to signal us (facts 5.3): a frame waits at most one poll of
 * the worker, which is the worker's idle sleep (up to --idle-sleep-max) when the switch is idle.
 * Host->guest packets (completions, control answers, received frames) are published and signalled
 * once per poll or transmit burst. Never blocks (the doorbell is the non-blocking write end of a
 * pipe only vmmd and we hold, conn.c doorbell_check), never allocates besides mbufs, never logs
 * (lines go to control).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_ip.h>
#include <vsw/proto/rndis.h>

#include "chan.h"
#include "offload.h"

#define VS_NV_TSO_SEGS 128u /* segments of one LSO frame for a guest without RSC (MSS >= 500) */
#define NV_TX_OL_MASK (RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_L4_MASK)
/* received frames coalesced (vs_ol_gro) or with a verified L4 checksum */
#define NV_RX_OL_MASK (RTE_MBUF_F_RX_LRO | RTE_MBUF_F_RX_L4_CKSUM_GOOD)

static void chan_err(struct vs_nv_chan *ch, enum vs_nv_err e)
{
	ch->err[e]++;
}

static void chan_break(struct vs_nv_chan *ch, enum vs_nv_err e)
{
	chan_err(ch, e);
	__atomic_store_n(&ch->broken, 1, __ATOMIC_RELEASE);
}

static void doorbell(struct vs_nv_ring *r)
{
	uint64_t one = 1;

	/* a system call: guests that poll mask their interrupts (uio_hv_generic does) */
	__atomic_store_n(&r->doorbells, r->doorbells + 1, __ATOMIC_RELAXED);
	if (write(r->intr_fd, &one, sizeof(one)) < 0) {
		/* EAGAIN: the pipe is full, the guest has unread signals; or it is gone */
	}
}

/* ---- VSP services ---- */

static int op_gpadl_map(void *ctx, uint32_t gpadl, uint8_t **base, size_t *size)
{
	struct vs_nv_chan *ch = ctx;
	const struct vs_nv_gpadls *t = __atomic_load_n(ch->gpadls, __ATOMIC_ACQUIRE);
	const struct vs_nv_gpadl *g = vs_nv_gpadls_find(t, gpadl);

	if (g == NULL)
		return -ENOENT;
	*base = g->va + g->byte_offset;
	*size = g->byte_count;
	return 0;
}

static int op_gpa_pages(void *ctx, const uint64_t *pfns, uint32_t n, uint8_t **pages)
{
	struct vs_nv_chan *ch = ctx;
	uint32_t i;

	for (i = 0; i < n; i++) {
		if (pfns[i] >= ch->mem_pages)
			return -EFAULT;
		/* read-only mapping: the core only reads guest send data through these */
		pages[i] = (uint8_t *)(uintptr_t)(ch->mem + (pfns[i] << 12));
	}
	return 0;
}

static int op_send(void *ctx, uint32_t channel, const void *pkt, size_t len)
{
	struct vs_nv_chan *ch = ctx;
	struct iovec iov = {.iov_base = (void *)(uintptr_t)pkt, .iov_len = len};
	struct vs_nv_ring *r;
	int ret;

	if (channel >= VS_VSP_MAX_CHANNELS ||
		!__atomic_load_n(&ch->ring[channel].present, __ATOMIC_ACQUIRE))
		return -ENOTCONN; /* not open: the core drops what it carried */
	r = &ch->ring[channel];
	ret = vmbus_ring_write(&r->h2g, &iov, 1);
	if (ret == 0)
		r->h2g_dirty = true;
	else if (ret == -EPROTO)
		chan_break(ch, VS_NV_ERR_RING_CORRUPT);
	return ret;
}

/* Write the IP length fields of an LSO frame (Linux guests send them as 0, facts 7.6) and the
 * IPv4 header checksum, so that the frame is whole for every port it may reach. */
static void fix_ip_len(struct rte_mbuf *m, const struct vs_ol_info *in)
{
	uint8_t *l3 = rte_pktmbuf_mtod_offset(m, uint8_t *, in->l2_len);

	if (in->flags & VS_OL_F_IPV4) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)l3;

		ip->total_length = rte_cpu_to_be_16((uint16_t)(in->frame_len - in->l2_len));
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
	} else {
		struct rte_ipv6_hdr *ip6 = (struct rte_ipv6_hdr *)l3;

		ip6->payload_len =
			rte_cpu_to_be_16((uint16_t)(in->frame_len - in->l2_len - sizeof(*ip6)));
	}
}

/*
 * A guest frame with LSO or checksum per-packet info (already checked by the VSP core against the
 * negotiated offloads and, for LSO, its headers): parse its private copy with the offload library,
 * insist that it agrees with the request, and carry the request as DPDK transmit metadata
 * (offload.h convention) with l2/l3/l4_len set. -EINVAL: the headers disagree.
 */
static int offload_in(struct rte_mbuf *m, const struct vs_vsp_frame *f)
{
	bool v6 = f->flags & VS_VSP_TXF_IPV6;
	bool tcp = f->flags & (VS_VSP_TXF_LSO | VS_VSP_TXF_TCP_CSUM);
	struct vs_ol_info in;

	if (vs_ol_parse(m, VS_OL_PARSE_LEN0, &in) < 0)
		return -EINVAL;
	if ((uint32_t)in.l2_len + in.l3_len != f->l4_offset ||
		!(in.flags & (v6 ? VS_OL_F_IPV6 : VS_OL_F_IPV4)) ||
		!(in.flags & (tcp ? VS_OL_F_TCP : VS_OL_F_UDP)))
		return -EINVAL;
	m->l2_len = in.l2_len;
	m->l3_len = in.l3_len;
	m->l4_len = in.l4_len;
	m->ol_flags |= v6 ? RTE_MBUF_F_TX_IPV6 : (RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM);
	if (f->flags & VS_VSP_TXF_LSO) {
		fix_ip_len(m, &in);
		vs_ol_mark_tso(m, (uint16_t)f->mss);
	} else {
		vs_ol_mark_csum(m, tcp);
	}
	return 0;
}

static int op_deliver(void *ctx, const struct vs_vsp_frame *f)
{
	struct vs_nv_chan *ch = ctx;
	struct rte_mbuf *m;
	int ret;

	if (ch->n_stage >= ch->stage_max) {
		ch->drop[VS_NV_DROP_FROM_GUEST_BURST_FULL]++;
		return -ENOBUFS;
	}
	ret = vs_nv_mbuf_from_segs(ch->pool, f->segs, f->n_segs, f->len, &m);
	if (ret) {
		ch->drop[VS_NV_DROP_FROM_GUEST_NO_MBUF]++;
		return ret;
	}
	if ((f->flags & (VS_VSP_TXF_LSO | VS_VSP_TXF_TCP_CSUM | VS_VSP_TXF_UDP_CSUM)) &&
		offload_in(m, f) < 0) {
		ch->drop[VS_NV_DROP_FROM_GUEST_OFFLOAD]++;
		rte_pktmbuf_free(m);
		return -EINVAL;
	}
	if (f->flags & VS_VSP_TXF_VLAN) {
		/* the guest's 802.1Q PPI: the switch treats it as a tag stripped by a device */
		m->vlan_tci = f->vlan_tci;
		m->ol_flags |= RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED;
	}
	ch->stage[ch->n_stage++] = m;
	return 0;
}

/* Grant up to the port's maximum and let control ask the hypervisor for the offers (conn.c, in
 * its tick): the worker never waits for the hypervisor. */
static uint32_t op_subchannels(void *ctx, uint32_t requested)
{
	struct vs_nv_chan *ch = ctx;
	uint32_t n = requested < ch->max_sub ? requested : ch->max_sub;

	__atomic_store_n(&ch->sub_granted, n, __ATOMIC_RELAXED);
	__atomic_add_fetch(&ch->sub_gen, 1, __ATOMIC_RELEASE);
	return n;
}

static void op_log(void *ctx, const char *msg)
{
	struct vs_nv_chan *ch = ctx;
	struct vs_nv_log_msg l;

	snprintf(l.text, sizeof(l.text), "%s", msg);
	/* full ring: the line is lost, the counters still say what happened */
	rte_ring_sp_enqueue_elem(ch->log, &l, sizeof(l));
}

const struct vs_vsp_ops vs_nv_vsp_ops = {
	.gpadl_map = op_gpadl_map,
	.gpa_pages = op_gpa_pages,
	.send = op_send,
	.deliver = op_deliver,
	.subchannels = op_subchannels,
	.log = op_log,
};

/* ---- bursts ---- */

/* Publish what was written to the guest; true if the guest must be signalled. */
static bool h2g_publish(struct vs_nv_ring *r)
{
	if (!r->h2g_dirty)
		return false;
	r->h2g_dirty = false;
	return vmbus_ring_write_done(&r->h2g);
}

/* The ring slots in use: up to the highest one control ever attached. */
static uint32_t rings_in_use(const struct vs_nv_chan *ch)
{
	uint32_t nr = __atomic_load_n(&ch->n_rings, __ATOMIC_ACQUIRE);

	return nr < VS_VSP_MAX_CHANNELS ? nr : VS_VSP_MAX_CHANNELS;
}

/* Publish and signal every channel written to. Called with the lock held; 'sig' collects the
 * rings to signal after it is released. */
static unsigned int publish_all(struct vs_nv_chan *ch, struct vs_nv_ring **sig)
{
	unsigned int c, n = 0, nr = rings_in_use(ch);

	for (c = 0; c < nr; c++) {
		if (h2g_publish(&ch->ring[c]))
			sig[n++] = &ch->ring[c];
	}
	return n;
}

/* Read and handle the guest->host packets of channel 'c'. Returns false when the channel (the
 * whole NIC) must stop. */
static bool ring_poll(struct vs_nv_chan *ch, uint32_t c, bool *signal)
{
	struct vs_nv_ring *r = &ch->ring[c];
	bool read_any = false, ok = true;
	unsigned int n_pkts;
	int len, room;

	/* A packet is taken only while the stage holds all the frames a guest that keeps to
	 * max_pkt_per_msg may batch in it: frames that do not fit are dropped (burst_full). */
	_Static_assert(VS_NV_RX_STAGE >= 2 * VS_VSP_PKTS_PER_MSG, "a poll stages two messages");
	for (n_pkts = 0; n_pkts < VS_NV_RX_PKTS && ch->n_stage + VS_VSP_PKTS_PER_MSG <= ch->stage_max;
		n_pkts++) {
		/* an answer must fit before a request is taken: a guest that does not read its
		 * ring stops being served instead of losing answers */
		room = vmbus_ring_free_bytes(&r->h2g);
		if (room < 0) {
			chan_break(ch, VS_NV_ERR_RING_CORRUPT);
			ok = false;
			break;
		}
		if ((unsigned int)room < VS_VSP_HANDLE_MAX_OUT)
			break;
		len = vmbus_ring_read(&r->g2h, ch->pkt, sizeof(ch->pkt));
		if (len == -EAGAIN)
			break;
		if (len == -EMSGSIZE) {
			chan_err(ch, VS_NV_ERR_RING_PKT_OVERSIZE);
			if (vmbus_ring_skip(&r->g2h) < 0) {
				chan_break(ch, VS_NV_ERR_RING_CORRUPT);
				ok = false;
				break;
			}
			read_any = true;
			continue;
		}
		if (len < 0) {
			chan_break(ch, VS_NV_ERR_RING_CORRUPT);
			ok = false;
			break;
		}
		read_any = true;
		if (vs_vsp_handle_packet(ch->vsp, c, ch->pkt, (size_t)len) < 0) {
			/* a framing violation (counted by the core): stop serving the channel */
			__atomic_store_n(&ch->broken, 1, __ATOMIC_RELEASE);
			ok = false;
			break;
		}
	}
	if (read_any && vmbus_ring_read_done(&r->g2h))
		*signal = true;
	return ok;
}

/* The port's admin state changed: tell the guest (RNDIS media connect/disconnect). A full answer
 * queue is counted by the core and not retried: that guest is not reading its ring. */
static void link_follow(struct vs_nv_chan *ch)
{
	bool want = __atomic_load_n(&ch->link_want, __ATOMIC_RELAXED) != 0;

	if (want == ch->link_cur)
		return;
	ch->link_cur = want;
	vs_vsp_link_set(ch->vsp, want);
}

uint16_t vs_nv_rx_burst(struct vs_nv_chan *ch, struct rte_mbuf **pkts, uint16_t max)
{
	struct vs_nv_ring *sig[VS_VSP_MAX_CHANNELS];
	bool read_sig[VS_VSP_MAX_CHANNELS] = {false};
	unsigned int n_sig, i;
	uint32_t c, nr;
	uint16_t n;

	rte_spinlock_lock(&ch->lock);
	if (__atomic_load_n(&ch->broken, __ATOMIC_RELAXED)) {
		rte_spinlock_unlock(&ch->lock);
		return 0;
	}
	ch->stage = pkts;
	ch->n_stage = 0;
	ch->stage_max = max;
	link_follow(ch);
	nr = rings_in_use(ch);
	for (c = 0; c < nr; c++) {
		if (!__atomic_load_n(&ch->ring[c].present, __ATOMIC_ACQUIRE))
			continue;
		if (!ring_poll(ch, c, &read_sig[c]))
			break;
	}
	__atomic_store_n(&ch->offloads, vs_vsp_offloads(ch->vsp), __ATOMIC_RELAXED);
	n_sig = publish_all(ch, sig);
	n = ch->n_stage;
	ch->stage = NULL;
	ch->n_stage = ch->stage_max = 0;
	rte_spinlock_unlock(&ch->lock);
	for (i = 0; i < n_sig; i++) {
		read_sig[sig[i] - ch->ring] = false;
		doorbell(sig[i]);
	}
	for (c = 0; c < nr; c++) {
		if (read_sig[c])
			doorbell(&ch->ring[c]);
	}
	return n;
}

/* The channel for a frame to the guest: by the guest's RSS hash and table when it enabled RSS,
 * else the primary. Entries naming a subchannel that is not open go to the primary (vsp.h). */
static uint32_t pick_channel(struct vs_nv_chan *ch, const struct vs_vsp_rss *rss,
	const struct rte_mbuf *m, struct vs_vsp_rx_frame *f)
{
	uint32_t c;

	if (rss == NULL || vs_nv_rss_hash(m, rss, &f->hash) < 0)
		return 0;
	f->flags |= VS_VSP_RXF_HASH;
	c = vs_vsp_rss_channel(ch->vsp, f->hash);
	if (c >= VS_VSP_MAX_CHANNELS || !__atomic_load_n(&ch->ring[c].present, __ATOMIC_ACQUIRE))
		return 0;
	return c;
}

/* One frame into the guest's receive buffer. Returns 1 if it was taken, 0 if dropped (counted). */
static int tx_one(struct vs_nv_chan *ch, const struct vs_vsp_rss *rss, struct rte_mbuf *m,
	struct vs_vsp_seg *segs, uint32_t flags, uint32_t csum_info)
{
	struct vs_vsp_rx_frame f = {.segs = segs, .flags = flags, .csum_info = csum_info};
	int ns = vs_nv_mbuf_to_segs(m, segs, VS_NV_TX_SEGS);

	if (ns < 0) {
		ch->drop[VS_NV_DROP_TO_GUEST_TOO_MANY_SEGS]++;
		return 0;
	}
	f.n_segs = (unsigned int)ns;
	f.channel = pick_channel(ch, rss, m, &f);
	return vs_vsp_rx_add(ch->vsp, &f) == 0;
}

/* The offload the guest must have enabled to be told this frame's checksum is valid. */
static uint32_t rx_csum_bit(const struct vs_ol_info *in)
{
	bool v6 = in->flags & VS_OL_F_IPV6;

	if (in->flags & VS_OL_F_TCP)
		return v6 ? VS_VSP_EN_RX_TCP6 : VS_VSP_EN_RX_TCP4;
	return v6 ? VS_VSP_EN_RX_UDP6 : VS_VSP_EN_RX_UDP4;
}

/* A large TCP frame goes whole, as RSC fragments: the guest enabled RSC for its family and the
 * frame fits one XFER_PAGES packet of its sub-allocations. */
static bool rsc_takes(struct vs_nv_chan *ch, const struct rte_mbuf *m, const struct vs_ol_info *in,
	uint32_t en)
{
	return (en & ((in->flags & VS_OL_F_IPV6) ? VS_VSP_EN_RSC6 : VS_VSP_EN_RSC4)) &&
	       m->pkt_len <= vs_vsp_rx_max_len(ch->vsp, true);
}

/* Checksum PPI bits (facts 7.6) for a frame whose checksums are valid or need no check. */
static uint32_t csum_ok_bits(const struct vs_ol_info *in)
{
	return ((in->flags & VS_OL_F_TCP) ? RNDIS_CSUM_RX_TCP_OK : RNDIS_CSUM_RX_UDP_OK) |
	       ((in->flags & VS_OL_F_IPV4) ? RNDIS_CSUM_RX_IP_OK : 0);
}

/* An LSO frame for a guest without RSC: segmented by the offload library, checksums filled. */
static int tx_segmented(struct vs_nv_chan *ch, const struct vs_vsp_rss *rss, struct rte_mbuf *m,
	struct vs_ol_info *in, struct vs_vsp_seg *segs, bool rx_csum)
{
	struct rte_mbuf *out[VS_NV_TSO_SEGS];
	int n, i, ok = 0;

	n = vs_ol_tso_segment(m, in, m->tso_segsz, ch->pool, out, VS_NV_TSO_SEGS);
	if (n < 0) {
		ch->drop[VS_NV_DROP_TO_GUEST_SEGMENT]++;
		return 0;
	}
	for (i = 0; i < n; i++) {
		ok += tx_one(ch, rss, out[i], segs, rx_csum ? VS_VSP_RXF_CSUM : 0, csum_ok_bits(in));
		rte_pktmbuf_free(out[i]);
	}
	return ok > 0;
}

/*
 * A received frame whose checksum was verified (by the NIC or by coalescing) or that was coalesced
 * from several segments (RTE_MBUF_F_RX_LRO): the guest is told the checksum is good when it
 * enabled receive checksum offload (a coalesced frame needs it, and RSC); a coalesced frame for a
 * guest that cannot take it whole would be dropped as too big, so it is segmented again.
 */
static int tx_received(struct vs_nv_chan *ch, const struct vs_vsp_rss *rss, struct rte_mbuf *m,
	struct vs_vsp_seg *segs, uint32_t en)
{
	bool good = (m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_GOOD;
	bool ip_good = (m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) == RTE_MBUF_F_RX_IP_CKSUM_GOOD;
	struct vs_ol_info in;
	uint32_t rx_bit, bits;

	if (vs_ol_parse(m, 0, &in) < 0) {
		if (m->ol_flags & RTE_MBUF_F_RX_LRO) {
			ch->drop[VS_NV_DROP_TO_GUEST_OFFLOAD]++;
			return 0;
		}
		return tx_one(ch, rss, m, segs, 0, 0); /* not TCP/UDP over IP: as it is */
	}
	rx_bit = rx_csum_bit(&in);
	bits = ((in.flags & VS_OL_F_TCP) ? RNDIS_CSUM_RX_TCP_OK : RNDIS_CSUM_RX_UDP_OK) |
	       (ip_good ? RNDIS_CSUM_RX_IP_OK : 0);
	if (m->ol_flags & RTE_MBUF_F_RX_LRO) {
		if (good && (en & rx_bit) && rsc_takes(ch, m, &in, en))
			return tx_one(ch, rss, m, segs, VS_VSP_RXF_RSC | VS_VSP_RXF_CSUM, bits);
		/* the guest cannot take it whole: back into segments of the original size */
		return tx_segmented(ch, rss, m, &in, segs, en & rx_bit);
	}
	if (good && (en & rx_bit))
		return tx_one(ch, rss, m, segs, VS_VSP_RXF_CSUM, bits);
	return tx_one(ch, rss, m, segs, 0, 0);
}

/*
 * A frame carrying an offload request (offload_in, or another port's): to a guest that enabled
 * RSC for its family an LSO frame goes whole as RSC fragments with checksum-valid info and nothing
 * computed; otherwise it is segmented. A checksum request becomes checksum-valid info when the
 * guest enabled receive checksum offload for it, else the checksum is filled in.
 */
static int tx_offload(struct vs_nv_chan *ch, const struct vs_vsp_rss *rss, struct rte_mbuf *m,
	struct vs_vsp_seg *segs)
{
	uint32_t en = vs_vsp_offloads(ch->vsp), rx_bit;
	struct vs_ol_info in;

	if (!(m->ol_flags & NV_TX_OL_MASK))
		return tx_received(ch, rss, m, segs, en);
	if (vs_ol_parse(m, VS_OL_PARSE_LEN0, &in) < 0) {
		ch->drop[VS_NV_DROP_TO_GUEST_OFFLOAD]++;
		return 0;
	}
	rx_bit = rx_csum_bit(&in);
	if (m->ol_flags & RTE_MBUF_F_TX_TCP_SEG) {
		if (rsc_takes(ch, m, &in, en))
			return tx_one(ch, rss, m, segs, VS_VSP_RXF_RSC | VS_VSP_RXF_CSUM,
				csum_ok_bits(&in));
		return tx_segmented(ch, rss, m, &in, segs, en & rx_bit);
	}
	if (en & rx_bit)
		return tx_one(ch, rss, m, segs, VS_VSP_RXF_CSUM, csum_ok_bits(&in));
	if (vs_ol_csum_fill(m, &in) < 0) {
		ch->drop[VS_NV_DROP_TO_GUEST_OFFLOAD]++;
		return 0;
	}
	return tx_one(ch, rss, m, segs, 0, 0);
}

uint64_t vs_nv_doorbells(const struct vs_nv_chan *ch, uint32_t c)
{
	return c < VS_VSP_MAX_CHANNELS ? __atomic_load_n(&ch->ring[c].doorbells, __ATOMIC_RELAXED) : 0;
}

void vs_nv_ring_depth(const struct vs_nv_chan *ch, uint32_t c, uint32_t *g2h, uint32_t *h2g)
{
	*g2h = *h2g = 0;
	if (c >= VS_VSP_MAX_CHANNELS || !__atomic_load_n(&ch->ring[c].present, __ATOMIC_ACQUIRE))
		return;
	*g2h = vmbus_ring_pending_bytes(&ch->ring[c].g2h);
	*h2g = vmbus_ring_pending_bytes(&ch->ring[c].h2g);
}

uint32_t vs_nv_chan_offloads(const struct vs_nv_chan *ch)
{
	return __atomic_load_n(&ch->offloads, __ATOMIC_RELAXED);
}

uint16_t vs_nv_tx_burst(struct vs_nv_chan *ch, struct rte_mbuf **pkts, uint16_t n,
	uint64_t *bytes)
{
	struct vs_vsp_seg segs[VS_NV_TX_SEGS];
	struct vs_nv_ring *sig[VS_VSP_MAX_CHANNELS];
	struct vs_vsp_rss rss_buf, *rss;
	unsigned int n_sig = 0, k;
	uint16_t ok = 0, i;
	uint64_t b = 0;

	rte_spinlock_lock(&ch->lock);
	if (__atomic_load_n(&ch->broken, __ATOMIC_RELAXED))
		goto out;
	rss = vs_vsp_rss_get(ch->vsp, &rss_buf) ? &rss_buf : NULL;
	for (i = 0; i < n; i++) {
		struct vs_vsp_rx_frame f = {.segs = segs};
		int ns;

		if (unlikely(pkts[i]->ol_flags & (NV_TX_OL_MASK | NV_RX_OL_MASK))) {
			if (tx_offload(ch, rss, pkts[i], segs)) {
				ok++;
				b += pkts[i]->pkt_len;
			}
			continue;
		}
		ns = vs_nv_mbuf_to_segs(pkts[i], segs, VS_NV_TX_SEGS);

		if (ns < 0) {
			ch->drop[VS_NV_DROP_TO_GUEST_TOO_MANY_SEGS]++;
			continue;
		}
		f.n_segs = (unsigned int)ns;
		f.channel = pick_channel(ch, rss, pkts[i], &f);
		/* a full batch (VS_VSP_RX_BATCH_MAX > VS_BURST) never flushes inside rx_add */
		if (vs_vsp_rx_add(ch->vsp, &f) == 0) {
			ok++;
			b += pkts[i]->pkt_len;
		}
	}
	if (ok && vs_vsp_rx_flush(ch->vsp) < 0) {
		ok = 0; /* the whole batch was dropped (counted by the core) */
		b = 0;
	}
	n_sig = publish_all(ch, sig);
out:
	rte_spinlock_unlock(&ch->lock);
	for (k = 0; k < n_sig; k++)
		doorbell(sig[k]);
	rte_pktmbuf_free_bulk(pkts, n);
	*bytes = b;
	return ok;
}
