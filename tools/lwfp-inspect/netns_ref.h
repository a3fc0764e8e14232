/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A served network namespace (netns.h), reference-counted: the main thread
 * holds one while it serves it, and every flow from it holds one, so a
 * flow that outlives its namespace's listeners can still connect out
 * there. Below the flows, the workers and the main thread's list alike.
 */
#ifndef LWFP_INSPECT_NETNS_REF_H
#define LWFP_INSPECT_NETNS_REF_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct netns {
	atomic_uint refs;
	int fd; /* an open nsfs file */
	uint64_t dev, ino; /* the namespace's identity */
	bool seen; /* the main thread's: in the last scan */
	bool fixed; /* --netns PATH: served until exit */
	struct netns *next; /* the main thread's list */
};

struct netns *netns_get(struct netns *ns);
void netns_put(struct netns *ns);

/* socket() in ns, or here for NULL: the fd, or -errno. */
int netns_socket(const struct netns *ns, int domain, int type, int protocol);

#endif /* LWFP_INSPECT_NETNS_REF_H */
