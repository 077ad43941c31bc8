/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * VMBus wire formats, byte-compatible with Hyper-V: channel-management messages, the ring buffer
 * control page and ring packet descriptors. All fields are little-endian.
 *
 * Source of every layout: shared/reference/hyperv-facts.md sections 4 (channel messages) and 5
 * (ring buffer). Offsets in comments are from the start of the structure. "G->H" is a message the
 * guest sends to the host, "H->G" the reverse.
 */
#ifndef VSW_PROTO_VMBUS_H
#define VSW_PROTO_VMBUS_H

#include <stddef.h>
#include <stdint.h>

#define VMBUS_PAGE_SIZE 4096u
#define VMBUS_PAGE_SHIFT 12

/* Protocol versions, (major << 16) | minor (facts 4.1). */
#define VMBUS_VERSION_WIN8_1 0x00030000u /* 3.0 */
#define VMBUS_VERSION_WIN10 0x00040000u	 /* 4.0 */
#define VMBUS_VERSION_WIN10_RS3 0x00040001u
#define VMBUS_VERSION_WIN10_V5 0x00050000u
#define VMBUS_VERSION_WIN10_V5_1 0x00050001u
#define VMBUS_VERSION_WIN10_V5_2 0x00050002u
#define VMBUS_VERSION_WIN10_V5_3 0x00050003u

/* Connection ids for HvPostMessage (facts 4.1). */
#define VMBUS_MESSAGE_CONNECTION_ID 1u	 /* < 5.0, and the id we return in VERSION_RESPONSE */
#define VMBUS_MESSAGE_CONNECTION_ID_4 4u /* INITIATE_CONTACT for >= 5.0 */
#define VMBUS_MESSAGE_SINT 2u
#define VMBUS_MESSAGE_TYPE 1u /* SynIC message type of every VMBus message, both directions */

#define VMBUS_MAX_RELID 2047u /* relids are 1..2047: Linux scans 2048 event bits, bit 0 reserved */
#define VMBUS_MONITOR_ID_NONE 0xffu
#define VMBUS_MSG_PAYLOAD_MAX 240u /* HvPostMessage / SynIC payload */

enum vmbus_chanmsg_type {
	VMBUS_CHANMSG_INVALID = 0,
	VMBUS_CHANMSG_OFFERCHANNEL = 1,		  /* H->G */
	VMBUS_CHANMSG_RESCIND_CHANNELOFFER = 2,	  /* H->G */
	VMBUS_CHANMSG_REQUESTOFFERS = 3,	  /* G->H */
	VMBUS_CHANMSG_ALLOFFERS_DELIVERED = 4,	  /* H->G */
	VMBUS_CHANMSG_OPENCHANNEL = 5,		  /* G->H */
	VMBUS_CHANMSG_OPENCHANNEL_RESULT = 6,	  /* H->G */
	VMBUS_CHANMSG_CLOSECHANNEL = 7,		  /* G->H */
	VMBUS_CHANMSG_GPADL_HEADER = 8,		  /* G->H */
	VMBUS_CHANMSG_GPADL_BODY = 9,		  /* G->H */
	VMBUS_CHANMSG_GPADL_CREATED = 10,	  /* H->G */
	VMBUS_CHANMSG_GPADL_TEARDOWN = 11,	  /* G->H */
	VMBUS_CHANMSG_GPADL_TORNDOWN = 12,	  /* H->G */
	VMBUS_CHANMSG_RELID_RELEASED = 13,	  /* G->H */
	VMBUS_CHANMSG_INITIATE_CONTACT = 14,	  /* G->H */
	VMBUS_CHANMSG_VERSION_RESPONSE = 15,	  /* H->G */
	VMBUS_CHANMSG_UNLOAD = 16,		  /* G->H */
	VMBUS_CHANMSG_UNLOAD_RESPONSE = 17,	  /* H->G */
	VMBUS_CHANMSG_TL_CONNECT_REQUEST = 21,	  /* G->H, hv_sock only */
	VMBUS_CHANMSG_MODIFYCHANNEL = 22,	  /* G->H */
	VMBUS_CHANMSG_TL_CONNECT_RESULT = 23,	  /* H->G */
	VMBUS_CHANMSG_MODIFYCHANNEL_RESPONSE = 24, /* H->G */
	VMBUS_CHANMSG_COUNT = 25,
};

/* Every channel message starts with this 8-byte header. */
struct vmbus_chanmsg_hdr {
	uint32_t msgtype; /* enum vmbus_chanmsg_type */
	uint32_t padding; /* 0 */
};
_Static_assert(sizeof(struct vmbus_chanmsg_hdr) == 8, "facts 4.2");

