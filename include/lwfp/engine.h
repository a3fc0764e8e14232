/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The engine/control API, in the style of libbpf: an opaque handle, _opts
 * structs whose first field is their size, and negative errno returns.
 * TYPE__last_field names each struct's newest field: non-zero bytes past it
 * are refused with -EINVAL (docs/abi.md, "Options structs").
 * Everything here needs root (CAP_BPF and CAP_NET_ADMIN at least).
 */
#ifndef LWFP_ENGINE_H
#define LWFP_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <lwfp/abi.h>
#include <lwfp/engine_defs.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LWFP_DEFAULT_PIN_DIR "/sys/fs/bpf/lwfp"

struct lwfp_engine;

/* $LWFP_PIN_DIR when set and non-empty, else LWFP_DEFAULT_PIN_DIR. */
const char *lwfp_default_pin_dir(void);

struct lwfp_engine_opts {
	size_t sz;
	const char *pin_dir; /* NULL: lwfp_default_pin_dir() */
	const char *cgroup; /* NULL: the cgroup v2 root */
	/*
	 * Live flows one uid may hold, 1..LWFP_MAX_FLOWS; stored in the
	 * pinned config, so `up` again with another value changes it. 0
	 * keeps the engine's value (LWFP_FLOWS_PER_UID_DEFAULT on a new one).
	 */
	uint32_t max_flows_per_uid;
	/*
	 * Where the programs go among the others attached to the cgroup, at
	 * the hooks where this program is (lwfp_prog_resolve gives its id);
	 * first at the others. At most one of the two; both 0: first
	 * everywhere. Needs Linux 6.17 (-EOPNOTSUPP before); without either,
	 * older kernels append. Only a new attachment is placed: an engine
	 * already up stays where it is.
	 */
	uint32_t before_id;
	uint32_t after_id;
};
#define lwfp_engine_opts__last_field after_id

/*
 * Load, pin and attach an engine, or adopt the one already pinned there
 * (idempotent). -EEXIST if the pinned engine is attached to another cgroup,
 * -EBUSY if another engine is on the cgroup's path (lwfp_engine_find_other),
 * -EOPNOTSUPP if before_id or after_id is set on a kernel before 6.17,
 * -EPERM if an existing pin_dir fails lwfp_pin_dir_check, -EINVAL for a
 * max_flows_per_uid above LWFP_MAX_FLOWS.
 */
int lwfp_engine_up(const struct lwfp_engine_opts *opts, struct lwfp_engine **engine);

/*
 * The id of the program spec names among those attached to cgroup (at any
 * cgroup hook): a program id ("42"), a pinned program or link ("/sys/fs/
 * bpf/x/prog"), or a program name ("cil_sock4_connect", as the kernel keeps
 * it: 15 characters at most). -ENOENT when no such program is attached
 * there, -ENOTUNIQ when the name fits several, -EINVAL for a bad spec.
 */
int lwfp_prog_resolve(const char *cgroup, const char *spec, uint32_t *id);

/* Where one of the engine's programs runs among all that run at its hook. */
struct lwfp_placement {
	uint32_t position; /* 1-based, in the order the programs run */
	uint32_t count; /* programs that run for a socket in the engine's cgroup */
	uint32_t prog_id; /* the engine's */
	uint32_t prev_id, next_id; /* its neighbours; 0: none */
	char prev_name[16], next_name[16];
	bool ordered; /* the kernel orders links (6.17); false: attach order */
};

/*
 * The placement of the engine's program at hook ("connect4", "sendmsg6",
 * ...: bpftool's names of the attach types).
 */
int lwfp_engine_placement(const struct lwfp_engine *e, const char *hook,
			  struct lwfp_placement *p);

/* Another lwfp engine on a cgroup path: see lwfp_engine_find_other. */
struct lwfp_engine_peer {
	uint32_t prog_id; /* its connect4 program */
	char cgroup[256]; /* where that program is attached */
	char pin_dir[256]; /* "" when not found below /sys/fs/bpf */
};

