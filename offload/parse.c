/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Frame parser and validator. Frames come from guests and from the wire: every length field is
 * checked against the frame before it is used, and each inconsistency has its own reason so that
 * the caller counts it as a drop reason.
 */
#include "offload.h"

#include <errno.h>
#include <netinet/in.h>

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#define IPV6_HDR_LEN 40u
#define IPV6_MAX_EXT 4u        /* extension headers accepted before the L4 header */
#define IPV6_MAX_EXT_BYTES 256u

static const char *const reason_names[VS_OL_R_COUNT] = {
#define VS_OL_REASON_NAME(e, s) [VS_OL_R_##e] = s,
	VS_OL_REASONS(VS_OL_REASON_NAME)
#undef VS_OL_REASON_NAME
};

const char *vs_ol_reason_name(enum vs_ol_reason r)
{
	if ((unsigned int)r >= VS_OL_R_COUNT)
		return "unknown";
	return reason_names[r];
}

static int fail(struct vs_ol_info *info, enum vs_ol_reason r, int err)
{
	info->reason = r;
	return err;
}

/*
 * Can 'need' bytes from the frame start be read? The frame must be long enough (else 'trunc')
 * and they must be in the first segment (else HDR_SPLIT).
 */
static enum vs_ol_reason have(const struct rte_mbuf *m, uint32_t need, enum vs_ol_reason trunc)
{
	if (need > rte_pktmbuf_pkt_len(m))
		return trunc;
	if (need > rte_pktmbuf_data_len(m))
		return VS_OL_R_HDR_SPLIT;
	return VS_OL_R_OK;
}

#define HAVE(m, need, trunc)                                                                       \
	do {                                                                                       \
		enum vs_ol_reason r_ = have(m, need, trunc);                                       \
		if (r_ != VS_OL_R_OK)                                                              \
			return fail(info, r_, r_ == VS_OL_R_HDR_SPLIT ? -EPROTONOSUPPORT : -EINVAL);\
	} while (0)

/*
 * Check the IP length '*l3_total' (header + payload as the header says, or 0) against the bytes the
 * frame has after L2 ('avail'; 'frame' bytes in all). Sets info->pad_len and, for a 0 length
 * accepted by VS_OL_PARSE_LEN0, replaces it with 'avail'. Returns 0 or -EINVAL.
 */
static int ip_total(uint32_t *l3_total, uint32_t avail, uint32_t frame, unsigned int flags,
	struct vs_ol_info *info)
{
	if (*l3_total == 0 && (flags & VS_OL_PARSE_LEN0)) {
		info->flags |= VS_OL_F_LEN0;
		*l3_total = avail;
	}
	if (*l3_total > VS_OL_MAX_L3_LEN)
		return fail(info, VS_OL_R_TOO_LARGE, -EINVAL);
	if (*l3_total > avail)
		return fail(info, VS_OL_R_IP_LEN_OVER, -EINVAL);
	if (*l3_total < avail) {
		/* only a minimum-size frame may be padded */
		if (frame > VS_OL_MAX_PADDED_FRAME)
			return fail(info, VS_OL_R_IP_LEN_UNDER, -EINVAL);
		info->pad_len = (uint16_t)(avail - *l3_total);
	}
	return 0;
}

static int parse_l2(const struct rte_mbuf *m, struct vs_ol_info *info, uint16_t *ethertype)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t off = RTE_ETHER_HDR_LEN;
	uint16_t type;

	HAVE(m, off, VS_OL_R_TRUNC_L2);
	type = rte_be_to_cpu_16(*(const uint16_t *)(p + 12));
	while (type == RTE_ETHER_TYPE_VLAN || type == RTE_ETHER_TYPE_QINQ) {
		if (info->n_vlan == 2)
			return fail(info, VS_OL_R_TOO_MANY_TAGS, -EINVAL);
		HAVE(m, off + 4, VS_OL_R_TRUNC_L2);
		type = rte_be_to_cpu_16(*(const uint16_t *)(p + off + 2));
		off += 4;
		info->n_vlan++;
	}
	info->l2_len = (uint16_t)off;
	*ethertype = type;
	return 0;
}

