/* SPDX-License-Identifier: BSD-3-Clause */
/* vswitchd: options, daemon, EAL start, configuration replay, workers, control loop. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "vsw_daemon.h"
#include "internal.h"
#include "netvsc/netvsc.h"
#include "offload.h"

#define POOL_SIZE 32767
#define POOL_CACHE 256
#define LEARN_RING_SIZE 4096

int vs_logtype;

/* "0-1,3" for the CPUs this process may run on. */
static void affinity_list(char *buf, size_t size)
{
	cpu_set_t set;
	size_t used = 0;
	int cpu, end;

	buf[0] = '\0';
	if (sched_getaffinity(0, sizeof(set), &set) < 0)
		return;
	for (cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (!CPU_ISSET(cpu, &set))
			continue;
		for (end = cpu; end + 1 < CPU_SETSIZE && CPU_ISSET(end + 1, &set); end++)
			;
		used += (size_t)snprintf(buf + used, size - used, "%s%d", used ? "," : "", cpu);
		if (end > cpu)
			used += (size_t)snprintf(buf + used, size - used, "-%d", end);
		cpu = end;
		if (used >= size - 8)
			break;
	}
}

static long meminfo_value(const char *key)
{
	char line[128];
	long v = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	while (f && fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, strlen(key)) == 0) {
			v = strtol(line + strlen(key), NULL, 10);
			break;
		}
	}
	if (f)
		fclose(f);
	return v;
}

static bool hugetlbfs_mounted(void)
{
	char line[512];
	bool found = false;
	FILE *f = fopen("/proc/mounts", "r");

	while (f && !found && fgets(line, sizeof(line), f))
		found = strstr(line, " hugetlbfs ") != NULL;
	if (f)
		fclose(f);
	return found;
}

/* PCI scanning is only useful when some device is bound to a userspace I/O driver. */
static bool pci_devices_bound(void)
{
	const char *drivers[] = {"vfio-pci", "uio_pci_generic", "igb_uio"};
	char path[64];
	struct dirent *de;
	bool found = false;
	size_t i;

	for (i = 0; i < VSW_ARRAY_SIZE(drivers) && !found; i++) {
		DIR *d;

		snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s", drivers[i]);
		d = opendir(path);
		while (d && !found && (de = readdir(d)))
			found = strchr(de->d_name, ':') != NULL;
		if (d)
			closedir(d);
	}
	return found;
}

static bool use_hugepages(const struct vs_opts *o)
{
	if (o->huge != VS_HUGE_AUTO)
		return o->huge == VS_HUGE_ON;
	return meminfo_value("HugePages_Free:") > 0 && hugetlbfs_mounted();
}

static int eal_start(struct vs_opts *o, char *argv0)
{
	char prefix[64], lcores[1024], mem[16], all[128];
	char *argv[64 + 16];
	size_t used;
	int argc = 0, i;
	unsigned int w;

	affinity_list(all, sizeof(all));
	snprintf(prefix, sizeof(prefix), "--file-prefix=vsw-%s", o->name);
	used = (size_t)snprintf(lcores, sizeof(lcores), "--lcores=0@(%s)",
		o->control_cpus[0] ? o->control_cpus : all);
	for (w = 0; w < o->workers; w++)
		used += (size_t)snprintf(lcores + used, sizeof(lcores) - used, ",%u@(%s)", w + 1,
			o->cpus[0] ? o->cpus : all);
	argv[argc++] = argv0;
	argv[argc++] = prefix;
	argv[argc++] = lcores;
	argv[argc++] = "--main-lcore=0";
	/* no multi-process files: a killed switch leaves nothing that blocks its restart */
	argv[argc++] = "--no-shconf";
	argv[argc++] = o->verbose ? "--log-level=*:info" : "--log-level=*:notice";
	if (use_hugepages(o)) {
		/* files are unlinked once mapped: a killed switch leaves no hugepage behind */
		argv[argc++] = "--huge-unlink";
	} else {
		snprintf(mem, sizeof(mem), "%u", o->memory_mb);
		argv[argc++] = "--no-huge";
		argv[argc++] = "-m";
		argv[argc++] = mem;
	}
	if (!pci_devices_bound())
		argv[argc++] = "--no-pci";
	for (i = 0; i < o->n_eal_args && argc < (int)VSW_ARRAY_SIZE(argv) - 1; i++)
		argv[argc++] = o->eal_args[i];
	argv[argc] = NULL;
	return rte_eal_init(argc, argv);
}

static int mkdir_parent(const char *path)
{
	char *copy = strdup(path);
	int ret = 0;

	if (copy == NULL)
		return -ENOMEM;
	if (mkdir(dirname(copy), 0755) < 0 && errno != EEXIST)
		ret = -errno;
	free(copy);
	return ret;
}

