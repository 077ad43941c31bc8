/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Helpers for the netvsp unit tests. Packets are assembled field by field at the byte offsets of
 * hyperv-facts.md 5.2 (descriptor, GPA_DIRECT header) around NVSP/RNDIS byte vectors that the
 * tests write out by hand; nothing here uses the core's own encoders or the wire structs.
 */
#ifndef VS_NETVSP_TEST_UTIL_H
#define VS_NETVSP_TEST_UTIL_H

#include "vsp.h"
#include "vsp_fake.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define RECV_GPADL 0x100u
#define SEND_GPADL 0x101u
#define RECV_SIZE (16u << 20)	  /* Linux default receive buffer, facts 6.2 step 5 */
#define SEND_SIZE (170u * 6144u) /* Linux default send buffer, facts 6.2 step 6 */
#define RAM_PAGES 64u
#define SUB_1500 1806u		 /* 256 + 1514 + 36 (facts 10 step 9) */
#define FIRST_DATA_OFF (16u * SUB_1500) /* first data sub-allocation after 16 reserved */
/* the last sub-allocation of a RECV_SIZE buffer: a whole-sub frame's first pick on a fresh one */
#define LAST_DATA_OFF(sub) ((RECV_SIZE / (sub) - 1u) * (sub))

static const uint8_t test_mac[6] = {0x00, 0x15, 0x5d, 0x01, 0x02, 0x03};

struct tctx {
	struct vsp_fake f;
	struct vs_vsp *vsp;
	uint8_t *rxbuf;
	uint8_t *txbuf;
	uint64_t next_trans;
};

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static inline void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static inline uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t get64(const uint8_t *p)
{
	return get32(p) | (uint64_t)get32(p + 4) << 32;
}

static inline uint64_t err_count(const struct tctx *t, enum vs_vsp_err e)
{
	return vs_vsp_stats(t->vsp)->err[e];
}

static inline uint64_t drop_count(const struct tctx *t, enum vs_vsp_drop d)
{
	return vs_vsp_stats(t->vsp)->drop[d];
}

static inline uint64_t total_errors(const struct tctx *t)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i < VS_VSP_ERR_COUNT; i++)
		n += vs_vsp_stats(t->vsp)->err[i];
	return n;
}

static inline void tctx_setup_cfg(struct tctx *t, const struct vs_vsp_config *cfg,
	size_t recv_size)
{
	memset(t, 0, sizeof(*t));
	assert_int_equal(vsp_fake_init(&t->f, RAM_PAGES), 0);
	t->rxbuf = vsp_fake_gpadl_add(&t->f, RECV_GPADL, recv_size);
	t->txbuf = vsp_fake_gpadl_add(&t->f, SEND_GPADL, SEND_SIZE);
	assert_non_null(t->rxbuf);
	assert_non_null(t->txbuf);
	t->vsp = vs_vsp_create(cfg, &vsp_fake_ops, &t->f);
	assert_non_null(t->vsp);
	t->next_trans = 0x1000;
}

static inline void tctx_setup(struct tctx *t)
{
	struct vs_vsp_config cfg = {.link_up = true};

	memcpy(cfg.mac, test_mac, 6);
	tctx_setup_cfg(t, &cfg, RECV_SIZE);
}

static inline void tctx_teardown(struct tctx *t)
{
	vs_vsp_destroy(t->vsp);
	vsp_fake_fini(&t->f);
}

/* Packet n sent by the core. */
static inline const uint8_t *sent(struct tctx *t, unsigned int n, size_t *len)
{
	assert_true(n < t->f.n_pkts);
	if (len)
		*len = t->f.pkt_len[n];
	return t->f.pkts[n];
}

/* Descriptor (facts 5.2): type @0, offset8 @2, len8 @4, flags @6, trans id @8. */
static inline void put_desc(uint8_t *p, uint16_t type, uint16_t offset8, uint16_t len8,
	uint16_t flags, uint64_t trans)
{
	put16(p, type);
	put16(p + 2, offset8);
	put16(p + 4, len8);
	put16(p + 6, flags);
	put64(p + 8, trans);
}

/* INBAND packet: 16-byte descriptor + NVSP message padded to 40 bytes (Linux's size). */
static inline int send_inband(struct tctx *t, uint64_t trans, bool comp, const uint8_t *msg,
	size_t len)
{
	uint8_t pkt[16 + 40] = {0};

	assert_true(len <= 40);
	put_desc(pkt, 6, 2, 7, comp ? 1 : 0, trans);
	memcpy(pkt + 16, msg, len);
	return vs_vsp_handle_packet(t->vsp, 0, pkt, sizeof(pkt));
}

/* A GPA range as the guest writes it. */
struct trange {
	uint32_t count, offset;
	uint32_t n_pfns;
	uint64_t pfns[20];
};

/* GPA_DIRECT packet (facts 5.2): descriptor, u32 reserved @16, u32 range count @20, ranges @24
 * (count, offset, PFNs), then the 40-byte NVSP message. */
