// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * WSAIoctl and WSPIoctl for SIO_QUERY_WFP_CONNECTION_REDIRECT_RECORDS,
 * SIO_QUERY_WFP_CONNECTION_REDIRECT_CONTEXT and
 * SIO_SET_WFP_CONNECTION_REDIRECT_RECORDS, on top of the native API.
 *
 * Both share one path and differ only in where they report: WSAIoctl in
 * WSAGetLastError() and on the issuing thread, WSPIoctl in *lpErrno and on
 * the lpThreadId thread. A call on an overlapped socket with an OVERLAPPED
 * is always pending; overlapped.c completes it.
 *
 * Every argument is checked before the engine is asked, as Windows checks
 * parameters first: a 2-byte buffer is WSAEINVAL on any socket, and a bad
 * pointer is WSAEFAULT without being touched (probe.c).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <lwfp/lwfp.h>
#include "lwfp_win_internal.h"

#include "../visibility.h"

bool win_sio_known(DWORD code)
{
	return code == SIO_QUERY_WFP_CONNECTION_REDIRECT_RECORDS ||
	       code == SIO_QUERY_WFP_CONNECTION_REDIRECT_CONTEXT ||
	       code == SIO_SET_WFP_CONNECTION_REDIRECT_RECORDS;
}

bool win_sio_is_set(DWORD code)
{
	return code == SIO_SET_WFP_CONNECTION_REDIRECT_RECORDS;
}

/*
 * The context of a socket no redirect delivered: on Windows only the
 * proxy's accepted socket has one, so the application's own redirected
 * socket gets -ENOENT where the native API answers. The other errors
 * (not connected, no engine, ...) stay what the native query says, so it
 * is still asked, without a buffer. An engine that predates
 * LWFP_SO_DELIVERED fails the option: then every socket answers, as before.
 */
static int context_each(int fd, void *out, size_t out_size, size_t *result)
{
	__u32 delivered = 1;
	socklen_t len = sizeof(delivered);
	int rc;

	if (getsockopt(fd, SOL_LWFP, LWFP_SO_DELIVERED, &delivered, &len) || delivered)
		return lwfp_query_redirect_context(fd, out, out_size, result);
	rc = lwfp_query_redirect_context(fd, NULL, 0, result);
	return rc == -ERANGE ? -ENOENT : rc;
}

/*
 * The same from one query, whose header says whether a redirect delivered
 * the socket; an engine that predates LWFP_SO_REDIRECT (-EINVAL) is asked
 * the two questions apart.
 */
static int context_run(int fd, void *out, size_t out_size, size_t *result)
{
	uint8_t info[LWFP_REDIRECT_INFO_MAX];
	struct lwfp_redirect_info h;
	const void *ctx;
	size_t len, n;
	int rc;

	rc = lwfp_query_redirect(fd, info, sizeof(info), &len);
	if (rc == -EINVAL)
		return context_each(fd, out, out_size, result);
	if (rc)
		return rc;
	if (len < sizeof(h))
		return -EPROTO;
	memcpy(&h, info, sizeof(h));
	ctx = lwfp_redirect_part(info, len, LWFP_REDIRECT_PART_CONTEXT, &n);
	if (!(h.flags & LWFP_REDIRECT_DELIVERED) || !ctx)
		return -ENOENT;
	*result = n;
	if (out_size < n)
		return -ERANGE;
	memcpy(out, ctx, n);
	return 0;
}

int win_sio_run(int fd, DWORD code, const void *in, size_t in_size, void *out, size_t out_size,
		size_t *result)
{
	int rc;

	*result = 0;
	switch (code) {
	case SIO_SET_WFP_CONNECTION_REDIRECT_RECORDS:
		return lwfp_set_redirect_records(fd, in, in_size);
	case SIO_QUERY_WFP_CONNECTION_REDIRECT_RECORDS:
		rc = lwfp_query_redirect_records(fd, out, out_size, result);
		break;
	case SIO_QUERY_WFP_CONNECTION_REDIRECT_CONTEXT:
		rc = context_run(fd, out, out_size, result);
		break;
	default:
		return -EINVAL;
	}
	/* Only success and -ERANGE give a size; never pass on a stale one. */
	if (rc && rc != -ERANGE)
		*result = 0;
	return rc;
}

