/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One NIC's VMBus channel on the host side (facts 4.3, 4.4, 9 items 2, 3, 7): its offer, its
 * GPADLs, open and close, GPADL teardown, and the rescind / re-offer that follows the loss of
 * vswitchd.
 *
 * Each step that gives vswitchd access to guest pages, or takes it away, waits for vswitchd's
 * reply before the guest is answered (vmbus_user.c queues the requests in order):
 *   GPADL complete   -> GPADL_ADD  -> GPADL_CREATED
 *   OPENCHANNEL      -> CHAN_OPEN  -> OPENCHANNEL_RESULT (+ the two doorbells)
 *   CLOSECHANNEL     -> CHAN_CLOSE (no guest answer; a later GPADL_DEL queues behind it)
 *   GPADL_TEARDOWN   -> GPADL_DEL  -> GPADL_TORNDOWN
 * With no vswitchd (not connected, or before its HELLO), GPADLs are answered at once and kept,
 * and an OPENCHANNEL waits until one says HELLO; then its GPADLs are added and the channel
 * opened. If vswitchd goes away while a channel is open, the channel is rescinded; on the
 * guest's RELID_RELEASED its GPADLs are freed here (the guest skips their teardown after a
 * rescind) and the channel is offered again with the same relid.
 *
 * Subchannels (multi-queue, facts 4.2 offer field sub_channel_index, 6.1 type 133): offered when
 * vswitchd sends SUBCHAN_REQ (vmm_chan_subchan_request), at most the NIC's queues - 1, each with
 * the primary's GUIDs, its own relid and sub_index 1..n. Their GPADLs, opens, closes and
 * teardowns go the same way as the primary's (CHAN_OPEN carries the sub_channel_index). They are
 * rescinded with the primary (its close, or the loss of vswitchd), as OpenVMM does (facts 4.4), and
 * once the guest releases them they stay unoffered until vswitchd asks again (a Linux guest asks
 * after every re-attach).
 */
#include "vmbus_server.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "internal.h"

static const char *const chan_state_names[VMM_CHAN_STATE_COUNT] = {
	"idle", "offered", "opening", "open", "rescinded"};

const char *vmm_chan_state_name(enum vmm_chan_state s)
{
	return (unsigned int)s < VMM_CHAN_STATE_COUNT ? chan_state_names[s] : "?";
}

uint32_t vmm_vb_sub_relid(unsigned int index, unsigned int k)
{
	return VMM_MAX_NICS + 1 + index * (VMM_MAX_QUEUES - 1) + (k - 1);
}

/* Channels of a NIC: 0 the primary, 1..queues-1 its subchannels. */
static unsigned int n_chans(const struct vmm_vb_nic *nic)
{
	unsigned int q = nic->cfg.queues;

	return q < 1 ? 1 : q > VMM_MAX_QUEUES ? VMM_MAX_QUEUES : q;
}

static struct vmm_vb_chan *nic_chan(struct vmm_vb_nic *nic, unsigned int i)
{
	return i == 0 ? &nic->chan : &nic->sub[i - 1];
}

static void chan_init(struct vmm_vb_nic *nic, struct vmm_vb_chan *c, unsigned int k)
{
	memset(c, 0, sizeof(*c));
	c->relid = k == 0 ? nic->index + 1 : vmm_vb_sub_relid(nic->index, k);
	c->sub_index = (uint16_t)k;
	c->state = VMM_CHAN_IDLE;
	c->signal_fd = c->intr_fd = c->intr_host_fd = -1;
	vmm_vb_instance_guid(nic->vb->name, nic->index, &c->instance);
}

void vmm_chan_init(struct vmm_vb_nic *nic)
{
	unsigned int i;

	for (i = 0; i < VMM_MAX_QUEUES; i++)
		chan_init(nic, nic_chan(nic, i), i);
}

