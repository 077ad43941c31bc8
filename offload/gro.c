/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Receive coalescing of TCP/IPv4 and TCP/IPv6 segments, with the merge rules of Linux GRO and
 * Windows RSC:
 *   - same flow: identical L2 header (MACs, VLAN tags), addresses and ports;
 *   - in order: sequence number = the end of what is held (anything else, retransmissions and
 *     out-of-order segments included, flushes the flow and passes through unchanged);
 *   - same ACK number, same TCP header length and identical options, except that the timestamp
 *     option's TSval may advance (never go back); the merged header keeps the first segment's
 *     TSval, the value a delayed-ACK receiver echoes (RFC 7323 section 4.3);
 *   - only ACK (required) and PSH flags; a PSH segment is merged and ends the frame;
 *   - non-zero payload no larger than the first segment's (the MSS reported); a shorter segment
 *     is merged and ends the frame;
 *   - valid IPv4 header and TCP checksums; IPv4 without options, same TOS, TTL and DF, ID
 *     incrementing by one (or constant with DF); IPv6 without extension headers, same traffic
 *     class, flow label and hop limit;
 *   - the frame's bounds: max_bytes of IP packet and max_segs segments.
 * A segment that fails a rule other than the sequence number flushes the flow and starts a new
 * one. The window of the merged header is the last segment's.
 *
 * Merged payloads are chained without copying (the later segments' headers are trimmed off);
 * the TCP checksum of the result is computed from the payload sums taken while verifying each
 * segment, so no byte is summed twice.
 */
#include "internal.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/queue.h>

#include <rte_errno.h>
#include <rte_ether.h>
#include <rte_malloc.h>
#include <rte_mbuf_dyn.h>

#define GRO_MAX_FLOWS 1024u
#define GRO_MAX_SEGS 1024u
#define TCPOPT_NOP 1u
#define TCPOPT_EOL 0u
#define TCPOPT_TS 8u
#define TCPOLEN_TS 10u

int vs_ol_gro_segs_offset = -1;

struct gro_flow {
	TAILQ_ENTRY(gro_flow) next; /* in ctx->active (oldest first) or ctx->free */
	struct rte_mbuf *head;      /* held frame: first segment with its headers */
	struct rte_mbuf *tail;      /* last mbuf of the chain */
	struct vs_ol_info info;     /* of the first segment */
	uint32_t hash;              /* flow hash, compared before the key */
	uint32_t next_seq;          /* sequence number the next segment must have */
	uint32_t l3_total;          /* IP packet length of the merged frame */
	uint32_t pay_len;           /* merged payload bytes */
	uint32_t pay_sum;           /* unfolded one's complement sum of the merged payload */
	uint32_t last_tsval;        /* TSval of the last merged segment */
	uint16_t n_segs;            /* segments merged */
	uint16_t mss;               /* payload of the first segment */
	uint16_t last_ip_id;        /* IPv4 ID of the last merged segment */
	uint16_t window;            /* window of the last merged segment (network order) */
	uint8_t ts_off;             /* offset of the TS option in the TCP header, 0 if none */
	uint8_t psh;                /* PSH seen */
};

struct vs_ol_gro {
	struct vs_ol_gro_params params;
	TAILQ_HEAD(, gro_flow) active;
	TAILQ_HEAD(, gro_flow) free;
	uint16_t n_active;
	struct gro_flow flows[]; /* params.max_flows */
};

/* Per-frame facts gro_input() works with. */
struct gro_pkt {
	struct rte_mbuf *m;
	struct vs_ol_info info;
	const uint8_t *l2;
	const uint8_t *l3;
	const struct rte_tcp_hdr *th;
	uint32_t hash;
	uint32_t pay_sum; /* unfolded sum of the payload */
	uint32_t tsval;
	uint8_t ts_off;
};

struct vs_ol_gro *vs_ol_gro_create(const struct vs_ol_gro_params *params, int socket_id)
{
	static const struct rte_mbuf_dynfield segs_field = {
		.name = "vs_ol_gro_segs",
		.size = sizeof(uint16_t),
		.align = __alignof__(uint16_t),
	};
	struct vs_ol_gro *ctx;
	int off;

	if (!params || params->max_flows == 0 || params->max_flows > GRO_MAX_FLOWS ||
		params->max_segs < 2 || params->max_segs > GRO_MAX_SEGS ||
		params->max_bytes > VS_OL_MAX_L3_LEN || params->max_bytes < 128) {
		errno = EINVAL;
		return NULL;
	}
	off = rte_mbuf_dynfield_register(&segs_field);
	if (off < 0) {
		errno = rte_errno ? rte_errno : ENOMEM;
		return NULL;
	}
	vs_ol_gro_segs_offset = off;
	ctx = rte_zmalloc_socket("vs_ol_gro",
		sizeof(*ctx) + (size_t)params->max_flows * sizeof(ctx->flows[0]), 0, socket_id);
	if (!ctx) {
		errno = ENOMEM;
		return NULL;
	}
	ctx->params = *params;
	TAILQ_INIT(&ctx->active);
	TAILQ_INIT(&ctx->free);
	for (unsigned int i = 0; i < params->max_flows; i++)
		TAILQ_INSERT_TAIL(&ctx->free, &ctx->flows[i], next);
	return ctx;
}

void vs_ol_gro_destroy(struct vs_ol_gro *ctx)
{
	struct gro_flow *f;

	if (!ctx)
		return;
	TAILQ_FOREACH(f, &ctx->active, next)
		rte_pktmbuf_free(f->head);
	rte_free(ctx);
}

uint16_t vs_ol_gro_pending(const struct vs_ol_gro *ctx)
{
	return ctx->n_active;
}

/* Software checksum result as DPDK receive flags. */
static void set_rx_cksum(struct rte_mbuf *m, const struct vs_ol_info *info, unsigned int ok)
{
	m->ol_flags &= ~(RTE_MBUF_F_RX_IP_CKSUM_MASK | RTE_MBUF_F_RX_L4_CKSUM_MASK);
	if (info->flags & VS_OL_F_IPV4)
		m->ol_flags |= (ok & VS_OL_CSUM_IP_OK) ? RTE_MBUF_F_RX_IP_CKSUM_GOOD :
			RTE_MBUF_F_RX_IP_CKSUM_BAD;
	/* IPv6 has no header checksum: the IP flags stay UNKNOWN */
	m->ol_flags |= (ok & VS_OL_CSUM_L4_OK) ? RTE_MBUF_F_RX_L4_CKSUM_GOOD :
		RTE_MBUF_F_RX_L4_CKSUM_BAD;
}

static uint32_t flow_hash(const struct gro_pkt *p)
{
	uint32_t h = 0x9e3779b9u, w;
	size_t alen = (p->info.flags & VS_OL_F_IPV4) ? 8 : 32;
	const uint8_t *a = p->l3 + ((p->info.flags & VS_OL_F_IPV4) ? 12 : 8);

	for (size_t i = 0; i < alen; i += 4) {
		memcpy(&w, a + i, 4);
		h = (h ^ w) * 0x01000193u;
	}
	memcpy(&w, p->th, 4); /* ports */
	h = (h ^ w) * 0x01000193u;
	return h ^ (h >> 16);
}

/* Same flow: same L2 header, addresses and ports (the first segment's headers are kept). */
static bool same_flow(const struct gro_flow *f, const struct gro_pkt *p)
{
	const uint8_t *fl2 = rte_pktmbuf_mtod(f->head, const uint8_t *);
	const uint8_t *fl3 = fl2 + f->info.l2_len;
	const uint8_t *fl4 = fl3 + f->info.l3_len;
	bool v4 = p->info.flags & VS_OL_F_IPV4;

	if (f->hash != p->hash || f->info.l2_len != p->info.l2_len ||
		(f->info.flags & VS_OL_F_IPV4) != (p->info.flags & VS_OL_F_IPV4))
		return false;
	if (memcmp(fl2, p->l2, p->info.l2_len) != 0)
		return false;
	/* a tag the NIC stripped is part of the flow too */
	if ((f->head->ol_flags ^ p->m->ol_flags) & RTE_MBUF_F_RX_VLAN_STRIPPED ||
		((p->m->ol_flags & RTE_MBUF_F_RX_VLAN_STRIPPED) && f->head->vlan_tci != p->m->vlan_tci))
		return false;
	if (memcmp(fl3 + (v4 ? 12 : 8), p->l3 + (v4 ? 12 : 8), v4 ? 8 : 32) != 0)
		return false;
	return memcmp(fl4, p->th, 4) == 0;
}

static struct gro_flow *flow_lookup(struct vs_ol_gro *ctx, const struct gro_pkt *p)
{
	struct gro_flow *f;

	TAILQ_FOREACH(f, &ctx->active, next) {
		if (same_flow(f, p))
			return f;
	}
	return NULL;
}

/* Offset of a well-formed timestamp option in the TCP header, or 0. */
static uint8_t find_ts(const struct rte_tcp_hdr *th, uint32_t thlen)
{
	const uint8_t *o = (const uint8_t *)th;
	uint32_t i = sizeof(*th);

	while (i < thlen) {
		if (o[i] == TCPOPT_EOL)
			break;
		if (o[i] == TCPOPT_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= thlen || o[i + 1] < 2 || i + o[i + 1] > thlen)
			break;
		if (o[i] == TCPOPT_TS && o[i + 1] == TCPOLEN_TS)
			return (uint8_t)i;
		i += o[i + 1];
	}
	return 0;
}

/*
 * Parse and verify a received frame. Returns true when it is a coalescing candidate (the frame's
 * checksum flags are set either way).
 */
static bool gro_classify(struct gro_pkt *p, struct rte_mbuf *m)
{
	const struct vs_ol_info *info = &p->info;
	uint32_t hdr, thsum, l4_size;
	uint16_t psum = 0;

	p->m = m;
	p->th = NULL;
	if (vs_ol_parse(m, 0, &p->info) < 0) {
		m->ol_flags &= ~(RTE_MBUF_F_RX_IP_CKSUM_MASK | RTE_MBUF_F_RX_L4_CKSUM_MASK);
		return false;
	}
	p->l2 = rte_pktmbuf_mtod(m, const uint8_t *);
	p->l3 = p->l2 + info->l2_len;
	if (!(info->flags & VS_OL_F_TCP)) {
		set_rx_cksum(m, info, vs_ol_csum_verify(m, info));
		return false;
	}
	p->th = (const struct rte_tcp_hdr *)(p->l3 + info->l3_len);
	p->hash = flow_hash(p);
	p->tsval = 0;
	p->ts_off = 0;
	hdr = vs_ol_hdr_len(info);
	l4_size = (uint32_t)info->l4_len + info->payload_len;
	/* the TCP checksum as header sum + payload sum, keeping the payload sum for merging */
	if (info->payload_len > 0 && vs_ol_sum_mbuf(m, hdr, info->payload_len, &psum) < 0) {
		set_rx_cksum(m, info, 0);
		return false;
	}
	p->pay_sum = psum;
	thsum = rte_raw_cksum(p->th, info->l4_len);
	{
		unsigned int ok = 0;

		if (!(info->flags & VS_OL_F_IPV4) || rte_raw_cksum(p->l3, info->l3_len) == 0xffff)
			ok |= VS_OL_CSUM_IP_OK;
		if (vs_ol_fold(vs_ol_phdr_sum(p->l3, info, l4_size) + thsum + psum) == 0xffff)
			ok |= VS_OL_CSUM_L4_OK;
		set_rx_cksum(m, info, ok);
		if (ok != (VS_OL_CSUM_IP_OK | VS_OL_CSUM_L4_OK))
			goto not_candidate;
	}
	if (info->l3_len != ((info->flags & VS_OL_F_IPV4) ? 20 : 40))
		goto not_candidate;
	if ((info->tcp_flags & ~(RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG)) ||
		!(info->tcp_flags & RTE_TCP_ACK_FLAG) || info->payload_len == 0 || info->pad_len)
		goto not_candidate;
	p->ts_off = find_ts(p->th, info->l4_len);
	if (p->ts_off) {
		memcpy(&p->tsval, (const uint8_t *)p->th + p->ts_off + 2, 4);
		p->tsval = rte_be_to_cpu_32(p->tsval);
	}
	return true;

not_candidate:
	return false;
}

/* Write the merged headers of a flow's frame and return it. */
static struct rte_mbuf *flow_finish(struct gro_flow *f)
{
	struct rte_mbuf *m = f->head;
	const struct vs_ol_info *info = &f->info;
	uint8_t *l3 = rte_pktmbuf_mtod_offset(m, uint8_t *, info->l2_len);
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(l3 + info->l3_len);
	uint32_t l4_size = info->l4_len + f->pay_len;

	if (f->n_segs < 2)
		return m; /* unchanged, checksum flags already set */
	vs_ol_set_ip_len(l3, info, l4_size);
	if (info->flags & VS_OL_F_IPV4)
		vs_ol_ipv4_cksum_set(l3, info);
	if (f->psh)
		th->tcp_flags |= RTE_TCP_PSH_FLAG;
	th->rx_win = f->window;
	th->cksum = 0;
	th->cksum = (uint16_t)~vs_ol_fold(vs_ol_phdr_sum(l3, info, l4_size) +
		rte_raw_cksum(th, info->l4_len) + vs_ol_fold(f->pay_sum));
	m->ol_flags |= RTE_MBUF_F_RX_LRO;
	m->tso_segsz = f->mss;
	*RTE_MBUF_DYNFIELD(m, vs_ol_gro_segs_offset, uint16_t *) = f->n_segs;
	m->l2_len = info->l2_len;
	m->l3_len = info->l3_len;
	m->l4_len = info->l4_len;
	return m;
}

static void flow_release(struct vs_ol_gro *ctx, struct gro_flow *f)
{
	TAILQ_REMOVE(&ctx->active, f, next);
	TAILQ_INSERT_HEAD(&ctx->free, f, next);
	ctx->n_active--;
	f->head = NULL;
}

static struct rte_mbuf *flow_flush(struct vs_ol_gro *ctx, struct gro_flow *f)
{
	struct rte_mbuf *m = flow_finish(f);

	flow_release(ctx, f);
	return m;
}

/* Would this segment end the frame (PSH, short, or a bound reached)? */
static bool flow_full(const struct vs_ol_gro *ctx, const struct gro_flow *f, uint32_t pay)
{
	return f->psh || pay < f->mss || f->n_segs >= ctx->params.max_segs ||
		f->l3_total + f->mss > ctx->params.max_bytes;
}

/* Start holding 'p' in a free flow (the caller made room). Returns the flow. */
static struct gro_flow *flow_start(struct vs_ol_gro *ctx, struct gro_pkt *p)
{
	struct gro_flow *f = TAILQ_FIRST(&ctx->free);
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)p->l3;

	TAILQ_REMOVE(&ctx->free, f, next);
	TAILQ_INSERT_TAIL(&ctx->active, f, next);
	ctx->n_active++;
	f->head = p->m;
	f->tail = rte_pktmbuf_lastseg(p->m);
	f->info = p->info;
	f->hash = p->hash;
	f->next_seq = rte_be_to_cpu_32(p->th->sent_seq) + p->info.payload_len;
	f->l3_total = (uint32_t)p->info.l3_len + p->info.l4_len + p->info.payload_len;
	f->pay_len = p->info.payload_len;
	f->pay_sum = p->pay_sum;
	f->last_tsval = p->tsval;
	f->n_segs = 1;
	f->mss = (uint16_t)p->info.payload_len;
	f->last_ip_id = (p->info.flags & VS_OL_F_IPV4) ? rte_be_to_cpu_16(ip->packet_id) : 0;
	f->window = p->th->rx_win;
	f->ts_off = p->ts_off;
	f->psh = !!(p->info.tcp_flags & RTE_TCP_PSH_FLAG);
	return f;
}

