// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * DESIGN §4's error table for WSAIoctl, WSPIoctl and WskControlSocket.
 *
 * Two tables:
 *   - the mapping, every row, from the native result to the WSAIoctl error
 *     with its byte count and to the WSK NTSTATUS;
 *   - every row a unit test can reach with real sockets, run through all
 *     three interfaces with the exact WSAGetLastError / *lpErrno / NTSTATUS,
 *     the bytes returned, and (WSK) the IRP's completion.
 * Rows that need a redirected socket or an engine (success, size probe,
 * small buffers, not redirected, not connected, bad or unauthorised set)
 * are in tests/integration/test_winsock_proxy.sh (lwfp-test-win).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <lwfp/lwfp.h>
#include "../../lib/win/lwfp_win_internal.h"

#define SENTINEL 0xdeadbeefu
#define LAST_ERROR_SENTINEL 4242

/* ---- the constants ------------------------------------------------------- */

static void test_constants(void **state)
{
	(void)state;
	assert_int_equal(sizeof(DWORD), 4);
	assert_int_equal(sizeof(ULONG), 4);
	assert_int_equal(sizeof(LONG), 4);
	assert_int_equal(sizeof(NTSTATUS), 4);
	assert_int_equal(sizeof(SOCKET), sizeof(void *));
	assert_int_equal(SIO_QUERY_WFP_CONNECTION_REDIRECT_RECORDS, 0x980000DCu);
	assert_int_equal(SIO_QUERY_WFP_CONNECTION_REDIRECT_CONTEXT, 0x980000DDu);
	assert_int_equal(SIO_SET_WFP_CONNECTION_REDIRECT_RECORDS, 0x980000DEu);
	assert_int_equal(SO_ORIGINAL_DST, 0x300F);
	assert_int_equal(IP_WFP_REDIRECT_RECORDS, 60);
	assert_int_equal(IP_WFP_REDIRECT_CONTEXT, 70);
	assert_int_equal(ERROR_INSUFFICIENT_BUFFER, 122);
	assert_int_equal(ERROR_ARITHMETIC_OVERFLOW, 534);
	assert_int_equal(ERROR_NOT_FOUND, 1168);
	assert_int_equal(WSA_OPERATION_ABORTED, 995);
	assert_int_equal(WSA_IO_INCOMPLETE, 996);
	assert_int_equal(WSA_IO_PENDING, 997);
	assert_int_equal(WSAEINTR, 10004);
	assert_int_equal(WSAEACCES, 10013);
	assert_int_equal(WSAEFAULT, 10014);
	assert_int_equal(WSAEINVAL, 10022);
	assert_int_equal(WSAENOTSOCK, 10038);
	assert_int_equal(WSAENOPROTOOPT, 10042);
	assert_int_equal(WSAEOPNOTSUPP, 10045);
	assert_int_equal(WSAENOTCONN, 10057);
	assert_int_equal((uint32_t)STATUS_SUCCESS, 0);
	assert_int_equal((uint32_t)STATUS_BUFFER_TOO_SMALL, 0xC0000023u);
	assert_int_equal((uint32_t)STATUS_INTEGER_OVERFLOW, 0xC0000095u);
	assert_int_equal((uint32_t)STATUS_NOT_FOUND, 0xC0000225u);
	assert_int_equal((uint32_t)STATUS_ACCESS_DENIED, 0xC0000022u);
	assert_int_equal((uint32_t)STATUS_INVALID_PARAMETER, 0xC000000Du);
	assert_int_equal((uint32_t)STATUS_INVALID_HANDLE, 0xC0000008u);
	assert_int_equal((uint32_t)STATUS_INVALID_CONNECTION, 0xC0000140u);
	assert_int_equal((uint32_t)STATUS_NOT_SUPPORTED, 0xC00000BBu);
	assert_int_equal((uint32_t)STATUS_ACCESS_VIOLATION, 0xC0000005u);
	assert_int_equal((uint32_t)STATUS_INVALID_DEVICE_REQUEST, 0xC0000010u);
	assert_int_equal((uint32_t)STATUS_MORE_PROCESSING_REQUIRED, 0xC0000016u);
	assert_int_equal((uint32_t)STATUS_PENDING, 0x103u);
	assert_true(!NT_SUCCESS(STATUS_NOT_FOUND));
}

/* ---- the mapping, every row ---------------------------------------------- */

