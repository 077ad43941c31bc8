/* SPDX-License-Identifier: BSD-3-Clause */
/* Unit tests for ring.c: both roles over one block of memory, as the two sides of a channel. */
#include "vmbus.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

struct pair {
	uint8_t *mem;		/* control page + data area */
	uint32_t data_size;	/* data area bytes */
	struct vmbus_ring_ctl *ctl;
	uint8_t *data;
	struct vmbus_ring rd;	/* reader side */
	struct vmbus_ring wr;	/* writer side */
};

/* A fresh ring of 'data_size' bytes with both indices at 'start' (to place packets anywhere). */
static void pair_init(struct pair *p, uint32_t data_size, uint32_t start)
{
	p->data_size = data_size;
	p->mem = aligned_alloc(4096, 4096 + ((data_size + 4095) & ~4095u));
	assert_non_null(p->mem);
	memset(p->mem, 0xa5, 4096 + data_size); /* garbage everywhere the writer did not write */
	p->ctl = (struct vmbus_ring_ctl *)p->mem;
	p->data = p->mem + 4096;
	p->ctl->write_index = 0;
	p->ctl->read_index = 0;
	assert_int_equal(vmbus_ring_init(&p->wr, p->mem, 4096 + data_size, VMBUS_RING_WRITER), 0);
	vmbus_ring_ctl_reset(&p->wr);
	p->ctl->write_index = start;
	p->ctl->read_index = start;
	assert_int_equal(vmbus_ring_init(&p->wr, p->mem, 4096 + data_size, VMBUS_RING_WRITER), 0);
	assert_int_equal(vmbus_ring_init(&p->rd, p->mem, 4096 + data_size, VMBUS_RING_READER), 0);
}

static void pair_fini(struct pair *p)
{
	free(p->mem);
}

static void fill(uint8_t *b, size_t n, uint32_t seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		b[i] = (uint8_t)(seed * 31u + i * 7u + (i >> 8));
}

/* Write an INBAND packet with 'payload' bytes of pattern 'seed'; returns vmbus_ring_write's. */
static int put(struct pair *p, uint32_t payload, uint32_t seed)
{
	uint8_t buf[65536];
	struct iovec v = {.iov_base = buf, .iov_len = payload};

	assert_true(payload <= sizeof(buf));
	fill(buf, payload, seed);
	return vmbus_ring_write_simple(&p->wr, VMBUS_PKT_INBAND, 0, seed, &v, 1);
}

/* Read one packet and check it is what put(payload, seed) wrote. */
static void get_check(struct pair *p, uint32_t payload, uint32_t seed)
{
	static uint8_t buf[65536 + 64], want[65536];
	struct vmbus_pkt_desc d;
	int n = vmbus_ring_read(&p->rd, buf, sizeof(buf));

	assert_int_equal(n, (int)((16 + payload + 7) & ~7u));
	memcpy(&d, buf, sizeof(d));
	assert_int_equal(d.type, VMBUS_PKT_INBAND);
	assert_int_equal(d.offset8, 2);
	assert_int_equal(d.len8 * 8, n);
	assert_int_equal(d.trans_id, seed);
	fill(want, payload, seed);
	assert_memory_equal(buf + 16, want, payload);
}

static void ring_init_rejects_bad_sizes(void **state)
{
	struct vmbus_ring r;
	uint8_t *mem = aligned_alloc(4096, 8192);

	(void)state;
	memset(mem, 0, 8192);
	assert_int_equal(vmbus_ring_init(&r, mem, 4096, VMBUS_RING_READER), -EINVAL);
	assert_int_equal(vmbus_ring_init(&r, mem, 4096 + 24, VMBUS_RING_READER), -EINVAL);
	assert_int_equal(vmbus_ring_init(&r, mem, 4096 + 36, VMBUS_RING_READER), -EINVAL);
	assert_int_equal(vmbus_ring_init(&r, mem + 4, 8192 - 8, VMBUS_RING_READER), -EINVAL);
	assert_int_equal(vmbus_ring_init(&r, NULL, 8192, VMBUS_RING_READER), -EINVAL);
	assert_int_equal(vmbus_ring_init(&r, mem, 4096 + 32, VMBUS_RING_READER), 0);
	assert_int_equal(vmbus_ring_init(&r, mem, 8192, VMBUS_RING_WRITER), 0);
	assert_int_equal(r.size, 4096);
	free(mem);
}

