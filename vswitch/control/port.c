/* SPDX-License-Identifier: BSD-3-Clause */
/* Ports: DPDK ethdevs attached from devargs at run time (rte_dev_probe), or netvsc ports
 * (netvsc/conn.c). Control thread only. */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_bus.h>
#include <rte_errno.h>
#include <rte_dev.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>

#include "internal.h"
#include "netvsc/netvsc.h"

#define PORT_NB_DESC 1024
#define AF_PACKET_FRAMESZ "10240"
#define AF_PACKET_BLOCKSZ "20480"
#define JUMBO_DATA_ROOM (10240 + RTE_PKTMBUF_HEADROOM)
#define JUMBO_POOL_SIZE 8191

struct vs_port *vs_port_lookup(struct vs_switch *sw, const char *name)
{
	unsigned int i;

	for (i = 0; i < VS_MAX_PORTS; i++) {
		if (sw->ports[i] && strcmp(sw->ports[i]->name, name) == 0)
			return sw->ports[i];
	}
	return NULL;
}

static void port_admin_apply(struct vs_switch *sw, struct vs_port *p);

/* Every argument after the device name must be KEY=VALUE with both non-empty: some PMDs crash on
 * a bare key (net_af_packet,iface), so the shape is checked before DPDK sees it. */
static bool devargs_args_valid(const char *args)
{
	const char *p = args;

	while (p && *p == ',') {
		const char *end = strchr(p + 1, ','), *eq;
		size_t len = end ? (size_t)(end - p - 1) : strlen(p + 1);

		eq = memchr(p + 1, '=', len);
		if (eq == NULL || eq == p + 1 || eq == p + len)
			return false;
		p = end;
	}
	return true;
}

/*
 * Turn the operator's devargs into what rte_dev_probe() takes. A virtual device's name gets the
 * port name appended so one driver can back many ports; af_packet gets ring frames large enough
 * for 9216-byte frames unless told otherwise, because its receive path cannot chain buffers.
 */
static int devargs_rewrite(struct vs_port *p, char *probe, size_t size, char *err,
	size_t errlen)
{
	const char *args = strchr(p->devargs, ',');
	size_t tok_len = args ? (size_t)(args - p->devargs) : strlen(p->devargs);
	char devname[RTE_ETH_NAME_MAX_LEN];
	bool vdev = strncmp(p->devargs, "net_", 4) == 0;
	bool af_packet = strncmp(p->devargs, "net_af_packet", 13) == 0;
	int n;

	if (tok_len == 0 || strpbrk(p->devargs, " \t\n\"'") || !devargs_args_valid(args)) {
		snprintf(err, errlen, "malformed devargs '%s'", p->devargs);
		return -EINVAL;
	}
	n = snprintf(devname, sizeof(devname), "%.*s%s%s", (int)tok_len, p->devargs,
		vdev ? "_" : "", vdev ? p->name : "");
	if (n >= (int)sizeof(devname)) {
		snprintf(err, errlen, "device name too long");
		return -EINVAL;
	}
	n = snprintf(probe, size, "%s%s%s%s", devname, args ? args : "",
		af_packet && !strstr(p->devargs, "framesz=") ? ",framesz=" AF_PACKET_FRAMESZ : "",
		af_packet && !strstr(p->devargs, "blocksz=") ? ",blocksz=" AF_PACKET_BLOCKSZ : "");
	if (n >= (int)size) {
		snprintf(err, errlen, "devargs too long");
		return -EINVAL;
	}
	snprintf(p->devname, sizeof(p->devname), "%s", devname);
	return 0;
}

static struct rte_mempool *port_pool(struct vs_switch *sw, const struct vs_port *p)
{
	if (strncmp(p->driver, "net_af_packet", 13) != 0)
		return sw->pool;
	if (sw->jumbo_pool == NULL)
		sw->jumbo_pool = rte_pktmbuf_pool_create("vsw_jumbo", JUMBO_POOL_SIZE, 256, 0,
			JUMBO_DATA_ROOM, SOCKET_ID_ANY);
	return sw->jumbo_pool;
}

