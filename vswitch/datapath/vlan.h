/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * 802.1Q port policy. VLAN 0 is the untagged network: an untagged-mode port is an access port of
 * VLAN 0, and a trunk's native VLAN defaults to it. Priority-tagged frames (VID 0) count as
 * untagged. The table is in docs/cli.md.
 */
#ifndef VS_VLAN_H
#define VS_VLAN_H

#include <stdbool.h>
#include <stdint.h>

#include "drop.h"
#include "vsw_util.h"

enum vs_vlan_mode {
	VS_VLAN_UNTAGGED,
	VS_VLAN_ACCESS,
	VS_VLAN_TRUNK,
};

struct vs_vlan_cfg {
	uint8_t mode;	   /* enum vs_vlan_mode */
	bool all;	   /* trunk: every VLAN 1-4094 is allowed */
	uint16_t vlan;	   /* access: the VLAN; trunk: native VLAN (0 = untagged network) */
	uint64_t trunks[VSW_VLAN_BITMAP_WORDS]; /* trunk: allowed VLANs unless 'all' */
};

enum vs_vlan_egress {
	VS_EGRESS_NONE,	    /* the port is not a member of the VLAN */
	VS_EGRESS_UNTAGGED, /* send without a tag */
	VS_EGRESS_TAGGED,   /* send with an 802.1Q tag carrying the VLAN */
};

const char *vs_vlan_mode_name(enum vs_vlan_mode m);
int vs_vlan_mode_parse(const char *s, enum vs_vlan_mode *m);

/*
 * Classify a frame arriving on a port: 'tagged' and 'vid' describe its outer 802.1Q tag.
 * Returns the VLAN (0..4094) the frame belongs to, or -(VS_DROP_* + 1) if the port refuses it.
 */
static inline int vs_vlan_ingress(const struct vs_vlan_cfg *c, bool tagged, uint16_t vid)
{
	if (!tagged || vid == 0) {
		/* untagged and priority-tagged frames join the access or native VLAN */
		return c->vlan;
	}
	if (c->mode != VS_VLAN_TRUNK)
		return -(VS_DROP_VLAN_TAGGED_ON_ACCESS + 1);
	if (vid == c->vlan || (vid <= VSW_VLAN_MAX && (c->all || vsw_bitmap_test(c->trunks, vid))))
		return vid;
	return -(VS_DROP_VLAN_NOT_ALLOWED + 1);
}

/* How a frame of 'vlan' leaves this port, if at all. */
static inline enum vs_vlan_egress vs_vlan_egress(const struct vs_vlan_cfg *c, uint16_t vlan)
{
	if (vlan == c->vlan)
		return VS_EGRESS_UNTAGGED;
	if (c->mode != VS_VLAN_TRUNK || vlan == 0)
		return VS_EGRESS_NONE;
	if (c->all || vsw_bitmap_test(c->trunks, vlan))
		return VS_EGRESS_TAGGED;
	return VS_EGRESS_NONE;
}

#endif
