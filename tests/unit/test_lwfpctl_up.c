// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unit tests for the options of `lwfpctl up` (tools/lwfpctl/cmd_engine.c):
 * --max-flows-per-uid takes 1..LWFP_MAX_FLOWS, anything else is refused
 * with one message and the failure status; absent, it is 0 ("keep").
 * Without --cgroup, up says in one line that it attaches to the root.
 * --before and --after take a PROG each; both, or one twice, are refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../tools/lwfpctl/lwfpctl.h"

/* up_parse over "up ARGS...", as ctl_group hands it over. */
static int parse(struct up_args *a, struct ctl *c, const char *arg1, const char *arg2)
{
	char *argv[] = { "up", (char *)arg1, (char *)arg2, NULL };
	int argc = 1 + (arg1 != NULL) + (arg2 != NULL);

	*c = (struct ctl){ 0 };
	return up_parse(c, argc, argv, a);
}

static void test_absent_is_keep(void **state)
{
	struct up_args a;
	struct ctl c;

	(void)state;
	assert_int_equal(parse(&a, &c, "--cgroup", "/x"), CTL_CONTINUE);
	assert_string_equal(a.cgroup, "/x");
	assert_int_equal(a.max_flows_per_uid, 0);
}

static void test_valid_values(void **state)
{
	char max[16];
	struct up_args a;
	struct ctl c;

	(void)state;
	assert_int_equal(parse(&a, &c, "--max-flows-per-uid", "1"), CTL_CONTINUE);
	assert_int_equal(a.max_flows_per_uid, 1);
	assert_int_equal(parse(&a, &c, "--max-flows-per-uid=4096", "-j"), CTL_CONTINUE);
	assert_int_equal(a.max_flows_per_uid, 4096);
	assert_true(c.json);
	snprintf(max, sizeof(max), "%u", LWFP_MAX_FLOWS);
	assert_int_equal(parse(&a, &c, "--max-flows-per-uid", max), CTL_CONTINUE);
	assert_int_equal(a.max_flows_per_uid, LWFP_MAX_FLOWS);
}

static void test_refused_values(void **state)
{
	static char over[16];
	static const char *const bad[] = { "0", "-1", over, "4294967296", "12x", "", " 5",
					   "+5", "0x10" };
	struct up_args a;
	struct ctl c;
	size_t i;

	(void)state;
	snprintf(over, sizeof(over), "%u", LWFP_MAX_FLOWS + 1);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		print_message("--max-flows-per-uid '%s'\n", bad[i]);
		assert_int_equal(parse(&a, &c, "--max-flows-per-uid", bad[i]), CTL_EXIT_FAIL);
	}
	/* No value at all. */
	assert_int_equal(parse(&a, &c, "--max-flows-per-uid", NULL), CTL_EXIT_FAIL);
}

/*
 * `up` without --cgroup attaches to the v2 root: it says so in one line. An
 * integration test cannot show it, since tests never attach to the root.
 */
static void test_root_note(void **state)
{
	char buf[256] = "";
	FILE *f = fmemopen(buf, sizeof(buf) - 1, "w");

	(void)state;
	assert_non_null(f);
	up_note_root(f, "/sys/fs/cgroup");
	fclose(f);
	assert_string_equal(buf, "lwfpctl: attaching to the root cgroup /sys/fs/cgroup (every "
				 "process on this host); use --cgroup to scope it\n");
}

static void test_before_after(void **state)
{
	char *both[] = { "up", "--before", "42", "--after", "noop", NULL };
	char *twice[] = { "up", "--after", "a", "--after=b", NULL };
	struct up_args a;
	struct ctl c;

	(void)state;
	assert_int_equal(parse(&a, &c, "--before", "42"), CTL_CONTINUE);
	assert_string_equal(a.before, "42");
	assert_null(a.after);
	assert_int_equal(parse(&a, &c, "--after=/sys/fs/bpf/x/prog", NULL), CTL_CONTINUE);
	assert_string_equal(a.after, "/sys/fs/bpf/x/prog");
	assert_null(a.before);
	assert_int_equal(parse(&a, &c, "--after", NULL), CTL_EXIT_FAIL);
	c = (struct ctl){ 0 };
	assert_int_equal(up_parse(&c, 5, both, &a), CTL_EXIT_FAIL);
	assert_int_equal(up_parse(&c, 4, twice, &a), CTL_EXIT_FAIL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_absent_is_keep),
		cmocka_unit_test(test_valid_values),
		cmocka_unit_test(test_refused_values),
		cmocka_unit_test(test_root_note),
		cmocka_unit_test(test_before_after),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
