/* SPDX-License-Identifier: BSD-3-Clause */
/* vmmctl: command lines into requests. */
#include "vmmctl.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

static char err[256];

/* Build from a NULL-terminated word list; returns the request's JSON text (static) or NULL. */
static const char *build(int expect, ...)
{
	static char out[2048];
	char *words[32];
	unsigned int wait_s;
	json_t *req = NULL;
	va_list ap;
	char *text;
	int n = 0, ret;

	va_start(ap, expect);
	while (n < 31 && (words[n] = va_arg(ap, char *)) != NULL)
		n++;
	va_end(ap);
	err[0] = '\0';
	ret = vmm_ctl_build(n, words, &req, &wait_s, err, sizeof(err));
	if (ret != expect)
		fail_msg("'%s ...': returned %d, expected %d (%s)", words[0], ret, expect, err);
	if (ret) {
		assert_true(err[0] != '\0');
		return NULL;
	}
	text = json_dumps(req, JSON_COMPACT | JSON_SORT_KEYS);
	snprintf(out, sizeof(out), "%s", text);
	free(text);
	json_decref(req);
	return out;
}

static void create_builds_every_option(void **state)
{
	assert_string_equal(
		build(0, "create", "vm1", "--memory", "256", "--cpus", "1.5", "--cmd", "iperf3 -s",
			"--nic", "switch=sw1,mac=02:00:00:00:00:01,port=p1",
			"--nic=switch=sw2,mac=02:00:00:00:00:02,port=p2", NULL),
		"{\"args\":{\"cmd\":\"iperf3 -s\",\"cpus\":1.5,\"memory\":256,\"name\":\"vm1\","
		"\"nics\":[{\"mac\":\"02:00:00:00:00:01\",\"port\":\"p1\",\"switch\":\"sw1\"},"
		"{\"mac\":\"02:00:00:00:00:02\",\"port\":\"p2\",\"switch\":\"sw2\"}]},"
		"\"cmd\":\"create\"}");
}

static void create_accepts_name_after_options(void **state)
{
	assert_string_equal(build(0, "create", "--memory=64", "vm2", NULL),
		"{\"args\":{\"memory\":64,\"name\":\"vm2\",\"nics\":[]},\"cmd\":\"create\"}");
}

static void create_leaves_value_checks_to_vmmd(void **state)
{
	/* out-of-range values and bad MACs are vmmd's refusals (exit 1), not usage errors */
	assert_non_null(build(0, "create", "vm", "--memory", "0", NULL));
	assert_non_null(build(0, "create", "vm", "--memory", "64", "--cpus", "0", NULL));
	assert_non_null(build(0, "create", "vm", "--memory", "64", "--nic",
		"switch=s,mac=zz,port=p,vlan=3", NULL));
}

static void create_rejects_malformed_command_lines(void **state)
{
	build(-EINVAL, "create", "--memory", "64", NULL); /* no name */
	build(-EINVAL, "create", "vm", NULL);		  /* no memory */
	build(-EINVAL, "create", "vm", "--memory", NULL); /* no value */
	build(-EINVAL, "create", "vm", "--memory", "64M", NULL);
	build(-EINVAL, "create", "vm", "--memory", "-1", NULL);
	build(-EINVAL, "create", "vm", "--memory", "64", "--cpus", "x", NULL);
	build(-EINVAL, "create", "vm", "--memory", "64", "--cpus", "", NULL);
	build(-EINVAL, "create", "vm", "--memory", "64", "--nic", "junk", NULL);
	build(-EINVAL, "create", "vm", "--memory", "64", "--nic", "a=1,a=2", NULL);
	build(-EINVAL, "create", "vm", "--memory", "64", "--nic", "", NULL);
	build(-EINVAL, "create", "vm", "--memory", "64", "--bogus", NULL);
	build(-EINVAL, "create", "vm", "vm2", "--memory", "64", NULL);
}

static void stop_waits_for_the_timeout(void **state)
{
	char *words[] = {"stop", "vm1", "--timeout", "100"};
	unsigned int wait_s = 0;
	json_t *req;

	assert_int_equal(vmm_ctl_build(4, words, &req, &wait_s, err, sizeof(err)), 0);
	assert_int_equal(
		json_integer_value(json_object_get(json_object_get(req, "args"), "timeout")), 100);
	assert_true(wait_s > 100);
	json_decref(req);
	build(-EINVAL, "stop", "vm1", "--timeout", "3601", NULL);
	build(-EINVAL, "stop", "--timeout", "5", NULL);
	assert_string_equal(
		build(0, "stop", "vm1", NULL), "{\"args\":{\"name\":\"vm1\"},\"cmd\":\"stop\"}");
}

static void simple_commands_check_arity(void **state)
{
	assert_string_equal(
		build(0, "start", "vm1", NULL), "{\"args\":{\"name\":\"vm1\"},\"cmd\":\"start\"}");
	assert_string_equal(build(0, "list", NULL), "{\"args\":{},\"cmd\":\"list\"}");
	build(0, "kill", "vm1", NULL);
	build(0, "delete", "vm1", NULL);
	build(0, "show", "vm1", NULL);
	build(0, "version", NULL);
	build(-EINVAL, "start", NULL);
	build(-EINVAL, "show", "a", "b", NULL);
	build(-EINVAL, "list", "x", NULL);
	build(-EINVAL, "frobnicate", NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(create_builds_every_option),
		cmocka_unit_test(create_accepts_name_after_options),
		cmocka_unit_test(create_leaves_value_checks_to_vmmd),
		cmocka_unit_test(create_rejects_malformed_command_lines),
		cmocka_unit_test(stop_waits_for_the_timeout),
		cmocka_unit_test(simple_commands_check_arity),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
