/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vmmd's control socket: the framing of include/vsw/ctl.h (the one vswitchd speaks), one request
 * per connection. Root-only: the socket is created with mode 0600 and each peer's credentials are
 * checked (SO_PEERCRED).
 *
 * A request that must wait for a partition to end (stop, kill) parks its client; the reply is
 * sent when that partition's PID 1 has been reaped, so `vmmctl stop` returns once it is stopped.
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "vsw/ctl.h"
#include "vsw_ctl_server.h"

#define MAX_CLIENTS 32
#define CLIENT_IO_TIMEOUT_S 5

struct client {
	struct vmm_server *s;
	int fd;	    /* -1: free slot */
	size_t got; /* bytes received of header + body */
	struct vsw_ctl_hdr hdr;
	char *body;
	const struct vmm_part *waiting; /* parked until this partition's PID 1 exits */
};

struct vmm_server {
	struct vmm_daemon *d;
	int listen_fd;
	struct client clients[MAX_CLIENTS];
};

static void client_close(struct client *c)
{
	vmm_loop_del(c->s->d->loop, c->fd);
	close(c->fd);
	free(c->body);
	c->body = NULL;
	c->got = 0;
	c->waiting = NULL;
	c->fd = -1;
}

/* Send the reply ('result' is consumed). */
static void reply(int fd, int status, const char *err, json_t *result)
{
	vsw_ctl_send_reply(fd, status, err, result, CLIENT_IO_TIMEOUT_S);
}

/* Returns true when the client was parked (the reply comes later). */
static bool request_handle(struct client *c)
{
	struct vmm_part *wait_for = NULL;
	char err[512] = "";
	json_error_t jerr;
	json_t *req, *result;
	int status;

	req = json_loadb(c->body, c->hdr.len, 0, &jerr);
	if (!json_is_object(req)) {
		reply(c->fd, EINVAL, "request is not a JSON object", NULL);
		json_decref(req);
		return false;
	}
	result = vmm_api_handle(c->s->d, req, &status, err, sizeof(err), &wait_for);
	if (status) {
		VMM_LOG(INFO, "request %s refused: %s",
			json_string_value(json_object_get(req, "cmd")) ?: "?", err);
		json_decref(result);
		result = NULL;
	}
	json_decref(req);
	if (status == 0 && wait_for) {
		json_decref(result);
		c->waiting = wait_for;
		return true;
	}
	reply(c->fd, status, err, result);
	return false;
}

static void on_client(int fd, uint32_t events, void *arg)
{
	struct client *c = arg;
	ssize_t n;
	int ret;

	if (c->waiting) {
		/* a parked client has nothing more to say; a hang-up means it gave up */
		if (events & (EPOLLHUP | EPOLLERR | EPOLLRDHUP))
			client_close(c);
		return;
	}
	if (c->got < sizeof(c->hdr)) {
		n = recv(fd, (char *)&c->hdr + c->got, sizeof(c->hdr) - c->got, 0);
		if (n <= 0)
			goto check;
		c->got += (size_t)n;
		if (c->got < sizeof(c->hdr))
			return;
		ret = vsw_ctl_hdr_check(&c->hdr, VSW_CTL_MAX_REQUEST);
		if (ret) {
			reply(fd, -ret,
				ret == -EPROTO ? "protocol version mismatch (vmmctl and vmmd "
						 "must be the same version)"
					       : "request too large",
				NULL);
			goto close;
		}
		c->body = malloc(c->hdr.len + 1);
		if (c->body == NULL)
			goto close;
	}
	if (c->got < sizeof(c->hdr) + c->hdr.len) {
		n = recv(fd, c->body + (c->got - sizeof(c->hdr)),
			sizeof(c->hdr) + c->hdr.len - c->got, 0);
		if (n <= 0)
			goto check;
		c->got += (size_t)n;
	}
	if (c->got < sizeof(c->hdr) + c->hdr.len)
		return;
	if (request_handle(c))
		return;
	goto close;
check:
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
close:
	client_close(c);
}

static void on_accept(int lfd, uint32_t events, void *arg)
{
	struct vmm_server *s = arg;
	struct client *c = NULL;
	unsigned int i;
	int fd;

	fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	if (!vsw_ctl_peer_allowed(fd)) {
		reply(fd, EPERM, "permission denied: the control socket is for root", NULL);
		close(fd);
		return;
	}
	for (i = 0; i < MAX_CLIENTS && c == NULL; i++) {
		if (s->clients[i].fd < 0)
			c = &s->clients[i];
	}
	if (c == NULL) {
		reply(fd, EBUSY, "too many clients", NULL);
		close(fd);
		return;
	}
	c->fd = fd;
	if (vmm_loop_add(s->d->loop, fd, EPOLLIN | EPOLLRDHUP, on_client, c)) {
		close(fd);
		c->fd = -1;
	}
}

void vmm_server_part_exited(struct vmm_server *s, const struct vmm_part *p)
{
	unsigned int i;

	if (s == NULL)
		return;
	for (i = 0; i < MAX_CLIENTS; i++) {
		struct client *c = &s->clients[i];

		if (c->fd < 0 || c->waiting != p)
			continue;
		reply(c->fd, 0, "", vmm_api_part_show(s->d, p));
		client_close(c);
	}
}

int vmm_server_open(struct vmm_daemon *d, struct vmm_server **out)
{
	struct vmm_server *s = calloc(1, sizeof(*s));
	unsigned int i;
	int ret;

	if (s == NULL)
		return -ENOMEM;
	s->d = d;
	for (i = 0; i < MAX_CLIENTS; i++) {
		s->clients[i].fd = -1;
		s->clients[i].s = s;
	}
	s->listen_fd = vsw_ctl_listen(d->opts->socket_path);
	if (s->listen_fd < 0) {
		ret = s->listen_fd;
		free(s);
		return ret;
	}
	ret = vmm_loop_add(d->loop, s->listen_fd, EPOLLIN, on_accept, s);
	if (ret) {
		close(s->listen_fd);
		unlink(d->opts->socket_path);
		free(s);
		return ret;
	}
	*out = s;
	return 0;
}

void vmm_server_close(struct vmm_server *s)
{
	unsigned int i;

	if (s == NULL)
		return;
	for (i = 0; i < MAX_CLIENTS; i++) {
		if (s->clients[i].fd >= 0)
			client_close(&s->clients[i]);
	}
	vmm_loop_del(s->d->loop, s->listen_fd);
	close(s->listen_fd);
	unlink(s->d->opts->socket_path);
	free(s);
}