struct vmm_vb_chan *vmm_chan_find(struct vmm_vmbus *vb, uint32_t relid, struct vmm_vb_nic **nicp)
{
	struct vmm_vb_nic *nic;
	uint32_t idx, k;

	if (relid >= 1 && relid <= vb->n_nics) {
		nic = &vb->nics[relid - 1];
		k = 0;
	} else {
		if (relid < VMM_MAX_NICS + 1)
			return NULL;
		idx = relid - (VMM_MAX_NICS + 1);
		if (idx / (VMM_MAX_QUEUES - 1) >= vb->n_nics)
			return NULL;
		nic = &vb->nics[idx / (VMM_MAX_QUEUES - 1)];
		k = idx % (VMM_MAX_QUEUES - 1) + 1;
		if (k >= n_chans(nic))
			return NULL;
	}
	if (nicp)
		*nicp = nic;
	return nic_chan(nic, k);
}

struct vmm_vb_nic *vmm_chan_lookup(struct vmm_vmbus *vb, uint32_t relid)
{
	struct vmm_vb_nic *nic = NULL;

	return vmm_chan_find(vb, relid, &nic) ? nic : NULL;
}

/* The channel of an offered relid (its NIC in '*nicp'), or NULL after counting the error. */
static struct vmm_vb_chan *offered(
	struct vmm_vmbus *vb, uint32_t relid, const char *what, struct vmm_vb_nic **nicp)
{
	struct vmm_vb_chan *c = vmm_chan_find(vb, relid, nicp);

	if (c == NULL || c->state == VMM_CHAN_IDLE) {
		vmm_vb_error(vb, VMM_VB_ERR_RELID, "%s for relid %u", what, relid);
		return NULL;
	}
	return c;
}

static void close_fds(struct vmm_vb_chan *c)
{
	if (c->signal_fd >= 0)
		close(c->signal_fd);
	if (c->intr_fd >= 0)
		close(c->intr_fd);
	if (c->intr_host_fd >= 0)
		close(c->intr_host_fd);
	c->signal_fd = c->intr_fd = c->intr_host_fd = -1;
}

/*
 * The doorbells of an open channel. The guest's signal is an eventfd (vswitchd never reads it;
 * it polls the ring). The interrupt is a pipe, not an eventfd: an fd passed with SCM_RIGHTS is
 * the same open file in both processes, so a guest holding vswitchd's interrupt eventfd could
 * clear its O_NONBLOCK (fcntl) and saturate its counter (a write of 2^64 - 2), and vswitchd's
 * next doorbell write() would block its worker for good (hostile_guest_test, phase "doorbell").
 * With a pipe the guest holds only the read end, a file of its own: vswitchd's write end stays
 * non-blocking whatever the guest does, and a full pipe (a guest that never reads) is EAGAIN.
 * Returns NULL, or why the doorbells could not be made.
 */
static const char *doorbells_create(struct vmm_vb_chan *c)
{
	int p[2];

	c->signal_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (c->signal_fd < 0 || pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0) {
		close_fds(c);
		return "no eventfd or pipe";
	}
	c->intr_fd = p[0];
	c->intr_host_fd = p[1];
	return NULL;
}

/* ---- GPADL records ---- */

void vmm_vb_gpadl_put(struct vmm_vb_gpadl *vg)
{
	if (vg == NULL || --vg->refs > 0)
		return;
	vmbus_gpadl_free(vg->g);
	free(vg);
}

static struct vmm_vb_gpadl *gpadl_find(struct vmm_vb_chan *c, uint32_t handle)
{
	struct vmm_vb_gpadl *vg;

	for (vg = c->gpadls; vg; vg = vg->next) {
		if (vg->g->handle == handle)
			return vg;
	}
	return NULL;
}

/* Handles are unique per partition: GPADL_TORNDOWN names only the handle (facts 4.3). */
static bool handle_in_use(struct vmm_vmbus *vb, uint32_t handle)
{
	unsigned int i;

	for (i = 0; i < vb->n_nics; i++) {
		for (unsigned int k = 0; k < n_chans(&vb->nics[i]); k++) {
			if (gpadl_find(nic_chan(&vb->nics[i], k), handle))
				return true;
		}
	}
	return false;
}

