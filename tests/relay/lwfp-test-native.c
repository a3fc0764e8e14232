// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * lwfp-test-native: checks the native socket API against the error table of
 * DESIGN.md §4 (native column), from inside a test's cgroup.
 *
 * Every check prints "ok NAME" or "FAIL NAME: why"; the exit status is 0 only
 * when every check passed (2 for a usage error).
 *
 *   serve --listen ADDR:PORT [--blob FILE] [--pidfile FILE]
 *         [--context metadata|sockaddrs|none|raw:HEX]
 *         [--expect-orig ADDR:PORT] [--expect-nhops N] [--timeout SEC]
 *       The redirect target of a service; run it as that service's process.
 *       Accepts one connection and checks the accepted (redirected) socket:
 *       records and context size probe (size 0, NULL or not: -ERANGE with
 *       *returned = needed > 0), small buffers (size 2 and needed-1: -ERANGE
 *       with needed, nothing written past size), success (returned ==
 *       needed), the context of the given kind (`none`: -ENOENT while records
 *       work), the original destination, the state of the delivering service
 *       (BY_SELF) and of another (BY_OTHER), the single query (the same
 *       size rules, a header that places each part, parts equal to what
 *       the three queries gave, the delivered flag), and set records on the
 *       connected socket (-EISCONN). Then it writes the records blob to
 *       --blob (atomically) and holds the connection until the client closes.
 *
 *   client --connect ADDR:PORT [--expect-peer ADDR:PORT] [--until FILE]
 *          [--timeout SEC]
 *       The application: connects (and gets redirected), checks that the
 *       single query answers without the delivered flag, getpeername
 *       when asked, holds the connection until FILE exists, then closes.
 *
 *   peername --connect ADDR:PORT [--get PATH --out FILE] [--timeout SEC]
 *       Connects and prints "peer ADDR:PORT" from getpeername(); with --get,
 *       sends an HTTP/1.0 GET and writes the response body to FILE. A failed
 *       connect prints "connect ADDR:PORT: ENAME (message)" and exits 1.
 *       ADDR may be IPv6 or v4-mapped: [::ffff:198.18.0.2]:8000.
 *
 *   local
 *       Sockets that no filter redirects, in a cgroup where an engine is up:
 *       not redirected (-ENOENT: records, context, original destination,
 *       the single query;
 *       state NOT_REDIRECTED), listening and unconnected TCP (-ENOTCONN),
 *       a pipe (-ENOTSOCK), a closed fd (-EBADF), UDP connected (-ENOENT)
 *       and unconnected (-ENOTCONN), AF_UNIX (-ENOPROTOOPT).
 *
 *   noengine
 *       In a cgroup with no engine: every call on a TCP socket -EOPNOTSUPP.
 *
 *   setrec --blob FILE --expect 0|ENAME [--family 4|6]
 *       Sets the blob on a new unconnected TCP socket and expects that
 *       result: 0 from a service while the flow lives, EACCES from a
 *       process that is not a service, EINVAL once the flow has closed.
 *
 *   attack --blob FILE [--family 4|6]
 *       Run as a service while the blob's flow is alive. The valid blob is
 *       accepted (0, and the socket then reads BY_SELF for the last hop's
 *       service); random bytes, a forged token or tag, every truncation,
 *       trailing bytes, a stripped or added hop and every one-bit flip are
 *       rejected with -EINVAL; the valid blob on a connected socket gives
 *       -EISCONN.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <lwfp/lwfp.h>

#include "relay_common.h"
#include "report.h"

#define BIG 8192

static const struct {
	int e;
	const char *name;
} errnames[] = {
	{ 0, "0" },
	{ EPERM, "EPERM" },
	{ ENOENT, "ENOENT" },
	{ EINTR, "EINTR" },
	{ EBADF, "EBADF" },
	{ ENOMEM, "ENOMEM" },
	{ EACCES, "EACCES" },
	{ EFAULT, "EFAULT" },
	{ EEXIST, "EEXIST" },
	{ EINVAL, "EINVAL" },
	{ ENOSPC, "ENOSPC" },
	{ ERANGE, "ERANGE" },
	{ ENOTSOCK, "ENOTSOCK" },
	{ ENOPROTOOPT, "ENOPROTOOPT" },
	{ EOPNOTSUPP, "EOPNOTSUPP" },
	{ EAFNOSUPPORT, "EAFNOSUPPORT" },
	{ EISCONN, "EISCONN" },
	{ ENOTCONN, "ENOTCONN" },
	{ ECONNREFUSED, "ECONNREFUSED" },
	{ ECONNRESET, "ECONNRESET" },
	{ ETIMEDOUT, "ETIMEDOUT" },
	{ EHOSTUNREACH, "EHOSTUNREACH" },
	{ ENETUNREACH, "ENETUNREACH" },
	{ EOVERFLOW, "EOVERFLOW" },
	{ EMSGSIZE, "EMSGSIZE" },
	{ ENOSYS, "ENOSYS" },
	{ E2BIG, "E2BIG" },
};

/* "EINVAL" for -EINVAL or EINVAL, "0" for 0, else a number. */
static const char *ename(int rc)
{
	static char buf[8][32];
	static int next;
	int e = rc < 0 ? -rc : rc;

	for (size_t i = 0; i < sizeof(errnames) / sizeof(errnames[0]); i++)
		if (errnames[i].e == e)
			return errnames[i].name;
	next = (next + 1) % 8;
	snprintf(buf[next], sizeof(buf[next]), "%d", rc);
	return buf[next];
}

