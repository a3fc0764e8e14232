// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The pinned maps by id: their names come from LWFP_MAPS alone. */
#include "internal.h"

static const char *const names[MAP__COUNT] = {
#define MAP_NAME(id, name) [MAP_##id] = name,
	LWFP_MAPS(MAP_NAME)
#undef MAP_NAME
};

const char *map_name(enum map_id id)
{
	return (unsigned int)id < MAP__COUNT ? names[id] : "";
}

int map_open(const char *pin_dir, enum map_id id)
{
	return pin_open(pin_dir, map_name(id));
}
