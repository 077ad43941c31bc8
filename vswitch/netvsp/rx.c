/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Frames to the guest (facts 6.3, 7.6, 10 step 13): each frame is written as one RNDIS PACKET
 * (header, PPIs, then the frame right after them) and up to VS_VSP_RX_BATCH_MAX of them go to the
 * guest as the ranges of one XFER_PAGES packet. The messages of a batch are packed back to back
 * (in 8-byte steps) into the batch's sub-allocations: a 60-byte frame costs 104 bytes, under two
 * cache lines, instead of a 1806-byte sub-allocation whose header and frame lines lie apart, and
 * one sub-allocation serves a dozen small frames. Guests only require a range to lie inside the
 * buffer and be no longer than a sub-allocation (facts 6.3): Linux, DPDK's PMD and our driver
 * read ranges anywhere. The batch's chain of sub-allocations is freed on the guest's completion
 * of its XFER_PAGES packet, whose id is the chain's head (DPDK indexes a table with it). A frame
 * larger than a sub-allocation's room (a coalesced TCP segment for a guest that enabled RSC) is
 * split into RSC fragments, one sub-allocation each, within one XFER_PAGES packet.
 */
#include "internal.h"

#include <errno.h>

static void drop(struct vs_vsp *vsp, enum vs_vsp_drop d)
{
	vsp->stats.drop[d]++;
}

/* A PPI element we emit: always size 16, data offset 12 (never a size-0 or short element: Linux
 * 6.1 loops forever on those, facts 7.6). */
static uint32_t put_ppi(uint8_t *p, uint32_t type, uint32_t value)
{
	struct rndis_ppi e = {.size = sizeof(e) + 4, .type = type, .ppi_offset = sizeof(e)};

	memcpy(p, &e, sizeof(e));
	vs_wr32(p + sizeof(e), value);
	return e.size;
}

/* Send channel 'c''s batch as one XFER_PAGES packet on that channel. */
static int batch_flush(struct vs_vsp *vsp, uint32_t c)
{
	struct vs_rx_batch *b = &vsp->batch[c];
	struct vs_vsp_chan_stats *cs = &vsp->stats.chan[c];
	uint32_t saved = vsp->cur_chan;
	int ret;

	if (b->n == 0)
		return 0;
	vsp->cur_chan = c;
	ret = vs_rxbuf_send_xfer(vsp, b->head, b->ranges, b->n, NVSP_RNDIS_CHANNEL_DATA);
	vsp->cur_chan = saved;
	if (ret < 0) {
		vsp->stats.drop[VS_VSP_DROP_TO_GUEST_RING_FULL] += b->frames;
		cs->ring_full += b->frames;
	} else {
		vsp->stats.cnt[VS_VSP_CNT_TO_GUEST_PACKETS] += b->frames;
		vsp->stats.cnt[VS_VSP_CNT_TO_GUEST_BYTES] += b->bytes;
		cs->to_guest_packets += b->frames;
		cs->to_guest_bytes += b->bytes;
	}
	b->n = 0;
	b->chain = 0;
	b->frames = 0;
	b->bytes = 0;
	return ret;
}

/* Copy 'n' bytes from the gather list at cursor (*si, *soff) to 'dst', advancing the cursor. */
static void gather(const struct vs_vsp_rx_frame *f, unsigned int *si, uint32_t *soff, uint8_t *dst,
	uint32_t n)
{
	while (n) {
		uint32_t k;

		if (*soff == f->segs[*si].len) {
			(*si)++;
			*soff = 0;
			continue;
		}
		k = f->segs[*si].len - *soff;
		if (k > n)
			k = n;
		memcpy(dst, f->segs[*si].base + *soff, k);
		dst += k;
		*soff += k;
		n -= k;
	}
}

/* Bytes of per-packet info write_packet() emits for a frame that is not split: 16 per element. */
static uint32_t ppi_bytes(const struct vs_vsp_rx_frame *f)
{
	uint32_t n = !!(f->flags & VS_VSP_RXF_CSUM) + !!(f->flags & VS_VSP_RXF_VLAN) +
		     !!(f->flags & VS_VSP_RXF_HASH);

	return n * (uint32_t)(sizeof(struct rndis_ppi) + 4);
}

/*
 * Write one RNDIS PACKET at byte 'pos' of the receive buffer: header, PPIs (checksum, VLAN and
 * hash on the first fragment only, the RSC packet-info element on every fragment of a coalesced
 * frame, facts 7.6), then 'len' frame bytes right after them. 'rsc_flags' 0: not a fragment.
 * Returns msg_len (44 + PPIs + len), which is also the range's byte_count.
 */
