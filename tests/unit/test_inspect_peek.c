// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Unit tests for lwfp-inspect's TLS SNI and HTTP Host parsers. The test
 * links the tool's peek.o: it is part of a tool, not of liblwfp. Every case
 * that must not find a name also checks that the output was left alone.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "../../tools/lwfp-inspect/peek.h"

#define SENTINEL "untouched"

/* ---- building ClientHellos ---------------------------------------------------- */

struct buf {
	uint8_t b[2 * PEEK_MAX];
	size_t n;
};

static void put(struct buf *b, const void *p, size_t n)
{
	memcpy(b->b + b->n, p, n);
	b->n += n;
}

static void put_uint(struct buf *b, uint32_t v, size_t bytes)
{
	while (bytes--)
		b->b[b->n++] = (uint8_t)(v >> (8 * bytes));
}

/* A length field of `bytes` bytes, filled in by end_vec(). */
static size_t begin_vec(struct buf *b, size_t bytes)
{
	size_t at = b->n;

	b->n += bytes;
	return at;
}

static void end_vec(struct buf *b, size_t at, size_t bytes)
{
	size_t len = b->n - at - bytes, i;

	for (i = 0; i < bytes; i++)
		b->b[at + i] = (uint8_t)(len >> (8 * (bytes - 1 - i)));
}

struct sni_entry {
	uint8_t type;
	const char *name;
};

/* Where the length fields of a built ClientHello are, to corrupt them. */
struct layout {
	size_t record, handshake, session_id, extensions, sni_list, first_name;
};

/*
 * A ClientHello in one record: a 32-byte session id, two suites, an
 * unrelated extension, then server_name with these entries (none: no
 * server_name extension at all).
 */
static size_t client_hello(struct buf *b, const struct sni_entry *names, size_t n,
			   struct layout *lay)
{
	static const uint8_t random[32] = { 1, 2, 3 };
	size_t rec, hs, exts, ext, list, name, i;
	struct layout l = { 0 };

	b->n = 0;
	put_uint(b, 22, 1);
	put_uint(b, 0x0301, 2);
	l.record = rec = begin_vec(b, 2);
	put_uint(b, 1, 1);
	l.handshake = hs = begin_vec(b, 3);
	put_uint(b, 0x0303, 2);
	put(b, random, sizeof(random));
	l.session_id = b->n;
	put_uint(b, 32, 1);
	put(b, random, 32);
	put_uint(b, 4, 2);
	put_uint(b, 0x13011302, 4);
	put_uint(b, 1, 1);
	put_uint(b, 0, 1);
	l.extensions = exts = begin_vec(b, 2);
	put_uint(b, 43, 2); /* supported_versions */
	ext = begin_vec(b, 2);
	put_uint(b, 2, 1);
	put_uint(b, 0x0304, 2);
	end_vec(b, ext, 2);
	if (n) {
		put_uint(b, 0, 2); /* server_name */
		ext = begin_vec(b, 2);
		l.sni_list = list = begin_vec(b, 2);
		for (i = 0; i < n; i++) {
			put_uint(b, names[i].type, 1);
			name = begin_vec(b, 2);
			if (i == 0)
				l.first_name = name;
			put(b, names[i].name, strlen(names[i].name));
			end_vec(b, name, 2);
		}
		end_vec(b, list, 2);
		end_vec(b, ext, 2);
	}
	end_vec(b, exts, 2);
	end_vec(b, hs, 3);
	end_vec(b, rec, 2);
	if (lay)
		*lay = l;
	return b->n;
}

static size_t hello_for(struct buf *b, const char *name, struct layout *lay)
{
	struct sni_entry e = { 0, name };

	return client_hello(b, &e, 1, lay);
}

static void set_uint(struct buf *b, size_t at, uint32_t v, size_t bytes)
{
	size_t n = b->n;

	b->n = at;
	put_uint(b, v, bytes);
	b->n = n;
}

/*
 * The hello for name with a padding extension (RFC 7685) of pad bytes, its
 * handshake message cut into records of chunk bytes.
 */
