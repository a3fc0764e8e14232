/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The Windows base types the compat headers share (windef.h, basetsd.h,
 * ntdef.h), with their Windows sizes: Windows is LLP64, so LONG, ULONG and
 * DWORD are 32 bits here even though a Linux long is 64. Pointer-sized types
 * (ULONG_PTR, SOCKET, HANDLE) follow the pointer, as on 64-bit Windows.
 *
 * Included by winsock2.h, mstcpip.h, ws2spi.h and wsk.h; not meant to be
 * included on its own.
 */
#ifndef LWFP_WIN_WINTYPES_H
#define LWFP_WIN_WINTYPES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h> /* ZeroMemory, CopyMemory */

#include "sal.h" /* samples annotate their prototypes */

/* Calling conventions mean nothing on the Linux ABIs. */
#define WINAPI
#define WSAAPI
#define CALLBACK
#define WSPAPI
#define WSKAPI
#define NTAPI
#define PASCAL
#define APIENTRY
#define __cdecl
#define __stdcall

#define UNREFERENCED_PARAMETER(P) ((void)(P))

#ifndef VOID
#define VOID void
#endif
#ifndef FALSE
#define FALSE 0
#endif
#ifndef TRUE
#define TRUE 1
#endif

typedef uint8_t BYTE;
typedef uint8_t *PBYTE;
typedef uint8_t *LPBYTE;
typedef uint16_t WORD;
typedef WORD *PWORD;
typedef WORD *LPWORD;
typedef uint32_t DWORD;
typedef int BOOL;
typedef uint8_t BOOLEAN;
typedef char CHAR;
typedef unsigned char UCHAR;
typedef UCHAR *PUCHAR;
typedef char CCHAR;
typedef int16_t SHORT;
typedef int16_t CSHORT;
typedef uint16_t USHORT;
typedef int INT;
typedef unsigned int UINT;
typedef int32_t LONG;
typedef uint32_t ULONG;
/* long long, as MSVC's: Windows code prints these with %lld/%llu. */
typedef long long LONGLONG;
typedef unsigned long long ULONGLONG;
typedef uint16_t WCHAR; /* UTF-16, as on Windows; not the 32-bit wchar_t */
typedef uintptr_t ULONG_PTR;
typedef uintptr_t UINT_PTR;
typedef uintptr_t DWORD_PTR;
typedef intptr_t LONG_PTR;
typedef intptr_t INT_PTR;
typedef size_t SIZE_T;
typedef void *PVOID;
typedef void *LPVOID;
typedef const void *LPCVOID;
typedef void *HANDLE;
typedef DWORD *LPDWORD;
typedef DWORD *PDWORD;
typedef INT *LPINT;
typedef INT *PINT;
typedef LONG *PLONG;
typedef LONG *LPLONG;
typedef CHAR *PCHAR;
typedef CHAR *PSTR;
typedef SHORT *PSHORT;
typedef USHORT *PUSHORT;
typedef BOOL *PBOOL;
typedef HANDLE *PHANDLE;
typedef HANDLE *LPHANDLE;
typedef ULONG *PULONG;
typedef SIZE_T *PSIZE_T;
typedef BOOL *LPBOOL;
typedef CHAR *LPSTR;
typedef const CHAR *LPCSTR;
typedef const CHAR *PCSTR;
typedef WCHAR *LPWSTR;
typedef const WCHAR *LPCWSTR;
typedef LONG NTSTATUS;

typedef struct _GUID {
	uint32_t Data1;
	uint16_t Data2;
	uint16_t Data3;
	uint8_t Data4[8];
} GUID;

/* Checked at compile time: the whole point of these types is their size. */
#ifdef __cplusplus
#define LWFP_WIN_ASSERT(cond, msg) static_assert(cond, msg)
#else
#define LWFP_WIN_ASSERT(cond, msg) _Static_assert(cond, msg)
#endif
LWFP_WIN_ASSERT(sizeof(DWORD) == 4 && sizeof(ULONG) == 4 && sizeof(LONG) == 4,
		"DWORD, ULONG and LONG are 32 bits on Windows");
LWFP_WIN_ASSERT(sizeof(ULONG_PTR) == sizeof(void *), "ULONG_PTR is pointer-sized");
LWFP_WIN_ASSERT(sizeof(ULONGLONG) == 8, "ULONGLONG is 64 bits");
LWFP_WIN_ASSERT(sizeof(GUID) == 16, "a GUID is 16 bytes");

#define MAKEWORD(lo, hi) ((WORD)(((BYTE)(lo)) | ((WORD)((BYTE)(hi))) << 8))
#define LOBYTE(w) ((BYTE)((w) & 0xff))
#define HIBYTE(w) ((BYTE)(((w) >> 8) & 0xff))

/* Wait results (winbase.h / winerror.h), shared by SleepEx and WSAWait*. */
#define INFINITE 0xFFFFFFFFu
#define WAIT_OBJECT_0 0x00000000u
#define WAIT_TIMEOUT 0x00000102u
#define WAIT_IO_COMPLETION 0x000000C0u
#define WAIT_FAILED 0xFFFFFFFFu
#define MAXIMUM_WAIT_OBJECTS 64

/* NTSTATUS values (ntstatus.h) that more than one compat header needs. */
#define STATUS_SUCCESS ((NTSTATUS)0x00000000L)
#define STATUS_USER_APC ((NTSTATUS)0x000000C0L)
#define STATUS_PENDING ((NTSTATUS)0x00000103L)
#define STATUS_CANCELLED ((NTSTATUS)0xC0000120L)
#define NT_SUCCESS(status) (((NTSTATUS)(status)) >= 0)

#define ZeroMemory(p, n) memset((p), 0, (n))
#define CopyMemory(d, s, n) memcpy((d), (s), (n))

/* How Winsock builds its IOCTL codes: winsock2.h and mstcpip.h both need it. */
#ifndef IOC_VENDOR
#define IOCPARM_MASK 0x7f
#define IOC_VOID 0x20000000
#define IOC_OUT 0x40000000
#define IOC_IN 0x80000000
#define IOC_INOUT (IOC_IN | IOC_OUT)
#define IOC_UNIX 0x00000000
#define IOC_WS2 0x08000000
#define IOC_PROTOCOL 0x10000000
#define IOC_VENDOR 0x18000000
#define _WSAIO(x, y) (IOC_VOID | (x) | (y))
#define _WSAIOR(x, y) (IOC_OUT | (x) | (y))
#define _WSAIOW(x, y) (IOC_IN | (x) | (y))
#define _WSAIORW(x, y) (IOC_INOUT | (x) | (y))
#endif

#endif /* LWFP_WIN_WINTYPES_H */
