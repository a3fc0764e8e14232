// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unit tests for the edges of lwfpctl's filter options
 * (tools/common/filter_opts.c, cmd_filter.c, util.c):
 *   - --dport takes a list, one filter per item, and refuses empty items,
 *     reversed ranges, ports over 65535 and more than FILTER_MAX_DPORTS items;
 *   - --dst with host bits set is refused, naming the network it would be;
 *   - a --to of the other family than --family or --dst, or an IPv6 --to
 *     for UDP, is refused;
 *   - an option whose value is missing does not take the next option;
 *   - with -j, an error is one {"error": "..."} line;
 *   - --app takes an absolute path to a regular file, as its inode and the
 *     kernel's encoding of its device, and refuses the rest in one line;
 *   - --host normalises its pattern and hashes it, and refuses a second
 *     --host and patterns that are not names.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cmocka.h>

#include <lwfp/parse.h>

#include "../../tools/common/filter_opts.h"
#include "../../tools/lwfpctl/lwfpctl.h"

/* filter_spec_opt on a fresh spec: its result, with *s kept for checks. */
static int opt(struct filter_spec *s, int code, const char *arg)
{
	filter_spec_init(s);
	return filter_spec_opt(s, code, arg);
}

static void test_host(void **state)
{
	static const char *const bad[] = { "", "*", "*.", ".a", "a..b", "a.*.b", "a b", "a/b" };
	char norm[LWFP_HOST_PATTERN_MAX];
	struct filter_spec s;
	uint64_t h;
	size_t i;

	(void)state;
	assert_int_equal(opt(&s, FOPT_HOST, "*.Example.TEST."), 1);
	assert_true(s.f.conds & LWFP_COND_HOST);
	assert_string_equal(s.f.host, "*.example.test");
	assert_int_equal(lwfp_host_pattern("*.example.test", norm, &h), 0);
	assert_true(s.f.host_hash == h);
	assert_int_equal(filter_spec_opt(&s, FOPT_HOST, "other.test"), -EINVAL);
	assert_non_null(strstr(s.err, "one pattern a filter"));
	assert_string_equal(s.f.host, "*.example.test");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(opt(&s, FOPT_HOST, bad[i]), -EINVAL);
		assert_non_null(strstr(s.err, "bad --host value"));
		assert_false(s.f.conds & LWFP_COND_HOST);
	}
}

static void test_dport_list(void **state)
{
	struct filter_spec s;
	struct lwfp_filter_spec f;

	(void)state;
	assert_int_equal(opt(&s, FOPT_DPORT, "80"), 1);
	assert_int_equal(filter_spec_count(&s), 1);
	assert_int_equal(s.f.dport_lo, 80);
	assert_int_equal(opt(&s, FOPT_DPORT, "80,443,8000-8099"), 1);
	assert_int_equal(filter_spec_count(&s), 3);
	filter_spec_nth(&s, 1, &f);
	assert_int_equal(f.dport_lo, 443);
	assert_int_equal(f.dport_hi, 443);
	filter_spec_nth(&s, 2, &f);
	assert_int_equal(f.dport_lo, 8000);
	assert_int_equal(f.dport_hi, 8099);
	assert_true(f.conds & LWFP_COND_DPORT);
}

static void test_dport_refused(void **state)
{
	static const char *const bad[] = { "", ",", "80,", ",80", "80,,443", "90-80", "65536",
					   "-1", "80;443", "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17" };
	struct filter_spec s;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(opt(&s, FOPT_DPORT, bad[i]), -EINVAL);
		assert_non_null(strstr(s.err, "--dport"));
	}
	assert_non_null(strstr(s.err, "at most 16"));
}

static void test_dst_host_bits(void **state)
{
	struct filter_spec s;

	(void)state;
	assert_int_equal(opt(&s, FOPT_DST, "198.18.0.0/15"), 1);
	assert_int_equal(opt(&s, FOPT_DST, "198.18.1.0/15"), -EINVAL);
	assert_string_equal(s.err,
			    "--dst '198.18.1.0/15' has host bits set: the network is 198.18.0.0/15");
	assert_int_equal(opt(&s, FOPT_DST, "2001:db8::1/32"), -EINVAL);
	assert_non_null(strstr(s.err, "the network is 2001:db8::/32"));
	assert_int_equal(opt(&s, FOPT_DST, "198.18.0.7"), 1);
	assert_int_equal(s.f.dst_plen, 32);
}

/*
 * The spec of conditions (an FOPT_ code and value, or 0), for TCP only when
 * tcp is set, checked against to.
 */
static int check_to_proto(bool tcp, int code, const char *arg, const char *to)
{
	struct filter_spec s;
	struct lwfp_addr a;

	filter_spec_init(&s);
	if (tcp)
		assert_int_equal(filter_spec_opt(&s, FOPT_PROTO, "tcp"), 1);
	if (code)
		assert_int_equal(filter_spec_opt(&s, code, arg), 1);
	assert_int_equal(filter_spec_finish(&s), 0);
	assert_int_equal(lwfp_parse_addr_port(to, &a), 0);
	return filter_spec_check_to(&s, &a, to);
}

static int check_to(int code, const char *arg, const char *to)
{
	return check_to_proto(false, code, arg, to);
}

