/* SPDX-License-Identifier: BSD-3-Clause */
/* Gather lists <-> mbuf chains against a real mempool (EAL with --no-huge). */
#include "netvsc.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_mbuf.h>

#include "test_eal.h"

#define ROOM 2048u /* data room of RTE_MBUF_DEFAULT_BUF_SIZE */
#define POOL_N 127u

static struct rte_mempool *pool;
static uint8_t src[VS_NV_MAX_CHAIN * ROOM + 4096];
static uint8_t flat[sizeof(src)];

/* Split 'len' bytes of src into segments of the given lengths (cycled). */
static unsigned int make_segs(struct vs_vsp_seg *segs, unsigned int max, uint32_t len,
	const uint32_t *lens, unsigned int n_lens)
{
	uint32_t off = 0;
	unsigned int n = 0;

	while (off < len && n < max) {
		uint32_t l = lens[n % n_lens];

		if (l > len - off)
			l = len - off;
		segs[n].base = src + off;
		segs[n].len = l;
		off += l;
		n++;
	}
	assert_int_equal(off, len);
	return n;
}

/* Check the chain's shape and that its bytes are src[0, len). */
static void check_chain(struct rte_mbuf *m, uint32_t len)
{
	uint32_t expect_segs = len / ROOM + (len % ROOM != 0), n = 0, off = 0;
	struct rte_mbuf *s;

	assert_int_equal(m->pkt_len, len);
	assert_int_equal(m->nb_segs, expect_segs);
	for (s = m; s; s = s->next, n++) {
		assert_true(s->data_len == ROOM || s->next == NULL);
		assert_true(s->data_len > 0);
		assert_memory_equal(rte_pktmbuf_mtod(s, uint8_t *), src + off, s->data_len);
		off += s->data_len;
	}
	assert_int_equal(n, expect_segs);
	assert_int_equal(off, len);
	assert_memory_equal(rte_pktmbuf_read(m, 0, len, flat), src, len);
	/* the first segment keeps the headroom a VLAN tag insertion needs */
	assert_true(rte_pktmbuf_headroom(m) >= 4);
}

static void copy_ok(uint32_t len, const uint32_t *lens, unsigned int n_lens)
{
	struct vs_vsp_seg segs[VS_VSP_MAX_SEGS + 64];
	unsigned int n = make_segs(segs, VS_VSP_MAX_SEGS + 64, len, lens, n_lens);
	unsigned int avail = rte_mempool_avail_count(pool);
	struct rte_mbuf *m = NULL;

	assert_int_equal(vs_nv_mbuf_from_segs(pool, segs, n, len, &m), 0);
	check_chain(m, len);
	rte_pktmbuf_free(m);
	assert_int_equal(rte_mempool_avail_count(pool), avail);
}

static void small_frames(void **state)
{
	static const uint32_t one[] = {100000};
	static const uint32_t bytes[] = {1};
	static const uint32_t three[] = {1, 2, 3};

	(void)state;
	copy_ok(60, one, 1);
	copy_ok(14, one, 1);
	copy_ok(60, bytes, 1); /* one byte per segment */
	copy_ok(61, three, 3);
	copy_ok(1, one, 1);
}

/* Every boundary of the 2 KiB buffers: exactly full, one over, one under. */
static void buffer_boundaries(void **state)
{
	static const uint32_t one[] = {100000};
	static const uint32_t odd[] = {1000, 1048, 1, 2047};
	uint32_t k;

	(void)state;
	for (k = 1; k <= 5; k++) {
		copy_ok(k * ROOM - 1, one, 1);
		copy_ok(k * ROOM, one, 1);
		copy_ok(k * ROOM + 1, one, 1);
		copy_ok(k * ROOM, odd, 4);
		copy_ok(k * ROOM + 1, odd, 4);
	}
}

/* Jumbo frames as the core hands them: header in one range, data across guest pages. */
static void jumbo(void **state)
{
	static const uint32_t linux_like[] = {44, 4052, 4096, 4096, 4096, 4096};
	static const uint32_t with_empty[] = {0, 13, 0, 4096, 7};

	(void)state;
	copy_ok(9216, linux_like, 6);
	copy_ok(9018, with_empty, 5);
	copy_ok(9216 + 4, linux_like, 6);
	copy_ok(65536 + 14, linux_like, 6); /* an LSO-sized frame: 33 buffers */
}

