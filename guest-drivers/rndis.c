/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RNDIS messages the guest builds and the host answers it accepts (facts 7). Parsing works on a
 * private copy, and every offset and length is checked against msg_len, itself checked against
 * the bytes actually available.
 */
#include "internal.h"

#include <errno.h>

static int rndis_hdr(uint8_t *buf, size_t size, uint32_t type, uint32_t len)
{
	if (size < len)
		return -EMSGSIZE;
	memset(buf, 0, len);
	gd_put32(buf, type);
	gd_put32(buf + 4, len);
	return (int)len;
}

int gd_rndis_build_init(uint8_t *buf, size_t size, uint32_t req_id)
{
	int ret = rndis_hdr(buf, size, RNDIS_MSG_INIT, 24);

	if (ret < 0)
		return ret;
	gd_put32(buf + 8, req_id);
	gd_put32(buf + 12, 1); /* major */
	gd_put32(buf + 16, 0); /* minor */
	gd_put32(buf + 20, GD_RNDIS_MAX_XFER);
	return ret;
}

/* QUERY and SET share a layout: 28 bytes, then the information buffer at offset 20 from
 * byte 8 (facts 7.2). */
static int rndis_build_oid(uint8_t *buf, size_t size, uint32_t type, uint32_t req_id,
	uint32_t oid, const void *in, uint32_t in_len)
{
	int ret;

	if (in_len > GD_RNDIS_MAX_XFER)
		return -EMSGSIZE;
	ret = rndis_hdr(buf, size, type, 28 + in_len);
	if (ret < 0)
		return ret;
	gd_put32(buf + 8, req_id);
	gd_put32(buf + 12, oid);
	gd_put32(buf + 16, in_len);
	gd_put32(buf + 20, 20);
	if (in_len)
		memcpy(buf + 28, in, in_len);
	return ret;
}

int gd_rndis_build_query(uint8_t *buf, size_t size, uint32_t req_id, uint32_t oid,
	const void *in, uint32_t in_len)
{
	return rndis_build_oid(buf, size, RNDIS_MSG_QUERY, req_id, oid, in, in_len);
}

int gd_rndis_build_set(uint8_t *buf, size_t size, uint32_t req_id, uint32_t oid,
	const void *data, uint32_t len)
{
	return rndis_build_oid(buf, size, RNDIS_MSG_SET, req_id, oid, data, len);
}

/* The Toeplitz key Linux and DPDK use by default (facts 7.5). */
static const uint8_t gd_rss_key[NDIS_RSS_KEY_SIZE] = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f,
	0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30,
	0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

int gd_rndis_rss_params(uint8_t *buf, size_t size, uint32_t n_channels)
{
	uint32_t i, tab = GD_RSS_TABLE_LEN * 4;
	uint32_t len = 40 + tab + NDIS_RSS_KEY_SIZE;

	if (size < len || n_channels == 0)
		return -EMSGSIZE;
	memset(buf, 0, len);
	buf[0] = NDIS_OBJTYPE_RSS_PARAMETERS;
	buf[1] = 2;
	buf[2] = 40;			/* header size (u16) */
	gd_put32(buf + 8, NDIS_RSS_HASH_INFO_LINUX);
	buf[12] = (uint8_t)tab;		/* table size in bytes (u16) */
	buf[13] = (uint8_t)(tab >> 8);
	gd_put32(buf + 16, 40);		/* table offset */
	buf[20] = NDIS_RSS_KEY_SIZE;	/* key size (u16) */
	gd_put32(buf + 24, 40 + tab);	/* key offset */
	for (i = 0; i < GD_RSS_TABLE_LEN; i++)
		gd_put32(buf + 40 + 4 * i, i % n_channels);
	memcpy(buf + 40 + tab, gd_rss_key, NDIS_RSS_KEY_SIZE);
	return (int)len;
}

int gd_rndis_build_halt(uint8_t *buf, size_t size, uint32_t req_id)
{
	int ret = rndis_hdr(buf, size, RNDIS_MSG_HALT, 12);

	if (ret >= 0)
		gd_put32(buf + 8, req_id);
	return ret;
}

void gd_rndis_build_packet_hdr(uint8_t hdr[44], uint32_t frame_len)
{
	memset(hdr, 0, 44);
	gd_put32(hdr, RNDIS_MSG_PACKET);
	gd_put32(hdr + 4, 44 + frame_len);
	gd_put32(hdr + 8, 36);	   /* data_offset, from byte 8: the frame follows the header */
	gd_put32(hdr + 12, frame_len);
	gd_put32(hdr + 28, 36);	   /* ppi_offset as Linux writes it, with ppi_len 0 */
}

/* 'off' (relative to byte 8) and 'n' describe a buffer inside a message of 'len' bytes. */
static bool rndis_inside(uint32_t len, uint32_t off, uint32_t n)
{
	uint64_t end = (uint64_t)RNDIS_HEADER_OFFSET + off + n;

	return end <= len;
}

