/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vsw_vmbus: the OS-agnostic VMBus transport core shared by the hypervisor's VMBus server,
 * vswitchd's netvsc ports and our guest driver (DESIGN.md section 3). No DPDK, no KVM.
 *
 *  - ring:    one direction of a VMBus ring buffer over caller-provided memory, either role;
 *  - pkt:     parse a ring packet copied to private memory; build INBAND/COMP/XFER_PAGES packets;
 *  - chanmsg: channel-management message sizes, validation, builders, SynIC/HvPostMessage framing;
 *  - gpadl:   host-side GPADL assembly from HEADER + BODY messages; guest-side splitting;
 *  - gmem:    host-side mapping of GPADL'd guest pages from the partition's memfd.
 *
 * Everything the guest can write (ring contents, channel messages, page numbers) is treated as
 * hostile: bounds-checked before use, copied before parsing. Wire layouts are in
 * include/vsw/proto/vmbus.h; facts are cited as hyperv-facts.md sections ("facts 5.3").
 * Unless stated otherwise, functions are reentrant and take no locks; an object (ring, assembler)
 * must be used by one thread at a time.
 */
#ifndef VSW_VMBUS_H
#define VSW_VMBUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include <vsw/proto/hv_msg.h>
#include <vsw/proto/vmbus.h>
#include <vsw/proto/vmbus_user.h>

/* ---------------------------------------------------------------------------------------------
 * Ring buffer (ring.c)
 *
 * One direction of a channel: a 4 KiB control page followed by the data area, contiguous in the
 * caller's address space (no double mapping: packets straddling the end are copied in two parts).
 * One side is the writer (owns write_index and pending_send_sz), the other the reader (owns
 * read_index and interrupt_mask), facts 5.1. Each side keeps its own index privately and only
 * publishes it, so nothing the peer writes into "our" index is ever trusted; the peer's index is
 * re-read and validated whenever it is needed.
 */

/* Smallest packet: a bare descriptor. Every packet also takes an 8-byte trailer in the ring. */
#define VMBUS_RING_MIN_PKT 16u
/* Largest data area accepted by vmbus_ring_init(): keeps every index sum below 2^32. */
#define VMBUS_RING_MAX_DATA (1u << 30)
/* Largest packet a descriptor can describe (len8 is a u16). */
#define VMBUS_PKT_MAX_SIZE (UINT16_MAX * 8u)

enum vmbus_ring_role {
	VMBUS_RING_READER, /* consumes packets: host on the G->H ring, guest on the H->G ring */
	VMBUS_RING_WRITER, /* produces packets: host on the H->G ring, guest on the G->H ring */
};

struct vmbus_ring {
	struct vmbus_ring_ctl *ctl; /* shared control page (peer-writable) */
	uint8_t *data;		    /* shared data area, 'size' bytes (peer-writable) */
	uint32_t size;		    /* data area bytes, multiple of 8 */
	enum vmbus_ring_role role;  /* which half of the control page we own */
	/* reader state, private */
	uint32_t rd_priv; /* next packet to read, not yet published */
	uint32_t rd_pub;  /* last read_index we published */
	uint32_t wr_snap; /* writer's write_index as last read (validated) */
	/* writer state, private */
	uint32_t wr_priv; /* where the next packet goes, not yet published */
	uint32_t wr_pub;  /* last write_index we published */
};

/*
 * Attach 'r' to a ring of 'ring_size' bytes at 'mem' (control page + data area) in role 'role'.
 * Our own index is taken from the control page once (the ring's owner zeroes it at open) and
 * validated. Does not write to the ring.
 * Returns 0, -EINVAL (size not 4096 + a multiple of 8 in [32, VMBUS_RING_MAX_DATA], or 'mem'
 * not 8-byte aligned) or -EPROTO (our index in shared memory is invalid). Any thread.
 */
int vmbus_ring_init(struct vmbus_ring *r, void *mem, size_t ring_size, enum vmbus_ring_role role);

/*
 * Reset the shared control page as the ring's creator does at channel open (the guest, facts 5.1):
 * indices, interrupt mask and pending_send_sz zeroed, feature_bits = pending_send_sz supported.
 * Resets the private state of 'r' too. Only when the peer is not using the ring. Returns nothing.
 */
