/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The guest's receive buffer: sub-allocation sizing (facts 8), the allocator, XFER_PAGES
 * transfers and their guest completions (facts 6.3, 9 item 5), and the bounded queue of RNDIS
 * control answers (facts 9 item 6).
 */
#include "internal.h"

#include <errno.h>

uint32_t vs_rxbuf_n_free(const struct vs_rxbuf *rx)
{
	return rx->ready ? rx->n_free_data + rx->n_free_ctl : 0;
}

/*
 * Size sub-allocations for the NDIS-config MTU: RNDIS header and PPIs in the first 256 bytes, the
 * frame, then OpenVMM's 36 bytes of slack (1806 for MTU 1500, facts 10). count = size / sub_size
 * (the guest refuses size x count > buffer), capped so that end_offset fits its u32 and our
 * arrays. Fewer than 2 cannot hold both a control and a data sub-allocation.
 */
int vs_rxbuf_setup(struct vs_vsp *vsp, uint8_t *base, size_t size, uint32_t gpadl, uint16_t id)
{
	struct vs_rxbuf *rx = &vsp->rx;
	uint32_t sub = VS_VSP_RX_DATA_OFFSET + vsp->ndis_mtu + VS_VSP_RX_SUBALLOC_EXTRA;
	uint64_t n = size / sub;
	uint32_t i;

	if (n > rx->cap)
		n = rx->cap;
	if (n > UINT32_MAX / sub)
		n = UINT32_MAX / sub;
	if (n < 2)
		return -ENOSPC;
	rx->base = base;
	rx->size = size;
	rx->gpadl = gpadl;
	rx->id = id;
	rx->sub_size = sub;
	rx->n_subs = (uint32_t)n;
	rx->n_reserved = rx->n_subs / 2 < VS_VSP_RX_RESERVED ? rx->n_subs / 2 : VS_VSP_RX_RESERVED;
	/* Both hand out the lowest index first, which keeps tests' offsets predictable. */
	rx->n_free_ctl = 0;
	for (i = rx->n_reserved; i-- > 0;)
		rx->free_ctl[rx->n_free_ctl++] = i;
	rx->n_free_data = 0;
	rx->free_head = 0;
	for (i = rx->n_reserved; i < rx->n_subs; i++)
		rx->free_data[rx->n_free_data++] = i;
	memset(rx->seq, 0, (size_t)rx->n_subs * sizeof(rx->seq[0]));
	rx->next_seq = 0;
	rx->ready = true;
	return 0;
}

/* Forget the buffer: in-flight transfers are abandoned (a later completion for them is counted as
 * unknown), pending frames and queued answers are dropped. */
void vs_rxbuf_clear(struct vs_vsp *vsp)
{
	struct vs_rxbuf *rx = &vsp->rx;

	unsigned int c;

	for (c = 0; c < VS_VSP_MAX_CHANNELS; c++) {
		vsp->stats.drop[VS_VSP_DROP_TO_GUEST_NOT_READY] += vsp->batch[c].n;
		vsp->batch[c].n = 0;
		vsp->batch[c].chain = 0;
		vsp->batch[c].bytes = 0;
	}
	vsp->ctlq.count = 0;
	vsp->ctlq.head = 0;
	if (rx->ready)
		memset(rx->seq, 0, (size_t)rx->n_subs * sizeof(rx->seq[0]));
	rx->ready = false;
	rx->base = NULL;
	rx->size = 0;
	rx->n_subs = 0;
	rx->n_reserved = 0;
	rx->n_free_ctl = 0;
	rx->n_free_data = 0;
	rx->free_head = 0;
}

/*
 * Free data sub-allocations wait in a queue, oldest-freed at the head, most recently freed at the
 * tail. Packed small frames take the head. A stack handed back the sub-allocation the guest had
 * just completed, whose lines were still in the guest core's cache: every host write had to take
 * its line back from that core first, and the stores queued behind those transfers (about 40 %
 * of the switch thread in a 64-byte DPDK-PMD loop; 229-324 -> 150-177 ns per forwarded frame
 * with the head). A frame that fills a sub-allocation by itself takes the tail instead: going
 * round the whole 16 MiB buffer, its two dozen lines come from memory, which measured slower
 * than taking them back (1518-byte frames with our driver: 531-550 ns per frame from the head,
 * 465-507 from the tail). bench/README.md, session 5.
 */
static uint32_t data_slot(const struct vs_rxbuf *rx, uint32_t k)
{
	uint32_t n = rx->n_subs - rx->n_reserved, s = rx->free_head + k;

	return s >= n ? s - n : s;
}

