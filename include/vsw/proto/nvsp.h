/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NVSP, the netvsc protocol carried in VMBus ring packets between the guest netvsc driver (VSC)
 * and the host (VSP). Byte-compatible with Hyper-V; little-endian. Every message starts with a
 * u32 type; Linux sends every message padded to NVSP_MSG_SIZE bytes and completions must carry
 * NVSP_MSG_SIZE bytes of payload (shared/reference/hyperv-facts.md section 6).
 */
#ifndef VSW_PROTO_NVSP_H
#define VSW_PROTO_NVSP_H

#include <stdint.h>

#define NVSP_MSG_SIZE 40u    /* Linux's sizeof(struct nvsp_message); send completions this long */
#define NVSP_MSG_SIZE_V1 28u /* OpenVMM's size before 6.1 */

/* Protocol versions (facts 6.1). */
#define NVSP_VERSION_1 0x00002u
#define NVSP_VERSION_2 0x30002u
#define NVSP_VERSION_4 0x40000u
#define NVSP_VERSION_5 0x50000u
#define NVSP_VERSION_6 0x60000u
#define NVSP_VERSION_61 0x60001u

/* Status values: success is 1, not 0. */
enum nvsp_status {
	NVSP_STAT_NONE = 0,
	NVSP_STAT_SUCCESS = 1,
	NVSP_STAT_FAIL = 2,
	NVSP_STAT_PROTOCOL_TOO_NEW = 3,
	NVSP_STAT_PROTOCOL_TOO_OLD = 4,
	NVSP_STAT_INVALID_RNDIS_PKT = 5,
	NVSP_STAT_BUSY = 6,
	NVSP_STAT_PROTOCOL_UNSUPPORTED = 7,
};

enum nvsp_msg_type {
	NVSP_MSG_TYPE_INIT = 1,			    /* G->H, completion requested */
	NVSP_MSG_TYPE_INIT_COMPLETE = 2,	    /* H->G in COMP */
	NVSP_MSG1_TYPE_SEND_NDIS_VER = 100,	    /* G->H, no completion */
	NVSP_MSG1_TYPE_SEND_RECV_BUF = 101,	    /* G->H, completion requested */
	NVSP_MSG1_TYPE_SEND_RECV_BUF_COMPLETE = 102, /* H->G in COMP */
	NVSP_MSG1_TYPE_REVOKE_RECV_BUF = 103,	    /* G->H, no completion */
	NVSP_MSG1_TYPE_SEND_SEND_BUF = 104,	    /* G->H, completion requested */
	NVSP_MSG1_TYPE_SEND_SEND_BUF_COMPLETE = 105, /* H->G in COMP */
	NVSP_MSG1_TYPE_REVOKE_SEND_BUF = 106,	    /* G->H, no completion */
	NVSP_MSG1_TYPE_SEND_RNDIS_PKT = 107,	    /* both directions */
	NVSP_MSG1_TYPE_SEND_RNDIS_PKT_COMPLETE = 108, /* both directions, in COMP */
	NVSP_MSG2_TYPE_SEND_NDIS_CONFIG = 125,	    /* G->H, no completion */
	NVSP_MSG4_TYPE_SEND_VF_ASSOCIATION = 128,   /* H->G inband */
	NVSP_MSG4_TYPE_SWITCH_DATA_PATH = 129,	    /* G->H */
	NVSP_MSG5_TYPE_SUBCHANNEL = 133,	    /* G->H request, H->G in COMP */
	NVSP_MSG5_TYPE_SEND_INDIRECTION_TABLE = 134, /* H->G inband */
};

struct nvsp_msg_hdr {
	uint32_t msg_type; /* enum nvsp_msg_type */
};

/* INIT (1). */
struct nvsp_msg_init {
	uint32_t msg_type;    /* @0 NVSP_MSG_TYPE_INIT */
	uint32_t min_version; /* @4 Linux sends min == max */
	uint32_t max_version; /* @8 */
};
_Static_assert(sizeof(struct nvsp_msg_init) == 12, "facts 6.1");

/* INIT_COMPLETE (2), in a COMP packet. */
struct nvsp_msg_init_complete {
	uint32_t msg_type;	     /* @0 NVSP_MSG_TYPE_INIT_COMPLETE */
	uint32_t negotiated_version; /* @4 deprecated, 0 */
	uint32_t max_mdl_chain_len;  /* @8 */
	uint32_t status;	     /* @12 enum nvsp_status */
};
_Static_assert(sizeof(struct nvsp_msg_init_complete) == 16, "facts 6.1");

/* SEND_NDIS_VERSION (100). */
struct nvsp_msg_ndis_version {
	uint32_t msg_type;	    /* @0 */
	uint32_t ndis_major_ver; /* @4 */
	uint32_t ndis_minor_ver; /* @8 */
};
_Static_assert(sizeof(struct nvsp_msg_ndis_version) == 12, "facts 6.1");

/* SEND_RECV_BUF (101) and SEND_SEND_BUF (104). */
struct nvsp_msg_send_buf {
	uint32_t msg_type; /* @0 */
	uint32_t gpadl;	   /* @4 GPADL handle of the buffer */
	uint16_t id;	   /* @8 receive: 0xCAFE (the transfer page set id); send: 0 */
} __attribute__((packed));
_Static_assert(sizeof(struct nvsp_msg_send_buf) == 10, "facts 6.1");

