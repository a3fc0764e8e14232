// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Winsock errors: WSAGetLastError/WSASetLastError, and DESIGN §4's error
 * table from the native column to the WSAIoctl and WSK columns.
 *
 * errno is the one last-error slot, as GetLastError is on Windows, so that
 * a plain socket call (connect, recv, ...) that fails between two compat
 * calls is what WSAGetLastError reports. A compat call stores its code in a
 * thread-local variable and puts a marker in errno that no kernel errno
 * uses; any later failing libc call overwrites the marker.
 */
#include <errno.h>
#include <stddef.h>

#include "lwfp_win_internal.h"

#include "../visibility.h"

#define WIN_ERRNO_MARK 0x57534100 /* "WSA\0": far above every Linux errno */

static __thread int last_error;

void win_set_error(int err)
{
	last_error = err;
	errno = err ? WIN_ERRNO_MARK : 0;
}

static const struct {
	int err;
	int wsa;
} errno_map[] = {
	{ EINTR, WSAEINTR },
	{ EBADF, WSAENOTSOCK }, /* a SOCKET that is not open is not a socket */
	{ EACCES, WSAEACCES },
	{ EPERM, WSAEACCES },
	{ EFAULT, WSAEFAULT },
	{ EINVAL, WSAEINVAL },
	{ EMFILE, WSAEMFILE },
	{ ENFILE, WSAEMFILE },
	{ EAGAIN, WSAEWOULDBLOCK },
	{ EINPROGRESS, WSAEWOULDBLOCK }, /* Windows' non-blocking connect */
	{ EALREADY, WSAEALREADY },
	{ ENOTSOCK, WSAENOTSOCK },
	{ EDESTADDRREQ, WSAEDESTADDRREQ },
	{ EMSGSIZE, WSAEMSGSIZE },
	{ EPROTOTYPE, WSAEPROTOTYPE },
	{ ENOPROTOOPT, WSAENOPROTOOPT },
	{ EPROTONOSUPPORT, WSAEPROTONOSUPPORT },
	{ ESOCKTNOSUPPORT, WSAESOCKTNOSUPPORT },
	{ EOPNOTSUPP, WSAEOPNOTSUPP },
	{ EPFNOSUPPORT, WSAEPFNOSUPPORT },
	{ EAFNOSUPPORT, WSAEAFNOSUPPORT },
	{ EADDRINUSE, WSAEADDRINUSE },
	{ EADDRNOTAVAIL, WSAEADDRNOTAVAIL },
	{ ENETDOWN, WSAENETDOWN },
	{ ENETUNREACH, WSAENETUNREACH },
	{ ENETRESET, WSAENETRESET },
	{ ECONNABORTED, WSAECONNABORTED },
	{ ECONNRESET, WSAECONNRESET },
	{ EPIPE, WSAECONNRESET }, /* the peer went away: no SIGPIPE on Windows */
	{ ENOBUFS, WSAENOBUFS },
	{ ENOMEM, WSAENOBUFS },
	{ EISCONN, WSAEISCONN },
	{ ENOTCONN, WSAENOTCONN },
	{ ESHUTDOWN, WSAESHUTDOWN },
	{ ETOOMANYREFS, WSAETOOMANYREFS },
	{ ETIMEDOUT, WSAETIMEDOUT },
	{ ECONNREFUSED, WSAECONNREFUSED },
	{ ELOOP, WSAELOOP },
	{ ENAMETOOLONG, WSAENAMETOOLONG },
	{ EHOSTDOWN, WSAEHOSTDOWN },
	{ EHOSTUNREACH, WSAEHOSTUNREACH },
	{ ENOTEMPTY, WSAENOTEMPTY },
	{ EUSERS, WSAEUSERS },
	{ EDQUOT, WSAEDQUOT },
	{ ESTALE, WSAESTALE },
	{ EREMOTE, WSAEREMOTE },
};

