// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * bench/sockmap_probe.sh's programs: what a socket map can do for a passed
 * flow if the application's own socket were in it (docs/performance.md,
 * "relay with --offload"). Not lwfp's data plane: no bounds, no counts.
 * Sockets are keyed by their local port (an sk_msg program cannot read a
 * socket cookie); the probe runs alone in a network namespace.
 *
 *   hop_skb  the hop's sockets, as lwfp's verdict today: what one receives
 *            goes out of the other (two TCP connections per hop);
 *   app_msg  what the application writes goes out of the hop's outbound
 *            socket (one connection: the application's own is skipped);
 *   out_skb  what the hop's outbound socket receives goes into the
 *            application's receive queue (one connection).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define SOCKS(name)                                   \
	struct {                                      \
		__uint(type, BPF_MAP_TYPE_SOCKHASH);  \
		__uint(max_entries, 8);               \
		__type(key, __u64);                   \
		__type(value, __u64);                 \
	} name SEC(".maps")

SOCKS(targets); /* by the local port of the socket whose bytes go there */
SOCKS(hops); /* hop_skb runs on these */
SOCKS(apps); /* app_msg runs on these */
SOCKS(outs); /* out_skb runs on these */

SEC("sk_skb")
int hop_skb(struct __sk_buff *skb)
{
	__u64 key = skb->local_port;

	return bpf_sk_redirect_hash(skb, &targets, &key, 0);
}

SEC("sk_msg")
int app_msg(struct sk_msg_md *msg)
{
	__u64 key = msg->local_port;

	return bpf_msg_redirect_hash(msg, &targets, &key, 0);
}

SEC("sk_skb")
int out_skb(struct __sk_buff *skb)
{
	__u64 key = skb->local_port;

	return bpf_sk_redirect_hash(skb, &targets, &key, BPF_F_INGRESS);
}