struct nvsp_recv_buf_section {
	uint32_t offset;	 /* @0 */
	uint32_t sub_alloc_size; /* @4 */
	uint32_t num_sub_allocs; /* @8 */
	uint32_t end_offset;	 /* @12 */
};
_Static_assert(sizeof(struct nvsp_recv_buf_section) == 16, "facts 6.1");

/* SEND_RECV_BUF_COMPLETE (102), in a COMP packet. */
struct nvsp_msg_recv_buf_complete {
	uint32_t msg_type;     /* @0 */
	uint32_t status;       /* @4 */
	uint32_t num_sections; /* @8 1 */
	struct nvsp_recv_buf_section section; /* @12 */
};
_Static_assert(sizeof(struct nvsp_msg_recv_buf_complete) == 28, "facts 6.1");

/* SEND_SEND_BUF_COMPLETE (105), in a COMP packet. */
struct nvsp_msg_send_buf_complete {
	uint32_t msg_type;     /* @0 */
	uint32_t status;       /* @4 */
	uint32_t section_size; /* @8 */
};
_Static_assert(sizeof(struct nvsp_msg_send_buf_complete) == 12, "facts 6.1");

/* REVOKE_RECV_BUF (103) and REVOKE_SEND_BUF (106). */
struct nvsp_msg_revoke_buf {
	uint32_t msg_type; /* @0 */
	uint16_t id;	   /* @4 */
} __attribute__((packed));
_Static_assert(sizeof(struct nvsp_msg_revoke_buf) == 6, "facts 6.1");

#define NVSP_RNDIS_CHANNEL_DATA 0u
#define NVSP_RNDIS_CHANNEL_CONTROL 1u
#define NVSP_SECTION_INDEX_NONE 0xffffffffu
#define NVSP_RECV_BUF_ID 0xcafeu

/* SEND_RNDIS_PKT (107). */
struct nvsp_msg_rndis_pkt {
	uint32_t msg_type;	   /* @0 */
	uint32_t channel_type;	   /* @4 NVSP_RNDIS_CHANNEL_* */
	uint32_t section_index;	   /* @8 send-buffer section or NVSP_SECTION_INDEX_NONE */
	uint32_t section_size;	   /* @12 bytes used in that section */
};
_Static_assert(sizeof(struct nvsp_msg_rndis_pkt) == 16, "facts 6.1");

/* SEND_RNDIS_PKT_COMPLETE (108). */
struct nvsp_msg_rndis_pkt_complete {
	uint32_t msg_type; /* @0 */
	uint32_t status;   /* @4 */
};
_Static_assert(sizeof(struct nvsp_msg_rndis_pkt_complete) == 8, "facts 6.1");

/* NDIS config capability bits (facts 6.1). */
#define NVSP_NDIS_CAP_VMQ 0x01u
#define NVSP_NDIS_CAP_CHIMNEY 0x02u
#define NVSP_NDIS_CAP_SRIOV 0x04u
#define NVSP_NDIS_CAP_IEEE8021Q 0x08u
#define NVSP_NDIS_CAP_CORRELATION_ID 0x10u
#define NVSP_NDIS_CAP_TEAMING 0x20u
#define NVSP_NDIS_CAP_VSUBNET_ID 0x40u
#define NVSP_NDIS_CAP_RSC 0x80u

/* SEND_NDIS_CONFIG (125). */
struct nvsp_msg_ndis_config {
	uint32_t msg_type;   /* @0 */
	uint32_t mtu;	     /* @4 MTU + 14 */
	uint32_t reserved;   /* @8 */
	uint64_t capability; /* @12 NVSP_NDIS_CAP_* */
} __attribute__((packed));
_Static_assert(sizeof(struct nvsp_msg_ndis_config) == 20, "facts 6.1");

/* SWITCH_DATA_PATH (129). */
struct nvsp_msg_switch_data_path {
	uint32_t msg_type;	  /* @0 */
	uint32_t active_datapath; /* @4 0 synthetic, 1 VF */
};
_Static_assert(sizeof(struct nvsp_msg_switch_data_path) == 8, "facts 6.1");

/* SEND_VF_ASSOCIATION (128). */
struct nvsp_msg_vf_association {
	uint32_t msg_type;  /* @0 */
	uint32_t allocated; /* @4 */
	uint32_t serial;    /* @8 */
};
_Static_assert(sizeof(struct nvsp_msg_vf_association) == 12, "facts 6.1");

#define NVSP_SUBCHANNEL_ALLOCATE 1u

/* SUBCHANNEL (133): request (op, count) and completion (status, count allocated). */
struct nvsp_msg_subchannel {
	uint32_t msg_type; /* @0 */
	uint32_t op_or_status; /* @4 request: NVSP_SUBCHANNEL_ALLOCATE; completion: enum nvsp_status */
	uint32_t num_subchannels; /* @8 requested / allocated */
};
_Static_assert(sizeof(struct nvsp_msg_subchannel) == 12, "facts 6.1");

#define NVSP_INDIRECTION_TABLE_COUNT 16u

/* SEND_INDIRECTION_TABLE (134): 'count' u32 entries at 'offset' from the message start. */
struct nvsp_msg_indirection_table {
	uint32_t msg_type; /* @0 */
	uint32_t count;	   /* @4 must be 16 */
	uint32_t offset;   /* @8 40: the table follows the 40-byte message */
};
_Static_assert(sizeof(struct nvsp_msg_indirection_table) == 12, "facts 6.1/6.3");

#endif
