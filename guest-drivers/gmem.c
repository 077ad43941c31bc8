/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Guest "physical" memory: the partition's memfd mapped whole, and a first-fit allocator of page
 * runs over it. Rings and buffers need contiguous runs only because that is simplest here; every
 * GPADL is still built from a PFN list, so nothing above depends on contiguity.
 */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>

static bool gmem_used(const struct gd_gmem *g, uint64_t pfn)
{
	return (g->used[pfn / 64] >> (pfn % 64)) & 1;
}

static void gmem_mark(struct gd_gmem *g, uint64_t pfn, uint32_t n, bool used)
{
	uint64_t i;

	for (i = pfn; i < pfn + n; i++) {
		if (used)
			g->used[i / 64] |= UINT64_C(1) << (i % 64);
		else
			g->used[i / 64] &= ~(UINT64_C(1) << (i % 64));
	}
}

int gd_gmem_open(struct gd_gmem *g, int fd)
{
	struct stat st;
	void *va;

	memset(g, 0, sizeof(*g));
	g->fd = -1;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (st.st_size < 2 * (off_t)VMBUS_PAGE_SIZE)
		return -EINVAL;
	g->n_pages = (uint64_t)st.st_size / VMBUS_PAGE_SIZE;
	g->size = g->n_pages * VMBUS_PAGE_SIZE;
	g->used = calloc((g->n_pages + 63) / 64, sizeof(uint64_t));
	if (!g->used)
		return -ENOMEM;
	va = mmap(NULL, g->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (va == MAP_FAILED) {
		int ret = -errno;

		free(g->used);
		g->used = NULL;
		return ret;
	}
	g->base = va;
	g->fd = fd;
	/* page 0 is never handed out: a GPA of 0 means "none" in INITIATE_CONTACT */
	gmem_mark(g, 0, 1, true);
	g->n_free = g->n_pages - 1;
	return 0;
}

void gd_gmem_close(struct gd_gmem *g)
{
	if (g->base)
		munmap(g->base, g->size);
	free(g->used);
	memset(g, 0, sizeof(*g));
	g->fd = -1;
}

int gd_gmem_alloc(struct gd_gmem *g, uint32_t n_pages, uint64_t *pfn)
{
	uint64_t start = 0, run = 0, i;

	if (n_pages == 0)
		return -EINVAL;
	if (n_pages > g->n_free)
		return -ENOMEM;
	for (i = 0; i < g->n_pages; i++) {
		if (gmem_used(g, i)) {
			run = 0;
			continue;
		}
		if (run++ == 0)
			start = i;
		if (run == n_pages) {
			gmem_mark(g, start, n_pages, true);
			g->n_free -= n_pages;
			/* zeroed, as Linux hands netvsc zeroed (vzalloc'ed) buffers */
			memset(g->base + start * VMBUS_PAGE_SIZE, 0,
				(size_t)n_pages * VMBUS_PAGE_SIZE);
			*pfn = start;
			return 0;
		}
	}
	return -ENOMEM;
}

void gd_gmem_free(struct gd_gmem *g, uint64_t pfn, uint32_t n_pages)
{
	uint64_t i;

	if (!g->used || pfn == 0 || pfn >= g->n_pages || n_pages > g->n_pages - pfn)
		return;
	for (i = pfn; i < pfn + n_pages; i++) {
		if (gmem_used(g, i))
			g->n_free++;
	}
	gmem_mark(g, pfn, n_pages, false);
}

void *gd_gmem_va(const struct gd_gmem *g, uint64_t pfn)
{
	if (!g->base || pfn >= g->n_pages)
		return NULL;
	return g->base + pfn * VMBUS_PAGE_SIZE;
}

uint64_t gd_gmem_largest_free(const struct gd_gmem *g)
{
	uint64_t best = 0, run = 0, i;

	for (i = 0; i < g->n_pages; i++) {
		run = gmem_used(g, i) ? 0 : run + 1;
		if (run > best)
			best = run;
	}
	return best;
}
