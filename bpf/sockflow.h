/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Which flow is this socket's? One answer for every hook: the 4-tuple keys
 * of the hand-off (both sides build them here, with the network namespace,
 * since namespaces reuse addresses), the flow a socket carries or was
 * delivered by, and the socket's own state (lwfp_sk_store).
 */
#pragma once

#include "common.h"

/* The socket's lwfp_sk, created on demand when create is true; NULL without one. */
static __always_inline struct lwfp_sk *sock_state(struct bpf_sock *sk, bool create)
{
	if (!sk)
		return NULL;
	return bpf_sk_storage_get(&lwfp_sk_store, sk, 0,
				  create ? BPF_SK_STORAGE_GET_F_CREATE : 0);
}

/*
 * The connection as its connecting side sees it, from either end. It is
 * IPv4 on the wire when the peer is v4-mapped; the IPv4 fields of sock_ops
 * are then the ones to trust, because an AF_INET6 connecting socket gets
 * its v4-mapped source address only after TCP_CONNECT_CB.
 */
static __always_inline void sock_tuple_from_ops(struct lwfp_tuple *t, struct bpf_sock_ops *ops,
						bool local_is_src)
{
	__u32 rip[4] = { ops->remote_ip6[0], ops->remote_ip6[1], ops->remote_ip6[2], ops->remote_ip6[3] };
	__u32 lip[4] = { ops->local_ip6[0], ops->local_ip6[1], ops->local_ip6[2], ops->local_ip6[3] };
	__u16 lport = bpf_htons((__u16)ops->local_port);
	/* sock_ops keeps the remote port in network order in the high half. */
	__u16 rport = bpf_htons((__u16)bpf_ntohl(ops->remote_port));
	bool v4 = ops->family == AF_INET || lwfp_v4mapped(rip);
	__u32 *src = local_is_src ? lip : rip, *dst = local_is_src ? rip : lip;

	__builtin_memset(t, 0, sizeof(*t));
	t->netns = bpf_get_netns_cookie(ops);
	t->sport = local_is_src ? lport : rport;
	t->dport = local_is_src ? rport : lport;
	if (v4) {
		t->family = AF_INET;
		t->src[0] = local_is_src ? ops->local_ip4 : ops->remote_ip4;
		t->dst[0] = local_is_src ? ops->remote_ip4 : ops->local_ip4;
		return;
	}
	t->family = AF_INET6;
	__builtin_memcpy(t->src, src, sizeof(t->src));
	__builtin_memcpy(t->dst, dst, sizeof(t->dst));
}

/* An accepted socket's connection, seen from its peer (the connecting side). */
static __always_inline void sock_tuple_from_accepted(struct lwfp_tuple *t,
						     const struct bpf_sock *sk,
						     __u64 netns)
{
	__u32 rip[4] = { sk->dst_ip6[0], sk->dst_ip6[1], sk->dst_ip6[2], sk->dst_ip6[3] };

	__builtin_memset(t, 0, sizeof(*t));
	t->netns = netns;
	t->sport = sk->dst_port;
	t->dport = bpf_htons((__u16)sk->src_port);
	if (sk->family == AF_INET || lwfp_v4mapped(rip)) {
		t->family = AF_INET;
		t->src[0] = sk->dst_ip4;
		t->dst[0] = sk->src_ip4;
		return;
	}
	t->family = AF_INET6;
	__builtin_memcpy(t->src, rip, sizeof(t->src));
	t->dst[0] = sk->src_ip6[0];
	t->dst[1] = sk->src_ip6[1];
	t->dst[2] = sk->src_ip6[2];
	t->dst[3] = sk->src_ip6[3];
}

/*
 * The flow that delivered this socket to a proxy, or 0: an accepted TCP
 * socket's by its tuple in lwfp_accepted (it has no storage), a per-flow
 * UDP socket's from the storage its bind was given (bind.h). netns is the
 * socket's namespace cookie.
 */
static __always_inline __u64 sock_delivered(const struct bpf_sock *sk, const struct lwfp_sk *st,
					    __u64 netns)
{
	struct lwfp_tuple t;
	__u64 *token;

	if (st && st->role == LWFP_SK_FLOW)
		return st->token;
	if (sk->protocol != IPPROTO_TCP || (st && st->role != LWFP_SK_NONE))
		return 0;
	sock_tuple_from_accepted(&t, sk, netns);
	token = bpf_map_lookup_elem(&lwfp_accepted, &t);
	return token ? *token : 0;
}

/* The flow a socket answers queries for: its own hop if it connected as one. */
static __always_inline __u64 sock_flow(const struct bpf_sock *sk, const struct lwfp_sk *st,
				       __u64 netns)
{
	if (st && st->role == LWFP_SK_CONNECT)
		return st->token;
	return sock_delivered(sk, st, netns);
}

/* The flow whose hops decide a socket's redirect state: set records first. */
static __always_inline __u64 sock_records(const struct bpf_sock *sk, const struct lwfp_sk *st,
					  __u64 netns)
{
	if (st && st->parent)
		return st->parent;
	return sock_delivered(sk, st, netns);
}