static int workers_create(struct vs_switch *sw)
{
	unsigned int i, lcore = rte_get_next_lcore(-1, 1, 0);
	char name[32];

	for (i = 0; i < sw->n_workers; i++) {
		struct vs_worker *w = rte_zmalloc("worker", sizeof(*w), RTE_CACHE_LINE_SIZE);

		if (w == NULL || lcore >= RTE_MAX_LCORE)
			return -ENOMEM;
		w->id = i;
		w->lcore = lcore;
		w->sw = sw;
		snprintf(name, sizeof(name), "vs_learn%u", i);
		w->learn = rte_ring_create_elem(name, sizeof(struct vs_learn_req), LEARN_RING_SIZE,
			SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (w->learn == NULL)
			return -ENOMEM;
		/* uplink TCP for guests that enabled RSC is coalesced per burst (DESIGN 8); without
		 * a context frames simply go one by one */
		w->gro = vs_ol_gro_create(&(struct vs_ol_gro_params){.max_flows = 64,
			.max_bytes = 62780, .max_segs = 64}, SOCKET_ID_ANY);
		sw->workers[i] = w;
		lcore = rte_get_next_lcore(lcore, 1, 0);
	}
	return 0;
}

static int switch_init(struct vs_switch *sw, struct vs_opts *o)
{
	size_t qs_size;
	int ret;

	sw->opts = o;
	sw->hz = rte_get_tsc_hz();
	sw->ageing = VS_AGEING_DEFAULT;
	sw->n_workers = o->workers;
	if (rte_lcore_count() != o->workers + 1)
		return -EINVAL;
	sw->learn_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (sw->learn_efd < 0)
		return -errno;
	sw->ep = epoll_create1(EPOLL_CLOEXEC);
	if (sw->ep < 0)
		return -errno;
	qs_size = rte_rcu_qsbr_get_memsize(sw->n_workers);
	sw->qs = rte_zmalloc("vs_qsbr", qs_size, RTE_CACHE_LINE_SIZE);
	if (sw->qs == NULL || rte_rcu_qsbr_init(sw->qs, sw->n_workers))
		return -ENOMEM;
	sw->fdb = vs_fdb_create("vs_fdb", VS_FDB_CAPACITY, sw->qs);
	if (sw->fdb == NULL)
		return -ENOMEM;
	sw->pool = rte_pktmbuf_pool_create("vsw_pool", POOL_SIZE, POOL_CACHE, 0,
		RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (sw->pool == NULL)
		return -ENOMEM;
	ret = workers_create(sw);
	if (ret)
		return ret;
	return vs_dp_publish(sw);
}

/* Re-create the saved ports. A port that cannot attach now is kept, in state "error", so its
 * configuration is not lost. */
static void config_replay(struct vs_switch *sw, const struct vs_config *cfg)
{
	char err[256];
	unsigned int i;

	sw->ageing = cfg->ageing;
	for (i = 0; i < cfg->n_ports; i++) {
		const struct vs_config_port *cp = &cfg->ports[i];

		if (vs_port_add(sw, cp->name, cp->devargs, &cp->set, true, err, sizeof(err)))
			VS_LOG(ERR, "port %s: %s", cp->name, err);
	}
}

static void switch_stop(struct vs_switch *sw)
{
	unsigned int i;

	sw->quit = true;
	rte_eal_mp_wait_lcore();
	for (i = 0; i < VS_MAX_PORTS; i++) {
		struct vs_port *p = sw->ports[i];

		if (p && p->kind == VS_PORT_NETVSC)
			vs_nv_port_destroy(p->nv); /* the hypervisor sees the hang-up */
		else if (p && p->attached)
			vs_port_detach(p);
	}
}

int main(int argc, char **argv)
{
	static struct vs_config cfg;
	static struct vs_switch sw;
	struct vs_opts o;
	sigset_t sigs;
	char err[512];
	int ret, ready_fd = -1;

	ret = vs_opts_parse(argc, argv, &o);
	if (ret)
		return ret > 0 ? 0 : 2;
	/* refuse a broken configuration before touching anything; the file is left as it is */
	ret = vs_config_load(o.config_path, &cfg, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "vswitchd: configuration %s\nvswitchd: fix or remove the file; "
			"nothing was started\n", err);
		return 1;
	}
	if (mkdir_parent(o.socket_path) || mkdir_parent(o.config_path)) {
		fprintf(stderr, "vswitchd: cannot create the socket or configuration directory\n");
		return 1;
	}
	if (o.log_file[0] && vsw_log_to_file(o.log_file)) {
		fprintf(stderr, "vswitchd: cannot open log file %s: %s\n", o.log_file,
			strerror(errno));
		return 1;
	}
	if (o.detach) {
		ready_fd = vsw_daemonize(o.log_file[0] != '\0');
		if (ready_fd < 0)
			return 1;
	}
	/* every thread EAL creates inherits this mask; SIGINT/SIGTERM are read by the control
	 * thread's signalfd, so a stop always goes through the clean shutdown */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	if (o.pidfile[0] && vsw_pidfile_write(o.pidfile))
		fprintf(stderr, "vswitchd: cannot write pidfile %s\n", o.pidfile);
	if (eal_start(&o, argv[0]) < 0) {
		fprintf(stderr, "vswitchd: cannot initialise DPDK: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	vs_logtype = rte_log_register_type_and_pick_level("vswitchd", RTE_LOG_INFO);
	rte_log_set_level(vs_logtype, o.verbose ? RTE_LOG_DEBUG : RTE_LOG_INFO);
	ret = switch_init(&sw, &o);
	if (ret) {
		VS_LOG(ERR, "cannot initialise the switch: %s", strerror(-ret));
		goto out;
	}
	config_replay(&sw, &cfg);
	for (unsigned int i = 0; i < sw.n_workers; i++)
		rte_eal_remote_launch(vs_worker_main, sw.workers[i], sw.workers[i]->lcore);
	ret = vs_server_run(&sw, ready_fd);
	switch_stop(&sw);
	VS_LOG(NOTICE, "stopped");
out:
	if (o.pidfile[0])
		unlink(o.pidfile);
	rte_eal_cleanup();
	return ret ? 1 : 0;
}
