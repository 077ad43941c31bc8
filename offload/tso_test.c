/* SPDX-License-Identifier: BSD-3-Clause */
/* vs_ol_tso_segment(): every produced segment is checked field by field against the original
 * frame, its checksums with the tests' own RFC 1071 sum, and the concatenated payload against the
 * original bytes. */
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

#define MAX_OUT 128

static struct rte_mempool *pool;
static uint8_t buf[T_MAX_FRAME], flat[T_MAX_FRAME], payload[T_MAX_FRAME];

/* kind 1 NOP, 1 NOP, 8 TS (10): TSval 0x10000000, TSecr 0x20000000 */
static const uint8_t ts_opts[12] = {1, 1, 8, 10, 0x10, 0, 0, 0, 0x20, 0, 0, 0};
/* MSS 1460, SACK permitted, NOP + window scale 7, NOP NOP: 12 bytes */
static const uint8_t syn_opts[12] = {2, 4, 0x05, 0xb4, 4, 2, 1, 3, 3, 7, 1, 1};

/* Check out[0..n) as the segmentation of frame 'orig' (built from 't') with 'mss'. */
static void check_segments(struct rte_mbuf **out, int n, const uint8_t *orig, const struct tpkt *t,
	uint32_t mss)
{
	size_t l2 = t_l2(t->n_vlan), l3 = t->ipv6 ? 40 : 20, l4 = 20 + t->opts_len;
	size_t hdr = l2 + l3 + l4, got = 0;
	int expect_n = t->pay_len == 0 ? 1 : (int)((t->pay_len + mss - 1) / mss);
	int i;

	assert_int_equal(n, expect_n);
	for (i = 0; i < n; i++) {
		size_t len = t_flat(out[i], flat);
		const uint8_t *ip = flat + l2, *th = ip + l3, *oip = orig + l2, *oth = oip + l3;
		uint8_t flags = t->tcp_flags;

		assert_int_equal(len, out[i]->pkt_len);
		assert_true(len > hdr || t->pay_len == 0);
		assert_true(len <= hdr + mss);
		assert_true(i == n - 1 || len == hdr + mss);
		assert_memory_equal(flat, orig, l2);
		assert_true(t_csum_ok(flat, len, t->n_vlan, t->ipv6, l3));
		if (t->ipv6) {
			assert_int_equal(t_get16(ip + 4), len - l2 - 40);
			assert_memory_equal(ip, oip, 4);
			assert_memory_equal(ip + 6, oip + 6, 34);
		} else {
			assert_int_equal(t_get16(ip + 2), len - l2);
			assert_int_equal(t_get16(ip + 4), (uint16_t)(t->ip_id + i));
			assert_memory_equal(ip, oip, 2);
			assert_memory_equal(ip + 6, oip + 6, 4);
			assert_memory_equal(ip + 12, oip + 12, 8);
		}
		assert_memory_equal(th, oth, 4);
		assert_int_equal(t_get32(th + 4), t->seq + (uint32_t)i * mss);
		assert_memory_equal(th + 8, oth + 8, 5);
		if (i != n - 1)
			flags &= (uint8_t)~0x09; /* FIN, PSH */
		if (i != 0)
			flags &= (uint8_t)~0x80; /* CWR */
		assert_int_equal(th[13], flags);
		assert_memory_equal(th + 14, oth + 14, 2);
		assert_memory_equal(th + 18, oth + 18, l4 - 18);
		memcpy(payload + got, flat + hdr, len - hdr);
		got += len - hdr;
	}
	assert_int_equal(got, t->pay_len);
	assert_memory_equal(payload, orig + hdr, got);
	for (size_t k = 0; k < got; k++) {
		if (payload[k] != t_pay(t->pay_off + (uint32_t)k))
			fail_msg("payload byte %zu", k);
	}
}

