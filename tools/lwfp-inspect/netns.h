/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * --netns: serving other network namespaces. An engine handles the sockets
 * of its cgroup subtree in every namespace, and sends a flow only to a
 * listener of its service in the flow's own namespace. So lwfp-inspect
 * holds, in each namespace it serves, the same listening sockets as in its
 * own (made there with lwfp_listen_netns), and makes each flow's outbound
 * and UDP per-flow sockets in the flow's namespace too, so that they reach
 * what the application would have reached.
 *
 * The main thread owns the list of served namespaces: with --netns all it
 * rescans the engine's cgroup subtree every NETNS_SCAN_MS for the
 * namespaces of its processes, opens the listeners of a new one in every
 * worker, and has the workers close those of a namespace no process of the
 * subtree is in any more. --netns PATH namespaces are served until exit.
 *
 * A namespace itself, reference-counted, is in netns_ref.h.
 */
#ifndef LWFP_INSPECT_NETNS_H
#define LWFP_INSPECT_NETNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "netns_ref.h"

#define NETNS_SCAN_MS 500
#define NETNS_MAX_PATHS 64

struct worker;

struct netns_opts {
	bool all; /* --netns all */
	const char *paths[NETNS_MAX_PATHS];
	size_t npaths;
};

/* Parses one --netns argument. 0, or -EINVAL with err set. */
int netns_opt(struct netns_opts *o, const char *arg, char *err, size_t size);
static inline bool netns_enabled(const struct netns_opts *o)
{
	return o->all || o->npaths;
}

struct netns_mgr {
	const struct netns_opts *opts;
	const struct config *cfg;
	struct worker *workers;
	unsigned int nworkers;
	char cgroup[4096]; /* the engine's, for --netns all */
	uint64_t self_dev, self_ino; /* our own namespace: served by the workers already */
	struct netns *served;
	unsigned int nserved;
};

/*
 * Opens the --netns PATH namespaces and, with all, a first scan. The
 * workers exist, and may run. 0, or -errno with err set.
 */
int netns_mgr_start(struct netns_mgr *m, const struct netns_opts *o, const struct config *cfg,
		    struct worker *workers, unsigned int nworkers, char *err, size_t size);
/* --netns all: serves new namespaces, drops those gone. */
void netns_mgr_scan(struct netns_mgr *m);
/* Drops the main thread's references (the workers close their sockets). */
void netns_mgr_stop(struct netns_mgr *m);
/* Has every worker register its sockets in the served namespaces again. */
void netns_mgr_register(struct netns_mgr *m, uint32_t handle);

#endif /* LWFP_INSPECT_NETNS_H */
