// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unit tests for lib/index.c, the classifier's index: which bucket a filter
 * goes in, the order of positions in a bucket, the prefix-length cap, and,
 * on random filter sets, that the buckets a connect probes (as
 * bpf/classify.h probes them) hold every filter that can match it, in
 * table order.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/internal.h"

static struct lwfp_filter v4(const char *addr, uint8_t plen)
{
	struct lwfp_filter f = { .conds = LWFP_COND_DST, .family = 4, .dst_plen = plen };

	assert_int_equal(inet_pton(AF_INET, addr, f.dst), 1);
	return f;
}

static struct lwfp_filter v6(const char *addr, uint8_t plen)
{
	struct lwfp_filter f = { .conds = LWFP_COND_DST, .family = 6, .dst_plen = plen };

	assert_int_equal(inet_pton(AF_INET6, addr, f.dst), 1);
	return f;
}

static struct lwfp_filter port(struct lwfp_filter f, uint16_t lo, uint16_t hi)
{
	f.conds |= LWFP_COND_DPORT;
	f.dport_lo = lo;
	f.dport_hi = hi;
	return f;
}

/* The bucket filter i of fs went to: its key, via the built index. */
static const struct lwfp_idx_key *bucket_of(const struct filter_index *ix, uint32_t i)
{
	uint32_t b, j;

	for (b = 0; b < ix->nbuckets; b++) {
		for (j = 0; j < ix->buckets[b].len; j++) {
			uint32_t slot = ix->buckets[b].start % LWFP_MAX_FILTERS + j;

			if (ix->pos[slot] == i)
				return &ix->keys[b];
		}
	}
	fail_msg("filter %u is in no bucket", i);
	return NULL;
}

static void test_bucket_choice(void **state)
{
	struct lwfp_filter fs[] = {
		v4("198.18.7.9", 32),
		port((struct lwfp_filter){ .conds = 0 }, 443, 443),
		port((struct lwfp_filter){ .conds = 0 }, 8000, 8001),
		v4("0.0.0.0", 0),
		port(v4("198.18.0.0", 15), 80, 80),
		port(v4("0.0.0.0", 0), 53, 53),
		v6("2001:db8:1:2:3::", 64),
		(struct lwfp_filter){ .conds = LWFP_COND_PROTO | LWFP_COND_UID, .proto = 6 },
	};
	const struct lwfp_idx_key *k;
	struct filter_index ix;

	(void)state;
	assert_int_equal(index_build(fs, 8, 1, &ix), 0);
	k = bucket_of(&ix, 0);
	assert_int_equal(k->kind, LWFP_IDX_PREFIX);
	assert_int_equal(k->half, 1);
	assert_int_equal(k->family, 4);
	assert_int_equal(k->plen, 32);
	assert_int_equal(k->addr[0], fs[0].dst[0]);
	k = bucket_of(&ix, 1);
	assert_int_equal(k->kind, LWFP_IDX_DPORT);
	assert_int_equal(k->dport, 443);
	/* A port range, and a /0 prefix, select nothing the index can key. */
	assert_int_equal(bucket_of(&ix, 2)->kind, LWFP_IDX_ANY);
	assert_int_equal(bucket_of(&ix, 3)->kind, LWFP_IDX_ANY);
	/* A prefix beats a port; a /0 prefix does not. */
	assert_int_equal(bucket_of(&ix, 4)->kind, LWFP_IDX_PREFIX);
	assert_int_equal(bucket_of(&ix, 4)->addr[0], htonl(0xc6120000));
	assert_int_equal(bucket_of(&ix, 5)->kind, LWFP_IDX_DPORT);
	k = bucket_of(&ix, 6);
	assert_int_equal(k->kind, LWFP_IDX_PREFIX);
	assert_int_equal(k->family, 6);
	assert_int_equal(k->addr[0], htonl(0x20010db8));
	assert_int_equal(k->addr[1], htonl(0x00010002));
	assert_int_equal(k->addr[2], 0);
	assert_int_equal(k->addr[3], 0);
	assert_int_equal(bucket_of(&ix, 7)->kind, LWFP_IDX_ANY);
	assert_int_equal(ix.nplens[0], 2);
	assert_int_equal(ix.nplens[1], 1);
	assert_int_equal(ix.kinds, 1u << LWFP_IDX_PREFIX | 1u << LWFP_IDX_DPORT | 1u << LWFP_IDX_ANY);
	index_free(&ix);
}

