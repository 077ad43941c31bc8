/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The /sys/bus/vmbus/devices/<uuid>/ files of a uio NIC (uio.h), in Linux 6.1's formats as
 * reference/dpdk-netvsc-guest.md §2 lists them: class_id and device_id "{%pUl}\n", id and
 * monitor_id "%d\n"/"%u\n", numa_node "%d\n", maps/mapN/name "%s\n" and size "%pa\n";
 * channels/<relid>/subchannel_id and monitor_id "%u\n" (vmbus_drv.c's channel attributes) and
 * `ring`, which for Linux is a 0600 binary attribute mapping the channel's rings: here a sparse
 * file of that size (access() and fstat() as the PMD uses them, §2 rows 13-18) whose mmap
 * libvsw_uio.so redirects to the rings in partition memory (shim.c).
 */
#include "uio.h"
#include "vsw_util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void gd_uio_guid_format(const struct vmbus_guid *g, char out[39], int braces)
{
	const uint8_t *b = g->b;

	/* %pUl: the first three fields are little-endian on the wire */
	snprintf(out, 39,
		"%s%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x%s",
		braces ? "{" : "", b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6], b[8], b[9],
		b[10], b[11], b[12], b[13], b[14], b[15], braces ? "}" : "");
}

int gd_uio_size_format(uint64_t size, char *buf, size_t len)
{
	return snprintf(buf, len, "0x%016llx\n", (unsigned long long)size);
}

void gd_uio_map_names(struct gd_uio_view *v, uint32_t recv_gpadl, uint32_t send_gpadl)
{
	snprintf(v->maps[0].name, GD_UIO_NAME_SIZE, "txrx_rings");
	snprintf(v->maps[1].name, GD_UIO_NAME_SIZE, "int_page");
	snprintf(v->maps[2].name, GD_UIO_NAME_SIZE, "monitor_page");
	snprintf(v->maps[3].name, GD_UIO_NAME_SIZE, "recv:%u", recv_gpadl);
	snprintf(v->maps[4].name, GD_UIO_NAME_SIZE, "send:%u", send_gpadl);
	v->n_maps = GD_UIO_MAPS;
}

static int file_put(const char *dir, const char *name, const char *text)
{
	char path[1024];
	size_t len = strlen(text);
	int fd, ret = 0;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0444);
	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != (ssize_t)len)
		ret = -EIO;
	close(fd);
	return ret;
}

static int dir_make(const char *path)
{
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}


static int maps_write(const char *uio_root, const struct gd_uio_view *v)
{
	char dir[768], text[64];
	unsigned int i;
	int ret;

	snprintf(dir, sizeof(dir), "%s/uio%u/maps", uio_root, v->uio_index);
	ret = vsw_mkdir_p(dir, 0755);
	for (i = 0; ret == 0 && i < v->n_maps; i++) {
		snprintf(dir, sizeof(dir), "%s/uio%u/maps/map%u", uio_root, v->uio_index, i);
		ret = dir_make(dir);
		if (ret)
			break;
		snprintf(text, sizeof(text), "%s\n", v->maps[i].name);
		ret = file_put(dir, "name", text);
		if (ret)
			break;
		gd_uio_size_format(v->maps[i].size, text, sizeof(text));
		ret = file_put(dir, "size", text);
	}
	return ret;
}

/* <devices>/<uuid>/channels into 'out'. */
static int chan_root(char *out, size_t len, const char *devices, const struct vmbus_guid *id)
{
	char uuid[39];

	gd_uio_guid_format(id, uuid, 0);
	if ((size_t)snprintf(out, len, "%s/%s/channels", devices, uuid) >= len)
		return -ENAMETOOLONG;
	return 0;
}

static int ring_put(const char *dir, uint64_t size)
{
	char path[1024];
	int fd, ret = 0;

	snprintf(path, sizeof(path), "%s/ring", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)size) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