/*
 * Another lwfp engine that would classify the sockets of cgroup: one
 * attached to it, to an ancestor or to a descendant, other than the engine
 * pinned at pin_dir (NULL: none). 1 with *peer filled, 0 when there is
 * none, or -errno. lwfp_engine_up refuses to start a second engine on a
 * path (-EBUSY): the two would keep separate records, and chains through
 * both could loop.
 */
int lwfp_engine_find_other(const char *cgroup, const char *pin_dir,
			   struct lwfp_engine_peer *peer);

/*
 * One program attached at a cgroup hook on the path from the engine's
 * cgroup to the root, as the kernel describes it (lwfpctl doctor).
 */
struct lwfp_path_prog {
	char cgroup[256]; /* where it is attached */
	char hook[16]; /* bpftool's name of the attach type: connect4, sock_ops... */
	uint32_t prog_id;
	uint32_t link_id; /* 0: attached without a link */
	uint32_t attach_flags; /* BPF_F_ALLOW_MULTI, BPF_F_ALLOW_OVERRIDE, BPF_F_PREORDER */
	/*
	 * 1-based place among the programs that run at hook for a socket in
	 * the engine's cgroup; 0: attached, but it does not run there.
	 */
	uint32_t run_order;
	char name[16]; /* as the kernel keeps it */
	char tag[17]; /* hex */
	char pinned[256]; /* a path below /sys/fs/bpf that holds it or its link; "" */
	bool ours; /* this engine's */
	bool lwfp; /* another lwfp engine's (named like lwfp's, not ours) */
};

/*
 * Every program at every cgroup socket hook (sock_addr, sock_ops,
 * sockopt) of the engine's cgroup and its ancestors, hook by hook, each
 * hook in run order. *out is malloc'd; free() it.
 */
int lwfp_engine_path_progs(const struct lwfp_engine *e, struct lwfp_path_prog **out, size_t *n);

/*
 * -EOPNOTSUPP when the running kernel lacks something the data plane needs;
 * missing then names it, with the Linux version that brought it.
 */
int lwfp_kernel_check(char *missing, size_t size);

/*
 * Open the engine pinned at pin_dir. -ENOENT when no engine is up there,
 * -EPERM when pin_dir is not safe to trust (lwfp_pin_dir_check).
 */
int lwfp_engine_open(const char *pin_dir, struct lwfp_engine **engine);

/*
 * Whether lwfp_engine_open and lwfp_engine_up accept pin_dir (NULL: the
 * default): -EPERM when it is a symbolic link, is not owned by root, or is
 * writable by its group or others, with why (when not NULL) saying which,
 * e.g. "is owned by uid 65534, not root"; -ENOENT when it does not exist.
 */
int lwfp_pin_dir_check(const char *pin_dir, char *why, size_t size);

/* Detach and unpin everything under pin_dir. -ENOENT when nothing is up. */
int lwfp_engine_down(const char *pin_dir);

void lwfp_engine_close(struct lwfp_engine *engine);

const char *lwfp_engine_pin_dir(const struct lwfp_engine *engine);
/* The cgroup v2 path the engine is attached to. */
const char *lwfp_engine_cgroup(const struct lwfp_engine *engine);
/* The per-uid flow cap in force when the engine was opened (never 0). */
uint32_t lwfp_engine_max_flows_per_uid(const struct lwfp_engine *engine);

/* ---- cgroup v2 helpers -------------------------------------------------- */

/* Where cgroup v2 is mounted, from /proc/self/mounts (hybrid hosts too). */
int lwfp_cgroup2_root(char *buf, size_t size);
/*
 * An absolute path inside cgroup v2: PATH as given if it is one, else PATH
 * taken relative to the v2 mount. -ENOENT if it does not exist.
 */
