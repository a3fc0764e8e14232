/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The part of windows.h (winbase.h, processthreadsapi.h, synchapi.h,
 * errhandlingapi.h) that Winsock proxies use: the last-error slot, sleeps,
 * threads and waits on their handles.
 *
 * - GetLastError and WSAGetLastError read the same per-thread slot, as on
 *   Windows; a thread's exit code and its handle outlive the thread until
 *   the last CloseHandle.
 * - A HANDLE here is a thread (CreateThread) or a WSAEVENT: the kernel32
 *   calls accept both and refuse anything else with ERROR_INVALID_HANDLE.
 * - winsock2.h includes this header and this header includes winsock2.h
 *   (Windows' windows.h brings the Winsock 1 API), so either order works.
 */
#ifndef LWFP_WIN_WINDOWS_H
#define LWFP_WIN_WINDOWS_H
#define _WINDOWS_

#include "lwfp_wintypes.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ERROR_SUCCESS 0L
#define NO_ERROR 0L
#define ERROR_NOACCESS 998

#define INVALID_HANDLE_VALUE ((HANDLE)(LONG_PTR)-1)
#define STILL_ACTIVE 259 /* STATUS_PENDING: GetExitCodeThread while running */
#define WAIT_ABANDONED 0x00000080u
#define CREATE_SUSPENDED 0x00000004
#define STACK_SIZE_PARAM_IS_A_RESERVATION 0x00010000

typedef struct _SECURITY_ATTRIBUTES {
	DWORD nLength;
	LPVOID lpSecurityDescriptor;
	BOOL bInheritHandle;
} SECURITY_ATTRIBUTES, *PSECURITY_ATTRIBUTES, *LPSECURITY_ATTRIBUTES;

typedef DWORD(WINAPI *PTHREAD_START_ROUTINE)(LPVOID lpThreadParameter);
typedef PTHREAD_START_ROUTINE LPTHREAD_START_ROUTINE;

DWORD WINAPI GetLastError(void);
void WINAPI SetLastError(DWORD dwErrCode);

void WINAPI Sleep(DWORD dwMilliseconds);
DWORD WINAPI SleepEx(DWORD dwMilliseconds, BOOL bAlertable);
DWORD WINAPI GetTickCount(void);
ULONGLONG WINAPI GetTickCount64(void);

/*
 * dwCreationFlags must be 0: CREATE_SUSPENDED has no pthread equivalent
 * (ERROR_INVALID_PARAMETER). lpThreadAttributes is ignored: handles are
 * not inherited across exec here.
 */
HANDLE WINAPI CreateThread(LPSECURITY_ATTRIBUTES lpThreadAttributes, SIZE_T dwStackSize,
			   LPTHREAD_START_ROUTINE lpStartAddress, LPVOID lpParameter,
			   DWORD dwCreationFlags, LPDWORD lpThreadId);
void WINAPI ExitThread(DWORD dwExitCode);
BOOL WINAPI GetExitCodeThread(HANDLE hThread, LPDWORD lpExitCode);
DWORD WINAPI GetCurrentThreadId(void);
DWORD WINAPI WaitForSingleObject(HANDLE hHandle, DWORD dwMilliseconds);
DWORD WINAPI WaitForSingleObjectEx(HANDLE hHandle, DWORD dwMilliseconds, BOOL bAlertable);
BOOL WINAPI CloseHandle(HANDLE hObject);

#ifdef __cplusplus
}
#endif

#include "winsock2.h"

#endif /* LWFP_WIN_WINDOWS_H */
