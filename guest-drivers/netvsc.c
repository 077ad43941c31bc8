/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * netvsc: the NVSP/RNDIS device on one open channel (facts 6, 7), in Linux 6.1's order and with
 * its values, plus the data path.
 *
 * Outbound (our ring): NVSP requests as INBAND packets; RNDIS control messages as GPA_DIRECT
 * packets pointing at one page of guest memory (channel type 1), as Linux sends them; frames as
 * RNDIS PACKETs copied into a send-buffer section and announced with an INBAND SEND_RNDIS_PKT
 * (channel type 0) whose transaction id is the section index + 1, so the host's COMP frees the
 * section. Packets are published in batches; the host is signalled only when
 * vmbus_ring_write_done() says so (empty -> non-empty and its interrupt_mask clear, facts 5.3).
 *
 * Inbound (the host's ring): each packet is copied into nd->pkt (4624 bytes, Linux's netvsc
 * max_pkt_size, facts 5.2) and parsed there. XFER_PAGES ranges point into the receive buffer,
 * which the host writes: each range is checked against the buffer and the sub-allocation size,
 * and RNDIS headers are copied to private memory before their offsets are trusted. Every
 * XFER_PAGES packet that passes the header checks gets exactly one COMP {108, status}.
 */
#include "internal.h"

#include <errno.h>
#include <poll.h>
#include <stddef.h>

#define GD_TID_NO_RESPONSE 0xfffffffffffffffdull /* Linux's id for packets not completed */

static const uint32_t gd_nvsp_versions[] = {
	NVSP_VERSION_61, NVSP_VERSION_6, NVSP_VERSION_5,
	NVSP_VERSION_4,	 NVSP_VERSION_2, NVSP_VERSION_1,
};

/* ---------------------------------------------------------------------------------------------
 * Writing to the outbound ring
 */

static int nd_section_close(struct gd_netvsc *nd);

void gd_netvsc_flush(struct gd_netvsc *nd)
{
	if (!nd->ch)
		return;
	if (nd->attached && !nd->broken)
		nd_section_close(nd);
	if (!nd->out_signal)
		return;
	nd->out_signal = false;
	if (vmbus_ring_write_done(&nd->ch->out))
		gd_channel_signal(nd->ch);
}

static int nd_ring_ret(struct gd_netvsc *nd, int ret)
{
	if (ret == -EPROTO) {
		nd->broken = true;
		gd_log(LOG_ERR, "relid %u: outbound ring corrupt", nd->ch->relid);
	}
	if (ret == 0)
		nd->out_signal = true;
	return ret;
}

static int nd_write_inband(struct gd_netvsc *nd, uint16_t flags, uint64_t tid,
	const uint8_t msg[NVSP_MSG_SIZE])
{
	struct iovec iov = {.iov_base = (void *)msg, .iov_len = NVSP_MSG_SIZE};

	if (nd->broken)
		return -EPROTO;
	return nd_ring_ret(nd, vmbus_ring_write_simple(&nd->ch->out, VMBUS_PKT_INBAND, flags, tid,
				       &iov, 1));
}

static int nd_write_comp(struct gd_netvsc *nd, uint64_t tid, uint32_t status)
{
	uint8_t msg[NVSP_MSG_SIZE];
	struct iovec iov = {.iov_base = msg, .iov_len = sizeof(msg)};

	if (nd->broken)
		return -EPROTO;
	gd_nvsp_build_rndis_comp(msg, status);
	return nd_ring_ret(nd, vmbus_ring_write_simple(&nd->ch->out, VMBUS_PKT_COMP, 0, tid, &iov,
				       1));
}

/* GPA_DIRECT with one range of 'count' bytes at page 'pfn' (+ 'offset'), completion requested,
 * carrying the NVSP message 'msg' (facts 5.2). */
static int nd_write_gpa(struct gd_netvsc *nd, uint64_t tid, uint64_t pfn, uint32_t offset,
	uint32_t count, const uint8_t msg[NVSP_MSG_SIZE])
{
	uint8_t hdr[24 + 8 + (GD_TX_SLOT_PAGES + 1) * 8];
	uint32_t n_pfns = (uint32_t)vmbus_range_pfns(offset, count), hdr_size, i;
	struct vmbus_pkt_desc d = {0};
	struct iovec iov[2];

	if (nd->broken)
		return -EPROTO;
	if (n_pfns > GD_TX_SLOT_PAGES + 1)
		return -EINVAL;
	hdr_size = 24 + 8 + 8 * n_pfns;
	memset(hdr, 0, sizeof(hdr));
	d.type = VMBUS_PKT_GPA_DIRECT;
	d.offset8 = (uint16_t)(hdr_size / 8);
	d.len8 = (uint16_t)((hdr_size + NVSP_MSG_SIZE) / 8);
	d.flags = VMBUS_PKT_FLAG_COMPLETION_REQUESTED;
	d.trans_id = tid;
	memcpy(hdr, &d, sizeof(d));
	gd_put32(hdr + 20, 1); /* range count */
	gd_put32(hdr + 24, count);
	gd_put32(hdr + 28, offset);
	for (i = 0; i < n_pfns; i++)
		gd_put64(hdr + 32 + 8 * i, pfn + i);
	iov[0] = (struct iovec){.iov_base = hdr, .iov_len = hdr_size};
	iov[1] = (struct iovec){.iov_base = (void *)msg, .iov_len = NVSP_MSG_SIZE};
	return nd_ring_ret(nd, vmbus_ring_write(&nd->ch->out, iov, 2));
}

/* ---------------------------------------------------------------------------------------------
 * Inbound packets
 */

static void nd_on_comp(struct gd_netvsc *nd, const struct vmbus_pkt *p)
{
	uint64_t tid = p->trans_id;

	if (nd->nvsp_wait_tid && tid == nd->nvsp_wait_tid && !nd->nvsp_done) {
		nd->nvsp_resp_len = p->payload_size < NVSP_MSG_SIZE ? p->payload_size : NVSP_MSG_SIZE;
		memset(nd->nvsp_resp, 0, sizeof(nd->nvsp_resp));
		memcpy(nd->nvsp_resp, p->payload, nd->nvsp_resp_len);
		nd->nvsp_done = true;
		return;
	}
	if (nd->ctl_comp_pending && tid == nd->ctl_tid) {
		nd->ctl_comp_pending = false;
		return;
	}
	if (tid >= GD_TID_SLOT_BASE && tid < GD_TID_SLOT_BASE + GD_TX_SLOTS &&
		(nd->slot_used & (1u << (tid - GD_TID_SLOT_BASE)))) {
		nd->slot_used &= ~(1u << (tid - GD_TID_SLOT_BASE));
		if (p->payload_size >= 8 &&
			gd_get32(p->payload) == NVSP_MSG1_TYPE_SEND_RNDIS_PKT_COMPLETE &&
			gd_get32(p->payload + 4) != NVSP_STAT_SUCCESS)
			nd->stats.tx_dropped++;
		return;
	}
	if (tid >= 1 && tid <= nd->n_sections) {
		uint32_t idx = (uint32_t)tid - 1;
		uint64_t bit = UINT64_C(1) << (idx % 64);

		if (nd->section_used[idx / 64] & bit) {
			nd->section_used[idx / 64] &= ~bit;
			nd->sections_free++;
			if (p->payload_size >= 8 &&
				gd_get32(p->payload) == NVSP_MSG1_TYPE_SEND_RNDIS_PKT_COMPLETE &&
				gd_get32(p->payload + 4) != NVSP_STAT_SUCCESS)
				nd->stats.tx_dropped++;
			return;
		}
	}
	nd->stats.comps_unknown++;
	GD_LOG_RL(LOG_WARNING, "completion for unknown transaction %#llx",
		(unsigned long long)tid);
}

