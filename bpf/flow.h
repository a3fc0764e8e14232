/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The flow machinery below classify.h and udp.h: what the walk learns
 * about a connect() or a first datagram (struct walk), the flow a redirect
 * adds to lwfp_flows, the socket's hold on it, and the one way a flow ends
 * (its last hold dropped, or deleted, giving its uid's share back).
 * classify.h walks the filters; udp.h adds what a UDP flow needs;
 * sockaddr.h writes the target.
 */
#pragma once

#include "common.h"
#include "exe.h"
#include "netns.h"

/*
 * The candidate buckets of one connect (see the index in layout.h): every
 * listed prefix length of its family, its port, the wildcard bucket, and
 * the host bucket when the destination has a live learned name.
 */
#define IDX_CURSORS (LWFP_IDX_PLENS + 3)
#define IDX_CURSOR_HOST (LWFP_IDX_PLENS + 2)

/*
 * One bucket being merged: the table position of its next filter. A used
 * up cursor holds the table size, above every position.
 *
 * The merge runs in a bpf_loop callback, which the verifier checks as a
 * loop: there it keeps apart states whose values differ at all, and the
 * branches of ten cursors would multiply into more states than it
 * accepts. So the merge computes with arithmetic rather than branches,
 * and its values are ones the verifier cannot know (map contents, the
 * table size).
 */
struct cursor {
	__u16 head; /* 16 bits hold every position and slot, and save stack */
	__u16 next; /* the slot of lwfp_filter_pos after head's */
	__u16 end;
};

/*
 * What the walk knows about one connect(); bpf_loop's callback reads it.
 *
 * It lives on connect4's stack, at the edge of what Linux allows: the
 * program, the bpf_loop callback and the global function it calls share
 * 512 bytes (each frame rounded up), and with the walk at 256 bytes (--app
 * and --host together) Linux 6.18 refused connect4: "combined stack size
 * of 3 calls is 528". So no field leaves a hole: the executable's device
 * sits apart from its inode (a struct of the two has 4 bytes of padding),
 * the two socket flags are bits, and in_run fills the byte they free.
 */
struct walk {
	struct bpf_sock_addr *ctx; /* the program's context, for the listener lookup */
	/* netns then dst.ip: together the lwfp_dns key of the destination (dns.h) */
	__u64 netns; /* cookie of the socket's network namespace */
	struct lwfp_addr dst;
	__u32 uid, gid;
	__u16 sport; /* host order; 0 while unbound */
	__u8 proto;
	__u8 family; /* 4 or 6: what filters match against */
	__u8 nhops;
	__u8 hop_limited;
	__u8 sock_v6 : 1; /* an AF_INET6 socket: may reach v4 targets only when mapped */
	__u8 mapped : 1;
	__u8 listening; /* the chosen redirect's target has a listener */
	__u8 sendmsg; /* a datagram of an unconnected UDP socket, not a connect */
	__u8 in_run;
	/* Bit hash % 16 of the destination's learned names (dns.h). */
	__u16 host_bloom;
	__u64 chain; /* chain id of the flow whose records were inherited */
	__u64 parent; /* token of that flow */
	__u64 origin_cg; /* cgroup of the application that opened the chain */
	/* The caller's executable (exe.h), read only when a filter of the
	 * table tests LWFP_COND_APP; 0: unknown. Its device is below. */
	__u64 exe_ino;
	struct lwfp_hop hops[LWFP_MAX_HOPS];
	struct cursor cur[IDX_CURSORS]; /* the candidate buckets, being merged */
	struct cursor run; /* a copy of the cursor whose run is being tried */
	__u16 run_key; /* that cursor's head when the run began: which one it is */
	__u16 bound; /* the run ends below this, the next head of another cursor */
	__u32 exe_dev; /* the kernel's dev_t of exe_ino's file system */
	__u32 zero; /* 0, unknown to the verifier: classify.h, cls_walk_unknown() */
	__u32 base; /* first slot of the live table */
	__u32 n;
	__s32 found;
};

/* What connect4 loads with on Linux 6.1 and 6.18 (docs/performance.md). */
_Static_assert(sizeof(struct walk) <= 248, "struct walk outgrows connect4's stack");

_Static_assert(__builtin_offsetof(struct walk, dst) ==
	       __builtin_offsetof(struct walk, netns) + sizeof(__u64) &&
	       __builtin_offsetof(struct lwfp_addr, ip) == 0 &&
	       sizeof(struct lwfp_dns_key) == sizeof(__u64) + 4 * sizeof(__u32),
	       "walk.netns and walk.dst.ip make an lwfp_dns_key");

static __always_inline __u64 flow_random64(void)
{
	return ((__u64)bpf_get_prandom_u32() << 32) | bpf_get_prandom_u32();
}

/*
 * Takes one of the uid's live flows, or fails when it holds its cap: one
 * user must not be able to fill lwfp_flows for everyone else. Root is not
 * counted: it is trusted everywhere in lwfp, and a host's own daemons must
 * not run into a cap meant for its users.
 */
static __always_inline int flow_uid_take(__u32 uid)
{
	struct lwfp_config *cfg = lwfp_cfg();
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

static __always_inline void flow_uid_give(__u32 uid)
{
	__u64 *n = uid ? bpf_map_lookup_elem(&lwfp_uid_flows, &uid) : NULL;

	if (n)
		__sync_fetch_and_add(n, -1);
}

/*
 * Every flow ends here, whatever ends it: f, found at token. Only the
 * deleter that wins gives the uid's flow back, so a flow ended twice at
 * once counts once.
 */
static __always_inline void flow_del_found(const struct lwfp_flow *f, __u64 token)
{
	__u32 uid = f->uid;

	if (bpf_map_delete_elem(&lwfp_flows, &token))
		return;
	flow_uid_give(uid);
	lwfp_count(LWFP_CNT_FLOW_CLOSED);
}

static __always_inline void flow_del(__u64 token)
{
	struct lwfp_flow *f = bpf_map_lookup_elem(&lwfp_flows, &token);

	if (f)
		flow_del_found(f, token);
}

/* Drops one socket's hold on a flow; the last one out deletes it. */
static __always_inline void flow_put(__u64 token)
{
	struct lwfp_flow *f = bpf_map_lookup_elem(&lwfp_flows, &token);

	if (f && __sync_fetch_and_add(&f->refs, -1) == 1)
		flow_del_found(f, token);
}

/*
 * The flow whose records this socket was given with set records (it holds a
 * reference on it), or NULL.
 */
static __always_inline struct lwfp_flow *flow_of_records(const struct lwfp_sk *st)
{
	if (!st || !st->parent)
		return NULL;
	return bpf_map_lookup_elem(&lwfp_flows, &st->parent);
}

/*
 * The application's executable and its parent's, read at its first hop. A
 * global function, verified once: inlined, its reads were verified again in
 * every state that reaches a redirect (connect4 63k to 93k instructions,
 * sendmsg6 237k to 329k).
 */
__attribute__((noinline)) int lwfp_origin_exe(struct lwfp_flow *fl)
{
	if (!fl)
		return 0;
	exe_current_parent(&fl->origin_exe_ino, &fl->origin_exe_dev, &fl->origin_ppid,
			   &fl->origin_pexe_ino, &fl->origin_pexe_dev);
	return 0;
}

/* The chain's first hop: this application opens it. */
static __always_inline void flow_origin(struct lwfp_flow *fl, const struct walk *w, __u64 token)
{
	fl->chain = token;
	fl->origin_pid = fl->pid;
	fl->origin_uid = fl->uid;
	fl->origin_netns = w->netns;
	fl->origin_netns_ino = netns_current_ino();
	__builtin_memcpy(fl->origin_comm, fl->comm, sizeof(fl->origin_comm));
	lwfp_origin_exe(fl);
}

/* A later hop carries the chain's first hop and application along. */
static __always_inline void flow_inherit(struct lwfp_flow *fl, const struct lwfp_flow *parent,
					 bool adopted)
{
	fl->chain = parent->chain;
	if (adopted)
		fl->orig_dst = parent->orig_dst;
	fl->origin_pid = parent->origin_pid;
	fl->origin_uid = parent->origin_uid;
	fl->origin_netns = parent->origin_netns;
	fl->origin_netns_ino = parent->origin_netns_ino;
	__builtin_memcpy(fl->origin_comm, parent->origin_comm, sizeof(fl->origin_comm));
	fl->origin_ppid = parent->origin_ppid;
	fl->origin_exe_ino = parent->origin_exe_ino;
	fl->origin_exe_dev = parent->origin_exe_dev;
	fl->origin_pexe_ino = parent->origin_pexe_ino;
	fl->origin_pexe_dev = parent->origin_pexe_dev;
}

static __always_inline void flow_hop(struct lwfp_flow *fl, const struct walk *w,
				     const struct lwfp_filter *f)
{
	__u32 n = w->nhops;

	fl->service = f->service;
	fl->filter_id = f->id;
	fl->refs = 1;
	fl->proto = w->proto;
	fl->ctx_kind = f->ctx_kind;
	fl->target = f->to;
	__builtin_memcpy(fl->hops, w->hops, sizeof(fl->hops));
	fl->hops[n & (LWFP_MAX_HOPS - 1)].service = f->service;
	fl->hops[n & (LWFP_MAX_HOPS - 1)].filter_id = f->id;
	fl->nhops = n + 1;
}

/*
 * Records the hop in a new flow; st (may be NULL) may carry set records.
 * -EDQUOT: the caller's uid holds its cap; -ENOSPC: the table is full.
 */
static __always_inline int flow_insert(struct walk *w, const struct lwfp_sk *st,
				       const struct lwfp_filter *f, __u64 *token_out)
{
	__u64 token = flow_random64(), id = bpf_get_current_pid_tgid();
	const struct lwfp_flow *parent;
	struct lwfp_flow *fl;
	__u32 zero = 0;
	bool adopted;
	int err;

	fl = bpf_map_lookup_elem(&lwfp_scratch, &zero);
	if (!fl || w->nhops >= LWFP_MAX_HOPS)
		return -ENOBUFS;
	__builtin_memset(fl, 0, sizeof(*fl));
	/*
	 * The chain's first hop, destination and application: those of the
	 * flow whose records were set, or inherited; else this hop opens it.
	 */
	parent = flow_of_records(st);
	adopted = parent;
	if (!parent && w->parent)
		parent = bpf_map_lookup_elem(&lwfp_flows, &w->parent);
	fl->tag = flow_random64();
	fl->created_ns = bpf_ktime_get_ns();
	fl->cgroup_id = bpf_get_current_cgroup_id();
	fl->origin_cgroup_id = w->origin_cg;
	fl->pid = id >> 32;
	fl->tid = (__u32)id;
	/* cls_walk_init() read them in this same run: a helper call less. */
	fl->uid = w->uid;
	fl->gid = w->gid;
	/* Asked here rather than kept in the walk: its stack is at 6.1's limit. */
	fl->client = w->proto == IPPROTO_UDP ? bpf_get_socket_cookie(w->ctx) : 0;
	bpf_get_current_comm(fl->comm, sizeof(fl->comm));
	fl->orig_dst = w->dst;
	if (parent)
		flow_inherit(fl, parent, adopted);
	else
		flow_origin(fl, w, token);
	flow_hop(fl, w, f);
	err = flow_uid_take(fl->uid);
	if (err)
		return err;
	if (bpf_map_update_elem(&lwfp_flows, &token, fl, BPF_NOEXIST)) {
		flow_uid_give(fl->uid);
		return -ENOSPC;
	}
	*token_out = token;
	return 0;
}

/* The socket now holds the flow: what handoff_release(), getpeername() and queries use. */
static __always_inline void flow_attach(struct lwfp_sk *st, const struct walk *w, __u64 token)
{
	(void)w; /* everything the walk learnt is in the flow */
	/* A socket that connects again leaves its previous hop behind. */
	if (st->token && !st->closed)
		flow_put(st->token);
	st->token = token;
	st->role = LWFP_SK_CONNECT;
	st->closed = 0;
}