static void big_hello(struct buf *out, const char *name, size_t pad, size_t chunk)
{
	static struct buf one;
	struct layout l;
	size_t hs_len, off, n;

	hello_for(&one, name, &l);
	put_uint(&one, 21, 2);
	put_uint(&one, (uint32_t)pad, 2);
	memset(one.b + one.n, 0, pad);
	one.n += pad;
	set_uint(&one, l.extensions, (uint32_t)(one.n - l.extensions - 2), 2);
	set_uint(&one, l.handshake, (uint32_t)(one.n - l.handshake - 3), 3);
	hs_len = one.n - TLS_RECORD_HEADER;
	out->n = 0;
	for (off = 0; off < hs_len; off += n) {
		n = hs_len - off < chunk ? hs_len - off : chunk;
		put(out, "\x16\x03\x01", 3);
		put_uint(out, (uint32_t)n, 2);
		put(out, one.b + TLS_RECORD_HEADER + off, n);
	}
}

/* The padding that makes the hello's body (after its header) body bytes. */
static size_t pad_for(const char *name, size_t body)
{
	static struct buf one;

	hello_for(&one, name, NULL);
	return body - (one.n - TLS_RECORD_HEADER - TLS_HANDSHAKE_HEADER) - 4;
}

/* ---- helpers -------------------------------------------------------------------- */

static void expect_sni(const struct buf *b, size_t len, const char *want)
{
	char name[PEEK_NAME_MAX] = SENTINEL;

	assert_int_equal(peek_tls_sni(b->b, len, name), PEEK_FOUND);
	assert_string_equal(name, want);
}

static void expect_sni_status(const struct buf *b, size_t len, enum peek_status want)
{
	char name[PEEK_NAME_MAX] = SENTINEL;

	assert_int_equal(peek_tls_sni(b->b, len, name), want);
	assert_string_equal(name, SENTINEL);
}

static void expect_host(const char *req, const char *want)
{
	char name[PEEK_NAME_MAX] = SENTINEL;

	if (peek_http_host((const uint8_t *)req, strlen(req), name) != PEEK_FOUND)
		fail_msg("no Host found in \"%s\"", req);
	assert_string_equal(name, want);
}

static void expect_host_status(const char *req, enum peek_status want)
{
	char name[PEEK_NAME_MAX] = SENTINEL;
	enum peek_status st;

	st = peek_http_host((const uint8_t *)req, strlen(req), name);
	if (st != want)
		fail_msg("status %d, want %d for \"%s\"", st, want, req);
	assert_string_equal(name, SENTINEL);
}

/* ---- SNI --------------------------------------------------------------------------- */

static void test_sni_valid(void **state)
{
	struct buf b;

	(void)state;
	hello_for(&b, "example.com", NULL);
	expect_sni(&b, b.n, "example.com");
	/* Matching wants one spelling: lower case, no trailing dot. */
	hello_for(&b, "WWW.Example.COM.", NULL);
	expect_sni(&b, b.n, "www.example.com");
	/* Bytes after the ClientHello (the next record) change nothing. */
	hello_for(&b, "a.example", NULL);
	put(&b, "\x17\x03\x03\x00\x01x", 6);
	expect_sni(&b, b.n, "a.example");
}

static void test_sni_truncated_everywhere(void **state)
{
	struct buf b;
	size_t len;

	(void)state;
	hello_for(&b, "truncated.example", NULL);
	for (len = 0; len < b.n; len++)
		expect_sni_status(&b, len, PEEK_NEED_MORE);
	expect_sni(&b, b.n, "truncated.example");
}

/* A ClientHello split over records, as clients evading SNI filters do. */
static void test_sni_fragmented(void **state)
{
	struct buf whole, split = { .n = 0 };
	size_t cut = 7, hs_len, len;

	(void)state;
	hello_for(&whole, "split.example", NULL);
	hs_len = whole.n - TLS_RECORD_HEADER;
	put(&split, "\x16\x03\x01", 3);
	put_uint(&split, (uint32_t)cut, 2);
	put(&split, whole.b + TLS_RECORD_HEADER, cut);
	put(&split, "\x16\x03\x01", 3);
	put_uint(&split, (uint32_t)(hs_len - cut), 2);
	put(&split, whole.b + TLS_RECORD_HEADER + cut, hs_len - cut);
	expect_sni(&split, split.n, "split.example");
	for (len = 0; len < split.n; len++)
		expect_sni_status(&split, len, PEEK_NEED_MORE);
	/* Another record type in between ends the gathering. */
	split.b[TLS_RECORD_HEADER + cut] = 21;
	expect_sni_status(&split, split.n, PEEK_NONE);
}

