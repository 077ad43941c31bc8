/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Datapath worker: polls its ports' receive queues, switches each burst, and sleeps with
 * exponential backoff when idle. Never blocks on control, never allocates (apart from mbufs),
 * never logs.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_hash.h>
#include <rte_lcore.h>
#include <rte_prefetch.h>

#include "frame.h"
#include "internal.h"
#include "netvsc/netvsc.h"
#include "offload.h"

/* a netvsc transmit burst must fit one XFER_PAGES batch (vs_nv_tx_burst) */
_Static_assert(VS_BURST <= VS_VSP_RX_BATCH_MAX, "netvsc tx burst");

#define IDLE_BEFORE_SLEEP_US 200	/* busy-poll this long without frames before sleeping */
#define SLEEP_MIN_US 8
#define LEARN_RESEND_HZ_DIV 10	/* re-request a pending MAC at most every 100 ms */
#define TX_OL_MASK (RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_L4_MASK) /* guest offload requests */
#define TX_TSO_SEGS 128u	/* segments of one LSO frame done in software (MSS >= 500) */

struct burst_ctx {
	struct vs_worker *w;
	const struct vs_dp_config *dp;
	const struct vs_dp_port *in;
	uint16_t in_slot;
	uint64_t now;
};

static inline void drop(struct vs_worker *w, uint16_t slot, enum vs_drop why, struct rte_mbuf *m)
{
	w->stats[slot].drops[why]++;
	rte_pktmbuf_free(m);
}

static inline uint8_t link_up(const struct vs_worker *w, uint16_t slot)
{
	return __atomic_load_n(&w->sw->link_up[slot], __ATOMIC_RELAXED);
}

/*
 * Received TCP for a guest that enabled RSC (DESIGN 8, issue 4 item 4): the burst goes through the
 * worker's coalescing context, flushed at the end of the same burst (so nothing waits for a
 * timer), and the guest gets fewer, larger frames with their checksums verified once. Frames
 * that carry a guest's offload request are not coalesced (they are large already).
 */
/* Frames into a netvsc port's guest receive buffer; what the guest cannot take is counted by the
 * channel's drop reasons and as tx_full here. */
static void nv_tx(struct vs_worker *w, const struct vs_dp_port *p, uint16_t slot,
	struct rte_mbuf **pkts, uint16_t n)
{
	uint64_t bytes = 0;
	uint16_t sent = vs_nv_tx_burst(p->nv, pkts, n, &bytes);

	w->stats[slot].drops[VS_DROP_TX_FULL] += (uint16_t)(n - sent);
	w->stats[slot].tx_packets += sent;
	w->stats[slot].tx_bytes += bytes;
}

static void txb_flush_netvsc_gro(struct vs_worker *w, const struct vs_dp_port *p, uint16_t slot)
{
	struct vs_txbuf *b = &w->txb[slot];
	struct rte_mbuf *out[VS_OL_GRO_OUT_MAX(VS_BURST)];
	uint64_t ol = 0;
	uint16_t i, k;
	int n;

	for (i = 0; i < b->n; i++)
		ol |= b->pkts[i]->ol_flags;
	n = (ol & TX_OL_MASK) ? -1 : vs_ol_gro_input(w->gro, b->pkts, b->n, out, RTE_DIM(out));
	if (n < 0) {
		nv_tx(w, p, slot, b->pkts, b->n);
	} else {
		k = (uint16_t)n;
		k = (uint16_t)(k + vs_ol_gro_flush(w->gro, out + k, (uint16_t)(RTE_DIM(out) - k)));
		nv_tx(w, p, slot, out, k);
		w->stats[slot].rx_coalesced += b->n - k;
	}
	b->n = 0;
}

