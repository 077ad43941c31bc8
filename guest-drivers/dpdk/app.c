/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vsw-dpdk-app: a small DPDK application for a partition whose NIC is presented in
 * uio_hv_generic form (`guest=uio`, DESIGN.md decision 12): Debian's unmodified netvsc PMD drives
 * the NIC; this program only uses the ethdev API, on port 0 (pair: ports 0 and 1).
 *
 *   vsw-dpdk-app EAL-ARGS -- MODE --ip A.B.C.D [--peer-ip A.B.C.D --peer-mac MAC]
 *                [--sizes 64,1400,1514] [--count N] [--seconds S] [--queues N]
 *
 * (EAL-ARGS as a partition needs them: --no-huge -m N --iova-mode=va --no-pci.)
 * Every mode answers ARP requests for --ip and ICMP echo requests to --ip (so a kernel-stack
 * peer can ping us and resolve us), and prints "port 0 mac M link L" once the port is started.
 *   echo  also sends every other frame addressed to us back with the MAC addresses swapped; runs
 *         until SIGTERM/SIGINT (or --seconds).
 *   gen   sends --count ICMP echo requests of each of --sizes frame bytes (Ethernet header
 *         included, no FCS) to --peer-ip/--peer-mac, each with a sequence number and a payload
 *         pattern, and checks the replies: prints "gen size S sent N ok K bad B" per size and
 *         exits 0 only if every request got one correct reply within --seconds (default 10).
 *   sink  counts what arrives, prints "sink rx N" at the end.
 *   blast a timed generator and sink for bench/vmbus.sh, vsw-guest-pktgen's twin: sends frames of
 *         the first of --sizes bytes (60..1514) to --peer-mac as fast as the PMD takes them for
 *         --tx-seconds, keeps receiving --seconds (default 2) longer, and prints pktgen's JSON
 *         lines: once a second {"bench":"guest_pktgen_tick","t",...} and at the end
 *         {"bench":"guest_pktgen",...} (same frames: EtherType 0x88B5, u32 sequence number, byte
 *         ramp; received ones validated). --ip is optional here. Exits 1 if a frame was corrupt.
 *         --idle-yield: sched_yield() after a turn that neither received nor sent anything, so
 *         that two blasting partitions sharing a CPU interleave finely instead of by time
 *         slices (bench/vmbus.sh passes it; see bench/README.md).
 *         --loop N (1..2048): closed loop instead of a timed flood, the shape of testpmd's mac
 *         forwarding with tx_first: N frames are sent once, then every blast frame received is
 *         sent back to --peer-mac with only its addresses rewritten (payloads are not checked
 *         in this mode), RX/TX rings of 4096; when nothing arrives for 50 ms (the peer was not
 *         up yet) N frames are sent again. With --idle-yield, a burst shorter than 32 frames
 *         (--yield-below N, 1..32) also yields: our side of the loop is drained. The summary
 *         adds "loop", "injections", "polls" and "yields", and a line {"bench":"pmd_xstats",...}
 *         with the PMD's nonzero extended counters ends every blast.
 *   pair  the closed loop of blast --loop between this partition's first two NICs, the shape of
 *         one testpmd with two ports (mac forwarding, tx_first): each port sends --loop N
 *         (default 256) frames of the first of --sizes bytes to the other port's MAC, then
 *         every blast frame received on a port is sent out of the other port, addressed back
 *         to the receiving port's MAC (so both directions keep N frames each in flight).
 *         Runs --tx-seconds, drains --seconds more; prints blast's JSON lines once per port
 *         with a "port" key (port P's lines count what P received and what it sent).
 * --queues N (1..16, default 1): N RX and N TX queues with RSS over IPv4/TCP/UDP (the PMD asks
 * the host for N - 1 subchannels); every RX queue is polled and a frame answered or echoed goes
 * out on the TX queue of the RX queue it came from; gen sends on queue 0. At the end one line
 * "rxq Q rx N" per queue. pair: both ports get N queues (the PMD asks for subchannels on both
 * NICs) and every RX queue is polled; what it forwards goes out on TX queue 0 (its test frames
 * are not IP: RSS keeps them on the primary channel anyway).
 * Exits with stopped and closed ports (the PMD sends its packet filter 0) and rte_eal_cleanup().
 * Testpmd is of no use here: Debian's 22.11 testpmd forwards nothing on netvsc
 * (reference/dpdk-netvsc-guest.md §0).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#define APP_BURST 32
#define APP_NB_MBUF 4096
#define APP_RING 512
#define APP_MAX_SIZES 8
#define APP_ICMP_ID 0x5644
#define APP_FRAME_MAX 1514u
#define APP_FRAME_MIN 42u   /* Ethernet + IPv4 + ICMP headers */
#define APP_MAX_COUNT 4096u /* gen requests per size: the sequence number's low 12 bits */
#define APP_MAX_QUEUES 16u  /* vmmd's queues= limit */

#define APP_BLAST_TYPE 0x88b5 /* vsw-guest-pktgen's test frames */
#define APP_BLAST_HDR 18u     /* Ethernet header + sequence number */
#define APP_BLAST_MIN 60u
#define APP_LOOP_MAX 2048u    /* --loop: frames a side injects (the RX ring holds both sides') */
#define APP_LOOP_RING 4096u   /* RX/TX descriptors with --loop */
#define APP_LOOP_STALL_MS 50u /* --loop: inject again after this long without a frame */

enum app_mode { APP_ECHO, APP_GEN, APP_SINK, APP_BLAST, APP_PAIR };

#define APP_PAIR_LOOP 256u /* pair: frames each port injects by default */

/* pair: one port's counters (blast's, per port) */
struct app_pair_port {
	uint64_t tx, rx, rx_bytes, other, tx_busy;
	uint64_t polls, bursts; /* receive polls while sending, and those that got frames */
};

/* ramp[k] = k & 0xff: payload byte i of blast frame 'seq' is ramp[(seq & 0xff) + i] */
static uint8_t app_ramp[256 + APP_FRAME_MAX];

struct app {
	enum app_mode mode;
	uint16_t port;
	struct rte_mempool *pool;
	struct rte_ether_addr mac, peer_mac;
	rte_be32_t ip, peer_ip;
	bool have_peer_mac;
	unsigned int sizes[APP_MAX_SIZES], n_sizes;
	unsigned int count;
	unsigned int seconds;
	unsigned int tx_seconds; /* blast */
	bool idle_yield;	 /* blast: sched_yield() when a turn did nothing */
	unsigned int loop;	 /* blast: closed loop with this many frames injected, 0: open */
	unsigned int yield_below; /* blast --loop --idle-yield: yield after a poll with fewer frames */
	uint16_t n_queues;
	uint64_t rxq[APP_MAX_QUEUES]; /* frames received per RX queue */
	uint64_t rx, tx, arp_replies, icmp_replies, reflected, other;
	/* gen: per size index */
	uint64_t sent[APP_MAX_SIZES], ok[APP_MAX_SIZES], bad[APP_MAX_SIZES];
	uint8_t seen[APP_MAX_SIZES][APP_MAX_COUNT]; /* a reply per sequence number counts once */
	/* blast */
	uint64_t b_rx, b_rx_bytes, b_bad, tx_busy, injections;
	uint64_t polls, yields; /* blast: turns of the main loop, sched_yield() calls */
	/* pair */
	struct rte_ether_addr pmac[2];
	struct app_pair_port pp[2];
};

static volatile sig_atomic_t app_quit;

static void app_signal(int sig)
{
	(void)sig;
	app_quit = 1;
}

static int app_parse_ip(const char *s, rte_be32_t *ip)
{
	unsigned int a, b, c, d;
	char tail;

	if (sscanf(s, "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) != 4 || a > 255 || b > 255 ||
		c > 255 || d > 255)
		return -EINVAL;
	*ip = rte_cpu_to_be_32(a << 24 | b << 16 | c << 8 | d);
	return 0;
}

/* A whole decimal number in [min, max]. */
static int app_parse_uint(const char *s, unsigned long min, unsigned long max, unsigned int *out)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (end == s || *end != '\0' || v < min || v > max)
		return -EINVAL;
	*out = (unsigned int)v;
	return 0;
}

static int app_parse_sizes(struct app *a, const char *s)
{
	char *end;
	unsigned long v;

	a->n_sizes = 0;
	while (*s) {
		v = strtoul(s, &end, 10);
		if (end == s || v < APP_FRAME_MIN + 8 || v > APP_FRAME_MAX ||
			a->n_sizes == APP_MAX_SIZES)
			return -EINVAL;
		a->sizes[a->n_sizes++] = (unsigned int)v;
		if (*end == ',')
			end++;
		else if (*end)
			return -EINVAL;
		s = end;
	}
	return a->n_sizes ? 0 : -EINVAL;
}

static int app_args(struct app *a, int argc, char **argv)
{
	static const struct option opts[] = {
		{"ip", required_argument, NULL, 'i'},
		{"peer-ip", required_argument, NULL, 'p'},
		{"peer-mac", required_argument, NULL, 'm'},
		{"sizes", required_argument, NULL, 's'},
		{"count", required_argument, NULL, 'c'},
		{"seconds", required_argument, NULL, 't'},
		{"queues", required_argument, NULL, 'q'},
		{"tx-seconds", required_argument, NULL, 'x'},
		{"idle-yield", no_argument, NULL, 'y'},
		{"loop", required_argument, NULL, 'l'},
		{"yield-below", required_argument, NULL, 'Y'},
		{NULL, 0, NULL, 0},
	};
	int c;

	if (argc < 2)
		return -EINVAL;
	if (strcmp(argv[1], "echo") == 0)
		a->mode = APP_ECHO;
	else if (strcmp(argv[1], "gen") == 0)
		a->mode = APP_GEN;
	else if (strcmp(argv[1], "sink") == 0)
		a->mode = APP_SINK;
	else if (strcmp(argv[1], "blast") == 0)
		a->mode = APP_BLAST;
	else if (strcmp(argv[1], "pair") == 0)
		a->mode = APP_PAIR;
	else
		return -EINVAL;
	a->count = 32;
	a->n_queues = 1;
	a->yield_below = APP_BURST;
	a->seconds = a->mode == APP_GEN ? 10 : (a->mode == APP_BLAST || a->mode == APP_PAIR) ? 2 : 0;
	a->loop = a->mode == APP_PAIR ? APP_PAIR_LOOP : 0;
	a->sizes[0] = 64;
	a->sizes[1] = 1400;
	a->sizes[2] = 1514;
	a->n_sizes = 3;
	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			if (app_parse_ip(optarg, &a->ip))
				return -EINVAL;
			break;
		case 'p':
			if (app_parse_ip(optarg, &a->peer_ip))
				return -EINVAL;
			break;
		case 'm':
			if (rte_ether_unformat_addr(optarg, &a->peer_mac))
				return -EINVAL;
			a->have_peer_mac = true;
			break;
		case 's':
			if (app_parse_sizes(a, optarg))
				return -EINVAL;
			break;
		case 'c':
			a->count = (unsigned int)strtoul(optarg, NULL, 10);
			break;
		case 't':
			a->seconds = (unsigned int)strtoul(optarg, NULL, 10);
			break;
		case 'y':
			a->idle_yield = true;
			break;
		case 'x':
			a->tx_seconds = (unsigned int)strtoul(optarg, NULL, 10);
			break;
		case 'l':
			if (app_parse_uint(optarg, 1, APP_LOOP_MAX, &a->loop))
				return -EINVAL;
			break;
		case 'Y':
			if (app_parse_uint(optarg, 1, APP_BURST, &a->yield_below))
				return -EINVAL;
			break;
		case 'q': {
			unsigned int q;

			if (app_parse_uint(optarg, 1, APP_MAX_QUEUES, &q))
				return -EINVAL;
			a->n_queues = (uint16_t)q;
			break;
		}
		default:
			return -EINVAL;
		}
	}
	if (a->mode == APP_BLAST)
		return a->have_peer_mac && a->tx_seconds > 0 && a->tx_seconds <= 86400 &&
				       a->sizes[0] >= APP_BLAST_MIN
			       ? 0
			       : -EINVAL;
	if (a->mode == APP_PAIR)
		return a->tx_seconds > 0 && a->tx_seconds <= 86400 && a->sizes[0] >= APP_BLAST_MIN
			       ? 0
			       : -EINVAL;
	if (a->ip == 0)
		return -EINVAL;
	if (a->mode == APP_GEN &&
		(a->peer_ip == 0 || !a->have_peer_mac || a->count == 0 || a->count > APP_MAX_COUNT))
		return -EINVAL;
	return 0;
}

