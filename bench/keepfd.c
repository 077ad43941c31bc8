/* LD_PRELOAD shim for the traffic generator (testpmd A) only.
 *
 * DPDK 22.11's memif driver in zero-copy client mode shares the EAL's hugepage
 * file descriptors with the server and, once a port is connected, closes them
 * (memif_connect(): "close memseg file"). Those descriptors belong to the EAL and
 * every other zero-copy port still needs them: a second port whose handshake starts
 * after the first one completed sends a closed, possibly already reused, descriptor
 * number. The server then fails ("mmap failed: No such device") or maps the wrong
 * file, and the link stays down or the generator crashes.
 *
 * This shim turns close() of a hugetlbfs descriptor into a no-op, so the EAL's
 * descriptors stay valid for every port. They are released when the process exits.
 * Build: cc -O2 -shared -fPIC -o keepfd.so keepfd.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>
#include <sys/vfs.h>

#ifndef HUGETLBFS_MAGIC
#define HUGETLBFS_MAGIC 0x958458f6
#endif

int close(int fd)
{
	static int (*real_close)(int);
	struct statfs st;

	if (real_close == NULL) {
		real_close = (int (*)(int))dlsym(RTLD_NEXT, "close");
		if (real_close == NULL) {
			errno = ENOSYS;
			return -1;
		}
	}
	if (fd >= 0 && fstatfs(fd, &st) == 0 && (unsigned long)st.f_type == HUGETLBFS_MAGIC)
		return 0;
	return real_close(fd);
}
