/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Offloads between the partition's kernel (virtio_net_hdr on the tap, IFF_VNET_HDR) and the host
 * (RNDIS per-packet info, facts 7.6): a GSO frame becomes an LSOv2 PPI, a partial checksum a
 * checksum PPI (or is completed here when the host did not take it), and received checksum-valid
 * or coalesced (RSC) frames become a virtio_net_hdr the kernel accepts. Pure functions on caller
 * memory; the frame bytes are the partition's own (read from its tap), not host-shared memory.
 */
#include "internal.h"

#include <errno.h>

/* Offsets of the network and transport headers of an Ethernet frame (one 802.1Q tag allowed). */
struct gd_hdrs {
	uint32_t l2, l4;  /* header offsets */
	bool v6;
	uint8_t proto;	  /* IPPROTO_TCP / IPPROTO_UDP, 0 otherwise */
	uint32_t thl;	  /* TCP header length (0 if not TCP) */
};

static int parse_hdrs(const uint8_t *f, size_t len, struct gd_hdrs *h)
{
	uint32_t et;

	memset(h, 0, sizeof(*h));
	h->l2 = 14;
	if (len < 14)
		return -EINVAL;
	et = gd_get16(f + 12);
	et = (et >> 8 | et << 8) & 0xffffu;
	if (et == 0x8100u) {
		if (len < 18)
			return -EINVAL;
		h->l2 = 18;
		et = (uint32_t)f[16] << 8 | f[17];
	}
	if (et == 0x0800u) {
		if (len < h->l2 + 20u || (f[h->l2] >> 4) != 4 || (f[h->l2] & 0xfu) < 5)
			return -EINVAL;
		h->l4 = h->l2 + (f[h->l2] & 0xfu) * 4u;
		h->proto = f[h->l2 + 9];
	} else if (et == 0x86ddu) {
		if (len < h->l2 + 40u || (f[h->l2] >> 4) != 6)
			return -EINVAL;
		h->v6 = true;
		h->l4 = h->l2 + 40u;
		h->proto = f[h->l2 + 6];
	} else {
		return -EINVAL;
	}
	if (h->proto == 6) {
		if (len < h->l4 + 20u)
			return -EINVAL;
		h->thl = (f[h->l4 + 12] >> 4) * 4u;
		if (h->thl < 20u || len < h->l4 + h->thl)
			return -EINVAL;
	}
	return 0;
}

static uint32_t put_ppi(uint8_t *p, uint32_t type, uint32_t value)
{
	gd_put32(p, 16);
	gd_put32(p + 4, type);
	gd_put32(p + 8, 12);
	gd_put32(p + 12, value);
	return 16;
}

/* One's-complement sum of 'n' bytes (big-endian 16-bit words) added to 'sum'. */
static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffffu) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Complete the checksum the kernel left partial: one's complement of the sum from csum_start to
 * the end (the field already holds the pseudo-header sum), stored at csum_start + csum_offset. */
int gd_ol_csum_sw(uint8_t *f, size_t len, uint32_t start, uint32_t offset)
{
	uint16_t c;

	if (start >= len || (uint64_t)start + offset + 2 > len)
		return -EINVAL;
	c = csum_fold(csum_add(0, f + start, len - start));
	if (c == 0 && offset == 6)
		c = 0xffff; /* UDP: 0 means "no checksum" */
	f[start + offset] = (uint8_t)(c >> 8);
	f[start + offset + 1] = (uint8_t)c;
	return 0;
}

