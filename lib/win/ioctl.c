// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * WSAIoctl and WSPIoctl for SIO_QUERY_WFP_CONNECTION_REDIRECT_RECORDS,
 * SIO_QUERY_WFP_CONNECTION_REDIRECT_CONTEXT and
 * SIO_SET_WFP_CONNECTION_REDIRECT_RECORDS, on top of the codes in native
 * terms (sio.c).
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

#include "lwfp_win_internal.h"

#include "../visibility.h"

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

/* WSAIoctl and WSPIoctl share their first eight parameters. */
static struct sio_req sio_req_of(DWORD code, LPVOID in, DWORD in_size, LPVOID out, DWORD out_size,
				 LPDWORD bytes, LPWSAOVERLAPPED ov,
				 LPWSAOVERLAPPED_COMPLETION_ROUTINE routine)
{
	return (struct sio_req){ .code = code, .in = in, .in_size = in_size, .out = out,
				 .out_size = out_size, .bytes = bytes, .ov = ov, .routine = routine };
}

LWFP_API int WSAIoctl(SOCKET s, DWORD dwIoControlCode, LPVOID lpvInBuffer, DWORD cbInBuffer,
		      LPVOID lpvOutBuffer, DWORD cbOutBuffer, LPDWORD lpcbBytesReturned,
		      LPWSAOVERLAPPED lpOverlapped,
		      LPWSAOVERLAPPED_COMPLETION_ROUTINE lpCompletionRoutine)
{
	struct sio_req r = sio_req_of(dwIoControlCode, lpvInBuffer, cbInBuffer, lpvOutBuffer,
				      cbOutBuffer, lpcbBytesReturned, lpOverlapped,
				      lpCompletionRoutine);
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
	struct sio_req r = sio_req_of(dwIoControlCode, lpvInBuffer, cbInBuffer, lpvOutBuffer,
				      cbOutBuffer, lpcbBytesReturned, lpOverlapped,
				      lpCompletionRoutine);
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
