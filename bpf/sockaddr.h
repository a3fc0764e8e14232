/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The address argument of a sock_addr hook (connect, sendmsg, recvmsg,
 * bind, getpeername): user_ip4 or user_ip6 with user_port. Every hook that
 * shows a socket another address (a redirect's target, a reply's or a
 * peer's original address) writes it here, so an AF_INET6 socket always
 * sees an IPv4 address in the same v4-mapped form.
 */
#pragma once

#include "common.h"

/*
 * Copies an IPv6 address out of a context (user_ip6, msg_src_ip6) word by
 * word: the verifier allows only 4-byte loads of those fields.
 */
static __always_inline void sa_ip6_read(__u32 out[4], const __u32 *in)
{
	out[0] = in[0];
	out[1] = in[1];
	out[2] = in[2];
	out[3] = in[3];
}

/* Can the socket be shown a: an AF_INET one IPv4 only, an AF_INET6 one either. */
static __always_inline bool sa_fits(const struct lwfp_addr *a, const bool v6)
{
	return a->family == AF_INET || (v6 && a->family == AF_INET6);
}

/* Writes a into the hook's argument; sa_fits() says whether the socket takes it. */
static __always_inline void sa_put(struct bpf_sock_addr *ctx, const struct lwfp_addr *a,
				   const bool v6)
{
	ctx->user_port = a->port;
	/* v6 is a constant: the IPv4 programs must not even mention user_ip6. */
	if (!v6) {
		ctx->user_ip4 = a->ip[0];
		return;
	}
	if (a->family == AF_INET) {
		ctx->user_ip6[0] = 0;
		ctx->user_ip6[1] = 0;
		ctx->user_ip6[2] = bpf_htonl(0xffff);
		ctx->user_ip6[3] = a->ip[0];
		return;
	}
	ctx->user_ip6[0] = a->ip[0];
	ctx->user_ip6[1] = a->ip[1];
	ctx->user_ip6[2] = a->ip[2];
	ctx->user_ip6[3] = a->ip[3];
}
