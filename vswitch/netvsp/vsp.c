/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Channel lifecycle, counters, ring-packet dispatch and the NVSP control messages
 * (hyperv-facts.md 5.2, 6.1, 6.2, 9 item 5).
 */
#include "vsp.h"
#include "internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const cnt_names[] = {
#define VS_VSP_X(e, s) [VS_VSP_CNT_##e] = s,
	VS_VSP_COUNTERS(VS_VSP_X)
#undef VS_VSP_X
};

static const char *const err_names[] = {
	[VS_VSP_ERR_NONE] = "none",
#define VS_VSP_X(e, s) [VS_VSP_ERR_##e] = s,
	VS_VSP_ERRORS(VS_VSP_X)
#undef VS_VSP_X
};

static const char *const drop_names[] = {
#define VS_VSP_X(e, s) [VS_VSP_DROP_##e] = s,
	VS_VSP_DROPS(VS_VSP_X)
#undef VS_VSP_X
};

const char *vs_vsp_cnt_name(enum vs_vsp_cnt c)
{
	return (unsigned int)c < VS_VSP_CNT_COUNT ? cnt_names[c] : "?";
}

const char *vs_vsp_err_name(enum vs_vsp_err e)
{
	return (unsigned int)e < VS_VSP_ERR_COUNT ? err_names[e] : "?";
}

const char *vs_vsp_drop_name(enum vs_vsp_drop d)
{
	return (unsigned int)d < VS_VSP_DROP_COUNT ? drop_names[d] : "?";
}

/* Count a guest protocol error. Logging is rate-limited without a clock (tests and fuzzing must not
 * depend on time): a reason is logged on its 1st, 2nd, 4th, 8th ... occurrence. */
void vs_vsp_error(struct vs_vsp *vsp, enum vs_vsp_err e)
{
	uint64_t n;
	char msg[96];

	if (e == VS_VSP_ERR_NONE || (unsigned int)e >= VS_VSP_ERR_COUNT)
		return;
	n = ++vsp->stats.err[e];
	if (vsp->ops->log && (n & (n - 1)) == 0) {
		snprintf(msg, sizeof(msg), "netvsp: guest protocol error %s (%llu so far)%s",
			err_names[e], (unsigned long long)n, vsp->fatal ? ", closing" : "");
		vsp->ops->log(vsp->ctx, msg);
	}
}

void vs_vsp_fatal(struct vs_vsp *vsp, enum vs_vsp_err e)
{
	vsp->fatal = true;
	vs_vsp_error(vsp, e);
}

/*
 * Send a COMP packet for guest transaction 'trans_id'. A non-empty NVSP answer is padded to
 * NVSP_MSG_SIZE: Linux copies 40 bytes and needs >= 28 for INIT/RECV_BUF completions (facts 6.1).
 * size 0 sends a bare descriptor, which Linux understands only for SWITCH_DATA_PATH.
 */
int vs_vsp_send_comp(struct vs_vsp *vsp, uint64_t trans_id, const void *msg, size_t size)
{
	uint8_t pkt[sizeof(struct vmbus_pkt_desc) + NVSP_MSG_SIZE] = {0};
	struct vmbus_pkt_desc d = {
		.type = VMBUS_PKT_COMP,
		.offset8 = sizeof(struct vmbus_pkt_desc) / 8,
		.len8 = (uint16_t)((sizeof(struct vmbus_pkt_desc) + (size ? NVSP_MSG_SIZE : 0)) / 8),
		.flags = 0,
		.trans_id = trans_id,
	};
	int ret;

	if (size > NVSP_MSG_SIZE)
		return -EINVAL;
	memcpy(pkt, &d, sizeof(d));
	if (size)
		memcpy(pkt + sizeof(d), msg, size);
	ret = vsp->ops->send(vsp->ctx, vsp->cur_chan, pkt, (size_t)d.len8 * 8);
	if (ret < 0)
		vs_vsp_error(vsp, VS_VSP_ERR_SEND_FAILED);
	return ret;
}

