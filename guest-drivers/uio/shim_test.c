/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libvsw_uio.so (shim.c), linked into this test so that its open/mmap/memfd_create/ftruncate/
 * close take the place of libc's as they do under LD_PRELOAD: /dev/uioN map indexes, map bounds,
 * maps placed at their partition offsets,
 * two devices with their own maps and claims, the identity-mapped DPDK heap and its refusals,
 * that close forgets an fd, and the subchannel `ring` files (init asked where the rings are,
 * mmap redirected inside them, refusals).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#define MEM_SIZE (1ull << 30) /* sparse */
#define MAP0_OFF 0x100000ull
#define MAP1_OFF 0x300000ull
#define MAP2_OFF 0x400000ull /* the second device's (/dev/uio2) only map */
#define HEAP_MIN 0x1000000ull
#define HEAP_VA 0x30000000ull
#define RING_OFF 0x500000ull
#define RING_SIZE 0x2000ull

static char sysfs_dir[64];

static int mem_fd;

static uint8_t mem_byte(uint64_t off)
{
	uint8_t b = 0;

	assert_int_equal(pread(mem_fd, &b, 1, (off_t)off), 1);
	return b;
}

static void uio_maps_by_index(void **state)
{
	int fd = open("/dev/uio0", O_RDWR);
	uint8_t *p;

	assert_true(fd >= 0);
	/* map 1 (offset 1 page): partition memory at MAP1_OFF, 2 pages */
	p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 4096);
	assert_true(p != MAP_FAILED);
	assert_int_equal(p[0], 0xa1);
	p[4096] = 0x5a; /* shared with partition memory */
	assert_int_equal(mem_byte(MAP1_OFF + 4096), 0x5a);
	munmap(p, 8192);
	/* map 0, shorter than the map: fine */
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	assert_true(p != MAP_FAILED);
	assert_int_equal(p[0], 0xa0);
	munmap(p, 4096);
	close(fd);
}

/* Without MAP_FIXED a map lands at the address equal to its partition offset (the PMD's iova of
 * receive-buffer bytes is then their guest address); where that range is taken, anywhere. */
static void uio_maps_at_home(void **state)
{
	int fd = open("/dev/uio0", O_RDWR);
	uint8_t *p, *q, *blocker;

	assert_true(fd >= 0);
	p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 4096);
	assert_ptr_equal(p, (void *)MAP1_OFF);
	assert_int_equal(p[0], 0xa1);
	/* taken (by this very map): the second one goes elsewhere, same pages */
	q = mmap(NULL, 8192, PROT_READ, MAP_SHARED, fd, 4096);
	assert_true(q != MAP_FAILED && q != p);
	assert_int_equal(q[0], 0xa1);
	munmap(q, 8192);
	munmap(p, 8192);
	/* taken by something else */
	blocker = mmap((void *)MAP0_OFF, 4096, PROT_NONE,
		MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	assert_ptr_equal(blocker, (void *)MAP0_OFF);
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	assert_true(p != MAP_FAILED && p != blocker);
	assert_int_equal(p[0], 0xa0);
	munmap(p, 4096);
	munmap(blocker, 4096);
	close(fd);
}

static void uio_refusals(void **state)
{
	int fd = open("/dev/uio0", O_RDWR);

	assert_true(fd >= 0);
	/* longer than the map */
	errno = 0;
	assert_true(mmap(NULL, 3 * 4096, PROT_READ, MAP_SHARED, fd, 4096) == MAP_FAILED);
	assert_int_equal(errno, EINVAL);
	/* no map 2 */
	assert_true(mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 2 * 4096) == MAP_FAILED);
	/* not a page multiple */
	assert_true(mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 100) == MAP_FAILED);
	close(fd);
	/* another uio device is not ours: the real open, which finds no such node */
	errno = 0;
	assert_int_equal(open("/dev/uio1", O_RDWR), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(open("/dev/uio0x", O_RDWR), -1);
}

