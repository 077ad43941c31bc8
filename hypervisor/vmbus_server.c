/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The VMBus server of a process partition: the host end of its message channel
 * (include/vsw/proto/hv_msg.h) and the connection-level state machine (facts 4.1-4.3):
 *
 *   disconnected --INITIATE_CONTACT(supported)--> connected --REQUESTOFFERS (once)--> offers
 *   any state    --UNLOAD--> vswitchd RESET, everything forgotten, UNLOAD_RESPONSE, disconnected
 *
 * Channel messages (GPADLs, open, close, teardown, release, modify) go to vmbus_chan.c.
 *
 * Every datagram must be exactly HV_MSG_SIZE bytes, carry no fds, be a well-formed HvPostMessage
 * (vmbus_post_msg_unpack) holding a guest->host channel message of at least its size
 * (vmbus_chanmsg_check), on connection id 4 or 1. A violation, or a message the current state
 * does not allow, is counted (enum vmm_vb_err), logged at most VMM_VB_LOG_BURST times a second,
 * and resets the VMBus connection as UNLOAD does, without UNLOAD_RESPONSE: the guest must start
 * again with INITIATE_CONTACT. The partition itself is never stopped for it: a reset costs vmmd
 * little and is bounded, a hostile guest gains nothing from it, and a buggy guest keeps running
 * (its log says why its NICs went away). Refusals that Hyper-V answers with a status (a GPADL
 * over the limits, an open with a bad ring) are counted too but answered, not reset.
 */
#include "vmbus_server.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "vsw_util.h"

/* An H->G message the guest's socket could not take yet. */
struct vmm_vb_out {
	struct hv_message msg;
	int fds[2];
	int n_fds;
	struct vmm_vb_out *next;
};

static const char *const err_names[VMM_VB_ERR_COUNT] = {
	[VMM_VB_ERR_DATAGRAM] = "bad_datagram",
	[VMM_VB_ERR_POST_HEADER] = "bad_post_header",
	[VMM_VB_ERR_CONN_ID] = "bad_connection_id",
	[VMM_VB_ERR_MESSAGE] = "bad_message",
	[VMM_VB_ERR_STATE] = "out_of_state",
	[VMM_VB_ERR_RELID] = "unknown_relid",
	[VMM_VB_ERR_GPADL] = "bad_gpadl",
	[VMM_VB_ERR_GPADL_REFUSED] = "gpadl_refused",
	[VMM_VB_ERR_OPEN_REFUSED] = "open_refused",
	[VMM_VB_ERR_SEND_QUEUE] = "send_queue_full",
};

const char *vmm_vb_err_name(enum vmm_vb_err e)
{
	return (unsigned int)e < VMM_VB_ERR_COUNT ? err_names[e] : "?";
}

/* Whether an error resets the connection (refusals are answered instead). */
static bool err_resets(enum vmm_vb_err e)
{
	return e != VMM_VB_ERR_GPADL_REFUSED && e != VMM_VB_ERR_OPEN_REFUSED;
}

/*
 * Instance GUID of a NIC: stable across restarts of the partition (the guest names devices by
 * it) and different for every (partition, NIC). The 16 bytes are two FNV-1a 64-bit hashes of
 * the text "vsw-netvsc/<partition>/<index>" (offset bases 0xcbf29ce484222325 and its bitwise
 * complement), stored little-endian, then marked as an RFC 9562 version 8 (custom) GUID: the
 * high nibble of byte 7 (time_hi_and_version is little-endian on the wire) is 8, and the two
 * high bits of byte 8 are 10.
 */
void vmm_vb_instance_guid(const char *name, unsigned int index, struct vmbus_guid *out)
{
	uint64_t h[2] = {0xcbf29ce484222325ull, ~0xcbf29ce484222325ull};
	char text[64];
	int n = snprintf(text, sizeof(text), "vsw-netvsc/%s/%u", name, index);
	unsigned int k, i;

	for (k = 0; k < 2; k++) {
		for (i = 0; i < (unsigned int)n && i < sizeof(text); i++) {
			h[k] ^= (uint8_t)text[i];
			h[k] *= 0x100000001b3ull;
		}
		for (i = 0; i < 8; i++)
			out->b[k * 8 + i] = (uint8_t)(h[k] >> (8 * i));
	}
	out->b[7] = (uint8_t)((out->b[7] & 0x0f) | 0x80);
	out->b[8] = (uint8_t)((out->b[8] & 0x3f) | 0x80);
}

/* ---- errors ---- */

