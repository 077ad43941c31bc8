/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: arbitrary bytes as a frame (from a guest or the wire) through vs_ol_parse(),
 * then, when it parses, segmentation, checksum fill/verify, tx_prepare and receive coalescing.
 * For coalescing the frame is fed together with a follow-on copy (sequence number advanced by its
 * payload, IPv4 ID + 1, checksums completed) so that the merge paths run too.
 *
 * Input: byte 0 flags (bit 0: parse with VS_OL_PARSE_LEN0), bytes 1-2 MSS (u16 LE), byte 3 size
 * of the first mbuf (0 = as much as fits), byte 4 size of the following mbufs (0 = full), then
 * the frame.
 */
#include "offload.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "test_eal.h"

#define HDR 5u
#define MAX_FRAME (66u * 1024u)
#define MAX_SEGS 64u

static struct rte_mempool *pool;
static struct vs_ol_gro *gro;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct vs_ol_gro_params p = {.max_flows = 4, .max_bytes = 65535, .max_segs = 16};

	if (vsw_test_eal_init((*argv)[0]) < 0)
		abort();
	pool = rte_pktmbuf_pool_create("fuzz_ol", 4095, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
		SOCKET_ID_ANY);
	gro = pool ? vs_ol_gro_create(&p, SOCKET_ID_ANY) : NULL;
	if (!gro)
		abort();
	return 0;
}

/* Copy bytes into a chain: 'first' bytes in the first mbuf, then 'chunk' per mbuf. */
static struct rte_mbuf *to_mbuf(const uint8_t *b, size_t len, size_t first, size_t chunk)
{
	struct rte_mbuf *head = NULL, *last = NULL;
	size_t off = 0;

	do {
		struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
		size_t n = head ? chunk : first;

		if (!m) {
			rte_pktmbuf_free(head);
			return NULL;
		}
		if (n == 0 || n > rte_pktmbuf_tailroom(m))
			n = rte_pktmbuf_tailroom(m);
		if (n > len - off)
			n = len - off;
		memcpy(rte_pktmbuf_append(m, (uint16_t)n), b + off, n);
		off += n;
		if (!head) {
			head = m;
		} else {
			last->next = m;
			head->nb_segs++;
			head->pkt_len += (uint32_t)n;
		}
		last = m;
	} while (off < len);
	return head;
}

static void free_out(struct rte_mbuf **out, int n)
{
	for (int i = 0; i < n; i++)
		rte_pktmbuf_free(out[i]);
}

static void run_tso(const struct rte_mbuf *m, struct vs_ol_info info, uint16_t mss)
{
	struct rte_mbuf *out[MAX_SEGS];
	int n = vs_ol_tso_segment(m, &info, mss, pool, out, MAX_SEGS);

	for (int i = 0; i < n; i++) {
		struct vs_ol_info si;

		/* every segment parses again, within its bounds, with valid checksums */
		if (vs_ol_parse(out[i], 0, &si) != 0 || si.payload_len > mss ||
			vs_ol_csum_verify(out[i], &si) != (VS_OL_CSUM_IP_OK | VS_OL_CSUM_L4_OK))
			abort();
	}
	if (n > 0)
		free_out(out, n);
}

/* A copy of 'm' that follows it in its TCP stream, with checksums filled. */
static struct rte_mbuf *follow_on(const struct rte_mbuf *m, const struct vs_ol_info *info)
{
	struct rte_mbuf *c = rte_pktmbuf_copy(m, pool, 0, UINT32_MAX);
	uint8_t *l3, *th;
	uint32_t seq;

	if (!c)
		return NULL;
	l3 = rte_pktmbuf_mtod_offset(c, uint8_t *, info->l2_len);
	th = l3 + info->l3_len;
	memcpy(&seq, th + 4, 4);
	seq = rte_cpu_to_be_32(rte_be_to_cpu_32(seq) + info->payload_len);
	memcpy(th + 4, &seq, 4);
	if (info->flags & VS_OL_F_IPV4) {
		uint16_t id;

		memcpy(&id, l3 + 4, 2);
		id = rte_cpu_to_be_16((uint16_t)(rte_be_to_cpu_16(id) + 1));
		memcpy(l3 + 4, &id, 2);
	}
	if (vs_ol_csum_fill(c, info) != 0)
		abort();
	return c;
}

static void run_gro(struct rte_mbuf *m, const struct vs_ol_info *info, int ok)
{
	struct rte_mbuf *in[2] = {m, NULL}, *out[VS_OL_GRO_OUT_MAX(2) + 8];
	uint16_t n_in = 1;
	int n;

	if (ok == 0 && (info->flags & VS_OL_F_TCP)) {
		in[1] = follow_on(m, info);
		n_in = in[1] ? 2 : 1;
	}
	n = vs_ol_gro_input(gro, in, n_in, out, VS_OL_GRO_OUT_MAX(2));
	if (n < 0)
		abort();
	free_out(out, n);
	free_out(out, vs_ol_gro_flush(gro, out, (uint16_t)RTE_DIM(out)));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t capas[] = {0, RTE_ETH_TX_OFFLOAD_TCP_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM,
		RTE_ETH_TX_OFFLOAD_TCP_TSO | RTE_ETH_TX_OFFLOAD_IPV4_CKSUM |
			RTE_ETH_TX_OFFLOAD_TCP_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM};
	unsigned int flags;
	struct vs_ol_info info;
	struct rte_mbuf *m;
	uint16_t mss;
	int ret;

	if (size < HDR + 1 || size - HDR > MAX_FRAME)
		return 0;
	flags = (data[0] & 1) ? VS_OL_PARSE_LEN0 : 0;
	mss = (uint16_t)(data[1] | data[2] << 8);
	m = to_mbuf(data + HDR, size - HDR, data[3], (size_t)data[4] * 8);
	if (!m)
		return 0;
	ret = vs_ol_parse(m, flags, &info);
	if (ret == 0) {
		if (info.frame_len + info.pad_len != rte_pktmbuf_pkt_len(m) ||
			info.l2_len + info.l3_len + info.l4_len > rte_pktmbuf_data_len(m))
			abort();
		(void)vs_ol_csum_verify(m, &info);
		run_tso(m, info, mss);
		for (size_t i = 0; i < RTE_DIM(capas); i++) {
			struct rte_mbuf *c = rte_pktmbuf_copy(m, pool, 0, UINT32_MAX);

			if (!c)
				continue;
			if (data[0] & 2)
				vs_ol_mark_tso(c, mss);
			else
				vs_ol_mark_csum(c, info.flags & VS_OL_F_TCP);
			if (vs_ol_tx_prepare(c, &info, capas[i]) == VS_OL_TX_SW_CSUM &&
				vs_ol_csum_fill(c, &info) != 0)
				abort();
			rte_pktmbuf_free(c);
		}
	}
	/* coalescing takes any frame and must hand every mbuf back */
	run_gro(m, &info, ret);
	if (vs_ol_gro_pending(gro) != 0)
		abort();
	return 0;
}
