// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unit tests for lwfp-inspect's per-uid share of a worker's flows (links
 * the tool's uid_share.o): the share is half the table, root is never
 * counted, and every share given back leaves the table as empty as before,
 * after any order of flows starting and ending among uids that collide.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>

#include "../../tools/lwfp-inspect/uid_share.h"

/* Nothing left behind: no count, no slot in use. */
static void assert_empty(const struct uid_share *s)
{
	size_t i;

	assert_int_equal(s->counted, 0);
	assert_int_equal(s->uids, 0);
	for (i = 0; i <= s->mask; i++)
		assert_int_equal(s->slots[i].flows, 0);
}

static void test_share_is_half(void **state)
{
	static const unsigned int flows[][2] = {
		{ 1, 1 }, { 2, 1 }, { 3, 1 }, { 4, 2 }, { 335, 167 }, { 1660, 830 },
	};
	struct uid_share s;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(flows) / sizeof(flows[0]); i++) {
		assert_int_equal(uid_share_init(&s, flows[i][0]), 0);
		assert_int_equal(s.max, flows[i][1]);
		assert_true(s.mask + 1 >= 2 * flows[i][0]);
		uid_share_free(&s);
	}
}

static void test_refused_at_share(void **state)
{
	struct uid_share s;
	unsigned int i;

	(void)state;
	assert_int_equal(uid_share_init(&s, 335), 0);
	for (i = 0; i < 167; i++)
		assert_true(uid_share_take(&s, 65534));
	assert_false(uid_share_take(&s, 65534));
	assert_int_equal(uid_share_flows(&s, 65534), 167);
	/* Another user, and root, still get flows. */
	assert_true(uid_share_take(&s, 1000));
	for (i = 0; i < 1000; i++)
		assert_true(uid_share_take(&s, 0));
	assert_int_equal(uid_share_flows(&s, 0), 0);
	assert_int_equal(s.counted, 168);
	/* One flow ends: one more may start, not two. */
	uid_share_give(&s, 65534);
	assert_true(uid_share_take(&s, 65534));
	assert_false(uid_share_take(&s, 65534));
	for (i = 0; i < 167; i++)
		uid_share_give(&s, 65534);
	uid_share_give(&s, 1000);
	for (i = 0; i < 1000; i++)
		uid_share_give(&s, 0);
	assert_empty(&s);
	uid_share_free(&s);
}

/* A table of one flow: that flow, and no second uid beside it. */
static void test_one_flow(void **state)
{
	struct uid_share s;

	(void)state;
	assert_int_equal(uid_share_init(&s, 1), 0);
	assert_true(uid_share_take(&s, 7));
	assert_false(uid_share_take(&s, 7));
	assert_false(uid_share_take(&s, 8)); /* more uids than flows: fail closed */
	assert_true(uid_share_take(&s, 0));
	uid_share_give(&s, 7);
	assert_true(uid_share_take(&s, 8));
	uid_share_give(&s, 8);
	assert_empty(&s);
	uid_share_free(&s);
}

/* Giving back what was never taken changes nothing. */
static void test_give_unknown(void **state)
{
	struct uid_share s;

	(void)state;
	assert_int_equal(uid_share_init(&s, 10), 0);
	uid_share_give(&s, 42);
	assert_true(uid_share_take(&s, 43));
	uid_share_give(&s, 42);
	assert_int_equal(uid_share_flows(&s, 43), 1);
	uid_share_give(&s, 43);
	assert_empty(&s);
	uid_share_free(&s);
}

#define MODEL_FLOWS 64
#define MODEL_UIDS 48

/*
 * Flows start and end at random, as in a worker of MODEL_FLOWS flows,
 * among uids in runs and spread out (so that runs of the table collide and
 * its deletions move entries back); after each step every uid's count is
 * the model's. At the end all flows end, and the table is empty.
 */
static void test_against_model(void **state)
{
	uint32_t uids[MODEL_UIDS], live[MODEL_FLOWS];
	unsigned int want[MODEL_UIDS] = { 0 };
	size_t nlive = 0, i, k, step;
	struct uid_share s;
	bool ok;

	(void)state;
	for (i = 0; i < MODEL_UIDS; i++)
		uids[i] = i < MODEL_UIDS / 2 ? 100000 + (uint32_t)i : (uint32_t)i * 4096 + 1;
	assert_int_equal(uid_share_init(&s, MODEL_FLOWS), 0);
	srand(1);
	for (step = 0; step < 200000; step++) {
		if (nlive < MODEL_FLOWS && (nlive == 0 || rand() % 2)) {
			k = (size_t)rand() % MODEL_UIDS;
			ok = uid_share_take(&s, uids[k]);
			assert_int_equal(ok, want[k] < MODEL_FLOWS / 2);
			if (ok) {
				want[k]++;
				live[nlive++] = (uint32_t)k;
			}
		} else {
			i = (size_t)rand() % nlive;
			k = live[i];
			live[i] = live[--nlive];
			uid_share_give(&s, uids[k]);
			want[k]--;
		}
		for (k = 0; k < MODEL_UIDS; k++)
			assert_int_equal(uid_share_flows(&s, uids[k]), want[k]);
		assert_int_equal(s.counted, nlive);
	}
	while (nlive)
		uid_share_give(&s, uids[live[--nlive]]);
	assert_empty(&s);
	uid_share_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_share_is_half),
		cmocka_unit_test(test_refused_at_share),
		cmocka_unit_test(test_one_flow),
		cmocka_unit_test(test_give_unknown),
		cmocka_unit_test(test_against_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
