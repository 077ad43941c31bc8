/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A NIC taken over for a uio guest (uio.h): what Linux's uio_hv_generic does at probe and at the
 * first open of /dev/uioN (reference/dpdk-netvsc-guest.md §3.1), with our VMBus client:
 *  - receive and send buffers in partition memory, each with a GPADL whose handle goes into the
 *    map name ("recv:<n>", "send:<n>": the PMD learns them only from there, §3.3);
 *  - the channel opened with GD_UIO_RING_PAGES per direction: map 0 is the whole ring GPADL,
 *    guest->host ring first, as the PMD expects;
 *  - map 1 is the VMBus interrupt page and map 2 the guest->host monitor page we gave the host
 *    in INITIATE_CONTACT. Our host keeps the guest->host ring's interrupt mask set and polls, so
 *    the PMD never sets monitor bits (it does only when the mask is 0, §4); the page is there
 *    because the PMD maps it and writes its latency there.
 * No NVSP: the PMD speaks it. The offer's monitor id is "none" (our host allocates none); sysfs
 * says 0, a valid index for the PMD's latency table.
 *
 * Multi-queue (reference §2 rows 13-18, §6.2): the PMD asks the host for subchannels over NVSP;
 * vmmd offers them; we open each, as uio_hv_generic's new-channel callback does, with
 * GD_UIO_RING_PAGES per direction, and publish channels/<relid>/. Their ring pages are reserved
 * at start, below the DPDK heap (the heap is identity-mapped from partition memory above
 * end_pfn, shim.c), so a subchannel's rings can never land in pages the heap uses.
 */
#include "internal.h"
#include "uio.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define GD_UIO_CONTACT_PAGES 3u /* vmbus_client.c: interrupt page, monitor pages 1 and 2 */
#define GD_UIO_SUB_PAGES (2u * GD_UIO_RING_PAGES) /* a subchannel's ring GPADL */

static const struct vmbus_guid gd_uio_netvsc_guid = VMBUS_GUID_NETVSC;

static int uio_buf_alloc(struct gd_uio_dev *dev, uint32_t size, uint64_t *pfn, uint32_t *gpadl)
{
	uint32_t pages = size / VMBUS_PAGE_SIZE;
	int ret = gd_gmem_alloc(&dev->gmem, pages, pfn);

	if (ret)
		return ret;
	memset(gd_gmem_va(&dev->gmem, *pfn), 0, size);
	ret = gd_gpadl_create_run(&dev->vb, dev->ch.relid, *pfn, pages, gpadl);
	if (ret) {
		gd_gmem_free(&dev->gmem, *pfn, pages);
		*pfn = 0;
	}
	return ret;
}

static void uio_view_fill(struct gd_uio_dev *dev, const struct gd_offer *o)
{
	struct gd_uio_view *v = &dev->view;
	uint64_t pg = VMBUS_PAGE_SIZE;

	memset(v, 0, sizeof(*v));
	v->class_id = o->msg.if_type;
	v->device_id = o->msg.if_instance;
	v->relid = o->msg.child_relid;
	v->monitor_id = o->msg.monitor_id < 128 ? o->msg.monitor_id : 0;
	v->numa_node = -1;
	v->uio_index = 0;
	gd_uio_map_names(v, dev->recv_gpadl, dev->send_gpadl);
	v->multi_queue = dev->queues > 1;
	v->maps[0].offset = dev->ch.ring_pfn * pg;
	v->maps[0].size = (uint64_t)dev->ch.ring_pages * pg;
	v->maps[1].offset = dev->vb.contact_pfn * pg;
	v->maps[1].size = pg;
	v->maps[2].offset = (dev->vb.contact_pfn + 2) * pg;
	v->maps[2].size = pg;
	v->maps[3].offset = dev->recv_pfn * pg;
	v->maps[3].size = GD_UIO_RECV_SIZE;
	v->maps[4].offset = dev->send_pfn * pg;
	v->maps[4].size = GD_UIO_SEND_SIZE;
}

