/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Ring packets (facts 5.2): parsing of a private copy, and builders.
 *
 * The parser is the last line before NVSP code reads a packet, so every count read from the
 * packet is bounded by the bytes actually present before it is used. The cases OpenVMM got wrong
 * (facts 9: type header shorter than 24 bytes, GPA ranges with byte_offset >= 4096, empty GPA
 * ranges) are rejected explicitly.
 */
#include "vmbus.h"

#include <errno.h>
#include <string.h>

#include "internal.h"

/* Type header sizes: descriptor + the fixed part after it. */
#define PKT_XFER_HDR sizeof(struct vmbus_pkt_xfer_pages)  /* 24 */
#define PKT_GPA_HDR sizeof(struct vmbus_pkt_gpa_direct)	  /* 24 */
#define PKT_RANGE_HDR sizeof(struct vmbus_gpa_range)	  /* 8 */

static int pkt_parse_xfer(const uint8_t *b, struct vmbus_pkt *pkt)
{
	uint64_t n;

	if (pkt->hdr_size < PKT_XFER_HDR)
		return -EPROTO;
	pkt->xfer_set_id = vmbus_get_u16(b + offsetof(struct vmbus_pkt_xfer_pages, xfer_pageset_id));
	pkt->xfer_sender_owns = b[offsetof(struct vmbus_pkt_xfer_pages, sender_owns_set)];
	n = vmbus_get_u32(b + offsetof(struct vmbus_pkt_xfer_pages, range_count));
	/* 64-bit arithmetic: range_count is a guest u32 */
	if (PKT_XFER_HDR + n * sizeof(struct vmbus_xfer_range) > pkt->hdr_size)
		return -EPROTO;
	pkt->n_xfer_ranges = (uint32_t)n;
	pkt->xfer_ranges = b + PKT_XFER_HDR;
	return 0;
}

static int pkt_parse_gpa(const uint8_t *b, struct vmbus_pkt *pkt)
{
	uint32_t n_ranges, i, off = PKT_GPA_HDR;
	uint64_t total_pfns = 0;

	if (pkt->hdr_size < PKT_GPA_HDR)
		return -EPROTO;
	n_ranges = vmbus_get_u32(b + offsetof(struct vmbus_pkt_gpa_direct, range_count));
	if (n_ranges == 0)
		return -EPROTO;
	/* Each iteration consumes at least 16 bytes of hdr_size (<= 2^19), so the loop is
	 * bounded by the bytes present whatever range_count says. */
	for (i = 0; i < n_ranges; i++) {
		uint32_t count, offset;
		uint64_t pfns;

		if ((uint64_t)off + PKT_RANGE_HDR > pkt->hdr_size)
			return -EPROTO;
		count = vmbus_get_u32(b + off + offsetof(struct vmbus_gpa_range, byte_count));
		offset = vmbus_get_u32(b + off + offsetof(struct vmbus_gpa_range, byte_offset));
		if (count == 0 || offset >= VMBUS_PAGE_SIZE)
			return -EPROTO;
		pfns = vmbus_range_pfns(offset, count);
		if ((uint64_t)off + PKT_RANGE_HDR + pfns * 8u > pkt->hdr_size)
			return -EPROTO;
		off += PKT_RANGE_HDR + (uint32_t)pfns * 8u;
		total_pfns += pfns;
	}
	pkt->n_gpa_ranges = n_ranges;
	pkt->n_gpa_pfns = (uint32_t)total_pfns; /* < hdr_size / 8 */
	pkt->gpa_ranges = b + PKT_GPA_HDR;
	return 0;
}

int vmbus_pkt_parse(const void *buf, size_t size, struct vmbus_pkt *pkt)
{
	const uint8_t *b = buf;
	struct vmbus_pkt_desc d;

	memset(pkt, 0, sizeof(*pkt));
	if (size < sizeof(d))
		return -EPROTO;
	memcpy(&d, b, sizeof(d));
	if (d.len8 < 2 || (size_t)d.len8 * 8u > size || d.offset8 < 2 || d.offset8 > d.len8)
		return -EPROTO;
	if ((d.flags & ~VMBUS_PKT_FLAG_COMPLETION_REQUESTED) != 0)
		return -EPROTO;

	pkt->type = d.type;
	pkt->flags = d.flags;
	pkt->trans_id = d.trans_id;
	pkt->size = (uint32_t)d.len8 * 8u;
	pkt->hdr_size = (uint32_t)d.offset8 * 8u;
	pkt->payload = b + pkt->hdr_size;
	pkt->payload_size = pkt->size - pkt->hdr_size;

	switch (d.type) {
	case VMBUS_PKT_INBAND:
	case VMBUS_PKT_COMP:
		return 0;
	case VMBUS_PKT_XFER_PAGES:
		return pkt_parse_xfer(b, pkt);
	case VMBUS_PKT_GPA_DIRECT:
		return pkt_parse_gpa(b, pkt);
	default:
		return -EOPNOTSUPP;
	}
}

struct vmbus_xfer_range vmbus_pkt_xfer_range(const struct vmbus_pkt *pkt, uint32_t i)
{
	struct vmbus_xfer_range r;

