/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * netvsc host protocol core (the "VSP core"): NVSP and RNDIS handling for one netvsc VMBus channel
 * as a pure state machine. No DPDK, no I/O, no threads: the caller (vswitchd's netvsp port, the
 * unit tests, the fuzz targets) reads ring packets, maps guest memory and owns the switch; this
 * core validates what the guest sent, keeps the protocol state and tells the caller what to write
 * back through struct vs_vsp_ops.
 *
 * Wire facts: shared/reference/hyperv-facts.md sections 5.2 (ring packets), 6 (NVSP), 7 (RNDIS),
 * 8 (MTU) and 9 (validation). Layouts: include/vsw/proto/{vmbus,nvsp,rndis}.h.
 *
 * Flow for the caller:
 *  - guest -> host: copy each ring packet (descriptor + payload) to private memory and pass it
 *    to vs_vsp_handle_packet(). Guest frames come out through ops->deliver() (synchronously,
 *    before the guest's send is completed, so the guest memory they point into is still the
 *    guest's buffer); answers (completions, RNDIS control replies as XFER_PAGES) go out through
 *    ops->send().
 *  - host -> guest frames: vs_vsp_rx_add() per frame (copies it into a receive-buffer
 *    sub-allocation), vs_vsp_rx_flush() at the end of a burst (one XFER_PAGES packet per batch).
 *  - link changes: vs_vsp_link_set().
 *  - vs_vsp_must_close() true: a framing violation was seen; close the channel.
 *
 * Threading: a struct vs_vsp belongs to one thread (the worker polling the channel); every function
 * below must be called from that thread. The ops are called from inside these functions.
 *
 * Receive-buffer layout we choose (facts 6.3, 8, 10): one section at offset 0, sub-allocations of
 * 256 + (NDIS-config MTU) + 36 bytes (1806 for MTU 1500). Each frame is one RNDIS PACKET: header
 * (44 bytes), per-packet info, the frame right after (data_offset 36 + PPI bytes); the range's
 * byte_count = msg_len. The messages of one XFER_PAGES batch are packed back to back, in 8-byte
 * steps, in the sub-allocations the batch took (rx.c). The first VS_VSP_RX_RESERVED
 * sub-allocations are kept for RNDIS control answers and status indications, which are written
 * at +0 of a sub-allocation.
 *
 * Subchannels (facts 6.1 type 133, 10 step 17): one struct vs_vsp serves all channels of a NIC,
 * the primary (index 0) and its subchannels (sub_channel_index 1..n), which share the receive and
 * send buffers. ops->subchannels decides how many a SUBCHANNEL request is granted (0 when NULL).
 * Every call that reads or writes a ring names the channel: vs_vsp_handle_packet() answers on the
 * channel the packet came from (completions, control answers), vs_vsp_rx_add() batches frames per
 * channel (one XFER_PAGES packet per channel and batch) and ops->send() says which ring to write.
 * Control answers queued for a free sub-allocation and status indications go out on the channel
 * being served when they leave (Linux and DPDK accept RNDIS control messages on any channel).
 *
 * RSS (facts 7.5): the guest's Toeplitz key, hash types and indirection table are kept;
 * vs_vsp_rss_get() gives them to the caller, which hashes the frame (DPDK's rte_softrss in
 * vswitchd) and picks the channel with vs_vsp_rss_channel(). Table entries are checked against
 * the channels granted, not the channels open: an entry naming a granted subchannel that is not
 * open (yet, or any more) is accepted and the caller sends those frames on the primary.
 */
#ifndef VS_NETVSP_VSP_H
#define VS_NETVSP_VSP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vs_vsp;

/* Limits (all documented choices, see the .c files for why). */
#define VS_VSP_NDIS_MTU_MIN 1514u	     /* NDIS-config MTU (= MTU + 14) below this is raised */
#define VS_VSP_NDIS_MTU_MAX 9230u	     /* default cap: jumbo MTU 9216 + 14; config can lower it */
#define VS_VSP_RX_DATA_OFFSET 256u	     /* header room counted in a sub-allocation's size */
#define VS_VSP_RX_SUBALLOC_EXTRA 36u	     /* OpenVMM's slack after the frame (facts 6.3) */
#define VS_VSP_RX_RESERVED 16u		     /* sub-allocations kept for control answers */
#define VS_VSP_RX_SUBALLOCS_MAX 16384u	     /* default cap on the sub-allocation count */
#define VS_VSP_RX_BATCH_MAX 64u		     /* frames (ranges) per XFER_PAGES packet */
#define VS_VSP_PKTS_PER_MSG 64u		     /* RNDIS packets per message the guest may batch
					      * (INIT_C max_pkt_per_msg) */
#define VS_VSP_SEND_SECTION_SIZE 6144u	     /* send-buffer section size we answer (facts 6.2) */
#define VS_VSP_MAX_GPA_RANGES 32u	     /* ranges per GPA_DIRECT packet */
#define VS_VSP_MAX_GPA_PFNS 96u		     /* PFNs per GPA_DIRECT packet */
#define VS_VSP_MAX_SEGS (VS_VSP_MAX_GPA_PFNS + 2u) /* segments of one frame / byte stream */
#define VS_VSP_LSO_MAX_FRAME (65536u + 14u)  /* LSO frames: 64 KiB + Ethernet header */
#define VS_VSP_CTL_MSG_MAX 4096u	     /* largest RNDIS control message we parse */
#define VS_VSP_CTL_ANSWER_MAX 256u	     /* largest RNDIS control answer we write */
#define VS_VSP_CTL_QUEUE_LEN 8u		     /* answers waiting for a free sub-allocation */
#define VS_VSP_RSS_TABLE_MAX 128u	     /* indirection-table entries we store */
#define VS_VSP_MAX_CHANNELS 16u		     /* channels per NIC, primary included */
#define VS_VSP_PPI_MAX 512u		     /* bytes of per-packet info we parse per packet */
#define VS_VSP_LSO_MAX_SIZE 62780u	     /* LSOv2 max size we advertise (OpenVMM's, facts 7.4) */
#define VS_VSP_LSO_MIN_SEGS 2u		     /* LSOv2 minimum segment count we advertise */
#define VS_VSP_RSC_MAX_FRAGS 562u	     /* RSC fragments per XFER_PAGES packet (facts 6.3) */
/* Worst-case ring bytes vs_vsp_handle_packet() sends (a control answer, a completion, the
 * trailers): call it only when the host->guest ring has this much room. */
#define VS_VSP_HANDLE_MAX_OUT 256u

/*
 * Offloads (facts 7.4, 7.8). The operator may forbid families of them per port
 * (vs_vsp_config.offloads_off); the rest is advertised in OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES:
 * checksum (IPv4/IPv6, TCP/UDP, both directions), LSOv2 (IPv4/IPv6, VS_VSP_LSO_MAX_SIZE,
 * VS_VSP_LSO_MIN_SEGS) and, from NVSP 6.1 on, RSC (IPv4/IPv6).
 */
#define VS_VSP_OL_CSUM 0x1u /* checksum offload (both directions) */
#define VS_VSP_OL_LSO 0x2u  /* large send (LSOv2) */
#define VS_VSP_OL_RSC 0x4u  /* receive segment coalescing */
#define VS_VSP_OL_ALL 0x7u

/*
 * What the guest enabled with OID_TCP_OFFLOAD_PARAMETERS, limited to what we advertised. "TX" is
 * the guest's transmit (the host completes its checksums / segments its LSO frames), "RX" the
 * guest's receive (the host reports validated checksums / coalesces for it).
 */
#define VS_VSP_EN_TX_TCP4 0x001u
#define VS_VSP_EN_TX_UDP4 0x002u
#define VS_VSP_EN_TX_TCP6 0x004u
#define VS_VSP_EN_TX_UDP6 0x008u
#define VS_VSP_EN_RX_TCP4 0x010u
#define VS_VSP_EN_RX_UDP4 0x020u
#define VS_VSP_EN_RX_TCP6 0x040u
#define VS_VSP_EN_RX_UDP6 0x080u
#define VS_VSP_EN_LSO4 0x100u
#define VS_VSP_EN_LSO6 0x200u
#define VS_VSP_EN_RSC4 0x400u
#define VS_VSP_EN_RSC6 0x800u
#define VS_VSP_EN_COUNT 12u /* bits above */

/* Name of VS_VSP_EN_* bit 'bit' (0..VS_VSP_EN_COUNT-1), e.g. "tx_csum_tcp4", "lso4", "rsc6". */
const char *vs_vsp_en_name(unsigned int bit);

/* A piece of a frame or byte stream in host memory. */
struct vs_vsp_seg {
	const uint8_t *base; /* host address (guest memory, mapped by the caller) */
	uint32_t len;	     /* bytes */
};

/* Offload metadata of a guest frame, parsed from validated per-packet info (facts 7.6). */
#define VS_VSP_TXF_IPV4 0x01u	  /* checksum/LSO request: IPv4 packet */
#define VS_VSP_TXF_IPV6 0x02u	  /* checksum/LSO request: IPv6 packet */
#define VS_VSP_TXF_TCP_CSUM 0x04u /* complete the TCP checksum at l4_offset */
#define VS_VSP_TXF_UDP_CSUM 0x08u /* complete the UDP checksum at l4_offset */
#define VS_VSP_TXF_IP_CSUM 0x10u  /* compute the IPv4 header checksum */
#define VS_VSP_TXF_LSO 0x20u	  /* segment: TCP header at l4_offset, mss */
#define VS_VSP_TXF_VLAN 0x40u	  /* insert vlan_tci (802.1Q PPI) */
#define VS_VSP_TXF_HASH 0x80u	  /* hash holds the guest's flow hash */

/* One frame the guest sent, handed to ops->deliver. */
struct vs_vsp_frame {
	const struct vs_vsp_seg *segs; /* gather list into guest memory: valid only during the call,
					* and the guest may still write it: copy, then parse */
	unsigned int n_segs;	       /* 1..VS_VSP_MAX_SEGS */
	uint32_t len;		       /* frame bytes (sum of segs) */
	uint32_t flags;		       /* VS_VSP_TXF_* */
	uint16_t l4_offset;	       /* TCP/UDP header offset from the frame start (csum, LSO) */
	uint16_t vlan_tci;	       /* PCP << 13 | CFI << 12 | VID, with VS_VSP_TXF_VLAN */
	uint32_t mss;		       /* LSO segment size, non-zero with VS_VSP_TXF_LSO */
	uint32_t hash;		       /* with VS_VSP_TXF_HASH */
};

/* One frame for the guest, given to vs_vsp_rx_add. The frame is untagged (a VLAN tag goes as
 * metadata) and its bytes are copied during the call. */
#define VS_VSP_RXF_VLAN 0x1u /* send vlan_tci in an 802.1Q PPI */
#define VS_VSP_RXF_CSUM 0x2u /* send csum_info in a checksum PPI */
#define VS_VSP_RXF_HASH 0x4u /* send hash in a hash-value PPI (facts 7.6 type 8) */
#define VS_VSP_RXF_RSC 0x8u  /* larger than a sub-allocation: send as RSC fragments (the guest
			      * enabled RSC, VS_VSP_EN_RSC4/6) */
