/* SPDX-License-Identifier: BSD-3-Clause */
/* vs_ol_gro_*(): merged frames checked against hand-built segments (headers, checksums with the
 * tests' own RFC 1071 sum, payload bytes, RSC metadata); frames that must not merge come out
 * byte for byte unchanged. */
#include "offload.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include <rte_mbuf.h>

#include "test_eal.h"
#include "test_pkt.h"

#define OUT_MAX 64

static struct rte_mempool *pool;
static uint8_t buf[T_MAX_FRAME], flat[T_MAX_FRAME];

/* One TCP flow's segments: 'off' is the stream offset of the payload (seq = seq0 + off). */
struct tflow {
	struct tpkt t;
	uint8_t opts[12];
	uint32_t seq0;
};

static void tflow_init(struct tflow *f, int ipv6, int n_vlan, int ts, uint8_t src)
{
	memset(f, 0, sizeof(*f));
	f->t.ipv6 = ipv6;
	f->t.n_vlan = n_vlan;
	f->t.proto = 6;
	f->t.ack = 0xabcdef01u;
	f->t.src_last = src;
	f->seq0 = 0xfffff000u; /* the stream wraps the sequence space */
	if (ts) {
		static const uint8_t o[12] = {1, 1, 8, 10, 0, 0, 0, 0, 0, 0, 0x55, 0x66};

		memcpy(f->opts, o, sizeof(o));
		f->t.opts = f->opts;
		f->t.opts_len = 12;
	}
}

/* Build segment [off, off + len) with the given flags, IP ID, TSval and window. */
static struct rte_mbuf *fseg_ex(struct tflow *f, uint32_t off, uint32_t len, uint8_t flags,
	uint16_t ip_id, uint32_t tsval, uint16_t win, size_t first, size_t *size)
{
	struct rte_mbuf *m;
	size_t n;

	f->t.seq = f->seq0 + off;
	f->t.pay_off = off;
	f->t.pay_len = len;
	f->t.tcp_flags = flags;
	f->t.ip_id = ip_id;
	f->t.win = win;
	if (f->t.opts_len)
		t_put32(f->opts + 4, tsval);
	n = tpkt_build(buf, &f->t);
	m = t_mbuf(pool, buf, n, first, 2048);
	assert_non_null(m);
	if (size)
		*size = n;
	return m;
}

/* The k-th full segment of size 'mss': IP ID 100 + k, TSval 1000 + k, window 1000 + k. */
static struct rte_mbuf *fseg(struct tflow *f, uint32_t k, uint32_t mss, uint8_t flags)
{
	return fseg_ex(f, k * mss, mss, flags, (uint16_t)(100 + k), 1000 + k, (uint16_t)(1000 + k),
		2048, NULL);
}

/* Check a merged frame: payload [off, off + len) of 'f', 'n' segments of 'mss'. */
static void check_merged(struct rte_mbuf *m, struct tflow *f, uint32_t off, uint32_t len,
	uint16_t n, uint16_t mss, uint8_t flags, uint32_t tsval, uint16_t win, uint16_t ip_id)
{
	size_t l2 = t_l2(f->t.n_vlan), l3 = f->t.ipv6 ? 40 : 20, l4 = 20 + f->t.opts_len;
	size_t hdr = l2 + l3 + l4, flen = t_flat(m, flat);
	const uint8_t *ip = flat + l2, *th = ip + l3;

	assert_int_equal(flen, m->pkt_len);
	assert_int_equal(flen, hdr + len);
	assert_true(t_csum_ok(flat, flen, f->t.n_vlan, f->t.ipv6, l3));
	if (f->t.ipv6) {
		assert_int_equal(t_get16(ip + 4), flen - l2 - 40);
	} else {
		assert_int_equal(t_get16(ip + 2), flen - l2);
		assert_int_equal(t_get16(ip + 4), ip_id);
	}
	assert_int_equal(t_get32(th + 4), f->seq0 + off);
	assert_int_equal(t_get32(th + 8), f->t.ack);
	assert_int_equal(th[13], flags);
	assert_int_equal(t_get16(th + 14), win);
	if (f->t.opts_len) {
		assert_int_equal(t_get32(th + 24), tsval);
		assert_int_equal(t_get32(th + 28), 0x5566);
	}
	for (uint32_t k = 0; k < len; k++) {
		if (flat[hdr + k] != t_pay(off + k))
			fail_msg("payload byte %u", k);
	}
	if (n > 1) {
		assert_true(m->ol_flags & RTE_MBUF_F_RX_LRO);
		assert_int_equal(m->tso_segsz, mss);
	} else {
		assert_false(m->ol_flags & RTE_MBUF_F_RX_LRO);
	}
	assert_int_equal(vs_ol_gro_segs(m), n);
	assert_int_equal(m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK, RTE_MBUF_F_RX_L4_CKSUM_GOOD);
	assert_int_equal(m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK,
		f->t.ipv6 ? RTE_MBUF_F_RX_IP_CKSUM_UNKNOWN : RTE_MBUF_F_RX_IP_CKSUM_GOOD);
}

