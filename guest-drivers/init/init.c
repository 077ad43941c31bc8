/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vsw-guest-init: PID 1 of a process partition (started by vmmd, hypervisor/partition.c).
 *
 *   vsw-guest-init [COMMAND-LINE]
 *
 * Brings the loopback interface up, runs COMMAND-LINE with /bin/sh -c in a process group of its
 * own (or, without one, just waits), reaps every process that ends in the partition (orphans are
 * re-parented to PID 1), forwards SIGTERM, SIGINT, SIGHUP and SIGQUIT to the command's process
 * group, and exits with the command's status (128 + N if signal N ended it) when it ends. A
 * termination signal with no command running ends init with status 0. When vmmd dies (parent
 * death signal, or the message socket hangs up) init dies, and the partition with it.
 *
 * A driver thread runs the VMBus client and the netvsc driver (guest-drivers/guest.h) on fds 3
 * and 4: if the host offers a netvsc channel, it brings eth0 up and then moves its frames for as
 * long as init runs. The command starts once eth0 is up, or once it is clear there will be none:
 * the host answered but offered no usable NIC, or it has not even read INITIATE_CONTACT after
 * VSW_GUEST_GRACE_MS (default 20 ms: a vmmd without a VMBus server never reads fd 4). In that
 * last case the thread keeps waiting for an answer up to VSW_GUEST_CONTACT_MS (default 5000)
 * and eth0 may appear after the command started.
 *
 * With VSW_GUEST_NIC=uio (vmmd sets it for `guest=uio` NICs, DESIGN.md decision 12) the thread
 * does not run our netvsc driver: it opens every NIC's channel and writes the /sys/bus/vmbus
 * view as Linux's uio_hv_generic would (guest-drivers/uio/uio.h; NIC i is /dev/uio<i>), then
 * serves host messages and the command's claims of the devices. Once a host has answered, the
 * command waits for that view with no time limit (a DPDK command needs its devices at start),
 * and its environment carries LD_PRELOAD=libvsw_uio.so and the VSW_UIO_* variables.
 * VSW_NIC_QUEUES (vmmd) is each NIC's queues= in NIC order.
 *
 * File descriptor contract with vmmd:
 *   0       /dev/null
 *   1, 2    the partition's log (vmmd's state directory, PARTITION.log)
 *   3       memfd: the partition's guest physical memory, sealed against shrinking and growing
 *   4       SOCK_SEQPACKET socket: the partition's VMBus message channel to vmmd
 * Both 3 and 4 are kept by init and not passed to the command (close-on-exec).
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <vsw/proto/hv_msg.h>

#include "guest.h"
#include "uio/uio.h"

#define GD_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define GD_CONTACT_MS_DEFAULT 5000
#define GD_GRACE_MS_DEFAULT 20
#define GD_REPLY_MS 10000

enum gd_nic_state {
	GD_NIC_PENDING,	  /* waiting for the host's first answer */
	GD_NIC_CONTACTED, /* the host answered: bringing eth0 up */
	GD_NIC_READY,	  /* eth0 up, the thread runs the data path */
	GD_NIC_NONE,	  /* no NIC (no host, no offer, bring-up failed) */
};

/* The netvsc driver thread. */
struct gd_init_nic {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	enum gd_nic_state state; /* under lock */
	struct gd_driver *drv;	 /* written by the thread before READY */
	int stop_fd;		 /* eventfd: init tells the thread to stop */
	pthread_t thread;
	bool started;
	bool uio;		 /* VSW_GUEST_NIC=uio: present the NIC as uio_hv_generic does */
	struct gd_uio_dev *uio_dev; /* written by the thread before READY */
};

static int gd_lo_up(void)
{
	struct ifreq ifr = {0};
	int fd, ret = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0) {
		ret = -errno;
		goto out;
	}
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		ret = -errno;
out:
	close(fd);
	return ret;
}

/* Keep vmmd's fds for ourselves: the command must not inherit guest memory or the channel. */
static void gd_fds_keep_private(void)
{
	int fd;

	for (fd = HV_MSG_FD_MEMORY; fd <= HV_MSG_FD_SOCKET; fd++) {
		if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0 && errno != EBADF)
			fprintf(stderr, "vsw-guest-init: fd %d: %s\n", fd, strerror(errno));
	}
}

