/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A bounded queue of datagrams: what one direction of a UDP flow holds
 * while its destination socket would block. UDP has no back-pressure to
 * pass on, so a full queue drops the datagram (and the caller counts it)
 * instead of growing: a flow holds at most DGRAM_QUEUE_MAX datagrams and
 * DGRAM_QUEUE_BYTES bytes per direction.
 */
#ifndef LWFP_INSPECT_DGRAM_H
#define LWFP_INSPECT_DGRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#define DGRAM_QUEUE_MAX 32
#define DGRAM_QUEUE_BYTES (128 * 1024)

struct dgram {
	STAILQ_ENTRY(dgram) link;
	size_t len;
	uint8_t data[];
};

struct dgram_queue {
	STAILQ_HEAD(dgram_list, dgram) list;
	unsigned int count;
	size_t bytes;
};

void dgram_queue_init(struct dgram_queue *q);
/* Frees what is left; the queue is empty and usable afterwards. */
void dgram_queue_clear(struct dgram_queue *q);
/* A copy of data at the tail: 0, or -ENOBUFS when full, -ENOMEM. */
int dgram_push(struct dgram_queue *q, const uint8_t *data, size_t len);
/* Drops the head, once it was sent (or given up). */
void dgram_pop(struct dgram_queue *q);

static inline struct dgram *dgram_head(const struct dgram_queue *q)
{
	return STAILQ_FIRST(&q->list);
}

static inline bool dgram_queue_empty(const struct dgram_queue *q)
{
	return !q->count;
}

#endif /* LWFP_INSPECT_DGRAM_H */