/* Check that 'm' is byte for byte the frame last built into 'ref'. */
static void check_same(struct rte_mbuf *m, const uint8_t *ref, size_t len)
{
	assert_int_equal(t_flat(m, flat), len);
	assert_memory_equal(flat, ref, len);
	assert_int_equal(vs_ol_gro_segs(m), 1);
}

static struct vs_ol_gro *mkctx(uint16_t flows, uint32_t bytes, uint16_t segs)
{
	struct vs_ol_gro_params p = {.max_flows = flows, .max_bytes = bytes, .max_segs = segs};
	struct vs_ol_gro *ctx = vs_ol_gro_create(&p, SOCKET_ID_ANY);

	assert_non_null(ctx);
	return ctx;
}

static int input1(struct vs_ol_gro *ctx, struct rte_mbuf *m, struct rte_mbuf **out)
{
	return vs_ol_gro_input(ctx, &m, 1, out, OUT_MAX);
}

static void free_all(struct rte_mbuf **out, int n)
{
	for (int i = 0; i < n; i++)
		rte_pktmbuf_free(out[i]);
}

static void gro_ipv4_in_order_merged(void **state)
{
	struct vs_ol_gro *ctx = mkctx(8, 65535, 64);
	unsigned int avail = rte_mempool_avail_count(pool);
	struct rte_mbuf *in[4], *out[OUT_MAX];
	struct tflow f;

	tflow_init(&f, 0, 0, 1, 1);
	for (uint32_t k = 0; k < 4; k++)
		in[k] = fseg(&f, k, 1001, 0x10);
	assert_int_equal(vs_ol_gro_input(ctx, in, 4, out, OUT_MAX), 0);
	assert_int_equal(vs_ol_gro_pending(ctx), 1);
	assert_int_equal(vs_ol_gro_flush(ctx, out, OUT_MAX), 1);
	assert_int_equal(vs_ol_gro_pending(ctx), 0);
	/* first TSval and IP ID, last window, 4 segments of MSS 1001 (odd: byte-swapped sums) */
	check_merged(out[0], &f, 0, 4004, 4, 1001, 0x10, 1000, 1003, 100);
	rte_pktmbuf_free(out[0]);
	assert_int_equal(rte_mempool_avail_count(pool), avail);
	vs_ol_gro_destroy(ctx);
}

static void gro_ipv6_vlan_psh_ends_frame(void **state)
{
	struct vs_ol_gro *ctx = mkctx(8, 65535, 64);
	struct rte_mbuf *out[OUT_MAX];
	struct tflow f;

	tflow_init(&f, 1, 1, 1, 1);
	assert_int_equal(input1(ctx, fseg(&f, 0, 1200, 0x10), out), 0);
	assert_int_equal(input1(ctx, fseg(&f, 1, 1200, 0x10), out), 0);
	assert_int_equal(input1(ctx, fseg(&f, 2, 1200, 0x18), out), 1);
	check_merged(out[0], &f, 0, 3600, 3, 1200, 0x18, 1000, 1002, 0);
	assert_int_equal(vs_ol_gro_pending(ctx), 0);
	rte_pktmbuf_free(out[0]);
	/* a lone PSH segment is not held */
	assert_int_equal(input1(ctx, fseg(&f, 3, 1200, 0x18), out), 1);
	check_merged(out[0], &f, 3600, 1200, 1, 1200, 0x18, 1003, 1003, 0);
	rte_pktmbuf_free(out[0]);
	vs_ol_gro_destroy(ctx);
}

