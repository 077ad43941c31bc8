/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * VMBus client against a fake host transport. What the client sends is checked byte by byte at
 * the offsets of hyperv-facts.md 4.2/4.3; what the fake host answers is written the same way, by
 * hand, not with the vmbus library's builders.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <syslog.h>
#include <unistd.h>

#include "guest.h"

#define MAX_SENT 200
#define MAX_QUEUED 16

struct fake {
	struct hv_post_message sent[MAX_SENT];
	unsigned int n_sent;
	struct hv_message q[MAX_QUEUED];
	int q_fds[MAX_QUEUED][2];
	unsigned int q_nfds[MAX_QUEUED];
	unsigned int q_head, q_tail;
	/* scripted host: answers INITIATE_CONTACT by accepting 'accept_version' only */
	uint32_t accept_version;
	bool answer_contact;
	bool answer_offers;
};

struct tctx {
	struct fake f;
	int memfd;
	struct gd_gmem gmem;
	struct gd_vmbus vb;
};

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint16_t get16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

/* Queue a host message: SynIC slot {type 1 @0, size @4, payload @16}. */
static void host_msg(struct fake *f, const uint8_t *payload, uint8_t size)
{
	struct hv_message *m = &f->q[f->q_tail % MAX_QUEUED];

	memset(m, 0, sizeof(*m));
	m->message_type = 1;
	m->payload_size = size;
	memcpy(m->payload, payload, size);
	f->q_nfds[f->q_tail % MAX_QUEUED] = 0;
	f->q_tail++;
}

static void host_version_response(struct fake *f, bool ok, uint32_t conn_id)
{
	uint8_t m[16] = {0};

	put32(m, 15);
	m[8] = ok;
	put32(m + 12, conn_id);
	host_msg(f, m, sizeof(m));
}

/* OFFERCHANNEL (196 bytes): type GUID @8, instance @24, sub-channel index @180, relid @184,
 * monitor id @188, dedicated @190, connection id @192. */
static void host_offer(struct fake *f, const uint8_t *guid, uint8_t inst, uint16_t sub,
	uint32_t relid)
{
	uint8_t m[196] = {0};

	put32(m, 1);
	memcpy(m + 8, guid, 16);
	memset(m + 24, inst, 16);
	memcpy(m + 180, &sub, 2);
	put32(m + 184, relid);
	m[188] = 0xff;
	m[190] = 1;
	put32(m + 192, 0x2000 + relid);
	host_msg(f, m, sizeof(m));
}

static void host_simple(struct fake *f, uint32_t type, uint32_t a, uint32_t b, uint32_t c,
	uint8_t size)
{
	uint8_t m[20] = {0};

	put32(m, type);
	put32(m + 8, a);
	put32(m + 12, b);
	put32(m + 16, c);
	host_msg(f, m, size);
}

static const uint8_t netvsc_guid[16] = {0x63, 0x51, 0x61, 0xf8, 0x3e, 0xdf, 0xc5, 0x46, 0x91,
	0x3f, 0xf2, 0xd2, 0xf9, 0x65, 0xed, 0x0e};
static const uint8_t other_guid[16] = {0x32, 0x26, 0x41, 0x32, 0xcb, 0x86, 0xa2, 0x44, 0x9b,
	0x5c, 0x50, 0xd1, 0x41, 0x73, 0x54, 0xf5};

static int fake_send(void *ctx, const struct hv_post_message *pm)
{
	struct fake *f = ctx;
	uint32_t type;

	assert_true(f->n_sent < MAX_SENT);
	f->sent[f->n_sent++] = *pm;
	type = get32(pm->payload);
	if (type == 14 && f->answer_contact)
		host_version_response(f, get32(pm->payload + 8) == f->accept_version, 0x1234);
	if (type == 3 && f->answer_offers) {
		host_offer(f, other_guid, 1, 0, 3);
		host_offer(f, netvsc_guid, 2, 0, 5);
		host_offer(f, netvsc_guid, 2, 1, 6); /* a subchannel: not a device */
		host_simple(f, 4, 0, 0, 0, 8);
	}
	return 0;
}

static int fake_recv(void *ctx, struct hv_message *hm, int *fds, unsigned int *n_fds,
	int timeout_ms)
{
	struct fake *f = ctx;
	unsigned int i, k = f->q_head % MAX_QUEUED;

	*n_fds = 0;
	if (f->q_head == f->q_tail)
		return -ETIMEDOUT;
	*hm = f->q[k];
	for (i = 0; i < f->q_nfds[k]; i++)
		fds[(*n_fds)++] = f->q_fds[k][i];
	f->q_head++;
	return 0;
}

