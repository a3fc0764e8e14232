// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Kernel features the data plane needs, probed by name, so that an old
 * kernel fails with "needs bpf_loop (Linux 5.17)" rather than a verifier log.
 */
#include <errno.h>
#include <stdio.h>

#include <bpf/libbpf.h>

#include <lwfp/engine.h>

#include "internal.h"

struct helper_need {
	enum bpf_prog_type prog;
	enum bpf_func_id helper;
	const char *what;
};

static const struct helper_need helpers[] = {
	{ BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_FUNC_loop, "the bpf_loop helper (Linux 5.17)" },
	{ BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_FUNC_sk_storage_get,
	  "socket storage in cgroup connect programs (Linux 5.10)" },
	{ BPF_PROG_TYPE_CGROUP_SOCKOPT, BPF_FUNC_set_retval, "bpf_set_retval (Linux 5.19)" },
	{ BPF_PROG_TYPE_CGROUP_SOCKOPT, BPF_FUNC_get_current_ancestor_cgroup_id,
	  "cgroup helpers in sockopt programs (Linux 6.1)" },
	{ BPF_PROG_TYPE_SOCK_OPS, BPF_FUNC_sk_storage_get, "socket storage in sockops (Linux 5.3)" },
};

LWFP_API int lwfp_kernel_check(char *missing, size_t size)
{
	size_t i;

	if (libbpf_probe_bpf_map_type(BPF_MAP_TYPE_SK_STORAGE, NULL) != 1) {
		snprintf(missing, size, "BPF socket storage maps (Linux 5.2)");
		return -EOPNOTSUPP;
	}
	if (libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) != 1) {
		snprintf(missing, size, "BPF ring buffers (Linux 5.8)");
		return -EOPNOTSUPP;
	}
	for (i = 0; i < sizeof(helpers) / sizeof(helpers[0]); i++) {
		if (libbpf_probe_bpf_helper(helpers[i].prog, helpers[i].helper, NULL) == 1)
			continue;
		snprintf(missing, size, "%s", helpers[i].what);
		return -EOPNOTSUPP;
	}
	return 0;
}
