// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The local route of IPv6 UDP flow addresses (abi.h, LWFP_UDP6_NET): IPv6
 * has no loopback range like 127/8, so `up` makes LWFP_UDP6_NET::/96 local
 * on lo (AnyIP), in the network namespace it runs in, and `down` removes it.
 * The route is tagged with its own protocol number, so that `ip -6 route`
 * shows whose it is.
 */
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "internal.h"

/* Unassigned in /etc/iproute2/rt_protos; 'L'. */
#define RTPROT_LWFP 0x4c

struct route_req {
	struct nlmsghdr nh;
	struct rtmsg rt;
	char attrs[64];
};

static void add_attr(struct route_req *r, unsigned short type, const void *data, size_t len)
{
	struct rtattr *a = (struct rtattr *)((char *)r + NLMSG_ALIGN(r->nh.nlmsg_len));

	a->rta_type = type;
	a->rta_len = RTA_LENGTH(len);
	memcpy(RTA_DATA(a), data, len);
	r->nh.nlmsg_len = NLMSG_ALIGN(r->nh.nlmsg_len) + RTA_ALIGN(a->rta_len);
}

static void build(struct route_req *r, unsigned short type, unsigned short flags, int lo)
{
	uint32_t dst[4] = { htonl(LWFP_UDP6_NET0), htonl(LWFP_UDP6_NET1), 0, 0 };

	memset(r, 0, sizeof(*r));
	r->nh.nlmsg_len = NLMSG_LENGTH(sizeof(r->rt));
	r->nh.nlmsg_type = type;
	r->nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	r->rt.rtm_family = AF_INET6;
	r->rt.rtm_dst_len = LWFP_UDP6_PLEN;
	r->rt.rtm_table = RT_TABLE_LOCAL;
	r->rt.rtm_protocol = RTPROT_LWFP;
	r->rt.rtm_scope = RT_SCOPE_HOST;
	r->rt.rtm_type = RTN_LOCAL;
	add_attr(r, RTA_DST, dst, sizeof(dst));
	add_attr(r, RTA_OIF, &lo, sizeof(lo));
}

/* Sends one request and returns the kernel's answer to it: 0 or -errno. */
static int transact(struct route_req *r)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	union {
		struct nlmsghdr nh;
		char buf[512];
	} ans;
	struct nlmsgerr *e;
	ssize_t n;
	int fd, err;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	if (sendto(fd, r, r->nh.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	n = recv(fd, &ans, sizeof(ans), 0);
	err = n < 0 ? -errno : 0;
	close(fd);
	if (err)
		return err;
	if (n < (ssize_t)NLMSG_LENGTH(sizeof(*e)) || ans.nh.nlmsg_type != NLMSG_ERROR)
		return -EPROTO;
	e = NLMSG_DATA(&ans.nh);
	return e->error;
}

static int change(unsigned short type, unsigned short flags)
{
	struct route_req r;
	int lo = (int)if_nametoindex("lo");

	if (!lo)
		return -errno;
	build(&r, type, flags, lo);
	return transact(&r);
}

int udp6_route_add(void)
{
	int err = change(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);

	/*
	 * There already, or IPv6 is off here (no IPv6 module, or disable_ipv6
	 * on lo: EACCES) and no IPv6 flow can exist.
	 */
	if (err == -EEXIST || err == -EAFNOSUPPORT || err == -EACCES)
		return 0;
	return err;
}

/*
 * Other engines may share the namespace and the route: the last one down
 * removes it. They are looked for next to this one, where lwfpctl and the
 * tests make pin directories.
 */
static bool other_engines(const char *pin_dir)
{
	char pattern[PATH_MAX], self[PATH_MAX];
	const char *slash = strrchr(pin_dir, '/');
	bool found = false;
	glob_t g;
	size_t i;

	if (!slash || slash == pin_dir)
		return false;
	snprintf(pattern, sizeof(pattern), "%.*s/*/%s", (int)(slash - pin_dir), pin_dir, MAP_CONFIG);
	snprintf(self, sizeof(self), "%s/%s", pin_dir, MAP_CONFIG);
	if (glob(pattern, 0, NULL, &g))
		return false;
	for (i = 0; i < g.gl_pathc && !found; i++)
		found = strcmp(g.gl_pathv[i], self) != 0;
	globfree(&g);
	return found;
}

int udp6_route_del(const char *pin_dir)
{
	int err;

	if (other_engines(pin_dir))
		return 0;
	err = change(RTM_DELROUTE, 0);
	return err == -ESRCH || err == -ENOENT || err == -EAFNOSUPPORT ? 0 : err;
}
