/* SPDX-License-Identifier: BSD-3-Clause */
#include "offload.h"

#include <errno.h>

int vs_ol_csum_fill(struct rte_mbuf *m, const struct vs_ol_info *info)
{
	return -EINVAL;
}

unsigned int vs_ol_csum_verify(const struct rte_mbuf *m, const struct vs_ol_info *info)
{
	return 0;
}

int vs_ol_tx_prepare(struct rte_mbuf *m, const struct vs_ol_info *info, uint64_t tx_offload_capa)
{
	return -EINVAL;
}
