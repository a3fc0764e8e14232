// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * AcceptEx and GetAcceptExSockaddrs.
 *
 * Linux's accept makes a new descriptor, where Windows fills the socket
 * the caller made beforehand: the new connection is put on the caller's
 * descriptor with dup3, which closes the unconnected socket it held, so
 * the caller's SOCKET value is the accepted connection. With
 * dwReceiveDataLength, the operation then waits on that socket for the
 * first data, as Windows does.
 *
 * The output buffer is the data, then the local and the remote address
 * areas. Each area holds the sockaddr at its start and its length in its
 * last four bytes, which the 16 spare bytes Windows asks for leave free.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lwfp_win_internal.h"
#include <lwfp/win/mswsock.h>

#include "../visibility.h"

#define SPARE 16 /* what Windows asks beyond the largest address */

struct accept_xfer {
	struct win_xfer x;
	int target; /* sAcceptSocket's descriptor */
	bool accepted;
	char *buf;
	DWORD data_len, local_len, remote_len;
};

/* accept without blocking, whatever the listening socket's mode. */
static int accept_now(int fd)
{
	int fl = fcntl(fd, F_GETFL), nfd, err;

	if (fl < 0)
		return -1;
	if (!(fl & O_NONBLOCK))
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	nfd = accept(fd, NULL, NULL);
	err = errno;
	if (!(fl & O_NONBLOCK))
		fcntl(fd, F_SETFL, fl);
	errno = err;
	return nfd;
}

static void put_addr(char *area, DWORD area_len, int fd, bool peer)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	INT n;
	int rc = peer ? getpeername(fd, (struct sockaddr *)&ss, &len)
		      : getsockname(fd, (struct sockaddr *)&ss, &len);

	if (rc || len > area_len - sizeof(INT))
		len = 0;
	n = (INT)len;
	memcpy(area, &ss, len);
	memcpy(area + area_len - sizeof(INT), &n, sizeof(n));
}

/* Puts the connection on the target descriptor: 0 or an errno. */
static int take(struct accept_xfer *ax, int nfd)
{
	int fdfl = fcntl(ax->target, F_GETFD);
	struct stat st;
	int err = 0;

	if (dup3(nfd, ax->target, fdfl > 0 && (fdfl & FD_CLOEXEC) ? O_CLOEXEC : 0) < 0 ||
	    fstat(ax->target, &st))
		err = errno;
	close(nfd);
	if (err)
		return err;
	put_addr(ax->buf + ax->data_len, ax->local_len, ax->target, false);
	put_addr(ax->buf + ax->data_len + ax->local_len, ax->remote_len, ax->target, true);
	ax->x.ws = (struct win_sock){ .fd = ax->target, .ino = st.st_ino, .overlapped = true };
	ax->accepted = true;
	return 0;
}

static bool finish(struct win_xfer *x, int err)
{
	x->err = err ? win_errno_to_wsa(err) : 0;
	return true;
}

