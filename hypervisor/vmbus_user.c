/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The vmbus-user server of one partition NIC (include/vsw/proto/vmbus_user.h): a listening
 * SOCK_SEQPACKET socket STATE_DIR/PARTITION.INDEX.vmbus (0600), at most one vswitchd connected
 * (a second connection is accepted and closed at once), and the queue of requests vmmd sends it.
 *
 * Requests go out one at a time, in the order the channel code queued them (so that, e.g., a
 * GPADL_DEL never overtakes the CHAN_CLOSE before it); the next leaves only after the reply with
 * the same seq. A GPADL_ADD of more than VMBUS_USER_MAX_PFNS_PER_MSG PFNs goes out in parts;
 * parts that do not fit in the socket wait for EPOLLOUT. Nothing blocks: a request that gets no
 * reply within the timeout (VMM_VB_TIMEOUT_MS) drops the connection, the guest gets a failure
 * status for it (GPADL_CREATED / OPENCHANNEL_RESULT), and the other queued requests complete as
 * if no vswitchd had been there. The same timeout bounds the wait for HELLO after a connect.
 * A malformed message from vswitchd, or a reply that matches no request, drops the connection.
 */
#include "vmbus_server.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#include "internal.h"

#define VU_MTU 1500u
#define VU_LISTEN_BACKLOG 4

/* Large enough for the largest message either side sends, plus one byte to see truncation. */
static uint8_t vu_buf[VMBUS_USER_MAX_MSG + 1] __attribute__((aligned(8)));

static void vu_drop(struct vmm_vb_nic *nic, bool timeout, const char *why);
static void vu_pump(struct vmm_vb_nic *nic);

bool vmm_vu_ready(const struct vmm_vb_nic *nic)
{
	return nic->vu.conn_fd >= 0 && nic->vu.hello_done;
}

static void timer_arm(struct vmm_vb_nic *nic, bool on)
{
	unsigned int ms = nic->vb->timeout_ms;
	struct itimerspec its = {0};

	if (on) {
		its.it_value.tv_sec = ms / 1000;
		its.it_value.tv_nsec = (long)(ms % 1000) * 1000000L;
	}
	if (nic->vu.timer_fd >= 0)
		timerfd_settime(nic->vu.timer_fd, 0, &its, NULL);
}

/* ---- sending ---- */

/* One datagram: header + body, with fds. 0, -EAGAIN or -errno. */
static int vu_send(struct vmm_vb_nic *nic, uint32_t type, uint32_t flags, uint32_t seq,
	const void *body, size_t size, const int *fds, int n_fds)
{
	struct vmbus_user_hdr hdr = {.type = type, .flags = flags, .seq = seq, .size = (uint32_t)size};
	union {
		char buf[CMSG_SPACE(2 * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov[2] = {{.iov_base = &hdr, .iov_len = sizeof(hdr)},
		{.iov_base = (void *)body, .iov_len = size}};
	struct msghdr mh = {.msg_iov = iov, .msg_iovlen = size ? 2 : 1};
	struct cmsghdr *c;

	if (n_fds > 0) {
		memset(&u, 0, sizeof(u));
		mh.msg_control = u.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)n_fds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)n_fds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)n_fds);
	}
	if (sendmsg(nic->vu.conn_fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0)
		return 0;
	return errno == EAGAIN || errno == EWOULDBLOCK ? -EAGAIN : -(errno ?: EIO);
}

static void watch_conn(struct vmm_vb_nic *nic, bool out);

static uint32_t wire_type(enum vmm_vu_op_type t)
{
	static const uint32_t map[] = {
		[VMM_VU_OP_GPADL_ADD] = VMBUS_USER_GPADL_ADD,
		[VMM_VU_OP_CHAN_OPEN] = VMBUS_USER_CHAN_OPEN,
		[VMM_VU_OP_CHAN_CLOSE] = VMBUS_USER_CHAN_CLOSE,
		[VMM_VU_OP_GPADL_DEL] = VMBUS_USER_GPADL_DEL,
		[VMM_VU_OP_RESET] = VMBUS_USER_RESET,
	};

	return map[t];
}

