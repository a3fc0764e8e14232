// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * WSARecv, WSASend, WSARecvFrom and WSASendTo.
 *
 * Without overlap (no OVERLAPPED, or a socket made without
 * WSA_FLAG_OVERLAPPED) they block as recv and send do, and count as
 * blocking calls for WSAEINPROGRESS. Overlapped, they are transfers for
 * overlapped.c: tried at once, which completes them on the spot as Windows
 * does when the data can move (0 returned, the event set, the routine
 * queued), else WSA_IO_PENDING until the socket is ready. A send completes
 * when all its bytes are with the kernel, as Windows completes a stream
 * send. The WSABUF array and a WSASendTo address are copied: the caller
 * may build them on its stack. lpFrom and lpFromlen must live until
 * completion, as on Windows.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "lwfp_win_internal.h"

#include "../visibility.h"

/* The flags each direction passes on; MSG_PARTIAL is not among them. */
#define RECV_FLAGS (MSG_PEEK | MSG_OOB | MSG_WAITALL)
#define SEND_FLAGS (MSG_OOB | MSG_DONTROUTE)

/* One call, as its arguments came. */
struct rw_args {
	SOCKET s;
	LPWSABUF bufs;
	DWORD count;
	LPDWORD bytes;
	DWORD flags;
	LPDWORD flags_out; /* WSARecv's lpFlags */
	struct sockaddr *from;
	LPINT fromlen;
	const struct sockaddr *to;
	int tolen;
	LPWSAOVERLAPPED ov;
	LPWSAOVERLAPPED_COMPLETION_ROUTINE routine;
	bool out;
};

struct rw_xfer {
	struct win_xfer x;
	int flags;
	struct sockaddr *from;
	LPINT fromlen;
	struct sockaddr_storage to;
	socklen_t tolen;
	size_t total; /* bytes asked for */
	size_t cur; /* the first iovec not yet sent */
	size_t niov;
	struct iovec iov[];
};

static bool would_block(int err)
{
	return err == EAGAIN || err == EWOULDBLOCK;
}

/* A zero-byte receive completes when data is there, not at once. */
static bool readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = LWFP_LX_POLLIN };

	return poll(&p, 1, 0) > 0;
}

/* One recvmsg; false when the socket would block and extra says not to. */
static bool recv_once(struct rw_xfer *r, int extra)
{
	struct msghdr mh = { .msg_iov = r->iov, .msg_iovlen = r->niov };
	ssize_t n;

	if ((extra & MSG_DONTWAIT) && !r->total) {
		r->x.err = 0; /* it consumes nothing: the data stays for the next */
		return readable(r->x.ws.fd);
	}
	if (r->from) {
		mh.msg_name = r->from;
		mh.msg_namelen = (socklen_t)*r->fromlen;
	}
	n = recvmsg(r->x.ws.fd, &mh, r->flags | extra);
	if (n < 0 && (extra & MSG_DONTWAIT) && would_block(errno))
		return false;
	r->x.err = n < 0 ? win_errno_to_wsa(errno) : 0;
	r->x.bytes = n < 0 ? 0 : (DWORD)n;
	if (n >= 0 && (mh.msg_flags & MSG_TRUNC))
		r->x.err = WSAEMSGSIZE; /* the datagram did not fit: Windows says so */
	if (n >= 0 && r->from)
		*r->fromlen = (INT)mh.msg_namelen;
	return true;
}

/* Moves past n bytes sent. */
static void advance(struct rw_xfer *r, size_t n)
{
	r->x.bytes += (DWORD)n;
	while (r->cur < r->niov && n >= r->iov[r->cur].iov_len)
		n -= r->iov[r->cur++].iov_len;
	if (r->cur < r->niov) {
		r->iov[r->cur].iov_base = (char *)r->iov[r->cur].iov_base + n;
		r->iov[r->cur].iov_len -= n;
	}
}

/* sendmsg until every byte is out; false when it would block first. */
static bool send_all(struct rw_xfer *r, int extra)
{
	struct msghdr mh = { .msg_name = r->tolen ? &r->to : NULL, .msg_namelen = r->tolen };
	ssize_t n;

	do {
		mh.msg_iov = r->iov + r->cur;
		mh.msg_iovlen = r->niov - r->cur;
		n = sendmsg(r->x.ws.fd, &mh, r->flags | MSG_NOSIGNAL | extra);
		if (n < 0 && (extra & MSG_DONTWAIT) && would_block(errno))
			return false;
		if (n < 0 && errno == EINTR && r->x.bytes)
			continue; /* a blocking send ends only when all is out */
		/* A non-blocking socket's partial send is a success, as on Windows. */
		r->x.err = n < 0 && !(r->x.bytes && would_block(errno)) ? win_errno_to_wsa(errno) : 0;
		if (n <= 0)
			return true;
		advance(r, (size_t)n);
	} while (r->x.bytes < r->total);
	return true;
}

static bool attempt(struct win_xfer *x)
{
	struct rw_xfer *r = (struct rw_xfer *)x;

	return x->out ? send_all(r, MSG_DONTWAIT) : recv_once(r, MSG_DONTWAIT);
}

/* The checks Windows makes before anything moves: 0 or a Winsock code. */
static int rw_check(const struct rw_args *a, bool async)
{
	DWORD allowed = a->out ? SEND_FLAGS : RECV_FLAGS;

	if (a->count && !win_probe_read(a->bufs, a->count * sizeof(WSABUF)))
		return WSAEFAULT;
	if (a->count > IOV_MAX)
		return WSAENOBUFS;
	if (a->bytes ? !win_probe_write(a->bytes, sizeof(*a->bytes)) : !async)
		return WSAEFAULT;
	if (a->from && (!win_probe_write(a->fromlen, sizeof(*a->fromlen)) || *a->fromlen < 0 ||
			!win_probe_write(a->from, (size_t)*a->fromlen)))
		return WSAEFAULT;
	if (a->to && (a->tolen < 0 || (size_t)a->tolen > sizeof(struct sockaddr_storage) ||
		      !win_probe_read(a->to, (size_t)a->tolen)))
		return WSAEFAULT;
	if (a->flags & ~allowed)
		return WSAEOPNOTSUPP;
	return 0;
}

