// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The offload budget (budget.h). */
#include <errno.h>
#include <stdlib.h>

#include "budget.h"

int budget_init(struct budget *b, uint64_t bytes, uint64_t per_flow)
{
	uint64_t slots = per_flow ? bytes / per_flow : 0;
	int err;

	if (!slots || slots > SIZE_MAX / sizeof(*b->users))
		return -EINVAL;
	b->slots = (size_t)slots;
	b->used = 0;
	b->share = b->slots / 2 ? b->slots / 2 : 1;
	b->nusers = 0;
	b->users = calloc(b->slots, sizeof(*b->users));
	if (!b->users)
		return -ENOMEM;
	err = pthread_mutex_init(&b->lock, NULL);
	if (err) {
		free(b->users);
		b->users = NULL;
		return -err;
	}
	return 0;
}

void budget_destroy(struct budget *b)
{
	if (!b->users)
		return;
	pthread_mutex_destroy(&b->lock);
	free(b->users);
	b->users = NULL;
}

/*
 * The entry of uid, or NULL. Only users holding flows have one, so the
 * scan is over the flows' distinct users, at most `slots`.
 */
static struct budget_user *find_user(struct budget *b, uint32_t uid)
{
	size_t i;

	for (i = 0; i < b->nusers; i++)
		if (b->users[i].uid == uid)
			return &b->users[i];
	return NULL;
}

static int take_locked(struct budget *b, uint32_t uid)
{
	struct budget_user *u;

	if (b->used >= b->slots)
		return -ENOBUFS;
	if (uid) {
		u = find_user(b, uid);
		if (u && u->flows >= b->share)
			return -EDQUOT;
		if (!u) {
			/* used < slots, and each user holds a flow: there is room. */
			u = &b->users[b->nusers++];
			u->uid = uid;
			u->flows = 0;
		}
		u->flows++;
	}
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
	struct budget_user *u;

	pthread_mutex_lock(&b->lock);
	if (b->used)
		b->used--;
	u = uid ? find_user(b, uid) : NULL;
	if (u && !--u->flows)
		*u = b->users[--b->nusers];
	pthread_mutex_unlock(&b->lock);
}
