// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * WSAEINPROGRESS: "a blocking Windows Sockets 1.1 call is in progress, or
 * the service provider is still processing a callback function". A thread
 * is inside a blocking Winsock call while one of the layer's blocking
 * calls (WSARecv, WSASend, WSARecvFrom, WSASendTo and accept on a blocking
 * socket without overlap, a synchronous SIO_FLUSH) waits, and while
 * WSAWaitForMultipleEvents runs the completion routines that ended its
 * alertable wait. Another blocking call on that thread then fails at once
 * with WSAEINPROGRESS; overlapped and non-blocking calls go through, as
 * they must for a routine that issues the next WSARecv. SleepEx is
 * kernel32's, not a Winsock call: routines it runs may block. The BSD calls
 * with Windows prototypes (recv, recvfrom, send, sendto, connect) refuse
 * too on a blocking socket, though nothing can run inside them.
 */
#include <fcntl.h>

#include "lwfp_win_internal.h"

/* A depth: an alertable wait may run inside a routine of another. */
static __thread unsigned int depth;

int win_blocking_enter(void)
{
	if (depth)
		return WSAEINPROGRESS;
	depth++;
	return 0;
}

void win_blocking_leave(void)
{
	depth--;
}

void win_blocking_mark(bool on)
{
	if (on)
		depth++;
	else
		depth--;
}

bool win_blocking_busy(int fd)
{
	int fl;

	if (!depth)
		return false;
	fl = fcntl(fd, F_GETFL);
	return fl >= 0 && !(fl & O_NONBLOCK);
}