void vmm_vb_error(struct vmm_vmbus *vb, enum vmm_vb_err e, const char *fmt, ...)
{
	time_t now = time(NULL);
	char what[160];
	va_list ap;

	vb->errors[e]++;
	if (now != vb->log_sec) {
		if (vb->log_suppressed)
			VMM_LOG(WARNING, "partition %s: vmbus: %u more protocol errors not logged",
				vb->name, vb->log_suppressed);
		vb->log_sec = now;
		vb->log_count = 0;
		vb->log_suppressed = 0;
	}
	if (vb->log_count < VMM_VB_LOG_BURST) {
		vb->log_count++;
		va_start(ap, fmt);
		vsnprintf(what, sizeof(what), fmt, ap);
		va_end(ap);
		VMM_LOG(WARNING, "partition %s: vmbus: %s: %s%s", vb->name, vmm_vb_err_name(e), what,
			err_resets(e) ? " (connection reset)" : "");
	} else {
		vb->log_suppressed++;
	}
	if (err_resets(e)) {
		vb->resets++;
		vmm_vb_reset(vb, false);
	}
}

/* ---- output to the guest ---- */

static void watch_msg_fd(struct vmm_vmbus *vb, bool out);

static void out_free(struct vmm_vb_out *o)
{
	int i;

	for (i = 0; i < o->n_fds; i++)
		close(o->fds[i]);
	free(o);
}

static void out_clear(struct vmm_vmbus *vb)
{
	struct vmm_vb_out *o, *next;

	for (o = vb->out_head; o; o = next) {
		next = o->next;
		out_free(o);
	}
	vb->out_head = vb->out_tail = NULL;
	vb->n_out = 0;
}

/* One sendmsg: 0, -EAGAIN (socket full) or another -errno (the guest is gone). */
static int send_one(int fd, const struct hv_message *hm, const int *fds, int n_fds)
{
	union {
		char buf[CMSG_SPACE(2 * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = {.iov_base = (void *)hm, .iov_len = sizeof(*hm)};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	struct cmsghdr *c;

	if (n_fds > 0) {
		memset(&u, 0, sizeof(u));
		mh.msg_control = u.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)n_fds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)n_fds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)n_fds);
	}
	if (sendmsg(fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) == (ssize_t)sizeof(*hm))
		return 0;
	return errno == EAGAIN || errno == EWOULDBLOCK ? -EAGAIN : -(errno ?: EIO);
}

static void out_flush(struct vmm_vmbus *vb)
{
	struct vmm_vb_out *o;
	int ret;

	while ((o = vb->out_head) != NULL) {
		ret = send_one(vb->msg_fd, &o->msg, o->fds, o->n_fds);
		if (ret == -EAGAIN)
			return;
		vb->out_head = o->next;
		if (vb->out_head == NULL)
			vb->out_tail = NULL;
		vb->n_out--;
		out_free(o);
	}
	watch_msg_fd(vb, false);
}

static int out_queue(struct vmm_vmbus *vb, const struct hv_message *hm, const int *fds, int n_fds)
{
	struct vmm_vb_out *o;
	int i;

	if (vb->n_out >= VMM_VB_MAX_OUT_MSGS) {
		vmm_vb_error(vb, VMM_VB_ERR_SEND_QUEUE, "%u host messages unread", vb->n_out);
		return -ENOBUFS;
	}
	o = calloc(1, sizeof(*o));
	if (o == NULL)
		return -ENOMEM;
	o->msg = *hm;
	/* our eventfds may be closed before the guest reads: the queue keeps its own copies */
	for (i = 0; i < n_fds; i++) {
		o->fds[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 0);
		if (o->fds[i] < 0) {
			o->n_fds = i;
			out_free(o);
			return -errno;
		}
		o->n_fds = i + 1;
	}
	if (vb->out_tail)
		vb->out_tail->next = o;
	else
		vb->out_head = o;
	vb->out_tail = o;
	vb->n_out++;
	watch_msg_fd(vb, true);
	return 0;
}

int vmm_vb_send(struct vmm_vmbus *vb, const void *msg, size_t size, const int *fds, int n_fds)
{
	struct hv_message hm;
	int ret;

	ret = vmbus_hv_msg_pack(&hm, msg, size);
	if (ret)
		return ret;
	vb->msgs_out++;
	if (vb->guest_gone)
		return -EPIPE;
	if (vb->out_head == NULL) {
		ret = send_one(vb->msg_fd, &hm, fds, n_fds);
		if (ret != -EAGAIN)
			return ret;
	}
	return out_queue(vb, &hm, fds, n_fds);
}

/* ---- reset ---- */

