/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RNDIS from the guest: data packets from send-buffer sections, GPA_DIRECT ranges and the mixed
 * case (facts 6.3), per-packet info (7.6), control messages (7.2-7.5), and one test per RNDIS
 * validation rule (facts 9 item 6).
 */
#include "vsp_test_util.h"
#include "internal.h"

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

/* RNDIS PACKET laid out from facts 7.2: type 1 @0, msg_len @4, data_offset @8 and data_len @12
 * (offsets relative to byte 8), OOB fields @16-@27 zero, ppi_offset @28, ppi_len @32,
 * vc_handle @36, reserved @40; PPIs from @44 (ppi_offset 36), then the frame, then 'pad'. */
static uint32_t mk_packet(uint8_t *b, const uint8_t *ppi, uint32_t ppi_len, const uint8_t *frame,
	uint32_t flen, uint32_t pad)
{
	uint32_t len = 44 + ppi_len + flen + pad;

	memset(b, 0, len);
	put32(b, 1);
	put32(b + 4, len);
	put32(b + 8, 36 + ppi_len);
	put32(b + 12, flen);
	if (ppi_len) {
		put32(b + 28, 36);
		put32(b + 32, ppi_len);
		memcpy(b + 44, ppi, ppi_len);
	}
	memcpy(b + 44 + ppi_len, frame, flen);
	return len;
}

/* PPI element (facts 7.6): size @0, type @4, data offset @8 = 12, u32 data @12. */
static uint32_t mk_ppi(uint8_t *p, uint32_t type, uint32_t value)
{
	put32(p, 16);
	put32(p + 4, type);
	put32(p + 8, 12);
	put32(p + 12, value);
	return 16;
}

/* An Ethernet frame: dst, src, ethertype, then a byte pattern. */
static void mk_frame(uint8_t *f, uint32_t len, uint16_t ethertype, uint8_t seed)
{
	uint32_t i;

	for (i = 0; i < len; i++)
		f[i] = (uint8_t)(seed + i * 7);
	f[12] = (uint8_t)(ethertype >> 8);
	f[13] = (uint8_t)ethertype;
}

/* Put 'len' bytes into send section 'idx' and announce them: INBAND {107, data, idx, len}. */
static int send_section(struct tctx *t, uint64_t trans, uint32_t idx, const uint8_t *data,
	uint32_t len)
{
	uint8_t nvsp[40];

	memcpy(t->txbuf + (size_t)idx * 6144, data, len);
	nvsp_rndis(nvsp, 0, idx, len);
	return send_inband(t, trans, true, nvsp, 40);
}

/* Status of the COMP for 'trans': the last packet sent, or the first when a control answer
 * follows it (the answer goes after the COMP of its request). */
static uint32_t comp_status(struct tctx *t, uint64_t trans)
{
	const uint8_t *p;

	assert_true(t->f.n_pkts >= 1);
	p = sent(t, t->f.n_pkts - 1, NULL);
	if (p[0] != 0x0b)
		p = sent(t, 0, NULL);
	assert_int_equal(p[0], 0x0b);
	assert_int_equal(get64(p + 8), trans);
	assert_int_equal(get32(p + 16), 108);
	return get32(p + 20);
}

/* One packet in section 0; returns the COMP status. */
static uint32_t send_one(struct tctx *t, const uint8_t *ppi, uint32_t ppi_len, const uint8_t *frame,
	uint32_t flen)
{
	uint8_t *b = malloc(6144);
	uint32_t len, st;

	assert_true(44 + ppi_len + flen <= 6144);
	len = mk_packet(b, ppi, ppi_len, frame, flen, 0);
	vsp_fake_clear(&t->f);
	assert_int_equal(send_section(t, 0x77, 0, b, len), 0);
	st = comp_status(t, 0x77);
	free(b);
	return st;
}

/* ---- data ---------------------------------------------------------------------------------- */

/* Three batched packets in one section, each padded to 8 with the padding in msg_len (the last
 * one unpadded, as Linux does), one COMP {108, 1}. */
static void section_batch_of_three_delivered(void **state)
{
	struct tctx *t = *state;
	uint8_t sec[6144], f1[60], f2[101], f3[1514];
	uint32_t len = 0;

	mk_frame(f1, sizeof(f1), 0x0800, 1);
	mk_frame(f2, sizeof(f2), 0x86dd, 2);
	mk_frame(f3, sizeof(f3), 0x0806, 3);
	len += mk_packet(sec + len, NULL, 0, f1, sizeof(f1), 0); /* 104: aligned */
	len += mk_packet(sec + len, NULL, 0, f2, sizeof(f2), 3); /* 145 + 3 */
	len += mk_packet(sec + len, NULL, 0, f3, sizeof(f3), 0);
	assert_int_equal(len, 104 + 148 + 1558);
	assert_int_equal(send_section(t, 0x51, 7, sec, len), 0);
	assert_int_equal(t->f.n_pkts, 1);
	assert_int_equal(comp_status(t, 0x51), 1);
	assert_int_equal(t->f.n_frames, 3);
	assert_int_equal(t->f.frames[0].meta.len, 60);
	assert_memory_equal(t->f.frames[0].data, f1, 60);
	assert_int_equal(t->f.frames[1].meta.len, 101);
	assert_memory_equal(t->f.frames[1].data, f2, 101);
	assert_int_equal(t->f.frames[2].meta.len, 1514);
	assert_memory_equal(t->f.frames[2].data, f3, 1514);
	assert_int_equal(t->f.frames[2].meta.flags, 0);
	assert_int_equal(vs_vsp_stats(t->vsp)->cnt[VS_VSP_CNT_FROM_GUEST_PACKETS], 3);
	assert_int_equal(vs_vsp_stats(t->vsp)->cnt[VS_VSP_CNT_FROM_GUEST_BYTES], 60 + 101 + 1514);
	assert_int_equal(total_errors(t), 0);
}

/* GPA_DIRECT: range 0 = RNDIS header + checksum PPI (60 bytes) starting 20 bytes before the end
 * of a page, so the header is split across two PFNs (OpenVMM #1590); range 1 = the frame in
 * another page. */
static void gpa_header_straddling_page_boundary(void **state)
{
	struct tctx *t = *state;
	uint8_t hdr[60 + 1000], ppi[16], frame[1000], nvsp[40];
	struct trange r[2];

	mk_frame(frame, sizeof(frame), 0x0800, 9);
	/* checksum PPI: IPv4 | TCP, L4 header at 34 */
	mk_ppi(ppi, 0, 0x1u | 0x4u | (34u << 16));
	mk_packet(hdr, ppi, sizeof(ppi), frame, sizeof(frame), 0);
	ram_put(t, 3, 4096 - 20, hdr, 60);
	ram_put(t, 6, 0x80, frame, sizeof(frame));
	r[0] = range_of(3, 4096 - 20, 60);
	r[1] = range_of(6, 0x80, sizeof(frame));
	assert_int_equal(r[0].n_pfns, 2);
	nvsp_rndis(nvsp, 0, 0xffffffffu, 0);
	assert_int_equal(send_gpa(t, 0x52, nvsp, 40, r, 2), 0);
	assert_int_equal(comp_status(t, 0x52), 1);
	assert_int_equal(t->f.n_frames, 1);
	assert_int_equal(t->f.frames[0].meta.len, 1000);
	assert_memory_equal(t->f.frames[0].data, frame, 1000);
	assert_int_equal(t->f.frames[0].meta.flags, VS_VSP_TXF_IPV4 | VS_VSP_TXF_TCP_CSUM);
	assert_int_equal(t->f.frames[0].meta.l4_offset, 34);
	assert_int_equal(t->f.frames[0].meta.n_segs, 1);
	assert_int_equal(vs_vsp_stats(t->vsp)->cnt[VS_VSP_CNT_FROM_GUEST_CSUM], 1);
}

