/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Where lwfp-inspect runs. Its socket queries work only inside the cgroup
 * subtree the engine is attached to (lwfp_engine_check_self), so at start
 * it either moves itself there (--cgroup-join PATH, relative to the
 * engine's cgroup, created when missing) or checks that it already is, and
 * otherwise refuses to start rather than break every flow sent to it.
 */
#ifndef LWFP_INSPECT_PLACE_H
#define LWFP_INSPECT_PLACE_H

#include <stddef.h>

#include <lwfp/engine.h>

/* Whether PATH is a relative cgroup path without "." or ".." parts. */
int place_join_valid(const char *path);
/* Moves this process into the engine's cgroup/PATH: 0 or -errno, err set. */
int place_join(const struct lwfp_engine *e, const char *path, char *err, size_t size);
/* 0 when inside the engine's subtree; -EXDEV or -errno with err set. */
int place_check(const struct lwfp_engine *e, char *err, size_t size);

#endif /* LWFP_INSPECT_PLACE_H */
