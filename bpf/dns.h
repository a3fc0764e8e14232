/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Names from DNS answers, learned in the kernel: lwfp has no daemon, and a
 * resolver proxy would be one more thing in the path.
 *
 *   dns_mark()     connect4/6, sendmsg4/6: a socket that sends to port 53
 *                  is marked with its namespace's cookie (lwfp_dns_sk).
 *   dns_learn()    cgroup_skb/ingress: a packet for a marked socket that
 *                  holds a DNS response (UDP, or TCP with the whole
 *                  length-prefixed message in one segment) is parsed
 *                  (dns_parse.h) and each A/AAAA address of it stored in
 *                  lwfp_dns under {namespace, address}.
 *   dns_tcp_count()  sockops TCP_CONNECT_CB, and dns_tcp_uncount() at
 *                  release: a marked TCP socket's local port is counted
 *                  in lwfp_dns_tcp_ports while it lives, so that
 *                  dns_learn() lets every other TCP packet go with one
 *                  inlined array lookup: this program runs for every
 *                  packet the subtree receives, and TCP is most of them.
 *   dns_host_init()    connect: the bloom of the destination's entry, when its
 *   dns_host_matches() TTL (or the floor) has not run out and a --host filter
 *                  is live; a --host filter is one bit test, and a hash
 *                  comparison on a hit.
 *
 * The mark rather than source port 53: replies of a DNS query that a
 * filter sent to a proxy come from the proxy's port, and a socket that
 * never sent a query costs one storage lookup per packet and no parsing.
 *
 * The walk keeps 2 bytes for this (its bloom, in a hole of struct walk)
 * and no key: walk.netns and walk.dst.ip are the key. 16 bytes more in
 * the walk take connect4 past the 512 bytes of stack (528). So a connect matches the names
 * of its own socket's namespace: a proxy further down a chain matches
 * the application's names when it connects from the application's
 * namespace (lwfp-inspect --netns does); the logs' dns_name always names
 * the application's (lwfp_dns_name by the context's netns_cookie).
 */
#pragma once

#include "common.h"
#include "flow.h"

static __always_inline void dns_mark(struct bpf_sock_addr *ctx)
{
	struct lwfp_dns_sock *d;

	if (ctx->user_port != bpf_htons(LWFP_DNS_PORT) || !ctx->sk)
		return;
	d = bpf_sk_storage_get(&lwfp_dns_sk, ctx->sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (d)
		d->netns = bpf_get_netns_cookie(ctx);
}

/* port's count in lwfp_dns_tcp_ports moves by delta. */
static __always_inline void dns_tcp_port_add(__u32 port, __s32 delta)
{
	__u32 *n = bpf_map_lookup_elem(&lwfp_dns_tcp_ports, &port);

	if (n)
		__sync_fetch_and_add(n, delta);
}

/*
 * A marked TCP socket has its local port now: count it, once. A socket
 * that connects again from another port moves its count.
 */
static __always_inline void dns_tcp_count(struct bpf_sock_ops *ops)
{
	struct lwfp_dns_sock *d;
	__u32 port = ops->local_port;

	if (!ops->sk || !port)
		return;
	d = bpf_sk_storage_get(&lwfp_dns_sk, ops->sk, 0, 0);
	if (!d || d->port == port)
		return;
	if (d->port)
		dns_tcp_port_add(d->port, -1);
	dns_tcp_port_add(port, 1);
	d->port = port;
}

/*
 * close(): the count goes with the socket. Only its own count: a socket
 * never counted gives nothing back, so no socket can zero another's (one
 * in another namespace with the same port) and hide its answers.
 */
static __always_inline void dns_tcp_uncount(struct bpf_sock *sk)
{
	struct lwfp_dns_sock *d;

	if (sk->protocol != IPPROTO_TCP)
		return;
	d = bpf_sk_storage_get(&lwfp_dns_sk, sk, 0, 0);
	if (!d || !d->port)
		return;
	dns_tcp_port_add(d->port, -1);
	d->port = 0;
}

/*
 * A TCP packet for a local port no marked socket has: not ours, known
 * without a helper call. Anything else (UDP, IPv6 with extension headers,
 * a header not in the linear data) goes on to the storage lookup.
 */
static __always_inline bool dns_tcp_unmarked(struct __sk_buff *skb, const struct bpf_sock *sk)
{
	__u8 *b = (__u8 *)(long)skb->data, *end = (__u8 *)(long)skb->data_end;
	__u32 port, *n;

	if (b + 10 > end)
		return false;
	if (!((b[0] >> 4 == 4 && b[9] == IPPROTO_TCP) || (b[0] >> 4 == 6 && b[6] == IPPROTO_TCP)))
		return false;
	port = sk->src_port;
	n = bpf_map_lookup_elem(&lwfp_dns_tcp_ports, &port);
	return n && !*n;
}

/* walk.netns and walk.dst.ip, laid out as the key (flow.h). */
static __always_inline const struct lwfp_dns_key *dns_host_key(const struct walk *w)
{
	return (const struct lwfp_dns_key *)&w->netns;
}

/* 16 bits of the entry's bloom: all the walk has room for. */
static __always_inline __u16 dns_bloom16(__u64 b)
{
	return (__u16)(b | b >> 16 | b >> 32 | b >> 48);
}

/*
 * The bloom of an entry of lwfp_dns if it is live and of the family, else
 * 0; 0 too without a --host filter live (on == 0), with no lookup. A
 * global function, verified once: its branches split no state of the walk.
 * The key is copied to the stack: Linux 6.1 takes no argument memory as a
 * map key.
 */
__attribute__((noinline)) int lwfp_host_bloom(const struct lwfp_dns_key *k, __u32 family, __u32 on)
{
	struct lwfp_dns_entry *e;
	struct lwfp_dns_key key;

	if (!k || !on)
		return 0;
	__builtin_memcpy(&key, k, sizeof(key));
	e = bpf_map_lookup_elem(&lwfp_dns, &key);
	if (!e || e->family != family || e->expires_ns <= bpf_ktime_get_ns())
		return 0;
	return dns_bloom16(e->bloom);
}

/* Once per walked connect: the bloom of the destination's live entry. */
static __always_inline void dns_host_init(struct walk *w, __u32 on)
{
	w->host_bloom = (__u16)lwfp_host_bloom(dns_host_key(w), w->dst.family, on);
}

static __always_inline bool dns_host_matches(const struct lwfp_filter *f, const struct walk *w)
{
	struct lwfp_dns_entry *e;
	__u64 h = f->host_hash;
	__u32 i;

	if (!(w->host_bloom & (1u << (h & 15))))
		return false;
	e = bpf_map_lookup_elem(&lwfp_dns, dns_host_key(w));
	if (!e || e->family != w->dst.family)
		return false;
	for (i = 0; i < LWFP_DNS_HASHES; i++)
		if (i < e->nhashes && e->hashes[i] == h)
			return true;
	return false;
}

static __always_inline struct dns_parse *dns_scratch(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&lwfp_dns_scratch, &zero);
}

