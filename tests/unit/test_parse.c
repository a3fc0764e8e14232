// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unit tests for lib/parse.c. Every failure case also checks the output was
 * left alone, because callers rely on that to keep their defaults.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include <lwfp/parse.h>

#define SENTINEL 0xa5

/* ---- lwfp_parse_u32 ---------------------------------------------------- */

static void test_u32_valid(void **state)
{
	uint32_t v;

	(void)state;
	assert_int_equal(lwfp_parse_u32("0", 10, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(lwfp_parse_u32("10", 10, &v), 0);
	assert_int_equal(v, 10);
	assert_int_equal(lwfp_parse_u32("4294967295", UINT32_MAX, &v), 0);
	assert_int_equal(v, UINT32_MAX);
	assert_int_equal(lwfp_parse_u32("007", 10, &v), 0);
	assert_int_equal(v, 7);
}

static void test_u32_invalid(void **state)
{
	static const char *const bad[] = {
		"", " 1", "1 ", "+1", "-1", "-0", "1a", "a1", "0x10", "1.0",
		"11", "4294967296", "99999999999999999999999", "1\n", "\t1",
	};
	uint32_t v = 0xdeadbeef;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (lwfp_parse_u32(bad[i], 10, &v) != -EINVAL)
			fail_msg("accepted \"%s\"", bad[i]);
		assert_int_equal(v, 0xdeadbeef);
	}
	/* Overflow must fail even when the max is the whole type. */
	assert_int_equal(lwfp_parse_u32("4294967296", UINT32_MAX, &v), -EINVAL);
	assert_int_equal(lwfp_parse_u32("18446744073709551616", UINT32_MAX, &v),
			 -EINVAL);
	assert_int_equal(v, 0xdeadbeef);
	assert_int_equal(lwfp_parse_u32(NULL, 10, &v), -EINVAL);
	assert_int_equal(v, 0xdeadbeef);
}

/* ---- lwfp_parse_addr_port ---------------------------------------------- */

static void test_addr_port_v4(void **state)
{
	struct lwfp_addr a;

	(void)state;
	memset(&a, SENTINEL, sizeof(a));
	assert_int_equal(lwfp_parse_addr_port("198.18.0.1:80", &a), 0);
	assert_int_equal(a.family, LWFP_AF_INET);
	assert_int_equal(a.ip[0], htonl(0xc6120001));
	assert_int_equal(a.ip[1], 0);
	assert_int_equal(a.ip[2], 0);
	assert_int_equal(a.ip[3], 0);
	assert_int_equal(a.port, htons(80));
	assert_int_equal(a.pad, 0);

	assert_int_equal(lwfp_parse_addr_port("0.0.0.0:1", &a), 0);
	assert_int_equal(a.port, htons(1));
	assert_int_equal(lwfp_parse_addr_port("255.255.255.255:65535", &a), 0);
	assert_int_equal(a.ip[0], 0xffffffff);
	assert_int_equal(a.port, htons(65535));
}

static void test_addr_port_v6(void **state)
{
	struct in6_addr want;
	struct lwfp_addr a;

	(void)state;
	memset(&a, SENTINEL, sizeof(a));
	assert_int_equal(lwfp_parse_addr_port("[2001:db8::1]:8080", &a), 0);
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::1", &want), 1);
	assert_int_equal(a.family, LWFP_AF_INET6);
	assert_memory_equal(a.ip, &want, 16);
	assert_int_equal(a.port, htons(8080));
	assert_int_equal(a.pad, 0);

	assert_int_equal(lwfp_parse_addr_port("[::1]:1", &a), 0);
	assert_int_equal(a.ip[3], htonl(1));
}

static void test_addr_port_v4_mapped(void **state)
{
	struct lwfp_addr a;

	(void)state;
	assert_int_equal(lwfp_parse_addr_port("[::ffff:127.0.0.1]:80", &a), 0);
	/* Mapped stays v6: the caller asked for a v6 socket address. */
	assert_int_equal(a.family, LWFP_AF_INET6);
	assert_int_equal(a.ip[0], 0);
	assert_int_equal(a.ip[1], 0);
	assert_int_equal(a.ip[2], htonl(0x0000ffff));
	assert_int_equal(a.ip[3], htonl(0x7f000001));
	assert_int_equal(a.port, htons(80));
}

static void test_addr_port_invalid(void **state)
{
	static const char *const bad[] = {
		"",
		":",
		"garbage",
		"198.18.0.1",
		"198.18.0.1:",
		"198.18.0.1:0",
		"198.18.0.1:65536",
		"198.18.0.1:99999999999",
		"198.18.0.1:-1",
		"198.18.0.1:+80",
		"198.18.0.1: 80",
		"198.18.0.1:80 ",
		" 198.18.0.1:80",
		"198.18.0.1:80x",
		"198.18.0.1:0x50",
		"198.18.0.256:80",
		"198.18.0:80",
		"198.18.0.01:80",
		":80",
		"2001:db8::1:80",
		"::1:80",
		"[2001:db8::1]",
		"[2001:db8::1]:",
		"[2001:db8::1]:0",
		"[2001:db8::1]:65536",
		"[2001:db8::1]80",
		"[2001:db8::1:80",
		"2001:db8::1]:80",
		"[]:80",
		"[198.18.0.1]:80",
		"[fe80::1%eth0]:80",
		"[2001:db8::g]:80",
		"[::1]]:80",
		"[[::1]]:80",
		"198.18.0.1:80:80",
		"[0000:0000:0000:0000:0000:0000:0000:0000:0000]:80",
	};
	struct lwfp_addr a, orig;
	size_t i;

	(void)state;
	memset(&a, SENTINEL, sizeof(a));
	orig = a;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (lwfp_parse_addr_port(bad[i], &a) != -EINVAL)
			fail_msg("accepted \"%s\"", bad[i]);
		assert_memory_equal(&a, &orig, sizeof(a));
	}
	assert_int_equal(lwfp_parse_addr_port(NULL, &a), -EINVAL);
	assert_memory_equal(&a, &orig, sizeof(a));
}

