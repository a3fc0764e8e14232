// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * lwfp-inspect's offload budget (tools/lwfp-inspect/budget.c): room, each
 * user's share, root and the unknown user, and that everything taken is
 * given back.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>

#include "../../tools/lwfp-inspect/budget.h"

#define MIB (UINT64_C(1) << 20)

static void test_init_refuses_no_room(void **state)
{
	struct budget b;

	(void)state;
	assert_int_equal(budget_init(&b, 7 * MIB, 8 * MIB), -EINVAL);
	assert_int_equal(budget_init(&b, 8 * MIB, 0), -EINVAL);
	assert_int_equal(budget_init(&b, 8 * MIB, 8 * MIB), 0);
	assert_int_equal(b.slots, 1);
	assert_int_equal(b.shares.max, 1); /* half of one flow rounds up to one */
	budget_destroy(&b);
	budget_destroy(&b); /* twice is harmless */
}

/* Four flows: a user may hold two; root has no share but takes room. */
static void test_share_and_room(void **state)
{
	struct budget b;

	(void)state;
	assert_int_equal(budget_init(&b, 32 * MIB, 8 * MIB), 0);
	assert_int_equal(budget_take(&b, 1000), 0);
	assert_int_equal(budget_take(&b, 1000), 0);
	assert_int_equal(budget_take(&b, 1000), -EDQUOT);
	assert_int_equal(budget_take(&b, BUDGET_UID_UNKNOWN), 0);
	assert_int_equal(budget_take(&b, 0), 0);
	assert_int_equal(budget_take(&b, 0), -ENOBUFS);
	assert_int_equal(budget_take(&b, 1001), -ENOBUFS);
	budget_give(&b, 1000);
	assert_int_equal(budget_take(&b, 1001), 0);
	budget_destroy(&b);
}

/* The unknown user is one user: it has a share like any other. */
static void test_unknown_has_a_share(void **state)
{
	struct budget b;

	(void)state;
	assert_int_equal(budget_init(&b, 40 * MIB, 8 * MIB), 0);
	assert_int_equal(budget_take(&b, BUDGET_UID_UNKNOWN), 0);
	assert_int_equal(budget_take(&b, BUDGET_UID_UNKNOWN), 0);
	assert_int_equal(budget_take(&b, BUDGET_UID_UNKNOWN), -EDQUOT);
	budget_destroy(&b);
}

/* Many users come and go in any order: nothing is left held. */
static void test_all_given_back(void **state)
{
	struct budget b;
	uint32_t uid;

	(void)state;
	assert_int_equal(budget_init(&b, 64 * MIB, 2 * MIB), 0);
	for (uid = 1; uid <= 32; uid++)
		assert_int_equal(budget_take(&b, uid), 0);
	assert_int_equal(budget_take(&b, 33), -ENOBUFS);
	for (uid = 1; uid <= 32; uid += 2)
		budget_give(&b, uid);
	for (uid = 32; uid >= 2; uid -= 2)
		budget_give(&b, uid);
	assert_int_equal(b.used, 0);
	assert_int_equal(b.shares.uids, 0);
	for (uid = 0; uid < 16; uid++)
		assert_int_equal(budget_take(&b, 7), 0);
	assert_int_equal(budget_take(&b, 7), -EDQUOT);
	budget_destroy(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_refuses_no_room),
		cmocka_unit_test(test_share_and_room),
		cmocka_unit_test(test_unknown_has_a_share),
		cmocka_unit_test(test_all_given_back),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
