/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RNDIS PACKET messages from the guest (facts 7.2, 7.6, 9 item 6): header offsets, per-packet
 * info, offload metadata, and the frame handed to the switch. Headers and PPIs are copied out of
 * guest memory before they are parsed; the frame itself stays in place for ops->deliver to copy.
 */
#include "internal.h"

/* PACKET header after msg_len has been checked by the stream walk. Offsets in the message are
 * relative to byte 8 (the end of type + msg_len). */
enum vs_vsp_err vs_rndis_pkt_parse(const uint8_t *hdr, uint32_t msg_len,
	struct vs_rndis_pkt_hdr *out)
{
	const uint32_t body_min = sizeof(struct rndis_packet) - RNDIS_HEADER_OFFSET; /* 36 */
	uint32_t data_off = vs_rd32(hdr + 8), data_len = vs_rd32(hdr + 12);
	uint32_t ppi_off = vs_rd32(hdr + 28), ppi_len = vs_rd32(hdr + 32);
	uint32_t body;

	if (msg_len < sizeof(struct rndis_packet))
		return VS_VSP_ERR_RNDIS_MSG_LEN;
	body = msg_len - RNDIS_HEADER_OFFSET;
	/* Out-of-band data and VC handles are not part of netvsc (Linux zeroes the header). */
	if (vs_rd32(hdr + 16) || vs_rd32(hdr + 20) || vs_rd32(hdr + 24) || vs_rd32(hdr + 36))
		return VS_VSP_ERR_PKT_OOB;
	if (data_off < body_min || (uint64_t)data_off + data_len > body)
		return VS_VSP_ERR_PKT_OFFSETS;
	out->data_off = RNDIS_HEADER_OFFSET + data_off;
	out->data_len = data_len;
	out->ppi_off = 0;
	out->ppi_len = 0;
	if (ppi_len) {
		if (ppi_off < body_min || (uint64_t)ppi_off + ppi_len > body ||
			ppi_len > VS_VSP_PPI_MAX)
			return VS_VSP_ERR_PPI_MALFORMED;
		out->ppi_off = RNDIS_HEADER_OFFSET + ppi_off;
		out->ppi_len = ppi_len;
	}
	return VS_VSP_ERR_NONE;
}

/*
 * Walk the PPI list (facts 7.6). Each element must be at least its 12-byte header, lie inside the
 * list and have its data offset inside itself, so the walk always advances by >= 12 bytes (Linux
 * 6.1's own walk loops forever on size 0: we must never be that walk). Unknown types, and internal
 * ones, are skipped. Known types need 4 data bytes.
 */
enum vs_vsp_err vs_rndis_ppi_parse(const uint8_t *ppi, uint32_t len, struct vs_vsp_frame *meta)
{
	uint32_t pos = 0, csum = 0, lso = 0;
	bool have_csum = false, have_lso = false;

	while (pos < len) {
		uint32_t rem = len - pos, size, type, doff;
		const uint8_t *data;

		if (rem < sizeof(struct rndis_ppi))
			return VS_VSP_ERR_PPI_MALFORMED;
		size = vs_rd32(ppi + pos);
		type = vs_rd32(ppi + pos + 4);
		doff = vs_rd32(ppi + pos + 8);
		if (size < sizeof(struct rndis_ppi) || size > rem || doff < sizeof(struct rndis_ppi) ||
			doff > size)
			return VS_VSP_ERR_PPI_MALFORMED;
		data = ppi + pos + doff;
		switch (type) {
		case RNDIS_PPI_TCPIP_CHKSUM:
		case RNDIS_PPI_LSO:
		case RNDIS_PPI_IEEE_8021Q:
		case RNDIS_PPI_HASH_VALUE:
			if (size - doff < sizeof(uint32_t))
				return VS_VSP_ERR_PPI_MALFORMED;
			break;
		default:
			pos += size;
			continue;
		}
		switch (type) {
		case RNDIS_PPI_TCPIP_CHKSUM:
			csum = vs_rd32(data);
			have_csum = true;
			break;
		case RNDIS_PPI_LSO:
			lso = vs_rd32(data);
			have_lso = true;
			break;
		case RNDIS_PPI_IEEE_8021Q: {
			uint32_t v = vs_rd32(data);

			meta->flags |= VS_VSP_TXF_VLAN;
			meta->vlan_tci = (uint16_t)(((v & RNDIS_VLAN_PRI_MASK) << 13) |
						    ((v & RNDIS_VLAN_CFI) ? 0x1000u : 0) |
						    ((v >> RNDIS_VLAN_ID_SHIFT) & RNDIS_VLAN_ID_MASK));
			break;
		}
		case RNDIS_PPI_HASH_VALUE:
			meta->flags |= VS_VSP_TXF_HASH;
			meta->hash = vs_rd32(data);
			break;
		}
		pos += size;
	}

