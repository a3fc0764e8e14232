// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * SOCKETs of the Winsock layer: WSAStartup/WSACleanup, WSASocketA/W, the
 * BSD calls with Windows prototypes (getsockopt with SO_ORIGINAL_DST,
 * select that ignores nfds) and the address strings Windows programs parse
 * and print.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <lwfp/lwfp.h>
#include "../../lib/win/lwfp_win_internal.h"

static void test_startup(void **state)
{
	WSADATA data;
	struct sigaction sa;

	(void)state;
	assert_int_equal(WSAStartup(MAKEWORD(2, 2), NULL), WSAEFAULT);
	assert_int_equal(WSAStartup(MAKEWORD(0, 9), &data), WSAVERNOTSUPPORTED);
	assert_int_equal(WSAStartup(MAKEWORD(2, 2), &data), 0);
	assert_int_equal(data.wVersion, MAKEWORD(2, 2));
	assert_int_equal(data.wHighVersion, MAKEWORD(2, 2));
	assert_int_equal(WSAStartup(MAKEWORD(1, 1), &data), 0);
	assert_int_equal(data.wVersion, MAKEWORD(1, 1));
	assert_int_equal(WSAStartup(MAKEWORD(3, 0), &data), 0);
	assert_int_equal(data.wVersion, MAKEWORD(2, 2));
	/* Windows sockets never raise SIGPIPE. */
	assert_int_equal(sigaction(SIGPIPE, NULL, &sa), 0);
	assert_ptr_equal(sa.sa_handler, SIG_IGN);
	assert_int_equal(WSACleanup(), 0);
	assert_int_equal(WSACleanup(), 0);
	assert_int_equal(WSACleanup(), 0);
	assert_int_equal(WSACleanup(), SOCKET_ERROR);
	assert_int_equal(WSAGetLastError(), WSANOTINITIALISED);
}

