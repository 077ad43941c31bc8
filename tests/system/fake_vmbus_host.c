/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fake_vmbus_host: plays the hypervisor (vmmd's vmbus-user server, include/vsw/proto/vmbus_user.h)
 * AND a minimal netvsc guest against a real vswitchd netvsc port, for netvsc_port_test.sh.
 *
 * As the hypervisor it listens on --socket, answers HELLO with a sealed memfd ("guest memory") and
 * the NIC's MAC, then sends the GPADLs and CHAN_OPEN of one channel as vmmd would. As the guest it
 * owns the rings in that memory and performs the Linux 6.1 netvsc bring-up (hyperv-facts.md 6.2:
 * NVSP INIT 6.1, NDIS config/version, receive and send buffers, RNDIS INITIALIZE, packet filter),
 * every NVSP/RNDIS message written byte by byte at the offsets of facts 5.2, 6.1, 7.2. It then
 * answers ARP requests and ICMP echo requests for --ip, so that `ping` from a namespace behind
 * another switch port exercises both directions (frames larger than a send-buffer section go as
 * GPA_DIRECT, as Linux sends jumbo frames).
 *
 * Signals: USR1 sends malformed NVSP/RNDIS (counted as guest errors, the channel keeps working);
 * USR2 corrupts the guest->host ring's write index (the channel must stop, vswitchd must not);
 * HUP removes the receive buffer's GPADL while the channel is open (and tries the ring's, which
 * must be refused);
 * TERM closes the channel and tears down the GPADLs as vmmd does, checking each reply, and exits
 * 0 if all were accepted. When vswitchd disconnects, the guest starts over on the next connection
 * (vmmd rescinds and re-offers). A status file (--status) is rewritten as lines KEY=VALUE.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "vmbus.h"

#define PAGE 4096u
#define MEM_PAGES 4096u		/* 16 MiB of guest memory */
#define RING_PAGES 16u		/* per direction */
#define RING_PFN_H2G 100u	/* the host->guest half sits below the guest->host half */
#define RING_PFN_G2H 116u
#define RECV_PFN 256u
#define RECV_PAGES 1024u	/* 4 MiB receive buffer */
#define SEND_PFN 1536u
#define SEND_BYTES (170u * 6144u) /* Linux's default send buffer, facts 6.2 step 6 */
#define SCRATCH_PFN 2000u	/* RNDIS control messages, straddling a page boundary */
#define BIG_PFN 2100u		/* GPA_DIRECT frames */
#define BIG_PAGES 20u
#define RELID 7u
#define GPADL_RING 0x1001u
#define GPADL_RECV 0x1002u
#define GPADL_SEND 0x1003u
#define WAIT_MS 5000
#define MAX_FRAME 9216u

struct comp {
	bool got;
	uint8_t nvsp[40];
};

struct host {
	const char *sock_path, *status_path;
	uint8_t mac[6];
	uint32_t ip; /* network order */
	uint32_t ndis_mtu;
	int lfd, cfd, sfd;
	int memfd;
	uint8_t *mem;
	struct vmbus_gmem gmem;
	uint8_t *ring_va;	  /* guest view of the ring GPADL, in GPADL order */
	struct vmbus_ring g2h, h2g; /* guest: writer of g2h, reader of h2g */
	int sig_efd, intr_efd;
	uint32_t seq;
	uint64_t trans;
	struct comp comps[64]; /* by trans id % 64 */
	uint32_t ctl_answers, ctl_last_type, ctl_last_status;
	uint32_t sub_size, n_subs, section_size, n_sections, next_section;
	bool up;
	/* counters for the status file */
	int revoke_status, ring_del_status; /* SIGHUP: GPADL_DEL while the channel is open */
	unsigned long connects, rx_frames, tx_frames, arp_replies, icmp_replies, xfer_ranges,
		garbage_sent, status_ind, tx_big;
};

static struct host H;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "fake_vmbus_host: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(2);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return get32(p) | (uint64_t)get32(p + 4) << 32;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void status_write(void)
{
	char tmp[512], buf[1024];
	FILE *f;

