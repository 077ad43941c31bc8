/* SPDX-License-Identifier: BSD-3-Clause */
/* Private to offload/: header access and checksum arithmetic shared by csum.c, tso.c, gro.c. */
#ifndef VSW_OFFLOAD_INTERNAL_H
#define VSW_OFFLOAD_INTERNAL_H

#include "offload.h"

#include <string.h>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>
#include <rte_udp.h>

/* Bytes from the frame start to the end of the L4 header. */
static inline uint32_t vs_ol_hdr_len(const struct vs_ol_info *info)
{
	return (uint32_t)info->l2_len + info->l3_len + info->l4_len;
}

/* Fold a 32-bit one's complement accumulator to 16 bits (not complemented). */
static inline uint16_t vs_ol_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* Byte-swap a folded partial sum: the sum of bytes that start at an odd offset of the whole. */
static inline uint16_t vs_ol_swap16(uint16_t s)
{
	return (uint16_t)((s << 8) | (s >> 8));
}

/*
 * Unfolded one's complement pseudo-header sum (RFC 793/768, RFC 8200 section 8.1) for an L4
 * segment of 'l4_size' bytes (header + payload) behind the L3 header at 'l3'. IPv6 uses the
 * upper-layer protocol, not the first next-header, and the addresses of the fixed header (no
 * Routing header is accepted by vs_ol_parse()).
 */
static inline uint32_t vs_ol_phdr_sum(const void *l3, const struct vs_ol_info *info,
	uint32_t l4_size)
{
	const uint8_t *p = l3;
	uint32_t sum = rte_cpu_to_be_16((uint16_t)info->l4_proto) +
		rte_cpu_to_be_16((uint16_t)(l4_size & 0xffff)) +
		rte_cpu_to_be_16((uint16_t)(l4_size >> 16));

	if (info->flags & VS_OL_F_IPV4)
		return sum + rte_raw_cksum(p + 12, 8);
	return sum + rte_raw_cksum(p + 8, 32);
}

/* Write the IP length field(s) for an L4 segment of 'l4_size' bytes; IPv4 checksum untouched. */
static inline void vs_ol_set_ip_len(void *l3, const struct vs_ol_info *info, uint32_t l4_size)
{
	if (info->flags & VS_OL_F_IPV4) {
		struct rte_ipv4_hdr *ip = l3;

		ip->total_length = rte_cpu_to_be_16((uint16_t)(info->l3_len + l4_size));
	} else {
		struct rte_ipv6_hdr *ip6 = l3;

		ip6->payload_len = rte_cpu_to_be_16((uint16_t)(info->l3_len - 40 + l4_size));
	}
}

/* Compute and store the IPv4 header checksum (with options) from scratch. */
static inline void vs_ol_ipv4_cksum_set(void *l3, const struct vs_ol_info *info)
{
	struct rte_ipv4_hdr *ip = l3;

	ip->hdr_checksum = 0;
	ip->hdr_checksum = (uint16_t)~rte_raw_cksum(ip, info->l3_len);
}

/* Offset of the checksum field inside the L4 header (16 in TCP, 6 in UDP). */
static inline uint32_t vs_ol_l4_cksum_off(const struct vs_ol_info *info)
{
	return (info->flags & VS_OL_F_TCP) ? 16u : 6u;
}

/* The L4 checksum field (network byte order as stored) of the L4 header at 'l4'. */
static inline uint16_t vs_ol_l4_cksum_get(const void *l4, const struct vs_ol_info *info)
{
	uint16_t v;

	memcpy(&v, (const uint8_t *)l4 + vs_ol_l4_cksum_off(info), sizeof(v));
	return v;
}

static inline void vs_ol_l4_cksum_put(void *l4, const struct vs_ol_info *info, uint16_t v)
{
	memcpy((uint8_t *)l4 + vs_ol_l4_cksum_off(info), &v, sizeof(v));
}

/*
 * Folded (not complemented) one's complement sum of 'len' bytes at frame offset 'off' of a chain.
 * Ours rather than rte_raw_cksum_mbuf(), which in DPDK 22.11 truncates the carries of a segment
 * that starts at an odd offset of the summed range. Returns 0 or -EINVAL (chain too short).
 */
int vs_ol_sum_mbuf(const struct rte_mbuf *m, uint32_t off, uint32_t len, uint16_t *sum);

/*
 * Compute and store the TCP/UDP checksum from scratch for the frame whose headers (described by
 * 'info', in the first segment) start at mbuf offset 0 and whose L4 segment is 'l4_size' bytes.
 * Returns 0 or -EINVAL when the mbuf is shorter than that.
 */
int vs_ol_l4_cksum_set(struct rte_mbuf *m, const struct vs_ol_info *info, uint32_t l4_size);

#endif
