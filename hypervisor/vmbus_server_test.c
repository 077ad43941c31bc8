/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * VMBus server unit tests: a partition's message channel and a NIC's vmbus-user connection are
 * socketpairs; the test plays the guest with hand-written byte vectors (facts 4.2/4.3 offsets,
 * not our builders) and plays vswitchd (replies, silence, disconnects).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "internal.h"
#include "vmbus_server.h"

#define MEM_SIZE (64u << 20) /* 16384 pages */
#define CONN4 4u
#define CONN1 1u

struct h {
	int guest;   /* test's end of the message channel */
	int vmm_end; /* vmmd's end */
	int memfd;
	struct vmm_loop *loop;
	struct vmm_vmbus *vb;
	int sw; /* test's end of a vswitchd connection, -1 none */
	unsigned int sw_nic; /* the NIC it is connected to */
};

static struct vmm_nic test_nics[2] = {
	{.sw = "sw0", .port = "p0", .mac = {0x02, 0, 0, 0, 0, 1}},
	{.sw = "sw0", .port = "p1", .mac = {0x02, 0, 0, 0, 0, 2}},
};

static void put32(uint8_t *b, size_t off, uint32_t v)
{
	memcpy(b + off, &v, 4);
}

static uint32_t get32(const uint8_t *b, size_t off)
{
	uint32_t v;

	memcpy(&v, b + off, 4);
	return v;
}

static int setup(void **state)
{
	struct h *h = calloc(1, sizeof(*h));
	int sp[2];
	struct vmm_vmbus_params pa;

	assert_non_null(h);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp), 0);
	h->vmm_end = sp[0];
	h->guest = sp[1];
	h->memfd = memfd_create("vmbus-test", MFD_CLOEXEC);
	assert_true(h->memfd >= 0);
	assert_int_equal(ftruncate(h->memfd, MEM_SIZE), 0);
	h->loop = vmm_loop_create();
	assert_non_null(h->loop);
	pa = (struct vmm_vmbus_params){.name = "vm1",
		.mem_size = MEM_SIZE,
		.memfd = h->memfd,
		.msg_fd = h->vmm_end,
		.nics = test_nics,
		.n_nics = 2,
		.loop = h->loop};
	h->vb = vmm_vmbus_create(&pa);
	assert_non_null(h->vb);
	h->sw = -1;
	vmm_log_level = VMM_LOG_ERR;
	*state = h;
	return 0;
}

static int teardown(void **state)
{
	struct h *h = *state;

	vmm_vmbus_destroy(h->vb);
	vmm_loop_destroy(h->loop);
	close(h->guest);
	close(h->vmm_end);
	close(h->memfd);
	if (h->sw >= 0)
		close(h->sw);
	free(h);
	return 0;
}

/* Run the loop until nothing is ready. */
static void pump(struct h *h)
{
	while (vmm_loop_run_once(h->loop, 0) > 0)
		;
}

/* Guest: one HvPostMessage datagram (facts 1.5 layout) with 'len' payload bytes. */
static void post(struct h *h, uint32_t conn, const uint8_t *msg, size_t len)
{
	uint8_t d[HV_MSG_SIZE] = {0};

	put32(d, 0, conn);
	put32(d, 8, 1); /* HVMSG type: VMBus */
	put32(d, 12, (uint32_t)len);
	memcpy(d + 16, msg, len);
	assert_int_equal(send(h->guest, d, sizeof(d), 0), sizeof(d));
	pump(h);
}

/* Guest: receive the next host message; returns its payload size, -1 if none. */
static int guest_recv(struct h *h, uint8_t *payload, int *fds, int *n_fds)
{
	union {
		char buf[CMSG_SPACE(4 * sizeof(int))];
		struct cmsghdr align;
	} u;
	uint8_t d[HV_MSG_SIZE + 1];
	struct iovec iov = {.iov_base = d, .iov_len = sizeof(d)};
	struct msghdr mh = {.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = u.buf,
		.msg_controllen = sizeof(u.buf)};
	struct cmsghdr *c;
	ssize_t n = recvmsg(h->guest, &mh, MSG_DONTWAIT);

	if (n < 0)
		return -1;
	assert_int_equal(n, HV_MSG_SIZE);
	assert_int_equal(get32(d, 0), 1); /* SynIC message type */
	*n_fds = 0;
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		*n_fds = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		memcpy(fds, CMSG_DATA(c), (size_t)*n_fds * sizeof(int));
	}
	memcpy(payload, d + 16, 240);
	return d[4];
}

/* Expect a host message of 'type' and 'size' without fds; copy it to 'out' (may be NULL). */
static void expect(struct h *h, uint32_t type, int size, uint8_t *out)
{
	uint8_t p[240];
	int fds[4], n_fds, n = guest_recv(h, p, fds, &n_fds);

	assert_int_equal(n, size);
	assert_int_equal(get32(p, 0), type);
	assert_int_equal(n_fds, 0);
	if (out)
		memcpy(out, p, 240);
}

static void expect_nothing(struct h *h)
{
	uint8_t p[240];
	int fds[4], n_fds;

	assert_int_equal(guest_recv(h, p, fds, &n_fds), -1);
}

static void contact(struct h *h, uint32_t version, uint32_t conn)
{
	uint8_t m[40] = {0};

	put32(m, 0, 14);
	put32(m, 8, version);
	m[16] = 2;		     /* SINT */
	put32(m, 24, 0x1000);	     /* monitor page 1 */
	put32(m, 32, 0x2000);	     /* monitor page 2 */
	post(h, conn, m, sizeof(m));
}

static void relid_msg(struct h *h, uint32_t type, uint32_t relid)
{
	uint8_t m[12] = {0};

	put32(m, 0, type);
	put32(m, 8, relid);
	post(h, CONN1, m, sizeof(m));
}

static void header_only(struct h *h, uint32_t type)
{
	uint8_t m[8] = {0};

	put32(m, 0, type);
	post(h, CONN1, m, sizeof(m));
}