/* Send the parts of a GPADL_ADD not yet on the wire. 0 (all sent), -EAGAIN or -errno. */
static int send_gpadl_add(struct vmm_vb_nic *nic, struct vmm_vu_op *op)
{
	const struct vmbus_gpadl *g = op->gpadl->g;
	struct vmbus_user_gpadl_add *a = (struct vmbus_user_gpadl_add *)vu_buf;
	uint32_t first, n;
	int ret;

	for (;;) {
		first = op->parts_sent * VMBUS_USER_MAX_PFNS_PER_MSG;
		if (first >= g->n_pfns)
			return 0;
		n = g->n_pfns - first;
		if (n > VMBUS_USER_MAX_PFNS_PER_MSG)
			n = VMBUS_USER_MAX_PFNS_PER_MSG;
		*a = (struct vmbus_user_gpadl_add){.relid = g->relid,
			.gpadl = g->handle,
			.byte_offset = g->byte_offset,
			.byte_count = g->byte_count,
			.total_pfns = g->n_pfns,
			.first_pfn = first,
			.n_pfns = n};
		memcpy(a->pfn, &g->pfns[first], (size_t)n * sizeof(uint64_t));
		ret = vu_send(nic, VMBUS_USER_GPADL_ADD, 0, op->seq, a,
			sizeof(*a) + (size_t)n * sizeof(uint64_t), NULL, 0);
		if (ret)
			return ret;
		op->parts_sent++;
	}
}

static int send_op(struct vmm_vb_nic *nic, struct vmm_vu_op *op)
{
	const struct vmm_vb_chan *c = vmm_chan_find(nic->vb, op->relid, NULL) ?: &nic->chan;
	union {
		struct vmbus_user_chan_open open;
		struct vmbus_user_chan_close close;
		struct vmbus_user_gpadl_del del;
	} b;
	/* vmbus_user.h: [0] the signal eventfd, [1] the interrupt pipe's write end */
	int fds[2] = {c->signal_fd, c->intr_host_fd};

	memset(&b, 0, sizeof(b));
	switch (op->type) {
	case VMM_VU_OP_GPADL_ADD:
		return send_gpadl_add(nic, op);
	case VMM_VU_OP_CHAN_OPEN:
		b.open.relid = c->relid;
		b.open.sub_channel_index = c->sub_index;
		b.open.ring_gpadl = c->ring_gpadl;
		b.open.downstream_ring_page_offset = c->downstream;
		b.open.target_vp = c->target_vp;
		b.open.vmbus_version = nic->vb->version;
		return vu_send(nic, VMBUS_USER_CHAN_OPEN, 0, op->seq, &b.open, sizeof(b.open), fds, 2);
	case VMM_VU_OP_CHAN_CLOSE:
		b.close.relid = op->relid;
		return vu_send(nic, VMBUS_USER_CHAN_CLOSE, 0, op->seq, &b.close, sizeof(b.close),
			NULL, 0);
	case VMM_VU_OP_GPADL_DEL:
		b.del.relid = op->relid;
		b.del.gpadl = op->handle;
		return vu_send(nic, VMBUS_USER_GPADL_DEL, 0, op->seq, &b.del, sizeof(b.del), NULL, 0);
	case VMM_VU_OP_RESET:
		return vu_send(nic, VMBUS_USER_RESET, 0, op->seq, NULL, 0, NULL, 0);
	}
	return -EINVAL;
}

static void op_free(struct vmm_vu_op *op)
{
	vmm_vb_gpadl_put(op->gpadl);
	free(op);
}

static struct vmm_vu_op *op_pop(struct vmm_vu *vu)
{
	struct vmm_vu_op *op = vu->head;

	if (op) {
		vu->head = op->next;
		if (vu->head == NULL)
			vu->tail = NULL;
		vu->n_ops--;
		op->next = NULL;
	}
	return op;
}

/* A request that can no longer be useful (an older VMBus connection), not on the wire yet. */
static bool op_stale(const struct vmm_vb_nic *nic, const struct vmm_vu_op *op)
{
	return op->epoch != nic->vb->epoch && op->type != VMM_VU_OP_RESET && op->seq == 0;
}

/* Put the head request on the wire if it is not, and arm its deadline. */
static void vu_pump(struct vmm_vb_nic *nic)
{
	struct vmm_vu *vu = &nic->vu;
	struct vmm_vu_op *op;
	int ret;

	while ((op = vu->head) != NULL && op_stale(nic, op))
		op_free(op_pop(vu));
	if (op == NULL || op->sent || !vmm_vu_ready(nic))
		return;
	if (op->seq == 0) {
		op->seq = ++vu->seq ?: ++vu->seq;
		timer_arm(nic, true);
	}
	ret = send_op(nic, op);
	if (ret == -EAGAIN) {
		watch_conn(nic, true);
		return;
	}
	if (ret) {
		vu_drop(nic, false, strerror(-ret));
		return;
	}
	op->sent = true;
	watch_conn(nic, false);
}

