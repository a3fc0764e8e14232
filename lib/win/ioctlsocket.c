// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * ioctlsocket: FIONBIO, FIONREAD and SIOCATMARK, whose Windows codes and
 * meanings differ from Linux's ioctls of the same names.
 */
#include <sys/ioctl.h>

/* Linux's FIONREAD, before the Windows headers replace the name. */
enum { LX_FIONREAD = FIONREAD };
/* asm-generic/ioctl.h's IOC_* are not the Winsock IOC_* of lwfp_wintypes.h. */
#undef IOC_IN
#undef IOC_OUT
#undef IOC_INOUT

#include <errno.h>
#include <fcntl.h>
#include <limits.h>

#include "lwfp_win_internal.h"

#include "../visibility.h"

static int fail(int err)
{
	win_set_error(err);
	return SOCKET_ERROR;
}

static int set_nonblocking(int fd, bool on)
{
	int fl = fcntl(fd, F_GETFL);

	/* Windows keeps an event-selected socket non-blocking. */
	if (!on && win_es_selected(fd))
		return WSAEINVAL;
	if (fl < 0 || fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK))
		return win_errno_to_wsa(errno);
	return 0;
}

/*
 * Windows answers TRUE when no urgent data waits to be read (the opposite
 * sense of sockatmark, which only tells whether the mark is next). TCP
 * reports pending urgent data as POLLPRI, inline (SO_OOBINLINE) or not.
 */
static int at_mark(int fd, u_long *argp)
{
	struct pollfd p = { .fd = fd, .events = LWFP_LX_POLLPRI };

	if (poll(&p, 1, 0) < 0)
		return win_errno_to_wsa(errno);
	*argp = !(p.revents & LWFP_LX_POLLPRI);
	return 0;
}

static int available(int fd, u_long *argp)
{
	int n;

	if (ioctl(fd, LX_FIONREAD, &n))
		return win_errno_to_wsa(errno);
	*argp = (u_long)n;
	return 0;
}

LWFP_API int ioctlsocket(SOCKET s, long cmd, u_long *argp)
{
	struct win_sock ws;
	int err = win_sock_get(s, &ws);

	if (err)
		return fail(err);
	if (!argp)
		return fail(WSAEFAULT);
	switch ((DWORD)cmd) {
	case (DWORD)FIONBIO:
		err = set_nonblocking(ws.fd, *argp != 0);
		break;
	case (DWORD)FIONREAD:
		err = available(ws.fd, argp);
		break;
	case (DWORD)SIOCATMARK:
		err = at_mark(ws.fd, argp);
		break;
	default:
		err = WSAEINVAL;
	}
	return err ? fail(err) : 0;
}