/* Take a sub-allocation: control answers use the reserved pool first, data never touches it;
 * data takes the oldest free one, or with 'recent' the most recently freed. Returns its index or
 * VS_RXBUF_END. */
uint32_t vs_rxbuf_alloc(struct vs_rxbuf *rx, bool ctl, bool recent)
{
	uint32_t i;

	if (ctl && rx->n_free_ctl) {
		i = rx->free_ctl[--rx->n_free_ctl];
	} else if (rx->n_free_data) {
		if (recent) {
			i = rx->free_data[data_slot(rx, rx->n_free_data - 1)];
		} else {
			i = rx->free_data[rx->free_head];
			rx->free_head = data_slot(rx, 1);
		}
		rx->n_free_data--;
	} else {
		return VS_RXBUF_END;
	}
	rx->next[i] = VS_RXBUF_END;
	return i;
}

static void rxbuf_put(struct vs_rxbuf *rx, uint32_t i)
{
	if (i < rx->n_reserved) {
		rx->free_ctl[rx->n_free_ctl++] = i;
	} else {
		rx->free_data[data_slot(rx, rx->n_free_data)] = i;
		rx->n_free_data++;
	}
}

/* Free a chain. Bounded by n_subs so that a corrupted link cannot loop. */
void vs_rxbuf_free_chain(struct vs_rxbuf *rx, uint32_t head)
{
	uint32_t i = head, steps = 0;

	if (head < rx->n_subs)
		rx->seq[head] = 0;
	while (i < rx->n_subs && steps++ < rx->n_subs) {
		uint32_t nx = rx->next[i];

		rxbuf_put(rx, i);
		i = nx;
	}
}

/*
 * Send one XFER_PAGES packet for the chain starting at 'head' (facts 5.2, 6.3): transfer page set
 * id = the guest's receive-buffer id (Linux checks 0xCAFE), completion requested, then NVSP
 * SEND_RNDIS_PKT {107, channel_type, no section, 0}. On failure the chain is freed.
 */
int vs_rxbuf_send_xfer(struct vs_vsp *vsp, uint32_t head, const struct vmbus_xfer_range *ranges,
	uint32_t n, uint32_t channel_type)
{
	struct vs_rxbuf *rx = &vsp->rx;
	struct vmbus_pkt_xfer_pages *x = (struct vmbus_pkt_xfer_pages *)vsp->out;
	size_t hdr = sizeof(*x) + (size_t)n * sizeof(ranges[0]);
	struct nvsp_msg_rndis_pkt m = {
		.msg_type = NVSP_MSG1_TYPE_SEND_RNDIS_PKT,
		.channel_type = channel_type,
		.section_index = NVSP_SECTION_INDEX_NONE,
		.section_size = 0,
	};
	uint32_t seq;
	int ret;

	_Static_assert(sizeof(struct vmbus_pkt_xfer_pages) + VS_VSP_RX_BATCH_MAX *
				sizeof(struct vmbus_xfer_range) + VS_VSP_XFER_NVSP_SIZE <=
			VMBUS_NETVSC_MAX_PKT_SIZE,
		"an XFER_PAGES batch must fit Linux's 4624-byte packet buffer (facts 5.2)");
	seq = ++rx->next_seq;
	if (seq == 0)
		seq = ++rx->next_seq;
	memset(x, 0, sizeof(*x));
	x->desc.type = VMBUS_PKT_XFER_PAGES;
	x->desc.offset8 = (uint16_t)(hdr / 8);
	x->desc.len8 = (uint16_t)((hdr + VS_VSP_XFER_NVSP_SIZE) / 8);
	x->desc.flags = VMBUS_PKT_FLAG_COMPLETION_REQUESTED;
	/* the id is the head's index: DPDK's netvsc PMD indexes its section table with it and
	 * refuses ids >= the slot count (reference/dpdk-netvsc-guest.md §6.4) */
	x->desc.trans_id = head;
	x->xfer_pageset_id = rx->id;
	x->sender_owns_set = 0;
	x->range_count = n;
	memcpy(vsp->out + sizeof(*x), ranges, (size_t)n * sizeof(ranges[0]));
	memcpy(vsp->out + hdr, &m, sizeof(m));
	rx->seq[head] = seq;
	ret = vsp->ops->send(vsp->ctx, vsp->cur_chan, vsp->out, hdr + VS_VSP_XFER_NVSP_SIZE);
	if (ret < 0) {
		vs_rxbuf_free_chain(rx, head);
		return ret;
	}
	vsp->stats.cnt[VS_VSP_CNT_XFER_SENT]++;
	return 0;
}

