// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * lwfp-test-win: the rows of DESIGN.md §4's error table that need an engine
 * and a redirected socket, for WSAIoctl, WSPIoctl and WskControlSocket,
 * from inside a test's cgroup. Built with -I include/lwfp/win, like a
 * Windows program.
 *
 * Every check prints "ok NAME" or "FAIL NAME: why"; the exit status is 0
 * only when every check passed (2 for a usage error).
 *
 *   serve --listen ADDR:PORT --blob FILE --pidfile FILE --expect-orig ADDR:PORT
 *         [--timeout SEC]
 *       The redirect target of a service whose filter has the sockaddrs
 *       context. Accepts one connection and checks, on the redirected
 *       socket, for records and context through WSAIoctl and WSPIoctl: the
 *       size probe (ERROR_INSUFFICIENT_BUFFER with the size needed), 2 and
 *       3 bytes (WSAEINVAL with 0), 4 bytes and needed-1
 *       (ERROR_INSUFFICIENT_BUFFER with the size needed), success with
 *       8 KiB and with the exact size; through WskControlSocket the two size
 *       queries of the WSK page (a 1 KiB buffer; OutputSize 0 and NULL, then
 *       the size it gave), small buffers (STATUS_BUFFER_TOO_SMALL with the
 *       size, but 2 bytes without: refused before the query), the size
 *       query with no OutputSizeReturned (IoStatus.Information), and the
 *       completion routine's Context and Information;
 *       overlapped queries completed by routine and by event; the context
 *       (2 x SOCKADDR_STORAGE, the first the original destination) and
 *       SO_ORIGINAL_DST. Then set records on new sockets: the real blob
 *       (0 bytes, success), a bad blob (WSAEINVAL, STATUS_INVALID_PARAMETER)
 *       and the blob on the connected socket (WSAEISCONN). Then it writes
 *       the blob to FILE and holds the connection until the client closes.
 *
 *   setrec --blob FILE --expect OK|WSAEACCES|WSAEINVAL
 *       Sets the blob on new sockets through the three interfaces and
 *       expects that Winsock result (and its NTSTATUS for WSK).
 *
 *   appctx --connect ADDR:PORT
 *       Connects to ADDR:PORT, which a filter with a context redirects, and
 *       checks that the native API reads the context on this, the
 *       application's, socket while WSAIoctl, WSPIoctl (ERROR_NOT_FOUND)
 *       and WskControlSocket (STATUS_NOT_FOUND) do not: on Windows only
 *       the proxy's accepted socket has a redirect context.
 *
 *   local
 *       In a cgroup with an engine, sockets no filter redirected: connected
 *       TCP (ERROR_NOT_FOUND / STATUS_NOT_FOUND, also for the size probe),
 *       unconnected and listening TCP (WSAENOTCONN /
 *       STATUS_INVALID_CONNECTION).
 *
 *   udp --listen ADDR:PORT --count N [--pidfile FILE] [--timeout SEC]
 *       The redirect target of a UDP filter with the sockaddrs context: a
 *       UDP proxy on 0.0.0.0:PORT with IP_PKTINFO that serves N datagrams
 *       with WSARecvMsg, printing "dgram I records=LEN context=LEN
 *       pktinfo=N" for each; forwards them from one outbound socket with
 *       WSASendMsg (the first with its IP_WFP_REDIRECT_RECORDS message) to
 *       the original destination, and each answer back from the flow's
 *       address with IN_PKTINFO. On the first it also checks that the
 *       records message on a connected socket fails with WSAEISCONN.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <winsock2.h>
#include <mstcpip.h>
#include <ws2spi.h>
#include <wsk.h>

#include <lwfp/lwfp.h> /* the native answer, to compare with */

#include "report.h"

#define BIG 8192
#define WSK_BUF 1024 /* the WSK page's "large buffer (about 1 KB)" */
#define RECORDS SIO_QUERY_WFP_CONNECTION_REDIRECT_RECORDS
#define CONTEXT SIO_QUERY_WFP_CONNECTION_REDIRECT_CONTEXT
#define SET SIO_SET_WFP_CONNECTION_REDIRECT_RECORDS
#define UNTOUCHED 0xa5
#define LAST_ERROR_SENTINEL 4242

static bool untouched(const unsigned char *buf, size_t from, size_t size)
{
	size_t i;

	for (i = from; i < size; i++)
		if (buf[i] != UNTOUCHED)
			return false;
	return true;
}

/* ---- WSAIoctl and WSPIoctl, through one signature ------------------------ */

/* 0 or SOCKET_ERROR; *err is the Winsock error the interface reports. */
typedef int (*sio_fn)(SOCKET s, DWORD code, void *in, DWORD in_size, void *out, DWORD out_size,
		      DWORD *bytes, int *err);

static int via_wsaioctl(SOCKET s, DWORD code, void *in, DWORD in_size, void *out,
			DWORD out_size, DWORD *bytes, int *err)
{
	int rc = WSAIoctl(s, code, in, in_size, out, out_size, bytes, NULL, NULL);

	*err = rc ? WSAGetLastError() : 0;
	return rc;
}

static int via_wspioctl(SOCKET s, DWORD code, void *in, DWORD in_size, void *out,
			DWORD out_size, DWORD *bytes, int *err)
{
	int rc;

	*err = 0;
	WSASetLastError(LAST_ERROR_SENTINEL);
	rc = WSPIoctl(s, code, in, in_size, out, out_size, bytes, NULL, NULL, NULL, err);
	if (WSAGetLastError() != LAST_ERROR_SENTINEL) {
		fail("wspioctl-last-error", "WSPIoctl changed WSAGetLastError to %d",
		     WSAGetLastError());
		*err = -1;
	}
	return rc;
}

