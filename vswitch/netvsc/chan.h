/* SPDX-License-Identifier: BSD-3-Clause */
/* One open netvsc channel, shared by conn.c (control) and chan.c (workers): see netvsc.h. */
#ifndef VS_NETVSC_CHAN_H
#define VS_NETVSC_CHAN_H

#include <rte_ring.h>
#include <rte_spinlock.h>

#include "netvsc.h"
#include "vmbus.h"

#define VS_NV_PKT_MAX 8192u   /* largest guest->host ring packet we take (Linux: < 1 KiB) */
#define VS_NV_LOG_LEN 120u    /* one worker log line */
#define VS_NV_RX_PKTS 64u     /* ring packets per receive poll */

struct vs_nv_log_msg {
	char text[VS_NV_LOG_LEN];
};

/*
 * The rings of one channel of the NIC: [0] the primary, [i] subchannel index i. The primary's is
 * set before the object is published. A subchannel's is filled by control while 'present' is 0,
 * then 'present' is set (release); to detach it control clears 'present' and waits for a grace
 * period before unmapping, so a worker that saw it present (acquire) finishes with it first.
 */
struct vs_nv_ring {
	uint32_t present;      /* atomic: attached */
	struct vmbus_ring g2h; /* lock: we are its reader */
	struct vmbus_ring h2g; /* lock: we are its writer */
	int intr_fd;	       /* doorbell to the guest */
	bool h2g_dirty;	       /* lock: written since the last write_done */
	uint64_t doorbells;    /* owner worker: signals sent (a gauge for control) */
};

struct vs_nv_chan {
	rte_spinlock_t lock; /* workers only: everything below marked "lock" */
	/* set by control before publishing, read-only afterwards */
	struct vs_vsp *vsp;			  /* lock */
	struct vs_nv_ring ring[VS_VSP_MAX_CHANNELS]; /* [0] primary, [i] subchannel i */
	uint32_t max_sub;			     /* subchannels we may grant */
	/* atomic: 1 + the highest ring index ever made present (control raises it before setting
	 * that ring's present), so that a poll looks at the rings in use, not all 16 */
	uint32_t n_rings;
	/* the owner worker grants subchannels (lock), control sends SUBCHAN_REQ for them */
	uint32_t sub_granted;			  /* atomic: count of the last grant */
	uint32_t sub_gen;			  /* atomic: bumped by every grant */
	struct vs_nv_gpadls *const *gpadls;	  /* the port's published table (RCU) */
	const uint8_t *mem;			  /* whole guest memory, read-only (GPA_DIRECT) */
	uint64_t mem_pages;
	struct rte_mempool *pool;
	struct rte_ring *log;			  /* worker -> control log lines (producer: lock) */
	/* workers: written under the lock, read by control (torn reads harmless) */
	uint32_t broken;			  /* 1: ring or framing violation, channel stopped */
	uint32_t offloads;			  /* VS_VSP_EN_* mirror for lock-free readers */
	/* control: written (atomic), owner worker: read; the media state the guest should see */
	uint8_t link_want;
	bool link_cur;				  /* lock: the state last given to the VSP */
	uint64_t err[VS_NV_ERR_COUNT];
	uint64_t drop[VS_NV_DROP_COUNT];
	/* lock: per-poll scratch */
	struct rte_mbuf **stage;
	uint16_t n_stage, stage_max;
	uint8_t pkt[VS_NV_PKT_MAX] __rte_aligned(8);
};

extern const struct vs_vsp_ops vs_nv_vsp_ops;

/* RSS (rss.c): the guest's Toeplitz hash of frame 'm' over the fields its hash types select
 * (IPv4/IPv6 addresses, plus TCP ports for TCP when asked; non-IP frames have none). Returns 0
 * with '*hash', or -ENOENT when no enabled type applies (the frame goes to channel 0). */
int vs_nv_rss_hash(const struct rte_mbuf *m, const struct vs_vsp_rss *rss, uint32_t *hash);

/* Toeplitz hash of 'n' 32-bit words (host order, first word first) with a 40-byte key. */
uint32_t vs_nv_toeplitz(uint32_t *words, uint32_t n, const uint8_t *key);

#endif
