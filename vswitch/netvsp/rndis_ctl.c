/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RNDIS control messages (facts 7.2-7.5, 7.7, 10): INITIALIZE, QUERY and SET of a whitelist of
 * OIDs, HALT, RESET, KEEPALIVE, and the status indications we send. Every message is copied to
 * private memory first; its info buffer must lie inside it. Unknown OIDs are answered
 * NOT_SUPPORTED, never silently (CVE-2021-28476: accept only OIDs we know, interpret nothing as a
 * pointer).
 */
#include "internal.h"

#include <errno.h>

static int answer_status(struct vs_vsp *vsp, uint32_t type, uint32_t req_id, uint32_t status)
{
	struct rndis_set_complete c = {
		.hdr = {.msg_type = type, .msg_len = sizeof(c)},
		.req_id = req_id,
		.status = status,
	};

	return vs_ctl_answer(vsp, &c, sizeof(c));
}

/* QUERY_C: info buffer right after the 24-byte header, offset 16 relative to byte 8 (Linux
 * requires >= 16). A failed query carries no data. */
static int answer_query(struct vs_vsp *vsp, uint32_t req_id, uint32_t status, const void *data,
	uint32_t len)
{
	uint8_t buf[VS_VSP_CTL_ANSWER_MAX];
	struct rndis_query_complete c = {
		.hdr = {.msg_type = RNDIS_MSG_QUERY_C, .msg_len = sizeof(c) + len},
		.req_id = req_id,
		.status = status,
		.info_buflen = len,
		.info_buf_offset = sizeof(c) - RNDIS_HEADER_OFFSET,
	};

	if (len > sizeof(buf) - sizeof(c))
		return -EINVAL;
	memcpy(buf, &c, sizeof(c));
	if (len)
		memcpy(buf + sizeof(c), data, len);
	return vs_ctl_answer(vsp, buf, (uint32_t)sizeof(c) + len);
}

/* INIT_C (facts 7.2, 10): RNDIS 1.0, connectionless, 802.3, 64 packets per message, alignment
 * 1 << 3, OpenVMM's max transfer size. OpenVMM says 8 packets; 64 lets a guest put a whole
 * 32-frame transmit burst of small frames in one send section and one NVSP message (DPDK's PMD
 * and Linux stop at the section size first: 6144 bytes hold about 50 small frames), which
 * divides the ring writes, completions and send-descriptor work of both sides by four. Our
 * parser walks any number of messages in a section (rndis.c). */
static int answer_init(struct vs_vsp *vsp, uint32_t req_id, uint32_t status)
{
	struct rndis_init_complete c = {
		.hdr = {.msg_type = RNDIS_MSG_INIT_C, .msg_len = sizeof(c)},
		.req_id = req_id,
		.status = status,
		.major_ver = 1,
		.minor_ver = 0,
		.dev_flags = 1,
		.medium = 0,
		.max_pkt_per_msg = VS_VSP_PKTS_PER_MSG,
		.max_xfer_size = 0xefffffffu,
		.pkt_alignment_factor = 3,
		.af_list_offset = 0,
		.af_list_size = 0,
	};

	return vs_ctl_answer(vsp, &c, sizeof(c));
}

/* The hardware-capabilities revision to answer: the guest's if its input header is a valid
 * NDIS_OFFLOAD header, else by NVSP version as Linux would ask (facts 7.4). */
static uint8_t offload_revision(const struct vs_vsp *vsp, const uint8_t *in, uint32_t in_len)
{
	if (in_len >= sizeof(struct ndis_obj_header) && in[0] == NDIS_OBJTYPE_OFFLOAD && in[1] >= 1)
		return in[1] > 3 ? 3 : in[1];
	if (vsp->nvsp_version >= NVSP_VERSION_5)
		return 3;
	return vsp->nvsp_version >= NVSP_VERSION_4 ? 2 : 1;
}

