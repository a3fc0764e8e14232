// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The life of one proxied UDP flow; see udp_flow.h for the phases. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <lwfp/lwfp.h>

#include "block.h"
#include "log.h"
#include "netns.h"
#include "udp.h"
#include "udp_flow.h"

/* Datagrams read from one socket per event, so that no flow starves others. */
#define UDP_BATCH 64

/* ---- the end of a flow --------------------------------------------------------- */

/*
 * UDP has no end to tell a clean flow from a failed one. A flow fails when
 * its set-up did, or when the server's side refused it (an ICMP error) and
 * not one reply ever came: the counterpart of a TCP connect that failed.
 */
static enum verdict final_verdict(struct udp_flow *f)
{
	const char *desc;

	if (f->error[0])
		return VERDICT_ERROR;
	if (f->rule)
		return VERDICT_BLOCK;
	if (f->server_errno && !f->down.packets) {
		desc = strerrordesc_np(f->server_errno);
		snprintf(f->error, sizeof(f->error), "server: %s", desc ? desc : "unknown error");
		return VERDICT_ERROR;
	}
	return VERDICT_PASS;
}

static void close_watch(struct watch *wt)
{
	if (wt->fd < 0)
		return;
	/* Closing also takes the socket out of the epoll set. */
	close(wt->fd);
	wt->fd = -1;
}

void udp_flow_end(struct udp_flow *f)
{
	struct worker *w = f->worker;

	if (f->phase == UDP_DONE)
		return;
	/* What is still queued was never sent on: count it as dropped. */
	f->up.dropped += f->up.queue.count;
	f->down.dropped += f->down.queue.count;
	f->verdict = final_verdict(f);
	f->phase = UDP_DONE;
	timer_cancel(&f->timer);
	log_udp_flow(w, f);
	close_watch(&f->client);
	close_watch(&f->server);
	dgram_queue_clear(&f->up.queue);
	dgram_queue_clear(&f->down.queue);
	udp_table_del(w, f);
	TAILQ_INSERT_TAIL(&w->udp->dead, f, dead_link);
	worker_share_give(w, &f->chain, f->counted);
	w->nflows--;
}

/* The set-up failed: the flow stays, dropping, until it goes idle. */
static void set_up_failed(struct udp_flow *f, const char *what, int err)
{
	const char *desc = err ? strerrordesc_np(-err) : NULL;

	if (err)
		snprintf(f->error, sizeof(f->error), "%s: %s", what, desc ? desc : "unknown error");
	else
		snprintf(f->error, sizeof(f->error), "%s", what);
	f->phase = UDP_DROP;
}

/* ---- sending --------------------------------------------------------------------- */

/* ECONNREFUSED and the like: the server's side, not this datagram. */
static void note_error(struct udp_flow *f, struct watch *wt, int err)
{
	if (wt == &f->server && !f->server_errno)
		f->server_errno = err;
}

/*
 * One datagram to the socket of wt. 0 once it was sent or given up (and
 * counted), -EAGAIN when the socket would block.
 */
static int send_one(struct udp_flow *f, struct udp_dir *d, struct watch *wt,
		    const uint8_t *buf, size_t len)
{
	ssize_t n;

	do
		n = send(wt->fd, buf, len, 0);
	while (n < 0 && errno == EINTR);
	if (n >= 0) {
		d->bytes += len;
		d->packets++;
		return 0;
	}
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return -EAGAIN;
	note_error(f, wt, errno);
	d->dropped++;
	return 0;
}

/* Sends what d holds: 0 once it is empty, -EAGAIN while wt would block. */
static int flush(struct udp_flow *f, struct udp_dir *d, struct watch *wt)
{
	struct dgram *g;

	while ((g = dgram_head(&d->queue))) {
		if (send_one(f, d, wt, g->data, g->len))
			return -EAGAIN;
		dgram_pop(&d->queue);
	}
	return 0;
}

/* Sends at once, or queues behind what waits already, or drops. */
static void forward(struct udp_flow *f, struct udp_dir *d, struct watch *wt,
		    const uint8_t *buf, size_t len)
{
	if (dgram_queue_empty(&d->queue) && !send_one(f, d, wt, buf, len))
		return;
	if (dgram_push(&d->queue, buf, len))
		d->dropped++;
}

/* ---- the two directions ------------------------------------------------------------- */

/*
 * A host pattern judges every DNS query of the flow, not just the first: a
 * resolver may send all its queries to one server through one socket, so
 * through one flow. In a flow its first query named, a datagram that is not
 * a query is unnamed: it must not ride on that name past --block-unnamed.
 */
static const char *blocked_datagram(struct udp_flow *f, const uint8_t *buf, size_t len)
{
	struct dns_query q;

	if (!f->has_dns && !block_has_host_rules())
		return NULL;
	if (!dns_parse_query(buf, len, &q))
		return block_match_host(q.name);
	if (!f->has_dns)
		return NULL; /* unnamed from the start, and judged so */
	f->unnamed = true;
	return block_match_unnamed();
}

