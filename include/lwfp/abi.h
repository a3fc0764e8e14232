/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The one definition of everything the BPF data plane and user space share:
 * the socket-option ABI (SOL_LWFP), the records blob, the redirect context,
 * and the layout of every pinned map.
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
#define LWFP_NAME_MAX 32
#define LWFP_MAX_SERVICES 64
#define LWFP_MAX_FILTERS 16384
#define LWFP_MAX_FLOWS 262144

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

/* ---- Maps -------------------------------------------------------------- */

enum lwfp_identity_kind {
	LWFP_ID_UID = 1,
	LWFP_ID_CGROUP = 2,
	LWFP_ID_PID = 3,
};

/* lwfp_services[handle - 1]; an empty slot has handle 0. */
struct lwfp_service {
	__u32 handle;
	__u32 id_kind;
	__u64 id_value; /* uid, cgroup id or tgid */
	__u32 cgroup_level; /* for LWFP_ID_CGROUP: depth below the v2 root */
	__u32 pad;
	__u8 provider[16];
	char name[LWFP_NAME_MAX];
};

enum lwfp_action {
	LWFP_ACT_REDIRECT = 1,
	LWFP_ACT_PERMIT = 2,
	LWFP_ACT_BLOCK = 3,
};

enum lwfp_fail_mode {
	LWFP_FAIL_CLOSED = 0,
	LWFP_FAIL_OPEN = 1,
};

/* Condition bits: a filter tests only the conditions it sets. */
#define LWFP_COND_PROTO (1u << 0)
#define LWFP_COND_FAMILY (1u << 1)
#define LWFP_COND_DST (1u << 2)
#define LWFP_COND_DPORT (1u << 3)
#define LWFP_COND_SPORT (1u << 4)
#define LWFP_COND_UID (1u << 5)
#define LWFP_COND_GID (1u << 6)
#define LWFP_COND_CGROUP (1u << 7)
/*
 * The cgroup (exactly, not its descendants) of the application that opened
 * the chain, carried along with the records: it scopes every hop of a chain,
 * including the proxies' own connections, to one application.
 */
#define LWFP_COND_ORIGIN_CGROUP (1u << 8)
/*
 * The executable of the connecting process (its mm->exe_file) is one of
 * the filter's files (app_ino/app_dev): a file, not a name, so a copy
 * elsewhere does not match and a process that execs another binary
 * matches that one. Slot 0 is the file the path named when the filter was
 * added or last refreshed, slot 1 the file it named before (0 when none),
 * so that processes still running the replaced binary keep matching
 * (docs/abi.md, "Applications").
 */
#define LWFP_COND_APP (1u << 9)
#define LWFP_APP_SLOTS 2
/*
 * The destination was given to the application's network namespace in a
 * DNS answer for a name that host_hash stands for (see the lwfp_dns map
 * below): an exact name, or "*.SUFFIX" for every name below SUFFIX.
 */
#define LWFP_COND_HOST (1u << 10)

#define LWFP_HOST_PATTERN_MAX 64 /* a --host pattern: 63 characters at most */

struct lwfp_filter {
	__u32 id;
	__u32 service; /* handle; 0 for permit and block */
	__u32 weight;
	__u32 conds;
	__u8 action;
	__u8 fail;
	__u8 ctx_kind;
	__u8 proto; /* IPPROTO_TCP / IPPROTO_UDP */
	__u8 family; /* 4 or 6 */
	__u8 dst_plen;
	__u16 raw_len;
	__u32 dst[4]; /* network order, IPv4 in dst[0] */
	__u16 dport_lo, dport_hi; /* host order */
	__u16 sport_lo, sport_hi;
	__u32 uid_lo, uid_hi;
	__u32 gid;
	__u32 cgroup_level;
	__u64 cgroup_id;
	__u64 origin_cgroup_id;
	struct lwfp_addr to; /* the redirect target */
	__u32 idle_timeout_s; /* UDP; 0 means the default */
	__u32 flags; /* LWFP_FILTER_ */
	__u64 app_ino[LWFP_APP_SLOTS]; /* LWFP_COND_APP; 0: an empty slot */
	__u32 app_dev[LWFP_APP_SLOTS]; /* the kernel's dev_t: major << 20 | minor */
	/* LWFP_COND_HOST: lwfp_host_hash() of the pattern, and the pattern
	 * itself, lower case, for user space (the data plane reads the hash). */
	__u64 host_hash;
	char host[LWFP_HOST_PATTERN_MAX];
};

