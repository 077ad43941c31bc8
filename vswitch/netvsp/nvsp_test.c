/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NVSP: the Linux 6.1 bring-up of hyperv-facts.md 6.2 steps 2-19 from hand-written byte vectors,
 * answers checked byte for byte; then one test per NVSP validation rule (facts 9 item 5).
 */
#include "vsp_test_util.h"

#include <errno.h>

static const uint8_t comp_rndis_ok[8] = {0x6c, 0, 0, 0, 0x01, 0, 0, 0};
static const uint8_t comp_rndis_fail[8] = {0x6c, 0, 0, 0, 0x02, 0, 0, 0};

static int setup(void **state)
{
	struct tctx *t = calloc(1, sizeof(*t));

	tctx_setup(t);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	tctx_teardown(*state);
	free(*state);
	return 0;
}

/* One RNDIS control exchange: the answer as XFER_PAGES, then COMP {108, 1}; the guest completes
 * the transfer. */
static void ctl_step_at(struct tctx *t, uint64_t trans, const uint8_t *msg, uint32_t len,
	uint32_t page_off, const uint8_t *answer, uint32_t alen)
{
	uint8_t nvsp[40];
	struct trange r = range_of(2, page_off, len);
	uint64_t x;

	ram_put(t, 2, page_off, msg, len);
	nvsp_rndis(nvsp, 1, 0xffffffffu, 0);
	assert_int_equal(send_gpa(t, trans, nvsp, 40, &r, 1), 0);
	assert_int_equal(t->f.n_pkts, 2);
	/* the COMP first: DPDK's PMD takes a late one for the answer to its next NVSP request */
	expect_comp(t, 0, trans, comp_rndis_ok, 8);
	x = expect_ctl_xfer(t, 1, answer, alen);
	vsp_fake_clear(&t->f);
	assert_int_equal(guest_complete(t, x, 1), 0);
	assert_int_equal(t->f.n_pkts, 0);
}

static void ctl_step(struct tctx *t, uint64_t trans, const uint8_t *msg, uint32_t len,
	const uint8_t *answer, uint32_t alen)
{
	ctl_step_at(t, trans, msg, len, 0x100, answer, alen);
}

