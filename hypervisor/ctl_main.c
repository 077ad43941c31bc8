/* SPDX-License-Identifier: BSD-3-Clause */
/* vmmctl: command line client of vmmd. Exit: 0 ok, 1 refused, 2 usage, 3 unreachable. */
#include "vmmctl.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "vsw_ctl_client.h"
#include "vsw_util.h"

enum { EXIT_REFUSED = 1, EXIT_USAGE = 2, EXIT_UNREACHABLE = 3 };

static void usage(FILE *f)
{
	unsigned int i;

	fprintf(f, "usage: vmmctl [-s SOCKET | -n NAME] [-j|--json] COMMAND [ARGS...]\n\n"
		   "commands:\n");
	for (i = 0; i < vmm_ctl_n_cmds; i++)
		fprintf(f, "  %-8s %s\n           %s\n", vmm_ctl_cmds[i].name,
			vmm_ctl_cmds[i].usage, vmm_ctl_cmds[i].help);
	fprintf(f, "\nThe default socket is /run/vmmd/NAME.sock, NAME defaulting to vmmd.\n");
}

static const char *str_or(json_t *v, const char *dflt)
{
	return json_is_string(v) ? json_string_value(v) : dflt;
}

static void fmt_cpus(json_t *v, char *buf, size_t size)
{
	if (json_is_number(v))
		vmm_cpus_format((uint32_t)(json_number_value(v) * 100.0 + 0.5), buf, size);
	else
		snprintf(buf, size, "-");
}

static void fmt_int(json_t *v, char *buf, size_t size)
{
	if (json_is_integer(v))
		snprintf(buf, size, "%lld", (long long)json_integer_value(v));
	else
		snprintf(buf, size, "-");
}

static void fmt_exit(json_t *p, char *buf, size_t size)
{
	json_t *code = json_object_get(p, "exit_code"), *sig = json_object_get(p, "exit_signal");

	if (json_is_integer(code))
		snprintf(buf, size, "%lld", (long long)json_integer_value(code));
	else if (json_is_integer(sig))
		snprintf(buf, size, "signal %lld", (long long)json_integer_value(sig));
	else
		snprintf(buf, size, "-");
}

static void print_list(json_t *r)
{
	char pid[16], cpus[16], ex[24];
	json_t *p;
	size_t i;

	printf("%-15s %-8s %-8s %8s %6s %4s  %s\n", "NAME", "STATE", "PID", "MEMORY", "CPUS",
		"NICS", "EXIT");
	json_array_foreach(r, i, p)
	{
		fmt_int(json_object_get(p, "pid"), pid, sizeof(pid));
		fmt_cpus(json_object_get(p, "cpus"), cpus, sizeof(cpus));
		fmt_exit(p, ex, sizeof(ex));
		printf("%-15s %-8s %-8s %7lldM %6s %4lld  %s\n",
			str_or(json_object_get(p, "name"), "?"),
			str_or(json_object_get(p, "state"), "?"), pid,
			(long long)json_integer_value(json_object_get(p, "memory")), cpus,
			(long long)json_integer_value(json_object_get(p, "n_nics")), ex);
	}
}

