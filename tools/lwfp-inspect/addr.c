// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Conversions between sockaddrs and struct lwfp_addr. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include <lwfp/parse.h>

#include "addr.h"

socklen_t addr_to_sockaddr(const struct lwfp_addr *a, struct sockaddr_storage *ss)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	if (a->family == LWFP_AF_INET) {
		sin->sin_family = AF_INET;
		sin->sin_port = a->port;
		sin->sin_addr.s_addr = a->ip[0];
		return sizeof(*sin);
	}
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = a->port;
	memcpy(&sin6->sin6_addr, a->ip, sizeof(sin6->sin6_addr));
	return sizeof(*sin6);
}

int addr_from_sockaddr(const struct sockaddr_storage *ss, struct lwfp_addr *a)
{
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
	const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;

	memset(a, 0, sizeof(*a));
	if (ss->ss_family == AF_INET) {
		a->family = LWFP_AF_INET;
		a->port = sin->sin_port;
		a->ip[0] = sin->sin_addr.s_addr;
		return 0;
	}
	if (ss->ss_family == AF_INET6) {
		a->family = LWFP_AF_INET6;
		a->port = sin6->sin6_port;
		memcpy(a->ip, &sin6->sin6_addr, sizeof(a->ip));
		return 0;
	}
	return -EAFNOSUPPORT;
}

void addr_format(const struct sockaddr_storage *ss, char out[ADDR_STR_MAX])
{
	struct lwfp_addr a;

	if (addr_from_sockaddr(ss, &a) || lwfp_format_addr_port(&a, out, ADDR_STR_MAX))
		snprintf(out, ADDR_STR_MAX, "?");
}