static void apply_defaults(struct vs_vsp_config *cfg)
{
	if (!cfg->link_speed)
		cfg->link_speed = 100000000u; /* 10 Gbit/s in 100 bit/s units (facts 7.3) */
	if (!cfg->ndis_mtu_max || cfg->ndis_mtu_max > VS_VSP_NDIS_MTU_MAX)
		cfg->ndis_mtu_max = VS_VSP_NDIS_MTU_MAX;
	if (cfg->ndis_mtu_max < VS_VSP_NDIS_MTU_MIN)
		cfg->ndis_mtu_max = VS_VSP_NDIS_MTU_MIN;
	if (!cfg->rx_suballocs_max || cfg->rx_suballocs_max > VS_VSP_RX_SUBALLOCS_MAX)
		cfg->rx_suballocs_max = VS_VSP_RX_SUBALLOCS_MAX;
	if (cfg->rx_suballocs_max < 2)
		cfg->rx_suballocs_max = 2;
	if (!cfg->rss_queues)
		cfg->rss_queues = 1;
}

static void reset_state(struct vs_vsp *vsp)
{
	vs_rxbuf_clear(vsp);
	memset(&vsp->tx, 0, sizeof(vsp->tx));
	vsp->fatal = false;
	vsp->nvsp_version = 0;
	vsp->ndis_mtu = VS_VSP_NDIS_MTU_MIN;
	vsp->ndis_caps = 0;
	vsp->ndis_major = vsp->ndis_minor = 0;
	vsp->n_channels = 1;
	vsp->datapath = 0;
	vsp->rndis = VS_RNDIS_UNINIT;
	vsp->filter = 0;
	memset(vsp->offload_params, 0, sizeof(vsp->offload_params));
	vsp->offloads = 0;
	memset(&vsp->rss, 0, sizeof(vsp->rss));
}

struct vs_vsp *vs_vsp_create(const struct vs_vsp_config *cfg, const struct vs_vsp_ops *ops,
	void *ctx)
{
	struct vs_vsp *vsp;
	uint32_t cap;

	if (!cfg || !ops || !ops->gpadl_map || !ops->gpa_pages || !ops->send || !ops->deliver) {
		errno = EINVAL;
		return NULL;
	}
	vsp = calloc(1, sizeof(*vsp));
	if (!vsp)
		goto err;
	vsp->ops = ops;
	vsp->ctx = ctx;
	vsp->cfg = *cfg;
	apply_defaults(&vsp->cfg);
	cap = vsp->cfg.rx_suballocs_max;
	vsp->rx.cap = cap;
	vsp->rx.next = calloc(cap, sizeof(uint32_t));
	vsp->rx.seq = calloc(cap, sizeof(uint32_t));
	vsp->rx.free_data = calloc(cap, sizeof(uint32_t));
	if (!vsp->rx.next || !vsp->rx.seq || !vsp->rx.free_data)
		goto err_free;
	vsp->link_up = cfg->link_up;
	reset_state(vsp);
	return vsp;

err_free:
	vs_vsp_destroy(vsp);
err:
	errno = ENOMEM;
	return NULL;
}

void vs_vsp_destroy(struct vs_vsp *vsp)
{
	if (!vsp)
		return;
	free(vsp->rx.next);
	free(vsp->rx.seq);
	free(vsp->rx.free_data);
	free(vsp);
}

void vs_vsp_reset(struct vs_vsp *vsp)
{
	reset_state(vsp);
}

bool vs_vsp_must_close(const struct vs_vsp *vsp)
{
	return vsp->fatal;
}

const struct vs_vsp_stats *vs_vsp_stats(const struct vs_vsp *vsp)
{
	return &vsp->stats;
}

void vs_vsp_info_get(const struct vs_vsp *vsp, struct vs_vsp_info *info)
{
	memset(info, 0, sizeof(*info));
	info->nvsp_version = vsp->nvsp_version;
	info->ndis_mtu = vsp->ndis_mtu;
	info->ndis_caps = vsp->ndis_caps;
	info->ndis_major = vsp->ndis_major;
	info->ndis_minor = vsp->ndis_minor;
	info->recv_buf = vsp->rx.ready;
	info->rx_suballoc_size = vsp->rx.sub_size;
	info->rx_suballocs = vsp->rx.n_subs;
	info->rx_free = vs_rxbuf_n_free(&vsp->rx);
	info->send_buf = vsp->tx.ready;
	info->send_sections = vsp->tx.n_sections;
	info->rndis_ready = vsp->rndis == VS_RNDIS_INITIALIZED;
	info->packet_filter = vsp->filter;
	info->link_up = vsp->link_up;
	info->n_channels = vsp->n_channels;
	info->datapath = vsp->datapath;
	info->rss_enabled = vsp->rss.enabled;
	info->rss_hash_info = vsp->rss.hash_info;
	info->rss_table_len = vsp->rss.n_table;
	memcpy(info->offload_params, vsp->offload_params, sizeof(info->offload_params));
	info->offloads_advertised = vs_rndis_offloads_advertised(vsp);
	info->offloads = vsp->offloads;
}

