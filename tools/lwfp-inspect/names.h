/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Service names for the handles in a flow's records. Looking one up reads
 * the engine's service table, so each worker keeps its own cache (no lock),
 * and entries expire so that a handle reused by a new service is renamed.
 */
#ifndef LWFP_INSPECT_NAMES_H
#define LWFP_INSPECT_NAMES_H

#include <stdint.h>

#include <lwfp/abi.h>
#include <lwfp/engine.h>

struct names {
	struct lwfp_engine *engine; /* NULL: every lookup fails */
	struct {
		char name[LWFP_NAME_MAX]; /* "": no such service */
		uint64_t expires_ms;
	} slot[LWFP_MAX_SERVICES + 1]; /* by handle; handles start at 1 */
};

void names_init(struct names *n, struct lwfp_engine *engine);
/* The name of the service with this handle, or NULL when unknown. */
const char *names_get(struct names *n, uint32_t handle, uint64_t now_ms);

#endif /* LWFP_INSPECT_NAMES_H */
