/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Transparency: getpeername() on the application's socket shows its original peer. */
#pragma once

#include "common.h"
#include "records.h"

/* The original destination of the hop this socket connected as, or NULL. */
static __always_inline const struct lwfp_addr *peer_orig(struct bpf_sock_addr *ctx)
{
	struct lwfp_sk *st = sk_state(ctx->sk, false);
	struct lwfp_flow *f;

	if (!st || st->role != LWFP_SK_CONNECT || !st->token)
		return NULL;
	f = bpf_map_lookup_elem(&lwfp_flows, &st->token);
	return f ? &f->orig_dst : NULL;
}

static __always_inline int peer4(struct bpf_sock_addr *ctx)
{
	const struct lwfp_addr *o = peer_orig(ctx);

	if (!o || o->family != AF_INET)
		return 1;
	ctx->user_ip4 = o->ip[0];
	ctx->user_port = o->port;
	return 1;
}

static __always_inline int peer6(struct bpf_sock_addr *ctx)
{
	const struct lwfp_addr *o = peer_orig(ctx);

	if (!o)
		return 1;
	if (o->family == AF_INET) {
		ctx->user_ip6[0] = 0;
		ctx->user_ip6[1] = 0;
		ctx->user_ip6[2] = bpf_htonl(0xffff);
		ctx->user_ip6[3] = o->ip[0];
	} else if (o->family == AF_INET6) {
		ctx->user_ip6[0] = o->ip[0];
		ctx->user_ip6[1] = o->ip[1];
		ctx->user_ip6[2] = o->ip[2];
		ctx->user_ip6[3] = o->ip[3];
	} else {
		return 1;
	}
	ctx->user_port = o->port;
	return 1;
}
