// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The lwfp data plane: the programs the engine attaches to a cgroup v2 path.
 * Each one is a thin entry point; the logic lives in one header per concern.
 *
 *   classify.h  connect4/6: the redirect layer
 *   udp.h       sendmsg4/6, recvmsg4/6: UDP flows and reverse translation
 *   handoff.h   sockops and sock_release: the flow follows the connection
 *   sockopt.h   SOL_LWFP get/set: records, context, original dst, state
 *   peer.h      getpeername4/6: the application sees its original peer
 *   bind.h      bind4/6: flow addresses are the engine's; services' listeners
 *   dns.h       cgroup_skb/ingress: names from DNS answers, for --host and logs
 *   offload.h   the socket maps of a flow the kernel relays (the verdict is
 *               offload.bpf.c, an object of its own)
 */
#include "bind.h"
#include "classify.h"
#include "dns.h"
#include "handoff.h"
#include "offload.h"
#include "peer.h"
#include "sockopt.h"

static __always_inline void dst4(struct bpf_sock_addr *ctx, struct walk *w)
{
	w->dst.family = AF_INET;
	w->dst.ip[0] = ctx->user_ip4;
	w->dst.port = (__u16)ctx->user_port;
	w->family = 4;
}

static __always_inline void dst6(struct bpf_sock_addr *ctx, struct walk *w)
{
	__u32 ip[4] = { ctx->user_ip6[0], ctx->user_ip6[1], ctx->user_ip6[2], ctx->user_ip6[3] };

	w->sock_v6 = 1;
	w->dst.port = (__u16)ctx->user_port;
	if (addr_is_v4mapped(ip)) {
		/* ::ffff:a.b.c.d is IPv4 on the wire, so IPv4 filters decide. */
		w->mapped = 1;
		w->dst.family = AF_INET;
		w->dst.ip[0] = ip[3];
		w->family = 4;
	} else {
		w->dst.family = AF_INET6;
		__builtin_memcpy(w->dst.ip, ip, sizeof(ip));
		w->family = 6;
	}
}

SEC("cgroup/connect4")
int lwfp_connect4(struct bpf_sock_addr *ctx)
{
	struct walk w = {};

	dst4(ctx, &w);
	dns_mark(ctx);
	return classify(ctx, &w, false);
}

SEC("cgroup/connect6")
int lwfp_connect6(struct bpf_sock_addr *ctx)
{
	struct walk w = {};

	dst6(ctx, &w);
	dns_mark(ctx);
	return classify(ctx, &w, true);
}

SEC("cgroup/sendmsg4")
int lwfp_sendmsg4(struct bpf_sock_addr *ctx)
{
	struct walk w = {};

	dst4(ctx, &w);
	dns_mark(ctx);
	return classify_datagram(ctx, &w, false);
}

SEC("cgroup/sendmsg6")
int lwfp_sendmsg6(struct bpf_sock_addr *ctx)
{
	struct walk w = {};

	dst6(ctx, &w);
	dns_mark(ctx);
	return classify_datagram(ctx, &w, true);
}

SEC("cgroup/recvmsg4")
int lwfp_recvmsg4(struct bpf_sock_addr *ctx)
{
	return udp_reverse(ctx, false);
}

SEC("cgroup/recvmsg6")
int lwfp_recvmsg6(struct bpf_sock_addr *ctx)
{
	return udp_reverse(ctx, true);
}

SEC("cgroup/bind4")
int lwfp_bind4(struct bpf_sock_addr *ctx)
{
	return bind_check(ctx, false);
}

SEC("cgroup/bind6")
int lwfp_bind6(struct bpf_sock_addr *ctx)
{
	return bind_check(ctx, true);
}

SEC("cgroup/getpeername4")
int lwfp_getpeername4(struct bpf_sock_addr *ctx)
{
	return peer4(ctx);
}

SEC("cgroup/getpeername6")
int lwfp_getpeername6(struct bpf_sock_addr *ctx)
{
	return peer6(ctx);
}

SEC("cgroup_skb/ingress")
int lwfp_dns_ingress(struct __sk_buff *skb)
{
	return dns_learn(skb);
}

SEC("sockops")
int lwfp_sockops(struct bpf_sock_ops *ops)
{
	return handoff(ops);
}

SEC("cgroup/sock_release")
int lwfp_sock_release(struct bpf_sock *sk)
{
	return release(sk);
}

SEC("cgroup/getsockopt")
int lwfp_getsockopt(struct bpf_sockopt *ctx)
{
	return lwfp_get(ctx);
}

SEC("cgroup/setsockopt")
int lwfp_setsockopt(struct bpf_sockopt *ctx)
{
	return lwfp_set(ctx);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
