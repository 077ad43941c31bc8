/* SPDX-License-Identifier: BSD-3-Clause */
/* vmmctl's commands and their arguments. */
#include "vmmctl.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm.h"
#include "vsw_util.h"

const struct vmm_ctl_cmd vmm_ctl_cmds[] = {
	{"create",
		"NAME --memory MB [--cpus N.N] [--cmd 'COMMAND LINE'] "
		"[--nic switch=SW,mac=MAC,port=PORT[,queues=N][,guest=netvsc|uio]]...",
		"define a partition"},
	{"start", "NAME", "start a partition"},
	{"stop", "NAME [--timeout S]", "SIGTERM, SIGKILL after S seconds (default 10)"},
	{"kill", "NAME", "SIGKILL a partition"},
	{"delete", "NAME", "remove a stopped partition's definition"},
	{"list", "", "list partitions"},
	{"show", "NAME", "details of a partition"},
	{"version", "", "versions of vmmctl, vmmd and the protocol"},
};
const unsigned int vmm_ctl_n_cmds = VSW_ARRAY_SIZE(vmm_ctl_cmds);

struct args {
	int argc;
	char **argv;
	int i; /* next word */
	char *err;
	size_t errlen;
};

static int usage_err(struct args *a, const char *fmt, const char *what)
{
	snprintf(a->err, a->errlen, fmt, what);
	return -EINVAL;
}

/* "--opt VALUE" or "--opt=VALUE" at a->i: returns 1 and the value, 0 if it is another word. */
static int opt_value(struct args *a, const char *opt, const char **val, int *ret)
{
	const char *w = a->argv[a->i];
	size_t len = strlen(opt);

	*ret = 0;
	if (strncmp(w, opt, len) != 0 || (w[len] != '\0' && w[len] != '='))
		return 0;
	if (w[len] == '=') {
		*val = w + len + 1;
	} else if (a->i + 1 < a->argc) {
		*val = a->argv[++a->i];
	} else {
		*ret = usage_err(a, "%s needs a value", opt);
		return 1;
	}
	a->i++;
	return 1;
}

/* "switch=SW,mac=MAC,port=PORT[,guest=G]" into an object of strings; vmmd checks keys and
 * values. */
static int nic_build(struct args *a, const char *spec, json_t *nics)
{
	char buf[256], *save = NULL, *tok, *eq;
	json_t *nic;

	if (strlen(spec) >= sizeof(buf))
		return usage_err(a, "--nic: %s", "specification too long");
	strcpy(buf, spec);
	nic = json_object();
	if (nic == NULL || json_array_append_new(nics, nic))
		return -ENOMEM;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		eq = strchr(tok, '=');
		if (eq == NULL || eq == tok)
			return usage_err(
				a, "--nic: expected KEY=VALUE[,KEY=VALUE...], got '%s'", tok);
		*eq = '\0';
		if (json_object_get(nic, tok))
			return usage_err(a, "--nic: key '%s' given twice", tok);
		json_object_set_new(nic, tok, json_string(eq + 1));
	}
	if (json_object_size(nic) == 0)
		return usage_err(a, "--nic: %s", "empty specification");
	return 0;
}

static int cpus_build(struct args *a, const char *s, json_t *args)
{
	char *end;
	double v;

	v = strtod(s, &end);
	if (s[0] == '\0' || *end != '\0' || !isfinite(v) || s[0] == ' ')
		return usage_err(a, "--cpus: '%s' is not a number", s);
	json_object_set_new(args, "cpus", json_real(v));
	return 0;
}

