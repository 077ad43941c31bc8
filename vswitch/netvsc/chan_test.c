/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Guest page numbers in GPA_DIRECT ranges (chan.c gpa_pages): every one must lie inside the
 * partition's memory, whoever the guest is. Debian's DPDK netvsc PMD in a guest=uio partition
 * puts its IOVA page numbers there (every RNDIS control message, frames above tx_copybreak);
 * libvsw_uio.so maps its heap at the partition-memory offset equal to its address, so those are
 * guest page numbers and get exactly this check (docs/guest-drivers.md).
 * Also the ring gauges vswitchctl port-stats shows (pending bytes, doorbells): read from indices
 * the guest writes, so out-of-range ones read as 0.
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

static struct vmbus_ring_ctl ctl_g2h, ctl_h2g;

static void ring_depth_gauges(void **state)
{
	struct vs_nv_chan ch;
	uint32_t g2h, h2g;

	memset(&ch, 0, sizeof(ch));
	ch.ring[0].g2h = (struct vmbus_ring){.ctl = &ctl_g2h, .size = 4096};
	ch.ring[0].h2g = (struct vmbus_ring){.ctl = &ctl_h2g, .size = 4096};
	ctl_g2h.write_index = 200;
	ctl_g2h.read_index = 136;
	ctl_h2g.write_index = 8; /* wrapped: 4096 - 4000 + 8 */
	ctl_h2g.read_index = 4000;
	vs_nv_ring_depth(&ch, 0, &g2h, &h2g);
	assert_int_equal(g2h, 0); /* not attached */
	assert_int_equal(h2g, 0);
	ch.ring[0].present = 1;
	ch.n_rings = 1;
	vs_nv_ring_depth(&ch, 0, &g2h, &h2g);
	assert_int_equal(g2h, 64);
	assert_int_equal(h2g, 104);
	ctl_g2h.read_index = 200; /* empty */
	ctl_h2g.write_index = 4096; /* out of range: a gauge of 0, never a huge number */
	vs_nv_ring_depth(&ch, 0, &g2h, &h2g);
	assert_int_equal(g2h, 0);
	assert_int_equal(h2g, 0);
	vs_nv_ring_depth(&ch, VS_VSP_MAX_CHANNELS, &g2h, &h2g);
	assert_int_equal(g2h, 0);
	ch.ring[3].doorbells = 7;
	assert_int_equal(vs_nv_doorbells(&ch, 3), 7);
	assert_int_equal(vs_nv_doorbells(&ch, VS_VSP_MAX_CHANNELS), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pages_inside_memory_map_to_their_offset),
		cmocka_unit_test(pages_outside_memory_refused),
		cmocka_unit_test(ring_depth_gauges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
