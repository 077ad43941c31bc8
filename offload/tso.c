/* SPDX-License-Identifier: BSD-3-Clause */
#include "offload.h"

#include <errno.h>

int vs_ol_tso_segment(const struct rte_mbuf *m, struct vs_ol_info *info, uint32_t mss,
	struct rte_mempool *pool, struct rte_mbuf **out, uint16_t max_out)
{
	return -EINVAL;
}
