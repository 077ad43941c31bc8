/* SPDX-License-Identifier: BSD-3-Clause */
/* Start a minimal EAL for unit tests: no hugepages, no PCI, no shared files, one lcore on a CPU
 * this process may use. */
#ifndef VSW_TEST_EAL_H
#define VSW_TEST_EAL_H

#include <sched.h>
#include <stdio.h>

#include <rte_eal.h>

static inline int vsw_test_eal_init(const char *prog)
{
	char lcores[32];
	cpu_set_t set;
	int cpu = 0;
	char *argv[] = {(char *)prog, "--no-huge", "-m", "128", "--no-pci", "--no-shconf",
		"--no-telemetry", "--log-level=error", "--lcores", lcores};

	if (sched_getaffinity(0, sizeof(set), &set) == 0) {
		while (cpu < CPU_SETSIZE && !CPU_ISSET(cpu, &set))
			cpu++;
	}
	snprintf(lcores, sizeof(lcores), "0@%d", cpu);
	return rte_eal_init((int)(sizeof(argv) / sizeof(argv[0])), argv);
}

#endif
