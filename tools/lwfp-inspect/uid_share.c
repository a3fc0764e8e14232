// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* A worker's flows per uid; see uid_share.h. */
#include <errno.h>
#include <stdlib.h>

#include "uid_share.h"

int uid_share_init(struct uid_share *s, unsigned int max_flows)
{
	size_t n = 2;

	while (n < 2 * (size_t)max_flows)
		n *= 2;
	*s = (struct uid_share){ .max = max_flows / 2 ? max_flows / 2 : 1 };
	s->slots = calloc(n, sizeof(*s->slots));
	if (!s->slots)
		return -ENOMEM;
	s->mask = n - 1;
	return 0;
}

void uid_share_free(struct uid_share *s)
{
	free(s->slots);
	s->slots = NULL;
}

/* uids come in runs (a range of subordinate uids): mix before masking. */
static size_t home(const struct uid_share *s, uint32_t uid)
{
	uint32_t h = uid * 0x9e3779b1u;

	return (h ^ h >> 16) & s->mask;
}

/* uid's slot, or the empty slot where it would go. */
static size_t find(const struct uid_share *s, uint32_t uid)
{
	size_t i = home(s, uid);

	while (s->slots[i].flows && s->slots[i].uid != uid)
		i = (i + 1) & s->mask;
	return i;
}

/*
 * Empties slot i, and moves back each entry of the run after it that may
 * go there (its home is not between i and it), so that a lookup never
 * stops early at the hole.
 */
static void remove_at(struct uid_share *s, size_t i)
{
	size_t j = i;

	for (;;) {
		j = (j + 1) & s->mask;
		if (!s->slots[j].flows)
			break;
		if (((j - home(s, s->slots[j].uid)) & s->mask) >= ((j - i) & s->mask)) {
			s->slots[i] = s->slots[j];
			i = j;
		}
	}
	s->slots[i].flows = 0;
}

bool uid_share_take(struct uid_share *s, uint32_t uid)
{
	size_t i;

	if (uid == 0)
		return true;
	i = find(s, uid);
	if (s->slots[i].flows >= s->max)
		return false;
	if (!s->slots[i].flows) {
		/* More uids than flows cannot be; fail closed all the same. */
		if (2 * (size_t)(s->uids + 1) > s->mask + 1)
			return false;
		s->slots[i].uid = uid;
		s->uids++;
	}
	s->slots[i].flows++;
	s->counted++;
	return true;
}

void uid_share_give(struct uid_share *s, uint32_t uid)
{
	size_t i;

	if (uid == 0)
		return;
	i = find(s, uid);
	if (!s->slots[i].flows)
		return; /* not counted: a bug, but nothing to give back */
	s->counted--;
	if (--s->slots[i].flows)
		return;
	s->uids--;
	remove_at(s, i);
}

unsigned int uid_share_flows(const struct uid_share *s, uint32_t uid)
{
	return uid ? s->slots[find(s, uid)].flows : 0;
}
