/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* liblwfp's private declarations: the engine handle and shared helpers. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <lwfp/abi.h>

#include "visibility.h"

/* Pinned map names, as the BPF object names them. */
#define MAP_CONFIG "lwfp_config"
#define MAP_FILTERS "lwfp_filters"
#define MAP_FILTER_RAW "lwfp_filter_raw"
#define MAP_FILTER_APP "lwfp_filter_app"
#define MAP_FILTER_IDX "lwfp_filter_idx"
#define MAP_FILTER_POS "lwfp_filter_pos"
#define MAP_SERVICES "lwfp_services"
#define MAP_FLOWS "lwfp_flows"
#define MAP_PENDING "lwfp_pending"
#define MAP_INHERIT "lwfp_inherit"
#define MAP_SCRATCH "lwfp_scratch"
#define MAP_SK_STORE "lwfp_sk_store"
#define MAP_COUNTERS "lwfp_counters"
#define MAP_EV_SLOTS "lwfp_ev_slots"
#define MAP_EV_DROPS "lwfp_ev_drops"
#define MAP_EV_MASK "lwfp_ev_mask"
#define MAP_EV_OWNERS "lwfp_ev_owners"
#define MAP_EV_SCRATCH "lwfp_ev_scratch"
#define MAP_FILTER_HITS "lwfp_filter_hits"
#define MAP_DNS "lwfp_dns"
#define MAP_OFFLOAD_TX "lwfp_offload_tx"
#define MAP_OFFLOAD_RX "lwfp_offload_rx"

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

/* Opens pin_dir/name; -ENOENT when absent. */
int pin_open(const char *pin_dir, const char *name);
int pin_path(char *buf, size_t size, const char *pin_dir, const char *name);

/* app.c: --app filters (their path, and the file it names). */
int app_resolve(struct lwfp_filter *f, const char *path);
int app_store(struct lwfp_engine *e, uint32_t id, const char *path);
/* filter.c: a filter's raw context, app path and hit counters, when it is deleted. */
void filter_side_drop(struct lwfp_engine *e, uint32_t id);

/* hits.c: a filter's counter is zeroed when it is added, dropped when deleted. */
int hits_reset(struct lwfp_engine *e, uint32_t id);
void hits_drop(struct lwfp_engine *e, uint32_t id);

int engine_lock(struct lwfp_engine *e);
void engine_unlock(struct lwfp_engine *e);
int config_read(struct lwfp_engine *e, struct lwfp_config *cfg);
int config_write(struct lwfp_engine *e, const struct lwfp_config *cfg);

/*
 * index.c: the index over one half of the filter table (abi.h). Bucket i
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

/* Filters of the live table, in order, into a malloc'd array. */
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
void offload_attach(int tx_fd, int rx_fd, const char *pin_dir);
void offload_unpin(const char *pin_dir);
