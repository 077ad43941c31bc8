/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * VMBus channel-management messages (facts 4.2, 4.3): size/direction validation, builders, and
 * framing into HvPostMessage inputs (guest -> host, facts 1.5) and SynIC message slots
 * (host -> guest, facts 3.1).
 */
#include "vmbus.h"

#include <errno.h>
#include <string.h>

#include "internal.h"

struct chanmsg_info {
	const char *name;
	uint8_t dir_mask;  /* bit VMBUS_CHANMSG_G2H / VMBUS_CHANMSG_H2G */
	uint16_t min_size; /* facts 4.2 size column (fixed part) */
};

#define G2H (1u << VMBUS_CHANMSG_G2H)
#define H2G (1u << VMBUS_CHANMSG_H2G)

/* Sizes from the facts 4.2 table; GPADL_HEADER needs its fixed part plus one range header. */
static const struct chanmsg_info chanmsg_table[VMBUS_CHANMSG_COUNT] = {
	[VMBUS_CHANMSG_OFFERCHANNEL] = {"offerchannel", H2G, 196},
	[VMBUS_CHANMSG_RESCIND_CHANNELOFFER] = {"rescind_channeloffer", H2G, 12},
	[VMBUS_CHANMSG_REQUESTOFFERS] = {"requestoffers", G2H, 8},
	[VMBUS_CHANMSG_ALLOFFERS_DELIVERED] = {"alloffers_delivered", H2G, 8},
	[VMBUS_CHANMSG_OPENCHANNEL] = {"openchannel", G2H, 148},
	[VMBUS_CHANMSG_OPENCHANNEL_RESULT] = {"openchannel_result", H2G, 20},
	[VMBUS_CHANMSG_CLOSECHANNEL] = {"closechannel", G2H, 12},
	[VMBUS_CHANMSG_GPADL_HEADER] = {"gpadl_header", G2H, 20 + 8},
	[VMBUS_CHANMSG_GPADL_BODY] = {"gpadl_body", G2H, 16},
	[VMBUS_CHANMSG_GPADL_CREATED] = {"gpadl_created", H2G, 20},
	[VMBUS_CHANMSG_GPADL_TEARDOWN] = {"gpadl_teardown", G2H, 16},
	[VMBUS_CHANMSG_GPADL_TORNDOWN] = {"gpadl_torndown", H2G, 12},
	[VMBUS_CHANMSG_RELID_RELEASED] = {"relid_released", G2H, 12},
	[VMBUS_CHANMSG_INITIATE_CONTACT] = {"initiate_contact", G2H, 40},
	[VMBUS_CHANMSG_VERSION_RESPONSE] = {"version_response", H2G, 16},
	[VMBUS_CHANMSG_UNLOAD] = {"unload", G2H, 8},
	[VMBUS_CHANMSG_UNLOAD_RESPONSE] = {"unload_response", H2G, 8},
	[VMBUS_CHANMSG_TL_CONNECT_REQUEST] = {"tl_connect_request", G2H, 40},
	[VMBUS_CHANMSG_MODIFYCHANNEL] = {"modifychannel", G2H, 16},
	/* TL_CONNECT_RESULT (23): Linux 6.1 has no handler and no layout is pinned: unknown. */
	[VMBUS_CHANMSG_MODIFYCHANNEL_RESPONSE] = {"modifychannel_response", H2G, 16},
};

_Static_assert(sizeof(struct vmbus_chanmsg_gpadl_header) + sizeof(struct vmbus_gpa_range) == 28,
	"GPADL_HEADER minimum");

int vmbus_chanmsg_min_size(uint32_t type, enum vmbus_chanmsg_dir dir)
{
	const struct chanmsg_info *info;

	if (type >= VMBUS_CHANMSG_COUNT || (dir != VMBUS_CHANMSG_G2H && dir != VMBUS_CHANMSG_H2G))
		return -EPROTO;
	info = &chanmsg_table[type];
	if ((info->dir_mask & (1u << dir)) == 0)
		return -EPROTO;
	return info->min_size;
}

int vmbus_chanmsg_check(const void *buf, size_t len, enum vmbus_chanmsg_dir dir)
{
	uint32_t type;
	int min;

	if (len < sizeof(struct vmbus_chanmsg_hdr) || len > VMBUS_MSG_PAYLOAD_MAX)
		return -EMSGSIZE;
	type = vmbus_get_u32(buf);
	min = vmbus_chanmsg_min_size(type, dir);
	if (min < 0)
		return min;
	if (len < (size_t)min)
		return -EMSGSIZE;
	return (int)type;
}

const char *vmbus_chanmsg_name(uint32_t type)
{
	if (type < VMBUS_CHANMSG_COUNT && chanmsg_table[type].name != NULL)
		return chanmsg_table[type].name;
	return "unknown";
}

static size_t chanmsg_init(union vmbus_chanmsg *m, uint32_t type, size_t size)
{
	memset(m, 0, sizeof(*m));
	m->hdr.msgtype = type;
	return size;
}

