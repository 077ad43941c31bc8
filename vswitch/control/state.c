/* SPDX-License-Identifier: BSD-3-Clause */
/* Running state <-> configuration file, and MAC learning requests from the workers. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>

#include "internal.h"

void vs_switch_to_config(struct vs_switch *sw, struct vs_config *cfg)
{
	unsigned int i;

	memset(cfg, 0, sizeof(*cfg));
	cfg->ageing = sw->ageing;
	for (i = 0; i < VS_MAX_PORTS; i++) {
		const struct vs_port *p = sw->ports[i];
		struct vs_config_port *cp;

		if (p == NULL)
			continue;
		cp = &cfg->ports[cfg->n_ports++];
		snprintf(cp->name, sizeof(cp->name), "%s", p->name);
		snprintf(cp->devargs, sizeof(cp->devargs), "%s", p->devargs);
		cp->set = p->set;
	}
}

int vs_switch_save(struct vs_switch *sw)
{
	struct vs_config *cfg = malloc(sizeof(*cfg));
	int ret;

	if (cfg == NULL)
		return -ENOMEM;
	vs_switch_to_config(sw, cfg);
	ret = vs_config_save(sw->opts->config_path, cfg);
	if (ret)
		VS_LOG(ERR, "cannot save configuration to %s: %s", sw->opts->config_path,
			strerror(-ret));
	free(cfg);
	return ret;
}

void vs_learn_drain(struct vs_switch *sw)
{
	struct vs_learn_req reqs[64];
	uint64_t now = rte_rdtsc();
	unsigned int w, n, i;

	__atomic_store_n(&sw->learn_pending, 0, __ATOMIC_RELEASE);
	for (w = 0; w < sw->n_workers; w++) {
		do {
			n = rte_ring_sc_dequeue_burst_elem(sw->workers[w]->learn, reqs,
				sizeof(reqs[0]), 64, NULL);
			for (i = 0; i < n; i++) {
				/* a request may outlive its port */
				if (sw->ports[reqs[i].port] == NULL)
					continue;
				vs_fdb_learn(sw->fdb, &reqs[i].key, reqs[i].port, now);
			}
		} while (n == 64);
	}
}