static void unload_respond(struct vmm_vmbus *vb)
{
	union vmbus_chanmsg m;
	size_t n = vmbus_chanmsg_build_unload_response(&m);

	vmm_vb_send(vb, &m, n, NULL, 0);
}

void vmm_vb_reset(struct vmm_vmbus *vb, bool unload)
{
	unsigned int i, waits = 0;

	vb->epoch++;
	vb->connected = false;
	vb->version = 0;
	vb->offers_requested = false;
	vmbus_gpadl_asm_reset(vb->gasm);
	memset(vb->refused, 0, sizeof(vb->refused));
	if (!unload)
		out_clear(vb); /* answers to a connection that no longer exists */
	for (i = 0; i < vb->n_nics; i++) {
		struct vmm_vb_nic *nic = &vb->nics[i];

		vmm_vu_drop_stale(nic);
		vmm_chan_forget(nic);
		if (vmm_vu_ready(nic) &&
			vmm_vu_request(nic, VMM_VU_OP_RESET, 0, 0, NULL, unload) == 0 && unload)
			waits++;
	}
	vb->unload_waits = waits;
	if (unload && waits == 0)
		unload_respond(vb);
}

/* A RESET sent for an UNLOAD completed (replied, timed out or vswitchd gone). */
void vmm_vb_unload_step(struct vmm_vmbus *vb, uint64_t epoch)
{
	if (epoch != vb->epoch || vb->unload_waits == 0)
		return;
	if (--vb->unload_waits == 0)
		unload_respond(vb);
}

/* ---- connection-level messages ---- */

static bool version_supported(uint32_t v)
{
	switch (v) {
	case VMBUS_VERSION_WIN8_1:
	case VMBUS_VERSION_WIN10:
	case VMBUS_VERSION_WIN10_RS3:
	case VMBUS_VERSION_WIN10_V5:
	case VMBUS_VERSION_WIN10_V5_1:
	case VMBUS_VERSION_WIN10_V5_2:
	case VMBUS_VERSION_WIN10_V5_3:
		return true;
	}
	return false;
}

static void initiate_contact(struct vmm_vmbus *vb, const struct vmbus_chanmsg_initiate_contact *m,
	uint32_t conn_id)
{
	uint32_t v = m->vmbus_version_requested;
	union vmbus_chanmsg r;
	size_t n;
	bool ok;

	if (vb->connected || vb->unload_waits) {
		vmm_vb_error(vb, VMM_VB_ERR_STATE, "INITIATE_CONTACT while connected");
		return;
	}
	/* facts 9.2: both monitor pages or none (we use neither) */
	if ((m->monitor_page1 == 0) != (m->monitor_page2 == 0)) {
		vmm_vb_error(vb, VMM_VB_ERR_MESSAGE, "INITIATE_CONTACT with one monitor page");
		return;
	}
	/* >= 5.0 is requested on connection id 4, older versions on 1 (facts 4.1) */
	ok = version_supported(v) &&
	     conn_id == (v >= VMBUS_VERSION_WIN10_V5 ? VMBUS_MESSAGE_CONNECTION_ID_4
						      : VMBUS_MESSAGE_CONNECTION_ID);
	n = vmbus_chanmsg_build_version_response(&r, ok, 0,
		ok && v >= VMBUS_VERSION_WIN10_V5 ? VMBUS_MESSAGE_CONNECTION_ID : 0);
	if (ok) {
		vb->connected = true;
		vb->version = v;
		VMM_LOG(INFO, "partition %s: vmbus: version %u.%u", vb->name, v >> 16, v & 0xffff);
	}
	vmm_vb_send(vb, &r, n, NULL, 0);
}

static void request_offers(struct vmm_vmbus *vb)
{
	union vmbus_chanmsg m;
	unsigned int i;
	size_t n;

	if (vb->offers_requested) {
		vmm_vb_error(vb, VMM_VB_ERR_STATE, "second REQUESTOFFERS");
		return;
	}
	vb->offers_requested = true;
	for (i = 0; i < vb->n_nics; i++) {
		if (vb->nics[i].chan.state == VMM_CHAN_IDLE)
			vmm_chan_offer(&vb->nics[i]);
	}
	n = vmbus_chanmsg_build_alloffers_delivered(&m);
	vmm_vb_send(vb, &m, n, NULL, 0);
}

