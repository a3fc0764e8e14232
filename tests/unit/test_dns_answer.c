// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unit tests for the data plane's DNS answer parser (bpf/dns_parse.h, run
 * here with its user-space driver) and for --host patterns
 * (lwfp_host_pattern): a pattern matches a learned name exactly when its
 * hash is among the name's hashes, so both sides are tested together.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include <lwfp/engine.h>

#include "../../bpf/dns_parse.h"

static struct dns_parse p;

static void put(const void *b, size_t n)
{
	assert_true(p.len + n <= sizeof(p.pkt));
	memcpy(p.pkt + p.len, b, n);
	p.len += n;
}

static void put16(uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	put(b, 2);
}

static void put_name(const char *name)
{
	const char *dot;
	uint8_t n;

	for (; *name; name = *dot ? dot + 1 : dot) {
		dot = strchrnul(name, '.');
		n = (uint8_t)(dot - name);
		put(&n, 1);
		put(name, n);
	}
	put("", 1);
}

static void header(uint16_t flags, uint16_t ancount)
{
	memset(&p, 0, sizeof(p));
	put16(0x1234);
	put16(flags);
	put16(1);
	put16(ancount);
	put16(0);
	put16(0);
}

static void question(const char *name)
{
	put_name(name);
	put16(DNS_TYPE_A);
	put16(DNS_CLASS_IN);
}

/* A record whose owner is a compression pointer to offset at. */
static void record(uint16_t at, uint16_t type, uint32_t ttl, const void *rd, uint16_t len)
{
	put16(0xc000 | at);
	put16(type);
	put16(DNS_CLASS_IN);
	put16(ttl >> 16);
	put16((uint16_t)ttl);
	put16(len);
	put(rd, len);
}

static bool matches(const char *pattern)
{
	char norm[LWFP_HOST_PATTERN_MAX];
	uint64_t h;
	uint32_t i;

	assert_int_equal(lwfp_host_pattern(pattern, norm, &h), 0);
	if (!(p.entry.bloom & (1ULL << (h & 63))))
		return false;
	for (i = 0; i < p.entry.nhashes; i++)
		if (p.entry.hashes[i] == h)
			return true;
	return false;
}

static const uint8_t a1[4] = { 198, 18, 0, 1 }, a2[4] = { 198, 18, 0, 2 };

/* A response for q with two A records, a1 (TTL 300) and a2 (TTL ttl2). */
static void two_answers(const char *q, uint32_t ttl2)
{
	header(0x8180, 2);
	question(q);
	record(DNS_HDR_LEN, DNS_TYPE_A, 300, a1, 4);
	record(DNS_HDR_LEN, DNS_TYPE_A, ttl2, a2, 4);
}

static void test_a_records(void **state)
{
	(void)state;
	two_answers("WWW.Example.test", 20);
	assert_int_equal(dns_parse_run(&p), 0);
	assert_string_equal(p.entry.name, "www.example.test");
	assert_int_equal(p.naddrs, 2);
	assert_int_equal(p.addrs[1].family, LWFP_AF_INET);
	assert_memory_equal(p.addrs[1].addr, a2, 4);
	assert_int_equal(p.entry.ttl, 20); /* the smallest */
	assert_true(matches("www.example.test"));
	assert_true(matches("*.example.test"));
	assert_true(matches("*.test"));
	assert_true(matches("WWW.EXAMPLE.TEST."));
	assert_false(matches("example.test"));
	assert_false(matches("*.www.example.test"));
	assert_false(matches("ww.example.test"));
}

static void test_aaaa(void **state)
{
	const uint8_t a6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };

	(void)state;
	header(0x8180, 1);
	question("v6.example.test");
	record(DNS_HDR_LEN, DNS_TYPE_AAAA, 60, a6, 16);
	assert_int_equal(dns_parse_run(&p), 0);
	assert_int_equal(p.addrs[0].family, LWFP_AF_INET6);
	assert_memory_equal(p.addrs[0].addr, a6, 16);
}

/* www.example.test CNAME cdn.other.test, cdn.other.test A: both names match. */
static void test_cname_chain(void **state)
{
	const uint8_t a[4] = { 198, 18, 1, 1 };
	uint16_t target;

	(void)state;
	header(0x8180, 2);
	question("www.example.test");
	put16(0xc000 | DNS_HDR_LEN);
	put16(5);
	put16(DNS_CLASS_IN);
	put16(0);
	put16(60);
	put16(16);
	target = (uint16_t)p.len;
	put_name("cdn.other.test");
	record(target, DNS_TYPE_A, 30, a, 4);
	assert_int_equal(dns_parse_run(&p), 0);
	assert_string_equal(p.entry.name, "www.example.test");
	assert_true(matches("www.example.test"));
	assert_true(matches("cdn.other.test"));
	assert_true(matches("*.other.test"));
	assert_false(matches("other.test"));
}

static void test_refused(void **state)
{
	const uint8_t *a = a1;

	(void)state;
	header(0x0100, 1); /* a query */
	question("www.example.test");
	record(DNS_HDR_LEN, DNS_TYPE_A, 300, a, 4);
	assert_int_equal(dns_parse_run(&p), -1);
	header(0x8183, 1); /* NXDOMAIN */
	question("www.example.test");
	record(DNS_HDR_LEN, DNS_TYPE_A, 300, a, 4);
	assert_int_equal(dns_parse_run(&p), -1);
	header(0x8180, 1); /* an address cut short */
	question("www.example.test");
	record(DNS_HDR_LEN, DNS_TYPE_A, 300, a, 4);
	p.len -= 2;
	assert_int_equal(dns_parse_run(&p), -1);
	header(0x8180, 1); /* a name that points at itself */
	put16(0xc000 | DNS_HDR_LEN);
	assert_int_equal(dns_parse_run(&p), -1);
}

/* A message cut after its first address keeps that address. */
static void test_cut_after_address(void **state)
{
	(void)state;
	two_answers("www.example.test", 300);
	p.len -= 6;
	assert_int_equal(dns_parse_run(&p), 0);
	assert_int_equal(p.naddrs, 1);
	assert_memory_equal(p.addrs[0].addr, a1, 4);
}

static void test_patterns(void **state)
{
	char out[LWFP_HOST_PATTERN_MAX], long_name[LWFP_HOST_PATTERN_MAX + 1];
	uint64_t h;

	(void)state;
	assert_int_equal(lwfp_host_pattern("*.Example.TEST.", out, &h), 0);
	assert_string_equal(out, "*.example.test");
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = 0;
	assert_int_equal(lwfp_host_pattern(long_name, out, &h), -EINVAL);
	assert_int_equal(lwfp_host_pattern("", out, &h), -EINVAL);
	assert_int_equal(lwfp_host_pattern("*", out, &h), -EINVAL);
	assert_int_equal(lwfp_host_pattern("*.", out, &h), -EINVAL);
	assert_int_equal(lwfp_host_pattern("a..b", out, &h), -EINVAL);
	assert_int_equal(lwfp_host_pattern("a.*.b", out, &h), -EINVAL);
	assert_int_equal(lwfp_host_pattern("a b", out, &h), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_records),   cmocka_unit_test(test_aaaa),
		cmocka_unit_test(test_cname_chain), cmocka_unit_test(test_refused),
		cmocka_unit_test(test_cut_after_address), cmocka_unit_test(test_patterns),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
