// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * InetPtonA and InetNtopA (ws2tcpip.h), which a Windows program also calls
 * as inet_pton and inet_ntop: glibc's conversions with Windows' errors.
 */
#include <errno.h>

#include "lwfp_win_internal.h"

#include "../visibility.h"

LWFP_API INT InetPtonA(INT Family, PCSTR pszAddrString, PVOID pAddrBuf)
{
	if (Family != AF_INET && Family != AF_INET6) {
		win_set_error(WSAEAFNOSUPPORT);
		return -1;
	}
	if (!pszAddrString || !pAddrBuf) {
		win_set_error(WSAEFAULT);
		return -1;
	}
	/* 0 for text that is not an address: no error code, as documented. */
	return inet_pton(Family, pszAddrString, pAddrBuf);
}

LWFP_API PCSTR InetNtopA(INT Family, const VOID *pAddr, PSTR pStringBuf, size_t StringBufSize)
{
	if (Family != AF_INET && Family != AF_INET6) {
		win_set_error(WSAEAFNOSUPPORT);
		return NULL;
	}
	/* A short buffer is ERROR_INVALID_PARAMETER on Windows, not ENOSPC. */
	if (!pAddr || !pStringBuf || !StringBufSize ||
	    !inet_ntop(Family, pAddr, pStringBuf,
		       StringBufSize > 0xffffffffu ? 0xffffffffu : (socklen_t)StringBufSize)) {
		win_set_error(ERROR_INVALID_PARAMETER);
		return NULL;
	}
	return pStringBuf;
}