/* ---- lwfp_parse_prefix ------------------------------------------------- */

static void test_prefix_v4(void **state)
{
	uint32_t ip[4];
	uint8_t fam, plen;

	(void)state;
	memset(ip, SENTINEL, sizeof(ip));
	assert_int_equal(lwfp_parse_prefix("198.18.0.0/15", ip, &fam, &plen), 0);
	assert_int_equal(fam, LWFP_AF_INET);
	assert_int_equal(plen, 15);
	assert_int_equal(ip[0], htonl(0xc6120000));
	assert_int_equal(ip[1], 0);
	assert_int_equal(ip[2], 0);
	assert_int_equal(ip[3], 0);

	assert_int_equal(lwfp_parse_prefix("10.1.2.3", ip, &fam, &plen), 0);
	assert_int_equal(plen, 32);
	assert_int_equal(ip[0], htonl(0x0a010203));

	assert_int_equal(lwfp_parse_prefix("10.1.2.3/32", ip, &fam, &plen), 0);
	assert_int_equal(plen, 32);
	assert_int_equal(ip[0], htonl(0x0a010203));

	assert_int_equal(lwfp_parse_prefix("10.1.2.3/0", ip, &fam, &plen), 0);
	assert_int_equal(plen, 0);
	assert_int_equal(ip[0], 0);
}

static void test_prefix_v4_host_bits_masked(void **state)
{
	uint32_t ip[4];
	uint8_t fam, plen;

	(void)state;
	assert_int_equal(lwfp_parse_prefix("198.19.255.255/15", ip, &fam, &plen), 0);
	assert_int_equal(plen, 15);
	assert_int_equal(ip[0], htonl(0xc6120000));

	assert_int_equal(lwfp_parse_prefix("10.1.2.3/24", ip, &fam, &plen), 0);
	assert_int_equal(ip[0], htonl(0x0a010200));

	assert_int_equal(lwfp_parse_prefix("10.1.2.3/31", ip, &fam, &plen), 0);
	assert_int_equal(ip[0], htonl(0x0a010202));
}

