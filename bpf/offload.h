/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The kernel fast path of a passed flow (lwfp_offload(), docs/abi.md
 * "Offload"): a proxy hands over its two connected TCP sockets, and each
 * segment that arrives on one is sent out of the other without waking it.
 *
 * Two socket maps, both keyed by the socket's own cookie, so that a socket
 * is a redirect target before any data is redirected to it:
 *   lwfp_offload_tx  holds each socket under its PEER's cookie: the target
 *                    of the segments that arrive on the peer;
 *   lwfp_offload_rx  holds each socket under its own cookie; the verdict
 *                    program (offload.bpf.c) is attached to this map only, so a socket's
 *                    data is taken from it only once it is inserted here,
 *                    after both sockets are in lwfp_offload_tx.
 * A socket leaves both maps by itself when it is closed.
 */
#pragma once

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <lwfp/abi.h>

/*
 * Two sockets per offloaded flow. A socket hash allocates its buckets up
 * front (16 bytes each, a power of two), so every engine pays for this
 * size: 32768 flows at once, 1 MiB a map. A flow past it is refused
 * (-E2BIG) and relayed by its proxy.
 */
#define OFFLOAD_MAX_SOCKETS 65536

struct {
	__uint(type, BPF_MAP_TYPE_SOCKHASH);
	__uint(max_entries, OFFLOAD_MAX_SOCKETS);
	__type(key, __u64);
	__type(value, __u32);
} lwfp_offload_tx SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_SOCKHASH);
	__uint(max_entries, OFFLOAD_MAX_SOCKETS);
	__type(key, __u64);
	__type(value, __u32);
} lwfp_offload_rx SEC(".maps");