static void ring_init_with_corrupt_own_index_returns_eproto(void **state)
{
	struct vmbus_ring r;
	uint8_t *mem = aligned_alloc(4096, 8192);
	struct vmbus_ring_ctl *ctl = (struct vmbus_ring_ctl *)mem;

	(void)state;
	memset(mem, 0, 8192);
	ctl->read_index = 4;
	assert_int_equal(vmbus_ring_init(&r, mem, 8192, VMBUS_RING_READER), -EPROTO);
	ctl->read_index = 4096;
	assert_int_equal(vmbus_ring_init(&r, mem, 8192, VMBUS_RING_READER), -EPROTO);
	ctl->read_index = 4088;
	assert_int_equal(vmbus_ring_init(&r, mem, 8192, VMBUS_RING_READER), 0);
	ctl->write_index = 0xfffffff8u;
	assert_int_equal(vmbus_ring_init(&r, mem, 8192, VMBUS_RING_WRITER), -EPROTO);
	free(mem);
}

static void ring_ctl_reset_sets_feature_bit_and_zeroes(void **state)
{
	struct pair p;

	(void)state;
	pair_init(&p, 4096, 64);
	vmbus_ring_ctl_reset(&p.wr);
	assert_int_equal(p.ctl->write_index, 0);
	assert_int_equal(p.ctl->read_index, 0);
	assert_int_equal(p.ctl->interrupt_mask, 0);
	assert_int_equal(p.ctl->pending_send_sz, 0);
	assert_int_equal(p.ctl->feature_bits, 1);
	pair_fini(&p);
}

static void ring_read_empty_returns_eagain(void **state)
{
	struct pair p;
	uint8_t buf[64];

	(void)state;
	pair_init(&p, 4096, 0);
	assert_int_equal(vmbus_ring_read(&p.rd, buf, sizeof(buf)), -EAGAIN);
	assert_int_equal(vmbus_ring_peek_size(&p.rd), -EAGAIN);
	assert_int_equal(vmbus_ring_skip(&p.rd), -EAGAIN);
	assert_false(vmbus_ring_read_done(&p.rd));
	pair_fini(&p);
}

/* The bytes in the ring are exactly the facts 5.2 layout: descriptor, payload, pad, trailer. */
static void ring_write_lays_out_descriptor_padding_and_trailer(void **state)
{
	static const uint8_t want[] = {
		0x06, 0x00, 0x02, 0x00, 0x04, 0x00, 0x01, 0x00, /* INBAND, offset8 2, len8 4, flag 1 */
		0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, /* transaction id */
		'a', 'b', 'c', 'd', 'e', 0, 0, 0,		/* 5 bytes + 3 zero pad */
		0, 0, 0, 0, 0, 0, 0, 0,				/* pad to len8 * 8 = 32 */
		0, 0, 0, 0, 0x40, 0, 0, 0,			/* trailer: start offset 64 << 32 */
	};
	uint8_t payload[13] = "abcde\0\0\0\0\0\0\0";
	struct iovec v = {.iov_base = payload, .iov_len = 13};
	struct pair p;

	(void)state;
	pair_init(&p, 4096, 64);
	assert_int_equal(vmbus_ring_write_simple(&p.wr, VMBUS_PKT_INBAND, 1, 0x1122334455667788ull,
				 &v, 1),
		0);
	/* not published yet */
	assert_int_equal(p.ctl->write_index, 64);
	assert_true(vmbus_ring_write_done(&p.wr));
	assert_int_equal(p.ctl->write_index, 64 + 40);
	assert_memory_equal(p.data + 64, want, sizeof(want));
	pair_fini(&p);
}

