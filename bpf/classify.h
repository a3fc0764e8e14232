/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The connect-time classifier, the analogue of ALE_CONNECT_REDIRECT: walk the
 * filters that can match from the highest weight down (the index of layout.h
 * picks them), apply the WFP redirect-state rules, and redirect, permit or
 * block.
 */
#pragma once

#include "common.h"
#include "dns.h"
#include "flow.h"
#include "identity.h"
#include "listener.h"
#include "records.h"
#include "sockaddr.h"
#include "sockflow.h"
#include "udp.h"

static __always_inline bool cls_prefix_matches(const struct lwfp_filter *f, const struct walk *w)
{
	__u32 bits = f->dst_plen, i;

	for (i = 0; i < 4; i++) {
		__u32 mask;

		if (bits == 0)
			return true;
		mask = bits >= 32 ? 0xffffffffu : ~(0xffffffffu >> bits);
		if ((w->dst.ip[i] ^ f->dst[i]) & bpf_htonl(mask))
			return false;
		bits = bits >= 32 ? bits - 32 : 0;
	}
	return true;
}

/* Either file of the filter (engine_defs.h, LWFP_COND_APP); an empty slot holds 0s. */
static __always_inline bool cls_app_matches(const struct lwfp_filter *f, const struct walk *w)
{
	if (!w->exe_ino)
		return false;
	return (w->exe_ino == f->app_ino[0] && w->exe_dev == f->app_dev[0]) ||
	       (w->exe_ino == f->app_ino[1] && w->exe_dev == f->app_dev[1]);
}

static __always_inline bool cls_filter_matches(const struct lwfp_filter *f, const struct walk *w)
{
	__u16 dport = bpf_ntohs(w->dst.port);
	__u32 c = f->conds;

	if ((c & LWFP_COND_PROTO) && f->proto != w->proto)
		return false;
	if ((c & LWFP_COND_FAMILY) && f->family != w->family)
		return false;
	if ((c & LWFP_COND_DST) && (f->family != w->family || !cls_prefix_matches(f, w)))
		return false;
	if ((c & LWFP_COND_DPORT) && (dport < f->dport_lo || dport > f->dport_hi))
		return false;
	if ((c & LWFP_COND_SPORT) && (w->sport < f->sport_lo || w->sport > f->sport_hi))
		return false;
	if ((c & LWFP_COND_UID) && (w->uid < f->uid_lo || w->uid > f->uid_hi))
		return false;
	if ((c & LWFP_COND_GID) && w->gid != f->gid)
		return false;
	if ((c & LWFP_COND_CGROUP) &&
	    bpf_get_current_ancestor_cgroup_id(f->cgroup_level) != f->cgroup_id)
		return false;
	if ((c & LWFP_COND_ORIGIN_CGROUP) && w->origin_cg != f->origin_cgroup_id)
		return false;
	if ((c & LWFP_COND_HOST) && !dns_host_matches(f, w))
		return false;
	if ((c & LWFP_COND_APP) && !cls_app_matches(f, w))
		return false;
	return true;
}

/* A target this socket can reach: an AF_INET socket cannot connect to IPv6. */
static __always_inline bool cls_target_fits(const struct lwfp_filter *f, const struct walk *w)
{
	/* A UDP flow gets an address of its own in the destination's family. */
	if (w->proto == IPPROTO_UDP)
		return f->to.family == AF_INET;
	if (f->to.family == AF_INET)
		return !w->sock_v6 || w->mapped;
	return w->sock_v6 && !w->mapped;
}

/*
 * One filter in table order: 1 when it decides the connect (w->found), 0 to
 * go on with the next candidate. Skipped redirects are exactly those of the
 * WFP rules, so the walk continues below them as it would in a full scan.
 */