static void nd_link_set(struct gd_netvsc *nd, bool up)
{
	nd->link_up = up;
	if (nd->ops && nd->ops->link)
		nd->ops->link(nd->ctx, up);
}

static void nd_on_indicate(struct gd_netvsc *nd, const struct gd_rndis_msg *m)
{
	nd->stats.status_indications++;
	switch (m->status) {
	case RNDIS_STATUS_MEDIA_CONNECT:
		nd_link_set(nd, true);
		break;
	case RNDIS_STATUS_MEDIA_DISCONNECT:
		nd_link_set(nd, false);
		break;
	case RNDIS_STATUS_NETWORK_CHANGE:
		/* carrier bounced off -> on (facts 7.7) */
		nd_link_set(nd, false);
		nd_link_set(nd, true);
		break;
	case RNDIS_STATUS_LINK_SPEED_CHANGE:
		if (m->data_len >= 4)
			nd->link_speed = gd_get32(m->data);
		break;
	default:
		GD_LOG_RL(LOG_INFO, "status indication %#x ignored", m->status);
		break;
	}
}

/* A control answer or indication, 'count' bytes at 'src' in the receive buffer. */
static int nd_on_rndis_ctl(struct gd_netvsc *nd, const uint8_t *src, uint32_t count)
{
	uint32_t n = count < GD_RNDIS_RESP_MAX ? count : GD_RNDIS_RESP_MAX;
	uint8_t copy[GD_RNDIS_RESP_MAX];
	struct gd_rndis_msg m;
	int ret;

	/* private copy first: the host can rewrite the receive buffer at any time */
	memcpy(copy, src, n);
	ret = gd_rndis_parse(copy, n, &m);
	if (ret == -EOPNOTSUPP) {
		GD_LOG_RL(LOG_NOTICE, "unhandled RNDIS message %#x", m.type);
		return 0;
	}
	if (ret)
		return ret;
	if (m.type == RNDIS_MSG_INDICATE) {
		nd_on_indicate(nd, &m);
		return 0;
	}
	if (nd->ctl_wait_id && !nd->ctl_done && m.type == nd->ctl_wait_type &&
		m.req_id == nd->ctl_wait_id) {
		memcpy(nd->ctl_resp, copy, m.len);
		nd->ctl_resp_len = m.len;
		nd->ctl_done = true;
		return 0;
	}
	GD_LOG_RL(LOG_WARNING, "RNDIS answer %#x for request %u not waited for", m.type, m.req_id);
	return 0;
}

/* A frame to the consumer: the frame bytes may still change under us (receive buffer) or are
 * our reassembly copy; only the consumer's copy is used. */
static void nd_rx(struct gd_netvsc *nd, const uint8_t *frame, uint32_t len, uint32_t csum)
{
	nd->stats.rx_frames++;
	nd->stats.rx_bytes += len;
	if (csum & (RNDIS_CSUM_RX_TCP_OK | RNDIS_CSUM_RX_UDP_OK))
		nd->stats.rx_csum_ok++;
	if (nd->ops->rx_meta)
		nd->ops->rx_meta(nd->ctx, frame, len, csum);
	else
		nd->ops->rx(nd->ctx, frame, len);
}

/*
 * The PPIs of a received PACKET (facts 7.6), from a private copy: checksum info and the RSC
 * packet info. Elements must be >= 12 bytes, inside the list, with their data inside them, so
 * the walk always advances. Coalesced frames arrive as fragments (first .. last) in consecutive
 * ranges; they are joined in nd->rsc_buf and delivered whole. A broken chain is dropped.
 */
static int nd_on_packet_ppi(struct gd_netvsc *nd, const uint8_t *src, const uint8_t *hdr,
	uint32_t len, const uint8_t *frame, uint32_t dlen)
{
	uint32_t poff = gd_get32(hdr + 28), plen = gd_get32(hdr + 32), pos = 0;
	uint32_t csum = 0, info = 0;
	bool have_info = false;
	uint8_t ppi[256];

	if (plen) {
		if (plen > sizeof(ppi) || poff < 36 ||
			(uint64_t)RNDIS_HEADER_OFFSET + poff + plen > len)
			return -EPROTO;
		memcpy(ppi, src + RNDIS_HEADER_OFFSET + poff, plen);
	}
	while (pos < plen) {
		uint32_t size, type, d;

		if (plen - pos < 12)
			return -EPROTO;
		size = gd_get32(ppi + pos);
		type = gd_get32(ppi + pos + 4);
		d = gd_get32(ppi + pos + 8);
		if (size < 12 || size > plen - pos || d < 12 || d > size)
			return -EPROTO;
		if (size - d >= 4 && type == RNDIS_PPI_TCPIP_CHKSUM)
			csum = gd_get32(ppi + pos + d);
		if (size - d >= 4 && type == RNDIS_PPI_PKTINFO_ID) {
			info = gd_get32(ppi + pos + d);
			have_info = true;
		}
		pos += size;
	}
	if (have_info && (info >> 8 & RNDIS_PKTINFO_SUBALLOC) &&
		(info >> 8 & (RNDIS_PKTINFO_1ST_FRAG | RNDIS_PKTINFO_LAST_FRAG)) !=
			(RNDIS_PKTINFO_1ST_FRAG | RNDIS_PKTINFO_LAST_FRAG)) {
		uint32_t fl = info >> 8;

		if (fl & RNDIS_PKTINFO_1ST_FRAG) {
			nd->rsc_open = true;
			nd->rsc_len = 0;
			nd->rsc_csum = csum;
		} else if (!nd->rsc_open) {
			return -EPROTO; /* a middle or last fragment without its first */
		}
		if (dlen > GD_RSC_MAX - nd->rsc_len) {
			nd->rsc_open = false;
			return -EPROTO;
		}
		memcpy(nd->rsc_buf + nd->rsc_len, frame, dlen);
		nd->rsc_len += dlen;
		if (fl & RNDIS_PKTINFO_LAST_FRAG) {
			nd->rsc_open = false;
			nd->stats.rx_rsc++;
			nd_rx(nd, nd->rsc_buf, nd->rsc_len, nd->rsc_csum);
		}
		return 0;
	}
	if (nd->rsc_open) {
		/* a frame between fragments: the chain is broken, drop what was joined */
		nd->rsc_open = false;
		nd->stats.rx_dropped++;
	}
	nd_rx(nd, frame, dlen, csum);
	return 0;
}

