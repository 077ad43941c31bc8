/* SPDX-License-Identifier: BSD-3-Clause */
/* vmmd's event loop and its option parsing. */
#include "internal.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct ctx {
	struct vmm_loop *loop;
	int fds[2];
	int calls[2];
};

static void on_event(int fd, uint32_t events, void *arg)
{
	struct ctx *c = arg;
	int me = fd == c->fds[0] ? 0 : 1;

	c->calls[me]++;
	/* delete the other watch, whose event may already be in this batch */
	vmm_loop_del(c->loop, c->fds[!me]);
}

static void loop_deleted_watch_is_not_called_in_same_batch(void **state)
{
	struct ctx c = {0};
	uint64_t one = 1;
	int i;

	c.loop = vmm_loop_create();
	assert_non_null(c.loop);
	for (i = 0; i < 2; i++) {
		c.fds[i] = eventfd(0, EFD_NONBLOCK);
		assert_true(c.fds[i] >= 0);
		assert_int_equal(vmm_loop_add(c.loop, c.fds[i], EPOLLIN, on_event, &c), 0);
		assert_int_equal(write(c.fds[i], &one, sizeof(one)), sizeof(one));
	}
	assert_int_equal(vmm_loop_run_once(c.loop, 1000), 1);
	assert_int_equal(c.calls[0] + c.calls[1], 1);
	vmm_loop_destroy(c.loop);
	close(c.fds[0]);
	close(c.fds[1]);
}

static void nop(int fd, uint32_t events, void *arg)
{
	(*(int *)arg)++;
}

static void loop_add_del_errors(void **state)
{
	struct vmm_loop *loop = vmm_loop_create();
	int fd = eventfd(0, EFD_NONBLOCK), calls = 0;

	assert_int_equal(vmm_loop_add(loop, fd, EPOLLIN, nop, &calls), 0);
	assert_int_equal(vmm_loop_add(loop, fd, EPOLLIN, nop, &calls), -EEXIST);
	assert_int_equal(vmm_loop_add(loop, -1, EPOLLIN, nop, &calls), -EBADF);
	assert_int_equal(vmm_loop_run_once(loop, 0), 0); /* nothing ready */
	assert_int_equal(vmm_loop_del(loop, fd), 0);
	assert_int_equal(vmm_loop_del(loop, fd), -ENOENT);
	assert_int_equal(vmm_loop_add(loop, fd, EPOLLOUT, nop, &calls), 0); /* again */
	assert_int_equal(vmm_loop_run_once(loop, 1000), 1);
	assert_int_equal(calls, 1);
	vmm_loop_destroy(loop);
	vmm_loop_destroy(NULL);
	close(fd);
}

static int parse(struct vmm_opts *o, int argc, char **argv)
{
	return vmm_opts_parse(argc, argv, o);
}

static void opts_defaults_follow_the_name(void **state)
{
	char *a1[] = {"vmmd"}, *a2[] = {"vmmd", "-n", "t1", "--guest-init", "/x/init", "-d"};
	struct vmm_opts o;

	assert_int_equal(parse(&o, 1, a1), 0);
	assert_string_equal(o.socket_path, "/run/vmmd/vmmd.sock");
	assert_string_equal(o.config_path, "/var/lib/vmmd/vmmd.json");
	assert_string_equal(o.state_dir, "/run/vmmd/vmmd");
	assert_int_equal(parse(&o, 6, a2), 0);
	assert_string_equal(o.socket_path, "/run/vmmd/t1.sock");
	assert_string_equal(o.config_path, "/var/lib/vmmd/t1.json");
	assert_string_equal(o.guest_init, "/x/init");
	assert_true(o.detach);
}

static void opts_reject_bad_names_and_arguments(void **state)
{
	char *a1[] = {"vmmd", "-n", "bad/name"}, *a2[] = {"vmmd", "extra"},
	     *a3[] = {"vmmd", "-s", ""};
	struct vmm_opts o;

	assert_int_equal(parse(&o, 3, a1), -EINVAL);
	assert_int_equal(parse(&o, 2, a2), -EINVAL);
	assert_int_equal(parse(&o, 3, a3), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(loop_deleted_watch_is_not_called_in_same_batch),
		cmocka_unit_test(loop_add_del_errors),
		cmocka_unit_test(opts_defaults_follow_the_name),
		cmocka_unit_test(opts_reject_bad_names_and_arguments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
