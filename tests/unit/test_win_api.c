// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * windows.h's kernel32 subset (threads, waits, handles, the last-error
 * slot) and ws2tcpip.h's getaddrinfo and InetPton/InetNtop, with their
 * error paths.
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

static DWORD WINAPI return_arg(LPVOID arg)
{
	return (DWORD)(UINT_PTR)arg;
}

static DWORD WINAPI report_id(LPVOID arg)
{
	*(DWORD *)arg = GetCurrentThreadId();
	return 0;
}

static DWORD WINAPI exits_early(LPVOID arg)
{
	(void)arg;
	ExitThread(42);
	return 1;
}

static DWORD WINAPI waits_for(LPVOID arg)
{
	return WaitForSingleObject(arg, INFINITE) == WAIT_OBJECT_0 ? 5 : 6;
}

static void test_threads(void **state)
{
	HANDLE h;
	DWORD tid = 0, seen = 0, code = 0;

	(void)state;
	h = CreateThread(NULL, 0, report_id, &seen, 0, &tid);
	assert_non_null(h);
	assert_int_equal(WaitForSingleObject(h, INFINITE), WAIT_OBJECT_0);
	assert_int_equal(seen, tid);
	assert_int_not_equal(tid, GetCurrentThreadId());
	assert_true(CloseHandle(h));

	h = CreateThread(NULL, 1, return_arg, (LPVOID)(UINT_PTR)9, 0, NULL);
	assert_non_null(h);
	assert_int_equal(WaitForSingleObject(h, 5000), WAIT_OBJECT_0);
	assert_true(GetExitCodeThread(h, &code));
	assert_int_equal(code, 9);
	assert_true(CloseHandle(h));

	h = CreateThread(NULL, 0, exits_early, NULL, 0, NULL);
	assert_int_equal(WaitForSingleObjectEx(h, INFINITE, TRUE), WAIT_OBJECT_0);
	assert_true(GetExitCodeThread(h, &code));
	assert_int_equal(code, 42);
	assert_false(GetExitCodeThread(h, NULL));
	assert_int_equal(GetLastError(), ERROR_NOACCESS);
	assert_true(CloseHandle(h));
}

static void test_thread_errors(void **state)
{
	DWORD code;

	(void)state;
	assert_null(CreateThread(NULL, 0, return_arg, NULL, CREATE_SUSPENDED, NULL));
	assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
	assert_null(CreateThread(NULL, 0, NULL, NULL, 0, NULL));
	assert_int_equal(GetLastError(), ERROR_INVALID_PARAMETER);
	assert_false(GetExitCodeThread(NULL, &code));
	assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
	assert_false(CloseHandle(NULL));
	assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
	assert_false(CloseHandle(INVALID_HANDLE_VALUE));
	assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
	assert_int_equal(WaitForSingleObject(NULL, 0), WAIT_FAILED);
	assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
	assert_int_equal(WaitForSingleObject(INVALID_HANDLE_VALUE, 0), WAIT_FAILED);
	assert_int_equal(GetLastError(), ERROR_INVALID_HANDLE);
}

/* A thread handle and an event, each waited for and closed through HANDLE. */
static void test_wait_handles(void **state)
{
	WSAEVENT ev = WSACreateEvent();
	HANDLE h;
	DWORD code = 0;

	(void)state;
	assert_int_equal(WaitForSingleObject(ev, 0), WAIT_TIMEOUT);
	h = CreateThread(NULL, 0, waits_for, ev, 0, NULL);
	assert_int_equal(WaitForSingleObject(h, 20), WAIT_TIMEOUT);
	assert_true(GetExitCodeThread(h, &code));
	assert_int_equal(code, STILL_ACTIVE);
	assert_true(WSASetEvent(ev));
	assert_int_equal(WaitForSingleObject(h, INFINITE), WAIT_OBJECT_0);
	assert_int_equal(WaitForSingleObject(ev, 0), WAIT_OBJECT_0);
	assert_true(GetExitCodeThread(h, &code));
	assert_int_equal(code, 5);
	assert_true(CloseHandle(h));
	assert_true(CloseHandle(ev));
}

