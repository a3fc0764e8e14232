// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Waiting out the BPF programs that may still read a table half.
 *
 * filters_publish() rewrites the idle half of lwfp_filters and then flips
 * lwfp_config.active. A connect() that read `active` just before the
 * previous flip may still be walking what is now the idle half, so two
 * quick updates could show it a mix of two tables. Every cgroup hook of the
 * data plane runs inside rcu_read_lock() (bpf_prog_run_array_cg), none is
 * sleepable, so once one RCU grace period has elapsed after a flip no
 * program can still be reading the half it left.
 *
 * membarrier(MEMBARRIER_CMD_GLOBAL) is synchronize_rcu() from user space,
 * but only where the kernel calls it: it refuses nohz_full hosts (EINVAL),
 * and on one online CPU it returns at once, which under a preemptible
 * kernel does not wait for a preempted reader. There we sleep instead, for
 * GRACE_FALLBACK_MS: grace periods take a few to a few tens of
 * milliseconds, and a connect() walks its buckets in microseconds.
 */
#include <errno.h>
#include <time.h>
#include <unistd.h>
#include <linux/membarrier.h>
#include <sys/syscall.h>

#include "internal.h"

#define GRACE_FALLBACK_MS 100

static long membarrier_global(int cmd, unsigned int flags, int cpu)
{
	return syscall(__NR_membarrier, cmd, flags, cpu);
}

static int sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts)) {
		if (errno != EINTR)
			return -errno;
	}
	return 0;
}

int lwfp__grace_wait_with(long (*membarrier)(int cmd, unsigned int flags, int cpu), long ncpus)
{
	if (ncpus > 1 && !membarrier(MEMBARRIER_CMD_GLOBAL, 0, 0))
		return 0;
	/* ENOSYS: a kernel built without membarrier; the sleep still holds. */
	if (ncpus > 1 && errno != EINVAL && errno != ENOSYS)
		return -errno;
	return sleep_ms(GRACE_FALLBACK_MS);
}

int grace_wait(void)
{
	return lwfp__grace_wait_with(membarrier_global, sysconf(_SC_NPROCESSORS_ONLN));
}
