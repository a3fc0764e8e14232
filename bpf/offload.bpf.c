// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The offload verdict (docs/abi.md "Offload"), an object of its own: it
 * reads two kernel structures through BTF, which needs Linux 6.2
 * (bpf_cast_to_kern_ctx). Where it does not load, the engine runs without
 * the fast path and proxies splice; lwfp.bpf.o does not depend on it.
 *
 * It runs for every segment received by a socket of lwfp_offload_rx, in
 * order, including the ones queued before the socket was inserted
 * (lwfp_offload() has the kernel read those at once), and sends it out of
 * the peer socket.
 *
 * The kernel gives the verdict whole queued segments (tcp_read_skb), also
 * a segment whose head TCP already had: a retransmit that overlaps what
 * arrived, or a segment the proxy read part of before it handed over. The
 * receive path of a socket skips such a head by sequence number; this one
 * does not, so the verdict trims it itself, or those bytes would go out
 * twice (test_offload.sh "overlap"). Each segment's sequence number is
 * compared with the socket's copied_seq, which the kernel advances by each
 * segment's length after its verdict.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "offload.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

extern void *bpf_cast_to_kern_ctx(void *obj) __ksym;

/* The fields read, placed by CO-RE from the running kernel's BTF. */
struct sk_buff___lwfp {
	char cb[48];
} __attribute__((preserve_access_index));

struct tcp_skb_cb___lwfp {
	__u32 seq;
} __attribute__((preserve_access_index));

struct tcp_sock___lwfp {
	__u32 copied_seq;
} __attribute__((preserve_access_index));

/* bpf_skb_adjust_room takes at most 4095 bytes off at a time. */
#define TRIM_STEP 4095
/* 64 steps cover a 256 KiB segment (BIG TCP aside). */
#define TRIM_STEPS 64

/*
 * Bytes at the head of skb that its socket has consumed already: 0, or
 * -1 when the segment cannot be placed (no socket).
 */
static __always_inline long offload_seen(struct __sk_buff *skb)
{
	struct sk_buff___lwfp *kskb = bpf_cast_to_kern_ctx(skb);
	struct tcp_skb_cb___lwfp *cb = (void *)kskb->cb;
	struct bpf_sock *sk = skb->sk;
	struct tcp_sock___lwfp *tp;
	__s32 seen;

	if (!sk)
		return -1;
	tp = (void *)bpf_skc_to_tcp_sock(sk);
	if (!tp)
		return -1;
	seen = (__s32)(tp->copied_seq - cb->seq);
	return seen > 0 ? seen : 0;
}

/* Takes the first n bytes off skb; 0, or -1 when they could not be. */
static __always_inline int offload_trim(struct __sk_buff *skb, long n)
{
	int i;

	for (i = 0; i < TRIM_STEPS && n > 0; i++) {
		long step = n < TRIM_STEP ? n : TRIM_STEP;

		if (bpf_skb_adjust_room(skb, -step, 0, 0))
			return -1;
		n -= step;
	}
	return n > 0 ? -1 : 0;
}

SEC("sk_skb")
int lwfp_offload_verdict(struct __sk_buff *skb)
{
	__u64 cookie;
	long seen;

	/*
	 * A segment without data (a FIN) must not reach the peer's send
	 * work: sending 0 bytes counts there as a broken pipe.
	 */
	if (!skb->len)
		return SK_DROP;
	seen = offload_seen(skb);
	/*
	 * Dropped, a segment still moves copied_seq on: the bytes the peer
	 * sends then fall short of what arrived, which the proxy sees and
	 * ends the flow with a reset (lwfp-inspect's offload.c).
	 */
	if (seen < 0 || seen >= skb->len || offload_trim(skb, seen))
		return SK_DROP;
	cookie = bpf_get_socket_cookie(skb);
	return bpf_sk_redirect_hash(skb, &lwfp_offload_tx, &cookie, 0);
}
