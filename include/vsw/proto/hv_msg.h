/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The process partition's VMBus message channel: what replaces HvPostMessage and the SynIC message
 * page when the guest is a sandboxed process (DESIGN.md decision 2).
 *
 * The hypervisor and the partition's init share a SOCK_SEQPACKET socketpair (fd 4 in the
 * partition). Each datagram is exactly one 256-byte structure below, laid out as Hyper-V lays out
 * the HvPostMessage input (guest -> host) and a SynIC message slot (host -> guest), so that the
 * same channel-message code serves the later KVM backend unchanged. Little-endian.
 *
 * Doorbells: the host attaches two fds (SCM_RIGHTS) to a successful OPENCHANNEL_RESULT
 * datagram, in this order:
 *   [0] signal eventfd: the guest writes 1 (a u64) to it where Hyper-V guests call HvSignalEvent
 *       with the offer's connection id ("look at my outbound ring");
 *   [1] interrupt: the read end of a non-blocking pipe; the host writes a u64 1 to its write end
 *       where Hyper-V sets the channel's SIEF bit and raises the VMBus vector ("look at your
 *       inbound ring"); the guest reads to clear (several signals may be pending). Not an
 *       eventfd: the guest must not share an open file (and so its O_NONBLOCK flag) with the
 *       host's writer, or it could make the host's doorbell write block.
 * No other datagram carries fds. A datagram of any other size is a protocol error.
 *
 * Guest "physical" memory is the memfd at fd 3 of the partition; a guest page frame number is
 * the file offset divided by 4096.
 */
#ifndef VSW_PROTO_HV_MSG_H
#define VSW_PROTO_HV_MSG_H

#include <stdint.h>

#include "vmbus.h"

#define HV_MSG_SIZE 256u
#define HV_MSG_FD_MEMORY 3 /* partition init: guest memory memfd */
#define HV_MSG_FD_SOCKET 4 /* partition init: this message channel */

/* Guest -> host: the HvPostMessage input page layout (facts 1.5). */
struct hv_post_message {
	uint32_t connection_id; /* @0 low 24 bits; 4 for INITIATE_CONTACT >= 5.0, else msg_conn_id */
	uint32_t reserved;	/* @4 0 */
	uint32_t message_type;	/* @8 VMBUS_MESSAGE_TYPE */
	uint32_t payload_size;	/* @12 <= VMBUS_MSG_PAYLOAD_MAX */
	uint8_t payload[VMBUS_MSG_PAYLOAD_MAX]; /* @16 channel message, vmbus_chanmsg_hdr first */
};
_Static_assert(sizeof(struct hv_post_message) == HV_MSG_SIZE, "facts 1.5 HvPostMessage input");

/* Host -> guest: the SynIC message slot layout (facts 3.1). */
struct hv_message {
	uint32_t message_type; /* @0 VMBUS_MESSAGE_TYPE */
	uint8_t payload_size;  /* @4 <= VMBUS_MSG_PAYLOAD_MAX */
	uint8_t flags;	       /* @5 bit 0 message pending (unused over a socket: 0) */
	uint16_t reserved;     /* @6 */
	uint64_t port;	       /* @8 sender / port id, 0 */
	uint8_t payload[VMBUS_MSG_PAYLOAD_MAX]; /* @16 channel message */
};
_Static_assert(sizeof(struct hv_message) == HV_MSG_SIZE, "facts 3.1 SynIC message slot");

#endif
