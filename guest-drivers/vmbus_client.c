/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * VMBus client: the channel-management side of Linux's hv_vmbus that a netvsc device needs
 * (facts 4): version negotiation, offers, rescinds, replies, GPADLs, unload.
 *
 * Every host message is unpacked from its SynIC slot, checked with vmbus_chanmsg_check() (size
 * per type, direction) and only then looked at; what fails is counted, logged (rate-limited) and
 * dropped, as Linux drops what its message table rejects. Replies are queued until a waiter
 * claims them, so a RESCIND or an OFFER arriving while we wait for GPADL_CREATED is not lost.
 */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

/* Versions Linux 6.1 proposes, newest first (facts 4.1); 2.4 is not supported here. */
static const uint32_t gd_vmbus_versions[] = {
	VMBUS_VERSION_WIN10_V5_3, VMBUS_VERSION_WIN10_V5_2, VMBUS_VERSION_WIN10_V5_1,
	VMBUS_VERSION_WIN10_V5,	  VMBUS_VERSION_WIN10_RS3,  VMBUS_VERSION_WIN10,
	VMBUS_VERSION_WIN8_1,
};

#define GD_CONTACT_PAGES 3u /* interrupt page (< 5.0), monitor page 1, monitor page 2 */

void gd_vmbus_init(struct gd_vmbus *vb, const struct gd_transport_ops *ops, void *ctx,
	struct gd_gmem *gmem, int timeout_ms)
{
	memset(vb, 0, sizeof(*vb));
	vb->ops = ops;
	vb->ctx = ctx;
	vb->gmem = gmem;
	vb->timeout_ms = timeout_ms;
	vb->msg_conn_id = VMBUS_MESSAGE_CONNECTION_ID;
	vb->next_gpadl = GD_GPADL_HANDLE_BASE;
}

static void reply_close_fds(struct gd_reply *r)
{
	while (r->n_fds)
		close(r->fds[--r->n_fds]);
}

void gd_vmbus_fini(struct gd_vmbus *vb)
{
	unsigned int i;

	for (i = 0; i < vb->n_replies; i++)
		reply_close_fds(&vb->replies[i]);
	vb->n_replies = 0;
	if (vb->contact_pfn && vb->gmem)
		gd_gmem_free(vb->gmem, vb->contact_pfn, GD_CONTACT_PAGES);
	vb->contact_pfn = 0;
	vb->connected = false;
}

static int vmbus_post_conn(struct gd_vmbus *vb, uint32_t conn_id, const void *msg, size_t size)
{
	struct hv_post_message pm;
	int ret;

	ret = vmbus_post_msg_pack(&pm, conn_id, msg, size);
	if (ret)
		return ret;
	return vb->ops->send(vb->ctx, &pm);
}

int gd_vmbus_post(struct gd_vmbus *vb, const void *msg, size_t size)
{
	return vmbus_post_conn(vb, vb->msg_conn_id, msg, size);
}

struct gd_offer *gd_vmbus_offer_lookup(struct gd_vmbus *vb, uint32_t relid)
{
	unsigned int i;

	for (i = 0; i < GD_MAX_OFFERS; i++) {
		struct gd_offer *o = &vb->offers[i];

		if ((o->present || o->rescinded) && o->msg.child_relid == relid)
			return o;
	}
	return NULL;
}

const struct gd_offer *gd_vmbus_find_offer(const struct gd_vmbus *vb,
	const struct vmbus_guid *if_type)
{
	unsigned int i;

	for (i = 0; i < GD_MAX_OFFERS; i++) {
		const struct gd_offer *o = &vb->offers[i];

		if (o->present && o->msg.sub_channel_index == 0 &&
			!memcmp(&o->msg.if_type, if_type, sizeof(*if_type)))
			return o;
	}
	return NULL;
}

