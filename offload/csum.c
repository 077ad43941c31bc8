/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Software checksums (RFC 1071 sums over the pseudo-header and the L4 segment), and the choice
 * between them and a port's hardware offloads.
 */
#include "internal.h"

#include <errno.h>

#include <rte_ethdev.h>
#include <rte_net.h>

int vs_ol_sum_mbuf(const struct rte_mbuf *m, uint32_t off, uint32_t len, uint16_t *sum)
{
	uint32_t acc = 0, done = 0;

	if ((uint64_t)off + len > rte_pktmbuf_pkt_len(m))
		return -EINVAL;
	while (m && off >= m->data_len) {
		off -= m->data_len;
		m = m->next;
	}
	while (done < len) {
		uint32_t n;
		uint16_t s;

		if (!m)
			return -EINVAL;
		n = RTE_MIN(len - done, (uint32_t)m->data_len - off);
		s = rte_raw_cksum(rte_pktmbuf_mtod_offset(m, const uint8_t *, off), n);
		/* bytes that start at an odd offset of the range add byte-swapped */
		acc += (done & 1) ? vs_ol_swap16(s) : s;
		done += n;
		off = 0;
		m = m->next;
	}
	*sum = vs_ol_fold(acc);
	return 0;
}

int vs_ol_l4_cksum_set(struct rte_mbuf *m, const struct vs_ol_info *info, uint32_t l4_size)
{
	uint32_t l4_off = (uint32_t)info->l2_len + info->l3_len;
	uint8_t *l3 = rte_pktmbuf_mtod_offset(m, uint8_t *, info->l2_len);
	uint8_t *l4 = l3 + info->l3_len;
	uint16_t sum = 0, ck;

	vs_ol_l4_cksum_put(l4, info, 0);
	if (vs_ol_sum_mbuf(m, l4_off, l4_size, &sum) < 0)
		return -EINVAL;
	ck = (uint16_t)~vs_ol_fold(vs_ol_phdr_sum(l3, info, l4_size) + sum);
	/* UDP sends a computed 0 as all ones (0 means "no checksum", RFC 768) */
	if (ck == 0 && (info->flags & VS_OL_F_UDP))
		ck = 0xffff;
	vs_ol_l4_cksum_put(l4, info, ck);
	return 0;
}

static bool headers_in_first(const struct rte_mbuf *m, const struct vs_ol_info *info)
{
	return rte_pktmbuf_data_len(m) >= vs_ol_hdr_len(info) &&
		rte_pktmbuf_pkt_len(m) >= info->frame_len && (info->flags & (VS_OL_F_TCP | VS_OL_F_UDP));
}

int vs_ol_csum_fill(struct rte_mbuf *m, const struct vs_ol_info *info)
{
	uint8_t *l3;
	uint32_t l4_size = (uint32_t)info->l4_len + info->payload_len;

	if (!headers_in_first(m, info))
		return -EINVAL;
	l3 = rte_pktmbuf_mtod_offset(m, uint8_t *, info->l2_len);
	vs_ol_set_ip_len(l3, info, l4_size);
	if (info->flags & VS_OL_F_IPV4)
		vs_ol_ipv4_cksum_set(l3, info);
	if (vs_ol_l4_cksum_set(m, info, l4_size) < 0)
		return -EINVAL;
	m->ol_flags &= ~(RTE_MBUF_F_TX_L4_MASK | RTE_MBUF_F_TX_IP_CKSUM);
	return 0;
}

unsigned int vs_ol_csum_verify(const struct rte_mbuf *m, const struct vs_ol_info *info)
{
	uint32_t l4_off = (uint32_t)info->l2_len + info->l3_len;
	uint32_t l4_size = (uint32_t)info->l4_len + info->payload_len;
	const uint8_t *l3;
	unsigned int ret = 0;
	uint16_t sum = 0;

	if (!headers_in_first(m, info))
		return 0;
	l3 = rte_pktmbuf_mtod_offset(m, const uint8_t *, info->l2_len);
	if (!(info->flags & VS_OL_F_IPV4) || rte_raw_cksum(l3, info->l3_len) == 0xffff)
		ret |= VS_OL_CSUM_IP_OK;
	if ((info->flags & (VS_OL_F_UDP | VS_OL_F_IPV4)) == (VS_OL_F_UDP | VS_OL_F_IPV4) &&
		vs_ol_l4_cksum_get(l3 + info->l3_len, info) == 0)
		return ret | VS_OL_CSUM_L4_OK;
	if (vs_ol_sum_mbuf(m, l4_off, l4_size, &sum) == 0 &&
		vs_ol_fold(vs_ol_phdr_sum(l3, info, l4_size) + sum) == 0xffff)
		ret |= VS_OL_CSUM_L4_OK;
	return ret;
}

