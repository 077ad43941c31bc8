/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private to hypervisor/: the VMBus server of a process partition (DESIGN.md decisions 2-4).
 *
 *  - vmbus_server.c: the partition's message channel (include/vsw/proto/hv_msg.h): datagrams in,
 *    validation, the connection state machine (version, offers, unload), error counters, resets;
 *  - vmbus_chan.c:   one NIC's channel: GPADLs, open, close, teardown, rescind and re-offer;
 *  - vmbus_user.c:   the vmbus-user server of one NIC (include/vsw/proto/vmbus_user.h): listening
 *                    socket, one vswitchd connection, the queue of requests gated on replies;
 *  - vmbus_json.c:   the "vmbus" part of `vmmctl show`.
 *
 * Nothing here knows the daemon: a struct vmm_vmbus is built from plain parameters, so unit
 * tests and the fuzz target drive it over socketpairs. Everything runs on vmmd's loop thread and
 * never blocks: every socket is non-blocking and work waiting for a peer is kept in state.
 */
#ifndef VSW_VMM_VMBUS_SERVER_H
#define VSW_VMM_VMBUS_SERVER_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "vmbus.h"
#include "vmm.h"

#define VMM_VB_TIMEOUT_MS 5000		 /* vswitchd's reply to a request; HELLO after connect */
#define VMM_VB_MAX_OUT_MSGS 256		 /* H->G messages queued while the guest does not read */
#define VMM_VB_MAX_GPADLS_PER_CHAN 64	 /* complete GPADLs one channel may hold */
#define VMM_VB_MAX_SHARED_PAGES (1280u << 8) /* 1280 MiB of GPADLs per partition (facts 9.3) */
#define VMM_VB_MAX_OPS 512		 /* vmbus-user requests queued per NIC */
#define VMM_VB_REFUSED_HANDLES 8	 /* refused GPADLs whose remaining bodies are dropped */
#define VMM_VB_MSGS_PER_WAKEUP 64	 /* datagrams read per loop callback (fairness) */
#define VMM_VB_LOG_BURST 10		 /* protocol-error log lines per partition per second */
/* Status given to the guest for a refused GPADL or open (NTSTATUS STATUS_UNSUCCESSFUL; Linux
 * only tests for non-zero, facts 4.3). */
#define VMM_VB_STATUS_FAIL 0xc0000001u
#define VMM_VB_CONN_ID_FLAG 0x2000u /* offer connection id = relid | this (SINT 2 << 12) */

/* Guest protocol errors, counted per partition. Those marked (reset) reset the VMBus connection. */
enum vmm_vb_err {
	VMM_VB_ERR_DATAGRAM,	 /* (reset) datagram not HV_MSG_SIZE bytes, or carrying fds */
	VMM_VB_ERR_POST_HEADER,	 /* (reset) HvPostMessage type or payload size invalid */
	VMM_VB_ERR_CONN_ID,	 /* (reset) connection id neither 4 nor the one we returned */
	VMM_VB_ERR_MESSAGE,	 /* (reset) unknown/host-only message type or too short */
	VMM_VB_ERR_STATE,	 /* (reset) message not allowed in the current state */
	VMM_VB_ERR_RELID,	 /* (reset) relid not offered to this partition */
	VMM_VB_ERR_GPADL,	 /* (reset) malformed GPADL, duplicate or unknown handle */
	VMM_VB_ERR_GPADL_REFUSED, /* GPADL answered with a failure status (limits, PFNs) */
	VMM_VB_ERR_OPEN_REFUSED, /* OPENCHANNEL answered with a failure status (bad ring) */
	VMM_VB_ERR_SEND_QUEUE,	 /* (reset) the guest stopped reading host messages */
	VMM_VB_ERR_COUNT,
};

const char *vmm_vb_err_name(enum vmm_vb_err e);

enum vmm_chan_state {
	VMM_CHAN_IDLE,	    /* not offered (no VMBus connection, or before REQUESTOFFERS) */
	VMM_CHAN_OFFERED,   /* offered, closed */
	VMM_CHAN_OPENING,   /* OPENCHANNEL received, OPENCHANNEL_RESULT not sent yet */
	VMM_CHAN_OPEN,	    /* OPENCHANNEL_RESULT(0) sent */
	VMM_CHAN_RESCINDED, /* RESCIND sent, waiting for RELID_RELEASED */
	VMM_CHAN_STATE_COUNT,
};

const char *vmm_chan_state_name(enum vmm_chan_state s);

