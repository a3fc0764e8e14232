// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Readiness the Windows way: ioctlsocket, WSAPoll, WSAEventSelect with
 * WSAEnumNetworkEvents and its re-enabling rules, and the BSD calls with
 * Windows prototypes (recv, send, recvfrom, sendto, connect, WSAConnect).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "../../lib/win/lwfp_win_internal.h"

/* A listening socket on 127.0.0.1 and its address. */
static SOCKET listener(struct sockaddr_in *sa)
{
	SOCKET l = WSASocketA(AF_INET, SOCK_STREAM, 0, NULL, 0, WSA_FLAG_OVERLAPPED);
	socklen_t len = sizeof(*sa);

	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind((int)l, (struct sockaddr *)sa, sizeof(*sa)), 0);
	assert_int_equal(listen((int)l, 4), 0);
	assert_int_equal(getsockname((int)l, (struct sockaddr *)sa, &len), 0);
	return l;
}

static void pair(SOCKET *l, SOCKET *c, SOCKET *a)
{
	struct sockaddr_in sa;

	*l = listener(&sa);
	*c = WSASocketA(AF_INET, SOCK_STREAM, 0, NULL, 0, WSA_FLAG_OVERLAPPED);
	assert_int_equal(lwfp_win_connect(*c, (struct sockaddr *)&sa, sizeof(sa)), 0);
	*a = lwfp_win_accept(*l, NULL, NULL);
	assert_int_not_equal(*a, INVALID_SOCKET);
}

static void unpair(SOCKET l, SOCKET c, SOCKET a)
{
	closesocket(l);
	closesocket(c);
	closesocket(a);
}