/* May 'p' (in sequence) be appended to 'f'? */
static bool can_merge(const struct vs_ol_gro *ctx, const struct gro_flow *f,
	const struct gro_pkt *p)
{
	const uint8_t *fl3 = rte_pktmbuf_mtod_offset(f->head, const uint8_t *, f->info.l2_len);
	const struct rte_tcp_hdr *fth = (const struct rte_tcp_hdr *)(fl3 + f->info.l3_len);
	uint32_t pay = p->info.payload_len;

	if (p->info.l4_len != f->info.l4_len || p->th->recv_ack != fth->recv_ack)
		return false;
	if (pay > f->mss || f->l3_total + pay > ctx->params.max_bytes ||
		f->n_segs >= ctx->params.max_segs ||
		(uint32_t)f->head->nb_segs + p->m->nb_segs > RTE_MBUF_MAX_NB_SEGS)
		return false;
	if (p->info.flags & VS_OL_F_IPV4) {
		const struct rte_ipv4_hdr *a = (const struct rte_ipv4_hdr *)fl3;
		const struct rte_ipv4_hdr *b = (const struct rte_ipv4_hdr *)p->l3;
		uint16_t id = rte_be_to_cpu_16(b->packet_id);
		bool df = b->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);

		if (a->type_of_service != b->type_of_service || a->time_to_live != b->time_to_live ||
			a->fragment_offset != b->fragment_offset)
			return false;
		if (id != (uint16_t)(f->last_ip_id + 1) && !(df && id == f->last_ip_id))
			return false;
	} else if (memcmp(fl3, p->l3, 4) != 0 || fl3[7] != p->l3[7]) {
		return false; /* version, traffic class, flow label; hop limit */
	}
	/* options: identical except an advancing TSval */
	if (p->ts_off != f->ts_off)
		return false;
	if (!p->ts_off)
		return memcmp(fth + 1, p->th + 1, p->info.l4_len - sizeof(*fth)) == 0;
	if ((int32_t)(p->tsval - f->last_tsval) < 0)
		return false;
	return memcmp(fth + 1, p->th + 1, p->ts_off + 2u - sizeof(*fth)) == 0 &&
		memcmp((const uint8_t *)fth + p->ts_off + 6, (const uint8_t *)p->th + p->ts_off + 6,
			p->info.l4_len - p->ts_off - 6u) == 0;
}

