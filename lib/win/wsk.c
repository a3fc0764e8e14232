// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Winsock Kernel in user space: WSK_SOCKET over an fd, its Dispatch table,
 * WskControlSocket with WskIoctl for the three redirect codes, and the IRP
 * calls a WSK client makes (IoAllocateIrp, IoReuseIrp, IoFreeIrp,
 * IoSetCompletionRoutine).
 *
 * Each request completes before WskControlSocket returns: its IRP goes
 * through IoCompleteRequest, which calls the client's routine once, and
 * frees the IRP unless the routine claims it with
 * STATUS_MORE_PROCESSING_REQUIRED.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lwfp/win/lwfp_win_internal.h>

#include "../visibility.h"

#define WSK_MAGIC 0x4c57534b /* "LWSK" */

struct wsk_sock {
	WSK_SOCKET sock; /* first: a PWSK_SOCKET points here */
	uint32_t magic;
	int fd;
};

static long irps_live;

static const WSK_PROVIDER_CONNECTION_DISPATCH dispatch = {
	.WskControlSocket = WskControlSocket,
	.WskCloseSocket = WskCloseSocket,
};

static struct wsk_sock *wsk_of(PWSK_SOCKET s)
{
	struct wsk_sock *w = (struct wsk_sock *)s;

	return w && w->magic == WSK_MAGIC ? w : NULL;
}

