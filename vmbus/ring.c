/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One direction of a VMBus ring buffer (facts 5.1-5.3), either role, over memory the peer can
 * write at any time.
 *
 * Index rules: read_index and write_index are byte offsets into the data area, multiples of 8,
 * below the data size; empty is read == write; the writer never fills the ring completely
 * (it refuses a packet when free bytes <= bytes needed), so full and empty are distinct.
 *
 * Trust rules: each side keeps its own index in private memory (rd_priv/wr_priv) and only ever
 * stores it to the control page, so a peer scribbling over our index cannot move us. The peer's
 * index is loaded with acquire ordering when needed and validated before any use. Packets are
 * copied out of the ring first, and only the copy is validated and handed to the caller.
 *
 * Signalling contract (facts 5.3), with the barriers placed as Linux and OpenVMM place them:
 *  - writer: copy packet + trailer; publish write_index (release); full fence; read
 *    interrupt_mask then read_index; signal iff mask == 0 and read_index == the write_index that
 *    was published before this batch (the reader had drained the ring, so it may be asleep).
 *  - reader: finish copying; publish read_index (release); full fence; read pending_send_sz and
 *    write_index; signal iff the feature bit allows it and the free space crossed the writer's
 *    pending_send_sz with this batch.
 *  - reader going idle: clear interrupt_mask; full fence; re-read write_index. Paired with the
 *    writer's "store write_index; fence; load interrupt_mask", at least one side sees the other.
 */
#include "vmbus.h"

#include <errno.h>
#include <string.h>

#include "internal.h"

static bool ring_index_ok(const struct vmbus_ring *r, uint32_t idx)
{
	return (idx & 7u) == 0 && idx < r->size;
}

/* Bytes from 'from' to 'to' going forward around the ring. */
static uint32_t ring_dist(const struct vmbus_ring *r, uint32_t from, uint32_t to)
{
	return to >= from ? to - from : r->size - from + to;
}

static uint32_t ring_advance(const struct vmbus_ring *r, uint32_t idx, uint32_t n)
{
	/* idx < size and n <= size, both <= 2^30: the sum cannot wrap a u32 */
	idx += n;
	return idx >= r->size ? idx - r->size : idx;
}

/* Free bytes for a writer at 'wr' when the reader is at 'rd' (Linux's formula). */
static uint32_t ring_free(const struct vmbus_ring *r, uint32_t wr, uint32_t rd)
{
	return r->size - ring_dist(r, rd, wr);
}

/* Copy 'n' bytes (n <= size) out of the ring from offset 'off', in two parts at the end. */
static void ring_copy_out(const struct vmbus_ring *r, uint32_t off, void *dst, uint32_t n)
{
	uint32_t first = r->size - off;

	if (first >= n) {
		memcpy(dst, r->data + off, n);
	} else {
		memcpy(dst, r->data + off, first);
		memcpy((uint8_t *)dst + first, r->data, n - first);
	}
}

static void ring_copy_in(struct vmbus_ring *r, uint32_t off, const void *src, uint32_t n)
{
	uint32_t first = r->size - off;

	if (first >= n) {
		memcpy(r->data + off, src, n);
	} else {
		memcpy(r->data + off, src, first);
		memcpy(r->data, (const uint8_t *)src + first, n - first);
	}
}

int vmbus_ring_init(struct vmbus_ring *r, void *mem, size_t ring_size, enum vmbus_ring_role role)
{
	uint32_t idx;

	if (mem == NULL || ((uintptr_t)mem & 7u) != 0 || ring_size <= VMBUS_PAGE_SIZE)
		return -EINVAL;
	ring_size -= VMBUS_PAGE_SIZE;
	if ((ring_size & 7u) != 0 || ring_size < 32 || ring_size > VMBUS_RING_MAX_DATA)
		return -EINVAL;
	if (role != VMBUS_RING_READER && role != VMBUS_RING_WRITER)
		return -EINVAL;

	memset(r, 0, sizeof(*r));
	r->ctl = mem;
	r->data = (uint8_t *)mem + VMBUS_PAGE_SIZE;
	r->size = (uint32_t)ring_size;
	r->role = role;

	/* Adopt our own index once, as the ring's creator left it; from now on it is private. */
	if (role == VMBUS_RING_READER) {
		idx = __atomic_load_n(&r->ctl->read_index, __ATOMIC_RELAXED);
		if (!ring_index_ok(r, idx))
			return -EPROTO;
		r->rd_priv = r->rd_pub = r->wr_snap = idx;
	} else {
		idx = __atomic_load_n(&r->ctl->write_index, __ATOMIC_RELAXED);
		if (!ring_index_ok(r, idx))
			return -EPROTO;
		r->wr_priv = r->wr_pub = idx;
	}
	return 0;
}

