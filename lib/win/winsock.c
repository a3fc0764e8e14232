// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * SOCKETs: WSAStartup/WSACleanup, WSASocketA/W, closesocket, and the BSD
 * calls whose Windows prototypes or meanings differ from Linux's. What
 * the layer knows about a SOCKET is in sock.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lwfp/lwfp.h>
#include "lwfp_win_internal.h"

#include "../visibility.h"

static int startups;

static int fail_int(int err)
{
	win_set_error(err);
	return SOCKET_ERROR;
}

static SOCKET fail_socket(int err)
{
	win_set_error(err);
	return INVALID_SOCKET;
}

/* ---- WSAStartup ---------------------------------------------------------- */

LWFP_API int WSAStartup(WORD wVersionRequested, LPWSADATA lpWSAData)
{
	WORD v = wVersionRequested;
	struct sigaction sa;

	if (!lpWSAData)
		return WSAEFAULT;
	if (LOBYTE(v) < 1)
		return WSAVERNOTSUPPORTED;
	memset(lpWSAData, 0, sizeof(*lpWSAData));
	if (LOBYTE(v) > 2 || (LOBYTE(v) == 2 && HIBYTE(v) > 2))
		v = MAKEWORD(2, 2);
	lpWSAData->wVersion = v;
	lpWSAData->wHighVersion = MAKEWORD(2, 2);
	snprintf(lpWSAData->szDescription, sizeof(lpWSAData->szDescription),
		 "lwfp Winsock compatibility");
	snprintf(lpWSAData->szSystemStatus, sizeof(lpWSAData->szSystemStatus), "Running");
	/* A Windows program expects send() to a reset peer to fail, not to kill it. */
	if (!sigaction(SIGPIPE, NULL, &sa) && sa.sa_handler == SIG_DFL)
		signal(SIGPIPE, SIG_IGN);
	__atomic_add_fetch(&startups, 1, __ATOMIC_RELAXED);
	return 0;
}

LWFP_API int WSACleanup(void)
{
	int n = __atomic_load_n(&startups, __ATOMIC_RELAXED);

	do {
		if (n <= 0)
			return fail_int(WSANOTINITIALISED);
	} while (!__atomic_compare_exchange_n(&startups, &n, n - 1, false, __ATOMIC_RELAXED,
					      __ATOMIC_RELAXED));
	return 0;
}

/* ---- WSASocket and closesocket ------------------------------------------- */

static SOCKET make_socket(int af, int type, int protocol, GROUP g, DWORD flags)
{
	struct stat st;
	int fd, err;

	if (g)
		return fail_socket(WSAEINVAL); /* socket groups are reserved */
	if (flags & WSA_FLAG_NO_HANDLE_INHERIT)
		type |= SOCK_CLOEXEC;
	fd = socket(af, type, protocol);
	if (fd < 0)
		return fail_socket(win_errno_to_wsa(errno));
	if (flags & WSA_FLAG_OVERLAPPED)
		return (SOCKET)fd;
	err = fstat(fd, &st) ? win_errno_to_wsa(errno) : win_sock_plain_add(fd, st.st_ino);
	if (err) {
		close(fd);
		return fail_socket(err);
	}
	return (SOCKET)fd;
}

/* FROM_PROTOCOL_INFO takes a value from the protocol information. */
static int pick(int arg, int info)
{
	return arg == FROM_PROTOCOL_INFO ? info : arg;
}

LWFP_API SOCKET WSASocketA(int af, int type, int protocol, LPWSAPROTOCOL_INFOA lpProtocolInfo,
			   GROUP g, DWORD dwFlags)
{
	if (lpProtocolInfo) {
		af = pick(af, lpProtocolInfo->iAddressFamily);
		type = pick(type, lpProtocolInfo->iSocketType);
		protocol = pick(protocol, lpProtocolInfo->iProtocol);
	}
	return make_socket(af, type, protocol, g, dwFlags);
}

/* Only the three numbers of the protocol information count, A or W alike. */
LWFP_API SOCKET WSASocketW(int af, int type, int protocol, LPWSAPROTOCOL_INFOW lpProtocolInfo,
			   GROUP g, DWORD dwFlags)
{
	WSAPROTOCOL_INFOA a = { 0 };

	if (lpProtocolInfo) {
		a.iAddressFamily = lpProtocolInfo->iAddressFamily;
		a.iSocketType = lpProtocolInfo->iSocketType;
		a.iProtocol = lpProtocolInfo->iProtocol;
	}
	return WSASocketA(af, type, protocol, lpProtocolInfo ? &a : NULL, g, dwFlags);
}

/*
 * Operations still queued complete with WSA_OPERATION_ABORTED, and the one
 * the worker may be running finishes first, so that no operation ever
 * touches the fd number after it is closed and perhaps reused.
 */
