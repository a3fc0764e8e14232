/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Who opened a flow, for the log: the path of the application's cgroup
 * (from the context's origin_cgroup_id) and the container it names.
 */
#ifndef LWFP_INSPECT_CGPATH_H
#define LWFP_INSPECT_CGPATH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CGPATH_MAX 512
#define CONTAINER_ID_MAX 128

/*
 * The path of cgroup v2 id, relative to the v2 mount ("/" for the root,
 * "/a/b" below it), into buf. Cached per thread: a cgroup id is never
 * reused. 0, or -errno (-ENOENT for a cgroup that is gone).
 */
int cgpath_get(uint64_t id, char *buf, size_t size);

/*
 * The container a cgroup path names, into id; false when none. The
 * innermost match wins:
 *   docker-ID.scope, libpod-ID.scope, cri-containerd-ID.scope,
 *   crio-ID.scope                                    -> ID
 *   /docker/ID, /libpod/ID (cgroupfs drivers)        -> ID
 *   ...kubepods...-podUID.slice, /kubepods/.../podUID -> UID (a pod)
 *   machine-NAME.scope (systemd-nspawn), /lxc/NAME, lxc.payload.NAME -> NAME
 * libpod-conmon-ID.scope is podman's monitor, not the container: none.
 */
bool cgroup_container(const char *path, char *id, size_t size);

#endif /* LWFP_INSPECT_CGPATH_H */