/* Connect 5.3 and take the offers of both NICs. */
static void bring_up(struct h *h)
{
	uint8_t p[240];

	contact(h, 0x50003, CONN4);
	expect(h, 15, 16, p);
	assert_int_equal(p[8], 1);
	header_only(h, 3);
	expect(h, 1, 196, NULL);
	expect(h, 1, 196, NULL);
	expect(h, 4, 8, NULL);
}

/* Guest: a GPADL of 'n' pages from PFN 'base' split as Linux splits it (26 + 28 per body). */
static void gpadl(struct h *h, uint32_t relid, uint32_t handle, uint32_t n, uint64_t base)
{
	uint8_t m[240];
	uint32_t i = 0, k;

	memset(m, 0, sizeof(m));
	put32(m, 0, 8);
	put32(m, 8, relid);
	put32(m, 12, handle);
	put32(m, 16, ((8 + 8 * n) & 0xffff) | (1u << 16)); /* range_buflen, rangecount 1 */
	put32(m, 20, n * 4096);				     /* byte_count */
	put32(m, 24, 0);				     /* byte_offset */
	for (k = 0; k < 26 && i < n; k++, i++) {
		uint64_t pfn = base + i;

		memcpy(m + 28 + 8 * k, &pfn, 8);
	}
	post(h, CONN1, m, 28 + 8 * k);
	while (i < n) {
		memset(m, 0, sizeof(m));
		put32(m, 0, 9);
		put32(m, 12, handle);
		for (k = 0; k < 28 && i < n; k++, i++) {
			uint64_t pfn = base + i;

			memcpy(m + 16 + 8 * k, &pfn, 8);
		}
		post(h, CONN1, m, 16 + 8 * k);
	}
}

static void open_chan(struct h *h, uint32_t relid, uint32_t ring, uint32_t offset)
{
	uint8_t m[148] = {0};

	put32(m, 0, 5);
	put32(m, 8, relid);
	put32(m, 12, relid); /* open id */
	put32(m, 16, ring);
	put32(m, 20, 0);
	put32(m, 24, offset);
	post(h, CONN1, m, sizeof(m));
}

static void expect_created(struct h *h, uint32_t relid, uint32_t handle, bool ok)
{
	uint8_t p[240];

	expect(h, 10, 20, p);
	assert_int_equal(get32(p, 8), relid);
	assert_int_equal(get32(p, 12), handle);
	if (ok)
		assert_int_equal(get32(p, 16), 0);
	else
		assert_int_not_equal(get32(p, 16), 0);
}

static void expect_open_fail(struct h *h, uint32_t relid)
{
	uint8_t p[240];

	expect(h, 6, 20, p);
	assert_int_equal(get32(p, 8), relid);
	assert_int_equal(get32(p, 12), relid);
	assert_int_not_equal(get32(p, 16), 0);
}

/* ---- fake vswitchd ---- */

static void sw_connect(struct h *h, unsigned int nic)
{
	int sp[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp), 0);
	h->sw = sp[1];
	h->sw_nic = nic;
	assert_int_equal(vmm_vu_attach(&h->vb->nics[nic], sp[0]), 0);
}

