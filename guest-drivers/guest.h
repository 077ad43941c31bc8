/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vsw_guest: our guest drivers, run inside a process partition by vsw-guest-init (DESIGN.md
 * decision 2): a VMBus client (the part of Linux's hv_vmbus a netvsc device needs) and a netvsc
 * driver (Linux's hv_netvsc) whose network device is a tap, eth0, in the partition's namespace.
 *
 *  - gmem:      the partition's "physical" memory (the memfd at fd 3) and a page allocator;
 *  - transport: one channel message out / one in, with fds (the SOCK_SEQPACKET socket at fd 4);
 *  - vmbus:     contact, offers, GPADLs, channel open/close, rescind, unload (facts 4);
 *  - channel:   an open channel's two rings and its doorbell eventfds (facts 5);
 *  - netvsc:    NVSP + RNDIS bring-up and the data path (facts 6, 7);
 *  - tap:       eth0;
 *  - driver:    all of the above glued to an event loop, as vsw-guest-init uses it.
 *
 * Everything the host writes (channel messages, ring contents, receive-buffer contents) is
 * treated as hostile: copied to private memory and validated before use; a malformed host
 * message is logged (rate-limited) and ignored. Wire facts are cited as hyperv-facts.md sections
 * ("facts 6.2"); the behaviour and values follow Linux 6.1, so that the host we test against also
 * serves stock Linux guests.
 *
 * Threading: every object belongs to one thread at a time; nothing here takes locks.
 */
#ifndef VSW_GUEST_H
#define VSW_GUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vsw/proto/hv_msg.h>
#include <vsw/proto/nvsp.h>
#include <vsw/proto/rndis.h>
#include <vsw/proto/vmbus.h>

#include <linux/virtio_net.h>

#include "vmbus.h"

/* ---------------------------------------------------------------------------------------------
 * Logging. The library never prints by itself: messages go to the function set here (default:
 * stderr, prefixed "vsw-guest: "). 'level' is a syslog level (LOG_ERR .. LOG_DEBUG).
 */
typedef void (*gd_log_fn)(int level, const char *msg);
void gd_log_set(gd_log_fn fn, int max_level);

/* ---------------------------------------------------------------------------------------------
 * Guest memory (gmem.c): the whole memfd mapped read-write; runs of pages handed out first-fit.
 * A guest page frame number is the file offset / 4096. Page 0 is never handed out, so that no
 * GPA we publish is 0 (INITIATE_CONTACT treats 0 as "no page").
 */
struct gd_gmem {
	int fd;		  /* memfd (not owned) */
	uint8_t *base;	  /* mapping of the whole file */
	uint64_t size;	  /* bytes */
	uint64_t n_pages; /* size / 4096 */
	uint64_t *used;	  /* bitmap, one bit per page */
	uint64_t n_free;  /* free pages */
};

/* Map the memfd 'fd' (size from fstat, rounded down to pages). Returns 0, -EINVAL (smaller than
 * two pages), -ENOMEM or -errno from fstat/mmap. */
int gd_gmem_open(struct gd_gmem *g, int fd);
/* Unmap; the fd stays open. */
void gd_gmem_close(struct gd_gmem *g);
/* Allocate 'n_pages' contiguous zeroed pages; '*pfn' is the first. Returns 0, -EINVAL (0 pages)
 * or -ENOMEM. */
int gd_gmem_alloc(struct gd_gmem *g, uint32_t n_pages, uint64_t *pfn);
/* Free a run returned by gd_gmem_alloc. */
void gd_gmem_free(struct gd_gmem *g, uint64_t pfn, uint32_t n_pages);
/* Our address of guest page 'pfn' (NULL if outside the memory). */
void *gd_gmem_va(const struct gd_gmem *g, uint64_t pfn);
/* Largest run of free pages. */
uint64_t gd_gmem_largest_free(const struct gd_gmem *g);

/* ---------------------------------------------------------------------------------------------
 * Transport (transport.c): how channel messages travel. The real one is the partition's
 * SOCK_SEQPACKET socket (include/vsw/proto/hv_msg.h); tests plug in fakes.
 */
#define GD_MAX_MSG_FDS 2u

struct gd_transport_ops {
	/* Send one HvPostMessage input. Returns 0 or -errno (-EPIPE: host gone). */
	int (*send)(void *ctx, const struct hv_post_message *pm);
	/* Receive one SynIC message slot, waiting at most 'timeout_ms' (-1: forever). Received fds
	 * (at most GD_MAX_MSG_FDS, close-on-exec) go to 'fds', their count to '*n_fds'; the caller
	 * owns them. Returns 0, -ETIMEDOUT, -EPIPE (host gone), -EPROTO (wrong datagram size) or
	 * -errno. */
	int (*recv)(void *ctx, struct hv_message *hm, int *fds, unsigned int *n_fds, int timeout_ms);
	/* A pollable fd that is readable when recv() would not block, or -1 (then callers poll
	 * recv() with timeout 0). */
	int (*poll_fd)(void *ctx);
};

/* The socket transport: ctx is a pointer to the socket fd (an int). */
extern const struct gd_transport_ops gd_sock_transport_ops;

/* ---------------------------------------------------------------------------------------------
 * VMBus client (vmbus_client.c, channel.c).
 */
#define GD_MAX_OFFERS 32u    /* offers remembered */
#define GD_MAX_REPLIES 16u   /* host replies waiting to be claimed */
#define GD_GPADL_HANDLE_BASE 0xe1e10u /* first GPADL handle, as Linux */

struct gd_offer {
	struct vmbus_chanmsg_offer msg; /* validated copy */
	bool present;			/* offered and not rescinded */
	bool rescinded;			/* rescinded, relid not released yet */
};

struct gd_reply {
	union vmbus_chanmsg msg; /* validated copy */
	uint32_t size;		 /* bytes */
	int fds[GD_MAX_MSG_FDS]; /* fds that came with it (OPENCHANNEL_RESULT) */
	unsigned int n_fds;
};

struct gd_vmbus {
	const struct gd_transport_ops *ops; /* transport */
	void *ctx;
	struct gd_gmem *gmem;		    /* for the monitor and interrupt pages */
	int timeout_ms;			    /* bound on every wait for a host reply */
	void (*on_contact)(void *arg);	    /* optional: a version was accepted */
	void *contact_arg;
	/* connection */
	bool connected;
	uint32_t version;     /* negotiated VMBus version */
	uint32_t msg_conn_id; /* connection id for every message after INITIATE_CONTACT */
	uint64_t contact_pfn; /* 3 pages: interrupt page (< 5.0), monitor pages 1 and 2 */
	uint32_t next_gpadl;  /* handle counter */
	/* offers, indexed by nothing: relid is inside */
	struct gd_offer offers[GD_MAX_OFFERS];
	bool all_offers;      /* ALLOFFERS_DELIVERED seen */
	uint64_t offer_gen;   /* bumped on every new offer */
	uint64_t rescind_gen; /* bumped on every rescind */
	/* replies in arrival order */
	struct gd_reply replies[GD_MAX_REPLIES];
	unsigned int n_replies;
	/* counters */
	uint64_t n_bad_msgs; /* malformed or unexpected host messages dropped */
};

/* Prepare 'vb' (no I/O). 'gmem' may be NULL only if no pages are needed (tests). */
void gd_vmbus_init(struct gd_vmbus *vb, const struct gd_transport_ops *ops, void *ctx,
	struct gd_gmem *gmem, int timeout_ms);
/* Close fds held in unclaimed replies and free the contact pages. No I/O. */
void gd_vmbus_fini(struct gd_vmbus *vb);

/*
 * INITIATE_CONTACT with 5.3, 5.2, 5.1, 5.0, 4.1, 4.0, 3.0 in turn until the host accepts one
 * (facts 4.1), then REQUESTOFFERS, then collect offers until ALLOFFERS_DELIVERED. Waits at most
 * timeout_ms for each reply. Returns 0, -ETIMEDOUT (the host does not answer), -EPROTONOSUPPORT
 * (no version accepted), -EPIPE (host gone) or -errno.
 */
int gd_vmbus_connect(struct gd_vmbus *vb);

/* UNLOAD, then wait for UNLOAD_RESPONSE (bounded). Returns 0 or -errno. */
int gd_vmbus_unload(struct gd_vmbus *vb);

/* Send one channel message of 'size' bytes. Returns 0 or -errno. */
int gd_vmbus_post(struct gd_vmbus *vb, const void *msg, size_t size);

/*
 * Receive and dispatch one host message, waiting at most 'timeout_ms': offers and rescinds
 * update the offer table, replies are queued for gd_vmbus_wait_reply(). Malformed messages are
 * counted, logged and dropped. Returns 1 (a message was handled), 0 (nothing arrived) or -errno
 * (-EPIPE: the host is gone).
 */
int gd_vmbus_pump(struct gd_vmbus *vb, int timeout_ms);

/* Wait (pumping) for a queued reply of 'type' for which 'match' (may be NULL) returns true;
 * the reply is moved to 'out' (its fds become the caller's). Returns 0, -ETIMEDOUT or -errno. */
int gd_vmbus_wait_reply(struct gd_vmbus *vb, uint32_t type,
	bool (*match)(const struct gd_reply *r, const void *arg), const void *arg,
	struct gd_reply *out);

/* First present primary offer (sub-channel index 0) of interface type 'if_type', or NULL. */
const struct gd_offer *gd_vmbus_find_offer(const struct gd_vmbus *vb,
	const struct vmbus_guid *if_type);
/* Offer of 'relid' (present or rescinded), or NULL. */
struct gd_offer *gd_vmbus_offer_lookup(struct gd_vmbus *vb, uint32_t relid);
/* Send RELID_RELEASED for a rescinded relid and forget its offer. Returns 0 or -errno. */
int gd_vmbus_relid_release(struct gd_vmbus *vb, uint32_t relid);

/*
 * Create a GPADL for 'relid' over the 'n_pfns' pages 'pfns' (one range, offset 0, covering the
 * pages; messages split as Linux splits them, facts 4.3), then wait for GPADL_CREATED matching
 * relid and handle. Returns 0 with '*handle' set, -EIO (creation_status != 0), -ETIMEDOUT or
 * -errno.
 */
int gd_gpadl_create(struct gd_vmbus *vb, uint32_t relid, const uint64_t *pfns, uint32_t n_pfns,
	uint32_t *handle);
/* GPADL_TEARDOWN and wait for GPADL_TORNDOWN of 'handle'. Returns 0, -ETIMEDOUT or -errno. */
int gd_gpadl_teardown(struct gd_vmbus *vb, uint32_t relid, uint32_t handle);
/* GPADL for a contiguous run of pages starting at 'pfn'. */
int gd_gpadl_create_run(struct gd_vmbus *vb, uint32_t relid, uint64_t pfn, uint32_t n_pages,
	uint32_t *handle);

/* An open channel (channel.c). */
struct gd_channel {
	struct gd_vmbus *vb;
	uint32_t relid;
	uint64_t ring_pfn;	/* first page of the ring GPADL */
	uint32_t ring_pages;	/* both rings */
	uint32_t ring_gpadl;	/* handle, 0 = none */
	struct vmbus_ring out;	/* guest -> host, we write */
	struct vmbus_ring in;	/* host -> guest, we read */
	int signal_fd;		/* eventfd: write 1 to notify the host */
	int intr_fd;		/* pipe read end (eventfd in tests): readable when the host notified us */
	bool open;
	uint64_t n_signals;	/* times we signalled the host */
};

#define GD_RING_PAGES_DEFAULT 128u /* per direction, Linux netvsc's ring_size */

/*
 * Open the channel of 'offer': allocate 2 x 'ring_pages' pages, reset both control pages, GPADL
 * them, OPENCHANNEL (open id = relid, target VP 0, downstream offset = ring_pages) and wait for
 * OPENCHANNEL_RESULT matching relid and open id, taking its two eventfds. Returns 0, -EIO
 * (status != 0 or no eventfds), -ETIMEDOUT, -ENOMEM or -errno; on error nothing is left open.
 */
int gd_channel_open(struct gd_channel *ch, struct gd_vmbus *vb, const struct gd_offer *offer,
	uint32_t ring_pages);
/* CLOSECHANNEL, ring GPADL teardown, both rings reset, a new GPADL over the same pages and
 * OPENCHANNEL: a fresh channel for the host on the same ring memory (what Linux's uio_hv_generic
 * gives each new user of /dev/uioN). Returns 0, -EIO, -ETIMEDOUT or -errno; on error the channel
 * is closed (ring pages still allocated, leaked if the teardown went unanswered). */
int gd_channel_reopen(struct gd_channel *ch);
/* CLOSECHANNEL, then (unless 'rescinded') tear the ring GPADL down; free the ring pages and close
 * the eventfds. */
void gd_channel_close(struct gd_channel *ch, bool rescinded);
/* Notify the host (write 1 to the signal eventfd). Returns 0 or -errno. */
int gd_channel_signal(struct gd_channel *ch);
/* Clear the interrupt doorbell (non-blocking read of every pending signal that fits). */
void gd_channel_intr_clear(struct gd_channel *ch);

/* ---------------------------------------------------------------------------------------------
 * netvsc (netvsc.c, nvsp.c, rndis.c).
 */

/* Where received frames and link changes go. Called from inside gd_netvsc_* calls. */
struct gd_netvsc_ops {
	void (*rx)(void *ctx, const uint8_t *frame, size_t len); /* required */
	void (*link)(void *ctx, bool up);			 /* optional */
	/* optional, used instead of rx when set: with the host's checksum PPI bits (RNDIS_CSUM_RX_*,
	 * 0 without one); a frame longer than the MTU is a coalesced (RSC) TCP segment */
	void (*rx_meta)(void *ctx, const uint8_t *frame, size_t len, uint32_t csum_info);
	uint32_t offloads; /* GD_OL_* to enable when the host offers them (0: none) */
	uint32_t mtu;	   /* MTU to announce (0: GD_NETVSC_MTU); the host may lower it */
};

#define GD_RECV_BUF_SIZE (16u << 20)	   /* facts 6.2 step 5 (15 MiB for NVSP <= 2) */
#define GD_RECV_BUF_SIZE_V2 (15u << 20)
#define GD_RECV_BUF_MIN (1u << 20)	   /* smallest we shrink to when memory is short */
#define GD_SEND_BUF_SIZE (170u * 6144u)	   /* facts 6.2 step 6: 1,044,480 B, 255 pages */
#define GD_NETVSC_MTU 1500u
#define GD_NETVSC_MTU_MIN 68u
#define GD_NETVSC_MTU_MAX 65521u		   /* facts 8: 65535 - 14 for NVSP >= 2 */
#define GD_RNDIS_MAX_XFER 0x4000u	   /* INITIALIZE max_xfer_size, as Linux */
#define GD_RNDIS_RESP_MAX (52u + 4096u)	   /* Linux's largest accepted RNDIS answer */
#define GD_MAX_PKT_SIZE VMBUS_NETVSC_MAX_PKT_SIZE /* private inbound packet buffer */
#define GD_MAX_SECTIONS 1024u		   /* send sections we track */
#define GD_PENDING_COMPS 1024u		   /* receive completions waiting for ring room */

#define GD_MAX_SUBCHANNELS 15u /* subchannels we ask for at most */

/* Transaction ids: send-buffer sections are 1..n_sections, everything else above. */
#define GD_TID_CTL_BASE 0x100000u
#define GD_TID_SLOT_BASE 0x200000u	   /* transaction ids of large-frame slots */
#define GD_TX_SLOTS 8u			   /* large frames (GPA_DIRECT) in flight */
#define GD_TX_SLOT_PAGES 17u		   /* 69,632 bytes: RNDIS header + PPIs + 64 KiB frame */
#define GD_TX_HDR_ROOM 128u		   /* RNDIS header + PPIs before a slot's frame */
#define GD_RSC_MAX (65536u + 18u)	   /* largest coalesced frame we reassemble */

struct gd_netvsc_stats {
	uint64_t tx_frames, tx_bytes, tx_busy, tx_dropped;
	uint64_t rx_frames, rx_bytes, rx_dropped;
	uint64_t rx_bad_ranges;	  /* XFER_PAGES ranges or RNDIS messages rejected */
	uint64_t bad_packets;	  /* inbound ring packets rejected */
	uint64_t comps_unknown;	  /* completions for nothing we sent */
	uint64_t status_indications;
	uint64_t tx_lso, tx_csum, tx_gpa;  /* frames sent with LSO / checksum PPIs / by GPA_DIRECT */
	uint64_t tx_batched;		   /* frames that shared a send section with others */
	uint64_t rx_rsc, rx_csum_ok;	   /* coalesced frames reassembled / checksum-valid frames */
};

struct gd_netvsc {
	struct gd_channel *ch;
	struct gd_vmbus *vb;
	struct gd_gmem *gmem;
	const struct gd_netvsc_ops *ops;
	void *ctx;
	int timeout_ms;		/* bound on each wait for a host answer during bring-up */
	uint32_t nvsp_version;	/* negotiated */
	uint32_t mtu;		/* netdev MTU (1500) */
	/* receive buffer */
	uint64_t recv_pfn;
	uint32_t recv_pages;
	uint32_t recv_size;	/* bytes */
	uint32_t recv_gpadl;
	const uint8_t *recv_va;
	uint32_t recv_sub_size;	/* host's sub-allocation size */
	uint32_t recv_sub_count;
	/* send buffer */
	uint64_t send_pfn;
	uint32_t send_pages;
	uint32_t send_size;
	uint32_t send_gpadl;
	uint8_t *send_va;
	uint32_t section_size;
	uint32_t n_sections;
	uint64_t section_used[GD_MAX_SECTIONS / 64]; /* bitmap */
	uint32_t sections_free;
	int32_t open_sec;	/* section being filled with batched frames (if open_count) */
	uint32_t open_used;	/* its bytes */
	uint32_t open_count;	/* its frames */
	uint32_t last_msg_off;	/* offset of its last RNDIS message */
	/* large frames: slots of guest memory sent as GPA_DIRECT */
	uint64_t slot_pfn;	/* GD_TX_SLOTS * GD_TX_SLOT_PAGES pages, 0 = none */
	uint8_t *slot_va;
	uint32_t slot_used;	/* bitmap */
	uint32_t ol;		/* GD_OL_* enabled with the host */
	uint32_t lso_max;	/* host's LSOv2 max size (IP packet bytes) */
	/* RNDIS control */
	uint64_t ctl_pfn;	/* one page for requests (GPA_DIRECT) */
	uint8_t *ctl_va;
	uint32_t rndis_req_id;	/* last request id used (Linux starts at 1) */
	uint64_t ctl_tid;	/* trans id of the outstanding control packet */
	bool ctl_comp_pending;	/* its COMP not seen yet */
	uint32_t ctl_wait_id;	/* RNDIS request id waited for, 0 = none */
	uint32_t ctl_wait_type;	/* completion type expected */
	bool ctl_done;
	uint8_t ctl_resp[GD_RNDIS_RESP_MAX]; /* private copy of the answer */
	uint32_t ctl_resp_len;
	/* NVSP request waiting for its COMP */
	uint64_t nvsp_wait_tid;
	bool nvsp_done;
	uint8_t nvsp_resp[NVSP_MSG_SIZE];
	uint32_t nvsp_resp_len;
	/* device state from the host */
	uint8_t mac[6];
	uint32_t max_pkt_per_msg;
	uint32_t pkt_align;
	bool link_up;
	uint32_t link_speed;	/* 100 bit/s units */
	uint32_t rss_queues;
	uint32_t packet_filter;
	bool attached;		/* bring-up completed */
	bool broken;		/* ring protocol violation: stop using the channel */
	/* receive completions not yet written (ring full) */
	uint64_t pending_comps[GD_PENDING_COMPS];
	uint32_t pending_comp_status[GD_PENDING_COMPS];
	unsigned int n_pending_comps;
	bool direct_comps;	/* polling a subchannel: completions written at once (no queue) */
	uint64_t rx_frames_sub; /* frames received on subchannels */
	bool out_signal;	/* a batch was written that the host must be told about */
	bool pending_send;	/* pending_send_sz set on the outbound ring */
	struct gd_netvsc_stats stats;
	uint8_t pkt[GD_MAX_PKT_SIZE] __attribute__((aligned(8))); /* private inbound packet */
	/* RSC reassembly (private) */
	uint32_t rsc_len;	/* bytes so far, valid while rsc_open */
	bool rsc_open;
	uint32_t rsc_csum;	/* checksum info of the first fragment */
	uint8_t rsc_buf[GD_RSC_MAX];
};

/*
 * Bring the device up on an open channel (facts 6.2 steps 2-15, Linux 6.1's order and values):
 * NVSP INIT (6.1, then 6.0, 5, 4, 2, 1), NDIS config and version, receive and send buffers,
 * RNDIS INITIALIZE and the queries/sets. Returns 0 with nd->mac etc. set, -ETIMEDOUT, -EIO (the
 * host refused or answered something invalid), -EPROTO (ring violation), -ENOMEM or -errno; on
 * error the buffers are released (GPADLs torn down).
 */
int gd_netvsc_attach(struct gd_netvsc *nd, struct gd_channel *ch, struct gd_gmem *gmem,
	const struct gd_netvsc_ops *ops, void *ctx, int timeout_ms);

/*
 * Release the device: unless 'rescinded', packet filter 0, RNDIS HALT, REVOKE_RECV_BUF and
 * REVOKE_SEND_BUF (Linux's order, facts 6.2 "Later"); the caller then closes the channel and
 * calls gd_netvsc_free_buffers().
 */
void gd_netvsc_detach(struct gd_netvsc *nd, bool rescinded);
/* Tear the buffer GPADLs down (unless 'rescinded') and free buffer and control pages. */
void gd_netvsc_free_buffers(struct gd_netvsc *nd, bool rescinded);

/*
 * Multi-queue (facts 10 steps 17-18): ask for 'want' subchannels (NVSP 5 SUBCHANNEL allocate);
 * '*granted' is what the host will offer (0 when it refuses or NVSP < 5). Returns 0 or -errno.
 */
int gd_netvsc_subchannels_alloc(struct gd_netvsc *nd, uint32_t want, uint32_t *granted);
/* SET RECEIVE_SCALE_PARAMETERS spreading the table over 'n_channels'. Returns 0 or -errno
 * (-EIO: the host refused, which Linux ignores). */
int gd_netvsc_set_rss(struct gd_netvsc *nd, uint32_t n_channels);
/* gd_netvsc_send on subchannel 'sub' (the primary when it is not open), flushed at once. */
int gd_netvsc_send_sub(
	struct gd_netvsc *nd, struct gd_channel *sub, const uint8_t *frame, size_t len);
/* gd_netvsc_send_ppi on subchannel 'sub' (the primary when it is not open), flushed at once. */
int gd_netvsc_send_sub_ppi(struct gd_netvsc *nd, struct gd_channel *sub, const uint8_t *frame,
	size_t len, const uint8_t *ppi, uint32_t ppi_len);
/* Drain subchannel 'sub' (received frames and their completions, written on 'sub'). Reads only
 * while a completion fits its outbound ring. Returns packets handled or -EPROTO. */
int gd_netvsc_poll_sub(struct gd_netvsc *nd, struct gd_channel *sub);

/* RNDIS SET CURRENT_PACKET_FILTER (0x0D on up, 0 on down). Returns 0 or -errno. */
int gd_netvsc_set_filter(struct gd_netvsc *nd, uint32_t filter);

/*
 * Drain the inbound ring (interrupt mask set while draining, unmasked and re-checked after):
 * completions, received frames (to ops->rx), status indications, control answers; completes
 * every XFER_PAGES packet. Returns packets handled (>= 0) or -EPROTO (the channel is unusable).
 */
int gd_netvsc_poll(struct gd_netvsc *nd);

/*
 * Send one Ethernet frame: RNDIS PACKET in a free send section + SEND_RNDIS_PKT. The host is
 * signalled at gd_netvsc_flush() (or immediately with 'flush'). Returns 0, -EAGAIN (no free
 * section or ring room: wait for completions), -EMSGSIZE (does not fit a section) or -EPROTO.
 */
int gd_netvsc_send(struct gd_netvsc *nd, const uint8_t *frame, size_t len);
/*
 * The same with per-packet info ('ppi', 'ppi_len' <= 64 bytes, already laid out). Frames whose
 * RNDIS message fits a section share sections with the frames before them (up to the host's
 * max_pkt_per_msg, each padded to its alignment) and the section is announced at
 * gd_netvsc_flush(); larger frames (LSO, jumbo) are copied into a slot of guest memory and sent
 * as GPA_DIRECT. -EAGAIN: no section/slot or ring room.
 */
int gd_netvsc_send_ppi(struct gd_netvsc *nd, const uint8_t *frame, size_t len, const uint8_t *ppi,
	uint32_t ppi_len);
/* Publish what gd_netvsc_send wrote and signal the host if the ring protocol says so. */
void gd_netvsc_flush(struct gd_netvsc *nd);
/* True if a frame could be sent now (free section). */
bool gd_netvsc_can_send(const struct gd_netvsc *nd);

/* ---------------------------------------------------------------------------------------------
 * NVSP and RNDIS message builders and host-answer validators (nvsp.c, rndis.c). Exposed for the
 * unit tests and the fuzz target; each works on caller memory, no I/O.
 */

/* NVSP requests, 40 bytes each (Linux's size), into 'm'. */
void gd_nvsp_build_init(uint8_t m[NVSP_MSG_SIZE], uint32_t version);
void gd_nvsp_build_ndis_config(uint8_t m[NVSP_MSG_SIZE], uint32_t mtu, uint64_t caps);
void gd_nvsp_build_ndis_version(uint8_t m[NVSP_MSG_SIZE], uint32_t major, uint32_t minor);
void gd_nvsp_build_send_buf(uint8_t m[NVSP_MSG_SIZE], uint32_t type, uint32_t gpadl,
	uint16_t id);
void gd_nvsp_build_revoke_buf(uint8_t m[NVSP_MSG_SIZE], uint32_t type, uint16_t id);
void gd_nvsp_build_rndis_pkt(uint8_t m[NVSP_MSG_SIZE], uint32_t channel_type, uint32_t section,
	uint32_t size);
void gd_nvsp_build_rndis_comp(uint8_t m[NVSP_MSG_SIZE], uint32_t status);
/* SUBCHANNEL {133, op allocate, count} (facts 6.1). */
void gd_nvsp_build_subchannel(uint8_t m[NVSP_MSG_SIZE], uint32_t count);
/* Its completion: 0 with '*granted' (<= 'requested'), -EIO (refused) or -EPROTO. */
int gd_nvsp_check_subchannel_comp(
	const uint8_t *p, size_t len, uint32_t requested, uint32_t *granted);
/* SEND_NDIS_CONFIG capability bits Linux 6.1 sends for NVSP 'version'. */
uint64_t gd_nvsp_ndis_caps(uint32_t version);

/* Validate completions (payload of a COMP packet, 'len' bytes). Return 0 or -EIO / -EPROTO. */
int gd_nvsp_check_init_comp(const uint8_t *p, size_t len);
int gd_nvsp_check_recv_buf_comp(const uint8_t *p, size_t len, uint32_t buf_size,
	uint32_t *sub_size, uint32_t *sub_count);
int gd_nvsp_check_send_buf_comp(const uint8_t *p, size_t len, uint32_t buf_size,
	uint32_t *section_size);

/* RNDIS requests into 'buf' ('size' bytes). Return the message length or -EMSGSIZE. */
int gd_rndis_build_init(uint8_t *buf, size_t size, uint32_t req_id);
int gd_rndis_build_query(uint8_t *buf, size_t size, uint32_t req_id, uint32_t oid,
	const void *in, uint32_t in_len);
int gd_rndis_build_set(uint8_t *buf, size_t size, uint32_t req_id, uint32_t oid,
	const void *data, uint32_t len);
int gd_rndis_build_halt(uint8_t *buf, size_t size, uint32_t req_id);
/* RECEIVE_SCALE_PARAMETERS object as Linux and DPDK send it (facts 7.5): 40-byte header, hash
 * info 0x1701, GD_RSS_TABLE_LEN u32 entries i % n_channels at 40, the default 40-byte Toeplitz
 * key after them; 592 bytes. Returns the length or -EMSGSIZE. */
#define GD_RSS_TABLE_LEN 128u
int gd_rndis_rss_params(uint8_t *buf, size_t size, uint32_t n_channels);
/* RNDIS PACKET header (44 bytes, no PPIs) for a frame of 'frame_len' bytes. */
void gd_rndis_build_packet_hdr(uint8_t hdr[44], uint32_t frame_len);

/* A parsed host RNDIS message (pointers into the caller's copy). */
struct gd_rndis_msg {
	uint32_t type;
	uint32_t len;		 /* msg_len */
	uint32_t req_id;	 /* INIT_C, QUERY_C, SET_C */
	uint32_t status;	 /* INIT_C, QUERY_C, SET_C, INDICATE_STATUS */
	const uint8_t *data;	 /* PACKET frame, QUERY_C info, INDICATE_STATUS buffer */
	uint32_t data_len;
	/* INIT_C */
	uint32_t max_pkt_per_msg;
	uint32_t pkt_align_factor;
};

/*
 * Parse a host RNDIS message of 'len' bytes (private copy; 'len' = bytes available, msg_len
 * must fit in it). Accepts what Linux accepts from a host: PACKET, INIT_C, QUERY_C, SET_C,
 * INDICATE_STATUS, with offsets and lengths inside msg_len. Returns 0, -EPROTO (malformed) or
 * -EOPNOTSUPP (other message types).
 */
int gd_rndis_parse(const uint8_t *msg, size_t len, struct gd_rndis_msg *out);

/* Validate an NDIS_OFFLOAD hardware-capabilities answer as Linux does (type 0xA7, revision >= 1,
 * 112 <= header.size <= len <= 156) and copy it, zero-padded, to 'out'. Returns 0 or -EIO. */
int gd_ndis_offload_check(const uint8_t *p, size_t len, struct ndis_offload *out);
/* The TCP_OFFLOAD_PARAMETERS object we set for 'caps', enabling what the host offers of 'want'
 * (GD_OL_*) the way Linux does; the result in '*enabled' (may be NULL). Returns its size (28 for
 * NVSP >= 5, 22 before). */
size_t gd_ndis_offload_params(const struct ndis_offload *caps, uint32_t nvsp_version,
	uint32_t want, struct ndis_offload_params *out, uint32_t *enabled);

/* ---------------------------------------------------------------------------------------------
 * Offloads (offload.c): virtio_net_hdr (tap, IFF_VNET_HDR) <-> RNDIS per-packet info.
 */
/* What the guest enabled with TCP_OFFLOAD_PARAMETERS (gd_netvsc.ol). */
#define GD_OL_TX_TCP4 0x01u
#define GD_OL_TX_UDP4 0x02u
#define GD_OL_TX_TCP6 0x04u
#define GD_OL_TX_UDP6 0x08u
#define GD_OL_LSO4 0x10u
#define GD_OL_LSO6 0x20u
#define GD_OL_RSC 0x40u
#define GD_OL_RX_CSUM 0x80u

/* The per-packet info for a frame the kernel handed over with 'vh' ('en': GD_OL_*): an LSO PPI
 * for a TCP GSO frame, a checksum PPI for a partial TCP/UDP checksum the host takes; a partial
 * checksum the host does not take is completed in 'f'. '*ppi_len' 0: no PPI. Returns 0,
 * -EOPNOTSUPP (GSO the host does not take: the caller drops it) or -EINVAL (bad headers). */
int gd_ol_tx_ppi(const struct virtio_net_hdr *vh, uint8_t *f, size_t len, uint32_t en,
	uint8_t *ppi, uint32_t *ppi_len);
/* Complete a partial checksum: sum from 'start' to the end, stored at start + offset. */
int gd_ol_csum_sw(uint8_t *f, size_t len, uint32_t start, uint32_t offset);
/* The virtio_net_hdr for a received frame: when the host's checksum PPI said TCP/UDP ok, a
 * partial checksum (NEEDS_CSUM) with the pseudo-header sum written into a private copy of the
 * headers ('hdr', GD_OL_HDR_MAX bytes; '*hdr_len' bytes to send before f + *hdr_len); a frame
 * longer than the MTU (RSC) also becomes a TCP GSO frame with gso_size = the largest segment the
 * MTU allows. Returns 0 or -EINVAL (a long frame that is not valid TCP). */
#define GD_OL_HDR_MAX 256u
int gd_ol_rx_vnet(const uint8_t *f, size_t len, uint32_t csum_info, uint32_t mtu,
	struct virtio_net_hdr *vh, uint8_t *hdr, uint32_t *hdr_len);
/* A TCP GSO frame whose IP packet is longer than 'max_size' (the host's LSO limit): the payload
 * bytes (a multiple of 'mss') that its first part may carry, 0 if it need not be split. */
uint32_t gd_ol_split_payload(const uint8_t *f, size_t len, uint16_t mss, uint32_t max_size);
/* Split it: 'out' gets the second part (headers + the payload after 'payload' bytes, sequence
 * number and IPv4 ID advanced, CWR cleared), 'f' keeps FIN/PSH off. Returns the first part's
 * length (headers + 'payload'), or -EINVAL. */
int gd_ol_split(uint8_t *f, size_t len, uint32_t payload, uint16_t mss, uint8_t *out,
	size_t *out_len);

/*
 * Handle one inbound ring packet of 'len' bytes already copied to private memory (what
 * gd_netvsc_poll does for each packet; exposed for the fuzz target). Returns 0 or -EPROTO.
 */
int gd_netvsc_handle_packet(struct gd_netvsc *nd, const uint8_t *pkt, size_t len);

/* ---------------------------------------------------------------------------------------------
 * tap (tap.c): eth0 in the current network namespace.
 */
struct gd_tap {
	int fd;		/* /dev/net/tun, non-blocking, close-on-exec */
	char name[16];
};

/* Create tap 'name' (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR), set its MAC and MTU, bring it (and lo) up, carrier
 * as 'carrier'. Returns 0 or -errno. */
int gd_tap_open(struct gd_tap *t, const char *name, const uint8_t mac[6], uint32_t mtu,
	bool carrier);
int gd_tap_set_carrier(struct gd_tap *t, bool on);
/* TUNSETOFFLOAD for the offloads 'ol' (GD_OL_*) negotiated with the host: partial checksums
 * always, TSO4/TSO6 with LSO4/LSO6. Reads and writes carry a struct virtio_net_hdr. */
int gd_tap_set_offload(struct gd_tap *t, uint32_t ol);
int gd_tap_set_mac(struct gd_tap *t, const uint8_t mac[6]);
/* The tap's MTU (> 0) or -errno; set it. */
int gd_tap_get_mtu(struct gd_tap *t);
int gd_tap_set_mtu(struct gd_tap *t, uint32_t mtu);
void gd_tap_close(struct gd_tap *t);

/* ---------------------------------------------------------------------------------------------
 * Driver (driver.c): what vsw-guest-init runs.
 */
struct gd_driver_config {
	int mem_fd;		/* guest memory memfd (HV_MSG_FD_MEMORY) */
	int msg_fd;		/* message socket (HV_MSG_FD_SOCKET) */
	int contact_timeout_ms;	/* wait for VERSION_RESPONSE and the offers */
	int reply_timeout_ms;	/* wait for any other host answer */
	const char *ifname;	/* "eth0" */
	/* called once the host has accepted a VMBus version (may be NULL) */
	void (*on_contact)(void *arg);
	void *contact_arg;
	uint32_t offloads;	/* GD_OL_* to negotiate for eth0 (0: none) */
	/* frame sink instead of a tap (tests, pktgen): when rx is set no tap is created */
	const struct gd_netvsc_ops *sink;
	void *sink_ctx;
	/* channels to use (primary included): > 1 asks for queues - 1 subchannels and spreads
	 * receive traffic over them with RSS; 0 or 1: the primary only */
	uint32_t queues;
};

struct gd_driver;

/* Connect, find the netvsc offer, attach, create the tap. Returns the driver, or NULL with errno
 * ENODEV (no netvsc offer / no host answering), EPIPE (host gone) or another errno. */
struct gd_driver *gd_driver_start(const struct gd_driver_config *cfg);
/* One turn of the event loop, waiting at most 'timeout_ms'. Returns 1 when 'stop_fd' (may be
 * -1) is readable, 0 otherwise, or -errno (-EPIPE: host gone). */
int gd_driver_poll(struct gd_driver *d, int stop_fd, int timeout_ms);
/* Run the event loop (tap <-> channel, host messages, rescind/re-offer) until 'stop_fd' becomes
 * readable or the host goes away. Returns 0 (stopped) or -errno (-EPIPE: host gone). */
int gd_driver_run(struct gd_driver *d, int stop_fd);
/* Packet filter 0, detach, close, UNLOAD; free everything. NULL is a no-op. */
void gd_driver_stop(struct gd_driver *d);
/* The device's netvsc state (NULL while re-attaching). */
struct gd_netvsc *gd_driver_netvsc(struct gd_driver *d);
/* Subchannels open now. */
unsigned int gd_driver_subchannels(const struct gd_driver *d);

#endif
