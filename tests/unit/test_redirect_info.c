// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Reading an lwfp_query_redirect() answer (lib/socket.c): the parts where
 * the header places them, an absent context, a newer engine's longer header
 * and extra part, and answers whose header lies about its bounds.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include <lwfp/lwfp.h>

struct answer {
	uint8_t b[512];
	size_t len;
};

/* An answer as the engine lays it out: header, destination, context, records. */
static void build(struct answer *a, size_t hdr, size_t ctx_len, size_t rec_len)
{
	struct lwfp_redirect_info h = { .version = LWFP_REDIRECT_INFO_VERSION };
	struct lwfp_addr dst = { .family = AF_INET, .port = htons(8000) };

	memset(a, 0, sizeof(*a));
	dst.ip[0] = htonl(0xc6120002);
	h.hdr_size = (uint16_t)hdr;
	h.dst_off = (uint32_t)hdr;
	h.dst_len = sizeof(dst);
	h.context_off = (h.dst_off + h.dst_len + 7) & ~7u;
	h.context_len = (uint32_t)ctx_len;
	h.records_off = h.context_off + (uint32_t)((ctx_len + 7) & ~(size_t)7);
	h.records_len = (uint32_t)rec_len;
	h.size = h.records_off + h.records_len;
	memcpy(a->b, &h, sizeof(h));
	memcpy(a->b + h.dst_off, &dst, sizeof(dst));
	memset(a->b + h.context_off, 'c', ctx_len);
	memset(a->b + h.records_off, 'r', rec_len);
	a->len = h.size;
}

static struct lwfp_redirect_info *head(struct answer *a)
{
	return (struct lwfp_redirect_info *)a->b;
}

static void test_parts(void **state)
{
	struct sockaddr_in *sin;
	struct sockaddr_storage ss;
	struct answer a;
	const uint8_t *p;
	size_t n;

	(void)state;
	build(&a, sizeof(struct lwfp_redirect_info), 13, LWFP_RECORDS_SIZE(2));
	p = lwfp_redirect_part(a.b, a.len, LWFP_REDIRECT_PART_CONTEXT, &n);
	assert_non_null(p);
	assert_int_equal(n, 13);
	assert_int_equal(p[0], 'c');
	p = lwfp_redirect_part(a.b, a.len, LWFP_REDIRECT_PART_RECORDS, &n);
	assert_non_null(p);
	assert_int_equal(n, LWFP_RECORDS_SIZE(2));
	assert_int_equal(p[n - 1], 'r');
	assert_int_equal(lwfp_redirect_destination(a.b, a.len, &ss), 0);
	sin = (struct sockaddr_in *)&ss;
	assert_int_equal(sin->sin_family, AF_INET);
	assert_int_equal(ntohs(sin->sin_port), 8000);
	assert_int_equal(ntohl(sin->sin_addr.s_addr), 0xc6120002);
}

static void test_absent_context(void **state)
{
	struct answer a;
	size_t n = 99;

	(void)state;
	build(&a, sizeof(struct lwfp_redirect_info), 0, LWFP_RECORDS_SIZE(1));
	assert_null(lwfp_redirect_part(a.b, a.len, LWFP_REDIRECT_PART_CONTEXT, &n));
	assert_int_equal(n, 0);
	assert_non_null(lwfp_redirect_part(a.b, a.len, LWFP_REDIRECT_PART_RECORDS, &n));
}

/* A later engine: a longer header, a part after the records, version 2. */
static void test_newer_engine(void **state)
{
	struct answer a;
	size_t n;

	(void)state;
	build(&a, sizeof(struct lwfp_redirect_info) + 16, 5, LWFP_RECORDS_SIZE(1));
	head(&a)->version = 2;
	head(&a)->size += 32;
	a.len += 32;
	assert_non_null(lwfp_redirect_part(a.b, a.len, LWFP_REDIRECT_PART_RECORDS, &n));
	assert_int_equal(n, LWFP_RECORDS_SIZE(1));
	assert_non_null(lwfp_redirect_part(a.b, a.len, LWFP_REDIRECT_PART_CONTEXT, &n));
	assert_int_equal(n, 5);
	assert_null(lwfp_redirect_part(a.b, a.len, (enum lwfp_redirect_part)3, &n));
}

/* Every lie about the bounds gives NULL, never a pointer outside the answer. */
static void test_bad_answers(void **state)
{
	struct sockaddr_storage ss;
	struct answer a;
	size_t n;

	(void)state;
	build(&a, sizeof(struct lwfp_redirect_info), 8, LWFP_RECORDS_SIZE(1));
	assert_null(lwfp_redirect_part(a.b, sizeof(struct lwfp_redirect_info) - 1,
				       LWFP_REDIRECT_PART_RECORDS, &n));
	assert_null(lwfp_redirect_part(a.b, a.len - 1, LWFP_REDIRECT_PART_RECORDS, &n));
	assert_null(lwfp_redirect_part(NULL, a.len, LWFP_REDIRECT_PART_RECORDS, &n));
	assert_null(lwfp_redirect_part(a.b, a.len, LWFP_REDIRECT_PART_RECORDS, NULL));
	head(&a)->version = 0;
	assert_null(lwfp_redirect_part(a.b, a.len, LWFP_REDIRECT_PART_RECORDS, &n));
	head(&a)->version = 1;
	head(&a)->hdr_size = 8;
	assert_null(lwfp_redirect_part(a.b, a.len, LWFP_REDIRECT_PART_RECORDS, &n));
	head(&a)->hdr_size = sizeof(struct lwfp_redirect_info);
	head(&a)->records_len = UINT32_MAX;
	assert_null(lwfp_redirect_part(a.b, a.len, LWFP_REDIRECT_PART_RECORDS, &n));
	head(&a)->records_len = LWFP_RECORDS_SIZE(1);
	head(&a)->context_off = 4; /* inside the header */
	assert_null(lwfp_redirect_part(a.b, a.len, LWFP_REDIRECT_PART_CONTEXT, &n));
	head(&a)->context_off = UINT32_MAX;
	assert_null(lwfp_redirect_part(a.b, a.len, LWFP_REDIRECT_PART_CONTEXT, &n));
	/* A destination that is no address, or none at all. */
	a.b[head(&a)->dst_off + offsetof(struct lwfp_addr, family)] = 1;
	assert_int_equal(lwfp_redirect_destination(a.b, a.len, &ss), -EPROTO);
	head(&a)->dst_len = 0;
	assert_int_equal(lwfp_redirect_destination(a.b, a.len, &ss), -EPROTO);
	assert_int_equal(lwfp_redirect_destination(a.b, a.len, NULL), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parts),
		cmocka_unit_test(test_absent_context),
		cmocka_unit_test(test_newer_engine),
		cmocka_unit_test(test_bad_answers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
