/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The executable of the calling process and of its parent, as a file's
 * identity (inode number and device), not a name: comm is whatever a
 * process calls itself, and a path can be replaced. The kernel has no
 * helper for it, so it is read through the task with CO-RE, as netns.h
 * reads the namespace; these partial types are matched by name against the
 * running kernel's BTF when libbpf loads the programs.
 */
#pragma once

#include "common.h"

struct super_block___lwfp_exe {
	__u32 s_dev; /* dev_t: the kernel's encoding, major << 20 | minor */
} __attribute__((preserve_access_index));

struct inode___lwfp_exe {
	unsigned long i_ino;
	struct super_block___lwfp_exe *i_sb;
} __attribute__((preserve_access_index));

struct file___lwfp_exe {
	struct inode___lwfp_exe *f_inode;
} __attribute__((preserve_access_index));

struct mm_struct___lwfp_exe {
	struct file___lwfp_exe *exe_file;
} __attribute__((preserve_access_index));

struct task_struct___lwfp_exe {
	int tgid;
	struct mm_struct___lwfp_exe *mm;
	struct task_struct___lwfp_exe *real_parent;
} __attribute__((preserve_access_index));

/*
 * The executable of a task, or zeros for NULL. Plain loads through BTF
 * pointers (netns.h says why), and without a branch on purpose: a NULL at
 * any step reads as 0, so the remaining loads read 0 too, and a branch
 * here would split the verifier's states for the whole walk that follows
 * (connect6 went from 285k to 538k instructions with one).
 */
static __always_inline void exe_of_task(const struct task_struct___lwfp_exe *task, __u64 *ino,
					__u32 *dev)
{
	const struct inode___lwfp_exe *inode = task->mm->exe_file->f_inode;

	*ino = inode->i_ino;
	*dev = inode->i_sb->s_dev;
}

static __always_inline const struct task_struct___lwfp_exe *exe_current(void)
{
	return (const void *)bpf_get_current_task_btf();
}

/* The caller's executable, its parent's tgid and the parent's executable. */
static __always_inline void exe_current_parent(__u64 *ino, __u32 *dev, __u32 *ppid,
					       __u64 *pino, __u32 *pdev)
{
	const struct task_struct___lwfp_exe *t = exe_current(), *p = t->real_parent;

	exe_of_task(t, ino, dev);
	*ppid = p->tgid;
	exe_of_task(p, pino, pdev);
}
