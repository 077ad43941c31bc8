/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RNDIS messages, NDIS offload/RSS objects and per-packet info as netvsc carries them inside NVSP
 * SEND_RNDIS_PKT (shared/reference/hyperv-facts.md section 7). Little-endian. Offsets named
 * "relative to byte 8" are measured from the end of the 8-byte type/length header.
 */
#ifndef VSW_PROTO_RNDIS_H
#define VSW_PROTO_RNDIS_H

#include <stdint.h>

/* Message types; a completion is the request type | RNDIS_MSG_COMPLETION. */
#define RNDIS_MSG_PACKET 0x00000001u
#define RNDIS_MSG_INIT 0x00000002u
#define RNDIS_MSG_HALT 0x00000003u
#define RNDIS_MSG_QUERY 0x00000004u
#define RNDIS_MSG_SET 0x00000005u
#define RNDIS_MSG_RESET 0x00000006u
#define RNDIS_MSG_INDICATE 0x00000007u
#define RNDIS_MSG_KEEPALIVE 0x00000008u
#define RNDIS_MSG_COMPLETION 0x80000000u
#define RNDIS_MSG_INIT_C (RNDIS_MSG_INIT | RNDIS_MSG_COMPLETION)
#define RNDIS_MSG_QUERY_C (RNDIS_MSG_QUERY | RNDIS_MSG_COMPLETION)
#define RNDIS_MSG_SET_C (RNDIS_MSG_SET | RNDIS_MSG_COMPLETION)
#define RNDIS_MSG_RESET_C (RNDIS_MSG_RESET | RNDIS_MSG_COMPLETION)
#define RNDIS_MSG_KEEPALIVE_C (RNDIS_MSG_KEEPALIVE | RNDIS_MSG_COMPLETION)

/* Status codes (facts 7.2, 7.7). */
#define RNDIS_STATUS_SUCCESS 0x00000000u
#define RNDIS_STATUS_FAILURE 0xc0000001u
#define RNDIS_STATUS_NOT_SUPPORTED 0xc00000bbu
#define RNDIS_STATUS_INVALID_DATA 0xc0010015u
#define RNDIS_STATUS_BUFFER_OVERFLOW 0x80000005u
#define RNDIS_STATUS_MEDIA_CONNECT 0x4001000bu
#define RNDIS_STATUS_MEDIA_DISCONNECT 0x4001000cu
#define RNDIS_STATUS_LINK_SPEED_CHANGE 0x40010013u
#define RNDIS_STATUS_NETWORK_CHANGE 0x40010018u

/* OIDs netvsc uses (facts 7.3). */
#define RNDIS_OID_GEN_MAXIMUM_FRAME_SIZE 0x00010106u
#define RNDIS_OID_GEN_LINK_SPEED 0x00010107u
#define RNDIS_OID_GEN_CURRENT_PACKET_FILTER 0x0001010eu
#define RNDIS_OID_GEN_MEDIA_CONNECT_STATUS 0x00010114u
#define RNDIS_OID_GEN_RECEIVE_SCALE_CAPABILITIES 0x00010203u
#define RNDIS_OID_GEN_RECEIVE_SCALE_PARAMETERS 0x00010204u
#define RNDIS_OID_GEN_RNDIS_CONFIG_PARAMETER 0x0001021bu
#define RNDIS_OID_GEN_FRIENDLY_NAME 0x00020216u
#define RNDIS_OID_802_3_PERMANENT_ADDRESS 0x01010101u
#define RNDIS_OID_802_3_CURRENT_ADDRESS 0x01010102u
#define RNDIS_OID_802_3_MULTICAST_LIST 0x01010103u
#define RNDIS_OID_TCP_OFFLOAD_CURRENT_CONFIG 0xfc01020bu
#define RNDIS_OID_TCP_OFFLOAD_PARAMETERS 0xfc01020cu
#define RNDIS_OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES 0xfc01020du

/* Packet filter bits (OID_GEN_CURRENT_PACKET_FILTER). */
#define RNDIS_FILTER_DIRECTED 0x01u
#define RNDIS_FILTER_MULTICAST 0x02u
#define RNDIS_FILTER_ALL_MULTICAST 0x04u
#define RNDIS_FILTER_BROADCAST 0x08u
#define RNDIS_FILTER_PROMISCUOUS 0x20u

