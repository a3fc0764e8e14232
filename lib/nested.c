// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * One engine per cgroup path. Two lwfp engines on nested cgroups (or on the
 * same one) would both classify the same sockets, each with its own
 * records and redirect state: neither sees the other's hops, so a flow one
 * redirected looks NOT_REDIRECTED to the other, and two proxies can send
 * it to each other without end. Records are unforgeable per engine (their
 * flow tokens live in its maps), so merging them would make the two one
 * engine anyway. A second product must register its services in the
 * engine already there, the way every WFP callout shares one BFE; `up`
 * refuses to start a second one and names the first.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <lwfp/engine.h>

#include "internal.h"
#include "progs.h"

#define PEER_PROG "lwfp_connect4"
#define PEER_LINK "link_" PEER_PROG

struct search {
	uint32_t ours; /* our connect4 program, 0 when not attached yet */
	struct lwfp_engine_peer *peer;
};

/* 1 when another engine's connect4 is attached to the cgroup at path. */
static int check_cgroup(const char *path, bool is_dir, void *arg)
{
	uint32_t ids[CG_MAX_PROGS], n, i;
	struct search *s = arg;
	char name[16];
	int fd, found = 0;

	if (!is_dir)
		return 0;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (cg_query(fd, BPF_CGROUP_INET4_CONNECT, false, ids, NULL, &n))
		n = 0;
	close(fd);
	for (i = 0; i < n && !found; i++) {
		if (ids[i] == s->ours || prog_describe(ids[i], name, NULL) || strcmp(name, PEER_PROG))
			continue;
		s->peer->prog_id = ids[i];
		str_copy(s->peer->cgroup, sizeof(s->peer->cgroup), path);
		found = 1;
	}
	return found;
}

/* 1 when the pin directory at path holds the peer's connect4 link. */
static int check_pins(const char *path, bool is_dir, void *arg)
{
	struct search *s = arg;
	uint32_t id;

	if (!is_dir || pinned_link_prog(path, PEER_LINK, &id, NULL, NULL) || id != s->peer->prog_id)
		return 0;
	str_copy(s->peer->pin_dir, sizeof(s->peer->pin_dir), path);
	return 1;
}

/* The cgroup itself and each ancestor up to the v2 mount. */
static int check_ancestors(const char *cgroup, const char *root, struct search *s)
{
	char path[PATH_MAX], *slash;

	str_copy(path, sizeof(path), cgroup);
	for (;;) {
		if (check_cgroup(path, true, s))
			return 1;
		if (!strcmp(path, root) || !(slash = strrchr(path, '/')) || slash == path)
			return 0;
		*slash = 0;
	}
}

LWFP_API int lwfp_engine_find_other(const char *cgroup, const char *pin_dir,
				    struct lwfp_engine_peer *peer)
{
	char real[PATH_MAX], root[PATH_MAX];
	struct search s = { .peer = peer };
	int err;

	memset(peer, 0, sizeof(*peer));
	err = lwfp_cgroup_resolve(cgroup, real, sizeof(real));
	if (!err)
		err = lwfp_cgroup2_root(root, sizeof(root));
	if (err)
		return err;
	if (pin_dir)
		pinned_link_prog(pin_dir, PEER_LINK, &s.ours, NULL, NULL);
	if (!check_ancestors(real, root, &s) && !walk_tree(real, 64, check_cgroup, &s))
		return 0;
	/* Name it by its pin directory when it is pinned where bpftool looks. */
	walk_tree("/sys/fs/bpf", 4, check_pins, &s);
	return 1;
}