static uint32_t write_packet(struct vs_vsp *vsp, const struct vs_vsp_rx_frame *f, size_t pos,
	bool first, uint32_t rsc_flags, unsigned int *si, uint32_t *soff, uint32_t len)
{
	uint8_t *dst = vsp->rx.base + pos;
	uint32_t ppi_len = 0, hdr = (uint32_t)sizeof(struct rndis_packet);
	struct rndis_packet pkt;

	if (first && (f->flags & VS_VSP_RXF_CSUM))
		ppi_len += put_ppi(dst + hdr + ppi_len, RNDIS_PPI_TCPIP_CHKSUM, f->csum_info);
	if (first && (f->flags & VS_VSP_RXF_VLAN)) {
		uint32_t tci = f->vlan_tci;
		uint32_t v = ((tci >> 13) & RNDIS_VLAN_PRI_MASK) | ((tci & 0x1000u) ? RNDIS_VLAN_CFI : 0) |
			     ((tci & RNDIS_VLAN_ID_MASK) << RNDIS_VLAN_ID_SHIFT);

		ppi_len += put_ppi(dst + hdr + ppi_len, RNDIS_PPI_IEEE_8021Q, v);
	}
	if (first && (f->flags & VS_VSP_RXF_HASH))
		ppi_len += put_ppi(dst + hdr + ppi_len, RNDIS_PPI_HASH_VALUE, f->hash);
	if (rsc_flags) {
		/* u8 version 1, u8 flags, u16 packet id (facts 7.6) */
		uint32_t v = 1u | rsc_flags << 8 | (uint32_t)vsp->rsc_pkt_id << 16;

		ppi_len += put_ppi(dst + hdr + ppi_len, RNDIS_PPI_PKTINFO_ID, v);
	}
	/* Offsets count from byte 8; no PPI means ppi_offset 0 (Linux then skips its PPI walk).
	 * memcpy: sub-allocations start at any even offset (1806 bytes each). */
	pkt = (struct rndis_packet){
		.hdr = {.msg_type = RNDIS_MSG_PACKET, .msg_len = hdr + ppi_len + len},
		.data_offset = hdr + ppi_len - RNDIS_HEADER_OFFSET,
		.data_len = len,
		.ppi_offset = ppi_len ? hdr - RNDIS_HEADER_OFFSET : 0,
		.ppi_len = ppi_len,
	};
	memcpy(dst, &pkt, sizeof(pkt));
	gather(f, si, soff, dst + hdr + ppi_len, len);
	return hdr + ppi_len + len;
}

/* Take a fresh sub-allocation for batch 'b' and link it to the batch's chain; it becomes the one
 * the batch fills. 'whole': for a message that fills most of it (rxbuf.c says why that takes the
 * most recently freed one). Returns false when none is free. */
static bool batch_open(struct vs_vsp *vsp, struct vs_rx_batch *b, bool whole)
{
	uint32_t idx = vs_rxbuf_alloc(&vsp->rx, false, whole);

	if (idx == VS_RXBUF_END)
		return false;
	if (b->chain == 0)
		b->head = idx;
	else
		vsp->rx.next[b->tail] = idx;
	b->tail = idx;
	b->chain++;
	b->fill = (size_t)idx * vsp->rx.sub_size;
	vs_prefetchw(vsp->rx.base + b->fill);
	vs_prefetchw(vsp->rx.base + b->fill + 64);
	return true;
}

/* Room left in the sub-allocation batch 'b' fills (0 when it has none yet). */
static uint32_t batch_room(const struct vs_vsp *vsp, const struct vs_rx_batch *b)
{
	if (b->chain == 0)
		return 0;
	return (uint32_t)(((size_t)b->tail + 1) * vsp->rx.sub_size - b->fill);
}

/* Record a message of 'len' bytes written at b->fill as the batch's next range; the next message
 * starts at the next multiple of 8 bytes into the sub-allocation (RNDIS pads to 8 too). */
static void batch_range(const struct vs_vsp *vsp, struct vs_rx_batch *b, uint32_t len)
{
	size_t end = (size_t)(b->tail + 1) * vsp->rx.sub_size;

	b->ranges[b->n].byte_count = len;
	b->ranges[b->n].byte_offset = (uint32_t)b->fill;
	b->n++;
	b->fill += (len + 7u) & ~7u;
	if (b->fill > end)
		b->fill = end;
	else if (b->fill + 128 <= end)
		vs_prefetchw(vsp->rx.base + b->fill + 127); /* the next message's second line */
}

static int frame_len(struct vs_vsp *vsp, const struct vs_vsp_rx_frame *f, uint32_t *out)
{
	uint32_t len = 0, i;

	if (!f || !f->segs || f->n_segs == 0)
		goto bad;
	for (i = 0; i < f->n_segs; i++) {
		if (f->segs[i].len > UINT32_MAX - len || (f->segs[i].len && !f->segs[i].base))
			goto bad;
		len += f->segs[i].len;
	}
	if (len < 14)
		goto bad;
	*out = len;
	return 0;
bad:
	drop(vsp, VS_VSP_DROP_TO_GUEST_BAD_FRAME);
	return -EINVAL;
}

/* A frame larger than a sub-allocation's room, for a guest that enabled RSC: one RNDIS PACKET per
 * fragment, each in a sub-allocation of its own, all ranges of the same XFER_PAGES packet (facts
 * 7.6). */
