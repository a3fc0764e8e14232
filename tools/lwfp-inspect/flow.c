// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The life of one proxied connection; see flow.h for the phases. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "block.h"
#include "budget.h"
#include "flow.h"
#include "log.h"
#include "netns.h"

/* ---- the end of a flow ------------------------------------------------------ */

/*
 * A flow that did not end cleanly is reset on both sides (SO_LINGER 0), so
 * that neither peer mistakes a cut-off stream for a complete one.
 */
static void close_socket(struct watch *wt, bool reset)
{
	struct linger abort_close = { .l_onoff = 1, .l_linger = 0 };

	if (wt->fd < 0)
		return;
	if (reset)
		setsockopt(wt->fd, SOL_SOCKET, SO_LINGER, &abort_close, sizeof(abort_close));
	/* Closing also takes the socket out of the epoll set. */
	close(wt->fd);
	wt->fd = -1;
}

/* An offloaded flow's counts come from its sockets, which saw every byte. */
static void offload_count(struct flow *f)
{
	f->up.bytes = offload_bytes(f->client.fd);
	f->down.bytes = offload_bytes(f->server.fd);
}

/*
 * The flow's share of the offload budget (budget.h), under the user of the
 * application the chain started from: one the proxy could not name is a
 * user of its own, never root.
 */
static int flow_budget_take(struct flow *f)
{
	uint32_t uid = f->chain.has_process ? f->chain.uid : BUDGET_UID_UNKNOWN;
	int err;

	err = budget_take(f->worker->cfg->budget, uid);
	if (err)
		return err;
	f->budgeted = true;
	f->budget_uid = uid;
	return 0;
}

static void flow_budget_give(struct flow *f)
{
	if (!f->budgeted)
		return;
	f->budgeted = false;
	budget_give(f->worker->cfg->budget, f->budget_uid);
}

/*
 * The flow is logged and closed now, but freed only after the current epoll
 * batch, which may still hold an event for its other socket.
 */
static void flow_end(struct flow *f, enum verdict verdict)
{
	struct worker *w = f->worker;

	if (f->relay == RELAY_OFFLOAD)
		offload_count(f);
	f->verdict = verdict;
	f->phase = FLOW_DONE;
	timer_cancel(&f->timer);
	log_flow(w, f);
	close_socket(&f->client, verdict != VERDICT_PASS);
	close_socket(&f->server, verdict != VERDICT_PASS);
	pump_close(&f->up);
	pump_close(&f->down);
	offload_free(&f->off);
	flow_budget_give(f);
	TAILQ_INSERT_TAIL(&w->dead, f, dead_link);
	worker_share_give(w, &f->chain, f->counted);
	w->nflows--;
}

/*
 * Its uid holds its share of the worker's flows: reset, without a log line
 * (the worker counts it), since one user could send such connections as
 * fast as they are refused.
 */
static void flow_refuse(struct flow *f)
{
	struct worker *w = f->worker;

	w->tcp_over_share++;
	f->phase = FLOW_DONE;
	close_socket(&f->client, true);
	TAILQ_INSERT_TAIL(&w->dead, f, dead_link);
	w->nflows--;
}

/* err: a negative errno to append to what, or 0 for none. */
static void flow_fail(struct flow *f, const char *what, int err)
{
	/* strerrordesc_np(), unlike strerror(), is thread-safe. */
	const char *desc = err ? strerrordesc_np(-err) : NULL;

	if (err)
		snprintf(f->error, sizeof(f->error), "%s: %s", what, desc ? desc : "unknown error");
	else
		snprintf(f->error, sizeof(f->error), "%s", what);
	flow_end(f, VERDICT_ERROR);
}

static void flow_block(struct flow *f, const char *rule)
{
	f->rule = rule;
	flow_end(f, VERDICT_BLOCK);
}

