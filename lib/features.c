// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Kernel features the data plane needs, probed by name, so that an old
 * kernel fails with "needs bpf_loop (Linux 5.17)" rather than a verifier log.
 * One row per hook, map type and helper of docs/kernel.md; the first row
 * that fails is the one named.
 */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <lwfp/engine.h>

#include "internal.h"
#include "mprog.h"

enum need_kind { NEED_MAP, NEED_ATTACH, NEED_HELPER };

struct kernel_need {
	enum need_kind kind;
	enum bpf_prog_type prog;
	int what; /* map type, attach type or helper */
	const char *name;
};

#define MAP(t, n) { NEED_MAP, 0, BPF_MAP_TYPE_##t, n }
#define ATTACH(p, a, n) { NEED_ATTACH, BPF_PROG_TYPE_##p, BPF_##a, n }
#define HELPER(p, h, n) { NEED_HELPER, BPF_PROG_TYPE_##p, BPF_FUNC_##h, n }

static const struct kernel_need needs[] = {
	MAP(HASH, "BPF hash maps (Linux 3.19)"),
	MAP(PERCPU_ARRAY, "BPF per-CPU arrays (Linux 4.6)"),
	MAP(LRU_HASH, "BPF LRU hash maps (Linux 4.10)"),
	MAP(SK_STORAGE, "BPF socket storage maps (Linux 5.2)"),
	MAP(RINGBUF, "BPF ring buffers (Linux 5.8)"),
	MAP(ARRAY_OF_MAPS, "BPF arrays of maps (Linux 4.12)"),
	MAP(PERCPU_HASH, "BPF per-CPU hash maps (Linux 4.6)"),
	ATTACH(CGROUP_SOCK_ADDR, CGROUP_INET4_CONNECT, "the cgroup connect4/6 hooks (Linux 4.17)"),
	ATTACH(CGROUP_SOCK_ADDR, CGROUP_UDP4_SENDMSG, "the cgroup sendmsg4/6 hooks (Linux 4.18)"),
	ATTACH(CGROUP_SOCK_ADDR, CGROUP_UDP4_RECVMSG, "the cgroup recvmsg4/6 hooks (Linux 5.2)"),
	ATTACH(CGROUP_SOCK_ADDR, CGROUP_INET4_GETPEERNAME,
	       "the cgroup getpeername4/6 hooks (Linux 5.8)"),
	ATTACH(CGROUP_SOCK, CGROUP_INET_SOCK_RELEASE, "the cgroup sock_release hook (Linux 5.9)"),
	ATTACH(CGROUP_SOCKOPT, CGROUP_GETSOCKOPT, "the cgroup getsockopt/setsockopt hooks (Linux 5.3)"),
	ATTACH(SOCK_OPS, CGROUP_SOCK_OPS, "the cgroup sockops hook (Linux 4.13)"),
	ATTACH(CGROUP_SOCK_ADDR, CGROUP_INET4_BIND, "the cgroup bind4/6 hooks (Linux 4.17)"),
	HELPER(CGROUP_SOCK_ADDR, loop, "the bpf_loop helper (Linux 5.17)"),
	HELPER(CGROUP_SOCK_ADDR, timer_init, "BPF timers, bpf_timer_* (Linux 5.15)"),
	HELPER(CGROUP_SOCK_ADDR, for_each_map_elem, "the bpf_for_each_map_elem helper (Linux 5.13)"),
	HELPER(CGROUP_SOCK_ADDR, ringbuf_output, "BPF ring buffer helpers (Linux 5.8)"),
	HELPER(CGROUP_SOCK_ADDR, ktime_get_boot_ns, "the bpf_ktime_get_boot_ns helper (Linux 5.8)"),
	HELPER(CGROUP_SOCK_ADDR, sk_storage_get,
	       "socket storage in cgroup connect programs (Linux 5.3)"),
	HELPER(CGROUP_SOCK_ADDR, sk_lookup_tcp, "socket lookup in cgroup connect programs (Linux 5.0)"),
	HELPER(CGROUP_SOCK_ADDR, get_socket_cookie,
	       "socket cookies in cgroup connect programs (Linux 4.19)"),
	HELPER(CGROUP_SOCK_ADDR, get_current_ancestor_cgroup_id,
	       "the bpf_get_current_ancestor_cgroup_id helper (Linux 5.7)"),
	HELPER(CGROUP_SOCKOPT, set_retval, "bpf_set_retval (Linux 5.18)"),
	HELPER(CGROUP_SOCKOPT, get_current_ancestor_cgroup_id,
	       "cgroup helpers in sockopt programs (Linux 6.1)"),
	HELPER(SOCK_OPS, sk_storage_get, "socket storage in sockops (Linux 5.3)"),
	HELPER(CGROUP_SOCK_ADDR, get_netns_cookie,
	       "network namespace cookies in cgroup connect programs (Linux 5.7)"),
	HELPER(CGROUP_SOCKOPT, get_netns_cookie,
	       "network namespace cookies in sockopt programs (Linux 5.8)"),
	HELPER(SOCK_OPS, get_netns_cookie, "network namespace cookies in sockops (Linux 5.15)"),
	HELPER(CGROUP_SOCK_ADDR, get_current_task_btf,
	       "bpf_get_current_task_btf in cgroup connect programs, for the application's "
	       "network namespace and executable (Linux 6.1, the oldest kernel checked)"),
};