static void vmbus_on_offer(struct gd_vmbus *vb, const struct vmbus_chanmsg_offer *m)
{
	struct gd_offer *free_slot = NULL;
	unsigned int i;

	if (m->child_relid == 0 || m->child_relid > VMBUS_MAX_RELID) {
		vb->n_bad_msgs++;
		GD_LOG_RL(LOG_WARNING, "offer with invalid relid %u dropped", m->child_relid);
		return;
	}
	for (i = 0; i < GD_MAX_OFFERS; i++) {
		struct gd_offer *o = &vb->offers[i];

		if (!o->present && !o->rescinded) {
			if (!free_slot)
				free_slot = o;
			continue;
		}
		if (o->msg.child_relid == m->child_relid) {
			/* a live relid offered again, or reused before we released it */
			vb->n_bad_msgs++;
			GD_LOG_RL(LOG_WARNING, "offer of relid %u already in use dropped",
				m->child_relid);
			return;
		}
		/* same device twice as a primary: Linux drops it with a warning (facts 4.3) */
		if (o->present && m->sub_channel_index == 0 && o->msg.sub_channel_index == 0 &&
			!memcmp(&o->msg.if_type, &m->if_type, sizeof(m->if_type)) &&
			!memcmp(&o->msg.if_instance, &m->if_instance, sizeof(m->if_instance))) {
			vb->n_bad_msgs++;
			GD_LOG_RL(LOG_WARNING, "duplicate primary offer (relid %u) dropped",
				m->child_relid);
			return;
		}
	}
	if (!free_slot) {
		vb->n_bad_msgs++;
		GD_LOG_RL(LOG_WARNING, "too many offers: relid %u dropped", m->child_relid);
		return;
	}
	free_slot->msg = *m;
	free_slot->present = true;
	free_slot->rescinded = false;
	vb->offer_gen++;
}

static void vmbus_on_rescind(struct gd_vmbus *vb, uint32_t relid)
{
	struct gd_offer *o = gd_vmbus_offer_lookup(vb, relid);

	if (!o || !o->present) {
		vb->n_bad_msgs++;
		GD_LOG_RL(LOG_WARNING, "rescind of unknown relid %u ignored", relid);
		return;
	}
	o->present = false;
	o->rescinded = true;
	vb->rescind_gen++;
}

static bool vmbus_is_reply(uint32_t type)
{
	switch (type) {
	case VMBUS_CHANMSG_VERSION_RESPONSE:
	case VMBUS_CHANMSG_OPENCHANNEL_RESULT:
	case VMBUS_CHANMSG_GPADL_CREATED:
	case VMBUS_CHANMSG_GPADL_TORNDOWN:
	case VMBUS_CHANMSG_UNLOAD_RESPONSE:
	case VMBUS_CHANMSG_MODIFYCHANNEL_RESPONSE:
		return true;
	default:
		return false;
	}
}

static void vmbus_queue_reply(struct gd_vmbus *vb, const union vmbus_chanmsg *m, uint32_t size,
	int *fds, unsigned int *n_fds)
{
	struct gd_reply *r;

	if (vb->n_replies == GD_MAX_REPLIES) {
		/* nobody claimed the oldest: an unsolicited reply, drop it */
		reply_close_fds(&vb->replies[0]);
		memmove(&vb->replies[0], &vb->replies[1],
			(GD_MAX_REPLIES - 1) * sizeof(vb->replies[0]));
		vb->n_replies--;
		vb->n_bad_msgs++;
		GD_LOG_RL(LOG_WARNING, "unclaimed host replies: oldest dropped");
	}
	r = &vb->replies[vb->n_replies++];
	r->msg = *m;
	r->size = size;
	r->n_fds = 0;
	if (m->hdr.msgtype == VMBUS_CHANMSG_OPENCHANNEL_RESULT) {
		while (*n_fds && r->n_fds < GD_MAX_MSG_FDS) {
			r->fds[r->n_fds] = fds[r->n_fds];
			r->n_fds++;
			(*n_fds)--;
		}
		/* keep the order: fds[0] is the signal eventfd, fds[1] the interrupt */
	}
}

