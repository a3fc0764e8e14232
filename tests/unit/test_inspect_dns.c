// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unit tests for lwfp-inspect's DNS query parser. The test links the
 * tool's dns.o: it is part of a tool, not of liblwfp. Every case that must fail
 * also checks that the outputs were left alone.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "../../tools/lwfp-inspect/dns.h"

#define SENTINEL "untouched"

/* ---- building messages -------------------------------------------------------- */

struct msg {
	uint8_t b[2048];
	size_t n;
};

static void put(struct msg *m, const void *p, size_t n)
{
	assert_true(m->n + n <= sizeof(m->b));
	memcpy(m->b + m->n, p, n);
	m->n += n;
}

static void put16(struct msg *m, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	put(m, b, 2);
}

static void header(struct msg *m, uint16_t flags, uint16_t qd, uint16_t an, uint16_t ns,
		   uint16_t ar)
{
	m->n = 0;
	put16(m, 0x1234);
	put16(m, flags);
	put16(m, qd);
	put16(m, an);
	put16(m, ns);
	put16(m, ar);
}

/* "www.example.com" as labels, with the root label. */
static void name(struct msg *m, const char *dotted)
{
	const char *p = dotted, *dot;
	uint8_t len;

	while (*p) {
		dot = strchr(p, '.');
		len = (uint8_t)(dot ? (size_t)(dot - p) : strlen(p));
		put(m, &len, 1);
		put(m, p, len);
		p += len + (dot ? 1 : 0);
	}
	put(m, "", 1);
}

static void label(struct msg *m, const void *bytes, uint8_t len)
{
	put(m, &len, 1);
	put(m, bytes, len);
}

static void pointer(struct msg *m, uint16_t to)
{
	put16(m, (uint16_t)(0xc000 | to));
}

/* The EDNS OPT record dig adds: root name, type 41, size, rcode/flags, no data. */
static void opt_rr(struct msg *m)
{
	static const uint8_t opt[] = { 0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0 };

	put(m, opt, sizeof(opt));
}

static void query(struct msg *m, const char *qname, uint16_t qtype, bool edns)
{
	header(m, 0x0100 /* RD */, 1, 0, 0, edns ? 1 : 0);
	name(m, qname);
	put16(m, qtype);
	put16(m, 1);
	if (edns)
		opt_rr(m);
}

static int parse(const struct msg *m, struct dns_query *q)
{
	strcpy(q->name, SENTINEL);
	q->qtype = 7;
	q->qclass = 7;
	return dns_parse_query(m->b, m->n, q);
}

static void assert_untouched(const struct dns_query *q)
{
	assert_string_equal(q->name, SENTINEL);
	assert_int_equal(q->qtype, 7);
	assert_int_equal(q->qclass, 7);
}

static void assert_rejected(const struct msg *m, int err)
{
	struct dns_query q;

	assert_int_equal(parse(m, &q), err);
	assert_untouched(&q);
}

/* ---- queries ---------------------------------------------------------------------- */

static void test_query_a(void **state)
{
	struct dns_query q;
	struct msg m;
	char buf[DNS_TYPE_NAME_MAX];

	(void)state;
	query(&m, "test.example", 1, false);
	assert_int_equal(parse(&m, &q), 0);
	assert_string_equal(q.name, "test.example");
	assert_int_equal(q.qtype, 1);
	assert_int_equal(q.qclass, 1);
	assert_string_equal(dns_type_name(q.qtype, buf), "A");
}

/* What dig sends: EDNS, the AD bit set. */
static void test_query_edns_ad(void **state)
{
	struct dns_query q;
	struct msg m;

	(void)state;
	query(&m, "www.example.com", 28, true);
	m.b[3] |= 0x20; /* AD */
	assert_int_equal(parse(&m, &q), 0);
	assert_string_equal(q.name, "www.example.com");
	assert_int_equal(q.qtype, 28);
}

static void test_lower_case(void **state)
{
	struct dns_query q;
	struct msg m;

	(void)state;
	/* Resolvers randomise the case (0x20 bits); names match lower-cased. */
	query(&m, "WwW.ExAmPlE.CoM", 1, false);
	assert_int_equal(parse(&m, &q), 0);
	assert_string_equal(q.name, "www.example.com");
}

static void test_root(void **state)
{
	struct dns_query q;
	struct msg m;

	(void)state;
	header(&m, 0, 1, 0, 0, 0);
	put(&m, "", 1);
	put16(&m, 2); /* NS */
	put16(&m, 1);
	assert_int_equal(parse(&m, &q), 0);
	assert_string_equal(q.name, ".");
}

