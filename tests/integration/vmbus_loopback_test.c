/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The guest driver (guest-drivers/) against the VSP core (vswitch/netvsp/) in one process, over
 * the real transport: a SOCK_SEQPACKET socketpair for channel messages, a sealed memfd as guest
 * memory, real VMBus rings inside it and eventfd doorbells. A host thread plays vmmd's VMBus
 * server (version, offer, GPADLs, open, teardown, rescind, unload, with the vmbus library's
 * GPADL assembler and guest-memory mapping) and vswitchd's netvsc port (the G->H ring into
 * vs_vsp_handle_packet, ops->send into the H->G ring).
 *
 * Checked: the whole NVSP/RNDIS bring-up completes with Linux 6.1's values as the VSP records
 * them; a guest frame leaves the VSP's deliver hook byte-identical; a frame given to the VSP's
 * receive path reaches the guest's frame sink byte-identical; a rescind followed by a re-offer
 * is survived (detach, RELID_RELEASED, re-attach); UNLOAD at the end.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>

#include "guest.h"
#include "vsp.h"

#define MEM_SIZE (64u << 20)
#define RELID 7u
#define RELID2 9u
#define MAX_GPADLS 16
#define MAX_FRAMES 8

static const uint8_t host_mac[6] = {0x00, 0x15, 0x5d, 0x11, 0x22, 0x33};

struct host {
	int sock;			/* host end of the message channel */
	struct vmbus_gmem gm;
	uint8_t *mem;			/* whole guest memory, host mapping */
	struct vmbus_gpadl_asm *asm_;
	struct {
		struct vmbus_gpadl *g;
		void *va;
	} gpadls[MAX_GPADLS];
	/* open channel */
	bool open;
	uint32_t relid;
	struct vmbus_gmem_rings rings;
	struct vmbus_ring in, out;	/* in: G->H (we read), out: H->G (we write) */
	int signal_fd, intr_fd;		/* host ends of the doorbells */
	struct vs_vsp *vsp;
	bool out_dirty;
	/* shared with the test thread, under lock */
	pthread_mutex_t lock;
	bool stop;
	uint8_t frames[MAX_FRAMES][1600]; /* delivered by the VSP */
	uint32_t frame_len[MAX_FRAMES];
	unsigned int n_frames;
	uint8_t inject[1600];		/* frame to give to vs_vsp_rx_add */
	uint32_t inject_len;
	bool do_rescind;
	struct vs_vsp_info info;	/* snapshot */
	unsigned int n_released, n_unload, n_versions_refused, n_closes;
	pthread_t thread;
};

struct sink {
	uint8_t frame[1600];
	uint32_t len;
	unsigned int n;
	unsigned int link_events;
};

/* ---------------------------------------------------------------------------------------------
 * The host's message side
 */

static void host_send(struct host *h, const union vmbus_chanmsg *m, size_t size, const int *fds,
	unsigned int n_fds)
{
	union {
		char buf[CMSG_SPACE(2 * sizeof(int))];
		struct cmsghdr align;
	} c;
	struct hv_message hm;
	struct iovec iov = {.iov_base = &hm, .iov_len = sizeof(hm)};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};

	assert_int_equal(vmbus_hv_msg_pack(&hm, m, size), 0);
	if (n_fds) {
		struct cmsghdr *cm;

		mh.msg_control = c.buf;
		mh.msg_controllen = CMSG_SPACE(n_fds * sizeof(int));
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(n_fds * sizeof(int));
		memcpy(CMSG_DATA(cm), fds, n_fds * sizeof(int));
	}
	assert_int_equal(sendmsg(h->sock, &mh, MSG_NOSIGNAL), (ssize_t)sizeof(hm));
}

static void host_offer(struct host *h, uint32_t relid)
{
	static const struct vmbus_guid netvsc = VMBUS_GUID_NETVSC;
	struct vmbus_guid inst = {{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}};
	union vmbus_chanmsg m;

	host_send(h, &m, vmbus_chanmsg_build_offer(&m, &netvsc, &inst, 0, relid, 0x2000 + relid),
		NULL, 0);
}

static struct vmbus_gpadl *host_gpadl(struct host *h, uint32_t handle, int *slot)
{
	int i;

	for (i = 0; i < MAX_GPADLS; i++) {
		if (h->gpadls[i].g && h->gpadls[i].g->handle == handle) {
			if (slot)
				*slot = i;
			return h->gpadls[i].g;
		}
	}
	return NULL;
}

