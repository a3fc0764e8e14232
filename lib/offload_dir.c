// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The state of each direction of an offloaded flow (lwfp_offload_dir,
 * bpf/offload.h): written here once at the hand-over, then by the verdict
 * alone; read back for the proxy by lwfp_offload_spill().
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include <lwfp/engine.h>
#include <lwfp/lwfp.h>

#include "internal.h"
#include "opts.h"

/* A socket map answers a lookup from user space only for a socket in it. */
static bool in_map(int map, uint64_t key)
{
	uint64_t cookie;

	return !bpf_map_lookup_elem(map, &key, &cookie) || errno != ENOENT;
}

/*
 * Entries stay when their socket closes (bpf/offload.h). When the map is
 * full, those whose key is in neither socket map go. A hand-over in
 * progress elsewhere has its keys in lwfp_offload_tx (each socket under its
 * peer's cookie) before it writes its entries, so those stay.
 */
static void dir_sweep(int dir, int tx, int rx)
{
	uint64_t key, next;
	bool more;

	more = !bpf_map_get_next_key(dir, NULL, &next);
	while (more) {
		key = next;
		more = !bpf_map_get_next_key(dir, &key, &next);
		if (!in_map(rx, key) && !in_map(tx, key))
			bpf_map_delete_elem(dir, &key);
	}
}

int offload_dir_put(int dir, int tx, int rx, uint64_t cookie, uint32_t max_queue)
{
	struct lwfp_offload_dir d = { .max_queue = max_queue };

	if (!bpf_map_update_elem(dir, &cookie, &d, BPF_ANY))
		return 0;
	if (errno != E2BIG)
		return -errno;
	dir_sweep(dir, tx, rx);
	return bpf_map_update_elem(dir, &cookie, &d, BPF_ANY) ? -errno : 0;
}

void offload_dir_del(int dir, uint64_t cookie)
{
	bpf_map_delete_elem(dir, &cookie);
}

static int socket_cookie(int fd, uint64_t *cookie)
{
	socklen_t len = sizeof(*cookie);

	return getsockopt(fd, SOL_SOCKET, SO_COOKIE, cookie, &len) ? -errno : 0;
}

LWFP_API int lwfp_offload_spill(int src, struct lwfp_offload_spill *st,
				const struct lwfp_offload_opts *opts)
{
	struct lwfp_offload_dir d;
	const char *pin_dir;
	uint64_t cookie;
	int dir, err;

	if (!st || !OPTS_VALID(opts, lwfp_offload_opts))
		return -EINVAL;
	err = socket_cookie(src, &cookie);
	if (err)
		return err;
	pin_dir = OPTS_GET(opts, pin_dir, NULL);
	dir = map_open(pin_dir ? pin_dir : lwfp_default_pin_dir(), MAP_OFFLOAD_DIR);
	if (dir < 0)
		return dir == -ENOENT ? -EOPNOTSUPP : dir;
	err = bpf_map_lookup_elem(dir, &cookie, &d) ? -errno : 0;
	close(dir);
	if (err)
		return err;
	*st = (struct lwfp_offload_spill){
		.sent = d.sent,
		.spilled = d.spilled,
		.holding = d.spilling,
	};
	return 0;
}