static int add_fragments(struct vs_vsp *vsp, struct vs_rx_batch *b, uint32_t c,
	const struct vs_vsp_rx_frame *f, uint32_t len, uint32_t room)
{
	uint32_t n_frags = len / room + (len % room != 0), i, soff = 0;
	unsigned int si = 0;
	int ret;

	if (!(f->flags & VS_VSP_RXF_RSC) || n_frags > VS_VSP_RX_BATCH_MAX) {
		drop(vsp, VS_VSP_DROP_TO_GUEST_TOO_BIG);
		return -EMSGSIZE;
	}
	if (vsp->rx.n_free_data < n_frags) {
		drop(vsp, VS_VSP_DROP_TO_GUEST_NO_BUFFER);
		return -ENOBUFS;
	}
	/* all fragments go in one XFER_PAGES packet: send what is pending if they do not fit */
	if (b->n + n_frags > VS_VSP_RX_BATCH_MAX) {
		ret = batch_flush(vsp, c);
		if (ret < 0)
			return ret;
	}
	vsp->rsc_pkt_id++;
	for (i = 0; i < n_frags; i++) {
		uint32_t fl = RNDIS_PKTINFO_SUBALLOC | (i == 0 ? RNDIS_PKTINFO_1ST_FRAG : 0) |
			      (i + 1 == n_frags ? RNDIS_PKTINFO_LAST_FRAG : 0);
		uint32_t k = i + 1 == n_frags ? len - i * room : room;

		batch_open(vsp, b, true); /* cannot fail: n_free_data was checked */
		batch_range(vsp, b, write_packet(vsp, f, b->fill, i == 0, fl, &si, &soff, k));
	}
	vsp->stats.cnt[VS_VSP_CNT_TO_GUEST_RSC]++;
	vsp->stats.cnt[VS_VSP_CNT_TO_GUEST_RSC_FRAGS] += n_frags;
	return 0;
}

int vs_vsp_rx_add(struct vs_vsp *vsp, const struct vs_vsp_rx_frame *f)
{
	struct vs_rxbuf *rx = &vsp->rx;
	struct vs_rx_batch *b = &vsp->batch[f && f->channel < vsp->n_channels ? f->channel : 0];
	uint32_t c = (uint32_t)(b - vsp->batch);
	uint32_t len, room, msg, soff = 0;
	unsigned int si = 0;
	int ret;

	if (!rx->ready || vsp->rndis != VS_RNDIS_INITIALIZED) {
		drop(vsp, VS_VSP_DROP_TO_GUEST_NOT_READY);
		return -ENOBUFS;
	}
	if (vsp->filter == 0) {
		drop(vsp, VS_VSP_DROP_TO_GUEST_FILTERED);
		return -ENOBUFS;
	}
	ret = frame_len(vsp, f, &len);
	if (ret < 0)
		return ret;
	/* The guest drops ranges larger than a sub-allocation (facts 8): a coalesced frame goes as
	 * RSC fragments. */
	room = rx->sub_size - VS_VSP_RX_DATA_OFFSET;
	if (len > room) {
		ret = add_fragments(vsp, b, c, f, len, room);
		if (ret < 0)
			return ret;
	} else {
		/* Frames are packed: a message goes behind the previous one of the batch when the
		 * sub-allocation has room, so small frames share cache lines and sub-allocations. */
		msg = (uint32_t)sizeof(struct rndis_packet) + ppi_bytes(f) + len;
		if (batch_room(vsp, b) < msg && !batch_open(vsp, b, msg > rx->sub_size / 2)) {
			drop(vsp, VS_VSP_DROP_TO_GUEST_NO_BUFFER);
			return -ENOBUFS;
		}
		batch_range(vsp, b, write_packet(vsp, f, b->fill, true, 0, &si, &soff, len));
	}
	if (f->flags & VS_VSP_RXF_CSUM)
		vsp->stats.cnt[VS_VSP_CNT_TO_GUEST_CSUM_OK]++;
	b->frames++;
	b->bytes += len;
	if (b->n == VS_VSP_RX_BATCH_MAX)
		return batch_flush(vsp, c);
	return 0;
}

uint32_t vs_vsp_rx_max_len(const struct vs_vsp *vsp, bool rsc)
{
	uint32_t room;

	if (!vsp->rx.ready || vsp->rx.sub_size <= VS_VSP_RX_DATA_OFFSET)
		return 0;
	room = vsp->rx.sub_size - VS_VSP_RX_DATA_OFFSET;
	return rsc ? room * VS_VSP_RX_BATCH_MAX : room;
}

int vs_vsp_rx_flush(struct vs_vsp *vsp)
{
	uint32_t c;
	int ret = 0, r;

	for (c = 0; c < VS_VSP_MAX_CHANNELS; c++) {
		if (vsp->batch[c].n == 0)
			continue;
		r = batch_flush(vsp, c);
		if (r < 0 && ret == 0)
			ret = r;
	}
	return ret;
}
