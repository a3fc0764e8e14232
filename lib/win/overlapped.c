// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Overlapped operations: a queue, one worker thread that runs them, and
 * their completion through the OVERLAPPED, its event, or an APC.
 *
 * The native calls are synchronous, so "pending" means queued for the
 * worker. That keeps Windows' promises: WSAIoctl never runs a completion
 * routine itself, the routine runs only at an alertable wait of its thread,
 * and closesocket completes whatever is still queued with
 * WSA_OPERATION_ABORTED. One worker is enough: each operation is a couple
 * of getsockopt calls.
 *
 * Data transfers (struct win_xfer: WSARecv, WSASend, ConnectEx, AcceptEx,
 * an overlapped SIO_FLUSH) cannot run that way: a receive may wait for ever
 * and must not hold up the others. The worker instead tries each without
 * blocking and waits for its socket's readiness in epoll, alongside an
 * eventfd that says the ioctl queue has work; transfers on one socket and
 * in one direction are tried strictly in order, as Windows completes them.
 *
 * While an operation is pending, Internal is STATUS_PENDING; at completion
 * InternalHigh gets the byte count, Offset (reserved to the provider in a
 * WSAOVERLAPPED) the exact Winsock error for WSAGetOverlappedResult, and
 * Internal, stored last, an NTSTATUS for HasOverlappedIoCompleted.
 */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "lwfp_win_internal.h"

#include "../visibility.h"

struct win_op {
	struct win_op *next;
	struct win_sock ws;
	DWORD code;
	const void *in;
	DWORD in_size;
	void *out;
	DWORD out_size;
	struct win_completion c;
	struct win_xfer *xfer; /* a data transfer, else one of the three codes */
	int err; /* the outcome, for the completion routine */
	DWORD bytes;
	struct win_apc apc;
};

/* All under the layer's lock. */
static struct win_op *queue_head;
static struct win_op **queue_tail = &queue_head;
static struct win_op *running; /* the worker's current op, off the queue */
static bool worker_up;
static bool held;
static struct win_op *xfer_head; /* the transfers waiting for readiness */
static struct win_op **xfer_tail = &xfer_head;
static int epfd = -1, kickfd = -1;

#define KICK UINT64_MAX /* the eventfd's epoll tag; the sockets' is their fd */

static bool same_socket(const struct win_sock *a, const struct win_sock *b)
{
	return a->fd == b->fd && a->ino == b->ino;
}

/* OffsetHigh: lpdwFlags for WSAGetOverlappedResult. */
static void store_result(LPWSAOVERLAPPED ov, int err, DWORD bytes, DWORD flags)
{
	ov->Offset = (DWORD)err;
	ov->OffsetHigh = flags;
	ov->InternalHigh = bytes;
	/* Release: whoever sees Internal done also sees the two above. */
	__atomic_store_n(&ov->Internal, (ULONG_PTR)(ULONG)win_status_from_wsa(err),
			 __ATOMIC_RELEASE);
}

static bool is_pending(LPWSAOVERLAPPED ov)
{
	return __atomic_load_n(&ov->Internal, __ATOMIC_ACQUIRE) == (ULONG_PTR)STATUS_PENDING;
}

void win_overlapped_done(LPWSAOVERLAPPED ov, int err, DWORD bytes)
{
	store_result(ov, err, bytes, 0);
	if (ov->hEvent)
		win_event_set(ov->hEvent);
	win_wake();
}

static void run_routine(DWORD_PTR ctx)
{
	struct win_op *op = (struct win_op *)ctx;

	op->c.routine((DWORD)op->err, op->bytes, op->c.ov, 0);
}

static void free_op(struct win_op *op)
{
	free(op->xfer);
	free(op);
}

static void release_op(struct win_apc *apc)
{
	free_op((struct win_op *)((char *)apc - offsetof(struct win_op, apc)));
}

/*
 * Under the lock. With a routine, hEvent is the application's to use
 * (Winsock leaves it alone), so only the APC reports the completion; the
 * op lives on in the APC until it has run.
 */