/* VSP ops, called on the host thread */
static int h_gpadl_map(void *ctx, uint32_t gpadl, uint8_t **base, size_t *size)
{
	struct host *h = ctx;
	int slot;
	struct vmbus_gpadl *g = host_gpadl(h, gpadl, &slot);

	if (!g)
		return -ENOENT;
	if (!h->gpadls[slot].va && vmbus_gmem_map(&h->gm, g->pfns, g->n_pfns, &h->gpadls[slot].va))
		return -ENOENT;
	*base = h->gpadls[slot].va;
	*size = g->byte_count;
	return 0;
}

static int h_gpa_pages(void *ctx, const uint64_t *pfns, uint32_t n, uint8_t **pages)
{
	struct host *h = ctx;
	uint32_t i;

	for (i = 0; i < n; i++) {
		if (pfns[i] >= h->gm.n_pages)
			return -EFAULT;
		pages[i] = h->mem + pfns[i] * 4096;
	}
	return 0;
}

static int h_send(void *ctx, uint32_t channel, const void *pkt, size_t len)
{
	struct host *h = ctx;
	struct iovec iov = {.iov_base = (void *)pkt, .iov_len = len};
	int ret = vmbus_ring_write(&h->out, &iov, 1);

	(void)channel;
	if (ret == 0)
		h->out_dirty = true;
	return ret;
}

static int h_deliver(void *ctx, const struct vs_vsp_frame *f)
{
	struct host *h = ctx;
	uint32_t off = 0;
	unsigned int i;

	pthread_mutex_lock(&h->lock);
	if (h->n_frames < MAX_FRAMES && f->len <= sizeof(h->frames[0])) {
		for (i = 0; i < f->n_segs; i++) {
			memcpy(h->frames[h->n_frames] + off, f->segs[i].base, f->segs[i].len);
			off += f->segs[i].len;
		}
		h->frame_len[h->n_frames++] = f->len;
	}
	pthread_mutex_unlock(&h->lock);
	return 0;
}

static const struct vs_vsp_ops host_vsp_ops = {
	.gpadl_map = h_gpadl_map,
	.gpa_pages = h_gpa_pages,
	.send = h_send,
	.deliver = h_deliver,
};

static void host_close_channel(struct host *h)
{
	if (!h->open)
		return;
	vs_vsp_destroy(h->vsp);
	h->vsp = NULL;
	vmbus_gmem_unmap_rings(&h->rings);
	close(h->signal_fd);
	close(h->intr_fd);
	h->open = false;
}

static void host_drop_gpadl(struct host *h, int slot)
{
	struct vmbus_gpadl *g = h->gpadls[slot].g;

	if (h->gpadls[slot].va)
		vmbus_gmem_unmap(h->gpadls[slot].va, g->n_pfns);
	vmbus_gpadl_free(g);
	h->gpadls[slot].g = NULL;
	h->gpadls[slot].va = NULL;
}

static void host_on_open(struct host *h, const struct vmbus_chanmsg_open *o)
{
	struct vs_vsp_config cfg = {.link_up = true};
	union vmbus_chanmsg m;
	struct vmbus_gpadl *g = host_gpadl(h, o->ring_gpadl, NULL);
	int efd[2], gfd[2];

	assert_non_null(g);
	assert_int_equal(o->downstream_ring_page_offset, 128);
	assert_int_equal(g->n_pfns, 256);
	assert_int_equal(o->open_id, o->child_relid);
	assert_int_equal(vmbus_gmem_map_rings(&h->gm, g->pfns, g->n_pfns,
				 o->downstream_ring_page_offset, &h->rings),
		0);
	assert_int_equal(vmbus_ring_init(&h->in, h->rings.g2h, h->rings.g2h_size,
				 VMBUS_RING_READER),
		0);
	assert_int_equal(vmbus_ring_init(&h->out, h->rings.h2g, h->rings.h2g_size,
				 VMBUS_RING_WRITER),
		0);
	memcpy(cfg.mac, host_mac, 6);
	h->vsp = vs_vsp_create(&cfg, &host_vsp_ops, h);
	assert_non_null(h->vsp);
	efd[0] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	efd[1] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	h->signal_fd = efd[0];
	h->intr_fd = efd[1];
	gfd[0] = dup(efd[0]);
	gfd[1] = dup(efd[1]);
	h->relid = o->child_relid;
	h->open = true;
	host_send(h, &m, vmbus_chanmsg_build_open_result(&m, o->child_relid, o->open_id, 0), gfd,
		2);
	close(gfd[0]);
	close(gfd[1]);
}

