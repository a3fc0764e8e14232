/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * --register: lwfp-inspect adds its own service and redirect filters when it
 * starts, so that one command is enough, and removes them when it exits.
 *
 * The service is named lwfp-inspect-PID (or --service NAME), and its identity
 * is this process: that is how the engine knows lwfp-inspect's own outbound
 * connections. The filters take the conditions of `lwfpctl filter add`
 * (filter_opts.h); --dport also takes a comma-separated list, one filter per
 * item.
 *
 * --proto picks what is redirected: tcp (also without --proto, as before
 * lwfp-inspect relayed UDP), udp, or tcp,udp. A TCP filter redirects to the
 * first --listen address of its address family, one filter per family. A
 * UDP filter takes the port of the first IPv4 --listen address whatever the
 * application's family, because UDP flows reach lwfp-inspect on addresses
 * of 127.128.0.0/9 or their IPv6 form (udp.h): one filter serves both
 * families unless --family or --dst picks one. Its flow state expires after --udp-idle-timeout.
 */
#ifndef LWFP_INSPECT_REGISTER_H
#define LWFP_INSPECT_REGISTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <lwfp/engine.h>

#include "common/filter_opts.h"
#include "config.h"

#define REGISTER_MAX_DPORTS 64

/* The protocols of --proto, as bits. */
#define REGISTER_TCP 1u
#define REGISTER_UDP 2u

struct registration {
	bool enabled; /* --register was given */
	bool has_conditions; /* some filter option was given */
	unsigned int protos; /* REGISTER_TCP and/or REGISTER_UDP */
	struct filter_spec spec;
	struct {
		uint16_t lo, hi;
	} dports[REGISTER_MAX_DPORTS];
	size_t ndports;

	/* What register_start() added, for register_remove(). */
	struct lwfp_engine *engine;
	char name[LWFP_NAME_MAX];
	bool registered;
	uint32_t handle; /* the service's, while registered */
	bool engine_owned; /* engine was opened by register_watch(): close it */
	bool gone_said; /* register_watch() said the service is gone */
	uint32_t filters[REGISTER_MAX_DPORTS * 4]; /* two protocols, two families */
	size_t nfilters;
};

void register_init(struct registration *r);
/*
 * Applies a filter option (an FOPT_ code): 1 when applied, 0 when opt is not
 * one, -EINVAL with err set when its value is bad.
 */
int register_opt(struct registration *r, int opt, const char *arg, char *err, size_t size);
/* Once all options are in: 0 or -EINVAL with err set. */
int register_check(struct registration *r, char *err, size_t size);
/* Whether --register adds UDP filters, which need lwfp-inspect's UDP ports. */
bool register_udp(const struct registration *r);
/* The idle timeout of the UDP filters' flow state, in seconds. */
void register_set_udp_idle(struct registration *r, uint32_t seconds);

/* Registers the process's listening sockets for the service: 0 or -errno, err set. */
typedef int (*register_listeners_fn)(void *arg, uint32_t handle, char *err, size_t size);

/*
 * Adds the service, registers the listeners with it, then adds its filters;
 * cfg->service gets the service's name if it had none. On failure nothing
 * stays added. 0 or -errno with err set.
 */
int register_start(struct registration *r, struct lwfp_engine *e, struct config *cfg,
		   register_listeners_fn listeners, void *arg, char *err, size_t size);
/*
 * Removes the filters only: no new flow comes, but the service stays, so
 * that the flows still draining can set their records.
 */
void register_remove_filters(struct registration *r);
/* Removes the filters and the service. */
void register_remove(struct registration *r);

/*
 * Run every REGISTER_WATCH_MS: is the registered service still there, in
 * the engine pinned at cfg->pin_dir now? When someone deleted it, or took
 * the engine down and up again, it says so in one line and registers
 * again (service, listeners, filters) in the engine found there, or keeps
 * trying while there is none. 1 after registering again, 0 otherwise.
 */
#define REGISTER_WATCH_MS 2000
int register_watch(struct registration *r, struct config *cfg,
		   register_listeners_fn listeners, void *arg);
/* Closes the engine register_watch() opened, if any. */
void register_close(struct registration *r);

#endif /* LWFP_INSPECT_REGISTER_H */
