/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Partition lifecycle: start (memfd, message socket, cgroup, namespaces, seccomp, exec of
 * vsw-guest-init), stop (SIGTERM, SIGKILL after a timeout), and the exit of PID 1 seen through
 * its pidfd.
 *
 * Start, step by step, and why in this order:
 *   parent: memfd (sealed size), message socketpair, cgroup with its limits, log file, a sync
 *           socketpair, then clone3(CLONE_NEW{NET,NS,PID,UTS,IPC} | CLONE_PIDFD).
 *   child:  PR_SET_PDEATHSIG, then waits for the parent's "go".
 *   parent: writes the child's PID into the cgroup, sends "go". Moving the child before it runs
 *           anything means every process of the partition is charged to its limits; doing it
 *           from the parent (rather than CLONE_INTO_CGROUP) works with cgroup v1 too.
 *   child:  unshare(CLONE_NEWCGROUP) (now, so that the namespace root is the partition's own
 *           cgroup), hostname, / made recursively private (nothing the partition mounts leaks
 *           out, nothing later mounted on the host leaks in), a fresh /proc for its PID namespace
 *           and a fresh sysfs for its network namespace, fds 0-4 (stdin /dev/null, stdout and
 *           stderr the log, 3 the memfd, 4 the message socket), everything else closed, dangerous
 *           capabilities dropped from the bounding set, the seccomp filter, exec.
 *   parent: waits for the sync socket: end of file means exec succeeded (the child's end is
 *           close-on-exec); a message means a step failed, and which.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/capability.h>

#include "vmbus_server.h"
#include "vsw_util.h"

#define START_SYNC_TIMEOUT_MS 10000 /* the child's setup is a few syscalls; this is a backstop */

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

/* clone3's argument, version 0 (CLONE_ARGS_SIZE_VER0), declared here because <linux/sched.h>
 * collides with <sched.h>. */
struct vmm_clone_args {
	uint64_t flags;
	uint64_t pidfd;
	uint64_t child_tid;
	uint64_t parent_tid;
	uint64_t exit_signal;
	uint64_t stack;
	uint64_t stack_size;
	uint64_t tls;
};
_Static_assert(sizeof(struct vmm_clone_args) == 64, "clone_args v0 layout");

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif

/* What the child reports when a setup step fails (nothing is sent on success). */
struct child_report {
	int err;       /* positive errno */
	char step[48]; /* which step */
};

struct child_args {
	const struct vmm_part *p;
	const char *init; /* vsw-guest-init path */
	int memfd, msg_fd, sync_fd, log_fd;
};

/* Capabilities the partition's root keeps nothing of: host-wide or kernel-level powers that no
 * program in a partition needs (CAP_NET_ADMIN and CAP_NET_RAW stay: its own network namespace is
 * its to configure). CAP_SYS_ADMIN goes too: hostname and mounts are done before exec. */
static const int dropped_caps[] = {
	CAP_SYS_MODULE,
	CAP_SYS_RAWIO,
	CAP_SYS_BOOT,
	CAP_SYS_TIME,
	CAP_SYS_ADMIN,
	CAP_MKNOD,
	CAP_SYS_PTRACE,
	CAP_SYS_PACCT,
	CAP_SYS_NICE,
	CAP_SYS_RESOURCE,
	CAP_AUDIT_CONTROL,
	CAP_MAC_ADMIN,
	CAP_MAC_OVERRIDE,
	CAP_SYSLOG,
	CAP_WAKE_ALARM,
	CAP_BLOCK_SUSPEND,
	CAP_LINUX_IMMUTABLE,
	CAP_LEASE,
#ifdef CAP_BPF
	CAP_BPF,
	CAP_PERFMON,
	CAP_CHECKPOINT_RESTORE,
#endif
};

const char *vmm_part_state_name(enum vmm_part_state s)
{
	static const char *const names[] = {"defined", "running", "stopped", "failed"};

	return (unsigned int)s < VSW_ARRAY_SIZE(names) ? names[s] : "?";
}

void vmm_part_log_path(const struct vmm_daemon *d, const struct vmm_part *p, char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s.log", d->opts->state_dir, p->cfg.name);
}