static void complete(struct win_op *op)
{
	struct win_thread *t = op->c.thread;
	DWORD flags = op->xfer ? op->xfer->flags : 0;

	if (!op->c.routine) {
		store_result(op->c.ov, op->err, op->bytes, flags);
		if (op->c.ov->hEvent)
			win_event_set(op->c.ov->hEvent);
		win_wake();
		free_op(op);
		return;
	}
	store_result(op->c.ov, op->err, op->bytes, flags);
	op->apc.fn = run_routine;
	op->apc.ctx = (DWORD_PTR)op;
	op->apc.release = release_op;
	/* WSPIoctl's routine goes the WPUQueueApc way: the same queue. */
	win_apc_queue(t, &op->apc);
	win_thread_put(t);
	win_wake();
}

static void run(struct win_op *op)
{
	size_t result;
	int rc = win_sio_run(op->ws.fd, op->code, op->in, op->in_size, op->out, op->out_size,
			     &result);

	op->err = win_wsa_from_native(rc, op->out_size, result, &op->bytes);
}

/* Under the lock: unlinks *pp from the list whose tail pointer is *tail. */
static struct win_op *unlink_op(struct win_op **pp, struct win_op ***tail)
{
	struct win_op *op = *pp;

	*pp = op->next;
	if (!*pp)
		*tail = pp;
	return op;
}

/* Under the lock: the worker leaves epoll_wait to look at the queue. */
static void kick(void)
{
	uint64_t one = 1;

	if (kickfd >= 0 && write(kickfd, &one, sizeof(one)) < 0)
		return; /* the counter is full: a wake-up is pending anyway */
}

/* Under the lock: the worker runs the queued codes, one at a time. */
static void run_queue(void)
{
	struct win_op *op;

	while (!held && queue_head) {
		op = unlink_op(&queue_head, &queue_tail);
		running = op;
		win_unlock();
		run(op);
		win_lock();
		running = NULL;
		complete(op);
	}
}

/* Under the lock: epoll watches fd for what its queued transfers need. */
static void arm(int fd)
{
	struct epoll_event ev = { .events = 0, .data.u64 = (uint64_t)fd };
	struct win_op *op;

	for (op = xfer_head; op; op = op->next)
		if (op->xfer->ws.fd == fd)
			ev.events |= op->xfer->out ? EPOLLOUT : EPOLLIN;
	if (!ev.events)
		epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
	else if (epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev) && errno == ENOENT)
		epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

static void finish_xfer(struct win_op *op)
{
	op->err = op->xfer->err;
	op->bytes = op->xfer->bytes;
	complete(op);
}

/*
 * Under the lock: moves fd's transfers on, in order in each direction,
 * until one would block. A transfer that moved to another socket (AcceptEx
 * waiting for the first data) is armed there.
 */
static void progress(int fd)
{
	bool blocked[2] = { false, false };
	struct win_op **pp = &xfer_head, *op;
	struct win_xfer *x;

	while ((op = *pp)) {
		x = op->xfer;
		if (x->ws.fd != fd || blocked[x->out]) {
			pp = &op->next;
			continue;
		}
		if (x->attempt(x)) {
			finish_xfer(unlink_op(pp, &xfer_tail));
			continue;
		}
		pp = &op->next;
		if (x->ws.fd == fd)
			blocked[x->out] = true;
		else
			arm(x->ws.fd);
	}
	arm(fd);
}

static void drain_kick(void)
{
	uint64_t n;

	if (read(kickfd, &n, sizeof(n)) < 0)
		return; /* nothing to drain: another wake-up took it */
}

static void *worker(void *arg)
{
	struct epoll_event ev[16];
	int i, n;

	(void)arg;
	for (;;) {
		win_lock();
		run_queue();
		win_unlock();
		n = epoll_wait(epfd, ev, 16, -1);
		win_lock();
		for (i = 0; i < n; i++) {
			if (ev[i].data.u64 == KICK)
				drain_kick();
			else
				progress((int)ev[i].data.u64);
		}
		win_unlock();
	}
	return NULL;
}

