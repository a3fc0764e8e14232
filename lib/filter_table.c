// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The filter table as the data plane holds it: reading the live half,
 * publishing a new table into the idle half and flipping, and dropping a
 * deleted filter's side entries. Below both filter.c (the filter API) and
 * service.c (a deleted service takes its filters with it).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include <lwfp/engine.h>

#include "internal.h"


/*
 * n filters from slot base on, with one batch lookup: 0, or 1 when the
 * caller should read them one by one instead.
 */
static int array_read(int fd, uint32_t base, struct lwfp_filter *fs, uint32_t n)
{
	LIBBPF_OPTS(bpf_map_batch_opts, o);
	uint32_t *keys, prev = base - 1, next, count = n;
	int err;

	if (!n)
		return 0;
	keys = malloc(n * sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	/* A batch starts after in_batch, the key before base; NULL for slot 0. */
	err = bpf_map_lookup_batch(fd, base ? &prev : NULL, &next, keys, fs, &count, &o);
	err = (!err || errno == ENOENT) && count == n && keys[0] == base ? 0 : 1;
	free(keys);
	return err;
}

int filters_load(struct lwfp_engine *e, struct lwfp_filter **out, uint32_t *n)
{
	struct lwfp_config cfg;
	struct lwfp_filter *fs;
	uint32_t i, base, count;
	int err;

	err = config_read(e, &cfg);
	if (err)
		return err;
	base = (cfg.active & 1) * LWFP_MAX_FILTERS;
	count = cfg.nfilters[cfg.active & 1];
	if (count > LWFP_MAX_FILTERS)
		return -EPROTO;
	/* One spare slot, so an insert needs no second allocation. */
	fs = calloc(count + 1, sizeof(*fs));
	if (!fs)
		return -ENOMEM;
	err = array_read(e->filters_fd, base, fs, count);
	for (i = 0; err == 1 && i < count; i++) {
		uint32_t key = base + i;

		err = bpf_map_lookup_elem(e->filters_fd, &key, &fs[i]) ? -errno : 1;
	}
	if (err < 0) {
		free(fs);
		return err;
	}
	*out = fs;
	*n = count;
	return 0;
}

/* One batch update of n consecutive array slots from base on. */
static int array_write(int fd, uint32_t base, const void *vals, uint32_t n)
{
	LIBBPF_OPTS(bpf_map_batch_opts, o, .elem_flags = BPF_ANY);
	uint32_t *keys, i, count = n;
	int err = 0;

	if (!n)
		return 0;
	keys = malloc(n * sizeof(*keys));
	if (!keys)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		keys[i] = base + i;
	if (bpf_map_update_batch(fd, keys, vals, &count, &o))
		err = -errno;
	free(keys);
	return err;
}

/* One batch delete; one key at a time where the kernel has no batch for it. */
static int keys_delete(int fd, const struct lwfp_idx_key *keys, size_t n)
{
	LIBBPF_OPTS(bpf_map_batch_opts, o);
	uint32_t count = n;
	size_t i;

	if (!bpf_map_delete_batch(fd, keys, &count, &o))
		return 0;
	/* 524 is the kernel's ENOTSUPP; ENOENT stops a batch at a missing key. */
	if (errno != EINVAL && errno != EOPNOTSUPP && errno != 524 && errno != ENOENT)
		return -errno;
	if (count > n)
		count = 0;
	for (i = count; i < n; i++) {
		if (bpf_map_delete_elem(fd, &keys[i]) && errno != ENOENT)
			return -errno;
	}
	return 0;
}

/*
 * Removes the buckets of one half: only ever the idle one, once
 * filters_publish has waited out its last readers; the live half's
 * buckets are what every connect() is probing.
 */
static int index_clear(struct lwfp_engine *e, uint32_t half)
{
	struct lwfp_idx_key k, next, *stale = NULL, *grown;
	size_t n = 0, cap = 0;
	void *prev = NULL;
	int err = 0;

	while (!bpf_map_get_next_key(e->filter_idx_fd, prev, &next)) {
		k = next;
		prev = &k;
		if (k.half != half)
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 256;
			grown = realloc(stale, cap * sizeof(*stale));
			if (!grown) {
				free(stale);
				return -ENOMEM;
			}
			stale = grown;
		}
		stale[n++] = k;
	}
	if (errno != ENOENT)
		err = -errno;
	if (!err && n)
		err = keys_delete(e->filter_idx_fd, stale, n);
	free(stale);
	return err;
}

static int index_write(struct lwfp_engine *e, const struct filter_index *ix, uint32_t half)
{
	LIBBPF_OPTS(bpf_map_batch_opts, o, .elem_flags = BPF_ANY);
	uint32_t count = ix->nbuckets;
	int err;

	err = index_clear(e, half);
	if (!err)
		err = array_write(e->filter_pos_fd, half * LWFP_MAX_FILTERS, ix->pos, ix->npos);
	if (!err && count &&
	    bpf_map_update_batch(e->filter_idx_fd, ix->keys, ix->buckets, &count, &o))
		err = -errno;
	return err;
}

void filter_summary(struct lwfp_config *cfg, uint32_t half, const struct lwfp_filter *fs,
		    uint32_t n)
{
	uint64_t svcs = 0;
	uint32_t others = 0, i;

	for (i = 0; i < n; i++) {
		if (fs[i].action == LWFP_ACT_REDIRECT && fs[i].service >= 1 &&
		    fs[i].service <= LWFP_MAX_SERVICES)
			svcs |= 1ull << (fs[i].service - 1);
		else
			others++;
	}
	cfg->redirect_services[half] = svcs;
	cfg->other_filters[half] = others;
}

/* What the data plane must read before the walk (LWFP_COND_APP: the exe). */
static uint32_t conds_union(const struct lwfp_filter *fs, uint32_t n)
{
	uint32_t i, c = 0;

	for (i = 0; i < n; i++)
		c |= fs[i].conds;
	return c;
}

int filters_publish(struct lwfp_engine *e, const struct lwfp_filter *fs, uint32_t n)
{
	struct filter_index ix;
	struct lwfp_config cfg;
	uint32_t idle;
	int err;

	/*
	 * The idle half was live before the last flip, made by this process or
	 * another one moments ago, and a connect() that read `active` before
	 * that flip may still be walking it (grace.c). Nothing records when the
	 * last flip happened, so every publish waits once; a batch of filters is
	 * one publish, so the wait is paid per update, not per filter.
	 */
	err = grace_wait();
	if (!err)
		err = config_read(e, &cfg);
	if (err)
		return err;
	idle = !(cfg.active & 1);
	err = index_build(fs, n, idle, &ix);
	if (err)
		return err;
	err = array_write(e->filters_fd, idle * LWFP_MAX_FILTERS, fs, n);
	if (!err)
		err = index_write(e, &ix, idle);
	if (!err) {
		cfg.nfilters[idle] = n;
		cfg.conds[idle] = conds_union(fs, n);
		memcpy(cfg.idx_nplens[idle], ix.nplens, sizeof(ix.nplens));
		memcpy(cfg.idx_plens[idle], ix.plens, sizeof(ix.plens));
		cfg.idx_kinds[idle] = ix.kinds;
		filter_summary(&cfg, idle, fs, n);
		err = config_write(e, &cfg);
	}
	index_free(&ix);
	if (err)
		return err;
	cfg.active = idle;
	return config_write(e, &cfg);
}

void filter_side_drop(struct lwfp_engine *e, uint32_t id)
{
	bpf_map_delete_elem(e->filter_raw_fd, &id);
	bpf_map_delete_elem(e->filter_app_fd, &id);
	hits_drop(e, id);
}
