/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The SOL_LWFP socket options (abi.h): query records, context, original
 * destination and state; set records. Options of every other level pass
 * through untouched.
 */
#pragma once

#include "common.h"
#include "flow.h"
#include "identity.h"
#include "listener.h"
#include "records.h"
#include "sockflow.h"

#define SOCKOPT_BUF_MAX 4096 /* the kernel hands programs at most a page */

/*
 * An option longer than the program's buffer must leave optlen 0, or the
 * kernel fails the whole call with EFAULT (before Linux 6.5).
 */
static __always_inline int so_pass_through(struct bpf_sockopt *ctx)
{
	if (ctx->optlen > SOCKOPT_BUF_MAX)
		ctx->optlen = 0;
	return 1;
}

/*
 * Before a store to ctx: clang may otherwise keep &ctx->optlen from an
 * earlier read and store through it, a modified ctx pointer, which the
 * verifier refuses.
 */
#define ctx_fresh(ctx) asm volatile("" : "+r"(ctx))

static __always_inline int so_fail(struct bpf_sockopt *ctx, int err)
{
	ctx_fresh(ctx);
	ctx->retval = -err;
	return 1;
}

/* Too small a buffer: ERANGE, and the needed size when a __u32 fits. */
static __always_inline int so_too_small(struct bpf_sockopt *ctx, __u32 needed)
{
	__u32 *p = ctx->optval;

	if ((void *)(p + 1) <= ctx->optval_end) {
		*p = needed;
		ctx_fresh(ctx);
		ctx->optlen = sizeof(*p);
	}
	return so_fail(ctx, ERANGE);
}

/*
 * Copies len bytes of src (max bytes long) to the option buffer at off; false
 * if they do not fit. The constant max is what ends the loop for Linux 6.1's
 * verifier when len is a range (the records blob's size): it cannot narrow
 * a range on a failed "== 0" test of the loop's down-counter, so without
 * max it follows the loop past the end of src and rejects the program
 * ("invalid read from stack"); later verifiers can.
 */
static __always_inline bool so_put_bytes(struct bpf_sockopt *ctx, __u32 off, const void *src,
					 __u32 len, __u32 max)
{
	const __u8 *s = src;
	__u32 i;

	for (i = 0; i < LWFP_RAW_CONTEXT_MAX; i++) {
		__u8 *d = (__u8 *)ctx->optval + ((off + i) & (LWFP_CONTEXT_MAX * 2 - 1));

		if (i >= len)
			break;
		if (i >= max || (void *)(d + 1) > ctx->optval_end)
			return false;
		*d = s[i];
	}
	return true;
}

/*
 * so_put_bytes() for a records blob, a word at a time: every blob is a
 * whole number of 8-byte words (abi.h), 32 bytes and more, and its offset
 * is one too (0, or INFO_CONTEXT_OFF plus an aligned context). Byte by
 * byte it cost each query some hundred instructions.
 */
static __always_inline bool so_put_records(struct bpf_sockopt *ctx, __u32 off,
					   const struct lwfp_records *r, __u32 len)
{
	const __u64 *s = (const __u64 *)r;
	__u32 i;

	if ((len | off) & 7)
		return so_put_bytes(ctx, off, r, len, sizeof(*r));
	if (len > sizeof(*r))
		return false;
	for (i = 0; i < sizeof(*r) / 8; i++) {
		__u64 *d = (__u64 *)((__u8 *)ctx->optval + ((off + i * 8) & (LWFP_CONTEXT_MAX * 2 - 1)));

		if (i * 8 >= len)
			break;
		if ((void *)(d + 1) > ctx->optval_end)
			return false;
		*d = s[i];
	}
	return true;
}

/*
 * Copies a records blob, len bytes, from the option buffer: word by word,
 * since every valid blob is a whole number of 8-byte words. False if len is
 * not, or the buffer is shorter.
 */
static __always_inline bool so_take_records(struct bpf_sockopt *ctx, struct lwfp_records *r,
					    __u32 len)
{
	__u64 *d = (__u64 *)r;
	__u32 i;

	if (len & 7)
		return false;
	for (i = 0; i < sizeof(*r) / 8; i++) {
		__u64 *s = (__u64 *)ctx->optval + i;

		if (i * 8 >= len)
			break;
		if ((void *)(s + 1) > ctx->optval_end)
			return false;
		d[i] = *s;
	}
	return true;
}