static uint64_t uio_end_pfn(const struct gd_uio_dev *dev)
{
	uint64_t end = dev->vb.contact_pfn + GD_UIO_CONTACT_PAGES, e;

	e = dev->ch.ring_pfn + dev->ch.ring_pages;
	end = e > end ? e : end;
	e = dev->recv_pfn + GD_UIO_RECV_SIZE / VMBUS_PAGE_SIZE;
	end = e > end ? e : end;
	e = dev->send_pfn + GD_UIO_SEND_SIZE / VMBUS_PAGE_SIZE;
	end = e > end ? e : end;
	if (dev->queues > 1) {
		e = dev->reserve_pfn + (uint64_t)(dev->queues - 1) * GD_UIO_SUB_PAGES;
		end = e > end ? e : end;
	}
	return end;
}

/* Is 'o' a subchannel of our primary (same GUIDs, index >= 1)? */
static bool uio_is_our_sub(const struct gd_uio_dev *dev, const struct gd_offer *o)
{
	return o->msg.sub_channel_index != 0 &&
	       !memcmp(&o->msg.if_type, &dev->view.class_id, sizeof(o->msg.if_type)) &&
	       !memcmp(&o->msg.if_instance, &dev->view.device_id, sizeof(o->msg.if_instance));
}

static void uio_sub_close(struct gd_uio_dev *dev, struct gd_uio_sub *s, bool rescinded)
{
	uint32_t relid = s->ch.relid;

	if (s->published)
		gd_uio_channel_remove(dev->sysfs, &dev->view.device_id, relid);
	s->published = false;
	gd_channel_close(&s->ch, rescinded);
	gd_log(LOG_INFO, "relid %u: subchannel closed%s", relid, rescinded ? " (rescinded)" : "");
}

/* Open subchannel offer 'o' (index k) into slot k - 1 and publish it. */
static void uio_sub_open(struct gd_uio_dev *dev, const struct gd_offer *o)
{
	unsigned int k = o->msg.sub_channel_index;
	struct gd_uio_sub *s = &dev->subs[k - 1];
	struct gd_uio_chan_view cv;
	int ret;

	if (s->reserved) {
		/* first-fit takes these pages (or a lower run): still below end_pfn */
		gd_gmem_free(&dev->gmem, dev->reserve_pfn + (uint64_t)(k - 1) * GD_UIO_SUB_PAGES,
			GD_UIO_SUB_PAGES);
		s->reserved = false;
	}
	ret = gd_channel_open(&s->ch, &dev->vb, o, GD_UIO_RING_PAGES);
	if (ret == 0 && s->ch.ring_pfn + s->ch.ring_pages > dev->end_pfn) {
		gd_channel_close(&s->ch, false);
		ret = -ENOMEM; /* would overlap the DPDK heap */
	}
	if (ret == 0) {
		cv = (struct gd_uio_chan_view){.relid = s->ch.relid,
			.subchannel_id = (uint16_t)k,
			.monitor_id = o->msg.monitor_id < 128 ? o->msg.monitor_id : 0,
			.ring_size = (uint64_t)s->ch.ring_pages * VMBUS_PAGE_SIZE};
		ret = gd_uio_channel_write(dev->sysfs, &dev->view.device_id, &cv);
		if (ret)
			gd_channel_close(&s->ch, false);
	}
	if (ret) {
		s->failed_gen = dev->vb.offer_gen;
		gd_log(LOG_WARNING, "relid %u: subchannel %u not opened: %s", o->msg.child_relid, k,
			strerror(-ret));
		return;
	}
	s->published = true;
	gd_log(LOG_INFO, "relid %u: subchannel %u open, channels/%u published", s->ch.relid, k,
		s->ch.relid);
}

/* Follow the offer table: open new subchannel offers, close and release rescinded ones. */
static void uio_subs_sync(struct gd_uio_dev *dev)
{
	unsigned int i;

	for (i = 0; i < GD_MAX_OFFERS; i++) {
		struct gd_offer *o = &dev->vb.offers[i];
		unsigned int k = o->msg.sub_channel_index;
		struct gd_uio_sub *s;

		if ((!o->present && !o->rescinded) || !uio_is_our_sub(dev, o))
			continue;
		if (k >= dev->queues) {
			/* more than we reserved for: never opened */
			if (o->rescinded)
				gd_vmbus_relid_release(&dev->vb, o->msg.child_relid);
			continue;
		}
		s = &dev->subs[k - 1];
		if (o->rescinded) {
			if (s->ch.open && s->ch.relid == o->msg.child_relid)
				uio_sub_close(dev, s, true);
			gd_vmbus_relid_release(&dev->vb, o->msg.child_relid);
			continue;
		}
		if (!s->ch.open && s->failed_gen != dev->vb.offer_gen && dev->ch.open)
			uio_sub_open(dev, o);
	}
}

