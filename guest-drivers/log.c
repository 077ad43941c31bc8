/* SPDX-License-Identifier: BSD-3-Clause */
/* Logging backend of the guest library, and the clock helpers the waits use. */
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

static void gd_log_stderr(int level, const char *msg)
{
	fprintf(stderr, "vsw-guest: %s\n", msg);
}

static gd_log_fn gd_log_cb = gd_log_stderr;
static int gd_log_max = LOG_INFO;

void gd_log_set(gd_log_fn fn, int max_level)
{
	gd_log_cb = fn ? fn : gd_log_stderr;
	gd_log_max = max_level;
}

void gd_log(int level, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	if (level > gd_log_max)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	gd_log_cb(level, buf);
}

int64_t gd_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int gd_ms_left(int64_t deadline)
{
	int64_t left;

	if (deadline < 0)
		return -1;
	left = deadline - gd_now_ms();
	if (left <= 0)
		return 0;
	return left > 0x7fffffff ? 0x7fffffff : (int)left;
}
