// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * WSAIoctl's Winsock 2 codes that are no engine query: SIO_FLUSH and
 * SIO_GET_EXTENSION_FUNCTION_POINTER (extension.c finds the pointers).
 *
 * SIO_FLUSH "discards current contents of the sending queue". Linux has no
 * way to discard what the kernel already holds, and what the layer still
 * holds are overlapped sends the application was told are under way, so
 * nothing is discarded: the call waits, as Windows may, until every
 * overlapped send queued before it on the socket has gone to the kernel
 * (or failed, or was aborted). Overlapped, it is a transfer queued behind
 * those sends that completes with 0 bytes when they have.
 */
#include <errno.h>
#include <stdlib.h>

#include "lwfp_win_internal.h"

#include "../visibility.h"

bool win_ws2_code(DWORD code)
{
	return code == SIO_FLUSH || code == SIO_GET_EXTENSION_FUNCTION_POINTER;
}

static bool flush_attempt(struct win_xfer *x)
{
	x->err = 0;
	x->bytes = 0;
	return true;
}

static int flush_wait(const struct win_sock *ws)
{
	int err = win_blocking_enter();

	if (err)
		return err;
	win_lock();
	while (win_xfer_queued(ws, true))
		win_wait(NULL);
	win_unlock();
	win_blocking_leave();
	return 0;
}

int win_flush(const struct win_sock *ws, LPDWORD bytes, struct win_completion *c)
{
	struct win_xfer *x;
	DWORD n, flags;

	if (bytes)
		*bytes = 0;
	if (!c)
		return flush_wait(ws);
	x = calloc(1, sizeof(*x));
	if (!x) {
		win_completion_drop(c);
		return WSAENOBUFS;
	}
	*x = (struct win_xfer){ .ws = *ws, .out = true, .attempt = flush_attempt };
	return win_xfer_submit(x, c, &n, &flags);
}

/* Either code, with c NULL for a synchronous call. */
static int ws2_run(const struct win_sock *ws, DWORD code, LPVOID in, DWORD in_size, LPVOID out,
		   DWORD out_size, LPDWORD bytes, struct win_completion *c)
{
	DWORD n = 0;
	int err;

	if (code == SIO_FLUSH)
		return win_flush(ws, bytes, c);
	err = win_extension(in, in_size, out, out_size, &n);
	if (bytes)
		*bytes = n;
	if (err || !c) {
		if (c)
			win_completion_drop(c);
		return err;
	}
	return win_complete_now(c, 0, n);
}

static int ws2_call(SOCKET s, DWORD code, LPVOID in, DWORD in_size, LPVOID out, DWORD out_size,
		    LPDWORD bytes, LPWSAOVERLAPPED ov, LPWSAOVERLAPPED_COMPLETION_ROUTINE routine)
{
	struct win_completion c;
	struct win_sock ws;
	bool async;
	int err = win_sock_get(s, &ws);

	if (err)
		return err;
	async = ov && ws.overlapped;
	if (bytes ? !win_probe_write(bytes, sizeof(*bytes)) : !async)
		return WSAEFAULT;
	if (!async)
		return ws2_run(&ws, code, in, in_size, out, out_size, bytes, NULL);
	err = win_completion_init(&c, ov, routine);
	if (err)
		return err;
	return ws2_run(&ws, code, in, in_size, out, out_size, bytes, &c);
}

int win_ws2_ioctl(SOCKET s, DWORD code, LPVOID in, DWORD in_size, LPVOID out, DWORD out_size,
		  LPDWORD bytes, LPWSAOVERLAPPED ov, LPWSAOVERLAPPED_COMPLETION_ROUTINE routine)
{
	int saved = errno;
	int err = ws2_call(s, code, in, in_size, out, out_size, bytes, ov, routine);

	if (err) {
		win_set_error(err);
		return SOCKET_ERROR;
	}
	errno = saved;
	return 0;
}
