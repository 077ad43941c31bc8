/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Frames to the guest (facts 6.3, 7.6, 10 step 13): each frame is copied into its own data
 * sub-allocation as an RNDIS PACKET (header at +0, PPIs at +44, frame at +256), and up to
 * VS_VSP_RX_BATCH_MAX of them go to the guest as the ranges of one XFER_PAGES packet.
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
		vsp->stats.drop[VS_VSP_DROP_TO_GUEST_RING_FULL] += b->n;
		cs->ring_full += b->n;
	} else {
		vsp->stats.cnt[VS_VSP_CNT_TO_GUEST_PACKETS] += b->n;
		vsp->stats.cnt[VS_VSP_CNT_TO_GUEST_BYTES] += b->bytes;
		cs->to_guest_packets += b->n;
		cs->to_guest_bytes += b->bytes;
	}
	b->n = 0;
	b->bytes = 0;
	return ret;
}

int vs_vsp_rx_add(struct vs_vsp *vsp, const struct vs_vsp_rx_frame *f)
{
	struct vs_rxbuf *rx = &vsp->rx;
	struct vs_rx_batch *b = &vsp->batch[f && f->channel < vsp->n_channels ? f->channel : 0];
	uint8_t hdr[sizeof(struct rndis_packet) + 3 * (sizeof(struct rndis_ppi) + 4)];
	struct rndis_packet pkt = {.hdr.msg_type = RNDIS_MSG_PACKET};
	uint32_t len = 0, ppi_len = 0, idx, pos;
	uint8_t *dst;
	unsigned int i;

	_Static_assert(sizeof(hdr) <= VS_VSP_RX_DATA_OFFSET, "PPIs must end before the frame");
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
	/* The guest drops ranges larger than a sub-allocation (facts 8). */
	if (len > rx->sub_size - VS_VSP_RX_DATA_OFFSET) {
		drop(vsp, VS_VSP_DROP_TO_GUEST_TOO_BIG);
		return -EMSGSIZE;
	}
	idx = vs_rxbuf_alloc(rx, false);
	if (idx == VS_RXBUF_END) {
		drop(vsp, VS_VSP_DROP_TO_GUEST_NO_BUFFER);
		return -ENOBUFS;
	}

	pos = sizeof(pkt);
	if (f->flags & VS_VSP_RXF_CSUM)
		ppi_len += put_ppi(hdr + pos + ppi_len, RNDIS_PPI_TCPIP_CHKSUM, f->csum_info);
	if (f->flags & VS_VSP_RXF_VLAN) {
		uint32_t tci = f->vlan_tci;
		uint32_t v = ((tci >> 13) & RNDIS_VLAN_PRI_MASK) | ((tci & 0x1000u) ? RNDIS_VLAN_CFI : 0) |
			     ((tci & RNDIS_VLAN_ID_MASK) << RNDIS_VLAN_ID_SHIFT);

		ppi_len += put_ppi(hdr + pos + ppi_len, RNDIS_PPI_IEEE_8021Q, v);
	}
	if (f->flags & VS_VSP_RXF_HASH)
		ppi_len += put_ppi(hdr + pos + ppi_len, RNDIS_PPI_HASH_VALUE, f->hash);
	/* Offsets relative to byte 8; no PPI means ppi_offset 0 (Linux then skips its PPI walk). */
	pkt.hdr.msg_len = VS_VSP_RX_DATA_OFFSET + len;
	pkt.data_offset = VS_VSP_RX_DATA_OFFSET - RNDIS_HEADER_OFFSET;
	pkt.data_len = len;
	pkt.ppi_offset = ppi_len ? (uint32_t)sizeof(pkt) - RNDIS_HEADER_OFFSET : 0;
	pkt.ppi_len = ppi_len;
	memcpy(hdr, &pkt, sizeof(pkt));

	dst = rx->base + (size_t)idx * rx->sub_size;
	memcpy(dst, hdr, pos + ppi_len);
	dst += VS_VSP_RX_DATA_OFFSET;
	for (i = 0; i < f->n_segs; i++) {
		if (f->segs[i].len)
			memcpy(dst, f->segs[i].base, f->segs[i].len);
		dst += f->segs[i].len;
	}

	if (b->n == 0)
		b->head = idx;
	else
		rx->next[b->tail] = idx;
	b->tail = idx;
	b->ranges[b->n].byte_count = VS_VSP_RX_DATA_OFFSET + len;
	b->ranges[b->n].byte_offset = idx * rx->sub_size;
	b->n++;
	b->bytes += len;
	if (b->n == VS_VSP_RX_BATCH_MAX)
		return batch_flush(vsp, (uint32_t)(b - vsp->batch));
	return 0;
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
