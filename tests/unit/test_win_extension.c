// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * SIO_GET_EXTENSION_FUNCTION_POINTER and the functions it returns, on
 * loopback:
 *   - each GUID gives its function; an unknown one WSAEINVAL, wrong
 *     sizes WSAEFAULT; overlapped, the call completes at once;
 *   - ConnectEx: unbound WSAEINVAL, the first data sent, a refused port;
 *   - AcceptEx: the caller's socket becomes the connection, the first
 *     data and both addresses land where GetAcceptExSockaddrs reads them;
 *     too small address areas, a bound accept socket, no OVERLAPPED, and
 *     closesocket aborting it;
 *   - setsockopt: the two context options are no-ops, others pass on.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../lib/win/lwfp_win_internal.h"
#include <lwfp/win/mswsock.h>

#define AREA (sizeof(struct sockaddr_in) + 16)

static void *lookup(SOCKET s, GUID id, int *err)
{
	void *fn = NULL;
	DWORD n = 0;

	*err = WSAIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, &id, sizeof(id), &fn, sizeof(fn),
			&n, NULL, NULL)
		       ? WSAGetLastError()
		       : 0;
	if (!*err)
		assert_int_equal(n, sizeof(fn));
	return fn;
}

static int listener(struct sockaddr_in *sin)
{
	socklen_t len = sizeof(*sin);
	int l = socket(AF_INET, SOCK_STREAM, 0);

	*sin = (struct sockaddr_in){ .sin_family = AF_INET };
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(l, (struct sockaddr *)sin, len), 0);
	assert_int_equal(listen(l, 4), 0);
	assert_int_equal(getsockname(l, (struct sockaddr *)sin, &len), 0);
	return l;
}

static void test_pointers(void **state)
{
	int s = socket(AF_INET, SOCK_STREAM, 0), err;
	GUID ids[] = { WSAID_ACCEPTEX, WSAID_GETACCEPTEXSOCKADDRS, WSAID_WSARECVMSG,
		       WSAID_WSASENDMSG, WSAID_CONNECTEX };
	void *want[] = { (void *)AcceptEx, (void *)GetAcceptExSockaddrs, (void *)WSARecvMsg,
			 (void *)WSASendMsg, (void *)win_connectex };
	GUID bogus = { 1, 2, 3, { 4 } };
	WSAOVERLAPPED ov = { .hEvent = WSACreateEvent() };
	void *fn;
	DWORD n;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		assert_ptr_equal(lookup(s, ids[i], &err), want[i]);
		assert_int_equal(err, 0);
	}
	lookup(s, bogus, &err);
	assert_int_equal(err, WSAEINVAL);
	lookup(INVALID_SOCKET, ids[0], &err);
	assert_int_equal(err, WSAENOTSOCK);
	assert_int_equal(WSAIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, &ids[0], 8, &fn,
				  sizeof(fn), &n, NULL, NULL),
			 SOCKET_ERROR);
	assert_int_equal(WSAGetLastError(), WSAEFAULT);
	assert_int_equal(WSAIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, &ids[0], sizeof(GUID), &fn,
				  4, &n, NULL, NULL),
			 SOCKET_ERROR);
	assert_int_equal(WSAGetLastError(), WSAEFAULT);
	assert_int_equal(WSAIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, (void *)8, sizeof(GUID),
				  &fn, sizeof(fn), &n, NULL, NULL),
			 SOCKET_ERROR);
	assert_int_equal(WSAGetLastError(), WSAEFAULT);
	/* Overlapped: done at once, the event set. */
	assert_int_equal(WSAIoctl(s, SIO_GET_EXTENSION_FUNCTION_POINTER, &ids[0], sizeof(GUID),
				  &fn, sizeof(fn), &n, &ov, NULL),
			 0);
	assert_ptr_equal(fn, AcceptEx);
	assert_int_equal(WSAWaitForMultipleEvents(1, &ov.hEvent, TRUE, 0, FALSE), WSA_WAIT_EVENT_0);
	WSACloseEvent(ov.hEvent);
	closesocket(s);
}