bool vs_vsp_rss_get(const struct vs_vsp *vsp, struct vs_vsp_rss *out)
{
	if (!vsp->rss.enabled || vsp->n_channels < 2 || vsp->rss.n_table == 0)
		return false;
	out->hash_info = vsp->rss.hash_info;
	out->n_table = vsp->rss.n_table;
	out->table = vsp->rss.table;
	out->key = vsp->rss.key;
	return true;
}

uint32_t vs_vsp_rss_channel(const struct vs_vsp *vsp, uint32_t hash)
{
	if (!vsp->rss.enabled || vsp->rss.n_table == 0)
		return 0;
	return vsp->rss.table[hash % vsp->rss.n_table];
}

void vs_vsp_gpadl_teardown(struct vs_vsp *vsp, uint32_t gpadl)
{
	if (vsp->rx.ready && vsp->rx.gpadl == gpadl)
		vs_rxbuf_clear(vsp);
	if (vsp->tx.ready && vsp->tx.gpadl == gpadl)
		memset(&vsp->tx, 0, sizeof(vsp->tx));
}

/* ---- NVSP control ------------------------------------------------------------------------- */

/* What arrived: the descriptor (private copy), the NVSP message and, for GPA_DIRECT, the range
 * list between the 24-byte header and the payload. */
struct vs_in {
	struct vmbus_pkt_desc d;
	const uint8_t *msg;
	size_t size;
	const uint8_t *ranges; /* NULL unless GPA_DIRECT */
	size_t ranges_size;
	uint32_t range_count;
};

static bool wants_comp(const struct vs_in *in)
{
	return in->d.flags & VMBUS_PKT_FLAG_COMPLETION_REQUESTED;
}

/* Minimum NVSP message sizes per type (the struct sizes in nvsp.h). 0: unknown type. */
static size_t nvsp_min_size(uint32_t type)
{
	switch (type) {
	case NVSP_MSG_TYPE_INIT:
		return sizeof(struct nvsp_msg_init);
	case NVSP_MSG1_TYPE_SEND_NDIS_VER:
		return sizeof(struct nvsp_msg_ndis_version);
	case NVSP_MSG1_TYPE_SEND_RECV_BUF:
	case NVSP_MSG1_TYPE_SEND_SEND_BUF:
		return sizeof(struct nvsp_msg_send_buf);
	case NVSP_MSG1_TYPE_REVOKE_RECV_BUF:
	case NVSP_MSG1_TYPE_REVOKE_SEND_BUF:
		return sizeof(struct nvsp_msg_revoke_buf);
	case NVSP_MSG1_TYPE_SEND_RNDIS_PKT:
		return sizeof(struct nvsp_msg_rndis_pkt);
	case NVSP_MSG2_TYPE_SEND_NDIS_CONFIG:
		return sizeof(struct nvsp_msg_ndis_config);
	case NVSP_MSG4_TYPE_SWITCH_DATA_PATH:
		return sizeof(struct nvsp_msg_switch_data_path);
	case NVSP_MSG5_TYPE_SUBCHANNEL:
		return sizeof(struct nvsp_msg_subchannel);
	default:
		return 0;
	}
}

/* Complete a request we refuse, in the shape Linux expects for its type (facts 6.1). Types
 * without a completion format get none. */
