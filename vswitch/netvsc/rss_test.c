/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RSS for frames to the guest (rss.c): the Toeplitz hash against Microsoft's published
 * verification vectors ("Verifying the RSS Hash Calculation", Windows driver docs: key
 * 6d5a56da..., five IPv4 and three IPv6 flows, hash over addresses only and over addresses +
 * TCP ports), computed from whole Ethernet frames built here byte by byte; which fields each hash
 * type selects; frames that get no hash.
 */
#include "chan.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_mbuf.h>

#include <vsw/proto/rndis.h>

#include "test_eal.h"

static struct rte_mempool *pool;

static const uint8_t ms_key[40] = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f,
	0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30,
	0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

/* The published table: destination (port), source (port), IP-only hash, IP+TCP hash. */
static const struct {
	const char *dst;
	uint16_t dport;
	const char *src;
	uint16_t sport;
	uint32_t h_ip, h_tcp;
} v4[] = {
	{"161.142.100.80", 1766, "66.9.149.187", 2794, 0x323e8fc2, 0x51ccc178},
	{"65.69.140.83", 4739, "199.92.111.2", 14230, 0xd718262a, 0xc626b0ea},
	{"12.22.207.184", 38024, "24.19.198.95", 12898, 0xd2d0a5de, 0x5c2b394a},
	{"209.142.163.6", 2217, "38.27.205.30", 48228, 0x82989176, 0xafc7327f},
	{"202.188.127.2", 1303, "153.39.163.191", 44251, 0x5d1809c5, 0x10e828a2},
}, v6[] = {
	{"3ffe:2501:200:3::1", 1766, "3ffe:2501:200:1fff::7", 2794, 0x2cc18cd5, 0x40207d3d},
	{"ff02::1", 4739, "3ffe:501:8::260:97ff:fe40:efab", 14230, 0x0f0c461c, 0xdde51bbf},
	{"fe80::200:f8ff:fe21:67cf", 38024, "3ffe:1900:4545:3:200:f8ff:fe21:67cf", 44251,
		0x4b61e985, 0x02d1feef},
};

#define ALL_TYPES 0x1701u /* Linux: Toeplitz | IPv4 | TCP/IPv4 | IPv6 | TCP/IPv6 */

static struct rte_mbuf *mk(const uint8_t *frame, uint16_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);

	assert_non_null(m);
	memcpy(rte_pktmbuf_append(m, len), frame, len);
	return m;
}

/* Ethernet (optionally 802.1Q) + IPv4 (IHL 5) + TCP/UDP header, in network order. */
static uint16_t ipv4_frame(uint8_t *f, bool vlan, const char *src, const char *dst,
	uint16_t sport, uint16_t dport, uint8_t proto, uint16_t frag)
{
	uint16_t o = 12;

	memset(f, 0, 128);
	if (vlan) {
		f[o] = 0x81;
		f[o + 1] = 0x00;
		f[o + 3] = 7;
		o += 4;
	}
	f[o] = 0x08;
	f[o + 1] = 0x00;
	o += 2;
	f[o] = 0x45;
	f[o + 3] = 40;
	f[o + 6] = (uint8_t)(frag >> 8);
	f[o + 7] = (uint8_t)frag;
	f[o + 8] = 64;
	f[o + 9] = proto;
	assert_int_equal(inet_pton(AF_INET, src, f + o + 12), 1);
	assert_int_equal(inet_pton(AF_INET, dst, f + o + 16), 1);
	f[o + 20] = (uint8_t)(sport >> 8);
	f[o + 21] = (uint8_t)sport;
	f[o + 22] = (uint8_t)(dport >> 8);
	f[o + 23] = (uint8_t)dport;
	return (uint16_t)(o + 40);
}

static uint16_t ipv6_frame(uint8_t *f, const char *src, const char *dst, uint16_t sport,
	uint16_t dport, uint8_t next)
{
	memset(f, 0, 128);
	f[12] = 0x86;
	f[13] = 0xdd;
	f[14] = 0x60;
	f[19] = 20;
	f[20] = next;
	f[21] = 64;
	assert_int_equal(inet_pton(AF_INET6, src, f + 22), 1);
	assert_int_equal(inet_pton(AF_INET6, dst, f + 38), 1);
	f[54] = (uint8_t)(sport >> 8);
	f[55] = (uint8_t)sport;
	f[56] = (uint8_t)(dport >> 8);
	f[57] = (uint8_t)dport;
	return 14 + 40 + 20;
}

static int hash_of(const uint8_t *f, uint16_t len, uint32_t types, uint32_t *h)
{
	struct vs_vsp_rss rss = {.hash_info = types, .n_table = 1, .key = ms_key};
	struct rte_mbuf *m = mk(f, len);
	int ret = vs_nv_rss_hash(m, &rss, h);

	rte_pktmbuf_free(m);
	return ret;
}