#define PUT(ctx, off, val)                                                     \
	({                                                                     \
		void *__p = (ctx)->optval + (off);                             \
		bool __ok = __p + sizeof(val) <= (ctx)->optval_end;            \
		if (__ok)                                                      \
			__builtin_memcpy(__p, &(val), sizeof(val));            \
		__ok;                                                          \
	})

static __always_inline bool so_connected(const struct bpf_sock *sk)
{
	if (sk->protocol == IPPROTO_UDP)
		return sk->state == TCP_ESTABLISHED;
	return sk->state != TCP_LISTEN && sk->state != TCP_CLOSE && sk->state != 2 /* SYN_SENT */;
}

/*
 * The flow that delivered (or carries) this socket, or a query error
 * (sockflow.h says which flow is a socket's).
 */
static __always_inline struct lwfp_flow *so_query_flow(struct bpf_sockopt *ctx, int *err,
						       __u64 *token)
{
	struct bpf_sock *sk = ctx->sk;

	*err = ENOTCONN;
	if (!sk || !so_connected(sk))
		return NULL;
	*err = ENOENT;
	*token = sock_flow(sk, sock_state(sk, false), bpf_get_netns_cookie(ctx));
	if (!*token)
		return NULL;
	return bpf_map_lookup_elem(&lwfp_flows, token);
}

/* A query answered with size bytes of the option buffer. */
static __always_inline int so_answered(struct bpf_sockopt *ctx, __u32 size)
{
	ctx_fresh(ctx);
	ctx->optlen = size;
	ctx->retval = 0;
	return 1;
}

/* Does the caller's buffer hold size bytes? Nothing is written before it does. */
static __always_inline bool so_fits(struct bpf_sockopt *ctx, __u32 size)
{
	return ctx->optlen >= (int)size;
}

/* The end of every query: its size bytes written, or ERANGE with that size. */
static __always_inline int so_reply(struct bpf_sockopt *ctx, __u32 size, bool written)
{
	return written ? so_answered(ctx, size) : so_too_small(ctx, size);
}

/* A query whose answer is one __u32. */
static __always_inline int so_reply_u32(struct bpf_sockopt *ctx, __u32 v)
{
	__u32 *p = ctx->optval;

	if ((void *)(p + 1) > ctx->optval_end)
		return so_too_small(ctx, sizeof(*p));
	*p = v;
	return so_answered(ctx, sizeof(*p));
}

static __always_inline __u32 so_records_size(const struct lwfp_flow *f)
{
	return LWFP_RECORDS_SIZE(f->nhops & 15);
}

/* The records blob at off; false if it does not fit. */
static __always_inline bool so_records_put(struct bpf_sockopt *ctx, __u32 off, __u64 token,
					   const struct lwfp_flow *f)
{
	struct lwfp_records r;

	rec_blob_fill(&r, token, f);
	return so_put_records(ctx, off, &r, so_records_size(f));
}

static __always_inline int so_get_records(struct bpf_sockopt *ctx, const struct lwfp_flow *f,
					  __u64 token)
{
	__u32 size = so_records_size(f);

	return so_reply(ctx, size, so_fits(ctx, size) && so_records_put(ctx, 0, token, f));
}

static __always_inline void so_sockaddr_put(__u8 *out, const struct lwfp_addr *a)
{
	__u16 fam = a->family;

	__builtin_memcpy(out, &fam, 2);
	__builtin_memcpy(out + 2, &a->port, 2);
	if (a->family == AF_INET)
		__builtin_memcpy(out + 4, &a->ip[0], 4);
	else
		__builtin_memcpy(out + 8, a->ip, 16);
}

/*
 * WFPSampler's context at off: original remote then original local, as
 * sockaddr_storage; false if it does not fit.
 */
static __always_inline bool so_sockaddrs_put(struct bpf_sockopt *ctx, __u32 off,
					     const struct lwfp_flow *f)
{
	__u8 buf[2 * LWFP_SOCKADDR_STORAGE_SIZE];

	__builtin_memset(buf, 0, sizeof(buf));
	so_sockaddr_put(buf, &f->orig_dst);
	so_sockaddr_put(buf + LWFP_SOCKADDR_STORAGE_SIZE, &f->orig_src);
	return PUT(ctx, off, buf);
}

