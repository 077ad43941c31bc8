/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the guest driver's parsing of what a host sends it.
 *   byte 0 even: the rest is a sequence of 256-byte SynIC message slots fed to the VMBus client
 *                (offers, rescinds, replies, garbage), then the offer table is queried;
 *   byte 0 odd:  bytes 1..8192 are the receive buffer (as the host wrote it), the rest a
 *                sequence of {u16 length, packet} inbound ring packets fed to the netvsc packet
 *                handler (COMP, XFER_PAGES with RNDIS PACKET/INIT_C/QUERY_C/SET_C/INDICATE,
 *                INBAND); the same bytes also go through the RNDIS and NDIS_OFFLOAD parsers.
 * Completions the driver writes land in a private ring that is drained between packets.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "guest.h"
#include "internal.h"

#define FZ_RECV 8192u
#define FZ_RING (4096u * 4u)

static int fz_send(void *ctx, const struct hv_post_message *pm)
{
	return 0;
}

static int fz_recv(void *ctx, struct hv_message *hm, int *fds, unsigned int *n_fds, int t)
{
	*n_fds = 0;
	return -ETIMEDOUT;
}

static int fz_poll_fd(void *ctx)
{
	return -1;
}

static const struct gd_transport_ops fz_ops = {fz_send, fz_recv, fz_poll_fd};

static void fz_rx(void *ctx, const uint8_t *f, size_t len)
{
	volatile uint8_t sink = 0;
	size_t i;

	for (i = 0; i < len; i++)
		sink ^= f[i]; /* touch every byte: ASan checks the bounds */
	(void)sink;
}

static const struct gd_netvsc_ops fz_nd_ops = {.rx = fz_rx};

static void fz_chanmsgs(const uint8_t *data, size_t size)
{
	static const struct vmbus_guid netvsc = VMBUS_GUID_NETVSC;
	struct gd_vmbus vb;
	struct hv_message hm;
	unsigned int n_fds = 0;
	int fds[GD_MAX_MSG_FDS];

	gd_vmbus_init(&vb, &fz_ops, NULL, NULL, 0);
	while (size > 0) {
		size_t n = size < sizeof(hm) ? size : sizeof(hm);

		memset(&hm, 0, sizeof(hm));
		memcpy(&hm, data, n);
		gd_vmbus_handle_msg(&vb, &hm, fds, &n_fds);
		data += n;
		size -= n;
	}
	(void)gd_vmbus_find_offer(&vb, &netvsc);
	vb.n_replies = 0; /* no fds were passed */
}

static void fz_packets(const uint8_t *data, size_t size)
{
	static uint8_t ring[FZ_RING] __attribute__((aligned(4096)));
	static uint8_t recv[FZ_RECV];
	static struct gd_netvsc nd;
	struct gd_channel ch = {.signal_fd = -1, .intr_fd = -1};
	struct vmbus_ring host;
	struct gd_rndis_msg m;
	struct ndis_offload o;
	uint8_t drain[512];
	size_t n = size < FZ_RECV ? size : FZ_RECV;

	memset(recv, 0, sizeof(recv));
	memcpy(recv, data, n);
	(void)gd_rndis_parse(recv, n, &m);
	(void)gd_ndis_offload_check(recv, n, &o);
	data += n;
	size -= n;
	memset(ring, 0, sizeof(ring));
	if (vmbus_ring_init(&ch.out, ring, sizeof(ring), VMBUS_RING_WRITER) ||
		vmbus_ring_init(&host, ring, sizeof(ring), VMBUS_RING_READER))
		abort();
	memset(&nd, 0, offsetof(struct gd_netvsc, pkt));
	nd.ch = &ch;
	nd.ops = &fz_nd_ops;
	nd.recv_va = recv;
	nd.recv_size = FZ_RECV;
	nd.recv_sub_size = 1806;
	nd.n_sections = 170;
	nd.ctl_wait_id = 1;
	nd.ctl_wait_type = RNDIS_MSG_QUERY_C;
	nd.attached = true;
	while (size >= 2) {
		uint16_t len = (uint16_t)(data[0] | data[1] << 8);

		data += 2;
		size -= 2;
		if (len > size)
			len = (uint16_t)size;
		if (len > GD_MAX_PKT_SIZE)
			len = GD_MAX_PKT_SIZE;
		/* private, 8-aligned copy as vmbus_ring_read gives it */
		memcpy(nd.pkt, data, len);
		gd_netvsc_handle_packet(&nd, nd.pkt, len);
		while (vmbus_ring_read(&host, drain, sizeof(drain)) > 0)
			;
		vmbus_ring_read_done(&host);
		nd.out_signal = false;
		nd.broken = false;
		data += len;
		size -= len;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int once;

	if (!once) {
		gd_log_set(NULL, LOG_EMERG - 1);
		once = 1;
	}
	if (size < 1)
		return 0;
	if (data[0] & 1)
		fz_packets(data + 1, size - 1);
	else
		fz_chanmsgs(data + 1, size - 1);
	return 0;
}