/* Configure and start 'port' with a->n_queues queues; its MAC into '*mac_out'. */
static int app_port_init(struct app *a, uint16_t port, struct rte_ether_addr *mac_out)
{
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	struct rte_eth_link link;
	char mac[RTE_ETHER_ADDR_FMT_SIZE];
	uint16_t q, ring = a->loop ? APP_LOOP_RING : APP_RING;
	int ret;

	memset(&conf, 0, sizeof(conf));
	ret = rte_eth_dev_info_get(port, &info);
	if (ret == 0 && a->n_queues > 1) {
		if (info.max_rx_queues < a->n_queues || info.max_tx_queues < a->n_queues) {
			fprintf(stderr, "vsw-dpdk-app: the port has %u/%u queues, not %u\n",
				info.max_rx_queues, info.max_tx_queues, a->n_queues);
			return -EINVAL;
		}
		/* RSS over what the PMD offers of IPv4/TCP/UDP (mapped to NDIS hash types) */
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf =
			(RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP) &
			info.flow_type_rss_offloads;
	}
	if (ret == 0)
		ret = rte_eth_dev_configure(port, a->n_queues, a->n_queues, &conf);
	for (q = 0; ret == 0 && q < a->n_queues; q++) {
		ret = rte_eth_rx_queue_setup(port, q, ring, rte_eth_dev_socket_id(port), NULL, a->pool);
		if (ret == 0)
			ret = rte_eth_tx_queue_setup(port, q, ring, rte_eth_dev_socket_id(port), NULL);
	}
	if (ret == 0)
		ret = rte_eth_dev_start(port);
	if (ret == 0)
		ret = rte_eth_macaddr_get(port, mac_out);
	if (ret) {
		fprintf(stderr, "vsw-dpdk-app: port %u setup: %s\n", port, rte_strerror(-ret));
		return ret;
	}
	rte_eth_link_get_nowait(port, &link);
	rte_ether_format_addr(mac, sizeof(mac), mac_out);
	printf("port %u mac %s link %s speed %u queues %u rss 0x%" PRIx64 "\n", port, mac,
		link.link_status ? "up" : "down", link.link_speed, a->n_queues,
		(uint64_t)conf.rx_adv_conf.rss_conf.rss_hf);
	fflush(stdout);
	return 0;
}