static void wait_ok(SOCKET s, LPWSAOVERLAPPED ov, BOOL immediate, DWORD want)
{
	DWORD n = 0, flags;

	if (!immediate)
		assert_int_equal(WSAGetLastError(), WSA_IO_PENDING);
	assert_true(WSAGetOverlappedResult(s, ov, &n, TRUE, &flags));
	assert_int_equal(n, want);
}

static void test_connectex(void **state)
{
	struct sockaddr_in sin, any = { .sin_family = AF_INET };
	int l = listener(&sin), s = socket(AF_INET, SOCK_STREAM, 0), err, a;
	LPFN_CONNECTEX fn = (LPFN_CONNECTEX)lookup(s, (GUID)WSAID_CONNECTEX, &err);
	WSAOVERLAPPED ov = { 0 };
	char buf[8] = { 0 };
	DWORD sent = 0;
	BOOL ok;

	(void)state;
	assert_false(fn(s, (struct sockaddr *)&sin, sizeof(sin), "hi", 2, &sent, &ov));
	assert_int_equal(WSAGetLastError(), WSAEINVAL); /* not bound */
	any.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(s, (struct sockaddr *)&any, sizeof(any)), 0);
	assert_false(fn(s, (struct sockaddr *)&sin, sizeof(sin), "hi", 2, &sent, NULL));
	assert_int_equal(WSAGetLastError(), WSAEINVAL);
	assert_false(fn(s, (struct sockaddr *)8, sizeof(sin), "hi", 2, &sent, &ov));
	assert_int_equal(WSAGetLastError(), WSAEFAULT);
	ok = fn(s, (struct sockaddr *)&sin, sizeof(sin), "hi", 2, &sent, &ov);
	wait_ok(s, &ov, ok, 2);
	assert_int_equal(lwfp_win_setsockopt(s, SOL_SOCKET, SO_UPDATE_CONNECT_CONTEXT, NULL, 0), 0);
	a = accept(l, NULL, NULL);
	assert_int_equal(recv(a, buf, sizeof(buf), 0), 2);
	assert_string_equal(buf, "hi");
	close(a);
	closesocket(s);
	/* Nobody listens any more: refused, at once or at completion. */
	close(l);
	s = socket(AF_INET, SOCK_STREAM, 0);
	bind(s, (struct sockaddr *)&any, sizeof(any));
	ok = fn(s, (struct sockaddr *)&sin, sizeof(sin), NULL, 0, NULL, &ov);
	assert_false(ok);
	if (WSAGetLastError() == WSA_IO_PENDING)
		assert_false(WSAGetOverlappedResult(s, &ov, &sent, TRUE, &(DWORD){ 0 }));
	assert_int_equal(WSAGetLastError(), WSAECONNREFUSED);
	closesocket(s);
}