static void up_datagram(struct udp_flow *f, const uint8_t *buf, size_t len)
{
	const char *rule;

	f->moved = true;
	if (f->phase != UDP_RELAY) {
		f->up.dropped++;
		return;
	}
	rule = blocked_datagram(f, buf, len);
	if (rule) {
		if (!f->rule)
			f->rule = rule;
		f->up.dropped++;
		return;
	}
	forward(f, &f->up, &f->server, buf, len);
}

static void down_datagram(struct udp_flow *f, const uint8_t *buf, size_t len)
{
	f->moved = true;
	forward(f, &f->down, &f->client, buf, len);
}

/*
 * Reads from wt while the direction it feeds has nothing queued: a queue
 * means the destination is full, and what it cannot take waits in the
 * kernel's receive queue meanwhile, not here.
 */
static void read_from(struct udp_flow *f, struct watch *wt, struct udp_dir *d,
		      void (*pass)(struct udp_flow *f, const uint8_t *buf, size_t len))
{
	uint8_t *buf = f->worker->udp->buf;
	ssize_t n;
	int i;

	for (i = 0; i < UDP_BATCH && dgram_queue_empty(&d->queue); i++) {
		n = recv(wt->fd, buf, UDP_BUF_MAX, 0);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			/* An ICMP error, now consumed; datagrams may follow. */
			if (errno != EINTR)
				note_error(f, wt, errno);
			continue;
		}
		pass(f, buf, (size_t)n);
	}
}

/* ---- events --------------------------------------------------------------------------- */

static uint32_t dir_events(const struct udp_dir *reads, const struct udp_dir *writes)
{
	return (dgram_queue_empty(&reads->queue) ? EPOLLIN : 0) |
	       (dgram_queue_empty(&writes->queue) ? 0 : EPOLLOUT);
}

/* What each socket waits for, and the idle timer after a datagram. */
static void update(struct udp_flow *f)
{
	struct worker *w = f->worker;
	int err;

	if (f->moved) {
		timer_arm(&f->timer, udp_idle_queue(w), w->now_ms);
		f->moved = false;
	}
	if (f->phase == UDP_DROP) {
		err = watch_set(w, &f->client, EPOLLIN);
	} else {
		err = watch_set(w, &f->client, dir_events(&f->up, &f->down));
		if (!err)
			err = watch_set(w, &f->server, dir_events(&f->down, &f->up));
	}
	if (err) {
		set_up_failed(f, "epoll_ctl", err);
		udp_flow_end(f);
	}
}

/* A pending socket error would keep EPOLLERR raised: take it. */
static void take_error(struct udp_flow *f, struct watch *wt)
{
	socklen_t len = sizeof(int);
	int err = 0;

	if (!getsockopt(wt->fd, SOL_SOCKET, SO_ERROR, &err, &len) && err)
		note_error(f, wt, err);
}

static void client_event(struct watch *wt, uint32_t events)
{
	struct udp_flow *f = container_of(wt, struct udp_flow, client);

	if (f->phase == UDP_DONE)
		return; /* ended earlier in this epoll batch */
	if (events & EPOLLERR)
		take_error(f, wt);
	if (f->phase == UDP_RELAY && (events & EPOLLOUT))
		flush(f, &f->down, &f->client);
	read_from(f, &f->client, &f->up, up_datagram);
	update(f);
}

static void server_event(struct watch *wt, uint32_t events)
{
	struct udp_flow *f = container_of(wt, struct udp_flow, server);

	if (f->phase == UDP_DONE)
		return;
	if (events & EPOLLERR)
		take_error(f, wt);
	if (events & EPOLLOUT)
		flush(f, &f->up, &f->server);
	read_from(f, &f->server, &f->down, down_datagram);
	update(f);
}

static bool same_peer(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	const struct sockaddr_in6 *a6 = (const void *)a, *b6 = (const void *)b;
	const struct sockaddr_in *a4 = (const void *)a, *b4 = (const void *)b;

	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET6)
		return a6->sin6_port == b6->sin6_port &&
		       !memcmp(&a6->sin6_addr, &b6->sin6_addr, sizeof(a6->sin6_addr));
	return a4->sin_port == b4->sin_port && a4->sin_addr.s_addr == b4->sin_addr.s_addr;
}

void udp_flow_datagram(struct udp_flow *f, const struct sockaddr_storage *peer,
		       const uint8_t *buf, size_t len)
{
	if (f->phase == UDP_DONE)
		return;
	/* The flow's socket is connected to its client, and so is the flow. */
	if (!same_peer(peer, &f->peer)) {
		f->worker->udp->stats.wrong_peer++;
		return;
	}
	up_datagram(f, buf, len);
	update(f);
}

void udp_flow_expire(struct timer *t)
{
	udp_flow_end(container_of(t, struct udp_flow, timer));
}