/* Port 0 (pair: ports 0 and 1). */
static int app_ports_init(struct app *a)
{
	uint16_t want = a->mode == APP_PAIR ? 2 : 1, p;
	int ret = 0;

	if (rte_eth_dev_count_avail() < want) {
		fprintf(stderr, "vsw-dpdk-app: %u ethdev port(s), %u needed (is the uio view "
				"there?)\n", rte_eth_dev_count_avail(), want);
		return -ENODEV;
	}
	a->port = 0;
	for (p = 0; p < want && ret == 0; p++)
		ret = app_port_init(a, p, &a->pmac[p]);
	a->mac = a->pmac[0];
	return ret;
}

static void app_send(struct app *a, uint16_t q, struct rte_mbuf *m)
{
	if (rte_eth_tx_burst(a->port, q, &m, 1) == 1)
		a->tx++;
	else
		rte_pktmbuf_free(m);
}

/* Turn an ARP request for our address into the reply, in place. */
static bool app_arp(struct app *a, struct rte_mbuf *m, struct rte_ether_hdr *eth)
{
	struct rte_arp_hdr *arp;

	if (m->data_len < sizeof(*eth) + sizeof(*arp))
		return false;
	arp = (struct rte_arp_hdr *)(eth + 1);
	if (arp->arp_opcode != rte_cpu_to_be_16(RTE_ARP_OP_REQUEST) ||
		arp->arp_data.arp_tip != a->ip)
		return false;
	arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REPLY);
	arp->arp_data.arp_tha = arp->arp_data.arp_sha;
	arp->arp_data.arp_tip = arp->arp_data.arp_sip;
	arp->arp_data.arp_sha = a->mac;
	arp->arp_data.arp_sip = a->ip;
	eth->dst_addr = eth->src_addr;
	eth->src_addr = a->mac;
	a->arp_replies++;
	return true;
}

static uint16_t app_icmp_cksum(const struct rte_icmp_hdr *icmp, size_t len)
{
	uint16_t c = (uint16_t)~rte_raw_cksum(icmp, len);

	return c == 0 ? 0xffff : c;
}

/* Payload byte i of request 'seq' of size index 'k'. */
static uint8_t app_pattern(unsigned int k, unsigned int seq, size_t i)
{
	return (uint8_t)(seq * 7u + k * 31u + i);
}

static void app_gen_check(struct app *a, const struct rte_icmp_hdr *icmp, size_t icmp_len)
{
	const uint8_t *p = (const uint8_t *)(icmp + 1);
	unsigned int seq = rte_be_to_cpu_16(icmp->icmp_seq_nb), k = seq >> 12, n = seq & 0xfff;
	size_t i, plen = icmp_len - sizeof(*icmp);

	if (icmp->icmp_ident != rte_cpu_to_be_16(APP_ICMP_ID) || k >= a->n_sizes || n >= a->count ||
		a->seen[k][n]) {
		/* not ours, or a late reply to a request sent again */
		a->other++;
		return;
	}
	a->seen[k][n] = 1;
	if (a->sizes[k] != sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv4_hdr) + icmp_len)
		goto bad;
	for (i = 0; i < plen; i++) {
		if (p[i] != app_pattern(k, n, i))
			goto bad;
	}
	a->ok[k]++;
	return;
