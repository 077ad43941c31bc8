/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The uio_hv_generic view of a partition NIC (DESIGN.md decision 12,
 * reference/dpdk-netvsc-guest.md): what vsw-guest-init does for a NIC of a `guest=uio`
 * partition instead of running our netvsc driver, so that an unmodified DPDK netvsc PMD drives
 * the channel.
 *
 *  - sysfs.c: the files of /sys/bus/vmbus/devices/<uuid>/ (on a tmpfs vmmd mounted over
 *    /sys/bus) in exactly the formats Linux 6.1 prints (reference §2, §3.1);
 *  - dev.c:   what uio_hv_generic's probe and first open do: the channel's rings, receive and
 *    send buffers with their GPADLs, the interrupt and monitor pages, the open channel; no NVSP;
 *    and what it does on a subchannel offer: open it with its own rings and publish
 *    channels/<relid>/{subchannel_id,monitor_id,ring}.
 * The /dev/uioN mmap semantics and the subchannel rings' mmap come from the preload library
 * (shim.c, libvsw_uio.so): a `ring` file cannot alias partition memory, so it is a sparse
 * placeholder of the ring's size (for access() and fstat()) whose mmap the library redirects.
 */
#ifndef VSW_GUEST_UIO_H
#define VSW_GUEST_UIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guest.h"

#define GD_UIO_MAPS 5 /* txrx_rings, int_page, monitor_page, recv:, send: */
#define GD_UIO_NAME_SIZE 32
#define GD_UIO_RING_PAGES 512u	     /* per direction: 2 MiB, Linux's VMBUS_RING_SIZE for uio */
#define GD_UIO_RECV_SIZE (16u << 20) /* receive buffer (Linux: 31 MiB; the PMD reads the size) */
#define GD_UIO_SEND_SIZE (16u << 20) /* send buffer, as Linux */
#define GD_UIO_SYSFS_DEVICES "/sys/bus/vmbus/devices"
#define GD_UIO_MAX_SUBCHANNELS 15u /* vmmd's queues= is at most 16 */
#define GD_UIO_MAX_NICS 8u	   /* vmmd's NICs per partition */

struct gd_uio_map {
	char name[GD_UIO_NAME_SIZE]; /* "txrx_rings", ..., "recv:<gpadl>" */
	uint64_t offset;	     /* bytes into partition memory (for the preload library) */
	uint64_t size;		     /* bytes */
};

/* One device as the sysfs files show it. */
struct gd_uio_view {
	struct vmbus_guid class_id;  /* interface type (wire byte order) */
	struct vmbus_guid device_id; /* instance; also the directory name */
	uint32_t relid;		     /* "id" */
	uint8_t monitor_id;	     /* < 128 (DPDK indexes 4 groups of 32) */
	int numa_node;		     /* -1 */
	unsigned int uio_index;	     /* N of uio/uioN and /dev/uioN */
	struct gd_uio_map maps[GD_UIO_MAPS];
	unsigned int n_maps;
	bool multi_queue; /* the NIC may have subchannels: the primary gets channels/<relid>/ */
};

/* "{%pUl}": lower-case GUID with braces, 38 characters + NUL. */
void gd_uio_guid_format(const struct vmbus_guid *g, char out[39], int braces);
/* The uio core's map size format "%pa\n": "0x%016llx\n". Returns the length. */
int gd_uio_size_format(uint64_t size, char *buf, size_t len);
/* The five map names of uio_hv_generic for the given buffer GPADLs. */
void gd_uio_map_names(struct gd_uio_view *v, uint32_t recv_gpadl, uint32_t send_gpadl);

/*
 * Write 'v' under 'devices' (normally GD_UIO_SYSFS_DEVICES, created if missing): the device
 * directory <uuid>/ with class_id, device_id, id, monitor_id, numa_node, with 'multi_queue' the
 * primary's channels/<relid>/ (as gd_uio_channel_write, subchannel_id 0, ring = map 0: the PMD
 * looks for it to learn that subchannels are possible, reference §2 row 13; without it the PMD
 * runs one queue and asks the host nothing), then uio/uio<N>/maps/map<i>/
 * {name,size}, built under a hidden name and renamed into place last, so that the tree is
 * complete when "uio" appears (DPDK skips a device without it). Returns 0 or -errno.
 */
int gd_uio_view_write(const char *devices, const struct gd_uio_view *v);

/* One channel as <uuid>/channels/<relid>/ shows it. */
struct gd_uio_chan_view {
	uint32_t relid;		/* directory name, "%u" (the PMD takes <= 65535) */
	uint16_t subchannel_id; /* "subchannel_id": 0 the primary, 1..n subchannels */
	uint8_t monitor_id;	/* "monitor_id" */
	uint64_t ring_size;	/* both rings: the `ring` placeholder's size (a page multiple) */
};

/*
 * Write <devices>/<uuid of 'device_id'>/channels/<relid>/ with subchannel_id and monitor_id
 * ("%u\n", Linux's formats) and `ring` (mode 0600, sparse, ring_size bytes), built as
 * channels/.<relid>.new and renamed into place, so that a directory the PMD finds is complete
 * (reference §6.2). Returns 0 or -errno (-EINVAL: ring size 0 or not whole pages).
 */
