/* SPDX-License-Identifier: BSD-3-Clause */
/* Private to guest-drivers/: logging and byte helpers. */
#ifndef VSW_GUEST_INTERNAL_H
#define VSW_GUEST_INTERNAL_H

#include <stdint.h>
#include <string.h>
#include <syslog.h>

#include "guest.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "wire structures are little-endian");

void gd_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Rate-limited log for anything the host can trigger: each call site logs its 1st, 2nd, 4th,
 * 8th, ... occurrence (the count is per call site, in a static).
 */
#define GD_LOG_RL(level, ...)                                                                      \
	do {                                                                                       \
		static uint64_t gd_rl_n_;                                                          \
		uint64_t gd_rl_k_ = ++gd_rl_n_;                                                    \
		if ((gd_rl_k_ & (gd_rl_k_ - 1)) == 0)                                              \
			gd_log(level, __VA_ARGS__);                                                \
	} while (0)

/* Wire fields may be unaligned in packet copies: always through memcpy. */
static inline uint16_t gd_get16(const void *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint32_t gd_get32(const void *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint64_t gd_get64(const void *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline void gd_put16(void *p, uint16_t v)
{
	memcpy(p, &v, sizeof(v));
}

static inline void gd_put32(void *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

static inline void gd_put64(void *p, uint64_t v)
{
	memcpy(p, &v, sizeof(v));
}

/* Milliseconds on the monotonic clock. */
int64_t gd_now_ms(void);
/* Milliseconds left until 'deadline' (>= 0), or -1 for "no deadline" when deadline < 0. */
int gd_ms_left(int64_t deadline);

/* Validate and dispatch one host message slot (vmbus_client.c); fds not taken stay with the
 * caller. */
void gd_vmbus_handle_msg(struct gd_vmbus *vb, const struct hv_message *hm, int *fds,
	unsigned int *n_fds);

#endif