/* One RNDIS message in receive-buffer range [off, off + count), already bounds-checked. */
static int nd_on_range(struct gd_netvsc *nd, uint32_t off, uint32_t count)
{
	const uint8_t *src = nd->recv_va + off;
	uint8_t hdr[44];
	uint32_t type, len, doff, dlen;

	if (count < 8)
		return -EPROTO;
	memcpy(hdr, src, count < sizeof(hdr) ? count : sizeof(hdr));
	type = gd_get32(hdr);
	if (type != RNDIS_MSG_PACKET)
		return nd_on_rndis_ctl(nd, src, count);
	len = gd_get32(hdr + 4);
	if (count < sizeof(hdr) || len < sizeof(hdr) || len > count)
		return -EPROTO;
	doff = gd_get32(hdr + 8);
	dlen = gd_get32(hdr + 12);
	if (doff < 36 || dlen == 0 || (uint64_t)RNDIS_HEADER_OFFSET + doff + dlen > len)
		return -EPROTO;
	if (gd_get32(hdr + 32) || nd->rsc_open)
		return nd_on_packet_ppi(nd, src, hdr, len, src + RNDIS_HEADER_OFFSET + doff, dlen);
	nd_rx(nd, src + RNDIS_HEADER_OFFSET + doff, dlen, 0);
	return 0;
}

static void nd_queue_comp(struct gd_netvsc *nd, uint64_t tid, uint32_t status)
{
	if (nd->direct_comps) {
		/* a subchannel's: the queue is the primary's; room was checked before reading */
		if (nd_write_comp(nd, tid, status))
			GD_LOG_RL(LOG_ERR, "receive completion for %#llx lost on relid %u",
				(unsigned long long)tid, nd->ch->relid);
		return;
	}
	if (nd->n_pending_comps == 0 && nd_write_comp(nd, tid, status) == 0)
		return;
	if (nd->n_pending_comps == GD_PENDING_COMPS) {
		GD_LOG_RL(LOG_ERR, "receive completion for %#llx lost (ring full)",
			(unsigned long long)tid);
		return;
	}
	nd->pending_comps[nd->n_pending_comps] = tid;
	nd->pending_comp_status[nd->n_pending_comps] = status;
	nd->n_pending_comps++;
}

static void nd_flush_comps(struct gd_netvsc *nd)
{
	unsigned int i = 0;

	while (i < nd->n_pending_comps &&
		nd_write_comp(nd, nd->pending_comps[i], nd->pending_comp_status[i]) == 0)
		i++;
	if (i == 0)
		return;
	memmove(nd->pending_comps, nd->pending_comps + i,
		(nd->n_pending_comps - i) * sizeof(nd->pending_comps[0]));
	memmove(nd->pending_comp_status, nd->pending_comp_status + i,
		(nd->n_pending_comps - i) * sizeof(nd->pending_comp_status[0]));
	nd->n_pending_comps -= i;
}

static void nd_on_xfer(struct gd_netvsc *nd, const struct vmbus_pkt *p)
{
	uint32_t status = NVSP_STAT_SUCCESS, i;

	/* header checks as Linux makes them: failures are dropped without a completion */
	if (p->payload_size < 4 || gd_get32(p->payload) != NVSP_MSG1_TYPE_SEND_RNDIS_PKT ||
		p->xfer_set_id != NVSP_RECV_BUF_ID || !nd->recv_va) {
		nd->stats.bad_packets++;
		GD_LOG_RL(LOG_WARNING, "invalid XFER_PAGES packet dropped");
		return;
	}
	nd->rsc_open = false; /* a fragment chain never continues into another packet (facts 7.6) */
	for (i = 0; i < p->n_xfer_ranges; i++) {
		struct vmbus_xfer_range r = vmbus_pkt_xfer_range(p, i);

		if ((uint64_t)r.byte_offset + r.byte_count > nd->recv_size ||
			r.byte_count > nd->recv_sub_size || nd_on_range(nd, r.byte_offset,
								r.byte_count)) {
			nd->stats.rx_bad_ranges++;
			GD_LOG_RL(LOG_WARNING, "receive range %u+%u rejected", r.byte_offset,
				r.byte_count);
			status = NVSP_STAT_FAIL;
		}
	}
	if (nd->rsc_open) {
		nd->rsc_open = false;
		nd->stats.rx_dropped++;
	}
	nd_queue_comp(nd, p->trans_id, status);
}

static void nd_on_inband(struct gd_netvsc *nd, const struct vmbus_pkt *p)
{
	uint32_t type = p->payload_size >= 4 ? gd_get32(p->payload) : 0;

	switch (type) {
	case NVSP_MSG5_TYPE_SEND_INDIRECTION_TABLE:
	case NVSP_MSG4_TYPE_SEND_VF_ASSOCIATION:
		/* one channel, no VF: nothing to do with either */
		break;
	default:
		nd->stats.bad_packets++;
		GD_LOG_RL(LOG_NOTICE, "inband NVSP message %u ignored", type);
		break;
	}
}

int gd_netvsc_handle_packet(struct gd_netvsc *nd, const uint8_t *buf, size_t len)
{
	struct vmbus_pkt p;

	if (vmbus_pkt_parse(buf, len, &p)) {
		nd->stats.bad_packets++;
		GD_LOG_RL(LOG_WARNING, "malformed inbound packet dropped");
		return 0;
	}
	switch (p.type) {
	case VMBUS_PKT_COMP:
		nd_on_comp(nd, &p);
		break;
	case VMBUS_PKT_XFER_PAGES:
		nd_on_xfer(nd, &p);
		break;
	case VMBUS_PKT_INBAND:
		nd_on_inband(nd, &p);
		break;
	default:
		/* netvsc accepts only COMP, XFER_PAGES and INBAND (facts 5.2) */
		nd->stats.bad_packets++;
		GD_LOG_RL(LOG_WARNING, "inbound packet type %u dropped", p.type);
		break;
	}
	return 0;
}

/* Room for one completion packet (descriptor + NVSP message + trailer) and some slack. */
#define GD_COMP_ROOM 128

static int nd_poll_ring(struct gd_netvsc *nd)
{
	struct vmbus_ring *in = &nd->ch->in;
	int n = 0, ret;

	if (nd->broken)
		return -EPROTO;
	vmbus_ring_intr_mask(in);
	for (;;) {
		if (nd->direct_comps && vmbus_ring_free_bytes(&nd->ch->out) < GD_COMP_ROOM)
			break; /* the rest waits until the host read our completions */
		ret = vmbus_ring_read(in, nd->pkt, sizeof(nd->pkt));
		if (ret > 0) {
			gd_netvsc_handle_packet(nd, nd->pkt, (size_t)ret);
			n++;
			continue;
		}
		if (ret == -EMSGSIZE) {
			/* larger than any packet a netvsc host may send (facts 5.2) */
			nd->stats.bad_packets++;
			GD_LOG_RL(LOG_WARNING, "oversized inbound packet dropped");
			if (vmbus_ring_skip(in) >= 0)
				continue;
			ret = -EPROTO;
		}
		if (ret == -EPROTO) {
			nd->broken = true;
			gd_log(LOG_ERR, "relid %u: inbound ring corrupt", nd->ch->relid);
			return -EPROTO;
		}
		/* empty: publish what we consumed, then unmask and re-check (facts 5.3) */
		if (vmbus_ring_read_done(in))
			gd_channel_signal(nd->ch);
		if (!vmbus_ring_intr_unmask(in))
			break;
		vmbus_ring_intr_mask(in);
	}
	if (!nd->direct_comps)
		nd_flush_comps(nd);
	gd_netvsc_flush(nd);
	return n;
}

