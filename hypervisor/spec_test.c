/* SPDX-License-Identifier: BSD-3-Clause */
/* Partition definitions: MAC, CPU and NIC-spec parsing, JSON validation. */
#include "vmm.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

static char err[256];

static void mac_parse_accepts_both_cases_and_rejects_malformed(void **state)
{
	uint8_t mac[6] = {0}, want[6] = {0x02, 0xab, 0xCD, 0x00, 0x10, 0xff};

	assert_int_equal(vmm_mac_parse("02:ab:CD:00:10:FF", mac), 0);
	assert_memory_equal(mac, want, 6);
	memset(mac, 0x55, 6);
	assert_int_equal(vmm_mac_parse("02:ab:cd:00:10:f", mac), -EINVAL);   /* 16 chars */
	assert_int_equal(vmm_mac_parse("02:ab:cd:00:10:ff0", mac), -EINVAL); /* 18 chars */
	assert_int_equal(vmm_mac_parse("02-ab-cd-00-10-ff", mac), -EINVAL);
	assert_int_equal(vmm_mac_parse("02:ab:cd:00:10:fg", mac), -EINVAL);
	assert_int_equal(vmm_mac_parse("0x:ab:cd:00:10:ff", mac), -EINVAL);
	assert_int_equal(vmm_mac_parse("", mac), -EINVAL);
	assert_int_equal(mac[0], 0x55); /* untouched on error */
}

static void mac_format_is_lower_case(void **state)
{
	uint8_t mac[6] = {0x02, 0xAB, 0, 1, 0xfe, 0xff};
	char buf[18];

	vmm_mac_format(mac, buf);
	assert_string_equal(buf, "02:ab:00:01:fe:ff");
}

static void cpus_parse_takes_at_most_two_decimals(void **state)
{
	uint32_t c = 0;

	assert_int_equal(vmm_cpus_parse("1", 200, &c), 0);
	assert_int_equal(c, 100);
	assert_int_equal(vmm_cpus_parse("1.5", 200, &c), 0);
	assert_int_equal(c, 150);
	assert_int_equal(vmm_cpus_parse("0.01", 200, &c), 0);
	assert_int_equal(c, 1);
	assert_int_equal(vmm_cpus_parse("0.10", 200, &c), 0);
	assert_int_equal(c, 10);
	assert_int_equal(vmm_cpus_parse("2.00", 200, &c), 0);
	assert_int_equal(c, 200);
	assert_int_equal(vmm_cpus_parse("0.015", 200, &c), -EINVAL);
	assert_int_equal(vmm_cpus_parse("1.", 200, &c), -EINVAL);
	assert_int_equal(vmm_cpus_parse(".5", 200, &c), -EINVAL);
	assert_int_equal(vmm_cpus_parse("-1", 200, &c), -EINVAL);
	assert_int_equal(vmm_cpus_parse("1e2", 200, &c), -EINVAL);
	assert_int_equal(vmm_cpus_parse("", 200, &c), -EINVAL);
	assert_int_equal(vmm_cpus_parse("0", 200, &c), -ERANGE);
	assert_int_equal(vmm_cpus_parse("0.00", 200, &c), -ERANGE);
	assert_int_equal(vmm_cpus_parse("2.01", 200, &c), -ERANGE);
	assert_int_equal(vmm_cpus_parse("99999999999", 200, &c), -EINVAL);     /* > u32 */
	assert_int_equal(vmm_cpus_parse("42949673", UINT32_MAX, &c), -ERANGE); /* x100 > u32 */
}

static void cpus_format_drops_trailing_zeros(void **state)
{
	char buf[16];

	vmm_cpus_format(150, buf, sizeof(buf));
	assert_string_equal(buf, "1.5");
	vmm_cpus_format(1, buf, sizeof(buf));
	assert_string_equal(buf, "0.01");
	vmm_cpus_format(200, buf, sizeof(buf));
	assert_string_equal(buf, "2");
	vmm_cpus_format(105, buf, sizeof(buf));
	assert_string_equal(buf, "1.05");
}