int lwfp_cgroup_resolve(const char *path, char *buf, size_t size);
/* The cgroup id (its inode) and its depth below the v2 root (root = 0). */
int lwfp_cgroup_id(const char *path, uint64_t *id, uint32_t *level);
/* The calling process's own cgroup v2 path, absolute (from /proc/self/cgroup). */
int lwfp_cgroup_self(char *buf, size_t size);
/*
 * Whether the calling process can serve as a proxy of this engine: its
 * socket queries (lwfp_query_records and the rest) are the engine's
 * getsockopt hook, which the kernel runs only inside the cgroup subtree
 * the engine is attached to (lwfp_engine_cgroup). 0 when the process's
 * cgroup is that one or below it; -EXDEV when it is outside, where every
 * query fails with EOPNOTSUPP and every flow redirected to it breaks.
 * A proxy calls it at start and refuses to serve on -EXDEV, naming both
 * cgroups (lwfp_cgroup_self gives its own).
 */
int lwfp_engine_check_self(const struct lwfp_engine *e);

/* ---- services ------------------------------------------------------------ */

/*
 * A service as the control API gives it. This and the other structs below
 * are the API's own, not the layouts of the engine's maps: lib/ converts,
 * so a map changes without an ABI change (docs/abi.md, "Versions").
 */
struct lwfp_service_info {
	uint32_t handle;
	uint32_t id_kind; /* enum lwfp_identity_kind */
	uint64_t id_value; /* uid, cgroup id or tgid */
	uint8_t provider[16];
	char name[LWFP_NAME_MAX];
};

struct lwfp_service_opts {
	size_t sz;
	const char *name;
	const uint8_t *provider; /* 16 bytes; NULL: a random v4 UUID */
	enum lwfp_identity_kind id_kind;
	uint64_t id_value; /* uid or pid; ignored for LWFP_ID_CGROUP */
	const char *cgroup; /* for LWFP_ID_CGROUP */
};
#define lwfp_service_opts__last_field cgroup

/* -EEXIST for a duplicate name, -ENOSPC when all slots are used. */
int lwfp_service_add(struct lwfp_engine *e, const struct lwfp_service_opts *opts,
		     uint32_t *handle);
/*
 * Gives the service opts->name the identity and provider of opts (a NULL
 * provider keeps its own), in place: its handle, its filters and its
 * registered listeners stay. -ENOENT for an unknown name.
 */
int lwfp_service_update(struct lwfp_engine *e, const struct lwfp_service_opts *opts);
/* Also deletes the service's filters. -ENOENT for an unknown name. */
int lwfp_service_del(struct lwfp_engine *e, const char *name);
int lwfp_service_find(struct lwfp_engine *e, const char *name, struct lwfp_service_info *out);
int lwfp_service_by_handle(struct lwfp_engine *e, uint32_t handle,
			   struct lwfp_service_info *out);
/* Calls cb for every service; a non-zero return from cb stops and is returned. */
int lwfp_service_foreach(struct lwfp_engine *e,
			 int (*cb)(const struct lwfp_service_info *s, void *ctx), void *ctx);

/*
 * Which services have a live listener in the caller's network namespace:
 * bit h-1 of *mask for service h when a TCP socket listening, or an
 * unconnected bound UDP socket, carries service h's listener mark (bound
 * by a process of the service, or lwfp_register_listener). The mark lives
 * in the socket's storage and goes with the socket, so a closed or killed
 * proxy's sockets never count. Read with sock_diag; needs CAP_BPF or
 * CAP_SYS_ADMIN.
 */
int lwfp_service_listening(struct lwfp_engine *e, uint64_t *mask);

/* ---- filters ------------------------------------------------------------- */

/*
 * A filter: what lwfp_filter_add takes (id is assigned, raw_len comes from
 * the opts) and lwfp_filter_foreach gives. A condition is tested only when
 * its LWFP_COND_ bit is set in conds.
 */
