/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Address and records helpers shared by the test programs in tests/relay.
 * The Makefile links each of those programs from its one .c file, so what
 * they share lives here as static inline functions rather than in a .c file
 * of its own.
 */
#ifndef LWFP_TESTS_RELAY_COMMON_H
#define LWFP_TESTS_RELAY_COMMON_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <lwfp/lwfp.h>

#include "relay_io.h"

/* An engine address (struct lwfp_addr) as a sockaddr; 0 or -1. */
static inline int lwfp_addr_to_sockaddr(const struct lwfp_addr *a, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == LWFP_AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = a->ip[0];
		sin->sin_port = a->port;
		return 0;
	}
	if (a->family == LWFP_AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, a->ip, 16);
		sin6->sin6_port = a->port;
		return 0;
	}
	return -1;
}

/* Same address and port; a v4-mapped IPv6 address equals its IPv4 form. */
static inline bool same_sockaddr(const struct sockaddr_storage *a,
				 const struct sockaddr_storage *b)
{
	uint8_t ip[2][16];
	uint16_t port[2];
	const struct sockaddr_storage *x[2] = { a, b };

	for (int i = 0; i < 2; i++) {
		if (x[i]->ss_family == AF_INET) {
			const struct sockaddr_in *sin = (const struct sockaddr_in *)x[i];

			memset(ip[i], 0, 10);
			ip[i][10] = ip[i][11] = 0xff;
			memcpy(ip[i] + 12, &sin->sin_addr, 4);
			port[i] = sin->sin_port;
		} else if (x[i]->ss_family == AF_INET6) {
			const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)x[i];

			memcpy(ip[i], &sin6->sin6_addr, 16);
			port[i] = sin6->sin6_port;
		} else {
			return false;
		}
	}
	return port[0] == port[1] && memcmp(ip[0], ip[1], 16) == 0;
}

/* The hop list of a records blob; the number of hops or -1 if malformed. */
static inline int decode_records(const void *buf, size_t len, struct lwfp_records *rec)
{
	memset(rec, 0, sizeof(*rec));
	if (len < LWFP_RECORDS_HDR_SIZE)
		return -1;
	memcpy(rec, buf, len < sizeof(*rec) ? len : sizeof(*rec));
	if (rec->magic != LWFP_RECORDS_MAGIC || rec->version != LWFP_RECORDS_VERSION ||
	    rec->nhops > LWFP_MAX_HOPS || len < LWFP_RECORDS_SIZE(rec->nhops))
		return -1;
	return rec->nhops;
}

#endif /* LWFP_TESTS_RELAY_COMMON_H */
