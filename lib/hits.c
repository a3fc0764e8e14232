// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Per-filter hit counters: per CPU in the data plane, summed here. */
#include <errno.h>
#include <stdlib.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <lwfp/engine.h>

#include "internal.h"

static struct lwfp_filter_hits *hits_alloc(int *ncpu)
{
	*ncpu = libbpf_num_possible_cpus();
	if (*ncpu <= 0) {
		errno = *ncpu ? -*ncpu : EINVAL;
		return NULL;
	}
	return calloc(*ncpu, sizeof(struct lwfp_filter_hits));
}

/* Zeros, not a delete: a new filter starts at 0 even if its id was used before. */
int hits_reset(struct lwfp_engine *e, uint32_t id)
{
	struct lwfp_filter_hits *vals;
	int ncpu, err = 0;

	vals = hits_alloc(&ncpu);
	if (!vals)
		return -errno;
	if (bpf_map_update_elem(e->filter_hits_fd, &id, vals, BPF_ANY))
		err = -errno;
	free(vals);
	return err;
}

void hits_drop(struct lwfp_engine *e, uint32_t id)
{
	bpf_map_delete_elem(e->filter_hits_fd, &id);
}

LWFP_API int lwfp_filter_hits(struct lwfp_engine *e, uint32_t id, struct lwfp_hits *out)
{
	struct lwfp_filter_hits *vals;
	int ncpu, c, err = 0;

	if (!e || !out)
		return -EINVAL;
	*out = (struct lwfp_hits){ 0 };
	vals = hits_alloc(&ncpu);
	if (!vals)
		return -errno;
	if (bpf_map_lookup_elem(e->filter_hits_fd, &id, vals)) {
		/* A filter added before its counter existed simply has none. */
		err = errno == ENOENT ? 0 : -errno;
		ncpu = 0;
	}
	for (c = 0; c < ncpu; c++) {
		out->matched += vals[c].matched;
		out->redirected += vals[c].redirected;
		out->refused += vals[c].refused;
	}
	free(vals);
	return err;
}