struct vs_vsp_rx_frame {
	const struct vs_vsp_seg *segs; /* gather list */
	unsigned int n_segs;	       /* >= 1 */
	uint32_t flags;		       /* VS_VSP_RXF_* */
	uint16_t vlan_tci;	       /* PCP << 13 | CFI << 12 | VID */
	uint32_t csum_info;	       /* RNDIS_CSUM_RX_* bits (TCP/UDP/IP ok) */
	uint32_t hash;		       /* with VS_VSP_RXF_HASH: the RSS hash */
	uint32_t channel;	       /* channel to send on (0 primary); out of range: 0 */
};

/*
 * Host services. 'ctx' is vs_vsp_create()'s ctx. All are called on the vs_vsp's thread, from inside
 * a vs_vsp_* call.
 */
struct vs_vsp_ops {
	/* Required. Resolve GPADL 'gpadl' of this channel to its mapping. Return 0 with *base and *size
	 * set, or -ENOENT. The mapping must stay valid until vs_vsp_gpadl_teardown() for that
	 * handle, vs_vsp_reset() or vs_vsp_destroy(). */
	int (*gpadl_map)(void *ctx, uint32_t gpadl, uint8_t **base, size_t *size);
	/* Required. Host addresses of 'n' 4 KiB guest pages: pages[i] for pfns[i]. Return 0, or
	 * -EFAULT if any PFN is not guest RAM this channel may use. */
	int (*gpa_pages)(void *ctx, const uint64_t *pfns, uint32_t n, uint8_t **pages);
	/* Required. Write one ring packet to the host->guest ring of 'channel': 'pkt' starts with a
	 * struct vmbus_pkt_desc, 'len' = desc.len8 * 8 (the caller adds the trailer). Return 0 or
	 * -EAGAIN (ring full; the core counts it and drops what the packet carried). */
	int (*send)(void *ctx, uint32_t channel, const void *pkt, size_t len);
	/* Required. Hand a guest frame to the switch. Return 0, or -errno (counted as a drop). */
	int (*deliver)(void *ctx, const struct vs_vsp_frame *frame);
	/* Optional. The guest asks for 'requested' subchannels: return how many the caller will
	 * offer (<= requested). NULL: none. */
	uint32_t (*subchannels)(void *ctx, uint32_t requested);
	/* Optional. A guest-triggered anomaly, already rate-limited: for each reason the core calls
	 * this on its 1st, 2nd, 4th, 8th, ... occurrence. No trailing newline. */
	void (*log)(void *ctx, const char *msg);
};

