/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: one partition's VMBus server (hypervisor/vmbus_server.c) fed a sequence of
 * guest datagrams, interleaved with a fake vswitchd that connects, says HELLO, replies with a
 * chosen status, stays silent (timeout) or disconnects.
 *
 * Input: records. Each starts with an action byte:
 *   0: a guest datagram follows: 1 length byte L (L == 0 means HV_MSG_SIZE), then L bytes
 *      (missing bytes are zero);
 *   1: vswitchd connects to NIC 0 and says HELLO;
 *   2: vswitchd replies to its pending request; the next byte is the status;
 *   3: the reply deadline of NIC 0 passes;
 *   4: vswitchd disconnects;
 *   5: vswitchd sends a raw message: 1 length byte L, then L bytes.
 * Every host -> guest message is drained after each record.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

/* hypervisor/internal.h by path: vmbus/ has an internal.h too, earlier in the search path */
#include "../../hypervisor/internal.h"
#include "vmbus_server.h"

#define MEM_SIZE (16u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct vmm_nic fuzz_nics[2] = {
	{.sw = "sw0", .port = "p0", .mac = {2, 0, 0, 0, 0, 1}, .queues = 4}, /* subchannels too */
	{.sw = "sw0", .port = "p1", .mac = {2, 0, 0, 0, 0, 2}},
};

struct fz {
	struct vmm_vmbus *vb;
	int guest; /* guest end of the message channel */
	int sw;	   /* vswitchd end, -1 none */
	struct vmbus_user_hdr last; /* last request vmmd sent */
	bool pending;
};

/* Read everything vmmd sent to the guest and to vswitchd (closing passed fds). */
static void drain(struct fz *f)
{
	static uint8_t buf[VMBUS_USER_MAX_MSG];
	union {
		char c[CMSG_SPACE(8 * sizeof(int))];
		struct cmsghdr align;
	} u;
	int pass, fd;

	for (pass = 0; pass < 2; pass++) {
		fd = pass == 0 ? f->guest : f->sw;
		while (fd >= 0) {
			struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
			struct msghdr mh = {.msg_iov = &iov,
				.msg_iovlen = 1,
				.msg_control = u.c,
				.msg_controllen = sizeof(u.c)};
			struct cmsghdr *c;
			ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

			if (n <= 0)
				break;
			for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
				size_t k, nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
				int x;

				for (k = 0; k < nfd; k++) {
					memcpy(&x, CMSG_DATA(c) + k * sizeof(int), sizeof(int));
					close(x);
				}
			}
			if (pass == 1 && (size_t)n >= sizeof(f->last)) {
				struct vmbus_user_hdr h;

				memcpy(&h, buf, sizeof(h));
				if (!(h.flags & VMBUS_USER_F_REPLY)) {
					f->last = h;
					f->pending = true;
				}
			}
		}
	}
}

static void sw_send(struct fz *f, const void *msg, size_t len)
{
	if (f->sw < 0)
		return;
	if (send(f->sw, msg, len, MSG_DONTWAIT) >= 0)
		vmm_vu_input(&f->vb->nics[0]);
}

static void sw_connect(struct fz *f)
{
	struct {
		struct vmbus_user_hdr h;
		struct vmbus_user_hello b;
	} hello = {{VMBUS_USER_HELLO, 0, 1, sizeof(struct vmbus_user_hello)}, {VMBUS_USER_VERSION, 0}};
	int sp[2];

	if (f->sw >= 0 || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		return;
	if (vmm_vu_attach(&f->vb->nics[0], sp[0]) < 0) {
		close(sp[1]);
		return;
	}
	f->sw = sp[1];
	f->pending = false;
	sw_send(f, &hello, sizeof(hello));
}

static void sw_reply(struct fz *f, uint8_t status)
{
	struct {
		struct vmbus_user_hdr h;
		struct vmbus_user_reply b;
	} r = {{f->last.type, VMBUS_USER_F_REPLY, f->last.seq, sizeof(struct vmbus_user_reply)},
		{status, 0}};

	if (!f->pending)
		return;
	f->pending = false;
	sw_send(f, &r, sizeof(r));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int memfd = -1;
	struct vmm_vmbus_params pa = {.name = "fz",
		.mem_size = MEM_SIZE,
		.nics = fuzz_nics,
		.n_nics = 2};
	struct fz f = {.sw = -1};
	uint8_t d[VMBUS_USER_MAX_MSG];
	size_t i = 0, len;
	int sp[2];

	vmm_log_level = VMM_LOG_ERR;
	if (memfd < 0) {
		memfd = memfd_create("fuzz", MFD_CLOEXEC);
		if (memfd < 0 || ftruncate(memfd, MEM_SIZE) < 0)
			abort();
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		abort();
	pa.memfd = memfd;
	pa.msg_fd = sp[0];
	f.guest = sp[1];
	f.vb = vmm_vmbus_create(&pa);
	if (f.vb == NULL)
		abort();
	while (i < size) {
		uint8_t action = data[i++] % 6;

		switch (action) {
		case 0:
		case 5:
			len = i < size ? data[i++] : 0;
			if (len == 0 && action == 0)
				len = HV_MSG_SIZE;
			memset(d, 0, sizeof(d));
			memcpy(d, data + i, size - i < len ? size - i : len);
			i += size - i < len ? size - i : len;
			if (action == 0)
				vmm_vmbus_handle(f.vb, d, len);
			else
				sw_send(&f, d, len);
			break;
		case 1:
			sw_connect(&f);
			break;
		case 2:
			sw_reply(&f, i < size ? data[i++] : 0);
			break;
		case 3:
			vmm_vu_timeout(&f.vb->nics[0]);
			break;
		case 4:
			if (f.sw >= 0) {
				close(f.sw);
				f.sw = -1;
				vmm_vu_input(&f.vb->nics[0]);
			}
			break;
		}
		drain(&f);
		if (f.vb->nics[0].vu.conn_fd < 0 && f.sw >= 0) {
			close(f.sw);
			f.sw = -1;
		}
	}
	vmm_vmbus_destroy(f.vb);
	if (f.sw >= 0)
		close(f.sw);
	close(sp[0]);
	close(sp[1]);
	return 0;
}