void vmbus_ring_ctl_reset(struct vmbus_ring *r);

/*
 * Reader: copy the next packet (descriptor + headers + payload, len8 * 8 bytes) into 'buf' and
 * advance the private read offset. The descriptor in 'buf' is the validated copy: len8 >= 2,
 * 2 <= offset8 <= len8, flags subset of VMBUS_PKT_FLAG_COMPLETION_REQUESTED. The packet type
 * is not checked here (vmbus_pkt_parse does). Nothing is visible to the writer until
 * vmbus_ring_read_done().
 * Returns the packet size in bytes, -EAGAIN (ring empty), -EMSGSIZE (packet larger than 'size';
 * it stays in the ring, see vmbus_ring_peek_size) or -EPROTO (malformed ring or descriptor: the
 * caller must stop using the ring and close the channel). Fast path, lock-free, never blocks.
 */
int vmbus_ring_read(struct vmbus_ring *r, void *buf, size_t size);

/*
 * Reader: size of the next packet without consuming it (same checks as vmbus_ring_read).
 * Returns bytes, -EAGAIN or -EPROTO. Fast path.
 */
int vmbus_ring_peek_size(struct vmbus_ring *r);

/*
 * Reader: drop the next packet without copying it (e.g. after -EMSGSIZE).
 * Returns its size, -EAGAIN or -EPROTO. Fast path.
 */
int vmbus_ring_skip(struct vmbus_ring *r);

/*
 * Reader: publish the read offset after a batch of reads and decide whether the blocked writer
 * must be signalled (facts 5.3): only when the ring's feature_bits has pending_send_sz support,
 * pending_send_sz (masked with ~7) is non-zero, and this batch moved the free space from
 * <= pending_send_sz to > pending_send_sz (the writer needs strictly more free bytes than it
 * writes). Returns true if the caller must signal the writer. Fast path.
 */
bool vmbus_ring_read_done(struct vmbus_ring *r);

/*
 * Reader: set interrupt_mask so the writer does not signal us while we poll. Fast path.
 */
void vmbus_ring_intr_mask(struct vmbus_ring *r);

/*
 * Reader: clear interrupt_mask, then re-check the ring (lost-wakeup race, facts 5.3): a packet
 * published while the mask was set came without a signal. Call after vmbus_ring_read_done().
 * Returns true if unread data is present (the caller must poll again). Fast path.
 */
bool vmbus_ring_intr_unmask(struct vmbus_ring *r);

/*
 * Writer: append one packet made of the 'iovcnt' buffers of 'iov' (the first bytes being the
 * caller-built descriptor), zero padding to 8 bytes and the 8-byte trailer (high u32 = offset of
 * the packet). Not visible to the reader until vmbus_ring_write_done(). The writer never fills
 * the ring completely (facts 5.3).
 * Returns 0, -EINVAL (fewer than 16 bytes or iovcnt < 1), -EMSGSIZE (can never fit: padded size
 * + trailer >= data area, or > VMBUS_PKT_MAX_SIZE), -EAGAIN (not enough free space now) or
 * -EPROTO (the reader's read_index is invalid). Fast path, never blocks.
 */
int vmbus_ring_write(struct vmbus_ring *r, const struct iovec *iov, int iovcnt);

/*
 * Writer: build a descriptor with no extra header (offset8 = 2, len8 from the payload) of
 * 'type' (INBAND or COMP), 'flags' and 'trans_id', and append it with the payload 'iov'
 * (0..8 buffers). Returns as vmbus_ring_write(), and -EINVAL if iovcnt > 8. Fast path.
 */
int vmbus_ring_write_simple(struct vmbus_ring *r, uint16_t type, uint16_t flags,
	uint64_t trans_id, const struct iovec *iov, int iovcnt);

/*
 * Writer: publish every packet appended since the last call (one write_index store) and decide
 * whether the reader must be signalled (facts 5.3): only when the ring was empty before this
 * batch (read_index == the previously published write_index) and interrupt_mask == 0.
 * Returns true if the caller must signal the reader. Fast path.
 */
bool vmbus_ring_write_done(struct vmbus_ring *r);

