/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * UDP (abi.h explains the addressing): a connected socket is one flow; an
 * unconnected one has a flow per original destination, created by its first
 * datagram (sendmsg4/6) and ended by an idle timer. Replies are shown to the
 * application as coming from the original destination (recvmsg4/6).
 */
#pragma once

#include "common.h"
#include "records.h"

#define CLOCK_MONOTONIC 1
#define NSEC_PER_SEC 1000000000ull

static __always_inline bool udp_addr_ours(__u32 ip)
{
	return (bpf_ntohl(ip) & LWFP_UDP_MASK) == LWFP_UDP_NET;
}

/* The flow number of an IPv6 flow address (abi.h, LWFP_UDP6_NET), or 0. */
static __always_inline __u32 udp6_addr_ours(const __u32 *ip6)
{
	if (ip6[0] != bpf_htonl(LWFP_UDP6_NET0) || ip6[1] != bpf_htonl(LWFP_UDP6_NET1) || ip6[2])
		return 0;
	return udp_addr_ours(ip6[3]) ? ip6[3] : 0;
}

/* The flow number a socket is bound to, in either form, or 0. */
static __always_inline __u32 udp_sk_addr(const struct bpf_sock *sk)
{
	__u32 ip6[4];

	if (sk->family == AF_INET6) {
		ip6[0] = sk->src_ip6[0];
		ip6[1] = sk->src_ip6[1];
		ip6[2] = sk->src_ip6[2];
		ip6[3] = sk->src_ip6[3];
		if (udp6_addr_ours(ip6))
			return ip6[3];
	}
	return udp_addr_ours(sk->src_ip4) ? sk->src_ip4 : 0;
}

/* A free address of LWFP_UDP_NET for this flow, or 0. */
static __always_inline __u32 udp_alloc(__u64 token)
{
	__u32 zero = 0, *seq = bpf_map_lookup_elem(&lwfp_udp_seq, &zero);
	int tries;

	if (!seq)
		return 0;
	/* A wrapped counter may land on a live flow's address: take the next. */
	for (tries = 0; tries < 4; tries++) {
		__u32 n = __sync_fetch_and_add(seq, 1) & ~LWFP_UDP_MASK;
		__u32 ip = bpf_htonl(LWFP_UDP_NET | (n ? n : 1));

		if (!bpf_map_update_elem(&lwfp_udp_addr, &ip, &token, BPF_NOEXIST))
			return ip;
	}
	return 0;
}

static int udp_expire(void *map, __u64 *token, struct lwfp_udp_timer *u)
{
	__u64 idle = bpf_ktime_get_ns() - u->last_ns;

	if (idle < u->idle_ns) {
		bpf_timer_start(&u->timer, u->idle_ns - idle, 0);
		return 0;
	}
	bpf_map_delete_elem(&lwfp_udp_addr, &u->addr);
	bpf_map_delete_elem(&lwfp_udp_app, &u->app);
	bpf_map_delete_elem(&lwfp_flows, token);
	count(LWFP_CNT_UDP_EXPIRED);
	count(LWFP_CNT_FLOW_CLOSED);
	bpf_map_delete_elem(map, token);
	return 0;
}

static __always_inline int udp_arm(__u64 token, __u32 addr, const struct lwfp_udp_app_key *app,
				   __u32 idle_s)
{
	struct lwfp_udp_timer init = {}, *u;

	init.last_ns = bpf_ktime_get_ns();
	init.idle_ns = (idle_s ? idle_s : LWFP_UDP_IDLE_DEFAULT_S) * NSEC_PER_SEC;
	init.addr = addr;
	init.app = *app;
	if (bpf_map_update_elem(&lwfp_udp_timers, &token, &init, BPF_NOEXIST))
		return -ENOBUFS;
	u = bpf_map_lookup_elem(&lwfp_udp_timers, &token);
	if (!u || bpf_timer_init(&u->timer, &lwfp_udp_timers, CLOCK_MONOTONIC) ||
	    bpf_timer_set_callback(&u->timer, udp_expire) ||
	    bpf_timer_start(&u->timer, u->idle_ns, 0))
		return -ENOBUFS;
	return 0;
}

