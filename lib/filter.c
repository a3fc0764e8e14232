// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Filters: kept in the data plane as a table sorted by weight, highest first.
 * Every change waits until no connect() can still be reading the idle half,
 * builds a whole new table there and then flips one word, so a connect()
 * sees the old table or the new one, never a mix (filter_table.c). This
 * file is the API: checks, ids and side entries, the order of the table.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include <lwfp/engine.h>

#include "internal.h"
#include "opts.h"

static bool range_ok(uint32_t lo, uint32_t hi)
{
	return lo <= hi;
}

/* The pattern as lwfp_host_pattern gives it, and its hash. */
static bool host_ok(const struct lwfp_filter *f)
{
	char norm[LWFP_HOST_PATTERN_MAX];
	uint64_t h;

	if (!memchr(f->host, 0, sizeof(f->host)) || lwfp_host_pattern(f->host, norm, &h))
		return false;
	return h == f->host_hash && !strcmp(norm, f->host);
}

static int filter_check(const struct lwfp_filter *f, size_t raw_len)
{
	uint32_t c = f->conds;

	if (f->action < LWFP_ACT_REDIRECT || f->action > LWFP_ACT_BLOCK ||
	    f->fail > LWFP_FAIL_OPEN || f->ctx_kind > LWFP_CTX_NONE ||
	    (f->flags & ~LWFP_FILTER_FLAGS))
		return -EINVAL;
	if ((c & LWFP_COND_PROTO) && f->proto != 6 && f->proto != 17)
		return -EINVAL;
	if ((c & (LWFP_COND_FAMILY | LWFP_COND_DST)) && f->family != 4 && f->family != 6)
		return -EINVAL;
	if ((c & LWFP_COND_DST) && f->dst_plen > (f->family == 4 ? 32 : 128))
		return -EINVAL;
	if (((c & LWFP_COND_DPORT) && !range_ok(f->dport_lo, f->dport_hi)) ||
	    ((c & LWFP_COND_SPORT) && !range_ok(f->sport_lo, f->sport_hi)) ||
	    ((c & LWFP_COND_UID) && !range_ok(f->uid_lo, f->uid_hi)))
		return -EINVAL;
	if (raw_len > LWFP_RAW_CONTEXT_MAX || (f->ctx_kind == LWFP_CTX_RAW && !raw_len))
		return -EINVAL;
	if ((c & LWFP_COND_HOST) && !host_ok(f))
		return -EINVAL;
	if ((c & LWFP_COND_APP) && !f->app_ino[0])
		return -EINVAL;
	if (f->action != LWFP_ACT_REDIRECT)
		return f->service || f->flags ? -EINVAL : 0;
	if (f->to.family != LWFP_AF_INET && f->to.family != LWFP_AF_INET6)
		return -EINVAL;
	return f->to.port ? 0 : -EINVAL;
}

static int store_raw(struct lwfp_engine *e, uint32_t id, const void *raw, size_t len)
{
	struct lwfp_raw_context rc = {};

	if (!len)
		return 0;
	rc.len = len;
	memcpy(rc.bytes, raw, len);
	return bpf_map_update_elem(e->filter_raw_fd, &id, &rc, BPF_ANY) ? -errno : 0;
}

static const char *filter_app_path(const struct lwfp_filter_opts *opts)
{
	return OPTS_GET(opts, app_path, NULL);
}

/*
 * Every opts valid (lib/opts.h) and naming its filter, checked before the
 * engine is touched: 0, or -EINVAL with *failed (when not NULL) its index.
 */
static int batch_opts_check(const struct lwfp_filter_opts *const *opts, size_t n, size_t *failed)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!OPTS_VALID(opts[i], lwfp_filter_opts) || !OPTS_GET(opts[i], filter, NULL)) {
			if (failed)
				*failed = i;
			return -EINVAL;
		}
	}
	return 0;
}

/*
 * A filter as the caller gave it (opts passed batch_opts_check), checked:
 * 0, -EINVAL, or the error of resolving its --app path (-ENOENT,
 * -ENOEXEC...).
 */