/* Post-quantum key shares and padding make hellos of over 16 KiB. */
static void test_sni_large(void **state)
{
	static struct buf b;
	size_t len;

	(void)state;
	big_hello(&b, "big.example", 20000, TLS_RECORD_MAX);
	expect_sni(&b, b.n, "big.example");
	for (len = 0; len < b.n; len += 997)
		expect_sni_status(&b, len, PEEK_NEED_MORE);
	expect_sni_status(&b, b.n - 1, PEEK_NEED_MORE);
	big_hello(&b, "small-records.example", 20000, 1000);
	expect_sni(&b, b.n, "small-records.example");
}

/*
 * The largest hello read fits PEEK_MAX, in full records; a larger one is
 * refused once its first record is in, without waiting for the rest.
 */
static void test_sni_largest(void **state)
{
	static struct buf b;

	(void)state;
	big_hello(&b, "max.example", pad_for("max.example", PEEK_TLS_HELLO_MAX), TLS_RECORD_MAX);
	assert_int_equal(b.n, PEEK_MAX);
	expect_sni(&b, b.n, "max.example");
	big_hello(&b, "over.example", pad_for("over.example", PEEK_TLS_HELLO_MAX + 1),
		  TLS_RECORD_MAX);
	expect_sni_status(&b, b.n, PEEK_NONE);
	expect_sni_status(&b, TLS_RECORD_HEADER + TLS_RECORD_MAX, PEEK_NONE);
}

static void test_sni_bogus_lengths(void **state)
{
	struct layout l;
	struct buf b;
	const struct {
		size_t *field;
		size_t bytes;
		uint32_t value;
	} cases[] = {
		{ &l.record, 2, 0 },
		{ &l.record, 2, 0x4001 }, /* above the 16 KiB record limit */
		{ &l.handshake, 3, 0xffffff },
		{ &l.handshake, 3, 10 }, /* shorter than its own fields */
		{ &l.extensions, 2, 0xffff },
		{ &l.sni_list, 2, 0xffff },
		{ &l.sni_list, 2, 1 },
		{ &l.first_name, 2, 0xffff },
		{ &l.first_name, 2, 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		hello_for(&b, "bogus.example", &l);
		set_uint(&b, *cases[i].field, cases[i].value, cases[i].bytes);
		expect_sni_status(&b, b.n, PEEK_NONE);
	}
	/* A session id longer than the 32 bytes it has runs into the suites. */
	hello_for(&b, "bogus.example", &l);
	b.b[l.session_id] = 0xff;
	expect_sni_status(&b, b.n, PEEK_NONE);
}

static void test_sni_not_tls(void **state)
{
	struct buf b;

	(void)state;
	hello_for(&b, "x.example", NULL);
	b.b[1] = 2; /* record version 2.x */
	expect_sni_status(&b, b.n, PEEK_NONE);
	expect_sni_status(&b, 2, PEEK_NONE); /* told apart from the 2nd byte */
	hello_for(&b, "x.example", NULL);
	b.b[TLS_RECORD_HEADER] = 2; /* a ServerHello */
	expect_sni_status(&b, b.n, PEEK_NONE);
	hello_for(&b, "x.example", NULL);
	b.b[0] = 23; /* application data */
	expect_sni_status(&b, b.n, PEEK_NONE);
}

static void test_sni_absent(void **state)
{
	struct buf b;
	struct layout l;

	(void)state;
	client_hello(&b, NULL, 0, NULL);
	expect_sni_status(&b, b.n, PEEK_NONE);
	/* No extensions block at all, as in SSL 3.0 era hellos. */
	client_hello(&b, NULL, 0, &l);
	b.n = l.extensions;
	set_uint(&b, l.handshake, (uint32_t)(b.n - l.handshake - 3), 3);
	set_uint(&b, l.record, (uint32_t)(b.n - l.record - 2), 2);
	expect_sni_status(&b, b.n, PEEK_NONE);
}

static void test_sni_multiple_names(void **state)
{
	const struct sni_entry unknown_first[] = { { 7, "ignored" }, { 0, "second.example" } };
	const struct sni_entry two_hosts[] = { { 0, "first.example" }, { 0, "other.example" } };
	const struct sni_entry no_host[] = { { 1, "x" }, { 2, "y" } };
	struct buf b;

	(void)state;
	client_hello(&b, unknown_first, 2, NULL);
	expect_sni(&b, b.n, "second.example");
	client_hello(&b, two_hosts, 2, NULL);
	expect_sni(&b, b.n, "first.example");
	client_hello(&b, no_host, 2, NULL);
	expect_sni_status(&b, b.n, PEEK_NONE);
}

static void test_sni_bad_names(void **state)
{
	static const char *const bad[] = {
		"", ".", "a b.example", "a\tb", "évil.example", "a/b", "a:443", "[::1]",
		"a\x01" "b",
	};
	char long_name[300];
	struct buf b;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		hello_for(&b, bad[i], NULL);
		expect_sni_status(&b, b.n, PEEK_NONE);
	}
	/* An embedded NUL must not cut the name short. */
	hello_for(&b, "good.exampleXevil", NULL);
	b.b[b.n - strlen("Xevil")] = '\0';
	expect_sni_status(&b, b.n, PEEK_NONE);
	/* 253 characters is the longest DNS name. */
	memset(long_name, 'a', 253);
	long_name[253] = '\0';
	hello_for(&b, long_name, NULL);
	expect_sni(&b, b.n, long_name);
	long_name[253] = 'a';
	long_name[254] = '\0';
	hello_for(&b, long_name, NULL);
	expect_sni_status(&b, b.n, PEEK_NONE);
}

