/* SPDX-License-Identifier: BSD-3-Clause */
/* Daemon plumbing shared by vswitchd and vmmd. */
#ifndef VSW_DAEMON_H
#define VSW_DAEMON_H

/*
 * Fork into the background. The parent waits until the child writes a byte to the returned fd
 * (ready) and exits 0, or exits 1 if the child dies first. In the child: new session, stdin and
 * stdout on /dev/null, stderr too unless 'keep_stderr' (a log file is already there). Returns the
 * pipe's write end in the child, or -errno.
 */
int vsw_daemonize(int keep_stderr);

/* Send stderr to 'path' (appended, created 0640). Returns 0 or -errno. */
int vsw_log_to_file(const char *path);

/* Write our PID to 'path' atomically. Returns 0 or -errno. */
int vsw_pidfile_write(const char *path);

#endif