static const struct map_row {
	const char *situation;
	int rc; /* native */
	size_t out_size;
	size_t result; /* native *returned: bytes, or needed with -ERANGE */
	int wsa;
	DWORD bytes;
	NTSTATUS status;
} map_rows[] = {
	{ "success, bytes > 0", 0, 8192, 40, 0, 40, STATUS_SUCCESS },
	{ "size probe", -ERANGE, 0, 40, ERROR_INSUFFICIENT_BUFFER, 40, STATUS_BUFFER_TOO_SMALL },
	{ "out size 1", -ERANGE, 1, 40, WSAEINVAL, 0, STATUS_BUFFER_TOO_SMALL },
	{ "out size 3", -ERANGE, 3, 40, WSAEINVAL, 0, STATUS_BUFFER_TOO_SMALL },
	{ "out size 4 < needed", -ERANGE, 4, 40, ERROR_INSUFFICIENT_BUFFER, 40,
	  STATUS_BUFFER_TOO_SMALL },
	{ "out size needed-1", -ERANGE, 39, 40, ERROR_INSUFFICIENT_BUFFER, 40,
	  STATUS_BUFFER_TOO_SMALL },
	{ "size arithmetic overflows", -EOVERFLOW, 1024, 0, ERROR_ARITHMETIC_OVERFLOW, 0,
	  STATUS_INTEGER_OVERFLOW },
	{ "not redirected / no context", -ENOENT, 1024, 0, ERROR_NOT_FOUND, 0, STATUS_NOT_FOUND },
	{ "not allowed", -EACCES, 0, 0, WSAEACCES, 0, STATUS_ACCESS_DENIED },
	{ "bad records blob", -EINVAL, 0, 0, WSAEINVAL, 0, STATUS_INVALID_PARAMETER },
	{ "not a socket", -ENOTSOCK, 1024, 0, WSAENOTSOCK, 0, STATUS_INVALID_HANDLE },
	{ "bad fd", -EBADF, 1024, 0, WSAENOTSOCK, 0, STATUS_INVALID_HANDLE },
	{ "not connected", -ENOTCONN, 1024, 0, WSAENOTCONN, 0, STATUS_INVALID_CONNECTION },
	{ "not TCP/UDP over IP", -ENOPROTOOPT, 1024, 0, WSAENOPROTOOPT, 0, STATUS_NOT_SUPPORTED },
	{ "no engine", -EOPNOTSUPP, 1024, 0, WSAEOPNOTSUPP, 0, STATUS_NOT_SUPPORTED },
	{ "bad pointer", -EFAULT, 1024, 0, WSAEFAULT, 0, STATUS_ACCESS_VIOLATION },
	{ "interrupted", -EINTR, 1024, 0, WSAEINTR, 0, STATUS_CANCELLED },
};

static void test_mapping_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(map_rows) / sizeof(map_rows[0]); i++) {
		const struct map_row *r = &map_rows[i];
		DWORD bytes = SENTINEL;
		int wsa = win_wsa_from_native(r->rc, r->out_size, r->result, &bytes);
		NTSTATUS st = win_status_from_native(r->rc);

		if (wsa != r->wsa || bytes != r->bytes || st != r->status)
			fail_msg("%s: WSAIoctl %d with %u bytes, WSK 0x%08x; want %d, %u, 0x%08x",
				 r->situation, wsa, bytes, (unsigned)st, r->wsa, r->bytes,
				 (unsigned)r->status);
	}
}

/* ---- rows on real sockets ------------------------------------------------ */

enum sock_kind {
	SK_INVALID, /* INVALID_SOCKET; a NULL WSK socket */
	SK_CLOSED, /* an fd that is not open */
	SK_PIPE,
	SK_UNIX,
	SK_TCP, /* connected over loopback, no engine for this cgroup */
	SK_UDP,
};

enum buf_kind {
	BK_NULL,
	BK_BUF, /* 1 KiB of real memory */
	BK_WRAP, /* an address whose size arithmetic wraps */
	BK_NONE, /* a PROT_NONE page */
	BK_RO, /* a read-only page */
};

/* lpcbBytesReturned / OutputSizeReturned */
enum bytes_kind {
	BY_OK,
	BY_NULL,
	BY_NONE, /* on the PROT_NONE page */
	BY_RO, /* on the read-only page */
};

struct row {
	const char *name;
	enum sock_kind sock;
	DWORD code;
	enum buf_kind in;
	DWORD in_size;
	enum buf_kind out;
	DWORD out_size;
	enum bytes_kind bytes;
	int wsa; /* WSAGetLastError() and *lpErrno */
	NTSTATUS status; /* WskControlSocket */
	int native; /* the native result this row's socket must give, or 0 */
};

#define RECORDS SIO_QUERY_WFP_CONNECTION_REDIRECT_RECORDS
#define CONTEXT SIO_QUERY_WFP_CONNECTION_REDIRECT_CONTEXT
#define SET SIO_SET_WFP_CONNECTION_REDIRECT_RECORDS