static void gpadl_unlink(struct vmm_vmbus *vb, struct vmm_vb_chan *c, struct vmm_vb_gpadl *vg)
{
	struct vmm_vb_gpadl **pp;

	for (pp = &c->gpadls; *pp; pp = &(*pp)->next) {
		if (*pp == vg) {
			*pp = vg->next;
			vg->listed = false;
			c->n_gpadls--;
			c->gpadl_pages -= vg->g->n_pfns;
			vb->shared_pages -= vg->g->n_pfns;
			vmm_vb_gpadl_put(vg);
			return;
		}
	}
}

void vmm_chan_forget(struct vmm_vb_nic *nic)
{
	unsigned int i;

	for (i = 0; i < n_chans(nic); i++) {
		struct vmm_vb_chan *c = nic_chan(nic, i);

		while (c->gpadls)
			gpadl_unlink(nic->vb, c, c->gpadls);
		close_fds(c);
		c->state = VMM_CHAN_IDLE;
		c->guest_open = c->open_queued = c->at_switch = c->reoffer = false;
	}
}

/* ---- messages to the guest ---- */

static int chan_offer(struct vmm_vb_nic *nic, struct vmm_vb_chan *c)
{
	static const struct vmbus_guid netvsc = VMBUS_GUID_NETVSC;
	union vmbus_chanmsg m;
	size_t n;

	n = vmbus_chanmsg_build_offer(
		&m, &netvsc, &c->instance, c->sub_index, c->relid, c->relid | VMM_VB_CONN_ID_FLAG);
	c->state = VMM_CHAN_OFFERED;
	c->reoffer = false;
	c->n_offers++;
	return vmm_vb_send(nic->vb, &m, n, NULL, 0);
}

int vmm_chan_offer(struct vmm_vb_nic *nic)
{
	return chan_offer(nic, &nic->chan);
}

static void chan_rescind(struct vmm_vb_nic *nic, struct vmm_vb_chan *c)
{
	union vmbus_chanmsg m;
	size_t n = vmbus_chanmsg_build_rescind(&m, c->relid);

	c->state = VMM_CHAN_RESCINDED;
	c->reoffer = false;
	c->n_rescinds++;
	vmm_vb_send(nic->vb, &m, n, NULL, 0);
}

/* The primary goes (closed or rescinded): so do its subchannels. 'at_switch' false: vswitchd
 * forgets a NIC's subchannels with its primary (CHAN_CLOSE / loss), no CHAN_CLOSE is owed. */
static void subs_rescind(struct vmm_vb_nic *nic)
{
	unsigned int i;

	for (i = 1; i < n_chans(nic); i++) {
		struct vmm_vb_chan *c = nic_chan(nic, i);

		c->at_switch = false;
		if (c->state == VMM_CHAN_OFFERED || c->state == VMM_CHAN_OPENING ||
			c->state == VMM_CHAN_OPEN)
			chan_rescind(nic, c);
		else if (c->state == VMM_CHAN_RESCINDED)
			c->reoffer = false;
	}
}

uint32_t vmm_chan_subchan_request(struct vmm_vb_nic *nic, uint32_t count)
{
	unsigned int i;

	if (count > n_chans(nic) - 1)
		count = n_chans(nic) - 1;
	if (!nic->chan.guest_open)
		return 0; /* asked for an attach that is gone */
	for (i = 1; i <= count; i++) {
		struct vmm_vb_chan *c = nic_chan(nic, i);

		if (c->state == VMM_CHAN_IDLE)
			chan_offer(nic, c);
		else if (c->state == VMM_CHAN_RESCINDED)
			c->reoffer = true; /* offered again once the guest released the old one */
	}
	VMM_LOG(INFO, "partition %s: vmbus: nic %u: %u subchannel(s) offered", nic->vb->name,
		nic->index, count);
	return count;
}