static void nvsp_refuse(struct vs_vsp *vsp, const struct vs_in *in, uint32_t type)
{
	uint32_t m[3] = {0};

	if (!wants_comp(in))
		return;
	switch (type) {
	case NVSP_MSG_TYPE_INIT: {
		struct nvsp_msg_init_complete c = {.msg_type = NVSP_MSG_TYPE_INIT_COMPLETE,
			.status = NVSP_STAT_FAIL};
		vs_vsp_send_comp(vsp, in->d.trans_id, &c, sizeof(c));
		return;
	}
	case NVSP_MSG1_TYPE_SEND_RECV_BUF:
		m[0] = NVSP_MSG1_TYPE_SEND_RECV_BUF_COMPLETE;
		break;
	case NVSP_MSG1_TYPE_SEND_SEND_BUF:
		m[0] = NVSP_MSG1_TYPE_SEND_SEND_BUF_COMPLETE;
		break;
	case NVSP_MSG1_TYPE_SEND_RNDIS_PKT:
		m[0] = NVSP_MSG1_TYPE_SEND_RNDIS_PKT_COMPLETE;
		break;
	case NVSP_MSG5_TYPE_SUBCHANNEL:
		m[0] = NVSP_MSG5_TYPE_SUBCHANNEL;
		break;
	case NVSP_MSG4_TYPE_SWITCH_DATA_PATH:
		vs_vsp_send_comp(vsp, in->d.trans_id, NULL, 0);
		return;
	default:
		return;
	}
	m[1] = NVSP_STAT_FAIL;
	vs_vsp_send_comp(vsp, in->d.trans_id, m, sizeof(m));
}

/* Versions we speak, best first (facts 6.1). */
static const uint32_t nvsp_versions[] = {
	NVSP_VERSION_61, NVSP_VERSION_6, NVSP_VERSION_5, NVSP_VERSION_4, NVSP_VERSION_2,
	NVSP_VERSION_1,
};

static void nvsp_init(struct vs_vsp *vsp, const struct vs_in *in)
{
	struct nvsp_msg_init_complete c = {.msg_type = NVSP_MSG_TYPE_INIT_COMPLETE,
		.status = NVSP_STAT_FAIL};
	uint32_t lo = vs_rd32(in->msg + 4), hi = vs_rd32(in->msg + 8);
	unsigned int i;

	if (vsp->nvsp_version) {
		/* Renegotiation needs a channel close and reopen (vs_vsp_reset). */
		vs_vsp_error(vsp, VS_VSP_ERR_NVSP_REINIT);
		goto answer;
	}
	for (i = 0; i < sizeof(nvsp_versions) / sizeof(nvsp_versions[0]); i++) {
		if (nvsp_versions[i] >= lo && nvsp_versions[i] <= hi) {
			vsp->nvsp_version = nvsp_versions[i];
			c.status = NVSP_STAT_SUCCESS;
			break;
		}
	}
	if (c.status != NVSP_STAT_SUCCESS)
		vs_vsp_error(vsp, VS_VSP_ERR_NVSP_VERSION); /* Linux retries with an older one */
answer:
	/* negotiated_version (deprecated) and max_mdl_chain_len stay 0: Linux reads only status. */
	if (wants_comp(in))
		vs_vsp_send_comp(vsp, in->d.trans_id, &c, sizeof(c));
}

/* NDIS-config MTU (MTU + 14, facts 8): OpenVMM/vmswitch accept 1514..9216 and fall back to 1514.
 * We raise small values to 1514 (bigger sub-allocations are harmless) and clamp big ones to the
 * configured cap, so a guest with a 9216-byte MTU still gets sub-allocations its frames fit. */
static void nvsp_ndis_config(struct vs_vsp *vsp, const struct vs_in *in)
{
	uint32_t mtu = vs_rd32(in->msg + 4);

	if (vsp->nvsp_version < NVSP_VERSION_2) {
		vs_vsp_error(vsp, VS_VSP_ERR_NVSP_NOT_IN_VERSION);
		return;
	}
	memcpy(&vsp->ndis_caps, in->msg + 12, sizeof(vsp->ndis_caps));
	if (mtu < VS_VSP_NDIS_MTU_MIN || mtu > vsp->cfg.ndis_mtu_max) {
		mtu = mtu < VS_VSP_NDIS_MTU_MIN ? VS_VSP_NDIS_MTU_MIN : vsp->cfg.ndis_mtu_max;
		vsp->stats.cnt[VS_VSP_CNT_MTU_ADJUSTED]++;
	}
	vsp->ndis_mtu = mtu;
}