static void nic_spec_parse_accepts_any_key_order(void **state)
{
	uint8_t want[6] = {2, 0, 0, 0, 0, 0x1a};
	struct vmm_nic nic;

	assert_int_equal(vmm_nic_spec_parse("port=p1,mac=02:00:00:00:00:1A,switch=sw-a", &nic, err,
				 sizeof(err)),
		0);
	assert_string_equal(nic.sw, "sw-a");
	assert_string_equal(nic.port, "p1");
	assert_memory_equal(nic.mac, want, 6);
	assert_int_equal(nic.queues, 1); /* default: no subchannels */
	assert_int_equal(vmm_nic_spec_parse("queues=4,port=p1,mac=02:00:00:00:00:1A,switch=sw-a",
				 &nic, err, sizeof(err)),
		0);
	assert_int_equal(nic.queues, 4);
	assert_int_equal(vmm_nic_spec_parse("switch=s,mac=02:00:00:00:00:1A,port=p,queues=16", &nic,
				 err, sizeof(err)),
		0);
	assert_int_equal(nic.queues, VMM_MAX_QUEUES);
}

static void nic_spec_parse_rejects_each_bad_field(void **state)
{
	static const char *const bad[] = {
		"switch=sw,mac=02:00:00:00:00:01",			/* no port */
		"switch=sw,port=p",					/* no mac */
		"mac=02:00:00:00:00:01,port=p",				/* no switch */
		"switch=sw,mac=02:00:00:00:00:01,port=p,vlan=5",	/* unknown key */
		"switch=sw,switch=sw2,mac=02:00:00:00:00:01,port=p",	/* key twice */
		"switch=sw,mac=01:00:00:00:00:01,port=p",		/* multicast */
		"switch=sw,mac=ff:ff:ff:ff:ff:ff,port=p",		/* broadcast */
		"switch=sw,mac=00:00:00:00:00:00,port=p",		/* zero */
		"switch=sw,mac=02:00:00:00:00,port=p",			/* short MAC */
		"switch=sw,mac=02:00:00:00:00:01,port=-p",		/* bad port name */
		"switch=sw,mac=02:00:00:00:00:01,port=p,queues=0",	/* no channel */
		"switch=sw,mac=02:00:00:00:00:01,port=p,queues=17",	/* above the maximum */
		"switch=sw,mac=02:00:00:00:00:01,port=p,queues=2x",	/* not a number */
		"switch=sw,mac=02:00:00:00:00:01,port=p,queues=2,queues=3",	/* twice */
		"switch=a234567890123456,mac=02:00:00:00:00:01,port=p", /* 16 chars */
		"switch=sw,mac=02:00:00:00:00:01,port=",		/* empty port */
		"switch=sw,mac=02:00:00:00:00:01,port=p,junk",		/* not KEY=VALUE */
		"=x,switch=sw,mac=02:00:00:00:00:01,port=p",		/* empty key */
		"switch=sw,mac=02:00:00:00:00:01,port=p,guest=dpdk",	/* unknown guest */
		"switch=sw,mac=02:00:00:00:00:01,port=p,guest=",	/* empty guest */
		"switch=sw,mac=02:00:00:00:00:01,port=p,guest=uio,guest=uio", /* twice */
		"switch=sw,mac=02:00:00:00:00:01,guest=uio",		/* guest is not enough */
		"",
	};
	struct vmm_nic nic;
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (vmm_nic_spec_parse(bad[i], &nic, err, sizeof(err)) != -EINVAL)
			fail_msg("NIC spec '%s' was accepted", bad[i]);
		assert_true(err[0] != '\0');
	}
}

static json_t *good_def(void);

