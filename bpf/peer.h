/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Transparency: getpeername() on the application's socket shows its original peer. */
#pragma once

#include "common.h"
#include "sockaddr.h"
#include "sockflow.h"

/* The original destination of the hop this socket connected as, or NULL. */
static __always_inline const struct lwfp_addr *peer_orig(struct bpf_sock_addr *ctx)
{
	struct lwfp_sk *st = sock_state(ctx->sk, false);
	struct lwfp_flow *f;

	if (!st || st->role != LWFP_SK_CONNECT || !st->token)
		return NULL;
	f = bpf_map_lookup_elem(&lwfp_flows, &st->token);
	return f ? &f->orig_dst : NULL;
}

/* getpeername4/6: an IPv6 peer stays hidden from an AF_INET socket's answer. */
static __always_inline int peer_show(struct bpf_sock_addr *ctx, const bool v6)
{
	const struct lwfp_addr *o = peer_orig(ctx);

	if (o && sa_fits(o, v6))
		sa_put(ctx, o, v6);
	return 1;
}
