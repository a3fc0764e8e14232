/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * --offload: a passed flow handed to the kernel (lwfp_offload()). The proxy
 * no longer sees the bytes; it keeps both sockets to learn of each end, to
 * pass it on, and to count what moved, all from the sockets' TCP state.
 *
 * Counting (lwfp_offload_counts()): a direction has delivered everything
 * once its destination's written count has grown, since the hand-over, by
 * what its source received after what the proxy had itself taken by then.
 */
#ifndef LWFP_INSPECT_OFFLOAD_H
#define LWFP_INSPECT_OFFLOAD_H

#include <stdbool.h>
#include <stdint.h>

/* One direction: src's bytes leave through dst. */
struct offload_dir {
	int64_t base; /* dst's written count at the hand-over, less src's bytes taken by then */
	bool eof; /* src received its peer's FIN */
	bool shut; /* ... and dst passed it on */
};

struct offload {
	struct offload_dir up; /* client to server */
	struct offload_dir down;
	uint64_t flushing_since_ms; /* monotonic; 0 while not flushing */
};

/*
 * Hands client and server over; from then on, they are reset if the proxy
 * dies (SO_LINGER 0), so that a cut-off stream never looks complete. 0, or
 * lwfp_offload()'s -errno: with -ENOTRECOVERABLE the flow must be reset,
 * with any other the proxy relays it itself.
 */
int offload_begin(struct offload *o, int client, int server, const char *pin_dir);

/*
 * Notes the ends that arrived and passes on each whose bytes have all left:
 * 0, or -errno with *failed set to the socket that failed (reset).
 */
int offload_run(struct offload *o, int client, int server, int *failed);

/* An end arrived whose bytes are still leaving: check again soon. */
static inline bool offload_flushing(const struct offload *o)
{
	return (o->up.eof && !o->up.shut) || (o->down.eof && !o->down.shut);
}

static inline bool offload_done(const struct offload *o)
{
	return o->up.shut && o->down.shut;
}

/*
 * The bytes the kernel has taken from either side and not yet sent on,
 * the larger of the two directions; 0 when the sockets cannot be read.
 * Nothing bounds them in the kernel: a sk_skb redirect gives the source no
 * backpressure, so a peer that does not read lets the other send without
 * end into kernel memory (tested in test_offload.sh "queue").
 */
uint64_t offload_queued(const struct offload *o, int client, int server);

/* The bytes the socket received from its peer (lwfp_offload_counts()). */
uint64_t offload_bytes(int fd);

/* Neither socket received a byte for idle_ms. */
bool offload_idle(int client, int server, uint64_t idle_ms);

/* A flow that ended well closes gracefully: undoes offload_begin()'s SO_LINGER. */
void offload_graceful(int fd);

#endif /* LWFP_INSPECT_OFFLOAD_H */
