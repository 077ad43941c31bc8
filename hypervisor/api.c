/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control requests: {"cmd": NAME, "args": {...}} -> result, status (positive errno) and message.
 * A refused request changes nothing.
 */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vmbus_server.h"
#include "vsw/ctl.h"
#include "vsw_util.h"

static json_t *int_or_null(bool present, json_int_t v)
{
	return present ? json_integer(v) : json_null();
}

static json_t *cgroups_json(struct vmm_daemon *d, const struct vmm_part *p)
{
	static const char *const keys[] = {"memory", "cpu", "pids"};
	char path[VMM_PATH_SIZE];
	json_t *j;
	int c;

	j = json_pack("{s:i}", "version", d->cgroups.version);
	for (c = 0; j && c < VMM_CG_COUNT; c++) {
		if (vmm_cgroup_path(&d->cgroups, (enum vmm_cgroup_ctrl)c, p->cfg.name, path,
			    sizeof(path)) == 0)
			json_object_set_new(j, keys[c], json_string(path));
	}
	return j;
}

/* What list and show have in common. */
static json_t *part_summary(const struct vmm_part *p)
{
	bool running = p->state == VMM_PART_RUNNING;

	return json_pack("{s:s, s:s, s:o, s:i, s:o, s:i, s:o, s:o}", "name", p->cfg.name, "state",
		vmm_part_state_name(p->state), "pid", int_or_null(running, p->pid), "memory",
		(json_int_t)p->cfg.memory_mb, "cpus",
		p->cfg.cpus_centi ? json_real(p->cfg.cpus_centi / 100.0) : json_null(), "n_nics",
		(json_int_t)p->cfg.n_nics, "exit_code",
		int_or_null(!running && p->exit_code >= 0, p->exit_code), "exit_signal",
		int_or_null(!running && p->exit_signal > 0, p->exit_signal));
}

/* Per NIC (same order as "nics"): its vmbus-user socket and its port on vswitchd. */
static json_t *ports_json(struct vmm_daemon *d, const struct vmm_part *p)
{
	char path[VMM_PATH_SIZE + 64];
	json_t *a = json_array();
	unsigned int i;

	for (i = 0; a && i < p->cfg.n_nics; i++) {
		const struct vmm_port_status *st = &p->ports[i];

		vmm_nic_socket_path(d, p, i, path, sizeof(path));
		json_array_append_new(a, json_pack("{s:s, s:s, s:o}", "socket", path, "state",
						 vmm_port_state_name(st->state), "error",
						 st->state == VMM_PORT_ERROR ? json_string(st->error)
									     : json_null()));
	}
	return a;
}

/* The VMBus server of a running partition, with its NICs' channels. */
static json_t *vmbus_json(const struct vmm_vmbus *vb)
{
	json_t *j = vmm_vmbus_json(vb), *a = json_array();
	unsigned int i;

	for (i = 0; a && i < vb->n_nics; i++)
		json_array_append_new(a, vmm_vmbus_nic_json(vb, i));
	if (j)
		json_object_set_new(j, "nics", a ? a : json_null());
	else
		json_decref(a);
	return j;
}

json_t *vmm_api_part_show(struct vmm_daemon *d, const struct vmm_part *p)
{
	char log[VMM_PATH_SIZE + VMM_NAME_SIZE + 8], path[VMM_PATH_SIZE];
	bool running = p->state == VMM_PART_RUNNING;
	json_t *j = part_summary(p), *def;

	def = vmm_part_config_to_json(&p->cfg);
	if (j == NULL || def == NULL) {
		json_decref(def);
		json_decref(j);
		return NULL;
	}
	json_object_set(j, "cmd", json_object_get(def, "cmd"));
	json_object_set(j, "nics", json_object_get(def, "nics"));
	json_decref(def);
	json_object_set_new(j, "ports", ports_json(d, p));
	json_object_set_new(j, "vmbus", p->vmbus ? vmbus_json(p->vmbus) : json_null());
	vmm_part_log_path(d, p, log, sizeof(log));
	json_object_set_new(j, "log", json_string(log));
	json_object_set_new(j, "start_time", int_or_null(p->start_time != 0, p->start_time));
	json_object_set_new(
		j, "memfd_size", int_or_null(running, (json_int_t)p->cfg.memory_mb << 20));
	if (running &&
		vmm_cgroup_path(&d->cgroups, VMM_CG_MEMORY, p->cfg.name, path, sizeof(path)) == 0) {
		json_object_set_new(j, "cgroup", json_string(path));
		json_object_set_new(j, "cgroups", cgroups_json(d, p));
	} else {
		json_object_set_new(j, "cgroup", json_null());
		json_object_set_new(j, "cgroups", json_null());
	}
	json_object_set_new(j, "error", p->error[0] ? json_string(p->error) : json_null());
	return j;
}

