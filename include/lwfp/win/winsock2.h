/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * lwfp's Winsock compatibility: enough of winsock2.h (with the parts of
 * ws2def.h, winerror.h and winbase.h it pulls in on Windows) for a WFP
 * redirect proxy to build with `-I include/lwfp/win` and run on Linux
 * against liblwfp. See DESIGN.md §4.
 *
 * What is Windows and what is Linux here:
 *   - Windows-only constants carry their real Windows values: error codes,
 *     IOCTL codes, wait results, WSA_FLAG_*, SO_ORIGINAL_DST.
 *   - The BSD socket API underneath is the kernel's. sockaddr structures,
 *     AF_*, SOL_SOCKET and SO_* values are Linux's, so that addresses pass
 *     to and from the kernel untranslated: in particular AF_INET6 is 10, not
 *     23. Code that uses the names, as portable Winsock code does, is fine.
 *   - A SOCKET is a Linux file descriptor widened to UINT_PTR; INVALID_SOCKET
 *     is what a failing socket() returns.
 *   - errno carries the last Winsock error: WSAGetLastError() reads either a
 *     code a compat call set, or the errno a plain socket call left, mapped
 *     to its WSAE* equivalent.
 *   - A few BSD calls whose Windows prototypes differ in a way a compiler
 *     rejects (int * where Linux has socklen_t *), or whose Windows meaning
 *     differs (select ignores nfds; getsockopt knows SO_ORIGINAL_DST), are
 *     routed to liblwfp wrappers by function-like macros.
 *   - WSAStartup ignores SIGPIPE (unless the program set its own handler):
 *     Windows sockets report a reset peer as an error, never as a signal.
 */
#ifndef LWFP_WIN_WINSOCK2_H
#define LWFP_WIN_WINSOCK2_H
#define _WINSOCK2API_
#define _WINSOCKAPI_

#include <sys/poll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>

#include "lwfp_wintypes.h"
#include "lwfp_win_inet.h"
#include "windows.h" /* as on Windows, where winsock2.h includes it */

