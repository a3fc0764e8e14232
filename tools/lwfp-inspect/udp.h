/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A worker's UDP side. The engine gives every redirected UDP flow its own
 * loopback address in 127.128.0.0/9 (abi.h, LWFP_UDP_NET), or its IPv6 form
 * in LWFP_UDP6_NET::/96 for an IPv6 destination, at the port of the
 * filter's target. So each worker has, per --listen port, sockets bound to
 * the wildcards 0.0.0.0:PORT and [::]:PORT with SO_REUSEPORT (the kernel
 * hashes a flow's datagrams, by their 4-tuple, always to the same worker)
 * that read the datagram's destination, that is its flow, with IP_PKTINFO
 * or IPV6_RECVPKTINFO.
 *
 * The first datagram of a flow opens it (udp_flow.c): a socket bound to the
 * flow's address, which from then on receives the flow's datagrams itself,
 * since the kernel prefers a bound and connected socket to the wildcard.
 * Until it exists, and for datagrams that were queued on the wildcard
 * before, the flow is found by its address in a table.
 */
#ifndef LWFP_INSPECT_UDP_H
#define LWFP_INSPECT_UDP_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include "config.h"
#include "timeout.h"
#include "worker.h"

/* Room for any datagram: IPv4 and IPv6 payloads are below 64 KiB. */
#define UDP_BUF_MAX 65536
/* Buckets of a worker's flow table; a power of two. */
#define UDP_TABLE_SIZE 8192
/* While draining, a flow ends after this long without a datagram. */
#define UDP_DRAIN_IDLE_MS 1000

struct udp_flow;

struct udp_port {
	struct watch watch;
	struct worker *worker;
	struct netns *ns; /* where it is bound: NULL for our own namespace */
	uint16_t port; /* network order */
	bool v6;
};

/* Datagrams the wildcard sockets could give to no flow, by reason. */
struct udp_stats {
	uint64_t stray; /* not to a flow address: not a flow */
	uint64_t no_room; /* a new flow beyond the worker's share of descriptors */
	uint64_t over_share; /* a new flow of a uid that held its share (worker.h) */
	uint64_t no_socket; /* the flow's own socket could not be made */
	uint64_t wrong_peer; /* to a flow's address, from another client */
};

struct udp_state {
	struct udp_port ports[2 * MAX_LISTEN]; /* IPv4 and IPv6 */
	size_t nports; /* 0 once they are closed */
	struct udp_flow *table[UDP_TABLE_SIZE];
	struct timeout_queue idle; /* --udp-idle-timeout */
	struct timeout_queue drain; /* the shorter idle of a draining worker */
	bool draining;
	TAILQ_HEAD(udp_dead_list, udp_flow) dead;
	struct udp_stats stats;
	uint8_t buf[UDP_BUF_MAX]; /* one datagram, read and passed on */
};

/* Opens the worker's sockets of cfg->udp_ports. 0, or -errno with err set. */
int udp_init(struct worker *w, char *err, size_t size);
/* Registers the worker's UDP sockets as the service's listeners: 0 or -errno. */
int udp_register(struct worker *w, uint32_t handle);
/* Closes and frees what is left; the flows must have ended. */
void udp_destroy(struct worker *w);

/* The queue a flow's timer goes to now: idle, or drain once draining. */
static inline struct timeout_queue *udp_idle_queue(struct worker *w)
{
	return w->udp->draining ? &w->udp->drain : &w->udp->idle;
}
/* Lowers *deadline_ms to the earliest UDP flow deadline. */
void udp_next_deadline(const struct worker *w, uint64_t *deadline_ms);
void udp_run_timers(struct worker *w);

/* No new flows: reads what waits on the wildcard sockets, then closes them. */
void udp_drain(struct worker *w);
/* Ends every flow now. */
void udp_abort_all(struct worker *w);
/* Frees the flows that ended during the last epoll batch. */
void udp_free_dead(struct worker *w);

/*
 * --netns (worker.h, struct ns_set): another namespace's wildcard sockets
 * join the worker (0 or -errno); read what waits on them; close them.
 */
int udp_port_adopt(struct worker *w, struct udp_port *p, struct netns *ns);
void udp_ports_drain(struct worker *w, struct udp_port *ports, size_t n);
void udp_ports_close(struct udp_port *ports, size_t n);

/* udp_table.c: the flow table; find is NULL when no flow has addr:port in ns. */
struct udp_flow *udp_table_find(struct udp_state *u, uint32_t addr, uint16_t port,
				const struct netns *ns);
void udp_table_add(struct worker *w, struct udp_flow *f);
void udp_table_del(struct worker *w, struct udp_flow *f);

#endif /* LWFP_INSPECT_UDP_H */
