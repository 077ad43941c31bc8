/* SPDX-License-Identifier: BSD-3-Clause */
#include "vlan.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#define DROP(r) (-(VS_DROP_##r + 1))

static struct vs_vlan_cfg untagged(void)
{
	struct vs_vlan_cfg c = {.mode = VS_VLAN_UNTAGGED, .vlan = 0};
	return c;
}

static struct vs_vlan_cfg access(uint16_t vlan)
{
	struct vs_vlan_cfg c = {.mode = VS_VLAN_ACCESS, .vlan = vlan};
	return c;
}

static struct vs_vlan_cfg trunk(uint16_t native, const char *list)
{
	struct vs_vlan_cfg c = {.mode = VS_VLAN_TRUNK, .vlan = native};
	char err[64];

	if (list == NULL)
		c.all = true;
	else
		assert_int_equal(vsw_vlan_list_parse(list, c.trunks, err, sizeof(err)), 0);
	return c;
}

static void untagged_port_ingress(void **state)
{
	struct vs_vlan_cfg c = untagged();

	assert_int_equal(vs_vlan_ingress(&c, false, 0), 0);
	assert_int_equal(vs_vlan_ingress(&c, true, 0), 0); /* priority tag */
	assert_int_equal(vs_vlan_ingress(&c, true, 10), DROP(VLAN_TAGGED_ON_ACCESS));
}

static void untagged_port_egress(void **state)
{
	struct vs_vlan_cfg c = untagged();

	assert_int_equal(vs_vlan_egress(&c, 0), VS_EGRESS_UNTAGGED);
	assert_int_equal(vs_vlan_egress(&c, 10), VS_EGRESS_NONE);
}

static void access_port_ingress(void **state)
{
	struct vs_vlan_cfg c = access(10);

	assert_int_equal(vs_vlan_ingress(&c, false, 0), 10);
	assert_int_equal(vs_vlan_ingress(&c, true, 0), 10);
	/* even a tag equal to the access VLAN is refused, as OVS does */
	assert_int_equal(vs_vlan_ingress(&c, true, 10), DROP(VLAN_TAGGED_ON_ACCESS));
	assert_int_equal(vs_vlan_ingress(&c, true, 20), DROP(VLAN_TAGGED_ON_ACCESS));
}

static void access_port_egress(void **state)
{
	struct vs_vlan_cfg c = access(10);

	assert_int_equal(vs_vlan_egress(&c, 10), VS_EGRESS_UNTAGGED);
	assert_int_equal(vs_vlan_egress(&c, 0), VS_EGRESS_NONE);
	assert_int_equal(vs_vlan_egress(&c, 20), VS_EGRESS_NONE);
}

static void trunk_port_ingress(void **state)
{
	struct vs_vlan_cfg c = trunk(0, "10,20-30");

	assert_int_equal(vs_vlan_ingress(&c, false, 0), 0);
	assert_int_equal(vs_vlan_ingress(&c, true, 0), 0);
	assert_int_equal(vs_vlan_ingress(&c, true, 10), 10);
	assert_int_equal(vs_vlan_ingress(&c, true, 25), 25);
	assert_int_equal(vs_vlan_ingress(&c, true, 31), DROP(VLAN_NOT_ALLOWED));
	assert_int_equal(vs_vlan_ingress(&c, true, 4095), DROP(VLAN_NOT_ALLOWED));
}

static void trunk_port_egress(void **state)
{
	struct vs_vlan_cfg c = trunk(0, "10,20-30");

	assert_int_equal(vs_vlan_egress(&c, 0), VS_EGRESS_UNTAGGED);
	assert_int_equal(vs_vlan_egress(&c, 10), VS_EGRESS_TAGGED);
	assert_int_equal(vs_vlan_egress(&c, 30), VS_EGRESS_TAGGED);
	assert_int_equal(vs_vlan_egress(&c, 11), VS_EGRESS_NONE);
}

static void trunk_native_vlan_is_untagged_both_ways(void **state)
{
	struct vs_vlan_cfg c = trunk(30, "10");

	assert_int_equal(vs_vlan_ingress(&c, false, 0), 30);
	assert_int_equal(vs_vlan_ingress(&c, true, 30), 30); /* tagged native accepted */
	assert_int_equal(vs_vlan_ingress(&c, true, 10), 10);
	assert_int_equal(vs_vlan_egress(&c, 30), VS_EGRESS_UNTAGGED);
	assert_int_equal(vs_vlan_egress(&c, 10), VS_EGRESS_TAGGED);
	/* the untagged network is not carried when another VLAN is native */
	assert_int_equal(vs_vlan_egress(&c, 0), VS_EGRESS_NONE);
}

static void trunk_all_vlans(void **state)
{
	struct vs_vlan_cfg c = trunk(0, NULL);

	assert_int_equal(vs_vlan_ingress(&c, true, 1), 1);
	assert_int_equal(vs_vlan_ingress(&c, true, 4094), 4094);
	assert_int_equal(vs_vlan_ingress(&c, true, 4095), DROP(VLAN_NOT_ALLOWED));
	assert_int_equal(vs_vlan_egress(&c, 4094), VS_EGRESS_TAGGED);
	assert_int_equal(vs_vlan_egress(&c, 0), VS_EGRESS_UNTAGGED);
}

static void mode_names_round_trip(void **state)
{
	enum vs_vlan_mode m;

	assert_int_equal(vs_vlan_mode_parse("trunk", &m), 0);
	assert_int_equal(m, VS_VLAN_TRUNK);
	assert_string_equal(vs_vlan_mode_name(VS_VLAN_ACCESS), "access");
	assert_int_equal(vs_vlan_mode_parse("native-tagged", &m), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(untagged_port_ingress),
		cmocka_unit_test(untagged_port_egress),
		cmocka_unit_test(access_port_ingress),
		cmocka_unit_test(access_port_egress),
		cmocka_unit_test(trunk_port_ingress),
		cmocka_unit_test(trunk_port_egress),
		cmocka_unit_test(trunk_native_vlan_is_untagged_both_ways),
		cmocka_unit_test(trunk_all_vlans),
		cmocka_unit_test(mode_names_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
