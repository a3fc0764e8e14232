// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Overlapped WSAIoctl/WSPIoctl, events and APCs:
 *   - the event is reset when the operation starts and set when it ends;
 *   - a completion routine never runs inside WSAIoctl nor at a
 *     non-alertable wait, and runs at the next alertable wait (SleepEx or
 *     WSAWaitForMultipleEvents) of the issuing thread, or for WSPIoctl of
 *     the lpThreadId thread, and nowhere else;
 *   - WSAGetOverlappedResult agrees with the synchronous call, waits with
 *     fWait TRUE and says WSA_IO_INCOMPLETE without;
 *   - closesocket completes what is still pending on that socket, and only
 *     there, with WSA_OPERATION_ABORTED, by event and by routine;
 *   - sockets made without WSA_FLAG_OVERLAPPED ignore lpOverlapped.
 *
 * No engine serves a unit test, so an operation's own result is an error
 * (WSAEOPNOTSUPP, or whatever the synchronous call says here); what is
 * checked is that every path reports that same result. The worker hold
 * hook keeps operations pending for as long as a test needs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../../lib/win/lwfp_win_internal.h"

#define RECORDS SIO_QUERY_WFP_CONNECTION_REDIRECT_RECORDS
#define COOKIE ((HANDLE)0x5eed) /* hEvent as the application's own context */

/* ---- fixtures ------------------------------------------------------------ */

struct fixture {
	int tcp[3]; /* client, server, listener */
	int sync_err; /* what a synchronous records query on tcp[0] says */
	DWORD sync_bytes;
	char buf[1024];
};

static int loopback_tcp(int fds[3])
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fds[2] = socket(AF_INET, SOCK_STREAM, 0);
	if (fds[2] < 0 || bind(fds[2], (struct sockaddr *)&sin, len) || listen(fds[2], 8) ||
	    getsockname(fds[2], (struct sockaddr *)&sin, &len))
		return -1;
	fds[0] = socket(AF_INET, SOCK_STREAM, 0);
	if (fds[0] < 0 || connect(fds[0], (struct sockaddr *)&sin, len))
		return -1;
	fds[1] = accept(fds[2], NULL, NULL);
	return fds[1] < 0 ? -1 : 0;
}

static int setup(void **state)
{
	static struct fixture f;
	DWORD bytes = 0;

	assert_int_equal(loopback_tcp(f.tcp), 0);
	assert_int_equal(WSAIoctl(f.tcp[0], RECORDS, NULL, 0, f.buf, sizeof(f.buf), &bytes, NULL,
				  NULL),
			 SOCKET_ERROR);
	f.sync_err = WSAGetLastError();
	f.sync_bytes = bytes;
	assert_int_not_equal(f.sync_err, WSA_IO_PENDING);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	lwfp_win_worker_hold(false);
	close(f->tcp[0]);
	close(f->tcp[1]);
	close(f->tcp[2]);
	return 0;
}

/* ---- what completion routines saw ---------------------------------------- */

static struct {
	int calls;
	DWORD err;
	DWORD bytes;
	LPWSAOVERLAPPED ov;
	DWORD flags;
	pthread_t thread;
	HANDLE event; /* ov->hEvent when the routine ran */
} seen;

static void CALLBACK routine(DWORD dwError, DWORD cbTransferred, LPWSAOVERLAPPED lpOverlapped,
			     DWORD dwFlags)
{
	__atomic_add_fetch(&seen.calls, 1, __ATOMIC_SEQ_CST);
	seen.err = dwError;
	seen.bytes = cbTransferred;
	seen.ov = lpOverlapped;
	seen.flags = dwFlags;
	seen.thread = pthread_self();
	seen.event = lpOverlapped->hEvent;
}

static int calls(void)
{
	return __atomic_load_n(&seen.calls, __ATOMIC_SEQ_CST);
}

static void reset_seen(void)
{
	memset(&seen, 0, sizeof(seen));
}

/* Issues an overlapped records query on s; it must be pending. */
static void issue(SOCKET s, struct fixture *f, LPWSAOVERLAPPED ov,
		  LPWSAOVERLAPPED_COMPLETION_ROUTINE fn)
{
	DWORD bytes = 0xdeadbeef;

	assert_int_equal(WSAIoctl(s, RECORDS, NULL, 0, f->buf, sizeof(f->buf), &bytes, ov, fn),
			 SOCKET_ERROR);
	assert_int_equal(WSAGetLastError(), WSA_IO_PENDING);
	assert_int_equal(bytes, 0);
}