/* What each socket waits for; 0 or, when epoll fails, the flow has ended. */
static int flow_watch(struct flow *f, uint32_t client, uint32_t server)
{
	struct worker *w = f->worker;
	int err;

	err = watch_set(w, &f->client, client);
	if (!err && f->server.fd >= 0)
		err = watch_set(w, &f->server, server);
	if (err)
		flow_fail(f, "epoll_ctl", err);
	return err;
}

static void enter_phase(struct flow *f, enum flow_phase phase, int timeout)
{
	f->phase = phase;
	timer_arm(&f->timer, &f->worker->timeouts[timeout], f->worker->now_ms);
}

/* ---- RELAY -------------------------------------------------------------------- */

/* A socket is read by one pump and written by the other. */
static uint32_t pump_events(const struct pump *reads, const struct pump *writes)
{
	return (pump_wants_read(reads) ? EPOLLIN : 0) | (pump_wants_write(writes) ? EPOLLOUT : 0);
}

static void relay_event(struct flow *f)
{
	int err, failed = -1;

	err = pump_run(&f->up, f->client.fd, f->server.fd, &failed);
	if (!err)
		err = pump_run(&f->down, f->server.fd, f->client.fd, &failed);
	if (err) {
		flow_fail(f, failed == f->client.fd ? "client" : "server", err);
		return;
	}
	if (pump_done(&f->up) && pump_done(&f->down)) {
		flow_end(f, VERDICT_PASS);
		return;
	}
	enter_phase(f, FLOW_RELAY, TIMEOUT_IDLE);
	flow_watch(f, pump_events(&f->up, &f->down), pump_events(&f->down, &f->up));
}

/* ---- OFFLOAD ------------------------------------------------------------------ */

/* Both ends passed on. */
static void offload_end(struct flow *f)
{
	offload_graceful(f->client.fd);
	offload_graceful(f->server.fd);
	flow_end(f, VERDICT_PASS);
}

/*
 * Each socket: its end and its spills (EPOLLIN), and room for the spill
 * the proxy writes into it (EPOLLOUT). Edge-triggered: each is one event.
 */
static int offload_watch(struct flow *f)
{
	const uint32_t base = EPOLLRDHUP | EPOLLIN | EPOLLET;

	return flow_watch(f, base | (offload_wants_write(&f->off.down) ? EPOLLOUT : 0),
			  base | (offload_wants_write(&f->off.up) ? EPOLLOUT : 0));
}

static void offload_event(struct flow *f)
{
	int err, failed;

	err = offload_run(&f->off, f->client.fd, f->server.fd, &failed);
	if (err) {
		flow_fail(f, failed == f->client.fd ? "client" : "server", err);
		return;
	}
	if (offload_done(&f->off)) {
		offload_end(f);
		return;
	}
	if (offload_watch(f))
		return;
	if (offload_flushing(&f->off)) {
		if (!f->off.flushing_since_ms)
			f->off.flushing_since_ms = f->worker->now_ms;
		enter_phase(f, FLOW_OFFLOAD, TIMEOUT_FLUSH);
		return;
	}
	f->off.flushing_since_ms = 0;
	if (offload_draining_soon(&f->off))
		enter_phase(f, FLOW_OFFLOAD, TIMEOUT_SPILL);
	else if (f->timer.queue != &f->worker->timeouts[TIMEOUT_OFFLOAD])
		enter_phase(f, FLOW_OFFLOAD, TIMEOUT_OFFLOAD);
}

/*
 * The kernel moves the bytes, so idle means: neither socket received any.
 * A spill waiting for the kernel's queue, and an end waiting for its
 * bytes to leave, are checked again soon, a spill that keeps waiting at
 * the idle check's period; a destination that takes nothing more for the
 * idle timeout is as idle as a silent flow.
 */
static void offload_expire(struct flow *f)
{
	const struct config *cfg = f->worker->cfg;
	const struct timeout_queue *q = f->timer.queue;

	/* offload_event() arms the timer again, in the queue it needs. */
	timer_cancel(&f->timer);
	if (q == &f->worker->timeouts[TIMEOUT_FLUSH] &&
	    f->worker->now_ms - f->off.flushing_since_ms >= cfg->idle_timeout_ms)
		flow_fail(f, "idle timeout", 0);
	else if (q == &f->worker->timeouts[TIMEOUT_OFFLOAD] &&
		 offload_idle(f->client.fd, f->server.fd, cfg->idle_timeout_ms))
		flow_fail(f, "idle timeout", 0);
	else
		offload_event(f);
}

