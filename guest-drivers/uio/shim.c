/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libvsw_uio.so: the /dev/uioN semantics a partition's uio NIC needs (DESIGN.md decision 12,
 * reference/dpdk-netvsc-guest.md §3.1, §5b), preloaded by vsw-guest-init into the command of a
 * partition with a `guest=uio` NIC.
 *
 * The uio core treats an mmap offset as a map index (offset = index x page size), which no file
 * can do, so we wrap the calls DPDK's vmbus bus makes through the PLT:
 *  - open/open64 of /dev/uio<N>, N one of the partition's uio NICs: an fd of /dev/null,
 *    remembered as "uio N" (the node need not exist; DPDK keeps one such fd per device and
 *    never reads or writes it, §4). A process's first open of each device claims it from
 *    vsw-guest-init over VSW_UIO_CTL_FD and waits for the answer: for every process after the
 *    first, init closes and reopens that channel, as the kernel does at the last close and next
 *    open, so each DPDK process meets a host without NVSP state;
 *  - mmap/mmap64 on such an fd: map index = offset / 4096, mapped from the partition memory fd at
 *    that map of that device in partition memory; the length must fit the map;
 *  - memfd_create("nohuge") (EAL with --no-huge): a duplicate of the partition memory fd, so
 *    that DPDK's heap lives in partition memory; ftruncate of it succeeds without resizing, and
 *    its mmap at address A maps partition memory at offset A ("identity window"): with
 *    --iova-mode=va the page numbers the PMD puts in GPA ranges (iova >> 12 = A >> 12) are then
 *    guest page numbers the host checks against partition memory like any other;
 *  - open/open64 of <sysfs devices>/<dev>/channels/<relid>/ring (multi-queue, reference §2
 *    row 18):
 *    vsw-guest-init publishes a sparse placeholder of the rings' size there (so access() and
 *    fstat() need nothing from us) and, asked over VSW_UIO_CTL_FD, says where that open channel's
 *    rings are in partition memory; the real fd of the placeholder is remembered with that place.
 *    mmap on it maps partition memory there (offset and length inside the rings). A file cannot
 *    be the rings: they are pages of the partition memory fd, which the host maps;
 *  - close forgets the fd.
 * Everything else goes to libc unchanged.
 *
 * Environment (set by vsw-guest-init):
 *   VSW_UIO_MEM_FD    the partition memory fd (inherited)
 *   VSW_UIO_CTL_FD    SOCK_SEQPACKET socket to vsw-guest-init (inherited; optional)
 *   VSW_UIO_DEV       "N[,N...]": the N of each device's /dev/uioN
 *   VSW_UIO_MAPS      "OFF:SIZE,OFF:SIZE,...[;OFF:SIZE,...]": each device's maps in map order,
 *                     hex or decimal bytes, devices separated by ';' in VSW_UIO_DEV's order
 *   VSW_UIO_HEAP_MIN  lowest partition-memory offset the heap may occupy (init's own pages are
 *                     below it)
 *   VSW_UIO_SYSFS     the sysfs devices directory (tests; default /sys/bus/vmbus/devices)
 * Misconfiguration makes the wrapped call fail (EINVAL/ENOMEM) with a line on stderr.
 */
/* our own symbols must be both the plain and the 64 names (the 64 ones are aliases: off_t is
 * 64-bit here): no header redirection */
#undef _FILE_OFFSET_BITS
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define UIO_MAX_MAPS 8
#define UIO_MAX_DEVS 8 /* vmmd's NICs per partition */
#define UIO_MAX_FDS 32
#define UIO_PAGE 4096u

enum uio_kind { UIO_NONE, UIO_DEV, UIO_HEAP, UIO_RING };

struct uio_fd {
	int fd;
	enum uio_kind kind;
	unsigned int dev;	      /* UIO_DEV: slot in uio_cfg.dev[] */
	uint64_t ring_off, ring_size; /* UIO_RING: the rings in partition memory */
};

static pthread_mutex_t uio_lock = PTHREAD_MUTEX_INITIALIZER;
static struct uio_fd uio_fds[UIO_MAX_FDS];
static pthread_once_t uio_once = PTHREAD_ONCE_INIT;

