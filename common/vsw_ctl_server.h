/* SPDX-License-Identifier: BSD-3-Clause */
/* Server side of the control-socket framing of include/vsw/ctl.h, shared by vswitchd and vmmd. */
#ifndef VSW_CTL_SERVER_H
#define VSW_CTL_SERVER_H

#include <stdbool.h>

#include <jansson.h>

/*
 * Create the listening unix stream socket 'path' (non-blocking, close-on-exec), mode 0600 from
 * the start, replacing a stale socket file. Returns the fd or -errno (-ENAMETOOLONG, bind/listen
 * errors).
 */
int vsw_ctl_listen(const char *path);

/* True if the peer of connected socket 'fd' is root or our own user (SO_PEERCRED). */
bool vsw_ctl_peer_allowed(int fd);

/*
 * Send one framed reply {"status", "error", "result"} on 'fd'; 'result' may be NULL (no
 * "result" key) and is consumed. The socket is switched to blocking with a send timeout of
 * 'timeout_s', so a slow reader holds the caller for at most that long. Returns 0 or -errno.
 */
int vsw_ctl_send_reply(int fd, int status, const char *err, json_t *result, int timeout_s);

#endif