/* bpf_loop takes a stack pointer only: each step finds the scratch again. */
static long dns_loop_step(__u32 i, void *arg)
{
	struct dns_parse *p = dns_scratch();

	(void)i;
	(void)arg;
	return p ? dns_step(p) : 1;
}

/*
 * Where the DNS message starts in the packet (the network header is at 0)
 * and its length, or 0. TCP: the segment must start with the message's
 * length and hold all of it; a message split over segments is not read.
 */
static __always_inline __u32 dns_payload(struct __sk_buff *skb, __u32 *len)
{
	__u8 h[40], proto;
	__u32 off;
	__u16 mlen;

	if (bpf_skb_load_bytes(skb, 0, h, 1))
		return 0;
	if ((h[0] >> 4) == 4) {
		if (bpf_skb_load_bytes(skb, 0, h, 20))
			return 0;
		proto = h[9];
		off = (h[0] & 0xf) * 4;
	} else {
		if (bpf_skb_load_bytes(skb, 0, h, 40))
			return 0;
		proto = h[6]; /* extension headers are not followed */
		off = 40;
	}
	if (proto == IPPROTO_UDP) {
		off += 8;
	} else if (proto == IPPROTO_TCP) {
		if (bpf_skb_load_bytes(skb, off, h, 20))
			return 0;
		off += (h[12] >> 4) * 4;
		if (bpf_skb_load_bytes(skb, off, &mlen, 2))
			return 0;
		off += 2;
		if (bpf_ntohs(mlen) > skb->len - off)
			return 0;
		*len = bpf_ntohs(mlen);
		return off;
	} else {
		return 0;
	}
	if (off >= skb->len)
		return 0;
	*len = skb->len - off;
	return off;
}

static __always_inline __u64 dns_floor_ns(void)
{
	struct lwfp_config *cfg = lwfp_cfg();
	__u32 s = cfg ? cfg->dns_ttl_floor_s : 0;

	return (__u64)(s ? s : LWFP_DNS_TTL_FLOOR_DEFAULT_S) * 1000000000ULL;
}

static __always_inline void dns_store(struct dns_parse *p, __u64 netns)
{
	struct lwfp_dns_key k = {};
	__u64 now = bpf_ktime_get_ns(), ttl, floor = dns_floor_ns();
	__u32 i;

	ttl = (__u64)p->entry.ttl * 1000000000ULL;
	p->entry.learned_ns = now;
	p->entry.expires_ns = now + (ttl > floor ? ttl : floor);
	k.netns = netns;
	for (i = 0; i < DNS_ANSWERS_MAX; i++) {
		if (i >= p->naddrs)
			break;
		__builtin_memcpy(k.addr, p->addrs[i].addr, sizeof(k.addr));
		p->entry.family = p->addrs[i].family;
		bpf_map_update_elem(&lwfp_dns, &k, &p->entry, BPF_ANY);
	}
}

/* cgroup_skb/ingress: never drops; it only reads. */
static __always_inline int dns_learn(struct __sk_buff *skb)
{
	struct bpf_sock *sk = skb->sk;
	struct lwfp_dns_sock *d;
	struct dns_parse *p;
	__u32 off, len = 0;

	if (!sk || dns_tcp_unmarked(skb, sk))
		return 1;
	sk = bpf_sk_fullsock(sk);
	if (!sk)
		return 1;
	d = bpf_sk_storage_get(&lwfp_dns_sk, sk, 0, 0);
	if (!d)
		return 1;
	off = dns_payload(skb, &len);
	p = dns_scratch();
	if (!off || len < DNS_HDR_LEN || !p)
		return 1;
	if (len > DNS_PKT_MAX)
		len = DNS_PKT_MAX;
	if (bpf_skb_load_bytes(skb, off, p->pkt, len))
		return 1;
	p->len = len;
	dns_parse_init(p);
	bpf_loop(DNS_STEPS_MAX, dns_loop_step, NULL, 0);
	if (p->state == DNS_S_DONE)
		dns_store(p, d->netns);
	return 1;
}
