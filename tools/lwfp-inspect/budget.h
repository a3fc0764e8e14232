/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * --offload-budget: the kernel memory this proxy's offloaded flows may hold,
 * and each user's share of it.
 *
 * An offloaded direction queues up to --offload-max-queue bytes in the
 * kernel's send work (bpf/offload.bpf.c), and that queue is charged to no
 * socket's buffers. Without a bound, one user who opens many flows and
 * reads nothing would hold that much per flow. So a flow is offloaded only
 * while the flows already offloaded leave room for its two directions; and
 * one user, the application the chain started from, may hold at most half
 * of the room, so that it cannot take the fast path from everyone else. A
 * flow that finds no room is relayed by the proxy (splice), whose buffers
 * the kernel charges as usual. Root is trusted, as in the engine: it has no
 * share, but its flows count toward the budget. An application the proxy
 * could not name counts as one user of its own.
 *
 * The workers share one budget under a mutex: it is taken once when a flow
 * is handed over and given back once when it ends.
 */
#ifndef LWFP_INSPECT_BUDGET_H
#define LWFP_INSPECT_BUDGET_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "uid_share.h"

/* The user of a flow whose application is unknown (no process context). */
#define BUDGET_UID_UNKNOWN UINT32_MAX

struct budget {
	pthread_mutex_t lock;
	size_t slots; /* flows the budget holds */
	size_t used;
	struct uid_share shares; /* each user's flows, at most half the slots */
};

/*
 * A budget of `bytes` for flows that may each hold `per_flow` bytes: 0, or
 * -EINVAL when not even one flow fits, -ENOMEM.
 */
int budget_init(struct budget *b, uint64_t bytes, uint64_t per_flow);
void budget_destroy(struct budget *b);

/* 0: the flow may be offloaded; -ENOBUFS: no room; -EDQUOT: uid holds its share. */
int budget_take(struct budget *b, uint32_t uid);
/* What budget_take() took for uid. */
void budget_give(struct budget *b, uint32_t uid);

#endif /* LWFP_INSPECT_BUDGET_H */