static void close_forgets_the_fd(void **state)
{
	char path[] = "/tmp/shim_test.XXXXXX";
	int fd = open("/dev/uio0", O_RDWR), fd2;
	uint8_t page[8192], *p;

	assert_true(fd >= 0);
	close(fd);
	fd2 = mkstemp(path);
	assert_int_equal(fd2, fd); /* the number is reused at once */
	unlink(path);
	memset(page, 0x77, sizeof(page));
	assert_int_equal(write(fd2, page, sizeof(page)), (ssize_t)sizeof(page));
	/* a plain file now: offset 4096 is a file offset, not map 1 */
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd2, 4096);
	assert_true(p != MAP_FAILED);
	assert_int_equal(p[0], 0x77);
	munmap(p, 4096);
	close(fd2);
}

static void heap_identity_mapped(void **state)
{
	int fd = memfd_create("nohuge", 0);
	void *resv;
	uint8_t *p;

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 64 << 20), 0); /* no resize: memory is sealed in vmmd */
	/* EAL maps its heap MAP_FIXED over a reservation */
	resv = mmap((void *)HEAP_VA, 1 << 20, PROT_NONE,
		MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (resv != (void *)HEAP_VA)
		skip();
	p = mmap(resv, 1 << 20, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
	assert_ptr_equal(p, resv);
	assert_int_equal(p[0], 0xb0);
	p[8] = 0x42;
	assert_int_equal(mem_byte(HEAP_VA + 8), 0x42);
	munmap(p, 1 << 20);
	close(fd);
}

static void heap_refusals(void **state)
{
	int fd = memfd_create("nohuge", MFD_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)MEM_SIZE + 1), -1);
	/* not fixed: EAL always gives its reserved address */
	errno = 0;
	assert_true(mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0) == MAP_FAILED);
	assert_int_equal(errno, ENOMEM);
	/* below HEAP_MIN: init's rings and buffers live there */
	assert_true(mmap((void *)(HEAP_MIN - 4096), 8192, PROT_READ,
			    MAP_SHARED | MAP_FIXED | MAP_FIXED_NOREPLACE, fd, 0) == MAP_FAILED);
	/* past the end of partition memory */
	assert_true(mmap((void *)(MEM_SIZE - 4096), 8192, PROT_READ,
			    MAP_SHARED | MAP_FIXED | MAP_FIXED_NOREPLACE, fd, 0) == MAP_FAILED);
	/* a non-zero file offset */
	assert_true(mmap((void *)HEAP_VA, 4096, PROT_READ,
			    MAP_SHARED | MAP_FIXED | MAP_FIXED_NOREPLACE, fd, 4096) == MAP_FAILED);
	close(fd);
	/* any other memfd is a real one */
	fd = memfd_create("other", 0);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 4096), 0);
	close(fd);
}

static int ctl_peer;

/* A claim of /dev/uio<index> is {"UIO1", index}. */
static void claim_expect(uint32_t index)
{
	uint32_t req[3];

	assert_int_equal(recv(ctl_peer, req, sizeof(req), MSG_DONTWAIT), 8);
	assert_int_equal(req[0], 0x55494f31u);
	assert_int_equal(req[1], index);
}

/* A process's first open claims the device once (init answers 0); a forked child claims again and
 * sees init's refusal. */
static void first_open_claims_once_per_process(void **state)
{
	uint32_t req, status = 5; /* EIO, queued for the child */
	int fd1, fd2, st;
	pid_t pid;

	/* the parent claimed at its first open, in the first test, and only then */
	fd1 = open("/dev/uio0", O_RDWR);
	fd2 = open("/dev/uio0", O_RDWR);
	assert_true(fd1 >= 0 && fd2 >= 0);
	claim_expect(0);
	assert_int_equal(recv(ctl_peer, &req, sizeof(req), MSG_DONTWAIT), -1);
	close(fd1);
	close(fd2);
	assert_int_equal(send(ctl_peer, &status, sizeof(status), 0), sizeof(status));
	pid = fork();
	if (pid == 0)
		_exit(open("/dev/uio0", O_RDWR) < 0 && errno == EIO ? 0 : 1);
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	claim_expect(0);
}

