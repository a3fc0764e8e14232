// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * SIO_QUERY_WFP_CONNECTION_REDIRECT_RECORDS,
 * SIO_QUERY_WFP_CONNECTION_REDIRECT_CONTEXT and
 * SIO_SET_WFP_CONNECTION_REDIRECT_RECORDS in native terms: which codes are
 * known, the checks of their arguments, and one run on an fd. Below
 * ioctl.c (WSAIoctl, WSPIoctl), overlapped.c (the worker runs a pending
 * one) and wsk.c.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <lwfp/lwfp.h>
#include "lwfp_win_internal.h"

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