static int (*real_open)(const char *, int, ...);
static void *(*real_mmap)(void *, size_t, int, int, int, off_t);
static int (*real_close)(int);
static int (*real_ftruncate)(int, off_t);

static pthread_mutex_t uio_claim_lock = PTHREAD_MUTEX_INITIALIZER;
/* per device: the process holding it (under uio_claim_lock, held across the exchange with init) */
static pid_t uio_claimed_by[UIO_MAX_DEVS];

struct uio_dev_cfg {
	unsigned int index; /* N of /dev/uioN */
	unsigned int n_maps;
	uint64_t off[UIO_MAX_MAPS], size[UIO_MAX_MAPS];
};

static struct {
	int mem_fd;
	int ctl_fd;
	uint64_t mem_size;
	struct uio_dev_cfg dev[UIO_MAX_DEVS];
	unsigned int n_devs;
	uint64_t heap_min;
	char sysfs[256]; /* devices directory, no trailing slash */
} uio_cfg = {.mem_fd = -1, .ctl_fd = -1};

static int env_u64(const char *name, uint64_t *v)
{
	const char *s = getenv(name);
	char *end;

	if (!s || !*s)
		return -1;
	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno || *end ? -1 : 0;
}

/* "N[,N...]" into the device slots; stops at the first malformed entry. */
static void uio_devs_parse(const char *s)
{
	unsigned long n;
	char *end;

	while (s && *s >= '0' && *s <= '9' && uio_cfg.n_devs < UIO_MAX_DEVS) {
		n = strtoul(s, &end, 10);
		if (n > 255 || (*end != ',' && *end != '\0'))
			break;
		uio_cfg.dev[uio_cfg.n_devs++].index = (unsigned int)n;
		if (*end == '\0')
			break;
		s = end + 1;
	}
}

/* Each device's "OFF:SIZE,..." group, groups separated by ';'. */
static void uio_maps_parse(const char *s)
{
	unsigned int d = 0;
	char *end;

	while (s && *s && d < uio_cfg.n_devs) {
		struct uio_dev_cfg *c = &uio_cfg.dev[d];

		if (c->n_maps == UIO_MAX_MAPS)
			break;
		c->off[c->n_maps] = strtoull(s, &end, 0);
		if (*end != ':')
			break;
		c->size[c->n_maps] = strtoull(end + 1, &end, 0);
		c->n_maps++;
		if (*end == ';')
			d++;
		else if (*end != ',')
			break;
		s = end + 1;
	}
}

static void uio_init(void)
{
	struct stat st;
	uint64_t v;

	real_open = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open64");
	real_mmap = (void *(*)(void *, size_t, int, int, int, off_t))dlsym(RTLD_NEXT, "mmap64");
	real_close = (int (*)(int))dlsym(RTLD_NEXT, "close");
	real_ftruncate = (int (*)(int, off_t))dlsym(RTLD_NEXT, "ftruncate64");
	if (env_u64("VSW_UIO_MEM_FD", &v) == 0 && v < 65536 && fstat((int)v, &st) == 0) {
		uio_cfg.mem_fd = (int)v;
		uio_cfg.mem_size = (uint64_t)st.st_size;
	}
	if (env_u64("VSW_UIO_CTL_FD", &v) == 0 && v < 65536)
		uio_cfg.ctl_fd = (int)v;
	uio_devs_parse(getenv("VSW_UIO_DEV"));
	uio_maps_parse(getenv("VSW_UIO_MAPS"));
	if (env_u64("VSW_UIO_HEAP_MIN", &v) == 0)
		uio_cfg.heap_min = v;
	snprintf(uio_cfg.sysfs, sizeof(uio_cfg.sysfs), "%s",
		getenv("VSW_UIO_SYSFS") ? getenv("VSW_UIO_SYSFS") : "/sys/bus/vmbus/devices");
}

static void uio_ready(void)
{
	pthread_once(&uio_once, uio_init);
}

