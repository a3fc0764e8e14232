// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Buffers that come from the caller are probed before the layer touches
 * them, so that a bad pointer becomes WSAEFAULT or STATUS_ACCESS_VIOLATION,
 * as on Windows, instead of a SIGSEGV in the middle of a call.
 *
 * The kernel does the checking: process_vm_readv/writev on our own pid
 * fail with EFAULT on an address that is not mapped with the access asked
 * for, and never fault. One byte per page is enough, because protections
 * are per page. The write probe writes back the byte it read, which is
 * what Windows' ProbeForWrite does too; a buffer being written by another
 * thread during the call is the caller's race on Windows as well.
 */
#include <errno.h>
#include <stdint.h>
#include <sys/uio.h>
#include <unistd.h>

#include "lwfp_win_internal.h"

#define PROBE_PAGE 4096u

/* One byte at a: 0, or -EFAULT when that byte cannot be accessed. */
static int probe_byte(uintptr_t a, bool write)
{
	unsigned char b;
	struct iovec local = { .iov_base = &b, .iov_len = 1 };
	struct iovec remote = { .iov_base = (void *)a, .iov_len = 1 };

	if (process_vm_readv(getpid(), &local, 1, &remote, 1, 0) != 1)
		return errno == EFAULT ? -EFAULT : 0;
	if (write && process_vm_writev(getpid(), &local, 1, &remote, 1, 0) != 1)
		return errno == EFAULT ? -EFAULT : 0;
	return 0;
}

/*
 * Every page of [p, p + len). A system without process_vm_* (ENOSYS, or a
 * seccomp filter) gets no probing rather than a refusal: the call then
 * behaves as it did before probes existed.
 */
static bool probe(const void *p, size_t len, bool write)
{
	uintptr_t a = (uintptr_t)p, end;

	if (!len)
		return true;
	if (!p || __builtin_add_overflow(a, len - 1, &end))
		return false;
	for (;;) {
		if (probe_byte(a, write))
			return false;
		if (end / PROBE_PAGE == a / PROBE_PAGE)
			return true;
		a = (a / PROBE_PAGE + 1) * PROBE_PAGE;
	}
}

bool win_probe_read(const void *p, size_t len)
{
	return probe(p, len, false);
}

bool win_probe_write(void *p, size_t len)
{
	return probe(p, len, true);
}
