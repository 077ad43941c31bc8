/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The uio view's sysfs files (sysfs.c): names, formats and sizes against strings written by hand
 * from reference/dpdk-netvsc-guest.md §2 and §3.1 (Linux 6.1's formats), the tree's shape, and
 * that "uio" appears only complete.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "uio.h"

/* netvsc class f8615163-df3e-46c5-913f-f2d2f965ed0e in wire order (first three fields LE) */
static const struct vmbus_guid netvsc_class = {{0x63, 0x51, 0x61, 0xf8, 0x3e, 0xdf, 0xc5, 0x46,
	0x91, 0x3f, 0xf2, 0xd2, 0xf9, 0x65, 0xed, 0x0e}};
/* an instance 1c3f513b-f69d-8f6d-b45e-57a930079859 */
static const struct vmbus_guid instance = {{0x3b, 0x51, 0x3f, 0x1c, 0x9d, 0xf6, 0x6d, 0x8f, 0xb4,
	0x5e, 0x57, 0xa9, 0x30, 0x07, 0x98, 0x59}};
#define DEV "1c3f513b-f69d-8f6d-b45e-57a930079859"

static char root[64];

static int setup(void **state)
{
	snprintf(root, sizeof(root), "/tmp/uio_sysfs_test.XXXXXX");
	assert_non_null(mkdtemp(root));
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

static void expect_file(const char *rel, const char *want)
{
	char path[512], buf[256];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/devices/%s", root, rel);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		fail_msg("%s: %s", path, strerror(errno));
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_true(n >= 0);
	buf[n] = '\0';
	assert_string_equal(buf, want);
}

static bool exists(const char *rel)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof(path), "%s/devices/%s", root, rel);
	return stat(path, &st) == 0;
}

static void view_default(struct gd_uio_view *v)
{
	memset(v, 0, sizeof(*v));
	v->class_id = netvsc_class;
	v->device_id = instance;
	v->relid = 14;
	v->monitor_id = 7;
	v->numa_node = -1;
	v->uio_index = 0;
	gd_uio_map_names(v, 925200, 925201);
	v->maps[0].size = 0x400000;
	v->maps[1].size = 4096;
	v->maps[2].size = 4096;
	v->maps[3].size = 16u << 20;
	v->maps[4].size = 0x1f00000;
}

static void guid_format_is_pUl(void **state)
{
	char s[39];

	gd_uio_guid_format(&netvsc_class, s, 1);
	assert_string_equal(s, "{f8615163-df3e-46c5-913f-f2d2f965ed0e}");
	gd_uio_guid_format(&instance, s, 0);
	assert_string_equal(s, DEV);
}

static void size_format_is_pa(void **state)
{
	char s[32];

	assert_int_equal(gd_uio_size_format(0x400000, s, sizeof(s)), 19);
	assert_string_equal(s, "0x0000000000400000\n");
	gd_uio_size_format(4096, s, sizeof(s));
	assert_string_equal(s, "0x0000000000001000\n");
	gd_uio_size_format(0xffffffffffffffffull, s, sizeof(s));
	assert_string_equal(s, "0xffffffffffffffff\n");
	gd_uio_size_format(0, s, sizeof(s));
	assert_string_equal(s, "0x0000000000000000\n");
}

static void map_names_as_uio_hv_generic(void **state)
{
	struct gd_uio_view v;

	memset(&v, 0, sizeof(v));
	gd_uio_map_names(&v, 0, 4294967295u);
	assert_int_equal(v.n_maps, 5);
	assert_string_equal(v.maps[0].name, "txrx_rings");
	assert_string_equal(v.maps[1].name, "int_page");
	assert_string_equal(v.maps[2].name, "monitor_page");
	assert_string_equal(v.maps[3].name, "recv:0");
	assert_string_equal(v.maps[4].name, "send:4294967295");
}

static void tree_written_in_kernel_formats(void **state)
{
	struct gd_uio_view v;
	char devices[128];

	view_default(&v);
	snprintf(devices, sizeof(devices), "%s/devices", root);
	assert_int_equal(gd_uio_view_write(devices, &v), 0);
	expect_file(DEV "/class_id", "{f8615163-df3e-46c5-913f-f2d2f965ed0e}\n");
	expect_file(DEV "/device_id", "{" DEV "}\n");
	expect_file(DEV "/id", "14\n");
	expect_file(DEV "/monitor_id", "7\n");
	expect_file(DEV "/numa_node", "-1\n");
	expect_file(DEV "/uio/uio0/maps/map0/name", "txrx_rings\n");
	expect_file(DEV "/uio/uio0/maps/map0/size", "0x0000000000400000\n");
	expect_file(DEV "/uio/uio0/maps/map1/name", "int_page\n");
	expect_file(DEV "/uio/uio0/maps/map1/size", "0x0000000000001000\n");
	expect_file(DEV "/uio/uio0/maps/map2/name", "monitor_page\n");
	expect_file(DEV "/uio/uio0/maps/map2/size", "0x0000000000001000\n");
	expect_file(DEV "/uio/uio0/maps/map3/name", "recv:925200\n");
	expect_file(DEV "/uio/uio0/maps/map3/size", "0x0000000001000000\n");
	expect_file(DEV "/uio/uio0/maps/map4/name", "send:925201\n");
	expect_file(DEV "/uio/uio0/maps/map4/size", "0x0000000001f00000\n");
	/* five maps, no sixth; the staging directory is gone; no channels/ (single queue: the
	 * PMD's access() of channels/<relid>/ring must fail) */
	assert_false(exists(DEV "/uio/uio0/maps/map5"));
	assert_false(exists(DEV "/.uio.new"));
	assert_false(exists(DEV "/channels"));
}

