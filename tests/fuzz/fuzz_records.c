// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * libFuzzer target for the user-space decoders of what the engine answers
 * about a redirected socket: the records blob, the redirect context
 * (`metadata`, `sockaddrs`, raw) and the original destination.
 *
 *   make build/fuzz/fuzz_records
 *   build/fuzz/fuzz_records -max_total_time=60 tests/fuzz/corpus/records
 *
 * Those bytes come from the kernel, but lwfp-inspect reads them from every
 * socket it accepts, and from an engine of another version they can be
 * anything: a proxy must cope with every blob, never overrun a buffer,
 * and never log what it could not decode. The decoders are
 *
 *   lib/socket.c                  the native API: the size rules of DESIGN §4
 *                                 around every query, struct lwfp_addr into a
 *                                 sockaddr, the state number;
 *   tools/lwfp-inspect/chain.c    chain_accept(): the v1 records layout (token,
 *                                 hops) and the `metadata` context (pid, uid,
 *                                 comm, chain token) for the flow log;
 *   tools/lwfp-inspect/addr.c     the original destination and its text.
 *
 * getsockopt() and setsockopt() are replaced: the socket is a TCP or UDP
 * socket of either family, and each SOL_LWFP option answers with its own
 * part of the input, cut to the caller's buffer as the kernel does. The
 * input is
 *
 *   u8 flags | u16 records_len (LE) | records | u16 dst_len (LE) | dst | context...
 *
 * (a part of length 0: that query fails with ENOENT). Besides memory errors
 * it checks the promises: the size rules, a decoded chain that the records
 * really hold, a printable comm, an original destination of a known family.
 * The records blob the user sets goes through the other decoder of records,
 * the kernel's: test_attacks and lwfp-test-fuzzset fuzz that one.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <lwfp/engine.h>
#include <lwfp/lwfp.h>

#include "../../tools/lwfp-inspect/addr.h"
#include "../../tools/lwfp-inspect/chain.h"
#include "../../tools/lwfp-inspect/exe.h"
#include "../../tools/lwfp-inspect/netns_ref.h"

/*
 * The socket calls of the code under test answer from the input: the link
 * wraps them (-Wl,--wrap=getsockopt,--wrap=setsockopt in the Makefile).
 */
int __wrap_getsockopt(int fd, int level, int name, void *buf, socklen_t *len);
int __wrap_setsockopt(int fd, int level, int name, const void *buf, socklen_t len);

/* chain_connect's namespace-aware socket(); the fuzzer never connects. */
int netns_socket(const struct netns *ns, int domain, int type, int protocol)
{
	(void)ns;
	return socket(domain, type, protocol);
}

/* decode_exe's /proc lookup: no process of the input exists. */
int exe_path(uint32_t pid, uint32_t dev, uint64_t ino, char *buf, size_t size)
{
	(void)pid, (void)dev, (void)ino, (void)buf, (void)size;
	return -ENOENT;
}

/* chain_dns_name's engine lookup: the fuzzer has no engine. */
int lwfp_dns_name(struct lwfp_engine *e, uint64_t netns_cookie, const struct lwfp_addr *addr,
		  char *name, size_t size)
{
	(void)e, (void)netns_cookie, (void)addr, (void)name, (void)size;
	return -ENOENT;
}

struct part {
	const uint8_t *p;
	size_t len;
};

static struct {
	int domain, type;
	struct part records, dst, context;
} in;

int __wrap_getsockopt(int fd, int level, int name, void *buf, socklen_t *len)
{
	const struct part *part;

	(void)fd;
	if (level == SOL_SOCKET && (name == SO_DOMAIN || name == SO_TYPE)) {
		if (*len < sizeof(int))
			abort(); /* the library asks with an int */
		*(int *)buf = name == SO_DOMAIN ? in.domain : in.type;
		*len = sizeof(int);
		return 0;
	}
	if (level != SOL_LWFP)
		abort(); /* nothing else is asked */
	switch (name) {
	case LWFP_SO_RECORDS:
		part = &in.records;
		break;
	case LWFP_SO_CONTEXT:
		part = &in.context;
		break;
	case LWFP_SO_ORIGINAL_DST:
		part = &in.dst;
		break;
	default: /* LWFP_SO_STATE(handle): the first bytes of the records */
		part = &in.records;
		break;
	}
	if (!part->len) {
		errno = ENOENT;
		return -1;
	}
	/* The kernel cuts an answer to the caller's buffer, and says how much. */
	*len = part->len < *len ? (socklen_t)part->len : *len;
	memcpy(buf, part->p, *len);
	return 0;
}

int __wrap_setsockopt(int fd, int level, int name, const void *buf, socklen_t len)
{
	(void)fd;
	(void)buf;
	if (level != SOL_LWFP || name != LWFP_SO_RECORDS || len > LWFP_RECORDS_MAX * 4)
		abort();
	errno = EINVAL;
	return -1;
}

