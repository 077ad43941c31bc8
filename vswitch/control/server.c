/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control thread's event loop: the control socket (one request per connection), a 1 s timer
 * for MAC ageing, link state and netvsc reconnection, the workers' learning doorbell,
 * SIGINT/SIGTERM, and the netvsc ports' vmbus-user sockets (struct vs_evh).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#include <rte_cycles.h>

#include "internal.h"
#include "netvsc/netvsc.h"
#include "vsw/ctl.h"
#include "vsw_ctl_server.h"

#define MAX_CLIENTS 16
#define CLIENT_IO_TIMEOUT_S 5

struct client {
	struct vs_evh evh; /* first: the epoll tag */
	struct server *s;
	int fd;
	size_t got;
	struct vsw_ctl_hdr hdr;
	char *body;
};

struct server {
	struct vs_switch *sw;
	int ep, listen_fd, timer_fd, sig_fd;
	struct client clients[MAX_CLIENTS];
};

static void client_on_event(struct vs_evh *h, uint32_t events);

static void client_close(struct server *s, struct client *c)
{
	epoll_ctl(s->ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c->body);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->s = s;
	c->evh.fn = client_on_event;
}

static void reply(struct client *c, int status, const char *err, json_t *result)
{
	vsw_ctl_send_reply(c->fd, status, err, result, CLIENT_IO_TIMEOUT_S);
}

static void request_handle(struct server *s, struct client *c)
{
	char err[512];
	json_error_t jerr;
	json_t *req, *result = NULL;
	int status;

	req = json_loadb(c->body, c->hdr.len, 0, &jerr);
	if (!json_is_object(req)) {
		reply(c, EINVAL, "request is not a JSON object", NULL);
		json_decref(req);
		return;
	}
	result = vs_api_handle(s->sw, req, &status, err, sizeof(err));
	if (status) {
		VS_LOG(INFO, "request %s refused: %s",
			json_string_value(json_object_get(req, "cmd")) ?: "?", err);
		json_decref(result);
		result = NULL;
	}
	reply(c, status, err, result);
	json_decref(req);
}

/* Read what is available; handle the request once it is complete. */
static void client_read(struct server *s, struct client *c)
{
	ssize_t n;
	int ret;

	if (c->got < sizeof(c->hdr)) {
		n = recv(c->fd, (char *)&c->hdr + c->got, sizeof(c->hdr) - c->got, 0);
		if (n <= 0)
			goto check;
		c->got += (size_t)n;
		if (c->got < sizeof(c->hdr))
			return;
		ret = vsw_ctl_hdr_check(&c->hdr, VSW_CTL_MAX_REQUEST);
		if (ret) {
			reply(c, -ret,
				ret == -EPROTO ? "protocol version mismatch (vswitchctl and vswitchd "
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
		n = recv(c->fd, c->body + (c->got - sizeof(c->hdr)),
			sizeof(c->hdr) + c->hdr.len - c->got, 0);
		if (n <= 0)
			goto check;
		c->got += (size_t)n;
	}
	if (c->got < sizeof(c->hdr) + c->hdr.len)
		return;
	request_handle(s, c);
	goto close;
check:
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
close:
	client_close(s, c);
}

static void client_on_event(struct vs_evh *h, uint32_t events)
{
	struct client *c = (struct client *)h;

	(void)events;
	client_read(c->s, c);
}

int vs_ev_add(struct vs_switch *sw, int fd, struct vs_evh *h)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = h};

	return epoll_ctl(sw->ep, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

void vs_ev_del(struct vs_switch *sw, int fd)
{
	epoll_ctl(sw->ep, EPOLL_CTL_DEL, fd, NULL);
}

static void client_accept(struct server *s)
{
	struct epoll_event ev = {.events = EPOLLIN};
	struct client *c = NULL;
	unsigned int i;
	int fd;

	fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	if (!vsw_ctl_peer_allowed(fd)) {
		struct client tmp = {.fd = fd};

		reply(&tmp, EPERM, "permission denied: the control socket is for root", NULL);
		close(fd);
		return;
	}
	for (i = 0; i < MAX_CLIENTS && c == NULL; i++) {
		if (s->clients[i].fd < 0)
			c = &s->clients[i];
	}
	if (c == NULL) {
		close(fd);
		return;
	}
	c->fd = fd;
	ev.data.ptr = c;
	if (epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev) < 0)
		client_close(s, c);
}

static void on_timer(struct server *s)
{
	struct vs_switch *sw = s->sw;
	uint64_t ticks;

	if (read(s->timer_fd, &ticks, sizeof(ticks)) < 0)
		return;
	vs_learn_drain(sw);
	vs_fdb_age(sw->fdb, rte_rdtsc(), (uint64_t)sw->ageing * sw->hz);
	vs_port_poll_link(sw);
	for (unsigned int i = 0; i < VS_MAX_PORTS; i++) {
		if (sw->ports[i] && sw->ports[i]->nv)
			vs_nv_port_tick(sw->ports[i]->nv);
	}
}

static int watch(struct server *s, int fd, void *tag)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = tag};

	return epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