/* Remember 'e' for its fd (kind UIO_NONE: forget the fd). */
static void uio_fd_put(const struct uio_fd *e)
{
	unsigned int i, free_slot = UIO_MAX_FDS;

	pthread_mutex_lock(&uio_lock);
	for (i = 0; i < UIO_MAX_FDS; i++) {
		if (uio_fds[i].kind != UIO_NONE && uio_fds[i].fd == e->fd) {
			uio_fds[i] = *e;
			goto out;
		}
		if (uio_fds[i].kind == UIO_NONE && free_slot == UIO_MAX_FDS)
			free_slot = i;
	}
	if (e->kind != UIO_NONE && free_slot < UIO_MAX_FDS)
		uio_fds[free_slot] = *e;
out:
	pthread_mutex_unlock(&uio_lock);
}

static void uio_fd_set(int fd, enum uio_kind kind)
{
	struct uio_fd e = {.fd = fd, .kind = kind};

	uio_fd_put(&e);
}

static enum uio_kind uio_fd_get(int fd, struct uio_fd *out)
{
	enum uio_kind kind = UIO_NONE;
	unsigned int i;

	pthread_mutex_lock(&uio_lock);
	for (i = 0; i < UIO_MAX_FDS; i++) {
		if (uio_fds[i].kind != UIO_NONE && uio_fds[i].fd == fd) {
			kind = uio_fds[i].kind;
			if (out)
				*out = uio_fds[i];
			break;
		}
	}
	pthread_mutex_unlock(&uio_lock);
	return kind;
}

static enum uio_kind uio_fd_kind(int fd)
{
	return uio_fd_get(fd, NULL);
}

static bool uio_fd_table_full(void)
{
	unsigned int i, n = 0;

	pthread_mutex_lock(&uio_lock);
	for (i = 0; i < UIO_MAX_FDS; i++)
		n += uio_fds[i].kind != UIO_NONE;
	pthread_mutex_unlock(&uio_lock);
	return n == UIO_MAX_FDS;
}

/* "/dev/uio<N>" with one of our N: its device slot, or -1. */
static int uio_path_dev(const char *path)
{
	unsigned int d;
	char *end;
	long n;

	if (!path || strncmp(path, "/dev/uio", 8) != 0 || path[8] < '0' || path[8] > '9')
		return -1;
	n = strtol(path + 8, &end, 10);
	if (*end != '\0')
		return -1;
	for (d = 0; d < uio_cfg.n_devs; d++) {
		if ((long)uio_cfg.dev[d].index == n)
			return (int)d;
	}
	return -1;
}

/* "<sysfs>/<device>/channels/<relid>/ring": the relid (<= 65535), or -1. */
static long uio_ring_path_relid(const char *path)
{
	size_t n = strlen(uio_cfg.sysfs);
	const char *dev, *c;
	char *end;
	long relid;

	if (!path || n == 0 || strncmp(path, uio_cfg.sysfs, n) != 0 || path[n] != '/')
		return -1;
	dev = path + n + 1;
	c = strchr(dev, '/');
	if (c == NULL || c == dev || strncmp(c, "/channels/", 10) != 0)
		return -1;
	c += 10;
	if (*c < '0' || *c > '9')
		return -1;
	relid = strtol(c, &end, 10);
	if (strcmp(end, "/ring") != 0 || relid > 65535)
		return -1;
	return relid;
}

/* Ask init where the rings of open channel 'relid' are. 0 or an errno. */
static int uio_ring_query(uint32_t relid, uint64_t *off, uint64_t *size)
{
	uint32_t req[2] = {0x55494f32u, relid}; /* guest-drivers/uio/uio.h GD_UIO_CTL_RING */
	struct {
		uint32_t status, reserved;
		uint64_t offset, size;
	} a;
	int err;

	if (uio_cfg.ctl_fd < 0 || uio_cfg.mem_fd < 0)
		return ENODEV;
	pthread_mutex_lock(&uio_claim_lock);
	if (send(uio_cfg.ctl_fd, req, sizeof(req), MSG_NOSIGNAL) != sizeof(req) ||
		recv(uio_cfg.ctl_fd, &a, sizeof(a), 0) != sizeof(a))
		err = EIO;
	else
		err = (int)a.status;
	pthread_mutex_unlock(&uio_claim_lock);
	if (err)
		return err;
	/* init is ours, but a wrong answer must not map outside partition memory */
	if (a.size == 0 || a.size % UIO_PAGE || a.offset % UIO_PAGE || a.size > uio_cfg.mem_size ||
		a.offset > uio_cfg.mem_size - a.size)
		return EIO;
	*off = a.offset;
	*size = a.size;
	return 0;
}