/* Every packet size from 8 bytes of payload to the largest that fits, starting anywhere. */
static void ring_write_read_across_wraparound(void **state)
{
	const uint32_t size = 512;
	uint32_t start, payload, seed = 1;
	struct pair p;

	(void)state;
	for (start = size - 48; start < size; start += 8) {
		pair_init(&p, size, start);
		/* largest packet: 16 + payload padded + 8 trailer must stay < size */
		for (payload = 8; 16 + payload + 8 < size; payload += 8) {
			assert_int_equal(put(&p, payload, seed), 0);
			assert_true(vmbus_ring_write_done(&p.wr));
			get_check(&p, payload, seed);
			assert_false(vmbus_ring_read_done(&p.rd)); /* no pending writer */
			assert_int_equal(p.ctl->read_index, p.ctl->write_index);
			seed++;
		}
		/* odd payload sizes: padding straddles the end too */
		for (payload = 1; payload < 40; payload++) {
			assert_int_equal(put(&p, payload, seed), 0);
			assert_int_equal(put(&p, payload + 3, seed + 1), 0);
			vmbus_ring_write_done(&p.wr);
			get_check(&p, payload, seed);
			get_check(&p, payload + 3, seed + 1);
			vmbus_ring_read_done(&p.rd);
			seed += 2;
		}
		pair_fini(&p);
	}
}

/* Data size 256: the writer refuses when free <= needed, accepts when free == needed + 8. */
static void ring_write_when_full_returns_eagain_at_exact_boundary(void **state)
{
	struct pair p;

	(void)state;
	pair_init(&p, 256, 0);
	/* payload 200 -> 216 bytes + trailer = 224 needed; free 256 */
	assert_int_equal(put(&p, 200, 1), 0);
	assert_int_equal(vmbus_ring_free_bytes(&p.wr), 32);
	/* payload 8 -> needed 32 == free: refused (the ring would become completely full) */
	assert_int_equal(put(&p, 8, 2), -EAGAIN);
	/* payload 0 -> needed 24 < free 32: accepted, leaves 8 */
	assert_int_equal(put(&p, 0, 3), 0);
	assert_int_equal(vmbus_ring_free_bytes(&p.wr), 8);
	assert_int_equal(put(&p, 0, 4), -EAGAIN);
	vmbus_ring_write_done(&p.wr);
	get_check(&p, 200, 1);
	get_check(&p, 0, 3);
	assert_int_equal(vmbus_ring_read(&p.rd, (uint8_t[64]){0}, 64), -EAGAIN);
	vmbus_ring_read_done(&p.rd);
	assert_int_equal(vmbus_ring_free_bytes(&p.wr), 256);
	pair_fini(&p);
}

static void ring_write_larger_than_ring_returns_emsgsize(void **state)
{
	struct pair p;

	(void)state;
	pair_init(&p, 256, 0);
	/* 16 + 224 = 240 + 8 = 248 < 256: fits an empty ring */
	assert_int_equal(put(&p, 224, 1), 0);
	vmbus_ring_write_done(&p.wr);
	get_check(&p, 224, 1);
	vmbus_ring_read_done(&p.rd);
	/* 16 + 232 + 8 = 256 = size: can never fit */
	assert_int_equal(put(&p, 232, 2), -EMSGSIZE);
	assert_int_equal(put(&p, 225, 2), -EMSGSIZE); /* padded to 232 */
	pair_fini(&p);
}

static void ring_write_too_short_returns_einval(void **state)
{
	struct pair p;
	uint8_t b[16] = {0};
	struct iovec v = {.iov_base = b, .iov_len = 15};

	(void)state;
	pair_init(&p, 256, 0);
	assert_int_equal(vmbus_ring_write(&p.wr, &v, 1), -EINVAL);
	assert_int_equal(vmbus_ring_write(&p.wr, &v, 0), -EINVAL);
	pair_fini(&p);
}

