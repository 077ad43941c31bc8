/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A fake host for the VSP core, for unit tests and fuzz targets: "guest RAM" is a malloc'ed array
 * of pages at PFN VSP_FAKE_PFN_BASE, GPADL buffers are malloc'ed exactly their size (so ASan sees
 * any overrun), sent ring packets are recorded, delivered frames are copied.
 */
#ifndef VS_NETVSP_VSP_FAKE_H
#define VS_NETVSP_VSP_FAKE_H

#include "vsp.h"

#include <stddef.h>
#include <stdint.h>

#define VSP_FAKE_PFN_BASE 0x1000u
#define VSP_FAKE_MAX_GPADLS 4u
#define VSP_FAKE_MAX_PKTS 64u
#define VSP_FAKE_MAX_FRAMES 8u
#define VSP_FAKE_FRAME_MAX (70u * 1024u)

struct vsp_fake_frame {
	uint8_t *data;		  /* copy of the frame bytes */
	struct vs_vsp_frame meta; /* as delivered (segs pointer is stale after the call) */
};

struct vsp_fake {
	uint8_t *ram; /* guest RAM, n_pages pages */
	size_t n_pages;
	struct {
		uint32_t handle;
		uint8_t *base;
		size_t size;
	} gpadls[VSP_FAKE_MAX_GPADLS];
	unsigned int n_gpadls;

	uint8_t *pkts[VSP_FAKE_MAX_PKTS]; /* copies of the packets sent, oldest first */
	size_t pkt_len[VSP_FAKE_MAX_PKTS];
	unsigned int n_pkts;	/* recorded (further packets are counted only) */
	unsigned int n_sent;	/* all successful sends */
	int send_ret;		/* forced ops->send result when non-zero */
	uint32_t last_chan;	/* channel of the last send */
	unsigned int n_sent_chan[VS_VSP_MAX_CHANNELS]; /* successful sends per channel */

	struct vsp_fake_frame frames[VSP_FAKE_MAX_FRAMES];
	unsigned int n_frames;	/* recorded */
	unsigned int n_delivered;
	int deliver_ret;	/* forced ops->deliver result */

	uint32_t subchannels; /* what ops->subchannels grants (may exceed the request: the core
			       * must clamp) */
	unsigned int n_logs;
	int record; /* 0: do not copy packets/frames (fuzzing) */
	int check;  /* abort() on a sent packet a Linux guest would reject (see vsp_fake_check) */
	uint32_t rx_gpadl;  /* which GPADL is the receive buffer, for the check */
	uint64_t last_xfer; /* transaction id of the last XFER_PAGES sent */
	unsigned int n_xfers;
};

/* Check one host->guest packet against what Linux 6.1 accepts (facts 5.2, 6.3, 7.2, 7.6):
 * framing, <= 4624 bytes, 40-byte or empty completions, XFER_PAGES ranges inside the receive
 * buffer and every RNDIS message in them well formed, with PPIs a walk can step through. The
 * set id is not checked (it echoes the guest's choice; unit tests check 0xCAFE).
 * Returns NULL or what is wrong. */
const char *vsp_fake_check(const struct vsp_fake *f, const uint8_t *pkt, size_t len);

extern const struct vs_vsp_ops vsp_fake_ops;

/* Allocate 'n_pages' of zeroed guest RAM. Returns 0 or -ENOMEM. */
int vsp_fake_init(struct vsp_fake *f, size_t n_pages);
void vsp_fake_fini(struct vsp_fake *f);

/* Add a GPADL of 'size' bytes (zeroed); returns its mapping or NULL. */
uint8_t *vsp_fake_gpadl_add(struct vsp_fake *f, uint32_t handle, size_t size);

/* Address of guest page 'pfn', or NULL. */
uint8_t *vsp_fake_page(struct vsp_fake *f, uint64_t pfn);

/* Forget recorded packets and frames. */
void vsp_fake_clear(struct vsp_fake *f);

#endif
