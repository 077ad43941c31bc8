/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: a sequence of guest->host ring packets (and guest memory writes, host frames,
 * link changes) into one struct vs_vsp backed by fake guest memory. It must never crash, read
 * outside the fake buffers (ASan), loop forever, or send the guest a packet Linux would reject
 * (vsp_fake_check aborts).
 *
 * Input: byte 0 = setup (bit 0: NVSP + buffers done first, bit 1: RNDIS initialized and filter
 * open too), then records {u8 op, u16 len (LE), len bytes}:
 *   op % 8 == 0..2  a ring packet, copied to a buffer of exactly len bytes, arriving on channel
 *                   (op >> 3) & 3 (the fake grants up to 3 subchannels)
 *   op % 8 == 3     write bytes into guest RAM at the u16 offset in the first 2 bytes
 *   op % 8 == 4     write bytes into the send buffer at the u16 offset in the first 2 bytes
 *   op % 8 == 5     a frame to the guest (first byte = flags) for channel (op >> 4) & 3, flushed
 *                   when op & 8
 *   op % 8 == 6     complete the last XFER_PAGES we sent (status = first byte)
 *   op % 8 == 7     link toggle; GPADL teardown when op & 8; reset when op & 16
 */
#include "vsp.h"
#include "vsp_fake.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RAM_PAGES 16u
#define RECV_SIZE (64u * 1806u)
#define SEND_SIZE (16u * 6144u)