static bool take(const uint8_t **p, size_t *left, struct part *out)
{
	size_t n;

	if (*left < 2)
		return false;
	n = (size_t)(*p)[0] | (size_t)(*p)[1] << 8;
	*p += 2;
	*left -= 2;
	if (n > *left)
		n = *left;
	out->p = *p;
	out->len = n;
	*p += n;
	*left -= n;
	return true;
}

/* The size rules of DESIGN §4 for a query whose answer is part. */
static void check_sized(int (*query)(int, void *, size_t, size_t *), const struct part *part)
{
	static uint8_t buf[LWFP_CONTEXT_MAX + 16];
	size_t sizes[] = { 0, 1, 3, 4, part->len ? part->len - 1 : 0, part->len, sizeof(buf) };
	size_t need = part->len < LWFP_CONTEXT_MAX ? part->len : LWFP_CONTEXT_MAX;
	size_t i, ret;
	int err;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		memset(buf, 0xa5, sizeof(buf));
		ret = 12345;
		err = query(3, sizes[i] ? buf : NULL, sizes[i], &ret);
		if (!part->len) {
			if (err != -ENOENT)
				abort();
			continue;
		}
		if (sizes[i] < need) {
			if (err != -ERANGE || ret != need)
				abort();
			continue;
		}
		if (err || ret != need || !ret || memcmp(buf, part->p, ret))
			abort();
		if (ret < sizeof(buf) && buf[ret] != 0xa5)
			abort(); /* written past what it returned */
	}
}

static void check_chain(void)
{
	static uint8_t scratch[CHAIN_QUERY_BUF];
	struct chain c;
	const char *step = NULL;
	struct lwfp_records r;
	char text[ADDR_STR_MAX];
	size_t i;
	int err;

	err = chain_accept(3, &c, scratch, &step);
	if (err) {
		if (!step)
			abort(); /* a failure must name its step */
		return;
	}
	if (!in.records.len || c.records_len != in.records.len ||
	    memcmp(c.records, in.records.p, c.records_len))
		abort(); /* the blob is handed on unchanged */
	if (c.nhops > LWFP_MAX_HOPS)
		abort();
	if (c.nhops) {
		/* Decoded only from a v1 blob that really holds that many hops. */
		memset(&r, 0, sizeof(r));
		memcpy(&r, c.records, c.records_len < sizeof(r) ? c.records_len : sizeof(r));
		if (r.magic != LWFP_RECORDS_MAGIC || r.version != LWFP_RECORDS_VERSION ||
		    r.nhops != c.nhops || c.records_len < LWFP_RECORDS_SIZE(c.nhops) ||
		    memcmp(c.hops, r.hops, c.nhops * sizeof(c.hops[0])))
			abort();
	}
	if (c.orig.family != LWFP_AF_INET && c.orig.family != LWFP_AF_INET6)
		abort();
	addr_format(&c.orig_dst, text);
	if (!memchr(text, 0, sizeof(text)) || !strcmp(text, "?"))
		abort(); /* a known family always formats */
	if (c.has_process) {
		if (in.context.len < sizeof(struct lwfp_redirect_context))
			abort();
		for (i = 0; c.comm[i]; i++)
			if (i >= 16 || c.comm[i] < 0x20 || c.comm[i] >= 0x7f)
				abort(); /* the log must stay printable */
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data + 1;
	size_t left = size ? size - 1 : 0;
	struct sockaddr_storage ss;
	int err;

	if (!size)
		return 0;
	memset(&in, 0, sizeof(in));
	in.domain = data[0] & 1 ? AF_INET6 : AF_INET;
	in.type = data[0] & 2 ? SOCK_DGRAM : SOCK_STREAM;
	if (!take(&p, &left, &in.records) || !take(&p, &left, &in.dst))
		return 0;
	in.context.p = p;
	in.context.len = left;

	check_sized(lwfp_query_redirect_records, &in.records);
	check_sized(lwfp_query_redirect_context, &in.context);

	memset(&ss, 0xa5, sizeof(ss));
	err = lwfp_query_original_destination(3, &ss);
	if (!err && ss.ss_family != AF_INET && ss.ss_family != AF_INET6)
		abort();
	if (!err != (in.dst.len >= sizeof(struct lwfp_addr) &&
		     (in.dst.p[offsetof(struct lwfp_addr, family)] == AF_INET ||
		      in.dst.p[offsetof(struct lwfp_addr, family)] == AF_INET6)))
		abort();

	err = lwfp_query_redirect_state(3, data[0] >> 2);
	if (err > LWFP_PREVIOUSLY_REDIRECTED_BY_SELF)
		abort();
	if (in.records.len && lwfp_set_redirect_records(3, in.records.p, in.records.len) != -EINVAL)
		abort();

	check_chain();
	return 0;
}