static __always_inline long cls_try(struct walk *w, __u32 idx)
{
	__u32 key, state;
	struct lwfp_filter *f;

	/* Positions come from user space: one outside the table is ignored. */
	if (idx >= w->n)
		return 0;
	key = w->base + idx;
	f = bpf_map_lookup_elem(&lwfp_filters, &key);
	if (!f)
		return 0;
	if (!cls_filter_matches(f, w))
		return 0;
	if (f->action != LWFP_ACT_REDIRECT) {
		w->found = idx;
		return 1;
	}
	if (!cls_target_fits(f, w))
		return 0;
	state = rec_hops_state(w->hops, w->nhops, f->service);
	if (state == LWFP_REDIRECTED_BY_SELF) {
		lwfp_count(LWFP_CNT_SKIP_SELF);
		return 0;
	}
	if (state == LWFP_PREVIOUSLY_REDIRECTED_BY_SELF) {
		lwfp_count(LWFP_CNT_SKIP_PREV_SELF);
		return 0;
	}
	if (w->nhops >= LWFP_MAX_HOPS) {
		w->hop_limited = 1;
		return 0;
	}
	w->listening = lwfp_target_ok(w->ctx, f, w->proto,
				      w->proto == IPPROTO_UDP && w->sock_v6 && !w->mapped);
	if (!w->listening && f->fail == LWFP_FAIL_OPEN && !(f->flags & LWFP_FILTER_BOOT)) {
		lwfp_count(LWFP_CNT_FAIL_OPEN);
		return 0;
	}
	w->found = idx;
	return 1;
}

/*
 * 0x80000000 when a < b, else 0. Slots, positions and table sizes are all
 * below 2^16 (cursors hold 16 bits), where the sign of a - b is the
 * comparison; it is wrong for values of 2^31 and more.
 */
static __always_inline __u32 cls_below(__u32 a, __u32 b)
{
	__u32 d = a - b;

	/* Hidden from clang, which would turn the arithmetic back into a branch. */
	asm volatile("" : "+r"(d));
	return d & 0x80000000u;
}

/* Moves a cursor to the next position of its bucket, or to n past its end. */
static __always_inline void cls_cursor_step(struct cursor *c, __u32 n)
{
	__u32 slot = c->next, *pos;
	/* Past the end the key gets bit 31 and misses the array: no branch. */
	__u32 key = slot | (0x80000000u ^ cls_below(slot, c->end));

	pos = bpf_map_lookup_elem(&lwfp_filter_pos, &key);
	c->head = pos ? *pos & 0xffffu : n;
	c->next = slot + 1;
}

/*
 * probe 0: a bucket known to be empty, not looked up. It then takes the
 * path of a bucket that is not there, so that the verifier finds the two
 * states equal and does not walk the rest of the program twice.
 */
static __always_inline void cls_cursor_open(struct cursor *c, const struct lwfp_idx_key *k,
					    __u32 n, __u32 probe)
{
	struct lwfp_idx_bucket *b = probe ? bpf_map_lookup_elem(&lwfp_filter_idx, k) : NULL;

	c->next = b ? b->start & 0xffffu : n;
	c->end = b ? (b->start & 0xffffu) + (b->len & 0xffffu) : n;
	cls_cursor_step(c, n);
}

/* The destination masked to plen bits, as user space keyed its buckets. */
static __always_inline void cls_prefix_key(struct lwfp_idx_key *k, const struct walk *w)
{
	__u32 bits = k->plen, i;

	for (i = 0; i < 4; i++) {
		__u32 mask = bits >= 32 ? 0xffffffffu : bits ? ~(0xffffffffu >> bits) : 0;

		k->addr[i] = w->dst.ip[i] & bpf_htonl(mask);
		bits = bits >= 32 ? bits - 32 : 0;
	}
}

/*
 * Opens every bucket that can hold a filter matching this connect. A kind
 * of bucket the half does not have (lwfp_config.idx_kinds) is not probed:
 * each probe is a hash lookup, and most tables use few kinds.
 */