static void refused(void **state)
{
	struct vs_vsp_seg segs[2] = {{src, 100}, {src + 100, 100}};
	struct vs_vsp_seg big = {src, sizeof(src)};
	unsigned int avail = rte_mempool_avail_count(pool);
	struct rte_mbuf *m = (struct rte_mbuf *)0x1;

	(void)state;
	assert_int_equal(vs_nv_mbuf_from_segs(pool, segs, 2, 0, &m), -EINVAL);
	assert_int_equal(vs_nv_mbuf_from_segs(pool, segs, 2, 201, &m), -EINVAL);
	assert_int_equal(vs_nv_mbuf_from_segs(pool, segs, 0, 1, &m), -EINVAL);
	/* more than VS_NV_MAX_CHAIN buffers: one byte too many, and exactly enough */
	assert_int_equal(vs_nv_mbuf_from_segs(pool, &big, 1, VS_NV_MAX_CHAIN * ROOM + 1, &m),
		-EMSGSIZE);
	assert_ptr_equal(m, (struct rte_mbuf *)0x1);
	assert_int_equal(rte_mempool_avail_count(pool), avail);
	assert_int_equal(vs_nv_mbuf_from_segs(pool, &big, 1, VS_NV_MAX_CHAIN * ROOM, &m), 0);
	check_chain(m, VS_NV_MAX_CHAIN * ROOM);
	rte_pktmbuf_free(m);
	/* segments holding more than len: only len bytes are taken */
	assert_int_equal(vs_nv_mbuf_from_segs(pool, segs, 2, 150, &m), 0);
	check_chain(m, 150);
	rte_pktmbuf_free(m);
	assert_int_equal(rte_mempool_avail_count(pool), avail);
}

/* An empty pool refuses the frame and nothing leaks. */
static void pool_exhausted(void **state)
{
	struct rte_mbuf *hold[POOL_N], *m;
	struct vs_vsp_seg seg = {src, 3 * ROOM};
	unsigned int avail = rte_mempool_avail_count(pool), n = 0;

	(void)state;
	/* leave two buffers: a three-buffer frame cannot be built */
	while (rte_mempool_avail_count(pool) > 2)
		hold[n++] = rte_pktmbuf_alloc(pool);
	assert_int_equal(vs_nv_mbuf_from_segs(pool, &seg, 1, 3 * ROOM, &m), -ENOBUFS);
	assert_int_equal(rte_mempool_avail_count(pool), 2);
	assert_int_equal(vs_nv_mbuf_from_segs(pool, &seg, 1, 2 * ROOM, &m), 0);
	assert_int_equal(rte_mempool_avail_count(pool), 0);
	rte_pktmbuf_free(m);
	rte_pktmbuf_free_bulk(hold, n);
	assert_int_equal(rte_mempool_avail_count(pool), avail);
}

static void to_segs(void **state)
{
	static const uint32_t lens[] = {300, 5000, 17};
	struct vs_vsp_seg in[16], out[VS_NV_TX_SEGS];
	unsigned int n = make_segs(in, 16, 9000, lens, 3), i;
	struct rte_mbuf *m, *empty;
	uint32_t off = 0;
	int k;

	(void)state;
	assert_int_equal(vs_nv_mbuf_from_segs(pool, in, n, 9000, &m), 0);
	k = vs_nv_mbuf_to_segs(m, out, VS_NV_TX_SEGS);
	assert_int_equal(k, 5);
	for (i = 0; i < (unsigned int)k; i++) {
		assert_memory_equal(out[i].base, src + off, out[i].len);
		off += out[i].len;
	}
	assert_int_equal(off, 9000);
	assert_int_equal(vs_nv_mbuf_to_segs(m, out, 4), -E2BIG);
	assert_int_equal(vs_nv_mbuf_to_segs(m, out, 5), 5);
	/* an empty segment in the middle of a chain is skipped */
	empty = rte_pktmbuf_alloc(pool);
	empty->next = m->next;
	m->next = empty;
	m->nb_segs++;
	assert_int_equal(vs_nv_mbuf_to_segs(m, out, 5), 5);
	rte_pktmbuf_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(small_frames),
		cmocka_unit_test(buffer_boundaries),
		cmocka_unit_test(jumbo),
		cmocka_unit_test(refused),
		cmocka_unit_test(pool_exhausted),
		cmocka_unit_test(to_segs),
	};
	size_t i;

	for (i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(i * 7 + i / 251 + 3);
	if (vsw_test_eal_init("mbuf_test") < 0)
		return 1;
	pool = rte_pktmbuf_pool_create("nv_test", POOL_N, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
		SOCKET_ID_ANY);
	if (pool == NULL)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
