/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * bind4/bind6. A flow address names a flow to the engine: the socket bound
 * there is trusted to be the proxy's per-flow socket (queries answer it,
 * replies from it reach the application as its original destination, and
 * classification skips it). So only the service the flow was delivered to
 * may bind one, and only at the flow's target port; everyone else is
 * refused, whatever IP_FREEBIND or SO_REUSEADDR say. Any other bind by a
 * service's process makes the socket a listener of that service
 * (listener.h).
 */
#pragma once

#include "common.h"
#include "identity.h"
#include "listener.h"
#include "sockflow.h"
#include "udp_addr.h"

static __always_inline int bind_flow_addr(struct bpf_sock_addr *ctx, __u32 addr)
{
	__u64 token = udp_addr_token(bpf_get_netns_cookie(ctx), addr);
	struct lwfp_flow *f = token ? bpf_map_lookup_elem(&lwfp_flows, &token) : NULL;
	struct lwfp_sk *st;

	if (ctx->protocol != IPPROTO_UDP || !f || f->proto != IPPROTO_UDP ||
	    (__u16)ctx->user_port != f->target.port || !id_caller_is(f->service))
		return lwfp_refuse(LWFP_CNT_BIND_REFUSED, EPERM);
	st = sock_state(ctx->sk, true);
	if (!st)
		return lwfp_refuse(LWFP_CNT_FLOW_ERROR, ENOBUFS);
	st->role = LWFP_SK_FLOW;
	st->token = token;
	st->udp_addr = addr;
	return 1;
}

static __always_inline int bind_check(struct bpf_sock_addr *ctx, const bool v6)
{
	__u32 addr = udp_addr_of_ctx(ctx, v6, false);

	if (addr)
		return bind_flow_addr(ctx, addr);
	if (ctx->protocol == IPPROTO_UDP && ctx->user_port &&
	    listener_udp_port_taken(ctx, (__u16)ctx->user_port))
		return lwfp_refuse(LWFP_CNT_BIND_REFUSED, EADDRINUSE);
	listener_mark(ctx->sk);
	return 1;
}
