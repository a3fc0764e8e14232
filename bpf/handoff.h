/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Hand-off: the redirected connect's flow follows the connection to the
 * proxy's accepted socket. The connecting side publishes its 4-tuple once it
 * is bound (TCP_CONNECT_CB); the accepting side claims it when the child
 * socket is born (PASSIVE_ESTABLISHED_CB). On release, a socket drops its
 * hold on the flow.
 */
#pragma once

#include "common.h"
#include "records.h"

/* One form for both sides: v4-mapped IPv6 is folded into IPv4. */
static __always_inline void tuple_addr(__u32 out[4], const __u32 ip6[4], __u32 ip4,
				       __u32 family, __u8 *fam_out)
{
	if (family == AF_INET6 && !addr_is_v4mapped(ip6)) {
		out[0] = ip6[0];
		out[1] = ip6[1];
		out[2] = ip6[2];
		out[3] = ip6[3];
		*fam_out = AF_INET6;
		return;
	}
	out[0] = family == AF_INET6 ? ip6[3] : ip4;
	*fam_out = AF_INET;
}

static __always_inline void tuple_from_ops(struct lwfp_tuple *t, struct bpf_sock_ops *ops,
					   bool local_is_src)
{
	__u32 lip[4] = { ops->local_ip6[0], ops->local_ip6[1], ops->local_ip6[2], ops->local_ip6[3] };
	__u32 rip[4] = { ops->remote_ip6[0], ops->remote_ip6[1], ops->remote_ip6[2], ops->remote_ip6[3] };
	__u16 lport = bpf_htons((__u16)ops->local_port);
	/* sock_ops keeps the remote port in network order in the high half. */
	__u16 rport = bpf_htons((__u16)bpf_ntohl(ops->remote_port));
	__u32 family = ops->family;

	__builtin_memset(t, 0, sizeof(*t));
	if (local_is_src) {
		tuple_addr(t->src, lip, ops->local_ip4, family, &t->family);
		tuple_addr(t->dst, rip, ops->remote_ip4, family, &t->family);
		t->sport = lport;
		t->dport = rport;
	} else {
		tuple_addr(t->src, rip, ops->remote_ip4, family, &t->family);
		tuple_addr(t->dst, lip, ops->local_ip4, family, &t->family);
		t->sport = rport;
		t->dport = lport;
	}
}

static __always_inline void on_connect(struct bpf_sock_ops *ops)
{
	struct lwfp_sk *st = sk_state(ops->sk, false);
	struct lwfp_tuple t;
	struct lwfp_flow *f;

	if (!st || st->role != LWFP_SK_CONNECT || !st->token)
		return;
	tuple_from_ops(&t, ops, true);
	f = bpf_map_lookup_elem(&lwfp_flows, &st->token);
	if (f) {
		__builtin_memcpy(f->orig_src.ip, t.src, sizeof(t.src));
		f->orig_src.port = t.sport;
		f->orig_src.family = t.family;
	}
	bpf_map_update_elem(&lwfp_pending, &t, &st->token, BPF_ANY);
}

static __always_inline void on_accept(struct bpf_sock_ops *ops)
{
	struct lwfp_tuple t;
	struct lwfp_flow *f;
	struct lwfp_sk *st;
	__u64 *tokp, token;

	tuple_from_ops(&t, ops, false);
	tokp = bpf_map_lookup_elem(&lwfp_pending, &t);
	if (!tokp)
		return;
	token = *tokp;
	bpf_map_delete_elem(&lwfp_pending, &t);
	f = bpf_map_lookup_elem(&lwfp_flows, &token);
	st = sk_state(ops->sk, true);
	if (!f || !st) {
		count(LWFP_CNT_HANDOFF_MISS);
		return;
	}
	__sync_fetch_and_add(&f->refs, 1);
	st->token = token;
	st->role = LWFP_SK_ACCEPTED;
	st->chain = f->chain;
	st->orig_dst = f->orig_dst;
	st->nhops = f->nhops;
	__builtin_memcpy(st->hops, f->hops, sizeof(st->hops));
	count(LWFP_CNT_HANDOFF);
}

static __always_inline int handoff(struct bpf_sock_ops *ops)
{
	switch (ops->op) {
	case BPF_SOCK_OPS_TCP_CONNECT_CB:
		on_connect(ops);
		break;
	case BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB:
		on_accept(ops);
		break;
	}
	return 1;
}

/*
 * close(): the socket's hold on its flow ends, whatever TCP does next. A
 * pending entry of a connect that was never accepted cannot be found from
 * here (sock_release sees no peer address); it is overwritten by the next
 * connect from the same tuple or aged out of the LRU.
 */
static __always_inline int release(struct bpf_sock *sk)
{
	struct lwfp_sk *st = sk_state(sk, false);

	if (!st || !st->token || st->closed)
		return 1;
	st->closed = 1;
	flow_put(st->token);
	return 1;
}