static void test_escapes(void **state)
{
	static const uint8_t odd[] = { 'a', '.', 'b', ' ', 0x01, 0xff, '\\', '_', '-' };
	struct dns_query q;
	struct msg m;

	(void)state;
	header(&m, 0, 1, 0, 0, 0);
	label(&m, odd, sizeof(odd));
	label(&m, "com", 3);
	put(&m, "", 1);
	put16(&m, 16);
	put16(&m, 1);
	assert_int_equal(parse(&m, &q), 0);
	assert_string_equal(q.name, "a\\.b\\032\\001\\255\\092_-.com");
}

/* A name of exactly 255 octets on the wire is fine; one more is not. */
static void test_name_length(void **state)
{
	uint8_t l63[63], l61[61], l62[62];
	struct dns_query q;
	struct msg m;
	size_t n;

	(void)state;
	memset(l63, 'a', sizeof(l63));
	memset(l61, 'b', sizeof(l61));
	memset(l62, 'b', sizeof(l62));
	/* 3 * 64 + 62 + 1 = 255 */
	header(&m, 0, 1, 0, 0, 0);
	label(&m, l63, 63);
	label(&m, l63, 63);
	label(&m, l63, 63);
	label(&m, l61, 61);
	put(&m, "", 1);
	put16(&m, 1);
	put16(&m, 1);
	assert_int_equal(parse(&m, &q), 0);
	n = strlen(q.name);
	assert_int_equal(n, 63 * 3 + 61 + 3);

	header(&m, 0, 1, 0, 0, 0);
	label(&m, l63, 63);
	label(&m, l63, 63);
	label(&m, l63, 63);
	label(&m, l62, 62);
	put(&m, "", 1);
	put16(&m, 1);
	put16(&m, 1);
	assert_rejected(&m, -EBADMSG);
}

/* The longest presentation form fits DNS_NAME_MAX: every octet escaped. */
static void test_longest_presentation(void **state)
{
	uint8_t bytes[63];
	struct dns_query q;
	struct msg m;

	(void)state;
	memset(bytes, 0x01, sizeof(bytes));
	header(&m, 0, 1, 0, 0, 0);
	label(&m, bytes, 63);
	label(&m, bytes, 63);
	label(&m, bytes, 63);
	label(&m, bytes, 61);
	put(&m, "", 1);
	put16(&m, 1);
	put16(&m, 1);
	assert_int_equal(parse(&m, &q), 0);
	assert_int_equal(strlen(q.name), 4 * 250 + 3);
	assert_true(strlen(q.name) < DNS_NAME_MAX);
}

static void test_type_names(void **state)
{
	char buf[DNS_TYPE_NAME_MAX];

	(void)state;
	assert_string_equal(dns_type_name(28, buf), "AAAA");
	assert_string_equal(dns_type_name(65, buf), "HTTPS");
	assert_string_equal(dns_type_name(255, buf), "ANY");
	assert_string_equal(dns_type_name(999, buf), "TYPE999");
	assert_string_equal(dns_type_name(65535, buf), "TYPE65535");
}

/* ---- not queries ---------------------------------------------------------------------- */

static void test_not_queries(void **state)
{
	struct msg m;

	(void)state;
	query(&m, "example.com", 1, false);
	m.b[2] |= 0x80; /* QR: a response */
	assert_rejected(&m, -ENOMSG);

	query(&m, "example.com", 1, false);
	m.b[2] |= 5 << 3; /* opcode UPDATE */
	assert_rejected(&m, -ENOMSG);

	query(&m, "example.com", 1, false);
	m.b[5] = 2; /* two questions */
	assert_rejected(&m, -ENOMSG);

	query(&m, "example.com", 1, false);
	m.b[5] = 0; /* none */
	assert_rejected(&m, -ENOMSG);

	/* Shorter than a header, and empty. */
	query(&m, "example.com", 1, false);
	m.n = DNS_HEADER_LEN - 1;
	assert_rejected(&m, -ENOMSG);
	m.n = 0;
	assert_rejected(&m, -ENOMSG);
}

static void expect_named(const struct msg *m, const char *want)
{
	struct dns_query q;

	assert_int_equal(parse(m, &q), 0);
	assert_string_equal(q.name, want);
}

/*
 * A server answers the question whatever the rest of the header says, so
 * the query must be named: unnamed, it would slip past the host patterns.
 */
