// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * WSAEventSelect and WSAEnumNetworkEvents: a watcher thread polls the
 * selected sockets and, on a network event, records it and sets the
 * socket's WSAEVENT (win_event_set under win_lock).
 *
 * Windows posts each event once and re-enables it with the call that
 * consumes it (recv: FD_READ, accept: FD_ACCEPT, a send that would block:
 * FD_WRITE; bsdio.c and winsock.c call win_es_rearm). Here an event that
 * fired leaves the poll set until re-enabled, and a re-enabled event fires
 * again while its condition holds (Linux poll is level-triggered), which
 * is what Windows does when the re-enabling call leaves data behind.
 * FD_CONNECT and FD_CLOSE fire once. A socket whose poll reports nothing
 * it may still post (EOF after FD_CLOSE) sleeps until the next re-enable,
 * so the watcher never spins.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "lwfp_win_internal.h"

#include "../visibility.h"

struct es {
	int fd;
	ino_t ino;
	WSAEVENT ev;
	LONG mask; /* selected */
	LONG armed; /* selected and not yet posted since re-enabled */
	LONG recorded; /* posted, not yet enumerated */
	int errors[FD_MAX_EVENTS];
	bool listening;
	bool connecting; /* a TCP socket whose FD_CONNECT is still to come */
	bool started; /* not a fresh TCP socket that connect() has yet to start */
	bool idle;
};

/* Under the lock. */
static struct es *tab;
static size_t ntab, captab;
static int wake_fds[2] = { -1, -1 };
static bool watcher_up;

static struct es *es_find(int fd)
{
	size_t i;

	for (i = 0; i < ntab; i++)
		if (tab[i].fd == fd)
			return &tab[i];
	return NULL;
}

/* Under the lock: the watcher rebuilds its poll set. */
static void watcher_kick(void)
{
	char c = 0;

	if (wake_fds[1] >= 0 && write(wake_fds[1], &c, 1) < 0 && errno != EAGAIN)
		return; /* a full pipe already wakes it */
}

static int tcp_state(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len))
		return -1; /* not TCP */
	return ti.tcpi_state;
}

/* Under the lock: the Linux poll events e waits for; 0 leaves it out. */
static short interest(struct es *e)
{
	short ev = 0;

	if (!e->started) {
		if (tcp_state(e->fd) == TCP_CLOSE)
			return 0;
		e->started = true;
	}
	if (e->idle)
		return 0;
	if (e->armed & (FD_READ | FD_ACCEPT))
		ev |= LWFP_LX_POLLIN;
	if (e->armed & FD_OOB)
		ev |= LWFP_LX_POLLPRI;
	if (e->armed & (FD_WRITE | FD_CONNECT))
		ev |= LWFP_LX_POLLOUT;
	if (e->armed & FD_CLOSE)
		ev |= LWFP_LX_POLLRDHUP;
	return ev;
}

static int so_error(int fd)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len))
		return errno;
	return err;
}

static bool has_data(int fd)
{
	char c;

	return recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 1;
}

/* Under the lock: FD_CONNECT, with FD_WRITE when it succeeded. */
static LONG connect_done(struct es *e, short *rev)
{
	int err = so_error(e->fd);

	e->connecting = false;
	e->errors[FD_CONNECT_BIT] = win_errno_to_wsa(err);
	if (err) {
		*rev = 0; /* a failed connect posts nothing else, now or later */
		e->armed &= FD_CONNECT;
		return FD_CONNECT;
	}
	*rev &= (short)~(LWFP_LX_POLLHUP | LWFP_LX_POLLERR);
	return FD_CONNECT;
}

