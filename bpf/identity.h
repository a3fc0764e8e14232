/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Is the current process a service? This is what WFP learns from
 * localRedirectTargetPID; here a service names its process by uid, cgroup or pid.
 */
#pragma once

#include "common.h"

/* A service's bit in lwfp_sk.services; handles are 1..LWFP_MAX_SERVICES. */
static __always_inline __u64 id_svc_bit(__u32 handle)
{
	if (!handle || handle > LWFP_MAX_SERVICES)
		return 0;
	return 1ull << ((handle - 1) & 63);
}

static __always_inline bool id_matches(const struct lwfp_service *s)
{
	switch (s->id_kind) {
	case LWFP_ID_UID:
		return (__u32)bpf_get_current_uid_gid() == (__u32)s->id_value;
	case LWFP_ID_PID:
		return (bpf_get_current_pid_tgid() >> 32) == s->id_value;
	case LWFP_ID_CGROUP:
		return bpf_get_current_ancestor_cgroup_id(s->cgroup_level) == s->id_value;
	}
	return false;
}

static __always_inline bool id_caller_is(__u32 handle)
{
	__u32 slot = handle - 1;
	struct lwfp_service *s;

	if (!handle)
		return false;
	s = bpf_map_lookup_elem(&lwfp_services, &slot);
	return s && s->handle == handle && id_matches(s);
}

struct id_scan {
	__u32 n;
	__u32 handle;
};

static long id_step(__u32 i, void *arg)
{
	struct id_scan *scan = arg;
	struct lwfp_service *s;
	__u32 slot = i;

	if (i >= scan->n)
		return 1;
	s = bpf_map_lookup_elem(&lwfp_services, &slot);
	if (s && s->handle && id_matches(s)) {
		scan->handle = s->handle;
		return 1;
	}
	return 0;
}

/* The handle of the first service whose identity the caller has, or 0: a scan. */
static __always_inline __u32 id_caller_scan(void)
{
	struct lwfp_config *cfg = lwfp_cfg();
	struct id_scan scan = {};

	if (!cfg || !cfg->nservices)
		return 0;
	scan.n = cfg->nservices > LWFP_MAX_SERVICES ? LWFP_MAX_SERVICES : cfg->nservices;
	bpf_loop(scan.n, id_step, &scan, 0);
	return scan.handle;
}

/* Keeps the lower of two handles, 0 meaning none: the scan's first match. */
static __always_inline __u32 id_min(__u32 best, const __u32 *h)
{
	if (h && *h && (!best || *h < best))
		return *h;
	return best;
}

struct id_levels {
	__u64 levels; /* levels still to look at, the current one in bit 0 */
	__u32 best;
};

static long id_level_step(__u32 l, void *arg)
{
	struct id_levels *c = arg;
	__u64 cg;

	if (!c->levels)
		return 1;
	if (c->levels & 1) {
		cg = bpf_get_current_ancestor_cgroup_id(l);
		if (!cg)
			return 1; /* the caller is shallower than every level left */
		c->best = id_min(c->best, bpf_map_lookup_elem(&lwfp_id_cgroup, &cg));
	}
	c->levels >>= 1;
	return 0;
}

/*
 * The same answer from the identity index: one lookup per kind of identity
 * in use, and for cgroups one per level at which a service's cgroup sits.
 */
static __always_inline __u32 id_caller_service(void)
{
	struct id_levels c = {};
	struct lwfp_id_index *ix;
	__u32 zero = 0, key32;

	ix = bpf_map_lookup_elem(&lwfp_id_index, &zero);
	if (!ix || !ix->ready)
		return id_caller_scan();
	if (ix->uids) {
		key32 = (__u32)bpf_get_current_uid_gid();
		c.best = id_min(c.best, bpf_map_lookup_elem(&lwfp_id_uid, &key32));
	}
	if (ix->pids) {
		key32 = bpf_get_current_pid_tgid() >> 32;
		c.best = id_min(c.best, bpf_map_lookup_elem(&lwfp_id_pid, &key32));
	}
	if (ix->cgroups && ix->cgroup_levels) {
		c.levels = ix->cgroup_levels;
		bpf_loop(LWFP_ID_LEVELS, id_level_step, &c, 0);
	}
	return c.best;
}

struct id_mask {
	__u32 n;
	__u64 mask;
};

/*
 * One slot of the mask's scan. A scan apart from id_step's on purpose: one
 * answering both the first handle and the mask costs the connect programs
 * 40% more verifier work (connect4 61k to 90k instructions), for the sake
 * of a scan bind alone needs.
 */
static long id_mask_slot(void *map, __u32 *slot, struct lwfp_service *s, struct id_mask *m)
{
	(void)map;
	if (*slot >= m->n)
		return 1;
	if (s->handle == *slot + 1 && id_matches(s))
		m->mask |= 1ull << (*slot & 63);
	return 0;
}

/*
 * Every service the caller is a process of, bit handle-1 each: a socket it
 * binds listens for all of them. A full scan, but only for a service's
 * process (the index answers everyone else), and binds are rare.
 */
static __always_inline __u64 id_caller_services(void)
{
	struct lwfp_config *cfg = lwfp_cfg();
	struct id_mask m = {};

	if (!cfg || !cfg->nservices || !id_caller_service())
		return 0;
	m.n = cfg->nservices > LWFP_MAX_SERVICES ? LWFP_MAX_SERVICES : cfg->nservices;
	bpf_for_each_map_elem(&lwfp_services, id_mask_slot, &m, 0);
	return m.mask;
}