/*
 * A guest COMP: it must name an XFER_PAGES transfer in flight, exactly once (facts 9 item 5).
 * Anything else (unknown, repeated, forged) is counted, never trusted as an index.
 */
void vs_rxbuf_complete(struct vs_vsp *vsp, uint64_t trans_id, const uint8_t *payload, size_t size)
{
	struct vs_rxbuf *rx = &vsp->rx;
	uint32_t head = (uint32_t)trans_id;

	if (!rx->ready || trans_id >= rx->n_subs || rx->seq[head] == 0) {
		vs_vsp_error(vsp, VS_VSP_ERR_XFER_COMP_UNKNOWN);
		return;
	}
	/* Linux answers {108, 1} or {108, 2} (it dropped a range); either way the ranges are ours
	 * again (facts 6.3). */
	if (size >= sizeof(struct nvsp_msg_rndis_pkt_complete) &&
		vs_rd32(payload) == NVSP_MSG1_TYPE_SEND_RNDIS_PKT_COMPLETE &&
		vs_rd32(payload + 4) != NVSP_STAT_SUCCESS)
		vsp->stats.cnt[VS_VSP_CNT_XFER_GUEST_FAILED]++;
	vs_rxbuf_free_chain(rx, head);
	vsp->stats.cnt[VS_VSP_CNT_XFER_COMPLETED]++;
	vs_ctl_queue_flush(vsp);
}

/* Write one answer into a control sub-allocation and send it. Returns 0, -ENOBUFS (no
 * sub-allocation) or the send error (counted). */
static int ctl_send(struct vs_vsp *vsp, const void *msg, uint32_t len)
{
	struct vs_rxbuf *rx = &vsp->rx;
	struct vmbus_xfer_range r;
	uint32_t i = vs_rxbuf_alloc(rx, true, false);
	int ret;

	if (i == VS_RXBUF_END)
		return -ENOBUFS;
	r.byte_offset = i * rx->sub_size;
	r.byte_count = len;
	memcpy(rx->base + r.byte_offset, msg, len);
	ret = vs_rxbuf_send_xfer(vsp, i, &r, 1, NVSP_RNDIS_CHANNEL_CONTROL);
	if (ret < 0)
		vs_vsp_error(vsp, VS_VSP_ERR_SEND_FAILED);
	vsp->ctl_budget--;
	return ret;
}

/*
 * Send an RNDIS control answer or status indication as XFER_PAGES on this channel (facts 6.3). It
 * waits in the bounded queue when no sub-allocation is free (the guest has not completed earlier
 * answers) or this call's send budget is spent; order is kept.
 */
int vs_ctl_answer(struct vs_vsp *vsp, const void *msg, uint32_t len)
{
	struct vs_ctl_queue *q = &vsp->ctlq;
	unsigned int slot;

	if (!vsp->rx.ready || len > VS_VSP_CTL_ANSWER_MAX || len > vsp->rx.sub_size)
		return -ENOBUFS;
	bool room = q->count == 0 && vsp->ctl_budget > 0 && vs_rxbuf_n_free(&vsp->rx) > 0;

	if (room && !vsp->ctl_hold) {
		int ret = ctl_send(vsp, msg, len);

		if (ret != -ENOBUFS)
			return ret;
		room = false;
	}
	if (q->count == VS_VSP_CTL_QUEUE_LEN)
		return -ENOBUFS; /* the caller counts CTL_QUEUE_FULL */
	slot = (q->head + q->count) % VS_VSP_CTL_QUEUE_LEN;
	memcpy(q->msg[slot], msg, len);
	q->len[slot] = (uint16_t)len;
	q->count++;
	/* an answer held only until its request's COMP is out did not wait for room */
	if (!room)
		vsp->stats.cnt[VS_VSP_CNT_CTL_QUEUED]++;
	return 0;
}

void vs_ctl_queue_flush(struct vs_vsp *vsp)
{
	struct vs_ctl_queue *q = &vsp->ctlq;

	while (q->count && vsp->ctl_budget > 0 && vsp->rx.ready) {
		if (ctl_send(vsp, q->msg[q->head], q->len[q->head]) == -ENOBUFS)
			break;
		q->head = (q->head + 1) % VS_VSP_CTL_QUEUE_LEN;
		q->count--;
	}
}