static int parse_ename(const char *s, int *e)
{
	if (!strcmp(s, "OK")) {
		*e = 0;
		return 0;
	}
	for (size_t i = 0; i < sizeof(errnames) / sizeof(errnames[0]); i++)
		if (!strcmp(errnames[i].name, s)) {
			*e = errnames[i].e;
			return 0;
		}
	return -1;
}

/* One check: a call returned rc where want was expected (0 or -Exxx). */
static bool expect_rc(const char *name, int rc, int want)
{
	if (rc == want) {
		ok(name);
		return true;
	}
	fail(name, "got %s (%d), want %s", ename(rc), rc, ename(want));
	return false;
}

/* A state query returned rc where the state want was expected. */
static bool expect_state(const char *name, int rc, int want)
{
	static const char *names[] = { "NOT_REDIRECTED", "REDIRECTED_BY_SELF",
				       "REDIRECTED_BY_OTHER", "PREVIOUSLY_REDIRECTED_BY_SELF" };

	if (rc == want) {
		ok(name);
		return true;
	}
	if (rc >= 0 && rc <= 3)
		fail(name, "got %s, want %s", names[rc], names[want]);
	else
		fail(name, "got %s (%d), want %s", ename(rc), rc, names[want]);
	return false;
}

/* ---- small helpers ------------------------------------------------------ */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int write_file_atomic(const char *path, const void *buf, size_t len)
{
	char tmp[4096];
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (write(fd, buf, len) != (ssize_t)len) {
		int e = errno ? -errno : -EIO;

		close(fd);
		unlink(tmp);
		return e;
	}
	if (close(fd) || rename(tmp, path))
		return -errno;
	return 0;
}

static ssize_t read_file(const char *path, void *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size);
	if (n < 0)
		n = -errno;
	close(fd);
	return n;
}

/* A connected TCP pair over the loopback of family fam; 0 or -errno. */
static int loopback_pair(int fam, int *client, int *server, int *listener)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t len;
	int l, c, s;

	if (fam == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = in6addr_loopback;
		len = sizeof(*sin6);
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*sin);
	}
	l = socket(fam, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0)
		return -errno;
	if (bind(l, (struct sockaddr *)&ss, len) || listen(l, 4) ||
	    getsockname(l, (struct sockaddr *)&ss, &len)) {
		int e = -errno;

		close(l);
		return e;
	}
	c = socket(fam, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c < 0 || connect(c, (struct sockaddr *)&ss, len)) {
		int e = -errno;

		if (c >= 0)
			close(c);
		close(l);
		return e;
	}
	s = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	if (s < 0) {
		int e = -errno;

		close(c);
		close(l);
		return e;
	}
	*client = c;
	*server = s;
	if (listener)
		*listener = l;
	else
		close(l);
	return 0;
}

typedef int (*query_fn)(int fd, void *buf, size_t size, size_t *returned);

/*
 * The size rules of one query on a socket that has a value: size 0 (with a
 * NULL and a real buffer), size 2, needed-1, needed and a big buffer.
 * Copies the value into out (BIG bytes) and returns its size, or 0.
 */
static size_t check_sizes(const char *what, int fd, query_fn q, size_t max, unsigned char *out)
{
	unsigned char buf[BIG + 64];
	char name[128];
	size_t needed = 0, ret, sizes[2];
	int rc;

	snprintf(name, sizeof(name), "%s-size-probe-null", what);
	ret = 0;
	rc = q(fd, NULL, 0, &ret);
	if (rc != -ERANGE || ret == 0)
		fail(name, "got %s returned=%zu, want ERANGE and returned > 0", ename(rc), ret);
	else
		ok(name);

	snprintf(name, sizeof(name), "%s-size-probe", what);
	memset(buf, 0xa5, sizeof(buf));
	rc = q(fd, buf, 0, &needed);
	if (rc != -ERANGE || needed == 0 || needed > max) {
		fail(name, "got %s returned=%zu, want ERANGE and 0 < returned <= %zu", ename(rc),
		     needed, max);
		return 0;
	}
	if (ret != needed)
		fail(name, "the NULL probe said %zu, this one %zu", ret, needed);
	else if (buf[0] != 0xa5)
		fail(name, "wrote into a buffer of size 0");
	else
		ok(name);

	sizes[0] = 2;
	sizes[1] = needed - 1;
	for (int i = 0; i < 2; i++) {
		size_t sz = sizes[i];

		if (sz == 0 || (i == 1 && sz <= 2))
			continue;
		snprintf(name, sizeof(name), "%s-small-buffer-%zu", what, sz);
		memset(buf, 0xa5, sizeof(buf));
		ret = 0;
		rc = q(fd, buf, sz, &ret);
		if (rc != -ERANGE || ret != needed) {
			fail(name, "got %s returned=%zu, want ERANGE and returned=%zu", ename(rc), ret,
			     needed);
			continue;
		}
		for (size_t j = sz; j < sizeof(buf); j++)
			if (buf[j] != 0xa5) {
				fail(name, "wrote byte %zu past size %zu", j, sz);
				goto next;
			}
		ok(name);
next:;
	}

	snprintf(name, sizeof(name), "%s-exact-buffer", what);
	memset(buf, 0xa5, sizeof(buf));
	ret = 0;
	rc = q(fd, buf, needed, &ret);
	if (rc != 0 || ret != needed) {
		fail(name, "got %s returned=%zu, want 0 and returned=%zu", ename(rc), ret, needed);
		return 0;
	}
	for (size_t j = needed; j < sizeof(buf); j++)
		if (buf[j] != 0xa5) {
			fail(name, "wrote byte %zu past size %zu", j, needed);
			return 0;
		}
	ok(name);
	memcpy(out, buf, needed);

	snprintf(name, sizeof(name), "%s-big-buffer", what);
	ret = 0;
	rc = q(fd, buf, BIG, &ret);
	if (rc != 0 || ret != needed)
		fail(name, "got %s returned=%zu, want 0 and returned=%zu", ename(rc), ret, needed);
	else if (memcmp(buf, out, needed))
		fail(name, "the value differs from the exact-buffer one");
	else
		ok(name);

	/* A size whose arithmetic cannot be done: refused or served, never a crash. */
	snprintf(name, sizeof(name), "%s-huge-size", what);
	{
		unsigned char *huge = calloc(1, 1 << 16);

		ret = 0;
		rc = huge ? q(fd, huge, SIZE_MAX, &ret) : -ENOMEM;
		if (rc == -EOVERFLOW || (rc == 0 && ret == needed && !memcmp(huge, out, needed)))
			ok(name);
		else
			fail(name, "got %s returned=%zu, want EOVERFLOW or the value", ename(rc), ret);
		free(huge);
	}
	return needed;
}

