/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for vmbus/ring.c + pkt.c as the host sees a guest's ring: the input is the
 * control page's indices and the data area, all guest-controlled. The reader must never read
 * outside the ring or the caller's buffer, must terminate, and every packet it returns must
 * parse without crashing. Then, as a property check, packets written by our writer into the
 * same ring (starting at the fuzzed index) must read back unchanged.
 *
 * Input: u32 write_index, u32 read_index, u32 interrupt_mask, u32 pending_send_sz,
 *        u8 options (bit 0 feature bit, bits 1-2 read buffer size), then the data area
 *        (truncated to a multiple of 8, 32..65536 bytes).
 */
#include "vmbus.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define HDR 17u
#define MAX_DATA 65536u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void parse_packet(const uint8_t *buf, size_t n)
{
	struct vmbus_pkt pkt;
	struct vmbus_pkt_gpa_range r;
	uint64_t acc = 0;
	uint32_t i, cur = 0;

	if (vmbus_pkt_parse(buf, n, &pkt) != 0)
		return;
	/* touch everything the parser vouched for: ASan checks the bounds */
	for (i = 0; i < pkt.payload_size; i++)
		acc += pkt.payload[i];
	for (i = 0; i < pkt.n_xfer_ranges; i++)
		acc += vmbus_pkt_xfer_range(&pkt, i).byte_count;
	while (vmbus_pkt_gpa_next(&pkt, &cur, &r)) {
		if (r.byte_count == 0 || r.byte_offset >= 4096 || r.n_pfns == 0)
			__builtin_trap();
		for (i = 0; i < r.n_pfns; i++)
			acc += vmbus_pkt_gpa_pfn(&r, i);
	}
	if (pkt.hdr_size > pkt.size || pkt.size > n)
		__builtin_trap();
	__asm__ volatile("" : : "r"(acc));
}

static void read_all(struct vmbus_ring *r, uint8_t *buf, size_t buf_size)
{
	/* each packet consumes >= 24 bytes of a snapshot that never grows here */
	uint32_t limit = r->size / 24 + 2, n_pkts = 0;

	for (;;) {
		int n = vmbus_ring_read(r, buf, buf_size);

		if (n == -EMSGSIZE) {
			int sz = vmbus_ring_peek_size(r);

			if (sz <= (int)buf_size || vmbus_ring_skip(r) != sz)
				__builtin_trap();
		} else if (n < 0) {
			if (n != -EAGAIN && n != -EPROTO)
				__builtin_trap();
			break;
		} else {
			if ((size_t)n > buf_size || n < 16 || (n & 7) != 0)
				__builtin_trap();
			parse_packet(buf, (size_t)n);
		}
		if (++n_pkts > limit)
			__builtin_trap(); /* reader failed to make progress */
	}
	(void)vmbus_ring_read_done(r);
	(void)vmbus_ring_intr_unmask(r);
}

/* Write packets sized by the data bytes, then read them back through a second view. */
static void write_read_back(uint8_t *mem, uint32_t ring_size, uint32_t start,
	const uint8_t *sizes, size_t n_sizes)
{
	struct vmbus_ring_ctl *ctl = (struct vmbus_ring_ctl *)mem;
	struct vmbus_ring w, rd;
	static uint8_t payload[1100], back[1200];
	uint32_t i, written = 0;

	memset(mem, 0, 4096);
	ctl->write_index = start;
	ctl->read_index = start;
	if (vmbus_ring_init(&w, mem, ring_size, VMBUS_RING_WRITER) != 0 ||
		vmbus_ring_init(&rd, mem, ring_size, VMBUS_RING_READER) != 0)
		return;
	for (i = 0; i < n_sizes && i < 64; i++) {
		struct iovec v = {.iov_base = payload, .iov_len = (size_t)sizes[i] * 4u};

		memset(payload, (int)i, v.iov_len);
		if (vmbus_ring_write_simple(&w, VMBUS_PKT_INBAND, 0, i, &v, 1) != 0)
			break;
		written++;
	}
	(void)vmbus_ring_write_done(&w);
	for (i = 0; i < written; i++) {
		struct vmbus_pkt pkt;
		uint32_t k;
		int n = vmbus_ring_read(&rd, back, sizeof(back));

		if (n < 0 || vmbus_pkt_parse(back, (size_t)n, &pkt) != 0 || pkt.trans_id != i ||
			pkt.payload_size < (uint32_t)sizes[i] * 4u)
			__builtin_trap();
		for (k = 0; k < (uint32_t)sizes[i] * 4u; k++) {
			if (pkt.payload[k] != (uint8_t)i)
				__builtin_trap();
		}
	}
	if (vmbus_ring_read(&rd, back, sizeof(back)) != -EAGAIN)
		__builtin_trap();
	(void)vmbus_ring_read_done(&rd);
	if (vmbus_ring_free_bytes(&w) != (int)(ring_size - 4096))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t buf_sizes[4] = {24, 64, 512, 4096};
	struct vmbus_ring_ctl *ctl;
	struct vmbus_ring r;
	uint32_t data_size, idx[4];
	uint8_t *mem, *buf;
	size_t buf_size;

	if (size < HDR + 32)
		return 0;
	data_size = (uint32_t)((size - HDR) & ~(size_t)7);
	if (data_size > MAX_DATA)
		data_size = MAX_DATA;
	memcpy(idx, data, sizeof(idx));
	buf_size = buf_sizes[(data[16] >> 1) & 3];

	/* exact-size allocations so ASan catches any byte outside the ring or the buffer */
	mem = malloc(4096 + data_size);
	buf = malloc(buf_size);
	if (mem == NULL || buf == NULL)
		goto out;
	memset(mem, 0, 4096);
	ctl = (struct vmbus_ring_ctl *)mem;
	ctl->write_index = idx[0];
	ctl->read_index = idx[1];
	ctl->interrupt_mask = idx[2];
	ctl->pending_send_sz = idx[3];
	ctl->feature_bits = data[16] & 1;
	memcpy(mem + 4096, data + HDR, data_size);

	if (vmbus_ring_init(&r, mem, 4096 + data_size, VMBUS_RING_READER) == 0)
		read_all(&r, buf, buf_size);

	write_read_back(mem, 4096 + data_size, idx[0] % data_size & ~7u, data + HDR,
		size - HDR);
out:
	free(buf);
	free(mem);
	return 0;
}