struct vs_vsp_config {
	uint8_t mac[6];		/* permanent address answered to 802_3_PERMANENT_ADDRESS */
	bool link_up;		/* initial media state */
	uint32_t link_speed;	/* 100 bit/s units (100,000,000 = 10 Gbit/s); 0: that default */
	uint32_t ndis_mtu_max;	/* cap on the NDIS-config MTU (MTU + 14); 0: VS_VSP_NDIS_MTU_MAX */
	uint32_t rx_suballocs_max; /* cap on receive sub-allocations; 0: VS_VSP_RX_SUBALLOCS_MAX */
	uint32_t rss_queues;	/* receive queues advertised in the RSS capabilities; 0: 1 */
	uint32_t offloads_off;	/* VS_VSP_OL_* the operator forbids (not advertised); 0: none */
};

/* Per-channel traffic, indexed by channel (0 primary). */
struct vs_vsp_chan_stats {
	uint64_t from_guest_packets, from_guest_bytes;
	uint64_t to_guest_packets, to_guest_bytes;
	uint64_t ring_full; /* to-guest frames dropped because this channel's ring was full */
};

/* Counters: plain uint64_t written by the owning thread. Three X-macro lists with names. */
#define VS_VSP_COUNTERS(X)                                                                         \
	X(FROM_GUEST_PACKETS, "from_guest_packets")                                                \
	X(FROM_GUEST_BYTES, "from_guest_bytes")                                                    \
	X(FROM_GUEST_LSO, "from_guest_lso")                                                        \
	X(FROM_GUEST_CSUM, "from_guest_csum")                                                      \
	X(FROM_GUEST_GPA, "from_guest_gpa_msgs") /* SEND_RNDIS_PKTs with GPA ranges (any RNDIS) */ \
	X(TO_GUEST_PACKETS, "to_guest_packets")                                                    \
	X(TO_GUEST_BYTES, "to_guest_bytes")                                                        \
	X(NVSP_MSGS, "nvsp_msgs")                                                                  \
	X(RNDIS_CTL_MSGS, "rndis_ctl_msgs")                                                        \
	X(XFER_SENT, "xfer_sent")                                                                  \
	X(XFER_COMPLETED, "xfer_completed")                                                        \
	X(XFER_GUEST_FAILED, "xfer_guest_failed")                                                  \
	X(CTL_QUEUED, "ctl_answers_queued")                                                        \
	X(MTU_ADJUSTED, "ndis_mtu_adjusted")                                                      \
	X(OFFLOAD_PARAMS, "offload_params_set")                                                    \
	X(TO_GUEST_RSC, "to_guest_rsc")                                                            \
	X(TO_GUEST_RSC_FRAGS, "to_guest_rsc_frags")                                                \
	X(TO_GUEST_CSUM_OK, "to_guest_csum_ok")                                                    \
	X(OID_UNSUPPORTED, "rndis_oid_unsupported") /* optional OIDs: not a guest error */

