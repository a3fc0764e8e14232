/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* UDP flow addresses (abi.h): 127.128.0.0/9 and its IPv6 form. */
#pragma once

#include "common.h"
#include "sockaddr.h"

static __always_inline bool udp_addr_ours(__u32 ip)
{
	return (bpf_ntohl(ip) & LWFP_UDP_MASK) == LWFP_UDP_NET;
}

/* The flow number of an IPv6 flow address (abi.h, LWFP_UDP6_NET), or 0. */
static __always_inline __u32 udp_addr_ours6(const __u32 *ip6)
{
	if (ip6[0] != bpf_htonl(LWFP_UDP6_NET0) || ip6[1] != bpf_htonl(LWFP_UDP6_NET1) || ip6[2])
		return 0;
	return udp_addr_ours(ip6[3]) ? ip6[3] : 0;
}

/* The flow number of an address in either form, v4-mapped included, or 0. */
static __always_inline __u32 udp_addr_number6(const __u32 *ip6)
{
	if (lwfp_v4mapped(ip6))
		return udp_addr_ours(ip6[3]) ? ip6[3] : 0;
	return udp_addr_ours6(ip6);
}

/*
 * The flow number of a hook's address argument (bind, connect), or with
 * src of a datagram's chosen source (IP_PKTINFO); 0 if it is none.
 */
static __always_inline __u32 udp_addr_of_ctx(struct bpf_sock_addr *ctx, const bool v6,
					     const bool src)
{
	__u32 ip6[4], ip4 = src ? ctx->msg_src_ip4 : ctx->user_ip4;

	if (!v6)
		return udp_addr_ours(ip4) ? ip4 : 0;
	sa_ip6_read(ip6, src ? ctx->msg_src_ip6 : ctx->user_ip6);
	return udp_addr_number6(ip6);
}

static __always_inline struct lwfp_udp_addr_key udp_addr_key(__u64 netns, __u32 addr)
{
	struct lwfp_udp_addr_key k = { .netns = netns, .addr = addr };

	return k;
}

/* The token of the flow at a flow address of this namespace, or 0. */
static __always_inline __u64 udp_addr_token(__u64 netns, __u32 addr)
{
	struct lwfp_udp_addr_key k = udp_addr_key(netns, addr);
	__u64 *token = bpf_map_lookup_elem(&lwfp_udp_addr, &k);

	return token ? *token : 0;
}
