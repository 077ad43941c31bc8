/* SPDX-License-Identifier: BSD-3-Clause */
/* Build the workers' view of the ports and swap it in with RCU. Control thread only. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "netvsc/netvsc.h"

static void dp_port_fill(struct vs_dp_port *d, const struct vs_port *p, unsigned int n_workers)
{
	d->present = true;
	d->admin_down = p->set.admin_down;
	/* a partition sends only from the MAC it was given (Hyper-V's default): otherwise it could
	 * take over another port's MAC in the FDB */
	d->src_check = p->kind == VS_PORT_NETVSC && !p->set.mac_spoofing;
	memcpy(d->src_mac, p->mac.addr_bytes, 6);
	d->kind = (uint8_t)p->kind;
	d->nv = p->kind == VS_PORT_NETVSC ? vs_nv_port_chan(p->nv) : NULL;
	d->eth_port = p->eth_port;
	d->n_txq = p->n_txq;
	d->txq_shared = p->n_txq < n_workers;
	d->txq_locks = p->txq_locks;
	d->max_plain_len = p->set.mtu + 14u;
	d->tx_ol = p->tx_ol;
	d->vlan = p->set.vlan;
}

int vs_dp_publish(struct vs_switch *sw)
{
	struct vs_dp_config *dp, *old;
	unsigned int slot;

	dp = calloc(1, sizeof(*dp));
	if (dp == NULL)
		return -ENOMEM;
	for (slot = 0; slot < VS_MAX_PORTS; slot++) {
		const struct vs_port *p = sw->ports[slot];

		if (p == NULL || !p->attached)
			continue;
		dp_port_fill(&dp->port[slot], p, sw->n_workers);
		dp->n_slots = (uint16_t)(slot + 1);
		/* an admin-down device is not polled; a netvsc guest's control messages still
		 * need answers */
		if (p->set.admin_down && p->kind != VS_PORT_NETVSC)
			continue;
		dp->rx[p->worker].q[dp->rx[p->worker].n++] = (struct vs_dp_rxq){(uint16_t)slot, 0};
	}
	old = sw->dp;
	/* release: the new config is fully written before a worker can see the pointer */
	__atomic_store_n(&sw->dp, dp, __ATOMIC_RELEASE);
	/* every worker has left any burst that used 'old' once this returns */
	rte_rcu_qsbr_synchronize(sw->qs, RTE_QSBR_THRID_INVALID);
	free(old);
	return 0;
}