static int fake_poll_fd(void *ctx)
{
	return -1;
}

static const struct gd_transport_ops fake_ops = {
	.send = fake_send,
	.recv = fake_recv,
	.poll_fd = fake_poll_fd,
};

static int setup(void **state)
{
	struct tctx *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	t->memfd = memfd_create("g", MFD_CLOEXEC);
	assert_true(t->memfd >= 0);
	assert_int_equal(ftruncate(t->memfd, 8 << 20), 0);
	assert_int_equal(gd_gmem_open(&t->gmem, t->memfd), 0);
	gd_vmbus_init(&t->vb, &fake_ops, &t->f, &t->gmem, 20);
	t->f.answer_contact = true;
	t->f.answer_offers = true;
	t->f.accept_version = 0x50003;
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct tctx *t = *state;

	gd_vmbus_fini(&t->vb);
	gd_gmem_close(&t->gmem);
	close(t->memfd);
	free(t);
	return 0;
}

static void contact_sends_facts_4_3_bytes(void **state)
{
	struct tctx *t = *state;
	const struct hv_post_message *pm;
	const uint8_t *p;
	int i;

	assert_int_equal(gd_vmbus_connect(&t->vb), 0);
	assert_int_equal(t->f.n_sent, 2);
	pm = &t->f.sent[0];
	assert_int_equal(pm->connection_id, 4); /* >= 5.0 */
	assert_int_equal(pm->message_type, 1);
	assert_int_equal(pm->payload_size, 40);
	p = pm->payload;
	assert_int_equal(get32(p), 14);
	assert_int_equal(get32(p + 8), 0x50003);
	assert_int_equal(get32(p + 12), 0);   /* target VP */
	assert_int_equal(p[16], 2);	      /* message SINT */
	for (i = 17; i < 24; i++)
		assert_int_equal(p[i], 0);
	assert_true(get64(p + 24) != 0);
	assert_true(get64(p + 32) != 0);
	assert_true(get64(p + 24) != get64(p + 32));
	assert_int_equal(get64(p + 24) % 4096, 0);
	/* REQUESTOFFERS on the host's connection id */
	assert_int_equal(t->f.sent[1].connection_id, 0x1234);
	assert_int_equal(t->f.sent[1].payload_size, 8);
	assert_int_equal(get32(t->f.sent[1].payload), 3);
	assert_int_equal(t->vb.version, 0x50003);
	assert_true(t->vb.all_offers);
}

static void contact_falls_back_version_by_version(void **state)
{
	struct tctx *t = *state;
	static const uint32_t order[] = {0x50003, 0x50002, 0x50001, 0x50000, 0x40001, 0x40000};
	unsigned int i;

	t->f.accept_version = 0x40000;
	assert_int_equal(gd_vmbus_connect(&t->vb), 0);
	assert_int_equal(t->f.n_sent, 7);
	for (i = 0; i < 6; i++) {
		assert_int_equal(get32(t->f.sent[i].payload + 8), order[i]);
		assert_int_equal(t->f.sent[i].connection_id, order[i] >= 0x50000 ? 4 : 1);
	}
	/* < 5.0: @16 is the interrupt page GPA, not the SINT */
	assert_true(get64(t->f.sent[5].payload + 16) != 0);
	assert_int_equal(get64(t->f.sent[5].payload + 16) % 4096, 0);
	/* below 5.0 every later message uses connection id 1 */
	assert_int_equal(t->vb.msg_conn_id, 1);
	assert_int_equal(t->f.sent[6].connection_id, 1);
}

static void contact_all_refused_is_eprotonosupport(void **state)
{
	struct tctx *t = *state;

	t->f.accept_version = 0x20004; /* never proposed */
	assert_int_equal(gd_vmbus_connect(&t->vb), -EPROTONOSUPPORT);
	assert_int_equal(t->f.n_sent, 7); /* 5.3 .. 3.0 */
	assert_int_equal(get32(t->f.sent[6].payload + 8), 0x30000);
}

static void contact_silent_host_times_out(void **state)
{
	struct tctx *t = *state;

	t->f.answer_contact = false;
	assert_int_equal(gd_vmbus_connect(&t->vb), -ETIMEDOUT);
	assert_int_equal(t->f.n_sent, 1); /* no point trying older versions */
}

static void offers_filtered_by_class_and_subchannel(void **state)
{
	struct tctx *t = *state;
	struct vmbus_guid g;
	const struct gd_offer *o;

	assert_int_equal(gd_vmbus_connect(&t->vb), 0);
	memcpy(g.b, netvsc_guid, 16);
	o = gd_vmbus_find_offer(&t->vb, &g);
	assert_non_null(o);
	assert_int_equal(o->msg.child_relid, 5);
	assert_int_equal(o->msg.connection_id, 0x2005);
	memcpy(g.b, "0123456789abcdef", 16);
	assert_null(gd_vmbus_find_offer(&t->vb, &g));
}

