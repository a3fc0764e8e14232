/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The DNS answer parser, one code for the data plane and for user space
 * (the fuzzer and the unit test compile it with the host compiler): the
 * message sits in struct dns_parse, in a per-CPU map on the BPF side, and
 * the parse is a state machine of small steps that dns_parse_run() drives
 * with bpf_loop there (bpf/dns.h) and with a plain loop here.
 *
 * Why steps, and a map value: Linux 6.1 verifies a bpf_loop callback once,
 * as if it ran a single time, from the caller's state (see cls_walk_unknown in
 * classify.h). A state held in a map value is unknown to the verifier, so
 * every branch of every step stays live, and one bounded callback replaces
 * nested loops (names inside records) that 6.1 cannot verify.
 *
 * What it takes from a message: a response (QR set, opcode QUERY, rcode
 * NOERROR) with one question, and of its first DNS_ANSWERS_MAX records the
 * A and AAAA ones of class IN: their addresses, the smallest TTL, and the
 * hashes of the patterns that match the question's name and, when a CNAME
 * chain led elsewhere, the owner name of the first address record (layout.h,
 * struct lwfp_dns_entry). Records past the first DNS_PKT_MAX bytes, or
 * past the bytes the segment holds, are not read; those before a malformed
 * record are kept.
 */
#pragma once

#include <stdbool.h>
#include <linux/types.h>
#include "layout.h"

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

#define DNS_PKT_MAX 1024 /* a power of two: indexes are masked by it */
#define DNS_PKT_MASK (DNS_PKT_MAX - 1)
#define DNS_NAME_MASK (LWFP_DNS_NAME_MAX - 1)
#define DNS_ANSWERS_MAX 16
#define DNS_JUMPS_MAX 16 /* compression pointers followed per name */
#define DNS_WILD_MAX 7 /* "*.S" hashes per name: the exact name keeps its slot */
/* A name: 255 characters, 128 labels, the jumps; 16 records, the question. */
#define DNS_STEPS_MAX ((DNS_ANSWERS_MAX + 1) * 2 * 512)
#define DNS_HDR_LEN 12
#define DNS_TYPE_A 1
#define DNS_TYPE_AAAA 28
#define DNS_CLASS_IN 1

enum dns_state {
	DNS_S_HEADER = 0,
	DNS_S_NAME, /* reading a name, then state = next */
	DNS_S_HASH, /* hashing name[], then state = next */
	DNS_S_QUESTION, /* the question's name is read */
	DNS_S_QEND, /* and hashed */
	DNS_S_RR, /* the next record */
	DNS_S_RR_BODY, /* its owner name is read */
	DNS_S_RR_NEXT,
	DNS_S_DONE,
	DNS_S_BAD,
};

struct dns_addr {
	__u32 addr[4]; /* network order, IPv4 in addr[0] */
	__u8 family; /* LWFP_AF_INET or LWFP_AF_INET6 */
	__u8 pad[3];
};

struct dns_parse {
	__u8 pkt[DNS_PKT_MAX];
	__u32 len; /* bytes of pkt that hold the message */
	__u32 state, next;
	/* The name being read: where, how far, into name[]. */
	__u32 pos, end, label, out, jumps;
	/* Hashing name[] backwards. */
	__u32 hpos, wild;
	__u64 h;
	/* The records. */
	__u32 at, rr, ancount, owner;
	__u32 naddrs;
	struct dns_addr addrs[DNS_ANSWERS_MAX];
	char name[LWFP_DNS_NAME_MAX] __attribute__((aligned(8)));
	struct lwfp_dns_entry entry; /* name, hashes, bloom, ttl; the rest is the caller's */
};

static __always_inline __u32 dns_u8(const struct dns_parse *p, __u32 off)
{
	return p->pkt[off & DNS_PKT_MASK];
}

static __always_inline __u32 dns_u16(const struct dns_parse *p, __u32 off)
{
	return dns_u8(p, off) << 8 | dns_u8(p, off + 1);
}

static __always_inline __u32 dns_u32(const struct dns_parse *p, __u32 off)
{
	return dns_u16(p, off) << 16 | dns_u16(p, off + 2);
}

