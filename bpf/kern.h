/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The kernel's own structures, as far as lwfp reads them: each field is
 * placed by CO-RE from the running kernel's BTF, so these carry only what
 * is read, once for both objects (lwfp.bpf.c and offload.bpf.c).
 */
#pragma once

#include <linux/types.h>
#include <stdbool.h>

/* A TCP socket (bpf_skc_to_tcp_sock()). */
struct tcp_sock___lwfp {
	bool is_mptcp; /* an MPTCP subflow (handoff.h); absent without MPTCP */
	__u32 copied_seq; /* what its reader has taken (offload.bpf.c) */
	__u32 write_seq; /* what its writers have given it to send (offload.bpf.c) */
} __attribute__((preserve_access_index));

/* An skb (bpf_cast_to_kern_ctx()): its control block holds TCP's. */
struct sk_buff___lwfp {
	char cb[48];
} __attribute__((preserve_access_index));

/* TCP's control block of a received segment. */
struct tcp_skb_cb___lwfp {
	__u32 seq;
} __attribute__((preserve_access_index));