/*
 * lwfp_filter_app[filter id]: the path an LWFP_COND_APP filter was given,
 * kept for listings, `save` and `filter refresh`; the data plane never
 * reads it. The path is absolute, kept as given: symlinks are followed at
 * each lookup, so a package's alternatives link is followed too.
 */
#define LWFP_APP_PATH_MAX 256

struct lwfp_filter_app {
	char path[LWFP_APP_PATH_MAX];
};

/*
 * A boot filter (redirect only) refuses its matching connections, whatever
 * its fail mode, while its service has no listener at the target, and
 * redirects them once one exists: traffic is held until the proxy is up,
 * never let through unredirected. Refusals count as fail_closed.
 */
#define LWFP_FILTER_BOOT (1u << 0)
#define LWFP_FILTER_FLAGS LWFP_FILTER_BOOT

/*
 * lwfp_filters holds two tables of LWFP_MAX_FILTERS slots, sorted by weight
 * from the highest down. User space rewrites the table the data plane is
 * not reading, then flips lwfp_config.active, so a connect() never sees a
 * half-written table.
 *
 * The index over a table, so that a connect() looks only at filters that
 * can match it: every filter of a half sits in exactly one bucket,
 * lwfp_filter_idx[key], a run of lwfp_filter_pos holding the
 * filters' positions in the table, ascending. The bucket is chosen by the
 * filter's most selective exact condition:
 *   LWFP_IDX_PREFIX  its destination prefix (family, length, masked address),
 *                    when that length is one of the half's idx_plens;
 *   LWFP_IDX_HOST    else, for a --host filter, the one bucket of them all;
 *   LWFP_IDX_DPORT   else its destination port, when it is a single port;
 *   LWFP_IDX_ANY     else (the wildcard bucket).
 * A connect() probes one prefix bucket per listed length of its family, one
 * port bucket, the wildcard bucket and, when its destination has a live
 * learned name (bpf/dns.h), the host bucket, and merges them by position:
 * the same filters in the same order as a walk over the whole table, less
 * host filters that could not match.
 */
#define LWFP_IDX_PLENS 8 /* prefix lengths indexed per family and half */

enum lwfp_idx_kind {
	LWFP_IDX_PREFIX = 1,
	LWFP_IDX_DPORT = 2,
	LWFP_IDX_ANY = 3,
	LWFP_IDX_HOST = 4,
};

struct lwfp_idx_key {
	__u8 half; /* the table half the bucket belongs to: both coexist */
	__u8 kind; /* enum lwfp_idx_kind */
	__u8 family; /* LWFP_IDX_PREFIX: 4 or 6 */
	__u8 plen;
	__u16 dport; /* LWFP_IDX_DPORT: host order */
	__u16 pad;
	__u32 addr[4]; /* LWFP_IDX_PREFIX: network order, masked to plen */
};

struct lwfp_idx_bucket {
	__u32 start; /* first slot in lwfp_filter_pos (half included) */
	__u32 len;
};

struct lwfp_config {
	__u32 active; /* 0 or 1: which half of lwfp_filters is live */
	__u32 nfilters[2];
	__u32 next_filter_id;
	__u32 abi_version;
	__u32 nservices; /* highest slot in use plus one: bounds the identity scan */
	__u64 cgroup_id; /* where the engine is attached */
	char cgroup[256];
	/* [half][family 4 = 0, 6 = 1]: the prefix lengths with buckets */
	__u8 idx_nplens[2][2];
	__u8 idx_plens[2][2][LWFP_IDX_PLENS];
	__u32 max_flows_per_uid; /* live flows one uid may hold; 0: the default */
	__u32 dns_ttl_floor_s; /* learned names live at least this long; 0: the default */
	__u32 conds[2]; /* [half]: the union of its filters' conds */
	/*
	 * [half]: what a connect that carries records needs to know to skip
	 * the walk (bpf/classify.h, walk_needless): bit h-1 of redirect_services
	 * is set when service h has a redirect filter in that half;
	 * other_filters counts its permit and block filters (and redirects of
	 * no valid service). Written with the half, before the flip.
	 */
	__u64 redirect_services[2];
	__u32 other_filters[2];
};
#define LWFP_FLOWS_PER_UID_DEFAULT (LWFP_MAX_FLOWS / 4)
#define LWFP_DNS_TTL_FLOOR_DEFAULT_S 60
#define LWFP_ABI_VERSION 6

