/* SPDX-License-Identifier: BSD-3-Clause */
#include "vsp_fake.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint16_t rd16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

/* One RNDIS message we wrote into the receive buffer. */
static const char *check_rndis(const uint8_t *m, uint32_t len)
{
	uint32_t type, msg_len;

	if (len < 8)
		return "range shorter than an RNDIS header";
	type = rd32(m);
	msg_len = rd32(m + 4);
	if (msg_len != len)
		return "msg_len differs from the range";
	if (msg_len > 52 + 4096 && type != 1)
		return "control answer larger than Linux takes";
	switch (type) {
	case 0x00000001: { /* PACKET */
		uint32_t doff, dlen, poff, plen, pos = 0;

		if (len < 44)
			return "short PACKET";
		doff = rd32(m + 8);
		dlen = rd32(m + 12);
		poff = rd32(m + 28);
		plen = rd32(m + 32);
		if ((uint64_t)doff + dlen > len - 8)
			return "PACKET data outside the message";
		if (poff == 0)
			return plen ? "PPI length without offset" : NULL;
		if (poff < 36 || (uint64_t)poff + plen > len - 8 || plen < 12)
			return "PPI list outside the message";
		while (pos < plen) {
			const uint8_t *e = m + 8 + poff + pos;
			uint32_t size, off;

			if (plen - pos < 12)
				return "PPI tail shorter than an element";
			size = rd32(e);
			off = rd32(e + 8);
			if (size < 12 || size > plen - pos || off < 12 || off >= size)
				return "malformed PPI (would hang Linux 6.1)";
			pos += size;
		}
		return NULL;
	}
	case 0x80000002: /* INIT_C */
		return len == 52 ? NULL : "INIT_C length";
	case 0x80000004: { /* QUERY_C */
		uint32_t blen, boff;

		if (len < 24)
			return "short QUERY_C";
		blen = rd32(m + 16);
		boff = rd32(m + 20);
		if (boff < 16 || (uint64_t)boff + blen > len - 8)
			return "QUERY_C info buffer outside the message";
		return NULL;
	}
	case 0x80000005:
	case 0x80000006:
	case 0x80000008:
		return len == 16 ? NULL : "SET_C/RESET_C/KEEPALIVE_C length";
	case 0x00000007:
		return len >= 20 ? NULL : "short INDICATE_STATUS";
	default:
		return "RNDIS type Linux does not accept from the host";
	}
}

const char *vsp_fake_check(const struct vsp_fake *f, const uint8_t *pkt, size_t len)
{
	uint16_t type, off8, len8;
	uint32_t n, i;
	unsigned int g;

	if (len < 16 || len % 8 || len > 4624)
		return "packet size";
	type = rd16(pkt);
	off8 = rd16(pkt + 2);
	len8 = rd16(pkt + 4);
	if ((size_t)len8 * 8 != len || off8 < 2 || off8 > len8)
		return "descriptor lengths";
	if (rd16(pkt + 6) & ~1u)
		return "descriptor flags";
	switch (type) {
	case 0x0b:
		return (len == 16 || len == 56) && off8 == 2 ? NULL : "completion payload size";
	case 0x06:
		return NULL;
	case 0x07:
		break;
	default:
		return "packet type Linux netvsc does not accept";
	}
	if (off8 * 8u < 24 || len - off8 * 8u < 4 || rd32(pkt + off8 * 8u) != 107)
		return "XFER_PAGES header or NVSP type";
	n = rd32(pkt + 20);
	if (24 + 8ull * n > off8 * 8u || n == 0)
		return "XFER_PAGES range count";
	/* The set id echoes the guest's SEND_RECV_BUF id (Linux: 0xCAFE); unit tests check it. */
	for (i = 0; i < n; i++) {
		uint32_t cnt = rd32(pkt + 24 + 8 * i), off = rd32(pkt + 28 + 8 * i);
		const char *why = "range outside the receive buffer";

		/* The guest may have named any of its GPADLs as the receive buffer: accept the range
		 * if one of them holds a good message there (normally rx_gpadl). */
		for (g = 0; g < f->n_gpadls && why; g++) {
			const char *w;

			if ((uint64_t)off + cnt > f->gpadls[g].size)
				continue;
			w = check_rndis(f->gpadls[g].base + off, cnt);
			if (!w || f->gpadls[g].handle == f->rx_gpadl)
				why = w;
		}
		if (why)
			return why;
	}
	return NULL;
}

static int fake_gpadl_map(void *ctx, uint32_t gpadl, uint8_t **base, size_t *size)
{
	struct vsp_fake *f = ctx;
	unsigned int i;

	for (i = 0; i < f->n_gpadls; i++) {
		if (f->gpadls[i].handle == gpadl) {
			*base = f->gpadls[i].base;
			*size = f->gpadls[i].size;
			return 0;
		}
	}
	return -ENOENT;
}

static int fake_gpa_pages(void *ctx, const uint64_t *pfns, uint32_t n, uint8_t **pages)
{
	struct vsp_fake *f = ctx;
	uint32_t i;

	for (i = 0; i < n; i++) {
		pages[i] = vsp_fake_page(f, pfns[i]);
		if (!pages[i])
			return -EFAULT;
	}
	return 0;
}

