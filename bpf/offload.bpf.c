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
 * twice (test_offload.sh "overlap"). It keeps the sequence number after
 * the last byte it handled in the direction's state, starting from what
 * the proxy had read (copied_seq at the first segment).
 *
 * A redirect has no backpressure: the peer's send work queues whatever
 * comes. So each direction counts what it sent there, and compares it with
 * what the peer's socket took (its write_seq): past max_queue bytes in
 * between, segments stay in the source's own receive queue (SK_PASS),
 * which fills its receive window and stops the sender. The caller reads
 * them and writes them to the peer itself, after the queue has drained;
 * once everything the verdict took is in the peer's socket, the next
 * segment is redirected again (bpf/offload.h, docs/abi.md "Backpressure").
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "kern.h"
#include "offload.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

extern void *bpf_cast_to_kern_ctx(void *obj) __ksym;

/* bpf_skb_adjust_room takes at most 4095 bytes off at a time. */
#define TRIM_STEP 4095
/* 64 steps cover a 256 KiB segment (BIG TCP aside). */
#define TRIM_STEPS 64

static __always_inline __u32 offload_seq(struct __sk_buff *skb)
{
	struct sk_buff___lwfp *kskb = bpf_cast_to_kern_ctx(skb);
	struct tcp_skb_cb___lwfp *cb = (void *)kskb->cb;

	return cb->seq;
}

/* A TCP socket's field, or -1 when it is not one. */
static __always_inline long offload_copied_seq(struct bpf_sock *sk)
{
	struct tcp_sock___lwfp *tp = sk ? (void *)bpf_skc_to_tcp_sock(sk) : NULL;

	return tp ? (long)tp->copied_seq : -1;
}

/* The peer's write_seq: what its socket has taken to send. -1: no peer. */
static __always_inline long offload_peer_seq(__u64 *cookie)
{
	struct bpf_sock *peer = bpf_map_lookup_elem(&lwfp_offload_tx, cookie);
	struct tcp_sock___lwfp *tp;
	long seq = -1;

	if (!peer)
		return -1;
	tp = (void *)bpf_skc_to_tcp_sock(peer);
	if (tp)
		seq = tp->write_seq;
	bpf_sk_release(peer);
	return seq;
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

/*
 * Bytes at the head of skb already handled (or read by the proxy before
 * the hand-over), which come off; the segment's new bytes then count as
 * handled. 0, or -1 when nothing of it is new or it could not be trimmed.
 */
static __always_inline int offload_fresh(struct __sk_buff *skb, struct lwfp_offload_dir *d)
{
	__u32 seq = offload_seq(skb), end = seq + skb->len;
	__s32 seen = (__s32)(d->next_seq - seq);

	if (seen < 0)
		seen = 0;
	if (seen >= (__s32)skb->len || offload_trim(skb, seen))
		return -1;
	d->next_seq = end;
	return 0;
}

/*
 * Whether this segment (n bytes) stays in the source (SK_PASS) rather than
 * being redirected: the bytes the verdict took and the peer's socket has
 * not, out of what the peer's socket took since the first segment.
 */
static __always_inline int offload_hold(struct lwfp_offload_dir *d, __u32 out_seq, __u32 n)
{
	__u32 queued = (__u32)(d->sent + d->spilled) - (out_seq - d->out_seq0);

	/* Negative: the peer took more than was given it; no queue then. */
	if ((__s32)queued < 0)
		queued = 0;
	if (d->spilling)
		/* Until all of the spill is in the peer's socket, in order. */
		d->spilling = queued != 0;
	else
		d->spilling = (__u64)queued + n > d->max_queue;
	return d->spilling;
}

SEC("sk_skb")
int lwfp_offload_verdict(struct __sk_buff *skb)
{
	struct lwfp_offload_dir *d;
	__u64 cookie;
	long peer_seq, copied;

	/*
	 * A segment without data (a FIN) must not reach the peer's send
	 * work: sending 0 bytes counts there as a broken pipe.
	 */
	if (!skb->len)
		return SK_DROP;
	/*
	 * Dropped, a segment still counts as taken from the source: the
	 * bytes the peer sends then fall short of what arrived, which the
	 * proxy sees and ends the flow with a reset (lwfp-inspect's offload.c).
	 */
	cookie = bpf_get_socket_cookie(skb);
	d = bpf_map_lookup_elem(&lwfp_offload_dir, &cookie);
	peer_seq = offload_peer_seq(&cookie);
	if (!d || peer_seq < 0)
		return SK_DROP;
	if (!d->started) {
		copied = offload_copied_seq(skb->sk);
		if (copied < 0)
			return SK_DROP;
		d->next_seq = (__u32)copied;
		d->out_seq0 = (__u32)peer_seq;
		d->started = 1;
	}
	if (offload_fresh(skb, d))
		return SK_DROP;
	if (offload_hold(d, (__u32)peer_seq, skb->len)) {
		d->spilled += skb->len;
		return SK_PASS;
	}
	d->sent += skb->len;
	return bpf_sk_redirect_hash(skb, &lwfp_offload_tx, &cookie, 0);
}
