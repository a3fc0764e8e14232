// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The splice() pump of one direction. */
#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "relay.h"

/*
 * Rounds of read-then-write per call. Epoll is level-triggered, so a pump
 * that stops early is called again; the bound keeps one fast flow from
 * starving the others of its worker.
 */
#define PUMP_ROUNDS 8

void pump_init(struct pump *p)
{
	*p = (struct pump){ .pipe = { -1, -1 } };
}

int pump_open(struct pump *p)
{
	int size;

	if (pipe2(p->pipe, O_NONBLOCK | O_CLOEXEC))
		return -errno;
	size = fcntl(p->pipe[0], F_GETPIPE_SZ);
	if (size <= 0) {
		pump_close(p);
		return -EINVAL;
	}
	p->capacity = (size_t)size;
	return 0;
}

void pump_close(struct pump *p)
{
	if (p->pipe[0] >= 0)
		close(p->pipe[0]);
	if (p->pipe[1] >= 0)
		close(p->pipe[1]);
	p->pipe[0] = p->pipe[1] = -1;
}

/* Source to pipe: 1 if bytes moved or the source ended, 0 if it would block. */
static int fill(struct pump *p, int src)
{
	ssize_t n;

	n = splice(src, NULL, p->pipe[1], NULL, p->capacity - p->queued,
		   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
	if (n < 0)
		return errno == EAGAIN ? 0 : -errno;
	if (n == 0)
		p->eof = true;
	p->queued += (size_t)n;
	return 1;
}

/* Pipe to destination: 1 if bytes moved, 0 if it would block. */
static int drain(struct pump *p, int dst)
{
	ssize_t n;

	n = splice(p->pipe[0], NULL, dst, NULL, p->queued, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
	if (n < 0)
		return errno == EAGAIN ? 0 : -errno;
	p->queued -= (size_t)n;
	p->bytes += (uint64_t)n;
	return n > 0;
}

int pump_run(struct pump *p, int src, int dst, int *failed)
{
	int round, moved, r;

	for (round = 0; round < PUMP_ROUNDS; round++) {
		moved = 0;
		/*
		 * A pipe can be full before queued reaches capacity (each slot
		 * holds one page at most); splice() then says EAGAIN, which is
		 * fine: the drain below makes room.
		 */
		if (!p->eof && p->queued < p->capacity) {
			r = fill(p, src);
			if (r < 0) {
				*failed = src;
				return r;
			}
			moved |= r;
		}
		if (p->queued) {
			r = drain(p, dst);
			if (r < 0) {
				*failed = dst;
				return r;
			}
			moved |= r;
		}
		if (!moved)
			break;
	}
	/* The source is done and all of it delivered: pass the FIN on. */
	if (p->eof && !p->queued && !p->shut) {
		p->shut = true;
		if (shutdown(dst, SHUT_WR) && errno != ENOTCONN) {
			*failed = dst;
			return -errno;
		}
	}
	return 0;
}