	if (H.status_path == NULL)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", H.status_path);
	snprintf(buf, sizeof(buf),
		"up=%d\nconnects=%lu\nrx_frames=%lu\ntx_frames=%lu\ntx_big=%lu\narp_replies=%lu\n"
		"icmp_replies=%lu\nxfer_ranges=%lu\ngarbage_sent=%lu\nstatus_indications=%lu\n"
		"sub_size=%u\nsections=%u\nrevoke_status=%d\nring_del_status=%d\n",
		H.up, H.connects, H.rx_frames, H.tx_frames, H.tx_big, H.arp_replies, H.icmp_replies,
		H.xfer_ranges, H.garbage_sent, H.status_ind, H.sub_size, H.n_sections,
		H.revoke_status, H.ring_del_status);
	f = fopen(tmp, "w");
	if (f == NULL)
		return;
	fputs(buf, f);
	fclose(f);
	rename(tmp, H.status_path);
}

/* ---- hypervisor side: vmbus-user ---- */

static int um_send(uint32_t type, uint32_t flags, uint32_t seq, const void *body, uint32_t size,
	const int *fds, int n_fds)
{
	uint8_t msg[VMBUS_USER_MAX_MSG];
	char cbuf[CMSG_SPACE(2 * sizeof(int))];
	struct iovec iov = {msg, 16 + size};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};

	put32(msg, type);
	put32(msg + 4, flags);
	put32(msg + 8, seq);
	put32(msg + 12, size);
	memcpy(msg + 16, body, size);
	if (n_fds) {
		struct cmsghdr *c;

		memset(cbuf, 0, sizeof(cbuf));
		m.msg_control = cbuf;
		m.msg_controllen = CMSG_SPACE((size_t)n_fds * sizeof(int));
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN((size_t)n_fds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, (size_t)n_fds * sizeof(int));
	}
	return sendmsg(H.cfd, &m, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

/* Receive one datagram within 'ms'. Returns its length, 0 on hang-up, -ETIMEDOUT. */
static int um_recv(uint8_t *buf, size_t size, int ms)
{
	struct pollfd p = {.fd = H.cfd, .events = POLLIN};
	ssize_t n;

	if (poll(&p, 1, ms) <= 0)
		return -ETIMEDOUT;
	n = recv(H.cfd, buf, size, 0);
	if (n < 0)
		return -errno;
	return (int)n;
}

/* Send a request and wait for its reply status. Returns the status, or -1 on hang-up/timeout. */
static int um_request(uint32_t type, const void *body, uint32_t size, const int *fds, int n_fds)
{
	uint8_t buf[VMBUS_USER_MAX_MSG];
	uint32_t seq = ++H.seq;
	uint64_t end = now_ms() + WAIT_MS;
	int n;

	if (um_send(type, 0, seq, body, size, fds, n_fds))
		return -1;
	while (now_ms() < end) {
		n = um_recv(buf, sizeof(buf), WAIT_MS);
		if (n <= 0)
			return -1;
		if (n >= 24 && get32(buf) == type && (get32(buf + 4) & VMBUS_USER_F_REPLY) &&
			get32(buf + 8) == seq)
			return (int)get32(buf + 16);
	}
	return -1;
}

/* GPADL_ADD of one range of contiguous-or-not PFNs, in parts of at most 'part' PFNs. */
static int um_gpadl_add(uint32_t handle, const uint64_t *pfns, uint32_t n, uint32_t byte_count,
	uint32_t part)
{
	static uint8_t body[32 + 8 * 4096];
	uint32_t first = 0, k, i;
	uint32_t seq;
	uint8_t buf[256];

	while (first < n) {
		k = n - first < part ? n - first : part;
		memset(body, 0, 32);
		put32(body, RELID);
		put32(body + 4, handle);
		put32(body + 8, 0);
		put32(body + 12, byte_count);
		put32(body + 16, n);
		put32(body + 20, first);
		put32(body + 24, k);
		for (i = 0; i < k; i++)
			put64(body + 32 + 8 * i, pfns[first + i]);
		if (first + k == n)
			return um_request(VMBUS_USER_GPADL_ADD, body, 32 + 8 * k, NULL, 0);
		seq = ++H.seq;
		if (um_send(VMBUS_USER_GPADL_ADD, 0, seq, body, 32 + 8 * k, NULL, 0))
			return -1;
		/* no reply to a middle part: make sure none comes */
		if (um_recv(buf, sizeof(buf), 20) > 0)
			die("reply to a middle GPADL_ADD part");
		first += k;
	}
	return -1;
}

static int um_gpadl_add_range(uint32_t handle, uint32_t pfn0, uint32_t n, uint32_t bytes,
	uint32_t part)
{
	uint64_t pfns[4096];
	uint32_t i;

	for (i = 0; i < n; i++)
		pfns[i] = pfn0 + i;
	return um_gpadl_add(handle, pfns, n, bytes, part);
}

static int um_simple(uint32_t type, uint32_t a, uint32_t b)
{
	uint8_t body[8];

	put32(body, a);
	put32(body + 4, b);
	return um_request(type, body, 8, NULL, 0);
}

/* ---- guest side: rings ---- */

static void guest_signal(void)
{
	uint64_t one = 1;

	if (write(H.sig_efd, &one, 8) < 0)
		die("signal eventfd: %s", strerror(errno));
}

/* Write one packet (descriptor already in 'pkt'). */
static int g_write(const uint8_t *pkt, size_t len)
{
	struct iovec iov = {(void *)(uintptr_t)pkt, len};
	int ret = vmbus_ring_write(&H.g2h, &iov, 1);

	if (ret)
		return ret;
	if (vmbus_ring_write_done(&H.g2h))
		guest_signal();
	return 0;
}

static void desc(uint8_t *p, uint16_t type, uint16_t off8, uint16_t len8, uint16_t flags,
	uint64_t trans)
{
	put16(p, type);
	put16(p + 2, off8);
	put16(p + 4, len8);
	put16(p + 6, flags);
	put64(p + 8, trans);
}

/* INBAND with a 40-byte NVSP message (Linux's size, facts 6.1). */
static uint64_t g_inband(const uint8_t *nvsp, size_t len, bool comp)
{
	uint8_t pkt[56] = {0};
	uint64_t t = comp ? ++H.trans : 0xFFFFFFFFFFFFFFFDull;

	desc(pkt, 6, 2, 7, comp ? 1 : 0, t);
	memcpy(pkt + 16, nvsp, len);
	H.comps[t % 64].got = false;
	if (g_write(pkt, sizeof(pkt)))
		die("guest->host ring full");
	return t;
}

/* GPA_DIRECT with one range of 'count' bytes at page 'pfn' + 'off' and an NVSP message. */
static uint64_t g_gpa(const uint8_t *nvsp, uint32_t pfn, uint32_t off, uint32_t count)
{
	uint8_t pkt[512] = {0};
	uint32_t n = (off + count + PAGE - 1) / PAGE, i, pos = 24;
	uint64_t t = ++H.trans;

	put32(pkt + 20, 1);
	put32(pkt + pos, count);
	put32(pkt + pos + 4, off);
	pos += 8;
	for (i = 0; i < n; i++, pos += 8)
		put64(pkt + pos, pfn + i);
	memcpy(pkt + pos, nvsp, 40);
	desc(pkt, 9, (uint16_t)(pos / 8), (uint16_t)((pos + 40) / 8), 1, t);
	H.comps[t % 64].got = false;
	if (g_write(pkt, pos + 40))
		die("guest->host ring full");
	return t;
}

static void nvsp_rndis(uint8_t *m, uint32_t channel, uint32_t section, uint32_t used)
{
	memset(m, 0, 40);
	put32(m, 107);
	put32(m + 4, channel);
	put32(m + 8, section);
	put32(m + 12, used);
}

static void handle_frame(const uint8_t *f, uint32_t len);

/* One RNDIS message the host put in a receive sub-allocation. */
static void on_rndis(const uint8_t *m, uint32_t len)
{
	uint32_t type, msg_len;

	if (len < 8)
		die("receive range of %u bytes", len);
	type = get32(m);
	msg_len = get32(m + 4);
	if (msg_len > len)
		die("RNDIS msg_len %u > range %u", msg_len, len);
	if (type == 1) {
		uint32_t doff = get32(m + 8), dlen = get32(m + 12);

		if (8 + (uint64_t)doff + dlen > msg_len)
			die("RNDIS PACKET data outside the message");
		handle_frame(m + 8 + doff, dlen);
	} else if (type == 7) {
		H.status_ind++;
	} else if (type & 0x80000000u) {
		H.ctl_answers++;
		H.ctl_last_type = type;
		H.ctl_last_status = get32(m + 12);
	} else {
		die("unexpected RNDIS message type %#x from the host", type);
	}
}

/* Complete a host XFER_PAGES packet: COMP {108, status}. */
static void g_complete(uint64_t trans, uint32_t status)
{
	uint8_t pkt[56] = {0};

	desc(pkt, 0xb, 2, 7, 0, trans);
	put32(pkt + 16, 108);
	put32(pkt + 20, status);
	if (g_write(pkt, sizeof(pkt)))
		die("guest->host ring full (completion)");
}

/* Read everything the host sent. Returns the number of packets. */
static int g_poll(void)
{
	uint8_t buf[8192];
	const uint8_t *recv = H.mem + (size_t)RECV_PFN * PAGE;
	int n, count = 0;
	uint8_t v[512];

	if (read(H.intr_efd, v, sizeof(v)) < 0) {
		/* not signalled */
	}
	while ((n = vmbus_ring_read(&H.h2g, buf, sizeof(buf))) > 0) {
		uint16_t type = get16(buf), off8 = get16(buf + 2);
		uint64_t trans = get64(buf + 8);

		count++;
		if (type == 0xb) {
			struct comp *c = &H.comps[trans % 64];

			memset(c->nvsp, 0, 40);
			memcpy(c->nvsp, buf + off8 * 8,
				(size_t)n - off8 * 8u < 40 ? (size_t)n - off8 * 8u : 40);
			c->got = true;
		} else if (type == 7) {
			uint32_t nr = get32(buf + 20), i;

			if (get16(buf + 16) != 0xcafe || 24 + 8 * nr > off8 * 8u ||
				get32(buf + off8 * 8) != 107)
				die("malformed XFER_PAGES from the host");
			for (i = 0; i < nr; i++) {
				uint32_t cnt = get32(buf + 24 + 8 * i), off = get32(buf + 28 + 8 * i);

				if ((uint64_t)off + cnt > (uint64_t)RECV_PAGES * PAGE || cnt > H.sub_size)
					die("XFER range %u+%u outside the receive buffer", off, cnt);
				H.xfer_ranges++;
				on_rndis(recv + off, cnt);
			}
			g_complete(trans, 1);
		} else if (type != 6) {
			die("unexpected packet type %u from the host", type);
		}
	}
	if (n == -EPROTO)
		die("host->guest ring is corrupt");
	vmbus_ring_read_done(&H.h2g);
	return count;
}

static const uint8_t *g_wait_comp(uint64_t trans)
{
	uint64_t end = now_ms() + WAIT_MS;
	struct pollfd p = {.fd = H.intr_efd, .events = POLLIN};

	while (now_ms() < end) {
		g_poll();
		if (H.comps[trans % 64].got)
			return H.comps[trans % 64].nvsp;
		poll(&p, 1, 5);
	}
	die("no completion for transaction %llu", (unsigned long long)trans);
}

static void g_wait_ctl(uint32_t before, uint32_t type)
{
	uint64_t end = now_ms() + WAIT_MS;
	struct pollfd p = {.fd = H.intr_efd, .events = POLLIN};

	while (now_ms() < end) {
		g_poll();
		if (H.ctl_answers > before) {
			if (H.ctl_last_type != type || H.ctl_last_status != 0)
				die("RNDIS answer %#x status %#x, want %#x status 0", H.ctl_last_type,
					H.ctl_last_status, type);
			return;
		}
		poll(&p, 1, 5);
	}
	die("no RNDIS answer %#x", type);
}

/* An RNDIS control message sent as Linux does: GPA_DIRECT, channel 1, across a page boundary. */
static void g_rndis_ctl(const uint8_t *msg, uint32_t len, uint32_t answer_type)
{
	uint8_t nvsp[40];
	uint32_t off = PAGE - 12, before = H.ctl_answers;
	const uint8_t *c;

	memcpy(H.mem + (size_t)SCRATCH_PFN * PAGE + off, msg, len);
	nvsp_rndis(nvsp, 1, 0xffffffffu, 0);
	c = g_wait_comp(g_gpa(nvsp, SCRATCH_PFN, off, len));
	if (get32(c) != 108 || get32(c + 4) != 1)
		die("SEND_RNDIS_PKT completion %u status %u", get32(c), get32(c + 4));
	g_wait_ctl(before, answer_type);
}

/* ---- guest bring-up (facts 6.2) ---- */

static void guest_bringup(void)
{
	uint8_t m[40], r[32];
	const uint8_t *c;
	int st;

	/* NVSP INIT 6.1 (min = max) */
	memset(m, 0, 40);
	put32(m, 1);
	put32(m + 4, 0x60001);
	put32(m + 8, 0x60001);
	c = g_wait_comp(g_inband(m, 40, true));
	if (get32(c) != 2 || get32(c + 12) != 1)
		die("INIT_COMPLETE type %u status %u", get32(c), get32(c + 12));
	/* SEND_NDIS_CONFIG: mtu + 14, capabilities 0xAC (facts 6.2 step 3); no completion */
	memset(m, 0, 40);
	put32(m, 125);
	put32(m + 4, H.ndis_mtu);
	put64(m + 12, 0xac);
	g_inband(m, 40, false);
	/* SEND_NDIS_VERSION 6.30 */
	memset(m, 0, 40);
	put32(m, 100);
	put32(m + 4, 6);
	put32(m + 8, 30);
	g_inband(m, 40, false);
	/* receive buffer: GPADL in parts of 400 PFNs, then SEND_RECV_BUF (id 0xCAFE) */
	st = um_gpadl_add_range(GPADL_RECV, RECV_PFN, RECV_PAGES, RECV_PAGES * PAGE, 400);
	if (st)
		die("GPADL_ADD receive buffer: status %d", st);
	memset(m, 0, 40);
	put32(m, 101);
	put32(m + 4, GPADL_RECV);
	put16(m + 8, 0xcafe);
	c = g_wait_comp(g_inband(m, 40, true));
	if (get32(c) != 102 || get32(c + 4) != 1 || get32(c + 8) != 1 || get32(c + 12) != 0)
		die("SEND_RECV_BUF_COMPLETE %u status %u sections %u", get32(c), get32(c + 4),
			get32(c + 8));
	H.sub_size = get32(c + 16);
	H.n_subs = get32(c + 20);
	if (H.sub_size < H.ndis_mtu + 256 || (uint64_t)H.sub_size * H.n_subs > RECV_PAGES * PAGE)
		die("receive sub-allocations %u x %u", H.sub_size, H.n_subs);
	/* send buffer */
	st = um_gpadl_add_range(GPADL_SEND, SEND_PFN, (SEND_BYTES + PAGE - 1) / PAGE, SEND_BYTES,
		4096);
	if (st)
		die("GPADL_ADD send buffer: status %d", st);
	memset(m, 0, 40);
	put32(m, 104);
	put32(m + 4, GPADL_SEND);
	c = g_wait_comp(g_inband(m, 40, true));
	if (get32(c) != 105 || get32(c + 4) != 1 || get32(c + 8) < 68)
		die("SEND_SEND_BUF_COMPLETE %u status %u", get32(c), get32(c + 4));
	H.section_size = get32(c + 8);
	H.n_sections = SEND_BYTES / H.section_size;
	/* RNDIS INITIALIZE (facts 7.2) */
	memset(r, 0, sizeof(r));
	put32(r, 2);
	put32(r + 4, 24);
	put32(r + 8, 1);
	put32(r + 12, 1);
	put32(r + 16, 0);
	put32(r + 20, 0x4000);
	g_rndis_ctl(r, 24, 0x80000002u);
	/* SET CURRENT_PACKET_FILTER (OID 0x0001010E) = 0x0D */
	memset(r, 0, sizeof(r));
	put32(r, 5);
	put32(r + 4, 32);
	put32(r + 8, 2);
	put32(r + 12, 0x0001010e);
	put32(r + 16, 4);
	put32(r + 20, 20);
	put32(r + 28, 0x0d);
	g_rndis_ctl(r, 32, 0x80000005u);
}

/* ---- guest data path ---- */

/* Send a frame: in a send-buffer section when it fits (INBAND), else as GPA_DIRECT. */
static void g_tx(const uint8_t *frame, uint32_t len)
{
	uint32_t msg_len = (44 + len + 7) & ~7u;
	uint8_t hdr[44] = {0}, m[40];

	put32(hdr, 1);
	put32(hdr + 4, msg_len);
	put32(hdr + 8, 36);
	put32(hdr + 12, len);
	if (msg_len <= H.section_size) {
		uint32_t s = H.next_section++ % H.n_sections;
		uint8_t *dst = H.mem + (size_t)SEND_PFN * PAGE + (size_t)s * H.section_size;

		memcpy(dst, hdr, 44);
		memcpy(dst + 44, frame, len);
		memset(dst + 44 + len, 0, msg_len - 44 - len);
		nvsp_rndis(m, 0, s, msg_len);
		g_inband(m, 40, true);
		/* sections are reused in turn; wait now and then so none is reused unread */
		if (H.next_section % (H.n_sections / 2) == 0)
			g_wait_comp(H.trans);
	} else {
		uint8_t *dst = H.mem + (size_t)BIG_PFN * PAGE;

		if (msg_len > BIG_PAGES * PAGE)
			return;
		memcpy(dst, hdr, 44);
		memcpy(dst + 44, frame, len);
		nvsp_rndis(m, 0, 0xffffffffu, 0);
		/* the scratch area is reused: wait until the host has copied the frame */
		g_wait_comp(g_gpa(m, BIG_PFN, 0, msg_len));
		H.tx_big++;
	}
	H.tx_frames++;
}

/* Replies are queued while the host's packets are being read and sent afterwards (g_tx waits for
 * completions, which reads the ring again). */
#define TXQ_LEN 64
static uint8_t txq[TXQ_LEN][MAX_FRAME];
static uint32_t txq_len[TXQ_LEN];
static unsigned int txq_n;

static void txq_add(const uint8_t *f, uint32_t len)
{
	if (txq_n == TXQ_LEN)
		return; /* like a full queue in a real guest */
	memcpy(txq[txq_n], f, len);
	txq_len[txq_n++] = len;
}

static void txq_flush(void)
{
	unsigned int head = 0;

	/* g_tx may read the ring and append further replies behind 'head' */
	while (head < txq_n) {
		g_tx(txq[head], txq_len[head]);
		head++;
	}
	txq_n = 0;
}

static uint16_t csum(const uint8_t *p, size_t len)
{
	uint32_t s = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		s += (uint32_t)(p[len - 1] << 8);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void handle_frame(const uint8_t *f, uint32_t len)
{
	static uint8_t out[MAX_FRAME];
	uint16_t et;

	H.rx_frames++;
	if (len < 14 || len > MAX_FRAME)
		return;
	et = (uint16_t)(f[12] << 8 | f[13]);
	if (et == 0x0806 && len >= 42 && f[20] == 0 && f[21] == 1 && memcmp(f + 38, &H.ip, 4) == 0) {
		memcpy(out, f + 6, 6);
		memcpy(out + 6, H.mac, 6);
		memcpy(out + 12, f + 12, 8);
		out[20] = 0;
		out[21] = 2;
		memcpy(out + 22, H.mac, 6);
		memcpy(out + 28, &H.ip, 4);
		memcpy(out + 32, f + 22, 10);
		memset(out + 42, 0, 18);
		txq_add(out, 60);
		H.arp_replies++;
	} else if (et == 0x0800 && len >= 34 && f[23] == 1 && memcmp(f + 30, &H.ip, 4) == 0) {
		uint32_t ihl = (f[14] & 0xfu) * 4u, tot = (uint32_t)(f[16] << 8 | f[17]);
		uint8_t *icmp;

		if (ihl < 20 || tot < ihl + 8 || 14 + tot > len || f[14 + ihl] != 8)
			return;
		memcpy(out, f + 6, 6);
		memcpy(out + 6, H.mac, 6);
		memcpy(out + 12, f + 12, 14 + tot - 12);
		memcpy(out + 26, f + 30, 4);
		memcpy(out + 30, f + 26, 4);
		icmp = out + 14 + ihl;
		icmp[0] = 0;
		icmp[2] = icmp[3] = 0;
		put16(icmp + 2, 0);
		{
			uint16_t c = csum(icmp, tot - ihl);

			icmp[2] = (uint8_t)(c >> 8);
			icmp[3] = (uint8_t)c;
		}
		txq_add(out, 14 + tot < 60 ? 60 : 14 + tot);
		H.icmp_replies++;
	}
}

/* Malformed input the host must count and survive (facts 9 item 5, 6). */
static void g_garbage(void)
{
	uint8_t m[40] = {0}, pkt[24] = {0};

	put32(m, 0x4242); /* unknown NVSP type */
	g_inband(m, 40, true);
	desc(pkt, 6, 2, 3, 1, ++H.trans); /* NVSP message of 8 bytes: shorter than any */
	put32(pkt + 16, 1);
	g_write(pkt, sizeof(pkt));
	nvsp_rndis(m, 0, 100000, 100); /* send-buffer section out of range */
	g_inband(m, 40, true);
	nvsp_rndis(m, 0, 0xffffffffu, 0); /* GPA_DIRECT page outside guest memory */
	g_gpa(m, MEM_PAGES + 5, 0, 64);
	H.garbage_sent += 4;
}

/* Break the ring: a write index that is not a multiple of 8 (facts 9 item 4). */
static void g_corrupt(void)
{
	uint8_t *ctl = H.ring_va;

	__atomic_store_n((uint32_t *)ctl, 3u, __ATOMIC_RELEASE);
	guest_signal();
}

/* ---- sessions ---- */

static void session_open(void)
{
	uint8_t buf[256], body[32] = {0}, open[24] = {0};
	uint64_t pfns[2 * RING_PAGES];
	int n, fds[2], intr[2], st;
	uint32_t i;

	/* HELLO -> reply with the memfd */
	n = um_recv(buf, sizeof(buf), WAIT_MS);
	if (n < 24 || get32(buf) != VMBUS_USER_HELLO || get32(buf + 12) != 8 ||
		get32(buf + 16) != VMBUS_USER_VERSION)
		die("expected HELLO, got %d bytes type %u", n, n >= 4 ? get32(buf) : 0);
	put32(body, 0);
	put32(body + 4, VMBUS_USER_VERSION);
	put64(body + 8, (uint64_t)MEM_PAGES * PAGE);
	memcpy(body + 16, H.mac, 6);
	put32(body + 24, H.ndis_mtu - 14);
	if (um_send(VMBUS_USER_HELLO, VMBUS_USER_F_REPLY, get32(buf + 8), body, 32, &H.memfd, 1))
		die("HELLO reply: %s", strerror(errno));
	/* the guest creates its ring (facts 5.1): GPADL order = G->H pages, then H->G pages */
	for (i = 0; i < RING_PAGES; i++) {
		pfns[i] = RING_PFN_G2H + i;
		pfns[RING_PAGES + i] = RING_PFN_H2G + i;
	}
	if (vmbus_gmem_map(&H.gmem, pfns, 2 * RING_PAGES, (void **)&H.ring_va))
		die("guest ring mapping");
	memset(H.ring_va, 0, 2 * RING_PAGES * PAGE);
	if (vmbus_ring_init(&H.g2h, H.ring_va, RING_PAGES * PAGE, VMBUS_RING_WRITER) ||
		vmbus_ring_init(&H.h2g, H.ring_va + RING_PAGES * PAGE, RING_PAGES * PAGE,
			VMBUS_RING_READER))
		die("guest ring init");
	vmbus_ring_ctl_reset(&H.g2h);
	vmbus_ring_ctl_reset(&H.h2g);
	st = um_gpadl_add(GPADL_RING, pfns, 2 * RING_PAGES, 2 * RING_PAGES * PAGE, 4096);
	if (st)
		die("GPADL_ADD ring: status %d", st);
	put32(open, RELID);
	put32(open + 8, GPADL_RING);
	put32(open + 12, RING_PAGES);
	put32(open + 20, 0x50000);
	/* doorbells as vmmd makes them (vmbus_user.h): the signal eventfd, the interrupt pipe
	 * (the guest keeps the read end, vswitchd gets the write end) */
	H.sig_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (pipe2(intr, O_NONBLOCK | O_CLOEXEC))
		die("pipe: %s", strerror(errno));
	H.intr_efd = intr[0];
	fds[0] = H.sig_efd;
	fds[1] = intr[1];
	st = um_request(VMBUS_USER_CHAN_OPEN, open, 24, fds, 2);
	close(intr[1]);
	if (st)
		die("CHAN_OPEN: status %d", st);
	memset(H.comps, 0, sizeof(H.comps));
	H.next_section = 0;
	txq_n = 0;
	guest_bringup();
	H.up = true;
	H.connects++;
	printf("UP connects=%lu sub_size=%u\n", H.connects, H.sub_size);
	fflush(stdout);
	status_write();
}

static void session_end(void)
{
	if (H.ring_va)
		vmbus_gmem_unmap(H.ring_va, 2 * RING_PAGES);
	H.ring_va = NULL;
	close(H.sig_efd);
	close(H.intr_efd);
	close(H.cfd);
	H.cfd = -1;
	H.up = false;
	status_write();
}

/* SIGTERM: close as vmmd does and check vswitchd accepted each step. */
static int session_close(void)
{
	int a = um_simple(VMBUS_USER_CHAN_CLOSE, RELID, 0);
	int b = um_simple(VMBUS_USER_GPADL_DEL, RELID, GPADL_RECV);
	int c = um_simple(VMBUS_USER_GPADL_DEL, RELID, GPADL_SEND);
	int d = um_simple(VMBUS_USER_GPADL_DEL, RELID, GPADL_RING);
	int e = um_simple(VMBUS_USER_GPADL_DEL, RELID, 0x7777); /* unknown: must be refused */

	printf("CLOSE chan=%d recv=%d send=%d ring=%d unknown=%d\n", a, b, c, d, e);
	fflush(stdout);
	return a == 0 && b == 0 && c == 0 && d == 0 && e > 0 ? 0 : 1;
}

static int listen_on(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	if (fd < 0 || strlen(path) >= sizeof(sa.sun_path))
		die("socket");
	strcpy(sa.sun_path, path);
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 4))
		die("listen on %s: %s", path, strerror(errno));
	return fd;
}