static inline int send_gpa(struct tctx *t, uint64_t trans, const uint8_t *nvsp, size_t nvsp_len,
	const struct trange *r, unsigned int n)
{
	uint8_t pkt[2048] = {0};
	size_t pos = 24;
	unsigned int i, k;

	for (i = 0; i < n; i++) {
		put32(pkt + pos, r[i].count);
		put32(pkt + pos + 4, r[i].offset);
		pos += 8;
		for (k = 0; k < r[i].n_pfns; k++, pos += 8)
			put64(pkt + pos, r[i].pfns[k]);
	}
	put32(pkt + 20, n);
	memcpy(pkt + pos, nvsp, nvsp_len);
	put_desc(pkt, 9, (uint16_t)(pos / 8), (uint16_t)((pos + 40) / 8), 1, trans);
	return vs_vsp_handle_packet(t->vsp, 0, pkt, pos + 40);
}

/* Write bytes into guest RAM starting at page 'page' (0-based) + 'offset', across pages. */
static inline void ram_put(struct tctx *t, unsigned int page, uint32_t offset, const void *data,
	size_t len)
{
	assert_true((size_t)page * 4096 + offset + len <= t->f.n_pages * 4096);
	memcpy(t->f.ram + (size_t)page * 4096 + offset, data, len);
}

/* A range of 'len' bytes at guest page 'page' + 'offset', consecutive PFNs. */
static inline struct trange range_of(unsigned int page, uint32_t offset, uint32_t len)
{
	struct trange r = {.count = len, .offset = offset};
	uint32_t k;

	r.n_pfns = (offset + len + 4095) / 4096;
	for (k = 0; k < r.n_pfns; k++)
		r.pfns[k] = VSP_FAKE_PFN_BASE + page + k;
	return r;
}

/* NVSP SEND_RNDIS_PKT (107): channel_type @4, section index @8, section bytes @12. */
static inline void nvsp_rndis(uint8_t *m, uint32_t channel, uint32_t index, uint32_t used)
{
	memset(m, 0, 40);
	m[0] = 0x6b;
	put32(m + 4, channel);
	put32(m + 8, index);
	put32(m + 12, used);
}

/* An RNDIS control message placed at guest page 2 offset 0x100 and sent as Linux does: GPA_DIRECT,
 * one range, channel_type 1, no section. */
static inline int send_rndis_ctl(struct tctx *t, uint64_t trans, const void *msg, uint32_t len)
{
	uint8_t nvsp[40];
	struct trange r = range_of(2, 0x100, len);

	ram_put(t, 2, 0x100, msg, len);
	nvsp_rndis(nvsp, 1, 0xffffffffu, 0);
	return send_gpa(t, trans, nvsp, 40, &r, 1);
}

/* COMP {108, status} for our XFER_PAGES transaction, as Linux sends it. */
static inline int guest_complete(struct tctx *t, uint64_t trans, uint32_t status)
{
	uint8_t m[40] = {0x6c, 0, 0, 0};
	uint8_t pkt[16 + 40] = {0};

	put32(m + 4, status);
	put_desc(pkt, 0x0b, 2, 7, 0, trans);
	memcpy(pkt + 16, m, 40);
	return vs_vsp_handle_packet(t->vsp, 0, pkt, sizeof(pkt));
}

/* Check packet n is COMP (type 0xB, offset8 2, len8 7, flags 0) for 'trans' carrying 'payload'
 * zero-padded to 40 bytes. */
static inline void expect_comp(struct tctx *t, unsigned int n, uint64_t trans,
	const uint8_t *payload, size_t len)
{
	static const uint8_t desc[8] = {0x0b, 0, 2, 0, 7, 0, 0, 0};
	uint8_t want[40] = {0};
	size_t plen;
	const uint8_t *p = sent(t, n, &plen);

	assert_int_equal(plen, 56);
	assert_memory_equal(p, desc, 8);
	assert_int_equal(get64(p + 8), trans);
	memcpy(want, payload, len);
	assert_memory_equal(p + 16, want, 40);
}

/* Check packet n is a one-range control XFER_PAGES (facts 6.3): type 7, offset8 4, len8 6,
 * completion requested, set id 0xCAFE, range {len, offset}, NVSP {107, 1, 0xFFFFFFFF, 0}; and that
 * the receive buffer holds 'answer' there. Returns the transaction id. */
