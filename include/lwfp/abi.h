/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The socket-option ABI (SOL_LWFP): what a program reads or writes with
 * getsockopt/setsockopt on a redirected socket, the records blob, the
 * redirect context and the flow addresses of redirected UDP. Nothing here
 * is a map layout: those are the data plane's own (bpf/layout.h, never
 * installed), so they change without touching this file.
 *
 * It is included by BPF C (clang -target bpf) and by user space, so it uses
 * only <linux/types.h> types and no libc.
 */
#ifndef LWFP_ABI_H
#define LWFP_ABI_H

#include <linux/types.h>

/* ---- Socket-option ABI ------------------------------------------------
 *
 * getsockopt(fd, SOL_LWFP, optname, buf, &len) on a TCP or UDP socket of a
 * cgroup where an engine is attached. Without an engine the kernel answers
 * ENOPROTOOPT, which the native API reports as EOPNOTSUPP.
 *
 * LWFP_SO_RECORDS        get: the records blob of the flow that delivered
 *                        (or, on the application's side, carries) this socket.
 *                        set: before connect(), adopt a blob's records; the
 *                        engine copies its own authoritative hops, never the
 *                        caller's bytes.
 * LWFP_SO_CONTEXT        get: the context of the hop that delivered it.
 * LWFP_SO_ORIGINAL_DST   get: struct lwfp_addr, the application's first
 *                        destination (v4-mapped is reported as AF_INET).
 * LWFP_SO_LISTENER       set: a __u32 service handle. Registers this bound
 *                        socket (a TCP listener, or a proxy's wildcard UDP
 *                        socket) as a listener of that service: redirects
 *                        go only to a registered listener of the filter's
 *                        service in the connecting socket's network
 *                        namespace. Only a process of the service may
 *                        (EACCES); a socket a service's process binds is
 *                        registered for every service it is a process of.
 * LWFP_SO_DELIVERED      get: a __u32, 1 when a redirect delivered this
 *                        socket to a proxy (an accepted TCP socket, or a
 *                        proxy's per-flow UDP socket), 0 otherwise: the
 *                        application's own redirected socket answers
 *                        RECORDS and CONTEXT too, but was not delivered.
 *                        The Winsock layer uses it to give the context only
 *                        to the accepted socket, as Windows does. Added
 *                        without an LWFP_ABI_VERSION bump: no layout
 *                        changed, and an older engine answers EINVAL.
 * LWFP_SO_REDIRECT       get: records, context and original destination
 *                        of the flow that delivered (or carries) this
 *                        socket in one answer: struct lwfp_redirect_info,
 *                        then the parts where it says. For a proxy's
 *                        accepted socket, one call instead of three. An
 *                        older engine answers EINVAL.
 * LWFP_SO_STATE(handle)  get: a __u32 enum lwfp_redirect_state for the
 *                        service with that handle. The handle rides in the
 *                        optname because the kernel shows a cgroup getsockopt
 *                        program the caller's buffer only when its own
 *                        getsockopt succeeded, which it never does here.
 *
 * A buffer smaller than the value fails with ERANGE; when it holds at least
 * four bytes, its first __u32 receives the needed size and len is set to 4.
 * Whole values are at most a page, so they fit the kernel's sockopt buffer.
 */
#define SOL_LWFP 0x4c57 /* "LW": far above every level the kernel knows */

enum lwfp_sockopt {
	LWFP_SO_RECORDS = 1,
	LWFP_SO_CONTEXT = 2,
	LWFP_SO_ORIGINAL_DST = 3,
	LWFP_SO_LISTENER = 4,
	LWFP_SO_DELIVERED = 5,
	LWFP_SO_REDIRECT = 6,
	LWFP_SO_STATE_BASE = 0x100000,
};
#define LWFP_SO_STATE(handle) (LWFP_SO_STATE_BASE | (int)((handle) & 0xfffff))

enum lwfp_redirect_state {
	LWFP_NOT_REDIRECTED = 0,
	LWFP_REDIRECTED_BY_SELF = 1,
	LWFP_REDIRECTED_BY_OTHER = 2,
	LWFP_PREVIOUSLY_REDIRECTED_BY_SELF = 3,
};

#define LWFP_MAX_HOPS 8
#define LWFP_RECORDS_MAX 512
#define LWFP_CONTEXT_MAX 2048
#define LWFP_RAW_CONTEXT_MAX 1024

#ifndef LWFP_AF_INET
#define LWFP_AF_INET 2
#define LWFP_AF_INET6 10
#endif

/* An address as the engine stores it: network byte order, IPv4 in ip[0]. */
struct lwfp_addr {
	__u32 ip[4];
	__u16 port; /* network byte order */
	__u8 family; /* LWFP_AF_INET or LWFP_AF_INET6 */
	__u8 pad;
};

struct lwfp_hop {
	__u32 service; /* service handle */
	__u32 filter_id;
};

/*
 * The records blob handed to proxies. It names a flow by a random 64-bit key
 * and proves possession with a second random 64-bit tag; set accepts it only
 * if key, tag and every hop equal the engine's own copy, so a forged, edited,
 * truncated or stale blob is rejected.
 */
#define LWFP_RECORDS_MAGIC 0x4c574652u /* "LWFR" */
#define LWFP_RECORDS_VERSION 1

struct lwfp_records {
	__u32 magic;
	__u16 version;
	__u16 nhops;
	__u64 token;
	__u64 tag;
	struct lwfp_hop hops[LWFP_MAX_HOPS];
};
#define LWFP_RECORDS_HDR_SIZE 24
#define LWFP_RECORDS_SIZE(n) (LWFP_RECORDS_HDR_SIZE + (n) * sizeof(struct lwfp_hop))

