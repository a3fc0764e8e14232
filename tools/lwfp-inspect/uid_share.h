/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A worker's live flows per uid of the application that opened them, so
 * that one user cannot take the whole of a worker's flow table: a uid may
 * hold at most half of it (at least one flow). Root is trusted and not
 * counted, as in the engine's per-uid cap; that cap alone does not protect
 * the others when the proxy's table is the smaller one (a low descriptor
 * limit).
 *
 * An open-addressing table with linear probing, keyed by uid, with at
 * least twice as many slots as the worker has flows: every uid in it holds
 * at least one live flow, so it is never more than half full. A uid leaves
 * it with its last flow (backward-shift deletion: no tombstones pile up).
 * One per worker, used by its thread only.
 */
#ifndef LWFP_INSPECT_UID_SHARE_H
#define LWFP_INSPECT_UID_SHARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct uid_count {
	uint32_t uid;
	uint32_t flows; /* 0: the slot is empty */
};

struct uid_share {
	struct uid_count *slots;
	size_t mask; /* the number of slots, a power of two, less one */
	unsigned int max; /* the flows one uid may hold */
	unsigned int uids; /* slots in use */
	unsigned int counted; /* flows counted, all uids together */
};

/* For a worker of max_flows flows: 0, or -ENOMEM. */
int uid_share_init(struct uid_share *s, unsigned int max_flows);
void uid_share_free(struct uid_share *s);

/*
 * A new flow of uid: true when it may live, counted unless uid is root;
 * false when uid already holds its share (the flow must be refused).
 */
bool uid_share_take(struct uid_share *s, uint32_t uid);
/* The flow of a uid_share_take() that returned true has ended. */
void uid_share_give(struct uid_share *s, uint32_t uid);
/* The live flows uid holds (0 for root, which is not counted). */
unsigned int uid_share_flows(const struct uid_share *s, uint32_t uid);

#endif /* LWFP_INSPECT_UID_SHARE_H */