/* Under the lock: the Windows events a poll result posts. */
static LONG events_of(struct es *e, short rev)
{
	const short hup = LWFP_LX_POLLHUP | LWFP_LX_POLLRDHUP;
	LONG fire = 0;

	if (e->connecting && (rev & (LWFP_LX_POLLOUT | LWFP_LX_POLLERR | LWFP_LX_POLLHUP)))
		fire |= connect_done(e, &rev);
	/* An error is readable: recv reports it, as an ICMP error on UDP. */
	if (rev & (LWFP_LX_POLLIN | LWFP_LX_POLLERR)) {
		if (e->listening)
			fire |= FD_ACCEPT;
		else if (!(rev & hup) || has_data(e->fd))
			fire |= FD_READ;
	}
	if (rev & LWFP_LX_POLLPRI)
		fire |= FD_OOB;
	if (rev & LWFP_LX_POLLOUT)
		fire |= FD_WRITE;
	if ((rev & hup) && !e->listening && !e->connecting) {
		fire |= FD_CLOSE;
		e->errors[FD_CLOSE_BIT] = (rev & LWFP_LX_POLLERR) ? WSAECONNRESET : 0;
	}
	return fire;
}

/* Under the lock. */
static void post(struct es *e, short rev)
{
	LONG fire;

	if (rev & LWFP_LX_POLLNVAL) {
		e->idle = true; /* closed behind the layer's back */
		return;
	}
	fire = events_of(e, rev) & e->armed;
	if (!fire) {
		e->idle = true;
		return;
	}
	e->armed &= ~fire;
	e->recorded |= fire;
	win_event_set(e->ev);
}

/* Under the lock: the poll set, the wake pipe first; its size. */
static size_t build(struct pollfd *p)
{
	size_t i, n = 1;

	p[0] = (struct pollfd){ .fd = wake_fds[0], .events = LWFP_LX_POLLIN };
	for (i = 0; i < ntab; i++) {
		short ev = interest(&tab[i]);

		if (ev)
			p[n++] = (struct pollfd){ .fd = tab[i].fd, .events = ev };
	}
	return n;
}

static void drain_wake(void)
{
	char buf[64];

	while (read(wake_fds[0], buf, sizeof(buf)) > 0)
		;
}

static void *watcher(void *arg)
{
	struct pollfd *p = NULL;
	size_t i, n;

	(void)arg;
	for (;;) {
		win_lock();
		free(p);
		p = malloc((ntab + 1) * sizeof(*p));
		n = p ? build(p) : 0;
		win_unlock();
		if (!n || poll(p, n, -1) < 0) {
			usleep(10000); /* out of memory or EINTR: try again shortly */
			continue;
		}
		drain_wake();
		win_lock();
		for (i = 1; i < n; i++) {
			struct es *e = p[i].revents ? es_find(p[i].fd) : NULL;

			if (e)
				post(e, p[i].revents);
		}
		win_unlock();
	}
	return NULL;
}

/* Under the lock. Signals stay with the application's threads. */
static int start_watcher(void)
{
	int err;

	if (watcher_up)
		return 0;
	if (wake_fds[0] < 0 && pipe2(wake_fds, O_CLOEXEC | O_NONBLOCK))
		return WSAENOBUFS;
	err = win_start_daemon(watcher);
	watcher_up = !err;
	return err ? WSAENOBUFS : 0;
}

/* Under the lock: fd's entry, created empty if need be. */
static struct es *es_get(int fd)
{
	struct es *e = es_find(fd);

	if (e)
		return e;
	if (ntab == captab) {
		size_t cap = captab ? captab * 2 : 8;
		struct es *t = realloc(tab, cap * sizeof(*t));

		if (!t)
			return NULL;
		tab = t;
		captab = cap;
	}
	e = &tab[ntab++];
	*e = (struct es){ .fd = fd };
	return e;
}

/* Under the lock. */
static void es_del(int fd)
{
	struct es *e = es_find(fd);

	if (!e)
		return;
	*e = tab[--ntab];
	watcher_kick();
}

void win_es_rearm(int fd, LONG events)
{
	struct es *e;

	win_lock();
	e = ntab ? es_find(fd) : NULL;
	if (e) {
		e->armed |= events & e->mask;
		e->idle = false;
		watcher_kick();
	}
	win_unlock();
}

/*
 * Windows' non-blocking connect always completes through FD_CONNECT, even
 * when Linux refuses at once (loopback): the error is posted there.
 */
