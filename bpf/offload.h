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
 *
 * lwfp_offload_dir holds each direction's state (struct lwfp_offload_dir),
 * under its source socket's cookie. A socket map applies no backpressure:
 * its redirect queues without limit in the peer's send work. So the
 * verdict bounds that queue itself: past max_queue it leaves segments in
 * the source's own receive queue, where they fill the receive window and
 * stop the sender, until the caller has read them and written them out
 * (docs/abi.md "Offload", "Backpressure"). Entries are not removed when a
 * socket closes: cookies are never reused, and lwfp_offload() clears out
 * those of closed sockets when the map is full.
 */
#pragma once

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <lwfp/abi.h>
#include "layout.h"

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
	__type(value, __u64); /* a socket's fd in, its cookie out */
} lwfp_offload_tx SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_SOCKHASH);
	__uint(max_entries, OFFLOAD_MAX_SOCKETS);
	__type(key, __u64);
	__type(value, __u64);
} lwfp_offload_rx SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, OFFLOAD_MAX_SOCKETS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, struct lwfp_offload_dir);
} lwfp_offload_dir SEC(".maps");