/* One interface ioctl on the kernel interface behind a port (af_packet, af_xdp, tap). */
static int kernel_ioctl(int if_index, unsigned long req, struct ifreq *ifr)
{
	int fd, ret = 0;

	if (if_indextoname((unsigned int)if_index, ifr->ifr_name) == NULL)
		return -errno;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, req, ifr) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

static int kernel_mtu_set(int if_index, uint16_t mtu)
{
	struct ifreq ifr = {.ifr_mtu = mtu};

	return kernel_ioctl(if_index, SIOCSIFMTU, &ifr);
}

static int kernel_link_set(int if_index, bool up)
{
	struct ifreq ifr = {0};
	int ret;

	ret = kernel_ioctl(if_index, SIOCGIFFLAGS, &ifr);
	if (ret)
		return ret;
	if (up)
		ifr.ifr_flags |= IFF_UP;
	else
		ifr.ifr_flags &= ~IFF_UP;
	return kernel_ioctl(if_index, SIOCSIFFLAGS, &ifr);
}

/*
 * The switch enforces the MTU itself; the device is asked to match so that it can receive such
 * frames. Some PMDs refuse MTUs above what they advertise although they pass the frames (memif)
 * or leave the kernel interface to us (af_packet advertises 1518).
 */
static int port_mtu_apply(struct vs_port *p, uint16_t mtu, char *err, size_t errlen)
{
	int ret = rte_eth_dev_set_mtu(p->eth_port, mtu);

	if (ret == 0)
		return 0;
	if (p->if_index > 0) {
		ret = kernel_mtu_set(p->if_index, mtu);
		if (ret) {
			snprintf(err, errlen, "cannot set MTU %u on its interface: %s", mtu,
				strerror(-ret));
			return ret;
		}
		return 0;
	}
	VS_LOG(INFO, "port %s: device keeps its MTU (%s); the switch enforces %u", p->name,
		strerror(-ret), mtu);
	return 0;
}

static int port_configure(struct vs_switch *sw, struct vs_port *p, char *err, size_t errlen)
{
	struct rte_eth_conf conf = {0};
	struct rte_eth_dev_info info;
	uint16_t nb_rxd = PORT_NB_DESC, nb_txd = PORT_NB_DESC, q;
	struct rte_mempool *pool;
	int ret;

	ret = rte_eth_dev_info_get(p->eth_port, &info);
	if (ret)
		goto fail;
	snprintf(p->driver, sizeof(p->driver), "%s", info.driver_name);
	p->if_index = (int)info.if_index;
	if (info.max_rx_queues < 1 || info.max_tx_queues < 1) {
		snprintf(err, errlen, "device has no queues");
		return -ENOTSUP;
	}
	if (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_SCATTER)
		conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_SCATTER;
	if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS)
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	/* guests' LSO/checksum requests use the NIC's when it has them (worker.c, DESIGN 8) */
	p->tx_ol = info.tx_offload_capa &
		   (RTE_ETH_TX_OFFLOAD_TCP_TSO | RTE_ETH_TX_OFFLOAD_TCP_CKSUM |
			   RTE_ETH_TX_OFFLOAD_UDP_CKSUM | RTE_ETH_TX_OFFLOAD_IPV4_CKSUM);
	conf.txmode.offloads |= p->tx_ol;
	p->n_txq = (uint16_t)RTE_MIN(sw->n_workers, info.max_tx_queues);
	ret = rte_eth_dev_configure(p->eth_port, 1, p->n_txq, &conf);
	if (ret)
		goto fail;
	rte_eth_dev_adjust_nb_rx_tx_desc(p->eth_port, &nb_rxd, &nb_txd);
	pool = port_pool(sw, p);
	if (pool == NULL) {
		ret = -ENOMEM;
		goto fail;
	}
	ret = rte_eth_rx_queue_setup(p->eth_port, 0, nb_rxd, (unsigned int)rte_socket_id(), NULL,
		pool);
	if (ret)
		goto fail;
	for (q = 0; q < p->n_txq; q++) {
		ret = rte_eth_tx_queue_setup(p->eth_port, q, nb_txd, (unsigned int)rte_socket_id(),
			NULL);
		if (ret)
			goto fail;
	}
	return 0;