static __always_inline void cls_index_open(struct walk *w, const struct lwfp_config *cfg,
					   __u32 half)
{
	struct lwfp_idx_key k = { .half = half, .kind = LWFP_IDX_ANY };
	__u32 fam = w->family == 6, kinds = cfg->idx_kinds[half], i, n;

	cls_cursor_open(&w->cur[0], &k, w->n, kinds & (1u << LWFP_IDX_ANY));
	k.kind = LWFP_IDX_DPORT;
	k.dport = bpf_ntohs(w->dst.port);
	cls_cursor_open(&w->cur[1], &k, w->n, kinds & (1u << LWFP_IDX_DPORT));
	/* Without a live name for the destination no host filter can match. */
	k.kind = LWFP_IDX_HOST;
	k.dport = 0;
	if (w->host_bloom)
		cls_cursor_open(&w->cur[IDX_CURSOR_HOST], &k, w->n, kinds & (1u << LWFP_IDX_HOST));
	else
		w->cur[IDX_CURSOR_HOST].head = w->cur[IDX_CURSOR_HOST].next =
			w->cur[IDX_CURSOR_HOST].end = w->n;
	k.kind = LWFP_IDX_PREFIX;
	k.dport = 0;
	k.family = w->family;
	n = cfg->idx_nplens[half][fam];
#pragma unroll
	for (i = 0; i < LWFP_IDX_PLENS; i++) {
		struct cursor *c = &w->cur[2 + i];

		if (i >= n) {
			c->head = c->next = c->end = w->n;
			continue;
		}
		k.plen = cfg->idx_plens[half][fam][i];
		cls_prefix_key(&k, w);
		cls_cursor_open(c, &k, w->n, 1);
	}
}

/* All ones when a == b, else 0: bit 31 of d | -d is set exactly when d != 0. */
static __always_inline __u32 cls_same(__u32 a, __u32 b)
{
	__u32 d = a ^ b, t;

	t = d | (0 - d);
	asm volatile("" : "+r"(t)); /* as in cls_below() */
	return (t >> 31) - 1;
}

/* min(a, b) without a branch. */
static __always_inline __u32 cls_min(__u32 a, __u32 b)
{
	return a + ((b - a) & (0 - (cls_below(b, a) >> 31)));
}

/*
 * The merge: the lowest head over all cursors starts a run, the positions
 * of that cursor below every other head; a run is tried one filter per
 * step (cls_run_step), so that a bucket tried on its own, the usual case,
 * costs one lookup per filter rather than a pass over every cursor.
 */
static __always_inline long cls_merge_step(struct walk *w)
{
	__u32 n = w->n, best = n, second = n, h, m, i;

#pragma unroll
	for (i = 0; i < IDX_CURSORS; i++)
		best = cls_min(best, w->cur[i].head);
	if (best >= n)
		return 1;
	w->run.head = w->run.next = w->run.end = 0;
#pragma unroll
	for (i = 0; i < IDX_CURSORS; i++) {
		h = w->cur[i].head;
		m = cls_same(h, best);
		second = cls_min(second, (h & ~m) | (n & m)); /* the winner counts as n */
		w->run.head |= h & m;
		w->run.next |= w->cur[i].next & m;
		w->run.end |= w->cur[i].end & m;
	}
	w->run_key = best;
	w->bound = cls_min(second, n);
	w->in_run = 1;
	return 0;
}

/* Hands the run's cursor back to the merge, where run_key finds its slot. */
static __always_inline void cls_run_end(struct walk *w)
{
	__u32 m, i;

#pragma unroll
	for (i = 0; i < IDX_CURSORS; i++) {
		struct cursor *c = &w->cur[i];

		m = cls_same(c->head, w->run_key);
		c->head = (c->head & ~m) | (w->run.head & m);
		c->next = (c->next & ~m) | (w->run.next & m);
		c->end = (c->end & ~m) | (w->run.end & m);
	}
	w->in_run = 0;
}