/*
 * Writer: free bytes now (re-reads read_index). Returns bytes or -EPROTO. Fast path.
 */
int vmbus_ring_free_bytes(struct vmbus_ring *r);

/*
 * Either role: bytes between read_index and write_index as the control page says now, a gauge
 * for statistics (both indices may be moving). 0 when either index is invalid. Any thread.
 */
uint32_t vmbus_ring_pending_bytes(const struct vmbus_ring *r);

/*
 * Writer, blocked on -EAGAIN: ask the reader to signal us once a packet of 'pkt_size' bytes
 * (before padding) fits, by setting pending_send_sz; then re-check the space so a read that
 * happened meanwhile is not missed. Returns true if it already fits (retry now; pending_send_sz
 * stays set until vmbus_ring_pending_send_clear), false if the caller should wait for a signal.
 * Fast path.
 */
bool vmbus_ring_pending_send_set(struct vmbus_ring *r, size_t pkt_size);

/* Writer: clear pending_send_sz once unblocked. Fast path. */
void vmbus_ring_pending_send_clear(struct vmbus_ring *r);

/* ---------------------------------------------------------------------------------------------
 * Ring packets (pkt.c). Parsing works only on a private copy (vmbus_ring_read's buffer).
 */

/* A parsed packet; pointers point into the caller's buffer. */
struct vmbus_pkt {
	uint16_t type;		/* enum vmbus_pkt_type */
	uint16_t flags;		/* VMBUS_PKT_FLAG_* */
	uint64_t trans_id;	/* transaction id */
	uint32_t size;		/* len8 * 8 */
	uint32_t hdr_size;	/* offset8 * 8: descriptor + type header */
	const uint8_t *payload; /* bytes [hdr_size, size) */
	uint32_t payload_size;	/* size - hdr_size */
	/* XFER_PAGES */
	uint16_t xfer_set_id;	    /* transfer page set id */
	uint8_t xfer_sender_owns;   /* sender_owns_set */
	uint32_t n_xfer_ranges;	    /* ranges, each readable with vmbus_pkt_xfer_range() */
	const uint8_t *xfer_ranges; /* struct vmbus_xfer_range[n], possibly unaligned */
	/* GPA_DIRECT */
	uint32_t n_gpa_ranges;	  /* >= 1, iterate with vmbus_pkt_gpa_next() */
	uint32_t n_gpa_pfns;	  /* PFNs in all ranges */
	const uint8_t *gpa_ranges; /* first struct vmbus_gpa_range */
};

/* One GPA_DIRECT range, as returned by vmbus_pkt_gpa_next(). */
struct vmbus_pkt_gpa_range {
	uint32_t byte_count;  /* > 0 */
	uint32_t byte_offset; /* < 4096, into the first page */
	uint32_t n_pfns;      /* ceil((byte_offset + byte_count) / 4096) */
	const uint8_t *pfns;  /* n_pfns little-endian u64, read with vmbus_pkt_gpa_pfn() */
};

/*
 * Parse the packet in 'buf' ('size' bytes, a private copy). Checks: descriptor (len8 * 8 <= size,
 * 2 <= offset8 <= len8, flags), type known (INBAND, COMP, XFER_PAGES, GPA_DIRECT), type header
 * inside offset8 * 8; XFER_PAGES: 24 + 8 * range_count <= offset8 * 8 (ranges themselves are
 * not checked against any buffer); GPA_DIRECT: range_count >= 1, every range byte_count > 0,
 * byte_offset < 4096, and all PFNs inside offset8 * 8.
 * Returns 0, -EPROTO (malformed) or -EOPNOTSUPP (well-formed descriptor, unknown type). Any thread.
 */
int vmbus_pkt_parse(const void *buf, size_t size, struct vmbus_pkt *pkt);

/* XFER_PAGES: range 'i' (< n_xfer_ranges) of a parsed packet. */
struct vmbus_xfer_range vmbus_pkt_xfer_range(const struct vmbus_pkt *pkt, uint32_t i);

/*
 * GPA_DIRECT: iterate the ranges of a parsed packet. '*cursor' starts at 0.
 * Returns true and fills 'out' while ranges remain, false at the end.
 */