int gd_uio_channel_write(
	const char *devices, const struct vmbus_guid *device_id, const struct gd_uio_chan_view *c)
{
	char root[600], tmp[700], fin[700], text[32];
	int ret;

	if (c->ring_size == 0 || c->ring_size % 4096 != 0 || c->relid > 0xffff)
		return -EINVAL;
	ret = chan_root(root, sizeof(root), devices, device_id);
	if (ret == 0)
		ret = vsw_mkdir_p(root, 0755);
	if (ret)
		return ret;
	snprintf(tmp, sizeof(tmp), "%s/.%u.new", root, c->relid);
	snprintf(fin, sizeof(fin), "%s/%u", root, c->relid);
	ret = dir_make(tmp);
	snprintf(text, sizeof(text), "%u\n", c->subchannel_id);
	ret = ret ?: file_put(tmp, "subchannel_id", text);
	snprintf(text, sizeof(text), "%u\n", c->monitor_id);
	ret = ret ?: file_put(tmp, "monitor_id", text);
	/* last: the PMD skips a directory without a ring ("not found (yet)") */
	ret = ret ?: ring_put(tmp, c->ring_size);
	if (ret == 0 && access(fin, F_OK) == 0)
		gd_uio_channel_remove(devices, device_id, c->relid); /* a view written again */
	if (ret == 0 && rename(tmp, fin) < 0)
		ret = -errno;
	return ret;
}

int gd_uio_channel_remove(const char *devices, const struct vmbus_guid *device_id, uint32_t relid)
{
	static const char *const files[] = {"ring", "subchannel_id", "monitor_id"};
	char root[600], tmp[700], fin[700], path[800];
	unsigned int i;
	int ret;

	ret = chan_root(root, sizeof(root), devices, device_id);
	if (ret)
		return ret;
	snprintf(tmp, sizeof(tmp), "%s/.%u.old", root, relid);
	snprintf(fin, sizeof(fin), "%s/%u", root, relid);
	/* out of sight at once, then emptied */
	if (rename(fin, tmp) < 0)
		return -errno;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", tmp, files[i]);
		unlink(path);
	}
	return rmdir(tmp) < 0 ? -errno : 0;
}

int gd_uio_view_write(const char *devices, const struct gd_uio_view *v)
{
	struct gd_uio_chan_view primary;
	char dev[512], tmp[600], fin[600], uuid[39], text[64];
	int ret;

	if (v->monitor_id >= 128 || v->n_maps > GD_UIO_MAPS)
		return -EINVAL;
	gd_uio_guid_format(&v->device_id, uuid, 0);
	if ((size_t)snprintf(dev, sizeof(dev), "%s/%s", devices, uuid) >= sizeof(dev))
		return -ENAMETOOLONG;
	ret = vsw_mkdir_p(dev, 0755);
	if (ret)
		return ret;
	gd_uio_guid_format(&v->class_id, uuid, 1);
	snprintf(text, sizeof(text), "%s\n", uuid);
	ret = file_put(dev, "class_id", text);
	gd_uio_guid_format(&v->device_id, uuid, 1);
	snprintf(text, sizeof(text), "%s\n", uuid);
	ret = ret ?: file_put(dev, "device_id", text);
	snprintf(text, sizeof(text), "%u\n", v->relid);
	ret = ret ?: file_put(dev, "id", text);
	snprintf(text, sizeof(text), "%u\n", v->monitor_id);
	ret = ret ?: file_put(dev, "monitor_id", text);
	snprintf(text, sizeof(text), "%d\n", v->numa_node);
	ret = ret ?: file_put(dev, "numa_node", text);
	if (ret)
		return ret;
	/* the primary's channel directory (uio_hv_generic gives it a ring too) tells the PMD that
	 * subchannels are possible */
	if (v->multi_queue && v->n_maps > 0) {
		primary = (struct gd_uio_chan_view){.relid = v->relid,
			.monitor_id = v->monitor_id,
			.ring_size = v->maps[0].size};
		ret = gd_uio_channel_write(devices, &v->device_id, &primary);
		if (ret)
			return ret;
	}
	/* uio/ appears complete or not at all */
	snprintf(tmp, sizeof(tmp), "%s/.uio.new", dev);
	snprintf(fin, sizeof(fin), "%s/uio", dev);
	ret = maps_write(tmp, v);
	if (ret == 0 && rename(tmp, fin) < 0)
		ret = -errno;
	return ret;
}
