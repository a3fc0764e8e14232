/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * One proxied connection, from accept() to its log line:
 *
 *   accept ─▶ chain: records, context, original destination
 *          ─▶ PEEK    wait (bounded) for the first bytes: SNI or Host
 *          ─▶ CONNECT outbound socket with the records, non-blocking connect()
 *          ─▶ RELAY   two splice() pumps, one per direction, with half-close
 *             or OFFLOAD (--offload) the kernel relays; ends are passed on here
 *          ─▶ DONE    one JSON line: pass, block or error
 *
 * Each phase has its timeout; a live flow is always in exactly one of the
 * worker's timeout queues, which is also how a worker finds all its flows.
 */
#ifndef LWFP_INSPECT_FLOW_H
#define LWFP_INSPECT_FLOW_H

#include <stdint.h>
#include <sys/queue.h>
#include <time.h>

#include "chain.h"
#include "offload.h"
#include "peek.h"
#include "relay.h"
#include "timeout.h"
#include "worker.h"

enum flow_phase {
	FLOW_PEEK,
	FLOW_CONNECT,
	FLOW_RELAY,
	FLOW_DONE,
	FLOW_OFFLOAD,
};

enum verdict {
	VERDICT_PASS,
	VERDICT_BLOCK,
	VERDICT_ERROR,
};

/* How a passed flow's bytes moved, for the log. */
enum relay_mode {
	RELAY_NONE, /* not relayed (yet) */
	RELAY_SPLICE,
	RELAY_OFFLOAD,
};

#define FLOW_ERROR_MAX 128

/* Descriptors a flow holds at most: two sockets, and a pipe per direction. */
#define FLOW_FDS 6

struct flow {
	struct worker *worker;
	struct netns *ns; /* a reference to its namespace; NULL for ours */
	enum flow_phase phase;
	struct watch client; /* the accepted socket */
	struct watch server; /* the outbound socket; fd -1 until it exists */
	struct pump up; /* client to server */
	struct pump down; /* server to client */
	struct timer timer;
	TAILQ_ENTRY(flow) dead_link;

	struct chain chain;
	bool counted; /* it holds part of its uid's share (worker_share_take) */
	struct peek_name peeked;
	bool saw_bytes; /* the peek saw the client's first bytes */
	bool unnamed; /* it did, and they named no host */
	struct timespec started; /* CLOCK_REALTIME, for the log */
	uint64_t started_ms; /* monotonic, for the duration */
	enum verdict verdict;
	const char *rule; /* the --block argument that matched */
	char error[FLOW_ERROR_MAX]; /* "" when none */
	enum relay_mode relay;
	struct offload off; /* RELAY_OFFLOAD */
	int offload_err; /* --offload refused for this flow: why (-errno), else 0 */
	bool budgeted; /* it holds a share of the offload budget, for budget_uid */
	uint32_t budget_uid;
};

/* Takes over an accepted, non-blocking socket of namespace ns (NULL: ours). */
void flow_accept(struct worker *w, int fd, struct netns *ns);
/* A timer of the worker's queues ran out. */
void flow_expire(struct timer *t);
/* Ends every flow of the worker now, each logged with this error. */
void flow_abort_all(struct worker *w, const char *why);
/* Frees the flows that ended during the last epoll batch. */
void flow_free_dead(struct worker *w);

#endif /* LWFP_INSPECT_FLOW_H */