static void bringup_linux61_byte_vectors(void **state)
{
	struct tctx *t = *state;
	struct vs_vsp_info info;

	/* Step 2: INIT min = max = 6.1, completion requested, trans 0x11. */
	static const uint8_t init_pkt[56] = {0x06, 0x00, 0x02, 0x00, 0x07, 0x00, 0x01, 0x00, 0x11, 0,
		0, 0, 0, 0, 0, 0, 0x01, 0, 0, 0, 0x01, 0x00, 0x06, 0x00, 0x01, 0x00, 0x06, 0x00};
	static const uint8_t init_done[56] = {0x0b, 0x00, 0x02, 0x00, 0x07, 0x00, 0x00, 0x00, 0x11, 0,
		0, 0, 0, 0, 0, 0, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0, 0, 0};
	/* Step 3: NDIS_CONFIG mtu 1514, capability 0xAC, no completion. */
	static const uint8_t ndis_cfg[20] = {0x7d, 0, 0, 0, 0xea, 0x05, 0, 0, 0, 0, 0, 0, 0xac, 0, 0,
		0, 0, 0, 0, 0};
	/* Step 4: NDIS_VERSION 6.30, no completion. */
	static const uint8_t ndis_ver[12] = {0x64, 0, 0, 0, 0x06, 0, 0, 0, 0x1e, 0, 0, 0};
	/* Step 5: SEND_RECV_BUF gpadl 0x100 id 0xCAFE; answer 102 {1, 1 section, 0, 1806, 9289,
	 * 1806 * 9289}. */
	static const uint8_t recv_buf[10] = {0x65, 0, 0, 0, 0x00, 0x01, 0, 0, 0xfe, 0xca};
	static const uint8_t recv_done[28] = {0x66, 0, 0, 0, 0x01, 0, 0, 0, 0x01, 0, 0, 0, 0, 0, 0,
		0, 0x0e, 0x07, 0, 0, 0x49, 0x24, 0, 0, 0xfe, 0xfa, 0xff, 0x00};
	/* Step 6: SEND_SEND_BUF gpadl 0x101 id 0; answer 105 {1, 6144}. */
	static const uint8_t send_buf[10] = {0x68, 0, 0, 0, 0x01, 0x01, 0, 0, 0, 0};
	static const uint8_t send_done[12] = {0x69, 0, 0, 0, 0x01, 0, 0, 0, 0x00, 0x18, 0, 0};
	/* Step 7: RNDIS INITIALIZE req 1, 1.0, max xfer 0x4000, as a whole GPA_DIRECT packet: one
	 * range {24 bytes, offset 0x100, PFN 0x1002}, NVSP {107, control, no section}. */
	static const uint8_t rinit[24] = {0x02, 0, 0, 0, 0x18, 0, 0, 0, 0x01, 0, 0, 0, 0x01, 0, 0, 0,
		0, 0, 0, 0, 0x00, 0x40, 0, 0};
	static const uint8_t rinit_pkt[80] = {0x09, 0x00, 0x05, 0x00, 0x0a, 0x00, 0x01, 0x00, 0x14, 0,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0, 0, 0, 0x18, 0, 0, 0, 0x00, 0x01, 0, 0, 0x02, 0x10,
		0, 0, 0, 0, 0, 0, 0x6b, 0, 0, 0, 0x01, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0};
	static const uint8_t init_c[52] = {0x02, 0, 0, 0x80, 0x34, 0, 0, 0, 0x01, 0, 0, 0, 0, 0, 0, 0,
		0x01, 0, 0, 0, 0, 0, 0, 0, 0x01, 0, 0, 0, 0, 0, 0, 0, 0x40, 0, 0, 0, 0xff, 0xff, 0xff,
		0xef, 0x03, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
	/* Step 8: QUERY MAXIMUM_FRAME_SIZE -> 1500. QUERY_C: info_buflen @16, offset 16 @20, data @24. */
	static const uint8_t q_mfs[28] = {0x04, 0, 0, 0, 0x1c, 0, 0, 0, 0x02, 0, 0, 0, 0x06, 0x01,
		0x01, 0x00, 0, 0, 0, 0, 0x14, 0, 0, 0, 0, 0, 0, 0};
	static const uint8_t a_mfs[28] = {0x04, 0, 0, 0x80, 0x1c, 0, 0, 0, 0x02, 0, 0, 0, 0, 0, 0, 0,
		0x04, 0, 0, 0, 0x10, 0, 0, 0, 0xdc, 0x05, 0, 0};
	/* Step 9: QUERY 802_3_PERMANENT_ADDRESS -> the 6-byte MAC. */
	static const uint8_t q_mac[28] = {0x04, 0, 0, 0, 0x1c, 0, 0, 0, 0x03, 0, 0, 0, 0x01, 0x01,
		0x01, 0x01, 0, 0, 0, 0, 0x14, 0, 0, 0, 0, 0, 0, 0};
	static const uint8_t a_mac[30] = {0x04, 0, 0, 0x80, 0x1e, 0, 0, 0, 0x03, 0, 0, 0, 0, 0, 0, 0,
		0x06, 0, 0, 0, 0x10, 0, 0, 0, 0x00, 0x15, 0x5d, 0x01, 0x02, 0x03};
	/* Step 10: QUERY FRIENDLY_NAME -> NOT_SUPPORTED 0xC00000BB, no data. */
	static const uint8_t q_name[28] = {0x04, 0, 0, 0, 0x1c, 0, 0, 0, 0x04, 0, 0, 0, 0x16, 0x02,
		0x02, 0x00, 0, 0, 0, 0, 0x14, 0, 0, 0, 0, 0, 0, 0};
	static const uint8_t a_name[24] = {0x04, 0, 0, 0x80, 0x18, 0, 0, 0, 0x04, 0, 0, 0, 0xbb, 0,
		0, 0xc0, 0, 0, 0, 0, 0x10, 0, 0, 0};
	/* Step 14: QUERY LINK_SPEED -> 100,000,000. Step 13: MEDIA_CONNECT_STATUS -> 0. */
	static const uint8_t q_speed[28] = {0x04, 0, 0, 0, 0x1c, 0, 0, 0, 0x08, 0, 0, 0, 0x07, 0x01,
		0x01, 0x00, 0, 0, 0, 0, 0x14, 0, 0, 0, 0, 0, 0, 0};
	static const uint8_t a_speed[28] = {0x04, 0, 0, 0x80, 0x1c, 0, 0, 0, 0x08, 0, 0, 0, 0, 0, 0,
		0, 0x04, 0, 0, 0, 0x10, 0, 0, 0, 0x00, 0xe1, 0xf5, 0x05};
	static const uint8_t q_media[28] = {0x04, 0, 0, 0, 0x1c, 0, 0, 0, 0x07, 0, 0, 0, 0x14, 0x01,
		0x01, 0x00, 0, 0, 0, 0, 0x14, 0, 0, 0, 0, 0, 0, 0};
	static const uint8_t a_media[28] = {0x04, 0, 0, 0x80, 0x1c, 0, 0, 0, 0x07, 0, 0, 0, 0, 0, 0,
		0, 0x04, 0, 0, 0, 0x10, 0, 0, 0, 0, 0, 0, 0};
	/* Step 15: QUERY RECEIVE_SCALE_CAPABILITIES with the 18-byte {0x88, 2, 18} input ->
	 * {0x88, 2, 18, flags 0x301, 1 message, 1 queue, 128 entries}. */
	static const uint8_t q_rss[46] = {0x04, 0, 0, 0, 0x2e, 0, 0, 0, 0x09, 0, 0, 0, 0x03, 0x02,
		0x01, 0x00, 0x12, 0, 0, 0, 0x14, 0, 0, 0, 0, 0, 0, 0, 0x88, 0x02, 0x12, 0x00};
	static const uint8_t a_rss[42] = {0x04, 0, 0, 0x80, 0x2a, 0, 0, 0, 0x09, 0, 0, 0, 0, 0, 0, 0,
		0x12, 0, 0, 0, 0x10, 0, 0, 0, 0x88, 0x02, 0x12, 0x00, 0x01, 0x03, 0, 0, 0x01, 0, 0, 0,
		0x01, 0, 0, 0, 0x80, 0x00};
	/* Step 19: SET CURRENT_PACKET_FILTER 0x0D -> SET_C status 0. */
	static const uint8_t s_filter[32] = {0x05, 0, 0, 0, 0x20, 0, 0, 0, 0x0b, 0, 0, 0, 0x0e, 0x01,
		0x01, 0x00, 0x04, 0, 0, 0, 0x14, 0, 0, 0, 0, 0, 0, 0, 0x0d, 0, 0, 0};
	static const uint8_t a_filter[16] = {0x05, 0, 0, 0x80, 0x10, 0, 0, 0, 0x0b, 0, 0, 0, 0, 0, 0,
		0};
	uint8_t q_hw[184] = {0x04, 0, 0, 0, 0xb8, 0, 0, 0, 0x05, 0, 0, 0, 0x0d, 0x02, 0x01, 0xfc,
		0x9c, 0, 0, 0, 0x14, 0, 0, 0, 0, 0, 0, 0, 0xa7, 0x03, 0x9c, 0x00};
	/* Answer (facts 7.4, 7.8) at byte 24 of QUERY_C: checksum encap 0x2 and caps 0x054 (IPv4)
	 * / 0x055 (IPv6) both ways @4..@35; LSOv2 encap 0x2, max 62,780 (0xF53C), min segments 2,
	 * IPv6 options 0x5 @80..@107; RSC ip4 = ip6 = 1 @144 (NVSP 6.1). */
	uint8_t a_hw[180] = {0x04, 0, 0, 0x80, 0xb4, 0, 0, 0, 0x05, 0, 0, 0, 0, 0, 0, 0, 0x9c, 0, 0,
		0, 0x10, 0, 0, 0, 0xa7, 0x03, 0x9c, 0x00, [24 + 4] = 0x02, [24 + 8] = 0x54,
		[24 + 12] = 0x02, [24 + 16] = 0x54, [24 + 20] = 0x02, [24 + 24] = 0x55,
		[24 + 28] = 0x02, [24 + 32] = 0x55, [24 + 80] = 0x02, [24 + 84] = 0x3c,
		[24 + 85] = 0xf5, [24 + 88] = 0x02, [24 + 92] = 0x02, [24 + 96] = 0x3c,
		[24 + 97] = 0xf5, [24 + 100] = 0x02, [24 + 104] = 0x05, [24 + 144] = 0x01,
		[24 + 145] = 0x01};
	/* Step 12: SET TCP_OFFLOAD_PARAMETERS, 28-byte object {0x80, 3, 28} as Linux sets it for
	 * the caps above (facts 7.4): ip_v4_csum 1, TCP/UDP v4/v6 checksums 4, LSOv2 v4/v6 2,
	 * RSC v4/v6 2 (@22, @23). */
	uint8_t s_off[56] = {0x05, 0, 0, 0, 0x38, 0, 0, 0, 0x06, 0, 0, 0, 0x0c, 0x02, 0x01, 0xfc, 0x1c,
		0, 0, 0, 0x14, 0, 0, 0, 0, 0, 0, 0, 0x80, 0x03, 0x1c, 0x00, 0x01, 0x04, 0x04, 0x04,
		0x04, 0, 0, 0x02, 0x02, [28 + 22] = 0x02, [28 + 23] = 0x02};
	static const uint8_t a_off[16] = {0x05, 0, 0, 0x80, 0x10, 0, 0, 0, 0x06, 0, 0, 0, 0, 0, 0, 0};
	/* Step 18: SET RECEIVE_SCALE_PARAMETERS: 28 + 40 + 512 (128 entries) + 40 (key) bytes. */
	uint8_t s_rss[620] = {0x05, 0, 0, 0, 0x6c, 0x02, 0, 0, 0x0a, 0, 0, 0, 0x04, 0x02, 0x01, 0x00,
		0x50, 0x02, 0, 0, 0x14, 0, 0, 0, 0, 0, 0, 0, 0x89, 0x02, 0x28, 0x00, 0x10, 0x00, 0x00,
		0x00, 0x01, 0x17, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x28, 0x00, 0x00, 0x00, 0x28,
		0x00, 0x00, 0x00, 0x28, 0x02, 0x00, 0x00};
	static const uint8_t a_rssp[16] = {0x05, 0, 0, 0x80, 0x10, 0, 0, 0, 0x0a, 0, 0, 0, 0, 0, 0,
		0};
	static const uint8_t key[40] = {0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67,
		0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4,
		0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac,
		0x01, 0xfa};

	memcpy(s_rss + 580, key, sizeof(key));

	assert_int_equal(vs_vsp_handle_packet(t->vsp, 0, init_pkt, sizeof(init_pkt)), 0);
	assert_int_equal(t->f.n_pkts, 1);
	assert_memory_equal(sent(t, 0, NULL), init_done, 56);
	vsp_fake_clear(&t->f);

	assert_int_equal(send_inband(t, 0, false, ndis_cfg, sizeof(ndis_cfg)), 0);
	assert_int_equal(send_inband(t, 0, false, ndis_ver, sizeof(ndis_ver)), 0);
	assert_int_equal(t->f.n_sent, 1); /* neither is completed (facts 6.2 steps 3-4) */

	assert_int_equal(send_inband(t, 0x12, true, recv_buf, sizeof(recv_buf)), 0);
	expect_comp(t, 0, 0x12, recv_done, sizeof(recv_done));
	vsp_fake_clear(&t->f);
	assert_int_equal(send_inband(t, 0x13, true, send_buf, sizeof(send_buf)), 0);
	expect_comp(t, 0, 0x13, send_done, sizeof(send_done));
	vsp_fake_clear(&t->f);

	ram_put(t, 2, 0x100, rinit, sizeof(rinit));
	assert_int_equal(vs_vsp_handle_packet(t->vsp, 0, rinit_pkt, sizeof(rinit_pkt)), 0);
	assert_int_equal(t->f.n_pkts, 2);
	expect_comp(t, 0, 0x14, comp_rndis_ok, 8);
	expect_ctl_xfer(t, 1, init_c, sizeof(init_c));
	assert_int_equal(get32(sent(t, 1, NULL) + 28), 0); /* first reserved sub-allocation */
	complete_all(t);

	ctl_step(t, 0x15, q_mfs, sizeof(q_mfs), a_mfs, sizeof(a_mfs));
	ctl_step(t, 0x16, q_mac, sizeof(q_mac), a_mac, sizeof(a_mac));
	ctl_step(t, 0x17, q_name, sizeof(q_name), a_name, sizeof(a_name));
	ctl_step(t, 0x18, q_hw, sizeof(q_hw), a_hw, sizeof(a_hw));
	ctl_step(t, 0x19, s_off, sizeof(s_off), a_off, sizeof(a_off));
	ctl_step(t, 0x1a, q_media, sizeof(q_media), a_media, sizeof(a_media));
	ctl_step(t, 0x1b, q_speed, sizeof(q_speed), a_speed, sizeof(a_speed));
	ctl_step(t, 0x1c, q_rss, sizeof(q_rss), a_rss, sizeof(a_rss));
	/* The RSS message straddles a page boundary: range at 0xF00, 2 PFNs. */
	ctl_step_at(t, 0x1d, s_rss, sizeof(s_rss), 0xf00, a_rssp, sizeof(a_rssp));
	vs_vsp_info_get(t->vsp, &info);
	assert_false(info.rss_enabled);
	s_rss[32] = 0; /* flags 0: enable */
	ctl_step_at(t, 0x1e, s_rss, sizeof(s_rss), 0xf00, a_rssp, sizeof(a_rssp));
	ctl_step(t, 0x1f, s_filter, sizeof(s_filter), a_filter, sizeof(a_filter));

	vs_vsp_info_get(t->vsp, &info);
	assert_int_equal(info.nvsp_version, 0x60001);
	assert_int_equal(info.ndis_mtu, 1514);
	assert_int_equal(info.ndis_caps, 0xac);
	assert_int_equal(info.ndis_major, 6);
	assert_int_equal(info.ndis_minor, 30);
	assert_int_equal(info.rx_suballocs, 9289);
	assert_int_equal(info.rx_free, 9289);
	assert_int_equal(info.send_sections, 170);
	assert_true(info.rndis_ready);
	assert_int_equal(info.packet_filter, 0x0d);
	assert_true(info.rss_enabled);
	assert_int_equal(info.rss_hash_info, 0x1701);
	assert_int_equal(info.rss_table_len, 128);
	assert_int_equal(info.offload_params[4], 1);
	assert_int_equal(info.offloads_advertised, VS_VSP_OL_ALL);
	assert_int_equal(info.offloads, 0xfff); /* every VS_VSP_EN_* bit */
	/* The optional friendly name is answered "not supported": counted, not a guest error. */
	assert_int_equal(vs_vsp_stats(t->vsp)->cnt[VS_VSP_CNT_OID_UNSUPPORTED], 1);
	assert_int_equal(total_errors(t), 0);
	assert_false(vs_vsp_must_close(t->vsp));
}

/* Linux retries older versions after a refusal (facts 6.2 step 2). */
static void init_unsupported_version_refused_then_older_accepted(void **state)
{
	struct tctx *t = *state;
	uint8_t init[12] = {0x01, 0, 0, 0, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x07, 0x00};
	static const uint8_t fail[16] = {0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0, 0, 0};
	static const uint8_t ok[16] = {0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0, 0, 0};
	struct vs_vsp_info info;

	assert_int_equal(send_inband(t, 7, true, init, sizeof(init)), 0);
	expect_comp(t, 0, 7, fail, sizeof(fail));
	assert_int_equal(err_count(t, VS_VSP_ERR_NVSP_VERSION), 1);
	put32(init + 4, 0x50000);
	put32(init + 8, 0x50000);
	assert_int_equal(send_inband(t, 8, true, init, sizeof(init)), 0);
	expect_comp(t, 1, 8, ok, sizeof(ok));
	vs_vsp_info_get(t->vsp, &info);
	assert_int_equal(info.nvsp_version, 0x50000);
}

static void init_range_picks_highest_supported(void **state)
{
	struct tctx *t = *state;
	uint8_t init[12] = {0x01, 0, 0, 0};
	struct vs_vsp_info info;

	put32(init + 4, 0x2);
	put32(init + 8, 0x7ffff);
	assert_int_equal(send_inband(t, 7, true, init, sizeof(init)), 0);
	vs_vsp_info_get(t->vsp, &info);
	assert_int_equal(info.nvsp_version, 0x60001);
	/* min > max refused */
	vs_vsp_reset(t->vsp);
	put32(init + 4, 0x60000);
	put32(init + 8, 0x50000);
	assert_int_equal(send_inband(t, 9, true, init, sizeof(init)), 0);
	vs_vsp_info_get(t->vsp, &info);
	assert_int_equal(info.nvsp_version, 0);
	assert_int_equal(err_count(t, VS_VSP_ERR_NVSP_VERSION), 1);
}

static void init_twice_is_refused(void **state)
{
	struct tctx *t = *state;
	static const uint8_t fail[16] = {0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0, 0, 0};
	uint8_t init[12] = {0x01, 0, 0, 0, 0x01, 0, 6, 0, 0x01, 0, 6, 0};

	assert_int_equal(send_inband(t, 1, true, init, sizeof(init)), 0);
	vsp_fake_clear(&t->f);
	assert_int_equal(send_inband(t, 2, true, init, sizeof(init)), 0);
	expect_comp(t, 0, 2, fail, sizeof(fail));
	assert_int_equal(err_count(t, VS_VSP_ERR_NVSP_REINIT), 1);
}

/* Nothing but INIT before INIT; a refused request still gets its failure completion. */
static void message_before_init_refused(void **state)
{
	struct tctx *t = *state;
	static const uint8_t recv_buf[10] = {0x65, 0, 0, 0, 0x00, 0x01, 0, 0, 0xfe, 0xca};
	static const uint8_t refused[8] = {0x66, 0, 0, 0, 0x02, 0, 0, 0};

	assert_int_equal(send_inband(t, 5, true, recv_buf, sizeof(recv_buf)), 0);
	expect_comp(t, 0, 5, refused, sizeof(refused));
	assert_int_equal(err_count(t, VS_VSP_ERR_NVSP_BEFORE_INIT), 1);
	assert_false(vs_vsp_must_close(t->vsp));
}

/* Per-type minimum sizes: an 8-byte NVSP payload is too short for every type whose message is
 * longer than 8 bytes; requests with a completion format are refused in it. */
static void short_messages_counted_and_refused(void **state)
{
	struct tctx *t = *state;
	static const struct {
		uint32_t type;
		uint32_t comp_type; /* 0: no completion expected */
	} cases[] = {
		{1, 2}, {100, 0}, {101, 102}, {104, 105}, {107, 108}, {125, 0}, {133, 133},
	};
	unsigned int i;

	nvsp_bringup(t, 0x60001, 1514);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t pkt[24] = {0};

		put_desc(pkt, 6, 2, 3, 1, 0x40 + i);
		put32(pkt + 16, cases[i].type);
		vsp_fake_clear(&t->f);
		assert_int_equal(vs_vsp_handle_packet(t->vsp, 0, pkt, sizeof(pkt)), 0);
		assert_int_equal(err_count(t, VS_VSP_ERR_NVSP_SHORT), i + 1);
		if (cases[i].comp_type == 0) {
			assert_int_equal(t->f.n_pkts, 0);
			continue;
		}
		assert_int_equal(t->f.n_pkts, 1);
		assert_int_equal(get32(sent(t, 0, NULL) + 16), cases[i].comp_type);
		/* status: @12 for INIT_COMPLETE, @4 for the others */
		assert_int_equal(get32(sent(t, 0, NULL) + 16 + (cases[i].type == 1 ? 12 : 4)), 2);
	}
	assert_false(vs_vsp_must_close(t->vsp));
}