/* The PMD's way to the subchannel rings (shim.c): where an open channel's rings are. */
static void uio_ring_answer(struct gd_uio_dev *dev, uint32_t relid)
{
	struct gd_uio_ctl_ring a = {.status = ENOENT};
	const struct gd_channel *c = NULL;
	unsigned int k;

	if (dev->ch.open && dev->ch.relid == relid)
		c = &dev->ch;
	for (k = 0; c == NULL && k < GD_UIO_MAX_SUBCHANNELS; k++) {
		if (dev->subs[k].ch.open && dev->subs[k].ch.relid == relid)
			c = &dev->subs[k].ch;
	}
	if (c) {
		a.status = 0;
		a.offset = c->ring_pfn * VMBUS_PAGE_SIZE;
		a.size = (uint64_t)c->ring_pages * VMBUS_PAGE_SIZE;
	}
	if (send(dev->ctl_fd[0], &a, sizeof(a), MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		gd_log(LOG_WARNING, "uio ring query: no answer sent: %s", strerror(errno));
}

/* Hold the ring pages of queues - 1 subchannels (as many as memory allows). */
static void uio_subs_reserve(struct gd_uio_dev *dev, uint32_t queues)
{
	uint32_t n = queues > 1 ? queues - 1 : 0, k;

	if (n > GD_UIO_MAX_SUBCHANNELS)
		n = GD_UIO_MAX_SUBCHANNELS;
	for (; n > 0; n--) {
		if (gd_gmem_alloc(&dev->gmem, n * GD_UIO_SUB_PAGES, &dev->reserve_pfn) == 0)
			break;
	}
	if (n + 1 < queues)
		gd_log(LOG_WARNING, "queues=%u: memory for %u subchannel ring(s) only", queues, n);
	dev->queues = n + 1;
	for (k = 0; k < n; k++)
		dev->subs[k].reserved = true;
}

int gd_uio_dev_start(struct gd_uio_dev *dev, int mem_fd, int msg_fd, int contact_ms, int reply_ms,
	uint32_t queues, void (*on_contact)(void *), void *arg)
{
	unsigned int k;
	const struct gd_offer *o;
	int ret;

	memset(dev, 0, sizeof(*dev));
	dev->msg_fd = msg_fd;
	dev->ch.signal_fd = dev->ch.intr_fd = -1;
	dev->sysfs = GD_UIO_SYSFS_DEVICES;
	dev->queues = 1;
	for (k = 0; k < GD_UIO_MAX_SUBCHANNELS; k++)
		dev->subs[k].ch.signal_fd = dev->subs[k].ch.intr_fd = -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, dev->ctl_fd) < 0) {
		dev->ctl_fd[0] = dev->ctl_fd[1] = -1;
		return -errno;
	}
	ret = gd_gmem_open(&dev->gmem, mem_fd);
	if (ret)
		return ret;
	gd_vmbus_init(&dev->vb, &gd_sock_transport_ops, &dev->msg_fd, &dev->gmem, contact_ms);
	dev->vb.on_contact = on_contact;
	dev->vb.contact_arg = arg;
	ret = gd_vmbus_connect(&dev->vb);
	dev->vb.timeout_ms = reply_ms;
	if (ret)
		return ret == -ETIMEDOUT || ret == -EPROTONOSUPPORT ? -ENODEV : ret;
	o = gd_vmbus_find_offer(&dev->vb, &gd_uio_netvsc_guid);
	if (o == NULL)
		return -ENODEV;
	/* uio_hv_generic makes the buffer GPADLs at probe, before the open */
	dev->ch.relid = o->msg.child_relid;
	ret = uio_buf_alloc(dev, GD_UIO_RECV_SIZE, &dev->recv_pfn, &dev->recv_gpadl);
	if (ret == 0)
		ret = uio_buf_alloc(dev, GD_UIO_SEND_SIZE, &dev->send_pfn, &dev->send_gpadl);
	if (ret)
		return ret;
	ret = gd_channel_open(&dev->ch, &dev->vb, o, GD_UIO_RING_PAGES);
	if (ret) {
		dev->ch.relid = o->msg.child_relid;
		return ret;
	}
	uio_subs_reserve(dev, queues);
	uio_view_fill(dev, o);
	dev->end_pfn = uio_end_pfn(dev);
	gd_log(LOG_INFO, "relid %u: uio view: rings %u pages, recv gpadl %u, send gpadl %u",
		dev->ch.relid, dev->ch.ring_pages, dev->recv_gpadl, dev->send_gpadl);
	return 0;
}