static void nvsp_recv_buf(struct vs_vsp *vsp, const struct vs_in *in)
{
	struct nvsp_msg_recv_buf_complete c = {.msg_type = NVSP_MSG1_TYPE_SEND_RECV_BUF_COMPLETE};
	uint32_t gpadl = vs_rd32(in->msg + 4);
	uint16_t id = vs_rd16(in->msg + 8);
	uint8_t *base;
	size_t size;

	if (vsp->rx.ready || (vsp->tx.ready && vsp->tx.gpadl == gpadl)) {
		vs_vsp_error(vsp, VS_VSP_ERR_BUF_DUPLICATE);
		goto refuse;
	}
	if (vsp->ops->gpadl_map(vsp->ctx, gpadl, &base, &size) < 0 || !base) {
		vs_vsp_error(vsp, VS_VSP_ERR_BUF_GPADL);
		goto refuse;
	}
	if (vs_rxbuf_setup(vsp, base, size, gpadl, id) < 0) {
		vs_vsp_error(vsp, VS_VSP_ERR_BUF_TOO_SMALL);
		goto refuse;
	}
	/* One section at offset 0 (facts 6.2 step 5). */
	c.status = NVSP_STAT_SUCCESS;
	c.num_sections = 1;
	c.section.offset = 0;
	c.section.sub_alloc_size = vsp->rx.sub_size;
	c.section.num_sub_allocs = vsp->rx.n_subs;
	c.section.end_offset = vsp->rx.sub_size * vsp->rx.n_subs;
	if (wants_comp(in))
		vs_vsp_send_comp(vsp, in->d.trans_id, &c, sizeof(c));
	return;
refuse:
	nvsp_refuse(vsp, in, NVSP_MSG1_TYPE_SEND_RECV_BUF);
}

static void nvsp_send_buf(struct vs_vsp *vsp, const struct vs_in *in)
{
	struct nvsp_msg_send_buf_complete c = {.msg_type = NVSP_MSG1_TYPE_SEND_SEND_BUF_COMPLETE};
	uint32_t gpadl = vs_rd32(in->msg + 4);
	uint8_t *base;
	size_t size;

	if (vsp->tx.ready || (vsp->rx.ready && vsp->rx.gpadl == gpadl)) {
		vs_vsp_error(vsp, VS_VSP_ERR_BUF_DUPLICATE);
		goto refuse;
	}
	if (vsp->ops->gpadl_map(vsp->ctx, gpadl, &base, &size) < 0 || !base) {
		vs_vsp_error(vsp, VS_VSP_ERR_BUF_GPADL);
		goto refuse;
	}
	if (size < VS_VSP_SEND_SECTION_SIZE) {
		vs_vsp_error(vsp, VS_VSP_ERR_BUF_TOO_SMALL);
		goto refuse;
	}
	vsp->tx.ready = true;
	vsp->tx.base = base;
	vsp->tx.size = size;
	vsp->tx.gpadl = gpadl;
	vsp->tx.id = vs_rd16(in->msg + 8);
	/* Section indices are u32 and 0xFFFFFFFF means "none". */
	if (size / VS_VSP_SEND_SECTION_SIZE >= NVSP_SECTION_INDEX_NONE)
		size = (size_t)(NVSP_SECTION_INDEX_NONE - 1) * VS_VSP_SEND_SECTION_SIZE;
	vsp->tx.n_sections = (uint32_t)(size / VS_VSP_SEND_SECTION_SIZE);
	/* The guest uses size / section_size sections (facts 6.2 step 6). */
	c.status = NVSP_STAT_SUCCESS;
	c.section_size = VS_VSP_SEND_SECTION_SIZE;
	if (wants_comp(in))
		vs_vsp_send_comp(vsp, in->d.trans_id, &c, sizeof(c));
	return;
refuse:
	nvsp_refuse(vsp, in, NVSP_MSG1_TYPE_SEND_SEND_BUF);
}