static int create_build(struct args *a, json_t *args)
{
	json_t *nics = json_array();
	const char *v, *name = NULL;
	uint32_t mb;
	int ret = 0;

	if (nics == NULL)
		return -ENOMEM;
	json_object_set_new(args, "nics", nics);
	while (a->i < a->argc && ret == 0) {
		if (opt_value(a, "--memory", &v, &ret)) {
			if (ret == 0 && vsw_parse_u32(v, 0, UINT32_MAX, &mb))
				ret = usage_err(a, "--memory: '%s' is not a size in MiB", v);
			if (ret == 0)
				json_object_set_new(args, "memory", json_integer(mb));
		} else if (opt_value(a, "--cpus", &v, &ret)) {
			ret = ret ?: cpus_build(a, v, args);
		} else if (opt_value(a, "--cmd", &v, &ret)) {
			if (ret == 0)
				json_object_set_new(args, "cmd", json_string(v));
		} else if (opt_value(a, "--nic", &v, &ret)) {
			ret = ret ?: nic_build(a, v, nics);
		} else if (a->argv[a->i][0] == '-' && a->argv[a->i][1] == '-') {
			ret = usage_err(a, "unknown option %s", a->argv[a->i]);
		} else if (name) {
			ret = usage_err(a, "unexpected argument '%s'", a->argv[a->i]);
		} else {
			name = a->argv[a->i++];
		}
	}
	if (ret)
		return ret;
	if (name == NULL)
		return usage_err(a, "%s", "a partition NAME is required");
	if (json_object_get(args, "memory") == NULL)
		return usage_err(a, "%s", "--memory MB is required");
	json_object_set_new(args, "name", json_string(name));
	return 0;
}

static int stop_build(struct args *a, json_t *args, unsigned int *wait_s)
{
	const char *v, *name = NULL;
	uint32_t t = VMM_STOP_TIMEOUT_DEFAULT;
	int ret = 0;

	while (a->i < a->argc && ret == 0) {
		if (opt_value(a, "--timeout", &v, &ret)) {
			if (ret == 0 && vsw_parse_u32(v, 0, VMM_STOP_TIMEOUT_MAX, &t))
				ret = usage_err(a, "--timeout: '%s' is not 0-3600 seconds", v);
			if (ret == 0)
				json_object_set_new(args, "timeout", json_integer(t));
		} else if (a->argv[a->i][0] == '-' && a->argv[a->i][1] == '-') {
			ret = usage_err(a, "unknown option %s", a->argv[a->i]);
		} else if (name) {
			ret = usage_err(a, "unexpected argument '%s'", a->argv[a->i]);
		} else {
			name = a->argv[a->i++];
		}
	}
	if (ret)
		return ret;
	if (name == NULL)
		return usage_err(a, "%s", "a partition NAME is required");
	json_object_set_new(args, "name", json_string(name));
	/* the reply comes once the partition is gone: SIGKILL at the timeout, then reaping */
	*wait_s = t + VMMCTL_IO_TIMEOUT_S;
	return 0;
}

/* Commands with exactly 'n_pos' positional arguments (0 or a NAME). */
static int positional_build(struct args *a, json_t *args, int n_pos)
{
	if (a->argc - a->i != n_pos)
		return usage_err(a, "%s",
			n_pos ? "expected exactly one partition NAME" : "takes no arguments");
	if (n_pos)
		json_object_set_new(args, "name", json_string(a->argv[a->i]));
	return 0;
}

int vmm_ctl_build(
	int argc, char **argv, json_t **req, unsigned int *wait_s, char *err, size_t errlen)
{
	struct args a = {.argc = argc, .argv = argv, .i = 1, .err = err, .errlen = errlen};
	const char *cmd = argv[0];
	json_t *args = json_object();
	int ret;

	if (args == NULL)
		return -ENOMEM;
	*wait_s = VMMCTL_IO_TIMEOUT_S;
	if (strcmp(cmd, "create") == 0)
		ret = create_build(&a, args);
	else if (strcmp(cmd, "stop") == 0)
		ret = stop_build(&a, args, wait_s);
	else if (!strcmp(cmd, "start") || !strcmp(cmd, "kill") || !strcmp(cmd, "delete") ||
		 !strcmp(cmd, "show"))
		ret = positional_build(&a, args, 1);
	else if (!strcmp(cmd, "list") || !strcmp(cmd, "version"))
		ret = positional_build(&a, args, 0);
	else
		ret = usage_err(&a, "unknown command '%s' (see vmmctl --help)", cmd);
	if (ret) {
		json_decref(args);
		return ret;
	}
	*req = json_pack("{s:s, s:o}", "cmd", cmd, "args", args);
	return *req ? 0 : -ENOMEM;
}
