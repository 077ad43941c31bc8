/* SPDX-License-Identifier: BSD-3-Clause */
/* Control protocol framing: what vswitchd accepts before it reads a request body. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "vsw/ctl.h"

static void valid_header_is_accepted(void **state)
{
	struct vsw_ctl_hdr h;

	vsw_ctl_hdr_init(&h, 100);
	assert_int_equal(vsw_ctl_hdr_check(&h, VSW_CTL_MAX_REQUEST), 0);
	vsw_ctl_hdr_init(&h, VSW_CTL_MAX_REQUEST);
	assert_int_equal(vsw_ctl_hdr_check(&h, VSW_CTL_MAX_REQUEST), 0);
}

static void header_bytes_are_little_endian_magic_version_flags_len(void **state)
{
	const unsigned char wire[12] = {0x31, 0x57, 0x53, 0x56, 1, 0, 0, 0, 0x10, 0, 0, 0};
	struct vsw_ctl_hdr h;

	memcpy(&h, wire, sizeof(h));
	assert_int_equal(vsw_ctl_hdr_check(&h, 64), 0);
	assert_int_equal(h.len, 16);
}

static void foreign_or_future_headers_are_refused(void **state)
{
	struct vsw_ctl_hdr h;

	vsw_ctl_hdr_init(&h, 10);
	h.magic = 0x47455420; /* "GET " from a confused HTTP client */
	assert_int_equal(vsw_ctl_hdr_check(&h, 1000), -EPROTO);
	vsw_ctl_hdr_init(&h, 10);
	h.version = VSW_CTL_VERSION + 1;
	assert_int_equal(vsw_ctl_hdr_check(&h, 1000), -EPROTO);
	vsw_ctl_hdr_init(&h, 10);
	h.flags = 1;
	assert_int_equal(vsw_ctl_hdr_check(&h, 1000), -EPROTO);
}

static void oversized_requests_are_refused_before_allocation(void **state)
{
	struct vsw_ctl_hdr h;

	vsw_ctl_hdr_init(&h, VSW_CTL_MAX_REQUEST + 1);
	assert_int_equal(vsw_ctl_hdr_check(&h, VSW_CTL_MAX_REQUEST), -EMSGSIZE);
	vsw_ctl_hdr_init(&h, UINT32_MAX);
	assert_int_equal(vsw_ctl_hdr_check(&h, VSW_CTL_MAX_REQUEST), -EMSGSIZE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(valid_header_is_accepted),
		cmocka_unit_test(header_bytes_are_little_endian_magic_version_flags_len),
		cmocka_unit_test(foreign_or_future_headers_are_refused),
		cmocka_unit_test(oversized_requests_are_refused_before_allocation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
