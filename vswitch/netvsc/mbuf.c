/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Frames between guest memory and mbufs. Guest frames are copied (the guest may rewrite its
 * buffers at any time, so the switch must parse a private copy) into the switch's 2 KiB buffers,
 * chained for jumbo and large frames (DESIGN.md decision 5). Workers: no allocation besides mbufs.
 */
#include <errno.h>
#include <string.h>

#include <rte_mbuf.h>

#include "netvsc.h"

int vs_nv_mbuf_from_segs(struct rte_mempool *mp, const struct vs_vsp_seg *segs,
	unsigned int n_segs, uint32_t len, struct rte_mbuf **out)
{
	struct rte_mbuf *ms[VS_NV_MAX_CHAIN];
	uint32_t room = rte_pktmbuf_data_room_size(mp) - RTE_PKTMBUF_HEADROOM;
	uint32_t nb, total = 0, si = 0, soff = 0, i;

	for (i = 0; i < n_segs; i++) {
		if (segs[i].len > UINT32_MAX - total)
			return -EINVAL;
		total += segs[i].len;
	}
	if (len == 0 || total < len || room == 0)
		return -EINVAL;
	nb = len / room + (len % room != 0);
	if (nb > VS_NV_MAX_CHAIN)
		return -EMSGSIZE;
	if (rte_pktmbuf_alloc_bulk(mp, ms, nb) != 0)
		return -ENOBUFS;
	for (i = 0; i < nb; i++) {
		uint32_t want = RTE_MIN(room, len - i * room), got = 0;
		uint8_t *dst = rte_pktmbuf_mtod(ms[i], uint8_t *);

		while (got < want) {
			uint32_t n;

			/* empty segments are skipped; total >= len guarantees si stays in range */
			if (soff == segs[si].len) {
				si++;
				soff = 0;
				continue;
			}
			n = RTE_MIN(want - got, segs[si].len - soff);
			memcpy(dst + got, segs[si].base + soff, n);
			got += n;
			soff += n;
		}
		ms[i]->data_len = (uint16_t)want;
		ms[i]->next = i + 1 < nb ? ms[i + 1] : NULL;
	}
	ms[0]->nb_segs = (uint16_t)nb;
	ms[0]->pkt_len = len;
	*out = ms[0];
	return 0;
}

int vs_nv_mbuf_to_segs(const struct rte_mbuf *m, struct vs_vsp_seg *segs, unsigned int max)
{
	unsigned int n = 0;

	for (; m; m = m->next) {
		if (m->data_len == 0)
			continue;
		if (n == max)
			return -E2BIG;
		segs[n].base = rte_pktmbuf_mtod(m, const uint8_t *);
		segs[n].len = m->data_len;
		n++;
	}
	return (int)n;
}