/* queues > 1: the primary's channels/<relid>/ as the PMD checks it (§2 row 13) */
static void primary_channel_for_multi_queue(void **state)
{
	struct gd_uio_view v;
	char devices[128], path[256];
	struct stat st;

	view_default(&v);
	v.multi_queue = true;
	snprintf(devices, sizeof(devices), "%s/devices", root);
	assert_int_equal(gd_uio_view_write(devices, &v), 0);
	expect_file(DEV "/channels/14/subchannel_id", "0\n");
	expect_file(DEV "/channels/14/monitor_id", "7\n");
	snprintf(path, sizeof(path), "%s/devices/" DEV "/channels/14/ring", root);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 0x400000); /* map 0: both rings */
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_blocks, 0); /* sparse: a placeholder, not memory */
	assert_false(exists(DEV "/channels/.14.new"));
}

static void subchannel_directories(void **state)
{
	struct gd_uio_chan_view c = {
		.relid = 17, .subchannel_id = 3, .monitor_id = 0, .ring_size = 0x400000};
	char devices[128], path[256];
	struct stat st;

	snprintf(devices, sizeof(devices), "%s/devices", root);
	assert_int_equal(gd_uio_channel_write(devices, &instance, &c), 0);
	expect_file(DEV "/channels/17/subchannel_id", "3\n");
	expect_file(DEV "/channels/17/monitor_id", "0\n");
	snprintf(path, sizeof(path), "%s/devices/" DEV "/channels/17/ring", root);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 0x400000);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* the largest relid the PMD takes, index 15 */
	c.relid = 65535;
	c.subchannel_id = 15;
	c.ring_size = 0x2000;
	assert_int_equal(gd_uio_channel_write(devices, &instance, &c), 0);
	expect_file(DEV "/channels/65535/subchannel_id", "15\n");
	/* written again (same relid): replaced, not refused */
	c.subchannel_id = 14;
	assert_int_equal(gd_uio_channel_write(devices, &instance, &c), 0);
	expect_file(DEV "/channels/65535/subchannel_id", "14\n");
	/* refused: relid the PMD cannot parse, ring size 0 or not whole pages */
	c.relid = 65536;
	assert_int_equal(gd_uio_channel_write(devices, &instance, &c), -EINVAL);
	c.relid = 18;
	c.ring_size = 0;
	assert_int_equal(gd_uio_channel_write(devices, &instance, &c), -EINVAL);
	c.ring_size = 0x2001;
	assert_int_equal(gd_uio_channel_write(devices, &instance, &c), -EINVAL);
	assert_false(exists(DEV "/channels/18"));
	assert_false(exists(DEV "/channels/.18.new"));
	/* removal: gone entirely, a second removal says so */
	assert_int_equal(gd_uio_channel_remove(devices, &instance, 17), 0);
	assert_false(exists(DEV "/channels/17"));
	assert_false(exists(DEV "/channels/.17.old"));
	assert_true(exists(DEV "/channels/65535/ring"));
	assert_int_equal(gd_uio_channel_remove(devices, &instance, 17), -ENOENT);
}

static void uio_index_names_the_directory(void **state)
{
	struct gd_uio_view v;
	char devices[128];

	view_default(&v);
	v.uio_index = 3;
	snprintf(devices, sizeof(devices), "%s/devices", root);
	assert_int_equal(gd_uio_view_write(devices, &v), 0);
	assert_true(exists(DEV "/uio/uio3/maps/map4/size"));
	assert_false(exists(DEV "/uio/uio0"));
}

static void refused_views(void **state)
{
	struct gd_uio_view v;
	char devices[128];

	snprintf(devices, sizeof(devices), "%s/devices", root);
	/* DPDK indexes 4 groups of 32 monitor bits: 128 is out of range */
	view_default(&v);
	v.monitor_id = 128;
	assert_int_equal(gd_uio_view_write(devices, &v), -EINVAL);
	assert_false(exists(DEV));
	v.monitor_id = 127;
	assert_int_equal(gd_uio_view_write(devices, &v), 0);
	expect_file(DEV "/monitor_id", "127\n");
	/* a second write cannot replace a uio directory a PMD may already use */
	assert_int_not_equal(gd_uio_view_write(devices, &v), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(guid_format_is_pUl),
		cmocka_unit_test(size_format_is_pa),
		cmocka_unit_test(map_names_as_uio_hv_generic),
		cmocka_unit_test_setup_teardown(tree_written_in_kernel_formats, setup, teardown),
		cmocka_unit_test_setup_teardown(uio_index_names_the_directory, setup, teardown),
		cmocka_unit_test_setup_teardown(primary_channel_for_multi_queue, setup, teardown),
		cmocka_unit_test_setup_teardown(subchannel_directories, setup, teardown),
		cmocka_unit_test_setup_teardown(refused_views, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
