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
 * File descriptor contract with vmmd:
 *   0       /dev/null
 *   1, 2    the partition's log (vmmd's state directory, PARTITION.log)
 *   3       memfd: the partition's guest physical memory, sealed against shrinking and growing
 *   4       SOCK_SEQPACKET socket: the partition's VMBus message channel to vmmd
 * Both 3 and 4 are kept by init and not passed to the command (close-on-exec): the VMBus client
 * and the netvsc driver, which will live in this program, use them.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define GD_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define GD_FD_MEMORY 3 /* guest memory memfd */
#define GD_FD_VMBUS 4  /* VMBus message socket */

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

	for (fd = GD_FD_MEMORY; fd <= GD_FD_VMBUS; fd++) {
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

int main(int argc, char **argv)
{
	struct signalfd_siginfo si;
	struct pollfd pfds[2];
	pid_t cmd_pid = 0;
	sigset_t mask;
	int sig_fd, ret, code = 0;

	if (argc > 2) {
		fprintf(stderr, "usage: vsw-guest-init [COMMAND-LINE]\n");
		return 2;
	}
	/* vmmd set this before exec, but the kernel clears it when exec lowers the capabilities
	 * (vmmd drops some from the bounding set). Should vmmd die before this line, the message
	 * socket's hang-up, seen in the loop below, ends the partition instead. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	gd_fds_keep_private();
	setenv("PATH", GD_PATH, 1);
	ret = gd_lo_up();
	if (ret)
		fprintf(stderr, "vsw-guest-init: cannot bring lo up: %s\n", strerror(-ret));
	sig_fd = gd_signals_open(&mask);
	if (sig_fd < 0) {
		fprintf(stderr, "vsw-guest-init: signalfd: %s\n", strerror(errno));
		return 1;
	}
	if (argc == 2) {
		cmd_pid = gd_command_start(argv[1], &mask);
		if (cmd_pid < 0) {
			fprintf(stderr, "vsw-guest-init: fork: %s\n", strerror((int)-cmd_pid));
			return 1;
		}
		/* also here: the signal forwarding below must find the group even if it runs
		 * before the child's own setpgid */
		setpgid(cmd_pid, cmd_pid);
	}
	pfds[0] = (struct pollfd){.fd = sig_fd, .events = POLLIN};
	/* only hang-ups for now (events 0); the VMBus client will read its messages here */
	pfds[1] = (struct pollfd){.fd = fcntl(GD_FD_VMBUS, F_GETFD) < 0 ? -1 : GD_FD_VMBUS};
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