/* ---- handlers ---- */

struct req {
	struct vmm_daemon *d;
	json_t *args;
	char *err;
	size_t errlen;
	struct vmm_part **wait_for;
};

static int refuse(struct req *r, int status, const char *fmt, const char *name)
{
	snprintf(r->err, r->errlen, fmt, name);
	return status;
}

/* The partition named by args.name, or a refusal. */
static struct vmm_part *part_arg(struct req *r, int *status)
{
	const char *name = json_string_value(json_object_get(r->args, "name"));
	struct vmm_part *p;

	if (name == NULL) {
		*status = refuse(r, EINVAL, "%s", "a partition name is required");
		return NULL;
	}
	p = vmm_part_lookup(r->d, name);
	if (p == NULL)
		*status = refuse(r, ENOENT, "no partition named '%s'", name);
	return p;
}

/* A NIC port may belong to one partition only. */
static int port_conflict(struct req *r, const struct vmm_part_config *cfg)
{
	const struct vmm_part *p;
	unsigned int i, k;

	for (p = r->d->parts; p; p = p->next) {
		for (i = 0; i < cfg->n_nics; i++) {
			for (k = 0; k < p->cfg.n_nics; k++) {
				if (strcmp(cfg->nics[i].sw, p->cfg.nics[k].sw) == 0 &&
					strcmp(cfg->nics[i].port, p->cfg.nics[k].port) == 0) {
					snprintf(r->err, r->errlen,
						"port %s on switch %s belongs to "
						"partition %s",
						cfg->nics[i].port, cfg->nics[i].sw, p->cfg.name);
					return EEXIST;
				}
			}
		}
	}
	return 0;
}

static int save_or_report(struct req *r)
{
	int ret = vmm_daemon_save(r->d);

	if (ret)
		snprintf(r->err, r->errlen, "cannot write the configuration %s: %s",
			r->d->opts->config_path, strerror(-ret));
	return -ret;
}

static json_t *cmd_create(struct req *r, int *status)
{
	struct vmm_part_config cfg;
	struct vmm_part *p;
	int ret;

	ret = vmm_part_config_from_json(r->args, r->d->max_cpus_centi, &cfg, r->err, r->errlen);
	if (ret) {
		*status = -ret;
		return NULL;
	}
	if (vmm_part_lookup(r->d, cfg.name)) {
		*status = refuse(r, EEXIST, "partition '%s' already exists", cfg.name);
		return NULL;
	}
	*status = port_conflict(r, &cfg);
	if (*status)
		return NULL;
	ret = vmm_part_add(r->d, &cfg);
	if (ret) {
		*status = refuse(r, -ret, "%s", strerror(-ret));
		return NULL;
	}
	p = vmm_part_lookup(r->d, cfg.name);
	*status = save_or_report(r);
	if (*status) {
		vmm_part_del(r->d, p);
		return NULL;
	}
	VMM_LOG(NOTICE, "partition %s: created (%u MiB, %u NICs)", cfg.name, cfg.memory_mb,
		cfg.n_nics);
	return vmm_api_part_show(r->d, p);
}

static json_t *cmd_start(struct req *r, int *status)
{
	struct vmm_part *p = part_arg(r, status);
	int ret;

	if (p == NULL)
		return NULL;
	if (p->state == VMM_PART_RUNNING) {
		*status = refuse(r, EBUSY, "partition '%s' is already running", p->cfg.name);
		return NULL;
	}
	if (r->d->quit) {
		*status = refuse(r, ESHUTDOWN, "%s", "vmmd is shutting down");
		return NULL;
	}
	ret = vmm_part_start(r->d, p, r->err, r->errlen);
	if (ret) {
		*status = -ret;
		return NULL;
	}
	return vmm_api_part_show(r->d, p);
}