/* One filter of the run; the filter is tried last, so its many outcomes end the step. */
static __always_inline long cls_run_step(struct walk *w)
{
	__u32 idx = w->run.head;

	if (idx >= w->bound) {
		cls_run_end(w);
		return 0;
	}
	cls_cursor_step(&w->run, w->n);
	return cls_try(w, idx);
}

/*
 * A k-way merge of the candidate buckets in position order, so filters are
 * tried in table (weight) order, and a filter in a bucket this connect did
 * not open cannot match it.
 */
static long cls_walk_step(__u32 i, void *arg)
{
	struct walk *w = arg;

	(void)i;
	return w->in_run ? cls_run_step(w) : cls_merge_step(w);
}

/* The next candidate after the last one tried that decides, or NULL. */
/*
 * Linux before 6.8 verifies a bpf_loop callback once, from the caller's
 * state at the call, as if it ran a single time: a field that is constant
 * there (in_run is 0 until the first merge step) makes the branches that
 * only later steps take look dead, and that verifier removes dead code.
 * On 6.1 the walk then never tried a filter. So every field the steps
 * change starts from a value that is 0 at run time but that the verifier
 * cannot know: w->zero, read from the config map.
 */
static __always_inline void cls_walk_unknown(struct walk *w)
{
	__u32 z = w->zero;

	w->in_run = z;
	w->bound = z;
	w->run_key = z;
	w->run.head = z;
	w->run.next = z;
	w->run.end = z;
	w->hop_limited = z;
	w->listening = z;
	w->found = (__s32)z - 1;
}

static __always_inline struct lwfp_filter *cls_walk_next(struct walk *w)
{
	__u32 key;

	cls_walk_unknown(w);
	/*
	 * Each filter sits in one bucket: one run step per filter, and a merge
	 * step and a run end per run at most, plus the last merge step.
	 */
	bpf_loop(3 * LWFP_MAX_FILTERS + 1, cls_walk_step, w, 0);
	if (w->found < 0)
		return NULL;
	key = w->base + (__u32)w->found;
	return bpf_map_lookup_elem(&lwfp_filters, &key);
}

/*
 * A service's connection without records: it relays the newest flow
 * delivered to it for this destination, so it carries that flow's records.
 * With no such flow it counts as carrying the service itself, so even then
 * it cannot loop back to itself.
 */
static __always_inline void cls_inherit(struct walk *w)
{
	struct lwfp_inherit_key k = {};
	struct lwfp_flow *f;
	__u64 *token;

	k.netns = w->netns;
	k.service = w->hops[0].service;
	k.dst = w->dst;
	token = bpf_map_lookup_elem(&lwfp_inherit, &k);
	if (!token)
		return;
	f = bpf_map_lookup_elem(&lwfp_flows, token);
	if (!f || !f->nhops || f->nhops > LWFP_MAX_HOPS ||
	    f->hops[(f->nhops - 1) & (LWFP_MAX_HOPS - 1)].service != k.service)
		return;
	__builtin_memcpy(w->hops, f->hops, sizeof(w->hops));
	w->nhops = f->nhops;
	w->chain = f->chain;
	w->parent = *token;
	w->origin_cg = f->origin_cgroup_id;
}

static __always_inline void cls_init_hops(struct walk *w, const struct lwfp_sk *st)
{
	const struct lwfp_flow *r = flow_of_records(st);

	w->origin_cg = bpf_get_current_cgroup_id();
	if (r && r->nhops) {
		__builtin_memcpy(w->hops, r->hops, sizeof(w->hops));
		w->nhops = r->nhops > LWFP_MAX_HOPS ? LWFP_MAX_HOPS : r->nhops;
		if (r->origin_cgroup_id)
			w->origin_cg = r->origin_cgroup_id;
		return;
	}
	w->hops[0].service = id_caller_service();
	w->nhops = w->hops[0].service ? 1 : 0;
	if (w->nhops)
		cls_inherit(w);
}