static void test_ioctlsocket(void **state)
{
	SOCKET l, c, a;
	u_long v = 1;
	char ch;

	(void)state;
	pair(&l, &c, &a);
	assert_int_equal(ioctlsocket(a, FIONBIO, &v), 0);
	assert_true(fcntl((int)a, F_GETFL) & O_NONBLOCK);
	assert_int_equal(lwfp_win_recv(a, &ch, 1, 0), SOCKET_ERROR);
	assert_int_equal(WSAGetLastError(), WSAEWOULDBLOCK);
	v = 0;
	assert_int_equal(ioctlsocket(a, FIONBIO, &v), 0);
	assert_false(fcntl((int)a, F_GETFL) & O_NONBLOCK);
	assert_int_equal(ioctlsocket(a, FIONREAD, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(lwfp_win_send(c, "xyz", 3, 0), 3);
	while (ioctlsocket(a, FIONREAD, &v) == 0 && v < 3)
		usleep(1000);
	assert_int_equal(v, 3);
	assert_int_equal(ioctlsocket(a, SIOCATMARK, &v), 0);
	assert_int_equal(v, TRUE); /* no urgent data */
	assert_int_equal(lwfp_win_send(c, "!", 1, MSG_OOB), 1);
	do
		assert_int_equal(ioctlsocket(a, SIOCATMARK, &v), 0);
	while (v && !usleep(1000));
	assert_int_equal(v, FALSE);
	assert_int_equal(lwfp_win_recv(a, &ch, 1, MSG_OOB), 1);
	assert_int_equal(ioctlsocket(a, SIOCATMARK, &v), 0);
	assert_int_equal(v, TRUE);

	assert_int_equal(ioctlsocket(a, 0x12345, &v), SOCKET_ERROR);
	assert_int_equal(WSAGetLastError(), WSAEINVAL);
	assert_int_equal(ioctlsocket(a, FIONBIO, NULL), SOCKET_ERROR);
	assert_int_equal(WSAGetLastError(), WSAEFAULT);
	assert_int_equal(ioctlsocket((SOCKET)-5, FIONBIO, &v), SOCKET_ERROR);
	assert_int_equal(WSAGetLastError(), WSAENOTSOCK);
	assert_int_equal(ioctlsocket(STDIN_FILENO, FIONREAD, &v), SOCKET_ERROR);
	assert_int_equal(WSAGetLastError(), WSAENOTSOCK);
	unpair(l, c, a);
}

static void test_wsapoll(void **state)
{
	SOCKET l, c, a;
	WSAPOLLFD fds[3];

	(void)state;
	pair(&l, &c, &a);
	fds[0] = (WSAPOLLFD){ .fd = a, .events = POLLRDNORM | POLLWRNORM };
	fds[1] = (WSAPOLLFD){ .fd = INVALID_SOCKET, .events = POLLRDNORM, .revents = 7 };
	fds[2] = (WSAPOLLFD){ .fd = c, .events = POLLIN };
	assert_int_equal(WSAPoll(fds, 3, 1000), 1);
	assert_int_equal(fds[0].revents, POLLWRNORM);
	assert_int_equal(fds[1].revents, 0);
	assert_int_equal(fds[2].revents, 0);
	assert_int_equal(lwfp_win_send(c, "q", 1, 0), 1);
	fds[0].events = POLLIN;
	assert_int_equal(WSAPoll(fds, 1, -1), 1);
	assert_int_equal(fds[0].revents, POLLRDNORM);
	closesocket(c);
	assert_int_equal(WSAPoll(fds, 1, 1000), 1);
	assert_true(fds[0].revents & POLLRDNORM);
	fds[0].fd = 1000;
	assert_int_equal(WSAPoll(fds, 1, 0), 1);
	assert_int_equal(fds[0].revents, POLLNVAL);

	fds[0].events = 0x4000;
	assert_int_equal(WSAPoll(fds, 1, 0), SOCKET_ERROR);
	assert_int_equal(WSAGetLastError(), WSAEINVAL);
	assert_int_equal(WSAPoll(fds, 0, 0), SOCKET_ERROR);
	assert_int_equal(WSAGetLastError(), WSAEINVAL);
	assert_int_equal(WSAPoll(NULL, 1, 0), SOCKET_ERROR);
	assert_int_equal(WSAGetLastError(), WSAEFAULT);
	closesocket(l);
	closesocket(a);
}

static LONG wait_events(SOCKET s, WSAEVENT ev, WSANETWORKEVENTS *ne)
{
	assert_int_equal(WSAWaitForMultipleEvents(1, &ev, FALSE, 5000, FALSE), WSA_WAIT_EVENT_0);
	assert_int_equal(WSAEnumNetworkEvents(s, ev, ne), 0);
	return ne->lNetworkEvents;
}

/* FD_CONNECT and FD_WRITE on connect, then FD_ACCEPT, re-enabled by accept. */
static void test_eventselect_connect(void **state)
{
	struct sockaddr_in sa;
	WSANETWORKEVENTS ne;
	WSAEVENT ev = WSACreateEvent(), lev = WSACreateEvent();
	SOCKET l = listener(&sa), c, a;
	u_long off = 0;

	(void)state;
	c = WSASocketA(AF_INET, SOCK_STREAM, 0, NULL, 0, WSA_FLAG_OVERLAPPED);
	assert_int_equal(WSAEventSelect(l, lev, FD_ACCEPT), 0);
	assert_int_equal(WSAEventSelect(c, ev, FD_CONNECT | FD_WRITE | FD_READ | FD_CLOSE), 0);
	assert_true(fcntl((int)c, F_GETFL) & O_NONBLOCK);
	assert_int_equal(ioctlsocket(c, FIONBIO, &off), SOCKET_ERROR);
	assert_int_equal(WSAGetLastError(), WSAEINVAL);
	/* A fresh socket posts nothing until connect starts it. */
	assert_int_equal(WSAWaitForMultipleEvents(1, &ev, FALSE, 30, FALSE), WSA_WAIT_TIMEOUT);
	assert_int_equal(lwfp_win_connect(c, (struct sockaddr *)&sa, sizeof(sa)), SOCKET_ERROR);
	assert_int_equal(WSAGetLastError(), WSAEWOULDBLOCK);
	while (ne.lNetworkEvents = 0, (wait_events(c, ev, &ne) & FD_WRITE) == 0)
		;
	assert_int_equal(ne.iErrorCode[FD_WRITE_BIT], 0);
	assert_int_equal(wait_events(l, lev, &ne), FD_ACCEPT);
	assert_int_equal(WSAWaitForMultipleEvents(1, &lev, FALSE, 30, FALSE), WSA_WAIT_TIMEOUT);
	a = lwfp_win_accept(l, NULL, NULL);
	assert_int_not_equal(a, INVALID_SOCKET);
	closesocket(a);
	closesocket(c);
	closesocket(l);
	WSACloseEvent(ev);
	WSACloseEvent(lev);
}

/* FD_CONNECT carries the error of a refused connection. */
static void test_eventselect_refused(void **state)
{
	struct sockaddr_in sa;
	WSANETWORKEVENTS ne;
	WSAEVENT ev = WSACreateEvent();
	SOCKET l = listener(&sa), c;

	(void)state;
	closesocket(l); /* nobody listens on sa any more */
	c = WSASocketA(AF_INET, SOCK_STREAM, 0, NULL, 0, WSA_FLAG_OVERLAPPED);
	assert_int_equal(WSAEventSelect(c, ev, FD_CONNECT | FD_CLOSE), 0);
	lwfp_win_connect(c, (struct sockaddr *)&sa, sizeof(sa));
	assert_int_equal(wait_events(c, ev, &ne), FD_CONNECT);
	assert_int_equal(ne.iErrorCode[FD_CONNECT_BIT], WSAECONNREFUSED);
	closesocket(c);
	WSACloseEvent(ev);
}

/* FD_READ once until recv re-enables it; FD_CLOSE when the peer closes. */
static void test_eventselect_read(void **state)
{
	SOCKET l, c, a;
	WSANETWORKEVENTS ne;
	WSAEVENT ev = WSACreateEvent();
	char buf[4];

	(void)state;
	pair(&l, &c, &a);
	assert_int_equal(WSAEventSelect(a, ev, FD_READ | FD_CLOSE), 0);
	assert_int_equal(lwfp_win_send(c, "abcd", 4, 0), 4);
	assert_int_equal(wait_events(a, ev, &ne), FD_READ);
	assert_int_equal(WSAWaitForMultipleEvents(1, &ev, FALSE, 30, FALSE), WSA_WAIT_TIMEOUT);
	assert_int_equal(lwfp_win_recv(a, buf, 2, 0), 2);
	/* Data remains after the recv: FD_READ is posted again. */
	assert_int_equal(wait_events(a, ev, &ne), FD_READ);
	assert_int_equal(lwfp_win_recv(a, buf, 2, 0), 2);
	closesocket(c);
	while (ne.lNetworkEvents = 0, (wait_events(a, ev, &ne) & FD_CLOSE) == 0)
		;
	assert_int_equal(ne.iErrorCode[FD_CLOSE_BIT], 0);
	assert_int_equal(lwfp_win_recv(a, buf, 4, 0), 0);
	/* closesocket cancels the selection: nothing more is posted. */
	WSAResetEvent(ev);
	closesocket(a);
	assert_int_equal(WSAWaitForMultipleEvents(1, &ev, FALSE, 30, FALSE), WSA_WAIT_TIMEOUT);
	closesocket(l);
	WSACloseEvent(ev);
}

static void test_eventselect_cancel_and_errors(void **state)
{
	SOCKET l, c, a;
	WSANETWORKEVENTS ne;
	WSAEVENT ev = WSACreateEvent();
	u_long off = 0;

	(void)state;
	pair(&l, &c, &a);
	assert_int_equal(WSAEventSelect(a, ev, FD_READ), 0);
	assert_int_equal(WSAEventSelect(a, NULL, 0), 0);
	assert_int_equal(ioctlsocket(a, FIONBIO, &off), 0); /* no longer selected */
	assert_int_equal(lwfp_win_send(c, "x", 1, 0), 1);
	assert_int_equal(WSAWaitForMultipleEvents(1, &ev, FALSE, 30, FALSE), WSA_WAIT_TIMEOUT);
	assert_int_equal(WSAEnumNetworkEvents(a, NULL, &ne), 0);
	assert_int_equal(ne.lNetworkEvents, 0);

	assert_int_equal(WSAEventSelect(a, (WSAEVENT)&off, FD_READ), SOCKET_ERROR);
	assert_int_equal(WSAGetLastError(), WSAEINVAL);
	assert_int_equal(WSAEventSelect(a, ev, 0x10000), SOCKET_ERROR);
	assert_int_equal(WSAGetLastError(), WSAEINVAL);
	assert_int_equal(WSAEventSelect(STDIN_FILENO, ev, FD_READ), SOCKET_ERROR);
	assert_int_equal(WSAGetLastError(), WSAENOTSOCK);
	assert_int_equal(WSAEnumNetworkEvents(a, ev, NULL), SOCKET_ERROR);
	assert_int_equal(WSAGetLastError(), WSAEFAULT);
	assert_int_equal(WSAEnumNetworkEvents(a, (WSAEVENT)&off, &ne), SOCKET_ERROR);
	assert_int_equal(WSAGetLastError(), WSAEINVAL);
	assert_int_equal(WSAEnumNetworkEvents(STDIN_FILENO, ev, &ne), SOCKET_ERROR);
	assert_int_equal(WSAGetLastError(), WSAENOTSOCK);
	unpair(l, c, a);
	WSACloseEvent(ev);
}

/* FD_WRITE comes back only after a send failed with WSAEWOULDBLOCK. */
static void test_eventselect_write(void **state)
{
	static char big[65536];
	SOCKET l, c, a;
	WSANETWORKEVENTS ne;
	WSAEVENT ev = WSACreateEvent();
	char buf[65536];

	(void)state;
	pair(&l, &c, &a);
	assert_int_equal(WSAEventSelect(c, ev, FD_WRITE), 0);
	assert_int_equal(wait_events(c, ev, &ne), FD_WRITE);
	while (lwfp_win_send(c, big, sizeof(big), 0) > 0)
		;
	assert_int_equal(WSAGetLastError(), WSAEWOULDBLOCK);
	assert_int_equal(WSAWaitForMultipleEvents(1, &ev, FALSE, 30, FALSE), WSA_WAIT_TIMEOUT);
	while (lwfp_win_recv(a, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
	assert_int_equal(wait_events(c, ev, &ne), FD_WRITE);
	unpair(l, c, a);
	WSACloseEvent(ev);
}

static void test_bsd_calls(void **state)
{
	SOCKET u = WSASocketA(AF_INET, SOCK_DGRAM, 0, NULL, 0, WSA_FLAG_OVERLAPPED);
	struct sockaddr_in sa = { .sin_family = AF_INET }, from;
	socklen_t len = sizeof(sa);
	int fromlen = sizeof(from);
	WSABUF data = { 0 };
	char buf[8];

	(void)state;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind((int)u, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname((int)u, (struct sockaddr *)&sa, &len), 0);
	assert_int_equal(lwfp_win_sendto(u, "hi", 2, 0, (struct sockaddr *)&sa, sizeof(sa)), 2);
	assert_int_equal(lwfp_win_recvfrom(u, buf, sizeof(buf), 0, (struct sockaddr *)&from,
					   &fromlen),
			 2);
	assert_int_equal(fromlen, sizeof(from));
	assert_int_equal(from.sin_port, sa.sin_port);
	assert_int_equal(lwfp_win_recvfrom(u, buf, -1, 0, NULL, NULL), SOCKET_ERROR);
	assert_int_equal(WSAGetLastError(), WSAEFAULT);
	assert_int_equal(lwfp_win_recvfrom(u, buf, 1, 0, (struct sockaddr *)&from, NULL),
			 SOCKET_ERROR);
	assert_int_equal(WSAGetLastError(), WSAEFAULT);
	assert_int_equal(lwfp_win_recv(u, buf, -1, 0), SOCKET_ERROR);
	assert_int_equal(WSAGetLastError(), WSAEFAULT);
	assert_int_equal(lwfp_win_send(u, buf, -1, 0), SOCKET_ERROR);
	assert_int_equal(WSAGetLastError(), WSAEFAULT);
	assert_int_equal(lwfp_win_sendto(u, buf, 1, 0, (struct sockaddr *)&sa, -1), SOCKET_ERROR);
	assert_int_equal(WSAGetLastError(), WSAEFAULT);
	assert_int_equal(lwfp_win_recv((SOCKET)-2, buf, 1, 0), SOCKET_ERROR);
	assert_int_equal(WSAGetLastError(), WSAENOTSOCK);
	assert_int_equal(lwfp_win_send((SOCKET)-2, buf, 1, 0), SOCKET_ERROR);
	assert_int_equal(WSAGetLastError(), WSAENOTSOCK);
	assert_int_equal(lwfp_win_recvfrom((SOCKET)-2, buf, 1, 0, NULL, NULL), SOCKET_ERROR);
	assert_int_equal(lwfp_win_sendto((SOCKET)-2, buf, 1, 0, NULL, 0), SOCKET_ERROR);
	assert_int_equal(lwfp_win_recv(u, buf, 1, MSG_DONTWAIT), SOCKET_ERROR);
	assert_int_equal(WSAGetLastError(), WSAEWOULDBLOCK);

	assert_int_equal(WSAConnect(u, (struct sockaddr *)&sa, sizeof(sa), &data, NULL, NULL, NULL),
			 SOCKET_ERROR);
	assert_int_equal(WSAGetLastError(), WSAEOPNOTSUPP);
	assert_int_equal(WSAConnect(u, (struct sockaddr *)&sa, sizeof(sa), NULL, NULL, NULL,
				    (LPQOS)&data),
			 SOCKET_ERROR);
	assert_int_equal(WSAGetLastError(), WSAEOPNOTSUPP);
	assert_int_equal(WSAConnect(u, NULL, 0, NULL, NULL, NULL, NULL), SOCKET_ERROR);
	assert_int_equal(WSAGetLastError(), WSAEFAULT);
	assert_int_equal(WSAConnect((SOCKET)-2, NULL, 0, NULL, NULL, NULL, NULL), SOCKET_ERROR);
	assert_int_equal(WSAGetLastError(), WSAENOTSOCK);
	assert_int_equal(WSAConnect(u, (struct sockaddr *)&sa, 3, NULL, NULL, NULL, NULL),
			 SOCKET_ERROR);
	assert_int_equal(WSAGetLastError(), WSAEINVAL);
	assert_int_equal(WSAConnect(u, (struct sockaddr *)&sa, sizeof(sa), NULL, NULL, NULL, NULL),
			 0);
	closesocket(u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ioctlsocket),
		cmocka_unit_test(test_wsapoll),
		cmocka_unit_test(test_eventselect_connect),
		cmocka_unit_test(test_eventselect_refused),
		cmocka_unit_test(test_eventselect_read),
		cmocka_unit_test(test_eventselect_cancel_and_errors),
		cmocka_unit_test(test_eventselect_write),
		cmocka_unit_test(test_bsd_calls),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