/* ---- opening ---------------------------------------------------------------------------- */

/*
 * The flow's own socket: bound to its address, which names the flow to the
 * engine's queries, and connected to the client, which makes the kernel
 * deliver the flow's datagrams to it rather than to the wildcard socket.
 * SO_REUSEADDR, like the wildcard's, lets the two share the port. An IPv6
 * flow address is routed here, not configured: IPV6_FREEBIND binds it.
 */
static int client_socket(const struct netns *ns, uint32_t addr, uint16_t port,
			 const struct sockaddr_storage *peer, int *fd)
{
	struct sockaddr_storage local;
	socklen_t len = lwfp_udp_flow_sockaddr(addr, peer->ss_family, port, &local);
	bool v6 = peer->ss_family == AF_INET6;
	int one = 1, s, err;

	/* In the flow's namespace: its address and its client are there. */
	s = netns_socket(ns, local.ss_family, SOCK_DGRAM | SOCK_NONBLOCK, IPPROTO_UDP);
	if (s < 0)
		return s;
	if (setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    (v6 && (setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) ||
		    setsockopt(s, IPPROTO_IPV6, IPV6_FREEBIND, &one, sizeof(one)))) ||
	    bind(s, (struct sockaddr *)&local, len) ||
	    connect(s, (const struct sockaddr *)peer, len)) {
		err = -errno;
		close(s);
		return err;
	}
	*fd = s;
	return 0;
}

/* After the engine's answers: the --block prefixes and the outbound socket. */
static void set_up(struct udp_flow *f, const uint8_t *buf, size_t len)
{
	struct worker *w = f->worker;
	const char *step, *rule;
	int err;

	chain_dns_name(&f->chain, w->cfg->engine);
	f->has_dns = !dns_parse_query(buf, len, &f->dns);
	f->unnamed = !f->has_dns;
	rule = block_match_addr(&f->chain.orig);
	if (!rule)
		rule = block_match_quic(&f->chain.orig);
	if (!rule)
		rule = f->has_dns ? block_match_host(f->dns.name) : block_match_unnamed();
	if (rule) {
		/* The whole flow, as a TCP flow is refused whole. */
		f->rule = rule;
		f->phase = UDP_DROP;
		return;
	}
	err = chain_connect(&f->chain, f->ns, SOCK_DGRAM, &f->server.fd, &step);
	if (err)
		set_up_failed(f, step, err);
}

static struct udp_flow *flow_new(struct worker *w, struct netns *ns, uint32_t addr,
				 uint16_t port, const struct sockaddr_storage *peer, int fd)
{
	struct udp_flow *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->worker = w;
	f->ns = ns ? netns_get(ns) : NULL;
	f->phase = UDP_RELAY;
	f->addr = addr;
	f->port = port;
	f->peer = *peer;
	f->client = (struct watch){ .fd = fd, .handle = client_event };
	f->server = (struct watch){ .fd = -1, .handle = server_event };
	dgram_queue_init(&f->up.queue);
	dgram_queue_init(&f->down.queue);
	clock_gettime(CLOCK_REALTIME, &f->started);
	f->started_ms = w->now_ms;
	return f;
}

/* Never a flow: no line in the log, and freed with the ended ones. */
static void flow_discard(struct udp_flow *f)
{
	close_watch(&f->client);
	f->phase = UDP_DONE;
	TAILQ_INSERT_TAIL(&f->worker->udp->dead, f, dead_link);
}

struct udp_flow *udp_flow_open(struct worker *w, struct netns *ns, uint32_t addr, uint16_t port,
			       const struct sockaddr_storage *peer, const uint8_t *buf,
			       size_t len)
{
	struct udp_flow *f;
	const char *step;
	int fd = -1, err;

	if (!worker_has_room(w)) {
		w->udp->stats.no_room++;
		return NULL;
	}
	/*
	 * Without its own socket a flow could not be queried, nor logged
	 * once: its datagrams are dropped, uncounted by any flow.
	 */
	err = client_socket(ns, addr, port, peer, &fd);
	if (err) {
		w->udp->stats.no_socket++;
		return NULL;
	}
	f = flow_new(w, ns, addr, port, peer, fd);
	if (!f) {
		close(fd);
		w->udp->stats.no_socket++;
		return NULL;
	}
	err = chain_accept(f->client.fd, &f->chain, w->scratch, &step);
	if (!err && !worker_share_take(w, &f->chain, &f->counted)) {
		w->udp->stats.over_share++;
		flow_discard(f);
		return NULL;
	}
	w->nflows++;
	udp_table_add(w, f);
	timer_arm(&f->timer, udp_idle_queue(w), w->now_ms);
	/* ENOENT: an address the engine has no flow for (any more). */
	if (err)
		set_up_failed(f, step, err == -ENOENT ? 0 : err);
	else
		set_up(f, buf, len);
	return f;
}