fail:
	snprintf(err, errlen, "cannot configure device: %s", strerror(ret < 0 ? -ret : ret));
	return ret < 0 ? ret : -ret;
}

void vs_port_detach(struct vs_port *p)
{
	struct rte_eth_dev_info info;
	struct rte_device *dev = NULL;

	if (rte_eth_dev_info_get(p->eth_port, &info) == 0)
		dev = info.device;
	rte_eth_dev_stop(p->eth_port);
	rte_eth_dev_close(p->eth_port);
	if (dev)
		rte_dev_remove(dev);
	p->attached = false;
}

/*
 * af_packet opens its ETH_P_ALL socket and ring before binding it to the interface, so frames of
 * any interface of the namespace can be queued during probe. Nothing polls the queue before the
 * port is published, so discard what is there now.
 */
static void port_rx_discard(struct vs_port *p)
{
	struct rte_mbuf *pkts[VS_BURST];
	unsigned int i;
	uint16_t n;

	for (i = 0; i < 1024; i++) {
		n = rte_eth_rx_burst(p->eth_port, 0, pkts, VS_BURST);
		if (n == 0)
			break;
		rte_pktmbuf_free_bulk(pkts, n);
	}
}

static int port_attach(struct vs_switch *sw, struct vs_port *p, char *err, size_t errlen)
{
	char probe[VS_DEVARGS_MAX + 64];
	int ret;

	ret = devargs_rewrite(p, probe, sizeof(probe), err, errlen);
	if (ret)
		return ret;
	if (rte_eth_dev_get_port_by_name(p->devname, &p->eth_port) == 0) {
		snprintf(err, errlen, "device %s is already in use", p->devname);
		return -EBUSY;
	}
	ret = rte_dev_probe(probe);
	if (ret) {
		snprintf(err, errlen, "cannot attach '%s': %s (check the driver name and its "
			"arguments)", p->devargs, strerror(-ret));
		return ret;
	}
	ret = rte_eth_dev_get_port_by_name(p->devname, &p->eth_port);
	if (ret) {
		snprintf(err, errlen, "'%s' did not create an ethernet port", p->devargs);
		rte_eal_hotplug_remove(strncmp(p->devname, "net_", 4) == 0 ? "vdev" : "pci",
			p->devname);
		return -ENODEV;
	}
	p->attached = true;
	ret = port_configure(sw, p, err, errlen);
	if (ret)
		goto err_detach;
	ret = rte_eth_dev_start(p->eth_port);
	if (ret) {
		snprintf(err, errlen, "cannot start device: %s", strerror(-ret));
		goto err_detach;
	}
	rte_eth_promiscuous_enable(p->eth_port);
	rte_eth_macaddr_get(p->eth_port, &p->mac);
	ret = port_mtu_apply(p, p->set.mtu, err, errlen);
	if (ret)
		goto err_detach;
	port_rx_discard(p);
	return 0;
err_detach:
	vs_port_detach(p);
	return ret;
}

/* A netvsc port has no device: it is usable once its devargs parse, and comes up when the
 * hypervisor opens the channel. */
static int netvsc_attach(struct vs_switch *sw, struct vs_port *p, char *err, size_t errlen)
{
	int ret;

	p->kind = VS_PORT_NETVSC;
	p->eth_port = UINT16_MAX;
	snprintf(p->driver, sizeof(p->driver), "netvsc");
	snprintf(p->devname, sizeof(p->devname), "netvsc_%s", p->name);
	/* the hypervisor's HELLO reply gives the NIC's MAC; until then a locally administered
	 * placeholder */
	p->mac = (struct rte_ether_addr){{0x02, 0, 0, 0, 0, 0}};
	ret = vs_nv_port_create(sw, p, err, errlen);
	if (ret)
		return ret;
	p->attached = true;
	return 0;
}