/* Protocol errors: a guest sent something invalid. All are counted; only PKT_FRAMING is fatal. */
#define VS_VSP_ERRORS(X)                                                                           \
	X(PKT_FRAMING, "pkt_framing")                                                              \
	X(PKT_FLAGS, "pkt_flags")                                                                  \
	X(PKT_TYPE, "pkt_type")                                                                    \
	X(NVSP_SHORT, "nvsp_short")                                                                \
	X(NVSP_UNKNOWN, "nvsp_unknown_type")                                                       \
	X(NVSP_BEFORE_INIT, "nvsp_before_init")                                                    \
	X(NVSP_REINIT, "nvsp_reinit")                                                              \
	X(NVSP_VERSION, "nvsp_version_unsupported")                                                \
	X(NVSP_NOT_IN_VERSION, "nvsp_msg_not_in_version")                                          \
	X(BUF_GPADL, "buf_gpadl_unknown")                                                          \
	X(BUF_DUPLICATE, "buf_duplicate")                                                          \
	X(BUF_TOO_SMALL, "buf_too_small")                                                          \
	X(BUF_REVOKE_ID, "buf_revoke_bad_id")                                                      \
	X(SUBCHANNEL_OP, "subchannel_bad_request")                                                 \
	X(RNDIS_NO_BUFFERS, "rndis_before_buffers")                                                \
	X(RNDIS_CHANNEL_TYPE, "rndis_channel_type")                                                \
	X(RNDIS_NO_DATA, "rndis_no_data")                                                          \
	X(SECTION_BOUNDS, "send_section_bounds")                                                   \
	X(GPA_RANGE, "gpa_range_invalid")                                                          \
	X(GPA_MAP, "gpa_pfn_invalid")                                                              \
	X(RNDIS_MSG_LEN, "rndis_msg_len")                                                          \
	X(RNDIS_UNKNOWN_MSG, "rndis_unknown_msg")                                                  \
	X(RNDIS_NOT_INIT, "rndis_before_init")                                                     \
	X(PKT_OFFSETS, "rndis_pkt_offsets")                                                        \
	X(PKT_OOB, "rndis_pkt_oob")                                                                \
	X(PPI_MALFORMED, "rndis_ppi_malformed")                                                    \
	X(CSUM_INVALID, "rndis_csum_invalid")                                                      \
	X(LSO_INVALID, "rndis_lso_invalid")                                                        \
	X(LSO_MSS, "rndis_lso_bad_mss")                                                            \
	X(LSO_SIZE, "rndis_lso_too_big")                                                           \
	X(LSO_HEADERS, "rndis_lso_bad_headers")                                                    \
	X(OFFLOAD_NOT_ENABLED, "rndis_offload_not_enabled")                                        \
	X(FRAME_LEN, "frame_len")                                                                  \
	X(CTL_TOO_BIG, "rndis_ctl_too_big")                                                        \
	X(CTL_SHORT, "rndis_ctl_short")                                                            \
	X(OID_BUFFER, "rndis_oid_buffer")                                                          \
	X(OID_INVALID, "rndis_oid_invalid_data")                                                   \
	X(RSS_INVALID, "rndis_rss_invalid")                                                        \
	X(CTL_QUEUE_FULL, "ctl_queue_full")                                                        \
	X(XFER_COMP_UNKNOWN, "xfer_comp_unknown")                                                  \
	X(SEND_FAILED, "send_failed")