static void gpadl_created(struct vmm_vmbus *vb, uint32_t relid, uint32_t handle, uint32_t status)
{
	union vmbus_chanmsg m;
	size_t n = vmbus_chanmsg_build_gpadl_created(&m, relid, handle, status);

	vmm_vb_send(vb, &m, n, NULL, 0);
}

static void gpadl_torndown(struct vmm_vmbus *vb, uint32_t handle)
{
	union vmbus_chanmsg m;
	size_t n = vmbus_chanmsg_build_gpadl_torndown(&m, handle);

	vmm_vb_send(vb, &m, n, NULL, 0);
}

static void open_result(struct vmm_vb_nic *nic, struct vmm_vb_chan *c, uint32_t status)
{
	int fds[2] = {c->signal_fd, c->intr_fd};
	union vmbus_chanmsg m;
	size_t n = vmbus_chanmsg_build_open_result(&m, c->relid, c->open_id, status);

	/* hv_msg.h: [0] signal eventfd, [1] interrupt pipe's read end, on success only */
	vmm_vb_send(nic->vb, &m, n, fds, status == 0 ? 2 : 0);
}

/* ---- GPADLs ---- */

/* Remember a refused handle: the bodies the guest still sends for it are dropped quietly. */
static void refuse_gpadl(struct vmm_vmbus *vb, uint32_t relid, uint32_t handle, const char *why)
{
	vb->refused[vb->refused_next] = handle;
	vb->refused_next = (vb->refused_next + 1) % VMM_VB_REFUSED_HANDLES;
	vmm_vb_error(vb, VMM_VB_ERR_GPADL_REFUSED, "GPADL %#x of relid %u: %s", handle, relid, why);
	gpadl_created(vb, relid, handle, VMM_VB_STATUS_FAIL);
}

static bool refused_has(const struct vmm_vmbus *vb, uint32_t handle)
{
	unsigned int i;

	for (i = 0; i < VMM_VB_REFUSED_HANDLES; i++) {
		if (handle != 0 && vb->refused[i] == handle)
			return true;
	}
	return false;
}

static void refused_forget(struct vmm_vmbus *vb, uint32_t handle)
{
	unsigned int i;

	for (i = 0; i < VMM_VB_REFUSED_HANDLES; i++) {
		if (vb->refused[i] == handle)
			vb->refused[i] = 0;
	}
}

static void gpadl_complete(struct vmm_vmbus *vb, struct vmbus_gpadl *g)
{
	struct vmm_vb_nic *nic = NULL;
	struct vmm_vb_chan *c = vmm_chan_find(vb, g->relid, &nic);
	struct vmm_vb_gpadl *vg;
	uint32_t relid = g->relid, handle = g->handle;
	const char *why = NULL;

	if (c == NULL || c->state == VMM_CHAN_IDLE || c->state == VMM_CHAN_RESCINDED)
		why = "channel rescinded";
	else if (c->n_gpadls >= VMM_VB_MAX_GPADLS_PER_CHAN)
		why = "too many GPADLs on the channel";
	else if (vb->shared_pages + g->n_pfns > VMM_VB_MAX_SHARED_PAGES)
		why = "shared memory limit reached";
	vg = why ? NULL : calloc(1, sizeof(*vg));
	if (vg == NULL) {
		vmbus_gpadl_free(g);
		refuse_gpadl(vb, relid, handle, why ? why : "out of memory");
		return;
	}
	vg->g = g;
	vg->refs = 1;
	vg->listed = true;
	vg->next = c->gpadls;
	c->gpadls = vg;
	c->n_gpadls++;
	c->gpadl_pages += g->n_pfns;
	vb->shared_pages += g->n_pfns;
	if (!vmm_vu_ready(nic)) {
		gpadl_created(vb, relid, handle, 0);
		return;
	}
	vg->add_queued = true;
	if (vmm_vu_request(nic, VMM_VU_OP_GPADL_ADD, relid, handle, vg, true)) {
		vg->add_queued = false;
		gpadl_unlink(vb, c, vg);
		refuse_gpadl(vb, relid, handle, "too many requests queued for vswitchd");
	}
}