static void dispatch(struct vmm_vmbus *vb, const union vmbus_chanmsg *m, size_t size,
	uint32_t type, uint32_t conn_id)
{
	if (type == VMBUS_CHANMSG_INITIATE_CONTACT) {
		initiate_contact(vb, &m->initiate_contact, conn_id);
		return;
	}
	if (type == VMBUS_CHANMSG_UNLOAD) {
		/* accepted in any state: Linux's crash path sends it without knowing ours */
		vmm_vb_reset(vb, true);
		return;
	}
	if (!vb->connected) {
		vmm_vb_error(vb, VMM_VB_ERR_STATE, "%s before INITIATE_CONTACT",
			vmbus_chanmsg_name(type));
		return;
	}
	switch (type) {
	case VMBUS_CHANMSG_REQUESTOFFERS:
		request_offers(vb);
		break;
	case VMBUS_CHANMSG_GPADL_HEADER:
	case VMBUS_CHANMSG_GPADL_BODY:
		vmm_chan_gpadl_msg(vb, m, size);
		break;
	case VMBUS_CHANMSG_OPENCHANNEL:
		vmm_chan_open(vb, &m->open);
		break;
	case VMBUS_CHANMSG_CLOSECHANNEL:
		vmm_chan_close(vb, m->relid.child_relid);
		break;
	case VMBUS_CHANMSG_GPADL_TEARDOWN:
		vmm_chan_gpadl_teardown(vb, m->gpadl_teardown.child_relid, m->gpadl_teardown.gpadl);
		break;
	case VMBUS_CHANMSG_RELID_RELEASED:
		vmm_chan_relid_released(vb, m->relid.child_relid);
		break;
	case VMBUS_CHANMSG_MODIFYCHANNEL:
		vmm_chan_modify(vb, &m->modifychannel);
		break;
	default:
		/* TL_CONNECT_REQUEST: no hv_sock service; Linux 6.1 expects no answer */
		VMM_LOG(DEBUG, "partition %s: vmbus: %s ignored", vb->name,
			vmbus_chanmsg_name(type));
		break;
	}
}

void vmm_vmbus_handle(struct vmm_vmbus *vb, const void *buf, size_t size)
{
	struct hv_post_message pm;
	union vmbus_chanmsg m;
	uint32_t conn_id;
	int len, type;

	vb->msgs_in++;
	if (size != HV_MSG_SIZE) {
		vmm_vb_error(vb, VMM_VB_ERR_DATAGRAM, "datagram of %zu bytes", size);
		return;
	}
	memcpy(&pm, buf, sizeof(pm));
	len = vmbus_post_msg_unpack(&pm, &conn_id, &m);
	if (len < 0) {
		vmm_vb_error(vb, VMM_VB_ERR_POST_HEADER, "message type %u, payload %u bytes",
			pm.message_type, pm.payload_size);
		return;
	}
	if (conn_id != VMBUS_MESSAGE_CONNECTION_ID && conn_id != VMBUS_MESSAGE_CONNECTION_ID_4) {
		vmm_vb_error(vb, VMM_VB_ERR_CONN_ID, "connection id %u", conn_id);
		return;
	}
	type = vmbus_chanmsg_check(&m, (size_t)len, VMBUS_CHANMSG_G2H);
	if (type < 0) {
		vmm_vb_error(vb, VMM_VB_ERR_MESSAGE, "message %u (%s) of %d bytes", m.hdr.msgtype,
			vmbus_chanmsg_name(m.hdr.msgtype), len);
		return;
	}
	dispatch(vb, &m, (size_t)len, (uint32_t)type, conn_id);
}

/* ---- the message socket ---- */

static void close_rights(struct msghdr *mh)
{
	struct cmsghdr *c;
	size_t i, n;
	int fd;

	for (c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			close(fd);
		}
	}
}

static void guest_gone(struct vmm_vmbus *vb)
{
	if (vb->guest_gone)
		return;
	VMM_LOG(INFO, "partition %s: vmbus: the guest closed its message channel", vb->name);
	if (vb->msg_watched)
		vmm_loop_del(vb->loop, vb->msg_fd);
	vb->msg_watched = false;
	vb->guest_gone = true;
	out_clear(vb);
	vmm_vb_reset(vb, false);
}

void vmm_vmbus_input(struct vmm_vmbus *vb)
{
	union {
		char buf[CMSG_SPACE(4 * sizeof(int))];
		struct cmsghdr align;
	} u;
	uint8_t buf[HV_MSG_SIZE + 1];
	struct iovec iov;
	struct msghdr mh;
	unsigned int i;
	ssize_t n;

	for (i = 0; i < VMM_VB_MSGS_PER_WAKEUP && !vb->guest_gone; i++) {
		iov = (struct iovec){.iov_base = buf, .iov_len = sizeof(buf)};
		mh = (struct msghdr){.msg_iov = &iov,
			.msg_iovlen = 1,
			.msg_control = u.buf,
			.msg_controllen = sizeof(u.buf)};
		n = recvmsg(vb->msg_fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return;
		if (n <= 0) {
			/* end of file (a zero-length datagram is no message either) or error */
			guest_gone(vb);
			return;
		}
		if (mh.msg_controllen) {
			close_rights(&mh);
			vmm_vb_error(vb, VMM_VB_ERR_DATAGRAM, "datagram with file descriptors");
			continue;
		}
		if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
			vmm_vb_error(vb, VMM_VB_ERR_DATAGRAM, "oversized datagram");
			continue;
		}
		vmm_vmbus_handle(vb, buf, (size_t)n);
	}
}

