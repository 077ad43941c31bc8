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
#define VS_NV_RX_FRAMES 32u   /* a poll stops reading once it has staged this many frames */

struct vs_nv_log_msg {
	char text[VS_NV_LOG_LEN];
};

struct vs_nv_chan {
	rte_spinlock_t lock; /* workers only: everything below marked "lock" */
	/* set by control before publishing, read-only afterwards */
	struct vs_vsp *vsp;			  /* lock */
	struct vmbus_ring g2h;			  /* lock: we are its reader */
	struct vmbus_ring h2g;			  /* lock: we are its writer */
	int intr_fd;				  /* doorbell to the guest */
	struct vs_nv_gpadls *const *gpadls;	  /* the port's published table (RCU) */
	const uint8_t *mem;			  /* whole guest memory, read-only (GPA_DIRECT) */
	uint64_t mem_pages;
	struct rte_mempool *pool;
	struct rte_ring *log;			  /* worker -> control log lines (producer: lock) */
	/* workers: written under the lock, read by control (torn reads harmless) */
	uint32_t broken;			  /* 1: ring or framing violation, channel stopped */
	/* control: written (atomic), owner worker: read; the media state the guest should see */
	uint8_t link_want;
	bool link_cur;				  /* lock: the state last given to the VSP */
	uint64_t err[VS_NV_ERR_COUNT];
	uint64_t drop[VS_NV_DROP_COUNT];
	/* lock: per-poll scratch */
	bool h2g_dirty;				  /* packets written since the last write_done */
	struct rte_mbuf **stage;
	uint16_t n_stage, stage_max;
	uint8_t pkt[VS_NV_PKT_MAX] __rte_aligned(8);
};

extern const struct vs_vsp_ops vs_nv_vsp_ops;

#endif
