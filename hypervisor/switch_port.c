/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NIC ports on vswitchd: at partition start, each NIC's switch (--switch-dir DIR/SW.sock, the
 * control protocol of include/vsw/ctl.h) is asked to
 *   add-port {"name": PORT, "devargs": "netvsc,socket=STATE_DIR/PARTITION.INDEX.vmbus"}
 * and at partition delete to del-port {"name": PORT}. A port that already exists (EEXIST) is
 * fine when list-ports shows it with the same devargs. An unreachable vswitchd is logged and
 * recorded in the NIC's state (`vmmctl show`); the partition starts anyway, and the add-port is
 * retried every VMM_SWREQ_RETRY_S seconds while the partition runs, so a vswitchd started after
 * the partition (or one restarted without its configuration file) gets the port. A refusal
 * (invalid name, port exists with other devargs) is not retried: it needs the operator.
 *
 * The requests run on vmmd's loop, non-blocking, rather than through the blocking
 * vsw_ctl_request(): vswitchd's add-port of a netvsc port may connect to our vmbus-user socket
 * and wait for its HELLO reply, which vmmd could not give while blocked on add-port.
 */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#include "vsw/ctl.h"

#define SWREQ_MAX_REPLY (1u << 20) /* list-ports of a full switch is far smaller */

enum swreq_kind { SWREQ_ADD, SWREQ_LIST, SWREQ_DEL };

struct vmm_swreq {
	struct vmm_daemon *d;
	enum swreq_kind kind;
	char sw[VMM_NAME_SIZE];
	char port[VMM_NAME_SIZE];
	char devargs[VMM_PATH_SIZE + 80];
	struct vmm_port_status *st; /* NULL once the partition is gone */
	int fd, timer_fd;
	struct vsw_ctl_hdr hdr; /* reply header */
	size_t got;		/* reply bytes received (header included) */
	char *body;		/* reply JSON */
	struct vmm_swreq *next;
};

static const char *const port_state_names[] = {"none", "adding", "attached", "error"};

const char *vmm_port_state_name(enum vmm_port_state s)
{
	return (unsigned int)s < 4 ? port_state_names[s] : "?";
}

void vmm_nic_socket_path(const struct vmm_daemon *d, const struct vmm_part *p, unsigned int index,
	char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s.%u.vmbus", d->opts->state_dir, p->cfg.name, index);
}

static void swreq_free(struct vmm_swreq *r)
{
	struct vmm_swreq **pp;

	for (pp = &r->d->swreqs; *pp; pp = &(*pp)->next) {
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	}
	if (r->st && r->st->req == r)
		r->st->req = NULL;
	if (r->fd >= 0) {
		vmm_loop_del(r->d->loop, r->fd);
		close(r->fd);
	}
	if (r->timer_fd >= 0) {
		vmm_loop_del(r->d->loop, r->timer_fd);
		close(r->timer_fd);
	}
	free(r->body);
	free(r);
}

static void retry_arm(struct vmm_daemon *d);

/* Record why a request failed; 'retry' when it is worth repeating (vswitchd away). A repeated
 * failure with the same reason is not logged again. */
static void port_fail(struct vmm_swreq *r, bool retry, const char *fmt, const char *detail)
{
	char msg[160];

	snprintf(msg, sizeof(msg), fmt, r->sw, detail);
	if (r->st == NULL || strcmp(r->st->error, msg) != 0)
		VMM_LOG(NOTICE, "port %s: %s%s", r->port, msg,
			retry && r->kind == SWREQ_ADD && r->st ? " (retrying)" : "");
	if (r->st) {
		r->st->state = VMM_PORT_ERROR;
		r->st->retry = retry && r->kind == SWREQ_ADD;
		snprintf(r->st->error, sizeof(r->st->error), "%s", msg);
		if (r->st->retry)
			retry_arm(r->d);
	}
}

static void port_attached(struct vmm_port_status *st)
{
	st->state = VMM_PORT_ATTACHED;
	st->retry = false;
	st->error[0] = '\0';
}

static void port_error(struct vmm_swreq *r, const char *fmt, const char *detail)
{
	port_fail(r, false, fmt, detail);
}

static int swreq_start(struct vmm_swreq *r);

/* list-ports said what the existing port's devargs are. */
static void list_done(struct vmm_swreq *r, json_t *result)
{
	json_t *port;
	size_t i;

	json_array_foreach(result, i, port)
	{
		const char *name = json_string_value(json_object_get(port, "name"));
		const char *devargs = json_string_value(json_object_get(port, "devargs"));

		if (name == NULL || strcmp(name, r->port) != 0)
			continue;
		if (devargs && strcmp(devargs, r->devargs) == 0) {
			if (r->st)
				port_attached(r->st);
			VMM_LOG(INFO, "port %s: already on switch %s", r->port, r->sw);
		} else {
			port_error(r, "switch %s: the port exists with other devargs (%s)",
				devargs ? devargs : "?");
		}
		return;
	}
	port_error(r, "switch %s: add-port said it exists, list-ports does not show it%s", "");
}