static int gd_signals_open(sigset_t *mask)
{
	sigemptyset(mask);
	sigaddset(mask, SIGCHLD);
	sigaddset(mask, SIGTERM);
	sigaddset(mask, SIGINT);
	sigaddset(mask, SIGHUP);
	sigaddset(mask, SIGQUIT);
	/* blocked and read from a signalfd: as PID 1 only signals with a handler or read this
	 * way reach us from vmmd's namespace */
	if (sigprocmask(SIG_BLOCK, mask, NULL) < 0)
		return -errno;
	return signalfd(-1, mask, SFD_CLOEXEC);
}

static pid_t gd_command_start(const char *cmd, const sigset_t *mask)
{
	pid_t pid = fork();

	if (pid != 0)
		return pid < 0 ? -errno : pid;
	setpgid(0, 0);
	sigprocmask(SIG_UNBLOCK, mask, NULL);
	execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	fprintf(stderr, "vsw-guest-init: /bin/sh: %s\n", strerror(errno));
	_exit(127);
}

static int gd_status_code(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 1;
}

/* Reap everything that has ended; returns true (and its exit code) once the command has. */
static bool gd_reap(pid_t cmd_pid, int *code)
{
	bool done = false;
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid == cmd_pid) {
			*code = gd_status_code(status);
			done = true;
		}
	}
	return done;
}

static int gd_env_ms(const char *name, int def)
{
	const char *s = getenv(name);
	char *end;
	long v;

	if (!s || !*s)
		return def;
	v = strtol(s, &end, 10);
	return *end || v < 0 || v > 600000 ? def : (int)v;
}

/* VSW_NIC_QUEUES "N[,N...]" (vmmd: each NIC's queues=, in NIC order) into at most 'max'
 * entries; returns how many were read (0: unset or malformed, every NIC then has 1). */
static unsigned int gd_env_queues(uint32_t *out, unsigned int max)
{
	const char *s = getenv("VSW_NIC_QUEUES");
	unsigned int n = 0;
	char *end;
	long v;

	while (s && *s && n < max) {
		v = strtol(s, &end, 10);
		if (end == s || v < 1 || v > 64 || (*end != ',' && *end != '\0'))
			return 0;
		out[n++] = (uint32_t)v;
		s = *end ? end + 1 : end;
	}
	return n;
}

static void gd_nic_set(struct gd_init_nic *nic, enum gd_nic_state state)
{
	pthread_mutex_lock(&nic->lock);
	nic->state = state;
	pthread_cond_broadcast(&nic->cond);
	pthread_mutex_unlock(&nic->lock);
}

static void gd_nic_contacted(void *arg)
{
	gd_nic_set(arg, GD_NIC_CONTACTED);
}

/*
 * A guest=uio partition (DESIGN.md decision 12): instead of our netvsc driver, do what Linux's
 * uio_hv_generic does (guest-drivers/uio/uio.h) and write the /sys/bus/vmbus tree for the
 * command's DPDK; then only serve host messages. Retried like the driver below.
 */
static void *gd_uio_thread(struct gd_init_nic *nic)
{
	uint32_t queues[GD_UIO_MAX_NICS];
	unsigned int n_queues = gd_env_queues(queues, GD_UIO_MAX_NICS), i;
	int ret;

	for (;;) {
		ret = gd_uio_dev_start(nic->uio_dev, HV_MSG_FD_MEMORY, HV_MSG_FD_SOCKET,
			gd_env_ms("VSW_GUEST_CONTACT_MS", GD_CONTACT_MS_DEFAULT), GD_REPLY_MS, queues,
			n_queues, gd_nic_contacted, nic);
		for (i = 0; ret == 0 && i < nic->uio_dev->n_nics; i++)
			ret = gd_uio_view_write(GD_UIO_SYSFS_DEVICES, &nic->uio_dev->nic[i].view);
		if (ret == 0)
			break;
		gd_uio_dev_stop(nic->uio_dev);
		if (ret == -ENODEV || ret == -ENOMEM || ret == -EROFS || ret == -ENOENT) {
			fprintf(stderr, "vsw-guest-init: no uio NIC (%s)\n", strerror(-ret));
			gd_nic_set(nic, GD_NIC_NONE);
			return NULL;
		}
		fprintf(stderr, "vsw-guest-init: uio NIC bring-up failed (%s): retrying\n",
			strerror(-ret));
		sleep(1);
	}
	gd_nic_set(nic, GD_NIC_READY);
	gd_uio_dev_run(nic->uio_dev, nic->stop_fd);
	return NULL;
}

