/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * GPADLs (facts 4.3, 9 item 3).
 *
 * Host side: a GPADL arrives as one GPADL_HEADER (relid, handle, range header, up to 26 PFNs)
 * followed by GPADL_BODY messages (handle, up to 28 PFNs) until every PFN announced by the range
 * has arrived. Several GPADLs may be in flight at once (subchannels opening in parallel), so
 * bodies are matched by handle; Linux leaves msgnumber at 0, so order within a GPADL is the
 * arrival order. Everything is checked as it arrives, and the memory a guest can pin in
 * incomplete GPADLs is bounded (VMBUS_GPADL_MAX_PENDING, VMBUS_GPADL_MAX_PENDING_PAGES).
 *
 * Only single-range GPADLs are accepted: Linux always sends one range (facts 4.3) and no netvsc
 * guest uses more, so a multi-range GPADL is refused with -EOPNOTSUPP rather than supported by
 * code nothing exercises.
 *
 * Guest side: split a page list the way Linux does (header 26 PFNs, bodies 28).
 */
#include "vmbus.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define GPADL_HDR_FIXED sizeof(struct vmbus_chanmsg_gpadl_header)			/* 20 */
#define GPADL_HDR_PFNS (GPADL_HDR_FIXED + sizeof(struct vmbus_gpa_range))		/* 28 */
#define GPADL_BODY_PFNS sizeof(struct vmbus_chanmsg_gpadl_body)			/* 16 */

struct gpadl_pending {
	struct vmbus_gpadl *g; /* NULL: free slot; n_pfns = total expected */
	uint32_t have;	       /* PFNs received so far */
};

struct vmbus_gpadl_asm {
	uint64_t mem_pages;			     /* partition memory: every PFN is below */
	unsigned int n_pending;			     /* used slots */
	uint64_t pending_pages;			     /* PFNs reserved by incomplete GPADLs */
	struct gpadl_pending slots[VMBUS_GPADL_MAX_PENDING]; /* incomplete GPADLs */
};

struct vmbus_gpadl_asm *vmbus_gpadl_asm_create(uint64_t mem_pages)
{
	struct vmbus_gpadl_asm *a;

	if (mem_pages == 0) {
		errno = EINVAL;
		return NULL;
	}
	a = calloc(1, sizeof(*a));
	if (a == NULL)
		return NULL;
	a->mem_pages = mem_pages;
	return a;
}

void vmbus_gpadl_asm_destroy(struct vmbus_gpadl_asm *a)
{
	if (a == NULL)
		return;
	vmbus_gpadl_asm_reset(a);
	free(a);
}

void vmbus_gpadl_free(struct vmbus_gpadl *g)
{
	free(g);
}

unsigned int vmbus_gpadl_asm_pending(const struct vmbus_gpadl_asm *a)
{
	return a->n_pending;
}

static void gpadl_slot_drop(struct vmbus_gpadl_asm *a, struct gpadl_pending *p)
{
	a->pending_pages -= p->g->n_pfns;
	a->n_pending--;
	free(p->g);
	p->g = NULL;
	p->have = 0;
}

unsigned int vmbus_gpadl_asm_drop_relid(struct vmbus_gpadl_asm *a, uint32_t relid)
{
	unsigned int i, n = 0;

	for (i = 0; i < VMBUS_GPADL_MAX_PENDING; i++) {
		if (a->slots[i].g != NULL && a->slots[i].g->relid == relid) {
			gpadl_slot_drop(a, &a->slots[i]);
			n++;
		}
	}
	return n;
}

unsigned int vmbus_gpadl_asm_reset(struct vmbus_gpadl_asm *a)
{
	unsigned int i, n = 0;

	for (i = 0; i < VMBUS_GPADL_MAX_PENDING; i++) {
		if (a->slots[i].g != NULL) {
			gpadl_slot_drop(a, &a->slots[i]);
			n++;
		}
	}
	return n;
}

static struct gpadl_pending *gpadl_lookup(struct vmbus_gpadl_asm *a, uint32_t handle)
{
	unsigned int i;

	for (i = 0; i < VMBUS_GPADL_MAX_PENDING; i++) {
		if (a->slots[i].g != NULL && a->slots[i].g->handle == handle)
			return &a->slots[i];
	}
	return NULL;
}