/* A frame spread over page fragments arrives as several segments (no copy by the core). */
static void gpa_frame_in_fragments(void **state)
{
	struct tctx *t = *state;
	uint8_t hdr[44 + 1400], frame[1400], nvsp[40];
	struct trange r[3];

	mk_frame(frame, sizeof(frame), 0x0800, 4);
	mk_packet(hdr, NULL, 0, frame, sizeof(frame), 0);
	/* header in page 1, frame split: 1000 bytes at page 8 + 3596 (crossing into page 9), then
	 * 400 bytes at page 12 */
	ram_put(t, 1, 0, hdr, 44);
	ram_put(t, 8, 3596, frame, 1000);
	ram_put(t, 12, 0, frame + 1000, 400);
	r[0] = range_of(1, 0, 44);
	r[1] = range_of(8, 3596, 1000);
	r[2] = range_of(12, 0, 400);
	nvsp_rndis(nvsp, 0, 0xffffffffu, 0);
	assert_int_equal(send_gpa(t, 0x53, nvsp, 40, r, 3), 0);
	assert_int_equal(comp_status(t, 0x53), 1);
	assert_int_equal(t->f.n_frames, 1);
	assert_memory_equal(t->f.frames[0].data, frame, sizeof(frame));
	/* pages 8-9 are adjacent in our fake RAM and merge; page 12 does not */
	assert_int_equal(t->f.frames[0].meta.n_segs, 2);
}

/* Mixed (facts 6.3 "partial copy"): a full packet and the next packet's RNDIS header in the
 * section, that packet's frame in a GPA range; one byte stream. */
static void mixed_section_then_gpa(void **state)
{
	struct tctx *t = *state;
	uint8_t sec[6144], f1[200], f2[1500], nvsp[40];
	uint8_t hdr2[44 + 1500];
	uint32_t len;
	struct trange r;

	mk_frame(f1, sizeof(f1), 0x0800, 5);
	mk_frame(f2, sizeof(f2), 0x0800, 6);
	len = mk_packet(sec, NULL, 0, f1, sizeof(f1), 4); /* 244 + 4 */
	mk_packet(hdr2, NULL, 0, f2, sizeof(f2), 0);
	memcpy(sec + len, hdr2, 44);
	memcpy(t->txbuf + 3 * 6144, sec, len + 44);
	ram_put(t, 10, 0x10, f2, sizeof(f2));
	r = range_of(10, 0x10, sizeof(f2));
	nvsp_rndis(nvsp, 0, 3, len + 44);
	assert_int_equal(send_gpa(t, 0x54, nvsp, 40, &r, 1), 0);
	assert_int_equal(comp_status(t, 0x54), 1);
	assert_int_equal(t->f.n_frames, 2);
	assert_memory_equal(t->f.frames[0].data, f1, sizeof(f1));
	assert_int_equal(t->f.frames[1].meta.len, 1500);
	assert_memory_equal(t->f.frames[1].data, f2, sizeof(f2));
	assert_int_equal(t->f.frames[1].meta.n_segs, 1);
}

/* A bad packet in the middle of a batch: the others are delivered once, one COMP with status 2
 * (OpenVMM #2141: never complete a transaction twice). */
static void batch_with_bad_middle_packet(void **state)
{
	struct tctx *t = *state;
	uint8_t sec[6144], f[100];
	uint32_t len = 0, mid;

	mk_frame(f, sizeof(f), 0x0800, 1);
	len += mk_packet(sec + len, NULL, 0, f, sizeof(f), 0);
	mid = len;
	len += mk_packet(sec + len, NULL, 0, f, sizeof(f), 0);
	put32(sec + mid + 36, 1); /* vc_handle */
	len += mk_packet(sec + len, NULL, 0, f, sizeof(f), 0);
	assert_int_equal(send_section(t, 0x55, 0, sec, len), 0);
	assert_int_equal(t->f.n_pkts, 1);
	assert_int_equal(comp_status(t, 0x55), 2);
	assert_int_equal(t->f.n_delivered, 2);
	assert_int_equal(err_count(t, VS_VSP_ERR_PKT_OOB), 1);
}

static void deliver_failure_is_a_drop_not_an_error(void **state)
{
	struct tctx *t = *state;
	uint8_t f[64];

	mk_frame(f, sizeof(f), 0x0800, 1);
	t->f.deliver_ret = -ENOBUFS;
	assert_int_equal(send_one(t, NULL, 0, f, sizeof(f)), 1);
	assert_int_equal(drop_count(t, VS_VSP_DROP_FROM_GUEST_DELIVER), 1);
	assert_int_equal(total_errors(t), 0);
}

/* Data before RNDIS INITIALIZE and after HALT is dropped and failed (facts 9 item 5). */
static void data_before_rndis_init_and_after_halt_dropped(void **state)
{
	struct tctx *t = *state;
	uint8_t f[64];
	static const uint8_t halt[12] = {0x03, 0, 0, 0, 0x0c, 0, 0, 0, 0x09, 0, 0, 0};

	mk_frame(f, sizeof(f), 0x0800, 1);
	vs_vsp_reset(t->vsp);
	nvsp_bringup(t, 0x60001, 1514);
	assert_int_equal(send_one(t, NULL, 0, f, sizeof(f)), 2);
	assert_int_equal(err_count(t, VS_VSP_ERR_RNDIS_NOT_INIT), 1);
	assert_int_equal(t->f.n_delivered, 0);

	rndis_init(t);
	assert_int_equal(send_one(t, NULL, 0, f, sizeof(f)), 1);
	vsp_fake_clear(&t->f);
	/* HALT: no reply at all, only the COMP */
	assert_int_equal(send_rndis_ctl(t, 0x60, halt, sizeof(halt)), 0);
	assert_int_equal(t->f.n_pkts, 1);
	assert_int_equal(comp_status(t, 0x60), 1);
	assert_int_equal(send_one(t, NULL, 0, f, sizeof(f)), 2);
	assert_int_equal(err_count(t, VS_VSP_ERR_RNDIS_NOT_INIT), 2);
	assert_int_equal(t->f.n_delivered, 1);
}