static json_t *stop_or_kill(struct req *r, int *status, bool kill)
{
	struct vmm_part *p = part_arg(r, status);
	json_t *jt = json_object_get(r->args, "timeout");
	json_int_t timeout = VMM_STOP_TIMEOUT_DEFAULT;
	int ret;

	if (p == NULL)
		return NULL;
	if (jt && !kill) {
		if (!json_is_integer(jt) || json_integer_value(jt) < 0 ||
			json_integer_value(jt) > VMM_STOP_TIMEOUT_MAX) {
			*status = refuse(r, EINVAL, "timeout: 0-%s seconds", "3600");
			return NULL;
		}
		timeout = json_integer_value(jt);
	}
	if (p->state != VMM_PART_RUNNING) {
		*status = refuse(r, EINVAL, "partition '%s' is not running", p->cfg.name);
		return NULL;
	}
	ret = vmm_part_stop(r->d, p, kill ? 0 : (unsigned int)timeout);
	if (ret) {
		snprintf(r->err, r->errlen, "cannot signal partition %s: %s", p->cfg.name,
			strerror(-ret));
		*status = -ret;
		return NULL;
	}
	*r->wait_for = p;
	return NULL;
}

static json_t *cmd_stop(struct req *r, int *status)
{
	return stop_or_kill(r, status, false);
}

static json_t *cmd_kill(struct req *r, int *status)
{
	return stop_or_kill(r, status, true);
}

static json_t *cmd_delete(struct req *r, int *status)
{
	struct vmm_part *p = part_arg(r, status), *prev, **pp;

	if (p == NULL)
		return NULL;
	if (p->state == VMM_PART_RUNNING) {
		*status = refuse(r, EBUSY, "partition '%s' is running; stop it first", p->cfg.name);
		return NULL;
	}
	/* unlink, save, and only then free: a failed save puts it back where it was */
	prev = NULL;
	for (pp = &r->d->parts; *pp != p; pp = &(*pp)->next)
		prev = *pp;
	*pp = p->next;
	r->d->n_parts--;
	*status = save_or_report(r);
	if (*status) {
		p->next = prev ? prev->next : r->d->parts;
		if (prev)
			prev->next = p;
		else
			r->d->parts = p;
		r->d->n_parts++;
		return NULL;
	}
	VMM_LOG(NOTICE, "partition %s: deleted", p->cfg.name);
	vmm_swport_detach(r->d, p);
	free(p);
	return json_object();
}

static json_t *cmd_list(struct req *r, int *status)
{
	json_t *a = json_array();
	struct vmm_part *p;

	for (p = r->d->parts; a && p; p = p->next)
		json_array_append_new(a, part_summary(p));
	return a;
}

static json_t *cmd_show(struct req *r, int *status)
{
	struct vmm_part *p = part_arg(r, status);

	return p ? vmm_api_part_show(r->d, p) : NULL;
}

static json_t *cmd_version(struct req *r, int *status)
{
	return json_pack("{s:s, s:i}", "vmmd", VMM_VERSION, "protocol", VSW_CTL_VERSION);
}

static const struct {
	const char *name;
	json_t *(*fn)(struct req *r, int *status);
} cmds[] = {
	{"create", cmd_create},
	{"start", cmd_start},
	{"stop", cmd_stop},
	{"kill", cmd_kill},
	{"delete", cmd_delete},
	{"list", cmd_list},
	{"show", cmd_show},
	{"version", cmd_version},
};

json_t *vmm_api_handle(struct vmm_daemon *d, json_t *reqj, int *status, char *err, size_t errlen,
	struct vmm_part **wait_for)
{
	const char *cmd = json_string_value(json_object_get(reqj, "cmd"));
	struct req r = {.d = d, .err = err, .errlen = errlen, .wait_for = wait_for};
	unsigned int i;

	*status = 0;
	*wait_for = NULL;
	r.args = json_object_get(reqj, "args");
	if (r.args == NULL)
		r.args = json_object();
	else
		json_incref(r.args);
	if (!json_is_object(r.args)) {
		json_decref(r.args);
		*status = EINVAL;
		snprintf(err, errlen, "'args' must be an object");
		return NULL;
	}
	for (i = 0; cmd && i < VSW_ARRAY_SIZE(cmds); i++) {
		if (strcmp(cmds[i].name, cmd) == 0) {
			json_t *result = cmds[i].fn(&r, status);

			json_decref(r.args);
			if (*status == 0 && result == NULL && *wait_for == NULL) {
				*status = ENOMEM;
				snprintf(err, errlen, "out of memory");
			}
			return result;
		}
	}
	json_decref(r.args);
	*status = EOPNOTSUPP;
	snprintf(err, errlen, "unknown command '%s'", cmd ? cmd : "");
	return NULL;
}