static void test_odd_headers_named(void **state)
{
	static const struct {
		size_t at;
		uint8_t bits;
	} odd[] = {
		{ 3, 3 }, /* rcode NXDOMAIN */
		{ 3, 0x40 }, /* Z */
		{ 2, 0x04 }, /* AA */
		{ 2, 0x02 }, /* TC */
		{ 7, 1 }, /* an answer */
		{ 9, 1 }, /* an authority record (NSCOUNT 1) */
		{ 8, 1 }, /* NSCOUNT 256 */
		{ 11, 3 }, /* three additional records */
	};
	struct msg m;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		query(&m, "odd.example", 1, false);
		m.b[odd[i].at] |= odd[i].bits;
		expect_named(&m, "odd.example");
	}
	/* NSCOUNT 1 with the authority record there. */
	header(&m, 0x0100, 1, 0, 1, 0);
	name(&m, "ns.example");
	put16(&m, 1);
	put16(&m, 1);
	opt_rr(&m);
	expect_named(&m, "ns.example");
	/* EDNS with NSCOUNT 1 and no record for it at all. */
	query(&m, "edns.example", 1, true);
	m.b[9] = 1;
	expect_named(&m, "edns.example");
}

/* ---- malformed questions ------------------------------------------------------------------ */

static void test_truncated(void **state)
{
	struct msg m, full;
	size_t n;

	(void)state;
	query(&full, "www.example.com", 1, false);
	/* Every cut inside the question fails, never reads past the end. */
	for (n = DNS_HEADER_LEN; n < full.n; n++) {
		m = full;
		m.n = n;
		assert_rejected(&m, -EBADMSG);
	}
}

static void test_trailing_bytes(void **state)
{
	struct msg m;

	(void)state;
	/* What follows the question is the server's to ignore: named. */
	query(&m, "trailing.example", 1, false);
	put(&m, "x", 1);
	expect_named(&m, "trailing.example");
	query(&m, "trailing.example", 1, false);
	put(&m, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16);
	expect_named(&m, "trailing.example");
	/* An announced record cut short, after the question. */
	query(&m, "trailing.example", 1, true);
	m.n -= 1;
	expect_named(&m, "trailing.example");
	/* EDNS, the normal case: ARCOUNT 1 and the OPT record. */
	query(&m, "edns.example", 1, true);
	assert_int_equal(m.b[11], 1);
	expect_named(&m, "edns.example");
	/* The question itself cut short is still malformed. */
	query(&m, "trailing.example", 1, false);
	m.n -= 1;
	assert_rejected(&m, -EBADMSG);
}

static void test_bad_class_type(void **state)
{
	struct dns_query q;
	struct msg m;

	(void)state;
	query(&m, "example.com", 1, false);
	m.b[m.n - 1] = 9; /* class 9 */
	assert_rejected(&m, -EBADMSG);

	query(&m, "example.com", 0, false);
	assert_rejected(&m, -EBADMSG);

	query(&m, "example.com", 1, false);
	m.b[m.n - 1] = 3; /* CH: a real class */
	assert_int_equal(parse(&m, &q), 0);
}

static void test_label_types(void **state)
{
	struct msg m;

	(void)state;
	/* 0x40 and 0x80: the retired extended label types. */
	header(&m, 0, 1, 0, 0, 0);
	put(&m, "\x41", 1);
	put(&m, "a", 1);
	put(&m, "", 1);
	put16(&m, 1);
	put16(&m, 1);
	assert_rejected(&m, -EBADMSG);
	m.b[DNS_HEADER_LEN] = 0x81;
	assert_rejected(&m, -EBADMSG);
}

/* The question comes first: any pointer in it would lead into the header. */
static void test_pointer_in_question(void **state)
{
	struct msg m;

	(void)state;
	header(&m, 0, 1, 0, 0, 0);
	pointer(&m, 0);
	put16(&m, 1);
	put16(&m, 1);
	assert_rejected(&m, -EBADMSG);

	header(&m, 0, 1, 0, 0, 0);
	label(&m, "a", 1);
	pointer(&m, DNS_HEADER_LEN); /* back to its own start: a loop */
	put16(&m, 1);
	put16(&m, 1);
	assert_rejected(&m, -EBADMSG);
}

/* ---- names with compression, anywhere in a message ------------------------------------ */

static int read_at(const struct msg *m, size_t *off, char out[DNS_NAME_MAX])
{
	strcpy(out, SENTINEL);
	return dns_read_name(m->b, m->n, off, out);
}

static void assert_read_fails(const struct msg *m, size_t at)
{
	char out[DNS_NAME_MAX];
	size_t off = at;

	assert_int_equal(read_at(m, &off, out), -EBADMSG);
	assert_string_equal(out, SENTINEL);
	assert_int_equal(off, at);
}

