// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The native socket API: SOL_LWFP options plus the size and error rules of
 * DESIGN §4. The kernel always answers into a full-size buffer here, so the
 * size arithmetic is done once, in user space, whatever the caller passed.
 */
#include <errno.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <lwfp/lwfp.h>

#include "internal.h"

/*
 * Only TCP and UDP over IPv4/IPv6 carry redirect state. The engine checks
 * that itself, so this runs only to explain a failed SOL_LWFP call: two
 * syscalls saved on every query of a proxy's hot path.
 */
static int check_socket(int fd)
{
	int domain, type;
	socklen_t len = sizeof(domain);

	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len))
		return -errno;
	len = sizeof(type);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len))
		return -errno;
	if (domain != AF_INET && domain != AF_INET6)
		return -ENOPROTOOPT;
	if (type != SOCK_STREAM && type != SOCK_DGRAM)
		return -ENOPROTOOPT;
	return 0;
}

/*
 * The error of a failed SOL_LWFP call: the socket's own, or, without an
 * engine on the socket's cgroup (the kernel itself says ENOPROTOOPT),
 * EOPNOTSUPP.
 */
static int lwfp_error(int fd, int err)
{
	int bad = check_socket(fd);

	if (bad)
		return bad;
	return err == ENOPROTOOPT ? -EOPNOTSUPP : -err;
}

/* getsockopt(SOL_LWFP, name): what the BPF program lwfp_getsockopt answers. */
static int sol_lwfp_get(int fd, int name, void *buf, socklen_t *len)
{
	if (!getsockopt(fd, SOL_LWFP, name, buf, len))
		return 0;
	return lwfp_error(fd, errno);
}

/*
 * The kernel copies the option buffer in and out on every call, so each
 * query asks with what its whole answer can need (max), no more.
 */
static int query_sized(int fd, int name, void *buf, size_t size, size_t *returned,
		       socklen_t max)
{
	uint8_t tmp[LWFP_REDIRECT_INFO_MAX];
	socklen_t len = max;
	int err;

	if (!returned || (size && !buf))
		return -EINVAL;
	if (size && (uintptr_t)buf + size < (uintptr_t)buf)
		return -EOVERFLOW;
	err = sol_lwfp_get(fd, name, tmp, &len);
	if (err)
		return err;
	*returned = len;
	if (size < len)
		return -ERANGE;
	memcpy(buf, tmp, len);
	return 0;
}

LWFP_API int lwfp_query_redirect_records(int fd, void *buf, size_t size, size_t *returned)
{
	return query_sized(fd, LWFP_SO_RECORDS, buf, size, returned, LWFP_CONTEXT_MAX);
}

LWFP_API int lwfp_query_redirect_context(int fd, void *buf, size_t size, size_t *returned)
{
	return query_sized(fd, LWFP_SO_CONTEXT, buf, size, returned, LWFP_CONTEXT_MAX);
}

LWFP_API int lwfp_query_redirect(int fd, void *buf, size_t size, size_t *returned)
{
	return query_sized(fd, LWFP_SO_REDIRECT, buf, size, returned, LWFP_REDIRECT_INFO_MAX);
}

LWFP_API int lwfp_set_redirect_records(int fd, const void *records, size_t size)
{
	if (!records || !size)
		return -EINVAL;
	if (size > LWFP_RECORDS_MAX)
		return -EINVAL;
	if (!setsockopt(fd, SOL_LWFP, LWFP_SO_RECORDS, records, size))
		return 0;
	return lwfp_error(fd, errno);
}

LWFP_API int lwfp_register_listener(int fd, uint32_t service_handle)
{
	if (!service_handle)
		return -EINVAL;
	if (!setsockopt(fd, SOL_LWFP, LWFP_SO_LISTENER, &service_handle, sizeof(service_handle)))
		return 0;
	return lwfp_error(fd, errno);
}

static void to_sockaddr(const struct lwfp_addr *a, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = a->port;
		sin->sin_addr.s_addr = a->ip[0];
		return;
	}
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = a->port;
	memcpy(&sin6->sin6_addr, a->ip, 16);
}

LWFP_API int lwfp_query_original_destination(int fd, struct sockaddr_storage *dst)
{
	struct lwfp_addr a;
	socklen_t len = sizeof(a);
	int err;

	if (!dst)
		return -EINVAL;
	err = sol_lwfp_get(fd, LWFP_SO_ORIGINAL_DST, &a, &len);
	if (err)
		return err;
	if (len != sizeof(a) || (a.family != AF_INET && a.family != AF_INET6))
		return -EPROTO;
	to_sockaddr(&a, dst);
	return 0;
}

/* The answer's header, if it is one: later versions only grow it. */
static bool info_head(const void *info, size_t len, struct lwfp_redirect_info *h)
{
	if (!info || len < sizeof(*h))
		return false;
	memcpy(h, info, sizeof(*h));
	return h->version >= 1 && h->hdr_size >= sizeof(*h) && h->size <= len;
}

LWFP_API const void *lwfp_redirect_part(const void *info, size_t len,
					enum lwfp_redirect_part part, size_t *part_len)
{
	struct lwfp_redirect_info h;
	uint32_t off, n;

	if (!part_len)
		return NULL;
	*part_len = 0;
	if (!info_head(info, len, &h))
		return NULL;
	switch (part) {
	case LWFP_REDIRECT_PART_DST:
		off = h.dst_off, n = h.dst_len;
		break;
	case LWFP_REDIRECT_PART_CONTEXT:
		off = h.context_off, n = h.context_len;
		break;
	case LWFP_REDIRECT_PART_RECORDS:
		off = h.records_off, n = h.records_len;
		break;
	default:
		return NULL;
	}
	if (!n || off < h.hdr_size || off > h.size || n > h.size - off)
		return NULL;
	*part_len = n;
	return (const uint8_t *)info + off;
}

LWFP_API int lwfp_redirect_destination(const void *info, size_t len, struct sockaddr_storage *dst)
{
	const void *p;
	struct lwfp_addr a;
	size_t n;

	if (!dst)
		return -EINVAL;
	p = lwfp_redirect_part(info, len, LWFP_REDIRECT_PART_DST, &n);
	if (!p || n < sizeof(a))
		return -EPROTO;
	memcpy(&a, p, sizeof(a));
	if (a.family != AF_INET && a.family != AF_INET6)
		return -EPROTO;
	to_sockaddr(&a, dst);
	return 0;
}

LWFP_API int lwfp_query_redirect_state(int fd, uint32_t service_handle)
{
	uint32_t v = 0;
	socklen_t len = sizeof(v);
	int err;

	/*
	 * Handles are small; one too large for the optname names no service,
	 * and handle 0 (never assigned) answers for it exactly.
	 */
	if (service_handle > 0xfffff)
		service_handle = 0;
	err = sol_lwfp_get(fd, LWFP_SO_STATE(service_handle), &v, &len);
	if (err)
		return err;
	if (len != sizeof(v) || v > LWFP_PREVIOUSLY_REDIRECTED_BY_SELF)
		return -EPROTO;
	return (int)v;
}

LWFP_API const char *lwfp_redirect_state_str(int state)
{
	switch (state) {
	case LWFP_NOT_REDIRECTED:
		return "not_redirected";
	case LWFP_REDIRECTED_BY_SELF:
		return "redirected_by_self";
	case LWFP_REDIRECTED_BY_OTHER:
		return "redirected_by_other";
	case LWFP_PREVIOUSLY_REDIRECTED_BY_SELF:
		return "previously_redirected_by_self";
	}
	return "invalid";
}