int gd_netvsc_poll(struct gd_netvsc *nd)
{
	return nd_poll_ring(nd);
}

int gd_netvsc_poll_sub(struct gd_netvsc *nd, struct gd_channel *sub)
{
	struct gd_channel *primary = nd->ch;
	bool out_signal = nd->out_signal;
	uint64_t before = nd->stats.rx_frames;
	int ret;

	if (!sub->open)
		return 0;
	/* the writers use nd->ch: point it at the subchannel while its packets are handled */
	nd->ch = sub;
	nd->out_signal = false;
	nd->direct_comps = true;
	ret = nd_poll_ring(nd);
	nd->direct_comps = false;
	nd->ch = primary;
	nd->out_signal = out_signal;
	nd->rx_frames_sub += nd->stats.rx_frames - before;
	return ret;
}

/* ---------------------------------------------------------------------------------------------
 * Waiting for the host during bring-up
 */

static bool nd_rescinded(struct gd_netvsc *nd)
{
	struct gd_offer *o = gd_vmbus_offer_lookup(nd->vb, nd->ch->relid);

	return !o || !o->present;
}

static bool nd_nvsp_done(const struct gd_netvsc *nd)
{
	return nd->nvsp_done;
}

/* The answer arrived and the host completed the packet: the control page is free again. */
static bool nd_ctl_done(const struct gd_netvsc *nd)
{
	return nd->ctl_done && !nd->ctl_comp_pending;
}

/* Poll until 'done' is true, bounded by nd->timeout_ms. */
static int nd_wait(struct gd_netvsc *nd, bool (*done)(const struct gd_netvsc *nd))
{
	int64_t deadline = nd->timeout_ms < 0 ? -1 : gd_now_ms() + nd->timeout_ms;
	int tfd = nd->vb->ops->poll_fd(nd->vb->ctx);
	struct pollfd pfd[2];
	int ret, left;

	for (;;) {
		ret = gd_netvsc_poll(nd);
		if (ret < 0)
			return ret;
		if (done(nd))
			return 0;
		if (nd_rescinded(nd))
			return -ENODEV;
		left = gd_ms_left(deadline);
		if (left == 0)
			return -ETIMEDOUT;
		pfd[0] = (struct pollfd){.fd = nd->ch->intr_fd, .events = POLLIN};
		pfd[1] = (struct pollfd){.fd = tfd, .events = POLLIN};
		/* without a pollable transport, look at it every 10 ms */
		if (tfd < 0 && (left < 0 || left > 10))
			left = 10;
		ret = poll(pfd, tfd < 0 ? 1 : 2, left);
		if (ret < 0 && errno != EINTR)
			return -errno;
		if (pfd[0].revents)
			gd_channel_intr_clear(nd->ch);
		if (tfd < 0 || pfd[1].revents) {
			ret = gd_vmbus_pump(nd->vb, 0);
			if (ret < 0)
				return ret;
		}
	}
}

/* Send an NVSP request with completion requested and wait for its COMP (payload in
 * nd->nvsp_resp). */
static int nd_nvsp_request(struct gd_netvsc *nd, const uint8_t msg[NVSP_MSG_SIZE])
{
	static uint32_t seq;
	int ret;

	nd->nvsp_wait_tid = GD_TID_CTL_BASE + (++seq & 0xffff);
	nd->nvsp_done = false;
	ret = nd_write_inband(nd, VMBUS_PKT_FLAG_COMPLETION_REQUESTED, nd->nvsp_wait_tid, msg);
	gd_netvsc_flush(nd);
	if (ret == 0)
		ret = nd_wait(nd, nd_nvsp_done);
	nd->nvsp_wait_tid = 0;
	return ret;
}

/* Send an NVSP message that is never completed. */
static int nd_nvsp_post(struct gd_netvsc *nd, const uint8_t msg[NVSP_MSG_SIZE])
{
	int ret = nd_write_inband(nd, 0, GD_TID_NO_RESPONSE, msg);

	gd_netvsc_flush(nd);
	return ret;
}

/*
 * Send the RNDIS message of 'len' bytes already in the control page, as GPA_DIRECT channel type
 * 1; wait for the packet's COMP and, unless 'answer_type' is 0, for the answer of that type
 * with the message's request id (in nd->ctl_resp).
 */
static int nd_rndis_send(struct gd_netvsc *nd, uint32_t len, uint32_t answer_type)
{
	static uint32_t seq;
	uint8_t msg[NVSP_MSG_SIZE];
	int ret;

	nd->ctl_tid = GD_TID_CTL_BASE + 0x10000 + (++seq & 0xffff);
	nd->ctl_comp_pending = true;
	nd->ctl_wait_id = answer_type ? gd_get32(nd->ctl_va + 8) : 0;
	nd->ctl_wait_type = answer_type;
	nd->ctl_done = answer_type == 0;
	gd_nvsp_build_rndis_pkt(msg, NVSP_RNDIS_CHANNEL_CONTROL, NVSP_SECTION_INDEX_NONE, 0);
	ret = nd_write_gpa(nd, nd->ctl_tid, nd->ctl_pfn, 0, len, msg);
	gd_netvsc_flush(nd);
	if (ret == 0)
		ret = nd_wait(nd, nd_ctl_done);
	nd->ctl_wait_id = 0;
	return ret;
}

/* QUERY 'oid' (input 'in', 'in_len' bytes); on success copies at most 'out_max' bytes of the
 * answer to 'out' and their count to '*out_len'. Returns 0, -EIO (status != 0), -EPROTO (more
 * data than 'out_max', as Linux refuses) or -errno. */
static int nd_rndis_query(struct gd_netvsc *nd, uint32_t oid, const void *in, uint32_t in_len,
	void *out, uint32_t out_max, uint32_t *out_len)
{
	struct gd_rndis_msg m;
	int ret;

	ret = gd_rndis_build_query(nd->ctl_va, VMBUS_PAGE_SIZE, ++nd->rndis_req_id, oid, in,
		in_len);
	if (ret < 0)
		return ret;
	ret = nd_rndis_send(nd, (uint32_t)ret, RNDIS_MSG_QUERY_C);
	if (ret)
		return ret;
	if (gd_rndis_parse(nd->ctl_resp, nd->ctl_resp_len, &m))
		return -EPROTO;
	if (m.status != RNDIS_STATUS_SUCCESS)
		return -EIO;
	if (m.data_len > out_max)
		return -EPROTO;
	memcpy(out, m.data, m.data_len);
	*out_len = m.data_len;
	return 0;
}