/*
 * true when the kernel took the flow over, or when the flow ended because
 * the hand-over failed half-way; false to relay it here.
 */
static bool try_offload(struct flow *f)
{
	int err;

	err = flow_budget_take(f);
	if (err) {
		f->offload_err = err;
		return false;
	}
	err = offload_begin(&f->off, f->client.fd, f->server.fd, f->worker->cfg->pin_dir,
			    f->worker->cfg->offload_max_queue);
	if (err == -ENOTRECOVERABLE) {
		flow_fail(f, "offload", err);
		return true;
	}
	if (err) {
		flow_budget_give(f);
		f->offload_err = err;
		return false;
	}
	f->relay = RELAY_OFFLOAD;
	enter_phase(f, FLOW_OFFLOAD, TIMEOUT_OFFLOAD);
	if (!offload_watch(f))
		offload_event(f);
	return true;
}

static void start_relay(struct flow *f)
{
	int err;

	if (f->worker->cfg->offload && try_offload(f))
		return;
	f->relay = RELAY_SPLICE;
	err = pump_open(&f->up);
	if (!err)
		err = pump_open(&f->down);
	if (err) {
		flow_fail(f, "pipe", err);
		return;
	}
	f->phase = FLOW_RELAY;
	relay_event(f);
}

/* ---- CONNECT ------------------------------------------------------------------ */

static void connect_event(struct flow *f)
{
	socklen_t len = sizeof(int);
	int err = 0;

	if (getsockopt(f->server.fd, SOL_SOCKET, SO_ERROR, &err, &len))
		err = errno;
	if (err) {
		flow_fail(f, "connect", -err);
		return;
	}
	start_relay(f);
}

static void start_connect(struct flow *f)
{
	const char *step;
	int err;

	err = chain_connect(&f->chain, f->ns, SOCK_STREAM, &f->server.fd, &step);
	if (err == 0) {
		start_relay(f);
		return;
	}
	if (err != -EINPROGRESS) {
		flow_fail(f, step, err);
		return;
	}
	enter_phase(f, FLOW_CONNECT, TIMEOUT_CONNECT);
	/* Until then, the client's bytes wait in its socket's receive queue. */
	flow_watch(f, 0, EPOLLOUT);
}

/* ---- PEEK --------------------------------------------------------------------- */

/*
 * A client that sent bytes which name no host (no SNI, a ClientHello too
 * large, a request without a readable Host, another protocol) is unnamed.
 * One that sent nothing yet is not: server-first protocols do that.
 */
static void peek_done(struct flow *f)
{
	const char *rule = NULL;

	if (f->peeked.kind != PEEK_KIND_NONE) {
		rule = block_match_host(f->peeked.name);
	} else if (f->saw_bytes) {
		f->unnamed = true;
		rule = block_match_unnamed();
	}
	if (rule)
		flow_block(f, rule);
	else
		start_connect(f);
}

/*
 * MSG_PEEK leaves the bytes queued for the relay to send on. The whole
 * prefix is parsed again on each new segment, which is cheap: it is bounded
 * by PEEK_MAX, and nearly always one segment. Bytes that fill PEEK_MAX, or
 * that the receive buffer cannot hold unread until the peek timeout, end
 * the peek without a name.
 */
static void peek_event(struct flow *f, uint32_t events)
{
	uint8_t *buf = f->worker->scratch;
	enum peek_status st;
	ssize_t n;

	n = recv(f->client.fd, buf, PEEK_MAX, MSG_PEEK);
	if (n < 0) {
		if (errno != EAGAIN)
			flow_fail(f, "client", -errno);
		return;
	}
	if (n > 0)
		f->saw_bytes = true;
	st = peek_name(buf, (size_t)n, &f->peeked);
	/* More can come only if the client is still sending and there is room. */
	if (st == PEEK_NEED_MORE && n > 0 && n < PEEK_MAX &&
	    !(events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)))
		return;
	peek_done(f);
}