/* guest= is optional: netvsc (our driver, the default) or uio (DESIGN.md decision 12). */
static void nic_spec_guest_key(void **state)
{
	struct vmm_nic nic;

	assert_int_equal(vmm_nic_spec_parse("switch=sw,mac=02:00:00:00:00:01,port=p", &nic, err,
				 sizeof(err)), 0);
	assert_false(nic.guest_uio);
	assert_int_equal(vmm_nic_spec_parse("guest=uio,switch=sw,mac=02:00:00:00:00:01,port=p", &nic,
				 err, sizeof(err)), 0);
	assert_true(nic.guest_uio);
	assert_string_equal(nic.port, "p");
	assert_int_equal(vmm_nic_spec_parse("switch=sw,mac=02:00:00:00:00:01,port=p,guest=netvsc",
				 &nic, err, sizeof(err)), 0);
	assert_false(nic.guest_uio);
}

/* A partition's NICs are all guest=uio or none (vsw-guest-init presents them all or drives eth0);
 * "guest": "uio" survives the JSON round trip, and a netvsc NIC is written without the key. */
static void uio_nics_not_mixed_and_kept_in_json(void **state)
{
	struct vmm_part_config a, b;
	json_t *j, *k;

	j = json_pack("{s:s, s:i, s:[{s:s, s:s, s:s, s:s}, {s:s, s:s, s:s}]}", "name", "vm1",
		"memory", 256, "nics", "switch", "sw1", "mac", "02:00:00:00:00:01", "port", "p1",
		"guest", "uio", "switch", "sw1", "mac", "02:00:00:00:00:02", "port", "p2");
	assert_int_equal(vmm_part_config_from_json(j, 200, &a, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "cannot share a partition"));
	json_decref(j);
	/* the other order too */
	j = json_pack("{s:s, s:i, s:[{s:s, s:s, s:s}, {s:s, s:s, s:s, s:s}]}", "name", "vm1",
		"memory", 256, "nics", "switch", "sw1", "mac", "02:00:00:00:00:01", "port", "p1",
		"switch", "sw1", "mac", "02:00:00:00:00:02", "port", "p2", "guest", "uio");
	assert_int_equal(vmm_part_config_from_json(j, 200, &a, err, sizeof(err)), -EINVAL);
	json_decref(j);
	/* two uio NICs */
	j = json_pack("{s:s, s:i, s:[{s:s, s:s, s:s, s:s}, {s:s, s:s, s:s, s:s}]}", "name", "vm1",
		"memory", 256, "nics", "switch", "sw1", "mac", "02:00:00:00:00:01", "port", "p1",
		"guest", "uio", "switch", "sw1", "mac", "02:00:00:00:00:02", "port", "p2", "guest",
		"uio");
	assert_int_equal(vmm_part_config_from_json(j, 200, &a, err, sizeof(err)), 0);
	assert_int_equal(a.n_nics, 2);
	assert_true(a.nics[0].guest_uio && a.nics[1].guest_uio);
	json_decref(j);
	j = json_pack("{s:s, s:i, s:[{s:s, s:s, s:s, s:s}]}", "name", "vm1", "memory", 256, "nics",
		"switch", "sw1", "mac", "02:00:00:00:00:01", "port", "p1", "guest", "uio");
	assert_int_equal(vmm_part_config_from_json(j, 200, &a, err, sizeof(err)), 0);
	assert_true(a.nics[0].guest_uio);
	k = vmm_part_config_to_json(&a);
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(k,
		"nics"), 0), "guest")), "uio");
	assert_int_equal(vmm_part_config_from_json(k, 200, &b, err, sizeof(err)), 0);
	assert_memory_equal(&a, &b, sizeof(a));
	json_decref(j);
	json_decref(k);
	j = good_def();
	assert_int_equal(vmm_part_config_from_json(j, 200, &a, err, sizeof(err)), 0);
	k = vmm_part_config_to_json(&a);
	assert_null(json_object_get(json_array_get(json_object_get(k, "nics"), 0), "guest"));
	json_decref(j);
	json_decref(k);
}

