// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* A worker's UDP side: the wildcard sockets and the timers; the flow table is udp_table.c. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <lwfp/lwfp.h>

#include "listen.h"
#include "log.h"
#include "netns.h"
#include "udp.h"
#include "udp_flow.h"

/* Datagrams taken from a wildcard socket per event. */
#define PORT_BATCH 64

/* ---- the wildcard sockets ------------------------------------------------------------- */

/*
 * The flow the datagram was sent to, from IP_PKTINFO or IPV6_PKTINFO: its
 * number in 127.128.0.0/9, whichever form it had; 0 if none.
 */
static uint32_t pktinfo_flow(struct msghdr *msg)
{
	struct in6_pktinfo pi6;
	struct in_pktinfo pi;
	struct cmsghdr *c;

	for (c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO &&
		    c->cmsg_len >= CMSG_LEN(sizeof(pi))) {
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			return lwfp_udp_flow_number(AF_INET, &pi.ipi_addr);
		}
		if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO &&
		    c->cmsg_len >= CMSG_LEN(sizeof(pi6))) {
			memcpy(&pi6, CMSG_DATA(c), sizeof(pi6));
			return lwfp_udp_flow_number(AF_INET6, &pi6.ipi6_addr);
		}
	}
	return 0;
}

static void dispatch(struct udp_port *p, uint32_t dst, const struct sockaddr_storage *peer,
		     size_t len)
{
	struct worker *w = p->worker;
	struct udp_state *u = w->udp;
	struct udp_flow *f;

	f = udp_table_find(u, dst, p->port, p->ns);
	if (!f)
		f = udp_flow_open(w, p->ns, dst, p->port, peer, u->buf, len);
	if (f)
		udp_flow_datagram(f, peer, u->buf, len);
}

/* false when the socket has nothing more to read now. */
static bool receive_one(struct udp_port *p)
{
	struct udp_state *u = p->worker->udp;
	union {
		char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
		struct cmsghdr align;
	} control;
	struct sockaddr_storage peer;
	struct iovec iov = { .iov_base = u->buf, .iov_len = UDP_BUF_MAX };
	struct msghdr msg = {
		.msg_name = &peer,
		.msg_namelen = sizeof(peer),
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control.buf,
		.msg_controllen = sizeof(control.buf),
	};
	uint32_t dst;
	ssize_t n;

	n = recvmsg(p->watch.fd, &msg, 0);
	if (n < 0)
		return errno == EINTR;
	dst = pktinfo_flow(&msg);
	/* Anything else reached the wildcard, from anywhere: not a flow. */
	if (!dst || peer.ss_family != (p->v6 ? AF_INET6 : AF_INET) || (msg.msg_flags & MSG_TRUNC)) {
		u->stats.stray++;
		return true;
	}
	dispatch(p, dst, &peer, (size_t)n);
	return true;
}

static void port_event(struct watch *wt, uint32_t events)
{
	struct udp_port *p = container_of(wt, struct udp_port, watch);
	int i;

	(void)events;
	for (i = 0; i < PORT_BATCH; i++)
		if (!receive_one(p))
			break;
}

void udp_ports_close(struct udp_port *ports, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		close(ports[i].watch.fd);
}

static void close_ports(struct udp_state *u)
{
	udp_ports_close(u->ports, u->nports);
	u->nports = 0;
}

void udp_ports_drain(struct worker *w, struct udp_port *ports, size_t n)
{
	size_t i;

	(void)w;
	for (i = 0; i < n; i++)
		port_event(&ports[i].watch, EPOLLIN);
}

int udp_port_adopt(struct worker *w, struct udp_port *p, struct netns *ns)
{
	p->worker = w;
	p->ns = ns;
	p->watch.events = 0;
	p->watch.handle = port_event;
	return watch_set(w, &p->watch, EPOLLIN);
}

/* ---- timers, draining ------------------------------------------------------------------- */

void udp_next_deadline(const struct worker *w, uint64_t *deadline_ms)
{
	timeout_next(&w->udp->idle, deadline_ms);
	timeout_next(&w->udp->drain, deadline_ms);
}

void udp_run_timers(struct worker *w)
{
	struct timer *t;

	while ((t = timeout_expired(&w->udp->idle, w->now_ms)))
		udp_flow_expire(t);
	while ((t = timeout_expired(&w->udp->drain, w->now_ms)))
		udp_flow_expire(t);
}