/* A complete GPADL of a channel. Shared by the channel's list and a GPADL_ADD being sent. */
struct vmm_vb_gpadl {
	struct vmbus_gpadl *g;	   /* relid, handle, range, PFNs (owned) */
	unsigned int refs;	   /* list + requests that still need the PFNs */
	bool listed;		   /* still in the channel's list */
	bool at_switch;		   /* vswitchd acknowledged GPADL_ADD on the current connection */
	bool add_queued;	   /* a GPADL_ADD for it is queued or in flight */
	bool tearing_down;	   /* GPADL_TEARDOWN received, GPADL_TORNDOWN not sent yet */
	struct vmm_vb_gpadl *next; /* channel list */
};

/* A channel: a NIC's primary, or one of its subchannels (offered when vswitchd asks, with the
 * primary's GUIDs and sub_index 1..queues-1, rescinded with the primary, not re-offered on
 * release unless asked again: vmbus_chan.c). */
struct vmm_vb_chan {
	uint32_t relid;	    /* primary: NIC index + 1; subchannels: vmm_vb_sub_relid() */
	uint16_t sub_index; /* 0 primary, 1.. subchannel */
	bool reoffer;	    /* subchannel asked for again while rescinded: offer on release */
	enum vmm_chan_state state;
	bool guest_open;	      /* guest sees it open (OPENCHANNEL_RESULT(0) sent, no close) */
	bool open_queued;	      /* CHAN_OPEN queued or in flight */
	bool at_switch;		      /* vswitchd acknowledged CHAN_OPEN on the current connection */
	struct vmbus_guid instance;   /* offer instance GUID */
	uint32_t open_id;	      /* from OPENCHANNEL */
	uint32_t ring_gpadl;	      /* ring GPADL handle while opening/open */
	uint32_t target_vp;	      /* from OPENCHANNEL / MODIFYCHANNEL */
	uint32_t downstream;	      /* H->G ring's first page in the ring GPADL */
	int signal_fd;		      /* eventfd: guest writes, vswitchd reads (-1: none) */
	int intr_fd;		      /* pipe read end: the guest's interrupt doorbell (-1: none) */
	int intr_host_fd;	      /* its write end, vswitchd's (-1: none); see vmbus_chan.c */
	struct vmm_vb_gpadl *gpadls;  /* complete GPADLs of this relid */
	unsigned int n_gpadls;
	uint64_t gpadl_pages;
	uint32_t n_offers;	      /* offers sent since start (re-offers included) */
	uint32_t n_rescinds;
};

enum vmm_vu_op_type {
	VMM_VU_OP_GPADL_ADD,
	VMM_VU_OP_CHAN_OPEN,
	VMM_VU_OP_CHAN_CLOSE,
	VMM_VU_OP_GPADL_DEL,
	VMM_VU_OP_RESET,
};

/* One request to vswitchd, queued per NIC; only the head is on the wire. */
struct vmm_vu_op {
	enum vmm_vu_op_type type;
	uint32_t relid;
	uint32_t handle;	   /* GPADL_ADD / GPADL_DEL */
	struct vmm_vb_gpadl *gpadl; /* GPADL_ADD: the PFNs (a reference) */
	uint64_t epoch;		   /* VMBus connection epoch it belongs to */
	bool guest_waits;	   /* the guest gets its answer when this completes */
	uint32_t seq;		   /* wire sequence number once sent */
	uint32_t parts_sent;	   /* GPADL_ADD parts on the wire */
	bool sent;		   /* fully on the wire, reply awaited */
	struct vmm_vu_op *next;
};

/* How a request ended. */
enum vmm_vu_result {
	VMM_VU_REPLIED, /* vswitchd replied: see the status */
	VMM_VU_GONE,	/* no vswitchd (disconnected, or never sent): as if none had been there */
	VMM_VU_TIMEOUT, /* no reply in time: the guest gets a failure */
};

/* The vmbus-user server of one NIC. */
struct vmm_vu {
	char path[108];	      /* listening socket ("" when none: tests) */
	int listen_fd;	      /* -1 when none */
	int conn_fd;	      /* the connected vswitchd, -1 when none */
	int timer_fd;	      /* reply / HELLO deadline */
	bool hello_done;      /* HELLO answered: requests may flow */
	bool want_out;	      /* EPOLLOUT watched: a GPADL_ADD is waiting for socket space */
	struct vmm_vu_op *head, *tail;
	unsigned int n_ops;
	uint32_t seq;	      /* last sequence number used */
	int link;	      /* LINK from vswitchd: -1 unknown, 0 down, 1 up */
	uint64_t connects, refused, timeouts, proto_errors;
};

struct vmm_vmbus;

/* A partition NIC: its channels and its vmbus-user server. */
struct vmm_vb_nic {
	unsigned int index;
	struct vmm_nic cfg;
	struct vmm_vb_chan chan;		    /* the primary */
	struct vmm_vb_chan sub[VMM_MAX_QUEUES - 1]; /* sub[i - 1]: subchannel index i */
	struct vmm_vu vu;
	struct vmm_vmbus *vb;
};

