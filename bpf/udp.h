/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * UDP (abi.h explains the addressing): a connected socket is one flow; an
 * unconnected one has a flow per original destination, created by its first
 * datagram (sendmsg4/6) and ended by an idle timer. Replies are shown to the
 * application as coming from the original destination (recvmsg4/6).
 */
#pragma once

#include "common.h"
#include "flow.h"
#include "sockaddr.h"
#include "sockflow.h"
#include "udp_addr.h"

#define CLOCK_MONOTONIC 1
#define NSEC_PER_SEC 1000000000ull
#define NSEC_PER_MSEC 1000000ull
#define UDP_SWEEP_NS (500 * NSEC_PER_MSEC) /* how late an idle flow may end */

/* A free address of LWFP_UDP_NET in this namespace for the flow, or 0. */
static __always_inline __u32 udp_alloc(__u64 token, __u64 netns)
{
	__u32 zero = 0, *seq = bpf_map_lookup_elem(&lwfp_udp_seq, &zero);
	struct lwfp_udp_addr_key k = udp_addr_key(netns, 0);
	int tries;

	if (!seq)
		return 0;
	/* A wrapped counter may land on a live flow's address: take the next. */
	for (tries = 0; tries < 4; tries++) {
		__u32 n = __sync_fetch_and_add(seq, 1) & ~LWFP_UDP_MASK;

		k.addr = bpf_htonl(LWFP_UDP_NET | (n ? n : 1));
		if (!bpf_map_update_elem(&lwfp_udp_addr, &k, &token, BPF_NOEXIST))
			return k.addr;
	}
	return 0;
}

/* Ends an unconnected flow: its address, its application entry, the flow. */
static __always_inline void udp_end(__u64 token, struct lwfp_udp_idle *u)
{
	bpf_map_delete_elem(&lwfp_udp_addr, &u->addr);
	bpf_map_delete_elem(&lwfp_udp_app, &u->app);
	flow_del(token);
	bpf_map_delete_elem(&lwfp_udp_idle, &token);
}

/* Which unconnected flows end: those idle at now, or those of one closed socket. */
struct udp_expiry {
	__u64 now;
	__u64 cookie; /* 0: the sweep's, by idle time; else the socket's */
};

/* The one way an unconnected flow ends: the sweep and close() both come here. */
static long udp_expire_one(void *map, __u64 *token, struct lwfp_udp_idle *u,
			   struct udp_expiry *x)
{
	(void)map;
	if (x->cookie) {
		if (u->app.cookie == x->cookie)
			udp_end(*token, u);
		return 0;
	}
	/* A datagram may touch the flow after the sweep read the clock. */
	if (u->last_ns >= x->now || x->now - u->last_ns < u->idle_ns)
		return 0;
	udp_end(*token, u);
	lwfp_count(LWFP_CNT_UDP_EXPIRED);
	return 0;
}

/*
 * cookie 0: the idle sweep. A socket's cookie: its close(), whose flows end
 * with it rather than an idle timeout later.
 */
static __always_inline void udp_expire(__u64 cookie)
{
	struct udp_expiry x = { .now = bpf_ktime_get_ns(), .cookie = cookie };

	bpf_for_each_map_elem(&lwfp_udp_idle, udp_expire_one, &x, 0);
}

static int udp_sweep(void *map, __u32 *key, struct lwfp_sweep *s)
{
	(void)map;
	(void)key;
	udp_expire(0);
	bpf_timer_start(&s->timer, UDP_SWEEP_NS, 0);
	return 0;
}

/*
 * The sweep's one timer, started by the first unconnected flow. Two CPUs may
 * both start it: the second init says EBUSY, and starting twice only moves
 * the next sweep.
 */
static __always_inline int udp_sweep_arm(void)
{
	__u32 zero = 0;
	struct lwfp_sweep *s = bpf_map_lookup_elem(&lwfp_sweep, &zero);
	long err;

	if (!s)
		return -ENOBUFS;
	if (s->armed)
		return 0;
	err = bpf_timer_init(&s->timer, &lwfp_sweep, CLOCK_MONOTONIC);
	if (err && err != -EBUSY)
		return -ENOBUFS;
	if (bpf_timer_set_callback(&s->timer, udp_sweep) ||
	    bpf_timer_start(&s->timer, UDP_SWEEP_NS, 0))
		return -ENOBUFS;
	s->armed = 1;
	return 0;
}