static void test_prefix_v6(void **state)
{
	struct in6_addr want;
	uint32_t ip[4];
	uint8_t fam, plen;

	(void)state;
	assert_int_equal(lwfp_parse_prefix("2001:db8::/32", ip, &fam, &plen), 0);
	assert_int_equal(fam, LWFP_AF_INET6);
	assert_int_equal(plen, 32);
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::", &want), 1);
	assert_memory_equal(ip, &want, 16);

	assert_int_equal(lwfp_parse_prefix("2001:db8::1", ip, &fam, &plen), 0);
	assert_int_equal(plen, 128);
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::1", &want), 1);
	assert_memory_equal(ip, &want, 16);

	/* Host bits in several words, cut mid-word. */
	assert_int_equal(lwfp_parse_prefix("2001:db8:ffff:ffff:ffff::1/36", ip,
					   &fam, &plen), 0);
	assert_int_equal(plen, 36);
	assert_int_equal(inet_pton(AF_INET6, "2001:db8:f000::", &want), 1);
	assert_memory_equal(ip, &want, 16);

	assert_int_equal(lwfp_parse_prefix("::/0", ip, &fam, &plen), 0);
	assert_int_equal(plen, 0);
	assert_int_equal(ip[0] | ip[1] | ip[2] | ip[3], 0);

	assert_int_equal(lwfp_parse_prefix("::ffff:1.2.3.4/128", ip, &fam, &plen), 0);
	assert_int_equal(fam, LWFP_AF_INET6);
	assert_int_equal(ip[2], htonl(0x0000ffff));
	assert_int_equal(ip[3], htonl(0x01020304));

	assert_int_equal(lwfp_parse_prefix("ffff::/1", ip, &fam, &plen), 0);
	assert_int_equal(ip[0], htonl(0x80000000));
}

static void test_prefix_invalid(void **state)
{
	static const char *const bad[] = {
		"",
		"/",
		"/24",
		"garbage",
		"10.0.0.0/",
		"10.0.0.0/33",
		"10.0.0.0/-1",
		"10.0.0.0/+8",
		"10.0.0.0/8 ",
		" 10.0.0.0/8",
		"10.0.0.0/8x",
		"10.0.0.0/8/8",
		"10.0.0.0/4294967304",
		"10.0.0/8",
		"10.0.0.256/8",
		"2001:db8::/129",
		"2001:db8::/",
		"2001:db8::g/32",
		"[2001:db8::]/32",
		"2001:db8::/ 32",
		"1.2.3.4:80",
	};
	uint32_t ip[4], oip[4];
	uint8_t fam = 0x5a, plen = 0x5a;
	size_t i;

	(void)state;
	memset(ip, SENTINEL, sizeof(ip));
	memcpy(oip, ip, sizeof(ip));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (lwfp_parse_prefix(bad[i], ip, &fam, &plen) != -EINVAL)
			fail_msg("accepted \"%s\"", bad[i]);
		assert_memory_equal(ip, oip, sizeof(ip));
		assert_int_equal(fam, 0x5a);
		assert_int_equal(plen, 0x5a);
	}
}

/* ---- lwfp_parse_range -------------------------------------------------- */

static void test_range_valid(void **state)
{
	uint32_t lo, hi;

	(void)state;
	assert_int_equal(lwfp_parse_range("80", 65535, &lo, &hi), 0);
	assert_int_equal(lo, 80);
	assert_int_equal(hi, 80);
	assert_int_equal(lwfp_parse_range("1000-2000", 65535, &lo, &hi), 0);
	assert_int_equal(lo, 1000);
	assert_int_equal(hi, 2000);
	assert_int_equal(lwfp_parse_range("5-5", 65535, &lo, &hi), 0);
	assert_int_equal(lo, 5);
	assert_int_equal(hi, 5);
	assert_int_equal(lwfp_parse_range("0-65535", 65535, &lo, &hi), 0);
	assert_int_equal(lo, 0);
	assert_int_equal(hi, 65535);
	assert_int_equal(lwfp_parse_range("0-4294967295", UINT32_MAX, &lo, &hi), 0);
	assert_int_equal(hi, UINT32_MAX);
}

static void test_range_invalid(void **state)
{
	static const char *const bad[] = {
		"", "-", "-5", "5-", "2000-1000", "65536", "1-65536", "65536-65537",
		"1--2", "1-2-3", " 1-2", "1-2 ", "1 -2", "1- 2", "+1-2", "1-+2",
		"a-b", "1-b", "0x1-2", "1,2", "99999999999-1",
	};
	uint32_t lo = 0x11111111, hi = 0x22222222;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (lwfp_parse_range(bad[i], 65535, &lo, &hi) != -EINVAL)
			fail_msg("accepted \"%s\"", bad[i]);
		assert_int_equal(lo, 0x11111111);
		assert_int_equal(hi, 0x22222222);
	}
}

/* ---- lwfp_parse_uuid / lwfp_format_uuid -------------------------------- */

