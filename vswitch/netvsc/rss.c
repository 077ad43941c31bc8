/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Receive-side scaling for frames to the guest (hyperv-facts.md 7.5, 10 step 18): the Toeplitz
 * hash with the guest's key over the fields its hash types select, in NDIS order (source
 * address, destination address, source port, destination port). The hash itself is DPDK's
 * rte_softrss; this file only chooses the input.
 *
 *  - IPv4 TCP (not a fragment), NDIS_HASH_TCP_IPV4: addresses + ports (12 bytes);
 *  - other IPv4 (or TCP without that type), NDIS_HASH_IPV4: addresses (8 bytes);
 *  - IPv6 TCP (next header TCP, no extension headers), NDIS_HASH_TCP_IPV6: addresses + ports
 *    (36 bytes); other IPv6, NDIS_HASH_IPV6: addresses (32 bytes);
 *  - anything else (non-IP, a type the guest did not enable): no hash, channel 0.
 * One 802.1Q tag in the frame is skipped.
 */
#include <errno.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_thash.h>

#include <vsw/proto/rndis.h>

#include "chan.h"

#define IPPROTO_TCP_NUM 6

uint32_t vs_nv_toeplitz(uint32_t *words, uint32_t n, const uint8_t *key)
{
	return rte_softrss(words, n, key);
}

/* Big-endian u32 at 'p' (unaligned) as a host-order word. */
static uint32_t be32_word(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int hash_ipv4(
	const struct rte_mbuf *m, uint32_t off, const struct vs_vsp_rss *rss, uint32_t *hash)
{
	uint8_t buf[20 + 4];
	const uint8_t *ip = rte_pktmbuf_read(m, off, 20, buf);
	uint32_t w[3], ihl;
	uint16_t frag;

	if (ip == NULL || (ip[0] >> 4) != 4)
		return -ENOENT;
	ihl = (uint32_t)(ip[0] & 0xf) * 4;
	if (ihl < 20)
		return -ENOENT;
	w[0] = be32_word(ip + 12);
	w[1] = be32_word(ip + 16);
	frag = (uint16_t)(ip[6] << 8 | ip[7]);
	if (ip[9] == IPPROTO_TCP_NUM && (rss->hash_info & NDIS_HASH_TCP_IPV4) && !(frag & 0x3fff)) {
		const uint8_t *tcp = rte_pktmbuf_read(m, off + ihl, 4, buf + 20);

		if (tcp) {
			w[2] = be32_word(tcp); /* source port << 16 | destination port */
			*hash = rte_softrss(w, 3, rss->key);
			return 0;
		}
	}
	if (!(rss->hash_info & NDIS_HASH_IPV4))
		return -ENOENT;
	*hash = rte_softrss(w, 2, rss->key);
	return 0;
}

static int hash_ipv6(
	const struct rte_mbuf *m, uint32_t off, const struct vs_vsp_rss *rss, uint32_t *hash)
{
	uint8_t buf[40 + 4];
	const uint8_t *ip = rte_pktmbuf_read(m, off, 40, buf);
	uint32_t w[9], i;

	if (ip == NULL || (ip[0] >> 4) != 6)
		return -ENOENT;
	for (i = 0; i < 8; i++)
		w[i] = be32_word(ip + 8 + 4 * i);
	if (ip[6] == IPPROTO_TCP_NUM && (rss->hash_info & NDIS_HASH_TCP_IPV6)) {
		const uint8_t *tcp = rte_pktmbuf_read(m, off + 40, 4, buf + 40);

		if (tcp) {
			w[8] = be32_word(tcp);
			*hash = rte_softrss(w, 9, rss->key);
			return 0;
		}
	}
	if (!(rss->hash_info & NDIS_HASH_IPV6))
		return -ENOENT;
	*hash = rte_softrss(w, 8, rss->key);
	return 0;
}

int vs_nv_rss_hash(const struct rte_mbuf *m, const struct vs_vsp_rss *rss, uint32_t *hash)
{
	uint8_t buf[4];
	const uint8_t *et;
	uint32_t off = 12;
	uint16_t type;

	if (!(rss->hash_info & NDIS_HASH_FUNC_TOEPLITZ))
		return -ENOENT;
	et = rte_pktmbuf_read(m, off, 2, buf);
	if (et == NULL)
		return -ENOENT;
	type = (uint16_t)(et[0] << 8 | et[1]);
	if (type == RTE_ETHER_TYPE_VLAN) {
		off += 4;
		et = rte_pktmbuf_read(m, off, 2, buf);
		if (et == NULL)
			return -ENOENT;
		type = (uint16_t)(et[0] << 8 | et[1]);
	}
	off += 2;
	if (type == RTE_ETHER_TYPE_IPV4)
		return hash_ipv4(m, off, rss, hash);
	if (type == RTE_ETHER_TYPE_IPV6)
		return hash_ipv6(m, off, rss, hash);
	return -ENOENT;
}
