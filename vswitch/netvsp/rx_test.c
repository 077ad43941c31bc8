/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Frames to the guest (facts 6.3, 7.6, 10 step 13) and the guest's completions of our
 * XFER_PAGES transfers (facts 9 item 5).
 */
#include "vsp_test_util.h"

#include <errno.h>

static int setup(void **state)
{
	struct tctx *t = calloc(1, sizeof(*t));

	tctx_setup(t);
	full_bringup(t);
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	tctx_teardown(*state);
	free(*state);
	return 0;
}

static int rx_one(struct tctx *t, const uint8_t *frame, uint32_t len, uint32_t flags,
	uint16_t tci, uint32_t csum)
{
	struct vs_vsp_seg seg = {frame, len};
	struct vs_vsp_rx_frame f = {
		.segs = &seg, .n_segs = 1, .flags = flags, .vlan_tci = tci, .csum_info = csum};

	return vs_vsp_rx_add(t->vsp, &f);
}

/* One frame with checksum and VLAN PPIs (facts 6.3/7.6/10): PACKET header at +0, PPIs from +44
 * (ppi_offset 36), the frame right after them at +76 (data_offset 68), msg_len = range length =
 * 76 + frame; XFER_PAGES {0xCAFE, one range at the first data sub-allocation, 107 channel 0}. */
static void frame_written_as_rndis_packet_with_ppis(void **state)
{
	struct tctx *t = *state;
	uint8_t frame[100];
	static const uint8_t xfer_head[8] = {0x07, 0, 0x04, 0, 0x06, 0, 0x01, 0};
	static const uint8_t xfer_rest[8 + 8 + 16] = {0xfe, 0xca, 0, 0, 0x01, 0, 0, 0,
		0xb0, 0, 0, 0, 0xe0, 0x70, 0, 0, /* {176, 16 * 1806 = 28896} */
		0x6b, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0};
	static const uint8_t rndis[76] = {
		0x01, 0, 0, 0, 0xb0, 0, 0, 0,		/* PACKET, msg_len 176 */
		0x44, 0, 0, 0, 0x64, 0, 0, 0,		/* data_offset 68, data_len 100 */
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* no OOB */
		0x24, 0, 0, 0, 0x20, 0, 0, 0,		/* ppi_offset 36, ppi_len 32 */
		0, 0, 0, 0, 0, 0, 0, 0,			/* vc_handle, reserved */
		0x10, 0, 0, 0, 0, 0, 0, 0, 0x0c, 0, 0, 0, 0x28, 0, 0, 0, /* csum: TCP ok | IP ok */
		0x10, 0, 0, 0, 0x06, 0, 0, 0, 0x0c, 0, 0, 0, 0x45, 0x06, 0, 0, /* 802.1Q */
	};
	size_t len;
	const uint8_t *p;
	unsigned int i;

	for (i = 0; i < sizeof(frame); i++)
		frame[i] = (uint8_t)(i * 3 + 1);
	/* VLAN 100, priority 5 -> PPI value pri 5 | vid << 4 = 0x645 */
	assert_int_equal(rx_one(t, frame, sizeof(frame), VS_VSP_RXF_VLAN | VS_VSP_RXF_CSUM,
				 (5 << 13) | 100, 0x28),
		0);
	assert_int_equal(t->f.n_pkts, 0); /* batched until flushed */
	assert_int_equal(vs_vsp_rx_flush(t->vsp), 0);
	assert_int_equal(t->f.n_pkts, 1);
	p = sent(t, 0, &len);
	assert_int_equal(len, 48);
	assert_memory_equal(p, xfer_head, 8);
	assert_memory_equal(p + 16, xfer_rest, sizeof(xfer_rest));
	assert_memory_equal(t->rxbuf + FIRST_DATA_OFF, rndis, sizeof(rndis));
	assert_memory_equal(t->rxbuf + FIRST_DATA_OFF + 76, frame, sizeof(frame));
	assert_int_equal(vs_vsp_stats(t->vsp)->cnt[VS_VSP_CNT_TO_GUEST_PACKETS], 1);
	assert_int_equal(vs_vsp_stats(t->vsp)->cnt[VS_VSP_CNT_TO_GUEST_BYTES], 100);
}