/* msg_len >= 8 and <= bytes available; leftover bytes shorter than a header. */
static void rndis_msg_len_bounds(void **state)
{
	struct tctx *t = *state;
	uint8_t sec[256], f[64];
	uint32_t len;

	mk_frame(f, sizeof(f), 0x0800, 1);
	len = mk_packet(sec, NULL, 0, f, sizeof(f), 0);
	put32(sec + 4, 4); /* msg_len < 8 */
	vsp_fake_clear(&t->f);
	assert_int_equal(send_section(t, 1, 0, sec, len), 0);
	assert_int_equal(comp_status(t, 1), 2);
	assert_int_equal(err_count(t, VS_VSP_ERR_RNDIS_MSG_LEN), 1);
	put32(sec + 4, len + 1); /* one byte more than the section holds */
	vsp_fake_clear(&t->f);
	assert_int_equal(send_section(t, 2, 0, sec, len), 0);
	assert_int_equal(comp_status(t, 2), 2);
	assert_int_equal(err_count(t, VS_VSP_ERR_RNDIS_MSG_LEN), 2);
	put32(sec + 4, len);
	vsp_fake_clear(&t->f);
	assert_int_equal(send_section(t, 3, 0, sec, len + 7), 0); /* 7 trailing bytes */
	assert_int_equal(comp_status(t, 3), 2);
	assert_int_equal(err_count(t, VS_VSP_ERR_RNDIS_MSG_LEN), 3);
	assert_int_equal(t->f.n_delivered, 1);
	/* a PACKET shorter than its 44-byte header */
	put32(sec + 4, 40);
	vsp_fake_clear(&t->f);
	assert_int_equal(send_section(t, 4, 0, sec, 40), 0);
	assert_int_equal(comp_status(t, 4), 2);
	assert_int_equal(err_count(t, VS_VSP_ERR_RNDIS_MSG_LEN), 4);
}

/* data_offset + data_len <= msg_len - 8 (boundary accepted, one more refused, overflow refused);
 * data must not start inside the header. */
static void rndis_data_offsets(void **state)
{
	struct tctx *t = *state;
	uint8_t sec[256], f[64];
	uint32_t len;

	mk_frame(f, sizeof(f), 0x0800, 1);
	len = mk_packet(sec, NULL, 0, f, sizeof(f), 0); /* 44 + 64: data ends at msg_len exactly */
	vsp_fake_clear(&t->f);
	assert_int_equal(send_section(t, 1, 0, sec, len), 0);
	assert_int_equal(comp_status(t, 1), 1);
	put32(sec + 12, 65);
	vsp_fake_clear(&t->f);
	assert_int_equal(send_section(t, 2, 0, sec, len), 0);
	assert_int_equal(comp_status(t, 2), 2);
	assert_int_equal(err_count(t, VS_VSP_ERR_PKT_OFFSETS), 1);
	put32(sec + 8, 0xfffffff0u); /* offset + length wraps 32 bits */
	put32(sec + 12, 0x20);
	vsp_fake_clear(&t->f);
	assert_int_equal(send_section(t, 3, 0, sec, len), 0);
	assert_int_equal(err_count(t, VS_VSP_ERR_PKT_OFFSETS), 2);
	put32(sec + 8, 35); /* inside the header */
	put32(sec + 12, 14);
	vsp_fake_clear(&t->f);
	assert_int_equal(send_section(t, 4, 0, sec, len), 0);
	assert_int_equal(err_count(t, VS_VSP_ERR_PKT_OFFSETS), 3);
	assert_int_equal(t->f.n_delivered, 1);
}

/* OOB offset, length, count and vc_handle must be zero. */
static void rndis_oob_and_vc_handle_must_be_zero(void **state)
{
	struct tctx *t = *state;
	uint8_t sec[256], f[64];
	static const uint32_t fields[] = {16, 20, 24, 36};
	unsigned int i;
	uint32_t len;

	mk_frame(f, sizeof(f), 0x0800, 1);
	for (i = 0; i < 4; i++) {
		len = mk_packet(sec, NULL, 0, f, sizeof(f), 0);
		put32(sec + fields[i], 1);
		vsp_fake_clear(&t->f);
		assert_int_equal(send_section(t, i, 0, sec, len), 0);
		assert_int_equal(comp_status(t, i), 2);
		assert_int_equal(err_count(t, VS_VSP_ERR_PKT_OOB), i + 1);
	}
	assert_int_equal(t->f.n_delivered, 0);
}

/* PPI walk: every malformed element refused (size < 12, offset < 12, offset > size, size past
 * the list, list past the message); unknown and internal types skipped. */
static void ppi_malformed_refused(void **state)
{
	struct tctx *t = *state;
	uint8_t f[64], ppi[32];
	static const struct {
		uint32_t size, off;
	} bad[] = {{0, 12}, {11, 12}, {16, 11}, {16, 17}, {17, 12}};
	unsigned int i;

	mk_frame(f, sizeof(f), 0x0800, 1);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		mk_ppi(ppi, 6, 5 << 4);
		put32(ppi, bad[i].size);
		put32(ppi + 8, bad[i].off);
		assert_int_equal(send_one(t, ppi, 16, f, sizeof(f)), 2);
		assert_int_equal(err_count(t, VS_VSP_ERR_PPI_MALFORMED), i + 1);
	}
	/* a list of 8 bytes cannot hold an element */
	assert_int_equal(send_one(t, ppi, 8, f, sizeof(f)), 2);
	assert_int_equal(err_count(t, VS_VSP_ERR_PPI_MALFORMED), 6);
	/* known type with < 4 data bytes */
	mk_ppi(ppi, 6, 0);
	put32(ppi, 14);
	assert_int_equal(send_one(t, ppi, 16, f, sizeof(f)), 2);
	assert_int_equal(err_count(t, VS_VSP_ERR_PPI_MALFORMED), 7);
	assert_int_equal(t->f.n_delivered, 0);
}

static void ppi_list_outside_message_refused(void **state)
{
	struct tctx *t = *state;
	uint8_t sec[256], ppi[16], f[64];
	uint32_t len;

	mk_frame(f, sizeof(f), 0x0800, 1);
	mk_ppi(ppi, 6, 0);
	len = mk_packet(sec, ppi, 16, f, sizeof(f), 0);
	put32(sec + 32, len); /* ppi_len past msg_len */
	vsp_fake_clear(&t->f);
	assert_int_equal(send_section(t, 1, 0, sec, len), 0);
	assert_int_equal(comp_status(t, 1), 2);
	put32(sec + 32, 16);
	put32(sec + 28, 35); /* ppi_offset inside the header */
	vsp_fake_clear(&t->f);
	assert_int_equal(send_section(t, 2, 0, sec, len), 0);
	assert_int_equal(comp_status(t, 2), 2);
	assert_int_equal(err_count(t, VS_VSP_ERR_PPI_MALFORMED), 2);
}

