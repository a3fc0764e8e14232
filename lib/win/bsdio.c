// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * recv, recvfrom, send, sendto and WSAConnect with their Windows prototypes
 * (int lengths, int * for the address length), and connect. Besides the types, they
 * re-enable WSAEventSelect's one-shot events the way Windows does: a recv
 * re-enables FD_READ (and FD_OOB), a send that would block FD_WRITE.
 */
#include <errno.h>
#include <limits.h>

#include "lwfp_win_internal.h"

#include "../visibility.h"

static int fail(int err)
{
	win_set_error(err);
	return SOCKET_ERROR;
}

/* A SOCKET as an fd, or -1 with WSAENOTSOCK (WSAEINPROGRESS) set. */
static int fd_of(SOCKET s)
{
	if (s > INT_MAX) {
		win_set_error(WSAENOTSOCK);
		return -1;
	}
	/* winio: a blocking call inside another fails (blocking.c). */
	if (win_blocking_busy((int)s)) {
		win_set_error(WSAEINPROGRESS);
		return -1;
	}
	return (int)s;
}

/* The result of a receive: its byte count, or SOCKET_ERROR. */
static int received(int fd, ssize_t n)
{
	int err = errno;

	win_es_rearm(fd, FD_READ | FD_OOB);
	if (n < 0)
		return fail(win_errno_to_wsa(err));
	return (int)n;
}

static int sent(int fd, ssize_t n)
{
	int err = errno;

	if (n >= 0)
		return (int)n;
	if (err == EAGAIN)
		win_es_rearm(fd, FD_WRITE);
	return fail(win_errno_to_wsa(err));
}

/* A negative length would be a huge size_t: Windows calls it a bad buffer. */
LWFP_API int lwfp_win_recv(SOCKET s, char *buf, int len, int flags)
{
	int fd = fd_of(s);

	if (fd < 0)
		return SOCKET_ERROR;
	if (len < 0)
		return fail(WSAEFAULT);
	return received(fd, recv(fd, buf, (size_t)len, flags));
}

LWFP_API int lwfp_win_recvfrom(SOCKET s, char *buf, int len, int flags, struct sockaddr *from,
			       int *fromlen)
{
	socklen_t alen = 0;
	ssize_t n;
	int fd = fd_of(s);

	if (fd < 0)
		return SOCKET_ERROR;
	if (len < 0 || (from && (!fromlen || *fromlen < 0)))
		return fail(WSAEFAULT);
	if (from)
		alen = (socklen_t)*fromlen;
	n = recvfrom(fd, buf, (size_t)len, flags, from, from ? &alen : NULL);
	/* A stream socket has no source to report: Windows leaves *fromlen. */
	if (n >= 0 && from && alen)
		*fromlen = (int)alen;
	return received(fd, n);
}

LWFP_API int lwfp_win_send(SOCKET s, const char *buf, int len, int flags)
{
	int fd = fd_of(s);

	if (fd < 0)
		return SOCKET_ERROR;
	if (len < 0)
		return fail(WSAEFAULT);
	return sent(fd, send(fd, buf, (size_t)len, flags | MSG_NOSIGNAL));
}

LWFP_API int lwfp_win_sendto(SOCKET s, const char *buf, int len, int flags,
			     const struct sockaddr *to, int tolen)
{
	int fd = fd_of(s);

	if (fd < 0)
		return SOCKET_ERROR;
	if (len < 0 || tolen < 0)
		return fail(WSAEFAULT);
	return sent(fd, sendto(fd, buf, (size_t)len, flags | MSG_NOSIGNAL, to, (socklen_t)tolen));
}

static int connected(int fd, int rc)
{
	int err = rc ? errno : 0;

	if (win_es_connected(fd, err))
		err = EINPROGRESS; /* reported through FD_CONNECT */
	return err ? fail(win_errno_to_wsa(err)) : 0;
}

LWFP_API int lwfp_win_connect(SOCKET s, const struct sockaddr *name, int namelen)
{
	int fd = fd_of(s);

	if (fd < 0)
		return SOCKET_ERROR;
	if (!name || namelen < 0)
		return fail(WSAEFAULT);
	return connected(fd, connect(fd, name, (socklen_t)namelen));
}

/*
 * Caller and callee data and QoS belong to protocols Linux does not have:
 * the documentation lets a provider refuse them with WSAEOPNOTSUPP.
 */
LWFP_API int WSAConnect(SOCKET s, const struct sockaddr *name, int namelen, LPWSABUF lpCallerData,
			LPWSABUF lpCalleeData, LPQOS lpSQOS, LPQOS lpGQOS)
{
	int fd = fd_of(s);

	if (fd < 0)
		return SOCKET_ERROR;
	if (lpCallerData || lpCalleeData || lpSQOS || lpGQOS)
		return fail(WSAEOPNOTSUPP);
	return lwfp_win_connect(s, name, namelen);
}
