/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The _opts convention (docs/abi.md, "Options structs"), checked in one
 * place. A caller built against an older header passes a smaller sz and
 * gets the fallback of every field it does not have; one built against a
 * newer header passes a larger sz, accepted only while the bytes this
 * library does not know are zero, so that a request it cannot honour fails
 * with -EINVAL instead of being ignored. Every public function that takes
 * an _opts struct starts with
 *
 *	if (!OPTS_VALID(opts, lwfp_x_opts))
 *		return -EINVAL;
 *
 * before it reads a field or touches anything, and reads fields only
 * through OPTS_GET (or OPTS_HAS for one a caller must give).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#ifndef offsetofend
#define offsetofend(type, field) (offsetof(type, field) + sizeof(((type *)0)->field))
#endif

/* NULL is valid (every field its fallback); else sz covers sz itself, and opts[known..sz) is zero. */
static inline bool opts_valid(const void *opts, size_t sz, size_t known)
{
	const unsigned char *p = opts;
	size_t i;

	if (!opts)
		return true;
	if (sz < sizeof(size_t))
		return false;
	for (i = known; i < sz; i++)
		if (p[i])
			return false;
	return true;
}

/*
 * type is the struct's tag without "struct" (lwfp_offload_opts); its
 * public header defines type##__last_field. The assertion catches a field
 * added after __last_field without moving it, unless the field fits in the
 * struct's old tail padding.
 */
#define OPTS_VALID(opts, type)                                                                   \
	({                                                                                       \
		_Static_assert(sizeof(struct type) -                                             \
					       offsetofend(struct type, type##__last_field) <    \
				       _Alignof(struct type),                                    \
			       #type "__last_field is not its last field");                      \
		const struct type *opts_v_ = (opts);                                             \
		opts_valid(opts_v_, opts_v_ ? opts_v_->sz : 0,                                   \
			   offsetofend(struct type, type##__last_field));                        \
	})

/* The caller's sz covers field (false for NULL opts). */
#define OPTS_HAS(opts, field)                                                                    \
	((opts) && (opts)->sz >= offsetofend(__typeof__(*(opts)), field))

/* field, or fallback when opts is NULL or the caller's struct ends before it. */
#define OPTS_GET(opts, field, fallback) (OPTS_HAS(opts, field) ? (opts)->field : (fallback))
