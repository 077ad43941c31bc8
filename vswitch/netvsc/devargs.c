/* SPDX-License-Identifier: BSD-3-Clause */
/* netvsc port devargs: "netvsc,socket=PATH[,queues=N]". Control thread (and unit tests). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "netvsc.h"

bool vs_nv_devargs_is_netvsc(const char *devargs)
{
	size_t n = strlen(VS_NV_DEVARGS_PREFIX);

	return strncmp(devargs, VS_NV_DEVARGS_PREFIX, n) == 0 &&
		(devargs[n] == '\0' || devargs[n] == ',');
}

/* ",queues=N" after the path: 1..VS_VSP_MAX_CHANNELS. Returns 0 or -EINVAL with 'err'. */
static int parse_queues(const char *s, uint32_t *queues, char *err, size_t errlen)
{
	const char *key = ",queues=";
	unsigned long v = 0;
	const char *p;

	if (strncmp(s, key, strlen(key)) != 0)
		goto bad;
	p = s + strlen(key);
	if (*p == '\0' || strlen(p) > 3)
		goto bad;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			goto bad;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	if (v < 1 || v > VS_VSP_MAX_CHANNELS)
		goto bad;
	*queues = (uint32_t)v;
	return 0;
bad:
	snprintf(err, errlen,
		"netvsc takes socket=PATH and optionally queues=1..%u after it (no "
		"',' in the path)",
		VS_VSP_MAX_CHANNELS);
	return -EINVAL;
}

int vs_nv_devargs_parse(
	const char *devargs, char *path, size_t size, uint32_t *queues, char *err, size_t errlen)
{
	const char *args = devargs + strlen(VS_NV_DEVARGS_PREFIX);
	const char *key = "socket=", *comma;
	size_t len;

	if (!vs_nv_devargs_is_netvsc(devargs)) {
		snprintf(err, errlen, "not a netvsc port: '%s'", devargs);
		return -EINVAL;
	}
	if (*args == '\0' || strncmp(args + 1, key, strlen(key)) != 0) {
		snprintf(err, errlen, "netvsc needs socket=PATH (netvsc,socket=/run/vmmd/...)");
		return -EINVAL;
	}
	args += 1 + strlen(key);
	*queues = VS_NV_QUEUES_DEFAULT;
	/* a path with a comma would be read as two arguments: what follows must be queues=N */
	comma = strchr(args, ',');
	if (comma && parse_queues(comma, queues, err, errlen) < 0)
		return -EINVAL;
	len = comma ? (size_t)(comma - args) : strlen(args);
	if (len == 0 || args[0] != '/') {
		snprintf(err, errlen, "netvsc socket must be an absolute path");
		return -EINVAL;
	}
	if (len >= VS_NV_SOCKET_MAX || len >= size) {
		snprintf(err, errlen, "netvsc socket path longer than %u characters",
			VS_NV_SOCKET_MAX - 1);
		return -EINVAL;
	}
	if (strpbrk(args, " \t\n\"'")) {
		snprintf(err, errlen, "netvsc socket path contains blanks or quotes");
		return -EINVAL;
	}
	memcpy(path, args, len);
	path[len] = '\0';
	return 0;
}
