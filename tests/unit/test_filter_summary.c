// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The table summary a proxy's own connect reads to skip the filter walk
 * (lib/filter_table.c, filter_summary; bpf/classify.h, walk_needless): which
 * services have redirect filters, and how many filters are anything else.
 * A service handle the bit mask cannot hold counts as "anything else", so
 * that the walk is never skipped on its account.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>
#include "../../lib/internal.h"

static struct lwfp_filter redirect(uint32_t service)
{
	return (struct lwfp_filter){ .action = LWFP_ACT_REDIRECT, .service = service };
}

static void test_services_and_others(void **state)
{
	struct lwfp_filter fs[] = {
		redirect(1), redirect(3), redirect(3), redirect(LWFP_MAX_SERVICES),
		{ .action = LWFP_ACT_PERMIT }, { .action = LWFP_ACT_BLOCK },
	};
	struct lwfp_config cfg;

	(void)state;
	memset(&cfg, 0xff, sizeof(cfg));
	filter_summary(&cfg, 1, fs, 6);
	assert_int_equal(cfg.redirect_services[1], 0x8000000000000005ull);
	assert_int_equal(cfg.other_filters[1], 2);
	/* The other half is not touched. */
	assert_int_equal(cfg.other_filters[0], 0xffffffffu);
	filter_summary(&cfg, 0, fs, 4);
	assert_int_equal(cfg.redirect_services[0], 0x8000000000000005ull);
	assert_int_equal(cfg.other_filters[0], 0);
	filter_summary(&cfg, 0, fs, 0);
	assert_int_equal(cfg.redirect_services[0], 0);
	assert_int_equal(cfg.other_filters[0], 0);
}

static void test_bad_handles_force_the_walk(void **state)
{
	struct lwfp_filter fs[] = { redirect(0), redirect(LWFP_MAX_SERVICES + 1), redirect(2) };
	struct lwfp_config cfg;

	(void)state;
	filter_summary(&cfg, 0, fs, 3);
	assert_int_equal(cfg.redirect_services[0], 2);
	assert_int_equal(cfg.other_filters[0], 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_services_and_others),
		cmocka_unit_test(test_bad_handles_force_the_walk),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