/* A coalesced frame of 4000 bytes for a guest with RSC: fragments of 1550 bytes (sub-allocation
 * 1806 - 256 of header room), one RNDIS PACKET each in a sub-allocation of its own, in one
 * XFER_PAGES packet (facts 7.6): the first carries the checksum PPI and packet info {1, 0x3, id},
 * the middle {1, 0x1, id}, the last {1, 0x5, id}; each fragment right after its PPIs. */
static void large_frame_sent_as_rsc_fragments(void **state)
{
	struct tctx *t = *state;
	static uint8_t frame[4000];
	static const uint8_t first[76] = {
		0x01, 0, 0, 0, 0x5a, 0x06, 0, 0,	/* PACKET, msg_len 44 + 32 + 1550 = 1626 */
		0x44, 0, 0, 0, 0x0e, 0x06, 0, 0,	/* data_offset 68, data_len 1550 */
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0x24, 0, 0, 0, 0x20, 0, 0, 0,		/* ppi_offset 36, ppi_len 32 */
		0, 0, 0, 0, 0, 0, 0, 0,
		0x10, 0, 0, 0, 0, 0, 0, 0, 0x0c, 0, 0, 0, 0x28, 0, 0, 0, /* csum: TCP ok | IP ok */
		0x10, 0, 0, 0, 0x01, 0, 0, 0x80, 0x0c, 0, 0, 0, 0x01, 0x03, 0x01, 0x00, /* pkt info */
	};
	static const uint8_t middle_ppi[24] = {0x24, 0, 0, 0, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0x10, 0, 0, 0, 0x01, 0, 0, 0x80};
	static const uint8_t last_hdr[16] = {0x01, 0, 0, 0, 0xc0, 0x03, 0, 0, 0x34, 0, 0, 0, 0x84,
		0x03, 0, 0}; /* msg_len 44 + 16 + 900, data_offset 52, data_len 900 */
	uint32_t off[3], cnt[3], i;
	const uint8_t *p, *b;
	size_t len;

	for (i = 0; i < sizeof(frame); i++)
		frame[i] = (uint8_t)(i * 5 + i / 256);
	/* without RSC it does not fit */
	assert_int_equal(rx_one(t, frame, sizeof(frame), VS_VSP_RXF_CSUM, 0, 0x28), -EMSGSIZE);
	assert_int_equal(drop_count(t, VS_VSP_DROP_TO_GUEST_TOO_BIG), 1);
	assert_int_equal(rx_one(t, frame, sizeof(frame), VS_VSP_RXF_CSUM | VS_VSP_RXF_RSC, 0, 0x28),
		0);
	assert_int_equal(vs_vsp_rx_flush(t->vsp), 0);
	assert_int_equal(t->f.n_pkts, 1);
	p = sent(t, 0, &len);
	assert_int_equal(get32(p + 20), 3); /* ranges */
	for (i = 0; i < 3; i++) {
		cnt[i] = get32(p + 24 + 8 * i);
		off[i] = get32(p + 28 + 8 * i);
	}
	assert_int_equal(cnt[0], 1626);
	assert_int_equal(cnt[1], 44 + 16 + 1550);
	assert_int_equal(cnt[2], 44 + 16 + 900);
	for (i = 0; i < 3; i++)
		assert_int_equal(off[i] % SUB_1500, 0); /* one sub-allocation each */
	assert_true(off[0] != off[1] && off[1] != off[2] && off[0] != off[2]);
	b = t->rxbuf + off[0];
	assert_memory_equal(b, first, sizeof(first));
	assert_memory_equal(b + 76, frame, 1550);
	b = t->rxbuf + off[1];
	assert_memory_equal(b + 28, middle_ppi, sizeof(middle_ppi));
	assert_int_equal(b[44 + 12], 1);
	assert_int_equal(b[44 + 13], 0x1);
	assert_int_equal(b[44 + 14], 0x1);
	assert_memory_equal(b + 60, frame + 1550, 1550);
	b = t->rxbuf + off[2];
	assert_memory_equal(b, last_hdr, sizeof(last_hdr));
	assert_int_equal(b[44 + 13], 0x5);
	assert_memory_equal(b + 60, frame + 3100, 900);
	assert_int_equal(vs_vsp_stats(t->vsp)->cnt[VS_VSP_CNT_TO_GUEST_PACKETS], 1);
	assert_int_equal(vs_vsp_stats(t->vsp)->cnt[VS_VSP_CNT_TO_GUEST_RSC], 1);
	assert_int_equal(vs_vsp_stats(t->vsp)->cnt[VS_VSP_CNT_TO_GUEST_RSC_FRAGS], 3);
}

