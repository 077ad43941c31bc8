/* SPDX-License-Identifier: BSD-3-Clause */
/* vs_ol_parse() on hand-built frames, every malformation with its reason; checksum fill/verify
 * and vs_ol_tx_prepare(). */
#include "offload.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "test_eal.h"
#include "test_pkt.h"

static struct rte_mempool *pool;
static uint8_t buf[T_MAX_FRAME], flat[T_MAX_FRAME];

static const uint8_t ts_opts[12] = {1, 1, 8, 10, 0, 0, 0x10, 0, 0, 0, 0x20, 0};

static struct rte_mbuf *mk(const struct tpkt *t, size_t *len)
{
	size_t n = tpkt_build(buf, t);
	struct rte_mbuf *m = t_mbuf(pool, buf, n, 2048, 2048);

	assert_non_null(m);
	if (len)
		*len = n;
	return m;
}

/* Parse buf[0, len) (first mbuf 'first' bytes) and return the result; info filled. */
static int parse_bytes(size_t len, size_t first, unsigned int flags, struct vs_ol_info *info)
{
	struct rte_mbuf *m = t_mbuf(pool, buf, len, first, 2048);
	int ret;

	assert_non_null(m);
	ret = vs_ol_parse(m, flags, info);
	rte_pktmbuf_free(m);
	return ret;
}

static void expect_reason_at(size_t len, unsigned int flags, int err, enum vs_ol_reason r,
	int line)
{
	struct vs_ol_info info;
	int ret = parse_bytes(len, 2048, flags, &info);

	if (ret != err || info.reason != r)
		fail_msg("line %d: got %d %s, expected %d %s", line, ret,
			vs_ol_reason_name(info.reason), err, vs_ol_reason_name(r));
}
#define expect_reason(len, flags, err, r) expect_reason_at(len, flags, err, r, __LINE__)

static void parse_ipv4_tcp_options_ok(void **state)
{
	struct tpkt t = {.proto = 6, .opts = ts_opts, .opts_len = 12, .pay_len = 100,
		.tcp_flags = 0x18};
	struct vs_ol_info info;
	size_t len = tpkt_build(buf, &t);

	assert_int_equal(parse_bytes(len, 2048, 0, &info), 0);
	assert_int_equal(info.l2_len, 14);
	assert_int_equal(info.l3_len, 20);
	assert_int_equal(info.l4_len, 32);
	assert_int_equal(info.payload_len, 100);
	assert_int_equal(info.frame_len, len);
	assert_int_equal(info.flags, VS_OL_F_IPV4 | VS_OL_F_TCP);
	assert_int_equal(info.tcp_flags, 0x18);
	assert_int_equal(info.n_vlan, 0);
	assert_int_equal(info.reason, VS_OL_R_OK);
}

static void parse_ipv6_two_tags_udp_ok(void **state)
{
	struct tpkt t = {.ipv6 = 1, .n_vlan = 2, .proto = 17, .pay_len = 33};
	struct vs_ol_info info;
	size_t len = tpkt_build(buf, &t);

	assert_int_equal(parse_bytes(len, 2048, 0, &info), 0);
	assert_int_equal(info.l2_len, 22);
	assert_int_equal(info.n_vlan, 2);
	assert_int_equal(info.l3_len, 40);
	assert_int_equal(info.l4_len, 8);
	assert_int_equal(info.payload_len, 33);
	assert_int_equal(info.flags, VS_OL_F_IPV6 | VS_OL_F_UDP);
}

/* Every prefix of a valid frame is rejected as malformed, never accepted. */
static void parse_every_truncation_rejected(void **state)
{
	int v6, vl;

	for (v6 = 0; v6 < 2; v6++) {
		for (vl = 0; vl < 3; vl++) {
			struct tpkt t = {.ipv6 = v6, .n_vlan = vl, .proto = 6, .opts = ts_opts,
				.opts_len = 12, .pay_len = 10, .tcp_flags = 0x10};
			size_t len = tpkt_build(buf, &t), l;
			struct vs_ol_info info;

			for (l = 0; l < len; l++) {
				int ret = parse_bytes(l, 2048, 0, &info);

				assert_int_equal(ret, -EINVAL);
				assert_true(info.reason == VS_OL_R_TRUNC_L2 ||
					info.reason == VS_OL_R_TRUNC_L3 ||
					info.reason == VS_OL_R_IP_LEN_OVER);
			}
			assert_int_equal(parse_bytes(len, 2048, 0, &info), 0);
		}
	}
}

