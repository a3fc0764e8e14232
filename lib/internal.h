/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* liblwfp's private declarations: the engine handle and shared helpers. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../bpf/layout.h"

#include "visibility.h"

/*
 * Every map of lwfp.bpf.c, by the name it is pinned under: the one list.
 * Each is pinned, so `down` unpins each (engine.c refuses to load an
 * object with a map not listed here); lib/ opens them by MAP_ id.
 */
#define LWFP_MAPS(X) \
	X(CONFIG, "lwfp_config") \
	X(FILTERS, "lwfp_filters") \
	X(FILTER_RAW, "lwfp_filter_raw") \
	X(FILTER_APP, "lwfp_filter_app") \
	X(FILTER_IDX, "lwfp_filter_idx") \
	X(FILTER_POS, "lwfp_filter_pos") \
	X(FILTER_HITS, "lwfp_filter_hits") \
	X(SERVICES, "lwfp_services") \
	X(ID_INDEX, "lwfp_id_index") \
	X(ID_UID, "lwfp_id_uid") \
	X(ID_PID, "lwfp_id_pid") \
	X(ID_CGROUP, "lwfp_id_cgroup") \
	X(FLOWS, "lwfp_flows") \
	X(PENDING, "lwfp_pending") \
	X(ACCEPTED, "lwfp_accepted") \
	X(INHERIT, "lwfp_inherit") \
	X(SCRATCH, "lwfp_scratch") \
	X(TUPLE_SCRATCH, "lwfp_tuple_scratch") \
	X(UID_FLOWS, "lwfp_uid_flows") \
	X(SK_STORE, "lwfp_sk_store") \
	X(UDP_ADDR, "lwfp_udp_addr") \
	X(UDP_APP, "lwfp_udp_app") \
	X(UDP_IDLE, "lwfp_udp_idle") \
	X(UDP_SEQ, "lwfp_udp_seq") \
	X(SWEEP, "lwfp_sweep") \
	X(COUNTERS, "lwfp_counters") \
	X(EV_SLOTS, "lwfp_ev_slots") \
	X(EV_DROPS, "lwfp_ev_drops") \
	X(EV_MASK, "lwfp_ev_mask") \
	X(EV_OWNERS, "lwfp_ev_owners") \
	X(EV_SCRATCH, "lwfp_ev_scratch") \
	X(DNS, "lwfp_dns") \
	X(DNS_SK, "lwfp_dns_sk") \
	X(DNS_TCP_PORTS, "lwfp_dns_tcp_ports") \
	X(DNS_SCRATCH, "lwfp_dns_scratch") \
	X(OFFLOAD_TX, "lwfp_offload_tx") \
	X(OFFLOAD_RX, "lwfp_offload_rx") \
	X(OFFLOAD_DIR, "lwfp_offload_dir")

enum map_id {
#define MAP_ID(id, name) MAP_##id,
	LWFP_MAPS(MAP_ID)
#undef MAP_ID
	MAP__COUNT
};

/* maps.c: the pinned name of a map, and opening its pin in pin_dir. */
const char *map_name(enum map_id id);
int map_open(const char *pin_dir, enum map_id id);

struct lwfp_engine {
	char pin_dir[256];
	char cgroup[256];
	uint32_t max_flows_per_uid; /* in force at open: the default for 0 */
	int dir_fd; /* held for flock(): serialises writers of one engine */
	int config_fd;
	int filters_fd;
	int filter_raw_fd;
	int filter_app_fd;
	int filter_idx_fd;
	int filter_pos_fd;
	int services_fd;
	int flows_fd;
	int counters_fd;
	int filter_hits_fd;
	int dns_fd;
};

/*
 * convert.c: the control API's structs (lwfp/engine.h) from the map
 * layouts, and a filter back.
 */
struct lwfp_filter_spec;
struct lwfp_service_info;
struct lwfp_flow_info;
struct lwfp_event_info;
struct lwfp_dns_info;
void filter_spec_get(struct lwfp_filter_spec *d, const struct lwfp_filter *s);
void filter_spec_put(struct lwfp_filter *d, const struct lwfp_filter_spec *s);
void service_info(struct lwfp_service_info *d, const struct lwfp_service *s);
void flow_info(struct lwfp_flow_info *d, const struct lwfp_flow *s);
void event_info(struct lwfp_event_info *d, const struct lwfp_event *s);
void dns_info(struct lwfp_dns_info *d, const struct lwfp_dns_key *k,
	      const struct lwfp_dns_entry *s);

