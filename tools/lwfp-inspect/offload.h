/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * --offload: a passed flow handed to the kernel (lwfp_offload()). The proxy
 * no longer sees the bytes; it keeps both sockets to learn of each end, to
 * pass it on, and to count what moved, all from the sockets' TCP state.
 *
 * Counting (lwfp_offload_counts()): a direction has delivered everything
 * once its destination's written count has grown, since the hand-over, by
 * what its source received after what the proxy had itself taken by then.
 *
 * Backpressure: past --offload-max-queue bytes queued toward the
 * destination, the kernel leaves the source's segments in the source
 * (EPOLLIN), which stops its sender. Once the kernel's queue has drained,
 * the proxy reads them and writes them on itself, through a small buffer;
 * when all are written, the kernel relays by itself again
 * (lwfp_offload_spill()).
 */
#ifndef LWFP_INSPECT_OFFLOAD_H
#define LWFP_INSPECT_OFFLOAD_H

#include <stdbool.h>
#include <stdint.h>

/* Bytes of a spill read from the source and not yet written on. */
#define OFFLOAD_SPILL_BUF (256 * 1024)
/* Buffers a direction writes on per event before the worker's other flows. */
#define OFFLOAD_SPILL_ROUNDS 16

/* One direction: src's bytes leave through dst. */
struct offload_dir {
	int64_t base; /* dst's written count at the hand-over, less src's bytes taken by then */
	uint64_t out0; /* dst's written count at the hand-over */
	uint64_t pumped; /* bytes of spills the proxy wrote to dst */
	uint64_t pulled; /* bytes of spills the proxy read from src */
	char *buf; /* OFFLOAD_SPILL_BUF, from the first spill on */
	size_t off, len; /* the part of buf still to write */
	bool eof; /* src received its peer's FIN */
	bool shut; /* ... and dst passed it on */
	bool draining; /* a spill waits for the kernel's queue to drain */
	unsigned int drain_checks; /* ... checked this many times without progress */
	uint64_t drain_out; /* dst's written count at the last check */
	bool more; /* the pump stopped at OFFLOAD_SPILL_ROUNDS with bytes left */
};

struct offload {
	struct offload_dir up; /* client to server */
	struct offload_dir down;
	const char *pin_dir;
	uint64_t flushing_since_ms; /* monotonic; 0 while not flushing */
};

/*
 * Hands client and server over, each direction bounded to max_queue bytes
 * in the kernel; from then on, they are reset if the proxy dies (SO_LINGER
 * 0), so that a cut-off stream never looks complete. 0, or lwfp_offload()'s
 * -errno: with -ENOTRECOVERABLE the flow must be reset, with any other the
 * proxy relays it itself.
 */
int offload_begin(struct offload *o, int client, int server, const char *pin_dir,
		  size_t max_queue);

/*
 * Writes on what spilled, notes the ends that arrived and passes on each
 * whose bytes have all left: 0, or -errno with *failed set to the socket
 * that failed (reset).
 */
int offload_run(struct offload *o, int client, int server, int *failed);

/* Frees the spill buffers. */
void offload_free(struct offload *o);

/*
 * Checks of a waiting spill that come soon while the destination takes
 * nothing; after them, only the destination's EPOLLOUT and the idle
 * check's period, so that a peer that never reads does not make the proxy
 * poll for it. A destination that takes bytes keeps the checks soon: the
 * end of a drain wakes nobody.
 */
#define OFFLOAD_DRAIN_CHECKS_SOON 64

/*
 * A spill waits for the kernel's queue, and was not checked often yet; or
 * a pump stopped at its bound.
 */
static inline bool offload_draining_soon(const struct offload *o)
{
	return (o->up.draining && o->up.drain_checks < OFFLOAD_DRAIN_CHECKS_SOON) ||
	       (o->down.draining && o->down.drain_checks < OFFLOAD_DRAIN_CHECKS_SOON) ||
	       o->up.more || o->down.more;
}

/*
 * The direction into the destination waits for it: to take what the proxy
 * holds, or to drain the kernel's queue (its EPOLLOUT comes as it does).
 */
static inline bool offload_wants_write(const struct offload_dir *d)
{
	return d->len > 0 || d->draining;
}

/* An end arrived whose bytes are still leaving: check again soon. */
static inline bool offload_flushing(const struct offload *o)
{
	return (o->up.eof && !o->up.shut) || (o->down.eof && !o->down.shut);
}

static inline bool offload_done(const struct offload *o)
{
	return o->up.shut && o->down.shut;
}

/* The bytes the socket received from its peer (lwfp_offload_counts()). */
uint64_t offload_bytes(int fd);

/* Neither socket received a byte for idle_ms. */
bool offload_idle(int client, int server, uint64_t idle_ms);

/* A flow that ended well closes gracefully: undoes offload_begin()'s SO_LINGER. */
void offload_graceful(int fd);

#endif /* LWFP_INSPECT_OFFLOAD_H */