/* libvsw_uio.so next to this executable (build tree), or in ../lib[/<multiarch>] (installed). */
static const char *gd_uio_preload(void)
{
	static const char *const rel[] = {"/libvsw_uio.so", "/../lib/x86_64-linux-gnu/libvsw_uio.so",
		"/../lib/libvsw_uio.so"};
	static char path[PATH_MAX + 64];
	char exe[PATH_MAX], *slash;
	unsigned int i;
	ssize_t n;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (slash == NULL)
		return NULL;
	*slash = '\0';
	for (i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", exe, rel[i]);
		if (access(path, R_OK) == 0)
			return path;
	}
	return NULL;
}

static void *gd_nic_thread(void *arg)
{
	struct gd_init_nic *nic = arg;
	struct gd_driver_config cfg = {
		.mem_fd = HV_MSG_FD_MEMORY,
		.msg_fd = HV_MSG_FD_SOCKET,
		.contact_timeout_ms = gd_env_ms("VSW_GUEST_CONTACT_MS", GD_CONTACT_MS_DEFAULT),
		.reply_timeout_ms = GD_REPLY_MS,
		.ifname = "eth0",
		/* every offload the host offers (DESIGN 8); VSW_GUEST_OFFLOADS=0 asks for none */
		.offloads = (uint32_t)gd_env_ms("VSW_GUEST_OFFLOADS", 0xff),
		.on_contact = gd_nic_contacted,
		.contact_arg = nic,
		/* eth0's queues=N (the first of VSW_NIC_QUEUES): N - 1 subchannels */
		.queues = 1,
	};

	/*
	 * A host that answers but cannot finish the attach yet (typically: no vswitchd serves the
	 * NIC, so vmmd holds OPENCHANNEL) makes the bring-up time out; start over until it works,
	 * so eth0 appears once the switch is there. No host, or no netvsc offer, ends the thread.
	 */
	if (nic->uio)
		return gd_uio_thread(nic);
	gd_env_queues(&cfg.queues, 1);
	for (;;) {
		nic->drv = gd_driver_start(&cfg);
		if (nic->drv)
			break;
		if (errno == ENODEV || errno == ENOMEM) {
			fprintf(stderr, "vsw-guest-init: no eth0 (%s)\n", strerror(errno));
			gd_nic_set(nic, GD_NIC_NONE);
			return NULL;
		}
		fprintf(stderr, "vsw-guest-init: eth0 bring-up failed (%s): retrying\n",
			strerror(errno));
		sleep(1);
	}
	gd_nic_set(nic, GD_NIC_READY);
	gd_driver_run(nic->drv, nic->stop_fd);
	return NULL;
}

/* Our bytes still unread in the message socket (SIOCOUTQ: the peer has not received them). */
static int gd_msg_unread(void)
{
	int n = 0;

	if (ioctl(HV_MSG_FD_SOCKET, SIOCOUTQ, &n) < 0)
		return 0;
	return n;
}

static enum gd_nic_state gd_nic_get(struct gd_init_nic *nic)
{
	enum gd_nic_state state;

	pthread_mutex_lock(&nic->lock);
	state = nic->state;
	pthread_mutex_unlock(&nic->lock);
	return state;
}

static bool gd_term_pending(void)
{
	sigset_t set;

	return sigpending(&set) == 0 && (sigismember(&set, SIGTERM) == 1 ||
		sigismember(&set, SIGINT) == 1 || sigismember(&set, SIGHUP) == 1 ||
		sigismember(&set, SIGQUIT) == 1);
}