static int parse_hex(const char *s, unsigned char *out, size_t max, size_t *len)
{
	size_t n = strlen(s);

	if (n % 2 || n / 2 > max)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned int v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (unsigned char)v;
	}
	*len = n / 2;
	return 0;
}

/* ---- serve -------------------------------------------------------------- */

struct opts {
	const char *listen, *connect, *blob, *pidfile, *context, *expect_orig, *expect_peer;
	const char *until, *get, *out, *expect;
	int expect_nhops, family, timeout;
};

static int wait_readable(int fd, int timeout_s)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int rc;

	do {
		rc = poll(&p, 1, timeout_s * 1000);
	} while (rc < 0 && errno == EINTR);
	return rc;
}

/* Checks the context query; its value goes to ctx (BIG bytes), its size to *ctx_len. */
static void check_context(int fd, const struct opts *o, const struct sockaddr_storage *orig,
			  const struct lwfp_records *rec, int nhops, unsigned char *ctx,
			  size_t *ctx_len)
{
	const char *kind = o->context ? o->context : "metadata";
	size_t len, ret;
	int rc;

	if (!strcmp(kind, "none")) {
		ret = 0;
		rc = lwfp_query_redirect_context(fd, NULL, 0, &ret);
		expect_rc("context-none-probe", rc, -ENOENT);
		rc = lwfp_query_redirect_context(fd, ctx, sizeof(ctx), &ret);
		expect_rc("context-none", rc, -ENOENT);
		return;
	}
	len = check_sizes("context", fd, lwfp_query_redirect_context, LWFP_CONTEXT_MAX, ctx);
	*ctx_len = len;
	if (len == 0)
		return;

	if (!strcmp(kind, "metadata")) {
		struct lwfp_redirect_context c;
		struct sockaddr_storage remote;

		if (len < sizeof(c)) {
			fail("context-metadata", "%zu bytes, want at least %zu", len, sizeof(c));
			return;
		}
		memcpy(&c, ctx, sizeof(c));
		if (c.version != LWFP_CONTEXT_VERSION || c.size != len)
			fail("context-metadata", "version %u size %u (returned %zu)", c.version, c.size,
			     len);
		else if (c.size != sizeof(c) + c.raw_len)
			fail("context-metadata", "size %u != head %zu + raw_len %u", c.size, sizeof(c),
			     c.raw_len);
		else if (c.protocol != IPPROTO_TCP)
			fail("context-metadata", "protocol %u", c.protocol);
		else if (lwfp_addr_to_sockaddr(&c.remote, &remote) || !same_sockaddr(&remote, orig))
			fail("context-metadata", "remote differs from the original destination");
		else if (c.pid == 0 || c.comm[0] == '\0')
			fail("context-metadata", "pid %u comm '%.16s'", c.pid, c.comm);
		else if (nhops > 0 && (c.service != rec->hops[nhops - 1].service ||
				       c.filter_id != rec->hops[nhops - 1].filter_id))
			fail("context-metadata", "service/filter %u/%u, last hop is %u/%u", c.service,
			     c.filter_id, rec->hops[nhops - 1].service,
			     rec->hops[nhops - 1].filter_id);
		else
			ok("context-metadata");
	} else if (!strcmp(kind, "sockaddrs")) {
		struct sockaddr_storage remote;

		if (len != 2 * LWFP_SOCKADDR_STORAGE_SIZE) {
			fail("context-sockaddrs", "%zu bytes, want %d", len,
			     2 * LWFP_SOCKADDR_STORAGE_SIZE);
			return;
		}
		memcpy(&remote, ctx, sizeof(remote));
		if (!same_sockaddr(&remote, orig))
			fail("context-sockaddrs", "the first sockaddr is not the original destination");
		else
			ok("context-sockaddrs");
	} else if (!strncmp(kind, "raw:", 4)) {
		unsigned char want[LWFP_CONTEXT_MAX];
		size_t wlen;

		if (parse_hex(kind + 4, want, sizeof(want), &wlen)) {
			fail("context-raw", "bad --context %s", kind);
			return;
		}
		if (len != wlen || memcmp(ctx, want, wlen))
			fail("context-raw", "%zu bytes that differ from the filter's %zu", len, wlen);
		else
			ok("context-raw");
	} else {
		fail("context", "unknown --context %s", kind);
	}
}

