// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * ConnectEx: a connect that completes like an overlapped WSASend, then
 * sends the optional first data. The socket must be bound first, as
 * Windows requires (WSAEINVAL otherwise). The connect starts without
 * blocking (O_NONBLOCK for the one call, whatever the socket's mode), and
 * the worker waits for writability, which is when Linux has the outcome.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "lwfp_win_internal.h"

#include "../visibility.h"

struct connect_xfer {
	struct win_xfer x;
	bool connected;
	const char *data;
	DWORD len;
};

static bool writable(int fd)
{
	struct pollfd p = { .fd = fd, .events = LWFP_LX_POLLOUT };

	return poll(&p, 1, 0) > 0;
}

/* The connect's outcome: false while it is still under way. */
static bool connect_done(struct connect_xfer *cx)
{
	int so_error = 0;
	socklen_t len = sizeof(so_error);

	if (!writable(cx->x.ws.fd))
		return false;
	if (getsockopt(cx->x.ws.fd, SOL_SOCKET, SO_ERROR, &so_error, &len))
		so_error = errno;
	cx->x.err = so_error ? win_errno_to_wsa(so_error) : 0;
	cx->connected = !so_error;
	return true;
}

static bool connect_attempt(struct win_xfer *x)
{
	struct connect_xfer *cx = (struct connect_xfer *)x;
	ssize_t n;

	if (!cx->connected) {
		if (!connect_done(cx))
			return false;
		if (x->err)
			return true;
	}
	while (x->bytes < cx->len) {
		n = send(x->ws.fd, cx->data + x->bytes, cx->len - x->bytes,
			 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return false;
		if (n < 0) {
			x->err = win_errno_to_wsa(errno);
			return true;
		}
		x->bytes += (DWORD)n;
	}
	return true;
}

/* Starts the connect: 0, or a Winsock error. */
static int start(int fd, const struct sockaddr *name, int namelen, bool *connected)
{
	int fl = fcntl(fd, F_GETFL), rc, err;

	if (fl < 0)
		return win_errno_to_wsa(errno);
	if (!(fl & O_NONBLOCK))
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	rc = connect(fd, name, (socklen_t)namelen);
	err = rc ? errno : 0;
	if (!(fl & O_NONBLOCK))
		fcntl(fd, F_SETFL, fl);
	*connected = !rc;
	if (err == EINPROGRESS)
		return 0;
	return err ? win_errno_to_wsa(err) : 0;
}

static bool is_bound(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		return false;
	if (ss.ss_family == AF_INET)
		return ((struct sockaddr_in *)&ss)->sin_port != 0;
	if (ss.ss_family == AF_INET6)
		return ((struct sockaddr_in6 *)&ss)->sin6_port != 0;
	return false;
}

static int check(const struct win_sock *ws, const struct sockaddr *name, int namelen,
		 PVOID data, DWORD len, LPWSAOVERLAPPED ov)
{
	if (namelen <= 0 || (size_t)namelen > sizeof(struct sockaddr_storage) ||
	    !win_probe_read(name, (size_t)namelen) || !win_probe_read(data, len))
		return WSAEFAULT;
	if (!ov || !is_bound(ws->fd))
		return WSAEINVAL;
	return 0;
}

static int connectex(SOCKET s, const struct sockaddr *name, int namelen, PVOID data, DWORD len,
		     LPDWORD sent, LPWSAOVERLAPPED ov)
{
	struct win_completion c;
	struct connect_xfer *cx;
	struct win_sock ws;
	DWORD bytes = 0, flags;
	int err = win_sock_get(s, &ws);

	if (!err)
		err = check(&ws, name, namelen, data, len, ov);
	if (err)
		return err;
	cx = calloc(1, sizeof(*cx));
	if (!cx)
		return WSAENOBUFS;
	*cx = (struct connect_xfer){ .x = { .ws = ws, .out = true, .attempt = connect_attempt },
				     .data = data, .len = len };
	err = start(ws.fd, name, namelen, &cx->connected);
	if (!err)
		err = win_completion_init(&c, ov, NULL);
	if (err) {
		free(cx);
		return err;
	}
	err = win_xfer_submit(&cx->x, &c, &bytes, &flags);
	if (!err && sent)
		*sent = bytes;
	return err;
}

BOOL PASCAL win_connectex(SOCKET s, const struct sockaddr *name, int namelen, PVOID send_buf,
			  DWORD send_len, LPDWORD bytes_sent, LPWSAOVERLAPPED ov)
{
	int saved = errno;
	int err;

	if (bytes_sent && !win_probe_write(bytes_sent, sizeof(*bytes_sent))) {
		win_set_error(WSAEFAULT);
		return FALSE;
	}
	err = connectex(s, name, namelen, send_buf, send_len, bytes_sent, ov);
	if (err) {
		win_set_error(err);
		return FALSE;
	}
	errno = saved;
	return TRUE;
}
