// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Listening sockets. */
#include <errno.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <lwfp/lwfp.h>

#include "addr.h"
#include "listen.h"
#include "log.h"

static int bound_socket(const struct lwfp_addr *a, int reuseport, int *fd)
{
	struct sockaddr_storage ss;
	socklen_t len = addr_to_sockaddr(a, &ss);
	int one = 1, s, err;

	s = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
	if (s < 0)
		return -errno;
	/*
	 * SO_REUSEADDR: restart while old flows sit in TIME_WAIT. V6ONLY: so
	 * that [::1]:P and 127.0.0.1:P can both be listened on.
	 */
	if (setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    setsockopt(s, SOL_SOCKET, SO_REUSEPORT, &reuseport, sizeof(reuseport)) ||
	    (ss.ss_family == AF_INET6 &&
	     setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one))) ||
	    bind(s, (struct sockaddr *)&ss, len)) {
		err = -errno;
		close(s);
		return err;
	}
	*fd = s;
	return 0;
}

int listen_probe(const struct lwfp_addr *a)
{
	int fd = -1, err;

	err = bound_socket(a, 0, &fd);
	if (!err)
		close(fd);
	return err;
}

int listen_open(const struct lwfp_addr *a, int *fd)
{
	int err;

	err = bound_socket(a, 1, fd);
	if (err)
		return err;
	if (listen(*fd, SOMAXCONN)) {
		err = -errno;
		close(*fd);
		return err;
	}
	return 0;
}

/* ---- UDP ------------------------------------------------------------------------- */

static int udp_socket(uint16_t port, bool v6, bool reuse, int *fd)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	int on = reuse, one = 1, s, err;
	socklen_t len;

	if (v6) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		len = sizeof(*sin6);
	} else {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		len = sizeof(*sin);
	}
	s = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
	if (s < 0)
		return -errno;
	if (setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) ||
	    setsockopt(s, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) ||
	    (v6 ? setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) ||
			  setsockopt(s, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one))
		: setsockopt(s, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one))) ||
	    bind(s, (struct sockaddr *)&ss, len)) {
		err = -errno;
		close(s);
		return err;
	}
	*fd = s;
	return 0;
}

int udp_listen_open(uint16_t port, bool v6, int *fd)
{
	return udp_socket(port, v6, true, fd);
}

/*
 * Without SO_REUSEADDR the bind fails if anything holds the port, even a
 * socket that has the option: unlike TCP's, UDP's SO_REUSEADDR lets two
 * sockets share a port silently, which a second lwfp-inspect must not.
 * A host without IPv6 has only the IPv4 side to check.
 */
int udp_listen_probe(uint16_t port)
{
	int fd = -1, err, v6;

	for (v6 = 0; v6 < 2; v6++) {
		err = udp_socket(port, v6, false, &fd);
		if (err == -EAFNOSUPPORT && v6)
			return 0;
		if (err)
			return err;
		close(fd);
	}
	return 0;
}

void listen_register(int fd, uint32_t handle)
{
	static atomic_bool said;
	int err;

	if (!handle)
		return;
	err = lwfp_register_listener(fd, handle);
	if (err && !atomic_exchange(&said, true))
		log_warn("registering a listener for service handle %u: %s", handle,
			 strerror(-err));
}