	if (have_csum && (csum & (RNDIS_CSUM_TX_IPV4 | RNDIS_CSUM_TX_IPV6 | RNDIS_CSUM_TX_TCP |
					 RNDIS_CSUM_TX_UDP | RNDIS_CSUM_TX_IP_HDR))) {
		bool v4 = csum & RNDIS_CSUM_TX_IPV4, v6 = csum & RNDIS_CSUM_TX_IPV6;
		bool tcp = csum & RNDIS_CSUM_TX_TCP, udp = csum & RNDIS_CSUM_TX_UDP;
		bool iph = csum & RNDIS_CSUM_TX_IP_HDR;

		/* Exactly one IP version; at most one L4; the IP header checksum is IPv4's. */
		if (v4 == v6 || (tcp && udp) || (iph && !v4))
			return VS_VSP_ERR_CSUM_INVALID;
		meta->flags |= (v4 ? VS_VSP_TXF_IPV4 : VS_VSP_TXF_IPV6) |
			       (tcp ? VS_VSP_TXF_TCP_CSUM : 0) | (udp ? VS_VSP_TXF_UDP_CSUM : 0) |
			       (iph ? VS_VSP_TXF_IP_CSUM : 0);
		meta->l4_offset = (uint16_t)((csum >> RNDIS_CSUM_TX_L4_OFFSET_SHIFT) &
					     RNDIS_CSUM_TX_L4_OFFSET_MASK);
	}
	if (have_lso) {
		uint32_t tcp_off = (lso >> RNDIS_LSO_TCP_OFFSET_SHIFT) & RNDIS_LSO_TCP_OFFSET_MASK;
		uint32_t ipv = (lso & RNDIS_LSO_IPV6) ? VS_VSP_TXF_IPV6 : VS_VSP_TXF_IPV4;

		/* LSOv2 only (Linux sets the type bit); it must agree with a checksum request. */
		if (!(lso & RNDIS_LSO_TYPE_V2))
			return VS_VSP_ERR_LSO_INVALID;
		if ((meta->flags & (VS_VSP_TXF_TCP_CSUM | VS_VSP_TXF_UDP_CSUM)) &&
			(meta->l4_offset != tcp_off || !(meta->flags & ipv) ||
				(meta->flags & VS_VSP_TXF_UDP_CSUM)))
			return VS_VSP_ERR_LSO_INVALID;
		meta->flags |= VS_VSP_TXF_LSO | ipv;
		meta->mss = lso & RNDIS_LSO_MSS_MASK;
		meta->l4_offset = (uint16_t)tcp_off;
	}
	return VS_VSP_ERR_NONE;
}

/*
 * Metadata against the frame (facts 9 item 6; DPDK vhost CVE-2024-11614, OpenVMM #2148/#3275):
 * L4 offsets at least Ethernet + minimum IP header and the whole minimum L4 header inside the
 * frame, MSS non-zero, frame length within the MTU (+4 if it carries its own 802.1Q tag) unless
 * it is an LSO frame (64 KiB; the advertised LSO size is checked with the headers).
 */
