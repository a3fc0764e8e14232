// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The TLS SNI and HTTP Host parsers. Every read goes through a bounds-checked
 * cursor, so no length field in the input can make them read past the buffer;
 * tests/fuzz/fuzz_peek.c holds them to that.
 */
#include <stdbool.h>
#include <string.h>

#include "peek.h"

/* ---- a bounds-checked cursor ---------------------------------------------- */

struct cursor {
	const uint8_t *p;
	size_t left;
};

static bool take(struct cursor *c, size_t n, const uint8_t **out)
{
	if (c->left < n)
		return false;
	if (out)
		*out = c->p;
	c->p += n;
	c->left -= n;
	return true;
}

/* A big-endian integer of 1 to 3 bytes. */
static bool take_uint(struct cursor *c, size_t bytes, uint32_t *v)
{
	const uint8_t *p;
	size_t i;

	if (!take(c, bytes, &p))
		return false;
	*v = 0;
	for (i = 0; i < bytes; i++)
		*v = *v << 8 | p[i];
	return true;
}

/* A TLS vector: a length of `bytes` bytes, then that many bytes. */
static bool take_vector(struct cursor *c, size_t bytes, struct cursor *vec)
{
	uint32_t n;

	if (!take_uint(c, bytes, &n) || !take(c, n, &vec->p))
		return false;
	vec->left = n;
	return true;
}

/* ---- names ----------------------------------------------------------------- */

static uint8_t lower(uint8_t ch)
{
	return ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch;
}

static bool eq_nocase(const uint8_t *s, size_t n, const char *lit)
{
	size_t i;

	if (n != strlen(lit))
		return false;
	for (i = 0; i < n; i++)
		if (lower(s[i]) != (uint8_t)lit[i])
			return false;
	return true;
}

bool peek_name_char(uint8_t ch, bool literal)
{
	ch = lower(ch);
	if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9'))
		return true;
	return ch == '-' || ch == '.' || ch == '_' || (literal && ch == ':');
}

/*
 * Lower-cases a host name into out, without one trailing dot, so that
 * "WWW.Example.COM." meets the same patterns as "www.example.com". Only the
 * characters of DNS names pass (and "[v6]" when literal is allowed): a NUL or
 * a space would let a name look different to the block list than to the
 * server. out is written only when the name is valid.
 */
static bool copy_name(const uint8_t *s, size_t n, bool allow_literal, char out[PEEK_NAME_MAX])
{
	bool literal = allow_literal && n > 2 && s[0] == '[' && s[n - 1] == ']';
	size_t i;

	if (!literal && n && s[n - 1] == '.')
		n--;
	if (n == 0 || n > 253)
		return false;
	for (i = literal; i < n - literal; i++) {
		if (!peek_name_char(s[i], literal))
			return false;
		/* An empty label ("a..b", ".a", "a..") would dodge "*.b" patterns. */
		if (!literal && s[i] == '.' && (i == 0 || i == n - 1 || s[i - 1] == '.'))
			return false;
	}
	for (i = 0; i < n; i++)
		out[i] = (char)lower(s[i]);
	out[n] = '\0';
	return true;
}

/* ---- TLS -------------------------------------------------------------------- */

/* The whole ClientHello message, its handshake header included. */
#define TLS_HELLO_BUF (TLS_HANDSHAKE_HEADER + PEEK_TLS_HELLO_MAX)

/*
 * The ClientHello message, gathered into hs from the records it spans: a
 * client may split it across records, and one that does so to slip past the
 * SNI check must not succeed. PEEK_FOUND: hs holds the *hs_len bytes of the
 * whole message. A record may carry more than the hello; the rest is not
 * needed, and is not copied.
 */
static enum peek_status tls_gather(const uint8_t *buf, size_t len, uint8_t hs[TLS_HELLO_BUF],
				   size_t *hs_len)
{
	struct cursor in = { buf, len };
	size_t have = 0, need = TLS_HANDSHAKE_HEADER, n;
	bool sized = false;

	while (have < need) {
		const uint8_t *body;
		uint32_t rlen;

		if ((in.left >= 1 && in.p[0] != TLS_HANDSHAKE) || (in.left >= 2 && in.p[1] != 3))
			return PEEK_NONE;
		if (!take(&in, 3, NULL) || !take_uint(&in, 2, &rlen))
			return PEEK_NEED_MORE;
		if (rlen == 0 || rlen > TLS_RECORD_MAX)
			return PEEK_NONE;
		if (!take(&in, rlen, &body))
			return PEEK_NEED_MORE;
		n = rlen < TLS_HELLO_BUF - have ? rlen : TLS_HELLO_BUF - have;
		memcpy(hs + have, body, n);
		have += n;
		if (!sized && have >= TLS_HANDSHAKE_HEADER) {
			if (hs[0] != TLS_CLIENT_HELLO)
				return PEEK_NONE;
			need = TLS_HANDSHAKE_HEADER + ((size_t)hs[1] << 16 | hs[2] << 8 | hs[3]);
			if (need > TLS_HELLO_BUF)
				return PEEK_NONE;
			sized = true;
		}
	}
	*hs_len = need;
	return PEEK_FOUND;
}

