// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * WSARecv, WSASend, WSARecvFrom, WSASendTo and SIO_FLUSH on loopback:
 *   - blocking without overlap: scatter/gather, MSG_PEEK, 0 bytes at an
 *     orderly close, WSAECONNRESET at a reset, the refused flags;
 *   - overlapped: an immediate completion returns 0, sets the event and
 *     still queues the routine for the next alertable wait; otherwise
 *     WSA_IO_PENDING, then the event, WSAGetOverlappedResult or the
 *     routine at an alertable wait of the issuing thread;
 *   - a pending receive does not hold up another socket's;
 *   - closesocket aborts pending transfers with WSA_OPERATION_ABORTED;
 *   - SIO_FLUSH waits for, or completes after, the pending sends;
 *   - WSAEINPROGRESS for a blocking call from a routine that an alertable
 *     WSAWaitForMultipleEvents runs; the same call from SleepEx goes through.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../lib/win/lwfp_win_internal.h"

#define BIG (32u << 20) /* more than loopback buffers hold */

static int tcp_pair(int fd[2])
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int l = socket(AF_INET, SOCK_STREAM, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (l < 0 || bind(l, (struct sockaddr *)&sin, len) || listen(l, 1) ||
	    getsockname(l, (struct sockaddr *)&sin, &len))
		return -1;
	fd[0] = socket(AF_INET, SOCK_STREAM, 0);
	if (fd[0] < 0 || connect(fd[0], (struct sockaddr *)&sin, len))
		return -1;
	fd[1] = accept(l, NULL, NULL);
	close(l);
	return fd[1] < 0 ? -1 : 0;
}

static int setup(void **state)
{
	static int fd[2];

	assert_int_equal(tcp_pair(fd), 0);
	*state = fd;
	return 0;
}

static int teardown(void **state)
{
	int *fd = *state;

	closesocket(fd[0]);
	closesocket(fd[1]);
	return 0;
}

/* ---- what completion routines saw ---------------------------------------- */

/* The last completion a routine reported, and how many there were. */
struct report {
	DWORD err;
	DWORD bytes;
	LPWSAOVERLAPPED ov;
};

static struct {
	int calls;
	struct report last;
	int nested_err; /* what a blocking WSARecv inside the routine said */
} seen;

static void CALLBACK routine(DWORD dwError, DWORD cbTransferred, LPWSAOVERLAPPED lpOverlapped,
			     DWORD dwFlags)
{
	(void)dwFlags;
	seen.last = (struct report){ dwError, cbTransferred, lpOverlapped };
	seen.calls++;
}

static void reset_seen(void)
{
	memset(&seen, 0, sizeof(seen));
}

static int recv1(SOCKET s, char *buf, ULONG len, LPWSAOVERLAPPED ov,
		 LPWSAOVERLAPPED_COMPLETION_ROUTINE fn, DWORD *bytes)
{
	WSABUF b = { len, buf };
	DWORD flags = 0;

	return WSARecv(s, &b, 1, bytes, &flags, ov, fn);
}

static int send1(SOCKET s, const char *buf, ULONG len, LPWSAOVERLAPPED ov, DWORD *bytes)
{
	WSABUF b = { len, (char *)buf };

	return WSASend(s, &b, 1, bytes, 0, ov, NULL);
}

/* ---- blocking ------------------------------------------------------------ */

static void test_blocking_scatter_gather(void **state)
{
	int *fd = *state;
	char a[3], b[5];
	WSABUF out[2] = { { 4, "abcd" }, { 4, "efgh" } };
	WSABUF in[2] = { { sizeof(a), a }, { sizeof(b), b } };
	DWORD n = 0, flags = MSG_PEEK;

	assert_int_equal(WSASend(fd[0], out, 2, &n, 0, NULL, NULL), 0);
	assert_int_equal(n, 8);
	assert_int_equal(WSARecv(fd[1], in, 1, &n, &flags, NULL, NULL), 0);
	assert_int_equal(n, 3);
	assert_int_equal(flags, 0);
	flags = MSG_WAITALL;
	assert_int_equal(WSARecv(fd[1], in, 2, &n, &flags, NULL, NULL), 0);
	assert_int_equal(n, 8);
	assert_memory_equal(a, "abc", 3);
	assert_memory_equal(b, "defgh", 5);
}