static int nd_rndis_set(struct gd_netvsc *nd, uint32_t oid, const void *data, uint32_t len)
{
	struct gd_rndis_msg m;
	int ret;

	ret = gd_rndis_build_set(nd->ctl_va, VMBUS_PAGE_SIZE, ++nd->rndis_req_id, oid, data, len);
	if (ret < 0)
		return ret;
	ret = nd_rndis_send(nd, (uint32_t)ret, RNDIS_MSG_SET_C);
	if (ret)
		return ret;
	if (gd_rndis_parse(nd->ctl_resp, nd->ctl_resp_len, &m))
		return -EPROTO;
	return m.status == RNDIS_STATUS_SUCCESS ? 0 : -EIO;
}

/* ---------------------------------------------------------------------------------------------
 * Bring-up (facts 6.2)
 */

static int nd_negotiate(struct gd_netvsc *nd)
{
	uint8_t msg[NVSP_MSG_SIZE];
	unsigned int i;
	int ret = -EIO;

	for (i = 0; i < sizeof(gd_nvsp_versions) / sizeof(gd_nvsp_versions[0]); i++) {
		gd_nvsp_build_init(msg, gd_nvsp_versions[i]);
		ret = nd_nvsp_request(nd, msg);
		if (ret)
			return ret;
		ret = gd_nvsp_check_init_comp(nd->nvsp_resp, nd->nvsp_resp_len);
		if (ret == 0) {
			nd->nvsp_version = gd_nvsp_versions[i];
			return 0;
		}
	}
	gd_log(LOG_ERR, "relid %u: no NVSP version accepted", nd->ch->relid);
	return ret;
}

static int nd_ndis_announce(struct gd_netvsc *nd)
{
	uint8_t msg[NVSP_MSG_SIZE];
	int ret;

	if (nd->nvsp_version >= NVSP_VERSION_2) {
		gd_nvsp_build_ndis_config(msg, nd->mtu + 14, gd_nvsp_ndis_caps(nd->nvsp_version));
		ret = nd_nvsp_post(nd, msg);
		if (ret)
			return ret;
	}
	/* NDIS 6.1 up to NVSP 4, 6.30 after (facts 6.2 step 4) */
	gd_nvsp_build_ndis_version(msg, 6, nd->nvsp_version <= NVSP_VERSION_4 ? 1 : 30);
	return nd_nvsp_post(nd, msg);
}

static int nd_recv_buf(struct gd_netvsc *nd)
{
	uint32_t size = nd->nvsp_version <= NVSP_VERSION_2 ? GD_RECV_BUF_SIZE_V2 : GD_RECV_BUF_SIZE;
	uint64_t room = gd_gmem_largest_free(nd->gmem);
	uint8_t msg[NVSP_MSG_SIZE];
	int ret;

	/* leave room for the send buffer; shrink (documented) when the partition is small */
	room = room > GD_SEND_BUF_SIZE / VMBUS_PAGE_SIZE + 1 ?
		       room - GD_SEND_BUF_SIZE / VMBUS_PAGE_SIZE - 1 :
		       0;
	if (room * VMBUS_PAGE_SIZE < size) {
		if (room * VMBUS_PAGE_SIZE < GD_RECV_BUF_MIN)
			return -ENOMEM;
		size = (uint32_t)room * VMBUS_PAGE_SIZE;
		gd_log(LOG_NOTICE, "receive buffer reduced to %u bytes (guest memory)", size);
	}
	nd->recv_pages = size / VMBUS_PAGE_SIZE;
	ret = gd_gmem_alloc(nd->gmem, nd->recv_pages, &nd->recv_pfn);
	if (ret)
		return ret;
	nd->recv_size = size;
	ret = gd_gpadl_create_run(nd->vb, nd->ch->relid, nd->recv_pfn, nd->recv_pages,
		&nd->recv_gpadl);
	if (ret)
		return ret;
	gd_nvsp_build_send_buf(msg, NVSP_MSG1_TYPE_SEND_RECV_BUF, nd->recv_gpadl, NVSP_RECV_BUF_ID);
	ret = nd_nvsp_request(nd, msg);
	if (ret)
		return ret;
	ret = gd_nvsp_check_recv_buf_comp(nd->nvsp_resp, nd->nvsp_resp_len, size,
		&nd->recv_sub_size, &nd->recv_sub_count);
	if (ret)
		return ret;
	/* only now may ranges be resolved against it */
	nd->recv_va = gd_gmem_va(nd->gmem, nd->recv_pfn);
	return 0;
}

static int nd_send_buf(struct gd_netvsc *nd)
{
	uint8_t msg[NVSP_MSG_SIZE];
	int ret;

	nd->send_pages = GD_SEND_BUF_SIZE / VMBUS_PAGE_SIZE;
	ret = gd_gmem_alloc(nd->gmem, nd->send_pages, &nd->send_pfn);
	if (ret)
		return ret;
	nd->send_size = GD_SEND_BUF_SIZE;
	ret = gd_gpadl_create_run(nd->vb, nd->ch->relid, nd->send_pfn, nd->send_pages,
		&nd->send_gpadl);
	if (ret)
		return ret;
	gd_nvsp_build_send_buf(msg, NVSP_MSG1_TYPE_SEND_SEND_BUF, nd->send_gpadl, 0);
	ret = nd_nvsp_request(nd, msg);
	if (ret)
		return ret;
	ret = gd_nvsp_check_send_buf_comp(nd->nvsp_resp, nd->nvsp_resp_len, nd->send_size,
		&nd->section_size);
	if (ret)
		return ret;
	nd->send_va = gd_gmem_va(nd->gmem, nd->send_pfn);
	nd->n_sections = nd->send_size / nd->section_size;
	if (nd->n_sections > GD_MAX_SECTIONS)
		nd->n_sections = GD_MAX_SECTIONS;
	nd->sections_free = nd->n_sections;
	memset(nd->section_used, 0, sizeof(nd->section_used));
	nd->open_count = 0;
	/* large frames go from slots of our memory as GPA_DIRECT; without them, only frames that
	 * fit a section can be sent */
	if (gd_gmem_alloc(nd->gmem, GD_TX_SLOTS * GD_TX_SLOT_PAGES, &nd->slot_pfn) == 0)
		nd->slot_va = gd_gmem_va(nd->gmem, nd->slot_pfn);
	else
		nd->slot_pfn = 0;
	nd->slot_used = 0;
	return 0;
}

static int nd_rndis_init(struct gd_netvsc *nd)
{
	struct gd_rndis_msg m;
	int ret;

	ret = gd_rndis_build_init(nd->ctl_va, VMBUS_PAGE_SIZE, ++nd->rndis_req_id);
	if (ret < 0)
		return ret;
	ret = nd_rndis_send(nd, (uint32_t)ret, RNDIS_MSG_INIT_C);
	if (ret)
		return ret;
	if (gd_rndis_parse(nd->ctl_resp, nd->ctl_resp_len, &m) || m.status != RNDIS_STATUS_SUCCESS)
		return -EIO;
	nd->max_pkt_per_msg = m.max_pkt_per_msg;
	/* alignment is 1 << factor; beyond a page it makes no sense, cap it */
	nd->pkt_align = 1u << (m.pkt_align_factor > 12 ? 12 : m.pkt_align_factor);
	return 0;
}