static void ring_read_small_buffer_returns_emsgsize_and_keeps_packet(void **state)
{
	struct pair p;
	uint8_t buf[64];

	(void)state;
	pair_init(&p, 4096, 0);
	assert_int_equal(put(&p, 100, 9), 0);
	vmbus_ring_write_done(&p.wr);
	assert_int_equal(vmbus_ring_read(&p.rd, buf, 64), -EMSGSIZE);
	assert_int_equal(vmbus_ring_read(&p.rd, buf, 119), -EMSGSIZE);
	assert_int_equal(vmbus_ring_peek_size(&p.rd), 120);
	get_check(&p, 100, 9);
	pair_fini(&p);
}

static void ring_skip_drops_one_packet(void **state)
{
	struct pair p;

	(void)state;
	pair_init(&p, 4096, 0);
	assert_int_equal(put(&p, 100, 1), 0);
	assert_int_equal(put(&p, 10, 2), 0);
	vmbus_ring_write_done(&p.wr);
	assert_int_equal(vmbus_ring_skip(&p.rd), 120);
	get_check(&p, 10, 2);
	pair_fini(&p);
}

static void ring_batch_publishes_once(void **state)
{
	struct pair p;
	int i;

	(void)state;
	pair_init(&p, 4096, 0);
	for (i = 0; i < 5; i++)
		assert_int_equal(put(&p, 16, i), 0);
	assert_int_equal(p.ctl->write_index, 0);
	assert_true(vmbus_ring_write_done(&p.wr));
	assert_false(vmbus_ring_write_done(&p.wr)); /* nothing new */
	assert_int_equal(p.ctl->write_index, 5 * 40);
	for (i = 0; i < 5; i++)
		get_check(&p, 16, i);
	assert_int_equal(p.ctl->read_index, 0);
	vmbus_ring_read_done(&p.rd);
	assert_int_equal(p.ctl->read_index, 5 * 40);
	pair_fini(&p);
}

/* Writer signals only on empty -> non-empty with the reader unmasked (facts 5.3). */
static void ring_write_signals_only_when_empty_and_unmasked(void **state)
{
	struct pair p;

	(void)state;
	pair_init(&p, 4096, 0);
	assert_int_equal(put(&p, 8, 1), 0);
	assert_true(vmbus_ring_write_done(&p.wr));
	assert_int_equal(put(&p, 8, 2), 0);
	assert_false(vmbus_ring_write_done(&p.wr)); /* not empty before */
	get_check(&p, 8, 1);
	vmbus_ring_read_done(&p.rd);
	assert_int_equal(put(&p, 8, 3), 0);
	assert_false(vmbus_ring_write_done(&p.wr)); /* packet 2 still unread */
	get_check(&p, 8, 2);
	get_check(&p, 8, 3);
	vmbus_ring_read_done(&p.rd);
	/* reader masked: no signal even though empty */
	vmbus_ring_intr_mask(&p.rd);
	assert_int_equal(p.ctl->interrupt_mask, 1);
	assert_int_equal(put(&p, 8, 4), 0);
	assert_false(vmbus_ring_write_done(&p.wr));
	/* ... and unmasking finds the packet that came without a signal */
	assert_true(vmbus_ring_intr_unmask(&p.rd));
	assert_int_equal(p.ctl->interrupt_mask, 0);
	get_check(&p, 8, 4);
	vmbus_ring_read_done(&p.rd);
	assert_false(vmbus_ring_intr_unmask(&p.rd));
	assert_int_equal(put(&p, 8, 5), 0);
	assert_true(vmbus_ring_write_done(&p.wr));
	pair_fini(&p);
}