bool vmbus_pkt_gpa_next(const struct vmbus_pkt *pkt, uint32_t *cursor,
	struct vmbus_pkt_gpa_range *out);

/* GPA_DIRECT: PFN 'i' (< n_pfns) of a range. */
uint64_t vmbus_pkt_gpa_pfn(const struct vmbus_pkt_gpa_range *range, uint32_t i);

/*
 * Build an INBAND (6) or COMP (11) packet: 16-byte descriptor (offset8 = 2) + payload, zero
 * padded to 8, into 'buf' of 'size' bytes.
 * Returns the packet size (len8 * 8), -EMSGSIZE ('size' too small or packet > VMBUS_PKT_MAX_SIZE)
 * or -EINVAL (unknown flags). Any thread.
 */
int vmbus_pkt_build_inband(void *buf, size_t size, uint16_t flags, uint64_t trans_id,
	const void *payload, size_t payload_size);
int vmbus_pkt_build_comp(void *buf, size_t size, uint64_t trans_id, const void *payload,
	size_t payload_size);

/*
 * Build an XFER_PAGES (7) packet: descriptor + set id + 'n_ranges' ranges (offset8 covers them),
 * then the payload (netvsc: the NVSP message), zero padded to 8.
 * Returns the packet size, -EMSGSIZE or -EINVAL (n_ranges == 0 or unknown flags). Any thread.
 */
int vmbus_pkt_build_xfer_pages(void *buf, size_t size, uint16_t flags, uint64_t trans_id,
	uint16_t set_id, const struct vmbus_xfer_range *ranges, uint32_t n_ranges,
	const void *payload, size_t payload_size);

/* ---------------------------------------------------------------------------------------------
 * Channel-management messages (chanmsg.c), facts 4.
 */

enum vmbus_chanmsg_dir {
	VMBUS_CHANMSG_G2H, /* guest -> host (HvPostMessage) */
	VMBUS_CHANMSG_H2G, /* host -> guest (SynIC message slot) */
};

/* Any channel message, in private (aligned) memory. */
union vmbus_chanmsg {
	struct vmbus_chanmsg_hdr hdr;
	struct vmbus_chanmsg_offer offer;
	struct vmbus_chanmsg_relid relid; /* RESCIND, CLOSECHANNEL, RELID_RELEASED */
	struct vmbus_chanmsg_open open;
	struct vmbus_chanmsg_open_result open_result;
	struct vmbus_chanmsg_gpadl_header gpadl_header;
	struct vmbus_chanmsg_gpadl_body gpadl_body;
	struct vmbus_chanmsg_gpadl_created gpadl_created;
	struct vmbus_chanmsg_gpadl_teardown gpadl_teardown;
	struct vmbus_chanmsg_gpadl_torndown gpadl_torndown;
	struct vmbus_chanmsg_initiate_contact initiate_contact;
	struct vmbus_chanmsg_version_response version_response;
	struct vmbus_chanmsg_modifychannel modifychannel;
	struct vmbus_chanmsg_modifychannel_response modifychannel_response;
	uint8_t raw[VMBUS_MSG_PAYLOAD_MAX];
	uint64_t align; /* 8-byte alignment for the PFN arrays */
};

/*
 * Minimum size of message 'type' sent in direction 'dir' (facts 4.2: the structure size, which
 * is also what Linux requires of host messages, and at least the 8-byte header).
 * Returns bytes, or -EPROTO if 'type' is unknown or never sent in that direction.
 */
int vmbus_chanmsg_min_size(uint32_t type, enum vmbus_chanmsg_dir dir);

/*
 * Validate a received channel message of 'len' bytes in 'buf' travelling in direction 'dir':
 * 8 <= len <= 240, known type for that direction, len >= its minimum size.
 * Returns the message type (> 0), -EMSGSIZE (too short or too long) or -EPROTO (unknown type,
 * wrong direction). Any thread.
 */
int vmbus_chanmsg_check(const void *buf, size_t len, enum vmbus_chanmsg_dir dir);

/* Human-readable name of a message type ("offerchannel"), "unknown" otherwise. */
const char *vmbus_chanmsg_name(uint32_t type);