int win_errno_to_wsa(int err)
{
	size_t i;

	if (!err)
		return 0;
	for (i = 0; i < sizeof(errno_map) / sizeof(errno_map[0]); i++)
		if (errno_map[i].err == err)
			return errno_map[i].wsa;
	return WSASYSCALLFAILURE;
}

LWFP_API int WSAGetLastError(void)
{
	int err = errno;

	if (err == WIN_ERRNO_MARK)
		return last_error;
	return win_errno_to_wsa(err);
}

LWFP_API void WSASetLastError(int iError)
{
	win_set_error(iError);
}

/*
 * The WSAIoctl column. The size rows follow the two seed pages at once: a
 * size probe (0) and a buffer of at least a ULONG get
 * ERROR_INSUFFICIENT_BUFFER with the size needed, while 1 to 3 bytes is the
 * user-mode page's WSAEINVAL with 0.
 */
int win_wsa_from_native(int rc, size_t out_size, size_t result, DWORD *bytes)
{
	*bytes = 0;
	switch (-rc) {
	case 0:
		*bytes = (DWORD)result;
		return 0;
	case ERANGE:
		if (out_size > 0 && out_size < sizeof(ULONG))
			return WSAEINVAL;
		*bytes = (DWORD)result;
		return ERROR_INSUFFICIENT_BUFFER;
	case EOVERFLOW:
		return ERROR_ARITHMETIC_OVERFLOW;
	case ENOENT:
		return ERROR_NOT_FOUND;
	}
	return win_errno_to_wsa(-rc);
}

NTSTATUS win_status_from_native(int rc)
{
	switch (-rc) {
	case 0:
		return STATUS_SUCCESS;
	case ERANGE:
		return STATUS_BUFFER_TOO_SMALL;
	case EOVERFLOW:
		return STATUS_INTEGER_OVERFLOW;
	case ENOENT:
		return STATUS_NOT_FOUND;
	case EACCES:
	case EPERM:
		return STATUS_ACCESS_DENIED;
	case EINVAL:
		return STATUS_INVALID_PARAMETER;
	case ENOTSOCK:
	case EBADF:
		return STATUS_INVALID_HANDLE;
	case ENOTCONN:
		return STATUS_INVALID_CONNECTION;
	case ENOPROTOOPT:
	case EOPNOTSUPP:
		return STATUS_NOT_SUPPORTED;
	case EFAULT:
		return STATUS_ACCESS_VIOLATION;
	case EINTR:
		return STATUS_CANCELLED; /* the table has no WSK row: a wait cut short */
	case EISCONN:
		return STATUS_CONNECTION_ACTIVE;
	case ENOMEM:
	case ENOBUFS:
		return STATUS_INSUFFICIENT_RESOURCES;
	}
	return STATUS_UNSUCCESSFUL;
}

/*
 * Only HasOverlappedIoCompleted reads Internal (WSAGetOverlappedResult has
 * the exact Winsock code), so a failure need not say more than its class.
 */
NTSTATUS win_status_from_wsa(int err)
{
	switch (err) {
	case 0:
		return STATUS_SUCCESS;
	case WSA_OPERATION_ABORTED:
		return STATUS_CANCELLED;
	case ERROR_INSUFFICIENT_BUFFER:
		return STATUS_BUFFER_TOO_SMALL;
	case ERROR_NOT_FOUND:
		return STATUS_NOT_FOUND;
	case ERROR_ARITHMETIC_OVERFLOW:
		return STATUS_INTEGER_OVERFLOW;
	case WSAEACCES:
		return STATUS_ACCESS_DENIED;
	case WSAEINVAL:
		return STATUS_INVALID_PARAMETER;
	case WSAENOTSOCK:
		return STATUS_INVALID_HANDLE;
	case WSAENOTCONN:
		return STATUS_INVALID_CONNECTION;
	case WSAENOPROTOOPT:
	case WSAEOPNOTSUPP:
		return STATUS_NOT_SUPPORTED;
	case WSAEFAULT:
		return STATUS_ACCESS_VIOLATION;
	}
	return STATUS_UNSUCCESSFUL;
}