/* One part of a redirect answer against what its own query gave. */
static bool same_part(const unsigned char *info, size_t len, enum lwfp_redirect_part part,
		      const unsigned char *want, size_t want_len)
{
	size_t n;
	const void *p = lwfp_redirect_part(info, len, part, &n);

	if (!want_len)
		return !p && n == 0;
	return p && n == want_len && !memcmp(p, want, n);
}

/*
 * The single query (LWFP_SO_REDIRECT): its size rules, then a layout that
 * gives, part by part, what the three queries gave, and the delivered flag.
 */
static void check_redirect(int fd, const unsigned char *blob, size_t blob_len,
			   const struct sockaddr_storage *orig, const unsigned char *ctx,
			   size_t ctx_len)
{
	unsigned char info[BIG];
	struct lwfp_redirect_info h;
	struct sockaddr_storage dst;
	size_t len;

	len = check_sizes("redirect", fd, lwfp_query_redirect, LWFP_REDIRECT_INFO_MAX, info);
	if (len < sizeof(h)) {
		fail("redirect-layout", "%zu bytes, want at least a header", len);
		return;
	}
	memcpy(&h, info, sizeof(h));
	if (h.version != LWFP_REDIRECT_INFO_VERSION || h.hdr_size != sizeof(h) || h.size != len)
		fail("redirect-layout", "version %u hdr_size %u size %u (returned %zu)", h.version,
		     h.hdr_size, h.size, len);
	else if (!(h.flags & LWFP_REDIRECT_DELIVERED))
		fail("redirect-layout", "flags 0x%x: not delivered", h.flags);
	else if ((h.dst_off | h.context_off | h.records_off) & 7)
		fail("redirect-layout", "a part is not 8-byte aligned: %u %u %u", h.dst_off,
		     h.context_off, h.records_off);
	else if (!same_part(info, len, LWFP_REDIRECT_PART_RECORDS, blob, blob_len))
		fail("redirect-layout", "the records differ from the records query's");
	else if (!same_part(info, len, LWFP_REDIRECT_PART_CONTEXT, ctx, ctx_len))
		fail("redirect-layout", "the context differs from the context query's (%zu bytes)",
		     ctx_len);
	else if (lwfp_redirect_destination(info, len, &dst) || !same_sockaddr(&dst, orig))
		fail("redirect-layout", "the destination differs from the original destination");
	else
		ok("redirect-layout");
}

static int cmd_serve(const struct opts *o)
{
	struct sockaddr_storage la, orig, want;
	socklen_t la_len, want_len;
	unsigned char blob[BIG], ctx[BIG];
	struct lwfp_records rec;
	size_t blob_len, ctx_len = 0;
	int one = 1, lfd, fd, rc, nhops = -1;

	if (!o->listen || parse_addr_port(o->listen, &la, &la_len)) {
		fprintf(stderr, "serve: need --listen ADDR:PORT\n");
		return 2;
	}
	lfd = socket(la.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(lfd, (struct sockaddr *)&la, la_len) || listen(lfd, 16)) {
		fail("serve-listen", "%s: %s", o->listen, strerror(errno));
		return 1;
	}
	if (o->pidfile) {
		char line[32];
		int n = snprintf(line, sizeof(line), "%d\n", (int)getpid());

		if (write_file_atomic(o->pidfile, line, (size_t)n)) {
			fail("serve-pidfile", "%s: %s", o->pidfile, strerror(errno));
			return 1;
		}
	}
	if (wait_readable(lfd, o->timeout) <= 0) {
		fail("serve-accept", "no connection within %d s", o->timeout);
		close(lfd);
		return 1;
	}
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	close(lfd);
	if (fd < 0) {
		fail("serve-accept", "%s", strerror(errno));
		return 1;
	}

	/* Records: the size rules, then the blob's shape. */
	blob_len = check_sizes("records", fd, lwfp_query_redirect_records, LWFP_RECORDS_MAX, blob);
	if (blob_len) {
		nhops = decode_records(blob, blob_len, &rec);
		if (nhops < 0)
			fail("records-decode", "%zu bytes that are not a struct lwfp_records", blob_len);
		else if (o->expect_nhops >= 0 && nhops != o->expect_nhops)
			fail("records-decode", "%d hops, want %d", nhops, o->expect_nhops);
		else
			ok("records-decode");
	}

	/* The original destination. */
	rc = lwfp_query_original_destination(fd, &orig);
	if (expect_rc("original-destination", rc, 0) && o->expect_orig) {
		char got[128];

		format_sockaddr(&orig, got, sizeof(got));
		if (parse_addr_port(o->expect_orig, &want, &want_len) || !same_sockaddr(&orig, &want))
			fail("original-destination-value", "got %s, want %s", got, o->expect_orig);
		else
			ok("original-destination-value");
	}

	check_context(fd, o, &orig, &rec, nhops, ctx, &ctx_len);
	if (blob_len)
		check_redirect(fd, blob, blob_len, &orig, ctx, ctx_len);

	/* State of the service that delivered the socket, and of one that did not. */
	if (nhops > 0) {
		uint32_t self = rec.hops[nhops - 1].service, other = 0x7fffff01;

		rc = lwfp_query_redirect_state(fd, self);
		expect_state("state-by-self", rc, LWFP_REDIRECTED_BY_SELF);
		rc = lwfp_query_redirect_state(fd, other);
		expect_state("state-by-other", rc, LWFP_REDIRECTED_BY_OTHER);
	}

	/* Records cannot be set on a connected socket. */
	if (blob_len) {
		rc = lwfp_set_redirect_records(fd, blob, blob_len);
		expect_rc("set-records-connected", rc, -EISCONN);
	}

	if (o->blob && blob_len) {
		rc = write_file_atomic(o->blob, blob, blob_len);
		if (rc)
			fail("serve-blob", "%s: %s", o->blob, strerror(-rc));
	}
	fflush(stdout);

	/* Hold the flow until the client closes. */
	for (;;) {
		char b[256];
		ssize_t n;

		if (wait_readable(fd, o->timeout) <= 0) {
			fail("serve-hold", "the client did not close within %d s", o->timeout);
			break;
		}
		n = recv(fd, b, sizeof(b), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
	}
	close(fd);
	return failures ? 1 : 0;
}

/* ---- client, peername --------------------------------------------------- */

static int connect_to(const char *s, int *fd_out, int timeout_s)
{
	struct sockaddr_storage ss;
	socklen_t len;
	struct timeval tv = { .tv_sec = timeout_s };
	int fd;

	if (parse_addr_port(s, &ss, &len))
		return -EINVAL;
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&ss, len)) {
		int e = -errno;

		close(fd);
		return e;
	}
	*fd_out = fd;
	return 0;
}