bad:
	a->bad[k]++;
}

/* ICMP to us: answer an echo request in place (true), or check a reply to gen (false). */
static bool app_icmp(struct app *a, struct rte_mbuf *m, struct rte_ether_hdr *eth)
{
	struct rte_ipv4_hdr *ip;
	struct rte_icmp_hdr *icmp;
	size_t ihl, tot;
	rte_be32_t tmp;

	if (m->data_len < sizeof(*eth) + sizeof(*ip) + sizeof(*icmp))
		return false;
	ip = (struct rte_ipv4_hdr *)(eth + 1);
	ihl = (size_t)(ip->version_ihl & 0xf) * 4;
	tot = rte_be_to_cpu_16(ip->total_length);
	if ((ip->version_ihl >> 4) != 4 || ihl < sizeof(*ip) || ip->next_proto_id != IPPROTO_ICMP ||
		ip->dst_addr != a->ip || tot < ihl + sizeof(*icmp) ||
		sizeof(*eth) + tot > m->data_len)
		return false;
	icmp = (struct rte_icmp_hdr *)((uint8_t *)ip + ihl);
	if (icmp->icmp_type == RTE_IP_ICMP_ECHO_REPLY && a->mode == APP_GEN) {
		app_gen_check(a, icmp, tot - ihl);
		return false;
	}
	if (icmp->icmp_type != RTE_IP_ICMP_ECHO_REQUEST)
		return false;
	icmp->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
	icmp->icmp_cksum = 0;
	icmp->icmp_cksum = app_icmp_cksum(icmp, tot - ihl);
	tmp = ip->src_addr;
	ip->src_addr = ip->dst_addr;
	ip->dst_addr = tmp;
	ip->time_to_live = 64;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	eth->dst_addr = eth->src_addr;
	eth->src_addr = a->mac;
	/* trailing Ethernet padding is not part of the reply */
	rte_pktmbuf_trim(m, (uint16_t)(m->data_len - sizeof(*eth) - tot));
	a->icmp_replies++;
	return true;
}

/* A blast frame: sequence number, then the ramp from (seq & 0xff) + APP_BLAST_HDR. */
static void app_blast_rx(struct app *a, const struct rte_mbuf *m)
{
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t seq;

	if (m->data_len < APP_BLAST_HDR || m->data_len > APP_FRAME_MAX) {
		a->other++;
		return;
	}
	memcpy(&seq, f + 14, 4);
	if (memcmp(f + APP_BLAST_HDR, app_ramp + (seq & 0xff) + APP_BLAST_HDR,
		    m->data_len - APP_BLAST_HDR) != 0) {
		a->b_bad++;
		return;
	}
	a->b_rx++;
	a->b_rx_bytes += m->data_len;
}

static void app_rx_one(struct app *a, uint16_t q, struct rte_mbuf *m)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct rte_ether_addr tmp;
	uint16_t type;

	a->rx++;
	a->rxq[q]++;
	if (m->data_len < sizeof(*eth) || m->nb_segs != 1 || a->mode == APP_SINK)
		goto drop;
	type = rte_be_to_cpu_16(eth->ether_type);
	if (type == APP_BLAST_TYPE && a->mode == APP_BLAST) {
		app_blast_rx(a, m);
		goto drop;
	}
	if (type == RTE_ETHER_TYPE_ARP && app_arp(a, m, eth))
		goto send;
	if (type == RTE_ETHER_TYPE_IPV4 && rte_is_same_ether_addr(&eth->dst_addr, &a->mac) &&
		app_icmp(a, m, eth))
		goto send;
	if (a->mode == APP_ECHO && rte_is_same_ether_addr(&eth->dst_addr, &a->mac)) {
		tmp = eth->dst_addr;
		eth->dst_addr = eth->src_addr;
		eth->src_addr = tmp;
		a->reflected++;
		goto send;
	}
drop:
	rte_pktmbuf_free(m);
	return;
send:
	app_send(a, q, m);
}

/* Receive a burst on every queue; returns the frames received. */
static unsigned int app_poll(struct app *a)
{
	struct rte_mbuf *pkts[APP_BURST];
	unsigned int got = 0;
	uint16_t n, i, q;

	for (q = 0; q < a->n_queues; q++) {
		n = rte_eth_rx_burst(a->port, q, pkts, APP_BURST);
		for (i = 0; i < n; i++)
			app_rx_one(a, q, pkts[i]);
		got += n;
	}
	return got;
}

static struct rte_mbuf *app_gen_build(struct app *a, unsigned int k, unsigned int n)
{
	size_t len = a->sizes[k], ilen = len - sizeof(struct rte_ether_hdr), i, plen;
	struct rte_mbuf *m = rte_pktmbuf_alloc(a->pool);
	struct rte_ether_hdr *eth;
	struct rte_ipv4_hdr *ip;
	struct rte_icmp_hdr *icmp;
	uint8_t *p;

	if (m == NULL)
		return NULL;
	eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, (uint16_t)len);
	if (eth == NULL) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	eth->dst_addr = a->peer_mac;
	eth->src_addr = a->mac;
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip = (struct rte_ipv4_hdr *)(eth + 1);
	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16((uint16_t)ilen);
	ip->packet_id = rte_cpu_to_be_16((uint16_t)n);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_ICMP;
	ip->src_addr = a->ip;
	ip->dst_addr = a->peer_ip;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	icmp = (struct rte_icmp_hdr *)(ip + 1);
	icmp->icmp_type = RTE_IP_ICMP_ECHO_REQUEST;
	icmp->icmp_code = 0;
	icmp->icmp_ident = rte_cpu_to_be_16(APP_ICMP_ID);
	icmp->icmp_seq_nb = rte_cpu_to_be_16((uint16_t)(k << 12 | n));
	p = (uint8_t *)(icmp + 1);
	plen = ilen - sizeof(*ip) - sizeof(*icmp);
	for (i = 0; i < plen; i++)
		p[i] = app_pattern(k, n, i);
	icmp->icmp_cksum = 0;
	icmp->icmp_cksum = app_icmp_cksum(icmp, ilen - sizeof(*ip));
	return m;
}