struct lwfp_filter_spec {
	uint32_t id;
	uint32_t service; /* handle of the owning service; 0 for permit and block */
	uint32_t weight; /* highest first */
	uint32_t conds; /* LWFP_COND_ */
	uint8_t action; /* enum lwfp_action */
	uint8_t fail; /* enum lwfp_fail_mode */
	uint8_t ctx_kind; /* enum lwfp_context_kind */
	uint8_t proto; /* IPPROTO_TCP / IPPROTO_UDP */
	uint8_t family; /* 4 or 6 */
	uint8_t dst_plen;
	uint16_t raw_len; /* bytes of its raw context (lwfp_filter_raw) */
	uint32_t dst[4]; /* network order, IPv4 in dst[0] */
	uint16_t dport_lo, dport_hi; /* host order */
	uint16_t sport_lo, sport_hi;
	uint32_t uid_lo, uid_hi;
	uint32_t gid;
	uint32_t cgroup_level; /* LWFP_COND_CGROUP: lwfp_cgroup_id's level of cgroup_id */
	uint64_t cgroup_id;
	uint64_t origin_cgroup_id;
	struct lwfp_addr to; /* the redirect target */
	uint32_t idle_timeout_s; /* UDP; 0 means LWFP_UDP_IDLE_DEFAULT_S */
	uint32_t flags; /* LWFP_FILTER_ */
	uint64_t app_ino[LWFP_APP_SLOTS]; /* LWFP_COND_APP; 0: an empty slot */
	uint32_t app_dev[LWFP_APP_SLOTS]; /* lwfp_kernel_dev() of st_dev */
	/* LWFP_COND_HOST: the pattern and its hash, as lwfp_host_pattern gives them. */
	uint64_t host_hash;
	char host[LWFP_HOST_PATTERN_MAX];
};

struct lwfp_filter_opts {
	size_t sz;
	/*
	 * Conditions, action, weight, fail mode, context kind and target. id is
	 * assigned; service is the handle of the owning service (redirect only).
	 */
	const struct lwfp_filter_spec *filter;
	const void *raw; /* LWFP_CTX_RAW or metadata extra bytes */
	size_t raw_len; /* at most LWFP_RAW_CONTEXT_MAX */
	/*
	 * --app: an absolute path, at most LWFP_APP_PATH_MAX - 1 bytes. The
	 * library resolves it to the file's identity (slot 0 of app_ino and
	 * app_dev, setting LWFP_COND_APP) and keeps it for
	 * lwfp_filter_refresh. NULL: LWFP_COND_APP, if set, uses the
	 * filter's own app_ino and app_dev, which no refresh follows.
	 */
	const char *app_path;
};
#define lwfp_filter_opts__last_field app_path

/* -ENOENT unknown service, -EINVAL bad filter, -ENOSPC table full. */
int lwfp_filter_add(struct lwfp_engine *e, const struct lwfp_filter_opts *opts, uint32_t *id);
/*
 * Adds n filters, all or none, with one update of the data plane: the way
 * to install thousands (lwfp_filter_add publishes the whole table each
 * time). opts[i] describes filter i and ids[i] receives its id; a batch
 * behaves as n lwfp_filter_add calls in a row that none can interleave.
 * On failure nothing is added, and *failed (when not NULL) is the index of
 * the filter refused, or n when no one filter was at fault (-ENOSPC, I/O).
 * Every add, batch or delete first waits for one RCU grace period (a few
 * to a few tens of ms) so that no connect() still reads the table half it
 * rewrites; when that wait fails, nothing has changed.
 */
int lwfp_filter_add_batch(struct lwfp_engine *e, const struct lwfp_filter_opts *const *opts,
			  size_t n, uint32_t *ids, size_t *failed);
/*
 * As lwfp_filter_add_batch, with the filters whose ids are in del[0..ndel)
 * removed in the same update: connects see the old table or the new one,
 * never a mix. -ENOENT (and *failed == n) if an id of del is not there.
 */
