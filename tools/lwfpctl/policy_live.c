// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The policy an engine holds, as a policy file would describe it. */
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <lwfp/engine.h>

#include "lwfpctl.h"
#include "policy.h"

/* nftw passes no context: the one search under way. */
static struct {
	uint64_t id;
	char *buf;
	size_t size;
	bool found;
} cg_search;

static int cg_visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)ftw;
	if (type != FTW_D || st->st_ino != cg_search.id)
		return 0;
	cg_search.found = snprintf(cg_search.buf, cg_search.size, "%s", path) < (int)cg_search.size;
	return 1;
}

/* A cgroup's id is its inode number in the v2 hierarchy, so a walk finds it. */
int cgroup_path_of(uint64_t id, char *buf, size_t size)
{
	char root[PATH_MAX];
	int err;

	err = lwfp_cgroup2_root(root, sizeof(root));
	if (err)
		return err;
	cg_search.id = id;
	cg_search.buf = buf;
	cg_search.size = size;
	cg_search.found = false;
	if (nftw(root, cg_visit, 32, FTW_PHYS) < 0)
		return -errno;
	return cg_search.found ? 0 : -ENOENT;
}

static int live_service(const struct lwfp_service_info *ls, void *ctx)
{
	struct pol_service s = { 0 };
	char path[PATH_MAX];

	memcpy(s.name, ls->name, LWFP_NAME_MAX - 1);
	s.handle = ls->handle;
	s.kind = ls->id_kind;
	s.value = ls->id_value;
	memcpy(s.provider, ls->provider, sizeof(s.provider));
	s.has_provider = true;
	if (s.kind == LWFP_ID_CGROUP && !cgroup_path_of(s.value, path, sizeof(path)))
		s.cgroup = path;
	return policy_add_service(ctx, &s);
}

struct live_ctx {
	struct lwfp_engine *e;
	struct policy *p;
};

static int live_filter(const struct lwfp_filter_spec *lf, void *ctx)
{
	struct live_ctx *l = ctx;
	struct pol_filter f = { .f = *lf };
	uint8_t raw[LWFP_RAW_CONTEXT_MAX];
	size_t i, len = 0;
	int err;

	err = lwfp_filter_raw(l->e, lf->id, raw, sizeof(raw), &len);
	if (err)
		return err;
	f.f.raw_len = len;
	f.raw = raw;
	/* A filter added by file identity alone has no path: "" then. */
	if ((lf->conds & LWFP_COND_APP) && lwfp_filter_app(l->e, lf->id, f.app, sizeof(f.app)))
		f.app[0] = 0;
	for (i = 0; lf->action == LWFP_ACT_REDIRECT && i < l->p->nsvcs; i++) {
		if (l->p->svcs[i].handle == lf->service)
			memcpy(f.service, l->p->svcs[i].name, LWFP_NAME_MAX);
	}
	return policy_add_filter(l->p, &f);
}

int policy_live(struct lwfp_engine *e, struct policy *p)
{
	struct live_ctx l = { .e = e, .p = p };
	int err;

	memset(p, 0, sizeof(*p));
	err = lwfp_service_foreach(e, live_service, p);
	if (!err)
		err = lwfp_filter_foreach(e, live_filter, &l);
	if (err)
		policy_free(p);
	return err;
}
