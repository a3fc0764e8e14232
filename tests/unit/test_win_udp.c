// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The UDP part of the Winsock layer without an engine: the constants, the
 * WSA_CMSG_* macros against the kernel's cmsghdr layout, building and
 * finding control messages, WSARecvMsg and WSASendMsg over a loopback pair
 * (no WFP messages for a flow outside 127.128.0.0/9, IP_PKTINFO the layer
 * turned on not passed on, the caller's own passed on, MSG_CTRUNC), the
 * records message refused without an engine before anything is sent, and
 * the argument errors. tests/integration/test_winsock_udp.sh shows the
 * messages on a real redirected flow.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "../../lib/win/lwfp_win_internal.h"
#include <lwfp/win/mstcpip.h>
#include <lwfp/lwfp.h>

static bool flow_addr(uint32_t addr)
{
	return lwfp_udp_flow_number(AF_INET, &addr) != 0;
}

static void test_constants(void **state)
{
	(void)state;
	assert_int_equal(IP_WFP_REDIRECT_RECORDS, 60);
	assert_int_equal(IP_WFP_REDIRECT_CONTEXT, 70);
	assert_int_equal(IPV6_WFP_REDIRECT_RECORDS, 60);
	assert_int_equal(IPV6_WFP_REDIRECT_CONTEXT, 70);
	/* Control messages pass to and from the kernel untranslated. */
	assert_int_equal(sizeof(WSACMSGHDR), sizeof(struct cmsghdr));
	assert_int_equal(WSA_CMSG_LEN(5), CMSG_LEN(5));
	assert_int_equal(WSA_CMSG_SPACE(5), CMSG_SPACE(5));
	assert_int_equal(WSA_CMSG_SPACE(32), CMSG_SPACE(32));
	/* The flow addresses WSARecvMsg annotates: 127.128.0.0/9 (liblwfp decides). */
	assert_true(flow_addr(htonl(0x7f800001)));
	assert_true(flow_addr(htonl(0x7fffffff)));
	assert_false(flow_addr(htonl(0x7f000001)));
	assert_false(flow_addr(htonl(0x0a000001)));
}

static void test_cmsg_build_and_find(void **state)
{
	char buf[256], rec[32], ctx[5] = "abcde";
	WSABUF control = { sizeof(buf), buf };
	WSAMSG msg = { 0 };
	LPWSACMSGHDR c;
	const void *data;
	size_t used = 0, len;
	int n = 0;

	(void)state;
	memset(rec, 0x5a, sizeof(rec));
	assert_true(win_cmsg_append(&control, &used, IPPROTO_IP, IP_WFP_REDIRECT_CONTEXT, ctx, 5));
	assert_int_equal(used, WSA_CMSG_SPACE(5));
	assert_true(win_cmsg_append(&control, &used, IPPROTO_IP, IP_WFP_REDIRECT_RECORDS, rec,
				    sizeof(rec)));
	assert_int_equal(used, WSA_CMSG_SPACE(5) + WSA_CMSG_SPACE(32));
	msg.Control.buf = buf;
	msg.Control.len = (ULONG)used;
	for (c = WSA_CMSG_FIRSTHDR(&msg); c; c = WSA_CMSG_NXTHDR(&msg, c))
		n++;
	assert_int_equal(n, 2);
	c = WSA_CMSG_FIRSTHDR(&msg);
	assert_int_equal(c->cmsg_level, IPPROTO_IP);
	assert_int_equal(c->cmsg_type, IP_WFP_REDIRECT_CONTEXT);
	assert_int_equal(c->cmsg_len, WSA_CMSG_LEN(5));
	assert_memory_equal(WSA_CMSG_DATA(c), ctx, 5);

	assert_int_equal(win_cmsg_find_records(&msg, &data, &len), 0);
	assert_int_equal(len, sizeof(rec));
	assert_memory_equal(data, rec, sizeof(rec));

	/* The IPv6 twin is found too. */
	used = 0;
	assert_true(win_cmsg_append(&control, &used, IPPROTO_IPV6, IPV6_WFP_REDIRECT_RECORDS, rec,
				    8));
	msg.Control.len = (ULONG)used;
	assert_int_equal(win_cmsg_find_records(&msg, &data, &len), 0);
	assert_int_equal(len, 8);

	/* None there: NULL and 0. */
	used = 0;
	assert_true(win_cmsg_append(&control, &used, IPPROTO_IP, IP_WFP_REDIRECT_CONTEXT, ctx, 5));
	msg.Control.len = (ULONG)used;
	assert_int_equal(win_cmsg_find_records(&msg, &data, &len), 0);
	assert_null(data);
	assert_int_equal(len, 0);
	msg.Control.len = 0;
	assert_int_equal(win_cmsg_find_records(&msg, &data, &len), 0);
	assert_null(data);

	/* Does not fit: false, nothing used. */
	control.len = (ULONG)(WSA_CMSG_SPACE(32) - 1);
	used = 0;
	assert_false(win_cmsg_append(&control, &used, IPPROTO_IP, IP_WFP_REDIRECT_RECORDS, rec,
				     sizeof(rec)));
	assert_int_equal(used, 0);
	control.len = (ULONG)WSA_CMSG_SPACE(32);
	assert_true(win_cmsg_append(&control, &used, IPPROTO_IP, IP_WFP_REDIRECT_RECORDS, rec,
				    sizeof(rec)));
}

static void test_cmsg_malformed(void **state)
{
	char buf[64] = { 0 };
	WSAMSG msg = { 0 };
	WSACMSGHDR h = { 0 };
	const void *data;
	size_t len;

	(void)state;
	msg.Control.buf = buf;
	msg.Control.len = sizeof(buf);
	h.cmsg_len = 4; /* shorter than the header */
	memcpy(buf, &h, sizeof(h));
	assert_int_equal(win_cmsg_find_records(&msg, &data, &len), WSAEINVAL);
	h.cmsg_len = sizeof(buf) + 1; /* past the buffer */
	memcpy(buf, &h, sizeof(h));
	assert_int_equal(win_cmsg_find_records(&msg, &data, &len), WSAEINVAL);
	msg.Control.buf = NULL;
	assert_int_equal(win_cmsg_find_records(&msg, &data, &len), WSAEFAULT);
}

/* Two UDP sockets on 127.0.0.1: *rx bound, *tx connected to it. */
static void udp_pair(SOCKET *rx, SOCKET *tx)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	*rx = (SOCKET)socket(AF_INET, SOCK_DGRAM, 0);
	*tx = (SOCKET)socket(AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(bind((int)*rx, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname((int)*rx, (struct sockaddr *)&a, &len), 0);
	assert_int_equal(connect((int)*tx, (struct sockaddr *)&a, sizeof(a)), 0);
}

static int count_cmsgs(const WSAMSG *msg, INT level, INT type)
{
	LPWSACMSGHDR c;
	int n = 0;

	for (c = WSA_CMSG_FIRSTHDR(msg); c; c = WSA_CMSG_NXTHDR(msg, c))
		if (c->cmsg_level == level && c->cmsg_type == type)
			n++;
	return n;
}

static void test_recv_send_loopback(void **state)
{
	SOCKET rx, tx;
	char data[16], control[256], out[] = "hello";
	WSABUF wb = { sizeof(data), data }, sb = { 5, out };
	struct sockaddr_in from;
	WSAMSG msg = { 0 }, smsg = { 0 };
	DWORD n = 0;
	int on = 1;

	(void)state;
	udp_pair(&rx, &tx);
	smsg.lpBuffers = &sb;
	smsg.dwBufferCount = 1;
	assert_int_equal(WSASendMsg(tx, &smsg, 0, &n, NULL, NULL), 0);
	assert_int_equal(n, 5);

	/* Not a redirected flow: the datagram, and no control message at all
	 * (the IP_PKTINFO the layer turned on for itself is not passed on). */
	msg.name = (LPSOCKADDR)&from;
	msg.namelen = sizeof(from);
	msg.lpBuffers = &wb;
	msg.dwBufferCount = 1;
	msg.Control.buf = control;
	msg.Control.len = sizeof(control);
	n = 0;
	assert_int_equal(WSARecvMsg(rx, &msg, &n, NULL, NULL), 0);
	assert_int_equal(n, 5);
	assert_memory_equal(data, "hello", 5);
	assert_int_equal(msg.Control.len, 0);
	assert_int_equal(msg.namelen, sizeof(struct sockaddr_in));
	assert_int_equal(from.sin_family, AF_INET);
	assert_int_equal(from.sin_addr.s_addr, htonl(INADDR_LOOPBACK));
	assert_int_equal(msg.dwFlags & MSG_CTRUNC, 0);

	/* A fresh socket whose owner asked for IP_PKTINFO gets it. */
	closesocket(rx);
	closesocket(tx);
	udp_pair(&rx, &tx);
	assert_int_equal(setsockopt((int)rx, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on)), 0);
	assert_int_equal(WSASendMsg(tx, &smsg, 0, &n, NULL, NULL), 0);
	msg.Control.len = sizeof(control);
	msg.dwFlags = 0;
	assert_int_equal(WSARecvMsg(rx, &msg, &n, NULL, NULL), 0);
	assert_int_equal(count_cmsgs(&msg, IPPROTO_IP, IP_PKTINFO), 1);
	assert_int_equal(count_cmsgs(&msg, IPPROTO_IP, IP_WFP_REDIRECT_RECORDS), 0);
	assert_int_equal(count_cmsgs(&msg, IPPROTO_IP, IP_WFP_REDIRECT_CONTEXT), 0);

	/* No room for it: MSG_CTRUNC. */
	assert_int_equal(WSASendMsg(tx, &smsg, 0, &n, NULL, NULL), 0);
	msg.Control.len = 8;
	msg.dwFlags = 0;
	assert_int_equal(WSARecvMsg(rx, &msg, &n, NULL, NULL), 0);
	assert_int_equal(msg.Control.len, 0);
	assert_true(msg.dwFlags & MSG_CTRUNC);

	closesocket(rx);
	closesocket(tx);
}

static void test_send_records_errors(void **state)
{
	SOCKET rx, tx;
	char control[128], rec[32] = { 0 }, out[] = "x";
	WSABUF sb = { 1, out };
	WSABUF cb = { sizeof(control), control };
	WSAMSG msg = { 0 };
	size_t used = 0;
	DWORD n = 0;
	int fds[2];

	(void)state;
	udp_pair(&rx, &tx);
	assert_true(win_cmsg_append(&cb, &used, IPPROTO_IP, IP_WFP_REDIRECT_RECORDS, rec,
				    sizeof(rec)));
	msg.lpBuffers = &sb;
	msg.dwBufferCount = 1;
	msg.Control.buf = control;
	msg.Control.len = (ULONG)used;
	/* A connected socket, and no engine: the native error, nothing sent. */
	WSASetLastError(0);
	assert_int_equal(WSASendMsg(tx, &msg, 0, &n, NULL, NULL), SOCKET_ERROR);
	assert_int_not_equal(WSAGetLastError(), 0);
	{
		char b[4];

		assert_int_equal(recv((int)rx, b, sizeof(b), MSG_DONTWAIT), -1);
		assert_int_equal(errno, EAGAIN);
	}

	/* Malformed control messages: WSAEINVAL. */
	((WSACMSGHDR *)control)->cmsg_len = 2;
	assert_int_equal(WSASendMsg(tx, &msg, 0, &n, NULL, NULL), SOCKET_ERROR);
	assert_int_equal(WSAGetLastError(), WSAEINVAL);

	/* Argument errors. */
	assert_int_equal(WSASendMsg(tx, NULL, 0, &n, NULL, NULL), SOCKET_ERROR);
	assert_int_equal(WSAGetLastError(), WSAEFAULT);
	assert_int_equal(WSARecvMsg(rx, NULL, &n, NULL, NULL), SOCKET_ERROR);
	assert_int_equal(WSAGetLastError(), WSAEFAULT);
	msg.Control.len = 0;
	assert_int_equal(WSASendMsg(tx, &msg, 0, NULL, NULL, NULL), SOCKET_ERROR);
	assert_int_equal(WSAGetLastError(), WSAEFAULT);
	msg.lpBuffers = NULL;
	assert_int_equal(WSASendMsg(tx, &msg, 0, &n, NULL, NULL), SOCKET_ERROR);
	assert_int_equal(WSAGetLastError(), WSAEFAULT);
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(WSARecvMsg((SOCKET)fds[0], &msg, &n, NULL, NULL), SOCKET_ERROR);
	assert_int_equal(WSAGetLastError(), WSAENOTSOCK);
	close(fds[0]);
	close(fds[1]);

	closesocket(rx);
	closesocket(tx);
}

static void test_overlapped(void **state)
{
	SOCKET rx, tx;
	char data[8], out[] = "ov";
	WSABUF wb = { sizeof(data), data }, sb = { 2, out };
	WSAMSG msg = { 0 }, smsg = { 0 };
	WSAOVERLAPPED ov = { 0 };
	DWORD n = 0, flags = 0;

	(void)state;
	udp_pair(&rx, &tx);
	smsg.lpBuffers = &sb;
	smsg.dwBufferCount = 1;
	assert_int_equal(WSASendMsg(tx, &smsg, 0, NULL, NULL, NULL), SOCKET_ERROR);
	assert_int_equal(WSAGetLastError(), WSAEFAULT);
	assert_int_equal(WSASendMsg(tx, &smsg, 0, NULL, &ov, NULL), 0);
	msg.lpBuffers = &wb;
	msg.dwBufferCount = 1;
	ov.hEvent = WSACreateEvent();
	assert_int_equal(WSARecvMsg(rx, &msg, NULL, &ov, NULL), 0);
	assert_true(HasOverlappedIoCompleted(&ov));
	assert_int_equal(WSAWaitForMultipleEvents(1, &ov.hEvent, TRUE, 0, FALSE), WSA_WAIT_EVENT_0);
	assert_true(WSAGetOverlappedResult(rx, &ov, &n, FALSE, &flags));
	assert_int_equal(n, 2);
	WSACloseEvent(ov.hEvent);
	closesocket(rx);
	closesocket(tx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_constants),
		cmocka_unit_test(test_cmsg_build_and_find),
		cmocka_unit_test(test_cmsg_malformed),
		cmocka_unit_test(test_recv_send_loopback),
		cmocka_unit_test(test_send_records_errors),
		cmocka_unit_test(test_overlapped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
