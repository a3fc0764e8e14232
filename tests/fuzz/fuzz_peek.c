// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target for lwfp-inspect's TLS SNI and HTTP Host parsers:
 *
 *   make build/fuzz/fuzz_peek
 *   build/fuzz/fuzz_peek -max_total_time=60
 *
 * Each input goes to both parsers as it is, and also wrapped in valid outer
 * framing (a TLS record and handshake header; an HTTP request line), so
 * that the fuzzer reaches the inner fields without having to discover the
 * lengths first. Besides memory errors, it checks the promises of peek.h:
 * a name is found only whole and normalised, and never written otherwise.
 */
#include <stdlib.h>
#include <string.h>

#include "../../tools/lwfp-inspect/peek.h"

static void check_name(const char *name, bool found)
{
	size_t len = strnlen(name, PEEK_NAME_MAX), i;
	bool literal = name[0] == '[';

	if (!found) {
		if (strcmp(name, "-"))
			abort(); /* written although nothing was found */
		return;
	}
	if (len == 0 || len > 253)
		abort();
	if (literal ? len < 3 || name[len - 1] != ']' : name[len - 1] == '.')
		abort();
	for (i = literal; i < len - literal; i++)
		if (!peek_name_char((uint8_t)name[i], literal) || (name[i] >= 'A' && name[i] <= 'Z'))
			abort();
}

static void run(const uint8_t *data, size_t size)
{
	char name[PEEK_NAME_MAX];
	struct peek_name pn;
	enum peek_status st;

	strcpy(name, "-");
	st = peek_tls_sni(data, size, name);
	check_name(name, st == PEEK_FOUND);

	strcpy(name, "-");
	st = peek_http_host(data, size, name);
	check_name(name, st == PEEK_FOUND);

	strcpy(pn.name, "-");
	st = peek_name(data, size, &pn);
	if ((st == PEEK_FOUND) != (pn.kind != PEEK_KIND_NONE))
		abort();
	check_name(pn.name, st == PEEK_FOUND);
}

/*
 * head, then data, in a buffer of exactly that size, so that ASan sees a
 * read one byte past the end.
 */
static void run_framed(const uint8_t *head, size_t head_len, const uint8_t *data, size_t size)
{
	uint8_t *buf = malloc(head_len + size);

	if (!buf)
		return;
	memcpy(buf, head, head_len);
	memcpy(buf + head_len, data, size);
	run(buf, head_len + size);
	free(buf);
}

/* data as the body of a ClientHello, in one record with correct lengths. */
static void run_as_client_hello(const uint8_t *data, size_t size)
{
	size_t body = size > TLS_RECORD_MAX - 4 ? TLS_RECORD_MAX - 4 : size;
	const uint8_t head[] = {
		TLS_HANDSHAKE, 3, 1, (uint8_t)((body + 4) >> 8), (uint8_t)(body + 4),
		TLS_CLIENT_HELLO, (uint8_t)(body >> 16), (uint8_t)(body >> 8), (uint8_t)body,
	};

	run_framed(head, sizeof(head), data, body);
}

/* data as the header section of a request. */
static void run_as_request_headers(const uint8_t *data, size_t size)
{
	static const char line[] = "GET / HTTP/1.1\r\n";

	run_framed((const uint8_t *)line, strlen(line), data, size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	run(data, size);
	run_as_client_hello(data, size);
	run_as_request_headers(data, size);
	return 0;
}