int gd_ol_tx_ppi(const struct virtio_net_hdr *vh, uint8_t *f, size_t len, uint32_t en,
	uint8_t *ppi, uint32_t *ppi_len)
{
	struct gd_hdrs h;
	uint8_t gso = vh->gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;
	bool tcp, partial = vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM;
	uint32_t v;

	*ppi_len = 0;
	if (gso == VIRTIO_NET_HDR_GSO_NONE && !partial)
		return 0;
	if (parse_hdrs(f, len, &h))
		return -EINVAL;
	if (gso == VIRTIO_NET_HDR_GSO_TCPV4 || gso == VIRTIO_NET_HDR_GSO_TCPV6) {
		/* LSOv2 (facts 7.6): MSS, TCP header offset, type v2, IP version */
		if (h.proto != 6 || h.v6 != (gso == VIRTIO_NET_HDR_GSO_TCPV6) || vh->gso_size == 0 ||
			!(en & (h.v6 ? GD_OL_LSO6 : GD_OL_LSO4)) || h.l4 > RNDIS_LSO_TCP_OFFSET_MASK)
			return -EOPNOTSUPP;
		v = (vh->gso_size & RNDIS_LSO_MSS_MASK) | h.l4 << RNDIS_LSO_TCP_OFFSET_SHIFT |
		    RNDIS_LSO_TYPE_V2 | (h.v6 ? RNDIS_LSO_IPV6 : 0);
		*ppi_len = put_ppi(ppi, RNDIS_PPI_LSO, v);
		return 0;
	}
	if (gso != VIRTIO_NET_HDR_GSO_NONE)
		return -EOPNOTSUPP; /* UDP fragmentation offload: never enabled on the tap */
	/* checksum only: the host completes it if the guest enabled that TX offload, else we do */
	tcp = h.proto == 6 && vh->csum_start == h.l4 && vh->csum_offset == 16;
	if (!tcp && !(h.proto == 17 && vh->csum_start == h.l4 && vh->csum_offset == 6))
		return gd_ol_csum_sw(f, len, vh->csum_start, vh->csum_offset);
	if (!(en & (tcp ? (h.v6 ? GD_OL_TX_TCP6 : GD_OL_TX_TCP4) :
			  (h.v6 ? GD_OL_TX_UDP6 : GD_OL_TX_UDP4))) ||
		h.l4 > RNDIS_CSUM_TX_L4_OFFSET_MASK)
		return gd_ol_csum_sw(f, len, vh->csum_start, vh->csum_offset);
	v = (h.v6 ? RNDIS_CSUM_TX_IPV6 : RNDIS_CSUM_TX_IPV4) |
	    (tcp ? RNDIS_CSUM_TX_TCP : RNDIS_CSUM_TX_UDP) | h.l4 << RNDIS_CSUM_TX_L4_OFFSET_SHIFT;
	*ppi_len = put_ppi(ppi, RNDIS_PPI_TCPIP_CHKSUM, v);
	return 0;
}

/* Folded pseudo-header sum (not inverted) of the TCP/UDP packet at h->l4: what a partial
 * checksum field holds (CHECKSUM_PARTIAL). */
static uint16_t pseudo_sum(const uint8_t *f, const struct gd_hdrs *h, uint32_t l4_len)
{
	uint32_t sum = 0;

	if (h->v6)
		sum = csum_add(sum, f + h->l2 + 8, 32);
	else
		sum = csum_add(sum, f + h->l2 + 12, 8);
	sum += h->proto + (l4_len & 0xffffu) + (l4_len >> 16);
	while (sum >> 16)
		sum = (sum & 0xffffu) + (sum >> 16);
	return (uint16_t)sum;
}

int gd_ol_rx_vnet(const uint8_t *f, size_t len, uint32_t csum_info, uint32_t mtu,
	struct virtio_net_hdr *vh, uint8_t *hdr, uint32_t *hdr_len)
{
	struct gd_hdrs h;
	uint32_t ip_len, l4_len, hl;
	bool ok = csum_info & (RNDIS_CSUM_RX_TCP_OK | RNDIS_CSUM_RX_UDP_OK);
	uint16_t ps;

