/* SPDX-License-Identifier: BSD-3-Clause */
#include "frame.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#define DROP(r) (-(VS_DROP_##r + 1))

static const uint8_t dst[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8_t src[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};

static size_t build(uint8_t *buf, const uint8_t *s, int vid, uint16_t type, size_t payload)
{
	size_t off = 12;

	memcpy(buf, dst, 6);
	memcpy(buf + 6, s, 6);
	if (vid >= 0) {
		buf[off++] = 0x81;
		buf[off++] = 0x00;
		buf[off++] = (uint8_t)(0xe0 | (vid >> 8)); /* PCP 7 must not leak into the VID */
		buf[off++] = (uint8_t)vid;
	}
	buf[off++] = (uint8_t)(type >> 8);
	buf[off++] = (uint8_t)type;
	memset(buf + off, 0xab, payload);
	return off + payload;
}

static void untagged_frame(void **state)
{
	uint8_t buf[128];
	struct vs_frame f;
	size_t len = build(buf, src, -1, 0x0800, 46);

	assert_int_equal(vs_frame_parse(buf, (uint32_t)len, (uint32_t)len, false, 0, &f), 0);
	assert_false(f.tagged);
	assert_int_equal(f.plain_len, 60);
	assert_memory_equal(f.src, src, 6);
	assert_memory_equal(f.dst, dst, 6);
}

static void tagged_frame_ignores_pcp(void **state)
{
	uint8_t buf[128];
	struct vs_frame f;
	size_t len = build(buf, src, 0xabc, 0x0800, 46);

	assert_int_equal(vs_frame_parse(buf, (uint32_t)len, (uint32_t)len, false, 0, &f), 0);
	assert_true(f.tagged);
	assert_true(f.tag_in_frame);
	assert_int_equal(f.vid, 0xabc);
	assert_int_equal(f.plain_len, 60);
}

static void stripped_tag_from_metadata(void **state)
{
	uint8_t buf[128];
	struct vs_frame f;
	size_t len = build(buf, src, -1, 0x0800, 46);

	assert_int_equal(vs_frame_parse(buf, (uint32_t)len, (uint32_t)len, true, 0x6014, &f), 0);
	assert_true(f.tagged);
	assert_false(f.tag_in_frame);
	assert_int_equal(f.vid, 20);
	assert_int_equal(f.plain_len, 60);
}

static void runts(void **state)
{
	uint8_t buf[128];
	struct vs_frame f;
	size_t len = build(buf, src, 5, 0x0800, 0);

	assert_int_equal(vs_frame_parse(buf, 13, 13, false, 0, &f), DROP(RUNT));
	assert_int_equal(vs_frame_parse(buf, 0, 0, false, 0, &f), DROP(RUNT));
	/* a tag cut short */
	assert_int_equal(vs_frame_parse(buf, 16, 16, false, 0, &f), DROP(RUNT));
	/* header split across segments: the first segment must hold it */
	assert_int_equal(vs_frame_parse(buf, 10, (uint32_t)len, false, 0, &f), DROP(RUNT));
	/* exactly a header, no payload: acceptable */
	len = build(buf, src, -1, 0x88b5, 0);
	assert_int_equal(vs_frame_parse(buf, (uint32_t)len, (uint32_t)len, false, 0, &f), 0);
}

static void bad_source_macs(void **state)
{
	const uint8_t mcast[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x01};
	const uint8_t zero[6] = {0};
	uint8_t buf[128];
	struct vs_frame f;
	size_t len;

	len = build(buf, mcast, -1, 0x0800, 46);
	assert_int_equal(vs_frame_parse(buf, (uint32_t)len, (uint32_t)len, false, 0, &f),
		DROP(BAD_SRC_MAC));
	len = build(buf, zero, -1, 0x0800, 46);
	assert_int_equal(vs_frame_parse(buf, (uint32_t)len, (uint32_t)len, false, 0, &f),
		DROP(BAD_SRC_MAC));
}

static void qinq_outer_tag_is_not_8021q(void **state)
{
	uint8_t buf[128];
	struct vs_frame f;
	size_t len = build(buf, src, -1, 0x88a8, 46);

	/* 802.1ad frames are switched as opaque untagged frames */
	assert_int_equal(vs_frame_parse(buf, (uint32_t)len, (uint32_t)len, false, 0, &f), 0);
	assert_false(f.tagged);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(untagged_frame),
		cmocka_unit_test(tagged_frame_ignores_pcp),
		cmocka_unit_test(stripped_tag_from_metadata),
		cmocka_unit_test(runts),
		cmocka_unit_test(bad_source_macs),
		cmocka_unit_test(qinq_outer_tag_is_not_8021q),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
