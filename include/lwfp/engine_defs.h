/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The values the engine/control API (engine.h) speaks in and the data
 * plane tests against: limits, identity kinds, filter actions and
 * conditions, counters and event types. Values only, no layouts: the maps
 * that hold them are the data plane's own (bpf/layout.h).
 *
 * Included by BPF C and by user space, so it uses only <linux/types.h>.
 */
#ifndef LWFP_ENGINE_DEFS_H
#define LWFP_ENGINE_DEFS_H

#include <linux/types.h>

#define LWFP_NAME_MAX 32
#define LWFP_MAX_SERVICES 64
#define LWFP_MAX_FILTERS 16384
#define LWFP_MAX_FLOWS 262144

enum lwfp_identity_kind {
	LWFP_ID_UID = 1,
	LWFP_ID_CGROUP = 2,
	LWFP_ID_PID = 3,
};

enum lwfp_action {
	LWFP_ACT_REDIRECT = 1,
	LWFP_ACT_PERMIT = 2,
	LWFP_ACT_BLOCK = 3,
};

enum lwfp_fail_mode {
	LWFP_FAIL_CLOSED = 0,
	LWFP_FAIL_OPEN = 1,
};

/* Condition bits: a filter tests only the conditions it sets. */
#define LWFP_COND_PROTO (1u << 0)
#define LWFP_COND_FAMILY (1u << 1)
#define LWFP_COND_DST (1u << 2)
#define LWFP_COND_DPORT (1u << 3)
#define LWFP_COND_SPORT (1u << 4)
#define LWFP_COND_UID (1u << 5)
#define LWFP_COND_GID (1u << 6)
#define LWFP_COND_CGROUP (1u << 7)
/*
 * The cgroup (exactly, not its descendants) of the application that opened
 * the chain, carried along with the records: it scopes every hop of a chain,
 * including the proxies' own connections, to one application.
 */
#define LWFP_COND_ORIGIN_CGROUP (1u << 8)
/*
 * The executable of the connecting process (its mm->exe_file) is one of
 * the filter's files (app_ino/app_dev): a file, not a name, so a copy
 * elsewhere does not match and a process that execs another binary
 * matches that one. Slot 0 is the file the path named when the filter was
 * added or last refreshed, slot 1 the file it named before (0 when none),
 * so that processes still running the replaced binary keep matching
 * (docs/abi.md, "Applications").
 */
#define LWFP_COND_APP (1u << 9)
#define LWFP_APP_SLOTS 2
/*
 * The destination was given to the application's network namespace in a
 * DNS answer for a name that host_hash stands for (the lwfp_dns map,
 * bpf/layout.h): an exact name, or "*.SUFFIX" for every name below SUFFIX.
 */
#define LWFP_COND_HOST (1u << 10)

#define LWFP_HOST_PATTERN_MAX 64 /* a --host pattern: 63 characters at most */

/* An --app path (absolute), its NUL included. */
#define LWFP_APP_PATH_MAX 256

/*
 * A boot filter (redirect only) refuses its matching connections, whatever
 * its fail mode, while its service has no listener at the target, and
 * redirects them once one exists: traffic is held until the proxy is up,
 * never let through unredirected. Refusals count as fail_closed.
 */
#define LWFP_FILTER_BOOT (1u << 0)
#define LWFP_FILTER_FLAGS LWFP_FILTER_BOOT

/* Engine settings, when up or the caller gives 0. */
#define LWFP_FLOWS_PER_UID_DEFAULT (LWFP_MAX_FLOWS / 4)
#define LWFP_DNS_TTL_FLOOR_DEFAULT_S 60
#define LWFP_UDP_IDLE_DEFAULT_S 30

enum lwfp_counter {
	LWFP_CNT_CONNECT = 0, /* connects and first datagrams classified (with filters installed) */
	LWFP_CNT_REDIRECT,
	LWFP_CNT_SKIP_SELF,
	LWFP_CNT_SKIP_PREV_SELF,
	LWFP_CNT_HOP_LIMIT,
	LWFP_CNT_FAIL_OPEN,
	LWFP_CNT_FAIL_CLOSED,
	LWFP_CNT_PERMIT,
	LWFP_CNT_BLOCK,
	LWFP_CNT_HANDOFF,
	LWFP_CNT_HANDOFF_MISS,
	LWFP_CNT_FLOW_FULL,
	LWFP_CNT_FLOW_CLOSED,
	LWFP_CNT_SET_OK,
	LWFP_CNT_SET_EINVAL,
	LWFP_CNT_SET_EACCES,
	LWFP_CNT_QUERY,
	LWFP_CNT_UDP_DATAGRAM, /* unconnected datagrams sent on a redirected flow */
	LWFP_CNT_UDP_EXPIRED,
	LWFP_CNT_UDP_REVERSED, /* replies shown as from the original destination */
	LWFP_CNT_NO_LISTENER, /* no registered listener of the service in the socket's netns */
	LWFP_CNT_BIND_REFUSED, /* a bind into the flow ranges, or onto a service's UDP port */
	LWFP_CNT_SPOOF_REFUSED, /* a datagram from a flow address, or a per-flow socket's wrong peer */
	LWFP_CNT_UID_CAP, /* a new flow refused: its uid holds max_flows_per_uid */
	LWFP_CNT_FLOW_ERROR, /* a new flow refused on an internal error (never failed open) */
	LWFP_CNT__MAX,
};

#define LWFP_COUNTER_NAMES                                                    \
	{ "connect", "redirect", "skip_by_self", "skip_previously_by_self",   \
	  "hop_limit", "fail_open", "fail_closed", "permit", "block",         \
	  "handoff", "handoff_miss", "flow_table_full", "flow_closed",        \
	  "set_records", "set_records_einval", "set_records_eacces", "query",   \
	  "udp_datagram", "udp_expired", "udp_reversed", "no_listener",       \
	  "bind_refused", "spoof_refused", "uid_flow_cap", "flow_error" }

enum lwfp_event_type {
	LWFP_EV_REDIRECT = 1,
	LWFP_EV_HOP_LIMIT = 2,
	LWFP_EV_FAIL_OPEN = 3,
	LWFP_EV_FAIL_CLOSED = 4,
	LWFP_EV_BLOCK = 5,
	LWFP_EV_REFUSED = 6, /* a redirect refused by the engine itself (reason says why) */
};

/* Monitors that can read events at once (lwfp_monitor_new). */
#define LWFP_EV_SLOTS 16

/* A learned name (lwfp_dns_name): 253 characters, a dot per label, the NUL. */
#define LWFP_DNS_NAME_MAX 256

/*
 * FNV-1a over a name read from its last character to its first, so that
 * one backward pass over a name yields the hash of each of its suffixes
 * on the way, and "*." + suffix by two more steps. Patterns and names are
 * hashed lower case, without a trailing dot.
 */
#define LWFP_HOST_HASH_INIT 0xcbf29ce484222325ULL
#define LWFP_HOST_HASH_PRIME 0x100000001b3ULL

static inline __u64 lwfp_host_hash_step(__u64 h, __u8 c)
{
	return (h ^ c) * LWFP_HOST_HASH_PRIME;
}

#endif /* LWFP_ENGINE_DEFS_H */