static void parse_malformed_each_reason(void **state)
{
	struct tpkt t4 = {.proto = 6, .pay_len = 100, .tcp_flags = 0x10};
	struct tpkt t6 = {.ipv6 = 1, .proto = 6, .pay_len = 100, .tcp_flags = 0x10};
	size_t len;

	/* IHL < 5 */
	len = tpkt_build(buf, &t4);
	buf[14] = 0x44;
	expect_reason(len, 0, -EINVAL, VS_OL_R_IPV4_IHL);
	/* version 6 in an IPv4 ethertype */
	len = tpkt_build(buf, &t4);
	buf[14] = 0x65;
	expect_reason(len, 0, -EINVAL, VS_OL_R_IP_VERSION);
	/* TCP data offset < 5 */
	len = tpkt_build(buf, &t4);
	buf[14 + 20 + 12] = 0x40;
	expect_reason(len, 0, -EINVAL, VS_OL_R_TCP_DOFF);
	/* TCP data offset past the IP packet */
	len = tpkt_build(buf, &t4);
	t_put16(buf + 14 + 2, 20 + 24);
	buf[14 + 20 + 12] = 0x80; /* 32-byte header in a 24-byte L4 segment */
	expect_reason(14 + 20 + 24, 0, -EINVAL, VS_OL_R_TRUNC_L4);
	/* IP length > frame */
	len = tpkt_build(buf, &t4);
	t_put16(buf + 14 + 2, (uint32_t)(len - 14 + 1));
	expect_reason(len, 0, -EINVAL, VS_OL_R_IP_LEN_OVER);
	/* IP length < frame (not a padded minimum frame) */
	t_put16(buf + 14 + 2, (uint32_t)(len - 14 - 1));
	expect_reason(len, 0, -EINVAL, VS_OL_R_IP_LEN_UNDER);
	/* IP length smaller than the IPv4 header */
	t_put16(buf + 14 + 2, 19);
	expect_reason(len, 0, -EINVAL, VS_OL_R_IP_LEN_UNDER);
	/* IP length 0 without the LSO flag */
	t_put16(buf + 14 + 2, 0);
	expect_reason(len, 0, -EINVAL, VS_OL_R_IP_LEN_UNDER);
	/* fragments */
	len = tpkt_build(buf, &t4);
	t_put16(buf + 14 + 6, 0x2000);
	expect_reason(len, 0, -EPROTONOSUPPORT, VS_OL_R_IP_FRAGMENT);
	t_put16(buf + 14 + 6, 0x0001);
	expect_reason(len, 0, -EPROTONOSUPPORT, VS_OL_R_IP_FRAGMENT);
	/* ICMP */
	len = tpkt_build(buf, &t4);
	buf[14 + 9] = 1;
	expect_reason(len, 0, -EPROTONOSUPPORT, VS_OL_R_L4_PROTO);
	/* ARP */
	len = tpkt_build(buf, &t4);
	t_put16(buf + 12, 0x0806);
	expect_reason(len, 0, -EPROTONOSUPPORT, VS_OL_R_NOT_IP);
	/* three tags */
	len = tpkt_build(buf, &t4);
	memmove(buf + 24, buf + 12, len - 12);
	for (int i = 0; i < 3; i++) {
		t_put16(buf + 12 + 4 * i, 0x8100);
		t_put16(buf + 14 + 4 * i, 5);
	}
	expect_reason(len + 12, 0, -EINVAL, VS_OL_R_TOO_MANY_TAGS);
	/* IPv6 payload length larger and smaller than the frame */
	len = tpkt_build(buf, &t6);
	t_put16(buf + 14 + 4, (uint32_t)(len - 14 - 40 + 1));
	expect_reason(len, 0, -EINVAL, VS_OL_R_IP_LEN_OVER);
	t_put16(buf + 14 + 4, (uint32_t)(len - 14 - 40 - 1));
	expect_reason(len, 0, -EINVAL, VS_OL_R_IP_LEN_UNDER);
	/* IPv6 routing and fragment headers are not handled */
	len = tpkt_build(buf, &t6);
	buf[14 + 6] = 43;
	expect_reason(len, 0, -EPROTONOSUPPORT, VS_OL_R_IPV6_EXT);
	buf[14 + 6] = 44;
	expect_reason(len, 0, -EPROTONOSUPPORT, VS_OL_R_IPV6_EXT);
	/* UDP length disagreeing with the IP length */
	{
		struct tpkt u = {.proto = 17, .pay_len = 20};

		len = tpkt_build(buf, &u);
		t_put16(buf + 14 + 20 + 4, 27);
		expect_reason(len, 0, -EINVAL, VS_OL_R_UDP_LEN);
	}
	/* headers split across mbufs */
	{
		struct vs_ol_info info;

		len = tpkt_build(buf, &t4);
		assert_int_equal(parse_bytes(len, 40, 0, &info), -EPROTONOSUPPORT);
		assert_int_equal(info.reason, VS_OL_R_HDR_SPLIT);
		assert_int_equal(parse_bytes(len, 54, 0, &info), 0);
	}
	assert_string_equal(vs_ol_reason_name(VS_OL_R_COUNT), "unknown");
}

