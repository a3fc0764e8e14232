/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The two address forms lwfp-inspect meets: sockaddrs for the socket calls,
 * struct lwfp_addr for the engine, its parsers and its formatter.
 */
#ifndef LWFP_INSPECT_ADDR_H
#define LWFP_INSPECT_ADDR_H

#include <sys/socket.h>

#include <lwfp/abi.h>

/* "198.18.0.1:80" or "[2001:db8::1]:80" is at most this long, with its NUL. */
#define ADDR_STR_MAX 64

socklen_t addr_to_sockaddr(const struct lwfp_addr *a, struct sockaddr_storage *ss);
/* -EAFNOSUPPORT for anything but AF_INET and AF_INET6. */
int addr_from_sockaddr(const struct sockaddr_storage *ss, struct lwfp_addr *a);
/* "?" when ss is not an IP address. */
void addr_format(const struct sockaddr_storage *ss, char out[ADDR_STR_MAX]);

#endif /* LWFP_INSPECT_ADDR_H */