static const uint8_t uuid_bytes[16] = {
	0x12, 0x3e, 0x45, 0x67, 0xe8, 0x9b, 0x12, 0xd3,
	0xa4, 0x56, 0x42, 0x66, 0x14, 0x17, 0x40, 0x00,
};

static void test_uuid_valid(void **state)
{
	uint8_t u[16];

	(void)state;
	assert_int_equal(lwfp_parse_uuid("123e4567-e89b-12d3-a456-426614174000", u), 0);
	assert_memory_equal(u, uuid_bytes, 16);
	memset(u, 0, sizeof(u));
	assert_int_equal(lwfp_parse_uuid("123E4567-E89B-12D3-A456-426614174000", u), 0);
	assert_memory_equal(u, uuid_bytes, 16);
	assert_int_equal(lwfp_parse_uuid("123e4567-E89B-12d3-A456-426614174000", u), 0);
	assert_memory_equal(u, uuid_bytes, 16);
}

static void test_uuid_invalid(void **state)
{
	static const char *const bad[] = {
		"",
		"garbage",
		"123e4567-e89b-12d3-a456-42661417400",   /* short */
		"123e4567-e89b-12d3-a456-4266141740000", /* long */
		"123e4567e89b12d3a456426614174000",      /* no dashes */
		"123e4567-e89b12d3-a456-4266141740000",  /* one missing */
		"123e4567-e89b-12d3-a456_426614174000",  /* wrong separator */
		"123e456-7e89b-12d3-a456-426614174000",  /* dash moved */
		"123e4567-e89b-12d3-a456-42661417400g",  /* bad char */
		"z23e4567-e89b-12d3-a456-426614174000",
		"123e4567-e89b-12d3-a456-42661417400 ",
		" 23e4567-e89b-12d3-a456-426614174000",
		"{23e4567-e89b-12d3-a456-42661417400}",
		"123e4567-e89b-12d3-a456-4266141740-0",
		"------------------------------------",
	};
	uint8_t u[16], orig[16];
	size_t i;

	(void)state;
	memset(u, SENTINEL, sizeof(u));
	memcpy(orig, u, sizeof(u));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (lwfp_parse_uuid(bad[i], u) != -EINVAL)
			fail_msg("accepted \"%s\"", bad[i]);
		assert_memory_equal(u, orig, sizeof(u));
	}
}

static void test_uuid_format_round_trip(void **state)
{
	uint8_t u[16], back[16];
	char s[37];
	size_t i;

	(void)state;
	memset(s, 'X', sizeof(s));
	lwfp_format_uuid(uuid_bytes, s);
	assert_string_equal(s, "123e4567-e89b-12d3-a456-426614174000");

	/* Uppercase in, lowercase out. */
	assert_int_equal(lwfp_parse_uuid("ABCDEF01-2345-6789-ABCD-EF0123456789", u), 0);
	lwfp_format_uuid(u, s);
	assert_string_equal(s, "abcdef01-2345-6789-abcd-ef0123456789");

	for (i = 0; i < 16; i++)
		u[i] = (uint8_t)(0xff - i * 17);
	lwfp_format_uuid(u, s);
	assert_int_equal(lwfp_parse_uuid(s, back), 0);
	assert_memory_equal(back, u, 16);
}

/* ---- lwfp_parse_hex ---------------------------------------------------- */

static void test_hex_valid(void **state)
{
	static const uint8_t want[] = { 0x00, 0x01, 0xab, 0xcd, 0xef, 0xff };
	uint8_t out[8];
	size_t len = 99;

	(void)state;
	assert_int_equal(lwfp_parse_hex("0001abCDeFfF", out, sizeof(out), &len), 0);
	assert_int_equal(len, 6);
	assert_memory_equal(out, want, 6);

	assert_int_equal(lwfp_parse_hex("7f", out, 1, &len), 0);
	assert_int_equal(len, 1);
	assert_int_equal(out[0], 0x7f);

	/* Exactly max bytes is allowed. */
	assert_int_equal(lwfp_parse_hex("0102030405060708", out, 8, &len), 0);
	assert_int_equal(len, 8);
	assert_int_equal(out[7], 8);
}

