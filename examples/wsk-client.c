// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * wsk-client: the Winsock Kernel side of a WFP connect-redirect proxy,
 * written as a Windows kernel driver writes it, that builds unchanged
 * against lwfp's headers (-I include/lwfp/win) and runs in user space.
 *
 * The driver part (WskClient*) takes a connection socket that a redirect
 * delivered and, for its redirect records and its redirect context:
 *   1. asks for the size with OutputSize 0 and no buffer
 *      (STATUS_BUFFER_TOO_SMALL, the size in IoStatus.Information);
 *   2. allocates that much from the pool (ExAllocatePoolWithTag);
 *   3. asks again with the buffer.
 * Each request goes down in an IRP of its own (IoAllocateIrp) with a
 * completion routine that signals a KEVENT and keeps the IRP
 * (STATUS_MORE_PROCESSING_REQUIRED); a pending request is waited for with
 * KeWaitForSingleObject, one that completed at once is not.
 *
 * On Windows the WSK socket would come from the client's listening socket.
 * Here a small user-space harness (main) stands in for that: it accepts
 * each connection with Winsock, wraps it with lwfp_wsk_socket, runs the
 * driver part, prints one line, and the driver part closes it with
 * WskCloseSocket. The line is
 *   flow destination=ADDRESS:PORT records=N context=N
 * with a WFPSampler context (two SOCKADDR_STORAGEs, original remote
 * first), or context=STATUS_NOT_FOUND when the filter attached none.
 *
 * Usage: wsk-client [-l ADDRESS:PORT]   (default 127.0.0.1:15010)
 */
#include <ntddk.h>
#include <wsk.h>
#include <mstcpip.h>

/* For the user-space harness only: a driver has no main. */
#include <winsock2.h>
#include <stdio.h>
#include <string.h>

#define WSK_CLIENT_POOL_TAG 'tCsW'

/* ---- the driver part ----------------------------------------------------- */

IO_COMPLETION_ROUTINE WskClientIrpComplete;

_Use_decl_annotations_
NTSTATUS WskClientIrpComplete(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
	UNREFERENCED_PARAMETER(DeviceObject);
	UNREFERENCED_PARAMETER(Irp);

	KeSetEvent((PRKEVENT)Context, IO_NO_INCREMENT, FALSE);
	/* The IRP is ours: the caller reads its IoStatus and frees it. */
	return STATUS_MORE_PROCESSING_REQUIRED;
}

/*
 * Waits for a request sent with WskClientIrpComplete and Event, and
 * returns its final status. A provider may complete at once instead of
 * returning STATUS_PENDING: the routine has then already run.
 */
static NTSTATUS WskClientWait(_In_ PIRP Irp, _In_ PKEVENT Event, _In_ NTSTATUS Status)
{
	if (Status == STATUS_PENDING) {
		KeWaitForSingleObject(Event, Executive, KernelMode, FALSE, NULL);
	}
	return Irp->IoStatus.Status;
}

/* An IRP for one request, completed through Event; NULL without memory. */
static PIRP WskClientAllocateIrp(_Out_ PKEVENT Event)
{
	PIRP irp = IoAllocateIrp(1, FALSE);

	if (irp != NULL) {
		KeInitializeEvent(Event, NotificationEvent, FALSE);
		IoSetCompletionRoutine(irp, WskClientIrpComplete, Event, TRUE, TRUE, TRUE);
	}
	return irp;
}

/* One WskIoctl request; *Returned is IoStatus.Information. */
_IRQL_requires_max_(PASSIVE_LEVEL)
static NTSTATUS WskClientIoctl(_In_ PWSK_SOCKET Socket, _In_ ULONG ControlCode,
			       _Out_writes_bytes_opt_(OutputSize) PVOID OutputBuffer,
			       _In_ SIZE_T OutputSize, _Out_ SIZE_T *Returned)
{
	const WSK_PROVIDER_CONNECTION_DISPATCH *dispatch = Socket->Dispatch;
	KEVENT event;
	PIRP irp;
	NTSTATUS status;

	PAGED_CODE();
	*Returned = 0;
	irp = WskClientAllocateIrp(&event);
	if (irp == NULL) {
		return STATUS_INSUFFICIENT_RESOURCES;
	}
	/* Level is ignored for WskIoctl; the size comes back in the IRP. */
	status = dispatch->WskControlSocket(Socket, WskIoctl, ControlCode, 0, 0, NULL, OutputSize,
					    OutputBuffer, NULL, irp);
	status = WskClientWait(irp, &event, status);
	*Returned = irp->IoStatus.Information;
	IoFreeIrp(irp);
	return status;
}

/*
 * The records or the context of a redirected connection, in a pool buffer
 * the caller frees with ExFreePoolWithTag.
 */
_IRQL_requires_max_(PASSIVE_LEVEL)
NTSTATUS WskClientQueryRedirectData(_In_ PWSK_SOCKET Socket, _In_ ULONG ControlCode,
				    _Outptr_ PVOID *Data, _Out_ SIZE_T *Size)
{
	SIZE_T needed;
	PVOID buffer;
	NTSTATUS status;

	PAGED_CODE();
	*Data = NULL;
	*Size = 0;
	status = WskClientIoctl(Socket, ControlCode, NULL, 0, &needed);
	if (status != STATUS_BUFFER_TOO_SMALL) {
		/* Nothing fits in no buffer: success here would be a provider bug. */
		return NT_SUCCESS(status) ? STATUS_UNSUCCESSFUL : status;
	}
	buffer = ExAllocatePoolWithTag(NonPagedPoolNx, needed, WSK_CLIENT_POOL_TAG);
	if (buffer == NULL) {
		return STATUS_INSUFFICIENT_RESOURCES;
	}
	status = WskClientIoctl(Socket, ControlCode, buffer, needed, Size);
	if (!NT_SUCCESS(status)) {
		KdPrint(("wsk-client: query 0x%08x failed: 0x%08x\n", (unsigned)ControlCode,
			 (unsigned)status));
		ExFreePoolWithTag(buffer, WSK_CLIENT_POOL_TAG);
		*Size = 0;
		return status;
	}
	*Data = buffer;
	return STATUS_SUCCESS;
}

