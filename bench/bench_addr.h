/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The IPv4 ADDR:PORT arguments of the bench programs (connload, fwdproxy). */
#ifndef LWFP_BENCH_ADDR_H
#define LWFP_BENCH_ADDR_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline int parse_addr(const char *s, struct sockaddr_in *a)
{
	char buf[64], *c;

	snprintf(buf, sizeof(buf), "%s", s);
	c = strrchr(buf, ':');
	if (!c)
		return -1;
	*c = 0;
	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_port = htons((uint16_t)atoi(c + 1));
	return inet_pton(AF_INET, buf, &a->sin_addr) == 1 ? 0 : -1;
}

#endif /* LWFP_BENCH_ADDR_H */
