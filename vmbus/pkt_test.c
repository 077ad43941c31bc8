/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for pkt.c. Packets are byte vectors written from the facts 5.2 tables (descriptor:
 * u16 type, u16 offset8, u16 len8, u16 flags, u64 transaction id; little-endian), not produced
 * by our builders; the builders are checked against the same vectors.
 */
#include "vmbus.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#define TID 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11 /* 0x1122334455667788 */

/* INBAND, offset8 2, len8 3, completion requested; 8 bytes payload. */
static const uint8_t inband_vec[] = {
	0x06, 0x00, 0x02, 0x00, 0x03, 0x00, 0x01, 0x00, TID,
	0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03, 0x04,
};

/* COMP, offset8 2, len8 4; 13 bytes payload + 3 zero pad. */
static const uint8_t comp_vec[] = {
	0x0b, 0x00, 0x02, 0x00, 0x04, 0x00, 0x00, 0x00, TID,
	1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 0, 0, 0,
};

/* XFER_PAGES (netvsc receive): set 0xCAFE, 2 ranges {1514 @ 0}, {60 @ 0x1000}; offset8 5
 * (24 + 16 = 40 bytes), len8 8 (24 bytes of NVSP payload). */
static const uint8_t xfer_vec[] = {
	0x07, 0x00, 0x05, 0x00, 0x08, 0x00, 0x01, 0x00, TID,
	0xfe, 0xca, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00,
	0xea, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x3c, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00,
	0x65, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

/* GPA_DIRECT: 1 range {0x100 bytes @ 0xf80} over PFNs 0x1234, 0x1235 (2 pages); offset8 6
 * (24 + 8 + 16 = 48), len8 8 (16 bytes payload). */
static const uint8_t gpa_vec[] = {
	0x09, 0x00, 0x06, 0x00, 0x08, 0x00, 0x01, 0x00, TID,
	0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
	0x00, 0x01, 0x00, 0x00, 0x80, 0x0f, 0x00, 0x00,
	0x34, 0x12, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x35, 0x12, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
	0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf,
};

/* GPA_DIRECT with 2 ranges: {1 byte @ 0xfff, pfn 7}, {0x2000 bytes @ 0, pfns 9, 10}; offset8 8
 * (24 + 16 + 24 = 64), len8 8 (no payload). */
static const uint8_t gpa2_vec[] = {
	0x09, 0x00, 0x08, 0x00, 0x08, 0x00, 0x00, 0x00, TID,
	0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00,
	0x01, 0x00, 0x00, 0x00, 0xff, 0x0f, 0x00, 0x00,
	0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x0a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

/* A mutable copy of a vector with byte 'at' set to 'v' (and 'at2' to 'v2' if at2 >= 0). */
static int parse_patched(const uint8_t *vec, size_t size, int at, uint8_t v, int at2, uint8_t v2)
{
	uint8_t buf[256];
	struct vmbus_pkt pkt;

	memcpy(buf, vec, size);
	if (at >= 0)
		buf[at] = v;
	if (at2 >= 0)
		buf[at2] = v2;
	return vmbus_pkt_parse(buf, size, &pkt);
}

static void pkt_parse_inband_vector(void **state)
{
	struct vmbus_pkt pkt;

	(void)state;
	assert_int_equal(vmbus_pkt_parse(inband_vec, sizeof(inband_vec), &pkt), 0);
	assert_int_equal(pkt.type, VMBUS_PKT_INBAND);
	assert_int_equal(pkt.flags, 1);
	assert_true(pkt.trans_id == 0x1122334455667788ull);
	assert_int_equal(pkt.size, 24);
	assert_int_equal(pkt.hdr_size, 16);
	assert_int_equal(pkt.payload_size, 8);
	assert_ptr_equal(pkt.payload, inband_vec + 16);
}

static void pkt_parse_comp_vector(void **state)
{
	struct vmbus_pkt pkt;

	(void)state;
	assert_int_equal(vmbus_pkt_parse(comp_vec, sizeof(comp_vec), &pkt), 0);
	assert_int_equal(pkt.type, VMBUS_PKT_COMP);
	assert_int_equal(pkt.payload_size, 16);
}

static void pkt_parse_xfer_pages_vector(void **state)
{
	struct vmbus_pkt pkt;
	struct vmbus_xfer_range r;

	(void)state;
	assert_int_equal(vmbus_pkt_parse(xfer_vec, sizeof(xfer_vec), &pkt), 0);
	assert_int_equal(pkt.type, VMBUS_PKT_XFER_PAGES);
	assert_int_equal(pkt.xfer_set_id, 0xcafe);
	assert_int_equal(pkt.xfer_sender_owns, 0);
	assert_int_equal(pkt.n_xfer_ranges, 2);
	r = vmbus_pkt_xfer_range(&pkt, 0);
	assert_int_equal(r.byte_count, 1514);
	assert_int_equal(r.byte_offset, 0);
	r = vmbus_pkt_xfer_range(&pkt, 1);
	assert_int_equal(r.byte_count, 60);
	assert_int_equal(r.byte_offset, 0x1000);
	assert_int_equal(pkt.hdr_size, 40);
	assert_int_equal(pkt.payload_size, 24);
	assert_int_equal(pkt.payload[0], 0x65);
}

static void pkt_parse_gpa_direct_vector(void **state)
{
	struct vmbus_pkt pkt;
	struct vmbus_pkt_gpa_range r;
	uint32_t cur = 0;

	(void)state;
	assert_int_equal(vmbus_pkt_parse(gpa_vec, sizeof(gpa_vec), &pkt), 0);
	assert_int_equal(pkt.type, VMBUS_PKT_GPA_DIRECT);
	assert_int_equal(pkt.n_gpa_ranges, 1);
	assert_int_equal(pkt.n_gpa_pfns, 2);
	assert_true(vmbus_pkt_gpa_next(&pkt, &cur, &r));
	assert_int_equal(r.byte_count, 0x100);
	assert_int_equal(r.byte_offset, 0xf80);
	assert_int_equal(r.n_pfns, 2);
	assert_true(vmbus_pkt_gpa_pfn(&r, 0) == 0x1234);
	assert_true(vmbus_pkt_gpa_pfn(&r, 1) == 0x1235);
	assert_false(vmbus_pkt_gpa_next(&pkt, &cur, &r));
	assert_int_equal(pkt.payload_size, 16);
	assert_int_equal(pkt.payload[0], 0xa0);
}

static void pkt_parse_gpa_direct_two_ranges(void **state)
{
	struct vmbus_pkt pkt;
	struct vmbus_pkt_gpa_range r;
	uint32_t cur = 0;

	(void)state;
	assert_int_equal(vmbus_pkt_parse(gpa2_vec, sizeof(gpa2_vec), &pkt), 0);
	assert_int_equal(pkt.n_gpa_ranges, 2);
	assert_int_equal(pkt.n_gpa_pfns, 3);
	assert_true(vmbus_pkt_gpa_next(&pkt, &cur, &r));
	assert_int_equal(r.byte_offset, 0xfff);
	assert_int_equal(r.n_pfns, 1); /* 0xfff + 1 = one page exactly */
	assert_true(vmbus_pkt_gpa_pfn(&r, 0) == 7);
	assert_true(vmbus_pkt_gpa_next(&pkt, &cur, &r));
	assert_int_equal(r.byte_count, 0x2000);
	assert_int_equal(r.n_pfns, 2);
	assert_true(vmbus_pkt_gpa_pfn(&r, 1) == 10);
	assert_false(vmbus_pkt_gpa_next(&pkt, &cur, &r));
	assert_int_equal(pkt.payload_size, 0);
}

static void pkt_parse_bad_descriptor_returns_eproto(void **state)
{
	struct vmbus_pkt pkt;

	(void)state;
	/* shorter than a descriptor */
	assert_int_equal(vmbus_pkt_parse(inband_vec, 15, &pkt), -EPROTO);
	/* len8 * 8 beyond the buffer */
	assert_int_equal(vmbus_pkt_parse(inband_vec, 23, &pkt), -EPROTO);
	/* len8 0 and 1 */
	assert_int_equal(parse_patched(inband_vec, sizeof(inband_vec), 4, 0, -1, 0), -EPROTO);
	assert_int_equal(parse_patched(inband_vec, sizeof(inband_vec), 4, 1, -1, 0), -EPROTO);
	/* offset8 1, 0, and 4 > len8 3 */
	assert_int_equal(parse_patched(inband_vec, sizeof(inband_vec), 2, 1, -1, 0), -EPROTO);
	assert_int_equal(parse_patched(inband_vec, sizeof(inband_vec), 2, 0, -1, 0), -EPROTO);
	assert_int_equal(parse_patched(inband_vec, sizeof(inband_vec), 2, 4, -1, 0), -EPROTO);
	/* offset8 == len8 is fine (empty payload) */
	assert_int_equal(parse_patched(inband_vec, sizeof(inband_vec), 2, 3, -1, 0), 0);
	/* unknown flags */
	assert_int_equal(parse_patched(inband_vec, sizeof(inband_vec), 6, 3, -1, 0), -EPROTO);
	assert_int_equal(parse_patched(inband_vec, sizeof(inband_vec), 7, 0x80, -1, 0), -EPROTO);
	/* a buffer longer than len8 * 8 is fine: len8 wins */
	{
		uint8_t big[40] = {0};

		memcpy(big, inband_vec, sizeof(inband_vec));
		assert_int_equal(vmbus_pkt_parse(big, sizeof(big), &pkt), 0);
		assert_int_equal(pkt.size, 24);
	}
}

static void pkt_parse_unknown_type_returns_eopnotsupp(void **state)
{
	(void)state;
	assert_int_equal(parse_patched(inband_vec, sizeof(inband_vec), 0, 0, -1, 0), -EOPNOTSUPP);
	assert_int_equal(parse_patched(inband_vec, sizeof(inband_vec), 0, 8, -1, 0), -EOPNOTSUPP);
	assert_int_equal(parse_patched(inband_vec, sizeof(inband_vec), 1, 1, -1, 0), -EOPNOTSUPP);
}

/* OpenVMM #3692: transfer-page / GPA-direct headers shorter than 24 bytes. */
static void pkt_parse_type_header_shorter_than_24_returns_eproto(void **state)
{
	(void)state;
	/* XFER_PAGES, offset8 2 (16) and 2 with payload */
	assert_int_equal(parse_patched(inband_vec, sizeof(inband_vec), 0, 7, -1, 0), -EPROTO);
	/* GPA_DIRECT likewise */
	assert_int_equal(parse_patched(inband_vec, sizeof(inband_vec), 0, 9, -1, 0), -EPROTO);
	/* offset8 exactly 3 = 24: XFER with 0 ranges is well formed */
	{
		static const uint8_t v[24] = {7, 0, 3, 0, 3, 0, 0, 0, TID, 0xfe, 0xca};
		struct vmbus_pkt pkt;

		assert_int_equal(vmbus_pkt_parse(v, sizeof(v), &pkt), 0);
		assert_int_equal(pkt.n_xfer_ranges, 0);
		assert_int_equal(pkt.payload_size, 0);
	}
}

static void pkt_parse_xfer_range_count_beyond_header_returns_eproto(void **state)
{
	(void)state;
	/* 3 ranges do not fit in offset8 5 (40 bytes = 24 + 2 * 8) */
	assert_int_equal(parse_patched(xfer_vec, sizeof(xfer_vec), 20, 3, -1, 0), -EPROTO);
	/* 0xff000002: would wrap 32-bit arithmetic */
	assert_int_equal(parse_patched(xfer_vec, sizeof(xfer_vec), 23, 0xff, -1, 0), -EPROTO);
	/* 0x20000001 * 8 wraps to 8 in 32 bits */
	assert_int_equal(parse_patched(xfer_vec, sizeof(xfer_vec), 20, 1, 23, 0x20), -EPROTO);
	/* fewer ranges than room is fine */
	assert_int_equal(parse_patched(xfer_vec, sizeof(xfer_vec), 20, 1, -1, 0), 0);
}

/* OpenVMM #621: empty GPA ranges. */
static void pkt_parse_gpa_empty_range_returns_eproto(void **state)
{
	(void)state;
	/* byte_count 0 */
	assert_int_equal(parse_patched(gpa_vec, sizeof(gpa_vec), 25, 0, -1, 0), -EPROTO);
	/* range count 0 */
	assert_int_equal(parse_patched(gpa_vec, sizeof(gpa_vec), 20, 0, -1, 0), -EPROTO);
}

/* OpenVMM #1842: byte_offset not checked to be < 4096. */
static void pkt_parse_gpa_offset_4096_returns_eproto(void **state)
{
	(void)state;
	/* byte_offset 0x1000 */
	assert_int_equal(parse_patched(gpa_vec, sizeof(gpa_vec), 28, 0x00, 29, 0x10), -EPROTO);
	/* byte_offset 0x10f80 */
	assert_int_equal(parse_patched(gpa_vec, sizeof(gpa_vec), 30, 0x01, -1, 0), -EPROTO);
	/* byte_offset 0xfff, count 0x100: 2 pages, still fits */
	assert_int_equal(parse_patched(gpa_vec, sizeof(gpa_vec), 28, 0xff, -1, 0), 0);
}

static void pkt_parse_gpa_pfns_beyond_header_return_eproto(void **state)
{
	(void)state;
	/* 0x100 bytes @ 0xf80 need 2 PFNs; offset8 5 leaves room for 1 */
	assert_int_equal(parse_patched(gpa_vec, sizeof(gpa_vec), 2, 5, -1, 0), -EPROTO);
	/* byte_count 0x1100 @ 0xf80 needs 3 PFNs */
	assert_int_equal(parse_patched(gpa_vec, sizeof(gpa_vec), 25, 0x11, -1, 0), -EPROTO);
	/* byte_count 0xffffffff @ 0xf80: 2^20 + 1 PFNs, no overflow, refused */
	{
		uint8_t buf[sizeof(gpa_vec)];
		struct vmbus_pkt pkt;

		memcpy(buf, gpa_vec, sizeof(buf));
		memset(buf + 24, 0xff, 4);
		assert_int_equal(vmbus_pkt_parse(buf, sizeof(buf), &pkt), -EPROTO);
	}
	/* range count 2 but only one range present */
	assert_int_equal(parse_patched(gpa_vec, sizeof(gpa_vec), 20, 2, -1, 0), -EPROTO);
	/* range count 0xffffffff */
	{
		uint8_t buf[sizeof(gpa_vec)];
		struct vmbus_pkt pkt;

		memcpy(buf, gpa_vec, sizeof(buf));
		memset(buf + 20, 0xff, 4);
		assert_int_equal(vmbus_pkt_parse(buf, sizeof(buf), &pkt), -EPROTO);
	}
	/* second range of gpa2 cut short: offset8 7 leaves room for 1 of its 2 PFNs */
	assert_int_equal(parse_patched(gpa2_vec, sizeof(gpa2_vec), 2, 7, -1, 0), -EPROTO);
}

static void pkt_build_inband_matches_vector(void **state)
{
	static const uint8_t payload[8] = {0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4};
	uint8_t buf[64];

	(void)state;
	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(vmbus_pkt_build_inband(buf, sizeof(buf), 1, 0x1122334455667788ull, payload,
				 sizeof(payload)),
		24);
	assert_memory_equal(buf, inband_vec, sizeof(inband_vec));
	/* exactly big enough, one byte short */
	assert_int_equal(vmbus_pkt_build_inband(buf, 24, 1, 0, payload, 8), 24);
	assert_int_equal(vmbus_pkt_build_inband(buf, 23, 1, 0, payload, 8), -EMSGSIZE);
	assert_int_equal(vmbus_pkt_build_inband(buf, 64, 2, 0, payload, 8), -EINVAL);
	assert_int_equal(vmbus_pkt_build_inband(buf, 64, 0, 0, payload, VMBUS_PKT_MAX_SIZE),
		-EMSGSIZE);
}

static void pkt_build_comp_matches_vector(void **state)
{
	static const uint8_t payload[13] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13};
	uint8_t buf[64];

	(void)state;
	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(vmbus_pkt_build_comp(buf, sizeof(buf), 0x1122334455667788ull, payload,
				 sizeof(payload)),
		32);
	assert_memory_equal(buf, comp_vec, sizeof(comp_vec));
	/* padded size must fit, not just the data */
	assert_int_equal(vmbus_pkt_build_comp(buf, 31, 0, payload, 13), -EMSGSIZE);
}

static void pkt_build_xfer_pages_matches_vector(void **state)
{
	static const struct vmbus_xfer_range ranges[2] = {{1514, 0}, {60, 0x1000}};
	uint8_t payload[24] = {0x65};
	uint8_t buf[128];

	(void)state;
	memset(buf, 0xee, sizeof(buf));
	assert_int_equal(vmbus_pkt_build_xfer_pages(buf, sizeof(buf), 1, 0x1122334455667788ull,
				 0xcafe, ranges, 2, payload, sizeof(payload)),
		64);
	assert_memory_equal(buf, xfer_vec, sizeof(xfer_vec));
	assert_int_equal(vmbus_pkt_build_xfer_pages(buf, 63, 1, 0, 0xcafe, ranges, 2, payload, 24),
		-EMSGSIZE);
	assert_int_equal(vmbus_pkt_build_xfer_pages(buf, 128, 1, 0, 0xcafe, ranges, 0, payload, 24),
		-EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pkt_parse_inband_vector),
		cmocka_unit_test(pkt_parse_comp_vector),
		cmocka_unit_test(pkt_parse_xfer_pages_vector),
		cmocka_unit_test(pkt_parse_gpa_direct_vector),
		cmocka_unit_test(pkt_parse_gpa_direct_two_ranges),
		cmocka_unit_test(pkt_parse_bad_descriptor_returns_eproto),
		cmocka_unit_test(pkt_parse_unknown_type_returns_eopnotsupp),
		cmocka_unit_test(pkt_parse_type_header_shorter_than_24_returns_eproto),
		cmocka_unit_test(pkt_parse_xfer_range_count_beyond_header_returns_eproto),
		cmocka_unit_test(pkt_parse_gpa_empty_range_returns_eproto),
		cmocka_unit_test(pkt_parse_gpa_offset_4096_returns_eproto),
		cmocka_unit_test(pkt_parse_gpa_pfns_beyond_header_return_eproto),
		cmocka_unit_test(pkt_build_inband_matches_vector),
		cmocka_unit_test(pkt_build_comp_matches_vector),
		cmocka_unit_test(pkt_build_xfer_pages_matches_vector),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
