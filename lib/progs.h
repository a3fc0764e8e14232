/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The cgroup hooks a connection's programs run at, and what the kernel says
 * of the programs attached there: shared by the attach order (order.c),
 * the search for a second engine (nested.c) and lwfpctl doctor (doctor.c).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/bpf.h>

/* Copies src into dst; false when it had to be cut. */
bool str_copy(char *dst, size_t size, const char *src);

struct cg_hook {
	enum bpf_attach_type type;
	const char *name; /* bpftool's spelling: connect4, sock_ops, ... */
};

/* Every sock_addr, sock_ops and sockopt hook, connect4 first. */
extern const struct cg_hook cg_hooks[];
extern const size_t cg_nhooks;
const char *cg_hook_name(enum bpf_attach_type type);

/* More programs than any real host attaches at one hook of one cgroup. */
#define CG_MAX_PROGS 256

/*
 * The programs at `type` of the cgroup cg_fd, in the order they run:
 * those attached to it (effective false, with their attach flags) or all
 * that run for its sockets, ancestors' included (effective true).
 */
int cg_query(int cg_fd, enum bpf_attach_type type, bool effective, uint32_t *ids,
	     uint32_t *flags, uint32_t *n);

/* A program's name (BPF_OBJ_NAME_LEN) and tag (16 hex digits), by id. */
int prog_describe(uint32_t id, char name[16], char tag[17]);

/* The program id and attach type of the link pinned at pin_dir/name. */
int pinned_link_prog(const char *pin_dir, const char *name, uint32_t *prog_id,
		     enum bpf_attach_type *type, uint32_t *link_id);

/*
 * fn on every entry below dir (directories before their contents, at most
 * depth levels), until one returns non-zero, which it returns.
 */
int walk_tree(const char *dir, int depth, int (*fn)(const char *path, bool is_dir, void *arg),
	      void *arg);

/* The program a pinned object stands for: a program, or a link's program. */
int pinned_prog_id(const char *path, uint32_t *id);

/* The link that attaches program prog_id to cgroup cg_fd at type; 0: none. */
uint32_t cg_link_id(int cg_fd, enum bpf_attach_type type, uint32_t prog_id);
