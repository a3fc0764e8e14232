// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * wdm.h's kernel-mode support, written the way a WSK client writes it:
 *   - KEVENT: notification events stay set, synchronization events clear
 *     on the wait they satisfy; KeSetEvent/KeResetEvent return the
 *     previous state; timeouts in 100 ns units (negative relative,
 *     positive absolute since 1601, 0 a test) give STATUS_TIMEOUT; a set
 *     from another thread wakes the wait; a non-event is refused;
 *   - the pool: ExAllocatePool2 zeroes unless asked not to and refuses
 *     flags without exactly one pool;
 *   - IO_COMPLETION_ROUTINE as a function type, SAL and the macros.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "../../lib/win/lwfp_win_internal.h"
#include <lwfp/win/ntddk.h>

#define MS(n) ((LONGLONG)(n) * -10000) /* a relative timeout of n ms */

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static NTSTATUS wait_for(PKEVENT ev, LONGLONG timeout)
{
	LARGE_INTEGER t;

	t.QuadPart = timeout;
	return KeWaitForSingleObject(ev, Executive, KernelMode, FALSE, &t);
}

static void test_notification(void **state)
{
	KEVENT ev;

	(void)state;
	KeInitializeEvent(&ev, NotificationEvent, FALSE);
	assert_int_equal(KeReadStateEvent(&ev), 0);
	assert_int_equal(wait_for(&ev, 0), STATUS_TIMEOUT);
	assert_int_equal(KeSetEvent(&ev, IO_NO_INCREMENT, FALSE), 0);
	assert_int_equal(KeSetEvent(&ev, IO_NO_INCREMENT, FALSE), 1);
	/* Stays set: every wait is satisfied. */
	assert_int_equal(KeWaitForSingleObject(&ev, Executive, KernelMode, FALSE, NULL),
			 STATUS_SUCCESS);
	assert_int_equal(wait_for(&ev, 0), STATUS_SUCCESS);
	assert_int_equal(KeResetEvent(&ev), 1);
	assert_int_equal(KeResetEvent(&ev), 0);
	KeSetEvent(&ev, IO_NO_INCREMENT, FALSE);
	KeClearEvent(&ev);
	assert_int_equal(KeReadStateEvent(&ev), 0);
}

static void test_synchronization(void **state)
{
	KEVENT ev;

	(void)state;
	KeInitializeEvent(&ev, SynchronizationEvent, TRUE);
	assert_int_equal(wait_for(&ev, 0), STATUS_SUCCESS);
	/* The wait it satisfied cleared it. */
	assert_int_equal(KeReadStateEvent(&ev), 0);
	assert_int_equal(wait_for(&ev, 0), STATUS_TIMEOUT);
}

static void test_timeouts(void **state)
{
	KEVENT ev;
	double t0;
	LARGE_INTEGER past;

	(void)state;
	KeInitializeEvent(&ev, NotificationEvent, FALSE);
	t0 = now_ms();
	assert_int_equal(wait_for(&ev, MS(50)), STATUS_TIMEOUT);
	assert_true(now_ms() - t0 >= 49);
	/* Absolute: 2001-01-01 has passed, so the wait only tests the event. */
	past.QuadPart = 126227808000000000LL;
	t0 = now_ms();
	assert_int_equal(KeWaitForSingleObject(&ev, Executive, KernelMode, FALSE, &past),
			 STATUS_TIMEOUT);
	assert_true(now_ms() - t0 < 1000);
	past.LowPart = 1;
	past.HighPart = 0;
	assert_int_equal(past.QuadPart, 1);
	assert_int_equal(past.u.LowPart, 1);
}

static void *set_later(void *arg)
{
	struct timespec ts = { .tv_nsec = 20 * 1000000L };

	nanosleep(&ts, NULL);
	KeSetEvent(arg, IO_NO_INCREMENT, FALSE);
	return NULL;
}

