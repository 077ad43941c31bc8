/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for gpadl.c. GPADL messages are laid out here byte by byte from the facts 4.3
 * tables (GPADL_HEADER: type 8, relid @8, handle @12, range_buflen @16, rangecount @18,
 * byte_count @20, byte_offset @24, PFNs @28; GPADL_BODY: type 9, msgnumber @8, handle @12,
 * PFNs @16), independently of vmbus_gpadl_build_msg, which is then checked against them.
 */
#include "vmbus.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define MEM_PAGES (1u << 20) /* 4 GiB partition */
#define RELID 14u
#define HANDLE 0xe1e10u

struct raw_msg {
	uint8_t b[240];
	size_t size;
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static void raw_header(struct raw_msg *m, uint32_t relid, uint32_t handle, uint16_t buflen,
	uint16_t rangecount, uint32_t byte_count, uint32_t byte_offset, const uint64_t *pfns,
	uint32_t n)
{
	uint32_t i;

	memset(m, 0, sizeof(*m));
	m->b[0] = 8;
	put32(m->b + 8, relid);
	put32(m->b + 12, handle);
	put16(m->b + 16, buflen);
	put16(m->b + 18, rangecount);
	put32(m->b + 20, byte_count);
	put32(m->b + 24, byte_offset);
	for (i = 0; i < n; i++)
		put64(m->b + 28 + 8 * i, pfns[i]);
	m->size = 28 + 8 * n;
}

static void raw_body(struct raw_msg *m, uint32_t handle, const uint64_t *pfns, uint32_t n)
{
	uint32_t i;

	memset(m, 0, sizeof(*m));
	m->b[0] = 9;
	put32(m->b + 12, handle);
	for (i = 0; i < n; i++)
		put64(m->b + 16 + 8 * i, pfns[i]);
	m->size = 16 + 8 * n;
}

static uint64_t *scattered_pfns(uint32_t n)
{
	uint64_t *p = malloc(n * sizeof(*p));
	uint32_t i;

	assert_non_null(p);
	for (i = 0; i < n; i++)
		p[i] = (0x10000u + i * 3u + (i % 7u) * 0x1000u) % MEM_PAGES;
	return p;
}

/* Feed a whole Linux-shaped GPADL (header 26 PFNs, bodies 28) through raw messages. */
static void feed_linux_shape(struct vmbus_gpadl_asm *a, uint32_t handle, uint32_t bytes,
	const uint64_t *pfns, uint32_t n, uint32_t expect_bodies, struct vmbus_gpadl **done)
{
	struct raw_msg m;
	uint32_t sent = n < 26 ? n : 26, bodies = 0;
	int ret;

	raw_header(&m, RELID, handle, (uint16_t)(8 + 8 * n), 1, bytes, 0, pfns, sent);
	ret = vmbus_gpadl_asm_feed(a, m.b, m.size, NULL, done);
	while (sent < n) {
		uint32_t k = n - sent < 28 ? n - sent : 28;

		assert_int_equal(ret, 0);
		assert_null(*done);
		raw_body(&m, handle, pfns + sent, k);
		ret = vmbus_gpadl_asm_feed(a, m.b, m.size, NULL, done);
		sent += k;
		bodies++;
	}
	assert_int_equal(ret, 1);
	assert_int_equal(bodies, expect_bodies);
	assert_non_null(*done);
}

static void check_gpadl(const struct vmbus_gpadl *g, uint32_t handle, uint32_t bytes,
	const uint64_t *pfns, uint32_t n)
{
	assert_int_equal(g->relid, RELID);
	assert_int_equal(g->handle, handle);
	assert_int_equal(g->byte_offset, 0);
	assert_int_equal(g->byte_count, bytes);
	assert_int_equal(g->n_pfns, n);
	assert_memory_equal(g->pfns, pfns, n * sizeof(*pfns));
}

/* Facts 4.3: channel rings 256 pages = header 26 + 9 bodies (8 x 28 + 6). */
static void gpadl_linux_ring_256_pages_header_and_9_bodies(void **state)
{
	struct vmbus_gpadl_asm *a = vmbus_gpadl_asm_create(MEM_PAGES);
	uint64_t *pfns = scattered_pfns(256);
	struct vmbus_gpadl *g;
	struct raw_msg m;

	(void)state;
	assert_non_null(a);
	/* the exact header bytes: range_buflen 8 + 2048 = 0x808, byte_count 0x100000 */
	raw_header(&m, RELID, HANDLE, 0x808, 1, 0x100000, 0, pfns, 26);
	assert_int_equal(m.size, 236);
	assert_int_equal(m.b[16], 0x08);
	assert_int_equal(m.b[17], 0x08);
	feed_linux_shape(a, HANDLE, 256 * 4096, pfns, 256, 9, &g);
	check_gpadl(g, HANDLE, 256 * 4096, pfns, 256);
	assert_int_equal(vmbus_gpadl_asm_pending(a), 0);
	vmbus_gpadl_free(g);
	free(pfns);
	vmbus_gpadl_asm_destroy(a);
}

/* Receive buffer 4096 pages: 146 bodies (145 x 28 + 10); send buffer 255: 9 (8 x 28 + 5). */
static void gpadl_linux_receive_and_send_buffers(void **state)
{
	struct vmbus_gpadl_asm *a = vmbus_gpadl_asm_create(MEM_PAGES);
	uint64_t *pfns = scattered_pfns(4096);
	struct vmbus_gpadl *g;

	(void)state;
	feed_linux_shape(a, HANDLE + 1, 16777216, pfns, 4096, 146, &g);
	check_gpadl(g, HANDLE + 1, 16777216, pfns, 4096);
	vmbus_gpadl_free(g);
	feed_linux_shape(a, HANDLE + 2, 1044480, pfns, 255, 9, &g);
	check_gpadl(g, HANDLE + 2, 1044480, pfns, 255);
	vmbus_gpadl_free(g);
	free(pfns);
	vmbus_gpadl_asm_destroy(a);
}

static void gpadl_small_completes_on_header(void **state)
{
	struct vmbus_gpadl_asm *a = vmbus_gpadl_asm_create(MEM_PAGES);
	static const uint64_t pfns[2] = {5, 9};
	struct vmbus_gpadl_id id;
	struct vmbus_gpadl *g;
	struct raw_msg m;

	(void)state;
	/* 0x1001 bytes at offset 0xfff: 2 pages */
	raw_header(&m, RELID, 7, 24, 1, 0x1001, 0xfff, pfns, 2);
	assert_int_equal(vmbus_gpadl_asm_feed(a, m.b, m.size, &id, &g), 1);
	assert_true(id.valid);
	assert_int_equal(id.relid, RELID);
	assert_int_equal(id.handle, 7);
	assert_int_equal(g->byte_offset, 0xfff);
	assert_int_equal(g->n_pfns, 2);
	assert_true(g->pfns[1] == 9);
	vmbus_gpadl_free(g);
	vmbus_gpadl_asm_destroy(a);
}

static void gpadl_interleaved_handles_match_bodies_by_handle(void **state)
{
	struct vmbus_gpadl_asm *a = vmbus_gpadl_asm_create(MEM_PAGES);
	uint64_t *pa = scattered_pfns(40), *pb = scattered_pfns(60);
	struct vmbus_gpadl *g;
	struct raw_msg m;
	uint32_t i;

	(void)state;
	for (i = 0; i < 60; i++)
		pb[i] += 100000;
	raw_header(&m, RELID, 1, 8 + 8 * 40, 1, 40 * 4096, 0, pa, 26);
	assert_int_equal(vmbus_gpadl_asm_feed(a, m.b, m.size, NULL, &g), 0);
	raw_header(&m, RELID + 1, 2, 8 + 8 * 60, 1, 60 * 4096, 0, pb, 26);
	assert_int_equal(vmbus_gpadl_asm_feed(a, m.b, m.size, NULL, &g), 0);
	assert_int_equal(vmbus_gpadl_asm_pending(a), 2);
	raw_body(&m, 2, pb + 26, 28);
	assert_int_equal(vmbus_gpadl_asm_feed(a, m.b, m.size, NULL, &g), 0);
	raw_body(&m, 1, pa + 26, 14);
	assert_int_equal(vmbus_gpadl_asm_feed(a, m.b, m.size, NULL, &g), 1);
	assert_int_equal(g->handle, 1);
	assert_memory_equal(g->pfns, pa, 40 * 8);
	vmbus_gpadl_free(g);
	raw_body(&m, 2, pb + 54, 6);
	assert_int_equal(vmbus_gpadl_asm_feed(a, m.b, m.size, NULL, &g), 1);
	assert_int_equal(g->relid, RELID + 1);
	assert_memory_equal(g->pfns, pb, 60 * 8);
	vmbus_gpadl_free(g);
	free(pa);
	free(pb);
	vmbus_gpadl_asm_destroy(a);
}

static int feed(struct vmbus_gpadl_asm *a, const struct raw_msg *m)
{
	struct vmbus_gpadl *g = NULL;
	int ret = vmbus_gpadl_asm_feed(a, m->b, m->size, NULL, &g);

	vmbus_gpadl_free(g);
	return ret;
}

static void gpadl_header_range_checks(void **state)
{
	struct vmbus_gpadl_asm *a = vmbus_gpadl_asm_create(MEM_PAGES);
	static const uint64_t pfns[2] = {1, 2};
	struct raw_msg m;

	(void)state;
	/* range count 0 and 2 */
	raw_header(&m, RELID, 1, 16, 0, 4096, 0, pfns, 1);
	assert_int_equal(feed(a, &m), -EPROTO);
	raw_header(&m, RELID, 1, 16, 2, 4096, 0, pfns, 1);
	assert_int_equal(feed(a, &m), -EOPNOTSUPP);
	/* byte_count 0 */
	raw_header(&m, RELID, 1, 16, 1, 0, 0, pfns, 1);
	assert_int_equal(feed(a, &m), -EPROTO);
	/* byte_offset 0x1000, 0xffffffff */
	raw_header(&m, RELID, 1, 16, 1, 1, 0x1000, pfns, 1);
	assert_int_equal(feed(a, &m), -EPROTO);
	raw_header(&m, RELID, 1, 16, 1, 1, 0xffffffffu, pfns, 1);
	assert_int_equal(feed(a, &m), -EPROTO);
	/* 0xfff + 1 byte: one page; 0xfff + 2 bytes: two pages */
	raw_header(&m, RELID, 1, 16, 1, 1, 0xfff, pfns, 1);
	assert_int_equal(feed(a, &m), 1);
	raw_header(&m, RELID, 1, 16, 1, 2, 0xfff, pfns, 1);
	assert_int_equal(feed(a, &m), -EPROTO); /* buflen says 1 page */
	raw_header(&m, RELID, 1, 24, 1, 2, 0xfff, pfns, 2);
	assert_int_equal(feed(a, &m), 1);
	/* range_buflen off by 8 either way */
	raw_header(&m, RELID, 1, 8, 1, 4096, 0, pfns, 1);
	assert_int_equal(feed(a, &m), -EPROTO);
	raw_header(&m, RELID, 1, 24, 1, 4096, 0, pfns, 1);
	assert_int_equal(feed(a, &m), -EPROTO);
	/* more PFNs in the header than the range covers */
	raw_header(&m, RELID, 1, 16, 1, 4096, 0, pfns, 2);
	assert_int_equal(feed(a, &m), -EPROTO);
	/* a byte count whose page count overflows 32-bit offset + count: 2^20 + 1 pages */
	raw_header(&m, RELID, 1, 16, 1, 0xffffffffu, 0xfff, pfns, 1);
	assert_int_equal(feed(a, &m), -E2BIG);
	/* truncated: no range header, half a PFN */
	raw_header(&m, RELID, 1, 16, 1, 4096, 0, pfns, 1);
	m.size = 27;
	assert_int_equal(feed(a, &m), -EPROTO);
	m.size = 32;
	assert_int_equal(feed(a, &m), -EPROTO);
	assert_int_equal(vmbus_gpadl_asm_pending(a), 0);
	vmbus_gpadl_asm_destroy(a);
}

/* Linux computes range_buflen in a u16: 8191 pages -> 8 + 65528 = 65536 -> 0. */
static void gpadl_range_buflen_compared_modulo_2_16(void **state)
{
	struct vmbus_gpadl_asm *a = vmbus_gpadl_asm_create(MEM_PAGES);
	static const uint64_t pfns[26];
	struct raw_msg m;

	(void)state;
	raw_header(&m, RELID, 1, 0, 1, 8191u * 4096u, 0, pfns, 26);
	assert_int_equal(feed(a, &m), 0);
	raw_header(&m, RELID, 2, 0xffff, 1, 8191u * 4096u, 0, pfns, 26);
	assert_int_equal(feed(a, &m), -EPROTO);
	/* the cap: 65536 pages accepted, 65537 refused */
	raw_header(&m, RELID, 3, (uint16_t)(8 + 8 * 65536u), 1, 65536u * 4096u, 0, pfns, 26);
	assert_int_equal(feed(a, &m), 0);
	raw_header(&m, RELID, 4, (uint16_t)(8 + 8 * 65537u), 1, 65536u * 4096u, 1, pfns, 26);
	assert_int_equal(feed(a, &m), -E2BIG);
	vmbus_gpadl_asm_destroy(a);
}

static void gpadl_pfn_outside_memory_returns_efault(void **state)
{
	struct vmbus_gpadl_asm *a = vmbus_gpadl_asm_create(64);
	uint64_t pfns[30];
	struct vmbus_gpadl_id id;
	struct vmbus_gpadl *g;
	struct raw_msg m;
	uint32_t i;

	(void)state;
	for (i = 0; i < 30; i++)
		pfns[i] = i;
	pfns[3] = 64; /* == mem pages */
	raw_header(&m, RELID, 1, 8 + 8 * 4, 1, 4 * 4096, 0, pfns, 4);
	assert_int_equal(feed(a, &m), -EFAULT);
	pfns[3] = 63;
	assert_int_equal(feed(a, &(struct raw_msg){0}), -EPROTO); /* type 0 */
	raw_header(&m, RELID, 1, 8 + 8 * 4, 1, 4 * 4096, 0, pfns, 4);
	assert_int_equal(feed(a, &m), 1);
	/* in a body: the GPADL is dropped, later bodies find nothing */
	raw_header(&m, RELID, 2, 8 + 8 * 30, 1, 30 * 4096, 0, pfns, 26);
	assert_int_equal(feed(a, &m), 0);
	pfns[27] = 1u << 31;
	raw_body(&m, 2, pfns + 26, 4);
	assert_int_equal(vmbus_gpadl_asm_feed(a, m.b, m.size, &id, &g), -EFAULT);
	assert_true(id.valid);
	assert_int_equal(id.relid, RELID);
	assert_int_equal(id.handle, 2);
	assert_int_equal(vmbus_gpadl_asm_pending(a), 0);
	assert_int_equal(feed(a, &m), -ENOENT);
	vmbus_gpadl_asm_destroy(a);
}

static void gpadl_body_checks(void **state)
{
	struct vmbus_gpadl_asm *a = vmbus_gpadl_asm_create(MEM_PAGES);
	uint64_t *pfns = scattered_pfns(60);
	struct vmbus_gpadl_id id;
	struct vmbus_gpadl *g;
	struct raw_msg m;

	(void)state;
	/* unknown handle */
	raw_body(&m, 5, pfns, 1);
	assert_int_equal(vmbus_gpadl_asm_feed(a, m.b, m.size, &id, &g), -ENOENT);
	assert_false(id.valid);
	/* 30 pages: header 26, 4 remain */
	raw_header(&m, RELID, 5, 8 + 8 * 30, 1, 30 * 4096, 0, pfns, 26);
	assert_int_equal(feed(a, &m), 0);
	/* duplicate handle while in flight */
	assert_int_equal(feed(a, &m), -EEXIST);
	assert_int_equal(vmbus_gpadl_asm_pending(a), 1);
	/* a body with 5 PFNs when 4 remain: dropped */
	raw_body(&m, 5, pfns + 26, 5);
	assert_int_equal(feed(a, &m), -EPROTO);
	assert_int_equal(vmbus_gpadl_asm_pending(a), 0);
	/* empty body, half a PFN */
	raw_header(&m, RELID, 5, 8 + 8 * 30, 1, 30 * 4096, 0, pfns, 26);
	assert_int_equal(feed(a, &m), 0);
	raw_body(&m, 5, pfns + 26, 0);
	assert_int_equal(feed(a, &m), -EPROTO);
	assert_int_equal(vmbus_gpadl_asm_pending(a), 0);
	raw_header(&m, RELID, 5, 8 + 8 * 30, 1, 30 * 4096, 0, pfns, 26);
	assert_int_equal(feed(a, &m), 0);
	raw_body(&m, 5, pfns + 26, 1);
	m.size = 20;
	assert_int_equal(feed(a, &m), -EPROTO);
	/* exact remainder in two bodies */
	raw_header(&m, RELID, 5, 8 + 8 * 30, 1, 30 * 4096, 0, pfns, 26);
	assert_int_equal(feed(a, &m), 0);
	raw_body(&m, 5, pfns + 26, 3);
	assert_int_equal(feed(a, &m), 0);
	raw_body(&m, 5, pfns + 29, 1);
	assert_int_equal(vmbus_gpadl_asm_feed(a, m.b, m.size, &id, &g), 1);
	assert_memory_equal(g->pfns, pfns, 30 * 8);
	vmbus_gpadl_free(g);
	free(pfns);
	vmbus_gpadl_asm_destroy(a);
}

static void gpadl_pending_limits_return_enobufs(void **state)
{
	struct vmbus_gpadl_asm *a = vmbus_gpadl_asm_create(MEM_PAGES);
	static const uint64_t pfns[26];
	struct raw_msg m;
	uint32_t i;

	(void)state;
	for (i = 0; i < VMBUS_GPADL_MAX_PENDING; i++) {
		raw_header(&m, RELID + (i & 1), 100 + i, 8 + 8 * 27, 1, 27 * 4096, 0, pfns, 26);
		assert_int_equal(feed(a, &m), 0);
	}
	raw_header(&m, RELID, 99, 8 + 8 * 27, 1, 27 * 4096, 0, pfns, 26);
	assert_int_equal(feed(a, &m), -ENOBUFS);
	/* rescind of RELID drops half of them */
	assert_int_equal(vmbus_gpadl_asm_drop_relid(a, RELID), VMBUS_GPADL_MAX_PENDING / 2);
	assert_int_equal(feed(a, &m), 0);
	assert_int_equal(vmbus_gpadl_asm_reset(a), VMBUS_GPADL_MAX_PENDING / 2 + 1);
	assert_int_equal(vmbus_gpadl_asm_pending(a), 0);

	/* pages in flight: two maximal GPADLs fit, a third does not */
	for (i = 0; i < 3; i++) {
		raw_header(&m, RELID, 200 + i, (uint16_t)(8 + 8 * 65536u), 1, 65536u * 4096u, 0,
			pfns, 26);
		assert_int_equal(feed(a, &m), i < 2 ? 0 : -ENOBUFS);
	}
	vmbus_gpadl_asm_destroy(a);
}

/* The guest-side splitter produces exactly the hand-laid Linux messages. */
static void gpadl_split_matches_linux_shape(void **state)
{
	uint64_t *pfns = scattered_pfns(256);
	union vmbus_chanmsg msg;
	struct raw_msg want;
	uint32_t i;

	(void)state;
	assert_int_equal(vmbus_gpadl_n_msgs(256), 10);
	assert_int_equal(vmbus_gpadl_n_msgs(4096), 147);
	assert_int_equal(vmbus_gpadl_n_msgs(255), 10);
	assert_int_equal(vmbus_gpadl_n_msgs(26), 1);
	assert_int_equal(vmbus_gpadl_n_msgs(27), 2);
	assert_int_equal(vmbus_gpadl_n_msgs(54), 2);
	assert_int_equal(vmbus_gpadl_n_msgs(55), 3);

	raw_header(&want, RELID, HANDLE, 0x808, 1, 0x100000, 0, pfns, 26);
	assert_int_equal(vmbus_gpadl_build_msg(&msg, 0, RELID, HANDLE, 0, 0x100000, pfns, 256), 236);
	assert_memory_equal(msg.raw, want.b, 236);
	for (i = 1; i < 10; i++) {
		uint32_t first = 26 + (i - 1) * 28, n = i < 9 ? 28 : 6;

		raw_body(&want, HANDLE, pfns + first, n);
		assert_int_equal(vmbus_gpadl_build_msg(&msg, i, RELID, HANDLE, 0, 0x100000, pfns,
					 256),
			(int)want.size);
		assert_memory_equal(msg.raw, want.b, want.size);
	}
	assert_int_equal(vmbus_gpadl_build_msg(&msg, 10, RELID, HANDLE, 0, 0x100000, pfns, 256),
		-EINVAL);
	/* page count inconsistent with offset/count */
	assert_int_equal(vmbus_gpadl_build_msg(&msg, 0, RELID, HANDLE, 0, 0x100000, pfns, 255),
		-EINVAL);
	assert_int_equal(vmbus_gpadl_build_msg(&msg, 0, RELID, HANDLE, 1, 0x100000, pfns, 256),
		-EINVAL);
	assert_int_equal(vmbus_gpadl_build_msg(&msg, 0, RELID, HANDLE, 0x1000, 1, pfns, 1),
		-EINVAL);
	assert_int_equal(vmbus_gpadl_build_msg(&msg, 0, RELID, HANDLE, 0, 0, pfns, 0), -EINVAL);
	free(pfns);
}

/* Split then assemble round trip for sizes around the message boundaries. */
static void gpadl_split_then_assemble_round_trip(void **state)
{
	static const uint32_t sizes[] = {1, 25, 26, 27, 53, 54, 55, 82, 83, 1000};
	struct vmbus_gpadl_asm *a = vmbus_gpadl_asm_create(MEM_PAGES);
	uint64_t *pfns = scattered_pfns(1000);
	size_t s;

	(void)state;
	for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		uint32_t n = sizes[s], i, n_msgs = vmbus_gpadl_n_msgs(n);
		struct vmbus_gpadl *g = NULL;

		for (i = 0; i < n_msgs; i++) {
			union vmbus_chanmsg msg;
			int size = vmbus_gpadl_build_msg(&msg, i, RELID, 50 + (uint32_t)s, 0x10,
				n * 4096 - 0x10, pfns, n);

			assert_true(size > 0);
			assert_true(vmbus_chanmsg_check(msg.raw, (size_t)size, VMBUS_CHANMSG_G2H) > 0);
			assert_int_equal(vmbus_gpadl_asm_feed(a, msg.raw, (size_t)size, NULL, &g),
				i + 1 == n_msgs ? 1 : 0);
		}
		assert_non_null(g);
		assert_int_equal(g->n_pfns, n);
		assert_int_equal(g->byte_offset, 0x10);
		assert_memory_equal(g->pfns, pfns, n * 8);
		vmbus_gpadl_free(g);
	}
	free(pfns);
	vmbus_gpadl_asm_destroy(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(gpadl_linux_ring_256_pages_header_and_9_bodies),
		cmocka_unit_test(gpadl_linux_receive_and_send_buffers),
		cmocka_unit_test(gpadl_small_completes_on_header),
		cmocka_unit_test(gpadl_interleaved_handles_match_bodies_by_handle),
		cmocka_unit_test(gpadl_header_range_checks),
		cmocka_unit_test(gpadl_range_buflen_compared_modulo_2_16),
		cmocka_unit_test(gpadl_pfn_outside_memory_returns_efault),
		cmocka_unit_test(gpadl_body_checks),
		cmocka_unit_test(gpadl_pending_limits_return_enobufs),
		cmocka_unit_test(gpadl_split_matches_linux_shape),
		cmocka_unit_test(gpadl_split_then_assemble_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