/* Under the lock: the epoll set and its eventfd, once. */
static int open_poll(void)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = KICK };

	if (epfd >= 0)
		return 0;
	kickfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (kickfd >= 0 && epfd >= 0 && !epoll_ctl(epfd, EPOLL_CTL_ADD, kickfd, &ev))
		return 0;
	if (kickfd >= 0)
		close(kickfd);
	if (epfd >= 0)
		close(epfd);
	kickfd = epfd = -1;
	return -1;
}

/* Under the lock. Signals stay with the application's threads. */
static int start_worker(void)
{
	int err;

	if (worker_up)
		return 0;
	if (open_poll())
		return -1;
	err = win_start_daemon(worker);
	worker_up = !err;
	return err;
}

static void mark_pending(LPWSAOVERLAPPED ov)
{
	ov->InternalHigh = 0;
	ov->OffsetHigh = 0;
	__atomic_store_n(&ov->Internal, (ULONG_PTR)STATUS_PENDING, __ATOMIC_RELEASE);
}

void win_completion_drop(struct win_completion *c)
{
	if (!c->thread)
		return;
	win_lock();
	win_thread_put(c->thread);
	win_unlock();
}

int win_op_submit(const struct win_sock *ws, DWORD code, const void *in, DWORD in_size,
		  void *out, DWORD out_size, struct win_completion *c)
{
	struct win_op *op = calloc(1, sizeof(*op));

	if (!op) {
		win_completion_drop(c);
		return WSAENOBUFS;
	}
	*op = (struct win_op){ .ws = *ws, .code = code, .in = in, .in_size = in_size,
			       .out = out, .out_size = out_size, .c = *c };
	mark_pending(c->ov);
	win_lock();
	if (start_worker()) {
		win_unlock();
		win_completion_drop(c);
		free(op);
		return WSAENOBUFS;
	}
	/* Like the I/O manager, start an event-completed operation unsignaled. */
	if (!c->routine && c->ov->hEvent)
		win_event_reset(c->ov->hEvent);
	*queue_tail = op;
	queue_tail = &op->next;
	kick();
	win_unlock();
	return WSA_IO_PENDING;
}

/* Under the lock: completes the list's operations on ws as aborted. */
static void abort_list(struct win_op **pp, struct win_op ***tail, const struct win_sock *ws)
{
	struct win_op *op;

	while ((op = *pp)) {
		if (!same_socket(op->xfer ? &op->xfer->ws : &op->ws, ws)) {
			pp = &op->next;
			continue;
		}
		op = unlink_op(pp, tail);
		op->err = WSA_OPERATION_ABORTED;
		op->bytes = 0;
		if (op->xfer)
			op->xfer->flags = 0;
		complete(op);
	}
}

int win_completion_init(struct win_completion *c, LPWSAOVERLAPPED ov,
			LPWSAOVERLAPPED_COMPLETION_ROUTINE routine)
{
	*c = (struct win_completion){ .ov = ov, .routine = routine };
	if (!routine)
		return 0;
	c->thread = win_thread_self();
	if (!c->thread)
		return WSAENOBUFS;
	win_lock();
	win_thread_get(c->thread);
	win_unlock();
	return 0;
}

bool win_xfer_queued(const struct win_sock *ws, bool out)
{
	struct win_op *op;

	for (op = xfer_head; op; op = op->next)
		if (same_socket(&op->xfer->ws, ws) && op->xfer->out == out)
			return true;
	return false;
}

/* Under the lock: x first, unless others wait before it. */
static bool try_now(struct win_xfer *x)
{
	return !win_xfer_queued(&x->ws, x->out) && x->attempt(x);
}