/*
 * 1: walk the filters; 0: there are none, the connect goes as it is; < 0: a
 * table the data plane cannot trust, refused rather than passed.
 */
static __always_inline int cls_walk_init(struct walk *w, struct bpf_sock_addr *ctx)
{
	struct lwfp_config *cfg = lwfp_cfg();
	__u64 ug = bpf_get_current_uid_gid();
	__u32 active;

	if (!cfg)
		return -ENOBUFS;
	active = cfg->active & 1;
	w->n = cfg->nfilters[active];
	/* Refused rather than clamped: n must stay a value the verifier cannot know. */
	if (w->n > LWFP_MAX_FILTERS)
		return -ENOBUFS;
	if (!w->n)
		return 0;
	w->base = active * LWFP_MAX_FILTERS;
	/* 0: user space writes only 0 or 1 to active (see cls_walk_unknown). */
	w->zero = cfg->active & ~1u;
	w->uid = (__u32)ug;
	w->gid = ug >> 32;
	w->proto = ctx->protocol;
	w->netns = bpf_get_netns_cookie(ctx);
	return 1;
}

/*
 * The caller's executable when on, for --app filters. A global function,
 * verified once: its branch splits no state of the walk (exe.h), and
 * with no --app filter live no read is tried at all.
 */
__attribute__((noinline)) int lwfp_walk_exe(__u64 *ino, __u32 *dev, __u32 on)
{
	if (!ino || !dev || !on)
		return 0;
	exe_of_task(exe_current(), ino, dev);
	return 0;
}

/* What only the walk itself reads, for the half cls_walk_init() chose. */
static __always_inline void cls_walk_prepare(struct walk *w, struct bpf_sock_addr *ctx)
{
	struct lwfp_config *cfg = lwfp_cfg();
	__u32 half = w->base ? 1 : 0;

	if (!cfg)
		return; /* cls_walk_init() found it: an array's only element */
	if (ctx->sk)
		w->sport = ctx->sk->src_port;
	dns_host_init(w, cfg->conds[half] & LWFP_COND_HOST);
	lwfp_walk_exe(&w->exe_ino, &w->exe_dev, cfg->conds[half] & LWFP_COND_APP);
	cls_index_open(w, cfg, half);
}

/*
 * The walk is needless for a socket that carries records (a proxy's
 * outbound connection, or any socket of a service) whose hops name every
 * service with a redirect filter in the live table, when the table holds
 * nothing else: each filter the walk could try is then REDIRECTED_BY_SELF
 * or PREVIOUSLY_REDIRECTED_BY_SELF, skipped by the WFP rules, and the walk
 * would end with no filter and let the connect through. Nothing more can
 * be skipped: a redirect filter of a service not in the hops finds the flow
 * REDIRECTED_BY_OTHER and may send it on (the next hop of a chain); a
 * permit or block filter decides whatever the hops say; the hop limit
 * stops only a filter that would redirect, and none would here. The skip
 * counters count once per service passed, where the walk counts each
 * matching filter.
 */
static __always_inline bool cls_hops_needless(const struct lwfp_hop *hops, __u32 nhops,
					      const struct lwfp_config *cfg, __u32 half)
{
	__u64 mine = 0, last, svcs = cfg->redirect_services[half];
	__u32 i;

	if (!nhops || cfg->other_filters[half])
		return false;
	for (i = 0; i < LWFP_MAX_HOPS; i++)
		if (i < nhops)
			mine |= id_svc_bit(hops[i].service);
	if (svcs & ~mine)
		return false;
	last = id_svc_bit(hops[(nhops - 1) & (LWFP_MAX_HOPS - 1)].service) & svcs;
	if (last)
		lwfp_count(LWFP_CNT_SKIP_SELF);
	if (svcs & ~last)
		lwfp_count(LWFP_CNT_SKIP_PREV_SELF);
	return true;
}

