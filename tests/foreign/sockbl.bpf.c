// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * sockbl: a foreign service-address translator for the coexistence tests
 * (tests/integration/test_coexist_lb.sh). It stands for another product's
 * socket load balancer (the pattern of Cilium's kube-proxy replacement)
 * and so includes nothing of lwfp.
 *
 *   connect4      a destination found in sockbl_svc (VIP:port) becomes its
 *                 backend, and (socket cookie, backend) -> VIP goes into
 *                 sockbl_rev;
 *   getpeername4  a peer found in sockbl_rev under the socket's cookie is
 *                 shown as the VIP again.
 *
 * Both look up the address they are handed, as Cilium's do: a program that
 * ran before them and changed it makes them miss. sockbl_stats counts what
 * they did (index 0: connects translated, 1: peers restored), so that a test
 * can tell whose connect was translated. IPv4 only.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* An address as the sock_addr context holds it: both fields in network order. */
struct sockbl_addr {
	__u32 ip;
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

SEC("cgroup/connect4")
int sockbl_connect4(struct bpf_sock_addr *ctx)
{
	struct sockbl_addr vip = { .ip = ctx->user_ip4, .port = (__u16)ctx->user_port };
	struct sockbl_rev_key rk = {};
	struct sockbl_addr *be;

	be = bpf_map_lookup_elem(&sockbl_svc, &vip);
	if (!be)
		return 1;
	rk.cookie = bpf_get_socket_cookie(ctx);
	rk.backend = *be;
	/* Without the reverse entry the application would see the backend. */
	if (bpf_map_update_elem(&sockbl_rev, &rk, &vip, BPF_ANY))
		return 1;
	ctx->user_ip4 = be->ip;
	ctx->user_port = be->port;
	bump(0);
	return 1;
}

SEC("cgroup/getpeername4")
int sockbl_peer4(struct bpf_sock_addr *ctx)
{
	struct sockbl_rev_key rk = {
		.cookie = bpf_get_socket_cookie(ctx),
		.backend = { .ip = ctx->user_ip4, .port = (__u16)ctx->user_port },
	};
	struct sockbl_addr *vip = bpf_map_lookup_elem(&sockbl_rev, &rk);

	if (!vip)
		return 1;
	ctx->user_ip4 = vip->ip;
	ctx->user_port = vip->port;
	bump(1);
	return 1;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