static inline uint64_t expect_ctl_xfer(struct tctx *t, unsigned int n, const uint8_t *answer,
	uint32_t len)
{
	static const uint8_t head[8] = {0x07, 0, 4, 0, 6, 0, 1, 0};
	static const uint8_t tail[4 + 16] = {0xfe, 0xca, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
	static const uint8_t nvsp[16] = {0x6b, 0, 0, 0, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0,
		0};
	size_t plen;
	const uint8_t *p = sent(t, n, &plen);
	uint32_t off;

	assert_int_equal(plen, 48);
	assert_memory_equal(p, head, 8);
	assert_memory_equal(p + 16, tail, 8);
	assert_int_equal(get32(p + 24), len);
	off = get32(p + 28);
	assert_int_equal(off % SUB_1500, 0);
	assert_memory_equal(p + 32, nvsp, 16);
	assert_memory_equal(t->rxbuf + off, answer, len);
	return get64(p + 8);
}

/* Complete every XFER_PAGES packet recorded so far, then forget the recorded packets. */
static inline void complete_all(struct tctx *t)
{
	unsigned int i, n = t->f.n_pkts;
	uint64_t ids[VSP_FAKE_MAX_PKTS];
	unsigned int k = 0;

	for (i = 0; i < n; i++)
		if (t->f.pkts[i][0] == 7)
			ids[k++] = get64(t->f.pkts[i] + 8);
	vsp_fake_clear(&t->f);
	for (i = 0; i < k; i++)
		assert_int_equal(guest_complete(t, ids[i], 1), 0);
	vsp_fake_clear(&t->f);
}

/* NVSP INIT 6.1 .. SEND_SEND_BUF, without checks (the bring-up test checks them). */
static inline void nvsp_bringup(struct tctx *t, uint32_t version, uint32_t ndis_mtu)
{
	uint8_t init[12] = {0x01, 0, 0, 0};
	uint8_t cfg[20] = {0x7d, 0, 0, 0};
	uint8_t rbuf[10] = {0x65, 0, 0, 0, 0, 0, 0, 0, 0xfe, 0xca};
	uint8_t sbuf[10] = {0x68, 0, 0, 0, 0, 0, 0, 0, 0, 0};

	put32(init + 4, version);
	put32(init + 8, version);
	put32(cfg + 4, ndis_mtu);
	put32(rbuf + 4, RECV_GPADL);
	put32(sbuf + 4, SEND_GPADL);
	assert_int_equal(send_inband(t, 1, true, init, sizeof(init)), 0);
	if (version >= 0x30002)
		assert_int_equal(send_inband(t, 0, false, cfg, sizeof(cfg)), 0);
	assert_int_equal(send_inband(t, 2, true, rbuf, sizeof(rbuf)), 0);
	assert_int_equal(send_inband(t, 3, true, sbuf, sizeof(sbuf)), 0);
	vsp_fake_clear(&t->f);
}

/* RNDIS INITIALIZE (24 bytes, facts 7.2): type 2, len 24, req_id, 1, 0, 0x4000. */
static inline void rndis_init(struct tctx *t)
{
	static const uint8_t msg[24] = {0x02, 0, 0, 0, 0x18, 0, 0, 0, 0x01, 0, 0, 0, 0x01, 0, 0, 0,
		0, 0, 0, 0, 0x00, 0x40, 0, 0};

	assert_int_equal(send_rndis_ctl(t, 4, msg, sizeof(msg)), 0);
	complete_all(t);
}

/* SET CURRENT_PACKET_FILTER = 0x0D (28 + 4 bytes). */
static inline void rndis_filter(struct tctx *t, uint32_t filter)
{
	uint8_t msg[32] = {0x05, 0, 0, 0, 0x20, 0, 0, 0, 0x09, 0, 0, 0, 0x0e, 0x01, 0x01, 0x00,
		0x04, 0, 0, 0, 0x14, 0, 0, 0, 0, 0, 0, 0};

	put32(msg + 28, filter);
	assert_int_equal(send_rndis_ctl(t, 5, msg, sizeof(msg)), 0);
	complete_all(t);
}

/* SET TCP_OFFLOAD_PARAMETERS (28 + 28 bytes, facts 7.4) as Linux 6.1 sends it when the host
 * offers everything: ip_v4_csum 1 @4, TCP/UDP v4/v6 checksums 4 @5..@8, LSOv2 v4/v6 2 @11/@12,
 * RSC v4/v6 2 @22/@23. */
static inline void rndis_offloads_all(struct tctx *t)
{
	static const uint8_t msg[56] = {0x05, 0, 0, 0, 0x38, 0, 0, 0, 0x0c, 0, 0, 0, 0x0c, 0x02,
		0x01, 0xfc, 0x1c, 0, 0, 0, 0x14, 0, 0, 0, 0, 0, 0, 0, 0x80, 0x03, 0x1c, 0x00, 0x01,
		0x04, 0x04, 0x04, 0x04, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x02, 0, 0,
		0, 0};

	assert_int_equal(send_rndis_ctl(t, 6, msg, sizeof(msg)), 0);
	complete_all(t);
}

/* Whole bring-up to "eth0 up": NVSP 6.1, MTU 1500, buffers, RNDIS init, every offload on,
 * filter 0x0D. */
static inline void full_bringup(struct tctx *t)
{
	nvsp_bringup(t, 0x60001, 1514);
	rndis_init(t);
	rndis_offloads_all(t);
	rndis_filter(t, 0x0d);
	assert_int_equal(total_errors(t), 0);
}

#endif