static void ppi_unknown_and_internal_skipped_vlan_and_hash_parsed(void **state)
{
	struct tctx *t = *state;
	uint8_t f[64], ppi[4 * 16 + 8];
	uint32_t n = 0;

	mk_frame(f, sizeof(f), 0x0800, 1);
	n += mk_ppi(ppi + n, 0x55, 0xffffffffu);	    /* unknown */
	n += mk_ppi(ppi + n, 0x80000001u, 0x07000001u); /* internal pkt-info */
	/* 802.1Q: priority 5, VLAN 100 */
	n += mk_ppi(ppi + n, 6, 5u | (100u << 4));
	/* a 24-byte hash element with data at offset 20 */
	put32(ppi + n, 24);
	put32(ppi + n + 4, 8);
	put32(ppi + n + 8, 20);
	put32(ppi + n + 20, 0xabcdef01u);
	n += 24;
	assert_int_equal(send_one(t, ppi, n, f, sizeof(f)), 1);
	assert_int_equal(t->f.n_frames, 1);
	assert_int_equal(t->f.frames[0].meta.flags, VS_VSP_TXF_VLAN | VS_VSP_TXF_HASH);
	assert_int_equal(t->f.frames[0].meta.vlan_tci, (5 << 13) | 100);
	assert_int_equal(t->f.frames[0].meta.hash, 0xabcdef01u);
	assert_int_equal(total_errors(t), 0);
}

/* Checksum requests: L4 offset >= 14 + 20 (IPv4) / 14 + 40 (IPv6), L4 header inside the frame,
 * one IP version. */
static void csum_offsets_validated(void **state)
{
	struct tctx *t = *state;
	uint8_t f[100], ppi[16];
	static const struct {
		uint32_t v;
		uint32_t st;
	} cases[] = {
		{0x1u | 0x4u | (34u << 16), 1}, /* IPv4 TCP at 34: ok (34 + 20 <= 100) */
		{0x1u | 0x4u | (33u << 16), 2}, /* inside the IPv4 header */
		{0x1u | 0x4u | (81u << 16), 2}, /* TCP header past the frame end */
		{0x1u | 0x8u | (92u << 16), 1}, /* UDP: 8 bytes fit exactly */
		{0x1u | 0x8u | (93u << 16), 2},
		{0x2u | 0x4u | (53u << 16), 2}, /* inside the IPv6 header */
		{0x2u | 0x4u | (54u << 16), 1},
		{0x1u | 0x2u | 0x4u | (54u << 16), 2}, /* both IP versions */
		{0x4u | (54u << 16), 2},	       /* TCP without IP version */
		{0x1u | 0x4u | 0x8u | (54u << 16), 2}, /* TCP and UDP */
		{0x2u | 0x10u, 2},		       /* IP header checksum on IPv6 */
		{0, 1},				       /* nothing asked */
	};
	unsigned int i, bad = 0;

	mk_frame(f, sizeof(f), 0x0800, 1);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		mk_ppi(ppi, 0, cases[i].v);
		assert_int_equal(send_one(t, ppi, 16, f, sizeof(f)), cases[i].st);
		bad += cases[i].st == 2;
		assert_int_equal(err_count(t, VS_VSP_ERR_CSUM_INVALID), bad);
	}
}

/* The frame of lso_validated at guest page 1: Ethernet (IPv4), IPv4 header {0x45, protocol 6,
 * no fragment}, TCP data offset 5, then payload bytes; 'mod' breaks one header field. */
static void lso_frame(struct tctx *t, uint32_t flen, unsigned int mod)
{
	uint8_t *f = t->f.ram + 4096;

	memset(f, 0x45, 17 * 4096);
	memset(f, 0, 54);
	f[12] = 0x08;
	f[14] = 0x45;
	f[14 + 9] = mod == 1 ? 17 : 6; /* 1: UDP */
	f[34 + 12] = mod == 2 ? 0x40 : 0x50; /* 2: TCP data offset 4 */
	if (mod == 3)
		f[12] = 0x86, f[13] = 0xdd; /* 3: the frame says IPv6 */
	if (mod == 4)
		f[14 + 6] = 0x20; /* 4: more fragments */
	(void)flen;
}

/* LSOv2 (facts 7.6, 9 item 6): MSS != 0 and segments within the MTU, TCP offset >= 34 and the
 * header inside the frame, v2 type bit, up to the advertised 62,780 bytes of IP packet, headers
 * that agree with the request; each refusal counted under its own reason. */
static void lso_validated(void **state)
{
	struct tctx *t = *state;
	uint8_t *hdr = malloc(44 + 16 + 65536 + 14), nvsp[40], ppi[16];
	static const struct {
		uint32_t v, flen;
		unsigned int mod;
		enum vs_vsp_err e;
	} cases[] = {
		{0x40000000u | (34u << 20) | 1448, 20000, 0, VS_VSP_ERR_NONE},
		{0x40000000u | (34u << 20) | 0, 20000, 0, VS_VSP_ERR_LSO_MSS},	    /* MSS 0 */
		{0x40000000u | (34u << 20) | 1460, 20000, 0, VS_VSP_ERR_NONE},    /* 1500-40 */
		{0x40000000u | (34u << 20) | 1461, 20000, 0, VS_VSP_ERR_LSO_MSS}, /* > MTU */
		{0x40000000u | (20u << 20) | 1448, 20000, 0, VS_VSP_ERR_LSO_INVALID}, /* in IPv4 */
		{0x40000000u | (1000u << 20) | 1448, 1010, 0, VS_VSP_ERR_LSO_INVALID}, /* past end */
		{(34u << 20) | 1448, 20000, 0, VS_VSP_ERR_LSO_INVALID},		      /* LSOv1 */
		{0x40000000u | (34u << 20) | 1448, 62794, 0, VS_VSP_ERR_NONE}, /* 62,780 + 14 */
		{0x40000000u | (34u << 20) | 1448, 62795, 0, VS_VSP_ERR_LSO_SIZE},
		{0x40000000u | (34u << 20) | 1448, 65551, 0, VS_VSP_ERR_FRAME_LEN}, /* > 64 KiB */
		{0x40000000u | (38u << 20) | 1448, 20000, 0, VS_VSP_ERR_LSO_HEADERS}, /* != IHL */
		{0x40000000u | (34u << 20) | 1448, 20000, 1, VS_VSP_ERR_LSO_HEADERS}, /* UDP */
		{0x40000000u | (34u << 20) | 1448, 20000, 2, VS_VSP_ERR_LSO_HEADERS}, /* doff 4 */
		{0x40000000u | (34u << 20) | 1448, 20000, 3, VS_VSP_ERR_LSO_HEADERS}, /* IPv6 */
		{0x40000000u | (34u << 20) | 1448, 20000, 4, VS_VSP_ERR_LSO_HEADERS}, /* fragment */
		{0xc0000000u | (54u << 20) | 1448, 20000, 0, VS_VSP_ERR_LSO_HEADERS}, /* v6 PPI */
		{0x40000000u | (34u << 20) | 1448, 54, 0, VS_VSP_ERR_LSO_HEADERS}, /* no payload */
	};
	uint64_t want[VS_VSP_ERR_COUNT] = {0};
	unsigned int i, j, good = 0;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t len;
		struct trange r[2];

		mk_ppi(ppi, 2, cases[i].v);
		memset(hdr, 0, 44 + 16);
		len = mk_packet(hdr, ppi, 16, hdr + 60, 0, 0); /* header only */
		put32(hdr + 4, len + cases[i].flen);
		put32(hdr + 12, cases[i].flen);
		ram_put(t, 0, 0, hdr, len);
		lso_frame(t, cases[i].flen, cases[i].mod);
		r[0] = range_of(0, 0, len);
		r[1] = range_of(1, 0, cases[i].flen);
		nvsp_rndis(nvsp, 0, 0xffffffffu, 0);
		vsp_fake_clear(&t->f);
		assert_int_equal(send_gpa(t, 0x90 + i, nvsp, 40, r, 2), 0);
		assert_int_equal(comp_status(t, 0x90 + i), cases[i].e ? 2 : 1);
		if (cases[i].e == VS_VSP_ERR_NONE) {
			good++;
			assert_int_equal(t->f.n_frames, 1);
			assert_int_equal(t->f.frames[0].meta.flags, VS_VSP_TXF_LSO | VS_VSP_TXF_IPV4);
			assert_int_equal(t->f.frames[0].meta.mss, cases[i].v & 0xfffffu);
			assert_int_equal(t->f.frames[0].meta.l4_offset, 34);
		} else {
			assert_int_equal(t->f.n_frames, 0);
		}
		want[cases[i].e]++;
		for (j = 1; j < VS_VSP_ERR_COUNT; j++)
			assert_int_equal(err_count(t, (enum vs_vsp_err)j), want[j]);
	}
	assert_int_equal(vs_vsp_stats(t->vsp)->cnt[VS_VSP_CNT_FROM_GUEST_LSO], good);
	free(hdr);
}