static void on_msg_fd(int fd, uint32_t events, void *arg)
{
	struct vmm_vmbus *vb = arg;

	if (events & EPOLLOUT)
		out_flush(vb);
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
		vmm_vmbus_input(vb);
}

static void watch_msg_fd(struct vmm_vmbus *vb, bool out)
{
	if (vb->loop == NULL || vb->guest_gone || (vb->msg_watched && vb->msg_out == out))
		return;
	if (vb->msg_watched)
		vmm_loop_del(vb->loop, vb->msg_fd);
	vb->msg_watched = vmm_loop_add(vb->loop, vb->msg_fd, EPOLLIN | (out ? EPOLLOUT : 0u),
				  on_msg_fd, vb) == 0;
	vb->msg_out = out && vb->msg_watched;
	if (!vb->msg_watched)
		VMM_LOG(ERR, "partition %s: vmbus: cannot watch the message channel", vb->name);
}

/* ---- lifetime ---- */

static int nic_init(struct vmm_vmbus *vb, unsigned int i, const struct vmm_vmbus_params *pa)
{
	struct vmm_vb_nic *nic = &vb->nics[i];
	char path[VMM_PATH_SIZE + 64];

	nic->index = i;
	nic->cfg = pa->nics[i];
	nic->vb = vb;
	vmm_chan_init(nic);
	if (pa->sock_dir == NULL)
		return vmm_vu_init(nic, NULL);
	snprintf(path, sizeof(path), "%s/%s.%u.vmbus", pa->sock_dir, pa->name, i);
	return vmm_vu_init(nic, path);
}

struct vmm_vmbus *vmm_vmbus_create(const struct vmm_vmbus_params *pa)
{
	struct vmm_vmbus *vb;
	unsigned int i;
	int ret;

	if (pa->n_nics > VMM_MAX_NICS || pa->mem_size < VMBUS_PAGE_SIZE ||
		pa->mem_size % VMBUS_PAGE_SIZE || strlen(pa->name) >= VMM_NAME_SIZE) {
		errno = EINVAL;
		return NULL;
	}
	vb = calloc(1, sizeof(*vb));
	if (vb == NULL)
		return NULL;
	snprintf(vb->name, sizeof(vb->name), "%s", pa->name);
	vb->mem_pages = pa->mem_size / VMBUS_PAGE_SIZE;
	vb->memfd = pa->memfd;
	vb->msg_fd = pa->msg_fd;
	vb->loop = pa->loop;
	vb->timeout_ms = pa->timeout_ms ? pa->timeout_ms : VMM_VB_TIMEOUT_MS;
	vb->gasm = vmbus_gpadl_asm_create(vb->mem_pages);
	if (vb->gasm == NULL)
		goto err_free;
	for (i = 0; i < pa->n_nics; i++) {
		vb->n_nics = i + 1;
		ret = nic_init(vb, i, pa);
		if (ret) {
			errno = -ret;
			goto err_destroy;
		}
	}
	watch_msg_fd(vb, false);
	if (vb->loop && !vb->msg_watched) {
		errno = EIO;
		goto err_destroy;
	}
	return vb;
err_destroy:
	ret = errno;
	vmm_vmbus_destroy(vb);
	errno = ret;
	return NULL;
err_free:
	free(vb);
	return NULL;
}

void vmm_vmbus_destroy(struct vmm_vmbus *vb)
{
	unsigned int i;

	if (vb == NULL)
		return;
	if (vb->msg_watched)
		vmm_loop_del(vb->loop, vb->msg_fd);
	vb->msg_watched = false;
	vb->guest_gone = true; /* nothing more is sent to the guest */
	vb->epoch++;
	for (i = 0; i < vb->n_nics; i++) {
		vmm_vu_fini(&vb->nics[i]);
		vmm_chan_forget(&vb->nics[i]);
	}
	out_clear(vb);
	vmbus_gpadl_asm_destroy(vb->gasm);
	free(vb);
}
