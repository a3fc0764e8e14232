/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Hand-off: the redirected connect's flow follows the connection to the
 * proxy's accepted socket. The connecting side publishes its 4-tuple once it
 * is bound (TCP_CONNECT_CB); the accepting side claims it when the child
 * socket is born (PASSIVE_ESTABLISHED_CB). The accepting side drops its
 * hold on the flow when it reaches TCP_CLOSE (STATE_CB); the connecting
 * side on release, and an MPTCP subflow, which has none, at TCP_CLOSE.
 * The accepted socket has no storage and is found by its tuple.
 */
#pragma once

#include <bpf/bpf_core_read.h>
#include "common.h"
#include "dns.h"
#include "flow.h"
#include "sockflow.h"
#include "kern.h"
#include "udp.h"

/*
 * An MPTCP subflow is a kernel socket, which never runs sock_release: only
 * a state callback can end its hold on the flow. Every other connecting
 * socket ends it at release, so it is spared the callbacks (three or four
 * runs of the program per connection). A kernel without MPTCP has no such
 * field and no subflows; a socket that cannot be read keeps the callbacks.
 */
static __always_inline bool handoff_needs_state_cb(struct bpf_sock_ops *ops)
{
	struct bpf_sock *sk = ops->sk;
	struct tcp_sock___lwfp *tp;

	if (!bpf_core_field_exists(struct tcp_sock___lwfp, is_mptcp))
		return false;
	if (!sk)
		return true;
	tp = (struct tcp_sock___lwfp *)bpf_skc_to_tcp_sock(sk);
	return !tp || tp->is_mptcp;
}

/*
 * The connecting side publishes its tuple for the accepting side; an MPTCP
 * subflow also asks for state callbacks, so that its hold on the flow ends
 * at TCP_CLOSE.
 */
static __always_inline void handoff_connect(struct bpf_sock_ops *ops)
{
	struct lwfp_sk *st = sock_state(ops->sk, false);
	struct lwfp_tuple t;
	struct lwfp_flow *f;

	if (!st || st->role != LWFP_SK_CONNECT || !st->token)
		return;
	sock_tuple_from_ops(&t, ops, true);
	f = bpf_map_lookup_elem(&lwfp_flows, &st->token);
	if (f) {
		__builtin_memcpy(f->orig_src.ip, t.src, sizeof(t.src));
		f->orig_src.port = t.sport;
		f->orig_src.family = t.family;
	}
	if (handoff_needs_state_cb(ops))
		bpf_sock_ops_cb_flags_set(ops, ops->bpf_sock_ops_cb_flags | BPF_SOCK_OPS_STATE_CB_FLAG);
	bpf_map_update_elem(&lwfp_pending, &t, &st->token, BPF_ANY);
}

/* For proxies that never set records: see lwfp_inherit in layout.h. */
static __always_inline void handoff_remember(const struct lwfp_flow *f, __u64 token,
					     __u64 netns)
{
	struct lwfp_inherit_key k = {};

	k.netns = netns;
	k.service = f->hops[(f->nhops - 1) & (LWFP_MAX_HOPS - 1)].service;
	k.dst = f->orig_dst;
	bpf_map_update_elem(&lwfp_inherit, &k, &token, BPF_ANY);
}

/*
 * The accepted socket gets no storage: lwfp_accepted, keyed by the same
 * tuple, names its flow, and a state callback on this socket alone drops
 * both when it reaches TCP_CLOSE.
 */
static __always_inline void handoff_accept(struct bpf_sock_ops *ops)
{
	struct lwfp_tuple t;
	struct lwfp_flow *f;
	__u64 *tokp, token;

	sock_tuple_from_ops(&t, ops, false);
	tokp = bpf_map_lookup_elem(&lwfp_pending, &t);
	if (!tokp)
		return;
	token = *tokp;
	bpf_map_delete_elem(&lwfp_pending, &t);
	f = bpf_map_lookup_elem(&lwfp_flows, &token);
	if (!f || bpf_map_update_elem(&lwfp_accepted, &t, &token, BPF_ANY)) {
		lwfp_count(LWFP_CNT_HANDOFF_MISS);
		return;
	}
	/* Without the state callback nothing would ever drop the entry. */
	if (bpf_sock_ops_cb_flags_set(ops, ops->bpf_sock_ops_cb_flags | BPF_SOCK_OPS_STATE_CB_FLAG)) {
		bpf_map_delete_elem(&lwfp_accepted, &t);
		lwfp_count(LWFP_CNT_HANDOFF_MISS);
		return;
	}
	__sync_fetch_and_add(&f->refs, 1);
	handoff_remember(f, token, t.netns);
	lwfp_count(LWFP_CNT_HANDOFF);
}

/* The connecting side's hold on its hop ends once; handoff_release() may come later. */
static __always_inline void handoff_hop_drop(struct lwfp_sk *st)
{
	if (!st->token || st->closed)
		return;
	st->closed = 1;
	flow_put(st->token);
}

/*
 * A hold ends when TCP is done with the socket: after close() and the FIN
 * exchange or a reset, when its listener goes before accept(), or when a
 * connect fails. The accepted side is found by its tuple, the connecting
 * side (an MPTCP subflow: only those ask for the callback) by its storage;
 * a pending entry never claimed goes with it. Other connecting sockets end
 * their hold at release, and their unclaimed pending entries age out of
 * the LRU map, as before subflows were handled.
 */
static __always_inline void handoff_state(struct bpf_sock_ops *ops)
{
	struct lwfp_sk *st;
	struct lwfp_tuple t;
	__u64 *tokp, token;

	if (ops->args[1] != TCP_CLOSE)
		return;
	st = sock_state(ops->sk, false);
	if (st && st->role == LWFP_SK_CONNECT) {
		sock_tuple_from_ops(&t, ops, true);
		bpf_map_delete_elem(&lwfp_pending, &t);
		handoff_hop_drop(st);
		return;
	}
	sock_tuple_from_ops(&t, ops, false);
	tokp = bpf_map_lookup_elem(&lwfp_accepted, &t);
	if (!tokp)
		return;
	token = *tokp;
	if (bpf_map_delete_elem(&lwfp_accepted, &t))
		return; /* someone else dropped it first */
	flow_put(token);
}

static __always_inline int handoff_sockops(struct bpf_sock_ops *ops)
{
	switch (ops->op) {
	case BPF_SOCK_OPS_TCP_CONNECT_CB:
		handoff_connect(ops);
		dns_tcp_count(ops);
		break;
	case BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB:
		handoff_accept(ops);
		break;
	case BPF_SOCK_OPS_STATE_CB:
		handoff_state(ops);
		break;
	}
	return 1;
}

/*
 * close(): the socket's holds end, whatever TCP does next. A per-flow UDP
 * socket and a listener hold nothing.
 */
static __always_inline int handoff_release(struct bpf_sock *sk)
{
	struct lwfp_sk *st = sock_state(sk, false);
	struct lwfp_udp_addr_key k;

	dns_tcp_uncount(sk);
	if (!st || st->role == LWFP_SK_FLOW)
		return 1;
	if (st->dgram) {
		st->dgram = 0;
		udp_expire(st->cookie);
	}
	if (st->udp_addr) {
		k = udp_addr_key(bpf_get_netns_cookie(sk), st->udp_addr);
		bpf_map_delete_elem(&lwfp_udp_addr, &k);
		st->udp_addr = 0;
	}
	handoff_hop_drop(st);
	if (st->parent) {
		flow_put(st->parent);
		st->parent = 0;
	}
	return 1;
}
