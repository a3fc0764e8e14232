/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The settings of a running lwfp-inspect, fixed before its workers start. */
#ifndef LWFP_INSPECT_CONFIG_H
#define LWFP_INSPECT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <lwfp/abi.h>
#include <lwfp/engine.h>
#include <lwfp/lwfp.h>

struct budget;

#define MAX_LISTEN 16

#define DEFAULT_IDLE_TIMEOUT_MS (300 * UINT64_C(1000))
#define DEFAULT_CONNECT_TIMEOUT_MS (10 * UINT64_C(1000))
#define DEFAULT_PEEK_TIMEOUT_MS UINT64_C(500)
#define DEFAULT_DRAIN_TIMEOUT_MS (5 * UINT64_C(1000))
/*
 * The bytes an offloaded direction may queue in the kernel before its
 * sender waits (see offload.h): lwfp_offload()'s own default.
 */
#define DEFAULT_OFFLOAD_MAX_QUEUE_MIB (LWFP_OFFLOAD_MAX_QUEUE_DEFAULT >> 20)
#define MAX_OFFLOAD_MAX_QUEUE_MIB (LWFP_OFFLOAD_MAX_QUEUE_MAX >> 20)
/*
 * The kernel memory all offloaded flows may hold (budget.h): 32 flows at
 * the default queue, 16 streams through a hop with room to spare.
 */
#define DEFAULT_OFFLOAD_BUDGET_MIB 256
#define MAX_OFFLOAD_BUDGET_MIB (1024 * 1024)
/* The engine's own default for UDP flow state (LWFP_UDP_IDLE_DEFAULT_S). */
#define DEFAULT_UDP_IDLE_TIMEOUT_MS (LWFP_UDP_IDLE_DEFAULT_S * UINT64_C(1000))

struct config {
	struct lwfp_addr listen[MAX_LISTEN];
	size_t nlisten;
	const char *service; /* this service's name, for the log; may be NULL */
	uint32_t service_handle; /* its handle, to register listeners; 0: unknown */
	const char *pin_dir;
	const char *log_path; /* NULL: stdout */
	unsigned int workers;
	uint64_t idle_timeout_ms;
	uint64_t connect_timeout_ms;
	uint64_t peek_timeout_ms; /* 0: do not peek */
	uint64_t drain_timeout_ms;
	uint64_t udp_idle_timeout_ms;
	bool offload; /* --offload: hand passed TCP flows to the kernel */
	uint64_t offload_max_queue; /* bytes an offloaded direction may hold in the kernel */
	uint64_t offload_budget; /* bytes all offloaded flows may hold there */
	struct budget *budget; /* shared by the workers; NULL without --offload */
	/* The distinct ports of the --listen addresses that serve UDP, host order. */
	uint16_t udp_ports[MAX_LISTEN];
	size_t nudp_ports;
	/* Per worker: the share of the descriptor limit, at FLOW_FDS a flow. */
	unsigned int max_flows;
	/* To name the services of a chain in the log; NULL when unreadable. */
	struct lwfp_engine *engine;
};

#endif /* LWFP_INSPECT_CONFIG_H */
