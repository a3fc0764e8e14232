/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Service listeners. A redirect hands a flow, its payload and its context to
 * whatever listens at the target, so it goes only to a socket of the
 * filter's service: one its process bound, or one it registered
 * (LWFP_SO_LISTENER). Anyone may listen on a free loopback port while the
 * proxy is down; such a squatter gets the filter's fail mode instead.
 */
#pragma once

#include "common.h"
#include "identity.h"
#include "sockflow.h"
#include "udp_addr.h"

/*
 * The socket a connect (TCP) or a flow's first datagram (UDP) would reach
 * at the target, in the caller's network namespace. For UDP the probe is
 * the flow range's address 0, never handed out: what the proxy's wildcard
 * socket receives for every flow, and no per-flow socket is bound there.
 * The tuple lives in lwfp_tuple_scratch (maps.h), not on the stack.
 */
static __always_inline struct bpf_sock *listener_lookup(struct bpf_sock_addr *ctx,
							const struct lwfp_addr *t,
							__u8 proto, bool native6)
{
	__u32 zero = 0, len = sizeof(struct bpf_sock_tuple);
	struct bpf_sock_tuple *tup = bpf_map_lookup_elem(&lwfp_tuple_scratch, &zero);

	if (!tup)
		return NULL;
	__builtin_memset(tup, 0, sizeof(*tup));
	if (proto == IPPROTO_UDP && native6) {
		tup->ipv6.daddr[0] = tup->ipv6.saddr[0] = bpf_htonl(LWFP_UDP6_NET0);
		tup->ipv6.daddr[1] = tup->ipv6.saddr[1] = bpf_htonl(LWFP_UDP6_NET1);
		tup->ipv6.daddr[3] = tup->ipv6.saddr[3] = bpf_htonl(LWFP_UDP_NET);
		tup->ipv6.dport = t->port;
		return bpf_sk_lookup_udp(ctx, tup, len, BPF_F_CURRENT_NETNS, 0);
	}
	if (proto == IPPROTO_UDP) {
		tup->ipv4.daddr = tup->ipv4.saddr = bpf_htonl(LWFP_UDP_NET);
		tup->ipv4.dport = t->port;
		return bpf_sk_lookup_udp(ctx, tup, sizeof(tup->ipv4), BPF_F_CURRENT_NETNS, 0);
	}
	if (t->family == AF_INET) {
		tup->ipv4.daddr = tup->ipv4.saddr = t->ip[0];
		tup->ipv4.dport = t->port;
		return bpf_sk_lookup_tcp(ctx, tup, sizeof(tup->ipv4), BPF_F_CURRENT_NETNS, 0);
	}
	__builtin_memcpy(tup->ipv6.daddr, t->ip, 16);
	__builtin_memcpy(tup->ipv6.saddr, t->ip, 16);
	tup->ipv6.dport = t->port;
	return bpf_sk_lookup_tcp(ctx, tup, len, BPF_F_CURRENT_NETNS, 0);
}

/*
 * Does a listener of the filter's service wait at its target, in the
 * caller's namespace? native6: an IPv6 UDP flow, which the proxy must also
 * serve over IPv6. A global function, so that the verifier checks it once
 * rather than in every state of the filter walk that calls it: the walk
 * alone comes near its limit of a million instructions.
 */
__attribute__((noinline)) int lwfp_target_ok(struct bpf_sock_addr *ctx, const struct lwfp_filter *f,
					     __u32 proto, __u32 native6)
{
	struct bpf_sock *sk;
	struct lwfp_sk *st;
	int ok;

	if (!f)
		return 0;
	sk = listener_lookup(ctx, &f->to, proto, native6);
	if (!sk) {
		lwfp_count(LWFP_CNT_NO_LISTENER);
		return 0;
	}
	st = bpf_sk_storage_get(&lwfp_sk_store, sk, 0, 0);
	ok = st && (st->services & id_svc_bit(f->service));
	bpf_sk_release(sk);
	if (!ok)
		lwfp_count(LWFP_CNT_NO_LISTENER);
	return ok;
}

/* bind(): a service's process binds for every service it is a process of. */
static __always_inline void listener_mark(struct bpf_sock *sk)
{
	__u64 mask = id_caller_services();
	struct lwfp_sk *st;

	if (!mask)
		return;
	st = sock_state(sk, true);
	if (st)
		st->services |= mask;
}

/*
 * A UDP service's wildcard socket shares its port with SO_REUSEADDR, which
 * for UDP any user may also set: a second socket there, bound by someone
 * else, would take the flows' first datagrams. Only another process of one
 * of its services may join it.
 */
static __always_inline bool listener_udp_port_taken(struct bpf_sock_addr *ctx, __u16 port)
{
	struct bpf_sock_tuple tup = {};
	struct bpf_sock *sk;
	struct lwfp_sk *st;
	__u64 mine;
	bool taken;

	tup.ipv4.daddr = tup.ipv4.saddr = bpf_htonl(LWFP_UDP_NET);
	tup.ipv4.dport = port;
	sk = bpf_sk_lookup_udp(ctx, &tup, sizeof(tup.ipv4), BPF_F_CURRENT_NETNS, 0);
	if (!sk)
		return false;
	st = bpf_sk_storage_get(&lwfp_sk_store, sk, 0, 0);
	taken = st && st->services;
	mine = taken ? st->services & id_caller_services() : 0;
	bpf_sk_release(sk);
	return taken && !mine;
}

/*
 * LWFP_SO_LISTENER: a service registers a socket bound before it was one
 * (lwfp-inspect --register), or that another process bound for it. A TCP
 * socket must be bound or listening, a UDP one bound and unconnected.
 */
static __always_inline int listener_register(struct bpf_sockopt *ctx)
{
	struct bpf_sock *sk = ctx->sk;
	__u32 *handle = ctx->optval;
	struct lwfp_sk *st;

	if (ctx->optlen != sizeof(*handle) || (void *)(handle + 1) > ctx->optval_end)
		return lwfp_deny(EINVAL);
	if (!id_caller_is(*handle))
		return lwfp_deny(EACCES);
	if (!sk->src_port ||
	    (sk->protocol == IPPROTO_TCP ? sk->state != TCP_LISTEN && sk->state != TCP_CLOSE
					 : sk->state != TCP_CLOSE))
		return lwfp_deny(EINVAL);
	st = sock_state(sk, true);
	if (!st)
		return lwfp_deny(ENOBUFS);
	st->services |= id_svc_bit(*handle);
	ctx->optlen = -1; /* handled here: the kernel has no SOL_LWFP */
	return 1;
}
