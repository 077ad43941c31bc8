/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NVSP and RNDIS requests byte-checked against hyperv-facts.md 6.1/7.2 tables, and the driver's
 * handling of hostile host answers (receive ranges, RNDIS lengths and offsets, completions):
 * inbound packets are written by hand at the facts 5.2 offsets, and the completions the driver
 * writes back are read from its outbound ring as the host would read them.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>
#include <sys/eventfd.h>
#include <syslog.h>
#include <unistd.h>

#include "guest.h"

#define RING_SIZE (4096u * 4u)
#define RECV_SIZE (64u * 1024u)
#define SUB_SIZE 1806u

static void put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

/* ------------------------------------------------------------------------- request bytes */

static void nvsp_init_bytes(void **state)
{
	static const uint8_t want[40] = {1, 0, 0, 0, 0x01, 0x00, 0x06, 0x00, 0x01, 0x00, 0x06, 0x00};
	uint8_t m[40];

	memset(m, 0xee, sizeof(m));
	gd_nvsp_build_init(m, 0x60001);
	assert_memory_equal(m, want, 40);
}

static void nvsp_ndis_config_bytes(void **state)
{
	static const uint8_t want[40] = {125, 0, 0, 0, 0xea, 0x05, 0, 0, 0, 0, 0, 0, 0xac};
	uint8_t m[40];

	gd_nvsp_build_ndis_config(m, 1514, gd_nvsp_ndis_caps(0x60001));
	assert_memory_equal(m, want, 40);
	assert_int_equal(gd_nvsp_ndis_caps(0x60000), 0x2c);
	assert_int_equal(gd_nvsp_ndis_caps(0x50000), 0x2c);
	assert_int_equal(gd_nvsp_ndis_caps(0x40000), 0x08);
	assert_int_equal(gd_nvsp_ndis_caps(0x30002), 0x08);
}

static void nvsp_other_bytes(void **state)
{
	static const uint8_t ver[40] = {100, 0, 0, 0, 6, 0, 0, 0, 30, 0, 0, 0};
	static const uint8_t rbuf[40] = {101, 0, 0, 0, 0x10, 0x1e, 0x0e, 0, 0xfe, 0xca};
	static const uint8_t sbuf[40] = {104, 0, 0, 0, 0x11, 0x1e, 0x0e, 0, 0, 0};
	static const uint8_t revoke[40] = {103, 0, 0, 0, 0xfe, 0xca};
	static const uint8_t pkt[40] = {107, 0, 0, 0, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff};
	static const uint8_t comp[40] = {108, 0, 0, 0, 2};
	uint8_t m[40];

	gd_nvsp_build_ndis_version(m, 6, 30);
	assert_memory_equal(m, ver, 40);
	gd_nvsp_build_send_buf(m, 101, 0xe1e10, 0xcafe);
	assert_memory_equal(m, rbuf, 40);
	gd_nvsp_build_send_buf(m, 104, 0xe1e11, 0);
	assert_memory_equal(m, sbuf, 40);
	gd_nvsp_build_revoke_buf(m, 103, 0xcafe);
	assert_memory_equal(m, revoke, 40);
	gd_nvsp_build_rndis_pkt(m, 1, 0xffffffff, 0);
	assert_memory_equal(m, pkt, 40);
	gd_nvsp_build_rndis_comp(m, 2);
	assert_memory_equal(m, comp, 40);
}

/* SUBCHANNEL {133, op 1 allocate @4, count @8} and its completion {133, status @4, count @8}
 * (facts 6.1): status must be success and the count at most what was asked. */
static void subchannel_request_and_completion(void **state)
{
	static const uint8_t req[40] = {0x85, 0, 0, 0, 1, 0, 0, 0, 3, 0, 0, 0};
	uint8_t m[40] = {0x85, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0};
	uint32_t n = 99;

	gd_nvsp_build_subchannel(m + 0, 3);
	assert_memory_equal(m, req, 40);
	memset(m, 0, sizeof(m));
	m[0] = 0x85;
	m[4] = 1;
	m[8] = 2;
	assert_int_equal(gd_nvsp_check_subchannel_comp(m, 40, 3, &n), 0);
	assert_int_equal(n, 2);
	m[8] = 3;
	assert_int_equal(gd_nvsp_check_subchannel_comp(m, 40, 3, &n), 0);
	assert_int_equal(n, 3);
	m[8] = 4; /* more than asked */
	assert_int_equal(gd_nvsp_check_subchannel_comp(m, 40, 3, &n), -EIO);
	m[8] = 1;
	m[4] = 2; /* failure status */
	assert_int_equal(gd_nvsp_check_subchannel_comp(m, 40, 3, &n), -EIO);
	m[4] = 1;
	assert_int_equal(gd_nvsp_check_subchannel_comp(m, 11, 3, &n), -EPROTO);
	m[0] = 0x6c; /* another completion */
	assert_int_equal(gd_nvsp_check_subchannel_comp(m, 40, 3, &n), -EPROTO);
}

/* RECEIVE_SCALE_PARAMETERS as DPDK and Linux send it (facts 7.5, dpdk-netvsc-guest.md 6.2):
 * 592 bytes, header {0x89, 2, 40}, hash info 0x1701 @8, table 512 bytes @12 at offset 40 @16,
 * key 40 bytes @20 at offset 552 @24, entries i % channels, Microsoft's default key. */