/* Each field of the context that is a flow field as it is: (context, flow). */
#define SO_CONTEXT_FIELDS(X)                                                            \
	X(protocol, proto) X(remote, orig_dst) X(local, orig_src) X(pid, pid) X(tid, tid)  \
	X(uid, uid) X(gid, gid) X(cgroup_id, cgroup_id) X(service, service)                \
	X(filter_id, filter_id) X(timestamp_ns, created_ns) X(chain, chain)               \
	X(origin_pid, origin_pid) X(origin_uid, origin_uid) X(netns_ino, origin_netns_ino) \
	X(netns_cookie, origin_netns) X(origin_cgroup_id, origin_cgroup_id)                \
	X(origin_exe_ino, origin_exe_ino) X(origin_exe_dev, origin_exe_dev)                \
	X(origin_ppid, origin_ppid) X(origin_pexe_ino, origin_pexe_ino)                    \
	X(origin_pexe_dev, origin_pexe_dev)
#define SO_CONTEXT_COPY(to, from) m->to = f->from;

static __always_inline void so_metadata_fill(struct lwfp_redirect_context *m,
					     const struct lwfp_flow *f, __u32 raw_len)
{
	__builtin_memset(m, 0, sizeof(*m));
	m->version = LWFP_CONTEXT_VERSION;
	m->size = sizeof(*m) + raw_len;
	m->raw_len = raw_len;
	SO_CONTEXT_FIELDS(SO_CONTEXT_COPY)
	__builtin_memcpy(m->comm, f->comm, sizeof(m->comm));
	__builtin_memcpy(m->origin_comm, f->origin_comm, sizeof(m->origin_comm));
}

/* A flow's context, sized before anything is written. */
struct ctx_part {
	struct lwfp_raw_context *raw;
	__u32 raw_len;
	__u32 head; /* the metadata head or the two sockaddrs; 0 for raw */
	__u32 size;
};

/* 0, or ENOENT when the flow's filter gives no context. */
static __always_inline int so_context_size(const struct lwfp_flow *f, struct ctx_part *p)
{
	__builtin_memset(p, 0, sizeof(*p));
	if (f->ctx_kind == LWFP_CTX_NONE)
		return ENOENT;
	if (f->ctx_kind == LWFP_CTX_SOCKADDRS) {
		p->head = p->size = 2 * LWFP_SOCKADDR_STORAGE_SIZE;
		return 0;
	}
	p->raw = bpf_map_lookup_elem(&lwfp_filter_raw, &f->filter_id);
	if (p->raw)
		p->raw_len = p->raw->len > LWFP_RAW_CONTEXT_MAX ? LWFP_RAW_CONTEXT_MAX : p->raw->len;
	if (f->ctx_kind == LWFP_CTX_RAW && !p->raw_len)
		return ENOENT;
	p->head = f->ctx_kind == LWFP_CTX_RAW ? 0 : sizeof(struct lwfp_redirect_context);
	p->size = p->head + p->raw_len;
	return 0;
}

/* The context so_context_size() sized, at off; false if it does not fit. */
static __always_inline bool so_context_put(struct bpf_sockopt *ctx, __u32 off,
					   const struct lwfp_flow *f, const struct ctx_part *p)
{
	struct lwfp_redirect_context m;

	if (f->ctx_kind == LWFP_CTX_SOCKADDRS)
		return so_sockaddrs_put(ctx, off, f);
	if (p->head) {
		so_metadata_fill(&m, f, p->raw_len);
		if (!PUT(ctx, off, m))
			return false;
	}
	return !p->raw || so_put_bytes(ctx, off + p->head, p->raw->bytes, p->raw_len,
				       sizeof(p->raw->bytes));
}

static __always_inline int so_get_context(struct bpf_sockopt *ctx, const struct lwfp_flow *f)
{
	struct ctx_part p;
	int err;

	err = so_context_size(f, &p);
	if (err)
		return so_fail(ctx, err);
	return so_reply(ctx, p.size, so_fits(ctx, p.size) && so_context_put(ctx, 0, f, &p));
}

static __always_inline int so_get_original_dst(struct bpf_sockopt *ctx, const struct lwfp_flow *f)
{
	__u32 size = sizeof(f->orig_dst);

	return so_reply(ctx, size, so_fits(ctx, size) && PUT(ctx, 0, f->orig_dst));
}

#define ALIGN8(n) (((n) + 7) & ~7u)
/* Where the context starts: after the header and the destination, aligned. */
#define INFO_CONTEXT_OFF ALIGN8(sizeof(struct lwfp_redirect_info) + sizeof(struct lwfp_addr))

/*
 * All three parts from one flow lookup (struct lwfp_redirect_info): the
 * fixed-size ones first, so that only the records, written byte by byte,
 * start at an offset the verifier cannot know.
 */