/* What a VMBus server is built from. */
struct vmm_vmbus_params {
	const char *name;	 /* partition name (logs, instance GUIDs, socket names) */
	uint64_t mem_size;	 /* guest memory bytes (multiple of 4096) */
	int memfd;		 /* guest memory, passed to vswitchd in the HELLO reply (not owned) */
	int msg_fd;		 /* vmmd's end of the message channel (not owned) */
	const struct vmm_nic *nics;
	unsigned int n_nics;
	const char *sock_dir;	 /* vmbus-user sockets DIR/NAME.INDEX.vmbus; NULL: none (tests) */
	struct vmm_loop *loop;	 /* NULL: nothing is watched (fuzz; callers feed input) */
	unsigned int timeout_ms; /* 0: VMM_VB_TIMEOUT_MS */
};

/* The VMBus server of one running partition. */
struct vmm_vmbus {
	char name[VMM_NAME_SIZE];
	uint64_t mem_pages;
	int memfd, msg_fd;
	struct vmm_loop *loop;
	unsigned int timeout_ms;
	bool msg_watched;	 /* msg_fd registered with the loop */
	bool msg_out;		 /* ... with EPOLLOUT too */
	bool guest_gone;	 /* the guest closed its end */

	/* VMBus connection */
	bool connected;		 /* version negotiated */
	uint32_t version;
	bool offers_requested;
	uint64_t epoch;		 /* bumped by every reset/unload: stale completions are dropped */
	struct vmbus_gpadl_asm *gasm;
	uint64_t shared_pages;	 /* pages in complete GPADLs, all channels */
	uint32_t refused[VMM_VB_REFUSED_HANDLES]; /* handles whose leftover bodies are dropped */
	unsigned int refused_next;
	unsigned int unload_waits; /* RESETs an UNLOAD_RESPONSE still waits for */

	/* H->G messages the guest's socket could not take yet */
	struct vmm_vb_out *out_head, *out_tail;
	unsigned int n_out;

	struct vmm_vb_nic nics[VMM_MAX_NICS];
	unsigned int n_nics;

	uint64_t errors[VMM_VB_ERR_COUNT];
	uint64_t resets;	 /* connection resets after protocol errors */
	uint64_t msgs_in, msgs_out;
	time_t log_sec;		 /* rate limit of protocol-error lines */
	unsigned int log_count, log_suppressed;
};

/* ---- vmbus_server.c ---- */

/*
 * Create the VMBus server of a partition: the vmbus-user listening sockets (if 'sock_dir') and,
 * with a loop, the watch on 'msg_fd'. Returns the server or NULL with errno set (EINVAL,
 * ENOMEM, ENAMETOOLONG, or from socket/bind/listen). Loop thread.
 */
struct vmm_vmbus *vmm_vmbus_create(const struct vmm_vmbus_params *params);

/* Tell vswitchd to forget everything (RESET, not waited for), close every fd, remove the
 * sockets, free. NULL is a no-op. */
void vmm_vmbus_destroy(struct vmm_vmbus *vb);

/*
 * Handle one datagram of 'size' bytes received on the message channel (the loop callback does
 * this for each; tests and the fuzz target call it directly). Never fails: errors are counted.
 */
void vmm_vmbus_handle(struct vmm_vmbus *vb, const void *buf, size_t size);

/* Read and handle what is waiting on the message channel (at most VMM_VB_MSGS_PER_WAKEUP). */
void vmm_vmbus_input(struct vmm_vmbus *vb);

/* Send a channel message of 'size' bytes to the guest, with 'n_fds' fds (0 or 2) attached.
 * Queued (bounded) when the socket is full. Returns 0 or -errno (the connection was reset). */
int vmm_vb_send(struct vmm_vmbus *vb, const void *msg, size_t size, const int *fds, int n_fds);

/* Count a protocol error, log it (rate-limited) and, for reset-class errors, reset the VMBus
 * connection. 'fmt' describes it. */