/* Completion without running APCs: WSAGetOverlappedResult does not. */
static void wait_done(LPWSAOVERLAPPED ov)
{
	DWORD bytes, flags;

	WSAGetOverlappedResult(1, ov, &bytes, TRUE, &flags);
	assert_true(HasOverlappedIoCompleted(ov));
}

static void expect_result(LPWSAOVERLAPPED ov, int err, DWORD want_bytes)
{
	DWORD bytes = 0xdeadbeef, flags = 0xdeadbeef;
	BOOL ok = WSAGetOverlappedResult(1, ov, &bytes, FALSE, &flags);

	if (err) {
		assert_false(ok);
		assert_int_equal(WSAGetLastError(), err);
	} else {
		assert_true(ok);
	}
	assert_int_equal(bytes, want_bytes);
	assert_int_equal(flags, 0);
}

static void expect_seen(int err, DWORD bytes, LPWSAOVERLAPPED ov, pthread_t thread)
{
	assert_int_equal(calls(), 1);
	assert_int_equal(seen.err, err);
	assert_int_equal(seen.bytes, bytes);
	assert_ptr_equal(seen.ov, ov);
	assert_int_equal(seen.flags, 0);
	assert_true(pthread_equal(seen.thread, thread));
}

static long ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* ---- events -------------------------------------------------------------- */

static void test_events(void **state)
{
	WSAEVENT ev[2] = { WSACreateEvent(), WSACreateEvent() };
	WSAEVENT bad[1] = { (WSAEVENT)&seen };

	(void)state;
	assert_non_null(ev[0]);
	assert_non_null(ev[1]);
	assert_int_equal(WSAWaitForMultipleEvents(2, ev, FALSE, 0, FALSE), WSA_WAIT_TIMEOUT);
	assert_true(WSASetEvent(ev[1]));
	assert_int_equal(WSAWaitForMultipleEvents(2, ev, FALSE, 0, FALSE), WSA_WAIT_EVENT_0 + 1);
	/* Manual reset: a wait does not consume the signal. */
	assert_int_equal(WSAWaitForMultipleEvents(2, ev, FALSE, 0, FALSE), WSA_WAIT_EVENT_0 + 1);
	assert_int_equal(WSAWaitForMultipleEvents(2, ev, TRUE, 10, FALSE), WSA_WAIT_TIMEOUT);
	assert_true(WSASetEvent(ev[0]));
	assert_int_equal(WSAWaitForMultipleEvents(2, ev, TRUE, 0, FALSE), WSA_WAIT_EVENT_0);
	assert_true(WSAResetEvent(ev[0]));
	assert_true(WSAResetEvent(ev[1]));
	assert_int_equal(WSAWaitForMultipleEvents(2, ev, FALSE, 0, FALSE), WSA_WAIT_TIMEOUT);

	assert_int_equal(WSAWaitForMultipleEvents(0, ev, FALSE, 0, FALSE), WSA_WAIT_FAILED);
	assert_int_equal(WSAGetLastError(), WSA_INVALID_PARAMETER);
	assert_int_equal(WSAWaitForMultipleEvents(WSA_MAXIMUM_WAIT_EVENTS + 1, ev, FALSE, 0, FALSE),
			 WSA_WAIT_FAILED);
	assert_int_equal(WSAGetLastError(), WSA_INVALID_PARAMETER);
	assert_int_equal(WSAWaitForMultipleEvents(1, bad, FALSE, 0, FALSE), WSA_WAIT_FAILED);
	assert_int_equal(WSAGetLastError(), WSA_INVALID_HANDLE);
	assert_false(WSASetEvent(NULL));
	assert_int_equal(WSAGetLastError(), WSA_INVALID_HANDLE);
	assert_true(WSACloseEvent(ev[0]));
	assert_true(WSACloseEvent(ev[1]));
}

/* ---- completion by event ------------------------------------------------- */