/* Descriptor framing lies are fatal: the channel must close, and stays closed. */
static void framing_violations_are_fatal(void **state)
{
	struct tctx *t = *state;
	uint8_t pkt[56] = {0};
	static const struct {
		uint16_t offset8, len8;
		size_t len;
	} cases[] = {
		{2, 7, 15},  /* shorter than a descriptor */
		{1, 7, 56},  /* offset8 < 2 */
		{5, 4, 56},  /* len8 < offset8 */
		{2, 8, 56},  /* len8 * 8 beyond what was read */
		{2, 2, 56},  /* no NVSP type at all */
	};
	unsigned int i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		vs_vsp_reset(t->vsp);
		put_desc(pkt, 6, cases[i].offset8, cases[i].len8, 1, 1);
		put32(pkt + 16, 1);
		assert_int_equal(vs_vsp_handle_packet(t->vsp, 0, pkt, cases[i].len), -EPROTO);
		assert_true(vs_vsp_must_close(t->vsp));
		assert_int_equal(err_count(t, VS_VSP_ERR_PKT_FRAMING), i + 1);
	}
	/* Closed: even a good packet is refused now. */
	put_desc(pkt, 6, 2, 7, 1, 1);
	assert_int_equal(vs_vsp_handle_packet(t->vsp, 0, pkt, sizeof(pkt)), -EPROTO);
	assert_int_equal(t->f.n_sent, 0);
}