struct vmbus_guid {
	uint8_t b[16]; /* on-wire byte order (first three fields little-endian) */
};

/* netvsc interface type f8615163-df3e-46c5-913f-f2d2f965ed0e, as it appears on the wire. */
#define VMBUS_GUID_NETVSC                                                                          \
	{                                                                                          \
		{                                                                                  \
			0x63, 0x51, 0x61, 0xf8, 0x3e, 0xdf, 0xc5, 0x46, 0x91, 0x3f, 0xf2, 0xd2,    \
				0xf9, 0x65, 0xed, 0x0e                                             \
		}                                                                                  \
	}

/* OFFERCHANNEL (1), H->G, 196 bytes. */
struct vmbus_chanmsg_offer {
	struct vmbus_chanmsg_hdr hdr;
	struct vmbus_guid if_type;     /* @8 interface class (netvsc GUID) */
	struct vmbus_guid if_instance; /* @24 unique per device; subchannels repeat both GUIDs */
	uint64_t reserved1;	       /* @40 0 */
	uint64_t reserved2;	       /* @48 0 */
	uint16_t chan_flags;	       /* @56 0 for netvsc */
	uint16_t mmio_megabytes;       /* @58 0 */
	uint8_t user_def[120];	       /* @60 0 for netvsc */
	uint16_t sub_channel_index;    /* @180 0 = primary, 1..N subchannels */
	uint16_t reserved3;	       /* @182 0 */
	uint32_t child_relid;	       /* @184 1..VMBUS_MAX_RELID */
	uint8_t monitor_id;	       /* @188 VMBUS_MONITOR_ID_NONE */
	uint8_t monitor_allocated;     /* @189 bit 0; we always send 0 */
	uint16_t is_dedicated_interrupt; /* @190 bit 0; we always send 1 */
	uint32_t connection_id;	       /* @192 id the guest signals this channel with */
} __attribute__((packed));
_Static_assert(sizeof(struct vmbus_chanmsg_offer) == 196, "facts 4.3 OFFERCHANNEL");
_Static_assert(offsetof(struct vmbus_chanmsg_offer, sub_channel_index) == 180, "facts 4.3");
_Static_assert(offsetof(struct vmbus_chanmsg_offer, connection_id) == 192, "facts 4.3");

/* RESCIND_CHANNELOFFER (2) H->G, CLOSECHANNEL (7) G->H, RELID_RELEASED (13) G->H: 12 bytes. */
struct vmbus_chanmsg_relid {
	struct vmbus_chanmsg_hdr hdr;
	uint32_t child_relid; /* @8 */
};
_Static_assert(sizeof(struct vmbus_chanmsg_relid) == 12, "facts 4.2");

/* OPENCHANNEL (5), G->H, 148 bytes. */
struct vmbus_chanmsg_open {
	struct vmbus_chanmsg_hdr hdr;
	uint32_t child_relid;		     /* @8 */
	uint32_t open_id;		     /* @12 echoed in the result (Linux: = relid) */
	uint32_t ring_gpadl;		     /* @16 GPADL holding both rings */
	uint32_t target_vp;		     /* @20 VP that receives this channel's events */
	uint32_t downstream_ring_page_offset; /* @24 first page of the H->G ring in the GPADL */
	uint8_t user_data[120];		     /* @28 */
};
_Static_assert(sizeof(struct vmbus_chanmsg_open) == 148, "facts 4.3 OPENCHANNEL");

/* OPENCHANNEL_RESULT (6), H->G, 20 bytes. */
struct vmbus_chanmsg_open_result {
	struct vmbus_chanmsg_hdr hdr;
	uint32_t child_relid; /* @8 */
	uint32_t open_id;     /* @12 */
	uint32_t status;      /* @16 0 = success */
};
_Static_assert(sizeof(struct vmbus_chanmsg_open_result) == 20, "facts 4.3");

/*
 * A GPADL range: byte_count bytes starting byte_offset into the first page, then the page frame
 * numbers; a range of n bytes at offset o covers ceil((o + n) / 4096) PFNs.
 */
struct vmbus_gpa_range {
	uint32_t byte_count;  /* @0 */
	uint32_t byte_offset; /* @4 < 4096 */
	uint64_t pfn[];	      /* @8 */
};
_Static_assert(sizeof(struct vmbus_gpa_range) == 8, "facts 4.3 / 5.2");