/* Wait on nic->cond (nic->lock held) for at most 'ms'. */
static void gd_cond_wait_ms(struct gd_init_nic *nic, int ms)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	t.tv_nsec += (long)ms * 1000000;
	if (t.tv_nsec >= 1000000000) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000;
	}
	pthread_cond_timedwait(&nic->cond, &nic->lock, &t);
}

/*
 * Start the driver thread and wait until eth0 is up or there will be none (see the top). A vmmd
 * without a VMBus server never reads the socket: once INITIATE_CONTACT has sat unread for the
 * grace period we stop waiting. A host that has read it is given its full time to answer.
 */
static void gd_nic_start(struct gd_init_nic *nic)
{
	int grace = gd_env_ms("VSW_GUEST_GRACE_MS", GD_GRACE_MS_DEFAULT);
	int limit = gd_env_ms("VSW_GUEST_CONTACT_MS", GD_CONTACT_MS_DEFAULT);
	struct timespec t0, now;
	pthread_condattr_t cattr;
	long elapsed;

	nic->stop_fd = -1;
	if (fcntl(HV_MSG_FD_MEMORY, F_GETFD) < 0 || fcntl(HV_MSG_FD_SOCKET, F_GETFD) < 0) {
		fprintf(stderr, "vsw-guest-init: no guest memory or message socket: no eth0\n");
		return;
	}
	pthread_mutex_init(&nic->lock, NULL);
	pthread_condattr_init(&cattr);
	/* the deadline below is on CLOCK_MONOTONIC */
	pthread_condattr_setclock(&cattr, CLOCK_MONOTONIC);
	pthread_cond_init(&nic->cond, &cattr);
	pthread_condattr_destroy(&cattr);
	nic->state = GD_NIC_PENDING;
	if (nic->uio) {
		nic->uio_dev = calloc(1, sizeof(*nic->uio_dev));
		if (nic->uio_dev == NULL)
			return;
	}
	nic->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (nic->stop_fd < 0 || pthread_create(&nic->thread, NULL, gd_nic_thread, nic) != 0) {
		fprintf(stderr, "vsw-guest-init: cannot start the eth0 thread\n");
		return;
	}
	nic->started = true;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		if (gd_nic_get(nic) != GD_NIC_PENDING)
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		elapsed = (now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000;
		if ((elapsed >= grace && gd_msg_unread() > 0) || elapsed >= limit) {
			fprintf(stderr, "vsw-guest-init: no VMBus host answering: starting the "
					"command without eth0\n");
			return;
		}
		usleep(1000);
	}
	/* the host answered: wait for eth0 until the same limit, then start the command anyway
	 * (the thread keeps trying and eth0 appears when the switch serves the NIC) */
	t0.tv_sec += limit / 1000;
	t0.tv_nsec += (long)(limit % 1000) * 1000000;
	if (t0.tv_nsec >= 1000000000) {
		t0.tv_sec++;
		t0.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&nic->lock);
	while (nic->state == GD_NIC_CONTACTED || nic->state == GD_NIC_PENDING) {
		/* a uio NIC's command (DPDK) needs the device at its start: wait for it, until a
		 * termination signal is pending (the loop then forwards it to the command) */
		if (nic->uio) {
			if (gd_term_pending())
				break;
			gd_cond_wait_ms(nic, 200);
			continue;
		}
		if (pthread_cond_timedwait(&nic->cond, &nic->lock, &t0) == ETIMEDOUT) {
			fprintf(stderr, "vsw-guest-init: eth0 not up after %d ms: starting the "
					"command; eth0 comes up when the switch serves it\n", limit);
			break;
		}
	}
	pthread_mutex_unlock(&nic->lock);
}

/* Stop the driver thread, then release the device (packet filter 0, close, unload). A thread
 * still bringing the device up is left to die with init. */