static void mem_create(void)
{
	H.memfd = memfd_create("fake-guest", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (H.memfd < 0 || ftruncate(H.memfd, (off_t)MEM_PAGES * PAGE) ||
		fcntl(H.memfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW))
		die("memfd: %s", strerror(errno));
	H.mem = mmap(NULL, (size_t)MEM_PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, H.memfd, 0);
	if (H.mem == MAP_FAILED || vmbus_gmem_init(&H.gmem, H.memfd, (uint64_t)MEM_PAGES * PAGE))
		die("guest memory mapping");
}

static void usage(void)
{
	fprintf(stderr, "usage: fake_vmbus_host --socket PATH --mac MAC --ip IPV4 [--mtu MTU] "
			"[--status FILE]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {{"socket", 1, NULL, 's'}, {"mac", 1, NULL, 'm'},
		{"ip", 1, NULL, 'i'}, {"mtu", 1, NULL, 'u'}, {"status", 1, NULL, 'f'},
		{NULL, 0, NULL, 0}};
	unsigned int mac[6];
	sigset_t mask;
	int c;

	H.ndis_mtu = 1514;
	H.cfd = -1;
	H.revoke_status = H.ring_del_status = -1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's': H.sock_path = optarg; break;
		case 'm':
			if (sscanf(optarg, "%x:%x:%x:%x:%x:%x", &mac[0], &mac[1], &mac[2], &mac[3],
				    &mac[4], &mac[5]) != 6)
				usage();
			for (int i = 0; i < 6; i++)
				H.mac[i] = (uint8_t)mac[i];
			break;
		case 'i':
			if (inet_pton(AF_INET, optarg, &H.ip) != 1)
				usage();
			break;
		case 'u': H.ndis_mtu = (uint32_t)atoi(optarg) + 14; break;
		case 'f': H.status_path = optarg; break;
		default: usage();
		}
	}
	if (H.sock_path == NULL || H.ip == 0)
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGUSR1);
	sigaddset(&mask, SIGUSR2);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	H.sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	mem_create();
	H.lfd = listen_on(H.sock_path);
	status_write();
	for (;;) {
		struct pollfd p[3] = {{.fd = H.sfd, .events = POLLIN},
			{.fd = H.cfd >= 0 ? H.cfd : H.lfd, .events = POLLIN},
			{.fd = H.cfd >= 0 ? H.intr_efd : -1, .events = POLLIN}};
		struct signalfd_siginfo si;

		poll(p, 3, H.cfd >= 0 ? 2 : 200);
		if (read(H.sfd, &si, sizeof(si)) == sizeof(si)) {
			if (si.ssi_signo == SIGUSR1 && H.up)
				g_garbage();
			else if (si.ssi_signo == SIGHUP && H.up) {
				/* the ring of an open channel cannot go; a buffer it uses can */
				H.ring_del_status = um_simple(VMBUS_USER_GPADL_DEL, RELID, GPADL_RING);
				H.revoke_status = um_simple(VMBUS_USER_GPADL_DEL, RELID, GPADL_RECV);
				status_write();
			} else if (si.ssi_signo == SIGUSR2 && H.up)
				g_corrupt(), H.up = false;
			else if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
				return H.cfd >= 0 ? session_close() : 0;
		}
		if (H.cfd < 0) {
			if (p[1].revents & POLLIN) {
				H.cfd = accept4(H.lfd, NULL, NULL, SOCK_CLOEXEC);
				if (H.cfd >= 0)
					session_open();
			}
			continue;
		}
		if (p[1].revents & (POLLIN | POLLHUP)) {
			uint8_t buf[256];

			if (recv(H.cfd, buf, sizeof(buf), MSG_DONTWAIT) == 0) {
				printf("DISCONNECTED\n");
				session_end();
				continue;
			}
		}
		if (H.up && g_poll()) {
			txq_flush();
			status_write();
		}
	}
}
