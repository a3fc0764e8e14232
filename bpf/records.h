/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Records: the hop list that follows a flow, the flow table that makes them
 * unforgeable, and the WFP redirect-state rule computed from them.
 */
#pragma once

#include "common.h"

/* FwpsQueryConnectionRedirectState0, from the hop list alone. */
static __always_inline __u32 hops_state(const struct lwfp_hop *hops, __u32 nhops, __u32 service)
{
	__u32 i, seen = 0;

	if (!nhops)
		return LWFP_NOT_REDIRECTED;
	if (nhops > LWFP_MAX_HOPS)
		nhops = LWFP_MAX_HOPS;
	if (hops[(nhops - 1) & (LWFP_MAX_HOPS - 1)].service == service)
		return LWFP_REDIRECTED_BY_SELF;
	for (i = 0; i < LWFP_MAX_HOPS; i++)
		seen |= i < nhops && hops[i].service == service;
	return seen ? LWFP_PREVIOUSLY_REDIRECTED_BY_SELF : LWFP_REDIRECTED_BY_OTHER;
}

static __always_inline __u64 random64(void)
{
	return ((__u64)bpf_get_prandom_u32() << 32) | bpf_get_prandom_u32();
}

static __always_inline struct lwfp_sk *sk_state(struct bpf_sock *sk, bool create)
{
	if (!sk)
		return NULL;
	return bpf_sk_storage_get(&lwfp_sk_store, sk, 0,
				  create ? BPF_SK_STORAGE_GET_F_CREATE : 0);
}

/*
 * Takes one of the uid's live flows, or fails when it holds its cap: one
 * user must not be able to fill lwfp_flows for everyone else. Root is not
 * counted: it is trusted everywhere in lwfp, and a host's own daemons must
 * not run into a cap meant for its users.
 */
static __always_inline int uid_take(__u32 uid)
{
	struct lwfp_config *cfg = config();
	__u64 zero = 0, *n, cap;

	if (!uid)
		return 0;
	if (!cfg)
		return -ENOBUFS;
	cap = cfg->max_flows_per_uid ? cfg->max_flows_per_uid : LWFP_FLOWS_PER_UID_DEFAULT;
	n = bpf_map_lookup_elem(&lwfp_uid_flows, &uid);
	if (!n) {
		bpf_map_update_elem(&lwfp_uid_flows, &uid, &zero, BPF_NOEXIST);
		n = bpf_map_lookup_elem(&lwfp_uid_flows, &uid);
		if (!n)
			return -ENOBUFS;
	}
	if (__sync_fetch_and_add(n, 1) >= cap) {
		__sync_fetch_and_add(n, -1);
		return -EDQUOT;
	}
	return 0;
}

static __always_inline void uid_give(__u32 uid)
{
	__u64 *n = uid ? bpf_map_lookup_elem(&lwfp_uid_flows, &uid) : NULL;

	if (n)
		__sync_fetch_and_add(n, -1);
}

/*
 * Every flow ends here, whatever ends it. Only the deleter that wins gives
 * the uid's flow back, so a flow ended twice at once counts once.
 */
static __always_inline void flow_del(__u64 token)
{
	struct lwfp_flow *f = bpf_map_lookup_elem(&lwfp_flows, &token);
	__u32 uid;

	if (!f)
		return;
	uid = f->uid;
	if (bpf_map_delete_elem(&lwfp_flows, &token))
		return;
	uid_give(uid);
	count(LWFP_CNT_FLOW_CLOSED);
}

/* Drops one socket's hold on a flow; the last one out deletes it. */
static __always_inline void flow_put(__u64 token)
{
	struct lwfp_flow *f = bpf_map_lookup_elem(&lwfp_flows, &token);

	if (f && __sync_fetch_and_add(&f->refs, -1) == 1)
		flow_del(token);
}

/* Does a blob name this flow exactly? Every byte the engine wrote must match. */
static __always_inline bool blob_matches(const struct lwfp_records *r, const struct lwfp_flow *f)
{
	__u32 i;

	if (r->tag != f->tag || r->nhops != f->nhops)
		return false;
	for (i = 0; i < LWFP_MAX_HOPS; i++) {
		if (i >= f->nhops)
			break;
		if (r->hops[i].service != f->hops[i].service ||
		    r->hops[i].filter_id != f->hops[i].filter_id)
			return false;
	}
	return true;
}

static __always_inline void blob_fill(struct lwfp_records *r, __u64 token, const struct lwfp_flow *f)
{
	__builtin_memset(r, 0, sizeof(*r));
	r->magic = LWFP_RECORDS_MAGIC;
	r->version = LWFP_RECORDS_VERSION;
	r->nhops = f->nhops;
	r->token = token;
	r->tag = f->tag;
	__builtin_memcpy(r->hops, f->hops, sizeof(r->hops));
}
