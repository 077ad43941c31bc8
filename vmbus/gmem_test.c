/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests for gmem.c over a real memfd standing in for partition memory. */
#include "vmbus.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#define N_PAGES 64u

/* A memfd of N_PAGES pages, page i filled with bytes (i * 3 + 1), optionally sealed. */
static int make_memfd(bool seal)
{
	uint8_t page[4096];
	uint32_t i;
	int fd = memfd_create("gmem_test", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, N_PAGES * 4096), 0);
	for (i = 0; i < N_PAGES; i++) {
		memset(page, (int)(i * 3 + 1), sizeof(page));
		assert_int_equal(pwrite(fd, page, sizeof(page), (off_t)i * 4096), 4096);
	}
	if (seal)
		assert_int_equal(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK), 0);
	return fd;
}

static void check_page(const uint8_t *p, uint64_t pfn)
{
	uint8_t want[4096];

	memset(want, (int)(pfn * 3 + 1), sizeof(want));
	assert_memory_equal(p, want, sizeof(want));
}

static void gmem_init_checks(void **state)
{
	struct vmbus_gmem g;
	int fd = make_memfd(false);

	(void)state;
	/* not sealed against shrinking */
	assert_int_equal(vmbus_gmem_init(&g, fd, N_PAGES * 4096), -EPERM);
	assert_int_equal(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK), 0);
	assert_int_equal(vmbus_gmem_init(&g, fd, N_PAGES * 4096), 0);
	assert_int_equal(g.n_pages, N_PAGES);
	assert_int_equal(vmbus_gmem_init(&g, fd, (N_PAGES + 1) * 4096), -ERANGE);
	assert_int_equal(vmbus_gmem_init(&g, fd, 4095), -EINVAL);
	assert_int_equal(vmbus_gmem_init(&g, fd, 0), -EINVAL);
	assert_int_equal(vmbus_gmem_init(&g, -1, 4096), -EINVAL);
	close(fd);
}

static void gmem_map_scattered_pfns_shows_their_contents(void **state)
{
	static const uint64_t pfns[] = {5, 6, 7, 20, 3, 63, 0, 1};
	const uint32_t n = sizeof(pfns) / sizeof(pfns[0]);
	struct vmbus_gmem g;
	uint8_t *va, b;
	uint32_t i;
	int fd = make_memfd(true);

	(void)state;
	assert_int_equal(vmbus_gmem_init(&g, fd, N_PAGES * 4096), 0);
	assert_int_equal(vmbus_gmem_map(&g, pfns, n, (void **)&va), 0);
	for (i = 0; i < n; i++)
		check_page(va + (size_t)i * 4096, pfns[i]);
	/* shared: our writes land in the guest's page */
	va[3 * 4096 + 10] = 0xee;
	assert_int_equal(pread(fd, &b, 1, 20 * 4096 + 10), 1);
	assert_int_equal(b, 0xee);
	assert_int_equal(vmbus_gmem_unmap(va, n), 0);
	close(fd);
}

static void gmem_map_rejects_bad_pfns(void **state)
{
	uint64_t pfns[3] = {1, N_PAGES, 2};
	struct vmbus_gmem g;
	void *va = NULL;
	int fd = make_memfd(true);

	(void)state;
	assert_int_equal(vmbus_gmem_init(&g, fd, N_PAGES * 4096), 0);
	assert_int_equal(vmbus_gmem_map(&g, pfns, 3, &va), -EFAULT);
	pfns[1] = UINT64_MAX;
	assert_int_equal(vmbus_gmem_map(&g, pfns, 3, &va), -EFAULT);
	pfns[1] = UINT64_MAX >> 12; /* offset << 12 would wrap */
	assert_int_equal(vmbus_gmem_map(&g, pfns, 3, &va), -EFAULT);
	pfns[1] = N_PAGES - 1;
	assert_int_equal(vmbus_gmem_map(&g, pfns, 0, &va), -EINVAL);
	assert_int_equal(vmbus_gmem_map(&g, pfns, VMBUS_USER_MAX_GPADL_PAGES + 1, &va), -E2BIG);
	assert_null(va);
	assert_int_equal(vmbus_gmem_map(&g, pfns, 3, &va), 0);
	check_page((uint8_t *)va + 4096, N_PAGES - 1);
	assert_int_equal(vmbus_gmem_unmap(va, 3), 0);
	close(fd);
}

static void gmem_map_rings_splits_at_downstream_offset(void **state)
{
	static const uint64_t pfns[8] = {40, 41, 42, 43, 10, 11, 12, 13};
	struct vmbus_gmem_rings rings;
	struct vmbus_ring g2h, h2g;
	struct vmbus_gmem g;
	int fd = make_memfd(true);

	(void)state;
	assert_int_equal(vmbus_gmem_init(&g, fd, N_PAGES * 4096), 0);
	/* each ring needs a control page and a data page; 0 < offset < n */
	assert_int_equal(vmbus_gmem_map_rings(&g, pfns, 8, 0, &rings), -EINVAL);
	assert_int_equal(vmbus_gmem_map_rings(&g, pfns, 8, 1, &rings), -EINVAL);
	assert_int_equal(vmbus_gmem_map_rings(&g, pfns, 8, 7, &rings), -EINVAL);
	assert_int_equal(vmbus_gmem_map_rings(&g, pfns, 8, 8, &rings), -EINVAL);
	assert_int_equal(vmbus_gmem_map_rings(&g, pfns, 8, 9, &rings), -EINVAL);
	assert_int_equal(vmbus_gmem_map_rings(&g, pfns, 3, 2, &rings), -EINVAL);
	assert_int_equal(vmbus_gmem_map_rings(&g, pfns, 4, 2, &rings), 0);
	assert_int_equal(vmbus_gmem_unmap_rings(&rings), 0);
	assert_null(rings.va);

	assert_int_equal(vmbus_gmem_map_rings(&g, pfns, 8, 4, &rings), 0);
	assert_int_equal(rings.g2h_size, 4 * 4096);
	assert_int_equal(rings.h2g_size, 4 * 4096);
	check_page(rings.g2h, 40);
	check_page((uint8_t *)rings.g2h + 3 * 4096, 43);
	check_page(rings.h2g, 10);
	check_page((uint8_t *)rings.h2g + 3 * 4096, 13);
	/* the pattern is not a valid control page: zero the indices as the guest does */
	memset(rings.g2h, 0, 4096);
	memset(rings.h2g, 0, 4096);
	assert_int_equal(vmbus_ring_init(&g2h, rings.g2h, rings.g2h_size, VMBUS_RING_READER), 0);
	assert_int_equal(vmbus_ring_init(&h2g, rings.h2g, rings.h2g_size, VMBUS_RING_WRITER), 0);
	assert_int_equal(g2h.size, 3 * 4096);
	assert_int_equal(vmbus_gmem_unmap_rings(&rings), 0);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(gmem_init_checks),
		cmocka_unit_test(gmem_map_scattered_pfns_shows_their_contents),
		cmocka_unit_test(gmem_map_rejects_bad_pfns),
		cmocka_unit_test(gmem_map_rings_splits_at_downstream_offset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