/* A second uio NIC (/dev/uio2): claimed on its own, with its own maps; uio1 is nobody's. */
static void second_device_has_its_own_maps_and_claim(void **state)
{
	uint32_t zero = 0;
	uint8_t *p;
	int fd;

	assert_int_equal(send(ctl_peer, &zero, sizeof(zero), 0), sizeof(zero));
	fd = open("/dev/uio2", O_RDWR);
	assert_true(fd >= 0);
	claim_expect(2);
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	assert_true(p != MAP_FAILED);
	assert_int_equal(p[0], 0xa2);
	munmap(p, 4096);
	/* its map 1 does not exist, though /dev/uio0 has one */
	errno = 0;
	assert_true(mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 4096) == MAP_FAILED);
	assert_int_equal(errno, EINVAL);
	close(fd);
	/* claimed once per process: a second open asks nothing */
	fd = open("/dev/uio2", O_RDWR);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(recv(ctl_peer, &zero, sizeof(zero), MSG_DONTWAIT), -1);
}

struct ring_answer {
	uint32_t status, reserved;
	uint64_t offset, size;
};

static void ring_answer_queue(uint32_t status, uint64_t offset, uint64_t size)
{
	struct ring_answer a = {.status = status, .offset = offset, .size = size};

	assert_int_equal(send(ctl_peer, &a, sizeof(a), 0), sizeof(a));
}

static void ring_request_expect(uint32_t relid)
{
	uint32_t req[3];

	assert_int_equal(recv(ctl_peer, req, sizeof(req), MSG_DONTWAIT), 8);
	assert_int_equal(req[0], 0x55494f32u); /* "UIO2" */
	assert_int_equal(req[1], relid);
}

static void ring_path(char *buf, size_t len, const char *relid, const char *leaf)
{
	snprintf(buf, len, "%s/dev0/channels/%s/%s", sysfs_dir, relid, leaf);
}

/* channels/<relid>/ring: init says where the rings are; mmap maps partition memory there. */
static void ring_mapped_from_partition_memory(void **state)
{
	char path[256];
	struct stat st;
	uint8_t *p;
	int fd;

	ring_path(path, sizeof(path), "21", "ring");
	ring_answer_queue(0, RING_OFF, RING_SIZE);
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	ring_request_expect(21);
	/* fstat is the placeholder's own: the size init wrote */
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_size, RING_SIZE);
	p = mmap(NULL, RING_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(p != MAP_FAILED);
	assert_int_equal(p[0], 0xc0);	 /* tx ring (first half) */
	assert_int_equal(p[4096], 0xc1); /* rx ring (second half) */
	p[8] = 0x33;
	assert_int_equal(mem_byte(RING_OFF + 8), 0x33);
	munmap(p, RING_SIZE);
	/* a window of the rings */
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 4096);
	assert_true(p != MAP_FAILED);
	assert_int_equal(p[0], 0xc1);
	munmap(p, 4096);
	/* refused: longer than the rings, past them, not page-aligned, empty */
	errno = 0;
	assert_true(mmap(NULL, RING_SIZE + 4096, PROT_READ, MAP_SHARED, fd, 0) == MAP_FAILED);
	assert_int_equal(errno, EINVAL);
	assert_true(mmap(NULL, 8192, PROT_READ, MAP_SHARED, fd, 4096) == MAP_FAILED);
	assert_true(mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 8192) == MAP_FAILED);
	assert_true(mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 100) == MAP_FAILED);
	close(fd);
}