/* A --host filter goes to the host bucket, unless a prefix keys it. */
static void test_host_bucket(void **state)
{
	struct lwfp_filter fs[] = {
		port((struct lwfp_filter){ .conds = LWFP_COND_HOST }, 443, 443),
		(struct lwfp_filter){ .conds = LWFP_COND_HOST },
		v4("198.18.7.9", 32),
	};
	struct filter_index ix;

	(void)state;
	fs[2].conds |= LWFP_COND_HOST;
	assert_int_equal(index_build(fs, 3, 0, &ix), 0);
	assert_int_equal(bucket_of(&ix, 0)->kind, LWFP_IDX_HOST);
	assert_int_equal(bucket_of(&ix, 1)->kind, LWFP_IDX_HOST);
	assert_int_equal(bucket_of(&ix, 2)->kind, LWFP_IDX_PREFIX);
	/* No port or wildcard bucket: a connect probes neither. */
	assert_int_equal(ix.kinds, 1u << LWFP_IDX_HOST | 1u << LWFP_IDX_PREFIX);
	index_free(&ix);
}

static void test_mask(void **state)
{
	uint32_t a[4], out[4];

	(void)state;
	assert_int_equal(inet_pton(AF_INET6, "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", a), 1);
	index_mask(a, 0, out);
	assert_memory_equal(out, (uint32_t[4]){ 0 }, 16);
	index_mask(a, 36, out);
	assert_int_equal(out[0], htonl(0x20010db8));
	assert_int_equal(out[1], htonl(0xf0000000));
	assert_int_equal(out[2] | out[3], 0);
	index_mask(a, 128, out);
	assert_memory_equal(out, a, 16);
}

/* Buckets are runs of ascending positions that cover the table exactly once. */
static void test_ordering(void **state)
{
	struct lwfp_filter fs[64];
	struct filter_index ix;
	uint8_t seen[64] = { 0 };
	uint32_t i, b;

	(void)state;
	for (i = 0; i < 64; i++) {
		char a[32];

		snprintf(a, sizeof(a), "198.18.%u.1", i % 3);
		fs[i] = i % 4 == 3 ? port((struct lwfp_filter){ 0 }, 80 + i % 2, 80 + i % 2) :
				     v4(a, i % 2 ? 24 : 32);
	}
	assert_int_equal(index_build(fs, 64, 0, &ix), 0);
	assert_int_equal(ix.npos, 64);
	for (b = 0; b < ix.nbuckets; b++) {
		const struct lwfp_idx_bucket *bk = &ix.buckets[b];

		assert_true(bk->len > 0);
		assert_true(bk->start + bk->len <= 64);
		for (i = 0; i < bk->len; i++) {
			uint32_t p = ix.pos[bk->start + i];

			assert_true(p < 64);
			assert_false(seen[p]);
			seen[p] = 1;
			if (i)
				assert_true(ix.pos[bk->start + i - 1] < p);
		}
	}
	for (i = 0; i < 64; i++)
		assert_true(seen[i]);
	index_free(&ix);
	/* The second half's buckets start in the second half of the postings. */
	assert_int_equal(index_build(fs, 64, 1, &ix), 0);
	for (b = 0; b < ix.nbuckets; b++)
		assert_true(ix.buckets[b].start >= LWFP_MAX_FILTERS);
	index_free(&ix);
}

/* Ten prefix lengths: the eight most used keep buckets, the others fall back. */
static void test_plen_cap(void **state)
{
	struct lwfp_filter fs[64];
	struct filter_index ix;
	uint32_t n = 0, len, i, k;

	(void)state;
	for (len = 20; len < 28; len++) {
		for (i = 0; i < 3; i++)
			fs[n++] = v4("198.19.0.0", len);
	}
	/* /16 and /30 once each, /17 twice: fewer than any of the eight above. */
	fs[n++] = v4("198.18.0.0", 16);
	fs[n++] = port(v4("198.18.0.0", 30), 443, 443);
	fs[n++] = v4("198.18.0.0", 17);
	fs[n++] = v4("198.18.128.0", 17);
	assert_int_equal(index_build(fs, n, 0, &ix), 0);
	assert_int_equal(ix.nplens[0], LWFP_IDX_PLENS);
	assert_int_equal(ix.nplens[1], 0);
	for (k = 0; k < LWFP_IDX_PLENS; k++)
		assert_true(ix.plens[0][k] >= 20 && ix.plens[0][k] < 28);
	assert_int_equal(bucket_of(&ix, 24)->kind, LWFP_IDX_ANY);
	assert_int_equal(bucket_of(&ix, 25)->kind, LWFP_IDX_DPORT);
	assert_int_equal(bucket_of(&ix, 26)->kind, LWFP_IDX_ANY);
	assert_int_equal(bucket_of(&ix, 0)->kind, LWFP_IDX_PREFIX);
	index_free(&ix);

	/* On a tie, the longer length is kept. */
	n = 0;
	for (len = 1; len <= 9; len++)
		fs[n++] = v4("198.18.0.0", len);
	assert_int_equal(index_build(fs, n, 0, &ix), 0);
	assert_int_equal(bucket_of(&ix, 0)->kind, LWFP_IDX_ANY);
	for (i = 1; i < n; i++)
		assert_int_equal(bucket_of(&ix, i)->kind, LWFP_IDX_PREFIX);
	index_free(&ix);
}

