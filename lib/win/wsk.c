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

#include "lwfp_win_internal.h"

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

	/* A handle is a pointer the client passes: it may point anywhere. */
	if (!win_probe_read(w, sizeof(*w)))
		return NULL;
	return w->magic == WSK_MAGIC ? w : NULL;
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

/* One WskControlSocket call, as its arguments came. */
struct wsk_req {
	struct wsk_sock *w;
	WSK_CONTROL_SOCKET_TYPE type;
	ULONG code;
	PVOID in;
	SIZE_T in_size;
	PVOID out;
	SIZE_T out_size;
	SIZE_T *returned; /* NULL too when it is not writable memory */
	bool returned_bad;
};

/*
 * Everything that fails without asking the engine, in Windows' order: the
 * socket, the request, the pointers, the sizes. Level is not looked at:
 * the WSK page says WskIoctl ignores it.
 */
static NTSTATUS control_check(const struct wsk_req *r)
{
	struct win_sock ws;

	/* The wrapper takes any fd; only a socket is a WSK socket. */
	if (!r->w || win_sock_get((SOCKET)r->w->fd, &ws))
		return STATUS_INVALID_HANDLE;
	if (r->type == WskSetOption || r->type == WskGetOption)
		return STATUS_NOT_SUPPORTED; /* no socket options through WSK here */
	if (r->type != WskIoctl)
		return STATUS_INVALID_PARAMETER;
	if (!win_sio_known(r->code))
		return STATUS_INVALID_DEVICE_REQUEST;
	if (r->returned_bad)
		return STATUS_ACCESS_VIOLATION;
	return win_status_from_native(
		win_sio_validate(r->code, r->in, r->in_size, r->out, r->out_size));
}

/*
 * The WSK page requires an IRP for these requests, so without one (or with
 * one that is not writable memory) there is nothing to complete and the
 * call fails in its return value alone, whatever OutputSizeReturned is.
 * With an IRP, OutputSizeReturned is optional: IoStatus.Information carries
 * the size either way.
 */
LWFP_API NTSTATUS WskControlSocket(PWSK_SOCKET Socket, WSK_CONTROL_SOCKET_TYPE RequestType,
				   ULONG ControlCode, ULONG Level, SIZE_T InputSize,
				   PVOID InputBuffer, SIZE_T OutputSize, PVOID OutputBuffer,
				   SIZE_T *OutputSizeReturned, PIRP Irp)
{
	struct wsk_req r = {
		.type = RequestType,
		.code = ControlCode,
		.in = InputBuffer,
		.in_size = InputSize,
		.out = OutputBuffer,
		.out_size = OutputSize,
		.returned = OutputSizeReturned,
	};
	size_t result = 0;
	NTSTATUS status;

	(void)Level;
	if (!win_probe_write(Irp, sizeof(*Irp)))
		return STATUS_ACCESS_VIOLATION;
	r.w = wsk_of(Socket);
	if (r.returned && !win_probe_write(r.returned, sizeof(*r.returned))) {
		r.returned = NULL;
		r.returned_bad = true;
	}
	status = control_check(&r);
	if (status == STATUS_SUCCESS)
		status = win_status_from_native(win_sio_run(r.w->fd, r.code, r.in, r.in_size,
							     r.out, r.out_size, &result));
	/* Bytes copied, or with STATUS_BUFFER_TOO_SMALL the size needed. */
	if (r.returned)
		*r.returned = result;
	return complete_irp(Irp, status, result);
}

LWFP_API NTSTATUS WskCloseSocket(PWSK_SOCKET Socket, PIRP Irp)
{
	struct wsk_sock *w = wsk_of(Socket);
	NTSTATUS status = STATUS_SUCCESS;

	if (!win_probe_write(Irp, sizeof(*Irp)))
		return STATUS_ACCESS_VIOLATION;
	if (!w) {
		status = STATUS_INVALID_HANDLE;
	} else {
		close(w->fd);
		lwfp_wsk_socket_free(Socket);
	}
	return complete_irp(Irp, status, 0);
}