static json_t *good_def(void)
{
	return json_pack("{s:s, s:i, s:f, s:s, s:[{s:s, s:s, s:s}, {s:s, s:s, s:s}]}", "name",
		"vm1", "memory", 256, "cpus", 1.5, "cmd", "iperf3 -s", "nics", "switch", "sw1",
		"mac", "02:00:00:00:00:01", "port", "p1", "switch", "sw2", "mac",
		"02:00:00:00:00:02", "port", "p1");
}

static void config_from_json_accepts_full_definition(void **state)
{
	struct vmm_part_config c;
	json_t *j = good_def();

	assert_int_equal(vmm_part_config_from_json(j, 200, &c, err, sizeof(err)), 0);
	assert_string_equal(c.name, "vm1");
	assert_int_equal(c.memory_mb, 256);
	assert_int_equal(c.cpus_centi, 150);
	assert_string_equal(c.cmd, "iperf3 -s");
	assert_int_equal(c.n_nics, 2);
	assert_string_equal(c.nics[1].sw, "sw2");
	assert_int_equal(c.nics[1].mac[5], 2);
	json_decref(j);
}

static void config_from_json_defaults_optional_fields(void **state)
{
	struct vmm_part_config c;
	json_t *j = json_pack("{s:s, s:i, s:n, s:n}", "name", "a", "memory", 16, "cpus", "cmd");

	assert_int_equal(vmm_part_config_from_json(j, 200, &c, err, sizeof(err)), 0);
	assert_int_equal(c.cpus_centi, 0);
	assert_string_equal(c.cmd, "");
	assert_int_equal(c.n_nics, 0);
	json_decref(j);
}

/* Set 'key' of the good definition to 'v' (stolen) and expect 'ret'. */
static void expect_with(const char *key, json_t *v, int ret)
{
	struct vmm_part_config c;
	json_t *j = good_def();

	if (v)
		json_object_set_new(j, key, v);
	else
		json_object_del(j, key);
	err[0] = '\0';
	if (vmm_part_config_from_json(j, 200, &c, err, sizeof(err)) != ret)
		fail_msg("%s: expected %d (%s)", key, ret, err);
	if (ret)
		assert_true(err[0] != '\0');
	json_decref(j);
}

static void config_from_json_checks_memory_bounds(void **state)
{
	expect_with("memory", json_integer(16), 0);
	expect_with("memory", json_integer(65536), 0);
	expect_with("memory", json_integer(15), -ERANGE);
	expect_with("memory", json_integer(0), -ERANGE);
	expect_with("memory", json_integer(65537), -ERANGE);
	expect_with("memory", json_integer(-1), -ERANGE);
	expect_with("memory", json_string("64"), -EINVAL);
	expect_with("memory", json_real(64.0), -EINVAL);
	expect_with("memory", NULL, -EINVAL);
}

static void config_from_json_checks_cpus(void **state)
{
	expect_with("cpus", json_real(0.01), 0);
	expect_with("cpus", json_integer(2), 0);
	expect_with("cpus", json_real(0.07), 0);
	expect_with("cpus", json_real(2.01), -ERANGE); /* max 200 in these tests */
	expect_with("cpus", json_real(0.0), -ERANGE);
	expect_with("cpus", json_real(-1.0), -ERANGE);
	expect_with("cpus", json_real(0.015), -EINVAL);
	expect_with("cpus", json_string("1"), -EINVAL);
}

static void config_from_json_checks_name_cmd_and_keys(void **state)
{
	expect_with("name", json_string("a23456789012345"), 0);
	expect_with("name", json_string("a234567890123456"), -EINVAL);
	expect_with("name", json_string(""), -EINVAL);
	expect_with("name", json_string("-x"), -EINVAL);
	expect_with("name", json_string("a/b"), -EINVAL);
	expect_with("name", json_integer(1), -EINVAL);
	expect_with("cmd", json_stringn("a\0b", 3), -EINVAL);
	expect_with("cmd", json_integer(1), -EINVAL);
	expect_with("vlan", json_integer(5), -EINVAL);
}