static void reply_done(struct vmm_swreq *r)
{
	json_t *j = json_loads(r->body, 0, NULL);
	json_int_t status = json_integer_value(json_object_get(j, "status"));
	const char *err = json_string_value(json_object_get(j, "error"));
	struct vmm_swreq *next;

	if (j == NULL || !json_is_integer(json_object_get(j, "status"))) {
		port_error(r, "switch %s: %s", "unreadable reply");
	} else if (r->kind == SWREQ_DEL) {
		if (status && status != ENOENT)
			VMM_LOG(NOTICE, "port %s: del-port on switch %s: %s", r->port, r->sw,
				err ? err : strerror((int)status));
	} else if (r->kind == SWREQ_LIST) {
		if (status == 0)
			list_done(r, json_object_get(j, "result"));
		else
			port_error(r, "switch %s: list-ports: %s", err ? err : "refused");
	} else if (status == 0) {
		if (r->st)
			port_attached(r->st);
		VMM_LOG(INFO, "port %s: added to switch %s", r->port, r->sw);
	} else if (status == EEXIST && r->st) {
		/* fine if it is ours: look at its devargs */
		next = calloc(1, sizeof(*next));
		if (next) {
			*next = (struct vmm_swreq){.d = r->d, .kind = SWREQ_LIST, .st = r->st};
			memcpy(next->sw, r->sw, sizeof(r->sw));
			memcpy(next->port, r->port, sizeof(r->port));
			memcpy(next->devargs, r->devargs, sizeof(r->devargs));
			r->st = NULL;
			swreq_start(next);
		}
	} else {
		port_error(r, "switch %s: add-port refused: %s", err ? err : strerror((int)status));
	}
	json_decref(j);
	swreq_free(r);
}

static void on_reply(int fd, uint32_t events, void *arg)
{
	struct vmm_swreq *r = arg;
	size_t want;
	ssize_t n;
	char *dst;

	if (r->got < sizeof(r->hdr)) {
		dst = (char *)&r->hdr + r->got;
		want = sizeof(r->hdr) - r->got;
	} else {
		dst = r->body + (r->got - sizeof(r->hdr));
		want = sizeof(r->hdr) + r->hdr.len - r->got;
	}
	n = recv(fd, dst, want, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		port_fail(r, true, "switch %s: %s", n == 0 ? "closed before replying" : strerror(errno));
		swreq_free(r);
		return;
	}
	r->got += (size_t)n;
	if (r->got == sizeof(r->hdr)) {
		if (vsw_ctl_hdr_check(&r->hdr, SWREQ_MAX_REPLY) ||
			(r->body = calloc(1, r->hdr.len + 1)) == NULL) {
			port_error(r, "switch %s: %s", "bad reply");
			swreq_free(r);
			return;
		}
	}
	if (r->got == sizeof(r->hdr) + r->hdr.len && r->body)
		reply_done(r);
}

static void on_timeout(int fd, uint32_t events, void *arg)
{
	struct vmm_swreq *r = arg;

	port_fail(r, true, "switch %s: %s", "no reply in time");
	swreq_free(r);
}