static void rss_params_bytes(void **state)
{
	static const uint8_t hdr[40] = {0x89, 2, 40, 0, 0, 0, 0, 0, 0x01, 0x17, 0, 0, 0x00, 0x02,
		0, 0, 40, 0, 0, 0, 40, 0, 0, 0, 0x28, 0x02, 0, 0};
	static const uint8_t key[40] = {0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67,
		0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4,
		0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac,
		0x01, 0xfa};
	uint8_t b[600];
	uint32_t i, e;

	assert_int_equal(gd_rndis_rss_params(b, sizeof(b), 3), 592);
	assert_memory_equal(b, hdr, 40);
	for (i = 0; i < 128; i++) {
		memcpy(&e, b + 40 + 4 * i, 4);
		assert_int_equal(e, i % 3);
	}
	assert_memory_equal(b + 552, key, 40);
	assert_int_equal(gd_rndis_rss_params(b, 591, 3), -EMSGSIZE);
	assert_int_equal(gd_rndis_rss_params(b, sizeof(b), 0), -EMSGSIZE);
}

static void rndis_request_bytes(void **state)
{
	static const uint8_t init[24] = {2, 0, 0, 0, 24, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0,
		0, 0x00, 0x40, 0, 0};
	static const uint8_t query[28] = {4, 0, 0, 0, 28, 0, 0, 0, 3, 0, 0, 0, 0x01, 0x01, 0x01,
		0x01, 0, 0, 0, 0, 20, 0, 0, 0, 0, 0, 0, 0};
	static const uint8_t set[32] = {5, 0, 0, 0, 32, 0, 0, 0, 9, 0, 0, 0, 0x0e, 0x01, 0x01, 0,
		4, 0, 0, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0x0d, 0, 0, 0};
	static const uint8_t halt[12] = {3, 0, 0, 0, 12, 0, 0, 0, 7, 0, 0, 0};
	static const uint8_t pkt[44] = {1, 0, 0, 0, 0x2a, 0x06, 0, 0, 36, 0, 0, 0, 0xfe, 0x05, 0,
		0, [28] = 36};
	uint8_t buf[256], in[156] = {0xa7, 3, 156, 0};
	uint32_t filter = 0x0d;

	assert_int_equal(gd_rndis_build_init(buf, sizeof(buf), 1), 24);
	assert_memory_equal(buf, init, 24);
	assert_int_equal(gd_rndis_build_query(buf, sizeof(buf), 3, 0x01010101, NULL, 0), 28);
	assert_memory_equal(buf, query, 28);
	assert_int_equal(gd_rndis_build_set(buf, sizeof(buf), 9, 0x0001010e, &filter, 4), 32);
	assert_memory_equal(buf, set, 32);
	assert_int_equal(gd_rndis_build_halt(buf, sizeof(buf), 7), 12);
	assert_memory_equal(buf, halt, 12);
	/* hardware caps: the NDIS_OFFLOAD header as input, info_buflen 156 */
	assert_int_equal(gd_rndis_build_query(buf, sizeof(buf), 4, 0xfc01020d, in, 156), 184);
	assert_int_equal(get32(buf + 4), 184);
	assert_int_equal(get32(buf + 16), 156);
	assert_int_equal(get32(buf + 20), 20);
	assert_int_equal(buf[28], 0xa7);
	assert_int_equal(buf[29], 3);
	assert_int_equal(buf[30], 156);
	assert_int_equal(gd_rndis_build_query(buf, 27, 3, 1, NULL, 0), -EMSGSIZE);
	gd_rndis_build_packet_hdr(buf, 1534);
	assert_memory_equal(buf, pkt, 44);
}

static void offload_params_off_as_linux(void **state)
{
	struct ndis_offload caps = {0};
	struct ndis_offload_params p;
	uint8_t raw[28];

	caps.ip4_tx_caps = 0x54;
	caps.ip6_tx_caps = 0x55;
	caps.lsov2_ip4_encap = 2;
	caps.rsc_ip4 = caps.rsc_ip6 = 1;
	assert_int_equal(gd_ndis_offload_params(&caps, 0x60001, 0, &p, NULL), 28);
	memcpy(raw, &p, 28);
	assert_int_equal(raw[0], 0x80);
	assert_int_equal(raw[1], 3);
	assert_int_equal(raw[2], 28);
	assert_int_equal(raw[4], 1); /* ip_v4_csum off */
	assert_int_equal(raw[5], 1); /* tcp v4 off */
	assert_int_equal(raw[6], 1); /* udp v4 off */
	assert_int_equal(raw[11], 1); /* lso v2 ipv4 off */
	assert_int_equal(raw[12], 0); /* no LSOv6 offered: no change */
	assert_int_equal(raw[22], 1);
	assert_int_equal(raw[23], 1);
	assert_int_equal(gd_ndis_offload_params(&caps, 0x40000, 0, &p, NULL), 22);
	memcpy(raw, &p, 28);
	assert_int_equal(raw[2], 22);
	assert_int_equal(raw[6], 0); /* UDP fields zero before NVSP 5 */
}

