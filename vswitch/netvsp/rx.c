/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Frames to the guest (facts 6.3, 7.6, 10 step 13): each frame is copied into its own data
 * sub-allocation as an RNDIS PACKET (header at +0, PPIs at +44, frame at +256), and up to
 * VS_VSP_RX_BATCH_MAX of them go to the guest as the ranges of one XFER_PAGES packet. A frame
 * larger than a sub-allocation (a coalesced TCP segment for a guest that enabled RSC) is split
 * into RSC fragments, one sub-allocation each, within one XFER_PAGES packet.
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

/*
 * Write one RNDIS PACKET into sub-allocation 'idx': header, PPIs (checksum, VLAN and hash on the
 * first fragment only, the RSC packet-info element on every fragment of a coalesced frame, facts
 * 7.6), then 'len' frame bytes at +256. 'rsc_flags' 0: not a fragment.
 */
static void write_packet(struct vs_vsp *vsp, const struct vs_vsp_rx_frame *f, uint32_t idx,
	bool first, uint32_t rsc_flags, unsigned int *si, uint32_t *soff, uint32_t len)
{
	uint8_t hdr[sizeof(struct rndis_packet) + 4 * (sizeof(struct rndis_ppi) + 4)];
	struct rndis_packet pkt = {.hdr.msg_type = RNDIS_MSG_PACKET};
	uint32_t ppi_len = 0, pos = sizeof(pkt);
	uint8_t *dst = vsp->rx.base + (size_t)idx * vsp->rx.sub_size;

	_Static_assert(sizeof(hdr) <= VS_VSP_RX_DATA_OFFSET, "PPIs must end before the frame");
	if (first && (f->flags & VS_VSP_RXF_CSUM))
		ppi_len += put_ppi(hdr + pos + ppi_len, RNDIS_PPI_TCPIP_CHKSUM, f->csum_info);
	if (first && (f->flags & VS_VSP_RXF_VLAN)) {
		uint32_t tci = f->vlan_tci;
		uint32_t v = ((tci >> 13) & RNDIS_VLAN_PRI_MASK) | ((tci & 0x1000u) ? RNDIS_VLAN_CFI : 0) |
			     ((tci & RNDIS_VLAN_ID_MASK) << RNDIS_VLAN_ID_SHIFT);

		ppi_len += put_ppi(hdr + pos + ppi_len, RNDIS_PPI_IEEE_8021Q, v);
	}
	if (first && (f->flags & VS_VSP_RXF_HASH))
		ppi_len += put_ppi(hdr + pos + ppi_len, RNDIS_PPI_HASH_VALUE, f->hash);
	if (rsc_flags) {
		/* u8 version 1, u8 flags, u16 packet id (facts 7.6) */
		uint32_t v = 1u | rsc_flags << 8 | (uint32_t)vsp->rsc_pkt_id << 16;

		ppi_len += put_ppi(hdr + pos + ppi_len, RNDIS_PPI_PKTINFO_ID, v);
	}
	/* Offsets relative to byte 8; no PPI means ppi_offset 0 (Linux then skips its PPI walk). */
	pkt.hdr.msg_len = VS_VSP_RX_DATA_OFFSET + len;
	pkt.data_offset = VS_VSP_RX_DATA_OFFSET - RNDIS_HEADER_OFFSET;
	pkt.data_len = len;
	pkt.ppi_offset = ppi_len ? (uint32_t)sizeof(pkt) - RNDIS_HEADER_OFFSET : 0;
	pkt.ppi_len = ppi_len;
	memcpy(hdr, &pkt, sizeof(pkt));
	memcpy(dst, hdr, pos + ppi_len);
	gather(f, si, soff, dst + VS_VSP_RX_DATA_OFFSET, len);
}

static void batch_add(struct vs_vsp *vsp, struct vs_rx_batch *b, uint32_t idx, uint32_t len)
{
	if (b->n == 0)
		b->head = idx;
	else
		vsp->rx.next[b->tail] = idx;
	b->tail = idx;
	b->ranges[b->n].byte_count = VS_VSP_RX_DATA_OFFSET + len;
	b->ranges[b->n].byte_offset = idx * vsp->rx.sub_size;
	b->n++;
}

int vs_vsp_rx_add(struct vs_vsp *vsp, const struct vs_vsp_rx_frame *f)
{
	struct vs_rxbuf *rx = &vsp->rx;
	struct vs_rx_batch *b = &vsp->batch[f && f->channel < vsp->n_channels ? f->channel : 0];
	uint32_t c = (uint32_t)(b - vsp->batch);
	uint32_t idx[VS_VSP_RX_BATCH_MAX];
	uint32_t len = 0, room, n_frags = 1, i, soff = 0;
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
	if (!f || !f->segs || f->n_segs == 0) {
		drop(vsp, VS_VSP_DROP_TO_GUEST_BAD_FRAME);
		return -EINVAL;
	}
	for (i = 0; i < f->n_segs; i++) {
		if (f->segs[i].len > UINT32_MAX - len || (f->segs[i].len && !f->segs[i].base)) {
			drop(vsp, VS_VSP_DROP_TO_GUEST_BAD_FRAME);
			return -EINVAL;
		}
		len += f->segs[i].len;
	}
	if (len < 14) {
		drop(vsp, VS_VSP_DROP_TO_GUEST_BAD_FRAME);
		return -EINVAL;
	}
	/* The guest drops ranges larger than a sub-allocation (facts 8); a coalesced frame goes as
	 * RSC fragments, all in one XFER_PAGES packet (facts 7.6). */
	room = rx->sub_size - VS_VSP_RX_DATA_OFFSET;
	if (len > room) {
		n_frags = len / room + (len % room != 0);
		if (!(f->flags & VS_VSP_RXF_RSC) || n_frags > VS_VSP_RX_BATCH_MAX) {
			drop(vsp, VS_VSP_DROP_TO_GUEST_TOO_BIG);
			return -EMSGSIZE;
		}
		if (b->n + n_frags > VS_VSP_RX_BATCH_MAX) {
			ret = batch_flush(vsp, c);
			if (ret < 0)
				return ret;
		}
	}
	for (i = 0; i < n_frags; i++) {
		idx[i] = vs_rxbuf_alloc(rx, false);
		if (idx[i] == VS_RXBUF_END) {
			while (i--)
				vs_rxbuf_free_chain(rx, idx[i]);
			drop(vsp, VS_VSP_DROP_TO_GUEST_NO_BUFFER);
			return -ENOBUFS;
		}
	}
	if (n_frags == 1) {
		write_packet(vsp, f, idx[0], true, 0, &si, &soff, len);
		batch_add(vsp, b, idx[0], len);
	} else {
		vsp->rsc_pkt_id++;
		for (i = 0; i < n_frags; i++) {
			uint32_t fl = RNDIS_PKTINFO_SUBALLOC | (i == 0 ? RNDIS_PKTINFO_1ST_FRAG : 0) |
				      (i + 1 == n_frags ? RNDIS_PKTINFO_LAST_FRAG : 0);
			uint32_t k = i + 1 == n_frags ? len - i * room : room;

			write_packet(vsp, f, idx[i], i == 0, fl, &si, &soff, k);
			batch_add(vsp, b, idx[i], k);
		}
		vsp->stats.cnt[VS_VSP_CNT_TO_GUEST_RSC]++;
		vsp->stats.cnt[VS_VSP_CNT_TO_GUEST_RSC_FRAGS] += n_frags;
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