/* Dropped frames, by direction and reason. */
#define VS_VSP_DROPS(X)                                                                            \
	X(FROM_GUEST_DELIVER, "from_guest_deliver_failed")                                        \
	X(TO_GUEST_NOT_READY, "to_guest_not_ready")                                                \
	X(TO_GUEST_FILTERED, "to_guest_filtered")                                                  \
	X(TO_GUEST_NO_BUFFER, "to_guest_no_buffer")                                                \
	X(TO_GUEST_TOO_BIG, "to_guest_too_big")                                                    \
	X(TO_GUEST_BAD_FRAME, "to_guest_bad_frame")                                                \
	X(TO_GUEST_RING_FULL, "to_guest_ring_full")

enum vs_vsp_cnt {
#define VS_VSP_X(e, s) VS_VSP_CNT_##e,
	VS_VSP_COUNTERS(VS_VSP_X)
#undef VS_VSP_X
	VS_VSP_CNT_COUNT
};

enum vs_vsp_err {
	VS_VSP_ERR_NONE, /* not a counter: "no error" for internal helpers */
#define VS_VSP_X(e, s) VS_VSP_ERR_##e,
	VS_VSP_ERRORS(VS_VSP_X)
#undef VS_VSP_X
	VS_VSP_ERR_COUNT
};

