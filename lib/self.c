// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Where the calling process sits against the engine. A proxy's socket
 * queries are the engine's getsockopt hook, and the kernel runs it only for
 * processes inside the cgroup subtree the engine is attached to: outside,
 * every query fails with EOPNOTSUPP and every redirected flow breaks.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <lwfp/engine.h>

#include "internal.h"

/* The "0::PATH" line of /proc/self/cgroup: the process's cgroup v2 path. */
static int self_relative(char *buf, size_t size)
{
	char line[PATH_MAX + 8];
	int err = -ENOENT;
	FILE *f;

	f = fopen("/proc/self/cgroup", "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3))
			continue;
		line[strcspn(line, "\n")] = '\0';
		err = snprintf(buf, size, "%s", line + 3) >= (int)size ? -ENAMETOOLONG : 0;
		break;
	}
	fclose(f);
	return err;
}

LWFP_API int lwfp_cgroup_self(char *buf, size_t size)
{
	char rel[PATH_MAX];
	int err;

	err = self_relative(rel, sizeof(rel));
	if (err)
		return err;
	/* Relative to the v2 mount, whatever the leading slash says. */
	return lwfp_cgroup_resolve(rel[0] == '/' && rel[1] ? rel + 1 : rel, buf, size);
}

/* Is path the cgroup dir or below it? Both are resolved absolute paths. */
static bool cgroup_within(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	while (n > 1 && dir[n - 1] == '/')
		n--;
	return !strncmp(path, dir, n) && (path[n] == '\0' || path[n] == '/' || dir[n - 1] == '/');
}

LWFP_API int lwfp_engine_check_self(const struct lwfp_engine *e)
{
	char self[PATH_MAX];
	int err;

	if (!e)
		return -EINVAL;
	err = lwfp_cgroup_self(self, sizeof(self));
	if (err)
		return err;
	return cgroup_within(self, e->cgroup) ? 0 : -EXDEV;
}