/*
 * A UDP flow has no end of its own, so draining cannot wait for one: the
 * flows that go quiet for a moment end then (a DNS query in flight still
 * gets its answer), the others at the drain deadline.
 */
void udp_drain(struct worker *w)
{
	struct udp_state *u = w->udp;
	struct timer *t;

	if (u->draining)
		return;
	/* What the engine redirected just before the stop is served too. */
	udp_ports_drain(w, u->ports, u->nports);
	close_ports(u);
	u->draining = true;
	while ((t = TAILQ_FIRST(&u->idle.timers)))
		timer_arm(t, &u->drain, w->now_ms);
}

void udp_abort_all(struct worker *w)
{
	struct timer *t;

	while ((t = TAILQ_FIRST(&w->udp->idle.timers)) || (t = TAILQ_FIRST(&w->udp->drain.timers)))
		udp_flow_expire(t);
}

void udp_free_dead(struct worker *w)
{
	struct udp_flow *f;

	while ((f = TAILQ_FIRST(&w->udp->dead))) {
		TAILQ_REMOVE(&w->udp->dead, f, dead_link);
		if (f->ns)
			netns_put(f->ns);
		free(f);
	}
}

/* ---- set-up and tear-down ------------------------------------------------------------------ */

/* A host without IPv6 has no IPv6 flows, and so no IPv6 socket to make. */
static int port_open(struct worker *w, uint16_t port, bool v6)
{
	struct udp_state *u = w->udp;
	struct udp_port *p = &u->ports[u->nports];
	int e;

	p->worker = w;
	p->port = htons(port);
	p->v6 = v6;
	p->watch = (struct watch){ .fd = -1, .handle = port_event };
	e = udp_listen_open(port, v6, &p->watch.fd);
	if (e == -EAFNOSUPPORT && v6)
		return 0;
	if (e)
		return e;
	u->nports++;
	return watch_set(w, &p->watch, EPOLLIN);
}

int udp_init(struct worker *w, char *err, size_t size)
{
	const struct config *cfg = w->cfg;
	struct udp_state *u;
	size_t i;
	int e;

	u = calloc(1, sizeof(*u));
	if (!u) {
		snprintf(err, size, "worker %u: out of memory", w->id);
		return -ENOMEM;
	}
	w->udp = u;
	timeout_queue_init(&u->idle, cfg->udp_idle_timeout_ms);
	timeout_queue_init(&u->drain, cfg->udp_idle_timeout_ms < UDP_DRAIN_IDLE_MS
					      ? cfg->udp_idle_timeout_ms
					      : UDP_DRAIN_IDLE_MS);
	TAILQ_INIT(&u->dead);
	for (i = 0; i < 2 * cfg->nudp_ports; i++) {
		e = port_open(w, cfg->udp_ports[i / 2], i % 2);
		if (e) {
			snprintf(err, size, "UDP port %u%s: %s", cfg->udp_ports[i / 2],
				 i % 2 ? " (IPv6)" : "", strerror(-e));
			return e;
		}
	}
	return 0;
}

static void report_drops(const struct worker *w)
{
	const struct udp_stats *s = &w->udp->stats;

	if (!s->stray && !s->no_room && !s->over_share && !s->no_socket && !s->wrong_peer)
		return;
	log_warn("worker %u: UDP datagrams dropped before reaching a flow: %" PRIu64
		 " not to a flow address, %" PRIu64 " over the flow limit, %" PRIu64
		 " over their uid's share, %" PRIu64 " without a flow socket, %" PRIu64
		 " from another client",
		 w->id, s->stray, s->no_room, s->over_share, s->no_socket, s->wrong_peer);
}

int udp_register(struct worker *w, uint32_t handle)
{
	size_t i;
	int e;

	for (i = 0; w->udp && i < w->udp->nports; i++) {
		e = lwfp_register_listener(w->udp->ports[i].watch.fd, handle);
		if (e)
			return e;
	}
	return 0;
}

void udp_destroy(struct worker *w)
{
	if (!w->udp)
		return;
	report_drops(w);
	close_ports(w->udp);
	udp_free_dead(w);
	free(w->udp);
	w->udp = NULL;
}