/* Host -> guest. */

size_t vmbus_chanmsg_build_offer(union vmbus_chanmsg *m, const struct vmbus_guid *if_type,
	const struct vmbus_guid *if_instance, uint16_t sub_channel_index, uint32_t child_relid,
	uint32_t connection_id)
{
	size_t n = chanmsg_init(m, VMBUS_CHANMSG_OFFERCHANNEL, sizeof(m->offer));

	m->offer.if_type = *if_type;
	m->offer.if_instance = *if_instance;
	m->offer.sub_channel_index = sub_channel_index;
	m->offer.child_relid = child_relid;
	/* no monitor page, dedicated interrupt: every guest signal is one HvSignalEvent with
	 * our connection id (facts 3.5 host recommendation) */
	m->offer.monitor_id = VMBUS_MONITOR_ID_NONE;
	m->offer.monitor_allocated = 0;
	m->offer.is_dedicated_interrupt = 1;
	m->offer.connection_id = connection_id;
	return n;
}

size_t vmbus_chanmsg_build_rescind(union vmbus_chanmsg *m, uint32_t child_relid)
{
	size_t n = chanmsg_init(m, VMBUS_CHANMSG_RESCIND_CHANNELOFFER, sizeof(m->relid));

	m->relid.child_relid = child_relid;
	return n;
}

size_t vmbus_chanmsg_build_alloffers_delivered(union vmbus_chanmsg *m)
{
	return chanmsg_init(m, VMBUS_CHANMSG_ALLOFFERS_DELIVERED, sizeof(m->hdr));
}

size_t vmbus_chanmsg_build_open_result(union vmbus_chanmsg *m, uint32_t child_relid,
	uint32_t open_id, uint32_t status)
{
	size_t n = chanmsg_init(m, VMBUS_CHANMSG_OPENCHANNEL_RESULT, sizeof(m->open_result));

	m->open_result.child_relid = child_relid;
	m->open_result.open_id = open_id;
	m->open_result.status = status;
	return n;
}

size_t vmbus_chanmsg_build_gpadl_created(union vmbus_chanmsg *m, uint32_t child_relid,
	uint32_t gpadl, uint32_t status)
{
	size_t n = chanmsg_init(m, VMBUS_CHANMSG_GPADL_CREATED, sizeof(m->gpadl_created));

	m->gpadl_created.child_relid = child_relid;
	m->gpadl_created.gpadl = gpadl;
	m->gpadl_created.creation_status = status;
	return n;
}

size_t vmbus_chanmsg_build_gpadl_torndown(union vmbus_chanmsg *m, uint32_t gpadl)
{
	size_t n = chanmsg_init(m, VMBUS_CHANMSG_GPADL_TORNDOWN, sizeof(m->gpadl_torndown));

	m->gpadl_torndown.gpadl = gpadl;
	return n;
}

size_t vmbus_chanmsg_build_version_response(union vmbus_chanmsg *m, bool supported,
	uint8_t connection_state, uint32_t msg_conn_id)
{
	size_t n = chanmsg_init(m, VMBUS_CHANMSG_VERSION_RESPONSE, sizeof(m->version_response));

	m->version_response.version_supported = supported ? 1 : 0;
	m->version_response.connection_state = connection_state;
	m->version_response.msg_conn_id = msg_conn_id;
	return n;
}

size_t vmbus_chanmsg_build_unload_response(union vmbus_chanmsg *m)
{
	return chanmsg_init(m, VMBUS_CHANMSG_UNLOAD_RESPONSE, sizeof(m->hdr));
}

size_t vmbus_chanmsg_build_modifychannel_response(union vmbus_chanmsg *m, uint32_t child_relid,
	uint32_t status)
{
	size_t n = chanmsg_init(m, VMBUS_CHANMSG_MODIFYCHANNEL_RESPONSE,
		sizeof(m->modifychannel_response));

	m->modifychannel_response.child_relid = child_relid;
	m->modifychannel_response.status = status;
	return n;
}

/* Guest -> host. */

size_t vmbus_chanmsg_build_initiate_contact(union vmbus_chanmsg *m, uint32_t version,
	uint32_t target_vcpu, uint64_t monitor_page1, uint64_t monitor_page2)
{
	size_t n = chanmsg_init(m, VMBUS_CHANMSG_INITIATE_CONTACT, sizeof(m->initiate_contact));

	m->initiate_contact.vmbus_version_requested = version;
	m->initiate_contact.target_vcpu = target_vcpu;
	/* >= 5.0 carries the message SINT here; older versions an interrupt page GPA, which we
	 * never use (facts 4.3) */
	if (version >= VMBUS_VERSION_WIN10_V5)
		m->initiate_contact.msg_sint = VMBUS_MESSAGE_SINT;
	m->initiate_contact.monitor_page1 = monitor_page1;
	m->initiate_contact.monitor_page2 = monitor_page2;
	return n;
}