void vmm_chan_gpadl_msg(struct vmm_vmbus *vb, const union vmbus_chanmsg *m, size_t size)
{
	struct vmbus_gpadl_id id = {0};
	struct vmbus_gpadl *done = NULL;
	int ret;

	if (m->hdr.msgtype == VMBUS_CHANMSG_GPADL_HEADER) {
		if (offered(vb, m->gpadl_header.child_relid, "GPADL_HEADER", NULL) == NULL)
			return;
		if (handle_in_use(vb, m->gpadl_header.gpadl)) {
			vmm_vb_error(vb, VMM_VB_ERR_GPADL, "GPADL handle %#x already in use",
				m->gpadl_header.gpadl);
			return;
		}
		refused_forget(vb, m->gpadl_header.gpadl);
	} else if (refused_has(vb, m->gpadl_body.gpadl)) {
		return; /* the rest of a GPADL already answered with a failure */
	}
	ret = vmbus_gpadl_asm_feed(vb->gasm, m, size, &id, &done);
	if (ret == 1) {
		gpadl_complete(vb, done);
		return;
	}
	if (ret == 0)
		return;
	switch (ret) {
	case -EOPNOTSUPP:
	case -E2BIG:
	case -EFAULT:
	case -ENOBUFS:
	case -ENOMEM:
		if (id.valid) {
			refuse_gpadl(vb, id.relid, id.handle, strerror(-ret));
			return;
		}
		break;
	}
	vmm_vb_error(vb, VMM_VB_ERR_GPADL, "%s: %s", vmbus_chanmsg_name(m->hdr.msgtype),
		strerror(-ret));
}

void vmm_chan_gpadl_teardown(struct vmm_vmbus *vb, uint32_t relid, uint32_t handle)
{
	struct vmm_vb_nic *nic = NULL;
	struct vmm_vb_chan *c = offered(vb, relid, "GPADL_TEARDOWN", &nic);
	struct vmm_vb_gpadl *vg;

	if (c == NULL)
		return;
	vg = gpadl_find(c, handle);
	if (vg == NULL) {
		vmm_vb_error(vb, VMM_VB_ERR_GPADL, "teardown of unknown GPADL %#x", handle);
		return;
	}
	if (vg->tearing_down) {
		vmm_vb_error(vb, VMM_VB_ERR_STATE, "second teardown of GPADL %#x", handle);
		return;
	}
	if (handle == c->ring_gpadl && (c->guest_open || c->state == VMM_CHAN_OPENING)) {
		vmm_vb_error(vb, VMM_VB_ERR_STATE, "teardown of the ring of open relid %u", relid);
		return;
	}
	vg->tearing_down = true;
	if ((vg->at_switch || vg->add_queued) &&
		vmm_vu_request(nic, VMM_VU_OP_GPADL_DEL, relid, handle, NULL, true) == 0)
		return; /* GPADL_TORNDOWN once vswitchd has unmapped it */
	gpadl_unlink(vb, c, vg);
	gpadl_torndown(vb, handle);
}

/* ---- open, close, release, modify ---- */

/* Give vswitchd what it does not know yet of channel 'c': GPADLs, then a waiting open. */
static void chan_catch_up(struct vmm_vb_nic *nic, struct vmm_vb_chan *c)
{
	struct vmm_vb_gpadl *vg;

	for (vg = c->gpadls; vg; vg = vg->next) {
		if (vg->at_switch || vg->add_queued || vg->tearing_down)
			continue;
		if (vmm_vu_request(nic, VMM_VU_OP_GPADL_ADD, c->relid, vg->g->handle, vg, false))
			return;
		vg->add_queued = true;
	}
	if (c->state == VMM_CHAN_OPENING && !c->open_queued &&
		vmm_vu_request(nic, VMM_VU_OP_CHAN_OPEN, c->relid, 0, NULL, true) == 0)
		c->open_queued = true;
}

