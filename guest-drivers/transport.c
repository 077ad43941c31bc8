/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The process partition's message channel (include/vsw/proto/hv_msg.h): one 256-byte datagram
 * per message on a SOCK_SEQPACKET socket; OPENCHANNEL_RESULT carries the two doorbells (SCM_RIGHTS).
 */
#include "internal.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

static int sock_send(void *ctx, const struct hv_post_message *pm)
{
	int fd = *(int *)ctx;
	ssize_t n;

	do {
		n = send(fd, pm, sizeof(*pm), MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == ECONNRESET || errno == ENOTCONN ? -EPIPE : -errno;
	return n == (ssize_t)sizeof(*pm) ? 0 : -EIO;
}

/* Keep the fds that came with a datagram (at most GD_MAX_MSG_FDS), close any others. */
static void sock_take_fds(struct msghdr *mh, int *fds, unsigned int *n_fds)
{
	struct cmsghdr *c;

	for (c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		size_t n, i;
		int fd;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (*n_fds < GD_MAX_MSG_FDS)
				fds[(*n_fds)++] = fd;
			else
				close(fd);
		}
	}
}

static int sock_recv(void *ctx, struct hv_message *hm, int *fds, unsigned int *n_fds,
	int timeout_ms)
{
	union {
		char buf[CMSG_SPACE(4 * sizeof(int))];
		struct cmsghdr align;
	} cbuf;
	int fd = *(int *)ctx;
	struct iovec iov = {.iov_base = hm, .iov_len = sizeof(*hm)};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	ssize_t n;
	int ret;

	*n_fds = 0;
	do {
		ret = poll(&pfd, 1, timeout_ms);
	} while (ret < 0 && errno == EINTR);
	if (ret < 0)
		return -errno;
	if (ret == 0)
		return -ETIMEDOUT;
	mh.msg_control = cbuf.buf;
	mh.msg_controllen = sizeof(cbuf.buf);
	do {
		n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EAGAIN ? -ETIMEDOUT : errno == ECONNRESET ? -EPIPE : -errno;
	sock_take_fds(&mh, fds, n_fds);
	if (n == 0)
		return -EPIPE; /* the host closed its end */
	if (n != (ssize_t)sizeof(*hm) || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
		while (*n_fds)
			close(fds[--(*n_fds)]);
		return -EPROTO;
	}
	return 0;
}

static int sock_poll_fd(void *ctx)
{
	return *(int *)ctx;
}

const struct gd_transport_ops gd_sock_transport_ops = {
	.send = sock_send,
	.recv = sock_recv,
	.poll_fd = sock_poll_fd,
};
