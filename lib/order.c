// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Where the engine's programs go among the others of its cgroup. lwfp only
 * ever creates links: a link is always a BPF_F_ALLOW_MULTI attachment,
 * which adds a program and can neither replace nor detach another, and
 * `down` removes only its own pinned links.
 *
 * On Linux 6.17 and later a link is placed first on its cgroup by default,
 * so that lwfp sees the destination the application asked for before a
 * socket-LB translator on the same cgroup rewrites it; or before/after a
 * program the administrator names. Older kernels append, in attach order.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include <lwfp/engine.h>
#include <lwfp/parse.h>

#include "internal.h"
#include "mprog.h"
#include "progs.h"

/* The anchor's attach flags when it is attached to cg_fd at `type`. */
static bool anchor_at(int cg_fd, enum bpf_attach_type type, uint32_t anchor, uint32_t *aflags)
{
	uint32_t ids[CG_MAX_PROGS], flags[CG_MAX_PROGS], n, i;

	if (cg_query(cg_fd, type, false, ids, flags, &n))
		return false;
	for (i = 0; i < n; i++) {
		if (ids[i] == anchor) {
			*aflags = flags[i];
			return true;
		}
	}
	return false;
}

/*
 * BPF_LINK_CREATE's flags and relative id for one of our programs. The
 * anchor only orders the hooks it is attached at; ours go first at the
 * others. A link can only be placed relative to another link: next to an
 * anchor attached without one, ours go first (before) or last (after),
 * which is before or after it too. The kernel wants an anchor's
 * BPF_F_PREORDER matched.
 */
int order_flags(int cg_fd, enum bpf_attach_type type, uint32_t before, uint32_t after,
		uint32_t *flags, uint32_t *rel)
{
	uint32_t anchor = before ? before : after, aflags = 0;

	*rel = 0;
	if (!mprog_supported()) {
		*flags = 0;
		return before || after ? -EOPNOTSUPP : 0;
	}
	*flags = BPF_F_BEFORE;
	if (!anchor || !anchor_at(cg_fd, type, anchor, &aflags))
		return 0;
	*flags = before ? BPF_F_BEFORE : BPF_F_AFTER;
	*rel = cg_link_id(cg_fd, type, anchor);
	if (*rel)
		*flags |= BPF_F_LINK | BPF_F_ID | (aflags & BPF_F_PREORDER);
	return 0;
}

/* Whether program id is attached to cg_fd at any hook. */
static bool attached_anywhere(int cg_fd, uint32_t id)
{
	uint32_t aflags;
	size_t i;

	for (i = 0; i < cg_nhooks; i++)
		if (anchor_at(cg_fd, cg_hooks[i].type, id, &aflags))
			return true;
	return false;
}

/* A name names one program attached to the cgroup at some hook. */
static int prog_by_name(int cg_fd, const char *name, uint32_t *id)
{
	uint32_t ids[CG_MAX_PROGS], n, i;
	char pname[16];
	size_t h;

	*id = 0;
	for (h = 0; h < cg_nhooks; h++) {
		if (cg_query(cg_fd, cg_hooks[h].type, false, ids, NULL, &n))
			continue;
		for (i = 0; i < n; i++) {
			if (prog_describe(ids[i], pname, NULL) ||
			    strncmp(pname, name, sizeof(pname) - 1))
				continue;
			if (*id && *id != ids[i])
				return -ENOTUNIQ;
			*id = ids[i];
		}
	}
	return *id ? 0 : -ENOENT;
}

LWFP_API int lwfp_prog_resolve(const char *cgroup, const char *spec, uint32_t *id)
{
	char real[PATH_MAX];
	int cg_fd, err;

	if (!spec || !*spec)
		return -EINVAL;
	err = lwfp_cgroup_resolve(cgroup, real, sizeof(real));
	if (err)
		return err;
	cg_fd = open(real, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg_fd < 0)
		return -errno;
	if (isdigit((unsigned char)*spec))
		err = lwfp_parse_u32(spec, UINT32_MAX, id) ? -EINVAL : 0;
	else if (*spec == '/')
		err = pinned_prog_id(spec, id);
	else
		err = prog_by_name(cg_fd, spec, id);
	/* An id or a path must name a program this cgroup has. */
	if (!err && !attached_anywhere(cg_fd, *id))
		err = -ENOENT;
	close(cg_fd);
	return err;
}

static int placement_fill(int cg_fd, enum bpf_attach_type type, uint32_t ours,
			  struct lwfp_placement *p)
{
	uint32_t ids[CG_MAX_PROGS], n, i;
	int err;

	err = cg_query(cg_fd, type, true, ids, NULL, &n);
	if (err)
		return err;
	for (i = 0; i < n && ids[i] != ours; i++)
		;
	if (i == n)
		return -ENOENT;
	p->position = i + 1;
	p->count = n;
	p->prog_id = ours;
	if (i > 0) {
		p->prev_id = ids[i - 1];
		prog_describe(p->prev_id, p->prev_name, NULL);
	}
	if (i + 1 < n) {
		p->next_id = ids[i + 1];
		prog_describe(p->next_id, p->next_name, NULL);
	}
	return 0;
}

LWFP_API int lwfp_engine_placement(const struct lwfp_engine *e, const char *hook,
				   struct lwfp_placement *p)
{
	enum bpf_attach_type type;
	char pin[64];
	uint32_t ours;
	int cg_fd, err;

	memset(p, 0, sizeof(*p));
	p->ordered = mprog_supported();
	if (snprintf(pin, sizeof(pin), "link_lwfp_%s", hook) >= (int)sizeof(pin))
		return -EINVAL;
	err = pinned_link_prog(e->pin_dir, pin, &ours, &type, NULL);
	if (err)
		return err;
	cg_fd = open(e->cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg_fd < 0)
		return -errno;
	err = placement_fill(cg_fd, type, ours, p);
	close(cg_fd);
	return err;
}
