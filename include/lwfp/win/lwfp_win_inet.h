/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * struct in_addr with the Windows S_un union, over glibc's netinet/in.h.
 *
 * Windows code writes both `a.sin_addr.S_un.S_addr` and `a.sin_addr.s_addr`
 * (inaddr.h makes s_addr a macro for S_un.S_addr). glibc's struct in_addr
 * has a plain s_addr member and cannot be extended, and no C construct
 * adds a member to a struct another header defined. So glibc's headers are
 * read once here with their in_addr-bearing structures renamed
 * (lwfp_bsd_in_addr, ...), and the Windows layouts take the real names.
 * The layouts are the kernel's (checked below), so addresses still pass to
 * and from the kernel untranslated. glibc functions that take a struct
 * in_addr by value or pointer (inet_ntoa, inet_aton) are reached through
 * inline wrappers.
 *
 * This only works when winsock2.h is the first to include netinet/in.h
 * (arpa/inet.h and netdb.h include it too): afterwards the include guards
 * keep glibc's definitions out. A Windows program never includes those
 * headers, so an earlier inclusion is an error with a message, except in
 * the layer's own sources (LWFP_WIN_NO_REMAP), which take glibc's struct
 * as it is: same layout, no S_un, and they do not use S_un.
 *
 * Included by winsock2.h; not meant to be included on its own.
 */
#ifndef LWFP_WIN_INET_H
#define LWFP_WIN_INET_H

#include <string.h>
#include <sys/socket.h>

#if defined(_NETINET_IN_H) && !defined(LWFP_WIN_NO_REMAP)
#error "lwfp: <netinet/in.h> (or <arpa/inet.h> or <netdb.h>) was included before <winsock2.h>. Include <winsock2.h> (or <windows.h>) first, as a Windows program does: struct in_addr gets its Windows S_un layout only then."
#endif

#ifndef _NETINET_IN_H
#define LWFP_WIN_S_UN 1
#define in_addr lwfp_bsd_in_addr
#define sockaddr_in lwfp_bsd_sockaddr_in
#define in_pktinfo lwfp_bsd_in_pktinfo
#define ip_mreq lwfp_bsd_ip_mreq
#define ip_mreqn lwfp_bsd_ip_mreqn
#define ip_mreq_source lwfp_bsd_ip_mreq_source
#define ip_msfilter lwfp_bsd_ip_msfilter
#define ip_opts lwfp_bsd_ip_opts
#endif

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#ifdef LWFP_WIN_S_UN
#undef in_addr
#undef sockaddr_in
#undef in_pktinfo
#undef ip_mreq
#undef ip_mreqn
#undef ip_mreq_source
#undef ip_msfilter
#undef ip_opts

struct in_addr {
	union {
		struct {
			unsigned char s_b1, s_b2, s_b3, s_b4;
		} S_un_b;
		struct {
			unsigned short s_w1, s_w2;
		} S_un_w;
		in_addr_t S_addr; /* Windows ULONG: 32 bits, as in_addr_t */
	} S_un;
};
#define s_addr S_un.S_addr

struct sockaddr_in {
	sa_family_t sin_family;
	in_port_t sin_port;
	struct in_addr sin_addr;
	char sin_zero[8];
};

/* The kernel's IP_PKTINFO payload (Windows orders the fields differently). */
struct in_pktinfo {
	int ipi_ifindex;
	struct in_addr ipi_spec_dst;
	struct in_addr ipi_addr;
};

struct ip_mreq {
	struct in_addr imr_multiaddr;
	struct in_addr imr_interface;
};

#define LWFP_WIN_SAME(a, b, f) \
	_Static_assert(offsetof(struct a, f) == offsetof(struct b, f) && \
			       sizeof(((struct a *)0)->f) == sizeof(((struct b *)0)->f), \
		       #a "." #f " has the kernel's layout")
_Static_assert(sizeof(struct in_addr) == sizeof(struct lwfp_bsd_in_addr), "in_addr size");
_Static_assert(sizeof(struct sockaddr_in) == sizeof(struct lwfp_bsd_sockaddr_in),
	       "sockaddr_in size");
LWFP_WIN_SAME(sockaddr_in, lwfp_bsd_sockaddr_in, sin_family);
LWFP_WIN_SAME(sockaddr_in, lwfp_bsd_sockaddr_in, sin_port);
LWFP_WIN_SAME(sockaddr_in, lwfp_bsd_sockaddr_in, sin_addr);
LWFP_WIN_SAME(sockaddr_in, lwfp_bsd_sockaddr_in, sin_zero);
#ifdef __USE_GNU /* glibc has in_pktinfo with _GNU_SOURCE only */
_Static_assert(sizeof(struct in_pktinfo) == sizeof(struct lwfp_bsd_in_pktinfo),
	       "in_pktinfo size");
LWFP_WIN_SAME(in_pktinfo, lwfp_bsd_in_pktinfo, ipi_ifindex);
LWFP_WIN_SAME(in_pktinfo, lwfp_bsd_in_pktinfo, ipi_spec_dst);
LWFP_WIN_SAME(in_pktinfo, lwfp_bsd_in_pktinfo, ipi_addr);
#endif
#ifdef __USE_MISC
LWFP_WIN_SAME(ip_mreq, lwfp_bsd_ip_mreq, imr_multiaddr);
LWFP_WIN_SAME(ip_mreq, lwfp_bsd_ip_mreq, imr_interface);
#endif
#undef LWFP_WIN_SAME

static inline char *lwfp_win_inet_ntoa(struct in_addr in)
{
	struct lwfp_bsd_in_addr b;

	memcpy(&b, &in, sizeof(b));
	return inet_ntoa(b);
}

#ifdef __USE_MISC /* glibc declares inet_aton only then */
static inline int lwfp_win_inet_aton(const char *cp, struct in_addr *inp)
{
	struct lwfp_bsd_in_addr b;
	int ok = inet_aton(cp, &b);

	if (ok)
		memcpy(inp, &b, sizeof(b));
	return ok;
}

#define inet_aton(cp, inp) lwfp_win_inet_aton((cp), (inp))
#endif
#define inet_ntoa(in) lwfp_win_inet_ntoa(in)
#endif /* LWFP_WIN_S_UN */

#endif /* LWFP_WIN_INET_H */