	memset(vh, 0, sizeof(*vh));
	*hdr_len = 0;
	if (!ok && len <= (size_t)mtu + 18u)
		return 0;
	if (parse_hdrs(f, len, &h) || (h.proto != 6 && h.proto != 17))
		return ok && len <= (size_t)mtu + 18u ? 0 : -EINVAL; /* the kernel checks it itself */
	hl = h.proto == 6 ? h.l4 + h.thl : h.l4 + 8u;
	if (hl > len || hl > GD_OL_HDR_MAX)
		return -EINVAL;
	/* L4 length from the IP length field, the frame (minus Ethernet padding) otherwise */
	ip_len = h.v6 ? (uint32_t)f[h.l2 + 4] << 8 | f[h.l2 + 5] :
			(uint32_t)f[h.l2 + 2] << 8 | f[h.l2 + 3];
	l4_len = (uint32_t)len - h.l4;
	if (h.v6 && ip_len && h.l4 + ip_len - 40u <= len && ip_len >= 40u)
		l4_len = ip_len - (h.l4 - h.l2 - 40u);
	else if (!h.v6 && ip_len && h.l2 + ip_len <= len && ip_len >= h.l4 - h.l2)
		l4_len = ip_len - (h.l4 - h.l2);
	/*
	 * The host vouched for the checksum (or left it to us as a partial one): hand the frame over
	 * as CHECKSUM_PARTIAL with a correct pseudo-header sum in the field, which the kernel takes
	 * as valid on receive and which stays right if it forwards or resegments the frame (tun
	 * ignores DATA_VALID). Headers go from a private copy.
	 */
	memcpy(hdr, f, hl);
	ps = pseudo_sum(f, &h, l4_len);
	vh->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	vh->csum_start = (uint16_t)h.l4;
	vh->csum_offset = h.proto == 6 ? 16 : 6;
	hdr[h.l4 + vh->csum_offset] = (uint8_t)(ps >> 8);
	hdr[h.l4 + vh->csum_offset + 1] = (uint8_t)ps;
	*hdr_len = hl;
	if (len <= (size_t)mtu + 18u)
		return 0;
	/* A coalesced TCP segment (RSC, longer than the MTU): a GSO frame for the kernel, whose
	 * segments are at most what the MTU allows. */
	if (h.proto != 6 || mtu <= (h.l4 - h.l2) + h.thl)
		return -EINVAL;
	vh->gso_type = h.v6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4;
	vh->gso_size = (uint16_t)(mtu - (h.l4 - h.l2) - h.thl);
	vh->hdr_len = (uint16_t)hl;
	return 0;
}

uint32_t gd_ol_split_payload(const uint8_t *f, size_t len, uint16_t mss, uint32_t max_size)
{
	struct gd_hdrs h;
	uint32_t hdrs, room;

	if (parse_hdrs(f, len, &h) || h.proto != 6 || mss == 0)
		return 0;
	hdrs = h.l4 + h.thl;
	if (len - h.l2 <= max_size)
		return 0;
	room = max_size - (hdrs - h.l2);
	return room / mss * mss;
}

/* IPv4 total length / IPv6 payload length of a frame of 'len' bytes. */
static void set_ip_len(uint8_t *f, const struct gd_hdrs *h, size_t len)
{
	uint32_t v = (uint32_t)len - h->l2 - (h->v6 ? 40u : 0u);
	uint32_t off = h->l2 + (h->v6 ? 4u : 2u);

	f[off] = (uint8_t)(v >> 8);
	f[off + 1] = (uint8_t)v;
}

int gd_ol_split(uint8_t *f, size_t len, uint32_t payload, uint16_t mss, uint8_t *out,
	size_t *out_len)
{
	struct gd_hdrs h;
	uint32_t hdrs, seq, tail;
	uint8_t *th;

	if (parse_hdrs(f, len, &h) || h.proto != 6)
		return -EINVAL;
	hdrs = h.l4 + h.thl;
	if (payload == 0 || hdrs + (size_t)payload >= len)
		return -EINVAL;
	tail = (uint32_t)(len - hdrs - payload);
	/* the second part: headers + the payload after the first 'payload' bytes */
	memcpy(out, f, hdrs);
	memcpy(out + hdrs, f + hdrs + payload, tail);
	*out_len = hdrs + tail;
	th = out + h.l4;
	seq = (uint32_t)th[4] << 24 | (uint32_t)th[5] << 16 | (uint32_t)th[6] << 8 | th[7];
	seq += payload;
	th[4] = (uint8_t)(seq >> 24);
	th[5] = (uint8_t)(seq >> 16);
	th[6] = (uint8_t)(seq >> 8);
	th[7] = (uint8_t)seq;
	th[13] &= (uint8_t)~0x80u; /* CWR only on the first part */
	if (!h.v6 && mss) {
		/* IPv4 ID: the segments of the first part used id .. id + payload / mss - 1 */
		uint16_t id = (uint16_t)((out[h.l2 + 4] << 8 | out[h.l2 + 5]) + payload / mss);

		out[h.l2 + 4] = (uint8_t)(id >> 8);
		out[h.l2 + 5] = (uint8_t)id;
	}
	/* FIN and PSH only on the last part */
	f[h.l4 + 13] &= (uint8_t)~0x09u;
	/* each part's IP length says where it ends (the host checks it against the frame) */
	set_ip_len(f, &h, hdrs + payload);
	set_ip_len(out, &h, *out_len);
	return (int)(hdrs + payload);
}