/* ---- Host -------------------------------------------------------------------------- */

static void test_host_valid(void **state)
{
	(void)state;
	expect_host("GET / HTTP/1.1\r\nHost: example.com\r\n\r\n", "example.com");
	expect_host("GET / HTTP/1.0\r\nUser-Agent: x\r\nHost:example.com\r\nAccept: */*\r\n\r\n",
		    "example.com");
	expect_host("POST /a?b HTTP/1.1\r\nHost: \t example.com \t\r\n\r\n", "example.com");
	/* A bare LF ends lines too. */
	expect_host("GET / HTTP/1.1\nHost: lf.example\n\n", "lf.example");
	/* Only the first Host counts. */
	expect_host("GET / HTTP/1.1\r\nHost: one.example\r\nHost: two.example\r\n\r\n",
		    "one.example");
	/* A folded line of another header is skipped. */
	expect_host("GET / HTTP/1.1\r\nX-A: 1\r\n 2\r\nHost: after.example\r\n\r\n",
		    "after.example");
}

static void test_host_with_port(void **state)
{
	(void)state;
	expect_host("GET / HTTP/1.1\r\nHost: example.com:8080\r\n\r\n", "example.com");
	expect_host("GET / HTTP/1.1\r\nHost: example.com:\r\n\r\n", "example.com");
	expect_host("GET / HTTP/1.1\r\nHost: 198.18.0.2:80\r\n\r\n", "198.18.0.2");
	expect_host("GET / HTTP/1.1\r\nHost: [2001:DB8::2]:80\r\n\r\n", "[2001:db8::2]");
	expect_host("GET / HTTP/1.1\r\nHost: [2001:db8::2]\r\n\r\n", "[2001:db8::2]");
	expect_host_status("GET / HTTP/1.1\r\nHost: example.com:123456\r\n\r\n", PEEK_NONE);
	expect_host_status("GET / HTTP/1.1\r\nHost: example.com:80x\r\n\r\n", PEEK_NONE);
	expect_host_status("GET / HTTP/1.1\r\nHost: example.com:80:80\r\n\r\n", PEEK_NONE);
	expect_host_status("GET / HTTP/1.1\r\nHost: :80\r\n\r\n", PEEK_NONE);
	expect_host_status("GET / HTTP/1.1\r\nHost: [2001:db8::2\r\n\r\n", PEEK_NONE);
	expect_host_status("GET / HTTP/1.1\r\nHost: [2001:db8::2]x\r\n\r\n", PEEK_NONE);
}

static void test_host_case_insensitive(void **state)
{
	(void)state;
	expect_host("GET / HTTP/1.1\r\nhOsT: Example.COM.\r\n\r\n", "example.com");
	expect_host("GET / HTTP/1.1\r\nHOST: a.example\r\n\r\n", "a.example");
	/* A header that only starts like Host is another header. */
	expect_host_status("GET / HTTP/1.1\r\nHostname: a.example\r\n\r\n", PEEK_NONE);
	expect_host_status("GET / HTTP/1.1\r\nX-Host: a.example\r\n\r\n", PEEK_NONE);
}

static void test_host_missing(void **state)
{
	(void)state;
	expect_host_status("GET / HTTP/1.1\r\n\r\n", PEEK_NONE);
	expect_host_status("GET / HTTP/1.1\r\nAccept: */*\r\n\r\nHost: body.example\r\n",
			   PEEK_NONE);
	expect_host_status("GET / HTTP/1.1\r\nHost:\r\n\r\n", PEEK_NONE);
}