/*
 * The end of the parse at a malformed or cut byte: the addresses read
 * before it stand (a UDP message is read up to DNS_PKT_MAX bytes only).
 */
static __always_inline long dns_bad(struct dns_parse *p)
{
	p->state = p->naddrs ? DNS_S_DONE : DNS_S_BAD;
	return 1;
}

static __always_inline void dns_name_start(struct dns_parse *p, __u32 pos, __u32 next)
{
	p->pos = pos;
	p->end = 0;
	p->label = 0;
	p->out = 0;
	p->jumps = 0;
	p->next = next;
	p->state = DNS_S_NAME;
}

static __always_inline void dns_put(struct dns_parse *p, __u32 c)
{
	p->name[p->out & DNS_NAME_MASK] = (char)c;
	p->out++;
}

/* One byte of a label, or one length byte, pointer or end of a name. */
static __always_inline long dns_name_step(struct dns_parse *p)
{
	__u32 pos = p->pos, b;

	if (pos >= p->len || p->out >= LWFP_DNS_NAME_MAX - 2)
		return dns_bad(p);
	b = dns_u8(p, pos);
	p->pos = pos + 1;
	if (p->label) {
		/* A dot or a NUL inside a label would make another name of it. */
		if (b == 0 || b == '.')
			return dns_bad(p);
		p->label--;
		dns_put(p, b >= 'A' && b <= 'Z' ? b + ('a' - 'A') : b);
		return 0;
	}
	if (b == 0) {
		p->end = p->end ? p->end : pos + 1;
		p->name[p->out & DNS_NAME_MASK] = 0;
		p->state = p->next;
		return 0;
	}
	if ((b & 0xc0) == 0xc0) {
		if (pos + 1 >= p->len || ++p->jumps > DNS_JUMPS_MAX)
			return dns_bad(p);
		p->end = p->end ? p->end : pos + 2;
		p->pos = (b & 0x3f) << 8 | dns_u8(p, pos + 1);
		return 0;
	}
	if (b & 0xc0)
		return dns_bad(p);
	if (p->out)
		dns_put(p, '.');
	p->label = b;
	return 0;
}

static __always_inline void dns_hash_add(struct dns_parse *p, __u64 h)
{
	__u32 n = p->entry.nhashes;

	if (n >= LWFP_DNS_HASHES)
		return;
	p->entry.hashes[n & (LWFP_DNS_HASHES - 1)] = h;
	p->entry.bloom |= 1ULL << (h & 63);
	p->entry.nhashes = n + 1;
}

static __always_inline void dns_hash_start(struct dns_parse *p, __u32 next)
{
	p->hpos = p->out;
	p->h = LWFP_HOST_HASH_INIT;
	p->wild = 0;
	p->next = next;
	p->state = DNS_S_HASH;
}

/*
 * One character of name[], from the last: at a dot the suffix after it is
 * hashed, and "*." + suffix is two steps more (lwfp_host_hash_step).
 */
static __always_inline long dns_hash_step(struct dns_parse *p)
{
	__u32 i = p->hpos;
	__u8 c;

	if (!i) {
		if (p->out)
			dns_hash_add(p, p->h);
		p->state = p->next;
		return 0;
	}
	c = (__u8)p->name[(i - 1) & DNS_NAME_MASK];
	if (c == '.' && p->wild < DNS_WILD_MAX) {
		dns_hash_add(p, lwfp_host_hash_step(lwfp_host_hash_step(p->h, '.'), '*'));
		p->wild++;
	}
	p->h = lwfp_host_hash_step(p->h, c);
	p->hpos = i - 1;
	return 0;
}

/* A response to a standard query, without error, with one question. */
static __always_inline long dns_header(struct dns_parse *p)
{
	__u32 flags;

	if (p->len < DNS_HDR_LEN || p->len > DNS_PKT_MAX)
		return dns_bad(p);
	flags = dns_u16(p, 2);
	if (!(flags & 0x8000) || (flags & 0x7800) || (flags & 0xf) || dns_u16(p, 4) != 1)
		return dns_bad(p);
	p->ancount = dns_u16(p, 6);
	if (!p->ancount)
		return dns_bad(p);
	dns_name_start(p, DNS_HDR_LEN, DNS_S_QUESTION);
	return 0;
}