static void gpa_direct_header_shorter_than_24_fatal(void **state)
{
	struct tctx *t = *state;
	uint8_t pkt[56] = {0};

	put_desc(pkt, 9, 2, 7, 1, 1); /* offset8 2: no room for reserved + range count */
	put32(pkt + 16, 107);
	assert_int_equal(vs_vsp_handle_packet(t->vsp, 0, pkt, sizeof(pkt)), -EPROTO);
	assert_int_equal(err_count(t, VS_VSP_ERR_PKT_FRAMING), 1);
}

static void unknown_flags_and_types_counted_channel_kept(void **state)
{
	struct tctx *t = *state;
	uint8_t pkt[56] = {0};
	static const uint8_t unknown[4] = {110, 0, 0, 0};

	put_desc(pkt, 6, 2, 7, 0x3, 1);
	assert_int_equal(vs_vsp_handle_packet(t->vsp, 0, pkt, sizeof(pkt)), 0);
	assert_int_equal(err_count(t, VS_VSP_ERR_PKT_FLAGS), 1);
	put_desc(pkt, 7, 2, 7, 1, 1); /* XFER_PAGES from the guest */
	assert_int_equal(vs_vsp_handle_packet(t->vsp, 0, pkt, sizeof(pkt)), 0);
	assert_int_equal(err_count(t, VS_VSP_ERR_PKT_TYPE), 1);
	nvsp_bringup(t, 0x60001, 1514);
	assert_int_equal(send_inband(t, 9, true, unknown, sizeof(unknown)), 0);
	assert_int_equal(err_count(t, VS_VSP_ERR_NVSP_UNKNOWN), 1);
	assert_int_equal(t->f.n_pkts, 0);
	assert_false(vs_vsp_must_close(t->vsp));
}