/* Read but unpublished packets still count as "there is data" for the unmask re-check. */
static void ring_unmask_reports_unread_data(void **state)
{
	struct pair p;

	(void)state;
	pair_init(&p, 4096, 0);
	assert_int_equal(put(&p, 8, 1), 0);
	assert_int_equal(put(&p, 8, 2), 0);
	vmbus_ring_write_done(&p.wr);
	get_check(&p, 8, 1);
	assert_true(vmbus_ring_intr_unmask(&p.rd));
	get_check(&p, 8, 2);
	assert_false(vmbus_ring_intr_unmask(&p.rd));
	pair_fini(&p);
}

/* Reader signals the blocked writer when free space crosses pending_send_sz (facts 5.3). */
static void ring_read_done_signals_on_pending_send_crossing(void **state)
{
	struct pair p;

	(void)state;
	pair_init(&p, 256, 0);
	/* three 72-byte packets (+8) = 240 used, 16 free */
	assert_int_equal(put(&p, 56, 1), 0);
	assert_int_equal(put(&p, 56, 2), 0);
	assert_int_equal(put(&p, 56, 3), 0);
	assert_int_equal(put(&p, 56, 4), -EAGAIN);
	vmbus_ring_write_done(&p.wr);
	/* the writer wants 72 + 8 = 80 bytes and needs free > 80 */
	assert_false(vmbus_ring_pending_send_set(&p.wr, 72));
	assert_int_equal(p.ctl->pending_send_sz, 80);
	/* one read frees 80: free 96 > 80, crossed from 16 */
	get_check(&p, 56, 1);
	assert_true(vmbus_ring_read_done(&p.rd));
	assert_true(vmbus_ring_pending_send_set(&p.wr, 72));
	vmbus_ring_pending_send_clear(&p.wr);
	assert_int_equal(p.ctl->pending_send_sz, 0);
	assert_int_equal(put(&p, 56, 4), 0);
	vmbus_ring_write_done(&p.wr);

	/* free is 16 again; pending 88 (low bits masked: 95 -> 88) */
	p.ctl->pending_send_sz = 95;
	get_check(&p, 56, 2);
	/* free becomes 96 > 88: signal */
	assert_true(vmbus_ring_read_done(&p.rd));
	/* already above pending: no second signal */
	get_check(&p, 56, 3);
	assert_false(vmbus_ring_read_done(&p.rd));
	pair_fini(&p);
}

static void ring_read_done_no_signal_when_free_equals_pending(void **state)
{
	struct pair p;

	(void)state;
	pair_init(&p, 256, 0);
	assert_int_equal(put(&p, 56, 1), 0);
	assert_int_equal(put(&p, 56, 2), 0);
	assert_int_equal(put(&p, 56, 3), 0);
	vmbus_ring_write_done(&p.wr);
	/* free 16 -> 96 after one read: 96 does not exceed pending 96 */
	p.ctl->pending_send_sz = 96;
	get_check(&p, 56, 1);
	assert_false(vmbus_ring_read_done(&p.rd));
	p.ctl->pending_send_sz = 176; /* free 96 -> 176: equal, still not exceeded */
	get_check(&p, 56, 2);
	assert_false(vmbus_ring_read_done(&p.rd));
	p.ctl->pending_send_sz = 248; /* 176 -> 256 > 248 */
	get_check(&p, 56, 3);
	assert_true(vmbus_ring_read_done(&p.rd));
	pair_fini(&p);
}

static void ring_read_done_ignores_pending_without_feature_bit(void **state)
{
	struct pair p;

	(void)state;
	pair_init(&p, 256, 0);
	p.ctl->feature_bits = 0;
	assert_int_equal(put(&p, 56, 1), 0);
	assert_int_equal(put(&p, 56, 2), 0);
	assert_int_equal(put(&p, 56, 3), 0);
	vmbus_ring_write_done(&p.wr);
	p.ctl->pending_send_sz = 80;
	get_check(&p, 56, 1);
	assert_false(vmbus_ring_read_done(&p.rd));
	pair_fini(&p);
}