bool win_es_connected(int fd, int err)
{
	bool posted = false;
	struct es *e;

	win_lock();
	e = ntab ? es_find(fd) : NULL;
	if (e) {
		e->started = true;
		e->idle = false;
		if (err && err != EINPROGRESS && (e->armed & FD_CONNECT)) {
			e->connecting = false;
			e->errors[FD_CONNECT_BIT] = win_errno_to_wsa(err);
			e->armed = 0; /* a failed connect posts nothing else */
			e->recorded |= FD_CONNECT;
			win_event_set(e->ev);
			posted = true;
		}
		watcher_kick();
	}
	win_unlock();
	return posted;
}

void win_es_forget(const struct win_sock *ws)
{
	win_lock();
	es_del(ws->fd);
	win_unlock();
}

bool win_es_selected(int fd)
{
	bool sel;

	win_lock();
	sel = es_find(fd) != NULL;
	win_unlock();
	return sel;
}

static int fail(int err)
{
	win_set_error(err);
	return SOCKET_ERROR;
}

/* What the watcher needs to know of the socket before it polls it. */
static void classify(struct es *e, int fd)
{
	int acc = 0, st = tcp_state(fd);
	socklen_t len = sizeof(acc);

	getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &len);
	e->listening = acc != 0;
	e->connecting = st == TCP_CLOSE || st == TCP_SYN_SENT;
	e->started = st != TCP_CLOSE;
}

/* Under the lock: selects mask on ws with ev; 0 or a Winsock error. */
static int es_select(const struct win_sock *ws, WSAEVENT ev, LONG mask)
{
	struct es *e;
	int err = start_watcher();

	if (err)
		return err;
	e = es_get(ws->fd);
	if (!e)
		return WSAENOBUFS;
	/* A new selection replaces the old one and clears its record. */
	*e = (struct es){ .fd = ws->fd, .ino = ws->ino, .ev = ev, .mask = mask, .armed = mask };
	classify(e, ws->fd);
	watcher_kick();
	return 0;
}

LWFP_API int WSAEventSelect(SOCKET s, WSAEVENT hEventObject, LONG lNetworkEvents)
{
	struct win_sock ws;
	int fl, err = win_sock_get(s, &ws);

	if (err)
		return fail(err);
	if (!lNetworkEvents) {
		win_es_forget(&ws);
		return 0;
	}
	if (lNetworkEvents & ~FD_ALL_EVENTS)
		return fail(WSAEINVAL);
	/* Windows makes the socket non-blocking, and leaves it so. */
	fl = fcntl(ws.fd, F_GETFL);
	if (fl < 0 || fcntl(ws.fd, F_SETFL, fl | O_NONBLOCK))
		return fail(win_errno_to_wsa(errno));
	win_lock();
	err = win_event_valid(hEventObject) ? es_select(&ws, hEventObject, lNetworkEvents)
					    : WSAEINVAL;
	win_unlock();
	return err ? fail(err) : 0;
}

/* Under the lock: moves ws's record into ne. */
static void take_record(const struct win_sock *ws, LPWSANETWORKEVENTS ne)
{
	struct es *e = es_find(ws->fd);
	int i;

	memset(ne, 0, sizeof(*ne));
	if (!e || e->ino != ws->ino)
		return;
	ne->lNetworkEvents = e->recorded;
	for (i = 0; i < FD_MAX_EVENTS; i++)
		if (e->recorded & (1 << i))
			ne->iErrorCode[i] = e->errors[i];
	e->recorded = 0;
}

LWFP_API int WSAEnumNetworkEvents(SOCKET s, WSAEVENT hEventObject,
				  LPWSANETWORKEVENTS lpNetworkEvents)
{
	struct win_sock ws;
	int err = win_sock_get(s, &ws);

	if (err)
		return fail(err);
	if (!lpNetworkEvents)
		return fail(WSAEFAULT);
	/* Reset before taking the record: an event posted in between stays set. */
	if (hEventObject && !WSAResetEvent(hEventObject))
		return fail(WSAEINVAL);
	win_lock();
	take_record(&ws, lpNetworkEvents);
	win_unlock();
	return 0;
}
