/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Test-only helpers for the offload unit tests: frames written byte by byte from the protocol
 * layouts (RFC 791, 8200, 793, 768, IEEE 802.1Q), an RFC 1071 checksum written independently of
 * the code under test, and mbuf chains built from byte buffers.
 */
#ifndef VSW_OFFLOAD_TEST_PKT_H
#define VSW_OFFLOAD_TEST_PKT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <rte_mbuf.h>

#define T_MAX_FRAME (70 * 1024)

struct tpkt {
	int ipv6;              /* 0: IPv4, 1: IPv6 */
	int n_vlan;            /* 0..2 tags (first 802.1ad when 2) */
	uint8_t proto;         /* 6 TCP, 17 UDP */
	const uint8_t *opts;   /* TCP options (multiple of 4 bytes) */
	size_t opts_len;
	uint8_t tcp_flags;
	uint32_t seq, ack;
	uint16_t ip_id;
	uint16_t win;
	uint8_t tos;
	uint32_t pay_len;
	uint32_t pay_off;      /* stream offset of the first payload byte (pattern) */
	int zero_len;          /* LSO style: IP length 0 */
	int bad_csum;          /* leave garbage in the checksums */
	uint8_t src_last;      /* last byte of the source address (flow selector) */
};

/* Payload byte at stream offset i. */
static inline uint8_t t_pay(uint32_t i)
{
	return (uint8_t)(i * 7u + (i >> 8) + 3u);
}

/* RFC 1071: one's complement sum of 16-bit big-endian words, folded, not complemented. */
static inline uint32_t t_sum(const uint8_t *p, size_t n, uint32_t acc)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		acc += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		acc += (uint32_t)p[n - 1] << 8;
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return acc;
}

static inline void t_put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void t_put32(uint8_t *p, uint32_t v)
{
	t_put16(p, v >> 16);
	t_put16(p + 2, v);
}

static inline uint32_t t_get16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

static inline uint32_t t_get32(const uint8_t *p)
{
	return t_get16(p) << 16 | t_get16(p + 2);
}

/* Pseudo-header sum for an L4 segment of 'l4len' bytes behind the IP header at 'ip'. */
static inline uint32_t t_phdr(const uint8_t *ip, int ipv6, uint8_t proto, uint32_t l4len)
{
	uint32_t acc = proto + (l4len >> 16) + (l4len & 0xffff);

	if (ipv6)
		return t_sum(ip + 8, 32, acc);
	return t_sum(ip + 12, 8, acc);
}

/* Offset of the IP header in a frame with 'n_vlan' tags. */
static inline size_t t_l2(int n_vlan)
{
	return 14u + 4u * (unsigned int)n_vlan;
}

