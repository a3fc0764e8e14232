// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Sockets in other network namespaces. A socket keeps the namespace it was
 * created in, so only socket() has to run there: a short-lived thread
 * setns()es, makes the socket and ends, and the caller's threads never
 * change namespace (setns affects the calling thread alone, and a library
 * must not move its caller's).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/nsfs.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lwfp/lwfp.h>

#include "internal.h"
#include "opts.h"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

/* Whether fd is a network namespace: -EBADF, -EINVAL, or 0. */
static int check_netns_fd(int fd)
{
	struct stat st;
	int type;

	if (fd < 0 || fstat(fd, &st))
		return -EBADF;
	type = ioctl(fd, NS_GET_NSTYPE);
	return type == CLONE_NEWNET ? 0 : -EINVAL;
}

struct ns_call {
	int netns_fd;
	int (*fn)(void *arg);
	void *arg;
	int ret;
};

static void *ns_thread(void *p)
{
	struct ns_call *c = p;

	if (setns(c->netns_fd, CLONE_NEWNET))
		c->ret = -errno;
	else
		c->ret = c->fn(c->arg);
	return NULL;
}

/* fn(arg) in a thread that lives in the namespace, for as long as fn runs. */
static int in_netns(int netns_fd, int (*fn)(void *arg), void *arg)
{
	struct ns_call c = { .netns_fd = netns_fd, .fn = fn, .arg = arg };
	pthread_t t;
	int err;

	err = check_netns_fd(netns_fd);
	if (err)
		return err;
	err = pthread_create(&t, NULL, ns_thread, &c);
	if (err)
		return -err;
	pthread_join(t, NULL);
	return c.ret;
}

/* ---- plain sockets -------------------------------------------------------------- */

struct socket_args {
	int domain, type, protocol;
};

static int make_socket(void *p)
{
	struct socket_args *a = p;
	int fd = socket(a->domain, a->type | SOCK_CLOEXEC, a->protocol);

	return fd < 0 ? -errno : fd;
}

LWFP_API int lwfp_netns_socket(int netns_fd, int domain, int type, int protocol)
{
	struct socket_args a = { domain, type, protocol };

	return in_netns(netns_fd, make_socket, &a);
}

/* ---- namespace identity ----------------------------------------------------------- */

LWFP_API int lwfp_netns_info(int netns_fd, uint32_t *ino, uint64_t *cookie)
{
	socklen_t len = sizeof(*cookie);
	struct stat st;
	int fd, err;

	err = check_netns_fd(netns_fd);
	if (err)
		return err;
	if (ino) {
		if (fstat(netns_fd, &st))
			return -errno;
		*ino = (uint32_t)st.st_ino;
	}
	if (!cookie)
		return 0;
	/* The cookie is only told to a socket of the namespace. */
	fd = lwfp_netns_socket(netns_fd, AF_INET, SOCK_DGRAM, 0);
	if (fd == -EAFNOSUPPORT)
		fd = lwfp_netns_socket(netns_fd, AF_UNIX, SOCK_DGRAM, 0);
	if (fd < 0)
		return fd;
	err = getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, cookie, &len) ? -errno : 0;
	close(fd);
	/* Kernels before 5.14 have no SO_NETNS_COOKIE. */
	return err == -ENOPROTOOPT ? -EOPNOTSUPP : err;
}

/* ---- listening sockets ------------------------------------------------------------ */

struct listen_args {
	const struct sockaddr *addr;
	socklen_t len;
	int type;
	int backlog;
	bool reuseaddr, reuseport, pktinfo, freebind, nonblock;
};

static int set_one(int fd, int level, int name)
{
	int one = 1;

	return setsockopt(fd, level, name, &one, sizeof(one)) ? -errno : 0;
}

/*
 * IPv6 sockets are v6-only, so that [::]:P and 0.0.0.0:P can be bound
 * side by side, as lwfp-inspect does.
 */
