/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The path of a process's executable, checked against what the engine saw. */
#ifndef LWFP_INSPECT_EXE_H
#define LWFP_INSPECT_EXE_H

#include <stddef.h>
#include <stdint.h>

/*
 * The file the engine saw a process run, (dev, ino) from the context, named
 * by /proc/PID/exe. It is a name only while the process lives and runs that
 * file: -ESRCH when PID is gone (or is another process now, or in another
 * PID namespace than ours), -ENOENT when the file was unlinked or replaced
 * since (the link then says "(deleted)"), -ENAMETOOLONG past size.
 */
int exe_path(uint32_t pid, uint32_t dev, uint64_t ino, char *buf, size_t size);

#endif /* LWFP_INSPECT_EXE_H */
