/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The kernel-mode support a WSK client uses, in user space (wdm.h, with
 * the NTSTATUS values of ntstatus.h): IRPs and their completion, KEVENT
 * waits, pool allocations, DbgPrint, and the Rtl memory macros. ntddk.h
 * includes it, as on Windows, so either header may come first, and wsk.h
 * after it.
 *
 * There is no IRQL here: every call runs at what Windows would call
 * PASSIVE_LEVEL, and the pool types only name what Windows would have
 * allocated (every pool is the C heap).
 */
#ifndef LWFP_WIN_WDM_H
#define LWFP_WIN_WDM_H

#include "lwfp_wintypes.h"
#include "sal.h"

/*
 * Pool tags are multi-character constants ('kswL'). GCC and Clang give
 * them the value MSVC gives (the first character in the high byte), but
 * warn about them by default; a driver's source uses them everywhere.
 */
#ifdef __GNUC__
#pragma GCC diagnostic ignored "-Wmultichar"
#endif

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
#define STATUS_ALERTED ((NTSTATUS)0x00000101L)
#define STATUS_TIMEOUT ((NTSTATUS)0x00000102L)


/* ---- base types and macros ----------------------------------------------- */

/* Little-endian layout, as on every Windows target. */
#ifndef LWFP_WIN_HAVE_LARGE_INTEGER
#define LWFP_WIN_HAVE_LARGE_INTEGER
typedef union _LARGE_INTEGER {
	struct {
		ULONG LowPart;
		LONG HighPart;
	};
	struct {
		ULONG LowPart;
		LONG HighPart;
	} u;
	LONGLONG QuadPart;
} LARGE_INTEGER, *PLARGE_INTEGER;
#endif

#ifndef UNREFERENCED_PARAMETER
#define UNREFERENCED_PARAMETER(P) ((void)(P))
#endif

#define RtlZeroMemory(d, n) memset((d), 0, (n))
#define RtlFillMemory(d, n, c) memset((d), (c), (n))
#define RtlCopyMemory(d, s, n) memcpy((d), (s), (n))
#define RtlMoveMemory(d, s, n) memmove((d), (s), (n))
#define RtlEqualMemory(a, b, n) (memcmp((a), (b), (n)) == 0)

typedef UCHAR KIRQL, *PKIRQL;
typedef CCHAR KPROCESSOR_MODE;
typedef LONG KPRIORITY;

#define PASSIVE_LEVEL 0
#define APC_LEVEL 1
#define DISPATCH_LEVEL 2
#define KeGetCurrentIrql() ((KIRQL)PASSIVE_LEVEL)
/* Windows asserts the IRQL allows paging; here it always does. */
#define PAGED_CODE() ((void)0)

/* ---- debug output: stderr ------------------------------------------------ */

#define DPFLTR_IHVNETWORK_ID 0x58
#define DPFLTR_ERROR_LEVEL 0
#define DPFLTR_WARNING_LEVEL 1
#define DPFLTR_TRACE_LEVEL 2
#define DPFLTR_INFO_LEVEL 3

ULONG DbgPrint(PCSTR Format, ...) __attribute__((format(printf, 1, 2)));
/* Every component and level is printed: there is no debugger to filter. */
ULONG DbgPrintEx(ULONG ComponentId, ULONG Level, PCSTR Format, ...)
	__attribute__((format(printf, 3, 4)));
/* KdPrint((fmt, ...)): the double parentheses are Windows' own. */
#define KdPrint(args) ((void)DbgPrint args)
#define KdPrintEx(args) ((void)DbgPrintEx args)

/* ---- KEVENT -------------------------------------------------------------- */

typedef enum _EVENT_TYPE {
	NotificationEvent, /* stays set until cleared: wakes every waiter */
	SynchronizationEvent, /* a satisfied wait clears it: wakes one */
} EVENT_TYPE;

typedef enum _KWAIT_REASON {
	Executive,
	FreePage,
	PageIn,
	PoolAllocation,
	DelayExecution,
	Suspended,
	UserRequest,
} KWAIT_REASON;

typedef enum _MODE {
	KernelMode,
	UserMode,
} MODE;

typedef struct _DISPATCHER_HEADER {
	UCHAR Type; /* the EVENT_TYPE */
	UCHAR Reserved[3];
	LONG SignalState;
} DISPATCHER_HEADER;

