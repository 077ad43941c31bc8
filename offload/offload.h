/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vsw_offload: software TCP segmentation, checksums and receive coalescing for the switch
 * (DESIGN decision 8). Everything here runs on mbufs from the caller's pools.
 *
 * Offload request convention (how a large or checksum-offloaded frame travels across the switch):
 * the port that receives it from a guest sets the DPDK transmit metadata on the mbuf, as a PMD's
 * caller would:
 *   - LSO:      ol_flags |= RTE_MBUF_F_TX_TCP_SEG, tso_segsz = MSS (vs_ol_mark_tso());
 *   - checksum: ol_flags |= RTE_MBUF_F_TX_TCP_CKSUM or RTE_MBUF_F_TX_UDP_CKSUM (vs_ol_mark_csum()).
 * The checksum fields the guest left in the frame are never trusted: everything is computed from
 * scratch. Linux guests zero the IPv4 total length / IPv6 payload length of LSO frames; parse with
 * VS_OL_PARSE_LEN0 to accept that, and vs_ol_csum_fill()/vs_ol_tso_segment()/vs_ol_tx_prepare()
 * write the real lengths.
 *
 * Coalesced receive metadata: an mbuf produced by merging n > 1 segments has RTE_MBUF_F_RX_LRO set,
 * tso_segsz = the original MSS (payload of the first segment) and vs_ol_gro_segs(m) = n, the count
 * kept in an mbuf dynamic field registered by vs_ol_gro_create(). All frames vs_ol_gro_input()
 * returns carry RTE_MBUF_F_RX_IP_CKSUM_* / RTE_MBUF_F_RX_L4_CKSUM_* from a software verification
 * (GOOD or BAD for parsed TCP/UDP frames, the IP flags for IPv4 only; UNKNOWN otherwise), so the
 * receiving port reports them to the guest without checking again.
 *
 * Why our own code and not rte_gso/rte_gro (DESIGN 5 says prefer them): DPDK 22.11 rte_gso does
 * TCP segmentation for IPv4 only, leaves all checksums to the caller and never clears CWR; rte_gro
 * coalesces TCP/IPv4 only (TCP/IPv6 arrived in 23.07), neither verifies nor rewrites checksums, and
 * reorders unmerged packets ahead of held ones. One implementation serves both families here.
 *
 * Threads: vs_ol_gro_create()/destroy() on the control thread; everything else is fast path:
 * no allocation outside the caller's mempools, no locks, no logging.
 */
#ifndef VSW_OFFLOAD_H
#define VSW_OFFLOAD_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>

/* Largest IPv4 total length / IPv6 header + payload length we handle (a 16-bit length field). */
#define VS_OL_MAX_L3_LEN 65535u
/* A frame no longer than this (Ethernet minimum plus two tags) may carry padding past the IP
 * length; longer frames must end exactly where the IP length says. */
#define VS_OL_MAX_PADDED_FRAME 68u

/* Why vs_ol_parse() or vs_ol_tso_segment() refused a frame: each is a distinct drop reason.
 * X(enum suffix, name). */
