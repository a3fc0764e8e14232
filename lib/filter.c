// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Filters: kept in the data plane as a table sorted by weight, highest first.
 * Every change builds a whole new table in the half the data plane is not
 * reading and then flips one word, so a connect() sees the old table or the
 * new one, never a mix.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include <lwfp/engine.h>

#include "internal.h"

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
	for (i = 0; i < count; i++) {
		uint32_t key = base + i;

		if (bpf_map_lookup_elem(e->filters_fd, &key, &fs[i])) {
			err = -errno;
			free(fs);
			return err;
		}
	}
	*out = fs;
	*n = count;
	return 0;
}

int filters_publish(struct lwfp_engine *e, const struct lwfp_filter *fs, uint32_t n)
{
	struct lwfp_config cfg;
	uint32_t i, idle;
	int err;

	err = config_read(e, &cfg);
	if (err)
		return err;
	idle = !(cfg.active & 1);
	for (i = 0; i < n; i++) {
		uint32_t key = idle * LWFP_MAX_FILTERS + i;

		if (bpf_map_update_elem(e->filters_fd, &key, &fs[i], BPF_ANY))
			return -errno;
	}
	cfg.nfilters[idle] = n;
	err = config_write(e, &cfg);
	if (err)
		return err;
	cfg.active = idle;
	return config_write(e, &cfg);
}

static bool range_ok(uint32_t lo, uint32_t hi)
{
	return lo <= hi;
}

static int filter_check(const struct lwfp_filter *f, size_t raw_len)
{
	uint32_t c = f->conds;

	if (f->action < LWFP_ACT_REDIRECT || f->action > LWFP_ACT_BLOCK ||
	    f->fail > LWFP_FAIL_OPEN || f->ctx_kind > LWFP_CTX_NONE)
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
	if (f->action != LWFP_ACT_REDIRECT)
		return f->service ? -EINVAL : 0;
	if (f->to.family != LWFP_AF_INET && f->to.family != LWFP_AF_INET6)
		return -EINVAL;
	return f->to.port ? 0 : -EINVAL;
}

/* Equal weights keep the order they were added in. */
static uint32_t insert_pos(const struct lwfp_filter *fs, uint32_t n, uint32_t weight)
{
	uint32_t i = 0;

	while (i < n && fs[i].weight >= weight)
		i++;
	return i;
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

static int filter_insert(struct lwfp_engine *e, struct lwfp_filter *nf,
			 const void *raw, size_t raw_len)
{
	struct lwfp_filter *fs;
	struct lwfp_config cfg;
	uint32_t n, pos;
	int err;

	err = config_read(e, &cfg);
	if (!err)
		err = filters_load(e, &fs, &n);
	if (err)
		return err;
	if (n >= LWFP_MAX_FILTERS) {
		free(fs);
		return -ENOSPC;
	}
	nf->id = cfg.next_filter_id++;
	err = config_write(e, &cfg);
	if (!err)
		err = store_raw(e, nf->id, raw, raw_len);
	if (!err) {
		pos = insert_pos(fs, n, nf->weight);
		memmove(&fs[pos + 1], &fs[pos], (n - pos) * sizeof(*fs));
		fs[pos] = *nf;
		err = filters_publish(e, fs, n + 1);
	}
	free(fs);
	return err;
}

LWFP_API int lwfp_filter_add(struct lwfp_engine *e, const struct lwfp_filter_opts *opts, uint32_t *id)
{
	struct lwfp_service s;
	struct lwfp_filter nf;
	size_t raw_len = 0;
	int err;

	if (!opts || opts->sz < offsetof(struct lwfp_filter_opts, raw) || !opts->filter || !id)
		return -EINVAL;
	if (opts->sz > offsetof(struct lwfp_filter_opts, raw_len) && opts->raw)
		raw_len = opts->raw_len;
	nf = *opts->filter;
	nf.raw_len = raw_len;
	err = filter_check(&nf, raw_len);
	if (err)
		return err;
	err = engine_lock(e);
	if (err)
		return err;
	if (nf.action == LWFP_ACT_REDIRECT)
		err = lwfp_service_by_handle(e, nf.service, &s);
	if (!err)
		err = filter_insert(e, &nf, opts->raw, raw_len);
	engine_unlock(e);
	if (!err)
		*id = nf.id;
	return err;
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
			bpf_map_delete_elem(e->filter_raw_fd, &id);
	}
	free(fs);
out:
	engine_unlock(e);
	return err;
}

LWFP_API int lwfp_filter_foreach(struct lwfp_engine *e,
				 int (*cb)(const struct lwfp_filter *f, void *ctx), void *ctx)
{
	struct lwfp_filter *fs;
	uint32_t n, i;
	int err;

	err = filters_load(e, &fs, &n);
	if (err)
		return err;
	for (i = 0; i < n && !err; i++)
		err = cb(&fs[i], ctx);
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
