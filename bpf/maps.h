/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Every map of the engine. Layouts come from layout.h; user space pins them by name. */
#pragma once

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "layout.h"

#include "dns_parse.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lwfp_config);
} lwfp_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2 * LWFP_MAX_FILTERS);
	__type(key, __u32);
	__type(value, struct lwfp_filter);
} lwfp_filters SEC(".maps");

/* The index over lwfp_filters (layout.h): buckets of both halves, by key. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 2 * LWFP_MAX_FILTERS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lwfp_idx_key);
	__type(value, struct lwfp_idx_bucket);
} lwfp_filter_idx SEC(".maps");

/* The buckets' filter positions, two halves like lwfp_filters. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2 * LWFP_MAX_FILTERS);
	__type(key, __u32);
	__type(value, __u32);
} lwfp_filter_pos SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LWFP_MAX_FILTERS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct lwfp_raw_context);
} lwfp_filter_raw SEC(".maps");

/* The paths of --app filters (layout.h): user space's alone, pinned with the rest. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LWFP_MAX_FILTERS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct lwfp_filter_app);
} lwfp_filter_app SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, LWFP_MAX_SERVICES);
	__type(key, __u32);
	__type(value, struct lwfp_service);
} lwfp_services SEC(".maps");

/* Allocated on demand: an idle engine costs no flow memory. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LWFP_MAX_FLOWS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, struct lwfp_flow);
} lwfp_flows SEC(".maps");

/*
 * A connect waiting for its accepted socket. LRU, because a handshake that
 * never completes leaves no close event on the accepting side to clean it.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct lwfp_tuple);
	__type(value, __u64);
} lwfp_pending SEC(".maps");

/* LRU: an entry is only a hint, checked against lwfp_flows when used. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct lwfp_inherit_key);
	__type(value, __u64);
} lwfp_inherit SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct lwfp_sk);
} lwfp_sk_store SEC(".maps");

/* UDP: see abi.h. A flow by its namespace and loopback address. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LWFP_MAX_FLOWS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lwfp_udp_addr_key);
	__type(value, __u64);
} lwfp_udp_addr SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LWFP_MAX_FLOWS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lwfp_udp_app_key);
	__type(value, struct lwfp_udp_app);
} lwfp_udp_app SEC(".maps");

/* Unconnected UDP flows by token, for the idle sweep (layout.h). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LWFP_MAX_FLOWS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, struct lwfp_udp_idle);
} lwfp_udp_idle SEC(".maps");

/* The one timer that sweeps lwfp_udp_idle; BPF-only. */
struct lwfp_sweep {
	struct bpf_timer timer;
	__u32 armed;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lwfp_sweep);
} lwfp_sweep SEC(".maps");

/*
 * Live flows per uid, so that one user cannot take the whole flow table
 * (lwfp_config.max_flows_per_uid). A uid's entry stays at 0 once its flows
 * are gone: uids are few, and deleting would race with a new flow.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, __u64);
} lwfp_uid_flows SEC(".maps");

/* The next loopback address to hand out, counted in LWFP_UDP_NET. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} lwfp_udp_seq SEC(".maps");

/* Where a new flow is assembled: too big for the 512-byte BPF stack. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lwfp_flow);
} lwfp_scratch SEC(".maps");

/*
 * The listener lookup's tuple (listener.h). Off the stack: Linux 6.1 allows
 * 512 bytes for the walk, its bpf_loop step and the global function
 * together, and the walk takes most of them.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bpf_sock_tuple);
} lwfp_tuple_scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, LWFP_CNT__MAX);
	__type(key, __u32);
	__type(value, __u64);
} lwfp_counters SEC(".maps");

/* Monitors' rings, one per reader (engine_defs.h, LWFP_EV_SLOTS). */
struct lwfp_ev_ring {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, LWFP_EV_RING_BYTES);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, LWFP_EV_SLOTS);
	__type(key, __u32);
	__array(values, struct lwfp_ev_ring);
} lwfp_ev_slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, LWFP_EV_SLOTS);
	__type(key, __u32);
	__type(value, __u64);
} lwfp_ev_drops SEC(".maps");

/* Bit s: slot s holds a ring. With no monitor, an event costs one lookup. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} lwfp_ev_mask SEC(".maps");

/* Written and read by user space only; pinned with the others. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, LWFP_EV_SLOTS);
	__type(key, __u32);
	__type(value, struct lwfp_ev_owner);
} lwfp_ev_owners SEC(".maps");

/* An event is built once here, then copied to each reader's ring. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lwfp_event);
} lwfp_ev_scratch SEC(".maps");

/*
 * Per-filter hits (layout.h). Per CPU, so that a busy filter's counter is no
 * shared cache line; not preallocated, so only live filters cost memory
 * (two tables' worth of ids can be live while a reload swaps them).
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 2 * LWFP_MAX_FILTERS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct lwfp_filter_hits);
} lwfp_filter_hits SEC(".maps");

/*
 * The service identity index (layout.h, struct lwfp_id_index): identity -> the
 * lowest service handle with it, written by lib/service.c.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lwfp_id_index);
} lwfp_id_index SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LWFP_MAX_SERVICES);
	__type(key, __u32);
	__type(value, __u32);
} lwfp_id_uid SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LWFP_MAX_SERVICES);
	__type(key, __u32);
	__type(value, __u32);
} lwfp_id_pid SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LWFP_MAX_SERVICES);
	__type(key, __u64);
	__type(value, __u32);
} lwfp_id_cgroup SEC(".maps");

/*
 * A proxy's accepted socket, by the 4-tuple of its connection as the
 * connecting side sees it (the lwfp_pending key): the flow that delivered
 * it. It replaces socket storage on accepted sockets; the entry and the
 * socket's reference on the flow go when the socket reaches TCP_CLOSE.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LWFP_MAX_FLOWS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lwfp_tuple);
	__type(value, __u64);
} lwfp_accepted SEC(".maps");

/*
 * Names learned from DNS answers (layout.h, struct lwfp_dns_entry). LRU: it
 * is bounded, and an address no connect asks about goes first.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, LWFP_DNS_ENTRIES);
	__type(key, struct lwfp_dns_key);
	__type(value, struct lwfp_dns_entry);
} lwfp_dns SEC(".maps");

/*
 * A socket that sent to port 53, with the cookie of its network
 * namespace: only these sockets' packets are parsed, and a cgroup_skb
 * program has no helper for the namespace (bpf/dns.h).
 */
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct lwfp_dns_sock);
} lwfp_dns_sk SEC(".maps");

/*
 * lwfp_dns_tcp_ports[local port]: the live TCP sockets of lwfp_dns_sk
 * with that local port, in any namespace. A TCP packet for a port counted
 * 0 is no DNS answer of ours, and is let go before the storage lookup
 * (bpf/dns.h); an array's lookup is inlined.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u32);
} lwfp_dns_tcp_ports SEC(".maps");

/* A message being parsed: far beyond the BPF stack. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct dns_parse);
} lwfp_dns_scratch SEC(".maps");