#define VS_OL_REASONS(X)                                                                           \
	X(OK, "ok")                                                                                \
	X(TRUNC_L2, "trunc_l2")                 /* frame ends inside Ethernet/VLAN headers */       \
	X(TOO_MANY_TAGS, "too_many_tags")       /* more than two 802.1Q/802.1ad tags */             \
	X(NOT_IP, "not_ip")                     /* ethertype is neither IPv4 nor IPv6 */            \
	X(TRUNC_L3, "trunc_l3")                 /* frame ends inside the IP header */               \
	X(IP_VERSION, "ip_version")             /* version nibble disagrees with the ethertype */   \
	X(IPV4_IHL, "ipv4_ihl")                 /* IHL < 5 */                                       \
	X(IP_LEN_SHORT, "ip_len_short")         /* IP length smaller than its own headers */        \
	X(IP_LEN_OVER, "ip_len_over")           /* IP length runs past the end of the frame */      \
	X(IP_LEN_UNDER, "ip_len_under")         /* frame longer than IP length (not padding) */     \
	X(IP_FRAGMENT, "ip_fragment")           /* IPv4 MF or fragment offset set */                \
	X(IPV6_EXT, "ipv6_ext")                 /* unsupported or malformed IPv6 extension header */\
	X(L4_PROTO, "l4_proto")                 /* neither TCP nor UDP */                           \
	X(TRUNC_L4, "trunc_l4")                 /* frame ends inside the TCP/UDP header */          \
	X(TCP_DOFF, "tcp_doff")                 /* TCP data offset < 5 */                           \
	X(UDP_LEN, "udp_len")                   /* UDP length disagrees with the IP length */       \
	X(HDR_SPLIT, "hdr_split")               /* headers not all in the first mbuf segment */     \
	X(TOO_LARGE, "too_large")               /* IP packet longer than VS_OL_MAX_L3_LEN */        \
	X(MSS_ZERO, "mss_zero")                 /* LSO with MSS 0 */                                \
	X(MSS_LARGE, "mss_large")               /* MSS + headers beyond VS_OL_MAX_L3_LEN */         \
	X(NOT_TCP, "not_tcp")                   /* LSO asked for a non-TCP frame */                 \
	X(TSO_FLAGS, "tso_flags")               /* LSO of a SYN, RST or URG segment */              \
	X(TOO_MANY_SEGS, "too_many_segs")       /* more segments than the caller's array holds */   \
	X(NO_MBUF, "no_mbuf")                   /* output pool empty */

enum vs_ol_reason {
#define VS_OL_REASON_ENUM(e, s) VS_OL_R_##e,
	VS_OL_REASONS(VS_OL_REASON_ENUM)
#undef VS_OL_REASON_ENUM
	VS_OL_R_COUNT
};

/* Name of a reason ("ip_len_over"), or "unknown". */
const char *vs_ol_reason_name(enum vs_ol_reason r);

/* vs_ol_info.flags */
#define VS_OL_F_IPV4 0x01u /* L3 is IPv4 */
#define VS_OL_F_IPV6 0x02u /* L3 is IPv6 */
#define VS_OL_F_TCP 0x04u  /* L4 is TCP */
#define VS_OL_F_UDP 0x08u  /* L4 is UDP */
#define VS_OL_F_LEN0 0x10u /* the IP length field was 0 and was taken from the frame */

/* What vs_ol_parse() learned. Offsets are from the start of the frame. */
struct vs_ol_info {
	uint16_t l2_len;      /* Ethernet header + inline VLAN tags */
	uint16_t l3_len;      /* IP header (IPv4 options / accepted IPv6 extension headers) */
	uint16_t l4_len;      /* TCP header with options, or 8 for UDP */
	uint16_t pad_len;     /* bytes after the IP packet (Ethernet padding only) */
	uint32_t payload_len; /* L4 payload bytes */
	uint32_t frame_len;   /* l2_len + l3_len + l4_len + payload_len (excludes padding) */
	uint8_t flags;        /* VS_OL_F_* */
	uint8_t n_vlan;       /* inline 802.1Q/802.1ad tags (0..2) */
	uint8_t l4_proto;     /* IPPROTO_TCP or IPPROTO_UDP */
	uint8_t tcp_flags;    /* TCP flags byte (0 for UDP) */
	enum vs_ol_reason reason; /* VS_OL_R_OK, or why the last call on this info failed */
};

/* vs_ol_parse() flags */
#define VS_OL_PARSE_LEN0 0x1u /* accept IP length 0 meaning "to the end of the frame" (LSO) */