/* Dispatch one validated message; 'fds' not taken are closed by the caller. */
static void vmbus_dispatch(struct gd_vmbus *vb, const union vmbus_chanmsg *m, uint32_t size,
	int *fds, unsigned int *n_fds)
{
	uint32_t type = m->hdr.msgtype;

	if (vmbus_is_reply(type)) {
		vmbus_queue_reply(vb, m, size, fds, n_fds);
		return;
	}
	switch (type) {
	case VMBUS_CHANMSG_OFFERCHANNEL:
		vmbus_on_offer(vb, &m->offer);
		break;
	case VMBUS_CHANMSG_RESCIND_CHANNELOFFER:
		vmbus_on_rescind(vb, m->relid.child_relid);
		break;
	case VMBUS_CHANMSG_ALLOFFERS_DELIVERED:
		vb->all_offers = true;
		break;
	default:
		/* e.g. TL_CONNECT_RESULT: Linux 6.1 has no handler either */
		vb->n_bad_msgs++;
		GD_LOG_RL(LOG_NOTICE, "host message %s (%u) ignored", vmbus_chanmsg_name(type),
			type);
		break;
	}
}

/* Validate and dispatch one received slot. Exposed to the fuzz target through internal.h. */
void gd_vmbus_handle_msg(struct gd_vmbus *vb, const struct hv_message *hm, int *fds,
	unsigned int *n_fds)
{
	union vmbus_chanmsg m;
	int size, type;

	size = vmbus_hv_msg_unpack(hm, &m);
	if (size < 0) {
		vb->n_bad_msgs++;
		GD_LOG_RL(LOG_WARNING, "malformed host message slot dropped (%d)", size);
		return;
	}
	type = vmbus_chanmsg_check(&m, (size_t)size, VMBUS_CHANMSG_H2G);
	if (type < 0) {
		vb->n_bad_msgs++;
		GD_LOG_RL(LOG_WARNING, "invalid host message (type %u, %d bytes) dropped",
			m.hdr.msgtype, size);
		return;
	}
	if (type != VMBUS_CHANMSG_OPENCHANNEL_RESULT && *n_fds) {
		vb->n_bad_msgs++;
		GD_LOG_RL(LOG_WARNING, "fds attached to host message %s closed",
			vmbus_chanmsg_name((uint32_t)type));
	}
	vmbus_dispatch(vb, &m, (uint32_t)size, fds, n_fds);
}

int gd_vmbus_pump(struct gd_vmbus *vb, int timeout_ms)
{
	int fds[GD_MAX_MSG_FDS];
	unsigned int n_fds = 0;
	struct hv_message hm;
	int ret;

	ret = vb->ops->recv(vb->ctx, &hm, fds, &n_fds, timeout_ms);
	if (ret == -ETIMEDOUT)
		return 0;
	if (ret == -EPROTO) {
		vb->n_bad_msgs++;
		GD_LOG_RL(LOG_WARNING, "host message of the wrong size dropped");
		return 1;
	}
	if (ret < 0)
		return ret;
	gd_vmbus_handle_msg(vb, &hm, fds, &n_fds);
	while (n_fds)
		close(fds[--n_fds]);
	return 1;
}

int gd_vmbus_wait_reply(struct gd_vmbus *vb, uint32_t type,
	bool (*match)(const struct gd_reply *r, const void *arg), const void *arg,
	struct gd_reply *out)
{
	int64_t deadline = vb->timeout_ms < 0 ? -1 : gd_now_ms() + vb->timeout_ms;
	unsigned int i;
	int ret;

	for (;;) {
		for (i = 0; i < vb->n_replies; i++) {
			struct gd_reply *r = &vb->replies[i];

			if (r->msg.hdr.msgtype != type || (match && !match(r, arg)))
				continue;
			*out = *r;
			memmove(r, r + 1, (vb->n_replies - i - 1) * sizeof(*r));
			vb->n_replies--;
			return 0;
		}
		if (deadline >= 0 && gd_ms_left(deadline) == 0)
			return -ETIMEDOUT;
		ret = gd_vmbus_pump(vb, gd_ms_left(deadline));
		if (ret < 0)
			return ret;
	}
}