struct iface {
	const char *name;
	sio_fn fn;
};

static const struct iface ifaces[] = {
	{ "wsaioctl", via_wsaioctl },
	{ "wspioctl", via_wspioctl },
};

/* One call that must fail with err and report want_bytes, writing nothing. */
static void expect_fail(const struct iface *i, const char *what, SOCKET s, DWORD code,
			void *out, DWORD out_size, int want_err, DWORD want_bytes)
{
	unsigned char buf[BIG];
	char name[128];
	DWORD bytes = 0xdeadbeef;
	int err, rc;

	snprintf(name, sizeof(name), "%s-%s", i->name, what);
	memset(buf, UNTOUCHED, sizeof(buf));
	rc = i->fn(s, code, NULL, 0, out ? buf : NULL, out_size, &bytes, &err);
	check(name, rc == SOCKET_ERROR && err == want_err && bytes == want_bytes &&
			    untouched(buf, 0, sizeof(buf)),
	      "returned %d, error %d, %u bytes; want -1, %d, %u bytes, nothing written", rc, err,
	      bytes, want_err, want_bytes);
}

/*
 * The size rows of one query code on a redirected socket; the value goes to
 * value (BIG bytes); returns its size, or 0.
 */
static DWORD check_query(const struct iface *i, const char *what, SOCKET s, DWORD code,
			 unsigned char *value)
{
	unsigned char buf[BIG];
	char name[128], row[64];
	DWORD needed = 0, bytes = 0, sizes[] = { 4, 0 };
	int err, rc;
	size_t k;

	snprintf(name, sizeof(name), "%s-%s-size-probe", i->name, what);
	rc = i->fn(s, code, NULL, 0, NULL, 0, &needed, &err);
	if (!check(name, rc == SOCKET_ERROR && err == ERROR_INSUFFICIENT_BUFFER && needed > 0,
		   "returned %d, error %d, %u bytes; want -1, 122 and the size needed", rc, err,
		   needed))
		return 0;
	snprintf(row, sizeof(row), "%s-size-probe-buffer", what);
	expect_fail(i, row, s, code, buf, 0, ERROR_INSUFFICIENT_BUFFER, needed);
	snprintf(row, sizeof(row), "%s-small-2", what);
	expect_fail(i, row, s, code, buf, 2, WSAEINVAL, 0);
	snprintf(row, sizeof(row), "%s-small-3", what);
	expect_fail(i, row, s, code, buf, 3, WSAEINVAL, 0);
	sizes[1] = needed - 1;
	for (k = 0; k < 2; k++) {
		if (sizes[k] < 4 || sizes[k] >= needed)
			continue;
		snprintf(row, sizeof(row), "%s-small-%u", what, sizes[k]);
		expect_fail(i, row, s, code, buf, sizes[k], ERROR_INSUFFICIENT_BUFFER, needed);
	}

	snprintf(name, sizeof(name), "%s-%s-8k", i->name, what);
	rc = i->fn(s, code, NULL, 0, value, BIG, &bytes, &err);
	if (!check(name, rc == 0 && bytes == needed, "returned %d, error %d, %u bytes; want 0, %u",
		   rc, err, bytes, needed))
		return 0;
	snprintf(name, sizeof(name), "%s-%s-exact", i->name, what);
	memset(buf, UNTOUCHED, sizeof(buf));
	rc = i->fn(s, code, NULL, 0, buf, needed, &bytes, &err);
	check(name, rc == 0 && bytes == needed && !memcmp(buf, value, needed),
	      "returned %d, error %d, %u bytes; want 0 and the 8 KiB value", rc, err, bytes);
	return needed;
}

/* ---- WskControlSocket ---------------------------------------------------- */

static struct {
	int calls;
	PVOID context;
	NTSTATUS status;
	ULONG_PTR information;
} seen;

static NTSTATUS NTAPI on_complete(PDEVICE_OBJECT device, PIRP irp, PVOID context)
{
	(void)device;
	seen.calls++;
	seen.context = context;
	seen.status = irp->IoStatus.Status;
	seen.information = irp->IoStatus.Information;
	return STATUS_MORE_PROCESSING_REQUIRED; /* the IRP is ours to reuse */
}

/* One request; the output buffer is the routine's Context, as on the WSK page. */
static NTSTATUS wsk_call(PWSK_SOCKET ws, PIRP irp, ULONG code, PVOID in, SIZE_T in_size,
			 PVOID out, SIZE_T out_size, SIZE_T *returned)
{
	const WSK_PROVIDER_CONNECTION_DISPATCH *d = ws->Dispatch;

	memset(&seen, 0, sizeof(seen));
	IoReuseIrp(irp, STATUS_UNSUCCESSFUL);
	IoSetCompletionRoutine(irp, on_complete, out, TRUE, TRUE, TRUE);
	if (returned)
		*returned = 0xdeadbeef;
	return d->WskControlSocket(ws, WskIoctl, code, 0, in_size, in, out_size, out, returned,
				   irp);
}

/* The routine ran once, saw what the call returned, and the buffer. */
static bool completed_as(NTSTATUS st, SIZE_T returned, PVOID buf)
{
	return seen.calls == 1 && seen.status == st && seen.information == returned &&
	       seen.context == buf;
}

