// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A worker's UDP flows by address and port (udp.h): udp.c finds the flow of
 * a datagram from the wildcard sockets, udp_flow.c adds and removes flows.
 */
#include <arpa/inet.h>
#include <stddef.h>

#include "udp.h"
#include "udp_flow.h"

static size_t bucket(uint32_t addr, uint16_t port)
{
	/* The engine hands addresses out in sequence: mix before masking. */
	uint32_t h = (ntohl(addr) ^ (uint32_t)port << 16) * 0x9e3779b1u;

	return h >> (32 - 13) & (UDP_TABLE_SIZE - 1);
}

_Static_assert(UDP_TABLE_SIZE == 1 << 13, "bucket() takes 13 bits");

/* Two namespaces' flows may have the same address: ns is part of the key. */
struct udp_flow *udp_table_find(struct udp_state *u, uint32_t addr, uint16_t port,
				const struct netns *ns)
{
	struct udp_flow *f;

	for (f = u->table[bucket(addr, port)]; f; f = f->next)
		if (f->addr == addr && f->port == port && f->ns == ns)
			return f;
	return NULL;
}

void udp_table_add(struct worker *w, struct udp_flow *f)
{
	struct udp_flow **head = &w->udp->table[bucket(f->addr, f->port)];

	f->next = *head;
	*head = f;
}

void udp_table_del(struct worker *w, struct udp_flow *f)
{
	struct udp_flow **p = &w->udp->table[bucket(f->addr, f->port)];

	for (; *p; p = &(*p)->next) {
		if (*p == f) {
			*p = f->next;
			return;
		}
	}
}