static void nvsp_revoke(struct vs_vsp *vsp, const struct vs_in *in, bool recv)
{
	uint16_t id = vs_rd16(in->msg + 4);

	if (recv && vsp->rx.ready && vsp->rx.id == id) {
		vs_rxbuf_clear(vsp);
		return;
	}
	if (!recv && vsp->tx.ready && vsp->tx.id == id) {
		memset(&vsp->tx, 0, sizeof(vsp->tx));
		return;
	}
	vs_vsp_error(vsp, VS_VSP_ERR_BUF_REVOKE_ID);
}

/*
 * SEND_INDIRECTION_TABLE (facts 6.1 type 134, 6.3): the guest's transmit spreading, 16 entries
 * i % channels. INBAND, no completion; the table at offset 40 with the offset field 40 and a
 * 104-byte message, the shape Linux reads for every NVSP version.
 */
static void nvsp_send_indirection_table(struct vs_vsp *vsp)
{
	uint8_t pkt[sizeof(struct vmbus_pkt_desc) + 40 + 4 * NVSP_INDIRECTION_TABLE_COUNT] = {0};
	struct vmbus_pkt_desc d = {
		.type = VMBUS_PKT_INBAND,
		.offset8 = sizeof(struct vmbus_pkt_desc) / 8,
		.len8 = sizeof(pkt) / 8,
	};
	uint8_t *m = pkt + sizeof(d);
	uint32_t i;

	_Static_assert(sizeof(pkt) % 8 == 0, "whole 8-byte units");
	memcpy(pkt, &d, sizeof(d));
	vs_wr32(m, NVSP_MSG5_TYPE_SEND_INDIRECTION_TABLE);
	vs_wr32(m + 4, NVSP_INDIRECTION_TABLE_COUNT);
	vs_wr32(m + 8, 40);
	for (i = 0; i < NVSP_INDIRECTION_TABLE_COUNT; i++)
		vs_wr32(m + 40 + 4 * i, i % vsp->n_channels);
	if (vsp->ops->send(vsp->ctx, vsp->cur_chan, pkt, sizeof(pkt)) < 0)
		vs_vsp_error(vsp, VS_VSP_ERR_SEND_FAILED);
}

static void nvsp_subchannel(struct vs_vsp *vsp, const struct vs_in *in)
{
	struct nvsp_msg_subchannel c = {.msg_type = NVSP_MSG5_TYPE_SUBCHANNEL};
	uint32_t op = vs_rd32(in->msg + 4), requested = vs_rd32(in->msg + 8), granted = 0;

	if (vsp->nvsp_version < NVSP_VERSION_5) {
		vs_vsp_error(vsp, VS_VSP_ERR_NVSP_NOT_IN_VERSION);
		nvsp_refuse(vsp, in, NVSP_MSG5_TYPE_SUBCHANNEL);
		return;
	}
	if (op != NVSP_SUBCHANNEL_ALLOCATE) {
		vs_vsp_error(vsp, VS_VSP_ERR_SUBCHANNEL_OP);
		nvsp_refuse(vsp, in, NVSP_MSG5_TYPE_SUBCHANNEL);
		return;
	}
	if (requested > VS_VSP_MAX_CHANNELS - 1)
		requested = VS_VSP_MAX_CHANNELS - 1;
	if (vsp->ops->subchannels && requested)
		granted = vsp->ops->subchannels(vsp->ctx, requested);
	if (granted > requested) /* never more than asked: Linux then falls back to 1 channel */
		granted = requested;
	vsp->n_channels = 1 + granted;
	/* none granted is a failure: DPDK's PMD would otherwise run its extra queues on channels
	 * that do not exist (reference §6.2) */
	c.op_or_status = granted ? NVSP_STAT_SUCCESS : NVSP_STAT_FAIL;
	c.num_subchannels = granted;
	if (wants_comp(in))
		vs_vsp_send_comp(vsp, in->d.trans_id, &c, sizeof(c));
	if (granted)
		nvsp_send_indirection_table(vsp);
}

static void nvsp_switch_data_path(struct vs_vsp *vsp, const struct vs_in *in)
{
	if (vsp->nvsp_version < NVSP_VERSION_4) {
		vs_vsp_error(vsp, VS_VSP_ERR_NVSP_NOT_IN_VERSION);
		nvsp_refuse(vsp, in, NVSP_MSG4_TYPE_SWITCH_DATA_PATH);
		return;
	}
	vsp->datapath = vs_rd32(in->msg + 4) ? 1 : 0;
	/* Linux accepts only an empty completion for this one (facts 6.1). */
	if (wants_comp(in))
		vs_vsp_send_comp(vsp, in->d.trans_id, NULL, 0);
}

