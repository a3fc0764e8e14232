/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * --block: the flows lwfp-inspect refuses, by host name (a glob matched
 * against the SNI or Host) or by the address prefix of the original
 * destination; --block-unnamed, the flows whose name cannot be read;
 * --block-quic, UDP to port 443. The rules are set before the workers start
 * and only read afterwards, so they need no lock.
 */
#ifndef LWFP_INSPECT_BLOCK_H
#define LWFP_INSPECT_BLOCK_H

#include <stdbool.h>
#include <stddef.h>

#include <lwfp/abi.h>

/* A prefix ("198.18.0.0/15", "2001:db8::1") or a host glob ("*.example.com"). */
int block_add(const char *arg, char *err, size_t size);
void block_free(void);

/* --block-unnamed and --block-quic. */
void block_unnamed(void);
void block_quic(void);

/* Whether any rule needs the host name, and so the peek at the first bytes. */
bool block_has_host_rules(void);

/* The --block argument that refuses this flow, or NULL. */
const char *block_match_addr(const struct lwfp_addr *dst);
const char *block_match_host(const char *name);
/* For a flow whose name cannot be read: "--block-unnamed" or NULL. */
const char *block_match_unnamed(void);
/* For a UDP flow: "--block-quic" when it goes to port 443, or NULL. */
const char *block_match_quic(const struct lwfp_addr *dst);

#endif /* LWFP_INSPECT_BLOCK_H */
