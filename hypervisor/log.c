/* SPDX-License-Identifier: BSD-3-Clause */
/* vmmd's log: one line per message on stderr (a file with --log-file), with a timestamp. */
#include "internal.h"

#include <stdarg.h>
#include <time.h>

enum vmm_log_level vmm_log_level = VMM_LOG_INFO;

void vmm_log(enum vmm_log_level level, const char *fmt, ...)
{
	static const char *const names[] = {"ERR", "WARNING", "NOTICE", "INFO", "DEBUG"};
	char when[32];
	struct tm tm;
	time_t now;
	va_list ap;

	if (level > vmm_log_level)
		return;
	now = time(NULL);
	localtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(stderr, "%s vmmd: %s: ", when, names[level]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
}