static __always_inline bool cls_walk_needless(const struct walk *w, const struct lwfp_config *cfg,
					      __u32 half)
{
	return cls_hops_needless(w->hops, w->nhops, cfg, half);
}

/*
 * The same answer for a socket that was given records (a proxy's outbound
 * connection), from the hops cls_init_hops() would copy, before the walk
 * reads anything else (the name, the executable, the index). It writes
 * nothing in the walk, so that the verifier finds the states it leaves
 * behind (needed or not) equal, and checks what follows once as before.
 */
static __always_inline bool cls_records_needless(const struct walk *w, const struct lwfp_sk *st)
{
	const struct lwfp_flow *r = flow_of_records(st);
	struct lwfp_config *cfg = lwfp_cfg();

	if (!r || !cfg)
		return false;
	return cls_hops_needless(r->hops, r->nhops > LWFP_MAX_HOPS ? LWFP_MAX_HOPS : r->nhops, cfg,
				 w->base ? 1 : 0);
}

/* 1: walk the live half; 0 when it is needless; < 0. */
static __always_inline int cls_walk_open(struct walk *w)
{
	struct lwfp_config *cfg = lwfp_cfg();

	if (!cfg)
		return -ENOBUFS;
	return !cls_walk_needless(w, cfg, w->base ? 1 : 0);
}

static __always_inline int cls_redirect(struct bpf_sock_addr *ctx, struct walk *w,
					const struct lwfp_filter *f, const bool v6)
{
	struct lwfp_sk *st;
	__u64 token = 0;
	int err;

	if (w->proto == IPPROTO_UDP)
		return udp_redirect(ctx, w, f, v6);
	st = sock_state(ctx->sk, true);
	err = st ? flow_insert(w, st, f, &token) : -ENOBUFS;
	if (err)
		return lwfp_flow_refused(err, f, &w->dst, w->proto, w->nhops);
	flow_attach(st, w, token);
	/* cls_target_fits(): the target is IPv4 exactly when the socket maps it. */
	sa_put(ctx, &f->to, v6);
	lwfp_count(LWFP_CNT_REDIRECT);
	lwfp_hit(f, true, false);
	lwfp_emit(LWFP_EV_REDIRECT, token, f, &w->dst, w->proto, w->nhops + 1, LWFP_CNT_REDIRECT, 0);
	return 1;
}

static __always_inline int cls_decide(struct bpf_sock_addr *ctx, struct walk *w, const bool v6)
{
	struct lwfp_filter *f = cls_walk_next(w);

	if (!f) {
		if (w->hop_limited) {
			lwfp_count(LWFP_CNT_HOP_LIMIT);
			lwfp_emit(LWFP_EV_HOP_LIMIT, 0, NULL, &w->dst, w->proto, w->nhops,
				  LWFP_CNT_HOP_LIMIT, 0);
		}
		return 1;
	}
	if (f->action == LWFP_ACT_PERMIT) {
		lwfp_count(LWFP_CNT_PERMIT);
		lwfp_hit(f, false, false);
		return 1;
	}
	if (f->action == LWFP_ACT_BLOCK) {
		lwfp_count(LWFP_CNT_BLOCK);
		lwfp_hit(f, false, false);
		lwfp_emit(LWFP_EV_BLOCK, 0, f, &w->dst, w->proto, w->nhops, LWFP_CNT_BLOCK, EPERM);
		return lwfp_deny(EPERM);
	}
	if (w->listening)
		return cls_redirect(ctx, w, f, v6);
	lwfp_count(LWFP_CNT_FAIL_CLOSED);
	lwfp_hit(f, false, true);
	/* Fail closed happens only when the service has no listener there. */
	lwfp_emit(LWFP_EV_FAIL_CLOSED, 0, f, &w->dst, w->proto, w->nhops, LWFP_CNT_NO_LISTENER,
		  ECONNREFUSED);
	return lwfp_deny(ECONNREFUSED);
}