static int uio_ring_open(long relid, const char *path, int flags, mode_t mode)
{
	uint64_t off, size;
	int fd, err;

	if (uio_fd_table_full()) {
		errno = ENFILE;
		return -1;
	}
	err = uio_ring_query((uint32_t)relid, &off, &size);
	if (err) {
		errno = err;
		return -1;
	}
	/* the placeholder: access(), fstat() and close() are the file's own */
	fd = real_open(path, flags, mode);
	if (fd >= 0) {
		struct uio_fd e = {.fd = fd, .kind = UIO_RING, .ring_off = off, .ring_size = size};

		uio_fd_put(&e);
	}
	return fd;
}

/* 0 once this process holds device slot 'd' (claimed now or before), or an errno. */
static int uio_claim(unsigned int d)
{
	/* guest-drivers/uio/uio.h: {GD_UIO_CTL_CLAIM, N of /dev/uioN} */
	uint32_t req[2] = {0x55494f31u, uio_cfg.dev[d].index}, status = EIO;
	int err = 0;

	if (uio_cfg.ctl_fd < 0)
		return 0;
	pthread_mutex_lock(&uio_claim_lock);
	if (uio_claimed_by[d] != getpid()) {
		if (send(uio_cfg.ctl_fd, req, sizeof(req), MSG_NOSIGNAL) != sizeof(req) ||
			recv(uio_cfg.ctl_fd, &status, sizeof(status), 0) != sizeof(status))
			err = EIO;
		else
			err = (int)status;
		if (err == 0)
			uio_claimed_by[d] = getpid();
	}
	pthread_mutex_unlock(&uio_claim_lock);
	return err;
}

static int uio_open(const char *path, int flags, mode_t mode)
{
	struct uio_fd e = {.kind = UIO_DEV};
	int d, err;
	long relid;

	uio_ready();
	d = uio_path_dev(path);
	if (d < 0) {
		relid = uio_ring_path_relid(path);
		if (relid >= 0)
			return uio_ring_open(relid, path, flags, mode);
		return real_open(path, flags, mode);
	}
	if (uio_cfg.mem_fd < 0 || uio_fd_table_full()) {
		errno = ENODEV;
		return -1;
	}
	err = uio_claim((unsigned int)d);
	if (err) {
		fprintf(stderr, "libvsw_uio: /dev/uio%u: the channel could not be reset (%s)\n",
			uio_cfg.dev[d].index, strerror(err));
		errno = err;
		return -1;
	}
	e.dev = (unsigned int)d;
	e.fd = real_open("/dev/null", O_RDWR | (flags & O_CLOEXEC));
	if (e.fd >= 0)
		uio_fd_put(&e);
	return e.fd;
}

/* as libc decides whether a mode argument follows */
static bool uio_needs_mode(int flags)
{
	return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;
}

int open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	if (uio_needs_mode(flags)) {
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	return uio_open(path, flags, mode);
}

int open64(const char *path, int flags, ...) __attribute__((alias("open")));

static void *uio_fail(int err, const char *why)
{
	fprintf(stderr, "libvsw_uio: %s\n", why);
	errno = err;
	return MAP_FAILED;
}

#define UIO_MAP_RECV_BUF 3u /* uio_hv_generic's map order: rings, int page, monitor, recv, send */

/*
 * A device map is placed at the address equal to its partition-memory offset when the caller
 * did not fix one, as the heap is: with --iova-mode=va the PMD's iova of receive-buffer bytes
 * is their address (rx_extmbuf_enable=1 attaches them to mbufs), and a frame sent back from
 * there by GPA range names them by that iova. Anywhere else the host would read other pages of
 * the partition. Where that range is taken, the caller's hint is used and we say so once.
 */