/*
 * Builders. Each zeroes 'm', fills one message and returns its size in bytes. Any thread.
 * Host -> guest:
 */
size_t vmbus_chanmsg_build_offer(union vmbus_chanmsg *m, const struct vmbus_guid *if_type,
	const struct vmbus_guid *if_instance, uint16_t sub_channel_index, uint32_t child_relid,
	uint32_t connection_id);
size_t vmbus_chanmsg_build_rescind(union vmbus_chanmsg *m, uint32_t child_relid);
size_t vmbus_chanmsg_build_alloffers_delivered(union vmbus_chanmsg *m);
size_t vmbus_chanmsg_build_open_result(union vmbus_chanmsg *m, uint32_t child_relid,
	uint32_t open_id, uint32_t status);
size_t vmbus_chanmsg_build_gpadl_created(union vmbus_chanmsg *m, uint32_t child_relid,
	uint32_t gpadl, uint32_t status);
size_t vmbus_chanmsg_build_gpadl_torndown(union vmbus_chanmsg *m, uint32_t gpadl);
size_t vmbus_chanmsg_build_version_response(union vmbus_chanmsg *m, bool supported,
	uint8_t connection_state, uint32_t msg_conn_id);
size_t vmbus_chanmsg_build_unload_response(union vmbus_chanmsg *m);
size_t vmbus_chanmsg_build_modifychannel_response(union vmbus_chanmsg *m, uint32_t child_relid,
	uint32_t status);
/* Guest -> host (GPADL_HEADER / GPADL_BODY: vmbus_gpadl_build_msg): */
size_t vmbus_chanmsg_build_initiate_contact(union vmbus_chanmsg *m, uint32_t version,
	uint32_t target_vcpu, uint64_t monitor_page1, uint64_t monitor_page2);
size_t vmbus_chanmsg_build_request_offers(union vmbus_chanmsg *m);
size_t vmbus_chanmsg_build_open(union vmbus_chanmsg *m, uint32_t child_relid, uint32_t open_id,
	uint32_t ring_gpadl, uint32_t target_vp, uint32_t downstream_ring_page_offset);
size_t vmbus_chanmsg_build_close(union vmbus_chanmsg *m, uint32_t child_relid);
size_t vmbus_chanmsg_build_gpadl_teardown(union vmbus_chanmsg *m, uint32_t child_relid,
	uint32_t gpadl);
size_t vmbus_chanmsg_build_relid_released(union vmbus_chanmsg *m, uint32_t child_relid);
size_t vmbus_chanmsg_build_unload(union vmbus_chanmsg *m);
size_t vmbus_chanmsg_build_modifychannel(union vmbus_chanmsg *m, uint32_t child_relid,
	uint32_t target_vp);

/*
 * Guest side: wrap a channel message of 'size' bytes into an HvPostMessage input for
 * 'connection_id' (facts 1.5). Returns 0 or -EMSGSIZE (size < 8 or > 240). Any thread.
 */
int vmbus_post_msg_pack(struct hv_post_message *pm, uint32_t connection_id, const void *msg,
	size_t size);

/*
 * Host side: unwrap a received HvPostMessage into 'out' (zero-filled beyond the payload) and
 * return the connection id (low 24 bits) in '*connection_id'. Checks message_type ==
 * VMBUS_MESSAGE_TYPE and 8 <= payload_size <= 240; the message itself is checked by
 * vmbus_chanmsg_check(). Returns the payload size, -EPROTO (message type) or -EMSGSIZE.
 */
int vmbus_post_msg_unpack(const struct hv_post_message *pm, uint32_t *connection_id,
	union vmbus_chanmsg *out);

/* Host side: wrap a channel message into a SynIC message slot (facts 3.1). As _post_msg_pack. */
int vmbus_hv_msg_pack(struct hv_message *hm, const void *msg, size_t size);

/* Guest side: unwrap a SynIC message slot. Returns the payload size, -EPROTO or -EMSGSIZE. */
int vmbus_hv_msg_unpack(const struct hv_message *hm, union vmbus_chanmsg *out);

/* ---------------------------------------------------------------------------------------------
 * GPADLs (gpadl.c), facts 4.3 and 9 item 3.
 */