static void check_wsk_query(const char *what, PWSK_SOCKET ws, PIRP irp, ULONG code,
			    const unsigned char *value, DWORD needed)
{
	unsigned char buf[WSK_BUF], *sized;
	char name[128];
	SIZE_T returned;
	NTSTATUS st;

	snprintf(name, sizeof(name), "wsk-%s-1k-buffer", what);
	st = wsk_call(ws, irp, code, NULL, 0, buf, sizeof(buf), &returned);
	check(name, st == STATUS_SUCCESS && returned == needed && completed_as(st, needed, buf) &&
			    !memcmp(buf, value, needed),
	      "0x%08x, %zu bytes, Information %lu, %d calls; want success with %u", (unsigned)st,
	      returned, (unsigned long)seen.information, seen.calls, needed);

	snprintf(name, sizeof(name), "wsk-%s-size-query", what);
	st = wsk_call(ws, irp, code, NULL, 0, NULL, 0, &returned);
	if (!check(name, st == STATUS_BUFFER_TOO_SMALL && returned == needed &&
				 completed_as(st, needed, NULL),
		   "0x%08x, %zu bytes, Information %lu; want STATUS_BUFFER_TOO_SMALL with %u",
		   (unsigned)st, returned, (unsigned long)seen.information, needed))
		return;
	/* With an IRP, OutputSizeReturned is optional: Information has the size. */
	snprintf(name, sizeof(name), "wsk-%s-size-query-irp-only", what);
	st = wsk_call(ws, irp, code, NULL, 0, NULL, 0, NULL);
	check(name, st == STATUS_BUFFER_TOO_SMALL && completed_as(st, needed, NULL),
	      "0x%08x, Information %lu; want STATUS_BUFFER_TOO_SMALL with %u", (unsigned)st,
	      (unsigned long)seen.information, needed);
	snprintf(name, sizeof(name), "wsk-%s-sized-buffer", what);
	sized = malloc(returned);
	st = sized ? wsk_call(ws, irp, code, NULL, 0, sized, returned, &returned) : -1;
	check(name, st == STATUS_SUCCESS && returned == needed && completed_as(st, needed, sized) &&
			    !memcmp(sized, value, needed),
	      "0x%08x, %zu bytes; want success with %u", (unsigned)st, returned, needed);
	free(sized);

	/* Refused before the query, like WSAIoctl's WSAEINVAL: no size. */
	snprintf(name, sizeof(name), "wsk-%s-small-2", what);
	st = wsk_call(ws, irp, code, NULL, 0, buf, 2, &returned);
	check(name, st == STATUS_BUFFER_TOO_SMALL && returned == 0,
	      "0x%08x, %zu bytes; want STATUS_BUFFER_TOO_SMALL with 0", (unsigned)st, returned);
	snprintf(name, sizeof(name), "wsk-%s-small-needed-1", what);
	st = wsk_call(ws, irp, code, NULL, 0, buf, needed - 1, &returned);
	check(name, st == STATUS_BUFFER_TOO_SMALL && returned == needed,
	      "0x%08x, %zu bytes; want STATUS_BUFFER_TOO_SMALL with %u", (unsigned)st, returned,
	      needed);
}

/* ---- overlapped queries -------------------------------------------------- */

static struct {
	int calls;
	DWORD err, bytes;
} routine_seen;

static void CALLBACK routine(DWORD dwError, DWORD cbTransferred, LPWSAOVERLAPPED ov,
			     DWORD dwFlags)
{
	(void)ov;
	(void)dwFlags;
	routine_seen.calls++;
	routine_seen.err = dwError;
	routine_seen.bytes = cbTransferred;
}

static void check_overlapped(SOCKET s, const unsigned char *records, DWORD rec_size,
			     DWORD ctx_size)
{
	unsigned char buf[BIG];
	WSAOVERLAPPED ov = { 0 };
	WSAEVENT ev = WSACreateEvent();
	WSATHREADID tid;
	DWORD bytes = 0, flags, got = 0;
	int rc, err = 0;

	memset(&routine_seen, 0, sizeof(routine_seen));
	rc = WSAIoctl(s, RECORDS, NULL, 0, buf, sizeof(buf), &bytes, &ov, routine);
	check("overlapped-routine-pending", rc == SOCKET_ERROR && WSAGetLastError() == WSA_IO_PENDING,
	      "returned %d, error %d", rc, WSAGetLastError());
	rc = (int)SleepEx(5000, TRUE);
	check("overlapped-routine", rc == (int)WAIT_IO_COMPLETION && routine_seen.calls == 1 &&
					    routine_seen.err == 0 &&
					    routine_seen.bytes == rec_size &&
					    !memcmp(buf, records, rec_size),
	      "SleepEx %d, %d calls, error %u, %u bytes; want one call, 0, %u", rc,
	      routine_seen.calls, routine_seen.err, routine_seen.bytes, rec_size);
	check("overlapped-routine-result",
	      WSAGetOverlappedResult(s, &ov, &got, FALSE, &flags) && got == rec_size,
	      "%u bytes, error %d", got, WSAGetLastError());

	/* The size probe, overlapped: the size needed comes with the error. */
	memset(&routine_seen, 0, sizeof(routine_seen));
	rc = WSAIoctl(s, RECORDS, NULL, 0, NULL, 0, NULL, &ov, routine);
	SleepEx(5000, TRUE);
	check("overlapped-size-probe", rc == SOCKET_ERROR && routine_seen.calls == 1 &&
					       routine_seen.err == ERROR_INSUFFICIENT_BUFFER &&
					       routine_seen.bytes == rec_size,
	      "error %u, %u bytes; want 122 with %u", routine_seen.err, routine_seen.bytes,
	      rec_size);

	ov = (WSAOVERLAPPED){ .hEvent = ev };
	rc = WSAIoctl(s, CONTEXT, NULL, 0, buf, sizeof(buf), NULL, &ov, NULL);
	rc = rc == SOCKET_ERROR && WSAGetLastError() == WSA_IO_PENDING ?
		     (int)WSAWaitForMultipleEvents(1, &ev, FALSE, 5000, FALSE) : -1;
	check("overlapped-event", rc == (int)WSA_WAIT_EVENT_0 &&
					  WSAGetOverlappedResult(s, &ov, &got, FALSE, &flags) &&
					  got == ctx_size,
	      "wait %d, %u bytes; want the event and %u", rc, got, ctx_size);
	WSACloseEvent(ev);

	/* WSPIoctl: the routine runs on the lpThreadId thread, here this one. */
	memset(&routine_seen, 0, sizeof(routine_seen));
	ov = (WSAOVERLAPPED){ 0 };
	WPUOpenCurrentThread(&tid, &err);
	rc = WSPIoctl(s, RECORDS, NULL, 0, buf, sizeof(buf), NULL, &ov, routine, &tid, &err);
	check("wspioctl-overlapped-routine",
	      rc == SOCKET_ERROR && err == WSA_IO_PENDING &&
		      SleepEx(5000, TRUE) == WAIT_IO_COMPLETION && routine_seen.calls == 1 &&
		      routine_seen.err == 0 && routine_seen.bytes == rec_size,
	      "returned %d, lpErrno %d, %d calls, %u bytes", rc, err, routine_seen.calls,
	      routine_seen.bytes);
	WPUCloseThread(&tid, &err);
}

