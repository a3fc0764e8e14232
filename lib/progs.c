// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The programs attached to a cgroup, as BPF_PROG_QUERY and the info calls say. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "internal.h"
#include "progs.h"

const struct cg_hook cg_hooks[] = {
	{ BPF_CGROUP_INET4_CONNECT, "connect4" },	{ BPF_CGROUP_INET6_CONNECT, "connect6" },
	{ BPF_CGROUP_UDP4_SENDMSG, "sendmsg4" },	{ BPF_CGROUP_UDP6_SENDMSG, "sendmsg6" },
	{ BPF_CGROUP_UDP4_RECVMSG, "recvmsg4" },	{ BPF_CGROUP_UDP6_RECVMSG, "recvmsg6" },
	{ BPF_CGROUP_INET4_GETPEERNAME, "getpeername4" },
	{ BPF_CGROUP_INET6_GETPEERNAME, "getpeername6" },
	{ BPF_CGROUP_INET4_GETSOCKNAME, "getsockname4" },
	{ BPF_CGROUP_INET6_GETSOCKNAME, "getsockname6" },
	{ BPF_CGROUP_INET4_BIND, "bind4" },		{ BPF_CGROUP_INET6_BIND, "bind6" },
	{ BPF_CGROUP_INET4_POST_BIND, "post_bind4" },	{ BPF_CGROUP_INET6_POST_BIND, "post_bind6" },
	{ BPF_CGROUP_INET_SOCK_RELEASE, "sock_release" },
	{ BPF_CGROUP_SOCK_OPS, "sock_ops" },
	{ BPF_CGROUP_GETSOCKOPT, "getsockopt" },	{ BPF_CGROUP_SETSOCKOPT, "setsockopt" },
};
const size_t cg_nhooks = sizeof(cg_hooks) / sizeof(cg_hooks[0]);

const char *cg_hook_name(enum bpf_attach_type type)
{
	size_t i;

	for (i = 0; i < cg_nhooks; i++)
		if (cg_hooks[i].type == type)
			return cg_hooks[i].name;
	return "unknown";
}

int cg_query(int cg_fd, enum bpf_attach_type type, bool effective, uint32_t *ids,
	     uint32_t *flags, uint32_t *n)
{
	LIBBPF_OPTS(bpf_prog_query_opts, q, .prog_ids = ids, .prog_cnt = CG_MAX_PROGS);

	/* The kernel refuses per-program flags with an effective query. */
	if (effective)
		q.query_flags = BPF_F_QUERY_EFFECTIVE;
	else
		q.prog_attach_flags = flags;
	if (bpf_prog_query_opts(cg_fd, type, &q))
		return -errno;
	*n = q.prog_cnt;
	return 0;
}

int prog_describe(uint32_t id, char name[16], char tag[17])
{
	struct bpf_prog_info info = {};
	uint32_t len = sizeof(info);
	int fd, err = 0, i;

	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0)
		return -errno;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		err = -errno;
	close(fd);
	if (err)
		return err;
	snprintf(name, 16, "%s", info.name);
	for (i = 0; tag && i < BPF_TAG_SIZE; i++)
		snprintf(tag + 2 * i, 3, "%02x", info.tag[i]);
	return 0;
}

int pinned_link_prog(const char *pin_dir, const char *name, uint32_t *prog_id,
		     enum bpf_attach_type *type, uint32_t *link_id)
{
	struct bpf_link_info info = {};
	uint32_t len = sizeof(info);
	int fd, err = 0;

	fd = pin_open(pin_dir, name);
	if (fd < 0)
		return fd;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		err = -errno;
	close(fd);
	if (err)
		return err;
	*prog_id = info.prog_id;
	if (type)
		*type = info.cgroup.attach_type;
	if (link_id)
		*link_id = info.id;
	return 0;
}

/* The program a pinned object stands for: a program, or a link's program. */
int pinned_prog_id(const char *path, uint32_t *id)
{
	char fdpath[64], kind[64];
	struct bpf_link_info li = {};
	struct bpf_prog_info pi = {};
	uint32_t len;
	ssize_t n;
	int fd, err = 0;

	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	/* Whether it is a link or a program shows in the fd's inode name. */
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
	n = readlink(fdpath, kind, sizeof(kind) - 1);
	kind[n > 0 ? n : 0] = 0;
	if (strstr(kind, "link")) {
		len = sizeof(li);
		err = bpf_obj_get_info_by_fd(fd, &li, &len) ? -errno : 0;
		*id = li.prog_id;
	} else if (strstr(kind, "prog")) {
		len = sizeof(pi);
		err = bpf_obj_get_info_by_fd(fd, &pi, &len) ? -errno : 0;
		*id = pi.id;
	} else {
		err = -EINVAL; /* a map */
	}
	close(fd);
	return err;
}

int walk_tree(const char *dir, int depth, int (*fn)(const char *path, bool is_dir, void *arg),
	      void *arg)
{
	char path[PATH_MAX];
	struct dirent *d;
	bool is_dir;
	DIR *dp;
	int r = 0;

	if (depth <= 0 || !(dp = opendir(dir)))
		return 0;
	while (!r && (d = readdir(dp))) {
		if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, d->d_name) >= (int)sizeof(path))
			continue;
		is_dir = d->d_type == DT_DIR;
		r = fn(path, is_dir, arg);
		if (!r && is_dir)
			r = walk_tree(path, depth - 1, fn, arg);
	}
	closedir(dp);
	return r;
}

uint32_t cg_link_id(int cg_fd, enum bpf_attach_type type, uint32_t prog_id)
{
	struct bpf_link_info info;
	uint32_t id = 0, len, found = 0;
	struct stat st;
	int fd;

	/* A cgroup's id is its directory's inode number. */
	if (fstat(cg_fd, &st))
		return 0;
	while (!found && !bpf_link_get_next_id(id, &id)) {
		fd = bpf_link_get_fd_by_id(id);
		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		len = sizeof(info);
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) && info.type == BPF_LINK_TYPE_CGROUP &&
		    info.prog_id == prog_id && info.cgroup.attach_type == type &&
		    info.cgroup.cgroup_id == st.st_ino)
			found = info.id;
		close(fd);
	}
	return found;
}

bool str_copy(char *dst, size_t size, const char *src)
{
	return snprintf(dst, size, "%s", src) < (int)size;
}
