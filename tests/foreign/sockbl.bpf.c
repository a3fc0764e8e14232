// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sockbl: a foreign service-address translator for the coexistence tests
 * (tests/integration/test_coexist_lb.sh). It stands for another product's
 * socket load balancer (the pattern of Cilium's kube-proxy replacement)
 * and so includes nothing of lwfp.
 *
 *   connect4/6      a destination found in sockbl_svc (VIP:port) becomes
 *                   its backend, and (socket cookie, backend) -> VIP goes
 *                   into sockbl_rev;
 *   getpeername4/6  a peer found in sockbl_rev under the socket's cookie is
 *                   shown as the VIP again.
 *
 * Both look up the address they are handed, as Cilium's do: a program that
 * ran before them and changed it makes them miss. sockbl_stats counts what
 * they did (index 0: connects translated, 1: peers restored), so that a test
 * can tell whose connect was translated. One map serves both families: an
 * IPv4 address is held as ::ffff:a.b.c.d, which an IPv6 socket also uses
 * for IPv4 peers. A VIP and its backends are of one family.
 */
#include <stdbool.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* An address as the sock_addr context holds it: both fields in network order. */
struct sockbl_addr {
	__u32 ip6[4];
	__u16 port;
	__u16 pad;
};

struct sockbl_rev_key {
	__u64 cookie;
	struct sockbl_addr backend;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, struct sockbl_addr);
	__type(value, struct sockbl_addr);
} sockbl_svc SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct sockbl_rev_key);
	__type(value, struct sockbl_addr);
} sockbl_rev SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} sockbl_stats SEC(".maps");

static __always_inline void bump(__u32 which)
{
	__u64 *c = bpf_map_lookup_elem(&sockbl_stats, &which);

	if (c)
		__sync_fetch_and_add(c, 1);
}

static __always_inline void get4(struct bpf_sock_addr *ctx, struct sockbl_addr *a)
{
	a->ip6[2] = bpf_htonl(0xffff);
	a->ip6[3] = ctx->user_ip4;
	a->port = (__u16)ctx->user_port;
}

static __always_inline void put4(struct bpf_sock_addr *ctx, const struct sockbl_addr *a)
{
	ctx->user_ip4 = a->ip6[3];
	ctx->user_port = a->port;
}

static __always_inline void get6(struct bpf_sock_addr *ctx, struct sockbl_addr *a)
{
	a->ip6[0] = ctx->user_ip6[0];
	a->ip6[1] = ctx->user_ip6[1];
	a->ip6[2] = ctx->user_ip6[2];
	a->ip6[3] = ctx->user_ip6[3];
	a->port = (__u16)ctx->user_port;
}

static __always_inline void put6(struct bpf_sock_addr *ctx, const struct sockbl_addr *a)
{
	ctx->user_ip6[0] = a->ip6[0];
	ctx->user_ip6[1] = a->ip6[1];
	ctx->user_ip6[2] = a->ip6[2];
	ctx->user_ip6[3] = a->ip6[3];
	ctx->user_port = a->port;
}

/* The backend of *vip, with the reverse entry made; NULL if none or if the
 * entry cannot be made (without it the application would see the backend). */
static __always_inline struct sockbl_addr *translate(struct bpf_sock_addr *ctx,
						     struct sockbl_addr *vip)
{
	struct sockbl_rev_key rk = {};
	struct sockbl_addr *be = bpf_map_lookup_elem(&sockbl_svc, vip);

	if (!be)
		return NULL;
	rk.cookie = bpf_get_socket_cookie(ctx);
	rk.backend = *be;
	if (bpf_map_update_elem(&sockbl_rev, &rk, vip, BPF_ANY))
		return NULL;
	bump(0);
	return be;
}

static __always_inline struct sockbl_addr *restore(struct bpf_sock_addr *ctx,
						   struct sockbl_rev_key *rk)
{
	struct sockbl_addr *vip;

	rk->cookie = bpf_get_socket_cookie(ctx);
	vip = bpf_map_lookup_elem(&sockbl_rev, rk);
	if (vip)
		bump(1);
	return vip;
}

/* v6 is a constant in each program: the other family's context fields,
 * which its attach type may not touch, are compiled out. */
static __always_inline void get(struct bpf_sock_addr *ctx, struct sockbl_addr *a, bool v6)
{
	if (v6)
		get6(ctx, a);
	else
		get4(ctx, a);
}

static __always_inline void put(struct bpf_sock_addr *ctx, const struct sockbl_addr *a, bool v6)
{
	if (v6)
		put6(ctx, a);
	else
		put4(ctx, a);
}

static __always_inline int on_connect(struct bpf_sock_addr *ctx, bool v6)
{
	struct sockbl_addr vip = {}, *be;

	get(ctx, &vip, v6);
	be = translate(ctx, &vip);
	if (be)
		put(ctx, be, v6);
	return 1;
}

static __always_inline int on_peer(struct bpf_sock_addr *ctx, bool v6)
{
	struct sockbl_rev_key rk = {};
	struct sockbl_addr *vip;

	get(ctx, &rk.backend, v6);
	vip = restore(ctx, &rk);
	if (vip)
		put(ctx, vip, v6);
	return 1;
}

SEC("cgroup/connect4")
int sockbl_connect4(struct bpf_sock_addr *ctx)
{
	return on_connect(ctx, false);
}

SEC("cgroup/connect6")
int sockbl_connect6(struct bpf_sock_addr *ctx)
{
	return on_connect(ctx, true);
}

SEC("cgroup/getpeername4")
int sockbl_peer4(struct bpf_sock_addr *ctx)
{
	return on_peer(ctx, false);
}

SEC("cgroup/getpeername6")
int sockbl_peer6(struct bpf_sock_addr *ctx)
{
	return on_peer(ctx, true);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