/* A Hop-by-Hop header (8 bytes) then TCP. */
static void parse_ipv6_hop_by_hop_ok(void **state)
{
	struct tpkt t6 = {.ipv6 = 1, .proto = 6, .pay_len = 50, .tcp_flags = 0x10};
	struct vs_ol_info info;
	size_t len = tpkt_build(buf, &t6);

	memmove(buf + 14 + 48, buf + 14 + 40, len - 54);
	memset(buf + 54, 0, 8);
	buf[54] = 6; /* next: TCP */
	buf[55] = 0; /* 8 bytes */
	buf[56] = 1; /* PadN */
	buf[57] = 4;
	buf[20] = 0; /* next: hop-by-hop */
	t_put16(buf + 18, t_get16(buf + 18) + 8);
	assert_int_equal(parse_bytes(len + 8, 2048, 0, &info), 0);
	assert_int_equal(info.l3_len, 48);
	assert_int_equal(info.payload_len, 50);
	/* an extension header running past the payload length */
	buf[55] = 12;
	assert_int_equal(parse_bytes(len + 8, 2048, 0, &info), -EINVAL);
	assert_int_equal(info.reason, VS_OL_R_IP_LEN_SHORT);
}

/* LSO style frames: IP length 0 accepted with the flag; 64 KiB + headers is too large. */
static void parse_len0_and_too_large(void **state)
{
	struct tpkt t = {.proto = 6, .pay_len = 65535 - 40, .zero_len = 1, .tcp_flags = 0x10};
	struct vs_ol_info info;
	size_t len = tpkt_build(buf, &t);

	assert_int_equal(parse_bytes(len, 2048, VS_OL_PARSE_LEN0, &info), 0);
	assert_true(info.flags & VS_OL_F_LEN0);
	assert_int_equal(info.payload_len, 65535 - 40);
	t.pay_len++;
	len = tpkt_build(buf, &t);
	assert_int_equal(parse_bytes(len, 2048, VS_OL_PARSE_LEN0, &info), -EINVAL);
	assert_int_equal(info.reason, VS_OL_R_TOO_LARGE);
	t.ipv6 = 1;
	t.pay_len = 65535 - 60 + 1;
	len = tpkt_build(buf, &t);
	assert_int_equal(parse_bytes(len, 2048, VS_OL_PARSE_LEN0, &info), -EINVAL);
	assert_int_equal(info.reason, VS_OL_R_TOO_LARGE);
	t.pay_len--;
	len = tpkt_build(buf, &t);
	assert_int_equal(parse_bytes(len, 2048, VS_OL_PARSE_LEN0, &info), 0);
}