/* One INITIATE_CONTACT / VERSION_RESPONSE round. Returns 1 accepted, 0 refused, -errno. */
static int vmbus_try_version(struct gd_vmbus *vb, uint32_t version)
{
	uint64_t gpa = vb->contact_pfn * VMBUS_PAGE_SIZE;
	union vmbus_chanmsg m;
	struct gd_reply r;
	size_t size;
	int ret;

	size = vmbus_chanmsg_build_initiate_contact(&m, version, 0, gpa + VMBUS_PAGE_SIZE,
		gpa + 2 * VMBUS_PAGE_SIZE);
	if (version < VMBUS_VERSION_WIN10_V5)
		m.initiate_contact.interrupt_page = gpa;
	/* connection id 4 for >= 5.0, 1 below (facts 4.1) */
	ret = vmbus_post_conn(vb,
		version >= VMBUS_VERSION_WIN10_V5 ? VMBUS_MESSAGE_CONNECTION_ID_4 :
						    VMBUS_MESSAGE_CONNECTION_ID,
		&m, size);
	if (ret)
		return ret;
	ret = gd_vmbus_wait_reply(vb, VMBUS_CHANMSG_VERSION_RESPONSE, NULL, NULL, &r);
	if (ret)
		return ret;
	if (!r.msg.version_response.version_supported)
		return 0;
	vb->version = version;
	vb->msg_conn_id = version >= VMBUS_VERSION_WIN10_V5 ?
				  r.msg.version_response.msg_conn_id & 0xffffffu :
				  VMBUS_MESSAGE_CONNECTION_ID;
	return 1;
}

int gd_vmbus_connect(struct gd_vmbus *vb)
{
	union vmbus_chanmsg m;
	int64_t deadline;
	unsigned int i;
	int ret = -EPROTONOSUPPORT;

	if (!vb->contact_pfn) {
		if (!vb->gmem)
			return -EINVAL;
		ret = gd_gmem_alloc(vb->gmem, GD_CONTACT_PAGES, &vb->contact_pfn);
		if (ret)
			return ret;
		ret = -EPROTONOSUPPORT;
	}
	for (i = 0; i < sizeof(gd_vmbus_versions) / sizeof(gd_vmbus_versions[0]); i++) {
		ret = vmbus_try_version(vb, gd_vmbus_versions[i]);
		if (ret == 1)
			break;
		if (ret < 0)
			return ret; /* silence or a dead host: no point in trying older versions */
		ret = -EPROTONOSUPPORT;
	}
	if (ret != 1)
		return ret;
	vb->connected = true;
	if (vb->on_contact)
		vb->on_contact(vb->contact_arg);
	gd_log(LOG_INFO, "VMBus %u.%u, message connection id %u", vb->version >> 16,
		vb->version & 0xffff, vb->msg_conn_id);
	ret = gd_vmbus_post(vb, &m, vmbus_chanmsg_build_request_offers(&m));
	if (ret)
		return ret;
	/* Linux does not wait for ALLOFFERS_DELIVERED; we do (bounded), to know when to give up
	 * looking for a NIC */
	deadline = gd_now_ms() + (vb->timeout_ms < 0 ? 0 : vb->timeout_ms);
	while (!vb->all_offers) {
		int left = vb->timeout_ms < 0 ? -1 : gd_ms_left(deadline);

		if (left == 0)
			break;
		ret = gd_vmbus_pump(vb, left);
		if (ret < 0)
			return ret;
	}
	return 0;
}

int gd_vmbus_relid_release(struct gd_vmbus *vb, uint32_t relid)
{
	struct gd_offer *o = gd_vmbus_offer_lookup(vb, relid);
	union vmbus_chanmsg m;

	if (o)
		memset(o, 0, sizeof(*o));
	return gd_vmbus_post(vb, &m, vmbus_chanmsg_build_relid_released(&m, relid));
}