/*
 * The application's own redirected socket answers the single query too,
 * with the hop it connected as, but no redirect delivered it.
 */
static void check_own_redirect(int fd)
{
	unsigned char info[BIG];
	struct lwfp_redirect_info h;
	size_t len = 0;
	int rc = lwfp_query_redirect(fd, info, sizeof(info), &len);

	if (rc == -ENOENT)
		return; /* not redirected: `local` checks that case */
	if (!expect_rc("client-redirect", rc, 0))
		return;
	memcpy(&h, info, sizeof(h));
	if (len < sizeof(h) || (h.flags & LWFP_REDIRECT_DELIVERED))
		fail("client-redirect-not-delivered", "%zu bytes, flags 0x%x", len,
		     len < sizeof(h) ? 0 : h.flags);
	else
		ok("client-redirect-not-delivered");
}

static int cmd_client(const struct opts *o)
{
	struct sockaddr_storage peer, want;
	socklen_t plen = sizeof(peer), wlen;
	char got[128];
	double deadline = now_s() + o->timeout;
	int fd, rc;

	if (!o->connect) {
		fprintf(stderr, "client: need --connect ADDR:PORT\n");
		return 2;
	}
	rc = connect_to(o->connect, &fd, o->timeout);
	if (rc) {
		fail("client-connect", "%s: %s (%s)", o->connect, ename(rc), strerror(-rc));
		return 1;
	}
	ok("client-connect");
	check_own_redirect(fd);
	if (o->expect_peer) {
		if (getpeername(fd, (struct sockaddr *)&peer, &plen)) {
			fail("client-peername", "%s", strerror(errno));
		} else {
			format_sockaddr(&peer, got, sizeof(got));
			if (parse_addr_port(o->expect_peer, &want, &wlen) ||
			    !same_sockaddr(&peer, &want) || peer.ss_family != want.ss_family)
				fail("client-peername", "got %s, want %s", got, o->expect_peer);
			else
				ok("client-peername");
		}
	}
	fflush(stdout);
	if (o->until) {
		struct stat st;

		while (stat(o->until, &st) != 0) {
			if (now_s() > deadline) {
				fail("client-hold", "%s did not appear within %d s", o->until, o->timeout);
				break;
			}
			usleep(20000);
		}
	}
	close(fd);
	return failures ? 1 : 0;
}

static int cmd_peername(const struct opts *o)
{
	struct sockaddr_storage peer;
	socklen_t plen = sizeof(peer);
	char got[128];
	int fd, rc;

	if (!o->connect || (o->get && !o->out)) {
		fprintf(stderr, "peername: need --connect ADDR:PORT (and --out with --get)\n");
		return 2;
	}
	rc = connect_to(o->connect, &fd, o->timeout);
	if (rc) {
		printf("connect %s: %s (%s)\n", o->connect, ename(rc), strerror(-rc));
		return 1;
	}
	if (getpeername(fd, (struct sockaddr *)&peer, &plen)) {
		printf("getpeername: %s\n", strerror(errno));
		close(fd);
		return 1;
	}
	format_sockaddr(&peer, got, sizeof(got));
	printf("peer %s\n", got);

	if (o->get) {
		/* HTTP/1.0: the server closes after the body. */
		char req[1024], buf[65536];
		size_t hdr_fill = 0;
		bool in_body = false;
		static char hdr[16384];
		FILE *out;
		int n = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: lwfp-test\r\n\r\n",
				 o->get);

		if (send(fd, req, (size_t)n, MSG_NOSIGNAL) != n) {
			printf("send: %s\n", strerror(errno));
			close(fd);
			return 1;
		}
		out = fopen(o->out, "w");
		if (!out) {
			printf("%s: %s\n", o->out, strerror(errno));
			close(fd);
			return 1;
		}
		for (;;) {
			ssize_t r = recv(fd, buf, sizeof(buf), 0);

			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0) {
				printf("recv: %s\n", strerror(errno));
				fclose(out);
				close(fd);
				return 1;
			}
			if (r == 0)
				break;
			if (in_body) {
				fwrite(buf, 1, (size_t)r, out);
				continue;
			}
			/* Collect the header, then write what follows it. */
			for (ssize_t i = 0; i < r; i++) {
				if (hdr_fill < sizeof(hdr))
					hdr[hdr_fill++] = buf[i];
				if (hdr_fill >= 4 && !memcmp(hdr + hdr_fill - 4, "\r\n\r\n", 4)) {
					in_body = true;
					fwrite(buf + i + 1, 1, (size_t)(r - i - 1), out);
					break;
				}
			}
		}
		fclose(out);
		if (!in_body || strncmp(hdr, "HTTP/1.", 7) != 0 || strncmp(hdr + 8, " 200", 4) != 0) {
			printf("bad HTTP response: %.40s\n", hdr);
			close(fd);
			return 1;
		}
	}
	close(fd);
	return 0;
}