/* The primary first: vswitchd attaches subchannels to an open primary. */
static void switch_catch_up(struct vmm_vb_nic *nic)
{
	unsigned int i;

	for (i = 0; i < n_chans(nic); i++) {
		struct vmm_vb_chan *c = nic_chan(nic, i);

		if (c->state != VMM_CHAN_IDLE && c->state != VMM_CHAN_RESCINDED)
			chan_catch_up(nic, c);
	}
}

/* Why a ring GPADL cannot carry this open (facts 4.3, 9 item 4), or NULL. */
static const char *ring_check(const struct vmm_vb_gpadl *vg, uint32_t offset)
{
	if (vg == NULL)
		return "unknown ring GPADL";
	if (vg->tearing_down)
		return "ring GPADL being torn down";
	if (vg->g->byte_offset != 0 || (uint64_t)vg->g->byte_count != (uint64_t)vg->g->n_pfns << 12)
		return "ring GPADL is not whole pages";
	if (offset < 2 || offset > vg->g->n_pfns || vg->g->n_pfns - offset < 2)
		return "ring split leaves a ring under 2 pages";
	return NULL;
}

void vmm_chan_open(struct vmm_vmbus *vb, const struct vmbus_chanmsg_open *m)
{
	struct vmm_vb_nic *nic = NULL;
	struct vmm_vb_chan *c = offered(vb, m->child_relid, "OPENCHANNEL", &nic);
	const char *why;

	if (c == NULL)
		return;
	if (c->sub_index && !nic->chan.guest_open && c->state == VMM_CHAN_OFFERED) {
		vmm_vb_error(vb, VMM_VB_ERR_OPEN_REFUSED, "relid %u: primary not open", c->relid);
		open_result(nic, c, VMM_VB_STATUS_FAIL);
		return;
	}
	if (c->state != VMM_CHAN_OFFERED && c->state != VMM_CHAN_RESCINDED) {
		vmm_vb_error(vb, VMM_VB_ERR_STATE, "OPENCHANNEL of relid %u, %s", c->relid,
			vmm_chan_state_name(c->state));
		return;
	}
	c->open_id = m->open_id;
	why = c->state == VMM_CHAN_RESCINDED
		      ? "channel rescinded"
		      : ring_check(gpadl_find(c, m->ring_gpadl), m->downstream_ring_page_offset);
	if (why == NULL)
		why = doorbells_create(c);
	if (why) {
		vmm_vb_error(vb, VMM_VB_ERR_OPEN_REFUSED, "relid %u: %s", c->relid, why);
		open_result(nic, c, VMM_VB_STATUS_FAIL);
		return;
	}
	c->ring_gpadl = m->ring_gpadl;
	c->target_vp = m->target_vp;
	c->downstream = m->downstream_ring_page_offset;
	c->state = VMM_CHAN_OPENING;
	if (vmm_vu_ready(nic))
		chan_catch_up(nic, c);
	/* else: the guest waits (as with Hyper-V, without timeout) for a vswitchd */
}

void vmm_chan_close(struct vmm_vmbus *vb, uint32_t relid)
{
	struct vmm_vb_nic *nic = NULL;
	struct vmm_vb_chan *c = offered(vb, relid, "CLOSECHANNEL", &nic);

	if (c == NULL)
		return;
	if (!c->guest_open) {
		vmm_vb_error(vb, VMM_VB_ERR_STATE, "CLOSECHANNEL of relid %u, %s", relid,
			vmm_chan_state_name(c->state));
		return;
	}
	c->guest_open = false;
	close_fds(c);
	if (c->at_switch)
		vmm_vu_request(nic, VMM_VU_OP_CHAN_CLOSE, relid, 0, NULL, false);
	c->at_switch = false;
	if (c->state == VMM_CHAN_OPEN)
		c->state = VMM_CHAN_OFFERED;
	if (c->sub_index == 0)
		subs_rescind(nic);
}

