/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The Winsock service provider interface, as far as a WFP redirect proxy
 * written as a layered provider needs it: WSPIoctl for the three redirect
 * codes, and the upcalls it completes with (WPUQueueApc and
 * WPUCompleteOverlappedRequest).
 *
 * A WSATHREADID names a thread's APC queue. WPUOpenCurrentThread fills one
 * for the calling thread and holds a reference until WPUCloseThread; an APC
 * queued to a thread that has exited is discarded, as on Windows.
 */
#ifndef LWFP_WIN_WS2SPI_H
#define LWFP_WIN_WS2SPI_H

#include "winsock2.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct _WSATHREADID {
	HANDLE ThreadHandle;
	DWORD_PTR Reserved;
} WSATHREADID, *LPWSATHREADID;

typedef void(CALLBACK *LPWSAUSERAPC)(DWORD_PTR dwContext);

/*
 * Errors go to *lpErrno, never to WSAGetLastError(). With an overlapped
 * socket, lpOverlapped and lpCompletionRoutine, the routine runs as an APC
 * on lpThreadId's thread at its next alertable wait.
 */
int WSPAPI WSPIoctl(SOCKET s, DWORD dwIoControlCode, LPVOID lpvInBuffer, DWORD cbInBuffer,
		    LPVOID lpvOutBuffer, DWORD cbOutBuffer, LPDWORD lpcbBytesReturned,
		    LPWSAOVERLAPPED lpOverlapped,
		    LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine,
		    LPWSATHREADID lpThreadId, LPINT lpErrno);

int WSPAPI WPUOpenCurrentThread(LPWSATHREADID lpThreadId, LPINT lpErrno);
int WSPAPI WPUCloseThread(LPWSATHREADID lpThreadId, LPINT lpErrno);
int WSPAPI WPUQueueApc(LPWSATHREADID lpThreadId, LPWSAUSERAPC lpfnUserApc, DWORD_PTR dwContext,
		       LPINT lpErrno);
int WSPAPI WPUCompleteOverlappedRequest(SOCKET s, LPWSAOVERLAPPED lpOverlapped, DWORD dwError,
					DWORD cbTransferred, LPINT lpErrno);

#ifdef __cplusplus
}
#endif

#endif /* LWFP_WIN_WS2SPI_H */