static int parse_ipv4(const struct rte_mbuf *m, unsigned int flags, struct vs_ol_info *info,
	uint32_t *l3_total)
{
	const struct rte_ipv4_hdr *ip;
	uint32_t off = info->l2_len, ihl, total;
	uint16_t frag;

	HAVE(m, off + sizeof(*ip), VS_OL_R_TRUNC_L3);
	ip = rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, off);
	if ((ip->version_ihl >> 4) != 4)
		return fail(info, VS_OL_R_IP_VERSION, -EINVAL);
	ihl = (ip->version_ihl & 0xfu) * 4u;
	if (ihl < sizeof(*ip))
		return fail(info, VS_OL_R_IPV4_IHL, -EINVAL);
	HAVE(m, off + ihl, VS_OL_R_TRUNC_L3);
	info->l3_len = (uint16_t)ihl;
	info->flags |= VS_OL_F_IPV4;

	total = rte_be_to_cpu_16(ip->total_length);
	if (ip_total(&total, rte_pktmbuf_pkt_len(m) - off, rte_pktmbuf_pkt_len(m), flags, info))
		return -EINVAL;
	if (total < ihl)
		return fail(info, VS_OL_R_IP_LEN_SHORT, -EINVAL);
	frag = rte_be_to_cpu_16(ip->fragment_offset);
	if (frag & (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK))
		return fail(info, VS_OL_R_IP_FRAGMENT, -EPROTONOSUPPORT);
	info->l4_proto = ip->next_proto_id;
	*l3_total = total;
	return 0;
}

/*
 * IPv6 with at most IPV6_MAX_EXT Hop-by-Hop (first only) or Destination Options headers. Routing
 * headers are refused (the pseudo-header would need the final destination), as are Fragment, AH
 * and ESP.
 */
static int parse_ipv6(const struct rte_mbuf *m, unsigned int flags, struct vs_ol_info *info,
	uint32_t *l3_total)
{
	const struct rte_ipv6_hdr *ip6;
	uint32_t off = info->l2_len, total, hlen = IPV6_HDR_LEN;
	unsigned int n_ext = 0;
	uint8_t next;

	HAVE(m, off + IPV6_HDR_LEN, VS_OL_R_TRUNC_L3);
	ip6 = rte_pktmbuf_mtod_offset(m, const struct rte_ipv6_hdr *, off);
	if ((rte_be_to_cpu_32(ip6->vtc_flow) >> 28) != 6)
		return fail(info, VS_OL_R_IP_VERSION, -EINVAL);
	info->flags |= VS_OL_F_IPV6;
	total = rte_be_to_cpu_16(ip6->payload_len);
	/* payload length 0 stays 0 only for VS_OL_PARSE_LEN0: ip_total() takes the frame's length */
	if (total != 0 || !(flags & VS_OL_PARSE_LEN0))
		total += IPV6_HDR_LEN;
	if (ip_total(&total, rte_pktmbuf_pkt_len(m) - off, rte_pktmbuf_pkt_len(m), flags, info))
		return -EINVAL;
	if (total < IPV6_HDR_LEN)
		return fail(info, VS_OL_R_IP_LEN_SHORT, -EINVAL);

	next = ip6->proto;
	while (next == IPPROTO_HOPOPTS || next == IPPROTO_DSTOPTS) {
		const uint8_t *ext;
		uint32_t elen;

		if (n_ext == IPV6_MAX_EXT || (next == IPPROTO_HOPOPTS && n_ext != 0))
			return fail(info, VS_OL_R_IPV6_EXT, -EPROTONOSUPPORT);
		HAVE(m, off + hlen + 2, VS_OL_R_TRUNC_L3);
		ext = rte_pktmbuf_mtod_offset(m, const uint8_t *, off + hlen);
		elen = (ext[1] + 1u) * 8u;
		if (hlen - IPV6_HDR_LEN + elen > IPV6_MAX_EXT_BYTES)
			return fail(info, VS_OL_R_IPV6_EXT, -EPROTONOSUPPORT);
		if (hlen + elen > total)
			return fail(info, VS_OL_R_IP_LEN_SHORT, -EINVAL);
		HAVE(m, off + hlen + elen, VS_OL_R_TRUNC_L3);
		next = ext[0];
		hlen += elen;
		n_ext++;
	}
	if (next == IPPROTO_ROUTING || next == IPPROTO_FRAGMENT || next == IPPROTO_AH ||
		next == IPPROTO_ESP)
		return fail(info, VS_OL_R_IPV6_EXT, -EPROTONOSUPPORT);
	info->l3_len = (uint16_t)hlen;
	info->l4_proto = next;
	*l3_total = total;
	return 0;
}