/* A failure known at once is reported by the call alone, as on Windows. */
static int xfer_start(struct win_op *op, DWORD *bytes, DWORD *flags)
{
	struct win_xfer *x = op->xfer;
	int err = start_worker() ? WSAENOBUFS : 0;

	if (!err && try_now(x)) {
		err = x->err;
		if (!err) {
			*bytes = x->bytes;
			*flags = x->flags;
			finish_xfer(op);
			return 0;
		}
	}
	if (err) {
		if (op->c.thread)
			win_thread_put(op->c.thread);
		free_op(op);
		return err;
	}
	if (!op->c.routine && op->c.ov->hEvent)
		win_event_reset(op->c.ov->hEvent);
	*xfer_tail = op;
	xfer_tail = &op->next;
	arm(x->ws.fd);
	return WSA_IO_PENDING;
}

int win_xfer_submit(struct win_xfer *x, struct win_completion *c, DWORD *bytes, DWORD *flags)
{
	struct win_op *op = calloc(1, sizeof(*op));
	int err;

	if (!op) {
		free(x);
		win_completion_drop(c);
		return WSAENOBUFS;
	}
	*op = (struct win_op){ .ws = x->ws, .c = *c, .xfer = x };
	mark_pending(c->ov);
	win_lock();
	err = xfer_start(op, bytes, flags);
	win_unlock();
	return err;
}

int win_complete_now(struct win_completion *c, int err, DWORD bytes)
{
	struct win_op *op = calloc(1, sizeof(*op));

	if (!op) {
		win_completion_drop(c);
		return WSAENOBUFS;
	}
	*op = (struct win_op){ .c = *c, .err = err, .bytes = bytes };
	mark_pending(c->ov);
	win_lock();
	complete(op);
	win_unlock();
	return 0;
}

/* Transfers run under the lock: none can be half done here. */
void win_ops_abort(const struct win_sock *ws)
{
	win_lock();
	abort_list(&queue_head, &queue_tail, ws);
	abort_list(&xfer_head, &xfer_tail, ws);
	if (epfd >= 0)
		arm(ws->fd);
	while (running && same_socket(&running->ws, ws))
		win_wait(NULL);
	win_unlock();
}

void lwfp_win_worker_hold(bool hold)
{
	win_lock();
	held = hold;
	kick();
	win_wake();
	win_unlock();
}

/* ---- results ------------------------------------------------------------- */

static BOOL fail(int err)
{
	win_set_error(err);
	return FALSE;
}

/*
 * Waits for completion itself rather than on hEvent, so fWait also works
 * for an operation completed by routine, where hEvent is not an event.
 */
LWFP_API BOOL WSAGetOverlappedResult(SOCKET s, LPWSAOVERLAPPED lpOverlapped, LPDWORD lpcbTransfer,
				     BOOL fWait, LPDWORD lpdwFlags)
{
	/* The socket may be closed already: an aborted operation still reports. */
	if (s == INVALID_SOCKET)
		return fail(WSAENOTSOCK);
	if (!lpOverlapped || !lpcbTransfer || !lpdwFlags)
		return fail(WSAEFAULT);
	if (is_pending(lpOverlapped)) {
		if (!fWait)
			return fail(WSA_IO_INCOMPLETE);
		win_lock();
		while (is_pending(lpOverlapped))
			win_wait(NULL);
		win_unlock();
	}
	*lpcbTransfer = (DWORD)lpOverlapped->InternalHigh;
	*lpdwFlags = lpOverlapped->OffsetHigh;
	if (lpOverlapped->Offset)
		return fail((int)lpOverlapped->Offset);
	return TRUE;
}

LWFP_API int WPUCompleteOverlappedRequest(SOCKET s, LPWSAOVERLAPPED lpOverlapped, DWORD dwError,
					  DWORD cbTransferred, LPINT lpErrno)
{
	(void)s;
	if (!lpErrno)
		return SOCKET_ERROR;
	if (!lpOverlapped) {
		*lpErrno = WSAEFAULT;
		return SOCKET_ERROR;
	}
	win_lock();
	win_overlapped_done(lpOverlapped, (int)dwError, cbTransferred);
	win_unlock();
	return 0;
}
