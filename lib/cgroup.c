// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * cgroup v2 paths. The v2 hierarchy is found from /proc/self/mounts rather
 * than assumed at /sys/fs/cgroup: hybrid hosts mount it at
 * /sys/fs/cgroup/unified.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mntent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>

#include <lwfp/engine.h>

#include "internal.h"

LWFP_API int lwfp_cgroup2_root(char *buf, size_t size)
{
	struct mntent *m;
	int err = -ENOENT;
	FILE *f;

	f = setmntent("/proc/self/mounts", "r");
	if (!f)
		return -errno;
	while ((m = getmntent(f))) {
		if (strcmp(m->mnt_type, "cgroup2"))
			continue;
		err = snprintf(buf, size, "%s", m->mnt_dir) >= (int)size ? -ENAMETOOLONG : 0;
		break;
	}
	endmntent(f);
	return err;
}

static bool on_cgroup2(const char *path)
{
	struct statfs sf;
	struct stat st;

	return !statfs(path, &sf) && sf.f_type == CGROUP2_SUPER_MAGIC && !stat(path, &st) &&
	       S_ISDIR(st.st_mode);
}

LWFP_API int lwfp_cgroup_resolve(const char *path, char *buf, size_t size)
{
	char root[PATH_MAX], joined[PATH_MAX], *real;
	int err;

	if (!path || !*path)
		path = "/";
	if (on_cgroup2(path)) {
		real = realpath(path, NULL);
	} else {
		err = lwfp_cgroup2_root(root, sizeof(root));
		if (err)
			return err;
		if (snprintf(joined, sizeof(joined), "%s/%s", root, path) >= (int)sizeof(joined))
			return -ENAMETOOLONG;
		if (!on_cgroup2(joined))
			return -ENOENT;
		real = realpath(joined, NULL);
	}
	if (!real)
		return -errno;
	err = snprintf(buf, size, "%s", real) >= (int)size ? -ENAMETOOLONG : 0;
	free(real);
	return err;
}

/* Depth below the v2 mount: the level bpf_get_current_ancestor_cgroup_id takes. */
static int cgroup_level(const char *path, uint32_t *level)
{
	char root[PATH_MAX];
	const char *rest;
	size_t rlen;
	uint32_t n = 0;
	int err;

	err = lwfp_cgroup2_root(root, sizeof(root));
	if (err)
		return err;
	rlen = strlen(root);
	if (strncmp(path, root, rlen) || (path[rlen] && path[rlen] != '/'))
		return -EINVAL;
	for (rest = path + rlen; *rest; rest++)
		if (*rest == '/' && rest[1] && rest[1] != '/')
			n++;
	*level = n;
	return 0;
}

LWFP_API int lwfp_cgroup_id(const char *path, uint64_t *id, uint32_t *level)
{
	char real[PATH_MAX];
	struct stat st;
	int err;

	err = lwfp_cgroup_resolve(path, real, sizeof(real));
	if (err)
		return err;
	/* On cgroup v2 the cgroup id is the directory's inode number. */
	if (stat(real, &st))
		return -errno;
	*id = st.st_ino;
	return cgroup_level(real, level);
}
