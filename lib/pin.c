// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Where an engine's pins are: the default pin directory, a pin's path, and
 * an open pinned object. Below engine.c and every file that opens a pin.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include <bpf/bpf.h>

#include <lwfp/engine.h>

#include "internal.h"

LWFP_API const char *lwfp_default_pin_dir(void)
{
	const char *env = getenv("LWFP_PIN_DIR");

	return env && *env ? env : LWFP_DEFAULT_PIN_DIR;
}

int pin_path(char *buf, size_t size, const char *pin_dir, const char *name)
{
	return snprintf(buf, size, "%s/%s", pin_dir, name) >= (int)size ? -ENAMETOOLONG : 0;
}

int pin_open(const char *pin_dir, const char *name)
{
	char path[PATH_MAX];
	int fd, err;

	err = pin_path(path, sizeof(path), pin_dir, name);
	if (err)
		return err;
	fd = bpf_obj_get(path);
	return fd < 0 ? -errno : fd;
}