static void test_acceptex(void **state)
{
	struct sockaddr_in sin, mine;
	socklen_t len = sizeof(mine);
	int l = listener(&sin), c = socket(AF_INET, SOCK_STREAM, 0), as = socket(AF_INET, SOCK_STREAM, 0);
	WSAOVERLAPPED ov = { .hEvent = WSACreateEvent() };
	char out[16 + 2 * AREA], back[4] = { 0 };
	struct sockaddr *local, *remote;
	INT llen, rlen;
	DWORD n = 0;

	(void)state;
	assert_false(AcceptEx(l, as, out, 16, AREA, AREA, &n, &ov));
	assert_int_equal(WSAGetLastError(), WSA_IO_PENDING);
	assert_int_equal(connect(c, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(WSAWaitForMultipleEvents(1, &ov.hEvent, TRUE, 50, FALSE), WSA_WAIT_TIMEOUT);
	assert_int_equal(send(c, "first", 5, 0), 5);
	wait_ok(l, &ov, FALSE, 5);
	assert_memory_equal(out, "first", 5);
	assert_int_equal(lwfp_win_setsockopt(as, SOL_SOCKET, SO_UPDATE_ACCEPT_CONTEXT, (char *)&l, sizeof(l)),
			 0);
	GetAcceptExSockaddrs(out, 16, AREA, AREA, &local, &llen, &remote, &rlen);
	assert_int_equal(llen, sizeof(struct sockaddr_in));
	assert_int_equal(rlen, sizeof(struct sockaddr_in));
	assert_int_equal(((struct sockaddr_in *)local)->sin_port, sin.sin_port);
	getsockname(c, (struct sockaddr *)&mine, &len);
	assert_int_equal(((struct sockaddr_in *)remote)->sin_port, mine.sin_port);
	/* The caller's SOCKET is the connection now. */
	assert_int_equal(send(as, "ok", 2, 0), 2);
	assert_int_equal(recv(c, back, sizeof(back), 0), 2);
	assert_string_equal(back, "ok");
	closesocket(as);
	close(c);
	close(l);
	WSACloseEvent(ov.hEvent);
}

static void test_acceptex_errors(void **state)
{
	struct sockaddr_in sin;
	int l = listener(&sin), as = socket(AF_INET, SOCK_STREAM, 0), c;
	WSAOVERLAPPED ov = { 0 };
	char out[2 * AREA];
	DWORD n;

	(void)state;
	assert_false(AcceptEx(l, as, out, 0, AREA - 1, AREA, &n, &ov));
	assert_int_equal(WSAGetLastError(), WSAEFAULT);
	assert_false(AcceptEx(l, as, (void *)8, 0, AREA, AREA, &n, &ov));
	assert_int_equal(WSAGetLastError(), WSAEFAULT);
	assert_false(AcceptEx(l, as, out, 0, AREA, AREA, &n, NULL));
	assert_int_equal(WSAGetLastError(), WSAEINVAL);
	assert_false(AcceptEx(INVALID_SOCKET, as, out, 0, AREA, AREA, &n, &ov));
	assert_int_equal(WSAGetLastError(), WSAENOTSOCK);
	c = listener(&sin); /* bound */
	assert_false(AcceptEx(l, c, out, 0, AREA, AREA, &n, &ov));
	assert_int_equal(WSAGetLastError(), WSAEINVAL);
	close(c);
	/* Pending, then the listener closes: aborted. */
	assert_false(AcceptEx(l, as, out, 0, AREA, AREA, &n, &ov));
	assert_int_equal(WSAGetLastError(), WSA_IO_PENDING);
	closesocket(l);
	assert_false(WSAGetOverlappedResult(as, &ov, &n, TRUE, &(DWORD){ 0 }));
	assert_int_equal(WSAGetLastError(), WSA_OPERATION_ABORTED);
	closesocket(as);
}

static void test_setsockopt(void **state)
{
	int s = socket(AF_INET, SOCK_STREAM, 0), on = 1;

	(void)state;
	assert_int_equal(lwfp_win_setsockopt(s, SOL_SOCKET, SO_REUSEADDR, (char *)&on, sizeof(on)),
			 0);
	assert_int_equal(lwfp_win_setsockopt(s, SOL_SOCKET, SO_UPDATE_CONNECT_CONTEXT, NULL, 0), 0);
	assert_int_equal(lwfp_win_setsockopt(s, SOL_SOCKET, 0x7777, (char *)&on, sizeof(on)),
			 SOCKET_ERROR);
	assert_int_equal(WSAGetLastError(), WSAENOPROTOOPT);
	assert_int_equal(lwfp_win_setsockopt(s, SOL_SOCKET, SO_REUSEADDR, (char *)&on, -1),
			 SOCKET_ERROR);
	assert_int_equal(WSAGetLastError(), WSAEFAULT);
	assert_int_equal(lwfp_win_setsockopt(s, SOL_SOCKET, SO_REUSEADDR, (char *)8, 4),
			 SOCKET_ERROR);
	assert_int_equal(WSAGetLastError(), WSAEFAULT);
	assert_int_equal(lwfp_win_setsockopt(INVALID_SOCKET, SOL_SOCKET, SO_UPDATE_ACCEPT_CONTEXT,
					     NULL, 0),
			 SOCKET_ERROR);
	assert_int_equal(WSAGetLastError(), WSAENOTSOCK);
	closesocket(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pointers),	cmocka_unit_test(test_connectex),
		cmocka_unit_test(test_acceptex),	cmocka_unit_test(test_acceptex_errors),
		cmocka_unit_test(test_setsockopt),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