static unsigned int least_loaded_worker(struct vs_switch *sw)
{
	unsigned int load[VS_MAX_WORKERS] = {0}, i, best = 0;

	for (i = 0; i < VS_MAX_PORTS; i++) {
		if (sw->ports[i])
			load[sw->ports[i]->worker]++;
	}
	for (i = 1; i < sw->n_workers; i++) {
		if (load[i] < load[best])
			best = i;
	}
	return best;
}

void vs_port_counters_sum(struct vs_switch *sw, uint16_t slot, struct vs_port_counters *out)
{
	unsigned int w, d;

	memset(out, 0, sizeof(*out));
	for (w = 0; w < sw->n_workers; w++) {
		const struct vs_port_counters *c = &sw->workers[w]->stats[slot];

		out->rx_packets += c->rx_packets;
		out->rx_bytes += c->rx_bytes;
		out->tx_packets += c->tx_packets;
		out->tx_bytes += c->tx_bytes;
		out->tx_segmented += c->tx_segmented;
		out->rx_coalesced += c->rx_coalesced;
		for (d = 0; d < VS_DROP_COUNT; d++)
			out->drops[d] += c->drops[d];
	}
}

static int free_slot(struct vs_switch *sw)
{
	int i;

	for (i = 0; i < VS_MAX_PORTS; i++) {
		if (sw->ports[i] == NULL)
			return i;
	}
	return -1;
}

