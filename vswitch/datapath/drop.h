/* SPDX-License-Identifier: BSD-3-Clause */
/* Named drop reasons. Ingress reasons are counted on the port a frame came in on, egress reasons
 * on the port it was going out of. */
#ifndef VS_DROP_H
#define VS_DROP_H

#define VS_DROP_REASONS(X)                                                                         \
	X(RUNT, "runt")                                                                            \
	X(OVERSIZE, "oversize")                                                                    \
	X(BAD_SRC_MAC, "bad_src_mac")                                                              \
	X(VLAN_TAGGED_ON_ACCESS, "vlan_tagged_on_access")                                          \
	X(VLAN_NOT_ALLOWED, "vlan_not_allowed")                                                    \
	X(MAC_SPOOFED, "mac_spoofed")                                                              \
	X(HAIRPIN, "hairpin")                                                                      \
	X(NO_DESTINATION, "no_destination")                                                        \
	X(MTU_EXCEEDED, "mtu_exceeded")                                                            \
	X(TX_FULL, "tx_full")                                                                      \
	X(NO_MBUF, "no_mbuf")                                                                      \
	X(PORT_DOWN, "port_down")                                                                  \
	X(OFFLOAD_FAILED, "offload_failed")

enum vs_drop {
#define VS_DROP_ENUM(e, s) VS_DROP_##e,
	VS_DROP_REASONS(VS_DROP_ENUM)
#undef VS_DROP_ENUM
	VS_DROP_COUNT
};

/* First egress reason: the ones before it are ingress drops. */
#define VS_DROP_FIRST_EGRESS VS_DROP_MTU_EXCEEDED

const char *vs_drop_name(enum vs_drop d);

#endif
