/* SPDX-License-Identifier: BSD-3-Clause */
/* cgroup limit values and the discovery of cgroup mounts. */
#include "internal.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

static void memory_limit_adds_the_allowance(void **state)
{
	assert_int_equal(vmm_cgroup_memory_limit(16), (16ull + VMM_MEMORY_ALLOWANCE_MB) << 20);
	/* 65536 MiB + allowance does not overflow 32 bits worth of MiB into nonsense */
	assert_int_equal(
		vmm_cgroup_memory_limit(65536), (65536ull + VMM_MEMORY_ALLOWANCE_MB) << 20);
}

static void cpu_max_formats_quota_and_period(void **state)
{
	char buf[32];

	assert_int_equal(vmm_cgroup_cpu_max_format(0, buf, sizeof(buf)), 10);
	assert_string_equal(buf, "max 100000");
	assert_int_equal(vmm_cgroup_cpu_max_format(150, buf, sizeof(buf)), 13);
	assert_string_equal(buf, "150000 100000");
	vmm_cgroup_cpu_max_format(1, buf, sizeof(buf));
	assert_string_equal(buf, "1000 100000"); /* the kernel's minimum quota is 1000 us */
	vmm_cgroup_cpu_max_format(VMM_CPUS_MAX_CENTI, buf, sizeof(buf));
	assert_string_equal(buf, "102400000 100000");
	assert_int_equal(vmm_cgroup_cpu_max_format(150, buf, 13), -ENOSPC);
	assert_int_equal(vmm_cgroup_cpu_max_format(150, buf, 14), 13);
}

static void cfs_quota_matches_cpu_max(void **state)
{
	assert_int_equal(vmm_cgroup_cfs_quota(0), -1);
	assert_int_equal(vmm_cgroup_cfs_quota(1), 1000);
	assert_int_equal(vmm_cgroup_cfs_quota(250), 250000);
}

/* A hybrid host (v1 controllers, v2 mounted at unified/), as on the test machine. */
static const char hybrid[] =
	"23 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw\n"
	"31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
	"32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
	"33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
	"34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset\n"
	"35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
	"39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
	"40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
	"41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

static void mounts_parse_finds_v1_hierarchies(void **state)
{
	struct vmm_cgroup_mounts m;

	assert_int_equal(vmm_cgroup_mounts_parse(hybrid, &m), 0);
	assert_string_equal(m.v2, "/sys/fs/cgroup/unified");
	assert_string_equal(m.v1_memory, "/sys/fs/cgroup/memory");
	assert_string_equal(m.v1_cpu, "/sys/fs/cgroup/cpu"); /* not cpuacct nor cpuset */
	assert_string_equal(m.v1_pids, "/sys/fs/cgroup/pids");
}

static void mounts_parse_handles_optional_fields_and_comounts(void **state)
{
	static const char text[] =
		"25 30 0:22 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid shared:9 master:2 - cgroup "
		"cgroup rw,cpu,cpuacct\n"
		"26 30 0:23 / /sys/fs/cgroup/net_cls,net_prio rw shared:10 - cgroup cgroup "
		"rw,net_cls,net_prio\n";
	struct vmm_cgroup_mounts m;

	assert_int_equal(vmm_cgroup_mounts_parse(text, &m), -ENOENT); /* no memory, no v2 */
	assert_string_equal(m.v1_cpu, "/sys/fs/cgroup/cpu,cpuacct");
	assert_string_equal(m.v1_memory, "");
}

static void mounts_parse_pure_v2(void **state)
{
	static const char text[] =
		"30 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 "
		"cgroup2 rw,nsdelegate,memory_recursiveprot\n";
	struct vmm_cgroup_mounts m;

	assert_int_equal(vmm_cgroup_mounts_parse(text, &m), 0);
	assert_string_equal(m.v2, "/sys/fs/cgroup");
	assert_string_equal(m.v1_memory, "");
}

static void mounts_parse_ignores_malformed_lines(void **state)
{
	static const char text[] = "garbage\n"
				   "1 2 3 4 - cgroup2\n"
				   "- cgroup2 cgroup2 rw\n"
				   "1 2 3 / /x rw - cgroup cgroup\n"
				   "\n";
	struct vmm_cgroup_mounts m;

	assert_int_equal(vmm_cgroup_mounts_parse(text, &m), -ENOENT);
	assert_int_equal(vmm_cgroup_mounts_parse("", &m), -ENOENT);
}

static void path_names_daemon_and_partition_dirs(void **state)
{
	struct vmm_cgroup_sys sys = {.version = 1};
	char buf[VMM_PATH_SIZE];

	strcpy(sys.memory, "/sys/fs/cgroup/memory");
	strcpy(sys.cpu, "/sys/fs/cgroup/cpu");
	strcpy(sys.group, "vmmd-t1");
	assert_int_equal(vmm_cgroup_path(&sys, VMM_CG_CPU, "vm1", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/sys/fs/cgroup/cpu/vmmd-t1/vm1");
	assert_int_equal(vmm_cgroup_path(&sys, VMM_CG_MEMORY, NULL, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/sys/fs/cgroup/memory/vmmd-t1");
	assert_int_equal(vmm_cgroup_path(&sys, VMM_CG_PIDS, "vm1", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(vmm_cgroup_path(&sys, VMM_CG_CPU, "vm1", buf, 10), -ENAMETOOLONG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(memory_limit_adds_the_allowance),
		cmocka_unit_test(cpu_max_formats_quota_and_period),
		cmocka_unit_test(cfs_quota_matches_cpu_max),
		cmocka_unit_test(mounts_parse_finds_v1_hierarchies),
		cmocka_unit_test(mounts_parse_handles_optional_fields_and_comounts),
		cmocka_unit_test(mounts_parse_pure_v2),
		cmocka_unit_test(mounts_parse_ignores_malformed_lines),
		cmocka_unit_test(path_names_daemon_and_partition_dirs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