/* Publish a raw packet (bytes as given) at the reader's position and move write_index. */
static void raw_publish(struct pair *p, uint32_t at, const void *bytes, uint32_t n,
	uint32_t write_index)
{
	memcpy(p->data + at, bytes, n);
	p->ctl->write_index = write_index;
}

static void ring_read_corrupt_write_index_returns_eproto(void **state)
{
	struct pair p;
	uint8_t buf[64];

	(void)state;
	pair_init(&p, 4096, 0);
	p.ctl->write_index = 44; /* not a multiple of 8 */
	assert_int_equal(vmbus_ring_read(&p.rd, buf, sizeof(buf)), -EPROTO);
	p.ctl->write_index = 4096; /* == size */
	assert_int_equal(vmbus_ring_read(&p.rd, buf, sizeof(buf)), -EPROTO);
	p.ctl->write_index = 0xfffffff8u;
	assert_int_equal(vmbus_ring_read(&p.rd, buf, sizeof(buf)), -EPROTO);
	p.ctl->write_index = 0;
	assert_int_equal(vmbus_ring_read(&p.rd, buf, sizeof(buf)), -EAGAIN);
	pair_fini(&p);
}

static void ring_write_corrupt_read_index_returns_eproto(void **state)
{
	struct pair p;

	(void)state;
	pair_init(&p, 4096, 0);
	p.ctl->read_index = 12;
	assert_int_equal(put(&p, 8, 1), -EPROTO);
	assert_int_equal(vmbus_ring_free_bytes(&p.wr), -EPROTO);
	p.ctl->read_index = 8192;
	assert_int_equal(put(&p, 8, 1), -EPROTO);
	pair_fini(&p);
}

/* Hand-written descriptors: {type, offset8, len8, flags} + trans id, little-endian. */
static void ring_read_corrupt_descriptors_return_eproto(void **state)
{
	static const struct {
		uint8_t desc[16];
		uint32_t write_index;
	} cases[] = {
		/* len8 = 1: shorter than a descriptor */
		{{6, 0, 2, 0, 1, 0, 0, 0}, 24},
		/* len8 = 0 */
		{{6, 0, 2, 0, 0, 0, 0, 0}, 24},
		/* len8 = 4 (32 bytes + trailer = 40) but only 32 published */
		{{6, 0, 2, 0, 4, 0, 0, 0}, 32},
		/* len8 = 0xffff */
		{{6, 0, 2, 0, 0xff, 0xff, 0, 0}, 4088},
		/* offset8 = 3 > len8 = 2 */
		{{6, 0, 3, 0, 2, 0, 0, 0}, 24},
		/* offset8 = 1 */
		{{6, 0, 1, 0, 2, 0, 0, 0}, 24},
		/* offset8 = 0 */
		{{6, 0, 0, 0, 2, 0, 0, 0}, 24},
		/* flags bit 1 */
		{{6, 0, 2, 0, 2, 0, 2, 0}, 24},
		/* flags bit 15 */
		{{6, 0, 2, 0, 2, 0, 0, 0x80}, 24},
		/* 16 bytes published: less than descriptor + trailer */
		{{6, 0, 2, 0, 2, 0, 0, 0}, 16},
	};
	uint8_t buf[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pair p;

		pair_init(&p, 4096, 0);
		raw_publish(&p, 0, cases[i].desc, 16, cases[i].write_index);
		assert_int_equal(vmbus_ring_read(&p.rd, buf, sizeof(buf)), -EPROTO);
		assert_int_equal(vmbus_ring_peek_size(&p.rd), -EPROTO);
		pair_fini(&p);
	}
}