static bool accept_attempt(struct win_xfer *x)
{
	struct accept_xfer *ax = (struct accept_xfer *)x;
	ssize_t n;
	int nfd, err;

	if (!ax->accepted) {
		nfd = accept_now(x->ws.fd);
		if (nfd < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? false : finish(x, errno);
		err = take(ax, nfd);
		if (err || !ax->data_len)
			return finish(x, err);
	}
	n = recv(x->ws.fd, ax->buf, ax->data_len, MSG_DONTWAIT);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? false : finish(x, errno);
	x->bytes = (DWORD)n;
	return finish(x, 0);
}

/* sizeof the family's sockaddr plus the spare bytes, or 0. */
static DWORD area_needed(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		return 0;
	if (ss.ss_family == AF_INET6)
		return sizeof(struct sockaddr_in6) + SPARE;
	return sizeof(struct sockaddr_in) + SPARE;
}

static bool unbound(int fd)
{
	struct sockaddr_in6 sin6;
	socklen_t len = sizeof(sin6);

	/* sin_port and sin6_port share their offset. */
	return !getsockname(fd, (struct sockaddr *)&sin6, &len) && !sin6.sin6_port;
}

static int check(const struct win_sock *ls, const struct win_sock *as, const struct accept_xfer *ax,
		 LPOVERLAPPED ov)
{
	DWORD need = area_needed(ls->fd);
	size_t total = (size_t)ax->data_len + ax->local_len + ax->remote_len;

	if (!need || !ov)
		return WSAEINVAL;
	if (ax->local_len < need || ax->remote_len < need || !win_probe_write(ax->buf, total))
		return WSAEFAULT;
	if (ls->fd == as->fd || !unbound(as->fd))
		return WSAEINVAL;
	return 0;
}

/* Takes over ax. */
static int acceptex(SOCKET ls_s, SOCKET as_s, struct accept_xfer *ax, LPDWORD received,
		    LPOVERLAPPED ov)
{
	struct win_completion c;
	struct win_sock ls, as;
	DWORD bytes = 0, flags;
	int err = win_sock_get(ls_s, &ls);

	if (!err)
		err = win_sock_get(as_s, &as);
	if (!err)
		err = check(&ls, &as, ax, ov);
	if (!err && received && !win_probe_write(received, sizeof(*received)))
		err = WSAEFAULT;
	if (!err)
		err = win_completion_init(&c, ov, NULL);
	if (err) {
		free(ax);
		return err;
	}
	ax->x = (struct win_xfer){ .ws = ls, .attempt = accept_attempt };
	ax->target = as.fd;
	err = win_xfer_submit(&ax->x, &c, &bytes, &flags);
	if (!err && received)
		*received = bytes;
	return err;
}

LWFP_API BOOL PASCAL AcceptEx(SOCKET sListenSocket, SOCKET sAcceptSocket, PVOID lpOutputBuffer,
			      DWORD dwReceiveDataLength, DWORD dwLocalAddressLength,
			      DWORD dwRemoteAddressLength, LPDWORD lpdwBytesReceived,
			      LPOVERLAPPED lpOverlapped)
{
	struct accept_xfer *ax = calloc(1, sizeof(*ax));
	int saved = errno;
	int err = ax ? 0 : WSAENOBUFS;

	if (ax) {
		*ax = (struct accept_xfer){ .buf = lpOutputBuffer,
					    .data_len = dwReceiveDataLength,
					    .local_len = dwLocalAddressLength,
					    .remote_len = dwRemoteAddressLength };
		err = acceptex(sListenSocket, sAcceptSocket, ax, lpdwBytesReceived, lpOverlapped);
	}
	if (err) {
		win_set_error(err);
		return FALSE;
	}
	errno = saved;
	return TRUE;
}

static void get_addr(char *area, DWORD area_len, struct sockaddr **addr, LPINT len)
{
	INT n = 0;

	if (area_len >= sizeof(INT))
		memcpy(&n, area + area_len - sizeof(INT), sizeof(n));
	*addr = (struct sockaddr *)area;
	*len = n;
}

LWFP_API VOID PASCAL GetAcceptExSockaddrs(PVOID lpOutputBuffer, DWORD dwReceiveDataLength,
					  DWORD dwLocalAddressLength, DWORD dwRemoteAddressLength,
					  struct sockaddr **LocalSockaddr, LPINT LocalSockaddrLength,
					  struct sockaddr **RemoteSockaddr,
					  LPINT RemoteSockaddrLength)
{
	char *local = (char *)lpOutputBuffer + dwReceiveDataLength;

	get_addr(local, dwLocalAddressLength, LocalSockaddr, LocalSockaddrLength);
	get_addr(local + dwLocalAddressLength, dwRemoteAddressLength, RemoteSockaddr,
		 RemoteSockaddrLength);
}