/* ---- set ----------------------------------------------------------------- */

static int read_file(const char *path, unsigned char *buf, size_t size)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f)
		return -1;
	n = fread(buf, 1, size, f);
	fclose(f);
	return (int)n;
}

static int write_file(const char *path, const void *buf, size_t len)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "wb");
	if (!f)
		return -1;
	if (fwrite(buf, 1, len, f) != len) {
		fclose(f);
		return -1;
	}
	if (fclose(f))
		return -1;
	return rename(tmp, path);
}

/* SET on a new TCP socket through the three interfaces. */
static void check_set(const char *what, unsigned char *blob, DWORD len, int want,
		      NTSTATUS want_status)
{
	char name[128];
	SOCKET s;
	DWORD bytes;
	PWSK_SOCKET ws;
	PIRP irp = IoAllocateIrp(1, FALSE);
	SIZE_T returned;
	NTSTATUS st;
	size_t k;
	int rc, err;

	for (k = 0; k < 2; k++) {
		snprintf(name, sizeof(name), "%s-set-%s", ifaces[k].name, what);
		s = WSASocketA(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0, WSA_FLAG_OVERLAPPED);
		bytes = 0xdeadbeef;
		rc = ifaces[k].fn(s, SET, blob, len, NULL, 0, &bytes, &err);
		check(name, (want ? rc == SOCKET_ERROR : rc == 0) && err == want && bytes == 0,
		      "returned %d, error %d, %u bytes; want error %d and 0 bytes", rc, err, bytes,
		      want);
		closesocket(s);
	}
	snprintf(name, sizeof(name), "wsk-set-%s", what);
	s = WSASocketA(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0, WSA_FLAG_OVERLAPPED);
	ws = lwfp_wsk_socket((int)s);
	st = wsk_call(ws, irp, SET, blob, len, NULL, 0, &returned);
	check(name, st == want_status && returned == 0 && completed_as(st, 0, NULL),
	      "0x%08x, %zu bytes; want 0x%08x", (unsigned)st, returned, (unsigned)want_status);
	lwfp_wsk_socket_free(ws);
	closesocket(s);
	IoFreeIrp(irp);
}

static void check_sets(SOCKET connected, unsigned char *blob, DWORD len)
{
	unsigned char bad[BIG];
	DWORD bytes;
	int rc;

	check_set("valid", blob, len, 0, STATUS_SUCCESS);
	memcpy(bad, blob, len);
	bad[len - 1] ^= 0x01; /* a hop edited */
	check_set("edited", bad, len, WSAEINVAL, STATUS_INVALID_PARAMETER);
	check_set("truncated", blob, len - 1, WSAEINVAL, STATUS_INVALID_PARAMETER);
	rc = WSAIoctl(connected, SET, blob, len, NULL, 0, &bytes, NULL, NULL);
	check("wsaioctl-set-connected", rc == SOCKET_ERROR && WSAGetLastError() == WSAEISCONN,
	      "returned %d, error %d; want WSAEISCONN", rc, WSAGetLastError());
}

/* ---- serve --------------------------------------------------------------- */

struct opts {
	const char *listen, *connect, *blob, *pidfile, *expect_orig, *expect;
	int timeout, count;
};

static SOCKET accept_one(const struct opts *o)
{
	SOCKADDR_STORAGE ss;
	int len = sizeof(ss), family = strchr(o->listen, '[') ? AF_INET6 : AF_INET;
	struct timeval tv = { o->timeout, 0 };
	SOCKET l, s = INVALID_SOCKET;
	fd_set rd;
	char pid[32];

	if (WSAStringToAddressA((LPSTR)o->listen, family, NULL, (LPSOCKADDR)&ss, &len))
		return INVALID_SOCKET;
	l = WSASocketA(family, SOCK_STREAM, IPPROTO_TCP, NULL, 0, WSA_FLAG_OVERLAPPED);
	if (l == INVALID_SOCKET || bind(l, (LPSOCKADDR)&ss, len) || listen(l, 1))
		return INVALID_SOCKET;
	snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	write_file(o->pidfile, pid, strlen(pid));
	FD_ZERO(&rd);
	FD_SET(l, &rd);
	if (select(0, &rd, NULL, NULL, &tv) == 1)
		s = accept(l, NULL, NULL);
	closesocket(l);
	return s;
}