static void *uio_map_at_home(void *addr, size_t len, int prot, int flags, uint64_t moff,
	uint64_t idx)
{
	static bool warned;
	void *home = (void *)(uintptr_t)moff, *p;

	if (!(flags & MAP_FIXED)) {
		p = real_mmap(home, len, prot, flags | MAP_FIXED_NOREPLACE, uio_cfg.mem_fd, (off_t)moff);
		if (p == home)
			return p;
		if (p != MAP_FAILED) /* a kernel without MAP_FIXED_NOREPLACE treats it as a hint */
			munmap(p, len);
		if (idx == UIO_MAP_RECV_BUF && !warned) { /* the others' addresses never go to the host */
			warned = true;
			fprintf(stderr, "libvsw_uio: receive buffer not at its partition address 0x%" PRIx64
					" (range taken): do not use the PMD's rx_extmbuf_enable\n",
				moff);
		}
	}
	return real_mmap(addr, len, prot, flags, uio_cfg.mem_fd, (off_t)moff);
}

static void *uio_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	struct uio_fd e;
	enum uio_kind kind;
	uint64_t idx, a = (uint64_t)(uintptr_t)addr;

	uio_ready();
	kind = fd >= 0 ? uio_fd_get(fd, &e) : UIO_NONE;
	if (kind == UIO_RING) {
		/* as the kernel's ring attribute: a window of the rings, page-aligned */
		if (off < 0 || (uint64_t)off % UIO_PAGE != 0 || len == 0 ||
			(uint64_t)off > e.ring_size || len > e.ring_size - (uint64_t)off)
			return uio_fail(EINVAL, "ring mmap: outside the channel's rings");
		return real_mmap(addr, len, prot, flags, uio_cfg.mem_fd,
			(off_t)(e.ring_off + (uint64_t)off));
	}
	if (kind == UIO_DEV) {
		const struct uio_dev_cfg *c = &uio_cfg.dev[e.dev];

		/* the uio core's rule: the offset names the map, the length must fit in it */
		if (off < 0 || (uint64_t)off % UIO_PAGE != 0)
			return uio_fail(EINVAL, "uio mmap: offset is not a map index");
		idx = (uint64_t)off / UIO_PAGE;
		if (idx >= c->n_maps || len == 0 || len > c->size[idx])
			return uio_fail(EINVAL, "uio mmap: no such map, or longer than the map");
		return uio_map_at_home(addr, len, prot, flags, c->off[idx], idx);
	}
	if (kind == UIO_HEAP) {
		/* identity window: partition memory at offset = address (see the top) */
		if (off != 0 || !(flags & MAP_FIXED) || a % UIO_PAGE != 0 || a < uio_cfg.heap_min ||
			len > uio_cfg.mem_size || a > uio_cfg.mem_size - len)
			return uio_fail(ENOMEM, "DPDK heap outside partition memory (give the "
						"partition more memory, or a smaller -m)");
		return real_mmap(addr, len, prot, flags, uio_cfg.mem_fd, (off_t)a);
	}
	return real_mmap(addr, len, prot, flags, fd, off);
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return uio_mmap(addr, len, prot, flags, fd, off);
}

void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
	__attribute__((alias("mmap")));

int memfd_create(const char *name, unsigned int flags)
{
	int fd;

	uio_ready();
	if (!name || strcmp(name, "nohuge") != 0 || uio_cfg.mem_fd < 0) {
		/* libc's memfd_create is a plain syscall wrapper */
		return (int)syscall(SYS_memfd_create, name, flags);
	}
	fd = fcntl(uio_cfg.mem_fd, (flags & MFD_CLOEXEC) ? F_DUPFD_CLOEXEC : F_DUPFD, 3);
	if (fd >= 0)
		uio_fd_set(fd, UIO_HEAP);
	return fd;
}

static int uio_ftruncate(int fd, off_t len)
{
	uio_ready();
	if (fd >= 0 && uio_fd_kind(fd) == UIO_HEAP) {
		/* partition memory has its size for good (sealed): checked at mmap instead */
		if (len < 0 || (uint64_t)len > uio_cfg.mem_size) {
			errno = EFBIG;
			return -1;
		}
		return 0;
	}
	return real_ftruncate(fd, len);
}

int ftruncate(int fd, off_t len)
{
	return uio_ftruncate(fd, len);
}

int ftruncate64(int fd, off_t len) __attribute__((alias("ftruncate")));

int close(int fd)
{
	uio_ready();
	if (fd >= 0 && uio_fd_kind(fd) != UIO_NONE)
		uio_fd_set(fd, UIO_NONE);
	return real_close(fd);
}
