// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The small kernel32 calls of windows.h: the last-error slot, which is
 * WSAGetLastError's (errors.c), Sleep, the tick counts and the thread id.
 */
#include <errno.h>
#include <time.h>
#include <unistd.h>

#include "lwfp_win_internal.h"

#include "../visibility.h"

/*
 * One slot: a Winsock call's error is GetLastError's too, as on Windows,
 * and a failing BSD call's errno reads as its WSAE* code through either.
 */
LWFP_API DWORD GetLastError(void)
{
	return (DWORD)WSAGetLastError();
}

LWFP_API void SetLastError(DWORD dwErrCode)
{
	win_set_error((int)dwErrCode);
}

LWFP_API void Sleep(DWORD dwMilliseconds)
{
	SleepEx(dwMilliseconds, FALSE);
}

LWFP_API ULONGLONG GetTickCount64(void)
{
	struct timespec ts;

	/* Windows counts from boot; CLOCK_BOOTTIME keeps counting in suspend. */
	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (ULONGLONG)ts.tv_sec * 1000u + (ULONGLONG)ts.tv_nsec / 1000000u;
}

LWFP_API DWORD GetTickCount(void)
{
	return (DWORD)GetTickCount64(); /* wraps after 49.7 days, as on Windows */
}

LWFP_API DWORD GetCurrentThreadId(void)
{
	return (DWORD)gettid();
}