static __always_inline int cls_walk(struct bpf_sock_addr *ctx, struct walk *w, const bool v6)
{
	struct lwfp_sk *st;
	int go;

	if (ctx->protocol != IPPROTO_TCP && ctx->protocol != IPPROTO_UDP)
		return 1;
	st = sock_state(ctx->sk, false);
	/* A proxy's per-flow UDP socket answering its client is not a new flow. */
	if (st && st->role == LWFP_SK_FLOW)
		return ctx->protocol == IPPROTO_UDP ? udp_flow_connect(ctx, st, v6) : 1;
	go = cls_walk_init(w, ctx);
	if (go < 0) {
		lwfp_emit(LWFP_EV_REFUSED, 0, NULL, &w->dst, ctx->protocol, 0, LWFP_CNT_FLOW_ERROR,
			  ENOBUFS);
		return lwfp_refuse(LWFP_CNT_FLOW_ERROR, ENOBUFS);
	}
	if (!go)
		return 1;
	w->ctx = ctx;
	lwfp_count(LWFP_CNT_CONNECT);
	if (cls_records_needless(w, st))
		return 1;
	cls_walk_prepare(w, ctx);
	cls_init_hops(w, st);
	go = cls_walk_open(w);
	if (go < 0)
		return lwfp_refuse(LWFP_CNT_FLOW_ERROR, ENOBUFS);
	if (!go)
		return 1;
	return cls_decide(ctx, w, v6);
}

/*
 * sendmsg4/6: only unconnected UDP; a known destination skips the walk. A
 * connected socket sending with control messages runs this too, with no
 * destination: it was classified at connect().
 */
static __always_inline int cls_datagram(struct bpf_sock_addr *ctx, struct walk *w,
					const bool v6)
{
	if (ctx->protocol != IPPROTO_UDP)
		return 1;
	if (!udp_src_allowed(ctx, v6))
		return lwfp_spoof_refused(EPERM);
	w->sendmsg = 1;
	if (udp_known(ctx, w, v6))
		return 1;
	if (!ctx->user_port)
		return 1;
	return cls_walk(ctx, w, v6);
}

/* The destination of a connect4 or sendmsg4. */
static __always_inline void cls_dst4(struct bpf_sock_addr *ctx, struct walk *w)
{
	w->dst.family = AF_INET;
	w->dst.ip[0] = ctx->user_ip4;
	w->dst.port = (__u16)ctx->user_port;
	w->family = 4;
}

/* The destination of a connect6 or sendmsg6. */
static __always_inline void cls_dst6(struct bpf_sock_addr *ctx, struct walk *w)
{
	__u32 ip[4];

	sa_ip6_read(ip, ctx->user_ip6);
	w->sock_v6 = 1;
	w->dst.port = (__u16)ctx->user_port;
	if (lwfp_v4mapped(ip)) {
		/* ::ffff:a.b.c.d is IPv4 on the wire, so IPv4 filters decide. */
		w->mapped = 1;
		w->dst.family = AF_INET;
		w->dst.ip[0] = ip[3];
		w->family = 4;
	} else {
		w->dst.family = AF_INET6;
		__builtin_memcpy(w->dst.ip, ip, sizeof(ip));
		w->family = 6;
	}
}

/*
 * connect4/6, and sendmsg4/6 with datagram: the walk lives on the
 * program's stack (flow.h, struct walk).
 */
static __always_inline int cls_sock_addr(struct bpf_sock_addr *ctx, const bool v6,
					 const bool datagram)
{
	struct walk w = {};

	if (v6)
		cls_dst6(ctx, &w);
	else
		cls_dst4(ctx, &w);
	dns_mark(ctx);
	return datagram ? cls_datagram(ctx, &w, v6) : cls_walk(ctx, &w, v6);
}