static void test_event_completion(void **state)
{
	struct fixture *f = *state;
	WSAEVENT ev = WSACreateEvent();
	WSAOVERLAPPED ov = { .hEvent = ev };
	DWORD bytes, flags;

	/* Signaled beforehand: the operation must start it unsignaled. */
	assert_true(WSASetEvent(ev));
	lwfp_win_worker_hold(true);
	issue(f->tcp[0], f, &ov, NULL);
	assert_int_equal(ov.Internal, STATUS_PENDING);
	assert_false(HasOverlappedIoCompleted(&ov));
	assert_false(WSAGetOverlappedResult(f->tcp[0], &ov, &bytes, FALSE, &flags));
	assert_int_equal(WSAGetLastError(), WSA_IO_INCOMPLETE);
	assert_int_equal(WSAWaitForMultipleEvents(1, &ev, FALSE, 50, FALSE), WSA_WAIT_TIMEOUT);

	lwfp_win_worker_hold(false);
	assert_int_equal(WSAWaitForMultipleEvents(1, &ev, FALSE, 5000, FALSE), WSA_WAIT_EVENT_0);
	assert_true(HasOverlappedIoCompleted(&ov));
	expect_result(&ov, f->sync_err, f->sync_bytes);
	WSACloseEvent(ev);
}

static void *release_later(void *arg)
{
	(void)arg;
	usleep(100 * 1000);
	lwfp_win_worker_hold(false);
	return NULL;
}