static void microsoft_ipv4_vectors(void **state)
{
	uint8_t f[128];
	uint32_t h;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v4) / sizeof(v4[0]); i++) {
		uint16_t len =
			ipv4_frame(f, false, v4[i].src, v4[i].dst, v4[i].sport, v4[i].dport, 6, 0);

		assert_int_equal(hash_of(f, len, ALL_TYPES, &h), 0);
		assert_int_equal(h, v4[i].h_tcp);
		/* IPv4 only: the addresses */
		assert_int_equal(hash_of(f, len, NDIS_HASH_FUNC_TOEPLITZ | NDIS_HASH_IPV4, &h), 0);
		assert_int_equal(h, v4[i].h_ip);
		/* UDP: no UDP type in the set we advertise, so the 2-tuple */
		len = ipv4_frame(f, false, v4[i].src, v4[i].dst, v4[i].sport, v4[i].dport, 17, 0);
		assert_int_equal(hash_of(f, len, ALL_TYPES, &h), 0);
		assert_int_equal(h, v4[i].h_ip);
		/* a fragment has no ports to hash */
		len = ipv4_frame(
			f, false, v4[i].src, v4[i].dst, v4[i].sport, v4[i].dport, 6, 0x2000);
		assert_int_equal(hash_of(f, len, ALL_TYPES, &h), 0);
		assert_int_equal(h, v4[i].h_ip);
		/* an 802.1Q tag in the frame is skipped */
		len = ipv4_frame(f, true, v4[i].src, v4[i].dst, v4[i].sport, v4[i].dport, 6, 0);
		assert_int_equal(hash_of(f, len, ALL_TYPES, &h), 0);
		assert_int_equal(h, v4[i].h_tcp);
	}
}

static void microsoft_ipv6_vectors(void **state)
{
	uint8_t f[128];
	uint32_t h;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v6) / sizeof(v6[0]); i++) {
		uint16_t len = ipv6_frame(f, v6[i].src, v6[i].dst, v6[i].sport, v6[i].dport, 6);

		assert_int_equal(hash_of(f, len, ALL_TYPES, &h), 0);
		assert_int_equal(h, v6[i].h_tcp);
		assert_int_equal(hash_of(f, len, NDIS_HASH_FUNC_TOEPLITZ | NDIS_HASH_IPV6, &h), 0);
		assert_int_equal(h, v6[i].h_ip);
		len = ipv6_frame(f, v6[i].src, v6[i].dst, v6[i].sport, v6[i].dport, 17);
		assert_int_equal(hash_of(f, len, ALL_TYPES, &h), 0);
		assert_int_equal(h, v6[i].h_ip);
	}
}

/* The word-level entry point, with the first IPv4 vector's 12 input bytes written out. */
static void toeplitz_words(void **state)
{
	/* 66.9.149.187, 161.142.100.80, ports 2794 -> 1766 */
	uint32_t w[3] = {0x420995bb, 0xa18e6450, (2794u << 16) | 1766u};

	(void)state;
	assert_int_equal(vs_nv_toeplitz(w, 3, ms_key), 0x51ccc178);
	assert_int_equal(vs_nv_toeplitz(w, 2, ms_key), 0x323e8fc2);
}

/* Frames that get no hash go to channel 0: non-IP, a type the guest did not enable, no Toeplitz
 * function, truncated headers, a wrong IP version nibble. */
static void no_hash(void **state)
{
	uint8_t f[128];
	uint32_t h = 0;
	uint16_t len;

	(void)state;
	len = ipv4_frame(f, false, v4[0].src, v4[0].dst, 1, 2, 6, 0);
	assert_int_equal(hash_of(f, len, NDIS_HASH_FUNC_TOEPLITZ | NDIS_HASH_IPV6, &h), -ENOENT);
	assert_int_equal(hash_of(f, len, NDIS_HASH_IPV4 | NDIS_HASH_TCP_IPV4, &h), -ENOENT);
	/* TCP/IPv4 enabled without IPv4: TCP is hashed, UDP is not */
	assert_int_equal(hash_of(f, len, NDIS_HASH_FUNC_TOEPLITZ | NDIS_HASH_TCP_IPV4, &h), 0);
	len = ipv4_frame(f, false, v4[0].src, v4[0].dst, 1, 2, 17, 0);
	assert_int_equal(hash_of(f, len, NDIS_HASH_FUNC_TOEPLITZ | NDIS_HASH_TCP_IPV4, &h),
		-ENOENT);
	/* truncated: Ethernet + 19 bytes of IPv4 */
	assert_int_equal(hash_of(f, 14 + 19, ALL_TYPES, &h), -ENOENT);
	/* TCP header cut after the IP header: falls back to the addresses */
	len = ipv4_frame(f, false, v4[0].src, v4[0].dst, 2794, 1766, 6, 0);
	assert_int_equal(hash_of(f, 14 + 20 + 3, ALL_TYPES, &h), 0);
	assert_int_equal(h, 0x323e8fc2);
	/* IPv4 ethertype with version 6 */
	f[14] = 0x65;
	assert_int_equal(hash_of(f, len, ALL_TYPES, &h), -ENOENT);
	/* IHL below 5 */
	f[14] = 0x44;
	assert_int_equal(hash_of(f, len, ALL_TYPES, &h), -ENOENT);
	/* ARP */
	memset(f, 0, sizeof(f));
	f[12] = 0x08;
	f[13] = 0x06;
	assert_int_equal(hash_of(f, 60, ALL_TYPES, &h), -ENOENT);
	/* runt */
	assert_int_equal(hash_of(f, 12, ALL_TYPES, &h), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(microsoft_ipv4_vectors),
		cmocka_unit_test(microsoft_ipv6_vectors),
		cmocka_unit_test(toeplitz_words),
		cmocka_unit_test(no_hash),
	};

	if (vsw_test_eal_init("rss_test") < 0)
		return 1;
	pool = rte_pktmbuf_pool_create("rss_test", 63, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
		SOCKET_ID_ANY);
	if (pool == NULL)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