/* Frame length: >= 14, <= MTU + 14, + 4 with an 802.1Q tag in the frame. */
static void frame_length_bounds(void **state)
{
	struct tctx *t = *state;
	uint8_t f[1600];

	mk_frame(f, sizeof(f), 0x0800, 1);
	assert_int_equal(send_one(t, NULL, 0, f, 1514), 1);
	assert_int_equal(send_one(t, NULL, 0, f, 1515), 2);
	assert_int_equal(send_one(t, NULL, 0, f, 13), 2);
	assert_int_equal(send_one(t, NULL, 0, f, 14), 1);
	mk_frame(f, sizeof(f), 0x8100, 1);
	assert_int_equal(send_one(t, NULL, 0, f, 1518), 1);
	assert_int_equal(send_one(t, NULL, 0, f, 1519), 2);
	assert_int_equal(err_count(t, VS_VSP_ERR_FRAME_LEN), 3);
	/* a zero-length frame */
	assert_int_equal(send_one(t, NULL, 0, f, 0), 2);
	assert_int_equal(err_count(t, VS_VSP_ERR_FRAME_LEN), 4);
}

/* ---- control ------------------------------------------------------------------------------- */

/* Send one control message; return the answer (in the receive buffer) and complete it. The COMP
 * of the request comes first, then the answer: DPDK's PMD would take a later COMP for the answer
 * to its next NVSP request (reference/dpdk-netvsc-guest.md §6.3). */
static const uint8_t *ctl(struct tctx *t, const uint8_t *msg, uint32_t len, uint32_t *alen)
{
	const uint8_t *p;
	uint64_t x;

	vsp_fake_clear(&t->f);
	assert_int_equal(send_rndis_ctl(t, 0x99, msg, len), 0);
	if (t->f.n_pkts < 2) {
		*alen = 0;
		return NULL;
	}
	p = sent(t, 0, NULL);
	assert_int_equal(p[0], 11);
	assert_int_equal(get64(p + 8), 0x99);
	p = sent(t, 1, NULL);
	assert_int_equal(p[0], 7);
	x = get64(p + 8);
	*alen = get32(p + 24);
	assert_int_equal(guest_complete(t, x, 1), 0);
	return t->rxbuf + get32(p + 28);
}

/* QUERY header (facts 7.2): oid @12, info_buflen @16, info_buf_offset @20 (20 = right after the
 * 28-byte header), vc_handle @24. */
static uint32_t mk_query(uint8_t *m, uint32_t type, uint32_t req, uint32_t oid, uint32_t buflen,
	uint32_t bufoff)
{
	memset(m, 0, 28 + buflen);
	put32(m, type);
	put32(m + 4, 28 + buflen);
	put32(m + 8, req);
	put32(m + 12, oid);
	put32(m + 16, buflen);
	put32(m + 20, bufoff);
	return 28 + buflen;
}

static void oid_input_buffer_bounds(void **state)
{
	struct tctx *t = *state;
	uint8_t m[64];
	uint32_t alen, len;
	const uint8_t *a;

	len = mk_query(m, 4, 21, 0x00010106, 4, 20);
	put32(m + 16, 5); /* one byte past the message */
	a = ctl(t, m, len, &alen);
	assert_int_equal(alen, 24);
	assert_int_equal(get32(a + 8), 21);
	assert_int_equal(get32(a + 12), 0xc0010015u);
	assert_int_equal(err_count(t, VS_VSP_ERR_OID_BUFFER), 1);
	len = mk_query(m, 5, 22, 0x0001010e, 4, 16); /* overlaps the header */
	a = ctl(t, m, len, &alen);
	assert_int_equal(alen, 16);
	assert_int_equal(get32(a), 0x80000005u);
	assert_int_equal(get32(a + 12), 0xc0010015u);
	assert_int_equal(err_count(t, VS_VSP_ERR_OID_BUFFER), 2);
	len = mk_query(m, 5, 23, 0x0001010e, 4, 0xfffffff8u); /* offset wraps */
	a = ctl(t, m, len, &alen);
	assert_int_equal(err_count(t, VS_VSP_ERR_OID_BUFFER), 3);
	/* with the buffer right, the same SET works */
	len = mk_query(m, 5, 24, 0x0001010e, 4, 20);
	put32(m + 28, 0x20);
	a = ctl(t, m, len, &alen);
	assert_int_equal(get32(a + 12), 0);
}

static void control_message_too_big_or_short(void **state)
{
	struct tctx *t = *state;
	uint8_t *m = calloc(1, 5000);
	uint32_t alen;
	const uint8_t *a;

	mk_query(m, 4, 31, 0x00010106, 0, 20);
	put32(m + 4, 5000);
	a = ctl(t, m, 5000, &alen);
	assert_int_equal(err_count(t, VS_VSP_ERR_CTL_TOO_BIG), 1);
	assert_int_equal(get32(a + 8), 31);
	assert_int_equal(get32(a + 12), 0xc0010015u);
	/* a 16-byte QUERY: has a request id, lacks the OID fields */
	put32(m + 4, 16);
	a = ctl(t, m, 16, &alen);
	assert_int_equal(err_count(t, VS_VSP_ERR_CTL_SHORT), 1);
	assert_int_equal(get32(a + 12), 0xc0010015u);
	/* an 8-byte message has no request id: counted, not answered */
	put32(m + 4, 8);
	a = ctl(t, m, 8, &alen);
	assert_null(a);
	assert_int_equal(err_count(t, VS_VSP_ERR_CTL_SHORT), 2);
	free(m);
}

static uint32_t mk_rss(uint8_t *m, uint16_t flags, uint16_t tab_bytes, uint32_t tab_off,
	uint16_t key_size, uint32_t key_off, uint32_t total)
{
	uint32_t len = mk_query(m, 5, 41, 0x00010204, total, 20);
	uint8_t *o = m + 28;

	o[0] = 0x89;
	o[1] = 2;
	put16(o + 2, 40);
	put16(o + 4, flags);
	put32(o + 8, 0x1701);
	put16(o + 12, tab_bytes);
	put32(o + 16, tab_off);
	put16(o + 20, key_size);
	put32(o + 24, key_off);
	return len;
}