int vs_port_add(struct vs_switch *sw, const char *name, const char *devargs,
	const struct vs_port_settings *set, bool keep_on_failure, char *err, size_t errlen)
{
	struct vs_port *p;
	unsigned int q;
	int slot, ret;

	if (!vsw_name_is_valid(name)) {
		snprintf(err, errlen, "invalid port name '%s' (1-15 of A-Z a-z 0-9 _ . -)", name);
		return -EINVAL;
	}
	if (vs_port_lookup(sw, name)) {
		snprintf(err, errlen, "port %s already exists", name);
		return -EEXIST;
	}
	if (strlen(devargs) == 0 || strlen(devargs) >= VS_DEVARGS_MAX) {
		snprintf(err, errlen, "devargs must be 1-%d characters", VS_DEVARGS_MAX - 1);
		return -EINVAL;
	}
	slot = free_slot(sw);
	if (slot < 0) {
		snprintf(err, errlen, "the switch has %d ports already", VS_MAX_PORTS);
		return -ENOSPC;
	}
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	snprintf(p->name, sizeof(p->name), "%s", name);
	snprintf(p->devargs, sizeof(p->devargs), "%s", devargs);
	p->set = *set;
	p->slot = (uint16_t)slot;
	p->worker = least_loaded_worker(sw);
	if (vs_nv_devargs_is_netvsc(devargs))
		ret = netvsc_attach(sw, p, err, errlen);
	else
		ret = port_attach(sw, p, err, errlen);
	if (ret && !keep_on_failure) {
		free(p);
		return ret;
	}
	if (ret) {
		snprintf(p->error, sizeof(p->error), "%s", err);
		VS_LOG(ERR, "port %s: %s", p->name, err);
	}
	p->txq_locks = calloc(p->n_txq ? p->n_txq : 1, sizeof(*p->txq_locks));
	if (p->txq_locks == NULL) {
		if (p->kind == VS_PORT_NETVSC)
			vs_nv_port_destroy(p->nv);
		else if (p->attached)
			vs_port_detach(p);
		free(p);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (q = 0; q < p->n_txq; q++)
		rte_spinlock_init(&p->txq_locks[q]);
	vs_port_counters_sum(sw, p->slot, &sw->base[p->slot]);
	sw->ports[slot] = p;
	if (p->set.admin_down)
		port_admin_apply(sw, p);
	/* report the device's real link state from the start, not "up" until the next poll */
	vs_port_poll_link(sw);
	vs_dp_publish(sw);
	if (p->attached && p->kind == VS_PORT_NETVSC)
		VS_LOG(INFO, "port %s: netvsc port (worker %u)", p->name, p->worker);
	else if (p->attached)
		VS_LOG(INFO, "port %s: attached %s (%s, dpdk port %u, worker %u)", p->name,
			p->devname, p->driver, p->eth_port, p->worker);
	return 0;
}

int vs_port_del(struct vs_switch *sw, struct vs_port *p)
{
	sw->ports[p->slot] = NULL;
	__atomic_store_n(&sw->link_up[p->slot], 0, __ATOMIC_RELAXED);
	/* after this no worker touches the port, its queues or its tx locks */
	vs_dp_publish(sw);
	vs_learn_drain(sw);
	vs_fdb_flush(sw->fdb, -1, p->slot);
	if (p->kind == VS_PORT_NETVSC)
		vs_nv_port_destroy(p->nv);
	else if (p->attached)
		vs_port_detach(p);
	VS_LOG(INFO, "port %s: deleted", p->name);
	free(p->txq_locks);
	free(p);
	return 0;
}

/* Field by field: the struct has padding that copies need not preserve. */
static bool vlan_cfg_equal(const struct vs_vlan_cfg *a, const struct vs_vlan_cfg *b)
{
	return a->mode == b->mode && a->all == b->all && a->vlan == b->vlan &&
		memcmp(a->trunks, b->trunks, sizeof(a->trunks)) == 0;
}

/*
 * admin=down/up on an attached port. The switch stops using the port (it is not polled and
 * nothing is sent to it) and takes the device down too, as a switch shuts a physical port: the
 * DPDK driver's link down where it has one, else the kernel interface behind the port (af_packet
 * has no link down in 22.11), so a veth peer sees no carrier. A netvsc guest is told media
 * disconnect/connect by the port's worker.
 */
static void port_admin_apply(struct vs_switch *sw, struct vs_port *p)
{
	bool up = !p->set.admin_down;
	int ret;

	if (p->kind == VS_PORT_NETVSC) {
		if (p->nv)
			vs_nv_port_admin_set(p->nv, up);
	} else if (p->attached) {
		ret = up ? rte_eth_dev_set_link_up(p->eth_port) :
			rte_eth_dev_set_link_down(p->eth_port);
		if (ret == -ENOTSUP && p->if_index > 0)
			ret = kernel_link_set(p->if_index, up);
		if (ret && ret != -ENOTSUP)
			VS_LOG(WARNING, "port %s: setting the device link %s: %s", p->name,
				up ? "up" : "down", rte_strerror(-ret));
	}
	vs_port_poll_link(sw);
	VS_LOG(INFO, "port %s: admin %s", p->name, up ? "up" : "down");
}

int vs_port_set(struct vs_switch *sw, struct vs_port *p, const struct vs_port_settings *set,
	char *err, size_t errlen)
{
	bool vlan_changed = !vlan_cfg_equal(&set->vlan, &p->set.vlan);
	bool admin_changed = set->admin_down != p->set.admin_down;
	int ret;

	/* netvsc: the guest learns the limit at its next channel open (ndis_mtu_max) */
	if (p->attached && p->kind == VS_PORT_ETHDEV && set->mtu != p->set.mtu) {
		ret = port_mtu_apply(p, set->mtu, err, errlen);
		if (ret)
			return ret;
	}
	p->set = *set;
	if (admin_changed)
		port_admin_apply(sw, p);
	vs_dp_publish(sw);
	/* entries learned under the old VLAN policy may no longer be reachable; an MTU change
	 * keeps them; a port taken down loses its entries as its link would */
	if (vlan_changed || (admin_changed && set->admin_down))
		vs_fdb_flush(sw->fdb, -1, p->slot);
	return 0;
}

void vs_port_poll_link(struct vs_switch *sw)
{
	struct rte_eth_link link;
	unsigned int i;

	for (i = 0; i < VS_MAX_PORTS; i++) {
		struct vs_port *p = sw->ports[i];
		uint8_t up = 0;

		if (p == NULL)
			continue;
		if (p->set.admin_down)
			up = 0;
		else if (p->kind == VS_PORT_NETVSC)
			up = p->nv && vs_nv_port_link_up(p->nv);
		else if (p->attached && rte_eth_link_get_nowait(p->eth_port, &link) == 0)
			up = link.link_status == RTE_ETH_LINK_UP;
		__atomic_store_n(&sw->link_up[i], up, __ATOMIC_RELAXED);
	}
}