static void txb_flush_netvsc(struct vs_worker *w, const struct vs_dp_port *p, uint16_t slot)
{
	struct vs_txbuf *b = &w->txb[slot];

	if (p->nv == NULL) {
		/* the channel closed (or is being changed) since the frames were queued */
		w->stats[slot].drops[VS_DROP_PORT_DOWN] += b->n;
		rte_pktmbuf_free_bulk(b->pkts, b->n);
		b->n = 0;
		return;
	}
	if (w->gro && b->n > 1 && (vs_nv_chan_offloads(p->nv) & (VS_VSP_EN_RSC4 | VS_VSP_EN_RSC6))) {
		txb_flush_netvsc_gro(w, p, slot);
		return;
	}
	nv_tx(w, p, slot, b->pkts, b->n);
	b->n = 0;
}

static uint64_t pkts_bytes(struct rte_mbuf *const *pkts, uint16_t n)
{
	uint64_t bytes = 0;
	uint16_t i;

	for (i = 0; i < n; i++)
		bytes += pkts[i]->pkt_len;
	return bytes;
}

/* Transmit 'n' frames of 'bytes' in all on queue 'q' of an ethdev port; what does not go is
 * dropped as tx_full. */
static void eth_tx(struct vs_worker *w, const struct vs_dp_port *p, uint16_t slot, uint16_t q,
	struct rte_mbuf **pkts, uint16_t n, uint64_t bytes)
{
	uint16_t sent, i;

	if (p->txq_shared)
		rte_spinlock_lock(&p->txq_locks[q]);
	sent = rte_eth_tx_burst(p->eth_port, q, pkts, n);
	if (p->txq_shared)
		rte_spinlock_unlock(&p->txq_locks[q]);
	for (i = sent; i < n; i++) {
		bytes -= pkts[i]->pkt_len;
		drop(w, slot, VS_DROP_TX_FULL, pkts[i]);
	}
	w->stats[slot].tx_packets += sent;
	w->stats[slot].tx_bytes += bytes;
}

/*
 * A buffer holding frames with guest offload requests (LSO, checksum: chan.c offload_in) for an
 * ethdev port: in order, frames the port's hardware can finish go with their metadata set by
 * vs_ol_tx_prepare; the others are segmented / checksummed in software (offload library) and
 * their segments sent right away. Each refusal is a counted drop (offload_failed). The caller
 * empties the buffer.
 */
static void txb_flush_offload(struct vs_worker *w, const struct vs_dp_port *p, uint16_t slot,
	uint16_t q)
{
	struct vs_txbuf *b = &w->txb[slot];
	struct rte_mbuf *segs[TX_TSO_SEGS];
	uint16_t i, run = 0;

	for (i = 0; i < b->n; i++) {
		struct rte_mbuf *m = b->pkts[i];
		struct vs_ol_info in;
		int act, ns;

		if (!(m->ol_flags & TX_OL_MASK)) {
			b->pkts[run++] = m;
			continue;
		}
		act = vs_ol_parse(m, VS_OL_PARSE_LEN0, &in) < 0 ? -EINVAL :
								  vs_ol_tx_prepare(m, &in, p->tx_ol);
		if (act == VS_OL_TX_HW || act == VS_OL_TX_AS_IS) {
			b->pkts[run++] = m;
			continue;
		}
		if (act == VS_OL_TX_SW_CSUM && vs_ol_csum_fill(m, &in) == 0) {
			b->pkts[run++] = m;
			continue;
		}
		if (act != VS_OL_TX_SW_SEGMENT) {
			drop(w, slot, VS_DROP_OFFLOAD_FAILED, m);
			continue;
		}
		/* the frames before it go first, then its segments */
		eth_tx(w, p, slot, q, b->pkts, run, pkts_bytes(b->pkts, run));
		run = 0;
		ns = vs_ol_tso_segment(m, &in, m->tso_segsz, w->sw->pool, segs, TX_TSO_SEGS);
		if (ns < 0) {
			drop(w, slot, VS_DROP_OFFLOAD_FAILED, m);
			continue;
		}
		rte_pktmbuf_free(m);
		w->stats[slot].tx_segmented++;
		eth_tx(w, p, slot, q, segs, (uint16_t)ns, pkts_bytes(segs, (uint16_t)ns));
	}
	eth_tx(w, p, slot, q, b->pkts, run, pkts_bytes(b->pkts, run));
}