typedef struct _KEVENT {
	DISPATCHER_HEADER Header;
} KEVENT, *PKEVENT, *PRKEVENT;

VOID KeInitializeEvent(PRKEVENT Event, EVENT_TYPE Type, BOOLEAN State);
/* The previous state. Wait (hold the dispatcher lock) means nothing here. */
LONG KeSetEvent(PRKEVENT Event, KPRIORITY Increment, BOOLEAN Wait);
VOID KeClearEvent(PRKEVENT Event);
LONG KeResetEvent(PRKEVENT Event);
LONG KeReadStateEvent(PRKEVENT Event);
/*
 * Object is a KEVENT. Timeout NULL waits for ever; negative is relative,
 * positive absolute (since 1601), both in 100 ns units; 0 only tests.
 * STATUS_SUCCESS or STATUS_TIMEOUT; STATUS_INVALID_PARAMETER for an Object
 * that is not an initialised event (Windows would stop the machine).
 * Alertable is ignored: no APC is delivered to a kernel-mode wait.
 */
NTSTATUS KeWaitForSingleObject(PVOID Object, KWAIT_REASON WaitReason, KPROCESSOR_MODE WaitMode,
			       BOOLEAN Alertable, PLARGE_INTEGER Timeout);

/* ---- pool ---------------------------------------------------------------- */

typedef enum _POOL_TYPE {
	NonPagedPool = 0,
	NonPagedPoolExecute = 0,
	PagedPool = 1,
	NonPagedPoolMustSucceed = 2,
	NonPagedPoolCacheAligned = 4,
	PagedPoolCacheAligned = 5,
	NonPagedPoolNx = 512,
	NonPagedPoolNxCacheAligned = 516,
} POOL_TYPE;

typedef ULONGLONG POOL_FLAGS;
#define POOL_FLAG_USE_QUOTA 0x0000000000000001ULL
#define POOL_FLAG_UNINITIALIZED 0x0000000000000002ULL
#define POOL_FLAG_SESSION 0x0000000000000004ULL
#define POOL_FLAG_CACHE_ALIGNED 0x0000000000000008ULL
#define POOL_FLAG_RAISE_ON_FAILURE 0x0000000000000020ULL
#define POOL_FLAG_NON_PAGED 0x0000000000000040ULL
#define POOL_FLAG_NON_PAGED_EXECUTE 0x0000000000000080ULL
#define POOL_FLAG_PAGED 0x0000000000000100ULL

/* NULL when memory runs out or the size is 0. */
PVOID ExAllocatePoolWithTag(POOL_TYPE PoolType, SIZE_T NumberOfBytes, ULONG Tag);
/*
 * Zeroed unless POOL_FLAG_UNINITIALIZED; NULL without exactly one pool
 * (NON_PAGED, NON_PAGED_EXECUTE or PAGED) among the flags. There are no
 * exceptions to raise: POOL_FLAG_RAISE_ON_FAILURE aborts instead.
 */
PVOID ExAllocatePool2(POOL_FLAGS Flags, SIZE_T NumberOfBytes, ULONG Tag);
/*
 * Tags only label allocations for Windows' pool tools, which do not exist
 * here: they are accepted and not checked.
 */
VOID ExFreePoolWithTag(PVOID P, ULONG Tag);
VOID ExFreePool(PVOID P);

/* ---- IRPs ---------------------------------------------------------------- */

typedef struct _DEVICE_OBJECT DEVICE_OBJECT, *PDEVICE_OBJECT;
typedef struct _IRP IRP, *PIRP;

typedef struct _IO_STATUS_BLOCK {
	union {
		NTSTATUS Status;
		PVOID Pointer;
	};
	ULONG_PTR Information;
} IO_STATUS_BLOCK, *PIO_STATUS_BLOCK;

/*
 * A function type, not only a pointer type, so that drivers can declare
 * their routine as Windows code does: IO_COMPLETION_ROUTINE MyCompletion;
 */
typedef NTSTATUS NTAPI IO_COMPLETION_ROUTINE(PDEVICE_OBJECT DeviceObject, PIRP Irp,
					     PVOID Context);
typedef IO_COMPLETION_ROUTINE *PIO_COMPLETION_ROUTINE;

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


#ifdef __cplusplus
}
#endif

#endif /* LWFP_WIN_WDM_H */