static void check_context(SOCKET s, const unsigned char *ctx, DWORD size, const char *want)
{
	SOCKADDR_STORAGE orig;
	char text[64];
	DWORD len = sizeof(text);
	int olen = sizeof(orig);

	text[0] = '\0';
	if (size == 2 * sizeof(SOCKADDR_STORAGE))
		WSAAddressToStringA((LPSOCKADDR)ctx, sizeof(SOCKADDR_STORAGE), NULL, text, &len);
	check("context-sockaddrs", !strcmp(text, want), "%u bytes, first address '%s', want '%s'",
	      size, text, want);
	len = sizeof(text);
	text[0] = '\0';
	if (!getsockopt(s, SOL_SOCKET, SO_ORIGINAL_DST, (char *)&orig, &olen))
		WSAAddressToStringA((LPSOCKADDR)&orig, olen, NULL, text, &len);
	check("so-original-dst", !strcmp(text, want), "'%s', want '%s' (error %d)", text, want,
	      WSAGetLastError());
}

static void hold_until_closed(SOCKET s, int timeout)
{
	struct timeval tv = { timeout, 0 };
	char buf[256];
	fd_set rd;

	for (;;) {
		FD_ZERO(&rd);
		FD_SET(s, &rd);
		if (select(0, &rd, NULL, NULL, &tv) != 1 || recv(s, buf, sizeof(buf), 0) <= 0)
			return;
	}
}

static int serve(const struct opts *o)
{
	static unsigned char records[BIG], context[BIG], value[BIG];
	DWORD rec_size = 0, ctx_size = 0;
	PWSK_SOCKET ws;
	PIRP irp;
	SOCKET s;
	size_t k;

	s = accept_one(o);
	if (s == INVALID_SOCKET) {
		fail("accept", "no redirected connection (error %d)", WSAGetLastError());
		return 1;
	}
	for (k = 0; k < 2; k++) {
		rec_size = check_query(&ifaces[k], "records", s, RECORDS, records);
		ctx_size = check_query(&ifaces[k], "context", s, CONTEXT, context);
	}
	if (!rec_size || !ctx_size)
		return 1;
	check_context(s, context, ctx_size, o->expect_orig);
	ws = lwfp_wsk_socket((int)s);
	irp = IoAllocateIrp(1, FALSE);
	memcpy(value, records, rec_size);
	check_wsk_query("records", ws, irp, RECORDS, value, rec_size);
	check_wsk_query("context", ws, irp, CONTEXT, context, ctx_size);
	IoFreeIrp(irp);
	lwfp_wsk_socket_free(ws);
	check_overlapped(s, records, rec_size, ctx_size);
	check_sets(s, records, rec_size);
	if (write_file(o->blob, records, rec_size))
		fail("blob", "cannot write %s", o->blob);
	hold_until_closed(s, o->timeout);
	closesocket(s);
	return 0;
}

/* ---- setrec and local ---------------------------------------------------- */

static int setrec(const struct opts *o)
{
	static const struct {
		const char *name;
		int err;
		NTSTATUS status;
	} results[] = {
		{ "OK", 0, STATUS_SUCCESS },
		{ "WSAEACCES", WSAEACCES, STATUS_ACCESS_DENIED },
		{ "WSAEINVAL", WSAEINVAL, STATUS_INVALID_PARAMETER },
	};
	unsigned char blob[BIG];
	int len = read_file(o->blob, blob, sizeof(blob));
	size_t k;

	if (len <= 0) {
		fail("blob", "cannot read %s", o->blob);
		return 1;
	}
	for (k = 0; k < sizeof(results) / sizeof(results[0]); k++)
		if (!strcmp(o->expect, results[k].name)) {
			check_set(o->expect, blob, (DWORD)len, results[k].err, results[k].status);
			return 0;
		}
	fprintf(stderr, "unknown --expect %s\n", o->expect);
	return 2;
}

static void check_local_socket(const char *what, SOCKET s, int want, NTSTATUS want_status)
{
	PWSK_SOCKET ws = lwfp_wsk_socket((int)s);
	PIRP irp = IoAllocateIrp(1, FALSE);
	unsigned char buf[WSK_BUF];
	char name[128];
	SIZE_T returned;
	NTSTATUS st;
	size_t k;

	for (k = 0; k < 2; k++) {
		snprintf(name, sizeof(name), "%s-records", what);
		expect_fail(&ifaces[k], name, s, RECORDS, buf, sizeof(buf), want, 0);
		snprintf(name, sizeof(name), "%s-size-probe", what);
		expect_fail(&ifaces[k], name, s, RECORDS, NULL, 0, want, 0);
		snprintf(name, sizeof(name), "%s-context", what);
		expect_fail(&ifaces[k], name, s, CONTEXT, buf, sizeof(buf), want, 0);
	}
	snprintf(name, sizeof(name), "wsk-%s-records", what);
	st = wsk_call(ws, irp, RECORDS, NULL, 0, buf, sizeof(buf), &returned);
	check(name, st == want_status && returned == 0 && completed_as(st, 0, buf),
	      "0x%08x, %zu bytes; want 0x%08x", (unsigned)st, returned, (unsigned)want_status);
	snprintf(name, sizeof(name), "wsk-%s-size-query", what);
	st = wsk_call(ws, irp, CONTEXT, NULL, 0, NULL, 0, &returned);
	check(name, st == want_status && returned == 0, "0x%08x, %zu bytes; want 0x%08x",
	      (unsigned)st, returned, (unsigned)want_status);
	IoFreeIrp(irp);
	lwfp_wsk_socket_free(ws);
}