static __always_inline void udp_touch(__u64 token)
{
	struct lwfp_udp_timer *u = bpf_map_lookup_elem(&lwfp_udp_timers, &token);

	if (u)
		u->last_ns = bpf_ktime_get_ns();
}

/* An IPv6 destination gets the flow's IPv6 form, any other the IPv4 one. */
static __always_inline void udp_rewrite(struct bpf_sock_addr *ctx, const struct walk *w,
					__u32 addr, __u16 port, const bool v6)
{
	struct lwfp_addr to = { .family = AF_INET, .port = port };
	bool native6 = v6 && !w->mapped;

	if (native6) {
		to.family = AF_INET6;
		to.ip[0] = bpf_htonl(LWFP_UDP6_NET0);
		to.ip[1] = bpf_htonl(LWFP_UDP6_NET1);
		to.ip[3] = addr;
	} else {
		to.ip[0] = addr;
	}
	rewrite(ctx, &to, v6, !native6);
}

/* Undoes a half-made flow; the socket never saw it. */
static __always_inline void udp_unwind(__u64 token, __u32 addr)
{
	if (addr)
		bpf_map_delete_elem(&lwfp_udp_addr, &addr);
	bpf_map_delete_elem(&lwfp_flows, &token);
}

static __always_inline int udp_bind(struct bpf_sock_addr *ctx, struct walk *w,
				    const struct lwfp_filter *f, __u64 token, __u32 addr)
{
	struct lwfp_udp_app_key app = {};
	struct lwfp_udp_app val = { .token = token, .addr = addr };
	struct lwfp_sk *st;

	if (!w->sendmsg) {
		st = sk_state(ctx->sk, true);
		if (!st)
			return -ENOBUFS;
		if (st->udp_addr)
			bpf_map_delete_elem(&lwfp_udp_addr, &st->udp_addr);
		sk_attach(st, w, token);
		st->udp_addr = addr;
		return 0;
	}
	st = sk_state(ctx->sk, true);
	if (!st)
		return -ENOBUFS;
	st->dgram = 1;
	app.cookie = bpf_get_socket_cookie(ctx);
	app.dst = w->dst;
	if (bpf_map_update_elem(&lwfp_udp_app, &app, &val, BPF_ANY))
		return -ENOBUFS;
	if (udp_arm(token, addr, &app, f->idle_timeout_s)) {
		bpf_map_delete_elem(&lwfp_udp_timers, &token);
		bpf_map_delete_elem(&lwfp_udp_app, &app);
		return -ENOBUFS;
	}
	return 0;
}

static __always_inline int udp_redirect(struct bpf_sock_addr *ctx, struct walk *w,
					const struct lwfp_filter *f, const bool v6)
{
	__u64 token = 0;
	__u32 addr = 0;
	int err;

	err = flow_insert(w, sk_state(ctx->sk, false), f, &token);
	if (!err) {
		addr = udp_alloc(token);
		err = addr ? udp_bind(ctx, w, f, token, addr) : -ENOBUFS;
		if (err)
			udp_unwind(token, addr);
	}
	if (err) {
		count(LWFP_CNT_FLOW_FULL);
		return f->fail == LWFP_FAIL_OPEN ? 1 : deny(ENOBUFS);
	}
	udp_rewrite(ctx, w, addr, f->to.port, v6);
	count(LWFP_CNT_REDIRECT);
	emit(LWFP_EV_REDIRECT, token, f, &w->dst, w->proto, w->nhops + 1);
	return 1;
}

