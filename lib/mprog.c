// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * BPF_LINK_CREATE with the 6.17 attributes, through the raw syscall since
 * libbpf 1.1.2 cannot pass a relative id (mprog.h). Below features.c,
 * which probes for it, and order.c, which places links with it.
 */
#include <errno.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/bpf.h>

#include "mprog.h"

int mprog_link_create(int prog_fd, int cg_fd, enum bpf_attach_type type, uint32_t flags,
		      uint32_t relative_id)
{
	struct mprog_link_create attr = {
		.prog_fd = prog_fd,
		.target_fd = cg_fd,
		.attach_type = type,
		.flags = flags,
		.relative_id = relative_id,
	};
	long fd;

	fd = syscall(__NR_bpf, BPF_LINK_CREATE, &attr, sizeof(attr));
	return fd < 0 ? -errno : (int)fd;
}