struct rndis_msg_hdr {
	uint32_t msg_type; /* @0 RNDIS_MSG_* */
	uint32_t msg_len;  /* @4 total bytes including this header */
};
_Static_assert(sizeof(struct rndis_msg_hdr) == 8, "facts 7.1");

/* INITIALIZE, 24 bytes. */
struct rndis_init_request {
	struct rndis_msg_hdr hdr;
	uint32_t req_id;	/* @8 */
	uint32_t major_ver;	/* @12 1 */
	uint32_t minor_ver;	/* @16 0 */
	uint32_t max_xfer_size; /* @20 */
};
_Static_assert(sizeof(struct rndis_init_request) == 24, "facts 7.2");

/* INIT_C, 52 bytes. */
struct rndis_init_complete {
	struct rndis_msg_hdr hdr;
	uint32_t req_id;	       /* @8 */
	uint32_t status;	       /* @12 */
	uint32_t major_ver;	       /* @16 */
	uint32_t minor_ver;	       /* @20 */
	uint32_t dev_flags;	       /* @24 1 = connectionless */
	uint32_t medium;	       /* @28 0 = 802.3 */
	uint32_t max_pkt_per_msg;      /* @32 */
	uint32_t max_xfer_size;	       /* @36 */
	uint32_t pkt_alignment_factor; /* @40 guest alignment = 1 << value */
	uint32_t af_list_offset;       /* @44 */
	uint32_t af_list_size;	       /* @48 */
};
_Static_assert(sizeof(struct rndis_init_complete) == 52, "facts 7.2");

/* QUERY and SET, 28 bytes + info buffer. */
struct rndis_query_request {
	struct rndis_msg_hdr hdr;
	uint32_t req_id;	  /* @8 */
	uint32_t oid;		  /* @12 */
	uint32_t info_buflen;	  /* @16 */
	uint32_t info_buf_offset; /* @20 relative to byte 8 (normally 20) */
	uint32_t dev_vc_handle;	  /* @24 0 */
};
_Static_assert(sizeof(struct rndis_query_request) == 28, "facts 7.2");
#define rndis_set_request rndis_query_request

/* QUERY_C, 24 bytes + info buffer. */
struct rndis_query_complete {
	struct rndis_msg_hdr hdr;
	uint32_t req_id;	  /* @8 */
	uint32_t status;	  /* @12 */
	uint32_t info_buflen;	  /* @16 */
	uint32_t info_buf_offset; /* @20 relative to byte 8; Linux requires >= 16 */
};
_Static_assert(sizeof(struct rndis_query_complete) == 24, "facts 7.2");

/* SET_C and RESET_C/KEEPALIVE_C shape, 16 bytes. */
struct rndis_set_complete {
	struct rndis_msg_hdr hdr;
	uint32_t req_id; /* @8 */
	uint32_t status; /* @12 */
};
_Static_assert(sizeof(struct rndis_set_complete) == 16, "facts 7.2");

/* HALT, 12 bytes; no reply. */
struct rndis_halt_request {
	struct rndis_msg_hdr hdr;
	uint32_t req_id; /* @8 */
};
_Static_assert(sizeof(struct rndis_halt_request) == 12, "facts 7.2");

/* INDICATE_STATUS, 20 bytes + status buffer. */
struct rndis_indicate_status {
	struct rndis_msg_hdr hdr;
	uint32_t status;	    /* @8 RNDIS_STATUS_* */
	uint32_t status_buflen;	    /* @12 */
	uint32_t status_buf_offset; /* @16 relative to byte 8 */
};
_Static_assert(sizeof(struct rndis_indicate_status) == 20, "facts 7.2");

/* PACKET, 44 bytes + per-packet info + frame. Offsets are relative to byte 8. */
struct rndis_packet {
	struct rndis_msg_hdr hdr;
	uint32_t data_offset;	 /* @8 */
	uint32_t data_len;	 /* @12 */
	uint32_t oob_data_offset; /* @16 0 */
	uint32_t oob_data_len;	 /* @20 0 */
	uint32_t num_oob_data_elements; /* @24 0 */
	uint32_t ppi_offset;	 /* @28 normally 36 */
	uint32_t ppi_len;	 /* @32 */
	uint32_t vc_handle;	 /* @36 0 */
	uint32_t reserved;	 /* @40 0 */
};
_Static_assert(sizeof(struct rndis_packet) == 44, "facts 7.2");