static void test_hex_invalid(void **state)
{
	static const char *const bad[] = {
		"", "0", "abc", "0x12", "0X12", "zz", "1g", "g1", " 12", "12 ",
		"12:34", "-1", "+1", "123456789abcdef012", /* 9 bytes > 8 */
	};
	uint8_t out[16], orig[16];
	size_t len = 1234;
	size_t i;

	(void)state;
	memset(out, SENTINEL, sizeof(out));
	memcpy(orig, out, sizeof(out));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (lwfp_parse_hex(bad[i], out, 8, &len) != -EINVAL)
			fail_msg("accepted \"%s\"", bad[i]);
		assert_memory_equal(out, orig, sizeof(out));
		assert_int_equal(len, 1234);
	}
	/* A bad digit late in the string must not leave a partial decode. */
	assert_int_equal(lwfp_parse_hex("aabbccdx", out, 8, &len), -EINVAL);
	assert_memory_equal(out, orig, sizeof(out));
	assert_int_equal(lwfp_parse_hex("aa", out, 0, &len), -EINVAL);
	assert_memory_equal(out, orig, sizeof(out));
	assert_int_equal(len, 1234);
}

/* ---- lwfp_format_addr_port --------------------------------------------- */

static void round_trip(const char *in, const char *want)
{
	struct lwfp_addr a, b;
	char s[64];

	assert_int_equal(lwfp_parse_addr_port(in, &a), 0);
	assert_int_equal(lwfp_format_addr_port(&a, s, sizeof(s)), 0);
	assert_string_equal(s, want);
	assert_int_equal(lwfp_parse_addr_port(s, &b), 0);
	assert_memory_equal(&a, &b, sizeof(a));
}

static void test_format_addr_port(void **state)
{
	(void)state;
	round_trip("198.18.0.1:80", "198.18.0.1:80");
	round_trip("255.255.255.255:65535", "255.255.255.255:65535");
	round_trip("[2001:db8::1]:80", "[2001:db8::1]:80");
	round_trip("[2001:0DB8:0:0:0:0:0:1]:443", "[2001:db8::1]:443");
	round_trip("[::1]:1", "[::1]:1");
	round_trip("[::ffff:127.0.0.1]:80", "[::ffff:127.0.0.1]:80");
	round_trip("[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535",
		   "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535");
}

static void test_format_addr_port_errors(void **state)
{
	struct lwfp_addr a;
	char s[64];

	(void)state;
	assert_int_equal(lwfp_parse_addr_port("198.18.0.1:80", &a), 0);
	/* "198.18.0.1:80" is 13 chars: 14 bytes fit, 13 do not. */
	assert_int_equal(lwfp_format_addr_port(&a, s, 14), 0);
	assert_string_equal(s, "198.18.0.1:80");
	memset(s, 'X', sizeof(s));
	assert_int_equal(lwfp_format_addr_port(&a, s, 13), -ENOSPC);
	assert_int_equal(lwfp_format_addr_port(&a, s, 1), -ENOSPC);
	assert_int_equal(lwfp_format_addr_port(&a, s, 0), -ENOSPC);
	assert_int_equal(s[0], 'X');
	assert_int_equal(s[12], 'X');

	assert_int_equal(lwfp_parse_addr_port("[2001:db8::1]:80", &a), 0);
	assert_int_equal(lwfp_format_addr_port(&a, s, 5), -ENOSPC);

	a.family = 0;
	assert_int_equal(lwfp_format_addr_port(&a, s, sizeof(s)), -EINVAL);
	a.family = 7;
	assert_int_equal(lwfp_format_addr_port(&a, s, sizeof(s)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_u32_valid),
		cmocka_unit_test(test_u32_invalid),
		cmocka_unit_test(test_addr_port_v4),
		cmocka_unit_test(test_addr_port_v6),
		cmocka_unit_test(test_addr_port_v4_mapped),
		cmocka_unit_test(test_addr_port_invalid),
		cmocka_unit_test(test_prefix_v4),
		cmocka_unit_test(test_prefix_v4_host_bits_masked),
		cmocka_unit_test(test_prefix_v6),
		cmocka_unit_test(test_prefix_invalid),
		cmocka_unit_test(test_range_valid),
		cmocka_unit_test(test_range_invalid),
		cmocka_unit_test(test_uuid_valid),
		cmocka_unit_test(test_uuid_invalid),
		cmocka_unit_test(test_uuid_format_round_trip),
		cmocka_unit_test(test_hex_valid),
		cmocka_unit_test(test_hex_invalid),
		cmocka_unit_test(test_format_addr_port),
		cmocka_unit_test(test_format_addr_port_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