/* GPADL_HEADER (8), G->H: 20 bytes + ranges (PFNs continue in GPADL_BODY messages). */
struct vmbus_chanmsg_gpadl_header {
	struct vmbus_chanmsg_hdr hdr;
	uint32_t child_relid;  /* @8 */
	uint32_t gpadl;	       /* @12 handle chosen by the guest */
	uint16_t range_buflen; /* @16 bytes of all ranges incl. every PFN of every message */
	uint16_t rangecount;   /* @18 Linux: 1 */
	/* @20 struct vmbus_gpa_range (unaligned u64 PFNs follow) */
} __attribute__((packed));
_Static_assert(sizeof(struct vmbus_chanmsg_gpadl_header) == 20, "facts 4.3 GPADL_HEADER");

/* GPADL_BODY (9), G->H: 16 bytes + PFNs. */
struct vmbus_chanmsg_gpadl_body {
	struct vmbus_chanmsg_hdr hdr;
	uint32_t msgnumber; /* @8 Linux leaves 0: do not rely on it */
	uint32_t gpadl;	    /* @12 */
	/* @16 uint64_t pfn[] */
};
_Static_assert(sizeof(struct vmbus_chanmsg_gpadl_body) == 16, "facts 4.3 GPADL_BODY");

#define VMBUS_GPADL_HEADER_MAX_PFNS 26u /* (240 - 20 - 8) / 8 */
#define VMBUS_GPADL_BODY_MAX_PFNS 28u	/* (240 - 16) / 8 */

/* GPADL_CREATED (10), H->G, 20 bytes. */
struct vmbus_chanmsg_gpadl_created {
	struct vmbus_chanmsg_hdr hdr;
	uint32_t child_relid;	  /* @8 */
	uint32_t gpadl;		  /* @12 */
	uint32_t creation_status; /* @16 0 = success */
};
_Static_assert(sizeof(struct vmbus_chanmsg_gpadl_created) == 20, "facts 4.3");

/* GPADL_TEARDOWN (11), G->H, 16 bytes. */
struct vmbus_chanmsg_gpadl_teardown {
	struct vmbus_chanmsg_hdr hdr;
	uint32_t child_relid; /* @8 */
	uint32_t gpadl;	      /* @12 */
};
_Static_assert(sizeof(struct vmbus_chanmsg_gpadl_teardown) == 16, "facts 4.3");

/* GPADL_TORNDOWN (12), H->G, 12 bytes (Linux matches on the handle only). */
struct vmbus_chanmsg_gpadl_torndown {
	struct vmbus_chanmsg_hdr hdr;
	uint32_t gpadl; /* @8 */
};
_Static_assert(sizeof(struct vmbus_chanmsg_gpadl_torndown) == 12, "facts 4.3");

/* INITIATE_CONTACT (14), G->H, 40 bytes. */
struct vmbus_chanmsg_initiate_contact {
	struct vmbus_chanmsg_hdr hdr;
	uint32_t vmbus_version_requested; /* @8 */
	uint32_t target_vcpu;		  /* @12 VP for host messages */
	union {
		uint64_t interrupt_page; /* @16 < 5.0: GPA of the interrupt page */
		struct {
			uint8_t msg_sint;	/* @16 >= 5.0: 2 */
			uint8_t msg_vtl;	/* @17 0 */
			uint8_t reserved[2];	/* @18 */
			uint32_t feature_flags; /* @20 >= 6.0 only */
		};
	};
	uint64_t monitor_page1; /* @24 parent->child monitor page GPA */
	uint64_t monitor_page2; /* @32 child->parent monitor page GPA */
};
_Static_assert(sizeof(struct vmbus_chanmsg_initiate_contact) == 40, "facts 4.3");

/* VERSION_RESPONSE (15), H->G, 16 bytes. */
struct vmbus_chanmsg_version_response {
	struct vmbus_chanmsg_hdr hdr;
	uint8_t version_supported; /* @8 non-zero = accepted */
	uint8_t connection_state;  /* @9 0 = success */
	uint16_t padding;	   /* @10 */
	uint32_t msg_conn_id;	   /* @12 connection id for later messages (>= 5.0) */
};
_Static_assert(sizeof(struct vmbus_chanmsg_version_response) == 16, "facts 4.3");

/* MODIFYCHANNEL (22), G->H, 16 bytes. */
struct vmbus_chanmsg_modifychannel {
	struct vmbus_chanmsg_hdr hdr;
	uint32_t child_relid; /* @8 */
	uint32_t target_vp;   /* @12 */
};
_Static_assert(sizeof(struct vmbus_chanmsg_modifychannel) == 16, "facts 4.3");

