// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The route of IPv6 UDP flow addresses (abi.h, LWFP_UDP6_NET): IPv6 has no
 * loopback range like 127/8, so `up` makes LWFP_UDP6_NET::/96 local on lo
 * (AnyIP), in the network namespace it runs in, and `down` removes it.
 *
 * The local route sits in a table of its own, consulted only for packets
 * from this host (a rule "iif lo": for locally sent packets the lookup's
 * input interface is lo). In the local table it would also accept packets
 * that a neighbour on a link sends to those addresses, and let it reach a
 * proxy's flows from outside, which 127.128.0.0/9 never allows for IPv4.
 * Route and rule carry their own protocol number, so `ip -6 route show
 * table 19575` and `ip -6 rule` show whose they are.
 */
#include <errno.h>
#include <glob.h>
#include <stdbool.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <linux/fib_rules.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "internal.h"

/* Unassigned in /etc/iproute2/rt_protos; 'L'. */
#define RTPROT_LWFP 0x4c
/* "Lw"; the rule comes before the main table's (32766). */
#define LWFP_RT_TABLE 0x4c77u
#define LWFP_RT_PRIORITY 0x4c77u

/* A route (struct rtmsg) or rule (struct fib_rule_hdr) request. */
struct nl_req {
	struct nlmsghdr nh;
	union {
		struct rtmsg rt;
		struct fib_rule_hdr fr;
	};
	char attrs[96];
};

static void add_attr(struct nl_req *r, unsigned short type, const void *data, size_t len)
{
	struct rtattr *a = (struct rtattr *)((char *)r + NLMSG_ALIGN(r->nh.nlmsg_len));

	a->rta_type = type;
	a->rta_len = RTA_LENGTH(len);
	memcpy(RTA_DATA(a), data, len);
	r->nh.nlmsg_len = NLMSG_ALIGN(r->nh.nlmsg_len) + RTA_ALIGN(a->rta_len);
}

static void start(struct nl_req *r, unsigned short type, unsigned short flags)
{
	memset(r, 0, sizeof(*r));
	r->nh.nlmsg_len = NLMSG_LENGTH(sizeof(r->rt));
	r->nh.nlmsg_type = type;
	r->nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
}

/* LWFP_UDP6_NET::/96 as an RTA_DST / FRA_DST attribute (the same type). */
static void add_prefix(struct nl_req *r)
{
	uint32_t dst[4] = { htonl(LWFP_UDP6_NET0), htonl(LWFP_UDP6_NET1), 0, 0 };

	add_attr(r, RTA_DST, dst, sizeof(dst));
}

/* local LWFP_UDP6_NET::/96 dev lo table LWFP_RT_TABLE proto 76 */
static void build_route(struct nl_req *r, unsigned short type, unsigned short flags, int lo)
{
	uint32_t table = LWFP_RT_TABLE;

	start(r, type, flags);
	r->rt.rtm_family = AF_INET6;
	r->rt.rtm_dst_len = LWFP_UDP6_PLEN;
	r->rt.rtm_table = RT_TABLE_UNSPEC; /* RTA_TABLE: the id is above 255 */
	r->rt.rtm_protocol = RTPROT_LWFP;
	r->rt.rtm_scope = RT_SCOPE_HOST;
	r->rt.rtm_type = RTN_LOCAL;
	add_prefix(r);
	add_attr(r, RTA_OIF, &lo, sizeof(lo));
	add_attr(r, RTA_TABLE, &table, sizeof(table));
}

/* to LWFP_UDP6_NET::/96 iif lo lookup LWFP_RT_TABLE pref LWFP_RT_PRIORITY proto 76 */
static void build_rule(struct nl_req *r, unsigned short type, unsigned short flags)
{
	uint32_t table = LWFP_RT_TABLE, prio = LWFP_RT_PRIORITY;
	uint8_t proto = RTPROT_LWFP;

	start(r, type, flags);
	r->fr.family = AF_INET6;
	r->fr.dst_len = LWFP_UDP6_PLEN;
	r->fr.action = FR_ACT_TO_TBL;
	add_prefix(r);
	add_attr(r, FRA_IIFNAME, "lo", sizeof("lo"));
	add_attr(r, FRA_TABLE, &table, sizeof(table));
	add_attr(r, FRA_PRIORITY, &prio, sizeof(prio));
	add_attr(r, FRA_PROTOCOL, &proto, sizeof(proto));
}

/*
 * Sends one request on the rtnetlink socket fd (which acts on the
 * namespace it was made in) and returns the kernel's answer: 0 or -errno.
 */
static int transact(int fd, struct nl_req *r)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	union {
		struct nlmsghdr nh;
		char buf[512];
	} ans;
	struct nlmsgerr *e;
	ssize_t n;

	if (sendto(fd, r, r->nh.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return -errno;
	n = recv(fd, &ans, sizeof(ans), 0);
	if (n < 0)
		return -errno;
	if (n < (ssize_t)NLMSG_LENGTH(sizeof(*e)) || ans.nh.nlmsg_type != NLMSG_ERROR)
		return -EPROTO;
	e = NLMSG_DATA(&ans.nh);
	return e->error;
}

/* What is already there (adding) or already gone (removing) is success. */
static int settled(bool add, int err)
{
	if (add)
		return err == -EEXIST ? 0 : err;
	return err == -ENOENT || err == -ESRCH ? 0 : err;
}

/* Route and rule together: a route without its rule is never used. */
static int change_fd(int fd, bool add, int lo)
{
	unsigned short flags = add ? NLM_F_CREATE | NLM_F_EXCL : 0;
	struct nl_req r;
	int err;

	build_route(&r, add ? RTM_NEWROUTE : RTM_DELROUTE, flags, lo);
	err = settled(add, transact(fd, &r));
	if (err)
		return err;
	build_rule(&r, add ? RTM_NEWRULE : RTM_DELRULE, flags);
	return settled(add, transact(fd, &r));
}

static int change(bool add)
{
	int lo = (int)if_nametoindex("lo"), fd, err;

	if (!lo)
		return -errno;
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	err = change_fd(fd, add, lo);
	close(fd);
	return err;
}

/*
 * IPv6 is off there (no IPv6 module, or disable_ipv6 on lo: EACCES) and no
 * IPv6 flow can exist.
 */
static int ipv6_off_is_fine(int err)
{
	return err == -EAFNOSUPPORT || err == -EACCES ? 0 : err;
}

int udp6_route_add(void)
{
	return ipv6_off_is_fine(change(true));
}

/* Loopback is interface 1 in every namespace (LOOPBACK_IFINDEX). */
int udp6_route_add_fd(int fd)
{
	return ipv6_off_is_fine(change_fd(fd, true, 1));
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
	snprintf(pattern, sizeof(pattern), "%.*s/*/%s", (int)(slash - pin_dir), pin_dir, map_name(MAP_CONFIG));
	snprintf(self, sizeof(self), "%s/%s", pin_dir, map_name(MAP_CONFIG));
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
	err = change(false);
	return err == -EAFNOSUPPORT ? 0 : err;
}