LWFP_API PWSK_SOCKET lwfp_wsk_socket(int fd)
{
	struct wsk_sock *w;

	if (fd < 0) {
		errno = EBADF;
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->sock.Dispatch = &dispatch;
	w->magic = WSK_MAGIC;
	w->fd = fd;
	return &w->sock;
}

LWFP_API void lwfp_wsk_socket_free(PWSK_SOCKET Socket)
{
	struct wsk_sock *w = wsk_of(Socket);

	if (!w)
		return;
	w->magic = 0;
	free(w);
}

/* ---- IRPs ---------------------------------------------------------------- */

LWFP_API PIRP IoAllocateIrp(CCHAR StackSize, BOOLEAN ChargeQuota)
{
	PIRP irp = calloc(1, sizeof(*irp));

	(void)ChargeQuota;
	if (!irp)
		return NULL;
	irp->Type = IO_TYPE_IRP;
	irp->Size = sizeof(*irp);
	irp->StackCount = StackSize;
	irp->CurrentLocation = (CCHAR)(StackSize + 1);
	__atomic_add_fetch(&irps_live, 1, __ATOMIC_RELAXED);
	return irp;
}

LWFP_API VOID IoFreeIrp(PIRP Irp)
{
	if (!Irp || Irp->Type != IO_TYPE_IRP)
		return;
	Irp->Type = 0;
	free(Irp);
	__atomic_sub_fetch(&irps_live, 1, __ATOMIC_RELAXED);
}

LWFP_API VOID IoReuseIrp(PIRP Irp, NTSTATUS Iostatus)
{
	CCHAR stack = Irp->StackCount;

	memset(Irp, 0, sizeof(*Irp));
	Irp->Type = IO_TYPE_IRP;
	Irp->Size = sizeof(*Irp);
	Irp->StackCount = stack;
	Irp->CurrentLocation = (CCHAR)(stack + 1);
	Irp->IoStatus.Status = Iostatus;
}

LWFP_API VOID IoSetCompletionRoutine(PIRP Irp, PIO_COMPLETION_ROUTINE CompletionRoutine,
				     PVOID Context, BOOLEAN InvokeOnSuccess,
				     BOOLEAN InvokeOnError, BOOLEAN InvokeOnCancel)
{
	Irp->LwfpCompletion.CompletionRoutine = CompletionRoutine;
	Irp->LwfpCompletion.Context = Context;
	Irp->LwfpCompletion.Control = (UCHAR)((InvokeOnSuccess ? SL_INVOKE_ON_SUCCESS : 0) |
					      (InvokeOnError ? SL_INVOKE_ON_ERROR : 0) |
					      (InvokeOnCancel ? SL_INVOKE_ON_CANCEL : 0));
}

static bool wants_call(PIRP irp, UCHAR control)
{
	if (irp->Cancel && (control & SL_INVOKE_ON_CANCEL))
		return true;
	if (NT_SUCCESS(irp->IoStatus.Status))
		return control & SL_INVOKE_ON_SUCCESS;
	return control & SL_INVOKE_ON_ERROR;
}

LWFP_API VOID IoCompleteRequest(PIRP Irp, CCHAR PriorityBoost)
{
	PIO_COMPLETION_ROUTINE fn = Irp->LwfpCompletion.CompletionRoutine;
	PVOID ctx = Irp->LwfpCompletion.Context;
	UCHAR control = Irp->LwfpCompletion.Control;

	(void)PriorityBoost;
	/* The stack location is spent, as in NT: a routine is called once. */
	memset(&Irp->LwfpCompletion, 0, sizeof(Irp->LwfpCompletion));
	if (fn && wants_call(Irp, control) &&
	    fn(NULL, Irp, ctx) == STATUS_MORE_PROCESSING_REQUIRED)
		return;
	/* Completion reached the top: the I/O manager is done with the IRP. */
	IoFreeIrp(Irp);
}

long lwfp_win_irps_live(void)
{
	return __atomic_load_n(&irps_live, __ATOMIC_RELAXED);
}

static NTSTATUS complete_irp(PIRP irp, NTSTATUS status, SIZE_T information)
{
	irp->IoStatus.Status = status;
	irp->IoStatus.Information = information;
	irp->PendingReturned = FALSE;
	IoCompleteRequest(irp, IO_NO_INCREMENT);
	return status;
}

/* ---- WskControlSocket ---------------------------------------------------- */

/* The errors found before anything is done (STATUS_SUCCESS: none). */
static NTSTATUS control_check(struct wsk_sock *w, WSK_CONTROL_SOCKET_TYPE type, ULONG code,
			      ULONG level, SIZE_T in_size, PVOID in, SIZE_T out_size, PVOID out,
			      SIZE_T *returned)
{
	if (!w)
		return STATUS_INVALID_HANDLE;
	if (type == WskSetOption || type == WskGetOption)
		return STATUS_NOT_SUPPORTED; /* no socket options through WSK here */
	if (type != WskIoctl || level != 0)
		return STATUS_INVALID_PARAMETER;
	if (!win_sio_known(code))
		return STATUS_INVALID_DEVICE_REQUEST;
	if (win_sio_is_set(code)) {
		if (!in && in_size)
			return STATUS_ACCESS_VIOLATION;
		return out_size ? STATUS_INVALID_PARAMETER : STATUS_SUCCESS;
	}
	if ((!out && out_size) || !returned)
		return STATUS_ACCESS_VIOLATION;
	return STATUS_SUCCESS;
}

LWFP_API NTSTATUS WskControlSocket(PWSK_SOCKET Socket, WSK_CONTROL_SOCKET_TYPE RequestType,
				   ULONG ControlCode, ULONG Level, SIZE_T InputSize,
				   PVOID InputBuffer, SIZE_T OutputSize, PVOID OutputBuffer,
				   SIZE_T *OutputSizeReturned, PIRP Irp)
{
	struct wsk_sock *w = wsk_of(Socket);
	size_t result = 0;
	NTSTATUS status;

	/* Without an IRP there is nothing to complete: fail in the return value. */
	if (!Irp)
		return STATUS_ACCESS_VIOLATION;
	status = control_check(w, RequestType, ControlCode, Level, InputSize, InputBuffer,
			       OutputSize, OutputBuffer, OutputSizeReturned);
	if (status == STATUS_SUCCESS)
		status = win_status_from_native(win_sio_run(w->fd, ControlCode, InputBuffer,
							     InputSize, OutputBuffer, OutputSize,
							     &result));
	/* Bytes copied, or with STATUS_BUFFER_TOO_SMALL the size needed. */
	if (OutputSizeReturned)
		*OutputSizeReturned = result;
	return complete_irp(Irp, status, result);
}

LWFP_API NTSTATUS WskCloseSocket(PWSK_SOCKET Socket, PIRP Irp)
{
	struct wsk_sock *w = wsk_of(Socket);
	NTSTATUS status = STATUS_SUCCESS;

	if (!Irp)
		return STATUS_ACCESS_VIOLATION;
	if (!w) {
		status = STATUS_INVALID_HANDLE;
	} else {
		close(w->fd);
		lwfp_wsk_socket_free(Socket);
	}
	return complete_irp(Irp, status, 0);
}