/* Make the fresh mbufs m[0..n) blast frames of a->sizes[0] bytes from 'src' to 'dst', sequence
 * numbers from 'seq'. false (all freed) if one could not take the length (cannot happen: the
 * length is at most the data room). */
static bool app_blast_fill(const struct app *a, struct rte_mbuf **m, uint16_t n,
	const struct rte_ether_addr *dst, const struct rte_ether_addr *src, uint64_t seq0)
{
	size_t len = a->sizes[0];
	uint16_t i;

	for (i = 0; i < n; i++) {
		uint8_t *f = (uint8_t *)rte_pktmbuf_append(m[i], (uint16_t)len);
		struct rte_ether_hdr *eth = (struct rte_ether_hdr *)f;
		uint32_t seq = (uint32_t)(seq0 + i);

		if (f == NULL) {
			rte_pktmbuf_free_bulk(m, n);
			return false;
		}
		rte_ether_addr_copy(dst, &eth->dst_addr);
		rte_ether_addr_copy(src, &eth->src_addr);
		eth->ether_type = rte_cpu_to_be_16(APP_BLAST_TYPE);
		memcpy(f + 14, &seq, 4);
		memcpy(f + APP_BLAST_HDR, app_ramp + (seq & 0xff) + APP_BLAST_HDR,
			len - APP_BLAST_HDR);
	}
	return true;
}

/* 'want' (<= APP_BURST) blast frames on queue 0; what the PMD does not take is freed
 * (tx_busy). */
static uint16_t app_blast_tx(struct app *a, uint16_t want)
{
	struct rte_mbuf *m[APP_BURST];
	uint16_t n;

	if (rte_pktmbuf_alloc_bulk(a->pool, m, want) != 0) {
		a->tx_busy++;
		return 0;
	}
	if (!app_blast_fill(a, m, want, &a->peer_mac, &a->mac, a->tx))
		return 0;
	n = rte_eth_tx_burst(a->port, 0, m, want);
	a->tx += n;
	if (n < want) {
		a->tx_busy++;
		rte_pktmbuf_free_bulk(m + n, want - n);
	}
	return n;
}

/* --loop: put 'a->loop' frames into the loop (what the PMD refuses is not retried here: a
 * shortfall shows as a lower rate, and a loop that dies is refilled after a stall). */
static void app_loop_inject(struct app *a)
{
	unsigned int left = a->loop;

	while (left) {
		uint16_t want = left > APP_BURST ? APP_BURST : (uint16_t)left;

		if (app_blast_tx(a, want) == 0)
			break;
		left -= want;
	}
	a->injections++;
}

/*
 * --loop: receive a burst on every queue and send each blast frame back to the peer on the same
 * queue (only the addresses are rewritten, like testpmd's mac forwarding; payloads are checked
 * by dpdk_guest_test, not here). 'reflect' false: count and free (the drain at the end).
 */
static unsigned int app_loop_poll(struct app *a, bool reflect)
{
	struct rte_mbuf *pkts[APP_BURST], *out[APP_BURST];
	const rte_be16_t blast = rte_cpu_to_be_16(APP_BLAST_TYPE);
	unsigned int got = 0;
	uint16_t n, i, k, sent, q;

	for (q = 0; q < a->n_queues; q++) {
		n = rte_eth_rx_burst(a->port, q, pkts, APP_BURST);
		for (i = 0, k = 0; i < n; i++) {
			struct rte_ether_hdr *eth = rte_pktmbuf_mtod(pkts[i], struct rte_ether_hdr *);

			if (pkts[i]->data_len < APP_BLAST_HDR || eth->ether_type != blast) {
				app_rx_one(a, q, pkts[i]);
				continue;
			}
			a->rx++;
			a->rxq[q]++;
			a->b_rx++;
			a->b_rx_bytes += pkts[i]->data_len;
			if (!reflect) {
				rte_pktmbuf_free(pkts[i]);
				continue;
			}
			rte_ether_addr_copy(&a->peer_mac, &eth->dst_addr);
			rte_ether_addr_copy(&a->mac, &eth->src_addr);
			out[k++] = pkts[i];
		}
		if (k) {
			sent = rte_eth_tx_burst(a->port, q, out, k);
			a->tx += sent;
			if (sent < k) {
				a->tx_busy++;
				rte_pktmbuf_free_bulk(out + sent, k - sent);
			}
		}
		got += n;
	}
	return got;
}

/* CLOCK_MONOTONIC seconds: not namespaced, so bench/vmbus.py lines up two partitions' lines. */
static double app_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* app_now() read again at most once a millisecond: clock_gettime() costs more than a whole poll
 * in a partition (perf: 17 % of a pair loop in __vdso_clock_gettime); the TSC says when. Even
 * RDTSC is not free there (perf: another 15 % with two a turn): loops look at the clock every
 * APP_CLOCK_TURNS turns only (a turn is 30 ns to a few us). */
#define APP_CLOCK_TURNS 64u
struct app_clock {
	uint64_t next_tsc, period;
	double now;
};

static void app_clock_init(struct app_clock *c)
{
	c->period = rte_get_timer_hz() / 1000;
	c->next_tsc = rte_get_timer_cycles() + c->period;
	c->now = app_now();
}

static double app_clock_read(struct app_clock *c)
{
	uint64_t tsc = rte_get_timer_cycles();

	if (tsc >= c->next_tsc) {
		c->now = app_now();
		c->next_tsc = tsc + c->period;
	}
	return c->now;
}

static void app_blast_tick(const struct app *a, double now)
{
	printf("{\"bench\":\"guest_pktgen_tick\",\"t\":%.6f,\"tx\":%" PRIu64 ",\"rx\":%" PRIu64
	       ",\"rx_bytes\":%" PRIu64 ",\"rx_bad\":%" PRIu64 "}\n",
		now, a->tx, a->b_rx, a->b_rx_bytes, a->b_bad);
}