/* Receive one message from vmmd: returns the body size, -1 if none. */
static int sw_recv(struct h *h, struct vmbus_user_hdr *hdr, uint8_t *body, int *fds, int *n_fds)
{
	static uint8_t buf[VMBUS_USER_MAX_MSG];
	union {
		char buf[CMSG_SPACE(4 * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
	struct msghdr mh = {.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = u.buf,
		.msg_controllen = sizeof(u.buf)};
	struct cmsghdr *c;
	ssize_t n = recvmsg(h->sw, &mh, MSG_DONTWAIT);

	if (n <= 0)
		return -1;
	memcpy(hdr, buf, sizeof(*hdr));
	assert_int_equal(hdr->size, (size_t)n - sizeof(*hdr));
	memcpy(body, buf + sizeof(*hdr), hdr->size);
	*n_fds = 0;
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		*n_fds = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		memcpy(fds, CMSG_DATA(c), (size_t)*n_fds * sizeof(int));
	}
	return (int)hdr->size;
}

static void sw_send(struct h *h, uint32_t type, uint32_t flags, uint32_t seq, const void *body,
	uint32_t size)
{
	uint8_t buf[256];
	struct vmbus_user_hdr hdr = {.type = type, .flags = flags, .seq = seq, .size = size};

	memcpy(buf, &hdr, sizeof(hdr));
	memcpy(buf + sizeof(hdr), body, size);
	assert_int_equal(send(h->sw, buf, sizeof(hdr) + size, 0), (ssize_t)(sizeof(hdr) + size));
	pump(h);
}

/* Expect a request of 'type'; reply with 'status' unless status < 0. Returns its seq. */
static uint32_t sw_expect(struct h *h, uint32_t type, int status, uint8_t *body, int *fds,
	int *n_fds)
{
	static uint8_t b[VMBUS_USER_MAX_MSG];
	struct vmbus_user_hdr hdr;
	int f[4], nf;
	uint32_t r[2] = {(uint32_t)status, 0};

	assert_true(sw_recv(h, &hdr, body ? body : b, fds ? fds : f, n_fds ? n_fds : &nf) >= 0);
	assert_int_equal(hdr.type, type);
	assert_int_equal(hdr.flags, 0);
	if (fds == NULL) {
		for (int i = 0; i < nf; i++)
			close(f[i]);
	}
	if (status >= 0)
		sw_send(h, type, VMBUS_USER_F_REPLY, hdr.seq, r, sizeof(r));
	return hdr.seq;
}

static void sw_hello(struct h *h)
{
	struct vmbus_user_hello hello = {.version = VMBUS_USER_VERSION};
	struct vmbus_user_hdr hdr;
	struct vmbus_user_hello_reply r;
	uint8_t body[64];
	int fds[4], n_fds;

	sw_send(h, VMBUS_USER_HELLO, 0, 7, &hello, sizeof(hello));
	assert_int_equal(sw_recv(h, &hdr, body, fds, &n_fds), sizeof(r));
	assert_int_equal(hdr.flags, VMBUS_USER_F_REPLY);
	assert_int_equal(hdr.seq, 7);
	memcpy(&r, body, sizeof(r));
	assert_int_equal(r.status, 0);
	assert_int_equal(r.version, 1);
	assert_int_equal(r.memory_size, MEM_SIZE);
	assert_int_equal(r.mtu, 1500);
	assert_memory_equal(r.mac, test_nics[h->sw_nic].mac, 6);
	assert_int_equal(r.max_subchannels,
		test_nics[h->sw_nic].queues > 1 ? test_nics[h->sw_nic].queues - 1 : 0);
	assert_int_equal(n_fds, 1);
	close(fds[0]);
}

/* ---- tests ---- */

static void test_version(void **state)
{
	struct h *h = *state;
	uint8_t p[240];

	contact(h, 0x60000, CONN4); /* 6.0: not ours */
	expect(h, 15, 16, p);
	assert_int_equal(p[8], 0);
	contact(h, 0x50000, CONN1); /* >= 5.0 must come on id 4 */
	expect(h, 15, 16, p);
	assert_int_equal(p[8], 0);
	contact(h, 0x20004, CONN1); /* 2.4: too old */
	expect(h, 15, 16, p);
	assert_int_equal(p[8], 0);
	assert_false(h->vb->connected);
	contact(h, 0x50002, CONN4);
	expect(h, 15, 16, p);
	assert_int_equal(p[8], 1);
	assert_int_equal(p[9], 0);
	assert_int_equal(get32(p, 12), 1); /* msg_conn_id */
	assert_int_equal(h->vb->version, 0x50002);
	/* a second contact while connected resets */
	contact(h, 0x50002, CONN4);
	expect_nothing(h);
	assert_int_equal(h->vb->errors[VMM_VB_ERR_STATE], 1);
	assert_int_equal(h->vb->resets, 1);
	assert_false(h->vb->connected);
	/* older versions on id 1 */
	contact(h, 0x30000, CONN1);
	expect(h, 15, 16, p);
	assert_int_equal(p[8], 1);
	assert_int_equal(h->vb->version, 0x30000);
}

static void test_offers(void **state)
{
	static const uint8_t netvsc[16] = {0x63, 0x51, 0x61, 0xf8, 0x3e, 0xdf, 0xc5, 0x46, 0x91,
		0x3f, 0xf2, 0xd2, 0xf9, 0x65, 0xed, 0x0e};
	struct h *h = *state;
	uint8_t p[240], inst[2][16];
	struct vmbus_guid g;
	uint32_t i;

	relid_msg(h, 7, 1); /* before contact */
	assert_int_equal(h->vb->errors[VMM_VB_ERR_STATE], 1);
	contact(h, 0x50003, CONN4);
	expect(h, 15, 16, NULL);
	header_only(h, 3);
	for (i = 0; i < 2; i++) {
		expect(h, 1, 196, p);
		assert_memory_equal(p + 8, netvsc, 16);
		memcpy(inst[i], p + 24, 16);
		assert_int_equal(p[180] | p[181] << 8, 0); /* sub-channel index */
		assert_int_equal(get32(p, 184), i + 1);	   /* relid */
		assert_int_equal(p[188], 0xff);		   /* monitor id */
		assert_int_equal(p[189], 0);		   /* monitor allocated */
		assert_int_equal(p[190] | p[191] << 8, 1); /* dedicated interrupt */
		assert_int_equal(get32(p, 192), (i + 1) | 0x2000);
		assert_int_equal(get32(p, 56), 0); /* flags, mmio */
	}
	expect(h, 4, 8, NULL);
	assert_memory_not_equal(inst[0], inst[1], 16);
	vmm_vb_instance_guid("vm1", 0, &g);
	assert_memory_equal(inst[0], g.b, 16);
	assert_int_equal(g.b[7] >> 4, 8);
	assert_int_equal(g.b[8] >> 6, 2);
	vmm_vb_instance_guid("vm2", 0, &g);
	assert_memory_not_equal(inst[0], g.b, 16);
	/* once per connection */
	header_only(h, 3);
	expect_nothing(h);
	assert_int_equal(h->vb->errors[VMM_VB_ERR_STATE], 2);
}

static void test_gpadl_256(void **state)
{
	struct h *h = *state;

	bring_up(h);
	gpadl(h, 1, 0xe1e10, 256, 100);
	expect_created(h, 1, 0xe1e10, true);
	expect_nothing(h);
	assert_int_equal(h->vb->nics[0].chan.n_gpadls, 1);
	assert_int_equal(h->vb->nics[0].chan.gpadl_pages, 256);
	/* the same handle again, on the other channel: handles are per partition */
	gpadl(h, 2, 0xe1e10, 4, 1000);
	expect_nothing(h);
	assert_int_equal(h->vb->errors[VMM_VB_ERR_GPADL], 1);
	assert_false(h->vb->connected);
	assert_int_equal(h->vb->shared_pages, 0);
}

static void test_gpadl_refused(void **state)
{
	struct h *h = *state;

	bring_up(h);
	/* PFN outside memory (16384 pages): refused with a status, the rest of it dropped */
	gpadl(h, 1, 0x10, 64, 16384 - 30);
	expect_created(h, 1, 0x10, false);
	expect_nothing(h);
	assert_int_equal(h->vb->errors[VMM_VB_ERR_GPADL_REFUSED], 1);
	assert_true(h->vb->connected);
	/* GPADL for a relid never offered */
	gpadl(h, 9, 0x11, 2, 10);
	assert_int_equal(h->vb->errors[VMM_VB_ERR_RELID], 1);
	assert_false(h->vb->connected);
}

static void test_open_bounds(void **state)
{
	struct h *h = *state;

	bring_up(h);
	gpadl(h, 1, 0x20, 256, 100);
	expect_created(h, 1, 0x20, true);
	gpadl(h, 1, 0x21, 4, 1000);
	expect_created(h, 1, 0x21, true);
	open_chan(h, 1, 0x20, 0); /* no G->H ring */
	expect_open_fail(h, 1);
	open_chan(h, 1, 0x20, 256); /* no H->G ring */
	expect_open_fail(h, 1);
	open_chan(h, 1, 0x20, 1); /* 1-page G->H ring */
	expect_open_fail(h, 1);
	open_chan(h, 1, 0x20, 255); /* 1-page H->G ring */
	expect_open_fail(h, 1);
	open_chan(h, 1, 0x99, 128); /* unknown GPADL */
	expect_open_fail(h, 1);
	open_chan(h, 1, 0x21, 2); /* 2 + 2 pages: fine, but no vswitchd: the guest waits */
	expect_nothing(h);
	assert_int_equal(h->vb->errors[VMM_VB_ERR_OPEN_REFUSED], 5);
	assert_int_equal(h->vb->nics[0].chan.state, VMM_CHAN_OPENING);
	assert_true(h->vb->connected);
	open_chan(h, 1, 0x20, 128); /* double open */
	assert_int_equal(h->vb->errors[VMM_VB_ERR_STATE], 1);
	assert_false(h->vb->connected);
	bring_up(h);
	open_chan(h, 3, 0x20, 128); /* unknown relid */
	assert_int_equal(h->vb->errors[VMM_VB_ERR_RELID], 1);
}

/* Bring-up with vswitchd: GPADL before HELLO, open waits, HELLO replays, fds reach the guest. */
/* 'host_fds' (may be NULL) receives vswitchd's two doorbell fds. */
static void open_with_switch(struct h *h, int *guest_fds, int *host_fds)
{
	static uint8_t body[VMBUS_USER_MAX_MSG];
	uint8_t p[240];
	int fds[4], n_fds, n;
	struct vmbus_user_gpadl_add add;
	struct vmbus_user_chan_open co;

	bring_up(h);
	gpadl(h, 1, 0x30, 256, 200);
	expect_created(h, 1, 0x30, true); /* no vswitchd: answered at once */
	open_chan(h, 1, 0x30, 128);
	expect_nothing(h);
	sw_connect(h, 0);
	pump(h);
	expect_nothing(h);
	sw_hello(h);
	/* replay: GPADL_ADD of the ring, then CHAN_OPEN */
	sw_expect(h, VMBUS_USER_GPADL_ADD, 0, body, NULL, NULL);
	memcpy(&add, body, sizeof(add));
	assert_int_equal(add.relid, 1);
	assert_int_equal(add.gpadl, 0x30);
	assert_int_equal(add.total_pfns, 256);
	assert_int_equal(add.first_pfn, 0);
	assert_int_equal(add.n_pfns, 256);
	assert_int_equal(add.byte_count, 256 * 4096);
	expect_nothing(h);
	sw_expect(h, VMBUS_USER_CHAN_OPEN, 0, body, fds, &n_fds);
	memcpy(&co, body, sizeof(co));
	assert_int_equal(co.relid, 1);
	assert_int_equal(co.ring_gpadl, 0x30);
	assert_int_equal(co.downstream_ring_page_offset, 128);
	assert_int_equal(co.vmbus_version, 0x50003);
	assert_int_equal(n_fds, 2);
	n = guest_recv(h, p, guest_fds, &n_fds);
	assert_int_equal(n, 20);
	assert_int_equal(get32(p, 0), 6);
	assert_int_equal(get32(p, 8), 1);
	assert_int_equal(get32(p, 16), 0);
	assert_int_equal(n_fds, 2);
	/* [0] signal: guest writes, vswitchd reads; [1] interrupt: vswitchd writes, guest reads */
	assert_int_equal(eventfd_write(guest_fds[0], 1), 0);
	eventfd_t v = 0;
	assert_int_equal(eventfd_read(fds[0], &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(write(fds[1], &(uint64_t){3}, 8), 8);
	assert_int_equal(read(guest_fds[1], &v, 8), 8);
	assert_int_equal(v, 3);
	if (host_fds) {
		memcpy(host_fds, fds, 2 * sizeof(int));
	} else {
		close(fds[0]);
		close(fds[1]);
	}
	assert_int_equal(h->vb->nics[0].chan.state, VMM_CHAN_OPEN);
}

/*
 * The interrupt doorbell is not one open file shared by guest and vswitchd (it was an eventfd):
 * the guest holds a read-only end, vswitchd a write-only, non-blocking one that the guest cannot
 * make blocking, and a guest that never reads makes vswitchd's writes fail, never wait.
 * (hostile_guest_test, phase "doorbell": an eventfd's O_NONBLOCK cleared by the guest and its
 * counter saturated blocked a vswitchd worker in write().)
 */
static void test_doorbells_not_shared(void **state)
{
	struct h *h = *state;
	int gfds[2], sfds[2], n;
	uint64_t one = 1, big = 0xfffffffffffffffeull;

	open_with_switch(h, gfds, sfds);
	assert_int_equal(fcntl(gfds[1], F_GETFL) & O_ACCMODE, O_RDONLY);
	assert_int_equal(fcntl(sfds[1], F_GETFL) & O_ACCMODE, O_WRONLY);
	assert_true(fcntl(sfds[1], F_GETFL) & O_NONBLOCK);
	/* what the attack did: blocking mode and a saturating write, on the guest's end */
	assert_int_equal(fcntl(gfds[1], F_SETFL, 0), 0);
	assert_int_equal(write(gfds[1], &big, 8), -1);
	assert_int_equal(errno, EBADF);
	assert_true(fcntl(sfds[1], F_GETFL) & O_NONBLOCK);
	/* a guest that never reads: vswitchd's writes end in EAGAIN (bounded: a pipe holds 64 KiB
	 * by default, at most 1 MiB) */
	for (n = 0; n < (1 << 17); n++) {
		if (write(sfds[1], &one, 8) < 0)
			break;
	}
	assert_true(n < (1 << 17));
	assert_int_equal(errno, EAGAIN);
	close(gfds[0]);
	close(gfds[1]);
	close(sfds[0]);
	close(sfds[1]);
}

static void test_open_close_teardown(void **state)
{
	struct h *h = *state;
	uint8_t m[16] = {0}, p[240];
	int gfds[2];

	open_with_switch(h, gfds, NULL);
	close(gfds[0]);
	close(gfds[1]);
	/* a GPADL while connected waits for vswitchd's reply */
	gpadl(h, 1, 0x31, 4096, 4000);
	expect_nothing(h);
	sw_expect(h, VMBUS_USER_GPADL_ADD, 0, NULL, NULL, NULL);
	expect_created(h, 1, 0x31, true);
	/* the ring of an open channel cannot be torn down */
	put32(m, 0, 11);
	put32(m, 8, 1);
	put32(m, 12, 0x30);
	relid_msg(h, 7, 1); /* close: CHAN_CLOSE, no guest answer */
	expect_nothing(h);
	post(h, CONN1, m, 16); /* teardown: GPADL_DEL waits behind CHAN_CLOSE */
	sw_expect(h, VMBUS_USER_CHAN_CLOSE, 0, NULL, NULL, NULL);
	expect_nothing(h);
	sw_expect(h, VMBUS_USER_GPADL_DEL, 0, NULL, NULL, NULL);
	expect(h, 12, 12, p);
	assert_int_equal(get32(p, 8), 0x30);
	relid_msg(h, 7, 1); /* closing a closed channel */
	assert_int_equal(h->vb->errors[VMM_VB_ERR_STATE], 1);
}

static void test_ring_teardown_refused(void **state)
{
	struct h *h = *state;
	uint8_t m[16] = {0};
	int gfds[2];

	open_with_switch(h, gfds, NULL);
	close(gfds[0]);
	close(gfds[1]);
	put32(m, 0, 11);
	put32(m, 8, 1);
	put32(m, 12, 0x30);
	post(h, CONN1, m, 16);
	assert_int_equal(h->vb->errors[VMM_VB_ERR_STATE], 1);
	/* the reset told vswitchd to forget everything */
	sw_expect(h, VMBUS_USER_RESET, 0, NULL, NULL, NULL);
	assert_int_equal(h->vb->nics[0].chan.state, VMM_CHAN_IDLE);
}

static void test_gpadl_parts(void **state)
{
	struct h *h = *state;
	uint8_t *body = malloc(VMBUS_USER_MAX_MSG);
	struct vmbus_user_gpadl_add add;
	struct vmbus_user_hdr hdr;
	uint32_t r[2] = {0, 0};
	int fds[4], n_fds;
	uint64_t pfn;

	bring_up(h);
	sw_connect(h, 0);
	sw_hello(h);
	gpadl(h, 1, 0x40, 5000, 100);
	expect_nothing(h);
	assert_int_equal(sw_recv(h, &hdr, body, fds, &n_fds), 32 + 4096 * 8);
	memcpy(&add, body, sizeof(add));
	assert_int_equal(add.first_pfn, 0);
	assert_int_equal(add.n_pfns, 4096);
	assert_int_equal(add.total_pfns, 5000);
	memcpy(&pfn, body + 32 + 8 * 4095, 8);
	assert_int_equal(pfn, 100 + 4095);
	assert_int_equal(sw_recv(h, &hdr, body, fds, &n_fds), 32 + 904 * 8);
	memcpy(&add, body, sizeof(add));
	assert_int_equal(add.first_pfn, 4096);
	assert_int_equal(add.n_pfns, 904);
	memcpy(&pfn, body + 32, 8);
	assert_int_equal(pfn, 100 + 4096);
	expect_nothing(h);
	sw_send(h, VMBUS_USER_GPADL_ADD, VMBUS_USER_F_REPLY, hdr.seq, r, sizeof(r));
	expect_created(h, 1, 0x40, true);
	free(body);
}

static void test_unload(void **state)
{
	struct h *h = *state;
	uint8_t p[240];

	bring_up(h);
	sw_connect(h, 1);
	sw_hello(h);
	gpadl(h, 2, 0x50, 8, 100);
	sw_expect(h, VMBUS_USER_GPADL_ADD, 0, NULL, NULL, NULL);
	expect_created(h, 2, 0x50, true);
	header_only(h, 16);
	expect_nothing(h); /* waits for vswitchd's RESET reply */
	sw_expect(h, VMBUS_USER_RESET, 0, NULL, NULL, NULL);
	expect(h, 17, 8, NULL);
	assert_int_equal(h->vb->shared_pages, 0);
	assert_int_equal(h->vb->nics[1].chan.state, VMM_CHAN_IDLE);
	/* and a new connection starts from scratch */
	contact(h, 0x50003, CONN4);
	expect(h, 15, 16, p);
	assert_int_equal(p[8], 1);
	/* without vswitchd, UNLOAD is answered at once */
	vmm_vu_timeout(&h->vb->nics[1]); /* nothing pending: no effect */
	assert_int_equal(h->vb->nics[1].vu.conn_fd >= 0, 1);
}

static void test_malformed(void **state)
{
	struct h *h = *state;
	uint8_t d[HV_MSG_SIZE] = {0}, m[148] = {0};
	unsigned int e;

	bring_up(h);
	assert_int_equal(send(h->guest, d, 255, 0), 255); /* short datagram */
	pump(h);
	assert_int_equal(h->vb->errors[VMM_VB_ERR_DATAGRAM], 1);
	put32(d, 8, 1);
	put32(d, 12, 241); /* payload too large */
	assert_int_equal(send(h->guest, d, sizeof(d), 0), sizeof(d));
	pump(h);
	put32(d, 8, 2); /* not a VMBus message */
	put32(d, 12, 8);
	assert_int_equal(send(h->guest, d, sizeof(d), 0), sizeof(d));
	pump(h);
	assert_int_equal(h->vb->errors[VMM_VB_ERR_POST_HEADER], 2);
	put32(m, 0, 5);
	put32(m, 8, 1);
	post(h, CONN1, m, 147); /* OPENCHANNEL one byte short */
	put32(m, 0, 1);
	post(h, CONN1, m, 196 > 148 ? 148 : 196); /* OFFERCHANNEL is host -> guest */
	put32(m, 0, 99);
	post(h, CONN1, m, 8); /* unknown type */
	assert_int_equal(h->vb->errors[VMM_VB_ERR_MESSAGE], 3);
	header_only(h, 3); /* fine id, but not connected any more */
	post(h, 7, m, 8);  /* connection id 7 */
	assert_int_equal(h->vb->errors[VMM_VB_ERR_CONN_ID], 1);
	bring_up(h);
	put32(m, 0, 9); /* GPADL_BODY of an unknown handle */
	put32(m, 12, 0x77);
	post(h, CONN1, m, 24);
	assert_int_equal(h->vb->errors[VMM_VB_ERR_GPADL], 1);
	/* a datagram with an fd */
	{
		int efd = eventfd(0, EFD_CLOEXEC);
		union {
			char buf[CMSG_SPACE(sizeof(int))];
			struct cmsghdr align;
		} u = {0};
		struct iovec iov = {.iov_base = d, .iov_len = sizeof(d)};
		struct msghdr mh = {.msg_iov = &iov,
			.msg_iovlen = 1,
			.msg_control = u.buf,
			.msg_controllen = sizeof(u.buf)};
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);

		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &efd, sizeof(int));
		assert_int_equal(sendmsg(h->guest, &mh, 0), sizeof(d));
		close(efd);
		pump(h);
		assert_int_equal(h->vb->errors[VMM_VB_ERR_DATAGRAM], 2);
	}
	for (e = 0; e < VMM_VB_ERR_COUNT; e++)
		assert_string_not_equal(vmm_vb_err_name((enum vmm_vb_err)e), "?");
	assert_int_equal(h->vb->resets, 10);
}

static void test_switch_timeout(void **state)
{
	struct h *h = *state;
	uint8_t p[240];
	int fds[4], n_fds;

	bring_up(h);
	sw_connect(h, 0);
	sw_hello(h);
	gpadl(h, 1, 0x60, 256, 100);
	sw_expect(h, VMBUS_USER_GPADL_ADD, 0, NULL, NULL, NULL);
	expect_created(h, 1, 0x60, true);
	open_chan(h, 1, 0x60, 128);
	sw_expect(h, VMBUS_USER_CHAN_OPEN, -1, NULL, NULL, NULL); /* no reply */
	expect_nothing(h);
	vmm_vu_timeout(&h->vb->nics[0]);
	expect_open_fail(h, 1);
	assert_int_equal(h->vb->nics[0].vu.timeouts, 1);
	assert_int_equal(h->vb->nics[0].vu.conn_fd, -1);
	assert_int_equal(recv(h->sw, p, sizeof(p), MSG_DONTWAIT), 0); /* dropped */
	assert_int_equal(h->vb->nics[0].chan.state, VMM_CHAN_OFFERED);
	assert_true(h->vb->connected);
	(void)fds;
	(void)n_fds;
}

static void test_switch_refuses_gpadl(void **state)
{
	struct h *h = *state;

	bring_up(h);
	sw_connect(h, 0);
	sw_hello(h);
	gpadl(h, 1, 0x61, 8, 100);
	sw_expect(h, VMBUS_USER_GPADL_ADD, ENOMEM, NULL, NULL, NULL);
	expect_created(h, 1, 0x61, false);
	assert_int_equal(h->vb->nics[0].chan.n_gpadls, 0);
}

/* vswitchd disconnects with the channel open: rescind, close, release, re-offer. */
static void test_disconnect_rescind(void **state)
{
	struct h *h = *state;
	uint8_t p[240];
	int gfds[2];

	open_with_switch(h, gfds, NULL);
	close(gfds[0]);
	close(gfds[1]);
	gpadl(h, 1, 0x32, 16, 5000);
	sw_expect(h, VMBUS_USER_GPADL_ADD, 0, NULL, NULL, NULL);
	expect_created(h, 1, 0x32, true);
	close(h->sw);
	h->sw = -1;
	pump(h);
	expect(h, 2, 12, p);
	assert_int_equal(get32(p, 8), 1);
	assert_int_equal(h->vb->nics[0].chan.state, VMM_CHAN_RESCINDED);
	/* a new vswitchd meanwhile learns nothing of the rescinded channel */
	sw_connect(h, 0);
	sw_hello(h);
	{
		struct vmbus_user_hdr hdr;
		uint8_t b[64];
		int f[4], nf;

		assert_int_equal(sw_recv(h, &hdr, b, f, &nf), -1);
	}
	relid_msg(h, 7, 1);  /* Linux still closes */
	relid_msg(h, 13, 1); /* and releases: GPADLs freed by the host, channel offered again */
	expect(h, 1, 196, p);
	assert_int_equal(get32(p, 184), 1);
	assert_int_equal(h->vb->nics[0].chan.n_gpadls, 0);
	assert_int_equal(h->vb->shared_pages, 0);
	relid_msg(h, 13, 1); /* release of a channel that is not rescinded */
	assert_int_equal(h->vb->errors[VMM_VB_ERR_STATE], 1);
}

/* NIC 0 with queues=3: two subchannels at most. */
static int setup_mq(void **state)
{
	test_nics[0].queues = 3;
	return setup(state);
}

static int teardown_mq(void **state)
{
	test_nics[0].queues = 0;
	return teardown(state);
}

/* vswitchd: SUBCHAN_REQ {count}; returns the count vmmd answered. */
static uint32_t sw_subchan_req(struct h *h, uint32_t count)
{
	struct vmbus_user_subchan_req req = {.count = count};
	struct vmbus_user_hdr hdr;
	uint8_t b[64];
	int f[4], nf;

	sw_send(h, VMBUS_USER_SUBCHAN_REQ, 0, 50, &req, sizeof(req));
	assert_int_equal(sw_recv(h, &hdr, b, f, &nf), 8);
	assert_int_equal(hdr.type, VMBUS_USER_SUBCHAN_REQ);
	assert_int_equal(hdr.flags, VMBUS_USER_F_REPLY);
	assert_int_equal(hdr.seq, 50);
	assert_int_equal(get32(b, 0), 0);
	return get32(b, 4);
}

/* An offer of subchannel 'k' of NIC 0 (facts 4.2 offsets): the primary's GUIDs, index k. */
static void expect_sub_offer(struct h *h, uint32_t k)
{
	static const uint8_t netvsc[16] = {0x63, 0x51, 0x61, 0xf8, 0x3e, 0xdf, 0xc5, 0x46, 0x91,
		0x3f, 0xf2, 0xd2, 0xf9, 0x65, 0xed, 0x0e};
	struct vmbus_guid g;
	uint8_t p[240];

	expect(h, 1, 196, p);
	vmm_vb_instance_guid("vm1", 0, &g);
	assert_memory_equal(p + 8, netvsc, 16);
	assert_memory_equal(p + 24, g.b, 16);
	assert_int_equal(p[180] | p[181] << 8, k);
	assert_int_equal(get32(p, 184), vmm_vb_sub_relid(0, k));
	assert_int_equal(get32(p, 192), vmm_vb_sub_relid(0, k) | 0x2000);
}

/*
 * Subchannels: offered on SUBCHAN_REQ (bounded by queues - 1) once the primary is open, each
 * opened through vswitchd like the primary (CHAN_OPEN with its sub_channel_index), rescinded
 * with the primary's close, not offered again on release until asked again.
 */
static void test_subchannels(void **state)
{
	static uint8_t body[VMBUS_USER_MAX_MSG];
	struct h *h = *state;
	struct vmbus_user_chan_open co;
	uint32_t r9 = vmm_vb_sub_relid(0, 1), r10 = vmm_vb_sub_relid(0, 2);
	uint8_t p[240];
	int gfds[4], fds[4], n_fds;
	json_t *j;

	assert_int_equal(r9, VMM_MAX_NICS + 1);
	open_with_switch(h, gfds, NULL);
	close(gfds[0]);
	close(gfds[1]);
	/* more than the NIC allows: clamped to queues - 1 */
	assert_int_equal(sw_subchan_req(h, 5), 2);
	expect_sub_offer(h, 1);
	expect_sub_offer(h, 2);
	expect_nothing(h);
	/* asked again while offered: nothing new */
	assert_int_equal(sw_subchan_req(h, 2), 2);
	expect_nothing(h);
	/* subchannel 1: its ring GPADL and open go through vswitchd */
	gpadl(h, r9, 0x40, 16, 3000);
	sw_expect(h, VMBUS_USER_GPADL_ADD, 0, NULL, NULL, NULL);
	expect_created(h, r9, 0x40, true);
	open_chan(h, r9, 0x40, 8);
	sw_expect(h, VMBUS_USER_CHAN_OPEN, 0, body, fds, &n_fds);
	memcpy(&co, body, sizeof(co));
	assert_int_equal(co.relid, r9);
	assert_int_equal(co.sub_channel_index, 1);
	assert_int_equal(co.ring_gpadl, 0x40);
	assert_int_equal(co.downstream_ring_page_offset, 8);
	assert_int_equal(n_fds, 2);
	close(fds[0]);
	close(fds[1]);
	assert_int_equal(guest_recv(h, p, gfds, &n_fds), 20);
	assert_int_equal(get32(p, 0), 6);
	assert_int_equal(get32(p, 8), r9);
	assert_int_equal(get32(p, 16), 0);
	assert_int_equal(n_fds, 2);
	close(gfds[0]);
	close(gfds[1]);
	j = vmm_vmbus_nic_json(h->vb, 0);
	assert_int_equal(json_integer_value(json_object_get(j, "subchannels_open")), 1);
	assert_int_equal(json_integer_value(json_object_get(j, "subchannels_offered")), 2);
	assert_int_equal(json_array_size(json_object_get(j, "subchannels")), 2);
	json_decref(j);
	/* a GPADL handle is unique across the NIC's channels (a reset-class error) */
	gpadl(h, r10, 0x40, 16, 3000);
	assert_int_equal(h->vb->errors[VMM_VB_ERR_GPADL], 1);
}

/* Linux closes the subchannels, then the primary: the subchannels are rescinded with it. */
static void test_subchannels_rescinded_with_primary(void **state)
{
	struct h *h = *state;
	uint32_t r9 = vmm_vb_sub_relid(0, 1), r10 = vmm_vb_sub_relid(0, 2);
	uint8_t p[240];
	int gfds[4], n_fds;

	open_with_switch(h, gfds, NULL);
	close(gfds[0]);
	close(gfds[1]);
	assert_int_equal(sw_subchan_req(h, 2), 2);
	expect_sub_offer(h, 1);
	expect_sub_offer(h, 2);
	gpadl(h, r9, 0x40, 16, 3000);
	sw_expect(h, VMBUS_USER_GPADL_ADD, 0, NULL, NULL, NULL);
	expect_created(h, r9, 0x40, true);
	open_chan(h, r9, 0x40, 8);
	sw_expect(h, VMBUS_USER_CHAN_OPEN, 0, NULL, NULL, NULL);
	assert_int_equal(guest_recv(h, p, gfds, &n_fds), 20);
	close(gfds[0]);
	close(gfds[1]);
	relid_msg(h, 7, r9);
	sw_expect(h, VMBUS_USER_CHAN_CLOSE, 0, NULL, NULL, NULL);
	relid_msg(h, 7, 1);
	sw_expect(h, VMBUS_USER_CHAN_CLOSE, 0, NULL, NULL, NULL);
	expect(h, 2, 12, p);
	assert_int_equal(get32(p, 8), r9);
	expect(h, 2, 12, p);
	assert_int_equal(get32(p, 8), r10);
	assert_int_equal(h->vb->nics[0].sub[0].state, VMM_CHAN_RESCINDED);
	/* released: freed (its ring GPADL goes from vswitchd), not offered again */
	relid_msg(h, 13, r9);
	sw_expect(h, VMBUS_USER_GPADL_DEL, 0, NULL, NULL, NULL);
	relid_msg(h, 13, r10);
	expect_nothing(h);
	assert_int_equal(h->vb->nics[0].sub[0].state, VMM_CHAN_IDLE);
	assert_int_equal(h->vb->nics[0].sub[0].n_gpadls, 0);
	/* the primary is closed: a request offers nothing */
	assert_int_equal(sw_subchan_req(h, 2), 0);
	expect_nothing(h);
	assert_int_equal(h->vb->errors[VMM_VB_ERR_STATE], 0);
}

/* vswitchd goes: the primary and its subchannels are rescinded; a subchannel asked for while
 * rescinded is offered again when the guest releases it. */
static void test_subchannels_switch_lost(void **state)
{
	struct h *h = *state;
	uint32_t r9 = vmm_vb_sub_relid(0, 1);
	uint8_t p[240];
	int gfds[4];

	open_with_switch(h, gfds, NULL);
	close(gfds[0]);
	close(gfds[1]);
	assert_int_equal(sw_subchan_req(h, 1), 1);
	expect_sub_offer(h, 1);
	close(h->sw);
	h->sw = -1;
	pump(h);
	expect(h, 2, 12, p);
	assert_int_equal(get32(p, 8), 1);
	expect(h, 2, 12, p);
	assert_int_equal(get32(p, 8), r9);
	relid_msg(h, 13, 1);
	expect(h, 1, 196, p); /* the primary is offered again */
	assert_int_equal(get32(p, 184), 1);
	relid_msg(h, 13, r9);
	expect_nothing(h); /* the subchannel is not */
	assert_int_equal(h->vb->errors[VMM_VB_ERR_STATE], 0);
	/* NIC 1 has no subchannels: the relid of its would-be subchannel 1 is unknown */
	relid_msg(h, 7, vmm_vb_sub_relid(1, 1));
	assert_int_equal(h->vb->errors[VMM_VB_ERR_RELID], 1);
}

static void test_switch_misc(void **state)
{
	struct h *h = *state;
	struct vmbus_user_link link = {.up = 1};
	struct vmbus_user_subchan_req sr = {.count = 3};
	struct vmbus_user_reply r;
	struct vmbus_user_hdr hdr;
	uint8_t b[64];
	int fds[4], n_fds, sp[2];

	bring_up(h);
	/* requests before HELLO drop the connection */
	sw_connect(h, 0);
	sw_send(h, VMBUS_USER_LINK, 0, 1, &link, sizeof(link));
	assert_int_equal(h->vb->nics[0].vu.conn_fd, -1);
	assert_int_equal(h->vb->nics[0].vu.proto_errors, 1);
	close(h->sw);
	sw_connect(h, 0);
	sw_hello(h);
	sw_send(h, VMBUS_USER_LINK, 0, 2, &link, sizeof(link));
	assert_int_equal(sw_recv(h, &hdr, b, fds, &n_fds), sizeof(r));
	assert_int_equal(hdr.seq, 2);
	assert_int_equal(hdr.flags, VMBUS_USER_F_REPLY);
	assert_int_equal(h->vb->nics[0].vu.link, 1);
	sw_send(h, VMBUS_USER_SUBCHAN_REQ, 0, 3, &sr, sizeof(sr));
	assert_int_equal(sw_recv(h, &hdr, b, fds, &n_fds), sizeof(r));
	memcpy(&r, b, sizeof(r));
	assert_int_equal(r.status, 0);
	assert_int_equal(r.value, 0);
	/* a second vswitchd is refused */
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp), 0);
	assert_int_equal(vmm_vu_attach(&h->vb->nics[0], sp[0]), -EBUSY);
	assert_int_equal(recv(sp[1], b, sizeof(b), MSG_DONTWAIT), 0);
	close(sp[1]);
	assert_int_equal(h->vb->nics[0].vu.refused, 1);
	/* a reply nobody asked for drops it */
	sw_send(h, VMBUS_USER_GPADL_ADD, VMBUS_USER_F_REPLY, 9, &r, sizeof(r));
	assert_int_equal(h->vb->nics[0].vu.conn_fd, -1);
	/* the JSON of show */
	json_t *j = vmm_vmbus_json(h->vb), *n = vmm_vmbus_nic_json(h->vb, 0);

	assert_non_null(j);
	assert_non_null(n);
	assert_true(json_is_object(json_object_get(j, "errors")));
	assert_string_equal(json_string_value(json_object_get(n, "channel")), "offered");
	json_decref(j);
	json_decref(n);
}

static void test_guest_gone(void **state)
{
	struct h *h = *state;

	bring_up(h);
	gpadl(h, 1, 0x70, 8, 100);
	expect_created(h, 1, 0x70, true);
	close(h->guest);
	h->guest = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0); /* for teardown */
	pump(h);
	assert_true(h->vb->guest_gone);
	assert_false(h->vb->connected);
	assert_int_equal(h->vb->shared_pages, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_version, setup, teardown),
		cmocka_unit_test_setup_teardown(test_offers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gpadl_256, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gpadl_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_bounds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_close_teardown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_doorbells_not_shared, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ring_teardown_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gpadl_parts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unload, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_switch_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_switch_refuses_gpadl, setup, teardown),
		cmocka_unit_test_setup_teardown(test_disconnect_rescind, setup, teardown),
		cmocka_unit_test_setup_teardown(test_switch_misc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_guest_gone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_subchannels, setup_mq, teardown_mq),
		cmocka_unit_test_setup_teardown(
			test_subchannels_rescinded_with_primary, setup_mq, teardown_mq),
		cmocka_unit_test_setup_teardown(
			test_subchannels_switch_lost, setup_mq, teardown_mq),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
