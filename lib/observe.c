// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Reading the engine: live flows and counters (monitor.c: events). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <lwfp/engine.h>

#include "internal.h"

LWFP_API int lwfp_flow_foreach(struct lwfp_engine *e,
			       int (*cb)(uint64_t token, const struct lwfp_flow_info *f, void *ctx),
			       void *ctx)
{
	struct lwfp_flow_info info;
	uint64_t key, next;
	struct lwfp_flow f;
	void *prev = NULL;
	int err;

	while (!bpf_map_get_next_key(e->flows_fd, prev, &next)) {
		key = next;
		prev = &key;
		/* A flow that closed between the two calls is simply gone. */
		if (bpf_map_lookup_elem(e->flows_fd, &key, &f))
			continue;
		flow_info(&info, &f);
		err = cb(key, &info, ctx);
		if (err)
			return err;
	}
	return errno == ENOENT ? 0 : -errno;
}

LWFP_API int lwfp_counters_read(struct lwfp_engine *e, uint64_t *out, size_t n)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t *vals;
	uint32_t i;
	int c;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	memset(out, 0, n * sizeof(*out));
	for (i = 0; i < n && i < LWFP_CNT__MAX; i++) {
		if (bpf_map_lookup_elem(e->counters_fd, &i, vals)) {
			free(vals);
			return -errno;
		}
		for (c = 0; c < ncpu; c++)
			out[i] += vals[c];
	}
	free(vals);
	return 0;
}

LWFP_API const char *lwfp_counter_name(enum lwfp_counter c)
{
	static const char *const names[] = LWFP_COUNTER_NAMES;

	if ((unsigned int)c >= sizeof(names) / sizeof(names[0]))
		return "unknown";
	return names[c];
}