/* NDIS-config MTU: below 1514 raised, above the cap clamped, 9014 kept; sub-allocations follow
 * (facts 8: MTU 9000 -> 256 + 9014 + 36 = 9306). */
static void ndis_config_mtu_bounds_and_suballoc_size(void **state)
{
	struct tctx *t = *state;
	static const struct {
		uint32_t in, want;
	} cases[] = {{100, 1514}, {1514, 1514}, {9014, 9014}, {9230, 9230}, {65535, 9230}};
	unsigned int i;
	struct vs_vsp_info info;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		vs_vsp_reset(t->vsp);
		nvsp_bringup(t, 0x60001, cases[i].in);
		vs_vsp_info_get(t->vsp, &info);
		assert_int_equal(info.ndis_mtu, cases[i].want);
		assert_int_equal(info.rx_suballoc_size, 256 + cases[i].want + 36);
		assert_int_equal(info.rx_suballocs, RECV_SIZE / (256 + cases[i].want + 36));
	}
	assert_int_equal(vs_vsp_stats(t->vsp)->cnt[VS_VSP_CNT_MTU_ADJUSTED], 2);
	/* NVSP 1 has no NDIS_CONFIG */
	vs_vsp_reset(t->vsp);
	{
		uint8_t init[12] = {0x01, 0, 0, 0, 0x02, 0, 0, 0, 0x02, 0, 0, 0};
		uint8_t cfg[20] = {0x7d, 0, 0, 0, 0x28, 0x23, 0, 0};

		assert_int_equal(send_inband(t, 1, true, init, sizeof(init)), 0);
		assert_int_equal(send_inband(t, 0, false, cfg, sizeof(cfg)), 0);
		assert_int_equal(err_count(t, VS_VSP_ERR_NVSP_NOT_IN_VERSION), 1);
	}
}

static void recv_buf_unknown_gpadl_refused(void **state)
{
	struct tctx *t = *state;
	uint8_t init[12] = {0x01, 0, 0, 0, 0x01, 0, 6, 0, 0x01, 0, 6, 0};
	uint8_t rbuf[10] = {0x65, 0, 0, 0, 0x99, 0x09, 0, 0, 0xfe, 0xca};
	static const uint8_t refused[8] = {0x66, 0, 0, 0, 0x02, 0, 0, 0};
	struct vs_vsp_info info;

	assert_int_equal(send_inband(t, 1, true, init, sizeof(init)), 0);
	vsp_fake_clear(&t->f);
	assert_int_equal(send_inband(t, 2, true, rbuf, sizeof(rbuf)), 0);
	expect_comp(t, 0, 2, refused, sizeof(refused));
	assert_int_equal(err_count(t, VS_VSP_ERR_BUF_GPADL), 1);
	vs_vsp_info_get(t->vsp, &info);
	assert_false(info.recv_buf);
}

