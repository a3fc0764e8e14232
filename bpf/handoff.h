/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Hand-off: the redirected connect's flow follows the connection to the
 * proxy's accepted socket. The connecting side publishes its 4-tuple once it
 * is bound (TCP_CONNECT_CB); the accepting side claims it when the child
 * socket is born (PASSIVE_ESTABLISHED_CB). A connecting socket drops its hold
 * on the flow on release; an accepted socket, which has no storage to say
 * which flow it holds, when it reaches TCP_CLOSE (STATE_CB).
 */
#pragma once

#include "common.h"
#include "records.h"
#include "udp.h"

/*
 * One form for both sides. A connection is IPv4 on the wire when its peer is
 * v4-mapped; the IPv4 fields of sock_ops are then the ones to trust, because
 * an AF_INET6 connecting socket gets its v4-mapped source address only after
 * TCP_CONNECT_CB.
 */
static __always_inline void tuple_from_ops(struct lwfp_tuple *t, struct bpf_sock_ops *ops,
					   bool local_is_src)
{
	__u32 rip[4] = { ops->remote_ip6[0], ops->remote_ip6[1], ops->remote_ip6[2], ops->remote_ip6[3] };
	__u32 lip[4] = { ops->local_ip6[0], ops->local_ip6[1], ops->local_ip6[2], ops->local_ip6[3] };
	__u16 lport = bpf_htons((__u16)ops->local_port);
	/* sock_ops keeps the remote port in network order in the high half. */
	__u16 rport = bpf_htons((__u16)bpf_ntohl(ops->remote_port));
	bool v4 = ops->family == AF_INET || addr_is_v4mapped(rip);
	__u32 *src = local_is_src ? lip : rip, *dst = local_is_src ? rip : lip;

	__builtin_memset(t, 0, sizeof(*t));
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

/* For proxies that never set records: see lwfp_inherit in abi.h. */
static __always_inline void remember_delivery(const struct lwfp_flow *f, __u64 token)
{
	struct lwfp_inherit_key k = {};

	k.service = f->hops[(f->nhops - 1) & (LWFP_MAX_HOPS - 1)].service;
	k.dst = f->orig_dst;
	bpf_map_update_elem(&lwfp_inherit, &k, &token, BPF_ANY);
}

/*
 * The accepted socket gets no storage: lwfp_accepted, keyed by the same
 * tuple, names its flow, and a state callback on this socket alone drops
 * both when it reaches TCP_CLOSE.
 */
static __always_inline void on_accept(struct bpf_sock_ops *ops)
{
	struct lwfp_tuple t;
	struct lwfp_flow *f;
	__u64 *tokp, token;

	tuple_from_ops(&t, ops, false);
	tokp = bpf_map_lookup_elem(&lwfp_pending, &t);
	if (!tokp)
		return;
	token = *tokp;
	bpf_map_delete_elem(&lwfp_pending, &t);
	f = bpf_map_lookup_elem(&lwfp_flows, &token);
	if (!f || bpf_map_update_elem(&lwfp_accepted, &t, &token, BPF_ANY)) {
		count(LWFP_CNT_HANDOFF_MISS);
		return;
	}
	/* Without the state callback nothing would ever drop the entry. */
	if (bpf_sock_ops_cb_flags_set(ops, ops->bpf_sock_ops_cb_flags | BPF_SOCK_OPS_STATE_CB_FLAG)) {
		bpf_map_delete_elem(&lwfp_accepted, &t);
		count(LWFP_CNT_HANDOFF_MISS);
		return;
	}
	__sync_fetch_and_add(&f->refs, 1);
	remember_delivery(f, token);
	count(LWFP_CNT_HANDOFF);
}

/*
 * An accepted socket's hold ends when TCP is done with it: after close() and
 * the FIN exchange or a reset, or when its listener goes before accept().
 */
static __always_inline void on_state(struct bpf_sock_ops *ops)
{
	struct lwfp_tuple t;
	__u64 *tokp, token;

	if (ops->args[1] != TCP_CLOSE)
		return;
	tuple_from_ops(&t, ops, false);
	tokp = bpf_map_lookup_elem(&lwfp_accepted, &t);
	if (!tokp)
		return;
	token = *tokp;
	if (bpf_map_delete_elem(&lwfp_accepted, &t))
		return; /* someone else dropped it first */
	flow_put(token);
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
	case BPF_SOCK_OPS_STATE_CB:
		on_state(ops);
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

	if (st && st->dgram) {
		st->dgram = 0;
		udp_release(sk);
	}
	if (!st || st->closed || !(st->token || st->parent))
		return 1;
	st->closed = 1;
	if (st->udp_addr)
		bpf_map_delete_elem(&lwfp_udp_addr, &st->udp_addr);
	if (st->token)
		flow_put(st->token);
	if (st->parent)
		flow_put(st->parent);
	return 1;
}
