/* SPDX-License-Identifier: BSD-3-Clause */
#include "netvsc.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

static uint32_t queues;

static int parse(const char *d, char *path, size_t size)
{
	char err[256] = "";
	int ret = vs_nv_devargs_parse(d, path, size, &queues, err, sizeof(err));

	if (ret)
		assert_true(err[0] != '\0'); /* every refusal says why */
	return ret;
}

static void kind(void **state)
{
	(void)state;
	assert_true(vs_nv_devargs_is_netvsc("netvsc"));
	assert_true(vs_nv_devargs_is_netvsc("netvsc,socket=/x"));
	assert_false(vs_nv_devargs_is_netvsc("netvsc0"));
	assert_false(vs_nv_devargs_is_netvsc("netvscx,socket=/x"));
	assert_false(vs_nv_devargs_is_netvsc("net_af_packet,iface=netvsc"));
	assert_false(vs_nv_devargs_is_netvsc("net_netvsc"));
	assert_false(vs_nv_devargs_is_netvsc(""));
}

static void valid(void **state)
{
	char path[VS_NV_SOCKET_MAX];

	(void)state;
	assert_int_equal(parse("netvsc,socket=/run/vmmd/vmmd/vm1.0.vmbus", path, sizeof(path)), 0);
	assert_string_equal(path, "/run/vmmd/vmmd/vm1.0.vmbus");
	assert_int_equal(queues, VS_NV_QUEUES_DEFAULT);
	assert_int_equal(parse("netvsc,socket=/", path, sizeof(path)), 0);
	assert_string_equal(path, "/");
	assert_int_equal(parse("netvsc,socket=/a/b,queues=1", path, sizeof(path)), 0);
	assert_string_equal(path, "/a/b");
	assert_int_equal(queues, 1);
	assert_int_equal(parse("netvsc,socket=/a,queues=16", path, sizeof(path)), 0);
	assert_int_equal(queues, 16);
}

static void invalid(void **state)
{
	static const char *const bad[] = {
		"netvsc",		    /* no socket */
		"netvsc,",		    /* empty argument */
		"netvsc,socket=",	    /* empty path */
		"netvsc,socket=rel/path",   /* relative */
		"netvsc,sock=/x",	    /* wrong key */
		"netvsc,iface=eth0",	    /* not ours */
		"netvsc,socket=/a,mac=1",   /* extra argument */
		"netvsc,socket=/a,",	    /* trailing comma */
		"netvsc,socket=/a,queues=", /* no count */
		"netvsc,socket=/a,queues=0", /* below 1 */
		"netvsc,socket=/a,queues=17", /* above VS_VSP_MAX_CHANNELS */
		"netvsc,socket=/a,queues=4x", /* not a number */
		"netvsc,socket=/a,queues=-1", /* negative */
		"netvsc,socket=/a,queues=0004", /* too long */
		"netvsc,socket=/a,queues=2,queues=3", /* twice */
		"netvsc,x=1,socket=/a",	    /* socket not first */
		"netvsc,socket=/a b",	    /* blank */
		"netvsc,socket=/a\"b",	    /* quote */
		"netvsc;socket=/a",	    /* not netvsc at all */
	};
	char path[VS_NV_SOCKET_MAX];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		path[0] = 'X';
		assert_int_equal(parse(bad[i], path, sizeof(path)), -EINVAL);
		assert_int_equal(path[0], 'X'); /* untouched on error */
	}
}

/* sun_path holds 107 characters and the NUL: 107 is accepted, 108 refused. */
static void path_length(void **state)
{
	char d[256], want[VS_NV_SOCKET_MAX + 8], path[VS_NV_SOCKET_MAX];

	(void)state;
	memset(want, 'a', sizeof(want));
	want[0] = '/';
	want[VS_NV_SOCKET_MAX - 1] = '\0';
	snprintf(d, sizeof(d), "netvsc,socket=%s", want);
	assert_int_equal(parse(d, path, sizeof(path)), 0);
	assert_int_equal(strlen(path), VS_NV_SOCKET_MAX - 1);
	want[VS_NV_SOCKET_MAX - 1] = 'a';
	want[VS_NV_SOCKET_MAX] = '\0';
	snprintf(d, sizeof(d), "netvsc,socket=%s", want);
	assert_int_equal(parse(d, path, sizeof(path)), -EINVAL);
	/* the caller's buffer is the limit too */
	assert_int_equal(parse("netvsc,socket=/abcd", path, 5), -EINVAL);
	assert_int_equal(parse("netvsc,socket=/abc", path, 5), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(kind),
		cmocka_unit_test(valid),
		cmocka_unit_test(invalid),
		cmocka_unit_test(path_length),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