static void test_to_family(void **state)
{
	(void)state;
	assert_int_equal(check_to_proto(true, FOPT_FAMILY, "6", "127.0.0.1:15001"), -EINVAL);
	assert_int_equal(check_to(FOPT_FAMILY, "4", "[::1]:15001"), -EINVAL);
	assert_int_equal(check_to_proto(true, FOPT_DST, "2001:db8::/32", "127.0.0.1:15001"),
			 -EINVAL);
	assert_int_equal(check_to(FOPT_DST, "198.18.0.0/15", "[::1]:15001"), -EINVAL);
	assert_int_equal(check_to(FOPT_FAMILY, "6", "[::1]:15001"), 0);
	assert_int_equal(check_to(FOPT_DST, "198.18.0.0/15", "127.0.0.1:15001"), 0);
	assert_int_equal(check_to(0, NULL, "[::1]:15001"), 0);
	assert_int_equal(check_to(FOPT_PROTO, "udp", "[::1]:15001"), -EINVAL);
	assert_int_equal(check_to(FOPT_PROTO, "udp", "127.0.0.1:15001"), 0);
	/* IPv6 UDP flows go to an IPv4 target; without --proto UDP may apply. */
	assert_int_equal(check_to(FOPT_FAMILY, "6", "127.0.0.1:15001"), 0);
	assert_int_equal(check_to(FOPT_DST, "2001:db8::/32", "127.0.0.1:15001"), 0);
}

/* filter_add_args over "add ARGS...": its status. */
static int add_args(struct filter_spec *s, char **args)
{
	struct ctl c = { 0 };
	const char *service;
	int argc = 0;

	while (args[argc])
		argc++;
	return filter_add_args(&c, argc, args, s, &service);
}

static void test_missing_value(void **state)
{
	char *swallow[] = { "add", "--service", "x", "--dport", "--to", "1.2.3.4:5", NULL };
	char *list[] = { "add", "--block", "--dport", "80,443", NULL };
	char *equals[] = { "add", "--block", "--dport=--to", NULL };
	struct filter_spec s;

	(void)state;
	assert_int_equal(add_args(&s, swallow), CTL_EXIT_FAIL);
	assert_int_equal(add_args(&s, list), CTL_CONTINUE);
	assert_int_equal(filter_spec_count(&s), 2);
	/* Given with '=', the value is taken, and then refused as a port. */
	assert_int_equal(add_args(&s, equals), CTL_EXIT_FAIL);
}

static void test_json_error(void **state)
{
	char buf[128] = "";
	FILE *tmp = tmpfile();
	int saved = dup(STDERR_FILENO);

	(void)state;
	assert_non_null(tmp);
	assert_true(saved >= 0);
	assert_true(dup2(fileno(tmp), STDERR_FILENO) >= 0);
	ctl_json_errors = true;
	ctl_err("no service named '%s'", "a\"b");
	ctl_json_errors = false;
	fflush(stderr);
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	rewind(tmp);
	assert_non_null(fgets(buf, sizeof(buf), tmp));
	fclose(tmp);
	assert_string_equal(buf, "{\"error\":\"no service named 'a\\\"b'\"}\n");
}

/* The kernel's MKDEV: 12 bits of major above 20 of minor. */
static void test_kernel_dev(void **state)
{
	(void)state;
	assert_int_equal(lwfp_kernel_dev(makedev(8, 1)), (8u << 20) | 1);
	assert_int_equal(lwfp_kernel_dev(makedev(0, 37)), 37);
	assert_int_equal(lwfp_kernel_dev(makedev(259, 300)), (259u << 20) | 300);
}

static void test_app(void **state)
{
	static char exe[4096];
	struct filter_spec s;
	struct stat st;
	ssize_t n;

	(void)state;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	assert_true(n > 0);
	exe[n] = 0;
	assert_int_equal(stat(exe, &st), 0);
	assert_int_equal(opt(&s, FOPT_APP, exe), 1);
	assert_true(s.f.conds & LWFP_COND_APP);
	assert_int_equal(s.f.app_ino[0], st.st_ino);
	assert_int_equal(s.f.app_dev[0], lwfp_kernel_dev(st.st_dev));
	assert_int_equal(s.f.app_ino[1], 0);
	assert_string_equal(s.app, exe);
	assert_int_equal(opt(&s, FOPT_APP, "bin/true"), -EINVAL);
	assert_non_null(strstr(s.err, "not an absolute path"));
	assert_int_equal(opt(&s, FOPT_APP, "/"), -EINVAL);
	assert_non_null(strstr(s.err, "not a regular file"));
	assert_int_equal(opt(&s, FOPT_APP, "/nonexistent/lwfp-app"), -ENOENT);
	assert_non_null(strstr(s.err, "--app '/nonexistent/lwfp-app'"));
	memset(exe, 'a', LWFP_APP_PATH_MAX);
	exe[0] = '/';
	exe[LWFP_APP_PATH_MAX] = 0;
	assert_int_equal(opt(&s, FOPT_APP, exe), -EINVAL);
	assert_non_null(strstr(s.err, "longer than"));
	assert_null(strchr(s.err, '\n'));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dport_list),    cmocka_unit_test(test_dport_refused),
		cmocka_unit_test(test_dst_host_bits), cmocka_unit_test(test_to_family),
		cmocka_unit_test(test_missing_value), cmocka_unit_test(test_json_error),
		cmocka_unit_test(test_kernel_dev),    cmocka_unit_test(test_app),
		cmocka_unit_test(test_host),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