static struct rw_xfer *rw_new(const struct rw_args *a, const struct win_sock *ws)
{
	struct rw_xfer *r = calloc(1, sizeof(*r) + a->count * sizeof(struct iovec));
	DWORD i;

	if (!r)
		return NULL;
	r->x = (struct win_xfer){ .ws = *ws, .out = a->out, .attempt = attempt };
	r->flags = (int)a->flags;
	r->from = a->from;
	r->fromlen = a->fromlen;
	if (a->to) {
		memcpy(&r->to, a->to, (size_t)a->tolen);
		r->tolen = (socklen_t)a->tolen;
	}
	r->niov = a->count;
	for (i = 0; i < a->count; i++) {
		r->iov[i] = (struct iovec){ a->bufs[i].buf, a->bufs[i].len };
		r->total += a->bufs[i].len;
	}
	return r;
}

static bool nonblocking(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl >= 0 && (fl & O_NONBLOCK);
}

static int rw_blocking(const struct rw_args *a, struct rw_xfer *r)
{
	bool nb = nonblocking(r->x.ws.fd);
	int err = nb ? 0 : win_blocking_enter();

	if (!err) {
		if (a->out)
			send_all(r, 0);
		else
			recv_once(r, 0);
		if (!nb)
			win_blocking_leave();
		err = r->x.err;
		*a->bytes = r->x.bytes;
		if (a->flags_out)
			*a->flags_out = 0;
	}
	free(r);
	return err;
}

static int rw_async(const struct rw_args *a, struct rw_xfer *r)
{
	struct win_completion c;
	DWORD bytes = 0, flags = 0;
	int err = win_completion_init(&c, a->ov, a->routine);

	if (err) {
		free(r);
		return err;
	}
	err = win_xfer_submit(&r->x, &c, &bytes, &flags);
	if (a->bytes)
		*a->bytes = bytes;
	if (!err && a->flags_out)
		*a->flags_out = flags;
	return err;
}

static int rw_call(const struct rw_args *a)
{
	struct win_sock ws;
	struct rw_xfer *r;
	bool async;
	int err = win_sock_get(a->s, &ws);

	if (err)
		return err;
	async = a->ov && ws.overlapped;
	err = rw_check(a, async);
	if (err)
		return err;
	r = rw_new(a, &ws);
	if (!r)
		return WSAENOBUFS;
	return async ? rw_async(a, r) : rw_blocking(a, r);
}

/* Success leaves the last error as it was. */
static int rw_result(const struct rw_args *a)
{
	int saved = errno;
	int err = rw_call(a);

	if (err) {
		/* A datagram too big for the buffers still gave what fitted. */
		if (a->bytes && err != WSA_IO_PENDING && err != WSAEMSGSIZE &&
		    win_probe_write(a->bytes, sizeof(DWORD)))
			*a->bytes = 0;
		win_set_error(err);
		return SOCKET_ERROR;
	}
	errno = saved;
	return 0;
}

LWFP_API int WSARecv(SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount,
		     LPDWORD lpNumberOfBytesRecvd, LPDWORD lpFlags, LPWSAOVERLAPPED lpOverlapped,
		     LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine)
{
	return WSARecvFrom(s, lpBuffers, dwBufferCount, lpNumberOfBytesRecvd, lpFlags, NULL, NULL,
			   lpOverlapped, lpCompletionRoutine);
}

LWFP_API int WSARecvFrom(SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount,
			 LPDWORD lpNumberOfBytesRecvd, LPDWORD lpFlags, struct sockaddr *lpFrom,
			 LPINT lpFromlen, LPWSAOVERLAPPED lpOverlapped,
			 LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine)
{
	struct rw_args a = { .s = s, .bufs = lpBuffers, .count = dwBufferCount,
			     .bytes = lpNumberOfBytesRecvd, .flags_out = lpFlags,
			     .from = lpFrom, .fromlen = lpFromlen, .ov = lpOverlapped,
			     .routine = lpCompletionRoutine };

	if (!win_probe_write(lpFlags, sizeof(*lpFlags))) {
		win_set_error(WSAEFAULT);
		return SOCKET_ERROR;
	}
	a.flags = *lpFlags;
	return rw_result(&a);
}

LWFP_API int WSASend(SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount,
		     LPDWORD lpNumberOfBytesSent, DWORD dwFlags, LPWSAOVERLAPPED lpOverlapped,
		     LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine)
{
	return WSASendTo(s, lpBuffers, dwBufferCount, lpNumberOfBytesSent, dwFlags, NULL, 0,
			 lpOverlapped, lpCompletionRoutine);
}

LWFP_API int WSASendTo(SOCKET s, LPWSABUF lpBuffers, DWORD dwBufferCount,
		       LPDWORD lpNumberOfBytesSent, DWORD dwFlags, const struct sockaddr *lpTo,
		       int iTolen, LPWSAOVERLAPPED lpOverlapped,
		       LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine)
{
	struct rw_args a = { .s = s, .bufs = lpBuffers, .count = dwBufferCount,
			     .bytes = lpNumberOfBytesSent, .flags = dwFlags, .to = lpTo,
			     .tolen = iTolen, .ov = lpOverlapped, .routine = lpCompletionRoutine,
			     .out = true };

	return rw_result(&a);
}
