// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * WSAPoll over Linux poll: the Windows POLL* bits (winsock2.h) translated
 * both ways, a SOCKET fd, and INVALID_SOCKET entries skipped as Windows
 * skips negative ones. revents holds only what was asked for, plus
 * POLLERR, POLLHUP and POLLNVAL, which are always reported.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#include "lwfp_win_internal.h"

#include "../visibility.h"

static const struct {
	SHORT win;
	short lx;
} bits[] = {
	{ POLLRDNORM, LWFP_LX_POLLRDNORM }, { POLLRDBAND, LWFP_LX_POLLRDBAND },
	{ POLLPRI, LWFP_LX_POLLPRI },	    { POLLWRNORM, LWFP_LX_POLLWRNORM },
	{ POLLWRBAND, LWFP_LX_POLLWRBAND }, { POLLERR, LWFP_LX_POLLERR },
	{ POLLHUP, LWFP_LX_POLLHUP },	    { POLLNVAL, LWFP_LX_POLLNVAL },
};

#define WIN_POLL_ALWAYS (POLLERR | POLLHUP | POLLNVAL)

static short to_linux(SHORT win)
{
	short lx = 0;
	size_t i;

	for (i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
		if (win & bits[i].win)
			lx |= bits[i].lx;
	return lx;
}

/* Linux reports POLLIN and POLLOUT alongside the RD/WRNORM bits. */
static SHORT to_windows(short lx)
{
	SHORT win = 0;
	size_t i;

	if (lx & LWFP_LX_POLLIN)
		lx |= LWFP_LX_POLLRDNORM;
	if (lx & LWFP_LX_POLLOUT)
		lx |= LWFP_LX_POLLWRNORM;
	for (i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
		if (lx & bits[i].lx)
			win |= bits[i].win;
	return win;
}

static int fail(int err)
{
	win_set_error(err);
	return SOCKET_ERROR;
}

/* Windows refuses bits outside its set. */
static int fill(struct pollfd *p, const WSAPOLLFD *w, ULONG n)
{
	const SHORT known = POLLIN | POLLPRI | POLLOUT | POLLWRBAND;
	ULONG i;

	for (i = 0; i < n; i++) {
		if (w[i].events & ~known)
			return WSAEINVAL;
		p[i].fd = w[i].fd > INT_MAX ? -1 : (int)w[i].fd;
		p[i].events = to_linux(w[i].events);
		p[i].revents = 0;
	}
	return 0;
}

LWFP_API int WSAPoll(LPWSAPOLLFD fdArray, ULONG fds, INT timeout)
{
	struct pollfd *p;
	ULONG i;
	int n, err;

	if (!fdArray)
		return fail(WSAEFAULT);
	if (!fds)
		return fail(WSAEINVAL);
	p = calloc(fds, sizeof(*p));
	if (!p)
		return fail(WSAENOBUFS);
	err = fill(p, fdArray, fds);
	n = err ? -1 : poll(p, fds, timeout < 0 ? -1 : timeout);
	if (n < 0 && !err)
		err = win_errno_to_wsa(errno);
	for (i = 0; !err && i < fds; i++)
		fdArray[i].revents =
			to_windows(p[i].revents) & (fdArray[i].events | WIN_POLL_ALWAYS);
	free(p);
	return err ? fail(err) : n;
}
