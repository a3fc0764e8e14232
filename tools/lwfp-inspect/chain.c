// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The lwfp calls of a proxy, on the accepted and on the outbound socket. */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

#include <lwfp/engine.h>
#include <lwfp/lwfp.h>

#include "addr.h"
#include "chain.h"
#include "exe.h"
#include "netns.h"

/*
 * The records are opaque to proxies; lwfp-inspect reads the v1 layout of
 * abi.h only to log the token and the hops, and copes when it cannot.
 */
static void decode_records(struct chain *c)
{
	struct lwfp_records r;

	c->nhops = 0;
	if (c->records_len < LWFP_RECORDS_HDR_SIZE)
		return;
	memset(&r, 0, sizeof(r));
	memcpy(&r, c->records, c->records_len < sizeof(r) ? c->records_len : sizeof(r));
	if (r.magic != LWFP_RECORDS_MAGIC || r.version != LWFP_RECORDS_VERSION ||
	    r.nhops > LWFP_MAX_HOPS || c->records_len < LWFP_RECORDS_SIZE(r.nhops))
		return;
	c->token = r.token;
	c->nhops = r.nhops;
	memcpy(c->hops, r.hops, sizeof(c->hops));
}

/*
 * comm is whatever the process named itself: keep it printable ASCII, so
 * that the log stays valid UTF-8 JSON.
 */
static void copy_comm(char out[17], const char comm[16])
{
	size_t i;

	for (i = 0; i < 16 && comm[i]; i++)
		out[i] = comm[i] >= 0x20 && comm[i] < 0x7f ? comm[i] : (char)'?';
	out[i] = '\0';
}

/* Names both files now, while the application waits for this connection. */
static void decode_exe(struct chain *c, const struct lwfp_redirect_context *ctx)
{
	c->ppid = ctx->origin_ppid;
	c->exe_dev = ctx->origin_exe_dev;
	c->exe_ino = ctx->origin_exe_ino;
	c->pexe_dev = ctx->origin_pexe_dev;
	c->pexe_ino = ctx->origin_pexe_ino;
	if (exe_path(c->pid, c->exe_dev, c->exe_ino, c->exe, sizeof(c->exe)))
		c->exe[0] = 0;
	if (exe_path(c->ppid, c->pexe_dev, c->pexe_ino, c->pexe, sizeof(c->pexe)))
		c->pexe[0] = 0;
}

/*
 * Only the `metadata` kind names the process; the other kinds are skipped.
 * Every hop of a chain logs the same token and the application that opened
 * the chain, so one flow's lines join across proxies.
 */
static void decode_context(struct chain *c, const uint8_t *buf, size_t len)
{
	struct lwfp_redirect_context ctx;

	if (len < sizeof(ctx))
		return;
	memcpy(&ctx, buf, sizeof(ctx));
	if (ctx.version != LWFP_CONTEXT_VERSION || ctx.size != len)
		return;
	c->has_process = true;
	c->pid = ctx.origin_pid;
	c->uid = ctx.origin_uid;
	copy_comm(c->comm, ctx.origin_comm);
	c->netns_ino = ctx.netns_ino;
	c->netns_cookie = ctx.netns_cookie;
	c->origin_cgroup_id = ctx.origin_cgroup_id;
	if (ctx.chain)
		c->token = ctx.chain;
	decode_exe(c, &ctx);
}

void chain_dns_name(struct chain *c, struct lwfp_engine *e)
{
	c->dns_name[0] = 0;
	if (e && c->netns_cookie &&
	    lwfp_dns_name(e, c->netns_cookie, &c->orig, c->dns_name, sizeof(c->dns_name)))
		c->dns_name[0] = 0;
}

/* set would refuse a blob this long anyway; say so here, clearly. */
static int take_records(struct chain *c, const void *rec, size_t len)
{
	if (len > sizeof(c->records))
		return -EMSGSIZE;
	memcpy(c->records, rec, len);
	c->records_len = len;
	decode_records(c);
	return 0;
}

/* The three queries of an engine that predates LWFP_SO_REDIRECT. */
static int accept_each(int fd, struct chain *c, uint8_t scratch[CHAIN_QUERY_BUF],
		       const char **step)
{
	size_t len;
	int err;

	err = lwfp_query_redirect_records(fd, scratch, CHAIN_QUERY_BUF, &len);
	if (!err)
		err = take_records(c, scratch, len);
	if (err) {
		*step = err == -ENOENT ? "not a redirected connection" : "query records";
		return err;
	}
	err = lwfp_query_original_destination(fd, &c->orig_dst);
	if (!err)
		err = addr_from_sockaddr(&c->orig_dst, &c->orig);
	if (err) {
		*step = "query original destination";
		return err;
	}
	if (!lwfp_query_redirect_context(fd, scratch, CHAIN_QUERY_BUF, &len))
		decode_context(c, scratch, len);
	return 0;
}

/* One query for the three parts (lwfp_query_redirect); -EINVAL from an older engine. */
int chain_accept(int fd, struct chain *c, uint8_t scratch[CHAIN_QUERY_BUF], const char **step)
{
	const void *part;
	size_t len, n;
	int err;

	memset(c, 0, sizeof(*c));
	err = lwfp_query_redirect(fd, scratch, CHAIN_QUERY_BUF, &len);
	if (err == -EINVAL)
		return accept_each(fd, c, scratch, step);
	if (err) {
		*step = err == -ENOENT ? "not a redirected connection" : "query redirect";
		return err;
	}
	part = lwfp_redirect_part(scratch, len, LWFP_REDIRECT_PART_RECORDS, &n);
	err = part ? take_records(c, part, n) : -EPROTO;
	if (err) {
		*step = "query records";
		return err;
	}
	err = lwfp_redirect_destination(scratch, len, &c->orig_dst);
	if (!err)
		err = addr_from_sockaddr(&c->orig_dst, &c->orig);
	if (err) {
		*step = "query original destination";
		return err;
	}
	part = lwfp_redirect_part(scratch, len, LWFP_REDIRECT_PART_CONTEXT, &n);
	if (part)
		decode_context(c, part, n);
	return 0;
}

int chain_connect(const struct chain *c, const struct netns *ns, int type, int *fd,
		  const char **step)
{
	socklen_t len = c->orig_dst.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
							  : sizeof(struct sockaddr_in);
	int proto = type == SOCK_DGRAM ? IPPROTO_UDP : IPPROTO_TCP;
	int s, err;

	/* In the flow's namespace: the destination is the application's. */
	s = netns_socket(ns, c->orig_dst.ss_family, type | SOCK_NONBLOCK, proto);
	if (s < 0) {
		*step = "socket";
		return s;
	}
	/* Before connect(): the engine classifies the connect by these records. */
	err = lwfp_set_redirect_records(s, c->records, c->records_len);
	if (err) {
		*step = "set records";
		goto fail;
	}
	if (connect(s, (const struct sockaddr *)&c->orig_dst, len) == 0) {
		*fd = s;
		return 0;
	}
	err = -errno;
	if (err == -EINPROGRESS) {
		*fd = s;
		return err;
	}
	*step = "connect";
fail:
	close(s);
	return err;
}
