// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * WSAEVENTs: manual-reset events, as WSACreateEvent makes them, and
 * WSAWaitForMultipleEvents, whose alertable form also ends when an APC is
 * queued to the waiting thread, after running it.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "lwfp_win_internal.h"

#include "../visibility.h"

#define EVENT_MAGIC 0x4c574645 /* "LWFE" */

struct win_event {
	uint32_t magic; /* catches a handle that is not (or no longer) an event */
	bool signaled;
};

/* Under the lock. */
static struct win_event *event_of(WSAEVENT h)
{
	struct win_event *e = h;

	return e && e->magic == EVENT_MAGIC ? e : NULL;
}

bool win_event_set(WSAEVENT ev)
{
	struct win_event *e = event_of(ev);

	if (!e)
		return false;
	e->signaled = true;
	win_wake();
	return true;
}

bool win_event_valid(WSAEVENT ev)
{
	return event_of(ev) != NULL;
}

void win_event_reset(WSAEVENT ev)
{
	struct win_event *e = event_of(ev);

	if (e)
		e->signaled = false;
}

LWFP_API WSAEVENT WSACreateEvent(void)
{
	struct win_event *e = calloc(1, sizeof(*e));

	if (!e) {
		win_set_error(WSA_NOT_ENOUGH_MEMORY);
		return WSA_INVALID_EVENT;
	}
	e->magic = EVENT_MAGIC;
	return e;
}

/* Sets (1), resets (0) or closes (-1) an event. */
static BOOL event_op(WSAEVENT h, int op)
{
	struct win_event *e;

	win_lock();
	e = event_of(h);
	if (e && op >= 0) {
		e->signaled = op;
		win_wake();
	} else if (e) {
		e->magic = 0;
	}
	win_unlock();
	if (!e) {
		win_set_error(WSA_INVALID_HANDLE);
		return FALSE;
	}
	if (op < 0)
		free(e);
	return TRUE;
}

LWFP_API BOOL WSASetEvent(WSAEVENT hEvent)
{
	return event_op(hEvent, 1);
}

LWFP_API BOOL WSAResetEvent(WSAEVENT hEvent)
{
	return event_op(hEvent, 0);
}

LWFP_API BOOL WSACloseEvent(WSAEVENT hEvent)
{
	return event_op(hEvent, -1);
}

/*
 * Under the lock: the index of the first signaled event (0 when all are
 * signaled and all must be), -1 if the wait goes on, -2 for a bad handle.
 */
static int check_events(DWORD n, const WSAEVENT *hs, BOOL all)
{
	DWORD i, set = 0;
	int first = -1;

	for (i = 0; i < n; i++) {
		struct win_event *e = event_of(hs[i]);

		if (!e)
			return -2;
		if (!e->signaled)
			continue;
		set++;
		if (first < 0)
			first = (int)i;
	}
	if (all)
		return set == n ? 0 : -1;
	return first;
}

/* The routines run inside this blocking call (winio: WSAEINPROGRESS). */
static unsigned int run_apcs(struct win_thread *t)
{
	unsigned int n;

	win_blocking_mark(true);
	n = win_apc_run(t);
	win_blocking_mark(false);
	return n;
}

static DWORD wait_failed(int err)
{
	win_set_error(err);
	return WSA_WAIT_FAILED;
}

LWFP_API DWORD WSAWaitForMultipleEvents(DWORD cEvents, const WSAEVENT *lphEvents, BOOL fWaitAll,
					DWORD dwTimeout, BOOL fAlertable)
{
	struct win_thread *t = fAlertable ? win_thread_self() : NULL;
	struct timespec ts;
	bool timed, expired = false;
	int r;

	if (!cEvents || cEvents > WSA_MAXIMUM_WAIT_EVENTS)
		return wait_failed(WSA_INVALID_PARAMETER);
	if (!lphEvents)
		return wait_failed(WSAEFAULT);
	timed = win_deadline(dwTimeout, &ts);
	win_lock();
	for (;;) {
		/* Signaled events win over queued APCs, as in the NT wait. */
		r = check_events(cEvents, lphEvents, fWaitAll);
		if (r != -1 || (t && win_apc_pending(t)) || expired || dwTimeout == 0)
			break;
		expired = !win_wait(timed ? &ts : NULL);
	}
	win_unlock();
	if (r == -2)
		return wait_failed(WSA_INVALID_HANDLE);
	if (r >= 0)
		return WSA_WAIT_EVENT_0 + (DWORD)r;
	if (t && run_apcs(t))
		return WSA_WAIT_IO_COMPLETION;
	return WSA_WAIT_TIMEOUT;
}