static int fake_send(void *ctx, uint32_t channel, const void *pkt, size_t len)
{
	struct vsp_fake *f = ctx;

	if (channel >= VS_VSP_MAX_CHANNELS) {
		fprintf(stderr, "vsp_fake: send on channel %u\n", channel);
		abort();
	}
	f->last_chan = channel;
	if (!f->send_ret)
		f->n_sent_chan[channel]++;

	if (f->send_ret)
		return f->send_ret;
	if (f->check) {
		const char *why = vsp_fake_check(f, pkt, len);

		if (why) {
			fprintf(stderr, "vsp_fake: bad host->guest packet: %s\n", why);
			abort();
		}
	}
	if (((const uint8_t *)pkt)[0] == 0x07) {
		memcpy(&f->last_xfer, (const uint8_t *)pkt + 8, sizeof(f->last_xfer));
		f->n_xfers++;
	}
	f->n_sent++;
	if (f->record && f->n_pkts < VSP_FAKE_MAX_PKTS) {
		f->pkts[f->n_pkts] = malloc(len);
		if (!f->pkts[f->n_pkts])
			return -ENOMEM;
		memcpy(f->pkts[f->n_pkts], pkt, len);
		f->pkt_len[f->n_pkts] = len;
		f->n_pkts++;
	} else {
		/* Touch every byte so that ASan checks what the core hands us. */
		volatile uint8_t sink = 0;
		size_t i;

		for (i = 0; i < len; i++)
			sink ^= ((const uint8_t *)pkt)[i];
		(void)sink;
	}
	return 0;
}

static int fake_deliver(void *ctx, const struct vs_vsp_frame *fr)
{
	struct vsp_fake *f = ctx;
	struct vsp_fake_frame *out = NULL;
	uint32_t off = 0, sum = 0;
	volatile uint8_t sink = 0;
	unsigned int i;

	if (f->deliver_ret)
		return f->deliver_ret;
	if (f->record && f->n_frames < VSP_FAKE_MAX_FRAMES && fr->len <= VSP_FAKE_FRAME_MAX) {
		out = &f->frames[f->n_frames++];
		out->data = malloc(fr->len ? fr->len : 1);
		out->meta = *fr;
	}
	for (i = 0; i < fr->n_segs; i++) {
		if (out && out->data)
			memcpy(out->data + off, fr->segs[i].base, fr->segs[i].len);
		else
			for (uint32_t k = 0; k < fr->segs[i].len; k++)
				sink ^= fr->segs[i].base[k];
		off += fr->segs[i].len;
		sum += fr->segs[i].len;
	}
	(void)sink;
	f->n_delivered++;
	return sum == fr->len ? 0 : -EINVAL;
}

static uint32_t fake_subchannels(void *ctx, uint32_t requested)
{
	struct vsp_fake *f = ctx;

	return f->subchannels;
}

static void fake_log(void *ctx, const char *msg)
{
	struct vsp_fake *f = ctx;

	f->n_logs++;
}

const struct vs_vsp_ops vsp_fake_ops = {
	.gpadl_map = fake_gpadl_map,
	.gpa_pages = fake_gpa_pages,
	.send = fake_send,
	.deliver = fake_deliver,
	.subchannels = fake_subchannels,
	.log = fake_log,
};

int vsp_fake_init(struct vsp_fake *f, size_t n_pages)
{
	memset(f, 0, sizeof(*f));
	f->record = 1;
	f->check = 1;
	f->rx_gpadl = 0x100;
	f->ram = calloc(n_pages, 4096);
	if (!f->ram)
		return -ENOMEM;
	f->n_pages = n_pages;
	return 0;
}

void vsp_fake_clear(struct vsp_fake *f)
{
	unsigned int i;

	for (i = 0; i < f->n_pkts; i++)
		free(f->pkts[i]);
	for (i = 0; i < f->n_frames; i++)
		free(f->frames[i].data);
	f->n_pkts = 0;
	f->n_frames = 0;
	memset(f->n_sent_chan, 0, sizeof(f->n_sent_chan));
}

void vsp_fake_fini(struct vsp_fake *f)
{
	unsigned int i;

	vsp_fake_clear(f);
	for (i = 0; i < f->n_gpadls; i++)
		free(f->gpadls[i].base);
	free(f->ram);
	memset(f, 0, sizeof(*f));
}

uint8_t *vsp_fake_gpadl_add(struct vsp_fake *f, uint32_t handle, size_t size)
{
	uint8_t *p;

	if (f->n_gpadls == VSP_FAKE_MAX_GPADLS)
		return NULL;
	p = calloc(1, size);
	if (!p)
		return NULL;
	f->gpadls[f->n_gpadls].handle = handle;
	f->gpadls[f->n_gpadls].base = p;
	f->gpadls[f->n_gpadls].size = size;
	f->n_gpadls++;
	return p;
}

uint8_t *vsp_fake_page(struct vsp_fake *f, uint64_t pfn)
{
	if (pfn < VSP_FAKE_PFN_BASE || pfn - VSP_FAKE_PFN_BASE >= f->n_pages)
		return NULL;
	return f->ram + (size_t)(pfn - VSP_FAKE_PFN_BASE) * 4096;
}