/* Write a frame into buf; returns its length. */
static inline size_t tpkt_build(uint8_t *buf, const struct tpkt *t)
{
	static const uint8_t dst_mac[6] = {0x02, 0, 0, 0, 0, 0x02};
	static const uint8_t src_mac[6] = {0x02, 0, 0, 0, 0, 0x01};
	size_t l2 = t_l2(t->n_vlan), l3 = t->ipv6 ? 40 : 20;
	size_t l4 = t->proto == 6 ? 20 + t->opts_len : 8;
	size_t len = l2 + l3 + l4 + t->pay_len;
	uint8_t *ip = buf + l2, *th = ip + l3, *pay = th + l4;
	uint32_t i, ck;

	memset(buf, 0, l2 + l3 + l4);
	memcpy(buf, dst_mac, 6);
	memcpy(buf + 6, src_mac, 6);
	if (t->n_vlan == 2) {
		t_put16(buf + 12, 0x88a8);
		t_put16(buf + 14, 100);
		t_put16(buf + 16, 0x8100);
		t_put16(buf + 18, 0x2000 | 200);
	} else if (t->n_vlan == 1) {
		t_put16(buf + 12, 0x8100);
		t_put16(buf + 14, 0x6000 | 42);
	}
	t_put16(buf + l2 - 2, t->ipv6 ? 0x86dd : 0x0800);
	if (t->ipv6) {
		t_put32(ip, 0x60000000u | (uint32_t)t->tos << 20 | 0x12345);
		t_put16(ip + 4, t->zero_len ? 0 : (uint32_t)(l4 + t->pay_len));
		ip[6] = t->proto;
		ip[7] = 64;
		ip[8] = 0xfd;
		ip[23] = t->src_last ? t->src_last : 1;
		ip[24] = 0xfd;
		ip[39] = 2;
	} else {
		ip[0] = 0x45;
		ip[1] = t->tos;
		t_put16(ip + 2, t->zero_len ? 0 : (uint32_t)(l3 + l4 + t->pay_len));
		t_put16(ip + 4, t->ip_id);
		t_put16(ip + 6, 0x4000); /* DF */
		ip[8] = 64;
		ip[9] = t->proto;
		ip[12] = 10;
		ip[15] = t->src_last ? t->src_last : 1;
		ip[16] = 10;
		ip[19] = 2;
		t_put16(ip + 10, t->bad_csum ? 0xbeef : ~t_sum(ip, 20, 0) & 0xffff);
	}
	t_put16(th, 40000);
	t_put16(th + 2, 5001);
	if (t->proto == 6) {
		t_put32(th + 4, t->seq);
		t_put32(th + 8, t->ack);
		th[12] = (uint8_t)((l4 / 4) << 4);
		th[13] = t->tcp_flags;
		t_put16(th + 14, t->win ? t->win : 512);
		if (t->opts_len)
			memcpy(th + 20, t->opts, t->opts_len);
	} else {
		t_put16(th + 4, (uint32_t)(l4 + t->pay_len));
	}
	for (i = 0; i < t->pay_len; i++)
		pay[i] = t_pay(t->pay_off + i);
	if (t->bad_csum) {
		t_put16(th + (t->proto == 6 ? 16 : 6), 0x1234);
	} else {
		ck = ~t_sum(th, l4 + t->pay_len, t_phdr(ip, t->ipv6, t->proto,
			(uint32_t)(l4 + t->pay_len))) & 0xffff;
		if (ck == 0 && t->proto == 17)
			ck = 0xffff;
		t_put16(th + (t->proto == 6 ? 16 : 6), ck);
	}
	return len;
}

/* Copy buf into a chain from 'pool': the first mbuf holds 'first' bytes, later ones 'chunk'. */
static inline struct rte_mbuf *t_mbuf(struct rte_mempool *pool, const uint8_t *buf, size_t len,
	size_t first, size_t chunk)
{
	struct rte_mbuf *head = NULL, *last = NULL;
	size_t off = 0;

	while (off < len || !head) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
		size_t n = head ? chunk : first;

		if (!m)
			goto err;
		if (n > len - off)
			n = len - off;
		if (n > rte_pktmbuf_tailroom(m))
			n = rte_pktmbuf_tailroom(m);
		memcpy(rte_pktmbuf_append(m, (uint16_t)n), buf + off, n);
		off += n;
		if (!head) {
			head = m;
		} else {
			last->next = m;
			head->nb_segs++;
			head->pkt_len += (uint32_t)n;
		}
		last = m;
	}
	return head;
err:
	rte_pktmbuf_free(head);
	return NULL;
}

/* Flatten a chain into 'buf' (returns its length). */
static inline size_t t_flat(const struct rte_mbuf *m, uint8_t *buf)
{
	size_t off = 0;

	for (; m; m = m->next) {
		memcpy(buf + off, rte_pktmbuf_mtod(m, const uint8_t *), m->data_len);
		off += m->data_len;
	}
	return off;
}

/* Are the IPv4 header checksum (if IPv4) and the L4 checksum of frame 'f' valid? */
static inline int t_csum_ok(const uint8_t *f, size_t len, int n_vlan, int ipv6, size_t l3len)
{
	const uint8_t *ip = f + t_l2(n_vlan);
	size_t l4len = len - t_l2(n_vlan) - l3len;
	uint8_t proto = ipv6 ? ip[6] : ip[9];

	if (!ipv6 && t_sum(ip, l3len, 0) != 0xffff)
		return 0;
	return t_sum(ip + l3len, l4len, t_phdr(ip, ipv6, proto, (uint32_t)l4len)) == 0xffff;
}

#endif
