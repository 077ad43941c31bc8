/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Opening and closing a channel (facts 4.3, 5.1): the ring GPADL holds the guest->host ring in
 * pages [0, ring_pages) and the host->guest ring in [ring_pages, 2 * ring_pages); we zero both
 * control pages and set the pending_send_sz feature bit in both before the GPADL exists, as
 * Linux does at open. The doorbells are the two fds of OPENCHANNEL_RESULT
 * (include/vsw/proto/hv_msg.h): [0] we signal the host (an eventfd), [1] the host interrupts us
 * (the read end of a pipe; an eventfd in the in-process tests).
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

struct open_key {
	uint32_t relid;
	uint32_t open_id;
};

static bool open_result_match(const struct gd_reply *r, const void *arg)
{
	const struct open_key *k = arg;

	return r->msg.open_result.child_relid == k->relid &&
	       r->msg.open_result.open_id == k->open_id;
}

static void reply_fds_close(struct gd_reply *r)
{
	while (r->n_fds)
		close(r->fds[--r->n_fds]);
}

static int channel_rings_init(struct gd_channel *ch, uint8_t *va, uint32_t ring_pages)
{
	size_t ring_size = (size_t)ring_pages * VMBUS_PAGE_SIZE;
	int ret;

	ret = vmbus_ring_init(&ch->out, va, ring_size, VMBUS_RING_WRITER);
	if (ret)
		return ret;
	ret = vmbus_ring_init(&ch->in, va + ring_size, ring_size, VMBUS_RING_READER);
	if (ret)
		return ret;
	vmbus_ring_ctl_reset(&ch->out);
	vmbus_ring_ctl_reset(&ch->in);
	return 0;
}

int gd_channel_open(struct gd_channel *ch, struct gd_vmbus *vb, const struct gd_offer *offer,
	uint32_t ring_pages)
{
	struct open_key k;
	union vmbus_chanmsg m;
	struct gd_reply r = {0};
	uint8_t *va;
	int ret;

	memset(ch, 0, sizeof(*ch));
	ch->vb = vb;
	ch->signal_fd = ch->intr_fd = -1;
	ch->relid = offer->msg.child_relid;
	if (ring_pages < 2 || ring_pages > VMBUS_RING_MAX_DATA / VMBUS_PAGE_SIZE)
		return -EINVAL;
	ch->ring_pages = 2 * ring_pages;
	ret = gd_gmem_alloc(vb->gmem, ch->ring_pages, &ch->ring_pfn);
	if (ret)
		return ret;
	va = gd_gmem_va(vb->gmem, ch->ring_pfn);
	ret = channel_rings_init(ch, va, ring_pages);
	if (ret)
		goto err_free;
	ret = gd_gpadl_create_run(vb, ch->relid, ch->ring_pfn, ch->ring_pages, &ch->ring_gpadl);
	if (ret)
		goto err_free;
	/* open id = relid, target VP 0, downstream ring after our ring (facts 4.3) */
	k.relid = ch->relid;
	k.open_id = ch->relid;
	ret = gd_vmbus_post(vb, &m,
		vmbus_chanmsg_build_open(&m, ch->relid, k.open_id, ch->ring_gpadl, 0, ring_pages));
	if (ret)
		goto err_teardown;
	ret = gd_vmbus_wait_reply(vb, VMBUS_CHANMSG_OPENCHANNEL_RESULT, open_result_match, &k, &r);
	if (ret)
		goto err_teardown;
	if (r.msg.open_result.status != 0 || r.n_fds != 2) {
		gd_log(LOG_ERR, "relid %u: open refused (status %#x, %u doorbells)", ch->relid,
			r.msg.open_result.status, r.n_fds);
		reply_fds_close(&r);
		ret = -EIO;
		goto err_teardown;
	}
	ch->signal_fd = r.fds[0];
	ch->intr_fd = r.fds[1];
	/* the interrupt doorbell is polled and drained without blocking */
	fcntl(ch->intr_fd, F_SETFL, fcntl(ch->intr_fd, F_GETFL) | O_NONBLOCK);
	ch->open = true;
	return 0;

err_teardown:
	if (gd_gpadl_teardown(vb, ch->relid, ch->ring_gpadl) == 0)
		goto err_free;
	/* the host may still use the pages: leak them rather than reuse them */
	return ret;
err_free:
	gd_gmem_free(vb->gmem, ch->ring_pfn, ch->ring_pages);
	return ret;
}