static void gpadl_split(struct tctx *t, uint32_t n_pages, uint32_t n_msgs, uint32_t last_pfns)
{
	uint64_t *pfns = malloc(n_pages * sizeof(*pfns));
	const uint8_t *p;
	uint32_t handle = 0, i, base = t->f.n_sent, k;

	assert_non_null(pfns);
	for (i = 0; i < n_pages; i++)
		pfns[i] = 0x1000 + i * 3; /* not contiguous on purpose */
	/* a reply for another handle first: must be skipped */
	host_simple(&t->f, 10, 5, 0xdead, 0, 20);
	host_simple(&t->f, 10, 5, t->vb.next_gpadl, 0, 20);
	assert_int_equal(gd_gpadl_create(&t->vb, 5, pfns, n_pages, &handle), 0);
	assert_int_equal(t->f.n_sent - base, n_msgs);
	p = t->f.sent[base].payload;
	assert_int_equal(get32(p), 8);
	assert_int_equal(get32(p + 8), 5);
	assert_int_equal(get32(p + 12), handle);
	assert_int_equal(get16(p + 16), (uint16_t)(8 + 8 * n_pages));
	assert_int_equal(get16(p + 18), 1);
	assert_int_equal(get32(p + 20), n_pages * 4096);
	assert_int_equal(get32(p + 24), 0);
	assert_int_equal(get64(p + 28), pfns[0]);
	assert_int_equal(get64(p + 28 + 25 * 8), pfns[25]);
	assert_int_equal(t->f.sent[base].payload_size, 20 + 8 + 26 * 8);
	for (i = 1, k = 26; i < n_msgs; i++) {
		p = t->f.sent[base + i].payload;
		assert_int_equal(get32(p), 9);
		assert_int_equal(get32(p + 8), 0);
		assert_int_equal(get32(p + 12), handle);
		assert_int_equal(get64(p + 16), pfns[k]);
		assert_int_equal(t->f.sent[base + i].payload_size,
			16 + 8 * (i == n_msgs - 1 ? last_pfns : 28));
		k += i == n_msgs - 1 ? last_pfns : 28;
	}
	assert_int_equal(k, n_pages);
	free(pfns);
}

static void gpadl_split_as_linux(void **state)
{
	struct tctx *t = *state;

	assert_int_equal(t->vb.next_gpadl, 0xe1e10);
	gpadl_split(t, 256, 10, 6);
	gpadl_split(t, 4096, 147, 10);
	gpadl_split(t, 255, 10, 5);
	assert_int_equal(t->vb.next_gpadl, 0xe1e13);
}

static void gpadl_refused_is_eio(void **state)
{
	struct tctx *t = *state;
	uint64_t pfn = 7;
	uint32_t handle = 0;

	host_simple(&t->f, 10, 5, t->vb.next_gpadl, 1, 20);
	assert_int_equal(gd_gpadl_create(&t->vb, 5, &pfn, 1, &handle), -EIO);
	/* unanswered: bounded wait */
	assert_int_equal(gd_gpadl_create(&t->vb, 5, &pfn, 1, &handle), -ETIMEDOUT);
}

static void rescind_then_release(void **state)
{
	struct tctx *t = *state;
	struct vmbus_guid g;
	struct gd_offer *o;
	const uint8_t *p;

	memcpy(g.b, netvsc_guid, 16);
	assert_int_equal(gd_vmbus_connect(&t->vb), 0);
	host_simple(&t->f, 2, 5, 0, 0, 12);
	assert_int_equal(gd_vmbus_pump(&t->vb, 0), 1);
	assert_null(gd_vmbus_find_offer(&t->vb, &g));
	o = gd_vmbus_offer_lookup(&t->vb, 5);
	assert_non_null(o);
	assert_true(o->rescinded);
	assert_int_equal(gd_vmbus_relid_release(&t->vb, 5), 0);
	p = t->f.sent[t->f.n_sent - 1].payload;
	assert_int_equal(t->f.sent[t->f.n_sent - 1].payload_size, 12);
	assert_int_equal(get32(p), 13);
	assert_int_equal(get32(p + 8), 5);
	assert_null(gd_vmbus_offer_lookup(&t->vb, 5));
	/* the re-offer (same relid) is a new device */
	host_offer(&t->f, netvsc_guid, 2, 0, 5);
	assert_int_equal(gd_vmbus_pump(&t->vb, 0), 1);
	assert_non_null(gd_vmbus_find_offer(&t->vb, &g));
}

