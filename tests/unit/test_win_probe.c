// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* lib/win/probe.c: what a bad pointer from a caller looks like to the layer. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <sys/mman.h>

#include "../../lib/win/lwfp_win_internal.h"

#define PAGE 4096

static void test_plain_buffers(void **state)
{
	char buf[64] = "keep";

	(void)state;
	assert_true(win_probe_read(buf, sizeof(buf)));
	assert_true(win_probe_write(buf, sizeof(buf)));
	assert_string_equal(buf, "keep"); /* the write probe keeps contents */
	assert_true(win_probe_read(NULL, 0));
	assert_false(win_probe_read(NULL, 1));
	assert_false(win_probe_write(NULL, 4));
	assert_false(win_probe_read((void *)16, 4));
	assert_false(win_probe_read((void *)UINTPTR_MAX, 2)); /* wraps around */
}

/* Three pages: readable, read-only, none; probes that cross them. */
static void test_protections(void **state)
{
	char *m = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	(void)state;
	assert_true(m != MAP_FAILED);
	assert_int_equal(mprotect(m + PAGE, PAGE, PROT_READ), 0);
	assert_int_equal(mprotect(m + 2 * PAGE, PAGE, PROT_NONE), 0);
	assert_true(win_probe_write(m, PAGE));
	assert_true(win_probe_read(m, 2 * PAGE));
	assert_false(win_probe_write(m + PAGE - 1, 2)); /* second byte read-only */
	assert_true(win_probe_read(m + PAGE, PAGE));
	assert_false(win_probe_read(m + 2 * PAGE - 1, 2));
	assert_false(win_probe_read(m + 2 * PAGE, 1));
	assert_false(win_probe_read(m, 3 * PAGE)); /* only the last page is bad */
	assert_int_equal(munmap(m, 3 * PAGE), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_buffers),
		cmocka_unit_test(test_protections),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