static void test_host_folded(void **state)
{
	(void)state;
	expect_host_status("GET / HTTP/1.1\r\nHost: a.example\r\n b.example\r\n\r\n", PEEK_NONE);
	expect_host_status("GET / HTTP/1.1\r\nHost:\r\n\ta.example\r\n\r\n", PEEK_NONE);
	/* Whether a fold follows is unknown until the next line starts. */
	expect_host_status("GET / HTTP/1.1\r\nHost: a.example\r\n", PEEK_NEED_MORE);
}

static void test_host_truncated_everywhere(void **state)
{
	static const char req[] = "GET /index.html HTTP/1.1\r\nUser-Agent: t\r\n"
				  "Host: trunc.example\r\nAccept: */*\r\n\r\n";
	size_t found_at = strstr(req, "Accept") - req + 1, len;
	char name[PEEK_NAME_MAX];

	(void)state;
	for (len = 0; len < found_at; len++) {
		strcpy(name, SENTINEL);
		if (peek_http_host((const uint8_t *)req, len, name) != PEEK_NEED_MORE)
			fail_msg("not NEED_MORE at length %zu", len);
		assert_string_equal(name, SENTINEL);
	}
	for (; len <= strlen(req); len++) {
		assert_int_equal(peek_http_host((const uint8_t *)req, len, name), PEEK_FOUND);
		assert_string_equal(name, "trunc.example");
	}
}

static void test_host_overlong(void **state)
{
	char req[1024], host[300];

	(void)state;
	memset(host, 'h', 253);
	host[253] = '\0';
	snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: %s\r\n\r\n", host);
	expect_host(req, host);
	host[253] = 'h';
	host[254] = '\0';
	snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: %s:80\r\n\r\n", host);
	expect_host_status(req, PEEK_NONE);
	/* A method longer than any real one is not HTTP. */
	expect_host_status("ABCDEFGHIJKLMNOPQRSTUVWXYZ / HTTP/1.1\r\n", PEEK_NONE);
}

static void test_host_malformed(void **state)
{
	(void)state;
	expect_host_status("GET / HTTP/1.1\r\nHost: a b.example\r\n\r\n", PEEK_NONE);
	expect_host_status("GET / HTTP/1.1\r\nHost: a.example, b.example\r\n\r\n", PEEK_NONE);
	expect_host_status("GET / HTTP/1.1\r\nHost : a.example\r\n\r\n", PEEK_NONE);
	expect_host_status("GET / HTTP/2.0\r\nHost: a.example\r\n\r\n", PEEK_NONE);
	expect_host_status("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", PEEK_NONE);
	expect_host_status("GET /\r\nHost: a.example\r\n\r\n", PEEK_NONE);
	expect_host_status("get / HTTP/1.1\r\nHost: a.example\r\n\r\n", PEEK_NONE);
	expect_host_status("SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n", PEEK_NONE);
	expect_host_status("\x01\x02\x03", PEEK_NONE);
	expect_host_status(" GET / HTTP/1.1\r\n", PEEK_NONE);
	/* Empty labels: found by the fuzzer; they would dodge "*.b" patterns. */
	expect_host_status("GET / HTTP/1.1\r\nHost: a..example\r\n\r\n", PEEK_NONE);
	expect_host_status("GET / HTTP/1.1\r\nHost: .a.example\r\n\r\n", PEEK_NONE);
	expect_host_status("GET / HTTP/1.1\r\nHost: a.example..\r\n\r\n", PEEK_NONE);
	expect_host("GET / HTTP/1.1\r\nHost: a.example.\r\n\r\n", "a.example");
}

/*
 * Servers skip a header line they cannot parse (nginx's default), and read
 * the Host after it: so must the parser. A line some server might read as
 * Host leaves the request unnamed instead.
 */
