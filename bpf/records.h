/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Records: the hop list that follows a flow, the WFP redirect-state rule
 * computed from it, and the blob that names a flow of lwfp_flows to a proxy
 * (the table, kept by flow.h, is what makes records unforgeable).
 */
#pragma once

#include "common.h"

/* FwpsQueryConnectionRedirectState0, from the hop list alone. */
static __always_inline __u32 rec_hops_state(const struct lwfp_hop *hops, __u32 nhops, __u32 service)
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

/* Does a blob name this flow exactly? Every byte the engine wrote must match. */
static __always_inline bool rec_blob_matches(const struct lwfp_records *r,
					     const struct lwfp_flow *f)
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

static __always_inline void rec_blob_fill(struct lwfp_records *r, __u64 token,
					  const struct lwfp_flow *f)
{
	__builtin_memset(r, 0, sizeof(*r));
	r->magic = LWFP_RECORDS_MAGIC;
	r->version = LWFP_RECORDS_VERSION;
	r->nhops = f->nhops;
	r->token = token;
	r->tag = f->tag;
	__builtin_memcpy(r->hops, f->hops, sizeof(r->hops));
}