/* Append the payload of 'p' to 'f' (headers trimmed, mbufs chained, sums combined). */
static void flow_append(struct gro_flow *f, struct gro_pkt *p)
{
	struct rte_mbuf *m = p->m;
	uint32_t pay = p->info.payload_len;
	uint16_t psum = vs_ol_fold(p->pay_sum);

	f->window = p->th->rx_win;
	f->next_seq += pay;
	f->last_tsval = p->tsval;
	if (p->info.flags & VS_OL_F_IPV4)
		f->last_ip_id = rte_be_to_cpu_16(((const struct rte_ipv4_hdr *)p->l3)->packet_id);
	if (p->info.tcp_flags & RTE_TCP_PSH_FLAG)
		f->psh = 1;
	/* a payload that starts at an odd offset of the merged payload adds byte-swapped */
	f->pay_sum += (f->pay_len & 1) ? vs_ol_swap16(psum) : psum;
	f->pay_len += pay;
	f->l3_total += pay;
	f->n_segs++;

	rte_pktmbuf_adj(m, (uint16_t)vs_ol_hdr_len(&p->info));
	if (m->data_len == 0 && m->next) {
		/* the first mbuf held only headers: drop it from the chain */
		struct rte_mbuf *rest = m->next;

		rest->pkt_len = m->pkt_len;
		rest->nb_segs = (uint16_t)(m->nb_segs - 1);
		m->next = NULL;
		m->nb_segs = 1;
		rte_pktmbuf_free_seg(m);
		m = rest;
	}
	f->tail->next = m;
	f->head->nb_segs = (uint16_t)(f->head->nb_segs + m->nb_segs);
	f->head->pkt_len += m->pkt_len;
	f->tail = rte_pktmbuf_lastseg(m);
}