void vmbus_ring_ctl_reset(struct vmbus_ring *r)
{
	r->ctl->write_index = 0;
	r->ctl->read_index = 0;
	r->ctl->interrupt_mask = 0;
	r->ctl->pending_send_sz = 0;
	r->ctl->feature_bits = VMBUS_RING_FEAT_PENDING_SEND_SZ;
	r->rd_priv = r->rd_pub = r->wr_snap = 0;
	r->wr_priv = r->wr_pub = 0;
	/* the reset must be visible before the peer is told about the ring */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/*
 * Reader: validate and return the descriptor of the next packet, refreshing the snapshot of
 * write_index once the previous snapshot is used up (one acquire load per batch).
 * Returns the packet size (len8 * 8), -EAGAIN or -EPROTO.
 */
static int ring_next_desc(struct vmbus_ring *r, struct vmbus_pkt_desc *d)
{
	uint32_t avail = ring_dist(r, r->rd_priv, r->wr_snap);
	uint32_t len;

	if (avail == 0) {
		uint32_t w;

		/* acquire: pairs with the writer's release store, so the packet bytes it
		 * published are visible to the copies below */
		w = __atomic_load_n(&r->ctl->write_index, __ATOMIC_ACQUIRE);
		if (!ring_index_ok(r, w))
			return -EPROTO;
		r->wr_snap = w;
		avail = ring_dist(r, r->rd_priv, w);
		if (avail == 0)
			return -EAGAIN;
	}
	/* a published packet is at least a descriptor plus its trailer */
	if (avail < VMBUS_RING_MIN_PKT + VMBUS_PKT_TRAILER_SIZE)
		return -EPROTO;

	/* Copy first, then validate the copy: the guest may rewrite the ring meanwhile. */
	ring_copy_out(r, r->rd_priv, d, sizeof(*d));
	len = (uint32_t)d->len8 * 8u;
	if (len < VMBUS_RING_MIN_PKT || d->offset8 < 2 || d->offset8 > d->len8)
		return -EPROTO;
	if ((d->flags & ~VMBUS_PKT_FLAG_COMPLETION_REQUESTED) != 0)
		return -EPROTO;
	if ((uint64_t)len + VMBUS_PKT_TRAILER_SIZE > avail)
		return -EPROTO;
	return (int)len;
}

int vmbus_ring_read(struct vmbus_ring *r, void *buf, size_t size)
{
	struct vmbus_pkt_desc d;
	int len = ring_next_desc(r, &d);

	if (len < 0)
		return len;
	if ((size_t)len > size)
		return -EMSGSIZE;
	ring_copy_out(r, r->rd_priv, buf, (uint32_t)len);
	/* The caller sees the descriptor we validated, not whatever the guest wrote after. */
	memcpy(buf, &d, sizeof(d));
	r->rd_priv = ring_advance(r, r->rd_priv, (uint32_t)len + VMBUS_PKT_TRAILER_SIZE);
	return len;
}

int vmbus_ring_peek_size(struct vmbus_ring *r)
{
	struct vmbus_pkt_desc d;

	return ring_next_desc(r, &d);
}

int vmbus_ring_skip(struct vmbus_ring *r)
{
	struct vmbus_pkt_desc d;
	int len = ring_next_desc(r, &d);

	if (len < 0)
		return len;
	r->rd_priv = ring_advance(r, r->rd_priv, (uint32_t)len + VMBUS_PKT_TRAILER_SIZE);
	return len;
}

bool vmbus_ring_read_done(struct vmbus_ring *r)
{
	uint32_t old = r->rd_pub;
	uint32_t pending, w, free_before, free_after;

	if (r->rd_priv == old)
		return false;
	r->rd_pub = r->rd_priv;
	/* release: our copies out of the data area complete before the writer may reuse it */
	__atomic_store_n(&r->ctl->read_index, r->rd_priv, __ATOMIC_RELEASE);
	/* full fence: the read_index store is ordered before the pending_send_sz load
	 * (store->load, which release/acquire alone do not order) */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);

	/* The writer's feature bit says whether it uses pending_send_sz at all (facts 5.3). */
	if ((__atomic_load_n(&r->ctl->feature_bits, __ATOMIC_RELAXED) &
		    VMBUS_RING_FEAT_PENDING_SEND_SZ) == 0)
		return false;
	/* OpenVMM masks the low bits: sizes are counted in 8-byte units */
	pending = __atomic_load_n(&r->ctl->pending_send_sz, __ATOMIC_RELAXED) & ~7u;
	if (pending == 0)
		return false;
	w = __atomic_load_n(&r->ctl->write_index, __ATOMIC_RELAXED);
	if (!ring_index_ok(r, w))
		return true; /* a spurious signal is harmless; the next read reports -EPROTO */

	/* The writer proceeds when free > needed, so signal when free crosses pending. */
	free_before = ring_free(r, w, old);
	free_after = ring_free(r, w, r->rd_pub);
	return free_before <= pending && free_after > pending;
}

