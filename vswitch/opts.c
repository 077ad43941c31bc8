/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

void vs_opts_usage(FILE *f)
{
	fprintf(f,
		"usage: vswitchd [OPTIONS] [-- EAL-ARGS...]\n"
		"A DPDK userspace L2 switch, driven by vswitchctl.\n\n"
		"  -n, --name NAME          instance name (default vswitchd); sets the defaults below\n"
		"  -s, --socket PATH        control socket (default /run/vswitchd/NAME.sock)\n"
		"  -c, --config PATH        configuration file (default /var/lib/vswitchd/NAME.json)\n"
		"  -w, --workers N          datapath worker threads, 1-%d (default 1)\n"
		"      --cpus LIST          CPUs for the workers, e.g. 1 or 0-1 (default: all allowed)\n"
		"      --control-cpus LIST  CPUs for the control thread (default: all allowed)\n"
		"      --hugepages MODE     auto, on or off (default auto)\n"
		"  -m, --memory MB          DPDK memory without hugepages (default 512)\n"
		"      --idle-sleep-max US  longest idle sleep of a worker (default 1000; 0 = spin)\n"
		"  -d, --detach             run in the background once the control socket is ready\n"
		"  -p, --pidfile PATH       write the PID there\n"
		"      --log-file PATH      log there instead of stderr\n"
		"  -v, --verbose            debug logging\n"
		"  -h, --help               this text\n",
		VS_MAX_WORKERS);
}

static int cpu_list_ok(const char *s)
{
	size_t i;

	if (strlen(s) == 0 || strlen(s) >= 127)
		return 0;
	for (i = 0; s[i]; i++) {
		if (!strchr("0123456789,-", s[i]))
			return 0;
	}
	return 1;
}

static int opt_u32(const char *name, const char *arg, uint32_t min, uint32_t max,
	unsigned int *out)
{
	uint32_t v;

	if (vsw_parse_u32(arg, min, max, &v)) {
		fprintf(stderr, "vswitchd: --%s: expected a number in %u-%u\n", name, min, max);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int opt_path(const char *name, const char *arg, char *out)
{
	return vsw_opt_path("vswitchd", name, arg, out, PATH_MAX);
}

static int opt_one(int c, const char *arg, struct vs_opts *o)
{
	switch (c) {
	case 'n':
		return vsw_opt_name("vswitchd", "name", arg, o->name, sizeof(o->name));
	case 's':
		return opt_path("socket", arg, o->socket_path);
	case 'c':
		return opt_path("config", arg, o->config_path);
	case 'p':
		return opt_path("pidfile", arg, o->pidfile);
	case 'L':
		return opt_path("log-file", arg, o->log_file);
	case 'w':
		return opt_u32("workers", arg, 1, VS_MAX_WORKERS, &o->workers);
	case 'm':
		return opt_u32("memory", arg, 64, 1u << 20, &o->memory_mb);
	case 'S':
		return opt_u32("idle-sleep-max", arg, 0, 1000000, &o->idle_sleep_max_us);
	case 'C':
	case 'K':
		if (!cpu_list_ok(arg)) {
			fprintf(stderr, "vswitchd: invalid CPU list '%s'\n", arg);
			return -EINVAL;
		}
		strcpy(c == 'C' ? o->cpus : o->control_cpus, arg);
		return 0;
	case 'H':
		if (strcmp(arg, "auto") == 0)
			o->huge = VS_HUGE_AUTO;
		else if (strcmp(arg, "on") == 0)
			o->huge = VS_HUGE_ON;
		else if (strcmp(arg, "off") == 0)
			o->huge = VS_HUGE_OFF;
		else {
			fprintf(stderr, "vswitchd: --hugepages: auto, on or off\n");
			return -EINVAL;
		}
		return 0;
	case 'd':
		o->detach = true;
		return 0;
	case 'v':
		o->verbose = true;
		return 0;
	}
	return -EINVAL;
}

int vs_opts_parse(int argc, char **argv, struct vs_opts *o)
{
	static const struct option longopts[] = {
		{"name", required_argument, NULL, 'n'},
		{"socket", required_argument, NULL, 's'},
		{"config", required_argument, NULL, 'c'},
		{"workers", required_argument, NULL, 'w'},
		{"cpus", required_argument, NULL, 'C'},
		{"control-cpus", required_argument, NULL, 'K'},
		{"hugepages", required_argument, NULL, 'H'},
		{"memory", required_argument, NULL, 'm'},
		{"idle-sleep-max", required_argument, NULL, 'S'},
		{"detach", no_argument, NULL, 'd'},
		{"pidfile", required_argument, NULL, 'p'},
		{"log-file", required_argument, NULL, 'L'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	memset(o, 0, sizeof(*o));
	strcpy(o->name, "vswitchd");
	o->workers = 1;
	o->memory_mb = 512;
	o->idle_sleep_max_us = 1000;
	optind = 1;
	while ((c = getopt_long(argc, argv, "n:s:c:w:m:dp:vh", longopts, NULL)) != -1) {
		if (c == 'h') {
			vs_opts_usage(stdout);
			return 1;
		}
		if (c == '?' || opt_one(c, optarg, o)) {
			fprintf(stderr, "Try 'vswitchd --help'.\n");
			return -EINVAL;
		}
	}
	if (optind < argc && strcmp(argv[optind - 1], "--") != 0) {
		fprintf(stderr, "vswitchd: unexpected argument '%s' (EAL arguments go after --)\n",
			argv[optind]);
		return -EINVAL;
	}
	o->n_eal_args = argc - optind;
	o->eal_args = argv + optind;
	if (o->socket_path[0] == '\0')
		snprintf(o->socket_path, sizeof(o->socket_path), "/run/vswitchd/%s.sock", o->name);
	if (o->config_path[0] == '\0')
		snprintf(o->config_path, sizeof(o->config_path), "/var/lib/vswitchd/%s.json",
			o->name);
	return 0;
}