int vs_ol_gro_input(struct vs_ol_gro *ctx, struct rte_mbuf **pkts, uint16_t n,
	struct rte_mbuf **out, uint16_t max_out)
{
	uint16_t n_out = 0;

	if (max_out < VS_OL_GRO_OUT_MAX(n))
		return -EINVAL;
	for (uint16_t i = 0; i < n; i++) {
		struct gro_pkt p;
		bool cand = gro_classify(&p, pkts[i]);
		struct gro_flow *f = p.th ? flow_lookup(ctx, &p) : NULL;
		bool in_seq = f && rte_be_to_cpu_32(p.th->sent_seq) == f->next_seq;

		if (f && cand && in_seq && can_merge(ctx, f, &p)) {
			flow_append(f, &p);
			if (flow_full(ctx, f, p.info.payload_len))
				out[n_out++] = flow_flush(ctx, f);
			continue;
		}
		if (f)
			out[n_out++] = flow_flush(ctx, f);
		/* out of order, retransmitted or not mergeable at all: passes unchanged */
		if (!cand || (f && !in_seq)) {
			out[n_out++] = pkts[i];
			continue;
		}
		/* a lone segment that would end its frame at once is not held */
		if (p.info.tcp_flags & RTE_TCP_PSH_FLAG) {
			out[n_out++] = pkts[i];
			continue;
		}
		if (TAILQ_EMPTY(&ctx->free))
			out[n_out++] = flow_flush(ctx, TAILQ_FIRST(&ctx->active));
		f = flow_start(ctx, &p);
		/* a first segment that leaves no room for a second is not held either */
		if (flow_full(ctx, f, p.info.payload_len))
			out[n_out++] = flow_flush(ctx, f);
	}
	return n_out;
}

uint16_t vs_ol_gro_flush(struct vs_ol_gro *ctx, struct rte_mbuf **out, uint16_t max_out)
{
	uint16_t n_out = 0;

	while (n_out < max_out && !TAILQ_EMPTY(&ctx->active))
		out[n_out++] = flow_flush(ctx, TAILQ_FIRST(&ctx->active));
	return n_out;
}
