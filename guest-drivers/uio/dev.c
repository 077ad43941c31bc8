/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The NICs of a partition taken over for a uio guest (uio.h): what Linux's uio_hv_generic does
 * at probe and at the first open of /dev/uioN (reference/dpdk-netvsc-guest.md §3.1), for each
 * netvsc offer, with our VMBus client (one connection for all of them):
 *  - receive and send buffers in partition memory, each with a GPADL whose handle goes into the
 *    map name ("recv:<n>", "send:<n>": the PMD learns them only from there, §3.3);
 *  - the channel opened with GD_UIO_RING_PAGES per direction: map 0 is the whole ring GPADL,
 *    guest->host ring first, as the PMD expects;
 *  - map 1 is the VMBus interrupt page and map 2 the guest->host monitor page we gave the host
 *    in INITIATE_CONTACT. Our host keeps the guest->host ring's interrupt mask set and polls, so
 *    the PMD never sets monitor bits (it does only when the mask is 0, §4); the page is there
 *    because the PMD maps it and writes its latency there.
 * No NVSP: the PMD speaks it. The offer's monitor id is "none" (our host allocates none); sysfs
 * says 0, a valid index for the PMD's latency table. NIC i (offers in relid order, which is vmmd's
 * NIC order) is /dev/uio<i>.
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

static int uio_buf_alloc(struct gd_uio_dev *dev, uint32_t relid, uint32_t size, uint64_t *pfn,
	uint32_t *gpadl)
{
	uint32_t pages = size / VMBUS_PAGE_SIZE;
	int ret = gd_gmem_alloc(&dev->gmem, pages, pfn);

	if (ret)
		return ret;
	memset(gd_gmem_va(&dev->gmem, *pfn), 0, size);
	ret = gd_gpadl_create_run(&dev->vb, relid, *pfn, pages, gpadl);
	if (ret) {
		gd_gmem_free(&dev->gmem, *pfn, pages);
		*pfn = 0;
	}
	return ret;
}