int lwfp_filter_replace_batch(struct lwfp_engine *e, const uint32_t *del, size_t ndel,
			      const struct lwfp_filter_opts *const *opts, size_t n,
			      uint32_t *ids, size_t *failed);
int lwfp_filter_del(struct lwfp_engine *e, uint32_t id);
/* In classification order: highest weight first. */
int lwfp_filter_foreach(struct lwfp_engine *e,
			int (*cb)(const struct lwfp_filter_spec *f, void *ctx), void *ctx);
/* The raw context bytes of a filter; *len 0 when it has none. */
int lwfp_filter_raw(struct lwfp_engine *e, uint32_t id, void *buf, size_t size, size_t *len);
/* The path of an --app filter: -ENOENT when it has none, -ERANGE too long for buf. */
int lwfp_filter_app(struct lwfp_engine *e, uint32_t id, char *buf, size_t size);
/*
 * Follows the paths of the --app filters: each path that now names another
 * file (a package upgrade renames a new file over the old one) gets that
 * file, and keeps the one it replaced as its second, with one update of the
 * data plane. *changed (may be NULL): how many filters changed.
 */
int lwfp_filter_refresh(struct lwfp_engine *e, uint32_t *changed);
/*
 * The identity of the file at an absolute path (symlinks followed), as the
 * data plane compares it: -EINVAL not absolute or too long, -ENOEXEC not a
 * regular file, or stat()'s error.
 */
int lwfp_app_id(const char *path, uint32_t *dev, uint64_t *ino);
/* st_dev as the kernel encodes a device internally (major << 20 | minor). */
uint32_t lwfp_kernel_dev(uint64_t st_dev);

/* ---- flows, counters, events --------------------------------------------- */

/*
 * One hop of a live redirected flow, as lwfp_flow_foreach gives it: what
 * `lwfpctl flows` shows. The hop's own service and filter are its last
 * hop, hops[nhops - 1].
 */
struct lwfp_flow_info {
	uint64_t chain; /* token of the chain's first hop */
	uint8_t proto; /* IPPROTO_TCP / IPPROTO_UDP */
	uint8_t nhops;
	struct lwfp_hop hops[LWFP_MAX_HOPS];
	struct lwfp_addr orig_dst, orig_src, target;
	uint32_t refs; /* sockets still holding the flow: app side and proxy side */
	uint64_t created_ns; /* CLOCK_MONOTONIC */
	/* The process that made this hop's connect. */
	uint32_t pid, uid, gid;
	char comm[16];
	uint64_t cgroup_id;
	/* The application that opened the chain: its cgroup and network namespace. */
	uint64_t origin_cgroup_id;
	uint64_t origin_netns; /* the namespace's cookie */
	uint32_t origin_netns_ino; /* and its inode number */
};

/* Calls cb for every live hop, by its token; a non-zero return stops. */
int lwfp_flow_foreach(struct lwfp_engine *e,
		      int (*cb)(uint64_t token, const struct lwfp_flow_info *f, void *ctx),
		      void *ctx);
/*
 * The data bytes a live TCP hop has carried, as the kernel counts them on
 * the hop's connecting socket (the application's for the first hop, the
 * previous proxy's outbound one after): up is what that socket sent, down
 * what it received. -EOPNOTSUPP for UDP, which keeps no counts; -ENOENT
 * when the socket or the namespace of the process that connected it is
 * gone. Needs the privilege to enter that namespace.
 */
int lwfp_flow_bytes(const struct lwfp_flow_info *f, uint64_t *up, uint64_t *down);

/* Sums the per-CPU counters into out[LWFP_CNT__MAX]. */
int lwfp_counters_read(struct lwfp_engine *e, uint64_t *out, size_t n);
const char *lwfp_counter_name(enum lwfp_counter c);

/*
 * One event, as a monitor hands it out. ts_ns is CLOCK_BOOTTIME. reason is
 * the enum lwfp_counter the event also counted (block, no_listener,
 * uid_flow_cap...), and err the errno a refused connect() got, 0 when it
 * went through.
 */
