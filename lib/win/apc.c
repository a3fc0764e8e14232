// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Asynchronous procedure calls: one queue per thread, drained only by that
 * thread in an alertable wait (SleepEx here, WSAWaitForMultipleEvents in
 * event.c). This is what makes a completion routine run "on the issuing
 * thread, at its next alertable wait, never inside WSAIoctl".
 *
 * A queue outlives its thread while someone still holds a reference (a
 * pending operation, a WSATHREADID); APCs that arrive after the thread has
 * exited are released without running, as Windows discards them.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "lwfp_win_internal.h"

#include "../visibility.h"

#define THREADID_MAGIC 0x4c574654 /* "LWFT" in WSATHREADID.Reserved */

struct win_thread {
	unsigned int refs; /* under the lock */
	bool alive;
	struct win_apc *head;
	struct win_apc **tail;
};

static pthread_key_t exit_key;
static pthread_once_t exit_once = PTHREAD_ONCE_INIT;
static __thread struct win_thread *self;

static void release_all(struct win_apc *apc)
{
	struct win_apc *next;

	for (; apc; apc = next) {
		next = apc->next;
		apc->release(apc);
	}
}

/* Under the lock: the queued APCs, leaving the queue empty. */
static struct win_apc *take_all(struct win_thread *t)
{
	struct win_apc *list = t->head;

	t->head = NULL;
	t->tail = &t->head;
	return list;
}

static void thread_exit(void *arg)
{
	struct win_thread *t = arg;
	struct win_apc *list;

	self = NULL;
	win_lock();
	t->alive = false;
	list = take_all(t);
	win_thread_put(t);
	win_unlock();
	release_all(list);
}

static void make_exit_key(void)
{
	/* Without the key, queues of exited threads stay allocated: harmless. */
	if (pthread_key_create(&exit_key, thread_exit))
		exit_key = (pthread_key_t)-1;
}

struct win_thread *win_thread_self(void)
{
	struct win_thread *t = self;

	if (t)
		return t;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->refs = 1; /* the thread's own, dropped at its exit */
	t->alive = true;
	t->tail = &t->head;
	pthread_once(&exit_once, make_exit_key);
	if (exit_key != (pthread_key_t)-1)
		pthread_setspecific(exit_key, t);
	self = t;
	return t;
}

void win_thread_get(struct win_thread *t)
{
	t->refs++;
}

void win_thread_put(struct win_thread *t)
{
	if (--t->refs)
		return;
	/* The last reference goes after the thread: nothing can be queued. */
	free(t);
}

void win_apc_queue(struct win_thread *t, struct win_apc *apc)
{
	if (!t->alive) {
		apc->release(apc);
		return;
	}
	apc->next = NULL;
	*t->tail = apc;
	t->tail = &apc->next;
	win_wake();
}

bool win_apc_pending(struct win_thread *t)
{
	return t->head != NULL;
}

unsigned int win_apc_run(struct win_thread *t)
{
	struct win_apc *list, *next;
	unsigned int n = 0;

	/* An APC may queue another: that one runs in this same wait. */
	for (;;) {
		win_lock();
		list = take_all(t);
		win_unlock();
		if (!list)
			return n;
		for (; list; list = next) {
			next = list->next;
			list->fn(list->ctx);
			list->release(list);
			n++;
		}
	}
}

struct win_thread *win_thread_from_id(const WSATHREADID *id)
{
	if (!id || id->Reserved != THREADID_MAGIC || !id->ThreadHandle)
		return NULL;
	return id->ThreadHandle;
}

/* ---- SleepEx ------------------------------------------------------------- */

static void sleep_ms(DWORD ms)
{
	struct timespec ts;

	if (ms == INFINITE) {
		for (;;)
			pause();
	}
	win_deadline(ms, &ts);
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/* Whether an APC is queued to t by the deadline ms from now. */
static bool wait_for_apc(struct win_thread *t, DWORD ms)
{
	struct timespec ts;
	bool timed = win_deadline(ms, &ts);
	bool queued;

	win_lock();
	while (!win_apc_pending(t) && ms != 0 && win_wait(timed ? &ts : NULL))
		;
	queued = win_apc_pending(t);
	win_unlock();
	return queued;
}

LWFP_API DWORD SleepEx(DWORD dwMilliseconds, BOOL bAlertable)
{
	struct win_thread *t = bAlertable ? win_thread_self() : NULL;
	int saved = errno;

	if (!t) {
		sleep_ms(dwMilliseconds);
		return 0;
	}
	if (!wait_for_apc(t, dwMilliseconds))
		return 0;
	win_apc_run(t);
	errno = saved; /* a routine's own calls are not SleepEx's error */
	return WAIT_IO_COMPLETION;
}

/* ---- the WPU thread upcalls ---------------------------------------------- */

LWFP_API int WPUOpenCurrentThread(LPWSATHREADID lpThreadId, LPINT lpErrno)
{
	struct win_thread *t;

	if (!lpErrno)
		return SOCKET_ERROR;
	if (!lpThreadId) {
		*lpErrno = WSAEFAULT;
		return SOCKET_ERROR;
	}
	t = win_thread_self();
	if (!t) {
		*lpErrno = WSAENOBUFS;
		return SOCKET_ERROR;
	}
	win_lock();
	win_thread_get(t);
	win_unlock();
	lpThreadId->ThreadHandle = t;
	lpThreadId->Reserved = THREADID_MAGIC;
	return 0;
}

LWFP_API int WPUCloseThread(LPWSATHREADID lpThreadId, LPINT lpErrno)
{
	struct win_thread *t;

	if (!lpErrno)
		return SOCKET_ERROR;
	t = win_thread_from_id(lpThreadId);
	if (!t) {
		*lpErrno = lpThreadId ? WSAEINVAL : WSAEFAULT;
		return SOCKET_ERROR;
	}
	win_lock();
	win_thread_put(t);
	win_unlock();
	lpThreadId->ThreadHandle = NULL;
	lpThreadId->Reserved = 0;
	return 0;
}

static void free_apc(struct win_apc *apc)
{
	free(apc);
}

LWFP_API int WPUQueueApc(LPWSATHREADID lpThreadId, LPWSAUSERAPC lpfnUserApc, DWORD_PTR dwContext,
			 LPINT lpErrno)
{
	struct win_thread *t;
	struct win_apc *apc;

	if (!lpErrno)
		return SOCKET_ERROR;
	if (!lpThreadId || !lpfnUserApc) {
		*lpErrno = WSAEFAULT;
		return SOCKET_ERROR;
	}
	t = win_thread_from_id(lpThreadId);
	if (!t) {
		*lpErrno = WSAEINVAL;
		return SOCKET_ERROR;
	}
	apc = calloc(1, sizeof(*apc));
	if (!apc) {
		*lpErrno = WSAENOBUFS;
		return SOCKET_ERROR;
	}
	apc->fn = lpfnUserApc;
	apc->ctx = dwContext;
	apc->release = free_apc;
	win_lock();
	win_apc_queue(t, apc);
	win_unlock();
	return 0;
}