/* MODIFYCHANNEL_RESPONSE (24), H->G, 16 bytes. */
struct vmbus_chanmsg_modifychannel_response {
	struct vmbus_chanmsg_hdr hdr;
	uint32_t child_relid; /* @8 */
	uint32_t status;      /* @12 0 = success */
};
_Static_assert(sizeof(struct vmbus_chanmsg_modifychannel_response) == 16, "facts 4.3");

/*
 * Ring buffer control page: the first 4 KiB of each ring; the data area follows (facts 5.1).
 * The host reads the G->H ring (pages [0, downstream offset) of the ring GPADL) and so owns its
 * read_index and interrupt_mask; it writes the H->G ring and owns its write_index and
 * pending_send_sz.
 */
struct vmbus_ring_ctl {
	volatile uint32_t write_index;	   /* @0 written by the ring's writer */
	volatile uint32_t read_index;	   /* @4 written by the ring's reader */
	volatile uint32_t interrupt_mask;  /* @8 reader: non-zero = do not signal me */
	volatile uint32_t pending_send_sz; /* @12 writer: bytes it waits for, 0 = not blocked */
	uint32_t reserved1[12];		   /* @16 */
	uint32_t feature_bits;		   /* @64 bit 0: pending_send_sz signalling supported */
	uint8_t reserved2[4096 - 68];	   /* @68 */
};
_Static_assert(sizeof(struct vmbus_ring_ctl) == 4096, "facts 5.1");
_Static_assert(offsetof(struct vmbus_ring_ctl, feature_bits) == 64, "facts 5.1");

#define VMBUS_RING_FEAT_PENDING_SEND_SZ 0x1u

/* Ring packet types (facts 5.2). */
enum vmbus_pkt_type {
	VMBUS_PKT_INVALID = 0,
	VMBUS_PKT_INBAND = 6,
	VMBUS_PKT_XFER_PAGES = 7,
	VMBUS_PKT_GPA_DIRECT = 9,
	VMBUS_PKT_COMP = 11,
};

#define VMBUS_PKT_FLAG_COMPLETION_REQUESTED 0x1u

/* Every ring packet starts with this descriptor; it is followed by a type-specific header. */
struct vmbus_pkt_desc {
	uint16_t type;	   /* @0 enum vmbus_pkt_type */
	uint16_t offset8;  /* @2 payload offset / 8 (descriptor + extra header) */
	uint16_t len8;	   /* @4 total length / 8, excluding the 8-byte trailer */
	uint16_t flags;	   /* @6 VMBUS_PKT_FLAG_* */
	uint64_t trans_id; /* @8 echoed by the COMP packet */
};
_Static_assert(sizeof(struct vmbus_pkt_desc) == 16, "facts 5.2");

/* Every packet is padded to 8 bytes and followed by this trailer (ignored by readers). */
#define VMBUS_PKT_TRAILER_SIZE 8u

struct vmbus_xfer_range {
	uint32_t byte_count;  /* @0 */
	uint32_t byte_offset; /* @4 from the start of the transfer page set (receive buffer) */
};
_Static_assert(sizeof(struct vmbus_xfer_range) == 8, "facts 5.2");

/* XFER_PAGES (7) header, H->G receive. */
struct vmbus_pkt_xfer_pages {
	struct vmbus_pkt_desc desc;
	uint16_t xfer_pageset_id; /* @16 0xCAFE for netvsc's receive buffer */
	uint8_t sender_owns_set;  /* @18 */
	uint8_t reserved;	  /* @19 */
	uint32_t range_count;	  /* @20 */
	struct vmbus_xfer_range ranges[]; /* @24 */
};
_Static_assert(sizeof(struct vmbus_pkt_xfer_pages) == 24, "facts 5.2");

/* GPA_DIRECT (9) header, G->H; each range is a struct vmbus_gpa_range with its PFNs. */
struct vmbus_pkt_gpa_direct {
	struct vmbus_pkt_desc desc;
	uint32_t reserved;    /* @16 */
	uint32_t range_count; /* @20 */
	/* @24 struct vmbus_gpa_range ranges, each followed by its PFNs */
};
_Static_assert(sizeof(struct vmbus_pkt_gpa_direct) == 24, "facts 5.2");

/* Largest H->G packet a Linux netvsc guest accepts without truncation (facts 5.2). */
#define VMBUS_NETVSC_MAX_PKT_SIZE 4624u

#endif