enum vs_vsp_err vs_rndis_meta_check(const struct vs_vsp_frame *meta, uint32_t frame_len,
	uint32_t ndis_mtu, bool tagged)
{
	bool lso = meta->flags & VS_VSP_TXF_LSO;
	uint32_t limit = lso ? VS_VSP_LSO_MAX_FRAME : ndis_mtu + (tagged ? 4u : 0u);
	uint32_t l3_min = 14u + ((meta->flags & VS_VSP_TXF_IPV6) ? 40u : 20u);

	if (frame_len < 14u || frame_len > limit)
		return VS_VSP_ERR_FRAME_LEN;
	if (lso) {
		if (meta->mss == 0)
			return VS_VSP_ERR_LSO_MSS;
		if (meta->l4_offset < l3_min || (uint32_t)meta->l4_offset + 20u > frame_len)
			return VS_VSP_ERR_LSO_INVALID;
	}
	if (meta->flags & (VS_VSP_TXF_TCP_CSUM | VS_VSP_TXF_UDP_CSUM)) {
		uint32_t l4_min = (meta->flags & VS_VSP_TXF_TCP_CSUM) ? 20u : 8u;

		if (meta->l4_offset < l3_min || (uint32_t)meta->l4_offset + l4_min > frame_len)
			return VS_VSP_ERR_CSUM_INVALID;
	}
	if ((meta->flags & VS_VSP_TXF_IP_CSUM) && frame_len < 14u + 20u)
		return VS_VSP_ERR_CSUM_INVALID;
	return VS_VSP_ERR_NONE;
}

/*
 * The headers of an LSO frame against its LSO request (OpenVMM #3275, facts 7.6): 'h' is a
 * private copy of the frame's first 'hlen' bytes (hlen >= l4_offset + 20, checked by
 * vs_rndis_meta_check). Ethernet (optionally one 802.1Q tag) carrying the IP version the PPI
 * names; IPv4: header length exactly up to the TCP offset, protocol TCP, not a fragment; IPv6:
 * TCP right after the fixed header, or extension headers before it; TCP data offset >= 5 with the
 * whole TCP header inside the copy and a payload after it; the IP packet within the advertised
 * LSO size; segments (MSS + headers) no larger than the MTU. 'ndis_mtu' is MTU + 14.
 */
enum vs_vsp_err vs_rndis_lso_check(const struct vs_vsp_frame *meta, const uint8_t *h,
	uint32_t hlen, uint32_t frame_len, uint32_t ndis_mtu)
{
	uint32_t l2 = 14, et, l4 = meta->l4_offset, thl;

	if (hlen < 18u)
		return VS_VSP_ERR_LSO_HEADERS;
	et = (uint32_t)h[12] << 8 | h[13];
	if (et == 0x8100u) {
		l2 = 18;
		et = (uint32_t)h[16] << 8 | h[17];
	}
	if (meta->flags & VS_VSP_TXF_IPV4) {
		if (et != 0x0800u || l2 + 20u > hlen || (h[l2] >> 4) != 4 ||
			l2 + (h[l2] & 0xfu) * 4u != l4 || h[l2 + 9] != 6 ||
			((h[l2 + 6] & 0x3fu) | h[l2 + 7]) != 0)
			return VS_VSP_ERR_LSO_HEADERS;
	} else {
		if (et != 0x86ddu || l2 + 40u > hlen || (h[l2] >> 4) != 6 || l4 < l2 + 40u ||
			(l4 == l2 + 40u && h[l2 + 6] != 6))
			return VS_VSP_ERR_LSO_HEADERS;
	}
	if (l4 + 20u > hlen)
		return VS_VSP_ERR_LSO_HEADERS;
	thl = (h[l4 + 12] >> 4) * 4u;
	if (thl < 20u || l4 + thl > hlen || l4 + thl >= frame_len)
		return VS_VSP_ERR_LSO_HEADERS;
	if (frame_len - l2 > VS_VSP_LSO_MAX_SIZE)
		return VS_VSP_ERR_LSO_SIZE;
	if (meta->mss > ndis_mtu - 14u - (l4 - l2) - thl)
		return VS_VSP_ERR_LSO_MSS;
	return VS_VSP_ERR_NONE;
}

/* The offloads a frame asks for must be ones the guest enabled (VS_VSP_EN_*). */
static bool offloads_enabled(const struct vs_vsp_frame *m, uint32_t en)
{
	bool v6 = m->flags & VS_VSP_TXF_IPV6;

	if ((m->flags & VS_VSP_TXF_LSO) && !(en & (v6 ? VS_VSP_EN_LSO6 : VS_VSP_EN_LSO4)))
		return false;
	if ((m->flags & VS_VSP_TXF_TCP_CSUM) && !(en & (v6 ? VS_VSP_EN_TX_TCP6 : VS_VSP_EN_TX_TCP4)))
		return false;
	if ((m->flags & VS_VSP_TXF_UDP_CSUM) && !(en & (v6 ? VS_VSP_EN_TX_UDP6 : VS_VSP_EN_TX_UDP4)))
		return false;
	return true;
}

