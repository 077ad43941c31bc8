/* SPDX-License-Identifier: BSD-3-Clause */
/* Private to vswitch/netvsp: the state behind struct vs_vsp and the helpers shared by its files. */
#ifndef VS_NETVSP_INTERNAL_H
#define VS_NETVSP_INTERNAL_H

#include "vsp.h"

#include <vsw/proto/nvsp.h>
#include <vsw/proto/rndis.h>
#include <vsw/proto/vmbus.h>

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "Hyper-V wire formats are little-endian");

/* Unaligned little-endian loads/stores: packets and guest buffers carry no alignment promise. */
static inline uint32_t vs_rd32(const void *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint16_t vs_rd16(const void *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline void vs_wr32(void *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

/*
 * Guest memory shared with another CPU: start the cache misses early so that they overlap.
 * Reading a send section the guest just wrote, and writing receive-buffer lines the guest last
 * read, each cost a transfer from the other core; taken one by one as the parser and the copy
 * reach them, they serialize. vs_prefetch_range() reads ahead, vs_prefetchw() asks for ownership
 * (x86 PREFETCHW, present on every x86-64 CPU this runs on; elsewhere a plain prefetch).
 *
 * Send sections and GPA-range pages are read ahead with the non-temporal hint: we read them once,
 * and the guest writes a section again a few dozen sections later (DPDK's PMD takes sections
 * round-robin by 64). Kept in our caches, every line of it would have to be taken back from this
 * core before the guest's stores complete: in a 64-byte DPDK-PMD loop the PMD's store into its
 * section header was the hottest spot of the partitions' CPU (20 %). With the hint the line stays
 * near L1 only and is gone by then. Measured: 64-byte PMD loop median 2.98 -> 4.11 Mpps, 6
 * interleaved rounds each.
 */
static inline void vs_prefetchw(const void *p)
{
#if defined(__x86_64__)
	__asm__ volatile("prefetchw %0" : : "m"(*(const char *)p));
#else
	__builtin_prefetch(p, 1, 3);
#endif
}

#define VS_VSP_PREFETCH_MAX 4096u /* bytes of a send section or a GPA page read ahead */

static inline void vs_prefetch_range(const uint8_t *p, uint32_t len)
{
	uint32_t off;

	if (len > VS_VSP_PREFETCH_MAX)
		len = VS_VSP_PREFETCH_MAX;
	for (off = 0; off < len; off += 64)
		__builtin_prefetch(p + off, 0, 0); /* PREFETCHNTA */
}

/* Control answers one vs_vsp_handle_packet() may send directly; more wait in the queue. With the
 * completion that is 2 * (24 + 8 + 16 + 8) + (16 + 40 + 8) = 176 <= VS_VSP_HANDLE_MAX_OUT; a
 * granted SUBCHANNEL request sends its completion and the send indirection table, 64 + 128 = 192.
 */
#define VS_VSP_CTL_SEND_BUDGET 2u
#define VS_VSP_XFER_NVSP_SIZE 16u /* NVSP 107 payload of our XFER_PAGES packets */
#define VS_RXBUF_END UINT32_MAX	  /* end of a sub-allocation chain */

/* A byte stream assembled from a send-buffer section and/or GPA ranges (facts 6.3). */
struct vs_stream {
	struct vs_vsp_seg segs[VS_VSP_MAX_SEGS];
	unsigned int n_segs;
	uint32_t size; /* total bytes */
};

/* Receive buffer and its sub-allocation allocator. Each XFER_PAGES transfer holds a chain of
 * sub-allocations linked through next[]; the transaction id is the head index (DPDK's PMD needs
 * it below its slot count), and the head's seq[] is non-zero while the chain is in flight. A
 * completion frees the chain only if its head is in flight, so a repeated or forged id finds
 * seq 0 or an index out of range. */
struct vs_rxbuf {
	bool ready;	     /* SEND_RECV_BUF accepted */
	uint8_t *base;	     /* mapping of the GPADL */
	size_t size;	     /* bytes mapped */
	uint32_t gpadl;	     /* handle */
	uint16_t id;	     /* transfer page set id (Linux 0xCAFE) */
	uint32_t sub_size;   /* bytes per sub-allocation */
	uint32_t n_subs;     /* count */
	uint32_t n_reserved; /* indices [0, n_reserved) are for control answers */
	uint32_t cap;	     /* capacity of the arrays below */
	uint32_t *next;	     /* [cap] chain links */
	uint32_t *seq;	     /* [cap] sequence of an in-flight chain head, 0 otherwise */
	uint32_t *free_data; /* [cap] queue of free data indices, n_subs - n_reserved slots */
	uint32_t n_free_data;
	uint32_t free_head;  /* free_data slot of the oldest free index */
	uint32_t free_ctl[VS_VSP_RX_RESERVED]; /* stack of free reserved indices */
	uint32_t n_free_ctl;
	uint32_t next_seq; /* last sequence number used */
};

/* Frames added by vs_vsp_rx_add() and not yet sent. */
struct vs_rx_batch {
	uint32_t n;			/* ranges */
	uint32_t frames;		/* frames (a coalesced frame spans several ranges) */
	uint32_t head, tail;		/* sub-allocation chain; the tail is the one being filled */
	uint32_t chain;			/* sub-allocations in the chain, 0: none taken yet */
	size_t fill;			/* buffer offset where the next message goes (in the tail) */
	uint32_t bytes;			/* frame bytes, for the counters */
	struct vmbus_xfer_range ranges[VS_VSP_RX_BATCH_MAX];
};

/* RNDIS control answers waiting for a sub-allocation or for send budget. */
struct vs_ctl_queue {
	uint8_t msg[VS_VSP_CTL_QUEUE_LEN][VS_VSP_CTL_ANSWER_MAX];
	uint16_t len[VS_VSP_CTL_QUEUE_LEN];
	unsigned int head, count;
};

enum vs_rndis_state {
	VS_RNDIS_UNINIT,      /* before INITIALIZE */
	VS_RNDIS_INITIALIZED, /* INIT_C sent */
	VS_RNDIS_HALTED,      /* after HALT */
};

struct vs_vsp {
	const struct vs_vsp_ops *ops;
	void *ctx;
	struct vs_vsp_config cfg; /* defaults applied */
	bool fatal;		  /* channel must close */

	/* NVSP */
	uint32_t nvsp_version; /* 0 until INIT succeeded */
	uint32_t ndis_mtu;     /* MTU + 14 */
	uint64_t ndis_caps;
	uint32_t ndis_major, ndis_minor;
	uint32_t n_channels; /* 1 + subchannels granted */
	uint32_t datapath;

	struct vs_rxbuf rx;
	struct {
		bool ready;
		uint8_t *base;
		size_t size;
		uint32_t gpadl;
		uint16_t id;
		uint32_t n_sections;
	} tx;

	/* RNDIS */
	enum vs_rndis_state rndis;
	uint32_t filter;
	bool link_up;
	uint8_t offload_params[NDIS_OFFLOAD_PARAMS_SIZE];
	uint32_t offloads; /* VS_VSP_EN_* enabled (offload.c) */
	uint16_t rsc_pkt_id; /* packet id of the last coalesced frame (rx.c) */
	struct {
		bool enabled;
		uint16_t flags;
		uint32_t hash_info;
		uint32_t n_table;
		uint32_t table[VS_VSP_RSS_TABLE_MAX];
		uint8_t key[NDIS_RSS_KEY_SIZE];
	} rss;

	struct vs_rx_batch batch[VS_VSP_MAX_CHANNELS]; /* per channel */
	uint32_t cur_chan;			       /* channel served: answers go there */
	struct vs_ctl_queue ctlq;
	unsigned int ctl_budget; /* direct control sends left in this handle_packet */
	bool ctl_hold;		 /* answers wait in ctlq until the request's COMP is sent */

	struct vs_vsp_stats stats;

	/* Scratch: private copies of guest data and the streams built from it. */
	struct vs_stream stream;
	struct vs_vsp_seg frame_segs[VS_VSP_MAX_SEGS];
	uint64_t pfns[VS_VSP_MAX_GPA_PFNS];
	uint8_t *pages[VS_VSP_MAX_GPA_PFNS];
	uint8_t ctl_msg[VS_VSP_CTL_MSG_MAX];
	uint8_t out[VMBUS_NETVSC_MAX_PKT_SIZE];
};

/* vsp.c */
void vs_vsp_error(struct vs_vsp *vsp, enum vs_vsp_err e);
void vs_vsp_fatal(struct vs_vsp *vsp, enum vs_vsp_err e);
int vs_vsp_send_comp(struct vs_vsp *vsp, uint64_t trans_id, const void *msg, size_t size);

/* stream.c */
void vs_stream_init(struct vs_stream *s);
int vs_stream_add(struct vs_stream *s, const uint8_t *base, uint32_t len);
void vs_stream_copy(const struct vs_stream *s, uint32_t off, void *dst, uint32_t len);
int vs_stream_slice(const struct vs_stream *s, uint32_t off, uint32_t len, struct vs_vsp_seg *out,
	unsigned int max, unsigned int *n_out);
enum vs_vsp_err vs_stream_add_gpa(struct vs_vsp *vsp, struct vs_stream *s, const uint8_t *ranges,
	size_t size, uint32_t count);

/* rxbuf.c */
int vs_rxbuf_setup(struct vs_vsp *vsp, uint8_t *base, size_t size, uint32_t gpadl, uint16_t id);
void vs_rxbuf_clear(struct vs_vsp *vsp);
uint32_t vs_rxbuf_alloc(struct vs_rxbuf *rx, bool ctl, bool recent);
void vs_rxbuf_free_chain(struct vs_rxbuf *rx, uint32_t head);
int vs_rxbuf_send_xfer(struct vs_vsp *vsp, uint32_t head, const struct vmbus_xfer_range *ranges,
	uint32_t n, uint32_t channel_type);
void vs_rxbuf_complete(struct vs_vsp *vsp, uint64_t trans_id, const uint8_t *payload,
	size_t size);
int vs_ctl_answer(struct vs_vsp *vsp, const void *msg, uint32_t len);
void vs_ctl_queue_flush(struct vs_vsp *vsp);
uint32_t vs_rxbuf_n_free(const struct vs_rxbuf *rx);

/* rndis_pkt.c: guest frames. The parsers are pure so the fuzz target can call them directly. */
struct vs_rndis_pkt_hdr {
	uint32_t data_off; /* from the message start */
	uint32_t data_len;
	uint32_t ppi_off;  /* from the message start, 0 when no PPI */
	uint32_t ppi_len;
};
enum vs_vsp_err vs_rndis_pkt_parse(const uint8_t *hdr, uint32_t msg_len,
	struct vs_rndis_pkt_hdr *out);
enum vs_vsp_err vs_rndis_ppi_parse(const uint8_t *ppi, uint32_t len, struct vs_vsp_frame *meta);
enum vs_vsp_err vs_rndis_meta_check(const struct vs_vsp_frame *meta, uint32_t frame_len,
	uint32_t ndis_mtu, bool tagged);
#define VS_VSP_LSO_HDR_MAX 256u /* header bytes of an LSO frame copied for vs_rndis_lso_check */
enum vs_vsp_err vs_rndis_lso_check(const struct vs_vsp_frame *meta, const uint8_t *h,
	uint32_t hlen, uint32_t frame_len, uint32_t ndis_mtu);
enum vs_vsp_err vs_rndis_data(struct vs_vsp *vsp, const struct vs_stream *s, uint32_t off,
	uint32_t msg_len);

/* rndis_ctl.c */
enum vs_vsp_err vs_rndis_ctl(struct vs_vsp *vsp, const struct vs_stream *s, uint32_t off,
	uint32_t msg_len);

/* offload.c: what we advertise (VS_VSP_OL_*), the capabilities object, and the parameters the
 * guest sets applied to the VS_VSP_EN_* 'state' (pure: unit tests and fuzz call it directly). */
uint32_t vs_rndis_offloads_advertised(const struct vs_vsp *vsp);
void vs_rndis_offload_caps(const struct vs_vsp *vsp, struct ndis_offload *caps);
enum vs_vsp_err vs_rndis_offload_params_apply(const uint8_t *in, uint32_t len, uint32_t ol,
	uint32_t *state);

/* rndis.c: walk a stream of RNDIS messages; returns the NVSP status for the completion. */
uint32_t vs_rndis_input(struct vs_vsp *vsp, const struct vs_stream *s);

#endif
