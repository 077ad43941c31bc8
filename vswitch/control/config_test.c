/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

static char dir[] = "/tmp/vsw-config-test-XXXXXX";
static char path[128];

static void sample(struct vs_config *c)
{
	json_t *o = json_pack("{s:i, s:s}", "tag", 10, "vlan_mode", "access");
	char err[160];

	memset(c, 0, sizeof(*c));
	c->ageing = 42;
	c->n_ports = 2;
	strcpy(c->ports[0].name, "p1");
	strcpy(c->ports[0].devargs, "net_af_packet,iface=veth1");
	vs_settings_default(&c->ports[0].set);
	strcpy(c->ports[1].name, "uplink");
	strcpy(c->ports[1].devargs, "net_ring0");
	vs_settings_default(&c->ports[1].set);
	assert_int_equal(vs_settings_apply(&c->ports[1].set, o, &c->ports[1].set, err, 160), 0);
	json_decref(o);
}

static void save_then_load_gives_the_same_config(void **state)
{
	struct vs_config a, b;
	char err[256];

	sample(&a);
	assert_int_equal(vs_config_save(path, &a), 0);
	assert_int_equal(vs_config_load(path, &b, err, sizeof(err)), 0);
	assert_int_equal(b.ageing, 42);
	assert_int_equal(b.n_ports, 2);
	assert_string_equal(b.ports[1].devargs, "net_ring0");
	assert_memory_equal(&a.ports[0], &b.ports[0], sizeof(a.ports[0]));
	assert_memory_equal(&a.ports[1], &b.ports[1], sizeof(a.ports[1]));
}

static void missing_file_is_an_empty_config(void **state)
{
	struct vs_config c;
	char err[256];

	unlink(path);
	c.n_ports = 99;
	assert_int_equal(vs_config_load(path, &c, err, sizeof(err)), 0);
	assert_int_equal(c.n_ports, 0);
	assert_int_equal(c.ageing, VS_AGEING_DEFAULT);
}

static void write_raw(const char *text, size_t len)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	fclose(f);
}

static void truncated_file_is_refused_and_config_kept(void **state)
{
	struct vs_config good, c;
	char err[256], *text;
	size_t cut;

	sample(&good);
	text = vs_config_dump(&good);
	assert_non_null(text);
	/* every truncation point gives a clear error, never a partial config */
	for (cut = 0; cut < strlen(text) - 1; cut += 7) {
		c = good;
		c.ageing = 7;
		write_raw(text, cut);
		err[0] = '\0';
		assert_int_equal(vs_config_load(path, &c, err, sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, path));
		assert_int_equal(c.ageing, 7); /* untouched */
	}
	free(text);
}

static void garbage_and_invalid_content_is_refused(void **state)
{
	const char *bad[] = {
		"\x7f" "ELF\x01\x02garbage",
		"[]",
		"{}",
		"{\"version\": 2}",
		"{\"version\": 1, \"ageing\": 0}",
		"{\"version\": 1, \"ports\": {}}",
		"{\"version\": 1, \"ports\": [{\"name\": \"p1\"}]}",
		"{\"version\": 1, \"ports\": [{\"name\": \"bad name\", \"devargs\": \"x\"}]}",
		"{\"version\": 1, \"ports\": [{\"name\": \"p\", \"devargs\": \"x\", \"tag\": 5000}]}",
		"{\"version\": 1, \"ports\": [{\"name\": \"p\", \"devargs\": \"x\"},"
		" {\"name\": \"p\", \"devargs\": \"y\"}]}",
		"{\"version\": 1, \"version\": 1}",
	};
	struct vs_config c;
	char err[256];
	size_t i;

	for (i = 0; i < VSW_ARRAY_SIZE(bad); i++) {
		write_raw(bad[i], strlen(bad[i]));
		c.n_ports = 5;
		err[0] = '\0';
		assert_int_equal(vs_config_load(path, &c, err, sizeof(err)), -EINVAL);
		assert_true(strlen(err) > strlen(path) + 2);
		assert_int_equal(c.n_ports, 5);
	}
}

static int setup(void **state)
{
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/vswitchd.json", dir);
	return 0;
}

static int teardown(void **state)
{
	unlink(path);
	return rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(save_then_load_gives_the_same_config),
		cmocka_unit_test(missing_file_is_an_empty_config),
		cmocka_unit_test(truncated_file_is_refused_and_config_kept),
		cmocka_unit_test(garbage_and_invalid_content_is_refused),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
