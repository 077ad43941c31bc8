/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vsw-guest-pktgen: a partition init for benchmarks (vmmd --guest-init vsw-guest-pktgen). It
 * takes fds 3 and 4 as vsw-guest-init does, attaches netvsc without a tap, sends frames of 'size'
 * bytes to 'dst' as fast as sections and ring allow ('count' frames, or for 'tx_seconds'), counts
 * and validates the test frames it receives until 'seconds' after the sending ended, and prints
 * one JSON line; with 'ticks=1' also one line per second with its running counters.
 *
 *   vsw-guest-pktgen 'count=N size=BYTES dst=MAC seconds=S [tx_seconds=S] [ticks=1]'
 *
 * count=0 with tx_seconds=0 sends nothing: a sink. count=0 with tx_seconds > 0 sends for that
 * long with no frame limit: a timed generator.
 *
 * Test frames: EtherType 0x88B5 (local experimental), then a u32 sequence number and bytes
 * (seq + i) & 0xff; a received frame is "bad" if that pattern does not hold. The pattern is
 * copied from (and compared against) a precomputed ramp, so that building and checking a frame
 * costs a memcpy/memcmp rather than a byte loop: the benchmark measures the path, not pktgen.
 *
 * Times in the JSON lines ("t", "tx_start", "tx_end") are CLOCK_MONOTONIC seconds, which is not
 * namespaced by the partition, so a script can line up a sender's and a sink's counters.
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
#define PG_HDR 18u /* Ethernet header + sequence number */

/* ramp[k] = k & 0xff: the payload of frame 'seq' at offset i is ramp[(seq & 0xff) + i] */
static uint8_t pg_ramp[256 + PG_MAX_SIZE];

struct pg_stats {
	uint64_t rx, rx_bytes, rx_bad, rx_other;
};

struct pg_opts {
	unsigned long count, size, seconds, tx_seconds, ticks;
	uint8_t dst[6];
};

static void pg_rx(void *ctx, const uint8_t *f, size_t len)
{
	struct pg_stats *st = ctx;
	uint32_t seq;

	if (len < PG_HDR || len > PG_MAX_SIZE || f[12] != (PG_ETHERTYPE >> 8) ||
		f[13] != (PG_ETHERTYPE & 0xff)) {
		st->rx_other++;
		return;
	}
	memcpy(&seq, f + 14, 4);
	if (memcmp(f + PG_HDR, pg_ramp + (seq & 0xff) + PG_HDR, len - PG_HDR) != 0) {
		st->rx_bad++;
		return;
	}
	st->rx++;
	st->rx_bytes += len;
}

static void pg_frame(uint8_t *f, size_t len, const uint8_t dst[6], const uint8_t src[6],
	uint32_t seq)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = PG_ETHERTYPE >> 8;
	f[13] = PG_ETHERTYPE & 0xff;
	memcpy(f + 14, &seq, 4);
	memcpy(f + PG_HDR, pg_ramp + (seq & 0xff) + PG_HDR, len - PG_HDR);
}

static double pg_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int pg_parse(const char *spec, struct pg_opts *o)
{
	char *copy = strdup(spec), *save = NULL, *tok;
	uint8_t *d = o->dst;
	int ret = 0;

	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		if (sscanf(tok, "count=%lu", &o->count) == 1 ||
			sscanf(tok, "size=%lu", &o->size) == 1 ||
			sscanf(tok, "seconds=%lu", &o->seconds) == 1 ||
			sscanf(tok, "tx_seconds=%lu", &o->tx_seconds) == 1 ||
			sscanf(tok, "ticks=%lu", &o->ticks) == 1)
			continue;
		if (sscanf(tok, "dst=%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &d[0], &d[1], &d[2], &d[3],
			    &d[4], &d[5]) == 6)
			continue;
		ret = -EINVAL;
	}
	free(copy);
	if (o->size < PG_MIN_SIZE || o->size > PG_MAX_SIZE || o->seconds > 86400 ||
		o->tx_seconds > 86400)
		ret = -EINVAL;
	return ret;
}