static __always_inline int so_get_redirect(struct bpf_sockopt *ctx, const struct lwfp_flow *f,
					   __u64 token)
{
	struct lwfp_redirect_info h = {};
	struct lwfp_sk *st;
	struct ctx_part p;
	bool written;

	if (so_context_size(f, &p))
		p.size = 0;
	st = sock_state(ctx->sk, false);
	h.version = LWFP_REDIRECT_INFO_VERSION;
	h.hdr_size = sizeof(h);
	/* so_query_flow gave the socket's own hop only to a connecting side. */
	h.flags = !st || st->role != LWFP_SK_CONNECT ? LWFP_REDIRECT_DELIVERED : 0;
	h.context_kind = f->ctx_kind;
	h.dst_off = sizeof(h);
	h.dst_len = sizeof(f->orig_dst);
	h.context_off = INFO_CONTEXT_OFF;
	h.context_len = p.size;
	h.records_off = h.context_off + ALIGN8(p.size);
	h.records_len = so_records_size(f);
	h.size = h.records_off + h.records_len;
	written = so_fits(ctx, h.size) && PUT(ctx, 0, h) && PUT(ctx, sizeof(h), f->orig_dst) &&
		  (!p.size || so_context_put(ctx, INFO_CONTEXT_OFF, f, &p)) &&
		  so_records_put(ctx, h.records_off, token, f);
	return so_reply(ctx, h.size, written);
}

/* The queries answered from the socket's flow: one lookup, then the option's bytes. */
static __always_inline int so_get_from_flow(struct bpf_sockopt *ctx, int optname)
{
	struct lwfp_flow *f;
	__u64 token;
	int err;

	f = so_query_flow(ctx, &err, &token);
	if (!f)
		return so_fail(ctx, err);
	switch (optname) {
	case LWFP_SO_RECORDS:
		return so_get_records(ctx, f, token);
	case LWFP_SO_CONTEXT:
		return so_get_context(ctx, f);
	case LWFP_SO_ORIGINAL_DST:
		return so_get_original_dst(ctx, f);
	}
	return so_get_redirect(ctx, f, token);
}

/*
 * Any socket has a state: no records simply means NOT_REDIRECTED. The hops
 * are those set on the socket, or, on an accepted socket or a proxy's
 * per-flow UDP socket, those that delivered it.
 */
static __always_inline int so_get_state(struct bpf_sockopt *ctx, __u32 handle)
{
	struct lwfp_flow *f = NULL;
	__u64 token;

	token = sock_records(ctx->sk, sock_state(ctx->sk, false), bpf_get_netns_cookie(ctx));
	if (token)
		f = bpf_map_lookup_elem(&lwfp_flows, &token);
	return so_reply_u32(ctx, f ? rec_hops_state(f->hops, f->nhops, handle) : LWFP_NOT_REDIRECTED);
}

/* The application's socket carries its flow too; only a proxy's was delivered. */
static __always_inline int so_get_delivered(struct bpf_sockopt *ctx)
{
	struct bpf_sock *sk = ctx->sk;
	__u64 token = sock_delivered(sk, sock_state(sk, false), bpf_get_netns_cookie(ctx));

	return so_reply_u32(ctx, token != 0);
}

static __always_inline bool so_inet_sock(const struct bpf_sock *sk)
{
	return sk && (sk->family == AF_INET || sk->family == AF_INET6) &&
	       (sk->protocol == IPPROTO_TCP || sk->protocol == IPPROTO_UDP);
}

#define SOL_IP 0
#define SOL_IPV6 41
#define SO_ORIGINAL_DST 80 /* and IP6T_SO_ORIGINAL_DST: netfilter's number */

/*
 * SO_ORIGINAL_DST for proxies written for iptables REDIRECT: on a socket an
 * lwfp redirect delivered, answer as conntrack would, with a sockaddr_in or
 * sockaddr_in6; on any other socket the kernel's own answer stands.
 */
static __always_inline int so_original_dst_compat(struct bpf_sockopt *ctx)
{
	struct bpf_sock *sk = ctx->sk;
	struct lwfp_flow *f = NULL;
	__u8 sa[28] = {};
	__u64 token;
	__u32 size;

	token = sk ? sock_delivered(sk, sock_state(sk, false), bpf_get_netns_cookie(ctx)) : 0;
	if (token)
		f = bpf_map_lookup_elem(&lwfp_flows, &token);
	if (!f)
		return so_pass_through(ctx);
	if (ctx->level == SOL_IP && f->orig_dst.family == AF_INET)
		size = 16;
	else if (ctx->level == SOL_IPV6 && f->orig_dst.family == AF_INET6)
		size = 28;
	else
		return so_pass_through(ctx);
	/* The kernel's rule for both options: too short a buffer is EINVAL. */
	if (ctx->optlen < (int)size)
		return so_fail(ctx, EINVAL);
	so_sockaddr_put(sa, &f->orig_dst);
	if (size == 16 ? !PUT(ctx, 0, *(__u8(*)[16])sa) : !PUT(ctx, 0, sa))
		return so_fail(ctx, EINVAL);
	return so_answered(ctx, size);
}

