/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vmbus-user: the hypervisor (vmmd) <-> vswitchd protocol for netvsc ports (DESIGN.md decision 3),
 * in the manner of vhost-user and memif.
 *
 * vmmd listens on one unix SOCK_SEQPACKET socket per partition NIC; vswitchd connects as the
 * client (its port devargs name the socket) and reconnects when either side restarts. Each
 * datagram is one message: struct vmbus_user_hdr followed by 'size' bytes of body. Requests carry
 * a sequence number echoed by the reply; replies have VMBUS_USER_F_REPLY set and a status
 * (0 or a positive errno) as the first u32 of their body. File descriptors travel as SCM_RIGHTS
 * on the messages that say so. Little-endian; all structures are naturally aligned.
 *
 * Sequence:
 *   S->H HELLO {version}                      H->S reply {status, version, memory size, MAC, mtu}
 *                                                  + fd: guest memory memfd (read-write mapping)
 *   H->S GPADL_ADD {relid, gpadl, pfns}       S->H reply {status}   (before GPADL_CREATED to guest)
 *   H->S CHAN_OPEN {relid, ring gpadl, ...}   S->H reply {status}   (before OPENCHANNEL_RESULT)
 *                    + fds: [0] signal eventfd (guest writes, vswitchd may read),
 *                           [1] interrupt: write end of a pipe whose read end the guest holds
 *                               (never an eventfd: vswitchd's file must not be the guest's)
 *   H->S CHAN_CLOSE {relid}                   S->H reply {status}   (after: no ring access)
 *   H->S GPADL_DEL {relid, gpadl}             S->H reply {status}   (before GPADL_TORNDOWN)
 *   H->S RESET {}                             S->H reply {status}   (guest UNLOAD or stop:
 *                                                                    forget every channel/GPADL)
 *   S->H SUBCHAN_REQ {count}                  H->S reply {status, count offered}
 *                                                  (then GPADL_ADD/CHAN_OPEN per subchannel the
 *                                                   guest opens, sub_channel_index 1..count)
 *   S->H LINK {up}                            H->S reply {status}   (port link state, informative)
 *
 * After the reply to a request that removes access (CHAN_CLOSE, GPADL_DEL, RESET), vswitchd must
 * have unmapped the pages: only then does the hypervisor tell the guest they are free. When
 * vswitchd disconnects, the hypervisor rescinds the NIC's open channel (the guest closes it and
 * re-attaches to the re-offer); a vswitchd that connects and says HELLO is then sent GPADL_ADD for
 * every GPADL of the NIC and CHAN_OPEN for an open the guest is waiting on, so a restarted
 * vswitchd never resumes ring state it does not know. vmmd sends one request at a time and drops
 * the connection when a reply does not come within 5 s (docs/hypervisor.md).
 *
 * Subchannels (multi-queue, hyperv-facts.md 6.1 type 133): when the guest asks the netvsc
 * protocol for subchannels, vswitchd grants at most the HELLO reply's max_subchannels and sends
 * SUBCHAN_REQ {count granted}. The hypervisor offers that many subchannels to the guest (the
 * primary's interface and instance GUIDs, sub_channel_index 1..count, each its own relid); each
 * then comes like the primary: GPADL_ADD for its ring, CHAN_OPEN with its sub_channel_index,
 * CHAN_CLOSE, GPADL_DEL. A count lower than the subchannels already offered is ignored (offers are
 * only withdrawn with the primary: it is rescinded, closed or reset, and they go with it). After a
 * reconnect they are replayed like the primary's GPADLs and opens.
 */
#ifndef VSW_PROTO_VMBUS_USER_H
#define VSW_PROTO_VMBUS_USER_H

#include <stdint.h>

#define VMBUS_USER_VERSION 1u
#define VMBUS_USER_MAX_MSG (64u << 10)	/* largest datagram either side sends */
#define VMBUS_USER_MAX_PFNS_PER_MSG 4096u /* GPADL_ADD carries longer lists in several parts */
#define VMBUS_USER_MAX_GPADL_PAGES 65536u /* 256 MiB: a larger GPADL is refused */

enum vmbus_user_msg_type {
	VMBUS_USER_HELLO = 1,	   /* S->H */
	VMBUS_USER_GPADL_ADD = 2,  /* H->S */
	VMBUS_USER_GPADL_DEL = 3,  /* H->S */
	VMBUS_USER_CHAN_OPEN = 4,  /* H->S, 2 fds */
	VMBUS_USER_CHAN_CLOSE = 5, /* H->S */
	VMBUS_USER_RESET = 6,	   /* H->S */
	VMBUS_USER_SUBCHAN_REQ = 7, /* S->H */
	VMBUS_USER_LINK = 8,	   /* S->H */
};

#define VMBUS_USER_F_REPLY 0x1u

struct vmbus_user_hdr {
	uint32_t type;	/* enum vmbus_user_msg_type */
	uint32_t flags; /* VMBUS_USER_F_* */
	uint32_t seq;	/* chosen by the requester, echoed in the reply */
	uint32_t size;	/* body bytes that follow */
};
_Static_assert(sizeof(struct vmbus_user_hdr) == 16, "vmbus-user header");

struct vmbus_user_hello {
	uint32_t version; /* VMBUS_USER_VERSION */
	uint32_t reserved;
};

/* Reply to HELLO; the memfd of the guest's memory is attached. */
struct vmbus_user_hello_reply {
	uint32_t status;
	uint32_t version;
	uint64_t memory_size; /* bytes; every PFN must be < memory_size / 4096 */
	uint8_t mac[6];	      /* the NIC's MAC address, answered to OID_802_3_PERMANENT_ADDRESS */
	uint16_t reserved;
	uint32_t mtu; /* configured MTU (68..9198), informative */
	uint32_t max_subchannels; /* subchannels the hypervisor offers at most (NIC queues - 1) */
};
_Static_assert(sizeof(struct vmbus_user_hello_reply) == 32, "vmbus-user hello reply");

/*
 * GPADL_ADD: one range, byte_offset/byte_count as the guest gave them; 'n_pfns' PFNs follow in
 * this part, the PFN list being 'first_pfn' onwards of 'total_pfns'. The last part has
 * first_pfn + n_pfns == total_pfns; only the last part is replied to.
 */
struct vmbus_user_gpadl_add {
	uint32_t relid;
	uint32_t gpadl;
	uint32_t byte_offset;
	uint32_t byte_count;
	uint32_t total_pfns;
	uint32_t first_pfn;
	uint32_t n_pfns;
	uint32_t reserved;
	uint64_t pfn[];
};
_Static_assert(sizeof(struct vmbus_user_gpadl_add) == 32, "vmbus-user gpadl add");

struct vmbus_user_gpadl_del {
	uint32_t relid;
	uint32_t gpadl;
};

struct vmbus_user_chan_open {
	uint32_t relid;
	uint16_t sub_channel_index; /* 0 primary */
	uint16_t reserved;
	uint32_t ring_gpadl;		     /* already added by GPADL_ADD */
	uint32_t downstream_ring_page_offset; /* validated by the hypervisor, re-checked by vswitchd */
	uint32_t target_vp;
	uint32_t vmbus_version; /* negotiated VMBus version */
};
_Static_assert(sizeof(struct vmbus_user_chan_open) == 24, "vmbus-user chan open");

struct vmbus_user_chan_close {
	uint32_t relid;
	uint32_t reserved;
};

struct vmbus_user_subchan_req {
	uint32_t count; /* subchannels wanted (excluding the primary) */
	uint32_t reserved;
};

struct vmbus_user_link {
	uint32_t up; /* 1 link up, 0 down */
	uint32_t reserved;
};

/* Generic reply body; some replies append fields after it. */
struct vmbus_user_reply {
	uint32_t status; /* 0 or a positive errno */
	uint32_t value;	 /* SUBCHAN_REQ: count offered; otherwise 0 */
};

#endif
