/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Winsock Kernel, in user space: enough of wsk.h for WSK client code that
 * queries and sets WFP redirect records to run against liblwfp; the IRP,
 * event and pool calls it needs are in wdm.h. A WSK_SOCKET wraps a Linux
 * socket fd (lwfp_wsk_socket); requests travel in IRPs the client
 * allocates, and complete through the routine set with
 * IoSetCompletionRoutine, exactly once per request.
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
#include "wdm.h"

#ifdef __cplusplus
extern "C" {
#endif

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
 * RequestType WskIoctl with the three SIO_*_WFP_CONNECTION_REDIRECT_* codes;
 * Level is ignored, as the WSK page says. The status is in the return value
 * and in Irp->IoStatus.Status; the byte count (or, with
 * STATUS_BUFFER_TOO_SMALL after a size query, the size needed) is in
 * Irp->IoStatus.Information and, when it is not NULL, *OutputSizeReturned.
 * The IRP is required: without one (or with a bad pointer for it) the call
 * returns STATUS_ACCESS_VIOLATION and completes nothing. Every argument is
 * checked before the engine is asked: 1 to 3 bytes of output is
 * STATUS_BUFFER_TOO_SMALL with no size on any socket, a bad pointer
 * STATUS_ACCESS_VIOLATION. Only a socket a redirect delivered (the proxy's
 * accepted one) has a context: elsewhere STATUS_NOT_FOUND.
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
