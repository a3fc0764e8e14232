// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target for lwfp-inspect's DNS query parser:
 *
 *   make build/fuzz/fuzz_dns
 *   build/fuzz/fuzz_dns -max_total_time=60 tests/fuzz/corpus/dns
 *
 * Each input goes to the query parser as it is, and also after a valid
 * query header, so that the fuzzer reaches the question without having to
 * discover the header first; the name reader runs at every offset of the
 * input, which makes any byte a possible compression pointer. Besides memory
 * errors, it checks the promises of dns.h: a name is written only on
 * success, always terminated, lower case and in presentation form, and a
 * name's end lies inside the message.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../../tools/lwfp-inspect/dns.h"

#define SENTINEL "-"

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* "\DDD" at name[i]: three digits, an octet. */
static bool escape_ok(const char *name, size_t i, size_t len)
{
	if (i + 3 >= len || !is_digit(name[i + 1]) || !is_digit(name[i + 2]) ||
	    !is_digit(name[i + 3]))
		return false;
	return (name[i + 1] - '0') * 100 + (name[i + 2] - '0') * 10 + (name[i + 3] - '0') <= 255;
}

static void check_name(const char *name)
{
	size_t len = strnlen(name, DNS_NAME_MAX), i;

	if (len == 0 || len == DNS_NAME_MAX)
		abort(); /* empty, or not terminated */
	if (!strcmp(name, "."))
		return;
	for (i = 0; i < len; i++) {
		if (name[i] == '\\' && i + 1 < len && name[i + 1] == '.') {
			i++;
		} else if (name[i] == '\\') {
			if (!escape_ok(name, i, len))
				abort();
			i += 3;
		} else if (name[i] == '.') {
			if (i == 0 || i == len - 1 || name[i + 1] == '.')
				abort(); /* an empty label */
		} else if (!dns_plain_octet((uint8_t)name[i])) {
			abort(); /* upper case, or a character that needed an escape */
		}
	}
}

static void run_query(const uint8_t *data, size_t size)
{
	struct dns_query q;
	int ret;

	strcpy(q.name, SENTINEL);
	q.qtype = 0;
	ret = dns_parse_query(data, size, &q);
	if (ret == 0) {
		check_name(q.name);
		if (!q.qtype || !dns_known_class(q.qclass))
			abort();
	} else if ((ret != -ENOMSG && ret != -EBADMSG) || strcmp(q.name, SENTINEL) || q.qtype) {
		abort(); /* an unknown error, or written although it failed */
	}
}

static void run_names(const uint8_t *data, size_t size)
{
	char out[DNS_NAME_MAX];
	size_t at, off;

	for (at = DNS_HEADER_LEN; at < size && at < DNS_HEADER_LEN + 512; at++) {
		strcpy(out, SENTINEL);
		off = at;
		if (dns_read_name(data, size, &off, out)) {
			if (off != at || strcmp(out, SENTINEL))
				abort();
			continue;
		}
		check_name(out);
		if (off <= at || off > size)
			abort();
	}
}

/* A query header, then the input: the question and what follows. */
static void run_after_header(const uint8_t *data, size_t size, uint8_t arcount)
{
	const uint8_t head[DNS_HEADER_LEN] = {
		0xab, 0xcd, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, arcount,
	};
	/* Exactly this size, so that ASan sees a read one byte past the end. */
	uint8_t *buf = malloc(sizeof(head) + size);

	if (!buf)
		return;
	memcpy(buf, head, sizeof(head));
	memcpy(buf + sizeof(head), data, size);
	run_query(buf, sizeof(head) + size);
	run_names(buf, sizeof(head) + size);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char type[DNS_TYPE_NAME_MAX];

	run_query(data, size);
	run_names(data, size);
	run_after_header(data, size, 0);
	run_after_header(data, size, 1);
	if (size >= 2 &&
	    strlen(dns_type_name((uint16_t)(data[0] << 8 | data[1]), type)) >= sizeof(type))
		abort();
	return 0;
}