enum vs_vsp_drop {
#define VS_VSP_X(e, s) VS_VSP_DROP_##e,
	VS_VSP_DROPS(VS_VSP_X)
#undef VS_VSP_X
	VS_VSP_DROP_COUNT
};

struct vs_vsp_stats {
	uint64_t cnt[VS_VSP_CNT_COUNT];	  /* enum vs_vsp_cnt */
	uint64_t err[VS_VSP_ERR_COUNT];	  /* enum vs_vsp_err; [VS_VSP_ERR_NONE] stays 0 */
	uint64_t drop[VS_VSP_DROP_COUNT]; /* enum vs_vsp_drop */
	struct vs_vsp_chan_stats chan[VS_VSP_MAX_CHANNELS];
};

/* Names for the counters ("?" when out of range). */
const char *vs_vsp_cnt_name(enum vs_vsp_cnt c);
const char *vs_vsp_err_name(enum vs_vsp_err e);
const char *vs_vsp_drop_name(enum vs_vsp_drop d);

/* Allocate a channel's protocol state (all allocation happens here, none later). 'ops' and 'ctx'
 * are kept. Returns NULL with errno EINVAL (missing required op) or ENOMEM. */
struct vs_vsp *vs_vsp_create(const struct vs_vsp_config *cfg, const struct vs_vsp_ops *ops,
	void *ctx);

/* Free 'vsp'; NULL is a no-op. Calls no op. */
void vs_vsp_destroy(struct vs_vsp *vsp);

/* Forget all protocol state (as for a freshly opened channel), keeping config and counters. Use
 * when the channel is closed and reopened (MTU change, facts 8). */
void vs_vsp_reset(struct vs_vsp *vsp);

/*
 * Handle one guest->host ring packet of 'channel' (< VS_VSP_MAX_CHANNELS), already copied to
 * private memory: 'pkt' starts with the 16-byte descriptor, 'len' >= desc.len8 * 8. Answers go out
 * through ops->send (needs VS_VSP_HANDLE_MAX_OUT bytes of ring room), frames through ops->deliver.
 * Returns 0 (handled; a bad request was counted and answered with a failure status), or -EPROTO
 * when the channel must be closed (now or earlier: see vs_vsp_must_close()).
 */
int vs_vsp_handle_packet(struct vs_vsp *vsp, uint32_t channel, const void *pkt, size_t len);

/* True once a fatal violation was seen; the caller must close the channel. */
bool vs_vsp_must_close(const struct vs_vsp *vsp);

/*
 * Copy one frame into a free receive sub-allocation (RNDIS PACKET + PPIs + frame) and add it to
 * the pending XFER_PAGES batch, which is sent when it reaches VS_VSP_RX_BATCH_MAX frames or at
 * vs_vsp_rx_flush(). Returns 0, or (each counted as a drop):
 *   -ENOBUFS  no free sub-allocation, the packet filter is 0, or the guest is not ready
 *             (no receive buffer / RNDIS not initialized);
 *   -EMSGSIZE the frame does not fit a sub-allocation (without VS_VSP_RXF_RSC) or needs more
 *             than VS_VSP_RX_BATCH_MAX fragments; -EINVAL empty or malformed gather list;
 *   -EAGAIN   an automatic flush failed (ring full).
 */
int vs_vsp_rx_add(struct vs_vsp *vsp, const struct vs_vsp_rx_frame *frame);