int gd_vmbus_unload(struct gd_vmbus *vb)
{
	union vmbus_chanmsg m;
	struct gd_reply r;
	int ret;

	if (!vb->connected)
		return 0;
	ret = gd_vmbus_post(vb, &m, vmbus_chanmsg_build_unload(&m));
	if (ret)
		return ret;
	ret = gd_vmbus_wait_reply(vb, VMBUS_CHANMSG_UNLOAD_RESPONSE, NULL, NULL, &r);
	vb->connected = false;
	return ret;
}

/* ---------------------------------------------------------------------------------------------
 * GPADLs
 */

struct gpadl_key {
	uint32_t relid;
	uint32_t handle;
};

static bool gpadl_created_match(const struct gd_reply *r, const void *arg)
{
	const struct gpadl_key *k = arg;

	return r->msg.gpadl_created.child_relid == k->relid &&
	       r->msg.gpadl_created.gpadl == k->handle;
}

static bool gpadl_torndown_match(const struct gd_reply *r, const void *arg)
{
	const struct gpadl_key *k = arg;

	return r->msg.gpadl_torndown.gpadl == k->handle;
}

int gd_gpadl_create(struct gd_vmbus *vb, uint32_t relid, const uint64_t *pfns, uint32_t n_pfns,
	uint32_t *handle)
{
	struct gpadl_key k = {.relid = relid};
	union vmbus_chanmsg m;
	struct gd_reply r;
	uint32_t i, n_msgs;
	int ret;

	if (n_pfns == 0 || n_pfns > UINT32_MAX / VMBUS_PAGE_SIZE)
		return -EINVAL;
	k.handle = vb->next_gpadl++;
	if (vb->next_gpadl == 0)
		vb->next_gpadl = GD_GPADL_HANDLE_BASE;
	n_msgs = vmbus_gpadl_n_msgs(n_pfns);
	/* the header, then the bodies back to back (facts 4.3) */
	for (i = 0; i < n_msgs; i++) {
		ret = vmbus_gpadl_build_msg(&m, i, relid, k.handle, 0, n_pfns * VMBUS_PAGE_SIZE,
			pfns, n_pfns);
		if (ret < 0)
			return ret;
		ret = gd_vmbus_post(vb, &m, (size_t)ret);
		if (ret)
			return ret;
	}
	ret = gd_vmbus_wait_reply(vb, VMBUS_CHANMSG_GPADL_CREATED, gpadl_created_match, &k, &r);
	if (ret)
		return ret;
	if (r.msg.gpadl_created.creation_status != 0) {
		gd_log(LOG_ERR, "GPADL %#x of relid %u refused (status %#x)", k.handle, relid,
			r.msg.gpadl_created.creation_status);
		return -EIO;
	}
	*handle = k.handle;
	return 0;
}

int gd_gpadl_create_run(struct gd_vmbus *vb, uint32_t relid, uint64_t pfn, uint32_t n_pages,
	uint32_t *handle)
{
	uint64_t *pfns;
	uint32_t i;
	int ret;

	if (n_pages == 0)
		return -EINVAL;
	pfns = malloc((size_t)n_pages * sizeof(*pfns));
	if (!pfns)
		return -ENOMEM;
	for (i = 0; i < n_pages; i++)
		pfns[i] = pfn + i;
	ret = gd_gpadl_create(vb, relid, pfns, n_pages, handle);
	free(pfns);
	return ret;
}

int gd_gpadl_teardown(struct gd_vmbus *vb, uint32_t relid, uint32_t handle)
{
	struct gpadl_key k = {.relid = relid, .handle = handle};
	union vmbus_chanmsg m;
	struct gd_reply r;
	int ret;

	ret = gd_vmbus_post(vb, &m, vmbus_chanmsg_build_gpadl_teardown(&m, relid, handle));
	if (ret)
		return ret;
	return gd_vmbus_wait_reply(vb, VMBUS_CHANMSG_GPADL_TORNDOWN, gpadl_torndown_match, &k, &r);
}