static int nd_query_mac(struct gd_netvsc *nd)
{
	uint8_t mac[6];
	uint32_t n = 0;
	int ret;

	ret = nd_rndis_query(nd, RNDIS_OID_802_3_PERMANENT_ADDRESS, NULL, 0, mac, sizeof(mac), &n);
	if (ret)
		return ret;
	if (n != 6 || (mac[0] & 1)) {
		gd_log(LOG_ERR, "relid %u: host MAC unusable", nd->ch->relid);
		return -EIO;
	}
	memcpy(nd->mac, mac, 6);
	return 0;
}

static int nd_offloads(struct gd_netvsc *nd)
{
	struct ndis_obj_header in = {.type = NDIS_OBJTYPE_OFFLOAD};
	uint8_t buf[sizeof(struct ndis_offload)];
	struct ndis_offload_params params;
	struct ndis_offload caps;
	uint8_t in_buf[NDIS_OFFLOAD_SIZE_REV3] = {0};
	uint32_t n = 0;
	size_t size;
	int ret;

	/* the input is the object header of the revision we understand (facts 7.4) */
	if (nd->nvsp_version >= NVSP_VERSION_5) {
		in.revision = 3;
		in.size = NDIS_OFFLOAD_SIZE_REV3;
	} else if (nd->nvsp_version >= NVSP_VERSION_4) {
		in.revision = 2;
		in.size = NDIS_OFFLOAD_SIZE_REV2;
	} else {
		in.revision = 1;
		in.size = NDIS_OFFLOAD_SIZE_REV1;
	}
	memcpy(in_buf, &in, sizeof(in));
	ret = nd_rndis_query(nd, RNDIS_OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES, in_buf, in.size, buf,
		sizeof(buf), &n);
	if (ret == 0)
		ret = gd_ndis_offload_check(buf, n, &caps);
	if (ret) {
		gd_log(LOG_ERR, "relid %u: hardware offload capabilities unusable", nd->ch->relid);
		return -EIO;
	}
	size = gd_ndis_offload_params(&caps, nd->nvsp_version, nd->ops->offloads, &params, &nd->ol);
	nd->lso_max = caps.lsov2_ip4_max_size;
	if (caps.lsov2_ip6_max_size && caps.lsov2_ip6_max_size < nd->lso_max)
		nd->lso_max = caps.lsov2_ip6_max_size;
	ret = nd_rndis_set(nd, RNDIS_OID_TCP_OFFLOAD_PARAMETERS, &params, (uint32_t)size);
	if (ret) {
		gd_log(LOG_ERR, "relid %u: offload parameters refused", nd->ch->relid);
		nd->ol = 0;
	}
	return ret;
}

/* The queries whose failure Linux tolerates. */
static void nd_optional_queries(struct gd_netvsc *nd, bool before_caps)
{
	uint32_t v = 0, n = 0;

	if (before_caps) {
		/* MAXIMUM_FRAME_SIZE only ever lowers the MTU (facts 8) */
		if (nd_rndis_query(nd, RNDIS_OID_GEN_MAXIMUM_FRAME_SIZE, NULL, 0, &v, 4, &n) ==
				0 &&
			n == 4 && v < nd->mtu && v >= GD_NETVSC_MTU_MIN)
			nd->mtu = v;
		return;
	}
	nd->link_up = true; /* a failed query counts as connected */
	if (nd_rndis_query(nd, RNDIS_OID_GEN_MEDIA_CONNECT_STATUS, NULL, 0, &v, 4, &n) == 0 &&
		n == 4)
		nd->link_up = v == 0;
	if (nd->nvsp_version < NVSP_VERSION_5)
		return;
	if (nd_rndis_query(nd, RNDIS_OID_GEN_LINK_SPEED, NULL, 0, &v, 4, &n) == 0 && n == 4)
		nd->link_speed = v;
}

static int nd_rss_caps(struct gd_netvsc *nd)
{
	uint8_t in[sizeof(struct ndis_rss_caps)] = {NDIS_OBJTYPE_RSS_CAPABILITIES, 2,
		sizeof(struct ndis_rss_caps), 0};
	struct ndis_rss_caps caps = {0};
	uint32_t n = 0;

	if (nd->nvsp_version < NVSP_VERSION_5)
		return 0;
	if (nd_rndis_query(nd, RNDIS_OID_GEN_RECEIVE_SCALE_CAPABILITIES, in, sizeof(in), &caps,
		    sizeof(caps), &n) == 0 &&
		n >= 16)
		nd->rss_queues = caps.num_recv_que;
	/* subchannels are asked for by the caller (gd_netvsc_subchannels_alloc) */
	return 0;
}

static int nd_bringup(struct gd_netvsc *nd)
{
	uint8_t name[512];
	uint32_t n;
	int ret;

	ret = nd_negotiate(nd);
	if (ret == 0)
		ret = nd_ndis_announce(nd);
	if (ret == 0)
		ret = nd_recv_buf(nd);
	if (ret == 0)
		ret = nd_send_buf(nd);
	if (ret == 0)
		ret = nd_rndis_init(nd);
	if (ret)
		return ret;
	nd_optional_queries(nd, true);
	ret = nd_query_mac(nd);
	if (ret)
		return ret;
	/* Linux asks for a friendly name when the device has no alias yet; the answer is unused
	 * here and its failure ignored */
	(void)nd_rndis_query(nd, RNDIS_OID_GEN_FRIENDLY_NAME, NULL, 0, name, sizeof(name), &n);
	ret = nd_offloads(nd);
	if (ret)
		return ret;
	nd_optional_queries(nd, false);
	return nd_rss_caps(nd);
}

int gd_netvsc_attach(struct gd_netvsc *nd, struct gd_channel *ch, struct gd_gmem *gmem,
	const struct gd_netvsc_ops *ops, void *ctx, int timeout_ms)
{
	int ret;

	memset(nd, 0, offsetof(struct gd_netvsc, pkt));
	nd->ch = ch;
	nd->vb = ch->vb;
	nd->gmem = gmem;
	nd->ops = ops;
	nd->ctx = ctx;
	nd->timeout_ms = timeout_ms;
	/* the MTU the consumer wants (a changed eth0 MTU, facts 8), sent in SEND_NDIS_CONFIG */
	nd->mtu = ops->mtu >= GD_NETVSC_MTU_MIN && ops->mtu <= GD_NETVSC_MTU_MAX ? ops->mtu :
									   GD_NETVSC_MTU;
	ret = gd_gmem_alloc(gmem, 1, &nd->ctl_pfn);
	if (ret)
		return ret;
	nd->ctl_va = gd_gmem_va(gmem, nd->ctl_pfn);
	ret = nd_bringup(nd);
	if (ret) {
		gd_log(LOG_ERR, "relid %u: netvsc bring-up failed: %s", ch->relid, strerror(-ret));
		return ret;
	}
	nd->attached = true;
	gd_log(LOG_INFO,
		"relid %u: NVSP %#x, MAC %02x:%02x:%02x:%02x:%02x:%02x, MTU %u, link %s, "
		"%u send sections of %u, receive %u x %u",
		ch->relid, nd->nvsp_version, nd->mac[0], nd->mac[1], nd->mac[2], nd->mac[3],
		nd->mac[4], nd->mac[5], nd->mtu, nd->link_up ? "up" : "down", nd->n_sections,
		nd->section_size, nd->recv_sub_count, nd->recv_sub_size);
	return 0;
}