/* Two tags, chained inputs, one whose first mbuf holds exactly the headers. */
static void gro_qinq_chained_segments(void **state)
{
	struct vs_ol_gro *ctx = mkctx(8, 65535, 64);
	struct rte_mbuf *out[OUT_MAX];
	struct tflow f;
	size_t hdr = 22 + 20 + 32;

	tflow_init(&f, 0, 2, 1, 1);
	assert_int_equal(input1(ctx, fseg_ex(&f, 0, 3000, 0x10, 1, 5, 9, 100, NULL), out), 0);
	assert_int_equal(input1(ctx, fseg_ex(&f, 3000, 3000, 0x10, 2, 5, 9, hdr, NULL), out), 0);
	assert_int_equal(input1(ctx, fseg_ex(&f, 6000, 3000, 0x10, 3, 6, 9, hdr + 1, NULL), out),
		0);
	assert_int_equal(vs_ol_gro_flush(ctx, out, OUT_MAX), 1);
	check_merged(out[0], &f, 0, 9000, 3, 3000, 0x10, 5, 9, 1);
	rte_pktmbuf_free(out[0]);
	vs_ol_gro_destroy(ctx);
}

static void gro_short_segment_ends_frame(void **state)
{
	struct vs_ol_gro *ctx = mkctx(8, 65535, 64);
	struct rte_mbuf *out[OUT_MAX];
	struct tflow f;

	tflow_init(&f, 0, 0, 0, 1);
	assert_int_equal(input1(ctx, fseg(&f, 0, 1000, 0x10), out), 0);
	assert_int_equal(input1(ctx, fseg_ex(&f, 1000, 400, 0x10, 101, 0, 7, 2048, NULL), out), 1);
	check_merged(out[0], &f, 0, 1400, 2, 1000, 0x10, 0, 7, 100);
	rte_pktmbuf_free(out[0]);
	/* a segment larger than the first is not merged: flush, then held on its own */
	assert_int_equal(input1(ctx, fseg_ex(&f, 1400, 500, 0x10, 102, 0, 7, 2048, NULL), out), 0);
	assert_int_equal(input1(ctx, fseg_ex(&f, 1900, 600, 0x10, 103, 0, 7, 2048, NULL), out), 1);
	check_merged(out[0], &f, 1400, 500, 1, 500, 0x10, 0, 7, 102);
	rte_pktmbuf_free(out[0]);
	assert_int_equal(vs_ol_gro_flush(ctx, out, OUT_MAX), 1);
	check_merged(out[0], &f, 1900, 600, 1, 600, 0x10, 0, 7, 103);
	rte_pktmbuf_free(out[0]);
	vs_ol_gro_destroy(ctx);
}

