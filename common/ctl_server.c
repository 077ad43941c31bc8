/* SPDX-License-Identifier: BSD-3-Clause */
#include "vsw_ctl_server.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <vsw/ctl.h>

#include <jansson.h>

int vsw_ctl_listen(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	mode_t old;
	int fd, ret;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	unlink(path);
	/* root-only from the start: no window in which others could connect */
	old = umask(0177);
	ret = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (ret == 0)
		ret = listen(fd, 16);
	if (ret) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}

bool vsw_ctl_peer_allowed(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return false;
	return cred.uid == 0 || cred.uid == geteuid();
}

static int send_all(int fd, const void *buf, size_t size)
{
	const char *p = buf;

	while (size) {
		ssize_t n = send(fd, p, size, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		p += n;
		size -= (size_t)n;
	}
	return 0;
}

int vsw_ctl_send_reply(int fd, int status, const char *err, json_t *result, int timeout_s)
{
	struct timeval tv = {timeout_s, 0};
	struct vsw_ctl_hdr hdr;
	json_t *r;
	char *text;
	int ret;

	r = json_pack("{s:i, s:s, s:o?}", "status", status, "error", err ? err : "", "result",
		result);
	text = r ? json_dumps(r, JSON_COMPACT | JSON_REAL_PRECISION(15)) : NULL;
	json_decref(r);
	if (text == NULL)
		return -ENOMEM;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	vsw_ctl_hdr_init(&hdr, (uint32_t)strlen(text));
	ret = send_all(fd, &hdr, sizeof(hdr));
	if (ret == 0)
		ret = send_all(fd, text, hdr.len);
	free(text);
	return ret;
}