int gd_netvsc_send_sub_ppi(struct gd_netvsc *nd, struct gd_channel *sub, const uint8_t *frame,
	size_t len, const uint8_t *ppi, uint32_t ppi_len)
{
	struct gd_channel *primary = nd->ch;
	bool out_signal;
	int ret;

	if (!sub->open)
		return gd_netvsc_send_ppi(nd, frame, len, ppi, ppi_len);
	/* frames batched for the primary go there first (their section is announced on it) */
	if (nd->open_count) {
		ret = nd_section_close(nd);
		if (ret)
			return ret;
	}
	out_signal = nd->out_signal;
	/* the send section and its completion are shared; only the ring differs (facts 10) */
	nd->ch = sub;
	nd->out_signal = false;
	ret = gd_netvsc_send_ppi(nd, frame, len, ppi, ppi_len);
	gd_netvsc_flush(nd);
	nd->ch = primary;
	nd->out_signal = out_signal;
	return ret;
}

int gd_netvsc_send_sub(
	struct gd_netvsc *nd, struct gd_channel *sub, const uint8_t *frame, size_t len)
{
	return gd_netvsc_send_sub_ppi(nd, sub, frame, len, NULL, 0);
}

int gd_netvsc_subchannels_alloc(struct gd_netvsc *nd, uint32_t want, uint32_t *granted)
{
	uint8_t msg[NVSP_MSG_SIZE];
	int ret;

	*granted = 0;
	if (want == 0 || nd->nvsp_version < NVSP_VERSION_5)
		return 0;
	if (want > GD_MAX_SUBCHANNELS)
		want = GD_MAX_SUBCHANNELS;
	gd_nvsp_build_subchannel(msg, want);
	ret = nd_nvsp_request(nd, msg);
	if (ret)
		return ret;
	if (gd_nvsp_check_subchannel_comp(nd->nvsp_resp, nd->nvsp_resp_len, want, granted)) {
		/* as Linux: silently one channel */
		*granted = 0;
		gd_log(LOG_NOTICE, "relid %u: subchannels refused", nd->ch->relid);
	}
	return 0;
}

int gd_netvsc_set_rss(struct gd_netvsc *nd, uint32_t n_channels)
{
	uint8_t obj[40 + GD_RSS_TABLE_LEN * 4 + NDIS_RSS_KEY_SIZE];
	int len = gd_rndis_rss_params(obj, sizeof(obj), n_channels);

	if (len < 0)
		return len;
	return nd_rndis_set(nd, RNDIS_OID_GEN_RECEIVE_SCALE_PARAMETERS, obj, (uint32_t)len);
}

int gd_netvsc_set_filter(struct gd_netvsc *nd, uint32_t filter)
{
	int ret = nd_rndis_set(nd, RNDIS_OID_GEN_CURRENT_PACKET_FILTER, &filter, 4);

	/* Linux does not check the SET_C status here (facts 6.2 step 19) */
	if (ret == 0 || ret == -EIO)
		nd->packet_filter = filter;
	return ret == -EIO ? 0 : ret;
}

void gd_netvsc_detach(struct gd_netvsc *nd, bool rescinded)
{
	uint8_t msg[NVSP_MSG_SIZE];
	int ret;

	if (rescinded || nd->broken || !nd->ch || !nd->ch->open)
		return;
	if (nd->attached) {
		gd_netvsc_set_filter(nd, 0);
		/* HALT has no answer; wait for its completion so the host has read it */
		ret = gd_rndis_build_halt(nd->ctl_va, VMBUS_PAGE_SIZE, ++nd->rndis_req_id);
		if (ret > 0)
			nd_rndis_send(nd, (uint32_t)ret, 0);
	}
	if (nd->recv_gpadl) {
		gd_nvsp_build_revoke_buf(msg, NVSP_MSG1_TYPE_REVOKE_RECV_BUF, NVSP_RECV_BUF_ID);
		nd_nvsp_post(nd, msg);
	}
	if (nd->send_gpadl) {
		gd_nvsp_build_revoke_buf(msg, NVSP_MSG1_TYPE_REVOKE_SEND_BUF, 0);
		nd_nvsp_post(nd, msg);
	}
	nd->attached = false;
}

static void nd_free_buf(struct gd_netvsc *nd, uint32_t *gpadl, uint64_t *pfn, uint32_t pages,
	bool rescinded)
{
	bool can_free = true;

	if (*gpadl && !rescinded && gd_gpadl_teardown(nd->vb, nd->ch->relid, *gpadl)) {
		gd_log(LOG_WARNING, "relid %u: GPADL %#x teardown unanswered", nd->ch->relid,
			*gpadl);
		can_free = false; /* the host may still write there: never reuse the pages */
	}
	if (*pfn && can_free)
		gd_gmem_free(nd->gmem, *pfn, pages);
	*gpadl = 0;
	*pfn = 0;
}

void gd_netvsc_free_buffers(struct gd_netvsc *nd, bool rescinded)
{
	if (!nd->ch)
		return;
	nd->recv_va = NULL;
	nd->send_va = NULL;
	nd_free_buf(nd, &nd->recv_gpadl, &nd->recv_pfn, nd->recv_pages, rescinded);
	nd_free_buf(nd, &nd->send_gpadl, &nd->send_pfn, nd->send_pages, rescinded);
	if (nd->slot_pfn)
		gd_gmem_free(nd->gmem, nd->slot_pfn, GD_TX_SLOTS * GD_TX_SLOT_PAGES);
	nd->slot_pfn = 0;
	nd->slot_va = NULL;
	if (nd->ctl_pfn)
		gd_gmem_free(nd->gmem, nd->ctl_pfn, 1);
	nd->ctl_pfn = 0;
	nd->ctl_va = NULL;
	nd->ch = NULL;
}

/* ---------------------------------------------------------------------------------------------
 * Transmit
 */

bool gd_netvsc_can_send(const struct gd_netvsc *nd)
{
	/* a frame is read before its size is known: room for either kind */
	return nd->attached && !nd->broken && (nd->sections_free > 0 || nd->open_count) &&
	       (!nd->slot_va || nd->slot_used != (1u << GD_TX_SLOTS) - 1);
}

