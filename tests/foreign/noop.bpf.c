// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Another vendor's cgroup programs that change nothing: test_order and
 * test_doctor attach them next to lwfp's (bpftool prog loadall, cgroup
 * attach ... multi) to see where lwfp's land and that lwfp never detaches
 * them. The names are what `lwfpctl up --before|--after` and doctor show.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("cgroup/connect4")
int noop_connect4(struct bpf_sock_addr *ctx)
{
	(void)ctx;
	return 1;
}

SEC("cgroup/connect6")
int noop_connect6(struct bpf_sock_addr *ctx)
{
	(void)ctx;
	return 1;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
