/* SPDX-License-Identifier: BSD-3-Clause */
/* vswitchctl: command line client of vswitchd. Exit: 0 ok, 1 refused, 2 usage, 3 unreachable. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "vsw/ctl.h"
#include "vsw_ctl_client.h"
#include "vsw_util.h"

#define CTL_VERSION "0.1.0"

enum { EXIT_REFUSED = 1, EXIT_USAGE = 2, EXIT_UNREACHABLE = 3 };

static void usage(FILE *f)
{
	unsigned int i;

	fprintf(f, "usage: vswitchctl [-s SOCKET | -n NAME] [-j|--json] [-t SECONDS] COMMAND "
		   "[ARGS...]\n\ncommands:\n");
	for (i = 0; i < ctl_n_cmds; i++)
		fprintf(f, "  %-12s %-30s %s\n", ctl_cmds[i].name, ctl_cmds[i].usage,
			ctl_cmds[i].help);
	fprintf(f, "\nThe default socket is /run/vswitchd/NAME.sock, NAME defaulting to "
		   "vswitchd.\n");
}

static const struct ctl_cmd *cmd_find(const char *name)
{
	unsigned int i;

	for (i = 0; i < ctl_n_cmds; i++) {
		if (strcmp(ctl_cmds[i].name, name) == 0)
			return &ctl_cmds[i];
	}
	return NULL;
}

static int print_reply(const struct ctl_cmd *cmd, const char *text, bool json)
{
	json_error_t jerr;
	json_t *r = json_loads(text, 0, &jerr), *result;
	int status;

	if (!json_is_object(r)) {
		fprintf(stderr, "vswitchctl: malformed reply from vswitchd\n");
		json_decref(r);
		return EXIT_UNREACHABLE;
	}
	status = (int)json_integer_value(json_object_get(r, "status"));
	if (status) {
		fprintf(stderr, "vswitchctl: %s\n",
			json_string_value(json_object_get(r, "error")) ?: strerror(status));
		json_decref(r);
		return EXIT_REFUSED;
	}
	result = json_object_get(r, "result");
	if (strcmp(cmd->name, "version") == 0)
		json_object_set_new(result, "vswitchctl", json_string(CTL_VERSION));
	if (cmd->print == NULL && !json) {
		/* nothing to show for a change that worked */
	} else if (json) {
		char *out = json_dumps(result ? result : json_null(),
			JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
		puts(out ? out : "null");
		free(out);
	} else {
		cmd->print(result);
	}
	json_decref(r);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"socket", required_argument, NULL, 's'},
		{"name", required_argument, NULL, 'n'},
		{"json", no_argument, NULL, 'j'},
		{"timeout", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	char sock[256] = "", *reply = NULL, *req;
	const struct ctl_cmd *cmd;
	uint32_t timeout = 30;
	bool json = false;
	json_t *args, *r;
	int c, nargs, ret;

	while ((c = getopt_long(argc, argv, "+s:n:jt:h", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			snprintf(sock, sizeof(sock), "%s", optarg);
			break;
		case 'n':
			if (!vsw_name_is_valid(optarg)) {
				fprintf(stderr, "vswitchctl: invalid switch name '%s'\n", optarg);
				return EXIT_USAGE;
			}
			snprintf(sock, sizeof(sock), "/run/vswitchd/%s.sock", optarg);
			break;
		case 'j':
			json = true;
			break;
		case 't':
			if (vsw_parse_u32(optarg, 1, 3600, &timeout)) {
				fprintf(stderr, "vswitchctl: --timeout: 1-3600 seconds\n");
				return EXIT_USAGE;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (sock[0] == '\0')
		snprintf(sock, sizeof(sock), "/run/vswitchd/vswitchd.sock");
	cmd = cmd_find(argv[optind]);
	if (cmd == NULL) {
		fprintf(stderr, "vswitchctl: unknown command '%s' (see vswitchctl --help)\n",
			argv[optind]);
		return EXIT_USAGE;
	}
	nargs = argc - optind - 1;
	if (nargs < cmd->min_args || (cmd->max_args >= 0 && nargs > cmd->max_args)) {
		fprintf(stderr, "vswitchctl: %s: wrong number of arguments\nusage: vswitchctl %s %s\n",
			cmd->name, cmd->name, cmd->usage);
		return EXIT_USAGE;
	}
	args = json_object();
	if (cmd->build(cmd, nargs, argv + optind + 1, args)) {
		json_decref(args);
		return EXIT_USAGE;
	}
	r = json_pack("{s:s, s:o}", "cmd", cmd->name, "args", args);
	req = json_dumps(r, JSON_COMPACT);
	json_decref(r);
	ret = vsw_ctl_request(sock, req, (int)timeout * 1000, &reply);
	free(req);
	if (ret) {
		fprintf(stderr, "vswitchctl: cannot talk to vswitchd at %s: %s\n", sock,
			ret == -EACCES ? "permission denied (the control socket is for root)"
				       : strerror(-ret));
		return EXIT_UNREACHABLE;
	}
	ret = print_reply(cmd, reply, json);
	free(reply);
	return ret;
}