static void txb_flush(struct vs_worker *w, const struct vs_dp_config *dp, uint16_t slot)
{
	const struct vs_dp_port *p = &dp->port[slot];
	struct vs_txbuf *b = &w->txb[slot];
	uint64_t bytes = 0, ol = 0;
	uint16_t q, i;

	if (p->kind == VS_PORT_NETVSC) {
		txb_flush_netvsc(w, p, slot);
		return;
	}
	q = (uint16_t)(w->id % p->n_txq);
	for (i = 0; i < b->n; i++) {
		bytes += b->pkts[i]->pkt_len;
		ol |= b->pkts[i]->ol_flags;
	}
	if (unlikely(ol & TX_OL_MASK))
		txb_flush_offload(w, p, slot, q);
	else
		eth_tx(w, p, slot, q, b->pkts, b->n, bytes);
	b->n = 0;
}

static void txb_flush_all(struct vs_worker *w, const struct vs_dp_config *dp)
{
	uint16_t i;

	for (i = 0; i < w->n_dirty; i++) {
		w->txb[w->dirty[i]].queued = false;
		txb_flush(w, dp, w->dirty[i]);
	}
	w->n_dirty = 0;
}

/* Put a frame in the shape 'eg' asks for. 'tagged' says whether it carries a tag now. */
static inline int retag(struct rte_mbuf **mp, bool tagged, enum vs_vlan_egress eg, uint16_t vlan)
{
	struct rte_mbuf *m = *mp;
	uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);

	if (eg == VS_EGRESS_TAGGED) {
		if (tagged) {
			/* rewrite the VID, keep the priority bits */
			d[14] = (uint8_t)((d[14] & 0xf0) | (vlan >> 8));
			d[15] = (uint8_t)vlan;
			return 0;
		}
		m->vlan_tci = vlan;
		return rte_vlan_insert(mp);
	}
	if (tagged) {
		memmove(d + VS_VLAN_HLEN, d, 12);
		rte_pktmbuf_adj(m, VS_VLAN_HLEN);
	}
	return 0;
}

/* An LSO frame (a guest's large send) is as long as its segments will be: Ethernet + IP + TCP
 * headers + MSS, without a tag. */
static inline bool lso_fits(const struct rte_mbuf *m, uint32_t max_plain_len)
{
	return (m->ol_flags & RTE_MBUF_F_TX_TCP_SEG) &&
	       14u + m->l3_len + m->l4_len + m->tso_segsz <= max_plain_len;
}

static inline void send_one(struct burst_ctx *c, uint16_t out, struct rte_mbuf *m, bool tagged,
	uint32_t plain_len, enum vs_vlan_egress eg, uint16_t vlan)
{
	struct vs_worker *w = c->w;
	struct vs_txbuf *b;

	if (plain_len > c->dp->port[out].max_plain_len &&
		!lso_fits(m, c->dp->port[out].max_plain_len)) {
		drop(w, out, VS_DROP_MTU_EXCEEDED, m);
		return;
	}
	if (retag(&m, tagged, eg, vlan)) {
		drop(w, out, VS_DROP_NO_MBUF, m);
		return;
	}
	m->ol_flags &= ~(RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED);
	b = &w->txb[out];
	if (!b->queued) {
		b->queued = true;
		w->dirty[w->n_dirty++] = out;
	}
	b->pkts[b->n++] = m;
	if (b->n == VS_BURST) {
		txb_flush(w, c->dp, out);
		/* keep it in the dirty list: flushing an empty buffer is a no-op */
	}
}