/* A 60-byte frame carrying a 40-byte IPv4 packet: padding is allowed there only. */
static void parse_min_frame_padding(void **state)
{
	struct tpkt t = {.proto = 6, .tcp_flags = 0x10};
	struct vs_ol_info info;
	size_t len = tpkt_build(buf, &t);

	assert_int_equal(len, 54);
	memset(buf + len, 0, 6);
	assert_int_equal(parse_bytes(60, 2048, 0, &info), 0);
	assert_int_equal(info.pad_len, 6);
	assert_int_equal(info.frame_len, 54);
	assert_int_equal(info.payload_len, 0);
}

static void csum_fill_computes_from_scratch(void **state)
{
	int v6, proto;

	for (v6 = 0; v6 < 2; v6++) {
		for (proto = 0; proto < 2; proto++) {
			struct tpkt t = {.ipv6 = v6, .n_vlan = 1, .proto = proto ? 17 : 6,
				.opts = ts_opts, .opts_len = proto ? 0 : 12, .pay_len = 3001,
				.bad_csum = 1, .zero_len = 1, .tcp_flags = 0x18};
			size_t len;
			struct rte_mbuf *m = mk(&t, &len);
			struct vs_ol_info info;

			assert_int_equal(vs_ol_parse(m, VS_OL_PARSE_LEN0, &info), 0);
			assert_int_equal(vs_ol_csum_verify(m, &info) & VS_OL_CSUM_L4_OK, 0);
			vs_ol_mark_csum(m, !proto);
			assert_int_equal(vs_ol_csum_fill(m, &info), 0);
			assert_int_equal(m->ol_flags & RTE_MBUF_F_TX_L4_MASK, 0);
			assert_int_equal(t_flat(m, flat), len);
			assert_true(t_csum_ok(flat, len, 1, v6, v6 ? 40 : 20));
			/* the length field was written */
			assert_int_equal(t_get16(flat + 18 + (v6 ? 4 : 2)),
				v6 ? len - 18 - 40 : len - 18);
			assert_int_equal(vs_ol_csum_verify(m, &info),
				VS_OL_CSUM_IP_OK | VS_OL_CSUM_L4_OK);
			/* one flipped payload bit is caught */
			rte_pktmbuf_mtod_offset(m->next, uint8_t *, 5)[0] ^= 0x10;
			assert_int_equal(vs_ol_csum_verify(m, &info), VS_OL_CSUM_IP_OK);
			rte_pktmbuf_free(m);
		}
	}
}

static void csum_verify_bad_ip_header(void **state)
{
	struct tpkt t = {.proto = 6, .pay_len = 10, .tcp_flags = 0x10};
	struct rte_mbuf *m = mk(&t, NULL);
	struct vs_ol_info info;

	assert_int_equal(vs_ol_parse(m, 0, &info), 0);
	assert_int_equal(vs_ol_csum_verify(m, &info), VS_OL_CSUM_IP_OK | VS_OL_CSUM_L4_OK);
	rte_pktmbuf_mtod(m, uint8_t *)[14 + 8] = 1; /* TTL: not in the pseudo-header */
	assert_int_equal(vs_ol_csum_verify(m, &info), VS_OL_CSUM_L4_OK);
	rte_pktmbuf_free(m);
}