static void uio_view_fill(struct gd_uio_dev *dev, struct gd_uio_nic *nic, const struct gd_offer *o,
	unsigned int index)
{
	struct gd_uio_view *v = &nic->view;
	uint64_t pg = VMBUS_PAGE_SIZE;

	memset(v, 0, sizeof(*v));
	v->class_id = o->msg.if_type;
	v->device_id = o->msg.if_instance;
	v->relid = o->msg.child_relid;
	v->monitor_id = o->msg.monitor_id < 128 ? o->msg.monitor_id : 0;
	v->numa_node = -1;
	v->uio_index = index;
	gd_uio_map_names(v, nic->recv_gpadl, nic->send_gpadl);
	v->multi_queue = nic->queues > 1;
	v->maps[0].offset = nic->ch.ring_pfn * pg;
	v->maps[0].size = (uint64_t)nic->ch.ring_pages * pg;
	/* the connection's interrupt and monitor pages, shared by every device as in Linux */
	v->maps[1].offset = dev->vb.contact_pfn * pg;
	v->maps[1].size = pg;
	v->maps[2].offset = (dev->vb.contact_pfn + 2) * pg;
	v->maps[2].size = pg;
	v->maps[3].offset = nic->recv_pfn * pg;
	v->maps[3].size = GD_UIO_RECV_SIZE;
	v->maps[4].offset = nic->send_pfn * pg;
	v->maps[4].size = GD_UIO_SEND_SIZE;
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

/* The first page above what was allocated for 'nic', or 'end' if that is higher. */
static uint64_t uio_nic_end_pfn(const struct gd_uio_nic *nic, uint64_t end)
{
	end = max_u64(end, nic->ch.ring_pfn + nic->ch.ring_pages);
	end = max_u64(end, nic->recv_pfn + GD_UIO_RECV_SIZE / VMBUS_PAGE_SIZE);
	end = max_u64(end, nic->send_pfn + GD_UIO_SEND_SIZE / VMBUS_PAGE_SIZE);
	if (nic->queues > 1)
		end = max_u64(end, nic->reserve_pfn + (uint64_t)(nic->queues - 1) * GD_UIO_SUB_PAGES);
	return end;
}

/* Is 'o' a subchannel of the NIC's primary (same GUIDs, index >= 1)? */
static bool uio_is_our_sub(const struct gd_uio_nic *nic, const struct gd_offer *o)
{
	return o->msg.sub_channel_index != 0 &&
	       !memcmp(&o->msg.if_type, &nic->view.class_id, sizeof(o->msg.if_type)) &&
	       !memcmp(&o->msg.if_instance, &nic->view.device_id, sizeof(o->msg.if_instance));
}

static void uio_sub_close(struct gd_uio_dev *dev, struct gd_uio_nic *nic, struct gd_uio_sub *s,
	bool rescinded)
{
	uint32_t relid = s->ch.relid;

	if (s->published)
		gd_uio_channel_remove(dev->sysfs, &nic->view.device_id, relid);
	s->published = false;
	gd_channel_close(&s->ch, rescinded);
	gd_log(LOG_INFO, "relid %u: subchannel closed%s", relid, rescinded ? " (rescinded)" : "");
}

/* Open subchannel offer 'o' (index k) of 'nic' into slot k - 1 and publish it. */
static void uio_sub_open(struct gd_uio_dev *dev, struct gd_uio_nic *nic, const struct gd_offer *o)
{
	unsigned int k = o->msg.sub_channel_index;
	struct gd_uio_sub *s = &nic->subs[k - 1];
	struct gd_uio_chan_view cv;
	int ret;

	if (s->reserved) {
		/* first-fit takes these pages (or a lower run): still below end_pfn */
		gd_gmem_free(&dev->gmem, nic->reserve_pfn + (uint64_t)(k - 1) * GD_UIO_SUB_PAGES,
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
		ret = gd_uio_channel_write(dev->sysfs, &nic->view.device_id, &cv);
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

/* The NIC whose subchannel 'o' is, or NULL. */
static struct gd_uio_nic *uio_sub_nic(struct gd_uio_dev *dev, const struct gd_offer *o)
{
	unsigned int n;

	for (n = 0; n < dev->n_nics; n++) {
		if (uio_is_our_sub(&dev->nic[n], o))
			return &dev->nic[n];
	}
	return NULL;
}

/* Follow the offer table: open new subchannel offers, close and release rescinded ones. */
static void uio_subs_sync(struct gd_uio_dev *dev)
{
	unsigned int i;

	for (i = 0; i < GD_MAX_OFFERS; i++) {
		struct gd_offer *o = &dev->vb.offers[i];
		unsigned int k = o->msg.sub_channel_index;
		struct gd_uio_nic *nic;
		struct gd_uio_sub *s;

		if (!o->present && !o->rescinded)
			continue;
		nic = uio_sub_nic(dev, o);
		if (nic == NULL)
			continue;
		if (k >= nic->queues) {
			/* more than we reserved for: never opened */
			if (o->rescinded)
				gd_vmbus_relid_release(&dev->vb, o->msg.child_relid);
			continue;
		}
		s = &nic->subs[k - 1];
		if (o->rescinded) {
			if (s->ch.open && s->ch.relid == o->msg.child_relid)
				uio_sub_close(dev, nic, s, true);
			gd_vmbus_relid_release(&dev->vb, o->msg.child_relid);
			continue;
		}
		if (!s->ch.open && s->failed_gen != dev->vb.offer_gen && nic->ch.open)
			uio_sub_open(dev, nic, o);
	}
}

/* The PMD's way to the subchannel rings (shim.c): where an open channel's rings are. */
static void uio_ring_answer(struct gd_uio_dev *dev, uint32_t relid)
{
	struct gd_uio_ctl_ring a = {.status = ENOENT};
	const struct gd_channel *c = NULL;
	unsigned int n, k;

	for (n = 0; c == NULL && n < dev->n_nics; n++) {
		const struct gd_uio_nic *nic = &dev->nic[n];

		if (nic->ch.open && nic->ch.relid == relid)
			c = &nic->ch;
		for (k = 0; c == NULL && k < GD_UIO_MAX_SUBCHANNELS; k++) {
			if (nic->subs[k].ch.open && nic->subs[k].ch.relid == relid)
				c = &nic->subs[k].ch;
		}
	}
	if (c) {
		a.status = 0;
		a.offset = c->ring_pfn * VMBUS_PAGE_SIZE;
		a.size = (uint64_t)c->ring_pages * VMBUS_PAGE_SIZE;
	}
	if (send(dev->ctl_fd[0], &a, sizeof(a), MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		gd_log(LOG_WARNING, "uio ring query: no answer sent: %s", strerror(errno));
}

/* Hold the ring pages of queues - 1 subchannels of 'nic' (as many as memory allows). */
static void uio_subs_reserve(struct gd_uio_dev *dev, struct gd_uio_nic *nic, uint32_t queues)
{
	uint32_t n = queues > 1 ? queues - 1 : 0, k;

	if (n > GD_UIO_MAX_SUBCHANNELS)
		n = GD_UIO_MAX_SUBCHANNELS;
	for (; n > 0; n--) {
		if (gd_gmem_alloc(&dev->gmem, n * GD_UIO_SUB_PAGES, &nic->reserve_pfn) == 0)
			break;
	}
	if (n + 1 < queues)
		gd_log(LOG_WARNING, "relid %u: queues=%u: memory for %u subchannel ring(s) only",
			nic->ch.relid, queues, n);
	nic->queues = n + 1;
	for (k = 0; k < n; k++)
		nic->subs[k].reserved = true;
}

/* The netvsc primary offers in relid order (at most 'max'); returns how many. */
static unsigned int uio_offers(struct gd_uio_dev *dev, const struct gd_offer **out,
	unsigned int max)
{
	unsigned int i, j, n = 0;

	for (i = 0; i < GD_MAX_OFFERS; i++) {
		const struct gd_offer *o = &dev->vb.offers[i];

		if (!o->present || o->msg.sub_channel_index != 0 ||
			memcmp(&o->msg.if_type, &gd_uio_netvsc_guid, sizeof(gd_uio_netvsc_guid)))
			continue;
		/* insertion; when full, the highest relid falls off the end */
		if (n == max && o->msg.child_relid > out[n - 1]->msg.child_relid)
			continue;
		if (n < max)
			n++;
		for (j = n - 1; j > 0 && out[j - 1]->msg.child_relid > o->msg.child_relid; j--)
			out[j] = out[j - 1];
		out[j] = o;
	}
	return n;
}

/* Buffers, GPADLs, the open channel and the subchannel reserve of NIC 'index' (offer 'o'). */
static int uio_nic_start(struct gd_uio_dev *dev, unsigned int index, const struct gd_offer *o,
	uint32_t queues)
{
	struct gd_uio_nic *nic = &dev->nic[index];
	uint32_t relid = o->msg.child_relid;
	int ret;

	/* uio_hv_generic makes the buffer GPADLs at probe, before the open */
	nic->ch.relid = relid;
	ret = uio_buf_alloc(dev, relid, GD_UIO_RECV_SIZE, &nic->recv_pfn, &nic->recv_gpadl);
	if (ret == 0)
		ret = uio_buf_alloc(dev, relid, GD_UIO_SEND_SIZE, &nic->send_pfn, &nic->send_gpadl);
	if (ret)
		return ret;
	ret = gd_channel_open(&nic->ch, &dev->vb, o, GD_UIO_RING_PAGES);
	if (ret) {
		nic->ch.relid = relid;
		return ret;
	}
	uio_subs_reserve(dev, nic, queues);
	uio_view_fill(dev, nic, o, index);
	gd_log(LOG_INFO, "relid %u: uio%u: rings %u pages, recv gpadl %u, send gpadl %u", relid,
		index, nic->ch.ring_pages, nic->recv_gpadl, nic->send_gpadl);
	return 0;
}

int gd_uio_dev_start(struct gd_uio_dev *dev, int mem_fd, int msg_fd, int contact_ms, int reply_ms,
	const uint32_t *queues, unsigned int n_queues, void (*on_contact)(void *), void *arg)
{
	const struct gd_offer *offers[GD_UIO_MAX_NICS];
	unsigned int n, k;
	int ret;

	memset(dev, 0, sizeof(*dev));
	dev->msg_fd = msg_fd;
	dev->sysfs = GD_UIO_SYSFS_DEVICES;
	for (n = 0; n < GD_UIO_MAX_NICS; n++) {
		dev->nic[n].ch.signal_fd = dev->nic[n].ch.intr_fd = -1;
		dev->nic[n].queues = 1;
		for (k = 0; k < GD_UIO_MAX_SUBCHANNELS; k++)
			dev->nic[n].subs[k].ch.signal_fd = dev->nic[n].subs[k].ch.intr_fd = -1;
	}
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
	n = uio_offers(dev, offers, GD_UIO_MAX_NICS);
	if (n == 0)
		return -ENODEV;
	dev->end_pfn = dev->vb.contact_pfn + GD_UIO_CONTACT_PAGES;
	for (k = 0; k < n; k++) {
		/* counted as it starts: a half-started NIC is stopped with the others */
		dev->n_nics = k + 1;
		ret = uio_nic_start(dev, k, offers[k], k < n_queues ? queues[k] : 1);
		if (ret)
			return ret;
		dev->end_pfn = uio_nic_end_pfn(&dev->nic[k], dev->end_pfn);
	}
	return 0;
}

/* The NIC that is /dev/uio<index>, or NULL. */
static struct gd_uio_nic *uio_nic_by_index(struct gd_uio_dev *dev, uint32_t index)
{
	return index < dev->n_nics ? &dev->nic[index] : NULL;
}

/* A process's claim of /dev/uio<N> (uio.h): answer 0 once that NIC's channel is fresh for it. */
static void uio_claim(struct gd_uio_dev *dev)
{
	uint32_t req[2] = {0}, status = 0;
	struct gd_uio_nic *nic;
	unsigned int k;
	ssize_t n;
	int ret;

	n = recv(dev->ctl_fd[0], req, sizeof(req), MSG_DONTWAIT);
	if (n != (ssize_t)sizeof(req))
		return;
	if (req[0] == GD_UIO_CTL_RING) {
		uio_ring_answer(dev, req[1]);
		return;
	}
	if (req[0] != GD_UIO_CTL_CLAIM)
		return;
	nic = uio_nic_by_index(dev, req[1]);
	if (nic == NULL) {
		status = ENODEV;
	} else if (nic->claimed) {
		/* Linux's last close closes the subchannels before the primary; the host then
		 * rescinds them (uio_subs_sync releases them) and offers them again when the
		 * next PMD asks */
		for (k = 0; k < GD_UIO_MAX_SUBCHANNELS; k++) {
			if (nic->subs[k].ch.open)
				uio_sub_close(dev, nic, &nic->subs[k], false);
		}
		ret = gd_channel_reopen(&nic->ch);
		nic->reopens++;
		if (ret) {
			gd_log(LOG_ERR, "relid %u: channel reopen failed: %s", nic->ch.relid,
				strerror(-ret));
			status = (uint32_t)-ret;
		}
	}
	if (nic)
		nic->claimed = true;
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

/* An open channel's doorbell as entry n of 'p'; returns the next entry. */
static nfds_t uio_intr_fd(struct gd_channel *ch, struct pollfd *p, struct gd_channel **chs,
	nfds_t n)
{
	if (!ch->open || ch->intr_fd < 0)
		return n;
	chs[n] = ch;
	p[n] = (struct pollfd){.fd = ch->intr_fd, .events = POLLIN};
	return n + 1;
}

/* Every open channel's doorbell after the three fixed entries of 'p'; returns the entry count. */
static nfds_t uio_intr_fds(struct gd_uio_dev *dev, struct pollfd *p, struct gd_channel **chs)
{
	nfds_t n = 3;
	unsigned int i, k;

	for (i = 0; i < dev->n_nics; i++) {
		n = uio_intr_fd(&dev->nic[i].ch, p, chs, n);
		for (k = 0; k < GD_UIO_MAX_SUBCHANNELS; k++)
			n = uio_intr_fd(&dev->nic[i].subs[k].ch, p, chs, n);
	}
	return n;
}

#define UIO_POLL_MAX (3 + GD_UIO_MAX_NICS * (1 + GD_UIO_MAX_SUBCHANNELS))

int gd_uio_dev_run(struct gd_uio_dev *dev, int stop_fd)
{
	struct pollfd p[UIO_POLL_MAX] = {{.fd = stop_fd, .events = POLLIN},
		{.fd = dev->msg_fd, .events = POLLIN}, {.fd = dev->ctl_fd[0], .events = POLLIN}};
	struct gd_channel *chs[UIO_POLL_MAX] = {NULL};
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

static void uio_nic_stop(struct gd_uio_dev *dev, struct gd_uio_nic *nic)
{
	uint32_t relid = nic->ch.relid;
	unsigned int k;

	for (k = 0; k < GD_UIO_MAX_SUBCHANNELS; k++) {
		if (nic->subs[k].ch.open)
			uio_sub_close(dev, nic, &nic->subs[k], false);
	}
	if (nic->ch.open)
		gd_channel_close(&nic->ch, false);
	if (nic->recv_gpadl)
		gd_gpadl_teardown(&dev->vb, relid, nic->recv_gpadl);
	if (nic->send_gpadl)
		gd_gpadl_teardown(&dev->vb, relid, nic->send_gpadl);
}

void gd_uio_dev_stop(struct gd_uio_dev *dev)
{
	unsigned int i;

	for (i = 0; i < dev->n_nics; i++)
		uio_nic_stop(dev, &dev->nic[i]);
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

/* VSW_UIO_DEV "0,1,..." and VSW_UIO_MAPS "OFF:SIZE,...;OFF:SIZE,..." (shim.c). */
static void uio_export_views(const struct gd_uio_dev *dev)
{
	char maps[GD_UIO_MAX_NICS * GD_UIO_MAPS * 40], devs[GD_UIO_MAX_NICS * 4];
	size_t n = 0, d = 0;
	unsigned int i, k;

	devs[0] = maps[0] = '\0';
	for (i = 0; i < dev->n_nics; i++) {
		const struct gd_uio_view *v = &dev->nic[i].view;

		d += (size_t)snprintf(devs + d, sizeof(devs) - d, "%s%u", i ? "," : "", v->uio_index);
		for (k = 0; k < v->n_maps; k++)
			n += (size_t)snprintf(maps + n, sizeof(maps) - n, "%s0x%llx:0x%llx",
				k ? "," : i ? ";" : "", (unsigned long long)v->maps[k].offset,
				(unsigned long long)v->maps[k].size);
	}
	setenv("VSW_UIO_DEV", devs, 1);
	setenv("VSW_UIO_MAPS", maps, 1);
}

int gd_uio_dev_export(struct gd_uio_dev *dev, const char *preload)
{
	char v[64];
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
	snprintf(v, sizeof(v), "%d", fd);
	setenv("VSW_UIO_MEM_FD", v, 1);
	uio_export_views(dev);
	snprintf(v, sizeof(v), "0x%llx", (unsigned long long)(dev->end_pfn * VMBUS_PAGE_SIZE));
	setenv("VSW_UIO_HEAP_MIN", v, 1);
	if (preload)
		setenv("LD_PRELOAD", preload, 1);
	return 0;
}