static void gro_out_of_order_and_retransmit_not_merged(void **state)
{
	struct vs_ol_gro *ctx = mkctx(8, 65535, 64);
	struct rte_mbuf *out[OUT_MAX], *m;
	static uint8_t ref[4096];
	struct tflow f;
	size_t len;

	tflow_init(&f, 0, 1, 1, 1);
	/* 0, then 2: 0 is flushed alone, 2 passes unchanged */
	assert_int_equal(input1(ctx, fseg(&f, 0, 1000, 0x10), out), 0);
	m = fseg_ex(&f, 2000, 1000, 0x10, 102, 1002, 1002, 2048, &len);
	memcpy(ref, buf, len);
	assert_int_equal(input1(ctx, m, out), 2);
	check_merged(out[0], &f, 0, 1000, 1, 1000, 0x10, 1000, 1000, 100);
	check_same(out[1], ref, len);
	free_all(out, 2);
	assert_int_equal(vs_ol_gro_pending(ctx), 0);

	/* 0, 1, then 0 again (retransmission): 0+1 flushed, the copy of 0 passes unchanged */
	assert_int_equal(input1(ctx, fseg(&f, 0, 1000, 0x10), out), 0);
	assert_int_equal(input1(ctx, fseg(&f, 1, 1000, 0x10), out), 0);
	m = fseg_ex(&f, 0, 1000, 0x10, 103, 1003, 1003, 2048, &len);
	memcpy(ref, buf, len);
	assert_int_equal(input1(ctx, m, out), 2);
	check_merged(out[0], &f, 0, 2000, 2, 1000, 0x10, 1000, 1001, 100);
	check_same(out[1], ref, len);
	free_all(out, 2);

	/* a partial overlap (seq inside what is held) is a retransmission too */
	assert_int_equal(input1(ctx, fseg(&f, 0, 1000, 0x10), out), 0);
	m = fseg_ex(&f, 500, 1000, 0x10, 101, 1001, 1001, 2048, &len);
	memcpy(ref, buf, len);
	assert_int_equal(input1(ctx, m, out), 2);
	check_same(out[1], ref, len);
	free_all(out, 2);
	assert_int_equal(vs_ol_gro_pending(ctx), 0);
	vs_ol_gro_destroy(ctx);
}

static void gro_bounds_flush(void **state)
{
	struct vs_ol_gro *ctx = mkctx(8, 65535, 3);
	struct rte_mbuf *in[7], *out[OUT_MAX];
	struct tflow f;

	tflow_init(&f, 0, 0, 1, 1);
	for (uint32_t k = 0; k < 7; k++)
		in[k] = fseg(&f, k, 100, 0x10);
	assert_int_equal(vs_ol_gro_input(ctx, in, 7, out, OUT_MAX), 2);
	check_merged(out[0], &f, 0, 300, 3, 100, 0x10, 1000, 1002, 100);
	check_merged(out[1], &f, 300, 300, 3, 100, 0x10, 1003, 1005, 103);
	free_all(out, 2);
	assert_int_equal(vs_ol_gro_flush(ctx, out, OUT_MAX), 1);
	check_merged(out[0], &f, 600, 100, 1, 100, 0x10, 1006, 1006, 106);
	free_all(out, 1);
	vs_ol_gro_destroy(ctx);

	/* bytes: IP packet of at most 20 + 32 + 2500: two 1000-byte segments, not three */
	ctx = mkctx(8, 20 + 32 + 2500, 64);
	for (uint32_t k = 0; k < 5; k++)
		in[k] = fseg(&f, k, 1000, 0x10);
	assert_int_equal(vs_ol_gro_input(ctx, in, 5, out, OUT_MAX), 2);
	check_merged(out[0], &f, 0, 2000, 2, 1000, 0x10, 1000, 1001, 100);
	check_merged(out[1], &f, 2000, 2000, 2, 1000, 0x10, 1002, 1003, 102);
	free_all(out, 2);
	assert_int_equal(vs_ol_gro_flush(ctx, out, OUT_MAX), 1);
	free_all(out, 1);
	/* and the largest bound: 65535-byte IP packets */
	vs_ol_gro_destroy(ctx);
	ctx = mkctx(8, 65535, 1024);
	for (uint32_t k = 0; k < 50; k++)
		assert_int_equal(input1(ctx, fseg(&f, k, 1448, 0x10), out), k == 44 ? 1 : 0);
	/* 45 x 1448 + 52 = 65212 and one more would not fit */
	assert_int_equal(vs_ol_gro_flush(ctx, out + 1, OUT_MAX - 1), 1);
	check_merged(out[0], &f, 0, 45 * 1448, 45, 1448, 0x10, 1000, 1044, 100);
	free_all(out, 2);
	vs_ol_gro_destroy(ctx);
}