static void rss_parameters_validated(void **state)
{
	struct tctx *t = *state;
	uint8_t m[28 + 40 + 512 + 40 + 64];
	static const struct {
		uint16_t tab;
		uint32_t toff;
		uint16_t key;
		uint32_t koff;
		uint32_t total;
		uint32_t entry0;
		uint32_t status;
	} cases[] = {
		{512, 40, 40, 552, 592, 0, 0},		 /* Linux's shape */
		{16, 40, 40, 56, 96, 0, 0},		 /* small table ok */
		{512, 40, 39, 552, 592, 0, 0xc0010015u}, /* key size 39 */
		{0, 40, 40, 552, 592, 0, 0xc0010015u},	 /* empty table */
		{6, 40, 40, 552, 592, 0, 0xc0010015u},	 /* not whole entries */
		{1024, 40, 40, 1064, 1104, 0, 0xc0010015u}, /* more entries than we keep */
		{512, 40, 40, 553, 592, 0, 0xc0010015u}, /* key past the buffer */
		{512, 81, 40, 0, 592, 0, 0xc0010015u},	 /* key inside the header */
		{512, 100, 40, 552, 592, 0, 0xc0010015u}, /* table past the buffer */
		{512, 40, 40, 552, 592, 1, 0xc0010015u}, /* channel 1 of 1 */
		{32, 36, 40, 552, 592, 0, 0xc0010015u},	 /* table inside the header */
	};
	unsigned int i, bad = 0;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t alen, len;
		const uint8_t *a;

		if (cases[i].total > sizeof(m) - 28)
			continue;
		len = mk_rss(m, 0, cases[i].tab, cases[i].toff, cases[i].key, cases[i].koff,
			cases[i].total);
		if (cases[i].toff + 4 <= cases[i].total)
			put32(m + 28 + cases[i].toff, cases[i].entry0);
		a = ctl(t, m, len, &alen);
		assert_int_equal(alen, 16);
		assert_int_equal(get32(a + 12), cases[i].status);
		bad += cases[i].status != 0;
		assert_int_equal(err_count(t, VS_VSP_ERR_RSS_INVALID), bad);
	}
}

/* RSS table 1024 bytes: checked with a bigger message. */
static void rss_table_larger_than_kept_refused(void **state)
{
	struct tctx *t = *state;
	uint8_t *m = calloc(1, 28 + 1104);
	uint32_t alen, len = mk_rss(m, 0, 1024, 40, 40, 1064, 1104);
	const uint8_t *a = ctl(t, m, len, &alen);

	assert_int_equal(get32(a + 12), 0xc0010015u);
	assert_int_equal(err_count(t, VS_VSP_ERR_RSS_INVALID), 1);
	free(m);
}

static void unknown_oids_not_supported(void **state)
{
	struct tctx *t = *state;
	uint8_t m[128];
	uint32_t alen, len;
	const uint8_t *a;

	/* SET RNDIS_CONFIG_PARAMETER (NetworkAddress) */
	len = mk_query(m, 5, 51, 0x0001021b, 72, 20);
	a = ctl(t, m, len, &alen);
	assert_int_equal(get32(a + 12), 0xc00000bbu);
	/* SET and QUERY of an OID we do not know */
	len = mk_query(m, 5, 52, 0x00010101, 4, 20);
	a = ctl(t, m, len, &alen);
	assert_int_equal(get32(a + 12), 0xc00000bbu);
	len = mk_query(m, 4, 53, 0xff0000ffu, 0, 20);
	a = ctl(t, m, len, &alen);
	assert_int_equal(alen, 24);
	assert_int_equal(get32(a + 12), 0xc00000bbu);
	assert_int_equal(get32(a + 16), 0);
	assert_int_equal(vs_vsp_stats(t->vsp)->cnt[VS_VSP_CNT_OID_UNSUPPORTED], 3);
}

static void offload_parameters_and_filter_need_their_input(void **state)
{
	struct tctx *t = *state;
	uint8_t m[64];
	uint32_t alen, len;
	const uint8_t *a;

	len = mk_query(m, 5, 61, 0xfc01020c, 4, 20); /* shorter than 22 bytes */
	m[28] = 0x80;
	a = ctl(t, m, len, &alen);
	assert_int_equal(get32(a + 12), 0xc0010015u);
	len = mk_query(m, 5, 62, 0xfc01020c, 22, 20); /* NVSP <= 4 size: ok */
	m[28] = 0x80;
	m[28 + 1] = 2;
	m[28 + 5] = 4;
	a = ctl(t, m, len, &alen);
	assert_int_equal(get32(a + 12), 0);
	len = mk_query(m, 5, 63, 0x0001010e, 2, 20); /* filter needs 4 bytes */
	a = ctl(t, m, len, &alen);
	assert_int_equal(get32(a + 12), 0xc0010015u);
	assert_int_equal(err_count(t, VS_VSP_ERR_OID_INVALID), 2);
}

/* The answered hardware-capabilities object follows the revision the guest asks for. */
static void hw_caps_revision_follows_request(void **state)
{
	struct tctx *t = *state;
	uint8_t m[28 + 156];
	uint32_t alen, len;
	const uint8_t *a;

	len = mk_query(m, 4, 71, 0xfc01020d, 144, 20);
	m[28] = 0xa7;
	m[29] = 2;
	put16(m + 30, 144);
	a = ctl(t, m, len, &alen);
	assert_int_equal(alen, 24 + 144);
	assert_int_equal(get32(a + 16), 144);
	assert_int_equal(a[24], 0xa7);
	assert_int_equal(a[25], 2);
	assert_int_equal(a[26] | a[27] << 8, 144);
	/* no input: by NVSP version (6.1 -> revision 3) */
	len = mk_query(m, 4, 72, 0xfc01020d, 0, 20);
	a = ctl(t, m, len, &alen);
	assert_int_equal(alen, 24 + 156);
	assert_int_equal(a[25], 3);
}

