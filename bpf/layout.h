/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The layout of every pinned map: the one definition the data plane and
 * liblwfp share. Never installed: programs see the socket-option ABI
 * (lwfp/abi.h) and the control API's own structs (lwfp/engine.h), which
 * lib/ converts from these, so a map can change without an ABI change.
 *
 * Included by BPF C and by lib/ (lib/internal.h), so it uses only
 * <linux/types.h> types and no libc.
 */
#ifndef LWFP_LAYOUT_H
#define LWFP_LAYOUT_H

#include <linux/types.h>
#include <lwfp/abi.h>
#include <lwfp/engine_defs.h>

/*
 * The version of these layouts, kept in lwfp_config.abi_version: liblwfp
 * opens only an engine pinned with its own (-EPROTO otherwise). Bump it
 * with any change below. It continues LWFP_ABI_VERSION's numbering, which
 * counted map changes too until the layouts left the ABI.
 */
#define LWFP_LAYOUT_VERSION 9

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
	__u32 pad; /* the hole before app_ino, named so that it is 0 */
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

struct lwfp_filter_app {
	char path[LWFP_APP_PATH_MAX];
};


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
	/* [half]: bit 1 << kind for each enum lwfp_idx_kind that has a bucket;
	 * a connect probes no bucket of the other kinds. */
	__u8 idx_kinds[2];
	__u8 idx_pad[2];
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
#define LWFP_DNS_HASHES 16
#define LWFP_DNS_ENTRIES 8192
#define LWFP_DNS_PORT 53

/*
 * lwfp_dns_sk: a socket that sent to port 53. port: its local port (host
 * order) while lwfp_dns_tcp_ports counts it, a TCP socket's from its
 * connect on; 0 otherwise.
 */
struct lwfp_dns_sock {
	__u64 netns; /* cookie of the socket's network namespace */
	__u16 port;
	__u16 pad[3];
};

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
 * One direction of an offloaded flow, keyed by its source socket's cookie
 * (bpf/offload.h): what the verdict took from that socket and where it
 * went. lwfp_offload() writes it once, before the socket is read; from
 * then on only the verdict writes it, one segment at a time (a socket's
 * segments are given to it in order, under the socket's lock).
 */
struct lwfp_offload_dir {
	__u64 sent; /* bytes redirected to the peer's send path */
	__u64 spilled; /* bytes left in the source's own receive queue (a spill) */
	__u32 max_queue; /* the most bytes the peer's send work may hold */
	__u32 next_seq; /* TCP sequence after the last byte handled */
	__u32 out_seq0; /* the peer's write_seq at the first segment */
	__u8 started; /* next_seq and out_seq0 are set */
	__u8 spilling; /* segments stay in the source until the caller caught up */
	__u8 pad[2];
};

#endif /* LWFP_LAYOUT_H */
