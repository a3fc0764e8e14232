// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * WSK's request model: the Dispatch table, IRPs and their completion.
 *   - the completion routine runs once, with the Context the client set
 *     (the buffer, as the WSK seed page does it), IoStatus.Status equal to
 *     the returned status and IoStatus.Information equal to
 *     *OutputSizeReturned;
 *   - STATUS_MORE_PROCESSING_REQUIRED leaves the IRP to its owner, who can
 *     IoReuseIrp it for the next request and IoFreeIrp it at the end; any
 *     other return, or no routine, lets the I/O manager free it;
 *   - the Invoke* flags decide whether the routine is called;
 *   - WskCloseSocket closes the fd.
 * The error rows themselves are in test_win_ioctl.c; the size query on a
 * redirected socket (a 1 KiB buffer, or OutputSize 0 and NULL) is in the
 * integration test, where an engine redirects a real connection.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../lib/win/lwfp_win_internal.h"

#define RECORDS SIO_QUERY_WFP_CONNECTION_REDIRECT_RECORDS

static struct {
	int calls;
	PVOID context;
	NTSTATUS status;
	ULONG_PTR information;
	NTSTATUS ret; /* what the routine returns */
} seen;

static NTSTATUS NTAPI completion(PDEVICE_OBJECT device, PIRP irp, PVOID context)
{
	assert_null(device);
	seen.calls++;
	seen.context = context;
	seen.status = irp->IoStatus.Status;
	seen.information = irp->IoStatus.Information;
	return seen.ret;
}

static void reset_seen(NTSTATUS ret)
{
	memset(&seen, 0, sizeof(seen));
	seen.ret = ret;
}

static int setup(void **state)
{
	static int fd;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	*state = &fd;
	return 0;
}

static int teardown(void **state)
{
	close(*(int *)*state);
	return 0;
}

static void test_dispatch(void **state)
{
	PWSK_SOCKET ws = lwfp_wsk_socket(*(int *)*state);
	const WSK_PROVIDER_CONNECTION_DISPATCH *d;

	assert_non_null(ws);
	d = ws->Dispatch;
	assert_ptr_equal(d->WskControlSocket, WskControlSocket);
	assert_ptr_equal(d->Basic.WskControlSocket, WskControlSocket);
	assert_ptr_equal(d->WskCloseSocket, WskCloseSocket);
	lwfp_wsk_socket_free(ws);

	errno = 0;
	assert_null(lwfp_wsk_socket(-1));
	assert_int_equal(errno, EBADF);
}

/* One records query through the Dispatch table with buf as the Context. */
static NTSTATUS query(PWSK_SOCKET ws, PIRP irp, void *buf, SIZE_T size, SIZE_T *returned)
{
	const WSK_PROVIDER_CONNECTION_DISPATCH *d = ws->Dispatch;

	IoSetCompletionRoutine(irp, completion, buf, TRUE, TRUE, TRUE);
	return d->WskControlSocket(ws, WskIoctl, RECORDS, 0, 0, NULL, size, buf, returned, irp);
}

static void test_more_processing_keeps_irp(void **state)
{
	PWSK_SOCKET ws = lwfp_wsk_socket(*(int *)*state);
	char buf[1024];
	SIZE_T returned = 77;
	PIRP irp = IoAllocateIrp(1, FALSE);
	NTSTATUS st;

	assert_non_null(irp);
	assert_int_equal(irp->Type, IO_TYPE_IRP);
	assert_int_equal(lwfp_win_irps_live(), 1);
	reset_seen(STATUS_MORE_PROCESSING_REQUIRED);
	st = query(ws, irp, buf, sizeof(buf), &returned);
	assert_int_equal(seen.calls, 1);
	assert_ptr_equal(seen.context, buf);
	assert_int_equal(seen.status, st);
	assert_int_equal(seen.information, returned);
	/* Still the owner's, and still what completion left in it. */
	assert_int_equal(lwfp_win_irps_live(), 1);
	assert_int_equal(irp->IoStatus.Status, st);
	assert_false(irp->PendingReturned);
	assert_null(irp->LwfpCompletion.CompletionRoutine); /* spent */

	IoReuseIrp(irp, STATUS_UNSUCCESSFUL);
	assert_int_equal(irp->IoStatus.Status, STATUS_UNSUCCESSFUL);
	assert_int_equal(irp->IoStatus.Information, 0);
	assert_int_equal(irp->Type, IO_TYPE_IRP);
	assert_int_equal(irp->StackCount, 1);

	/* The same IRP carries the next request: the size probe, NULL and 0. */
	reset_seen(STATUS_MORE_PROCESSING_REQUIRED);
	returned = 77;
	st = query(ws, irp, NULL, 0, &returned);
	assert_int_equal(seen.calls, 1);
	assert_null(seen.context);
	assert_int_equal(seen.status, st);
	assert_int_equal(seen.information, returned);
	IoFreeIrp(irp);
	assert_int_equal(lwfp_win_irps_live(), 0);
	lwfp_wsk_socket_free(ws);
}