/* The host offers everything (caps as our host answers them): Linux's values (facts 7.4). */
static void offload_params_all_as_linux(void **state)
{
	struct ndis_offload caps = {0};
	struct ndis_offload_params p;
	uint32_t en = 0;
	uint8_t raw[28];

	(void)state;
	caps.ip4_tx_caps = 0x54;
	caps.ip6_tx_caps = 0x55;
	caps.lsov2_ip4_encap = caps.lsov2_ip6_encap = 2;
	caps.lsov2_ip6_opts = 5;
	caps.rsc_ip4 = caps.rsc_ip6 = 1;
	assert_int_equal(gd_ndis_offload_params(&caps, 0x60001, 0xff, &p, &en), 28);
	memcpy(raw, &p, 28);
	assert_int_equal(raw[4], 1);  /* ip_v4_csum off */
	assert_int_equal(raw[5], 4);  /* tcp v4 TX+RX */
	assert_int_equal(raw[6], 4);  /* udp v4 */
	assert_int_equal(raw[7], 4);  /* tcp v6 */
	assert_int_equal(raw[8], 4);  /* udp v6 */
	assert_int_equal(raw[11], 2); /* LSOv2 v4 on */
	assert_int_equal(raw[12], 2); /* LSOv2 v6 on */
	assert_int_equal(raw[22], 2); /* RSC v4 on */
	assert_int_equal(raw[23], 2);
	assert_int_equal(en, 0xff);
	/* NVSP 4: 22 bytes, no UDP, no RSC */
	assert_int_equal(gd_ndis_offload_params(&caps, 0x40000, 0xff, &p, &en), 22);
	memcpy(raw, &p, 28);
	assert_int_equal(raw[6], 0);
	assert_int_equal(raw[22], 0);
	assert_int_equal(en, GD_OL_TX_TCP4 | GD_OL_TX_TCP6 | GD_OL_LSO4 | GD_OL_LSO6 | GD_OL_RX_CSUM);
	/* LSOv6 needs the IPv6 options 0x5 */
	caps.lsov2_ip6_opts = 1;
	gd_ndis_offload_params(&caps, 0x60001, 0xff, &p, &en);
	memcpy(raw, &p, 28);
	assert_int_equal(raw[12], 1);
	assert_int_equal(en & GD_OL_LSO6, 0);
}

/* Ethernet + IPv4 10.0.0.1 -> 10.0.0.2 (id 0x1234, total length 20 + 20 + payload) + TCP
 * (seq 1000, data offset 5, flags 'fl') + 'payload' bytes. */
static size_t tcp4_frame(uint8_t *f, uint32_t payload, uint8_t fl)
{
	static const uint8_t hdr[54] = {
		0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00,
		0x45, 0, 0, 0, 0x12, 0x34, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
		0x30, 0x39, 0x00, 0x50, 0, 0, 0x03, 0xe8, 0, 0, 0, 0, 0x50, 0, 0xff, 0xff, 0, 0, 0, 0};
	uint32_t i;

	memcpy(f, hdr, sizeof(hdr));
	f[16] = (uint8_t)((40 + payload) >> 8);
	f[17] = (uint8_t)(40 + payload);
	f[47] = fl;
	for (i = 0; i < payload; i++)
		f[54 + i] = (uint8_t)(i * 7 + 3);
	return 54 + payload;
}

