// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * `lwfpctl up` without --cgroup attaches to the cgroup v2 root (DESIGN §5):
 * every process on the host, containers included, is then classified. That
 * is the production setting, but never a silent one: it is said on stderr,
 * so that -j output stays clean.
 */
#include <stdio.h>

#include "lwfpctl.h"

void up_note_root(FILE *f, const char *cgroup)
{
	fprintf(f,
		"lwfpctl: attaching to the root cgroup %s (every process on this host); "
		"use --cgroup to scope it\n",
		cgroup);
}
