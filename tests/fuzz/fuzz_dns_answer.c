// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target for the data plane's DNS answer parser (bpf/dns_parse.h),
 * compiled for user space exactly as the engine runs it, step by step:
 *
 *   clang -g -fsanitize=fuzzer,address,undefined -Iinclude \
 *         tests/fuzz/fuzz_dns_answer.c -o /tmp/fuzz_dns_answer
 *   /tmp/fuzz_dns_answer -max_total_time=60 tests/fuzz/corpus/dns_answer
 *
 * Each input is parsed as it is and after a response header with one
 * question and several answers, so that the fuzzer reaches the records
 * without discovering the header first. Besides memory errors it checks
 * what the engine relies on: the parse ends within its step budget, its
 * result depends only on the message's bytes (never on those of the buffer
 * past them), a learned name is terminated, lower case, without empty
 * labels, and its own hash and those of its wildcard patterns are among the
 * hashes, each with its bloom bit.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../bpf/dns_parse.h"

static struct dns_parse a, b;

static uint64_t hash_back(const char *s, size_t len)
{
	uint64_t h = LWFP_HOST_HASH_INIT;

	while (len)
		h = lwfp_host_hash_step(h, (uint8_t)s[--len]);
	return h;
}

static void expect_hash(const struct lwfp_dns_entry *e, uint64_t h)
{
	uint32_t i;

	if (!(e->bloom & (1ULL << (h & 63))))
		abort();
	for (i = 0; i < e->nhashes; i++)
		if (e->hashes[i] == h)
			return;
	abort();
}

/* The name, and "*." + each of its shortest DNS_WILD_MAX suffixes. */
static void check_name(const struct lwfp_dns_entry *e)
{
	size_t len = strnlen(e->name, sizeof(e->name)), i, wild = 0;
	char pat[LWFP_DNS_NAME_MAX + 2];

	if (!len || len >= sizeof(e->name) - 1 || e->name[0] == '.' || e->name[len - 1] == '.')
		abort();
	for (i = 0; i < len; i++)
		if ((e->name[i] >= 'A' && e->name[i] <= 'Z') ||
		    (e->name[i] == '.' && e->name[i + 1] == '.'))
			abort();
	expect_hash(e, hash_back(e->name, len));
	for (i = len; i-- > 0 && wild < DNS_WILD_MAX;) {
		if (e->name[i] != '.')
			continue;
		pat[0] = '*';
		memcpy(pat + 1, e->name + i, len - i);
		expect_hash(e, hash_back(pat, len - i + 1));
		wild++;
	}
}

static void check_result(const struct dns_parse *p)
{
	uint32_t i;

	if (p->state != DNS_S_DONE)
		return;
	if (!p->naddrs || p->naddrs > DNS_ANSWERS_MAX || p->entry.nhashes > LWFP_DNS_HASHES)
		abort();
	for (i = 0; i < p->naddrs; i++)
		if (p->addrs[i].family == LWFP_AF_INET ?
			    p->addrs[i].addr[1] || p->addrs[i].addr[2] || p->addrs[i].addr[3] :
			    p->addrs[i].family != LWFP_AF_INET6)
			abort();
	check_name(&p->entry);
}

/* What the engine stores: the bytes past a name's NUL are not part of it. */
static bool same_result(const struct dns_parse *x, const struct dns_parse *y)
{
	uint32_t i;

	if (x->naddrs != y->naddrs || x->entry.nhashes != y->entry.nhashes ||
	    x->entry.bloom != y->entry.bloom || x->entry.ttl != y->entry.ttl ||
	    strcmp(x->entry.name, y->entry.name))
		return false;
	for (i = 0; i < x->naddrs; i++)
		if (memcmp(x->addrs[i].addr, y->addrs[i].addr, sizeof(x->addrs[i].addr)) ||
		    x->addrs[i].family != y->addrs[i].family)
			return false;
	return !memcmp(x->entry.hashes, y->entry.hashes, x->entry.nhashes * sizeof(uint64_t));
}

/* Twice, with different bytes past the message: the results must agree. */
static void run(const uint8_t *data, size_t size)
{
	if (size > DNS_PKT_MAX)
		size = DNS_PKT_MAX;
	memset(&a, 0x00, sizeof(a));
	memset(&b, 0xc0, sizeof(b));
	memcpy(a.pkt, data, size);
	memcpy(b.pkt, data, size);
	a.len = b.len = (uint32_t)size;
	if (dns_parse_run(&a) != dns_parse_run(&b) || a.state != b.state)
		abort();
	if (a.state != DNS_S_DONE && a.state != DNS_S_BAD)
		abort(); /* the step budget ran out */
	if (a.state == DNS_S_DONE && !same_result(&a, &b))
		abort();
	check_result(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[DNS_PKT_MAX];
	const uint8_t head[DNS_HDR_LEN] = { 0x12, 0x34, 0x81, 0x80, 0, 1, 0, 4, 0, 0, 0, 0 };
	size_t n = size > sizeof(buf) - sizeof(head) ? sizeof(buf) - sizeof(head) : size;

	run(data, size);
	memcpy(buf, head, sizeof(head));
	memcpy(buf + sizeof(head), data, n);
	run(buf, sizeof(head) + n);
	return 0;
}
