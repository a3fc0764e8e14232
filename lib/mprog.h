/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Ordering of cgroup programs (the "mprog" API). Linux 6.17 lets a cgroup
 * link be created first, last, or before/after a given program on its
 * cgroup (BPF_F_BEFORE, BPF_F_AFTER, BPF_F_ID; BPF_F_PREORDER since 6.15
 * for plain attach, with links since 6.17). Debian's linux-libc-dev 6.1
 * and libbpf 1.1.2 predate all of it: the flags and the link_create
 * layout are spelled here, once, with the values of the kernel's UAPI, and
 * the link is created with the raw syscall (libbpf 1.1.2's
 * bpf_link_create_opts has no relative id for cgroups).
 */
#pragma once

#include <stdint.h>

#include <linux/bpf.h>

#ifndef BPF_F_BEFORE
#define BPF_F_BEFORE (1U << 3)
#endif
#ifndef BPF_F_AFTER
#define BPF_F_AFTER (1U << 4)
#endif
#ifndef BPF_F_ID
#define BPF_F_ID (1U << 5)
#endif
#ifndef BPF_F_PREORDER
#define BPF_F_PREORDER (1U << 6)
#endif
/* The relative object is a link (an enum constant from 6.6, as a macro too). */
#ifndef BPF_F_LINK
#define BPF_F_LINK (1U << 13)
#endif

/*
 * BPF_LINK_CREATE's attributes for a cgroup target, as in the 6.17 UAPI:
 * link_create.cgroup.{relative_id, expected_revision} sit where 6.1's
 * union starts (after flags). A kernel older than 6.17 reads the first four
 * fields and refuses any flag with EINVAL.
 */
struct mprog_link_create {
	uint32_t prog_fd;
	uint32_t target_fd;
	uint32_t attach_type;
	uint32_t flags;
	uint32_t relative_id; /* with BPF_F_ID: a program id, or with BPF_F_LINK a link id */
	uint32_t pad;
	uint64_t expected_revision; /* 0: any */
};

/* A new link's fd, or -errno. */
int mprog_link_create(int prog_fd, int cg_fd, enum bpf_attach_type type, uint32_t flags,
		      uint32_t relative_id);
/* 1 when BPF_LINK_CREATE takes BPF_F_BEFORE/AFTER for cgroups (features.c). */
int mprog_supported(void);
/*
 * BPF_LINK_CREATE's flags and relative id for our program at `type` of the
 * cgroup cg_fd: before or after the anchor (a program id, 0 for none) where
 * it is attached, else first; plain append on kernels before 6.17, which
 * refuse an anchor (-EOPNOTSUPP). order.c.
 */
int order_flags(int cg_fd, enum bpf_attach_type type, uint32_t before, uint32_t after,
		uint32_t *flags, uint32_t *rel);
