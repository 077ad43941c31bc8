/* SPDX-License-Identifier: BSD-3-Clause */
/* Private to hypervisor/: the daemon, its control server, cgroups, the sandbox. */
#ifndef VSW_VMM_INTERNAL_H
#define VSW_VMM_INTERNAL_H

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>

#include "vmm.h"

#define VMM_PATH_SIZE 512
#define VMM_VERSION "0.1.0"

/* ---- logging (log.c): stderr, one line per message, with a timestamp ---- */

enum vmm_log_level { VMM_LOG_ERR, VMM_LOG_WARNING, VMM_LOG_NOTICE, VMM_LOG_INFO, VMM_LOG_DEBUG };

extern enum vmm_log_level vmm_log_level;

void vmm_log(enum vmm_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define VMM_LOG(level, fmt, ...) vmm_log(VMM_LOG_##level, fmt, ##__VA_ARGS__)

/* ---- vmmd options (opts.c) ---- */

struct vmm_opts {
	char name[VMM_NAME_SIZE];	 /* instance name: default paths, cgroup vmmd-NAME */
	char socket_path[VMM_PATH_SIZE]; /* control socket */
	char config_path[VMM_PATH_SIZE]; /* partition definitions */
	char state_dir[VMM_PATH_SIZE];	 /* per-partition logs PART.log, vmbus-user sockets */
	char switch_dir[VMM_PATH_SIZE];	 /* vswitchd control sockets DIR/SW.sock */
	char guest_init[VMM_PATH_SIZE];	 /* vsw-guest-init; "" = next to vmmd */
	char pidfile[VMM_PATH_SIZE];
	char log_file[VMM_PATH_SIZE];
	bool detach;
	bool verbose;
};

/* Parse vmmd's command line. Returns 0, 1 when --help was printed, or -EINVAL after printing
 * the reason on stderr. */
int vmm_opts_parse(int argc, char **argv, struct vmm_opts *o);

/* ---- cgroups (cgroup.c) ---- */

enum vmm_cgroup_ctrl { VMM_CG_MEMORY, VMM_CG_CPU, VMM_CG_PIDS, VMM_CG_COUNT };

/* Mount points found in /proc/self/mountinfo ("" = absent). */
struct vmm_cgroup_mounts {
	char v2[VMM_PATH_SIZE];
	char v1_memory[VMM_PATH_SIZE];
	char v1_cpu[VMM_PATH_SIZE];
	char v1_pids[VMM_PATH_SIZE];
};

/* The hierarchy vmmd uses. For v2 the three roots are the same directory. */
struct vmm_cgroup_sys {
	int version;		    /* 2 or 1 */
	bool has_pids;		    /* pids controller available */
	char memory[VMM_PATH_SIZE]; /* hierarchy roots */
	char cpu[VMM_PATH_SIZE];
	char pids[VMM_PATH_SIZE];
	char group[VMM_NAME_SIZE + 8]; /* "vmmd-<daemon name>" */
	int lock_fd;		       /* flock'ed daemon directory: one vmmd per name */
};

/* Find the cgroup mounts in the text of a mountinfo file. Returns 0 or -ENOENT (none). */
int vmm_cgroup_mounts_parse(const char *mountinfo, struct vmm_cgroup_mounts *m);
/* Pick the hierarchy (v2 with memory+cpu, else v1). Returns 0 or -errno with 'err' set. */
int vmm_cgroup_sys_init(
	struct vmm_cgroup_sys *sys, const char *daemon_name, char *err, size_t errlen);
/* Create the daemon's directory and take its lock, so that two vmmd of the same name never manage
 * (or sweep) each other's partitions. Returns 0, -EBUSY (another vmmd holds it) or -errno. */
int vmm_cgroup_lock(struct vmm_cgroup_sys *sys);
/* Remove partition cgroups a killed vmmd of the same name left behind (killing what is still in
 * them: the partitions of that vmmd). */
void vmm_cgroup_sweep(const struct vmm_cgroup_sys *sys);
/* Remove the daemon's vmmd-NAME directories (if empty) and drop the lock; nothing if the lock
 * was not taken. */
void vmm_cgroup_sys_fini(const struct vmm_cgroup_sys *sys);
/* Path of a partition's directory for controller 'c' ('part' NULL: the daemon's directory).
 * Returns 0, -ENOENT (controller not available) or -ENAMETOOLONG. */
int vmm_cgroup_path(const struct vmm_cgroup_sys *sys, enum vmm_cgroup_ctrl c, const char *part,
	char *buf, size_t size);
/* Create the partition's cgroup(s) and write its limits. 0 or -errno with 'err' set (nothing
 * left behind). */
int vmm_cgroup_create(const struct vmm_cgroup_sys *sys, const struct vmm_part_config *cfg,
	char *err, size_t errlen);
/* Move 'pid' into the partition's cgroup(s). 0 or -errno. */
int vmm_cgroup_attach(const struct vmm_cgroup_sys *sys, const char *part, pid_t pid);
/* Kill what is left in the partition's cgroup(s) and remove them (bounded wait). 0 or -errno. */
int vmm_cgroup_destroy(const struct vmm_cgroup_sys *sys, const char *part);

/* ---- the sandbox's syscall filter (seccomp.c) ---- */

/* Install the partition filter in the calling process (the partition's first process, right
 * before exec). Returns 0 or -errno. */
int vmm_seccomp_install(void);

/* ---- the daemon (daemon.c, partition.c) ---- */

struct vmm_server;

struct vmm_daemon {
	const struct vmm_opts *opts;
	struct vmm_loop *loop;
	struct vmm_server *server;
	struct vmm_cgroup_sys cgroups;
	char guest_init[VMM_PATH_SIZE]; /* resolved path of vsw-guest-init */
	uint32_t max_cpus_centi;	/* online CPUs x 100: bound of --cpus at create */
	struct vmm_part *parts;		/* all partitions, in creation order */
	struct vmm_swreq *swreqs;	/* control requests to vswitchds under way */
	int swretry_fd;			/* timerfd retrying add-ports while armed, else -1 */
	bool swretry_armed;
	unsigned int n_parts;
	bool quit;
};

struct vmm_part *vmm_part_lookup(struct vmm_daemon *d, const char *name);
/* Add a stopped partition for 'cfg' (the caller validated it). */
int vmm_part_add(struct vmm_daemon *d, const struct vmm_part_config *cfg);
/* Remove a partition that is not running. */
void vmm_part_del(struct vmm_daemon *d, struct vmm_part *p);
/* Write the configuration file from the current definitions. 0 or -errno. */
int vmm_daemon_save(struct vmm_daemon *d);

/* Start: memfd, message socket, cgroup, namespaces, seccomp, exec of vsw-guest-init. On failure
 * the partition is FAILED, its reason in p->error and 'err'. Returns 0 or -errno. */
int vmm_part_start(struct vmm_daemon *d, struct vmm_part *p, char *err, size_t errlen);
/* SIGTERM now and SIGKILL after 'timeout_s' (0: SIGKILL now). The exit is seen by the loop. */
int vmm_part_stop(struct vmm_daemon *d, struct vmm_part *p, unsigned int timeout_s);
/* Stop every running partition and wait for them (at most 'timeout_s' before SIGKILL). */
void vmm_part_stop_all(struct vmm_daemon *d, unsigned int timeout_s);

/* Path of a partition's stdout/stderr log. */
void vmm_part_log_path(
	const struct vmm_daemon *d, const struct vmm_part *p, char *buf, size_t size);

/* ---- NIC ports on vswitchd (switch_port.c) ---- */

#define VMM_SWITCH_DIR_DEFAULT "/run/vswitchd"
#define VMM_SWREQ_TIMEOUT_MS 5000
#define VMM_SWREQ_RETRY_S 2 /* add-port retry period while a vswitchd is away */

/* Path of NIC 'index''s vmbus-user socket: STATE_DIR/PARTITION.INDEX.vmbus. */
void vmm_nic_socket_path(const struct vmm_daemon *d, const struct vmm_part *p, unsigned int index,
	char *buf, size_t size);
/* Ask each NIC's vswitchd to add-port it (netvsc,socket=...), without waiting: the outcome lands
 * in p->ports[]. An unreachable vswitchd is recorded there, logged once, and retried every
 * VMM_SWREQ_RETRY_S seconds while the partition runs. */
void vmm_swport_attach(struct vmm_daemon *d, struct vmm_part *p);
/* Ask each NIC's vswitchd to del-port it (partition deleted); forgets 'p' in requests under way. */
void vmm_swport_detach(struct vmm_daemon *d, struct vmm_part *p);
/* Abandon every request under way (vmmd exits). */
void vmm_swport_fini(struct vmm_daemon *d);
const char *vmm_port_state_name(enum vmm_port_state s);

/* ---- control server (server.c) and request handlers (api.c) ---- */

int vmm_server_open(struct vmm_daemon *d, struct vmm_server **out);
void vmm_server_close(struct vmm_server *s);
/* A partition's PID 1 was reaped: answer the clients that wait for it (stop, kill). */
void vmm_server_part_exited(struct vmm_server *s, const struct vmm_part *p);

/* Handle one request. Returns the result (new reference, may be NULL) and sets '*status' to 0 or a
 * positive errno with a message in 'err'. '*wait_for' is set to a partition when the reply must
 * wait until that partition's PID 1 has exited (the result is then built at that time). */
json_t *vmm_api_handle(struct vmm_daemon *d, json_t *req, int *status, char *err, size_t errlen,
	struct vmm_part **wait_for);
/* The "show" object of a partition. */
json_t *vmm_api_part_show(struct vmm_daemon *d, const struct vmm_part *p);

#endif