static __always_inline int udp_idle_add(__u64 token, const struct lwfp_udp_addr_key *addr,
					const struct lwfp_udp_app_key *app, __u32 idle_s)
{
	struct lwfp_udp_idle u = {};

	u.last_ns = bpf_ktime_get_ns();
	u.idle_ns = (idle_s ? idle_s : LWFP_UDP_IDLE_DEFAULT_S) * NSEC_PER_SEC;
	u.addr = *addr;
	u.app = *app;
	if (udp_sweep_arm() || bpf_map_update_elem(&lwfp_udp_idle, &token, &u, BPF_NOEXIST))
		return -ENOBUFS;
	return 0;
}

static __always_inline void udp_touch(__u64 token)
{
	struct lwfp_udp_idle *u = bpf_map_lookup_elem(&lwfp_udp_idle, &token);

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
	sa_put(ctx, &to, v6);
}

/* Undoes a half-made flow; the socket never saw it. */
static __always_inline void udp_unwind(__u64 token, __u64 netns, __u32 addr)
{
	struct lwfp_udp_addr_key k = udp_addr_key(netns, addr);

	if (addr)
		bpf_map_delete_elem(&lwfp_udp_addr, &k);
	flow_del(token);
}

/* A connected socket holds its one flow like a TCP connect does. */
static __always_inline int udp_hold_connected(struct lwfp_sk *st, struct walk *w, __u64 token,
					      __u32 addr)
{
	struct lwfp_udp_addr_key old = udp_addr_key(w->netns, st->udp_addr);

	if (st->udp_addr)
		bpf_map_delete_elem(&lwfp_udp_addr, &old);
	flow_attach(st, w, token);
	st->udp_addr = addr;
	return 0;
}

/* An unconnected socket's flow: found by destination, ended by the sweep. */
static __always_inline int udp_hold_datagram(struct walk *w, struct lwfp_sk *st,
					     const struct lwfp_filter *f, __u64 token, __u32 addr)
{
	struct lwfp_udp_app val = { .token = token, .addr = addr };
	struct lwfp_udp_addr_key k = udp_addr_key(w->netns, addr);
	struct lwfp_udp_app_key app = {};

	st->dgram = 1;
	app.cookie = st->cookie;
	app.dst = w->dst;
	if (bpf_map_update_elem(&lwfp_udp_app, &app, &val, BPF_ANY))
		return -ENOBUFS;
	if (udp_idle_add(token, &k, &app, f->idle_timeout_s)) {
		bpf_map_delete_elem(&lwfp_udp_app, &app);
		return -ENOBUFS;
	}
	return 0;
}

static __always_inline int udp_hold(struct bpf_sock_addr *ctx, struct walk *w,
				    const struct lwfp_filter *f, __u64 token, __u32 addr)
{
	struct lwfp_sk *st = sock_state(ctx->sk, true);

	if (!st)
		return -ENOBUFS;
	st->cookie = bpf_get_socket_cookie(ctx);
	if (w->sendmsg)
		return udp_hold_datagram(w, st, f, token, addr);
	return udp_hold_connected(st, w, token, addr);
}

static __always_inline int udp_redirect(struct bpf_sock_addr *ctx, struct walk *w,
					const struct lwfp_filter *f, const bool v6)
{
	__u64 token = 0;
	__u32 addr = 0;
	int err;

	err = flow_insert(w, sock_state(ctx->sk, false), f, &token);
	if (!err) {
		addr = udp_alloc(token, w->netns);
		err = addr ? udp_hold(ctx, w, f, token, addr) : -ENOBUFS;
		if (err)
			udp_unwind(token, w->netns, addr);
	}
	if (err)
		return lwfp_flow_refused(err, f, &w->dst, w->proto, w->nhops);
	udp_rewrite(ctx, w, addr, f->to.port, v6);
	lwfp_count(LWFP_CNT_REDIRECT);
	lwfp_hit(f, true, false);
	lwfp_emit(LWFP_EV_REDIRECT, token, f, &w->dst, w->proto, w->nhops + 1, LWFP_CNT_REDIRECT, 0);
	return 1;
}

