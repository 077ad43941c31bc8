/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vmmd's event loop: epoll with one callback per fd. The control socket, the signalfd, each
 * partition's pidfd and stop timer are watches; the VMBus server will add each partition's
 * message socket (struct vmm_part.msg_fd) the same way.
 *
 * A callback may delete any watch, including ones whose events are already in the batch being
 * dispatched: deleted watches are only marked dead and freed after the batch.
 */
#include "vmm.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#define LOOP_BATCH 32

struct watch {
	int fd;
	vmm_fd_cb cb;
	void *arg;
	bool dead;
	struct watch *next; /* all watches, or the dead list */
};

struct vmm_loop {
	int ep;
	struct watch *watches;
	struct watch *dead; /* deleted during a dispatch, freed after it */
};

struct vmm_loop *vmm_loop_create(void)
{
	struct vmm_loop *loop = calloc(1, sizeof(*loop));

	if (loop == NULL)
		return NULL;
	loop->ep = epoll_create1(EPOLL_CLOEXEC);
	if (loop->ep < 0) {
		free(loop);
		return NULL;
	}
	return loop;
}

static void free_list(struct watch *w)
{
	struct watch *next;

	for (; w; w = next) {
		next = w->next;
		free(w);
	}
}

void vmm_loop_destroy(struct vmm_loop *loop)
{
	if (loop == NULL)
		return;
	free_list(loop->watches);
	free_list(loop->dead);
	close(loop->ep);
	free(loop);
}

int vmm_loop_add(struct vmm_loop *loop, int fd, uint32_t events, vmm_fd_cb cb, void *arg)
{
	struct epoll_event ev = {.events = events};
	struct watch *w;

	for (w = loop->watches; w; w = w->next) {
		if (w->fd == fd)
			return -EEXIST;
	}
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return -ENOMEM;
	w->fd = fd;
	w->cb = cb;
	w->arg = arg;
	ev.data.ptr = w;
	if (epoll_ctl(loop->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int ret = -errno;

		free(w);
		return ret;
	}
	w->next = loop->watches;
	loop->watches = w;
	return 0;
}

int vmm_loop_del(struct vmm_loop *loop, int fd)
{
	struct watch **pw, *w;

	for (pw = &loop->watches; *pw; pw = &(*pw)->next) {
		if ((*pw)->fd == fd)
			break;
	}
	w = *pw;
	if (w == NULL)
		return -ENOENT;
	*pw = w->next;
	epoll_ctl(loop->ep, EPOLL_CTL_DEL, fd, NULL);
	w->dead = true;
	w->next = loop->dead;
	loop->dead = w;
	return 0;
}

int vmm_loop_run_once(struct vmm_loop *loop, int timeout_ms)
{
	struct epoll_event evs[LOOP_BATCH];
	int n, i, ran = 0;

	n = epoll_wait(loop->ep, evs, LOOP_BATCH, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (i = 0; i < n; i++) {
		struct watch *w = evs[i].data.ptr;

		if (w->dead)
			continue;
		w->cb(w->fd, evs[i].events, w->arg);
		ran++;
	}
	free_list(loop->dead);
	loop->dead = NULL;
	return ran;
}
