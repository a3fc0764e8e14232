// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A Windows program, written the way Microsoft's Winsock samples are
 * ("Getting Started with Winsock"), built with only -Iinclude/lwfp/win: it
 * must compile unchanged under -Wall -Wextra -Werror and run on loopback.
 * Every user-mode name of issue 14 that lib/win's winapi part provides is
 * used here at least once. The C headers come before winsock2.h and
 * windows.h after it; test_win_order.c checks the other order.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <winsock2.h>
#include <ws2tcpip.h>
#include <mstcpip.h>
#include <windows.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#define DEFAULT_BUFLEN 512

static int __cdecl report(const char *what)
{
	printf("%s failed with error: %d\n", what, WSAGetLastError());
	return 1;
}

/* getaddrinfo, socket, bind, listen: the sample's server half. */
static SOCKET listen_on(PCSTR port, USHORT *bound)
{
	struct addrinfo *result = NULL, hints;
	SOCKADDR_STORAGE ss;
	int iResult, len = sizeof(ss);
	SOCKET ListenSocket;

	ZeroMemory(&hints, sizeof(hints));
	hints.ai_family = AF_INET;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST;
	iResult = getaddrinfo("127.0.0.1", port, &hints, &result);
	if (iResult != 0) {
		printf("getaddrinfo failed with error: %d\n", iResult);
		return INVALID_SOCKET;
	}
	ListenSocket = socket(result->ai_family, result->ai_socktype, result->ai_protocol);
	if (ListenSocket == INVALID_SOCKET) {
		report("socket");
		freeaddrinfo(result);
		return INVALID_SOCKET;
	}
	iResult = bind(ListenSocket, result->ai_addr, (int)result->ai_addrlen);
	freeaddrinfo(result);
	if (iResult == SOCKET_ERROR || listen(ListenSocket, SOMAXCONN) == SOCKET_ERROR ||
	    getsockname(ListenSocket, (SOCKADDR *)&ss, &len) == SOCKET_ERROR) {
		report("bind/listen");
		closesocket(ListenSocket);
		return INVALID_SOCKET;
	}
	*bound = ntohs(SS_PORT(&ss));
	return ListenSocket;
}

