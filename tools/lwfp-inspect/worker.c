// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The worker threads: an epoll loop each, with its listeners and flows. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "flow.h"
#include "listen.h"
#include "log.h"
#include "netns.h"
#include "udp.h"
#include "worker.h"

#define WORKER_EVENTS 256
#define ACCEPT_BATCH 64
/* After EMFILE and the like: retry accepting this much later. */
#define ACCEPT_PAUSE_MS 100
/*
 * An offloaded flow's end waits for the kernel's work queue to send what
 * came before it; that takes microseconds, and nothing signals it.
 */
#define OFFLOAD_FLUSH_MS 1
/*
 * A spill waits for the kernel's queue toward a peer that is slow to read;
 * the destination's EPOLLOUT usually says when, this is the fallback.
 */
#define OFFLOAD_SPILL_MS 1
/*
 * How often an offloaded flow is checked for idleness: the idle timeout's
 * precision. The kernel bounds its queues itself (bpf/offload.bpf.c).
 */
#define OFFLOAD_CHECK_MS 1000
/* Refusals over a uid's share are said on stderr at most this often. */
#define SHARE_SAY_MS 1000

/* ---- accepting ----------------------------------------------------------------- */

/*
 * A worker listens only while it has room, so a connection it could not
 * serve stays in the kernel's accept queue until it can, instead of being
 * accepted and reset.
 */
static void set_listening(struct worker *w, struct listener *ls, size_t n, uint32_t events)
{
	size_t i;
	int err;

	for (i = 0; i < n; i++) {
		err = watch_set(w, &ls[i].watch, events);
		if (err)
			log_warn("worker %u: epoll_ctl on a listener: %s", w->id, strerror(-err));
	}
}

static void update_listening(struct worker *w)
{
	bool on = !w->draining && worker_has_room(w);
	uint32_t events = on ? EPOLLIN : 0;
	struct ns_set *s;

	if (on == w->listening)
		return;
	set_listening(w, w->listeners, w->nlisteners, events);
	for (s = w->ns_sets; s; s = s->next)
		set_listening(w, s->listeners, s->nlisteners, events);
	w->listening = on;
}

/*
 * Out of descriptors or memory although within the budget (other processes
 * count too): the listener would stay readable and spin. Pause a moment.
 */
static void pause_accepting(struct worker *w, int err)
{
	log_warn("worker %u: accept: %s; pausing for %d ms", w->id, strerror(err),
		 ACCEPT_PAUSE_MS);
	w->accept_resume_ms = w->now_ms + ACCEPT_PAUSE_MS;
}

/* Returns false when the listener has nothing more to accept now. */
static bool accept_one(struct listener *l)
{
	struct worker *w = l->worker;
	int fd;

	fd = accept4(l->watch.fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd >= 0) {
		flow_accept(w, fd, l->ns);
		return true;
	}
	switch (errno) {
	case EINTR:
	case ECONNABORTED:
	case EPROTO:
		return true; /* that connection is gone; others may wait */
	case EMFILE:
	case ENFILE:
	case ENOBUFS:
	case ENOMEM:
		pause_accepting(w, errno);
		return false;
	case EAGAIN:
		return false;
	default:
		log_warn("worker %u: accept: %s", w->id, strerror(errno));
		return false;
	}
}

/* Up to max connections, while there is room. */
static void accept_batch(struct listener *l, int max)
{
	int i;

	for (i = 0; i < max && worker_has_room(l->worker); i++)
		if (!accept_one(l))
			break;
}

static void listener_event(struct watch *wt, uint32_t events)
{
	struct listener *l = container_of(wt, struct listener, watch);

	(void)events;
	/* A batch at a time, so that a flood does not starve live flows. */
	accept_batch(l, ACCEPT_BATCH);
	update_listening(l->worker);
}

/*
 * Takes what already waits in the accept queues (at most a full backlog),
 * then closes the listeners: connections the engine redirected just before
 * the stop are served, not reset.
 */