static int parse_l4(const struct rte_mbuf *m, struct vs_ol_info *info, uint32_t l3_total)
{
	uint32_t off = (uint32_t)info->l2_len + info->l3_len;
	uint32_t l4_size = l3_total - info->l3_len; /* L4 header + payload per the IP length */

	if (info->l4_proto == IPPROTO_TCP) {
		const struct rte_tcp_hdr *th;
		uint32_t doff;

		if (l4_size < sizeof(*th))
			return fail(info, VS_OL_R_TRUNC_L4, -EINVAL);
		HAVE(m, off + sizeof(*th), VS_OL_R_TRUNC_L4);
		th = rte_pktmbuf_mtod_offset(m, const struct rte_tcp_hdr *, off);
		doff = (th->data_off >> 4) * 4u;
		if (doff < sizeof(*th))
			return fail(info, VS_OL_R_TCP_DOFF, -EINVAL);
		if (doff > l4_size)
			return fail(info, VS_OL_R_TRUNC_L4, -EINVAL);
		HAVE(m, off + doff, VS_OL_R_TRUNC_L4);
		info->l4_len = (uint16_t)doff;
		info->tcp_flags = th->tcp_flags;
		info->flags |= VS_OL_F_TCP;
	} else if (info->l4_proto == IPPROTO_UDP) {
		const struct rte_udp_hdr *uh;

		if (l4_size < sizeof(*uh))
			return fail(info, VS_OL_R_TRUNC_L4, -EINVAL);
		HAVE(m, off + sizeof(*uh), VS_OL_R_TRUNC_L4);
		uh = rte_pktmbuf_mtod_offset(m, const struct rte_udp_hdr *, off);
		if (rte_be_to_cpu_16(uh->dgram_len) != l4_size)
			return fail(info, VS_OL_R_UDP_LEN, -EINVAL);
		info->l4_len = sizeof(*uh);
		info->flags |= VS_OL_F_UDP;
	} else {
		return fail(info, VS_OL_R_L4_PROTO, -EPROTONOSUPPORT);
	}
	info->payload_len = l4_size - info->l4_len;
	info->frame_len = (uint32_t)info->l2_len + l3_total;
	return 0;
}

int vs_ol_parse(const struct rte_mbuf *m, unsigned int flags, struct vs_ol_info *info)
{
	uint32_t l3_total = 0;
	uint16_t type;
	int ret;

	*info = (struct vs_ol_info){.reason = VS_OL_R_OK};
	ret = parse_l2(m, info, &type);
	if (ret < 0)
		return ret;
	if (type == RTE_ETHER_TYPE_IPV4)
		ret = parse_ipv4(m, flags, info, &l3_total);
	else if (type == RTE_ETHER_TYPE_IPV6)
		ret = parse_ipv6(m, flags, info, &l3_total);
	else
		ret = fail(info, VS_OL_R_NOT_IP, -EPROTONOSUPPORT);
	if (ret < 0)
		return ret;
	return parse_l4(m, info, l3_total);
}
