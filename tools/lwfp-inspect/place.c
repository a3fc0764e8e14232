// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* lwfp-inspect's place in the cgroup tree: --cgroup-join and the check. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "place.h"

int place_join_valid(const char *path)
{
	const char *p = path;
	size_t n;

	if (!*path || *path == '/')
		return 0;
	for (; *p; p += n + (p[n] == '/')) {
		n = strcspn(p, "/");
		if (!n || (n == 1 && p[0] == '.') || (n == 2 && !strncmp(p, "..", 2)))
			return 0;
	}
	return 1;
}

/* mkdir -p of dir/rel, inside dir only (rel is valid). */
static int make_path(const char *dir, const char *rel, char *out, size_t size)
{
	size_t n = strlen(dir);
	const char *p = rel;

	if (snprintf(out, size, "%s/%s", dir, rel) >= (int)size)
		return -ENAMETOOLONG;
	for (;;) {
		p += strcspn(p, "/");
		out[n + 1 + (size_t)(p - rel)] = '\0';
		if (mkdir(out, 0755) && errno != EEXIST)
			return -errno;
		if (!*p)
			return 0;
		out[n + 1 + (size_t)(p - rel)] = '/';
		p++;
	}
}

int place_join(const struct lwfp_engine *e, const char *path, char *err, size_t size)
{
	char dir[PATH_MAX], procs[PATH_MAX + 16];
	int fd, ret;

	ret = make_path(lwfp_engine_cgroup(e), path, dir, sizeof(dir));
	if (!ret && snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir) >= (int)sizeof(procs))
		ret = -ENAMETOOLONG;
	if (!ret) {
		fd = open(procs, O_WRONLY | O_CLOEXEC);
		/* "0" moves the writer's whole thread group. */
		ret = fd < 0 ? -errno : write(fd, "0", 1) == 1 ? 0 : -errno;
		if (fd >= 0)
			close(fd);
	}
	if (ret)
		snprintf(err, size, "--cgroup-join %s: cannot move into %s/%s: %s", path,
			 lwfp_engine_cgroup(e), path, strerror(-ret));
	return ret;
}

int place_check(const struct lwfp_engine *e, char *err, size_t size)
{
	char self[PATH_MAX];
	int ret;

	ret = lwfp_engine_check_self(e);
	if (ret == -EXDEV && !lwfp_cgroup_self(self, sizeof(self)))
		snprintf(err, size,
			 "this process is in cgroup %s, outside the engine's cgroup %s, where its "
			 "socket queries fail and every redirected flow would break: run it in a "
			 "cgroup under %s, or use --cgroup-join NAME",
			 self, lwfp_engine_cgroup(e), lwfp_engine_cgroup(e));
	else if (ret)
		snprintf(err, size, "cannot tell whether this process is in the engine's cgroup "
			 "%s: %s", lwfp_engine_cgroup(e), strerror(-ret));
	return ret;
}