static SOCKET connect_to(USHORT port)
{
	struct addrinfo *result = NULL, *ptr, hints;
	SOCKET ConnectSocket = INVALID_SOCKET;
	char service[16];

	ZeroMemory(&hints, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	snprintf(service, sizeof(service), "%u", port);
	if (GetAddrInfoA("127.0.0.1", service, &hints, &result) != 0)
		return INVALID_SOCKET;
	for (ptr = result; ptr != NULL; ptr = ptr->ai_next) {
		ConnectSocket = socket(ptr->ai_family, ptr->ai_socktype, ptr->ai_protocol);
		if (ConnectSocket == INVALID_SOCKET)
			break;
		if (connect(ConnectSocket, ptr->ai_addr, (int)ptr->ai_addrlen) == SOCKET_ERROR) {
			closesocket(ConnectSocket);
			ConnectSocket = INVALID_SOCKET;
			continue;
		}
		break;
	}
	FreeAddrInfoA(result);
	return ConnectSocket;
}

static DWORD WINAPI echo_thread(LPVOID lpParam)
{
	SOCKET ListenSocket = (SOCKET)(UINT_PTR)lpParam;
	SOCKET ClientSocket;
	char recvbuf[DEFAULT_BUFLEN];
	int recvbuflen = DEFAULT_BUFLEN, iResult;
	BOOL nodelay = TRUE;

	ClientSocket = accept(ListenSocket, NULL, NULL);
	if (ClientSocket == INVALID_SOCKET)
		return (DWORD)report("accept");
	setsockopt(ClientSocket, IPPROTO_TCP, TCP_NODELAY, (char *)&nodelay, sizeof(nodelay));
	do {
		iResult = recv(ClientSocket, recvbuf, recvbuflen, 0);
		if (iResult > 0 && send(ClientSocket, recvbuf, iResult, 0) == SOCKET_ERROR)
			iResult = -report("send");
	} while (iResult > 0);
	shutdown(ClientSocket, SD_SEND);
	closesocket(ClientSocket);
	return iResult == 0 ? 7 : 1;
}

static void test_sample_echo(void **state)
{
	WSADATA wsaData;
	SOCKET ListenSocket, ConnectSocket;
	const char *sendbuf = "this is a test";
	char recvbuf[DEFAULT_BUFLEN];
	HANDLE thread;
	DWORD tid = 0, code = 0;
	USHORT port = 0;
	int iResult;

	UNREFERENCED_PARAMETER(state);
	assert_int_equal(WSAStartup(MAKEWORD(2, 2), &wsaData), 0);
	ListenSocket = listen_on("0", &port);
	assert_int_not_equal(ListenSocket, INVALID_SOCKET);
	thread = CreateThread(NULL, 0, echo_thread, (LPVOID)(UINT_PTR)ListenSocket, 0, &tid);
	assert_non_null(thread);
	assert_int_not_equal(tid, 0);
	ConnectSocket = connect_to(port);
	assert_int_not_equal(ConnectSocket, INVALID_SOCKET);
	iResult = send(ConnectSocket, sendbuf, (int)strlen(sendbuf), 0);
	assert_int_equal(iResult, (int)strlen(sendbuf));
	assert_int_equal(shutdown(ConnectSocket, SD_SEND), 0);
	iResult = recv(ConnectSocket, recvbuf, DEFAULT_BUFLEN, 0);
	assert_int_equal(iResult, (int)strlen(sendbuf));
	assert_memory_equal(recvbuf, sendbuf, strlen(sendbuf));
	assert_int_equal(recv(ConnectSocket, recvbuf, DEFAULT_BUFLEN, 0), 0);
	assert_int_equal(WaitForSingleObject(thread, INFINITE), WAIT_OBJECT_0);
	assert_true(GetExitCodeThread(thread, &code));
	assert_int_equal(code, 7);
	assert_true(CloseHandle(thread));
	assert_int_equal(closesocket(ConnectSocket), 0);
	assert_int_equal(closesocket(ListenSocket), 0);
	assert_int_equal(WSACleanup(), 0);
}

/* The Windows address types and text conversions. */
static void test_sample_addresses(void **state)
{
	SOCKADDR_INET si;
	IN_ADDR a;
	char text[INET6_ADDRSTRLEN];
	PBYTE b = (PBYTE)&a;
	LPBYTE lb = b;

	UNREFERENCED_PARAMETER(state);
	ZeroMemory(&si, sizeof(si));
	si.si_family = AF_INET;
	si.Ipv4.sin_port = htons(8000);
	assert_int_equal(InetPtonA(AF_INET, "198.18.0.2", &si.Ipv4.sin_addr), 1);
	a = si.Ipv4.sin_addr;
	assert_int_equal(a.S_un.S_un_b.s_b1, 198);
	assert_int_equal(lb[3], 2);
	assert_int_equal(a.S_un.S_addr, a.s_addr);
	assert_int_equal(ntohl(a.S_un.S_addr), 0xC6120002u);
	assert_string_equal(inet_ntoa(a), "198.18.0.2");
	assert_non_null(InetNtopA(AF_INET, &a, text, sizeof(text)));
	assert_string_equal(text, "198.18.0.2");
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::2", &si.Ipv6.sin6_addr), 1);
	assert_non_null(inet_ntop(AF_INET6, &si.Ipv6.sin6_addr, text, sizeof(text)));
	assert_string_equal(text, "2001:db8::2");
	assert_null(InetNtopA(AF_INET6, &si.Ipv6.sin6_addr, text, 4));
	assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
	assert_int_equal(inet_addr("198.18.0.2"), a.s_addr);
}

/* ioctlsocket, WSAPoll, WSAEventSelect and WSAConnect, as a sample uses them. */
static void test_sample_nonblocking(void **state)
{
	WSADATA wsaData;
	SOCKET ListenSocket, s, c;
	SOCKADDR_IN sa;
	u_long mode = 1, avail = 0;
	WSAPOLLFD fds[1];
	WSAEVENT ev;
	WSANETWORKEVENTS ne;
	USHORT port = 0;
	char buf[8];
	int fromlen = sizeof(sa);

	UNREFERENCED_PARAMETER(state);
	assert_int_equal(WSAStartup(MAKEWORD(2, 2), &wsaData), 0);
	ListenSocket = listen_on("0", &port);
	ev = WSACreateEvent();
	assert_int_equal(WSAEventSelect(ListenSocket, ev, FD_ACCEPT), 0);
	s = WSASocketA(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0, 0);
	assert_int_equal(ioctlsocket(s, FIONBIO, &mode), 0);
	ZeroMemory(&sa, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(port);
	sa.sin_addr.S_un.S_addr = htonl(INADDR_LOOPBACK);
	if (WSAConnect(s, (SOCKADDR *)&sa, sizeof(sa), NULL, NULL, NULL, NULL) == SOCKET_ERROR)
		assert_int_equal(WSAGetLastError(), WSAEWOULDBLOCK);
	fds[0].fd = s;
	fds[0].events = POLLWRNORM;
	assert_int_equal(WSAPoll(fds, 1, 5000), 1);
	assert_int_equal(fds[0].revents, POLLWRNORM);
	assert_int_equal(WaitForSingleObject(ev, 5000), WAIT_OBJECT_0);
	assert_int_equal(WSAEnumNetworkEvents(ListenSocket, ev, &ne), 0);
	assert_int_equal(ne.lNetworkEvents, FD_ACCEPT);
	assert_int_equal(ne.iErrorCode[FD_ACCEPT_BIT], 0);
	c = accept(ListenSocket, NULL, NULL);
	assert_int_not_equal(c, INVALID_SOCKET);
	assert_int_equal(send(s, "ab", 2, 0), 2);
	fds[0].fd = c;
	fds[0].events = POLLRDNORM;
	assert_int_equal(WSAPoll(fds, 1, 5000), 1);
	assert_int_equal(ioctlsocket(c, FIONREAD, &avail), 0);
	assert_int_equal(avail, 2);
	assert_int_equal(recvfrom(c, buf, sizeof(buf), 0, (SOCKADDR *)&sa, &fromlen), 2);
	assert_int_equal(fromlen, sizeof(SOCKADDR_IN)); /* ignored on a stream socket */
	Sleep(1);
	closesocket(c);
	closesocket(s);
	closesocket(ListenSocket);
	assert_true(CloseHandle(ev));
	WSACleanup();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sample_echo),
		cmocka_unit_test(test_sample_addresses),
		cmocka_unit_test(test_sample_nonblocking),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
