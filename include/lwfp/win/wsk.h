/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Winsock Kernel, in user space: enough of wsk.h, wdm.h and ntstatus.h for
 * WSK client code that queries and sets WFP redirect records to run against
 * liblwfp. A WSK_SOCKET wraps a Linux socket fd (lwfp_wsk_socket); requests
 * travel in IRPs the client allocates, and complete through the routine set
 * with IoSetCompletionRoutine, exactly once per request.
 *
 * Requests complete before WskControlSocket returns (Irp->PendingReturned
 * is FALSE), so the return value is the final status, and the completion
 * routine has already run on the calling thread. DeviceObject is NULL in
 * the completion routine: the client allocated the IRP, so it has no stack
 * location of its own. A routine that returns STATUS_MORE_PROCESSING_REQUIRED
 * keeps the IRP (to reuse with IoReuseIrp, or free with IoFreeIrp); any
 * other return lets completion go on to the I/O manager, which frees it.
 */
#ifndef LWFP_WIN_WSK_H
#define LWFP_WIN_WSK_H

#include "lwfp_wintypes.h"
#include "mstcpip.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- NTSTATUS (ntstatus.h) ----------------------------------------------- */

#define STATUS_UNSUCCESSFUL ((NTSTATUS)0xC0000001L)
#define STATUS_ACCESS_VIOLATION ((NTSTATUS)0xC0000005L)
#define STATUS_INVALID_HANDLE ((NTSTATUS)0xC0000008L)
#define STATUS_INVALID_PARAMETER ((NTSTATUS)0xC000000DL)
#define STATUS_INVALID_DEVICE_REQUEST ((NTSTATUS)0xC0000010L)
#define STATUS_MORE_PROCESSING_REQUIRED ((NTSTATUS)0xC0000016L)
#define STATUS_ACCESS_DENIED ((NTSTATUS)0xC0000022L)
#define STATUS_BUFFER_TOO_SMALL ((NTSTATUS)0xC0000023L)
#define STATUS_INTEGER_OVERFLOW ((NTSTATUS)0xC0000095L)
#define STATUS_INSUFFICIENT_RESOURCES ((NTSTATUS)0xC000009AL)
#define STATUS_NOT_SUPPORTED ((NTSTATUS)0xC00000BBL)
#define STATUS_INVALID_CONNECTION ((NTSTATUS)0xC0000140L)
#define STATUS_NOT_FOUND ((NTSTATUS)0xC0000225L)
#define STATUS_CONNECTION_ACTIVE ((NTSTATUS)0xC000023BL)
#define STATUS_CONTINUE_COMPLETION STATUS_SUCCESS

/* ---- IRPs (wdm.h) -------------------------------------------------------- */

typedef struct _DEVICE_OBJECT DEVICE_OBJECT, *PDEVICE_OBJECT;
typedef struct _IRP IRP, *PIRP;

typedef struct _IO_STATUS_BLOCK {
	union {
		NTSTATUS Status;
		PVOID Pointer;
	};
	ULONG_PTR Information;
} IO_STATUS_BLOCK, *PIO_STATUS_BLOCK;

typedef NTSTATUS(NTAPI *PIO_COMPLETION_ROUTINE)(PDEVICE_OBJECT DeviceObject, PIRP Irp,
						  PVOID Context);

#define IO_TYPE_IRP 6
#define IO_NO_INCREMENT 0
#define SL_INVOKE_ON_CANCEL 0x20
#define SL_INVOKE_ON_SUCCESS 0x40
#define SL_INVOKE_ON_ERROR 0x80

/*
 * The fields of a Windows IRP that drivers touch, plus the completion slot
 * that Windows keeps in the next stack location (LwfpCompletion: set it
 * with IoSetCompletionRoutine, never directly).
 */
struct _IRP {
	CSHORT Type;
	USHORT Size;
	IO_STATUS_BLOCK IoStatus;
	BOOLEAN PendingReturned;
	BOOLEAN Cancel;
	CCHAR StackCount;
	CCHAR CurrentLocation;
	PVOID UserBuffer;
	struct {
		PIO_COMPLETION_ROUTINE CompletionRoutine;
		PVOID Context;
		UCHAR Control;
	} LwfpCompletion;
};

