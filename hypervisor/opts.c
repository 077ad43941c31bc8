/* SPDX-License-Identifier: BSD-3-Clause */
/* vmmd's command line. */
#include "internal.h"

#include <errno.h>
#include <getopt.h>
#include <string.h>

#include "vsw_util.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vmmd [OPTIONS]\n"
		"The hypervisor daemon: runs process partitions, driven by vmmctl.\n\n"
		"  -n, --name NAME         instance name (default vmmd); sets the defaults below\n"
		"  -s, --socket PATH       control socket (default /run/vmmd/NAME.sock)\n"
		"  -c, --config PATH       partition definitions (default "
		"/var/lib/vmmd/NAME.json)\n"
		"      --state-dir DIR     partition logs DIR/PARTITION.log (default "
		"/run/vmmd/NAME)\n"
		"      --guest-init PATH   partition init (default: vsw-guest-init next to vmmd)\n"
		"      --switch-dir DIR    vswitchd control sockets DIR/SW.sock (default "
		"/run/vswitchd)\n"
		"  -d, --detach            run in the background once the control socket is ready\n"
		"  -p, --pidfile PATH      write the PID there\n"
		"      --log-file PATH     log there instead of stderr\n"
		"  -v, --verbose           debug logging\n"
		"  -h, --help              this text\n");
}

/* Paths leave room for the file names vmmd appends (STATE_DIR/PARTITION.INDEX.vmbus). */
static int opt_path(const char *name, const char *arg, char *out)
{
	return vsw_opt_path("vmmd", name, arg, out, VMM_PATH_SIZE - 32);
}

static int opt_one(int c, const char *arg, struct vmm_opts *o)
{
	switch (c) {
	case 'n':
		return vsw_opt_name("vmmd", "name", arg, o->name, sizeof(o->name));
	case 's':
		return opt_path("socket", arg, o->socket_path);
	case 'c':
		return opt_path("config", arg, o->config_path);
	case 'S':
		return opt_path("state-dir", arg, o->state_dir);
	case 'G':
		return opt_path("guest-init", arg, o->guest_init);
	case 'W':
		return opt_path("switch-dir", arg, o->switch_dir);
	case 'p':
		return opt_path("pidfile", arg, o->pidfile);
	case 'L':
		return opt_path("log-file", arg, o->log_file);
	case 'd':
		o->detach = true;
		return 0;
	case 'v':
		o->verbose = true;
		return 0;
	}
	return -EINVAL;
}

int vmm_opts_parse(int argc, char **argv, struct vmm_opts *o)
{
	static const struct option longopts[] = {
		{"name", required_argument, NULL, 'n'},
		{"socket", required_argument, NULL, 's'},
		{"config", required_argument, NULL, 'c'},
		{"state-dir", required_argument, NULL, 'S'},
		{"guest-init", required_argument, NULL, 'G'},
		{"switch-dir", required_argument, NULL, 'W'},
		{"detach", no_argument, NULL, 'd'},
		{"pidfile", required_argument, NULL, 'p'},
		{"log-file", required_argument, NULL, 'L'},
		{"verbose", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	memset(o, 0, sizeof(*o));
	strcpy(o->name, "vmmd");
	optind = 1;
	while ((c = getopt_long(argc, argv, "n:s:c:dp:vh", longopts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return 1;
		}
		if (c == '?' || opt_one(c, optarg, o)) {
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vmmd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return -EINVAL;
	}
	if (o->socket_path[0] == '\0')
		snprintf(o->socket_path, sizeof(o->socket_path), "/run/vmmd/%s.sock", o->name);
	if (o->config_path[0] == '\0')
		snprintf(o->config_path, sizeof(o->config_path), "/var/lib/vmmd/%s.json", o->name);
	if (o->switch_dir[0] == '\0')
		snprintf(o->switch_dir, sizeof(o->switch_dir), "%s", VMM_SWITCH_DIR_DEFAULT);
	if (o->state_dir[0] == '\0')
		snprintf(o->state_dir, sizeof(o->state_dir), "/run/vmmd/%s", o->name);
	return 0;
}
