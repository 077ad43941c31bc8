/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The driver as vsw-guest-init runs it: connect to the VMBus host, attach netvsc to the first
 * netvsc offer, create eth0, then move frames between eth0 and the channel in one poll loop that
 * also serves channel messages.
 *
 * Rescind: the host withdraws the channel (this is how a vswitchd restart looks to the guest).
 * We do what Linux does on the wire (CLOSECHANNEL, no GPADL teardowns, RELID_RELEASED) but keep
 * eth0 with its carrier off, and attach again to the next netvsc offer, so that the partition's
 * addresses and routes survive (Linux would unregister and re-register the netdev instead).
 *
 * Multi-queue (cfg.queues > 1, facts 10 steps 17-18): after the RNDIS bring-up we ask for
 * queues - 1 subchannels, wait (bounded) for the host's offers of them (same GUIDs as the
 * primary, sub-channel index 1..n), open each with its own ring and send RSS parameters that
 * spread the indirection table over every open channel. Frames arrive on any channel and are
 * polled in this one thread; we transmit on the primary. Subchannels are closed before the
 * primary (Linux's order); subchannels the host rescinds are released.
 */
#include "internal.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/uio.h>
#include <unistd.h>

#define GD_TAP_BURST 64 /* frames read from eth0 per loop turn */
#define GD_MTU_CHECK_MS 300 /* how often eth0's MTU is compared with the channel's */

struct gd_driver {
	struct gd_driver_config cfg;
	int msg_fd;		/* transport ctx: the socket fd */
	struct gd_gmem gmem;
	struct gd_vmbus vb;
	struct gd_channel ch;
	struct gd_channel sub[GD_MAX_SUBCHANNELS]; /* open when .open */
	unsigned int n_sub;			   /* subchannels open */
	struct gd_netvsc *nd;	/* allocated once, large */
	struct gd_netvsc_ops ops;
	struct gd_tap tap;
	bool have_tap;
	bool attached;		/* channel open and netvsc up */
	uint32_t failed_relid;	/* attach failed on this offer: wait for another one */
	uint64_t failed_gen;
	int64_t mtu_checked;	/* gd_now_ms() of the last MTU check */
	size_t held_len;	/* a frame in 'frame' waiting for ring room, 0 = none */
	uint8_t held_ppi[16];
	uint32_t held_ppi_len;
	uint8_t frame[65536 + 18]; /* one frame read from eth0 (a TSO frame: 64 KiB + headers) */
	uint8_t frame2[65536 + 18]; /* the second part of a TSO frame larger than the host takes */
};

static const struct vmbus_guid gd_netvsc_guid = VMBUS_GUID_NETVSC;

/* A received frame to eth0 with the virtio_net_hdr for the host's checksum / RSC info. */
static void drv_tap_rx(void *ctx, const uint8_t *frame, size_t len, uint32_t csum)
{
	struct gd_driver *d = ctx;
	struct virtio_net_hdr vh;
	uint8_t hdr[GD_OL_HDR_MAX];
	uint32_t hl = 0;
	struct iovec iov[3];

	if (gd_ol_rx_vnet(frame, len, csum, d->nd->mtu, &vh, hdr, &hl)) {
		d->nd->stats.rx_dropped++;
		return;
	}
	iov[0] = (struct iovec){&vh, sizeof(vh)};
	iov[1] = (struct iovec){hdr, hl};
	iov[2] = (struct iovec){(void *)(frame + hl), len - hl};
	/* non-blocking: if the kernel's queue is full the frame is dropped, as a NIC would */
	if (writev(d->tap.fd, iov, 3) < 0)
		d->nd->stats.rx_dropped++;
}

static void drv_tap_link(void *ctx, bool up)
{
	struct gd_driver *d = ctx;

	gd_tap_set_carrier(&d->tap, up);
}

struct gd_netvsc *gd_driver_netvsc(struct gd_driver *d)
{
	return d->attached ? d->nd : NULL;
}

unsigned int gd_driver_subchannels(const struct gd_driver *d)
{
	return d->n_sub;
}

/* Release rescinded subchannel offers we do not use (the host rescinds them with the primary). */
static void drv_release_subs(struct gd_driver *d)
{
	unsigned int i, k;

	for (i = 0; i < GD_MAX_OFFERS; i++) {
		struct gd_offer *o = &d->vb.offers[i];
		bool in_use = false;

		if (!o->rescinded || o->msg.sub_channel_index == 0)
			continue;
		for (k = 0; k < GD_MAX_SUBCHANNELS; k++)
			in_use |= d->sub[k].open && d->sub[k].relid == o->msg.child_relid;
		if (!in_use)
			gd_vmbus_relid_release(&d->vb, o->msg.child_relid);
	}
}

/* Close the subchannels (before the primary, as Linux): a rescinded one without teardown, then
 * its relid released. */
static void drv_close_subs(struct gd_driver *d)
{
	unsigned int k;

	for (k = 0; k < GD_MAX_SUBCHANNELS; k++) {
		struct gd_channel *c = &d->sub[k];
		struct gd_offer *o;
		bool gone;

		if (!c->open)
			continue;
		o = gd_vmbus_offer_lookup(&d->vb, c->relid);
		gone = !o || !o->present;
		gd_channel_close(c, gone);
		c->open = false;
	}
	d->n_sub = 0;
	drv_release_subs(d);
}

/* The present offer of subchannel 'k' of the primary 'p', or NULL. */
static const struct gd_offer *drv_sub_offer(
	struct gd_driver *d, const struct gd_offer *p, uint16_t k)
{
	unsigned int i;

	for (i = 0; i < GD_MAX_OFFERS; i++) {
		const struct gd_offer *o = &d->vb.offers[i];

		if (o->present && o->msg.sub_channel_index == k &&
			!memcmp(&o->msg.if_type, &p->msg.if_type, sizeof(p->msg.if_type)) &&
			!memcmp(&o->msg.if_instance, &p->msg.if_instance,
				sizeof(p->msg.if_instance)))
			return o;
	}
	return NULL;
}

/*
 * Ask for cfg.queues - 1 subchannels, wait for the offers (bounded: a host that grants but never
 * offers leaves us with fewer channels, never stuck), open them and set RSS over what is open.
 * Failures only cost channels: eth0 works on the primary alone.
 */
static void drv_open_subs(struct gd_driver *d, const struct gd_offer *p)
{
	uint32_t want = d->cfg.queues > 1 ? d->cfg.queues - 1 : 0, granted = 0, k;
	int64_t deadline;
	int ret;

	if (d->nd->rss_queues >= 1 && want > d->nd->rss_queues - 1)
		want = d->nd->rss_queues - 1;
	if (want == 0 || gd_netvsc_subchannels_alloc(d->nd, want, &granted) || granted == 0)
		return;
	deadline = gd_now_ms() + (d->cfg.reply_timeout_ms < 0 ? 10000 : d->cfg.reply_timeout_ms);
	for (k = 1; k <= granted; k++) {
		const struct gd_offer *o;

		while (!(o = drv_sub_offer(d, p, (uint16_t)k)) && gd_ms_left(deadline) != 0) {
			ret = gd_vmbus_pump(
				&d->vb, gd_ms_left(deadline) < 0 ? 100 : gd_ms_left(deadline));
			if (ret < 0)
				break;
			gd_netvsc_poll(d->nd);
		}
		if (!o) {
			gd_log(LOG_WARNING, "subchannel %u of %u not offered in time", k, granted);
			break;
		}
		ret = gd_channel_open(&d->sub[k - 1], &d->vb, o, GD_RING_PAGES_DEFAULT);
		if (ret) {
			gd_log(LOG_WARNING, "subchannel %u (relid %u): cannot open: %s", k,
				o->msg.child_relid, strerror(-ret));
			break;
		}
		d->n_sub++;
	}
	if (d->n_sub && gd_netvsc_set_rss(d->nd, 1 + d->n_sub) != 0)
		gd_log(LOG_NOTICE, "RSS parameters refused: receiving on the primary");
	gd_log(LOG_INFO, "relid %u: %u subchannel(s) open", p->msg.child_relid, d->n_sub);
}

static void drv_detach(struct gd_driver *d, bool rescinded)
{
	uint32_t relid = d->ch.relid;

	if (!d->ch.vb)
		return;
	drv_close_subs(d);
	gd_netvsc_detach(d->nd, rescinded);
	/* buffer GPADLs go after the close from VMBus 4.0 on, before it earlier (facts 4.1) */
	if (d->vb.version < VMBUS_VERSION_WIN10)
		gd_netvsc_free_buffers(d->nd, rescinded);
	gd_channel_close(&d->ch, rescinded);
	d->ch.relid = relid; /* the buffer GPADLs' teardowns name the channel (close cleared it) */
	gd_netvsc_free_buffers(d->nd, rescinded);
	d->ch.relid = 0;
	if (rescinded)
		gd_vmbus_relid_release(&d->vb, relid);
	d->attached = false;
	d->held_len = 0;
}

static int drv_attach(struct gd_driver *d, const struct gd_offer *o)
{
	int ret;

	ret = gd_channel_open(&d->ch, &d->vb, o, GD_RING_PAGES_DEFAULT);
	if (ret) {
		gd_log(LOG_ERR, "relid %u: cannot open the channel: %s", o->msg.child_relid,
			strerror(-ret));
		return ret;
	}
	ret = gd_netvsc_attach(d->nd, &d->ch, &d->gmem, &d->ops,
		d->cfg.sink ? d->cfg.sink_ctx : d, d->cfg.reply_timeout_ms);
	if (ret) {
		bool gone = ret == -ENODEV;

		d->ch.vb = &d->vb;
		drv_detach(d, gone);
		return ret;
	}
	d->attached = true;
	drv_open_subs(d, o);
	return 0;
}

/* Attach to a (new) netvsc offer; with a tap, give it the host's MAC and state. */
static int drv_try_attach(struct gd_driver *d)
{
	const struct gd_offer *o = gd_vmbus_find_offer(&d->vb, &gd_netvsc_guid);
	int ret;

	drv_release_subs(d);
	if (!o)
		return -ENODEV;
	if (o->msg.child_relid == d->failed_relid && d->vb.offer_gen == d->failed_gen)
		return -ENODEV;
	ret = drv_attach(d, o);
	if (ret) {
		d->failed_relid = o->msg.child_relid;
		d->failed_gen = d->vb.offer_gen;
		return ret;
	}
	if (d->have_tap) {
		gd_tap_set_mac(&d->tap, d->nd->mac);
		gd_tap_set_offload(&d->tap, d->nd->ol);
		/* the host may have lowered the MTU we asked for (MAXIMUM_FRAME_SIZE) */
		if (gd_tap_get_mtu(&d->tap) != (int)d->nd->mtu)
			gd_tap_set_mtu(&d->tap, d->nd->mtu);
		gd_tap_set_carrier(&d->tap, d->nd->link_up);
	}
	return gd_netvsc_set_filter(d->nd, RNDIS_FILTER_DIRECTED | RNDIS_FILTER_ALL_MULTICAST |
						   RNDIS_FILTER_BROADCAST);
}

struct gd_driver *gd_driver_start(const struct gd_driver_config *cfg)
{
	struct gd_driver *d = calloc(1, sizeof(*d));
	int ret;

	if (!d)
		return NULL;
	d->nd = calloc(1, sizeof(*d->nd));
	if (!d->nd) {
		free(d);
		errno = ENOMEM;
		return NULL;
	}
	d->cfg = *cfg;
	d->msg_fd = cfg->msg_fd;
	d->tap.fd = -1;
	d->ch.signal_fd = d->ch.intr_fd = -1;
	if (cfg->sink) {
		d->ops = *cfg->sink;
	} else {
		d->ops.rx_meta = drv_tap_rx;
		d->ops.link = drv_tap_link;
		d->ops.offloads = cfg->offloads;
	}
	ret = gd_gmem_open(&d->gmem, cfg->mem_fd);
	if (ret) {
		gd_log(LOG_ERR, "guest memory (fd %d): %s", cfg->mem_fd, strerror(-ret));
		free(d->nd);
		free(d);
		errno = -ret;
		return NULL;
	}
	gd_vmbus_init(&d->vb, &gd_sock_transport_ops, &d->msg_fd, &d->gmem,
		cfg->contact_timeout_ms);
	d->vb.on_contact = cfg->on_contact;
	d->vb.contact_arg = cfg->contact_arg;
	ret = gd_vmbus_connect(&d->vb);
	d->vb.timeout_ms = cfg->reply_timeout_ms;
	if (ret) {
		gd_log(LOG_NOTICE, "no VMBus host: %s", ret == -ETIMEDOUT ? "no answer" :
							 strerror(-ret));
		ret = ret == -ETIMEDOUT || ret == -EPROTONOSUPPORT ? -ENODEV : ret;
		goto err;
	}
	ret = drv_try_attach(d);
	if (ret) {
		if (ret == -ENODEV && !d->attached)
			gd_log(LOG_NOTICE, "no usable netvsc offer");
		goto err;
	}
	if (!cfg->sink) {
		/* the tap is made with the host's MAC, MTU and media state (facts 6.2 step 16) */
		ret = gd_tap_open(&d->tap, cfg->ifname ? cfg->ifname : "eth0", d->nd->mac,
			d->nd->mtu, d->nd->link_up);
		if (ret) {
			gd_log(LOG_ERR, "cannot create %s: %s", cfg->ifname, strerror(-ret));
			goto err;
		}
		d->have_tap = true;
		ret = gd_tap_set_offload(&d->tap, d->nd->ol);
		if (ret) {
			gd_log(LOG_ERR, "%s: TUNSETOFFLOAD: %s", d->tap.name, strerror(-ret));
			goto err;
		}
	}
	return d;

err:
	gd_driver_stop(d);
	errno = -ret;
	return NULL;
}

static void drv_on_rescind(struct gd_driver *d)
{
	struct gd_offer *o;

	if (!d->attached)
		return;
	o = gd_vmbus_offer_lookup(&d->vb, d->ch.relid);
	if (o && o->present) {
		drv_release_subs(d); /* subchannels rescinded with an earlier primary */
		return;
	}
	gd_log(LOG_NOTICE, "relid %u rescinded: detaching, waiting for a new offer", d->ch.relid);
	if (d->have_tap)
		gd_tap_set_carrier(&d->tap, false);
	drv_detach(d, true);
}

static unsigned int drv_tx_queue(const struct gd_driver *d, const uint8_t *f, size_t len);
static struct gd_channel *drv_sub_of(struct gd_driver *d, unsigned int q);

/* A frame on its flow's transmit queue (the primary or a subchannel). */
static int drv_xmit(struct gd_driver *d, const uint8_t *f, size_t len, const uint8_t *ppi,
	uint32_t ppi_len)
{
	unsigned int q = drv_tx_queue(d, f, len);
	struct gd_channel *sub = q ? drv_sub_of(d, q) : NULL;

	return sub ? gd_netvsc_send_sub_ppi(d->nd, sub, f, len, ppi, ppi_len) :
		     gd_netvsc_send_ppi(d->nd, f, len, ppi, ppi_len);
}

/* One frame from eth0 with its virtio_net_hdr: LSO / checksum PPIs for what the host takes; a
 * TSO frame longer than the host's LSO size goes as two LSO frames. */
static void drv_send(struct gd_driver *d, const struct virtio_net_hdr *vh, size_t len)
{
	struct gd_netvsc *nd = d->nd;
	uint32_t ppi_len = 0, part = 0;
	uint8_t ppi[16];
	size_t len2 = 0;
	int n1, ret;

	if (gd_ol_tx_ppi(vh, d->frame, len, nd->ol, ppi, &ppi_len)) {
		nd->stats.tx_dropped++;
		return;
	}
	if (ppi_len && gd_get32(ppi + 4) == RNDIS_PPI_LSO && nd->lso_max)
		part = gd_ol_split_payload(d->frame, len, vh->gso_size, nd->lso_max);
	if (part) {
		n1 = gd_ol_split(d->frame, len, part, vh->gso_size, d->frame2, &len2);
		if (n1 < 0) {
			nd->stats.tx_dropped++;
			return;
		}
		len = (size_t)n1;
	}
	ret = drv_xmit(d, d->frame, len, ppi, ppi_len);
	if (ret == -EAGAIN && !part) {
		d->held_len = len;
		memcpy(d->held_ppi, ppi, ppi_len);
		d->held_ppi_len = ppi_len;
		return;
	}
	if (ret)
		nd->stats.tx_dropped++;
	if (part && drv_xmit(d, d->frame2, len2, ppi, ppi_len))
		nd->stats.tx_dropped++;
}

/* A frame that found the ring full is kept and sent first at the next turn (a NIC queue that
 * stops instead of dropping). Returns true if it went (or was dropped for another reason). */
static bool drv_send_held(struct gd_driver *d)
{
	int ret;

	if (!d->held_len)
		return true;
	ret = gd_netvsc_send_ppi(d->nd, d->frame, d->held_len, d->held_ppi, d->held_ppi_len);
	if (ret == -EAGAIN)
		return false;
	if (ret)
		d->nd->stats.tx_dropped++;
	d->held_len = 0;
	return true;
}

/* Transmit queue of a frame: 0 (the primary) or 1 + a subchannel, by a hash of its IPv4
 * addresses and TCP/UDP ports, so that one flow keeps its order on one channel. */
static unsigned int drv_tx_queue(const struct gd_driver *d, const uint8_t *f, size_t len)
{
	uint32_t h, ihl;

	if (d->n_sub == 0 || len < 14 + 20 || f[12] != 0x08 || f[13] != 0x00)
		return 0;
	ihl = (uint32_t)(f[14] & 0xf) * 4;
	h = gd_get32(f + 26) ^ gd_get32(f + 30);
	if ((f[23] == 6 || f[23] == 17) && ihl >= 20 && len >= 14 + ihl + 4 && !(f[20] & 0x3f) &&
		!f[21])
		h ^= gd_get32(f + 14 + ihl);
	h ^= h >> 16;
	h ^= h >> 8;
	return h % (1 + d->n_sub);
}

/* The open subchannel of transmit queue 'q' >= 1, or NULL. */
static struct gd_channel *drv_sub_of(struct gd_driver *d, unsigned int q)
{
	unsigned int k, i = 0;

	for (k = 0; k < GD_MAX_SUBCHANNELS; k++) {
		if (d->sub[k].open && ++i == q)
			return &d->sub[k];
	}
	return NULL;
}

/* Read frames from eth0 while there is room to send them. */
static void drv_tap_tx(struct gd_driver *d)
{
	struct virtio_net_hdr vh;
	struct iovec iov[2] = {{&vh, sizeof(vh)}, {d->frame, sizeof(d->frame)}};
	int i;

	if (!drv_send_held(d)) {
		gd_netvsc_flush(d->nd);
		return;
	}
	for (i = 0; i < GD_TAP_BURST && gd_netvsc_can_send(d->nd) && !d->held_len; i++) {
		ssize_t n = readv(d->tap.fd, iov, 2);

		if (n <= (ssize_t)sizeof(vh))
			break;
		drv_send(d, &vh, (size_t)n - sizeof(vh));
	}
	gd_netvsc_flush(d->nd);
}

/*
 * eth0's MTU was changed (ip link set eth0 mtu N): the only way to tell the host is the NDIS
 * config of a new bring-up, so the channel is closed and opened again with the new MTU, as Linux
 * does (facts 8); the host may answer a lower one, which eth0 then takes.
 */
static void drv_check_mtu(struct gd_driver *d)
{
	int64_t now = gd_now_ms();
	int mtu;

	if (!d->have_tap || !d->attached || now - d->mtu_checked < GD_MTU_CHECK_MS)
		return;
	d->mtu_checked = now;
	mtu = gd_tap_get_mtu(&d->tap);
	if (mtu <= 0 || (uint32_t)mtu == d->nd->mtu)
		return;
	gd_log(LOG_NOTICE, "%s: MTU %u -> %d: re-initialising the channel", d->tap.name, d->nd->mtu,
		mtu);
	d->ops.mtu = (uint32_t)mtu;
	gd_tap_set_carrier(&d->tap, false);
	drv_detach(d, false);
	if (drv_try_attach(d))
		gd_log(LOG_ERR, "%s: channel re-initialisation failed", d->tap.name);
}

/* Receive on every open subchannel. Returns -EPROTO when one is unusable. */
static int drv_poll_subs(struct gd_driver *d)
{
	unsigned int k;

	for (k = 0; k < GD_MAX_SUBCHANNELS; k++) {
		if (d->sub[k].open && gd_netvsc_poll_sub(d->nd, &d->sub[k]) < 0)
			return -EPROTO;
	}
	return 0;
}

int gd_driver_poll(struct gd_driver *d, int stop_fd, int timeout_ms)
{
	struct pollfd pfd[4 + GD_MAX_SUBCHANNELS];
	int n = 0, ret, i_stop = -1, i_msg, i_intr = -1, i_tap = -1, i_sub = -1;
	unsigned int k;

	if (d->attached) {
		ret = gd_netvsc_poll(d->nd);
		if (ret >= 0)
			ret = drv_poll_subs(d);
		if (ret < 0) {
			/* the ring is unusable: close the channel and wait for a new offer */
			drv_detach(d, false);
			d->failed_relid = d->ch.relid;
			d->failed_gen = d->vb.offer_gen;
		}
	}
	if (stop_fd >= 0) {
		i_stop = n;
		pfd[n++] = (struct pollfd){.fd = stop_fd, .events = POLLIN};
	}
	i_msg = n;
	pfd[n++] = (struct pollfd){.fd = d->msg_fd, .events = POLLIN};
	if (d->attached) {
		i_intr = n;
		pfd[n++] = (struct pollfd){.fd = d->ch.intr_fd, .events = POLLIN};
		if (d->have_tap && gd_netvsc_can_send(d->nd)) {
			i_tap = n;
			pfd[n++] = (struct pollfd){.fd = d->tap.fd, .events = POLLIN};
		}
		i_sub = n;
		for (k = 0; k < GD_MAX_SUBCHANNELS; k++) {
			if (d->sub[k].open)
				pfd[n++] =
					(struct pollfd){.fd = d->sub[k].intr_fd, .events = POLLIN};
		}
	}
	ret = poll(pfd, (nfds_t)n, timeout_ms);
	if (ret < 0)
		return errno == EINTR ? 0 : -errno;
	if (i_stop >= 0 && pfd[i_stop].revents)
		return 1;
	if (pfd[i_msg].revents) {
		ret = gd_vmbus_pump(&d->vb, 0);
		if (ret < 0)
			return ret;
		drv_on_rescind(d);
		if (!d->attached)
			drv_try_attach(d);
	}
	if (i_intr >= 0 && d->attached && pfd[i_intr].revents) {
		gd_channel_intr_clear(&d->ch);
		if (gd_netvsc_poll(d->nd) < 0)
			return 0; /* handled at the next turn */
		if (d->held_len)
			drv_tap_tx(d); /* the ring may have room again */
	}
	if (i_sub >= 0 && d->attached) {
		int i = i_sub;

		for (k = 0; k < GD_MAX_SUBCHANNELS && i < n; k++) {
			if (!d->sub[k].open)
				continue;
			if (pfd[i++].revents)
				gd_channel_intr_clear(&d->sub[k]);
		}
		if (drv_poll_subs(d) < 0)
			return 0; /* handled at the next turn */
	}
	if (i_tap >= 0 && d->attached && pfd[i_tap].revents)
		drv_tap_tx(d);
	drv_check_mtu(d);
	return 0;
}

int gd_driver_run(struct gd_driver *d, int stop_fd)
{
	int ret;

	for (;;) {
		/* wake up now and then to notice eth0 MTU changes */
		ret = gd_driver_poll(d, stop_fd, d->have_tap ? GD_MTU_CHECK_MS : -1);
		if (ret < 0) {
			gd_log(LOG_ERR, "VMBus host gone: %s", strerror(-ret));
			return ret;
		}
		if (ret > 0)
			return 0;
	}
}

void gd_driver_stop(struct gd_driver *d)
{
	if (!d)
		return;
	/* stopping must not hang on a silent host */
	if (d->vb.timeout_ms < 0 || d->vb.timeout_ms > 2000)
		d->vb.timeout_ms = 2000;
	if (d->nd->timeout_ms < 0 || d->nd->timeout_ms > 2000)
		d->nd->timeout_ms = 2000;
	if (d->attached)
		drv_detach(d, false);
	gd_vmbus_unload(&d->vb);
	gd_vmbus_fini(&d->vb);
	if (d->have_tap)
		gd_tap_close(&d->tap);
	gd_gmem_close(&d->gmem);
	free(d->nd);
	free(d);
}