static void flood(struct burst_ctx *c, struct rte_mbuf *m, bool tagged, uint32_t plain_len,
	uint16_t vlan)
{
	const struct vs_dp_config *dp = c->dp;
	uint16_t outs[VS_MAX_PORTS], n = 0, slot, i;
	enum vs_vlan_egress egs[VS_MAX_PORTS];
	struct rte_mbuf *copy;

	for (slot = 0; slot < dp->n_slots; slot++) {
		enum vs_vlan_egress eg;

		if (slot == c->in_slot || !dp->port[slot].present || !link_up(c->w, slot))
			continue;
		eg = vs_vlan_egress(&dp->port[slot].vlan, vlan);
		if (eg == VS_EGRESS_NONE)
			continue;
		egs[n] = eg;
		outs[n++] = slot;
	}
	if (n == 0) {
		drop(c->w, c->in_slot, VS_DROP_NO_DESTINATION, m);
		return;
	}
	for (i = 0; i + 1 < n; i++) {
		copy = rte_pktmbuf_copy(m, c->w->sw->pool, 0, UINT32_MAX);
		if (copy == NULL) {
			c->w->stats[outs[i]].drops[VS_DROP_NO_MBUF]++;
			continue;
		}
		send_one(c, outs[i], copy, tagged, plain_len, egs[i], vlan);
	}
	send_one(c, outs[n - 1], m, tagged, plain_len, egs[n - 1], vlan);
}

static void learn_request(struct burst_ctx *c, const struct vs_fdb_key *key)
{
	struct vs_worker *w = c->w;
	uint64_t k, h;
	struct vs_learn_req req;

	memcpy(&k, key, sizeof(k));
	h = (k * UINT64_C(0x9e3779b97f4a7c15)) >> 56; /* 8 bits: VS_LEARN_CACHE */
	if (w->learn_cache_key[h] == k &&
		c->now - w->learn_cache_tsc[h] < w->sw->hz / LEARN_RESEND_HZ_DIV)
		return;
	w->learn_cache_key[h] = k;
	w->learn_cache_tsc[h] = c->now;
	req.key = *key;
	req.port = c->in_slot;
	if (rte_ring_sp_enqueue_elem(w->learn, &req, sizeof(req)) != 0)
		return; /* control is behind; the MAC is requested again on a later frame */
	if (__atomic_exchange_n(&w->sw->learn_pending, 1, __ATOMIC_ACQ_REL) == 0) {
		uint64_t one = 1;

		if (write(w->sw->learn_efd, &one, sizeof(one)) < 0) {
			/* the eventfd counter cannot overflow here; control also polls */
		}
	}
}

static inline void learn_src(struct burst_ctx *c, struct vs_fdb_entry *e,
	const struct vs_fdb_key *key)
{
	if (e == NULL) {
		learn_request(c, key);
		return;
	}
	if (vs_fdb_entry_port(e) != c->in_slot)
		__atomic_store_n(&e->port, c->in_slot, __ATOMIC_RELAXED); /* MAC move */
	/* write the shared entry at most once a second per MAC, to keep its line clean */
	if (c->now - __atomic_load_n(&e->last_seen, __ATOMIC_RELAXED) > c->w->sw->hz)
		__atomic_store_n(&e->last_seen, c->now, __ATOMIC_RELAXED);
}

static void forward(struct burst_ctx *c, struct rte_mbuf *m, const struct vs_frame *f,
	uint16_t vlan, struct vs_fdb_entry *dst)
{
	const struct vs_dp_config *dp = c->dp;
	enum vs_vlan_egress eg;
	uint16_t out;

	if (dst == NULL || vs_mac_is_multicast(f->dst))
		goto flood;
	out = vs_fdb_entry_port(dst);
	if (out == c->in_slot) {
		drop(c->w, c->in_slot, VS_DROP_HAIRPIN, m);
		return;
	}
	if (out >= dp->n_slots || !dp->port[out].present)
		goto flood;
	eg = vs_vlan_egress(&dp->port[out].vlan, vlan);
	if (eg == VS_EGRESS_NONE)
		goto flood; /* learned before a VLAN change */
	if (!link_up(c->w, out)) {
		drop(c->w, out, VS_DROP_PORT_DOWN, m);
		return;
	}
	send_one(c, out, m, f->tag_in_frame, f->plain_len, eg, vlan);
	return;
flood:
	flood(c, m, f->tag_in_frame, f->plain_len, vlan);
}

/*
 * Resolve 'n' keys to entries: the worker's exact-match cache first, then one bulk hash lookup
 * for the misses, whose hits are cached.
 */
