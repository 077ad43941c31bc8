/* SPDX-License-Identifier: BSD-3-Clause */
#include "netvsc.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static struct vs_nv_gpadl entry(uint32_t handle)
{
	struct vs_nv_gpadl g = {.handle = handle, .relid = 1, .byte_offset = handle & 0xfff,
		.byte_count = 4096, .n_pfns = 2, .va = (uint8_t *)(uintptr_t)(handle << 12)};

	return g;
}

static void empty(void **state)
{
	struct vs_nv_gpadl r;

	(void)state;
	assert_null(vs_nv_gpadls_find(NULL, 0));
	errno = 0;
	assert_null(vs_nv_gpadls_remove(NULL, 1, &r));
	assert_int_equal(errno, ENOENT);
}

/* Copy on write: a published table never changes, a new one carries the old entries. */
static void add_find_remove(void **state)
{
	struct vs_nv_gpadl a = entry(0x1001), b = entry(0x1002), c = entry(0x1003), r;
	struct vs_nv_gpadls *t1, *t2, *t3, *t4;
	const struct vs_nv_gpadl *g;

	(void)state;
	t1 = vs_nv_gpadls_add(NULL, &a);
	assert_non_null(t1);
	t2 = vs_nv_gpadls_add(t1, &b);
	t3 = vs_nv_gpadls_add(t2, &c);
	assert_non_null(t3);
	assert_int_equal(t1->n, 1);
	assert_int_equal(t2->n, 2);
	assert_int_equal(t3->n, 3);
	assert_null(vs_nv_gpadls_find(t1, 0x1002));
	g = vs_nv_gpadls_find(t3, 0x1002);
	assert_non_null(g);
	assert_ptr_equal(g->va, b.va);
	assert_int_equal(g->byte_offset, 0x002);
	assert_null(vs_nv_gpadls_find(t3, 0x1004));

	t4 = vs_nv_gpadls_remove(t3, 0x1002, &r);
	assert_non_null(t4);
	assert_int_equal(t4->n, 2);
	assert_int_equal(r.handle, 0x1002);
	assert_ptr_equal(r.va, b.va);
	assert_null(vs_nv_gpadls_find(t4, 0x1002));
	assert_non_null(vs_nv_gpadls_find(t4, 0x1001));
	assert_non_null(vs_nv_gpadls_find(t4, 0x1003));
	assert_non_null(vs_nv_gpadls_find(t3, 0x1002)); /* old table unchanged */
	assert_int_equal(t3->n, 3);
	errno = 0;
	assert_null(vs_nv_gpadls_remove(t4, 0x1002, &r));
	assert_int_equal(errno, ENOENT);
	free(t1);
	free(t2);
	free(t3);
	free(t4);
}

static void duplicate(void **state)
{
	struct vs_nv_gpadl a = entry(5);
	struct vs_nv_gpadls *t;

	(void)state;
	t = vs_nv_gpadls_add(NULL, &a);
	assert_non_null(t);
	errno = 0;
	assert_null(vs_nv_gpadls_add(t, &a));
	assert_int_equal(errno, EEXIST);
	free(t);
}

/* Handle 0 is a valid GPADL handle in a table (the guest chooses them). */
static void handle_zero(void **state)
{
	struct vs_nv_gpadl a = entry(0);
	struct vs_nv_gpadls *t;
	struct vs_nv_gpadl r;
	struct vs_nv_gpadls *t2;

	(void)state;
	t = vs_nv_gpadls_add(NULL, &a);
	assert_non_null(vs_nv_gpadls_find(t, 0));
	t2 = vs_nv_gpadls_remove(t, 0, &r);
	assert_non_null(t2);
	assert_int_equal(t2->n, 0);
	assert_null(vs_nv_gpadls_find(t2, 0));
	free(t);
	free(t2);
}

static void capacity(void **state)
{
	struct vs_nv_gpadls *t = NULL, *nt;
	struct vs_nv_gpadl g;
	uint32_t i;

	(void)state;
	for (i = 0; i < VS_NV_MAX_GPADLS; i++) {
		g = entry(i + 100);
		nt = vs_nv_gpadls_add(t, &g);
		assert_non_null(nt);
		free(t);
		t = nt;
	}
	g = entry(9999);
	errno = 0;
	assert_null(vs_nv_gpadls_add(t, &g));
	assert_int_equal(errno, ENOSPC);
	for (i = 0; i < VS_NV_MAX_GPADLS; i++)
		assert_int_equal(vs_nv_gpadls_find(t, i + 100)->handle, i + 100);
	free(t);
}

/* Mappings per GPADL: one per run of consecutive PFNs (the "vma" attack lists none). */
static void pfn_runs(void **state)
{
	static const uint64_t contiguous[] = {7, 8, 9, 10};
	static const uint64_t scattered[] = {0, 2, 4, 6, 8};
	static const uint64_t mixed[] = {5, 6, 7, 100, 101, 3, 3, 4, UINT64_MAX, 0};
	static const uint64_t wrap[] = {UINT64_MAX, 0};

	(void)state;
	assert_int_equal(vs_nv_pfn_runs(contiguous, 0), 0);
	assert_int_equal(vs_nv_pfn_runs(contiguous, 1), 1);
	assert_int_equal(vs_nv_pfn_runs(contiguous, 4), 1);
	assert_int_equal(vs_nv_pfn_runs(scattered, 5), 5);
	/* 5-7 | 100-101 | 3 | 3-4 | MAX | 0: a repeated page is a new run, so is a wrap to 0 */
	assert_int_equal(vs_nv_pfn_runs(mixed, 10), 6);
	assert_int_equal(vs_nv_pfn_runs(wrap, 2), 2);
	/* the budget holds a fully scattered 16 MiB receive buffer, send buffer and ring */
	assert_true(4096u + 255u + 2u * 256u < VS_NV_MAX_MAP_RUNS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(empty),
		cmocka_unit_test(add_find_remove),
		cmocka_unit_test(duplicate),
		cmocka_unit_test(handle_zero),
		cmocka_unit_test(capacity),
		cmocka_unit_test(pfn_runs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
