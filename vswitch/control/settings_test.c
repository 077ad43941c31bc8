/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "internal.h"

static int apply(const struct vs_port_settings *cur, const char *json, struct vs_port_settings *out,
	char *err)
{
	json_t *o = json_loads(json, 0, NULL);
	int ret;

	assert_non_null(o);
	err[0] = '\0';
	ret = vs_settings_apply(cur, o, out, err, 160);
	json_decref(o);
	return ret;
}

static void defaults_are_untagged_1500(void **state)
{
	struct vs_port_settings s;

	vs_settings_default(&s);
	assert_int_equal(s.mtu, 1500);
	assert_int_equal(s.vlan.mode, VS_VLAN_UNTAGGED);
	assert_int_equal(s.vlan.vlan, 0);
}

static void tag_alone_makes_an_access_port(void **state)
{
	struct vs_port_settings def, s;
	char err[160];

	vs_settings_default(&def);
	assert_int_equal(apply(&def, "{\"tag\": \"10\"}", &s, err), 0);
	assert_int_equal(s.vlan.mode, VS_VLAN_ACCESS);
	assert_int_equal(s.vlan.vlan, 10);
	assert_int_equal(apply(&def, "{\"tag\": 4094, \"mtu\": 9000}", &s, err), 0);
	assert_int_equal(s.vlan.vlan, 4094);
	assert_int_equal(s.mtu, 9000);
}

static void trunks_alone_make_a_trunk(void **state)
{
	struct vs_port_settings def, s;
	char err[160];

	vs_settings_default(&def);
	assert_int_equal(apply(&def, "{\"trunks\": \"10,20-30\", \"native\": \"5\"}", &s, err), 0);
	assert_int_equal(s.vlan.mode, VS_VLAN_TRUNK);
	assert_false(s.vlan.all);
	assert_int_equal(s.vlan.vlan, 5);
	assert_true(vsw_bitmap_test(s.vlan.trunks, 25));
	assert_int_equal(apply(&def, "{\"vlan_mode\": \"trunk\"}", &s, err), 0);
	assert_true(s.vlan.all);
	assert_int_equal(s.vlan.vlan, 0);
	assert_int_equal(apply(&def, "{\"trunks\": \"\"}", &s, err), 0);
	assert_true(s.vlan.all);
}

static void changing_mode_resets_the_other_fields(void **state)
{
	struct vs_port_settings def, trunk, s;
	char err[160];

	vs_settings_default(&def);
	assert_int_equal(apply(&def, "{\"trunks\": \"7\", \"native\": 3}", &trunk, err), 0);
	assert_int_equal(apply(&trunk, "{\"vlan_mode\": \"untagged\"}", &s, err), 0);
	assert_int_equal(s.vlan.mode, VS_VLAN_UNTAGGED);
	assert_int_equal(s.vlan.vlan, 0);
	assert_false(vsw_bitmap_test(s.vlan.trunks, 7));
	/* keys of the current mode keep the rest */
	assert_int_equal(apply(&trunk, "{\"native\": 9}", &s, err), 0);
	assert_true(vsw_bitmap_test(s.vlan.trunks, 7));
	assert_int_equal(s.vlan.vlan, 9);
}

static void invalid_settings_are_refused_with_a_reason(void **state)
{
	const char *bad[] = {
		"{\"tag\": \"0\"}",
		"{\"tag\": \"4095\"}",
		"{\"tag\": -1}",
		"{\"tag\": \"ten\"}",
		"{\"trunks\": \"5000\"}",
		"{\"trunks\": \"10-5\"}",
		"{\"trunks\": 10}",
		"{\"native\": 4095}",
		"{\"mtu\": \"20\"}",
		"{\"mtu\": 10000}",
		"{\"mtu\": \"9199\"}",
		"{\"vlan_mode\": \"access\"}",
		"{\"vlan_mode\": \"hybrid\"}",
		"{\"vlan_mode\": \"trunk\", \"tag\": 5}",
		"{\"vlan_mode\": \"access\", \"tag\": 5, \"trunks\": \"6\"}",
		"{\"vlan_mode\": \"untagged\", \"native\": 5}",
		"{\"colour\": \"blue\"}",
	};
	struct vs_port_settings def, s;
	char err[160];
	size_t i;

	vs_settings_default(&def);
	for (i = 0; i < VSW_ARRAY_SIZE(bad); i++) {
		assert_int_equal(apply(&def, bad[i], &s, err), -EINVAL);
		assert_true(strlen(err) > 5);
	}
}

static void settings_round_trip_through_json(void **state)
{
	struct vs_port_settings def, s, back;
	json_t *o = json_object();
	char err[160];

	vs_settings_default(&def);
	assert_int_equal(apply(&def, "{\"trunks\": \"1-3,100\", \"native\": 7, \"mtu\": 9000}", &s,
				 err), 0);
	assert_int_equal(vs_settings_to_json(&s, o, false), 0);
	assert_string_equal(json_string_value(json_object_get(o, "trunks")), "1-3,100");
	assert_int_equal(vs_settings_apply(&def, o, &back, err, sizeof(err)), 0);
	assert_memory_equal(&s, &back, sizeof(s));
	json_decref(o);
}