int vmm_vu_request(struct vmm_vb_nic *nic, enum vmm_vu_op_type type, uint32_t relid,
	uint32_t handle, struct vmm_vb_gpadl *gpadl, bool guest_waits)
{
	struct vmm_vu *vu = &nic->vu;
	struct vmm_vu_op *op;

	if (!vmm_vu_ready(nic))
		return -ENOTCONN;
	if (vu->n_ops >= VMM_VB_MAX_OPS)
		return -ENOBUFS;
	op = calloc(1, sizeof(*op));
	if (op == NULL)
		return -ENOMEM;
	op->type = type;
	op->relid = relid;
	op->handle = handle;
	op->gpadl = gpadl;
	if (gpadl)
		gpadl->refs++;
	op->epoch = nic->vb->epoch;
	op->guest_waits = guest_waits;
	if (vu->tail)
		vu->tail->next = op;
	else
		vu->head = op;
	vu->tail = op;
	vu->n_ops++;
	vu_pump(nic);
	return 0;
}

void vmm_vu_drop_stale(struct vmm_vb_nic *nic)
{
	struct vmm_vu_op **pp = &nic->vu.head, *op;

	nic->vu.tail = NULL;
	while ((op = *pp) != NULL) {
		/* the head may be on the wire: its reply must still be matched */
		if (op->seq == 0 && op->type != VMM_VU_OP_RESET) {
			*pp = op->next;
			nic->vu.n_ops--;
			op_free(op);
			continue;
		}
		nic->vu.tail = op;
		pp = &op->next;
	}
}

/* ---- connection ---- */