/* The PMD's own view (where frames it was given went): a JSON line of its nonzero xstats. */
static void app_print_xstats(const struct app *a)
{
	struct rte_eth_xstat_name *names = NULL;
	struct rte_eth_xstat *vals = NULL;
	int n, i;

	n = rte_eth_xstats_get_names(a->port, NULL, 0);
	if (n <= 0)
		return;
	names = calloc((size_t)n, sizeof(*names));
	vals = calloc((size_t)n, sizeof(*vals));
	if (names && vals && rte_eth_xstats_get_names(a->port, names, (unsigned int)n) == n &&
		rte_eth_xstats_get(a->port, vals, (unsigned int)n) == n) {
		printf("{\"bench\":\"pmd_xstats\"");
		for (i = 0; i < n; i++) {
			if (vals[i].value == 0 || vals[i].id >= (uint64_t)n)
				continue;
			printf(",\"%s\":%" PRIu64, names[vals[i].id].name, vals[i].value);
		}
		printf("}\n");
	}
	free(names);
	free(vals);
}

/* blast --loop, pair: when the loop last moved, to fill it again after a stall */
struct app_inject {
	uint64_t stall, last_rx_tsc, last_rx;
};

static void app_inject_init(struct app_inject *inj)
{
	*inj = (struct app_inject){.stall = rte_get_timer_hz() * APP_LOOP_STALL_MS / 1000};
}

/* With 'rx' frames received so far: is the loop empty (nothing for APP_LOOP_STALL_MS, or not
 * filled yet) and to be filled now? */
static bool app_inject_due(struct app_inject *inj, uint64_t rx)
{
	uint64_t tsc = rte_get_timer_cycles();

	if (rx != inj->last_rx) {
		inj->last_rx = rx;
		inj->last_rx_tsc = tsc;
		return false;
	}
	if (inj->last_rx_tsc != 0 && tsc - inj->last_rx_tsc <= inj->stall)
		return false;
	inj->last_rx_tsc = tsc;
	return true;
}

/*
 * blast's timed part at 'now': while sending, a loop that has not moved for APP_LOOP_STALL_MS
 * (the peer was not up yet, frames lost) is filled again, or the flood sends a burst (returns
 * the frames taken); past tx_seconds, *t1 is set once.
 */
static unsigned int app_blast_timed(struct app *a, double now, double t0, double *t1,
	struct app_inject *inj)
{
	if (*t1 != 0)
		return 0;
	if (now >= t0 + a->tx_seconds) {
		*t1 = now;
		return 0;
	}
	if (!a->loop)
		return app_blast_tx(a, APP_BURST);
	if (app_inject_due(inj, a->b_rx))
		app_loop_inject(a);
	return 0;
}

/* The start of a blast or pair loop: the payload ramp, the clock, the refill state; returns now. */
static double app_loop_start(struct app_clock *clk, struct app_inject *inj)
{
	size_t k;

	for (k = 0; k < sizeof(app_ramp); k++)
		app_ramp[k] = (uint8_t)k;
	app_clock_init(clk);
	app_inject_init(inj);
	return clk->now;
}

/* blast: send for tx_seconds, receive 'seconds' longer, a tick line a second, the summary. */
static int app_blast(struct app *a)
{
	struct app_inject inj;
	struct app_clock clk;
	double t0, t1 = 0, now, next;

	t0 = now = next = app_loop_start(&clk, &inj);
	while (!app_quit) {
		unsigned int busy = a->loop ? app_loop_poll(a, t1 == 0) : app_poll(a);
		bool stop = false;

		/* a loop looks at the clock every APP_CLOCK_TURNS turns; the flood sends on each */
		if (!a->loop || a->polls % APP_CLOCK_TURNS == 0) {
			now = app_clock_read(&clk);
			busy += app_blast_timed(a, now, t0, &t1, &inj);
			if (now >= next) {
				app_blast_tick(a, now);
				next = now + 1.0;
			}
			stop = t1 != 0 && now >= t1 + a->seconds;
		}
		/* nothing received and nothing taken: let the other partition on this CPU run
		 * (what vsw-guest-pktgen's wait on its eventfd amounts to). In a loop, a short
		 * burst means our side of it is drained: the frames are with the peer, which
		 * should run now rather than when our time slice ends. */
		a->polls++;
		if (a->idle_yield && (busy == 0 || (a->loop && busy < a->yield_below))) {
			a->yields++;
			sched_yield();
		}
		if (stop)
			break;
	}
	if (t1 == 0)
		t1 = now;
	app_blast_tick(a, now);
	printf("{\"bench\":\"guest_pktgen\",\"driver\":\"dpdk-netvsc\",\"size\":%u,\"tx\":%" PRIu64
	       ",\"tx_seconds\":%.6f,\"tx_pps\":%.0f,\"tx_busy\":%" PRIu64
	       ",\"tx_start\":%.6f,\"tx_end\":%.6f,\"rx\":%" PRIu64 ",\"rx_bytes\":%" PRIu64
	       ",\"rx_bad\":%" PRIu64 ",\"rx_other\":%" PRIu64 ",\"loop\":%u,\"injections\":%" PRIu64
	       ",\"polls\":%" PRIu64 ",\"yields\":%" PRIu64 "}\n",
		a->sizes[0], a->tx, t1 - t0, t1 > t0 ? (double)a->tx / (t1 - t0) : 0.0, a->tx_busy,
		t0, t1, a->b_rx, a->b_rx_bytes, a->b_bad, a->other, a->loop, a->injections,
		a->polls, a->yields);
	app_print_xstats(a);
	fflush(stdout);
	return a->b_bad ? 1 : 0;
}