/*
 * Whether the kernel loads a trivial program for this attach type: an
 * unknown attach type is EINVAL. Any other error (no privilege...) says
 * nothing about the kernel, and the load of the real programs will tell.
 */
/* A program that allows everything: fd or -errno. */
static int load_trivial(enum bpf_prog_type prog, enum bpf_attach_type attach)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 1 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = attach);

	/* libbpf 1.x returns -errno itself. */
	return bpf_prog_load(prog, NULL, "GPL", insns, 2, &opts);
}

static int probe_attach(enum bpf_prog_type prog, enum bpf_attach_type attach)
{
	int fd;

	fd = load_trivial(prog, attach);
	if (fd >= 0) {
		close(fd);
		return 1;
	}
	return fd == -EINVAL ? 0 : 1;
}

static int probe_kernel(const struct kernel_need *n)
{
	switch (n->kind) {
	case NEED_MAP:
		return libbpf_probe_bpf_map_type(n->what, NULL);
	case NEED_ATTACH:
		return probe_attach(n->prog, n->what);
	case NEED_HELPER:
		return libbpf_probe_bpf_helper(n->prog, n->what, NULL);
	}
	return 0;
}

/*
 * The walk over the rows with a probe of the caller's choosing: the unit
 * test passes one that fails a chosen row, to check every message.
 * probe(row) is 1 when the kernel has the row's feature.
 */
int lwfp__kernel_check_with(int (*probe)(const void *need, void *arg), void *arg, char *missing,
			    size_t size, size_t *rows)
{
	size_t i;

	if (rows)
		*rows = sizeof(needs) / sizeof(needs[0]);
	for (i = 0; i < sizeof(needs) / sizeof(needs[0]); i++) {
		if (probe(&needs[i], arg) == 1)
			continue;
		snprintf(missing, size, "%s", needs[i].name);
		return -EOPNOTSUPP;
	}
	return 0;
}

static int kernel_probe(const void *need, void *arg)
{
	(void)arg;
	return probe_kernel(need);
}

LWFP_API int lwfp_kernel_check(char *missing, size_t size)
{
	return lwfp__kernel_check_with(kernel_probe, NULL, missing, size, NULL);
}

/*
 * Whether cgroup links take BPF_F_BEFORE/BPF_F_AFTER (Linux 6.17), probed
 * without attaching anything: a kernel that does not know the flag refuses
 * it with EINVAL before it looks at the target; one that knows it goes on
 * to the target, here no file at all, and says EBADF.
 */
int mprog_supported(void)
{
	static int known = -1;
	int prog, fd;

	if (known >= 0)
		return known;
	prog = load_trivial(BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_CGROUP_INET4_CONNECT);
	if (prog < 0)
		return 0;
	fd = mprog_link_create(prog, -1, BPF_CGROUP_INET4_CONNECT, BPF_F_BEFORE, 0);
	if (fd >= 0)
		close(fd);
	close(prog);
	known = fd == -EBADF;
	return known;
}