void vmm_chan_relid_released(struct vmm_vmbus *vb, uint32_t relid)
{
	struct vmm_vb_nic *nic = NULL;
	struct vmm_vb_chan *c = offered(vb, relid, "RELID_RELEASED", &nic);
	struct vmm_vb_gpadl *vg, *next;

	if (c == NULL)
		return;
	if (c->state != VMM_CHAN_RESCINDED) {
		vmm_vb_error(vb, VMM_VB_ERR_STATE, "RELID_RELEASED of relid %u, %s", relid,
			vmm_chan_state_name(c->state));
		return;
	}
	if (c->guest_open)
		vmm_chan_close(vb, relid);
	vmbus_gpadl_asm_drop_relid(vb->gasm, relid);
	/* facts 4.3: after a rescind the guest skips its teardowns; the GPADLs are ours to free */
	for (vg = c->gpadls; vg; vg = next) {
		next = vg->next;
		if (vg->tearing_down)
			continue; /* its GPADL_DEL is under way */
		vg->tearing_down = true;
		if ((vg->at_switch || vg->add_queued) &&
			vmm_vu_request(nic, VMM_VU_OP_GPADL_DEL, relid, vg->g->handle, NULL, false) ==
				0)
			continue;
		gpadl_unlink(vb, c, vg);
	}
	if (c->sub_index && !c->reoffer) {
		/* offered again only when vswitchd asks for subchannels again */
		c->state = VMM_CHAN_IDLE;
		return;
	}
	VMM_LOG(INFO, "partition %s: vmbus: relid %u released, offered again", vb->name, relid);
	chan_offer(nic, c);
}

void vmm_chan_modify(struct vmm_vmbus *vb, const struct vmbus_chanmsg_modifychannel *m)
{
	struct vmm_vb_chan *c;
	union vmbus_chanmsg r;
	size_t n;

	if (vb->version < VMBUS_VERSION_WIN10_RS3) {
		vmm_vb_error(vb, VMM_VB_ERR_STATE, "MODIFYCHANNEL before version 4.1");
		return;
	}
	c = offered(vb, m->child_relid, "MODIFYCHANNEL", NULL);
	if (c == NULL)
		return;
	/* informative: vswitchd signals one eventfd whatever the target VP */
	c->target_vp = m->target_vp;
	if (vb->version >= VMBUS_VERSION_WIN10_V5_3) {
		n = vmbus_chanmsg_build_modifychannel_response(&r, m->child_relid, 0);
		vmm_vb_send(vb, &r, n, NULL, 0);
	}
}

/* ---- vswitchd events ---- */

static void gpadl_add_done(struct vmm_vb_nic *nic, struct vmm_vu_op *op, enum vmm_vu_result res,
	uint32_t status)
{
	struct vmm_vmbus *vb = nic->vb;
	struct vmm_vb_gpadl *vg = op->gpadl;
	struct vmm_vb_chan *c = vmm_chan_find(vb, op->relid, NULL);

	vg->add_queued = false;
	if (op->epoch != vb->epoch || !vg->listed)
		return;
	if (res == VMM_VU_REPLIED && status == 0)
		vg->at_switch = true;
	if (res == VMM_VU_GONE || (res == VMM_VU_REPLIED && status == 0)) {
		if (op->guest_waits)
			gpadl_created(vb, op->relid, op->handle, 0);
		return;
	}
	VMM_LOG(WARNING, "partition %s: vmbus: vswitchd %s GPADL %#x of relid %u", vb->name,
		res == VMM_VU_TIMEOUT ? "did not answer for" : "refused", op->handle, op->relid);
	if (!op->guest_waits)
		return; /* a replay: the guest holds it already; the channel open will tell */
	if (!vg->tearing_down && c)
		gpadl_unlink(vb, c, vg);
	refuse_gpadl(vb, op->relid, op->handle, "refused by vswitchd");
}