static __always_inline int so_get(struct bpf_sockopt *ctx)
{
	if ((ctx->level == SOL_IP || ctx->level == SOL_IPV6) && ctx->optname == SO_ORIGINAL_DST)
		return so_original_dst_compat(ctx);
	if (ctx->level != SOL_LWFP)
		return so_pass_through(ctx);
	lwfp_count(LWFP_CNT_QUERY);
	if (!so_inet_sock(ctx->sk))
		return so_fail(ctx, ENOPROTOOPT);
	switch (ctx->optname) {
	case LWFP_SO_RECORDS:
	case LWFP_SO_CONTEXT:
	case LWFP_SO_ORIGINAL_DST:
	case LWFP_SO_REDIRECT:
		return so_get_from_flow(ctx, ctx->optname);
	case LWFP_SO_DELIVERED:
		return so_get_delivered(ctx);
	}
	if ((ctx->optname & ~0xfffff) == LWFP_SO_STATE_BASE)
		return so_get_state(ctx, ctx->optname & 0xfffff);
	return so_fail(ctx, EINVAL);
}

/*
 * The flow a set-records blob of len bytes names, if it is one of
 * lwfp_flows exactly and the caller is a process of the service it was
 * delivered to; else NULL.
 */
static __always_inline struct lwfp_flow *so_records_flow(struct bpf_sockopt *ctx,
							 struct lwfp_records *r)
{
	__u32 len = ctx->optlen;
	struct lwfp_flow *f;

	if (len < LWFP_RECORDS_SIZE(1) || len > sizeof(*r))
		return NULL;
	if (!so_take_records(ctx, r, len))
		return NULL;
	if (r->magic != LWFP_RECORDS_MAGIC || r->version != LWFP_RECORDS_VERSION ||
	    r->nhops < 1 || r->nhops > LWFP_MAX_HOPS || len != LWFP_RECORDS_SIZE(r->nhops))
		return NULL;
	f = bpf_map_lookup_elem(&lwfp_flows, &r->token);
	if (!f || !rec_blob_matches(r, f) || !id_caller_is(f->hops[(f->nhops - 1) & 7].service))
		return NULL;
	return f;
}

/*
 * Set records: the blob only names a flow. What the socket receives is the
 * engine's own copy, and only a process of the service that flow was
 * delivered to may adopt it. A caller that is no service at all gets
 * EACCES, any other refusal EINVAL; the identity scan that tells them
 * apart runs only on a refusal, since a process of the flow's service is a
 * service.
 */
static __always_inline int so_set_records(struct bpf_sockopt *ctx)
{
	struct lwfp_records r = {};
	struct lwfp_flow *f;
	struct lwfp_sk *st;

	if (ctx->sk->state != TCP_CLOSE)
		return lwfp_deny(EISCONN);
	f = so_records_flow(ctx, &r);
	if (!f && !id_caller_service())
		return lwfp_refuse(LWFP_CNT_SET_EACCES, EACCES);
	if (!f)
		return lwfp_refuse(LWFP_CNT_SET_EINVAL, EINVAL);
	st = sock_state(ctx->sk, true);
	if (!st)
		return lwfp_refuse(LWFP_CNT_SET_EINVAL, ENOBUFS);
	/* The socket holds the flow until it closes: its records stay valid. */
	if (st->parent != r.token) {
		__sync_fetch_and_add(&f->refs, 1);
		if (st->parent)
			flow_put(st->parent);
		st->parent = r.token;
	}
	lwfp_count(LWFP_CNT_SET_OK);
	ctx->optlen = -1; /* handled here: the kernel has no SOL_LWFP */
	return 1;
}

static __always_inline int so_set(struct bpf_sockopt *ctx)
{
	if (ctx->level != SOL_LWFP)
		return so_pass_through(ctx);
	if (!so_inet_sock(ctx->sk))
		return lwfp_deny(ENOPROTOOPT);
	if (ctx->optname == LWFP_SO_LISTENER)
		return listener_register(ctx);
	if (ctx->optname != LWFP_SO_RECORDS)
		return lwfp_deny(ENOPROTOOPT);
	return so_set_records(ctx);
}
