/* SPDX-License-Identifier: BSD-3-Clause */
/* The VMBus server's part of `vmmctl show --json`: connection, error counters, per-NIC state. */
#include "vmbus_server.h"

#include <stdio.h>

json_t *vmm_vmbus_json(const struct vmm_vmbus *vb)
{
	json_t *errors = json_object(), *j;
	char version[16];
	unsigned int e;

	for (e = 0; errors && e < VMM_VB_ERR_COUNT; e++)
		json_object_set_new(errors, vmm_vb_err_name((enum vmm_vb_err)e),
			json_integer((json_int_t)vb->errors[e]));
	snprintf(version, sizeof(version), "%u.%u", vb->version >> 16, vb->version & 0xffff);
	j = json_pack("{s:b, s:o, s:b, s:I, s:I, s:I, s:I, s:o}", "connected", vb->connected,
		"version", vb->connected ? json_string(version) : json_null(), "offers_requested",
		vb->offers_requested, "resets", (json_int_t)vb->resets, "messages_in",
		(json_int_t)vb->msgs_in, "messages_out", (json_int_t)vb->msgs_out, "shared_pages",
		(json_int_t)vb->shared_pages, "errors", errors ? errors : json_null());
	return j;
}

/* Subchannels offered (not idle, not rescinded) or open. */
static int sub_count(const struct vmm_vb_nic *nic, bool open)
{
	int n = 0;
	unsigned int i;

	for (i = 1; i < nic->cfg.queues && i < VMM_MAX_QUEUES; i++) {
		const struct vmm_vb_chan *c = &nic->sub[i - 1];

		if (open ? c->guest_open
			 : (c->state != VMM_CHAN_IDLE && c->state != VMM_CHAN_RESCINDED))
			n++;
	}
	return n;
}

static json_t *subs_json(const struct vmm_vb_nic *nic)
{
	json_t *a = json_array();
	unsigned int i;

	for (i = 1; a && i < nic->cfg.queues && i < VMM_MAX_QUEUES; i++) {
		const struct vmm_vb_chan *c = &nic->sub[i - 1];

		if (c->state == VMM_CHAN_IDLE && c->n_offers == 0)
			continue;
		json_array_append_new(
			a, json_pack("{s:i, s:i, s:s, s:i, s:i, s:i}", "index", (int)i, "relid",
				   (int)c->relid, "channel", vmm_chan_state_name(c->state),
				   "gpadls", (int)c->n_gpadls, "offers", (int)c->n_offers,
				   "rescinds", (int)c->n_rescinds));
	}
	return a ? a : json_null();
}

json_t *vmm_vmbus_nic_json(const struct vmm_vmbus *vb, unsigned int index)
{
	const struct vmm_vb_nic *nic = &vb->nics[index];
	const struct vmm_vb_chan *c = &nic->chan;
	const struct vmm_vu *vu = &nic->vu;
	json_t *sw;

	sw = json_pack("{s:b, s:b, s:o, s:I, s:I, s:I, s:I, s:i}", "connected", vu->conn_fd >= 0,
		"hello", vu->hello_done, "link",
		vu->link < 0 ? json_null() : json_string(vu->link ? "up" : "down"), "connects",
		(json_int_t)vu->connects, "refused", (json_int_t)vu->refused, "timeouts",
		(json_int_t)vu->timeouts, "protocol_errors", (json_int_t)vu->proto_errors,
		"queued_requests", (int)vu->n_ops);
	return json_pack("{s:o, s:i, s:s, s:i, s:I, s:i, s:i, s:o, s:i, s:i, s:i, s:o}", "socket",
		vu->path[0] ? json_string(vu->path) : json_null(), "relid", (int)c->relid,
		"channel", vmm_chan_state_name(c->state), "gpadls", (int)c->n_gpadls, "gpadl_pages",
		(json_int_t)c->gpadl_pages, "offers", (int)c->n_offers, "rescinds",
		(int)c->n_rescinds, "vswitchd", sw ? sw : json_null(), "queues",
		(int)(nic->cfg.queues ? nic->cfg.queues : 1), "subchannels_offered",
		sub_count(nic, false), "subchannels_open", sub_count(nic, true), "subchannels",
		subs_json(nic));
}