static void test_compression(void **state)
{
	char out[DNS_NAME_MAX];
	struct msg m;
	size_t www, ptr, off;

	(void)state;
	header(&m, 0x8000, 1, 1, 0, 0);
	name(&m, "example.com");
	www = m.n;
	label(&m, "www", 3);
	pointer(&m, DNS_HEADER_LEN);
	ptr = m.n;
	pointer(&m, (uint16_t)www); /* a pointer to a name that ends in a pointer */
	put(&m, "zz", 2);

	off = www;
	assert_int_equal(read_at(&m, &off, out), 0);
	assert_string_equal(out, "www.example.com");
	assert_int_equal(off, www + 4 + 2); /* just past its own pointer */

	off = ptr;
	assert_int_equal(read_at(&m, &off, out), 0);
	assert_string_equal(out, "www.example.com");
	assert_int_equal(off, ptr + 2);

	off = DNS_HEADER_LEN;
	assert_int_equal(read_at(&m, &off, out), 0);
	assert_string_equal(out, "example.com");
	assert_int_equal(off, www);
}

static void test_pointer_loops(void **state)
{
	struct msg m;
	size_t a, b;

	(void)state;
	/* A pointer to itself. */
	header(&m, 0, 0, 0, 0, 0);
	name(&m, "x");
	a = m.n;
	pointer(&m, (uint16_t)a);
	assert_read_fails(&m, a);

	/* Forward. */
	header(&m, 0, 0, 0, 0, 0);
	name(&m, "x");
	a = m.n;
	pointer(&m, (uint16_t)(a + 2));
	name(&m, "y");
	assert_read_fails(&m, a);

	/* Two labels and a pointer back to their start: a.b.a.b... */
	header(&m, 0, 0, 0, 0, 0);
	name(&m, "x");
	a = m.n;
	label(&m, "a", 1);
	label(&m, "b", 1);
	pointer(&m, (uint16_t)a);
	assert_read_fails(&m, a);

	/*
	 * Backward, then a run of labels that reaches the first pointer again:
	 * each pointer is below the one before, yet the second jump would
	 * return to where the first one left.
	 */
	header(&m, 0, 0, 0, 0, 0);
	name(&m, "x");
	b = m.n;
	label(&m, "b", 1);
	a = m.n;
	pointer(&m, (uint16_t)b);
	assert_read_fails(&m, a);

	/* A pointer cut off, and one past the end. */
	header(&m, 0, 0, 0, 0, 0);
	name(&m, "x");
	a = m.n;
	put(&m, "\xc0", 1);
	assert_read_fails(&m, a);
	m.n = a;
	pointer(&m, 0x3fff);
	assert_read_fails(&m, a);
	/* Into the header. */
	m.n = a;
	pointer(&m, 4);
	assert_read_fails(&m, a);
	/* Nor may a name start there. */
	assert_read_fails(&m, 0);
}

/* A chain of pointers, each one below the last: 128 jumps, then no more. */
static void test_pointer_chain(void **state)
{
	char out[DNS_NAME_MAX];
	struct msg m;
	size_t off, i, last = DNS_HEADER_LEN;

	(void)state;
	header(&m, 0, 0, 0, 0, 0);
	name(&m, "end");
	for (i = 0; i < 129; i++) {
		size_t here = m.n;

		pointer(&m, (uint16_t)last);
		last = here;
		off = here;
		if (i < DNS_MAX_JUMPS) {
			assert_int_equal(read_at(&m, &off, out), 0);
			assert_string_equal(out, "end");
			assert_int_equal(off, here + 2);
		} else {
			assert_read_fails(&m, here);
		}
	}
}

/* Expanded through pointers, a name still may not pass 255 octets. */
static void test_expanded_length(void **state)
{
	uint8_t l63[63];
	struct msg m;
	size_t a, b;

	(void)state;
	memset(l63, 'a', sizeof(l63));
	header(&m, 0, 0, 0, 0, 0);
	a = m.n;
	label(&m, l63, 63);
	label(&m, l63, 63);
	put(&m, "", 1);
	b = m.n;
	label(&m, l63, 63);
	label(&m, l63, 63);
	pointer(&m, (uint16_t)a); /* 4 * 64 + 1 = 257 */
	assert_read_fails(&m, b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_query_a),
		cmocka_unit_test(test_query_edns_ad),
		cmocka_unit_test(test_lower_case),
		cmocka_unit_test(test_root),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_name_length),
		cmocka_unit_test(test_longest_presentation),
		cmocka_unit_test(test_type_names),
		cmocka_unit_test(test_not_queries),
		cmocka_unit_test(test_odd_headers_named),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_trailing_bytes),
		cmocka_unit_test(test_bad_class_type),
		cmocka_unit_test(test_label_types),
		cmocka_unit_test(test_pointer_in_question),
		cmocka_unit_test(test_compression),
		cmocka_unit_test(test_pointer_loops),
		cmocka_unit_test(test_pointer_chain),
		cmocka_unit_test(test_expanded_length),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