/* lwfp_filter_raw[filter id]: the bytes of a raw:HEX context. */
struct lwfp_raw_context {
	__u32 len;
	__u8 bytes[LWFP_RAW_CONTEXT_MAX];
};

/* Per-hop flow state, lwfp_flows[token]. */
struct lwfp_flow {
	__u64 tag;
	__u64 chain; /* token of the chain's first hop */
	__u64 created_ns;
	__u64 cgroup_id; /* of the process that made this hop's connect */
	__u64 origin_cgroup_id; /* of the application that opened the chain */
	struct lwfp_addr orig_dst;
	struct lwfp_addr orig_src;
	struct lwfp_addr target;
	__u32 pid, tid, uid, gid;
	char comm[16];
	__u32 origin_pid, origin_uid; /* the application that opened the chain */
	char origin_comm[16];
	__u32 service;
	__u32 filter_id;
	__u32 refs; /* sockets still holding the flow: app side and proxy side */
	__u8 proto;
	__u8 ctx_kind;
	__u8 nhops;
	__u8 pad;
	struct lwfp_hop hops[LWFP_MAX_HOPS];
	__u64 origin_netns; /* the application's network namespace: its cookie */
	__u64 client; /* UDP: the cookie of the application's socket */
	__u32 origin_netns_ino; /* and its inode number */
	__u32 origin_ppid; /* the application's parent, and both executables */
	__u64 origin_exe_ino;
	__u64 origin_pexe_ino;
	__u32 origin_exe_dev;
	__u32 origin_pexe_dev;
};

/*
 * lwfp_inherit[{service, original destination}]: the newest flow delivered to
 * that service for that destination. A proxy that never sets records has its
 * outbound connection to the same destination inherit that flow's records.
 */