/* One's-complement sum of a byte range, folded. */
static uint16_t ones_sum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* virtio_net_hdr from the tap -> RNDIS PPIs (facts 7.6 layouts). */
static void tx_ppis_from_vnet_hdr(void **state)
{
	/* LSOv2: MSS 1448 | TCP offset 34 << 20 | v2 (bit 30) = 0x422005a8 */
	static const uint8_t lso[16] = {0x10, 0, 0, 0, 0x02, 0, 0, 0, 0x0c, 0, 0, 0, 0xa8, 0x05,
		0x20, 0x42};
	/* checksum: IPv4 | TCP | L4 offset 34 << 16 = 0x00220005 */
	static const uint8_t csum[16] = {0x10, 0, 0, 0, 0, 0, 0, 0, 0x0c, 0, 0, 0, 0x05, 0, 0x22, 0};
	struct virtio_net_hdr vh = {0};
	uint8_t f[2000], ppi[16];
	uint32_t n = 99;
	size_t len = tcp4_frame(f, 1000, 0x18);

	(void)state;
	vh.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
	vh.gso_size = 1448;
	vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	vh.csum_start = 34;
	vh.csum_offset = 16;
	assert_int_equal(gd_ol_tx_ppi(&vh, f, len, 0xff, ppi, &n), 0);
	assert_int_equal(n, 16);
	assert_memory_equal(ppi, lso, 16);
	/* the host's LSO not enabled: the GSO frame cannot go */
	assert_int_equal(gd_ol_tx_ppi(&vh, f, len, 0xff & ~GD_OL_LSO4, ppi, &n), -EOPNOTSUPP);
	/* IPv6 GSO type on an IPv4 frame */
	vh.gso_type = VIRTIO_NET_HDR_GSO_TCPV6;
	assert_int_equal(gd_ol_tx_ppi(&vh, f, len, 0xff, ppi, &n), -EOPNOTSUPP);
	/* partial checksum only */
	vh.gso_type = VIRTIO_NET_HDR_GSO_NONE;
	vh.gso_size = 0;
	assert_int_equal(gd_ol_tx_ppi(&vh, f, len, 0xff, ppi, &n), 0);
	assert_int_equal(n, 16);
	assert_memory_equal(ppi, csum, 16);
	/* not enabled: completed here; the field held 0 (no pseudo-header), so the sum over the
	 * TCP segment including it is 0xffff */
	f[50] = f[51] = 0;
	assert_int_equal(gd_ol_tx_ppi(&vh, f, len, GD_OL_LSO4, ppi, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(ones_sum(f + 34, len - 34), 0xffff);
	/* nothing asked: no PPI, frame untouched */
	memset(&vh, 0, sizeof(vh));
	assert_int_equal(gd_ol_tx_ppi(&vh, f, len, 0xff, ppi, &n), 0);
	assert_int_equal(n, 0);
}

/* Received frames -> virtio_net_hdr: checksum-valid as CHECKSUM_PARTIAL with the pseudo-header
 * sum (10.0.0.1 + 10.0.0.2 + 6 + TCP length), a coalesced frame as TCP GSO. */
static void rx_vnet_hdr_from_ppis(void **state)
{
	static uint8_t f[20100];
	struct virtio_net_hdr vh;
	uint8_t hdr[GD_OL_HDR_MAX];
	uint32_t hl = 0;
	size_t len = tcp4_frame(f, 100, 0x10);

	(void)state;
	assert_int_equal(gd_ol_rx_vnet(f, len, 0x28, 1500, &vh, hdr, &hl), 0);
	assert_int_equal(vh.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	assert_int_equal(vh.csum_start, 34);
	assert_int_equal(vh.csum_offset, 16);
	assert_int_equal(vh.gso_type, VIRTIO_NET_HDR_GSO_NONE);
	assert_int_equal(hl, 54);
	/* 0x0a00 + 0x0001 + 0x0a00 + 0x0002 + 6 + 120 = 0x1481 */
	assert_int_equal(hdr[50], 0x14);
	assert_int_equal(hdr[51], 0x81);
	assert_int_equal(f[50], 0); /* the frame itself is not written */
	/* no checksum info, not longer than the MTU: nothing to say */
	assert_int_equal(gd_ol_rx_vnet(f, len, 0, 1500, &vh, hdr, &hl), 0);
	assert_int_equal(vh.flags, 0);
	assert_int_equal(hl, 0);
	/* coalesced: 20,000 bytes of payload at MTU 1500 -> GSO TCPv4, segments of 1460 */
	len = tcp4_frame(f, 20000, 0x10);
	assert_int_equal(gd_ol_rx_vnet(f, len, 0x28, 1500, &vh, hdr, &hl), 0);
	assert_int_equal(vh.gso_type, VIRTIO_NET_HDR_GSO_TCPV4);
	assert_int_equal(vh.gso_size, 1460);
	assert_int_equal(vh.hdr_len, 54);
	/* a long frame that is not TCP */
	f[23] = 1;
	assert_int_equal(gd_ol_rx_vnet(f, len, 0x28, 1500, &vh, hdr, &hl), -EINVAL);
}

/* A TSO frame longer than the host's LSO size goes as two: sequence numbers, IPv4 ID, IP
 * lengths, FIN/PSH on the last part only, CWR on the first only. */
static void tso_frame_split_for_host_limit(void **state)
{
	static uint8_t f[70000], out[70000];
	size_t len = tcp4_frame(f, 100, 0x80 | 0x18 | 0x01); /* CWR, PSH|ACK, FIN */
	size_t len2 = 0;
	uint32_t part;

	(void)state;
	/* IP packet 140 bytes, limit 100: 100 - 40 = 60 bytes of payload, 6 segments of 10 */
	part = gd_ol_split_payload(f, len, 10, 100);
	assert_int_equal(part, 60);
	assert_int_equal(gd_ol_split_payload(f, len, 10, 140), 0); /* fits */
	assert_int_equal(gd_ol_split(f, len, part, 10, out, &len2), 54 + 60);
	assert_int_equal(len2, 54 + 40);
	assert_int_equal(f[16] << 8 | f[17], 100);   /* first part's total length */
	assert_int_equal(out[16] << 8 | out[17], 80); /* second part's */
	assert_int_equal(out[18] << 8 | out[19], 0x1234 + 6);
	assert_int_equal(out[40] << 8 | out[41], 1000 + 60); /* seq low half: 0x03e8 + 60 */
	assert_int_equal(f[47], 0x80 | 0x10); /* first: CWR|ACK, no FIN/PSH */
	assert_int_equal(out[47], 0x18 | 0x01); /* second: PSH|ACK|FIN, no CWR */
	assert_memory_equal(out + 54, f + 54 + 60, 40);
}

/* ----------------------------------------------------------------------- answer checks */

static void completions_validated(void **state)
{
	uint8_t m[40] = {0};
	uint32_t a = 0, b = 0;

	put32(m, 2);
	put32(m + 12, 1);
	assert_int_equal(gd_nvsp_check_init_comp(m, 40), 0);
	assert_int_equal(gd_nvsp_check_init_comp(m, 15), -EPROTO);
	put32(m + 12, 2);
	assert_int_equal(gd_nvsp_check_init_comp(m, 40), -EIO);

	memset(m, 0, sizeof(m));
	put32(m, 102);
	put32(m + 4, 1);
	put32(m + 8, 1);
	put32(m + 16, 1806);
	put32(m + 20, 9289);
	put32(m + 24, 1806 * 9289);
	assert_int_equal(gd_nvsp_check_recv_buf_comp(m, 40, 16u << 20, &a, &b), 0);
	assert_int_equal(a, 1806);
	assert_int_equal(b, 9289);
	assert_int_equal(gd_nvsp_check_recv_buf_comp(m, 27, 16u << 20, &a, &b), -EPROTO);
	put32(m + 20, 9290 + 1); /* 1806 * 9291 > 16 MiB */
	assert_int_equal(gd_nvsp_check_recv_buf_comp(m, 40, 16u << 20, &a, &b), -EIO);
	put32(m + 16, 0x10000);
	put32(m + 20, 0x10000); /* product overflows 32 bits */
	assert_int_equal(gd_nvsp_check_recv_buf_comp(m, 40, 16u << 20, &a, &b), -EIO);
	put32(m + 16, 1806);
	put32(m + 20, 10);
	put32(m + 8, 2); /* two sections */
	assert_int_equal(gd_nvsp_check_recv_buf_comp(m, 40, 16u << 20, &a, &b), -EIO);
	put32(m + 8, 1);
	put32(m + 12, 4096); /* section offset */
	assert_int_equal(gd_nvsp_check_recv_buf_comp(m, 40, 16u << 20, &a, &b), -EIO);
	put32(m + 12, 0);
	put32(m + 16, 67); /* below the minimum MTU */
	assert_int_equal(gd_nvsp_check_recv_buf_comp(m, 40, 16u << 20, &a, &b), -EIO);

	memset(m, 0, sizeof(m));
	put32(m, 105);
	put32(m + 4, 1);
	put32(m + 8, 6144);
	assert_int_equal(gd_nvsp_check_send_buf_comp(m, 40, 170 * 6144, &a), 0);
	assert_int_equal(a, 6144);
	put32(m + 8, 0);
	assert_int_equal(gd_nvsp_check_send_buf_comp(m, 40, 170 * 6144, &a), -EIO);
	put32(m + 8, 6144);
	put32(m + 4, 2);
	assert_int_equal(gd_nvsp_check_send_buf_comp(m, 40, 170 * 6144, &a), -EIO);
}

static void rndis_answers_validated(void **state)
{
	uint8_t m[64] = {0};
	struct gd_rndis_msg r;

	/* QUERY_C with a 6-byte MAC at offset 16 (data @24) */
	put32(m, 0x80000004);
	put32(m + 4, 30);
	put32(m + 8, 3);
	put32(m + 16, 6);
	put32(m + 20, 16);
	memcpy(m + 24, "\x00\x15\x5d\x01\x02\x03", 6);
	assert_int_equal(gd_rndis_parse(m, sizeof(m), &r), 0);
	assert_int_equal(r.req_id, 3);
	assert_int_equal(r.data_len, 6);
	assert_ptr_equal(r.data, m + 24);
	/* msg_len beyond what arrived */
	assert_int_equal(gd_rndis_parse(m, 29, &r), -EPROTO);
	/* info buffer offset inside the fixed fields (Linux requires >= 16) */
	put32(m + 20, 8);
	assert_int_equal(gd_rndis_parse(m, sizeof(m), &r), -EPROTO);
	/* info buffer running past msg_len, and an offset that would wrap */
	put32(m + 20, 17);
	assert_int_equal(gd_rndis_parse(m, sizeof(m), &r), -EPROTO);
	put32(m + 20, 0xfffffff8);
	assert_int_equal(gd_rndis_parse(m, sizeof(m), &r), -EPROTO);
	/* msg_len below the header */
	put32(m + 4, 7);
	assert_int_equal(gd_rndis_parse(m, sizeof(m), &r), -EPROTO);
	/* INIT_C too short; KEEPALIVE not handled (as Linux) */
	put32(m, 0x80000002);
	put32(m + 4, 51);
	assert_int_equal(gd_rndis_parse(m, sizeof(m), &r), -EPROTO);
	put32(m, 8);
	put32(m + 4, 16);
	assert_int_equal(gd_rndis_parse(m, sizeof(m), &r), -EOPNOTSUPP);
	/* INDICATE_STATUS with a buffer offset < 12 */
	memset(m, 0, sizeof(m));
	put32(m, 7);
	put32(m + 4, 24);
	put32(m + 8, 0x4001000b);
	put32(m + 12, 4);
	put32(m + 16, 4);
	assert_int_equal(gd_rndis_parse(m, sizeof(m), &r), -EPROTO);
	put32(m + 16, 12);
	assert_int_equal(gd_rndis_parse(m, sizeof(m), &r), 0);
	assert_int_equal(r.status, 0x4001000b);
}

static void offload_answer_validated(void **state)
{
	uint8_t b[156] = {0xa7, 3, 156, 0};
	struct ndis_offload o;

	assert_int_equal(gd_ndis_offload_check(b, 156, &o), 0);
	assert_int_equal(gd_ndis_offload_check(b, 155, &o), -EIO); /* size > returned */
	b[2] = 111;
	assert_int_equal(gd_ndis_offload_check(b, 156, &o), -EIO);
	b[2] = 112;
	assert_int_equal(gd_ndis_offload_check(b, 112, &o), 0);
	b[0] = 0xa6;
	assert_int_equal(gd_ndis_offload_check(b, 112, &o), -EIO);
	b[0] = 0xa7;
	b[1] = 0;
	assert_int_equal(gd_ndis_offload_check(b, 112, &o), -EIO);
	b[1] = 1;
	assert_int_equal(gd_ndis_offload_check(b, 157, &o), -EIO);
}

/* ------------------------------------------------------------------ inbound packets */

struct rx {
	struct gd_channel ch;
	struct gd_netvsc *nd;
	uint8_t *ring;	  /* our outbound ring (host reads completions here) */
	struct vmbus_ring host;
	uint8_t *recv;	  /* receive buffer */
	unsigned int n_frames;
	size_t last_len;
	uint8_t last[2048];
};

static void rx_sink(void *ctx, const uint8_t *f, size_t len)
{
	struct rx *r = ctx;

	r->n_frames++;
	r->last_len = len;
	if (len <= sizeof(r->last))
		memcpy(r->last, f, len);
}

static const struct gd_netvsc_ops rx_ops = {.rx = rx_sink};

static int rx_setup(void **state)
{
	struct rx *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	r->ring = aligned_alloc(4096, RING_SIZE);
	r->recv = calloc(1, RECV_SIZE);
	r->nd = calloc(1, sizeof(*r->nd));
	assert_non_null(r->ring);
	assert_non_null(r->nd);
	memset(r->ring, 0, RING_SIZE);
	assert_int_equal(vmbus_ring_init(&r->ch.out, r->ring, RING_SIZE, VMBUS_RING_WRITER), 0);
	assert_int_equal(vmbus_ring_init(&r->host, r->ring, RING_SIZE, VMBUS_RING_READER), 0);
	r->ch.signal_fd = eventfd(0, EFD_CLOEXEC);
	r->ch.intr_fd = -1;
	r->nd->ch = &r->ch;
	r->nd->ops = &rx_ops;
	r->nd->ctx = r;
	r->nd->recv_va = r->recv;
	r->nd->recv_size = RECV_SIZE;
	r->nd->recv_sub_size = SUB_SIZE;
	r->nd->attached = true;
	*state = r;
	return 0;
}

static int rx_teardown(void **state)
{
	struct rx *r = *state;

	close(r->ch.signal_fd);
	free(r->ring);
	free(r->recv);
	free(r->nd);
	free(r);
	return 0;
}

/* XFER_PAGES (facts 5.2): set id @16, range count @20, ranges @24, then NVSP 107. */
static size_t xfer(uint8_t *pkt, uint64_t tid, uint16_t set, const uint32_t (*ranges)[2],
	uint32_t n)
{
	size_t hdr = 24 + 8 * n, len = hdr + 40;
	uint32_t i;

	memset(pkt, 0, len);
	put16(pkt, 7);
	put16(pkt + 2, (uint16_t)(hdr / 8));
	put16(pkt + 4, (uint16_t)(len / 8));
	put16(pkt + 6, 1);
	put64(pkt + 8, tid);
	put16(pkt + 16, set);
	put32(pkt + 20, n);
	for (i = 0; i < n; i++) {
		put32(pkt + 24 + 8 * i, ranges[i][1]); /* byte_count */
		put32(pkt + 28 + 8 * i, ranges[i][0]); /* byte_offset */
	}
	put32(pkt + hdr, 107);
	return len;
}

/* An RNDIS PACKET at 'off' in the receive buffer: frame at +256 (data_offset 248). */
static void rndis_pkt_at(struct rx *r, uint32_t off, uint32_t frame_len, uint8_t seed)
{
	uint8_t *m = r->recv + off;
	uint32_t i;

	memset(m, 0, 256);
	put32(m, 1);
	put32(m + 4, 256 + frame_len);
	put32(m + 8, 248);
	put32(m + 12, frame_len);
	for (i = 0; i < frame_len; i++)
		m[256 + i] = (uint8_t)(seed + i);
}

/* The completion the driver wrote: COMP (11) with the packet's id and NVSP {108, status}. */
static uint32_t comp_status(struct rx *r, uint64_t tid)
{
	uint8_t buf[256];
	int n;

	gd_netvsc_flush(r->nd);
	n = vmbus_ring_read(&r->host, buf, sizeof(buf));
	assert_true(n >= 16 + 8);
	assert_int_equal(get32(buf) & 0xffff, 11);
	assert_int_equal(get64(buf + 8), tid);
	assert_int_equal(get32(buf + 16), 108);
	vmbus_ring_read_done(&r->host);
	return get32(buf + 20);
}

static bool no_comp(struct rx *r)
{
	uint8_t buf[256];

	gd_netvsc_flush(r->nd);
	return vmbus_ring_read(&r->host, buf, sizeof(buf)) == -EAGAIN;
}

/*
 * A subchannel's XFER_PAGES is delivered and completed on that subchannel's ring, not the
 * primary's; nd->ch is the primary again afterwards. With no room for a completion in its
 * outbound ring, the subchannel's packets wait in its inbound ring.
 */
static void subchannel_completes_on_its_ring(void **state)
{
	struct rx *r = *state;
	static const uint32_t one[1][2] = {{0, 256 + 60}};
	struct gd_channel sub = {0};
	uint8_t *in_mem = aligned_alloc(4096, RING_SIZE), *out_mem = aligned_alloc(4096, RING_SIZE);
	struct vmbus_ring host_w, host_r;
	uint8_t pkt[128], buf[256];
	struct iovec iov = {.iov_base = pkt};
	unsigned int i;
	int n;

	assert_non_null(in_mem);
	assert_non_null(out_mem);
	memset(in_mem, 0, RING_SIZE);
	memset(out_mem, 0, RING_SIZE);
	assert_int_equal(vmbus_ring_init(&sub.in, in_mem, RING_SIZE, VMBUS_RING_READER), 0);
	assert_int_equal(vmbus_ring_init(&host_w, in_mem, RING_SIZE, VMBUS_RING_WRITER), 0);
	assert_int_equal(vmbus_ring_init(&sub.out, out_mem, RING_SIZE, VMBUS_RING_WRITER), 0);
	assert_int_equal(vmbus_ring_init(&host_r, out_mem, RING_SIZE, VMBUS_RING_READER), 0);
	sub.signal_fd = eventfd(0, EFD_CLOEXEC);
	sub.intr_fd = -1;
	sub.relid = 9;
	sub.open = true;
	rndis_pkt_at(r, 0, 60, 7);
	iov.iov_len = xfer(pkt, 0x4242, 0xcafe, one, 1);
	assert_int_equal(vmbus_ring_write(&host_w, &iov, 1), 0);
	vmbus_ring_write_done(&host_w);
	assert_int_equal(gd_netvsc_poll_sub(r->nd, &sub), 1);
	assert_ptr_equal(r->nd->ch, &r->ch);
	assert_int_equal(r->n_frames, 1);
	assert_int_equal(r->last_len, 60);
	assert_int_equal(r->nd->rx_frames_sub, 1);
	n = vmbus_ring_read(&host_r, buf, sizeof(buf));
	assert_true(n >= 16 + 8);
	assert_int_equal(get32(buf) & 0xffff, 11);
	assert_int_equal(get64(buf + 8), 0x4242);
	assert_int_equal(get32(buf + 16), 108);
	assert_int_equal(get32(buf + 20), 1);
	vmbus_ring_read_done(&host_r);
	assert_true(no_comp(r)); /* nothing on the primary */
	/* fill the subchannel's outbound ring until a completion no longer fits: not read */
	for (i = 0; vmbus_ring_free_bytes(&sub.out) >= 128; i++) {
		struct iovec f = {.iov_base = buf, .iov_len = 56};

		memset(buf, 0, 56);
		put16(buf, 6);
		put16(buf + 2, 2);
		put16(buf + 4, 7);
		assert_int_equal(vmbus_ring_write(&sub.out, &f, 1), 0);
	}
	assert_int_equal(vmbus_ring_write(&host_w, &iov, 1), 0);
	vmbus_ring_write_done(&host_w);
	assert_int_equal(gd_netvsc_poll_sub(r->nd, &sub), 0);
	assert_int_equal(r->n_frames, 1);
	/* a closed subchannel is not polled */
	sub.open = false;
	assert_int_equal(gd_netvsc_poll_sub(r->nd, &sub), 0);
	close(sub.signal_fd);
	free(in_mem);
	free(out_mem);
}

static void xfer_valid_frames_delivered(void **state)
{
	struct rx *r = *state;
	const uint32_t ranges[2][2] = {{0, 256 + 60}, {SUB_SIZE, 256 + 1514}};
	uint8_t pkt[256];
	size_t len;

	rndis_pkt_at(r, 0, 60, 1);
	rndis_pkt_at(r, SUB_SIZE, 1514, 2);
	len = xfer(pkt, 0x77, 0xcafe, ranges, 2);
	assert_int_equal(gd_netvsc_handle_packet(r->nd, pkt, len), 0);
	assert_int_equal(r->n_frames, 2);
	assert_int_equal(r->last_len, 1514);
	assert_int_equal(r->last[0], 2);
	assert_int_equal(r->last[1513], (uint8_t)(2 + 1513));
	assert_int_equal(comp_status(r, 0x77), 1);
}

static void xfer_bad_ranges_failed_not_crashed(void **state)
{
	struct rx *r = *state;
	/* past the buffer; offset + count wrapping 32 bits; larger than a sub-allocation;
	 * too short for an RNDIS header; a good one */
	const uint32_t ranges[5][2] = {{RECV_SIZE - 100, 316}, {0xffffff00u, 0x200}, {0, 1807},
		{0, 4}, {2 * SUB_SIZE, 256 + 100}};
	uint8_t pkt[256];
	size_t len;

	rndis_pkt_at(r, 0, 1551, 3);
	rndis_pkt_at(r, 2 * SUB_SIZE, 100, 4);
	len = xfer(pkt, 0x78, 0xcafe, ranges, 5);
	assert_int_equal(gd_netvsc_handle_packet(r->nd, pkt, len), 0);
	assert_int_equal(r->n_frames, 1); /* only the last */
	assert_int_equal(r->last_len, 100);
	assert_int_equal(r->nd->stats.rx_bad_ranges, 4);
	assert_int_equal(comp_status(r, 0x78), 2);
}

static void xfer_rndis_lengths_checked(void **state)
{
	struct rx *r = *state;
	const uint32_t one[1][2] = {{0, 256 + 60}};
	uint8_t pkt[256];
	size_t len;

	/* msg_len beyond the range */
	rndis_pkt_at(r, 0, 60, 5);
	put32(r->recv + 4, 256 + 61);
	len = xfer(pkt, 1, 0xcafe, one, 1);
	gd_netvsc_handle_packet(r->nd, pkt, len);
	assert_int_equal(comp_status(r, 1), 2);
	/* data past msg_len */
	put32(r->recv + 4, 256 + 60);
	put32(r->recv + 12, 61);
	gd_netvsc_handle_packet(r->nd, pkt, len);
	assert_int_equal(comp_status(r, 1), 2);
	/* data offset wrapping, and data inside the fixed header */
	put32(r->recv + 12, 60);
	put32(r->recv + 8, 0xfffffff0u);
	gd_netvsc_handle_packet(r->nd, pkt, len);
	assert_int_equal(comp_status(r, 1), 2);
	put32(r->recv + 8, 20);
	gd_netvsc_handle_packet(r->nd, pkt, len);
	assert_int_equal(comp_status(r, 1), 2);
	/* a QUERY_C nobody waits for, and a bad one: the range is still consumed */
	memset(r->recv, 0, 64);
	put32(r->recv, 0x80000004);
	put32(r->recv + 4, 24);
	gd_netvsc_handle_packet(r->nd, pkt, len);
	assert_int_equal(comp_status(r, 1), 1);
	put32(r->recv + 4, 30);
	put32(r->recv + 16, 6);
	put32(r->recv + 20, 4);
	gd_netvsc_handle_packet(r->nd, pkt, len);
	assert_int_equal(comp_status(r, 1), 2);
	assert_int_equal(r->n_frames, 0);
}

static void xfer_bad_headers_dropped_without_completion(void **state)
{
	struct rx *r = *state;
	const uint32_t one[1][2] = {{0, 256 + 60}};
	uint8_t pkt[256];
	size_t len;

	rndis_pkt_at(r, 0, 60, 5);
	len = xfer(pkt, 2, 0xcaff, one, 1); /* wrong transfer page set */
	gd_netvsc_handle_packet(r->nd, pkt, len);
	assert_true(no_comp(r));
	len = xfer(pkt, 2, 0xcafe, one, 1);
	put32(pkt + 32, 106); /* not SEND_RNDIS_PKT */
	gd_netvsc_handle_packet(r->nd, pkt, len);
	assert_true(no_comp(r));
	len = xfer(pkt, 2, 0xcafe, one, 1);
	put32(pkt + 20, 3); /* ranges beyond the header (offset8) */
	gd_netvsc_handle_packet(r->nd, pkt, len);
	assert_true(no_comp(r));
	len = xfer(pkt, 2, 0xcafe, one, 1);
	put16(pkt + 4, 100); /* len8 beyond the packet */
	gd_netvsc_handle_packet(r->nd, pkt, len);
	assert_true(no_comp(r));
	assert_int_equal(r->n_frames, 0);
	assert_int_equal(r->nd->stats.bad_packets, 4);
}

static void link_indications_and_unknown_comps(void **state)
{
	struct rx *r = *state;
	const uint32_t one[1][2] = {{0, 20}};
	uint8_t pkt[256];
	size_t len;

	memset(r->recv, 0, 64);
	put32(r->recv, 7);
	put32(r->recv + 4, 20);
	put32(r->recv + 8, 0x4001000c);
	len = xfer(pkt, 3, 0xcafe, one, 1);
	r->nd->link_up = true;
	gd_netvsc_handle_packet(r->nd, pkt, len);
	assert_false(r->nd->link_up);
	assert_int_equal(comp_status(r, 3), 1);
	put32(r->recv + 8, 0x4001000b);
	gd_netvsc_handle_packet(r->nd, pkt, len);
	assert_true(r->nd->link_up);
	assert_int_equal(comp_status(r, 3), 1);
	/* COMP for a section never used, and for a random id */
	memset(pkt, 0, 64);
	put16(pkt, 11);
	put16(pkt + 2, 2);
	put16(pkt + 4, 3);
	put64(pkt + 8, 5);
	put32(pkt + 16, 108);
	r->nd->n_sections = 10;
	gd_netvsc_handle_packet(r->nd, pkt, 24);
	put64(pkt + 8, 0x123456789);
	gd_netvsc_handle_packet(r->nd, pkt, 24);
	assert_int_equal(r->nd->stats.comps_unknown, 2);
	/* GPA_DIRECT from the host: not a netvsc host packet */
	put16(pkt, 9);
	gd_netvsc_handle_packet(r->nd, pkt, 24);
	assert_int_equal(r->nd->stats.bad_packets, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(nvsp_init_bytes),
		cmocka_unit_test(nvsp_ndis_config_bytes),
		cmocka_unit_test(nvsp_other_bytes),
		cmocka_unit_test(rndis_request_bytes),
		cmocka_unit_test(subchannel_request_and_completion),
		cmocka_unit_test(rss_params_bytes),
		cmocka_unit_test(offload_params_off_as_linux),
		cmocka_unit_test(offload_params_all_as_linux),
		cmocka_unit_test(tx_ppis_from_vnet_hdr),
		cmocka_unit_test(rx_vnet_hdr_from_ppis),
		cmocka_unit_test(tso_frame_split_for_host_limit),
		cmocka_unit_test(completions_validated),
		cmocka_unit_test(rndis_answers_validated),
		cmocka_unit_test(offload_answer_validated),
		cmocka_unit_test_setup_teardown(xfer_valid_frames_delivered, rx_setup, rx_teardown),
		cmocka_unit_test_setup_teardown(
			subchannel_completes_on_its_ring, rx_setup, rx_teardown),
		cmocka_unit_test_setup_teardown(xfer_bad_ranges_failed_not_crashed, rx_setup,
			rx_teardown),
		cmocka_unit_test_setup_teardown(xfer_rndis_lengths_checked, rx_setup, rx_teardown),
		cmocka_unit_test_setup_teardown(xfer_bad_headers_dropped_without_completion, rx_setup,
			rx_teardown),
		cmocka_unit_test_setup_teardown(link_indications_and_unknown_comps, rx_setup,
			rx_teardown),
	};

	gd_log_set(NULL, LOG_CRIT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
