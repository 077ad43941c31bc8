/* SPDX-License-Identifier: BSD-3-Clause */
#include "vsw_util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int vsw_parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	unsigned long long v = 0;
	const char *p;

	if (s == NULL || *s == '\0')
		return -EINVAL;
	for (p = s; *p; p++) {
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		v = v * 10 + (unsigned)(*p - '0');
		if (v > UINT32_MAX)
			return -ERANGE;
	}
	if (v < min || v > max)
		return -ERANGE;
	*out = (uint32_t)v;
	return 0;
}

static int vlan_range_parse(const char *tok, uint32_t *lo, uint32_t *hi)
{
	char buf[32];
	char *dash;
	int ret;

	if (strlen(tok) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, tok);
	dash = strchr(buf, '-');
	if (dash)
		*dash = '\0';
	ret = vsw_parse_u32(buf, 1, VSW_VLAN_MAX, lo);
	if (ret)
		return ret;
	if (!dash) {
		*hi = *lo;
		return 0;
	}
	ret = vsw_parse_u32(dash + 1, 1, VSW_VLAN_MAX, hi);
	if (ret)
		return ret;
	return *hi < *lo ? -EINVAL : 0;
}

int vsw_vlan_list_parse(const char *s, uint64_t bitmap[VSW_VLAN_BITMAP_WORDS], char *err,
	size_t errlen)
{
	uint64_t bm[VSW_VLAN_BITMAP_WORDS] = {0};
	char *copy, *tok, *save = NULL;
	uint32_t lo, hi, v;
	int ret = 0;

	copy = strdup(s);
	if (copy == NULL)
		return -ENOMEM;
	if (*s == ',' || (*s && s[strlen(s) - 1] == ',') || strstr(s, ",,")) {
		snprintf(err, errlen, "empty element in VLAN list '%s'", s);
		ret = -EINVAL;
		goto out;
	}
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		ret = vlan_range_parse(tok, &lo, &hi);
		if (ret) {
			snprintf(err, errlen, "invalid VLAN or range '%s' (VLANs are 1-%d)", tok,
				VSW_VLAN_MAX);
			goto out;
		}
		for (v = lo; v <= hi; v++)
			vsw_bitmap_set(bm, v);
	}
	memcpy(bitmap, bm, sizeof(bm));
out:
	free(copy);
	return ret;
}

int vsw_vlan_list_format(const uint64_t bitmap[VSW_VLAN_BITMAP_WORDS], char *buf, size_t size)
{
	size_t used = 0;
	unsigned int v = 1, end;
	int n;

	if (size == 0)
		return -ENOSPC;
	buf[0] = '\0';
	while (v <= VSW_VLAN_MAX) {
		if (!vsw_bitmap_test(bitmap, v)) {
			v++;
			continue;
		}
		for (end = v; end + 1 <= VSW_VLAN_MAX && vsw_bitmap_test(bitmap, end + 1); end++)
			;
		if (end == v)
			n = snprintf(buf + used, size - used, "%s%u", used ? "," : "", v);
		else
			n = snprintf(buf + used, size - used, "%s%u-%u", used ? "," : "", v, end);
		if (n < 0 || (size_t)n >= size - used)
			return -ENOSPC;
		used += (size_t)n;
		v = end + 1;
	}
	return (int)used;
}

static int fsync_dir_of(const char *path)
{
	char *copy = strdup(path);
	int fd, ret = 0;

	if (copy == NULL)
		return -ENOMEM;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		ret = -errno;
	else if (fsync(fd) < 0)
		ret = -errno;
	if (fd >= 0)
		close(fd);
	free(copy);
	return ret;
}

static int write_all(int fd, const void *data, size_t size)
{
	const char *p = data;

	while (size) {
		ssize_t n = write(fd, p, size);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		size -= (size_t)n;
	}
	return 0;
}

int vsw_file_write_atomic(const char *path, const void *data, size_t size, unsigned int mode)
{
	char tmp[PATH_MAX];
	int fd, ret;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	ret = write_all(fd, data, size);
	if (ret == 0 && fsync(fd) < 0)
		ret = -errno;
	if (close(fd) < 0 && ret == 0)
		ret = -errno;
	if (ret == 0 && rename(tmp, path) < 0)
		ret = -errno;
	if (ret) {
		unlink(tmp);
		return ret;
	}
	return fsync_dir_of(path);
}

int vsw_file_read(const char *path, size_t max, char **out, size_t *size)
{
	struct stat st;
	char *buf;
	size_t got = 0;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		goto out_close;
	}
	if ((size_t)st.st_size > max) {
		ret = -EFBIG;
		goto out_close;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL) {
		ret = -ENOMEM;
		goto out_close;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = n < 0 ? -errno : -EIO;
			free(buf);
			goto out_close;
		}
		got += (size_t)n;
	}
	buf[got] = '\0';
	*out = buf;
	if (size)
		*size = got;
out_close:
	close(fd);
	return ret;
}

bool vsw_name_is_valid(const char *name)
{
	size_t len = strlen(name), i;

	if (len == 0 || len > 15 || name[0] == '-')
		return false;
	for (i = 0; i < len; i++) {
		char c = name[i];

		if (!isalnum((unsigned char)c) && c != '_' && c != '-' && c != '.')
			return false;
	}
	return true;
}

int vsw_opt_path(const char *prog, const char *name, const char *arg, char *out, size_t size)
{
	size_t len = strlen(arg);

	if (len == 0 || len >= size) {
		fprintf(stderr, "%s: --%s: invalid path\n", prog, name);
		return -EINVAL;
	}
	memcpy(out, arg, len + 1);
	return 0;
}

int vsw_opt_name(const char *prog, const char *name, const char *arg, char *out, size_t size)
{
	if (!vsw_name_is_valid(arg) || strlen(arg) >= size) {
		fprintf(stderr, "%s: --%s: 1-15 of A-Z a-z 0-9 _ . -\n", prog, name);
		return -EINVAL;
	}
	strcpy(out, arg);
	return 0;
}

int vsw_mkdir_p(const char *dir, mode_t mode)
{
	char path[PATH_MAX], *p;

	if (strlen(dir) >= sizeof(path))
		return -ENAMETOOLONG;
	strcpy(path, dir);
	for (p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return mkdir(path, mode) < 0 && errno != EEXIST ? -errno : 0;
}