static void ring_read_accepts_minimal_and_flagged_descriptors(void **state)
{
	static const uint8_t ok1[16] = {11, 0, 2, 0, 2, 0, 1, 0, 7};  /* COMP, completion flag */
	static const uint8_t ok2[16] = {7, 0, 3, 0, 3, 0, 0, 0};	/* offset8 == len8 */
	uint8_t buf[64];
	struct pair p;

	(void)state;
	pair_init(&p, 4096, 0);
	raw_publish(&p, 0, ok1, 16, 24);
	assert_int_equal(vmbus_ring_read(&p.rd, buf, sizeof(buf)), 16);
	assert_memory_equal(buf, ok1, 16);
	raw_publish(&p, 24, ok2, 16, 24 + 32);
	assert_int_equal(vmbus_ring_read(&p.rd, buf, sizeof(buf)), 24);
	pair_fini(&p);
}

/* A descriptor that straddles the end of the data area is reassembled. */
static void ring_read_descriptor_split_at_end(void **state)
{
	static const uint8_t desc[16] = {6, 0, 2, 0, 3, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8};
	uint8_t buf[64];
	struct pair p;

	(void)state;
	pair_init(&p, 256, 248);
	memcpy(p.data + 248, desc, 8);
	memcpy(p.data, desc + 8, 8);
	memset(p.data + 8, 0x5c, 8);
	p.ctl->write_index = 24;
	assert_int_equal(vmbus_ring_read(&p.rd, buf, sizeof(buf)), 24);
	assert_memory_equal(buf, desc, 16);
	assert_int_equal(buf[16], 0x5c);
	vmbus_ring_read_done(&p.rd);
	assert_int_equal(p.ctl->read_index, 24);
	pair_fini(&p);
}

/* The peer scribbling over the index we own does not move us. */
static void ring_ignores_peer_writes_to_own_index(void **state)
{
	struct pair p;

	(void)state;
	pair_init(&p, 4096, 0);
	assert_int_equal(put(&p, 8, 1), 0);
	vmbus_ring_write_done(&p.wr);
	p.ctl->read_index = 1000; /* garbage; the reader owns it */
	get_check(&p, 8, 1);
	vmbus_ring_read_done(&p.rd);
	assert_int_equal(p.ctl->read_index, 32);
	p.ctl->write_index = 8; /* garbage in the writer's index, valid-looking */
	assert_int_equal(put(&p, 8, 2), 0);
	vmbus_ring_write_done(&p.wr);
	assert_int_equal(p.ctl->write_index, 64);
	get_check(&p, 8, 2);
	pair_fini(&p);
}

/* ---- two threads ---- */

#define MT_PACKETS 1000000u
/* Consecutive empty/full polls before a thread gives up: a broken ring must fail, not hang. */
#define MT_MAX_SPINS 20000000u

struct mt {
	struct pair p;
	uint64_t sum_written;
	uint64_t sum_read;
	uint32_t errors_w; /* writer thread only */
	uint32_t errors_r; /* reader thread only */
};

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	return x;
}

static void *mt_writer(void *arg)
{
	struct mt *m = arg;
	uint8_t buf[600];
	uint32_t i, k;

	for (i = 0; i < MT_PACKETS; i++) {
		uint64_t h = mix(i);
		uint32_t len = 8 + (uint32_t)(h % 250);
		struct iovec v = {.iov_base = buf, .iov_len = len};
		uint64_t sum = 0;
		int ret;

		for (k = 0; k < len; k++) {
			buf[k] = (uint8_t)(h >> (k % 56)) ^ (uint8_t)k;
			sum += buf[k];
		}
		uint32_t spins = 0;

		while ((ret = vmbus_ring_write_simple(&m->p.wr, VMBUS_PKT_INBAND, 0, i, &v, 1)) ==
				-EAGAIN &&
			++spins < MT_MAX_SPINS) {
			vmbus_ring_write_done(&m->p.wr);
			sched_yield();
		}
		if (ret != 0) {
			m->errors_w++;
			break;
		}
		m->sum_written += sum + i;
		/* publish in batches of a few packets */
		if ((h & 3) == 0)
			vmbus_ring_write_done(&m->p.wr);
	}
	vmbus_ring_write_done(&m->p.wr);
	return NULL;
}