static const struct row rows[] = {
	{ "records, INVALID_SOCKET", SK_INVALID, RECORDS, BK_NULL, 0, BK_BUF, 1024, BY_OK,
	  WSAENOTSOCK, STATUS_INVALID_HANDLE, 0 },
	{ "records, closed fd", SK_CLOSED, RECORDS, BK_NULL, 0, BK_BUF, 1024, BY_OK, WSAENOTSOCK,
	  STATUS_INVALID_HANDLE, 0 },
	{ "records, pipe", SK_PIPE, RECORDS, BK_NULL, 0, BK_BUF, 1024, BY_OK, WSAENOTSOCK,
	  STATUS_INVALID_HANDLE, 0 },
	{ "context, pipe", SK_PIPE, CONTEXT, BK_NULL, 0, BK_BUF, 1024, BY_OK, WSAENOTSOCK,
	  STATUS_INVALID_HANDLE, 0 },
	{ "set, pipe", SK_PIPE, SET, BK_BUF, 32, BK_NULL, 0, BY_OK, WSAENOTSOCK,
	  STATUS_INVALID_HANDLE, 0 },
	{ "records, AF_UNIX", SK_UNIX, RECORDS, BK_NULL, 0, BK_BUF, 1024, BY_OK, WSAENOPROTOOPT,
	  STATUS_NOT_SUPPORTED, -ENOPROTOOPT },
	{ "context, AF_UNIX", SK_UNIX, CONTEXT, BK_NULL, 0, BK_BUF, 1024, BY_OK, WSAENOPROTOOPT,
	  STATUS_NOT_SUPPORTED, -ENOPROTOOPT },
	{ "set, AF_UNIX", SK_UNIX, SET, BK_BUF, 32, BK_NULL, 0, BY_OK, WSAENOPROTOOPT,
	  STATUS_NOT_SUPPORTED, -ENOPROTOOPT },
	{ "records, TCP, no engine", SK_TCP, RECORDS, BK_NULL, 0, BK_BUF, 1024, BY_OK,
	  WSAEOPNOTSUPP, STATUS_NOT_SUPPORTED, -EOPNOTSUPP },
	{ "context, TCP, no engine", SK_TCP, CONTEXT, BK_NULL, 0, BK_BUF, 1024, BY_OK,
	  WSAEOPNOTSUPP, STATUS_NOT_SUPPORTED, -EOPNOTSUPP },
	{ "size probe, TCP, no engine", SK_TCP, RECORDS, BK_NULL, 0, BK_NULL, 0, BY_OK,
	  WSAEOPNOTSUPP, STATUS_NOT_SUPPORTED, -EOPNOTSUPP },
	{ "records, UDP, no engine", SK_UDP, RECORDS, BK_NULL, 0, BK_BUF, 1024, BY_OK,
	  WSAEOPNOTSUPP, STATUS_NOT_SUPPORTED, -EOPNOTSUPP },
	{ "records, size wraps", SK_TCP, RECORDS, BK_NULL, 0, BK_WRAP, 1024, BY_OK,
	  ERROR_ARITHMETIC_OVERFLOW, STATUS_INTEGER_OVERFLOW, 0 },
	{ "context, size wraps", SK_TCP, CONTEXT, BK_NULL, 0, BK_WRAP, 1024, BY_OK,
	  ERROR_ARITHMETIC_OVERFLOW, STATUS_INTEGER_OVERFLOW, 0 },
	{ "unknown code", SK_TCP, 0x980000DF, BK_NULL, 0, BK_BUF, 1024, BY_OK, WSAEINVAL,
	  STATUS_INVALID_DEVICE_REQUEST, 0 },
	{ "unknown code 0", SK_TCP, 0, BK_NULL, 0, BK_BUF, 1024, BY_OK, WSAEINVAL,
	  STATUS_INVALID_DEVICE_REQUEST, 0 },
	/* With an IRP, WSK takes a NULL OutputSizeReturned: the engine answers. */
	{ "records, bytes pointer NULL", SK_TCP, RECORDS, BK_NULL, 0, BK_BUF, 1024, BY_NULL,
	  WSAEFAULT, STATUS_NOT_SUPPORTED, -EOPNOTSUPP },
	{ "context, 2 bytes, bytes pointer NULL", SK_TCP, CONTEXT, BK_NULL, 0, BK_BUF, 2,
	  BY_NULL, WSAEFAULT, STATUS_BUFFER_TOO_SMALL, 0 },
	{ "records, NULL buffer of 1 KiB", SK_TCP, RECORDS, BK_NULL, 0, BK_NULL, 1024, BY_OK,
	  WSAEFAULT, STATUS_ACCESS_VIOLATION, 0 },
	{ "context, NULL buffer of 1 KiB", SK_TCP, CONTEXT, BK_NULL, 0, BK_NULL, 1024, BY_OK,
	  WSAEFAULT, STATUS_ACCESS_VIOLATION, 0 },
	{ "set, output buffer", SK_TCP, SET, BK_BUF, 32, BK_BUF, 4, BY_OK, WSAEINVAL,
	  STATUS_INVALID_PARAMETER, 0 },
	{ "set, output size, NULL buffer", SK_TCP, SET, BK_BUF, 32, BK_NULL, 8, BY_OK, WSAEINVAL,
	  STATUS_INVALID_PARAMETER, 0 },
	{ "set, NULL input of 32 bytes", SK_TCP, SET, BK_NULL, 32, BK_NULL, 0, BY_OK, WSAEFAULT,
	  STATUS_ACCESS_VIOLATION, 0 },
	{ "set, empty blob", SK_TCP, SET, BK_BUF, 0, BK_NULL, 0, BY_OK, WSAEINVAL,
	  STATUS_INVALID_PARAMETER, 0 },
	{ "set, blob over 512 bytes", SK_TCP, SET, BK_BUF, 513, BK_NULL, 0, BY_OK, WSAEINVAL,
	  STATUS_INVALID_PARAMETER, 0 },
	/* 1 to 3 bytes fail before the query, whatever the socket. */
	{ "records, 2 bytes, AF_UNIX", SK_UNIX, RECORDS, BK_NULL, 0, BK_BUF, 2, BY_OK, WSAEINVAL,
	  STATUS_BUFFER_TOO_SMALL, 0 },
	{ "context, 1 byte, TCP", SK_TCP, CONTEXT, BK_NULL, 0, BK_BUF, 1, BY_OK, WSAEINVAL,
	  STATUS_BUFFER_TOO_SMALL, 0 },
	{ "records, 3 bytes, TCP", SK_TCP, RECORDS, BK_NULL, 0, BK_BUF, 3, BY_OK, WSAEINVAL,
	  STATUS_BUFFER_TOO_SMALL, 0 },
	{ "context, 3 bytes, UDP", SK_UDP, CONTEXT, BK_NULL, 0, BK_BUF, 3, BY_OK, WSAEINVAL,
	  STATUS_BUFFER_TOO_SMALL, 0 },
	/* ... but after the handle, the code and the pointers. */
	{ "records, 2 bytes, pipe", SK_PIPE, RECORDS, BK_NULL, 0, BK_BUF, 2, BY_OK, WSAENOTSOCK,
	  STATUS_INVALID_HANDLE, 0 },
	{ "unknown code, 2 bytes", SK_TCP, 0x980000DF, BK_NULL, 0, BK_BUF, 2, BY_OK, WSAEINVAL,
	  STATUS_INVALID_DEVICE_REQUEST, 0 },
	{ "records, NULL buffer of 2 bytes", SK_TCP, RECORDS, BK_NULL, 0, BK_NULL, 2, BY_OK,
	  WSAEFAULT, STATUS_ACCESS_VIOLATION, 0 },
	{ "set, 2 bytes of output, AF_UNIX", SK_UNIX, SET, BK_BUF, 32, BK_BUF, 2, BY_OK, WSAEINVAL,
	  STATUS_INVALID_PARAMETER, 0 },
	/* Bad pointers: a PROT_NONE page and a read-only one, never touched. */
	{ "records, out PROT_NONE", SK_TCP, RECORDS, BK_NULL, 0, BK_NONE, 1024, BY_OK, WSAEFAULT,
	  STATUS_ACCESS_VIOLATION, 0 },
	{ "context, out read-only", SK_TCP, CONTEXT, BK_NULL, 0, BK_RO, 1024, BY_OK, WSAEFAULT,
	  STATUS_ACCESS_VIOLATION, 0 },
	{ "size probe, out PROT_NONE", SK_TCP, CONTEXT, BK_NULL, 0, BK_NONE, 0, BY_OK,
	  WSAEOPNOTSUPP, STATUS_NOT_SUPPORTED, -EOPNOTSUPP },
	{ "records, 2 bytes read-only", SK_TCP, RECORDS, BK_NULL, 0, BK_RO, 2, BY_OK, WSAEFAULT,
	  STATUS_ACCESS_VIOLATION, 0 },
	{ "records, bytes PROT_NONE", SK_TCP, RECORDS, BK_NULL, 0, BK_BUF, 1024, BY_NONE,
	  WSAEFAULT, STATUS_ACCESS_VIOLATION, 0 },
	{ "context, bytes read-only", SK_TCP, CONTEXT, BK_NULL, 0, BK_BUF, 1024, BY_RO, WSAEFAULT,
	  STATUS_ACCESS_VIOLATION, 0 },
	{ "records, bytes PROT_NONE, pipe", SK_PIPE, RECORDS, BK_NULL, 0, BK_BUF, 1024, BY_NONE,
	  WSAENOTSOCK, STATUS_INVALID_HANDLE, 0 },
	{ "records, in PROT_NONE", SK_TCP, RECORDS, BK_NONE, 16, BK_BUF, 1024, BY_OK, WSAEFAULT,
	  STATUS_ACCESS_VIOLATION, 0 },
	{ "set, in PROT_NONE", SK_TCP, SET, BK_NONE, 32, BK_NULL, 0, BY_OK, WSAEFAULT,
	  STATUS_ACCESS_VIOLATION, 0 },
	{ "set, in read-only", SK_TCP, SET, BK_RO, 32, BK_NULL, 0, BY_OK, WSAEOPNOTSUPP,
	  STATUS_NOT_SUPPORTED, -EOPNOTSUPP },
};