/* pin.c: opens pin_dir/name; -ENOENT when absent. */
int pin_open(const char *pin_dir, const char *name);
int pin_path(char *buf, size_t size, const char *pin_dir, const char *name);

/* app.c: --app filters (their path, and the file it names). */
int app_resolve(struct lwfp_filter *f, const char *path);
int app_store(struct lwfp_engine *e, uint32_t id, const char *path);
/* filter_table.c: a filter's raw context, app path and hit counters, when it is deleted. */
void filter_side_drop(struct lwfp_engine *e, uint32_t id);

/* hits.c: a filter's counter is zeroed when it is added, dropped when deleted. */
int hits_reset(struct lwfp_engine *e, uint32_t id);
void hits_drop(struct lwfp_engine *e, uint32_t id);

int engine_lock(struct lwfp_engine *e);
void engine_unlock(struct lwfp_engine *e);
int config_read(struct lwfp_engine *e, struct lwfp_config *cfg);
int config_write(struct lwfp_engine *e, const struct lwfp_config *cfg);

/*
 * index.c: the index over one half of the filter table (bpf/layout.h). Bucket i
 * is keys[i] -> buckets[i], a run of pos[] that starts at the half's first
 * slot of lwfp_filter_pos.
 */
struct filter_index {
	uint32_t nbuckets;
	struct lwfp_idx_key *keys;
	struct lwfp_idx_bucket *buckets;
	uint32_t npos;
	uint32_t *pos;
	uint8_t nplens[2]; /* [family 4 = 0, 6 = 1], as in lwfp_config */
	uint8_t plens[2][LWFP_IDX_PLENS];
	uint8_t kinds; /* bit 1 << kind for each kind with a bucket, as in lwfp_config */
};

/* Indexes fs[0..n) (sorted as published) for table half `half`. */
int index_build(const struct lwfp_filter *fs, uint32_t n, uint32_t half,
		struct filter_index *ix);
void index_free(struct filter_index *ix);
/*
 * What lets a connect that carries records skip the walk, for one half:
 * lwfp_config.redirect_services and other_filters (bpf/classify.h).
 */
void filter_summary(struct lwfp_config *cfg, uint32_t half, const struct lwfp_filter *fs,
		    uint32_t n);
/* The parts of index_build, for tests: prefix lengths, a filter's bucket. */
void index_pick_plens(const struct lwfp_filter *fs, uint32_t n, struct filter_index *ix);
void index_key(const struct filter_index *ix, const struct lwfp_filter *f, uint32_t half,
	       struct lwfp_idx_key *k);
void index_mask(const uint32_t addr[4], uint32_t plen, uint32_t out[4]);

/* filter_table.c: filters of the live table, in order, into a malloc'd array. */
int filters_load(struct lwfp_engine *e, struct lwfp_filter **out, uint32_t *n);
/*
 * Publishes a new table: waits out the readers of the idle half
 * (grace_wait), writes it, then flips.
 */
int filters_publish(struct lwfp_engine *e, const struct lwfp_filter *fs, uint32_t n);

/*
 * grace.c: returns once no BPF program can still be running that started
 * before the call; 0 or -errno. The _with form takes the membarrier call
 * and the online CPU count, for tests.
 */
int grace_wait(void);
int lwfp__grace_wait_with(long (*membarrier)(int cmd, unsigned int flags, int cpu), long ncpus);

/* The local route of IPv6 UDP flow addresses in this netns (route.c). */
int udp6_route_add(void);
/* The same, over an rtnetlink socket fd made in another namespace. */
int udp6_route_add_fd(int fd);
/* Removes it unless another engine next to pin_dir is up. */
int udp6_route_del(const char *pin_dir);

/*
 * offload.c: loads the offload verdict (bpf/offload.bpf.c) on the engine's
 * two socket maps and attaches it to rx, with a pinned link where the kernel
 * has socket-map links, else with BPF_PROG_ATTACH. A kernel that can do
 * neither, or cannot load the verdict, keeps the engine without the fast
 * path: the map's pin is removed, so lwfp_offload() says -EOPNOTSUPP.
 */
void offload_attach(int tx_fd, int rx_fd, int dir_fd, const char *pin_dir);
void offload_unpin(const char *pin_dir);

/*
 * offload_dir.c: a direction's state, under its source socket's cookie,
 * before the socket is read (tx, rx: the socket maps, which tell the
 * entries of closed sockets when the map is full); and its removal.
 */
int offload_dir_put(int dir, int tx, int rx, uint64_t cookie, uint32_t max_queue);
void offload_dir_del(int dir, uint64_t cookie);