static void on_conn(int fd, uint32_t events, void *arg)
{
	struct vmm_vb_nic *nic = arg;

	if (events & EPOLLOUT)
		vu_pump(nic);
	if (nic->vu.conn_fd >= 0 && (events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		vmm_vu_input(nic);
}

static void watch_conn(struct vmm_vb_nic *nic, bool out)
{
	struct vmm_vu *vu = &nic->vu;
	struct vmm_loop *loop = nic->vb->loop;

	if (loop == NULL || vu->conn_fd < 0 || vu->want_out == out)
		return;
	vmm_loop_del(loop, vu->conn_fd);
	vmm_loop_add(loop, vu->conn_fd, EPOLLIN | (out ? EPOLLOUT : 0u), on_conn, nic);
	vu->want_out = out;
}

int vmm_vu_attach(struct vmm_vb_nic *nic, int fd)
{
	struct vmm_vu *vu = &nic->vu;

	if (vu->conn_fd >= 0) {
		/* one vswitchd per NIC: the newcomer is told by the close */
		vu->refused++;
		close(fd);
		VMM_LOG(WARNING, "partition %s: nic %u: second vswitchd connection refused",
			nic->vb->name, nic->index);
		return -EBUSY;
	}
	vu->conn_fd = fd;
	vu->hello_done = false;
	vu->want_out = false;
	vu->connects++;
	if (nic->vb->loop && vmm_loop_add(nic->vb->loop, fd, EPOLLIN, on_conn, nic) < 0) {
		close(fd);
		vu->conn_fd = -1;
		return -EIO;
	}
	timer_arm(nic, true); /* HELLO deadline */
	VMM_LOG(INFO, "partition %s: nic %u: vswitchd connected", nic->vb->name, nic->index);
	return 0;
}

static void vu_drop(struct vmm_vb_nic *nic, bool timeout, const char *why)
{
	struct vmm_vu *vu = &nic->vu;
	struct vmm_vu_op *op;
	bool first = true;

	if (vu->conn_fd < 0)
		return;
	VMM_LOG(NOTICE, "partition %s: nic %u: vswitchd connection dropped: %s", nic->vb->name,
		nic->index, why);
	if (nic->vb->loop)
		vmm_loop_del(nic->vb->loop, vu->conn_fd);
	close(vu->conn_fd);
	vu->conn_fd = -1;
	vu->hello_done = false;
	vu->want_out = false;
	timer_arm(nic, false);
	/* requests complete without vswitchd; only the one it left unanswered fails */
	while ((op = op_pop(vu)) != NULL) {
		vmm_chan_op_done(nic, op,
			first && timeout && op->seq ? VMM_VU_TIMEOUT : VMM_VU_GONE, 0);
		first = false;
		op_free(op);
	}
	vmm_chan_switch_lost(nic);
}

/* ---- receiving ---- */

static int reply(struct vmm_vb_nic *nic, const struct vmbus_user_hdr *h, const void *body,
	size_t size, const int *fds, int n_fds)
{
	return vu_send(nic, h->type, VMBUS_USER_F_REPLY, h->seq, body, size, fds, n_fds);
}

static int on_hello(struct vmm_vb_nic *nic, const struct vmbus_user_hdr *h, const uint8_t *body)
{
	struct vmbus_user_hello hello;
	struct vmbus_user_hello_reply r = {0};
	int ret;

	if (nic->vu.hello_done || h->size < sizeof(hello))
		return -EPROTO;
	memcpy(&hello, body, sizeof(hello));
	if (hello.version != VMBUS_USER_VERSION) {
		r.status = EPROTONOSUPPORT;
		r.version = VMBUS_USER_VERSION;
		reply(nic, h, &r, sizeof(r), NULL, 0);
		return -EPROTONOSUPPORT;
	}
	r.version = VMBUS_USER_VERSION;
	r.memory_size = nic->vb->mem_pages * VMBUS_PAGE_SIZE;
	memcpy(r.mac, nic->cfg.mac, sizeof(r.mac));
	r.mtu = VU_MTU;
	r.max_subchannels = nic->cfg.queues > 1 ? nic->cfg.queues - 1 : 0;
	ret = reply(nic, h, &r, sizeof(r), &nic->vb->memfd, 1);
	if (ret)
		return ret;
	nic->vu.hello_done = true;
	timer_arm(nic, false);
	VMM_LOG(INFO, "partition %s: nic %u: vswitchd said hello", nic->vb->name, nic->index);
	vmm_chan_switch_ready(nic);
	return 0;
}

static int on_reply(struct vmm_vb_nic *nic, const struct vmbus_user_hdr *h, const uint8_t *body)
{
	struct vmm_vu *vu = &nic->vu;
	struct vmm_vu_op *op = vu->head;
	uint32_t status;

	if (op == NULL || !op->sent || op->seq != h->seq || wire_type(op->type) != h->type ||
		h->size < sizeof(status))
		return -EPROTO;
	memcpy(&status, body, sizeof(status));
	op_pop(vu);
	timer_arm(nic, false);
	vmm_chan_op_done(nic, op, VMM_VU_REPLIED, status);
	op_free(op);
	vu_pump(nic);
	return 0;
}

static int on_message(struct vmm_vb_nic *nic, const struct vmbus_user_hdr *h, const uint8_t *body)
{
	struct vmbus_user_reply r = {0};
	struct vmbus_user_subchan_req req;
	struct vmbus_user_link link;

	if (h->flags & ~VMBUS_USER_F_REPLY)
		return -EPROTO;
	if (h->flags & VMBUS_USER_F_REPLY)
		return nic->vu.hello_done ? on_reply(nic, h, body) : -EPROTO;
	if (h->type == VMBUS_USER_HELLO)
		return on_hello(nic, h, body);
	if (!nic->vu.hello_done)
		return -EPROTO;
	switch (h->type) {
	case VMBUS_USER_SUBCHAN_REQ:
		if (h->size < sizeof(req))
			return -EPROTO;
		memcpy(&req, body, sizeof(req));
		r.value = vmm_chan_subchan_request(nic, req.count);
		break;
	case VMBUS_USER_LINK:
		if (h->size < sizeof(link))
			return -EPROTO;
		memcpy(&link, body, sizeof(link));
		nic->vu.link = link.up ? 1 : 0;
		break;
	default:
		r.status = EOPNOTSUPP;
		break;
	}
	return reply(nic, h, &r, sizeof(r), NULL, 0);
}

void vmm_vu_input(struct vmm_vb_nic *nic)
{
	union {
		char buf[CMSG_SPACE(8 * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct vmbus_user_hdr h;
	struct iovec iov;
	struct msghdr mh;
	unsigned int i;
	ssize_t n;
	int ret;

	for (i = 0; i < VMM_VB_MSGS_PER_WAKEUP && nic->vu.conn_fd >= 0; i++) {
		iov = (struct iovec){.iov_base = vu_buf, .iov_len = sizeof(vu_buf)};
		mh = (struct msghdr){.msg_iov = &iov,
			.msg_iovlen = 1,
			.msg_control = u.buf,
			.msg_controllen = sizeof(u.buf)};
		n = recvmsg(nic->vu.conn_fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return;
		if (n <= 0) {
			vu_drop(nic, false, n == 0 ? "closed by vswitchd" : strerror(errno));
			return;
		}
		ret = -EPROTO;
		if (mh.msg_controllen == 0 && !(mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) &&
			(size_t)n >= sizeof(h)) {
			memcpy(&h, vu_buf, sizeof(h));
			if (h.size == (size_t)n - sizeof(h))
				ret = on_message(nic, &h, vu_buf + sizeof(h));
		} else if (mh.msg_controllen) {
			struct cmsghdr *c;

			/* vswitchd never sends fds: close what came */
			for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
				size_t k, nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
				int fd;

				for (k = 0; c->cmsg_type == SCM_RIGHTS && k < nfd; k++) {
					memcpy(&fd, CMSG_DATA(c) + k * sizeof(int), sizeof(int));
					close(fd);
				}
			}
		}
		if (ret) {
			nic->vu.proto_errors++;
			vu_drop(nic, false, ret == -EPROTO ? "protocol error" : strerror(-ret));
			return;
		}
	}
}

void vmm_vu_timeout(struct vmm_vb_nic *nic)
{
	struct vmm_vu *vu = &nic->vu;
	uint64_t ticks;

	if (vu->timer_fd >= 0 && read(vu->timer_fd, &ticks, sizeof(ticks)) < 0) {
		/* not expired (a test calling directly) */
	}
	if (vu->conn_fd < 0)
		return;
	if (!vu->hello_done) {
		vu_drop(nic, false, "no HELLO in time");
		return;
	}
	if (vu->head == NULL || vu->head->seq == 0)
		return;
	vu->timeouts++;
	vu_drop(nic, true, "no reply in time");
}

/* ---- listening socket ---- */

static void on_listen(int fd, uint32_t events, void *arg)
{
	struct vmm_vb_nic *nic = arg;
	int c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (c >= 0)
		vmm_vu_attach(nic, c);
}

static void on_timer(int fd, uint32_t events, void *arg)
{
	vmm_vu_timeout(arg);
}

static int listen_open(struct vmm_vb_nic *nic, const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct vmm_vu *vu = &nic->vu;
	mode_t old;
	int ret;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	vu->listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (vu->listen_fd < 0)
		return -errno;
	unlink(path); /* left by a vmmd that died: one vmmd per name owns this directory */
	old = umask(0177);
	ret = bind(vu->listen_fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (ret < 0 || listen(vu->listen_fd, VU_LISTEN_BACKLOG) < 0)
		return -errno;
	strcpy(vu->path, path);
	if (nic->vb->loop)
		return vmm_loop_add(nic->vb->loop, vu->listen_fd, EPOLLIN, on_listen, nic);
	return 0;
}

int vmm_vu_init(struct vmm_vb_nic *nic, const char *path)
{
	struct vmm_vu *vu = &nic->vu;
	int ret;

	memset(vu, 0, sizeof(*vu));
	vu->listen_fd = vu->conn_fd = -1;
	vu->link = -1;
	vu->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (vu->timer_fd < 0)
		return -errno;
	if (nic->vb->loop) {
		ret = vmm_loop_add(nic->vb->loop, vu->timer_fd, EPOLLIN, on_timer, nic);
		if (ret)
			return ret;
	}
	return path ? listen_open(nic, path) : 0;
}

void vmm_vu_fini(struct vmm_vb_nic *nic)
{
	struct vmm_vu *vu = &nic->vu;
	struct vmm_loop *loop = nic->vb->loop;
	struct vmm_vu_op *op;

	if (vmm_vu_ready(nic))
		vu_send(nic, VMBUS_USER_RESET, 0, ++vu->seq ?: ++vu->seq, NULL, 0, NULL, 0);
	while ((op = op_pop(vu)) != NULL)
		op_free(op);
	if (vu->conn_fd >= 0) {
		if (loop)
			vmm_loop_del(loop, vu->conn_fd);
		close(vu->conn_fd);
	}
	if (vu->listen_fd >= 0) {
		if (loop)
			vmm_loop_del(loop, vu->listen_fd);
		close(vu->listen_fd);
	}
	if (vu->timer_fd >= 0) {
		if (loop)
			vmm_loop_del(loop, vu->timer_fd);
		close(vu->timer_fd);
	}
	if (vu->path[0])
		unlink(vu->path);
	vu->conn_fd = vu->listen_fd = vu->timer_fd = -1;
	vu->path[0] = '\0';
}