static int rndis_parse_packet(const uint8_t *msg, uint32_t len, struct gd_rndis_msg *out)
{
	uint32_t off, n;

	if (len < 44)
		return -EPROTO;
	off = gd_get32(msg + 8);
	n = gd_get32(msg + 12);
	/* the frame lies after the fixed header and inside msg_len */
	if (off < 36 || n == 0 || !rndis_inside(len, off, n))
		return -EPROTO;
	out->data = msg + RNDIS_HEADER_OFFSET + off;
	out->data_len = n;
	return 0;
}

static int rndis_parse_query_c(const uint8_t *msg, uint32_t len, struct gd_rndis_msg *out)
{
	uint32_t n, off;

	if (len < 24)
		return -EPROTO;
	out->req_id = gd_get32(msg + 8);
	out->status = gd_get32(msg + 12);
	n = gd_get32(msg + 16);
	off = gd_get32(msg + 20);
	if (n == 0) {
		out->data = NULL;
		out->data_len = 0;
		return 0;
	}
	/* Linux: the information buffer starts after the fixed fields and ends inside msg_len */
	if (off < 16 || !rndis_inside(len, off, n))
		return -EPROTO;
	out->data = msg + RNDIS_HEADER_OFFSET + off;
	out->data_len = n;
	return 0;
}

static int rndis_parse_indicate(const uint8_t *msg, uint32_t len, struct gd_rndis_msg *out)
{
	uint32_t n, off;

	if (len < 20)
		return -EPROTO;
	out->status = gd_get32(msg + 8);
	n = gd_get32(msg + 12);
	off = gd_get32(msg + 16);
	if (n == 0)
		return 0;
	if (off < 12 || !rndis_inside(len, off, n))
		return -EPROTO;
	out->data = msg + RNDIS_HEADER_OFFSET + off;
	out->data_len = n;
	return 0;
}

int gd_rndis_parse(const uint8_t *msg, size_t avail, struct gd_rndis_msg *out)
{
	uint32_t len;

	memset(out, 0, sizeof(*out));
	if (avail < 8)
		return -EPROTO;
	out->type = gd_get32(msg);
	len = gd_get32(msg + 4);
	if (len < 8 || len > avail)
		return -EPROTO;
	out->len = len;
	switch (out->type) {
	case RNDIS_MSG_PACKET:
		return rndis_parse_packet(msg, len, out);
	case RNDIS_MSG_INIT_C:
		if (len < 52 || len > GD_RNDIS_RESP_MAX)
			return -EPROTO;
		out->req_id = gd_get32(msg + 8);
		out->status = gd_get32(msg + 12);
		out->max_pkt_per_msg = gd_get32(msg + 32);
		out->pkt_align_factor = gd_get32(msg + 40);
		return 0;
	case RNDIS_MSG_QUERY_C:
		if (len > GD_RNDIS_RESP_MAX)
			return -EPROTO;
		return rndis_parse_query_c(msg, len, out);
	case RNDIS_MSG_SET_C:
		if (len < 16 || len > GD_RNDIS_RESP_MAX)
			return -EPROTO;
		out->req_id = gd_get32(msg + 8);
		out->status = gd_get32(msg + 12);
		return 0;
	case RNDIS_MSG_INDICATE:
		return rndis_parse_indicate(msg, len, out);
	default:
		return -EOPNOTSUPP;
	}
}

int gd_ndis_offload_check(const uint8_t *p, size_t len, struct ndis_offload *out)
{
	struct ndis_obj_header h;

	memset(out, 0, sizeof(*out));
	if (len < sizeof(h) || len > sizeof(*out))
		return -EIO;
	memcpy(&h, p, sizeof(h));
	/* Linux's checks (facts 7.4) */
	if (h.type != NDIS_OBJTYPE_OFFLOAD || h.revision < 1 || h.size < NDIS_OFFLOAD_SIZE_REV1 ||
		h.size > len)
		return -EIO;
	memcpy(out, p, len);
	return 0;
}