/* Connect, send the request, watch for the reply. On failure the request is freed. */
static int swreq_start(struct vmm_swreq *r)
{
	static const char *const cmds[] = {"add-port", "list-ports", "del-port"};
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct itimerspec its = {.it_value = {.tv_sec = VMM_SWREQ_TIMEOUT_MS / 1000}};
	char path[VMM_PATH_SIZE + VMM_NAME_SIZE + 8];
	struct vsw_ctl_hdr hdr;
	char *text = NULL;
	json_t *req;
	int ret;

	r->fd = r->timer_fd = -1;
	r->next = r->d->swreqs;
	r->d->swreqs = r;
	if (r->st)
		r->st->req = r;
	if (r->kind == SWREQ_ADD)
		req = json_pack("{s:s, s:{s:s, s:s}}", "cmd", cmds[r->kind], "args", "name", r->port,
			"devargs", r->devargs);
	else if (r->kind == SWREQ_DEL)
		req = json_pack("{s:s, s:{s:s}}", "cmd", cmds[r->kind], "args", "name", r->port);
	else
		req = json_pack("{s:s}", "cmd", cmds[r->kind]);
	text = req ? json_dumps(req, JSON_COMPACT) : NULL;
	json_decref(req);
	ret = snprintf(path, sizeof(path), "%s/%s.sock", r->d->opts->switch_dir, r->sw);
	if (text == NULL || ret >= (int)sizeof(sa.sun_path)) {
		port_error(r, "switch %s: %s", text ? "socket path too long" : "out of memory");
		goto err;
	}
	memcpy(sa.sun_path, path, (size_t)ret + 1);
	r->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (r->fd < 0 || connect(r->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		port_fail(r, true, "vswitchd %s not reachable: %s", strerror(errno));
		goto err;
	}
	/* a fresh local stream socket takes a request this small whole */
	vsw_ctl_hdr_init(&hdr, (uint32_t)strlen(text));
	if (send(r->fd, &hdr, sizeof(hdr), MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)sizeof(hdr) ||
		send(r->fd, text, hdr.len, MSG_DONTWAIT | MSG_NOSIGNAL) != (ssize_t)hdr.len) {
		port_fail(r, true, "switch %s: cannot send: %s", strerror(errno));
		goto err;
	}
	r->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (r->timer_fd < 0 || timerfd_settime(r->timer_fd, 0, &its, NULL) < 0 ||
		vmm_loop_add(r->d->loop, r->timer_fd, EPOLLIN, on_timeout, r) < 0) {
		port_error(r, "switch %s: %s", "no timer");
		goto err;
	}
	if (vmm_loop_add(r->d->loop, r->fd, EPOLLIN, on_reply, r) < 0) {
		port_error(r, "switch %s: %s", "cannot watch the reply");
		goto err;
	}
	free(text);
	return 0;
err:
	free(text);
	swreq_free(r);
	return -EIO;
}

static void swreq_new(struct vmm_daemon *d, struct vmm_part *p, unsigned int i, enum swreq_kind k)
{
	struct vmm_swreq *r = calloc(1, sizeof(*r));
	char path[VMM_PATH_SIZE + 64];

	if (r == NULL) {
		VMM_LOG(ERR, "partition %s: out of memory for its port requests", p->cfg.name);
		return;
	}
	r->d = d;
	r->kind = k;
	memcpy(r->sw, p->cfg.nics[i].sw, sizeof(r->sw));
	memcpy(r->port, p->cfg.nics[i].port, sizeof(r->port));
	vmm_nic_socket_path(d, p, i, path, sizeof(path));
	snprintf(r->devargs, sizeof(r->devargs), "netvsc,socket=%s", path);
	if (k == SWREQ_ADD) {
		r->st = &p->ports[i];
		r->st->state = VMM_PORT_ADDING;
		r->st->retry = false; /* error[] is kept: a repeated failure is not logged again */
	}
	swreq_start(r);
}

/* Forget 'p' in requests under way (their outcome no longer has a place to go). */
static void swport_cancel(struct vmm_part *p)
{
	unsigned int i;

	for (i = 0; i < VMM_MAX_NICS; i++) {
		if (p->ports[i].req)
			p->ports[i].req->st = NULL;
		p->ports[i].req = NULL;
	}
}

void vmm_swport_attach(struct vmm_daemon *d, struct vmm_part *p)
{
	unsigned int i;

	swport_cancel(p);
	for (i = 0; i < p->cfg.n_nics; i++)
		swreq_new(d, p, i, SWREQ_ADD);
}

void vmm_swport_detach(struct vmm_daemon *d, struct vmm_part *p)
{
	unsigned int i;

	swport_cancel(p);
	for (i = 0; i < p->cfg.n_nics; i++)
		swreq_new(d, p, i, SWREQ_DEL);
}

static void retry_disarm(struct vmm_daemon *d)
{
	if (!d->swretry_armed)
		return;
	vmm_loop_del(d->loop, d->swretry_fd);
	close(d->swretry_fd);
	d->swretry_fd = -1;
	d->swretry_armed = false;
}

/* Every VMM_SWREQ_RETRY_S: add-port again the NICs of running partitions whose vswitchd was away.
 * The timer stops when none is left. */
static void on_retry(int fd, uint32_t events, void *arg)
{
	struct vmm_daemon *d = arg;
	uint64_t expirations;
	struct vmm_part *p;
	unsigned int i, waiting = 0;

	if (read(fd, &expirations, sizeof(expirations)) < 0 && errno == EAGAIN)
		return;
	for (p = d->parts; p; p = p->next) {
		for (i = 0; i < p->cfg.n_nics; i++) {
			struct vmm_port_status *st = &p->ports[i];

			if (st->state != VMM_PORT_ERROR || !st->retry)
				continue;
			if (p->state != VMM_PART_RUNNING) {
				st->retry = false;
				continue;
			}
			waiting++;
			if (st->req == NULL)
				swreq_new(d, p, i, SWREQ_ADD);
		}
	}
	if (waiting == 0)
		retry_disarm(d);
}

static void retry_arm(struct vmm_daemon *d)
{
	struct itimerspec its = {
		.it_value = {.tv_sec = VMM_SWREQ_RETRY_S},
		.it_interval = {.tv_sec = VMM_SWREQ_RETRY_S},
	};
	int fd;

	if (d->swretry_armed)
		return;
	fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (fd < 0 || timerfd_settime(fd, 0, &its, NULL) < 0 ||
		vmm_loop_add(d->loop, fd, EPOLLIN, on_retry, d) < 0) {
		VMM_LOG(ERR, "add-port retry timer: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	d->swretry_fd = fd;
	d->swretry_armed = true;
}

void vmm_swport_fini(struct vmm_daemon *d)
{
	retry_disarm(d);
	while (d->swreqs)
		swreq_free(d->swreqs);
}
