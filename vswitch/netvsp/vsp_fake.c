/* SPDX-License-Identifier: BSD-3-Clause */
#include "vsp_fake.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

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

static int fake_send(void *ctx, const void *pkt, size_t len)
{
	struct vsp_fake *f = ctx;

	if (f->send_ret)
		return f->send_ret;
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