static void test_get_result_waits(void **state)
{
	struct fixture *f = *state;
	WSAOVERLAPPED ov = { 0 };
	DWORD bytes = 0xdeadbeef, flags = 0xdeadbeef;
	struct timespec t0;
	pthread_t t;
	BOOL ok;

	lwfp_win_worker_hold(true);
	issue(f->tcp[0], f, &ov, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(pthread_create(&t, NULL, release_later, NULL), 0);
	ok = WSAGetOverlappedResult(f->tcp[0], &ov, &bytes, TRUE, &flags);
	assert_true(ms_since(&t0) >= 90);
	assert_int_equal(ok, f->sync_err == 0);
	if (!ok)
		assert_int_equal(WSAGetLastError(), f->sync_err);
	assert_int_equal(bytes, f->sync_bytes);
	pthread_join(t, NULL);

	/* Bad pointers. */
	assert_false(WSAGetOverlappedResult(f->tcp[0], NULL, &bytes, FALSE, &flags));
	assert_int_equal(WSAGetLastError(), WSAEFAULT);
	assert_false(WSAGetOverlappedResult(f->tcp[0], &ov, NULL, FALSE, &flags));
	assert_int_equal(WSAGetLastError(), WSAEFAULT);
	assert_false(WSAGetOverlappedResult(f->tcp[0], &ov, &bytes, FALSE, NULL));
	assert_int_equal(WSAGetLastError(), WSAEFAULT);
	assert_false(WSAGetOverlappedResult(INVALID_SOCKET, &ov, &bytes, FALSE, &flags));
	assert_int_equal(WSAGetLastError(), WSAENOTSOCK);
}

/* ---- completion routines ------------------------------------------------- */

static void test_routine_needs_alertable_wait(void **state)
{
	struct fixture *f = *state;
	WSAOVERLAPPED ov = { .hEvent = COOKIE };
	WSAEVENT other = WSACreateEvent();

	reset_seen();
	issue(f->tcp[0], f, &ov, routine);
	assert_int_equal(calls(), 0); /* never inside WSAIoctl */
	wait_done(&ov);
	expect_result(&ov, f->sync_err, f->sync_bytes);
	/* Completed, yet only an alertable wait may run the routine. */
	assert_int_equal(SleepEx(20, FALSE), 0);
	assert_int_equal(WSAWaitForMultipleEvents(1, &other, FALSE, 20, FALSE), WSA_WAIT_TIMEOUT);
	assert_int_equal(calls(), 0);
	assert_int_equal(SleepEx(1000, TRUE), WAIT_IO_COMPLETION);
	expect_seen(f->sync_err, f->sync_bytes, &ov, pthread_self());
	/* hEvent was the application's context: left alone, never signaled. */
	assert_ptr_equal(seen.event, COOKIE);
	assert_ptr_equal(ov.hEvent, COOKIE);
	/* It ran once. */
	assert_int_equal(SleepEx(0, TRUE), 0);
	assert_int_equal(calls(), 1);

	/* The same through an alertable WSAWaitForMultipleEvents. */
	reset_seen();
	issue(f->tcp[0], f, &ov, routine);
	wait_done(&ov);
	assert_int_equal(WSAWaitForMultipleEvents(1, &other, FALSE, 1000, TRUE),
			 WSA_WAIT_IO_COMPLETION);
	expect_seen(f->sync_err, f->sync_bytes, &ov, pthread_self());
	WSACloseEvent(other);
}

/* An alertable wait that starts before the completion ends with it. */
static void test_alertable_wait_wakes(void **state)
{
	struct fixture *f = *state;
	WSAOVERLAPPED ov = { 0 };
	struct timespec t0;
	pthread_t t;

	reset_seen();
	lwfp_win_worker_hold(true);
	issue(f->tcp[0], f, &ov, routine);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(pthread_create(&t, NULL, release_later, NULL), 0);
	assert_int_equal(SleepEx(INFINITE, TRUE), WAIT_IO_COMPLETION);
	assert_true(ms_since(&t0) >= 90);
	expect_seen(f->sync_err, f->sync_bytes, &ov, pthread_self());
	pthread_join(t, NULL);
}

/*
 * A second thread that issues an operation, or opens a WSATHREADID, then
 * makes one alertable wait when told. It records; the main thread asserts.
 */
struct peer {
	struct fixture *f;
	WSAOVERLAPPED ov;
	WSATHREADID tid;
	bool issue; /* issue the operation itself (WSAIoctl) */
	pthread_barrier_t ready, go;
	pthread_t self;
	int rc, err; /* of WSAIoctl or WPUOpenCurrentThread */
	DWORD wait_result;
};

static void *peer_main(void *arg)
{
	struct peer *p = arg;
	DWORD bytes;

	if (p->issue) {
		p->rc = WSAIoctl(p->f->tcp[0], RECORDS, NULL, 0, p->f->buf, sizeof(p->f->buf),
				 &bytes, &p->ov, routine);
		p->err = WSAGetLastError();
	} else {
		p->rc = WPUOpenCurrentThread(&p->tid, &p->err);
	}
	pthread_barrier_wait(&p->ready);
	pthread_barrier_wait(&p->go);
	p->wait_result = SleepEx(5000, TRUE);
	return NULL;
}

static void start_peer(struct peer *p, struct fixture *f, bool issue_it)
{
	memset(p, 0, sizeof(*p));
	p->f = f;
	p->issue = issue_it;
	pthread_barrier_init(&p->ready, NULL, 2);
	pthread_barrier_init(&p->go, NULL, 2);
	assert_int_equal(pthread_create(&p->self, NULL, peer_main, p), 0);
	pthread_barrier_wait(&p->ready);
	if (issue_it) {
		assert_int_equal(p->rc, SOCKET_ERROR);
		assert_int_equal(p->err, WSA_IO_PENDING);
	} else {
		assert_int_equal(p->rc, 0);
	}
}

static void finish_peer(struct peer *p)
{
	pthread_barrier_wait(&p->go);
	pthread_join(p->self, NULL);
	pthread_barrier_destroy(&p->ready);
	pthread_barrier_destroy(&p->go);
}

static void test_routine_on_issuing_thread(void **state)
{
	struct fixture *f = *state;
	struct peer p;

	reset_seen();
	start_peer(&p, f, true);
	wait_done(&p.ov);
	/* This thread's alertable wait is not the issuing thread's. */
	assert_int_equal(SleepEx(50, TRUE), 0);
	assert_int_equal(calls(), 0);
	finish_peer(&p);
	assert_int_equal(p.wait_result, WAIT_IO_COMPLETION);
	expect_seen(f->sync_err, f->sync_bytes, &p.ov, p.self);
}

static void test_wspioctl_thread_id(void **state)
{
	struct fixture *f = *state;
	WSAOVERLAPPED ov = { 0 };
	struct peer p;
	DWORD bytes = 0xdeadbeef;
	int err = 0;

	reset_seen();
	start_peer(&p, f, false);
	WSASetLastError(4242);
	assert_int_equal(WSPIoctl(f->tcp[0], RECORDS, NULL, 0, f->buf, sizeof(f->buf), &bytes, &ov,
				  routine, &p.tid, &err),
			 SOCKET_ERROR);
	assert_int_equal(err, WSA_IO_PENDING);
	assert_int_equal(WSAGetLastError(), 4242);
	assert_int_equal(bytes, 0);
	wait_done(&ov);
	assert_int_equal(SleepEx(50, TRUE), 0); /* not the lpThreadId thread */
	assert_int_equal(calls(), 0);
	finish_peer(&p);
	assert_int_equal(p.wait_result, WAIT_IO_COMPLETION);
	expect_seen(f->sync_err, f->sync_bytes, &ov, p.self);
	assert_int_equal(WPUCloseThread(&p.tid, &err), 0);

	/* A routine needs a thread to run on. */
	WSASetLastError(4242);
	err = 0;
	assert_int_equal(WSPIoctl(f->tcp[0], RECORDS, NULL, 0, f->buf, sizeof(f->buf), &bytes, &ov,
				  routine, NULL, &err),
			 SOCKET_ERROR);
	assert_int_equal(err, WSAEFAULT);
	assert_int_equal(WSAGetLastError(), 4242);
}

static void test_wspioctl_event(void **state)
{
	struct fixture *f = *state;
	WSAEVENT ev = WSACreateEvent();
	WSAOVERLAPPED ov = { .hEvent = ev };
	int err = 0;

	assert_int_equal(WSPIoctl(f->tcp[0], RECORDS, NULL, 0, f->buf, sizeof(f->buf), NULL, &ov,
				  NULL, NULL, &err),
			 SOCKET_ERROR);
	assert_int_equal(err, WSA_IO_PENDING);
	assert_int_equal(WSAWaitForMultipleEvents(1, &ev, FALSE, 5000, FALSE), WSA_WAIT_EVENT_0);
	expect_result(&ov, f->sync_err, f->sync_bytes);
	WSACloseEvent(ev);
}

/* ---- closesocket aborts -------------------------------------------------- */

static void test_close_aborts_pending(void **state)
{
	struct fixture *f = *state;
	WSAEVENT ev = WSACreateEvent(), ev_other = WSACreateEvent(), ev_wsp = WSACreateEvent();
	WSAOVERLAPPED by_event = { .hEvent = ev }, by_routine = { .hEvent = COOKIE };
	WSAOVERLAPPED by_wsp = { .hEvent = ev_wsp }, other = { .hEvent = ev_other };
	int s[3], err = 0;

	assert_int_equal(loopback_tcp(s), 0);
	reset_seen();
	lwfp_win_worker_hold(true);
	issue(s[0], f, &by_event, NULL);
	issue(s[0], f, &by_routine, routine);
	assert_int_equal(WSPIoctl(s[0], RECORDS, NULL, 0, f->buf, sizeof(f->buf), NULL, &by_wsp,
				  NULL, NULL, &err),
			 SOCKET_ERROR);
	assert_int_equal(err, WSA_IO_PENDING);
	issue(f->tcp[0], f, &other, NULL); /* another socket: not aborted */

	assert_int_equal(closesocket(s[0]), 0);
	assert_int_equal(WSAWaitForMultipleEvents(1, &ev, FALSE, 0, FALSE), WSA_WAIT_EVENT_0);
	expect_result(&by_event, WSA_OPERATION_ABORTED, 0);
	assert_int_equal(WSAWaitForMultipleEvents(1, &ev_wsp, FALSE, 0, FALSE), WSA_WAIT_EVENT_0);
	expect_result(&by_wsp, WSA_OPERATION_ABORTED, 0);
	expect_result(&by_routine, WSA_OPERATION_ABORTED, 0);
	assert_int_equal(calls(), 0);
	assert_int_equal(SleepEx(0, TRUE), WAIT_IO_COMPLETION);
	expect_seen(WSA_OPERATION_ABORTED, 0, &by_routine, pthread_self());
	assert_ptr_equal(by_routine.hEvent, COOKIE);

	assert_false(HasOverlappedIoCompleted(&other));
	lwfp_win_worker_hold(false);
	assert_int_equal(WSAWaitForMultipleEvents(1, &ev_other, FALSE, 5000, FALSE),
			 WSA_WAIT_EVENT_0);
	expect_result(&other, f->sync_err, f->sync_bytes);

	close(s[1]);
	close(s[2]);
	WSACloseEvent(ev);
	WSACloseEvent(ev_other);
	WSACloseEvent(ev_wsp);
}

static void test_closesocket_not_a_socket(void **state)
{
	int p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(closesocket(p[0]), SOCKET_ERROR);
	assert_int_equal(WSAGetLastError(), WSAENOTSOCK);
	assert_int_equal(write(p[1], "x", 1), 1); /* still open */
	assert_int_equal(closesocket(INVALID_SOCKET), SOCKET_ERROR);
	assert_int_equal(WSAGetLastError(), WSAENOTSOCK);
	close(p[0]);
	close(p[1]);
}

/* ---- sockets without the overlapped attribute ---------------------------- */

static void test_non_overlapped_socket(void **state)
{
	struct fixture *f = *state;
	WSAEVENT ev = WSACreateEvent();
	WSAOVERLAPPED ov = { .Internal = 0x1234, .hEvent = ev };
	SOCKET plain = WSASocketA(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0, 0);
	SOCKET ovl = WSASocketA(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0, WSA_FLAG_OVERLAPPED);
	DWORD bytes = 0xdeadbeef, sync_bytes = 0xdeadbeef;
	struct win_sock ws;
	int sync_err;

	assert_int_not_equal(plain, INVALID_SOCKET);
	assert_int_not_equal(ovl, INVALID_SOCKET);
	assert_int_equal(WSAIoctl(plain, RECORDS, NULL, 0, f->buf, sizeof(f->buf), &sync_bytes,
				  NULL, NULL),
			 SOCKET_ERROR);
	sync_err = WSAGetLastError();
	/* lpOverlapped is ignored: synchronous, nothing signaled or queued. */
	reset_seen();
	assert_int_equal(WSAIoctl(plain, RECORDS, NULL, 0, f->buf, sizeof(f->buf), &bytes, &ov,
				  routine),
			 SOCKET_ERROR);
	assert_int_equal(WSAGetLastError(), sync_err);
	assert_int_equal(bytes, sync_bytes);
	assert_int_equal(ov.Internal, 0x1234);
	assert_int_equal(WSAWaitForMultipleEvents(1, &ev, FALSE, 0, TRUE), WSA_WAIT_TIMEOUT);
	assert_int_equal(calls(), 0);
	/* The same call on an overlapped socket is pending. */
	issue(ovl, f, &ov, NULL);
	assert_int_equal(WSAWaitForMultipleEvents(1, &ev, FALSE, 5000, FALSE), WSA_WAIT_EVENT_0);
	expect_result(&ov, sync_err, sync_bytes);

	assert_int_equal(win_sock_get(plain, &ws), 0);
	assert_false(ws.overlapped);
	assert_int_equal(win_sock_get(ovl, &ws), 0);
	assert_true(ws.overlapped);
	assert_int_equal(win_sock_get(f->tcp[0], &ws), 0);
	assert_true(ws.overlapped); /* socket() sockets are overlapped */
	assert_int_equal(closesocket(plain), 0);
	assert_int_equal(closesocket(ovl), 0);
	WSACloseEvent(ev);
}

static void test_accept_inherits(void **state)
{
	SOCKET l = WSASocketA(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0, 0);
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int len = sizeof(sin), c, stale;
	struct win_sock ws;
	SOCKET a;

	(void)state;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(l, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(l, 1), 0);
	assert_int_equal(lwfp_win_getsockname(l, (struct sockaddr *)&sin, &len), 0);
	assert_int_equal(len, sizeof(sin));
	c = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(c, (struct sockaddr *)&sin, sizeof(sin)), 0);
	len = sizeof(sin);
	a = lwfp_win_accept(l, (struct sockaddr *)&sin, &len);
	assert_int_not_equal(a, INVALID_SOCKET);
	assert_int_equal(len, sizeof(sin));
	assert_int_equal(win_sock_get(a, &ws), 0);
	assert_false(ws.overlapped);
	/* An fd closed behind the layer's back and reused is a new socket. */
	stale = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(dup2(stale, (int)a), (int)a);
	close(stale);
	assert_int_equal(win_sock_get(a, &ws), 0);
	assert_true(ws.overlapped);
	close((int)a);
	close(c);
	assert_int_equal(closesocket(l), 0);
}