#define PAGE 4096

/* Two pages: PROT_NONE, then read-only (zeroes); the bad pointers of the rows. */
static char *bad_pages;

struct sockets {
	int pipe[2];
	int unix_fd;
	int tcp[3]; /* client, server, listener */
	int udp;
	int closed;
};

static int loopback_tcp(int fds[3])
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fds[2] = socket(AF_INET, SOCK_STREAM, 0);
	if (fds[2] < 0 || bind(fds[2], (struct sockaddr *)&sin, len) || listen(fds[2], 4) ||
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
	static struct sockets s;

	assert_int_equal(pipe(s.pipe), 0);
	s.unix_fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(s.unix_fd >= 0);
	assert_int_equal(loopback_tcp(s.tcp), 0);
	s.udp = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(s.udp >= 0);
	s.closed = dup(0);
	assert_true(s.closed >= 0);
	close(s.closed);
	bad_pages = mmap(NULL, 2 * PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(bad_pages != MAP_FAILED);
	assert_int_equal(mprotect(bad_pages, PAGE, PROT_NONE), 0);
	*state = &s;
	return 0;
}

static int teardown(void **state)
{
	struct sockets *s = *state;

	close(s->pipe[0]);
	close(s->pipe[1]);
	close(s->unix_fd);
	close(s->tcp[0]);
	close(s->tcp[1]);
	close(s->tcp[2]);
	close(s->udp);
	munmap(bad_pages, 2 * PAGE);
	return 0;
}

static int fd_of(const struct sockets *s, enum sock_kind k)
{
	switch (k) {
	case SK_INVALID:
		return -1;
	case SK_CLOSED:
		return s->closed;
	case SK_PIPE:
		return s->pipe[0];
	case SK_UNIX:
		return s->unix_fd;
	case SK_TCP:
		return s->tcp[0];
	case SK_UDP:
		return s->udp;
	}
	return -1;
}

static SOCKET sock_of(const struct sockets *s, enum sock_kind k)
{
	int fd = fd_of(s, k);

	return fd < 0 ? INVALID_SOCKET : (SOCKET)fd;
}

static char in_buf[1024], out_buf[1024];

static void *buf_of(enum buf_kind k, char *buf)
{
	switch (k) {
	case BK_NULL:
		return NULL;
	case BK_BUF:
		return buf;
	case BK_WRAP:
		return (void *)(UINTPTR_MAX - 15);
	case BK_NONE:
		return bad_pages;
	case BK_RO:
		return bad_pages + PAGE;
	}
	return NULL;
}

/* Where a row's byte count goes; ok is real memory. */
static void *bytes_of(enum bytes_kind k, void *ok)
{
	switch (k) {
	case BY_OK:
		return ok;
	case BY_NULL:
		return NULL;
	case BY_NONE:
		return bad_pages;
	case BY_RO:
		return bad_pages + PAGE;
	}
	return NULL;
}

/*
 * A row whose outcome is the engine's answer holds only where no engine
 * serves this process's cgroup; say so rather than fail elsewhere.
 */
static bool row_applies(const struct sockets *s, const struct row *r)
{
	size_t ret;
	int rc;

	if (!r->native)
		return true;
	rc = lwfp_query_redirect_records(fd_of(s, r->sock), NULL, 0, &ret);
	if (rc == r->native)
		return true;
	print_message("skipped '%s': the native API says %d here, not %d (an engine?)\n",
		      r->name, rc, r->native);
	return false;
}

static void run_wsaioctl(const struct sockets *s, const struct row *r)
{
	DWORD bytes = SENTINEL;
	int rc;

	WSASetLastError(LAST_ERROR_SENTINEL);
	rc = WSAIoctl(sock_of(s, r->sock), r->code, buf_of(r->in, in_buf), r->in_size,
		      buf_of(r->out, out_buf), r->out_size, bytes_of(r->bytes, &bytes), NULL,
		      NULL);
	if (rc != SOCKET_ERROR || WSAGetLastError() != r->wsa)
		fail_msg("WSAIoctl %s: returned %d, WSAGetLastError %d; want -1, %d", r->name, rc,
			 WSAGetLastError(), r->wsa);
	if (r->bytes == BY_OK && bytes != 0)
		fail_msg("WSAIoctl %s: *lpcbBytesReturned %u, want 0", r->name, bytes);
}

static void run_wspioctl(const struct sockets *s, const struct row *r)
{
	DWORD bytes = SENTINEL;
	int rc, err = 0;

	WSASetLastError(LAST_ERROR_SENTINEL);
	rc = WSPIoctl(sock_of(s, r->sock), r->code, buf_of(r->in, in_buf), r->in_size,
		      buf_of(r->out, out_buf), r->out_size, bytes_of(r->bytes, &bytes), NULL,
		      NULL, NULL, &err);
	if (rc != SOCKET_ERROR || err != r->wsa)
		fail_msg("WSPIoctl %s: returned %d, *lpErrno %d; want -1, %d", r->name, rc, err,
			 r->wsa);
	if (WSAGetLastError() != LAST_ERROR_SENTINEL)
		fail_msg("WSPIoctl %s changed WSAGetLastError to %d", r->name, WSAGetLastError());
	if (r->bytes == BY_OK && bytes != 0)
		fail_msg("WSPIoctl %s: *lpcbBytesReturned %u, want 0", r->name, bytes);
}

/* What the completion routine saw. */
struct seen {
	int calls;
	PDEVICE_OBJECT device;
	PIRP irp;
	PVOID context;
	NTSTATUS status;
	ULONG_PTR information;
};

static NTSTATUS NTAPI record_completion(PDEVICE_OBJECT device, PIRP irp, PVOID context)
{
	struct seen *seen = context;

	seen->calls++;
	seen->device = device;
	seen->irp = irp;
	seen->context = context;
	seen->status = irp->IoStatus.Status;
	seen->information = irp->IoStatus.Information;
	return STATUS_MORE_PROCESSING_REQUIRED;
}

static void check_wsk_completion(const struct row *r, NTSTATUS st, PIRP irp,
				 const struct seen *seen, SIZE_T returned)
{
	if (st != r->status)
		fail_msg("WskControlSocket %s: 0x%08x, want 0x%08x", r->name, (unsigned)st,
			 (unsigned)r->status);
	if (seen->calls != 1 || seen->irp != irp || seen->device != NULL)
		fail_msg("WskControlSocket %s: the routine ran %d times", r->name, seen->calls);
	if (seen->status != r->status || irp->IoStatus.Status != r->status)
		fail_msg("WskControlSocket %s: IoStatus.Status 0x%08x", r->name,
			 (unsigned)seen->status);
	if (seen->information != 0)
		fail_msg("WskControlSocket %s: Information %lu, want 0", r->name,
			 (unsigned long)seen->information);
	if (r->bytes == BY_OK && returned != 0)
		fail_msg("WskControlSocket %s: *OutputSizeReturned %zu, want 0", r->name, returned);
}

static void run_wsk(const struct sockets *s, const struct row *r)
{
	int fd = fd_of(s, r->sock);
	PWSK_SOCKET ws = fd < 0 ? NULL : lwfp_wsk_socket(fd);
	const WSK_PROVIDER_CONNECTION_DISPATCH *d;
	struct seen seen = { 0 };
	SIZE_T returned = SENTINEL;
	PIRP irp = IoAllocateIrp(1, FALSE);
	NTSTATUS st;

	assert_non_null(irp);
	IoSetCompletionRoutine(irp, record_completion, &seen, TRUE, TRUE, TRUE);
	if (ws) {
		/* Through the Dispatch table, the way WSK clients call it. */
		d = ws->Dispatch;
		st = d->WskControlSocket(ws, WskIoctl, r->code, 0, r->in_size,
					 buf_of(r->in, in_buf), r->out_size,
					 buf_of(r->out, out_buf), bytes_of(r->bytes, &returned),
					 irp);
	} else {
		st = WskControlSocket(NULL, WskIoctl, r->code, 0, r->in_size, buf_of(r->in, in_buf),
				      r->out_size, buf_of(r->out, out_buf),
				      bytes_of(r->bytes, &returned), irp);
	}
	check_wsk_completion(r, st, irp, &seen, returned);
	IoFreeIrp(irp);
	lwfp_wsk_socket_free(ws);
}

static void test_error_rows(void **state)
{
	const struct sockets *s = *state;
	size_t i, ran = 0, n = sizeof(rows) / sizeof(rows[0]);

	for (i = 0; i < n; i++) {
		if (!row_applies(s, &rows[i]))
			continue;
		run_wsaioctl(s, &rows[i]);
		run_wspioctl(s, &rows[i]);
		run_wsk(s, &rows[i]);
		ran++;
	}
	print_message("%zu of %zu rows ran through WSAIoctl, WSPIoctl and WskControlSocket\n",
		      ran, n);
	assert_int_equal(lwfp_win_irps_live(), 0);
}

/* ---- rows only WSK has --------------------------------------------------- */

static NTSTATUS wsk_call(PWSK_SOCKET ws, WSK_CONTROL_SOCKET_TYPE type, ULONG level,
			 SIZE_T out_size, struct seen *seen)
{
	SIZE_T returned = SENTINEL;
	PIRP irp = IoAllocateIrp(1, FALSE);
	NTSTATUS st;

	assert_non_null(irp);
	IoSetCompletionRoutine(irp, record_completion, seen, TRUE, TRUE, TRUE);
	st = WskControlSocket(ws, type, RECORDS, level, 0, NULL, out_size, out_buf, &returned,
			      irp);
	assert_int_equal(seen->calls, 1);
	assert_int_equal(seen->status, st);
	assert_int_equal(returned, 0);
	IoFreeIrp(irp);
	return st;
}

static void test_wsk_only_rows(void **state)
{
	const struct sockets *s = *state;
	PWSK_SOCKET ws = lwfp_wsk_socket(s->tcp[0]);
	struct seen seen;
	SIZE_T returned = SENTINEL;
	NTSTATUS st;

	assert_non_null(ws);
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(wsk_call(ws, WskGetOption, 0, 1024, &seen), STATUS_NOT_SUPPORTED);
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(wsk_call(ws, WskSetOption, 0, 1024, &seen), STATUS_NOT_SUPPORTED);
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(wsk_call(ws, WskControlMax, 0, 1024, &seen), STATUS_INVALID_PARAMETER);
	/* WskIoctl ignores Level: any gives the answer of Level 0. */
	memset(&seen, 0, sizeof(seen));
	st = wsk_call(ws, WskIoctl, 0, 1024, &seen);
	assert_int_not_equal(st, STATUS_INVALID_PARAMETER);
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(wsk_call(ws, WskIoctl, 1, 1024, &seen), st);
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(wsk_call(ws, WskIoctl, 41 /* IPPROTO_IPV6 */, 1024, &seen), st);
	/* SIZE_T sizes: a whole address space of buffer wraps. */
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(wsk_call(ws, WskIoctl, 0, SIZE_MAX, &seen), STATUS_INTEGER_OVERFLOW);
	/* No IRP: nothing to complete, the status comes back alone. */
	assert_int_equal(WskControlSocket(ws, WskIoctl, RECORDS, 0, 0, NULL, sizeof(out_buf),
					  out_buf, &returned, NULL),
			 STATUS_ACCESS_VIOLATION);
	lwfp_wsk_socket_free(ws);
	assert_int_equal(lwfp_win_irps_live(), 0);
}

/* Requests through ws whose IRP is not memory: nothing to complete. */
static void expect_bad_irp(PWSK_SOCKET ws, PIRP irp)
{
	SIZE_T returned = SENTINEL;

	assert_int_equal(WskControlSocket(ws, WskIoctl, RECORDS, 0, 0, NULL, sizeof(out_buf),
					  out_buf, &returned, irp),
			 STATUS_ACCESS_VIOLATION);
	assert_int_equal(returned, SENTINEL);
	assert_int_equal(WskCloseSocket(ws, irp), STATUS_ACCESS_VIOLATION);
}

static void test_wsk_bad_pointers(void **state)
{
	const struct sockets *s = *state;
	PWSK_SOCKET ws = lwfp_wsk_socket(s->tcp[0]);
	struct seen seen = { 0 };
	PIRP irp = IoAllocateIrp(1, FALSE);

	assert_non_null(ws);
	assert_non_null(irp);
	expect_bad_irp(ws, (PIRP)bad_pages);
	expect_bad_irp(ws, (PIRP)(bad_pages + PAGE));
	assert_int_equal(lwfp_win_irps_live(), 1);
	/* A socket pointer into nothing is a bad handle, completed as such. */
	IoSetCompletionRoutine(irp, record_completion, &seen, TRUE, TRUE, TRUE);
	assert_int_equal(WskControlSocket((PWSK_SOCKET)bad_pages, WskIoctl, RECORDS, 0, 0, NULL,
					  sizeof(out_buf), out_buf, NULL, irp),
			 STATUS_INVALID_HANDLE);
	assert_int_equal(seen.calls, 1);
	assert_int_equal(seen.status, STATUS_INVALID_HANDLE);
	IoSetCompletionRoutine(irp, record_completion, &seen, TRUE, TRUE, TRUE);
	assert_int_equal(WskCloseSocket((PWSK_SOCKET)bad_pages, irp), STATUS_INVALID_HANDLE);
	assert_int_equal(seen.calls, 2);
	/* With an IRP, a NULL OutputSizeReturned is legal: Information says it. */
	IoSetCompletionRoutine(irp, record_completion, &seen, TRUE, TRUE, TRUE);
	assert_int_equal(WskControlSocket(ws, WskIoctl, CONTEXT, 0, 0, NULL, 2, out_buf, NULL, irp),
			 STATUS_BUFFER_TOO_SMALL);
	assert_int_equal(seen.calls, 3);
	assert_int_equal(irp->IoStatus.Information, 0);
	IoFreeIrp(irp);
	lwfp_wsk_socket_free(ws);
	assert_int_equal(lwfp_win_irps_live(), 0);
}

static void CALLBACK never_runs(DWORD err, DWORD bytes, LPWSAOVERLAPPED ov, DWORD flags)
{
	(void)err;
	(void)bytes;
	(void)ov;
	(void)flags;
	fail_msg("a call that failed ran its completion routine");
}

/* WSAIoctl's and WSPIoctl's pointers that the rows do not cover. */
static void test_sio_bad_pointers(void **state)
{
	SOCKET s = WSASocketA(AF_INET, SOCK_STREAM, 0, NULL, 0, WSA_FLAG_OVERLAPPED);
	LPWSAOVERLAPPED ov_none = (LPWSAOVERLAPPED)bad_pages;
	LPWSAOVERLAPPED ov_ro = (LPWSAOVERLAPPED)(bad_pages + PAGE);
	WSAOVERLAPPED ov = { 0 };
	DWORD bytes = SENTINEL;
	int err = 0;

	(void)state;
	assert_true(s != INVALID_SOCKET);
	assert_int_equal(WSAIoctl(s, RECORDS, NULL, 0, out_buf, 1024, &bytes, ov_none, NULL), -1);
	assert_int_equal(WSAGetLastError(), WSAEFAULT);
	assert_int_equal(bytes, 0);
	assert_int_equal(WSAIoctl(s, RECORDS, NULL, 0, out_buf, 1024, NULL, ov_ro, NULL), -1);
	assert_int_equal(WSAGetLastError(), WSAEFAULT);
	assert_int_equal(WSPIoctl(s, RECORDS, NULL, 0, out_buf, 1024, NULL, ov_ro, NULL, NULL,
				  &err),
			 -1);
	assert_int_equal(err, WSAEFAULT);
	/* Nowhere to put the error: the call fails without writing it. */
	assert_int_equal(WSPIoctl(s, RECORDS, NULL, 0, out_buf, 1024, &bytes, NULL, NULL, NULL,
				  (LPINT)(bad_pages + PAGE)),
			 -1);
	/* A completion routine needs its thread: a bad WSATHREADID is EFAULT. */
	err = 0;
	assert_int_equal(WSPIoctl(s, RECORDS, NULL, 0, out_buf, 1024, &bytes, &ov,
				  never_runs, (LPWSATHREADID)bad_pages, &err),
			 -1);
	assert_int_equal(err, WSAEFAULT);
	closesocket(s);
}

/* ---- WSAGetLastError ----------------------------------------------------- */

static void test_last_error(void **state)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int l, c;

	(void)state;
	WSASetLastError(ERROR_NOT_FOUND);
	assert_int_equal(WSAGetLastError(), ERROR_NOT_FOUND);
	WSASetLastError(-7);
	assert_int_equal(WSAGetLastError(), -7);
	WSASetLastError(0);
	assert_int_equal(WSAGetLastError(), 0);
	/* A BSD call that fails after a compat call is what is reported. */
	WSASetLastError(WSAEINVAL);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(bind(l, (struct sockaddr *)&sin, len), 0);
	assert_int_equal(getsockname(l, (struct sockaddr *)&sin, &len), 0);
	close(l); /* nothing listens on that port any more */
	c = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(c, (struct sockaddr *)&sin, len), -1);
	assert_int_equal(WSAGetLastError(), WSAECONNREFUSED);
	close(c);
	/* A failed WSAIoctl sets it. */
	assert_int_equal(WSAIoctl((SOCKET)-1, RECORDS, NULL, 0, NULL, 0, NULL, NULL, NULL), -1);
	assert_int_equal(WSAGetLastError(), WSAENOTSOCK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_constants),
		cmocka_unit_test(test_mapping_table),
		cmocka_unit_test(test_error_rows),
		cmocka_unit_test(test_wsk_only_rows),
		cmocka_unit_test(test_wsk_bad_pointers),
		cmocka_unit_test(test_sio_bad_pointers),
		cmocka_unit_test(test_last_error),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