static void test_host_invalid_header_lines(void **state)
{
	(void)state;
	expect_host("GET / HTTP/1.1\r\nX@Y: 1\r\nHost: a.example\r\n\r\n", "a.example");
	expect_host("GET / HTTP/1.1\r\nUser Agent: x\r\nHost: a.example\r\n\r\n", "a.example");
	expect_host("GET / HTTP/1.1\r\nno colon here\r\nHost: a.example\r\n\r\n", "a.example");
	expect_host("GET / HTTP/1.1\r\nX-Hostname@: x\r\nHost: a.example\r\n\r\n", "a.example");
	expect_host("GET / HTTP/1.1\r\nHost: a.example\r\nX@Y: 1\r\n\r\n", "a.example");
	expect_host_status("GET / HTTP/1.1\r\nX@Y: 1\r\n\r\n", PEEK_NONE);
	expect_host_status("GET / HTTP/1.1\r\nX@Y: 1\r\n", PEEK_NEED_MORE);
	expect_host_status("GET / HTTP/1.1\r\nHost : b.example\r\nHost: a.example\r\n\r\n",
			   PEEK_NONE);
	expect_host_status("GET / HTTP/1.1\r\nHost\t: b.example\r\nHost: a.example\r\n\r\n",
			   PEEK_NONE);
	expect_host_status("GET / HTTP/1.1\r\nHo st: b.example\r\nHost: a.example\r\n\r\n",
			   PEEK_NONE);
	expect_host_status("GET / HTTP/1.1\r\nH@ost: b.example\r\nHost: a.example\r\n\r\n",
			   PEEK_NONE);
	expect_host_status("GET / HTTP/1.1\r\nHost b.example\r\nHost: a.example\r\n\r\n",
			   PEEK_NONE);
	expect_host_status("GET / HTTP/1.1\r\n: b.example\r\nHost: a.example\r\n\r\n",
			   PEEK_NONE);
}

/* The authority of an absolute URI wins over Host, as it does at the server. */
static void test_host_absolute_form(void **state)
{
	(void)state;
	expect_host("GET http://Abs.Example:8080/x HTTP/1.1\r\nHost: other.example\r\n\r\n",
		    "abs.example");
	expect_host("GET HTTPS://user:pw@abs.example/ HTTP/1.1\r\n\r\n", "abs.example");
	expect_host("GET http://abs.example?q HTTP/1.1\r\n\r\n", "abs.example");
	expect_host_status("GET http:///x HTTP/1.1\r\nHost: a.example\r\n\r\n", PEEK_NONE);
	/* "CONNECT host:port" is authority-form: the Host header still decides. */
	expect_host("CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n", "a.example");
}

/* ---- peek_name ----------------------------------------------------------------------- */

static void test_peek_name_dispatch(void **state)
{
	static const char req[] = "GET / HTTP/1.1\r\nHost: h.example\r\n\r\n";
	struct peek_name pn;
	struct buf b;

	(void)state;
	hello_for(&b, "s.example", NULL);
	assert_int_equal(peek_name(b.b, b.n, &pn), PEEK_FOUND);
	assert_int_equal(pn.kind, PEEK_KIND_SNI);
	assert_string_equal(pn.name, "s.example");
	assert_int_equal(peek_name((const uint8_t *)req, strlen(req), &pn), PEEK_FOUND);
	assert_int_equal(pn.kind, PEEK_KIND_HOST);
	assert_string_equal(pn.name, "h.example");
	assert_int_equal(peek_name(b.b, 0, &pn), PEEK_NEED_MORE);
	assert_int_equal(pn.kind, PEEK_KIND_NONE);
	assert_int_equal(peek_name((const uint8_t *)"\xff", 1, &pn), PEEK_NONE);
	assert_int_equal(pn.kind, PEEK_KIND_NONE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sni_valid),
		cmocka_unit_test(test_sni_truncated_everywhere),
		cmocka_unit_test(test_sni_fragmented),
		cmocka_unit_test(test_sni_large),
		cmocka_unit_test(test_sni_largest),
		cmocka_unit_test(test_sni_bogus_lengths),
		cmocka_unit_test(test_sni_not_tls),
		cmocka_unit_test(test_sni_absent),
		cmocka_unit_test(test_sni_multiple_names),
		cmocka_unit_test(test_sni_bad_names),
		cmocka_unit_test(test_host_valid),
		cmocka_unit_test(test_host_with_port),
		cmocka_unit_test(test_host_case_insensitive),
		cmocka_unit_test(test_host_missing),
		cmocka_unit_test(test_host_folded),
		cmocka_unit_test(test_host_truncated_everywhere),
		cmocka_unit_test(test_host_overlong),
		cmocka_unit_test(test_host_malformed),
		cmocka_unit_test(test_host_invalid_header_lines),
		cmocka_unit_test(test_host_absolute_form),
		cmocka_unit_test(test_peek_name_dispatch),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