static void host_on_msg(struct host *h)
{
	struct hv_post_message pm;
	union vmbus_chanmsg m, r;
	struct vmbus_gpadl_id id;
	struct vmbus_gpadl *done = NULL;
	uint32_t conn;
	int type, size, slot, i;

	assert_int_equal(recv(h->sock, &pm, sizeof(pm), 0), (ssize_t)sizeof(pm));
	size = vmbus_post_msg_unpack(&pm, &conn, &m);
	assert_true(size >= 8);
	type = vmbus_chanmsg_check(&m, (size_t)size, VMBUS_CHANMSG_G2H);
	assert_true(type > 0);
	switch (type) {
	case VMBUS_CHANMSG_INITIATE_CONTACT: {
		uint32_t v = m.initiate_contact.vmbus_version_requested;

		/* refuse 5.3 so the client falls back to 5.2 */
		assert_int_equal(conn, 4u);
		if (v != VMBUS_VERSION_WIN10_V5_2)
			h->n_versions_refused++;
		host_send(h, &r,
			vmbus_chanmsg_build_version_response(&r, v == VMBUS_VERSION_WIN10_V5_2, 0, 1),
			NULL, 0);
		break;
	}
	case VMBUS_CHANMSG_REQUESTOFFERS:
		assert_int_equal(conn, 1u);
		host_offer(h, RELID);
		host_send(h, &r, vmbus_chanmsg_build_alloffers_delivered(&r), NULL, 0);
		break;
	case VMBUS_CHANMSG_GPADL_HEADER:
	case VMBUS_CHANMSG_GPADL_BODY:
		assert_true(vmbus_gpadl_asm_feed(h->asm_, &m, (size_t)size, &id, &done) >= 0);
		if (!done)
			break;
		for (i = 0; i < MAX_GPADLS && h->gpadls[i].g; i++)
			;
		assert_true(i < MAX_GPADLS);
		h->gpadls[i].g = done;
		host_send(h, &r, vmbus_chanmsg_build_gpadl_created(&r, done->relid, done->handle, 0),
			NULL, 0);
		break;
	case VMBUS_CHANMSG_OPENCHANNEL:
		host_on_open(h, &m.open);
		break;
	case VMBUS_CHANMSG_GPADL_TEARDOWN:
		if (h->vsp)
			vs_vsp_gpadl_teardown(h->vsp, m.gpadl_teardown.gpadl);
		if (host_gpadl(h, m.gpadl_teardown.gpadl, &slot))
			host_drop_gpadl(h, slot);
		host_send(h, &r, vmbus_chanmsg_build_gpadl_torndown(&r, m.gpadl_teardown.gpadl),
			NULL, 0);
		break;
	case VMBUS_CHANMSG_CLOSECHANNEL:
		h->n_closes++;
		host_close_channel(h);
		break;
	case VMBUS_CHANMSG_RELID_RELEASED:
		/* the host frees a rescinded channel's GPADLs itself, then re-offers */
		for (i = 0; i < MAX_GPADLS; i++) {
			if (h->gpadls[i].g && h->gpadls[i].g->relid == m.relid.child_relid)
				host_drop_gpadl(h, i);
		}
		pthread_mutex_lock(&h->lock);
		h->n_released++;
		pthread_mutex_unlock(&h->lock);
		host_offer(h, RELID2);
		break;
	case VMBUS_CHANMSG_UNLOAD:
		pthread_mutex_lock(&h->lock);
		h->n_unload++;
		pthread_mutex_unlock(&h->lock);
		host_send(h, &r, vmbus_chanmsg_build_unload_response(&r), NULL, 0);
		break;
	default:
		fail_msg("unexpected guest message %d", type);
	}
}

