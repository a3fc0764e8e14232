/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Small helpers every concern uses: counters, events, addresses, errors. */
#pragma once

#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "layout.h"

#include "maps.h"

#define AF_INET 2
#define AF_INET6 10
#define EPERM 1
#define ENOENT 2
#define EINVAL 22
#define ERANGE 34
#define ENOPROTOOPT 92
#define ENOBUFS 105
#define EISCONN 106
#define ENOTCONN 107
#define ECONNREFUSED 111
#define EACCES 13
#define EADDRINUSE 98
#define EDQUOT 122
#define EBUSY 16
#define ENOSPC 28

#define TCP_ESTABLISHED 1
#define TCP_CLOSE 7
#define TCP_LISTEN 10

static __always_inline void lwfp_count(__u32 which)
{
	__u64 *c = bpf_map_lookup_elem(&lwfp_counters, &which);

	if (c)
		*c += 1;
}

/* Fail the current cgroup hook with -err instead of the default EPERM. */
static __always_inline int lwfp_deny(int err)
{
	bpf_set_retval(-err);
	return 0;
}

/* Fails the hook and counts why. */
static __always_inline int lwfp_refuse(__u32 counter, int err)
{
	lwfp_count(counter);
	return lwfp_deny(err);
}

static __always_inline int lwfp_spoof_refused(int err)
{
	return lwfp_refuse(LWFP_CNT_SPOOF_REFUSED, err);
}

static __always_inline bool lwfp_v4mapped(const __u32 ip[4])
{
	return ip[0] == 0 && ip[1] == 0 && ip[2] == bpf_htonl(0xffff);
}

static __always_inline struct lwfp_config *lwfp_cfg(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&lwfp_config, &zero);
}

/* Copies the built event into one reader's ring; a full ring counts a drop. */
static long lwfp_emit_slot(__u32 slot, void *arg)
{
	__u32 zero = 0;
	__u64 *mask = bpf_map_lookup_elem(&lwfp_ev_mask, &zero), *drops;
	struct lwfp_event *ev;
	void *ring;

	(void)arg;
	if (!mask || slot >= 64 || !(*mask & (1ULL << slot)))
		return 0;
	ev = bpf_map_lookup_elem(&lwfp_ev_scratch, &zero);
	ring = bpf_map_lookup_elem(&lwfp_ev_slots, &slot);
	if (!ev || !ring)
		return 0;
	if (!bpf_ringbuf_output(ring, ev, sizeof(*ev), 0))
		return 0;
	drops = bpf_map_lookup_elem(&lwfp_ev_drops, &slot);
	if (drops)
		__sync_fetch_and_add(drops, 1);
	return 0;
}

/* reason: the counter this event also counted; err: what connect() got. */
static __always_inline void lwfp_emit(__u32 type, __u64 token, const struct lwfp_filter *f,
				      const struct lwfp_addr *orig, __u8 proto, __u8 nhops,
				 __u32 reason, int err)
{
	__u32 zero = 0;
	__u64 *mask = bpf_map_lookup_elem(&lwfp_ev_mask, &zero);
	struct lwfp_event *ev;

	if (!mask || !*mask)
		return;
	ev = bpf_map_lookup_elem(&lwfp_ev_scratch, &zero);
	if (!ev)
		return;
	__builtin_memset(ev, 0, sizeof(*ev));
	ev->ts_ns = bpf_ktime_get_boot_ns();
	ev->token = token;
	ev->type = type;
	ev->pid = bpf_get_current_pid_tgid() >> 32;
	ev->uid = (__u32)bpf_get_current_uid_gid();
	ev->proto = proto;
	ev->nhops = nhops;
	ev->orig_dst = *orig;
	ev->reason = reason;
	ev->err = err;
	if (f) {
		ev->filter_id = f->id;
		ev->service = f->service;
		ev->target = f->to;
	}
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));
	/* A loop, not one ring: a reader of a shared ring takes events from the others. */
	bpf_loop(LWFP_EV_SLOTS, lwfp_emit_slot, NULL, 0);
}

/* Counts a filter's decision; an id without an entry (none yet) is not counted. */
static __always_inline void lwfp_hit(const struct lwfp_filter *f, bool redirected, bool refused)
{
	struct lwfp_filter_hits *h;
	__u32 id;

	if (!f)
		return;
	id = f->id;
	h = bpf_map_lookup_elem(&lwfp_filter_hits, &id);
	if (!h)
		return;
	h->matched++;
	h->redirected += redirected;
	h->refused += refused;
}

/*
 * A new flow that could not be recorded is refused whatever the filter's
 * fail mode: that mode is for a proxy that is away, never for the engine's
 * own errors, which would otherwise let traffic pass uninspected.
 */
static __always_inline int lwfp_flow_refused(int err, const struct lwfp_filter *f,
					     const struct lwfp_addr *dst, __u8 proto, __u8 nhops)
{
	__u32 why = err == -EDQUOT ? LWFP_CNT_UID_CAP :
		    err == -ENOSPC ? LWFP_CNT_FLOW_FULL : LWFP_CNT_FLOW_ERROR;

	lwfp_hit(f, false, true);
	lwfp_emit(LWFP_EV_REFUSED, 0, f, dst, proto, nhops, why, ENOBUFS);
	return lwfp_refuse(why, ENOBUFS);
}