static int nd_section_get(struct gd_netvsc *nd)
{
	uint32_t w, n_words = (nd->n_sections + 63) / 64;

	for (w = 0; w < n_words; w++) {
		uint64_t free_bits = ~nd->section_used[w];
		uint32_t idx;

		if (!free_bits)
			continue;
		idx = w * 64 + (uint32_t)__builtin_ctzll(free_bits);
		if (idx >= nd->n_sections)
			return -EAGAIN;
		nd->section_used[w] |= UINT64_C(1) << (idx % 64);
		nd->sections_free--;
		return (int)idx;
	}
	return -EAGAIN;
}

/* Announce the section being filled: one SEND_RNDIS_PKT for all its frames. On -EAGAIN it stays
 * open (the host signals once there is room: pending_send_sz) and is retried at the next flush. */
static int nd_section_close(struct gd_netvsc *nd)
{
	uint8_t msg[NVSP_MSG_SIZE];
	int ret;

	if (!nd->open_count)
		return 0;
	gd_nvsp_build_rndis_pkt(msg, NVSP_RNDIS_CHANNEL_DATA, (uint32_t)nd->open_sec, nd->open_used);
	ret = nd_write_inband(nd, VMBUS_PKT_FLAG_COMPLETION_REQUESTED, (uint64_t)nd->open_sec + 1,
		msg);
	if (ret) {
		if (ret == -EAGAIN) {
			nd->stats.tx_busy++;
			vmbus_ring_pending_send_set(&nd->ch->out, 16 + NVSP_MSG_SIZE);
			nd->pending_send = true;
		}
		return ret;
	}
	if (nd->pending_send) {
		vmbus_ring_pending_send_clear(&nd->ch->out);
		nd->pending_send = false;
	}
	if (nd->open_count > 1)
		nd->stats.tx_batched += nd->open_count;
	nd->open_count = 0;
	return 0;
}

/* RNDIS PACKET header + PPIs at 'dst' for a frame of 'len' bytes; 'pad' bytes of alignment are
 * counted in msg_len (facts 6.3). Returns the header length. */
static uint32_t nd_packet_hdr(uint8_t *dst, uint32_t len, const uint8_t *ppi, uint32_t ppi_len,
	uint32_t pad)
{
	gd_rndis_build_packet_hdr(dst, len);
	gd_put32(dst + 4, 44 + ppi_len + len + pad);
	gd_put32(dst + 8, 36 + ppi_len); /* data_offset */
	if (ppi_len) {
		gd_put32(dst + 28, 36); /* ppi_offset */
		gd_put32(dst + 32, ppi_len);
		memcpy(dst + 44, ppi, ppi_len);
	}
	return 44 + ppi_len;
}

/* A frame too large for a section: copied into a free slot of our memory, sent as GPA_DIRECT
 * with one range (RNDIS header, PPIs and frame are contiguous in the slot). */
static int nd_send_gpa(struct gd_netvsc *nd, const uint8_t *frame, size_t len, const uint8_t *ppi,
	uint32_t ppi_len)
{
	uint32_t slot, hl, total = 44 + ppi_len + (uint32_t)len;
	uint8_t msg[NVSP_MSG_SIZE], *va;
	int ret;

	if (!nd->slot_va || total > GD_TX_SLOT_PAGES * VMBUS_PAGE_SIZE)
		return -EMSGSIZE;
	if (nd->slot_used == (1u << GD_TX_SLOTS) - 1) {
		nd->stats.tx_busy++;
		return -EAGAIN;
	}
	/* the frames batched before it go first */
	ret = nd_section_close(nd);
	if (ret)
		return ret;
	slot = (uint32_t)__builtin_ctz(~nd->slot_used);
	va = nd->slot_va + (size_t)slot * GD_TX_SLOT_PAGES * VMBUS_PAGE_SIZE;
	hl = nd_packet_hdr(va, (uint32_t)len, ppi, ppi_len, 0);
	memcpy(va + hl, frame, len);
	gd_nvsp_build_rndis_pkt(msg, NVSP_RNDIS_CHANNEL_DATA, NVSP_SECTION_INDEX_NONE, 0);
	ret = nd_write_gpa(nd, GD_TID_SLOT_BASE + slot, nd->slot_pfn + slot * GD_TX_SLOT_PAGES, 0,
		total, msg);
	if (ret) {
		if (ret == -EAGAIN) {
			nd->stats.tx_busy++;
			vmbus_ring_pending_send_set(&nd->ch->out, 16 + 24 + 8 * 18 + NVSP_MSG_SIZE);
			nd->pending_send = true;
		}
		return ret;
	}
	nd->slot_used |= 1u << slot;
	nd->stats.tx_gpa++;
	return 0;
}

int gd_netvsc_send_ppi(struct gd_netvsc *nd, const uint8_t *frame, size_t len, const uint8_t *ppi,
	uint32_t ppi_len)
{
	uint32_t msg_len, aligned, pad;
	uint8_t *sec;
	int idx, ret;

	if (nd->broken || !nd->attached)
		return -EPROTO;
	if (len == 0 || len > 65536 + 18 || ppi_len > 64)
		return -EMSGSIZE;
	msg_len = 44 + ppi_len + (uint32_t)len;
	if (msg_len > nd->section_size) {
		ret = nd_send_gpa(nd, frame, len, ppi, ppi_len);
		goto sent;
	}
	/* batch into the open section while it has room and the host's per-message limit allows */
	aligned = (nd->open_used + nd->pkt_align - 1) & ~(nd->pkt_align - 1);
	if (nd->open_count && (aligned + msg_len > nd->section_size ||
					 nd->open_count >= nd->max_pkt_per_msg)) {
		ret = nd_section_close(nd);
		if (ret)
			return ret;
	}
	if (!nd->open_count) {
		idx = nd_section_get(nd);
		if (idx < 0) {
			nd->stats.tx_busy++;
			return -EAGAIN;
		}
		nd->open_sec = idx;
		nd->open_used = 0;
		nd->open_count = 0;
		aligned = 0;
	}
	/* the previous message's padding is counted in its msg_len */
	pad = aligned - nd->open_used;
	sec = nd->send_va + (size_t)nd->open_sec * nd->section_size;
	if (pad && nd->open_count) {
		uint8_t *prev = sec + nd->last_msg_off;

		gd_put32(prev + 4, gd_get32(prev + 4) + pad);
	}
	nd->last_msg_off = aligned;
	nd_packet_hdr(sec + aligned, (uint32_t)len, ppi, ppi_len, 0);
	memcpy(sec + aligned + 44 + ppi_len, frame, len);
	nd->open_used = aligned + msg_len;
	nd->open_count++;
	ret = 0;
	if (nd->max_pkt_per_msg <= 1)
		(void)nd_section_close(nd); /* a failed close is retried at flush */
sent:
	if (ret)
		return ret;
	nd->stats.tx_frames++;
	nd->stats.tx_bytes += len;
	if (ppi_len && gd_get32(ppi + 4) == RNDIS_PPI_LSO)
		nd->stats.tx_lso++;
	else if (ppi_len)
		nd->stats.tx_csum++;
	return 0;
}

int gd_netvsc_send(struct gd_netvsc *nd, const uint8_t *frame, size_t len)
{
	return gd_netvsc_send_ppi(nd, frame, len, NULL, 0);
}