	memcpy(&r, pkt->xfer_ranges + (size_t)i * sizeof(r), sizeof(r));
	return r;
}

bool vmbus_pkt_gpa_next(const struct vmbus_pkt *pkt, uint32_t *cursor,
	struct vmbus_pkt_gpa_range *out)
{
	const uint8_t *p;
	uint32_t i, off = 0;

	if (*cursor >= pkt->n_gpa_ranges)
		return false;
	/* Walk from the start: parse already proved every range lies inside the header. Ranges
	 * per packet are few (netvsc: up to 2 + fragments), so this stays cheap. */
	for (i = 0; i <= *cursor; i++) {
		p = pkt->gpa_ranges + off;
		out->byte_count = vmbus_get_u32(p + offsetof(struct vmbus_gpa_range, byte_count));
		out->byte_offset = vmbus_get_u32(p + offsetof(struct vmbus_gpa_range, byte_offset));
		out->n_pfns = (uint32_t)vmbus_range_pfns(out->byte_offset, out->byte_count);
		out->pfns = p + PKT_RANGE_HDR;
		off += PKT_RANGE_HDR + out->n_pfns * 8u;
	}
	(*cursor)++;
	return true;
}

uint64_t vmbus_pkt_gpa_pfn(const struct vmbus_pkt_gpa_range *range, uint32_t i)
{
	return vmbus_get_u64(range->pfns + (size_t)i * 8u);
}

void vmbus_pkt_desc_fill(struct vmbus_pkt_desc *d, uint16_t type, uint16_t hdr_size,
	uint32_t size, uint16_t flags, uint64_t trans_id)
{
	d->type = type;
	d->offset8 = hdr_size / 8u;
	d->len8 = (uint16_t)(vmbus_align8(size) / 8u);
	d->flags = flags;
	d->trans_id = trans_id;
}

/* Lay out descriptor + 'hdr' extra bytes (already in buf) + payload + zero padding. */
static int pkt_build(void *buf, size_t size, uint16_t type, uint16_t flags, uint64_t trans_id,
	uint32_t hdr_size, const void *payload, size_t payload_size)
{
	uint8_t *b = buf;
	uint64_t total = (uint64_t)hdr_size + payload_size;
	struct vmbus_pkt_desc d;
	uint32_t padded;

	if ((flags & ~VMBUS_PKT_FLAG_COMPLETION_REQUESTED) != 0)
		return -EINVAL;
	if (total > VMBUS_PKT_MAX_SIZE || vmbus_align8((uint32_t)total) > size)
		return -EMSGSIZE;
	padded = vmbus_align8((uint32_t)total);
	/* via a local copy: 'buf' need not be 8-byte aligned */
	vmbus_pkt_desc_fill(&d, type, (uint16_t)hdr_size, (uint32_t)total, flags, trans_id);
	memcpy(b, &d, sizeof(d));
	if (payload_size > 0)
		memcpy(b + hdr_size, payload, payload_size);
	memset(b + total, 0, padded - total);
	return (int)padded;
}

int vmbus_pkt_build_inband(void *buf, size_t size, uint16_t flags, uint64_t trans_id,
	const void *payload, size_t payload_size)
{
	return pkt_build(buf, size, VMBUS_PKT_INBAND, flags, trans_id,
		sizeof(struct vmbus_pkt_desc), payload, payload_size);
}

int vmbus_pkt_build_comp(void *buf, size_t size, uint64_t trans_id, const void *payload,
	size_t payload_size)
{
	return pkt_build(buf, size, VMBUS_PKT_COMP, 0, trans_id, sizeof(struct vmbus_pkt_desc),
		payload, payload_size);
}

int vmbus_pkt_build_xfer_pages(void *buf, size_t size, uint16_t flags, uint64_t trans_id,
	uint16_t set_id, const struct vmbus_xfer_range *ranges, uint32_t n_ranges,
	const void *payload, size_t payload_size)
{
	uint8_t *b = buf;
	uint64_t hdr = PKT_XFER_HDR + (uint64_t)n_ranges * sizeof(*ranges);

	if (n_ranges == 0)
		return -EINVAL;
	/* offset8 is a u16 and the header must leave room in len8 */
	if (hdr + payload_size > VMBUS_PKT_MAX_SIZE || hdr > size)
		return -EMSGSIZE;
	memset(b + sizeof(struct vmbus_pkt_desc), 0, PKT_XFER_HDR - sizeof(struct vmbus_pkt_desc));
	memcpy(b + offsetof(struct vmbus_pkt_xfer_pages, xfer_pageset_id), &set_id,
		sizeof(set_id));
	memcpy(b + offsetof(struct vmbus_pkt_xfer_pages, range_count), &n_ranges,
		sizeof(n_ranges));
	memcpy(b + PKT_XFER_HDR, ranges, (size_t)n_ranges * sizeof(*ranges));
	return pkt_build(buf, size, VMBUS_PKT_XFER_PAGES, flags, trans_id, (uint32_t)hdr, payload,
		payload_size);
}
