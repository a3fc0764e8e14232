/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The network namespace of the calling process, as its inode number: what
 * `stat -L -c %i /proc/PID/ns/net` prints and what an operator can name,
 * unlike the cookie. The kernel has no helper for it, so it is read through
 * the task with CO-RE: these partial types are matched by name against the
 * running kernel's BTF when libbpf loads the programs.
 */
#pragma once

#include "common.h"

struct ns_common___lwfp {
	unsigned int inum;
} __attribute__((preserve_access_index));

struct net___lwfp {
	struct ns_common___lwfp ns;
} __attribute__((preserve_access_index));

struct nsproxy___lwfp {
	struct net___lwfp *net_ns;
} __attribute__((preserve_access_index));

struct task_struct___lwfp {
	struct nsproxy___lwfp *nsproxy;
} __attribute__((preserve_access_index));

/*
 * 0 when it cannot be read (a task that is exiting has no nsproxy). Plain
 * loads through the BTF pointer of the task, not bpf_probe_read_kernel():
 * the JIT makes each one a load that reads 0 where the pointer is NULL,
 * where a helper call costs tens of nanoseconds per step.
 */
static __always_inline __u32 netns_current_ino(void)
{
	struct task_struct___lwfp *t = (void *)bpf_get_current_task_btf();

	return t->nsproxy->net_ns->ns.inum;
}