/* Append 'n' PFNs (unaligned u64 at 'src'), each checked against guest memory. */
static int gpadl_add_pfns(struct vmbus_gpadl_asm *a, struct gpadl_pending *p, const uint8_t *src,
	uint32_t n)
{
	uint32_t i;

	if (n > p->g->n_pfns - p->have)
		return -EPROTO; /* more PFNs than the range announced */
	for (i = 0; i < n; i++) {
		uint64_t pfn = vmbus_get_u64(src + (size_t)i * 8u);

		if (pfn >= a->mem_pages)
			return -EFAULT;
		p->g->pfns[p->have + i] = pfn;
	}
	p->have += n;
	return 0;
}

/* Hand over a complete GPADL and free its slot. */
static int gpadl_complete(struct vmbus_gpadl_asm *a, struct gpadl_pending *p,
	struct vmbus_gpadl **done)
{
	a->pending_pages -= p->g->n_pfns;
	a->n_pending--;
	*done = p->g;
	p->g = NULL;
	p->have = 0;
	return 1;
}

static int gpadl_feed_header(struct vmbus_gpadl_asm *a, const uint8_t *msg, size_t size,
	struct vmbus_gpadl_id *id, struct vmbus_gpadl **done)
{
	struct vmbus_chanmsg_gpadl_header h;
	uint32_t byte_count, byte_offset, n_here;
	struct gpadl_pending *p = NULL;
	uint64_t n_pfns;
	unsigned int i;
	int ret;

	if (size < GPADL_HDR_PFNS || size > VMBUS_MSG_PAYLOAD_MAX)
		return -EPROTO;
	memcpy(&h, msg, sizeof(h));
	id->valid = true;
	id->relid = h.child_relid;
	id->handle = h.gpadl;

	if (h.rangecount == 0)
		return -EPROTO;
	if (h.rangecount > 1)
		return -EOPNOTSUPP;
	byte_count = vmbus_get_u32(msg + GPADL_HDR_FIXED + offsetof(struct vmbus_gpa_range,
								    byte_count));
	byte_offset = vmbus_get_u32(msg + GPADL_HDR_FIXED + offsetof(struct vmbus_gpa_range,
								     byte_offset));
	if (byte_count == 0 || byte_offset >= VMBUS_PAGE_SIZE)
		return -EPROTO;
	n_pfns = vmbus_range_pfns(byte_offset, byte_count); /* <= 2^20 + 1: no overflow */
	if (n_pfns > VMBUS_USER_MAX_GPADL_PAGES)
		return -E2BIG;
	/* Linux computes range_buflen in a u16, so it wraps above 8190 pages: compare mod 2^16 */
	if (h.range_buflen != (uint16_t)(sizeof(struct vmbus_gpa_range) + n_pfns * 8u))
		return -EPROTO;
	if ((size - GPADL_HDR_PFNS) % 8u != 0)
		return -EPROTO;
	n_here = (uint32_t)((size - GPADL_HDR_PFNS) / 8u);

	if (gpadl_lookup(a, h.gpadl) != NULL)
		return -EEXIST;
	if (a->n_pending >= VMBUS_GPADL_MAX_PENDING ||
		a->pending_pages + n_pfns > VMBUS_GPADL_MAX_PENDING_PAGES)
		return -ENOBUFS;
	for (i = 0; i < VMBUS_GPADL_MAX_PENDING && p == NULL; i++) {
		if (a->slots[i].g == NULL)
			p = &a->slots[i];
	}
	p->g = malloc(sizeof(*p->g) + n_pfns * sizeof(uint64_t));
	if (p->g == NULL)
		return -ENOMEM;
	p->g->relid = h.child_relid;
	p->g->handle = h.gpadl;
	p->g->byte_offset = byte_offset;
	p->g->byte_count = byte_count;
	p->g->n_pfns = (uint32_t)n_pfns;
	p->have = 0;
	a->n_pending++;
	a->pending_pages += n_pfns;

	ret = gpadl_add_pfns(a, p, msg + GPADL_HDR_PFNS, n_here);
	if (ret < 0) {
		gpadl_slot_drop(a, p);
		return ret;
	}
	if (p->have == p->g->n_pfns)
		return gpadl_complete(a, p, done);
	return 0;
}

static int gpadl_feed_body(struct vmbus_gpadl_asm *a, const uint8_t *msg, size_t size,
	struct vmbus_gpadl_id *id, struct vmbus_gpadl **done)
{
	struct vmbus_chanmsg_gpadl_body b;
	struct gpadl_pending *p;
	int ret;