static void print_show(json_t *r)
{
	char buf[64], when[32];
	json_t *v, *nic;
	struct tm tm;
	time_t t;
	size_t i;

	printf("name:        %s\n", str_or(json_object_get(r, "name"), "?"));
	printf("state:       %s\n", str_or(json_object_get(r, "state"), "?"));
	fmt_int(json_object_get(r, "pid"), buf, sizeof(buf));
	printf("pid:         %s\n", buf);
	printf("memory:      %lld MiB\n",
		(long long)json_integer_value(json_object_get(r, "memory")));
	fmt_cpus(json_object_get(r, "cpus"), buf, sizeof(buf));
	printf("cpus:        %s\n", strcmp(buf, "-") ? buf : "no limit");
	printf("command:     %s\n", str_or(json_object_get(r, "cmd"), "(none)"));
	v = json_object_get(r, "start_time");
	if (json_is_integer(v)) {
		t = (time_t)json_integer_value(v);
		localtime_r(&t, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
		printf("started:     %s\n", when);
	}
	fmt_exit(r, buf, sizeof(buf));
	printf("exit status: %s\n", buf);
	fmt_int(json_object_get(r, "memfd_size"), buf, sizeof(buf));
	printf("memfd size:  %s\n", buf);
	printf("cgroup:      %s\n", str_or(json_object_get(r, "cgroup"), "-"));
	printf("log:         %s\n", str_or(json_object_get(r, "log"), "-"));
	if (json_is_string(json_object_get(r, "error")))
		printf("error:       %s\n", json_string_value(json_object_get(r, "error")));
	printf("nics:        %s\n", json_array_size(json_object_get(r, "nics")) ? "" : "(none)");
	json_array_foreach(json_object_get(r, "nics"), i, nic)
	{
		json_t *port = json_array_get(json_object_get(r, "ports"), i);
		json_t *vb = json_array_get(json_object_get(json_object_get(r, "vmbus"), "nics"), i);

		printf("  %zu: switch %s port %s mac %s queues %s\n", i,
			str_or(json_object_get(nic, "switch"), "?"),
			str_or(json_object_get(nic, "port"), "?"),
			str_or(json_object_get(nic, "mac"), "?"),
			str_or(json_object_get(nic, "queues"), "1"));
		printf("     port %s%s%s\n", str_or(json_object_get(port, "state"), "-"),
			json_is_string(json_object_get(port, "error")) ? ": " : "",
			str_or(json_object_get(port, "error"), ""));
		if (json_is_object(vb))
			printf("     channel %s, subchannels %lld offered %lld open, vswitchd %s\n",
				str_or(json_object_get(vb, "channel"), "?"),
				(long long)json_integer_value(
					json_object_get(vb, "subchannels_offered")),
				(long long)json_integer_value(
					json_object_get(vb, "subchannels_open")),
				json_is_true(
					json_object_get(json_object_get(vb, "vswitchd"), "hello"))
					? "connected"
					: "not connected");
	}
	v = json_object_get(r, "vmbus");
	if (json_is_object(v))
		printf("vmbus:       %s%s%s, %lld resets\n",
			json_is_true(json_object_get(v, "connected")) ? "version " : "not connected",
			str_or(json_object_get(v, "version"), ""), "",
			(long long)json_integer_value(json_object_get(v, "resets")));
}

static void print_state(json_t *r)
{
	char ex[24], pid[16];

	fmt_exit(r, ex, sizeof(ex));
	fmt_int(json_object_get(r, "pid"), pid, sizeof(pid));
	if (strcmp(str_or(json_object_get(r, "state"), ""), "running") == 0)
		printf("%s: running, pid %s\n", str_or(json_object_get(r, "name"), "?"), pid);
	else
		printf("%s: %s, exit status %s\n", str_or(json_object_get(r, "name"), "?"),
			str_or(json_object_get(r, "state"), "?"), ex);
}

static void print_version(json_t *r)
{
	printf("vmmctl %s\nvmmd %s\nprotocol %lld\n", VMM_VERSION,
		str_or(json_object_get(r, "vmmd"), "?"),
		(long long)json_integer_value(json_object_get(r, "protocol")));
}

static void print_human(const char *cmd, json_t *result)
{
	if (strcmp(cmd, "list") == 0)
		print_list(result);
	else if (strcmp(cmd, "show") == 0)
		print_show(result);
	else if (!strcmp(cmd, "start") || !strcmp(cmd, "stop") || !strcmp(cmd, "kill"))
		print_state(result);
	else if (strcmp(cmd, "version") == 0)
		print_version(result);
	/* create, delete: nothing to show for a change that worked */
}

static int print_reply(const char *cmd, const char *text, bool json)
{
	json_error_t jerr;
	json_t *r = json_loads(text, 0, &jerr), *result;
	char *out;
	int status;

	if (!json_is_object(r)) {
		fprintf(stderr, "vmmctl: malformed reply from vmmd\n");
		json_decref(r);
		return EXIT_UNREACHABLE;
	}
	status = (int)json_integer_value(json_object_get(r, "status"));
	if (status) {
		fprintf(stderr, "vmmctl: %s\n",
			json_string_value(json_object_get(r, "error")) ?: strerror(status));
		json_decref(r);
		return EXIT_REFUSED;
	}
	result = json_object_get(r, "result");
	if (strcmp(cmd, "version") == 0 && json_is_object(result))
		json_object_set_new(result, "vmmctl", json_string(VMM_VERSION));
	if (json) {
		out = json_dumps(result ? result : json_null(),
			JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY |
				JSON_REAL_PRECISION(15));
		puts(out ? out : "null");
		free(out);
	} else if (result) {
		print_human(cmd, result);
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
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	char sock[VMM_PATH_SIZE] = "", err[512], *reply = NULL, *text;
	unsigned int wait_s;
	bool json = false;
	json_t *req;
	int c, ret;

	while ((c = getopt_long(argc, argv, "+s:n:jh", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			snprintf(sock, sizeof(sock), "%s", optarg);
			break;
		case 'n':
			if (!vsw_name_is_valid(optarg)) {
				fprintf(stderr, "vmmctl: invalid vmmd name '%s'\n", optarg);
				return EXIT_USAGE;
			}
			snprintf(sock, sizeof(sock), "/run/vmmd/%s.sock", optarg);
			break;
		case 'j':
			json = true;
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
		snprintf(sock, sizeof(sock), "/run/vmmd/vmmd.sock");
	ret = vmm_ctl_build(argc - optind, argv + optind, &req, &wait_s, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "vmmctl: %s: %s\n", argv[optind],
			ret == -EINVAL ? err : strerror(-ret));
		return EXIT_USAGE;
	}
	text = json_dumps(req, JSON_COMPACT | JSON_REAL_PRECISION(15));
	json_decref(req);
	if (text == NULL)
		return EXIT_REFUSED;
	ret = vsw_ctl_request(sock, text, (int)wait_s * 1000, &reply);
	free(text);
	if (ret) {
		fprintf(stderr, "vmmctl: cannot talk to vmmd at %s: %s\n", sock,
			ret == -EACCES ? "permission denied (the control socket is for root)"
				       : strerror(-ret));
		return EXIT_UNREACHABLE;
	}
	ret = print_reply(argv[optind], reply, json);
	free(reply);
	return ret;
}
