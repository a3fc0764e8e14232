// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * What runs next to the engine: every program at every cgroup socket hook
 * on the path from its cgroup to the root, with what the kernel says of
 * its owner (name, tag, link id, a pin), for lwfpctl doctor.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include <lwfp/engine.h>

#include "internal.h"
#include "progs.h"

struct listing {
	struct lwfp_path_prog *v;
	size_t n, cap;
};

static struct lwfp_path_prog *listing_add(struct listing *l)
{
	struct lwfp_path_prog *v;

	if (l->n == l->cap) {
		v = realloc(l->v, (l->cap ? l->cap * 2 : 32) * sizeof(*v));
		if (!v)
			return NULL;
		l->v = v;
		l->cap = l->cap ? l->cap * 2 : 32;
	}
	memset(&l->v[l->n], 0, sizeof(*v));
	return &l->v[l->n++];
}

static uint32_t run_place(const uint32_t *eff, uint32_t neff, uint32_t id)
{
	uint32_t i;

	for (i = 0; i < neff; i++)
		if (eff[i] == id)
			return i + 1;
	return 0;
}

/* The programs attached to one cgroup of the path at one hook. */
static int list_cgroup(struct listing *l, const char *cg, const struct cg_hook *h,
		       const uint32_t *eff, uint32_t neff)
{
	uint32_t ids[CG_MAX_PROGS], flags[CG_MAX_PROGS], n, i;
	struct lwfp_path_prog *p;
	int fd, err;

	fd = open(cg, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = cg_query(fd, h->type, false, ids, flags, &n);
	/* A hook this kernel does not have lists nothing. */
	if (err)
		n = 0;
	for (i = 0; i < n; i++) {
		if (!(p = listing_add(l))) {
			err = -ENOMEM;
			break;
		}
		p->link_id = cg_link_id(fd, h->type, ids[i]);
		str_copy(p->cgroup, sizeof(p->cgroup), cg);
		str_copy(p->hook, sizeof(p->hook), h->name);
		p->prog_id = ids[i];
		p->attach_flags = flags[i];
		p->run_order = run_place(eff, neff, ids[i]);
		prog_describe(ids[i], p->name, p->tag);
	}
	close(fd);
	return err == -EINVAL ? 0 : err;
}

/* One hook: the engine's cgroup, then each ancestor up to the v2 mount. */
static int list_hook(struct listing *l, const char *cgroup, const char *root,
		     const struct cg_hook *h)
{
	uint32_t eff[CG_MAX_PROGS], neff = 0;
	char path[PATH_MAX], *slash;
	int fd, err;

	fd = open(cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (cg_query(fd, h->type, true, eff, NULL, &neff))
		neff = 0;
	close(fd);
	str_copy(path, sizeof(path), cgroup);
	for (;;) {
		err = list_cgroup(l, path, h, eff, neff);
		if (err || !strcmp(path, root) || !(slash = strrchr(path, '/')) || slash == path)
			return err;
		*slash = 0;
	}
}

static int find_pin(const char *path, bool is_dir, void *arg)
{
	struct listing *l = arg;
	uint32_t id;
	size_t i;

	if (is_dir || pinned_prog_id(path, &id))
		return 0;
	for (i = 0; i < l->n; i++)
		if (l->v[i].prog_id == id && !*l->v[i].pinned)
			str_copy(l->v[i].pinned, sizeof(l->v[i].pinned), path);
	return 0;
}

/* Ours: the programs of the links pinned in the engine's pin directory. */
static int mark_ours(const char *path, bool is_dir, void *arg)
{
	struct listing *l = arg;
	const char *base = strrchr(path, '/');
	uint32_t id;
	size_t i;

	if (is_dir || !base || strncmp(base + 1, "link_", 5) || pinned_prog_id(path, &id))
		return 0;
	for (i = 0; i < l->n; i++)
		if (l->v[i].prog_id == id)
			l->v[i].ours = true;
	return 0;
}

LWFP_API int lwfp_engine_path_progs(const struct lwfp_engine *e, struct lwfp_path_prog **out,
				    size_t *n)
{
	struct listing l = { 0 };
	char root[PATH_MAX];
	size_t i;
	int err;

	err = lwfp_cgroup2_root(root, sizeof(root));
	for (i = 0; !err && i < cg_nhooks; i++)
		err = list_hook(&l, e->cgroup, root, &cg_hooks[i]);
	if (err) {
		free(l.v);
		return err;
	}
	walk_tree("/sys/fs/bpf", 4, find_pin, &l);
	walk_tree(e->pin_dir, 1, mark_ours, &l);
	for (i = 0; i < l.n; i++)
		l.v[i].lwfp = !l.v[i].ours && !strncmp(l.v[i].name, "lwfp_", 5);
	*out = l.v;
	*n = l.n;
	return 0;
}