/* Without metadata there are no PPIs: ppi_offset 0, ppi_len 0 (Linux skips its walk). */
static void frame_without_metadata_has_no_ppi(void **state)
{
	struct tctx *t = *state;
	uint8_t frame[60] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	static const uint8_t rndis[44] = {0x01, 0, 0, 0, 0x68, 0, 0, 0, 0x24, 0, 0, 0, 0x3c, 0, 0,
		0}; /* msg_len 44 + 60, data_offset 36 */
	struct vs_vsp_seg segs[3] = {{frame, 20}, {frame + 20, 0}, {frame + 20, 40}};
	struct vs_vsp_rx_frame f = {.segs = segs, .n_segs = 3};

	assert_int_equal(vs_vsp_rx_add(t->vsp, &f), 0);
	assert_int_equal(vs_vsp_rx_flush(t->vsp), 0);
	assert_memory_equal(t->rxbuf + FIRST_DATA_OFF, rndis, sizeof(rndis));
	assert_memory_equal(t->rxbuf + FIRST_DATA_OFF + 44, frame, sizeof(frame));
}

/* Several frames in one XFER_PAGES packet, one range each; offset8 = (24 + 8n) / 8. Messages
 * are packed: the 844-byte one follows the 144-byte one (8-byte aligned), the 1544-byte one does
 * not fit behind them and, filling most of a sub-allocation, takes the most recently freed one:
 * on a fresh buffer the last. */
static void frames_batched_in_one_xfer(void **state)
{
	struct tctx *t = *state;
	uint8_t frame[1514] = {0};
	const uint8_t *p;
	size_t len;
	unsigned int i;

	for (i = 0; i < 3; i++)
		assert_int_equal(rx_one(t, frame, 100 + 700 * i, 0, 0, 0), 0);
	assert_int_equal(vs_vsp_rx_flush(t->vsp), 0);
	assert_int_equal(vs_vsp_rx_flush(t->vsp), 0); /* nothing pending: no packet */
	assert_int_equal(t->f.n_pkts, 1);
	p = sent(t, 0, &len);
	assert_int_equal(len, 24 + 3 * 8 + 16);
	assert_int_equal(p[2], 6); /* offset8 */
	assert_int_equal(p[4], 8); /* len8 */
	assert_int_equal(get32(p + 20), 3);
	for (i = 0; i < 3; i++)
		assert_int_equal(get32(p + 24 + 8 * i), 44 + 100 + 700 * i);
	assert_int_equal(get32(p + 28), FIRST_DATA_OFF);
	assert_int_equal(get32(p + 36), FIRST_DATA_OFF + 144);
	assert_int_equal(get32(p + 44), LAST_DATA_OFF(SUB_1500));
	assert_int_equal(get32(p + 48), 107);
}

/* Small frames share sub-allocations: 60-byte frames are 104-byte messages back to back, 17 fit
 * in 1806 bytes, the 18th opens the next sub-allocation; a 61-byte frame (105 bytes) pushes the
 * next message to the 8-byte boundary. No range crosses the end of its sub-allocation, and the
 * guest's completion frees both. */