static void test_blocking_close_and_reset(void **state)
{
	int *fd = *state, pair[2];
	struct linger lg = { 1, 0 };
	char buf[8];
	DWORD n = 99;

	shutdown(fd[0], SHUT_WR);
	assert_int_equal(recv1(fd[1], buf, sizeof(buf), NULL, NULL, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(tcp_pair(pair), 0);
	setsockopt(pair[0], SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(pair[0]);
	assert_int_equal(recv1(pair[1], buf, sizeof(buf), NULL, NULL, &n), SOCKET_ERROR);
	assert_int_equal(WSAGetLastError(), WSAECONNRESET);
	assert_int_equal(n, 0);
	closesocket(pair[1]);
}

static void test_errors(void **state)
{
	int *fd = *state;
	WSABUF b = { 1, "x" };
	DWORD n, flags = MSG_PARTIAL;
	WSAOVERLAPPED ov = { 0 };

	assert_int_equal(WSARecv(fd[1], &b, 1, &n, &flags, NULL, NULL), SOCKET_ERROR);
	assert_int_equal(WSAGetLastError(), WSAEOPNOTSUPP);
	assert_int_equal(WSASend(fd[0], &b, 1, &n, MSG_PEEK, NULL, NULL), SOCKET_ERROR);
	assert_int_equal(WSAGetLastError(), WSAEOPNOTSUPP);
	assert_int_equal(WSARecv(fd[1], &b, 1, &n, NULL, NULL, NULL), SOCKET_ERROR);
	assert_int_equal(WSAGetLastError(), WSAEFAULT);
	flags = 0;
	assert_int_equal(WSARecv(fd[1], &b, 1, NULL, &flags, NULL, NULL), SOCKET_ERROR);
	assert_int_equal(WSAGetLastError(), WSAEFAULT);
	assert_int_equal(WSARecv(fd[1], (LPWSABUF)8, 1, &n, &flags, &ov, NULL), SOCKET_ERROR);
	assert_int_equal(WSAGetLastError(), WSAEFAULT);
	assert_int_equal(WSASend(fd[0], &b, 1, (LPDWORD)8, 0, NULL, NULL), SOCKET_ERROR);
	assert_int_equal(WSAGetLastError(), WSAEFAULT);
	assert_int_equal(WSASend(INVALID_SOCKET, &b, 1, &n, 0, NULL, NULL), SOCKET_ERROR);
	assert_int_equal(WSAGetLastError(), WSAENOTSOCK);
	assert_int_equal(WSASendTo(fd[0], &b, 1, &n, 0, (struct sockaddr *)8, 16, NULL, NULL),
			 SOCKET_ERROR);
	assert_int_equal(WSAGetLastError(), WSAEFAULT);
}

/* ---- overlapped ---------------------------------------------------------- */

static void test_immediate_completion(void **state)
{
	int *fd = *state;
	WSAOVERLAPPED ov = { .hEvent = WSACreateEvent() };
	char buf[16];
	DWORD n = 0, flags = 1;

	reset_seen();
	assert_int_equal(send(fd[0], "hello", 5, 0), 5);
	usleep(10000);
	assert_int_equal(recv1(fd[1], buf, sizeof(buf), &ov, NULL, &n), 0);
	assert_int_equal(n, 5);
	assert_true(HasOverlappedIoCompleted(&ov));
	assert_int_equal(WSAWaitForMultipleEvents(1, &ov.hEvent, TRUE, 0, FALSE), WSA_WAIT_EVENT_0);
	assert_true(WSAGetOverlappedResult(fd[1], &ov, &n, FALSE, &flags));
	assert_int_equal(n, 5);
	assert_int_equal(flags, 0);
	/* With a routine: completed at once, yet the routine waits for SleepEx. */
	assert_int_equal(send(fd[0], "again", 5, 0), 5);
	usleep(10000);
	assert_int_equal(recv1(fd[1], buf, sizeof(buf), &ov, routine, &n), 0);
	assert_int_equal(n, 5);
	assert_int_equal(seen.calls, 0);
	assert_int_equal(SleepEx(0, TRUE), WAIT_IO_COMPLETION);
	assert_int_equal(seen.calls, 1);
	assert_int_equal(seen.last.bytes, 5);
	assert_ptr_equal(seen.last.ov, &ov);
	WSACloseEvent(ov.hEvent);
}

static void test_pending_event(void **state)
{
	int *fd = *state;
	WSAOVERLAPPED ov = { .hEvent = WSACreateEvent() };
	char buf[16];
	DWORD n = 7, flags;

	WSASetEvent(ov.hEvent);
	assert_int_equal(recv1(fd[1], buf, sizeof(buf), &ov, NULL, &n), SOCKET_ERROR);
	assert_int_equal(WSAGetLastError(), WSA_IO_PENDING);
	assert_int_equal(WSAWaitForMultipleEvents(1, &ov.hEvent, TRUE, 20, FALSE),
			 WSA_WAIT_TIMEOUT);
	assert_false(WSAGetOverlappedResult(fd[1], &ov, &n, FALSE, &flags));
	assert_int_equal(WSAGetLastError(), WSA_IO_INCOMPLETE);
	assert_int_equal(send(fd[0], "late", 4, 0), 4);
	assert_int_equal(WSAWaitForMultipleEvents(1, &ov.hEvent, TRUE, 5000, FALSE),
			 WSA_WAIT_EVENT_0);
	assert_true(WSAGetOverlappedResult(fd[1], &ov, &n, FALSE, &flags));
	assert_int_equal(n, 4);
	assert_memory_equal(buf, "late", 4);
	WSACloseEvent(ov.hEvent);
}

static void test_pending_routine(void **state)
{
	int *fd = *state;
	WSAOVERLAPPED ov = { 0 };
	char buf[16];
	DWORD n;

	reset_seen();
	assert_int_equal(recv1(fd[1], buf, sizeof(buf), &ov, routine, &n), SOCKET_ERROR);
	assert_int_equal(WSAGetLastError(), WSA_IO_PENDING);
	assert_int_equal(send(fd[0], "xyz", 3, 0), 3);
	assert_true(WSAGetOverlappedResult(fd[1], &ov, &n, TRUE, &(DWORD){ 0 }));
	assert_int_equal(seen.calls, 0); /* not alertable yet */
	assert_int_equal(SleepEx(5000, TRUE), WAIT_IO_COMPLETION);
	assert_int_equal(seen.calls, 1);
	assert_int_equal(seen.last.err, 0);
	assert_int_equal(seen.last.bytes, 3);
}

/* One blocked receive must not hold up the next socket's. */
static void test_not_serialized(void **state)
{
	int *fd = *state, other[2];
	WSAOVERLAPPED a = { .hEvent = WSACreateEvent() }, b = { .hEvent = WSACreateEvent() };
	char ba[4], bb[4];
	DWORD n;

	assert_int_equal(tcp_pair(other), 0);
	assert_int_equal(recv1(fd[1], ba, sizeof(ba), &a, NULL, &n), SOCKET_ERROR);
	assert_int_equal(recv1(other[1], bb, sizeof(bb), &b, NULL, &n), SOCKET_ERROR);
	assert_int_equal(send(other[0], "b", 1, 0), 1);
	assert_int_equal(WSAWaitForMultipleEvents(1, &b.hEvent, TRUE, 5000, FALSE),
			 WSA_WAIT_EVENT_0);
	assert_false(HasOverlappedIoCompleted(&a));
	closesocket(other[0]);
	closesocket(other[1]);
	/* closesocket aborts the one still pending. */
	closesocket(fd[1]);
	fd[1] = socket(AF_INET, SOCK_STREAM, 0);
	assert_false(WSAGetOverlappedResult(fd[1], &a, &n, TRUE, &(DWORD){ 0 }));
	assert_int_equal(WSAGetLastError(), WSA_OPERATION_ABORTED);
	assert_int_equal(WSAWaitForMultipleEvents(1, &a.hEvent, TRUE, 0, FALSE), WSA_WAIT_EVENT_0);
	WSACloseEvent(a.hEvent);
	WSACloseEvent(b.hEvent);
}

static void test_abort_close_reset(void **state)
{
	int *fd = *state, pair[2];
	struct linger lg = { 1, 0 };
	WSAOVERLAPPED ov = { 0 }, ov2 = { 0 }, ov3 = { 0 };
	char buf[4];
	DWORD n;

	reset_seen();
	assert_int_equal(recv1(fd[0], buf, sizeof(buf), &ov2, NULL, &n), SOCKET_ERROR);
	assert_int_equal(recv1(fd[1], buf, sizeof(buf), &ov, routine, &n), SOCKET_ERROR);
	closesocket(fd[1]);
	fd[1] = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(SleepEx(5000, TRUE), WAIT_IO_COMPLETION);
	assert_int_equal(seen.last.err, WSA_OPERATION_ABORTED);
	/* The peer's orderly close: 0 bytes, no error. */
	assert_true(WSAGetOverlappedResult(fd[0], &ov2, &n, TRUE, &(DWORD){ 0 }));
	assert_int_equal(n, 0);
	/* A reset: WSAECONNRESET. */
	assert_int_equal(tcp_pair(pair), 0);
	assert_int_equal(recv1(pair[1], buf, sizeof(buf), &ov3, NULL, &n), SOCKET_ERROR);
	setsockopt(pair[0], SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(pair[0]);
	assert_false(WSAGetOverlappedResult(pair[1], &ov3, &n, TRUE, &(DWORD){ 0 }));
	assert_int_equal(WSAGetLastError(), WSAECONNRESET);
	closesocket(pair[1]);
}

static void *drain(void *arg)
{
	int fd = (int)(intptr_t)arg;
	static char buf[65536];
	size_t total = 0;
	ssize_t n;

	while (total < BIG && (n = recv(fd, buf, sizeof(buf), 0)) > 0)
		total += (size_t)n;
	return (void *)total;
}

/* A big send stays pending; SIO_FLUSH completes only after it. */
static void test_send_and_flush(void **state)
{
	int *fd = *state;
	WSAOVERLAPPED ov = { .hEvent = WSACreateEvent() }, fl = { .hEvent = WSACreateEvent() };
	char *big = calloc(1, BIG);
	DWORD n = 0;
	pthread_t t;
	void *got;

	assert_int_equal(WSAIoctl(fd[0], SIO_FLUSH, NULL, 0, NULL, 0, &n, NULL, NULL), 0);
	assert_int_equal(send1(fd[0], big, BIG, &ov, &n), SOCKET_ERROR);
	assert_int_equal(WSAGetLastError(), WSA_IO_PENDING);
	assert_int_equal(WSAIoctl(fd[0], SIO_FLUSH, NULL, 0, NULL, 0, &n, &fl, NULL), SOCKET_ERROR);
	assert_int_equal(WSAGetLastError(), WSA_IO_PENDING);
	assert_int_equal(WSAWaitForMultipleEvents(1, &fl.hEvent, TRUE, 50, FALSE),
			 WSA_WAIT_TIMEOUT);
	pthread_create(&t, NULL, drain, (void *)(intptr_t)fd[1]);
	assert_int_equal(WSAWaitForMultipleEvents(1, &fl.hEvent, TRUE, 10000, FALSE),
			 WSA_WAIT_EVENT_0);
	assert_true(HasOverlappedIoCompleted(&ov));
	assert_true(WSAGetOverlappedResult(fd[0], &ov, &n, FALSE, &(DWORD){ 0 }));
	assert_int_equal(n, BIG);
	pthread_join(t, &got);
	assert_int_equal((size_t)got, BIG);
	assert_int_equal(WSAIoctl(INVALID_SOCKET, SIO_FLUSH, NULL, 0, NULL, 0, &n, NULL, NULL),
			 SOCKET_ERROR);
	assert_int_equal(WSAGetLastError(), WSAENOTSOCK);
	assert_int_equal(WSAIoctl(fd[0], SIO_FLUSH, NULL, 0, NULL, 0, NULL, NULL, NULL),
			 SOCKET_ERROR);
	assert_int_equal(WSAGetLastError(), WSAEFAULT);
	free(big);
	WSACloseEvent(ov.hEvent);
	WSACloseEvent(fl.hEvent);
}

/* ---- datagrams ----------------------------------------------------------- */

static void test_udp_from_to(void **state)
{
	struct sockaddr_in a = { .sin_family = AF_INET }, from;
	socklen_t len = sizeof(a);
	int s = socket(AF_INET, SOCK_DGRAM, 0), fromlen = sizeof(from);
	WSAOVERLAPPED ov = { .hEvent = WSACreateEvent() };
	char buf[2];
	WSABUF in = { 0, buf }, out = { 3, "dgm" };
	DWORD n, flags = 0;

	(void)state;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(s, (struct sockaddr *)&a, len);
	getsockname(s, (struct sockaddr *)&a, &len);
	/* A zero-byte receive waits for the data. */
	assert_int_equal(WSARecv(s, &in, 1, &n, &flags, &ov, NULL), SOCKET_ERROR);
	assert_int_equal(WSAGetLastError(), WSA_IO_PENDING);
	assert_int_equal(WSASendTo(s, &out, 1, &n, 0, (struct sockaddr *)&a, len, NULL, NULL), 0);
	assert_int_equal(WSAWaitForMultipleEvents(1, &ov.hEvent, TRUE, 5000, FALSE),
			 WSA_WAIT_EVENT_0);
	in.len = sizeof(buf);
	assert_int_equal(WSARecvFrom(s, &in, 1, &n, &flags, (struct sockaddr *)&from, &fromlen,
				     NULL, NULL),
			 SOCKET_ERROR);
	assert_int_equal(WSAGetLastError(), WSAEMSGSIZE);
	assert_int_equal(n, 2);
	assert_int_equal(fromlen, (int)sizeof(from));
	assert_int_equal(from.sin_port, a.sin_port);
	fromlen = -1;
	assert_int_equal(WSARecvFrom(s, &in, 1, &n, &flags, (struct sockaddr *)&from, &fromlen,
				     NULL, NULL),
			 SOCKET_ERROR);
	assert_int_equal(WSAGetLastError(), WSAEFAULT);
	closesocket(s);
	WSACloseEvent(ov.hEvent);
}

/* ---- WSAEINPROGRESS ------------------------------------------------------ */

static SOCKET nested_sock, nested_listener = INVALID_SOCKET;
static int nested_accept_err, nested_flush_err, nested_bsd_err;

static int err_of(int rc)
{
	return rc ? WSAGetLastError() : 0;
}

/*
 * Blocking calls: WSARecv, SIO_FLUSH, recv with the Windows prototype
 * (MSG_DONTWAIT: it must not wait when it goes through), and accept when
 * there is a listener.
 */
static void CALLBACK nested_routine(DWORD dwError, DWORD cbTransferred,
				    LPWSAOVERLAPPED lpOverlapped, DWORD dwFlags)
{
	char buf[4];
	DWORD n = 0;

	routine(dwError, cbTransferred, lpOverlapped, dwFlags);
	seen.nested_err = err_of(recv1(nested_sock, buf, sizeof(buf), NULL, NULL, &n));
	nested_flush_err = err_of(WSAIoctl(nested_sock, SIO_FLUSH, NULL, 0, NULL, 0, &n, NULL,
					   NULL));
	nested_bsd_err = err_of(lwfp_win_recv(nested_sock, buf, 1, MSG_DONTWAIT) < 0);
	if (nested_listener != INVALID_SOCKET)
		nested_accept_err = err_of(lwfp_win_accept(nested_listener, NULL, NULL) ==
					   INVALID_SOCKET);
}

static void test_inprogress(void **state)
{
	int *fd = *state;
	WSAOVERLAPPED ov = { 0 };
	WSAEVENT never = WSACreateEvent();
	char buf[4];
	DWORD n;

	nested_sock = fd[1];
	nested_listener = socket(AF_INET, SOCK_STREAM, 0);
	/* Should the check fail, the accept times out instead of hanging. */
	setsockopt(nested_listener, SOL_SOCKET, SO_RCVTIMEO, &(struct timeval){ 2, 0 },
		   (socklen_t)sizeof(struct timeval));
	listen(nested_listener, 1);
	/* Inside an alertable WSAWaitForMultipleEvents: WSAEINPROGRESS. */
	reset_seen();
	assert_int_equal(send(fd[0], "ab", 2, 0), 2);
	assert_int_equal(recv1(fd[0], buf, 1, &ov, nested_routine, &n), SOCKET_ERROR);
	assert_int_equal(send(fd[1], "c", 1, 0), 1);
	assert_int_equal(WSAWaitForMultipleEvents(1, &never, FALSE, 5000, TRUE),
			 WSA_WAIT_IO_COMPLETION);
	assert_int_equal(seen.calls, 1);
	assert_int_equal(seen.nested_err, WSAEINPROGRESS);
	assert_int_equal(nested_accept_err, WSAEINPROGRESS);
	assert_int_equal(nested_flush_err, WSAEINPROGRESS);
	assert_int_equal(nested_bsd_err, WSAEINPROGRESS);
	closesocket(nested_listener);
	nested_listener = INVALID_SOCKET;
	/* From SleepEx (not a Winsock call) the same calls go through. */
	reset_seen();
	assert_int_equal(recv1(fd[0], buf, 1, &ov, nested_routine, &n), SOCKET_ERROR);
	assert_int_equal(send(fd[1], "d", 1, 0), 1);
	assert_int_equal(SleepEx(5000, TRUE), WAIT_IO_COMPLETION);
	assert_int_equal(seen.calls, 1);
	assert_int_equal(seen.nested_err, 0);
	assert_int_equal(nested_flush_err, 0);
	assert_int_equal(nested_bsd_err, WSAEWOULDBLOCK);
	/* And outside any routine too. */
	assert_int_equal(send(fd[0], "e", 1, 0), 1);
	assert_int_equal(recv1(fd[1], buf, sizeof(buf), NULL, NULL, &n), 0);
	WSACloseEvent(never);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_blocking_scatter_gather, setup, teardown),
		cmocka_unit_test_setup_teardown(test_blocking_close_and_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_immediate_completion, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pending_event, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pending_routine, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_serialized, setup, teardown),
		cmocka_unit_test_setup_teardown(test_abort_close_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_send_and_flush, setup, teardown),
		cmocka_unit_test(test_udp_from_to),
		cmocka_unit_test_setup_teardown(test_inprogress, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
