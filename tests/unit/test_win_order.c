// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * windows.h first and the C headers last, the other include order a
 * Windows program may use; and the Windows layouts that lwfp_win_inet.h
 * lays over glibc's (in_addr.S_un, sockaddr_in, WSAPOLLFD as struct pollfd).
 */
#include <windows.h>
#include <winsock2.h>
#include <ws2tcpip.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

static void test_layouts(void **state)
{
	struct sockaddr_in sin;
	struct pollfd pfd;
	IN_ADDR a;

	UNREFERENCED_PARAMETER(state);
	memset(&sin, 0, sizeof(sin));
	sin.sin_addr.S_un.S_un_b.s_b1 = 127;
	sin.sin_addr.S_un.S_un_b.s_b4 = 1;
	assert_int_equal(sin.sin_addr.s_addr, htonl(INADDR_LOOPBACK));
	assert_int_equal(sizeof(sin), 16);
	assert_int_equal(offsetof(struct sockaddr_in, sin_addr), 4);
	a.S_un.S_un_w.s_w1 = 0;
	a.S_un.S_un_w.s_w2 = 0;
	assert_int_equal(a.s_addr, INADDR_ANY);
	pfd.fd = INVALID_SOCKET;
	assert_int_equal(sizeof(pfd.fd), sizeof(SOCKET)); /* Windows' struct pollfd */
	assert_int_equal(POLLIN, 0x0300);
	assert_int_equal(POLLOUT, 0x0010);
	assert_int_equal((DWORD)FIONBIO, 0x8004667Eu);
	assert_int_equal((DWORD)FIONREAD, 0x4004667Fu);
	assert_int_equal((DWORD)SIOCATMARK, 0x40047307u);
	assert_int_equal(EAI_NONAME, 11001);
	assert_int_equal(EAI_AGAIN, 11002);
	assert_int_equal(EAI_FAIL, 11003);
	assert_int_equal(EAI_NODATA, 11004);
	assert_int_equal(EAI_SERVICE, 10109);
	assert_int_equal(EAI_FAMILY, WSAEAFNOSUPPORT);
	assert_int_equal(EAI_SOCKTYPE, WSAESOCKTNOSUPPORT);
	assert_int_equal(EAI_BADFLAGS, WSAEINVAL);
	assert_int_equal(EAI_MEMORY, WSA_NOT_ENOUGH_MEMORY);
	assert_int_equal(offsetof(ADDRINFOA, ai_canonname) < offsetof(ADDRINFOA, ai_addr), 1);
	assert_int_equal(sizeof(((ADDRINFOA *)0)->ai_addrlen), sizeof(size_t));
	assert_int_equal(FD_CLOSE, 0x20);
	assert_int_equal(sizeof(WSANETWORKEVENTS), 44);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layouts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