static int query(struct vs_vsp *vsp, uint32_t req_id, uint32_t oid, const uint8_t *in,
	uint32_t in_len)
{
	static const uint16_t offload_sizes[] = {0, NDIS_OFFLOAD_SIZE_REV1, NDIS_OFFLOAD_SIZE_REV2,
		NDIS_OFFLOAD_SIZE_REV3};
	union {
		uint32_t u32;
		struct ndis_offload offload;
		struct ndis_rss_caps rss;
	} a;
	uint32_t len = sizeof(uint32_t);

	memset(&a, 0, sizeof(a));
	switch (oid) {
	case RNDIS_OID_GEN_MAXIMUM_FRAME_SIZE:
		a.u32 = vsp->ndis_mtu - 14u; /* the MTU without Ethernet header (facts 7.3) */
		break;
	case RNDIS_OID_GEN_LINK_SPEED:
		a.u32 = vsp->cfg.link_speed;
		break;
	case RNDIS_OID_GEN_MEDIA_CONNECT_STATUS:
		a.u32 = vsp->link_up ? 0 : 1;
		break;
	case RNDIS_OID_GEN_CURRENT_PACKET_FILTER:
		a.u32 = vsp->filter;
		break;
	case RNDIS_OID_802_3_PERMANENT_ADDRESS:
	case RNDIS_OID_802_3_CURRENT_ADDRESS:
		return answer_query(vsp, req_id, RNDIS_STATUS_SUCCESS, vsp->cfg.mac, 6);
	case RNDIS_OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES: {
		uint8_t rev = offload_revision(vsp, in, in_len);

		vs_rndis_offload_caps(vsp, &a.offload);
		a.offload.header.revision = rev;
		a.offload.header.size = offload_sizes[rev];
		len = offload_sizes[rev];
		break;
	}
	case RNDIS_OID_GEN_RECEIVE_SCALE_CAPABILITIES:
		/* 18 bytes, as OpenVMM writes them (facts 7.5). */
		a.rss.header.type = NDIS_OBJTYPE_RSS_CAPABILITIES;
		a.rss.header.revision = 2;
		a.rss.header.size = sizeof(a.rss);
		a.rss.cap_flags = NDIS_RSS_CAP_TOEPLITZ | NDIS_RSS_CAP_TCP_IPV4 | NDIS_RSS_CAP_TCP_IPV6;
		a.rss.num_int_msgs = 1;
		a.rss.num_recv_que = vsp->cfg.rss_queues;
		a.rss.num_indirect_tabent = VS_VSP_RSS_TABLE_MAX;
		len = sizeof(a.rss);
		break;
	default:
		/* Includes FRIENDLY_NAME, which is optional (facts 6.2 step 10). */
		vsp->stats.cnt[VS_VSP_CNT_OID_UNSUPPORTED]++;
		return answer_query(vsp, req_id, RNDIS_STATUS_NOT_SUPPORTED, NULL, 0);
	}
	return answer_query(vsp, req_id, RNDIS_STATUS_SUCCESS, &a, len);
}

/*
 * RSS parameters (facts 7.5, 9 item 6; OpenVMM #3183): 40-byte header, key of exactly 40 bytes,
 * table of > 0 entries in whole u32s and at most what we store, both inside the buffer and past the
 * header, every entry a channel we have.
 */
static bool rss_set(struct vs_vsp *vsp, const uint8_t *in, uint32_t len)
{
	uint32_t tab_size, tab_off, key_size, key_off, i;

	if (len < sizeof(struct ndis_rss_params) || in[0] != NDIS_OBJTYPE_RSS_PARAMETERS ||
		vs_rd16(in + 2) < sizeof(struct ndis_rss_params))
		return false;
	tab_size = vs_rd16(in + 12);
	tab_off = vs_rd32(in + 16);
	key_size = vs_rd16(in + 20);
	key_off = vs_rd32(in + 24);
	if (key_size != NDIS_RSS_KEY_SIZE || key_off < sizeof(struct ndis_rss_params) ||
		(uint64_t)key_off + key_size > len)
		return false;
	if (tab_size == 0 || tab_size % 4 || tab_size / 4 > VS_VSP_RSS_TABLE_MAX ||
		tab_off < sizeof(struct ndis_rss_params) || (uint64_t)tab_off + tab_size > len)
		return false;
	for (i = 0; i < tab_size / 4; i++) {
		if (vs_rd32(in + tab_off + 4 * i) >= vsp->n_channels)
			return false;
	}
	vsp->rss.flags = vs_rd16(in + 4);
	vsp->rss.enabled = !(vsp->rss.flags & NDIS_RSS_PARAM_FLAG_DISABLE_RSS);
	vsp->rss.hash_info = vs_rd32(in + 8);
	vsp->rss.n_table = tab_size / 4;
	for (i = 0; i < vsp->rss.n_table; i++)
		vsp->rss.table[i] = vs_rd32(in + tab_off + 4 * i);
	memcpy(vsp->rss.key, in + key_off, NDIS_RSS_KEY_SIZE);
	return true;
}