/*
 * Parse and validate Ethernet (+ up to two 802.1Q/802.1ad tags), IPv4 (options allowed, no
 * fragments) or IPv6 (only Hop-by-Hop (first) and Destination Options extension headers, at most 4
 * and 256 bytes in all; no Routing, Fragment, AH or ESP) and a TCP (options) or UDP header of 'm'.
 * Frames longer than the IP packet are refused unless no longer than VS_OL_MAX_PADDED_FRAME.
 * All headers must lie in the first mbuf segment (VS_OL_R_HDR_SPLIT otherwise); the payload may be
 * chained. Reads only, any thread.
 * Returns 0, -EINVAL (malformed: truncated, inconsistent lengths, bad IHL/data offset, too large)
 * or -EPROTONOSUPPORT (well formed but not handled: not IP, fragment, other L4, extension header);
 * info->reason tells which.
 */
int vs_ol_parse(const struct rte_mbuf *m, unsigned int flags, struct vs_ol_info *info);

/*
 * Segment the TCP frame 'm' (parsed into 'info', VLAN tagged or not, payload possibly chained)
 * into segments of at most 'mss' payload bytes, written to out[0..ret) as new mbufs (chains when
 * a segment exceeds the pool's data room) from 'pool'. Per segment: IPv4 ID = original + index,
 * IP lengths, sequence numbers, FIN/PSH only on the last segment, CWR only on the first, IPv4
 * header and TCP checksums computed from scratch. 'm' is not modified or freed. Also valid when
 * the payload fits one MSS (one segment). Fast path.
 * Returns the number of segments, or -EINVAL (MSS 0 or too large, not TCP, SYN/RST/URG set),
 * -ENOSPC (more than 'max_out' segments) or -ENOMEM (pool empty; nothing is left allocated);
 * info->reason is set on error.
 */
int vs_ol_tso_segment(const struct rte_mbuf *m, struct vs_ol_info *info, uint32_t mss,
	struct rte_mempool *pool, struct rte_mbuf **out, uint16_t max_out);

/*
 * Complete, from scratch, the IPv4 header checksum and the TCP or UDP checksum of frame 'm'
 * (also any size up to VS_OL_MAX_L3_LEN, e.g. an LSO frame delivered whole), writing the IP length
 * field first (it may have been 0, VS_OL_F_LEN0). Clears the checksum request flags
 * (RTE_MBUF_F_TX_L4_MASK, RTE_MBUF_F_TX_IP_CKSUM); an LSO request (RTE_MBUF_F_TX_TCP_SEG,
 * tso_segsz) stays, e.g. for the MSS of an RSC delivery. Fast path.
 * Returns 0 or -EINVAL (headers not in the first segment).
 */
int vs_ol_csum_fill(struct rte_mbuf *m, const struct vs_ol_info *info);

/* Result bits of vs_ol_csum_verify() */
#define VS_OL_CSUM_IP_OK 0x1u  /* IPv4 header checksum valid (always set for IPv6) */
#define VS_OL_CSUM_L4_OK 0x2u  /* TCP/UDP checksum valid (UDP checksum 0 over IPv4 counts valid) */

/* Check the IPv4 header and TCP/UDP checksums of 'm'. Returns VS_OL_CSUM_* bits. Fast path. */
unsigned int vs_ol_csum_verify(const struct rte_mbuf *m, const struct vs_ol_info *info);

/* vs_ol_tx_prepare() results */
enum vs_ol_tx_action {
	VS_OL_TX_AS_IS,       /* nothing was requested: send the frame unchanged */
	VS_OL_TX_HW,          /* mbuf metadata set: the port's hardware segments/checksums it */
	VS_OL_TX_SW_SEGMENT,  /* caller must vs_ol_tso_segment() it */
	VS_OL_TX_SW_CSUM,     /* caller must vs_ol_csum_fill() it */
};

/*
 * For an egress DPDK port with offload capabilities 'tx_offload_capa' (RTE_ETH_TX_OFFLOAD_*):
 * if 'm' requests TSO or checksums (see the convention above) and the port can do it, fix the IP
 * length fields, set ol_flags/l2_len/l3_len/l4_len/tso_segsz and the pseudo-header checksum the
 * way PMDs expect (rte_net_intel_cksum_prepare) and return VS_OL_TX_HW; otherwise tell the caller
 * what to do in software. An LSO request whose payload fits one MSS is turned into a checksum
 * request (RTE_MBUF_F_TX_TCP_SEG cleared). Fast path.
 * Returns a vs_ol_tx_action (>= 0) or -EINVAL (headers not in the first segment).
 */