static void tx_prepare_hw_and_sw(void **state)
{
	const uint64_t all = RTE_ETH_TX_OFFLOAD_TCP_TSO | RTE_ETH_TX_OFFLOAD_IPV4_CKSUM |
		RTE_ETH_TX_OFFLOAD_TCP_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
	struct tpkt t = {.n_vlan = 1, .proto = 6, .opts = ts_opts, .opts_len = 12,
		.pay_len = 5000, .zero_len = 1, .bad_csum = 1, .tcp_flags = 0x18, .ip_id = 7};
	struct vs_ol_info info;
	struct rte_mbuf *m;
	size_t len;
	uint8_t *ip;
	uint32_t ph;

	/* nothing requested */
	m = mk(&t, &len);
	assert_int_equal(vs_ol_parse(m, VS_OL_PARSE_LEN0, &info), 0);
	assert_int_equal(vs_ol_tx_prepare(m, &info, all), VS_OL_TX_AS_IS);
	/* TSO without the capability: software */
	vs_ol_mark_tso(m, 1448);
	assert_int_equal(vs_ol_tx_prepare(m, &info, RTE_ETH_TX_OFFLOAD_TCP_CKSUM),
		VS_OL_TX_SW_SEGMENT);
	/* TSO in hardware: lengths, flags and the pseudo-header sum without length */
	assert_int_equal(vs_ol_tx_prepare(m, &info, all), VS_OL_TX_HW);
	assert_true(m->ol_flags & RTE_MBUF_F_TX_TCP_SEG);
	assert_true(m->ol_flags & RTE_MBUF_F_TX_IPV4);
	assert_true(m->ol_flags & RTE_MBUF_F_TX_IP_CKSUM);
	assert_int_equal(m->l2_len, 18);
	assert_int_equal(m->l3_len, 20);
	assert_int_equal(m->l4_len, 32);
	assert_int_equal(m->tso_segsz, 1448);
	ip = rte_pktmbuf_mtod_offset(m, uint8_t *, 18);
	assert_int_equal(t_get16(ip + 2), len - 18);
	assert_int_equal(t_get16(ip + 10), 0);
	ph = t_sum(ip + 12, 8, 6);
	assert_int_equal(t_get16(ip + 20 + 16), ph);
	rte_pktmbuf_free(m);

	/* checksum only: software without the capability, hardware with it */
	t.pay_len = 100;
	t.zero_len = 0;
	m = mk(&t, &len);
	assert_int_equal(vs_ol_parse(m, 0, &info), 0);
	vs_ol_mark_csum(m, true);
	assert_int_equal(vs_ol_tx_prepare(m, &info, RTE_ETH_TX_OFFLOAD_UDP_CKSUM), VS_OL_TX_SW_CSUM);
	assert_int_equal(vs_ol_tx_prepare(m, &info, all), VS_OL_TX_HW);
	ip = rte_pktmbuf_mtod_offset(m, uint8_t *, 18);
	assert_int_equal(t_sum(ip, 20, 0), 0xffff); /* IPv4 header done in software */
	assert_int_equal(t_get16(ip + 20 + 16), t_sum(ip + 12, 8, 6 + len - 18 - 20));
	assert_false(m->ol_flags & RTE_MBUF_F_TX_TCP_SEG);
	assert_int_equal(m->ol_flags & RTE_MBUF_F_TX_L4_MASK, RTE_MBUF_F_TX_TCP_CKSUM);
	rte_pktmbuf_free(m);

	/* an LSO frame whose payload fits one MSS needs only checksums */
	m = mk(&t, &len);
	assert_int_equal(vs_ol_parse(m, 0, &info), 0);
	vs_ol_mark_tso(m, 1448);
	assert_int_equal(vs_ol_tx_prepare(m, &info, 0), VS_OL_TX_SW_CSUM);
	assert_false(m->ol_flags & RTE_MBUF_F_TX_TCP_SEG);
	assert_int_equal(vs_ol_csum_fill(m, &info), 0);
	assert_int_equal(t_flat(m, flat), len);
	assert_true(t_csum_ok(flat, len, 1, 0, 20));
	rte_pktmbuf_free(m);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_ipv4_tcp_options_ok),
		cmocka_unit_test(parse_ipv6_two_tags_udp_ok),
		cmocka_unit_test(parse_every_truncation_rejected),
		cmocka_unit_test(parse_malformed_each_reason),
		cmocka_unit_test(parse_ipv6_hop_by_hop_ok),
		cmocka_unit_test(parse_len0_and_too_large),
		cmocka_unit_test(parse_min_frame_padding),
		cmocka_unit_test(csum_fill_computes_from_scratch),
		cmocka_unit_test(csum_verify_bad_ip_header),
		cmocka_unit_test(tx_prepare_hw_and_sw),
	};

	if (vsw_test_eal_init(argv[0]) < 0)
		return 1;
	pool = rte_pktmbuf_pool_create("ol_parse", 511, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
		SOCKET_ID_ANY);
	if (!pool)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
