/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Subchannels and RSS in the core (facts 6.1 type 133, 7.5, 7.6, 10 steps 17-18): answers go out
 * on the channel the request came from, frames to the guest are batched per channel, the hash PPI,
 * RSS parameters checked against the channels granted, and the indirection lookup.
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

/* NVSP SUBCHANNEL {133, op 1 allocate, count} on channel 0. */
static void grant(struct tctx *t, uint32_t hook, uint32_t requested)
{
	uint8_t req[12] = {0x85, 0, 0, 0, 0x01, 0, 0, 0};

	put32(req + 8, requested);
	t->f.subchannels = hook;
	assert_int_equal(send_inband(t, 0x77, true, req, sizeof(req)), 0);
	vsp_fake_clear(&t->f);
}

/* An INBAND packet with completion requested, arriving on 'chan'. */
static int inband_on(struct tctx *t, uint32_t chan, uint64_t trans, const uint8_t *msg,
	size_t len)
{
	uint8_t pkt[16 + 40] = {0};

	put16(pkt, 6);
	put16(pkt + 2, 2);
	put16(pkt + 4, 7);
	put16(pkt + 6, 1);
	put64(pkt + 8, trans);
	memcpy(pkt + 16, msg, len);
	return vs_vsp_handle_packet(t->vsp, chan, pkt, sizeof(pkt));
}

static int rx_on(struct tctx *t, uint32_t chan, uint32_t len, uint32_t flags, uint32_t hash)
{
	static uint8_t frame[1514];
	struct vs_vsp_seg seg = {frame, len};
	struct vs_vsp_rx_frame f = {
		.segs = &seg, .n_segs = 1, .flags = flags, .hash = hash, .channel = chan};

	return vs_vsp_rx_add(t->vsp, &f);
}

/* The core caps the request at VS_VSP_MAX_CHANNELS - 1 before asking the hook. */
static void request_capped_at_max_channels(void **state)
{
	struct tctx *t = *state;
	struct vs_vsp_info info;

	grant(t, 100, 1000);
	vs_vsp_info_get(t->vsp, &info);
	assert_int_equal(info.n_channels, VS_VSP_MAX_CHANNELS);
}

/* A completion is sent on the channel whose ring the request came from. */
static void completion_on_arrival_channel(void **state)
{
	struct tctx *t = *state;
	static const uint8_t sw[8] = {0x81, 0, 0, 0, 0x00, 0, 0, 0}; /* SWITCH_DATA_PATH */

	grant(t, 3, 3);
	assert_int_equal(inband_on(t, 2, 9, sw, sizeof(sw)), 0);
	assert_int_equal(t->f.n_pkts, 1);
	assert_int_equal(t->f.last_chan, 2);
	assert_int_equal(t->f.n_sent_chan[2], 1);
	assert_int_equal(inband_on(t, 3, 10, sw, sizeof(sw)), 0);
	assert_int_equal(t->f.last_chan, 3);
	/* a channel number beyond what a vs_vsp serves is answered on the primary */
	assert_int_equal(inband_on(t, 1000, 11, sw, sizeof(sw)), 0);
	assert_int_equal(t->f.last_chan, 0);
}

/* Frames are batched per channel: one XFER_PAGES per channel at flush; a channel that was not
 * granted goes to the primary; counters per channel. */
static void frames_batched_per_channel(void **state)
{
	struct tctx *t = *state;
	const struct vs_vsp_stats *st = vs_vsp_stats(t->vsp);

	grant(t, 2, 3); /* channels 0..2 */
	assert_int_equal(rx_on(t, 1, 100, 0, 0), 0);
	assert_int_equal(rx_on(t, 2, 200, 0, 0), 0);
	assert_int_equal(rx_on(t, 1, 300, 0, 0), 0);
	assert_int_equal(rx_on(t, 0, 60, 0, 0), 0);
	assert_int_equal(rx_on(t, 3, 70, 0, 0), 0); /* not granted: primary */
	assert_int_equal(t->f.n_pkts, 0);
	assert_int_equal(vs_vsp_rx_flush(t->vsp), 0);
	assert_int_equal(t->f.n_pkts, 3);
	assert_int_equal(t->f.n_sent_chan[0], 1);
	assert_int_equal(t->f.n_sent_chan[1], 1);
	assert_int_equal(t->f.n_sent_chan[2], 1);
	assert_int_equal(t->f.n_sent_chan[3], 0);
	assert_int_equal(st->chan[0].to_guest_packets, 2);
	assert_int_equal(st->chan[0].to_guest_bytes, 130);
	assert_int_equal(st->chan[1].to_guest_packets, 2);
	assert_int_equal(st->chan[1].to_guest_bytes, 400);
	assert_int_equal(st->chan[2].to_guest_packets, 1);
	assert_int_equal(st->cnt[VS_VSP_CNT_TO_GUEST_PACKETS], 5);
	/* a full ring drops that channel's batch and counts it there */
	assert_int_equal(rx_on(t, 2, 100, 0, 0), 0);
	t->f.send_ret = -EAGAIN;
	assert_int_equal(vs_vsp_rx_flush(t->vsp), -EAGAIN);
	assert_int_equal(st->chan[2].ring_full, 1);
	assert_int_equal(st->chan[0].ring_full, 0);
}