_IRQL_requires_max_(PASSIVE_LEVEL)
NTSTATUS WskClientCloseSocket(_In_ PWSK_SOCKET Socket)
{
	const WSK_PROVIDER_CONNECTION_DISPATCH *dispatch = Socket->Dispatch;
	KEVENT event;
	PIRP irp;
	NTSTATUS status;

	PAGED_CODE();
	irp = WskClientAllocateIrp(&event);
	if (irp == NULL) {
		return STATUS_INSUFFICIENT_RESOURCES;
	}
	status = WskClientWait(irp, &event, dispatch->WskCloseSocket(Socket, irp));
	IoFreeIrp(irp);
	return status;
}

/* ---- the user-space harness ---------------------------------------------- */

static void PrintFlow(SIZE_T recordsSize, NTSTATUS contextStatus, PVOID context,
		      SIZE_T contextSize)
{
	SOCKADDR_STORAGE *addresses = context;
	char text[64];
	DWORD textSize = sizeof(text);
	DWORD length;

	if (contextStatus == STATUS_NOT_FOUND) {
		printf("flow records=%zu context=STATUS_NOT_FOUND\n", recordsSize);
	} else if (!NT_SUCCESS(contextStatus)) {
		printf("flow records=%zu context=0x%08x\n", recordsSize, (unsigned)contextStatus);
	} else if (contextSize != 2 * sizeof(SOCKADDR_STORAGE)) {
		printf("flow records=%zu context=%zu\n", recordsSize, contextSize);
	} else {
		length = addresses[0].ss_family == AF_INET6 ? sizeof(SOCKADDR_IN6)
							     : sizeof(SOCKADDR_IN);
		if (WSAAddressToStringA((LPSOCKADDR)&addresses[0], length, NULL, text, &textSize))
			strcpy(text, "?");
		printf("flow destination=%s records=%zu context=%zu\n", text, recordsSize,
		       contextSize);
	}
	fflush(stdout);
}

/* What the driver would do with a connection its listening socket accepted. */
static void HandleConnection(PWSK_SOCKET wskSocket)
{
	PVOID records, context;
	SIZE_T recordsSize, contextSize;
	NTSTATUS status;

	status = WskClientQueryRedirectData(wskSocket, SIO_QUERY_WFP_CONNECTION_REDIRECT_RECORDS,
					    &records, &recordsSize);
	if (!NT_SUCCESS(status))
		fprintf(stderr, "records: 0x%08x\n", (unsigned)status);
	status = WskClientQueryRedirectData(wskSocket, SIO_QUERY_WFP_CONNECTION_REDIRECT_CONTEXT,
					    &context, &contextSize);
	PrintFlow(recordsSize, status, context, contextSize);
	if (records != NULL)
		ExFreePoolWithTag(records, WSK_CLIENT_POOL_TAG);
	if (context != NULL)
		ExFreePoolWithTag(context, WSK_CLIENT_POOL_TAG);
	status = WskClientCloseSocket(wskSocket);
	if (!NT_SUCCESS(status))
		fprintf(stderr, "close: 0x%08x\n", (unsigned)status);
}

static SOCKET OpenListener(const char *where)
{
	SOCKADDR_STORAGE address;
	INT size = sizeof(address);
	SOCKET s;

	if (WSAStringToAddressA((LPSTR)where, strchr(where, '[') ? AF_INET6 : AF_INET, NULL,
				(LPSOCKADDR)&address, &size) == SOCKET_ERROR)
		return INVALID_SOCKET;
	s = socket(address.ss_family, SOCK_STREAM, IPPROTO_TCP);
	if (s == INVALID_SOCKET)
		return INVALID_SOCKET;
	if (bind(s, (LPSOCKADDR)&address, size) == SOCKET_ERROR || listen(s, 16) == SOCKET_ERROR) {
		closesocket(s);
		return INVALID_SOCKET;
	}
	return s;
}

int main(int argc, char **argv)
{
	const char *where = "127.0.0.1:15010";
	WSADATA data;
	SOCKET listener, accepted;
	PWSK_SOCKET wskSocket;

	if (argc == 3 && !strcmp(argv[1], "-l")) {
		where = argv[2];
	} else if (argc != 1) {
		fprintf(stderr, "Usage: %s [-l ADDRESS:PORT]\n", argv[0]);
		return 2;
	}
	if (WSAStartup(MAKEWORD(2, 2), &data) != 0)
		return 1;
	listener = OpenListener(where);
	if (listener == INVALID_SOCKET) {
		fprintf(stderr, "cannot listen on %s: error %d\n", where, WSAGetLastError());
		WSACleanup();
		return 1;
	}
	printf("listening on %s\n", where);
	fflush(stdout);
	for (;;) {
		accepted = accept(listener, NULL, NULL);
		if (accepted == INVALID_SOCKET) {
			fprintf(stderr, "accept: error %d\n", WSAGetLastError());
			break;
		}
		wskSocket = lwfp_wsk_socket((int)accepted);
		if (wskSocket == NULL) {
			closesocket(accepted);
			continue;
		}
		HandleConnection(wskSocket);
	}
	closesocket(listener);
	WSACleanup();
	return 1;
}