static void fdb_lookup_burst(struct vs_worker *w, const struct vs_fdb_key *keys, uint16_t n,
	struct vs_fdb_entry **out)
{
	struct vs_fdb *fdb = w->sw->fdb;
	const void *miss_p[VS_BURST * 2];
	void *miss_d[VS_BURST * 2];
	uint16_t miss_i[VS_BURST * 2], n_miss = 0, i;
	uint64_t hit = 0;

	for (i = 0; i < n; i++) {
		out[i] = vs_fdb_cache_lookup(&w->fdb_cache, fdb, vs_fdb_key_word(&keys[i]));
		if (out[i] == NULL) {
			miss_i[n_miss] = i;
			miss_p[n_miss++] = &keys[i];
		}
	}
	if (n_miss == 0)
		return;
	rte_hash_lookup_bulk_data(fdb->hash, miss_p, n_miss, &hit, miss_d);
	for (i = 0; i < n_miss; i++) {
		uint32_t idx;

		if (!(hit >> i & 1))
			continue;
		idx = (uint32_t)(uintptr_t)miss_d[i];
		out[miss_i[i]] = &fdb->entries[idx];
		vs_fdb_cache_put(&w->fdb_cache, vs_fdb_key_word(&keys[miss_i[i]]), idx);
	}
}

static void switch_burst(struct burst_ctx *c, struct rte_mbuf **pkts, uint16_t n)
{
	struct vs_port_counters *st = &c->w->stats[c->in_slot];
	/* keys[0..k) are source MACs, keys[k..2k) destination MACs */
	struct vs_fdb_key keys[VS_BURST * 2], dst[VS_BURST];
	struct vs_fdb_entry *ents[VS_BURST * 2];
	struct vs_frame fr[VS_BURST];
	uint16_t vlans[VS_BURST], i, k = 0;

	for (i = 0; i < n; i++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
	st->rx_packets += n;
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		int ret;

		st->rx_bytes += m->pkt_len;
		ret = vs_frame_parse(rte_pktmbuf_mtod(m, uint8_t *), m->data_len, m->pkt_len,
			m->ol_flags & RTE_MBUF_F_RX_VLAN_STRIPPED, m->vlan_tci, &fr[k]);
		if (ret == 0 && fr[k].plain_len > c->in->max_plain_len &&
			!lso_fits(m, c->in->max_plain_len))
			ret = -(VS_DROP_OVERSIZE + 1);
		if (ret == 0 && unlikely(c->in->src_check) && memcmp(fr[k].src, c->in->src_mac, 6))
			ret = -(VS_DROP_MAC_SPOOFED + 1);
		if (ret == 0)
			ret = vs_vlan_ingress(&c->in->vlan, fr[k].tagged, fr[k].vid);
		if (ret < 0) {
			drop(c->w, c->in_slot, (enum vs_drop)(-ret - 1), m);
			continue;
		}
		vlans[k] = (uint16_t)ret;
		memcpy(keys[k].mac, fr[k].src, 6);
		memcpy(dst[k].mac, fr[k].dst, 6);
		keys[k].vlan = dst[k].vlan = vlans[k];
		pkts[k++] = m;
	}
	if (k == 0)
		return;
	memcpy(&keys[k], dst, k * sizeof(dst[0]));
	fdb_lookup_burst(c->w, keys, (uint16_t)(2 * k), ents);
	for (i = 0; i < k; i++) {
		learn_src(c, ents[i], &keys[i]);
		forward(c, pkts[i], &fr[i], vlans[i], ents[k + i]);
	}
}

/* A netvsc port's poll may yield more than a burst (a guest batches several frames in one send):
 * switch them VS_BURST at a time. */
static uint16_t poll_netvsc(struct burst_ctx *c)
{
	struct rte_mbuf *pkts[VS_NV_RX_STAGE];
	uint16_t n, off, k;

	if (c->in->nv == NULL)
		return 0;
	n = vs_nv_rx_burst(c->in->nv, pkts, VS_NV_RX_STAGE);
	if (unlikely(c->in->admin_down)) {
		for (off = 0; off < n; off++)
			drop(c->w, c->in_slot, VS_DROP_PORT_DOWN, pkts[off]);
		return n;
	}
	for (off = 0; off < n; off = (uint16_t)(off + k)) {
		k = (uint16_t)RTE_MIN(VS_BURST, n - off);
		switch_burst(c, pkts + off, k);
		txb_flush_all(c->w, c->dp);
	}
	return n;
}