/* ---- local, noengine ---------------------------------------------------- */

/*
 * The records, context and original destination queries must all refuse a
 * socket for the same reason, so each kind of socket is checked with all of
 * them. orig_fd is apart from fd for noengine, which asks the accepted end.
 */
static void expect_queries(const char *prefix, int fd, int orig_fd, bool probe, int want)
{
	unsigned char buf[BIG];
	struct sockaddr_storage ss;
	char name[64];
	size_t ret;

	snprintf(name, sizeof(name), "%s-records", prefix);
	expect_rc(name, lwfp_query_redirect_records(fd, buf, sizeof(buf), &ret), want);
	if (probe) {
		snprintf(name, sizeof(name), "%s-records-probe", prefix);
		expect_rc(name, lwfp_query_redirect_records(fd, NULL, 0, &ret), want);
	}
	snprintf(name, sizeof(name), "%s-context", prefix);
	expect_rc(name, lwfp_query_redirect_context(fd, buf, sizeof(buf), &ret), want);
	snprintf(name, sizeof(name), "%s-original-destination", prefix);
	expect_rc(name, lwfp_query_original_destination(orig_fd, &ss), want);
	snprintf(name, sizeof(name), "%s-redirect", prefix);
	expect_rc(name, lwfp_query_redirect(orig_fd, buf, sizeof(buf), &ret), want);
	if (probe) {
		snprintf(name, sizeof(name), "%s-redirect-probe", prefix);
		expect_rc(name, lwfp_query_redirect(orig_fd, NULL, 0, &ret), want);
	}
}

static int cmd_local(void)
{
	unsigned char buf[BIG];
	size_t ret;
	int c, s, l, fd, rc, p[2];

	/* Not redirected: a loopback pair no filter matches. */
	rc = loopback_pair(AF_INET, &c, &s, &l);
	if (rc) {
		fail("loopback-pair", "%s", strerror(-rc));
		return 1;
	}
	expect_queries("not-redirected", c, c, true, -ENOENT);
	expect_rc("not-redirected-accepted-records",
		  lwfp_query_redirect_records(s, buf, sizeof(buf), &ret), -ENOENT);
	expect_rc("not-redirected-accepted-context",
		  lwfp_query_redirect_context(s, buf, sizeof(buf), &ret), -ENOENT);
	expect_state("not-redirected-state", lwfp_query_redirect_state(c, 1), LWFP_NOT_REDIRECTED);

	/* A listening socket. */
	expect_queries("listening", l, l, false, -ENOTCONN);
	close(c);
	close(s);
	close(l);

	/* A TCP socket that never connected. */
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	expect_rc("unconnected-tcp-records", lwfp_query_redirect_records(fd, buf, sizeof(buf), &ret),
		  -ENOTCONN);
	close(fd);

	/* Not sockets. */
	if (pipe(p) == 0) {
		expect_queries("pipe", p[0], p[0], false, -ENOTSOCK);
		expect_rc("pipe-set-records", lwfp_set_redirect_records(p[1], buf, 40), -ENOTSOCK);
		close(p[0]);
		close(p[1]);
	} else {
		fail("pipe", "%s", strerror(errno));
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	close(fd); /* now a closed descriptor */
	expect_queries("closed-fd", fd, fd, false, -EBADF);
	expect_rc("negative-fd-records", lwfp_query_redirect_records(-1, buf, sizeof(buf), &ret),
		  -EBADF);

	/* UDP, before the UDP issue: connected and not redirected, then unconnected. */
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	{
		struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(9),
					  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

		expect_rc("udp-unconnected-records",
			  lwfp_query_redirect_records(fd, buf, sizeof(buf), &ret), -ENOTCONN);
		if (connect(fd, (struct sockaddr *)&to, sizeof(to)) == 0) {
			expect_rc("udp-connected-records",
				  lwfp_query_redirect_records(fd, buf, sizeof(buf), &ret), -ENOENT);
			expect_rc("udp-connected-context",
				  lwfp_query_redirect_context(fd, buf, sizeof(buf), &ret), -ENOENT);
		} else {
			fail("udp-connect", "%s", strerror(errno));
		}
	}
	close(fd);

	/* Not TCP/UDP over IPv4/IPv6. */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	expect_queries("unix", fd, fd, false, -ENOPROTOOPT);
	close(fd);
	{
		int sv[2];

		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0) {
			expect_rc("unix-pair-records",
				  lwfp_query_redirect_records(sv[0], buf, sizeof(buf), &ret),
				  -ENOPROTOOPT);
			close(sv[0]);
			close(sv[1]);
		}
	}
	return failures ? 1 : 0;
}