	if (size < GPADL_BODY_PFNS || size > VMBUS_MSG_PAYLOAD_MAX)
		return -EPROTO;
	memcpy(&b, msg, sizeof(b));
	p = gpadl_lookup(a, b.gpadl);
	if (p == NULL)
		return -ENOENT;
	id->valid = true;
	id->relid = p->g->relid;
	id->handle = b.gpadl;

	/* a body must carry whole PFNs, at least one */
	if ((size - GPADL_BODY_PFNS) % 8u != 0 || size == GPADL_BODY_PFNS) {
		ret = -EPROTO;
		goto err_drop;
	}
	ret = gpadl_add_pfns(a, p, msg + GPADL_BODY_PFNS,
		(uint32_t)((size - GPADL_BODY_PFNS) / 8u));
	if (ret < 0)
		goto err_drop;
	if (p->have == p->g->n_pfns)
		return gpadl_complete(a, p, done);
	return 0;

err_drop:
	gpadl_slot_drop(a, p);
	return ret;
}

int vmbus_gpadl_asm_feed(struct vmbus_gpadl_asm *a, const void *msg, size_t size,
	struct vmbus_gpadl_id *id, struct vmbus_gpadl **done)
{
	struct vmbus_gpadl_id unused;

	if (id == NULL)
		id = &unused;
	memset(id, 0, sizeof(*id));
	*done = NULL;
	if (size < sizeof(struct vmbus_chanmsg_hdr))
		return -EPROTO;
	switch (vmbus_get_u32(msg)) {
	case VMBUS_CHANMSG_GPADL_HEADER:
		return gpadl_feed_header(a, msg, size, id, done);
	case VMBUS_CHANMSG_GPADL_BODY:
		return gpadl_feed_body(a, msg, size, id, done);
	default:
		return -EPROTO;
	}
}

/* Guest side. */

uint32_t vmbus_gpadl_n_msgs(uint32_t n_pfns)
{
	if (n_pfns <= VMBUS_GPADL_HEADER_MAX_PFNS)
		return 1;
	return 1 + (n_pfns - VMBUS_GPADL_HEADER_MAX_PFNS + VMBUS_GPADL_BODY_MAX_PFNS - 1) /
			   VMBUS_GPADL_BODY_MAX_PFNS;
}

int vmbus_gpadl_build_msg(union vmbus_chanmsg *m, uint32_t idx, uint32_t relid, uint32_t handle,
	uint32_t byte_offset, uint32_t byte_count, const uint64_t *pfns, uint32_t n_pfns)
{
	uint32_t first, n;
	uint8_t *p;

	if (byte_count == 0 || byte_offset >= VMBUS_PAGE_SIZE ||
		vmbus_range_pfns(byte_offset, byte_count) != n_pfns ||
		idx >= vmbus_gpadl_n_msgs(n_pfns))
		return -EINVAL;
	memset(m, 0, sizeof(*m));
	if (idx == 0) {
		struct vmbus_gpa_range r = {.byte_count = byte_count, .byte_offset = byte_offset};

		n = n_pfns < VMBUS_GPADL_HEADER_MAX_PFNS ? n_pfns : VMBUS_GPADL_HEADER_MAX_PFNS;
		m->gpadl_header.hdr.msgtype = VMBUS_CHANMSG_GPADL_HEADER;
		m->gpadl_header.child_relid = relid;
		m->gpadl_header.gpadl = handle;
		/* covers the PFNs of every message; u16 as in Linux (wraps above 8190 pages) */
		m->gpadl_header.range_buflen = (uint16_t)(sizeof(r) + (uint64_t)n_pfns * 8u);
		m->gpadl_header.rangecount = 1;
		memcpy(m->raw + GPADL_HDR_FIXED, &r, sizeof(r));
		p = m->raw + GPADL_HDR_PFNS;
		first = 0;
	} else {
		first = VMBUS_GPADL_HEADER_MAX_PFNS + (idx - 1) * VMBUS_GPADL_BODY_MAX_PFNS;
		n = n_pfns - first < VMBUS_GPADL_BODY_MAX_PFNS ? n_pfns - first :
								  VMBUS_GPADL_BODY_MAX_PFNS;
		m->gpadl_body.hdr.msgtype = VMBUS_CHANMSG_GPADL_BODY;
		m->gpadl_body.msgnumber = 0; /* as Linux: receivers must not rely on it */
		m->gpadl_body.gpadl = handle;
		p = m->raw + GPADL_BODY_PFNS;
	}
	memcpy(p, pfns + first, (size_t)n * 8u);
	return (int)(p - m->raw) + (int)n * 8;
}