void vmm_vb_error(struct vmm_vmbus *vb, enum vmm_vb_err e, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Forget the VMBus connection (guest UNLOAD, protocol error, guest gone): channels closed and
 * unoffered, GPADLs freed, vswitchd told RESET. Bumps the epoch. 'unload' queues the
 * UNLOAD_RESPONSE after vswitchd's reply (or sends it at once). */
void vmm_vb_reset(struct vmm_vmbus *vb, bool unload);

/* A RESET queued for an UNLOAD completed: the last one sends UNLOAD_RESPONSE. */
void vmm_vb_unload_step(struct vmm_vmbus *vb, uint64_t epoch);

/* Deterministic instance GUID of NIC 'index' of partition 'name' (see vmbus_server.c). */
void vmm_vb_instance_guid(const char *name, unsigned int index, struct vmbus_guid *out);

/* ---- vmbus_chan.c ---- */

void vmm_chan_init(struct vmm_vb_nic *nic);
/* Free GPADLs, close eventfds, back to IDLE (no message to anyone). */
void vmm_chan_forget(struct vmm_vb_nic *nic);
/* Send OFFERCHANNEL and go OFFERED. */
int vmm_chan_offer(struct vmm_vb_nic *nic);
/* The NIC owning 'relid', or NULL. */
struct vmm_vb_nic *vmm_chan_lookup(struct vmm_vmbus *vb, uint32_t relid);
/* The channel 'relid' (primary or subchannel) with its NIC in '*nicp' (may be NULL), or NULL. */
struct vmm_vb_chan *vmm_chan_find(struct vmm_vmbus *vb, uint32_t relid, struct vmm_vb_nic **nicp);
/* Relid of subchannel 'k' (1..VMM_MAX_QUEUES-1) of NIC 'index': after every primary relid. */
uint32_t vmm_vb_sub_relid(unsigned int index, unsigned int k);
/* vswitchd asks for 'count' subchannels (SUBCHAN_REQ): offer those not offered yet, up to the
 * NIC's queues - 1, once the primary is open. Returns the count the guest can have. */
uint32_t vmm_chan_subchan_request(struct vmm_vb_nic *nic, uint32_t count);

/* G->H handlers: 'm' is validated for size; return nothing (errors are counted). */
void vmm_chan_gpadl_msg(struct vmm_vmbus *vb, const union vmbus_chanmsg *m, size_t size);
void vmm_chan_open(struct vmm_vmbus *vb, const struct vmbus_chanmsg_open *m);
void vmm_chan_close(struct vmm_vmbus *vb, uint32_t relid);
void vmm_chan_gpadl_teardown(struct vmm_vmbus *vb, uint32_t relid, uint32_t handle);
void vmm_chan_relid_released(struct vmm_vmbus *vb, uint32_t relid);
void vmm_chan_modify(struct vmm_vmbus *vb, const struct vmbus_chanmsg_modifychannel *m);

/* vmbus-user events. */
void vmm_chan_op_done(struct vmm_vb_nic *nic, struct vmm_vu_op *op, enum vmm_vu_result res,
	uint32_t status);
/* vswitchd answered HELLO: replay GPADLs and waiting opens. */
void vmm_chan_switch_ready(struct vmm_vb_nic *nic);
/* vswitchd went away: nothing is at the switch any more; open channels are rescinded. */
void vmm_chan_switch_lost(struct vmm_vb_nic *nic);

void vmm_vb_gpadl_put(struct vmm_vb_gpadl *vg);

/* ---- vmbus_user.c ---- */

/* Set up the NIC's server: listening socket at 'path' (NULL: none) and its timer. 0 or -errno. */
int vmm_vu_init(struct vmm_vb_nic *nic, const char *path);
/* Close everything; tell a connected vswitchd RESET first (not waited for). */
void vmm_vu_fini(struct vmm_vb_nic *nic);
/* Use 'fd' (a connected SOCK_SEQPACKET socket, owned from now on) as the vswitchd connection, as
 * if accepted. Returns 0 or -EBUSY (one already: 'fd' is closed). */
int vmm_vu_attach(struct vmm_vb_nic *nic, int fd);
/* Read what vswitchd sent (the loop callback; tests call it directly). */
void vmm_vu_input(struct vmm_vb_nic *nic);
/* The reply deadline passed (the timer callback; tests call it directly). */
void vmm_vu_timeout(struct vmm_vb_nic *nic);
/* Queue a request. 'gpadl' for GPADL_ADD (a reference is taken). Returns 0 or -ENOBUFS. */
int vmm_vu_request(struct vmm_vb_nic *nic, enum vmm_vu_op_type type, uint32_t relid,
	uint32_t handle, struct vmm_vb_gpadl *gpadl, bool guest_waits);
/* Drop queued requests that are not on the wire yet and belong to an older epoch. */
void vmm_vu_drop_stale(struct vmm_vb_nic *nic);
/* True when vswitchd is connected and has said HELLO. */
bool vmm_vu_ready(const struct vmm_vb_nic *nic);

/* ---- vmbus_json.c ---- */

/* {"connected", "version", "resets", "messages_in", "messages_out", "errors": {...}} */
json_t *vmm_vmbus_json(const struct vmm_vmbus *vb);
/* Per NIC: {"socket", "relid", "channel", "gpadls", "gpadl_pages", "vswitchd": {...}} */
json_t *vmm_vmbus_nic_json(const struct vmm_vmbus *vb, unsigned int index);

#endif