/* Incomplete GPADLs one connection may have in flight, and their PFNs in total. */
#define VMBUS_GPADL_MAX_PENDING 64u
#define VMBUS_GPADL_MAX_PENDING_PAGES (2u * VMBUS_USER_MAX_GPADL_PAGES)

/* A complete GPADL: one range of guest memory. */
struct vmbus_gpadl {
	uint32_t relid;	      /* channel it was created for */
	uint32_t handle;      /* guest-chosen handle */
	uint32_t byte_offset; /* < 4096, into pfns[0] */
	uint32_t byte_count;  /* > 0 */
	uint32_t n_pfns;      /* ceil((byte_offset + byte_count) / 4096), <= max GPADL pages */
	uint64_t pfns[];      /* each < the partition's memory pages */
};

/* Identifies the GPADL a fed message belonged to, when known (to answer GPADL_CREATED). */
struct vmbus_gpadl_id {
	bool valid;	 /* relid and handle are meaningful */
	uint32_t relid;	 /* from the GPADL_HEADER */
	uint32_t handle; /* GPADL handle */
};

struct vmbus_gpadl_asm; /* opaque: the GPADLs of one connection being assembled */

/*
 * Create an assembler for a partition of 'mem_pages' pages of memory (every PFN must be below).
 * Returns the assembler, or NULL with errno = ENOMEM / EINVAL (mem_pages == 0).
 * Ownership: the caller; free with vmbus_gpadl_asm_destroy(). Control thread.
 */
struct vmbus_gpadl_asm *vmbus_gpadl_asm_create(uint64_t mem_pages);

/* Free the assembler and every incomplete GPADL. NULL is a no-op. */
void vmbus_gpadl_asm_destroy(struct vmbus_gpadl_asm *a);

/*
 * Feed one GPADL_HEADER or GPADL_BODY message ('size' bytes, private copy). Bodies are matched
 * to headers by handle. Validation (facts 9 item 3): range count exactly 1 (multi-range GPADLs
 * are refused: no netvsc guest sends them), byte_count > 0, byte_offset <= 0xfff, PFN count =
 * ceil((offset + count) / 4096) <= VMBUS_USER_MAX_GPADL_PAGES, range_buflen == 8 + 8 * PFNs
 * (modulo 2^16: Linux computes it in a u16), no message carries more PFNs than remain, every
 * PFN < mem_pages, handle not already in flight. The caller must itself refuse a handle it
 * already holds complete (the assembler forgets GPADLs once returned).
 * On any error the GPADL concerned is dropped; '*id' (may be NULL) tells which one when known.
 * Returns 1 with '*done' set (ownership to the caller: vmbus_gpadl_free), 0 if more bodies are
 * expected, or -EPROTO (malformed), -EOPNOTSUPP (range count > 1), -E2BIG (too many pages),
 * -EFAULT (PFN outside memory), -EEXIST (handle in flight), -ENOENT (body of unknown handle),
 * -ENOBUFS (too many GPADLs/pages in flight), -ENOMEM. Control thread.
 */
int vmbus_gpadl_asm_feed(struct vmbus_gpadl_asm *a, const void *msg, size_t size,
	struct vmbus_gpadl_id *id, struct vmbus_gpadl **done);

/* Incomplete GPADLs in flight. */
unsigned int vmbus_gpadl_asm_pending(const struct vmbus_gpadl_asm *a);

/*
 * Forget the incomplete GPADLs of channel 'relid' (rescind / relid released), or all of them
 * with vmbus_gpadl_asm_reset (UNLOAD). Returns how many were dropped. Control thread.
 */
unsigned int vmbus_gpadl_asm_drop_relid(struct vmbus_gpadl_asm *a, uint32_t relid);
unsigned int vmbus_gpadl_asm_reset(struct vmbus_gpadl_asm *a);

/* Free a GPADL returned by vmbus_gpadl_asm_feed. NULL is a no-op. */
void vmbus_gpadl_free(struct vmbus_gpadl *g);

/* Guest side: number of messages (1 header + bodies) for a GPADL of 'n_pfns' pages. */
uint32_t vmbus_gpadl_n_msgs(uint32_t n_pfns);