/* pair: 'n' blast frames from port p to the other port's MAC. */
static void app_pair_inject(struct app *a, uint16_t p, unsigned int n)
{
	struct rte_mbuf *m[APP_BURST];
	uint16_t want, sent;

	while (n) {
		want = n > APP_BURST ? APP_BURST : (uint16_t)n;
		if (rte_pktmbuf_alloc_bulk(a->pool, m, want) != 0 ||
			!app_blast_fill(a, m, want, &a->pmac[p ^ 1], &a->pmac[p], a->pp[p].tx))
			return;
		sent = rte_eth_tx_burst(p, 0, m, want);
		a->pp[p].tx += sent;
		if (sent < want) {
			a->pp[p].tx_busy++;
			rte_pktmbuf_free_bulk(m + sent, want - sent);
			return;
		}
		n -= want;
	}
}

/*
 * pair: a burst from port p's RX queue q goes out of the other port (queue 0), addressed back to
 * p (testpmd's mac forwarding over a port pair); 'reflect' false: count and free (the drain at
 * the end). Returns the frames received.
 */
static uint16_t app_pair_poll_queue(struct app *a, uint16_t p, uint16_t q, bool reflect)
{
	const rte_be16_t blast = rte_cpu_to_be_16(APP_BLAST_TYPE);
	struct rte_mbuf *pkts[APP_BURST], *out[APP_BURST];
	struct app_pair_port *in = &a->pp[p], *eg = &a->pp[p ^ 1];
	uint16_t n, i, k = 0, sent;

	n = rte_eth_rx_burst(p, q, pkts, APP_BURST);
	if (reflect) {
		in->polls++;
		in->bursts += n != 0;
	}
	for (i = 0; i < n; i++) {
		struct rte_ether_hdr *eth = rte_pktmbuf_mtod(pkts[i], struct rte_ether_hdr *);

		if (pkts[i]->data_len < APP_BLAST_HDR || eth->ether_type != blast) {
			in->other++;
			rte_pktmbuf_free(pkts[i]);
			continue;
		}
		in->rx++;
		in->rx_bytes += pkts[i]->data_len;
		if (!reflect) {
			rte_pktmbuf_free(pkts[i]);
			continue;
		}
		rte_ether_addr_copy(&a->pmac[p], &eth->dst_addr);
		rte_ether_addr_copy(&a->pmac[p ^ 1], &eth->src_addr);
		out[k++] = pkts[i];
	}
	if (k) {
		sent = rte_eth_tx_burst(p ^ 1, 0, out, k);
		eg->tx += sent;
		if (sent < k) {
			eg->tx_busy++;
			rte_pktmbuf_free_bulk(out + sent, k - sent);
		}
	}
	return n;
}

/* pair: every RX queue of port p (--queues; the test frames are not IP, so RSS leaves them all
 * on queue 0, but the PMD still asks for and opens the subchannels). */
static uint16_t app_pair_poll(struct app *a, uint16_t p, bool reflect)
{
	uint16_t q, n = app_pair_poll_queue(a, p, 0, reflect);

	for (q = 1; q < a->n_queues; q++)
		n = (uint16_t)(n + app_pair_poll_queue(a, p, q, reflect));
	return n;
}

static void app_pair_print(const struct app *a, double now, double t0, double t1, bool final)
{
	uint16_t p;

	for (p = 0; p < 2; p++) {
		const struct app_pair_port *s = &a->pp[p];

		if (!final) {
			printf("{\"bench\":\"guest_pktgen_tick\",\"port\":%u,\"t\":%.6f,\"tx\":%" PRIu64
			       ",\"rx\":%" PRIu64 ",\"rx_bytes\":%" PRIu64 ",\"rx_bad\":0}\n",
				p, now, s->tx, s->rx, s->rx_bytes);
			continue;
		}
		printf("{\"bench\":\"guest_pktgen\",\"driver\":\"dpdk-netvsc\",\"port\":%u,"
		       "\"size\":%u,\"tx\":%" PRIu64 ",\"tx_seconds\":%.6f,\"tx_pps\":%.0f,"
		       "\"tx_busy\":%" PRIu64 ",\"tx_start\":%.6f,\"tx_end\":%.6f,\"rx\":%" PRIu64
		       ",\"rx_bytes\":%" PRIu64 ",\"rx_bad\":0,\"rx_other\":%" PRIu64
		       ",\"loop\":%u,\"injections\":%" PRIu64 ",\"polls\":%" PRIu64
		       ",\"bursts\":%" PRIu64 "}\n",
			p, a->sizes[0], s->tx, t1 - t0, t1 > t0 ? (double)s->tx / (t1 - t0) : 0.0,
			s->tx_busy, t0, t1, s->rx, s->rx_bytes, s->other, a->loop, a->injections,
			s->polls, s->bursts);
	}
}

/* pair: the closed loop between ports 0 and 1 for tx_seconds, the drain, the lines. */
static int app_pair(struct app *a)
{
	struct app_inject inj;
	struct app_clock clk;
	double t0, t1 = 0, now, next;
	unsigned int turn = 0;

	t0 = now = next = app_loop_start(&clk, &inj);
	while (!app_quit) {
		app_pair_poll(a, 0, t1 == 0);
		app_pair_poll(a, 1, t1 == 0);
		if (++turn % APP_CLOCK_TURNS)
			continue;
		now = app_clock_read(&clk);
		if (t1 == 0 && now < t0 + a->tx_seconds) {
			if (app_inject_due(&inj, a->pp[0].rx + a->pp[1].rx)) {
				app_pair_inject(a, 0, a->loop);
				app_pair_inject(a, 1, a->loop);
				a->injections++;
			}
		} else if (t1 == 0) {
			t1 = now;
		}
		if (now >= next) {
			app_pair_print(a, now, t0, t1, false);
			next = now + 1.0;
		}
		if (t1 != 0 && now >= t1 + a->seconds)
			break;
	}
	if (t1 == 0)
		t1 = now;
	app_pair_print(a, now, t0, t1, false);
	app_pair_print(a, now, t0, t1, true);
	fflush(stdout);
	return 0;
}

static bool app_gen_done(const struct app *a)
{
	unsigned int k;

	for (k = 0; k < a->n_sizes; k++) {
		if (a->ok[k] + a->bad[k] < a->count)
			return false;
	}
	return true;
}

