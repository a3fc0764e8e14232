/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * One direction of a relayed connection: bytes move from the source socket
 * into a pipe and from the pipe into the destination socket with splice(), so
 * they never enter user space.
 *
 * Back-pressure comes from the pipe: a pump reads from its source only while
 * its pipe is empty, and while the pipe holds bytes it waits for the
 * destination to take them. So at any moment a pump waits on exactly one
 * event, and a slow reader slows the sender down through TCP instead of
 * growing a buffer.
 */
#ifndef LWFP_INSPECT_RELAY_H
#define LWFP_INSPECT_RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pump {
	int pipe[2]; /* -1 until pump_open() */
	size_t capacity; /* the pipe's size: never read more than it holds */
	size_t queued; /* in the pipe, not yet taken by the destination */
	uint64_t bytes; /* taken by the destination */
	bool eof; /* the source has sent everything */
	bool shut; /* ... and the destination was told so, with shutdown(SHUT_WR) */
};

void pump_init(struct pump *p);
int pump_open(struct pump *p);
void pump_close(struct pump *p);

/*
 * Moves bytes until a socket would block or the source ends, and passes an
 * end on as a half-close. 0, or -errno with *failed set to the socket whose
 * call failed.
 */
int pump_run(struct pump *p, int src, int dst, int *failed);

static inline bool pump_wants_read(const struct pump *p)
{
	return !p->eof && !p->queued;
}

static inline bool pump_wants_write(const struct pump *p)
{
	return p->queued > 0;
}

static inline bool pump_done(const struct pump *p)
{
	return p->shut;
}

#endif /* LWFP_INSPECT_RELAY_H */