static void chan_open_done(struct vmm_vb_nic *nic, struct vmm_vu_op *op, enum vmm_vu_result res,
	uint32_t status)
{
	struct vmm_vb_chan *c = vmm_chan_find(nic->vb, op->relid, NULL);

	if (c == NULL)
		return;
	c->open_queued = false;
	if (op->epoch != nic->vb->epoch || c->state != VMM_CHAN_OPENING)
		return; /* reset meanwhile: the RESET behind it makes vswitchd forget it */
	if (res == VMM_VU_GONE)
		return; /* waits for the next vswitchd */
	if (res == VMM_VU_REPLIED && status == 0) {
		c->state = VMM_CHAN_OPEN;
		c->guest_open = true;
		c->at_switch = true;
		open_result(nic, c, 0);
		return;
	}
	VMM_LOG(WARNING, "partition %s: vmbus: vswitchd %s relid %u open (status %u)",
		nic->vb->name, res == VMM_VU_TIMEOUT ? "did not answer" : "refused", c->relid,
		status);
	open_result(nic, c, VMM_VB_STATUS_FAIL);
	close_fds(c);
	c->state = VMM_CHAN_OFFERED;
}

static void gpadl_del_done(struct vmm_vb_nic *nic, struct vmm_vu_op *op)
{
	struct vmm_vmbus *vb = nic->vb;
	struct vmm_vb_chan *c = vmm_chan_find(vb, op->relid, NULL);
	struct vmm_vb_gpadl *vg;

	if (op->epoch != vb->epoch)
		return;
	vg = c ? gpadl_find(c, op->handle) : NULL;
	if (vg && vg->tearing_down)
		gpadl_unlink(vb, c, vg);
	if (op->guest_waits)
		gpadl_torndown(vb, op->handle);
}

void vmm_chan_op_done(struct vmm_vb_nic *nic, struct vmm_vu_op *op, enum vmm_vu_result res,
	uint32_t status)
{
	switch (op->type) {
	case VMM_VU_OP_GPADL_ADD:
		gpadl_add_done(nic, op, res, status);
		break;
	case VMM_VU_OP_CHAN_OPEN:
		chan_open_done(nic, op, res, status);
		break;
	case VMM_VU_OP_GPADL_DEL:
		/* whatever vswitchd said, after its reply (or its loss) it no longer maps it */
		gpadl_del_done(nic, op);
		break;
	case VMM_VU_OP_RESET:
		if (op->guest_waits)
			vmm_vb_unload_step(nic->vb, op->epoch);
		break;
	case VMM_VU_OP_CHAN_CLOSE:
		break;
	}
}

void vmm_chan_switch_ready(struct vmm_vb_nic *nic)
{
	if (nic->chan.state == VMM_CHAN_IDLE || nic->chan.state == VMM_CHAN_RESCINDED)
		return;
	switch_catch_up(nic);
}

void vmm_chan_switch_lost(struct vmm_vb_nic *nic)
{
	struct vmm_vb_chan *c = &nic->chan;
	struct vmm_vb_gpadl *vg;
	unsigned int i;

	for (i = 0; i < n_chans(nic); i++) {
		for (vg = nic_chan(nic, i)->gpadls; vg; vg = vg->next)
			vg->at_switch = false;
		nic_chan(nic, i)->at_switch = false;
	}
	if (c->state != VMM_CHAN_OPEN)
		return;
	/* the rings were vswitchd's: the guest must attach again to the next one */
	VMM_LOG(NOTICE, "partition %s: vmbus: vswitchd gone, relid %u rescinded", nic->vb->name,
		c->relid);
	chan_rescind(nic, c);
	subs_rescind(nic);
}
