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
 * While an operation is pending, Internal is STATUS_PENDING; at completion
 * InternalHigh gets the byte count, Offset (reserved to the provider in a
 * WSAOVERLAPPED) the exact Winsock error for WSAGetOverlappedResult, and
 * Internal, stored last, an NTSTATUS for HasOverlappedIoCompleted.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>

#include <lwfp/win/lwfp_win_internal.h>

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

static bool same_socket(const struct win_sock *a, const struct win_sock *b)
{
	return a->fd == b->fd && a->ino == b->ino;
}

static void store_result(LPWSAOVERLAPPED ov, int err, DWORD bytes)
{
	ov->Offset = (DWORD)err;
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
	store_result(ov, err, bytes);
	if (ov->hEvent)
		win_event_set(ov->hEvent);
	win_wake();
}

static void run_routine(DWORD_PTR ctx)
{
	struct win_op *op = (struct win_op *)ctx;

	op->c.routine((DWORD)op->err, op->bytes, op->c.ov, 0);
}

static void release_op(struct win_apc *apc)
{
	free((char *)apc - offsetof(struct win_op, apc));
}

/*
 * Under the lock. With a routine, hEvent is the application's to use
 * (Winsock leaves it alone), so only the APC reports the completion; the
 * op lives on in the APC until it has run.
 */
static void complete(struct win_op *op)
{
	struct win_thread *t = op->c.thread;

	if (!op->c.routine) {
		win_overlapped_done(op->c.ov, op->err, op->bytes);
		free(op);
		return;
	}
	store_result(op->c.ov, op->err, op->bytes);
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

static void *worker(void *arg)
{
	struct win_op *op;

	(void)arg;
	win_lock();
	for (;;) {
		while (held || !queue_head)
			win_wait(NULL);
		op = queue_head;
		queue_head = op->next;
		if (!queue_head)
			queue_tail = &queue_head;
		running = op;
		win_unlock();
		run(op);
		win_lock();
		running = NULL;
		complete(op);
	}
	return NULL;
}

/* Under the lock. Signals stay with the application's threads. */
static int start_worker(void)
{
	sigset_t all, old;
	pthread_attr_t attr;
	pthread_t tid;
	int err;

	if (worker_up)
		return 0;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	err = pthread_create(&tid, &attr, worker, NULL);
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	worker_up = !err;
	return err;
}

static void drop_completion(struct win_completion *c)
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
		drop_completion(c);
		return WSAENOBUFS;
	}
	*op = (struct win_op){ .ws = *ws, .code = code, .in = in, .in_size = in_size,
			       .out = out, .out_size = out_size, .c = *c };
	c->ov->InternalHigh = 0;
	__atomic_store_n(&c->ov->Internal, (ULONG_PTR)STATUS_PENDING, __ATOMIC_RELEASE);
	win_lock();
	if (start_worker()) {
		win_unlock();
		drop_completion(c);
		free(op);
		return WSAENOBUFS;
	}
	/* Like the I/O manager, start an event-completed operation unsignaled. */
	if (!c->routine && c->ov->hEvent)
		win_event_reset(c->ov->hEvent);
	*queue_tail = op;
	queue_tail = &op->next;
	win_wake();
	win_unlock();
	return WSA_IO_PENDING;
}

void win_ops_abort(const struct win_sock *ws)
{
	struct win_op **pp, *op;

	win_lock();
	for (pp = &queue_head; (op = *pp);) {
		if (!same_socket(&op->ws, ws)) {
			pp = &op->next;
			continue;
		}
		*pp = op->next;
		op->err = WSA_OPERATION_ABORTED;
		op->bytes = 0;
		complete(op);
	}
	queue_tail = pp;
	while (running && same_socket(&running->ws, ws))
		win_wait(NULL);
	win_unlock();
}

void lwfp_win_worker_hold(bool hold)
{
	win_lock();
	held = hold;
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
	*lpdwFlags = 0;
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
