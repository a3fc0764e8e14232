/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The "ok NAME" / "FAIL NAME: why" lines of the test programs that check
 * many things in one run (lwfp-test-native, lwfp-test-win); the shell tests
 * read them, and `failures` decides the exit status. libc only.
 */
#ifndef LWFP_TESTS_REPORT_H
#define LWFP_TESTS_REPORT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

static int failures;

static inline void ok(const char *name)
{
	printf("ok %s\n", name);
}

static inline void vfail(const char *name, const char *fmt, va_list ap)
{
	printf("FAIL %s: ", name);
	vprintf(fmt, ap);
	printf("\n");
	failures++;
}

__attribute__((format(printf, 2, 3))) static inline void fail(const char *name, const char *fmt,
							       ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(name, fmt, ap);
	va_end(ap);
}

/* ok NAME when cond holds, else FAIL NAME with the message. */
__attribute__((format(printf, 3, 4))) static inline bool check(const char *name, bool cond,
								const char *fmt, ...)
{
	va_list ap;

	if (cond) {
		ok(name);
		return true;
	}
	va_start(ap, fmt);
	vfail(name, fmt, ap);
	va_end(ap);
	return false;
}

#endif /* LWFP_TESTS_REPORT_H */
