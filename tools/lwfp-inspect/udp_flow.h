/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * One proxied UDP flow, from its first datagram to its log line:
 *
 *   first datagram ─▶ its own socket, bound to the flow's address and
 *                     connected to the client: records, context, original
 *                     destination; the DNS query name, if it is one
 *                  ─▶ RELAY  an outbound socket with the records, connected to
 *                            the original destination; datagrams both ways
 *                  or DROP   blocked, or its set-up failed: the client's
 *                            datagrams are read and dropped
 *                  ─▶ DONE   after --udp-idle-timeout without a datagram (or
 *                            at shutdown): one JSON line
 *
 * A direction whose destination socket would block keeps a bounded queue
 * (dgram.h) and stops reading its source meanwhile, so the datagrams wait
 * in the kernel's receive queue, like TCP's do; what cannot be kept is
 * dropped and counted.
 */
#ifndef LWFP_INSPECT_UDP_FLOW_H
#define LWFP_INSPECT_UDP_FLOW_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <time.h>

#include "chain.h"
#include "dgram.h"
#include "dns.h"
#include "flow.h"
#include "timeout.h"
#include "worker.h"

enum udp_phase {
	UDP_RELAY,
	UDP_DROP,
	UDP_DONE,
};

struct udp_dir {
	struct dgram_queue queue; /* waiting for the destination socket */
	uint64_t bytes, packets; /* taken by the destination */
	uint64_t dropped; /* received, never sent on */
};

struct udp_flow {
	struct worker *worker;
	enum udp_phase phase;
	struct udp_flow *next; /* in its bucket of the worker's table */
	struct netns *ns; /* a reference to its namespace; NULL for ours */
	uint32_t addr; /* the flow's number in 127.128.0.0/9, network order */
	uint16_t port; /* network order */
	struct sockaddr_storage peer; /* the client; IPv6 for an IPv6 flow */
	struct watch client; /* bound to addr:port, connected to peer */
	struct watch server; /* to the original destination; fd -1 if none */
	struct udp_dir up; /* client to server */
	struct udp_dir down; /* server to client */
	bool moved; /* a datagram came since the timer was last armed */
	struct timer timer;
	TAILQ_ENTRY(udp_flow) dead_link;

	struct chain chain;
	bool counted; /* it holds part of its uid's share (worker_share_take) */
	bool has_dns; /* the first datagram was a DNS query */
	bool unnamed; /* it was not, or a later one from the client was not */
	struct dns_query dns;
	struct timespec started; /* CLOCK_REALTIME, for the log */
	uint64_t started_ms;
	enum verdict verdict;
	const char *rule; /* the --block argument that matched */
	char error[FLOW_ERROR_MAX]; /* why the set-up failed; "" when it did not */
	int server_errno; /* the first error the server's side reported (ICMP) */
};

/*
 * Opens the flow at addr:port of namespace ns (NULL: ours) for the client
 * peer, whose first datagram is
 * buf. NULL when no flow could be made, or its uid holds its share of the
 * worker's flows (the flow's socket, made to ask the engine whose flow it
 * is, is closed again): the datagram is dropped, and the worker's counters
 * say why.
 */
struct udp_flow *udp_flow_open(struct worker *w, struct netns *ns, uint32_t addr, uint16_t port,
			       const struct sockaddr_storage *peer, const uint8_t *buf,
			       size_t len);
/* A datagram for the flow that came through the wildcard socket. */
void udp_flow_datagram(struct udp_flow *f, const struct sockaddr_storage *peer,
		       const uint8_t *buf, size_t len);
/* Its timer of the worker's UDP queues ran out. */
void udp_flow_expire(struct timer *t);
/* Logs and closes the flow; it is freed after the epoll batch. */
void udp_flow_end(struct udp_flow *f);

#endif /* LWFP_INSPECT_UDP_FLOW_H */
