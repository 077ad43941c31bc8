/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vmmd: the hypervisor daemon. One thread, one epoll loop (loop.c): the control socket, a
 * signalfd for SIGTERM/SIGINT, and per running partition its pidfd and stop timer.
 */
#include "vsw_daemon.h"
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vsw_util.h"

#define SHUTDOWN_STOP_TIMEOUT_S 10

static int mkdir_parent(const char *file)
{
	char copy[VMM_PATH_SIZE];

	snprintf(copy, sizeof(copy), "%s", file);
	return vsw_mkdir_p(dirname(copy), 0755);
}

/* vsw-guest-init: --guest-init, else next to vmmd (installed) or in the build tree's
 * guest-drivers/ (vmmd is in hypervisor/). */
static int guest_init_find(const struct vmm_opts *o, char *out, size_t size)
{
	static const char *const rel[] = {"vsw-guest-init", "../guest-drivers/vsw-guest-init"};
	char exe[VMM_PATH_SIZE], cand[VMM_PATH_SIZE * 2];
	unsigned int i;
	ssize_t n;

	if (o->guest_init[0]) {
		if (realpath(o->guest_init, out) == NULL || access(out, X_OK) < 0)
			return -errno;
		return 0;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0)
		return -errno;
	exe[n] = '\0';
	dirname(exe);
	for (i = 0; i < VSW_ARRAY_SIZE(rel); i++) {
		snprintf(cand, sizeof(cand), "%s/%s", exe, rel[i]);
		if (access(cand, X_OK) == 0 && strlen(cand) < size && realpath(cand, out))
			return 0;
	}
	return -ENOENT;
}

static void on_signal(int fd, uint32_t events, void *arg)
{
	struct vmm_daemon *d = arg;
	struct signalfd_siginfo si;

	if (read(fd, &si, sizeof(si)) != sizeof(si))
		return;
	VMM_LOG(NOTICE, "signal %u received, stopping", si.ssi_signo);
	d->quit = true;
}

static int signals_open(struct vmm_daemon *d)
{
	sigset_t mask;
	int fd, ret;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = vmm_loop_add(d->loop, fd, EPOLLIN, on_signal, d);
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}

/* Everything that can refuse to start, before anything is created. */
static int prepare(const struct vmm_opts *o, struct vmm_daemon *d, struct vmm_part_config **cfgs,
	unsigned int *n)
{
	char err[512];
	long ncpu;
	int ret;

	ret = vmm_config_load(o->config_path, cfgs, n, err, sizeof(err));
	if (ret) {
		fprintf(stderr,
			"vmmd: configuration %s: %s\nvmmd: fix or remove the file; nothing "
			"was started\n",
			o->config_path, err);
		return ret;
	}
	ret = guest_init_find(o, d->guest_init, sizeof(d->guest_init));
	if (ret) {
		fprintf(stderr,
			"vmmd: cannot find an executable vsw-guest-init%s%s: %s (use "
			"--guest-init PATH)\n",
			o->guest_init[0] ? " at " : "", o->guest_init, strerror(-ret));
		return ret;
	}
	ret = vmm_cgroup_sys_init(&d->cgroups, o->name, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "vmmd: %s\n", err);
		return ret;
	}
	ret = vmm_cgroup_lock(&d->cgroups);
	if (ret) {
		fprintf(stderr, "vmmd: %s\n", ret == -EBUSY ? "another vmmd with this --name is running"
							   : "cannot create or lock its cgroup directory");
		return ret;
	}
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	d->max_cpus_centi = (uint32_t)(ncpu > 0 ? ncpu : 1) * 100;
	if (mkdir_parent(o->socket_path) || mkdir_parent(o->config_path) ||
		vsw_mkdir_p(o->state_dir, 0700)) {
		fprintf(stderr,
			"vmmd: cannot create the socket, configuration or state directory: "
			"%s\n",
			strerror(errno));
		return -errno;
	}
	return 0;
}

static int run(
	struct vmm_daemon *d, const struct vmm_part_config *cfgs, unsigned int n, int ready_fd)
{
	unsigned int i;
	int sig_fd, ret;

	vmm_cgroup_sweep(&d->cgroups);
	for (i = 0; i < n; i++) {
		ret = vmm_part_add(d, &cfgs[i]);
		if (ret)
			return ret;
	}
	sig_fd = signals_open(d);
	if (sig_fd < 0)
		return sig_fd;
	ret = vmm_server_open(d, &d->server);
	if (ret) {
		VMM_LOG(ERR, "cannot listen on %s: %s", d->opts->socket_path, strerror(-ret));
		goto out;
	}
	VMM_LOG(NOTICE,
		"ready: control socket %s, configuration %s (%u partitions), cgroup v%d, "
		"init %s",
		d->opts->socket_path, d->opts->config_path, n, d->cgroups.version, d->guest_init);
	if (ready_fd >= 0) {
		if (write(ready_fd, "", 1) < 0) {
			/* the parent is gone; keep running */
		}
		close(ready_fd);
	}
	while (!d->quit) {
		ret = vmm_loop_run_once(d->loop, -1);
		if (ret < 0) {
			VMM_LOG(ERR, "epoll: %s", strerror(-ret));
			break;
		}
	}
	/* the server stays open meanwhile: clients waiting on a stop get their answer */
	vmm_part_stop_all(d, SHUTDOWN_STOP_TIMEOUT_S);
	vmm_server_close(d->server);
	d->server = NULL;
	vmm_swport_fini(d);
	ret = ret < 0 ? ret : 0;
out:
	vmm_loop_del(d->loop, sig_fd);
	close(sig_fd);
	return ret;
}

int main(int argc, char **argv)
{
	static struct vmm_daemon d;
	struct vmm_part_config *cfgs = NULL;
	struct vmm_part *p, *next;
	struct vmm_opts o;
	unsigned int n = 0;
	int ret, ready_fd = -1;

	ret = vmm_opts_parse(argc, argv, &o);
	if (ret)
		return ret > 0 ? 0 : 2;
	d.opts = &o;
	d.cgroups.lock_fd = -1;
	d.swretry_fd = -1;
	if (prepare(&o, &d, &cfgs, &n)) {
		vmm_cgroup_sys_fini(&d.cgroups);
		free(cfgs);
		return 1;
	}
	if (o.verbose)
		vmm_log_level = VMM_LOG_DEBUG;
	if (o.log_file[0] && vsw_log_to_file(o.log_file)) {
		fprintf(stderr, "vmmd: cannot open log file %s: %s\n", o.log_file, strerror(errno));
		return 1;
	}
	if (o.detach) {
		ready_fd = vsw_daemonize(o.log_file[0] != '\0');
		if (ready_fd < 0)
			return 1;
	}
	if (o.pidfile[0] && vsw_pidfile_write(o.pidfile))
		VMM_LOG(WARNING, "cannot write pidfile %s", o.pidfile);
	d.loop = vmm_loop_create();
	ret = d.loop ? run(&d, cfgs, n, ready_fd) : -ENOMEM;
	for (p = d.parts; p; p = next) {
		next = p->next;
		free(p);
	}
	vmm_cgroup_sys_fini(&d.cgroups);
	vmm_loop_destroy(d.loop);
	free(cfgs);
	if (o.pidfile[0])
		unlink(o.pidfile);
	VMM_LOG(NOTICE, "stopped");
	return ret ? 1 : 0;
}