static void ring_refusals(void **state)
{
	char path[256];
	int fd;

	ring_path(path, sizeof(path), "21", "ring");
	/* init knows no such open channel */
	ring_answer_queue(2 /* ENOENT */, 0, 0);
	errno = 0;
	assert_int_equal(open(path, O_RDWR), -1);
	assert_int_equal(errno, ENOENT);
	ring_request_expect(21);
	/* answers that would map outside partition memory, or not whole pages */
	ring_answer_queue(0, MEM_SIZE - 4096, 8192);
	assert_int_equal(open(path, O_RDWR), -1);
	assert_int_equal(errno, EIO);
	ring_request_expect(21);
	ring_answer_queue(0, RING_OFF, 100);
	assert_int_equal(open(path, O_RDWR), -1);
	ring_request_expect(21);
	ring_answer_queue(0, RING_OFF + 1, 4096);
	assert_int_equal(open(path, O_RDWR), -1);
	ring_request_expect(21);
	/* other files of the directory, and non-relid names, are plain files: no question asked */
	ring_path(path, sizeof(path), "21", "subchannel_id");
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	close(fd);
	ring_path(path, sizeof(path), "x21", "ring");
	assert_int_equal(open(path, O_RDONLY), -1);
	assert_int_equal(errno, ENOENT);
	ring_path(path, sizeof(path), "21", "ringx");
	assert_int_equal(open(path, O_RDONLY), -1);
	ring_path(path, sizeof(path), "99999", "ring");
	assert_int_equal(open(path, O_RDONLY), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(recv(ctl_peer, path, sizeof(path), MSG_DONTWAIT), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(uio_maps_by_index),
		cmocka_unit_test(uio_maps_at_home),
		cmocka_unit_test(uio_refusals),
		cmocka_unit_test(close_forgets_the_fd),
		cmocka_unit_test(heap_identity_mapped),
		cmocka_unit_test(heap_refusals),
		cmocka_unit_test(first_open_claims_once_per_process),
		cmocka_unit_test(second_device_has_its_own_maps_and_claim),
		cmocka_unit_test(ring_mapped_from_partition_memory),
		cmocka_unit_test(ring_refusals),
	};
	char path[256];
	int fd, ret;
	uint32_t zero = 0;
	char v[128];
	int sv[2];

	/* partition memory with a marker at each region; then the environment init would give
	 * (raw syscalls: the shim reads its environment at its first call) */
	mem_fd = (int)syscall(SYS_memfd_create, "mem", 0);
	if (mem_fd < 0 || syscall(SYS_ftruncate, mem_fd, (off_t)MEM_SIZE) < 0)
		return 1;
	pwrite(mem_fd, "\xa0", 1, MAP0_OFF);
	pwrite(mem_fd, "\xa1", 1, MAP1_OFF);
	pwrite(mem_fd, "\xa2", 1, MAP2_OFF);
	pwrite(mem_fd, "\xb0", 1, HEAP_VA);
	pwrite(mem_fd, "\xc0", 1, RING_OFF);
	pwrite(mem_fd, "\xc1", 1, RING_OFF + 4096);
	/* a sysfs tree with one channel directory as init writes it (placeholder ring) */
	snprintf(sysfs_dir, sizeof(sysfs_dir), "/tmp/shim_test_sysfs.XXXXXX");
	if (!mkdtemp(sysfs_dir))
		return 1;
	snprintf(path, sizeof(path), "%s/dev0", sysfs_dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/dev0/channels", sysfs_dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/dev0/channels/21", sysfs_dir);
	mkdir(path, 0755);
	ring_path(path, sizeof(path), "21", "subchannel_id");
	fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_WRONLY | O_CREAT, 0644);
	syscall(SYS_close, fd);
	ring_path(path, sizeof(path), "21", "ring");
	fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_WRONLY | O_CREAT, 0600);
	if (fd < 0 || syscall(SYS_ftruncate, fd, (off_t)RING_SIZE) < 0)
		return 1;
	syscall(SYS_close, fd);
	setenv("VSW_UIO_SYSFS", sysfs_dir, 1);
	snprintf(v, sizeof(v), "%d", mem_fd);
	setenv("VSW_UIO_MEM_FD", v, 1);
	setenv("VSW_UIO_DEV", "0,2", 1);
	/* vsw-guest-init's side: the parent's first claim is answered in advance */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) < 0 ||
		send(sv[0], &zero, sizeof(zero), 0) != sizeof(zero))
		return 1;
	ctl_peer = sv[0];
	snprintf(v, sizeof(v), "%d", sv[1]);
	setenv("VSW_UIO_CTL_FD", v, 1);
	snprintf(v, sizeof(v), "0x%llx:0x1000,0x%llx:0x2000;0x%llx:0x1000", MAP0_OFF, MAP1_OFF,
		MAP2_OFF);
	setenv("VSW_UIO_MAPS", v, 1);
	snprintf(v, sizeof(v), "0x%llx", HEAP_MIN);
	setenv("VSW_UIO_HEAP_MIN", v, 1);
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	snprintf(path, sizeof(path), "rm -rf '%s'", sysfs_dir);
	if (system(path) != 0)
		ret = ret ? ret : 1;
	return ret;
}
