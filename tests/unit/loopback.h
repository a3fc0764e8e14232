/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A connected loopback TCP pair for the unit tests that need real sockets
 * (not for the Windows layer's, whose headers bring their own in_addr).
 */
#ifndef LWFP_TEST_LOOPBACK_H
#define LWFP_TEST_LOOPBACK_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

/* fds[0] connects, fds[1] is accepted: 0, or -1 with errno. */
static inline int loopback_tcp_pair(int fds[2])
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int ls, err = -1;

	ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (ls < 0)
		return -1;
	fds[0] = fds[1] = -1;
	if (!bind(ls, (struct sockaddr *)&a, sizeof(a)) && !listen(ls, 1) &&
	    !getsockname(ls, (struct sockaddr *)&a, &len)) {
		fds[0] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fds[0] >= 0 && !connect(fds[0], (struct sockaddr *)&a, sizeof(a)))
			fds[1] = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
		err = fds[1] >= 0 ? 0 : -1;
	}
	close(ls);
	return err;
}

#endif /* LWFP_TEST_LOOPBACK_H */