/* One line of running counters, at most once per second. */
static void pg_tick(double *next, const struct pg_opts *o, unsigned long sent,
	const struct pg_stats *st)
{
	double now;

	if (!o->ticks)
		return;
	now = pg_now();
	if (now < *next)
		return;
	*next = now + 1.0;
	printf("{\"bench\":\"guest_pktgen_tick\",\"t\":%.6f,\"tx\":%lu,\"rx\":%llu,"
	       "\"rx_bytes\":%llu,\"rx_bad\":%llu}\n",
		now, sent, (unsigned long long)st->rx, (unsigned long long)st->rx_bytes,
		(unsigned long long)st->rx_bad);
	fflush(stdout);
}

static bool pg_more(const struct pg_opts *o, unsigned long sent, double t_stop)
{
	if (o->count && sent >= o->count)
		return false;
	if (o->tx_seconds)
		return pg_now() < t_stop;
	return sent < o->count;
}

int main(int argc, char **argv)
{
	struct pg_opts o = {.count = 1000, .size = 64, .seconds = 1,
		.dst = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
	uint8_t frame[PG_MAX_SIZE];
	unsigned long sent = 0;
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
	double t0, t1, t_stop, t_end, next_tick = 0;
	size_t k;

	if (argc > 2 || (argc == 2 && pg_parse(argv[1], &o))) {
		fprintf(stderr, "usage: vsw-guest-pktgen 'count=N size=60..1514 dst=MAC seconds=S "
				"[tx_seconds=S] [ticks=1]'\n");
		return 2;
	}
	for (k = 0; k < sizeof(pg_ramp); k++)
		pg_ramp[k] = (uint8_t)k;
	d = gd_driver_start(&cfg);
	if (!d) {
		fprintf(stderr, "vsw-guest-pktgen: no netvsc device: %s\n", strerror(errno));
		return 1;
	}
	nd = gd_driver_netvsc(d);
	t0 = pg_now();
	t_stop = t0 + (double)o.tx_seconds;
	while (nd && pg_more(&o, sent, t_stop)) {
		while (gd_netvsc_can_send(nd) && (!o.count || sent < o.count)) {
			pg_frame(frame, o.size, o.dst, nd->mac, (uint32_t)sent);
			if (gd_netvsc_send(nd, frame, o.size))
				break;
			sent++;
		}
		gd_netvsc_flush(nd);
		/* wait for completions (the interrupt eventfd) when out of sections */
		if (gd_driver_poll(d, -1, gd_netvsc_can_send(nd) ? 0 : 100) < 0)
			break;
		pg_tick(&next_tick, &o, sent, &st);
		nd = gd_driver_netvsc(d);
	}
	t1 = pg_now();
	t_end = t1 + (double)o.seconds;
	while (pg_now() < t_end) {
		if (gd_driver_poll(d, -1, 50) < 0)
			break;
		pg_tick(&next_tick, &o, sent, &st);
	}
	next_tick = 0;
	pg_tick(&next_tick, &o, sent, &st);
	nd = gd_driver_netvsc(d);
	printf("{\"bench\":\"guest_pktgen\",\"size\":%lu,\"tx\":%lu,\"tx_seconds\":%.6f,"
	       "\"tx_pps\":%.0f,\"tx_busy\":%llu,\"tx_start\":%.6f,\"tx_end\":%.6f,\"rx\":%llu,"
	       "\"rx_bytes\":%llu,\"rx_bad\":%llu,\"rx_other\":%llu}\n",
		o.size, sent, t1 - t0, t1 > t0 ? (double)sent / (t1 - t0) : 0.0,
		nd ? (unsigned long long)nd->stats.tx_busy : 0ULL, t0, t1,
		(unsigned long long)st.rx, (unsigned long long)st.rx_bytes,
		(unsigned long long)st.rx_bad, (unsigned long long)st.rx_other);
	fflush(stdout);
	gd_driver_stop(d);
	return st.rx_bad ? 1 : 0;
}