/* ---- the child (between clone and exec) ---- */

static void __attribute__((noreturn)) child_fail(int sync_fd, const char *step, int err)
{
	struct child_report r = {.err = err};

	snprintf(r.step, sizeof(r.step), "%s", step);
	if (send(sync_fd, &r, sizeof(r), MSG_NOSIGNAL) < 0) {
		/* the parent sees the exit instead */
	}
	_exit(127);
}

/* Move the fds the partition keeps to 0-5 (5: the sync socket, close-on-exec) and close the rest.
 * Sources are first copied to >= 10 so that no dup2 below overwrites one still to be copied. */
static int child_fds(struct child_args *a)
{
	int src[6], i, null_fd;

	null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null_fd < 0)
		return -errno;
	src[0] = fcntl(null_fd, F_DUPFD_CLOEXEC, 10);
	src[1] = fcntl(a->log_fd, F_DUPFD_CLOEXEC, 10);
	src[2] = src[1];
	src[3] = fcntl(a->memfd, F_DUPFD_CLOEXEC, 10);
	src[4] = fcntl(a->msg_fd, F_DUPFD_CLOEXEC, 10);
	src[5] = fcntl(a->sync_fd, F_DUPFD_CLOEXEC, 10);
	for (i = 0; i < 6; i++) {
		if (src[i] < 0)
			return -errno;
	}
	for (i = 0; i < 6; i++) {
		if (dup2(src[i], i) < 0)
			return -errno;
	}
	a->sync_fd = 5;
	if (fcntl(5, F_SETFD, FD_CLOEXEC) < 0)
		return -errno;
	/* fds 3 and 4 were made by dup2: not close-on-exec, vsw-guest-init inherits them */
	return syscall(SYS_close_range, 6u, ~0u, 0u) < 0 ? -errno : 0;
}

static bool part_has_uio_nic(const struct vmm_part *p)
{
	unsigned int i;

	for (i = 0; i < p->cfg.n_nics; i++) {
		if (p->cfg.nics[i].guest_uio)
			return true;
	}
	return false;
}

/*
 * A guest=uio NIC (DESIGN.md decision 12): vsw-guest-init writes the /sys/bus/vmbus tree the
 * DPDK netvsc PMD reads, on a tmpfs of the partition's own over /sys/bus (sysfs refuses files,
 * and the host's buses are none of the partition's business); DPDK keeps its runtime files in
 * /run/dpdk (/var/run is /run on Debian), a private tmpfs too so that a partition never writes
 * the host's /run.
 */