static void gro_bad_checksum_and_flags_pass(void **state)
{
	struct vs_ol_gro *ctx = mkctx(8, 65535, 64);
	struct rte_mbuf *out[OUT_MAX], *m;
	static uint8_t ref[4096];
	static const uint8_t pass_flags[] = {0x11 /* FIN */, 0x12 /* SYN */, 0x14 /* RST */,
		0x30 /* URG */, 0x90 /* CWR */, 0x50 /* ECE */, 0x00 /* no ACK */};
	struct tflow f;
	size_t len;

	tflow_init(&f, 0, 0, 1, 1);
	assert_int_equal(input1(ctx, fseg(&f, 0, 1000, 0x10), out), 0);
	f.t.bad_csum = 1;
	m = fseg_ex(&f, 1000, 1000, 0x10, 101, 1001, 1001, 2048, &len);
	f.t.bad_csum = 0;
	memcpy(ref, buf, len);
	assert_int_equal(input1(ctx, m, out), 2);
	check_merged(out[0], &f, 0, 1000, 1, 1000, 0x10, 1000, 1000, 100);
	check_same(out[1], ref, len);
	assert_int_equal(out[1]->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK,
		RTE_MBUF_F_RX_L4_CKSUM_BAD);
	assert_int_equal(out[1]->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK,
		RTE_MBUF_F_RX_IP_CKSUM_BAD);
	free_all(out, 2);

	for (size_t i = 0; i < sizeof(pass_flags); i++) {
		assert_int_equal(input1(ctx, fseg(&f, 0, 1000, 0x10), out), 0);
		m = fseg_ex(&f, 1000, 1000, pass_flags[i], 101, 1001, 1001, 2048, &len);
		memcpy(ref, buf, len);
		assert_int_equal(input1(ctx, m, out), 2);
		check_merged(out[0], &f, 0, 1000, 1, 1000, 0x10, 1000, 1000, 100);
		check_same(out[1], ref, len);
		free_all(out, 2);
	}
	/* a pure ACK of the flow flushes it and passes */
	assert_int_equal(input1(ctx, fseg(&f, 0, 1000, 0x10), out), 0);
	m = fseg_ex(&f, 1000, 0, 0x10, 101, 1001, 1001, 2048, &len);
	memcpy(ref, buf, len);
	assert_int_equal(input1(ctx, m, out), 2);
	check_same(out[1], ref, len);
	free_all(out, 2);
	assert_int_equal(vs_ol_gro_pending(ctx), 0);
	vs_ol_gro_destroy(ctx);
}

/* ACK number, options, IP fields, TSval going back: flush and hold the new segment alone. */
static void gro_header_differences_not_merged(void **state)
{
	struct vs_ol_gro *ctx = mkctx(8, 65535, 64);
	struct rte_mbuf *out[OUT_MAX], *m;
	struct tflow f;
	int what;

	for (what = 0; what < 6; what++) {
		tflow_init(&f, 0, 0, 1, 1);
		assert_int_equal(input1(ctx, fseg(&f, 0, 1000, 0x10), out), 0);
		switch (what) {
		case 0:
			f.t.ack++;
			m = fseg(&f, 1, 1000, 0x10);
			break;
		case 1:
			m = fseg_ex(&f, 1000, 1000, 0x10, 101, 999, 1, 2048, NULL); /* TSval back */
			break;
		case 2:
			f.opts[11] = 0x67; /* TSecr differs */
			m = fseg(&f, 1, 1000, 0x10);
			break;
		case 3:
			m = fseg_ex(&f, 1000, 1000, 0x10, 105, 1001, 1, 2048, NULL); /* IP ID jump */
			break;
		case 4:
			f.t.tos = 3; /* ECN CE */
			m = fseg(&f, 1, 1000, 0x10);
			break;
		default:
			m = fseg(&f, 1, 1000, 0x10);
			rte_pktmbuf_mtod(m, uint8_t *)[14 + 8] = 63; /* TTL, checksum fixed below */
			rte_pktmbuf_mtod(m, uint8_t *)[14 + 10] += 1;
			break;
		}
		assert_int_equal(input1(ctx, m, out), 1);
		assert_int_equal(vs_ol_gro_segs(out[0]), 1);
		assert_int_equal(out[0]->pkt_len, 14 + 20 + 32 + 1000);
		free_all(out, 1);
		assert_int_equal(vs_ol_gro_flush(ctx, out, OUT_MAX), 1);
		assert_int_equal(vs_ol_gro_segs(out[0]), 1);
		assert_int_equal(t_get32(rte_pktmbuf_mtod(out[0], uint8_t *) + 34 + 4),
			f.seq0 + 1000);
		free_all(out, 1);
	}
	/* the same IP ID is fine with DF (Linux sends DF segments with a fixed ID sometimes) */
	tflow_init(&f, 0, 0, 1, 1);
	assert_int_equal(input1(ctx, fseg(&f, 0, 1000, 0x10), out), 0);
	assert_int_equal(input1(ctx, fseg_ex(&f, 1000, 1000, 0x10, 100, 1000, 3, 2048, NULL), out),
		0);
	assert_int_equal(vs_ol_gro_flush(ctx, out, OUT_MAX), 1);
	check_merged(out[0], &f, 0, 2000, 2, 1000, 0x10, 1000, 3, 100);
	free_all(out, 1);
	vs_ol_gro_destroy(ctx);
}

