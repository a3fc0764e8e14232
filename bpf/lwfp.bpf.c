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

/*
 * The programs, each one line: its section, its name (what lib/engine.c
 * attaches and pins), its context and the one call it makes.
 */
#define LWFP_PROG(sec, name, type, call) \
	SEC(sec) int name(type *ctx) { return call; }

LWFP_PROG("cgroup/connect4", lwfp_connect4, struct bpf_sock_addr, cls_sock_addr(ctx, false, false))
LWFP_PROG("cgroup/connect6", lwfp_connect6, struct bpf_sock_addr, cls_sock_addr(ctx, true, false))
LWFP_PROG("cgroup/sendmsg4", lwfp_sendmsg4, struct bpf_sock_addr, cls_sock_addr(ctx, false, true))
LWFP_PROG("cgroup/sendmsg6", lwfp_sendmsg6, struct bpf_sock_addr, cls_sock_addr(ctx, true, true))
LWFP_PROG("cgroup/recvmsg4", lwfp_recvmsg4, struct bpf_sock_addr, udp_reverse(ctx, false))
LWFP_PROG("cgroup/recvmsg6", lwfp_recvmsg6, struct bpf_sock_addr, udp_reverse(ctx, true))
LWFP_PROG("cgroup/bind4", lwfp_bind4, struct bpf_sock_addr, bind_check(ctx, false))
LWFP_PROG("cgroup/bind6", lwfp_bind6, struct bpf_sock_addr, bind_check(ctx, true))
LWFP_PROG("cgroup/getpeername4", lwfp_getpeername4, struct bpf_sock_addr, peer_show(ctx, false))
LWFP_PROG("cgroup/getpeername6", lwfp_getpeername6, struct bpf_sock_addr, peer_show(ctx, true))
LWFP_PROG("cgroup_skb/ingress", lwfp_dns_ingress, struct __sk_buff, dns_learn(ctx))
LWFP_PROG("sockops", lwfp_sockops, struct bpf_sock_ops, handoff_sockops(ctx))
LWFP_PROG("cgroup/sock_release", lwfp_sock_release, struct bpf_sock, handoff_release(ctx))
LWFP_PROG("cgroup/getsockopt", lwfp_getsockopt, struct bpf_sockopt, so_get(ctx))
LWFP_PROG("cgroup/setsockopt", lwfp_setsockopt, struct bpf_sockopt, so_set(ctx))

char LICENSE[] SEC("license") = "Dual BSD/GPL";
