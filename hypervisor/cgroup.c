/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Partition cgroups. Layout: <hierarchy>/vmmd-<daemon name>/<partition name>.
 *
 * cgroup v2 is used when its hierarchy has the memory and cpu controllers: memory.max,
 * memory.swap.max=0 (guest memory must not be swapped behind the guest's back), cpu.max and
 * pids.max in one directory. Hosts where those controllers are still bound to cgroup v1 (hybrid
 * mounts, as on the machine the tests run on) get the same limits from the v1 memory, cpu and
 * pids hierarchies: memory.limit_in_bytes (+ memory.memsw.limit_in_bytes), cpu.cfs_quota_us and
 * pids.max. Nothing else about the partition depends on the version.
 */
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define RMDIR_TRIES 200 /* x 5 ms: the kernel frees a cgroup shortly after its last task */

uint64_t vmm_cgroup_memory_limit(uint32_t memory_mb)
{
	return ((uint64_t)memory_mb + VMM_MEMORY_ALLOWANCE_MB) << 20;
}

long vmm_cgroup_cfs_quota(uint32_t cpus_centi)
{
	if (cpus_centi == 0)
		return -1;
	return (long)((uint64_t)cpus_centi * VMM_CPU_PERIOD_US / 100);
}

int vmm_cgroup_cpu_max_format(uint32_t cpus_centi, char *buf, size_t size)
{
	int n;

	if (cpus_centi == 0)
		n = snprintf(buf, size, "max %u", VMM_CPU_PERIOD_US);
	else
		n = snprintf(
			buf, size, "%ld %u", vmm_cgroup_cfs_quota(cpus_centi), VMM_CPU_PERIOD_US);
	return n < 0 || (size_t)n >= size ? -ENOSPC : n;
}

static bool opt_has(const char *opts, const char *want)
{
	size_t len = strlen(want);
	const char *p = opts;

	while (p && *p) {
		if (strncmp(p, want, len) == 0 && (p[len] == ',' || p[len] == '\0'))
			return true;
		p = strchr(p, ',');
		p = p ? p + 1 : NULL;
	}
	return false;
}

static void mount_set(char *dst, const char *mnt)
{
	/* the first mount of a hierarchy wins; later ones are bind mounts of it */
	if (dst[0] == '\0' && strlen(mnt) < VMM_PATH_SIZE)
		strcpy(dst, mnt);
}

int vmm_cgroup_mounts_parse(const char *mountinfo, struct vmm_cgroup_mounts *m)
{
	const char *line = mountinfo;
	char buf[1024], *f[10], *sep, *save;
	unsigned int n;

	memset(m, 0, sizeof(*m));
	for (; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		size_t len = strcspn(line, "\n");

		if (len >= sizeof(buf))
			continue;
		memcpy(buf, line, len);
		buf[len] = '\0';
		/* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS */
		sep = strstr(buf, " - ");
		if (sep == NULL)
			continue;
		*sep = '\0';
		n = 0;
		for (char *t = strtok_r(buf, " ", &save); t && n < 5;
			t = strtok_r(NULL, " ", &save))
			f[n++] = t;
		if (n < 5)
			continue;
		for (char *t = strtok_r(sep + 3, " ", &save); t && n < 8;
			t = strtok_r(NULL, " ", &save))
			f[n++] = t;
		if (n < 8)
			continue;
		if (strcmp(f[5], "cgroup2") == 0) {
			mount_set(m->v2, f[4]);
		} else if (strcmp(f[5], "cgroup") == 0) {
			if (opt_has(f[7], "memory"))
				mount_set(m->v1_memory, f[4]);
			if (opt_has(f[7], "cpu"))
				mount_set(m->v1_cpu, f[4]);
			if (opt_has(f[7], "pids"))
				mount_set(m->v1_pids, f[4]);
		}
	}
	return m->v2[0] || m->v1_memory[0] ? 0 : -ENOENT;
}

/* Read a /proc or cgroupfs file (their st_size is 0) into a NUL-terminated malloc'ed buffer. */
static int read_pseudo(const char *path, size_t max, char **out)
{
	size_t got = 0, cap = 4096;
	char *buf = malloc(cap), *nbuf;
	ssize_t n;
	int fd, ret = 0;

	if (buf == NULL)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		free(buf);
		return -errno;
	}
	for (;;) {
		if (got + 1 >= cap) {
			if (cap >= max) {
				ret = -EFBIG;
				break;
			}
			cap *= 2;
			nbuf = realloc(buf, cap);
			if (nbuf == NULL) {
				ret = -ENOMEM;
				break;
			}
			buf = nbuf;
		}
		n = read(fd, buf + got, cap - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			ret = -errno;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (ret) {
		free(buf);
		return ret;
	}
	buf[got] = '\0';
	*out = buf;
	return 0;
}

static int write_str(const char *dir, const char *file, const char *val)
{
	char path[VMM_PATH_SIZE * 2];
	ssize_t n;
	int fd, ret = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	if (n < 0)
		ret = -errno;
	else if ((size_t)n != strlen(val))
		ret = -EIO;
	close(fd);
	return ret;
}

static bool file_exists(const char *dir, const char *file)
{
	char path[VMM_PATH_SIZE * 2];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return access(path, F_OK) == 0;
}

static bool v2_controllers_ok(const char *root, bool *pids)
{
	char path[VMM_PATH_SIZE + 32], *text;
	bool ok;

	snprintf(path, sizeof(path), "%s/cgroup.controllers", root);
	if (read_pseudo(path, 4096, &text))
		return false;
	/* the file is a space-separated list; make it comma-separated for opt_has */
	for (char *p = text; *p; p++)
		*p = (*p == ' ' || *p == '\n') ? ',' : *p;
	ok = opt_has(text, "memory") && opt_has(text, "cpu");
	*pids = opt_has(text, "pids");
	free(text);
	return ok;
}

int vmm_cgroup_sys_init(
	struct vmm_cgroup_sys *sys, const char *daemon_name, char *err, size_t errlen)
{
	struct vmm_cgroup_mounts m;
	char *text;
	int ret;

	memset(sys, 0, sizeof(*sys));
	sys->lock_fd = -1;
	snprintf(sys->group, sizeof(sys->group), "vmmd-%s", daemon_name);
	ret = read_pseudo("/proc/self/mountinfo", 1u << 20, &text);
	if (ret) {
		snprintf(err, errlen, "cannot read /proc/self/mountinfo: %s", strerror(-ret));
		return ret;
	}
	ret = vmm_cgroup_mounts_parse(text, &m);
	free(text);
	if (m.v2[0] && v2_controllers_ok(m.v2, &sys->has_pids)) {
		sys->version = 2;
		strcpy(sys->memory, m.v2);
		strcpy(sys->cpu, m.v2);
		if (sys->has_pids)
			strcpy(sys->pids, m.v2);
		return 0;
	}
	if (m.v1_memory[0] && m.v1_cpu[0]) {
		sys->version = 1;
		strcpy(sys->memory, m.v1_memory);
		strcpy(sys->cpu, m.v1_cpu);
		strcpy(sys->pids, m.v1_pids);
		sys->has_pids = m.v1_pids[0] != '\0';
		return 0;
	}
	snprintf(err, errlen,
		"no usable cgroup hierarchy: need cgroup v2 with the memory and cpu "
		"controllers, or the cgroup v1 memory and cpu hierarchies");
	return -ENOTSUP;
}

int vmm_cgroup_path(const struct vmm_cgroup_sys *sys, enum vmm_cgroup_ctrl c, const char *part,
	char *buf, size_t size)
{
	const char *root = c == VMM_CG_MEMORY ? sys->memory
			   : c == VMM_CG_CPU  ? sys->cpu
					      : sys->pids;
	int n;

	if (root[0] == '\0')
		return -ENOENT;
	if (part)
		n = snprintf(buf, size, "%s/%s/%s", root, sys->group, part);
	else
		n = snprintf(buf, size, "%s/%s", root, sys->group);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static int mkdir_ok(const char *path)
{
	return mkdir(path, 0755) == 0 || errno == EEXIST ? 0 : -errno;
}

/* The daemon's own directory (v2: with the controllers enabled for its children). */
static int group_prepare(const struct vmm_cgroup_sys *sys, enum vmm_cgroup_ctrl c)
{
	char dir[VMM_PATH_SIZE];
	int ret;

	ret = vmm_cgroup_path(sys, c, NULL, dir, sizeof(dir));
	if (ret)
		return ret == -ENOENT ? 0 : ret;
	ret = mkdir_ok(dir);
	if (ret || sys->version == 1 || c != VMM_CG_MEMORY)
		return ret;
	/* v2: a controller is usable in a child only once every ancestor lists it in
	 * cgroup.subtree_control; the root usually has them already, writing again is harmless */
	write_str(sys->memory, "cgroup.subtree_control", "+memory");
	write_str(sys->memory, "cgroup.subtree_control", "+cpu");
	ret = write_str(dir, "cgroup.subtree_control", "+memory");
	ret = ret ?: write_str(dir, "cgroup.subtree_control", "+cpu");
	if (ret == 0 && sys->has_pids) {
		write_str(sys->memory, "cgroup.subtree_control", "+pids");
		write_str(dir, "cgroup.subtree_control", "+pids");
	}
	return ret;
}

static int limits_v2(const char *dir, const struct vmm_part_config *cfg, bool pids)
{
	char val[64];
	int ret;

	snprintf(val, sizeof(val), "%llu",
		(unsigned long long)vmm_cgroup_memory_limit(cfg->memory_mb));
	ret = write_str(dir, "memory.max", val);
	if (ret == 0 && file_exists(dir, "memory.swap.max"))
		ret = write_str(dir, "memory.swap.max", "0");
	if (ret == 0)
		ret = vmm_cgroup_cpu_max_format(cfg->cpus_centi, val, sizeof(val)) < 0 ? -ENOSPC
										       : 0;
	ret = ret ?: write_str(dir, "cpu.max", val);
	if (ret == 0 && pids && file_exists(dir, "pids.max")) {
		snprintf(val, sizeof(val), "%u", VMM_PIDS_MAX);
		ret = write_str(dir, "pids.max", val);
	}
	return ret;
}

static int limits_v1(const struct vmm_cgroup_sys *sys, const struct vmm_part_config *cfg)
{
	char dir[VMM_PATH_SIZE], val[64];
	int ret;

	vmm_cgroup_path(sys, VMM_CG_MEMORY, cfg->name, dir, sizeof(dir));
	snprintf(val, sizeof(val), "%llu",
		(unsigned long long)vmm_cgroup_memory_limit(cfg->memory_mb));
	ret = write_str(dir, "memory.limit_in_bytes", val);
	/* memory+swap limited to the same value: no swap (needs swap accounting; without it,
	 * swappiness 0 is the best v1 offers) */
	if (ret == 0 && file_exists(dir, "memory.memsw.limit_in_bytes"))
		ret = write_str(dir, "memory.memsw.limit_in_bytes", val);
	else if (ret == 0)
		write_str(dir, "memory.swappiness", "0");
	if (ret)
		return ret;
	vmm_cgroup_path(sys, VMM_CG_CPU, cfg->name, dir, sizeof(dir));
	snprintf(val, sizeof(val), "%u", VMM_CPU_PERIOD_US);
	ret = write_str(dir, "cpu.cfs_period_us", val);
	snprintf(val, sizeof(val), "%ld", vmm_cgroup_cfs_quota(cfg->cpus_centi));
	ret = ret ?: write_str(dir, "cpu.cfs_quota_us", val);
	if (ret || !sys->has_pids)
		return ret;
	vmm_cgroup_path(sys, VMM_CG_PIDS, cfg->name, dir, sizeof(dir));
	snprintf(val, sizeof(val), "%u", VMM_PIDS_MAX);
	return write_str(dir, "pids.max", val);
}

int vmm_cgroup_create(const struct vmm_cgroup_sys *sys, const struct vmm_part_config *cfg,
	char *err, size_t errlen)
{
	static const char *const what[] = {"memory", "cpu", "pids"};
	char dir[VMM_PATH_SIZE];
	int c, ret;

	for (c = 0; c < VMM_CG_COUNT; c++) {
		if (sys->version == 2 && c != VMM_CG_MEMORY)
			break; /* one directory for all controllers */
		ret = group_prepare(sys, (enum vmm_cgroup_ctrl)c);
		if (ret == 0 && vmm_cgroup_path(sys, (enum vmm_cgroup_ctrl)c, cfg->name, dir,
					sizeof(dir)) == 0)
			ret = mkdir_ok(dir);
		if (ret) {
			snprintf(err, errlen, "cannot create the %s cgroup of %s: %s", what[c],
				cfg->name, strerror(-ret));
			goto err_destroy;
		}
	}
	if (sys->version == 2) {
		vmm_cgroup_path(sys, VMM_CG_MEMORY, cfg->name, dir, sizeof(dir));
		ret = limits_v2(dir, cfg, sys->has_pids);
	} else {
		ret = limits_v1(sys, cfg);
	}
	if (ret) {
		snprintf(err, errlen, "cannot set the cgroup limits of %s: %s", cfg->name,
			strerror(-ret));
		goto err_destroy;
	}
	return 0;
err_destroy:
	vmm_cgroup_destroy(sys, cfg->name);
	return ret;
}

int vmm_cgroup_attach(const struct vmm_cgroup_sys *sys, const char *part, pid_t pid)
{
	char dir[VMM_PATH_SIZE], val[24];
	int c, ret;

	snprintf(val, sizeof(val), "%d", (int)pid);
	for (c = 0; c < VMM_CG_COUNT; c++) {
		if (sys->version == 2 && c != VMM_CG_MEMORY)
			break;
		if (vmm_cgroup_path(sys, (enum vmm_cgroup_ctrl)c, part, dir, sizeof(dir)))
			continue;
		ret = write_str(dir, "cgroup.procs", val);
		if (ret)
			return ret;
	}
	return 0;
}

/* SIGKILL whatever is still in the cgroup (cgroup.kill where the kernel has it). */
static void kill_members(const char *dir)
{
	char path[VMM_PATH_SIZE + 16], *text, *p;
	long pid;

	if (write_str(dir, "cgroup.kill", "1") == 0)
		return;
	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	if (read_pseudo(path, 1u << 20, &text))
		return;
	for (p = text; *p;) {
		pid = strtol(p, &p, 10);
		if (pid > 0)
			kill((pid_t)pid, SIGKILL);
		while (*p == '\n')
			p++;
		if (pid <= 0)
			break;
	}
	free(text);
}

static int rmdir_wait(const char *dir)
{
	struct timespec ts = {0, 5 * 1000 * 1000};
	int i;

	for (i = 0; i < RMDIR_TRIES; i++) {
		if (rmdir(dir) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY)
			return -errno;
		if (i == 0)
			kill_members(dir);
		nanosleep(&ts, NULL);
	}
	return -EBUSY;
}

int vmm_cgroup_destroy(const struct vmm_cgroup_sys *sys, const char *part)
{
	char dir[VMM_PATH_SIZE];
	int c, ret, first = 0;

	for (c = 0; c < VMM_CG_COUNT; c++) {
		if (sys->version == 2 && c != VMM_CG_MEMORY)
			break;
		if (vmm_cgroup_path(sys, (enum vmm_cgroup_ctrl)c, part, dir, sizeof(dir)))
			continue;
		ret = rmdir_wait(dir);
		if (ret && first == 0)
			first = ret;
	}
	return first;
}

int vmm_cgroup_lock(struct vmm_cgroup_sys *sys)
{
	char dir[VMM_PATH_SIZE];
	int ret;

	ret = vmm_cgroup_path(sys, VMM_CG_MEMORY, NULL, dir, sizeof(dir));
	ret = ret ?: mkdir_ok(dir);
	if (ret)
		return ret;
	sys->lock_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sys->lock_fd < 0)
		return -errno;
	if (flock(sys->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		ret = errno == EWOULDBLOCK ? -EBUSY : -errno;
		close(sys->lock_fd);
		sys->lock_fd = -1;
		return ret;
	}
	return 0;
}

void vmm_cgroup_sweep(const struct vmm_cgroup_sys *sys)
{
	char dir[VMM_PATH_SIZE];
	struct dirent *e;
	DIR *dp;
	int c;

	for (c = 0; c < VMM_CG_COUNT; c++) {
		if (sys->version == 2 && c != VMM_CG_MEMORY)
			break;
		if (vmm_cgroup_path(sys, (enum vmm_cgroup_ctrl)c, NULL, dir, sizeof(dir)))
			continue;
		dp = opendir(dir);
		if (dp == NULL)
			continue;
		while ((e = readdir(dp)) != NULL) {
			if (e->d_type != DT_DIR || e->d_name[0] == '.')
				continue;
			VMM_LOG(NOTICE,
				"removing the cgroup of partition %s left by an earlier vmmd",
				e->d_name);
			vmm_cgroup_destroy(sys, e->d_name);
		}
		closedir(dp);
	}
}

void vmm_cgroup_sys_fini(const struct vmm_cgroup_sys *sys)
{
	char dir[VMM_PATH_SIZE];
	int c;

	if (sys->lock_fd < 0)
		return; /* not ours: another vmmd of this name may be using it */

	for (c = 0; c < VMM_CG_COUNT; c++) {
		if (sys->version == 2 && c != VMM_CG_MEMORY)
			break;
		/* fails harmlessly (EBUSY) while another partition's directory remains */
		if (vmm_cgroup_path(sys, (enum vmm_cgroup_ctrl)c, NULL, dir, sizeof(dir)) == 0)
			rmdir(dir);
	}
	if (sys->lock_fd >= 0)
		close(sys->lock_fd);
}