/* ---- WPU upcalls --------------------------------------------------------- */

static DWORD_PTR apc_ctx;
static int apc_calls;

static void CALLBACK user_apc(DWORD_PTR ctx)
{
	apc_ctx = ctx;
	apc_calls++;
}

static void *open_and_exit(void *arg)
{
	int err;

	assert_int_equal(WPUOpenCurrentThread(arg, &err), 0);
	return NULL;
}

static void test_wpu_queue_apc(void **state)
{
	WSATHREADID tid, gone, bogus = { (HANDLE)&apc_ctx, 0 };
	pthread_t t;
	int err = 0;

	(void)state;
	assert_int_equal(WPUOpenCurrentThread(&tid, &err), 0);
	assert_int_equal(WPUQueueApc(&tid, user_apc, 7, &err), 0);
	assert_int_equal(apc_calls, 0);
	assert_int_equal(SleepEx(0, FALSE), 0);
	assert_int_equal(apc_calls, 0);
	assert_int_equal(SleepEx(0, TRUE), WAIT_IO_COMPLETION);
	assert_int_equal(apc_calls, 1);
	assert_int_equal(apc_ctx, 7);
	assert_int_equal(WPUCloseThread(&tid, &err), 0);

	/* A thread that has exited: accepted, never run. */
	assert_int_equal(pthread_create(&t, NULL, open_and_exit, &gone), 0);
	pthread_join(t, NULL);
	assert_int_equal(WPUQueueApc(&gone, user_apc, 8, &err), 0);
	assert_int_equal(SleepEx(0, TRUE), 0);
	assert_int_equal(apc_calls, 1);
	assert_int_equal(WPUCloseThread(&gone, &err), 0);

	assert_int_equal(WPUQueueApc(&bogus, user_apc, 9, &err), SOCKET_ERROR);
	assert_int_equal(err, WSAEINVAL);
	assert_int_equal(WPUQueueApc(NULL, user_apc, 9, &err), SOCKET_ERROR);
	assert_int_equal(err, WSAEFAULT);
	assert_int_equal(WPUQueueApc(&bogus, user_apc, 9, NULL), SOCKET_ERROR);
	assert_int_equal(WPUOpenCurrentThread(NULL, &err), SOCKET_ERROR);
	assert_int_equal(err, WSAEFAULT);
}

