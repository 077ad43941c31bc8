/* SPDX-License-Identifier: BSD-3-Clause */
/* One request/reply exchange over a control socket framed by include/vsw/ctl.h (vswitchctl, vmmctl). */
#include "vsw_ctl_client.h"

#include <errno.h>
#include <stdbool.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "vsw/ctl.h"

static int io_all(int fd, void *buf, size_t size, bool rx, int timeout_ms)
{
	char *p = buf;

	while (size) {
		struct pollfd pfd = {.fd = fd, .events = rx ? POLLIN : POLLOUT};
		ssize_t n;

		if (poll(&pfd, 1, timeout_ms) <= 0)
			return -ETIMEDOUT;
		n = rx ? recv(fd, p, size, 0) : send(fd, p, size, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ECONNRESET;
		p += n;
		size -= (size_t)n;
	}
	return 0;
}

int vsw_ctl_request(const char *path, const char *req, int timeout_ms, char **reply)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct vsw_ctl_hdr hdr;
	char *body;
	int fd, ret;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		ret = -errno;
		goto out;
	}
	vsw_ctl_hdr_init(&hdr, (uint32_t)strlen(req));
	ret = io_all(fd, &hdr, sizeof(hdr), false, timeout_ms);
	ret = ret ?: io_all(fd, (void *)req, hdr.len, false, timeout_ms);
	ret = ret ?: io_all(fd, &hdr, sizeof(hdr), true, timeout_ms);
	if (ret)
		goto out;
	ret = vsw_ctl_hdr_check(&hdr, VSW_CTL_MAX_REPLY);
	if (ret)
		goto out;
	body = malloc(hdr.len + 1);
	if (body == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	ret = io_all(fd, body, hdr.len, true, timeout_ms);
	if (ret) {
		free(body);
		goto out;
	}
	body[hdr.len] = '\0';
	*reply = body;
out:
	close(fd);
	return ret;
}
