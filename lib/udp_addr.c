// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The addresses of UDP flows, in the two forms a proxy meets (abi.h). */
#include <netinet/in.h>
#include <string.h>

#include <lwfp/lwfp.h>

#include "internal.h"

static uint32_t number_v4(uint32_t ip)
{
	return (ntohl(ip) & LWFP_UDP_MASK) == LWFP_UDP_NET ? ip : 0;
}

LWFP_API uint32_t lwfp_udp_flow_number(int family, const void *addr)
{
	uint32_t w[4];

	if (!addr)
		return 0;
	if (family == AF_INET) {
		memcpy(w, addr, sizeof(w[0]));
		return number_v4(w[0]);
	}
	if (family != AF_INET6)
		return 0;
	memcpy(w, addr, sizeof(w));
	if (IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)w))
		return number_v4(w[3]);
	if (w[0] != htonl(LWFP_UDP6_NET0) || w[1] != htonl(LWFP_UDP6_NET1) || w[2])
		return 0;
	return number_v4(w[3]);
}

LWFP_API socklen_t lwfp_udp_flow_sockaddr(uint32_t number, int family, uint16_t port,
					  struct sockaddr_storage *ss)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	uint32_t w[4] = { htonl(LWFP_UDP6_NET0), htonl(LWFP_UDP6_NET1), 0, number };

	if (!ss || (family != AF_INET && family != AF_INET6))
		return 0;
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET6) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = port;
		memcpy(&sin6->sin6_addr, w, sizeof(w));
		return sizeof(*sin6);
	}
	sin->sin_family = AF_INET;
	sin->sin_port = port;
	sin->sin_addr.s_addr = number;
	return sizeof(*sin);
}