LWFP_API int closesocket(SOCKET s)
{
	struct win_sock ws;
	int err = win_sock_get(s, &ws);

	if (err)
		return fail_int(err);
	win_ops_abort(&ws);
	win_udp_forget(&ws);
	win_es_forget(&ws);
	if (!ws.overlapped)
		win_sock_plain_del(ws.fd);
	/* Linux closes the fd even when close() reports EINTR. */
	if (close(ws.fd) && errno != EINTR)
		return fail_int(win_errno_to_wsa(errno));
	return 0;
}

/* ---- BSD calls with Windows prototypes ----------------------------------- */

/* Windows passes lengths as int *: negative ones are bad pointers there. */
static int len_in(const int *len, socklen_t *out)
{
	if (!len || *len < 0)
		return WSAEFAULT;
	*out = (socklen_t)*len;
	return 0;
}

/* winio: a blocking accept is a blocking call (WSAEINPROGRESS). */
static int blocking_accept(int fd, struct sockaddr *addr, socklen_t *len, int *err)
{
	int fl = fcntl(fd, F_GETFL);
	bool blocks = fl >= 0 && !(fl & O_NONBLOCK);

	*err = blocks ? win_blocking_enter() : 0;
	if (*err)
		return -1;
	fd = accept(fd, addr, len);
	*err = fd < 0 ? win_errno_to_wsa(errno) : 0;
	if (blocks)
		win_blocking_leave();
	return fd;
}

LWFP_API SOCKET lwfp_win_accept(SOCKET s, struct sockaddr *addr, int *addrlen)
{
	struct win_sock ws;
	socklen_t len = 0;
	int fd, err = win_sock_get(s, &ws);

	if (err)
		return fail_socket(err);
	if (addr && len_in(addrlen, &len))
		return fail_socket(WSAEFAULT);
	fd = blocking_accept(ws.fd, addr, addr ? &len : NULL, &err);
	win_es_rearm(ws.fd, FD_ACCEPT);
	if (fd < 0)
		return fail_socket(err);
	if (addr)
		*addrlen = (int)len;
	/* An accepted socket has the attributes of its listening socket. */
	if (!ws.overlapped) {
		struct stat st;

		err = fstat(fd, &st) ? win_errno_to_wsa(errno) : win_sock_plain_add(fd, st.st_ino);
		if (err) {
			close(fd);
			return fail_socket(err);
		}
	}
	return (SOCKET)fd;
}

static int original_dst(SOCKET s, char *optval, int *optlen)
{
	struct sockaddr_storage ss;
	socklen_t need;
	DWORD unused;
	int rc;

	if (!optval || !optlen)
		return fail_int(WSAEFAULT);
	if (s > INT_MAX)
		return fail_int(WSAENOTSOCK);
	rc = lwfp_query_original_destination((int)s, &ss);
	if (rc)
		return fail_int(win_wsa_from_native(rc, 0, 0, &unused));
	need = ss.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	if (*optlen < (int)need)
		return fail_int(WSAEFAULT);
	memcpy(optval, &ss, need);
	*optlen = (int)need;
	return 0;
}

LWFP_API int lwfp_win_getsockopt(SOCKET s, int level, int optname, char *optval, int *optlen)
{
	socklen_t len;

	if (level == SOL_SOCKET && optname == SO_ORIGINAL_DST)
		return original_dst(s, optval, optlen);
	if (len_in(optlen, &len))
		return fail_int(WSAEFAULT);
	if (s > INT_MAX)
		return fail_int(WSAENOTSOCK);
	if (getsockopt((int)s, level, optname, optval, &len))
		return fail_int(win_errno_to_wsa(errno));
	*optlen = (int)len;
	return 0;
}

static int get_name(bool peer, SOCKET s, struct sockaddr *name, int *namelen)
{
	socklen_t len;
	int rc;

	if (!name || len_in(namelen, &len))
		return fail_int(WSAEFAULT);
	if (s > INT_MAX)
		return fail_int(WSAENOTSOCK);
	rc = peer ? getpeername((int)s, name, &len) : getsockname((int)s, name, &len);
	if (rc)
		return fail_int(win_errno_to_wsa(errno));
	*namelen = (int)len;
	return 0;
}

LWFP_API int lwfp_win_getsockname(SOCKET s, struct sockaddr *name, int *namelen)
{
	return get_name(false, s, name, namelen);
}

LWFP_API int lwfp_win_getpeername(SOCKET s, struct sockaddr *name, int *namelen)
{
	return get_name(true, s, name, namelen);
}

/* Windows ignores nfds, and never writes the time left into *timeout. */
LWFP_API int lwfp_win_select(int nfds, fd_set *readfds, fd_set *writefds, fd_set *exceptfds,
			     const struct timeval *timeout)
{
	struct timeval tv, *tvp = NULL;
	int n;

	(void)nfds;
	if (!readfds && !writefds && !exceptfds)
		return fail_int(WSAEINVAL);
	if (timeout) {
		tv = *timeout;
		tvp = &tv;
	}
	n = select(FD_SETSIZE, readfds, writefds, exceptfds, tvp);
	if (n < 0)
		return fail_int(win_errno_to_wsa(errno));
	return n;
}