static void small_frames_packed(void **state)
{
	struct tctx *t = *state;
	uint8_t frame[61];
	struct vs_vsp_info info;
	const uint8_t *p;
	uint32_t off, cnt, i;

	for (i = 0; i < sizeof(frame); i++)
		frame[i] = (uint8_t)(0xa0 + i);
	for (i = 0; i < 18; i++) {
		frame[0] = (uint8_t)i;
		assert_int_equal(rx_one(t, frame, 60, 0, 0, 0), 0);
	}
	assert_int_equal(rx_one(t, frame, 61, 0, 0, 0), 0);
	assert_int_equal(rx_one(t, frame, 60, 0, 0, 0), 0);
	assert_int_equal(vs_vsp_rx_flush(t->vsp), 0);
	vs_vsp_info_get(t->vsp, &info);
	assert_int_equal(info.rx_free, 9289 - 2);
	p = sent(t, 0, NULL);
	assert_int_equal(get32(p + 20), 20);
	for (i = 0; i < 20; i++) {
		cnt = get32(p + 24 + 8 * i);
		off = get32(p + 28 + 8 * i);
		assert_int_equal(cnt, i == 18 ? 105 : 104);
		assert_true(off % SUB_1500 + cnt <= SUB_1500);
		if (i < 17)
			assert_int_equal(off, FIRST_DATA_OFF + 104 * i);
		else
			assert_int_equal(off, FIRST_DATA_OFF + SUB_1500 + 104 * (i - 17) +
						      (i == 19 ? 8 : 0));
		assert_int_equal(get32(t->rxbuf + off + 4), cnt);	/* msg_len */
		assert_int_equal(get32(t->rxbuf + off + 8), 36);	/* data_offset */
		if (i < 18)
			assert_int_equal(t->rxbuf[off + 44], i);
	}
	assert_int_equal(guest_complete(t, get64(p + 8), 1), 0);
	vs_vsp_info_get(t->vsp, &info);
	assert_int_equal(info.rx_free, 9289);
}

/* A full batch is sent at once and stays within Linux's 4624-byte packet buffer. */
static void full_batch_sent_automatically(void **state)
{
	struct tctx *t = *state;
	uint8_t frame[64] = {0};
	unsigned int i;

	for (i = 0; i < VS_VSP_RX_BATCH_MAX; i++)
		assert_int_equal(rx_one(t, frame, sizeof(frame), 0, 0, 0), 0);
	assert_int_equal(t->f.n_pkts, 1);
	assert_true(t->f.pkt_len[0] <= 4624);
	assert_int_equal(get32(sent(t, 0, NULL) + 20), VS_VSP_RX_BATCH_MAX);
}

/* The guest's COMP frees the batch's sub-allocations exactly once. */
static void completion_frees_once_duplicate_counted(void **state)
{
	struct tctx *t = *state;
	uint8_t frame[64] = {0};
	struct vs_vsp_info info;
	uint64_t id;

	vs_vsp_info_get(t->vsp, &info);
	assert_int_equal(info.rx_free, 9289);
	assert_int_equal(rx_one(t, frame, sizeof(frame), 0, 0, 0), 0);
	assert_int_equal(rx_one(t, frame, sizeof(frame), 0, 0, 0), 0);
	assert_int_equal(vs_vsp_rx_flush(t->vsp), 0);
	vs_vsp_info_get(t->vsp, &info);
	assert_int_equal(info.rx_free, 9288); /* both in one sub-allocation */
	id = get64(sent(t, 0, NULL) + 8);
	assert_int_equal(guest_complete(t, id, 1), 0);
	vs_vsp_info_get(t->vsp, &info);
	assert_int_equal(info.rx_free, 9289);
	assert_int_equal(guest_complete(t, id, 1), 0);
	assert_int_equal(err_count(t, VS_VSP_ERR_XFER_COMP_UNKNOWN), 1);
	vs_vsp_info_get(t->vsp, &info);
	assert_int_equal(info.rx_free, 9289);
	/* 3 control answers during bring-up (INIT, offloads, filter) + this one */
	assert_int_equal(vs_vsp_stats(t->vsp)->cnt[VS_VSP_CNT_XFER_COMPLETED], 4);
	assert_false(vs_vsp_must_close(t->vsp));
}

/* Forged ids: index out of range, high bits set, a batch not yet sent, a repeated completion.
 * The id of a transfer is its section index, below the slot count (DPDK's PMD indexes a table
 * with it, reference/dpdk-netvsc-guest.md §6.4). */
