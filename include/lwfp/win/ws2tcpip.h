/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * ws2tcpip.h: name resolution and address text the Windows way.
 *
 * - struct addrinfo has the Windows layout (size_t ai_addrlen, ai_canonname
 *   before ai_addr); getaddrinfo copies glibc's answer into it, and only
 *   freeaddrinfo may free it.
 * - getaddrinfo returns Windows codes (EAI_NONAME is WSAHOST_NOT_FOUND,
 *   11001, ...) and sets WSAGetLastError to the same. The AI_* flags carry
 *   the Windows values. glibc's EAI_* and AI_* values do not leak: a Windows
 *   program compares against the Windows ones.
 * - INET_ADDRSTRLEN and INET6_ADDRSTRLEN are Windows' (22 and 65), larger
 *   than Linux's, so buffers sized with them hold what Linux prints.
 */
#ifndef LWFP_WIN_WS2TCPIP_H
#define LWFP_WIN_WS2TCPIP_H
#define _WS2TCPIP_H_

#include "winsock2.h"

#if defined(_NETDB_H) && !defined(LWFP_WIN_WS2TCPIP_NETDB)
#error "lwfp: <netdb.h> was included before <ws2tcpip.h>. Include <ws2tcpip.h> first, as a Windows program does: struct addrinfo gets its Windows layout only then."
#endif
#define LWFP_WIN_WS2TCPIP_NETDB 1
#define addrinfo lwfp_bsd_addrinfo
#include <netdb.h>
#undef addrinfo

#ifdef __cplusplus
extern "C" {
#endif

#ifdef LWFP_WIN_NO_REMAP
enum {
	LWFP_LX_AI_PASSIVE = AI_PASSIVE,
	LWFP_LX_AI_CANONNAME = AI_CANONNAME,
	LWFP_LX_AI_NUMERICHOST = AI_NUMERICHOST,
	LWFP_LX_AI_NUMERICSERV = AI_NUMERICSERV,
	LWFP_LX_AI_ALL = AI_ALL,
	LWFP_LX_AI_ADDRCONFIG = AI_ADDRCONFIG,
	LWFP_LX_AI_V4MAPPED = AI_V4MAPPED,
	LWFP_LX_EAI_BADFLAGS = EAI_BADFLAGS,
	LWFP_LX_EAI_NONAME = EAI_NONAME,
	LWFP_LX_EAI_AGAIN = EAI_AGAIN,
	LWFP_LX_EAI_FAIL = EAI_FAIL,
	LWFP_LX_EAI_FAMILY = EAI_FAMILY,
	LWFP_LX_EAI_SOCKTYPE = EAI_SOCKTYPE,
	LWFP_LX_EAI_SERVICE = EAI_SERVICE,
	LWFP_LX_EAI_MEMORY = EAI_MEMORY,
	LWFP_LX_EAI_SYSTEM = EAI_SYSTEM,
	LWFP_LX_EAI_NODATA = EAI_NODATA,
	LWFP_LX_EAI_ADDRFAMILY = EAI_ADDRFAMILY,
};
#endif

#undef AI_PASSIVE
#undef AI_CANONNAME
#undef AI_NUMERICHOST
#undef AI_NUMERICSERV
#undef AI_ALL
#undef AI_ADDRCONFIG
#undef AI_V4MAPPED
#undef AI_IDN
#undef AI_CANONIDN
#undef AI_IDN_ALLOW_UNASSIGNED
#undef AI_IDN_USE_STD3_ASCII_RULES
#undef EAI_BADFLAGS
#undef EAI_NONAME
#undef EAI_AGAIN
#undef EAI_FAIL
#undef EAI_NODATA
#undef EAI_FAMILY
#undef EAI_SOCKTYPE
#undef EAI_SERVICE
#undef EAI_ADDRFAMILY
#undef EAI_MEMORY
#undef EAI_SYSTEM
#undef EAI_OVERFLOW
#undef EAI_INPROGRESS
#undef EAI_CANCELED
#undef EAI_NOTCANCELED
#undef EAI_ALLDONE
#undef EAI_INTR
#undef EAI_IDN_ENCODE

#define AI_PASSIVE 0x00000001
#define AI_CANONNAME 0x00000002
#define AI_NUMERICHOST 0x00000004
#define AI_NUMERICSERV 0x00000008
#define AI_ALL 0x00000100
#define AI_ADDRCONFIG 0x00000400
#define AI_V4MAPPED 0x00000800

#define EAI_AGAIN WSATRY_AGAIN
#define EAI_BADFLAGS WSAEINVAL
#define EAI_FAIL WSANO_RECOVERY
#define EAI_FAMILY WSAEAFNOSUPPORT
#define EAI_MEMORY WSA_NOT_ENOUGH_MEMORY
#define EAI_NONAME WSAHOST_NOT_FOUND
#define EAI_SERVICE WSATYPE_NOT_FOUND
#define EAI_SOCKTYPE WSAESOCKTNOSUPPORT
#define EAI_NODATA WSANO_DATA

/* The layer's own sources size their buffers for what Linux prints. */
#ifndef LWFP_WIN_NO_REMAP
#undef INET_ADDRSTRLEN
#undef INET6_ADDRSTRLEN
#define INET_ADDRSTRLEN 22
#define INET6_ADDRSTRLEN 65
#endif

typedef struct addrinfo {
	int ai_flags;
	int ai_family;
	int ai_socktype;
	int ai_protocol;
	size_t ai_addrlen;
	char *ai_canonname;
	struct sockaddr *ai_addr;
	struct addrinfo *ai_next;
} ADDRINFOA, *PADDRINFOA;

/* ws2ipdef.h */
typedef union _SOCKADDR_INET {
	SOCKADDR_IN Ipv4;
	SOCKADDR_IN6 Ipv6;
	ADDRESS_FAMILY si_family;
} SOCKADDR_INET, *PSOCKADDR_INET;

#define SS_PORT(ssp) (((PSOCKADDR_IN)(ssp))->sin_port)

INT WSAAPI GetAddrInfoA(PCSTR pNodeName, PCSTR pServiceName, const ADDRINFOA *pHints,
			PADDRINFOA *ppResult);
void WSAAPI FreeAddrInfoA(PADDRINFOA pAddrInfo);
char *WSAAPI gai_strerrorA(int ecode);
INT WSAAPI InetPtonA(INT Family, PCSTR pszAddrString, PVOID pAddrBuf);
PCSTR WSAAPI InetNtopA(INT Family, const VOID *pAddr, PSTR pStringBuf, size_t StringBufSize);

#ifndef LWFP_WIN_NO_REMAP
#define getaddrinfo GetAddrInfoA
#define freeaddrinfo FreeAddrInfoA
#define gai_strerror gai_strerrorA
/* The Windows names of the same functions, with their error codes. */
#define inet_pton(f, s, buf) InetPtonA((f), (s), (buf))
#define inet_ntop(f, a, buf, size) InetNtopA((f), (a), (buf), (size))
#endif
#ifndef UNICODE
#define GetAddrInfo GetAddrInfoA
#define FreeAddrInfo FreeAddrInfoA
#define ADDRINFO ADDRINFOA
#define PADDRINFO PADDRINFOA
#define InetPton InetPtonA
#define InetNtop InetNtopA
#endif

#ifdef __cplusplus
}
#endif

#endif /* LWFP_WIN_WS2TCPIP_H */
