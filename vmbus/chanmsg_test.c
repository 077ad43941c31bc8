/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for chanmsg.c. Expected bytes are written by hand from the facts 4.2/4.3 tables
 * (offsets from the start of the channel message, little-endian), not produced by our builders.
 */
#include "vmbus.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

/* netvsc GUID as on the wire (facts 4.3) and an instance GUID 00 01 02 .. 0f. */
#define NETVSC_GUID 0x63, 0x51, 0x61, 0xf8, 0x3e, 0xdf, 0xc5, 0x46, \
	0x91, 0x3f, 0xf2, 0xd2, 0xf9, 0x65, 0xed, 0x0e
#define INST_GUID 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15

static void offer_vector(uint8_t v[196])
{
	static const uint8_t guids[32] = {NETVSC_GUID, INST_GUID};

	memset(v, 0, 196);
	v[0] = 1; /* OFFERCHANNEL */
	memcpy(v + 8, guids, 32);
	v[180] = 3; /* sub-channel index 3 */
	v[184] = 0x0e; /* child relid 14 */
	v[188] = 0xff; /* monitor id: none */
	v[189] = 0x00; /* monitor not allocated */
	v[190] = 0x01; /* dedicated interrupt */
	v[192] = 0x0e; /* connection id 0x200e */
	v[193] = 0x20;
}

static void chanmsg_offer_vector_validates_and_matches_builder(void **state)
{
	static const struct vmbus_guid type = VMBUS_GUID_NETVSC;
	static const struct vmbus_guid inst = {{INST_GUID}};
	union vmbus_chanmsg m;
	uint8_t v[196];

	(void)state;
	offer_vector(v);
	assert_int_equal(vmbus_chanmsg_check(v, 196, VMBUS_CHANMSG_H2G), 1);
	assert_int_equal(vmbus_chanmsg_check(v, 195, VMBUS_CHANMSG_H2G), -EMSGSIZE);
	assert_int_equal(vmbus_chanmsg_check(v, 196, VMBUS_CHANMSG_G2H), -EPROTO);
	assert_int_equal(vmbus_chanmsg_build_offer(&m, &type, &inst, 3, 14, 0x200e), 196);
	assert_memory_equal(m.raw, v, 196);
	/* the fields the hypervisor's server reads back */
	assert_int_equal(m.offer.child_relid, 14);
	assert_int_equal(m.offer.sub_channel_index, 3);
}

/* Facts 4.2 table: id, direction, size. */
static const struct {
	uint32_t type;
	enum vmbus_chanmsg_dir dir;
	uint32_t size;
} size_table[] = {
	{1, VMBUS_CHANMSG_H2G, 196}, {2, VMBUS_CHANMSG_H2G, 12}, {3, VMBUS_CHANMSG_G2H, 8},
	{4, VMBUS_CHANMSG_H2G, 8}, {5, VMBUS_CHANMSG_G2H, 148}, {6, VMBUS_CHANMSG_H2G, 20},
	{7, VMBUS_CHANMSG_G2H, 12}, {8, VMBUS_CHANMSG_G2H, 28}, {9, VMBUS_CHANMSG_G2H, 16},
	{10, VMBUS_CHANMSG_H2G, 20}, {11, VMBUS_CHANMSG_G2H, 16}, {12, VMBUS_CHANMSG_H2G, 12},
	{13, VMBUS_CHANMSG_G2H, 12}, {14, VMBUS_CHANMSG_G2H, 40}, {15, VMBUS_CHANMSG_H2G, 16},
	{16, VMBUS_CHANMSG_G2H, 8}, {17, VMBUS_CHANMSG_H2G, 8}, {21, VMBUS_CHANMSG_G2H, 40},
	{22, VMBUS_CHANMSG_G2H, 16}, {24, VMBUS_CHANMSG_H2G, 16},
};