/* Build 't' into a chain (first mbuf 'first' bytes), segment it and check; returns n. */
static int run(const struct tpkt *t, uint32_t mss, size_t first, size_t chunk)
{
	size_t len = tpkt_build(buf, t);
	struct rte_mbuf *m = t_mbuf(pool, buf, len, first, chunk), *out[MAX_OUT];
	unsigned int avail;
	struct vs_ol_info info;
	int n, i;

	assert_non_null(m);
	avail = rte_mempool_avail_count(pool);
	assert_int_equal(vs_ol_parse(m, VS_OL_PARSE_LEN0, &info), 0);
	n = vs_ol_tso_segment(m, &info, mss, pool, out, MAX_OUT);
	assert_true(n > 0);
	assert_int_equal(info.reason, VS_OL_R_OK);
	/* the input is untouched */
	assert_int_equal(t_flat(m, flat), len);
	assert_memory_equal(flat, buf, len);
	check_segments(out, n, buf, t, mss);
	for (i = 0; i < n; i++)
		rte_pktmbuf_free(out[i]);
	assert_int_equal(rte_mempool_avail_count(pool), avail);
	rte_pktmbuf_free(m);
	return n;
}

static void tso_ipv4_options_uneven_mss(void **state)
{
	struct tpkt t = {.proto = 6, .opts = ts_opts, .opts_len = 12, .pay_len = 1000,
		.tcp_flags = 0x10 | 0x08 | 0x01 | 0x80 | 0x40, .seq = 0xfffffe00u, .ack = 77,
		.ip_id = 0xfffe, .pay_off = 5};

	/* FIN|PSH last only, CWR first only, ECE everywhere; seq and IP ID wrap */
	assert_int_equal(run(&t, 300, 2048, 2048), 4);
	t.bad_csum = 1;
	assert_int_equal(run(&t, 300, 2048, 2048), 4);
}

static void tso_ipv6_vlan_chained_input(void **state)
{
	struct tpkt t = {.ipv6 = 1, .n_vlan = 1, .proto = 6, .opts = syn_opts, .opts_len = 12,
		.pay_len = 3000, .tcp_flags = 0x18, .seq = 1000, .bad_csum = 1};

	/* the payload starts in a short first mbuf and continues in 700-byte pieces */
	assert_int_equal(run(&t, 1440, 100, 700), 3);
	t.n_vlan = 2;
	assert_int_equal(run(&t, 1440, 100, 700), 3);
	t.n_vlan = 0;
	assert_int_equal(run(&t, 1440, 100, 700), 3);
}

static void tso_payload_exactly_one_mss(void **state)
{
	struct tpkt t = {.proto = 6, .pay_len = 1448, .tcp_flags = 0x19, .seq = 5};

	assert_int_equal(run(&t, 1448, 2048, 2048), 1);
	t.pay_len = 1449;
	assert_int_equal(run(&t, 1448, 2048, 2048), 2);
	t.pay_len = 2 * 1448;
	assert_int_equal(run(&t, 1448, 2048, 2048), 2);
	t.pay_len = 0;
	assert_int_equal(run(&t, 1448, 2048, 2048), 1);
}

/* What a Linux guest sends: 64 KiB, IP length 0, partial checksum. */
static void tso_64k_lso_frame_from_guest(void **state)
{
	struct tpkt t4 = {.proto = 6, .opts = ts_opts, .opts_len = 12,
		.pay_len = 65535 - 20 - 32, .zero_len = 1, .bad_csum = 1, .tcp_flags = 0x18,
		.seq = 123456789, .ip_id = 4000, .n_vlan = 1};
	struct tpkt t6 = {.ipv6 = 1, .proto = 6, .opts = ts_opts, .opts_len = 12,
		.pay_len = 65535 - 40 - 32, .zero_len = 1, .bad_csum = 1, .tcp_flags = 0x10};

	assert_int_equal(run(&t4, 1448, 2048, 2048), 46);
	assert_int_equal(run(&t6, 1428, 2048, 2048), 46);
	/* jumbo MSS: segments larger than one mbuf become chains */
	assert_int_equal(run(&t4, 8948, 2048, 2048), 8);
}