/* The hash-value PPI (facts 7.6: type 8, size 16, offset 12, u32 hash) right after the header. */
static void hash_ppi_written(void **state)
{
	struct tctx *t = *state;
	static const uint8_t want[44 + 16] = {
		0x01, 0, 0, 0, 0x8c, 0, 0, 0,		/* PACKET, msg_len 44 + 16 + 80 */
		0x34, 0, 0, 0, 0x50, 0, 0, 0,		/* data_offset 52, data_len 80 */
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,	/* no OOB */
		0x24, 0, 0, 0, 0x10, 0, 0, 0,		/* ppi_offset 36, ppi_len 16 */
		0, 0, 0, 0, 0, 0, 0, 0,
		0x10, 0, 0, 0, 0x08, 0, 0, 0, 0x0c, 0, 0, 0, 0x78, 0x56, 0x34, 0x12,
	};

	assert_int_equal(rx_on(t, 0, 80, VS_VSP_RXF_HASH, 0x12345678u), 0);
	assert_int_equal(vs_vsp_rx_flush(t->vsp), 0);
	assert_memory_equal(t->rxbuf + FIRST_DATA_OFF, want, sizeof(want));
}

/* RNDIS SET RECEIVE_SCALE_PARAMETERS, Linux's/DPDK's 592-byte shape (facts 7.5): 40-byte header,
 * 128 u32 entries at 40, 40-byte key at 552. Returns the RNDIS status answered. */
static uint32_t set_rss(struct tctx *t, uint16_t flags, uint32_t hash_info,
	const uint32_t *table, uint32_t n, const uint8_t *key)
{
	static uint8_t m[28 + 40 + 512 + 40];
	uint8_t *o = m + 28;
	uint32_t i, info_len = 40 + 4 * n + 40;
	size_t len;
	const uint8_t *a;

	memset(m, 0, sizeof(m));
	put32(m, 5);			/* SET */
	put32(m + 4, 28 + info_len);	/* msg_len */
	put32(m + 8, 77);		/* request id */
	put32(m + 12, 0x00010204);	/* OID_GEN_RECEIVE_SCALE_PARAMETERS */
	put32(m + 16, info_len);
	put32(m + 20, 20);		/* info offset from byte 8 */
	o[0] = 0x89;
	o[1] = 2;
	put16(o + 2, 40);
	put16(o + 4, flags);
	put32(o + 8, hash_info);
	put16(o + 12, (uint16_t)(4 * n));
	put32(o + 16, 40);
	put16(o + 20, 40);
	put32(o + 24, 40 + 4 * n);
	for (i = 0; i < n; i++)
		put32(o + 40 + 4 * i, table[i]);
	memcpy(o + 40 + 4 * n, key, 40);
	vsp_fake_clear(&t->f);
	assert_int_equal(send_rndis_ctl(t, 5, m, 28 + info_len), 0);
	/* packet 0: COMP of the request, packet 1: XFER_PAGES with SET_C {0x80000005, 16, id,
	 * status} */
	a = sent(t, 1, &len);
	assert_non_null(a);
	a = t->rxbuf + get32(a + 28);
	assert_int_equal(get32(a), 0x80000005u);
	complete_all(t);
	return get32(a + 12);
}

static const uint8_t ms_key[40] = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f,
	0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30,
	0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

/* Entries are checked against the channels granted (not the ones open: vsp.h); the table and
 * key are kept and the lookup is hash modulo the table size. */