void vmbus_ring_intr_mask(struct vmbus_ring *r)
{
	__atomic_store_n(&r->ctl->interrupt_mask, 1u, __ATOMIC_RELAXED);
	/* full fence: the mask is visible before we look at the ring again (a hint only: the
	 * writer may still signal once; that is harmless) */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

bool vmbus_ring_intr_unmask(struct vmbus_ring *r)
{
	uint32_t w;

	__atomic_store_n(&r->ctl->interrupt_mask, 0u, __ATOMIC_RELAXED);
	/* full fence: the mask store is ordered before the write_index load; the writer has the
	 * mirror fence (write_index store before mask load), so a packet published while we were
	 * masked is either seen here or signalled by the writer */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	w = __atomic_load_n(&r->ctl->write_index, __ATOMIC_ACQUIRE);
	return w != r->rd_priv;
}

/* Writer: the reader's read_index, validated. Returns it or -EPROTO. */
static int64_t ring_read_index(struct vmbus_ring *r)
{
	/* acquire: pairs with the reader's release store, so the reader finished copying out
	 * the space it freed before we overwrite it */
	uint32_t rd = __atomic_load_n(&r->ctl->read_index, __ATOMIC_ACQUIRE);

	return ring_index_ok(r, rd) ? (int64_t)rd : -EPROTO;
}

int vmbus_ring_write(struct vmbus_ring *r, const struct iovec *iov, int iovcnt)
{
	static const uint8_t zeros[8];
	uint64_t total = 0, trailer;
	uint32_t padded, needed, off;
	int64_t rd;
	int i;

	if (iovcnt < 1)
		return -EINVAL;
	for (i = 0; i < iovcnt; i++)
		total += iov[i].iov_len;
	if (total < VMBUS_RING_MIN_PKT)
		return -EINVAL;
	if (total > VMBUS_PKT_MAX_SIZE)
		return -EMSGSIZE;
	padded = vmbus_align8((uint32_t)total);
	needed = padded + VMBUS_PKT_TRAILER_SIZE;
	if (needed >= r->size)
		return -EMSGSIZE;

	rd = ring_read_index(r);
	if (rd < 0)
		return (int)rd;
	/* never fill completely: full would look like empty */
	if (ring_free(r, r->wr_priv, (uint32_t)rd) <= needed)
		return -EAGAIN;

	off = r->wr_priv;
	for (i = 0; i < iovcnt; i++) {
		ring_copy_in(r, off, iov[i].iov_base, (uint32_t)iov[i].iov_len);
		off = ring_advance(r, off, (uint32_t)iov[i].iov_len);
	}
	ring_copy_in(r, off, zeros, padded - (uint32_t)total);
	off = ring_advance(r, off, padded - (uint32_t)total);
	/* trailer: low u32 reserved, high u32 = where this packet started (readers ignore it) */
	trailer = (uint64_t)r->wr_priv << 32;
	ring_copy_in(r, off, &trailer, sizeof(trailer));
	r->wr_priv = ring_advance(r, off, VMBUS_PKT_TRAILER_SIZE);
	return 0;
}

int vmbus_ring_write_simple(struct vmbus_ring *r, uint16_t type, uint16_t flags,
	uint64_t trans_id, const struct iovec *iov, int iovcnt)
{
	struct iovec v[9];
	struct vmbus_pkt_desc d;
	uint64_t total = sizeof(d);
	int i;

	if (iovcnt < 0 || iovcnt > 8)
		return -EINVAL;
	for (i = 0; i < iovcnt; i++) {
		total += iov[i].iov_len;
		v[i + 1] = iov[i];
	}
	if (total > VMBUS_PKT_MAX_SIZE)
		return -EMSGSIZE;
	vmbus_pkt_desc_fill(&d, type, sizeof(d), (uint32_t)total, flags, trans_id);
	v[0].iov_base = &d;
	v[0].iov_len = sizeof(d);
	return vmbus_ring_write(r, v, iovcnt + 1);
}

bool vmbus_ring_write_done(struct vmbus_ring *r)
{
	uint32_t old = r->wr_pub;
	uint32_t mask, rd;

	if (r->wr_priv == old)
		return false;
	r->wr_pub = r->wr_priv;
	/* release: packet bytes and trailers are visible before the new write_index (the reader
	 * loads it with acquire); Linux uses a full barrier here, release is what it needs */
	__atomic_store_n(&r->ctl->write_index, r->wr_pub, __ATOMIC_RELEASE);
	/* full fence: the write_index store is ordered before the interrupt_mask and read_index
	 * loads (store->load); mirrors the reader's unmask-then-recheck */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	mask = __atomic_load_n(&r->ctl->interrupt_mask, __ATOMIC_RELAXED);
	if (mask != 0)
		return false;
	rd = __atomic_load_n(&r->ctl->read_index, __ATOMIC_RELAXED);
	/* the reader had consumed everything before this batch: it may be waiting for a signal */
	return rd == old;
}

uint32_t vmbus_ring_pending_bytes(const struct vmbus_ring *r)
{
	uint32_t w = __atomic_load_n(&r->ctl->write_index, __ATOMIC_RELAXED);
	uint32_t rd = __atomic_load_n(&r->ctl->read_index, __ATOMIC_RELAXED);

	if (!ring_index_ok(r, w) || !ring_index_ok(r, rd))
		return 0;
	return ring_dist(r, rd, w);
}

int vmbus_ring_free_bytes(struct vmbus_ring *r)
{
	int64_t rd = ring_read_index(r);

	if (rd < 0)
		return (int)rd;
	return (int)ring_free(r, r->wr_priv, (uint32_t)rd);
}

bool vmbus_ring_pending_send_set(struct vmbus_ring *r, size_t pkt_size)
{
	uint64_t needed = (uint64_t)vmbus_align8(pkt_size > VMBUS_PKT_MAX_SIZE ?
						     VMBUS_PKT_MAX_SIZE : (uint32_t)pkt_size) +
		VMBUS_PKT_TRAILER_SIZE;
	int64_t rd;

	__atomic_store_n(&r->ctl->pending_send_sz, (uint32_t)needed, __ATOMIC_RELAXED);
	/* full fence: pending_send_sz is visible before we re-read read_index; the reader has
	 * the mirror fence (read_index store before pending_send_sz load), so a read that
	 * freed the space is either seen here or signals us */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	rd = ring_read_index(r);
	if (rd < 0)
		return true; /* let the retry report -EPROTO */
	return ring_free(r, r->wr_priv, (uint32_t)rd) > needed;
}

void vmbus_ring_pending_send_clear(struct vmbus_ring *r)
{
	/* relaxed: a stale non-zero value only costs the reader one spurious signal */
	__atomic_store_n(&r->ctl->pending_send_sz, 0u, __ATOMIC_RELAXED);
}