/* One PACKET message at 'off' in the stream: validate, then hand the frame to the switch. */
enum vs_vsp_err vs_rndis_data(struct vs_vsp *vsp, const struct vs_stream *s, uint32_t off,
	uint32_t msg_len)
{
	uint8_t hdr[sizeof(struct rndis_packet)];
	uint8_t ppi[VS_VSP_PPI_MAX];
	struct vs_vsp_frame meta = {0};
	struct vs_rndis_pkt_hdr ph;
	enum vs_vsp_err e;
	bool tagged = false;
	int ret;

	if (vsp->rndis != VS_RNDIS_INITIALIZED)
		return VS_VSP_ERR_RNDIS_NOT_INIT; /* data before INITIALIZE or after HALT */
	if (msg_len < sizeof(hdr))
		return VS_VSP_ERR_RNDIS_MSG_LEN;
	vs_stream_copy(s, off, hdr, sizeof(hdr));
	e = vs_rndis_pkt_parse(hdr, msg_len, &ph);
	if (e)
		return e;
	if (ph.ppi_len) {
		vs_stream_copy(s, off + ph.ppi_off, ppi, ph.ppi_len);
		e = vs_rndis_ppi_parse(ppi, ph.ppi_len, &meta);
		if (e)
			return e;
	}
	if (ph.data_len >= 14) {
		uint8_t et[2];

		vs_stream_copy(s, off + ph.data_off + 12, et, sizeof(et));
		tagged = (et[0] == 0x81 && et[1] == 0x00) || (et[0] == 0x88 && et[1] == 0xa8);
	}
	e = vs_rndis_meta_check(&meta, ph.data_len, vsp->ndis_mtu, tagged);
	if (e)
		return e;
	if (!offloads_enabled(&meta, vsp->offloads))
		return VS_VSP_ERR_OFFLOAD_NOT_ENABLED;
	if (meta.flags & VS_VSP_TXF_LSO) {
		uint8_t h[VS_VSP_LSO_HDR_MAX];
		uint32_t hlen = ph.data_len < sizeof(h) ? ph.data_len : (uint32_t)sizeof(h);

		vs_stream_copy(s, off + ph.data_off, h, hlen);
		e = vs_rndis_lso_check(&meta, h, hlen, ph.data_len, vsp->ndis_mtu);
		if (e)
			return e;
	}
	if (vs_stream_slice(s, off + ph.data_off, ph.data_len, vsp->frame_segs, VS_VSP_MAX_SEGS,
		    &meta.n_segs) < 0)
		return VS_VSP_ERR_PKT_OFFSETS;
	meta.segs = vsp->frame_segs;
	meta.len = ph.data_len;
	ret = vsp->ops->deliver(vsp->ctx, &meta);
	if (ret < 0) {
		vsp->stats.drop[VS_VSP_DROP_FROM_GUEST_DELIVER]++;
		return VS_VSP_ERR_NONE; /* the guest did nothing wrong */
	}
	vsp->stats.cnt[VS_VSP_CNT_FROM_GUEST_PACKETS]++;
	vsp->stats.cnt[VS_VSP_CNT_FROM_GUEST_BYTES] += ph.data_len;
	vsp->stats.chan[vsp->cur_chan].from_guest_packets++;
	vsp->stats.chan[vsp->cur_chan].from_guest_bytes += ph.data_len;
	if (meta.flags & VS_VSP_TXF_LSO)
		vsp->stats.cnt[VS_VSP_CNT_FROM_GUEST_LSO]++;
	if (meta.flags & (VS_VSP_TXF_TCP_CSUM | VS_VSP_TXF_UDP_CSUM | VS_VSP_TXF_IP_CSUM))
		vsp->stats.cnt[VS_VSP_CNT_FROM_GUEST_CSUM]++;
	return VS_VSP_ERR_NONE;
}