static void forged_completions_counted(void **state)
{
	struct tctx *t = *state;
	uint8_t frame[64] = {0};
	struct vs_vsp_info info;
	uint64_t id;

	assert_int_equal(rx_one(t, frame, sizeof(frame), 0, 0, 0), 0);
	assert_int_equal(vs_vsp_rx_flush(t->vsp), 0);
	id = get64(sent(t, 0, NULL) + 8);
	assert_true(id < 9289);
	assert_int_equal(id, FIRST_DATA_OFF / SUB_1500);
	assert_int_equal(guest_complete(t, id + (1ull << 32), 1), 0);
	assert_int_equal(guest_complete(t, 0xffffffffu, 1), 0);
	assert_int_equal(guest_complete(t, 0, 1), 0);
	assert_int_equal(guest_complete(t, id | (1ull << 63), 1), 0);
	assert_int_equal(rx_one(t, frame, sizeof(frame), 0, 0, 0), 0); /* pending, unsent */
	assert_int_equal(guest_complete(t, (uint64_t)(FIRST_DATA_OFF / SUB_1500 + 1), 1), 0);
	assert_int_equal(err_count(t, VS_VSP_ERR_XFER_COMP_UNKNOWN), 5);
	vs_vsp_info_get(t->vsp, &info);
	assert_int_equal(info.rx_free, 9289 - 2);
	/* the real one still works, and a failure status is noted but frees too */
	assert_int_equal(guest_complete(t, id, 2), 0);
	assert_int_equal(vs_vsp_stats(t->vsp)->cnt[VS_VSP_CNT_XFER_GUEST_FAILED], 1);
	vs_vsp_info_get(t->vsp, &info);
	assert_int_equal(info.rx_free, 9289 - 1);
	/* completing it again frees nothing */
	assert_int_equal(guest_complete(t, id, 1), 0);
	assert_int_equal(err_count(t, VS_VSP_ERR_XFER_COMP_UNKNOWN), 6);
	vs_vsp_info_get(t->vsp, &info);
	assert_int_equal(info.rx_free, 9289 - 1);
}

static void packet_filter_zero_refuses(void **state)
{
	struct tctx *t = *state;
	uint8_t frame[64] = {0};

	rndis_filter(t, 0);
	assert_int_equal(rx_one(t, frame, sizeof(frame), 0, 0, 0), -ENOBUFS);
	assert_int_equal(drop_count(t, VS_VSP_DROP_TO_GUEST_FILTERED), 1);
	assert_int_equal(t->f.n_pkts, 0);
}

static void not_ready_refuses(void **state)
{
	struct tctx *t = *state;
	uint8_t frame[64] = {0};
	static const uint8_t revoke[6] = {0x67, 0, 0, 0, 0xfe, 0xca};

	assert_int_equal(rx_one(t, frame, sizeof(frame), 0, 0, 0), 0);
	assert_int_equal(send_inband(t, 0, false, revoke, sizeof(revoke)), 0);
	/* the pending frame went with the buffer */
	assert_int_equal(drop_count(t, VS_VSP_DROP_TO_GUEST_NOT_READY), 1);
	assert_int_equal(vs_vsp_rx_flush(t->vsp), 0);
	assert_int_equal(t->f.n_pkts, 0);
	assert_int_equal(rx_one(t, frame, sizeof(frame), 0, 0, 0), -ENOBUFS);
	assert_int_equal(drop_count(t, VS_VSP_DROP_TO_GUEST_NOT_READY), 2);
}

/* Revoked buffer: completions for transfers in flight are unknown now. */
static void completion_after_revoke_is_unknown(void **state)
{
	struct tctx *t = *state;
	uint8_t frame[64] = {0};
	static const uint8_t revoke[6] = {0x67, 0, 0, 0, 0xfe, 0xca};
	uint64_t id;

	assert_int_equal(rx_one(t, frame, sizeof(frame), 0, 0, 0), 0);
	assert_int_equal(vs_vsp_rx_flush(t->vsp), 0);
	id = get64(sent(t, 0, NULL) + 8);
	assert_int_equal(send_inband(t, 0, false, revoke, sizeof(revoke)), 0);
	assert_int_equal(guest_complete(t, id, 1), 0);
	assert_int_equal(err_count(t, VS_VSP_ERR_XFER_COMP_UNKNOWN), 1);
}

