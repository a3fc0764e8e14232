// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A watch in its worker's epoll set; below the worker loop and the flows,
 * TCP and UDP, that register their sockets.
 */
#include <errno.h>
#include <sys/epoll.h>

#include "watch.h"
#include "worker.h"

int watch_set(struct worker *w, struct watch *wt, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = wt };
	int op;

	if (events == wt->events)
		return 0;
	if (!events)
		op = EPOLL_CTL_DEL;
	else
		op = wt->events ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
	if (epoll_ctl(w->epfd, op, wt->fd, &ev))
		return -errno;
	wt->events = events;
	return 0;
}
