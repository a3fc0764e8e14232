/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Timeouts without a timer per flow. Every flow in a given phase (peeking,
 * connecting, relaying) has the same timeout, so a queue per phase, appended
 * to at the tail, is always sorted by deadline: arming, re-arming and
 * cancelling are O(1), and a worker only ever looks at the queue heads.
 */
#ifndef LWFP_INSPECT_TIMEOUT_H
#define LWFP_INSPECT_TIMEOUT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <time.h>

struct timer {
	TAILQ_ENTRY(timer) link;
	struct timeout_queue *queue; /* NULL when not armed */
	uint64_t deadline_ms;
};

struct timeout_queue {
	TAILQ_HEAD(timer_list, timer) timers;
	uint64_t timeout_ms;
};

static inline uint64_t monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static inline void timeout_queue_init(struct timeout_queue *q, uint64_t timeout_ms)
{
	TAILQ_INIT(&q->timers);
	q->timeout_ms = timeout_ms;
}

static inline void timer_cancel(struct timer *t)
{
	if (t->queue)
		TAILQ_REMOVE(&t->queue->timers, t, link);
	t->queue = NULL;
}

/* (Re)starts t to expire q->timeout_ms after now. */
static inline void timer_arm(struct timer *t, struct timeout_queue *q, uint64_t now_ms)
{
	timer_cancel(t);
	t->queue = q;
	t->deadline_ms = now_ms + q->timeout_ms;
	TAILQ_INSERT_TAIL(&q->timers, t, link);
}

/* The queue's earliest timer if it has expired by now, else NULL. */
static inline struct timer *timeout_expired(struct timeout_queue *q, uint64_t now_ms)
{
	struct timer *t = TAILQ_FIRST(&q->timers);

	return t && t->deadline_ms <= now_ms ? t : NULL;
}

/* Lowers *deadline_ms to the queue's earliest deadline. */
static inline void timeout_next(const struct timeout_queue *q, uint64_t *deadline_ms)
{
	const struct timer *t = TAILQ_FIRST(&q->timers);

	if (t && t->deadline_ms < *deadline_ms)
		*deadline_ms = t->deadline_ms;
}

#endif /* LWFP_INSPECT_TIMEOUT_H */