#define RNDIS_HEADER_OFFSET 8u /* what "relative to byte 8" offsets are relative to */

/* Per-packet info element: size includes this header; data starts 'ppi_offset' into it. */
struct rndis_ppi {
	uint32_t size;	     /* @0 header + data, >= 12 */
	uint32_t type;	     /* @4 bits 30:0 type, bit 31 internal */
	uint32_t ppi_offset; /* @8 data offset from the element start (12) */
};
_Static_assert(sizeof(struct rndis_ppi) == 12, "facts 7.6");

#define RNDIS_PPI_INTERNAL 0x80000000u
#define RNDIS_PPI_TCPIP_CHKSUM 0u
#define RNDIS_PPI_IPSEC 1u
#define RNDIS_PPI_LSO 2u
#define RNDIS_PPI_IEEE_8021Q 6u
#define RNDIS_PPI_HASH_VALUE 8u
#define RNDIS_PPI_HASH_INFO 9u
#define RNDIS_PPI_PKTINFO_ID (1u | RNDIS_PPI_INTERNAL) /* RSC fragment id, RX */

/* Checksum PPI, TX direction (guest asks). */
#define RNDIS_CSUM_TX_IPV4 0x001u
#define RNDIS_CSUM_TX_IPV6 0x002u
#define RNDIS_CSUM_TX_TCP 0x004u
#define RNDIS_CSUM_TX_UDP 0x008u
#define RNDIS_CSUM_TX_IP_HDR 0x010u
#define RNDIS_CSUM_TX_L4_OFFSET_SHIFT 16 /* bits 25:16 L4 header offset from frame start */
#define RNDIS_CSUM_TX_L4_OFFSET_MASK 0x3ffu
/* Checksum PPI, RX direction (host reports). */
#define RNDIS_CSUM_RX_TCP_FAILED 0x001u
#define RNDIS_CSUM_RX_UDP_FAILED 0x002u
#define RNDIS_CSUM_RX_IP_FAILED 0x004u
#define RNDIS_CSUM_RX_TCP_OK 0x008u
#define RNDIS_CSUM_RX_UDP_OK 0x010u
#define RNDIS_CSUM_RX_IP_OK 0x020u
#define RNDIS_CSUM_RX_LOOPBACK 0x040u
#define RNDIS_CSUM_RX_TCP_VALUE_INVALID 0x080u
#define RNDIS_CSUM_RX_IP_VALUE_INVALID 0x100u

/* LSOv2 PPI (TX). */
#define RNDIS_LSO_MSS_MASK 0xfffffu	      /* bits 19:0 */
#define RNDIS_LSO_TCP_OFFSET_SHIFT 20	      /* bits 29:20 */
#define RNDIS_LSO_TCP_OFFSET_MASK 0x3ffu
#define RNDIS_LSO_TYPE_V2 0x40000000u	      /* bit 30 */
#define RNDIS_LSO_IPV6 0x80000000u	      /* bit 31: 0 IPv4, 1 IPv6 */

/* 802.1Q PPI. */
#define RNDIS_VLAN_PRI_MASK 0x7u	/* bits 2:0 */
#define RNDIS_VLAN_CFI 0x8u		/* bit 3 */
#define RNDIS_VLAN_ID_SHIFT 4		/* bits 15:4 */
#define RNDIS_VLAN_ID_MASK 0xfffu

/* RSC pkt-info PPI data: u8 version, u8 flags, u16 packet id. */
#define RNDIS_PKTINFO_SUBALLOC 0x1u
#define RNDIS_PKTINFO_1ST_FRAG 0x2u
#define RNDIS_PKTINFO_LAST_FRAG 0x4u
struct rndis_pktinfo_id {
	uint8_t ver;	/* @0 1 */
	uint8_t flags;	/* @1 RNDIS_PKTINFO_* */
	uint16_t pkt_id; /* @2 */
};
_Static_assert(sizeof(struct rndis_pktinfo_id) == 4, "facts 7.6");

/* NDIS object header heading the offload and RSS objects. */
struct ndis_obj_header {
	uint8_t type;	  /* @0 */
	uint8_t revision; /* @1 */
	uint16_t size;	  /* @2 */
};
_Static_assert(sizeof(struct ndis_obj_header) == 4, "facts 7.4");

