// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The bounded datagram queues of UDP flows. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dgram.h"

void dgram_queue_init(struct dgram_queue *q)
{
	STAILQ_INIT(&q->list);
	q->count = 0;
	q->bytes = 0;
}

void dgram_queue_clear(struct dgram_queue *q)
{
	while (!dgram_queue_empty(q))
		dgram_pop(q);
}

int dgram_push(struct dgram_queue *q, const uint8_t *data, size_t len)
{
	struct dgram *d;

	if (q->count >= DGRAM_QUEUE_MAX || q->bytes + len > DGRAM_QUEUE_BYTES)
		return -ENOBUFS;
	d = malloc(sizeof(*d) + len);
	if (!d)
		return -ENOMEM;
	d->len = len;
	memcpy(d->data, data, len);
	STAILQ_INSERT_TAIL(&q->list, d, link);
	q->count++;
	q->bytes += len;
	return 0;
}

void dgram_pop(struct dgram_queue *q)
{
	struct dgram *d = STAILQ_FIRST(&q->list);

	if (!d)
		return;
	STAILQ_REMOVE_HEAD(&q->list, link);
	q->count--;
	q->bytes -= d->len;
	free(d);
}