static void gro_flows_interleaved_and_evicted(void **state)
{
	struct vs_ol_gro *ctx = mkctx(2, 65535, 64);
	struct rte_mbuf *in[6], *out[OUT_MAX];
	struct tflow a, b, c;

	tflow_init(&a, 0, 0, 1, 1);
	tflow_init(&b, 1, 0, 1, 2);
	tflow_init(&c, 0, 1, 0, 3);
	for (uint32_t k = 0; k < 3; k++) {
		in[2 * k] = fseg(&a, k, 500, 0x10);
		in[2 * k + 1] = fseg(&b, k, 700, 0x10);
	}
	assert_int_equal(vs_ol_gro_input(ctx, in, 6, out, OUT_MAX), 0);
	assert_int_equal(vs_ol_gro_pending(ctx), 2);
	/* a third flow evicts the oldest (a) */
	assert_int_equal(input1(ctx, fseg(&c, 0, 300, 0x10), out), 1);
	check_merged(out[0], &a, 0, 1500, 3, 500, 0x10, 1000, 1002, 100);
	free_all(out, 1);
	assert_int_equal(vs_ol_gro_flush(ctx, out, 1), 1);
	check_merged(out[0], &b, 0, 2100, 3, 700, 0x10, 1000, 1002, 0);
	free_all(out, 1);
	assert_int_equal(vs_ol_gro_flush(ctx, out, OUT_MAX), 1);
	check_merged(out[0], &c, 0, 300, 1, 300, 0x10, 0, 1000, 100);
	free_all(out, 1);
	vs_ol_gro_destroy(ctx);
}

/* Tags a NIC stripped into the mbuf belong to the flow as inline tags do. */
static void gro_stripped_vlan_is_part_of_flow(void **state)
{
	struct vs_ol_gro *ctx = mkctx(4, 65535, 64);
	struct rte_mbuf *out[OUT_MAX], *m;
	struct tflow f;

	tflow_init(&f, 0, 0, 1, 1);
	m = fseg(&f, 0, 1000, 0x10);
	m->ol_flags |= RTE_MBUF_F_RX_VLAN_STRIPPED;
	m->vlan_tci = 5;
	assert_int_equal(input1(ctx, m, out), 0);
	m = fseg(&f, 1, 1000, 0x10);
	m->ol_flags |= RTE_MBUF_F_RX_VLAN_STRIPPED;
	m->vlan_tci = 6;
	assert_int_equal(input1(ctx, m, out), 0);
	assert_int_equal(input1(ctx, fseg(&f, 1, 1000, 0x10), out), 0);
	assert_int_equal(vs_ol_gro_pending(ctx), 3);
	m = fseg(&f, 2, 1000, 0x10);
	m->ol_flags |= RTE_MBUF_F_RX_VLAN_STRIPPED;
	m->vlan_tci = 6;
	assert_int_equal(input1(ctx, m, out), 0);
	assert_int_equal(vs_ol_gro_flush(ctx, out, OUT_MAX), 3);
	assert_int_equal(vs_ol_gro_segs(out[0]), 1);
	assert_int_equal(vs_ol_gro_segs(out[1]), 2);
	assert_int_equal(out[1]->vlan_tci, 6);
	assert_int_equal(vs_ol_gro_segs(out[2]), 1);
	free_all(out, 3);
	vs_ol_gro_destroy(ctx);
}

