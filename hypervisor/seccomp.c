/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The partition's syscall filter. Default allow (ordinary programs - sh, ip, ping with raw or
 * ICMP sockets, iperf3, python3 - must run unchanged); the calls below fail with EPERM. They are
 * the ones through which a process that is root inside its namespaces could reach beyond them:
 *
 *   mount family (mount, umount2, pivot_root, and the new mount API fsopen, fsconfig, fsmount,
 *     fspick, move_mount, open_tree, mount_setattr): the mount namespace is set up before the
 *     filter; afterwards the partition may not remount / or /proc, or uncover host mounts.
 *   setns, unshare, and clone with a CLONE_NEW* flag: no new or other namespaces (a new user
 *     namespace would also re-grant capabilities). clone3 fails with ENOSYS, because its flags
 *     sit in memory a filter cannot read; libc then falls back to clone, which is filtered.
 *   reboot, kexec_load, kexec_file_load: would act on the host kernel.
 *   init_module, finit_module, delete_module: kernel code.
 *   iopl, ioperm: raw port I/O.
 *   swapon, swapoff, acct, quotactl, quotactl_fd: host-wide state.
 *   settimeofday, clock_settime, clock_adjtime, adjtimex: the clock is not namespaced.
 *   ptrace, process_vm_readv, process_vm_writev, kcmp: reading and writing other processes'
 *     memory; ordinary programs do not need them, and they are the classic escape aids.
 *   bpf, perf_event_open, userfaultfd: large kernel attack surface, host-wide observation.
 *   keyctl, add_key, request_key: the kernel keyring is not namespaced.
 *   open_by_handle_at, name_to_handle_at: open_by_handle_at bypasses the mount namespace to reach
 *     any file on a mounted filesystem.
 *   lookup_dcookie, syslog: host kernel information (the kernel log is not namespaced).
 */
#include "internal.h"

#include <errno.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>

#include "vsw_util.h"

/* grouped as in the comment above */
/* clang-format off */
static const char *const denied[] = {
	"mount", "umount2", "pivot_root", "fsopen", "fsconfig", "fsmount", "fspick", "move_mount",
	"open_tree", "mount_setattr",
	"setns", "unshare",
	"reboot", "kexec_load", "kexec_file_load",
	"init_module", "finit_module", "delete_module",
	"iopl", "ioperm",
	"swapon", "swapoff", "acct", "quotactl", "quotactl_fd",
	"settimeofday", "clock_settime", "clock_adjtime", "adjtimex",
	"ptrace", "process_vm_readv", "process_vm_writev", "kcmp",
	"bpf", "perf_event_open", "userfaultfd",
	"keyctl", "add_key", "request_key",
	"open_by_handle_at", "name_to_handle_at",
	"lookup_dcookie", "syslog",
};
/* clang-format on */

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

#define CLONE_NS_FLAGS                                                                             \
	(CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | \
		CLONE_NEWCGROUP | CLONE_NEWTIME)

static int deny_clone_namespaces(scmp_filter_ctx ctx)
{
	unsigned int bit;
	int ret;

	/* one rule per flag: "flags & bit == bit" (a masked compare per rule; rules OR together) */
	for (bit = 1; bit; bit <<= 1) {
		if (!(CLONE_NS_FLAGS & bit))
			continue;
		ret = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
			SCMP_A0(SCMP_CMP_MASKED_EQ, bit, bit));
		if (ret)
			return ret;
	}
	return seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
}

int vmm_seccomp_install(void)
{
	scmp_filter_ctx ctx;
	unsigned int i;
	int nr, ret;

	ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (ctx == NULL)
		return -ENOMEM;
	for (i = 0; i < VSW_ARRAY_SIZE(denied); i++) {
		nr = seccomp_syscall_resolve_name(denied[i]);
		/* not a syscall on this architecture (or too new for libseccomp) */
		if (nr == __NR_SCMP_ERROR)
			continue;
		ret = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
		if (ret)
			goto out;
	}
	ret = deny_clone_namespaces(ctx);
	/* no_new_privs (libseccomp's default): setuid binaries cannot gain privileges either */
	ret = ret ?: seccomp_load(ctx);
out:
	seccomp_release(ctx);
	return ret;
}