/* NDIS_OFFLOAD_PARAMETERS byte vectors (facts 7.4) applied to the VS_VSP_EN_* state. */
static void offload_parameters_parsed(void **state)
{
	/* Linux 6.1 with every offload offered: {0x80, 3, 28}, ip_v4_csum 1, checksums 4, LSO 2,
	 * RSC 2 */
	static const uint8_t linux_all[28] = {0x80, 0x03, 0x1c, 0x00, 0x01, 0x04, 0x04, 0x04, 0x04,
		0, 0, 0x02, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0};
	/* LRO toggled off: only the RSC fields, 1 = off */
	static const uint8_t rsc_off[28] = {0x80, 0x03, 0x1c, 0x00, [22] = 0x01, [23] = 0x01};
	/* NVSP <= 4: 22 bytes, TCP checksums TX only (2) / RX only (3), LSO v4 on */
	static const uint8_t v4_22[22] = {0x80, 0x03, 0x16, 0x00, 0x01, 0x02, 0, 0x03, 0, 0, 0,
		0x02, 0};
	uint8_t bad[28];
	uint32_t st = 0;

	assert_int_equal(vs_rndis_offload_params_apply(linux_all, 28, VS_VSP_OL_ALL, &st), 0);
	assert_int_equal(st, 0xfff);
	assert_int_equal(vs_rndis_offload_params_apply(rsc_off, 28, VS_VSP_OL_ALL, &st), 0);
	assert_int_equal(st, 0x3ff); /* everything but RSC kept */
	st = 0;
	assert_int_equal(vs_rndis_offload_params_apply(v4_22, 22, VS_VSP_OL_ALL, &st), 0);
	assert_int_equal(st, VS_VSP_EN_TX_TCP4 | VS_VSP_EN_RX_TCP6 | VS_VSP_EN_LSO4);
	/* what we did not advertise is not enabled, whatever the guest asks */
	st = 0;
	assert_int_equal(vs_rndis_offload_params_apply(linux_all, 28, VS_VSP_OL_CSUM, &st), 0);
	assert_int_equal(st, 0xff);
	st = 0;
	assert_int_equal(vs_rndis_offload_params_apply(linux_all, 28, 0, &st), 0);
	assert_int_equal(st, 0);
	/* refused, state unchanged: short, wrong type, a value out of its field's range */
	st = 0x123;
	assert_int_equal(vs_rndis_offload_params_apply(linux_all, 21, VS_VSP_OL_ALL, &st),
		VS_VSP_ERR_OID_INVALID);
	memcpy(bad, linux_all, 28);
	bad[0] = 0xa7;
	assert_int_equal(vs_rndis_offload_params_apply(bad, 28, VS_VSP_OL_ALL, &st),
		VS_VSP_ERR_OID_INVALID);
	memcpy(bad, linux_all, 28);
	bad[5] = 5; /* checksum values end at 4 */
	assert_int_equal(vs_rndis_offload_params_apply(bad, 28, VS_VSP_OL_ALL, &st),
		VS_VSP_ERR_OID_INVALID);
	memcpy(bad, linux_all, 28);
	bad[12] = 3; /* LSO: 0, 1, 2 */
	assert_int_equal(vs_rndis_offload_params_apply(bad, 28, VS_VSP_OL_ALL, &st),
		VS_VSP_ERR_OID_INVALID);
	memcpy(bad, linux_all, 28);
	bad[23] = 3; /* RSC: 0, 1, 2 */
	assert_int_equal(vs_rndis_offload_params_apply(bad, 28, VS_VSP_OL_ALL, &st),
		VS_VSP_ERR_OID_INVALID);
	assert_int_equal(st, 0x123);
}

/* Send a QUERY of the revision-3 hardware capabilities; return the 156-byte object. */
static const uint8_t *hw_caps(struct tctx *t, uint8_t *m)
{
	uint32_t alen, len = mk_query(m, 4, 90, 0xfc01020d, 156, 20);
	const uint8_t *a;

	m[28] = 0xa7;
	m[29] = 3;
	put16(m + 30, 156);
	a = ctl(t, m, len, &alen);
	assert_int_equal(alen, 24 + 156);
	assert_int_equal(get32(a + 12), 0);
	return a + 24;
}

/* The operator forbids offloads per port (vs_vsp_config.offloads_off): they disappear from the
 * capabilities, a guest that enables them anyway does not get them, and frames that ask for
 * them are refused and counted. RSC needs NVSP 6.1. */
static void forbidden_offloads_not_advertised(void **state)
{
	struct tctx *t = *state;
	struct vs_vsp_config cfg = {.link_up = true};
	static const uint8_t zero[156];
	uint8_t m[28 + 156], f[100], ppi[16];
	struct vs_vsp_info info;
	const uint8_t *o;

	/* LSO and RSC off: checksum fields only */
	tctx_teardown(t);
	memcpy(cfg.mac, test_mac, 6);
	cfg.offloads_off = VS_VSP_OL_LSO | VS_VSP_OL_RSC;
	tctx_setup_cfg(t, &cfg, RECV_SIZE);
	full_bringup(t);
	o = hw_caps(t, m);
	assert_int_equal(get32(o + 8), 0x54);
	assert_int_equal(get32(o + 24), 0x55);
	assert_memory_equal(o + 80, zero, 28); /* LSOv2 */
	assert_int_equal(o[144] | o[145], 0);  /* RSC */
	vs_vsp_info_get(t->vsp, &info);
	assert_int_equal(info.offloads_advertised, VS_VSP_OL_CSUM);
	assert_int_equal(info.offloads, 0xff); /* full_bringup asked for all */
	/* an LSO frame is refused as not enabled */
	mk_frame(f, sizeof(f), 0x0800, 1);
	mk_ppi(ppi, 2, 0x40000000u | (34u << 20) | 1448);
	assert_int_equal(send_one(t, ppi, 16, f, sizeof(f)), 2);
	assert_int_equal(err_count(t, VS_VSP_ERR_OFFLOAD_NOT_ENABLED), 1);

	/* everything off: all capability fields zero, even the checksum ones */
	tctx_teardown(t);
	cfg.offloads_off = VS_VSP_OL_ALL;
	tctx_setup_cfg(t, &cfg, RECV_SIZE);
	full_bringup(t);
	o = hw_caps(t, m);
	assert_memory_equal(o + 4, zero, 152);
	mk_ppi(ppi, 0, 0x1u | 0x4u | (34u << 16));
	assert_int_equal(send_one(t, ppi, 16, f, sizeof(f)), 2);
	assert_int_equal(err_count(t, VS_VSP_ERR_OFFLOAD_NOT_ENABLED), 1);

	/* NVSP 5: checksum and LSO, no RSC; CSUM forbidden takes LSO with it */
	tctx_teardown(t);
	cfg.offloads_off = 0;
	tctx_setup_cfg(t, &cfg, RECV_SIZE);
	nvsp_bringup(t, 0x50000, 1514);
	rndis_init(t);
	o = hw_caps(t, m);
	assert_int_equal(get32(o + 84), 62780);
	assert_int_equal(get32(o + 88), 2);
	assert_int_equal(o[144] | o[145], 0);
	tctx_teardown(t);
	cfg.offloads_off = VS_VSP_OL_CSUM;
	tctx_setup_cfg(t, &cfg, RECV_SIZE);
	full_bringup(t);
	o = hw_caps(t, m);
	assert_memory_equal(o + 4, zero, 140);
	assert_int_equal(o[144], 1);
}