static void recv_buf_too_small_and_duplicate_refused(void **state)
{
	struct tctx *t = *state;
	uint8_t init[12] = {0x01, 0, 0, 0, 0x01, 0, 6, 0, 0x01, 0, 6, 0};
	uint8_t rbuf[10] = {0x65, 0, 0, 0, 0x00, 0x02, 0, 0, 0xfe, 0xca};
	uint8_t sbuf[10] = {0x68, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0};
	static const uint8_t refused[8] = {0x66, 0, 0, 0, 0x02, 0, 0, 0};
	static const uint8_t refused_send[8] = {0x69, 0, 0, 0, 0x02, 0, 0, 0};

	/* One sub-allocation's worth (2 * 1806 - 1 bytes): cannot hold control + data. */
	assert_non_null(vsp_fake_gpadl_add(&t->f, 0x200, 2 * SUB_1500 - 1));
	assert_non_null(vsp_fake_gpadl_add(&t->f, 0x201, 6143));
	assert_int_equal(send_inband(t, 1, true, init, sizeof(init)), 0);
	vsp_fake_clear(&t->f);
	assert_int_equal(send_inband(t, 2, true, rbuf, sizeof(rbuf)), 0);
	expect_comp(t, 0, 2, refused, sizeof(refused));
	assert_int_equal(err_count(t, VS_VSP_ERR_BUF_TOO_SMALL), 1);
	assert_int_equal(send_inband(t, 3, true, sbuf, sizeof(sbuf)), 0);
	expect_comp(t, 1, 3, refused_send, sizeof(refused_send));
	assert_int_equal(err_count(t, VS_VSP_ERR_BUF_TOO_SMALL), 2);

	put32(rbuf + 4, RECV_GPADL);
	assert_int_equal(send_inband(t, 4, true, rbuf, sizeof(rbuf)), 0);
	assert_int_equal(get32(sent(t, 2, NULL) + 20), 1);
	assert_int_equal(send_inband(t, 5, true, rbuf, sizeof(rbuf)), 0);
	expect_comp(t, 3, 5, refused, sizeof(refused));
	assert_int_equal(err_count(t, VS_VSP_ERR_BUF_DUPLICATE), 1);
	/* the send buffer may not reuse the receive buffer's GPADL */
	put32(sbuf + 4, RECV_GPADL);
	assert_int_equal(send_inband(t, 6, true, sbuf, sizeof(sbuf)), 0);
	expect_comp(t, 4, 6, refused_send, sizeof(refused_send));
	assert_int_equal(err_count(t, VS_VSP_ERR_BUF_DUPLICATE), 2);
}

/* The guest sizes count x size <= its buffer: sub-allocation math never exceeds it. */
static void recv_buf_odd_size_fits(void **state)
{
	struct tctx *t = *state;
	struct vs_vsp_info info;
	uint8_t init[12] = {0x01, 0, 0, 0, 0x01, 0, 6, 0, 0x01, 0, 6, 0};
	uint8_t rbuf[10] = {0x65, 0, 0, 0, 0x00, 0x02, 0, 0, 0xfe, 0xca};

	assert_non_null(vsp_fake_gpadl_add(&t->f, 0x200, 5 * SUB_1500 + 1805));
	assert_int_equal(send_inband(t, 1, true, init, sizeof(init)), 0);
	assert_int_equal(send_inband(t, 2, true, rbuf, sizeof(rbuf)), 0);
	vs_vsp_info_get(t->vsp, &info);
	assert_int_equal(info.rx_suballocs, 5);
	assert_int_equal(get32(sent(t, 1, NULL) + 16 + 24), 5 * SUB_1500); /* end_offset */
}

static void revoke_with_wrong_id_counted_right_id_revokes(void **state)
{
	struct tctx *t = *state;
	uint8_t rev_recv[6] = {0x67, 0, 0, 0, 0xfe, 0xcb};
	uint8_t rev_send[6] = {0x6a, 0, 0, 0, 0x01, 0x00};
	struct vs_vsp_info info;

	nvsp_bringup(t, 0x60001, 1514);
	assert_int_equal(send_inband(t, 0, false, rev_recv, sizeof(rev_recv)), 0);
	assert_int_equal(send_inband(t, 0, false, rev_send, sizeof(rev_send)), 0);
	assert_int_equal(err_count(t, VS_VSP_ERR_BUF_REVOKE_ID), 2);
	vs_vsp_info_get(t->vsp, &info);
	assert_true(info.recv_buf);
	assert_true(info.send_buf);
	rev_recv[5] = 0xca;
	rev_send[4] = 0;
	assert_int_equal(send_inband(t, 0, false, rev_recv, sizeof(rev_recv)), 0);
	assert_int_equal(send_inband(t, 0, false, rev_send, sizeof(rev_send)), 0);
	vs_vsp_info_get(t->vsp, &info);
	assert_false(info.recv_buf);
	assert_false(info.send_buf);
	assert_int_equal(t->f.n_pkts, 0); /* revokes are not completed */
}

/* Buffers before RNDIS (facts 9 item 5). */
static void rndis_before_buffers_refused(void **state)
{
	struct tctx *t = *state;
	uint8_t init[12] = {0x01, 0, 0, 0, 0x01, 0, 6, 0, 0x01, 0, 6, 0};
	static const uint8_t rinit[24] = {0x02, 0, 0, 0, 0x18, 0, 0, 0, 0x01, 0, 0, 0, 0x01, 0, 0, 0,
		0, 0, 0, 0, 0x00, 0x40, 0, 0};

	assert_int_equal(send_inband(t, 1, true, init, sizeof(init)), 0);
	vsp_fake_clear(&t->f);
	assert_int_equal(send_rndis_ctl(t, 2, rinit, sizeof(rinit)), 0);
	assert_int_equal(t->f.n_pkts, 1);
	expect_comp(t, 0, 2, comp_rndis_fail, 8);
	assert_int_equal(err_count(t, VS_VSP_ERR_RNDIS_NO_BUFFERS), 1);
}

static void rndis_bad_channel_type_refused(void **state)
{
	struct tctx *t = *state;
	uint8_t nvsp[40];

	nvsp_bringup(t, 0x60001, 1514);
	nvsp_rndis(nvsp, 2, 0, 16);
	assert_int_equal(send_inband(t, 3, true, nvsp, 40), 0);
	expect_comp(t, 0, 3, comp_rndis_fail, 8);
	assert_int_equal(err_count(t, VS_VSP_ERR_RNDIS_CHANNEL_TYPE), 1);
}

/* Section index x 6144 + bytes <= send buffer, index < sections, bytes <= 6144. */
static void send_section_bounds(void **state)
{
	struct tctx *t = *state;
	static const struct {
		uint32_t index, used;
		bool ok;
	} cases[] = {
		{170, 8, false},	 /* one past the last section */
		{0xfffffffeu, 8, false}, /* index x 6144 overflows 32 bits */
		{0, 6145, false},	 /* more than a section */
		{169, 6144, true},	 /* last byte of the buffer */
	};
	unsigned int i;
	uint8_t nvsp[40];

	nvsp_bringup(t, 0x60001, 1514);
	rndis_init(t);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (cases[i].ok) {
			/* One PACKET filling the whole last section: a 1514-byte frame, the rest
			 * padding counted in msg_len (facts 6.3). */
			uint8_t *sec = t->txbuf + (size_t)cases[i].index * 6144;

			memset(sec, 0, 6144);
			put32(sec, 1);
			put32(sec + 4, 6144);
			put32(sec + 8, 36);
			put32(sec + 12, 1514);
		}
		nvsp_rndis(nvsp, 0, cases[i].index, cases[i].used);
		vsp_fake_clear(&t->f);
		assert_int_equal(send_inband(t, 10 + i, true, nvsp, 40), 0);
		if (cases[i].ok) {
			assert_int_equal(t->f.n_pkts, 1);
			assert_int_equal(t->f.n_delivered, 1);
			expect_comp(t, 0, 10 + i, comp_rndis_ok, 8);
		} else {
			assert_int_equal(t->f.n_pkts, 1);
			expect_comp(t, 0, 10 + i, comp_rndis_fail, 8);
		}
	}
	assert_int_equal(err_count(t, VS_VSP_ERR_SECTION_BOUNDS), 3);
}

