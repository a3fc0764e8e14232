// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* A per-worker cache of service names by handle. */
#include <string.h>

#include "names.h"

#define NAMES_TTL_MS 10000

void names_init(struct names *n, struct lwfp_engine *engine)
{
	memset(n, 0, sizeof(*n));
	n->engine = engine;
}

const char *names_get(struct names *n, uint32_t handle, uint64_t now_ms)
{
	struct lwfp_service_info s;
	char *name;

	if (!n->engine || handle == 0 || handle > LWFP_MAX_SERVICES)
		return NULL;
	name = n->slot[handle].name;
	if (now_ms >= n->slot[handle].expires_ms) {
		/* Misses are cached too: an unknown handle costs one scan per TTL. */
		name[0] = '\0';
		if (lwfp_service_by_handle(n->engine, handle, &s) == 0) {
			memcpy(name, s.name, LWFP_NAME_MAX);
			name[LWFP_NAME_MAX - 1] = '\0';
		}
		n->slot[handle].expires_ms = now_ms + NAMES_TTL_MS;
	}
	return name[0] ? name : NULL;
}
