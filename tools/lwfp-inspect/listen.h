/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The listening sockets: one per --listen address in every worker. */
#ifndef LWFP_INSPECT_LISTEN_H
#define LWFP_INSPECT_LISTEN_H

#include <lwfp/abi.h>

/*
 * Checks that nobody else listens at a: with SO_REUSEPORT a second
 * lwfp-inspect (or anything of the same user) would otherwise share the port
 * silently and take part of the flows. 0 or -errno.
 */
int listen_probe(const struct lwfp_addr *a);

/* A non-blocking SO_REUSEPORT listening socket at a, in *fd; 0 or -errno. */
int listen_open(const struct lwfp_addr *a, int *fd);

#endif /* LWFP_INSPECT_LISTEN_H */
