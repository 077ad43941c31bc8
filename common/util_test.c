/* SPDX-License-Identifier: BSD-3-Clause */
#include "vsw_util.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void parse_u32_accepts_bounds_and_rejects_garbage(void **state)
{
	uint32_t v = 7;

	assert_int_equal(vsw_parse_u32("0", 0, 10, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(vsw_parse_u32("4094", 1, 4094, &v), 0);
	assert_int_equal(v, 4094);
	assert_int_equal(vsw_parse_u32("4095", 1, 4094, &v), -ERANGE);
	assert_int_equal(vsw_parse_u32("0", 1, 4094, &v), -ERANGE);
	assert_int_equal(vsw_parse_u32("", 0, 10, &v), -EINVAL);
	assert_int_equal(vsw_parse_u32("-1", 0, 10, &v), -EINVAL);
	assert_int_equal(vsw_parse_u32("12a", 0, 100, &v), -EINVAL);
	assert_int_equal(vsw_parse_u32(" 1", 0, 100, &v), -EINVAL);
	assert_int_equal(vsw_parse_u32("99999999999999999999", 0, UINT32_MAX, &v), -ERANGE);
	assert_int_equal(v, 4094);
}

static void vlan_list_parses_ranges_and_formats_back(void **state)
{
	uint64_t bm[VSW_VLAN_BITMAP_WORDS] = {0};
	char err[128], out[64];

	assert_int_equal(vsw_vlan_list_parse("10,20-22,4094,1", bm, err, sizeof(err)), 0);
	assert_true(vsw_bitmap_test(bm, 1));
	assert_true(vsw_bitmap_test(bm, 10));
	assert_true(vsw_bitmap_test(bm, 21));
	assert_true(vsw_bitmap_test(bm, 4094));
	assert_false(vsw_bitmap_test(bm, 23));
	assert_false(vsw_bitmap_test(bm, 0));
	assert_int_equal(vsw_vlan_list_format(bm, out, sizeof(out)), (int)strlen("1,10,20-22,4094"));
	assert_string_equal(out, "1,10,20-22,4094");
}

static void vlan_list_rejects_bad_input_without_touching_bitmap(void **state)
{
	const char *bad[] = {"0", "4095", "5000", "10-5", "a", "1,,2", ",1", "1,", "1-", "-3",
		"1-4095", "10 20"};
	uint64_t bm[VSW_VLAN_BITMAP_WORDS] = {0};
	char err[128];
	size_t i;

	vsw_bitmap_set(bm, 7);
	for (i = 0; i < VSW_ARRAY_SIZE(bad); i++) {
		err[0] = '\0';
		assert_int_not_equal(vsw_vlan_list_parse(bad[i], bm, err, sizeof(err)), 0);
		assert_true(strlen(err) > 0);
		assert_true(vsw_bitmap_test(bm, 7));
	}
}

static void vlan_list_format_reports_small_buffer(void **state)
{
	uint64_t bm[VSW_VLAN_BITMAP_WORDS] = {0};
	char out[4];

	vsw_bitmap_set(bm, 100);
	vsw_bitmap_set(bm, 300);
	assert_int_equal(vsw_vlan_list_format(bm, out, sizeof(out)), -ENOSPC);
}

static void file_write_atomic_replaces_content(void **state)
{
	char dir[] = "/tmp/vsw-util-test-XXXXXX";
	char path[128], *data = NULL;
	size_t size;
	struct stat st;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/conf.json", dir);
	assert_int_equal(vsw_file_write_atomic(path, "old", 3, 0600), 0);
	assert_int_equal(vsw_file_write_atomic(path, "new!", 4, 0600), 0);
	assert_int_equal(vsw_file_read(path, 100, &data, &size), 0);
	assert_int_equal(size, 4);
	assert_string_equal(data, "new!");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	free(data);
	assert_int_equal(vsw_file_read(path, 2, &data, &size), -EFBIG);
	unlink(path);
	assert_int_equal(rmdir(dir), 0); /* no temporary file left behind */
}

static void file_write_atomic_fails_cleanly_in_missing_dir(void **state)
{
	assert_int_equal(vsw_file_write_atomic("/nonexistent-dir/x.json", "x", 1, 0600), -ENOENT);
}

static void name_validation(void **state)
{
	assert_true(vsw_name_is_valid("p1"));
	assert_true(vsw_name_is_valid("uplink-0.v_1"));
	assert_false(vsw_name_is_valid(""));
	assert_false(vsw_name_is_valid("-p"));
	assert_false(vsw_name_is_valid("a/b"));
	assert_false(vsw_name_is_valid("has space"));
	assert_false(vsw_name_is_valid("sixteen-chars-xx"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_u32_accepts_bounds_and_rejects_garbage),
		cmocka_unit_test(vlan_list_parses_ranges_and_formats_back),
		cmocka_unit_test(vlan_list_rejects_bad_input_without_touching_bitmap),
		cmocka_unit_test(vlan_list_format_reports_small_buffer),
		cmocka_unit_test(file_write_atomic_replaces_content),
		cmocka_unit_test(file_write_atomic_fails_cleanly_in_missing_dir),
		cmocka_unit_test(name_validation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