#define NDIS_OBJTYPE_OFFLOAD 0xa7u
#define NDIS_OBJTYPE_DEFAULT 0x80u
#define NDIS_OBJTYPE_RSS_CAPABILITIES 0x88u
#define NDIS_OBJTYPE_RSS_PARAMETERS 0x89u

#define NDIS_OFFLOAD_SIZE_REV1 112u
#define NDIS_OFFLOAD_SIZE_REV2 144u
#define NDIS_OFFLOAD_SIZE_REV3 156u

/* Offload capability bits (2-bit fields, value 1 = supported) (facts 7.4). */
#define NDIS_TXCSUM_CAP_IP4_OPTIONS 0x001u
#define NDIS_TXCSUM_CAP_TCP4_OPTIONS 0x004u
#define NDIS_TXCSUM_CAP_TCP4 0x010u
#define NDIS_TXCSUM_CAP_UDP4 0x040u
#define NDIS_TXCSUM_CAP_IP4 0x100u
#define NDIS_TXCSUM_CAP_IP6_EXT 0x001u
#define NDIS_TXCSUM_CAP_TCP6_OPTIONS 0x004u
#define NDIS_TXCSUM_CAP_TCP6 0x010u
#define NDIS_TXCSUM_CAP_UDP6 0x040u
#define NDIS_OFFLOAD_ENCAP_8023 0x0002u
#define NDIS_LSOV2_CAP_IP6_EXT 0x001u
#define NDIS_LSOV2_CAP_TCP6_OPTIONS 0x004u

/* NDIS_OFFLOAD (hardware capabilities), revision 3, 156 bytes. */
struct ndis_offload {
	struct ndis_obj_header header; /* @0 {0xA7, 3, 156} */
	/* checksum */
	uint32_t ip4_tx_encap; /* @4 */
	uint32_t ip4_tx_caps;  /* @8 */
	uint32_t ip4_rx_encap; /* @12 */
	uint32_t ip4_rx_caps;  /* @16 */
	uint32_t ip6_tx_encap; /* @20 */
	uint32_t ip6_tx_caps;  /* @24 */
	uint32_t ip6_rx_encap; /* @28 */
	uint32_t ip6_rx_caps;  /* @32 */
	/* LSOv1 */
	uint32_t lsov1_encap;	 /* @36 */
	uint32_t lsov1_max_size; /* @40 */
	uint32_t lsov1_min_segs; /* @44 */
	uint32_t lsov1_opts;	 /* @48 */
	uint8_t ipsecv1[28];	 /* @52 */
	/* LSOv2 */
	uint32_t lsov2_ip4_encap;    /* @80 */
	uint32_t lsov2_ip4_max_size; /* @84 */
	uint32_t lsov2_ip4_min_segs; /* @88 */
	uint32_t lsov2_ip6_encap;    /* @92 */
	uint32_t lsov2_ip6_max_size; /* @96 */
	uint32_t lsov2_ip6_min_segs; /* @100 */
	uint32_t lsov2_ip6_opts;     /* @104 */
	uint32_t flags;		     /* @108 */
	uint8_t ipsecv2[32];	     /* @112 */
	uint8_t rsc_ip4;	     /* @144 */
	uint8_t rsc_ip6;	     /* @145 */
	uint8_t rsc_pad[2];	     /* @146 */
	uint32_t gre_encap_flags;    /* @148 */
	uint32_t gre_encap_rsvd;     /* @152 */
};
_Static_assert(sizeof(struct ndis_offload) == 156, "facts 7.4 NDIS_OFFLOAD");
_Static_assert(__builtin_offsetof(struct ndis_offload, lsov2_ip4_encap) == 80, "facts 7.4");
_Static_assert(__builtin_offsetof(struct ndis_offload, rsc_ip4) == 144, "facts 7.4");

/* NDIS_OFFLOAD_PARAMETERS values. */
#define NDIS_OFFLOAD_PARAM_NO_CHANGE 0u
#define NDIS_OFFLOAD_PARAM_CSUM_OFF 1u
#define NDIS_OFFLOAD_PARAM_CSUM_TX 2u
#define NDIS_OFFLOAD_PARAM_CSUM_RX 3u
#define NDIS_OFFLOAD_PARAM_CSUM_TXRX 4u
#define NDIS_OFFLOAD_PARAM_OFF 1u /* LSO / RSC */
#define NDIS_OFFLOAD_PARAM_ON 2u

