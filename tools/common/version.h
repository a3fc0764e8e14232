/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* --version of lwfpctl and lwfp-inspect: the release and the ABI they speak. */
#ifndef LWFPCTL_VERSION_H
#define LWFPCTL_VERSION_H

#include <stdio.h>

#include <lwfp/abi.h>

/* The Makefile passes its VERSION; a build without it still says something. */
#ifndef LWFP_VERSION
#define LWFP_VERSION "unknown"
#endif

static inline int print_version(const char *prog)
{
	return printf("%s %s (ABI %d)\n", prog, LWFP_VERSION, LWFP_ABI_VERSION) < 0 ? -1 : 0;
}

#endif /* LWFPCTL_VERSION_H */