static int local(void)
{
	SOCKADDR_IN sin = { .sin_family = AF_INET };
	int len = sizeof(sin);
	SOCKET l, c, a, u;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = WSASocketA(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0, WSA_FLAG_OVERLAPPED);
	c = WSASocketA(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0, WSA_FLAG_OVERLAPPED);
	u = WSASocketA(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0, WSA_FLAG_OVERLAPPED);
	if (bind(l, (LPSOCKADDR)&sin, sizeof(sin)) || listen(l, 1) ||
	    getsockname(l, (LPSOCKADDR)&sin, &len) || connect(c, (LPSOCKADDR)&sin, sizeof(sin))) {
		fail("local-setup", "error %d", WSAGetLastError());
		return 1;
	}
	a = accept(l, NULL, NULL);
	check_local_socket("not-redirected", c, ERROR_NOT_FOUND, STATUS_NOT_FOUND);
	check_local_socket("not-redirected-accepted", a, ERROR_NOT_FOUND, STATUS_NOT_FOUND);
	check_local_socket("unconnected", u, WSAENOTCONN, STATUS_INVALID_CONNECTION);
	check_local_socket("listening", l, WSAENOTCONN, STATUS_INVALID_CONNECTION);
	closesocket(a);
	closesocket(c);
	closesocket(u);
	closesocket(l);
	return 0;
}

/* The context only on the accepted socket: through the three interfaces. */
static void check_not_delivered(SOCKET s)
{
	PWSK_SOCKET ws = lwfp_wsk_socket((int)s);
	PIRP irp = IoAllocateIrp(1, FALSE);
	unsigned char buf[WSK_BUF];
	SIZE_T returned;
	NTSTATUS st;
	size_t k;

	for (k = 0; k < 2; k++) {
		expect_fail(&ifaces[k], "appctx-context", s, CONTEXT, buf, sizeof(buf),
			    ERROR_NOT_FOUND, 0);
		expect_fail(&ifaces[k], "appctx-context-size-probe", s, CONTEXT, NULL, 0,
			    ERROR_NOT_FOUND, 0);
	}
	st = wsk_call(ws, irp, CONTEXT, NULL, 0, buf, sizeof(buf), &returned);
	check("wsk-appctx-context", st == STATUS_NOT_FOUND && returned == 0,
	      "0x%08x, %zu bytes; want STATUS_NOT_FOUND", (unsigned)st, returned);
	st = wsk_call(ws, irp, CONTEXT, NULL, 0, NULL, 0, &returned);
	check("wsk-appctx-size-query", st == STATUS_NOT_FOUND && returned == 0,
	      "0x%08x, %zu bytes; want STATUS_NOT_FOUND", (unsigned)st, returned);
	IoFreeIrp(irp);
	lwfp_wsk_socket_free(ws);
}

/*
 * The application's own socket, whose connect a filter with a context
 * redirected: the native API reads the context there, the Windows layer
 * says ERROR_NOT_FOUND, as Windows does on the connecting side.
 */
static int appctx(const struct opts *o)
{
	SOCKADDR_STORAGE ss;
	int len = sizeof(ss), family = strchr(o->connect, '[') ? AF_INET6 : AF_INET, rc;
	unsigned char buf[WSK_BUF];
	size_t n = 0;
	SOCKET c;

	c = WSASocketA(family, SOCK_STREAM, IPPROTO_TCP, NULL, 0, WSA_FLAG_OVERLAPPED);
	if (WSAStringToAddressA((LPSTR)o->connect, family, NULL, (LPSOCKADDR)&ss, &len) ||
	    c == INVALID_SOCKET || connect(c, (LPSOCKADDR)&ss, len)) {
		fail("appctx-setup", "connect to %s: error %d", o->connect, WSAGetLastError());
		return 1;
	}
	rc = lwfp_query_redirect_context((int)c, buf, sizeof(buf), &n);
	check("appctx-native-context", rc == 0 && n > 0, "returned %d with %zu bytes", rc, n);
	check_not_delivered(c);
	closesocket(c);
	return 0;
}

/* ---- udp: a UDP proxy with WSARecvMsg and WSASendMsg --------------------- */

static bool readable(SOCKET s, int timeout)
{
	fd_set r;
	TIMEVAL tv = { timeout, 0 };

	FD_ZERO(&r);
	FD_SET(s, &r);
	return select(0, &r, NULL, NULL, &tv) == 1;
}

/* One control message of msg: its data and length, or NULL. */
static LPWSACMSGHDR find_cmsg(LPWSAMSG msg, INT level, INT type, int *count)
{
	LPWSACMSGHDR c, found = NULL;

	*count = 0;
	for (c = WSA_CMSG_FIRSTHDR(msg); c; c = WSA_CMSG_NXTHDR(msg, c))
		if (c->cmsg_level == level && c->cmsg_type == type) {
			if (!found)
				found = c;
			(*count)++;
		}
	return found;
}

static ULONG cmsg_size(LPWSACMSGHDR c)
{
	return c ? (ULONG)(c->cmsg_len - WSA_CMSG_LEN(0)) : 0;
}

/*
 * Records on a connected UDP socket: WSASendMsg fails with WSAEISCONN and
 * sends nothing.
 */
static int sa_len(const SOCKADDR_STORAGE *ss)
{
	return ss->ss_family == AF_INET6 ? sizeof(SOCKADDR_IN6) : sizeof(SOCKADDR_IN);
}

/* The level of a family's IP control messages: IPPROTO_IP or IPPROTO_IPV6. */
static INT ip_level(int family)
{
	return family == AF_INET6 ? IPPROTO_IPV6 : IPPROTO_IP;
}