static int child_mounts_uio(void)
{
	if (mount("tmpfs", "/sys/bus", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0755,size=1m") < 0)
		return -errno;
	if (mount("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=16m") < 0)
		return -errno;
	return 0;
}

static int child_mounts(bool uio)
{
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return -errno;
	/* a /proc that shows only the partition's PID namespace */
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		return -errno;
	/* sysfs shows the network devices of the namespace that mounts it: the partition's */
	if (mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, NULL) < 0)
		return -errno;
	return uio ? child_mounts_uio() : 0;
}

static int child_drop_caps(void)
{
	unsigned int i;

	for (i = 0; i < VSW_ARRAY_SIZE(dropped_caps); i++) {
		if (prctl(PR_CAPBSET_DROP, dropped_caps[i], 0, 0, 0) < 0 && errno != EINVAL)
			return -errno;
	}
	return 0;
}

/* "VSW_NIC_QUEUES=N[,N...]": each NIC's channel count in NIC order (vsw-guest-init asks for
 * N - 1 subchannels for eth0, or reserves their rings for each uio NIC). */
static void env_queues_format(const struct vmm_part_config *c, char *buf, size_t len)
{
	size_t n = (size_t)snprintf(buf, len, "VSW_NIC_QUEUES=%s", c->n_nics ? "" : "1");
	unsigned int i;

	for (i = 0; i < c->n_nics && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%u", i ? "," : "",
			c->nics[i].queues ? c->nics[i].queues : 1);
}

static void __attribute__((noreturn)) child_main(struct child_args *a)
{
	char *argv[3] = {(char *)"vsw-guest-init", NULL, NULL};
	char env_name[64], env_queues[32 + 3 * VMM_MAX_NICS];
	char *envp[] = {(char *)"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		(char *)"HOME=/root", env_name, env_queues, NULL, NULL};
	char go;
	int ret;

	/* vmmd going away takes the partition with it; the "go" below proves vmmd was still there
	 * after this was set */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		child_fail(a->sync_fd, "prctl(PR_SET_PDEATHSIG)", errno);
	if (recv(a->sync_fd, &go, 1, 0) != 1)
		_exit(126);
	if (unshare(CLONE_NEWCGROUP) < 0)
		child_fail(a->sync_fd, "unshare(CLONE_NEWCGROUP)", errno);
	if (sethostname(a->p->cfg.name, strlen(a->p->cfg.name)) < 0)
		child_fail(a->sync_fd, "sethostname", errno);
	ret = child_mounts(part_has_uio_nic(a->p));
	if (ret)
		child_fail(a->sync_fd, "mounting /proc and /sys", -ret);
	ret = child_fds(a);
	if (ret)
		child_fail(a->sync_fd, "arranging file descriptors", -ret);
	ret = child_drop_caps();
	if (ret)
		child_fail(a->sync_fd, "dropping capabilities", -ret);
	ret = vmm_seccomp_install();
	if (ret)
		child_fail(a->sync_fd, "installing the seccomp filter", -ret);
	snprintf(env_name, sizeof(env_name), "VSW_PARTITION=%s", a->p->cfg.name);
	env_queues_format(&a->p->cfg, env_queues, sizeof(env_queues));
	if (part_has_uio_nic(a->p))
		envp[4] = (char *)"VSW_GUEST_NIC=uio"; /* guest-drivers/init/init.c */
	if (a->p->cfg.cmd[0])
		argv[1] = (char *)a->p->cfg.cmd;
	execve(a->init, argv, envp);
	child_fail(a->sync_fd, "exec of vsw-guest-init", errno);
}

/* ---- the parent ---- */

static int memfd_open(const struct vmm_part_config *cfg)
{
	char name[32];
	int fd, ret;

	snprintf(name, sizeof(name), "vmm-%s", cfg->name);
	fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -errno;
	/* fixed size for the partition's life: a peer that maps it can never be SIGBUSed by a
	 * shrink, and the guest cannot grow its memory behind the host's back */
	if (ftruncate(fd, (off_t)cfg->memory_mb << 20) < 0 ||
		fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}

static pid_t clone_partition(int *pidfd)
{
	struct vmm_clone_args ca = {
		.flags = CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC |
			 CLONE_PIDFD,
		.pidfd = (uint64_t)(uintptr_t)pidfd,
		.exit_signal = SIGCHLD,
	};

	/* no stack given: like fork, the child continues on a copy of this stack */
	return (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
}

/* Wait for the child's verdict: 0 once it exec'ed, -errno with 'err' set otherwise. */
static int start_sync(int sync_fd, const char *name, char *err, size_t errlen)
{
	struct pollfd pfd = {.fd = sync_fd, .events = POLLIN};
	struct child_report r;
	ssize_t n;

	if (poll(&pfd, 1, START_SYNC_TIMEOUT_MS) <= 0) {
		snprintf(err, errlen, "partition %s: setup did not finish", name);
		return -ETIMEDOUT;
	}
	n = recv(sync_fd, &r, sizeof(r), 0);
	if (n == 0)
		return 0;
	if (n != (ssize_t)sizeof(r)) {
		snprintf(err, errlen, "partition %s: setup failed", name);
		return -EIO;
	}
	r.step[sizeof(r.step) - 1] = '\0';
	snprintf(err, errlen, "partition %s: %s failed: %s", name, r.step, strerror(r.err));
	return r.err > 0 ? -r.err : -EIO;
}

static void part_release(struct vmm_daemon *d, struct vmm_part *p)
{
	int ret;

	if (p->kill_timer >= 0) {
		vmm_loop_del(d->loop, p->kill_timer);
		close(p->kill_timer);
	}
	if (p->pidfd >= 0) {
		vmm_loop_del(d->loop, p->pidfd);
		close(p->pidfd);
	}
	/* the VMBus server goes first: it tells vswitchd RESET and removes the vmbus-user sockets
	 * while the memory and the message socket still exist */
	vmm_vmbus_destroy(p->vmbus);
	p->vmbus = NULL;
	if (p->msg_fd >= 0)
		close(p->msg_fd);
	if (p->memfd >= 0)
		close(p->memfd);
	p->kill_timer = p->pidfd = p->msg_fd = p->memfd = -1;
	p->pid = 0;
	p->stopping = false;
	ret = vmm_cgroup_destroy(&d->cgroups, p->cfg.name);
	if (ret)
		VMM_LOG(WARNING, "partition %s: cannot remove its cgroup: %s", p->cfg.name,
			strerror(-ret));
}

static void part_exited(struct vmm_daemon *d, struct vmm_part *p, const siginfo_t *si)
{
	if (si->si_code == CLD_EXITED) {
		p->exit_code = si->si_status;
		p->state = VMM_PART_STOPPED;
		VMM_LOG(NOTICE, "partition %s: exited with status %d", p->cfg.name, p->exit_code);
	} else {
		p->exit_signal = si->si_status;
		/* a kill vmmd did not ask for (the OOM killer, an operator) is a failure */
		p->state = p->stopping ? VMM_PART_STOPPED : VMM_PART_FAILED;
		VMM_LOG(NOTICE, "partition %s: killed by signal %d", p->cfg.name, p->exit_signal);
	}
	part_release(d, p);
	vmm_server_part_exited(d->server, p);
}

static void on_pidfd(int fd, uint32_t events, void *arg)
{
	struct vmm_part *p = arg;
	siginfo_t si = {0};

	if (waitid((idtype_t)P_PIDFD, (id_t)fd, &si, WEXITED | WNOHANG) < 0 || si.si_pid == 0)
		return;
	part_exited(p->daemon, p, &si);
}

static void on_kill_timer(int fd, uint32_t events, void *arg)
{
	struct vmm_part *p = arg;
	uint64_t ticks;

	if (read(fd, &ticks, sizeof(ticks)) < 0) {
		/* spurious */
	}
	if (p->pidfd < 0)
		return;
	VMM_LOG(NOTICE, "partition %s: still running after SIGTERM, sending SIGKILL", p->cfg.name);
	syscall(SYS_pidfd_send_signal, p->pidfd, SIGKILL, NULL, 0);
}

static int start_fail(struct vmm_part *p, int ret, char *err, size_t errlen)
{
	p->state = VMM_PART_FAILED;
	snprintf(p->error, sizeof(p->error), "%s", err);
	VMM_LOG(WARNING, "%s", err);
	return ret;
}

static int log_open(const struct vmm_daemon *d, const struct vmm_part *p)
{
	char path[VMM_PATH_SIZE + VMM_NAME_SIZE + 8];
	int fd;

	vmm_part_log_path(d, p, path, sizeof(path));
	/* each run starts a fresh log: `vmmctl show` points at the current run's output */
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0640);
	return fd < 0 ? -errno : fd;
}

/* Everything up to the clone: memfd, message socket, sync socket, log, cgroup. */
static int start_prepare(struct vmm_daemon *d, struct vmm_part *p, int msg[2], int sync[2],
	int *log_fd, char *err, size_t errlen)
{
	int ret;

	p->memfd = memfd_open(&p->cfg);
	if (p->memfd < 0) {
		ret = p->memfd;
		snprintf(err, errlen, "partition %s: cannot create its %u MiB memory: %s",
			p->cfg.name, p->cfg.memory_mb, strerror(-ret));
		return ret;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, msg) < 0 ||
		socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sync) < 0) {
		ret = -errno;
		snprintf(err, errlen, "partition %s: socketpair: %s", p->cfg.name, strerror(-ret));
		return ret;
	}
	*log_fd = log_open(d, p);
	if (*log_fd < 0) {
		snprintf(err, errlen, "partition %s: cannot open its log in %s: %s", p->cfg.name,
			d->opts->state_dir, strerror(-*log_fd));
		return *log_fd;
	}
	return vmm_cgroup_create(&d->cgroups, &p->cfg, err, errlen);
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* The VMBus server: the message channel is watched from now on (served once the loop runs again)
 * and each NIC's vmbus-user socket listens. */
static int vmbus_open(struct vmm_daemon *d, struct vmm_part *p, int msg_fd, char *err,
	size_t errlen)
{
	struct vmm_vmbus_params pa = {.name = p->cfg.name,
		.mem_size = (uint64_t)p->cfg.memory_mb << 20,
		.memfd = p->memfd,
		.msg_fd = msg_fd,
		.nics = p->cfg.nics,
		.n_nics = p->cfg.n_nics,
		.sock_dir = d->opts->state_dir,
		.loop = d->loop};

	p->vmbus = vmm_vmbus_create(&pa);
	if (p->vmbus == NULL) {
		int ret = -errno;

		snprintf(err, errlen, "partition %s: cannot set up its VMBus server in %s: %s",
			p->cfg.name, d->opts->state_dir, strerror(-ret));
		return ret;
	}
	return 0;
}

/* After the clone: cgroup, "go", verdict. The child is reaped here on failure. */
static int start_child(
	struct vmm_daemon *d, struct vmm_part *p, int sync_fd, char *err, size_t errlen)
{
	siginfo_t si;
	int ret;

	ret = vmm_cgroup_attach(&d->cgroups, p->cfg.name, p->pid);
	if (ret)
		snprintf(err, errlen, "partition %s: cannot move it into its cgroup: %s",
			p->cfg.name, strerror(-ret));
	else if (send(sync_fd, "g", 1, MSG_NOSIGNAL) != 1)
		ret = -errno;
	ret = ret ?: start_sync(sync_fd, p->cfg.name, err, errlen);
	if (ret) {
		syscall(SYS_pidfd_send_signal, p->pidfd, SIGKILL, NULL, 0);
		waitid((idtype_t)P_PIDFD, (id_t)p->pidfd, &si, WEXITED);
	}
	return ret;
}

int vmm_part_start(struct vmm_daemon *d, struct vmm_part *p, char *err, size_t errlen)
{
	int msg[2] = {-1, -1}, sync[2] = {-1, -1}, log_fd = -1, ret;
	struct child_args a;
	pid_t pid;

	p->error[0] = '\0';
	p->exit_code = -1;
	p->exit_signal = 0;
	ret = start_prepare(d, p, msg, sync, &log_fd, err, errlen);
	if (ret)
		goto err_release;
	ret = vmbus_open(d, p, msg[0], err, errlen);
	if (ret)
		goto err_release;
	pid = clone_partition(&p->pidfd);
	if (pid == 0) {
		a = (struct child_args){.p = p,
			.init = d->guest_init,
			.memfd = p->memfd,
			.msg_fd = msg[1],
			.sync_fd = sync[1],
			.log_fd = log_fd};
		close(sync[0]); /* or a dead vmmd would not end the child's wait for "go" */
		child_main(&a);
	}
	if (pid < 0) {
		ret = -errno;
		snprintf(err, errlen, "partition %s: clone3: %s", p->cfg.name, strerror(-ret));
		goto err_release;
	}
	p->pid = pid;
	close_fd(&msg[1]);
	close_fd(&sync[1]);
	close_fd(&log_fd);
	ret = start_child(d, p, sync[0], err, errlen);
	close_fd(&sync[0]);
	if (ret)
		goto err_release;
	ret = vmm_loop_add(d->loop, p->pidfd, EPOLLIN, on_pidfd, p);
	if (ret) {
		snprintf(err, errlen, "partition %s: cannot watch it: %s", p->cfg.name,
			strerror(-ret));
		syscall(SYS_pidfd_send_signal, p->pidfd, SIGKILL, NULL, 0);
		waitid((idtype_t)P_PIDFD, (id_t)p->pidfd, &(siginfo_t){0}, WEXITED);
		goto err_release;
	}
	p->msg_fd = msg[0];
	p->state = VMM_PART_RUNNING;
	p->start_time = time(NULL);
	VMM_LOG(NOTICE, "partition %s: started, pid %d", p->cfg.name, (int)p->pid);
	/* the vmbus-user sockets exist: vswitchd may connect as soon as it has the port */
	vmm_swport_attach(d, p);
	return 0;
err_release:
	vmm_vmbus_destroy(p->vmbus);
	p->vmbus = NULL;
	close_fd(&msg[0]);
	close_fd(&msg[1]);
	close_fd(&sync[0]);
	close_fd(&sync[1]);
	close_fd(&log_fd);
	part_release(d, p);
	return start_fail(p, ret, err, errlen);
}

int vmm_part_stop(struct vmm_daemon *d, struct vmm_part *p, unsigned int timeout_s)
{
	struct itimerspec its = {.it_value = {.tv_sec = timeout_s}};
	int ret;

	if (p->state != VMM_PART_RUNNING || p->pidfd < 0)
		return -ESRCH;
	p->stopping = true;
	if (timeout_s == 0)
		return syscall(SYS_pidfd_send_signal, p->pidfd, SIGKILL, NULL, 0) < 0 ? -errno : 0;
	if (syscall(SYS_pidfd_send_signal, p->pidfd, SIGTERM, NULL, 0) < 0)
		return -errno;
	if (p->kill_timer >= 0)
		return 0; /* a stop is already under way: its SIGKILL deadline stands */
	p->kill_timer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (p->kill_timer < 0)
		return -errno;
	timerfd_settime(p->kill_timer, 0, &its, NULL);
	ret = vmm_loop_add(d->loop, p->kill_timer, EPOLLIN, on_kill_timer, p);
	if (ret) {
		close_fd(&p->kill_timer);
		return ret;
	}
	return 0;
}

static bool any_running(struct vmm_daemon *d)
{
	struct vmm_part *p;

	for (p = d->parts; p; p = p->next) {
		if (p->state == VMM_PART_RUNNING)
			return true;
	}
	return false;
}

void vmm_part_stop_all(struct vmm_daemon *d, unsigned int timeout_s)
{
	time_t deadline = time(NULL) + timeout_s + 5;
	struct vmm_part *p;

	for (p = d->parts; p; p = p->next) {
		if (p->state == VMM_PART_RUNNING)
			vmm_part_stop(d, p, timeout_s);
	}
	/* the kill timers and pidfds are served by the loop; the deadline guards against a
	 * PID 1 that SIGKILL cannot end (stuck in the kernel) */
	while (any_running(d) && time(NULL) < deadline)
		vmm_loop_run_once(d->loop, 200);
}

struct vmm_part *vmm_part_lookup(struct vmm_daemon *d, const char *name)
{
	struct vmm_part *p;

	for (p = d->parts; p; p = p->next) {
		if (strcmp(p->cfg.name, name) == 0)
			return p;
	}
	return NULL;
}

int vmm_part_add(struct vmm_daemon *d, const struct vmm_part_config *cfg)
{
	struct vmm_part *p = calloc(1, sizeof(*p)), **tail;

	if (p == NULL)
		return -ENOMEM;
	p->cfg = *cfg;
	p->daemon = d;
	p->state = VMM_PART_DEFINED;
	p->pidfd = p->memfd = p->msg_fd = p->kill_timer = -1;
	p->exit_code = -1;
	for (tail = &d->parts; *tail; tail = &(*tail)->next)
		;
	*tail = p;
	d->n_parts++;
	return 0;
}

void vmm_part_del(struct vmm_daemon *d, struct vmm_part *p)
{
	struct vmm_part **pp;

	for (pp = &d->parts; *pp; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			d->n_parts--;
			free(p);
			return;
		}
	}
}

int vmm_daemon_save(struct vmm_daemon *d)
{
	const struct vmm_part_config **cfgs;
	struct vmm_part *p;
	unsigned int n = 0;
	char *text;
	int ret;

	cfgs = calloc(d->n_parts ? d->n_parts : 1, sizeof(*cfgs));
	if (cfgs == NULL)
		return -ENOMEM;
	for (p = d->parts; p; p = p->next)
		cfgs[n++] = &p->cfg;
	text = vmm_config_dump(cfgs, n);
	free(cfgs);
	if (text == NULL)
		return -ENOMEM;
	ret = vsw_file_write_atomic(d->opts->config_path, text, strlen(text), 0600);
	free(text);
	return ret;
}
