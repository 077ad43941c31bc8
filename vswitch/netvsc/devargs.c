/* SPDX-License-Identifier: BSD-3-Clause */
/* netvsc port devargs: "netvsc,socket=PATH". Control thread (and unit tests). */
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

int vs_nv_devargs_parse(const char *devargs, char *path, size_t size, char *err, size_t errlen)
{
	const char *args = devargs + strlen(VS_NV_DEVARGS_PREFIX);
	const char *key = "socket=";
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
	/* a path with a comma would be read as two arguments: refuse rather than guess */
	if (strchr(args, ',')) {
		snprintf(err, errlen, "netvsc takes only socket=PATH (no other arguments, no ',' in "
			"the path)");
		return -EINVAL;
	}
	len = strlen(args);
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
	memcpy(path, args, len + 1);
	return 0;
}