int vs_ol_tx_prepare(struct rte_mbuf *m, const struct vs_ol_info *info, uint64_t tx_offload_capa);

/* Mark 'm' as an LSO request with the given MSS (convention above). */
static inline void vs_ol_mark_tso(struct rte_mbuf *m, uint16_t mss)
{
	m->ol_flags |= RTE_MBUF_F_TX_TCP_SEG;
	m->tso_segsz = mss;
}

/* Mark 'm' as a checksum request for its TCP (tcp = true) or UDP checksum. */
static inline void vs_ol_mark_csum(struct rte_mbuf *m, bool tcp)
{
	m->ol_flags |= tcp ? RTE_MBUF_F_TX_TCP_CKSUM : RTE_MBUF_F_TX_UDP_CKSUM;
}

/* Receive coalescing bounds */
struct vs_ol_gro_params {
	uint16_t max_flows; /* flows held at once (1..1024, looked up linearly: keep it small, e.g. 32);
			     * the oldest is flushed to admit a new one */
	uint32_t max_bytes; /* IP packet length of a coalesced frame (<= VS_OL_MAX_L3_LEN) */
	uint16_t max_segs;  /* segments per coalesced frame (2..1024) */
};

struct vs_ol_gro;

/*
 * Create a coalescing context for one (worker, port); registers the segment-count dynfield.
 * Control thread. Returns NULL with errno EINVAL (bad params) or ENOMEM.
 */
struct vs_ol_gro *vs_ol_gro_create(const struct vs_ol_gro_params *params, int socket_id);

/* Free a context; held mbufs are freed. NULL is a no-op. Control thread. */
void vs_ol_gro_destroy(struct vs_ol_gro *ctx);

/* Output array size vs_ol_gro_input() needs for 'n' input frames. */
#define VS_OL_GRO_OUT_MAX(n) (2u * (n))

/*
 * Feed received frames pkts[0..n) (ownership passes to the context). Frames that are merged or
 * held stay in the context; others (not TCP, bad checksum, out of order, retransmitted, flags
 * other than ACK/PSH, no payload) flush their flow's held frame and then pass through unchanged;
 * a flow reaching its bound or a PSH segment is flushed. Flushed and passed frames go to out[]
 * in arrival order per flow; 'max_out' must be >= VS_OL_GRO_OUT_MAX(n). Fast path.
 * Returns the number of mbufs written to out, or -EINVAL ('max_out' too small; nothing consumed).
 */
int vs_ol_gro_input(struct vs_ol_gro *ctx, struct rte_mbuf **pkts, uint16_t n,
	struct rte_mbuf **out, uint16_t max_out);

/* Flush up to 'max_out' held frames (oldest first) into out. Returns the number written. */
uint16_t vs_ol_gro_flush(struct vs_ol_gro *ctx, struct rte_mbuf **out, uint16_t max_out);

/* Number of flows holding frames in 'ctx'. */
uint16_t vs_ol_gro_pending(const struct vs_ol_gro *ctx);

/* Offset of the segment-count dynfield (uint16_t), -1 before the first vs_ol_gro_create(). */
extern int vs_ol_gro_segs_offset;

/* Number of segments coalesced into 'm' (1 for a frame that was not coalesced). */
static inline uint16_t vs_ol_gro_segs(const struct rte_mbuf *m)
{
	if (!(m->ol_flags & RTE_MBUF_F_RX_LRO) || vs_ol_gro_segs_offset < 0)
		return 1;
	return *RTE_MBUF_DYNFIELD(m, vs_ol_gro_segs_offset, const uint16_t *);
}

#endif