static void chanmsg_check_enforces_facts_sizes_and_directions(void **state)
{
	uint8_t buf[240];
	size_t i;

	(void)state;
	memset(buf, 0, sizeof(buf));
	for (i = 0; i < sizeof(size_table) / sizeof(size_table[0]); i++) {
		enum vmbus_chanmsg_dir other = size_table[i].dir == VMBUS_CHANMSG_G2H ?
			VMBUS_CHANMSG_H2G : VMBUS_CHANMSG_G2H;

		buf[0] = (uint8_t)size_table[i].type;
		assert_int_equal(vmbus_chanmsg_min_size(size_table[i].type, size_table[i].dir),
			size_table[i].size);
		assert_int_equal(vmbus_chanmsg_check(buf, size_table[i].size, size_table[i].dir),
			size_table[i].type);
		assert_int_equal(vmbus_chanmsg_check(buf, 240, size_table[i].dir),
			size_table[i].type);
		if (size_table[i].size > 8)
			assert_int_equal(vmbus_chanmsg_check(buf, size_table[i].size - 1,
						 size_table[i].dir),
				-EMSGSIZE);
		assert_int_equal(vmbus_chanmsg_check(buf, size_table[i].size, other), -EPROTO);
	}
}

static void chanmsg_check_rejects_unknown_types_and_bad_lengths(void **state)
{
	static const uint32_t bad[] = {0, 18, 19, 20, 23, 25, 0x100, 0xffffffffu};
	uint8_t buf[241];
	size_t i;

	(void)state;
	memset(buf, 0, sizeof(buf));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memcpy(buf, &bad[i], 4);
		assert_int_equal(vmbus_chanmsg_check(buf, 200, VMBUS_CHANMSG_G2H), -EPROTO);
		assert_int_equal(vmbus_chanmsg_check(buf, 200, VMBUS_CHANMSG_H2G), -EPROTO);
	}
	buf[0] = 3; /* REQUESTOFFERS */
	assert_int_equal(vmbus_chanmsg_check(buf, 7, VMBUS_CHANMSG_G2H), -EMSGSIZE);
	assert_int_equal(vmbus_chanmsg_check(buf, 0, VMBUS_CHANMSG_G2H), -EMSGSIZE);
	assert_int_equal(vmbus_chanmsg_check(buf, 241, VMBUS_CHANMSG_G2H), -EMSGSIZE);
	assert_int_equal(vmbus_chanmsg_check(buf, 8, (enum vmbus_chanmsg_dir)7), -EPROTO);
	/* the high bytes of msgtype count */
	buf[3] = 1;
	assert_int_equal(vmbus_chanmsg_check(buf, 8, VMBUS_CHANMSG_G2H), -EPROTO);
	assert_string_equal(vmbus_chanmsg_name(8), "gpadl_header");
	assert_string_equal(vmbus_chanmsg_name(23), "unknown");
}

#define CHECK_MSG(built_size, m, ...)                                                              \
	do {                                                                                       \
		static const uint8_t want_[] = {__VA_ARGS__};                                      \
		assert_int_equal((built_size), sizeof(want_));                                     \
		assert_memory_equal((m).raw, want_, sizeof(want_));                                \
	} while (0)