static void test_other_returns_free_irp(void **state)
{
	PWSK_SOCKET ws = lwfp_wsk_socket(*(int *)*state);
	char buf[1024];
	SIZE_T returned;
	PIRP irp;

	/* STATUS_CONTINUE_COMPLETION: completion goes on and ends the IRP. */
	irp = IoAllocateIrp(1, FALSE);
	reset_seen(STATUS_CONTINUE_COMPLETION);
	query(ws, irp, buf, sizeof(buf), &returned);
	assert_int_equal(seen.calls, 1);
	assert_int_equal(lwfp_win_irps_live(), 0);

	/* No routine at all. */
	irp = IoAllocateIrp(1, FALSE);
	WskControlSocket(ws, WskIoctl, RECORDS, 0, 0, NULL, sizeof(buf), buf, &returned, irp);
	assert_int_equal(lwfp_win_irps_live(), 0);
	lwfp_wsk_socket_free(ws);
}

static void test_invoke_flags(void **state)
{
	PWSK_SOCKET ws = lwfp_wsk_socket(*(int *)*state);
	char buf[1024];
	SIZE_T returned;
	PIRP irp = IoAllocateIrp(1, FALSE);
	NTSTATUS st;

	/* Success only; no engine serves a unit test, so the request fails. */
	reset_seen(STATUS_MORE_PROCESSING_REQUIRED);
	IoSetCompletionRoutine(irp, completion, buf, TRUE, FALSE, FALSE);
	st = WskControlSocket(ws, WskIoctl, RECORDS, 0, 0, NULL, sizeof(buf), buf, &returned, irp);
	assert_false(NT_SUCCESS(st));
	assert_int_equal(seen.calls, 0);
	assert_int_equal(lwfp_win_irps_live(), 0); /* nobody claimed it */

	irp = IoAllocateIrp(1, FALSE);
	reset_seen(STATUS_MORE_PROCESSING_REQUIRED);
	IoSetCompletionRoutine(irp, completion, buf, FALSE, TRUE, FALSE);
	st = WskControlSocket(ws, WskIoctl, RECORDS, 0, 0, NULL, sizeof(buf), buf, &returned, irp);
	assert_int_equal(seen.calls, 1);
	assert_int_equal(seen.status, st);
	IoFreeIrp(irp);
	assert_int_equal(lwfp_win_irps_live(), 0);
	lwfp_wsk_socket_free(ws);
}

static void test_close_socket(void **state)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	PWSK_SOCKET ws = lwfp_wsk_socket(fd);
	const WSK_PROVIDER_CONNECTION_DISPATCH *d;
	PIRP irp = IoAllocateIrp(1, FALSE);

	(void)state;
	assert_non_null(ws);
	d = ws->Dispatch;
	reset_seen(STATUS_MORE_PROCESSING_REQUIRED);
	IoSetCompletionRoutine(irp, completion, NULL, TRUE, TRUE, TRUE);
	assert_int_equal(d->WskCloseSocket(ws, irp), STATUS_SUCCESS);
	assert_int_equal(seen.calls, 1);
	assert_int_equal(seen.status, STATUS_SUCCESS);
	assert_int_equal(fcntl(fd, F_GETFD), -1);
	assert_int_equal(errno, EBADF);
	reset_seen(STATUS_MORE_PROCESSING_REQUIRED);
	IoReuseIrp(irp, STATUS_UNSUCCESSFUL);
	IoSetCompletionRoutine(irp, completion, NULL, TRUE, TRUE, TRUE);
	assert_int_equal(WskCloseSocket(NULL, irp), STATUS_INVALID_HANDLE);
	assert_int_equal(seen.status, STATUS_INVALID_HANDLE);
	assert_int_equal(WskCloseSocket(NULL, NULL), STATUS_ACCESS_VIOLATION);
	IoFreeIrp(irp);
	assert_int_equal(lwfp_win_irps_live(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dispatch),
		cmocka_unit_test(test_more_processing_keeps_irp),
		cmocka_unit_test(test_other_returns_free_irp),
		cmocka_unit_test(test_invoke_flags),
		cmocka_unit_test(test_close_socket),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