static int set(struct vs_vsp *vsp, uint32_t req_id, uint32_t oid, const uint8_t *in,
	uint32_t in_len)
{
	uint32_t status = RNDIS_STATUS_SUCCESS;

	switch (oid) {
	case RNDIS_OID_GEN_CURRENT_PACKET_FILTER:
		if (in_len < sizeof(uint32_t))
			goto invalid;
		vsp->filter = vs_rd32(in);
		break;
	case RNDIS_OID_TCP_OFFLOAD_PARAMETERS:
		/* 28 bytes for NVSP >= 5, 22 before (facts 7.4); kept as VS_VSP_EN_* bits */
		if (vs_rndis_offload_params_apply(in, in_len, vs_rndis_offloads_advertised(vsp),
			    &vsp->offloads))
			goto invalid;
		vsp->stats.cnt[VS_VSP_CNT_OFFLOAD_PARAMS]++;
		memset(vsp->offload_params, 0, sizeof(vsp->offload_params));
		memcpy(vsp->offload_params, in,
			in_len < sizeof(vsp->offload_params) ? in_len : sizeof(vsp->offload_params));
		break;
	case RNDIS_OID_GEN_RECEIVE_SCALE_PARAMETERS:
		if (!rss_set(vsp, in, in_len)) {
			vs_vsp_error(vsp, VS_VSP_ERR_RSS_INVALID);
			status = RNDIS_STATUS_INVALID_DATA;
		}
		break;
	default:
		/* Includes RNDIS_CONFIG_PARAMETER (NetworkAddress): the MAC is the host's. */
		vsp->stats.cnt[VS_VSP_CNT_OID_UNSUPPORTED]++;
		status = RNDIS_STATUS_NOT_SUPPORTED;
		break;
	}
	return answer_status(vsp, RNDIS_MSG_SET_C, req_id, status);
invalid:
	vs_vsp_error(vsp, VS_VSP_ERR_OID_INVALID);
	return answer_status(vsp, RNDIS_MSG_SET_C, req_id, RNDIS_STATUS_INVALID_DATA);
}

/* Minimum size of each control message type (facts 7.2). */
static uint32_t ctl_min_size(uint32_t type)
{
	switch (type) {
	case RNDIS_MSG_INIT:
		return sizeof(struct rndis_init_request);
	case RNDIS_MSG_QUERY:
	case RNDIS_MSG_SET:
		return sizeof(struct rndis_query_request);
	default: /* HALT, RESET, KEEPALIVE: type, length, one u32 */
		return sizeof(struct rndis_halt_request);
	}
}

/* Answer a message we cannot process with a failure in its completion shape. */
static int ctl_refuse(struct vs_vsp *vsp, uint32_t type, uint32_t req_id, uint32_t status)
{
	switch (type) {
	case RNDIS_MSG_INIT:
		return answer_init(vsp, req_id, status);
	case RNDIS_MSG_QUERY:
		return answer_query(vsp, req_id, status, NULL, 0);
	case RNDIS_MSG_SET:
		return answer_status(vsp, RNDIS_MSG_SET_C, req_id, status);
	case RNDIS_MSG_RESET:
		/* RESET_C is {status @8, addressing_reset @12}: no request id. */
		return answer_status(vsp, RNDIS_MSG_RESET_C, status, 0);
	case RNDIS_MSG_KEEPALIVE:
		return answer_status(vsp, RNDIS_MSG_KEEPALIVE_C, req_id, status);
	default: /* HALT has no answer */
		return 0;
	}
}

/* An answer that found neither a sub-allocation nor room in the queue fails the request. Send
 * errors were counted where they happened. */
static enum vs_vsp_err answered(int ret)
{
	return ret == -ENOBUFS ? VS_VSP_ERR_CTL_QUEUE_FULL : VS_VSP_ERR_NONE;
}