/*
 * SEND_RNDIS_PKT (facts 6.3): the RNDIS bytes are the used part of a send-buffer section, then the
 * GPA ranges, read as one stream. Exactly one COMP {108, status} per request.
 */
static void nvsp_rndis_pkt(struct vs_vsp *vsp, const struct vs_in *in)
{
	struct nvsp_msg_rndis_pkt_complete c = {.msg_type = NVSP_MSG1_TYPE_SEND_RNDIS_PKT_COMPLETE,
		.status = NVSP_STAT_FAIL};
	uint32_t channel_type = vs_rd32(in->msg + 4);
	uint32_t index = vs_rd32(in->msg + 8);
	uint32_t used = vs_rd32(in->msg + 12);
	struct vs_stream *s = &vsp->stream;
	enum vs_vsp_err e = VS_VSP_ERR_NONE;

	vs_stream_init(s);
	if (!vsp->rx.ready || !vsp->tx.ready) {
		e = VS_VSP_ERR_RNDIS_NO_BUFFERS;
		goto complete;
	}
	if (channel_type != NVSP_RNDIS_CHANNEL_DATA && channel_type != NVSP_RNDIS_CHANNEL_CONTROL) {
		e = VS_VSP_ERR_RNDIS_CHANNEL_TYPE;
		goto complete;
	}
	if (index != NVSP_SECTION_INDEX_NONE) {
		uint64_t start = (uint64_t)index * VS_VSP_SEND_SECTION_SIZE;

		if (index >= vsp->tx.n_sections || used > VS_VSP_SEND_SECTION_SIZE ||
			start + used > vsp->tx.size) {
			e = VS_VSP_ERR_SECTION_BOUNDS;
			goto complete;
		}
		vs_stream_add(s, vsp->tx.base + start, used);
		vs_prefetch_range(vsp->tx.base + start, used);
	}
	if (in->ranges) {
		e = vs_stream_add_gpa(vsp, s, in->ranges, in->ranges_size, in->range_count);
		if (e)
			goto complete;
		vsp->stats.cnt[VS_VSP_CNT_FROM_GUEST_GPA]++;
	}
	if (s->size == 0) {
		e = VS_VSP_ERR_RNDIS_NO_DATA;
		goto complete;
	}
	/* the answer goes after this COMP: DPDK's PMD takes a COMP still in the ring for the answer
	 * to its next NVSP request (reference/dpdk-netvsc-guest.md §6.3) */
	vsp->ctl_hold = true;
	c.status = vs_rndis_input(vsp, s);
complete:
	vs_vsp_error(vsp, e);
	if (wants_comp(in))
		vs_vsp_send_comp(vsp, in->d.trans_id, &c, sizeof(c));
	vsp->ctl_hold = false;
	vs_ctl_queue_flush(vsp);
}

