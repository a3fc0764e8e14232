// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* A namespace's reference count, and sockets made in it; see netns_ref.h. */
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <lwfp/lwfp.h>

#include "netns_ref.h"

struct netns *netns_get(struct netns *ns)
{
	atomic_fetch_add(&ns->refs, 1);
	return ns;
}

void netns_put(struct netns *ns)
{
	if (atomic_fetch_sub(&ns->refs, 1) != 1)
		return;
	close(ns->fd);
	free(ns);
}

int netns_socket(const struct netns *ns, int domain, int type, int protocol)
{
	int fd;

	if (ns)
		return lwfp_netns_socket(ns->fd, domain, type, protocol);
	fd = socket(domain, type | SOCK_CLOEXEC, protocol);
	return fd < 0 ? -errno : fd;
}
