/* SPDX-License-Identifier: BSD-3-Clause */
#include "offload.h"

#include <errno.h>

int vs_ol_parse(const struct rte_mbuf *m, unsigned int flags, struct vs_ol_info *info)
{
	info->reason = VS_OL_R_NOT_IP;
	return -EPROTONOSUPPORT;
}

const char *vs_ol_reason_name(enum vs_ol_reason r)
{
	return "unknown";
}