static void nvsp_dispatch(struct vs_vsp *vsp, const struct vs_in *in)
{
	uint32_t type;
	size_t min;

	if (in->size < sizeof(struct nvsp_msg_hdr)) {
		/* No message type to answer: the channel's framing is broken. */
		vs_vsp_fatal(vsp, VS_VSP_ERR_PKT_FRAMING);
		return;
	}
	vsp->stats.cnt[VS_VSP_CNT_NVSP_MSGS]++;
	type = vs_rd32(in->msg);
	min = nvsp_min_size(type);
	if (min == 0) {
		vs_vsp_error(vsp, VS_VSP_ERR_NVSP_UNKNOWN);
		return;
	}
	if (in->size < min) {
		vs_vsp_error(vsp, VS_VSP_ERR_NVSP_SHORT);
		nvsp_refuse(vsp, in, type);
		return;
	}
	if (!vsp->nvsp_version && type != NVSP_MSG_TYPE_INIT) {
		vs_vsp_error(vsp, VS_VSP_ERR_NVSP_BEFORE_INIT);
		nvsp_refuse(vsp, in, type);
		return;
	}
	switch (type) {
	case NVSP_MSG_TYPE_INIT:
		nvsp_init(vsp, in);
		break;
	case NVSP_MSG1_TYPE_SEND_NDIS_VER:
		/* No completion (facts 6.2 step 4). */
		vsp->ndis_major = vs_rd32(in->msg + 4);
		vsp->ndis_minor = vs_rd32(in->msg + 8);
		break;
	case NVSP_MSG2_TYPE_SEND_NDIS_CONFIG:
		nvsp_ndis_config(vsp, in);
		break;
	case NVSP_MSG1_TYPE_SEND_RECV_BUF:
		nvsp_recv_buf(vsp, in);
		break;
	case NVSP_MSG1_TYPE_SEND_SEND_BUF:
		nvsp_send_buf(vsp, in);
		break;
	case NVSP_MSG1_TYPE_REVOKE_RECV_BUF:
		nvsp_revoke(vsp, in, true);
		break;
	case NVSP_MSG1_TYPE_REVOKE_SEND_BUF:
		nvsp_revoke(vsp, in, false);
		break;
	case NVSP_MSG1_TYPE_SEND_RNDIS_PKT:
		nvsp_rndis_pkt(vsp, in);
		break;
	case NVSP_MSG4_TYPE_SWITCH_DATA_PATH:
		nvsp_switch_data_path(vsp, in);
		break;
	case NVSP_MSG5_TYPE_SUBCHANNEL:
		nvsp_subchannel(vsp, in);
		break;
	}
}

/*
 * Ring packet framing (facts 5.2, 9 item 4). The ring reader should already have refused a
 * descriptor that lies about its length; we re-check because everything below trusts it, and a
 * lie here is fatal. A GPA_DIRECT header shorter than 24 bytes is fatal too (OpenVMM #3692).
 */
int vs_vsp_handle_packet(struct vs_vsp *vsp, uint32_t channel, const void *pkt, size_t len)
{
	const uint8_t *p = pkt;
	struct vs_in in = {0};
	size_t hdr, total;

	if (vsp->fatal)
		return -EPROTO;
	if (len < sizeof(in.d)) {
		vs_vsp_fatal(vsp, VS_VSP_ERR_PKT_FRAMING);
		return -EPROTO;
	}
	memcpy(&in.d, p, sizeof(in.d));
	hdr = (size_t)in.d.offset8 * 8;
	total = (size_t)in.d.len8 * 8;
	if (in.d.offset8 < 2 || in.d.len8 < in.d.offset8 || total > len) {
		vs_vsp_fatal(vsp, VS_VSP_ERR_PKT_FRAMING);
		return -EPROTO;
	}
	if (in.d.flags & ~VMBUS_PKT_FLAG_COMPLETION_REQUESTED) {
		vs_vsp_error(vsp, VS_VSP_ERR_PKT_FLAGS);
		return 0;
	}
	in.msg = p + hdr;
	in.size = total - hdr;
	vsp->cur_chan = channel < VS_VSP_MAX_CHANNELS ? channel : 0;
	vsp->ctl_budget = VS_VSP_CTL_SEND_BUDGET;
	vs_ctl_queue_flush(vsp);

	switch (in.d.type) {
	case VMBUS_PKT_INBAND:
		nvsp_dispatch(vsp, &in);
		break;
	case VMBUS_PKT_GPA_DIRECT:
		if (hdr < sizeof(struct vmbus_pkt_gpa_direct)) {
			vs_vsp_fatal(vsp, VS_VSP_ERR_PKT_FRAMING);
			break;
		}
		in.range_count = vs_rd32(p + offsetof(struct vmbus_pkt_gpa_direct, range_count));
		in.ranges = p + sizeof(struct vmbus_pkt_gpa_direct);
		in.ranges_size = hdr - sizeof(struct vmbus_pkt_gpa_direct);
		nvsp_dispatch(vsp, &in);
		break;
	case VMBUS_PKT_COMP:
		vs_rxbuf_complete(vsp, in.d.trans_id, in.msg, in.size);
		break;
	default:
		vs_vsp_error(vsp, VS_VSP_ERR_PKT_TYPE);
		break;
	}
	return vsp->fatal ? -EPROTO : 0;
}