static void chanmsg_host_builders_match_vectors(void **state)
{
	union vmbus_chanmsg m;

	(void)state;
	CHECK_MSG(vmbus_chanmsg_build_rescind(&m, 0x0e), m,
		2, 0, 0, 0, 0, 0, 0, 0, 0x0e, 0, 0, 0);
	CHECK_MSG(vmbus_chanmsg_build_alloffers_delivered(&m), m, 4, 0, 0, 0, 0, 0, 0, 0);
	CHECK_MSG(vmbus_chanmsg_build_open_result(&m, 14, 0x0e, 0), m,
		6, 0, 0, 0, 0, 0, 0, 0, 14, 0, 0, 0, 14, 0, 0, 0, 0, 0, 0, 0);
	CHECK_MSG(vmbus_chanmsg_build_open_result(&m, 14, 0x0e, 0xc0000001u), m,
		6, 0, 0, 0, 0, 0, 0, 0, 14, 0, 0, 0, 14, 0, 0, 0, 0x01, 0, 0, 0xc0);
	/* handle 0xE1E10 as Linux allocates them */
	CHECK_MSG(vmbus_chanmsg_build_gpadl_created(&m, 14, 0xe1e10, 0), m,
		10, 0, 0, 0, 0, 0, 0, 0, 14, 0, 0, 0, 0x10, 0x1e, 0x0e, 0, 0, 0, 0, 0);
	CHECK_MSG(vmbus_chanmsg_build_gpadl_torndown(&m, 0xe1e10), m,
		12, 0, 0, 0, 0, 0, 0, 0, 0x10, 0x1e, 0x0e, 0);
	/* supported, state 0, msg_conn_id 1 */
	CHECK_MSG(vmbus_chanmsg_build_version_response(&m, true, 0, 1), m,
		15, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0);
	CHECK_MSG(vmbus_chanmsg_build_version_response(&m, false, 0, 0), m,
		15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
	CHECK_MSG(vmbus_chanmsg_build_unload_response(&m), m, 17, 0, 0, 0, 0, 0, 0, 0);
	CHECK_MSG(vmbus_chanmsg_build_modifychannel_response(&m, 14, 0), m,
		24, 0, 0, 0, 0, 0, 0, 0, 14, 0, 0, 0, 0, 0, 0, 0);
}

static void chanmsg_guest_builders_match_vectors(void **state)
{
	union vmbus_chanmsg m;
	uint8_t open[148];

	(void)state;
	/* 5.2, VP 0, SINT 2 at byte 16, monitor pages 0x1000 and 0x2000 */
	CHECK_MSG(vmbus_chanmsg_build_initiate_contact(&m, 0x50002, 0, 0x1000, 0x2000), m,
		14, 0, 0, 0, 0, 0, 0, 0, 0x02, 0, 0x05, 0, 0, 0, 0, 0,
		2, 0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0, 0, 0, 0, 0x20, 0, 0, 0, 0, 0, 0);
	/* 4.0: no SINT byte (would be an interrupt page GPA) */
	CHECK_MSG(vmbus_chanmsg_build_initiate_contact(&m, 0x40000, 1, 0x1000, 0x2000), m,
		14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x04, 0, 1, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0, 0, 0, 0, 0x20, 0, 0, 0, 0, 0, 0);
	CHECK_MSG(vmbus_chanmsg_build_request_offers(&m), m, 3, 0, 0, 0, 0, 0, 0, 0);
	CHECK_MSG(vmbus_chanmsg_build_close(&m, 14), m, 7, 0, 0, 0, 0, 0, 0, 0, 14, 0, 0, 0);
	CHECK_MSG(vmbus_chanmsg_build_gpadl_teardown(&m, 14, 0xe1e10), m,
		11, 0, 0, 0, 0, 0, 0, 0, 14, 0, 0, 0, 0x10, 0x1e, 0x0e, 0);
	CHECK_MSG(vmbus_chanmsg_build_relid_released(&m, 14), m,
		13, 0, 0, 0, 0, 0, 0, 0, 14, 0, 0, 0);
	CHECK_MSG(vmbus_chanmsg_build_unload(&m), m, 16, 0, 0, 0, 0, 0, 0, 0);
	CHECK_MSG(vmbus_chanmsg_build_modifychannel(&m, 14, 1), m,
		22, 0, 0, 0, 0, 0, 0, 0, 14, 0, 0, 0, 1, 0, 0, 0);

	/* OPENCHANNEL: relid 14 @8, open id 14 @12, gpadl @16, VP 1 @20, offset 128 @24 */
	memset(open, 0, sizeof(open));
	open[0] = 5;
	open[8] = 14;
	open[12] = 14;
	open[16] = 0x11;
	open[17] = 0x1e;
	open[18] = 0x0e;
	open[20] = 1;
	open[24] = 128;
	assert_int_equal(vmbus_chanmsg_build_open(&m, 14, 14, 0xe1e11, 1, 128), 148);
	assert_memory_equal(m.raw, open, 148);
	assert_int_equal(vmbus_chanmsg_check(open, 148, VMBUS_CHANMSG_G2H), 5);
}

static void chanmsg_post_msg_unpack_vector(void **state)
{
	/* HvPostMessage input (facts 1.5): id 4 @0, reserved @4, type 1 @8, size 8 @12, payload */
	uint8_t in[256] = {
		0x04, 0, 0, 0, 0, 0, 0, 0, 0x01, 0, 0, 0, 0x08, 0, 0, 0,
		3, 0, 0, 0, 0, 0, 0, 0, /* REQUESTOFFERS */
	};
	struct hv_post_message pm;
	union vmbus_chanmsg m;
	uint32_t conn = 0;

	(void)state;
	memcpy(&pm, in, sizeof(pm));
	assert_int_equal(vmbus_post_msg_unpack(&pm, &conn, &m), 8);
	assert_int_equal(conn, 4);
	assert_int_equal(m.hdr.msgtype, 3);
	assert_int_equal(m.raw[8], 0); /* zero-filled beyond the payload */

	/* the id is the low 24 bits */
	in[3] = 0xff;
	memcpy(&pm, in, sizeof(pm));
	assert_int_equal(vmbus_post_msg_unpack(&pm, &conn, &m), 8);
	assert_int_equal(conn, 4);
	/* message type 2 */
	in[8] = 2;
	memcpy(&pm, in, sizeof(pm));
	assert_int_equal(vmbus_post_msg_unpack(&pm, &conn, &m), -EPROTO);
	in[8] = 1;
	/* payload_size 241, 0x100000f0 (high bits), 7, 240 */
	in[12] = 241;
	memcpy(&pm, in, sizeof(pm));
	assert_int_equal(vmbus_post_msg_unpack(&pm, &conn, &m), -EMSGSIZE);
	in[12] = 0xf0;
	in[15] = 0x10;
	memcpy(&pm, in, sizeof(pm));
	assert_int_equal(vmbus_post_msg_unpack(&pm, &conn, &m), -EMSGSIZE);
	in[15] = 0;
	in[12] = 7;
	memcpy(&pm, in, sizeof(pm));
	assert_int_equal(vmbus_post_msg_unpack(&pm, &conn, &m), -EMSGSIZE);
	in[12] = 240;
	memcpy(&pm, in, sizeof(pm));
	assert_int_equal(vmbus_post_msg_unpack(&pm, &conn, &m), 240);
}

static void chanmsg_post_msg_pack_layout(void **state)
{
	union vmbus_chanmsg m;
	struct hv_post_message pm;
	uint8_t raw[256];
	size_t n = vmbus_chanmsg_build_close(&m, 14);

	(void)state;
	assert_int_equal(vmbus_post_msg_pack(&pm, 1, &m, n), 0);
	memcpy(raw, &pm, sizeof(raw));
	assert_int_equal(raw[0], 1);	 /* connection id */
	assert_int_equal(raw[8], 1);	 /* message type */
	assert_int_equal(raw[12], 12); /* payload size */
	assert_int_equal(raw[16], 7);	 /* CLOSECHANNEL */
	assert_int_equal(raw[24], 14);
	assert_int_equal(vmbus_post_msg_pack(&pm, 1, &m, 7), -EMSGSIZE);
	assert_int_equal(vmbus_post_msg_pack(&pm, 1, &m, 241), -EMSGSIZE);
}

static void chanmsg_hv_msg_pack_layout_and_unpack(void **state)
{
	union vmbus_chanmsg m, out;
	struct hv_message hm;
	uint8_t raw[256];
	size_t n = vmbus_chanmsg_build_version_response(&m, true, 0, 1);

	(void)state;
	assert_int_equal(vmbus_hv_msg_pack(&hm, &m, n), 0);
	memcpy(raw, &hm, sizeof(raw));
	/* SynIC slot (facts 3.1): type 1 @0, size @4, flags @5, port @8, payload @16 */
	assert_int_equal(raw[0], 1);
	assert_int_equal(raw[4], 16);
	assert_int_equal(raw[5], 0);
	assert_int_equal(raw[16], 15);
	assert_int_equal(raw[24], 1);
	assert_int_equal(vmbus_hv_msg_unpack(&hm, &out), 16);
	assert_int_equal(vmbus_chanmsg_check(out.raw, 16, VMBUS_CHANMSG_H2G), 15);

	raw[4] = 241;
	memcpy(&hm, raw, sizeof(hm));
	assert_int_equal(vmbus_hv_msg_unpack(&hm, &out), -EMSGSIZE);
	raw[4] = 16;
	raw[0] = 0x10;
	raw[3] = 0x80; /* 0x80000010: timer message, not VMBus */
	memcpy(&hm, raw, sizeof(hm));
	assert_int_equal(vmbus_hv_msg_unpack(&hm, &out), -EPROTO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(chanmsg_offer_vector_validates_and_matches_builder),
		cmocka_unit_test(chanmsg_check_enforces_facts_sizes_and_directions),
		cmocka_unit_test(chanmsg_check_rejects_unknown_types_and_bad_lengths),
		cmocka_unit_test(chanmsg_host_builders_match_vectors),
		cmocka_unit_test(chanmsg_guest_builders_match_vectors),
		cmocka_unit_test(chanmsg_post_msg_unpack_vector),
		cmocka_unit_test(chanmsg_post_msg_pack_layout),
		cmocka_unit_test(chanmsg_hv_msg_pack_layout_and_unpack),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