/* The server_name extension (RFC 6066): the first name of type host_name. */
static enum peek_status tls_server_name(struct cursor *ext, char name[PEEK_NAME_MAX])
{
	struct cursor list, host;
	uint32_t type;

	if (!take_vector(ext, 2, &list))
		return PEEK_NONE;
	while (list.left) {
		if (!take_uint(&list, 1, &type) || !take_vector(&list, 2, &host))
			return PEEK_NONE;
		if (type == TLS_NAME_HOST)
			return copy_name(host.p, host.left, false, name) ? PEEK_FOUND : PEEK_NONE;
	}
	return PEEK_NONE;
}

static enum peek_status tls_client_hello(const uint8_t *hs, size_t len, char name[PEEK_NAME_MAX])
{
	struct cursor c = { hs + TLS_HANDSHAKE_HEADER, len - TLS_HANDSHAKE_HEADER };
	struct cursor skip, exts, ext;
	uint32_t type;

	if (!take(&c, 2 + 32, NULL) || /* legacy_version, random */
	    !take_vector(&c, 1, &skip) || /* legacy_session_id */
	    !take_vector(&c, 2, &skip) || /* cipher_suites */
	    !take_vector(&c, 1, &skip) || /* legacy_compression_methods */
	    !take_vector(&c, 2, &exts))
		return PEEK_NONE;
	while (exts.left) {
		if (!take_uint(&exts, 2, &type) || !take_vector(&exts, 2, &ext))
			return PEEK_NONE;
		if (type == TLS_EXT_SERVER_NAME)
			return tls_server_name(&ext, name);
	}
	return PEEK_NONE;
}

enum peek_status peek_tls_sni(const uint8_t *buf, size_t len, char name[PEEK_NAME_MAX])
{
	uint8_t hs[TLS_HELLO_BUF];
	enum peek_status st;
	size_t hs_len;

	st = tls_gather(buf, len, hs, &hs_len);
	if (st != PEEK_FOUND)
		return st;
	return tls_client_hello(hs, hs_len, name);
}

/* ---- HTTP/1.x --------------------------------------------------------------- */

#define HTTP_METHOD_MAX 24

static bool is_ws(uint8_t ch)
{
	return ch == ' ' || ch == '\t';
}