/* Context kinds a filter can attach to the hops it creates. */
enum lwfp_context_kind {
	LWFP_CTX_METADATA = 0,
	LWFP_CTX_SOCKADDRS = 1, /* WFPSampler: 2 x sockaddr_storage */
	LWFP_CTX_RAW = 2,
	LWFP_CTX_NONE = 3,
};

#define LWFP_CONTEXT_VERSION 3
#define LWFP_SOCKADDR_STORAGE_SIZE 128

/* The `metadata` context: a fixed head followed by the filter's raw bytes. */
struct lwfp_redirect_context {
	__u16 version;
	__u16 size; /* head plus raw bytes */
	__u8 protocol; /* IPPROTO_TCP or IPPROTO_UDP */
	__u8 pad[3];
	struct lwfp_addr remote; /* the original destination */
	struct lwfp_addr local; /* the application's local address */
	__u32 pid; /* tgid of the connecting process */
	__u32 tid;
	__u32 uid;
	__u32 gid;
	__u64 cgroup_id;
	char comm[16];
	__u32 service;
	__u32 filter_id;
	__u64 timestamp_ns; /* CLOCK_MONOTONIC at the redirect */
	/* The chain: the first hop's flow token and the application that
	 * opened it, the same on every hop. */
	__u64 chain;
	__u32 origin_pid;
	__u32 origin_uid;
	char origin_comm[16];
	__u32 raw_len;
	/* Version 2: the application that opened the chain: its network
	 * namespace, as `stat -L -c %i /proc/PID/ns/net` prints it, the
	 * namespace's cookie (SO_NETNS_COOKIE), and its cgroup id. */
	__u32 netns_ino;
	__u64 netns_cookie;
	__u64 origin_cgroup_id;
	/* Version 3: the executable of the application that opened the chain
	 * and of its parent (real_parent's tgid), as the kernel knew them at
	 * its connect: the file's inode number and device, the device in the
	 * kernel's encoding (lwfp_kernel_dev() converts st_dev). A process without an mm
	 * has 0s. The paths are not here: user space resolves them
	 * (/proc/PID/exe), checking they still name the same file. */
	__u64 origin_exe_ino;
	__u64 origin_pexe_ino;
	__u32 origin_exe_dev;
	__u32 origin_pexe_dev;
	__u32 origin_ppid;
	__u32 pad2;
	__u8 raw[];
};

/*
 * LWFP_SO_REDIRECT's answer: this header, then each part at the offset it
 * gives (8-byte aligned, inside size): the original destination (struct
 * lwfp_addr), the context exactly as LWFP_SO_CONTEXT gives it, and the
 * records blob exactly as LWFP_SO_RECORDS gives it. Only the context can be
 * absent (context_len 0): a filter with context `none`, or `raw` without
 * bytes; the single query says ENOENT there.
 *
 * Later versions only append: header fields after these (hdr_size grows)
 * and parts after the last. A reader finds parts by their offsets, never
 * by its own arithmetic, and ignores fields and flags it does not know, so
 * an old reader keeps working with a newer engine.
 */
#define LWFP_REDIRECT_INFO_VERSION 1
#define LWFP_REDIRECT_INFO_MAX 4096 /* a page: the most a sockopt program may answer */
#define LWFP_REDIRECT_DELIVERED (1u << 0) /* flags: as LWFP_SO_DELIVERED says 1 */

struct lwfp_redirect_info {
	__u16 version; /* LWFP_REDIRECT_INFO_VERSION */
	__u16 hdr_size; /* bytes of this header the engine wrote */
	__u32 size; /* the whole answer, header and parts */
	__u32 flags; /* LWFP_REDIRECT_ */
	__u32 context_kind; /* enum lwfp_context_kind of the context part */
	__u32 dst_off, dst_len;
	__u32 context_off, context_len;
	__u32 records_off, records_len;
};

/*
 * UDP. Every redirected UDP flow gets its own loopback address in
 * LWFP_UDP_NET (127.128.0.0/9) with the target's port: the proxy, bound to
 * the wildcard at that port, tells flows apart by the datagram's
 * destination (IP_PKTINFO), and its per-flow socket, bound to that address
 * and connected to the client, answers the same queries as an accepted TCP
 * socket. Replies from that address are shown to the application as coming
 * from the original destination.
 */
#define LWFP_UDP_NET 0x7f800000u /* host order */
#define LWFP_UDP_MASK 0xff800000u
/*
 * IPv6 destinations. IPv6 has one loopback address, and sendmsg6 may not
 * rewrite to a v4-mapped one, so a flow to an IPv6 destination gets the
 * same number in LWFP_UDP6_NET::/96 instead: fd6c:7766:7000::7f80:1 is
 * the IPv6 form of 127.128.0.1. The prefix is a ULA ("lwfp" in its bytes)
 * that `lwfpctl up` routes to lo as local (AnyIP) in its network namespace;
 * the proxy binds a flow's address with IPV6_FREEBIND.
 */
#define LWFP_UDP6_NET0 0xfd6c7766u /* host order, the first 32 bits */
#define LWFP_UDP6_NET1 0x70000000u /* the next 32; the third word is 0 */
#define LWFP_UDP6_PLEN 96

/*
 * The socket-option ABI's version: what a program reading the answers
 * above can rely on (docs/abi.md, "Versions"). The layouts inside answers
 * carry their own version fields (records, context, redirect info) and
 * only grow; the pinned maps are versioned apart (LWFP_LAYOUT_VERSION in
 * bpf/layout.h).
 */
#define LWFP_ABI_VERSION 6

#endif /* LWFP_ABI_H */
