/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A worker: one thread with its own epoll set, its own SO_REUSEPORT
 * listening socket per --listen address (the kernel spreads new connections
 * over the workers), its own UDP socket per --listen port (udp.h), and the
 * flows it accepted. Workers share nothing but
 * the read-only configuration and the log.
 */
#ifndef LWFP_INSPECT_WORKER_H
#define LWFP_INSPECT_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include "config.h"
#include "names.h"
#include "peek.h"
#include "timeout.h"
#include "uid_share.h"
#include "watch.h"

#define container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))

struct worker;

struct netns;
struct udp_port;

struct listener {
	struct watch watch;
	struct worker *worker;
	struct netns *ns; /* where it listens: NULL for our own namespace */
};

/*
 * The sockets of one more served namespace (netns.h) in one worker: made
 * by the main thread, handed over with worker_post_netns().
 */
struct ns_set {
	struct netns *ns; /* a reference */
	struct listener listeners[MAX_LISTEN];
	size_t nlisteners;
	struct udp_port *ports; /* nports of them (udp.h) */
	size_t nports;
	bool remove; /* a request instead: close the sockets of ns */
	uint32_t reregister; /* a request instead: register every set with this service */
	struct ns_set *next;
};

/* One timeout queue per flow phase, each with that phase's timeout. */
enum {
	TIMEOUT_PEEK,
	TIMEOUT_CONNECT,
	TIMEOUT_IDLE,
	TIMEOUT_FLUSH, /* offloaded: an end waits for its bytes to leave */
	TIMEOUT_SPILL, /* offloaded: a spill waits for the kernel's queue */
	TIMEOUT_OFFLOAD, /* offloaded: idleness is checked */
	TIMEOUT_QUEUES,
};

enum worker_stop {
	WORKER_RUN,
	WORKER_DRAIN, /* stop accepting; flows end on their own until the deadline */
	WORKER_ABORT, /* end every flow now */
};

struct chain;
struct flow;
struct udp_state;

struct worker {
	unsigned int id;
	const struct config *cfg;
	pthread_t thread;
	bool started;
	int epfd;
	struct watch wakeup; /* an eventfd: the main thread's stop requests */
	struct listener listeners[MAX_LISTEN];
	size_t nlisteners; /* 0 once they are closed */
	bool listening; /* the listeners are in the epoll set */
	uint64_t accept_resume_ms; /* accept nothing before, after EMFILE and such */

	struct timeout_queue timeouts[TIMEOUT_QUEUES];
	TAILQ_HEAD(flow_list, flow) dead; /* ended in this epoll batch: freed after it */
	unsigned int nflows;
	uint64_t now_ms; /* monotonic, read once per epoll batch */

	struct uid_share shares; /* nflows by the applications' uids */
	uint64_t tcp_over_share; /* connections reset: their uid held its share */
	uint64_t share_refused; /* refusals, TCP and UDP, not said on stderr yet */
	uint64_t share_said_ms; /* when they last were */

	atomic_int stop; /* enum worker_stop, raised by the main thread */
	bool draining; /* listeners closed: ends when the flows have */
	uint64_t drain_deadline_ms;
	atomic_bool finished;

	struct udp_state *udp; /* udp.h */

	/* --netns: the other namespaces' sockets, and the main thread's requests. */
	struct ns_set *ns_sets;
	pthread_mutex_t ns_lock;
	struct ns_set *ns_requests; /* under ns_lock */

	struct names names;
	uint8_t scratch[PEEK_MAX]; /* the peek, and the chain queries */
};

/* Creates the worker's epoll set and listening sockets (not its thread). */
int worker_init(struct worker *w, unsigned int id, const struct config *cfg,
		char *err, size_t size);
int worker_start(struct worker *w);
/* From the main thread: ask the worker to drain, or to abort its flows. */
void worker_stop(struct worker *w, enum worker_stop how);
/* Joins the thread, if any, and frees what is left. */
void worker_destroy(struct worker *w);

/*
 * From the main thread: adopt the sockets of set, or with set->remove,
 * close those of set->ns. The worker owns set from here on.
 */
void worker_post_netns(struct worker *w, struct ns_set *set);
/* Closes the sockets of a set and frees it. */
void ns_set_free(struct ns_set *set);

/*
 * Whether the worker can take one more flow, TCP or UDP: it has room in its
 * share of the descriptors, and is not pausing after running out of them
 * anyway.
 */
static inline bool worker_has_room(const struct worker *w)
{
	return w->nflows < w->cfg->max_flows && w->now_ms >= w->accept_resume_ms;
}

/*
 * Whether a new flow of chain c may live: the uid of its application holds
 * less than its share of the worker's flows (uid_share.h). *counted: the
 * flow now holds part of that share (not for root, nor for a flow whose
 * context names no process), to give back with worker_share_give() when it
 * ends, whichever way. The caller refuses the flow otherwise, and counts
 * it; a line on stderr says so at most once a second.
 */
bool worker_share_take(struct worker *w, const struct chain *c, bool *counted);
void worker_share_give(struct worker *w, const struct chain *c, bool counted);

#endif /* LWFP_INSPECT_WORKER_H */
