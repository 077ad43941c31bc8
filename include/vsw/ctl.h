/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vswitchctl <-> vswitchd control protocol.
 *
 * A client connects to the switch's unix stream socket and sends one request; the switch sends
 * one reply and closes. Each message is a fixed header followed by 'len' bytes of UTF-8 JSON.
 *
 *   request (client -> switch): {"cmd": "add-port", "args": {...}}
 *   reply   (switch -> client): {"status": 0, "error": "text", "result": ...}
 *
 * 'status' is a positive errno value, 0 on success. Header fields are little-endian.
 */
#ifndef VSW_CTL_H
#define VSW_CTL_H

#include <stdint.h>
#include <string.h>
#include <errno.h>

#define VSW_CTL_MAGIC 0x56535731u /* "VSW1" */
#define VSW_CTL_VERSION 1	  /* bumped on any incompatible change */
#define VSW_CTL_MAX_REQUEST (64u << 10)
#define VSW_CTL_MAX_REPLY (64u << 20)

struct vsw_ctl_hdr {
	uint32_t magic;	  /* VSW_CTL_MAGIC */
	uint16_t version; /* VSW_CTL_VERSION of the sender */
	uint16_t flags;	  /* must be 0 */
	uint32_t len;	  /* bytes of JSON that follow */
};
_Static_assert(sizeof(struct vsw_ctl_hdr) == 12, "ctl header layout");

static inline void vsw_ctl_hdr_init(struct vsw_ctl_hdr *h, uint32_t len)
{
	h->magic = VSW_CTL_MAGIC;
	h->version = VSW_CTL_VERSION;
	h->flags = 0;
	h->len = len;
}

/*
 * Check a received header against the largest payload the receiver accepts.
 * Returns 0, -EPROTO for a foreign or future message, -EMSGSIZE for an oversized one.
 */
static inline int vsw_ctl_hdr_check(const struct vsw_ctl_hdr *h, uint32_t max_len)
{
	if (h->magic != VSW_CTL_MAGIC || h->version != VSW_CTL_VERSION || h->flags != 0)
		return -EPROTO;
	if (h->len > max_len)
		return -EMSGSIZE;
	return 0;
}

#endif
