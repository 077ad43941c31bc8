/* SPDX-License-Identifier: BSD-3-Clause */
/* Ethernet/802.1Q header parsing, independent of mbufs so it can be tested on plain buffers. */
#ifndef VS_FRAME_H
#define VS_FRAME_H

#include <stdbool.h>
#include <stdint.h>

#include "drop.h"

#define VS_ETH_HLEN 14
#define VS_VLAN_HLEN 4
#define VS_ETH_P_8021Q 0x8100

struct vs_frame {
	const uint8_t *dst;  /* destination MAC, in the frame */
	const uint8_t *src;  /* source MAC, in the frame */
	bool tagged;	     /* an outer 802.1Q tag is present (in the frame or stripped) */
	bool tag_in_frame;   /* the tag is in the frame bytes, not in mbuf metadata */
	uint16_t vid;	     /* VLAN id of the outer tag */
	uint32_t plain_len;  /* frame length without the outer tag */
};

static inline bool vs_mac_is_multicast(const uint8_t *mac)
{
	return mac[0] & 1;
}

static inline bool vs_mac_is_zero(const uint8_t *mac)
{
	return (mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]) == 0;
}

/*
 * Parse the first 'seg_len' contiguous bytes of a frame of 'pkt_len' bytes.
 * 'stripped'/'tci': a tag already removed by the device (DPDK RX_VLAN_STRIPPED).
 * Returns 0, or -(VS_DROP_* + 1) for frames to drop.
 */
static inline int vs_frame_parse(const uint8_t *data, uint32_t seg_len, uint32_t pkt_len,
	bool stripped, uint16_t tci, struct vs_frame *f)
{
	uint16_t type;

	if (pkt_len < VS_ETH_HLEN || seg_len < VS_ETH_HLEN)
		return -(VS_DROP_RUNT + 1);
	f->dst = data;
	f->src = data + 6;
	if (vs_mac_is_multicast(f->src) || vs_mac_is_zero(f->src))
		return -(VS_DROP_BAD_SRC_MAC + 1);
	f->plain_len = pkt_len;
	if (stripped) {
		f->tagged = true;
		f->tag_in_frame = false;
		f->vid = tci & 0xfff;
		return 0;
	}
	type = (uint16_t)(data[12] << 8 | data[13]);
	if (type != VS_ETH_P_8021Q) {
		f->tagged = false;
		f->tag_in_frame = false;
		f->vid = 0;
		return 0;
	}
	if (pkt_len < VS_ETH_HLEN + VS_VLAN_HLEN || seg_len < VS_ETH_HLEN + VS_VLAN_HLEN)
		return -(VS_DROP_RUNT + 1);
	f->tagged = true;
	f->tag_in_frame = true;
	f->vid = (uint16_t)((data[14] << 8 | data[15]) & 0xfff);
	f->plain_len = pkt_len - VS_VLAN_HLEN;
	return 0;
}

#endif
