/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: RNDIS messages (control and PACKET with per-packet info) fed straight to the
 * RNDIS stream walker of a vs_vsp whose NVSP side is set up, plus the pure PACKET/PPI parsers on
 * the raw bytes. The stream is cut into up to three separately allocated pieces at points the
 * input chooses, as guest pages would cut it (headers across page boundaries, facts 6.3).
 *
 * Input: byte 0 flags (bit 0: RNDIS initialized first, bit 1: filter open, bit 2: every offload
 * enabled with TCP_OFFLOAD_PARAMETERS, so LSO/checksum PPIs reach the header checks), bytes 1-2
 * and 3-4 cut points (u16 LE), then the RNDIS bytes.
 */
#include "internal.h"
#include "vsp_fake.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RECV_SIZE (64u * 1806u)
#define SEND_SIZE (16u * 6144u)

static void inband(struct vs_vsp *vsp, uint64_t trans, const uint8_t *msg, size_t len)
{
	uint8_t pkt[56] = {6, 0, 2, 0, 7, 0, 1, 0};

	memcpy(pkt + 8, &trans, 8);
	memcpy(pkt + 16, msg, len);
	vs_vsp_handle_packet(vsp, 0, pkt, sizeof(pkt));
}

static void section_ctl(struct vs_vsp *vsp, uint8_t *txbuf, const uint8_t *msg, uint32_t len)
{
	uint8_t nvsp[16] = {107, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0};

	memcpy(txbuf, msg, len);
	memcpy(nvsp + 12, &len, 4);
	inband(vsp, 0x77, nvsp, sizeof(nvsp));
}

static void bringup(struct vs_vsp *vsp, uint8_t *txbuf, uint8_t flags)
{
	uint8_t init[12] = {1, 0, 0, 0, 1, 0, 6, 0, 1, 0, 6, 0};
	uint8_t rbuf[10] = {101, 0, 0, 0, 0x00, 0x01, 0, 0, 0xfe, 0xca};
	uint8_t sbuf[10] = {104, 0, 0, 0, 0x01, 0x01, 0, 0, 0, 0};
	uint8_t rinit[24] = {2, 0, 0, 0, 24, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0x40};
	uint8_t filter[32] = {5, 0, 0, 0, 32, 0, 0, 0, 2, 0, 0, 0, 0x0e, 0x01, 0x01, 0, 4, 0, 0, 0,
		20, 0, 0, 0, 0, 0, 0, 0, 0x0d};
	/* SET TCP_OFFLOAD_PARAMETERS {0x80, 3, 28}: checksums 4, LSOv2 2, RSC 2 (facts 7.4) */
	uint8_t offl[56] = {5, 0, 0, 0, 56, 0, 0, 0, 3, 0, 0, 0, 0x0c, 0x02, 0x01, 0xfc, 28, 0, 0, 0,
		20, 0, 0, 0, 0, 0, 0, 0, 0x80, 3, 28, 0, 1, 4, 4, 4, 4, 0, 0, 2, 2, [50] = 2, [51] = 2};

	inband(vsp, 1, init, sizeof(init));
	inband(vsp, 2, rbuf, sizeof(rbuf));
	inband(vsp, 3, sbuf, sizeof(sbuf));
	if (flags & 1)
		section_ctl(vsp, txbuf, rinit, sizeof(rinit));
	if (flags & 4)
		section_ctl(vsp, txbuf, offl, sizeof(offl));
	if (flags & 2)
		section_ctl(vsp, txbuf, filter, sizeof(filter));
}