static int cmd_noengine(void)
{
	int c, s, fd, rc;
	struct lwfp_records rec = { .magic = LWFP_RECORDS_MAGIC, .version = LWFP_RECORDS_VERSION };

	rc = loopback_pair(AF_INET, &c, &s, NULL);
	if (rc) {
		fail("loopback-pair", "%s", strerror(-rc));
		return 1;
	}
	expect_queries("noengine", c, s, true, -EOPNOTSUPP);
	expect_rc("noengine-state", lwfp_query_redirect_state(c, 1), -EOPNOTSUPP);
	close(c);
	close(s);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	expect_rc("noengine-set-records",
		  lwfp_set_redirect_records(fd, &rec, LWFP_RECORDS_SIZE(0)), -EOPNOTSUPP);
	close(fd);
	return failures ? 1 : 0;
}

/* ---- setrec, attack ----------------------------------------------------- */

static int load_blob(const struct opts *o, unsigned char *blob, size_t *len)
{
	ssize_t n;

	if (!o->blob) {
		fprintf(stderr, "need --blob FILE\n");
		return -1;
	}
	n = read_file(o->blob, blob, LWFP_RECORDS_MAX + 1);
	if (n <= 0 || n > LWFP_RECORDS_MAX) {
		fprintf(stderr, "%s: cannot read a records blob (%zd)\n", o->blob, n);
		return -1;
	}
	*len = (size_t)n;
	return 0;
}

/* Set bytes on a fresh unconnected TCP socket; the result. */
static int set_fresh(int fam, const void *buf, size_t len, int *keep)
{
	int fd = socket(fam, SOCK_STREAM | SOCK_CLOEXEC, 0), rc;

	if (fd < 0)
		return -errno;
	rc = lwfp_set_redirect_records(fd, buf, len);
	if (keep)
		*keep = fd;
	else
		close(fd);
	return rc;
}

static int cmd_setrec(const struct opts *o)
{
	unsigned char blob[LWFP_RECORDS_MAX + 1];
	size_t len;
	char name[64];
	int want, fam = o->family == 6 ? AF_INET6 : AF_INET;

	if (load_blob(o, blob, &len))
		return 2;
	if (!o->expect || parse_ename(o->expect, &want)) {
		fprintf(stderr, "setrec: need --expect 0|ENAME\n");
		return 2;
	}
	snprintf(name, sizeof(name), "setrec-%s", ename(want));
	expect_rc(name, set_fresh(fam, blob, len, NULL), -want);
	return failures ? 1 : 0;
}

/* Every variant must be rejected with -EINVAL; one line per group. */
struct group {
	const char *name;
	int tried, bad;
	char first[160];
};

static void group_try(struct group *g, int fam, const void *buf, size_t len, const char *what)
{
	int rc = set_fresh(fam, buf, len, NULL);

	g->tried++;
	if (rc != -EINVAL) {
		if (g->bad++ == 0)
			snprintf(g->first, sizeof(g->first), "%s (len %zu): got %s", what, len,
				 ename(rc));
	}
}

static void group_end(struct group *g)
{
	if (g->bad)
		fail(g->name, "%d of %d variants not rejected with EINVAL; first: %s", g->bad,
		     g->tried, g->first);
	else
		printf("ok %s (%d variants)\n", g->name, g->tried);
}

static int cmd_attack(const struct opts *o)
{
	unsigned char blob[LWFP_RECORDS_MAX + 1], buf[4096 + 64];
	struct lwfp_records rec;
	size_t len;
	char what[64];
	int fam = o->family == 6 ? AF_INET6 : AF_INET, nhops, fd = -1, rc;

	if (load_blob(o, blob, &len))
		return 2;
	nhops = decode_records(blob, len, &rec);
	if (nhops < 1) {
		fail("attack-blob", "%s is not a records blob with hops", o->blob);
		return 1;
	}

	/* The valid blob is accepted: the control for everything below. */
	rc = set_fresh(fam, blob, len, &fd);
	if (expect_rc("valid-blob", rc, 0))
		expect_state("valid-blob-state", lwfp_query_redirect_state(fd, rec.hops[nhops - 1].service),
			  LWFP_REDIRECTED_BY_SELF);
	if (fd >= 0)
		close(fd);

	{
		struct group g = { .name = "random-bytes" };

		for (int i = 0; i < 200; i++) {
			uint16_t r;
			size_t n;

			if (getrandom(&r, sizeof(r), 0) != sizeof(r))
				r = (uint16_t)rand();
			n = 1 + r % LWFP_RECORDS_MAX;
			if (getrandom(buf, n, 0) != (ssize_t)n)
				memset(buf, i, n);
			group_try(&g, fam, buf, n, "random");
		}
		memset(buf, 0, sizeof(buf));
		group_try(&g, fam, buf, len, "zeros");
		group_try(&g, fam, buf, LWFP_RECORDS_MAX + 1, "zeros-oversize");
		if (getrandom(buf, 4096, 0) == 4096)
			group_try(&g, fam, buf, 4096, "random-page");
		group_end(&g);
	}
	{
		struct group g = { .name = "forged-token-tag" };

		for (int i = 0; i < 3; i++) {
			memcpy(buf, blob, len);
			/* bytes 8..15 token, 16..23 tag */
			if (i != 1 && getrandom(buf + 8, 8, 0) != 8)
				buf[8] ^= 0x5a;
			if (i != 0 && getrandom(buf + 16, 8, 0) != 8)
				buf[16] ^= 0x5a;
			group_try(&g, fam, buf, len, i == 0 ? "token" : i == 1 ? "tag" : "both");
		}
		group_end(&g);
	}
	{
		struct group g = { .name = "truncated" };

		for (size_t n = 0; n < len; n++) {
			memcpy(buf, blob, len);
			snprintf(what, sizeof(what), "first %zu bytes", n);
			group_try(&g, fam, buf, n, what);
		}
		group_end(&g);
	}
	{
		struct group g = { .name = "trailing-bytes" };

		memcpy(buf, blob, len);
		memset(buf + len, 0, 16);
		group_try(&g, fam, buf, len + 1, "1 zero byte");
		group_try(&g, fam, buf, len + 8, "8 zero bytes");
		group_end(&g);
	}
	{
		struct group g = { .name = "edited-hops" };
		struct lwfp_records r = rec;

		/* Drop the last hop, a claim that fewer services inspected it. */
		r.nhops = (uint16_t)(nhops - 1);
		memcpy(buf, &r, LWFP_RECORDS_SIZE(r.nhops));
		group_try(&g, fam, buf, LWFP_RECORDS_SIZE(r.nhops), "hop dropped");
		/* Add a hop, a claim that another service already inspected it. */
		if (nhops < LWFP_MAX_HOPS) {
			r = rec;
			r.hops[nhops].service = rec.hops[0].service + 1000;
			r.hops[nhops].filter_id = 4242;
			r.nhops = (uint16_t)(nhops + 1);
			memcpy(buf, &r, LWFP_RECORDS_SIZE(r.nhops));
			group_try(&g, fam, buf, LWFP_RECORDS_SIZE(r.nhops), "hop added");
		}
		/* Swap in another service for the first hop. */
		r = rec;
		r.hops[0].service ^= 0x40;
		memcpy(buf, &r, LWFP_RECORDS_SIZE(r.nhops));
		group_try(&g, fam, buf, LWFP_RECORDS_SIZE(r.nhops), "service edited");
		group_end(&g);
	}
	{
		struct group g = { .name = "bit-flipped" };

		for (size_t i = 0; i < len; i++)
			for (int b = 0; b < 8; b++) {
				memcpy(buf, blob, len);
				buf[i] ^= (unsigned char)(1u << b);
				snprintf(what, sizeof(what), "byte %zu bit %d", i, b);
				group_try(&g, fam, buf, len, what);
			}
		group_end(&g);
	}

	/* After all of that the real blob still works (no state was damaged). */
	expect_rc("valid-blob-again", set_fresh(fam, blob, len, NULL), 0);

	/* A connected socket. */
	{
		int c, s;

		rc = loopback_pair(fam, &c, &s, NULL);
		if (rc) {
			fail("set-records-connected", "loopback pair: %s", strerror(-rc));
		} else {
			expect_rc("set-records-connected", lwfp_set_redirect_records(c, blob, len),
				  -EISCONN);
			close(c);
			close(s);
		}
	}
	return failures ? 1 : 0;
}