static void config_from_json_checks_nics(void **state)
{
	json_t *nics = json_array();
	char mac[18];
	int i;

	for (i = 0; i < VMM_MAX_NICS; i++) {
		char port[8];

		snprintf(mac, sizeof(mac), "02:00:00:00:00:%02x", i + 1);
		snprintf(port, sizeof(port), "p%d", i);
		json_array_append_new(nics,
			json_pack("{s:s, s:s, s:s}", "switch", "sw", "mac", mac, "port", port));
	}
	expect_with("nics", json_deep_copy(nics), 0);
	json_array_append_new(nics, json_pack("{s:s, s:s, s:s}", "switch", "sw", "mac",
					    "02:00:00:00:01:00", "port", "p99"));
	expect_with("nics", nics, -EINVAL); /* nine */
	expect_with("nics",
		json_pack("[{s:s, s:s, s:s}, {s:s, s:s, s:s}]", "switch", "a", "mac",
			"02:00:00:00:00:01", "port", "p1", "switch", "b", "mac",
			"02:00:00:00:00:01", "port", "p2"),
		-EINVAL); /* duplicate MAC */
	expect_with("nics",
		json_pack("[{s:s, s:s, s:s}, {s:s, s:s, s:s}]", "switch", "a", "mac",
			"02:00:00:00:00:01", "port", "p1", "switch", "a", "mac",
			"02:00:00:00:00:02", "port", "p1"),
		-EINVAL); /* duplicate port on one switch */
	expect_with("nics", json_pack("[{s:s, s:s}]", "switch", "a", "mac", "02:00:00:00:00:01"),
		-EINVAL);
	expect_with("nics",
		json_pack(
			"[{s:s, s:s, s:i}]", "switch", "a", "mac", "02:00:00:00:00:01", "port", 1),
		-EINVAL);
	expect_with("nics", json_pack("[s]", "x"), -EINVAL);
	expect_with("nics", json_object(), -EINVAL);
	expect_with("nics", json_array(), 0);
}

static void config_json_round_trip_is_identity(void **state)
{
	struct vmm_part_config a, b;
	json_t *j = good_def(), *k;

	assert_int_equal(vmm_part_config_from_json(j, 200, &a, err, sizeof(err)), 0);
	k = vmm_part_config_to_json(&a);
	assert_non_null(k);
	assert_int_equal(vmm_part_config_from_json(k, 200, &b, err, sizeof(err)), 0);
	assert_memory_equal(&a, &b, sizeof(a));
	json_decref(j);
	json_decref(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(mac_parse_accepts_both_cases_and_rejects_malformed),
		cmocka_unit_test(mac_format_is_lower_case),
		cmocka_unit_test(cpus_parse_takes_at_most_two_decimals),
		cmocka_unit_test(cpus_format_drops_trailing_zeros),
		cmocka_unit_test(nic_spec_parse_accepts_any_key_order),
		cmocka_unit_test(nic_spec_parse_rejects_each_bad_field),
		cmocka_unit_test(config_from_json_accepts_full_definition),
		cmocka_unit_test(config_from_json_defaults_optional_fields),
		cmocka_unit_test(config_from_json_checks_memory_bounds),
		cmocka_unit_test(config_from_json_checks_cpus),
		cmocka_unit_test(config_from_json_checks_name_cmd_and_keys),
		cmocka_unit_test(config_from_json_checks_nics),
		cmocka_unit_test(config_json_round_trip_is_identity),
		cmocka_unit_test(nic_spec_guest_key),
		cmocka_unit_test(uio_nics_not_mixed_and_kept_in_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