#define NDIS_OFFLOAD_PARAMS_SIZE_V1 22u /* NVSP <= 4 */
#define NDIS_OFFLOAD_PARAMS_SIZE 28u	/* NVSP >= 5 */

/* NDIS_OFFLOAD_PARAMETERS (OID_TCP_OFFLOAD_PARAMETERS SET), 28 bytes. */
struct ndis_offload_params {
	struct ndis_obj_header header; /* @0 {0x80, 3, size} */
	uint8_t ip_v4_csum;	       /* @4 */
	uint8_t tcp_ip_v4_csum;	       /* @5 */
	uint8_t udp_ip_v4_csum;	       /* @6 */
	uint8_t tcp_ip_v6_csum;	       /* @7 */
	uint8_t udp_ip_v6_csum;	       /* @8 */
	uint8_t lso_v1;		       /* @9 */
	uint8_t ipsec_v1;	       /* @10 */
	uint8_t lso_v2_ipv4;	       /* @11 */
	uint8_t lso_v2_ipv6;	       /* @12 */
	uint8_t tcp_conn_ipv4;	       /* @13 */
	uint8_t tcp_conn_ipv6;	       /* @14 */
	uint8_t reserved;	       /* @15 */
	uint32_t flags;		       /* @16 */
	uint8_t ipsec_v2;	       /* @20 */
	uint8_t ipsec_v2_ipv4;	       /* @21 */
	uint8_t rsc_ip_v4;	       /* @22 */
	uint8_t rsc_ip_v6;	       /* @23 */
	uint8_t encap_task_offload;    /* @24 */
	uint8_t encap_types;	       /* @25 */
	uint8_t pad[2];		       /* @26 */
};
_Static_assert(sizeof(struct ndis_offload_params) == 28, "facts 7.4");

/* RSS capabilities, packed 18 bytes. */
struct ndis_rss_caps {
	struct ndis_obj_header header; /* @0 {0x88, 2, 18} */
	uint32_t cap_flags;	       /* @4 */
	uint32_t num_int_msgs;	       /* @8 */
	uint32_t num_recv_que;	       /* @12 */
	uint16_t num_indirect_tabent;  /* @16 */
} __attribute__((packed));
_Static_assert(sizeof(struct ndis_rss_caps) == 18, "facts 7.5");

#define NDIS_RSS_CAP_TOEPLITZ 0x1u
#define NDIS_RSS_CAP_TCP_IPV4 0x100u
#define NDIS_RSS_CAP_TCP_IPV6 0x200u
#define NDIS_RSS_PARAM_FLAG_DISABLE_RSS 0x10u
#define NDIS_RSS_HASH_INFO_LINUX 0x1701u
/* Hash info bits (facts 7.5: Linux's 0x1701 = Toeplitz | IPv4 | TCP/IPv4 | IPv6 | TCP/IPv6). */
#define NDIS_HASH_FUNC_TOEPLITZ 0x1u
#define NDIS_HASH_IPV4 0x100u
#define NDIS_HASH_TCP_IPV4 0x200u
#define NDIS_HASH_IPV6 0x400u
#define NDIS_HASH_TCP_IPV6 0x1000u
#define NDIS_RSS_KEY_SIZE 40u

/* RSS parameters, 40 bytes, followed by the table and the key. */
struct ndis_rss_params {
	struct ndis_obj_header header; /* @0 {0x89, 2, 40} */
	uint16_t flags;		       /* @4 */
	uint16_t base_cpu_number;      /* @6 */
	uint32_t hashinfo;	       /* @8 */
	uint16_t indirect_tabsize;     /* @12 bytes */
	uint16_t pad;		       /* @14 */
	uint32_t indirect_taboffset;   /* @16 from the object start */
	uint16_t hashkey_size;	       /* @20 */
	uint16_t pad2;		       /* @22 */
	uint32_t hashkey_offset;       /* @24 from the object start */
	uint32_t processor_masks_offset; /* @28 */
	uint32_t num_processor_masks;	 /* @32 */
	uint32_t processor_masks_entry_size; /* @36 */
};
_Static_assert(sizeof(struct ndis_rss_params) == 40, "facts 7.5");

#endif