/* The longest frame vs_vsp_rx_add() can take now: one sub-allocation's room, or with 'rsc' as
 * many as one XFER_PAGES packet holds (0 before the receive buffer is set up). */
uint32_t vs_vsp_rx_max_len(const struct vs_vsp *vsp, bool rsc);

/* Send the pending XFER_PAGES batch of every channel, if any. Returns 0, or the first
 * -EAGAIN/-errno from ops->send, in which case that batch's frames are dropped (counted) and their
 * sub-allocations freed (the other channels' batches are still sent). */
int vs_vsp_rx_flush(struct vs_vsp *vsp);

/* The guest's RSS state, valid until the next vs_vsp_* call. */
struct vs_vsp_rss {
	uint32_t hash_info;    /* NDIS_HASH_* (Toeplitz function | types) */
	uint32_t n_table;      /* entries, 1..VS_VSP_RSS_TABLE_MAX */
	const uint32_t *table; /* channel numbers, each < 1 + subchannels granted */
	const uint8_t *key;    /* 40-byte Toeplitz key, as the guest sent it */
};

/* True with 'out' set when the guest enabled RSS and more than one channel was granted. */
bool vs_vsp_rss_get(const struct vs_vsp *vsp, struct vs_vsp_rss *out);

/* The indirection-table entry for 'hash' (hash modulo the table size, which is the low bits for
 * the power-of-two sizes NDIS uses); 0 when RSS is off. */
uint32_t vs_vsp_rss_channel(const struct vs_vsp *vsp, uint32_t hash);

/* Set the media state; when it changes and RNDIS is initialized, send INDICATE_STATUS
 * MEDIA_CONNECT / MEDIA_DISCONNECT to the guest. Returns 0 or -errno (-ENOBUFS: answer queue
 * full). */
int vs_vsp_link_set(struct vs_vsp *vsp, bool up);

/* The guest (or the caller) tears down GPADL 'gpadl': forget a receive or send buffer that uses
 * it (in-flight receive transfers are abandoned). Call before unmapping it. */
void vs_vsp_gpadl_teardown(struct vs_vsp *vsp, uint32_t gpadl);

/* VS_VSP_EN_* the guest enabled (what the datapath may use). Owner thread. */
uint32_t vs_vsp_offloads(const struct vs_vsp *vsp);

/* Read-only view of the counters. */
const struct vs_vsp_stats *vs_vsp_stats(const struct vs_vsp *vsp);

/* Protocol state, for vswitchctl and tests. */
struct vs_vsp_info {
	uint32_t nvsp_version;	  /* negotiated, 0 before INIT */
	uint32_t ndis_mtu;	  /* MTU + 14 in force */
	uint64_t ndis_caps;	  /* NVSP_NDIS_CAP_* from SEND_NDIS_CONFIG */
	uint32_t ndis_major;	  /* from SEND_NDIS_VERSION */
	uint32_t ndis_minor;
	bool recv_buf;		  /* receive buffer established */
	uint32_t rx_suballoc_size; /* bytes */
	uint32_t rx_suballocs;	  /* count */
	uint32_t rx_free;	  /* free sub-allocations (data + reserved) */
	bool send_buf;		  /* send buffer established */
	uint32_t send_sections;	  /* count of VS_VSP_SEND_SECTION_SIZE sections */
	bool rndis_ready;	  /* RNDIS INITIALIZE answered, no HALT since */
	uint32_t packet_filter;	  /* RNDIS_FILTER_* */
	bool link_up;
	uint32_t n_channels;	  /* 1 + subchannels granted */
	uint32_t datapath;	  /* SWITCH_DATA_PATH: 0 synthetic, 1 VF */
	bool rss_enabled;
	uint32_t rss_hash_info;
	uint32_t rss_table_len;	  /* entries */
	uint8_t offload_params[28]; /* last TCP_OFFLOAD_PARAMETERS object (zero-padded) */
	uint32_t offloads_advertised; /* VS_VSP_OL_* in the hardware capabilities we answer */
	uint32_t offloads;	  /* VS_VSP_EN_* the guest enabled */
};
void vs_vsp_info_get(const struct vs_vsp *vsp, struct vs_vsp_info *info);

#endif