static int apc_runs;

static void CALLBACK count_apc(DWORD_PTR ctx)
{
	(void)ctx;
	apc_runs++;
}

static DWORD WINAPI open_self(LPVOID arg)
{
	int err;

	return (DWORD)WPUOpenCurrentThread(arg, &err);
}

static DWORD WINAPI sleeper(LPVOID arg)
{
	(void)arg;
	Sleep(30);
	return 0;
}

/*
 * An APC queued to a CreateThread thread after it ended is released
 * without running (apc.c); an alertable wait on a thread runs the caller's.
 */
static void test_thread_apcs(void **state)
{
	WSATHREADID id, me;
	HANDLE h;
	int err;

	(void)state;
	h = CreateThread(NULL, 0, open_self, &id, 0, NULL);
	assert_int_equal(WaitForSingleObject(h, INFINITE), WAIT_OBJECT_0);
	assert_true(CloseHandle(h));
	assert_int_equal(WPUQueueApc(&id, count_apc, 0, &err), 0);
	assert_int_equal(WPUCloseThread(&id, &err), 0);
	assert_int_equal(apc_runs, 0);

	assert_int_equal(WPUOpenCurrentThread(&me, &err), 0);
	h = CreateThread(NULL, 0, sleeper, NULL, 0, NULL);
	assert_int_equal(WPUQueueApc(&me, count_apc, 0, &err), 0);
	assert_int_equal(WaitForSingleObjectEx(h, INFINITE, TRUE), WAIT_IO_COMPLETION);
	assert_int_equal(apc_runs, 1);
	assert_int_equal(WaitForSingleObjectEx(h, INFINITE, TRUE), WAIT_OBJECT_0);
	assert_true(CloseHandle(h));
	assert_int_equal(WPUCloseThread(&me, &err), 0);
}

static void test_last_error(void **state)
{
	ULONGLONG t0 = GetTickCount64();

	(void)state;
	SetLastError(ERROR_NOT_FOUND);
	assert_int_equal(WSAGetLastError(), ERROR_NOT_FOUND);
	WSASetLastError(WSAECONNRESET);
	assert_int_equal(GetLastError(), WSAECONNRESET);
	errno = ECONNREFUSED; /* a plain BSD call's failure reads through both */
	assert_int_equal(GetLastError(), WSAECONNREFUSED);
	SetLastError(ERROR_SUCCESS);
	assert_int_equal(GetLastError(), 0);
	Sleep(5);
	assert_true(GetTickCount64() >= t0 + 5);
	assert_true(GetTickCount() - (DWORD)t0 >= 5);
}

static void test_getaddrinfo(void **state)
{
	ADDRINFOA hints = { 0 }, *res = NULL;
	struct sockaddr_in6 *sin6;

	(void)state;
	hints.ai_family = AF_INET6;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_CANONNAME;
	assert_int_equal(GetAddrInfoA("2001:db8::7", "8000", &hints, &res), 0);
	assert_non_null(res);
	assert_int_equal(res->ai_family, AF_INET6);
	assert_int_equal(res->ai_addrlen, sizeof(*sin6));
	sin6 = (struct sockaddr_in6 *)res->ai_addr;
	assert_int_equal(ntohs(sin6->sin6_port), 8000);
	assert_string_equal(res->ai_canonname, "2001:db8::7");
	assert_null(res->ai_next);
	FreeAddrInfoA(res);
	FreeAddrInfoA(NULL);
	assert_int_equal(GetAddrInfoA("127.0.0.1", NULL, NULL, &res), 0);
	assert_non_null(res);
	FreeAddrInfoA(res);
}