struct lwfp_inherit_key {
	__u64 netns; /* cookie of the namespace the flow was delivered in */
	__u32 service;
	__u32 pad;
	struct lwfp_addr dst;
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
#define LWFP_UDP_IDLE_DEFAULT_S 30

/* lwfp_udp_app[{socket cookie, original destination}]: an unconnected flow. */
struct lwfp_udp_app_key {
	__u64 cookie;
	struct lwfp_addr dst;
};

struct lwfp_udp_app {
	__u64 token;
	__u32 addr; /* its loopback address, network order */
	__u32 pad;
};

/*
 * lwfp_udp_addr[{netns, address}]: the flow at a flow address. Addresses
 * are handed out host-wide, but each network namespace has its own
 * loopback, so a flow is found only from the namespace it lives in.
 */
struct lwfp_udp_addr_key {
	__u64 netns;
	__u32 addr; /* network order */
	__u32 pad;
};

/*
 * lwfp_udp_idle[token]: when an unconnected UDP flow was last used. One
 * engine-wide timer sweeps this map (bpf/udp.h): a flow never depends on
 * an allocation at the moment it is created.
 */
struct lwfp_udp_idle {
	__u64 last_ns;
	__u64 idle_ns;
	struct lwfp_udp_addr_key addr;
	struct lwfp_udp_app_key app;
};

/* A redirected connect that waits for its accepted socket, by 4-tuple. */
struct lwfp_tuple {
	__u64 netns; /* namespaces reuse addresses: the cookie keeps them apart */
	__u32 src[4];
	__u32 dst[4];
	__u16 sport, dport; /* network order */
	__u8 family;
	__u8 pad[3];
};

enum lwfp_sk_role {
	LWFP_SK_NONE = 0,
	LWFP_SK_CONNECT = 1, /* the connecting side of a redirected hop */
	LWFP_SK_ACCEPTED = 2, /* the proxy's accepted socket of that hop */
	LWFP_SK_FLOW = 3, /* a proxy's per-flow UDP socket, bound to its flow's address */
};

/*
 * Socket-local storage, kept small: every socket that has it is charged the
 * element and a bpf_local_storage of its own. Everything about a flow lives in
 * lwfp_flows and is reached by token. Only the connecting side of a hop, a
 * socket given records, a socket a service bound or registered, and a
 * proxy's per-flow UDP socket have storage; a proxy's accepted socket has
 * none and is found by its 4-tuple in lwfp_accepted.
 */
struct lwfp_sk {
	__u64 token; /* CONNECT: the hop this socket connected as; FLOW: the flow it serves */
	__u64 parent; /* set records: the flow whose hops this socket carries; it holds a reference */
	__u64 cookie; /* an application's UDP socket: its cookie, which its flows name as client */
	__u64 services; /* bit h-1: a listener of service h (bound by its process, or registered) */
	__u32 udp_addr; /* a connected UDP flow's loopback address */
	__u8 role;
	__u8 closed; /* the hop reference (token) was already dropped */
	__u8 dgram; /* it opened unconnected UDP flows: end them at close */
	__u8 pad;
};

/*
 * The service identity index, kept by user space next to lwfp_services so
 * that the data plane finds the caller's service without scanning:
 * lwfp_id_uid[uid], lwfp_id_pid[tgid] and lwfp_id_cgroup[cgroup id] give the
 * lowest handle with that identity. A cgroup identity also matches its
 * descendants: the data plane looks up the caller's ancestor at each level
 * set in cgroup_levels. Until ready is set, it scans lwfp_services instead.
 */
struct lwfp_id_index {
	__u32 ready;
	__u32 uids; /* entries in lwfp_id_uid */
	__u32 pids;
	__u32 cgroups;
	__u64 cgroup_levels; /* bit L: a cgroup identity at level L (L < 64) */
};
#define LWFP_ID_LEVELS 64

enum lwfp_counter {
	LWFP_CNT_CONNECT = 0, /* connects and first datagrams classified (with filters installed) */
	LWFP_CNT_REDIRECT,
	LWFP_CNT_SKIP_SELF,
	LWFP_CNT_SKIP_PREV_SELF,
	LWFP_CNT_HOP_LIMIT,
	LWFP_CNT_FAIL_OPEN,
	LWFP_CNT_FAIL_CLOSED,
	LWFP_CNT_PERMIT,
	LWFP_CNT_BLOCK,
	LWFP_CNT_HANDOFF,
	LWFP_CNT_HANDOFF_MISS,
	LWFP_CNT_FLOW_FULL,
	LWFP_CNT_FLOW_CLOSED,
	LWFP_CNT_SET_OK,
	LWFP_CNT_SET_EINVAL,
	LWFP_CNT_SET_EACCES,
	LWFP_CNT_QUERY,
	LWFP_CNT_UDP_DATAGRAM, /* unconnected datagrams sent on a redirected flow */
	LWFP_CNT_UDP_EXPIRED,
	LWFP_CNT_UDP_REVERSED, /* replies shown as from the original destination */
	LWFP_CNT_NO_LISTENER, /* no registered listener of the service in the socket's netns */
	LWFP_CNT_BIND_REFUSED, /* a bind into the flow ranges, or onto a service's UDP port */
	LWFP_CNT_SPOOF_REFUSED, /* a datagram from a flow address, or a per-flow socket's wrong peer */
	LWFP_CNT_UID_CAP, /* a new flow refused: its uid holds max_flows_per_uid */
	LWFP_CNT_FLOW_ERROR, /* a new flow refused on an internal error (never failed open) */
	LWFP_CNT__MAX,
};

#define LWFP_COUNTER_NAMES                                                    \
	{ "connect", "redirect", "skip_by_self", "skip_previously_by_self",   \
	  "hop_limit", "fail_open", "fail_closed", "permit", "block",         \
	  "handoff", "handoff_miss", "flow_table_full", "flow_closed",        \
	  "set_records", "set_records_einval", "set_records_eacces", "query",   \
	  "udp_datagram", "udp_expired", "udp_reversed", "no_listener",       \
	  "bind_refused", "spoof_refused", "uid_flow_cap", "flow_error" }

enum lwfp_event_type {
	LWFP_EV_REDIRECT = 1,
	LWFP_EV_HOP_LIMIT = 2,
	LWFP_EV_FAIL_OPEN = 3,
	LWFP_EV_FAIL_CLOSED = 4,
	LWFP_EV_BLOCK = 5,
	LWFP_EV_REFUSED = 6, /* a redirect refused by the engine itself (reason says why) */
};

/*
 * One record of a monitor's ring, read by `lwfpctl monitor`. ts_ns is
 * CLOCK_BOOTTIME (bpf_ktime_get_boot_ns). reason is the enum lwfp_counter
 * that the event also counted (block, no_listener, uid_flow_cap...), and err
 * the errno a refused connect() got, 0 when it went through.
 */
struct lwfp_event {
	__u64 ts_ns;
	__u64 token;
	__u32 type;
	__u32 filter_id;
	__u32 service;
	__u32 pid;
	__u32 uid;
	__u8 proto;
	__u8 nhops;
	__u16 pad;
	struct lwfp_addr orig_dst;
	struct lwfp_addr target;
	char comm[16];
	__u32 reason;
	__s32 err;
};

/*
 * Monitors: every reader gets every event (DESIGN §8). A BPF ring buffer
 * has one consumer position, so readers of one ring split its events
 * between them; a perf event array is per CPU, not per reader. So each
 * monitor brings its own ring and claims one of LWFP_EV_SLOTS slots of
 * lwfp_ev_slots (an array of ring maps); the data plane copies an event
 * into each slot in use, and an empty slot costs one lookup.
 * lwfp_ev_owners[slot] names the claiming process by pid and start time
 * (/proc/PID/stat, field 22), so that a slot whose owner was killed
 * without releasing it is reclaimed by the next monitor; claims are made
 * under the engine's lock. lwfp_ev_drops[slot] counts the events that
 * slot's full ring lost, reset at each claim. lwfp_ev_mask[0] has bit s
 * set while slot s holds a ring: with no monitor, an event costs one lookup.
 */
#define LWFP_EV_SLOTS 16
#define LWFP_EV_RING_BYTES (256 * 1024)

struct lwfp_ev_owner {
	__u32 pid;
	__u32 pad;
	__u64 start; /* clock ticks after boot; 0: the slot is free */
};

/*
 * lwfp_filter_hits[filter id], per CPU: what a filter decided. matched
 * counts every connect or new flow it decided; of those, a redirect
 * filter's redirected went to its proxy and refused were refused (no
 * listener with fail closed, or the flow could not be recorded). The entry
 * is written as zeros when the filter is added and deleted with it.
 */
struct lwfp_filter_hits {
	__u64 matched;
	__u64 redirected;
	__u64 refused;
};

/*
 * ---- Names learned from DNS answers (bpf/dns.h) ----
 *
 * lwfp_dns[{netns cookie, address}]: the newest A or AAAA answer that gave
 * this address to a process of the engine's subtree in that namespace.
 * name is the question's name (what the application asked for), and
 * hashes[] are lwfp_host_hash() values of the patterns that match it:
 * the question's name, the answer's owner name when a CNAME chain led
 * elsewhere, and "*.S" for each suffix S of both, the shortest suffixes
 * first. A --host filter then costs one bit test per connect (bloom, bit
 * hash % 64 of each hash) and, on a hit, a comparison per hash: no string
 * is compared in the walk, and a filter added later matches answers
 * learned before it.
 */
#define LWFP_DNS_NAME_MAX 256 /* 253 characters, a dot per label, the NUL */
#define LWFP_DNS_HASHES 16
#define LWFP_DNS_ENTRIES 8192
#define LWFP_DNS_PORT 53

/*
 * No family: the data plane's key is its walk's namespace cookie followed
 * by the destination's address, with no stack to spare for a copy. An
 * IPv6 address whose last 96 bits are 0 shares the key of an IPv4 one;
 * the entry's family tells them apart (the newer answer wins the slot).
 */
struct lwfp_dns_key {
	__u64 netns; /* cookie of the namespace the answer was delivered in */
	__u32 addr[4]; /* network order, IPv4 in addr[0] */
};

struct lwfp_dns_entry {
	__u64 expires_ns; /* CLOCK_MONOTONIC: the TTL, at least the floor */
	__u64 learned_ns;
	__u64 bloom;
	__u32 ttl; /* as answered */
	__u16 nhashes;
	__u8 family; /* of the address: LWFP_AF_INET or LWFP_AF_INET6 */
	__u8 pad;
	__u64 hashes[LWFP_DNS_HASHES];
	char name[LWFP_DNS_NAME_MAX];
};

/*
 * FNV-1a over a name read from its last character to its first, so that
 * one backward pass over a name yields the hash of each of its suffixes
 * on the way, and "*." + suffix by two more steps. Patterns and names are
 * hashed lower case, without a trailing dot.
 */
#define LWFP_HOST_HASH_INIT 0xcbf29ce484222325ULL
#define LWFP_HOST_HASH_PRIME 0x100000001b3ULL

static inline __u64 lwfp_host_hash_step(__u64 h, __u8 c)
{
	return (h ^ c) * LWFP_HOST_HASH_PRIME;
}

#endif /* LWFP_ABI_H */
