// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * --app filters: a path resolved to the file's identity as the kernel sees
 * it (inode number and device), the path kept for listings, and the
 * refresh that follows the path when a package upgrade puts a new file
 * (a new inode) there.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <bpf/bpf.h>

#include <lwfp/engine.h>

#include "internal.h"

/*
 * stat() reports st_dev in the user-space encoding; the data plane reads
 * super_block.s_dev, the kernel's own (MKDEV: 20 bits of minor).
 */
LWFP_API uint32_t lwfp_kernel_dev(uint64_t st_dev)
{
	return (uint32_t)(major(st_dev) << 20) | (minor(st_dev) & 0xfffff);
}

LWFP_API int lwfp_app_id(const char *path, uint32_t *dev, uint64_t *ino)
{
	struct stat st;

	if (!path || path[0] != '/' || strlen(path) >= LWFP_APP_PATH_MAX)
		return -EINVAL;
	if (stat(path, &st))
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -ENOEXEC;
	*dev = lwfp_kernel_dev(st.st_dev);
	*ino = st.st_ino;
	return 0;
}

/* Fills slot 0 of an --app filter from its path; the caller checked the path. */
int app_resolve(struct lwfp_filter *f, const char *path)
{
	uint32_t dev;
	uint64_t ino;
	int err;

	err = lwfp_app_id(path, &dev, &ino);
	if (err)
		return err;
	memset(f->app_ino, 0, sizeof(f->app_ino));
	memset(f->app_dev, 0, sizeof(f->app_dev));
	f->app_ino[0] = ino;
	f->app_dev[0] = dev;
	f->conds |= LWFP_COND_APP;
	return 0;
}

int app_store(struct lwfp_engine *e, uint32_t id, const char *path)
{
	struct lwfp_filter_app a = {};

	if (!path)
		return 0;
	snprintf(a.path, sizeof(a.path), "%s", path);
	return bpf_map_update_elem(e->filter_app_fd, &id, &a, BPF_ANY) ? -errno : 0;
}

LWFP_API int lwfp_filter_app(struct lwfp_engine *e, uint32_t id, char *buf, size_t size)
{
	struct lwfp_filter_app a;

	if (!e || !buf || !size)
		return -EINVAL;
	if (bpf_map_lookup_elem(e->filter_app_fd, &id, &a))
		return -errno;
	a.path[sizeof(a.path) - 1] = 0;
	if (strlen(a.path) >= size)
		return -ERANGE;
	strcpy(buf, a.path);
	return 0;
}

/*
 * One filter against its path now: 1 when the path names another file,
 * which takes slot 0 while the file it replaced moves to slot 1, so that
 * processes still running the old binary keep matching. A path that is
 * gone (between an unlink and the new file's rename) leaves the filter.
 */
static int app_follow(struct lwfp_engine *e, struct lwfp_filter *f)
{
	struct lwfp_filter_app a;
	uint32_t dev;
	uint64_t ino;

	if (!(f->conds & LWFP_COND_APP) || bpf_map_lookup_elem(e->filter_app_fd, &f->id, &a))
		return 0;
	a.path[sizeof(a.path) - 1] = 0;
	if (lwfp_app_id(a.path, &dev, &ino))
		return 0;
	if (ino == f->app_ino[0] && dev == f->app_dev[0])
		return 0;
	f->app_ino[1] = f->app_ino[0];
	f->app_dev[1] = f->app_dev[0];
	f->app_ino[0] = ino;
	f->app_dev[0] = dev;
	return 1;
}

static int refresh_locked(struct lwfp_engine *e, uint32_t *changed)
{
	struct lwfp_filter *fs;
	uint32_t n, i;
	int err;

	err = filters_load(e, &fs, &n);
	if (err)
		return err;
	*changed = 0;
	for (i = 0; i < n; i++)
		*changed += app_follow(e, &fs[i]);
	if (*changed)
		err = filters_publish(e, fs, n);
	free(fs);
	return err;
}

LWFP_API int lwfp_filter_refresh(struct lwfp_engine *e, uint32_t *changed)
{
	uint32_t dummy;
	int err;

	if (!e)
		return -EINVAL;
	err = engine_lock(e);
	if (err)
		return err;
	err = refresh_locked(e, changed ? changed : &dummy);
	engine_unlock(e);
	return err;
}
