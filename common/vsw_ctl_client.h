/* SPDX-License-Identifier: BSD-3-Clause */
/* Client side of the control-socket framing of include/vsw/ctl.h, shared by vswitchctl and vmmctl.
 */
#ifndef VSW_CTL_CLIENT_H
#define VSW_CTL_CLIENT_H

/*
 * Connect to the unix stream socket 'path', send 'req' (JSON text) in one framed message and
 * wait at most 'timeout_ms' per read or write for the framed reply. On success '*reply' is the
 * reply's JSON text, NUL-terminated and malloc'ed (the caller frees it). Returns 0 or -errno:
 * connect errors (-ENOENT, -ECONNREFUSED, -EACCES), -ETIMEDOUT, -ECONNRESET, -EPROTO or
 * -EMSGSIZE for a reply that is not ours.
 */
int vsw_ctl_request(const char *path, const char *req, int timeout_ms, char **reply);

#endif