/* The largest frame a 1806-byte sub-allocation holds is 1550 bytes (at +256). */
static void too_big_and_malformed_frames_refused(void **state)
{
	struct tctx *t = *state;
	uint8_t frame[1600] = {0};
	struct vs_vsp_seg segs[2] = {{frame, 10}, {NULL, 4}};
	struct vs_vsp_rx_frame f = {.segs = segs, .n_segs = 2};

	assert_int_equal(rx_one(t, frame, 1550, 0, 0, 0), 0);
	assert_int_equal(rx_one(t, frame, 1551, 0, 0, 0), -EMSGSIZE);
	assert_int_equal(drop_count(t, VS_VSP_DROP_TO_GUEST_TOO_BIG), 1);
	assert_int_equal(rx_one(t, frame, 13, 0, 0, 0), -EINVAL);
	assert_int_equal(vs_vsp_rx_add(t->vsp, &f), -EINVAL);
	f.n_segs = 0;
	assert_int_equal(vs_vsp_rx_add(t->vsp, &f), -EINVAL);
	assert_int_equal(drop_count(t, VS_VSP_DROP_TO_GUEST_BAD_FRAME), 3);
}

/* Data never takes the reserved control sub-allocations; -ENOBUFS when all data ones are out. */
static void no_free_suballocation(void **state)
{
	struct tctx *t = *state;
	struct vs_vsp_config cfg = {.link_up = true};
	uint8_t frame[1000] = {0}; /* two do not share a sub-allocation */
	unsigned int i;
	uint8_t q[28] = {0x04, 0, 0, 0, 0x1c, 0, 0, 0, 0x01, 0, 0, 0, 0x06, 0x01, 0x01, 0x00, 0, 0, 0,
		0, 0x14, 0, 0, 0};

	tctx_teardown(t);
	tctx_setup_cfg(t, &cfg, 40 * SUB_1500); /* 16 reserved, 24 data */
	full_bringup(t);
	for (i = 0; i < 24; i++)
		assert_int_equal(rx_one(t, frame, sizeof(frame), 0, 0, 0), 0);
	assert_int_equal(rx_one(t, frame, sizeof(frame), 0, 0, 0), -ENOBUFS);
	assert_int_equal(drop_count(t, VS_VSP_DROP_TO_GUEST_NO_BUFFER), 1);
	/* control answers still flow */
	vsp_fake_clear(&t->f);
	assert_int_equal(send_rndis_ctl(t, 9, q, sizeof(q)), 0);
	assert_int_equal(t->f.n_pkts, 2);
	assert_int_equal(get32(sent(t, 0, NULL) + 28) / SUB_1500 < 16, 1);
}

/* Free data sub-allocations queue up: packed (small) frames take the oldest-freed one, so one the
 * guest just completed goes behind every other free one, and the queue wraps; a frame that fills
 * most of a sub-allocation takes the most recently freed one (rxbuf.c). */
static uint64_t send_one(struct tctx *t, const uint8_t *frame, uint32_t len)
{
	vsp_fake_clear(&t->f);
	assert_int_equal(rx_one(t, frame, len, 0, 0, 0), 0);
	assert_int_equal(vs_vsp_rx_flush(t->vsp), 0); /* one sub-allocation per batch */
	return get64(sent(t, 0, NULL) + 8);
}

