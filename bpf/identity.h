/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Is the current process a service? This is what WFP learns from
 * localRedirectTargetPID; here a service names its process by uid, cgroup or pid.
 */
#pragma once

#include "common.h"

static __always_inline bool identity_matches(const struct lwfp_service *s)
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

static __always_inline bool caller_is(__u32 handle)
{
	__u32 slot = handle - 1;
	struct lwfp_service *s;

	if (!handle)
		return false;
	s = bpf_map_lookup_elem(&lwfp_services, &slot);
	return s && s->handle == handle && identity_matches(s);
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
	if (s && s->handle && identity_matches(s)) {
		scan->handle = s->handle;
		return 1;
	}
	return 0;
}

/* The handle of the first service whose identity the caller has, or 0. */
static __always_inline __u32 caller_service(void)
{
	struct lwfp_config *cfg = config();
	struct id_scan scan = {};

	if (!cfg || !cfg->nservices)
		return 0;
	scan.n = cfg->nservices > LWFP_MAX_SERVICES ? LWFP_MAX_SERVICES : cfg->nservices;
	bpf_loop(scan.n, id_step, &scan, 0);
	return scan.handle;
}
