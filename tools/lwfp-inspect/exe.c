// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The kernel gives the engine a file's identity, not a path (a path is not
 * something the cgroup hooks can compute), so the proxy names the file from
 * /proc while the application still runs: at accept time, while it waits for
 * its connection.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lwfp/engine.h>

#include "exe.h"

#define DELETED " (deleted)"

int exe_path(uint32_t pid, uint32_t dev, uint64_t ino, char *buf, size_t size)
{
	char link[32];
	struct stat st;
	size_t dl = strlen(DELETED);
	ssize_t n;

	if (!pid || !ino || size < 2)
		return -EINVAL;
	snprintf(link, sizeof(link), "/proc/%u/exe", pid);
	/* stat follows the link to the very file the process runs. */
	if (stat(link, &st) || st.st_ino != ino || lwfp_kernel_dev(st.st_dev) != dev)
		return -ESRCH;
	n = readlink(link, buf, size);
	if (n < 0)
		return -ESRCH;
	if ((size_t)n >= size)
		return -ENAMETOOLONG;
	buf[n] = 0;
	if ((size_t)n > dl && !strcmp(buf + n - dl, DELETED))
		return -ENOENT;
	/* The log is UTF-8 JSON: a byte outside printable ASCII shows as '?'. */
	for (; n > 0; n--)
		if (buf[n - 1] < 0x20 || buf[n - 1] >= 0x7f)
			buf[n - 1] = '?';
	return 0;
}