static void close_listeners(struct worker *w)
{
	struct ns_set *s;
	size_t i;

	for (i = 0; i < w->nlisteners; i++) {
		accept_batch(&w->listeners[i], SOMAXCONN);
		close(w->listeners[i].watch.fd);
	}
	w->nlisteners = 0;
	while ((s = w->ns_sets)) {
		w->ns_sets = s->next;
		for (i = 0; i < s->nlisteners; i++)
			accept_batch(&s->listeners[i], SOMAXCONN);
		udp_ports_drain(w, s->ports, s->nports);
		ns_set_free(s);
	}
	w->listening = false;
}

/* ---- the uids' shares ----------------------------------------------------------- */

/* One line for a burst of refusals: a flood of them is no flood of lines. */
static void say_refused(struct worker *w, uint32_t uid)
{
	w->share_refused++;
	if (w->share_said_ms && w->now_ms - w->share_said_ms < SHARE_SAY_MS)
		return;
	log_warn("worker %u: uid %u holds its share, %u of the worker's %u flows: %" PRIu64
		 " new flows refused since the last such line",
		 w->id, uid, w->shares.max, w->cfg->max_flows, w->share_refused);
	w->share_refused = 0;
	w->share_said_ms = w->now_ms ? w->now_ms : 1;
}

bool worker_share_take(struct worker *w, const struct chain *c, bool *counted)
{
	*counted = false;
	if (!c->has_process || c->uid == 0)
		return true;
	if (!uid_share_take(&w->shares, c->uid)) {
		say_refused(w, c->uid);
		return false;
	}
	*counted = true;
	return true;
}

void worker_share_give(struct worker *w, const struct chain *c, bool counted)
{
	if (counted)
		uid_share_give(&w->shares, c->uid);
}

/* ---- other namespaces' sockets ------------------------------------------------- */

void ns_set_free(struct ns_set *set)
{
	size_t i;

	for (i = 0; i < set->nlisteners; i++)
		close(set->listeners[i].watch.fd);
	udp_ports_close(set->ports, set->nports);
	free(set->ports);
	if (set->ns)
		netns_put(set->ns);
	free(set);
}

/* The new set's sockets join the epoll set (listening, if the others are). */
static void adopt_set(struct worker *w, struct ns_set *set)
{
	size_t i;
	int err = 0;

	for (i = 0; i < set->nlisteners; i++) {
		set->listeners[i].worker = w;
		set->listeners[i].ns = set->ns;
		set->listeners[i].watch.events = 0;
		set->listeners[i].watch.handle = listener_event;
	}
	if (w->listening)
		set_listening(w, set->listeners, set->nlisteners, EPOLLIN);
	for (i = 0; i < set->nports && !err; i++)
		err = udp_port_adopt(w, &set->ports[i], set->ns);
	if (err)
		log_warn("worker %u: epoll_ctl on a UDP socket: %s", w->id, strerror(-err));
	set->next = w->ns_sets;
	w->ns_sets = set;
}

/* Closing a namespace's sockets, not its flows: they end on their own. */
static void remove_set(struct worker *w, const struct netns *ns)
{
	struct ns_set **p, *s;

	for (p = &w->ns_sets; (s = *p); p = &s->next) {
		if (s->ns == ns) {
			*p = s->next;
			ns_set_free(s);
			return;
		}
	}
}

/* After an engine upgrade, which forgot every registration. */
static void register_sets(struct worker *w, uint32_t handle)
{
	struct ns_set *s;
	size_t i;

	for (s = w->ns_sets; s; s = s->next) {
		for (i = 0; i < s->nlisteners; i++)
			listen_register(s->listeners[i].watch.fd, handle);
		for (i = 0; i < s->nports; i++)
			listen_register(s->ports[i].watch.fd, handle);
	}
}

static void take_requests(struct worker *w)
{
	struct ns_set *req, *next;

	pthread_mutex_lock(&w->ns_lock);
	req = w->ns_requests;
	w->ns_requests = NULL;
	pthread_mutex_unlock(&w->ns_lock);
	for (; req; req = next) {
		next = req->next;
		if (req->reregister) {
			register_sets(w, req->reregister);
			ns_set_free(req);
		} else if (req->remove) {
			remove_set(w, req->ns);
			ns_set_free(req);
		} else if (w->draining) {
			ns_set_free(req);
		} else {
			adopt_set(w, req);
		}
	}
}