static void start_peek(struct flow *f)
{
	enter_phase(f, FLOW_PEEK, TIMEOUT_PEEK);
	/*
	 * Edge-triggered, because peeked bytes stay queued: level-triggered
	 * epoll would report them again at once. Each new segment is an edge.
	 */
	flow_watch(f, EPOLLIN | EPOLLRDHUP | EPOLLET, 0);
}

/* ---- events ------------------------------------------------------------------- */

static void flow_event(struct flow *f, uint32_t events)
{
	switch (f->phase) {
	case FLOW_PEEK:
		peek_event(f, events);
		break;
	case FLOW_CONNECT:
		connect_event(f);
		break;
	case FLOW_RELAY:
		relay_event(f);
		break;
	case FLOW_DONE:
		break; /* ended earlier in this epoll batch */
	case FLOW_OFFLOAD:
		offload_event(f);
		break;
	}
}

static void client_event(struct watch *wt, uint32_t events)
{
	flow_event(container_of(wt, struct flow, client), events);
}

static void server_event(struct watch *wt, uint32_t events)
{
	flow_event(container_of(wt, struct flow, server), events);
}

void flow_expire(struct timer *t)
{
	struct flow *f = container_of(t, struct flow, timer);

	switch (f->phase) {
	case FLOW_PEEK:
		/* Server-first protocols send nothing: go on without a name. */
		peek_done(f);
		break;
	case FLOW_CONNECT:
		flow_fail(f, "connect timeout", 0);
		break;
	case FLOW_RELAY:
		flow_fail(f, "idle timeout", 0);
		break;
	case FLOW_DONE:
		break;
	case FLOW_OFFLOAD:
		offload_expire(f);
		break;
	}
}

/* ---- accept, abort, free ---------------------------------------------------------- */

void flow_accept(struct worker *w, int fd, struct netns *ns)
{
	const char *step, *rule;
	struct flow *f;
	int err;

	f = calloc(1, sizeof(*f));
	if (!f) {
		log_warn("accept: out of memory, connection dropped");
		close(fd);
		return;
	}
	f->worker = w;
	f->ns = ns ? netns_get(ns) : NULL;
	f->client = (struct watch){ .fd = fd, .handle = client_event };
	f->server = (struct watch){ .fd = -1, .handle = server_event };
	pump_init(&f->up);
	pump_init(&f->down);
	clock_gettime(CLOCK_REALTIME, &f->started);
	f->started_ms = w->now_ms;
	w->nflows++;

	err = chain_accept(fd, &f->chain, w->scratch, &step);
	if (err) {
		/* ENOENT: a connection the engine did not redirect; step says so. */
		flow_fail(f, step, err == -ENOENT ? 0 : err);
		return;
	}
	if (!worker_share_take(w, &f->chain, &f->counted)) {
		flow_refuse(f);
		return;
	}
	chain_dns_name(&f->chain, w->cfg->engine);
	/* An address rule needs no peek: refuse at once. */
	rule = block_match_addr(&f->chain.orig);
	if (rule)
		flow_block(f, rule);
	else if (w->cfg->peek_timeout_ms)
		start_peek(f);
	else
		start_connect(f);
}

void flow_abort_all(struct worker *w, const char *why)
{
	struct timer *t;
	int q;

	for (q = 0; q < TIMEOUT_QUEUES; q++)
		while ((t = TAILQ_FIRST(&w->timeouts[q].timers)))
			flow_fail(container_of(t, struct flow, timer), why, 0);
}

void flow_free_dead(struct worker *w)
{
	struct flow *f;

	while ((f = TAILQ_FIRST(&w->dead))) {
		TAILQ_REMOVE(&w->dead, f, dead_link);
		if (f->ns)
			netns_put(f->ns);
		free(f);
	}
}