static void tso_rejects_bad_requests(void **state)
{
	struct tpkt t = {.proto = 6, .pay_len = 3000, .tcp_flags = 0x10};
	size_t len = tpkt_build(buf, &t);
	struct rte_mbuf *m = t_mbuf(pool, buf, len, 2048, 2048), *out[MAX_OUT];
	unsigned int avail = rte_mempool_avail_count(pool);
	struct vs_ol_info info;

	assert_int_equal(vs_ol_parse(m, 0, &info), 0);
	assert_int_equal(vs_ol_tso_segment(m, &info, 0, pool, out, MAX_OUT), -EINVAL);
	assert_int_equal(info.reason, VS_OL_R_MSS_ZERO);
	assert_int_equal(vs_ol_tso_segment(m, &info, 65535 - 40 + 1, pool, out, MAX_OUT), -EINVAL);
	assert_int_equal(info.reason, VS_OL_R_MSS_LARGE);
	assert_int_equal(vs_ol_tso_segment(m, &info, 65535 - 40, pool, out, MAX_OUT), 1);
	rte_pktmbuf_free(out[0]);
	assert_int_equal(vs_ol_tso_segment(m, &info, 1000, pool, out, 2), -ENOSPC);
	assert_int_equal(info.reason, VS_OL_R_TOO_MANY_SEGS);
	assert_int_equal(vs_ol_tso_segment(m, &info, 1000, pool, out, 3), 3);
	for (int i = 0; i < 3; i++)
		rte_pktmbuf_free(out[i]);
	assert_int_equal(vs_ol_tso_segment(m, &info, 1, pool, out, MAX_OUT), -ENOSPC);
	info.tcp_flags |= 0x02; /* SYN */
	assert_int_equal(vs_ol_tso_segment(m, &info, 1000, pool, out, MAX_OUT), -EINVAL);
	assert_int_equal(info.reason, VS_OL_R_TSO_FLAGS);
	assert_int_equal(rte_mempool_avail_count(pool), avail);
	rte_pktmbuf_free(m);

	{
		struct tpkt u = {.proto = 17, .pay_len = 3000};

		len = tpkt_build(buf, &u);
		m = t_mbuf(pool, buf, len, 2048, 2048);
		assert_int_equal(vs_ol_parse(m, 0, &info), 0);
		assert_int_equal(vs_ol_tso_segment(m, &info, 1000, pool, out, MAX_OUT), -EINVAL);
		assert_int_equal(info.reason, VS_OL_R_NOT_TCP);
		rte_pktmbuf_free(m);
	}
}

/* An exhausted pool fails cleanly: -ENOMEM, nothing left allocated. */
static void tso_pool_empty_frees_everything(void **state)
{
	struct rte_mempool *small = rte_pktmbuf_pool_create("ol_tso_small", 7, 0, 0,
		RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	struct tpkt t = {.proto = 6, .pay_len = 20000, .tcp_flags = 0x10};
	size_t len = tpkt_build(buf, &t);
	struct rte_mbuf *m = t_mbuf(pool, buf, len, 2048, 2048), *out[MAX_OUT];
	struct vs_ol_info info;

	assert_non_null(small);
	assert_int_equal(vs_ol_parse(m, 0, &info), 0);
	assert_int_equal(vs_ol_tso_segment(m, &info, 1448, small, out, MAX_OUT), -ENOMEM);
	assert_int_equal(info.reason, VS_OL_R_NO_MBUF);
	assert_int_equal(rte_mempool_avail_count(small), 7);
	/* and a segment needing a chain that the pool cannot finish */
	assert_int_equal(vs_ol_tso_segment(m, &info, 16000, small, out, MAX_OUT), -ENOMEM);
	assert_int_equal(rte_mempool_avail_count(small), 7);
	rte_pktmbuf_free(m);
	rte_mempool_free(small);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tso_ipv4_options_uneven_mss),
		cmocka_unit_test(tso_ipv6_vlan_chained_input),
		cmocka_unit_test(tso_payload_exactly_one_mss),
		cmocka_unit_test(tso_64k_lso_frame_from_guest),
		cmocka_unit_test(tso_rejects_bad_requests),
		cmocka_unit_test(tso_pool_empty_frees_everything),
	};

	if (vsw_test_eal_init(argv[0]) < 0)
		return 1;
	pool = rte_pktmbuf_pool_create("ol_tso", 1023, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
		SOCKET_ID_ANY);
	if (!pool)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