struct lwfp_event_info {
	uint64_t ts_ns;
	uint64_t token;
	uint32_t type; /* enum lwfp_event_type */
	uint32_t filter_id;
	uint32_t service;
	uint32_t pid;
	uint32_t uid;
	uint8_t proto;
	uint8_t nhops;
	struct lwfp_addr orig_dst;
	struct lwfp_addr target;
	char comm[16];
	uint32_t reason;
	int32_t err;
};

struct lwfp_monitor;
typedef int (*lwfp_event_cb)(const struct lwfp_event_info *ev, void *ctx);
int lwfp_monitor_new(struct lwfp_engine *e, lwfp_event_cb cb, void *ctx,
		     struct lwfp_monitor **out);
/* Waits up to timeout_ms; returns events handled or -errno (-EINTR on a signal). */
int lwfp_monitor_poll(struct lwfp_monitor *m, int timeout_ms);
/*
 * Each monitor claims one of LWFP_EV_SLOTS reader slots and sees every
 * event; lwfp_monitor_new fails with -EBUSY when all are held by live
 * monitors. drops: events this monitor lost because its ring was full.
 */
int lwfp_monitor_slot(const struct lwfp_monitor *m);
int lwfp_monitor_drops(struct lwfp_monitor *m, uint64_t *drops);
/* Releases the monitor's slot. */
void lwfp_monitor_free(struct lwfp_monitor *m);

/*
 * What a filter decided, summed over CPUs: matched counts every connect or
 * new flow it decided; of those, a redirect filter's redirected went to its
 * proxy and refused were refused (no listener with fail closed, or the flow
 * could not be recorded). Zero when the filter is added.
 */
struct lwfp_hits {
	uint64_t matched;
	uint64_t redirected;
	uint64_t refused;
};
int lwfp_filter_hits(struct lwfp_engine *e, uint32_t id, struct lwfp_hits *out);

/*
 * Host names (--host, names learned from DNS answers). lwfp_host_pattern checks and
 * normalises a pattern, "name.example" or "*.example" (the names below
 * example, not example itself), to lower case without a trailing dot in
 * out, with its hash (lwfp_filter_spec.host_hash); -EINVAL when it is not one.
 */
int lwfp_host_pattern(const char *pattern, char out[LWFP_HOST_PATTERN_MAX], uint64_t *hash);
/*
 * The name whose DNS answer gave addr (its port is ignored) to namespace
 * netns_cookie, expired or not; -ENOENT when none was seen or it was
 * forgotten (the map is an LRU of LWFP_DNS_ENTRIES).
 */
int lwfp_dns_name(struct lwfp_engine *e, uint64_t netns_cookie, const struct lwfp_addr *addr,
		  char *name, size_t size);
/* A name learned from a DNS answer, for one address in one namespace. */
struct lwfp_dns_info {
	uint64_t netns; /* cookie of the namespace the answer was delivered in */
	uint32_t addr[4]; /* network order, IPv4 in addr[0] */
	uint8_t family; /* LWFP_AF_INET or LWFP_AF_INET6 */
	uint32_t ttl; /* as answered */
	uint64_t learned_ns; /* CLOCK_MONOTONIC */
	uint64_t expires_ns; /* CLOCK_MONOTONIC: the TTL, at least the floor */
	char name[LWFP_DNS_NAME_MAX]; /* the question's name */
};

/* The learned names, in no order; cb returns non-zero to stop. */
int lwfp_dns_foreach(struct lwfp_engine *e,
		     int (*cb)(const struct lwfp_dns_info *d, void *ctx), void *ctx);
/* A name lives at least this long, whatever its TTL; 0: the default (60 s). */
int lwfp_engine_set_dns_ttl_floor(struct lwfp_engine *e, uint32_t seconds);

#ifdef __cplusplus
}
#endif

#endif /* LWFP_ENGINE_H */