static int set_options(int fd, const struct listen_args *a)
{
	bool v6 = a->addr->sa_family == AF_INET6;
	int err = 0;

	if (a->reuseaddr)
		err = set_one(fd, SOL_SOCKET, SO_REUSEADDR);
	if (!err && a->reuseport)
		err = set_one(fd, SOL_SOCKET, SO_REUSEPORT);
	if (!err && v6)
		err = set_one(fd, IPPROTO_IPV6, IPV6_V6ONLY);
	if (!err && a->freebind)
		err = set_one(fd, v6 ? IPPROTO_IPV6 : IPPROTO_IP,
			      v6 ? IPV6_FREEBIND : IP_FREEBIND);
	if (!err && a->pktinfo && a->type == SOCK_DGRAM)
		err = v6 ? set_one(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO)
			 : set_one(fd, IPPROTO_IP, IP_PKTINFO);
	return err;
}

static int make_listener(void *p)
{
	struct listen_args *a = p;
	int flags = SOCK_CLOEXEC | (a->nonblock ? SOCK_NONBLOCK : 0);
	int fd, err;

	fd = socket(a->addr->sa_family, a->type | flags, 0);
	if (fd < 0)
		return -errno;
	err = set_options(fd, a);
	if (!err && bind(fd, a->addr, a->len))
		err = -errno;
	if (!err && a->type == SOCK_STREAM && listen(fd, a->backlog))
		err = -errno;
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

static int listen_args(const struct sockaddr *addr, socklen_t len,
		       const struct lwfp_listen_opts *opts, struct listen_args *a)
{
	if (!addr)
		return -EINVAL;
	if (addr->sa_family == AF_INET ? len < sizeof(struct sockaddr_in)
	    : addr->sa_family == AF_INET6 ? len < sizeof(struct sockaddr_in6)
					   : true)
		return -EAFNOSUPPORT;
	*a = (struct listen_args){
		.addr = addr,
		.len = len,
		.type = OPTS_GET(opts, type, 0) ? OPTS_GET(opts, type, 0) : SOCK_STREAM,
		.backlog = OPTS_GET(opts, backlog, 0) > 0 ? OPTS_GET(opts, backlog, 0) : SOMAXCONN,
		.reuseaddr = OPTS_GET(opts, reuseaddr, false),
		.reuseport = OPTS_GET(opts, reuseport, false),
		.pktinfo = OPTS_GET(opts, pktinfo, false),
		.freebind = OPTS_GET(opts, freebind, false),
		.nonblock = OPTS_GET(opts, nonblock, false),
	};
	return a->type == SOCK_STREAM || a->type == SOCK_DGRAM ? 0 : -EINVAL;
}

LWFP_API int lwfp_listen_netns(int netns_fd, const struct sockaddr *addr, socklen_t len,
			       const struct lwfp_listen_opts *opts)
{
	uint32_t service;
	struct listen_args a;
	int fd, err;

	if (!OPTS_VALID(opts, lwfp_listen_opts))
		return -EINVAL;
	service = OPTS_GET(opts, service, 0);
	err = listen_args(addr, len, opts, &a);
	if (err)
		return err;
	fd = in_netns(netns_fd, make_listener, &a);
	if (fd < 0 || !service)
		return fd;
	/* Here, not in the thread: the engine asks which process registers. */
	err = lwfp_register_listener(fd, service);
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

/* ---- the IPv6 UDP flow route ------------------------------------------------------- */

static int netlink_socket(void *arg)
{
	(void)arg;
	return make_socket(&(struct socket_args){ AF_NETLINK, SOCK_RAW, NETLINK_ROUTE });
}

LWFP_API int lwfp_netns_udp_route(int netns_fd)
{
	int fd, err;

	fd = in_netns(netns_fd, netlink_socket, NULL);
	if (fd < 0)
		return fd;
	err = udp6_route_add_fd(fd);
	close(fd);
	return err;
}
