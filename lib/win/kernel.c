// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The kernel-mode support of wdm.h that a WSK client calls around its
 * requests: KEVENT, the pool and DbgPrint.
 *
 * A KEVENT waits on the layer's one lock and condition (sync.c), like
 * every other wait here: KeSetEvent must be callable from a completion
 * routine on any thread, and one shared condition needs no per-event
 * initialisation that a driver would never release.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "lwfp_win_internal.h"

#include "../visibility.h"

#define HNS_PER_SEC 10000000LL
/* Seconds from 1601-01-01, where NT time starts, to 1970-01-01. */
#define NT_EPOCH_DELTA 11644473600LL

LWFP_API VOID KeInitializeEvent(PRKEVENT Event, EVENT_TYPE Type, BOOLEAN State)
{
	Event->Header.Type = (UCHAR)Type;
	Event->Header.SignalState = State ? 1 : 0;
}

LWFP_API LONG KeSetEvent(PRKEVENT Event, KPRIORITY Increment, BOOLEAN Wait)
{
	LONG prev;

	(void)Increment;
	(void)Wait;
	win_lock();
	prev = Event->Header.SignalState;
	Event->Header.SignalState = 1;
	win_wake();
	win_unlock();
	return prev;
}

LWFP_API LONG KeResetEvent(PRKEVENT Event)
{
	LONG prev;

	win_lock();
	prev = Event->Header.SignalState;
	Event->Header.SignalState = 0;
	win_unlock();
	return prev;
}

LWFP_API VOID KeClearEvent(PRKEVENT Event)
{
	KeResetEvent(Event);
}

LWFP_API LONG KeReadStateEvent(PRKEVENT Event)
{
	LONG state;

	win_lock();
	state = Event->Header.SignalState;
	win_unlock();
	return state;
}

/* An NT timeout as a CLOCK_MONOTONIC deadline: relative, or absolute. */
static void nt_deadline(LONGLONG t, struct timespec *ts)
{
	struct timespec now;
	LONGLONG rel = -t;

	if (t > 0) {
		clock_gettime(CLOCK_REALTIME, &now);
		rel = t - ((now.tv_sec + NT_EPOCH_DELTA) * HNS_PER_SEC + now.tv_nsec / 100);
		if (rel < 0)
			rel = 0;
	}
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += rel / HNS_PER_SEC;
	ts->tv_nsec += (long)(rel % HNS_PER_SEC) * 100;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static bool is_event(const KEVENT *ev)
{
	return win_probe_read(ev, sizeof(*ev)) &&
	       (ev->Header.Type == NotificationEvent || ev->Header.Type == SynchronizationEvent);
}

LWFP_API NTSTATUS KeWaitForSingleObject(PVOID Object, KWAIT_REASON WaitReason,
					KPROCESSOR_MODE WaitMode, BOOLEAN Alertable,
					PLARGE_INTEGER Timeout)
{
	PRKEVENT ev = Object;
	struct timespec deadline;
	bool timed_out = false;

	(void)WaitReason;
	(void)WaitMode;
	(void)Alertable;
	if (!is_event(ev) || (Timeout && !win_probe_read(Timeout, sizeof(*Timeout))))
		return STATUS_INVALID_PARAMETER;
	if (Timeout)
		nt_deadline(Timeout->QuadPart, &deadline);
	win_lock();
	while (!ev->Header.SignalState && !timed_out)
		timed_out = !win_wait(Timeout ? &deadline : NULL);
	/* A wait can time out just as the event is set: the event wins. */
	timed_out = !ev->Header.SignalState;
	if (!timed_out && ev->Header.Type == SynchronizationEvent)
		ev->Header.SignalState = 0;
	win_unlock();
	return timed_out ? STATUS_TIMEOUT : STATUS_SUCCESS;
}

/* ---- pool ---------------------------------------------------------------- */

LWFP_API PVOID ExAllocatePoolWithTag(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag)
{
	(void)PoolType;
	(void)Tag;
	return NumberOfBytes ? malloc(NumberOfBytes) : NULL;
}

#define POOL_KINDS (POOL_FLAG_NON_PAGED | POOL_FLAG_NON_PAGED_EXECUTE | POOL_FLAG_PAGED)

LWFP_API PVOID ExAllocatePool2(POOL_FLAGS Flags, SIZE_T NumberOfBytes, ULONG Tag)
{
	POOL_FLAGS kind = Flags & POOL_KINDS;
	PVOID p;

	(void)Tag;
	/* Exactly one pool: a power of two among the kind bits. */
	if (!kind || (kind & (kind - 1)) || !NumberOfBytes)
		return NULL;
	if (Flags & POOL_FLAG_UNINITIALIZED)
		p = malloc(NumberOfBytes);
	else
		p = calloc(1, NumberOfBytes);
	if (!p && (Flags & POOL_FLAG_RAISE_ON_FAILURE))
		abort();
	return p;
}

LWFP_API VOID ExFreePoolWithTag(PVOID P, ULONG Tag)
{
	(void)Tag;
	free(P);
}

LWFP_API VOID ExFreePool(PVOID P)
{
	free(P);
}

/* ---- DbgPrint ------------------------------------------------------------ */

static ULONG vdbg(PCSTR format, va_list ap)
{
	vfprintf(stderr, format, ap);
	return STATUS_SUCCESS;
}

LWFP_API ULONG DbgPrint(PCSTR Format, ...)
{
	va_list ap;
	ULONG rc;

	va_start(ap, Format);
	rc = vdbg(Format, ap);
	va_end(ap);
	return rc;
}

LWFP_API ULONG DbgPrintEx(ULONG ComponentId, ULONG Level, PCSTR Format, ...)
{
	va_list ap;
	ULONG rc;

	(void)ComponentId;
	(void)Level;
	va_start(ap, Format);
	rc = vdbg(Format, ap);
	va_end(ap);
	return rc;
}
