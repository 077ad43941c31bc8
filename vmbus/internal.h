/* SPDX-License-Identifier: BSD-3-Clause */
/* Private to vmbus/: byte access helpers shared by the parsers. */
#ifndef VSW_VMBUS_INTERNAL_H
#define VSW_VMBUS_INTERNAL_H

#include <stdint.h>
#include <string.h>

#include "vmbus.h"

/* Hyper-V structures are little-endian; we read them in host order. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "vsw_vmbus assumes a little-endian host");

/* Wire fields may sit at any alignment in a caller's buffer (packed structs, PFN arrays at
 * offset 20 of a GPADL_HEADER): always go through memcpy. */
static inline uint16_t vmbus_get_u16(const void *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint32_t vmbus_get_u32(const void *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint64_t vmbus_get_u64(const void *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline void vmbus_put_u64(void *p, uint64_t v)
{
	memcpy(p, &v, sizeof(v));
}

static inline uint32_t vmbus_align8(uint32_t n)
{
	return (n + 7u) & ~7u;
}

/* Build a 16-byte packet descriptor (pkt.c, also used by ring.c). */
void vmbus_pkt_desc_fill(struct vmbus_pkt_desc *d, uint16_t type, uint16_t hdr_size,
	uint32_t size, uint16_t flags, uint64_t trans_id);

#endif