static uint32_t rd16(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void inband(struct vs_vsp *vsp, uint64_t trans, const uint8_t *msg, size_t len)
{
	uint8_t pkt[56] = {6, 0, 2, 0, 7, 0, 1, 0};

	memcpy(pkt + 8, &trans, 8);
	memcpy(pkt + 16, msg, len);
	vs_vsp_handle_packet(vsp, 0, pkt, sizeof(pkt));
}

/* RNDIS control message through send section 15 (the fuzzer can also reach GPA control). */
static void rndis_ctl(struct vs_vsp *vsp, uint8_t *txbuf, const uint8_t *msg, uint32_t len)
{
	uint8_t nvsp[16] = {107, 0, 0, 0, 1, 0, 0, 0, 15, 0, 0, 0};

	memcpy(txbuf + 15 * 6144, msg, len);
	put32(nvsp + 12, len);
	inband(vsp, 0x77, nvsp, sizeof(nvsp));
}

static void bringup(struct vs_vsp *vsp, struct vsp_fake *f, uint8_t *txbuf, bool rndis)
{
	uint8_t init[12] = {1, 0, 0, 0, 1, 0, 6, 0, 1, 0, 6, 0};
	uint8_t cfg[20] = {125, 0, 0, 0, 0xea, 0x05};
	uint8_t rbuf[10] = {101, 0, 0, 0, 0x00, 0x01, 0, 0, 0xfe, 0xca};
	uint8_t sbuf[10] = {104, 0, 0, 0, 0x01, 0x01, 0, 0, 0, 0};
	uint8_t rinit[24] = {2, 0, 0, 0, 24, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0x40};
	uint8_t filter[32] = {5, 0, 0, 0, 32, 0, 0, 0, 2, 0, 0, 0, 0x0e, 0x01, 0x01, 0, 4, 0, 0, 0,
		20, 0, 0, 0, 0, 0, 0, 0, 0x0d};
	uint8_t comp[56] = {0x0b, 0, 2, 0, 7, 0, 0, 0};

	inband(vsp, 1, init, sizeof(init));
	inband(vsp, 0, cfg, sizeof(cfg));
	inband(vsp, 2, rbuf, sizeof(rbuf));
	inband(vsp, 3, sbuf, sizeof(sbuf));
	if (!rndis)
		return;
	rndis_ctl(vsp, txbuf, rinit, sizeof(rinit));
	rndis_ctl(vsp, txbuf, filter, sizeof(filter));
	/* complete the two answers (ids are (seq << 32) | index, seq 1 and 2) */
	comp[16] = 108;
	comp[20] = 1;
	memcpy(comp + 8, &f->last_xfer, 8);
	vs_vsp_handle_packet(vsp, 0, comp, sizeof(comp));
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
	struct vs_vsp_config cfg = {.link_up = true, .rx_suballocs_max = 256,
		.mac = {0, 0x15, 0x5d, 0, 0, 1}};
	struct vsp_fake f;
	struct vs_vsp *vsp;
	uint8_t *txbuf;
	size_t pos = 1;

	if (size < 1 || vsp_fake_init(&f, RAM_PAGES) < 0)
		return 0;
	f.record = 0;
	f.subchannels = 3;
	if (!vsp_fake_gpadl_add(&f, 0x100, RECV_SIZE) ||
		!(txbuf = vsp_fake_gpadl_add(&f, 0x101, SEND_SIZE)))
		goto out;
	vsp = vs_vsp_create(&cfg, &vsp_fake_ops, &f);
	if (!vsp)
		goto out;
	if (data[0] & 1)
		bringup(vsp, &f, txbuf, data[0] & 2);

	while (size - pos >= 3) {
		uint8_t op = data[pos];
		size_t len = rd16(data + pos + 1);
		const uint8_t *p = data + pos + 3;

		pos += 3;
		if (len > size - pos)
			len = size - pos;
		pos += len;
		switch (op % 8) {
		case 0:
		case 1:
		case 2: {
			/* exactly len bytes so ASan sees any read past the packet */
			uint8_t *copy = malloc(len ? len : 1);

			if (!copy)
				break;
			memcpy(copy, p, len);
			vs_vsp_handle_packet(vsp, (op >> 3) & 3u, copy, len);
			free(copy);
			break;
		}
		case 3:
		case 4: {
			uint8_t *dst = op % 8 == 3 ? f.ram : txbuf;
			size_t cap = op % 8 == 3 ? RAM_PAGES * 4096u : SEND_SIZE;
			size_t off;

			if (len < 2)
				break;
			off = rd16(p) % cap;
			if (len - 2 > cap - off)
				len = cap - off + 2;
			memcpy(dst + off, p + 2, len - 2);
			break;
		}
		case 5: {
			struct vs_vsp_seg segs[2];
			struct vs_vsp_rx_frame fr = {.segs = segs, .n_segs = 2};

			if (len < 1)
				break;
			fr.flags = p[0] & 7;
			fr.vlan_tci = (uint16_t)(p[0] * 257u);
			fr.csum_info = p[0];
			fr.hash = p[0] * 0x01010101u;
			fr.channel = (op >> 4) & 3u;
			segs[0].base = p + 1;
			segs[0].len = (uint32_t)(len - 1) / 2;
			segs[1].base = p + 1 + segs[0].len;
			segs[1].len = (uint32_t)(len - 1) - segs[0].len;
			vs_vsp_rx_add(vsp, &fr);
			if (op & 8)
				vs_vsp_rx_flush(vsp);
			break;
		}
		case 6: {
			uint8_t comp[56] = {0x0b, 0, 2, 0, 7, 0, 0, 0};

			comp[16] = 108;
			comp[20] = len ? p[0] : 1;
			memcpy(comp + 8, &f.last_xfer, 8);
			vs_vsp_handle_packet(vsp, 0, comp, sizeof(comp));
			break;
		}
		case 7:
			if (op & 16)
				vs_vsp_reset(vsp);
			else if (op & 8)
				vs_vsp_gpadl_teardown(vsp, len ? 0x100u + (p[0] & 1) : 0x100u);
			else
				vs_vsp_link_set(vsp, !(op & 32));
			break;
		}
	}
	vs_vsp_rx_flush(vsp);
	debug_stats(vsp);
	vs_vsp_destroy(vsp);
out:
	vsp_fake_fini(&f);
	return 0;
}