static void test_set_from_another_thread(void **state)
{
	KEVENT ev;
	pthread_t t;

	(void)state;
	KeInitializeEvent(&ev, SynchronizationEvent, FALSE);
	assert_int_equal(pthread_create(&t, NULL, set_later, &ev), 0);
	assert_int_equal(wait_for(&ev, MS(10000)), STATUS_SUCCESS);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(KeReadStateEvent(&ev), 0);
}

static void test_not_an_event(void **state)
{
	KEVENT ev;
	void *none = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	(void)state;
	assert_true(none != MAP_FAILED);
	memset(&ev, 0x7f, sizeof(ev));
	assert_int_equal(wait_for(&ev, 0), STATUS_INVALID_PARAMETER);
	assert_int_equal(wait_for(none, 0), STATUS_INVALID_PARAMETER);
	assert_int_equal(KeWaitForSingleObject(NULL, Executive, KernelMode, FALSE, NULL),
			 STATUS_INVALID_PARAMETER);
	KeInitializeEvent(&ev, NotificationEvent, TRUE);
	assert_int_equal(KeWaitForSingleObject(&ev, Executive, KernelMode, FALSE, none),
			 STATUS_INVALID_PARAMETER);
	munmap(none, 4096);
}

static void test_pool(void **state)
{
	unsigned char *p;
	size_t i;

	(void)state;
	p = ExAllocatePoolWithTag(NonPagedPoolNx, 64, 'tseT');
	assert_non_null(p);
	RtlFillMemory(p, 64, 0xa5);
	ExFreePoolWithTag(p, 'tseT');
	p = ExAllocatePool2(POOL_FLAG_NON_PAGED, 256, 'tseT');
	assert_non_null(p);
	for (i = 0; i < 256; i++)
		assert_int_equal(p[i], 0);
	ExFreePool(p);
	p = ExAllocatePool2(POOL_FLAG_PAGED | POOL_FLAG_UNINITIALIZED, 16, 'tseT');
	assert_non_null(p);
	ExFreePoolWithTag(p, 'tseT');
	assert_null(ExAllocatePool2(POOL_FLAG_UNINITIALIZED, 16, 'tseT'));
	assert_null(ExAllocatePool2(POOL_FLAG_PAGED | POOL_FLAG_NON_PAGED, 16, 'tseT'));
	assert_null(ExAllocatePoolWithTag(PagedPool, 0, 'tseT'));
	/* MSVC's value for a multi-character constant. */
	assert_int_equal('tseT', 0x74736554);
}

IO_COMPLETION_ROUTINE Declared;

_Use_decl_annotations_ NTSTATUS Declared(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context)
{
	UNREFERENCED_PARAMETER(DeviceObject);
	UNREFERENCED_PARAMETER(Irp);
	KeSetEvent((PRKEVENT)Context, IO_NO_INCREMENT, FALSE);
	return STATUS_MORE_PROCESSING_REQUIRED;
}

static void test_declarations(void **state)
{
	PIO_COMPLETION_ROUTINE fn = Declared;
	KEVENT ev;

	(void)state;
	PAGED_CODE();
	KeInitializeEvent(&ev, NotificationEvent, FALSE);
	assert_int_equal(fn(NULL, NULL, &ev), STATUS_MORE_PROCESSING_REQUIRED);
	assert_int_equal(KeReadStateEvent(&ev), 1);
	assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
	assert_int_equal(sizeof(LARGE_INTEGER), 8);
	assert_int_equal((uint32_t)STATUS_TIMEOUT, 0x102u);
	KdPrint(("test_win_kernel: KdPrint reaches stderr (%d)\n", 1));
	assert_int_equal(DbgPrintEx(DPFLTR_IHVNETWORK_ID, DPFLTR_INFO_LEVEL, "%s", ""), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_notification),
		cmocka_unit_test(test_synchronization),
		cmocka_unit_test(test_timeouts),
		cmocka_unit_test(test_set_from_another_thread),
		cmocka_unit_test(test_not_an_event),
		cmocka_unit_test(test_pool),
		cmocka_unit_test(test_declarations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
