/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The RNDIS byte stream of one SEND_RNDIS_PKT: the used bytes of a send-buffer section followed by
 * the GPA_DIRECT ranges, page by page (facts 6.3: OpenVMM reads them as one stream, and Linux puts
 * RNDIS headers across page boundaries, OpenVMM #1590). Segments point into guest memory; callers
 * copy headers out of the stream before parsing them.
 */
#include "internal.h"

#include <errno.h>

void vs_stream_init(struct vs_stream *s)
{
	s->n_segs = 0;
	s->size = 0;
}

/* Append; adjacent host memory is merged into the previous segment. */
int vs_stream_add(struct vs_stream *s, const uint8_t *base, uint32_t len)
{
	struct vs_vsp_seg *last = s->n_segs ? &s->segs[s->n_segs - 1] : NULL;

	if (len == 0)
		return 0;
	if (len > UINT32_MAX - s->size)
		return -E2BIG;
	if (last && last->base + last->len == base) {
		last->len += len;
	} else {
		if (s->n_segs == VS_VSP_MAX_SEGS)
			return -E2BIG;
		s->segs[s->n_segs].base = base;
		s->segs[s->n_segs].len = len;
		s->n_segs++;
	}
	s->size += len;
	return 0;
}

/* Copy [off, off + len) out of the stream; the caller has checked off + len <= s->size. */
void vs_stream_copy(const struct vs_stream *s, uint32_t off, void *dst, uint32_t len)
{
	uint8_t *d = dst;
	unsigned int i;

	for (i = 0; i < s->n_segs && len; i++) {
		uint32_t n;

		if (off >= s->segs[i].len) {
			off -= s->segs[i].len;
			continue;
		}
		n = s->segs[i].len - off;
		if (n > len)
			n = len;
		memcpy(d, s->segs[i].base + off, n);
		d += n;
		len -= n;
		off = 0;
	}
}

/* Describe [off, off + len) as segments. Returns 0, -ERANGE (outside the stream) or -E2BIG. */
int vs_stream_slice(const struct vs_stream *s, uint32_t off, uint32_t len, struct vs_vsp_seg *out,
	unsigned int max, unsigned int *n_out)
{
	unsigned int i, n = 0;

	if ((uint64_t)off + len > s->size)
		return -ERANGE;
	for (i = 0; i < s->n_segs && len; i++) {
		uint32_t k;

		if (off >= s->segs[i].len) {
			off -= s->segs[i].len;
			continue;
		}
		if (n == max)
			return -E2BIG;
		k = s->segs[i].len - off;
		if (k > len)
			k = len;
		out[n].base = s->segs[i].base + off;
		out[n].len = k;
		n++;
		len -= k;
		off = 0;
	}
	*n_out = n;
	return 0;
}

/*
 * Append the GPA_DIRECT ranges found in [ranges, ranges + size) (facts 5.2): each is
 * {u32 byte_count, u32 byte_offset, u64 pfn[ceil((offset + count) / 4096)]}. Every count and
 * offset is checked before use (facts 9 items 3/4; OpenVMM #1842 offset < 4096, #621 no empty
 * ranges); the caller's gpa_pages() checks the PFNs themselves.
 */
enum vs_vsp_err vs_stream_add_gpa(struct vs_vsp *vsp, struct vs_stream *s, const uint8_t *ranges,
	size_t size, uint32_t count)
{
	uint32_t r, n_pfns = 0;
	size_t pos = 0;

	if (count == 0 || count > VS_VSP_MAX_GPA_RANGES)
		return VS_VSP_ERR_GPA_RANGE;
	for (r = 0; r < count; r++) {
		uint32_t bc, bo, i, np;
		uint64_t end;

		if (size - pos < sizeof(struct vmbus_gpa_range))
			return VS_VSP_ERR_GPA_RANGE;
		bc = vs_rd32(ranges + pos);
		bo = vs_rd32(ranges + pos + 4);
		if (bc == 0 || bo >= VMBUS_PAGE_SIZE)
			return VS_VSP_ERR_GPA_RANGE;
		end = (uint64_t)bo + bc;
		if (end > (uint64_t)(VS_VSP_MAX_GPA_PFNS - n_pfns) * VMBUS_PAGE_SIZE)
			return VS_VSP_ERR_GPA_RANGE;
		np = (uint32_t)((end + VMBUS_PAGE_SIZE - 1) / VMBUS_PAGE_SIZE);
		pos += sizeof(struct vmbus_gpa_range);
		if ((size - pos) / sizeof(uint64_t) < np)
			return VS_VSP_ERR_GPA_RANGE;
		memcpy(&vsp->pfns[n_pfns], ranges + pos, (size_t)np * sizeof(uint64_t));
		pos += (size_t)np * sizeof(uint64_t);
		if (vsp->ops->gpa_pages(vsp->ctx, &vsp->pfns[n_pfns], np, &vsp->pages[n_pfns]) < 0)
			return VS_VSP_ERR_GPA_MAP;
		for (i = 0; i < np; i++) {
			uint64_t page_start = (uint64_t)i * VMBUS_PAGE_SIZE;
			uint32_t from = i == 0 ? bo : 0;
			uint32_t to = end - page_start >= VMBUS_PAGE_SIZE
					? VMBUS_PAGE_SIZE
					: (uint32_t)(end - page_start);

			if (vs_stream_add(s, vsp->pages[n_pfns + i] + from, to - from) < 0)
				return VS_VSP_ERR_GPA_RANGE;
			/* the frame's lines come from the guest's core: start them all now */
			vs_prefetch_range(vsp->pages[n_pfns + i] + from, to - from);
		}
		n_pfns += np;
	}
	return VS_VSP_ERR_NONE;
}