/* A datagram to a destination this socket already has a flow for. */
static __always_inline bool udp_known(struct bpf_sock_addr *ctx, const struct walk *w,
				      const bool v6)
{
	struct lwfp_udp_app_key app = {};
	struct lwfp_udp_app *val;
	__u16 port;

	app.cookie = bpf_get_socket_cookie(ctx);
	app.dst = w->dst;
	val = bpf_map_lookup_elem(&lwfp_udp_app, &app);
	if (!val)
		return false;
	struct lwfp_flow *f = bpf_map_lookup_elem(&lwfp_flows, &val->token);

	if (!f)
		return false;
	port = f->target.port;
	udp_touch(val->token);
	udp_rewrite(ctx, w, val->addr, port, v6);
	count(LWFP_CNT_UDP_DATAGRAM);
	return true;
}

/* Is the flow at this address the receiving socket's own? */
static __always_inline bool udp_owner(struct bpf_sock_addr *ctx, __u64 token, __u32 ip)
{
	struct lwfp_sk *st = sk_state(ctx->sk, false);
	struct lwfp_udp_timer *u;

	if (st && st->udp_addr == ip)
		return true;
	u = bpf_map_lookup_elem(&lwfp_udp_timers, &token);
	return u && u->app.cookie == bpf_get_socket_cookie(ctx);
}

/* recvmsg: a reply from a flow's address comes from the original destination. */
static __always_inline int udp_reverse(struct bpf_sock_addr *ctx, const bool v6)
{
	const struct lwfp_addr *o;
	struct lwfp_flow *f;
	__u64 *token;
	__u32 ip;

	if (v6) {
		__u32 ip6[4] = { ctx->user_ip6[0], ctx->user_ip6[1], ctx->user_ip6[2],
				 ctx->user_ip6[3] };

		if (addr_is_v4mapped(ip6))
			ip = ip6[3];
		else
			ip = udp6_addr_ours(ip6);
	} else {
		ip = ctx->user_ip4;
	}
	if (!udp_addr_ours(ip))
		return 1;
	token = bpf_map_lookup_elem(&lwfp_udp_addr, &ip);
	if (!token)
		return 1;
	f = bpf_map_lookup_elem(&lwfp_flows, token);
	if (!f || !udp_owner(ctx, *token, ip))
		return 1;
	udp_touch(*token);
	o = &f->orig_dst;
	if (!v6) {
		if (o->family != AF_INET)
			return 1;
		ctx->user_ip4 = o->ip[0];
	} else if (o->family == AF_INET) {
		ctx->user_ip6[0] = 0;
		ctx->user_ip6[1] = 0;
		ctx->user_ip6[2] = bpf_htonl(0xffff);
		ctx->user_ip6[3] = o->ip[0];
	} else {
		ctx->user_ip6[0] = o->ip[0];
		ctx->user_ip6[1] = o->ip[1];
		ctx->user_ip6[2] = o->ip[2];
		ctx->user_ip6[3] = o->ip[3];
	}
	ctx->user_port = o->port;
	count(LWFP_CNT_UDP_REVERSED);
	return 1;
}

static long udp_release_one(void *map, __u64 *token, struct lwfp_udp_timer *u, __u64 *cookie)
{
	if (u->app.cookie != *cookie)
		return 0;
	bpf_map_delete_elem(&lwfp_udp_addr, &u->addr);
	bpf_map_delete_elem(&lwfp_udp_app, &u->app);
	bpf_map_delete_elem(&lwfp_flows, token);
	count(LWFP_CNT_FLOW_CLOSED);
	bpf_map_delete_elem(map, token);
	return 0;
}

/* close(): an unconnected socket's flows end with it, not an idle timeout later. */
static __always_inline void udp_release(struct bpf_sock *sk)
{
	__u64 cookie = bpf_get_socket_cookie(sk);

	bpf_for_each_map_elem(&lwfp_udp_timers, udp_release_one, &cookie, 0);
}

/* The flow a proxy's per-flow UDP socket serves: its local address names it. */
static __always_inline __u64 udp_flow_of(const struct bpf_sock *sk)
{
	__u64 *token;
	__u32 ip;

	if (sk->protocol != IPPROTO_UDP)
		return 0;
	ip = udp_sk_addr(sk);
	if (!ip)
		return 0;
	token = bpf_map_lookup_elem(&lwfp_udp_addr, &ip);
	return token ? *token : 0;
}