int win_sio_validate(DWORD code, const void *in, size_t in_size, void *out, size_t out_size)
{
	uintptr_t end;

	if (win_sio_is_set(code)) {
		if (!win_probe_read(in, in_size))
			return -EFAULT;
		/* SET returns nothing: an output buffer is a misuse, not a size. */
		return out_size ? -EINVAL : 0;
	}
	/* The queries take no input; one given must still be real memory. */
	if (in && !win_probe_read(in, in_size))
		return -EFAULT;
	/* DESIGN §4 has its own row for this, ahead of the bad pointer's. */
	if (out && __builtin_add_overflow((uintptr_t)out, out_size, &end))
		return -EOVERFLOW;
	if (!win_probe_write(out, out_size))
		return -EFAULT;
	/* Too small to hold even a size: no query can make it right. */
	if (out_size && out_size < sizeof(ULONG))
		return -ERANGE;
	return 0;
}

/* One call of either function, as its arguments came. */
struct sio_req {
	struct win_sock ws;
	DWORD code;
	LPVOID in;
	DWORD in_size;
	LPVOID out;
	DWORD out_size;
	LPDWORD bytes;
	LPWSAOVERLAPPED ov;
	LPWSAOVERLAPPED_COMPLETION_ROUTINE routine;
};

/* "If socket s was created without the overlapped attribute, lpOverlapped is ignored." */
static bool is_async(const struct sio_req *r)
{
	return r->ov && r->ws.overlapped;
}

/*
 * The pointers every code writes through. lpOverlapped is checked only
 * when it is used: on a socket without the overlapped attribute it is
 * ignored.
 */
static int sio_check_pointers(const struct sio_req *r)
{
	if (!r->bytes && !is_async(r))
		return WSAEFAULT;
	if (r->bytes && !win_probe_write(r->bytes, sizeof(*r->bytes)))
		return WSAEFAULT;
	if (is_async(r) && !win_probe_write(r->ov, sizeof(*r->ov)))
		return WSAEFAULT;
	return 0;
}

/* The redirect codes' own arguments, as a Winsock error. */
static int sio_check_redirect(const struct sio_req *r)
{
	DWORD unused;
	int rc = win_sio_validate(r->code, r->in, r->in_size, r->out, r->out_size);

	return rc ? win_wsa_from_native(rc, r->out_size, 0, &unused) : 0;
}

/*
 * Everything that fails without asking the engine, in Windows' order: the
 * socket, the code, the pointers, the sizes. 0 or a Winsock code.
 */
static int sio_check(SOCKET s, struct sio_req *r)
{
	int err = win_sock_get(s, &r->ws);

	if (!err && !win_sio_known(r->code))
		err = WSAEINVAL;
	if (!err)
		err = sio_check_pointers(r);
	if (!err)
		err = sio_check_redirect(r);
	return err;
}

static int sio_sync(const struct sio_req *r)
{
	size_t result;
	int rc = win_sio_run(r->ws.fd, r->code, r->in, r->in_size, r->out, r->out_size, &result);

	return win_wsa_from_native(rc, r->out_size, result, r->bytes);
}

/*
 * The completion goes to thread (a reference is taken here) when there is
 * a routine; wpu says which interface asked.
 */
static int sio_async(const struct sio_req *r, struct win_thread *thread, bool wpu)
{
	struct win_completion c = {
		.ov = r->ov,
		.routine = r->routine,
		.wpu = wpu,
	};

	/* Not known until completion: the seed page's "may be zero". */
	if (r->bytes)
		*r->bytes = 0;
	if (r->routine) {
		win_lock();
		win_thread_get(thread);
		win_unlock();
		c.thread = thread;
	}
	return win_op_submit(&r->ws, r->code, r->in, r->in_size, r->out, r->out_size, &c);
}