PIRP IoAllocateIrp(CCHAR StackSize, BOOLEAN ChargeQuota);
VOID IoFreeIrp(PIRP Irp);
VOID IoReuseIrp(PIRP Irp, NTSTATUS Iostatus);
VOID IoSetCompletionRoutine(PIRP Irp, PIO_COMPLETION_ROUTINE CompletionRoutine, PVOID Context,
			    BOOLEAN InvokeOnSuccess, BOOLEAN InvokeOnError,
			    BOOLEAN InvokeOnCancel);
VOID IoCompleteRequest(PIRP Irp, CCHAR PriorityBoost);

/* ---- WSK sockets --------------------------------------------------------- */

typedef struct _WSK_SOCKET {
	const VOID *Dispatch;
} WSK_SOCKET, *PWSK_SOCKET;

typedef enum {
	WskSetOption,
	WskGetOption,
	WskIoctl,
	WskControlMax,
} WSK_CONTROL_SOCKET_TYPE, *PWSK_CONTROL_SOCKET_TYPE;

#define WSK_FLAG_BASIC_SOCKET 0x00000000
#define WSK_FLAG_LISTEN_SOCKET 0x00000001
#define WSK_FLAG_CONNECTION_SOCKET 0x00000002
#define WSK_FLAG_DATAGRAM_SOCKET 0x00000004
#define WSK_FLAG_STREAM_SOCKET 0x00000008

typedef NTSTATUS(WSKAPI *PFN_WSK_CONTROL_SOCKET)(PWSK_SOCKET Socket,
						 WSK_CONTROL_SOCKET_TYPE RequestType,
						 ULONG ControlCode, ULONG Level, SIZE_T InputSize,
						 PVOID InputBuffer, SIZE_T OutputSize,
						 PVOID OutputBuffer, SIZE_T *OutputSizeReturned,
						 PIRP Irp);
typedef NTSTATUS(WSKAPI *PFN_WSK_CLOSE_SOCKET)(PWSK_SOCKET Socket, PIRP Irp);

typedef struct _WSK_PROVIDER_BASIC_DISPATCH {
	PFN_WSK_CONTROL_SOCKET WskControlSocket;
	PFN_WSK_CLOSE_SOCKET WskCloseSocket;
} WSK_PROVIDER_BASIC_DISPATCH, *PWSK_PROVIDER_BASIC_DISPATCH;

/*
 * Windows embeds the basic dispatch unnamed, so C clients write
 * Dispatch->WskControlSocket; both spellings work here. The data-path
 * members (WskBind, WskSend, ...) are not provided: the fd is the data path.
 */
typedef struct _WSK_PROVIDER_CONNECTION_DISPATCH {
	union {
		WSK_PROVIDER_BASIC_DISPATCH Basic;
		struct {
			PFN_WSK_CONTROL_SOCKET WskControlSocket;
			PFN_WSK_CLOSE_SOCKET WskCloseSocket;
		};
	};
} WSK_PROVIDER_CONNECTION_DISPATCH, *PWSK_PROVIDER_CONNECTION_DISPATCH;

/*
 * A WSK socket for a Linux socket fd, with a connection-socket Dispatch.
 * NULL (errno set) if fd is negative or memory runs out. The fd stays the
 * caller's: lwfp_wsk_socket_free releases only the wrapper, while
 * Dispatch->WskCloseSocket closes the fd too, as WSK's close would.
 */
PWSK_SOCKET lwfp_wsk_socket(int fd);
void lwfp_wsk_socket_free(PWSK_SOCKET Socket);

/*
 * RequestType WskIoctl with the three SIO_*_WFP_CONNECTION_REDIRECT_* codes,
 * Level 0. The status is in the return value and in Irp->IoStatus.Status;
 * the byte count (or, with STATUS_BUFFER_TOO_SMALL, the size needed) is in
 * *OutputSizeReturned and Irp->IoStatus.Information.
 */
NTSTATUS WSKAPI WskControlSocket(PWSK_SOCKET Socket, WSK_CONTROL_SOCKET_TYPE RequestType,
				 ULONG ControlCode, ULONG Level, SIZE_T InputSize,
				 PVOID InputBuffer, SIZE_T OutputSize, PVOID OutputBuffer,
				 SIZE_T *OutputSizeReturned, PIRP Irp);
NTSTATUS WSKAPI WskCloseSocket(PWSK_SOCKET Socket, PIRP Irp);

#ifdef __cplusplus
}
#endif

#endif /* LWFP_WIN_WSK_H */