/* ---- main --------------------------------------------------------------- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: lwfp-test-native serve --listen ADDR:PORT [--blob FILE] [--pidfile FILE]\n"
		"              [--context metadata|sockaddrs|none|raw:HEX] [--expect-orig ADDR:PORT]\n"
		"              [--expect-nhops N] [--timeout SEC]\n"
		"       lwfp-test-native client --connect ADDR:PORT [--expect-peer ADDR:PORT]\n"
		"              [--until FILE] [--timeout SEC]\n"
		"       lwfp-test-native peername --connect ADDR:PORT [--get PATH --out FILE]\n"
		"       lwfp-test-native local | noengine\n"
		"       lwfp-test-native setrec --blob FILE --expect 0|ENAME [--family 4|6]\n"
		"       lwfp-test-native attack --blob FILE [--family 4|6]\n");
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "connect", required_argument, NULL, 'c' },
		{ "blob", required_argument, NULL, 'b' },
		{ "pidfile", required_argument, NULL, 'p' },
		{ "context", required_argument, NULL, 'x' },
		{ "expect-orig", required_argument, NULL, 'o' },
		{ "expect-peer", required_argument, NULL, 'P' },
		{ "expect-nhops", required_argument, NULL, 'n' },
		{ "expect", required_argument, NULL, 'e' },
		{ "until", required_argument, NULL, 'u' },
		{ "get", required_argument, NULL, 'g' },
		{ "out", required_argument, NULL, 'O' },
		{ "family", required_argument, NULL, 'f' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct opts o = { .expect_nhops = -1, .family = 4, .timeout = 20 };
	const char *cmd;
	int c;

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	cmd = argv[1];
	optind = 2;
	while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		switch (c) {
		case 'l': o.listen = optarg; break;
		case 'c': o.connect = optarg; break;
		case 'b': o.blob = optarg; break;
		case 'p': o.pidfile = optarg; break;
		case 'x': o.context = optarg; break;
		case 'o': o.expect_orig = optarg; break;
		case 'P': o.expect_peer = optarg; break;
		case 'n': o.expect_nhops = atoi(optarg); break;
		case 'e': o.expect = optarg; break;
		case 'u': o.until = optarg; break;
		case 'g': o.get = optarg; break;
		case 'O': o.out = optarg; break;
		case 'f': o.family = atoi(optarg); break;
		case 't': o.timeout = atoi(optarg) > 0 ? atoi(optarg) : 20; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(cmd, "serve"))
		return cmd_serve(&o);
	if (!strcmp(cmd, "client"))
		return cmd_client(&o);
	if (!strcmp(cmd, "peername"))
		return cmd_peername(&o);
	if (!strcmp(cmd, "local"))
		return cmd_local();
	if (!strcmp(cmd, "noengine"))
		return cmd_noengine();
	if (!strcmp(cmd, "setrec"))
		return cmd_setrec(&o);
	if (!strcmp(cmd, "attack"))
		return cmd_attack(&o);
	usage(stderr);
	return 2;
}
