/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Software TCP segmentation for IPv4 and IPv6. Each segment is a fresh copy (headers + its share
 * of the payload) in mbufs of the caller's pool, so the input frame stays untouched and the
 * checksums are computed over exactly the bytes that leave.
 */
#include "internal.h"

#include <errno.h>
#include <string.h>

/* Read position in a source chain: avoids rescanning the chain for every segment. */
struct src_cursor {
	const struct rte_mbuf *seg;
	uint32_t off; /* offset inside seg */
};

/* Position 'c' at frame offset 'off' (off < pkt_len). */
static void cursor_seek(struct src_cursor *c, const struct rte_mbuf *m, uint32_t off)
{
	const struct rte_mbuf *s = m;

	while (s && off >= s->data_len) {
		off -= s->data_len;
		s = s->next;
	}
	c->seg = s;
	c->off = off;
}

/* Copy 'len' bytes from the cursor to 'dst', advancing it. Returns 0 or -EINVAL (chain short). */
static int cursor_copy(struct src_cursor *c, uint8_t *dst, uint32_t len)
{
	while (len > 0) {
		uint32_t n;

		while (c->seg && c->off >= c->seg->data_len) {
			c->seg = c->seg->next;
			c->off = 0;
		}
		if (!c->seg)
			return -EINVAL;
		n = RTE_MIN(len, (uint32_t)c->seg->data_len - c->off);
		memcpy(dst, rte_pktmbuf_mtod_offset(c->seg, const uint8_t *, c->off), n);
		dst += n;
		len -= n;
		c->off += n;
	}
	return 0;
}

static int tso_fail(struct vs_ol_info *info, enum vs_ol_reason r, int err)
{
	info->reason = r;
	return err;
}

/* Validate an LSO request; returns the number of segments or -errno with info->reason set. */
static int tso_check(const struct rte_mbuf *m, struct vs_ol_info *info, uint32_t mss,
	uint16_t max_out, uint32_t room)
{
	uint32_t hdr = vs_ol_hdr_len(info), n;

	if (!(info->flags & VS_OL_F_TCP))
		return tso_fail(info, VS_OL_R_NOT_TCP, -EINVAL);
	if (mss == 0)
		return tso_fail(info, VS_OL_R_MSS_ZERO, -EINVAL);
	if (mss > VS_OL_MAX_L3_LEN - info->l3_len - info->l4_len)
		return tso_fail(info, VS_OL_R_MSS_LARGE, -EINVAL);
	if (info->tcp_flags & (RTE_TCP_SYN_FLAG | RTE_TCP_RST_FLAG | RTE_TCP_URG_FLAG))
		return tso_fail(info, VS_OL_R_TSO_FLAGS, -EINVAL);
	if (rte_pktmbuf_data_len(m) < hdr)
		return tso_fail(info, VS_OL_R_HDR_SPLIT, -EINVAL);
	if (rte_pktmbuf_pkt_len(m) < info->frame_len || hdr + info->payload_len != info->frame_len)
		return tso_fail(info, VS_OL_R_IP_LEN_OVER, -EINVAL);
	if (room < hdr)
		return tso_fail(info, VS_OL_R_NO_MBUF, -ENOMEM);
	n = info->payload_len == 0 ? 1 : (info->payload_len + mss - 1) / mss;
	if (n > max_out)
		return tso_fail(info, VS_OL_R_TOO_MANY_SEGS, -ENOSPC);
	return (int)n;
}

/*
 * Build segment 'idx' of 'n' ('pay' payload bytes read from 'c') in a new chain from 'pool'.
 * Returns the head or NULL (pool empty or source short; nothing left allocated).
 */