/* Set the TX metadata a PMD reads and let DPDK write the pseudo-header sums it expects. */
static int hw_prepare(struct rte_mbuf *m, const struct vs_ol_info *info, uint64_t request)
{
	m->ol_flags &= ~(RTE_MBUF_F_TX_OFFLOAD_MASK & ~(RTE_MBUF_F_TX_VLAN | RTE_MBUF_F_TX_QINQ));
	m->ol_flags |= request | ((info->flags & VS_OL_F_IPV4) ? RTE_MBUF_F_TX_IPV4 :
		RTE_MBUF_F_TX_IPV6);
	m->l2_len = info->l2_len;
	m->l3_len = info->l3_len;
	m->l4_len = info->l4_len;
	m->outer_l2_len = 0;
	m->outer_l3_len = 0;
	if (rte_net_intel_cksum_prepare(m) < 0)
		return -EINVAL;
	return VS_OL_TX_HW;
}

int vs_ol_tx_prepare(struct rte_mbuf *m, const struct vs_ol_info *info, uint64_t tx_offload_capa)
{
	bool v4 = info->flags & VS_OL_F_IPV4, tcp = info->flags & VS_OL_F_TCP;
	uint64_t l4_capa = tcp ? RTE_ETH_TX_OFFLOAD_TCP_CKSUM : RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
	uint32_t l4_size = (uint32_t)info->l4_len + info->payload_len;
	bool tso = m->ol_flags & RTE_MBUF_F_TX_TCP_SEG;
	uint8_t *l3;

	if (!tso && !(m->ol_flags & RTE_MBUF_F_TX_L4_MASK))
		return VS_OL_TX_AS_IS;
	/* a short LSO frame needs only its checksums (and must not reach a port as a TSO request) */
	if (tso && tcp && m->tso_segsz != 0 && info->payload_len <= m->tso_segsz) {
		m->ol_flags &= ~RTE_MBUF_F_TX_TCP_SEG;
		tso = false;
	}
	if (tso && (!tcp || m->tso_segsz == 0))
		return VS_OL_TX_SW_SEGMENT; /* vs_ol_tso_segment() refuses it with a reason */
	if (!headers_in_first(m, info))
		return -EINVAL;
	/* DPDK's IPv6 pseudo-header helper reads the first next-header: no extension headers */
	if (!v4 && info->l3_len != 40)
		return tso ? VS_OL_TX_SW_SEGMENT : VS_OL_TX_SW_CSUM;

	l3 = rte_pktmbuf_mtod_offset(m, uint8_t *, info->l2_len);
	if (tso) {
		if (!(tx_offload_capa & RTE_ETH_TX_OFFLOAD_TCP_TSO) ||
			(v4 && !(tx_offload_capa & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM)))
			return VS_OL_TX_SW_SEGMENT;
		vs_ol_set_ip_len(l3, info, l4_size);
		return hw_prepare(m, info, RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_TCP_CKSUM |
			(v4 ? RTE_MBUF_F_TX_IP_CKSUM : 0));
	}
	if (!(tx_offload_capa & l4_capa))
		return VS_OL_TX_SW_CSUM;
	/* the IPv4 header is short: its checksum is always done here */
	vs_ol_set_ip_len(l3, info, l4_size);
	if (v4)
		vs_ol_ipv4_cksum_set(l3, info);
	return hw_prepare(m, info, tcp ? RTE_MBUF_F_TX_TCP_CKSUM : RTE_MBUF_F_TX_UDP_CKSUM);
}
