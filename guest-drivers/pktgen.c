/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vsw-guest-pktgen: a partition init for benchmarks (vmmd --guest-init vsw-guest-pktgen). It
 * takes fds 3 and 4 as vsw-guest-init does, attaches netvsc without a tap, sends 'count' frames
 * of 'size' bytes to 'dst' as fast as the ring allows, counts and validates the test frames it
 * receives for 'seconds', and prints one JSON line.
 *
 *   vsw-guest-pktgen 'count=N size=BYTES dst=MAC seconds=S'
 *
 * Test frames: EtherType 0x88B5 (local experimental), then a u32 sequence number and bytes
 * (seq + i) & 0xff; a received frame is "bad" if that pattern does not hold.
 */
#include "guest.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PG_ETHERTYPE 0x88b5
#define PG_MIN_SIZE 60u
#define PG_MAX_SIZE 1514u

struct pg_stats {
	uint64_t rx, rx_bad, rx_other;
};

static void pg_rx(void *ctx, const uint8_t *f, size_t len)
{
	struct pg_stats *st = ctx;
	uint32_t seq;
	size_t i;

	if (len < 18 || f[12] != (PG_ETHERTYPE >> 8) || f[13] != (PG_ETHERTYPE & 0xff)) {
		st->rx_other++;
		return;
	}
	memcpy(&seq, f + 14, 4);
	for (i = 18; i < len; i++) {
		if (f[i] != (uint8_t)(seq + i)) {
			st->rx_bad++;
			return;
		}
	}
	st->rx++;
}

static void pg_frame(uint8_t *f, size_t len, const uint8_t dst[6], const uint8_t src[6],
	uint32_t seq)
{
	size_t i;

	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = PG_ETHERTYPE >> 8;
	f[13] = PG_ETHERTYPE & 0xff;
	memcpy(f + 14, &seq, 4);
	for (i = 18; i < len; i++)
		f[i] = (uint8_t)(seq + i);
}

static double pg_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int pg_parse(const char *spec, unsigned long *count, unsigned long *size, uint8_t dst[6],
	unsigned long *seconds)
{
	char *copy = strdup(spec), *save = NULL, *tok;
	int ret = 0;

	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		if (sscanf(tok, "count=%lu", count) == 1 || sscanf(tok, "size=%lu", size) == 1 ||
			sscanf(tok, "seconds=%lu", seconds) == 1)
			continue;
		if (sscanf(tok, "dst=%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &dst[0], &dst[1], &dst[2],
			    &dst[3], &dst[4], &dst[5]) == 6)
			continue;
		ret = -EINVAL;
	}
	free(copy);
	if (*size < PG_MIN_SIZE || *size > PG_MAX_SIZE)
		ret = -EINVAL;
	return ret;
}

int main(int argc, char **argv)
{
	unsigned long count = 1000, size = 64, seconds = 1, sent = 0;
	uint8_t dst[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, frame[PG_MAX_SIZE];
	struct pg_stats st = {0};
	struct gd_netvsc_ops sink = {.rx = pg_rx};
	struct gd_driver_config cfg = {
		.mem_fd = HV_MSG_FD_MEMORY,
		.msg_fd = HV_MSG_FD_SOCKET,
		.contact_timeout_ms = 5000,
		.reply_timeout_ms = 10000,
		.sink = &sink,
		.sink_ctx = &st,
	};
	struct gd_driver *d;
	struct gd_netvsc *nd;
	double t0, t_tx, t_end;

	if (argc > 2 || (argc == 2 && pg_parse(argv[1], &count, &size, dst, &seconds))) {
		fprintf(stderr, "usage: vsw-guest-pktgen 'count=N size=60..1514 dst=MAC seconds=S'\n");
		return 2;
	}
	d = gd_driver_start(&cfg);
	if (!d) {
		fprintf(stderr, "vsw-guest-pktgen: no netvsc device: %s\n", strerror(errno));
		return 1;
	}
	nd = gd_driver_netvsc(d);
	t0 = pg_now();
	while (sent < count && nd) {
		while (sent < count && gd_netvsc_can_send(nd)) {
			pg_frame(frame, size, dst, nd->mac, (uint32_t)sent);
			if (gd_netvsc_send(nd, frame, size))
				break;
			sent++;
		}
		gd_netvsc_flush(nd);
		/* wait for completions (the interrupt eventfd) when out of sections */
		if (gd_driver_poll(d, -1, gd_netvsc_can_send(nd) ? 0 : 100) < 0)
			break;
		nd = gd_driver_netvsc(d);
	}
	t_tx = pg_now() - t0;
	t_end = pg_now() + (double)seconds;
	while (pg_now() < t_end) {
		if (gd_driver_poll(d, -1, 50) < 0)
			break;
	}
	nd = gd_driver_netvsc(d);
	printf("{\"bench\":\"guest_pktgen\",\"size\":%lu,\"tx\":%lu,\"tx_seconds\":%.6f,"
	       "\"tx_pps\":%.0f,\"tx_busy\":%llu,\"rx\":%llu,\"rx_bad\":%llu,\"rx_other\":%llu}\n",
		size, sent, t_tx, t_tx > 0 ? (double)sent / t_tx : 0.0,
		nd ? (unsigned long long)nd->stats.tx_busy : 0ULL, (unsigned long long)st.rx,
		(unsigned long long)st.rx_bad, (unsigned long long)st.rx_other);
	fflush(stdout);
	gd_driver_stop(d);
	return st.rx_bad ? 1 : 0;
}
