/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Walk the RNDIS messages of one SEND_RNDIS_PKT stream (facts 6.3, 7.1): batched messages follow
 * each other, each msg_len long (its padding included). A message whose length is wrong ends the
 * walk, since the next one cannot be found; a message that is well framed but bad is counted and
 * skipped, and the walk goes on (OpenVMM #3549: fail the packet, not the channel). One status for
 * the whole request: SUCCESS only if every message was good.
 */
#include "internal.h"

uint32_t vs_rndis_input(struct vs_vsp *vsp, const struct vs_stream *s)
{
	uint32_t status = NVSP_STAT_SUCCESS;
	uint32_t off = 0;

	while (off < s->size) {
		struct rndis_msg_hdr h;
		uint32_t rem = s->size - off;
		enum vs_vsp_err e;

		if (rem < sizeof(h)) {
			vs_vsp_error(vsp, VS_VSP_ERR_RNDIS_MSG_LEN);
			return NVSP_STAT_FAIL;
		}
		vs_stream_copy(s, off, &h, sizeof(h));
		if (h.msg_len < sizeof(h) || h.msg_len > rem) {
			vs_vsp_error(vsp, VS_VSP_ERR_RNDIS_MSG_LEN);
			return NVSP_STAT_FAIL;
		}
		switch (h.msg_type) {
		case RNDIS_MSG_PACKET:
			e = vs_rndis_data(vsp, s, off, h.msg_len);
			break;
		case RNDIS_MSG_INIT:
		case RNDIS_MSG_HALT:
		case RNDIS_MSG_QUERY:
		case RNDIS_MSG_SET:
		case RNDIS_MSG_RESET:
		case RNDIS_MSG_KEEPALIVE:
			e = vs_rndis_ctl(vsp, s, off, h.msg_len);
			break;
		default:
			e = VS_VSP_ERR_RNDIS_UNKNOWN_MSG;
			break;
		}
		if (e != VS_VSP_ERR_NONE) {
			vs_vsp_error(vsp, e);
			status = NVSP_STAT_FAIL;
		}
		off += h.msg_len; /* >= 8: the walk always advances */
	}
	return status;
}