/* Offload keys: on/off per family, "offloads" for all; only forbidden ones are stored. */
static void offload_keys_forbid_and_allow(void **state)
{
	struct vs_port_settings def, s, s2, back;
	json_t *o = json_object();
	char err[160];

	(void)state;
	vs_settings_default(&def);
	assert_int_equal(def.offloads_off, 0);
	assert_int_equal(apply(&def, "{\"offloads\": \"off\"}", &s, err), 0);
	assert_int_equal(s.offloads_off, 7);
	assert_int_equal(apply(&s, "{\"csum\": \"on\"}", &s2, err), 0);
	assert_int_equal(s2.offloads_off, 6);
	assert_int_equal(apply(&def, "{\"lso\": \"off\", \"rsc\": \"off\"}", &s, err), 0);
	assert_int_equal(s.offloads_off, 6);
	assert_int_equal(apply(&def, "{\"rsc\": \"maybe\"}", &s, err), -EINVAL);
	assert_non_null(strstr(err, "on or off"));
	assert_int_equal(apply(&def, "{\"lso\": \"off\"}", &s, err), 0);
	assert_int_equal(vs_settings_to_json(&s, o, false), 0);
	assert_string_equal(json_string_value(json_object_get(o, "lso")), "off");
	assert_null(json_object_get(o, "csum"));
	assert_int_equal(vs_settings_apply(&def, o, &back, err, sizeof(err)), 0);
	assert_int_equal(back.offloads_off, 2);
	json_decref(o);
}

static void admin_takes_up_or_down(void **state)
{
	struct vs_port_settings def, s, back;
	char err[160];
	json_t *o;

	vs_settings_default(&def);
	assert_false(def.admin_down);
	assert_int_equal(apply(&def, "{\"admin\": \"down\", \"mtu\": 9000}", &s, err), 0);
	assert_true(s.admin_down);
	assert_int_equal(s.mtu, 9000);
	assert_int_equal(apply(&s, "{\"admin\": \"up\"}", &back, err), 0);
	assert_false(back.admin_down);
	assert_int_equal(back.mtu, 9000);
	/* anything else is refused, with the accepted values named */
	assert_int_equal(apply(&def, "{\"admin\": \"off\"}", &s, err), -EINVAL);
	assert_non_null(strstr(err, "up or down"));
	assert_int_equal(apply(&def, "{\"admin\": 0}", &s, err), -EINVAL);
	assert_int_equal(apply(&def, "{\"admin\": \"\"}", &s, err), -EINVAL);
	/* the config file keeps admin only for a port that is down, and reads it back */
	assert_int_equal(apply(&def, "{\"admin\": \"down\"}", &s, err), 0);
	o = json_object();
	assert_int_equal(vs_settings_to_json(&s, o, false), 0);
	assert_string_equal(json_string_value(json_object_get(o, "admin")), "down");
	assert_int_equal(vs_settings_apply(&def, o, &back, err, sizeof(err)), 0);
	assert_true(back.admin_down);
	json_decref(o);
	o = json_object();
	assert_int_equal(vs_settings_to_json(&def, o, false), 0);
	assert_null(json_object_get(o, "admin"));
	json_decref(o);
}

static void mac_spoofing_is_off_by_default(void **state)
{
	struct vs_port_settings def, s;
	char err[160];
	json_t *o;

	vs_settings_default(&def);
	assert_false(def.mac_spoofing);
	assert_int_equal(apply(&def, "{\"mac_spoofing\": \"on\"}", &s, err), 0);
	assert_true(s.mac_spoofing);
	o = json_object();
	assert_int_equal(vs_settings_to_json(&s, o, false), 0);
	assert_string_equal(json_string_value(json_object_get(o, "mac_spoofing")), "on");
	json_decref(o);
	assert_int_equal(apply(&s, "{\"mac_spoofing\": \"off\"}", &s, err), 0);
	assert_false(s.mac_spoofing);
	assert_int_equal(apply(&def, "{\"mac_spoofing\": \"yes\"}", &s, err), -EINVAL);
	assert_non_null(strstr(err, "mac_spoofing: expected on or off"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults_are_untagged_1500),
		cmocka_unit_test(tag_alone_makes_an_access_port),
		cmocka_unit_test(trunks_alone_make_a_trunk),
		cmocka_unit_test(changing_mode_resets_the_other_fields),
		cmocka_unit_test(invalid_settings_are_refused_with_a_reason),
		cmocka_unit_test(settings_round_trip_through_json),
		cmocka_unit_test(offload_keys_forbid_and_allow),
		cmocka_unit_test(admin_takes_up_or_down),
		cmocka_unit_test(mac_spoofing_is_off_by_default),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