static void test_wsasocket(void **state)
{
	WSAPROTOCOL_INFOA info = { .iAddressFamily = AF_INET6, .iSocketType = SOCK_DGRAM,
				   .iProtocol = IPPROTO_UDP };
	WSAPROTOCOL_INFOW infow = { .iAddressFamily = AF_INET, .iSocketType = SOCK_STREAM };
	SOCKET s;
	int v;
	socklen_t len = sizeof(v);

	(void)state;
	s = WSASocketA(FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, &info, 0,
		       WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
	assert_int_not_equal(s, INVALID_SOCKET);
	assert_true(fcntl((int)s, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(getsockopt((int)s, SOL_SOCKET, SO_DOMAIN, &v, &len), 0);
	assert_int_equal(v, AF_INET6);
	assert_int_equal(getsockopt((int)s, SOL_SOCKET, SO_TYPE, &v, &len), 0);
	assert_int_equal(v, SOCK_DGRAM);
	assert_int_equal(closesocket(s), 0);

	s = WSASocketW(FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, 0, &infow, 0, 0);
	assert_int_not_equal(s, INVALID_SOCKET);
	assert_false(fcntl((int)s, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(closesocket(s), 0);

	assert_int_equal(WSASocketA(AF_INET, SOCK_STREAM, 0, NULL, 1, 0), INVALID_SOCKET);
	assert_int_equal(WSAGetLastError(), WSAEINVAL);
	assert_int_equal(WSASocketA(12345, SOCK_STREAM, 0, NULL, 0, 0), INVALID_SOCKET);
	assert_int_equal(WSAGetLastError(), WSAEAFNOSUPPORT);
}

static void test_getsockopt(void **state)
{
	SOCKET s = WSASocketA(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0, WSA_FLAG_OVERLAPPED);
	struct sockaddr_storage ss;
	struct sockaddr_storage dst;
	int type = 0, len = sizeof(type);
	int p[2];
	int rc;

	(void)state;
	assert_int_equal(lwfp_win_getsockopt(s, SOL_SOCKET, SO_TYPE, (char *)&type, &len), 0);
	assert_int_equal(type, SOCK_STREAM);
	assert_int_equal(len, sizeof(int));
	len = -1;
	assert_int_equal(lwfp_win_getsockopt(s, SOL_SOCKET, SO_TYPE, (char *)&type, &len),
			 SOCKET_ERROR);
	assert_int_equal(WSAGetLastError(), WSAEFAULT);

	/* SO_ORIGINAL_DST answers what the native API does, in Winsock terms. */
	rc = lwfp_query_original_destination((int)s, &dst);
	len = sizeof(ss);
	assert_int_equal(lwfp_win_getsockopt(s, SOL_SOCKET, SO_ORIGINAL_DST, (char *)&ss, &len),
			 SOCKET_ERROR);
	if (rc == -EOPNOTSUPP)
		assert_int_equal(WSAGetLastError(), WSAEOPNOTSUPP);
	else
		print_message("an engine serves this cgroup: SO_ORIGINAL_DST says %d\n",
			      WSAGetLastError());
	assert_int_equal(lwfp_win_getsockopt(s, SOL_SOCKET, SO_ORIGINAL_DST, NULL, &len),
			 SOCKET_ERROR);
	assert_int_equal(WSAGetLastError(), WSAEFAULT);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(lwfp_win_getsockopt(p[0], SOL_SOCKET, SO_ORIGINAL_DST, (char *)&ss, &len),
			 SOCKET_ERROR);
	assert_int_equal(WSAGetLastError(), WSAENOTSOCK);
	close(p[0]);
	close(p[1]);
	assert_int_equal(closesocket(s), 0);
}

static void test_select_ignores_nfds(void **state)
{
	struct timeval tv = { 0, 1000 };
	fd_set rd;
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(write(sv[1], "x", 1), 1);
	FD_ZERO(&rd);
	FD_SET(sv[0], &rd);
	assert_int_equal(lwfp_win_select(0, &rd, NULL, NULL, &tv), 1);
	assert_true(FD_ISSET(sv[0], &rd));
	assert_int_equal(tv.tv_usec, 1000); /* const on Windows */
	assert_int_equal(lwfp_win_select(0, NULL, NULL, NULL, &tv), SOCKET_ERROR);
	assert_int_equal(WSAGetLastError(), WSAEINVAL);
	close(sv[0]);
	close(sv[1]);
}

static void test_string_to_address(void **state)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	static const char *const bad4[] = { "", "198.18.0", "198.18.0.1:", "198.18.0.1:65536",
					    "198.18.0.1:x", "198.18.0.1:80x", "[::1]:80" };
	static const char *const bad6[] = { "", "[::1", "[::1]x", "[::1]:", "::1:80:", "zz::1" };
	int len;
	size_t i;

	(void)state;
	len = sizeof(ss);
	assert_int_equal(WSAStringToAddressA("198.18.0.2:8000", AF_INET, NULL,
					     (LPSOCKADDR)&ss, &len), 0);
	assert_int_equal(len, sizeof(*sin));
	assert_int_equal(sin->sin_family, AF_INET);
	assert_int_equal(sin->sin_port, htons(8000));
	assert_int_equal(sin->sin_addr.s_addr, htonl(0xc6120002));
	len = sizeof(ss);
	assert_int_equal(WSAStringToAddressA("[2001:db8::2]:443", AF_INET6, NULL,
					     (LPSOCKADDR)&ss, &len), 0);
	assert_int_equal(len, sizeof(*sin6));
	assert_int_equal(sin6->sin6_port, htons(443));
	assert_int_equal(sin6->sin6_addr.s6_addr[15], 2);
	len = sizeof(ss);
	assert_int_equal(WSAStringToAddressA("::1", AF_INET6, NULL, (LPSOCKADDR)&ss, &len), 0);
	assert_int_equal(sin6->sin6_port, 0);

	for (i = 0; i < sizeof(bad4) / sizeof(bad4[0]); i++) {
		len = sizeof(ss);
		if (WSAStringToAddressA((LPSTR)bad4[i], AF_INET, NULL, (LPSOCKADDR)&ss, &len) !=
			    SOCKET_ERROR ||
		    WSAGetLastError() != WSAEINVAL)
			fail_msg("accepted \"%s\" as AF_INET", bad4[i]);
	}
	for (i = 0; i < sizeof(bad6) / sizeof(bad6[0]); i++) {
		len = sizeof(ss);
		if (WSAStringToAddressA((LPSTR)bad6[i], AF_INET6, NULL, (LPSOCKADDR)&ss, &len) !=
			    SOCKET_ERROR ||
		    WSAGetLastError() != WSAEINVAL)
			fail_msg("accepted \"%s\" as AF_INET6", bad6[i]);
	}
	len = 4;
	assert_int_equal(WSAStringToAddressA("198.18.0.2", AF_INET, NULL, (LPSOCKADDR)&ss, &len),
			 SOCKET_ERROR);
	assert_int_equal(WSAGetLastError(), WSAEFAULT);
	assert_int_equal(len, sizeof(*sin));
	assert_int_equal(WSAStringToAddressA("198.18.0.2", 12345, NULL, (LPSOCKADDR)&ss, &len),
			 SOCKET_ERROR);
	assert_int_equal(WSAGetLastError(), WSAEINVAL);
}

static void test_address_to_string(void **state)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(8000) };
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(443) };
	char text[64];
	DWORD len;

	(void)state;
	sin.sin_addr.s_addr = htonl(0xc6120002);
	len = sizeof(text);
	assert_int_equal(WSAAddressToStringA((LPSOCKADDR)&sin, sizeof(sin), NULL, text, &len), 0);
	assert_string_equal(text, "198.18.0.2:8000");
	assert_int_equal(len, strlen("198.18.0.2:8000") + 1);
	sin.sin_port = 0;
	len = sizeof(text);
	assert_int_equal(WSAAddressToStringA((LPSOCKADDR)&sin, sizeof(sin), NULL, text, &len), 0);
	assert_string_equal(text, "198.18.0.2");
	inet_pton(AF_INET6, "2001:db8::2", &sin6.sin6_addr);
	len = sizeof(text);
	assert_int_equal(WSAAddressToStringA((LPSOCKADDR)&sin6, sizeof(sin6), NULL, text, &len), 0);
	assert_string_equal(text, "[2001:db8::2]:443");
	/* Too small: the size needed, counting the NUL. */
	len = 4;
	assert_int_equal(WSAAddressToStringA((LPSOCKADDR)&sin6, sizeof(sin6), NULL, text, &len),
			 SOCKET_ERROR);
	assert_int_equal(WSAGetLastError(), WSAEFAULT);
	assert_int_equal(len, strlen("[2001:db8::2]:443") + 1);
	len = sizeof(text);
	assert_int_equal(WSAAddressToStringA((LPSOCKADDR)&sin6, sizeof(sin), NULL, text, &len),
			 SOCKET_ERROR);
	assert_int_equal(WSAGetLastError(), WSAEFAULT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_startup),
		cmocka_unit_test(test_wsasocket),
		cmocka_unit_test(test_getsockopt),
		cmocka_unit_test(test_select_ignores_nfds),
		cmocka_unit_test(test_string_to_address),
		cmocka_unit_test(test_address_to_string),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