static int server_open(struct server *s, struct vs_switch *sw)
{
	struct itimerspec its = {{1, 0}, {1, 0}};
	sigset_t mask;
	unsigned int i;
	int ret;

	s->sw = sw;
	for (i = 0; i < MAX_CLIENTS; i++) {
		s->clients[i].fd = -1;
		s->clients[i].s = s;
		s->clients[i].evh.fn = client_on_event;
	}
	/* created at switch start: netvsc ports register their sockets before the loop runs */
	s->ep = sw->ep;
	s->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &mask, NULL);
	s->sig_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (s->ep < 0 || s->timer_fd < 0 || s->sig_fd < 0)
		return -errno;
	timerfd_settime(s->timer_fd, 0, &its, NULL);
	s->listen_fd = vsw_ctl_listen(sw->opts->socket_path);
	if (s->listen_fd < 0) {
		VS_LOG(ERR, "cannot listen on %s: %s", sw->opts->socket_path,
			strerror(-s->listen_fd));
		return s->listen_fd;
	}
	ret = watch(s, s->listen_fd, &s->listen_fd);
	ret = ret ?: watch(s, s->timer_fd, &s->timer_fd);
	ret = ret ?: watch(s, s->sig_fd, &s->sig_fd);
	ret = ret ?: watch(s, sw->learn_efd, &sw->learn_efd);
	return ret;
}

static void server_close(struct server *s)
{
	unsigned int i;

	for (i = 0; i < MAX_CLIENTS; i++) {
		if (s->clients[i].fd >= 0)
			client_close(s, &s->clients[i]);
	}
	if (s->listen_fd >= 0) {
		close(s->listen_fd);
		unlink(s->sw->opts->socket_path);
	}
	close(s->timer_fd);
	close(s->sig_fd);
	/* s->ep is the switch's: netvsc ports still deregister from it at stop */
}

int vs_server_run(struct vs_switch *sw, int ready_fd)
{
	struct epoll_event evs[16];
	struct server s = {0};
	uint64_t v;
	int n, i, ret;

	ret = server_open(&s, sw);
	if (ret)
		goto out;
	VS_LOG(NOTICE, "ready: control socket %s, configuration %s", sw->opts->socket_path,
		sw->opts->config_path);
	if (ready_fd >= 0) {
		if (write(ready_fd, "", 1) < 0) {
			/* the parent is gone; keep running */
		}
		close(ready_fd);
	}
	while (!sw->quit) {
		n = epoll_wait(s.ep, evs, 16, -1);
		for (i = 0; i < n; i++) {
			void *tag = evs[i].data.ptr;

			if (tag == &s.listen_fd) {
				client_accept(&s);
			} else if (tag == &s.timer_fd) {
				on_timer(&s);
			} else if (tag == &s.sig_fd) {
				VS_LOG(NOTICE, "signal received, stopping");
				sw->quit = true;
			} else if (tag == &sw->learn_efd) {
				if (read(sw->learn_efd, &v, sizeof(v)) < 0) {
					/* spurious wakeup */
				}
				vs_learn_drain(sw);
			} else {
				struct vs_evh *h = tag;

				h->fn(h, evs[i].events);
			}
		}
	}
out:
	server_close(&s);
	return ret;
}
