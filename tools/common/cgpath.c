// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* cgroup ids to paths, and paths to containers; see cgpath.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <lwfp/engine.h>

#include "cgpath.h"

/* ---- containers ---------------------------------------------------------------------- */

static bool has_prefix(const char *s, size_t len, const char *p)
{
	size_t n = strlen(p);

	return len >= n && !memcmp(s, p, n);
}

static bool has_suffix(const char *s, size_t len, const char *x)
{
	size_t n = strlen(x);

	return len >= n && !memcmp(s + len - n, x, n);
}

/* Copies s[0..len) into id; a pod's UID is systemd-escaped with '_' for '-'. */
static bool take(const char *s, size_t len, bool pod, char *id, size_t size)
{
	size_t i;

	if (!len || len >= size)
		return false;
	for (i = 0; i < len; i++)
		id[i] = pod && s[i] == '_' ? '-' : s[i];
	id[len] = '\0';
	return true;
}

static const char *const scope_prefixes[] = {
	"docker-", "libpod-", "cri-containerd-", "crio-", "machine-",
};

/* NAME-ID.scope of a container engine or of systemd-machined. */
static bool scope_id(const char *c, size_t len, char *id, size_t size)
{
	size_t i, n;

	if (!has_suffix(c, len, ".scope") || has_prefix(c, len, "libpod-conmon-") ||
	    has_prefix(c, len, "crio-conmon-"))
		return false;
	for (i = 0; i < sizeof(scope_prefixes) / sizeof(scope_prefixes[0]); i++) {
		n = strlen(scope_prefixes[i]);
		if (has_prefix(c, len, scope_prefixes[i]))
			return take(c + n, len - n - strlen(".scope"), false, id, size);
	}
	return false;
}

/* kubepods-burstable-pod<UID>.slice (systemd) or pod<UID> (cgroupfs). */
static bool pod_id(const char *c, size_t len, bool in_kubepods, char *id, size_t size)
{
	const char *p;

	if (!in_kubepods)
		return false;
	if (has_suffix(c, len, ".slice")) {
		len -= strlen(".slice");
		for (p = c + len; p > c && !has_prefix(p, (size_t)(c + len - p), "-pod"); p--)
			;
		if (p == c)
			return false;
		p += strlen("-pod");
		return take(p, (size_t)(c + len - p), true, id, size);
	}
	return has_prefix(c, len, "pod") && take(c + 3, len - 3, true, id, size);
}

/* The component after /docker, /libpod or /lxc, or lxc.payload.NAME. */
static bool plain_id(const char *prev, size_t plen, const char *c, size_t len, char *id,
		     size_t size)
{
	if (has_prefix(c, len, "lxc.payload."))
		return take(c + 12, len - 12, false, id, size);
	if ((plen == 6 && !memcmp(prev, "docker", 6)) ||
	    (plen == 6 && !memcmp(prev, "libpod", 6)) || (plen == 3 && !memcmp(prev, "lxc", 3)))
		return take(c, len, false, id, size);
	return false;
}

bool cgroup_container(const char *path, char *id, size_t size)
{
	const char *c = path, *prev = "", *end;
	size_t len, plen = 0;
	bool found = false, kube = false;

	while (*c) {
		while (*c == '/')
			c++;
		end = strchr(c, '/');
		len = end ? (size_t)(end - c) : strlen(c);
		if (!len)
			break;
		if (has_prefix(c, len, "kubepods"))
			kube = true;
		if (scope_id(c, len, id, size) || pod_id(c, len, kube, id, size) ||
		    plain_id(prev, plen, c, len, id, size))
			found = true;
		prev = c;
		plen = len;
		c += len;
	}
	return found;
}

/* ---- cgroup paths -------------------------------------------------------------------- */

#define CACHE_SIZE 64

struct cache_entry {
	uint64_t id;
	char path[CGPATH_MAX];
};

/* Per worker thread: no lock on the log's path. */
static __thread struct cache_entry cache[CACHE_SIZE];
static __thread unsigned int cache_next;

static pthread_once_t root_once = PTHREAD_ONCE_INIT;
static char root[PATH_MAX];
static int root_fd = -1;

static void open_root(void)
{
	if (lwfp_cgroup2_root(root, sizeof(root)))
		return;
	root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/*
 * A kernfs file handle is the 64-bit id itself (FILEID_KERNFS), so the
 * cgroup opens by id; its path is then the link of its descriptor.
 */
static int resolve(uint64_t id, char *buf, size_t size)
{
	struct {
		struct file_handle fh;
		uint64_t id;
	} h = { .fh = { .handle_bytes = sizeof(uint64_t), .handle_type = 0xfe } };
	char link[64], target[PATH_MAX];
	size_t rlen = strlen(root);
	ssize_t n;
	int fd;

	memcpy(h.fh.f_handle, &id, sizeof(id));
	fd = open_by_handle_at(root_fd, &h.fh, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ESTALE ? -ENOENT : -errno;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	close(fd);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	if (strncmp(target, root, rlen) || (target[rlen] && target[rlen] != '/'))
		return -ENOENT;
	if (snprintf(buf, size, "%s", target[rlen] ? target + rlen : "/") >= (int)size)
		return -ENAMETOOLONG;
	return 0;
}

int cgpath_get(uint64_t id, char *buf, size_t size)
{
	struct cache_entry *e;
	unsigned int i;
	int err;

	if (!id)
		return -ENOENT;
	for (i = 0; i < CACHE_SIZE; i++) {
		if (cache[i].id == id) {
			snprintf(buf, size, "%s", cache[i].path);
			return 0;
		}
	}
	pthread_once(&root_once, open_root);
	if (root_fd < 0)
		return -ENOENT;
	e = &cache[cache_next++ % CACHE_SIZE];
	err = resolve(id, e->path, sizeof(e->path));
	if (err) {
		e->id = 0;
		return err;
	}
	e->id = id;
	snprintf(buf, size, "%s", e->path);
	return 0;
}
