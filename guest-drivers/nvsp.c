/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NVSP messages the guest sends and the completions it checks (facts 6.1, 6.2). Every request
 * is NVSP_MSG_SIZE (40) bytes, zero-padded, as Linux sends sizeof(struct nvsp_message).
 */
#include "internal.h"

#include <errno.h>

static void nvsp_zero(uint8_t m[NVSP_MSG_SIZE], uint32_t type)
{
	memset(m, 0, NVSP_MSG_SIZE);
	gd_put32(m, type);
}

void gd_nvsp_build_init(uint8_t m[NVSP_MSG_SIZE], uint32_t version)
{
	nvsp_zero(m, NVSP_MSG_TYPE_INIT);
	gd_put32(m + 4, version); /* min == max, as Linux */
	gd_put32(m + 8, version);
}

void gd_nvsp_build_ndis_config(uint8_t m[NVSP_MSG_SIZE], uint32_t mtu, uint64_t caps)
{
	nvsp_zero(m, NVSP_MSG2_TYPE_SEND_NDIS_CONFIG);
	gd_put32(m + 4, mtu);
	gd_put64(m + 12, caps);
}

void gd_nvsp_build_ndis_version(uint8_t m[NVSP_MSG_SIZE], uint32_t major, uint32_t minor)
{
	nvsp_zero(m, NVSP_MSG1_TYPE_SEND_NDIS_VER);
	gd_put32(m + 4, major);
	gd_put32(m + 8, minor);
}

void gd_nvsp_build_send_buf(uint8_t m[NVSP_MSG_SIZE], uint32_t type, uint32_t gpadl,
	uint16_t id)
{
	nvsp_zero(m, type);
	gd_put32(m + 4, gpadl);
	gd_put16(m + 8, id);
}

void gd_nvsp_build_revoke_buf(uint8_t m[NVSP_MSG_SIZE], uint32_t type, uint16_t id)
{
	nvsp_zero(m, type);
	gd_put16(m + 4, id);
}

void gd_nvsp_build_rndis_pkt(uint8_t m[NVSP_MSG_SIZE], uint32_t channel_type, uint32_t section,
	uint32_t size)
{
	nvsp_zero(m, NVSP_MSG1_TYPE_SEND_RNDIS_PKT);
	gd_put32(m + 4, channel_type);
	gd_put32(m + 8, section);
	gd_put32(m + 12, size);
}

void gd_nvsp_build_rndis_comp(uint8_t m[NVSP_MSG_SIZE], uint32_t status)
{
	nvsp_zero(m, NVSP_MSG1_TYPE_SEND_RNDIS_PKT_COMPLETE);
	gd_put32(m + 4, status);
}

uint64_t gd_nvsp_ndis_caps(uint32_t version)
{
	uint64_t caps = NVSP_NDIS_CAP_IEEE8021Q; /* facts 6.2 step 3 */

	if (version >= NVSP_VERSION_5)
		caps |= NVSP_NDIS_CAP_SRIOV | NVSP_NDIS_CAP_TEAMING;
	if (version >= NVSP_VERSION_61)
		caps |= NVSP_NDIS_CAP_RSC;
	return caps;
}

int gd_nvsp_check_init_comp(const uint8_t *p, size_t len)
{
	if (len < 16 || gd_get32(p) != NVSP_MSG_TYPE_INIT_COMPLETE)
		return -EPROTO;
	return gd_get32(p + 12) == NVSP_STAT_SUCCESS ? 0 : -EIO;
}

int gd_nvsp_check_recv_buf_comp(const uint8_t *p, size_t len, uint32_t buf_size,
	uint32_t *sub_size, uint32_t *sub_count)
{
	uint32_t size, count;

	if (len < 28 || gd_get32(p) != NVSP_MSG1_TYPE_SEND_RECV_BUF_COMPLETE)
		return -EPROTO;
	if (gd_get32(p + 4) != NVSP_STAT_SUCCESS)
		return -EIO;
	/* one section at offset 0 whose sub-allocations fit the buffer (facts 6.2 step 5) */
	if (gd_get32(p + 8) != 1 || gd_get32(p + 12) != 0)
		return -EIO;
	size = gd_get32(p + 16);
	count = gd_get32(p + 20);
	if (size < GD_NETVSC_MTU_MIN || count == 0 || (uint64_t)size * count > buf_size)
		return -EIO;
	*sub_size = size;
	*sub_count = count;
	return 0;
}

int gd_nvsp_check_send_buf_comp(const uint8_t *p, size_t len, uint32_t buf_size,
	uint32_t *section_size)
{
	uint32_t size;

	if (len < 12 || gd_get32(p) != NVSP_MSG1_TYPE_SEND_SEND_BUF_COMPLETE)
		return -EPROTO;
	if (gd_get32(p + 4) != NVSP_STAT_SUCCESS)
		return -EIO;
	size = gd_get32(p + 8);
	if (size < GD_NETVSC_MTU_MIN || size > buf_size)
		return -EIO;
	*section_size = size;
	return 0;
}

void gd_nvsp_build_subchannel(uint8_t m[NVSP_MSG_SIZE], uint32_t count)
{
	nvsp_zero(m, NVSP_MSG5_TYPE_SUBCHANNEL);
	gd_put32(m + 4, NVSP_SUBCHANNEL_ALLOCATE);
	gd_put32(m + 8, count);
}

/* Linux accepts {133, status 1, count <= requested}; anything else means one channel
 * (facts 10 step 17). */
int gd_nvsp_check_subchannel_comp(
	const uint8_t *p, size_t len, uint32_t requested, uint32_t *granted)
{
	uint32_t n;

	if (len < 12 || gd_get32(p) != NVSP_MSG5_TYPE_SUBCHANNEL)
		return -EPROTO;
	if (gd_get32(p + 4) != NVSP_STAT_SUCCESS)
		return -EIO;
	n = gd_get32(p + 8);
	if (n > requested)
		return -EIO;
	*granted = n;
	return 0;
}
