// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The UDP flow addresses a proxy meets (lib/udp_addr.c): the number of a
 * datagram's destination in IPv4, v4-mapped and IPv6 form, and the
 * per-flow socket's address built back from it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <string.h>

#include <lwfp/lwfp.h>

static uint32_t number(int family, const char *text)
{
	unsigned char buf[16];

	assert_int_equal(inet_pton(family, text, buf), 1);
	return lwfp_udp_flow_number(family, buf);
}

static void test_number(void **state)
{
	(void)state;
	assert_int_equal(number(AF_INET, "127.128.0.1"), htonl(0x7f800001));
	assert_int_equal(number(AF_INET, "127.255.255.255"), htonl(0x7fffffff));
	assert_int_equal(number(AF_INET, "127.0.0.1"), 0);
	assert_int_equal(number(AF_INET, "198.18.0.1"), 0);
	assert_int_equal(number(AF_INET6, "::ffff:127.128.0.9"), htonl(0x7f800009));
	assert_int_equal(number(AF_INET6, "::ffff:127.0.0.1"), 0);
	assert_int_equal(number(AF_INET6, "fd6c:7766:7000::7f80:1"), htonl(0x7f800001));
	/* Outside the prefix, or a number outside 127.128.0.0/9. */
	assert_int_equal(number(AF_INET6, "fd6c:7766:7001::7f80:1"), 0);
	assert_int_equal(number(AF_INET6, "fd6c:7766:7000:0:0:1:7f80:1"), 0);
	assert_int_equal(number(AF_INET6, "fd6c:7766:7000::7f00:1"), 0);
	assert_int_equal(number(AF_INET6, "2001:db8::1"), 0);
	assert_int_equal(number(AF_INET6, "::1"), 0);
	assert_int_equal(lwfp_udp_flow_number(AF_UNIX, "x"), 0);
	assert_int_equal(lwfp_udp_flow_number(AF_INET, NULL), 0);
}

static void test_sockaddr(void **state)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	uint32_t n = htonl(0x7f800102);
	char text[INET6_ADDRSTRLEN];

	(void)state;
	assert_int_equal(lwfp_udp_flow_sockaddr(n, AF_INET, htons(53), &ss), sizeof(*s4));
	assert_int_equal(s4->sin_family, AF_INET);
	assert_int_equal(s4->sin_port, htons(53));
	assert_int_equal(s4->sin_addr.s_addr, n);
	assert_int_equal(lwfp_udp_flow_sockaddr(n, AF_INET6, htons(53), &ss), sizeof(*s6));
	assert_int_equal(s6->sin6_family, AF_INET6);
	assert_int_equal(s6->sin6_port, htons(53));
	assert_non_null(inet_ntop(AF_INET6, &s6->sin6_addr, text, sizeof(text)));
	assert_string_equal(text, "fd6c:7766:7000::7f80:102");
	/* Round trip. */
	assert_int_equal(lwfp_udp_flow_number(AF_INET6, &s6->sin6_addr), n);
	assert_int_equal(lwfp_udp_flow_sockaddr(n, AF_UNIX, 0, &ss), 0);
	assert_int_equal(lwfp_udp_flow_sockaddr(n, AF_INET, 0, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_number),
		cmocka_unit_test(test_sockaddr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
