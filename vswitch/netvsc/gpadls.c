/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A port's mapped GPADLs as an immutable array. Control replaces the whole table on every change
 * and frees the old array after a grace period; workers look handles up through the published
 * pointer without locks. The array is small (a channel uses three GPADLs), so lookups are linear.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "netvsc.h"

const struct vs_nv_gpadl *vs_nv_gpadls_find(const struct vs_nv_gpadls *t, uint32_t handle)
{
	unsigned int i;

	for (i = 0; t && i < t->n; i++) {
		if (t->g[i].handle == handle)
			return &t->g[i];
	}
	return NULL;
}

uint32_t vs_nv_pfn_runs(const uint64_t *pfns, uint32_t n)
{
	uint32_t i, runs = n ? 1 : 0;

	for (i = 1; i < n; i++) {
		/* (no wrap-around run: counting too many is the safe side) */
		if (pfns[i - 1] == UINT64_MAX || pfns[i] != pfns[i - 1] + 1)
			runs++;
	}
	return runs;
}

static struct vs_nv_gpadls *table_alloc(unsigned int n)
{
	struct vs_nv_gpadls *t = malloc(sizeof(*t) + (size_t)n * sizeof(t->g[0]));

	if (t)
		t->n = n;
	return t;
}

struct vs_nv_gpadls *vs_nv_gpadls_add(const struct vs_nv_gpadls *t, const struct vs_nv_gpadl *g)
{
	unsigned int n = t ? t->n : 0;
	struct vs_nv_gpadls *nt;

	if (vs_nv_gpadls_find(t, g->handle)) {
		errno = EEXIST;
		return NULL;
	}
	if (n >= VS_NV_MAX_GPADLS) {
		errno = ENOSPC;
		return NULL;
	}
	nt = table_alloc(n + 1);
	if (nt == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	if (n)
		memcpy(nt->g, t->g, n * sizeof(t->g[0]));
	nt->g[n] = *g;
	return nt;
}

struct vs_nv_gpadls *vs_nv_gpadls_remove(const struct vs_nv_gpadls *t, uint32_t handle,
	struct vs_nv_gpadl *removed)
{
	const struct vs_nv_gpadl *g = vs_nv_gpadls_find(t, handle);
	struct vs_nv_gpadls *nt;
	unsigned int i, k = 0;

	if (g == NULL) {
		errno = ENOENT;
		return NULL;
	}
	nt = table_alloc(t->n - 1);
	if (nt == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	for (i = 0; i < t->n; i++) {
		if (&t->g[i] != g)
			nt->g[k++] = t->g[i];
	}
	*removed = *g;
	return nt;
}