static void malformed_host_messages_dropped(void **state)
{
	struct tctx *t = *state;
	uint8_t m[196] = {0};
	struct vmbus_guid g;
	uint64_t bad;
	int efd;

	memcpy(g.b, netvsc_guid, 16);
	t->f.answer_offers = false;
	assert_int_equal(gd_vmbus_connect(&t->vb), 0); /* no offers: times out waiting, fine */
	bad = t->vb.n_bad_msgs;
	/* short OFFERCHANNEL (Linux needs 196 bytes) */
	put32(m, 1);
	memcpy(m + 8, netvsc_guid, 16);
	put32(m + 184, 5);
	host_msg(&t->f, m, 195);
	/* relid 0 and relid 2048 */
	host_offer(&t->f, netvsc_guid, 3, 0, 0);
	host_offer(&t->f, netvsc_guid, 4, 0, 2048);
	/* unknown type, guest->host type, wrong SynIC message type, oversized payload */
	host_simple(&t->f, 30, 0, 0, 0, 8);
	host_simple(&t->f, 14, 0, 0, 0, 20);
	host_msg(&t->f, m, 196);
	t->f.q[(t->f.q_tail - 1) % MAX_QUEUED].message_type = 2;
	host_msg(&t->f, m, 196);
	t->f.q[(t->f.q_tail - 1) % MAX_QUEUED].payload_size = 241;
	/* rescind of a relid never offered; GPADL_CREATED too short */
	host_simple(&t->f, 2, 9, 0, 0, 12);
	host_simple(&t->f, 10, 5, 1, 0, 16);
	/* fds on a message that must not carry any are closed */
	efd = eventfd(0, EFD_CLOEXEC);
	host_simple(&t->f, 4, 0, 0, 0, 8);
	t->f.q_fds[(t->f.q_tail - 1) % MAX_QUEUED][0] = efd;
	t->f.q_nfds[(t->f.q_tail - 1) % MAX_QUEUED] = 1;
	while (gd_vmbus_pump(&t->vb, 0) == 1)
		;
	assert_int_equal(t->vb.n_bad_msgs - bad, 10);
	assert_null(gd_vmbus_find_offer(&t->vb, &g));
	assert_int_equal(t->vb.n_replies, 0);
	assert_int_equal(fcntl(efd, F_GETFD), -1);
	assert_int_equal(errno, EBADF);
}

static void gmem_allocator(void **state)
{
	struct tctx *t = *state;
	uint64_t a, b, c;

	assert_int_equal(t->gmem.n_pages, 2048);
	assert_int_equal(gd_gmem_alloc(&t->gmem, 0, &a), -EINVAL);
	assert_int_equal(gd_gmem_alloc(&t->gmem, 10, &a), 0);
	assert_true(a >= 1); /* page 0 never handed out */
	assert_int_equal(gd_gmem_alloc(&t->gmem, 10, &b), 0);
	assert_int_equal(b, a + 10);
	gd_gmem_free(&t->gmem, a, 10);
	assert_int_equal(gd_gmem_alloc(&t->gmem, 5, &c), 0);
	assert_int_equal(c, a);
	assert_int_equal(gd_gmem_alloc(&t->gmem, 2048, &c), -ENOMEM);
	assert_int_equal(gd_gmem_largest_free(&t->gmem), 2048 - 1 - 20);
	memset(gd_gmem_va(&t->gmem, b), 0xaa, 4096);
	gd_gmem_free(&t->gmem, b, 10);
	assert_int_equal(gd_gmem_alloc(&t->gmem, 10, &b), 0);
	assert_int_equal(((uint8_t *)gd_gmem_va(&t->gmem, b))[0], 0); /* zeroed */
	assert_null(gd_gmem_va(&t->gmem, 2048));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(contact_sends_facts_4_3_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(contact_falls_back_version_by_version, setup,
			teardown),
		cmocka_unit_test_setup_teardown(contact_all_refused_is_eprotonosupport, setup,
			teardown),
		cmocka_unit_test_setup_teardown(contact_silent_host_times_out, setup, teardown),
		cmocka_unit_test_setup_teardown(offers_filtered_by_class_and_subchannel, setup,
			teardown),
		cmocka_unit_test_setup_teardown(gpadl_split_as_linux, setup, teardown),
		cmocka_unit_test_setup_teardown(gpadl_refused_is_eio, setup, teardown),
		cmocka_unit_test_setup_teardown(rescind_then_release, setup, teardown),
		cmocka_unit_test_setup_teardown(malformed_host_messages_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(gmem_allocator, setup, teardown),
	};

	gd_log_set(NULL, LOG_CRIT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