static void inband_without_section_has_no_data(void **state)
{
	struct tctx *t = *state;
	uint8_t nvsp[40];

	nvsp_bringup(t, 0x60001, 1514);
	nvsp_rndis(nvsp, 0, 0xffffffffu, 0);
	assert_int_equal(send_inband(t, 3, true, nvsp, 40), 0);
	expect_comp(t, 0, 3, comp_rndis_fail, 8);
	assert_int_equal(err_count(t, VS_VSP_ERR_RNDIS_NO_DATA), 1);
}

/* GPA range validation (facts 9 items 3-5; OpenVMM #621, #1842). */
static void gpa_ranges_validated(void **state)
{
	struct tctx *t = *state;
	uint8_t nvsp[40];
	struct trange r;
	uint8_t pkt[128] = {0};
	unsigned int expect_range = 0;

	nvsp_bringup(t, 0x60001, 1514);
	rndis_init(t);
	nvsp_rndis(nvsp, 1, 0xffffffffu, 0);

	/* no ranges at all */
	assert_int_equal(send_gpa(t, 1, nvsp, 40, NULL, 0), 0);
	assert_int_equal(err_count(t, VS_VSP_ERR_GPA_RANGE), ++expect_range);
	/* byte_offset 4096 */
	r = range_of(2, 0, 24);
	r.offset = 4096;
	assert_int_equal(send_gpa(t, 2, nvsp, 40, &r, 1), 0);
	assert_int_equal(err_count(t, VS_VSP_ERR_GPA_RANGE), ++expect_range);
	/* byte_count 0 */
	r = range_of(2, 0, 24);
	r.count = 0;
	assert_int_equal(send_gpa(t, 3, nvsp, 40, &r, 1), 0);
	assert_int_equal(err_count(t, VS_VSP_ERR_GPA_RANGE), ++expect_range);
	/* count needs 2 PFNs, the packet carries 1 (and the NVSP payload is read as PFNs no more) */
	r = range_of(2, 4000, 24);
	assert_int_equal(r.n_pfns, 1);
	r.count = 200;
	assert_int_equal(send_gpa(t, 4, nvsp, 40, &r, 1), 0);
	assert_int_equal(err_count(t, VS_VSP_ERR_GPA_RANGE), ++expect_range);
	/* PFN outside guest RAM */
	r = range_of(2, 0, 24);
	r.pfns[0] = 0x7;
	assert_int_equal(send_gpa(t, 5, nvsp, 40, &r, 1), 0);
	assert_int_equal(err_count(t, VS_VSP_ERR_GPA_MAP), 1);
	/* more ranges than we accept: range count 33 in the header, with 33 real ranges not
	 * needed since the count is refused first */
	put_desc(pkt, 9, 5, 10, 1, 6);
	put32(pkt + 20, 33);
	put32(pkt + 24, 24);
	put64(pkt + 32, VSP_FAKE_PFN_BASE + 2);
	memcpy(pkt + 40, nvsp, 40);
	assert_int_equal(vs_vsp_handle_packet(t->vsp, 0, pkt, 80), 0);
	assert_int_equal(err_count(t, VS_VSP_ERR_GPA_RANGE), ++expect_range);
	/* 0xFFFFFFFF bytes: more pages than a packet may name */
	r = range_of(2, 0, 24);
	r.count = 0xffffffffu;
	assert_int_equal(send_gpa(t, 7, nvsp, 40, &r, 1), 0);
	assert_int_equal(err_count(t, VS_VSP_ERR_GPA_RANGE), ++expect_range);
	/* every one of them completed with failure, channel kept */
	assert_false(vs_vsp_must_close(t->vsp));
}

static void subchannel_request_granted_by_hook_and_clamped(void **state)
{
	struct tctx *t = *state;
	uint8_t req[12] = {0x85, 0, 0, 0, 0x01, 0, 0, 0, 0x02, 0, 0, 0};
	/* none granted is a failure (DPDK's PMD would use channels that do not exist) */
	static const uint8_t none[12] = {0x85, 0, 0, 0, 0x02, 0, 0, 0, 0, 0, 0, 0};
	static const uint8_t two[12] = {0x85, 0, 0, 0, 0x01, 0, 0, 0, 0x02, 0, 0, 0};
	static const uint8_t fail[12] = {0x85, 0, 0, 0, 0x02, 0, 0, 0, 0, 0, 0, 0};
	struct vs_vsp_info info;

	nvsp_bringup(t, 0x60001, 1514);
	assert_int_equal(send_inband(t, 1, true, req, sizeof(req)), 0);
	expect_comp(t, 0, 1, none, sizeof(none));
	t->f.subchannels = 5; /* more than asked: clamped to the request */
	assert_int_equal(send_inband(t, 2, true, req, sizeof(req)), 0);
	expect_comp(t, 1, 2, two, sizeof(two));
	/* then SEND_INDIRECTION_TABLE (facts 6.1 type 134): INBAND without completion, 104-byte
	 * message, 16 entries i % 3 at offset 40 */
	{
		static const uint8_t head[16 + 12] = {0x06, 0, 0x02, 0, 0x0f, 0, 0, 0, 0, 0, 0, 0,
			0, 0, 0, 0, 0x86, 0, 0, 0, 0x10, 0, 0, 0, 0x28, 0, 0, 0};
		const uint8_t *p;
		size_t len;
		unsigned int i;

		p = sent(t, 2, &len);
		assert_int_equal(len, 120);
		assert_memory_equal(p, head, sizeof(head));
		for (i = 0; i < 16; i++)
			assert_int_equal(get32(p + 16 + 40 + 4 * i), i % 3);
	}
	vs_vsp_info_get(t->vsp, &info);
	assert_int_equal(info.n_channels, 3);
	req[4] = 2; /* unknown operation */
	assert_int_equal(send_inband(t, 3, true, req, sizeof(req)), 0);
	expect_comp(t, 3, 3, fail, sizeof(fail));
	assert_int_equal(err_count(t, VS_VSP_ERR_SUBCHANNEL_OP), 1);
	/* NVSP 4 has no subchannels */
	vs_vsp_reset(t->vsp);
	vsp_fake_clear(&t->f);
	nvsp_bringup(t, 0x40000, 1514);
	req[4] = 1;
	assert_int_equal(send_inband(t, 4, true, req, sizeof(req)), 0);
	expect_comp(t, 0, 4, fail, sizeof(fail));
	assert_int_equal(err_count(t, VS_VSP_ERR_NVSP_NOT_IN_VERSION), 1);
}