/* ---- the probe of classify.h, on random sets ------------------------------------ */

static bool may_match(const struct lwfp_filter *f, uint8_t family, const uint32_t dst[4],
		      uint16_t dport)
{
	uint32_t a[4], b[4];

	if ((f->conds & LWFP_COND_DST) && f->family != family)
		return false;
	if (f->conds & LWFP_COND_DST) {
		index_mask(dst, f->dst_plen, a);
		index_mask(f->dst, f->dst_plen, b);
		if (memcmp(a, b, sizeof(a)))
			return false;
	}
	return !(f->conds & LWFP_COND_DPORT) || (dport >= f->dport_lo && dport <= f->dport_hi);
}

static const struct lwfp_idx_bucket *find(const struct filter_index *ix,
					  const struct lwfp_idx_key *k)
{
	uint32_t b;

	for (b = 0; b < ix->nbuckets; b++) {
		if (!memcmp(&ix->keys[b], k, sizeof(*k)))
			return &ix->buckets[b];
	}
	return NULL;
}

/* The candidates as the data plane gathers them: flags set in cand[]. */
static void probe(const struct filter_index *ix, uint32_t half, uint8_t family,
		  const uint32_t dst[4], uint16_t dport, uint8_t *cand)
{
	struct lwfp_idx_key k = { .half = half, .kind = LWFP_IDX_ANY };
	const struct lwfp_idx_bucket *b[LWFP_IDX_PLENS + 2] = { 0 };
	unsigned int fam = family == 6, i, j, nb = 0;

	/* A kind of bucket missing from ix->kinds is not probed (lwfp_config.idx_kinds). */
	if (ix->kinds & (1u << LWFP_IDX_ANY))
		b[nb++] = find(ix, &k);
	k.kind = LWFP_IDX_DPORT;
	k.dport = dport;
	if (ix->kinds & (1u << LWFP_IDX_DPORT))
		b[nb++] = find(ix, &k);
	k.kind = LWFP_IDX_PREFIX;
	k.dport = 0;
	k.family = family;
	for (i = 0; i < ix->nplens[fam]; i++) {
		k.plen = ix->plens[fam][i];
		index_mask(dst, k.plen, k.addr);
		b[nb++] = find(ix, &k);
	}
	for (i = 0; i < nb; i++) {
		for (j = 0; b[i] && j < b[i]->len; j++) {
			uint32_t p = ix->pos[b[i]->start - half * LWFP_MAX_FILTERS + j];

			assert_false(cand[p]); /* in one bucket only */
			cand[p] = 1;
		}
	}
}

static struct lwfp_filter random_filter(void)
{
	struct lwfp_filter f = { 0 };
	int r = rand() % 8;

	if (r < 6) {
		f.conds = LWFP_COND_DST;
		f.family = r < 4 ? 4 : 6;
		f.dst[0] = htonl(0xc6120000 | (rand() % 4) << 8 | rand() % 4);
		if (f.family == 6) {
			f.dst[0] = htonl(0x20010db8);
			f.dst[3] = htonl(rand() % 4);
		}
		f.dst_plen = f.family == 4 ? 16 + rand() % 17 : 32 + rand() % 97;
	}
	if (rand() % 2) {
		f.conds |= LWFP_COND_DPORT;
		f.dport_lo = 80 + rand() % 3;
		f.dport_hi = f.dport_lo + (rand() % 3 == 0);
	}
	return f;
}

static void test_probe_equivalence(void **state)
{
	static struct lwfp_filter fs[2000];
	uint8_t cand[2000];
	struct filter_index ix;
	uint32_t round, i, t;

	(void)state;
	srand(7);
	for (round = 0; round < 20; round++) {
		uint32_t n = 1 + rand() % 2000, half = round & 1;

		for (i = 0; i < n; i++)
			fs[i] = random_filter();
		assert_int_equal(index_build(fs, n, half, &ix), 0);
		for (t = 0; t < 50; t++) {
			uint32_t dst[4] = { 0 };
			uint8_t family = rand() % 3 ? 4 : 6;
			uint16_t dport = 80 + rand() % 4;

			dst[0] = htonl(0xc6120000 | (rand() % 4) << 8 | rand() % 4);
			if (family == 6) {
				dst[0] = htonl(0x20010db8);
				dst[3] = htonl(rand() % 4);
			}
			memset(cand, 0, n);
			probe(&ix, half, family, dst, dport, cand);
			for (i = 0; i < n; i++) {
				if (may_match(&fs[i], family, dst, dport) && !cand[i])
					fail_msg("round %u: filter %u matches but is no candidate", round, i);
			}
		}
		index_free(&ix);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bucket_choice), cmocka_unit_test(test_host_bucket),
		cmocka_unit_test(test_mask),
		cmocka_unit_test(test_ordering),
		cmocka_unit_test(test_plen_cap),
		cmocka_unit_test(test_probe_equivalence),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