static void expect_gai(PCSTR node, PCSTR service, int flags, int family, int socktype, int err)
{
	ADDRINFOA hints = { .ai_flags = flags, .ai_family = family, .ai_socktype = socktype };
	PADDRINFOA res = (PADDRINFOA)&hints;

	assert_int_equal(GetAddrInfoA(node, service, &hints, &res), err);
	assert_int_equal(WSAGetLastError(), err);
	assert_null(res);
}

static void test_getaddrinfo_errors(void **state)
{
	(void)state;
	expect_gai("not an address", NULL, AI_NUMERICHOST, AF_UNSPEC, 0, EAI_NONAME);
	expect_gai(NULL, NULL, 0, AF_UNSPEC, 0, EAI_NONAME);
	expect_gai("127.0.0.1", "80", 0x40000000, AF_UNSPEC, 0, EAI_BADFLAGS);
	expect_gai("127.0.0.1", "80", AI_NUMERICHOST, 12345, 0, EAI_FAMILY);
	expect_gai("127.0.0.1", "80", AI_NUMERICHOST, AF_INET, 12345, EAI_SOCKTYPE);
	expect_gai("127.0.0.1", "no-such-service-here", AI_NUMERICHOST, AF_INET, SOCK_STREAM,
		   EAI_SERVICE);
	expect_gai("127.0.0.1", "http", AI_NUMERICHOST | AI_NUMERICSERV, AF_INET, SOCK_STREAM,
		   EAI_NONAME);
	assert_int_equal(GetAddrInfoA("127.0.0.1", NULL, NULL, NULL), WSAEFAULT);
	assert_string_equal(gai_strerrorA(EAI_NONAME),
			    "The name does not resolve for the supplied parameters.");
	assert_string_equal(gai_strerrorA(0), "Success");
	assert_string_equal(gai_strerrorA(-12345), "Unknown error.");
}

static void test_inet(void **state)
{
	struct in6_addr a6;
	struct in_addr a4;
	char buf[INET6_ADDRSTRLEN];

	(void)state;
	assert_int_equal(InetPtonA(AF_INET, "198.18.0.1", &a4), 1);
	assert_int_equal(InetPtonA(AF_INET, "198.18.0", &a4), 0);
	assert_int_equal(InetPtonA(12345, "198.18.0.1", &a4), -1);
	assert_int_equal(WSAGetLastError(), WSAEAFNOSUPPORT);
	assert_int_equal(InetPtonA(AF_INET6, NULL, &a6), -1);
	assert_int_equal(WSAGetLastError(), WSAEFAULT);
	assert_int_equal(InetPtonA(AF_INET6, "2001:db8::1", NULL), -1);
	assert_int_equal(WSAGetLastError(), WSAEFAULT);
	assert_int_equal(InetPtonA(AF_INET6, "2001:db8::1", &a6), 1);
	assert_ptr_equal(InetNtopA(AF_INET6, &a6, buf, sizeof(buf)), buf);
	assert_string_equal(buf, "2001:db8::1");
	assert_null(InetNtopA(AF_INET6, &a6, buf, 5));
	assert_int_equal(WSAGetLastError(), ERROR_INVALID_PARAMETER);
	assert_null(InetNtopA(AF_INET, &a4, NULL, 16));
	assert_int_equal(WSAGetLastError(), ERROR_INVALID_PARAMETER);
	assert_null(InetNtopA(AF_INET, NULL, buf, sizeof(buf)));
	assert_int_equal(WSAGetLastError(), ERROR_INVALID_PARAMETER);
	assert_null(InetNtopA(12345, &a4, buf, sizeof(buf)));
	assert_int_equal(WSAGetLastError(), WSAEAFNOSUPPORT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_threads),	     cmocka_unit_test(test_thread_errors),
		cmocka_unit_test(test_wait_handles), cmocka_unit_test(test_thread_apcs),
		cmocka_unit_test(test_last_error),   cmocka_unit_test(test_getaddrinfo),
		cmocka_unit_test(test_getaddrinfo_errors), cmocka_unit_test(test_inet),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
