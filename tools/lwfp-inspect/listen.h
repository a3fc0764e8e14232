/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The listening sockets: one per --listen address in every worker. */
#ifndef LWFP_INSPECT_LISTEN_H
#define LWFP_INSPECT_LISTEN_H

#include <stdbool.h>
#include <stdint.h>

#include <lwfp/abi.h>

/*
 * Checks that nobody else listens at a: with SO_REUSEPORT a second
 * lwfp-inspect (or anything of the same user) would otherwise share the port
 * silently and take part of the flows. 0 or -errno.
 */
int listen_probe(const struct lwfp_addr *a);

/* A non-blocking SO_REUSEPORT listening socket at a, in *fd; 0 or -errno. */
int listen_open(const struct lwfp_addr *a, int *fd);

/*
 * UDP: a socket bound to the wildcard 0.0.0.0:port or, with v6, [::]:port
 * (host order), because every UDP flow arrives on its own address of
 * 127.128.0.0/9 or of its IPv6 form (udp.h). SO_REUSEADDR, so that the
 * flows' own sockets can bind beside it, and SO_REUSEPORT, so that each
 * worker has one; IP_PKTINFO or IPV6_RECVPKTINFO tells the flow.
 */
int udp_listen_open(uint16_t port, bool v6, int *fd);
/* Whether the port is free for UDP: bound without either reuse option. */
int udp_listen_probe(uint16_t port);

/*
 * Registers a listening or wildcard UDP socket for the service with this
 * handle (lwfp_register_listener): the engine redirects only to registered
 * listeners. A socket bound by a process of the service is registered
 * already, so this matters for sockets bound before --register added the
 * service. Handle 0 does nothing. A failure is reported once, not fatal:
 * an engine without LWFP_SO_LISTENER sends flows to any listener.
 */
void listen_register(int fd, uint32_t handle);

#endif /* LWFP_INSPECT_LISTEN_H */
