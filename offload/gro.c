/* SPDX-License-Identifier: BSD-3-Clause */
#include "offload.h"

#include <errno.h>
#include <stddef.h>

int vs_ol_gro_segs_offset = -1;

struct vs_ol_gro *vs_ol_gro_create(const struct vs_ol_gro_params *params, int socket_id)
{
	errno = ENOMEM;
	return NULL;
}

void vs_ol_gro_destroy(struct vs_ol_gro *ctx)
{
}

int vs_ol_gro_input(struct vs_ol_gro *ctx, struct rte_mbuf **pkts, uint16_t n,
	struct rte_mbuf **out, uint16_t max_out)
{
	return -EINVAL;
}

uint16_t vs_ol_gro_flush(struct vs_ol_gro *ctx, struct rte_mbuf **out, uint16_t max_out)
{
	return 0;
}

uint16_t vs_ol_gro_pending(const struct vs_ol_gro *ctx)
{
	return 0;
}