size_t gd_ndis_offload_params(const struct ndis_offload *caps, uint32_t nvsp_version,
	uint32_t want, struct ndis_offload_params *out, uint32_t *enabled)
{
	size_t size = nvsp_version >= NVSP_VERSION_5 ? NDIS_OFFLOAD_PARAMS_SIZE :
						       NDIS_OFFLOAD_PARAMS_SIZE_V1;
	const uint32_t tcp4 = NDIS_TXCSUM_CAP_TCP4 | NDIS_TXCSUM_CAP_TCP4_OPTIONS;
	const uint32_t tcp6 = NDIS_TXCSUM_CAP_TCP6 | NDIS_TXCSUM_CAP_TCP6_OPTIONS |
			      NDIS_TXCSUM_CAP_IP6_EXT;
	const uint32_t opts6 = NDIS_LSOV2_CAP_IP6_EXT | NDIS_LSOV2_CAP_TCP6_OPTIONS;
	bool v5 = nvsp_version >= NVSP_VERSION_5;
	uint32_t en = 0;

	memset(out, 0, sizeof(*out));
	out->header.type = NDIS_OBJTYPE_DEFAULT;
	out->header.revision = 3;
	out->header.size = (uint16_t)size;
	/*
	 * Linux's rules (facts 7.4 rndis_netdev_set_hwcaps): the IPv4 header checksum is always
	 * off; TCP checksums (TX + RX) when the host offers TCP and TCP options; LSOv2 and UDP on
	 * top of them; RSC when both families are offered. What the host offers and we do not
	 * 'want' is turned off explicitly, what it does not offer is "no change".
	 */
	out->ip_v4_csum = NDIS_OFFLOAD_PARAM_CSUM_OFF;
	if ((caps->ip4_tx_caps & tcp4) == tcp4 && (want & GD_OL_TX_TCP4)) {
		out->tcp_ip_v4_csum = NDIS_OFFLOAD_PARAM_CSUM_TXRX;
		en |= GD_OL_TX_TCP4 | GD_OL_RX_CSUM;
		if ((caps->lsov2_ip4_encap & NDIS_OFFLOAD_ENCAP_8023) && (want & GD_OL_LSO4)) {
			out->lso_v2_ipv4 = NDIS_OFFLOAD_PARAM_ON;
			en |= GD_OL_LSO4;
		}
		if (v5 && (caps->ip4_tx_caps & NDIS_TXCSUM_CAP_UDP4) && (want & GD_OL_TX_UDP4)) {
			out->udp_ip_v4_csum = NDIS_OFFLOAD_PARAM_CSUM_TXRX;
			en |= GD_OL_TX_UDP4;
		}
	}
	if ((caps->ip6_tx_caps & tcp6) == tcp6 && (want & GD_OL_TX_TCP6)) {
		out->tcp_ip_v6_csum = NDIS_OFFLOAD_PARAM_CSUM_TXRX;
		en |= GD_OL_TX_TCP6 | GD_OL_RX_CSUM;
		if ((caps->lsov2_ip6_encap & NDIS_OFFLOAD_ENCAP_8023) &&
			(caps->lsov2_ip6_opts & opts6) == opts6 && (want & GD_OL_LSO6)) {
			out->lso_v2_ipv6 = NDIS_OFFLOAD_PARAM_ON;
			en |= GD_OL_LSO6;
		}
		if (v5 && (caps->ip6_tx_caps & NDIS_TXCSUM_CAP_UDP6) && (want & GD_OL_TX_UDP6)) {
			out->udp_ip_v6_csum = NDIS_OFFLOAD_PARAM_CSUM_TXRX;
			en |= GD_OL_TX_UDP6;
		}
	}
	if (v5 && caps->rsc_ip4 && caps->rsc_ip6 && (want & GD_OL_RSC)) {
		out->rsc_ip_v4 = NDIS_OFFLOAD_PARAM_ON;
		out->rsc_ip_v6 = NDIS_OFFLOAD_PARAM_ON;
		en |= GD_OL_RSC;
	}
	/* offered but not wanted: say "off" */
	if (!out->tcp_ip_v4_csum && (caps->ip4_tx_caps & tcp4))
		out->tcp_ip_v4_csum = NDIS_OFFLOAD_PARAM_CSUM_OFF;
	if (!out->tcp_ip_v6_csum && (caps->ip6_tx_caps & tcp6))
		out->tcp_ip_v6_csum = NDIS_OFFLOAD_PARAM_CSUM_OFF;
	if (v5 && !out->udp_ip_v4_csum && (caps->ip4_tx_caps & NDIS_TXCSUM_CAP_UDP4))
		out->udp_ip_v4_csum = NDIS_OFFLOAD_PARAM_CSUM_OFF;
	if (v5 && !out->udp_ip_v6_csum && (caps->ip6_tx_caps & NDIS_TXCSUM_CAP_UDP6))
		out->udp_ip_v6_csum = NDIS_OFFLOAD_PARAM_CSUM_OFF;
	if (!out->lso_v2_ipv4 && (caps->lsov2_ip4_encap & NDIS_OFFLOAD_ENCAP_8023))
		out->lso_v2_ipv4 = NDIS_OFFLOAD_PARAM_OFF;
	if (!out->lso_v2_ipv6 && (caps->lsov2_ip6_encap & NDIS_OFFLOAD_ENCAP_8023))
		out->lso_v2_ipv6 = NDIS_OFFLOAD_PARAM_OFF;
	/* RSC fields exist only in the 28-byte object */
	if (v5 && !out->rsc_ip_v4 && caps->rsc_ip4 && caps->rsc_ip6) {
		out->rsc_ip_v4 = NDIS_OFFLOAD_PARAM_OFF;
		out->rsc_ip_v6 = NDIS_OFFLOAD_PARAM_OFF;
	}
	if (enabled)
		*enabled = en;
	return size;
}
