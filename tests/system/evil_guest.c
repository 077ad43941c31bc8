/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * evil_guest: a deliberately malicious partition init for hostile_guest_test.sh (issue 3,
 * "Security (guests are hostile)"). vmmd runs it as PID 1 of a partition in place of
 * vsw-guest-init (vmmd --guest-init), with the fd contract of docs/hypervisor.md: fd 3 is the
 * guest memory memfd, fd 4 the VMBus message socket (include/vsw/proto/hv_msg.h).
 *
 * All partitions of one vmmd share one init, so this program is that init for every partition:
 * when the partition's command (argv[1], vmmd's --cmd) does not start with the word "evil", it
 * execs the real vsw-guest-init (VSW_GUEST_INIT_PATH, the build tree's) with the same arguments
 * and fds, and the partition behaves. Otherwise the command is
 *
 *   evil [seed=N] [phases=P1,P2,...] [seconds=S] [mac=MAC]
 *
 * and the phases below run in order, each bounded in time. Every random choice comes from one
 * xorshift generator seeded with 'seed' (printed first), so a failure reproduces with the same
 * command line. Progress goes to stdout (the partition log); the last line is "EVIL DONE ...".
 * Afterwards it stays alive (so vmmctl show still reports its VMBus counters) until SIGTERM.
 *
 * Phases (towards vmmd, then towards vswitchd through an open netvsc channel):
 *   chan      channel-message abuse: bad datagram sizes, fds attached, bad post headers and
 *             connection ids, unknown/host-only/short messages, messages out of state, GPADL
 *             headers with lying counts, huge or overflowing sizes, PFNs outside memory, duplicate
 *             handles, bodies of unknown handles, too many incomplete GPADLs, OPENCHANNEL with
 *             unknown relid/GPADL and bad offsets, double open, closes and teardowns of unknown
 *             things, RELID_RELEASED without rescind, and a flood of messages never read.
 *   nvsp      on an open channel: unknown packet types and flags, NVSP messages too short or of
 *             unknown type, SEND_RNDIS_PKT with bad channel types and section index/size out of
 *             bounds, GPA_DIRECT with PFNs outside memory / offset >= 4096 / zero-length / absurd
 *             range counts, completions for unknown transaction ids, buffers with unknown GPADLs.
 *   rndis     RNDIS lies in send sections: msg_len 0 / beyond the data, data offset/length past the
 *             end, OOB fields, PPIs of size 0 / < 12 / past the end, bad LSO and checksum PPIs,
 *             control messages with lying info buffers, unknown message types, batches.
 *   ring      ring corruption the host must treat as fatal for this channel (write_index not a
 *             multiple of 8, beyond the ring, descriptors whose len8/offset8 lie, a GPA_DIRECT
 *             header shorter than 24 bytes, our own read_index of the host's ring corrupted);
 *             after each one the channel is closed and opened again.
 *   race      a thread flips random bytes in the send sections and the ring while the main
 *             thread sends valid RNDIS packets (the host must copy before it parses).
 *   scribble  for 'seconds' (default 4): random bytes in the ring and indices, signals as fast as
 *             possible; the channel is reopened whenever the host stopped it.
 *   doorbell  clears O_NONBLOCK on both doorbells and tries to saturate the interrupt doorbell
 *             (when it was an eventfd, one open file shared with vswitchd, vswitchd's next
 *             doorbell write() blocked its worker for good), saturates the signal eventfd, shrinks
 *             the interrupt pipe to one page and never reads it again, then makes the host
 *             answer a thousand requests: its doorbell writes must fail, never wait.
 *   vma       GPADLs whose pages are never consecutive, as many as the host takes, kept: a host
 *             that maps each run of pages on its own spends one mapping per page (the process
 *             limit, vm.max_map_count, is shared by every guest of the switch).
 *   hangup    a zero-length datagram: vmmd treats it as the guest closing its channel (last).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <vsw/proto/nvsp.h>
#include <vsw/proto/rndis.h>

#include "vmbus.h"

#ifndef VSW_GUEST_INIT_PATH
#define VSW_GUEST_INIT_PATH "/usr/local/libexec/vsw-guest-init"
#endif

#define PAGE 4096u
/* Guest memory layout, in pages (the partition has at least 16 MiB: 4096 pages). */
#define RING_PFN 16u
#define RING_PAGES 16u /* per direction: G->H pages [16, 32), H->G [32, 48) */
#define RECV_PFN 64u
#define RECV_PAGES 512u /* 2 MiB receive buffer */
#define SEND_PFN 1024u
#define SEND_PAGES 255u /* Linux's 1,044,480-byte send buffer */
#define CTL_PFN 1400u	/* RNDIS control messages, GPA_DIRECT data */
#define SPARE_PFN 1500u /* pages for GPADL abuse */
#define MIN_PAGES 4096u
#define WAIT_MS 1500
#define NVSP_ONEWAY 0xFFFFFFFFFFFFFFFDull /* Linux's id for requests without completion */

struct comp {
	uint64_t trans;
	bool got;
	uint8_t nvsp[40];
};

static struct {
	uint8_t *mem;
	uint64_t mem_pages;
	int sfd;
	uint64_t rng;
	uint8_t mac[6];
	/* VMBus connection */
	bool connected;
	uint32_t conn;	 /* connection id after contact */
	uint32_t relid;	 /* the netvsc offer */
	uint32_t handle; /* next GPADL handle */
	uint32_t recv_gpadl, send_gpadl, ring_gpadl;
	/* channel */
	bool open;
	bool intr_fd_tampered; /* doorbell phase done */
	int sig_fd, intr_fd;
	struct vmbus_ring g2h, h2g;
	uint64_t trans;
	struct comp comps[256];
	uint32_t section_size, n_sections;
	/* what happened, for the log */
	unsigned long rndis_status[3]; /* SEND_RNDIS_PKT answers: none, success, failure */
	unsigned long sent, refused, host_stopped, reopens, resyncs, xfer_completed, lost_comps;
} E;

static volatile sig_atomic_t stop_flag;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("evil_guest: ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	fflush(stdout);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = {ms / 1000u, (long)(ms % 1000u) * 1000000L};

	nanosleep(&ts, NULL);
}

/* xorshift64*: reproducible from the printed seed. */
static uint64_t rnd(void)
{
	E.rng ^= E.rng >> 12;
	E.rng ^= E.rng << 25;
	E.rng ^= E.rng >> 27;
	return E.rng * 0x2545F4914F6CDD1Dull;
}

static uint32_t rnd_below(uint32_t n)
{
	return n ? (uint32_t)(rnd() % n) : 0;
}

static void rnd_fill(void *p, size_t n)
{
	uint8_t *b = p;

	while (n--)
		*b++ = (uint8_t)rnd();
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

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint8_t *page(uint64_t pfn)
{
	return E.mem + pfn * PAGE;
}

/* ---- message socket ------------------------------------------------------------------------ */

static void close_fds(const int *fds, int n)
{
	for (int i = 0; i < n; i++)
		close(fds[i]);
}

/*
 * Receive one host message within 'ms'. Returns 1 (message in 'm', its fds in 'fds'), 0 on
 * timeout, -1 when vmmd closed the socket.
 */
static int msg_recv(union vmbus_chanmsg *m, int *fds, int *n_fds, int ms)
{
	union {
		char buf[CMSG_SPACE(4 * sizeof(int))];
		struct cmsghdr align;
	} cbuf;
	struct hv_message hm;
	struct iovec iov = {&hm, sizeof(hm)};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf.buf,
		.msg_controllen = sizeof(cbuf.buf)};
	struct pollfd p = {.fd = E.sfd, .events = POLLIN};
	struct cmsghdr *c;
	ssize_t n;

	*n_fds = 0;
	if (poll(&p, 1, ms) <= 0)
		return 0;
	n = recvmsg(E.sfd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);

		for (size_t i = 0; i < k; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (*n_fds < 2)
				fds[(*n_fds)++] = fd;
			else
				close(fd);
		}
	}
	if (n == 0)
		return -1;
	if (n != HV_MSG_SIZE || vmbus_hv_msg_unpack(&hm, m) < 0) {
		close_fds(fds, *n_fds);
		*n_fds = 0;
		return 0;
	}
	return 1;
}

/* Note what any host message tells us (offers, rescinds). */
static void msg_note(const union vmbus_chanmsg *m)
{
	if (m->hdr.msgtype == VMBUS_CHANMSG_OFFERCHANNEL && m->offer.sub_channel_index == 0)
		E.relid = m->offer.child_relid;
	else if (m->hdr.msgtype == VMBUS_CHANMSG_RESCIND_CHANNELOFFER &&
		 m->relid.child_relid == E.relid)
		E.open = false;
}

/* Drain what vmmd sent without waiting. */
static void msg_drain(void)
{
	union vmbus_chanmsg m;
	int fds[2], n;

	while (msg_recv(&m, fds, &n, 0) == 1) {
		msg_note(&m);
		close_fds(fds, n);
	}
}

/*
 * Wait for host message 'type' whose key field (GPADL handle for GPADL_CREATED/TORNDOWN, relid
 * for OPENCHANNEL_RESULT, ignored otherwise) is 'key'. Returns true with it in 'out' (fds kept
 * in 'fds' when not NULL, closed otherwise).
 */
static bool msg_wait(uint32_t type, uint32_t key, int ms, union vmbus_chanmsg *out, int *fds,
	int *n_fds)
{
	uint64_t end = now_ms() + (uint64_t)ms;
	union vmbus_chanmsg m;
	int f[2], n, r;

	for (;;) {
		uint64_t now = now_ms();

		if (now >= end)
			return false;
		r = msg_recv(&m, f, &n, (int)(end - now));
		if (r < 0)
			return false;
		if (r == 0)
			continue;
		msg_note(&m);
		if (m.hdr.msgtype == type &&
			(type == VMBUS_CHANMSG_GPADL_CREATED   ? m.gpadl_created.gpadl == key
			 : type == VMBUS_CHANMSG_GPADL_TORNDOWN ? m.gpadl_torndown.gpadl == key
			 : type == VMBUS_CHANMSG_OPENCHANNEL_RESULT ? m.open_result.child_relid == key
								   : true)) {
			if (out)
				*out = m;
			if (fds) {
				memcpy(fds, f, sizeof(f));
				*n_fds = n;
			} else {
				close_fds(f, n);
			}
			return true;
		}
		close_fds(f, n);
	}
}

/* Send one datagram as is; waits (draining our inbox, which vmmd bounds) while the socket is
 * full. Returns 0 or -errno. */
static int raw_send(const void *buf, size_t len, const int *fds, int n_fds)
{
	char cbuf[CMSG_SPACE(2 * sizeof(int))];
	struct iovec iov = {(void *)(uintptr_t)buf, len};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	int tries;

	if (n_fds) {
		struct cmsghdr *c;

		memset(cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf;
		mh.msg_controllen = CMSG_SPACE((size_t)n_fds * sizeof(int));
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN((size_t)n_fds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, (size_t)n_fds * sizeof(int));
	}
	for (tries = 0; tries < 40; tries++) {
		struct pollfd p = {.fd = E.sfd, .events = POLLOUT};

		if (sendmsg(E.sfd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT) >= 0) {
			E.sent++;
			return 0;
		}
		if (errno != EAGAIN)
			return -errno;
		msg_drain();
		poll(&p, 1, 50);
	}
	return -EAGAIN;
}

/* An HvPostMessage with every header field chosen by the caller. */
static int post_raw(uint32_t conn, uint32_t msg_type, uint32_t payload_size, const void *payload,
	size_t len)
{
	struct hv_post_message pm;

	memset(&pm, 0, sizeof(pm));
	pm.connection_id = conn;
	pm.message_type = msg_type;
	pm.payload_size = payload_size;
	memcpy(pm.payload, payload, len < sizeof(pm.payload) ? len : sizeof(pm.payload));
	return raw_send(&pm, sizeof(pm), NULL, 0);
}

/* A well-framed channel message of 'size' bytes (the message itself may lie). */
static int post(const void *msg, size_t size)
{
	return post_raw(E.conn, VMBUS_MESSAGE_TYPE, (uint32_t)size, msg, size);
}

/* ---- VMBus connection ---------------------------------------------------------------------- */

static void chan_forget(void)
{
	if (E.sig_fd >= 0)
		close(E.sig_fd);
	if (E.intr_fd >= 0)
		close(E.intr_fd);
	E.sig_fd = E.intr_fd = -1;
	E.open = false;
}

/* UNLOAD (accepted in any state) and wait for its answer: a known, empty state afterwards. */
static bool resync(void)
{
	union vmbus_chanmsg m;
	size_t n = vmbus_chanmsg_build_unload(&m);

	E.resyncs++;
	chan_forget();
	E.connected = false;
	E.recv_gpadl = E.send_gpadl = E.ring_gpadl = 0;
	msg_drain();
	if (post_raw(VMBUS_MESSAGE_CONNECTION_ID, VMBUS_MESSAGE_TYPE, (uint32_t)n, &m, n))
		return false;
	return msg_wait(VMBUS_CHANMSG_UNLOAD_RESPONSE, 0, 4000, NULL, NULL, NULL);
}

/* resync, INITIATE_CONTACT 5.3, REQUESTOFFERS. */
static bool contact(void)
{
	union vmbus_chanmsg m, r;
	size_t n;

	if (!resync())
		return false;
	n = vmbus_chanmsg_build_initiate_contact(&m, VMBUS_VERSION_WIN10_V5_3, 0, 0, 0);
	if (post_raw(VMBUS_MESSAGE_CONNECTION_ID_4, VMBUS_MESSAGE_TYPE, (uint32_t)n, &m, n) ||
		!msg_wait(VMBUS_CHANMSG_VERSION_RESPONSE, 0, WAIT_MS, &r, NULL, NULL) ||
		!r.version_response.version_supported)
		return false;
	E.conn = r.version_response.msg_conn_id;
	n = vmbus_chanmsg_build_request_offers(&m);
	E.relid = 0;
	if (post(&m, n) || !msg_wait(VMBUS_CHANMSG_ALLOFFERS_DELIVERED, 0, WAIT_MS, NULL, NULL, NULL))
		return false;
	E.connected = E.relid != 0;
	return E.connected;
}

/* Send every message of a GPADL of one range. */
static int gpadl_send(uint32_t relid, uint32_t handle, uint32_t off, uint32_t bytes,
	const uint64_t *pfns, uint32_t n)
{
	union vmbus_chanmsg m;
	uint32_t i, k = vmbus_gpadl_n_msgs(n);
	int len;

	for (i = 0; i < k; i++) {
		len = vmbus_gpadl_build_msg(&m, i, relid, handle, off, bytes, pfns, n);
		if (len < 0 || post(&m, (size_t)len))
			return -1;
	}
	return 0;
}

/* A GPADL of 'n' consecutive pages from 'pfn0'. Returns its handle, or 0 if refused. */
static uint32_t gpadl_create(uint32_t pfn0, uint32_t n)
{
	static uint64_t pfns[1024];
	union vmbus_chanmsg r;
	uint32_t h = E.handle++, i;

	for (i = 0; i < n && i < 1024; i++)
		pfns[i] = pfn0 + i;
	if (gpadl_send(E.relid, h, 0, n * PAGE, pfns, n) ||
		!msg_wait(VMBUS_CHANMSG_GPADL_CREATED, h, 4000, &r, NULL, NULL) ||
		r.gpadl_created.creation_status != 0) {
		E.refused++;
		return 0;
	}
	return h;
}

/* ---- the channel (rings) ------------------------------------------------------------------- */

static void signal_host(void)
{
	uint64_t one = 1;

	if (E.sig_fd >= 0 && write(E.sig_fd, &one, 8) < 0) {
		/* the counter is saturated or the fd is gone: the host polls anyway */
	}
}

static int g_write(const void *pkt, size_t len);

/* Complete an XFER_PAGES packet of the host, as a guest must. */
static void g_complete_xfer(uint64_t trans)
{
	uint8_t pkt[56] = {0};

	put16(pkt, VMBUS_PKT_COMP);
	put16(pkt + 2, 2);
	put16(pkt + 4, 7);
	put64(pkt + 8, trans);
	put32(pkt + 16, NVSP_MSG1_TYPE_SEND_RNDIS_PKT_COMPLETE);
	put32(pkt + 20, NVSP_STAT_SUCCESS);
	if (g_write(pkt, sizeof(pkt)) == 0)
		E.xfer_completed++;
}

/* Read what the host sent us: completions are kept by transaction id, XFER_PAGES completed. */
static void g_poll(void)
{
	static uint8_t buf[16384];
	uint8_t v[512];
	int n;

	if (!E.open)
		return;
	/* (after the doorbell phase the counter must stay saturated: never read it again) */
	if (!E.intr_fd_tampered && read(E.intr_fd, v, sizeof(v)) < 0) {
		/* not signalled */
	}
	while ((n = vmbus_ring_read(&E.h2g, buf, sizeof(buf))) > 0 || n == -EMSGSIZE) {
		struct vmbus_pkt pkt;

		if (n == -EMSGSIZE) {
			vmbus_ring_skip(&E.h2g);
			continue;
		}
		if (vmbus_pkt_parse(buf, (size_t)n, &pkt) < 0)
			continue;
		if (pkt.type == VMBUS_PKT_COMP) {
			struct comp *c = &E.comps[pkt.trans_id % 256];

			c->trans = pkt.trans_id;
			c->got = true;
			memset(c->nvsp, 0, sizeof(c->nvsp));
			memcpy(c->nvsp, pkt.payload,
				pkt.payload_size < sizeof(c->nvsp) ? pkt.payload_size : sizeof(c->nvsp));
		} else if (pkt.type == VMBUS_PKT_XFER_PAGES) {
			g_complete_xfer(pkt.trans_id);
		}
	}
	if (vmbus_ring_read_done(&E.h2g))
		signal_host();
}

/* Append one packet (its descriptor already built, possibly a lie) and publish it. */
static int g_write(const void *pkt, size_t len)
{
	struct iovec iov = {(void *)(uintptr_t)pkt, len};
	uint64_t end = now_ms() + 200;
	int ret;

	if (!E.open)
		return -ENOTCONN;
	for (;;) {
		ret = vmbus_ring_write(&E.g2h, &iov, 1);
		if (ret != -EAGAIN || now_ms() >= end)
			break;
		g_poll();
		sleep_ms(1);
	}
	if (ret)
		return ret;
	if (vmbus_ring_write_done(&E.g2h))
		signal_host();
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

static uint64_t next_trans(void)
{
	uint64_t t = ++E.trans;

	E.comps[t % 256].got = false;
	E.comps[t % 256].trans = t;
	return t;
}

/* INBAND packet with an NVSP message of 'len' bytes (padded to 40 as Linux does when shorter). */
static uint64_t g_inband(const void *nvsp, size_t len, bool comp)
{
	uint8_t pkt[16 + 256] = {0};
	size_t body = len < 40 ? 40 : len;
	uint64_t t = comp ? next_trans() : NVSP_ONEWAY;

	if (body > 256)
		body = 256;
	desc(pkt, VMBUS_PKT_INBAND, 2, (uint16_t)((16 + body + 7) / 8), comp ? 1 : 0, t);
	memcpy(pkt + 16, nvsp, len < body ? len : body);
	g_write(pkt, (16 + body + 7) & ~(size_t)7);
	return t;
}

/* Wait for the completion of 'trans'. Returns its NVSP bytes, or NULL. */
static const uint8_t *g_wait(uint64_t trans, int ms)
{
	uint64_t end = now_ms() + (uint64_t)ms;
	struct comp *c = &E.comps[trans % 256];

	while (E.open) {
		struct pollfd p = {.fd = E.intr_fd, .events = POLLIN};

		g_poll();
		if (c->got && c->trans == trans)
			return c->nvsp;
		if (now_ms() >= end)
			break;
		poll(&p, 1, E.intr_fd_tampered ? 0 : 2);
		if (E.intr_fd_tampered)
			sleep_ms(2);
	}
	E.lost_comps++;
	return NULL;
}

static void nvsp_rndis(uint8_t *m, uint32_t channel, uint32_t section, uint32_t used)
{
	memset(m, 0, 40);
	put32(m, NVSP_MSG1_TYPE_SEND_RNDIS_PKT);
	put32(m + 4, channel);
	put32(m + 8, section);
	put32(m + 12, used);
}

/* An RNDIS message in send section 's', announced with SEND_RNDIS_PKT; waits for the COMP.
 * Returns the NVSP status, or -1 without completion. */
static int g_rndis(uint32_t channel, uint32_t s, const void *msg, uint32_t len)
{
	uint8_t m[40];
	const uint8_t *c;

	if (E.n_sections == 0)
		return -1;
	s %= E.n_sections;
	memcpy(page(SEND_PFN) + (size_t)s * E.section_size, msg,
		len < E.section_size ? len : E.section_size);
	nvsp_rndis(m, channel, s, len);
	c = g_wait(g_inband(m, 40, true), 300);
	E.rndis_status[c == NULL ? 0 : get32(c + 4) == NVSP_STAT_SUCCESS ? 1 : 2]++;
	return c ? (int)get32(c + 4) : -1;
}

/*
 * Reset the rings (as the guest does before OPENCHANNEL), OPENCHANNEL on the ring GPADL, then a
 * minimal NVSP bring-up: INIT 6.1, NDIS config, receive and send buffers, RNDIS INITIALIZE.
 */
static bool chan_open(void)
{
	union vmbus_chanmsg m, r;
	uint8_t nvsp[40], rn[24];
	const uint8_t *c;
	int fds[2], n_fds = 0;
	size_t n;

	chan_forget();
	memset(page(RING_PFN), 0, (size_t)2 * RING_PAGES * PAGE);
	if (vmbus_ring_init(&E.g2h, page(RING_PFN), RING_PAGES * PAGE, VMBUS_RING_WRITER) ||
		vmbus_ring_init(&E.h2g, page(RING_PFN + RING_PAGES), RING_PAGES * PAGE,
			VMBUS_RING_READER))
		return false;
	vmbus_ring_ctl_reset(&E.g2h);
	vmbus_ring_ctl_reset(&E.h2g);
	n = vmbus_chanmsg_build_open(&m, E.relid, E.relid, E.ring_gpadl, 0, RING_PAGES);
	if (post(&m, n) ||
		!msg_wait(VMBUS_CHANMSG_OPENCHANNEL_RESULT, E.relid, 6000, &r, fds, &n_fds))
		return false;
	if (r.open_result.status != 0 || n_fds != 2) {
		close_fds(fds, n_fds);
		return false;
	}
	E.sig_fd = fds[0];
	E.intr_fd = fds[1];
	E.open = true;
	memset(E.comps, 0, sizeof(E.comps));
	/* NVSP INIT 6.1 */
	memset(nvsp, 0, sizeof(nvsp));
	put32(nvsp, NVSP_MSG_TYPE_INIT);
	put32(nvsp + 4, NVSP_VERSION_61);
	put32(nvsp + 8, NVSP_VERSION_61);
	c = g_wait(g_inband(nvsp, 40, true), WAIT_MS);
	if (c == NULL || get32(c + 12) != NVSP_STAT_SUCCESS)
		return false;
	memset(nvsp, 0, sizeof(nvsp));
	put32(nvsp, NVSP_MSG2_TYPE_SEND_NDIS_CONFIG);
	put32(nvsp + 4, 1514);
	g_inband(nvsp, 40, false);
	memset(nvsp, 0, sizeof(nvsp));
	put32(nvsp, NVSP_MSG1_TYPE_SEND_RECV_BUF);
	put32(nvsp + 4, E.recv_gpadl);
	put16(nvsp + 8, NVSP_RECV_BUF_ID);
	c = g_wait(g_inband(nvsp, 40, true), WAIT_MS);
	if (c == NULL || get32(c + 4) != NVSP_STAT_SUCCESS)
		return false;
	memset(nvsp, 0, sizeof(nvsp));
	put32(nvsp, NVSP_MSG1_TYPE_SEND_SEND_BUF);
	put32(nvsp + 4, E.send_gpadl);
	c = g_wait(g_inband(nvsp, 40, true), WAIT_MS);
	if (c == NULL || get32(c + 4) != NVSP_STAT_SUCCESS || get32(c + 8) < 64)
		return false;
	E.section_size = get32(c + 8);
	E.n_sections = SEND_PAGES * PAGE / E.section_size;
	memset(rn, 0, sizeof(rn));
	put32(rn, RNDIS_MSG_INIT);
	put32(rn + 4, 24);
	put32(rn + 8, 1);
	put32(rn + 12, 1);
	put32(rn + 20, 0x4000);
	return g_rndis(NVSP_RNDIS_CHANNEL_CONTROL, 0, rn, 24) == NVSP_STAT_SUCCESS;
}

/* Connect, create the ring and buffer GPADLs, open the channel. Tries a few times. */
static bool session_up(void)
{
	for (int i = 0; i < 3; i++) {
		if ((!E.connected || E.ring_gpadl == 0) && !contact())
			continue;
		if (E.ring_gpadl == 0) {
			E.ring_gpadl = gpadl_create(RING_PFN, 2 * RING_PAGES);
			E.recv_gpadl = gpadl_create(RECV_PFN, RECV_PAGES);
			E.send_gpadl = gpadl_create(SEND_PFN, SEND_PAGES);
			if (!E.ring_gpadl || !E.recv_gpadl || !E.send_gpadl) {
				E.connected = false;
				continue;
			}
		}
		if (chan_open())
			return true;
		E.connected = false; /* start from scratch */
	}
	say("could not bring the channel up");
	return false;
}

/* Close the channel (CLOSECHANNEL, no answer) and open it again on the same GPADLs. */
static bool reopen(void)
{
	union vmbus_chanmsg m;
	size_t n = vmbus_chanmsg_build_close(&m, E.relid);

	E.reopens++;
	if (E.open)
		post(&m, n);
	chan_forget();
	if (E.connected && chan_open())
		return true;
	E.connected = false;
	return session_up();
}

/* Is the host still serving the channel? A request that must be completed (a second NVSP INIT:
 * refused, but completed). */
static bool host_serves(int ms)
{
	uint8_t nvsp[40] = {0};

	if (!E.open)
		return false;
	put32(nvsp, NVSP_MSG_TYPE_INIT);
	put32(nvsp + 4, NVSP_VERSION_61);
	put32(nvsp + 8, NVSP_VERSION_61);
	return g_wait(g_inband(nvsp, 40, true), ms) != NULL;
}

/* A channel the host serves: the one we have, or a new one. */
static bool ensure_serving(void)
{
	if (E.open && host_serves(WAIT_MS))
		return true;
	return E.connected ? reopen() : session_up();
}

/* ---- phase: channel messages towards vmmd --------------------------------------------------- */

static void gpadl_header_lie(uint32_t relid, uint32_t handle, uint16_t buflen, uint16_t ranges,
	uint32_t bytes, uint32_t off, uint32_t n_pfns, uint64_t pfn0, size_t size)
{
	union vmbus_chanmsg m;
	uint8_t *p = m.raw;
	uint32_t i;

	memset(&m, 0, sizeof(m));
	put32(p, VMBUS_CHANMSG_GPADL_HEADER);
	put32(p + 8, relid);
	put32(p + 12, handle);
	put16(p + 16, buflen);
	put16(p + 18, ranges);
	put32(p + 20, bytes);
	put32(p + 24, off);
	for (i = 0; i < n_pfns && 28 + 8 * i + 8 <= VMBUS_MSG_PAYLOAD_MAX; i++)
		put64(p + 28 + 8 * i, pfn0 + i);
	post(&m, size);
}

static void gpadl_body(uint32_t handle, uint32_t n_pfns, uint64_t pfn0)
{
	union vmbus_chanmsg m;
	uint32_t i;

	memset(&m, 0, sizeof(m));
	put32(m.raw, VMBUS_CHANMSG_GPADL_BODY);
	put32(m.raw + 12, handle);
	for (i = 0; i < n_pfns && i < VMBUS_GPADL_BODY_MAX_PFNS; i++)
		put64(m.raw + 16 + 8 * i, pfn0 + i);
	post(&m, 16 + 8 * (size_t)(n_pfns < VMBUS_GPADL_BODY_MAX_PFNS ? n_pfns
								   : VMBUS_GPADL_BODY_MAX_PFNS));
}

static void open_lie(uint32_t relid, uint32_t gpadl, uint32_t offset)
{
	union vmbus_chanmsg m;
	size_t n = vmbus_chanmsg_build_open(&m, relid, relid, gpadl, 0, offset);

	post(&m, n);
}

static void phase_chan(void)
{
	static const uint32_t bad_types[] = {0, 1, 2, 4, 6, 10, 12, 15, 17, 18, 19, 20, 23, 24, 25,
		26, 0x7fffffffu, 0xffffffffu};
	union vmbus_chanmsg m;
	uint8_t big[1024];
	int fd;
	size_t n;
	uint32_t i, h;

	/* datagrams that are not one HvPostMessage */
	rnd_fill(big, sizeof(big));
	raw_send(big, 1, NULL, 0);
	raw_send(big, 255, NULL, 0);
	raw_send(big, 257, NULL, 0);
	raw_send(big, sizeof(big), NULL, 0);
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		int two[2] = {fd, fd};

		n = vmbus_chanmsg_build_request_offers(&m);
		post_raw(1, 1, (uint32_t)n, &m, n);
		{
			struct hv_post_message pm = {.connection_id = 1, .message_type = 1,
				.payload_size = (uint32_t)n};

			memcpy(pm.payload, &m, n);
			raw_send(&pm, sizeof(pm), two, 2);
		}
		close(fd);
	}
	/* post headers: message type, payload sizes, connection ids */
	n = vmbus_chanmsg_build_initiate_contact(&m, VMBUS_VERSION_WIN10_V5_3, 0, 0, 0);
	post_raw(4, 0, (uint32_t)n, &m, n);
	post_raw(4, 2, (uint32_t)n, &m, n);
	post_raw(4, 0xffffffffu, (uint32_t)n, &m, n);
	for (i = 0; i < 6; i++) {
		static const uint32_t sizes[] = {0, 7, 241, 256, 0x80000000u, 0xffffffffu};

		post_raw(4, 1, sizes[i], &m, n);
	}
	post_raw(0, 1, (uint32_t)n, &m, n);
	post_raw(2, 1, (uint32_t)n, &m, n);
	post_raw(0xffffff, 1, (uint32_t)n, &m, n);
	post_raw(0xff000004u, 1, (uint32_t)n, &m, n); /* only the low 24 bits are the id */
	/* unknown, host-only and too-short messages, and messages before contact */
	for (i = 0; i < sizeof(bad_types) / sizeof(bad_types[0]); i++) {
		memset(&m, 0, sizeof(m));
		put32(m.raw, bad_types[i]);
		post_raw(1, 1, 8 + rnd_below(232), &m, sizeof(m));
	}
	n = vmbus_chanmsg_build_initiate_contact(&m, VMBUS_VERSION_WIN10_V5_3, 0, 0, 0);
	post_raw(4, 1, 8, &m, n);			  /* too short */
	post_raw(1, 1, (uint32_t)n, &m, n);		  /* 5.3 on connection id 1 */
	n = vmbus_chanmsg_build_initiate_contact(&m, 0x12345678u, 0, 0x1000, 0); /* one monitor */
	post_raw(4, 1, (uint32_t)n, &m, n);
	n = vmbus_chanmsg_build_request_offers(&m); /* before contact */
	post_raw(1, 1, (uint32_t)n, &m, n);
	say("chan: datagram/header abuse sent (%lu datagrams so far)", E.sent);

	/* out of state after a good contact */
	if (!contact()) {
		say("chan: no contact after datagram abuse");
		return;
	}
	n = vmbus_chanmsg_build_initiate_contact(&m, VMBUS_VERSION_WIN10_V5_3, 0, 0, 0);
	post_raw(4, 1, (uint32_t)n, &m, n); /* second contact: reset */
	contact();
	n = vmbus_chanmsg_build_request_offers(&m);
	post(&m, n); /* second REQUESTOFFERS */
	contact();
	n = vmbus_chanmsg_build_relid_released(&m, E.relid); /* without a rescind */
	post(&m, n);
	contact();
	n = vmbus_chanmsg_build_close(&m, E.relid); /* a closed channel */
	post(&m, n);
	contact();
	n = vmbus_chanmsg_build_modifychannel(&m, 0x7ff, 0xffffffffu);
	post(&m, n);
	contact();
	n = vmbus_chanmsg_build_gpadl_teardown(&m, E.relid, 0xdeadbeefu);
	post(&m, n);

	/* GPADL headers that lie (each resets the connection: contact again) */
	contact();
	gpadl_header_lie(E.relid, 0x5000, 16, 0, PAGE, 0, 1, SPARE_PFN, 36); /* no range */
	contact();
	gpadl_header_lie(E.relid, 0x5001, 16, 2, PAGE, 0, 1, SPARE_PFN, 36); /* two ranges */
	contact();
	gpadl_header_lie(E.relid, 0x5002, 0xffff, 0xffff, 0xffffffffu, 0xfff, 26, SPARE_PFN, 240);
	contact();
	gpadl_header_lie(E.relid, 0x5003, 16, 1, 0, 0, 1, SPARE_PFN, 36); /* zero bytes */
	contact();
	gpadl_header_lie(E.relid, 0x5004, 16, 1, PAGE, 4096, 1, SPARE_PFN, 36); /* offset 4096 */
	contact();
	gpadl_header_lie(E.relid, 0x5005, 16, 1, PAGE, 0, 1, E.mem_pages, 36); /* PFN past end */
	contact();
	gpadl_header_lie(E.relid, 0x5006, 16, 1, PAGE, 0, 1, 0xfffffffffffff000ull, 36);
	contact();
	gpadl_header_lie(E.relid, 0x5007, 8 + 8 * 3, 1, 3 * PAGE, 0, 3, SPARE_PFN, 52); /* short */
	contact();
	gpadl_header_lie(E.relid, 0x5008, 16, 1, 2 * PAGE, 0, 1, SPARE_PFN, 36); /* buflen lie */
	contact();
	gpadl_header_lie(0x7ff, 0x5009, 16, 1, PAGE, 0, 1, SPARE_PFN, 36); /* unknown relid */
	contact();
	gpadl_header_lie(E.relid, 0x500a, 16, 1, PAGE, 0, 1, SPARE_PFN, 20); /* PFNs cut off */
	contact();
	gpadl_body(0x6000, 28, SPARE_PFN); /* body of an unknown handle */
	/* 40 pages: a header with 26 PFNs, then a body with 28 (more than remain) */
	contact();
	gpadl_header_lie(E.relid, 0x500b, (uint16_t)(8 + 8 * 40), 1, 40 * PAGE, 0, 26, SPARE_PFN,
		240);
	gpadl_body(0x500b, 28, SPARE_PFN + 26);
	/* a duplicate handle: in flight, then complete */
	contact();
	gpadl_header_lie(E.relid, 0x500c, (uint16_t)(8 + 8 * 40), 1, 40 * PAGE, 0, 26, SPARE_PFN,
		240);
	gpadl_header_lie(E.relid, 0x500c, 16, 1, PAGE, 0, 1, SPARE_PFN, 36);
	contact();
	h = gpadl_create(SPARE_PFN, 4);
	if (h)
		gpadl_header_lie(E.relid, h, 16, 1, PAGE, 0, 1, SPARE_PFN, 36);
	/* too many incomplete GPADLs, and too many pages in flight: 80 headers of 65535 pages */
	contact();
	for (i = 0; i < 80; i++)
		gpadl_header_lie(E.relid, 0x7000 + i, (uint16_t)(8 + 8 * 65535u), 1,
			65535u * PAGE, 0, 26, SPARE_PFN, 240);
	say("chan: GPADL abuse sent (%lu datagrams so far)", E.sent);

	/* OPENCHANNEL abuse: a complete 8-page GPADL as the "ring" */
	contact();
	h = gpadl_create(SPARE_PFN, 8);
	open_lie(0x7ff, h, 4);	      /* unknown relid */
	contact();
	h = gpadl_create(SPARE_PFN, 8);
	open_lie(E.relid, 0xabcdef, 4); /* unknown GPADL: refused with a status */
	open_lie(E.relid, h, 0);
	open_lie(E.relid, h, 1);
	open_lie(E.relid, h, 7);
	open_lie(E.relid, h, 8);
	open_lie(E.relid, h, 0xffffffffu);
	msg_drain();
	/* a GPADL not in whole pages as the ring */
	{
		static uint64_t pfns[8];
		union vmbus_chanmsg r;

		for (i = 0; i < 8; i++)
			pfns[i] = SPARE_PFN + i;
		h = E.handle++;
		gpadl_send(E.relid, h, 100, 8 * PAGE - 200, pfns, 8);
		msg_wait(VMBUS_CHANMSG_GPADL_CREATED, h, 2000, &r, NULL, NULL);
		open_lie(E.relid, h, 4);
	}
	/* a valid open of the 8-page GPADL, then a double open, a teardown of the ring in use,
	 * and a close / close */
	h = gpadl_create(SPARE_PFN + 16, 8);
	memset(page(SPARE_PFN + 16), 0, 8 * PAGE);
	open_lie(E.relid, h, 4);
	open_lie(E.relid, h, 4);
	contact();
	h = gpadl_create(SPARE_PFN + 16, 8);
	open_lie(E.relid, h, 4);
	n = vmbus_chanmsg_build_gpadl_teardown(&m, E.relid, h);
	post(&m, n);
	contact();
	h = gpadl_create(SPARE_PFN + 16, 8);
	open_lie(E.relid, h, 4);
	n = vmbus_chanmsg_build_close(&m, E.relid);
	post(&m, n);
	post(&m, n);
	/* teardowns: of the same GPADL twice, of a GPADL of another relid */
	contact();
	h = gpadl_create(SPARE_PFN, 2);
	n = vmbus_chanmsg_build_gpadl_teardown(&m, E.relid, h);
	post(&m, n);
	post(&m, n);
	contact();
	h = gpadl_create(SPARE_PFN, 2);
	n = vmbus_chanmsg_build_gpadl_teardown(&m, 0x7fe, h);
	post(&m, n);
	say("chan: OPENCHANNEL/teardown abuse sent (%lu datagrams so far)", E.sent);

	/* a flood: 20000 messages, none of the answers read until the end */
	contact();
	for (i = 0; i < 20000; i++) {
		struct hv_post_message pm = {.connection_id = 1, .message_type = 1};

		switch (rnd_below(4)) {
		case 0: /* answered: fills our inbox until vmmd gives up on us */
			n = vmbus_chanmsg_build_initiate_contact(&m, VMBUS_VERSION_WIN10_V5_3, 0, 0,
				0);
			pm.connection_id = 4;
			break;
		case 1:
			n = vmbus_chanmsg_build_unload(&m);
			break;
		case 2:
			n = 8 + rnd_below(233);
			rnd_fill(&m, n);
			break;
		default:
			n = vmbus_chanmsg_build_gpadl_teardown(&m, E.relid, rnd_below(4));
			break;
		}
		pm.payload_size = (uint32_t)n;
		memcpy(pm.payload, &m, n);
		if (send(E.sfd, &pm, sizeof(pm), MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
			if (errno != EAGAIN)
				break;
			struct pollfd p = {.fd = E.sfd, .events = POLLOUT};

			poll(&p, 1, 20);
		} else {
			E.sent++;
		}
	}
	msg_drain();
	say("chan: flood sent (%lu datagrams so far)", E.sent);
	if (contact())
		say("chan: done, vmmd still answers");
	else
		say("chan: done, NO CONTACT afterwards");
}

/* ---- phase: NVSP and packet abuse on an open channel ---------------------------------------- */

static void phase_nvsp(void)
{
	uint8_t nvsp[64], pkt[512];
	uint32_t i;

	if (!ensure_serving())
		return;
	/* unknown packet types */
	for (i = 0; i < 8; i++) {
		static const uint16_t types[] = {0, 1, 5, 7, 8, 10, 12, 0xffff};

		memset(pkt, 0, 56);
		desc(pkt, types[i], 2, 7, 1, next_trans());
		put32(pkt + 16, NVSP_MSG_TYPE_INIT);
		g_write(pkt, 56);
	}
	/* NVSP: unknown types, every short length of every type */
	for (i = 0; i < 6; i++) {
		static const uint32_t t[] = {0, 3, 99, 0x4242, 135, 0xffffffffu};

		memset(nvsp, 0, sizeof(nvsp));
		put32(nvsp, t[i]);
		g_inband(nvsp, 40, true);
	}
	for (i = 0; i < 10; i++) {
		static const uint32_t t[] = {1, 100, 101, 103, 104, 106, 107, 125, 129, 133};

		for (uint16_t len8 = 3; len8 <= 3; len8++) {
			memset(pkt, 0, 32);
			desc(pkt, VMBUS_PKT_INBAND, 2, len8, 1, next_trans());
			put32(pkt + 16, t[i]); /* 8 bytes of NVSP: shorter than every request */
			g_write(pkt, (size_t)len8 * 8);
		}
	}
	/* buffers: unknown GPADLs, duplicates, revokes of unknown ids */
	memset(nvsp, 0, sizeof(nvsp));
	put32(nvsp, NVSP_MSG1_TYPE_SEND_RECV_BUF);
	put32(nvsp + 4, 0xdead);
	g_inband(nvsp, 40, true);
	put32(nvsp + 4, E.recv_gpadl);
	g_inband(nvsp, 40, true);
	put32(nvsp, NVSP_MSG1_TYPE_SEND_SEND_BUF);
	put32(nvsp + 4, E.recv_gpadl);
	g_inband(nvsp, 40, true);
	memset(nvsp, 0, sizeof(nvsp));
	put32(nvsp, NVSP_MSG1_TYPE_REVOKE_RECV_BUF);
	put16(nvsp + 4, 0x1234);
	g_inband(nvsp, 40, false);
	put32(nvsp, NVSP_MSG5_TYPE_SUBCHANNEL);
	put32(nvsp + 4, 7);
	put32(nvsp + 8, 0xffffffffu);
	g_inband(nvsp, 40, true);
	put32(nvsp + 4, NVSP_SUBCHANNEL_ALLOCATE);
	g_inband(nvsp, 40, true);
	/* SEND_RNDIS_PKT: channel types, sections and sizes out of bounds */
	for (i = 0; i < 8; i++) {
		static const uint32_t sec[] = {170, 171, 0xfffffffeu, 0, 169, 0x80000000u, 5, 1};
		static const uint32_t used[] = {44, 44, 44, 6145, 0xffffffffu, 44, 0, 0x10000};

		nvsp_rndis(nvsp, i == 7 ? 2 : 0, sec[i], used[i]);
		g_inband(nvsp, 40, true);
	}
	nvsp_rndis(nvsp, 0, NVSP_SECTION_INDEX_NONE, 0); /* no data at all */
	g_inband(nvsp, 40, true);
	/* GPA_DIRECT: PFNs outside memory, offset >= 4096, zero length, absurd range counts */
	for (i = 0; i < 7; i++) {
		uint32_t pos = 24;

		memset(pkt, 0, sizeof(pkt));
		put32(pkt + 20, i == 4 ? 0 : i == 5 ? 0xffffffffu : 1);
		put32(pkt + pos, i == 2 ? 0 : i == 6 ? 0xffffffffu : 100);
		put32(pkt + pos + 4, i == 1 ? 4096 : 0);
		put64(pkt + pos + 8, i == 0 ? E.mem_pages : i == 3 ? ~0ull : CTL_PFN);
		pos += 16;
		nvsp_rndis(pkt + pos, 0, NVSP_SECTION_INDEX_NONE, 0);
		desc(pkt, VMBUS_PKT_GPA_DIRECT, (uint16_t)(pos / 8), (uint16_t)((pos + 40) / 8), 1,
			next_trans());
		g_write(pkt, pos + 40);
	}
	/* GPA_DIRECT whose range list claims more PFNs than its header holds */
	memset(pkt, 0, sizeof(pkt));
	put32(pkt + 20, 1);
	put32(pkt + 24, 64 * PAGE);
	put64(pkt + 32, CTL_PFN);
	nvsp_rndis(pkt + 40, 0, NVSP_SECTION_INDEX_NONE, 0);
	desc(pkt, VMBUS_PKT_GPA_DIRECT, 5, 10, 1, next_trans());
	g_write(pkt, 80);
	/* completions for transaction ids the host never used, with odd sizes */
	for (i = 0; i < 50; i++) {
		uint16_t len8 = (uint16_t)(2 + rnd_below(5));

		memset(pkt, 0, 64);
		desc(pkt, VMBUS_PKT_COMP, 2, len8, 0, rnd());
		put32(pkt + 16, NVSP_MSG1_TYPE_SEND_RNDIS_PKT_COMPLETE);
		put32(pkt + 20, rnd_below(3));
		g_write(pkt, (size_t)len8 * 8);
	}
	say("nvsp: abuse sent; host %s", host_serves(WAIT_MS) ? "still serves" : "STOPPED serving");
	/* the short REVOKE_SEND_BUF above (id 0) revoked our send buffer: start afresh */
	reopen();
}

/* ---- phase: RNDIS lies --------------------------------------------------------------------- */

/* An RNDIS PACKET header: data at 'doff' (relative to byte 8) of 'dlen' bytes, PPIs at 'poff'. */
static void rndis_pkt_hdr(uint8_t *m, uint32_t msg_len, uint32_t doff, uint32_t dlen,
	uint32_t poff, uint32_t plen)
{
	memset(m, 0, 44);
	put32(m, RNDIS_MSG_PACKET);
	put32(m + 4, msg_len);
	put32(m + 8, doff);
	put32(m + 12, dlen);
	put32(m + 28, poff);
	put32(m + 32, plen);
}

/* A 60-byte frame from us to ourselves: the switch learns and drops it (no hairpin), so the
 * well-formed ones never reach the good partitions. */
static void own_frame(uint8_t *f)
{
	memset(f, 0, 60);
	memcpy(f, E.mac, 6);
	memcpy(f + 6, E.mac, 6);
	f[12] = 0x88;
	f[13] = 0xb5;
}

/* A frame from us to ourselves (see own_frame) with a real IPv4 + TCP header (data offset 5) and
 * 'payload' bytes: what an LSO request must describe. */
static uint32_t own_tcp_frame(uint8_t *f, uint32_t payload)
{
	memset(f, 0, 54 + payload);
	memcpy(f, E.mac, 6);
	memcpy(f + 6, E.mac, 6);
	f[12] = 0x08;
	f[14] = 0x45;
	f[16] = (uint8_t)((40 + payload) >> 8);
	f[17] = (uint8_t)(40 + payload);
	f[22] = 64;
	f[23] = 6;
	f[46] = 0x50;
	f[47] = 0x10;
	return 54 + payload;
}

/*
 * Malformed large-send requests on well-formed packets (issue 4; OpenVMM #2148/#3275): the guest
 * first enables every offload (TCP_OFFLOAD_PARAMETERS), then asks for LSO with MSS 0, an MSS
 * above the MTU, on a UDP packet, with a TCP offset that is not where the IPv4 header ends, an
 * IPv6 request on IPv4, a fragment, no payload, and a TCP checksum on a UDP packet. Each must be
 * refused and counted, nothing else.
 */
static void lso_abuse(uint32_t *s)
{
	static const uint8_t params[28] = {0x80, 3, 28, 0, 1, 4, 4, 4, 4, 0, 0, 2, 2, [22] = 2,
		[23] = 2};
	uint8_t m[44 + 16 + 54 + 3000];
	uint32_t i, flen;

	memset(m, 0, 28);
	put32(m, RNDIS_MSG_SET);
	put32(m + 4, 28 + sizeof(params));
	put32(m + 8, 0x3000);
	put32(m + 12, RNDIS_OID_TCP_OFFLOAD_PARAMETERS);
	put32(m + 16, sizeof(params));
	put32(m + 20, 20);
	memcpy(m + 28, params, sizeof(params));
	g_rndis(1, (*s)++, m, 28 + sizeof(params));
	for (i = 0; i < 8; i++) {
		static const uint32_t info[] = {
			RNDIS_LSO_TYPE_V2 | (34u << RNDIS_LSO_TCP_OFFSET_SHIFT) | 0u,
			RNDIS_LSO_TYPE_V2 | (34u << RNDIS_LSO_TCP_OFFSET_SHIFT) | 9000u,
			RNDIS_LSO_TYPE_V2 | (34u << RNDIS_LSO_TCP_OFFSET_SHIFT) | 1448u, /* UDP */
			RNDIS_LSO_TYPE_V2 | (38u << RNDIS_LSO_TCP_OFFSET_SHIFT) | 1448u,
			RNDIS_LSO_TYPE_V2 | RNDIS_LSO_IPV6 | (54u << RNDIS_LSO_TCP_OFFSET_SHIFT) | 1448u,
			RNDIS_LSO_TYPE_V2 | (34u << RNDIS_LSO_TCP_OFFSET_SHIFT) | 1448u, /* fragment */
			RNDIS_LSO_TYPE_V2 | (34u << RNDIS_LSO_TCP_OFFSET_SHIFT) | 1448u, /* no payload */
			RNDIS_CSUM_TX_IPV4 | RNDIS_CSUM_TX_TCP | (34u << 16),		   /* on UDP */
		};
		uint32_t payload = i == 6 ? 0 : i == 7 ? 100 : 3000;

		flen = own_tcp_frame(m + 60, payload);
		if (i == 2 || i == 7)
			m[60 + 23] = 17;
		if (i == 5)
			m[60 + 20] = 0x20; /* more fragments */
		rndis_pkt_hdr(m, 44 + 16 + flen, 36 + 16, flen, 36, 16);
		put32(m + 44, 16);
		put32(m + 48, i == 7 ? RNDIS_PPI_TCPIP_CHKSUM : RNDIS_PPI_LSO);
		put32(m + 52, 12);
		put32(m + 56, info[i]);
		g_rndis(0, (*s)++, m, 44 + 16 + flen);
	}
}

static void phase_rndis(void)
{
	uint8_t m[512];
	uint32_t i, s = 1;

	if (!ensure_serving())
		return;
	/* PACKET: msg_len lies */
	for (i = 0; i < 6; i++) {
		static const uint32_t ml[] = {0, 4, 8, 43, 6144, 0xffffffffu};

		rndis_pkt_hdr(m, ml[i], 36, 60, 0, 0);
		own_frame(m + 44);
		g_rndis(0, s++, m, 104);
	}
	/* data offset / length past the end, overflowing sums */
	for (i = 0; i < 6; i++) {
		static const uint32_t doff[] = {0, 96, 36, 0xfffffff8u, 36, 8};
		static const uint32_t dlen[] = {60, 60, 61, 60, 0xffffffc0u, 0};

		rndis_pkt_hdr(m, 104, doff[i], dlen[i], 0, 0);
		own_frame(m + 44);
		g_rndis(0, s++, m, 104);
	}
	/* OOB fields and vc_handle set */
	rndis_pkt_hdr(m, 104, 36, 60, 0, 0);
	put32(m + 16, 36);
	put32(m + 20, 8);
	put32(m + 24, 1);
	put32(m + 36, 7);
	own_frame(m + 44);
	g_rndis(0, s++, m, 104);
	/* PPIs: size 0 (the loop must still advance), < 12, past the end, offsets inside out */
	for (i = 0; i < 8; i++) {
		static const uint32_t psize[] = {0, 11, 12, 200, 0xffffffffu, 20, 20, 24};
		static const uint32_t pofs[] = {12, 12, 12, 12, 12, 0, 0xfffffff0u, 12};
		static const uint32_t ptype[] = {0, 2, 6, 8, 0, 0, 2, 2};

		rndis_pkt_hdr(m, 44 + 24 + 60, 36 + 24, 60, 36, i == 7 ? 0xfffffff0u : 24);
		put32(m + 44, psize[i]);
		put32(m + 48, ptype[i]);
		put32(m + 52, pofs[i]);
		put32(m + 56, 0xffffffffu);
		own_frame(m + 68);
		g_rndis(0, s++, m, 44 + 24 + 60);
	}
	/* LSO and checksum PPIs with impossible offsets / MSS */
	for (i = 0; i < 6; i++) {
		static const uint32_t info[] = {
			RNDIS_LSO_TYPE_V2 | (1000u << RNDIS_LSO_TCP_OFFSET_SHIFT) | 1448u,
			RNDIS_LSO_TYPE_V2 | (34u << RNDIS_LSO_TCP_OFFSET_SHIFT) | 0u,
			RNDIS_LSO_TYPE_V2 | (2u << RNDIS_LSO_TCP_OFFSET_SHIFT) | 1448u,
			RNDIS_CSUM_TX_IPV4 | RNDIS_CSUM_TX_TCP | (1000u << 16),
			RNDIS_CSUM_TX_IPV4 | RNDIS_CSUM_TX_UDP | (58u << 16),
			RNDIS_CSUM_TX_IPV6 | RNDIS_CSUM_TX_TCP | (0u << 16),
		};

		rndis_pkt_hdr(m, 44 + 16 + 60, 36 + 16, 60, 36, 16);
		put32(m + 44, 16);
		put32(m + 48, i < 3 ? RNDIS_PPI_LSO : RNDIS_PPI_TCPIP_CHKSUM);
		put32(m + 52, 12);
		put32(m + 56, info[i]);
		own_frame(m + 60);
		m[60 + 12] = 0x08; /* IPv4 EtherType, garbage header */
		m[60 + 13] = 0x00;
		m[60 + 14] = 0x4f;
		g_rndis(0, s++, m, 44 + 16 + 60);
	}
	lso_abuse(&s);
	/* control messages: unknown types, lying info buffers, oversized, every short length */
	for (i = 0; i < 12; i++) {
		static const uint32_t type[] = {RNDIS_MSG_QUERY, RNDIS_MSG_QUERY, RNDIS_MSG_SET,
			RNDIS_MSG_SET, RNDIS_MSG_SET, RNDIS_MSG_QUERY, 0x12345678u, RNDIS_MSG_INIT,
			RNDIS_MSG_RESET, RNDIS_MSG_KEEPALIVE, RNDIS_MSG_INIT_C, RNDIS_MSG_INDICATE};
		static const uint32_t oid[] = {RNDIS_OID_802_3_PERMANENT_ADDRESS,
			RNDIS_OID_GEN_RECEIVE_SCALE_CAPABILITIES, RNDIS_OID_GEN_RECEIVE_SCALE_PARAMETERS,
			RNDIS_OID_GEN_CURRENT_PACKET_FILTER, RNDIS_OID_TCP_OFFLOAD_PARAMETERS,
			0xff000001u, 0, 0, 0, 0, 0, 0};
		static const uint32_t blen[] = {0xffffffffu, 4000, 300, 0, 2, 4, 0, 0, 0, 0, 0, 0};
		static const uint32_t boff[] = {20, 0xfffffff0u, 20, 20, 4000, 0, 0, 0, 0, 0, 0, 0};

		memset(m, 0, sizeof(m));
		put32(m, type[i]);
		put32(m + 4, 28 + 300);
		put32(m + 8, 0x1000 + i);
		put32(m + 12, oid[i]);
		put32(m + 16, blen[i]);
		put32(m + 20, boff[i]);
		if (oid[i] == RNDIS_OID_GEN_RECEIVE_SCALE_PARAMETERS) {
			/* RSS parameters whose table and key offsets point outside */
			put16(m + 28 + 4, 0xffff); /* indirection table size */
			put32(m + 28 + 8, 0xfffffff0u);
			put16(m + 28 + 12, 40);
			put32(m + 28 + 16, 0x7ffffff0u);
		}
		g_rndis(1, s++, m, 28 + 300);
	}
	for (i = 0; i < 28; i++) {
		memset(m, 0, sizeof(m));
		put32(m, RNDIS_MSG_QUERY);
		put32(m + 4, i);
		put32(m + 8, 0x2000 + i);
		put32(m + 12, RNDIS_OID_GEN_LINK_SPEED);
		g_rndis(1, s++, m, i);
	}
	/* a batch: two good packets around one whose msg_len points past the section */
	rndis_pkt_hdr(m, 104, 36, 60, 0, 0);
	own_frame(m + 44);
	memcpy(m + 104, m, 104);
	put32(m + 104 + 4, 5000);
	memcpy(m + 208, m, 104);
	g_rndis(0, s++, m, 312);
	say("rndis: abuse sent (answers: %lu failed, %lu accepted, %lu none); host %s",
		E.rndis_status[2], E.rndis_status[1], E.rndis_status[0],
		host_serves(WAIT_MS) ? "still serves" : "STOPPED serving");
}

/* ---- phase: fatal ring corruption ----------------------------------------------------------- */

/* One corruption; the host should stop the channel, then we close and reopen it. */
static void ring_attack(unsigned int k)
{
	struct vmbus_ring_ctl *g2h_ctl = E.g2h.ctl, *h2g_ctl = E.h2g.ctl;
	uint8_t pkt[128] = {0};

	switch (k) {
	case 0: /* write_index not a multiple of 8 */
		__atomic_store_n(&g2h_ctl->write_index, 3u, __ATOMIC_RELEASE);
		break;
	case 1: /* write_index beyond the data area */
		__atomic_store_n(&g2h_ctl->write_index, (RING_PAGES - 1) * PAGE + 8, __ATOMIC_RELEASE);
		break;
	case 2: /* write_index 0xfffffff8 */
		__atomic_store_n(&g2h_ctl->write_index, 0xfffffff8u, __ATOMIC_RELEASE);
		break;
	case 3: /* len8 < offset8 */
		desc(pkt, VMBUS_PKT_INBAND, 6, 4, 1, next_trans());
		g_write(pkt, 48);
		break;
	case 4: /* offset8 < 2 */
		desc(pkt, VMBUS_PKT_INBAND, 1, 7, 1, next_trans());
		g_write(pkt, 56);
		break;
	case 5: /* len8 larger than what was written */
		desc(pkt, VMBUS_PKT_INBAND, 2, 0xffff, 1, next_trans());
		g_write(pkt, 56);
		break;
	case 6: /* len8 0 */
		desc(pkt, VMBUS_PKT_INBAND, 0, 0, 1, next_trans());
		g_write(pkt, 56);
		break;
	case 7: /* GPA_DIRECT with a 16-byte header */
		desc(pkt, VMBUS_PKT_GPA_DIRECT, 2, 7, 1, next_trans());
		put32(pkt + 16, NVSP_MSG1_TYPE_SEND_RNDIS_PKT);
		g_write(pkt, 56);
		break;
	case 8: /* INBAND with no NVSP type at all */
		desc(pkt, VMBUS_PKT_INBAND, 2, 2, 1, next_trans());
		g_write(pkt, 16);
		break;
	case 12: /* flags other than "completion requested" (facts 9 item 4) */
		desc(pkt, VMBUS_PKT_INBAND, 2, 7, 0xfffe, next_trans());
		g_write(pkt, 56);
		break;
	case 9: /* the host's H->G ring: our read_index beyond its data area */
		__atomic_store_n(&h2g_ctl->read_index, 0x7ffffff8u, __ATOMIC_RELEASE);
		host_serves(100); /* make the host write to us */
		break;
	case 10: /* our read_index not a multiple of 8 */
		__atomic_store_n(&h2g_ctl->read_index, 5u, __ATOMIC_RELEASE);
		host_serves(100);
		break;
	default: /* a packet of 8 random bytes + a lying trailer, then a wrap-around write index */
		rnd_fill(pkt, sizeof(pkt));
		g_write(pkt, sizeof(pkt));
		__atomic_store_n(&g2h_ctl->write_index, (uint32_t)(rnd() & 0xfff8u), __ATOMIC_RELEASE);
		break;
	}
	signal_host();
}

static void phase_ring(void)
{
	unsigned int k, stopped = 0;

	for (k = 0; k < 15; k++) {
		if (!E.open && !session_up())
			return;
		ring_attack(k);
		sleep_ms(30);
		if (!host_serves(400)) {
			stopped++;
			E.host_stopped++;
		}
		reopen();
	}
	say("ring: 15 corruptions, the host stopped the channel %u times; channel %s", stopped,
		E.open && host_serves(WAIT_MS) ? "serves again" : "NOT back");
}

/* ---- phase: rewriting what the host reads while it reads ------------------------------------ */

static volatile int race_run;

static void *race_thread(void *arg)
{
	uint64_t x = (uint64_t)(uintptr_t)arg | 1;
	uint8_t *send = page(SEND_PFN), *ring = page(RING_PFN + 1);

	while (race_run) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		/* bytes of the first 16 send sections (where the main thread writes) and the data
		 * area of our guest->host ring */
		if (x & 0x100)
			send[(x >> 20) % (16u * 6144u)] ^= (uint8_t)(1u << ((x >> 9) & 7));
		else
			ring[(x >> 20) % ((RING_PAGES - 1) * PAGE)] ^= (uint8_t)(1u << ((x >> 9) & 7));
	}
	return NULL;
}

static void phase_race(unsigned int ms)
{
	pthread_t t;
	uint64_t end;
	uint8_t m[256], nvsp[40];
	unsigned long n = 0;

	if (!ensure_serving())
		return;
	race_run = 1;
	if (pthread_create(&t, NULL, race_thread, (void *)(uintptr_t)rnd()))
		return;
	end = now_ms() + ms;
	while (now_ms() < end) {
		uint32_t s = (uint32_t)(n % 16);
		uint32_t ppi = (n & 1) ? 16 : 0;

		rndis_pkt_hdr(m, 44 + ppi + 64, 36 + ppi, 64, ppi ? 36 : 0, ppi);
		if (ppi) {
			put32(m + 44, 16);
			put32(m + 48, RNDIS_PPI_IEEE_8021Q);
			put32(m + 52, 12);
			put32(m + 56, 5);
		}
		own_frame(m + 44 + ppi);
		memcpy(page(SEND_PFN) + (size_t)s * E.section_size, m, 44 + ppi + 64);
		nvsp_rndis(nvsp, 0, s, 44 + ppi + 64);
		g_inband(nvsp, 40, true);
		g_poll();
		n++;
		if (!E.open || (n % 64 == 0 && !host_serves(300))) {
			/* a flipped ring byte made the framing invalid: fine, start again */
			race_run = 0;
			pthread_join(t, NULL);
			reopen();
			if (!E.open)
				return;
			race_run = 1;
			if (pthread_create(&t, NULL, race_thread, (void *)(uintptr_t)rnd()))
				return;
		}
	}
	race_run = 0;
	pthread_join(t, NULL);
	say("race: %lu packets sent under concurrent byte flips, %lu reopens so far", n, E.reopens);
}

/* ---- phase: scribbling ---------------------------------------------------------------------- */

static void phase_scribble(unsigned int ms)
{
	uint64_t end = now_ms() + ms, next_check = 0;
	unsigned long rounds = 0;
	uint8_t junk[512];

	if (!ensure_serving())
		return;
	while (now_ms() < end) {
		struct vmbus_ring_ctl *ctl = E.g2h.ctl;
		uint8_t *data = page(RING_PFN + 1);

		switch (rnd_below(6)) {
		case 0: /* random bytes anywhere in the data area, then a plausible write index */
			rnd_fill(data + rnd_below((RING_PAGES - 1) * PAGE - 512), 512);
			__atomic_store_n(&ctl->write_index, rnd_below((RING_PAGES - 1) * PAGE) & ~7u,
				__ATOMIC_RELEASE);
			break;
		case 1: /* a random index, random interrupt mask and pending size on both rings */
			__atomic_store_n(&ctl->write_index, (uint32_t)rnd(), __ATOMIC_RELEASE);
			E.h2g.ctl->read_index = (uint32_t)rnd();
			E.h2g.ctl->interrupt_mask = (uint32_t)rnd();
			ctl->pending_send_sz = (uint32_t)rnd();
			break;
		case 2: /* a random packet through the ring API (well framed by the ring) */
			rnd_fill(junk, sizeof(junk));
			g_write(junk, 16 + rnd_below(sizeof(junk) - 16));
			break;
		case 3: /* random send sections + a SEND_RNDIS_PKT pointing at one */
			rnd_fill(page(SEND_PFN) + rnd_below(16) * 6144u, 6144);
			{
				uint8_t nvsp[40];

				nvsp_rndis(nvsp, rnd_below(2), rnd_below(20), rnd_below(7000));
				g_inband(nvsp, 40, true);
			}
			break;
		case 4: /* random host ring contents: our reader must survive too */
			rnd_fill(page(RING_PFN + RING_PAGES + 1) + rnd_below(8 * PAGE), 256);
			g_poll();
			break;
		default:
			break;
		}
		for (int i = 0; i < 16; i++)
			signal_host();
		rounds++;
		if (now_ms() >= next_check) {
			/* the host has stopped the channel (or not): start over on a fresh one */
			next_check = now_ms() + 250;
			reopen();
		}
	}
	say("scribble: %lu rounds, %lu reopens so far", rounds, E.reopens);
}

/* ---- phase: doorbell tampering -------------------------------------------------------------- */

static void phase_doorbell(void)
{
	uint64_t big = 0xfffffffffffffffeull, end;
	unsigned int rounds = 0, served = 0;
	bool saturated;

	if (!ensure_serving())
		return;
	/* If the interrupt doorbell were one open file shared with vswitchd (an eventfd, as it
	 * was), clearing O_NONBLOCK here would clear it there, and a counter one below the maximum
	 * would make vswitchd's next write block. vmmd gives us the read end of a pipe: the write
	 * must fail (EBADF). */
	fcntl(E.intr_fd, F_SETFL, 0);
	fcntl(E.sig_fd, F_SETFL, 0);
	saturated = write(E.intr_fd, &big, 8) == 8;
	say("doorbell: interrupt doorbell %s", saturated ? "SATURATED in blocking mode (eventfd)"
						  : "not writable by us (good)");
	/* our own signal eventfd saturated too (vswitchd must never wait on it), and the smallest
	 * pipe we can make, never read again: vswitchd's doorbell writes must fail, not wait */
	if (write(E.sig_fd, &big, 8) != 8)
		say("doorbell: signal eventfd: %s", strerror(errno));
	fcntl(E.intr_fd, F_SETPIPE_SZ, 4096);
	E.intr_fd_tampered = true;
	end = now_ms() + 3000;
	while (rounds < 1000 && now_ms() < end) {
		rounds++;
		if (host_serves(200))
			served++;
	}
	say("doorbell: host answered %u of %u requests with our doorbells jammed", served, rounds);
}

/* ---- phase: mapping count ----------------------------------------------------------------- */

/*
 * GPADLs whose pages are never consecutive: a host that maps each run of consecutive pages on
 * its own needs one memory mapping per page. Keeps adding them (halving the size on a refusal)
 * and keeps them: the host's budget must be ours, not everybody's (vm.max_map_count is per
 * process).
 */
static void phase_vma(void)
{
	static uint64_t pfns[32768];
	uint32_t n = 32768, made = 0, tries = 0, i, span;
	uint64_t pages = 0, end = now_ms() + 15000;

	if (!ensure_serving())
		return;
	span = (uint32_t)((E.mem_pages - SPARE_PFN) & ~1ull);
	while (n >= 1 && tries < 80 && now_ms() < end) {
		union vmbus_chanmsg r;
		uint32_t h = E.handle++;

		tries++;
		for (i = 0; i < n; i++)
			pfns[i] = SPARE_PFN + (2u * i) % span; /* never two consecutive PFNs */
		if (gpadl_send(E.relid, h, 0, n * PAGE, pfns, n) == 0 &&
			msg_wait(VMBUS_CHANMSG_GPADL_CREATED, h, 10000, &r, NULL, NULL) &&
			r.gpadl_created.creation_status == 0) {
			made++;
			pages += n;
		} else {
			n /= 2;
		}
	}
	say("vma: %u GPADLs of scattered pages kept (%llu pages), %u refused", made,
		(unsigned long long)pages, tries - made);
}

/* ---- main ----------------------------------------------------------------------------------- */

static void on_term(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static bool has_phase(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *p = list;

	while ((p = strstr(p, name)) != NULL) {
		if ((p == list || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
			return true;
		p += n;
	}
	return false;
}

static void run(const char *cmd)
{
	char phases[256] = "chan,nvsp,rndis,ring,race,scribble,doorbell,vma";
	unsigned long long seed = (unsigned long long)time(NULL) ^ (unsigned long long)getpid();
	unsigned int seconds = 4, mac[6] = {2, 0, 0x5e, 0xee, 0, 1};
	char *copy = strdup(cmd), *tok, *save = NULL;
	struct stat st;
	uint64_t t0 = now_ms();

	for (tok = strtok_r(copy, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		if (strncmp(tok, "seed=", 5) == 0)
			seed = strtoull(tok + 5, NULL, 0);
		else if (strncmp(tok, "phases=", 7) == 0)
			snprintf(phases, sizeof(phases), "%s", tok + 7);
		else if (strncmp(tok, "seconds=", 8) == 0)
			seconds = (unsigned int)strtoul(tok + 8, NULL, 0);
		else if (strncmp(tok, "mac=", 4) == 0)
			sscanf(tok + 4, "%x:%x:%x:%x:%x:%x", &mac[0], &mac[1], &mac[2], &mac[3],
				&mac[4], &mac[5]);
	}
	free(copy);
	for (int i = 0; i < 6; i++)
		E.mac[i] = (uint8_t)mac[i];
	E.rng = seed ? seed : 1;
	E.sfd = HV_MSG_FD_SOCKET;
	E.sig_fd = E.intr_fd = -1;
	E.handle = 0xe0000;
	say("seed=%llu phases=%s seconds=%u", seed, phases, seconds);
	if (fstat(HV_MSG_FD_MEMORY, &st) < 0 || (uint64_t)st.st_size < (uint64_t)MIN_PAGES * PAGE) {
		say("guest memory missing or smaller than %u pages", MIN_PAGES);
		return;
	}
	E.mem_pages = (uint64_t)st.st_size / PAGE;
	E.mem = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		HV_MSG_FD_MEMORY, 0);
	if (E.mem == MAP_FAILED) {
		say("cannot map guest memory: %s", strerror(errno));
		return;
	}
#define PHASE(name, call)                                                                          \
	do {                                                                                       \
		if (has_phase(phases, name)) {                                                     \
			uint64_t t = now_ms();                                                     \
			call;                                                                      \
			say("%s: %llu ms", name, (unsigned long long)(now_ms() - t));              \
		}                                                                                  \
	} while (0)
	PHASE("chan", phase_chan());
	PHASE("nvsp", phase_nvsp());
	PHASE("rndis", phase_rndis());
	PHASE("ring", phase_ring());
	PHASE("race", phase_race(seconds * 500u));
	PHASE("scribble", phase_scribble(seconds * 1000u));
	PHASE("doorbell", phase_doorbell());
	PHASE("vma", phase_vma());
	PHASE("hangup", raw_send("", 0, NULL, 0));
#undef PHASE
	say("EVIL DONE seed=%llu in %llu ms: datagrams=%lu refused_gpadls=%lu resyncs=%lu "
	    "reopens=%lu host_stopped=%lu lost_completions=%lu xfer_completed=%lu",
		seed, (unsigned long long)(now_ms() - t0), E.sent, E.refused, E.resyncs, E.reopens,
		E.host_stopped, E.lost_comps, E.xfer_completed);
}

int main(int argc, char **argv)
{
	struct sigaction sa = {.sa_handler = on_term};

	if (argc < 2 || strncmp(argv[1], "evil", 4) != 0 || (argv[1][4] != ' ' && argv[1][4])) {
		/* a well-behaved partition: the real init, same arguments, fds 3 and 4 inherited */
		argv[0] = (char *)"vsw-guest-init";
		execv(VSW_GUEST_INIT_PATH, argv);
		fprintf(stderr, "evil_guest: exec %s: %s\n", VSW_GUEST_INIT_PATH, strerror(errno));
		return 127;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	run(argv[1]);
	/* stay: vmmctl show reports the VMBus counters of running partitions only */
	while (!stop_flag)
		pause();
	return 0;
}
