/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for vmbus/chanmsg.c + gpadl.c as the hypervisor's VMBus server sees a guest:
 * a sequence of channel messages, each framed as an HvPostMessage, validated, and GPADL
 * messages fed to one assembler over a small fake memory (256 pages). Must never crash, leak
 * or accept a GPADL that breaks its invariants.
 *
 * Input: records of [u8 len][u8 options][len bytes of message]. options bit 0: corrupt the
 * HvPostMessage payload_size with the message's first byte; bit 1: also check as H->G and
 * through a SynIC slot; bit 2: drop incomplete GPADLs of relid (message byte 8); bit 3: reset.
 */
#include "vmbus.h"

#include <stdint.h>
#include <string.h>

#define MEM_PAGES 256u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_gpadl(const struct vmbus_gpadl *g)
{
	uint32_t i;

	if (g->byte_count == 0 || g->byte_offset > 0xfff || g->n_pfns == 0 ||
		g->n_pfns != vmbus_range_pfns(g->byte_offset, g->byte_count))
		__builtin_trap();
	for (i = 0; i < g->n_pfns; i++) {
		if (g->pfns[i] >= MEM_PAGES)
			__builtin_trap();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vmbus_gpadl_asm *a = vmbus_gpadl_asm_create(MEM_PAGES);
	size_t off = 0;

	if (a == NULL)
		return 0;
	while (off + 2 <= size) {
		size_t len = data[off], avail = size - off - 2;
		uint8_t opt = data[off + 1];
		const uint8_t *msg = data + off + 2;
		struct hv_post_message pm;
		union vmbus_chanmsg m;
		uint32_t conn;
		int n, type;

		if (len > avail)
			len = avail;
		off += 2 + len;

		memset(&pm, 0, sizeof(pm));
		pm.connection_id = 4;
		pm.message_type = VMBUS_MESSAGE_TYPE;
		pm.payload_size = (uint32_t)len;
		if ((opt & 1) && len > 0)
			pm.payload_size = (uint32_t)msg[0] * 3u;
		memcpy(pm.payload, msg, len > sizeof(pm.payload) ? sizeof(pm.payload) : len);
		n = vmbus_post_msg_unpack(&pm, &conn, &m);
		if (n < 0)
			continue;
		if (n > 240 || conn != 4)
			__builtin_trap();

		type = vmbus_chanmsg_check(m.raw, (size_t)n, VMBUS_CHANMSG_G2H);
		if (opt & 2) {
			struct hv_message hm;
			union vmbus_chanmsg back;

			(void)vmbus_chanmsg_check(m.raw, (size_t)n, VMBUS_CHANMSG_H2G);
			if (vmbus_hv_msg_pack(&hm, m.raw, (size_t)n) != 0 ||
				vmbus_hv_msg_unpack(&hm, &back) != n ||
				memcmp(back.raw, m.raw, (size_t)n) != 0)
				__builtin_trap();
		}
		if (type == VMBUS_CHANMSG_GPADL_HEADER || type == VMBUS_CHANMSG_GPADL_BODY) {
			struct vmbus_gpadl *g = NULL;
			struct vmbus_gpadl_id id;
			int ret = vmbus_gpadl_asm_feed(a, m.raw, (size_t)n, &id, &g);

			if (ret == 1) {
				if (g == NULL || !id.valid || id.handle != g->handle)
					__builtin_trap();
				check_gpadl(g);
				vmbus_gpadl_free(g);
			} else if (g != NULL) {
				__builtin_trap();
			}
		} else if (type > 0) {
			if ((size_t)n < (size_t)vmbus_chanmsg_min_size((uint32_t)type,
						VMBUS_CHANMSG_G2H))
				__builtin_trap();
		}
		if (vmbus_gpadl_asm_pending(a) > VMBUS_GPADL_MAX_PENDING)
			__builtin_trap();
		if (opt & 4)
			(void)vmbus_gpadl_asm_drop_relid(a, m.relid.child_relid);
		if (opt & 8)
			(void)vmbus_gpadl_asm_reset(a);
	}
	vmbus_gpadl_asm_destroy(a);
	return 0;
}
