/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The bundled hypervisor (vmmd): process partitions (DESIGN.md decision 2).
 *
 * A partition is a sandboxed process tree (own net/mount/PID/UTS/IPC/cgroup namespaces, cgroup
 * memory/CPU/pids limits, a seccomp filter) whose "guest physical memory" is a sealed memfd. Its
 * PID 1 is vsw-guest-init (guest-drivers/), which receives the memfd as fd 3 and its end of the
 * partition's VMBus message socket as fd 4.
 *
 * This header is the component API: partition definitions and their validation, the event loop
 * the VMBus server registers its fds with, and the per-partition state it attaches to.
 * Everything runs on vmmd's single thread unless a comment says otherwise.
 */
#ifndef VSW_VMM_H
#define VSW_VMM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <jansson.h>

#define VMM_NAME_SIZE 16      /* vsw_name_is_valid names: at most 15 characters */
#define VMM_MAX_NICS 8	      /* NICs per partition */
#define VMM_CMD_MAX 4096      /* bytes of a partition's command line, NUL included */
#define VMM_MEMORY_MIN_MB 16u /* guest memory bounds, MiB */
#define VMM_MEMORY_MAX_MB 65536u
#define VMM_CPUS_MIN_CENTI 1u	    /* --cpus 0.01 */
#define VMM_CPUS_MAX_CENTI 102400u  /* what a configuration file may hold (1024 CPUs) */
#define VMM_STOP_TIMEOUT_DEFAULT 10 /* seconds between SIGTERM and SIGKILL */
#define VMM_STOP_TIMEOUT_MAX 3600

/* One virtual NIC: the vswitchd instance and port it attaches to, and its MAC address. */
#define VMM_MAX_QUEUES 16 /* channels per NIC (primary + subchannels), `queues=` */
struct vmm_nic {
	char sw[VMM_NAME_SIZE];	  /* vswitchd instance name (its --name) */
	char port[VMM_NAME_SIZE]; /* port name on that switch */
	uint8_t mac[6];		  /* unicast, non-zero */
	uint32_t queues; /* 1..VMM_MAX_QUEUES channels offered at most; 1: no subchannels */
	bool guest_uio;		  /* guest=uio: presented as uio_hv_generic (DESIGN.md decision 12) */
};

/* A partition definition: what `vmmctl create` gives and the configuration file keeps. */
struct vmm_part_config {
	char name[VMM_NAME_SIZE]; /* also the partition's hostname */
	uint32_t memory_mb;	  /* guest memory (memfd) size, VMM_MEMORY_MIN_MB..MAX */
	uint32_t cpus_centi;	  /* CPU limit in hundredths of a CPU; 0 = no limit */
	char cmd[VMM_CMD_MAX];	  /* run by /bin/sh -c inside; "" = none (init just waits) */
	unsigned int n_nics;
	struct vmm_nic nics[VMM_MAX_NICS];
};

/* ---- definitions: parsing and validation (spec.c) ---- */

/* Parse "xx:xx:xx:xx:xx:xx" (hex, either case, exactly 17 characters). Returns 0 or -EINVAL. */
int vmm_mac_parse(const char *s, uint8_t mac[6]);

/* Format as lower-case "xx:xx:xx:xx:xx:xx" into 'buf' (at least 18 bytes). */
void vmm_mac_format(const uint8_t mac[6], char *buf);

/*
 * Parse a CPU limit "N", "N.N" or "N.NN" into hundredths of a CPU, within
 * [VMM_CPUS_MIN_CENTI, max_centi]. Returns 0, -EINVAL (syntax, more than two decimals) or -ERANGE.
 */
int vmm_cpus_parse(const char *s, uint32_t max_centi, uint32_t *centi);

/* Format hundredths of a CPU as "1.5", "0.01", "2" into 'buf' (at least 16 bytes). */
void vmm_cpus_format(uint32_t centi, char *buf, size_t size);

/*
 * Parse a NIC spec "switch=SW,mac=MAC,port=PORT[,guest=netvsc|uio]" (keys in any order, each at
 * most once, the first three required) into 'nic'. On error returns -EINVAL and a message in 'err'; 'nic' may be partly set.
 */
int vmm_nic_spec_parse(const char *spec, struct vmm_nic *nic, char *err, size_t errlen);

/*
 * Build and validate a definition from its JSON form
 *   {"name": s, "memory": MiB, "cpus": number|null, "cmd": s|null, "nics": [{"switch", "mac",
 *    "port"}, ...]}
 * 'max_cpus_centi' bounds "cpus" (the host's CPUs at create, VMM_CPUS_MAX_CENTI when loading a
 * file). Unknown keys are refused. Returns 0 or -EINVAL/-ERANGE with a message in 'err'.
 */
int vmm_part_config_from_json(
	json_t *j, uint32_t max_cpus_centi, struct vmm_part_config *cfg, char *err, size_t errlen);

/* The JSON form above (new reference); NULL on allocation failure. */
json_t *vmm_part_config_to_json(const struct vmm_part_config *cfg);

/* ---- the configuration file (config.c) ---- */

/*
 * Load the definitions from 'path' into a malloc'ed array '*cfgs' of '*n' entries (the caller
 * frees it). A missing file gives 0 entries. Anything else that is not a valid version-1 vmmd
 * file (bad JSON, bad entry, duplicate name) is refused as a whole: -EINVAL with a message in
 * 'err'. Other errors: -errno from reading, -ENOMEM.
 */
int vmm_config_load(
	const char *path, struct vmm_part_config **cfgs, unsigned int *n, char *err, size_t errlen);