static void test_wpu_complete_request(void **state)
{
	struct fixture *f = *state;
	WSAEVENT ev = WSACreateEvent();
	WSAOVERLAPPED ov = { .Internal = STATUS_PENDING, .hEvent = ev };
	int err = 0;

	assert_int_equal(WPUCompleteOverlappedRequest(f->tcp[0], &ov, 0, 33, &err), 0);
	assert_int_equal(WSAWaitForMultipleEvents(1, &ev, FALSE, 0, FALSE), WSA_WAIT_EVENT_0);
	expect_result(&ov, 0, 33);
	assert_int_equal(WPUCompleteOverlappedRequest(f->tcp[0], NULL, 0, 0, &err), SOCKET_ERROR);
	assert_int_equal(err, WSAEFAULT);
	WSACloseEvent(ev);
}

static void test_sleepex_times_out(void **state)
{
	struct timespec t0;

	(void)state;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(SleepEx(60, TRUE), 0);
	assert_true(ms_since(&t0) >= 59);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(SleepEx(60, FALSE), 0);
	assert_true(ms_since(&t0) >= 59);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_events),
		cmocka_unit_test(test_event_completion),
		cmocka_unit_test(test_get_result_waits),
		cmocka_unit_test(test_routine_needs_alertable_wait),
		cmocka_unit_test(test_alertable_wait_wakes),
		cmocka_unit_test(test_routine_on_issuing_thread),
		cmocka_unit_test(test_wspioctl_thread_id),
		cmocka_unit_test(test_wspioctl_event),
		cmocka_unit_test(test_close_aborts_pending),
		cmocka_unit_test(test_closesocket_not_a_socket),
		cmocka_unit_test(test_non_overlapped_socket),
		cmocka_unit_test(test_accept_inherits),
		cmocka_unit_test(test_wpu_queue_apc),
		cmocka_unit_test(test_wpu_complete_request),
		cmocka_unit_test(test_sleepex_times_out),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