static void *mt_reader(void *arg)
{
	struct mt *m = arg;
	uint8_t buf[1024];
	uint32_t next = 0, spins = 0;

	while (next < MT_PACKETS) {
		struct vmbus_pkt_desc d;
		int n = vmbus_ring_read(&m->p.rd, buf, sizeof(buf));
		uint64_t h, sum = 0;
		uint32_t len, k;

		if (n == -EAGAIN && ++spins < MT_MAX_SPINS) {
			vmbus_ring_read_done(&m->p.rd);
			sched_yield();
			continue;
		}
		spins = 0;
		if (n < 0) {
			m->errors_r++;
			break;
		}
		memcpy(&d, buf, sizeof(d));
		h = mix(next);
		len = 8 + (uint32_t)(h % 250);
		if (d.trans_id != next || (uint32_t)n != ((16 + len + 7) & ~7u)) {
			m->errors_r++;
			break;
		}
		for (k = 0; k < len; k++) {
			if (buf[16 + k] != ((uint8_t)(h >> (k % 56)) ^ (uint8_t)k))
				m->errors_r++;
			sum += buf[16 + k];
		}
		m->sum_read += sum + next;
		next++;
		if ((next & 7) == 0)
			vmbus_ring_read_done(&m->p.rd);
	}
	vmbus_ring_read_done(&m->p.rd);
	return NULL;
}

static void ring_two_threads_move_a_million_packets(void **state)
{
	struct mt m;
	pthread_t tw, tr;

	(void)state;
	memset(&m, 0, sizeof(m));
	pair_init(&m.p, 16384, 16384 - 64);
	assert_int_equal(pthread_create(&tr, NULL, mt_reader, &m), 0);
	assert_int_equal(pthread_create(&tw, NULL, mt_writer, &m), 0);
	pthread_join(tw, NULL);
	pthread_join(tr, NULL);
	assert_int_equal(m.errors_w, 0);
	assert_int_equal(m.errors_r, 0);
	assert_true(m.sum_written == m.sum_read);
	assert_int_equal(m.p.ctl->read_index, m.p.ctl->write_index);
	pair_fini(&m.p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ring_init_rejects_bad_sizes),
		cmocka_unit_test(ring_init_with_corrupt_own_index_returns_eproto),
		cmocka_unit_test(ring_ctl_reset_sets_feature_bit_and_zeroes),
		cmocka_unit_test(ring_read_empty_returns_eagain),
		cmocka_unit_test(ring_write_lays_out_descriptor_padding_and_trailer),
		cmocka_unit_test(ring_write_read_across_wraparound),
		cmocka_unit_test(ring_write_when_full_returns_eagain_at_exact_boundary),
		cmocka_unit_test(ring_write_larger_than_ring_returns_emsgsize),
		cmocka_unit_test(ring_write_too_short_returns_einval),
		cmocka_unit_test(ring_read_small_buffer_returns_emsgsize_and_keeps_packet),
		cmocka_unit_test(ring_skip_drops_one_packet),
		cmocka_unit_test(ring_batch_publishes_once),
		cmocka_unit_test(ring_write_signals_only_when_empty_and_unmasked),
		cmocka_unit_test(ring_unmask_reports_unread_data),
		cmocka_unit_test(ring_read_done_signals_on_pending_send_crossing),
		cmocka_unit_test(ring_read_done_no_signal_when_free_equals_pending),
		cmocka_unit_test(ring_read_done_ignores_pending_without_feature_bit),
		cmocka_unit_test(ring_read_corrupt_write_index_returns_eproto),
		cmocka_unit_test(ring_write_corrupt_read_index_returns_eproto),
		cmocka_unit_test(ring_read_corrupt_descriptors_return_eproto),
		cmocka_unit_test(ring_read_accepts_minimal_and_flagged_descriptors),
		cmocka_unit_test(ring_read_descriptor_split_at_end),
		cmocka_unit_test(ring_ignores_peer_writes_to_own_index),
		cmocka_unit_test(ring_two_threads_move_a_million_packets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
