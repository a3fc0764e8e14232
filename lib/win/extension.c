// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * SIO_GET_EXTENSION_FUNCTION_POINTER: the GUID in, the function pointer
 * out; and setsockopt, for the two context options the extensions ask
 * their callers to set (connectex.c and acceptex.c hold the functions).
 */
#include <errno.h>
#include <string.h>

#include "lwfp_win_internal.h"
#include <lwfp/win/mswsock.h>

#include "../visibility.h"

/* void (*)(void): the one function type any other may be cast through. */
typedef void (*win_fn)(void);

static const struct {
	GUID id;
	win_fn fn;
} extensions[] = {
	{ WSAID_CONNECTEX, (win_fn)win_connectex },
	{ WSAID_ACCEPTEX, (win_fn)AcceptEx },
	{ WSAID_GETACCEPTEXSOCKADDRS, (win_fn)GetAcceptExSockaddrs },
	{ WSAID_WSARECVMSG, (win_fn)WSARecvMsg },
	{ WSAID_WSASENDMSG, (win_fn)WSASendMsg },
};

int win_extension(const void *in, DWORD in_size, void *out, DWORD out_size, LPDWORD bytes)
{
	size_t i;

	*bytes = 0;
	if (in_size != sizeof(GUID) || out_size < sizeof(win_fn))
		return WSAEFAULT;
	if (!win_probe_read(in, sizeof(GUID)) || !win_probe_write(out, sizeof(win_fn)))
		return WSAEFAULT;
	for (i = 0; i < sizeof(extensions) / sizeof(extensions[0]); i++) {
		if (memcmp(&extensions[i].id, in, sizeof(GUID)))
			continue;
		memcpy(out, &extensions[i].fn, sizeof(win_fn));
		*bytes = sizeof(win_fn);
		return 0;
	}
	return WSAEINVAL;
}

static int fail_int(int err)
{
	win_set_error(err);
	return SOCKET_ERROR;
}

LWFP_API int lwfp_win_setsockopt(SOCKET s, int level, int optname, const char *optval,
				 int optlen)
{
	struct win_sock ws;
	int err = win_sock_get(s, &ws);

	if (err)
		return fail_int(err);
	if (optlen < 0 || (optlen && !win_probe_read(optval, (size_t)optlen)))
		return fail_int(WSAEFAULT);
	if (level == SOL_SOCKET &&
	    (optname == SO_UPDATE_ACCEPT_CONTEXT || optname == SO_UPDATE_CONNECT_CONTEXT))
		return 0;
	if (setsockopt(ws.fd, level, optname, optval, (socklen_t)optlen))
		return fail_int(win_errno_to_wsa(errno));
	return 0;
}