static void freed_suballocation_queue(void **state)
{
	struct tctx *t = *state;
	struct vs_vsp_config cfg = {.link_up = true};
	uint8_t frame[1000] = {0}; /* 100 bytes: packed; 1000: fills a sub-allocation */
	uint64_t id;
	unsigned int i, round;

	tctx_teardown(t);
	tctx_setup_cfg(t, &cfg, 40 * SUB_1500); /* 16 reserved, 24 data: 16..39 */
	full_bringup(t);
	for (round = 0; round < 3; round++) {
		for (i = 0; i < 24; i++) {
			/* round 0 takes 16..39 in order; each later round starts where the guest's
			 * completions left the queue: 16 was completed first, so it comes first */
			id = send_one(t, frame, 100);
			assert_int_equal(id, 16 + i);
			assert_int_equal(guest_complete(t, id, 1), 0);
		}
	}
	/* completions out of order: each goes to the back as it comes */
	assert_int_equal(send_one(t, frame, 100), 16);
	assert_int_equal(send_one(t, frame, 100), 17);
	assert_int_equal(guest_complete(t, 17, 1), 0);
	assert_int_equal(guest_complete(t, 16, 1), 0);
	for (i = 0; i < 22; i++)
		assert_int_equal(send_one(t, frame, 100), 18 + i);
	assert_int_equal(send_one(t, frame, 100), 17);
	assert_int_equal(send_one(t, frame, 100), 16);
	assert_int_equal(rx_one(t, frame, 100, 0, 0, 0), -ENOBUFS);
	/* a whole-sub-allocation frame takes the most recently completed one */
	for (i = 16; i < 40; i++)
		assert_int_equal(guest_complete(t, i, 1), 0); /* queue 16..39, 39 last */
	assert_int_equal(send_one(t, frame, sizeof(frame)), 39);
	assert_int_equal(guest_complete(t, 39, 1), 0);
	assert_int_equal(send_one(t, frame, sizeof(frame)), 39);
	assert_int_equal(send_one(t, frame, sizeof(frame)), 38);
	assert_int_equal(send_one(t, frame, 100), 16); /* the head did not move */
}

/* Ring full on flush: the batch is dropped and counted, its sub-allocations come back. */
static void ring_full_drops_batch(void **state)
{
	struct tctx *t = *state;
	uint8_t frame[64] = {0};
	struct vs_vsp_info info;

	assert_int_equal(rx_one(t, frame, sizeof(frame), 0, 0, 0), 0);
	assert_int_equal(rx_one(t, frame, sizeof(frame), 0, 0, 0), 0);
	t->f.send_ret = -EAGAIN;
	assert_int_equal(vs_vsp_rx_flush(t->vsp), -EAGAIN);
	assert_int_equal(drop_count(t, VS_VSP_DROP_TO_GUEST_RING_FULL), 2);
	vs_vsp_info_get(t->vsp, &info);
	assert_int_equal(info.rx_free, 9289);
	t->f.send_ret = 0;
	assert_int_equal(vs_vsp_rx_flush(t->vsp), 0);
	assert_int_equal(t->f.n_pkts, 0);
}

/* Jumbo: with NDIS MTU 9014 a 9014-byte frame fits (sub-allocation 9306, facts 8). */
static void jumbo_frame_fits_jumbo_suballocation(void **state)
{
	struct tctx *t = *state;
	static uint8_t frame[9014];
	struct vs_vsp_config cfg = {.link_up = true};

	tctx_teardown(t);
	tctx_setup_cfg(t, &cfg, RECV_SIZE);
	nvsp_bringup(t, 0x60001, 9014);
	rndis_init(t);
	rndis_filter(t, 0x0d);
	frame[9013] = 0x5a;
	assert_int_equal(rx_one(t, frame, sizeof(frame), 0, 0, 0), 0);
	assert_int_equal(vs_vsp_rx_flush(t->vsp), 0);
	assert_int_equal(get32(sent(t, 0, NULL) + 24), 44 + 9014);
	assert_int_equal(get32(sent(t, 0, NULL) + 28), LAST_DATA_OFF(9306));
	assert_int_equal(t->rxbuf[LAST_DATA_OFF(9306) + 44 + 9013], 0x5a);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(frame_written_as_rndis_packet_with_ppis),
		T(frame_without_metadata_has_no_ppi),
		T(frames_batched_in_one_xfer),
		T(small_frames_packed),
		T(large_frame_sent_as_rsc_fragments),
		T(full_batch_sent_automatically),
		T(completion_frees_once_duplicate_counted),
		T(forged_completions_counted),
		T(packet_filter_zero_refuses),
		T(not_ready_refuses),
		T(completion_after_revoke_is_unknown),
		T(too_big_and_malformed_frames_refused),
		T(no_free_suballocation),
		T(freed_suballocation_queue),
		T(ring_full_drops_batch),
		T(jumbo_frame_fits_jumbo_suballocation),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