void worker_post_netns(struct worker *w, struct ns_set *set)
{
	uint64_t one = 1;

	pthread_mutex_lock(&w->ns_lock);
	set->next = w->ns_requests;
	w->ns_requests = set;
	pthread_mutex_unlock(&w->ns_lock);
	if (write(w->wakeup.fd, &one, sizeof(one)) < 0)
		log_warn("worker %u: eventfd: %s", w->id, strerror(errno));
}

/* ---- stopping ------------------------------------------------------------------ */

static void wakeup_event(struct watch *wt, uint32_t events)
{
	struct worker *w = container_of(wt, struct worker, wakeup);
	uint64_t n;

	(void)events;
	if (read(wt->fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		log_warn("worker %u: eventfd: %s", w->id, strerror(errno));
	take_requests(w);
	if (atomic_load(&w->stop) == WORKER_RUN)
		return;
	if (!w->draining) {
		close_listeners(w);
		udp_drain(w);
		w->draining = true;
		w->drain_deadline_ms = w->now_ms + w->cfg->drain_timeout_ms;
	}
	if (atomic_load(&w->stop) == WORKER_ABORT) {
		flow_abort_all(w, "shutdown: aborted");
		udp_abort_all(w);
	}
}

void worker_stop(struct worker *w, enum worker_stop how)
{
	uint64_t one = 1;

	atomic_store(&w->stop, how);
	if (write(w->wakeup.fd, &one, sizeof(one)) < 0)
		log_warn("worker %u: eventfd: %s", w->id, strerror(errno));
}

/* ---- the loop -------------------------------------------------------------------- */

/* The epoll_wait() timeout: until the earliest deadline of any kind. */
static int wait_ms(struct worker *w)
{
	uint64_t deadline = UINT64_MAX;
	int q;

	for (q = 0; q < TIMEOUT_QUEUES; q++)
		timeout_next(&w->timeouts[q], &deadline);
	udp_next_deadline(w, &deadline);
	if (w->accept_resume_ms > w->now_ms && w->accept_resume_ms < deadline)
		deadline = w->accept_resume_ms;
	if (w->draining && w->drain_deadline_ms < deadline)
		deadline = w->drain_deadline_ms;
	if (deadline == UINT64_MAX)
		return -1;
	if (deadline <= w->now_ms)
		return 0;
	return deadline - w->now_ms > INT_MAX ? INT_MAX : (int)(deadline - w->now_ms);
}

static void run_timers(struct worker *w)
{
	struct timer *t;
	int q;

	/* An expired flow leaves its queue: it moves on, or it ends. */
	for (q = 0; q < TIMEOUT_QUEUES; q++)
		while ((t = timeout_expired(&w->timeouts[q], w->now_ms)))
			flow_expire(t);
	udp_run_timers(w);
	if (w->draining && w->drain_deadline_ms <= w->now_ms) {
		flow_abort_all(w, "shutdown: drain timeout");
		/* Not an error for UDP: a flow has no end but this one. */
		udp_abort_all(w);
	}
}

static bool worker_done(struct worker *w)
{
	return w->draining && !w->nflows;
}

static void *worker_main(void *arg)
{
	struct epoll_event events[WORKER_EVENTS];
	struct worker *w = arg;
	struct watch *wt;
	int n, i;

	update_listening(w);
	while (!worker_done(w)) {
		n = epoll_wait(w->epfd, events, WORKER_EVENTS, wait_ms(w));
		w->now_ms = monotonic_ms();
		if (n < 0 && errno != EINTR) {
			log_warn("worker %u: epoll_wait: %s", w->id, strerror(errno));
			break;
		}
		for (i = 0; i < n; i++) {
			wt = events[i].data.ptr;
			wt->handle(wt, events[i].events);
		}
		run_timers(w);
		update_listening(w);
		flow_free_dead(w);
		udp_free_dead(w);
	}
	/* Only after a failure of epoll itself is anything left. */
	close_listeners(w);
	flow_abort_all(w, "worker failed");
	udp_abort_all(w);
	flow_free_dead(w);
	udp_free_dead(w);
	atomic_store(&w->finished, true);
	return NULL;
}

/* ---- set-up and tear-down ------------------------------------------------------- */

static int init_listeners(struct worker *w, char *err, size_t size)
{
	struct listener *l;
	size_t i;
	int e;

	for (i = 0; i < w->cfg->nlisten; i++) {
		l = &w->listeners[i];
		l->worker = w;
		l->watch = (struct watch){ .fd = -1, .handle = listener_event };
		e = listen_open(&w->cfg->listen[i], &l->watch.fd);
		if (e) {
			snprintf(err, size, "listen: %s", strerror(-e));
			return e;
		}
		w->nlisteners++;
	}
	return 0;
}

int worker_init(struct worker *w, unsigned int id, const struct config *cfg, char *err,
		size_t size)
{
	int e;

	w->id = id;
	w->cfg = cfg;
	w->epfd = -1;
	pthread_mutex_init(&w->ns_lock, NULL);
	w->wakeup = (struct watch){ .fd = -1, .handle = wakeup_event };
	timeout_queue_init(&w->timeouts[TIMEOUT_PEEK], cfg->peek_timeout_ms);
	timeout_queue_init(&w->timeouts[TIMEOUT_CONNECT], cfg->connect_timeout_ms);
	timeout_queue_init(&w->timeouts[TIMEOUT_IDLE], cfg->idle_timeout_ms);
	timeout_queue_init(&w->timeouts[TIMEOUT_FLUSH], OFFLOAD_FLUSH_MS);
	timeout_queue_init(&w->timeouts[TIMEOUT_SPILL], OFFLOAD_SPILL_MS);
	timeout_queue_init(&w->timeouts[TIMEOUT_OFFLOAD], OFFLOAD_CHECK_MS);
	TAILQ_INIT(&w->dead);
	atomic_init(&w->stop, WORKER_RUN);
	atomic_init(&w->finished, false);
	names_init(&w->names, cfg->engine);
	w->now_ms = monotonic_ms();

	if (uid_share_init(&w->shares, cfg->max_flows)) {
		snprintf(err, size, "worker %u: out of memory", id);
		return -ENOMEM;
	}
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (w->epfd >= 0)
		w->wakeup.fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->epfd < 0 || w->wakeup.fd < 0) {
		snprintf(err, size, "worker %u: %s", id, strerror(errno));
		return -errno;
	}
	e = watch_set(w, &w->wakeup, EPOLLIN);
	if (e) {
		snprintf(err, size, "worker %u: epoll_ctl: %s", id, strerror(-e));
		return e;
	}
	e = init_listeners(w, err, size);
	return e ? e : udp_init(w, err, size);
}

int worker_start(struct worker *w)
{
	int err;

	err = pthread_create(&w->thread, NULL, worker_main, w);
	if (err)
		return -err;
	w->started = true;
	return 0;
}

static void free_sets(struct ns_set **list)
{
	struct ns_set *s;

	while ((s = *list)) {
		*list = s->next;
		ns_set_free(s);
	}
}

/*
 * Every flow has ended by now, so every share was given back: a count
 * left would be a flow end that forgot its share.
 */
static void report_shares(const struct worker *w)
{
	if (w->tcp_over_share)
		log_warn("worker %u: %" PRIu64 " TCP connections reset over their uid's share",
			 w->id, w->tcp_over_share);
	if (w->shares.counted)
		log_warn("worker %u: %u flows still counted in their uids' shares at exit",
			 w->id, w->shares.counted);
}

void worker_destroy(struct worker *w)
{
	size_t i;

	if (w->started)
		pthread_join(w->thread, NULL);
	if (w->shares.slots)
		report_shares(w);
	uid_share_free(&w->shares);
	for (i = 0; i < w->nlisteners; i++)
		close(w->listeners[i].watch.fd);
	w->nlisteners = 0;
	free_sets(&w->ns_sets);
	free_sets(&w->ns_requests);
	udp_destroy(w);
	if (w->wakeup.fd >= 0)
		close(w->wakeup.fd);
	if (w->epfd >= 0)
		close(w->epfd);
}
