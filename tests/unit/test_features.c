// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * lwfp_kernel_check: every feature row of docs/kernel.md, when missing,
 * gives its own one-line message naming the feature and the kernel that
 * brought it; this kernel has them all.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <lwfp/engine.h>

/* lib/features.c, internal to liblwfp. */
int lwfp__kernel_check_with(int (*probe)(const void *need, void *arg), void *arg, char *missing,
			    size_t size, size_t *rows);

struct fake {
	size_t fail; /* the row that is missing */
	size_t seen;
};

static int fake_probe(const void *need, void *arg)
{
	struct fake *f = arg;

	(void)need;
	return f->seen++ == f->fail ? 0 : 1;
}

static void test_every_row_named(void **state)
{
	char msgs[64][160];
	struct fake f = { .fail = (size_t)-1 };
	size_t rows = 0, i, j;

	(void)state;
	assert_int_equal(lwfp__kernel_check_with(fake_probe, &f, msgs[0], sizeof(msgs[0]), &rows), 0);
	assert_true(rows > 10 && rows <= 64);
	assert_int_equal(f.seen, rows);
	for (i = 0; i < rows; i++) {
		f = (struct fake){ .fail = i };
		memset(msgs[i], 0, sizeof(msgs[i]));
		assert_int_equal(lwfp__kernel_check_with(fake_probe, &f, msgs[i], sizeof(msgs[i]), NULL),
				 -EOPNOTSUPP);
		assert_int_equal(f.seen, i + 1); /* stops at the first missing row */
		assert_non_null(strstr(msgs[i], "(Linux "));
		assert_null(strchr(msgs[i], '\n'));
		for (j = 0; j < i; j++)
			assert_string_not_equal(msgs[i], msgs[j]);
	}
	/* A short buffer is cut, still terminated. */
	f = (struct fake){ .fail = 0 };
	memset(msgs[0], 'x', sizeof(msgs[0]));
	assert_int_equal(lwfp__kernel_check_with(fake_probe, &f, msgs[0], 8, NULL), -EOPNOTSUPP);
	assert_int_equal(strlen(msgs[0]), 7);
}

static void test_this_kernel(void **state)
{
	char missing[160] = "";

	(void)state;
	if (geteuid() != 0)
		skip(); /* the probes load programs */
	/*
	 * Under valgrind, libbpf's helper probe reads the verifier log that the
	 * bpf() system call wrote, which memcheck does not know about; the
	 * sanitized run covers this test.
	 */
	if (getenv("LD_PRELOAD") && strstr(getenv("LD_PRELOAD"), "vgpreload"))
		skip();
	assert_int_equal(lwfp_kernel_check(missing, sizeof(missing)), 0);
	assert_string_equal(missing, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_row_named),
		cmocka_unit_test(test_this_kernel),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