static __always_inline long dns_question(struct dns_parse *p)
{
	if (!p->out)
		return dns_bad(p);
	__builtin_memcpy(p->entry.name, p->name, LWFP_DNS_NAME_MAX);
	p->at = p->end + 4; /* qtype, qclass */
	dns_hash_start(p, DNS_S_QEND);
	return 0;
}

static __always_inline long dns_rr(struct dns_parse *p)
{
	if (p->rr >= p->ancount || p->rr >= DNS_ANSWERS_MAX || p->at >= p->len)
		return dns_bad(p);
	p->owner = p->at;
	dns_name_start(p, p->at, DNS_S_RR_BODY);
	return 0;
}

static __always_inline void dns_copy_addr(struct dns_parse *p, __u32 off, __u32 n)
{
	struct dns_addr *a = &p->addrs[p->naddrs & (DNS_ANSWERS_MAX - 1)];
	__u8 *b = (__u8 *)a->addr;
	__u32 i;

	for (i = 0; i < 16; i++)
		b[i] = i < n ? (__u8)dns_u8(p, off + i) : 0;
	a->family = n == 4 ? LWFP_AF_INET : LWFP_AF_INET6;
	p->naddrs++;
}

/* type, class, ttl, rdlength, then rdata: an A or AAAA record is kept. */
static __always_inline long dns_rr_body(struct dns_parse *p)
{
	__u32 pos = p->end, type, rdlen, ttl;
	bool addr;

	if (pos + 10 > p->len)
		return dns_bad(p);
	type = dns_u16(p, pos);
	ttl = dns_u32(p, pos + 4);
	rdlen = dns_u16(p, pos + 8);
	p->at = pos + 10 + rdlen;
	p->state = DNS_S_RR_NEXT;
	addr = dns_u16(p, pos + 2) == DNS_CLASS_IN &&
	       ((type == DNS_TYPE_A && rdlen == 4) || (type == DNS_TYPE_AAAA && rdlen == 16));
	if (!addr || p->at > p->len || p->naddrs >= DNS_ANSWERS_MAX)
		return 0;
	/* A TTL with the top bit set counts as 0 (RFC 2181, 8). */
	ttl = ttl & 0x80000000u ? 0 : ttl;
	p->entry.ttl = !p->naddrs || ttl < p->entry.ttl ? ttl : p->entry.ttl;
	dns_copy_addr(p, pos + 10, rdlen);
	/* The first address record names the chain's last name: hash it unless it is the question's. */
	if (p->naddrs == 1 && dns_u16(p, p->owner) != (0xc000 | DNS_HDR_LEN))
		dns_hash_start(p, DNS_S_RR_NEXT);
	return 0;
}

/* One step; non-zero ends the parse, which then is in DNS_S_DONE or DNS_S_BAD. */
static __always_inline long dns_step(struct dns_parse *p)
{
	switch (p->state) {
	case DNS_S_HEADER:
		return dns_header(p);
	case DNS_S_NAME:
		return dns_name_step(p);
	case DNS_S_HASH:
		return dns_hash_step(p);
	case DNS_S_QUESTION:
		return dns_question(p);
	case DNS_S_QEND:
		p->state = DNS_S_RR;
		return 0;
	case DNS_S_RR:
		return dns_rr(p);
	case DNS_S_RR_BODY:
		return dns_rr_body(p);
	case DNS_S_RR_NEXT:
		p->rr++;
		p->state = DNS_S_RR;
		return 0;
	default:
		return 1;
	}
}

/* Clears what a parse fills: pkt and len are the caller's. */
static __always_inline void dns_parse_init(struct dns_parse *p)
{
	p->state = DNS_S_HEADER;
	p->rr = 0;
	p->naddrs = 0;
	p->entry.nhashes = 0;
	p->entry.bloom = 0;
	p->entry.ttl = 0;
}

#ifndef __bpf__
/* User space's driver; the data plane's is dns_learn_parse() in bpf/dns.h. */
static inline int dns_parse_run(struct dns_parse *p)
{
	__u32 i;

	dns_parse_init(p);
	for (i = 0; i < DNS_STEPS_MAX && !dns_step(p); i++)
		;
	return p->state == DNS_S_DONE ? 0 : -1;
}
#endif