/* The pure parsers on the raw bytes, as if they were one message. */
static void parse_raw(const uint8_t *data, size_t size)
{
	struct vs_vsp_frame meta = {0};
	struct vs_rndis_pkt_hdr ph;
	uint32_t len = size > UINT32_MAX ? UINT32_MAX : (uint32_t)size;

	if (len >= sizeof(struct rndis_packet) &&
		vs_rndis_pkt_parse(data, len, &ph) == VS_VSP_ERR_NONE && ph.ppi_len) {
		/* parse said the list lies inside the message */
		if (vs_rndis_ppi_parse(data + ph.ppi_off, ph.ppi_len, &meta) == VS_VSP_ERR_NONE)
			vs_rndis_meta_check(&meta, ph.data_len, 1514, data[0] & 1);
	}
	memset(&meta, 0, sizeof(meta));
	if (vs_rndis_ppi_parse(data, len, &meta) == VS_VSP_ERR_NONE)
		vs_rndis_meta_check(&meta, len, 9230, false);
	/* the LSO header check on the raw bytes as a frame, with a request from its first bytes */
	if (len >= 4) {
		uint32_t st = 0, v;

		memset(&meta, 0, sizeof(meta));
		memcpy(&v, data, 4);
		meta.flags = VS_VSP_TXF_LSO | ((v & 1) ? VS_VSP_TXF_IPV6 : VS_VSP_TXF_IPV4);
		meta.l4_offset = (uint16_t)((v >> 1) & 0x3ff);
		meta.mss = v >> 11;
		vs_rndis_lso_check(&meta, data, len < VS_VSP_LSO_HDR_MAX ? len : VS_VSP_LSO_HDR_MAX,
			len, 9014);
		vs_rndis_offload_params_apply(data, len, VS_VSP_OL_ALL, &st);
	}
}


/* VSP_FUZZ_DEBUG=1: print the non-zero counters of each run (to check what a seed reaches). */
static void debug_stats(const struct vs_vsp *vsp)
{
	const struct vs_vsp_stats *st = vs_vsp_stats(vsp);
	int i;

	if (!getenv("VSP_FUZZ_DEBUG"))
		return;
	for (i = 0; i < VS_VSP_CNT_COUNT; i++)
		if (st->cnt[i])
			fprintf(stderr, " %s=%llu", vs_vsp_cnt_name(i), (unsigned long long)st->cnt[i]);
	for (i = 1; i < VS_VSP_ERR_COUNT; i++)
		if (st->err[i])
			fprintf(stderr, " ERR:%s=%llu", vs_vsp_err_name(i), (unsigned long long)st->err[i]);
	for (i = 0; i < VS_VSP_DROP_COUNT; i++)
		if (st->drop[i])
			fprintf(stderr, " DROP:%s=%llu", vs_vsp_drop_name(i),
				(unsigned long long)st->drop[i]);
	fprintf(stderr, "\n");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vs_vsp_config cfg = {.link_up = true, .rx_suballocs_max = 256};
	struct vs_stream s;
	uint8_t *pieces[3] = {NULL, NULL, NULL};
	struct vsp_fake f;
	struct vs_vsp *vsp = NULL;
	uint8_t *txbuf;
	size_t cut[4], n, i;

	if (size < 5 || size - 5 > 256 * 1024)
		return 0;
	n = size - 5;
	parse_raw(data + 5, n);
	if (vsp_fake_init(&f, 1) < 0)
		return 0;
	f.record = 0;
	if (!vsp_fake_gpadl_add(&f, 0x100, RECV_SIZE) ||
		!(txbuf = vsp_fake_gpadl_add(&f, 0x101, SEND_SIZE)))
		goto out;
	vsp = vs_vsp_create(&cfg, &vsp_fake_ops, &f);
	if (!vsp)
		goto out;
	bringup(vsp, txbuf, data[0]);

	/* cut the stream in up to three pieces, each its own allocation */
	cut[0] = 0;
	cut[1] = ((size_t)data[1] | (size_t)data[2] << 8) % (n + 1);
	cut[2] = ((size_t)data[3] | (size_t)data[4] << 8) % (n + 1);
	if (cut[2] < cut[1]) {
		size_t tmp = cut[1];

		cut[1] = cut[2];
		cut[2] = tmp;
	}
	cut[3] = n;
	vs_stream_init(&s);
	for (i = 0; i < 3; i++) {
		size_t len = cut[i + 1] - cut[i];

		if (!len)
			continue;
		pieces[i] = malloc(len);
		if (!pieces[i])
			goto out;
		memcpy(pieces[i], data + 5 + cut[i], len);
		vs_stream_add(&s, pieces[i], (uint32_t)len);
	}
	if (s.size)
		vs_rndis_input(vsp, &s);
	vs_vsp_rx_flush(vsp);
	debug_stats(vsp);
out:
	for (i = 0; i < 3; i++)
		free(pieces[i]);
	vs_vsp_destroy(vsp);
	vsp_fake_fini(&f);
	return 0;
}