static void gd_nic_stop(struct gd_init_nic *nic)
{
	enum gd_nic_state state;
	uint64_t one = 1;

	if (!nic->started)
		return;
	state = gd_nic_get(nic);
	if (state != GD_NIC_READY && state != GD_NIC_NONE)
		return;
	if (write(nic->stop_fd, &one, sizeof(one)) == sizeof(one))
		pthread_join(nic->thread, NULL);
	gd_driver_stop(nic->drv);
	nic->drv = NULL;
	if (nic->uio_dev)
		gd_uio_dev_stop(nic->uio_dev);
	nic->started = false;
}

static int gd_init_run(int argc, char **argv);

int main(int argc, char **argv)
{
	if (argc > 2) {
		fprintf(stderr, "usage: vsw-guest-init [COMMAND-LINE]\n");
		return 2;
	}
	return gd_init_run(argc, argv);
}

static int gd_init_loop(int sig_fd, pid_t cmd_pid)
{
	struct signalfd_siginfo si;
	struct pollfd pfds[2];
	int code = 0;

	pfds[0] = (struct pollfd){.fd = sig_fd, .events = POLLIN};
	/* only hang-ups (events 0): the driver thread, if any, reads the messages */
	pfds[1] = (struct pollfd){.fd = fcntl(HV_MSG_FD_SOCKET, F_GETFD) < 0 ? -1 : HV_MSG_FD_SOCKET};
	for (;;) {
		if (poll(pfds, 2, -1) < 0 && errno != EINTR)
			return 1;
		if (pfds[1].revents & (POLLHUP | POLLERR)) {
			fprintf(stderr, "vsw-guest-init: vmmd is gone (message socket closed)\n");
			return 1;
		}
		if (read(sig_fd, &si, sizeof(si)) != sizeof(si))
			continue;
		if (si.ssi_signo == SIGCHLD) {
			if (gd_reap(cmd_pid, &code))
				return code;
			continue;
		}
		if (cmd_pid <= 0)
			return 0;
		kill(-cmd_pid, (int)si.ssi_signo);
	}
}

static int gd_init_run(int argc, char **argv)
{
	struct gd_init_nic nic = {.stop_fd = -1};
	pid_t cmd_pid = 0;
	sigset_t mask;
	int sig_fd, ret, code;

	/* vmmd set this before exec, but the kernel clears it when exec lowers the capabilities
	 * (vmmd drops some from the bounding set). Should vmmd die before this line, the message
	 * socket's hang-up, seen in the loop below, ends the partition instead. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	gd_fds_keep_private();
	setenv("PATH", GD_PATH, 1);
	ret = gd_lo_up();
	if (ret)
		fprintf(stderr, "vsw-guest-init: cannot bring lo up: %s\n", strerror(-ret));
	/* signals are blocked here, before the driver thread exists, so that it inherits the
	 * mask and every signal reaches the signalfd */
	sig_fd = gd_signals_open(&mask);
	if (sig_fd < 0) {
		fprintf(stderr, "vsw-guest-init: signalfd: %s\n", strerror(errno));
		return 1;
	}
	nic.uio = getenv("VSW_GUEST_NIC") && strcmp(getenv("VSW_GUEST_NIC"), "uio") == 0;
	gd_nic_start(&nic);
	if (nic.uio && gd_nic_get(&nic) == GD_NIC_READY) {
		const char *preload = gd_uio_preload();

		if (preload == NULL)
			fprintf(stderr, "vsw-guest-init: libvsw_uio.so not found: the uio devices "
					"will not work\n");
		if (gd_uio_dev_export(nic.uio_dev, preload))
			fprintf(stderr, "vsw-guest-init: cannot pass the uio NICs on\n");
	}
	if (argc == 2) {
		cmd_pid = gd_command_start(argv[1], &mask);
		if (cmd_pid < 0) {
			fprintf(stderr, "vsw-guest-init: fork: %s\n", strerror((int)-cmd_pid));
			gd_nic_stop(&nic);
			return 1;
		}
		/* also here: the signal forwarding below must find the group even if it runs
		 * before the child's own setpgid */
		setpgid(cmd_pid, cmd_pid);
	}
	code = gd_init_loop(sig_fd, cmd_pid);
	gd_nic_stop(&nic);
	return code;
}