static void rss_table_against_granted_channels(void **state)
{
	struct tctx *t = *state;
	struct vs_vsp_rss rss;
	uint32_t table[128], i;

	for (i = 0; i < 128; i++)
		table[i] = i % 4;
	/* one channel: entry 3 is refused and RSS stays off */
	assert_int_equal(set_rss(t, 0, 0x1701, table, 128, ms_key), 0xc0010015u);
	assert_int_equal(err_count(t, VS_VSP_ERR_RSS_INVALID), 1);
	assert_false(vs_vsp_rss_get(t->vsp, &rss));
	grant(t, 3, 3);
	assert_int_equal(set_rss(t, 0, 0x1701, table, 128, ms_key), 0);
	assert_true(vs_vsp_rss_get(t->vsp, &rss));
	assert_int_equal(rss.hash_info, 0x1701);
	assert_int_equal(rss.n_table, 128);
	assert_memory_equal(rss.key, ms_key, 40);
	assert_int_equal(vs_vsp_rss_channel(t->vsp, 0), 0);
	assert_int_equal(vs_vsp_rss_channel(t->vsp, 7), 3);
	assert_int_equal(vs_vsp_rss_channel(t->vsp, 128 + 5), 1);
	assert_int_equal(vs_vsp_rss_channel(t->vsp, 0xffffffffu), 3);
	/* entry == channel count: refused, the previous state stays */
	table[127] = 4;
	assert_int_equal(set_rss(t, 0, 0x1701, table, 128, ms_key), 0xc0010015u);
	assert_int_equal(err_count(t, VS_VSP_ERR_RSS_INVALID), 2);
	assert_true(vs_vsp_rss_get(t->vsp, &rss));
	assert_int_equal(rss.table[127], 3);
	/* a 16-entry table */
	assert_int_equal(set_rss(t, 0, 0x1701, table, 16, ms_key), 0);
	assert_int_equal(vs_vsp_rss_channel(t->vsp, 17), 1);
	/* DISABLE (0x10): kept but off */
	assert_int_equal(set_rss(t, 0x10, 0x1701, table, 16, ms_key), 0);
	assert_false(vs_vsp_rss_get(t->vsp, &rss));
	assert_int_equal(vs_vsp_rss_channel(t->vsp, 7), 0);
}

/* A header whose size field is below 40 is refused. */
static void rss_header_size_checked(void **state)
{
	struct tctx *t = *state;
	static uint8_t m[28 + 40 + 64 + 40];
	uint8_t *o = m + 28;
	size_t len;
	const uint8_t *a;

	grant(t, 1, 1);
	put32(m, 5);
	put32(m + 4, sizeof(m));
	put32(m + 8, 78);
	put32(m + 12, 0x00010204);
	put32(m + 16, 40 + 64 + 40);
	put32(m + 20, 20);
	o[0] = 0x89;
	o[1] = 2;
	put16(o + 2, 39);
	put32(o + 8, 0x1701);
	put16(o + 12, 64);
	put32(o + 16, 40);
	put16(o + 20, 40);
	put32(o + 24, 104);
	vsp_fake_clear(&t->f);
	assert_int_equal(send_rndis_ctl(t, 5, m, sizeof(m)), 0);
	a = sent(t, 1, &len);
	a = t->rxbuf + get32(a + 28);
	assert_int_equal(get32(a + 12), 0xc0010015u);
	assert_int_equal(err_count(t, VS_VSP_ERR_RSS_INVALID), 1);
}

/* The capabilities advertise the configured queue count (facts 7.5: queues @12, 18 bytes). */
static void caps_advertise_configured_queues(void **state)
{
	struct tctx *t = *state;
	struct vs_vsp_config cfg = {.link_up = true, .rss_queues = 4};
	uint8_t q[28 + 18] = {0x04, 0, 0, 0, 28 + 18, 0, 0, 0, 0x03, 0, 0, 0};
	const uint8_t *a;
	size_t len;

	tctx_teardown(t);
	memset(t, 0, sizeof(*t));
	memcpy(cfg.mac, test_mac, 6);
	tctx_setup_cfg(t, &cfg, RECV_SIZE);
	full_bringup(t);
	put32(q + 12, 0x00010203);
	put32(q + 16, 18);
	put32(q + 20, 20);
	q[28] = 0x88;
	q[29] = 2;
	q[30] = 18;
	assert_int_equal(send_rndis_ctl(t, 6, q, sizeof(q)), 0);
	a = sent(t, 1, &len);
	a = t->rxbuf + get32(a + 28);
	assert_int_equal(get32(a), 0x80000004u);
	assert_int_equal(get32(a + 16), 18);
	assert_int_equal(get32(a + 20), 16); /* object at 8 + 16 */
	assert_int_equal(a[24], 0x88);
	assert_int_equal(get32(a + 24 + 12), 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(request_capped_at_max_channels),
		T(completion_on_arrival_channel),
		T(frames_batched_per_channel),
		T(hash_ppi_written),
		T(rss_table_against_granted_channels),
		T(rss_header_size_checked),
		T(caps_advertise_configured_queues),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