/* A datagram to a destination this socket already has a flow for. */
static __always_inline bool udp_known(struct bpf_sock_addr *ctx, const struct walk *w,
				      const bool v6)
{
	struct lwfp_udp_app_key app = {};
	struct lwfp_udp_app *val;
	struct lwfp_flow *f;

	app.cookie = bpf_get_socket_cookie(ctx);
	app.dst = w->dst;
	val = bpf_map_lookup_elem(&lwfp_udp_app, &app);
	if (!val)
		return false;
	f = bpf_map_lookup_elem(&lwfp_flows, &val->token);
	if (!f)
		return false;
	udp_touch(val->token);
	udp_rewrite(ctx, w, val->addr, f->target.port, v6);
	lwfp_count(LWFP_CNT_UDP_DATAGRAM);
	return true;
}

/* Is the flow at this address the receiving socket's own? */
static __always_inline bool udp_owner(struct bpf_sock_addr *ctx, const struct lwfp_flow *f,
				      __u32 ip)
{
	struct lwfp_sk *st = sock_state(ctx->sk, false);

	return st && f->client && st->cookie == f->client &&
	       (st->dgram || st->udp_addr == ip);
}

/* recvmsg: a reply from a flow's address comes from the original destination. */
static __always_inline int udp_reverse(struct bpf_sock_addr *ctx, const bool v6)
{
	struct lwfp_flow *f;
	__u64 token;
	__u32 ip;

	ip = udp_addr_of_ctx(ctx, v6, false);
	if (!ip)
		return 1;
	token = udp_addr_token(bpf_get_netns_cookie(ctx), ip);
	f = token ? bpf_map_lookup_elem(&lwfp_flows, &token) : NULL;
	if (!f || !udp_owner(ctx, f, ip))
		return 1;
	udp_touch(token);
	if (!sa_fits(&f->orig_dst, v6))
		return 1;
	sa_put(ctx, &f->orig_dst, v6);
	lwfp_count(LWFP_CNT_UDP_REVERSED);
	return 1;
}

/*
 * A per-flow socket connects to the flow's client, and only to it: the
 * socket a datagram from the flow address would reach must be the one that
 * opened the flow. Otherwise anyone who sent to a flow address first could
 * make the proxy take the flow for theirs.
 */
static __always_inline int udp_flow_connect(struct bpf_sock_addr *ctx, const struct lwfp_sk *st,
					    const bool v6)
{
	struct lwfp_flow *f = bpf_map_lookup_elem(&lwfp_flows, &st->token);
	struct bpf_sock_tuple tup = {};
	__u32 len = sizeof(tup.ipv4);
	struct bpf_sock *sk;
	struct lwfp_sk *cs;
	__u32 ip6[4] = {};
	bool ok;

	if (!f)
		return lwfp_deny(ENOENT);
	if (v6)
		sa_ip6_read(ip6, ctx->user_ip6);
	if (!v6 || lwfp_v4mapped(ip6)) {
		tup.ipv4.saddr = st->udp_addr;
		tup.ipv4.sport = f->target.port;
		tup.ipv4.daddr = v6 ? ip6[3] : ctx->user_ip4;
		tup.ipv4.dport = (__u16)ctx->user_port;
	} else {
		tup.ipv6.saddr[0] = bpf_htonl(LWFP_UDP6_NET0);
		tup.ipv6.saddr[1] = bpf_htonl(LWFP_UDP6_NET1);
		tup.ipv6.saddr[3] = st->udp_addr;
		tup.ipv6.sport = f->target.port;
		__builtin_memcpy(tup.ipv6.daddr, ip6, sizeof(ip6));
		tup.ipv6.dport = (__u16)ctx->user_port;
		len = sizeof(tup.ipv6);
	}
	sk = bpf_sk_lookup_udp(ctx, &tup, len, BPF_F_CURRENT_NETNS, 0);
	if (!sk)
		return lwfp_spoof_refused(ECONNREFUSED);
	cs = bpf_sk_storage_get(&lwfp_sk_store, sk, 0, 0);
	ok = cs && f->client && cs->cookie == f->client;
	bpf_sk_release(sk);
	return ok ? 1 : lwfp_spoof_refused(EACCES);
}

/*
 * A datagram whose source (IP_PKTINFO) is a flow address would reach the
 * application as a reply from its original destination: only a service's
 * own sockets may send one.
 */
static __always_inline bool udp_src_allowed(struct bpf_sock_addr *ctx, const bool v6)
{
	struct lwfp_sk *st;

	if (!udp_addr_of_ctx(ctx, v6, true))
		return true;
	st = sock_state(ctx->sk, false);
	return st && (st->role == LWFP_SK_FLOW || st->services);
}
