/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * eth0: a tap device (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR) in the partition's network namespace,
 * with the host's MAC; its carrier follows the host's media state (TUNSETCARRIER). With the vnet
 * header the kernel hands over TSO frames and partial checksums (TUNSETOFFLOAD) and accepts
 * checksum-valid and coalesced frames (offload.c, DESIGN decision 8).
 */
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static int tap_ifreq(const char *name, unsigned long req, struct ifreq *ifr)
{
	int fd, ret = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", name);
	if (ioctl(fd, req, ifr) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

static int tap_up(const char *name)
{
	struct ifreq ifr = {0};
	int ret;

	ret = tap_ifreq(name, SIOCGIFFLAGS, &ifr);
	if (ret)
		return ret;
	ifr.ifr_flags |= IFF_UP;
	return tap_ifreq(name, SIOCSIFFLAGS, &ifr);
}

int gd_tap_set_mac(struct gd_tap *t, const uint8_t mac[6])
{
	struct ifreq ifr = {0};

	ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
	memcpy(ifr.ifr_hwaddr.sa_data, mac, 6);
	return tap_ifreq(t->name, SIOCSIFHWADDR, &ifr);
}

int gd_tap_get_mtu(struct gd_tap *t)
{
	struct ifreq ifr = {0};
	int ret = tap_ifreq(t->name, SIOCGIFMTU, &ifr);

	return ret ? ret : ifr.ifr_mtu;
}

int gd_tap_set_mtu(struct gd_tap *t, uint32_t mtu)
{
	struct ifreq ifr = {0};

	ifr.ifr_mtu = (int)mtu;
	return tap_ifreq(t->name, SIOCSIFMTU, &ifr);
}

int gd_tap_set_carrier(struct gd_tap *t, bool on)
{
	int v = on;

	return ioctl(t->fd, TUNSETCARRIER, &v) < 0 ? -errno : 0;
}

int gd_tap_set_offload(struct gd_tap *t, uint32_t ol)
{
	unsigned int f = TUN_F_CSUM; /* partial checksums we cannot pass on are completed here */

	if (ol & GD_OL_LSO4)
		f |= TUN_F_TSO4;
	if (ol & GD_OL_LSO6)
		f |= TUN_F_TSO6;
	return ioctl(t->fd, TUNSETOFFLOAD, f) < 0 ? -errno : 0;
}

int gd_tap_open(struct gd_tap *t, const char *name, const uint8_t mac[6], uint32_t mtu,
	bool carrier)
{
	struct ifreq ifr = {0};
	int ret;

	t->fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (t->fd < 0)
		return -errno;
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(t->fd, TUNSETIFF, &ifr) < 0) {
		ret = -errno;
		goto err_close;
	}
	snprintf(t->name, sizeof(t->name), "%s", ifr.ifr_name);
	ret = gd_tap_set_carrier(t, carrier);
	if (ret == 0)
		ret = gd_tap_set_mac(t, mac);
	if (ret == 0) {
		memset(&ifr, 0, sizeof(ifr));
		ifr.ifr_mtu = (int)mtu;
		ret = tap_ifreq(t->name, SIOCSIFMTU, &ifr);
	}
	if (ret == 0)
		ret = tap_up(t->name);
	if (ret)
		goto err_close;
	/* lo too: init brought it up already, but the driver may run alone (pktgen) */
	tap_up("lo");
	return 0;

err_close:
	close(t->fd);
	t->fd = -1;
	return ret;
}

void gd_tap_close(struct gd_tap *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
}