size_t vmbus_chanmsg_build_request_offers(union vmbus_chanmsg *m)
{
	return chanmsg_init(m, VMBUS_CHANMSG_REQUESTOFFERS, sizeof(m->hdr));
}

size_t vmbus_chanmsg_build_open(union vmbus_chanmsg *m, uint32_t child_relid, uint32_t open_id,
	uint32_t ring_gpadl, uint32_t target_vp, uint32_t downstream_ring_page_offset)
{
	size_t n = chanmsg_init(m, VMBUS_CHANMSG_OPENCHANNEL, sizeof(m->open));

	m->open.child_relid = child_relid;
	m->open.open_id = open_id;
	m->open.ring_gpadl = ring_gpadl;
	m->open.target_vp = target_vp;
	m->open.downstream_ring_page_offset = downstream_ring_page_offset;
	return n;
}

size_t vmbus_chanmsg_build_close(union vmbus_chanmsg *m, uint32_t child_relid)
{
	size_t n = chanmsg_init(m, VMBUS_CHANMSG_CLOSECHANNEL, sizeof(m->relid));

	m->relid.child_relid = child_relid;
	return n;
}

size_t vmbus_chanmsg_build_gpadl_teardown(union vmbus_chanmsg *m, uint32_t child_relid,
	uint32_t gpadl)
{
	size_t n = chanmsg_init(m, VMBUS_CHANMSG_GPADL_TEARDOWN, sizeof(m->gpadl_teardown));

	m->gpadl_teardown.child_relid = child_relid;
	m->gpadl_teardown.gpadl = gpadl;
	return n;
}

size_t vmbus_chanmsg_build_relid_released(union vmbus_chanmsg *m, uint32_t child_relid)
{
	size_t n = chanmsg_init(m, VMBUS_CHANMSG_RELID_RELEASED, sizeof(m->relid));

	m->relid.child_relid = child_relid;
	return n;
}

size_t vmbus_chanmsg_build_unload(union vmbus_chanmsg *m)
{
	return chanmsg_init(m, VMBUS_CHANMSG_UNLOAD, sizeof(m->hdr));
}

size_t vmbus_chanmsg_build_modifychannel(union vmbus_chanmsg *m, uint32_t child_relid,
	uint32_t target_vp)
{
	size_t n = chanmsg_init(m, VMBUS_CHANMSG_MODIFYCHANNEL, sizeof(m->modifychannel));

	m->modifychannel.child_relid = child_relid;
	m->modifychannel.target_vp = target_vp;
	return n;
}

/* Framing. */

static bool chanmsg_size_ok(size_t size)
{
	return size >= sizeof(struct vmbus_chanmsg_hdr) && size <= VMBUS_MSG_PAYLOAD_MAX;
}

int vmbus_post_msg_pack(struct hv_post_message *pm, uint32_t connection_id, const void *msg,
	size_t size)
{
	if (!chanmsg_size_ok(size))
		return -EMSGSIZE;
	memset(pm, 0, sizeof(*pm));
	pm->connection_id = connection_id & 0xffffffu;
	pm->message_type = VMBUS_MESSAGE_TYPE;
	pm->payload_size = (uint32_t)size;
	memcpy(pm->payload, msg, size);
	return 0;
}

int vmbus_post_msg_unpack(const struct hv_post_message *pm, uint32_t *connection_id,
	union vmbus_chanmsg *out)
{
	/* one read of each guest field: 'pm' may still be shared */
	uint32_t type = __atomic_load_n(&pm->message_type, __ATOMIC_RELAXED);
	uint32_t size = __atomic_load_n(&pm->payload_size, __ATOMIC_RELAXED);

	if (type != VMBUS_MESSAGE_TYPE)
		return -EPROTO;
	if (!chanmsg_size_ok(size))
		return -EMSGSIZE;
	memset(out, 0, sizeof(*out));
	memcpy(out->raw, pm->payload, size);
	/* the id is the low 24 bits (facts 1.5) */
	*connection_id = __atomic_load_n(&pm->connection_id, __ATOMIC_RELAXED) & 0xffffffu;
	return (int)size;
}

int vmbus_hv_msg_pack(struct hv_message *hm, const void *msg, size_t size)
{
	if (!chanmsg_size_ok(size))
		return -EMSGSIZE;
	memset(hm, 0, sizeof(*hm));
	hm->message_type = VMBUS_MESSAGE_TYPE;
	hm->payload_size = (uint8_t)size;
	memcpy(hm->payload, msg, size);
	return 0;
}

int vmbus_hv_msg_unpack(const struct hv_message *hm, union vmbus_chanmsg *out)
{
	uint32_t type = __atomic_load_n(&hm->message_type, __ATOMIC_RELAXED);
	uint8_t size = __atomic_load_n(&hm->payload_size, __ATOMIC_RELAXED);

	if (type != VMBUS_MESSAGE_TYPE)
		return -EPROTO;
	if (!chanmsg_size_ok(size))
		return -EMSGSIZE;
	memset(out, 0, sizeof(*out));
	memcpy(out->raw, hm->payload, size);
	return size;
}