/* A process's claim of the device (uio.h): answer 0 once the channel is fresh for it. */
static void uio_claim(struct gd_uio_dev *dev)
{
	uint32_t req[2] = {0}, status = 0;
	unsigned int k;
	ssize_t n;
	int ret;

	n = recv(dev->ctl_fd[0], req, sizeof(req), MSG_DONTWAIT);
	if (n == (ssize_t)sizeof(req) && req[0] == GD_UIO_CTL_RING) {
		uio_ring_answer(dev, req[1]);
		return;
	}
	if (n != (ssize_t)sizeof(req[0]) || req[0] != GD_UIO_CTL_CLAIM)
		return;
	if (dev->claimed) {
		/* Linux's last close closes the subchannels before the primary; the host then
		 * rescinds them (uio_subs_sync releases them) and offers them again when the
		 * next PMD asks */
		for (k = 0; k < GD_UIO_MAX_SUBCHANNELS; k++) {
			if (dev->subs[k].ch.open)
				uio_sub_close(dev, &dev->subs[k], false);
		}
		ret = gd_channel_reopen(&dev->ch);
		dev->reopens++;
		if (ret) {
			gd_log(LOG_ERR, "relid %u: channel reopen failed: %s", dev->ch.relid,
				strerror(-ret));
			status = (uint32_t)-ret;
		}
	}
	dev->claimed = true;
	if (send(dev->ctl_fd[0], &status, sizeof(status), MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		gd_log(LOG_WARNING, "uio claim: no answer sent: %s", strerror(errno));
}

/*
 * The host signalled channel 'ch': what uio_hv_generic's channel callback does, mask the inbound
 * ring's interrupts (the PMD polls and never unmasks: DPDK 22.11's netvsc has no receive
 * interrupts), so that the host stops signalling a guest that does not need it. Without this,
 * vswitchd would make a write() into our doorbell pipe for nearly every batch it delivers.
 */
static void uio_intr(struct gd_channel *ch)
{
	gd_channel_intr_clear(ch);
	__atomic_store_n(&ch->in.ctl->interrupt_mask, 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/* The open channels' doorbells after the three fixed entries of 'p'; returns the entry count. */
static nfds_t uio_intr_fds(struct gd_uio_dev *dev, struct pollfd *p, struct gd_channel **chs)
{
	nfds_t n = 3;
	unsigned int k;

	if (dev->ch.open && dev->ch.intr_fd >= 0) {
		chs[n] = &dev->ch;
		p[n++] = (struct pollfd){.fd = dev->ch.intr_fd, .events = POLLIN};
	}
	for (k = 0; k < GD_UIO_MAX_SUBCHANNELS; k++) {
		if (dev->subs[k].ch.open && dev->subs[k].ch.intr_fd >= 0) {
			chs[n] = &dev->subs[k].ch;
			p[n++] = (struct pollfd){.fd = dev->subs[k].ch.intr_fd, .events = POLLIN};
		}
	}
	return n;
}

int gd_uio_dev_run(struct gd_uio_dev *dev, int stop_fd)
{
	struct pollfd p[3 + 1 + GD_UIO_MAX_SUBCHANNELS] = {{.fd = stop_fd, .events = POLLIN},
		{.fd = dev->msg_fd, .events = POLLIN}, {.fd = dev->ctl_fd[0], .events = POLLIN}};
	struct gd_channel *chs[3 + 1 + GD_UIO_MAX_SUBCHANNELS] = {NULL};
	nfds_t n, i;
	int ret;

	for (;;) {
		/* channels open and close below: the set is rebuilt every turn */
		n = uio_intr_fds(dev, p, chs);
		if (poll(p, n, -1) < 0)
			continue;
		if (p[0].revents)
			return 0;
		for (i = 3; i < n; i++) {
			if (p[i].revents & POLLIN)
				uio_intr(chs[i]);
		}
		if (p[2].revents & POLLIN) {
			uio_claim(dev);
			uio_subs_sync(dev);
		}
		if (!(p[1].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		/* offers, rescinds: the PMD cannot follow a rescind, so it is only logged */
		ret = gd_vmbus_pump(&dev->vb, 0);
		if (ret < 0)
			return ret;
		/* nothing waits for a reply here: drop any, with their fds */
		while (dev->vb.n_replies) {
			struct gd_reply *r = &dev->vb.replies[--dev->vb.n_replies];

			while (r->n_fds)
				close(r->fds[--r->n_fds]);
		}
		uio_subs_sync(dev);
	}
}

void gd_uio_dev_stop(struct gd_uio_dev *dev)
{
	uint32_t relid = dev->ch.relid;
	unsigned int k;

	for (k = 0; k < GD_UIO_MAX_SUBCHANNELS; k++) {
		if (dev->subs[k].ch.open)
			uio_sub_close(dev, &dev->subs[k], false);
	}
	if (dev->ch.open)
		gd_channel_close(&dev->ch, false);
	if (dev->recv_gpadl)
		gd_gpadl_teardown(&dev->vb, relid, dev->recv_gpadl);
	if (dev->send_gpadl)
		gd_gpadl_teardown(&dev->vb, relid, dev->send_gpadl);
	if (dev->vb.connected)
		gd_vmbus_unload(&dev->vb);
	gd_vmbus_fini(&dev->vb);
	if (dev->gmem.base)
		gd_gmem_close(&dev->gmem);
	if (dev->ctl_fd[0] >= 0)
		close(dev->ctl_fd[0]);
	if (dev->ctl_fd[1] >= 0)
		close(dev->ctl_fd[1]);
	memset(dev, 0, sizeof(*dev));
	dev->ctl_fd[0] = dev->ctl_fd[1] = -1;
}

int gd_uio_dev_export(struct gd_uio_dev *dev, const char *preload)
{
	char maps[GD_UIO_MAPS * 40], v[64];
	size_t n = 0;
	unsigned int i;
	int fd, ctl;

	/* the command maps the regions from its own copy of the memory fd */
	fd = fcntl(dev->gmem.fd, F_DUPFD, 10);
	if (fd < 0)
		return -errno;
	ctl = fcntl(dev->ctl_fd[1], F_DUPFD, 10);
	if (ctl < 0) {
		close(fd);
		return -errno;
	}
	snprintf(v, sizeof(v), "%d", ctl);
	setenv("VSW_UIO_CTL_FD", v, 1);
	for (i = 0; i < dev->view.n_maps; i++)
		n += (size_t)snprintf(maps + n, sizeof(maps) - n, "%s0x%llx:0x%llx", i ? "," : "",
			(unsigned long long)dev->view.maps[i].offset,
			(unsigned long long)dev->view.maps[i].size);
	snprintf(v, sizeof(v), "%d", fd);
	setenv("VSW_UIO_MEM_FD", v, 1);
	snprintf(v, sizeof(v), "%u", dev->view.uio_index);
	setenv("VSW_UIO_DEV", v, 1);
	setenv("VSW_UIO_MAPS", maps, 1);
	snprintf(v, sizeof(v), "0x%llx", (unsigned long long)(dev->end_pfn * VMBUS_PAGE_SIZE));
	setenv("VSW_UIO_HEAP_MIN", v, 1);
	if (preload)
		setenv("LD_PRELOAD", preload, 1);
	return 0;
}
