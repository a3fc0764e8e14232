// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Threads as kernel32 makes them: CreateThread, ExitThread,
 * GetExitCodeThread, and the HANDLE calls that accept a thread as well as a
 * WSAEVENT (WaitForSingleObject, CloseHandle).
 *
 * The pthread is detached: a thread handle is waited for and closed, never
 * joined. The handle lives until both the thread has ended and CloseHandle
 * was called, so an exit code outlives its thread as on Windows. The
 * thread's APC queue (apc.c) is released by its pthread key destructor,
 * after the routine returned or ExitThread; WaitForSingleObject returns
 * once the routine has ended, and an APC queued in between is released
 * without running, as Windows discards it.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "lwfp_win_internal.h"

#include "../visibility.h"

#define THREAD_MAGIC 0x4c575448 /* "LWTH" */

struct win_thread_handle {
	uint32_t magic; /* first, as in an event: tells the two apart */
	unsigned int refs; /* the handle and the running thread; under the lock */
	bool done;
	bool started;
	DWORD exit_code;
	DWORD tid;
	LPTHREAD_START_ROUTINE fn;
	LPVOID arg;
};

static __thread struct win_thread_handle *current;

/* Under the lock. */
static struct win_thread_handle *thread_of(HANDLE h)
{
	struct win_thread_handle *t = h;

	if (!h || h == INVALID_HANDLE_VALUE)
		return NULL;
	return t->magic == THREAD_MAGIC ? t : NULL;
}

/* Under the lock. */
static void handle_put(struct win_thread_handle *t)
{
	if (--t->refs)
		return;
	t->magic = 0;
	free(t);
}

static void thread_end(DWORD code)
{
	struct win_thread_handle *t = current;

	current = NULL;
	win_lock();
	t->exit_code = code;
	t->done = true;
	win_wake();
	handle_put(t);
	win_unlock();
}

static void *thread_main(void *arg)
{
	struct win_thread_handle *t = arg;

	current = t;
	win_lock();
	t->tid = (DWORD)gettid();
	t->started = true;
	win_wake();
	win_unlock();
	thread_end(t->fn(t->arg));
	return NULL;
}

static HANDLE fail_handle(DWORD err)
{
	win_set_error((int)err);
	return NULL;
}

static int start(struct win_thread_handle *t, SIZE_T stack)
{
	pthread_attr_t attr;
	pthread_t pt;
	int err;

	if (pthread_attr_init(&attr))
		return ERROR_NOT_ENOUGH_MEMORY;
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	err = stack ? pthread_attr_setstacksize(&attr, stack < (SIZE_T)PTHREAD_STACK_MIN ? (SIZE_T)PTHREAD_STACK_MIN
										  : stack)
		    : 0;
	if (!err)
		err = pthread_create(&pt, &attr, thread_main, t);
	pthread_attr_destroy(&attr);
	if (err == EINVAL)
		return ERROR_INVALID_PARAMETER;
	return err ? ERROR_NOT_ENOUGH_MEMORY : 0;
}

LWFP_API HANDLE CreateThread(LPSECURITY_ATTRIBUTES lpThreadAttributes, SIZE_T dwStackSize,
			     LPTHREAD_START_ROUTINE lpStartAddress, LPVOID lpParameter,
			     DWORD dwCreationFlags, LPDWORD lpThreadId)
{
	struct win_thread_handle *t;
	int err;

	(void)lpThreadAttributes;
	if (!lpStartAddress || dwCreationFlags)
		return fail_handle(ERROR_INVALID_PARAMETER);
	t = calloc(1, sizeof(*t));
	if (!t)
		return fail_handle(ERROR_NOT_ENOUGH_MEMORY);
	*t = (struct win_thread_handle){ .magic = THREAD_MAGIC, .refs = 2, .fn = lpStartAddress,
					 .arg = lpParameter };
	err = start(t, dwStackSize);
	if (err) {
		free(t);
		return fail_handle((DWORD)err);
	}
	/* The id is the new thread's own (GetCurrentThreadId in it agrees). */
	win_lock();
	while (!t->started)
		win_wait(NULL);
	if (lpThreadId)
		*lpThreadId = t->tid;
	win_unlock();
	return t;
}

LWFP_API void ExitThread(DWORD dwExitCode)
{
	if (current)
		thread_end(dwExitCode);
	pthread_exit(NULL);
}

LWFP_API BOOL GetExitCodeThread(HANDLE hThread, LPDWORD lpExitCode)
{
	struct win_thread_handle *t;
	DWORD code = 0;

	win_lock();
	t = thread_of(hThread);
	if (t)
		code = t->done ? t->exit_code : STILL_ACTIVE;
	win_unlock();
	if (!t) {
		win_set_error(ERROR_INVALID_HANDLE);
		return FALSE;
	}
	if (!lpExitCode) {
		win_set_error(ERROR_NOACCESS);
		return FALSE;
	}
	*lpExitCode = code;
	return TRUE;
}

/*
 * Under the lock: waits for t's end, or with self for an APC queued to it;
 * WAIT_OBJECT_0, WAIT_IO_COMPLETION (the APCs still to run) or WAIT_TIMEOUT.
 */
static DWORD wait_thread(struct win_thread_handle *t, DWORD ms, struct win_thread *self)
{
	struct timespec ts;
	bool timed = win_deadline(ms, &ts);

	while (!t->done && !(self && win_apc_pending(self)) && ms != 0 &&
	       win_wait(timed ? &ts : NULL))
		;
	if (t->done)
		return WAIT_OBJECT_0;
	return self && win_apc_pending(self) ? WAIT_IO_COMPLETION : WAIT_TIMEOUT;
}

LWFP_API DWORD WaitForSingleObjectEx(HANDLE hHandle, DWORD dwMilliseconds, BOOL bAlertable)
{
	struct win_thread *self = bAlertable ? win_thread_self() : NULL;
	struct win_thread_handle *t;
	DWORD r = WAIT_FAILED;

	win_lock();
	t = thread_of(hHandle);
	if (t) {
		t->refs++; /* a CloseHandle from another thread must not free it */
		r = wait_thread(t, dwMilliseconds, self);
		handle_put(t);
	}
	win_unlock();
	if (r == WAIT_IO_COMPLETION)
		win_apc_run(self);
	if (t)
		return r;
	if (!hHandle || hHandle == INVALID_HANDLE_VALUE) {
		win_set_error(ERROR_INVALID_HANDLE);
		return WAIT_FAILED;
	}
	/* WSA_INVALID_HANDLE is ERROR_INVALID_HANDLE: the error carries over. */
	return WSAWaitForMultipleEvents(1, &hHandle, FALSE, dwMilliseconds, bAlertable);
}

LWFP_API DWORD WaitForSingleObject(HANDLE hHandle, DWORD dwMilliseconds)
{
	return WaitForSingleObjectEx(hHandle, dwMilliseconds, FALSE);
}

LWFP_API BOOL CloseHandle(HANDLE hObject)
{
	struct win_thread_handle *t;

	win_lock();
	t = thread_of(hObject);
	if (t)
		handle_put(t);
	win_unlock();
	if (t)
		return TRUE;
	if (!hObject || hObject == INVALID_HANDLE_VALUE) {
		win_set_error(ERROR_INVALID_HANDLE);
		return FALSE;
	}
	return WSACloseEvent(hObject);
}