static void check_sendmsg_connected(const SOCKADDR_STORAGE *dst, const void *rec, ULONG rec_len)
{
	static char control[BIG];
	SOCKET c = WSASocketA(dst->ss_family, SOCK_DGRAM, IPPROTO_UDP, NULL, 0,
			      WSA_FLAG_OVERLAPPED);
	WSABUF b = { 1, (CHAR *)"x" };
	WSAMSG m = { 0 };
	LPWSACMSGHDR h = (LPWSACMSGHDR)control;
	DWORD n = 0;
	int rc;

	if (c == INVALID_SOCKET || connect(c, (const struct sockaddr *)dst, sa_len(dst))) {
		fail("udp-sendmsg-connected", "cannot connect a socket (error %d)", WSAGetLastError());
		return;
	}
	h->cmsg_len = WSA_CMSG_LEN(rec_len);
	h->cmsg_level = ip_level(dst->ss_family);
	h->cmsg_type = IP_WFP_REDIRECT_RECORDS;
	memcpy(WSA_CMSG_DATA(h), rec, rec_len);
	m.lpBuffers = &b;
	m.dwBufferCount = 1;
	m.Control.buf = control;
	m.Control.len = (ULONG)WSA_CMSG_SPACE(rec_len);
	rc = WSASendMsg(c, &m, 0, &n, NULL, NULL);
	check("udp-sendmsg-connected", rc == SOCKET_ERROR && WSAGetLastError() == WSAEISCONN,
	      "rc %d error %d, want WSAEISCONN", rc, WSAGetLastError());
	closesocket(c);
}

/*
 * The datagram's reply from the flow's address: the application sees the
 * original one. The pktinfo message names the address, in the family's form.
 */
static int udp_reply(SOCKET s, int family, SOCKADDR_STORAGE *client, const void *pi,
		     char *reply, DWORD got)
{
	static char rctl[256];
	WSABUF rb = { got, reply };
	WSAMSG sm = { 0 };
	LPWSACMSGHDR h = (LPWSACMSGHDR)rctl;
	ULONG size = family == AF_INET6 ? sizeof(IN6_PKTINFO) : sizeof(IN_PKTINFO);
	DWORD sent = 0;

	memset(rctl, 0, sizeof(rctl));
	sm.name = (LPSOCKADDR)client;
	sm.namelen = sa_len(client);
	sm.lpBuffers = &rb;
	sm.dwBufferCount = 1;
	sm.Control.buf = rctl;
	sm.Control.len = (ULONG)WSA_CMSG_SPACE(size);
	h->cmsg_len = WSA_CMSG_LEN(size);
	h->cmsg_level = ip_level(family);
	h->cmsg_type = family == AF_INET6 ? IPV6_PKTINFO : IP_PKTINFO;
	if (family == AF_INET6)
		((PIN6_PKTINFO)WSA_CMSG_DATA(h))->ipi6_addr = ((const IN6_PKTINFO *)pi)->ipi6_addr;
	else
		((PIN_PKTINFO)WSA_CMSG_DATA(h))->ipi_spec_dst = ((const IN_PKTINFO *)pi)->ipi_addr;
	return WSASendMsg(s, &sm, 0, &sent, NULL, NULL);
}

/* The wildcard of the --listen family at its port, with pktinfo on. */
static SOCKET udp_wildcard(const struct opts *o, int family)
{
	SOCKADDR_STORAGE ss;
	BOOL on = TRUE;
	int len = sizeof(ss);
	SOCKET s;

	if (WSAStringToAddressA((LPSTR)o->listen, family, NULL, (LPSOCKADDR)&ss, &len))
		return INVALID_SOCKET;
	/* Every flow has its own address: the socket takes them all, at the port. */
	if (family == AF_INET6)
		memset(&((PSOCKADDR_IN6)&ss)->sin6_addr, 0, sizeof(IN6_ADDR));
	else
		((PSOCKADDR_IN)&ss)->sin_addr.s_addr = htonl(INADDR_ANY);
	s = WSASocketA(family, SOCK_DGRAM, IPPROTO_UDP, NULL, 0, WSA_FLAG_OVERLAPPED);
	if (s == INVALID_SOCKET ||
	    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, (const char *)&on, sizeof(on)) ||
	    /* Linux's option numbers: receiving IPv6 pktinfo is IPV6_RECVPKTINFO. */
	    setsockopt(s, ip_level(family), family == AF_INET6 ? IPV6_RECVPKTINFO : IP_PKTINFO,
		       (const char *)&on, sizeof(on)) ||
	    (family == AF_INET6 &&
	     setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, (const char *)&on, sizeof(on))) ||
	    bind(s, (LPSOCKADDR)&ss, len))
		return INVALID_SOCKET;
	return s;
}

/*
 * The redirect target of a UDP filter with the sockaddrs context: a
 * wildcard socket with IP_PKTINFO (IPV6_PKTINFO for an IPv6 --listen).
 * Each datagram is forwarded from one outbound socket to the original
 * destination (the first goes with its records, through WSASendMsg), and
 * the answer goes back from the flow's address with a pktinfo message.
 * Prints a line per datagram:
 *   dgram I records=LEN context=LEN pktinfo=N
 */