static uint16_t poll_ports(struct vs_worker *w, const struct vs_dp_config *dp, uint64_t now)
{
	struct rte_mbuf *pkts[VS_BURST];
	struct burst_ctx c = {.w = w, .dp = dp, .now = now};
	uint16_t i, n, total = 0;

	for (i = 0; i < dp->rx[w->id].n; i++) {
		const struct vs_dp_rxq *q = &dp->rx[w->id].q[i];

		c.in = &dp->port[q->slot];
		c.in_slot = q->slot;
		if (c.in->kind == VS_PORT_NETVSC) {
			total = (uint16_t)(total + poll_netvsc(&c));
			continue;
		}
		n = rte_eth_rx_burst(c.in->eth_port, q->queue, pkts, VS_BURST);
		if (n == 0)
			continue;
		switch_burst(&c, pkts, n);
		txb_flush_all(w, dp);
		total += n;
	}
	return total;
}

/* Sleep 'us' from TSC 't0'; returns the TSC after it. */
static uint64_t idle_sleep(struct vs_worker *w, unsigned int us, uint64_t t0)
{
	struct timespec ts = {0, (long)us * 1000};
	uint64_t t1;

	/* an offline thread does not hold back RCU grace periods while it sleeps */
	rte_rcu_qsbr_thread_offline(w->sw->qs, w->id);
	nanosleep(&ts, NULL);
	rte_rcu_qsbr_thread_online(w->sw->qs, w->id);
	t1 = rte_rdtsc();
	w->sleep_cycles += t1 - t0;
	return t1;
}

int vs_worker_main(void *arg)
{
	struct vs_worker *w = arg;
	struct vs_switch *sw = w->sw;
	unsigned int sleep_us = SLEEP_MIN_US;
	unsigned int sleep_max = sw->opts->idle_sleep_max_us;
	uint64_t idle_grace = sw->hz / 1000000 * IDLE_BEFORE_SLEEP_US, last_busy = rte_rdtsc();
	uint64_t t0 = last_busy, t1;

	/* nanosleep() would otherwise round short sleeps up to the default 50 us slack */
	prctl(PR_SET_TIMERSLACK, 1000UL);
	rte_rcu_qsbr_thread_register(sw->qs, w->id);
	rte_rcu_qsbr_thread_online(sw->qs, w->id);
	while (!__atomic_load_n(&sw->quit, __ATOMIC_RELAXED)) {
		const struct vs_dp_config *dp;
		uint16_t n;

		/* One TSC read a turn: a turn's end is the next one's start, and the busy/idle
		 * split covers the RCU and FDB-cache bookkeeping too. */
		rte_rcu_qsbr_quiescent(sw->qs, w->id);
		vs_fdb_cache_sync(&w->fdb_cache, sw->fdb);
		dp = __atomic_load_n(&sw->dp, __ATOMIC_ACQUIRE);
		n = poll_ports(w, dp, t0);
		t1 = rte_rdtsc();
		if (n) {
			w->busy_cycles += t1 - t0;
			w->packets += n;
			last_busy = t1;
			sleep_us = SLEEP_MIN_US;
			t0 = t1;
			continue;
		}
		w->idle_cycles += t1 - t0;
		t0 = t1;
		/* a closed loop under load sees empty polls between bursts: do not sleep on them */
		if (t1 - last_busy < idle_grace || sleep_max == 0)
			continue;
		t0 = idle_sleep(w, sleep_us, t1);
		sleep_us = RTE_MIN(sleep_us * 2, sleep_max);
	}
	rte_rcu_qsbr_thread_offline(sw->qs, w->id);
	rte_rcu_qsbr_thread_unregister(sw->qs, w->id);
	return 0;
}