/* The netvsc port's side: drain the G->H ring into the VSP, signal the guest as the rings say. */
static void host_rings(struct host *h)
{
	uint8_t pkt[8192];
	uint64_t v;
	int n;

	if (!h->open)
		return;
	if (read(h->signal_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		fail_msg("signal eventfd");
	for (;;) {
		while ((n = vmbus_ring_read(&h->in, pkt, sizeof(pkt))) > 0)
			assert_int_equal(vs_vsp_handle_packet(h->vsp, 0, pkt, (size_t)n), 0);
		assert_int_equal(n, -EAGAIN);
		if (vmbus_ring_read_done(&h->in))
			assert_int_equal(write(h->intr_fd, &(uint64_t){1}, 8), 8);
		if (!vmbus_ring_intr_unmask(&h->in))
			break;
	}
	pthread_mutex_lock(&h->lock);
	if (h->inject_len) {
		struct vs_vsp_seg seg = {.base = h->inject, .len = h->inject_len};
		struct vs_vsp_rx_frame f = {.segs = &seg, .n_segs = 1};

		assert_int_equal(vs_vsp_rx_add(h->vsp, &f), 0);
		assert_int_equal(vs_vsp_rx_flush(h->vsp), 0);
		h->inject_len = 0;
	}
	vs_vsp_info_get(h->vsp, &h->info);
	pthread_mutex_unlock(&h->lock);
	if (h->out_dirty) {
		h->out_dirty = false;
		if (vmbus_ring_write_done(&h->out))
			assert_int_equal(write(h->intr_fd, &(uint64_t){1}, 8), 8);
	}
}

static void *host_main(void *arg)
{
	struct host *h = arg;
	union vmbus_chanmsg r;

	for (;;) {
		struct pollfd pfd[2] = {{.fd = h->sock, .events = POLLIN},
			{.fd = h->open ? h->signal_fd : -1, .events = POLLIN}};
		bool rescind;

		pthread_mutex_lock(&h->lock);
		rescind = h->do_rescind;
		h->do_rescind = false;
		if (h->stop) {
			pthread_mutex_unlock(&h->lock);
			break;
		}
		pthread_mutex_unlock(&h->lock);
		if (rescind)
			host_send(h, &r, vmbus_chanmsg_build_rescind(&r, h->relid), NULL, 0);
		poll(pfd, 2, 5);
		if (pfd[0].revents & POLLIN)
			host_on_msg(h);
		host_rings(h);
	}
	return NULL;
}

/* ---------------------------------------------------------------------------------------------
 * The test
 */

static void sink_rx(void *ctx, const uint8_t *frame, size_t len)
{
	struct sink *s = ctx;

	if (len <= sizeof(s->frame)) {
		memcpy(s->frame, frame, len);
		s->len = (uint32_t)len;
	}
	s->n++;
}

static void sink_link(void *ctx, bool up)
{
	struct sink *s = ctx;

	s->link_events++;
}

static void frame_fill(uint8_t *f, size_t len, const uint8_t dst[6], const uint8_t src[6],
	uint8_t seed)
{
	size_t i;

	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = 0x88;
	f[13] = 0xb5;
	for (i = 14; i < len; i++)
		f[i] = (uint8_t)(seed + i * 7);
}

/* Turn the guest's loop until 'cond' holds (10 s at most). */
static bool guest_until(struct gd_driver *d, struct host *h, bool (*cond)(struct host *h,
								    void *arg), void *arg)
{
	int i;

	for (i = 0; i < 2000; i++) {
		bool ok;

		pthread_mutex_lock(&h->lock);
		ok = cond(h, arg);
		pthread_mutex_unlock(&h->lock);
		if (ok)
			return true;
		if (gd_driver_poll(d, -1, 5) < 0)
			return false;
	}
	return false;
}

static bool c_delivered(struct host *h, void *arg)
{
	return h->n_frames >= *(unsigned int *)arg;
}

static bool c_sink(struct host *h, void *arg)
{
	return ((struct sink *)arg)->n > 0;
}

static bool c_reattached(struct host *h, void *arg)
{
	struct gd_driver *d = arg;

	return h->n_released == 1 && gd_driver_netvsc(d) && h->open && h->relid == RELID2 &&
	       h->info.packet_filter == 0x0d;
}

static void test_loopback(void **state)
{
	struct host *h = calloc(1, sizeof(*h));
	struct sink sink = {0};
	struct gd_netvsc_ops sink_ops = {.rx = sink_rx, .link = sink_link};
	struct gd_driver_config cfg = {
		.contact_timeout_ms = 10000,
		.reply_timeout_ms = 10000,
		.sink = &sink_ops,
		.sink_ctx = &sink,
	};
	uint8_t frame[1514], frame2[600];
	unsigned int want = 1;
	struct gd_netvsc *nd;
	struct gd_driver *d;
	int sv[2], memfd;

	assert_non_null(h);
	pthread_mutex_init(&h->lock, NULL);
	memfd = memfd_create("guest", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	assert_true(memfd >= 0);
	assert_int_equal(ftruncate(memfd, MEM_SIZE), 0);
	assert_int_equal(fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW), 0);
	assert_int_equal(vmbus_gmem_init(&h->gm, memfd, MEM_SIZE), 0);
	h->mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	assert_true(h->mem != MAP_FAILED);
	h->asm_ = vmbus_gpadl_asm_create(MEM_SIZE / 4096);
	assert_non_null(h->asm_);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	h->sock = sv[1];
	cfg.mem_fd = memfd;
	cfg.msg_fd = sv[0];
	assert_int_equal(pthread_create(&h->thread, NULL, host_main, h), 0);

	/* bring-up: every step of facts 6.2, answered by the VSP core */
	d = gd_driver_start(&cfg);
	assert_non_null(d);
	nd = gd_driver_netvsc(d);
	assert_non_null(nd);
	assert_memory_equal(nd->mac, host_mac, 6);
	assert_int_equal(nd->nvsp_version, NVSP_VERSION_61);
	assert_int_equal(nd->mtu, 1500);
	assert_true(nd->link_up);
	assert_true(nd->n_sections >= 1);
	assert_int_equal(h->n_versions_refused, 1); /* 5.3 refused, 5.2 taken */
	assert_true(guest_until(d, h, c_delivered, &(unsigned int){0}));
	pthread_mutex_lock(&h->lock);
	assert_int_equal(h->info.nvsp_version, NVSP_VERSION_61);
	assert_int_equal(h->info.ndis_mtu, 1514);
	assert_int_equal(h->info.ndis_caps, 0xac);
	assert_int_equal(h->info.ndis_major, 6);
	assert_int_equal(h->info.ndis_minor, 30);
	assert_true(h->info.recv_buf);
	assert_true(h->info.send_buf);
	assert_true(h->info.rndis_ready);
	assert_int_equal(h->info.packet_filter, 0x0d);
	assert_int_equal(h->info.offload_params[4], 1); /* ip_v4_csum off, as Linux */
	pthread_mutex_unlock(&h->lock);

	/* guest -> host: byte-identical out of the deliver hook */
	frame_fill(frame, sizeof(frame), (const uint8_t[6]){0x02, 0, 0, 0, 0, 9}, nd->mac, 3);
	assert_int_equal(gd_netvsc_send(nd, frame, sizeof(frame)), 0);
	gd_netvsc_flush(nd);
	assert_true(guest_until(d, h, c_delivered, &want));
	pthread_mutex_lock(&h->lock);
	assert_int_equal(h->frame_len[0], sizeof(frame));
	assert_memory_equal(h->frames[0], frame, sizeof(frame));
	pthread_mutex_unlock(&h->lock);

	/* host -> guest: byte-identical into the sink */
	frame_fill(frame2, sizeof(frame2), nd->mac, (const uint8_t[6]){0x02, 0, 0, 0, 0, 9}, 5);
	pthread_mutex_lock(&h->lock);
	memcpy(h->inject, frame2, sizeof(frame2));
	h->inject_len = sizeof(frame2);
	pthread_mutex_unlock(&h->lock);
	assert_true(guest_until(d, h, c_sink, &sink));
	assert_int_equal(sink.len, sizeof(frame2));
	assert_memory_equal(sink.frame, frame2, sizeof(frame2));

	/* rescind (a vswitchd restart): detach, release, re-attach to the new offer */
	pthread_mutex_lock(&h->lock);
	h->do_rescind = true;
	pthread_mutex_unlock(&h->lock);
	assert_true(guest_until(d, h, c_reattached, d));
	nd = gd_driver_netvsc(d);
	want = 2;
	assert_int_equal(gd_netvsc_send(nd, frame, 100), 0);
	gd_netvsc_flush(nd);
	assert_true(guest_until(d, h, c_delivered, &want));
	pthread_mutex_lock(&h->lock);
	assert_int_equal(h->frame_len[1], 100);
	assert_memory_equal(h->frames[1], frame, 100);
	pthread_mutex_unlock(&h->lock);

	/* stop: filter 0, HALT, revokes, close, teardowns, UNLOAD */
	gd_driver_stop(d);
	pthread_mutex_lock(&h->lock);
	h->stop = true;
	pthread_mutex_unlock(&h->lock);
	pthread_join(h->thread, NULL);
	assert_int_equal(h->n_unload, 1);
	assert_int_equal(h->n_closes, 2);
	assert_false(h->open);
	for (int i = 0; i < MAX_GPADLS; i++)
		assert_null(h->gpadls[i].g); /* every GPADL torn down or released */
	vmbus_gpadl_asm_destroy(h->asm_);
	munmap(h->mem, MEM_SIZE);
	close(sv[0]);
	close(sv[1]);
	close(memfd);
	free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loopback),
	};

	gd_log_set(NULL, getenv("GD_DEBUG") ? LOG_DEBUG : LOG_WARNING);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