/* The thread a routine of this call runs on, or an error. */
static int routine_thread(const struct sio_req *r, const WSATHREADID *tid, bool wpu,
			  struct win_thread **t)
{
	*t = NULL;
	if (!r->routine)
		return 0;
	if (!wpu) {
		*t = win_thread_self();
		return *t ? 0 : WSAENOBUFS;
	}
	if (!tid || !win_probe_read(tid, sizeof(*tid)))
		return WSAEFAULT;
	*t = win_thread_from_id(tid);
	return *t ? 0 : WSAEINVAL;
}

static int sio_call(SOCKET s, struct sio_req *r, const WSATHREADID *tid, bool wpu)
{
	struct win_thread *t;
	int err = sio_check(s, r);

	if (!err && is_async(r)) {
		err = routine_thread(r, tid, wpu, &t);
		if (!err)
			return sio_async(r, t, wpu);
	}
	if (!err)
		return sio_sync(r);
	/* The error may be this very pointer. */
	if (r->bytes && win_probe_write(r->bytes, sizeof(*r->bytes)))
		*r->bytes = 0;
	return err;
}

LWFP_API int WSAIoctl(SOCKET s, DWORD dwIoControlCode, LPVOID lpvInBuffer, DWORD cbInBuffer,
		      LPVOID lpvOutBuffer, DWORD cbOutBuffer, LPDWORD lpcbBytesReturned,
		      LPWSAOVERLAPPED lpOverlapped,
		      LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine)
{
	struct sio_req r = {
		.code = dwIoControlCode,
		.in = lpvInBuffer,
		.in_size = cbInBuffer,
		.out = lpvOutBuffer,
		.out_size = cbOutBuffer,
		.bytes = lpcbBytesReturned,
		.ov = lpOverlapped,
		.routine = lpCompletionRoutine,
	};
	int saved = errno;
	int err;

	/* winio: SIO_FLUSH and the extension pointers are no engine query. */
	if (win_ws2_code(dwIoControlCode))
		return win_ws2_ioctl(s, dwIoControlCode, lpvInBuffer, cbInBuffer, lpvOutBuffer,
				     cbOutBuffer, lpcbBytesReturned, lpOverlapped,
				     lpCompletionRoutine);
	err = sio_call(s, &r, NULL, false);

	if (err) {
		win_set_error(err);
		return SOCKET_ERROR;
	}
	errno = saved; /* success leaves the last error as it was */
	return 0;
}

LWFP_API int WSPIoctl(SOCKET s, DWORD dwIoControlCode, LPVOID lpvInBuffer, DWORD cbInBuffer,
		      LPVOID lpvOutBuffer, DWORD cbOutBuffer, LPDWORD lpcbBytesReturned,
		      LPWSAOVERLAPPED lpOverlapped,
		      LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine,
		      LPWSATHREADID lpThreadId, LPINT lpErrno)
{
	struct sio_req r = {
		.code = dwIoControlCode,
		.in = lpvInBuffer,
		.in_size = cbInBuffer,
		.out = lpvOutBuffer,
		.out_size = cbOutBuffer,
		.bytes = lpcbBytesReturned,
		.ov = lpOverlapped,
		.routine = lpCompletionRoutine,
	};
	int saved = errno;
	int err;

	/* Nowhere to say why: the bare failure is all a provider can give. */
	if (!win_probe_write(lpErrno, sizeof(*lpErrno)))
		return SOCKET_ERROR;
	err = sio_call(s, &r, lpThreadId, true);
	/* A provider never touches the application's WSAGetLastError(). */
	errno = saved;
	if (err) {
		*lpErrno = err;
		return SOCKET_ERROR;
	}
	return 0;
}
