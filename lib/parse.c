// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Parsers for operator input. They are fed untrusted text (and fuzzed), so
 * every one validates the whole string before it writes anything: a caller
 * can keep its defaults on failure without a temporary of its own.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lwfp/parse.h>

#include "internal.h"

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Not isxdigit(): the answer must not depend on the caller's locale. */
static int hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Parse the decimal digits s[0..len). The caller guarantees s[len] is not a
 * digit, so strtoul stops exactly there when the span is all digits. The
 * leading-digit test keeps strtoul from skipping spaces or taking a sign.
 */
static int parse_dec(const char *s, size_t len, uint32_t max, uint32_t *out)
{
	unsigned long v;
	char *end;

	if (len == 0 || !is_digit(s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end != s + len || v > max)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

/*
 * inet_pton needs a terminated string, and the address is usually followed
 * by ":port" or "/len", so copy the span out first.
 */
static int parse_ip(const char *s, size_t len, int af, uint32_t ip[4])
{
	char buf[INET6_ADDRSTRLEN];
	uint32_t tmp[4] = { 0 };

	if (len == 0 || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (inet_pton(af, buf, tmp) != 1)
		return -EINVAL;
	memcpy(ip, tmp, sizeof(tmp));
	return 0;
}

LWFP_API int lwfp_parse_u32(const char *s, uint32_t max, uint32_t *out)
{
	if (!s || !out)
		return -EINVAL;
	return parse_dec(s, strlen(s), max, out);
}

LWFP_API int lwfp_parse_addr_port(const char *s, struct lwfp_addr *out)
{
	struct lwfp_addr a = { 0 };
	const char *host, *colon;
	uint32_t port;
	int af;

	if (!s || !out)
		return -EINVAL;
	if (s[0] == '[') {
		/* Brackets are what tells the v6 address from the port. */
		host = s + 1;
		colon = strchr(host, ']');
		if (!colon || colon[1] != ':')
			return -EINVAL;
		af = AF_INET6;
		if (parse_ip(host, colon - host, af, a.ip))
			return -EINVAL;
		colon++;
	} else {
		/* A second colon means an unbracketed v6 address: refuse it. */
		host = s;
		colon = strchr(host, ':');
		if (!colon || strchr(colon + 1, ':'))
			return -EINVAL;
		af = AF_INET;
		if (parse_ip(host, colon - host, af, a.ip))
			return -EINVAL;
	}
	if (parse_dec(colon + 1, strlen(colon + 1), 65535, &port) || port == 0)
		return -EINVAL;
	a.port = htons((uint16_t)port);
	a.family = af == AF_INET ? LWFP_AF_INET : LWFP_AF_INET6;
	*out = a;
	return 0;
}

/* Clear host bits so equal prefixes compare equal in the filter table. */
static void mask_prefix(uint32_t ip[4], unsigned int plen)
{
	unsigned int i, bits;

	for (i = 0; i < 4; i++) {
		bits = plen > 32 * i ? plen - 32 * i : 0;
		if (bits >= 32)
			continue;
		/* A shift by 32 is undefined, so a zero-bit word is special. */
		ip[i] &= bits ? htonl(~0u << (32 - bits)) : 0;
	}
}

LWFP_API int lwfp_parse_prefix(const char *s, uint32_t ip[4], uint8_t *family,
			       uint8_t *plen)
{
	uint32_t tmp[4], len, max;
	const char *slash;
	size_t alen;
	int af;

	if (!s || !ip || !family || !plen)
		return -EINVAL;
	slash = strchr(s, '/');
	alen = slash ? (size_t)(slash - s) : strlen(s);
	/* inet_pton(AF_INET) never accepts a colon, so this picks the family. */
	af = memchr(s, ':', alen) ? AF_INET6 : AF_INET;
	max = af == AF_INET ? 32 : 128;
	if (parse_ip(s, alen, af, tmp))
		return -EINVAL;
	len = max;
	if (slash && parse_dec(slash + 1, strlen(slash + 1), max, &len))
		return -EINVAL;
	mask_prefix(tmp, len);
	memcpy(ip, tmp, sizeof(tmp));
	*family = af == AF_INET ? LWFP_AF_INET : LWFP_AF_INET6;
	*plen = (uint8_t)len;
	return 0;
}

LWFP_API int lwfp_parse_range(const char *s, uint32_t max, uint32_t *lo,
			      uint32_t *hi)
{
	uint32_t a, b;
	const char *dash;

	if (!s || !lo || !hi)
		return -EINVAL;
	dash = strchr(s, '-');
	if (!dash) {
		if (parse_dec(s, strlen(s), max, &a))
			return -EINVAL;
		b = a;
	} else if (parse_dec(s, dash - s, max, &a) ||
		   parse_dec(dash + 1, strlen(dash + 1), max, &b) || a > b) {
		return -EINVAL;
	}
	*lo = a;
	*hi = b;
	return 0;
}

static bool uuid_dash_at(size_t i)
{
	return i == 8 || i == 13 || i == 18 || i == 23;
}

LWFP_API int lwfp_parse_uuid(const char *s, uint8_t out[16])
{
	uint8_t tmp[16];
	size_t i, n = 0;
	int hi, lo;

	if (!s || !out || strlen(s) != 36)
		return -EINVAL;
	for (i = 0; i < 36; i++) {
		if (uuid_dash_at(i)) {
			if (s[i] != '-')
				return -EINVAL;
			continue;
		}
		/* Every group has an even length, so a pair never spans a dash. */
		hi = hex_val(s[i]);
		lo = hex_val(s[++i]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		tmp[n++] = (uint8_t)(hi << 4 | lo);
	}
	memcpy(out, tmp, sizeof(tmp));
	return 0;
}

LWFP_API void lwfp_format_uuid(const uint8_t uuid[16], char out[37])
{
	static const char digits[] = "0123456789abcdef";
	size_t i, n = 0;

	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[n++] = '-';
		out[n++] = digits[uuid[i] >> 4];
		out[n++] = digits[uuid[i] & 0xf];
	}
	out[n] = '\0';
}

LWFP_API int lwfp_parse_hex(const char *s, uint8_t *out, size_t max,
			    size_t *len)
{
	size_t i, n;

	if (!s || !out || !len)
		return -EINVAL;
	n = strlen(s);
	if (n < 2 || n % 2 || n / 2 > max)
		return -EINVAL;
	/* Check every digit first so a bad one leaves out untouched. */
	for (i = 0; i < n; i++)
		if (hex_val(s[i]) < 0)
			return -EINVAL;
	for (i = 0; i < n / 2; i++)
		out[i] = (uint8_t)(hex_val(s[2 * i]) << 4 | hex_val(s[2 * i + 1]));
	*len = n / 2;
	return 0;
}

LWFP_API int lwfp_format_addr_port(const struct lwfp_addr *a, char *out,
				   size_t size)
{
	char ip[INET6_ADDRSTRLEN], buf[64];
	int af, n;

	if (!a || !out)
		return -EINVAL;
	if (a->family == LWFP_AF_INET)
		af = AF_INET;
	else if (a->family == LWFP_AF_INET6)
		af = AF_INET6;
	else
		return -EINVAL;
	if (!inet_ntop(af, a->ip, ip, sizeof(ip)))
		return -EINVAL;
	n = snprintf(buf, sizeof(buf), af == AF_INET ? "%s:%u" : "[%s]:%u", ip,
		     (unsigned int)ntohs(a->port));
	if (n < 0 || (size_t)n >= sizeof(buf))
		return -EINVAL;
	/* Like the parsers, leave out alone rather than truncate it. */
	if ((size_t)n >= size)
		return -ENOSPC;
	memcpy(out, buf, n + 1);
	return 0;
}