/* Requests go out one size after another, at most 8 unanswered at a time, so that the peer's
 * small receive queues never overflow. */
static void app_gen_step(struct app *a, unsigned int *k, unsigned int *n)
{
	struct rte_mbuf *m;

	if (*k >= a->n_sizes)
		return;
	/* answered requests are not sent again (after a resend restarted the scan) */
	while (*n < a->count && a->seen[*k][*n])
		++*n;
	if (*n == a->count) {
		*n = 0;
		++*k;
		return;
	}
	if (a->sent[*k] - a->ok[*k] - a->bad[*k] >= 8)
		return;
	m = app_gen_build(a, *k, *n);
	if (m == NULL)
		return;
	if (rte_eth_tx_burst(a->port, 0, &m, 1) != 1) {
		rte_pktmbuf_free(m);
		return;
	}
	a->tx++;
	a->sent[*k]++;
	if (++*n == a->count) {
		*n = 0;
		++*k;
	}
}

static uint64_t app_gen_answered(const struct app *a)
{
	uint64_t t = 0;
	unsigned int k;

	for (k = 0; k < a->n_sizes; k++)
		t += a->ok[k] + a->bad[k];
	return t;
}

/*
 * The peer may still be resolving us (ARP), or the switch port may not be on its VLAN yet, and
 * requests get lost. After a second without a new answer, every unanswered request counts as
 * lost and the scan starts again at the first size not complete: only those are sent again.
 */
static void app_gen_resend(struct app *a, unsigned int *k, unsigned int *n)
{
	unsigned int j;

	for (j = 0; j < a->n_sizes; j++)
		a->sent[j] = a->ok[j] + a->bad[j];
	for (j = 0; j < a->n_sizes && a->ok[j] + a->bad[j] >= a->count; j++)
		;
	*k = j;
	*n = 0;
}

static int app_run(struct app *a)
{
	uint64_t hz = rte_get_timer_hz(), end = 0, now, last_progress = rte_get_timer_cycles();
	uint64_t answered = 0;
	unsigned int k = 0, n = 0, i;
	int ret = 0;

	if (a->mode == APP_BLAST)
		return app_blast(a);
	if (a->mode == APP_PAIR)
		return app_pair(a);
	if (a->seconds)
		end = rte_get_timer_cycles() + hz * a->seconds;
	while (!app_quit) {
		app_poll(a);
		now = rte_get_timer_cycles();
		if (a->mode == APP_GEN) {
			if (app_gen_done(a))
				break;
			app_gen_step(a, &k, &n);
			if (app_gen_answered(a) != answered) {
				answered = app_gen_answered(a);
				last_progress = now;
			} else if (now - last_progress > hz) {
				app_gen_resend(a, &k, &n);
				last_progress = now;
			}
		}
		if (end && now > end)
			break;
	}
	if (a->mode == APP_GEN) {
		for (i = 0; i < a->n_sizes; i++) {
			printf("gen size %u sent %u ok %" PRIu64 " bad %" PRIu64 "\n", a->sizes[i],
				a->count, a->ok[i], a->bad[i]);
			if (a->ok[i] != a->count || a->bad[i])
				ret = 1;
		}
	}
	printf("%s rx %" PRIu64 " tx %" PRIu64 " arp %" PRIu64 " icmp %" PRIu64
	       " reflected %" PRIu64 " other %" PRIu64 "\n",
		a->mode == APP_GEN    ? "gen"
		: a->mode == APP_ECHO ? "echo"
				      : "sink",
		a->rx, a->tx, a->arp_replies, a->icmp_replies, a->reflected, a->other);
	for (i = 0; i < a->n_queues; i++)
		printf("rxq %u rx %" PRIu64 "\n", i, a->rxq[i]);
	fflush(stdout);
	return ret;
}

int main(int argc, char **argv)
{
	struct app a;
	int n, ret;

	memset(&a, 0, sizeof(a));
	/* a partition's stdout is its log file: lines as they come */
	setvbuf(stdout, NULL, _IOLBF, 0);
	n = rte_eal_init(argc, argv);
	if (n < 0) {
		fprintf(stderr, "vsw-dpdk-app: rte_eal_init: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	argc -= n;
	argv += n;
	argv[0] = (char *)"vsw-dpdk-app";
	if (app_args(&a, argc, argv)) {
		fprintf(stderr,
			"usage: vsw-dpdk-app EAL-ARGS -- echo|gen|sink --ip A.B.C.D "
			"[--peer-ip IP --peer-mac MAC] [--sizes 64,1400,1514] "
			"[--count N] [--seconds S] [--queues N]\n"
			"       vsw-dpdk-app EAL-ARGS -- blast --peer-mac MAC --sizes BYTES "
			"--tx-seconds S [--seconds S] [--idle-yield] [--loop N [--yield-below N]] "
			"[--ip A.B.C.D] [--queues N]\n"
			"       vsw-dpdk-app EAL-ARGS -- pair --sizes BYTES --tx-seconds S "
			"[--seconds S] [--loop N] [--queues N]\n");
		rte_eal_cleanup();
		return 2;
	}
	signal(SIGTERM, app_signal);
	signal(SIGINT, app_signal);
	/* a loop holds up to a ring of frames per port and direction */
	a.pool = rte_pktmbuf_pool_create("app_pool",
		a.mode == APP_PAIR ? 3 * APP_LOOP_RING : a.loop ? 2 * APP_LOOP_RING : APP_NB_MBUF, 256,
		0, RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (a.pool == NULL) {
		fprintf(stderr, "vsw-dpdk-app: mbuf pool: %s\n", rte_strerror(rte_errno));
		rte_eal_cleanup();
		return 1;
	}
	ret = app_ports_init(&a) ? 1 : app_run(&a);
	/* counted first: a closed port no longer counts as available */
	n = RTE_MIN((int)rte_eth_dev_count_avail(), a.mode == APP_PAIR ? 2 : 1);
	while (n-- > 0) {
		rte_eth_dev_stop((uint16_t)n);
		rte_eth_dev_close((uint16_t)n);
	}
	rte_eal_cleanup();
	return ret;
}
