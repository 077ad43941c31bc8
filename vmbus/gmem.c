/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Host-side mapping of GPADL'd guest pages (DESIGN.md decision 4): the partition's memory is a
 * memfd; a GPADL's pages, scattered in that file, become one contiguous private VA range so that
 * a ring or a receive buffer can be addressed linearly. Only the listed pages are mapped, and
 * every page number is checked against the memory size again here (defence in depth: the list
 * came from the guest through the hypervisor).
 */
#include "vmbus.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "internal.h"

int vmbus_gmem_init(struct vmbus_gmem *g, int fd, uint64_t size)
{
	struct stat st;
	int seals;

	if (fd < 0 || size == 0 || (size & (VMBUS_PAGE_SIZE - 1)) != 0)
		return -EINVAL;
	if (fstat(fd, &st) < 0)
		return -errno;
	if ((uint64_t)st.st_size < size)
		return -ERANGE;
	/* A guest that can shrink its memfd could make our accesses to mapped pages SIGBUS. */
	seals = fcntl(fd, F_GET_SEALS);
	if (seals < 0)
		return errno == EINVAL ? -EPERM : -errno;
	if ((seals & F_SEAL_SHRINK) == 0)
		return -EPERM;
	g->fd = fd;
	g->size = size;
	g->n_pages = size >> VMBUS_PAGE_SHIFT;
	return 0;
}

int vmbus_gmem_map(const struct vmbus_gmem *g, const uint64_t *pfns, uint32_t n_pfns, void **va)
{
	uint8_t *base;
	uint32_t i, run;
	int ret;

	if (n_pfns == 0)
		return -EINVAL;
	if (n_pfns > VMBUS_USER_MAX_GPADL_PAGES)
		return -E2BIG;
	for (i = 0; i < n_pfns; i++) {
		if (pfns[i] >= g->n_pages)
			return -EFAULT;
	}

	/* Reserve the whole range first so the per-run MAP_FIXED mappings cannot clobber
	 * anything else in our address space. */
	base = mmap(NULL, (size_t)n_pfns * VMBUS_PAGE_SIZE, PROT_NONE,
		MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED)
		return -errno;

	for (i = 0; i < n_pfns; i += run) {
		void *p;

		for (run = 1; i + run < n_pfns && pfns[i + run] == pfns[i] + run; run++)
			;
		p = mmap(base + (size_t)i * VMBUS_PAGE_SIZE, (size_t)run * VMBUS_PAGE_SIZE,
			PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, g->fd,
			(off_t)(pfns[i] << VMBUS_PAGE_SHIFT));
		if (p == MAP_FAILED) {
			ret = -errno;
			goto err_unmap;
		}
	}
	*va = base;
	return 0;

err_unmap:
	munmap(base, (size_t)n_pfns * VMBUS_PAGE_SIZE);
	return ret;
}

int vmbus_gmem_unmap(void *va, uint32_t n_pfns)
{
	if (va == NULL || n_pfns == 0)
		return 0;
	if (munmap(va, (size_t)n_pfns * VMBUS_PAGE_SIZE) < 0)
		return -errno;
	return 0;
}

int vmbus_gmem_map_rings(const struct vmbus_gmem *g, const uint64_t *pfns, uint32_t n_pfns,
	uint32_t downstream_offset, struct vmbus_gmem_rings *out)
{
	void *va;
	int ret;

	/* facts 9 item 4: each ring has its control page and at least one data page */
	if (downstream_offset < 2 || downstream_offset >= n_pfns || n_pfns - downstream_offset < 2)
		return -EINVAL;
	ret = vmbus_gmem_map(g, pfns, n_pfns, &va);
	if (ret < 0)
		return ret;
	out->va = va;
	out->size = (size_t)n_pfns * VMBUS_PAGE_SIZE;
	out->g2h = va;
	out->g2h_size = (size_t)downstream_offset * VMBUS_PAGE_SIZE;
	out->h2g = (uint8_t *)va + out->g2h_size;
	out->h2g_size = out->size - out->g2h_size;
	return 0;
}

int vmbus_gmem_unmap_rings(struct vmbus_gmem_rings *rings)
{
	int ret = 0;

	if (rings->va != NULL && munmap(rings->va, rings->size) < 0)
		ret = -errno;
	rings->va = rings->g2h = rings->h2g = NULL;
	rings->size = rings->g2h_size = rings->h2g_size = 0;
	return ret;
}