/* Serialise 'n' definitions (new string, caller frees; NULL on allocation failure). */
char *vmm_config_dump(const struct vmm_part_config *const *cfgs, unsigned int n);

/* ---- cgroup limit values (cgroup.c) ---- */

/*
 * Bytes reserved above the guest memory for the partition's processes (vsw-guest-init and the
 * command with its children): the memory limit is memory_mb MiB + this.
 */
#define VMM_MEMORY_ALLOWANCE_MB 64u
#define VMM_CPU_PERIOD_US 100000u /* CFS period for the CPU limit */
#define VMM_PIDS_MAX 1024u	  /* processes + threads in one partition */

/* The memory limit in bytes for a guest of 'memory_mb' MiB. */
uint64_t vmm_cgroup_memory_limit(uint32_t memory_mb);

/* cgroup v2 cpu.max for a CPU limit: "QUOTA PERIOD", or "max PERIOD" for 0 (no limit).
 * Returns the length or -ENOSPC. */
int vmm_cgroup_cpu_max_format(uint32_t cpus_centi, char *buf, size_t size);

/* cgroup v1 cpu.cfs_quota_us for a CPU limit: microseconds per VMM_CPU_PERIOD_US, or -1. */
long vmm_cgroup_cfs_quota(uint32_t cpus_centi);

/* ---- the event loop (loop.c): the VMBus server's attachment point ---- */

struct vmm_loop;
struct vmm_daemon;

/* Called on the loop thread when 'fd' has 'events' (EPOLLIN, EPOLLHUP...). It may add or delete
 * any watch, its own included. */
typedef void (*vmm_fd_cb)(int fd, uint32_t events, void *arg);

/* Create an epoll loop. NULL with errno set on failure. */
struct vmm_loop *vmm_loop_create(void);
/* Free the loop; remaining watches are dropped (their fds are not closed). NULL is a no-op. */
void vmm_loop_destroy(struct vmm_loop *loop);

/* Watch 'fd' for 'events' (EPOLLIN, EPOLLOUT...): 'cb(fd, events, arg)' is called from
 * vmm_loop_run_once(). One watch per fd. Returns 0, -EEXIST, -ENOMEM or -errno of epoll_ctl. */
int vmm_loop_add(struct vmm_loop *loop, int fd, uint32_t events, vmm_fd_cb cb, void *arg);
/* Stop watching 'fd' (before closing it). Returns 0 or -ENOENT. */
int vmm_loop_del(struct vmm_loop *loop, int fd);

/* Wait at most 'timeout_ms' (-1: forever) and dispatch what is ready. Returns the number of
 * callbacks run or -errno. */
int vmm_loop_run_once(struct vmm_loop *loop, int timeout_ms);

/* ---- running partitions (partition.c) ---- */

enum vmm_part_state {
	VMM_PART_DEFINED, /* not started since vmmd started */
	VMM_PART_RUNNING, /* PID 1 alive (also while a stop is in progress) */
	VMM_PART_STOPPED, /* PID 1 exited by itself or after stop/kill */
	VMM_PART_FAILED,  /* start failed, or PID 1 killed by a signal vmmd did not send */
	VMM_PART_STATE_COUNT,
};

const char *vmm_part_state_name(enum vmm_part_state s);

/* A NIC's port on its vswitchd (switch_port.c): added at start, deleted with the partition. */
enum vmm_port_state {
	VMM_PORT_NONE,	   /* not asked yet */
	VMM_PORT_ADDING,   /* add-port sent, no answer yet */
	VMM_PORT_ATTACHED, /* the port exists with our devargs */
	VMM_PORT_ERROR,	   /* vswitchd unreachable or refused: see error */
};

struct vmm_swreq;
struct vmm_vmbus;

struct vmm_port_status {
	enum vmm_port_state state;
	char error[160];	/* why, for VMM_PORT_ERROR */
	bool retry;		/* the error is vswitchd being away: add-port is retried */
	struct vmm_swreq *req;	/* request under way (switch_port.c), or NULL */
};

/*
 * A partition. Owned by the daemon (list in struct vmm_daemon); the fields below are what later
 * components (the VMBus server) read. The memfd and the message socket exist while RUNNING.
 */
struct vmm_part {
	struct vmm_part_config cfg; /* definition; NICs are cfg.nics[0..n_nics) */
	enum vmm_part_state state;

	/* resources of a running partition (-1 / 0 when not running) */
	pid_t pid;	   /* PID 1 of the partition, as seen from vmmd */
	int pidfd;	   /* watched by the loop: readable when PID 1 exits */
	int memfd;	   /* guest memory: cfg.memory_mb MiB, sealed against shrink/grow */
	int msg_fd;	   /* daemon end of the SOCK_SEQPACKET VMBus message channel */
	int kill_timer;	   /* timerfd armed by a stop: SIGKILL when it fires */
	bool stopping;	   /* vmmd sent SIGTERM/SIGKILL: the exit is expected */
	time_t start_time; /* wall clock at the last start */

	/* outcome of the last run */
	int exit_code;	 /* exit status of PID 1, or -1 */
	int exit_signal; /* signal that killed PID 1, or 0 */
	char error[160]; /* why the last start failed, "" otherwise */

	struct vmm_vmbus *vmbus; /* VMBus server while running (vmbus_server.h), else NULL */
	struct vmm_port_status ports[VMM_MAX_NICS]; /* per NIC: its vswitchd port */

	struct vmm_daemon *daemon; /* owner */
	struct vmm_part *next;
};

#endif
