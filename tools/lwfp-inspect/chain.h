/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The chain: what the engine tells a proxy about a flow it accepted, and how
 * the proxy's outbound socket carries that on. This is the whole of the lwfp
 * API a proxy needs:
 *
 *   accepted socket   lwfp_query_redirect()            in one call:
 *                       the opaque records, the context (who connected, and
 *                       where) and the original destination; from an engine
 *                       older than that call, the three queries
 *                       lwfp_query_redirect_records(), _context() and
 *                       lwfp_query_original_destination()
 *   outbound socket   lwfp_set_redirect_records()      before connect(), so the
 *                     engine sends the flow on to the next service, never back
 *
 * For UDP the accepted socket is the flow's own socket (udp_flow.c), which
 * answers the same queries.
 */
#ifndef LWFP_INSPECT_CHAIN_H
#define LWFP_INSPECT_CHAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <lwfp/abi.h>
#include <lwfp/engine_defs.h> /* LWFP_DNS_NAME_MAX */

struct chain {
	/* The records as the engine gave them, to be handed back unchanged. */
	uint8_t records[LWFP_RECORDS_MAX];
	size_t records_len;

	/* The same records decoded for the log; nhops 0 if they are not v1. */
	uint64_t token;
	struct lwfp_hop hops[LWFP_MAX_HOPS];
	unsigned int nhops;

	struct sockaddr_storage orig_dst;
	struct lwfp_addr orig; /* the same, as the engine writes addresses */

	/* From a `metadata` context; other context kinds do not carry them. */
	bool has_process;
	uint32_t pid, uid;
	char comm[17];
	/* From a version 2 metadata context; 0 when unknown. */
	uint32_t netns_ino;
	uint64_t netns_cookie;
	uint64_t origin_cgroup_id;
	/*
	 * From a version 3 one: the application's executable and its parent's,
	 * as files (ino 0: unknown), and their paths when /proc still named
	 * them at accept time ("" otherwise).
	 */
	uint32_t ppid;
	uint32_t exe_dev, pexe_dev;
	uint64_t exe_ino, pexe_ino;
	char exe[256];
	char pexe[256];
	/* The name the original destination was learned from; "" when none. */
	char dns_name[LWFP_DNS_NAME_MAX];
};

/* The scratch space chain_accept() asks the engine to answer into. */
#define CHAIN_QUERY_BUF 8192

/*
 * Queries the accepted socket fd. 0, or -errno with *step naming the call
 * that failed. A missing context is not an error: it is optional.
 */
int chain_accept(int fd, struct chain *c, uint8_t scratch[CHAIN_QUERY_BUF], const char **step);

struct lwfp_engine;

/*
 * Fills c->dns_name: the name whose DNS answer gave the original
 * destination to the chain's application (its namespace, not this
 * proxy's), so every hop of a chain logs the same name.
 */
void chain_dns_name(struct chain *c, struct lwfp_engine *e);

struct netns;

/*
 * A non-blocking socket of type (SOCK_STREAM or SOCK_DGRAM), made in
 * namespace ns (NULL: ours, netns.h), that carries
 * the records and connects to the original destination, in *fd. 0 when
 * connected already (always, for UDP), -EINPROGRESS while connecting, or
 * -errno with *step set and no socket left open.
 */
int chain_connect(const struct chain *c, const struct netns *ns, int type, int *fd,
		  const char **step);

#endif /* LWFP_INSPECT_CHAIN_H */
