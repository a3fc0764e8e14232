// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * One lock and one condition variable for every wait of the layer: events,
 * APC queues and overlapped completions. An alertable
 * WSAWaitForMultipleEvents waits for "an event is set or an APC is queued",
 * which one condition can express and two cannot without races. Waiters
 * re-check their own predicate, so a wake-up for someone else is harmless.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <time.h>

#include "lwfp_win_internal.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;

void win_lock(void)
{
	pthread_mutex_lock(&lock);
}

void win_unlock(void)
{
	pthread_mutex_unlock(&lock);
}

void win_wake(void)
{
	pthread_cond_broadcast(&cond);
}

bool win_wait(const struct timespec *deadline)
{
	if (!deadline) {
		pthread_cond_wait(&cond, &lock);
		return true;
	}
	/* CLOCK_MONOTONIC: a wall-clock step must not stretch a timeout. */
	return pthread_cond_clockwait(&cond, &lock, CLOCK_MONOTONIC, deadline) != ETIMEDOUT;
}

bool win_deadline(DWORD ms, struct timespec *ts)
{
	if (ms == INFINITE)
		return false;
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
	return true;
}

int win_start_daemon(void *(*fn)(void *))
{
	sigset_t all, old;
	pthread_attr_t attr;
	pthread_t tid;
	int err;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	err = pthread_create(&tid, &attr, fn, NULL);
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return err;
}