static int udp_proxy(const struct opts *o)
{
	static char data[65536], control[BIG], reply[65536];
	SOCKADDR_STORAGE orig = { 0 }, client;
	int family = strchr(o->listen, '[') ? AF_INET6 : AF_INET, level = ip_level(family);
	SOCKET s, out;
	int i, nrec, nctx, npi;
	bool have_orig = false;

	s = udp_wildcard(o, family);
	out = WSASocketA(family, SOCK_DGRAM, IPPROTO_UDP, NULL, 0, WSA_FLAG_OVERLAPPED);
	if (s == INVALID_SOCKET || out == INVALID_SOCKET) {
		fail("udp-listen", "error %d", WSAGetLastError());
		return 1;
	}
	if (o->pidfile)
		write_file(o->pidfile, "1\n", 2);
	for (i = 0; i < o->count; i++) {
		WSABUF b = { sizeof(data), data };
		WSAMSG m = { 0 }, sm = { 0 };
		LPWSACMSGHDR rec, ctx, pi;
		DWORD n = 0, sent = 0, got;
		IN6_PKTINFO flow; /* the bigger of the two; control is reused below */
		int rc;

		if (!readable(s, o->timeout)) {
			fail("udp-recv", "no datagram %d within %d s", i, o->timeout);
			return 1;
		}
		m.name = (LPSOCKADDR)&client;
		m.namelen = sizeof(client);
		m.lpBuffers = &b;
		m.dwBufferCount = 1;
		m.Control.buf = control;
		m.Control.len = sizeof(control);
		if (WSARecvMsg(s, &m, &n, NULL, NULL)) {
			fail("udp-recv", "WSARecvMsg: error %d", WSAGetLastError());
			return 1;
		}
		rec = find_cmsg(&m, level, IP_WFP_REDIRECT_RECORDS, &nrec);
		ctx = find_cmsg(&m, level, IP_WFP_REDIRECT_CONTEXT, &nctx);
		pi = find_cmsg(&m, level, family == AF_INET6 ? IPV6_PKTINFO : IP_PKTINFO, &npi);
		printf("dgram %d records=%lu context=%lu pktinfo=%d\n", i, (unsigned long)cmsg_size(rec),
		       (unsigned long)cmsg_size(ctx), npi);
		if (!pi || cmsg_size(pi) > sizeof(flow)) {
			fail("udp-pktinfo", "datagram %d: no pktinfo message", i);
			return 1;
		}
		memcpy(&flow, WSA_CMSG_DATA(pi), cmsg_size(pi));
		if (rec && cmsg_size(ctx) == 2 * sizeof(SOCKADDR_STORAGE)) {
			memcpy(&orig, WSA_CMSG_DATA(ctx), sizeof(orig));
			have_orig = true;
			check_sendmsg_connected(&orig, WSA_CMSG_DATA(rec), cmsg_size(rec));
			/* The records message, as it came, goes out with the datagram. */
			memmove(control, rec, WSA_CMSG_SPACE(cmsg_size(rec)));
			sm.Control.buf = control;
			sm.Control.len = (ULONG)WSA_CMSG_SPACE(cmsg_size(rec));
		}
		if (!have_orig) {
			fail("udp-first", "datagram %d: no records and context before it", i);
			return 1;
		}
		b.len = n;
		sm.name = (LPSOCKADDR)&orig;
		sm.namelen = sa_len(&orig);
		sm.lpBuffers = &b;
		sm.dwBufferCount = 1;
		rc = WSASendMsg(out, &sm, 0, &sent, NULL, NULL);
		if (rc || sent != n) {
			fail("udp-sendmsg", "datagram %d: rc %d error %d sent %lu", i, rc,
			     WSAGetLastError(), (unsigned long)sent);
			return 1;
		}
		if (!readable(out, o->timeout)) {
			fail("udp-answer", "no answer to datagram %d", i);
			return 1;
		}
		got = (DWORD)recv(out, reply, sizeof(reply), 0);
		if (udp_reply(s, family, &client, &flow, reply, got)) {
			fail("udp-reply", "datagram %d: error %d", i, WSAGetLastError());
			return 1;
		}
	}
	closesocket(out);
	closesocket(s);
	return 0;
}

/* ---- main ---------------------------------------------------------------- */

static int usage(void)
{
	fprintf(stderr,
		"Usage: lwfp-test-win serve --listen ADDR:PORT --blob FILE --pidfile FILE\n"
		"                           --expect-orig ADDR:PORT [--timeout SEC]\n"
		"       lwfp-test-win setrec --blob FILE --expect OK|WSAEACCES|WSAEINVAL\n"
		"       lwfp-test-win local\n"
		"       lwfp-test-win appctx --connect ADDR:PORT\n"
		"       lwfp-test-win udp --listen ADDR:PORT --count N [--pidfile FILE]\n"
		"                         [--timeout SEC]\n");
	return 2;
}

static int parse(int argc, char **argv, struct opts *o)
{
	int i;

	o->timeout = 30;
	for (i = 2; i + 1 < argc; i += 2) {
		const char *k = argv[i], *v = argv[i + 1];

		if (!strcmp(k, "--listen"))
			o->listen = v;
		else if (!strcmp(k, "--connect"))
			o->connect = v;
		else if (!strcmp(k, "--blob"))
			o->blob = v;
		else if (!strcmp(k, "--pidfile"))
			o->pidfile = v;
		else if (!strcmp(k, "--expect-orig"))
			o->expect_orig = v;
		else if (!strcmp(k, "--expect"))
			o->expect = v;
		else if (!strcmp(k, "--count"))
			o->count = atoi(v);
		else if (!strcmp(k, "--timeout"))
			o->timeout = atoi(v);
		else
			return -1;
	}
	return i == argc ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct opts o = { 0 };
	WSADATA data;
	int rc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2 || parse(argc, argv, &o))
		return usage();
	if (WSAStartup(MAKEWORD(2, 2), &data))
		return 1;
	if (!strcmp(argv[1], "serve") && o.listen && o.blob && o.pidfile && o.expect_orig)
		rc = serve(&o);
	else if (!strcmp(argv[1], "setrec") && o.blob && o.expect)
		rc = setrec(&o);
	else if (!strcmp(argv[1], "local"))
		rc = local();
	else if (!strcmp(argv[1], "appctx") && o.connect)
		rc = appctx(&o);
	else if (!strcmp(argv[1], "udp") && o.listen && o.count > 0)
		rc = udp_proxy(&o);
	else
		return usage();
	WSACleanup();
	return rc ? rc : failures ? 1 : 0;
}
