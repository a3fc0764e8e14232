// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The offload budget (budget.h): room counted here, each user's share by
 * the same table and rule as a worker's flows (uid_share.h), under a lock
 * because the workers share it.
 */
#include <errno.h>
#include <limits.h>

#include "budget.h"

int budget_init(struct budget *b, uint64_t bytes, uint64_t per_flow)
{
	uint64_t slots = per_flow ? bytes / per_flow : 0;
	int err;

	if (!slots || slots > UINT_MAX / 2)
		return -EINVAL;
	b->slots = (size_t)slots;
	b->used = 0;
	err = uid_share_init(&b->shares, (unsigned int)slots);
	if (err)
		return err;
	err = pthread_mutex_init(&b->lock, NULL);
	if (err) {
		uid_share_free(&b->shares);
		return -err;
	}
	return 0;
}

void budget_destroy(struct budget *b)
{
	if (!b->shares.slots)
		return;
	pthread_mutex_destroy(&b->lock);
	uid_share_free(&b->shares);
}

static int take_locked(struct budget *b, uint32_t uid)
{
	if (b->used >= b->slots)
		return -ENOBUFS;
	if (!uid_share_take(&b->shares, uid))
		return -EDQUOT;
	b->used++;
	return 0;
}

int budget_take(struct budget *b, uint32_t uid)
{
	int err;

	pthread_mutex_lock(&b->lock);
	err = take_locked(b, uid);
	pthread_mutex_unlock(&b->lock);
	return err;
}

void budget_give(struct budget *b, uint32_t uid)
{
	pthread_mutex_lock(&b->lock);
	if (b->used)
		b->used--;
	uid_share_give(&b->shares, uid);
	pthread_mutex_unlock(&b->lock);
}