static struct rte_mbuf *build_seg(const struct rte_mbuf *m, const struct vs_ol_info *info,
	uint32_t mss, unsigned int idx, unsigned int n, uint32_t pay, struct src_cursor *c,
	struct rte_mempool *pool, uint32_t room)
{
	uint32_t hdr = vs_ol_hdr_len(info), left = pay;
	struct rte_mbuf *head = rte_pktmbuf_alloc(pool), *last;
	struct rte_tcp_hdr *th;
	uint8_t *p, *l3;

	if (!head)
		return NULL;
	p = (uint8_t *)rte_pktmbuf_append(head, hdr);
	memcpy(p, rte_pktmbuf_mtod(m, const uint8_t *), hdr);
	last = head;
	while (left > 0) {
		uint32_t n_copy;

		if (rte_pktmbuf_tailroom(last) == 0) {
			struct rte_mbuf *nx = rte_pktmbuf_alloc(pool);

			if (!nx)
				goto err_free;
			last->next = nx;
			head->nb_segs++;
			last = nx;
		}
		n_copy = RTE_MIN(left, (uint32_t)rte_pktmbuf_tailroom(last));
		n_copy = RTE_MIN(n_copy, room);
		if (cursor_copy(c, rte_pktmbuf_mtod_offset(last, uint8_t *, last->data_len), n_copy))
			goto err_free;
		last->data_len = (uint16_t)(last->data_len + n_copy);
		head->pkt_len += n_copy;
		left -= n_copy;
	}

	l3 = p + info->l2_len;
	th = (struct rte_tcp_hdr *)(l3 + info->l3_len);
	vs_ol_set_ip_len(l3, info, info->l4_len + pay);
	if (info->flags & VS_OL_F_IPV4) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)l3;

		ip->packet_id = rte_cpu_to_be_16((uint16_t)(rte_be_to_cpu_16(ip->packet_id) + idx));
		vs_ol_ipv4_cksum_set(l3, info);
	}
	th->sent_seq = rte_cpu_to_be_32(rte_be_to_cpu_32(th->sent_seq) + idx * mss);
	if (idx + 1 != n)
		th->tcp_flags &= (uint8_t)~(RTE_TCP_FIN_FLAG | RTE_TCP_PSH_FLAG);
	if (idx != 0)
		th->tcp_flags &= (uint8_t)~RTE_TCP_CWR_FLAG;
	if (vs_ol_l4_cksum_set(head, info, info->l4_len + pay) < 0)
		goto err_free;

	head->port = m->port;
	head->vlan_tci = m->vlan_tci;
	head->vlan_tci_outer = m->vlan_tci_outer;
	head->ol_flags = m->ol_flags & (RTE_MBUF_F_TX_VLAN | RTE_MBUF_F_TX_QINQ);
	head->packet_type = m->packet_type;
	head->l2_len = info->l2_len;
	head->l3_len = info->l3_len;
	head->l4_len = info->l4_len;
	return head;

err_free:
	rte_pktmbuf_free(head);
	return NULL;
}

int vs_ol_tso_segment(const struct rte_mbuf *m, struct vs_ol_info *info, uint32_t mss,
	struct rte_mempool *pool, struct rte_mbuf **out, uint16_t max_out)
{
	uint32_t room = rte_pktmbuf_data_room_size(pool) - RTE_PKTMBUF_HEADROOM;
	uint32_t left = info->payload_len;
	struct src_cursor c;
	int n, i;

	n = tso_check(m, info, mss, max_out, room);
	if (n < 0)
		return n;
	cursor_seek(&c, m, vs_ol_hdr_len(info));
	for (i = 0; i < n; i++) {
		uint32_t pay = RTE_MIN(left, mss);

		out[i] = build_seg(m, info, mss, (unsigned int)i, (unsigned int)n, pay, &c, pool,
			room);
		if (!out[i]) {
			while (i-- > 0)
				rte_pktmbuf_free(out[i]);
			return tso_fail(info, VS_OL_R_NO_MBUF, -ENOMEM);
		}
		left -= pay;
	}
	info->reason = VS_OL_R_OK;
	return n;
}