static void keepalive_reset_and_unknown_messages(void **state)
{
	struct tctx *t = *state;
	static const uint8_t keep[12] = {0x08, 0, 0, 0, 0x0c, 0, 0, 0, 0x42, 0, 0, 0};
	static const uint8_t keep_c[16] = {0x08, 0, 0, 0x80, 0x10, 0, 0, 0, 0x42, 0, 0, 0, 0, 0, 0,
		0};
	static const uint8_t reset[12] = {0x06, 0, 0, 0, 0x0c, 0, 0, 0, 0, 0, 0, 0};
	static const uint8_t reset_c[16] = {0x06, 0, 0, 0x80, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
	static const uint8_t indicate[20] = {0x07, 0, 0, 0, 0x14, 0, 0, 0};
	uint32_t alen;
	const uint8_t *a;

	a = ctl(t, keep, sizeof(keep), &alen);
	assert_int_equal(alen, 16);
	assert_memory_equal(a, keep_c, 16);
	a = ctl(t, reset, sizeof(reset), &alen);
	assert_int_equal(alen, 16);
	assert_memory_equal(a, reset_c, 16);
	a = ctl(t, indicate, sizeof(indicate), &alen);
	assert_null(a);
	assert_int_equal(comp_status(t, 0x99), 2);
	assert_int_equal(err_count(t, VS_VSP_ERR_RNDIS_UNKNOWN_MSG), 1);
}

static void query_before_rndis_init_fails(void **state)
{
	struct tctx *t = *state;
	uint8_t m[28];
	uint32_t alen, len;
	const uint8_t *a;

	vs_vsp_reset(t->vsp);
	nvsp_bringup(t, 0x60001, 1514);
	len = mk_query(m, 4, 81, 0x01010101, 0, 20);
	a = ctl(t, m, len, &alen);
	assert_int_equal(get32(a + 12), 0xc0000001u);
	assert_int_equal(err_count(t, VS_VSP_ERR_RNDIS_NOT_INIT), 1);
}

/* Link changes become INDICATE_STATUS MEDIA_DISCONNECT / MEDIA_CONNECT (facts 7.7). */
static void link_change_indicates_status(void **state)
{
	struct tctx *t = *state;
	static const uint8_t down[20] = {0x07, 0, 0, 0, 0x14, 0, 0, 0, 0x0c, 0x00, 0x01, 0x40};
	static const uint8_t up[20] = {0x07, 0, 0, 0, 0x14, 0, 0, 0, 0x0b, 0x00, 0x01, 0x40};
	uint8_t m[28];
	uint32_t alen;
	const uint8_t *a;

	vsp_fake_clear(&t->f);
	assert_int_equal(vs_vsp_link_set(t->vsp, true), 0); /* no change */
	assert_int_equal(t->f.n_pkts, 0);
	assert_int_equal(vs_vsp_link_set(t->vsp, false), 0);
	assert_int_equal(t->f.n_pkts, 1);
	expect_ctl_xfer(t, 0, down, sizeof(down));
	complete_all(t);
	a = ctl(t, m, mk_query(m, 4, 91, 0x00010114, 0, 20), &alen);
	assert_int_equal(get32(a + 24), 1);
	vsp_fake_clear(&t->f);
	assert_int_equal(vs_vsp_link_set(t->vsp, true), 0);
	expect_ctl_xfer(t, 0, up, sizeof(up));
}

/* Control answers queue (bounded) when the guest does not complete earlier ones. */
static void control_answer_queue_is_bounded(void **state)
{
	struct tctx *t = *state;
	struct vs_vsp_config cfg = {.link_up = true};
	uint8_t m[28];
	unsigned int i, xfers = 0;

	/* a receive buffer of 4 sub-allocations: 2 reserved + 2 data */
	tctx_teardown(t);
	tctx_setup_cfg(t, &cfg, 4 * SUB_1500);
	full_bringup(t);
	mk_query(m, 4, 1, 0x00010106, 0, 20);
	for (i = 0; i < 4 + 8; i++) {
		vsp_fake_clear(&t->f);
		assert_int_equal(send_rndis_ctl(t, 100 + i, m, sizeof(m)), 0);
		assert_int_equal(comp_status(t, 100 + i), 1);
		xfers += t->f.n_pkts - 1;
	}
	assert_int_equal(xfers, 4);
	assert_int_equal(vs_vsp_stats(t->vsp)->cnt[VS_VSP_CNT_CTL_QUEUED], 8);
	vsp_fake_clear(&t->f);
	assert_int_equal(send_rndis_ctl(t, 200, m, sizeof(m)), 0);
	assert_int_equal(comp_status(t, 200), 2);
	assert_int_equal(err_count(t, VS_VSP_ERR_CTL_QUEUE_FULL), 1);
	/* no receive room for frames either */
	{
		uint8_t f[64] = {0};
		struct vs_vsp_seg seg = {f, sizeof(f)};
		struct vs_vsp_rx_frame rf = {.segs = &seg, .n_segs = 1};

		assert_int_equal(vs_vsp_rx_add(t->vsp, &rf), -ENOBUFS);
	}
}

/* Queued answers flow as the guest completes: each completion frees a sub-allocation and the
 * next handle_packet sends up to its budget. */
static void queued_answers_flushed_on_completion(void **state)
{
	struct tctx *t = *state;
	struct vs_vsp_config cfg = {.link_up = true};
	uint8_t m[28];
	uint64_t ids[4];
	unsigned int i, n = 0;

	tctx_teardown(t);
	tctx_setup_cfg(t, &cfg, 4 * SUB_1500);
	full_bringup(t);
	mk_query(m, 4, 1, 0x00010106, 0, 20);
	for (i = 0; i < 6; i++)
		assert_int_equal(send_rndis_ctl(t, 100 + i, m, sizeof(m)), 0);
	for (i = 0; i < t->f.n_pkts; i++)
		if (t->f.pkts[i][0] == 7 && n < 4)
			ids[n++] = get64(t->f.pkts[i] + 8);
	assert_int_equal(n, 4);
	vsp_fake_clear(&t->f);
	assert_int_equal(guest_complete(t, ids[0], 1), 0);
	assert_int_equal(t->f.n_pkts, 1); /* one queued answer goes into the freed space */
	assert_int_equal(t->f.pkts[0][0], 7);
	assert_int_equal(guest_complete(t, ids[1], 1), 0);
	assert_int_equal(t->f.n_pkts, 2);
	assert_int_equal(total_errors(t), 0);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(section_batch_of_three_delivered),
		T(gpa_header_straddling_page_boundary),
		T(gpa_frame_in_fragments),
		T(mixed_section_then_gpa),
		T(batch_with_bad_middle_packet),
		T(deliver_failure_is_a_drop_not_an_error),
		T(data_before_rndis_init_and_after_halt_dropped),
		T(rndis_msg_len_bounds),
		T(rndis_data_offsets),
		T(rndis_oob_and_vc_handle_must_be_zero),
		T(ppi_malformed_refused),
		T(ppi_list_outside_message_refused),
		T(ppi_unknown_and_internal_skipped_vlan_and_hash_parsed),
		T(csum_offsets_validated),
		T(lso_validated),
		T(frame_length_bounds),
		T(oid_input_buffer_bounds),
		T(control_message_too_big_or_short),
		T(rss_parameters_validated),
		T(rss_table_larger_than_kept_refused),
		T(unknown_oids_not_supported),
		T(offload_parameters_and_filter_need_their_input),
		T(hw_caps_revision_follows_request),
		T(offload_parameters_parsed),
		T(forbidden_offloads_not_advertised),
		T(keepalive_reset_and_unknown_messages),
		T(query_before_rndis_init_fails),
		T(link_change_indicates_status),
		T(control_answer_queue_is_bounded),
		T(queued_answers_flushed_on_completion),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