int gd_channel_reopen(struct gd_channel *ch)
{
	uint32_t half = ch->ring_pages / 2;
	union vmbus_chanmsg m;
	struct gd_reply r = {0};
	struct open_key k = {.relid = ch->relid, .open_id = ch->relid};
	int ret;

	if (!ch->vb || !ch->open)
		return -EINVAL;
	/* CLOSECHANNEL, then the ring GPADL's teardown: GPADL_TORNDOWN says the host no longer
	 * touches the rings (facts 4.3), so only then are they reset, and given again under a new
	 * GPADL, as Linux's vmbus_disconnect_ring and vmbus_connect_ring do */
	ret = gd_vmbus_post(ch->vb, &m, vmbus_chanmsg_build_close(&m, ch->relid));
	close(ch->signal_fd);
	close(ch->intr_fd);
	ch->signal_fd = ch->intr_fd = -1;
	ch->open = false;
	if (ret)
		return ret;
	ret = gd_gpadl_teardown(ch->vb, ch->relid, ch->ring_gpadl);
	if (ret)
		return ret;
	ch->ring_gpadl = 0;
	vmbus_ring_ctl_reset(&ch->out);
	vmbus_ring_ctl_reset(&ch->in);
	ret = gd_gpadl_create_run(ch->vb, ch->relid, ch->ring_pfn, ch->ring_pages, &ch->ring_gpadl);
	if (ret)
		return ret;
	ret = gd_vmbus_post(ch->vb, &m,
		vmbus_chanmsg_build_open(&m, ch->relid, k.open_id, ch->ring_gpadl, 0, half));
	if (ret)
		return ret;
	ret = gd_vmbus_wait_reply(ch->vb, VMBUS_CHANMSG_OPENCHANNEL_RESULT, open_result_match, &k,
		&r);
	if (ret)
		return ret;
	if (r.msg.open_result.status != 0 || r.n_fds != 2) {
		reply_fds_close(&r);
		return -EIO;
	}
	ch->signal_fd = r.fds[0];
	ch->intr_fd = r.fds[1];
	fcntl(ch->intr_fd, F_SETFL, fcntl(ch->intr_fd, F_GETFL) | O_NONBLOCK);
	ch->open = true;
	return 0;
}

void gd_channel_close(struct gd_channel *ch, bool rescinded)
{
	union vmbus_chanmsg m;
	bool pages_free = true;

	if (!ch->vb)
		return;
	if (ch->open) {
		/* Linux sends CLOSECHANNEL even for a rescinded channel (facts 4.3) */
		if (gd_vmbus_post(ch->vb, &m, vmbus_chanmsg_build_close(&m, ch->relid)))
			rescinded = true; /* host gone: nothing to tear down */
	}
	if (ch->ring_gpadl && !rescinded) {
		if (gd_gpadl_teardown(ch->vb, ch->relid, ch->ring_gpadl)) {
			gd_log(LOG_WARNING, "relid %u: ring GPADL teardown unanswered", ch->relid);
			pages_free = false;
		}
	}
	if (ch->signal_fd >= 0)
		close(ch->signal_fd);
	if (ch->intr_fd >= 0)
		close(ch->intr_fd);
	/* after a rescind the host frees the GPADLs itself once the relid is released */
	if (ch->ring_pfn && pages_free)
		gd_gmem_free(ch->vb->gmem, ch->ring_pfn, ch->ring_pages);
	memset(ch, 0, sizeof(*ch));
	ch->signal_fd = ch->intr_fd = -1;
}

int gd_channel_signal(struct gd_channel *ch)
{
	uint64_t one = 1;

	ch->n_signals++;
	if (write(ch->signal_fd, &one, sizeof(one)) != sizeof(one))
		return -errno;
	return 0;
}

void gd_channel_intr_clear(struct gd_channel *ch)
{
	/* a pipe from vmmd (8 bytes per signal, several may be pending), or an eventfd (tests) */
	uint8_t v[512];

	if (read(ch->intr_fd, v, sizeof(v)) < 0 && errno != EAGAIN)
		GD_LOG_RL(LOG_WARNING, "interrupt doorbell: %s", strerror(errno));
}