static int filter_from_opts(const struct lwfp_filter_opts *opts, struct lwfp_filter *nf,
			    const void **raw, size_t *raw_len)
{
	*raw = OPTS_GET(opts, raw, NULL);
	*raw_len = *raw ? OPTS_GET(opts, raw_len, 0) : 0;
	filter_spec_put(nf, opts->filter);
	nf->raw_len = *raw_len;
	if (filter_app_path(opts)) {
		int err = app_resolve(nf, opts->app_path);

		if (err)
			return err;
	}
	return filter_check(nf, *raw_len);
}

struct order {
	uint32_t weight;
	uint32_t idx;
};

/* Highest weight first; equal weights keep the order they were added in. */
static int order_cmp(const void *a, const void *b)
{
	const struct order *x = a, *y = b;

	if (x->weight != y->weight)
		return x->weight > y->weight ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/*
 * fs[0..n) is the sorted table with new filters appended after it; sorting
 * by (weight, index) places each new one after every filter of its weight,
 * as adding them one at a time would.
 */
static int table_sort(struct lwfp_filter *fs, uint32_t n)
{
	struct lwfp_filter *tmp = malloc((n ? n : 1) * sizeof(*tmp));
	struct order *ord = malloc((n ? n : 1) * sizeof(*ord));
	uint32_t i;

	if (!tmp || !ord) {
		free(tmp);
		free(ord);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		ord[i].weight = fs[i].weight;
		ord[i].idx = i;
	}
	qsort(ord, n, sizeof(*ord), order_cmp);
	for (i = 0; i < n; i++)
		tmp[i] = fs[ord[i].idx];
	memcpy(fs, tmp, n * sizeof(*fs));
	free(tmp);
	free(ord);
	return 0;
}

/* Checks every filter and its service; *failed names the first refused. */
static int batch_check(struct lwfp_engine *e, const struct lwfp_filter_opts *const *opts,
		       size_t n, struct lwfp_filter *out, size_t *failed)
{
	struct lwfp_service_info s;
	const void *raw;
	size_t i, raw_len;
	int err;

	for (i = 0; i < n; i++) {
		err = filter_from_opts(opts[i], &out[i], &raw, &raw_len);
		if (!err && out[i].action == LWFP_ACT_REDIRECT)
			err = lwfp_service_by_handle(e, out[i].service, &s);
		if (err) {
			*failed = i;
			return err;
		}
	}
	return 0;
}

/* Ids, raw contexts, then one publish; undoes the raw contexts on failure. */
static int batch_insert(struct lwfp_engine *e, const struct lwfp_filter_opts *const *opts,
			struct lwfp_filter *fs, uint32_t n, size_t k, uint32_t *ids)
{
	struct lwfp_filter *nf = &fs[n];
	struct lwfp_config cfg;
	size_t i, stored = 0;
	int err;

	err = config_read(e, &cfg);
	for (i = 0; i < k && !err; i++) {
		nf[i].id = ids[i] = cfg.next_filter_id++;
		err = store_raw(e, nf[i].id, nf[i].raw_len ? opts[i]->raw : NULL, nf[i].raw_len);
		if (!err)
			err = app_store(e, nf[i].id, filter_app_path(opts[i]));
		if (!err)
			err = hits_reset(e, nf[i].id);
		stored += !err;
	}
	if (!err)
		err = config_write(e, &cfg);
	if (!err)
		err = table_sort(fs, n + k);
	if (!err)
		err = filters_publish(e, fs, n + k);
	/* ids, not nf: the sort moved the new filters. The one that failed may
	 * have stored its raw context: the loop went one past it. */
	if (err && i > stored)
		filter_side_drop(e, ids[stored]);
	for (i = 0; err && i < stored; i++)
		filter_side_drop(e, ids[i]);
	return err;
}

/* Drops the filters named in del from fs[0..*n): -ENOENT if one is missing. */
static int table_drop(struct lwfp_filter *fs, uint32_t *n, const uint32_t *del, size_t ndel)
{
	uint32_t i, kept = 0;
	size_t j, found = 0;

	for (i = 0; i < *n; i++) {
		for (j = 0; j < ndel && del[j] != fs[i].id; j++)
			;
		if (j < ndel) {
			found++;
			continue;
		}
		fs[kept++] = fs[i];
	}
	*n = kept;
	return found == ndel ? 0 : -ENOENT;
}

/* The raw contexts, app paths and counters of deleted filters go once the new table is live. */
static void raw_drop(struct lwfp_engine *e, const uint32_t *del, size_t ndel)
{
	size_t j;

	for (j = 0; j < ndel; j++)
		filter_side_drop(e, del[j]);
}

/* With the lock held: all of opts in and all of del out, or nothing. */
static int replace_locked(struct lwfp_engine *e, const uint32_t *del, size_t ndel,
			  const struct lwfp_filter_opts *const *opts, size_t k, uint32_t *ids,
			  size_t *failed)
{
	struct lwfp_filter *fs, *grown;
	uint32_t n;
	int err;

	err = filters_load(e, &fs, &n);
	if (err)
		return err;
	err = table_drop(fs, &n, del, ndel);
	if (!err && k > LWFP_MAX_FILTERS - n)
		err = -ENOSPC;
	grown = err ? NULL : realloc(fs, (n + k + 1) * sizeof(*fs));
	if (!err && !grown)
		err = -ENOMEM;
	if (err) {
		free(fs);
		return err;
	}
	fs = grown;
	err = batch_check(e, opts, k, &fs[n], failed);
	if (!err)
		err = batch_insert(e, opts, fs, n, k, ids);
	if (!err)
		raw_drop(e, del, ndel);
	free(fs);
	return err;
}

LWFP_API int lwfp_filter_replace_batch(struct lwfp_engine *e, const uint32_t *del, size_t ndel,
				       const struct lwfp_filter_opts *const *opts, size_t n,
				       uint32_t *ids, size_t *failed)
{
	size_t bad = n;
	int err;

	if (failed)
		*failed = n;
	if (!e || (n && (!opts || !ids)) || (ndel && !del))
		return -EINVAL;
	err = batch_opts_check(opts, n, failed);
	if (err)
		return err;
	if (!n && !ndel)
		return 0;
	err = engine_lock(e);
	if (err)
		return err;
	err = replace_locked(e, del, ndel, opts, n, ids, &bad);
	engine_unlock(e);
	if (failed)
		*failed = bad;
	return err;
}

LWFP_API int lwfp_filter_add_batch(struct lwfp_engine *e,
				   const struct lwfp_filter_opts *const *opts, size_t n,
				   uint32_t *ids, size_t *failed)
{
	return lwfp_filter_replace_batch(e, NULL, 0, opts, n, ids, failed);
}

LWFP_API int lwfp_filter_add(struct lwfp_engine *e, const struct lwfp_filter_opts *opts, uint32_t *id)
{
	if (!id)
		return -EINVAL;
	return lwfp_filter_add_batch(e, &opts, 1, id, NULL);
}

LWFP_API int lwfp_filter_del(struct lwfp_engine *e, uint32_t id)
{
	struct lwfp_filter *fs;
	uint32_t n, i;
	int err;

	err = engine_lock(e);
	if (err)
		return err;
	err = filters_load(e, &fs, &n);
	if (err)
		goto out;
	for (i = 0; i < n && fs[i].id != id; i++)
		;
	if (i == n) {
		err = -ENOENT;
	} else {
		memmove(&fs[i], &fs[i + 1], (n - i - 1) * sizeof(*fs));
		err = filters_publish(e, fs, n - 1);
		if (!err)
			filter_side_drop(e, id);
	}
	free(fs);
out:
	engine_unlock(e);
	return err;
}

LWFP_API int lwfp_filter_foreach(struct lwfp_engine *e,
				 int (*cb)(const struct lwfp_filter_spec *f, void *ctx), void *ctx)
{
	struct lwfp_filter_spec spec;
	struct lwfp_filter *fs;
	uint32_t n, i;
	int err;

	err = filters_load(e, &fs, &n);
	if (err)
		return err;
	for (i = 0; i < n && !err; i++) {
		filter_spec_get(&spec, &fs[i]);
		err = cb(&spec, ctx);
	}
	free(fs);
	return err;
}

LWFP_API int lwfp_filter_raw(struct lwfp_engine *e, uint32_t id, void *buf, size_t size, size_t *len)
{
	struct lwfp_raw_context rc;

	*len = 0;
	if (bpf_map_lookup_elem(e->filter_raw_fd, &id, &rc))
		return errno == ENOENT ? 0 : -errno;
	if (rc.len > LWFP_RAW_CONTEXT_MAX)
		return -EPROTO;
	if (rc.len > size)
		return -ERANGE;
	memcpy(buf, rc.bytes, rc.len);
	*len = rc.len;
	return 0;
}
