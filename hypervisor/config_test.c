/* SPDX-License-Identifier: BSD-3-Clause */
/* vmmd's configuration file: save/load round trip, refusal of anything malformed. */
#include "vmm.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vsw_util.h"

static char dir[64], path[128], err[256];

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/vmm_config_test.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/vmmd.json", dir);
	return 0;
}

static int teardown(void **state)
{
	unlink(path);
	rmdir(dir);
	return 0;
}

static void write_text(const char *text)
{
	assert_int_equal(vsw_file_write_atomic(path, text, strlen(text), 0600), 0);
}

static void make_def(struct vmm_part_config *c, const char *name, unsigned int n_nics)
{
	unsigned int i;

	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->memory_mb = 128;
	c->cpus_centi = 25;
	snprintf(c->cmd, sizeof(c->cmd), "sh -c 'echo \"%s\"; sleep 1'", name);
	c->n_nics = n_nics;
	for (i = 0; i < n_nics; i++) {
		snprintf(c->nics[i].sw, sizeof(c->nics[i].sw), "sw%u", i);
		snprintf(c->nics[i].port, sizeof(c->nics[i].port), "%s-%u", name, i);
		c->nics[i].mac[0] = 0x02;
		c->nics[i].mac[5] = (uint8_t)(i + 1);
		c->nics[i].queues = i == 1 ? 4 : 1; /* "queues" is kept only when not 1 */
	}
}

static void config_save_load_round_trip(void **state)
{
	struct vmm_part_config defs[3], *loaded;
	const struct vmm_part_config *ptrs[3] = {&defs[0], &defs[1], &defs[2]};
	unsigned int n, i;
	char *text;

	make_def(&defs[0], "vm1", 0);
	make_def(&defs[1], "vm2", 1);
	make_def(&defs[2], "vm3", VMM_MAX_NICS);
	defs[1].cpus_centi = 110;
	defs[2].cpus_centi = 0;
	memset(defs[2].cmd, 0, sizeof(defs[2].cmd));
	text = vmm_config_dump(ptrs, 3);
	assert_non_null(text);
	assert_non_null(strstr(text, "\"cpus\": 1.1,")); /* not 1.1000000000000001 */
	write_text(text);
	free(text);
	assert_int_equal(vmm_config_load(path, &loaded, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 3);
	for (i = 0; i < 3; i++)
		assert_memory_equal(&loaded[i], &defs[i], sizeof(defs[i]));
	free(loaded);
}

static void config_load_missing_file_is_empty(void **state)
{
	struct vmm_part_config *loaded = (void *)1;
	unsigned int n = 9;

	assert_int_equal(vmm_config_load(path, &loaded, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 0);
	free(loaded);
}

static void config_load_empty_list(void **state)
{
	struct vmm_part_config *loaded;
	unsigned int n = 9;

	write_text("{\"version\": 1, \"partitions\": []}");
	assert_int_equal(vmm_config_load(path, &loaded, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 0);
	free(loaded);
}

static void config_load_refuses_corrupt_files_and_leaves_them(void **state)
{
	static const char *const bad[] = {
		"",
		"{\"version\": 1, \"partitions\": [{\"name\": \"x\"", /* truncated */
		"{\"version\": 2, \"partitions\": []}",
		"{\"version\": \"1\", \"partitions\": []}",
		"{\"partitions\": []}",
		"{\"version\": 1}",
		"{\"version\": 1, \"partitions\": {}}",
		"[]",
		"{\"version\": 1, \"partitions\": [{\"name\": \"a\", \"memory\": 8}]}",
		"{\"version\": 1, \"partitions\": [{\"name\": \"a\", \"memory\": 64}, "
		"{\"name\": \"a\", \"memory\": 32}]}",			/* twice */
		"{\"version\": 1, \"version\": 1, \"partitions\": []}", /* duplicate key */
		"{\"version\": 1, \"partitions\": [{\"name\": \"a\", \"memory\": 64, \"x\": 1}]}",
		"{\"version\": 1, \"partitions\": [7]}",
	};
	struct vmm_part_config *loaded;
	unsigned int i, n;
	char *text;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_text(bad[i]);
		err[0] = '\0';
		loaded = NULL;
		if (vmm_config_load(path, &loaded, &n, err, sizeof(err)) != -EINVAL)
			fail_msg("file %u was accepted: %s", i, bad[i]);
		assert_true(err[0] != '\0');
		assert_null(loaded);
		assert_int_equal(vsw_file_read(path, 1 << 20, &text, NULL), 0);
		assert_string_equal(text, bad[i]);
		free(text);
	}
}

static void config_load_refuses_nul_byte(void **state)
{
	struct vmm_part_config *loaded;
	static const char text[] = "{\"version\": 1, \"partitions\": []}\0junk";
	unsigned int n;

	assert_int_equal(vsw_file_write_atomic(path, text, sizeof(text) - 1, 0600), 0);
	assert_int_equal(vmm_config_load(path, &loaded, &n, err, sizeof(err)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(config_save_load_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(config_load_missing_file_is_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(config_load_empty_list, setup, teardown),
		cmocka_unit_test_setup_teardown(
			config_load_refuses_corrupt_files_and_leaves_them, setup, teardown),
		cmocka_unit_test_setup_teardown(config_load_refuses_nul_byte, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