enum vs_vsp_err vs_rndis_ctl(struct vs_vsp *vsp, const struct vs_stream *s, uint32_t off,
	uint32_t msg_len)
{
	uint8_t *m = vsp->ctl_msg;
	uint32_t type, req_id = 0, oid, in_len, in_off;
	const uint8_t *in = NULL;
	uint64_t start;

	vsp->stats.cnt[VS_VSP_CNT_RNDIS_CTL_MSGS]++;
	vs_stream_copy(s, off, m, msg_len < VS_VSP_CTL_MSG_MAX ? msg_len : VS_VSP_CTL_MSG_MAX);
	type = vs_rd32(m);
	if (msg_len >= sizeof(struct rndis_halt_request))
		req_id = vs_rd32(m + 8);
	if (msg_len < ctl_min_size(type)) {
		/* With a request id we can still fail the request; without one, only count. */
		if (msg_len >= sizeof(struct rndis_halt_request))
			ctl_refuse(vsp, type, req_id, RNDIS_STATUS_INVALID_DATA);
		return VS_VSP_ERR_CTL_SHORT;
	}
	if (msg_len > VS_VSP_CTL_MSG_MAX) {
		ctl_refuse(vsp, type, req_id, RNDIS_STATUS_INVALID_DATA);
		return VS_VSP_ERR_CTL_TOO_BIG;
	}
	switch (type) {
	case RNDIS_MSG_INIT:
		/* (Re)initialize: the filter starts closed until the guest opens it (facts 6.2). */
		vsp->rndis = VS_RNDIS_INITIALIZED;
		vsp->filter = 0;
		return answered(answer_init(vsp, req_id, RNDIS_STATUS_SUCCESS));
	case RNDIS_MSG_HALT:
		/* No reply (facts 7.1); stop receiving until a new INITIALIZE. */
		if (vsp->rndis == VS_RNDIS_INITIALIZED)
			vsp->rndis = VS_RNDIS_HALTED;
		vsp->filter = 0;
		return VS_VSP_ERR_NONE;
	default:
		break;
	}
	if (vsp->rndis != VS_RNDIS_INITIALIZED) {
		ctl_refuse(vsp, type, req_id, RNDIS_STATUS_FAILURE);
		return VS_VSP_ERR_RNDIS_NOT_INIT;
	}
	switch (type) {
	case RNDIS_MSG_RESET:
		return answered(ctl_refuse(vsp, type, req_id, RNDIS_STATUS_SUCCESS));
	case RNDIS_MSG_KEEPALIVE:
		return answered(ctl_refuse(vsp, type, req_id, RNDIS_STATUS_SUCCESS));
	default: /* QUERY, SET */
		break;
	}
	oid = vs_rd32(m + 12);
	in_len = vs_rd32(m + 16);
	in_off = vs_rd32(m + 20); /* relative to byte 8 */
	start = (uint64_t)RNDIS_HEADER_OFFSET + in_off;
	if (in_len) {
		/* The info buffer must follow the header and end inside the message. */
		if (start < sizeof(struct rndis_query_request) || start + in_len > msg_len) {
			ctl_refuse(vsp, type, req_id, RNDIS_STATUS_INVALID_DATA);
			return VS_VSP_ERR_OID_BUFFER;
		}
		in = m + start;
	}
	if (type == RNDIS_MSG_QUERY)
		return answered(query(vsp, req_id, oid, in, in_len));
	return answered(set(vsp, req_id, oid, in, in_len));
}

/* Media state to the guest (facts 7.7): INDICATE_STATUS with no status buffer. */
int vs_vsp_link_set(struct vs_vsp *vsp, bool up)
{
	struct rndis_indicate_status ind = {
		.hdr = {.msg_type = RNDIS_MSG_INDICATE, .msg_len = sizeof(ind)},
		.status = up ? RNDIS_STATUS_MEDIA_CONNECT : RNDIS_STATUS_MEDIA_DISCONNECT,
		.status_buflen = 0,
		.status_buf_offset = 0,
	};

	if (vsp->link_up == up)
		return 0;
	vsp->link_up = up;
	if (vsp->rndis != VS_RNDIS_INITIALIZED || !vsp->rx.ready)
		return 0; /* the guest reads MEDIA_CONNECT_STATUS when it starts */
	vsp->ctl_budget = 1;
	if (vs_ctl_answer(vsp, &ind, sizeof(ind)) == -ENOBUFS) {
		vs_vsp_error(vsp, VS_VSP_ERR_CTL_QUEUE_FULL);
		return -ENOBUFS;
	}
	return 0;
}