#ifdef __cplusplus
extern "C" {
#endif

/*
 * poll.h values that Windows numbers differently. glibc's poll.h was
 * read above, so its include guard keeps the Linux values from coming back;
 * the layer's own sources keep them as LWFP_LX_*. FIONBIO and friends are
 * replaced too, should sys/ioctl.h have come first; a program that includes
 * it after winsock2.h gets a redefinition warning (Windows programs do not).
 */
#ifdef LWFP_WIN_NO_REMAP
enum {
	LWFP_LX_POLLIN = POLLIN,
	LWFP_LX_POLLPRI = POLLPRI,
	LWFP_LX_POLLOUT = POLLOUT,
	LWFP_LX_POLLRDNORM = POLLRDNORM,
	LWFP_LX_POLLRDBAND = POLLRDBAND,
	LWFP_LX_POLLWRNORM = POLLWRNORM,
	LWFP_LX_POLLWRBAND = POLLWRBAND,
	LWFP_LX_POLLERR = POLLERR,
	LWFP_LX_POLLHUP = POLLHUP,
	LWFP_LX_POLLNVAL = POLLNVAL,
	LWFP_LX_POLLRDHUP = 0x2000, /* POLLRDHUP, which glibc has with _GNU_SOURCE only */
};
#endif
#undef POLLIN
#undef POLLPRI
#undef POLLOUT
#undef POLLRDNORM
#undef POLLRDBAND
#undef POLLWRNORM
#undef POLLWRBAND
#undef POLLMSG
#undef POLLREMOVE
#undef POLLRDHUP
#undef POLLERR
#undef POLLHUP
#undef POLLNVAL
#undef FIONBIO
#undef FIONREAD
#undef SIOCATMARK

/* ---- sockets ------------------------------------------------------------- */

typedef UINT_PTR SOCKET;
#define INVALID_SOCKET ((SOCKET)(~0))
#define SOCKET_ERROR (-1)

typedef USHORT ADDRESS_FAMILY;
typedef struct sockaddr SOCKADDR, *PSOCKADDR, *LPSOCKADDR;
typedef struct sockaddr_in SOCKADDR_IN, *PSOCKADDR_IN, *LPSOCKADDR_IN;
typedef struct sockaddr_in6 SOCKADDR_IN6, *PSOCKADDR_IN6, *LPSOCKADDR_IN6;
typedef struct sockaddr_storage SOCKADDR_STORAGE, *PSOCKADDR_STORAGE, *LPSOCKADDR_STORAGE;
typedef struct in_addr IN_ADDR, *PIN_ADDR, *LPIN_ADDR;
typedef struct in6_addr IN6_ADDR, *PIN6_ADDR;
typedef struct timeval TIMEVAL, *PTIMEVAL;
typedef unsigned int GROUP;

/* shutdown() */
#define SD_RECEIVE 0x00
#define SD_SEND 0x01
#define SD_BOTH 0x02

/* ws2def.h: the original destination of a redirected connection. */
#define SO_ORIGINAL_DST 0x300F

/* ---- WSAStartup ---------------------------------------------------------- */

#define WSADESCRIPTION_LEN 256
#define WSASYS_STATUS_LEN 128

/* The 64-bit Windows layout, where the counts come before the strings. */
typedef struct WSAData {
	WORD wVersion;
	WORD wHighVersion;
#if UINTPTR_MAX > 0xffffffffu
	unsigned short iMaxSockets;
	unsigned short iMaxUdpDg;
	char *lpVendorInfo;
	char szDescription[WSADESCRIPTION_LEN + 1];
	char szSystemStatus[WSASYS_STATUS_LEN + 1];
#else
	char szDescription[WSADESCRIPTION_LEN + 1];
	char szSystemStatus[WSASYS_STATUS_LEN + 1];
	unsigned short iMaxSockets;
	unsigned short iMaxUdpDg;
	char *lpVendorInfo;
#endif
} WSADATA, *LPWSADATA;

/* ---- protocol information (WSASocket) ------------------------------------ */

#define MAX_PROTOCOL_CHAIN 7
#define WSAPROTOCOL_LEN 255
#define FROM_PROTOCOL_INFO (-1)

typedef struct _WSAPROTOCOLCHAIN {
	int ChainLen;
	DWORD ChainEntries[MAX_PROTOCOL_CHAIN];
} WSAPROTOCOLCHAIN, *LPWSAPROTOCOLCHAIN;

typedef struct _WSAPROTOCOL_INFOA {
	DWORD dwServiceFlags1;
	DWORD dwServiceFlags2;
	DWORD dwServiceFlags3;
	DWORD dwServiceFlags4;
	DWORD dwProviderFlags;
	GUID ProviderId;
	DWORD dwCatalogEntryId;
	WSAPROTOCOLCHAIN ProtocolChain;
	int iVersion;
	int iAddressFamily;
	int iMaxSockAddr;
	int iMinSockAddr;
	int iSocketType;
	int iProtocol;
	int iProtocolMaxOffset;
	int iNetworkByteOrder;
	int iSecurityScheme;
	DWORD dwMessageSize;
	DWORD dwProviderReserved;
	CHAR szProtocol[WSAPROTOCOL_LEN + 1];
} WSAPROTOCOL_INFOA, *LPWSAPROTOCOL_INFOA;

typedef struct _WSAPROTOCOL_INFOW {
	DWORD dwServiceFlags1;
	DWORD dwServiceFlags2;
	DWORD dwServiceFlags3;
	DWORD dwServiceFlags4;
	DWORD dwProviderFlags;
	GUID ProviderId;
	DWORD dwCatalogEntryId;
	WSAPROTOCOLCHAIN ProtocolChain;
	int iVersion;
	int iAddressFamily;
	int iMaxSockAddr;
	int iMinSockAddr;
	int iSocketType;
	int iProtocol;
	int iProtocolMaxOffset;
	int iNetworkByteOrder;
	int iSecurityScheme;
	DWORD dwMessageSize;
	DWORD dwProviderReserved;
	WCHAR szProtocol[WSAPROTOCOL_LEN + 1];
} WSAPROTOCOL_INFOW, *LPWSAPROTOCOL_INFOW;

#define WSA_FLAG_OVERLAPPED 0x01
#define WSA_FLAG_MULTIPOINT_C_ROOT 0x02
#define WSA_FLAG_MULTIPOINT_C_LEAF 0x04
#define WSA_FLAG_MULTIPOINT_D_ROOT 0x08
#define WSA_FLAG_MULTIPOINT_D_LEAF 0x10
#define WSA_FLAG_ACCESS_SYSTEM_SECURITY 0x40
#define WSA_FLAG_NO_HANDLE_INHERIT 0x80
#define WSA_FLAG_REGISTERED_IO 0x100

/* ---- IOCTL codes --------------------------------------------------------- */


/* ---- overlapped I/O ------------------------------------------------------ */

typedef HANDLE WSAEVENT, *LPWSAEVENT;
#define WSA_INVALID_EVENT ((WSAEVENT)NULL)

/*
 * OVERLAPPED, as Winsock 2 uses it. Internal, InternalHigh, Offset and
 * OffsetHigh belong to the provider: Internal is STATUS_PENDING until the
 * operation completes, InternalHigh then holds the byte count.
 */
typedef struct _OVERLAPPED {
	ULONG_PTR Internal;
	ULONG_PTR InternalHigh;
	union {
		struct {
			DWORD Offset;
			DWORD OffsetHigh;
		};
		PVOID Pointer;
	};
	HANDLE hEvent;
} OVERLAPPED, *LPOVERLAPPED;

typedef OVERLAPPED WSAOVERLAPPED, *LPWSAOVERLAPPED;

#define HasOverlappedIoCompleted(lpOverlapped) \
	(((DWORD)(lpOverlapped)->Internal) != (DWORD)STATUS_PENDING)

typedef void(CALLBACK *LPWSAOVERLAPPED_COMPLETION_ROUTINE)(DWORD dwError, DWORD cbTransferred,
							    LPWSAOVERLAPPED lpOverlapped,
							    DWORD dwFlags);

#define WSA_WAIT_EVENT_0 WAIT_OBJECT_0
#define WSA_WAIT_IO_COMPLETION WAIT_IO_COMPLETION
#define WSA_WAIT_TIMEOUT WAIT_TIMEOUT
#define WSA_WAIT_FAILED WAIT_FAILED
#define WSA_INFINITE INFINITE
#define WSA_MAXIMUM_WAIT_EVENTS MAXIMUM_WAIT_OBJECTS

/* ---- messages (ws2def.h): WSARecvMsg and WSASendMsg ---------------------- */

typedef struct _WSABUF {
	ULONG len;
	CHAR *buf;
} WSABUF, *LPWSABUF;

typedef struct _WSAMSG {
	LPSOCKADDR name;
	INT namelen;
	LPWSABUF lpBuffers;
	ULONG dwBufferCount;
	WSABUF Control;
	ULONG dwFlags;
} WSAMSG, *PWSAMSG, *LPWSAMSG;

typedef struct _WSACMSGHDR {
	SIZE_T cmsg_len;
	INT cmsg_level;
	INT cmsg_type;
} WSACMSGHDR, *PWSACMSGHDR, *LPWSACMSGHDR;

/*
 * The same layout and alignment as the kernel's struct cmsghdr on the
 * platforms lwfp runs on, so control messages pass untranslated: IP_PKTINFO
 * and the other kernel ones carry their Linux levels, types and payloads.
 */
#define WSA_CMSGHDR_ALIGN(length) \
	(((length) + sizeof(SIZE_T) - 1) & ~(SIZE_T)(sizeof(SIZE_T) - 1))
#define WSA_CMSGDATA_ALIGN(length) WSA_CMSGHDR_ALIGN(length)
#define WSA_CMSG_DATA(cmsg) ((PUCHAR)(cmsg) + WSA_CMSGDATA_ALIGN(sizeof(WSACMSGHDR)))
#define WSA_CMSG_SPACE(length) \
	(WSA_CMSGDATA_ALIGN(sizeof(WSACMSGHDR)) + WSA_CMSGHDR_ALIGN(length))
#define WSA_CMSG_LEN(length) (WSA_CMSGDATA_ALIGN(sizeof(WSACMSGHDR)) + (length))
#define WSA_CMSG_FIRSTHDR(msg) \
	(((msg)->Control.len >= sizeof(WSACMSGHDR)) ? (LPWSACMSGHDR)(msg)->Control.buf \
						     : (LPWSACMSGHDR)NULL)
#define WSA_CMSG_NXTHDR(msg, cmsg) \
	(!(cmsg) ? WSA_CMSG_FIRSTHDR(msg) \
		 : ((((PUCHAR)(cmsg) + WSA_CMSGHDR_ALIGN((cmsg)->cmsg_len) + \
		      sizeof(WSACMSGHDR)) > (PUCHAR)((msg)->Control.buf) + (msg)->Control.len) \
			    ? (LPWSACMSGHDR)NULL \
			    : (LPWSACMSGHDR)((PUCHAR)(cmsg) + WSA_CMSGHDR_ALIGN((cmsg)->cmsg_len))))

/* ws2ipdef.h: IP_PKTINFO's payload (the kernel's, which has these fields). */
typedef struct in_pktinfo IN_PKTINFO, *PIN_PKTINFO;
#ifdef __USE_GNU /* glibc defines in6_pktinfo only with _GNU_SOURCE */
typedef struct in6_pktinfo IN6_PKTINFO, *PIN6_PKTINFO;
#endif

/* ---- errors (winerror.h) ------------------------------------------------- */

#define ERROR_INVALID_HANDLE 6
#define ERROR_NOT_ENOUGH_MEMORY 8
#define ERROR_INVALID_PARAMETER 87
#define ERROR_INSUFFICIENT_BUFFER 122
#define ERROR_ARITHMETIC_OVERFLOW 534
#define ERROR_OPERATION_ABORTED 995
#define ERROR_IO_INCOMPLETE 996
#define ERROR_IO_PENDING 997
#define ERROR_NOT_FOUND 1168

#define WSA_INVALID_HANDLE ERROR_INVALID_HANDLE
#define WSA_NOT_ENOUGH_MEMORY ERROR_NOT_ENOUGH_MEMORY
#define WSA_INVALID_PARAMETER ERROR_INVALID_PARAMETER
#define WSA_OPERATION_ABORTED ERROR_OPERATION_ABORTED
#define WSA_IO_INCOMPLETE ERROR_IO_INCOMPLETE
#define WSA_IO_PENDING ERROR_IO_PENDING

#define WSABASEERR 10000
#define WSAEINTR 10004
#define WSAEBADF 10009
#define WSAEACCES 10013
#define WSAEFAULT 10014
#define WSAEINVAL 10022
#define WSAEMFILE 10024
#define WSAEWOULDBLOCK 10035
#define WSAEINPROGRESS 10036
#define WSAEALREADY 10037
#define WSAENOTSOCK 10038
#define WSAEDESTADDRREQ 10039
#define WSAEMSGSIZE 10040
#define WSAEPROTOTYPE 10041
#define WSAENOPROTOOPT 10042
#define WSAEPROTONOSUPPORT 10043
#define WSAESOCKTNOSUPPORT 10044
#define WSAEOPNOTSUPP 10045
#define WSAEPFNOSUPPORT 10046
#define WSAEAFNOSUPPORT 10047
#define WSAEADDRINUSE 10048
#define WSAEADDRNOTAVAIL 10049
#define WSAENETDOWN 10050
#define WSAENETUNREACH 10051
#define WSAENETRESET 10052
#define WSAECONNABORTED 10053
#define WSAECONNRESET 10054
#define WSAENOBUFS 10055
#define WSAEISCONN 10056
#define WSAENOTCONN 10057
#define WSAESHUTDOWN 10058
#define WSAETOOMANYREFS 10059
#define WSAETIMEDOUT 10060
#define WSAECONNREFUSED 10061
#define WSAELOOP 10062
#define WSAENAMETOOLONG 10063
#define WSAEHOSTDOWN 10064
#define WSAEHOSTUNREACH 10065
#define WSAENOTEMPTY 10066
#define WSAEPROCLIM 10067
#define WSAEUSERS 10068
#define WSAEDQUOT 10069
#define WSAESTALE 10070
#define WSAEREMOTE 10071
#define WSASYSNOTREADY 10091
#define WSAVERNOTSUPPORTED 10092
#define WSANOTINITIALISED 10093
#define WSAEDISCON 10101
#define WSASYSCALLFAILURE 10107
#define WSATYPE_NOT_FOUND 10109
#define WSAHOST_NOT_FOUND 11001
#define WSATRY_AGAIN 11002
#define WSANO_RECOVERY 11003
#define WSANO_DATA 11004

/* ---- ioctlsocket, WSAPoll, WSAEventSelect -------------------------------- */

/*
 * u_long is glibc's (sys/types.h): unsigned long, 64 bits, where Windows'
 * is 32. ioctlsocket takes a u_long * of that type, so Windows code that
 * declares `u_long mode = 1;` compiles unchanged; only code that assumes
 * sizeof(u_long) == 4 sees the difference.
 */
#ifndef __USE_MISC
typedef __u_char u_char;
typedef __u_short u_short;
typedef __u_int u_int;
typedef __u_long u_long;
#endif

#define FIONBIO ((long)0x8004667E)
#define FIONREAD ((long)0x4004667F)
#define SIOCATMARK ((long)0x40047307)

#define POLLRDNORM 0x0100
#define POLLRDBAND 0x0200
#define POLLIN (POLLRDNORM | POLLRDBAND)
#define POLLPRI 0x0400
#define POLLWRNORM 0x0010
#define POLLOUT POLLWRNORM
#define POLLWRBAND 0x0020
#define POLLERR 0x0001
#define POLLHUP 0x0002
#define POLLNVAL 0x0004

/* Windows names this struct pollfd; Linux's struct pollfd keeps its tag. */
typedef struct lwfp_win_pollfd {
	SOCKET fd;
	SHORT events;
	SHORT revents;
} WSAPOLLFD, *PWSAPOLLFD, *LPWSAPOLLFD;

#define FD_READ_BIT 0
#define FD_READ (1 << FD_READ_BIT)
#define FD_WRITE_BIT 1
#define FD_WRITE (1 << FD_WRITE_BIT)
#define FD_OOB_BIT 2
#define FD_OOB (1 << FD_OOB_BIT)
#define FD_ACCEPT_BIT 3
#define FD_ACCEPT (1 << FD_ACCEPT_BIT)
#define FD_CONNECT_BIT 4
#define FD_CONNECT (1 << FD_CONNECT_BIT)
#define FD_CLOSE_BIT 5
#define FD_CLOSE (1 << FD_CLOSE_BIT)
#define FD_QOS_BIT 6
#define FD_QOS (1 << FD_QOS_BIT)
#define FD_GROUP_QOS_BIT 7
#define FD_GROUP_QOS (1 << FD_GROUP_QOS_BIT)
#define FD_ROUTING_INTERFACE_CHANGE_BIT 8
#define FD_ROUTING_INTERFACE_CHANGE (1 << FD_ROUTING_INTERFACE_CHANGE_BIT)
#define FD_ADDRESS_LIST_CHANGE_BIT 9
#define FD_ADDRESS_LIST_CHANGE (1 << FD_ADDRESS_LIST_CHANGE_BIT)
#define FD_MAX_EVENTS 10
#define FD_ALL_EVENTS ((1 << FD_MAX_EVENTS) - 1)

typedef struct _WSANETWORKEVENTS {
	LONG lNetworkEvents; /* Windows long: 32 bits */
	int iErrorCode[FD_MAX_EVENTS];
} WSANETWORKEVENTS, *LPWSANETWORKEVENTS;

/* WSAConnect's QoS arguments: only NULL is accepted, so the types stay opaque. */
typedef struct _QualityOfService QOS, *LPQOS;

/* ---- functions ----------------------------------------------------------- */

int WSAAPI WSAStartup(WORD wVersionRequested, LPWSADATA lpWSAData);
int WSAAPI WSACleanup(void);
int WSAAPI WSAGetLastError(void);
void WSAAPI WSASetLastError(int iError);

SOCKET WSAAPI WSASocketA(int af, int type, int protocol, LPWSAPROTOCOL_INFOA lpProtocolInfo,
			 GROUP g, DWORD dwFlags);
SOCKET WSAAPI WSASocketW(int af, int type, int protocol, LPWSAPROTOCOL_INFOW lpProtocolInfo,
			 GROUP g, DWORD dwFlags);
int WSAAPI closesocket(SOCKET s);

int WSAAPI WSAIoctl(SOCKET s, DWORD dwIoControlCode, LPVOID lpvInBuffer, DWORD cbInBuffer,
		    LPVOID lpvOutBuffer, DWORD cbOutBuffer, LPDWORD lpcbBytesReturned,
		    LPWSAOVERLAPPED lpOverlapped,
		    LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine);
BOOL WSAAPI WSAGetOverlappedResult(SOCKET s, LPWSAOVERLAPPED lpOverlapped, LPDWORD lpcbTransfer,
				   BOOL fWait, LPDWORD lpdwFlags);

/*
 * On Windows WSARecvMsg is reached through SIO_GET_EXTENSION_FUNCTION_POINTER;
 * here it is also an ordinary function. On a redirected UDP flow's first
 * datagram it appends IP_WFP_REDIRECT_RECORDS and IP_WFP_REDIRECT_CONTEXT
 * (IPPROTO_IPV6 twins on an IPv6 socket); WSASendMsg applies an
 * IP_WFP_REDIRECT_RECORDS message before it sends. Overlapped calls complete
 * at once (the event is set); completion routines are not supported
 * (WSAEOPNOTSUPP).
 */
typedef INT(PASCAL *LPFN_WSARECVMSG)(SOCKET s, LPWSAMSG lpMsg, LPDWORD lpdwNumberOfBytesRecvd,
				     LPWSAOVERLAPPED lpOverlapped,
				     LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine);
INT WSAAPI WSARecvMsg(SOCKET s, LPWSAMSG lpMsg, LPDWORD lpdwNumberOfBytesRecvd,
		      LPWSAOVERLAPPED lpOverlapped,
		      LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine);
int WSAAPI WSASendMsg(SOCKET Handle, LPWSAMSG lpMsg, DWORD dwFlags, LPDWORD lpNumberOfBytesSent,
		      LPWSAOVERLAPPED lpOverlapped,
		      LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine);

WSAEVENT WSAAPI WSACreateEvent(void);
BOOL WSAAPI WSASetEvent(WSAEVENT hEvent);
BOOL WSAAPI WSAResetEvent(WSAEVENT hEvent);
BOOL WSAAPI WSACloseEvent(WSAEVENT hEvent);
DWORD WSAAPI WSAWaitForMultipleEvents(DWORD cEvents, const WSAEVENT *lphEvents, BOOL fWaitAll,
				      DWORD dwTimeout, BOOL fAlertable);

INT WSAAPI WSAStringToAddressA(LPSTR AddressString, INT AddressFamily,
			       LPWSAPROTOCOL_INFOA lpProtocolInfo, LPSOCKADDR lpAddress,
			       LPINT lpAddressLength);
INT WSAAPI WSAAddressToStringA(LPSOCKADDR lpsaAddress, DWORD dwAddressLength,
			       LPWSAPROTOCOL_INFOA lpProtocolInfo, LPSTR lpszAddressString,
			       LPDWORD lpdwAddressStringLength);

int WSAAPI ioctlsocket(SOCKET s, long cmd, u_long *argp);
int WSAAPI WSAPoll(LPWSAPOLLFD fdArray, ULONG fds, INT timeout);
int WSAAPI WSAEventSelect(SOCKET s, WSAEVENT hEventObject, LONG lNetworkEvents);
int WSAAPI WSAEnumNetworkEvents(SOCKET s, WSAEVENT hEventObject,
				LPWSANETWORKEVENTS lpNetworkEvents);
int WSAAPI WSAConnect(SOCKET s, const struct sockaddr *name, int namelen, LPWSABUF lpCallerData,
		      LPWSABUF lpCalleeData, LPQOS lpSQOS, LPQOS lpGQOS);

#ifdef UNICODE
#define WSASocket WSASocketW
#define WSAPROTOCOL_INFO WSAPROTOCOL_INFOW
#define LPWSAPROTOCOL_INFO LPWSAPROTOCOL_INFOW
#else
#define WSASocket WSASocketA
#define WSAPROTOCOL_INFO WSAPROTOCOL_INFOA
#define LPWSAPROTOCOL_INFO LPWSAPROTOCOL_INFOA
#define WSAStringToAddress WSAStringToAddressA
#define WSAAddressToString WSAAddressToStringA
#endif

/* ---- winio: overlapped data I/O and the Winsock 2 IOCTLs ---------------- */

/*
 * WSARecv/WSASend and their From/To forms: blocking without overlap,
 * else completed at once when the data can move (0, the event set, the
 * routine queued for the next alertable wait) or WSA_IO_PENDING.
 *
 * WSAEINPROGRESS, as Winsock 2 defines it ("a blocking call is in progress,
 * or the service provider is still processing a callback function"): while
 * an alertable WSAWaitForMultipleEvents runs completion routines, or while
 * one of the blocking calls below waits, the thread is inside a blocking
 * Winsock call, and a blocking call made then fails at once with
 * WSAEINPROGRESS. The blocking calls: WSARecv, WSASend, WSARecvFrom and
 * WSASendTo without overlap, accept, recv, recvfrom, send, sendto and
 * connect on a blocking socket, and a synchronous SIO_FLUSH. Overlapped
 * and non-blocking calls are never refused (a routine may post the next
 * WSARecv), nor are WSAIoctl's engine queries, which do not block. SleepEx
 * is kernel32's, not Winsock's: the routines it runs may block.
 */
int WSAAPI WSARecv(SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount, LPDWORD lpNumberOfBytesRecvd,
		   LPDWORD lpFlags, LPWSAOVERLAPPED lpOverlapped,
		   LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine);
int WSAAPI WSARecvFrom(SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount,
		       LPDWORD lpNumberOfBytesRecvd, LPDWORD lpFlags, struct sockaddr *lpFrom,
		       LPINT lpFromlen, LPWSAOVERLAPPED lpOverlapped,
		       LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine);
int WSAAPI WSASend(SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount, LPDWORD lpNumberOfBytesSent,
		   DWORD dwFlags, LPWSAOVERLAPPED lpOverlapped,
		   LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine);
int WSAAPI WSASendTo(SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount,
		     LPDWORD lpNumberOfBytesSent, DWORD dwFlags, const struct sockaddr *lpTo,
		     int iTolen, LPWSAOVERLAPPED lpOverlapped,
		     LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine);

/* Windows' value; refused (WSAEOPNOTSUPP): stream sockets only here. */
#define MSG_PARTIAL 0x8000

/*
 * SIO_FLUSH waits until the socket's pending overlapped sends are with the
 * kernel (Linux cannot discard its send queue); overlapped, it completes
 * after them.
 */
#define SIO_FLUSH _WSAIO(IOC_WS2, 4) /* 0x28000004 */
#define SIO_GET_EXTENSION_FUNCTION_POINTER _WSAIORW(IOC_WS2, 6) /* 0xC8000006 */

/* SO_UPDATE_ACCEPT_CONTEXT and SO_UPDATE_CONNECT_CONTEXT are no-ops. */
int WSAAPI lwfp_win_setsockopt(SOCKET s, int level, int optname, const char *optval, int optlen);
#ifndef LWFP_WIN_NO_REMAP
#define setsockopt(s, level, name, val, len) lwfp_win_setsockopt((s), (level), (name), (val), (len))
#endif

/* The BSD calls with Windows prototypes or meanings (see the top). */
SOCKET WSAAPI lwfp_win_accept(SOCKET s, struct sockaddr *addr, int *addrlen);
int WSAAPI lwfp_win_getsockopt(SOCKET s, int level, int optname, char *optval, int *optlen);
int WSAAPI lwfp_win_getsockname(SOCKET s, struct sockaddr *name, int *namelen);
int WSAAPI lwfp_win_getpeername(SOCKET s, struct sockaddr *name, int *namelen);
int WSAAPI lwfp_win_select(int nfds, fd_set *readfds, fd_set *writefds, fd_set *exceptfds,
			   const struct timeval *timeout);

int WSAAPI lwfp_win_connect(SOCKET s, const struct sockaddr *name, int namelen);
int WSAAPI lwfp_win_recv(SOCKET s, char *buf, int len, int flags);
int WSAAPI lwfp_win_recvfrom(SOCKET s, char *buf, int len, int flags, struct sockaddr *from,
			     int *fromlen);
int WSAAPI lwfp_win_send(SOCKET s, const char *buf, int len, int flags);
int WSAAPI lwfp_win_sendto(SOCKET s, const char *buf, int len, int flags,
			   const struct sockaddr *to, int tolen);

#ifndef LWFP_WIN_NO_REMAP
#define accept(s, addr, addrlen) lwfp_win_accept((s), (addr), (addrlen))
#define getsockopt(s, level, name, val, len) lwfp_win_getsockopt((s), (level), (name), (val), (len))
#define getsockname(s, name, len) lwfp_win_getsockname((s), (name), (len))
#define getpeername(s, name, len) lwfp_win_getpeername((s), (name), (len))
#define select(n, r, w, e, t) lwfp_win_select((n), (r), (w), (e), (t))
/* int lengths, and WSAEventSelect's re-enabling of FD_READ, FD_WRITE and FD_CONNECT. */
#define connect(s, name, namelen) lwfp_win_connect((s), (name), (namelen))
#define recv(s, buf, len, flags) lwfp_win_recv((s), (buf), (len), (flags))
#define recvfrom(s, buf, len, flags, from, fromlen) \
	lwfp_win_recvfrom((s), (buf), (len), (flags), (from), (fromlen))
#define send(s, buf, len, flags) lwfp_win_send((s), (buf), (len), (flags))
#define sendto(s, buf, len, flags, to, tolen) \
	lwfp_win_sendto((s), (buf), (len), (flags), (to), (tolen))
#define pollfd lwfp_win_pollfd
#endif

#ifdef __cplusplus
}
#endif

#endif /* LWFP_WIN_WINSOCK2_H */