static void gro_non_tcp_and_api_limits(void **state)
{
	struct vs_ol_gro *ctx = mkctx(4, 65535, 64);
	struct tpkt u = {.ipv6 = 1, .proto = 17, .pay_len = 99};
	struct rte_mbuf *in[2], *out[OUT_MAX];
	struct vs_ol_gro_params bad = {.max_flows = 0, .max_bytes = 65535, .max_segs = 4};
	size_t len = tpkt_build(buf, &u);

	in[0] = t_mbuf(pool, buf, len, 2048, 2048);
	t_put16(buf + 12, 0x0806); /* ARP */
	in[1] = t_mbuf(pool, buf, len, 2048, 2048);
	assert_int_equal(vs_ol_gro_input(ctx, in, 2, out, 3), -EINVAL);
	assert_int_equal(vs_ol_gro_input(ctx, in, 2, out, 4), 2);
	assert_ptr_equal(out[0], in[0]);
	assert_ptr_equal(out[1], in[1]);
	assert_int_equal(out[0]->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK,
		RTE_MBUF_F_RX_L4_CKSUM_GOOD);
	assert_int_equal(out[1]->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK, 0);
	free_all(out, 2);
	assert_null(vs_ol_gro_create(&bad, SOCKET_ID_ANY));
	bad.max_flows = 4;
	bad.max_bytes = 65536;
	assert_null(vs_ol_gro_create(&bad, SOCKET_ID_ANY));
	bad.max_bytes = 65535;
	bad.max_segs = 1;
	assert_null(vs_ol_gro_create(&bad, SOCKET_ID_ANY));
	vs_ol_gro_destroy(NULL);
	vs_ol_gro_destroy(ctx);
}

/* Destroying a context frees what it holds. */
static void gro_destroy_frees_held(void **state)
{
	unsigned int avail = rte_mempool_avail_count(pool);
	struct vs_ol_gro *ctx = mkctx(4, 65535, 64);
	struct rte_mbuf *out[OUT_MAX];
	struct tflow f;

	tflow_init(&f, 0, 0, 0, 1);
	assert_int_equal(input1(ctx, fseg(&f, 0, 100, 0x10), out), 0);
	assert_int_equal(input1(ctx, fseg(&f, 1, 100, 0x10), out), 0);
	vs_ol_gro_destroy(ctx);
	assert_int_equal(rte_mempool_avail_count(pool), avail);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(gro_ipv4_in_order_merged),
		cmocka_unit_test(gro_ipv6_vlan_psh_ends_frame),
		cmocka_unit_test(gro_qinq_chained_segments),
		cmocka_unit_test(gro_short_segment_ends_frame),
		cmocka_unit_test(gro_out_of_order_and_retransmit_not_merged),
		cmocka_unit_test(gro_bounds_flush),
		cmocka_unit_test(gro_bad_checksum_and_flags_pass),
		cmocka_unit_test(gro_header_differences_not_merged),
		cmocka_unit_test(gro_flows_interleaved_and_evicted),
		cmocka_unit_test(gro_stripped_vlan_is_part_of_flow),
		cmocka_unit_test(gro_non_tcp_and_api_limits),
		cmocka_unit_test(gro_destroy_frees_held),
	};

	if (vsw_test_eal_init(argv[0]) < 0)
		return 1;
	pool = rte_pktmbuf_pool_create("ol_gro", 1023, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
		SOCKET_ID_ANY);
	if (!pool)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