int gd_uio_channel_write(
	const char *devices, const struct vmbus_guid *device_id, const struct gd_uio_chan_view *c);
/* Remove channels/<relid>/ (renamed to a hidden name first). Returns 0 or -errno (-ENOENT). */
int gd_uio_channel_remove(const char *devices, const struct vmbus_guid *device_id, uint32_t relid);

/* A subchannel opened for the PMD (dev.c). */
struct gd_uio_sub {
	struct gd_channel ch; /* .open while in use */
	bool reserved;	      /* its ring pages still held in the reserve */
	bool published;	      /* channels/<relid>/ written */
	uint64_t failed_gen;  /* offer_gen when opening failed: not retried before a new offer */
};

/* One NIC taken over for a uio guest (dev.c): /dev/uio<view.uio_index>. */
struct gd_uio_nic {
	struct gd_channel ch;
	uint64_t recv_pfn, send_pfn;
	uint32_t recv_gpadl, send_gpadl;
	struct gd_uio_view view;
	bool claimed; /* a process has opened /dev/uioN since the channel was (re)opened */
	uint64_t reopens;
	/* multi-queue: the ring pages of queues - 1 subchannels are reserved at start, below
	 * dev->end_pfn (the DPDK heap lives above it); slot k - 1 is subchannel k's */
	uint32_t queues; /* the NIC's queues=, 1..16 */
	uint64_t reserve_pfn;
	struct gd_uio_sub subs[GD_UIO_MAX_SUBCHANNELS];
};

/* The partition's NICs taken over for a uio guest, on one VMBus connection (dev.c). */
struct gd_uio_dev {
	struct gd_gmem gmem;
	struct gd_vmbus vb;
	int msg_fd;
	int ctl_fd[2];	   /* SOCK_SEQPACKET: [0] ours, [1] the command's (libvsw_uio.so) */
	const char *sysfs; /* devices directory (GD_UIO_SYSFS_DEVICES unless a test sets it) */
	uint64_t end_pfn;  /* first page above everything allocated for any NIC */
	struct gd_uio_nic nic[GD_UIO_MAX_NICS]; /* nic[i] is /dev/uio<i> */
	unsigned int n_nics;
};

/* The request libvsw_uio.so sends on its control fd at a process's first open of /dev/uioN,
 * {u32 GD_UIO_CTL_CLAIM, u32 N}; the answer is a u32: 0 (that channel is fresh for it) or a
 * positive errno (ENODEV: no such device). */
#define GD_UIO_CTL_CLAIM 0x55494f31u /* "UIO1" */
/* Its request at an open of channels/<relid>/ring: {u32 GD_UIO_CTL_RING, u32 relid}; the answer
 * is struct gd_uio_ctl_ring: status 0 and where that open channel's rings are in partition
 * memory, or a positive errno (ENOENT: no such open channel). */
#define GD_UIO_CTL_RING 0x55494f32u /* "UIO2" */
struct gd_uio_ctl_ring {
	uint32_t status;
	uint32_t reserved;
	uint64_t offset; /* bytes into partition memory */
	uint64_t size;	 /* both rings, bytes */
};
_Static_assert(sizeof(struct gd_uio_ctl_ring) == 24, "ring answer");

/* Connect and take every netvsc offer (primaries, in relid order: the partition's NIC order, at
 * most GD_UIO_MAX_NICS): for each, allocate and GPADL the buffers, open the channel with
 * GD_UIO_RING_PAGES per direction, reserve the rings of queues[i] - 1 subchannels (fewer if
 * memory is short; NICs past n_queues get 1 queue), fill nic[i].view (/dev/uio<i>). Returns 0,
 * -ENODEV (no host / no offer) or -errno. */
int gd_uio_dev_start(struct gd_uio_dev *dev, int mem_fd, int msg_fd, int contact_ms, int reply_ms,
	const uint32_t *queues, unsigned int n_queues, void (*on_contact)(void *), void *arg);
/* Serve host messages and the command's claims until 'stop_fd' is readable or the host goes
 * away. A NIC's first claim gets its channel as opened; each later one (a new DPDK process) gets
 * it closed and opened again, as Linux's last close and next open of /dev/uioN do, so that the
 * new PMD finds a host without NVSP state (its subchannels are closed first and their
 * directories removed; the host rescinds them with the primary's close). Subchannel offers
 * (after the PMD's NVSP SUBCHANNEL request) are opened and published as they come; rescinded
 * ones are closed, unpublished and released. */
int gd_uio_dev_run(struct gd_uio_dev *dev, int stop_fd);
void gd_uio_dev_stop(struct gd_uio_dev *dev);
/* Give the command (started after this) what libvsw_uio.so needs: a non-close-on-exec copy of
 * the memory fd and the VSW_UIO_* variables for every NIC (shim.c), plus LD_PRELOAD='preload'
 * if not NULL. */
int gd_uio_dev_export(struct gd_uio_dev *dev, const char *preload);

#endif