/* RFC 9110 tchar: what a header name is made of. */
static bool is_tchar(uint8_t ch)
{
	return (ch >= '0' && ch <= '9') || (lower(ch) >= 'a' && lower(ch) <= 'z') ||
	       (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

/*
 * Methods are short upper-case tokens, so a binary protocol is told apart
 * after a byte or two instead of after the whole peek timeout.
 */
static enum peek_status http_method(const uint8_t *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len && i <= HTTP_METHOD_MAX; i++) {
		if (buf[i] == ' ')
			return i ? PEEK_FOUND : PEEK_NONE;
		if (!((buf[i] >= 'A' && buf[i] <= 'Z') || buf[i] == '-' || buf[i] == '_'))
			return PEEK_NONE;
	}
	return i > HTTP_METHOD_MAX ? PEEK_NONE : PEEK_NEED_MORE;
}

/* The next line, without its CR LF (a bare LF is accepted too). */
static bool next_line(struct cursor *in, struct cursor *line)
{
	const uint8_t *lf;
	size_t n;

	lf = in->left ? memchr(in->p, '\n', in->left) : NULL;
	if (!lf)
		return false;
	n = (size_t)(lf - in->p);
	line->p = in->p;
	line->left = n && in->p[n - 1] == '\r' ? n - 1 : n;
	return take(in, n + 1, NULL);
}

static void trim_ws(struct cursor *c)
{
	while (c->left && is_ws(c->p[0]))
		take(c, 1, NULL);
	while (c->left && is_ws(c->p[c->left - 1]))
		c->left--;
}

/* host [":" port], as in a Host header or an absolute URI. */
static enum peek_status authority_host(struct cursor a, char name[PEEK_NAME_MAX])
{
	const uint8_t *end;
	size_t host_len, i;

	if (a.left && a.p[0] == '[') {
		end = memchr(a.p, ']', a.left);
		host_len = end ? (size_t)(end - a.p) + 1 : 0;
	} else {
		end = memchr(a.p, ':', a.left);
		host_len = end ? (size_t)(end - a.p) : a.left;
	}
	if (!host_len)
		return PEEK_NONE;
	/* What follows the host may only be a port: ":", then up to 5 digits. */
	if (host_len < a.left && (a.p[host_len] != ':' || a.left - host_len > 6))
		return PEEK_NONE;
	for (i = host_len + 1; i < a.left; i++)
		if (a.p[i] < '0' || a.p[i] > '9')
			return PEEK_NONE;
	return copy_name(a.p, host_len, true, name) ? PEEK_FOUND : PEEK_NONE;
}

/*
 * The request target of "METHOD SP target SP HTTP/1.x". false when the line
 * is not an HTTP/1 request line.
 */
static bool request_target(struct cursor line, struct cursor *target)
{
	const uint8_t *sp1, *sp2;
	struct cursor version;

	sp1 = memchr(line.p, ' ', line.left);
	if (!sp1)
		return false;
	take(&line, (size_t)(sp1 - line.p) + 1, NULL);
	sp2 = memchr(line.p, ' ', line.left);
	if (!sp2 || sp2 == line.p)
		return false;
	target->p = line.p;
	target->left = (size_t)(sp2 - line.p);
	version.p = sp2 + 1;
	version.left = line.left - target->left - 1;
	return version.left == 8 && memcmp(version.p, "HTTP/1.", 7) == 0 &&
	       version.p[7] >= '0' && version.p[7] <= '9';
}

/*
 * The authority of an absolute-form target ("GET http://host/ HTTP/1.1"),
 * which a server must prefer to the Host header; false for any other form.
 */
static bool absolute_authority(struct cursor target, struct cursor *auth)
{
	const uint8_t *sep;
	size_t i;

	sep = memchr(target.p, ':', target.left);
	if (!sep || !(eq_nocase(target.p, (size_t)(sep - target.p), "http") ||
		      eq_nocase(target.p, (size_t)(sep - target.p), "https")))
		return false;
	take(&target, (size_t)(sep - target.p) + 1, NULL);
	if (target.left < 2 || memcmp(target.p, "//", 2) != 0)
		return false;
	take(&target, 2, NULL);
	for (i = 0; i < target.left && !strchr("/?#", target.p[i]); i++)
		;
	target.left = i;
	/* Drop any userinfo: the host is what follows the last '@'. */
	while ((sep = memchr(target.p, '@', target.left)))
		take(&target, (size_t)(sep - target.p) + 1, NULL);
	*auth = target;
	return true;
}

/*
 * Whether a header line the parser cannot read might still be taken for Host
 * by some lenient server: its name (or, with no colon, the whole line) with
 * the bytes that are not tchar dropped starts with "host", as "Host :" or
 * "Ho st:" do.
 */
static bool may_be_host(const uint8_t *s, size_t n)
{
	static const char want[] = "host";
	size_t i, got = 0;

	for (i = 0; i < n && got < sizeof(want) - 1; i++)
		if (is_tchar(s[i]) && lower(s[i]) != (uint8_t)want[got++])
			return false;
	return got == sizeof(want) - 1;
}

/*
 * 1 when line is a Host header, narrowed to its value; 0 for another header;
 * -1 when it cannot be told whether it is Host. A line that is not a valid
 * header ("X@Y: 1", no colon) is skipped, as servers skip it (nginx's
 * ignore_invalid_headers), unless it may be a Host header in disguise.
 */
static int host_header(struct cursor *line)
{
	const uint8_t *colon = memchr(line->p, ':', line->left);
	size_t i, n;

	n = colon ? (size_t)(colon - line->p) : line->left;
	for (i = 0; i < n && colon; i++)
		if (!is_tchar(line->p[i]))
			break;
	if (!colon || i < n)
		return may_be_host(line->p, n) ? -1 : 0;
	if (!n)
		return -1;
	if (!eq_nocase(line->p, n, "host"))
		return 0;
	take(line, n + 1, NULL);
	trim_ws(line);
	return 1;
}

enum peek_status peek_http_host(const uint8_t *buf, size_t len, char name[PEEK_NAME_MAX])
{
	struct cursor in = { buf, len }, line, target;
	enum peek_status st;

	st = http_method(buf, len);
	if (st != PEEK_FOUND)
		return st;
	if (!next_line(&in, &line))
		return PEEK_NEED_MORE;
	if (!request_target(line, &target))
		return PEEK_NONE;
	if (absolute_authority(target, &target))
		return authority_host(target, name);
	for (;;) {
		if (!next_line(&in, &line))
			return PEEK_NEED_MORE;
		if (!line.left)
			return PEEK_NONE; /* the end of the header section */
		if (is_ws(line.p[0]))
			continue; /* a folded line of some other header */
		switch (host_header(&line)) {
		case -1:
			return PEEK_NONE;
		case 0:
			continue;
		}
		/* A folded continuation would change the value: refuse to guess. */
		if (!in.left)
			return PEEK_NEED_MORE;
		if (is_ws(in.p[0]))
			return PEEK_NONE;
		return authority_host(line, name);
	}
}

/* ---- either ------------------------------------------------------------------- */

enum peek_status peek_name(const uint8_t *buf, size_t len, struct peek_name *out)
{
	enum peek_kind kind = PEEK_KIND_HOST;
	enum peek_status st;

	out->kind = PEEK_KIND_NONE;
	if (!len)
		return PEEK_NEED_MORE;
	if (buf[0] == TLS_HANDSHAKE) {
		kind = PEEK_KIND_SNI;
		st = peek_tls_sni(buf, len, out->name);
	} else {
		st = peek_http_host(buf, len, out->name);
	}
	if (st == PEEK_FOUND)
		out->kind = kind;
	return st;
}