/*
 * Guest side: build message 'idx' (0 = GPADL_HEADER with up to 26 PFNs, then GPADL_BODY with up
 * to 28 each, as Linux splits them, facts 4.3) of the GPADL (relid, handle, byte_offset,
 * byte_count, pfns[n_pfns]). Returns the message size, or -EINVAL (n_pfns does not match
 * offset/count, byte_offset > 0xfff, byte_count == 0, idx out of range). Any thread.
 */
int vmbus_gpadl_build_msg(union vmbus_chanmsg *m, uint32_t idx, uint32_t relid, uint32_t handle,
	uint32_t byte_offset, uint32_t byte_count, const uint64_t *pfns, uint32_t n_pfns);

/* PFNs covered by a range of 'byte_count' bytes at 'byte_offset' (< 4096). */
static inline uint64_t vmbus_range_pfns(uint32_t byte_offset, uint32_t byte_count)
{
	/* computed in 64 bits: offset < 2^12 and count < 2^32 cannot overflow */
	return ((uint64_t)byte_offset + byte_count + VMBUS_PAGE_SIZE - 1) >> VMBUS_PAGE_SHIFT;
}

/* ---------------------------------------------------------------------------------------------
 * Guest memory mapping (gmem.c), host side.
 */

struct vmbus_gmem {
	int fd;		    /* partition memory memfd (not owned) */
	uint64_t size;	    /* bytes, multiple of 4096 */
	uint64_t n_pages;   /* size / 4096: every PFN must be below */
};

/* A ring GPADL mapped by vmbus_gmem_map_rings(). */
struct vmbus_gmem_rings {
	void *va;	 /* whole mapping, n_pfns pages */
	size_t size;	 /* bytes of the whole mapping */
	void *g2h;	 /* guest -> host ring: pages [0, offset) */
	size_t g2h_size; /* bytes */
	void *h2g;	 /* host -> guest ring: pages [offset, n) */
	size_t h2g_size; /* bytes */
};

/*
 * Describe the partition memory 'fd' of 'size' bytes. The memfd must be at least 'size' bytes
 * and sealed against shrinking (F_SEAL_SHRINK): otherwise the guest could truncate it and make
 * every host access fault (SIGBUS). The fd is not duplicated; it must stay open while mappings
 * are made. Returns 0, -EINVAL (size 0 or not page aligned), -EPERM (not sealed against
 * shrinking), -ERANGE (file smaller than 'size') or -errno from fstat/fcntl. Any thread.
 */
int vmbus_gmem_init(struct vmbus_gmem *g, int fd, uint64_t size);

/*
 * Map the 'n_pfns' guest pages 'pfns' read-write into one contiguous private VA range (each run
 * of consecutive PFNs is one shared mapping of the memfd). Every PFN is checked again.
 * Returns 0 with '*va' set (unmap with vmbus_gmem_unmap(*va, n_pfns)), -EINVAL (n_pfns == 0),
 * -E2BIG (n_pfns > VMBUS_USER_MAX_GPADL_PAGES), -EFAULT (PFN >= n_pages) or -errno from mmap.
 * Any thread.
 */
int vmbus_gmem_map(const struct vmbus_gmem *g, const uint64_t *pfns, uint32_t n_pfns, void **va);

/* Unmap what vmbus_gmem_map returned. Returns 0 or -errno. */
int vmbus_gmem_unmap(void *va, uint32_t n_pfns);

/*
 * Map a ring GPADL and split it at 'downstream_offset' pages (OPENCHANNEL, facts 4.3): the G->H
 * ring is pages [0, offset), the H->G ring pages [offset, n); each must have >= 2 pages.
 * Returns 0, -EINVAL (bad split) or the errors of vmbus_gmem_map. Unmap with
 * vmbus_gmem_unmap_rings. Any thread.
 */
int vmbus_gmem_map_rings(const struct vmbus_gmem *g, const uint64_t *pfns, uint32_t n_pfns,
	uint32_t downstream_offset, struct vmbus_gmem_rings *out);

/* Unmap rings mapped by vmbus_gmem_map_rings (fields zeroed). Returns 0 or -errno. */
int vmbus_gmem_unmap_rings(struct vmbus_gmem_rings *rings);

#endif