/* SWITCH_DATA_PATH is completed with an empty COMP (facts 6.1). */
static void switch_data_path_empty_completion(void **state)
{
	struct tctx *t = *state;
	static const uint8_t sw[8] = {0x81, 0, 0, 0, 0x01, 0, 0, 0};
	static const uint8_t empty_comp[16] = {0x0b, 0, 0x02, 0, 0x02, 0, 0, 0, 0x33, 0, 0, 0, 0, 0, 0,
		0};
	size_t len;
	struct vs_vsp_info info;

	nvsp_bringup(t, 0x60001, 1514);
	assert_int_equal(send_inband(t, 0x33, true, sw, sizeof(sw)), 0);
	assert_memory_equal(sent(t, 0, &len), empty_comp, 16);
	assert_int_equal(len, 16);
	vs_vsp_info_get(t->vsp, &info);
	assert_int_equal(info.datapath, 1);
}

/* Requests without completion-requested get no completion (facts 5.3). */
static void no_completion_unless_requested(void **state)
{
	struct tctx *t = *state;
	uint8_t init[12] = {0x01, 0, 0, 0, 0x01, 0, 6, 0, 0x01, 0, 6, 0};
	struct vs_vsp_info info;

	assert_int_equal(send_inband(t, 0xfffffffffffffffdull, false, init, sizeof(init)), 0);
	assert_int_equal(t->f.n_sent, 0);
	vs_vsp_info_get(t->vsp, &info);
	assert_int_equal(info.nvsp_version, 0x60001);
}

static void counter_names_are_complete(void **state)
{
	int i;

	for (i = 0; i < VS_VSP_CNT_COUNT; i++)
		assert_string_not_equal(vs_vsp_cnt_name(i), "?");
	for (i = 1; i < VS_VSP_ERR_COUNT; i++)
		assert_string_not_equal(vs_vsp_err_name(i), "?");
	for (i = 0; i < VS_VSP_DROP_COUNT; i++)
		assert_string_not_equal(vs_vsp_drop_name(i), "?");
	assert_string_equal(vs_vsp_err_name(VS_VSP_ERR_COUNT), "?");
	assert_string_equal(vs_vsp_err_name(VS_VSP_ERR_XFER_COMP_UNKNOWN), "xfer_comp_unknown");
}

static void create_rejects_missing_ops(void **state)
{
	struct vs_vsp_ops ops = vsp_fake_ops;
	struct vs_vsp_config cfg = {0};

	ops.send = NULL;
	assert_null(vs_vsp_create(&cfg, &ops, NULL));
	assert_int_equal(errno, EINVAL);
	vs_vsp_destroy(NULL);
}

/* Errors are logged on their 1st, 2nd, 4th, 8th ... occurrence only. */
static void error_log_is_rate_limited(void **state)
{
	struct tctx *t = *state;
	uint8_t pkt[56] = {0};
	int i;

	put_desc(pkt, 7, 2, 7, 1, 1);
	for (i = 0; i < 100; i++)
		vs_vsp_handle_packet(t->vsp, 0, pkt, sizeof(pkt));
	assert_int_equal(err_count(t, VS_VSP_ERR_PKT_TYPE), 100);
	assert_int_equal(t->f.n_logs, 7); /* 1 2 4 8 16 32 64 */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(bringup_linux61_byte_vectors, setup, teardown),
		cmocka_unit_test_setup_teardown(init_unsupported_version_refused_then_older_accepted,
			setup, teardown),
		cmocka_unit_test_setup_teardown(init_range_picks_highest_supported, setup, teardown),
		cmocka_unit_test_setup_teardown(init_twice_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(message_before_init_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(short_messages_counted_and_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(framing_violations_are_fatal, setup, teardown),
		cmocka_unit_test_setup_teardown(gpa_direct_header_shorter_than_24_fatal, setup,
			teardown),
		cmocka_unit_test_setup_teardown(unknown_flags_and_types_counted_channel_kept, setup,
			teardown),
		cmocka_unit_test_setup_teardown(ndis_config_mtu_bounds_and_suballoc_size, setup,
			teardown),
		cmocka_unit_test_setup_teardown(recv_buf_unknown_gpadl_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(recv_buf_too_small_and_duplicate_refused, setup,
			teardown),
		cmocka_unit_test_setup_teardown(recv_buf_odd_size_fits, setup, teardown),
		cmocka_unit_test_setup_teardown(revoke_with_wrong_id_counted_right_id_revokes, setup,
			teardown),
		cmocka_unit_test_setup_teardown(rndis_before_buffers_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(rndis_bad_channel_type_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(send_section_bounds, setup, teardown),
		cmocka_unit_test_setup_teardown(inband_without_section_has_no_data, setup, teardown),
		cmocka_unit_test_setup_teardown(gpa_ranges_validated, setup, teardown),
		cmocka_unit_test_setup_teardown(subchannel_request_granted_by_hook_and_clamped, setup,
			teardown),
		cmocka_unit_test_setup_teardown(switch_data_path_empty_completion, setup, teardown),
		cmocka_unit_test_setup_teardown(no_completion_unless_requested, setup, teardown),
		cmocka_unit_test(counter_names_are_complete),
		cmocka_unit_test(create_rejects_missing_ops),
		cmocka_unit_test_setup_teardown(error_log_is_rate_limited, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
