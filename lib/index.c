// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The index over one half of the filter table (bpf/layout.h): every filter goes in
 * one bucket, so a connect() looks only at the few buckets its destination
 * can hit instead of at every filter. Built here, in user space, for the
 * half about to be published; bpf/classify.h reads it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* 4 -> 0, 6 -> 1: the second index of lwfp_config.idx_plens. */
static unsigned int fam_slot(uint8_t family)
{
	return family == 6;
}

static bool prefix_indexable(const struct lwfp_filter *f)
{
	return (f->conds & LWFP_COND_DST) && (f->family == 4 || f->family == 6) &&
	       f->dst_plen > 0 && f->dst_plen <= (f->family == 4 ? 32 : 128);
}

/*
 * Each family keeps the LWFP_IDX_PLENS prefix lengths used by the most
 * filters (a connect probes each one), the longer on a tie, as it selects
 * fewer destinations. Filters of other lengths fall back to their port or
 * to the wildcard bucket.
 */
void index_pick_plens(const struct lwfp_filter *fs, uint32_t n, struct filter_index *ix)
{
	uint32_t count[2][129] = { { 0 } };
	unsigned int fam, k, len, best;
	uint32_t i;

	for (i = 0; i < n; i++) {
		if (prefix_indexable(&fs[i]))
			count[fam_slot(fs[i].family)][fs[i].dst_plen]++;
	}
	for (fam = 0; fam < 2; fam++) {
		ix->nplens[fam] = 0;
		for (k = 0; k < LWFP_IDX_PLENS; k++) {
			best = 0;
			for (len = 128; len > 0; len--) {
				if (count[fam][len] > count[fam][best])
					best = len;
			}
			if (!best)
				break;
			ix->plens[fam][k] = best;
			ix->nplens[fam]++;
			count[fam][best] = 0;
		}
	}
}

static bool plen_listed(const struct filter_index *ix, const struct lwfp_filter *f)
{
	unsigned int fam = fam_slot(f->family), k;

	for (k = 0; k < ix->nplens[fam]; k++) {
		if (ix->plens[fam][k] == f->dst_plen)
			return true;
	}
	return false;
}

/* addr masked to its first plen bits, the way classify.h masks a destination. */
void index_mask(const uint32_t addr[4], uint32_t plen, uint32_t out[4])
{
	uint32_t bits = plen, i, mask;

	for (i = 0; i < 4; i++) {
		mask = bits >= 32 ? 0xffffffffu : bits ? ~(0xffffffffu >> bits) : 0;
		out[i] = addr[i] & htonl(mask);
		bits = bits >= 32 ? bits - 32 : 0;
	}
}

void index_key(const struct filter_index *ix, const struct lwfp_filter *f, uint32_t half,
	       struct lwfp_idx_key *k)
{
	memset(k, 0, sizeof(*k));
	k->half = half;
	if (prefix_indexable(f) && plen_listed(ix, f)) {
		k->kind = LWFP_IDX_PREFIX;
		k->family = f->family;
		k->plen = f->dst_plen;
		index_mask(f->dst, f->dst_plen, k->addr);
	} else if (f->conds & LWFP_COND_HOST) {
		k->kind = LWFP_IDX_HOST;
	} else if ((f->conds & LWFP_COND_DPORT) && f->dport_lo == f->dport_hi) {
		k->kind = LWFP_IDX_DPORT;
		k->dport = f->dport_lo;
	} else {
		k->kind = LWFP_IDX_ANY;
	}
}

struct posting {
	struct lwfp_idx_key key;
	uint32_t pos;
};

/* By bucket, then by table position: each bucket's run comes out ascending. */
static int posting_cmp(const void *a, const void *b)
{
	const struct posting *x = a, *y = b;
	int c = memcmp(&x->key, &y->key, sizeof(x->key));

	if (c)
		return c;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static int index_fill(struct filter_index *ix, const struct posting *ps, uint32_t n,
		      uint32_t half)
{
	uint32_t i;

	ix->keys = calloc(n ? n : 1, sizeof(*ix->keys));
	ix->buckets = calloc(n ? n : 1, sizeof(*ix->buckets));
	ix->pos = calloc(n ? n : 1, sizeof(*ix->pos));
	if (!ix->keys || !ix->buckets || !ix->pos)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		if (!i || memcmp(&ps[i].key, &ps[i - 1].key, sizeof(ps[i].key))) {
			ix->keys[ix->nbuckets] = ps[i].key;
			ix->buckets[ix->nbuckets].start = half * LWFP_MAX_FILTERS + i;
			ix->kinds |= 1u << ps[i].key.kind;
			ix->nbuckets++;
		}
		ix->buckets[ix->nbuckets - 1].len++;
		ix->pos[i] = ps[i].pos;
	}
	ix->npos = n;
	return 0;
}

int index_build(const struct lwfp_filter *fs, uint32_t n, uint32_t half,
		struct filter_index *ix)
{
	struct posting *ps;
	uint32_t i;
	int err;

	memset(ix, 0, sizeof(*ix));
	if (n > LWFP_MAX_FILTERS || half > 1)
		return -EINVAL;
	index_pick_plens(fs, n, ix);
	ps = calloc(n ? n : 1, sizeof(*ps));
	if (!ps)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		index_key(ix, &fs[i], half, &ps[i].key);
		ps[i].pos = i;
	}
	qsort(ps, n, sizeof(*ps), posting_cmp);
	err = index_fill(ix, ps, n, half);
	free(ps);
	if (err)
		index_free(ix);
	return err;
}

void index_free(struct filter_index *ix)
{
	free(ix->keys);
	free(ix->buckets);
	free(ix->pos);
	ix->keys = NULL;
	ix->buckets = NULL;
	ix->pos = NULL;
	ix->nbuckets = ix->npos = 0;
}
