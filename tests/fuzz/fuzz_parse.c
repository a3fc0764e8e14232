// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target for the value parsers of include/lwfp/parse.h: every
 * string a user types into lwfpctl or lwfp-inspect goes through them. Besides
 * memory errors it checks their promises: output written only on success,
 * and what was parsed formats and parses back to the same value.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <lwfp/parse.h>

#define POISON 0xa5

static void addr_port(const char *s)
{
	struct lwfp_addr a, b;
	char text[64];

	memset(&a, POISON, sizeof(a));
	if (lwfp_parse_addr_port(s, &a)) {
		for (size_t i = 0; i < sizeof(a); i++)
			if (((uint8_t *)&a)[i] != POISON)
				abort();
		return;
	}
	if (lwfp_format_addr_port(&a, text, sizeof(text)) || lwfp_parse_addr_port(text, &b) ||
	    memcmp(&a, &b, sizeof(a)))
		abort();
}

static void uuid(const char *s)
{
	uint8_t u[16], v[16];
	char text[37];

	if (lwfp_parse_uuid(s, u))
		return;
	lwfp_format_uuid(u, text);
	if (lwfp_parse_uuid(text, v) || memcmp(u, v, 16))
		abort();
}

static void others(const char *s)
{
	uint8_t bytes[64], family, plen;
	uint32_t ip[4], lo, hi, v;
	size_t len;

	if (!lwfp_parse_prefix(s, ip, &family, &plen) && plen > (family == LWFP_AF_INET ? 32 : 128))
		abort();
	if (!lwfp_parse_range(s, 65535, &lo, &hi) && (lo > hi || hi > 65535))
		abort();
	if (!lwfp_parse_u32(s, 1000, &v) && v > 1000)
		abort();
	if (!lwfp_parse_hex(s, bytes, sizeof(bytes), &len) && (len == 0 || len > sizeof(bytes)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = 0;
	addr_port(s);
	uuid(s);
	others(s);
	free(s);
	return 0;
}
