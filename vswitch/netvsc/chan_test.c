/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Guest page numbers in GPA_DIRECT ranges (chan.c gpa_pages): every one must lie inside the
 * partition's memory, whoever the guest is. Debian's DPDK netvsc PMD in a guest=uio partition
 * puts its IOVA page numbers there (every RNDIS control message, frames above tx_copybreak);
 * libvsw_uio.so maps its heap at the partition-memory offset equal to its address, so those are
 * guest page numbers and get exactly this check (docs/guest-drivers.md).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "chan.h"

static uint8_t mem[4 * 4096];

static void pages_inside_memory_map_to_their_offset(void **state)
{
	struct vs_nv_chan ch;
	uint64_t pfns[4] = {0, 3, 1, 3};
	uint8_t *pages[4];

	memset(&ch, 0, sizeof(ch));
	ch.mem = mem;
	ch.mem_pages = 4;
	assert_int_equal(vs_nv_vsp_ops.gpa_pages(&ch, pfns, 4, pages), 0);
	assert_ptr_equal(pages[0], mem);
	assert_ptr_equal(pages[1], mem + 3 * 4096);
	assert_ptr_equal(pages[2], mem + 4096);
	assert_ptr_equal(pages[3], mem + 3 * 4096);
	assert_int_equal(vs_nv_vsp_ops.gpa_pages(&ch, pfns, 0, pages), 0);
}

static void pages_outside_memory_refused(void **state)
{
	static const uint64_t bad[] = {
		4,		  /* the first page past the end */
		5, UINT64_MAX,	  /* would wrap pfn << 12 */
		UINT64_MAX >> 12, /* the largest that does not wrap */
		1ull << 52,	  /* an IOVA-sized page number */
		0x10f182,	  /* a DPDK VA page number (reference §7) in a small partition */
	};
	struct vs_nv_chan ch;
	uint64_t pfns[3];
	uint8_t *pages[3];
	unsigned int i;

	memset(&ch, 0, sizeof(ch));
	ch.mem = mem;
	ch.mem_pages = 4;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		pfns[0] = bad[i];
		assert_int_equal(vs_nv_vsp_ops.gpa_pages(&ch, pfns, 1, pages), -EFAULT);
		/* one bad page among good ones fails the whole list */
		pfns[0] = 0;
		pfns[1] = bad[i];
		pfns[2] = 3;
		assert_int_equal(vs_nv_vsp_ops.gpa_pages(&ch, pfns, 3, pages), -EFAULT);
	}
	/* no memory mapped (HELLO not done): nothing is a page */
	ch.mem_pages = 0;
	pfns[0] = 0;
	assert_int_equal(vs_nv_vsp_ops.gpa_pages(&ch, pfns, 1, pages), -EFAULT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pages_inside_memory_map_to_their_offset),
		cmocka_unit_test(pages_outside_memory_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
